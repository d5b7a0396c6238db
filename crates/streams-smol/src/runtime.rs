//! The async-io glue: sockets, listeners, a timer and a resolver on
//! `async-io`'s reactor, with the spawner left open ([`Spawn`]). smol and
//! async-std both run on async-io, so this is written once and shared:
//! [`Smol`] and `streams_async_std::AsyncStd` differ only in their spawner.

use async_executor::Executor;
use async_io::{Async, Timer};
use std::fmt;
use std::io::{self, IoSlice, Read, Write};
use std::net::SocketAddr;
#[cfg(unix)]
use std::os::fd::{AsFd as AsOsSocket, BorrowedFd};
#[cfg(unix)]
use std::os::unix::net::{UnixListener, UnixStream};
#[cfg(windows)]
use std::os::windows::io::{AsSocket as AsOsSocket, BorrowedSocket};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;
#[cfg(unix)]
use streams_common::runtime::unix_address;
use streams_common::runtime::{poll_io, Accepted, BoxFuture, Listener, Runtime, Socket};
use streams_common::Address;

/// Runs a future in the background, detached: the only part of an
/// async-io based runtime that is not async-io itself.
pub trait Spawn: Send + Sync + 'static {
    /// Runs `future` to completion in the background; it must keep running
    /// when the caller's task ends.
    fn spawn(&self, future: BoxFuture<()>);
}

/// An async-io based runtime: async-io's reactor for the sockets and
/// timers, `async-net`'s resolver (`getaddrinfo` on the `blocking` thread
/// pool), and `S` for spawning.
///
/// ```
/// use streams_smol::{AsyncIo, Smol};
/// let rt: Smol = AsyncIo::default(); // smol's global executor
/// # let _ = rt;
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct AsyncIo<S>(pub S);

/// smol's spawner: the global executor (`smol::spawn`), or an executor of
/// the application's own.
#[derive(Clone, Default)]
pub struct SmolSpawn {
    executor: Option<Arc<Executor<'static>>>,
}

impl fmt::Debug for SmolSpawn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let which = if self.executor.is_some() {
            "own executor"
        } else {
            "global executor"
        };
        f.debug_tuple("SmolSpawn").field(&which).finish()
    }
}

impl Spawn for SmolSpawn {
    fn spawn(&self, future: BoxFuture<()>) {
        match &self.executor {
            Some(ex) => ex.spawn(future).detach(),
            None => smol::spawn(future).detach(),
        }
    }
}

/// The smol runtime, as `streams-common` needs it.
///
/// `Smol::default()` (what this crate's free functions use) spawns the
/// connection tasks on smol's global executor (`smol::spawn`), whose
/// threads (`SMOL_THREADS`, one by default) start on first use and also
/// drive async-io's reactor; the application may run its own futures with
/// `smol::block_on` or any executor. [`Smol::with_executor`] spawns on an
/// executor the application runs itself instead; pass it to the
/// `streams_common` functions, which take the runtime as an argument.
///
/// ```
/// use std::sync::Arc;
/// use streams_smol::Smol;
///
/// let ex = Arc::new(smol::Executor::new());
/// let rt = Smol::with_executor(ex.clone());
/// smol::block_on(ex.run(async move {
///     let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
///     let (_reader, writer) =
///         streams_common::open_unix_connection_with_socket(&rt, a.into(), Default::default())
///             .await
///             .unwrap();
///     writer.close();
///     writer.wait_closed().await.unwrap();
/// }));
/// ```
pub type Smol = AsyncIo<SmolSpawn>;

impl Smol {
    /// Spawns on `executor` instead of smol's global one. The application
    /// must run the executor (`executor.run(...)`) for the connections to
    /// make progress.
    pub fn with_executor(executor: Arc<Executor<'static>>) -> Self {
        AsyncIo(SmolSpawn {
            executor: Some(executor),
        })
    }
}

/// A connected stream registered with async-io.
struct Stream<T> {
    io: Async<T>,
    /// The last receive found the socket drained: the next waits for
    /// async-io to report readability first (see [`Socket::poll_recv`]).
    drained: bool,
}

impl<T: AsOsSocket> Stream<T> {
    fn new(io: T) -> io::Result<Self> {
        Ok(Stream {
            io: Async::new(io)?,
            drained: false,
        })
    }
}

