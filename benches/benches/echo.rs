//! End-to-end loopback line echo on one core: 300,000 lines of 80 bytes
//! through a server and back, client and server in one process, for
//!
//! - a hand-written Tokio echo (`BufReader::read_until` into a reused `Vec`,
//!   a `BufWriter` flushed when the reader's buffer is drained),
//! - this library on Tokio, smol and async-std (written as an asyncio user
//!   writes it: `readline` / `write` / `drain`; and again with
//!   `readline_into` a reused `Vec`, as the hand-written echo reads),
//! - tokio-util's `LinesCodec` (`FramedRead` / `FramedWrite`, a `String`
//!   per line, replies flushed when the read buffer is drained): the
//!   owned-line peer, the baseline of the library's `readline()` rows (the
//!   hand-written echo is the baseline of every other row),
//! - CPython asyncio streams (`python/asyncio_echo.py`, run as a child
//!   process).
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-h cargo bench -p benches --bench echo [-- FILTER]
//! ```
//!
//! One core: the process pins itself (and so its threads and the Python
//! child) to one CPU with `sched_setaffinity` before any runtime starts
//! (`ECHO_CPU`, default 0; `ECHO_CPU=none` to not pin). Tokio runs on a
//! `current_thread` runtime; smol on an `Executor` of our own run by
//! `smol::block_on` on the main thread (the connections are spawned on it
//! with `Smol::with_executor`); async-std on its global executor with
//! `ASYNC_STD_THREAD_COUNT=1`.
//!
//! The client pipelines: one task writes every line (the library's client
//! with `write` + `drain()` per line, the hand-written one through a
//! `BufWriter`), another counts the echoed lines. Each implementation runs
//! `ROUNDS` times (default 5), interleaved with the others; the table
//! shows the median lines/s and its ratio to its baseline's median of the
//! same run. Environment: `ECHO_LINES` (default 300000),
//! `ECHO_PYTHON` (the interpreter; default the newest
//! `~/.pyenv/versions/3.13*/bin/python3`, else `python3`; `none` skips it),
//! `ECHO_PYTHON_LINES` (CPython's lines, default a tenth of `ECHO_LINES`,
//! so that its run is as short as the others': a run of a second or more
//! at full load slowed the run after it by up to half on this project's
//! machine), `ECHO_BASELINE=0` (skip the baselines, for profiling one
//! implementation alone). `FILTER` keeps the implementations whose name
//! contains it (and the baselines).
//! Every run is bounded by its line count and a 60 s timeout.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use streams_common::runtime::RuntimeRef;
use streams_common::{Hosts, OpenOptions, ServerOptions, StreamReader, StreamWriter};
use support::{bounded, env_or, BoxError, Lines, Res, Runner, LINE, TIMEOUT};

// ----- the library, on any runtime ---------------------------------------

/// The asyncio-style echo over the library, on `rt`: a server started
/// with `start_server`, a client opened with `open_connection`.
async fn streams_echo(rt: RuntimeRef, data: Arc<Vec<u8>>, how: Lines) -> Res<Duration> {
    let server = streams_common::start_server(
        rt.clone(),
        move |reader: StreamReader, writer: StreamWriter| {
            support::streams_serve(reader, writer, how)
        },
        Hosts::from("127.0.0.1"),
        0,
        ServerOptions::default(),
    )
    .await?;
    let port = server.local_addrs()[0].port();
    let client =
        streams_common::open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await?;
    let elapsed = support::streams_client(&*rt, client, data, how).await?;
    server.close();
    server.wait_closed().await;
    Ok(elapsed)
}

fn run_streams_tokio(data: &Arc<Vec<u8>>, how: Lines) -> Res<Duration> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let data = data.clone();
    rt.block_on(async move {
        let r: RuntimeRef = Arc::new(streams_tokio::Tokio);
        bounded(&*r.clone(), streams_echo(r, data, how)).await
    })
}

