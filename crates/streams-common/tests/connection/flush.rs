//! What the standard writer traits wait for: `is_flushed` (everything
//! written has left) and `is_write_shut` (our side is finished), and the
//! one wake-up a waiter gets when either may have become true.

use crate::pair::{pattern, Pair};
use crate::tls;
use std::io;
use streams_common::connection::Wake;
use streams_common::DEFAULT_LIMIT;

#[test]
fn flushed_once_the_last_byte_is_sent_and_a_waiter_is_woken_once() {
    let mut p = Pair::plain(DEFAULT_LIMIT);
    assert!(p.client.conn.is_flushed(), "nothing written");
    p.to_server.capacity = Some(100);
    p.server.recv_budget = Some(0);
    p.client.conn.write(&pattern(1000)).unwrap();
    assert!(!p.client.conn.is_flushed());
    p.client.conn.wake_when_flushed();
    p.drive();
    let _ = p.client.take_wakes();
    assert!(
        !p.client.conn.is_flushed(),
        "900 bytes wait behind a full wire"
    );
    // Some goes out: not all, and the waiter sleeps on.
    p.server.recv_budget = Some(500);
    p.drive();
    assert!(!p.client.conn.is_flushed());
    assert!(!p.client.take_wakes().contains(Wake::DRAIN), "not yet");
    // The rest goes out, and the waiter is woken.
    p.server.recv_budget = None;
    p.drive();
    assert!(p.client.conn.is_flushed());
    assert!(p.client.take_wakes().contains(Wake::DRAIN));
    // Once: the next flush to empty wakes nobody unless asked again.
    p.client.conn.write(b"more").unwrap();
    p.server.read_available();
    p.drive();
    assert!(p.client.conn.is_flushed());
    assert!(!p.client.take_wakes().contains(Wake::DRAIN));
}

#[test]
fn without_a_waiter_a_flush_wakes_nobody() {
    let mut p = Pair::plain(DEFAULT_LIMIT);
    p.client.conn.write(b"hello").unwrap();
    let _ = p.client.take_wakes();
    p.drive();
    assert!(p.client.conn.is_flushed());
    assert!(!p.client.take_wakes().contains(Wake::DRAIN));
}

#[test]
fn write_shut_after_write_eof_once_the_fin_is_out() {
    let mut p = Pair::plain(DEFAULT_LIMIT);
    p.to_server.capacity = Some(10);
    p.server.recv_budget = Some(0);
    p.client.conn.write(&pattern(50)).unwrap();
    p.client.conn.write_eof().unwrap();
    p.client.conn.wake_when_flushed();
    p.drive();
    assert!(!p.client.conn.is_write_shut());
    let _ = p.client.take_wakes();
    p.server.recv_budget = None;
    p.drive();
    assert!(p.client.write_shut, "the driver shut the write side down");
    assert!(p.client.conn.is_write_shut());
    assert!(p.client.take_wakes().contains(Wake::DRAIN));
}

#[test]
fn write_eof_with_nothing_buffered_wakes_the_waiter_at_the_shutdown() {
    // No send happens: the shutdown itself must wake the waiter.
    let mut p = Pair::plain(DEFAULT_LIMIT);
    p.client.conn.write_eof().unwrap();
    assert!(!p.client.conn.is_write_shut());
    p.client.conn.wake_when_flushed();
    let _ = p.client.take_wakes();
    p.drive();
    assert!(p.client.conn.is_write_shut());
    assert!(p.client.take_wakes().contains(Wake::DRAIN));
}

#[test]
fn loss_counts_as_flushed_and_shut_and_wakes_the_waiter() {
    let mut p = Pair::plain(DEFAULT_LIMIT);
    p.to_server.capacity = Some(0);
    p.client.conn.write(b"stuck").unwrap();
    p.client.conn.wake_when_flushed();
    p.drive();
    let _ = p.client.take_wakes();
    p.client
        .conn
        .handle_error(io::Error::from(io::ErrorKind::ConnectionReset));
    assert!(p.client.take_wakes().contains(Wake::DRAIN));
    assert!(p.client.conn.is_flushed());
    assert!(p.client.conn.is_write_shut());
}

#[test]
fn over_tls_shut_means_close_notify_sent() {
    let mut p = Pair::tls(
        DEFAULT_LIMIT,
        tls::client(None, None),
        tls::server(None, None),
    );
    p.drive();
    p.client.conn.write(b"data").unwrap();
    assert!(!p.client.conn.is_flushed());
    p.drive();
    assert!(p.client.conn.is_flushed());
    assert!(!p.client.conn.is_write_shut(), "no close_notify yet");
    p.client.conn.close();
    p.client.conn.wake_when_flushed();
    let _ = p.client.take_wakes();
    // The client sends close_notify; the server does not answer yet.
    p.server.recv_budget = Some(0);
    p.drive();
    assert!(p.client.conn.is_write_shut());
    assert!(p.client.take_wakes().contains(Wake::DRAIN));
}
