//! Tokio's I/O traits on the reader and writer: `tokio::io::copy` both
//! ways, `tokio_util::codec` framing, `AsyncBufRead` without a
//! `BufReader`, and `AsyncWrite` with `drain()`'s flow control, flush and
//! shutdown.

use super::{over, pattern, serve_over};
use crate::adapters::{poll_once, Adapter};
use crate::links::{Link, LinkOptions};
use futures::{SinkExt, StreamExt};
use std::future::poll_fn;
use std::io;
use std::pin::{pin, Pin};
use std::task::Poll;
use streams_common::runtime::BoxFuture;
use streams_common::{OpenOptions, ReadError, ServerOptions, StreamReader, StreamWriter};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_util::codec::{FramedRead, FramedWrite, LinesCodec};

/// Reads everything the server end gets until EOF, in a task.
fn read_all<A: Adapter>(mut reader: StreamReader) -> BoxFuture<Vec<u8>> {
    A::spawn(async move { reader.read_to_eof().await.unwrap().to_vec() })
}

/// `tokio::io::copy` into the writer, out of the reader, and from one to
/// the other in an echo server: 4 MiB through both directions, with
/// backpressure, EOF by `shutdown()`.
pub async fn tokio_copy_both_ways<A: Adapter, L: Link>() {
    let (client, server) = serve_over::<A, L, _, _>(|mut reader, mut writer| async move {
        tokio::io::copy(&mut reader, &mut writer).await?;
        writer.shutdown().await
    })
    .await;
    let (mut reader, mut writer) = client;
    let data = pattern(4 << 20);
    let send = {
        let data = data.clone();
        A::spawn(async move {
            let n = tokio::io::copy(&mut &data[..], &mut writer).await.unwrap();
            writer.shutdown().await.unwrap();
            (n, writer) // kept: dropping the writer would close the reading side
        })
    };
    let mut echoed = Vec::new();
    let n = A::t(tokio::io::copy(&mut reader, &mut echoed))
        .await
        .unwrap();
    let (sent, _writer) = A::t(send).await;
    assert_eq!(sent, data.len() as u64);
    assert_eq!(n, data.len() as u64);
    assert!(echoed == data, "the echo differs");
    A::t(server).await.unwrap();
}

/// `FramedRead<StreamReader, LinesCodec>` and `FramedWrite` on a
/// `StreamWriter`, on both ends: lines out, upper-cased lines back.
pub async fn tokio_codec_lines_both_ways<A: Adapter, L: Link>() {
    let (client, server) = serve_over::<A, L, _, _>(|reader, writer| async move {
        let mut lines = FramedRead::new(reader, LinesCodec::new());
        let mut out = FramedWrite::new(writer, LinesCodec::new());
        while let Some(line) = lines.next().await {
            let line = line.map_err(io::Error::other)?;
            out.send(line.to_uppercase())
                .await
                .map_err(io::Error::other)?;
        }
        SinkExt::<String>::close(&mut out)
            .await
            .map_err(io::Error::other)
    })
    .await;
    let (reader, writer) = client;
    let sent: Vec<String> = (0..2000).map(|i| format!("line {i} of many")).collect();
    let mut out = FramedWrite::new(writer, LinesCodec::new());
    let mut lines = FramedRead::new(reader, LinesCodec::new());
    let send = {
        let sent = sent.clone();
        A::spawn(async move {
            let mut items = futures::stream::iter(sent.into_iter().map(Ok));
            out.send_all(&mut items).await.unwrap();
            // write_eof: the server sees EOF.
            SinkExt::<String>::close(&mut out).await.unwrap();
            out
        })
    };
    let got: Vec<String> = A::t(lines.by_ref().map(Result::unwrap).collect()).await;
    let _out = A::t(send).await;
    let expected: Vec<String> = sent.iter().map(|l| l.to_uppercase()).collect();
    assert_eq!(got, expected);
    A::t(server).await.unwrap();
}

