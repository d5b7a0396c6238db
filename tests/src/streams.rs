//! Readers, writers, half-close, backpressure, server lifecycle, Unix
//! sockets and faults, over real loopback sockets (moved from
//! `streams-tokio`'s tests; what they assert is unchanged).

use crate::adapters::{poll_once, wait_until, Adapter};
use futures::channel::{mpsc, oneshot};
use futures::StreamExt;
use std::io::{self, Read, Write};
use std::os::fd::RawFd;
use std::pin::pin;
use std::time::Duration;
use streams_common::{
    socket2, Address, Bytes, Family, OpenOptions, ReadError, Server, ServerError, ServerOptions,
    StreamReader, StreamWriter, UnixAddr,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn echo_server<A: Adapter>() -> Server {
    A::t(A::start_server(
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
    ))
    .await
    .unwrap()
}

use crate::port;

/// A client connection to `server` with default options (bounded).
async fn connect<A: Adapter>(server: &Server) -> (StreamReader, StreamWriter) {
    crate::connect_port::<A>(port(server), OpenOptions::default()).await
}

/// Waits (bounded; failing the test) until the server has registered `n`
/// connections.
async fn wait_for_clients<A: Adapter>(server: &Server, n: usize) {
    wait_until::<A>(&format!("the server registering {n} connection(s)"), || {
        server.client_count() == n
    })
    .await;
}

/// Bytes in the kernel's receive queue of the socket `fd` (`FIONREAD`).
fn kernel_inq(fd: RawFd) -> usize {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int through the valid pointer; `fd` is an
    // open socket for the call's duration.
    let rc = unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) };
    assert_eq!(rc, 0, "FIONREAD: {}", io::Error::last_os_error());
    n as usize
}

/// Makes the kernel buffers between `writer` and its std `peer` small and
/// fixed (setting them turns Linux's autotuning off) and returns an upper
/// bound of what the kernel can hold between the two: how much can leave
/// `writer`'s buffer while the peer reads nothing. Generous on purpose:
/// twice the sizes the kernel reports (which already count its
/// bookkeeping), plus 1 MiB for a segment in flight. Writing more than
/// this to a peer that does not read leaves the excess in our buffer,
/// whatever the timing.
fn small_kernel_buffers(writer: &StreamWriter, peer: &std::net::TcpStream) -> usize {
    let peer = socket2::SockRef::from(peer);
    peer.set_recv_buffer_size(64 * 1024).unwrap();
    let rcv = peer.recv_buffer_size().unwrap();
    let snd = writer
        .with_socket(|s| {
            s.set_send_buffer_size(64 * 1024).unwrap();
            s.send_buffer_size().unwrap()
        })
        .expect("an open connection");
    2 * (rcv + snd) + (1 << 20)
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
    let (mut reader, _w) = A::t(A::open_unix_connection_with_socket(
        a,
        OpenOptions::default(),
    ))
    .await
    .unwrap();
    let (_r2, peer) = A::t(A::open_unix_connection_with_socket(
        b,
        OpenOptions::default(),
    ))
    .await
    .unwrap();
    peer.write(b"partial").unwrap();
    wait_until::<A>("\"partial\" reaching the reader", || {
        reader.buffered_len() == 7
    })
    .await;
    // The line is incomplete: each read, polled with all of it buffered,
    // is pending; dropped, it must give back nothing.
    assert!(poll_once(pin!(reader.readline())).is_pending());
    assert!(poll_once(pin!(reader.readexactly(100))).is_pending());
    assert!(
        poll_once(pin!(reader.readuntil(b"END"))).is_pending(),
        "no separator yet"
    );
    assert_eq!(reader.buffered_len(), 7);
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
    let (mut reader, _w) = A::t(A::open_unix_connection_with_socket(a, opts))
        .await
        .unwrap();
    let (_r2, peer) = A::t(A::open_unix_connection_with_socket(
        b,
        OpenOptions::default(),
    ))
    .await
    .unwrap();
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
    wait_until::<A>("\"ccc\" reaching the reader", || reader.buffered_len() == 3).await;
    assert!(
        poll_once(pin!(reader.readline_into(&mut buf))).is_pending(),
        "no newline yet"
    );
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
    let e = A::t(A::open_connection_with_socket(udp, OpenOptions::default()))
        .await
        .unwrap_err();
    assert!(e
        .to_string()
        .starts_with("A Stream Socket was expected, got "));
}

/// A connected std socket; a name resolved by the runtime's resolver with
/// a local address and a family.
pub async fn connect_with_std_socket_and_local_addr<A: Adapter>() {
    let server = echo_server::<A>().await;
    let std = std::net::TcpStream::connect(("127.0.0.1", port(&server))).unwrap();
    let (mut reader, writer) = A::t(A::open_connection_with_socket(std, OpenOptions::default()))
        .await
        .unwrap();
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
    // Each report is a message: the test waits for the two it expects
    // (a report may come after the client has seen its connection end).
    let (reports, mut reported) = mpsc::unbounded();
    let server = A::t(A::start_server(
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
            let _ = reports.unbounded_send((f.to_string(), peer.is_some()));
        }),
    ))
    .await
    .unwrap();
    for (req, expect) in [("fail\n", ""), ("panic\n", ""), ("fine\n", "ok\n")] {
        let (mut reader, writer) = connect::<A>(&server).await;
        writer.write(req.as_bytes()).unwrap();
        // The failed connections are closed: the client sees EOF.
        assert_eq!(A::t(reader.read_to_eof()).await.unwrap(), expect);
    }
    let mut texts = Vec::new();
    for _ in 0..2 {
        let (text, has_peer) =
            crate::adapters::within::<A, _>("a handler failure report", reported.next())
                .await
                .expect("the hook lives as long as the server");
        assert!(has_peer, "{text}");
        texts.push(text);
    }
    texts.sort();
    assert_eq!(
        texts,
        [
            "handler failed",
            "handler panicked: handler panicked on purpose"
        ]
    );
    assert!(server.is_serving());
    server.close();
    A::t(server.wait_closed()).await;
    // No report for the connection that succeeded (as far as can be seen
    // without waiting: a late one would only be missed, never invented).
    assert!(reported.try_recv().is_err());
}

