//! One connection: the state shared by its [`StreamReader`], its
//! [`StreamWriter`] and its driver task (asyncio's transport and protocol).
//!
//! The driver task owns the socket's I/O, as asyncio's transport does: it
//! receives into the connection's inbox while flow control allows, and
//! sends whatever the application buffered, all of it in one system call,
//! whenever there is some. The application never waits for the socket
//! except through `drain()` (flow control) and the reads.
//!
//! The [`StreamReader`] owns its reader core and takes the inbox's bytes
//! into it when a flag says there are some, so reading data that already
//! arrived (most lines, on a busy connection) takes no lock. Everything
//! else (the write buffer, the socket, the wakers, TLS) is behind one
//! mutex.

use crate::addr::Address;
use crate::error::{clone_io_error, connection_lost, ReadError, StoredError};
use crate::runtime::{BoxFuture, RuntimeRef, Socket};
use crate::tls::{
    Handshake, StartTlsOptions, TlsConfig, TlsError, TlsInfo, TlsSetup, TLS_HIGH_WATER,
    TLS_LOW_WATER, TLS_WRITE_CHUNK,
};
use crate::write_state::{
    Action, DrainEnd, DrainStart, LimitsError, WriteError, WriteState, Written,
};
use bytes::{Buf, Bytes, BytesMut};
use futures_core::Stream;
use reader_core::{Reader, Separators};
use socket2::SockRef;
use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::ops::{Deref, DerefMut};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// How much room the driver offers each `recv`.
const READ_SIZE: usize = 64 * 1024;
/// The room offered for a plain connection's first `recv`: an idle
/// connection's whole receive buffer.
const FIRST_READ_SIZE: usize = 4 * 1024;
/// A `recv` goes into the inbox's remaining room while at least this much
/// is left; below it, into fresh room of the full size. The reader holds
/// on to the chunks it was handed, so the room behind them cannot be
/// reclaimed: asking for the full size every time would allocate (and
/// zero) a new buffer per `recv`.
const MIN_RECV_ROOM: usize = 8 * 1024;
/// How many `recv`/`send` calls the driver makes in one turn before it
/// yields to other tasks.
const IO_PER_TURN: usize = 16;

/// Called once when the connection's socket has been closed.
pub(crate) type OnFinished = Box<dyn FnOnce() + Send>;

pub(crate) struct State {
    /// What the driver received and the reader has not taken yet.
    inbox: Inbox,
    /// The reader's buffer limit (the driver's pause rule needs it).
    limit: usize,
    /// How many bytes the reader's own buffer held when it last looked
    /// (flow control counts them with the inbox).
    reader_len: usize,
    /// The driver must not read from the socket: the reader's buffer plus
    /// the inbox is above `2 * limit` (asyncio's `pause_reading`).
    read_paused: bool,
    pub(crate) write: WriteState<StoredError>,
    sock: Option<Box<dyn Socket>>,
    read_eof: bool,
    /// Some data was received: until then the driver offers the reader
    /// only `FIRST_READ_SIZE` of room, so an idle connection holds a
    /// small receive buffer.
    recv_started: bool,
    /// The socket is closed and the driver has ended.
    finished: bool,
    read_waker: Option<Waker>,
    driver_waker: Option<Waker>,
    drain_wakers: Vec<Waker>,
    closed_wakers: Vec<Waker>,
    on_finished: Option<OnFinished>,
    /// The TLS layer, once the connection uses TLS.
    tls: Option<TlsState>,
    /// Tasks waiting for the TLS handshake.
    handshake_wakers: Vec<Waker>,
}

/// Received data and events on their way from the driver to the reader.
///
/// The reader keeps its [`Reader`] core to itself, so that reading a line
/// that is already buffered takes no lock; the driver fills the inbox
/// instead (straight from the socket, into its spare room), and the reader
/// takes the inbox's bytes without a copy the next time it reads. EOF and
/// the error come after the bytes received before them, as in asyncio.
struct Inbox {
    /// Bytes received: a `Reader` used as a plain receive buffer (its own
    /// EOF, error and flow control are not used).
    data: Reader<()>,
    /// The transport reached EOF.
    eof: bool,
    /// The error the connection ended with (also what `drain()` reports).
    error: Option<StoredError>,
    /// The reader has taken `eof` / `error`.
    eof_taken: bool,
    error_taken: bool,
}

impl Inbox {
    fn new() -> Self {
        Inbox {
            // Never used for flow control: any limit will do.
            data: Reader::new(usize::MAX / 4).unwrap_or_default(),
            eof: false,
            error: None,
            eof_taken: false,
            error_taken: false,
        }
    }

