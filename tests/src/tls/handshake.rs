//! The handshake: asyncio's server_hostname rules and argument checks,
//! certificate failures, client certificates, handshake timeouts, a
//! plaintext peer.

use super::{tls_err, tls_server, Pki, SHORT};
use crate::adapters::{wait_until, Adapter};
use futures::channel::mpsc;
use futures::StreamExt;
use std::io::{self, Read};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use streams_common::tls::{tls_error, TlsError};
use streams_common::{
    ArgumentError, ConnectError, OpenOptions, ServerError, ServerOptions, StreamReader,
    StreamWriter,
};

/// asyncio's server_hostname rules: the host is the name (an IP address
/// included: no SNI for it), `""` means no SNI and no name check.
pub async fn tls_server_hostname_rules<A: Adapter>() {
    let pki = Pki::new();
    let server = tls_server::<A, _, _>(
        ServerOptions::default().ssl(pki.server()),
        |_r: StreamReader, w: StreamWriter| async move {
            let sni = w.tls_info().and_then(|i| i.server_name);
            w.write(format!("{sni:?}\n").as_bytes())?;
            w.close();
            Ok(())
        },
    )
    .await;
    let port = crate::port(&server);
    for (host, name, expected) in [
        ("127.0.0.1", None, "None\n"),
        ("127.0.0.1", Some(""), "None\n"),
        ("127.0.0.1", Some("localhost"), "Some(\"localhost\")\n"),
        ("localhost", None, "Some(\"localhost\")\n"),
    ] {
        let mut options = OpenOptions::default().ssl(pki.client());
        if let Some(n) = name {
            options = options.server_hostname(n);
        }
        let (mut r, w) = A::t(A::open_connection(host, port, options))
            .await
            .unwrap_or_else(|e| panic!("{host} {name:?}: {e}"));
        assert_eq!(&A::t(r.readline()).await.unwrap()[..], expected.as_bytes());
        w.close();
        A::t(w.wait_closed()).await.unwrap();
    }
    // A name the certificate does not have fails...
    let options = OpenOptions::default()
        .ssl(pki.client())
        .server_hostname("other.test");
    let e = A::t(A::open_connection("127.0.0.1", port, options))
        .await
        .unwrap_err();
    assert!(tls_err(&e).is_certificate_error(), "{e}");
    // ...unless the name check is off (""), which still checks the chain.
    let options = OpenOptions::default()
        .ssl(Pki::new().client())
        .server_hostname("");
    let e = A::t(A::open_connection("127.0.0.1", port, options))
        .await
        .unwrap_err();
    assert!(tls_err(&e).is_certificate_error(), "{e}");
    server.close();
    A::t(server.wait_closed()).await;
}

