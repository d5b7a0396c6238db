//! `start_tls` on a plain connection, including asyncio's hazard: the
//! ClientHello arriving together with the last plaintext line.

use crate::pair::{pattern, Pair};
use crate::tls;
use std::time::Duration;
use streams_common::connection::{HandshakeState, Phase, Wake};
use streams_common::tls::{tls_error, TlsError};
use streams_common::DEFAULT_LIMIT;

#[test]
fn the_client_hello_buffered_behind_the_starttls_line_is_not_lost() {
    let mut p = Pair::plain(DEFAULT_LIMIT);
    p.client.conn.write(b"STARTTLS\n").unwrap();
    let now = p.now();
    p.client
        .conn
        .start_tls(tls::client(None, None), &mut p.client.reader, now)
        .unwrap();
    assert!(p.client.conn.is_tls());
    assert_eq!(p.client.conn.handshake(), HandshakeState::Pending);
    p.drive();

    // The line and the ClientHello arrived together: both are in the
    // server's reader.
    let buffered = p.server.reader.len();
    assert!(buffered > "STARTTLS\n".len() + 100, "{buffered}");
    assert_eq!(p.server.readline(), Some("STARTTLS\n".into()));
    assert!(!p.server.reader.is_empty());
    assert_eq!(p.client.conn.handshake(), HandshakeState::Pending);

    let now = p.now();
    p.server
        .conn
        .start_tls(tls::server(None, None), &mut p.server.reader, now)
        .unwrap();
    // The reader's unread bytes are the TLS layer's now.
    assert!(p.server.reader.is_empty());
    p.drive();
    assert_eq!(p.client.conn.handshake(), HandshakeState::Done);
    assert_eq!(p.server.conn.handshake(), HandshakeState::Done);
    assert!(p.client.take_wakes().contains(Wake::HANDSHAKE));
    assert!(p.server.take_wakes().contains(Wake::HANDSHAKE));

    p.client.conn.write(&pattern(100_000)).unwrap();
    p.server.conn.write(b"secret\n").unwrap();
    let mut got = Vec::new();
    for _ in 0..100 {
        p.drive();
        got.extend(p.server.read_available());
        if got.len() >= 100_000 {
            break;
        }
    }
    assert!(got == pattern(100_000), "got {} bytes", got.len());
    assert_eq!(p.client.readline(), Some("secret\n".into()));
}

#[test]
fn plaintext_written_before_start_tls_goes_out_in_the_clear_first() {
    let mut p = Pair::plain(DEFAULT_LIMIT);
    p.server.conn.write(b"220 ready\n").unwrap();
    let now = p.now();
    p.server.auto_sync = false;
    p.drive();
    // The server upgrades without having read anything; its own reply
    // goes out before its handshake bytes (it has none: a server waits).
    p.server
        .conn
        .start_tls(tls::server(None, None), &mut p.server.reader, now)
        .unwrap();
    p.server.auto_sync = true;
    assert_eq!(p.client.readline(), Some("220 ready\n".into()));
    p.client
        .conn
        .start_tls(tls::client(None, None), &mut p.client.reader, now)
        .unwrap();
    p.drive();
    assert_eq!(p.client.conn.handshake(), HandshakeState::Done);
    assert_eq!(p.server.conn.handshake(), HandshakeState::Done);
    assert_eq!(p.client.conn.phase(), Phase::Open);
}

#[test]
fn start_tls_is_refused_twice_and_after_close() {
    let mut p = Pair::plain(DEFAULT_LIMIT);
    let now = p.now();
    p.client
        .conn
        .start_tls(tls::client(None, None), &mut p.client.reader, now)
        .unwrap();
    assert_eq!(
        p.client
            .conn
            .start_tls(tls::client(None, None), &mut p.client.reader, now),
        Err(TlsError::AlreadyTls)
    );
    p.server.conn.close();
    assert_eq!(
        p.server
            .conn
            .start_tls(tls::server(None, None), &mut p.server.reader, now),
        Err(TlsError::Closed)
    );
}

/// asyncio starts the handshake timer when start_tls is called, even with
/// plaintext still in the socket transport's buffer (observed on 3.13: a
/// peer that never reads, 17 MB buffered, `start_tls(...,
/// ssl_handshake_timeout=1.0)` fails with `ConnectionAbortedError('SSL
/// handshake is taking longer than 1.0 seconds: aborting the connection')`
/// after 1 s).
#[test]
fn the_handshake_deadline_runs_while_plaintext_is_still_buffered() {
    let hs = Duration::from_secs(10);
    let mut p = Pair::plain(DEFAULT_LIMIT);
    // The peer never reads: the plaintext never leaves.
    p.to_server.capacity = Some(0);
    p.client.conn.write(b"STARTTLS\n").unwrap();
    let now = p.now();
    p.client
        .conn
        .start_tls(tls::client(Some(hs), None), &mut p.client.reader, now)
        .unwrap();
    p.drive();
    assert_eq!(p.client.conn.handshake(), HandshakeState::Pending);
    assert_eq!(p.client.conn.poll_timeout(), Some(now + hs));
    p.advance(hs);
    p.drive();
    assert_eq!(
        p.client.conn.handshake(),
        HandshakeState::Failed(TlsError::HandshakeTimeout(hs))
    );
    let e = p.client.conn.lost_error().expect("lost with an error");
    assert_eq!(tls_error(e), Some(&TlsError::HandshakeTimeout(hs)));
    assert_eq!(p.client.conn.phase(), Phase::Closed);
}

/// A connection that ends while `start_tls` still waits for its plaintext
/// to be sent fails the handshake with the cause, and wakes its waiters
/// (it must not report `Done` for a session that was never installed).
#[test]
fn a_start_tls_waiting_for_its_plaintext_fails_when_the_connection_ends() {
    let reset = || std::io::Error::from_raw_os_error(crate::os_codes::ECONNRESET);
    for (end, expected) in [
        ("close", TlsError::Closed),
        ("abort", TlsError::Closed),
        ("reset", TlsError::HandshakeEof),
    ] {
        let mut p = Pair::plain(DEFAULT_LIMIT);
        p.to_server.capacity = Some(0);
        p.client.conn.write(b"STARTTLS\n").unwrap();
        let now = p.now();
        p.client
            .conn
            .start_tls(tls::client(None, None), &mut p.client.reader, now)
            .unwrap();
        p.drive();
        let _ = p.client.take_wakes();
        assert_eq!(p.client.conn.handshake(), HandshakeState::Pending, "{end}");
        match end {
            "close" => p.client.conn.close(),
            "abort" => p.client.conn.abort(),
            _ => p.client.conn.handle_error(reset()),
        }
        assert!(p.client.take_wakes().contains(Wake::HANDSHAKE), "{end}");
        assert_eq!(
            p.client.conn.handshake(),
            HandshakeState::Failed(expected),
            "{end}"
        );
        assert!(!p.client.conn.is_tls(), "{end}");
    }
}
