//! Readers, writers, half-close, backpressure, server lifecycle, Unix
//! sockets and faults, over real loopback sockets (moved from
//! `streams-tokio`'s tests; what they assert is unchanged).

use crate::adapters::{yield_now, Adapter};
use futures::channel::oneshot;
use futures::future::{select, Either};
use futures::{FutureExt, StreamExt};
use std::io::{self, Read, Write};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use streams_common::{
    socket2, Address, Bytes, Family, OpenOptions, ReadError, Server, ServerError, ServerOptions,
    StreamReader, StreamWriter, UnixAddr,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn echo_server<A: Adapter>() -> Server {
    A::start_server(
        |mut reader: StreamReader, writer: StreamWriter| async move {
            loop {
                let line = reader.readline().await?;
                if line.is_empty() {
                    break;
                }
                writer.write(&line)?;
                writer.drain().await?;
            }
            Ok::<(), BoxError>(())
        },
        "127.0.0.1",
        0,
        ServerOptions::default(),
    )
    .await
    .unwrap()
}

use crate::port;

/// A client connection to `server` with default options (bounded).
async fn connect<A: Adapter>(server: &Server) -> (StreamReader, StreamWriter) {
    crate::connect_port::<A>(port(server), OpenOptions::default()).await
}

/// Waits (bounded) until the server has registered `n` connections.
async fn wait_for_clients<A: Adapter>(server: &Server, n: usize) {
    for _ in 0..200 {
        if server.client_count() == n {
            break;
        }
        A::sleep(Duration::from_millis(5)).await;
    }
}

/// Lines, `writelines`, the lines stream, half-close and close.
pub async fn echo_lines_and_lines_stream<A: Adapter>() {
    let server = echo_server::<A>().await;
    let (mut reader, writer) = connect::<A>(&server).await;
    writer
        .writelines([&b"one\n"[..], b"two\n", b"three\n"])
        .unwrap();
    assert_eq!(A::t(reader.readline()).await.unwrap(), "one\n");
    writer.write_eof().unwrap();
    let rest: Vec<Bytes> = A::t(reader.lines().map(|l| l.unwrap()).collect()).await;
    assert_eq!(rest, vec![Bytes::from("two\n"), Bytes::from("three\n")]);
    assert!(reader.at_eof());
    assert!(reader.exception().is_none());
    writer.close();
    A::t(writer.wait_closed()).await.unwrap();
    server.close();
    A::t(server.wait_closed()).await;
}

/// Peer and local names, TCP_NODELAY, the socket, water marks.
pub async fn extra_info_and_nodelay<A: Adapter>() {
    let server = echo_server::<A>().await;
    let addr = server.local_addrs()[0];
    let (_reader, writer) = crate::connect_port::<A>(addr.port(), OpenOptions::default()).await;
    assert_eq!(writer.peername(), Some(&Address::Inet(addr)));
    let local = writer.sockname().and_then(Address::as_inet).unwrap();
    assert!(local.ip().is_loopback());
    assert_eq!(writer.with_socket(|s| s.nodelay().unwrap()), Some(true));
    assert!(writer.raw_fd().is_some());
    assert!(writer.is_tcp() && writer.can_write_eof());
    assert_eq!(writer.get_write_buffer_limits(), (16384, 65536));
    writer.set_write_buffer_limits(None, Some(100)).unwrap();
    assert_eq!(writer.get_write_buffer_limits(), (100, 400));
    assert_eq!(
        writer
            .set_write_buffer_limits(Some(1), Some(2))
            .unwrap_err()
            .to_string(),
        "high (1) must be >= low (2) must be >= 0"
    );
    writer.close();
    A::t(writer.wait_closed()).await.unwrap();
    assert!(writer.raw_fd().is_none(), "closed: socket released");
    server.close();
}

/// A read that is dropped before it completes consumes nothing.
pub async fn cancelled_reads_lose_nothing<A: Adapter>() {
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    let (mut reader, _w) = A::open_unix_connection_with_socket(a, OpenOptions::default()).unwrap();
    let (_r2, peer) = A::open_unix_connection_with_socket(b, OpenOptions::default()).unwrap();
    peer.write(b"partial").unwrap();
    // The line is incomplete: the read times out, and must give back nothing.
    let r = A::timeout(Duration::from_millis(50), reader.readline()).await;
    assert!(r.is_err());
    let r = A::timeout(Duration::from_millis(50), reader.readexactly(100)).await;
    assert!(r.is_err());
    match select(
        pin!(reader.readuntil(b"END")),
        A::sleep(Duration::from_millis(20)),
    )
    .await
    {
        Either::Left(_) => panic!("no separator yet"),
        Either::Right(_) => {}
    }
    peer.write(b" line\nEND").unwrap();
    assert_eq!(A::t(reader.readline()).await.unwrap(), "partial line\n");
    assert_eq!(A::t(reader.readuntil(b"END")).await.unwrap(), "END");
}

/// `readline_into` / `readuntil_into`: the same results and errors as
/// `readline` / `readuntil`, appended to the caller's buffer, which is
/// untouched by a read that is cancelled or fails.
pub async fn lines_into_a_buffer_of_yours<A: Adapter>() {
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    let opts = OpenOptions::default().limit(8);
    let (mut reader, _w) = A::open_unix_connection_with_socket(a, opts).unwrap();
    let (_r2, peer) = A::open_unix_connection_with_socket(b, OpenOptions::default()).unwrap();
    peer.write(b"a\nbb\r\nccc").unwrap();
    let mut buf = Vec::new();
    assert_eq!(A::t(reader.readline_into(&mut buf)).await.unwrap(), 2);
    assert_eq!(buf, b"a\n");
    assert_eq!(
        A::t(reader.readuntil_into(b"\r\n", &mut buf))
            .await
            .unwrap(),
        4
    );
    assert_eq!(buf, b"a\nbb\r\n");
    let r = A::timeout(Duration::from_millis(50), reader.readline_into(&mut buf)).await;
    assert!(r.is_err(), "no newline yet");
    assert_eq!(buf, b"a\nbb\r\n", "a cancelled read appends nothing");
    peer.write(b"dddddddddddd\nnext\n").unwrap();
    let e = A::t(reader.readline_into(&mut buf)).await.unwrap_err();
    assert!(matches!(e, ReadError::LineTooLong { .. }), "{e:?}");
    assert_eq!(buf, b"a\nbb\r\n", "a failed read appends nothing");
    buf.clear();
    assert_eq!(A::t(reader.readline_into(&mut buf)).await.unwrap(), 5);
    assert_eq!(buf, b"next\n");
    peer.write(b"tail").unwrap();
    peer.close();
    let e = A::t(reader.readuntil_into(b"!", &mut buf))
        .await
        .unwrap_err();
    assert!(matches!(&e, ReadError::Incomplete { partial, .. } if partial == "tail"));
    assert_eq!(buf, b"next\n");
    assert_eq!(A::t(reader.readline_into(&mut buf)).await.unwrap(), 0);
    assert!(reader.at_eof());
}

/// 16 MiB written without `drain()` and read whole by the server.
pub async fn large_write_without_drain_does_not_deadlock<A: Adapter>() {
    // The server reads the whole request, then answers with its length.
    let server = A::start_server(
        |mut reader: StreamReader, writer: StreamWriter| async move {
            let n = reader.readexactly(16 << 20).await?.len();
            writer.write(format!("{n}\n").as_bytes())?;
            Ok::<(), BoxError>(())
        },
        "127.0.0.1",
        0,
        ServerOptions::default(),
    )
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
    let e = writer.drain().await.unwrap_err();
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
    let server = A::start_server(
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
    )
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

/// asyncio's argument checks and connect-failure texts.
pub async fn open_connection_argument_and_connect_errors<A: Adapter>() {
    let e = A::t(A::open_connection(
        "127.0.0.1",
        1,
        OpenOptions::default().limit(0),
    ))
    .await
    .unwrap_err();
    assert_eq!(e.to_string(), "Limit cannot be <= 0");
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = A::t(A::open_connection(
        "127.0.0.1",
        port,
        OpenOptions::default(),
    ))
    .await
    .unwrap_err();
    assert_eq!(e.kind(), Some(io::ErrorKind::ConnectionRefused));
    assert_eq!(
        e.to_string(),
        format!("[Errno 111] Connect call failed ('127.0.0.1', {port})")
    );
    // Two loopback addresses, two different errors: combined in order.
    let e = A::t(A::open_connection("", port, OpenOptions::default()))
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(text.starts_with("Multiple exceptions: "), "{text}");
    assert!(
        text.ends_with(&format!("Connect call failed ('127.0.0.1', {port})")),
        "{text}"
    );
    // A local address of the wrong family.
    let e = A::t(A::open_connection(
        "127.0.0.1",
        port,
        OpenOptions::default().local_addr("[::1]:0".parse().unwrap()),
    ))
    .await
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "no matching local address with family=<AddressFamily.AF_INET: 2> found"
    );
    // Family filtering leaves nothing.
    let e = A::t(A::open_connection(
        "127.0.0.1",
        port,
        OpenOptions::default().family(Family::Ipv6),
    ))
    .await
    .unwrap_err();
    assert_eq!(e.to_string(), "getaddrinfo() returned empty list");
    // A datagram socket is not a stream.
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let e = A::open_connection_with_socket(udp, OpenOptions::default()).unwrap_err();
    assert!(e
        .to_string()
        .starts_with("A Stream Socket was expected, got "));
}

/// A connected std socket; a name resolved by the runtime's resolver with
/// a local address and a family.
pub async fn connect_with_std_socket_and_local_addr<A: Adapter>() {
    let server = echo_server::<A>().await;
    let std = std::net::TcpStream::connect(("127.0.0.1", port(&server))).unwrap();
    let (mut reader, writer) = A::open_connection_with_socket(std, OpenOptions::default()).unwrap();
    writer.write(b"via sock\n").unwrap();
    assert_eq!(A::t(reader.readline()).await.unwrap(), "via sock\n");
    let (mut reader, writer) = A::t(A::open_connection(
        "localhost",
        port(&server),
        OpenOptions::default()
            .local_addr("127.0.0.1:0".parse().unwrap())
            .family(Family::Ipv4),
    ))
    .await
    .unwrap();
    writer.write(b"named\n").unwrap();
    assert_eq!(A::t(reader.readline()).await.unwrap(), "named\n");
    server.close();
}

/// A handler's error or panic closes its connection and is reported; the
/// server serves on.
pub async fn handler_errors_and_panics_are_reported_and_serving_goes_on<A: Adapter>() {
    let failures = Arc::new(AtomicUsize::new(0));
    let seen = failures.clone();
    let server = A::start_server(
        |mut reader: StreamReader, writer: StreamWriter| async move {
            let line = reader.readline().await?;
            match &line[..] {
                b"fail\n" => return Err(BoxError::from("handler failed")),
                b"panic\n" => panic!("handler panicked on purpose"),
                _ => writer.write(b"ok\n")?,
            }
            Ok(())
        },
        "127.0.0.1",
        0,
        ServerOptions::default().on_handler_error(move |f, peer| {
            assert!(peer.is_some());
            assert!(!f.to_string().is_empty());
            seen.fetch_add(1, Ordering::SeqCst);
        }),
    )
    .await
    .unwrap();
    for (req, expect) in [("fail\n", ""), ("panic\n", ""), ("fine\n", "ok\n")] {
        let (mut reader, writer) = connect::<A>(&server).await;
        writer.write(req.as_bytes()).unwrap();
        // The failed connections are closed: the client sees EOF.
        assert_eq!(A::t(reader.read_to_eof()).await.unwrap(), expect);
    }
    assert_eq!(failures.load(Ordering::SeqCst), 2);
    assert!(server.is_serving());
    server.close();
    A::t(server.wait_closed()).await;
}

/// start_serving, serve_forever, close, close_clients, wait_closed.
pub async fn server_lifecycle<A: Adapter>() {
    let server = A::start_server(
        |mut reader: StreamReader, writer: StreamWriter| async move {
            // Hold the connection (the writer lives in this future) until
            // the client goes away.
            let _writer = writer;
            let _ = reader.read_to_eof().await;
        },
        "127.0.0.1",
        0,
        ServerOptions::default().start_serving(false),
    )
    .await
    .unwrap();
    assert!(!server.is_serving());
    let addr = server.local_addrs()[0];
    // Bound but not listening: refused.
    let e = A::t(A::open_connection(
        "127.0.0.1",
        addr.port(),
        OpenOptions::default(),
    ))
    .await
    .unwrap_err();
    assert_eq!(e.kind(), Some(io::ErrorKind::ConnectionRefused));
    server.start_serving().await.unwrap();
    server.start_serving().await.unwrap(); // idempotent
    assert!(server.is_serving());
    let (mut client_reader, client) =
        crate::connect_port::<A>(addr.port(), OpenOptions::default()).await;
    // Wait until the server registered the connection.
    wait_for_clients::<A>(&server, 1).await;
    assert_eq!(server.client_count(), 1);
    let mut forever = {
        let s = server.clone();
        A::spawn(async move { s.serve_forever().await })
    };
    A::sleep(Duration::from_millis(20)).await;
    assert!(matches!(
        server.serve_forever().await,
        Err(ServerError::AlreadyServingForever)
    ));
    server.close();
    assert!(server.sockets().is_empty());
    assert!(!server.is_serving());
    assert!(matches!(
        server.start_serving().await,
        Err(ServerError::Closed)
    ));
    // Closing does not end accepted connections: wait_closed waits.
    assert!(A::timeout(Duration::from_millis(50), server.wait_closed())
        .await
        .is_err());
    assert!((&mut forever).now_or_never().is_none(), "still serving");
    server.close_clients();
    A::t(server.wait_closed()).await;
    A::t(forever).await.unwrap();
    assert!(matches!(
        server.serve_forever().await,
        Err(ServerError::Closed)
    ));
    // The client sees EOF; its side stays open (half-close) until it closes.
    assert_eq!(A::t(client_reader.read_to_eof()).await.unwrap(), "");
    assert!(!client.is_closing());
    client.close();
    A::t(client.wait_closed()).await.unwrap();
}

/// `abort_clients()` ends the accepted connections at once.
pub async fn abort_clients<A: Adapter>() {
    let server = A::start_server(
        |mut reader: StreamReader, writer: StreamWriter| async move {
            let _writer = writer;
            let _ = reader.read_to_eof().await;
        },
        "127.0.0.1",
        0,
        ServerOptions::default(),
    )
    .await
    .unwrap();
    let (mut reader, _w) = connect::<A>(&server).await;
    wait_for_clients::<A>(&server, 1).await;
    server.close();
    server.abort_clients();
    A::t(server.wait_closed()).await;
    assert_eq!(A::t(reader.read_to_eof()).await.unwrap(), "");
}

/// Several hosts, duplicates, address in use, a limit of 0, a pre-bound
/// listener.
pub async fn server_hosts<A: Adapter>() {
    let handler = |_r: StreamReader, _w: StreamWriter| async {};
    // Duplicates are removed.
    let s = A::start_server(
        handler,
        ["127.0.0.1", "127.0.0.1"],
        0,
        ServerOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(s.local_addrs().len(), 1);
    s.close();
    // Two families, each with its own port.
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        let s = A::start_server(
            handler,
            vec!["127.0.0.1", "::1"],
            0,
            ServerOptions::default(),
        )
        .await
        .unwrap();
        let addrs = s.local_addrs();
        assert_eq!(addrs.len(), 2);
        assert!(addrs[0].is_ipv4() && addrs[1].is_ipv6());
        for a in &addrs {
            let (_r, w) = A::t(A::open_connection(
                &a.ip().to_string(),
                a.port(),
                OpenOptions::default(),
            ))
            .await
            .unwrap();
            w.close();
        }
        s.close();
    }
    // Address in use.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let p = taken.local_addr().unwrap().port();
    let e = A::start_server(
        handler,
        "127.0.0.1",
        p,
        ServerOptions::default().reuse_address(false),
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "error while attempting to bind on address ('127.0.0.1', {p}): \
             [errno 98] address already in use"
        )
    );
    // limit 0 is rejected up front.
    let e = A::start_server(handler, "127.0.0.1", 0, ServerOptions::default().limit(0))
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "Limit cannot be <= 0");
    // A pre-bound std listener.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let a = l.local_addr().unwrap();
    let s = A::start_server_with_socket(handler, l, ServerOptions::default()).unwrap();
    assert_eq!(s.local_addrs(), vec![a]);
    let (_r, w) = crate::connect_port::<A>(a.port(), OpenOptions::default()).await;
    w.close();
    s.close();
}