/// asyncio's argument checks, in its order and with its messages; invalid
/// timeouts are found only after the TCP connection succeeded.
pub async fn tls_argument_errors<A: Adapter>() {
    let pki = Pki::new();
    let arg = |e: ConnectError| match e {
        ConnectError::InvalidArgument(a) => a,
        other => panic!("expected an argument error, got {other:?}"),
    };
    let cases: Vec<(OpenOptions, &str, &str)> = vec![
        (
            OpenOptions::default().server_hostname("x"),
            "127.0.0.1",
            "server_hostname is only meaningful with ssl",
        ),
        (
            OpenOptions::default().ssl(pki.client()),
            "",
            "You must set server_hostname when using ssl without a host",
        ),
        (
            OpenOptions::default().ssl_handshake_timeout(SHORT),
            "127.0.0.1",
            "ssl_handshake_timeout is only meaningful with ssl",
        ),
        (
            OpenOptions::default().ssl_shutdown_timeout(SHORT),
            "127.0.0.1",
            "ssl_shutdown_timeout is only meaningful with ssl",
        ),
        (
            // The first check wins.
            OpenOptions::default()
                .server_hostname("x")
                .ssl_handshake_timeout(SHORT),
            "127.0.0.1",
            "server_hostname is only meaningful with ssl",
        ),
    ];
    for (options, host, msg) in cases {
        let e = arg(A::t(A::open_connection(host, 1, options))
            .await
            .unwrap_err());
        assert_eq!(e.to_string(), msg);
    }
    // Unix: a path is no name.
    #[cfg(unix)]
    {
        let e = A::t(A::open_unix_connection(
            "/nonexistent/x.sock",
            OpenOptions::default().ssl(pki.client()),
        ))
        .await
        .unwrap_err();
        assert_eq!(arg(e), ArgumentError::UnixServerHostnameRequired);
    }
    assert_eq!(
        ArgumentError::UnixServerHostnameRequired.to_string(),
        "you have to pass server_hostname when using ssl"
    );
    // A zero timeout: a refused connection is reported first...
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let zero = OpenOptions::default()
        .ssl(pki.client())
        .ssl_handshake_timeout(Duration::ZERO);
    let e = A::t(A::open_connection("127.0.0.1", closed_port, zero.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), Some(io::ErrorKind::ConnectionRefused), "{e}");
    // ...and a working one then fails the check.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let e = A::t(A::open_connection("127.0.0.1", port, zero))
        .await
        .unwrap_err();
    assert_eq!(
        arg(e).to_string(),
        "ssl_handshake_timeout should be a positive number, got 0"
    );
    let e = A::t(A::open_connection(
        "127.0.0.1",
        port,
        OpenOptions::default()
            .ssl(pki.client())
            .ssl_shutdown_timeout(Duration::ZERO),
    ))
    .await
    .unwrap_err();
    assert_eq!(
        arg(e).to_string(),
        "ssl_shutdown_timeout should be a positive number, got 0"
    );

    // Servers.
    let handler = |_r: StreamReader, _w: StreamWriter| async {};
    for (options, msg) in [
        (
            ServerOptions::default().ssl_handshake_timeout(SHORT),
            "ssl_handshake_timeout is only meaningful with ssl",
        ),
        (
            ServerOptions::default().ssl_shutdown_timeout(SHORT),
            "ssl_shutdown_timeout is only meaningful with ssl",
        ),
        (
            ServerOptions::default()
                .ssl(pki.server())
                .ssl_handshake_timeout(Duration::ZERO),
            "ssl_handshake_timeout should be a positive number, got 0",
        ),
    ] {
        match A::t(A::start_server(handler, "127.0.0.1", 0, options)).await {
            Err(ServerError::InvalidArgument(a)) => assert_eq!(a.to_string(), msg),
            other => panic!("expected an argument error, got {other:?}"),
        }
    }
}

