//! The heap one connection core and its reader hold under an endless line
//! (a peer that never sends a newline, read by a handler that reads on
//! after every `LineTooLong`), counted by the allocator, on every schedule
//! a runtime may produce: one to eight receives per reader turn, each of
//! 100 bytes to a whole read chunk. Deterministic: no sockets, no threads.
//!
//! The bound is `2 * limit` (the data: asyncio pauses above it) plus
//! [`READ_CHUNK`] (the receive buffer the driver writes into) plus
//! [`OVERHEAD`]: the reader keeps received chunks without a copy, so the
//! oldest chunk it holds can keep the rest of the receive buffer it was cut
//! from (at most one more read chunk), and the chunk queue's bookkeeping.
//! Chunks under 4 KiB are copied (else a peer dripping a few hundred bytes
//! at a time would make each pin a 4 KiB buffer: measured 2L + 548 KB at a
//! 64 KiB limit before), several receives before the reader looks are
//! several chunks, not one buffer grown and copied (2L + 213 KB), and a
//! line with no separator is judged by its length without gathering its
//! chunks into one copy (2L + 217 KB).

use streams_common::connection::Connection;
use streams_common::reader_core::ReadError;
use streams_suite::memory_bound::{
    peak as peak_now, start_measuring, Counting, OVERHEAD, READ_CHUNK,
};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Peak heap growth while `total` bytes of an endless line arrive: the
/// driver makes `burst` receives (each at most `piece` bytes) per reader
/// turn; the reader reads lines until it must wait.
fn peak(limit: usize, burst: usize, piece: usize, total: usize) -> usize {
    let mut conn = Connection::new(limit);
    let mut reader = conn.new_reader();
    let base = start_measuring();
    let mut sent = 0;
    while sent < total {
        for _ in 0..burst {
            let Some(room) = conn.recv_room() else { break };
            let n = room.len().min(piece);
            room[..n].fill(b'x');
            conn.handle_received(n);
            sent += n;
        }
        conn.sync_reader(&mut reader);
        loop {
            match reader.readline() {
                std::task::Poll::Ready(Ok(_)) => {}
                std::task::Poll::Ready(Err(ReadError::LineTooLong { .. })) => {}
                std::task::Poll::Ready(Err(e)) => panic!("{e:?}"),
                std::task::Poll::Pending => break,
            }
        }
        conn.reader_len(reader.len(), reader.reading_paused());
    }
    peak_now() - base
}

#[test]
fn an_endless_line_holds_at_most_twice_the_limit_and_two_read_chunks() {
    let mut worst = 0isize;
    let mut over = Vec::new();
    for limit in [16 * 1024, 64 * 1024] {
        let bound = 2 * limit + READ_CHUNK + OVERHEAD;
        for burst in [1, 2, 3, 5, 8] {
            for piece in [100, 1000, 4096, 16 * 1024, 40_000, 64 * 1024] {
                let p = peak(limit, burst, piece, 4 << 20);
                worst = worst.max(p as isize - 2 * limit as isize);
                if p > bound {
                    over.push(format!(
                        "limit {limit}, {burst} receives of up to {piece} bytes per reader \
                         turn: {p} B = 2 * limit + {} B",
                        p - 2 * limit
                    ));
                }
            }
        }
    }
    assert!(
        over.is_empty(),
        "over 2 * limit + {READ_CHUNK} + {OVERHEAD}:\n{}",
        over.join("\n")
    );
    // Measured: 2 * limit + 70 KB at worst.
    println!("worst: 2 * limit + {worst} B");
}
