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

/// Owned inputs shorter than this are copied instead of queued: a queued
/// chunk costs a queue entry and, when a line straddles it, a copy anyway.
pub(crate) const TINY: usize = 512;

/// The contiguous owned region (see the module documentation).
#[derive(Debug, Default)]
struct Region {
    bytes: BytesMut,
    head: usize,
    filled: usize,
}

impl Region {
    #[inline]
    fn len(&self) -> usize {
        self.filled - self.head
    }

    #[inline]
    fn is_empty(&self) -> bool {
        self.filled == self.head
    }

    #[inline]
    fn data(&self) -> &[u8] {
        self.bytes.get(self.head..self.filled).unwrap_or_default()
    }

    /// At least `min` bytes of initialised spare room after the data.
    fn spare_mut(&mut self, min: usize) -> &mut [u8] {
        if self.bytes.len() - self.filled < min {
            self.make_room(min);
        }
        self.bytes.get_mut(self.filled..).unwrap_or_default()
    }

    /// The spare room, as written by the driver.
    fn spare(&self) -> &[u8] {
        self.bytes.get(self.filled..).unwrap_or_default()
    }

    fn commit(&mut self, n: usize) -> bool {
        if n > self.bytes.len() - self.filled {
            return false;
        }
        self.filled += n;
        true
    }

    /// Appends a copy of `src`.
    #[inline]
    fn extend(&mut self, src: &[u8]) {
        let n = src.len();
        if let Some(room) = self.bytes.get_mut(self.filled..self.filled + n) {
            room.copy_from_slice(src);
            self.filled += n;
        } else {
            self.extend_short_of_room(src);
        }
    }

    /// [`extend`](Self::extend) when the spare room is too small: nothing
    /// here zeroes memory that `src` is about to overwrite.
    #[inline(never)]
    fn extend_short_of_room(&mut self, src: &[u8]) {
        let n = src.len();
        if self.reserve(n) {
            if let Some(room) = self.bytes.get_mut(self.filled..self.filled + n) {
                room.copy_from_slice(src);
                self.filled += n;
                return;
            }
        }
        self.bytes.extend_from_slice(src);
        self.filled = self.bytes.len();
    }

    /// Makes sure `additional` bytes can be appended with at most one
    /// reallocation, here. Returns `true` when they fit in the initialised
    /// spare room (sliding the data to the front if that is enough);
    /// `false` when the region was cut at its data and its allocation grown
    /// (or reclaimed, when the owned lines split off its front have been
    /// dropped), so the new room is capacity, not yet initialised.
    fn reserve(&mut self, additional: usize) -> bool {
        if self.bytes.len() - self.filled >= additional {
            return true;
        }
        if self.bytes.len() - self.len() >= additional {
            self.compact();
            return true;
        }
        self.bytes.truncate(self.filled);
        self.release_head();
        self.bytes.reserve(additional);
        false
    }

    /// Removes and returns the first `n` bytes (at most `len()`), without
    /// copying.
    ///
    /// The chunk shares the region's memory: no copy and no allocation per
    /// chunk, at the price of two atomic reference-count updates (here, and
    /// when the caller drops it). Copying short chunks into fresh
    /// allocations was measured faster for 16- and 80-byte lines, but
    /// allocates per line; the borrowing reads are the fast path.
    #[inline]
    fn split_front(&mut self, n: usize) -> Bytes {
        let n = n.min(self.len());
        self.release_head();
        self.filled -= n;
        self.bytes.split_to(n).freeze()
    }

    /// Removes and returns all the data, without copying.
    fn take_all(&mut self) -> BytesMut {
        let n = self.len();
        self.release_head();
        self.filled = 0;
        self.bytes.split_to(n)
    }

    /// Drops the consumed prefix for real.
    #[inline]
    fn release_head(&mut self) {
        if self.head > 0 {
            self.bytes.advance(self.head);
            self.filled -= self.head;
            self.head = 0;
        }
    }

    /// Moves the data to the front of the initialised region, keeping all
    /// of it: the borrowing fast path's compaction, without zeroing.
    fn compact(&mut self) {
        if self.head > 0 {
            self.bytes.copy_within(self.head..self.filled, 0);
            self.filled -= self.head;
            self.head = 0;
        }
    }

