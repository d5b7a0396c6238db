//! `close()` and `abort()` on a plain connection.

use crate::pair::{pattern, Pair};
use streams_common::connection::{Phase, Transmit, Wake};
use streams_common::write_state::{DrainStart, Written};
use streams_common::DEFAULT_LIMIT;

#[test]
fn close_flushes_the_buffer_then_closes_and_the_reader_gets_nothing_more() {
    let mut p = Pair::plain(DEFAULT_LIMIT);
    // The client has unread data...
    p.server.conn.write(b"early\n").unwrap();
    p.drive();
    assert_eq!(p.client.reader.len(), 6);
    // ...and more on its way that it will not receive before closing.
    p.client.recv_budget = Some(0);
    p.server.conn.write(b"late\n").unwrap();
    // Its write buffer is not empty: the socket buffer is full.
    p.to_server.capacity = Some(0);
    let data = pattern(50_000);
    p.client.conn.write(&data).unwrap();
    p.drive();
    assert_eq!(p.to_client.contents(), b"late\n");
    assert_eq!(p.client.conn.write_buffer_size(), 50_000);

    p.client.conn.close();
    assert_eq!(p.client.conn.phase(), Phase::Closing);
    assert!(p.client.conn.is_closing());
    // Reading stops at once.
    assert!(p.client.conn.recv_room().is_none());
    // Writes while flushing are still sent (asyncio appends them).
    assert_eq!(
        p.client.conn.write(b"tail"),
        Ok(Written::Buffered { wake_driver: false })
    );
    // A drain does not wait for the flush: not paused, ready.
    assert_eq!(p.client.drain_start(), Ok(DrainStart::Ready));
    p.client.recv_budget = None;
    p.drive();
    assert_eq!(p.client.conn.phase(), Phase::Closing);
    assert!(!p.client.transport_closed);

    // The socket drains: everything goes out, then the transport closes.
    p.to_server.capacity = None;
    p.drive();
    assert_eq!(p.client.conn.phase(), Phase::Closed);
    assert!(p.client.conn.lost_error().is_none());
    let mut expect = data.clone();
    expect.extend_from_slice(b"tail");
    assert_eq!(p.server.read_to_eof(), Some(expect));
    // The closing side's reader: what it had, then EOF; never "late".
    assert_eq!(p.client.read_to_eof(), Some("early\n".into()));
    assert!(p.client.at_eof());
    assert_eq!(p.to_client.contents(), b"late\n", "never received");
    // The peer stays open (a plain EOF), and may still close.
    assert_eq!(p.server.conn.phase(), Phase::Open);
    p.server.conn.close();
    p.drive();
    assert_eq!(p.server.conn.phase(), Phase::Closed);
}

#[test]
fn close_with_nothing_buffered_ends_at_once() {
    let mut p = Pair::plain(DEFAULT_LIMIT);
    p.client.conn.close();
    assert_eq!(p.client.conn.phase(), Phase::Lost);
    assert!(p.client.take_wakes().contains(Wake::READER));
    assert!(p.client.at_eof());
    assert_eq!(p.client.drain_start(), Ok(DrainStart::Lost));
    assert!(matches!(
        p.client.conn.write(b"x"),
        Ok(Written::Dropped { .. })
    ));
    let now = p.now();
    assert_eq!(
        p.client.conn.poll_transmit(now),
        Transmit::Close { farewell: &[] }
    );
    p.drive();
    assert_eq!(p.client.conn.phase(), Phase::Closed);
    assert!(p.client.take_wakes().contains(Wake::CLOSED));
    assert!(p.server.at_eof());
    assert_eq!(p.to_server.total, 0);
    // close() again changes nothing.
    p.client.conn.close();
    assert_eq!(p.client.conn.phase(), Phase::Closed);
}

#[test]
fn abort_drops_the_write_buffer_and_closes_at_once() {
    let mut p = Pair::plain(DEFAULT_LIMIT);
    p.server.conn.write(b"unread\n").unwrap();
    p.drive();
    p.client.conn.write(&pattern(10_000)).unwrap();
    assert_eq!(p.client.conn.write_buffer_size(), 10_000);
    p.client.conn.abort();
    assert_eq!(p.client.conn.phase(), Phase::Lost);
    assert!(p.client.conn.is_closing());
    assert_eq!(p.client.conn.write_buffer_size(), 0);
    assert!(p.client.conn.lost_error().is_none());
    assert!(p.client.conn.recv_room().is_none());
    // The very next transmit closes the transport.
    let now = p.now();
    assert!(matches!(
        p.client.conn.poll_transmit(now),
        Transmit::Close { .. }
    ));
    p.drive();
    assert_eq!(p.client.conn.phase(), Phase::Closed);
    assert!(p.client.take_wakes().contains(Wake::CLOSED));
    // The peer gets none of the buffer: EOF only.
    assert_eq!(p.to_server.total, 0);
    assert_eq!(p.server.read_to_eof(), Some("".into()));
    // The aborting side's reader ends with EOF, no error.
    assert_eq!(p.client.read_to_eof(), Some("unread\n".into()));
}

#[test]
fn abort_over_tls_sends_nothing_more_and_the_peer_sees_a_bare_eof() {
    let mut p = Pair::tls(
        DEFAULT_LIMIT,
        crate::tls::client(None, None),
        crate::tls::server(None, None),
    );
    p.drive();
    let sent = p.to_server.total;
    p.client.conn.write(&pattern(10_000)).unwrap();
    p.client.conn.abort();
    p.drive();
    assert_eq!(p.client.conn.phase(), Phase::Closed);
    assert_eq!(p.to_server.total, sent, "no data, no close_notify");
    // EOF without close_notify: the TLS peer's reader gets EOF (no error)
    // and the connection ends (TLS has no half-close).
    assert!(p.server.at_eof());
    assert_eq!(p.server.conn.phase(), Phase::Closed);
    assert!(p.server.conn.lost_error().is_none());
}
