//! Memory per connection, in three cases, for a hand-written Tokio server
//! (`TcpStream` + `BufReader` per connection) and this library on Tokio,
//! smol and async-std; one server process holds `IDLE_CONNS` (default
//! 5,000) connections:
//!
//! - `idle`: each connection is opened and both sides wait in a read;
//! - `exchanged`: each client connection sends 5 lines of 80 bytes, the
//!   server's handler echoes each, the client reads the answers, then both
//!   sides wait in a read (measured once every connection on each side has
//!   counted its exchange done);
//! - `tls`: the server serves TLS (a self-signed certificate made with
//!   rcgen; the library's handshake timeout 120 s, longer than the
//!   measurement) and each client opens plain TCP and sends nothing, so
//!   every server connection is a pending handshake; only the server is
//!   measured. The hand-written row holds a `tokio_rustls` `accept` future
//!   per connection.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-h cargo run --release -p benches --example idle [-- CASE...]
//! ```
//!
//! With no case named (as arguments, or comma-separated in `IDLE_CASE`) all
//! three run, one table each.
//!
//! Each implementation runs as two child processes of this one, so each
//! side is measured alone: a server process (reports its resident memory,
//! `VmRSS` from `/proc/self/status`, once listening and again once every
//! connection is where the case wants it, and its peak `VmHWM`), and a
//! client process of the same implementation (reports its own `VmRSS`
//! before and after opening the connections; each client connection also
//! waits in a read). The figures are the growth divided by the number of
//! connections. Both children raise their `RLIMIT_NOFILE` soft limit to
//! the hard limit. Every wait is bounded (60 s); everything is on
//! loopback, single-threaded (Tokio `current_thread`, smol's executor on
//! the main thread, async-std with `ASYNC_STD_THREAD_COUNT=1`).

mod common;
mod hand;
mod streams;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use common::{raise_nofile, Case, Res};

const IMPLS: [&str; 4] = [
    "tokio-hand-written",
    "streams-tokio",
    "streams-smol",
    "streams-async-std",
];

fn tokio_rt() -> Res<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// A child: `serve CASE IMPL N` or `connect CASE IMPL PORT N`.
fn child(args: &[String]) -> Res<()> {
    raise_nofile();
    let usage = "usage: idle [serve CASE IMPL N | connect CASE IMPL PORT N | CASE...]";
    let arg = |i: usize| args.get(i).map(String::as_str).ok_or(usage);
    let case = Case::parse(arg(1)?)?;
    let imp = arg(2)?;
    match arg(0)? {
        "serve" => {
            let n: usize = arg(3)?.parse()?;
            match imp {
                "tokio-hand-written" => tokio_rt()?.block_on(hand::serve(case, n)),
                "streams-tokio" => {
                    tokio_rt()?.block_on(streams::serve(Arc::new(streams_tokio::Tokio), case, n))
                }
                "streams-smol" => {
                    let ex = Arc::new(smol::Executor::new());
                    let rt = Arc::new(streams_smol::Smol::with_executor(ex.clone()));
                    smol::block_on(ex.run(streams::serve(rt, case, n)))
                }
                "streams-async-std" => async_std::task::block_on(async_std::task::spawn(
                    streams::serve(Arc::new(streams_async_std::AsyncStd::default()), case, n),
                )),
                _ => Err(format!("unknown implementation {imp}").into()),
            }
        }
        "connect" => {
            let port: u16 = arg(3)?.parse()?;
            let n: usize = arg(4)?.parse()?;
            match imp {
                // The same plain, silent client for every TLS server.
                _ if case == Case::PendingTls => common::plain_connect(port, n),
                "tokio-hand-written" => tokio_rt()?.block_on(hand::connect(case, port, n)),
                "streams-tokio" => tokio_rt()?.block_on(streams::connect(
                    Arc::new(streams_tokio::Tokio),
                    case,
                    port,
                    n,
                )),
                "streams-smol" => {
                    let ex = Arc::new(smol::Executor::new());
                    let rt = Arc::new(streams_smol::Smol::with_executor(ex.clone()));
                    smol::block_on(ex.run(streams::connect(rt, case, port, n)))
                }
                "streams-async-std" => {
                    async_std::task::block_on(async_std::task::spawn(streams::connect(
                        Arc::new(streams_async_std::AsyncStd::default()),
                        case,
                        port,
                        n,
                    )))
                }
                _ => Err(format!("unknown implementation {imp}").into()),
            }
        }
        _ => Err(usage.into()),
    }
}

