//! One connection: the state shared by its [`StreamReader`], its
//! [`StreamWriter`] and its driver task (asyncio's transport and protocol).
//!
//! The driver task owns the socket's I/O, as asyncio's transport does: it
//! reads into the reader core while the core does not say "paused", and
//! sends whatever the application buffered, all of it in one system call,
//! whenever there is some. The application never waits for the socket
//! except through `drain()` (flow control) and the reads.

use crate::addr::Address;
use crate::error::{clone_io_error, connection_lost, ReadError, StoredError};
use crate::runtime::{BoxFuture, Socket};
use crate::write_state::{
    Action, DrainEnd, DrainStart, LimitsError, WriteError, WriteState, Written,
};
use bytes::Bytes;
use futures_core::Stream;
use reader_core::{Reader, Separators};
use socket2::SockRef;
use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// How much room the driver offers each `recv`.
const READ_SIZE: usize = 64 * 1024;
/// How many `recv`/`send` calls the driver makes in one turn before it
/// yields to other tasks.
const IO_PER_TURN: usize = 16;

/// Called once when the connection's socket has been closed.
pub(crate) type OnFinished = Box<dyn FnOnce() + Send>;

pub(crate) struct State {
    pub(crate) reader: Reader<StoredError>,
    pub(crate) write: WriteState<StoredError>,
    sock: Option<Box<dyn Socket>>,
    read_eof: bool,
    /// The socket is closed and the driver has ended.
    finished: bool,
    read_waker: Option<Waker>,
    driver_waker: Option<Waker>,
    drain_wakers: Vec<Waker>,
    closed_wakers: Vec<Waker>,
    on_finished: Option<OnFinished>,
}

/// The part of a connection every handle shares.
pub(crate) struct Shared {
    state: Mutex<State>,
    peername: Option<Address>,
    sockname: Option<Address>,
    is_tcp: bool,
}

/// Wakers collected under the lock, woken after it is released.
#[derive(Default)]
struct ToWake(Vec<Waker>);

impl ToWake {
    fn add(&mut self, w: Option<Waker>) {
        if let Some(w) = w {
            self.0.push(w);
        }
    }
    fn all(&mut self, ws: &mut Vec<Waker>) {
        self.0.append(ws);
    }
    fn wake(self) {
        for w in self.0 {
            w.wake();
        }
    }
}

fn register(list: &mut Vec<Waker>, cx: &Context<'_>) {
    if !list.iter().any(|w| w.will_wake(cx.waker())) {
        list.push(cx.waker().clone());
    }
}

