//! [`FuturesIo`]: a futures-io `AsyncRead` / `AsyncWrite` as a transport
//! (the `futures-io` feature).

use super::{RecvTransport, SendTransport};
use futures_io::{AsyncRead, AsyncWrite};
use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A futures-io `AsyncRead` and/or `AsyncWrite` (what smol, async-std,
/// async-net, futures and quinn use) as a transport: a [`RecvTransport`]
/// when it reads, a [`SendTransport`] when it writes, a
/// [`Transport`](super::Transport) when it does both. Shutting the write
/// direction down is `poll_close`.
///
/// The value is pinned in a box of its own, so it need not be `Unpin`.
///
/// ```
/// # async fn f(rt: &dyn streams_common::runtime::Runtime) -> Result<(), Box<dyn std::error::Error>> {
/// use streams_common::transport::{self, FuturesIo, TransportOptions};
/// // Any futures-io reader: here bytes in memory.
/// let input = futures::io::Cursor::new(b"first\nsecond\n".to_vec());
/// let mut reader = transport::open_reader(rt, FuturesIo::new(input), TransportOptions::default())?;
/// assert_eq!(reader.readline().await?, "first\n");
/// # Ok(()) }
/// ```
pub struct FuturesIo<T> {
    io: Pin<Box<T>>,
}

impl<T> FuturesIo<T> {
    /// Wraps `io`.
    #[must_use]
    pub fn new(io: T) -> Self {
        FuturesIo { io: Box::pin(io) }
    }
}

impl<T> fmt::Debug for FuturesIo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FuturesIo").finish_non_exhaustive()
    }
}

impl<T: AsyncRead + Send + 'static> RecvTransport for FuturesIo<T> {
    fn poll_recv(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.as_mut().poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Send + 'static> SendTransport for FuturesIo<T> {
    fn poll_send(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.as_mut().poll_write(cx, buf)
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.as_mut().poll_flush(cx)
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.as_mut().poll_close(cx)
    }
}
