//! What the end-to-end benches (`echo.rs`, `transports.rs`) share: the
//! payload, pinning to one CPU, and the interleaved rounds with their
//! table of medians and ratios.

// Each bench compiles this module on its own and uses a part of it.
#![allow(dead_code)]

use std::error::Error;
use std::time::Duration;

pub type BoxError = Box<dyn Error + Send + Sync>;
pub type Res<T> = Result<T, BoxError>;

/// The length of every line, `\n` included.
pub const LINE: usize = 80;
/// Every run is bounded by this.
pub const TIMEOUT: Duration = Duration::from_secs(60);

pub fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `n` lines of `LINE` bytes each, `\n`-terminated, all different.
pub fn payload(n: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(n * LINE);
    for i in 0..n {
        let start = data.len();
        data.extend_from_slice(format!("{i:09} ").as_bytes());
        while data.len() < start + LINE - 1 {
            data.push(b'a' + ((data.len() - start + i) % 26) as u8);
        }
        data.push(b'\n');
    }
    data
}

/// Pins the process (every thread created from now on, and children) to
/// one CPU: `ECHO_CPU` (default 0), or nothing with `ECHO_CPU=none`.
/// Returns what it pinned to, for the header.
pub fn pin_from_env() -> Res<String> {
    let cpu = std::env::var("ECHO_CPU").unwrap_or_else(|_| "0".into());
    if cpu != "none" {
        pin(cpu.parse()?)?;
    }
    Ok(cpu)
}

fn pin(cpu: usize) -> std::io::Result<()> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET and
    // sched_setaffinity only read and write that set.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// What every end-to-end bench starts from: its command line and
/// environment read, the process pinned, the payload made.
pub struct Setup {
    /// The first argument that is not a flag (implementations whose name
    /// contains it run, with their baselines).
    pub filter: String,
    /// What the process is pinned to (`ECHO_CPU`).
    pub cpu: String,
    /// `ECHO_LINES`, default 300,000.
    pub lines: usize,
    /// `ROUNDS`, default 5.
    pub rounds: usize,
    /// `lines` lines of `LINE` bytes.
    pub data: std::sync::Arc<Vec<u8>>,
}

impl Setup {
    pub fn from_env() -> Res<Setup> {
        let filter = std::env::args()
            .skip(1)
            .find(|a| !a.starts_with('-'))
            .unwrap_or_default();
        let cpu = pin_from_env()?;
        let lines = env_or("ECHO_LINES", 300_000);
        let rounds = env_or("ROUNDS", 5).max(1);
        let data = std::sync::Arc::new(payload(lines));
        Ok(Setup {
            filter,
            cpu,
            lines,
            rounds,
            data,
        })
    }

    /// Lines per second, for a run that echoed all `lines` in `d`.
    pub fn per_s(&self) -> impl Fn(std::time::Duration) -> f64 + Copy {
        let lines = self.lines as f64;
        move |d| lines / d.as_secs_f64()
    }
}

pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// One implementation under test: its name, the name of the baseline its
/// ratio is taken to (`None`: it is a baseline, or has none), and a run
/// that returns lines per second.
pub struct Runner {
    pub name: String,
    pub baseline: Option<&'static str>,
    pub run: Box<dyn Fn() -> Res<f64>>,
}

