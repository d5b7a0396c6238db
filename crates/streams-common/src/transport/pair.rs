//! [`pair`]: two connected ends in memory, each a reader and a writer,
//! with no kernel involved.
//!
//! Each direction is a bounded byte queue of the chosen capacity, which
//! plays the part of the kernel's socket buffers: a writer whose peer does
//! not read fills it, then its own write buffer, then waits in `drain()`,
//! as over a socket. The ends behave as the ends of a Unix socket pair:
//!
//! | this end | the peer's reads | the peer's sends |
//! |---|---|---|
//! | `write_eof()` | EOF after every byte written before it | go on |
//! | `close()` (flushed, then shut down and dropped) | EOF after every byte | fail with `BrokenPipe` |
//! | `abort()`, or the connection lost with an error | fail with `ConnectionReset`; bytes in flight are lost | fail with `ConnectionReset` |
//!
//! The abort row is what a TCP reset looks like (asyncio's `abort()`
//! closes the socket at once; the kernel sends a reset when unread data
//! is left behind, and the peer's next receive fails with
//! `ConnectionResetError`). Over a pair it is always so, which makes the
//! reset path of a protocol testable without a kernel. As over a socket,
//! the peer's reads raise the error from then on, even with bytes still
//! buffered (asyncio's `set_exception`).

use super::{check, RecvTransport, SendTransport, TransportOptions};
use crate::conn::{new_transport_connection, Halves};
use crate::error::ArgumentError;
use crate::runtime::Runtime;
use crate::{StreamReader, StreamWriter};
use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// Two connected ends, each a reader and its writer: what [`pair`]
/// returns.
pub type PairEnds = ((StreamReader, StreamWriter), (StreamReader, StreamWriter));

/// Two connected ends in memory, each a `(StreamReader, StreamWriter)`,
/// with at most `capacity` bytes in flight each way (what the kernel's
/// socket buffers would hold). No kernel, no file descriptor: a protocol
/// written on the streams can be unit-tested on any runtime.
///
/// Both ends take `options` (the limit, the addresses reported), except
/// the side of `start_tls`: the first end is the client side, the second
/// the server side (as if accepted by a server). Half-close, close and
/// abort behave as over a Unix socket pair; abort as a reset (see the
/// [module docs](super)).
///
/// Fails on a zero limit or a zero capacity. Must be called where `rt` can
/// spawn (within a Tokio runtime, for Tokio).
///
/// ```no_run
/// # async fn f(rt: &dyn streams_common::runtime::Runtime) -> Result<(), Box<dyn std::error::Error>> {
/// use streams_common::transport::{pair, TransportOptions};
/// let ((mut client_r, client_w), (mut server_r, server_w)) =
///     pair(rt, 64 * 1024, TransportOptions::default())?;
/// client_w.write(b"PING\r\n")?;
/// assert_eq!(server_r.readline().await?, "PING\r\n");
/// server_w.write(b"+PONG\r\n")?;
/// server_w.close();
/// assert_eq!(client_r.read_to_eof().await?, "+PONG\r\n");
/// # Ok(()) }
/// ```
pub fn pair(
    rt: &dyn Runtime,
    capacity: usize,
    options: TransportOptions,
) -> Result<PairEnds, ArgumentError> {
    check(&options)?;
    if capacity == 0 {
        return Err(ArgumentError::ZeroCapacity);
    }
    let (a, b) = ends(capacity);
    let client = options.clone().server_side(false);
    let server = TransportOptions {
        server_side: true,
        ..options
    };
    let (ar, aw, ad) = new_transport_connection(rt.handle(), Halves::duplex(Box::new(a)), client);
    let (br, bw, bd) = new_transport_connection(rt.handle(), Halves::duplex(Box::new(b)), server);
    rt.spawn(ad);
    rt.spawn(bd);
    Ok(((ar, aw), (br, bw)))
}

/// One direction: the bytes in flight and how its two ends stand.
#[derive(Default)]
struct Queue {
    bytes: VecDeque<u8>,
    capacity: usize,
    /// The writing end shut down: EOF once `bytes` is read.
    shut: bool,
    /// The reading end is gone: sends fail with `BrokenPipe`.
    reader_gone: bool,
    /// The connection was reset: both ends fail with `ConnectionReset`.
    reset: bool,
    /// The reader waiting for bytes or EOF.
    reader: Option<Waker>,
    /// The writer waiting for room.
    writer: Option<Waker>,
}

type Shared = Arc<Mutex<Queue>>;

fn lock(q: &Shared) -> MutexGuard<'_, Queue> {
    q.lock().unwrap_or_else(|p| p.into_inner())
}

fn reset() -> io::Error {
    io::Error::from(io::ErrorKind::ConnectionReset)
}

