//! A drain that is waiting when the connection ends: with the transport's
//! error if there was one; normally after `abort()` or a `close()` that
//! flushed (asyncio's rule); the next drain reports the loss.

use crate::pair::{pattern, Pair};
use std::io;
use std::sync::Arc;
use streams_common::connection::{Phase, Wake};
use streams_common::write_state::{DrainEnd, DrainStart, DrainTicket};
use streams_common::DEFAULT_LIMIT;

/// A client with 100 bytes stuck above a high mark of 10 and a waiting
/// drain.
fn waiting_drain() -> (Pair, DrainTicket) {
    let mut p = Pair::plain(DEFAULT_LIMIT);
    p.client
        .conn
        .set_write_buffer_limits(Some(10), None)
        .unwrap();
    p.to_server.capacity = Some(0);
    p.client.conn.write(&pattern(100)).unwrap();
    let Ok(DrainStart::Wait(ticket)) = p.client.conn.drain_start() else {
        panic!("{:?}", p.client.conn.drain_start())
    };
    p.drive();
    assert_eq!(p.client.drain_poll(ticket), None);
    let _ = p.client.take_wakes();
    (p, ticket)
}

#[test]
fn a_waiting_drain_ends_with_the_transport_error() {
    let (mut p, ticket) = waiting_drain();
    p.client
        .conn
        .handle_error(io::Error::from_raw_os_error(crate::os_codes::ECONNRESET));
    assert!(p.client.take_wakes().contains(Wake::DRAIN));
    let Some(DrainEnd::Err(e)) = p.client.conn.drain_poll(ticket) else {
        panic!("{:?}", p.client.conn.drain_poll(ticket))
    };
    assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
    assert_eq!(e.raw_os_error(), Some(crate::os_codes::ECONNRESET));
    // The next drain reports the same error (the reader's, first).
    let Err(again) = p.client.conn.drain_start() else {
        panic!("{:?}", p.client.conn.drain_start())
    };
    assert!(Arc::ptr_eq(&e, &again));
    assert_eq!(p.client.conn.phase(), Phase::Lost);
    // The buffer is dropped: the peer gets EOF and none of it.
    p.to_server.capacity = None;
    p.drive();
    assert_eq!(p.client.conn.phase(), Phase::Closed);
    assert!(p.server.at_eof());
    assert_eq!(p.to_server.total, 0);
}

#[test]
fn a_waiting_drain_ends_normally_on_abort() {
    let (mut p, ticket) = waiting_drain();
    p.client.conn.abort();
    assert!(p.client.take_wakes().contains(Wake::DRAIN));
    assert_eq!(p.client.drain_poll(ticket), Some(Ok(())));
    // The next drain: ConnectionResetError('Connection lost').
    assert_eq!(p.client.drain_start(), Ok(DrainStart::Lost));
    assert!(p.client.conn.lost_error().is_none());
}

#[test]
fn a_waiting_drain_ends_normally_when_close_has_flushed() {
    let (mut p, ticket) = waiting_drain();
    p.client.conn.close();
    // Not lost yet: the buffer is still being flushed.
    assert_eq!(p.client.conn.phase(), Phase::Closing);
    assert_eq!(p.client.drain_poll(ticket), None);
    p.to_server.capacity = None;
    p.drive();
    assert_eq!(p.client.drain_poll(ticket), Some(Ok(())));
    assert_eq!(p.client.drain_start(), Ok(DrainStart::Lost));
    assert_eq!(p.server.read_to_eof(), Some(pattern(100)));
}
