//! The receive buffer: one `BytesMut` holding, in order,
//!
//! ```text
//! [0, head)        bytes already returned by a borrowing read, released lazily
//! [head, filled)   buffered data, the reader's "buffer" in asyncio's terms
//! [filled, len)    spare room, already initialised, that a driver reads into
//! ```
//!
//! Keeping the spare room initialised is what lets a driver read from a
//! socket straight into the buffer without `unsafe` and without zeroing a
//! fresh region on every read: memory is zeroed once, when the buffer grows
//! or is compacted, and then reused for as many reads as fit in it.
//! Releasing the consumed prefix lazily is what makes the borrowing fast path
//! cost a pointer bump per line.

use bytes::{Buf, Bytes, BytesMut};

#[derive(Debug, Default)]
pub(crate) struct RecvBuffer {
    bytes: BytesMut,
    head: usize,
    filled: usize,
}

impl RecvBuffer {
    /// Number of buffered (unconsumed) bytes.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.filled - self.head
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.filled == self.head
    }

    /// The buffered bytes.
    #[inline]
    pub(crate) fn data(&self) -> &[u8] {
        &self.bytes[self.head..self.filled]
    }

    /// At least `min` bytes of initialised spare room after the data.
    pub(crate) fn spare_mut(&mut self, min: usize) -> &mut [u8] {
        if self.bytes.len() - self.filled < min {
            self.make_room(min);
        }
        &mut self.bytes[self.filled..]
    }

    /// Marks `n` bytes of the spare room as data. Returns `false`, changing
    /// nothing, when `n` is more than the spare room.
    pub(crate) fn commit(&mut self, n: usize) -> bool {
        if n > self.bytes.len() - self.filled {
            return false;
        }
        self.filled += n;
        true
    }

    /// Appends a copy of `src`.
    #[inline]
    pub(crate) fn extend(&mut self, src: &[u8]) {
        let n = src.len();
        if self.bytes.len() - self.filled >= n {
            self.bytes[self.filled..self.filled + n].copy_from_slice(src);
            self.filled += n;
        } else {
            self.extend_short_of_room(src);
        }
    }

    /// [`extend`](Self::extend) when the spare room is too small: nothing
    /// here zeroes memory that `src` is about to overwrite.
    #[inline(never)]
    fn extend_short_of_room(&mut self, src: &[u8]) {
        let len = self.len();
        if self.bytes.len() - len >= src.len() {
            // Room enough once the data slides to the front.
            self.compact();
            self.bytes[len..len + src.len()].copy_from_slice(src);
            self.filled += src.len();
            return;
        }
        // Grow (or reclaim the allocation, when the owned lines split off
        // its front have been dropped) and copy in one go.
        self.bytes.truncate(self.filled);
        self.release_head();
        self.bytes.extend_from_slice(src);
        self.filled = self.bytes.len();
    }

    /// Appends `src`, adopting its allocation without a copy when the buffer
    /// is empty and `src` is the only handle to its memory.
    pub(crate) fn extend_owned(&mut self, src: Bytes) {
        if !self.is_empty() {
            self.extend(&src);
            return;
        }
        match src.try_into_mut() {
            Ok(adopted) => {
                self.filled = adopted.len();
                self.head = 0;
                self.bytes = adopted;
            }
            Err(shared) => self.extend(&shared),
        }
    }

    /// Marks the first `n` buffered bytes as consumed without moving them
    /// (the borrowing fast path). `n` must be at most `len()`.
    #[inline]
    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.len());
        self.head += n.min(self.len());
    }

    /// Consumes the first `n` buffered bytes and lends them out until the
    /// next mutation (the borrowing fast path).
    #[inline]
    pub(crate) fn consume_borrowed(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.len());
        let start = self.head;
        self.head += n;
        &self.bytes[start..start + n]
    }

    /// The last `n` bytes consumed with [`consume`](Self::consume), still
    /// in place until the next mutation.
    #[inline]
    pub(crate) fn consumed_tail(&self, n: usize) -> &[u8] {
        let n = n.min(self.head);
        &self.bytes[self.head - n..self.head]
    }

    /// Removes and returns the first `n` buffered bytes, without copying.
    ///
    /// The chunk shares the receive buffer's memory: no copy and no
    /// allocation per chunk, at the price of two atomic reference-count
    /// updates (here, and when the caller drops it). Copying short chunks
    /// into fresh allocations was measured faster for 16- and 80-byte
    /// lines, but allocates per line; the borrowing reads are the fast path.
    #[inline]
    pub(crate) fn split_front(&mut self, n: usize) -> Bytes {
        let n = n.min(self.len());
        self.release_head();
        self.filled -= n;
        self.bytes.split_to(n).freeze()
    }

    /// Removes and returns every buffered byte, without copying.
    pub(crate) fn take_all(&mut self) -> BytesMut {
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
        if self.bytes.len() - self.len() >= min {
            self.compact();
            return;
        }
        self.bytes.truncate(self.filled);
        self.release_head();
        // `reserve` moves the data to the front of a uniquely owned
        // allocation when that is enough, and reallocates otherwise.
        self.bytes.reserve(min);
        let capacity = self.bytes.capacity();
        self.bytes.resize(capacity, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spare_commit_and_split() {
        let mut b = RecvBuffer::default();
        let spare = b.spare_mut(8);
        assert!(spare.len() >= 8);
        spare[..5].copy_from_slice(b"hello");
        assert!(b.commit(5));
        assert_eq!(b.data(), b"hello");
        assert!(!b.commit(usize::MAX));
        b.extend(b" world");
        assert_eq!(b.data(), b"hello world");
        b.consume(6);
        assert_eq!(b.data(), b"world");
        assert_eq!(&b.split_front(3)[..], b"wor");
        assert_eq!(&b.take_all()[..], b"ld");
        assert!(b.is_empty());
    }

    #[test]
    fn adopts_unique_bytes_without_copy() {
        let mut b = RecvBuffer::default();
        let v = Bytes::from(alloc::vec![1u8, 2, 3]);
        let ptr = v.as_ptr();
        b.extend_owned(v);
        assert_eq!(b.data().as_ptr(), ptr);
        // Not empty any more: the next one is copied behind the first.
        b.extend_owned(Bytes::from_static(b"\x04"));
        assert_eq!(b.data(), &[1, 2, 3, 4]);
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
