//! The lingering close: flush, shut the write side down, discard what the
//! peer still sends until its EOF (or the deadline), then close.

use crate::pair::{pattern, Pair};
use std::time::Duration;
use streams_common::connection::Phase;
use streams_common::DEFAULT_LIMIT;

const LINGER: Duration = Duration::from_secs(5);

#[test]
fn a_lingering_close_delivers_everything_while_the_peer_still_sends() {
    let mut p = Pair::plain(DEFAULT_LIMIT);
    // The client keeps sending; the server never reads it.
    p.client.conn.write(&pattern(500_000)).unwrap();
    p.server.auto_sync = false;
    p.server.conn.write(&pattern(300_000)).unwrap();
    p.server.conn.close_lingering(LINGER);
    assert_eq!(p.server.conn.phase(), Phase::Closing);
    for _ in 0..100 {
        p.drive();
        if p.client.at_eof() || p.client.conn.phase() == Phase::Closed {
            break;
        }
        let _ = p.client.read_available();
    }
    // The server's write side is shut: the client got everything, then EOF.
    assert_eq!(p.server.conn.phase(), Phase::ShuttingDown);
    assert!(p.client.at_eof());
    // The server drops what the client still sends, and closes at its EOF.
    p.client.conn.write_eof().unwrap();
    p.drive();
    assert_eq!(p.server.conn.phase(), Phase::Closed);
    assert!(p.server.conn.lost_error().is_none());
    assert_eq!(p.client.conn.write_buffer_size(), 0);
}

#[test]
fn the_client_reads_every_byte_of_a_lingering_close() {
    let mut p = Pair::plain(DEFAULT_LIMIT);
    p.client.conn.write(&pattern(200_000)).unwrap();
    let data = pattern(300_000);
    p.server.conn.write(&data).unwrap();
    p.server.conn.close_lingering(LINGER);
    let mut got = Vec::new();
    for _ in 0..100 {
        p.drive();
        got.extend(p.client.read_available());
        if p.client.at_eof() {
            break;
        }
    }
    assert!(got == data, "got {} bytes", got.len());
}

#[test]
fn a_lingering_close_gives_up_at_its_deadline() {
    let mut p = Pair::plain(DEFAULT_LIMIT);
    p.server.conn.write(b"bye\n").unwrap();
    p.server.conn.close_lingering(LINGER);
    let started = p.now();
    p.drive();
    // Flushed and shut down; the client never sends its EOF.
    assert_eq!(p.server.conn.phase(), Phase::ShuttingDown);
    assert_eq!(p.server.conn.poll_timeout(), Some(started + LINGER));
    p.advance(LINGER - Duration::from_millis(1));
    p.drive();
    assert_eq!(p.server.conn.phase(), Phase::ShuttingDown);
    p.advance(Duration::from_millis(1));
    p.drive();
    assert_eq!(p.server.conn.phase(), Phase::Closed);
    assert!(p.server.conn.lost_error().is_none());
}