/// `AsyncBufReadExt::fill_buf` / `consume` straight on the reader (no
/// `BufReader` around it), mixed with the reader's own reads on the same
/// buffer; at EOF `fill_buf` is empty.
pub async fn tokio_fill_buf_and_consume_without_a_bufreader<A: Adapter, L: Link>() {
    let (client, server) = serve_over::<A, L, _, _>(|mut reader, writer| async move {
        writer.write(b"PROTO1 hello\nrest of it\n")?;
        writer.write_eof()?;
        reader.read_to_eof().await?; // until the client is done
        Ok(())
    })
    .await;
    let (mut reader, writer) = client;
    // The magic, byte by byte as it arrives, with fill_buf / consume.
    let mut magic = Vec::new();
    while magic.len() < 7 {
        let buf = A::t(reader.fill_buf()).await.unwrap();
        assert!(!buf.is_empty(), "EOF before the magic");
        let take = buf.len().min(7 - magic.len());
        magic.extend_from_slice(&buf[..take]);
        reader.consume(take);
    }
    assert_eq!(magic, b"PROTO1 ");
    // The same buffer through the reader's own read...
    assert_eq!(A::t(reader.readline()).await.unwrap(), "hello\n");
    // ...and through tokio's read_line.
    let mut rest = String::new();
    A::t(reader.read_line(&mut rest)).await.unwrap();
    assert_eq!(rest, "rest of it\n");
    assert!(A::t(reader.fill_buf()).await.unwrap().is_empty(), "EOF");
    assert!(A::t(reader.fill_buf()).await.unwrap().is_empty(), "still");
    writer.close();
    A::t(server).await.unwrap();
}

/// `poll_write` follows `drain()`: it accepts while the buffer is at or
/// below the high-water mark, is pending above it (taking nothing), and
/// goes on only once the buffer is down to the low-water mark.
///
/// Shown without timing: more than the kernel can hold plus the
/// high-water mark is buffered for a peer that does not read, so the
/// buffer stays above the high-water mark whatever the driver sends, and
/// a write polled then must wait; raising the high-water mark then must
/// not let it go (it waits for the low-water mark, as a drain does).
pub async fn poll_write_waits_above_high_water_until_low<A: Adapter, L: Link>() {
    let conn = L::connect::<A>(LinkOptions::default()).await;
    let ((_reader, mut writer), (peer, _peer_w)) = (conn.client, conn.server);
    let kernel = conn.in_flight;
    let (low, high) = (16 * 1024, 64 * 1024);
    writer
        .set_write_buffer_limits(Some(high), Some(low))
        .unwrap();
    let chunk = pattern(8 * 1024);
    let poll_write = |writer: &mut StreamWriter| {
        poll_once(pin!(poll_fn(|cx| Poll::Ready(
            Pin::new(&mut *writer).poll_write(cx, &chunk)
        ))))
    };
    // At or below the high-water mark: taken at once, whole.
    let Poll::Ready(Poll::Ready(Ok(n))) = poll_write(&mut writer) else {
        panic!("a write below the high-water mark waited")
    };
    assert_eq!(n, chunk.len());
    let mut total = n;
    let filler = pattern(kernel + high);
    writer.write(&filler).unwrap();
    total += filler.len();
    // Above it: pending, and nothing taken.
    let before = writer.get_write_buffer_size();
    assert!(before > high);
    assert!(matches!(
        poll_write(&mut writer),
        Poll::Ready(Poll::Pending)
    ));
    assert!(
        writer.get_write_buffer_size() <= before,
        "a waiting write took nothing"
    );
    // Below a higher high-water mark now, but not down to the low one: it
    // still waits (the buffer cannot go below `high` while the peer does
    // not read).
    writer
        .set_write_buffer_limits(Some(1 << 40), Some(low))
        .unwrap();
    assert!(matches!(
        poll_write(&mut writer),
        Poll::Ready(Poll::Pending)
    ));
    // The peer reads everything: the waiting write goes in once the
    // buffer is down to the low-water mark.
    let received = read_all::<A>(peer);
    let (at_resume, r) = A::t(poll_fn(|cx| {
        let before = writer.get_write_buffer_size();
        Pin::new(&mut writer)
            .poll_write(cx, &chunk)
            .map(|r| (before, r))
    }))
    .await;
    assert!(
        at_resume <= low,
        "resumed with {at_resume} > {low} buffered"
    );
    assert_eq!(r.unwrap(), chunk.len());
    total += chunk.len();
    A::t(writer.shutdown()).await.unwrap();
    let received = A::t(received).await;
    assert_eq!(received.len(), total);
    let mut expected = chunk.clone();
    expected.extend_from_slice(&filler);
    expected.extend_from_slice(&chunk);
    assert!(received == expected, "the bytes differ");
}

