//! A quick, noise-resistant cross-check of the criterion bench: runs every
//! reader on every profile in turn, `ROUNDS` times, and keeps each one's
//! fastest pass (the least disturbed by other jobs on a shared machine).
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-bench cargo run --release -p benches --example minrun [-- FILTER]
//! ```
//!
//! `BENCH_MIB` (default 16) sets the size of each profile, `ROUNDS`
//! (default 15) the number of passes.

use std::hint::black_box;
use std::time::Instant;

use benches::{
    lines_codec, memchr_copied, memchr_scan, reader_core, tokio_read_until, BorrowedLine,
    BorrowedUntil, Input, OwnedLine, OwnedUntil, Tally, CHUNK, PROFILES,
};
use reader_core::{Bytes, Separators};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let filter = std::env::args().nth(1).unwrap_or_default();
    let mib = env("BENCH_MIB", 16);
    let rounds = env("ROUNDS", 15);
    let list: &[&[u8]] = &[b"\r\n", b"\n", b";"];
    let tuple = Separators::Any(list);
    for p in PROFILES {
        // One `Bytes` for every reader: `Input::Owned` slices it, the
        // others read it as a slice.
        let data = Bytes::from(p.data(mib << 20));
        let term = p.terminator();
        let last = *term.last().unwrap();
        let seps = Separators::One(term);
        type Run<'a> = Box<dyn Fn() -> Tally + 'a>;
        let d = &data;
        let mut runs: Vec<(&str, Run)> = vec![
            ("memchr", Box::new(move || memchr_scan(d, last))),
            (
                "memchr_copied",
                Box::new(move || memchr_copied(d, CHUNK, last)),
            ),
            (
                "tokio_read_until",
                Box::new(move || tokio_read_until(d, CHUNK, last)),
            ),
            (
                "lines_codec",
                Box::new(move || lines_codec(d, CHUNK, term.len())),
            ),
        ];
        for (input, owned, borrowed) in [
            (Input::Feed, "core_owned_feed", "core_borrowed_feed"),
            (Input::Spare, "core_owned_spare", "core_borrowed_spare"),
            (Input::Owned, "core_owned_bytes", "core_borrowed_bytes"),
        ] {
            if p.crlf {
                runs.push((
                    owned,
                    Box::new(move || reader_core(d, CHUNK, input, OwnedUntil(seps))),
                ));
                runs.push((
                    borrowed,
                    Box::new(move || reader_core(d, CHUNK, input, BorrowedUntil(seps))),
                ));
            } else {
                runs.push((
                    owned,
                    Box::new(move || reader_core(d, CHUNK, input, OwnedLine)),
                ));
                runs.push((
                    borrowed,
                    Box::new(move || reader_core(d, CHUNK, input, BorrowedLine)),
                ));
            }
        }
        if p.name == "80B" {
            runs.push((
                "tuple_owned_feed",
                Box::new(move || reader_core(d, CHUNK, Input::Feed, OwnedUntil(tuple))),
            ));
            runs.push((
                "tuple_borrowed_feed",
                Box::new(move || reader_core(d, CHUNK, Input::Feed, BorrowedUntil(tuple))),
            ));
            runs.push((
                "tuple_borrowed_bytes",
                Box::new(move || reader_core(d, CHUNK, Input::Owned, BorrowedUntil(tuple))),
            ));
        }
        runs.retain(|(name, _)| {
            *name == "memchr" || format!("{}/{name}", p.name).contains(&filter)
        });
        if runs.len() < 2 {
            continue;
        }
        let mut best = vec![f64::MAX; runs.len()];
        for _ in 0..rounds {
            for (i, (_, run)) in runs.iter().enumerate() {
                let start = Instant::now();
                black_box(run());
                best[i] = best[i].min(start.elapsed().as_secs_f64());
            }
        }
        for (i, (name, _)) in runs.iter().enumerate() {
            println!(
                "{:>8} {name:<22} {:>7.2} GB/s  {:.2}",
                p.name,
                data.len() as f64 / best[i] / 1e9,
                best[0] / best[i]
            );
        }
    }
}
