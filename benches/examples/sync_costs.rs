//! What the synchronisation that the request/response profile points at
//! costs on this machine, alone: an uncontended `Mutex` lock + unlock
//! (what every `StreamWriter::write` takes) and a shared `Bytes` clone +
//! drop (the two atomic reference-count updates of each owned read
//! result), beside a plain add. Single-threaded, so nothing is contended:
//! the price of the atomic read-modify-write instructions themselves.
//!
//! ```text
//! cargo run --release -p benches --example sync_costs
//! ```
//!
//! Prints the fastest of `ROUNDS` (default 5) passes of 50 million
//! operations each, in nanoseconds per operation.

use std::hint::black_box;
use std::sync::Mutex;
use std::time::Instant;

use bytes::Bytes;

const N: u32 = 50_000_000;

/// The fastest of `rounds` timings of `f` run `N` times, in ns per run.
fn fastest(rounds: usize, mut f: impl FnMut(u32)) -> f64 {
    (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for i in 0..N {
                f(i);
            }
            t.elapsed().as_nanos() as f64 / f64::from(N)
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let rounds = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let lock = Mutex::new(0u64);
    let mutex = fastest(rounds, |i| {
        *black_box(&lock).lock().unwrap_or_else(|p| p.into_inner()) += u64::from(i);
    });
    // A slice of a `Vec`-backed `Bytes` is shared: its clones count
    // references atomically, as the reader's owned results do.
    let shared = Bytes::from(vec![1u8; 4096]).slice(1..);
    let bytes = fastest(rounds, |_| drop(black_box(black_box(&shared).clone())));
    let mut sum = 0u64;
    let add = fastest(rounds, |i| *black_box(&mut sum) += u64::from(i));
    println!("uncontended Mutex lock + unlock: {mutex:.1} ns");
    println!("shared Bytes clone + drop:       {bytes:.1} ns");
    println!("plain add (loop overhead):       {add:.1} ns");
}