fn keep(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(w) if w.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

/// One end: it reads `inbound` and writes `outbound`.
struct End {
    inbound: Shared,
    outbound: Shared,
    /// This end shut its write direction down (then a drop is a close,
    /// not a reset, as for a TCP socket whose FIN is out).
    shut: bool,
}

fn ends(capacity: usize) -> (End, End) {
    let queue = || {
        Arc::new(Mutex::new(Queue {
            capacity,
            ..Queue::default()
        }))
    };
    let (ab, ba) = (queue(), queue());
    (
        End {
            inbound: ba.clone(),
            outbound: ab.clone(),
            shut: false,
        },
        End {
            inbound: ab,
            outbound: ba,
            shut: false,
        },
    )
}

impl RecvTransport for End {
    fn poll_recv_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut q = lock(&self.inbound);
        if q.bytes.is_empty() && !q.shut && !q.reset {
            keep(&mut q.reader, cx);
            return Poll::Pending;
        }
        Poll::Ready(Ok(()))
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut q = lock(&self.inbound);
        if q.reset {
            return Poll::Ready(Err(reset()));
        }
        if q.bytes.is_empty() {
            if q.shut {
                return Poll::Ready(Ok(0));
            }
            keep(&mut q.reader, cx);
            return Poll::Pending;
        }
        let n = buf.len().min(q.bytes.len());
        let (front, back) = q.bytes.as_slices();
        let from_front = n.min(front.len());
        buf[..from_front].copy_from_slice(&front[..from_front]);
        buf[from_front..n].copy_from_slice(&back[..n - from_front]);
        q.bytes.drain(..n);
        let writer = q.writer.take();
        drop(q);
        if let Some(w) = writer {
            w.wake();
        }
        Poll::Ready(Ok(n))
    }
}

impl SendTransport for End {
    fn poll_send(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let mut q = lock(&self.outbound);
        if q.reset {
            return Poll::Ready(Err(reset()));
        }
        if q.reader_gone || q.shut {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        let room = q.capacity - q.bytes.len();
        if room == 0 {
            keep(&mut q.writer, cx);
            return Poll::Pending;
        }
        let n = room.min(buf.len());
        q.bytes.extend(&buf[..n]);
        let reader = q.reader.take();
        drop(q);
        if let Some(w) = reader {
            w.wake();
        }
        Poll::Ready(Ok(n))
    }

    fn poll_shutdown(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut q = lock(&self.outbound);
        q.shut = true;
        self.shut = true;
        let reader = q.reader.take();
        drop(q);
        if let Some(w) = reader {
            w.wake();
        }
        Poll::Ready(Ok(()))
    }
}

impl Drop for End {
    fn drop(&mut self) {
        let mut wake = Vec::with_capacity(2);
        {
            let mut q = lock(&self.inbound);
            // The peer's sends fail from now on: with a reset, or as to a
            // closed socket.
            if self.shut {
                q.reader_gone = true;
                q.bytes.clear();
            } else {
                q.reset = true;
            }
            wake.extend(q.writer.take());
            wake.extend(q.reader.take());
        }
        if !self.shut {
            // Dropped without shutting down (abort): the peer's reads fail.
            let mut q = lock(&self.outbound);
            q.reset = true;
            q.bytes.clear();
            wake.extend(q.reader.take());
            wake.extend(q.writer.take());
        }
        wake.into_iter().for_each(Waker::wake);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> Context<'static> {
        Context::from_waker(futures::task::noop_waker_ref())
    }

    #[test]
    fn bytes_pass_up_to_the_capacity_then_wait() {
        let (mut a, mut b) = ends(4);
        let mut cx = cx();
        assert!(matches!(
            a.poll_send(&mut cx, b"abcdef"),
            Poll::Ready(Ok(4))
        ));
        assert!(a.poll_send(&mut cx, b"ef").is_pending());
        let mut buf = [0; 8];
        assert!(matches!(b.poll_recv(&mut cx, &mut buf), Poll::Ready(Ok(4))));
        assert_eq!(&buf[..4], b"abcd");
        assert!(b.poll_recv(&mut cx, &mut buf).is_pending());
        assert!(b.poll_recv_ready(&mut cx).is_pending());
    }

    #[test]
    fn shutdown_is_eof_after_the_bytes_and_close_is_a_broken_pipe() {
        let (mut a, mut b) = ends(16);
        let mut cx = cx();
        assert!(matches!(a.poll_send(&mut cx, b"hi"), Poll::Ready(Ok(2))));
        assert!(a.poll_shutdown(&mut cx).is_ready());
        drop(a);
        let mut buf = [0; 8];
        assert!(matches!(b.poll_recv(&mut cx, &mut buf), Poll::Ready(Ok(2))));
        assert!(matches!(b.poll_recv(&mut cx, &mut buf), Poll::Ready(Ok(0))));
        match b.poll_send(&mut cx, b"x") {
            Poll::Ready(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::BrokenPipe),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_drop_without_shutdown_is_a_reset_both_ways() {
        let (mut a, mut b) = ends(16);
        let mut cx = cx();
        assert!(matches!(a.poll_send(&mut cx, b"lost"), Poll::Ready(Ok(4))));
        drop(a);
        let mut buf = [0; 8];
        match b.poll_recv(&mut cx, &mut buf) {
            Poll::Ready(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
            other => panic!("{other:?}"),
        }
        match b.poll_send(&mut cx, b"x") {
            Poll::Ready(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
            other => panic!("{other:?}"),
        }
    }
}