fn set_waker(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(w) if w.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

impl State {
    /// asyncio's `connection_lost(exc)` for the stream protocol: the reader
    /// gets EOF or the error, the write side ends, and everyone waiting is
    /// woken. Only the first call counts.
    fn lose(&mut self, error: Option<io::Error>, wake: &mut ToWake) {
        if self.write.is_lost() {
            return;
        }
        let stored = error.map(Arc::new);
        match &stored {
            Some(e) => self.reader.set_error(e.clone()),
            None => self.reader.feed_eof(),
        }
        self.write.connection_lost(stored);
        wake.add(self.read_waker.take());
        wake.add(self.driver_waker.take());
        wake.all(&mut self.drain_wakers);
    }
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while the lock was held cannot leave the state half
        // updated in a way that matters more than losing the connection.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// asyncio's `close()`: flush, then close. Idempotent.
    pub(crate) fn close(&self) {
        let mut wake = ToWake::default();
        {
            let mut st = self.lock();
            if st.write.close() {
                if st.write.action() == Action::Close {
                    // Nothing to flush: the connection ends now.
                    st.lose(None, &mut wake);
                }
                wake.add(st.driver_waker.take());
                // No more data is delivered to the reader.
                wake.add(st.read_waker.take());
            }
        }
        wake.wake();
    }

    /// asyncio's `abort()`: drop the buffer and close.
    pub(crate) fn abort(&self) {
        let mut wake = ToWake::default();
        self.lock().lose(None, &mut wake);
        wake.wake();
    }

    /// One turn of the driver.
    fn poll_drive(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut wake = ToWake::default();
        let mut guard = self.lock();
        let st = &mut *guard;
        set_waker(&mut st.driver_waker, cx);
        let mut budget = IO_PER_TURN;

        // Receive, while the reader wants data.
        while !st.write.is_closing() && !st.read_eof && !st.reader.reading_paused() {
            let Some(sock) = st.sock.as_deref() else {
                break;
            };
            if budget == 0 {
                cx.waker().wake_by_ref();
                break;
            }
            budget -= 1;
            let buf = st.reader.spare_capacity(READ_SIZE);
            match crate::runtime::poll_io(cx, |cx| sock.poll_read_ready(cx), || sock.try_read(buf))
            {
                Poll::Ready(Ok(0)) => {
                    st.read_eof = true;
                    st.reader.feed_eof();
                    wake.add(st.read_waker.take());
                }
                Poll::Ready(Ok(n)) => {
                    // Cannot fail: n fits the room and EOF was not fed.
                    let _ = st.reader.commit(n);
                    wake.add(st.read_waker.take());
                }
                Poll::Ready(Err(e)) => {
                    tracing::debug!("receive failed: {e}");
                    st.lose(Some(e), &mut wake);
                }
                Poll::Pending => break,
            }
        }

        // Send, shut down, or close.
        let mut budget = IO_PER_TURN;
        loop {
            match st.write.action() {
                Action::Idle => break,
                Action::Send => {
                    let Some(sock) = st.sock.as_deref() else {
                        st.lose(None, &mut wake);
                        continue;
                    };
                    if budget == 0 {
                        cx.waker().wake_by_ref();
                        break;
                    }
                    budget -= 1;
                    let pending = st.write.pending();
                    let r = crate::runtime::poll_io(
                        cx,
                        |cx| sock.poll_write_ready(cx),
                        || sock.try_write_vectored(&[IoSlice::new(pending)]),
                    );
                    match r {
                        Poll::Ready(Ok(n)) => {
                            if st.write.sent(n) {
                                wake.all(&mut st.drain_wakers);
                            }
                        }
                        Poll::Ready(Err(e)) => {
                            tracing::debug!("Fatal write error on socket transport: {e}");
                            st.lose(Some(e), &mut wake);
                        }
                        Poll::Pending => break,
                    }
                }
                Action::ShutdownWrite => {
                    st.write.eof_sent();
                    if let Some(sock) = st.sock.as_deref() {
                        if let Err(e) =
                            SockRef::from(&sock.as_fd()).shutdown(std::net::Shutdown::Write)
                        {
                            st.lose(Some(e), &mut wake);
                        }
                    }
                }
                Action::Close => {
                    st.lose(None, &mut wake);
                    st.sock = None; // closes the socket
                    st.finished = true;
                    wake.all(&mut st.closed_wakers);
                    wake.add(st.read_waker.take());
                    let hook = st.on_finished.take();
                    drop(guard);
                    wake.wake();
                    if let Some(hook) = hook {
                        hook();
                    }
                    return Poll::Ready(());
                }
            }
        }
        drop(guard);
        wake.wake();
        Poll::Pending
    }
}

/// A new connection over `sock`: its reader, its writer, the shared state
/// (for a server's client list) and the driver future to spawn.
pub(crate) fn new_connection(
    sock: Box<dyn Socket>,
    limit: usize,
    peername: Option<Address>,
    on_finished: Option<OnFinished>,
) -> (StreamReader, StreamWriter, Arc<Shared>, BoxFuture<()>) {
    let fd = sock.as_fd();
    let sref = SockRef::from(&fd);
    let is_tcp = matches!(
        sref.domain(),
        Ok(d) if d == socket2::Domain::IPV4 || d == socket2::Domain::IPV6
    );
    if is_tcp {
        // asyncio sets TCP_NODELAY on every TCP stream transport.
        if let Err(e) = sref.set_nodelay(true) {
            tracing::debug!("TCP_NODELAY failed: {e}");
        }
    }
    let sockname = Address::local_of(&fd);
    let peername = peername.or_else(|| Address::peer_of(&fd));
    let reader = Reader::new(limit).unwrap_or_default();
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            reader,
            write: WriteState::new(),
            sock: Some(sock),
            read_eof: false,
            finished: false,
            read_waker: None,
            driver_waker: None,
            drain_wakers: Vec::new(),
            closed_wakers: Vec::new(),
            on_finished,
        }),
        peername,
        sockname,
        is_tcp,
    });
    let driver = {
        let shared = shared.clone();
        Box::pin(poll_fn(move |cx| shared.poll_drive(cx))) as BoxFuture<()>
    };
    (
        StreamReader {
            shared: shared.clone(),
        },
        StreamWriter {
            shared: shared.clone(),
        },
        shared,
        driver,
    )
}

