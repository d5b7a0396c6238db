//! The generic path: streams over any `AsyncRead + AsyncWrite`, with the
//! socket path's semantics.

use super::duplex_streams;
use crate::adapters::{poll_once, wait_until, Adapter};
use futures::io::{AsyncRead as FRead, AsyncWrite as FWrite};
use std::io;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use streams_common::transport::{self, FuturesIo, TokioIo, TransportOptions};
use streams_common::{ReadError, StreamReader, StreamWriter};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::compat::TokioAsyncReadCompatExt;

/// Lines both ways, a half-close each way, then a close each way, between
/// two ends of any transport; and the socket-only extra info is absent.
async fn lines_half_close_and_close<A: Adapter>(
    (mut ar, aw): (StreamReader, StreamWriter),
    (mut br, bw): (StreamReader, StreamWriter),
) {
    aw.write(b"one\ntwo\n").unwrap();
    assert_eq!(A::t(br.readline()).await.unwrap(), "one\n");
    assert_eq!(A::t(br.readline()).await.unwrap(), "two\n");
    assert!(aw.can_write_eof());
    aw.write_eof().unwrap();
    assert!(aw.write(b"late").is_err(), "no write after write_eof");
    assert_eq!(
        A::t(br.readline()).await.unwrap(),
        "",
        "EOF after the lines"
    );
    assert!(br.at_eof());
    // The other direction is still open (half-close).
    bw.write(b"back\n").unwrap();
    assert_eq!(A::t(ar.readline()).await.unwrap(), "back\n");
    bw.close();
    assert_eq!(A::t(ar.read_to_eof()).await.unwrap(), "");
    A::t(bw.wait_closed()).await.unwrap();
    aw.close();
    A::t(aw.wait_closed()).await.unwrap();
    // No socket behind it.
    assert!(aw.peername().is_none() && aw.sockname().is_none());
    assert!(aw.with_socket(|_| ()).is_none() && !crate::has_socket(&aw) && !aw.is_tcp());
}

/// A `tokio::io::duplex` pipe through Tokio's traits, on any runtime.
pub async fn tokio_duplex_lines_half_close_and_close<A: Adapter>() {
    let (near, far) = duplex_streams::<A>(64 * 1024, TransportOptions::default());
    lines_half_close_and_close::<A>(near, far).await;
}

/// The same pipe through futures-io's traits (tokio-util's compat layer).
pub async fn futures_io_pipe_lines_half_close_and_close<A: Adapter>() {
    let (a, b) = tokio::io::duplex(64 * 1024);
    let rt = A::runtime();
    let o = TransportOptions::default;
    let near = transport::open(&*rt, FuturesIo::new(a.compat()), o()).unwrap();
    let far = transport::open(&*rt, FuturesIo::new(b.compat()), o()).unwrap();
    lines_half_close_and_close::<A>(near, far).await;
}

/// A Tokio write half whose shutdown does nothing (as Tokio's
/// `ChildStdin`): only dropping it ends the stream for the peer.
struct NoShutdown<T>(T);