fn run_streams_smol(data: &Arc<Vec<u8>>, how: Lines) -> Res<Duration> {
    let ex = Arc::new(smol::Executor::new());
    let r: RuntimeRef = Arc::new(streams_smol::Smol::with_executor(ex.clone()));
    let data = data.clone();
    smol::block_on(ex.run(async move { bounded(&*r.clone(), streams_echo(r, data, how)).await }))
}

fn run_streams_async_std(data: &Arc<Vec<u8>>, how: Lines) -> Res<Duration> {
    let data = data.clone();
    // Everything, this task included, runs on async-std's executor thread.
    async_std::task::block_on(async_std::task::spawn(async move {
        let r: RuntimeRef = Arc::new(streams_async_std::AsyncStd::default());
        bounded(&*r.clone(), streams_echo(r, data, how)).await
    }))
}

// ----- hand-written Tokio ---------------------------------------------------

fn run_tokio_hand(data: &Arc<Vec<u8>>) -> Res<Duration> {
    let data = data.clone();
    support::on_tokio(async move {
        let (server, client) = support::tokio_tcp().await?;
        support::tokio_hand_echo(server.into_split(), client.into_split(), data).await
    })
}

// ----- tokio-util's LinesCodec (the owned-line peer) ------------------------

/// The same echo on `FramedRead` / `FramedWrite` with tokio-util's
/// `LinesCodec`, which hands out each line as an owned `String` (checked
/// UTF-8, terminator stripped, re-added by the encoder): what a Tokio user
/// who wants owned lines writes, and so the peer of the library's
/// `readline()`. Replies are fed and flushed once the reader's buffer is
/// drained, as the hand-written echo does.
async fn lines_codec_echo(data: Arc<Vec<u8>>) -> Res<Duration> {
    use futures::{SinkExt, StreamExt};
    use tokio_util::codec::{FramedRead, FramedWrite, LinesCodec};
    let n = data.len() / LINE;
    let (server, client) = support::tokio_tcp().await?;
    let server = tokio::spawn(async move {
        let (r, w) = server.into_split();
        let mut lines = FramedRead::new(r, LinesCodec::new_with_max_length(64 * 1024));
        let mut out = FramedWrite::new(w, LinesCodec::new());
        while let Some(line) = lines.next().await {
            out.feed(line?).await?;
            if lines.read_buffer().is_empty() {
                SinkExt::<String>::flush(&mut out).await?;
            }
        }
        SinkExt::<String>::close(&mut out).await?;
        Ok::<(), BoxError>(())
    });
    let (r, w) = client.into_split();
    let start = Instant::now();
    let client_writer = {
        let data = data.clone();
        tokio::spawn(async move {
            let mut out = FramedWrite::new(w, LinesCodec::new());
            for line in data.chunks(LINE) {
                let text = std::str::from_utf8(&line[..LINE - 1])?;
                out.feed(text).await?;
            }
            SinkExt::<&str>::close(&mut out).await?;
            Ok::<(), BoxError>(())
        })
    };
    let mut lines = FramedRead::new(r, LinesCodec::new_with_max_length(64 * 1024));
    let mut bytes = 0;
    for _ in 0..n {
        match lines.next().await {
            Some(line) => bytes += line?.len() + 1,
            None => return Err("early EOF".into()),
        }
    }
    let elapsed = start.elapsed();
    support::check_echoed(bytes, &data)?;
    client_writer.await??;
    server.await??;
    Ok(elapsed)
}

fn run_lines_codec(data: &Arc<Vec<u8>>) -> Res<Duration> {
    support::on_tokio(lines_codec_echo(data.clone()))
}

// ----- CPython asyncio ------------------------------------------------------

fn python() -> Option<PathBuf> {
    match std::env::var("ECHO_PYTHON") {
        Ok(p) if p == "none" => return None,
        Ok(p) => return Some(p.into()),
        Err(_) => {}
    }
    let home = std::env::var_os("HOME")?;
    let versions = PathBuf::from(home).join(".pyenv/versions");
    let mut found: Vec<PathBuf> = std::fs::read_dir(versions)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("3.13"))
        .map(|e| e.path().join("bin/python3"))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    Some(found.pop().unwrap_or_else(|| "python3".into()))
}

