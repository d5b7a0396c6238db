//! Ending a TLS connection: a peer that never answers close_notify, a
//! peer that sends a bare FIN.

use super::{raw_tls_accept, Pki, SHORT};
use crate::adapters::Adapter;
use crate::peers::PEER_TIMEOUT;
use std::io::{self, Read, Write};
use std::net::TcpListener;
use streams_common::tls::{tls_error, TlsError};
use streams_common::OpenOptions;

/// A peer that never answers close_notify: `wait_closed()` reports
/// asyncio's `SSL shutdown timed out`, and so do later reads.
pub async fn tls_shutdown_timeout<A: Adapter>() {
    let pki = Pki::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = pki.server();
    let peer = A::spawn_blocking(move || {
        let (mut tcp, _conn) = raw_tls_accept(&listener, config);
        // Read (and ignore) until the client gives up; never write.
        let mut buf = [0u8; 4096];
        for _ in 0..1000 {
            match tcp.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    });
    let options = OpenOptions::default()
        .ssl(pki.client())
        .server_hostname("localhost")
        .ssl_shutdown_timeout(SHORT);
    let (reader, writer) = crate::connect_port::<A>(port, options).await;
    writer.close();
    let e = A::t(writer.wait_closed()).await.unwrap_err();
    assert_eq!(tls_error(&e), Some(&TlsError::ShutdownTimeout));
    assert_eq!(e.to_string(), "SSL shutdown timed out");
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    let stored = reader.exception().expect("the reader has the error");
    assert_eq!(tls_error(&stored), Some(&TlsError::ShutdownTimeout));
    A::t_for(PEER_TIMEOUT, peer).await;
}

/// A peer that sends data and then a FIN without close_notify: the data,
/// then EOF without an error, and the connection closes (no half-open).
pub async fn tls_bare_fin_ends_the_stream<A: Adapter>() {
    let pki = Pki::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = pki.server();
    let peer = A::spawn_blocking(move || {
        let (mut tcp, mut conn) = raw_tls_accept(&listener, config);
        conn.writer().write_all(b"bye\n").unwrap();
        while conn.wants_write() {
            conn.write_tls(&mut tcp).unwrap();
        }
        tcp.shutdown(std::net::Shutdown::Write).unwrap();
        // Wait for the client to close its side.
        let mut buf = [0u8; 4096];
        for _ in 0..1000 {
            match tcp.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    });
    let options = OpenOptions::default()
        .ssl(pki.client())
        .server_hostname("localhost");
    let (mut reader, writer) = crate::connect_port::<A>(port, options).await;
    assert_eq!(&A::t(reader.readline()).await.unwrap()[..], b"bye\n");
    assert!(A::t(reader.read(100)).await.unwrap().is_empty());
    assert!(reader.exception().is_none());
    assert!(writer.is_closing());
    A::t(writer.drain()).await.unwrap_err();
    A::t(writer.wait_closed()).await.unwrap();
    A::t_for(PEER_TIMEOUT, peer).await;
}