// The OS socket under it (a descriptor on Unix, a `SOCKET` on Windows):
// what `Socket` lends as a `SockRef`.
#[cfg(unix)]
impl<T: AsOsSocket> AsOsSocket for Stream<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

#[cfg(windows)]
impl<T: AsOsSocket> AsOsSocket for Stream<T> {
    fn as_socket(&self) -> BorrowedSocket<'_> {
        self.io.get_ref().as_socket()
    }
}

impl<T> Socket for Stream<T>
where
    T: AsOsSocket + Send + Sync + 'static,
    for<'a> &'a T: Read + Write,
{
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_readable(cx)
    }
    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_writable(cx)
    }
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let mut sock: &T = self.io.get_ref();
        sock.read(buf)
    }
    fn poll_recv_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // async-io keeps no readiness of its own between events (its
        // `poll_read` always tries the system call first): the drained
        // flag is that readiness. `poll_readable` registers interest and
        // reports the next event; async-io's epoll registration is
        // one-shot and re-armed there, and re-arming a socket that already
        // has data reports it at once, so no data is missed.
        if self.drained {
            ready!(self.io.poll_readable(cx))?;
            self.drained = false;
        }
        Poll::Ready(Ok(()))
    }
    fn poll_recv(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.poll_recv_ready(cx))?;
            match self.try_read(buf) {
                Ok(n) => {
                    self.drained = n > 0 && n < buf.len();
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.drained = true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut sock: &T = self.io.get_ref();
        sock.write_vectored(bufs)
    }
    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        let mut sock: &T = self.io.get_ref();
        sock.write(buf)
    }
}

/// A std listener whose `accept` gives a registered stream and the peer's
/// address.
trait Accept: AsOsSocket + Send + Sync + 'static {
    fn accept_registered(&self) -> io::Result<Accepted>;
}

impl Accept for std::net::TcpListener {
    fn accept_registered(&self) -> io::Result<Accepted> {
        let (s, addr) = self.accept()?;
        Ok((Box::new(Stream::new(s)?), Some(Address::Inet(addr))))
    }
}

#[cfg(unix)]
impl Accept for UnixListener {
    fn accept_registered(&self) -> io::Result<Accepted> {
        let (s, addr) = self.accept()?;
        Ok((Box::new(Stream::new(s)?), Some(unix_address(&addr))))
    }
}

/// A listening socket registered with async-io.
struct Listen<L>(Async<L>);

#[cfg(unix)]
impl<L: AsOsSocket> AsOsSocket for Listen<L> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.get_ref().as_fd()
    }
}

#[cfg(windows)]
impl<L: AsOsSocket> AsOsSocket for Listen<L> {
    fn as_socket(&self) -> BorrowedSocket<'_> {
        self.0.get_ref().as_socket()
    }
}

impl<L: Accept> Listener for Listen<L> {
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<Accepted>> {
        poll_io(
            cx,
            |cx| self.0.poll_readable(cx),
            || self.0.get_ref().accept_registered(),
        )
    }
}

impl<S: Spawn + Clone> Runtime for AsyncIo<S> {
    fn spawn(&self, future: BoxFuture<()>) {
        self.0.spawn(future);
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<()> {
        Box::pin(async move {
            Timer::after(duration).await;
        })
    }

    fn resolve(&self, host: String, port: u16) -> BoxFuture<io::Result<Vec<SocketAddr>>> {
        Box::pin(async move { async_net::resolve((host.as_str(), port)).await })
    }

    fn tcp_stream(&self, stream: std::net::TcpStream) -> io::Result<Box<dyn Socket>> {
        Ok(Box::new(Stream::new(stream)?))
    }

    #[cfg(unix)]
    fn unix_stream(&self, stream: UnixStream) -> io::Result<Box<dyn Socket>> {
        Ok(Box::new(Stream::new(stream)?))
    }

    fn tcp_listener(&self, listener: std::net::TcpListener) -> io::Result<Box<dyn Listener>> {
        Ok(Box::new(Listen(Async::new(listener)?)))
    }

    #[cfg(unix)]
    fn unix_listener(&self, listener: UnixListener) -> io::Result<Box<dyn Listener>> {
        Ok(Box::new(Listen(Async::new(listener)?)))
    }

    fn handle(&self) -> streams_common::runtime::RuntimeRef {
        Arc::new(self.clone())
    }
}
