//! Read-side flow control: the driver stops receiving once the reader
//! holds more than `2 * limit`, and resumes once the reader is down to
//! `limit` (or waits for more: asyncio resumes before a read waits).

use crate::pair::{pattern, Pair};
use crate::tls;
use std::task::Poll;
use streams_common::connection::Wake;
use streams_common::reader_core::ReadError;

const L: usize = 1000;
/// The most one receive is offered.
const READ_CHUNK: usize = 64 * 1024;

/// A client that has sent 20 000 bytes to a server with limit `L` whose
/// socket buffer holds 500 bytes, after the server paused.
fn paused_server() -> Pair {
    let mut p = Pair::plain(L);
    p.to_server.capacity = Some(500);
    p.client.conn.write(&pattern(20_000)).unwrap();
    p.drive();
    p
}

#[test]
fn reading_pauses_above_twice_the_limit() {
    let mut p = paused_server();
    // 4 × 500 = 2000 is not above 2L; the fifth receive crosses it, and
    // then none is made (asyncio: pause_reading() after data_received).
    assert_eq!(p.server.reader.len(), 2 * L + 500);
    assert!(p.server.conn.is_reading_paused());
    assert!(p.server.reader.reading_paused());
    assert!(p.server.conn.recv_room().is_none());
    assert!(!p.server.conn.wants_recv());
    // The rest waits in the socket buffer and in the sender's buffer.
    assert_eq!(p.to_server.len(), 500);
    assert_eq!(
        p.client.conn.write_buffer_size(),
        20_000 - (2 * L + 500) - 500
    );
    // Nothing moves while the reader does not read.
    p.drive();
    assert_eq!(p.server.reader.len(), 2 * L + 500);
}

#[test]
fn reading_resumes_once_the_reader_is_down_to_the_limit() {
    let mut p = paused_server();
    let _ = p.server.take_wakes();
    // Down to L + 500: still paused (the band between L and 2L keeps it).
    let Poll::Ready(Ok(b)) = p.server.reader.read(L) else {
        panic!()
    };
    assert_eq!(&b[..], &pattern(L)[..]);
    p.server.report_reader();
    assert!(p.server.conn.is_reading_paused());
    assert!(!p.server.take_wakes().contains(Wake::DRIVER));
    p.drive();
    assert_eq!(p.server.reader.len(), L + 500);

    // 500 more: at L the driver is told to receive again.
    let Poll::Ready(Ok(_)) = p.server.reader.read(500) else {
        panic!()
    };
    p.server.report_reader();
    assert!(!p.server.conn.is_reading_paused());
    assert!(p.server.take_wakes().contains(Wake::DRIVER));
    assert!(p.server.conn.recv_room().is_some());

    // Receiving continues until the reader is above 2L again.
    p.drive();
    assert_eq!(p.server.reader.len(), 2 * L + 500);
    assert!(p.server.conn.is_reading_paused());

    // And everything arrives, in order, then the EOF behind it, as the
    // reader keeps reading.
    p.client.conn.write_eof().unwrap();
    let mut got = pattern(L + 500).to_vec();
    for _ in 0..1000 {
        got.extend(p.server.read_available());
        p.drive();
        if p.server.at_eof() {
            break;
        }
    }
    assert!(got == pattern(20_000), "got {} bytes", got.len());
    assert!(p.server.at_eof());
}

#[test]
fn a_readexactly_bigger_than_twice_the_limit_does_not_deadlock() {
    let mut p = paused_server();
    let n = 4 * L;
    let mut rounds = 0;
    let got = loop {
        p.server.sync();
        match p.server.reader.readexactly(n) {
            Poll::Ready(r) => break r.unwrap(),
            Poll::Pending => {
                // The stream reader reports before it waits.
                p.server.report_reader();
                p.drive();
            }
        }
        rounds += 1;
        assert!(rounds < 100, "readexactly({n}) never completes: {p:#?}");
    };
    assert_eq!(&got[..], &pattern(n)[..]);
}

#[test]
fn over_tls_reading_pauses_resumes_and_loses_nothing() {
    let limit = 16 * 1024;
    let mut p = Pair::tls(limit, tls::client(None, None), tls::server(None, None));
    p.drive();
    let n = 1024 * 1024;
    p.client.conn.write(&pattern(n)).unwrap();
    p.drive();
    assert!(p.server.conn.is_reading_paused());
    assert!(p.server.conn.recv_room().is_none());
    let held = p.server.reader.len();
    assert!(held > 2 * limit, "{held}");
    // The reader must stay bounded: no more than a TLS record of plaintext
    // and a receive's worth beyond the pause point.
    assert!(held <= 2 * limit + 64 * 1024, "{held}");

    let mut got = Vec::new();
    for _ in 0..10_000 {
        got.extend(p.server.read_available());
        p.drive();
        assert!(p.server.reader.len() <= 2 * limit + 64 * 1024);
        if got.len() >= n {
            break;
        }
    }
    assert!(got == pattern(n), "got {} bytes", got.len());
}

/// An endless line, received in every size of piece, into a reader that
/// reads on after each `LineTooLong`: what the reader and the connection
/// hold together never exceeds `2 * limit` and one read chunk (asyncio's
/// bound: a receive is at most one chunk, and none is made once more than
/// `2 * limit` is held), whatever the sizes of the pieces.
#[test]
fn an_endless_line_never_makes_the_connection_hold_more_than_twice_the_limit() {
    for capacity in [1, 7, 500, 4096, 70_000] {
        let mut p = Pair::plain(L);
        p.to_server.capacity = Some(capacity);
        p.client.conn.write(&vec![b'x'; 8 * L]).unwrap();
        let mut overruns = 0;
        for _ in 0..100_000 {
            if !p.step() && p.client.conn.write_buffer_size() == 0 && p.to_server.len() == 0 {
                break;
            }
            let held = p.server.conn.received_len() + p.server.reader.len();
            assert!(
                held <= 2 * L + READ_CHUNK,
                "pieces of {capacity}: {held} bytes held"
            );
            p.server.sync();
            while let Poll::Ready(Err(_)) = p.server.reader.readline() {
                overruns += 1;
            }
            p.server.report_reader();
        }
        assert!(
            overruns > 0,
            "pieces of {capacity}: the line was never too long"
        );
        assert_eq!(p.client.conn.write_buffer_size(), 0, "pieces of {capacity}");
    }
}

/// A line over the limit that arrived in one piece is dropped whole, as
/// asyncio drops it: the receive takes the whole piece, so `readline` finds
/// its newline beyond the limit, and the next line is the next line (not
/// the over-long line's tail).
#[test]
fn an_over_long_line_that_arrived_whole_is_dropped_whole() {
    let mut p = Pair::plain(8);
    p.client
        .conn
        .write(b"longer than eight bytes\nshort\n")
        .unwrap();
    p.drive();
    p.server.sync();
    match p.server.reader.readline() {
        Poll::Ready(Err(ReadError::LineTooLong {
            discarded,
            separator_found,
        })) => assert_eq!((discarded, separator_found), (24, true)),
        other => panic!("{other:?}"),
    }
    match p.server.reader.readline() {
        Poll::Ready(Ok(line)) => assert_eq!(line, "short\n"),
        other => panic!("{other:?}"),
    }
}
