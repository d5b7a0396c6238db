//! A Redis-protocol (RESP2) server: `PING`, `ECHO`, `SET`, `GET`, `DEL`,
//! `INCR`, array and inline requests, a cap on bulk lengths. Written on
//! the streams API as an asyncio user writes it (`streams.rs`), and, as
//! baselines, by hand on plain Tokio (`hand_tokio.rs`), on Tokio with
//! tokio-util's codec (`hand_codec.rs`, arguments as `Bytes`) and on
//! plain smol (`hand_smol.rs`); the protocol itself is shared (`command.rs`), so the
//! servers differ only in their I/O.
//!
//! ```text
//! cargo run --release -p benches --example resp -- IMPL [--port N] [--threads N]
//! redis-cli -p 6379 set greeting hello
//! ```
//!
//! `IMPL` is one of `tokio-hand`, `tokio-hand-mt`, `tokio-codec`, `smol-hand`,
//! `streams-tokio`, `streams-tokio-into`, `streams-tokio-mt`,
//! `streams-tokio-mt-into`, `streams-smol`, `streams-smol-into` (`-mt`: a
//! multi-thread Tokio runtime with `--threads` workers, default 2;
//! `-into`: the streams server reading into reused buffers with
//! `readuntil_into` / `readexactly_into`). The server listens on
//! 127.0.0.1 (`--port`, default 6379; 0 picks one), prints
//! `listening on ADDR` once it does, and serves until killed.
//!
//! `benches/resp_bench.py` drives these with `redis-benchmark`;
//! `benches/tests/resp.rs` checks each answers a scripted session.

mod command;
mod hand_codec;
mod hand_smol;
mod hand_tokio;
mod run;
mod streams;

use std::io::Write;

use run::{Impl, Res};

fn usage() -> String {
    let names: Vec<&str> = Impl::ALL.iter().map(|i| i.name()).collect();
    format!(
        "usage: resp IMPL [--port N] [--threads N]; IMPL: {}",
        names.join(", ")
    )
}

fn main() -> Res<()> {
    let mut args = std::env::args().skip(1);
    let mut imp = None;
    let (mut port, mut threads) = (6379u16, 2usize);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => port = args.next().ok_or_else(usage)?.parse()?,
            "--threads" => threads = args.next().ok_or_else(usage)?.parse()?,
            name => imp = Some(Impl::from_name(name).ok_or_else(usage)?),
        }
    }
    let imp = imp.ok_or_else(usage)?;
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    println!("listening on {}", listener.local_addr()?);
    std::io::stdout().flush()?;
    run::run(imp, listener, threads, std::future::pending())
}