/// `flush` waits until everything written has been handed to the socket;
/// with nothing buffered it is done at once; once the connection is over
/// it fails as `drain()` does.
pub async fn flush_waits_until_everything_is_sent<A: Adapter, L: Link>() {
    let conn = L::connect::<A>(LinkOptions::default()).await;
    let ((_reader, mut writer), (peer, _peer_w)) = (conn.client, conn.server);
    assert!(
        poll_once(pin!(writer.flush())).is_ready(),
        "nothing to flush"
    );
    let data = pattern(conn.in_flight + (1 << 20));
    writer.write(&data).unwrap();
    {
        // More than the link holds, and the peer does not read: some of
        // it is still ours, whatever the driver managed to send.
        let mut flush = pin!(writer.flush());
        assert!(poll_once(flush.as_mut()).is_pending());
        let received = read_all::<A>(peer);
        A::t(flush).await.unwrap();
        assert_eq!(writer.get_write_buffer_size(), 0);
        writer.close();
        A::t(writer.wait_closed()).await.unwrap();
        assert!(A::t(received).await == data);
    }
    let e = A::t(writer.flush()).await.unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{e}");
    assert_eq!(e.to_string(), "Connection lost");
}

/// `shutdown` is `write_eof()` on a link that can half-close: the peer
/// gets EOF after every byte, reading goes on, and a later write fails
/// with `BrokenPipe`.
pub async fn shutdown_is_write_eof_and_reading_goes_on<A: Adapter, L: Link>() {
    let (client, server) = serve_over::<A, L, _, _>(|mut reader, writer| async move {
        let all = reader.read_to_eof().await?;
        writer.write(format!("got {}\n", all.len()).as_bytes())?;
        writer.close();
        Ok(())
    })
    .await;
    let (mut reader, mut writer) = client;
    A::t(writer.write_all(&pattern(100_000))).await.unwrap();
    A::t(writer.shutdown()).await.unwrap();
    assert_eq!(A::t(reader.readline()).await.unwrap(), "got 100000\n");
    let e = A::t(writer.write_all(b"late")).await.unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
    assert_eq!(e.to_string(), "Cannot call write() after write_eof()");
    A::t(writer.shutdown()).await.unwrap(); // again: nothing more to do
    A::t(server).await.unwrap();
}

/// Over TLS, which cannot half-close, `shutdown` is `close()`: the peer
/// gets EOF after our close_notify.
pub async fn shutdown_over_tls_is_close<A: Adapter>() {
    let pki = crate::tls::Pki::new();
    let server = A::t(A::start_server(
        |mut reader: StreamReader, writer: StreamWriter| async move {
            let all = reader.read_to_eof().await?;
            writer.write(format!("got {}\n", all.len()).as_bytes())?;
            Ok::<(), io::Error>(())
        },
        "127.0.0.1",
        0,
        ServerOptions::default().ssl(pki.server()),
    ))
    .await
    .unwrap();
    let options = OpenOptions::default()
        .ssl(pki.client())
        .server_hostname("localhost");
    let (_reader, mut writer) = crate::connect_port::<A>(crate::port(&server), options).await;
    assert!(!writer.can_write_eof());
    A::t(writer.write_all(b"over tls")).await.unwrap();
    A::t(writer.shutdown()).await.unwrap();
    assert!(
        writer.is_closing(),
        "TLS cannot half-close: shutdown closed"
    );
    A::t(writer.wait_closed()).await.unwrap();
    server.close();
}

