//! Writing: backpressure and `drain()`, half-close, writes after close,
//! abort, a peer's reset.

use super::{connect, echo_server, small_kernel_buffers, BoxError};
use crate::adapters::{poll_once, Adapter};
use futures::channel::oneshot;
use std::io::{self, Read, Write};
use std::pin::pin;
use std::time::Duration;
use streams_common::{socket2, OpenOptions, ReadError, ServerOptions, StreamReader, StreamWriter};

/// 16 MiB written without `drain()` and read whole by the server.
pub async fn large_write_without_drain_does_not_deadlock<A: Adapter>() {
    // The server reads the whole request, then answers with its length.
    let server = A::t(A::start_server(
        |mut reader: StreamReader, writer: StreamWriter| async move {
            let n = reader.readexactly(16 << 20).await?.len();
            writer.write(format!("{n}\n").as_bytes())?;
            Ok::<(), BoxError>(())
        },
        "127.0.0.1",
        0,
        ServerOptions::default(),
    ))
    .await
    .unwrap();
    let (mut reader, writer) = connect::<A>(&server).await;
    let payload = vec![b'x'; 16 << 20];
    writer.write(&payload).unwrap(); // never drained
    assert_eq!(A::t(reader.readline()).await.unwrap(), "16777216\n");
    server.close();
    A::t(server.wait_closed()).await;
}

/// `drain()` after `close()` is "Connection lost"; later writes vanish.
pub async fn drain_after_close_and_write_after_close<A: Adapter>() {
    let server = echo_server::<A>().await;
    let (_reader, writer) = connect::<A>(&server).await;
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
    server.close();
}

/// `write_eof()`: later writes fail; the server sees EOF and still answers.
pub async fn write_after_write_eof_and_half_close<A: Adapter>() {
    let (tx, rx) = oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    let server = A::t(A::start_server(
        move |mut reader: StreamReader, writer: StreamWriter| {
            let tx = tx.lock().unwrap().take();
            async move {
                // The client half-closed: we see EOF and can still answer.
                let all = reader.read_to_eof().await?;
                assert!(!writer.is_closing());
                writer.write(b"got ")?;
                writer.write(&all)?;
                writer.drain().await?;
                writer.close();
                writer.wait_closed().await?;
                if let Some(tx) = tx {
                    let _ = tx.send(());
                }
                Ok::<(), BoxError>(())
            }
        },
        "127.0.0.1",
        0,
        ServerOptions::default(),
    ))
    .await
    .unwrap();
    let (mut reader, writer) = connect::<A>(&server).await;
    writer.write(b"request").unwrap();
    writer.write_eof().unwrap();
    writer.write_eof().unwrap(); // no-op
    let e = writer.write(b"more").unwrap_err();
    assert_eq!(e.to_string(), "Cannot call write() after write_eof()");
    let e = writer.writelines([b"more"]).unwrap_err();
    assert_eq!(e.to_string(), "Cannot call writelines() after write_eof()");
    assert_eq!(A::t(reader.read_to_eof()).await.unwrap(), "got request");
    A::t(rx).await.unwrap();
    server.close();
    A::t(server.wait_closed()).await;
}

/// A reset reaches the read, `drain()` and `wait_closed()`.
pub async fn peer_reset_is_reported_everywhere<A: Adapter>() {
    let (mut reader, writer, peer) = crate::connect_raw_peer::<A>(OpenOptions::default()).await;
    (&peer).write_all(b"half a li").unwrap();
    socket2::SockRef::from(&peer)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(peer); // RST
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
/// "Waits" is shown without a pause: more is written than the kernel can
/// hold between the two ends (`small_kernel_buffers`), so whatever the
/// driver managed to send, the rest is still in our buffer, above the
/// high-water mark, and a drain polled then is pending.
pub async fn drain_blocks_against_a_peer_that_never_reads<A: Adapter>() {
    let (_reader, writer, mut peer) = crate::connect_raw_peer::<A>(OpenOptions::default()).await;
    let kernel = small_kernel_buffers(&writer, &peer);
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
        "the kernel took more than {kernel} bytes"
    );
    let mut drain = pin!(writer.drain());
    assert!(
        poll_once(drain.as_mut()).is_pending(),
        "drain done while the peer read nothing"
    );
    // Once the peer reads, drain completes.
    peer.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let reading = A::spawn_blocking(move || {
        let mut buf = vec![0u8; 1 << 16];
        let mut total = 0;
        while total < written {
            let n = peer.read(&mut buf).unwrap();
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
pub async fn abort_drops_buffer_and_waiting_drain_returns<A: Adapter>() {
    let (_reader, writer, peer) = crate::connect_raw_peer::<A>(OpenOptions::default()).await;
    writer.set_write_buffer_limits(Some(0), None).unwrap();
    // More than the kernel can hold for a peer that reads nothing: ours
    // stays above 0 whatever the driver sends.
    let kernel = small_kernel_buffers(&writer, &peer);
    writer.write(&vec![0u8; kernel + 1]).unwrap();
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
pub async fn lingering_close_delivers_everything_to_a_peer_still_sending<A: Adapter>() {
    const REPLY: usize = 8 * 1024 * 1024;
    let server = A::t(A::start_server(
        |mut reader: StreamReader, writer: StreamWriter| async move {
            let _ = reader.readline().await?;
            writer.write(&vec![b'r'; REPLY])?;
            writer.close_lingering(std::time::Duration::from_secs(20));
            writer.wait_closed().await?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        },
        "127.0.0.1",
        0,
        ServerOptions::default(),
    ))
    .await
    .unwrap();
    let (mut reader, writer) = connect::<A>(&server).await;
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
    server.close();
    A::t(server.wait_closed()).await;
}