/// Backpressure: `drain()` waits while a peer does not read, and completes
/// once it does.
pub async fn drain_blocks_against_a_peer_that_never_reads<A: Adapter>() {
    let (_reader, writer, mut peer) = crate::connect_raw_peer::<A>(OpenOptions::default()).await;
    let chunk = vec![0u8; 16 * 1024];
    let mut blocked = false;
    let mut written = 0usize;
    for _ in 0..100_000 {
        writer.write(&chunk).unwrap();
        written += chunk.len();
        // With drain awaited, the buffer never grows past high + one chunk.
        assert!(writer.get_write_buffer_size() <= 64 * 1024 + chunk.len());
        if A::timeout(Duration::from_millis(50), writer.drain())
            .await
            .is_err()
        {
            blocked = true;
            break;
        }
    }
    assert!(blocked, "drain never blocked");
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
    A::t(writer.drain()).await.unwrap();
    writer.close();
    assert_eq!(A::t(reading).await, written);
}

/// A peer that sends one endless line: the buffer stays bounded and the
/// read fails with the over-long-line error.
pub async fn endless_line_stays_bounded<A: Adapter>() {
    let limit = 1024;
    let (mut reader, writer, mut peer) =
        crate::connect_raw_peer::<A>(OpenOptions::default().limit(limit)).await;
    peer.set_write_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let flood = A::spawn_blocking(move || {
        let chunk = vec![b'a'; 4096];
        // Bounded: stops when the reader side stops reading (we close).
        for _ in 0..10_000 {
            if peer.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    // Let the flood fill whatever the reader accepts.
    A::sleep(Duration::from_millis(100)).await;
    let max = 2 * limit + 64 * 1024;
    assert!(
        reader.buffered_len() <= max,
        "{} > {max}",
        reader.buffered_len()
    );
    let e = A::t(reader.readline()).await.unwrap_err();
    assert!(matches!(e, ReadError::LineTooLong { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "Separator is not found, and chunk exceed the limit"
    );
    for _ in 0..20 {
        A::sleep(Duration::from_millis(5)).await;
        assert!(reader.buffered_len() <= max);
    }
    drop(reader);
    drop(writer);
    A::t(flood).await;
}

/// A Unix server: stale files, cleanup on close, a replaced file, a
/// regular file, a missing path.
pub async fn unix_echo_and_path_rules<A: Adapter>() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.sock");
    let handler = |mut reader: StreamReader, writer: StreamWriter| async move {
        let line = reader.readline().await?;
        writer.write(&line)?;
        Ok::<(), BoxError>(())
    };
    // A stale socket file is removed before binding.
    let stale = std::os::unix::net::UnixListener::bind(&path).unwrap();
    drop(stale);
    let server = A::start_unix_server(handler, &path, ServerOptions::default())
        .await
        .unwrap();
    assert_eq!(
        server.sockets(),
        vec![Address::Unix(UnixAddr::Path(path.clone()))]
    );
    let (mut reader, writer) = A::t(A::open_unix_connection(&path, OpenOptions::default()))
        .await
        .unwrap();
    assert!(!writer.is_tcp());
    assert_eq!(
        writer.peername(),
        Some(&Address::Unix(UnixAddr::Path(path.clone())))
    );
    writer.write(b"over unix\n").unwrap();
    assert_eq!(A::t(reader.readline()).await.unwrap(), "over unix\n");
    // Closing removes the socket file: it is still ours.
    server.close();
    A::t(server.wait_closed()).await;
    assert!(!path.exists());

    // Replaced by someone else: closing leaves it.
    let server = A::start_unix_server(handler, &path, ServerOptions::default())
        .await
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    let other = std::os::unix::net::UnixListener::bind(&path).unwrap();
    server.close();
    assert!(path.exists());
    drop(other);

    // A regular file is "address in use".
    let file = dir.path().join("regular");
    std::fs::write(&file, b"data").unwrap();
    let e = A::start_unix_server(handler, &file, ServerOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("Address '{}' is already in use", file.display())
    );
    assert!(file.exists());

    // Connecting to nothing.
    let e = A::t(A::open_unix_connection(
        dir.path().join("none"),
        OpenOptions::default(),
    ))
    .await
    .unwrap_err();
    assert_eq!(e.kind(), Some(io::ErrorKind::NotFound));
}

/// Linux abstract names and a pre-bound Unix listener.
pub async fn unix_abstract_and_prebound<A: Adapter>() {
    // Unique per process and per runtime (the three suites may run at once).
    let name = format!(
        "\0streams-suite-{}-{}",
        std::any::type_name::<A>()
            .rsplit("::")
            .next()
            .unwrap_or("a"),
        std::process::id()
    );
    let handler = |mut reader: StreamReader, writer: StreamWriter| async move {
        let data = reader.read(100).await?;
        writer.write(&data)?;
        Ok::<(), BoxError>(())
    };
    let server = A::start_unix_server(handler, &name, ServerOptions::default())
        .await
        .unwrap();
    assert_eq!(
        server.sockets(),
        vec![Address::Unix(UnixAddr::Abstract(
            name.as_bytes()[1..].to_vec()
        ))]
    );
    let (mut reader, writer) = A::t(A::open_unix_connection(&name, OpenOptions::default()))
        .await
        .unwrap();
    writer.write(b"abstract").unwrap();
    assert_eq!(A::t(reader.read(100)).await.unwrap(), "abstract");
    // The name is taken while the server lives.
    let e = A::start_unix_server(handler, &name, ServerOptions::default())
        .await
        .unwrap_err();
    assert!(e.to_string().ends_with("is already in use"), "{e}");
    server.close();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pre.sock");
    let l = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let server = A::start_unix_server_with_socket(handler, l, ServerOptions::default()).unwrap();
    let (mut reader, writer) = A::t(A::open_unix_connection(&path, OpenOptions::default()))
        .await
        .unwrap();
    writer.write(b"pre").unwrap();
    assert_eq!(A::t(reader.read(100)).await.unwrap(), "pre");
    server.close();
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let e = A::start_unix_server_with_socket(handler, tcp, ServerOptions::default()).unwrap_err();
    assert!(e
        .to_string()
        .starts_with("A UNIX Domain Stream Socket was expected"));
}

/// `abort()` drops the buffer; a drain that was waiting returns `Ok`, the
/// next one reports the loss.
pub async fn abort_drops_buffer_and_waiting_drain_returns<A: Adapter>() {
    let (_reader, writer, _peer) = crate::connect_raw_peer::<A>(OpenOptions::default()).await;
    writer.set_write_buffer_limits(Some(0), None).unwrap();
    // Fill until the kernel buffers are full and ours is above 0.
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..64 {
        writer.write(&chunk).unwrap();
        yield_now().await;
    }
    let writer = Arc::new(writer);
    let w2 = writer.clone();
    let mut waiting = A::spawn(async move { w2.drain().await });
    A::sleep(Duration::from_millis(20)).await;
    assert!((&mut waiting).now_or_never().is_none());
    writer.abort();
    // A drain that was waiting when the connection was aborted returns Ok...
    A::t(waiting).await.unwrap();
    // ...the next one reports the loss.
    assert_eq!(
        writer.drain().await.unwrap_err().to_string(),
        "Connection lost"
    );
    assert_eq!(writer.get_write_buffer_size(), 0);
    A::t(writer.wait_closed()).await.unwrap();
}