/// Runs every runner once per round, interleaved, `rounds` times; prints
/// each run, then a table of medians, each with its ratio to its
/// baseline's median and the spread of the per-round ratios (each round's
/// figure over its baseline's in the same round).
pub fn rounds_table(runners: &[Runner], rounds: usize) {
    let mut results: Vec<Vec<f64>> = vec![Vec::new(); runners.len()];
    for round in 0..rounds {
        for (i, r) in runners.iter().enumerate() {
            match (r.run)() {
                Ok(v) => {
                    println!("round {round}: {:<40} {:>8.3} M lines/s", r.name, v / 1e6);
                    results[i].push(v);
                }
                Err(e) => println!("round {round}: {:<40} failed: {e}", r.name),
            }
        }
    }
    println!();
    println!(
        "| implementation | M lines/s (median of {rounds}) | ratio to its baseline \
         | ratio's spread (per round) |"
    );
    println!("|---|---:|---:|---:|");
    let find = |name: &str| runners.iter().position(|r| r.name == name);
    for (i, r) in runners.iter().enumerate() {
        let mine = &results[i];
        if mine.is_empty() {
            println!("| {} | failed | | |", r.name);
            continue;
        }
        let m = median(&mut mine.clone());
        let base = r.baseline.and_then(find).map(|b| &results[b]);
        let (ratio, spread) = match base {
            Some(b) if b.len() == mine.len() && !b.is_empty() => {
                let ratios: Vec<f64> = mine.iter().zip(b).map(|(v, b)| v / b).collect();
                let lo = ratios.iter().cloned().fold(f64::INFINITY, f64::min);
                let hi = ratios.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let bm = median(&mut b.clone());
                (
                    format!("{:.3} (to {})", m / bm, r.baseline.unwrap_or_default()),
                    format!("{lo:.3}-{hi:.3}"),
                )
            }
            _ => (String::new(), String::new()),
        };
        println!("| {} | {:.3} | {ratio} | {spread} |", r.name, m / 1e6);
    }
}

/// Fails unless the echo brought back `bytes`, as many as `data` holds.
pub fn check_echoed(bytes: usize, data: &[u8]) -> Res<()> {
    if bytes != data.len() {
        return Err(format!("echoed {bytes} bytes, sent {}", data.len()).into());
    }
    Ok(())
}

/// Runs `fut` on a fresh current-thread Tokio runtime, bounded by
/// [`TIMEOUT`].
pub fn on_tokio<T>(fut: impl std::future::Future<Output = Res<T>>) -> Res<T> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match tokio::time::timeout(TIMEOUT, fut).await {
            Ok(r) => r,
            Err(_) => Err("timed out".into()),
        }
    })
}

/// Two connected loopback TCP sockets, `TCP_NODELAY` on both (as the
/// library sets it): (server side, client side).
pub async fn tokio_tcp() -> Res<(tokio::net::TcpStream, tokio::net::TcpStream)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let client = tokio::net::TcpStream::connect(listener.local_addr()?).await?;
    let (server, _) = listener.accept().await?;
    server.set_nodelay(true)?;
    client.set_nodelay(true)?;
    Ok((server, client))
}

/// The hand-written Tokio echo over two connected ends, each a read half
/// and a write half: the server reads lines with `BufReader::read_until`
/// into a reused `Vec` and writes them through a `BufWriter` flushed when
/// the reader's buffer is drained; the client writes every line through
/// a `BufWriter` from one task and counts the echoes in another. Returns
/// the time from the first write to the last echoed line.
pub async fn tokio_hand_echo<SR, SW, CR, CW>(
    server: (SR, SW),
    client: (CR, CW),
    data: std::sync::Arc<Vec<u8>>,
) -> Res<Duration>
where
    SR: tokio::io::AsyncRead + Unpin + Send + 'static,
    SW: tokio::io::AsyncWrite + Unpin + Send + 'static,
    CR: tokio::io::AsyncRead + Unpin,
    CW: tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};
    let n = data.len() / LINE;
    let server = tokio::spawn(async move {
        let mut reader = BufReader::new(server.0);
        let mut writer = BufWriter::new(server.1);
        let mut line = Vec::with_capacity(256);
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line).await? == 0 {
                break;
            }
            writer.write_all(&line).await?;
            if reader.buffer().is_empty() {
                writer.flush().await?;
            }
        }
        writer.shutdown().await?;
        Ok::<(), std::io::Error>(())
    });
    let start = std::time::Instant::now();
    let client_writer = {
        let data = data.clone();
        tokio::spawn(async move {
            let mut writer = BufWriter::new(client.1);
            for line in data.chunks(LINE) {
                writer.write_all(line).await?;
            }
            // The server sees EOF after the last line.
            writer.shutdown().await?;
            Ok::<(), std::io::Error>(())
        })
    };
    let mut reader = BufReader::new(client.0);
    let mut line = Vec::with_capacity(256);
    let mut bytes = 0;
    for _ in 0..n {
        line.clear();
        let got = reader.read_until(b'\n', &mut line).await?;
        if got == 0 {
            return Err("early EOF".into());
        }
        bytes += got;
    }
    let elapsed = start.elapsed();
    check_echoed(bytes, &data)?;
    client_writer.await??;
    server.await??;
    Ok(elapsed)
}

