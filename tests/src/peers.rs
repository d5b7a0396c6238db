//! Running peer processes (the CPython scripts of `tests/peers/`, `openssl`):
//! a client run to its end, or a server that prints a line once listening.
//!
//! Every wait is bounded by [`PEER_TIMEOUT`], in the blocking code itself
//! and not only in the async caller: a blocking thread stuck on a child
//! would otherwise outlive the failed test (and Tokio's runtime waits for
//! its blocking threads when it shuts down, so the test would hang instead
//! of failing). A child that overruns the bound is killed.

use crate::adapters::Adapter;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The bound on any wait for a peer process.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(60);

/// A little more than [`PEER_TIMEOUT`]: the async caller's bound on a
/// blocking wait that is itself bounded by [`PEER_TIMEOUT`], so that the
/// inner, more precise failure is the one reported.
pub const OUTER_TIMEOUT: Duration = Duration::from_secs(75);

/// How often a child is checked for having exited.
const CHILD_POLL: Duration = Duration::from_millis(5);

/// The path of a script in `tests/peers/`.
pub fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("peers")
        .join(name)
}

fn command(name: &str, args: &[OsString]) -> Command {
    let mut command = Command::new(crate::python());
    command.arg(script(name)).args(args);
    command
}

/// Waits for `child` to exit until `deadline`; kills it and reaps it if it
/// has not by then (`None`). Bounded in count as well as in time.
pub fn wait_child_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    let rounds = PEER_TIMEOUT.as_millis() / CHILD_POLL.as_millis() + 1;
    for _ in 0..rounds {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(CHILD_POLL);
    }
    if let Some(status) = child.try_wait().expect("try_wait") {
        return Some(status);
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// Reads `pipe` to its end on a thread of its own (the end comes when the
/// child exits or is killed).
fn collect(pipe: Option<impl Read + Send + 'static>) -> Option<JoinHandle<Vec<u8>>> {
    pipe.map(|mut pipe| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let _ = pipe.read_to_end(&mut out);
            out
        })
    })
}

/// `child`'s exit status and output (whichever of stdout and stderr are
/// piped), waiting at most `limit`; a child still running then is killed
/// and the test fails, naming `what`. Blocking: call it on a blocking
/// thread.
pub fn output_within(what: &str, mut child: Child, limit: Duration) -> Output {
    let stdout = collect(child.stdout.take());
    let stderr = collect(child.stderr.take());
    let status = wait_child_until(&mut child, Instant::now() + limit);
    let join = |h: Option<JoinHandle<Vec<u8>>>| h.map(|h| h.join().unwrap()).unwrap_or_default();
    let (stdout, stderr) = (join(stdout), join(stderr));
    match status {
        Some(status) => Output {
            status,
            stdout,
            stderr,
        },
        None => panic!(
            "{what}: still running after {limit:?}, killed; its output: {}\n{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        ),
    }
}

/// Runs the client script `name` with `args` to its end (in a blocking
/// thread) and returns its output; fails the test if it fails or overruns
/// [`PEER_TIMEOUT`].
pub async fn run_client<A: Adapter>(name: &str, args: Vec<OsString>) -> String {
    let mut command = command(name, &args);
    let what = format!("peer {name}");
    let out = A::t_for(
        OUTER_TIMEOUT,
        A::spawn_blocking(move || {
            // As `Command::output` would: no stdin, both outputs captured.
            let child = command
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("python3 runs");
            output_within(&what, child, PEER_TIMEOUT)
        }),
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{name} failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The lines a child prints, read on a thread of their own, so that a
/// wait for the next one can be bounded.
pub struct Lines {
    rx: mpsc::Receiver<String>,
}

/// What [`Lines::next_until`] found.
#[derive(Debug)]
pub enum Next {
    /// A line (with its `\n`).
    Line(String),
    /// The child's output ended.
    End,
    /// The deadline passed first.
    TimedOut,
}

impl Lines {
    /// Starts reading `out` line by line.
    pub fn new(out: ChildStdout) -> Lines {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut out = BufReader::new(out);
            // Ends at the child's end (EOF) or when nobody listens.
            loop {
                let mut line = String::new();
                match out.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if tx.send(line).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Lines { rx }
    }

    /// The next line, waiting at most until `deadline`. Blocking.
    pub fn next_until(&self, deadline: Instant) -> Next {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(left) {
            Ok(line) => Next::Line(line),
            Err(mpsc::RecvTimeoutError::Disconnected) => Next::End,
            Err(mpsc::RecvTimeoutError::Timeout) => Next::TimedOut,
        }
    }
}

/// A server script, started and listening. Dropping it kills the script
/// if it still runs (a test that failed half-way).
pub struct PeerServer {
    child: Option<Child>,
    lines: Option<Lines>,
    name: String,
    /// The port it printed.
    pub port: u16,
}

impl PeerServer {
    /// Starts the server script `name` with `args` and waits (bounded) for
    /// its `PORT <n>` line.
    pub async fn start<A: Adapter>(name: &str, args: Vec<OsString>) -> PeerServer {
        let mut child = command(name, &args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let lines = Lines::new(child.stdout.take().expect("piped stdout"));
        // Owned before the first wait: a failure from here on kills it.
        let mut server = PeerServer {
            child: Some(child),
            lines: None,
            name: name.to_owned(),
            port: 0,
        };
        let (next, lines) = A::t_for(
            OUTER_TIMEOUT,
            A::spawn_blocking(move || (lines.next_until(Instant::now() + PEER_TIMEOUT), lines)),
        )
        .await;
        server.lines = Some(lines);
        let line = match next {
            Next::Line(line) => line,
            other => panic!("{name}: no PORT line ({other:?} after at most {PEER_TIMEOUT:?})"),
        };
        server.port = line
            .trim()
            .strip_prefix("PORT ")
            .unwrap_or_else(|| panic!("{name}: not a PORT line: {line:?}"))
            .parse()
            .unwrap();
        server
    }

    /// Waits (bounded) for the server to end and returns the rest of its
    /// output; fails the test if it failed or overran [`PEER_TIMEOUT`]
    /// (and then kills it).
    pub async fn finish<A: Adapter>(mut self) -> String {
        let mut child = self.child.take().expect("not finished yet");
        let lines = self.lines.take().expect("started");
        let name = std::mem::take(&mut self.name);
        A::t_for(
            OUTER_TIMEOUT,
            A::spawn_blocking(move || {
                let deadline = Instant::now() + PEER_TIMEOUT;
                let mut rest = String::new();
                // One line per round: bounded by the deadline, and by a
                // count far above what the scripts print.
                for _ in 0..10_000 {
                    match lines.next_until(deadline) {
                        Next::Line(line) => rest.push_str(&line),
                        Next::End | Next::TimedOut => break,
                    }
                }
                // Kills it if the deadline has passed.
                let status = wait_child_until(&mut child, deadline).unwrap_or_else(|| {
                    panic!("peer {name}: still running after {PEER_TIMEOUT:?}, killed: {rest}")
                });
                assert!(status.success(), "server failed: {rest}");
                rest
            }),
        )
        .await
    }
}

impl Drop for PeerServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A child process killed (and reaped) when this is dropped, however the
/// test ends.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