    /// Room to receive into: what is left of the current buffer while that
    /// is at least [`MIN_RECV_ROOM`], else at least `room` of new room.
    fn recv_room(&mut self, room: usize) -> &mut [u8] {
        let min = if self.data.spare_capacity(0).len() >= MIN_RECV_ROOM.min(room) {
            MIN_RECV_ROOM.min(room)
        } else {
            room
        };
        self.data.spare_capacity(min)
    }

    /// Whether the reader has something to take.
    fn has_news(&self) -> bool {
        !self.data.is_empty()
            || (self.eof && !self.eof_taken)
            || (self.error.is_some() && !self.error_taken)
    }

    /// Moves everything into the reader's core: the bytes (without a copy),
    /// then EOF, then the error.
    fn deliver_to(&mut self, core: &mut Reader<StoredError>) {
        if !self.data.is_empty() {
            // Cannot fail: nothing is received after EOF.
            let _ = core.feed_bytes(self.data.take_buffered().freeze());
        }
        if self.eof && !self.eof_taken {
            self.eof_taken = true;
            core.feed_eof();
        }
        if let (Some(e), false) = (&self.error, self.error_taken) {
            self.error_taken = true;
            core.set_error(e.clone());
        }
    }
}

/// The TLS layer of a connection, driven by the connection's driver.
struct TlsState {
    conn: rustls::Connection,
    handshake: Handshake,
    handshake_timeout: std::time::Duration,
    handshake_timer: Option<BoxFuture<()>>,
    shutdown_timeout: std::time::Duration,
    shutdown_timer: Option<BoxFuture<()>>,
    /// Ciphertext that arrived before the upgrade (start_tls), fed to
    /// rustls before the socket is read again.
    pre: BytesMut,
    close_notify_sent: bool,
    /// The peer sent close_notify.
    peer_closed: bool,
    sni: Option<String>,
}

/// The socket as `io::Read` / `io::Write` for rustls: one non-blocking
/// call each.
struct SockIo<'a>(&'a dyn Socket);

impl io::Read for SockIo<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.try_read(buf)
    }
}

impl io::Write for SockIo<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write_vectored(&[IoSlice::new(buf)])
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.0.try_write_vectored(bufs)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The handshake failure an I/O error means.
fn handshake_failure(e: Option<&io::Error>) -> TlsError {
    match e {
        Some(e) => match crate::tls::tls_error(e) {
            Some(t) => t.clone(),
            None if matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::UnexpectedEof
            ) =>
            {
                TlsError::HandshakeEof
            }
            None => TlsError::Handshake(rustls::Error::General(e.to_string())),
        },
        None => TlsError::Closed,
    }
}

/// The part of a connection every handle shares.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Whether `drain()` would return `Ok` at once (no stored error, not
    /// lost, not paused): a copy of that fact about `state`, refreshed
    /// whenever the lock is released ([`StateGuard`]), so the common
    /// drain takes no lock.
    drain_ready: AtomicBool,
    /// Whether the inbox has something for the reader
    /// ([`Inbox::has_news`]), refreshed the same way: the reader looks at
    /// it before each read and takes the lock only when it is set.
    news: AtomicBool,
    peername: Option<Address>,
    sockname: Option<Address>,
    is_tcp: bool,
    /// The runtime, for the TLS timers.
    rt: RuntimeRef,
    /// Whether the connection was accepted by a server.
    server_side: bool,
    /// The host a client connection was opened with (the default
    /// `server_hostname` of `start_tls`).
    host: Option<String>,
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

fn wake(w: Option<Waker>) {
    if let Some(w) = w {
        w.wake();
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
        if let Some(tls) = &mut self.tls {
            if matches!(tls.handshake, Handshake::Pending) {
                tls.handshake = Handshake::Failed(handshake_failure(error.as_ref()));
                wake.all(&mut self.handshake_wakers);
            }
            tls.handshake_timer = None;
            tls.shutdown_timer = None;
        }
        let stored = error.map(Arc::new);
        match &stored {
            Some(e) => self.inbox.error = Some(e.clone()),
            None => self.inbox.eof = true,
        }
        self.write.connection_lost(stored);
        wake.add(self.read_waker.take());
        wake.add(self.driver_waker.take());
        wake.all(&mut self.drain_wakers);
    }
}

impl State {
    /// What `drain()` decides without waiting: `Ok` at once.
    fn drain_ready(&self) -> bool {
        self.inbox.error.is_none() && self.write.drain_start() == DrainStart::Ready
    }

    /// After bytes went into the inbox: asyncio pauses the transport once
    /// more than twice the limit is buffered.
    fn received(&mut self, wake: &mut ToWake) {
        if self.inbox.data.len().saturating_add(self.reader_len) > self.limit.saturating_mul(2) {
            self.read_paused = true;
        }
        wake.add(self.read_waker.take());
    }

