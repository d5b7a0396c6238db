//! What an adapter provides: a task spawner, a timer, a resolver, and
//! readiness-based sockets. Everything else is written once against these
//! traits.
//!
//! The traits are object-safe and used as `Arc<dyn Runtime>`,
//! `Box<dyn Socket>` and `Box<dyn Listener>`, so the public types
//! ([`StreamReader`](crate::StreamReader), [`StreamWriter`](crate::StreamWriter),
//! [`Server`](crate::Server)) are the same on every runtime. A dynamic call
//! per system call costs nothing next to the system call.

use crate::addr::Address;
#[cfg(unix)]
use crate::addr::UnixAddr;
use socket2::SockRef;
use std::future::Future;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
#[cfg(unix)]
use std::os::unix::net::{SocketAddr as UnixSocketAddr, UnixListener, UnixStream};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// A boxed, sendable future (what the runtime spawns and returns).
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The operating system's socket under a [`Socket`] or [`Listener`]: a
/// file descriptor on Unix (`AsFd`), a `SOCKET` on Windows (`AsSocket`),
/// also lent as a [`SockRef`] for socket options and addresses. Implemented
/// for every type that lends its socket: an adapter's socket implements
/// `AsFd` / `AsSocket`, not this. (`sock_ref` is what a `dyn Socket` can
/// lend: `SockRef::from` needs a sized type.)
#[cfg(unix)]
pub trait AsSockRef: std::os::fd::AsFd {
    /// The socket, borrowed (socket2's view of it).
    fn sock_ref(&self) -> SockRef<'_>;
}

/// The operating system's socket under a [`Socket`] or [`Listener`]: a
/// file descriptor on Unix (`AsFd`), a `SOCKET` on Windows (`AsSocket`),
/// also lent as a [`SockRef`] for socket options and addresses. Implemented
/// for every type that lends its socket: an adapter's socket implements
/// `AsFd` / `AsSocket`, not this. (`sock_ref` is what a `dyn Socket` can
/// lend: `SockRef::from` needs a sized type.)
#[cfg(windows)]
pub trait AsSockRef: std::os::windows::io::AsSocket {
    /// The socket, borrowed (socket2's view of it).
    fn sock_ref(&self) -> SockRef<'_>;
}

#[cfg(unix)]
impl<T: std::os::fd::AsFd> AsSockRef for T {
    fn sock_ref(&self) -> SockRef<'_> {
        SockRef::from(self)
    }
}

#[cfg(windows)]
impl<T: std::os::windows::io::AsSocket> AsSockRef for T {
    fn sock_ref(&self) -> SockRef<'_> {
        SockRef::from(self)
    }
}

/// A connected stream socket (TCP or Unix) registered with the runtime's
/// reactor.
///
/// The calls follow the readiness model both Tokio and async-io use:
/// `try_*` performs one non-blocking system call and fails with
/// [`io::ErrorKind::WouldBlock`] when the socket is not ready; `poll_*_ready`
/// then waits for the next readiness event. (Tokio clears its readiness
/// flag on `WouldBlock`; async-io's `poll_readable`/`poll_writable` register
/// interest in the next event. Either way a `WouldBlock` followed by a
/// `Pending` readiness poll guarantees a wake-up, which is all
/// [`poll_io`] relies on.)
pub trait Socket: AsSockRef + Send + Sync + 'static {
    /// Waits until the socket may be readable.
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// Waits until the socket may be writable.
    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// One non-blocking `recv`.
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize>;
    /// Whether a receive may find data: `Pending` (with a wake-up
    /// registered) while the socket is known to be drained, until the
    /// reactor reports it readable again; no system call either way. The
    /// driver asks this before it takes room to receive into, so a turn
    /// that will not receive does not allocate a buffer for nothing.
    ///
    /// The socket is known to be drained after a receive that failed with
    /// `WouldBlock`, and, with an edge-triggered reactor (epoll, kqueue),
    /// after one that filled less than the room it was offered: the kernel
    /// had no more. That is Tokio's own `poll_read` rule. So a driver turn
    /// woken for writing makes no receive, and a request that arrives in
    /// one piece costs one receive, not a second one that fails.
    ///
    /// The default says `Ready` (then [`poll_recv`](Self::poll_recv)'s
    /// default receives and waits on `WouldBlock`: correct on any reactor,
    /// at the cost of those failing receives); the Tokio and async-io
    /// adapters implement the rule.
    fn poll_recv_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let _ = cx;
        Poll::Ready(Ok(()))
    }
    /// Receives once into `buf` (`Ready(Ok(0))` is EOF), unless the socket
    /// is known to be drained (see [`poll_recv_ready`](Self::poll_recv_ready));
    /// then, or when the receive fails with `WouldBlock`, waits for the
    /// reactor's next read-readiness event (`Pending`, with a wake-up
    /// registered). A receive that fills less than `buf` marks the socket
    /// drained.
    fn poll_recv(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let this = &*self;
        poll_io(cx, |cx| this.poll_read_ready(cx), || this.try_read(buf))
    }
    /// One non-blocking vectored `send`.
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;
    /// One non-blocking `send` of one buffer (what the driver sends: a
    /// `send` is a shorter path through the kernel than a `writev`). The
    /// default is [`try_write_vectored`](Self::try_write_vectored) of it.
    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.try_write_vectored(&[IoSlice::new(buf)])
    }
}