// ----- the library's echo, written once ---------------------------------------

use std::sync::Arc;
use streams_common::runtime::Runtime;
use streams_common::{Bytes, StreamReader, StreamWriter};

/// How the library's echo reads its lines.
#[derive(Clone, Copy)]
pub enum Lines {
    /// `readline()`, one `Bytes` per line (asyncio's shape).
    Owned,
    /// `readline_into(&mut buf)` into a reused `Vec` (what the hand-written
    /// Tokio echo does with `read_until`).
    Into,
}

/// One line from `reader`, as `how` says; empty at EOF.
pub async fn next_line<'b>(
    reader: &mut StreamReader,
    how: Lines,
    buf: &'b mut Vec<u8>,
    owned: &'b mut Bytes,
) -> Res<&'b [u8]> {
    Ok(match how {
        Lines::Owned => {
            *owned = reader.readline().await?;
            &owned[..]
        }
        Lines::Into => {
            buf.clear();
            reader.readline_into(buf).await?;
            &buf[..]
        }
    })
}

/// The library's echo server on one connection, as an asyncio user
/// writes it: each line back with `write` + `drain`, then `close()` at
/// EOF.
pub async fn streams_serve(mut reader: StreamReader, writer: StreamWriter, how: Lines) -> Res<()> {
    let (mut buf, mut owned) = (Vec::with_capacity(256), Bytes::new());
    loop {
        let line = next_line(&mut reader, how, &mut buf, &mut owned).await?;
        if line.is_empty() {
            break;
        }
        writer.write(line)?;
        writer.drain().await?;
    }
    writer.close();
    Ok(())
}

/// The library's echo client on one connection: one task writes every
/// line (`write` + `drain`), this one counts the echoes, then closes.
/// Returns the time from the first write to the last echoed line.
pub async fn streams_client(
    rt: &dyn Runtime,
    (mut reader, writer): (StreamReader, StreamWriter),
    data: Arc<Vec<u8>>,
    how: Lines,
) -> Res<Duration> {
    let n = data.len() / LINE;
    let writer = Arc::new(writer);
    let start = std::time::Instant::now();
    {
        let writer = writer.clone();
        let data = data.clone();
        rt.spawn(Box::pin(async move {
            for line in data.chunks(LINE) {
                if writer.write(line).is_err() || writer.drain().await.is_err() {
                    break;
                }
            }
        }));
    }
    let mut bytes = 0;
    let (mut buf, mut owned) = (Vec::with_capacity(256), Bytes::new());
    for _ in 0..n {
        let line = next_line(&mut reader, how, &mut buf, &mut owned).await?;
        if line.is_empty() {
            return Err("early EOF".into());
        }
        bytes += line.len();
    }
    let elapsed = start.elapsed();
    check_echoed(bytes, &data)?;
    writer.close();
    writer.wait_closed().await?;
    Ok(elapsed)
}

/// `fut` or a timeout error after [`TIMEOUT`], on `rt`'s timer.
pub async fn bounded<T>(
    rt: &dyn Runtime,
    fut: impl std::future::Future<Output = Res<T>>,
) -> Res<T> {
    use futures::future::{select, Either};
    let fut = std::pin::pin!(fut);
    match select(fut, rt.sleep(TIMEOUT)).await {
        Either::Left((r, _)) => r,
        Either::Right(_) => Err("timed out".into()),
    }
}