    /// The reader took the inbox or consumed data: flow control follows
    /// its core's decision. Returns the driver's waker when reading
    /// resumes.
    fn reader_synced(&mut self, core: &Reader<StoredError>) -> Option<Waker> {
        self.reader_len = core.len();
        let paused = core.reading_paused();
        let resumed = self.read_paused && !paused;
        self.read_paused = paused;
        if resumed {
            self.driver_waker.take()
        } else {
            None
        }
    }
}

/// The locked state. Releasing it refreshes [`Shared::drain_ready`] and
/// [`Shared::news`] (while still holding the lock, so the flags always
/// describe the state as the last critical section left it).
pub(crate) struct StateGuard<'a> {
    guard: MutexGuard<'a, State>,
    shared: &'a Shared,
}

impl Deref for StateGuard<'_> {
    type Target = State;
    fn deref(&self) -> &State {
        &self.guard
    }
}

impl DerefMut for StateGuard<'_> {
    fn deref_mut(&mut self) -> &mut State {
        &mut self.guard
    }
}

impl Drop for StateGuard<'_> {
    fn drop(&mut self) {
        self.shared
            .drain_ready
            .store(self.guard.drain_ready(), Ordering::Release);
        self.shared
            .news
            .store(self.guard.inbox.has_news(), Ordering::Release);
    }
}

