//! What a connection costs while idle: the core is small, and a TLS
//! session is paid for only by connections that use one.

use std::mem::size_of;
use streams_common::connection::Connection;

/// The core of a plain connection, inline (its buffers are on the heap
/// and empty until data arrives). A rustls session alone is over 1 KiB:
/// were it inline, every plain connection would carry it, twice (the
/// installed session and a pending `start_tls`).
#[test]
fn an_idle_plain_connection_core_stays_under_512_bytes() {
    assert!(
        size_of::<Connection>() <= 512,
        "Connection is {} bytes",
        size_of::<Connection>()
    );
}

/// Receives `n` bytes into the connection's room, which must
/// be at least that large.
fn receive(conn: &mut Connection, n: usize) {
    let room = conn.recv_room().expect("receiving");
    assert!(room.len() >= n, "room of {} for {n}", room.len());
    room[..n].fill(b'x');
    conn.handle_received(n);
}

/// A quiet exchange (a small request, after a batch that had grown the
/// room) lets the receive buffer go once the reader takes it: the next
/// receive is offered a small room again, so an idle connection does not
/// keep a grown buffer.
#[test]
fn a_quiet_connection_goes_back_to_small_rooms() {
    let mut conn = Connection::new(64 * 1024);
    let mut reader = conn.new_reader();
    let small = conn.recv_room().expect("receiving").len();
    receive(&mut conn, small);
    receive(&mut conn, 100);
    conn.sync_reader(&mut reader);
    assert!(conn.recv_room().expect("receiving").len() > small);
    receive(&mut conn, 100);
    conn.sync_reader(&mut reader);
    assert_eq!(conn.recv_room().expect("receiving").len(), small);
}

/// A pipelined batch that fills its room and ends with a small receive is
/// not a quiet peer: the grown room (and its buffer) is kept for the next
/// batch, instead of a fresh buffer being allocated and faulted in for
/// every batch.
#[test]
fn a_batch_ending_small_keeps_its_grown_room() {
    let mut conn = Connection::new(64 * 1024);
    let mut reader = conn.new_reader();
    let small = conn.recv_room().expect("receiving").len();
    receive(&mut conn, small); // filled: the room grows
    receive(&mut conn, 100); // the batch's small tail
    conn.sync_reader(&mut reader);
    let next = conn.recv_room().expect("receiving").len();
    assert!(next > small, "room {next} after a batch, {small} before");
}
