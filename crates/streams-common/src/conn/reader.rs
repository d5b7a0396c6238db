//! The reading half of a connection: the application's reader core, fed
//! from the [`Connection`](crate::connection::Connection) when news arrived.

use super::lines::{IntoLines, Lines};
use super::{set_waker, Shared};
use crate::error::{ReadError, StoredError};
use bytes::Bytes;
use reader_core::{Reader, Separators};
use std::fmt;
use std::future::poll_fn;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};

mod beyond_asyncio;
#[cfg(any(feature = "tokio-io", feature = "futures-io"))]
mod in_place;

/// The reading half of a connection: asyncio's `StreamReader`.
///
/// Every read is cancel-safe: a read future that is dropped before it
/// completes (a timeout, a `select!`) consumes nothing, and the next read
/// sees every byte. One read at a time is a compile-time rule (`&mut self`),
/// where asyncio raises "another coroutine is already waiting".
///
/// Reads fail with [`ReadError`]: asyncio's `IncompleteReadError`,
/// `LimitOverrunError`, the over-long-line `ValueError`, or the error the
/// connection ended with (a reset, say). A `ReadError` converts into an
/// [`io::Error`](std::io::Error) with a fitting kind, so `?` works in a
/// function that returns `io::Result`.
///
/// Beyond asyncio: the limit can change on a live reader
/// ([`set_limit`](Self::set_limit)), buffered bytes can be dropped without
/// allocating ([`discard`](Self::discard)) or looked at without consuming
/// them ([`buffered`](Self::buffered)), and with the `tokio-io` or
/// `futures-io` feature (the adapters turn them on) the reader implements
/// the standard `AsyncRead` and `AsyncBufRead` traits.
pub struct StreamReader {
    shared: Arc<Shared>,
    /// The reader's own core: bytes already taken from the inbox. Kept out
    /// of the shared state so that reading what is buffered takes no lock.
    core: Reader<StoredError>,
    /// The length last stored in [`Shared::reader_len`](super::Shared):
    /// never below what the core holds.
    published: usize,
}

impl Drop for StreamReader {
    fn drop(&mut self) {
        // A reader alone (`transport::open_reader`) owns its connection.
        self.shared.reader_dropped();
    }
}

impl fmt::Debug for StreamReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamReader")
            .field("buffered", &self.buffered_len())
            .field("limit", &self.core.limit())
            .field("eof", &self.core.eof_received())
            .field("exception", &self.exception())
            .finish()
    }
}

impl StreamReader {
    pub(super) fn new(shared: Arc<Shared>, limit: usize) -> StreamReader {
        StreamReader {
            shared,
            core: Reader::new(limit).unwrap_or_default(),
            published: 0,
        }
    }

    #[cfg(feature = "tls")]
    /// Whether this reader belongs to the connection `shared`.
    pub(super) fn is_of(&self, shared: &Arc<Shared>) -> bool {
        Arc::ptr_eq(&self.shared, shared)
    }

    #[cfg(feature = "tls")]
    /// The reader's core (for `start_tls`'s hand-back).
    pub(super) fn core_mut(&mut self) -> &mut Reader<StoredError> {
        &mut self.core
    }

    /// After the core consumed data: publishes its length and resumes a
    /// driver the consumption unpaused.
    #[inline]
    fn settle(
        shared: &Shared,
        core: &Reader<StoredError>,
        published: &mut usize,
        was_paused: bool,
    ) {
        let len = core.len();
        // Published when it fell to half of what the driver last saw (or
        // to 0): the driver never counts less than the reader holds, at
        // most twice as much, and a busy reader does not store on every
        // line.
        if len <= *published / 2 && len != *published {
            shared.reader_len.store(len, Ordering::Relaxed);
            *published = len;
            if len == 0 {
                // All input consumed: what is written next answers it.
                shared.input_drained.store(true, Ordering::Relaxed);
            }
        }
        if was_paused && !core.reading_paused() {
            shared.lock().core.reader_len(core.len(), false);
        }
    }

