//! [`TokioIo`]: a Tokio `AsyncRead` / `AsyncWrite` as a transport (the
//! `tokio-io` feature).

use super::{RecvTransport, SendTransport};
use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A Tokio `AsyncRead` and/or `AsyncWrite` as a transport: a
/// [`RecvTransport`] when it reads, a [`SendTransport`] when it writes, a
/// [`Transport`](super::Transport) when it does both. Shutting the write
/// direction down is `poll_shutdown`.
///
/// It uses Tokio's traits only, not its runtime: a `tokio::io::duplex`
/// pipe works on smol too; a type that needs Tokio's reactor (a
/// `tokio::net` socket, a `tokio::process` pipe) needs a Tokio runtime
/// around it, as always. The value is pinned in a box of its own, so it
/// need not be `Unpin`.
///
/// ```
/// # async fn f(rt: &dyn streams_common::runtime::Runtime) -> Result<(), Box<dyn std::error::Error>> {
/// use streams_common::transport::{self, TokioIo, TransportOptions};
/// let (near, far) = tokio::io::duplex(64 * 1024);
/// let (mut reader, writer) = transport::open(rt, TokioIo::new(near), TransportOptions::default())?;
/// # drop(far); Ok(()) }
/// ```
pub struct TokioIo<T> {
    io: Pin<Box<T>>,
}

impl<T> TokioIo<T> {
    /// Wraps `io`.
    #[must_use]
    pub fn new(io: T) -> Self {
        TokioIo { io: Box::pin(io) }
    }
}

impl<T> fmt::Debug for TokioIo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokioIo").finish_non_exhaustive()
    }
}

impl<T: AsyncRead + Send + 'static> RecvTransport for TokioIo<T> {
    fn poll_recv(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut rb = ReadBuf::new(buf);
        ready!(self.io.as_mut().poll_read(cx, &mut rb))?;
        Poll::Ready(Ok(rb.filled().len()))
    }
}

impl<T: AsyncWrite + Send + 'static> SendTransport for TokioIo<T> {
    fn poll_send(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.as_mut().poll_write(cx, buf)
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.as_mut().poll_flush(cx)
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.as_mut().poll_shutdown(cx)
    }
}
