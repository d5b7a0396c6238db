//! Line-splitting throughput: reader-core against tokio, tokio-util and a
//! plain `memchr` scan, on 64 MiB of lines fed in 64 KiB chunks.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-bench cargo bench -p benches --bench reader -- \
//!     --warm-up-time 1 --measurement-time 3
//! python3 benches/ratios.py /work/target-bench/criterion
//! ```
//!
//! Groups (criterion ids `<group>/<reader>`):
//!
//! * `lines_16B`, `lines_80B`, `lines_1KiB`, `lines_80B_CRLF`: every reader
//!   on one profile, `memchr` being the upper bound the ratios refer to;
//!   reader-core's input is `feed` (a copy per chunk), `spare` (a read into
//!   its spare room) or `bytes` (`feed_bytes` of shared slices of one
//!   `Bytes`: no copy);
//! * `tuple_80B`: `readuntil([b"\r\n", b"\n", b";"])` on the 80-byte profile;
//! * `byte_at_a_time`: one line at the limit fed one byte at a time, at two
//!   sizes (equal throughput at both means O(n)).
//!
//! `BENCH_MIB` overrides the 64 MiB per profile for a quick run.

use std::hint::black_box;
use std::time::Duration;

use benches::{
    lines_codec, long_line, memchr_copied, memchr_scan, one_byte_at_a_time, reader_core,
    tokio_read_until, BorrowedLine, BorrowedUntil, Input, OwnedLine, OwnedUntil, CHUNK, PROFILES,
    TOTAL,
};
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use reader_core::{Bytes, Separators};

fn total() -> usize {
    std::env::var("BENCH_MIB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .map_or(TOTAL, |mib| mib << 20)
}

fn configure(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, bytes: usize) {
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Bytes(bytes as u64));
}

fn profiles(c: &mut Criterion) {
    for p in PROFILES {
        // Built once: `Input::Owned` feeds slices of it, the others read it.
        let data = Bytes::from(p.data(total()));
        let term = p.terminator();
        let last = *term.last().unwrap();
        let seps = Separators::One(term);
        let mut g = c.benchmark_group(format!("lines_{}", p.name));
        configure(&mut g, data.len());
        g.bench_function("memchr", |b| b.iter(|| memchr_scan(black_box(&data), last)));
        g.bench_function("memchr_copied", |b| {
            b.iter(|| memchr_copied(black_box(&data), CHUNK, last))
        });
        g.bench_function("tokio_read_until", |b| {
            b.iter(|| tokio_read_until(black_box(&data), CHUNK, last))
        });
        g.bench_function("lines_codec", |b| {
            b.iter(|| lines_codec(black_box(&data), CHUNK, term.len()))
        });
        for (input, name) in [
            (Input::Feed, "feed"),
            (Input::Spare, "spare"),
            (Input::Owned, "bytes"),
        ] {
            // `readline` on `\n` profiles, `readuntil(b"\r\n")` on CRLF.
            g.bench_function(format!("core_owned_{name}"), |b| {
                b.iter(|| {
                    if p.crlf {
                        reader_core(black_box(&data), CHUNK, input, OwnedUntil(seps))
                    } else {
                        reader_core(black_box(&data), CHUNK, input, OwnedLine)
                    }
                })
            });
            g.bench_function(format!("core_borrowed_{name}"), |b| {
                b.iter(|| {
                    if p.crlf {
                        reader_core(black_box(&data), CHUNK, input, BorrowedUntil(seps))
                    } else {
                        reader_core(black_box(&data), CHUNK, input, BorrowedLine)
                    }
                })
            });
        }
        g.finish();
    }
}

fn tuple_of_separators(c: &mut Criterion) {
    let data = Bytes::from(PROFILES[1].data(total()));
    let list: &[&[u8]] = &[b"\r\n", b"\n", b";"];
    let seps = Separators::Any(list);
    let mut g = c.benchmark_group("tuple_80B");
    configure(&mut g, data.len());
    g.bench_function("memchr", |b| {
        b.iter(|| memchr_scan(black_box(&data), b'\n'))
    });
    g.bench_function("core_owned_feed", |b| {
        b.iter(|| reader_core(black_box(&data), CHUNK, Input::Feed, OwnedUntil(seps)))
    });
    g.bench_function("core_borrowed_feed", |b| {
        b.iter(|| reader_core(black_box(&data), CHUNK, Input::Feed, BorrowedUntil(seps)))
    });
    g.bench_function("core_borrowed_bytes", |b| {
        b.iter(|| reader_core(black_box(&data), CHUNK, Input::Owned, BorrowedUntil(seps)))
    });
    g.finish();
}

fn byte_at_a_time(c: &mut Criterion) {
    let mut g = c.benchmark_group("byte_at_a_time");
    configure(&mut g, 0);
    let crlf = Separators::One(b"\r\n");
    for (size, name) in [(256 << 10, "256KiB"), (1 << 20, "1MiB")] {
        // The longest line the limit allows: `size` bytes before the
        // terminator.
        let line = long_line(size + 1, b"\n");
        g.throughput(Throughput::Bytes(line.len() as u64));
        g.bench_function(format!("readline_{name}"), |b| {
            b.iter(|| one_byte_at_a_time(black_box(&line), size, OwnedLine))
        });
        g.bench_function(format!("readline_borrowed_{name}"), |b| {
            b.iter(|| one_byte_at_a_time(black_box(&line), size, BorrowedLine))
        });
        let line = long_line(size + 2, b"\r\n");
        g.throughput(Throughput::Bytes(line.len() as u64));
        g.bench_function(format!("readuntil_crlf_{name}"), |b| {
            b.iter(|| one_byte_at_a_time(black_box(&line), size, OwnedUntil(crlf)))
        });
    }
    g.finish();
}

criterion_group!(benches, profiles, tuple_of_separators, byte_at_a_time);
criterion_main!(benches);
