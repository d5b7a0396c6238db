//! What a connection costs while idle: the core is small, and a TLS
//! session is paid for only by connections that use one.

use std::mem::size_of;
use std::task::Poll;
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

/// Receives `data` into the connection's room.
fn receive_bytes(conn: &mut Connection, data: &[u8]) {
    let room = conn.recv_room().expect("receiving");
    room[..data.len()].copy_from_slice(data);
    conn.handle_received(data.len());
}

/// Everything the reader gets, up to the EOF that must follow.
fn read_all(
    conn: &mut Connection,
    reader: &mut reader_core::Reader<streams_common::StoredError>,
) -> Vec<u8> {
    conn.handle_eof();
    conn.sync_reader(reader);
    match reader.read_to_eof() {
        std::task::Poll::Ready(Ok(all)) => all.to_vec(),
        other => panic!("read_to_eof: {other:?}"),
    }
}

/// A small request, once the reader took it, leaves its room for the next
/// one: no allocation and no zeroing per request. The room a quiet
/// connection lets go of waits among the thread's spare rooms, and the
/// next receive on the thread takes it back as it is (its old bytes are
/// there: nobody zeroed it).
#[test]
fn a_quiet_request_reuses_the_room_it_came_in() {
    let mut conn = Connection::new(64 * 1024);
    let mut reader = conn.new_reader();
    let first = conn.recv_room().expect("receiving").as_ptr();
    receive_bytes(&mut conn, b"PING\r\n");
    conn.sync_reader(&mut reader);
    let Poll::Ready(Ok(line)) = reader.readline() else {
        panic!("a line")
    };
    assert_eq!(line, "PING\r\n");
    let room = conn.recv_room().expect("receiving");
    assert_eq!(room.as_ptr(), first);
    assert_eq!(&room[..6], b"PING\r\n", "the room was zeroed again");
}

/// Receives made before the reader looks reach it in order, whether they
/// stayed in the room or were split off it as chunks (a receive that
/// filled the room, and the small ones around it), and nothing else does.
#[test]
fn receives_reach_the_reader_in_order_across_rooms() {
    let mut conn = Connection::new(1 << 20);
    let mut reader = conn.new_reader();
    let mut sent = Vec::new();
    for (i, n) in [100, 5000, 16 * 1024, 7, 3000, 64 * 1024, 1]
        .into_iter()
        .enumerate()
    {
        let room = conn.recv_room().expect("receiving").len();
        let data: Vec<u8> = (0..n.min(room)).map(|k| (i * 31 + k) as u8).collect();
        receive_bytes(&mut conn, &data);
        sent.extend_from_slice(&data);
    }
    assert_eq!(read_all(&mut conn, &mut reader), sent);
}

/// A room that served another connection shows the next one only what it
/// received itself.
#[test]
fn a_reused_room_shows_nothing_of_its_last_connection() {
    let mut first = Connection::new(64 * 1024);
    let mut first_reader = first.new_reader();
    let room = first.recv_room().expect("receiving");
    let len = room.len();
    room.fill(b's');
    first.handle_received(len - 1); // a full room would grow: stay small
    first.sync_reader(&mut first_reader);
    drop(first); // its room goes to this thread's spare rooms

    let mut second = Connection::new(64 * 1024);
    let mut reader = second.new_reader();
    receive_bytes(&mut second, b"abc");
    assert_eq!(read_all(&mut second, &mut reader), b"abc");
}
