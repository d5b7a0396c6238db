//! What goes into a [`Reader`]: bytes (copied, adopted without a copy, or
//! received straight into its spare room), EOF, an error; and the bytes
//! handed back out for another protocol.

use super::{Reader, MAX_SPARE_CAPACITY};
use crate::error::{InvalidArgument, ReadError};
use bytes::{Bytes, BytesMut};

impl<E> Reader<E> {
    /// Appends a copy of `data` (asyncio's `feed_data`). An empty slice is
    /// a no-op, except after EOF where any feed is an error and nothing is
    /// taken.
    ///
    /// ```
    /// use reader_core::{ReadError, Reader};
    ///
    /// let mut r: Reader<()> = Reader::default();
    /// r.feed(b"abc").unwrap();
    /// r.feed(b"").unwrap(); // a no-op
    /// r.feed_eof();
    /// assert_eq!(r.feed(b"late"), Err(ReadError::FeedAfterEof)); // asyncio asserts
    /// assert_eq!(r.len(), 3); // nothing taken
    /// ```
    pub fn feed(&mut self, data: &[u8]) -> Result<(), ReadError<E>> {
        self.check_feed()?;
        if !data.is_empty() {
            self.buf.extend(data);
            self.after_feed();
        }
        Ok(())
    }

    /// Appends owned bytes without copying them: `data` is queued behind the
    /// buffered bytes (or, when nothing is buffered and `data` is the only
    /// handle to its memory, becomes the buffer), shared memory included,
    /// such as slices of one larger `Bytes`. Inputs under 512 bytes are
    /// copied instead, which keeps many tiny feeds cheap.
    ///
    /// Lines inside a chunk are then searched, lent and split off in place;
    /// only a line straddling two chunks is copied, once. The results and
    /// flow-control decisions are exactly those of [`feed`](Self::feed).
    ///
    /// ```
    /// use reader_core::{Bytes, Reader};
    /// use std::task::Poll;
    ///
    /// let chunk = Bytes::from(b"a line\n".repeat(100)); // 700 bytes, as received
    /// let mut r: Reader<()> = Reader::default();
    /// r.feed_bytes(chunk.clone()).unwrap();
    /// let Poll::Ready(Ok(line)) = r.readline() else { unreachable!() };
    /// assert_eq!(line, "a line\n");
    /// assert_eq!(line.as_ptr(), chunk.as_ptr()); // the chunk's own memory: no copy
    /// ```
    pub fn feed_bytes(&mut self, data: Bytes) -> Result<(), ReadError<E>> {
        self.check_feed()?;
        if !data.is_empty() {
            self.buf.extend_owned(data);
            self.after_feed();
        }
        Ok(())
    }

    /// At least `min` bytes of spare room behind the buffered data, for a
    /// driver to read into directly; then [`commit`](Self::commit) how many
    /// bytes it wrote. The room is initialised memory (zeroed once when the
    /// buffer grows, then reused), so it can go straight to a `read` call.
    ///
    /// `min` is clamped to [`MAX_SPARE_CAPACITY`]: any size, up to
    /// `usize::MAX`, gets a room of at least `min.min(MAX_SPARE_CAPACITY)`
    /// bytes (never an empty one, which a `read` would report as EOF), and
    /// never a panic. Commit only what was written into the returned room.
    ///
    /// ```
    /// use reader_core::Reader;
    /// use std::io::Read;
    ///
    /// let mut socket: &[u8] = b"ping\n";          // any `std::io::Read`
    /// let mut r: Reader<std::io::ErrorKind> = Reader::default();
    /// let n = socket.read(r.spare_capacity(4096)).unwrap();
    /// r.commit(n).unwrap();
    /// assert_eq!(&*r.buffered(), b"ping\n");
    /// ```
    pub fn spare_capacity(&mut self, min: usize) -> &mut [u8] {
        self.buf.spare_mut(min.min(MAX_SPARE_CAPACITY))
    }