    /// Compacts and grows so that at least `min` bytes of spare room follow
    /// the data, zeroing new room only.
    #[cold]
    fn make_room(&mut self, min: usize) {
        if !self.reserve(min) {
            let capacity = self.bytes.capacity();
            self.bytes.resize(capacity, 0);
        }
    }
}

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
mod tests {
    use super::*;
    use crate::separators::{find, Separators};

    /// A `Bytes` of `len` copies of `fill` with `text` at `at`: big enough
    /// to be queued, not copied.
    fn big(len: usize, fill: u8, at: usize, text: &[u8]) -> Bytes {
        let mut v = alloc::vec![fill; len];
        v[at..at + text.len()].copy_from_slice(text);
        Bytes::from(v)
    }

    /// Everything buffered, in order.
    fn all(b: &RecvBuffer) -> Vec<u8> {
        b.contiguous().into_owned()
    }

    /// What `Reader::until` does, without the limit: search the front,
    /// pull, search again.
    fn search(b: &mut RecvBuffer, seps: Separators<'_>) -> Option<(usize, usize)> {
        loop {
            if let Some(f) = find(b.front(), 0, seps) {
                return Some((f.start, f.end));
            }
            let next = b.next_segment()?;
            let k = find(next, 0, seps).map_or(next.len(), |f| f.end);
            b.pull(k);
        }
    }

    #[test]
    fn spare_commit_and_split() {
        let mut b = RecvBuffer::default();
        let spare = b.spare_mut(8);
        assert!(spare.len() >= 8);
        spare[..5].copy_from_slice(b"hello");
        assert!(b.commit(5));
        assert_eq!(b.front(), b"hello");
        assert!(!b.commit(usize::MAX));
        b.extend(b" world");
        assert_eq!(b.front(), b"hello world");
        b.consume(6);
        assert_eq!(b.front(), b"world");
        assert_eq!(&b.split_front(3)[..], b"wor");
        assert_eq!(&b.take_all()[..], b"ld");
        assert!(b.is_empty());
    }

    #[test]
    fn adopts_unique_bytes_without_copy() {
        let mut b = RecvBuffer::default();
        let v = Bytes::from(alloc::vec![7u8; TINY]);
        let ptr = v.as_ptr();
        b.extend_owned(v);
        assert_eq!(b.front().as_ptr(), ptr);
        assert_eq!(b.queued, 0, "adopted as the owned region");
        // Not empty any more: a tiny one is copied behind the first.
        b.extend_owned(Bytes::from_static(b"\x04"));
        assert_eq!(b.len(), TINY + 1);
        assert_eq!(b.front()[TINY], 4);
    }

    #[test]
    fn queues_shared_and_later_chunks_without_copy() {
        let whole = big(4 * TINY, b'a', 0, b"");
        let mut b = RecvBuffer::default();
        b.extend(b"xy");
        b.extend_owned(whole.slice(..2 * TINY));
        b.extend_owned(whole.slice(2 * TINY..));
        assert_eq!(b.len(), 2 + 4 * TINY);
        assert_eq!(b.front(), b"xy");
        assert_eq!(b.next_segment().unwrap().as_ptr(), whole.as_ptr());
        // A copy after the chunks goes behind them.
        b.extend(b"z");
        let got = all(&b);
        assert_eq!(&got[..2], b"xy");
        assert_eq!(got.last(), Some(&b'z'));
        assert_eq!(got.len(), 3 + 4 * TINY);
    }

    #[test]
    fn byte_at_a_time_behind_chunks_grows_one_copy() {
        let whole = big(TINY, b'a', 0, b"");
        let mut b = RecvBuffer::default();
        b.extend_owned(whole.clone());
        b.extend_owned(whole.clone());
        for i in 0..1000u32 {
            b.extend(&[i as u8]);
        }
        assert_eq!(b.queue.len(), 2, "one chunk, then one growing copy");
        assert_eq!(b.len(), 2 * TINY + 1000);
        let got = all(&b);
        assert_eq!(got[2 * TINY + 999], 999u32 as u8);
    }

