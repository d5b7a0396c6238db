//! Our TLS client and server together: echo, the extra info, EOF
//! semantics, flow control, Unix sockets.

#[cfg(unix)]
use super::echo;
use super::{tls_server, Pki};
use crate::adapters::Adapter;
use crate::peers::PEER_TIMEOUT;
use futures::channel::mpsc;
use futures::StreamExt;
use streams_common::tls::{TlsError, TLS_HIGH_WATER, TLS_LOW_WATER};
use streams_common::{OpenOptions, ServerOptions, StreamReader, StreamWriter};

/// Echo over TLS; the extra info on both sides; EOF semantics: the
/// server's close (close_notify) ends the client's stream and closes its
/// writer; no half-close over TLS.
pub async fn tls_echo_extra_info_and_eof_semantics<A: Adapter>() {
    let pki = Pki::new();
    let (tx, mut rx) = mpsc::unbounded();
    let server = tls_server::<A, _, _>(
        ServerOptions::default().ssl(pki.server_alpn(b"x-test")),
        move |mut r: StreamReader, w: StreamWriter| {
            let tx = tx.clone();
            async move {
                let info = w.tls_info().expect("TLS info on the server");
                let line = r.readline().await?;
                w.write(b"echo: ")?;
                w.write(&line)?;
                w.drain().await?;
                let _ = tx.unbounded_send((
                    info,
                    w.can_write_eof(),
                    w.write_eof(),
                    w.peername().is_some(),
                ));
                // Close only once the client says so: closing right after
                // the echo could land before the client's first drain(),
                // which then rightly reports the lost connection.
                let bye = r.readline().await?;
                assert_eq!(&bye[..], b"bye\n");
                w.close();
                w.wait_closed().await?;
                Ok(())
            }
        },
    )
    .await;
    let options = OpenOptions::default()
        .ssl(pki.client().alpn(["x-test"]))
        .server_hostname("localhost");
    let (mut reader, writer) = A::t(A::open_connection(
        "127.0.0.1",
        crate::port(&server),
        options,
    ))
    .await
    .unwrap();
    assert!(writer.is_tls());
    assert!(!writer.is_server_side());
    let info = writer.tls_info().unwrap();
    assert_eq!(info.peer_certificates, pki.server_chain);
    assert_eq!(info.version_name(), Some("TLSv1.3"));
    assert!(info.cipher_suite.is_some());
    assert_eq!(info.alpn_protocol.as_deref(), Some(&b"x-test"[..]));
    assert_eq!(info.server_name.as_deref(), Some("localhost"));
    assert!(info.handshake_complete && !info.server_side);
    // The plain transport's info is still there.
    assert!(writer.peername().is_some() && writer.sockname().is_some());
    assert_eq!(writer.with_socket(|s| s.tcp_nodelay().unwrap()), Some(true));
    // asyncio's SSL water marks; no half-close.
    assert_eq!(
        writer.get_write_buffer_limits(),
        (TLS_LOW_WATER, TLS_HIGH_WATER)
    );
    assert!(!writer.can_write_eof());
    assert_eq!(writer.write_eof(), Err(TlsError::WriteEofNotSupported));

    writer.write(b"hello\n").unwrap();
    A::t(writer.drain()).await.unwrap();
    assert_eq!(
        &A::t(reader.readline()).await.unwrap()[..],
        b"echo: hello\n"
    );
    let (sinfo, s_can_eof, s_eof, s_peer) = A::t(rx.next()).await.unwrap();
    assert_eq!(sinfo.server_name.as_deref(), Some("localhost"));
    assert!(sinfo.server_side);
    assert!(sinfo.peer_certificates.is_empty(), "no client certificate");
    assert_eq!(sinfo.alpn_protocol.as_deref(), Some(&b"x-test"[..]));
    assert!(!s_can_eof && s_peer);
    assert_eq!(s_eof, Err(TlsError::WriteEofNotSupported));

    writer.write(b"bye\n").unwrap();
    // The server closed: close_notify is EOF, and the writer is closing
    // by the time the read returns.
    assert!(A::t(reader.read_to_eof()).await.unwrap().is_empty());
    assert!(reader.at_eof());
    assert!(writer.is_closing());
    writer.write(b"dropped").unwrap();
    A::t(writer.wait_closed()).await.unwrap();
    assert!(writer.tls_info().is_some(), "still known after close");
    server.close();
    A::t(server.wait_closed()).await;
}

/// Megabytes both ways with drain(): flow control over TLS.
pub async fn tls_large_transfer_with_flow_control<A: Adapter>() {
    const TOTAL: usize = 4 * 1024 * 1024;
    let pki = Pki::new();
    let server = tls_server::<A, _, _>(
        ServerOptions::default().ssl(pki.server()),
        |mut r: StreamReader, w: StreamWriter| async move {
            let mut n = 0;
            while n < TOTAL {
                let data = r.read(65536).await?;
                if data.is_empty() {
                    break;
                }
                n += data.len();
                w.write(&data)?;
                w.drain().await?;
            }
            w.close();
            w.wait_closed().await?;
            Ok(())
        },
    )
    .await;
    let options = OpenOptions::default()
        .ssl(pki.client())
        .server_hostname("localhost");
    let (mut reader, writer) = A::t(A::open_connection(
        "127.0.0.1",
        crate::port(&server),
        options,
    ))
    .await
    .unwrap();
    let payload: Vec<u8> = (0..TOTAL).map(|i| (i % 251) as u8).collect();
    let expected = payload.clone();
    let read = A::spawn(async move { reader.read_to_eof().await.map(|b| b.to_vec()) });
    A::t_for(PEER_TIMEOUT, async {
        let chunks = payload.chunks(100_000).count();
        for (i, chunk) in payload.chunks(100_000).enumerate() {
            writer.write(chunk).unwrap();
            assert!(writer.get_write_buffer_size() <= TLS_HIGH_WATER + 100_000);
            match writer.drain().await {
                Ok(()) => {}
                // Once the last chunk is written the server may read it,
                // echo it and close before this task gets to its drain (a
                // preempted thread): asyncio's drain then raises
                // ConnectionResetError('Connection lost') too. Every byte
                // still arrives (checked below).
                Err(e) if i + 1 == chunks && e.kind() == std::io::ErrorKind::ConnectionReset => {}
                Err(e) => panic!("drain after chunk {i}: {e}"),
            }
        }
    })
    .await;
    let got = A::t_for(PEER_TIMEOUT, read).await.unwrap();
    assert_eq!(got.len(), expected.len());
    assert!(got == expected);
    A::t(writer.wait_closed()).await.unwrap();
    server.close();
    A::t(server.wait_closed()).await;
}

/// TLS over Unix sockets (server_hostname "" as asyncio requires one).
#[cfg(unix)]
pub async fn tls_unix_echo<A: Adapter>() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tls.sock");
    let server = A::t(A::start_unix_server(
        echo,
        &path,
        ServerOptions::default().ssl(pki.server()),
    ))
    .await
    .unwrap();
    let options = OpenOptions::default().ssl(pki.client()).server_hostname("");
    let (mut r, w) = A::t(A::open_unix_connection(&path, options)).await.unwrap();
    assert!(w.is_tls() && !w.is_tcp());
    w.write(b"over unix\n").unwrap();
    assert_eq!(&A::t(r.readline()).await.unwrap()[..], b"echo: over unix\n");
    w.close();
    A::t(w.wait_closed()).await.unwrap();
    server.close();
    A::t(server.wait_closed()).await;
}
