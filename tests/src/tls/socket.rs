//! TLS over a socket the user connected (asyncio's `open_connection(sock=,
//! ssl=)` and `open_unix_connection(sock=, ssl=)`): the handshake is done
//! when the call returns, and asyncio's server_hostname rules apply with
//! no host to default to.

use super::{tls_err, tls_server, BoxError, Pki};
use crate::adapters::Adapter;
use std::net::{TcpListener, TcpStream};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::time::Duration;
use streams_common::{
    ArgumentError, ConnectError, OpenOptions, ServerOptions, StreamReader, StreamWriter,
};

/// One line back, after the name the client sent (SNI) as the server saw
/// it; then a TLS close.
async fn sni_echo(mut r: StreamReader, w: StreamWriter) -> Result<(), BoxError> {
    let sni = w.tls_info().and_then(|i| i.server_name);
    let line = r.readline().await?;
    w.write(format!("{sni:?}: ").as_bytes())?;
    w.write(&line)?;
    w.close();
    w.wait_closed().await?;
    Ok(())
}

/// One round trip with [`sni_echo`] over a connection opened with a
/// socket: the reply says which SNI the server saw; the server's TLS close
/// ends the stream cleanly.
async fn round_trip<A: Adapter>(r: &mut StreamReader, w: &StreamWriter) -> String {
    w.write(b"over your socket\n").unwrap();
    let reply = A::t(r.readline()).await.unwrap();
    assert!(A::t(r.read_to_eof()).await.unwrap().is_empty());
    A::t(w.wait_closed()).await.unwrap();
    String::from_utf8(reply.to_vec()).unwrap()
}

fn argument_error(e: ConnectError) -> ArgumentError {
    match e {
        ConnectError::InvalidArgument(a) => a,
        other => panic!("expected an argument error, got {other:?}"),
    }
}

/// `open_connection_with_socket` with `ssl` over a TCP socket the test
/// connected: asyncio's rules (no host, so server_hostname is required;
/// `""` means no SNI and no name check), the handshake waited for (its
/// failure is the call's), and a TLS echo.
pub async fn tls_over_a_connected_tcp_socket<A: Adapter>() {
    let pki = Pki::new();
    let server = tls_server::<A, _, _>(ServerOptions::default().ssl(pki.server()), sni_echo).await;
    let addr = ("127.0.0.1", crate::port(&server));

    // server_hostname given: sent as SNI and checked.
    let sock = TcpStream::connect(addr).unwrap();
    let options = OpenOptions::default()
        .ssl(pki.client())
        .server_hostname("localhost");
    let (mut r, w) = A::t(A::open_connection_with_socket(sock, options))
        .await
        .unwrap();
    // The handshake is done when the call returns.
    assert!(w.is_tls() && w.is_tcp() && !w.is_server_side());
    let info = w.tls_info().unwrap();
    assert!(info.handshake_complete);
    assert_eq!(info.server_name.as_deref(), Some("localhost"));
    assert_eq!(info.peer_certificates, pki.server_chain);
    assert_eq!(
        w.peername().and_then(|a| a.as_inet()).map(|a| a.port()),
        Some(addr.1)
    );
    assert_eq!(
        round_trip::<A>(&mut r, &w).await,
        "Some(\"localhost\"): over your socket\n"
    );

    // "": no SNI, no name check; the chain is still verified.
    let sock = TcpStream::connect(addr).unwrap();
    let options = OpenOptions::default().ssl(pki.client()).server_hostname("");
    let (mut r, w) = A::t(A::open_connection_with_socket(sock, options))
        .await
        .unwrap();
    assert_eq!(w.tls_info().unwrap().server_name, None);
    assert_eq!(
        round_trip::<A>(&mut r, &w).await,
        "None: over your socket\n"
    );

    // A certificate the client does not trust: the call fails with the
    // handshake's error.
    let sock = TcpStream::connect(addr).unwrap();
    let options = OpenOptions::default()
        .ssl(Pki::new().client())
        .server_hostname("");
    let e = A::t(A::open_connection_with_socket(sock, options))
        .await
        .unwrap_err();
    assert!(tls_err(&e).is_certificate_error(), "{e}");

    // No server_hostname: there is no host to take it from.
    let plain = TcpListener::bind("127.0.0.1:0").unwrap();
    let sock = TcpStream::connect(plain.local_addr().unwrap()).unwrap();
    let e = A::t(A::open_connection_with_socket(
        sock,
        OpenOptions::default().ssl(pki.client()),
    ))
    .await
    .unwrap_err();
    let e = argument_error(e);
    assert_eq!(e, ArgumentError::ServerHostnameRequired);
    assert_eq!(
        e.to_string(),
        "You must set server_hostname when using ssl without a host"
    );
    // The timeouts are checked once connected, as with a host.
    let sock = TcpStream::connect(plain.local_addr().unwrap()).unwrap();
    let options = OpenOptions::default()
        .ssl(pki.client())
        .server_hostname("localhost")
        .ssl_handshake_timeout(Duration::ZERO);
    let e = A::t(A::open_connection_with_socket(sock, options))
        .await
        .unwrap_err();
    assert_eq!(
        argument_error(e).to_string(),
        "ssl_handshake_timeout should be a positive number, got 0"
    );
    server.close();
    A::t(server.wait_closed()).await;
}