    #[test]
    fn copies_behind_a_lone_copied_chunk_keep_order() {
        let shared = big(TINY, b'a', 0, b"");
        let mut b = RecvBuffer::default();
        b.extend_owned(shared.clone());
        b.extend(b"12");
        b.extend(b"34");
        assert_eq!(b.queue.len(), 1, "one copy behind the chunk, grown");
        // The shared chunk is consumed: the copy is the only chunk left.
        b.consume(TINY + 1);
        b.extend(b"56");
        assert_eq!(all(&b), b"23456");
        assert_eq!(b.queued, 0, "back in the owned region, in order");
    }

    #[test]
    fn straddling_separator_is_found_and_copied_once() {
        // "...\r" | "\n...\r\n...": the first CRLF straddles the boundary.
        let first = big(TINY, b'a', TINY - 1, b"\r");
        let second = big(TINY, b'b', 0, b"\nbbbbbbb\r\n");
        let mut b = RecvBuffer::default();
        b.extend_owned(first.clone());
        b.extend_owned(second.clone());
        assert_eq!(b.front().as_ptr(), first.as_ptr(), "queued, not copied");
        let crlf = Separators::One(b"\r\n");
        assert_eq!(search(&mut b, crlf), Some((TINY - 1, TINY + 1)));
        // Pulled: the first chunk's rest and the next chunk up to its first
        // whole separator, no further; the rest of `second` is still its
        // own memory.
        assert_eq!(b.front().len(), TINY + 10);
        assert_eq!(b.next_segment().unwrap().as_ptr(), second[10..].as_ptr());
        let line = b.split_front(TINY + 1);
        assert!(line.ends_with(b"a\r\n"));
        assert_eq!(&b.split_front(9)[..], b"bbbbbbb\r\n");
        assert_eq!(b.front().as_ptr(), second[10..].as_ptr());
        assert_eq!(b.len(), TINY - 10);
    }

    #[test]
    fn short_separator_in_next_chunk_beats_long_straddling_one() {
        // "…AB" | "CD;…": "ABCD" straddles and ends at 2 of the next chunk;
        // ";" ends at 3; "C" ends at 1 and wins; with "C" gone, "ABCD"
        // (end 2) beats ";" (end 3).
        let first = big(TINY, b'x', TINY - 2, b"AB");
        let second = big(TINY, b'y', 0, b"CD;");
        for (list, want) in [
            (&[&b"ABCD"[..], b";", b"C"][..], (TINY, TINY + 1)),
            (&[&b"ABCD"[..], b";"][..], (TINY - 2, TINY + 2)),
            (&[&b"D;"[..], b"BCD"][..], (TINY - 1, TINY + 2)),
        ] {
            let mut b = RecvBuffer::default();
            b.extend_owned(first.clone());
            b.extend_owned(second.clone());
            assert_eq!(
                search(&mut b, Separators::Any(list)),
                Some(want),
                "{list:?}"
            );
            // Whatever was found is in the contiguous front.
            assert!(b.front().len() >= want.1);
            assert_eq!(all(&b).len(), 2 * TINY);
        }
    }

    #[test]
    fn separator_spanning_a_whole_chunk() {
        // A long separator that starts in the owned data, covers a whole
        // chunk and ends in the next.
        let mut sep = alloc::vec![b'q'; TINY + 4];
        sep[0] = b'S';
        *sep.last_mut().unwrap() = b'E';
        let mut b = RecvBuffer::default();
        b.extend(b"..SQ"[..3].as_ref());
        b.extend_owned(big(TINY, b'q', 0, b""));
        b.extend_owned(big(TINY, b'z', 0, b"qqE"));
        let got = search(&mut b, Separators::One(&sep));
        assert_eq!(got, Some((2, 2 + sep.len())));
    }

    #[test]
    fn reads_spanning_chunks_gather_once() {
        let whole = Bytes::from((0..3 * TINY).map(|i| i as u8).collect::<Vec<u8>>());
        let keep = whole.clone();
        let mut b = RecvBuffer::default();
        b.extend(b"head");
        b.extend_owned(whole.slice(..TINY));
        b.extend_owned(whole.slice(TINY..2 * TINY));
        b.extend_owned(whole.slice(2 * TINY..));
        // Owned data plus part of the first chunk: gathered.
        let got = b.split_front(10);
        assert_eq!(&got[..4], b"head");
        assert_eq!(&got[4..], &whole[..6]);
        // Inside the first chunk: a slice of it, not a copy.
        let got = b.split_front(10);
        assert_eq!(got.as_ptr(), whole[6..].as_ptr());
        // Across two chunks.
        let got = b.split_front(TINY);
        assert_eq!(&got[..], &whole[16..16 + TINY]);
        // The rest of a chunk exactly: that chunk, not a copy.
        let rest = 2 * TINY - (16 + TINY);
        let got = b.split_front(rest);
        assert_eq!(got.as_ptr(), whole[16 + TINY..].as_ptr());
        // More than is buffered: what is there.
        let got = b.split_front(usize::MAX);
        assert_eq!(&got[..], &whole[2 * TINY..]);
        assert!(b.is_empty());
        assert_eq!(whole, keep, "shared memory never written to");
    }