    /// Runs `op` on the core: without a lock while nothing new arrived and
    /// the op completes; with it to take news, to wait, or to resume a
    /// paused driver.
    pub(super) fn poll_op<T>(
        &mut self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&mut Reader<StoredError>) -> Poll<T>,
    ) -> Poll<T> {
        self.sync();
        let Self {
            shared,
            core,
            published,
        } = self;
        loop {
            let was_paused = core.reading_paused();
            let r = op(core);
            if r.is_ready() {
                Self::settle(shared, core, published, was_paused);
                return r;
            }
            // Pending: look again under the lock, so that data arriving
            // now is either seen here or wakes us.
            let mut st = shared.lock();
            let again = st.core.has_news();
            if again {
                st.core.sync_reader(core);
            } else {
                set_waker(&mut st.wakers.reader, cx);
                // The core resumed before waiting (asyncio's rule).
                st.core.reader_len(core.len(), core.reading_paused());
            }
            *published = core.len();
            shared.reader_len.store(*published, Ordering::Relaxed);
            drop(st);
            if !again {
                return Poll::Pending;
            }
        }
    }

    /// Up to `n` bytes, once any are available; an empty `Bytes` at EOF.
    /// `read(0)` returns at once (or reports a stored error).
    pub async fn read(&mut self, n: usize) -> Result<Bytes, ReadError> {
        poll_fn(|cx| self.poll_op(cx, |r| r.read(n))).await
    }

    /// Everything until EOF (asyncio's `read()` / `read(-1)`).
    pub async fn read_to_eof(&mut self) -> Result<Bytes, ReadError> {
        poll_fn(|cx| self.poll_op(cx, |r| r.read_to_eof())).await
    }

    /// One line, ending with `\n`; at EOF the rest without it, or an empty
    /// `Bytes` when nothing is left. A line longer than the limit is
    /// discarded and reported as [`ReadError::LineTooLong`].
    ///
    /// ```no_run
    /// # async fn f(reader: &mut streams_common::StreamReader) -> Result<(), streams_common::ReadError> {
    /// let line = reader.readline().await?;
    /// # Ok(()) }
    /// ```
    pub async fn readline(&mut self) -> Result<Bytes, ReadError> {
        poll_fn(|cx| self.poll_op(cx, |r| r.readline())).await
    }

    /// Exactly `n` bytes; [`ReadError::Incomplete`] with what arrived if
    /// EOF comes first.
    pub async fn readexactly(&mut self, n: usize) -> Result<Bytes, ReadError> {
        poll_fn(|cx| self.poll_op(cx, |r| r.readexactly(n))).await
    }

    /// Data up to and including a separator, or the earliest-ending of
    /// several (`b"\r\n"`, `&[b"\n".as_slice(), b"\r"]`).
    pub async fn readuntil<'s>(
        &mut self,
        separators: impl Into<Separators<'s>>,
    ) -> Result<Bytes, ReadError> {
        let seps = separators.into();
        poll_fn(|cx| self.poll_op(cx, |r| r.readuntil(seps))).await
    }

    /// [`readline`](Self::readline) into a buffer of yours: appends the
    /// line to `buf` and returns its length (0 at EOF), with the same
    /// errors. No allocation and no reference counting per line, like
    /// tokio's `read_until` into a reused `Vec`: the fastest way to read
    /// lines. Cancel-safe: `buf` is only touched when a line is complete.
    ///
    /// ```no_run
    /// # async fn f(mut reader: streams_common::StreamReader) -> Result<(), streams_common::ReadError> {
    /// let mut line = Vec::new();
    /// while reader.readline_into(&mut line).await? > 0 {
    ///     print!("{}", String::from_utf8_lossy(&line));
    ///     line.clear();
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn readline_into(&mut self, buf: &mut Vec<u8>) -> Result<usize, ReadError> {
        poll_fn(|cx| {
            self.poll_op(cx, |r| {
                r.readline_borrowed().map_ok(|line| {
                    buf.extend_from_slice(line);
                    line.len()
                })
            })
        })
        .await
    }

    /// [`readuntil`](Self::readuntil) into a buffer of yours: appends the
    /// chunk to `buf` and returns its length, with the same errors (the
    /// data an [`Incomplete`](ReadError::Incomplete) error carries is not
    /// appended).
    pub async fn readuntil_into<'s>(
        &mut self,
        separators: impl Into<Separators<'s>>,
        buf: &mut Vec<u8>,
    ) -> Result<usize, ReadError> {
        let seps = separators.into();
        poll_fn(|cx| {
            self.poll_op(cx, |r| {
                r.readuntil_borrowed(seps).map_ok(|chunk| {
                    buf.extend_from_slice(chunk);
                    chunk.len()
                })
            })
        })
        .await
    }

    /// [`readexactly`](Self::readexactly) into a buffer of yours: appends
    /// exactly `n` bytes to `buf`, with the same errors (at EOF before `n`
    /// bytes, [`ReadError::Incomplete`] carrying what arrived, which is not
    /// appended). One copy into `buf`, and no `Bytes` or reference count.
    ///
    /// Cancel-safe: `buf` is touched only when all `n` bytes are there, and
    /// they are then appended and consumed in one step. A call dropped
    /// before it completes leaves `buf` exactly as it was and consumes
    /// nothing: every byte that arrived meanwhile stays buffered for the
    /// next read. (Like `readexactly`, it waits for the `n` bytes in the
    /// reader's buffer, so an `n` above twice the limit keeps reading
    /// resumed until they are all there.)
    ///
    /// ```no_run
    /// # async fn f(reader: &mut streams_common::StreamReader) -> Result<(), streams_common::ReadError> {
    /// // A Redis bulk string: "$5\r\nhello\r\n".
    /// let mut header = Vec::new();
    /// reader.readuntil_into(b"\r\n", &mut header).await?;
    /// let len: usize = std::str::from_utf8(&header[1..header.len() - 2]).unwrap().parse().unwrap();
    /// let mut value = Vec::new();
    /// reader.readexactly_into(len + 2, &mut value).await?;
    /// value.truncate(len); // without its "\r\n"
    /// # Ok(()) }
    /// ```
    pub async fn readexactly_into(&mut self, n: usize, buf: &mut Vec<u8>) -> Result<(), ReadError> {
        poll_fn(|cx| self.poll_op(cx, |r| r.readexactly_into(n, buf))).await
    }

    /// Whether EOF was received and everything was read.
    #[must_use]
    pub fn at_eof(&mut self) -> bool {
        self.sync();
        self.core.at_eof()
    }

    /// The error the connection ended with, if any (asyncio's
    /// `exception()`).
    #[must_use]
    pub fn exception(&self) -> Option<StoredError> {
        match self.core.error() {
            Some(e) => Some(e.clone()),
            None => self.shared.lock().core.error().cloned(),
        }
    }

    /// The buffer limit.
    #[must_use]
    pub fn limit(&self) -> usize {
        self.core.limit()
    }

    /// How many received bytes wait in the buffer.
    #[must_use]
    pub fn buffered_len(&self) -> usize {
        self.core.len() + self.shared.lock().core.received_len()
    }

    /// Removes and returns every buffered byte, for handing the stream over
    /// to another protocol.
    #[must_use = "the bytes are removed from the reader: dropping them loses them"]
    pub fn take_buffered(&mut self) -> bytes::BytesMut {
        self.sync();
        let out = self.core.take_buffered();
        let mut st = self.shared.lock();
        st.core.reader_len(0, false);
        self.published = 0;
        self.shared.reader_len.store(0, Ordering::Relaxed);
        drop(st);
        out
    }

    /// Takes whatever the driver received since the last read.
    #[inline]
    fn sync(&mut self) {
        if self.shared.news.load(Ordering::Acquire) {
            let mut st = self.shared.lock();
            st.core.sync_reader(&mut self.core);
            self.published = self.core.len();
            self.shared
                .reader_len
                .store(self.published, Ordering::Relaxed);
        }
    }

    /// The lines of the stream as a [`Stream`](futures_core::Stream),
    /// borrowing the reader (asyncio's `async for line in reader`): each
    /// item is one [`readline`](Self::readline); the stream ends at EOF,
    /// and after yielding an error (unless
    /// [`continue_after_line_too_long`](Lines::continue_after_line_too_long)
    /// lets it go on after an over-long line, as `readline` itself does).
    /// [`into_lines`](Self::into_lines) is the owned, `'static` one.
    ///
    /// Not called `lines()`: tokio's and futures' `AsyncBufReadExt::lines`
    /// take the reader by value and would be picked first.
    ///
    /// ```no_run
    /// use futures::StreamExt;
    /// # async fn f(mut reader: streams_common::StreamReader) {
    /// let mut lines = reader.line_stream();
    /// while let Some(line) = lines.next().await {
    ///     println!("{:?}", line);
    /// }
    /// # }
    /// ```
    #[must_use = "streams do nothing unless polled"]
    pub fn line_stream(&mut self) -> Lines<'_> {
        Lines::new(self)
    }

    /// [`line_stream`](Self::line_stream) that owns the reader: a
    /// `'static` stream to hand to a task, store in a struct, or return
    /// from a function; [`IntoLines::into_inner`] gives the reader back.
    ///
    /// ```no_run
    /// use futures::StreamExt;
    /// # fn f(reader: streams_common::StreamReader) -> impl futures::Stream<Item = streams_common::Bytes> + 'static {
    /// // Every line, skipping over-long ones; ends at EOF or another error.
    /// reader
    ///     .into_lines()
    ///     .continue_after_line_too_long()
    ///     .filter_map(|line| async move { line.ok() })
    /// # }
    /// ```
    #[must_use = "streams do nothing unless polled"]
    pub fn into_lines(self) -> IntoLines {
        IntoLines::new(self)
    }
}