/// Reads lines from a child until one starts with `tag`; its fields.
fn expect(out: &mut impl BufRead, tag: &str) -> Res<Vec<u64>> {
    let mut line = String::new();
    for _ in 0..100 {
        line.clear();
        if out.read_line(&mut line)? == 0 {
            return Err(format!("child ended before {tag:?}").into());
        }
        if let Some(rest) = line.strip_prefix(tag) {
            return Ok(rest
                .split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect());
        }
    }
    Err(format!("no {tag:?} line").into())
}

fn spawn_self(args: &[String]) -> Res<Child> {
    Ok(Command::new(std::env::current_exe()?)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?)
}

struct Row {
    server: f64,
    server_hwm: f64,
    client: f64,
}

fn measure(case: Case, imp: &str, n: usize) -> Res<Row> {
    let name = case.name().to_string();
    let mut server = spawn_self(&["serve".into(), name.clone(), imp.into(), n.to_string()])?;
    let mut sout = BufReader::new(server.stdout.take().ok_or("no stdout")?);
    let l = expect(&mut sout, "listening")?;
    let (port, base) = (l[0], l[1]);
    let mut client = spawn_self(&[
        "connect".into(),
        name,
        imp.into(),
        port.to_string(),
        n.to_string(),
    ])?;
    let mut cout = BufReader::new(client.stdout.take().ok_or("no stdout")?);
    let c = expect(&mut cout, "client");
    let s = expect(&mut sout, "server");
    // Closing their stdin ends both children.
    drop(client.stdin.take());
    drop(server.stdin.take());
    client.wait()?;
    server.wait()?;
    let (c, s) = (c?, s?);
    if s[2] as usize != n {
        return Err(format!("the server counted {} of {n}", s[2]).into());
    }
    if c[3] as usize != n {
        return Err(format!("the client counted {} of {n}", c[3]).into());
    }
    let per = |after: u64, before: u64| after.saturating_sub(before) as f64 / n as f64;
    Ok(Row {
        server: per(s[0], base),
        server_hwm: per(s[1], base),
        client: per(c[1], c[0]),
    })
}

fn table(case: Case, n: usize) {
    match case {
        Case::Idle => println!("## idle: {n} connections opened, both sides waiting in a read"),
        Case::Exchanged => println!(
            "## exchanged: {n} connections, each {} lines of {} bytes echoed, then both sides \
             waiting in a read",
            common::LINES,
            common::LINE.len()
        ),
        Case::PendingTls => println!(
            "## tls: {n} pending TLS handshakes (the client opens plain TCP and sends nothing; \
             the library's handshake timeout {} s); the server only",
            common::HANDSHAKE_TIMEOUT.as_secs()
        ),
    }
    println!();
    if case == Case::PendingTls {
        println!("| implementation | server RSS / conn | server peak (VmHWM) / conn |");
        println!("|---|---:|---:|");
    } else {
        println!(
            "| implementation | server RSS / conn | server peak (VmHWM) / conn | client RSS / conn |"
        );
        println!("|---|---:|---:|---:|");
    }
    for imp in IMPLS {
        let label = match (case, imp) {
            (Case::PendingTls, "tokio-hand-written") => "tokio-hand-written (tokio-rustls)",
            _ => imp,
        };
        match measure(case, imp, n) {
            Ok(r) if case == Case::PendingTls => {
                println!("| {label} | {:.0} B | {:.0} B |", r.server, r.server_hwm)
            }
            Ok(r) => println!(
                "| {label} | {:.0} B | {:.0} B | {:.0} B |",
                r.server, r.server_hwm, r.client
            ),
            Err(e) => println!("| {label} | failed: {e} | | |"),
        }
    }
    println!();
}

fn main() -> Res<()> {
    if std::env::var_os("ASYNC_STD_THREAD_COUNT").is_none() {
        std::env::set_var("ASYNC_STD_THREAD_COUNT", "1");
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if matches!(args.first().map(String::as_str), Some("serve" | "connect")) {
        return child(&args);
    }
    let mut named: Vec<String> = args.into_iter().filter(|a| a != "--").collect();
    if named.is_empty() {
        if let Ok(v) = std::env::var("IDLE_CASE") {
            named = v.split(',').map(|c| c.trim().to_string()).collect();
            named.retain(|c| !c.is_empty());
        }
    }
    let cases = if named.is_empty() {
        Case::ALL.to_vec()
    } else {
        named
            .iter()
            .map(|c| Case::parse(c))
            .collect::<Res<Vec<_>>>()?
    };
    let n: usize = std::env::var("IDLE_CONNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    println!("{n} connections, one server process and one client process each");
    println!();
    for case in cases {
        table(case, n);
    }
    Ok(())
}
