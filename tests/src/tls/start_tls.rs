//! `StreamWriter::start_tls`: upgrading a plaintext connection.

use super::{BoxError, Pki};
use crate::adapters::Adapter;
use futures::channel::mpsc;
use futures::StreamExt;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use streams_common::tls::{StartTlsOptions, TlsError};
use streams_common::{OpenOptions, ServerOptions, StreamReader, StreamWriter};

/// gh-142352: the client sends `STARTTLS\n` and its ClientHello in ONE
/// write; the server reads the line and upgrades. The ClientHello is
/// already in the reader's buffer; start_tls hands it to TLS, so the
/// handshake succeeds (asyncio hangs here).
pub async fn start_tls_keeps_a_client_hello_sent_with_the_last_line<A: Adapter>() {
    let pki = Pki::new();
    let (tx, mut rx) = mpsc::unbounded();
    let config = pki.server();
    let server = A::t(A::start_server(
        move |mut r: StreamReader, w: StreamWriter| {
            let tx = tx.clone();
            let config = config.clone();
            async move {
                let line = r.readline().await?;
                assert_eq!(&line[..], b"STARTTLS\n");
                let buffered = r.buffered_len();
                assert!(!w.is_tls());
                w.start_tls(&mut r, config, StartTlsOptions::default())
                    .await?;
                assert!(w.is_tls() && w.is_server_side());
                let line = r.readline().await?;
                w.write(b"secure: ")?;
                w.write(&line)?;
                w.close();
                // Reported, not `?`-ed: a failed close must fail the test,
                // not silently end the handler.
                let closed = w.wait_closed().await.map_err(|e| e.to_string());
                let _ = tx.unbounded_send((buffered, closed));
                Ok::<(), BoxError>(())
            }
        },
        "127.0.0.1",
        0,
        ServerOptions::default(),
    ))
    .await
    .unwrap();
    let port = crate::port(&server);
    let client_config = pki.client().config().clone();
    let reply = A::t(A::spawn_blocking(move || {
        let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        let mut conn =
            rustls::ClientConnection::new(client_config, "localhost".try_into().unwrap()).unwrap();
        let mut first = b"STARTTLS\n".to_vec();
        while conn.wants_write() {
            conn.write_tls(&mut first).unwrap();
        }
        tcp.write_all(&first).unwrap(); // one write: line + ClientHello
        for _ in 0..100 {
            if !conn.is_handshaking() {
                break;
            }
            conn.complete_io(&mut tcp).unwrap();
        }
        let mut stream = rustls::Stream::new(&mut conn, &mut tcp);
        stream.write_all(b"no byte lost\n").unwrap();
        let mut reply = String::new();
        let mut reader = BufReader::new(stream);
        reader.read_line(&mut reply).unwrap();
        // A clean TLS close, both ways: the server's close_notify ends the
        // stream (an error here if it closed without one), then ours. A
        // socket dropped with the close_notify unread would send a RST,
        // which the server's wait_closed() rightly reports.
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "nothing after the reply: {rest:?}");
        drop(reader);
        conn.send_close_notify();
        while conn.wants_write() {
            conn.write_tls(&mut tcp).unwrap();
        }
        reply
    }))
    .await;
    assert_eq!(reply, "secure: no byte lost\n");
    let (buffered, closed) = A::t(rx.next()).await.unwrap();
    assert_eq!(closed, Ok(()), "the server's TLS close completes");
    assert!(
        buffered > 0,
        "the ClientHello should have arrived with the line (one write on loopback)"
    );
    server.close();
    A::t(server.wait_closed()).await;
}

/// Both sides upgrade with our streams (CPython's test_start_tls): one
/// line in plaintext, a round-trip, then TLS both ways; wrong-side
/// configurations are refused.
pub async fn start_tls_both_sides<A: Adapter>() {
    let pki = Pki::new();
    let config = pki.server();
    let wrong = pki.client();
    let server = A::t(A::start_server(
        move |mut r: StreamReader, w: StreamWriter| {
            let config = config.clone();
            let wrong = wrong.clone();
            async move {
                let line = r.readline().await?;
                w.write(&line)?;
                assert_eq!(
                    w.start_tls(&mut r, wrong, StartTlsOptions::default()).await,
                    Err(TlsError::WrongSide { server_side: true })
                );
                w.start_tls(&mut r, config, StartTlsOptions::default())
                    .await?;
                let line = r.readline().await?;
                w.write(&line)?;
                w.close();
                w.wait_closed().await?;
                Ok::<(), BoxError>(())
            }
        },
        "127.0.0.1",
        0,
        ServerOptions::default(),
    ))
    .await
    .unwrap();
    let (mut r, w) = crate::connect_port::<A>(crate::port(&server), OpenOptions::default()).await;
    w.write(b"plain\n").unwrap();
    assert_eq!(&A::t(r.readline()).await.unwrap()[..], b"plain\n");
    assert!(!w.is_tls() && w.can_write_eof());
    // Another connection's reader is refused, and changes nothing.
    #[cfg(unix)]
    let (mut other_r, _other_w) = {
        let (other, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
        A::t(A::open_unix_connection_with_socket(
            other,
            OpenOptions::default(),
        ))
        .await
        .unwrap()
    };
    // No Unix socket pair on Windows: another TCP connection will do.
    #[cfg(windows)]
    let (mut other_r, _other_w, _peer) = crate::connect_raw_peer::<A>(OpenOptions::default()).await;
    assert_eq!(
        A::t(w.start_tls(&mut other_r, pki.client(), StartTlsOptions::default())).await,
        Err(TlsError::ForeignReader)
    );
    assert!(!w.is_tls());
    assert_eq!(
        A::t(w.start_tls(&mut r, pki.server(), StartTlsOptions::default())).await,
        Err(TlsError::WrongSide { server_side: false })
    );
    let opts = StartTlsOptions::default()
        .server_hostname("localhost")
        .handshake_timeout(Duration::from_secs(10))
        .shutdown_timeout(Duration::from_secs(10));
    A::t(w.start_tls(&mut r, pki.client(), opts)).await.unwrap();
    assert!(w.is_tls() && !w.can_write_eof());
    assert_eq!(
        w.tls_info().unwrap().server_name.as_deref(),
        Some("localhost")
    );
    assert_eq!(
        A::t(w.start_tls(&mut r, pki.client(), StartTlsOptions::default())).await,
        Err(TlsError::AlreadyTls)
    );
    w.write(b"secret\n").unwrap();
    assert_eq!(&A::t(r.readline()).await.unwrap()[..], b"secret\n");
    assert!(A::t(r.read_to_eof()).await.unwrap().is_empty());
    A::t(w.wait_closed()).await.unwrap();
    server.close();
    A::t(server.wait_closed()).await;
}