impl Shared {
    pub(crate) fn lock(&self) -> StateGuard<'_> {
        // A panic while the lock was held cannot leave the state half
        // updated in a way that matters more than losing the connection.
        StateGuard {
            guard: self.state.lock().unwrap_or_else(|p| p.into_inner()),
            shared: self,
        }
    }

    /// asyncio's `close()`: flush, then close. Idempotent.
    pub(crate) fn close(&self) {
        let mut wake = ToWake::default();
        {
            let mut st = self.lock();
            if st.write.close() {
                if st.write.action() == Action::Close && st.tls.is_none() {
                    // Nothing to flush: the connection ends now (over TLS
                    // the driver sends close_notify first).
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
        if st.tls.is_some() {
            if st.drive_tls(cx, &mut wake, &*self.rt) {
                return finish(guard, wake);
            }
            drop(guard);
            wake.wake();
            return Poll::Pending;
        }
        let mut budget = IO_PER_TURN;

        // Receive, while the reader wants data.
        while !st.write.is_closing() && !st.read_eof && !st.read_paused {
            let Some(sock) = st.sock.as_deref() else {
                break;
            };
            if budget == 0 {
                cx.waker().wake_by_ref();
                break;
            }
            budget -= 1;
            let room = if st.recv_started {
                READ_SIZE
            } else {
                FIRST_READ_SIZE
            };
            let buf = st.inbox.recv_room(room);
            match crate::runtime::poll_io(cx, |cx| sock.poll_read_ready(cx), || sock.try_read(buf))
            {
                Poll::Ready(Ok(0)) => {
                    st.read_eof = true;
                    st.inbox.eof = true;
                    wake.add(st.read_waker.take());
                }
                Poll::Ready(Ok(n)) => {
                    st.recv_started = true;
                    // Cannot fail: n fits the room and EOF was not fed.
                    let _ = st.inbox.data.commit(n);
                    st.received(&mut wake);
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
                            // Waiters are also woken when the buffer is
                            // empty: start_tls waits for that.
                            if st.write.sent(n) || st.write.buffer_size() == 0 {
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
                Action::Close => return finish(guard, wake),
            }
        }
        drop(guard);
        wake.wake();
        Poll::Pending
    }

    /// Waits for the TLS handshake (at once `Ok` without TLS).
    pub(crate) fn poll_handshake(&self, cx: &mut Context<'_>) -> Poll<Result<(), TlsError>> {
        let mut st = self.lock();
        match st.tls.as_ref().map(|t| &t.handshake) {
            None | Some(Handshake::Done) => Poll::Ready(Ok(())),
            Some(Handshake::Failed(e)) => Poll::Ready(Err(e.clone())),
            Some(Handshake::Pending) => {
                register(&mut st.handshake_wakers, cx);
                Poll::Pending
            }
        }
    }

    /// Waits for the TLS handshake.
    pub(crate) async fn handshake(&self) -> Result<(), TlsError> {
        poll_fn(|cx| self.poll_handshake(cx)).await
    }
}

/// Ends the driver: the connection is lost (without error unless it was
/// already lost with one) and the socket closed.
fn finish(mut guard: StateGuard<'_>, mut wake: ToWake) -> Poll<()> {
    let st = &mut *guard;
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
    Poll::Ready(())
}

/// What delivering decrypted bytes ended with.
enum Delivered {
    /// rustls has no more plaintext for now (or the reader is paused).
    More,
    /// The peer's close_notify: the stream ended cleanly.
    CloseNotify,
    /// The socket reached EOF without close_notify.
    BareEof,
}

impl State {
    /// Installs the TLS layer; `pre` is ciphertext that already arrived.
    fn install_tls(&mut self, setup: TlsSetup, rt: &dyn crate::runtime::Runtime, pre: BytesMut) {
        // asyncio's SSL transport has its own water marks.
        let _ = self
            .write
            .set_limits(Some(TLS_HIGH_WATER), Some(TLS_LOW_WATER));
        self.tls = Some(TlsState {
            conn: setup.conn,
            handshake: Handshake::Pending,
            handshake_timeout: setup.handshake_timeout,
            handshake_timer: Some(rt.sleep(setup.handshake_timeout)),
            shutdown_timeout: setup.shutdown_timeout,
            shutdown_timer: None,
            pre,
            close_notify_sent: false,
            peer_closed: false,
            sni: setup.sni,
        });
    }

    /// Moves decrypted bytes to the reader (or drops them once closing);
    /// `all` ignores the reader's pause (at EOF).
    fn deliver(&mut self, wake: &mut ToWake, all: bool) -> Result<Delivered, io::Error> {
        let mut scratch = [0u8; 4096];
        let closing = self.write.is_closing();
        // Bounded: each round consumes plaintext rustls holds, or ends.
        loop {
            let Some(tls) = self.tls.as_mut() else {
                return Ok(Delivered::More);
            };
            if !closing && !all && self.read_paused {
                return Ok(Delivered::More);
            }
            let buf: &mut [u8] = if closing || self.inbox.eof {
                &mut scratch
            } else {
                self.inbox.recv_room(READ_SIZE)
            };
            match io::Read::read(&mut tls.conn.reader(), buf) {
                Ok(0) => return Ok(Delivered::CloseNotify),
                Ok(n) => {
                    if !closing && !self.inbox.eof {
                        // Cannot fail: n fits the room and EOF was not fed.
                        let _ = self.inbox.data.commit(n);
                        self.received(wake);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Delivered::More),
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Ok(Delivered::BareEof)
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The peer ended the stream (close_notify or FIN): the reader gets EOF
    /// and the connection closes (no half-open over TLS).
    fn tls_peer_eof(&mut self, clean: bool, wake: &mut ToWake) {
        if let Some(tls) = self.tls.as_mut() {
            tls.peer_closed = true;
        }
        self.inbox.eof = true;
        wake.add(self.read_waker.take());
        if clean {
            // Flush what is buffered, answer with our close_notify.
            self.write.close();
        } else {
            self.lose(None, wake);
        }
    }

    /// Fails the connection with a TLS error.
    fn tls_fail(&mut self, e: TlsError, wake: &mut ToWake) {
        tracing::debug!("TLS failure: {e}");
        self.lose(Some(e.into()), wake);
    }

    /// One turn of the driver over TLS. Returns true when the connection
    /// is over and the socket must be closed.
    fn drive_tls(
        &mut self,
        cx: &mut Context<'_>,
        wake: &mut ToWake,
        rt: &dyn crate::runtime::Runtime,
    ) -> bool {
        // Timers.
        let mut failure = None;
        if let Some(tls) = self.tls.as_mut() {
            if let Some(t) = &mut tls.handshake_timer {
                if t.as_mut().poll(cx).is_ready() {
                    tls.handshake_timer = None;
                    if matches!(tls.handshake, Handshake::Pending) {
                        failure = Some(TlsError::HandshakeTimeout(tls.handshake_timeout));
                    }
                }
            }
            if let Some(t) = &mut tls.shutdown_timer {
                if t.as_mut().poll(cx).is_ready() {
                    tls.shutdown_timer = None;
                    failure = Some(TlsError::ShutdownTimeout);
                }
            }
        }
        if let Some(e) = failure {
            self.tls_fail(e, wake);
        }

        // Receive and send until both wait for the socket: flushing the
        // handshake may make rustls want to read again (it does not read
        // while it has handshake data to send). Bounded: a few rounds.
        for _ in 0..4 {
            let read_registered = self.tls_receive(cx, wake);
            if self.tls_send(cx, wake, rt) {
                return true;
            }
            if read_registered || !self.tls_wants_read() {
                return false;
            }
        }
        cx.waker().wake_by_ref();
        false
    }

    /// Whether the TLS layer should read ciphertext now.
    fn tls_wants_read(&self) -> bool {
        let (Some(tls), Some(_)) = (self.tls.as_ref(), self.sock.as_ref()) else {
            return false;
        };
        !self.read_eof
            && !self.write.is_lost()
            && tls.conn.wants_read()
            && (tls.conn.is_handshaking() || self.write.is_closing() || !self.read_paused)
    }

    /// Receives ciphertext and delivers plaintext. Returns whether it
    /// waits for the socket's readability (a wake-up is registered).
    fn tls_receive(&mut self, cx: &mut Context<'_>, wake: &mut ToWake) -> bool {
        let mut budget = IO_PER_TURN;
        while !self.write.is_lost() {
            match self.deliver(wake, false) {
                Ok(Delivered::More) => {}
                Ok(Delivered::CloseNotify) => {
                    if !self.tls.as_ref().is_some_and(|t| t.peer_closed) {
                        self.tls_peer_eof(true, wake);
                    }
                    break;
                }
                Ok(Delivered::BareEof) => {
                    self.tls_peer_eof(false, wake);
                    break;
                }
                Err(e) => {
                    self.tls_fail(
                        TlsError::Protocol(rustls::Error::General(e.to_string())),
                        wake,
                    );
                    break;
                }
            }
            let paused = self.read_paused;
            let closing = self.write.is_closing();
            let (Some(tls), Some(sock)) = (self.tls.as_mut(), self.sock.as_deref()) else {
                break;
            };
            let handshaking = tls.conn.is_handshaking();
            if self.read_eof || !tls.conn.wants_read() || !(handshaking || closing || !paused) {
                break;
            }
            if budget == 0 {
                cx.waker().wake_by_ref();
                break;
            }
            budget -= 1;
            let r = if tls.pre.is_empty() {
                let conn = &mut tls.conn;
                crate::runtime::poll_io(
                    cx,
                    |cx| sock.poll_read_ready(cx),
                    || conn.read_tls(&mut SockIo(sock)),
                )
            } else {
                let mut rd: &[u8] = &tls.pre;
                let r = tls.conn.read_tls(&mut rd);
                if let Ok(n) = r {
                    tls.pre.advance(n);
                }
                Poll::Ready(r)
            };
            match r {
                Poll::Ready(Ok(0)) => {
                    self.read_eof = true;
                    if handshaking {
                        self.tls_fail(TlsError::HandshakeEof, wake);
                        break;
                    }
                    // Let rustls see the EOF, deliver what is left, end.
                    let _ = tls.conn.process_new_packets();
                    match self.deliver(wake, true) {
                        Ok(Delivered::CloseNotify) => self.tls_peer_eof(true, wake),
                        Ok(_) => self.tls_peer_eof(false, wake),
                        Err(e) => self.tls_fail(
                            TlsError::Protocol(rustls::Error::General(e.to_string())),
                            wake,
                        ),
                    }
                    break;
                }
                Poll::Ready(Ok(_)) => match tls.conn.process_new_packets() {
                    Ok(_) => {
                        if handshaking && !tls.conn.is_handshaking() {
                            tls.handshake = Handshake::Done;
                            tls.handshake_timer = None;
                            wake.all(&mut self.handshake_wakers);
                        }
                    }
                    Err(e) => {
                        // Best effort: send the alert rustls queued.
                        let _ = tls.conn.write_tls(&mut SockIo(sock));
                        let e = if handshaking {
                            TlsError::Handshake(e)
                        } else {
                            TlsError::Protocol(e)
                        };
                        self.tls_fail(e, wake);
                        break;
                    }
                },
                Poll::Ready(Err(e)) => {
                    tracing::debug!("receive failed: {e}");
                    self.lose(Some(e), wake);
                    break;
                }
                Poll::Pending => return true,
            }
        }
        false
    }

    /// Encrypts and sends, then shuts down. Returns true when the
    /// connection is over and the socket must be closed.
    fn tls_send(
        &mut self,
        cx: &mut Context<'_>,
        wake: &mut ToWake,
        rt: &dyn crate::runtime::Runtime,
    ) -> bool {
        // Send: ciphertext first, then more plaintext, then the shutdown.
        let mut budget = IO_PER_TURN;
        loop {
            if self.write.is_lost() {
                return true;
            }
            let Some(tls) = self.tls.as_mut() else {
                return true;
            };
            let Some(sock) = self.sock.as_deref() else {
                self.lose(None, wake);
                return true;
            };
            if tls.conn.wants_write() {
                if budget == 0 {
                    cx.waker().wake_by_ref();
                    return false;
                }
                budget -= 1;
                let conn = &mut tls.conn;
                match crate::runtime::poll_io(
                    cx,
                    |cx| sock.poll_write_ready(cx),
                    || conn.write_tls(&mut SockIo(sock)),
                ) {
                    Poll::Ready(Ok(_)) => continue,
                    Poll::Ready(Err(e)) => {
                        tracing::debug!("Fatal write error on SSL transport: {e}");
                        self.lose(Some(e), wake);
                        return true;
                    }
                    Poll::Pending => return false,
                }
            }
            let handshaking = tls.conn.is_handshaking();
            match self.write.action() {
                Action::Idle => return false,
                Action::Send if handshaking => return false,
                Action::Send => {
                    let pending = self.write.pending();
                    let n = pending.len().min(TLS_WRITE_CHUNK);
                    match io::Write::write(&mut tls.conn.writer(), &pending[..n]) {
                        Ok(n) => {
                            if self.write.sent(n) || self.write.buffer_size() == 0 {
                                wake.all(&mut self.drain_wakers);
                            }
                        }
                        Err(e) => {
                            self.lose(Some(e), wake);
                            return true;
                        }
                    }
                }
                // write_eof is refused over TLS; nothing to shut down.
                Action::ShutdownWrite => self.write.eof_sent(),
                Action::Close if handshaking => {
                    // asyncio: closing during the handshake aborts.
                    self.lose(None, wake);
                    return true;
                }
                Action::Close => {
                    if !tls.close_notify_sent {
                        tls.conn.send_close_notify();
                        tls.close_notify_sent = true;
                        tls.shutdown_timer = Some(rt.sleep(tls.shutdown_timeout));
                        continue;
                    }
                    if tls.peer_closed || self.read_eof {
                        self.lose(None, wake);
                        return true;
                    }
                    // Wait for the peer's close_notify, under the timer.
                    if let Some(t) = &mut tls.shutdown_timer {
                        if t.as_mut().poll(cx).is_ready() {
                            tls.shutdown_timer = None;
                            self.tls_fail(TlsError::ShutdownTimeout, wake);
                            return true;
                        }
                    }
                    return false;
                }
            }
        }
    }
}

/// How a connection was made, for [`new_connection`].
pub(crate) struct NewConnection {
    /// The runtime (TLS timers).
    pub(crate) rt: RuntimeRef,
    /// Accepted by a server.
    pub(crate) server_side: bool,
    /// The host a client connected to, if any.
    pub(crate) host: Option<String>,
    /// TLS from the start.
    pub(crate) tls: Option<TlsSetup>,
}

/// A new connection over `sock`: its reader, its writer, the shared state
/// (for a server's client list) and the driver future to spawn.
pub(crate) fn new_connection(
    conn: NewConnection,
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
    let core = Reader::new(limit).unwrap_or_default();
    let mut state = State {
        inbox: Inbox::new(),
        limit: core.limit(),
        reader_len: 0,
        read_paused: false,
        write: WriteState::new(),
        sock: Some(sock),
        read_eof: false,
        recv_started: false,
        finished: false,
        read_waker: None,
        driver_waker: None,
        drain_wakers: Vec::new(),
        closed_wakers: Vec::new(),
        on_finished,
        tls: None,
        handshake_wakers: Vec::new(),
    };
    if let Some(setup) = conn.tls {
        state.install_tls(setup, &*conn.rt, BytesMut::new());
    }
    let shared = Arc::new(Shared {
        drain_ready: AtomicBool::new(state.drain_ready()),
        news: AtomicBool::new(false),
        state: Mutex::new(state),
        peername,
        sockname,
        is_tcp,
        rt: conn.rt,
        server_side: conn.server_side,
        host: conn.host,
    });
    let driver = {
        let shared = shared.clone();
        Box::pin(poll_fn(move |cx| shared.poll_drive(cx))) as BoxFuture<()>
    };
    (
        StreamReader {
            shared: shared.clone(),
            core,
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
    /// The reader's own core: bytes already taken from the inbox. Kept out
    /// of the shared state so that reading what is buffered takes no lock.
    core: Reader<StoredError>,
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

/// Takes what the driver left in the inbox, under the lock.
fn take_news(core: &mut Reader<StoredError>, st: &mut State) -> Option<Waker> {
    st.inbox.deliver_to(core);
    st.reader_synced(core)
}

impl StreamReader {
    /// Runs `op` on the core: without a lock while the inbox is empty and
    /// the op completes; with it to take new data, to wait, or to resume a
    /// paused driver.
    fn poll_op<T>(
        &mut self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&mut Reader<StoredError>) -> Poll<T>,
    ) -> Poll<T> {
        self.sync();
        let Self { shared, core } = self;
        loop {
            let was_paused = core.reading_paused();
            let r = op(core);
            if r.is_ready() {
                if was_paused && !core.reading_paused() {
                    let w = shared.lock().reader_synced(core);
                    wake(w);
                }
                return r;
            }
            // Pending: look again under the lock, so that data arriving
            // now is either seen here or wakes us.
            let mut st = shared.lock();
            let again = st.inbox.has_news();
            let w = if again {
                take_news(core, &mut st)
            } else {
                set_waker(&mut st.read_waker, cx);
                // The core resumed before waiting (asyncio's rule).
                st.reader_synced(core)
            };
            drop(st);
            wake(w);
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

    /// Whether EOF was received and everything was read.
    pub fn at_eof(&mut self) -> bool {
        self.sync();
        self.core.at_eof()
    }

    /// The error the connection ended with, if any (asyncio's
    /// `exception()`).
    pub fn exception(&self) -> Option<StoredError> {
        match self.core.error() {
            Some(e) => Some(e.clone()),
            None => self.shared.lock().inbox.error.clone(),
        }
    }

    /// The buffer limit.
    pub fn limit(&self) -> usize {
        self.core.limit()
    }

    /// How many received bytes wait in the buffer.
    pub fn buffered_len(&self) -> usize {
        self.core.len() + self.shared.lock().inbox.data.len()
    }

    /// Removes and returns every buffered byte, for handing the stream over
    /// to another protocol.
    pub fn take_buffered(&mut self) -> bytes::BytesMut {
        self.sync();
        let out = self.core.take_buffered();
        let w = self.shared.lock().reader_synced(&self.core);
        wake(w);
        out
    }

    /// Takes whatever the driver received since the last read.
    #[inline]
    fn sync(&mut self) {
        if self.shared.news.load(Ordering::Acquire) {
            let w = take_news(&mut self.core, &mut self.shared.lock());
            wake(w);
        }
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
        st: StateGuard<'_>,
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
        if self.shared.drain_ready.load(Ordering::Acquire) {
            return Ok(());
        }
        let start = {
            let st = self.shared.lock();
            if let Some(e) = &st.inbox.error {
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
    ///
    /// Over TLS, which has no half-close, it fails with
    /// [`TlsError::WriteEofNotSupported`] (asyncio's `NotImplementedError`)
    /// and changes nothing; [`can_write_eof`](Self::can_write_eof) tells in
    /// advance.
    ///
    /// ```no_run
    /// # fn f(writer: &streams_common::StreamWriter) {
    /// use streams_common::tls::TlsError;
    /// if writer.can_write_eof() {
    ///     writer.write_eof().unwrap();
    /// } else {
    ///     assert_eq!(writer.write_eof(), Err(TlsError::WriteEofNotSupported));
    /// }
    /// # }
    /// ```
    pub fn write_eof(&self) -> Result<(), TlsError> {
        let w = {
            let mut st = self.shared.lock();
            if st.tls.is_some() {
                return Err(TlsError::WriteEofNotSupported);
            }
            if st.write.write_eof() {
                st.driver_waker.take()
            } else {
                None
            }
        };
        if let Some(w) = w {
            w.wake();
        }
        Ok(())
    }

    /// Whether [`write_eof`](Self::write_eof) is supported: for TCP and
    /// Unix sockets, not over TLS.
    pub fn can_write_eof(&self) -> bool {
        self.shared.lock().tls.is_none()
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

    /// Sets the water marks (asyncio's defaulting: neither → 64 KiB high,
    /// 512 KiB over TLS; only `low` → high = 4 × low; only `high` → low =
    /// high / 4).
    pub fn set_write_buffer_limits(
        &self,
        high: Option<usize>,
        low: Option<usize>,
    ) -> Result<(), LimitsError> {
        let mut st = self.shared.lock();
        let high = match (high, low, st.tls.is_some()) {
            (None, None, true) => Some(TLS_HIGH_WATER),
            _ => high,
        };
        st.write.set_limits(high, low)
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

    /// Whether the connection uses TLS (asyncio's
    /// `get_extra_info('sslcontext') is not None`).
    pub fn is_tls(&self) -> bool {
        self.shared.lock().tls.is_some()
    }

    /// Whether the connection was accepted by a server (the side
    /// [`start_tls`](Self::start_tls) takes).
    pub fn is_server_side(&self) -> bool {
        self.shared.server_side
    }

    /// What the TLS connection negotiated: the peer's certificate chain,
    /// protocol version, cipher suite, ALPN protocol and SNI name
    /// (asyncio's `get_extra_info('peercert' | 'cipher' | 'ssl_object')`);
    /// `None` without TLS or once the connection is closed. The plain
    /// transport's info ([`peername`](Self::peername),
    /// [`sockname`](Self::sockname), [`with_socket`](Self::with_socket))
    /// stays available.
    ///
    /// ```no_run
    /// # fn f(writer: &streams_common::StreamWriter) {
    /// if let Some(info) = writer.tls_info() {
    ///     println!("{:?} {:?}", info.version_name(), info.cipher_suite);
    /// }
    /// # }
    /// ```
    pub fn tls_info(&self) -> Option<TlsInfo> {
        let st = self.shared.lock();
        st.tls
            .as_ref()
            .map(|t| crate::tls::info(&t.conn, t.sni.as_deref()))
    }

    /// Upgrades the connection to TLS (asyncio's `StreamWriter.start_tls`,
    /// e.g. after a STARTTLS command): waits until everything buffered is
    /// sent in plaintext, then runs the handshake on this connection and
    /// returns when it is done. The side is the one the connection was made
    /// with: a connection accepted by a server needs a
    /// [`TlsConfig::Server`], one made by `open_connection` a
    /// [`TlsConfig::Client`].
    ///
    /// It takes the connection's `reader` by `&mut`: no read can run during
    /// the upgrade (a compile-time rule where asyncio leaves a race), and
    /// unlike asyncio (gh-142352) no byte is lost: whatever the reader had
    /// already received and not consumed when the upgrade starts (a
    /// ClientHello that arrived with the last plaintext line, say) is
    /// handed to TLS as the first ciphertext. A reader of another
    /// connection is refused ([`TlsError::ForeignReader`]).
    ///
    /// On failure (a certificate that does not verify, the handshake
    /// timeout) the connection is closed, as asyncio does.
    ///
    /// ```no_run
    /// # async fn f(
    /// #     mut reader: streams_common::StreamReader,
    /// #     writer: streams_common::StreamWriter,
    /// #     config: std::sync::Arc<streams_common::tls::rustls::ServerConfig>,
    /// # ) -> Result<(), Box<dyn std::error::Error>> {
    /// use streams_common::tls::StartTlsOptions;
    /// let line = reader.readline().await?;
    /// if line.as_ref() == b"STARTTLS\n" {
    ///     writer.write(b"OK\n")?;
    ///     writer.start_tls(&mut reader, config, StartTlsOptions::default()).await?;
    ///     // reader and writer now speak TLS
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn start_tls(
        &self,
        reader: &mut StreamReader,
        config: impl Into<TlsConfig>,
        options: StartTlsOptions,
    ) -> Result<(), TlsError> {
        let config = config.into();
        crate::tls::check_timeouts(options.handshake_timeout, options.shutdown_timeout)
            .map_err(TlsError::InvalidArgument)?;
        if !Arc::ptr_eq(&reader.shared, &self.shared) {
            return Err(TlsError::ForeignReader);
        }
        let server_side = self.shared.server_side;
        let setup = match (&config, server_side) {
            (TlsConfig::Server(c), true) => {
                TlsSetup::server(c, options.handshake_timeout, options.shutdown_timeout)
            }
            (TlsConfig::Client(c), false) => {
                let name = match options
                    .server_hostname
                    .clone()
                    .or_else(|| self.shared.host.clone())
                {
                    Some(n) => n,
                    None => match self.peername().and_then(Address::as_inet) {
                        Some(a) => a.ip().to_string(),
                        None => return Err(TlsError::ServerHostnameRequired),
                    },
                };
                TlsSetup::client(
                    c,
                    &name,
                    options.handshake_timeout,
                    options.shutdown_timeout,
                )
            }
            _ => return Err(TlsError::WrongSide { server_side }),
        };
        let setup = Some(setup?);
        // Send what is buffered in plaintext first, then install TLS.
        let mut setup = setup;
        let driver = poll_fn(|cx| {
            let mut st = self.shared.lock();
            if st.tls.is_some() {
                return Poll::Ready(Err(TlsError::AlreadyTls));
            }
            if st.write.is_closing() || st.finished {
                return Poll::Ready(Err(TlsError::Closed));
            }
            if st.write.buffer_size() > 0 {
                register(&mut st.drain_wakers, cx);
                return Poll::Pending;
            }
            let Some(setup) = setup.take() else {
                return Poll::Ready(Err(TlsError::AlreadyTls));
            };
            // The reader's unconsumed bytes are the peer's first
            // ciphertext.
            let core = &mut reader.core;
            st.inbox.deliver_to(core);
            let pre = core.take_buffered();
            let resumed = st.reader_synced(core);
            st.install_tls(setup, &*self.shared.rt, pre);
            Poll::Ready(Ok(resumed.or_else(|| st.driver_waker.take())))
        })
        .await?;
        if let Some(w) = driver {
            w.wake();
        }
        let r = self.shared.handshake().await;
        if r.is_err() {
            self.shared.abort();
        }
        r
    }
}
