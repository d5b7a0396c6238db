//! Interoperability with CPython's asyncio as the peer: our server against
//! an asyncio client, our client against an asyncio server (the peers are
//! in `tests/peers/`). Uses a pyenv 3.13 interpreter when there is one,
//! otherwise `python3`.

use crate::adapters::Adapter;
use crate::peers::{self, PeerServer, PEER_TIMEOUT};
use futures::channel::mpsc;
use futures::StreamExt;
use std::io;
use streams_common::{OpenOptions, ReadError, Server, ServerOptions, StreamReader, StreamWriter};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const LIMIT: usize = 1024;
const BIG: usize = 16 * 1024 * 1024;

/// Runs the asyncio client in `mode` against `port`; returns its output.
async fn run_client<A: Adapter>(mode: &str, port: u16) -> String {
    peers::run_client::<A>(
        "asyncio_client.py",
        vec![mode.into(), port.to_string().into()],
    )
    .await
}

/// Starts the asyncio server in `mode`.
async fn spawn_server<A: Adapter>(mode: &str) -> PeerServer {
    PeerServer::start::<A>("asyncio_server.py", vec![mode.into()]).await
}

async fn our_server<A, F, Fut>(handler: F) -> Server
where
    A: Adapter,
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), BoxError>> + Send + 'static,
{
    A::t(A::start_server(
        handler,
        "127.0.0.1",
        0,
        ServerOptions::default().limit(LIMIT),
    ))
    .await
    .unwrap()
}

// ----- our server, asyncio client ----------------------------------------