// ----- StreamReader ------------------------------------------------------

/// The reading half of a connection: asyncio's `StreamReader`.
///
/// Every read is cancel-safe: a read future that is dropped before it
/// completes (a timeout, a `select!`) consumes nothing, and the next read
/// sees every byte. One read at a time is a compile-time rule (`&mut self`),
/// where asyncio raises "another coroutine is already waiting".
///
/// Reads fail with [`ReadError`]: asyncio's `IncompleteReadError`,
/// `LimitOverrunError`, the over-long-line `ValueError`, or the error the
/// connection ended with (a reset, say).
pub struct StreamReader {
    shared: Arc<Shared>,
}

impl fmt::Debug for StreamReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.shared.lock();
        f.debug_struct("StreamReader")
            .field("buffered", &st.reader.len())
            .field("limit", &st.reader.limit())
            .field("eof", &st.reader.eof_received())
            .field("exception", &st.reader.error())
            .finish()
    }
}

impl StreamReader {
    fn poll_op<T>(
        &mut self,
        cx: &mut Context<'_>,
        op: impl FnOnce(&mut Reader<StoredError>) -> Poll<T>,
    ) -> Poll<T> {
        let mut wake = None;
        let r = {
            let mut st = self.shared.lock();
            let was_paused = st.reader.reading_paused();
            let r = op(&mut st.reader);
            if was_paused && !st.reader.reading_paused() {
                wake = st.driver_waker.take();
            }
            if r.is_pending() {
                set_waker(&mut st.read_waker, cx);
            }
            r
        };
        if let Some(w) = wake {
            w.wake();
        }
        r
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

    /// Whether EOF was received and everything was read.
    pub fn at_eof(&self) -> bool {
        self.shared.lock().reader.at_eof()
    }

    /// The error the connection ended with, if any (asyncio's
    /// `exception()`).
    pub fn exception(&self) -> Option<StoredError> {
        self.shared.lock().reader.error().cloned()
    }

    /// The buffer limit.
    pub fn limit(&self) -> usize {
        self.shared.lock().reader.limit()
    }

    /// How many received bytes wait in the buffer.
    pub fn buffered_len(&self) -> usize {
        self.shared.lock().reader.len()
    }

    /// Removes and returns every buffered byte, for handing the stream over
    /// to another protocol.
    pub fn take_buffered(&mut self) -> bytes::BytesMut {
        self.shared.lock().reader.take_buffered()
    }

    /// The lines of the stream as a [`Stream`] (asyncio's `async for line
    /// in reader`): each item is one `readline()`; the stream ends at EOF,
    /// and after yielding an error.
    ///
    /// ```no_run
    /// use futures::StreamExt;
    /// # async fn f(mut reader: streams_common::StreamReader) {
    /// let mut lines = reader.lines();
    /// while let Some(line) = lines.next().await {
    ///     println!("{:?}", line);
    /// }
    /// # }
    /// ```
    pub fn lines(&mut self) -> Lines<'_> {
        Lines {
            reader: self,
            done: false,
        }
    }
}

