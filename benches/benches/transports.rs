//! The line echo over other transports than the library's own sockets:
//! what the generic path (`transport::open` with `TokioIo` / `FuturesIo`)
//! and the in-memory `pair()` cost beside the socket path, and beside a
//! hand-written echo over the same transport. 300,000 lines of 80 bytes
//! (`ECHO_LINES`), client and server in one process pinned to one CPU
//! (`ECHO_CPU`, default 0; `none` to not pin), `ROUNDS` interleaved rounds
//! (default 5); each figure's ratio is to the hand-written echo of the
//! same runtime over the same transport, in the same round:
//!
//! | implementation | transport | baseline |
//! |---|---|---|
//! | hand-written Tokio | loopback TCP (`tokio::net::TcpStream`) | |
//! | streams-tokio, socket path | the same socket, `open_connection_with_socket` | hand-written Tokio, TCP |
//! | streams-tokio, generic path | the same socket, `TokioIo` | hand-written Tokio, TCP |
//! | hand-written Tokio | `tokio::io::duplex` (64 KiB) | |
//! | streams-tokio, generic path | `tokio::io::duplex` (64 KiB), `TokioIo` | hand-written Tokio, duplex |
//! | streams-tokio, `pair()` | in memory (64 KiB) | hand-written Tokio, duplex |
//! | hand-written smol | loopback TCP (`async_net::TcpStream`) | |
//! | streams-smol, socket path | the same socket, `open_connection_with_socket` | hand-written smol, TCP |
//! | streams-smol, generic path | the same socket, `FuturesIo` | hand-written smol, TCP |
//!
//! The hand-written echoes read with `read_until` into a reused `Vec`
//! through a `BufReader` and write through a `BufWriter` flushed when the
//! reader's buffer is drained; the library's read with `readline_into` a
//! reused `Vec` and write with `write` + `drain` per line, as in
//! `echo.rs`. Tokio runs on a `current_thread` runtime, smol on an
//! `Executor` of our own run on the main thread.
//!
//! ```text
//! ROUNDS=5 cargo bench -p benches --bench transports [-- FILTER]
//! ```
//!
//! `FILTER` keeps the implementations whose name contains it, and their
//! baselines. Every run is bounded by its line count and a 60 s timeout.

mod support;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use streams_common::runtime::{Runtime, RuntimeRef};
use streams_common::transport::{self, TransportOptions};
use streams_common::{OpenOptions, StreamReader, StreamWriter};
use support::{bounded, Lines, Res, Runner, LINE};

/// One end of a connection.
type Ends = (StreamReader, StreamWriter);

/// The capacity of the in-memory transports, each way.
const MEMORY: usize = 64 * 1024;

// ----- the library ------------------------------------------------------------

/// The library's echo between two connected ends, reading with
/// `readline_into`.
async fn streams_echo(
    rt: &dyn Runtime,
    server: Ends,
    client: Ends,
    data: Arc<Vec<u8>>,
) -> Res<Duration> {
    let (reader, writer) = server;
    rt.spawn(Box::pin(async move {
        let _ = support::streams_serve(reader, writer, Lines::Into).await;
    }));
    support::streams_client(rt, client, data, Lines::Into).await
}

/// How the library's ends are made.
#[derive(Clone, Copy)]
enum Path {
    /// The library's own socket driver over the connected socket.
    Socket,
    /// The generic path: the runtime's socket type through `TokioIo` /
    /// `FuturesIo`.
    Generic,
    /// `tokio::io::duplex` through `TokioIo` (Tokio only).
    Duplex,
    /// `transport::pair()`.
    Pair,
}

// ----- Tokio --------------------------------------------------------------------

