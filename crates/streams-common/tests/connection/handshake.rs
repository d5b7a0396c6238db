//! The TLS handshake over the pair, and application data after it.

use crate::pair::{pattern, Pair, Who};
use crate::tls;
use streams_common::connection::{HandshakeState, Phase, Wake};
use streams_common::tls::rustls;
use streams_common::DEFAULT_LIMIT;

fn handshaken() -> Pair {
    let mut p = Pair::tls(
        DEFAULT_LIMIT,
        tls::client(None, None),
        tls::server(None, None),
    );
    assert_eq!(p.client.conn.handshake(), HandshakeState::Pending);
    assert_eq!(p.server.conn.handshake(), HandshakeState::Pending);
    p.drive();
    p
}

#[test]
fn handshake_completes_and_wakes_its_waiters() {
    let mut p = handshaken();
    for who in [Who::Client, Who::Server] {
        let side = p.side(who);
        assert_eq!(side.conn.handshake(), HandshakeState::Done, "{who:?}");
        assert!(side.take_wakes().contains(Wake::HANDSHAKE), "{who:?}");
        assert_eq!(side.conn.phase(), Phase::Open, "{who:?}");
        assert!(side.conn.is_tls());
        // The handshake deadline no longer matters.
        assert_eq!(side.conn.poll_timeout(), None, "{who:?}");
    }
    let info = p.client.conn.tls_info().expect("TLS");
    assert_eq!(info.version_name(), Some("TLSv1.3"));
    assert_eq!(info.server_name.as_deref(), Some("localhost"));
    assert!(!info.peer_certificates.is_empty());
    // Nothing moved but the handshake: no reader wake-up on either side
    // carries data.
    assert!(p.client.read_available().is_empty());
    assert!(p.server.read_available().is_empty());
}

#[test]
fn application_data_flows_both_ways_after_the_handshake() {
    let mut p = handshaken();
    p.client.conn.write(b"ping\n").unwrap();
    p.server.conn.write(b"pong\n").unwrap();
    let before = (p.to_server.total, p.to_client.total);
    p.drive();
    assert_eq!(p.server.readline(), Some("ping\n".into()));
    assert_eq!(p.client.readline(), Some("pong\n".into()));
    // Encrypted: more than the plaintext crossed, and not the plaintext.
    assert!(p.to_server.total - before.0 > 5);
    assert!(p.to_client.total - before.1 > 5);
    assert!(p.client.take_wakes().contains(Wake::READER));
    assert!(p.server.take_wakes().contains(Wake::READER));
}

#[test]
fn data_written_during_the_handshake_waits_for_it_then_arrives() {
    let mut p = Pair::tls(
        DEFAULT_LIMIT,
        tls::client(None, None),
        tls::server(None, None),
    );
    // asyncio buffers application data until the handshake is done.
    p.client.conn.write(b"early\n").unwrap();
    p.drive();
    assert_eq!(p.server.readline(), Some("early\n".into()));
}

#[test]
fn a_megabyte_each_way_arrives_intact_over_tls() {
    let mut p = handshaken();
    let n = 1024 * 1024;
    p.client.conn.write(&pattern(n)).unwrap();
    p.server.conn.write(&pattern(n)).unwrap();
    let (mut at_server, mut at_client) = (Vec::new(), Vec::new());
    for _ in 0..1000 {
        p.drive();
        at_server.extend(p.server.read_available());
        at_client.extend(p.client.read_available());
        if at_server.len() >= n && at_client.len() >= n {
            break;
        }
    }
    assert!(
        at_server == pattern(n),
        "server got {} bytes",
        at_server.len()
    );
    assert!(
        at_client == pattern(n),
        "client got {} bytes",
        at_client.len()
    );
    assert_eq!(p.client.conn.write_buffer_size(), 0);
}

#[test]
fn a_certificate_failure_fails_both_handshakes_and_closes_both() {
    let mut p = Pair::tls(
        DEFAULT_LIMIT,
        tls::untrusting_client(),
        tls::server(None, None),
    );
    p.drive();
    let HandshakeState::Failed(e) = p.client.conn.handshake() else {
        panic!("{:?}", p.client.conn.handshake())
    };
    assert!(e.is_certificate_error(), "{e}");
    assert!(p.client.take_wakes().contains(Wake::HANDSHAKE));
    // The client told the server why (its farewell alert), then closed.
    assert!(!p.client.farewell.is_empty());
    let HandshakeState::Failed(e) = p.server.conn.handshake() else {
        panic!("{:?}", p.server.conn.handshake())
    };
    assert_eq!(
        e.rustls_error(),
        Some(&rustls::Error::AlertReceived(
            rustls::AlertDescription::UnknownCA
        )),
        "the server got the alert: {e}"
    );
    for who in [Who::Client, Who::Server] {
        let side = p.side(who);
        assert_eq!(side.conn.phase(), Phase::Closed, "{who:?}");
        let lost = side.conn.lost_error().expect("lost with the failure");
        assert_eq!(lost.kind(), std::io::ErrorKind::InvalidData, "{who:?}");
    }
}

#[test]
fn close_after_a_large_write_delivers_everything_then_eof() {
    // A small reader limit: the receiver pauses many times on the way,
    // with the close_notify already in what it received.
    let limit = 16 * 1024;
    let mut p = Pair::tls(limit, tls::client(None, None), tls::server(None, None));
    p.drive();
    let n = 1024 * 1024;
    p.server.conn.write(&pattern(n)).unwrap();
    p.server.conn.close();
    let mut got = Vec::new();
    for _ in 0..10_000 {
        p.drive();
        got.extend(p.client.read_available());
        if p.client.at_eof() {
            break;
        }
    }
    assert!(got == pattern(n), "got {} bytes", got.len());
    assert!(p.client.at_eof());
    p.drive();
    for who in [Who::Client, Who::Server] {
        assert_eq!(p.side(who).conn.phase(), Phase::Closed, "{who:?}");
        assert!(p.side(who).conn.lost_error().is_none(), "{who:?}");
    }
}