/// The [`Stream`] of lines returned by [`StreamReader::lines`].
pub struct Lines<'a> {
    reader: &'a mut StreamReader,
    done: bool,
}

impl Stream for Lines<'_> {
    type Item = Result<Bytes, ReadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let r = std::task::ready!(this.reader.poll_op(cx, |r| r.readline()));
        Poll::Ready(match r {
            Ok(line) if line.is_empty() => {
                this.done = true;
                None
            }
            Ok(line) => Some(Ok(line)),
            Err(e) => {
                this.done = true;
                Some(Err(e))
            }
        })
    }
}

// ----- StreamWriter ------------------------------------------------------

/// The writing half of a connection: asyncio's `StreamWriter`.
///
/// `write` buffers and returns at once; a background task sends the buffer
/// as soon as the socket accepts it, so the bytes reach the peer whether or
/// not `drain()` is awaited. `drain()` is flow control: it waits only while
/// more than the high-water mark is buffered, until the buffer is down to
/// the low-water mark.
///
/// Dropping the writer closes the connection (as asyncio 3.13 does when a
/// writer is garbage-collected), after sending what is buffered.
pub struct StreamWriter {
    shared: Arc<Shared>,
}

impl fmt::Debug for StreamWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.shared.lock();
        f.debug_struct("StreamWriter")
            .field("peername", &self.shared.peername)
            .field("buffered", &st.write.buffer_size())
            .field("closing", &st.write.is_closing())
            .finish()
    }
}

impl Drop for StreamWriter {
    fn drop(&mut self) {
        self.shared.close();
    }
}

impl StreamWriter {
    fn after_write(
        &self,
        r: Result<Written, WriteError>,
        st: MutexGuard<'_, State>,
    ) -> Result<(), WriteError> {
        let mut st = st;
        match r? {
            Written::Buffered { wake_driver: true } => {
                let w = st.driver_waker.take();
                drop(st);
                if let Some(w) = w {
                    w.wake();
                }
            }
            Written::Dropped { warn: true } => {
                drop(st);
                tracing::warn!("socket.send() raised exception.");
            }
            _ => {}
        }
        Ok(())
    }

    /// Buffers `data` for sending; never waits. Fails only after
    /// [`write_eof`](Self::write_eof); after the connection is closed or
    /// lost the data is dropped silently (a warning is logged from the
    /// fifth such write on).
    ///
    /// ```no_run
    /// # async fn f(writer: &streams_common::StreamWriter) -> std::io::Result<()> {
    /// writer.write(b"hello\n").unwrap();
    /// writer.drain().await?; // only waits if the buffer is above the high-water mark
    /// # Ok(()) }
    /// ```
    pub fn write(&self, data: &[u8]) -> Result<(), WriteError> {
        let mut st = self.shared.lock();
        let r = st.write.write(data);
        self.after_write(r, st)
    }