async fn tokio_ends(rt: &dyn Runtime, path: Path) -> Res<(Ends, Ends)> {
    let t = TransportOptions::default;
    Ok(match path {
        Path::Socket => {
            let (s, c) = support::tokio_tcp().await?;
            let sock = |s: tokio::net::TcpStream| -> Res<streams_common::socket2::Socket> {
                Ok(s.into_std()?.into())
            };
            (
                streams_common::open_connection_with_socket(rt, sock(s)?, OpenOptions::default())
                    .await?,
                streams_common::open_connection_with_socket(rt, sock(c)?, OpenOptions::default())
                    .await?,
            )
        }
        Path::Generic => {
            let (s, c) = support::tokio_tcp().await?;
            (
                transport::open(rt, transport::TokioIo::new(s), t())?,
                transport::open(rt, transport::TokioIo::new(c), t())?,
            )
        }
        Path::Duplex => {
            let (s, c) = tokio::io::duplex(MEMORY);
            (
                transport::open(rt, transport::TokioIo::new(s), t())?,
                transport::open(rt, transport::TokioIo::new(c), t())?,
            )
        }
        Path::Pair => transport::pair(rt, MEMORY, t())?,
    })
}

fn run_streams_tokio(data: &Arc<Vec<u8>>, path: Path) -> Res<Duration> {
    let data = data.clone();
    current_thread()?.block_on(async move {
        let rt = streams_tokio::Tokio;
        bounded(&rt, async {
            let (server, client) = tokio_ends(&rt, path).await?;
            streams_echo(&rt, server, client, data).await
        })
        .await
    })
}

fn run_tokio_hand(data: &Arc<Vec<u8>>, duplex: bool) -> Res<Duration> {
    let data = data.clone();
    support::on_tokio(async move {
        if duplex {
            let (s, c) = tokio::io::duplex(MEMORY);
            support::tokio_hand_echo(tokio::io::split(s), tokio::io::split(c), data).await
        } else {
            let (s, c) = support::tokio_tcp().await?;
            support::tokio_hand_echo(s.into_split(), c.into_split(), data).await
        }
    })
}

fn current_thread() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

// ----- smol ---------------------------------------------------------------------

async fn smol_tcp() -> Res<(smol::net::TcpStream, smol::net::TcpStream)> {
    let listener = smol::net::TcpListener::bind("127.0.0.1:0").await?;
    let client = smol::net::TcpStream::connect(listener.local_addr()?).await?;
    let (server, _) = listener.accept().await?;
    server.set_nodelay(true)?;
    client.set_nodelay(true)?;
    Ok((server, client))
}

async fn smol_ends(rt: &dyn Runtime, path: Path) -> Res<(Ends, Ends)> {
    let (s, c) = smol_tcp().await?;
    Ok(match path {
        Path::Generic => (
            transport::open(
                rt,
                transport::FuturesIo::new(s),
                TransportOptions::default(),
            )?,
            transport::open(
                rt,
                transport::FuturesIo::new(c),
                TransportOptions::default(),
            )?,
        ),
        _ => {
            let sock = |s: smol::net::TcpStream| -> Res<streams_common::socket2::Socket> {
                let shared: Arc<smol::Async<std::net::TcpStream>> = s.into();
                let only = Arc::try_unwrap(shared).map_err(|_| "the socket is shared")?;
                Ok(only.into_inner()?.into())
            };
            (
                streams_common::open_connection_with_socket(rt, sock(s)?, OpenOptions::default())
                    .await?,
                streams_common::open_connection_with_socket(rt, sock(c)?, OpenOptions::default())
                    .await?,
            )
        }
    })
}

/// Runs `f(runtime)` on an executor of our own on this thread.
fn on_smol<F, Fut>(f: F) -> Res<Duration>
where
    F: FnOnce(RuntimeRef) -> Fut,
    Fut: Future<Output = Res<Duration>>,
{
    let ex = Arc::new(smol::Executor::new());
    let rt: RuntimeRef = Arc::new(streams_smol::Smol::with_executor(ex.clone()));
    let fut = f(rt.clone());
    smol::block_on(ex.run(bounded(&*rt, fut)))
}

fn run_streams_smol(data: &Arc<Vec<u8>>, path: Path) -> Res<Duration> {
    let data = data.clone();
    on_smol(|rt| async move {
        let (server, client) = smol_ends(&*rt, path).await?;
        streams_echo(&*rt, server, client, data).await
    })
}