/// start_serving, serve_forever, close, close_clients, wait_closed.
pub async fn server_lifecycle<A: Adapter>() {
    let server = A::t(A::start_server(
        |mut reader: StreamReader, writer: StreamWriter| async move {
            // Hold the connection (the writer lives in this future) until
            // the client goes away.
            let _writer = writer;
            let _ = reader.read_to_eof().await;
        },
        "127.0.0.1",
        0,
        ServerOptions::default().start_serving(false),
    ))
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
    A::t(server.start_serving()).await.unwrap();
    A::t(server.start_serving()).await.unwrap(); // idempotent
    assert!(server.is_serving());
    let (mut client_reader, client) =
        crate::connect_port::<A>(addr.port(), OpenOptions::default()).await;
    // Wait until the server registered the connection; its handler holds
    // it until the client's EOF, which the client does not send.
    wait_for_clients::<A>(&server, 1).await;
    // serve_forever, polled here: its first poll makes it the one serving
    // forever, and it stays pending while the server is open.
    let mut forever = pin!(server.serve_forever());
    assert!(poll_once(forever.as_mut()).is_pending(), "serving forever");
    assert!(matches!(
        A::t(server.serve_forever()).await,
        Err(ServerError::AlreadyServingForever)
    ));
    server.close();
    assert!(server.sockets().is_empty());
    assert!(!server.is_serving());
    assert!(matches!(
        A::t(server.start_serving()).await,
        Err(ServerError::Closed)
    ));
    // Closing does not end accepted connections: with the one client still
    // connected, wait_closed (and so serve_forever) waits.
    assert_eq!(server.client_count(), 1);
    assert!(poll_once(pin!(server.wait_closed())).is_pending());
    assert!(poll_once(forever.as_mut()).is_pending(), "still serving");
    server.close_clients();
    A::t(server.wait_closed()).await;
    A::t(forever).await.unwrap();
    assert!(matches!(
        A::t(server.serve_forever()).await,
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
    let server = A::t(A::start_server(
        |mut reader: StreamReader, writer: StreamWriter| async move {
            let _writer = writer;
            let _ = reader.read_to_eof().await;
        },
        "127.0.0.1",
        0,
        ServerOptions::default(),
    ))
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
    let s = A::t(A::start_server(
        handler,
        ["127.0.0.1", "127.0.0.1"],
        0,
        ServerOptions::default(),
    ))
    .await
    .unwrap();
    assert_eq!(s.local_addrs().len(), 1);
    s.close();
    // Two families, each with its own port.
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        let s = A::t(A::start_server(
            handler,
            vec!["127.0.0.1", "::1"],
            0,
            ServerOptions::default(),
        ))
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
    let e = A::t(A::start_server(
        handler,
        "127.0.0.1",
        p,
        ServerOptions::default().reuse_address(false),
    ))
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
    let e = A::t(A::start_server(
        handler,
        "127.0.0.1",
        0,
        ServerOptions::default().limit(0),
    ))
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

/// A peer that sends one endless line: the buffer stays bounded and the
/// read fails with the over-long-line error.
pub async fn endless_line_stays_bounded<A: Adapter>() {
    let limit = 1024;
    let (mut reader, writer, mut peer) =
        crate::connect_raw_peer::<A>(OpenOptions::default().limit(limit)).await;
    peer.set_write_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let fd = writer.raw_fd().expect("open");
    let flood = A::spawn_blocking(move || {
        let chunk = vec![b'a'; 4096];
        // Bounded: stops when the reader side stops reading (we close).
        for _ in 0..10_000 {
            if peer.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    // The flood has filled whatever the reader accepts once the reader
    // holds more than twice its limit (where it stops reading) and more
    // waits in the kernel, untaken.
    let max = 2 * limit + 64 * 1024;
    let stopped = || reader.buffered_len() > 2 * limit && kernel_inq(fd) > 0;
    wait_until::<A>("the reader stopping, with more to read", stopped).await;
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
    // The error dropped the buffered part of the line and reading
    // resumed: the flood fills the buffer again, to the same bound.
    wait_until::<A>("the reader stopping again, with more to read", || {
        reader.buffered_len() > 2 * limit && kernel_inq(fd) > 0
    })
    .await;
    assert!(reader.buffered_len() <= max);
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
    let server = A::t(A::start_unix_server(
        handler,
        &path,
        ServerOptions::default(),
    ))
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
    let server = A::t(A::start_unix_server(
        handler,
        &path,
        ServerOptions::default(),
    ))
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
    let e = A::t(A::start_unix_server(
        handler,
        &file,
        ServerOptions::default(),
    ))
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
    let server = A::t(A::start_unix_server(
        handler,
        &name,
        ServerOptions::default(),
    ))
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
    let e = A::t(A::start_unix_server(
        handler,
        &name,
        ServerOptions::default(),
    ))
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