    /// Buffers every item in order, as one write.
    pub fn writelines<I>(&self, items: I) -> Result<(), WriteError>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        let items: Vec<I::Item> = items.into_iter().collect();
        let slices: Vec<&[u8]> = items.iter().map(AsRef::as_ref).collect();
        let mut st = self.shared.lock();
        let r = st.write.writelines(&slices);
        self.after_write(r, st)
    }

    /// Waits while the write buffer is above the high-water mark.
    ///
    /// Fails with the error the connection ended with, or with
    /// `ConnectionResetError('Connection lost')` (kind
    /// [`io::ErrorKind::ConnectionReset`]) once the connection is closed.
    /// A drain that is waiting when the connection is closed or aborted
    /// locally returns `Ok`. Cancel-safe.
    pub async fn drain(&self) -> io::Result<()> {
        let start = {
            let st = self.shared.lock();
            if let Some(e) = st.reader.error() {
                return Err(clone_io_error(e));
            }
            st.write.drain_start()
        };
        let ticket = match start {
            DrainStart::Ready => return Ok(()),
            DrainStart::Lost => return Err(connection_lost()),
            DrainStart::Wait(t) => t,
        };
        poll_fn(|cx| {
            let mut st = self.shared.lock();
            match st.write.drain_poll(ticket) {
                Some(DrainEnd::Ok) => Poll::Ready(Ok(())),
                Some(DrainEnd::Err(e)) => Poll::Ready(Err(clone_io_error(&e))),
                None => {
                    register(&mut st.drain_wakers, cx);
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// Shuts the write side down once the buffer is sent (half-close); the
    /// connection stays open for reading. A no-op when closing or repeated.
    pub fn write_eof(&self) {
        let w = {
            let mut st = self.shared.lock();
            if st.write.write_eof() {
                st.driver_waker.take()
            } else {
                None
            }
        };
        if let Some(w) = w {
            w.wake();
        }
    }

    /// Whether [`write_eof`](Self::write_eof) is supported: always, for TCP
    /// and Unix sockets.
    pub fn can_write_eof(&self) -> bool {
        true
    }

    /// Closes the connection after sending what is buffered. Idempotent;
    /// reading stops at once.
    pub fn close(&self) {
        self.shared.close();
    }

    /// Closes the connection at once, dropping the buffer.
    pub fn abort(&self) {
        self.shared.abort();
    }

    /// Whether the connection is closing or closed.
    pub fn is_closing(&self) -> bool {
        self.shared.lock().write.is_closing()
    }

    /// Waits until the connection is closed and its socket released. Fails
    /// with the error the connection ended with, if any. May be awaited
    /// before `close()` (it then waits for the connection to end), any
    /// number of times; cancelling one wait does not affect the others.
    pub async fn wait_closed(&self) -> io::Result<()> {
        poll_fn(|cx| {
            let mut st = self.shared.lock();
            if st.finished {
                return Poll::Ready(match st.write.lost_error() {
                    Some(e) => Err(clone_io_error(e)),
                    None => Ok(()),
                });
            }
            register(&mut st.closed_wakers, cx);
            Poll::Pending
        })
        .await
    }

    /// Sets the water marks (asyncio's defaulting: neither → 64 KiB high;
    /// only `low` → high = 4 × low; only `high` → low = high / 4).
    pub fn set_write_buffer_limits(
        &self,
        high: Option<usize>,
        low: Option<usize>,
    ) -> Result<(), LimitsError> {
        self.shared.lock().write.set_limits(high, low)
    }

    /// Bytes buffered and not yet sent.
    pub fn get_write_buffer_size(&self) -> usize {
        self.shared.lock().write.buffer_size()
    }

    /// `(low, high)`.
    pub fn get_write_buffer_limits(&self) -> (usize, usize) {
        self.shared.lock().write.limits()
    }

    /// The peer's address (asyncio's `get_extra_info('peername')`).
    pub fn peername(&self) -> Option<&Address> {
        self.shared.peername.as_ref()
    }

    /// The local address (asyncio's `get_extra_info('sockname')`).
    pub fn sockname(&self) -> Option<&Address> {
        self.shared.sockname.as_ref()
    }

    /// Whether this is a TCP connection (as opposed to a Unix one).
    pub fn is_tcp(&self) -> bool {
        self.shared.is_tcp
    }

    /// Runs `f` with the socket (asyncio's `get_extra_info('socket')`), to
    /// read or set options; `None` once the socket is closed.
    ///
    /// ```no_run
    /// # fn f(writer: &streams_common::StreamWriter) {
    /// let nodelay = writer.with_socket(|s| s.nodelay());
    /// # }
    /// ```
    pub fn with_socket<T>(&self, f: impl FnOnce(SockRef<'_>) -> T) -> Option<T> {
        let st = self.shared.lock();
        st.sock.as_deref().map(|s| f(SockRef::from(&s.as_fd())))
    }

    /// The socket's file descriptor, while it is open.
    pub fn raw_fd(&self) -> Option<RawFd> {
        let st = self.shared.lock();
        st.sock.as_deref().map(|s| s.as_fd().as_raw_fd())
    }
}
