use crate::pair::{pattern, Pair};
use crate::tls;
use streams_common::connection::{HandshakeState, Phase};

#[test]
fn plain_bytes_cross() {
    let mut p = Pair::plain(1024);
    p.client.conn.write(&pattern(10_000)).unwrap();
    p.drive();
    let mut got = Vec::new();
    for _ in 0..100 {
        got.extend(p.server.read_available());
        p.drive();
    }
    assert_eq!(got, pattern(10_000));
    assert_eq!(p.client.conn.phase(), Phase::Open);
}

#[test]
fn tls_handshake() {
    let mut p = Pair::tls(1024, tls::client(None, None), tls::server(None, None));
    p.drive();
    assert_eq!(p.client.conn.handshake(), HandshakeState::Done);
    assert_eq!(p.server.conn.handshake(), HandshakeState::Done);
}
