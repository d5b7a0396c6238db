//! Write-side flow control: drains wait above the high-water mark until
//! the buffer is down to the low-water mark; asyncio's defaulting of the
//! marks.

use crate::pair::{pattern, Pair};
use crate::tls;
use streams_common::connection::Wake;
use streams_common::write_state::DrainStart;
use streams_common::{LimitsError, DEFAULT_LIMIT};

#[test]
fn a_drain_above_high_waits_until_the_peer_reads_down_to_low() {
    let mut p = Pair::plain(DEFAULT_LIMIT);
    p.client
        .conn
        .set_write_buffer_limits(Some(1000), Some(250))
        .unwrap();
    // A socket buffer of 500 bytes; the peer does not read.
    p.to_server.capacity = Some(500);
    p.server.recv_budget = Some(0);

    // Exactly the high mark is not above it.
    p.client.conn.write(&pattern(1000)).unwrap();
    assert_eq!(p.client.drain_start(), Ok(DrainStart::Ready));
    p.client.conn.write(b"!").unwrap();
    let Ok(DrainStart::Wait(ticket)) = p.client.conn.drain_start() else {
        panic!("{:?}", p.client.conn.drain_start())
    };
    assert!(!p.client.conn.drain_ready());

    p.drive();
    assert_eq!(p.to_server.len(), 500);
    assert_eq!(p.client.conn.write_buffer_size(), 501);
    assert_eq!(p.client.drain_poll(ticket), None);
    let _ = p.client.take_wakes();

    // The peer reads 250: the buffer is 251, still above low.
    p.server.recv_budget = Some(250);
    p.drive();
    assert_eq!(p.client.conn.write_buffer_size(), 251);
    assert_eq!(p.client.drain_poll(ticket), None);
    assert!(!p.client.take_wakes().contains(Wake::DRAIN));

    // One more byte read: 250, at low: writing resumes.
    p.server.recv_budget = Some(1);
    p.drive();
    assert_eq!(p.client.conn.write_buffer_size(), 250);
    assert_eq!(p.client.drain_poll(ticket), Some(Ok(())));
    assert!(p.client.take_wakes().contains(Wake::DRAIN));
    assert_eq!(p.client.drain_start(), Ok(DrainStart::Ready));

    // Everything arrives once the peer reads again.
    p.server.recv_budget = None;
    p.drive();
    let mut got = p.server.read_available();
    got.truncate(1000);
    assert_eq!(got, pattern(1000));
}

#[test]
fn over_tls_a_drain_waits_above_512_kib_until_the_peer_reads() {
    let mut p = Pair::tls(
        DEFAULT_LIMIT,
        tls::client(None, None),
        tls::server(None, None),
    );
    p.drive();
    let (low, high) = p.client.conn.write_buffer_limits();
    assert_eq!((low, high), (128 * 1024, 512 * 1024));
    p.to_server.capacity = Some(64 * 1024);
    p.server.recv_budget = Some(0);
    let n = high + 1;
    p.client.conn.write(&pattern(n)).unwrap();
    let Ok(DrainStart::Wait(ticket)) = p.client.conn.drain_start() else {
        panic!("{:?}", p.client.conn.drain_start())
    };
    p.drive();
    // The plaintext not yet handed to rustls is what counts: at most one
    // chunk went into the full wire.
    assert!(p.client.conn.write_buffer_size() > low);
    assert_eq!(p.client.drain_poll(ticket), None);
    let _ = p.client.take_wakes();

    p.server.recv_budget = None;
    let mut got = Vec::new();
    for _ in 0..1000 {
        p.drive();
        got.extend(p.server.read_available());
        if got.len() >= n {
            break;
        }
    }
    assert!(got == pattern(n), "got {} bytes", got.len());
    assert_eq!(p.client.drain_poll(ticket), Some(Ok(())));
    assert!(p.client.take_wakes().contains(Wake::DRAIN));
}

#[test]
fn water_marks_default_as_asyncio_plain() {
    let mut p = Pair::plain(DEFAULT_LIMIT);
    let c = &mut p.client.conn;
    assert_eq!(c.write_buffer_limits(), (16 * 1024, 64 * 1024));
    c.set_write_buffer_limits(None, Some(100)).unwrap();
    assert_eq!(c.write_buffer_limits(), (100, 400));
    c.set_write_buffer_limits(Some(100), None).unwrap();
    assert_eq!(c.write_buffer_limits(), (25, 100));
    c.set_write_buffer_limits(None, None).unwrap();
    assert_eq!(c.write_buffer_limits(), (16 * 1024, 64 * 1024));
    assert_eq!(
        c.set_write_buffer_limits(Some(1), Some(2)),
        Err(LimitsError { high: 1, low: 2 })
    );
    assert_eq!(c.write_buffer_limits(), (16 * 1024, 64 * 1024));
}

#[test]
fn water_marks_default_to_512_kib_over_tls() {
    let mut p = Pair::tls(
        DEFAULT_LIMIT,
        tls::client(None, None),
        tls::server(None, None),
    );
    let c = &mut p.client.conn;
    // From the start, not only after the handshake.
    assert_eq!(c.write_buffer_limits(), (128 * 1024, 512 * 1024));
    c.set_write_buffer_limits(Some(1000), None).unwrap();
    assert_eq!(c.write_buffer_limits(), (250, 1000));
    c.set_write_buffer_limits(None, None).unwrap();
    assert_eq!(c.write_buffer_limits(), (128 * 1024, 512 * 1024));
    c.set_write_buffer_limits(None, Some(1024)).unwrap();
    assert_eq!(c.write_buffer_limits(), (1024, 4096));
    p.drive();
    p.client.conn.set_write_buffer_limits(None, None).unwrap();
    assert_eq!(
        p.client.conn.write_buffer_limits(),
        (128 * 1024, 512 * 1024)
    );
}

#[test]
fn water_marks_default_to_tls_once_start_tls_is_called() {
    let mut p = Pair::plain(DEFAULT_LIMIT);
    // The plaintext before start_tls cannot go out yet.
    p.to_server.capacity = Some(0);
    p.client.conn.write(b"STARTTLS\n").unwrap();
    let now = p.now();
    p.client
        .conn
        .start_tls(tls::client(None, None), &mut p.client.reader, now)
        .unwrap();
    assert!(p.client.conn.is_tls());
    p.client.conn.set_write_buffer_limits(None, None).unwrap();
    assert_eq!(
        p.client.conn.write_buffer_limits(),
        (128 * 1024, 512 * 1024)
    );
}
