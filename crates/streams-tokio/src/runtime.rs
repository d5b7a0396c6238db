//! [`Tokio`]: the runtime glue, and nothing else.

use std::io::{self, IoSlice};
use std::net::SocketAddr;
#[cfg(unix)]
use std::os::unix::net::{UnixListener as StdUnixListener, UnixStream as StdUnixStream};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;
use streams_common::runtime::{Accepted, BoxFuture, Listener, Runtime, Socket};
use streams_common::Address;
#[cfg(unix)]
use streams_common::UnixAddr;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
#[cfg(unix)]
use tokio::net::{UnixListener, UnixStream};

/// The Tokio runtime, as `streams-common` needs it: `tokio::spawn`,
/// `tokio::time::sleep`, `tokio::net::lookup_host`, and Tokio's sockets.
///
/// Must be used from within a Tokio runtime (with the I/O and time drivers
/// enabled).
#[derive(Clone, Copy, Debug, Default)]
pub struct Tokio;

struct Tcp(TcpStream);
#[cfg(unix)]
struct Unix(UnixStream);
struct TcpL(TcpListener);
#[cfg(unix)]
struct UnixL(UnixListener);

/// Lends the Tokio socket's OS socket, what [`Socket`] and [`Listener`]
/// lend as a `SockRef`: a descriptor on Unix, a `SOCKET` on Windows.
macro_rules! os_socket_impl {
    ($t:ty) => {
        #[cfg(unix)]
        impl std::os::fd::AsFd for $t {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(&self.0)
            }
        }
        #[cfg(windows)]
        impl std::os::windows::io::AsSocket for $t {
            fn as_socket(&self) -> std::os::windows::io::BorrowedSocket<'_> {
                std::os::windows::io::AsSocket::as_socket(&self.0)
            }
        }
    };
}

macro_rules! socket_impl {
    ($t:ty) => {
        os_socket_impl!($t);
        impl Socket for $t {
            fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.0.poll_read_ready(cx)
            }
            fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.0.poll_write_ready(cx)
            }
            fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
                self.0.try_read(buf)
            }
            fn poll_recv_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                // Tokio's readiness, which its poll_read clears when a
                // receive shows the socket drained.
                self.0.poll_read_ready(cx)
            }
            fn poll_recv(
                &mut self,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                // Tokio's poll_read ends the readiness it saw on a short
                // read (on epoll and kqueue), with the tick of the event it
                // read under, so a newer event is never lost.
                let mut rb = ReadBuf::new(buf);
                ready!(Pin::new(&mut self.0).poll_read(cx, &mut rb))?;
                Poll::Ready(Ok(rb.filled().len()))
            }
            fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
                self.0.try_write_vectored(bufs)
            }
            fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
                self.0.try_write(buf)
            }
        }
    };
}
socket_impl!(Tcp);
#[cfg(unix)]
socket_impl!(Unix);

/// A listener of `$t`, whose accepted connections are `$sock`s and whose
/// peer addresses `$address` converts (Tokio's address types differ for
/// TCP and Unix).
macro_rules! listener_impl {
    ($t:ty, $sock:ident, $address:expr) => {
        os_socket_impl!($t);
        impl Listener for $t {
            fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<Accepted>> {
                self.0
                    .poll_accept(cx)
                    .map_ok(|(s, addr)| (Box::new($sock(s)) as Box<dyn Socket>, $address(addr)))
            }
        }
    };
}
listener_impl!(TcpL, Tcp, |addr| Some(Address::Inet(addr)));
// mio reports a peer bound to a Linux abstract name as unnamed, so only a
// path is taken from it; otherwise the connection asks getpeername(),
// which tells the two apart, and which works for as long as the accepted
// socket is open (a Unix peer's name outlives its close, unlike a reset
// TCP peer's).
#[cfg(unix)]
listener_impl!(UnixL, Unix, |addr: tokio::net::unix::SocketAddr| addr
    .as_pathname()
    .map(|p| Address::Unix(UnixAddr::Path(p.to_path_buf()))));

impl Runtime for Tokio {
    fn spawn(&self, future: BoxFuture<()>) {
        tokio::spawn(future);
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<()> {
        Box::pin(tokio::time::sleep(duration))
    }

    fn resolve(&self, host: String, port: u16) -> BoxFuture<io::Result<Vec<SocketAddr>>> {
        Box::pin(async move {
            Ok(tokio::net::lookup_host((host.as_str(), port))
                .await?
                .collect())
        })
    }

    fn tcp_stream(&self, stream: std::net::TcpStream) -> io::Result<Box<dyn Socket>> {
        Ok(Box::new(Tcp(TcpStream::from_std(stream)?)))
    }

    #[cfg(unix)]
    fn unix_stream(&self, stream: StdUnixStream) -> io::Result<Box<dyn Socket>> {
        Ok(Box::new(Unix(UnixStream::from_std(stream)?)))
    }

    fn tcp_listener(&self, listener: std::net::TcpListener) -> io::Result<Box<dyn Listener>> {
        Ok(Box::new(TcpL(TcpListener::from_std(listener)?)))
    }

    #[cfg(unix)]
    fn unix_listener(&self, listener: StdUnixListener) -> io::Result<Box<dyn Listener>> {
        Ok(Box::new(UnixL(UnixListener::from_std(listener)?)))
    }

    fn handle(&self) -> streams_common::runtime::RuntimeRef {
        std::sync::Arc::new(*self)
    }
}