/// A connection a [`Listener`] accepted: its socket, and the peer's
/// address as `accept()` gave it (build it with `Address::Inet` or
/// [`unix_address`]).
///
/// The address becomes the connection's `peername`. It is kept because it
/// cannot be had later: a peer that resets right after connecting leaves
/// `getpeername()` failing before the connection is even set up (asyncio
/// keeps `accept()`'s address too). `None` when the listener cannot tell;
/// the connection then asks `getpeername()`.
pub type Accepted = (Box<dyn Socket>, Option<Address>);

/// A listening socket registered with the runtime's reactor.
pub trait Listener: AsSockRef + Send + Sync + 'static {
    /// Accepts one connection, or registers for the next readiness event.
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<Accepted>>;
}

/// The [`Address`] of a Unix-domain socket address as `accept()` gives it
/// (for [`Listener::poll_accept`]): a path, a Linux abstract name, or, for
/// a client that did not bind (the usual case), unnamed, which asyncio
/// reports as `''`.
#[cfg(unix)]
#[must_use]
pub fn unix_address(addr: &UnixSocketAddr) -> Address {
    if let Some(path) = addr.as_pathname() {
        return Address::Unix(UnixAddr::Path(path.to_path_buf()));
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::linux::net::SocketAddrExt;
        if let Some(name) = addr.as_abstract_name() {
            return Address::Unix(UnixAddr::Abstract(name.to_vec()));
        }
    }
    Address::Unix(UnixAddr::Unnamed)
}

/// An async runtime, as the shared code needs it.
pub trait Runtime: Send + Sync + 'static {
    /// Runs `future` in the background. It must keep running when the
    /// caller's task ends.
    fn spawn(&self, future: BoxFuture<()>);
    /// Completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<()>;
    /// Resolves a host name (without blocking the executor).
    fn resolve(&self, host: String, port: u16) -> BoxFuture<io::Result<Vec<SocketAddr>>>;
    /// Registers a non-blocking, connected (or connecting) TCP stream.
    fn tcp_stream(&self, stream: std::net::TcpStream) -> io::Result<Box<dyn Socket>>;
    /// Registers a non-blocking, connected (or connecting) Unix stream.
    #[cfg(unix)]
    fn unix_stream(&self, stream: UnixStream) -> io::Result<Box<dyn Socket>>;
    /// Registers a non-blocking, listening TCP socket.
    fn tcp_listener(&self, listener: std::net::TcpListener) -> io::Result<Box<dyn Listener>>;
    /// Registers a non-blocking, listening Unix socket.
    #[cfg(unix)]
    fn unix_listener(&self, listener: UnixListener) -> io::Result<Box<dyn Listener>>;
    /// A shared handle on this runtime (`Arc::new(self.clone())`), kept by
    /// each connection for the timers it starts later (the TLS handshake
    /// of `start_tls`, the TLS shutdown).
    fn handle(&self) -> RuntimeRef;
}

/// A shared handle on a runtime.
pub type RuntimeRef = Arc<dyn Runtime>;

/// Runs `op` (one non-blocking call) until it does not fail with
/// `WouldBlock`, waiting for readiness with `ready` in between; retries on
/// `Interrupted`.
pub fn poll_io<T>(
    cx: &mut Context<'_>,
    mut ready: impl FnMut(&mut Context<'_>) -> Poll<io::Result<()>>,
    mut op: impl FnMut() -> io::Result<T>,
) -> Poll<io::Result<T>> {
    loop {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => match ready(cx) {
                Poll::Ready(Ok(())) => continue,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            },
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return Poll::Ready(other),
        }
    }
}
