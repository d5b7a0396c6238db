//! A connection on a runtime: the sans-IO [`Connection`] behind a mutex,
//! the socket, the wakers, and the construction of its reader, writer and
//! driver task.
//!
//! The [`driver`] task performs the system calls the core asks for; the
//! [`StreamReader`] owns its reader core and takes received bytes from the
//! connection only when a flag says there are some, so reading data that
//! already arrived takes no lock; the [`StreamWriter`] buffers through the
//! core. Waking is done in one place: releasing the lock
//! ([`StateGuard`]) wakes whoever the core named.

mod driver;
mod generic;
mod io_traits;
mod lines;
mod reader;
mod writer;

pub(crate) use generic::{new_reader_alone, new_transport_connection, new_writer_alone, Halves};
pub use lines::{IntoLines, Lines};
pub use reader::StreamReader;
pub use writer::StreamWriter;

use crate::addr::Address;
use crate::connection::{Connection, HandshakeState, TlsSession, Wake};
use crate::runtime::{BoxFuture, RuntimeRef, Socket};
use crate::tls::TlsError;
use std::future::poll_fn;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// Dropping the writer closes the connection.
const WRITER_CLOSE_NOW: u8 = 0;
/// Dropping the writer only records it (a server polls the handler).
const WRITER_CLOSE_DEFERRED: u8 = 1;
/// The writer was dropped while its close was deferred.
const WRITER_DROPPED_WHILE_DEFERRED: u8 = 2;

/// Called once when the connection's socket has been closed.
pub(crate) type OnFinished = Box<dyn FnOnce() + Send>;

/// What the mutex guards: the core and what only a runtime has.
pub(crate) struct State {
    pub(crate) core: Connection,
    sock: Option<Box<dyn Socket>>,
    /// The transport when it is not a kernel socket (`sock` is then
    /// `None`).
    generic: Option<Box<Halves>>,
    wakers: Wakers,
    /// The runtime timer armed for the core's deadline, and that deadline.
    timer: Option<(Instant, BoxFuture<()>)>,
    on_finished: Option<OnFinished>,
}

/// Who waits for what.
#[derive(Default)]
struct Wakers {
    reader: Option<Waker>,
    driver: Option<Waker>,
    drain: Vec<Waker>,
    handshake: Vec<Waker>,
    closed: Vec<Waker>,
}

/// The wakers to wake once the lock is released.
struct ToWake {
    one: [Option<Waker>; 2],
    /// Wakers moved out of the waiting lists (which keep their capacity).
    many: Vec<Waker>,
}

impl ToWake {
    fn take(w: Wake, wakers: &mut Wakers) -> ToWake {
        let mut t = ToWake {
            one: [None, None],
            many: Vec::new(),
        };
        if w.contains(Wake::READER) {
            t.one[0] = wakers.reader.take();
        }
        if w.contains(Wake::DRIVER) {
            t.one[1] = wakers.driver.take();
        }
        if w.contains(Wake::DRAIN) {
            t.many.append(&mut wakers.drain);
        }
        if w.contains(Wake::HANDSHAKE) {
            t.many.append(&mut wakers.handshake);
        }
        if w.contains(Wake::CLOSED) {
            t.many.append(&mut wakers.closed);
        }
        t
    }

    fn wake(self) {
        self.one.into_iter().flatten().for_each(Waker::wake);
        self.many.into_iter().for_each(Waker::wake);
    }
}

/// The part of a connection every handle shares.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Whether `drain()` would return `Ok` at once: a copy of
    /// [`Connection::drain_ready`] refreshed whenever the lock is released,
    /// so the common drain takes no lock.
    drain_ready: AtomicBool,
    /// Whether the core has something for the reader
    /// ([`Connection::has_news`]), refreshed the same way: the reader
    /// looks at it before each read and takes the lock only when it is set.
    news: AtomicBool,
    /// How many bytes the reader holds, stored by the reader after each
    /// read (without the lock) and whenever it takes news (with it). The
    /// driver hands it to the core before receiving, so the pause rule
    /// counts what the reader holds now, not at its last visit.
    reader_len: AtomicUsize,
    /// The reader has consumed all its input since the last write sent at
    /// once: the next write is a reply, which [`Shared::send_now`] sends
    /// from the writer (a hint: it decides only who sends, never what).
    input_drained: AtomicBool,
    /// What dropping the writer does: one of the `WRITER_*` states (see
    /// [`Shared::deferring_writer_close`]).
    writer_close: AtomicU8,
    peername: Option<Address>,
    sockname: Option<Address>,
    is_tcp: bool,
    /// The runtime, for the timers.
    rt: RuntimeRef,
    /// Whether the connection was accepted by a server.
    server_side: bool,
    /// The host a client connection was opened with (the default
    /// `server_hostname` of `start_tls`).
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    host: Option<String>,
    /// A reader alone (`transport::open_reader`): dropping the reader
    /// closes the connection, as dropping the writer does otherwise.
    reader_closes: bool,
}