/// Our server echoes lines to asyncio's client.
pub async fn interop_server_line_echo<A: Adapter>() {
    if crate::skip_without(crate::python()) {
        return;
    }
    let server = our_server::<A, _, _>(|mut r: StreamReader, w: StreamWriter| async move {
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
    assert_eq!(
        run_client::<A>("echo", crate::port(&server)).await,
        "echo ok\n"
    );
    server.close();
    A::t(server.wait_closed()).await;
}

/// asyncio's client half-closes; our server answers after EOF.
pub async fn interop_server_half_close<A: Adapter>() {
    if crate::skip_without(crate::python()) {
        return;
    }
    let server = our_server::<A, _, _>(|mut r: StreamReader, w: StreamWriter| async move {
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
        run_client::<A>("halfclose", crate::port(&server)).await,
        "halfclose ok\n"
    );
    server.close();
    A::t(server.wait_closed()).await;
}

/// 16 MiB echoed by our server with flow control.
pub async fn interop_server_big_payload<A: Adapter>() {
    if crate::skip_without(crate::python()) {
        return;
    }
    let server = our_server::<A, _, _>(|mut r: StreamReader, w: StreamWriter| async move {
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
    assert_eq!(
        run_client::<A>("big", crate::port(&server)).await,
        "big ok\n"
    );
    server.close();
    A::t(server.wait_closed()).await;
}

/// Both sides report a line over the limit with the same text.
pub async fn interop_server_line_over_limit<A: Adapter>() {
    if crate::skip_without(crate::python()) {
        return;
    }
    let server = our_server::<A, _, _>(|mut r: StreamReader, w: StreamWriter| async move {
        let mine = match r.readline().await {
            Err(e) => e.to_string(),
            Ok(_) => "no error".to_owned(),
        };
        w.write(format!("{mine}\n").as_bytes())?;
        // The long line in one write, so it leaves in one piece: which
        // overrun asyncio reports depends on how the line is chunked, and
        // the driver may send a first write before a second is buffered.
        let mut line = vec![b'z'; 2000];
        line.push(b'\n');
        w.write(&line)?;
        w.drain().await?;
        let _ = r.read_to_eof().await;
        Ok(())
    })
    .await;
    let out = run_client::<A>("overlimit", crate::port(&server)).await;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "server said: Separator is found, but chunk is longer than limit",
            "client said: Separator is found, but chunk is longer than limit",
        ]
    );
    server.close();
    A::t(server.wait_closed()).await;
}

/// asyncio's client resets; our server's read, drain and wait_closed see it.
pub async fn interop_server_peer_reset<A: Adapter>() {
    if crate::skip_without(crate::python()) {
        return;
    }
    let (tx, mut rx) = mpsc::unbounded();
    let server = our_server::<A, _, _>(move |mut r: StreamReader, w: StreamWriter| {
        let tx = tx.clone();
        async move {
            let e = r.readline().await.unwrap_err();
            let drain = w.drain().await.map_err(|e| e.kind());
            let closed = w.wait_closed().await.map_err(|e| e.kind());
            let _ = tx.unbounded_send((e, drain, closed));
            Ok(())
        }
    })
    .await;
    assert_eq!(
        run_client::<A>("reset", crate::port(&server)).await,
        "reset sent\n"
    );
    let (e, drain, closed) = A::t(rx.next()).await.unwrap();
    match e {
        ReadError::Stored(io) => assert_eq!(io.kind(), io::ErrorKind::ConnectionReset),
        other => panic!("{other:?}"),
    }
    assert_eq!(drain, Err(io::ErrorKind::ConnectionReset));
    assert_eq!(closed, Err(io::ErrorKind::ConnectionReset));
    server.close();
    A::t(server.wait_closed()).await;
}

// ----- our client, asyncio server ----------------------------------------

/// Our client's lines echoed by asyncio's server.
pub async fn interop_client_line_echo<A: Adapter>() {
    if crate::skip_without(crate::python()) {
        return;
    }
    let server = spawn_server::<A>("echo").await;
    let (mut r, w) =
        crate::connect_port::<A>(server.port, OpenOptions::default().limit(LIMIT)).await;
    for line in [&b"hello\n"[..], b"from rust\n"] {
        w.write(line).unwrap();
        assert_eq!(A::t(r.readline()).await.unwrap(), line);
    }
    w.close();
    A::t(w.wait_closed()).await.unwrap();
    assert_eq!(server.finish::<A>().await, "server done\n");
}

/// Our client half-closes; asyncio's server answers after EOF.
pub async fn interop_client_half_close<A: Adapter>() {
    if crate::skip_without(crate::python()) {
        return;
    }
    let server = spawn_server::<A>("halfclose").await;
    let (mut r, w) = crate::connect_port::<A>(server.port, OpenOptions::default()).await;
    w.write(b"request").unwrap();
    w.write_eof().unwrap();
    assert_eq!(A::t(r.read_to_eof()).await.unwrap(), "got request");
    assert!(r.at_eof());
    w.close();
    A::t(w.wait_closed()).await.unwrap();
    assert_eq!(server.finish::<A>().await, "server done\n");
}

/// 16 MiB sent with flow control and echoed back by asyncio's server.
pub async fn interop_client_big_payload<A: Adapter>() {
    if crate::skip_without(crate::python()) {
        return;
    }
    let server = spawn_server::<A>("big").await;
    let (mut r, w) = crate::connect_port::<A>(server.port, OpenOptions::default()).await;
    let payload: Vec<u8> = (0..BIG).map(|i| (i % 251) as u8).collect();
    let expect = payload.clone();
    let receiving = A::spawn(async move { r.readexactly(BIG).await.map(|b| b == expect[..]) });
    for chunk in payload.chunks(1 << 20) {
        w.write(chunk).unwrap();
        A::t(w.drain()).await.unwrap();
        assert!(w.get_write_buffer_size() <= 64 * 1024);
    }
    w.write_eof().unwrap();
    assert!(
        A::t_for(PEER_TIMEOUT, receiving).await.unwrap(),
        "echo differs"
    );
    w.close();
    assert_eq!(server.finish::<A>().await, "server done\n");
}

/// Our client's over-long line error matches asyncio's text.
pub async fn interop_client_line_over_limit<A: Adapter>() {
    if crate::skip_without(crate::python()) {
        return;
    }
    let server = spawn_server::<A>("overlimit").await;
    let (mut r, w) =
        crate::connect_port::<A>(server.port, OpenOptions::default().limit(LIMIT)).await;
    let mine = A::t(r.readline()).await.unwrap_err().to_string();
    // One write, so the line leaves in one piece: which overrun asyncio
    // reports depends on how the line was chunked (the flush task may send
    // a first write before a second one is buffered).
    let mut line = vec![b'y'; 2000];
    line.push(b'\n');
    w.write(&line).unwrap();
    w.close();
    let theirs = server.finish::<A>().await;
    assert_eq!(mine, "Separator is found, but chunk is longer than limit");
    assert_eq!(
        theirs,
        format!("server said: {mine}\nserver done\n"),
        "both sides report the same overrun"
    );
}

/// asyncio's server resets; our client's read, drain and wait_closed see it.
pub async fn interop_client_peer_reset<A: Adapter>() {
    if crate::skip_without(crate::python()) {
        return;
    }
    let server = spawn_server::<A>("reset").await;
    let (mut r, w) = crate::connect_port::<A>(server.port, OpenOptions::default()).await;
    match A::t(r.readline()).await.unwrap_err() {
        ReadError::Stored(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        A::t(w.drain()).await.unwrap_err().kind(),
        io::ErrorKind::ConnectionReset
    );
    assert_eq!(
        A::t(w.wait_closed()).await.unwrap_err().kind(),
        io::ErrorKind::ConnectionReset
    );
    assert_eq!(server.finish::<A>().await, "server done\n");
}