    #[test]
    fn take_all_across_chunks() {
        let whole = Bytes::from((0..2 * TINY).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
        let mut b = RecvBuffer::default();
        b.extend(b"ab");
        b.extend_owned(whole.slice(..TINY));
        b.extend_owned(whole.slice(TINY..));
        b.extend(b"cd");
        b.consume(3);
        let got = b.take_all();
        assert_eq!(&got[..TINY - 1], &whole[1..TINY]);
        assert_eq!(&got[TINY - 1..2 * TINY - 1], &whole[TINY..]);
        assert_eq!(&got[2 * TINY - 1..], b"cd");
        assert!(b.is_empty());
        // One shared chunk: `take_all_frozen` hands it over as it is.
        b.extend_owned(whole.slice(TINY..));
        assert_eq!(b.take_all_frozen().as_ptr(), whole[TINY..].as_ptr());
        assert!(b.is_empty());
    }

    #[test]
    fn shared_slices_are_never_modified() {
        let whole = Bytes::from((0..4 * TINY).map(|i| (i * 7) as u8).collect::<Vec<u8>>());
        let before = whole.to_vec();
        let mut b = RecvBuffer::default();
        b.extend_owned(whole.slice(TINY..2 * TINY));
        b.extend(b"copied behind");
        b.extend_owned(whole.slice(..TINY));
        b.consume(5);
        let _ = search(&mut b, Separators::One(b"\xff\xfe"));
        b.spare_mut(64)[..3].copy_from_slice(b"new");
        assert!(b.commit(3));
        b.extend(b"more");
        let _ = b.take_all();
        assert_eq!(&whole[..], &before[..]);
    }

    #[test]
    fn borrowed_line_stays_valid_after_its_chunk_is_exhausted() {
        let whole = big(TINY, b'a', TINY - 1, b"\n");
        let ptr = whole.as_ptr();
        let mut b = RecvBuffer::default();
        // Shared (not adopted), so queued as a chunk.
        b.extend_owned(whole.clone());
        assert_eq!(b.queued, TINY);
        b.extend_owned(big(TINY, b'b', 0, b""));
        // The whole first chunk is one line: lent from the spent slot.
        let line = b.consume_borrowed(TINY);
        assert_eq!(line.as_ptr(), ptr);
        assert_eq!(line.len(), TINY);
        assert_eq!(line.last(), Some(&b'\n'));
        assert_eq!(b.queue.len(), 0, "the next chunk took its place");
        assert_eq!(b.front()[0], b'b');
        // Released once the buffer is fed again.
        b.extend(b"x");
        assert!(b.spent.is_empty());
    }

    #[test]
    fn commit_after_a_queued_chunk_keeps_stream_order() {
        let mut b = RecvBuffer::default();
        b.extend(b"1");
        b.spare_mut(4)[..1].copy_from_slice(b"3");
        b.extend_owned(big(TINY, b'2', 0, b""));
        assert!(b.commit(1));
        let got = all(&b);
        assert_eq!(got[0], b'1');
        assert!(got[1..=TINY].iter().all(|&c| c == b'2'));
        assert_eq!(got[TINY + 1], b'3');
        assert_eq!(got.len(), TINY + 2);
    }

    #[test]
    fn compaction_keeps_data() {
        let mut b = RecvBuffer::default();
        for round in 0..200u32 {
            b.extend(&round.to_le_bytes());
            if round % 3 == 0 {
                b.consume(2);
            }
            let _ = b.spare_mut(64);
        }
        assert_eq!(b.len(), 200 * 4 - 67 * 2);
    }
}
