//! Connecting: the extra info, asyncio's argument checks and connect
//! errors, a socket passed in, a local address.

use super::echo_server;
use crate::adapters::Adapter;
use crate::port;
use std::io;
use streams_common::{Address, Family, OpenOptions};

/// Peer and local names, TCP_NODELAY, the socket, water marks.
pub async fn extra_info_and_nodelay<A: Adapter>() {
    let server = echo_server::<A>().await;
    let addr = server.local_addrs()[0];
    let (_reader, writer) = crate::connect_port::<A>(addr.port(), OpenOptions::default()).await;
    assert_eq!(writer.peername(), Some(&Address::Inet(addr)));
    let local = writer.sockname().and_then(Address::as_inet).unwrap();
    assert!(local.ip().is_loopback());
    assert_eq!(writer.with_socket(|s| s.tcp_nodelay().unwrap()), Some(true));
    assert!(crate::has_socket(&writer));
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
    assert!(!crate::has_socket(&writer), "closed: socket released");
    server.close();
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
        format!(
            "[Errno {}] Connect call failed ('127.0.0.1', {port})",
            crate::os_codes::ECONNREFUSED
        )
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