/// `open_unix_connection_with_socket` with `ssl` over a Unix socket the
/// test connected: asyncio's Unix rules (server_hostname required, checked
/// before the socket's type; `""` accepted), and a TLS echo.
#[cfg(unix)]
pub async fn tls_over_a_connected_unix_socket<A: Adapter>() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tls.sock");
    let server = A::t(A::start_unix_server(
        sni_echo,
        &path,
        ServerOptions::default().ssl(pki.server()),
    ))
    .await
    .unwrap();

    let sock = UnixStream::connect(&path).unwrap();
    let options = OpenOptions::default()
        .ssl(pki.client())
        .server_hostname("localhost");
    let (mut r, w) = A::t(A::open_unix_connection_with_socket(sock, options))
        .await
        .unwrap();
    assert!(w.is_tls() && !w.is_tcp());
    assert!(w.tls_info().unwrap().handshake_complete);
    assert_eq!(
        round_trip::<A>(&mut r, &w).await,
        "Some(\"localhost\"): over your socket\n"
    );

    let sock = UnixStream::connect(&path).unwrap();
    let options = OpenOptions::default().ssl(pki.client()).server_hostname("");
    let (mut r, w) = A::t(A::open_unix_connection_with_socket(sock, options))
        .await
        .unwrap();
    assert_eq!(w.tls_info().unwrap().server_name, None);
    assert_eq!(
        round_trip::<A>(&mut r, &w).await,
        "None: over your socket\n"
    );

    // No server_hostname: asyncio's Unix message...
    let (a, _b) = UnixStream::pair().unwrap();
    let e = A::t(A::open_unix_connection_with_socket(
        a,
        OpenOptions::default().ssl(pki.client()),
    ))
    .await
    .unwrap_err();
    let e = argument_error(e);
    assert_eq!(e, ArgumentError::UnixServerHostnameRequired);
    assert_eq!(
        e.to_string(),
        "you have to pass server_hostname when using ssl"
    );
    // ...checked before the socket's type, as asyncio does...
    let plain = TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp = TcpStream::connect(plain.local_addr().unwrap()).unwrap();
    let e = A::t(A::open_unix_connection_with_socket(
        tcp,
        OpenOptions::default().ssl(pki.client()),
    ))
    .await
    .unwrap_err();
    assert_eq!(argument_error(e), ArgumentError::UnixServerHostnameRequired);
    let tcp = TcpStream::connect(plain.local_addr().unwrap()).unwrap();
    let e = A::t(A::open_unix_connection_with_socket(
        tcp,
        OpenOptions::default().ssl(pki.client()).server_hostname(""),
    ))
    .await
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("A UNIX Domain Stream Socket was expected"),
        "{e}"
    );
    // ...and open_connection_with_socket keeps its own rule for a Unix
    // socket (asyncio's create_connection accepts those).
    let (a, _b) = UnixStream::pair().unwrap();
    let e = A::t(A::open_connection_with_socket(
        a,
        OpenOptions::default().ssl(pki.client()),
    ))
    .await
    .unwrap_err();
    assert_eq!(argument_error(e), ArgumentError::ServerHostnameRequired);
    server.close();
    A::t(server.wait_closed()).await;
}
