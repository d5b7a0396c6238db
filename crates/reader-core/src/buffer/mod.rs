//! The receive buffer: a contiguous owned region, then a queue of adopted
//! chunks.
//!
//! ```text
//! owned region, one BytesMut:
//!   [0, head)        bytes already returned by a borrowing read, released lazily
//!   [head, filled)   buffered data
//!   [filled, len)    spare room, already initialised, that a driver reads into
//! then adopted chunks (`feed_bytes`), in order:
//!   cur[cur_head..], queue[0], queue[1], ...
//! ```
//!
//! The buffered data, asyncio's "buffer", is the owned data followed by the
//! chunks. Why it is built this way:
//!
//! * Keeping the spare room initialised is what lets a driver read from a
//!   socket straight into the buffer without `unsafe` and without zeroing a
//!   fresh region on every read: memory is zeroed once, when the buffer
//!   grows or is compacted, and then reused for as many reads as fit in it.
//! * Releasing the consumed prefix lazily is what makes the borrowing fast
//!   path cost a pointer bump per line.
//! * Owned input (`feed_bytes`) is queued, not copied: a driver that already
//!   holds its data as `Bytes` (a TLS layer, a channel of buffers, a slice
//!   of a larger buffer) hands it over for the price of a queue push. Copying
//!   alone costs a third of a `memchr` scan's speed, whatever the reader.
//! * Searches and borrowed reads see one contiguous *front*: the owned data
//!   when there is any, otherwise the rest of the first chunk. Lines that lie
//!   inside one chunk are searched and lent in place; a line straddling two
//!   segments is copied once into the owned region (only up to the first
//!   separator in the next segment, see [`RecvBuffer::pull`]), so the copy
//!   costs a line per chunk, not a chunk.
//! * Tiny inputs are copied rather than queued, so that byte-at-a-time
//!   feeding stays O(n) and the queue stays short.

use alloc::borrow::Cow;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use bytes::{Buf, Bytes, BytesMut};
use core::mem;
use region::Region;

/// Owned inputs shorter than this are copied instead of queued: a queued
/// chunk costs a queue entry and, when a line straddles it, a copy anyway.
pub(crate) const TINY: usize = 512;

mod region;

/// The receive buffer (see the module documentation).
///
/// Invariants: `queued` is the number of unconsumed chunk bytes; when it is
/// 0, `cur` is empty and `queue` too; otherwise `cur[cur_head..]` is not
/// empty and every chunk in `queue` is not empty.
#[derive(Debug, Default)]
pub(crate) struct RecvBuffer {
    owned: Region,
    /// The first chunk; `cur[cur_head..]` is still buffered.
    cur: Bytes,
    cur_head: usize,
    /// The chunks behind `cur`.
    queue: VecDeque<Bytes>,
    /// Unconsumed chunk bytes, so that `len()` is O(1).
    queued: usize,
    /// The last chunk is a copy this buffer made (of `feed` data that came
    /// after the chunks), so more copies may be appended to it instead of
    /// queueing one small chunk per feed.
    tail_is_copy: bool,
    /// A chunk that a borrowing read exhausted: kept (moved, no
    /// reference-count update) so that the slice it lent stays valid until
    /// the next call, and released when the reader next waits, is fed or
    /// hands its bytes back.
    spent: Bytes,
}

impl RecvBuffer {
    /// Number of buffered (unconsumed) bytes, in every segment.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.owned.len() + self.queued
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The contiguous start of the buffered data that searches and
    /// borrowing reads work on: the owned data, or when there is none the
    /// rest of the first chunk.
    #[inline]
    pub(crate) fn front(&self) -> &[u8] {
        if self.owned.is_empty() {
            self.cur_rest()
        } else {
            self.owned.data()
        }
    }

    /// The segment right behind the front, if any.
    #[inline]
    pub(crate) fn next_segment(&self) -> Option<&[u8]> {
        if self.owned.is_empty() {
            self.queue.front().map(|chunk| &chunk[..])
        } else if self.queued > 0 {
            Some(self.cur_rest())
        } else {
            None
        }
    }

