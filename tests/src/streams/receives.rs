//! No wasted receive: the driver receives only when the runtime says the
//! socket may have data, and a receive that did not fill its room counts
//! as having drained the socket. So a request/response exchange costs one
//! receive per request, and none fails with `WouldBlock`, on every
//! runtime.
//!
//! Counted through a runtime wrapper whose sockets count the receives the
//! driver asks for and those that came back `Pending`. The driver asks
//! only after `poll_recv_ready` said `Ready`, so a `Pending` receive is a
//! system call that failed with `WouldBlock` (or, with a broken driver, a
//! receive it should not have asked for: counted the same, stricter).

use crate::adapters::Adapter;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use streams_common::runtime::{BoxFuture, Listener, Runtime, RuntimeRef, Socket};
use streams_common::{OpenOptions, StreamReader, StreamWriter};

/// What the counting sockets saw.
#[derive(Default)]
struct Counts {
    /// Receives that brought data or EOF.
    received: AtomicUsize,
    /// Receives that found nothing (`Pending`).
    wasted: AtomicUsize,
}

impl Counts {
    fn get(&self) -> (usize, usize) {
        (
            self.received.load(Ordering::SeqCst),
            self.wasted.load(Ordering::SeqCst),
        )
    }
}

struct CountingSocket {
    inner: Box<dyn Socket>,
    counts: Arc<Counts>,
}

impl AsFd for CountingSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
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
        self.inner.try_write_vectored(bufs)
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

/// The adapter's runtime, with its connected sockets counted.
#[derive(Clone)]
struct CountingRuntime {
    inner: RuntimeRef,
    counts: Arc<Counts>,
}

impl CountingRuntime {
    fn wrap(&self, inner: Box<dyn Socket>) -> Box<dyn Socket> {
        Box::new(CountingSocket {
            inner,
            counts: self.counts.clone(),
        })
    }
}

impl Runtime for CountingRuntime {
    fn spawn(&self, future: BoxFuture<()>) {
        self.inner.spawn(future);
    }
    fn sleep(&self, duration: Duration) -> BoxFuture<()> {
        self.inner.sleep(duration)
    }
    fn resolve(&self, host: String, port: u16) -> BoxFuture<io::Result<Vec<SocketAddr>>> {
        self.inner.resolve(host, port)
    }
    fn tcp_stream(&self, stream: std::net::TcpStream) -> io::Result<Box<dyn Socket>> {
        Ok(self.wrap(self.inner.tcp_stream(stream)?))
    }
    fn unix_stream(&self, stream: UnixStream) -> io::Result<Box<dyn Socket>> {
        Ok(self.wrap(self.inner.unix_stream(stream)?))
    }
    fn tcp_listener(&self, listener: std::net::TcpListener) -> io::Result<Box<dyn Listener>> {
        self.inner.tcp_listener(listener)
    }
    fn unix_listener(&self, listener: UnixListener) -> io::Result<Box<dyn Listener>> {
        self.inner.unix_listener(listener)
    }
    fn handle(&self) -> RuntimeRef {
        Arc::new(self.clone())
    }
}

/// A connected pair of TCP sockets over loopback.
fn tcp_pair() -> (std::net::TcpStream, std::net::TcpStream) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let a = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (b, _) = l.accept().unwrap();
    (a, b)
}

/// One request and its reply, `rounds` times: the counted side reads each
/// request line and answers with two writes (each wakes its driver to
/// send, a turn that must not receive).
async fn exchanges<A: Adapter>(
    counted: &mut (StreamReader, StreamWriter),
    peer: &mut (StreamReader, StreamWriter),
    rounds: usize,
) {
    for i in 0..rounds {
        peer.1.write(format!("request {i}\n").as_bytes()).unwrap();
        let line = A::t(counted.0.readline()).await.unwrap();
        assert_eq!(line, format!("request {i}\n").as_bytes());
        counted.1.write(b"reply ").unwrap();
        A::t(counted.1.drain()).await.unwrap();
        counted.1.write(b"done\n").unwrap();
        A::t(counted.1.drain()).await.unwrap();
        assert_eq!(A::t(peer.0.readline()).await.unwrap(), "reply done\n");
    }
}

/// Request/response over TCP and over a Unix socket pair: after a first
/// exchange (the very first receive may find nothing: smol has no
/// readiness until it asks), every request costs exactly one receive, and
/// no receive finds nothing.
pub async fn no_receive_is_wasted<A: Adapter>() {
    const ROUNDS: usize = 50;
    for tcp in [true, false] {
        let counts = Arc::new(Counts::default());
        let rt = CountingRuntime {
            inner: A::runtime(),
            counts: counts.clone(),
        };
        let plain = A::runtime();
        let opts = OpenOptions::default;
        let (mut counted, mut peer) = if tcp {
            let (a, b) = tcp_pair();
            let c = streams_common::open_connection_with_socket(&rt, a.into(), opts());
            let p = streams_common::open_connection_with_socket(&*plain, b.into(), opts());
            (A::t(c).await.unwrap(), A::t(p).await.unwrap())
        } else {
            let (a, b) = UnixStream::pair().unwrap();
            let c = streams_common::open_unix_connection_with_socket(&rt, a.into(), opts());
            let p = streams_common::open_unix_connection_with_socket(&*plain, b.into(), opts());
            (A::t(c).await.unwrap(), A::t(p).await.unwrap())
        };
        exchanges::<A>(&mut counted, &mut peer, 1).await;
        let (received0, wasted0) = counts.get();
        exchanges::<A>(&mut counted, &mut peer, ROUNDS).await;
        let (received, wasted) = counts.get();
        let kind = if tcp { "TCP" } else { "Unix" };
        assert_eq!(
            wasted - wasted0,
            0,
            "{kind}: receives that found nothing in {ROUNDS} exchanges"
        );
        assert_eq!(
            received - received0,
            ROUNDS,
            "{kind}: receives for {ROUNDS} requests"
        );
        peer.1.close();
        assert!(A::t(counted.0.read_to_eof()).await.unwrap().is_empty());
        counted.1.close();
        A::t(counted.1.wait_closed()).await.unwrap();
    }
}
