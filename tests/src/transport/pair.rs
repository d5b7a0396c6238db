//! In-memory pairs: two connected ends with no kernel, whose half-close,
//! close and abort behave as over a Unix socket pair (abort as a reset).

use crate::adapters::{poll_once, wait_until, Adapter};
use std::io;
use std::pin::pin;
use streams_common::transport::{self, TransportOptions};
use streams_common::{ArgumentError, ReadError, StreamReader, StreamWriter};

type Ends = ((StreamReader, StreamWriter), (StreamReader, StreamWriter));

fn pair<A: Adapter>(capacity: usize, options: TransportOptions) -> Ends {
    transport::pair(&*A::runtime(), capacity, options).unwrap()
}

/// A request, `write_eof()`, the peer's EOF after it, and the reply on the
/// still open other direction.
pub async fn pair_half_close<A: Adapter>() {
    let ((mut ar, aw), (mut br, bw)) = pair::<A>(64 * 1024, TransportOptions::default());
    aw.write(b"request\n").unwrap();
    aw.write_eof().unwrap();
    assert_eq!(A::t(br.readline()).await.unwrap(), "request\n");
    assert_eq!(A::t(br.readline()).await.unwrap(), "");
    bw.write(b"response\n").unwrap();
    assert_eq!(A::t(ar.readline()).await.unwrap(), "response\n");
    bw.close();
    assert_eq!(A::t(ar.readline()).await.unwrap(), "");
    aw.close();
    A::t(aw.wait_closed()).await.unwrap();
    A::t(bw.wait_closed()).await.unwrap();
    // The pair's sides, for start_tls.
    assert!(!aw.is_server_side() && bw.is_server_side());
}

/// `close()`: the peer reads every byte, then EOF; its sends then fail
/// with `BrokenPipe`, which ends its connection with that error.
pub async fn pair_close_is_eof_then_broken_pipe<A: Adapter>() {
    let ((_ar, aw), (mut br, bw)) = pair::<A>(64 * 1024, TransportOptions::default());
    aw.write(b"goodbye\n").unwrap();
    aw.close();
    A::t(aw.wait_closed()).await.unwrap();
    assert_eq!(A::t(br.read_to_eof()).await.unwrap(), "goodbye\n");
    bw.write(b"anyone there?\n").unwrap();
    let e = A::t(bw.wait_closed()).await.unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
    assert_eq!(
        A::t(bw.drain()).await.unwrap_err().kind(),
        io::ErrorKind::BrokenPipe
    );
}

/// `abort()` is a reset: the peer's next read fails with
/// `ConnectionReset`, and so does its connection; the aborting side
/// closes without an error.
pub async fn pair_abort_is_a_reset<A: Adapter>() {
    let ((_ar, aw), (mut br, bw)) = pair::<A>(64 * 1024, TransportOptions::default());
    aw.write(b"taken in\n").unwrap();
    assert_eq!(A::t(br.readline()).await.unwrap(), "taken in\n");
    aw.abort();
    A::t(aw.wait_closed()).await.unwrap();
    match A::t(br.readline()).await {
        Err(ReadError::Stored(e)) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
        other => panic!("expected a reset, got {other:?}"),
    }
    let e = A::t(bw.wait_closed()).await.unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
}

/// The capacity plays the kernel buffers' part: a writer whose peer reads
/// nothing keeps the excess in its own buffer, and `drain()` waits above
/// the high-water mark until the peer reads; nothing is lost.
pub async fn pair_water_marks_and_drain<A: Adapter>() {
    const TOTAL: usize = 1 << 20;
    let ((_ar, aw), (mut br, _bw)) = pair::<A>(4096, TransportOptions::default());
    aw.set_write_buffer_limits(Some(64 * 1024), None).unwrap();
    let data: Vec<u8> = (0..TOTAL).map(|i| (i % 251) as u8).collect();
    aw.write(&data).unwrap();
    // The peer's reader pauses at twice its limit; the pair holds 4 KiB;
    // the rest stays in the writer's buffer, above the high-water mark.
    wait_until::<A>("the peer's reader filling up", || {
        br.buffered_len() > 2 * br.limit()
    })
    .await;
    assert!(aw.get_write_buffer_size() > 64 * 1024);
    {
        let mut drain = pin!(aw.drain());
        assert!(poll_once(drain.as_mut()).is_pending(), "drain waits");
        let got = A::t(br.readexactly(TOTAL)).await.unwrap();
        assert!(got == data[..], "every byte, in order");
        A::t(drain).await.unwrap();
    }
    assert_eq!(aw.get_write_buffer_size(), 0);
}

/// A zero capacity or limit is refused before anything starts.
pub async fn pair_argument_errors<A: Adapter>() {
    let rt = A::runtime();
    let e = transport::pair(&*rt, 0, TransportOptions::default()).unwrap_err();
    assert_eq!(e, ArgumentError::ZeroCapacity);
    let e = transport::pair(&*rt, 1, TransportOptions::default().limit(0)).unwrap_err();
    assert_eq!(e, ArgumentError::ZeroLimit);
}
