//! `set_reader_limit`: the reader's limit changed on a live connection,
//! with the driver's pause rule following at once.

use crate::pair::{pattern, Pair};
use streams_common::connection::Wake;
use streams_common::reader_core::InvalidArgument;

#[test]
fn a_lower_limit_pauses_receiving_at_once() {
    let mut p = Pair::plain(10_000);
    p.client.conn.write(&pattern(5000)).unwrap();
    p.drive();
    assert_eq!(p.server.reader.len(), 5000);
    assert!(p.server.conn.wants_recv());
    p.server
        .conn
        .set_reader_limit(&mut p.server.reader, 100)
        .unwrap();
    assert_eq!(p.server.reader.limit(), 100);
    assert_eq!(p.server.conn.limit(), 100);
    assert!(p.server.reader.reading_paused());
    assert!(!p.server.conn.wants_recv(), "5000 > 2 * 100");
    // More data stays in the wire.
    p.client.conn.write(&pattern(300)).unwrap();
    p.drive();
    assert_eq!(p.server.reader.len(), 5000);
    assert_eq!(p.to_server.len(), 300);
}

#[test]
fn a_higher_limit_resumes_receiving_and_wakes_the_driver() {
    let mut p = Pair::plain(100);
    p.to_server.capacity = Some(1000);
    p.client.conn.write(&pattern(3000)).unwrap();
    p.drive();
    assert!(p.server.conn.is_reading_paused());
    let held = p.server.reader.len();
    let _ = p.server.take_wakes();
    p.server
        .conn
        .set_reader_limit(&mut p.server.reader, 10_000)
        .unwrap();
    assert!(!p.server.conn.is_reading_paused());
    assert!(p.server.take_wakes().contains(Wake::DRIVER));
    p.drive();
    assert_eq!(p.server.reader.len(), 3000, "{held} before, all of it now");
    assert_eq!(p.server.read_available(), pattern(3000));
}

#[test]
fn a_zero_limit_is_refused_and_changes_nothing() {
    let mut p = Pair::plain(100);
    assert_eq!(
        p.server.conn.set_reader_limit(&mut p.server.reader, 0),
        Err(InvalidArgument::ZeroLimit)
    );
    assert_eq!(p.server.conn.limit(), 100);
    assert_eq!(p.server.reader.limit(), 100);
}

#[test]
fn what_arrived_is_counted_with_the_new_limit() {
    // Bytes still in the connection's inbox move into the reader first.
    let mut p = Pair::plain(10_000);
    p.server.auto_sync = false;
    p.client.conn.write(&pattern(500)).unwrap();
    p.drive();
    assert_eq!(p.server.reader.len(), 0);
    assert_eq!(p.server.conn.received_len(), 500);
    p.server
        .conn
        .set_reader_limit(&mut p.server.reader, 100)
        .unwrap();
    assert_eq!(p.server.reader.len(), 500);
    assert!(p.server.reader.reading_paused());
    assert!(p.server.conn.is_reading_paused());
}
