//! Servers: handler failures, the lifecycle (start_serving,
//! serve_forever, close, close_clients, abort_clients, wait_closed), hosts.

use super::{connect, wait_for_clients, BoxError};
use crate::adapters::{poll_once, Adapter};
use futures::channel::mpsc;
use std::io;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use streams_common::{OpenOptions, ServerError, ServerOptions, StreamReader, StreamWriter};

/// A handler's error or panic closes its connection and is reported; the
/// server serves on.
pub async fn handler_errors_and_panics_are_reported_and_serving_goes_on<A: Adapter>() {
    // Each report is a message. asyncio reports a failure before it
    // closes the connection, and so does the server: the handler's writer
    // is dropped as the handler fails, but the connection is closed only
    // after the report.
    let (reports, mut reported) = mpsc::unbounded();
    // The hook lingers (at most 100 ms: the window only widens the chance
    // of catching a close that comes first, it never fails a correct
    // server) and notes whether the client saw its connection end while
    // the failure was still being reported.
    let client_saw_eof = Arc::new(AtomicBool::new(false));
    let eof_during_report = Arc::new(AtomicBool::new(false));
    let (saw, during) = (client_saw_eof.clone(), eof_during_report.clone());
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
            let until = Instant::now() + Duration::from_millis(100);
            while Instant::now() < until {
                if saw.load(Ordering::SeqCst) {
                    during.store(true, Ordering::SeqCst);
                    break;
                }
                std::thread::yield_now();
            }
            let _ = reports.unbounded_send((f.to_string(), peer.is_some()));
        }),
    ))
    .await
    .unwrap();
    let mut texts = Vec::new();
    for (req, expect) in [("fail\n", ""), ("panic\n", ""), ("fine\n", "ok\n")] {
        let (mut reader, writer) = connect::<A>(&server).await;
        writer.write(req.as_bytes()).unwrap();
        // The failed connections are closed: the client sees EOF.
        assert_eq!(A::t(reader.read_to_eof()).await.unwrap(), expect);
        if !expect.is_empty() {
            continue;
        }
        client_saw_eof.store(true, Ordering::SeqCst);
        assert!(
            !eof_during_report.load(Ordering::SeqCst),
            "the connection closed before its failure was reported"
        );
        client_saw_eof.store(false, Ordering::SeqCst);
        // By then the failure has been reported.
        let (text, has_peer) = reported
            .try_recv()
            .expect("the failure was reported before the connection closed");
        assert!(has_peer, "{text}");
        texts.push(text);
    }
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
             [errno {}] {}",
            crate::os_codes::EADDRINUSE,
            crate::os_codes::addr_in_use_text()
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