/// The locked state. Releasing it refreshes the [`Shared`] flags (while
/// still holding the lock, so they describe the state as the last critical
/// section left it), then wakes whoever the core named.
pub(crate) struct StateGuard<'a> {
    guard: Option<MutexGuard<'a, State>>,
    shared: &'a Shared,
    /// The driver's own turn: it does not need waking for what it did.
    driver_turn: bool,
}

impl Deref for StateGuard<'_> {
    type Target = State;
    fn deref(&self) -> &State {
        self.guard.as_ref().expect("held until dropped")
    }
}

impl DerefMut for StateGuard<'_> {
    fn deref_mut(&mut self) -> &mut State {
        self.guard.as_mut().expect("held until dropped")
    }
}

impl Drop for StateGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        let Some(mut g) = self.guard.take() else {
            return;
        };
        let st = &mut *g;
        let mut wake = st.core.take_wake();
        if self.driver_turn {
            wake = wake.without(Wake::DRIVER);
        }
        self.shared
            .drain_ready
            .store(st.core.drain_ready(), Ordering::Release);
        self.shared
            .news
            .store(st.core.has_news(), Ordering::Release);
        if wake.is_empty() {
            // The common case (a write to a busy connection, a read that
            // found its data): nobody to wake.
            return;
        }
        wake_after_unlock(g, wake);
    }
}

