//! Running the CPython peer scripts of `tests/peers/`: a client run to its
//! end, or a server that prints `PORT <n>` once listening. Every wait is
//! bounded by [`PEER_TIMEOUT`].

use crate::adapters::Adapter;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

/// The bound on any wait for a peer process.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(60);

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

/// Runs the client script `name` with `args` to its end (in a blocking
/// thread) and returns its output; fails the test if it fails.
pub async fn run_client<A: Adapter>(name: &str, args: Vec<OsString>) -> String {
    let mut command = command(name, &args);
    let out = A::t_for(
        PEER_TIMEOUT,
        A::spawn_blocking(move || command.output().expect("python3 runs")),
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

/// A server script, started and listening.
pub struct PeerServer {
    child: Child,
    out: BufReader<ChildStdout>,
    /// The port it printed.
    pub port: u16,
}

impl PeerServer {
    /// Starts the server script `name` with `args` and waits for its
    /// `PORT <n>` line.
    pub async fn start<A: Adapter>(name: &str, args: Vec<OsString>) -> PeerServer {
        let mut child = command(name, &args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
        let (port, out) = A::t_for(
            PEER_TIMEOUT,
            A::spawn_blocking(move || {
                let mut line = String::new();
                out.read_line(&mut line).unwrap();
                let port: u16 = line
                    .trim()
                    .strip_prefix("PORT ")
                    .expect("PORT line")
                    .parse()
                    .unwrap();
                (port, out)
            }),
        )
        .await;
        PeerServer { child, out, port }
    }

    /// Waits for the server to end and returns the rest of its output;
    /// fails the test if it failed.
    pub async fn finish<A: Adapter>(self) -> String {
        let PeerServer {
            mut child, mut out, ..
        } = self;
        A::t_for(
            PEER_TIMEOUT,
            A::spawn_blocking(move || {
                let mut rest = String::new();
                out.read_to_string(&mut rest).unwrap();
                let status = child.wait().unwrap();
                assert!(status.success(), "server failed: {rest}");
                rest
            }),
        )
        .await
    }
}
