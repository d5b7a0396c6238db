//! Interoperability with CPython's asyncio as the peer: our server against
//! an asyncio client, our client against an asyncio server (the peers are
//! in `tests/peers/`). Uses a pyenv 3.13 interpreter when there is one,
//! otherwise `python3`.

use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use streams_tokio::*;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const LIMIT: usize = 1024;
const BIG: usize = 16 * 1024 * 1024;

async fn t<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("timed out")
}

fn python() -> PathBuf {
    let root = std::env::var("PYENV_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".pyenv")
        });
    let candidate = root.join("versions/3.13.0/bin/python3");
    if candidate.exists() {
        candidate
    } else {
        PathBuf::from("python3")
    }
}

fn peer(script: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(script)
}

/// Runs the asyncio client against `port` (in a blocking thread) and
/// returns its output.
async fn run_client(mode: &str, port: u16) -> String {
    let mode = mode.to_owned();
    let out = t(tokio::task::spawn_blocking(move || {
        Command::new(python())
            .arg(peer("asyncio_client.py"))
            .arg(&mode)
            .arg(port.to_string())
            .output()
            .expect("python3 runs")
    }))
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "client failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Starts the asyncio server and returns it with its port.
fn spawn_server(mode: &str) -> (Child, BufReader<std::process::ChildStdout>, u16) {
    let mut child = Command::new(python())
        .arg(peer("asyncio_server.py"))
        .arg(mode)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let port = line
        .trim()
        .strip_prefix("PORT ")
        .expect("PORT line")
        .parse()
        .unwrap();
    (child, out, port)
}

/// Waits for the asyncio server to finish and returns the rest of its
/// output.
async fn finish_server(mut child: Child, mut out: BufReader<std::process::ChildStdout>) -> String {
    t(tokio::task::spawn_blocking(move || {
        let mut rest = String::new();
        io::Read::read_to_string(&mut out, &mut rest).unwrap();
        let status = child.wait().unwrap();
        assert!(status.success(), "server failed: {rest}");
        rest
    }))
    .await
    .unwrap()
}

async fn our_server<F, Fut>(handler: F) -> Server
where
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), BoxError>> + Send + 'static,
{
    start_server(
        handler,
        "127.0.0.1",
        0,
        ServerOptions::default().limit(LIMIT),
    )
    .await
    .unwrap()
}

fn port_of(s: &Server) -> u16 {
    s.local_addrs()[0].port()
}

// ----- our server, asyncio client ----------------------------------------

#[tokio::test]
async fn interop_server_line_echo() {
    let server = our_server(|mut r: StreamReader, w: StreamWriter| async move {
        loop {
            let line = r.readline().await?;
            if line.is_empty() {
                return Ok(());
            }
            w.write(&line)?;
            w.drain().await?;
        }
    })
    .await;
    assert_eq!(run_client("echo", port_of(&server)).await, "echo ok\n");
    server.close();
    t(server.wait_closed()).await;
}

#[tokio::test]
async fn interop_server_half_close() {
    let server = our_server(|mut r: StreamReader, w: StreamWriter| async move {
        let data = r.read_to_eof().await?;
        assert!(!w.is_closing(), "plain TCP stays half-open after EOF");
        w.write(b"got ")?;
        w.write(&data)?;
        w.close();
        w.wait_closed().await?;
        Ok(())
    })
    .await;
    assert_eq!(
        run_client("halfclose", port_of(&server)).await,
        "halfclose ok\n"
    );
    server.close();
    t(server.wait_closed()).await;
}

#[tokio::test]
async fn interop_server_big_payload() {
    let server = our_server(|mut r: StreamReader, w: StreamWriter| async move {
        loop {
            let data = r.read(65536).await?;
            if data.is_empty() {
                break;
            }
            w.write(&data)?;
            w.drain().await?;
            assert!(w.get_write_buffer_size() <= 64 * 1024);
        }
        w.close();
        Ok(())
    })
    .await;
    assert_eq!(run_client("big", port_of(&server)).await, "big ok\n");
    server.close();
    t(server.wait_closed()).await;
}

#[tokio::test]
async fn interop_server_line_over_limit() {
    let server = our_server(|mut r: StreamReader, w: StreamWriter| async move {
        let mine = match r.readline().await {
            Err(e) => e.to_string(),
            Ok(_) => "no error".to_owned(),
        };
        w.write(format!("{mine}\n").as_bytes())?;
        w.write(&vec![b'z'; 2000])?;
        w.write(b"\n")?;
        w.drain().await?;
        let _ = r.read_to_eof().await;
        Ok(())
    })
    .await;
    let out = run_client("overlimit", port_of(&server)).await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "server said: Separator is found, but chunk is longer than limit",
            "client said: Separator is found, but chunk is longer than limit",
        ]
    );
    server.close();
    t(server.wait_closed()).await;
}

