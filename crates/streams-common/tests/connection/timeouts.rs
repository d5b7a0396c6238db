//! TLS deadlines on the virtual clock: the handshake timeout and the
//! shutdown timeout, and a clean close that needs neither.

use crate::pair::{Pair, Who};
use crate::tls;
use std::io;
use std::task::Poll;
use std::time::Duration;
use streams_common::connection::{Connection, HandshakeState, Phase, Transmit, Wake};
use streams_common::reader_core::ReadError;
use streams_common::tls::{tls_error, TlsError};
use streams_common::DEFAULT_LIMIT;

const NS: Duration = Duration::from_nanos(1);

/// The TLS error inside the error the connection was lost with.
fn lost_tls_error(conn: &Connection) -> TlsError {
    let e = conn.lost_error().expect("lost with an error");
    tls_error(e).expect("a TLS error").clone()
}

/// A TLS side whose peer is a plain connection that never sends a byte.
fn silent_peer(tls_side: Who, hs: Duration) -> Pair {
    Pair::with(|now| {
        let session = match tls_side {
            Who::Client => tls::client(Some(hs), None),
            Who::Server => tls::server(Some(hs), None),
        };
        let tls = Connection::with_tls(DEFAULT_LIMIT, session, now);
        let plain = Connection::new(DEFAULT_LIMIT);
        match tls_side {
            Who::Client => (tls, plain),
            Who::Server => (plain, tls),
        }
    })
}

fn handshake_times_out(who: Who) {
    let hs = Duration::from_secs(10);
    let mut p = silent_peer(who, hs);
    let deadline = p.now() + hs;
    p.drive();
    assert_eq!(p.side(who).conn.poll_timeout(), Some(deadline));

    // Just before the deadline nothing has happened.
    p.advance(hs - NS);
    p.drive();
    let side = p.side(who);
    assert_eq!(side.conn.handshake(), HandshakeState::Pending);
    assert_eq!(side.conn.phase(), Phase::Open);
    assert_eq!(side.conn.poll_timeout(), Some(deadline));
    side.conn.handle_timeout(deadline - NS);
    assert_eq!(side.conn.phase(), Phase::Open);
    let _ = side.take_wakes();

    // At the deadline the connection is lost.
    p.advance(NS);
    let now = p.now();
    assert_eq!(now, deadline);
    let side = p.side(who);
    side.conn.handle_timeout(now);
    assert_eq!(side.conn.phase(), Phase::Lost);
    assert_eq!(
        side.conn.handshake(),
        HandshakeState::Failed(TlsError::HandshakeTimeout(hs))
    );
    assert_eq!(lost_tls_error(&side.conn), TlsError::HandshakeTimeout(hs));
    let e = side.conn.lost_error().unwrap().clone();
    assert_eq!(e.kind(), io::ErrorKind::ConnectionAborted);
    assert_eq!(
        e.to_string(),
        "SSL handshake is taking longer than 10.0 seconds: aborting the connection"
    );
    assert!(side.take_wakes().contains(Wake::HANDSHAKE | Wake::READER));
    assert!(matches!(
        side.conn.poll_transmit(now),
        Transmit::Close { .. }
    ));
    assert_eq!(side.conn.poll_timeout(), None);

    // The driver closes; the reader has the error; the silent peer sees EOF.
    p.drive();
    let side = p.side(who);
    assert!(side.conn.is_closed());
    assert!(side.take_wakes().contains(Wake::CLOSED));
    side.sync();
    match side.reader.read(1) {
        Poll::Ready(Err(ReadError::Stored(e))) => {
            assert_eq!(tls_error(&e), Some(&TlsError::HandshakeTimeout(hs)))
        }
        other => panic!("{other:?}"),
    }
    let peer = p.side(who.peer());
    peer.sync();
    assert!(peer.reader.eof_received());
}

#[test]
fn handshake_timeout_loses_a_server_whose_peer_never_sends() {
    handshake_times_out(Who::Server);
}