    /// Marks `n` bytes written into [`spare_capacity`](Self::spare_capacity)
    /// as received. Committing more than the room handed out is an error
    /// and takes nothing; so is committing after EOF.
    ///
    /// ```
    /// use reader_core::{InvalidArgument, ReadError, Reader};
    ///
    /// let mut r: Reader<()> = Reader::default();
    /// let room = r.spare_capacity(16);
    /// room[..3].copy_from_slice(b"abc"); // what a `read` into `room` returned
    /// r.commit(3).unwrap();
    /// assert_eq!(&*r.buffered(), b"abc");
    /// let room = r.spare_capacity(16).len();
    /// assert_eq!(
    ///     r.commit(room + 1),
    ///     Err(ReadError::InvalidArgument(InvalidArgument::CommitOverflow))
    /// );
    /// assert_eq!(r.len(), 3); // nothing taken
    /// ```
    pub fn commit(&mut self, n: usize) -> Result<(), ReadError<E>> {
        self.check_feed()?;
        if !self.buf.commit(n) {
            return Err(InvalidArgument::CommitOverflow.into());
        }
        if n > 0 {
            self.after_feed();
        }
        Ok(())
    }

    /// The transport reached EOF (asyncio's `feed_eof`). Idempotent.
    ///
    /// ```
    /// use reader_core::Reader;
    /// use std::task::Poll;
    ///
    /// let mut r: Reader<()> = Reader::default();
    /// r.feed(b"no newline").unwrap();
    /// assert!(r.readline().is_pending());
    /// r.feed_eof();
    /// r.feed_eof(); // idempotent
    /// assert_eq!(r.readline(), Poll::Ready(Ok("no newline".into()))); // what is left
    /// assert_eq!(r.readline(), Poll::Ready(Ok("".into()))); // then nothing
    /// ```
    pub fn feed_eof(&mut self) {
        self.eof = true;
    }

    /// Stores an error (asyncio's `set_exception`), replacing any earlier
    /// one. Every read reports it from now on; buffered bytes stay
    /// available to [`take_buffered`](Self::take_buffered).
    ///
    /// ```
    /// use reader_core::{ReadError, Reader};
    /// use std::task::Poll;
    ///
    /// let mut r: Reader<&str> = Reader::default();
    /// r.feed(b"unread").unwrap();
    /// r.set_error("timeout");
    /// r.set_error("reset"); // replaces it
    /// assert_eq!(r.readline(), Poll::Ready(Err(ReadError::Stored("reset"))));
    /// assert_eq!(r.read(0), Poll::Ready(Err(ReadError::Stored("reset")))); // even read(0)
    /// assert_eq!(&r.take_buffered()[..], b"unread"); // not lost
    /// ```
    pub fn set_error(&mut self, error: E) {
        self.error = Some(error);
        if let Some(collected) = self.collected.take() {
            self.orphaned = collected;
        }
    }

    /// Removes and returns every buffered byte, for a driver that hands the
    /// stream over to something else (a TLS layer after `start_tls`,
    /// another protocol). Nothing is lost: this includes bytes that a
    /// `read_to_eof` had gathered when an error arrived.
    ///
    /// ```
    /// use reader_core::Reader;
    /// use std::task::Poll;
    ///
    /// let mut r: Reader<()> = Reader::default();
    /// r.feed(b"STARTTLS\r\n\x16\x03\x01").unwrap(); // the command, then a ClientHello
    /// assert_eq!(r.readuntil(b"\r\n"), Poll::Ready(Ok("STARTTLS\r\n".into())));
    /// assert_eq!(&r.take_buffered()[..], b"\x16\x03\x01"); // for the TLS layer
    /// assert!(r.is_empty());
    ///
    /// r.feed(b"gathered").unwrap();
    /// assert!(r.read_to_eof().is_pending());
    /// r.set_error(()); // asyncio would lose the bytes its read(-1) gathered
    /// assert_eq!(&r.take_buffered()[..], b"gathered");
    /// ```
    #[must_use = "the bytes are removed from the reader: dropping them loses them"]
    pub fn take_buffered(&mut self) -> BytesMut {
        self.collected = None;
        self.orphaned = 0;
        let out = self.buf.take_all();
        self.consumed();
        out
    }
}
