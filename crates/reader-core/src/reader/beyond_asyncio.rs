//! What [`Reader`] offers beyond asyncio's `StreamReader`: a limit that
//! can change, discarding without allocating, and the buffered bytes lent
//! in place (the primitive under `BufRead`-style traits).

use super::Reader;
use crate::error::{InvalidArgument, ReadError};
use crate::flow;
use core::task::Poll;

impl<E> Reader<E> {
    /// Changes the buffer limit of a live reader (beyond asyncio, whose
    /// limit is fixed when the reader is made): a protocol with short
    /// command lines and long bodies (SMTP's `DATA`, say) can read each
    /// with its own limit. The next read uses the new limit, and flow
    /// control applies it at once: reading pauses if more than twice the
    /// new limit is buffered, and a paused reader resumes if the buffer is
    /// at or below it. A limit of 0 is refused, as [`new`](Self::new)
    /// refuses it, and changes nothing.
    ///
    /// ```
    /// use reader_core::{ReadError, Reader};
    /// use std::task::Poll;
    ///
    /// let mut r: Reader<()> = Reader::new(8).unwrap();
    /// r.feed(b"DATA\nabcdefghijklmnop\n").unwrap();
    /// assert_eq!(r.readline(), Poll::Ready(Ok("DATA\n".into())));
    /// r.set_limit(1024).unwrap(); // the body may be longer
    /// assert_eq!(r.readline(), Poll::Ready(Ok("abcdefghijklmnop\n".into())));
    /// ```
    pub fn set_limit(&mut self, limit: usize) -> Result<(), InvalidArgument> {
        if limit == 0 {
            return Err(InvalidArgument::ZeroLimit);
        }
        self.limit = limit;
        let len = self.flow_len();
        if self.paused {
            if flow::should_resume(len, limit) {
                self.paused = false;
            }
        } else if flow::should_pause(len, limit) {
            self.paused = true;
        }
        Ok(())
    }

    /// Drops up to `n` buffered bytes from the front and returns how many
    /// it dropped (fewer when fewer are buffered), without allocating or
    /// copying anything (beyond asyncio, where skipping means reading into
    /// a throwaway `bytes`). The way out of a
    /// [`LimitOverrun`](ReadError::LimitOverrun): discard `consumed` bytes
    /// and search again. Works after a stored error too (the bytes are
    /// still buffered); flow control counts what is left.
    ///
    /// ```
    /// use reader_core::{ReadError, Reader};
    /// use std::task::Poll;
    ///
    /// let mut r: Reader<()> = Reader::new(4).unwrap();
    /// r.feed(b"0123456789;ok;").unwrap();
    /// let Poll::Ready(Err(ReadError::LimitOverrun { consumed, .. })) = r.readuntil(b";") else {
    ///     panic!()
    /// };
    /// assert_eq!(r.discard(consumed + 1), 11); // the long chunk and its separator
    /// assert_eq!(r.readuntil(b";"), Poll::Ready(Ok("ok;".into())));
    /// ```
    pub fn discard(&mut self, n: usize) -> usize {
        // Like every read: a `read_to_eof` that was waiting is over.
        self.collected = None;
        let n = n.min(self.buf.len());
        self.buf.consume(n);
        // Bytes an interrupted `read_to_eof` had gathered lie in front.
        self.orphaned = self.orphaned.saturating_sub(n);
        self.consumed();
        n
    }
}

impl<E: Clone> Reader<E> {
    /// The buffered bytes, lent in place without consuming them: the first
    /// contiguous piece of the buffer (all of it, unless
    /// [`feed_bytes`](Self::feed_bytes) queued chunks), never empty while
    /// anything is buffered; an empty slice at EOF with nothing left;
    /// `Pending` while nothing is buffered (and, as every read that waits,
    /// it resumes reading); the stored error once there is one. Consume
    /// what was used with [`discard`](Self::discard). This is the
    /// primitive of `BufRead::fill_buf` / `consume`.
    ///
    /// ```
    /// use reader_core::Reader;
    /// use std::task::Poll;
    ///
    /// let mut r: Reader<()> = Reader::default();
    /// assert!(r.fill_buf().is_pending());
    /// r.feed(b"abc").unwrap();
    /// assert_eq!(r.fill_buf(), Poll::Ready(Ok(&b"abc"[..])));
    /// r.discard(2);
    /// r.feed_eof();
    /// assert_eq!(r.fill_buf(), Poll::Ready(Ok(&b"c"[..])));
    /// r.discard(1);
    /// assert_eq!(r.fill_buf(), Poll::Ready(Ok(&b""[..])));
    /// ```
    pub fn fill_buf(&mut self) -> Poll<Result<&[u8], ReadError<E>>> {
        self.begin()?;
        if self.buf.is_empty() && !self.eof {
            return self.wait();
        }
        Poll::Ready(Ok(self.buf.front()))
    }
}