impl<T: AsyncWrite + Unpin> AsyncWrite for NoShutdown<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Separate halves (two pipes, as a child's stdin and stdout):
/// `write_eof()` drops the write half, so the peer sees EOF even though
/// its shutdown does nothing, and reading goes on.
pub async fn split_halves_write_eof_drops_the_write_half<A: Adapter>() {
    let rt = A::runtime();
    let (up_w, up_r) = tokio::io::duplex(1024);
    let (down_w, down_r) = tokio::io::duplex(1024);
    let (mut ar, aw) = transport::open_split(
        &*rt,
        TokioIo::new(down_r),
        TokioIo::new(NoShutdown(up_w)),
        TransportOptions::default(),
    )
    .unwrap();
    let (mut br, bw) = transport::open_split(
        &*rt,
        TokioIo::new(up_r),
        TokioIo::new(down_w),
        TransportOptions::default(),
    )
    .unwrap();
    aw.write(b"request\n").unwrap();
    aw.write_eof().unwrap();
    assert_eq!(A::t(br.read_to_eof()).await.unwrap(), "request\n");
    bw.write(b"response\n").unwrap();
    assert_eq!(A::t(ar.readline()).await.unwrap(), "response\n");
    bw.close();
    assert_eq!(A::t(ar.readline()).await.unwrap(), "");
    A::t(bw.wait_closed()).await.unwrap();
    aw.close();
    A::t(aw.wait_closed()).await.unwrap();
}

/// A Tokio reader or writer that records when it is dropped.
struct DropFlag<T> {
    io: T,
    dropped: Arc<AtomicBool>,
}

impl<T> Drop for DropFlag<T> {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for DropFlag<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

/// A writer alone over one end of a pipe, a reader alone over the other
/// (asyncio's `connect_write_pipe` / `connect_read_pipe`): the writer's
/// close is the reader's EOF, and a reader alone lets its transport go at
/// EOF, and when it is dropped.
pub async fn reader_alone_and_writer_alone<A: Adapter>() {
    let rt = A::runtime();
    let (w_end, r_end) = tokio::io::duplex(1024);
    let dropped = Arc::new(AtomicBool::new(false));
    let writer =
        transport::open_writer(&*rt, TokioIo::new(w_end), TransportOptions::default()).unwrap();
    let reader_io = DropFlag {
        io: r_end,
        dropped: dropped.clone(),
    };
    let mut reader =
        transport::open_reader(&*rt, TokioIo::new(reader_io), TransportOptions::default()).unwrap();
    writer.write(b"{\"id\": 1}\n{\"id\": 2}\n").unwrap();
    writer.close();
    A::t(writer.wait_closed()).await.unwrap();
    assert_eq!(A::t(reader.readline()).await.unwrap(), "{\"id\": 1}\n");
    wait_until::<A>("the reader alone dropping its transport at EOF", || {
        dropped.load(Ordering::SeqCst)
    })
    .await;
    // Everything before the EOF is still there.
    assert_eq!(A::t(reader.readline()).await.unwrap(), "{\"id\": 2}\n");
    assert_eq!(A::t(reader.readline()).await.unwrap(), "");

    // Dropping a reader alone drops its transport too.
    let (_keep, r_end) = tokio::io::duplex(1024);
    let dropped = Arc::new(AtomicBool::new(false));
    let reader_io = DropFlag {
        io: r_end,
        dropped: dropped.clone(),
    };
    let reader =
        transport::open_reader(&*rt, TokioIo::new(reader_io), TransportOptions::default()).unwrap();
    drop(reader);
    wait_until::<A>("a dropped reader alone dropping its transport", || {
        dropped.load(Ordering::SeqCst)
    })
    .await;
}

/// A futures-io transport that always has data to read (`x` bytes, no
/// newline) and takes every write, counting the reads it was asked for.
struct Endless {
    reads: Arc<AtomicUsize>,
    written: Arc<AtomicUsize>,
}

impl FRead for Endless {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        buf.fill(b'x');
        Poll::Ready(Ok(buf.len()))
    }
}

impl FWrite for Endless {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.written.fetch_add(buf.len(), Ordering::SeqCst);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Flow control over a transport: once the reader holds more than twice
/// its limit, the driver stops polling the transport for reading, even
/// through turns it makes for writing; it polls again once the reader is
/// back to its limit. Counted on a source that never runs dry (without
/// flow control the driver would read it forever).
pub async fn paused_reader_stops_polling_its_transport<A: Adapter>() {
    const LIMIT: usize = 1024;
    let reads = Arc::new(AtomicUsize::new(0));
    let written = Arc::new(AtomicUsize::new(0));
    let source = Endless {
        reads: reads.clone(),
        written: written.clone(),
    };
    let rt = A::runtime();
    let (mut reader, writer) = transport::open(
        &*rt,
        FuturesIo::new(source),
        TransportOptions::default().limit(LIMIT),
    )
    .unwrap();
    wait_until::<A>("the reader filling up to twice its limit", || {
        reader.buffered_len() > 2 * LIMIT
    })
    .await;
    let paused_at = reads.load(Ordering::SeqCst);
    // A driver turn for a write: it sends, and must not read.
    writer.write(b"ping").unwrap();
    wait_until::<A>("the write being sent", || {
        written.load(Ordering::SeqCst) == 4
    })
    .await;
    assert_eq!(
        reads.load(Ordering::SeqCst),
        paused_at,
        "a paused reader's transport is not polled"
    );
    let held = reader.buffered_len();
    assert!(held <= 2 * LIMIT + 64 * 1024, "bounded: {held}");
    // Consuming down to the limit resumes reading.
    A::t(reader.readexactly(held - LIMIT)).await.unwrap();
    wait_until::<A>("reading resuming", || {
        reads.load(Ordering::SeqCst) > paused_at
    })
    .await;
    writer.abort();
}

/// A transport that buffers what it is given (Tokio's `BufWriter`, as a
/// TLS stream or Tokio's `Stdout` do) is flushed once the driver has
/// nothing more to send: a short reply reaches the peer without a close.
pub async fn a_transport_that_buffers_is_flushed<A: Adapter>() {
    let rt = A::runtime();
    let (a, b) = tokio::io::duplex(64 * 1024);
    let buffered = tokio::io::BufWriter::with_capacity(64 * 1024, a);
    let (_ar, aw) =
        transport::open(&*rt, TokioIo::new(buffered), TransportOptions::default()).unwrap();
    let (mut br, _bw) =
        transport::open(&*rt, TokioIo::new(b), TransportOptions::default()).unwrap();
    aw.write(b"short reply\n").unwrap();
    assert_eq!(A::t(br.readline()).await.unwrap(), "short reply\n");
    aw.write(b"last words\n").unwrap();
    aw.close();
    A::t(aw.wait_closed()).await.unwrap();
    assert_eq!(A::t(br.read_to_eof()).await.unwrap(), "last words\n");
}

/// A futures-io transport that reads `data` and then fails with
/// `read_error`, and whose writes fail with `write_error` (if set).
struct Failing {
    data: &'static [u8],
    read_error: io::ErrorKind,
    write_error: Option<io::ErrorKind>,
}

impl FRead for Failing {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if self.data.is_empty() {
            return Poll::Ready(Err(io::Error::new(self.read_error, "transport failed")));
        }
        let n = buf.len().min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Poll::Ready(Ok(n))
    }
}

impl FWrite for Failing {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.write_error {
            Some(kind) => Poll::Ready(Err(io::Error::new(kind, "send failed"))),
            None => Poll::Ready(Ok(buf.len())),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A transport's receive error reaches the reader, `drain()` and
/// `wait_closed()`; a send error ends the connection the same way.
pub async fn transport_errors_reach_reader_drain_and_wait_closed<A: Adapter>() {
    let rt = A::runtime();
    let failing = Failing {
        data: b"line\n",
        read_error: io::ErrorKind::ConnectionAborted,
        write_error: None,
    };
    let (mut r, w) =
        transport::open(&*rt, FuturesIo::new(failing), TransportOptions::default()).unwrap();
    // asyncio's rule: a stored error is raised by every read, before any
    // byte still buffered.
    match A::t(r.readline()).await {
        Err(ReadError::Stored(e)) => assert_eq!(e.kind(), io::ErrorKind::ConnectionAborted),
        other => panic!("{other:?}"),
    }
    let kind = |r: io::Result<()>| r.unwrap_err().kind();
    assert_eq!(
        kind(A::t(w.drain()).await),
        io::ErrorKind::ConnectionAborted
    );
    assert_eq!(
        kind(A::t(w.wait_closed()).await),
        io::ErrorKind::ConnectionAborted
    );

    let failing = Failing {
        data: b"",
        read_error: io::ErrorKind::WouldBlock, // never reached: see below
        write_error: Some(io::ErrorKind::BrokenPipe),
    };
    // A writer alone, so that only the send can fail.
    let w =
        transport::open_writer(&*rt, FuturesIo::new(failing), TransportOptions::default()).unwrap();
    w.write(b"into a broken pipe").unwrap();
    assert_eq!(kind(A::t(w.wait_closed()).await), io::ErrorKind::BrokenPipe);
    assert_eq!(kind(A::t(w.drain()).await), io::ErrorKind::BrokenPipe);
}

/// A Tokio writer whose shutdown stays pending (a peer that never takes
/// the last bytes), counting the shutdown calls.
struct StuckShutdown {
    shutdowns: Arc<AtomicUsize>,
}

impl AsyncWrite for StuckShutdown {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.shutdowns.fetch_add(1, Ordering::SeqCst);
        Poll::Pending
    }
}

/// `close()` shuts the transport down before it lets it go, and
/// `wait_closed()` waits for that; `abort()` drops it at once, ending the
/// wait.
pub async fn close_waits_for_the_transport_and_abort_ends_the_wait<A: Adapter>() {
    let rt = A::runtime();
    let shutdowns = Arc::new(AtomicUsize::new(0));
    let stuck = StuckShutdown {
        shutdowns: shutdowns.clone(),
    };
    let w = transport::open_writer(&*rt, TokioIo::new(stuck), TransportOptions::default()).unwrap();
    w.write(b"bye\n").unwrap();
    w.close();
    wait_until::<A>("close shutting the transport down", || {
        shutdowns.load(Ordering::SeqCst) > 0
    })
    .await;
    let mut closed = pin!(w.wait_closed());
    assert!(
        poll_once(closed.as_mut()).is_pending(),
        "not closed while the shutdown is pending"
    );
    w.abort();
    A::t(closed).await.unwrap();
}

/// A read cancelled while its line is incomplete takes nothing: the next
/// read returns the whole line.
pub async fn cancelled_reads_over_a_transport_lose_nothing<A: Adapter>() {
    let ((mut ar, _aw), (_br, bw)) = duplex_streams::<A>(1024, TransportOptions::default());
    bw.write(b"par").unwrap();
    wait_until::<A>("the first part arriving", || ar.buffered_len() == 3).await;
    {
        let read = pin!(ar.readline());
        assert!(poll_once(read).is_pending());
    }
    bw.write(b"tial\n").unwrap();
    assert_eq!(A::t(ar.readline()).await.unwrap(), "partial\n");
}
