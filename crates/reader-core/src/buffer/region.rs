//! The contiguous owned region of the receive buffer: consumed prefix,
//! data, and initialised spare room (see the [buffer docs](super)).

use bytes::{Buf, Bytes, BytesMut};

/// The contiguous owned region (see the module documentation).
#[derive(Debug, Default)]
pub(super) struct Region {
    pub(super) bytes: BytesMut,
    pub(super) head: usize,
    pub(super) filled: usize,
}

impl Region {
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.filled - self.head
    }

    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.filled == self.head
    }

    #[inline]
    pub(super) fn data(&self) -> &[u8] {
        self.bytes.get(self.head..self.filled).unwrap_or_default()
    }

    /// At least `min` bytes of initialised spare room after the data.
    pub(super) fn spare_mut(&mut self, min: usize) -> &mut [u8] {
        if self.bytes.len() - self.filled < min {
            self.make_room(min);
        }
        self.bytes.get_mut(self.filled..).unwrap_or_default()
    }

    /// The spare room, as written by the driver.
    pub(super) fn spare(&self) -> &[u8] {
        self.bytes.get(self.filled..).unwrap_or_default()
    }

    pub(super) fn commit(&mut self, n: usize) -> bool {
        if n > self.bytes.len() - self.filled {
            return false;
        }
        self.filled += n;
        true
    }

    /// Appends a copy of `src`.
    #[inline]
    pub(super) fn extend(&mut self, src: &[u8]) {
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
    pub(super) fn extend_short_of_room(&mut self, src: &[u8]) {
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
    pub(super) fn reserve(&mut self, additional: usize) -> bool {
        if self.bytes.len() - self.filled >= additional {
            return true;
        }
        if self.bytes.len() - self.len() >= additional {
            self.compact();
            return true;
        }
        self.bytes.truncate(self.filled);
        self.release_head();
        if self.bytes.is_empty() && !self.bytes.try_reclaim(additional) {
            // The memory is shared with chunks a reader still holds: a
            // fresh buffer of just this size (`reserve` would round it up
            // to the size first allocated, and a driver near its pause
            // threshold asks for little: memory is bounded by what it may
            // receive, not by what it once received).
            self.bytes = BytesMut::with_capacity(additional);
        } else {
            self.bytes.reserve(additional);
        }
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
    pub(super) fn split_front(&mut self, n: usize) -> Bytes {
        let n = n.min(self.len());
        self.release_head();
        self.filled -= n;
        self.bytes.split_to(n).freeze()
    }

    /// Removes and returns all the data, without copying.
    pub(super) fn take_all(&mut self) -> BytesMut {
        let n = self.len();
        self.release_head();
        self.filled = 0;
        self.bytes.split_to(n)
    }

    /// Drops the consumed prefix for real.
    #[inline]
    pub(super) fn release_head(&mut self) {
        if self.head > 0 {
            self.bytes.advance(self.head);
            self.filled -= self.head;
            self.head = 0;
        }
    }

    /// Moves the data to the front of the initialised region, keeping all
    /// of it: the borrowing fast path's compaction, without zeroing.
    pub(super) fn compact(&mut self) {
        if self.head > 0 {
            self.bytes.copy_within(self.head..self.filled, 0);
            self.filled -= self.head;
            self.head = 0;
        }
    }

    /// Compacts and grows so that at least `min` bytes of spare room follow
    /// the data, zeroing `min` bytes of new room and no more: an allocator
    /// may hand out more capacity than asked for, and zeroing all of it
    /// would make that memory resident for nothing (a driver never
    /// receives into more than it asked for).
    #[cold]
    pub(super) fn make_room(&mut self, min: usize) {
        if !self.reserve(min) {
            let end = self.filled.saturating_add(min);
            self.bytes.resize(end, 0);
        }
    }
}