#[tokio::test]
async fn interop_server_peer_reset() {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let server = our_server(move |mut r: StreamReader, w: StreamWriter| {
        let tx = tx.clone();
        async move {
            let e = r.readline().await.unwrap_err();
            let drain = w.drain().await.map_err(|e| e.kind());
            let closed = w.wait_closed().await.map_err(|e| e.kind());
            let _ = tx.send((e, drain, closed));
            Ok(())
        }
    })
    .await;
    assert_eq!(run_client("reset", port_of(&server)).await, "reset sent\n");
    let mut rx = rx;
    let (e, drain, closed) = t(rx.recv()).await.unwrap();
    match e {
        ReadError::Stored(io) => assert_eq!(io.kind(), io::ErrorKind::ConnectionReset),
        other => panic!("{other:?}"),
    }
    assert_eq!(drain, Err(io::ErrorKind::ConnectionReset));
    assert_eq!(closed, Err(io::ErrorKind::ConnectionReset));
    server.close();
    t(server.wait_closed()).await;
}

// ----- our client, asyncio server ----------------------------------------

#[tokio::test]
async fn interop_client_line_echo() {
    let (child, out, port) = spawn_server("echo");
    let (mut r, w) = t(open_connection(
        "127.0.0.1",
        port,
        OpenOptions::default().limit(LIMIT),
    ))
    .await
    .unwrap();
    for line in [&b"hello\n"[..], b"from rust\n"] {
        w.write(line).unwrap();
        assert_eq!(t(r.readline()).await.unwrap(), line);
    }
    w.close();
    t(w.wait_closed()).await.unwrap();
    assert_eq!(finish_server(child, out).await, "server done\n");
}

#[tokio::test]
async fn interop_client_half_close() {
    let (child, out, port) = spawn_server("halfclose");
    let (mut r, w) = t(open_connection("127.0.0.1", port, OpenOptions::default()))
        .await
        .unwrap();
    w.write(b"request").unwrap();
    w.write_eof();
    assert_eq!(t(r.read_to_eof()).await.unwrap(), "got request");
    assert!(r.at_eof());
    w.close();
    t(w.wait_closed()).await.unwrap();
    assert_eq!(finish_server(child, out).await, "server done\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interop_client_big_payload() {
    let (child, out, port) = spawn_server("big");
    let (mut r, w) = t(open_connection("127.0.0.1", port, OpenOptions::default()))
        .await
        .unwrap();
    let payload: Vec<u8> = (0..BIG).map(|i| (i % 251) as u8).collect();
    let expect = payload.clone();
    let receiving = tokio::spawn(async move { r.readexactly(BIG).await.map(|b| b == expect[..]) });
    for chunk in payload.chunks(1 << 20) {
        w.write(chunk).unwrap();
        t(w.drain()).await.unwrap();
        assert!(w.get_write_buffer_size() <= 64 * 1024);
    }
    w.write_eof();
    assert!(t(receiving).await.unwrap().unwrap(), "echo differs");
    w.close();
    assert_eq!(finish_server(child, out).await, "server done\n");
}

#[tokio::test]
async fn interop_client_line_over_limit() {
    let (child, out, port) = spawn_server("overlimit");
    let (mut r, w) = t(open_connection(
        "127.0.0.1",
        port,
        OpenOptions::default().limit(LIMIT),
    ))
    .await
    .unwrap();
    let mine = t(r.readline()).await.unwrap_err().to_string();
    w.write(&vec![b'y'; 2000]).unwrap();
    w.write(b"\n").unwrap();
    w.close();
    let theirs = finish_server(child, out).await;
    assert_eq!(mine, "Separator is found, but chunk is longer than limit");
    assert_eq!(
        theirs,
        format!("server said: {mine}\nserver done\n"),
        "both sides report the same overrun"
    );
}

#[tokio::test]
async fn interop_client_peer_reset() {
    let (child, out, port) = spawn_server("reset");
    let (mut r, w) = t(open_connection("127.0.0.1", port, OpenOptions::default()))
        .await
        .unwrap();
    match t(r.readline()).await.unwrap_err() {
        ReadError::Stored(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        t(w.drain()).await.unwrap_err().kind(),
        io::ErrorKind::ConnectionReset
    );
    assert_eq!(
        t(w.wait_closed()).await.unwrap_err().kind(),
        io::ErrorKind::ConnectionReset
    );
    assert_eq!(finish_server(child, out).await, "server done\n");
}