/// A wrong name and an untrusted certificate fail the client with a
/// typed certificate error; the server's handler never runs.
pub async fn tls_certificate_failures<A: Adapter>() {
    let pki = Pki::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let ran2 = ran.clone();
    let server = tls_server::<A, _, _>(
        ServerOptions::default().ssl(pki.server()),
        move |_r: StreamReader, _w: StreamWriter| {
            ran2.fetch_add(1, Ordering::SeqCst);
            async { Ok(()) }
        },
    )
    .await;
    let port = crate::port(&server);
    for (client, name) in [
        (pki.client(), "wrong.test"),
        (Pki::new().client(), "localhost"),
    ] {
        let options = OpenOptions::default().ssl(client).server_hostname(name);
        let e = A::t(A::open_connection("127.0.0.1", port, options))
            .await
            .unwrap_err();
        let t = tls_err(&e);
        assert!(t.is_certificate_error(), "{t:?}");
        assert!(matches!(
            t.rustls_error(),
            Some(rustls::Error::InvalidCertificate(_))
        ));
        assert!(
            e.to_string()
                .starts_with("SSL handshake failed on verifying the certificate: "),
            "{e}"
        );
        assert_eq!(e.kind(), Some(io::ErrorKind::InvalidData));
        let io: io::Error = e.into();
        assert!(tls_error(&io).is_some());
    }
    server.close();
    A::t(server.wait_closed()).await;
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

/// A server that requires a client certificate: without one the client
/// fails with a TLS error (in TLS 1.3 possibly at its first read, since the
/// client's handshake ends before the server checks); with one it works
/// and the server sees the chain.
pub async fn tls_client_certificate_required<A: Adapter>() {
    let pki = Pki::new();
    let (tx, mut rx) = mpsc::unbounded();
    let server = tls_server::<A, _, _>(
        ServerOptions::default().ssl(pki.server_requiring_client_cert()),
        move |_r: StreamReader, w: StreamWriter| {
            let tx = tx.clone();
            async move {
                let certs = w
                    .tls_info()
                    .map(|i| i.peer_certificates)
                    .unwrap_or_default();
                let _ = tx.unbounded_send(certs);
                w.write(b"welcome\n")?;
                w.close();
                Ok(())
            }
        },
    )
    .await;
    let port = crate::port(&server);
    let options = OpenOptions::default()
        .ssl(pki.client())
        .server_hostname("localhost");
    match A::t(A::open_connection("127.0.0.1", port, options)).await {
        Err(e) => {
            tls_err(&e);
        }
        Ok((mut r, _w)) => {
            let e = A::t(r.readline()).await.unwrap_err();
            let t = match &e {
                streams_common::ReadError::Stored(io) => tls_error(io).cloned(),
                _ => None,
            };
            assert!(
                matches!(
                    t,
                    Some(TlsError::Protocol(rustls::Error::AlertReceived(
                        rustls::AlertDescription::CertificateRequired
                    )))
                ),
                "{e:?}"
            );
        }
    }
    let options = OpenOptions::default()
        .ssl(pki.client_with_cert())
        .server_hostname("localhost");
    let (mut r, w) = crate::connect_port::<A>(port, options).await;
    assert_eq!(&A::t(r.readline()).await.unwrap()[..], b"welcome\n");
    assert_eq!(A::t(rx.next()).await.unwrap(), pki.client_chain);
    A::t(w.wait_closed()).await.unwrap();
    server.close();
    A::t(server.wait_closed()).await;
}

/// A server that accepts but never answers: the client's handshake
/// times out with asyncio's error.
pub async fn tls_handshake_timeout_client<A: Adapter>() {
    let pki = Pki::new();
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let options = OpenOptions::default()
        .ssl(pki.client())
        .server_hostname("localhost")
        .ssl_handshake_timeout(SHORT);
    let e = A::t(A::open_connection("127.0.0.1", port, options))
        .await
        .unwrap_err();
    assert_eq!(tls_err(&e), &TlsError::HandshakeTimeout(SHORT));
    assert_eq!(
        e.to_string(),
        "SSL handshake is taking longer than 0.2 seconds: aborting the connection"
    );
    assert_eq!(e.kind(), Some(io::ErrorKind::ConnectionAborted));
    drop(silent);
}

/// A client that connects and never says hello: the server drops the
/// connection when the handshake times out, without running the handler.
pub async fn tls_handshake_timeout_server_drops_the_connection<A: Adapter>() {
    let pki = Pki::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let ran2 = ran.clone();
    let server = tls_server::<A, _, _>(
        ServerOptions::default()
            .ssl(pki.server())
            .ssl_handshake_timeout(SHORT),
        move |_r: StreamReader, _w: StreamWriter| {
            ran2.fetch_add(1, Ordering::SeqCst);
            async { Ok(()) }
        },
    )
    .await;
    let port = crate::port(&server);
    let outcome = A::t(A::spawn_blocking(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        let mut buf = [0u8; 16];
        s.read(&mut buf).map_err(|e| e.kind())
    }))
    .await;
    // Closed by the server (EOF, or a reset): not a read timeout.
    assert!(
        matches!(outcome, Ok(0) | Err(io::ErrorKind::ConnectionReset)),
        "{outcome:?}"
    );
    wait_until::<A>("the server dropping the connection", || {
        server.client_count() == 0
    })
    .await;
    // The connection is gone: its handler can no longer run.
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    server.close();
    A::t(server.wait_closed()).await;
}

/// A TLS client against a plaintext server fails with a TLS error.
pub async fn tls_client_against_plaintext_server<A: Adapter>() {
    let pki = Pki::new();
    for reply in [&b""[..], b"220 plain text here\r\n"] {
        let server = A::t(A::start_server(
            move |mut r: StreamReader, w: StreamWriter| async move {
                w.write(reply).unwrap();
                let _ = r.read(10).await;
                w.close();
            },
            "127.0.0.1",
            0,
            ServerOptions::default(),
        ))
        .await
        .unwrap();
        let options = OpenOptions::default()
            .ssl(pki.client())
            .server_hostname("localhost");
        let e = A::t(A::open_connection(
            "127.0.0.1",
            crate::port(&server),
            options,
        ))
        .await
        .unwrap_err();
        let t = tls_err(&e);
        if reply.is_empty() {
            assert!(
                matches!(t, TlsError::HandshakeEof | TlsError::Handshake(_)),
                "{t:?}"
            );
        } else {
            assert!(matches!(t, TlsError::Handshake(_)), "{t:?}");
            assert!(e.to_string().starts_with("SSL handshake failed"), "{e}");
        }
        server.close();
        A::t(server.wait_closed()).await;
    }
}
