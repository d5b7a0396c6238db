//! Memory per idle connection: one server holds `IDLE_CONNS` (default
//! 5,000) idle connections, each handler waiting in a read, for a
//! hand-written Tokio server (`TcpStream` + `BufReader` per connection) and
//! this library on Tokio, smol and async-std.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-h cargo run --release -p benches --example idle
//! ```
//!
//! Each implementation runs as two child processes of this one, so each
//! side is measured alone: a server process (reports its resident memory,
//! `VmRSS` from `/proc/self/status`, once listening and again once every
//! handler is waiting, and its peak `VmHWM`), and a client process of the
//! same implementation (reports its own `VmRSS` before and after opening
//! the connections; each client connection also waits in a read). The
//! figures are the growth divided by the number of connections. Both
//! children raise their `RLIMIT_NOFILE` soft limit to the hard limit. Every
//! wait is bounded (60 s); everything is on loopback, single-threaded
//! (Tokio `current_thread`, smol's executor on the main thread, async-std
//! with `ASYNC_STD_THREAD_COUNT=1`).

use std::error::Error;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use streams_common::runtime::RuntimeRef;
use streams_common::{Hosts, OpenOptions, ServerOptions, StreamReader, StreamWriter};

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

const IMPLS: [&str; 4] = [
    "tokio-hand-written",
    "streams-tokio",
    "streams-smol",
    "streams-async-std",
];
const DEADLINE: Duration = Duration::from_secs(60);
/// Time for the last handlers to reach their read after the count is met.
const SETTLE: Duration = Duration::from_millis(300);

/// `(VmRSS, VmHWM)` in bytes.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn raise_nofile() {
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// Blocks until the parent closes our stdin (or the deadline passes).
fn wait_for_parent() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        let _ = tx.send(());
    });
    let _ = rx.recv_timeout(DEADLINE);
}

// ----- the library ----------------------------------------------------------

async fn streams_serve(rt: RuntimeRef, n: usize) -> Res<()> {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let server = streams_common::start_server(
        rt.clone(),
        move |mut reader: StreamReader, writer: StreamWriter| {
            c.fetch_add(1, Ordering::Release);
            async move {
                // An idle echo: waits for a line that never comes.
                while let Ok(line) = reader.readline().await {
                    if line.is_empty() || writer.write(&line).is_err() {
                        break;
                    }
                }
            }
        },
        Hosts::from("127.0.0.1"),
        0,
        ServerOptions::default().backlog(1024),
    )
    .await?;
    report_listening(server.local_addrs()[0].port());
    let start = Instant::now();
    while count.load(Ordering::Acquire) < n && start.elapsed() < DEADLINE {
        rt.sleep(Duration::from_millis(20)).await;
    }
    rt.sleep(SETTLE).await;
    report_done(count.load(Ordering::Acquire));
    wait_for_parent();
    server.close();
    Ok(())
}

async fn streams_connect(rt: RuntimeRef, port: u16, n: usize) -> Res<()> {
    let before = memory().0;
    let mut writers = Vec::with_capacity(n);
    for _ in 0..n {
        let (mut reader, writer) =
            streams_common::open_connection(&*rt, "127.0.0.1", port, OpenOptions::default())
                .await?;
        rt.spawn(Box::pin(async move {
            let _ = reader.readline().await;
        }));
        writers.push(writer);
    }
    rt.sleep(SETTLE).await;
    let (after, hwm) = memory();
    println!("client {before} {after} {hwm} {n}");
    std::io::stdout().flush()?;
    wait_for_parent();
    drop(writers);
    Ok(())
}

// ----- hand-written Tokio ----------------------------------------------------

async fn tokio_serve(n: usize) -> Res<()> {
    use tokio::io::AsyncBufReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    report_listening(listener.local_addr()?.port());
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let acceptor = tokio::spawn(async move {
        for _ in 0..n {
            let Ok((sock, _)) = listener.accept().await else {
                break;
            };
            c.fetch_add(1, Ordering::Release);
            tokio::spawn(async move {
                let mut reader = tokio::io::BufReader::new(sock);
                let mut line = Vec::new();
                let _ = reader.read_until(b'\n', &mut line).await;
            });
        }
    });
    let _ = tokio::time::timeout(DEADLINE, acceptor).await;
    tokio::time::sleep(SETTLE).await;
    report_done(count.load(Ordering::Acquire));
    wait_for_parent();
    Ok(())
}

