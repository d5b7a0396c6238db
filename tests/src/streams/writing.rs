//! Writing: backpressure and `drain()`, half-close, writes after close,
//! abort, a peer's reset, a lingering close; over any [`Link`].

use super::BoxError;
use crate::adapters::{poll_once, Adapter};
use crate::links::{Link, LinkOptions};
use std::io;
use std::pin::pin;
use streams_common::ReadError;

/// 16 MiB written without `drain()` and read whole by the server.
pub async fn large_write_without_drain_does_not_deadlock<A: Adapter, L: Link>() {
    let conn = L::connect::<A>(LinkOptions::default()).await;
    // The server reads the whole request, then answers with its length.
    let (mut server_r, server_w) = conn.server;
    let server = A::spawn(async move {
        let n = server_r.readexactly(16 << 20).await?.len();
        server_w.write(format!("{n}\n").as_bytes())?;
        server_w.drain().await?;
        Ok::<_, BoxError>((server_r, server_w))
    });
    let (mut reader, writer) = conn.client;
    let payload = vec![b'x'; 16 << 20];
    writer.write(&payload).unwrap(); // never drained
    assert_eq!(A::t(reader.readline()).await.unwrap(), "16777216\n");
    A::t(server).await.unwrap();
}

/// `drain()` after `close()` is "Connection lost"; later writes vanish.
pub async fn drain_after_close_and_write_after_close<A: Adapter, L: Link>() {
    let conn = L::connect::<A>(LinkOptions::default()).await;
    let ((_reader, writer), _server) = (conn.client, conn.server);
    writer.close();
    assert!(writer.is_closing());
    let e = A::t(writer.drain()).await.unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
    assert_eq!(e.to_string(), "Connection lost");
    // Writes after close are dropped silently (a warning from the fifth).
    for _ in 0..6 {
        writer.write(b"ignored").unwrap();
    }
    assert_eq!(writer.get_write_buffer_size(), 0);
    A::t(writer.wait_closed()).await.unwrap();
    writer.close(); // idempotent
}

/// `write_eof()`: later writes fail; the server sees EOF and still answers.
pub async fn write_after_write_eof_and_half_close<A: Adapter, L: Link>() {
    let conn = L::connect::<A>(LinkOptions::default()).await;
    let (mut server_r, server_w) = conn.server;
    let server = A::spawn(async move {
        // The client half-closed: we see EOF and can still answer.
        let all = server_r.read_to_eof().await?;
        assert!(!server_w.is_closing());
        server_w.write(b"got ")?;
        server_w.write(&all)?;
        server_w.drain().await?;
        server_w.close();
        server_w.wait_closed().await?;
        Ok::<(), BoxError>(())
    });
    let (mut reader, writer) = conn.client;
    writer.write(b"request").unwrap();
    writer.write_eof().unwrap();
    writer.write_eof().unwrap(); // no-op
    let e = writer.write(b"more").unwrap_err();
    assert_eq!(e.to_string(), "Cannot call write() after write_eof()");
    let e = writer.writelines([b"more"]).unwrap_err();
    assert_eq!(e.to_string(), "Cannot call writelines() after write_eof()");
    assert_eq!(A::t(reader.read_to_eof()).await.unwrap(), "got request");
    A::t(server).await.unwrap();
}

/// A reset reaches the read (before bytes still buffered), `drain()` and
/// `wait_closed()`.
pub async fn peer_reset_is_reported_everywhere<A: Adapter, L: Link>() {
    // Windows reports an abortive close as a reset (`recv` fails with
    // WSAECONNRESET, per Microsoft's `recv` documentation); under Wine the
    // reader saw a plain EOF instead.
    if crate::os_codes::skip_under_wine("an abortive close reads as EOF, not as a reset") {
        return;
    }
    let conn = L::connect::<A>(LinkOptions::default().abort_resets()).await;
    let ((mut reader, writer), (_peer_r, peer)) = (conn.client, conn.server);
    peer.write(b"half a li").unwrap();
    A::t(peer.drain()).await.unwrap();
    peer.abort(); // a reset
    let e = A::t(reader.readline()).await.unwrap_err();
    match &e {
        ReadError::Stored(io) => assert_eq!(io.kind(), io::ErrorKind::ConnectionReset),
        other => panic!("{other:?}"),
    }
    assert!(reader.exception().is_some());
    assert_eq!(
        A::t(writer.drain()).await.unwrap_err().kind(),
        io::ErrorKind::ConnectionReset
    );
    assert_eq!(
        A::t(writer.wait_closed()).await.unwrap_err().kind(),
        io::ErrorKind::ConnectionReset
    );
    assert!(writer.is_closing());
}