/// Takes the wakers `wake` names, releases the lock, then wakes them
/// (out of line: most unlocks wake nobody).
#[inline(never)]
fn wake_after_unlock(mut g: MutexGuard<'_, State>, wake: Wake) {
    let to_wake = ToWake::take(wake, &mut g.wakers);
    drop(g);
    to_wake.wake();
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

/// What a connection's handles report about it, fixed when it is made.
pub(crate) struct Identity {
    pub(crate) peername: Option<Address>,
    pub(crate) sockname: Option<Address>,
    pub(crate) is_tcp: bool,
    pub(crate) rt: RuntimeRef,
    pub(crate) server_side: bool,
    pub(crate) host: Option<String>,
    pub(crate) reader_closes: bool,
}

impl Shared {
    /// The shared part of a new connection in `state`.
    pub(crate) fn new(state: State, id: Identity) -> Arc<Shared> {
        Arc::new(Shared {
            drain_ready: AtomicBool::new(state.core.drain_ready()),
            news: AtomicBool::new(false),
            reader_len: AtomicUsize::new(0),
            // Set only by a reader over a socket (the write fast path, a
            // reply sent by write() itself, is for sockets only).
            input_drained: AtomicBool::new(false),
            writer_close: AtomicU8::new(WRITER_CLOSE_NOW),
            state: Mutex::new(state),
            peername: id.peername,
            sockname: id.sockname,
            is_tcp: id.is_tcp,
            rt: id.rt,
            server_side: id.server_side,
            host: id.host,
            reader_closes: id.reader_closes,
        })
    }

    /// The connection's driver task, to spawn.
    pub(crate) fn driver(shared: &Arc<Shared>) -> BoxFuture<()> {
        let shared = shared.clone();
        Box::pin(poll_fn(move |cx| shared.poll_drive(cx)))
    }

    pub(crate) fn lock(&self) -> StateGuard<'_> {
        // A panic while the lock was held cannot leave the state half
        // updated in a way that matters more than losing the connection.
        StateGuard {
            guard: Some(self.state.lock().unwrap_or_else(|p| p.into_inner())),
            shared: self,
            driver_turn: false,
        }
    }

    /// asyncio's `close()`: flush, then close. Idempotent.
    pub(crate) fn close(&self) {
        self.lock().core.close();
    }

    /// asyncio's `abort()`: drop the buffer and close. A generic
    /// transport that is being closed gracefully (flushed and shut down)
    /// is dropped at once instead.
    pub(crate) fn abort(&self) {
        let mut st = self.lock();
        st.core.abort();
        let closing = st.generic.as_deref_mut().is_some_and(Halves::abort);
        let driver = if closing {
            st.wakers.driver.take()
        } else {
            None
        };
        drop(st);
        if let Some(w) = driver {
            w.wake();
        }
    }

    /// The reader was dropped: a reader alone closes its connection.
    pub(super) fn reader_dropped(&self) {
        if self.reader_closes {
            self.close();
        }
    }

    /// Runs `f` (one poll of a server's handler) with the writer's close
    /// deferred: if the writer is dropped meanwhile, the connection is not
    /// closed then, and this returns `true` for the caller to close it
    /// after `f` (once a failure is reported: the handler's future owns
    /// the writer and drops it as it fails, and the peer must not see the
    /// connection end before the failure is reported).
    pub(crate) fn deferring_writer_close<T>(&self, f: impl FnOnce() -> T) -> (T, bool) {
        // One read-modify-write per poll: the store needs no fence (a
        // drop in another thread that misses it closes at once, which is
        // as right as closing after), and the swap and the drop's
        // compare-exchange are totally ordered on this one location.
        self.writer_close
            .store(WRITER_CLOSE_DEFERRED, Ordering::Relaxed);
        let out = f();
        let was = self.writer_close.swap(WRITER_CLOSE_NOW, Ordering::AcqRel);
        (out, was == WRITER_DROPPED_WHILE_DEFERRED)
    }

    /// The writer was dropped: close, unless that is deferred.
    pub(super) fn writer_dropped(&self) {
        let deferred = self
            .writer_close
            .compare_exchange(
                WRITER_CLOSE_DEFERRED,
                WRITER_DROPPED_WHILE_DEFERRED,
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_ok();
        if !deferred {
            self.close();
        }
    }

    /// Waits for the TLS handshake (at once `Ok` without TLS).
    pub(crate) fn poll_handshake(&self, cx: &mut Context<'_>) -> Poll<Result<(), TlsError>> {
        let mut st = self.lock();
        match st.core.handshake() {
            HandshakeState::Done => Poll::Ready(Ok(())),
            HandshakeState::Failed(e) => Poll::Ready(Err(e)),
            HandshakeState::Pending => {
                register(&mut st.wakers.handshake, cx);
                Poll::Pending
            }
        }
    }

    /// Waits for the TLS handshake.
    pub(crate) async fn handshake(&self) -> Result<(), TlsError> {
        poll_fn(|cx| self.poll_handshake(cx)).await
    }
}

/// How a connection was made, for [`new_connection`].
pub(crate) struct NewConnection {
    /// The runtime (timers).
    pub(crate) rt: RuntimeRef,
    /// Accepted by a server.
    pub(crate) server_side: bool,
    /// The host a client connected to, if any.
    pub(crate) host: Option<String>,
    /// TLS from the start.
    pub(crate) tls: Option<TlsSession>,
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
    let sref = sock.sock_ref();
    let is_tcp = matches!(
        crate::sys::domain(&sref),
        Ok(d) if d == socket2::Domain::IPV4 || d == socket2::Domain::IPV6
    );
    if is_tcp {
        // asyncio sets TCP_NODELAY on every TCP stream transport.
        if let Err(e) = sref.set_tcp_nodelay(true) {
            crate::diag::debug!("TCP_NODELAY failed: {e}");
        }
    }
    let sockname = Address::local_of(&sref);
    let peername = peername.or_else(|| Address::peer_of(&sref));
    let core = match conn.tls {
        Some(session) => Connection::with_tls(limit, session, Instant::now()),
        None => Connection::new(limit),
    };
    let state = State {
        core,
        sock: Some(sock),
        generic: None,
        wakers: Wakers::default(),
        timer: None,
        on_finished,
    };
    let shared = Shared::new(
        state,
        Identity {
            peername,
            sockname,
            is_tcp,
            rt: conn.rt,
            server_side: conn.server_side,
            host: conn.host,
            reader_closes: false,
        },
    );
    let driver = Shared::driver(&shared);
    (
        StreamReader::new(shared.clone(), limit),
        StreamWriter::new(shared.clone()),
        shared,
        driver,
    )
}