async fn tokio_connect(port: u16, n: usize) -> Res<()> {
    use tokio::io::AsyncBufReadExt;
    let before = memory().0;
    let mut writers = Vec::with_capacity(n);
    for _ in 0..n {
        let sock = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        let (r, w) = sock.into_split();
        tokio::spawn(async move {
            let mut reader = tokio::io::BufReader::new(r);
            let mut line = Vec::new();
            let _ = reader.read_until(b'\n', &mut line).await;
        });
        writers.push(w);
    }
    tokio::time::sleep(SETTLE).await;
    let (after, hwm) = memory();
    println!("client {before} {after} {hwm} {n}");
    std::io::stdout().flush()?;
    wait_for_parent();
    Ok(())
}

// ----- the children ------------------------------------------------------------

fn report_listening(port: u16) {
    println!("listening {port} {}", memory().0);
    let _ = std::io::stdout().flush();
}

fn report_done(accepted: usize) {
    let (rss, hwm) = memory();
    println!("server {rss} {hwm} {accepted}");
    let _ = std::io::stdout().flush();
}

fn tokio_rt() -> Res<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn child(args: &[String]) -> Res<()> {
    raise_nofile();
    let imp = args[1].as_str();
    match (args[0].as_str(), imp) {
        ("serve", _) => {
            let n: usize = args[2].parse()?;
            match imp {
                "tokio-hand-written" => tokio_rt()?.block_on(tokio_serve(n)),
                "streams-tokio" => {
                    tokio_rt()?.block_on(streams_serve(Arc::new(streams_tokio::Tokio), n))
                }
                "streams-smol" => {
                    let ex = Arc::new(smol::Executor::new());
                    let rt = Arc::new(streams_smol::Smol::with_executor(ex.clone()));
                    smol::block_on(ex.run(streams_serve(rt, n)))
                }
                "streams-async-std" => async_std::task::block_on(async_std::task::spawn(
                    streams_serve(Arc::new(streams_async_std::AsyncStd::default()), n),
                )),
                _ => Err(format!("unknown implementation {imp}").into()),
            }
        }
        ("connect", _) => {
            let port: u16 = args[2].parse()?;
            let n: usize = args[3].parse()?;
            match imp {
                "tokio-hand-written" => tokio_rt()?.block_on(tokio_connect(port, n)),
                "streams-tokio" => {
                    tokio_rt()?.block_on(streams_connect(Arc::new(streams_tokio::Tokio), port, n))
                }
                "streams-smol" => {
                    let ex = Arc::new(smol::Executor::new());
                    let rt = Arc::new(streams_smol::Smol::with_executor(ex.clone()));
                    smol::block_on(ex.run(streams_connect(rt, port, n)))
                }
                "streams-async-std" => async_std::task::block_on(async_std::task::spawn(
                    streams_connect(Arc::new(streams_async_std::AsyncStd::default()), port, n),
                )),
                _ => Err(format!("unknown implementation {imp}").into()),
            }
        }
        _ => Err("usage: idle [serve IMPL N | connect IMPL PORT N]".into()),
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

fn measure(imp: &str, n: usize) -> Res<Row> {
    let mut server = spawn_self(&["serve".into(), imp.into(), n.to_string()])?;
    let mut sout = BufReader::new(server.stdout.take().ok_or("no stdout")?);
    let l = expect(&mut sout, "listening")?;
    let (port, base) = (l[0], l[1]);
    let mut client = spawn_self(&[
        "connect".into(),
        imp.into(),
        port.to_string(),
        n.to_string(),
    ])?;
    let mut cout = BufReader::new(client.stdout.take().ok_or("no stdout")?);
    let c = expect(&mut cout, "client")?;
    let s = expect(&mut sout, "server")?;
    // Closing their stdin ends both children.
    drop(client.stdin.take());
    drop(server.stdin.take());
    client.wait()?;
    server.wait()?;
    if s[2] as usize != n {
        return Err(format!("the server accepted {} of {n}", s[2]).into());
    }
    let per = |after: u64, before: u64| after.saturating_sub(before) as f64 / n as f64;
    Ok(Row {
        server: per(s[0], base),
        server_hwm: per(s[1], base),
        client: per(c[1], c[0]),
    })
}

fn main() -> Res<()> {
    if std::env::var_os("ASYNC_STD_THREAD_COUNT").is_none() {
        std::env::set_var("ASYNC_STD_THREAD_COUNT", "1");
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.is_empty() && args[0] != "--" {
        return child(&args);
    }
    let n: usize = std::env::var("IDLE_CONNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    println!("{n} idle connections, one server process and one client process each");
    println!();
    println!(
        "| implementation | server RSS / conn | server peak (VmHWM) / conn | client RSS / conn |"
    );
    println!("|---|---:|---:|---:|");
    for imp in IMPLS {
        match measure(imp, n) {
            Ok(r) => println!(
                "| {imp} | {:.0} B | {:.0} B | {:.0} B |",
                r.server, r.server_hwm, r.client
            ),
            Err(e) => println!("| {imp} | failed: {e} | | |"),
        }
    }
    Ok(())
}