/// Through the traits, EOF reads as 0 bytes (an empty `fill_buf`) every
/// time, and the error the connection ended with is reported by every
/// read as an `io::Error` of its kind, the `ReadError` inside and the
/// stored error as its source.
pub async fn trait_reads_report_eof_and_the_stored_error_every_time<A: Adapter, L: Link>() {
    let ((mut reader, _writer), peer) = over::<A, L>(LinkOptions::default()).await;
    peer.write(b"abc").unwrap();
    peer.write_eof().unwrap();
    let mut all = Vec::new();
    A::t(reader.read_to_end(&mut all)).await.unwrap();
    assert_eq!(all, b"abc");
    let mut buf = [0u8; 8];
    for _ in 0..3 {
        assert_eq!(
            A::t(AsyncReadExt::read(&mut reader, &mut buf))
                .await
                .unwrap(),
            0
        );
        assert!(A::t(reader.fill_buf()).await.unwrap().is_empty());
    }

    // Under Wine an abortive close reads as EOF, not as a reset (Windows
    // reports WSAECONNRESET: Microsoft's `recv` documentation).
    if crate::os_codes::skip_under_wine("the reset half: an abortive close reads as EOF") {
        return;
    }
    let ((mut reader, _writer), peer) = over::<A, L>(LinkOptions::default().abort_resets()).await;
    peer.abort(); // a reset
    for _ in 0..3 {
        let e = A::t(AsyncReadExt::read(&mut reader, &mut buf))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
        let inner = e.get_ref().and_then(|i| i.downcast_ref::<ReadError>());
        let Some(ReadError::Stored(stored)) = inner else {
            panic!("{e:?}")
        };
        if L::KERNEL {
            assert_eq!(stored.raw_os_error(), Some(crate::os_codes::ECONNRESET));
        }
        let source = std::error::Error::source(inner.unwrap()).expect("the stored error");
        assert!(source.downcast_ref::<std::sync::Arc<io::Error>>().is_some());
        let e = A::t(reader.fill_buf()).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
    }
}

/// Reading through the traits is cancel-safe: a read or `fill_buf` that
/// is dropped takes nothing, and a read into a small buffer takes only
/// what fits, leaving the rest for the next read of any kind.
pub async fn trait_reads_are_cancel_safe<A: Adapter, L: Link>() {
    let ((mut reader, _writer), peer) = over::<A, L>(LinkOptions::default()).await;
    let mut small = [0u8; 3];
    {
        let pending = pin!(AsyncReadExt::read(&mut reader, &mut small));
        assert!(poll_once(pending).is_pending(), "nothing sent yet");
    }
    peer.write(b"abcdefgh\nrest\n").unwrap();
    crate::adapters::wait_until::<A>("all of it received", || reader.buffered_len() == 14).await;
    {
        // Lent, then dropped without consume.
        let lent = A::t(reader.fill_buf()).await.unwrap();
        assert!(lent.starts_with(b"abc"));
    }
    assert_eq!(
        A::t(AsyncReadExt::read(&mut reader, &mut small))
            .await
            .unwrap(),
        3
    );
    assert_eq!(&small, b"abc");
    assert_eq!(A::t(reader.readline()).await.unwrap(), "defgh\n");
    let mut rest = Vec::new();
    peer.write_eof().unwrap();
    A::t(reader.read_to_end(&mut rest)).await.unwrap();
    assert_eq!(rest, b"rest\n");
}