#[test]
fn handshake_timeout_loses_a_client_whose_server_never_answers() {
    handshake_times_out(Who::Client);
}

#[test]
fn shutdown_timeout_when_the_peer_never_answers_close_notify() {
    let sd = Duration::from_secs(5);
    let mut p = Pair::tls(
        DEFAULT_LIMIT,
        tls::client(None, Some(sd)),
        tls::server(None, None),
    );
    p.drive();
    assert_eq!(p.client.conn.handshake(), HandshakeState::Done);
    // The server never reads again: our close_notify stays unanswered.
    p.server.recv_budget = Some(0);
    p.advance(Duration::from_secs(1));
    let closed_at = p.now();

    p.client.conn.close();
    assert_eq!(p.client.conn.phase(), Phase::Closing);
    assert!(p.client.conn.is_closing());
    p.drive();
    assert_eq!(p.client.conn.phase(), Phase::ShuttingDown);
    assert!(p.to_server.len() > 0, "close_notify is on the wire");
    let deadline = closed_at + sd;
    assert_eq!(p.client.conn.poll_timeout(), Some(deadline));

    p.advance(sd - NS);
    p.drive();
    assert_eq!(p.client.conn.phase(), Phase::ShuttingDown);
    assert!(!p.client.transport_closed);

    p.advance(NS);
    let now = p.now();
    p.client.conn.handle_timeout(now);
    assert_eq!(p.client.conn.phase(), Phase::Lost);
    assert_eq!(lost_tls_error(&p.client.conn), TlsError::ShutdownTimeout);
    let e = p.client.conn.lost_error().unwrap().clone();
    assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    assert_eq!(e.to_string(), "SSL shutdown timed out");
    assert!(matches!(
        p.client.conn.poll_transmit(now),
        Transmit::Close { .. }
    ));
    p.drive();
    assert_eq!(p.client.conn.phase(), Phase::Closed);
    assert!(p.client.take_wakes().contains(Wake::CLOSED));
    // What wait_closed() reports, and later reads too (asyncio).
    assert_eq!(lost_tls_error(&p.client.conn), TlsError::ShutdownTimeout);
    p.client.sync();
    match p.client.reader.read(1) {
        Poll::Ready(Err(ReadError::Stored(e))) => {
            assert_eq!(tls_error(&e), Some(&TlsError::ShutdownTimeout))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn clean_close_answers_close_notify_before_any_deadline() {
    let mut p = Pair::tls(
        DEFAULT_LIMIT,
        tls::client(None, Some(Duration::from_secs(5))),
        tls::server(None, Some(Duration::from_secs(5))),
    );
    p.drive();
    p.client.conn.write(b"bye\n").unwrap();
    p.client.conn.close();
    let start = p.now();
    p.drive();
    // No time passed: nothing timed out, and both ends are closed.
    assert_eq!(p.now(), start);
    for who in [Who::Client, Who::Server] {
        let side = p.side(who);
        assert_eq!(side.conn.phase(), Phase::Closed, "{who:?}");
        assert!(side.conn.lost_error().is_none(), "{who:?}");
        assert!(side.conn.error().is_none(), "{who:?}");
        assert!(side.take_wakes().contains(Wake::CLOSED), "{who:?}");
    }
    // The server got the data, then EOF.
    assert_eq!(p.server.read_to_eof(), Some("bye\n".into()));
    assert!(p.server.at_eof());
    assert!(p.client.at_eof());
}

#[test]
fn the_peer_that_receives_close_notify_answers_and_closes() {
    let mut p = Pair::tls(
        DEFAULT_LIMIT,
        tls::client(None, None),
        tls::server(None, None),
    );
    p.drive();
    // Hold the server's answer back to look at its state in between.
    p.to_client.capacity = Some(0);
    p.client.conn.close();
    p.drive();
    assert_eq!(p.client.conn.phase(), Phase::ShuttingDown);
    // The server got close_notify: its reader has EOF and it answered
    // with its own (which the wire holds back), then closed.
    assert!(p.server.at_eof());
    assert!(p.server.conn.is_closing());
    assert_eq!(p.server.conn.phase(), Phase::ShuttingDown);
    p.to_client.capacity = None;
    p.drive();
    assert_eq!(p.server.conn.phase(), Phase::Closed);
    assert_eq!(p.client.conn.phase(), Phase::Closed);
    assert!(p.client.conn.lost_error().is_none());
    assert!(p.server.conn.lost_error().is_none());
}

#[test]
fn close_during_the_handshake_aborts_without_a_shutdown() {
    let mut p = Pair::tls(
        DEFAULT_LIMIT,
        tls::client(None, Some(Duration::from_secs(5))),
        tls::server(None, None),
    );
    p.step();
    assert_eq!(p.client.conn.handshake(), HandshakeState::Pending);
    p.client.conn.close();
    p.drive();
    assert_eq!(p.client.conn.phase(), Phase::Closed);
    assert!(p.client.conn.lost_error().is_none());
    assert_eq!(
        p.client.conn.handshake(),
        HandshakeState::Failed(TlsError::Closed)
    );
    assert!(p.client.take_wakes().contains(Wake::HANDSHAKE));
    // The server saw the transport end during its handshake.
    assert_eq!(
        p.server.conn.handshake(),
        HandshakeState::Failed(TlsError::HandshakeEof)
    );
    assert_eq!(p.server.conn.phase(), Phase::Closed);
}

#[test]
fn closing_while_reading_is_paused_still_reads_up_to_the_peers_close_notify() {
    let limit = 16 * 1024;
    let mut p = Pair::tls(
        limit,
        tls::client(None, Some(Duration::from_secs(5))),
        tls::server(None, None),
    );
    p.drive();
    p.server
        .conn
        .write(&crate::pair::pattern(1024 * 1024))
        .unwrap();
    p.drive();
    assert!(p.client.conn.is_reading_paused());
    // The client gives up on the data and closes; the server's data is
    // read (and dropped) until its close_notify, with no time passing.
    p.client.conn.close();
    p.drive();
    assert_eq!(p.client.conn.phase(), Phase::Closed);
    assert_eq!(p.server.conn.phase(), Phase::Closed);
    assert!(p.client.conn.lost_error().is_none());
    assert!(p.server.conn.lost_error().is_none());
    assert_eq!(p.server.conn.write_buffer_size(), 0);
}

/// asyncio starts the shutdown timer when `close()` is called (state
/// FLUSHING), before the data still buffered is out (spec 8.5). Observed
/// on 3.13: a TLS peer that never reads, 50 MB written, `close()`, and
/// `wait_closed()` raises `TimeoutError('SSL shutdown timed out')` after
/// `ssl_shutdown_timeout=1.0`.
#[test]

fn the_shutdown_deadline_runs_while_the_buffer_is_still_being_flushed() {
    let sd = Duration::from_secs(5);
    let mut p = Pair::tls(
        DEFAULT_LIMIT,
        tls::client(None, Some(sd)),
        tls::server(None, None),
    );
    p.drive();
    p.server.recv_budget = Some(0);
    p.to_server.capacity = Some(64 * 1024);
    p.client
        .conn
        .write(&crate::pair::pattern(1024 * 1024))
        .unwrap();
    p.drive();
    let closed_at = p.now();
    p.client.conn.close();
    p.drive();
    assert_eq!(p.client.conn.phase(), Phase::Closing);
    assert!(p.client.conn.write_buffer_size() > 0);
    assert_eq!(p.client.conn.poll_timeout(), Some(closed_at + sd));
    p.advance(sd);
    p.drive();
    assert_eq!(p.client.conn.phase(), Phase::Closed);
    assert_eq!(lost_tls_error(&p.client.conn), TlsError::ShutdownTimeout);
}