/// Runs the asyncio echo script; returns its lines/s.
fn run_python(py: &PathBuf, lines: usize) -> Res<f64> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/asyncio_echo.py");
    let out = Command::new(py)
        .arg(script)
        .arg("--lines")
        .arg(lines.to_string())
        .arg("--timeout")
        .arg(TIMEOUT.as_secs().to_string())
        .output()?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned().into());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("lines_per_s="))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("no lines_per_s in {text:?}").into())
}

// ----- the table --------------------------------------------------------------

const BASELINE: &str = "tokio hand-written";
/// The owned-line peer: the baseline of the `readline()` rows.
const OWNED_BASELINE: &str = "tokio-util LinesCodec";

fn main() -> Res<()> {
    // Set before async-std starts its executor.
    if std::env::var_os("ASYNC_STD_THREAD_COUNT").is_none() {
        std::env::set_var("ASYNC_STD_THREAD_COUNT", "1");
    }
    let setup = support::Setup::from_env()?;
    let per_s = setup.per_s();
    let support::Setup {
        filter,
        cpu,
        lines,
        rounds,
        data,
    } = setup;
    let runner = |name: &str, run: Box<dyn Fn() -> Res<f64>>| Runner {
        name: name.into(),
        baseline: Some(BASELINE).filter(|b| *b != name),
        run,
    };
    let owned_runner = |name: &str, run: Box<dyn Fn() -> Res<f64>>| Runner {
        name: name.into(),
        baseline: Some(OWNED_BASELINE),
        run,
    };

    let mut runners: Vec<Runner> = Vec::new();
    {
        let d = data.clone();
        runners.push(runner(
            BASELINE,
            Box::new(move || run_tokio_hand(&d).map(per_s)),
        ));
        let d = data.clone();
        runners.push(runner(
            OWNED_BASELINE,
            Box::new(move || run_lines_codec(&d).map(per_s)),
        ));
        type Run = fn(&Arc<Vec<u8>>, Lines) -> Res<Duration>;
        let library: [(&str, &str, Run); 3] = [
            (
                "streams-tokio",
                "streams-tokio, readline_into",
                run_streams_tokio,
            ),
            (
                "streams-smol",
                "streams-smol, readline_into",
                run_streams_smol,
            ),
            (
                "streams-async-std",
                "streams-async-std, readline_into",
                run_streams_async_std,
            ),
        ];
        for (owned, into, run) in library {
            let d = data.clone();
            runners.push(owned_runner(
                owned,
                Box::new(move || run(&d, Lines::Owned).map(per_s)),
            ));
            let d = data.clone();
            runners.push(runner(
                into,
                Box::new(move || run(&d, Lines::Into).map(per_s)),
            ));
        }
        if let Some(py) = python() {
            let name = format!("CPython asyncio ({})", py.display());
            // A tenth of the lines: CPython takes as long for them as
            // the others take for all of theirs. A run of a second and
            // more at full load slows the next run on this machine (the
            // vCPU's boost or quota), and the next run is the baseline's.
            let py_lines = env_or("ECHO_PYTHON_LINES", (lines / 10).max(1));
            runners.push(runner(&name, Box::new(move || run_python(&py, py_lines))));
        }
    }
    let baseline = std::env::var("ECHO_BASELINE").map_or(true, |v| v != "0");
    let baselines = [BASELINE, OWNED_BASELINE];
    runners.retain(|r| {
        (baseline && baselines.contains(&r.name.as_str())) || r.name.contains(filter.as_str())
    });

    println!(
        "echo: {lines} lines of {LINE} B, {rounds} rounds, cpu {cpu}, pid {}",
        std::process::id()
    );
    support::rounds_table(&runners, rounds);
    Ok(())
}