/// Backpressure: `drain()` waits while a peer does not read, and completes
/// once it does.
///
/// "Waits" is shown without a pause: more is written than the link can
/// hold between the two ends ([`Conn::in_flight`](crate::links::Conn)),
/// so whatever the driver managed to send, the rest is still in our
/// buffer, above the high-water mark, and a drain polled then is pending.
pub async fn drain_blocks_against_a_peer_that_never_reads<A: Adapter, L: Link>() {
    let conn = L::connect::<A>(LinkOptions::default()).await;
    let ((_reader, writer), (mut peer, _peer_w)) = (conn.client, conn.server);
    let kernel = conn.in_flight;
    let (_, high) = writer.get_write_buffer_limits();
    let chunk = vec![0u8; 16 * 1024];
    let mut written = 0usize;
    let mut drained = true;
    for _ in 0..(kernel + high) / chunk.len() + 2 {
        writer.write(&chunk).unwrap();
        written += chunk.len();
        if drained {
            // A write after a drain that was done leaves at most the
            // high-water mark plus that write in the buffer.
            assert!(writer.get_write_buffer_size() <= high + chunk.len());
        }
        drained = poll_once(pin!(writer.drain())).is_ready();
        if written > kernel + high {
            break;
        }
    }
    assert!(written > kernel + high);
    assert!(
        writer.get_write_buffer_size() > high,
        "the link took more than {kernel} bytes"
    );
    let mut drain = pin!(writer.drain());
    assert!(
        poll_once(drain.as_mut()).is_pending(),
        "drain done while the peer read nothing"
    );
    // Once the peer reads, drain completes.
    let reading = A::spawn(async move {
        let mut total = 0;
        // Each round reads something or ends at EOF.
        while total < written {
            let n = peer.read(1 << 16).await.unwrap().len();
            if n == 0 {
                break;
            }
            total += n;
        }
        total
    });
    A::t(drain).await.unwrap();
    writer.close();
    assert_eq!(A::t(reading).await, written);
}

/// `abort()` drops the buffer; a drain that was waiting returns `Ok`, the
/// next one reports the loss.
pub async fn abort_drops_buffer_and_waiting_drain_returns<A: Adapter, L: Link>() {
    let conn = L::connect::<A>(LinkOptions::default()).await;
    let ((_reader, writer), _peer) = (conn.client, conn.server);
    writer.set_write_buffer_limits(Some(0), None).unwrap();
    // More than the link can hold for a peer that reads nothing: ours
    // stays above 0 whatever the driver sends.
    writer.write(&vec![0u8; conn.in_flight + 1]).unwrap();
    // One poll makes this drain a waiting one.
    let mut waiting = pin!(writer.drain());
    assert!(poll_once(waiting.as_mut()).is_pending());
    writer.abort();
    // A drain that was waiting when the connection was aborted returns Ok...
    A::t(waiting).await.unwrap();
    // ...the next one reports the loss.
    assert_eq!(
        A::t(writer.drain()).await.unwrap_err().to_string(),
        "Connection lost"
    );
    assert_eq!(writer.get_write_buffer_size(), 0);
    A::t(writer.wait_closed()).await.unwrap();
}

/// A server that writes a large reply and closes while its client is still
/// sending: with `close_lingering` the client reads every byte, then EOF
/// (a plain `close()` can make the kernel reset the connection instead,
/// and the client then loses what it had not read yet).
pub async fn lingering_close_delivers_everything_to_a_peer_still_sending<A: Adapter, L: Link>() {
    const REPLY: usize = 8 * 1024 * 1024;
    let conn = L::connect::<A>(LinkOptions::default()).await;
    let (mut server_r, server_w) = conn.server;
    let server = A::spawn(async move {
        let _ = server_r.readline().await?;
        server_w.write(&vec![b'r'; REPLY])?;
        server_w.close_lingering(std::time::Duration::from_secs(20));
        server_w.wait_closed().await?;
        Ok::<(), BoxError>(())
    });
    let (mut reader, writer) = conn.client;
    // The request, then more that the server will never read: unread data
    // in the server's receive buffer when it closes.
    writer.write(b"go\n").unwrap();
    writer.write(&vec![b'u'; 4 * 1024 * 1024]).unwrap();
    let got = A::t(reader.read_to_eof()).await.unwrap();
    assert_eq!(got.len(), REPLY);
    assert!(got.iter().all(|&b| b == b'r'));
    // The server closes once it sees this side's EOF.
    writer.close();
    A::t(writer.wait_closed()).await.unwrap();
    A::t(server).await.unwrap();
}