    /// Every buffered byte in one slice: borrowed when the front is all
    /// there is, gathered into a copy otherwise.
    pub(crate) fn contiguous(&self) -> Cow<'_, [u8]> {
        if self.next_segment().is_none() {
            return Cow::Borrowed(self.front());
        }
        let mut all = Vec::with_capacity(self.len());
        all.extend_from_slice(self.owned.data());
        all.extend_from_slice(self.cur_rest());
        for chunk in &self.queue {
            all.extend_from_slice(chunk);
        }
        Cow::Owned(all)
    }

    /// Every buffered segment in order: the owned data (when there is
    /// any), the rest of the first chunk, the queued chunks.
    pub(crate) fn segments(&self) -> impl Iterator<Item = &[u8]> {
        let owned = Some(self.owned.data()).filter(|d| !d.is_empty());
        let cur = Some(self.cur_rest()).filter(|d| !d.is_empty());
        owned
            .into_iter()
            .chain(cur)
            .chain(self.queue.iter().map(|chunk| &chunk[..]))
    }

    #[inline]
    fn cur_rest(&self) -> &[u8] {
        self.cur.get(self.cur_head..).unwrap_or_default()
    }

    // ----- input --------------------------------------------------------

    /// At least `min` bytes of initialised spare room after the data. The
    /// room follows the owned data, so queued chunks are copied into the
    /// owned region first (only a driver mixing `feed_bytes` with
    /// `spare_capacity` pays that).
    pub(crate) fn spare_mut(&mut self, min: usize) -> &mut [u8] {
        self.release_spent();
        self.make_contiguous();
        self.owned.spare_mut(min)
    }

    /// Marks `n` bytes of the spare room as data. Returns `false`, changing
    /// nothing, when `n` is more than the spare room.
    pub(crate) fn commit(&mut self, n: usize) -> bool {
        if self.queued == 0 || n == 0 {
            return self.owned.commit(n);
        }
        // Chunks were queued between `spare_mut` and this commit: the new
        // bytes come after them.
        let Some(written) = self.owned.spare().get(..n) else {
            return false;
        };
        let written = written.to_vec();
        self.make_contiguous();
        self.owned.extend(&written);
        true
    }

    /// Appends a copy of `src`.
    #[inline]
    pub(crate) fn extend(&mut self, src: &[u8]) {
        self.release_spent();
        if self.queued == 0 {
            self.owned.extend(src);
        } else {
            self.copy_behind_chunks(src);
        }
    }

    /// [`extend`](Self::extend) when chunks are queued: the copy goes
    /// behind them, appended to the last chunk when that is a copy made
    /// here (so byte-at-a-time feeding does not queue a chunk per byte).
    #[inline(never)]
    fn copy_behind_chunks(&mut self, src: &[u8]) {
        if src.is_empty() {
            return;
        }
        if self.tail_is_copy {
            let Some(last) = self.queue.back_mut() else {
                // The only chunk is that copy: back into the owned region
                // with it, and the queue is gone.
                self.make_contiguous();
                self.owned.extend(src);
                return;
            };
            // Never lent out, so normally unique: grown in place.
            match mem::take(last).try_into_mut() {
                Ok(mut grown) => {
                    grown.extend_from_slice(src);
                    *last = grown.freeze();
                    self.queued += src.len();
                    return;
                }
                Err(shared) => *last = shared,
            }
        }
        self.push_chunk(Bytes::copy_from_slice(src), true);
    }

    /// Appends `src` without copying it, unless it is tiny: adopted as the
    /// owned region when the buffer is empty and `src` is the only handle
    /// to its memory, queued otherwise (shared memory is never written to).
    pub(crate) fn extend_owned(&mut self, src: Bytes) {
        if src.len() < TINY {
            self.extend(&src);
            return;
        }
        self.release_spent();
        let src = if self.is_empty() {
            match src.try_into_mut() {
                Ok(adopted) => {
                    self.owned = Region {
                        filled: adopted.len(),
                        head: 0,
                        bytes: adopted,
                    };
                    return;
                }
                Err(shared) => shared,
            }
        } else {
            src
        };
        self.push_chunk(src, false);
    }

    fn push_chunk(&mut self, chunk: Bytes, copy: bool) {
        if chunk.is_empty() {
            return;
        }
        let len = chunk.len();
        if self.queued == 0 {
            self.cur = chunk;
            self.cur_head = 0;
        } else {
            self.queue.push_back(chunk);
        }
        self.queued += len;
        self.tail_is_copy = copy;
    }

    /// Drops the chunk kept for the last borrowed slice.
    #[inline]
    pub(crate) fn release_spent(&mut self) {
        if !self.spent.is_empty() {
            self.spent = Bytes::new();
        }
    }

    // ----- searching across segments -----------------------------------

    /// Copies the first `k` bytes of the segment behind the front onto the
    /// end of the front, so that a search can see a line that straddles the
    /// boundary; when the front is a chunk, its rest moves into the owned
    /// region first. Nothing happens when the front is all there is.
    ///
    /// The reader's search passes the end of the first separator found
    /// inside that segment (or its whole length when there is none): a
    /// separator straddling the boundary ends before it, or loses to the
    /// one ending there, so the copy holds the answer and only one line is
    /// copied per chunk.
    pub(crate) fn pull(&mut self, k: usize) {
        if self.next_segment().is_none() {
            return;
        }
        if self.owned.is_empty() {
            self.owned
                .extend(self.cur.get(self.cur_head..).unwrap_or_default());
            let rest = self.cur_rest().len();
            drop(self.advance_cur(rest));
        }
        let rest = self.cur.get(self.cur_head..).unwrap_or_default();
        let piece = rest.get(..k).unwrap_or(rest);
        let n = piece.len();
        self.owned.extend(piece);
        drop(self.advance_cur(n));
    }

    /// Moves every queued chunk into the owned region, behind its data:
    /// one copy, for the cold paths that need the whole buffer in one
    /// piece.
    pub(crate) fn make_contiguous(&mut self) {
        if self.queued == 0 {
            return;
        }
        let _ = self.owned.reserve(self.queued);
        let start = mem::take(&mut self.cur_head);
        let cur = mem::take(&mut self.cur);
        self.owned.extend(cur.get(start..).unwrap_or_default());
        while let Some(chunk) = self.queue.pop_front() {
            self.owned.extend(&chunk);
        }
        self.queued = 0;
        self.tail_is_copy = false;
    }

    // ----- output -------------------------------------------------------

    /// Consumes `k` bytes of the first chunk (at most its rest). When that
    /// exhausts it, the next chunk takes its place and the exhausted one is
    /// returned (moved, not dropped, so that the caller decides).
    #[inline]
    fn advance_cur(&mut self, k: usize) -> Option<Bytes> {
        let rest = self.cur.len().saturating_sub(self.cur_head);
        if rest == 0 {
            return None;
        }
        let k = k.min(rest);
        self.queued -= k;
        if k < rest {
            self.cur_head += k;
            return None;
        }
        self.cur_head = 0;
        let next = self.queue.pop_front().unwrap_or_default();
        if next.is_empty() {
            self.tail_is_copy = false;
        }
        Some(mem::replace(&mut self.cur, next))
    }

    /// Discards the first `n` buffered bytes (at most `len()`), from every
    /// segment.
    pub(crate) fn consume(&mut self, n: usize) {
        let from_owned = n.min(self.owned.len());
        self.owned.head += from_owned;
        let mut n = n - from_owned;
        while n > 0 {
            let k = n.min(self.cur_rest().len());
            if k == 0 {
                break;
            }
            drop(self.advance_cur(k));
            n -= k;
        }
    }

    /// Consumes the first `n` bytes of the front (at most all of it) and
    /// lends them out until the next mutation: the borrowing fast path. No
    /// reference count changes: a chunk this exhausts moves into the
    /// `spent` slot, which keeps the slice valid.
    #[inline]
    pub(crate) fn consume_borrowed(&mut self, n: usize) -> &[u8] {
        if self.owned.is_empty() {
            return self.consume_borrowed_chunk(n);
        }
        self.owned.head += n.min(self.owned.len());
        let head = self.owned.head;
        let n = n.min(head);
        self.owned.bytes.get(head - n..head).unwrap_or_default()
    }

    /// [`consume_borrowed`](Self::consume_borrowed) when the front is the
    /// first chunk.
    #[inline]
    fn consume_borrowed_chunk(&mut self, n: usize) -> &[u8] {
        let start = self.cur_head;
        if start + n < self.cur.len() {
            // Inside the chunk, the common case.
            self.cur_head += n;
            self.queued -= n;
            return self.cur.get(start..start + n).unwrap_or_default();
        }
        let n = n.min(self.cur_rest().len());
        match self.advance_cur(n) {
            None => self.cur.get(start..start + n).unwrap_or_default(),
            Some(done) => {
                self.spent = done;
                self.spent.get(start..start + n).unwrap_or_default()
            }
        }
    }

    /// Removes and returns the first `n` buffered bytes (at most `len()`):
    /// without copying when they lie in the front, gathered with one copy
    /// into an exactly sized buffer otherwise.
    #[inline]
    pub(crate) fn split_front(&mut self, n: usize) -> Bytes {
        if n <= self.owned.len() {
            return self.owned.split_front(n);
        }
        self.split_front_chunks(n)
    }

    /// [`split_front`](Self::split_front) beyond the owned data.
    #[inline(never)]
    fn split_front_chunks(&mut self, n: usize) -> Bytes {
        let n = n.min(self.len());
        let owned = self.owned.len();
        if n <= owned {
            return self.owned.split_front(n);
        }
        if owned == 0 {
            let rest = self.cur_rest().len();
            let start = self.cur_head;
            if n < rest {
                let out = self.cur.slice(start..start + n);
                drop(self.advance_cur(n));
                return out;
            }
            if n == rest {
                if let Some(mut done) = self.advance_cur(n) {
                    done.advance(start);
                    return done;
                }
            }
        }
        self.gather(n).freeze()
    }

    /// Removes the first `n` bytes (at most `len()`) and appends them to
    /// `out`: one copy per segment, no reference count taken (a chunk this
    /// exhausts is dropped, once).
    pub(crate) fn consume_into(&mut self, n: usize, out: &mut Vec<u8>) {
        let n = n.min(self.len());
        out.reserve(n);
        let from_owned = n.min(self.owned.len());
        out.extend_from_slice(self.owned.data().get(..from_owned).unwrap_or_default());
        self.owned.head += from_owned;
        let mut left = n - from_owned;
        while left > 0 {
            let rest = self.cur_rest();
            let piece = rest.get(..left).unwrap_or(rest);
            if piece.is_empty() {
                break;
            }
            out.extend_from_slice(piece);
            let k = piece.len();
            drop(self.advance_cur(k));
            left -= k;
        }
    }

    /// Removes and returns every buffered byte: without copying when they
    /// are in one piece (and, for an adopted chunk, its only handle).
    pub(crate) fn take_all(&mut self) -> BytesMut {
        self.release_spent();
        if self.queued == 0 {
            return self.owned.take_all();
        }
        if self.owned.is_empty() && self.queue.is_empty() {
            let n = self.len();
            return match self.split_front(n).try_into_mut() {
                Ok(mine) => mine,
                Err(shared) => BytesMut::from(&shared[..]),
            };
        }
        self.gather(self.len())
    }

    /// [`take_all`](Self::take_all) as `Bytes`: never copies one piece,
    /// shared or not.
    pub(crate) fn take_all_frozen(&mut self) -> Bytes {
        self.release_spent();
        self.split_front(self.len())
    }

    /// Removes the first `n` bytes (at most `len()`) into one new buffer.
    fn gather(&mut self, n: usize) -> BytesMut {
        let n = n.min(self.len());
        let mut out = BytesMut::with_capacity(n);
        let from_owned = n.min(self.owned.len());
        out.extend_from_slice(self.owned.data().get(..from_owned).unwrap_or_default());
        self.owned.head += from_owned;
        while out.len() < n {
            let rest = self.cur_rest();
            let piece = rest.get(..n - out.len()).unwrap_or(rest);
            if piece.is_empty() {
                break;
            }
            out.extend_from_slice(piece);
            let k = piece.len();
            drop(self.advance_cur(k));
        }
        out
    }
}

#[cfg(test)]
mod tests;