/// The hand-written smol echo over a loopback socket.
fn run_smol_hand(data: &Arc<Vec<u8>>) -> Res<Duration> {
    use futures::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};
    let data = data.clone();
    let ex = Arc::new(smol::Executor::new());
    let spawner = ex.clone();
    let rt: RuntimeRef = Arc::new(streams_smol::Smol::with_executor(ex.clone()));
    smol::block_on(ex.run(bounded(&*rt, async move {
        let n = data.len() / LINE;
        let (server, client) = smol_tcp().await?;
        let server = spawner.spawn(async move {
            let mut reader = BufReader::new(server.clone());
            let mut writer = BufWriter::new(server);
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
            writer.close().await?;
            Ok::<(), std::io::Error>(())
        });
        let start = Instant::now();
        let client_writer = {
            let data = data.clone();
            let client = client.clone();
            spawner.spawn(async move {
                let mut writer = BufWriter::new(client);
                for line in data.chunks(LINE) {
                    writer.write_all(line).await?;
                }
                writer.flush().await?;
                writer.get_ref().shutdown(std::net::Shutdown::Write)?;
                Ok::<(), std::io::Error>(())
            })
        };
        let mut reader = BufReader::new(client);
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
        if bytes != data.len() {
            return Err(format!("echoed {bytes} bytes, sent {}", data.len()).into());
        }
        client_writer.await?;
        server.await?;
        Ok(elapsed)
    })))
}

// ----- the table ----------------------------------------------------------------

const TOKIO_TCP: &str = "hand-written Tokio, TCP";
const TOKIO_DUPLEX: &str = "hand-written Tokio, tokio::io::duplex";
const SMOL_TCP: &str = "hand-written smol, TCP";

fn main() -> Res<()> {
    let setup = support::Setup::from_env()?;
    let per_s = setup.per_s();
    let support::Setup {
        filter,
        cpu,
        lines,
        rounds,
        data,
    } = setup;

    let mut runners: Vec<Runner> = Vec::new();
    let mut add =
        |name: &str, baseline: Option<&'static str>, run: Box<dyn Fn() -> Res<Duration>>| {
            runners.push(Runner {
                name: name.into(),
                baseline: baseline.or(Some(TOKIO_TCP)).filter(|b| *b != name),
                run: Box::new(move || run().map(per_s)),
            })
        };
    let d = || data.clone();
    let (d1, d2, d3) = (d(), d(), d());
    add(
        TOKIO_TCP,
        None,
        Box::new(move || run_tokio_hand(&d1, false)),
    );
    add(
        "streams-tokio, socket path, TCP",
        None,
        Box::new(move || run_streams_tokio(&d2, Path::Socket)),
    );
    add(
        "streams-tokio, generic path (TokioIo), TCP",
        None,
        Box::new(move || run_streams_tokio(&d3, Path::Generic)),
    );
    let (d1, d2, d3) = (d(), d(), d());
    add(
        TOKIO_DUPLEX,
        Some(TOKIO_DUPLEX),
        Box::new(move || run_tokio_hand(&d1, true)),
    );
    add(
        "streams-tokio, generic path (TokioIo), tokio::io::duplex",
        Some(TOKIO_DUPLEX),
        Box::new(move || run_streams_tokio(&d2, Path::Duplex)),
    );
    add(
        "streams-tokio, pair()",
        Some(TOKIO_DUPLEX),
        Box::new(move || run_streams_tokio(&d3, Path::Pair)),
    );
    let (d1, d2, d3) = (d(), d(), d());
    add(
        SMOL_TCP,
        Some(SMOL_TCP),
        Box::new(move || run_smol_hand(&d1)),
    );
    add(
        "streams-smol, socket path, TCP",
        Some(SMOL_TCP),
        Box::new(move || run_streams_smol(&d2, Path::Socket)),
    );
    add(
        "streams-smol, generic path (FuturesIo), TCP",
        Some(SMOL_TCP),
        Box::new(move || run_streams_smol(&d3, Path::Generic)),
    );
    // The implementations the filter names, and the baselines they need.
    let wanted: Vec<bool> = runners
        .iter()
        .map(|r| {
            runners.iter().any(|o| {
                o.name.contains(filter.as_str())
                    && (o.name == r.name || o.baseline == Some(r.name.as_str()))
            })
        })
        .collect();
    let mut keep = wanted.into_iter();
    runners.retain(|_| keep.next().unwrap_or(false));

    println!(
        "transports: {lines} lines of {LINE} B, {rounds} rounds, cpu {cpu}, pid {}",
        std::process::id()
    );
    support::rounds_table(&runners, rounds);
    Ok(())
}
