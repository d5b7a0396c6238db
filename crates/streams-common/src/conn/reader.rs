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
///
/// In the methods' examples, `peer` is the writer of the other end of an
/// in-memory [`pair`](crate::transport::pair) (set up in hidden lines).
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
    ///
    /// ```
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # smol::block_on(smol::future::or(async {
    /// # let ((mut reader, _writer), (_, peer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// peer.write(b"hello world")?;
    /// assert_eq!(reader.read(5).await?, "hello"); // at most 5 bytes
    /// assert_eq!(reader.read(100).await?, " world"); // what is there: no wait for 100
    /// peer.close();
    /// assert_eq!(reader.read(100).await?, ""); // EOF
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    pub async fn read(&mut self, n: usize) -> Result<Bytes, ReadError> {
        poll_fn(|cx| self.poll_op(cx, |r| r.read(n))).await
    }

    /// Everything until EOF (asyncio's `read()` / `read(-1)`).
    ///
    /// ```
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # smol::block_on(smol::future::or(async {
    /// # let ((mut reader, _writer), (_, peer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// peer.write(b"first\n")?;
    /// peer.write(b"second\n")?;
    /// peer.close(); // EOF once everything written is received
    /// assert_eq!(reader.read_to_eof().await?, "first\nsecond\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    pub async fn read_to_eof(&mut self) -> Result<Bytes, ReadError> {
        poll_fn(|cx| self.poll_op(cx, |r| r.read_to_eof())).await
    }

    /// One line, ending with `\n`; at EOF the rest without it, or an empty
    /// `Bytes` when nothing is left. A line longer than the limit is
    /// discarded and reported as [`ReadError::LineTooLong`].
    ///
    /// ```
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # smol::block_on(smol::future::or(async {
    /// # let ((mut reader, _writer), (_, peer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// peer.write(b"one\ntwo\nlast")?;
    /// peer.close();
    /// assert_eq!(reader.readline().await?, "one\n");
    /// assert_eq!(reader.readline().await?, "two\n");
    /// assert_eq!(reader.readline().await?, "last"); // at EOF: without a `\n`
    /// assert_eq!(reader.readline().await?, ""); // nothing left
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    pub async fn readline(&mut self) -> Result<Bytes, ReadError> {
        poll_fn(|cx| self.poll_op(cx, |r| r.readline())).await
    }

    /// Exactly `n` bytes; [`ReadError::Incomplete`] with what arrived if
    /// EOF comes first.
    ///
    /// ```
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # smol::block_on(smol::future::or(async {
    /// # let ((mut reader, _writer), (_, peer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// use streams_common::ReadError;
    /// peer.write(b"HEADbody")?;
    /// assert_eq!(reader.readexactly(4).await?, "HEAD");
    /// peer.close();
    /// // EOF before 10 bytes: asyncio's IncompleteReadError, with what arrived.
    /// let Err(ReadError::Incomplete { partial, expected }) = reader.readexactly(10).await else {
    ///     panic!("expected Incomplete");
    /// };
    /// assert_eq!((partial.as_ref(), expected), (&b"body"[..], Some(10)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    pub async fn readexactly(&mut self, n: usize) -> Result<Bytes, ReadError> {
        poll_fn(|cx| self.poll_op(cx, |r| r.readexactly(n))).await
    }

    /// Data up to and including a separator, or the earliest-ending of
    /// several (`b"\r\n"`, `&[b"\n".as_slice(), b"\r"]`).
    ///
    /// ```
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # smol::block_on(smol::future::or(async {
    /// # let ((mut reader, _writer), (_, peer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// use streams_common::ReadError;
    /// peer.write(b"key=value;rest")?;
    /// assert_eq!(reader.readuntil(b"=").await?, "key="); // the separator is kept
    /// // The earliest-ending of several separators:
    /// assert_eq!(reader.readuntil(&[b";".as_slice(), b"\n"]).await?, "value;");
    /// peer.close();
    /// // EOF before a separator: IncompleteReadError with the rest.
    /// let Err(ReadError::Incomplete { partial, .. }) = reader.readuntil(b";").await else {
    ///     panic!("expected Incomplete");
    /// };
    /// assert_eq!(partial, "rest");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
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
    /// ```
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # smol::block_on(smol::future::or(async {
    /// # let ((mut reader, _writer), (_, peer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// peer.write(b"one\ntwo\n")?;
    /// peer.close();
    /// let mut line = Vec::new();
    /// let mut lines = Vec::new();
    /// while reader.readline_into(&mut line).await? > 0 {
    ///     lines.push(String::from_utf8_lossy(&line).into_owned());
    ///     line.clear(); // reused: no allocation per line
    /// }
    /// assert_eq!(lines, ["one\n", "two\n"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
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
    ///
    /// ```
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # smol::block_on(smol::future::or(async {
    /// # let ((mut reader, _writer), (_, peer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// peer.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nbody")?;
    /// let mut head = Vec::new();
    /// let n = reader.readuntil_into(b"\r\n\r\n", &mut head).await?;
    /// assert_eq!(head, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"); // appended, separator kept
    /// assert_eq!(n, head.len());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
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
    /// ```
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # smol::block_on(smol::future::or(async {
    /// # let ((mut reader, _writer), (_, peer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// peer.write(b"$5\r\nhello\r\n")?; // a Redis bulk string
    /// let mut header = Vec::new();
    /// reader.readuntil_into(b"\r\n", &mut header).await?;
    /// let len: usize = std::str::from_utf8(&header[1..header.len() - 2])?.parse()?;
    /// let mut value = Vec::new();
    /// reader.readexactly_into(len + 2, &mut value).await?;
    /// value.truncate(len); // without its "\r\n"
    /// assert_eq!(value, b"hello");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    pub async fn readexactly_into(&mut self, n: usize, buf: &mut Vec<u8>) -> Result<(), ReadError> {
        poll_fn(|cx| self.poll_op(cx, |r| r.readexactly_into(n, buf))).await
    }

    /// Whether EOF was received and everything was read.
    ///
    /// ```
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # smol::block_on(smol::future::or(async {
    /// # let ((mut reader, _writer), (_, peer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// peer.write(b"last words")?;
    /// assert!(!reader.at_eof());
    /// peer.close();
    /// assert_eq!(reader.read_to_eof().await?, "last words");
    /// assert!(reader.at_eof()); // EOF received and everything read
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use]
    pub fn at_eof(&mut self) -> bool {
        self.sync();
        self.core.at_eof()
    }

    /// The error the connection ended with, if any (asyncio's
    /// `exception()`).
    ///
    /// ```
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # smol::block_on(smol::future::or(async {
    /// # let ((mut reader, _writer), (_, peer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// use std::io::ErrorKind;
    /// assert!(reader.exception().is_none());
    /// peer.abort(); // this end sees a reset
    /// let error = reader.read(100).await.unwrap_err(); // every read reports it now
    /// assert_eq!(std::io::Error::from(error).kind(), ErrorKind::ConnectionReset);
    /// assert_eq!(reader.exception().map(|e| e.kind()), Some(ErrorKind::ConnectionReset));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use]
    pub fn exception(&self) -> Option<StoredError> {
        match self.core.error() {
            Some(e) => Some(e.clone()),
            None => self.shared.lock().core.error().cloned(),
        }
    }

    /// The buffer limit.
    ///
    /// ```
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # smol::block_on(smol::future::or(async {
    /// # let ((mut reader, _writer), (_, peer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// assert_eq!(reader.limit(), 64 * 1024); // asyncio's default (`limit=` changes it)
    /// reader.set_limit(1024)?;
    /// assert_eq!(reader.limit(), 1024);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use]
    pub fn limit(&self) -> usize {
        self.core.limit()
    }

    /// How many received bytes wait in the buffer.
    ///
    /// ```
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # smol::block_on(smol::future::or(async {
    /// # let ((mut reader, _writer), (_, peer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// assert_eq!(reader.buffered_len(), 0);
    /// peer.write(b"one\ntwo\n")?;
    /// assert_eq!(reader.readline().await?, "one\n");
    /// assert_eq!(reader.buffered_len(), 4); // "two\n" waits
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use]
    pub fn buffered_len(&self) -> usize {
        self.core.len() + self.shared.lock().core.received_len()
    }

    /// Removes and returns every buffered byte, for handing the stream over
    /// to another protocol.
    ///
    /// ```
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # smol::block_on(smol::future::or(async {
    /// # let ((mut reader, _writer), (_, peer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// peer.write(b"UPGRADE\r\n\x00\x01binary")?;
    /// assert_eq!(reader.readline().await?, "UPGRADE\r\n");
    /// // The bytes of the next protocol that came with the line:
    /// let rest = reader.take_buffered();
    /// assert_eq!(&rest[..], b"\x00\x01binary");
    /// assert_eq!(reader.buffered_len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
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
    /// ```
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # smol::block_on(smol::future::or(async {
    /// # let ((mut reader, _writer), (_, peer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// use futures::StreamExt;
    /// peer.write(b"one\ntwo\n")?;
    /// peer.close();
    /// let mut lines = reader.line_stream();
    /// let mut seen = Vec::new();
    /// while let Some(line) = lines.next().await {
    ///     seen.push(line?);
    /// }
    /// assert_eq!(seen, ["one\n", "two\n"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "streams do nothing unless polled"]
    pub fn line_stream(&mut self) -> Lines<'_> {
        Lines::new(self)
    }

    /// [`line_stream`](Self::line_stream) that owns the reader: a
    /// `'static` stream to hand to a task, store in a struct, or return
    /// from a function; [`IntoLines::into_inner`] gives the reader back.
    ///
    /// ```
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # smol::block_on(smol::future::or(async {
    /// # let ((mut reader, _writer), (_, peer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// use futures::StreamExt;
    /// peer.write(b"HELLO\nbody")?;
    /// // Owned and 'static: the stream can be stored or moved into a task.
    /// let mut lines = reader.into_lines();
    /// assert_eq!(lines.next().await.unwrap()?, "HELLO\n");
    /// let mut reader = lines.into_inner(); // back, to read the rest otherwise
    /// assert_eq!(reader.readexactly(4).await?, "body");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "streams do nothing unless polled"]
    pub fn into_lines(self) -> IntoLines {
        IntoLines::new(self)
    }
}
