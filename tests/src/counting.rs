//! A runtime wrapper whose connected sockets count what the driver asks
//! of them: receives that brought something, receives that found nothing,
//! and sends. The counts are of calls into the adapter's socket, so they
//! follow the system calls the driver makes (see `streams::receives` and
//! `tests/reply_batching.rs`).

use crate::layer::{Layered, RuntimeLayer};
use std::io::{self, IoSlice};
#[cfg(unix)]
use std::os::fd::{AsFd, BorrowedFd};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
#[cfg(windows)]
use std::os::windows::io::{AsSocket, BorrowedSocket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use streams_common::runtime::{RuntimeRef, Socket};

/// What the counting sockets saw.
#[derive(Debug, Default)]
pub struct Counts {
    /// Receives that brought data or EOF.
    pub received: AtomicUsize,
    /// Receives that found nothing (`Pending`).
    pub wasted: AtomicUsize,
    /// Sends (`try_write` and `try_write_vectored` calls), whatever they
    /// returned.
    pub sent: AtomicUsize,
}

impl Counts {
    /// `(received, wasted)`.
    pub fn receives(&self) -> (usize, usize) {
        (
            self.received.load(Ordering::SeqCst),
            self.wasted.load(Ordering::SeqCst),
        )
    }

    /// Sends so far.
    pub fn sends(&self) -> usize {
        self.sent.load(Ordering::SeqCst)
    }
}

struct CountingSocket {
    inner: Box<dyn Socket>,
    counts: Arc<Counts>,
}

#[cfg(unix)]
impl AsFd for CountingSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

#[cfg(windows)]
impl AsSocket for CountingSocket {
    fn as_socket(&self) -> BorrowedSocket<'_> {
        self.inner.as_socket()
    }
}

impl Socket for CountingSocket {
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.poll_read_ready(cx)
    }
    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.poll_write_ready(cx)
    }
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.try_read(buf)
    }
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.counts.sent.fetch_add(1, Ordering::SeqCst);
        self.inner.try_write_vectored(bufs)
    }
    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.counts.sent.fetch_add(1, Ordering::SeqCst);
        self.inner.try_write(buf)
    }
    fn poll_recv_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.poll_recv_ready(cx)
    }
    fn poll_recv(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let r = self.inner.poll_recv(cx, buf);
        let counter = match &r {
            Poll::Pending => &self.counts.wasted,
            Poll::Ready(_) => &self.counts.received,
        };
        counter.fetch_add(1, Ordering::SeqCst);
        r
    }
}

/// A runtime, with its connected sockets counted.
pub type CountingRuntime = Layered<Counting>;

/// What [`CountingRuntime`] changes: its connected sockets count.
#[derive(Clone)]
pub struct Counting {
    inner: RuntimeRef,
    counts: Arc<Counts>,
}

impl CountingRuntime {
    /// `inner`, counting into a fresh [`Counts`].
    pub fn new(inner: RuntimeRef) -> Self {
        Layered(Counting {
            inner,
            counts: Arc::default(),
        })
    }

    /// What its sockets counted so far.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }
}

impl Counting {
    fn wrap(&self, inner: Box<dyn Socket>) -> Box<dyn Socket> {
        Box::new(CountingSocket {
            inner,
            counts: self.counts.clone(),
        })
    }
}

impl RuntimeLayer for Counting {
    fn inner(&self) -> &RuntimeRef {
        &self.inner
    }
    fn tcp_stream(&self, stream: std::net::TcpStream) -> io::Result<Box<dyn Socket>> {
        Ok(self.wrap(self.inner.tcp_stream(stream)?))
    }
    #[cfg(unix)]
    fn unix_stream(&self, stream: UnixStream) -> io::Result<Box<dyn Socket>> {
        Ok(self.wrap(self.inner.unix_stream(stream)?))
    }
}
