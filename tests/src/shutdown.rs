//! Shutting a server down the way Rust code expects: `wait_closed()`
//! waits for every handler task, not only for the connections (asyncio
//! waits only for the connections); dropping the last handle closes the
//! server; `detach()` lets it serve on without a handle.

use crate::adapters::{poll_once, wait_until, within, Adapter};
use futures::future::{FutureExt, Shared};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use streams_common::{OpenOptions, Server, ServerOptions, StreamReader, StreamWriter};
// The Unix-only tests' runtime wrapper and servers.
#[cfg(unix)]
use crate::layer::{Layered, RuntimeLayer};
#[cfg(unix)]
use futures::future::{AbortHandle, Abortable};
#[cfg(unix)]
use std::io;
#[cfg(unix)]
use std::os::unix::net::UnixStream;
#[cfg(unix)]
use std::path::Path;
#[cfg(unix)]
use std::sync::Mutex;
#[cfg(unix)]
use streams_common::runtime::{BoxFuture, RuntimeRef};

/// How many clients the shutdown tests connect.
const CLIENTS: usize = 3;

/// A signal every handler awaits: sent by the test, or dropped with it (a
/// failed test then lets the handlers end instead of leaving them behind).
type Release = Shared<futures::channel::oneshot::Receiver<()>>;

/// Handlers that outlive their connections: each closes its connection
/// once the client has sent EOF, then goes on working (here: waits for
/// `release`) before it counts itself `done`. In asyncio the server's
/// `wait_closed()` returns as soon as the connections are closed, with
/// the handlers still running (3.12 and 3.13 alike: `0 of 3` done).
async fn server_with_lingering_handlers<A: Adapter>(
    release: Release,
    working: Arc<AtomicUsize>,
    done: Arc<AtomicUsize>,
) -> Server {
    A::t(A::start_server(
        move |mut reader: StreamReader, writer: StreamWriter| {
            let (release, working, done) = (release.clone(), working.clone(), done.clone());
            async move {
                let _ = reader.read_to_eof().await;
                writer.close();
                let _ = writer.wait_closed().await;
                drop(writer);
                working.fetch_add(1, Ordering::SeqCst);
                let _ = release.await;
                done.fetch_add(1, Ordering::SeqCst);
            }
        },
        "127.0.0.1",
        0,
        ServerOptions::default(),
    ))
    .await
    .unwrap()
}

/// `wait_closed()` returns only once every handler task has finished, even
/// one that goes on after its connection has ended: `close()` then
/// `wait_closed()` is a graceful shutdown that can be awaited.
pub async fn wait_closed_waits_for_every_handler_task<A: Adapter>() {
    let (release_tx, release) = futures::channel::oneshot::channel::<()>();
    let working = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let server =
        server_with_lingering_handlers::<A>(release.shared(), working.clone(), done.clone()).await;
    let port = crate::port(&server);
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        clients.push(crate::connect_port::<A>(port, OpenOptions::default()).await);
    }
    wait_until::<A>("every connection registered", || {
        server.client_count() == CLIENTS
    })
    .await;
    server.close();
    for (mut reader, writer) in clients {
        writer.write_eof().unwrap();
        // The handler closed its side: the client sees EOF.
        assert_eq!(A::t(reader.read_to_eof()).await.unwrap(), "");
        writer.close();
        A::t(writer.wait_closed()).await.unwrap();
    }
    // Every connection has ended and every handler is still working.
    wait_until::<A>("every connection ended, every handler working", || {
        server.client_count() == 0 && working.load(Ordering::SeqCst) == CLIENTS
    })
    .await;
    assert_eq!(server.handler_count(), CLIENTS);
    let mut closed = pin!(server.wait_closed());
    assert!(
        poll_once(closed.as_mut()).is_pending(),
        "wait_closed() returned with {} of {CLIENTS} handlers done",
        done.load(Ordering::SeqCst)
    );
    release_tx.send(()).unwrap();
    within::<A, _>("wait_closed() once the handlers are done", closed).await;
    assert_eq!(done.load(Ordering::SeqCst), CLIENTS);
    assert_eq!(server.handler_count(), 0);
}

/// A Unix server whose handlers echo lines until the client's EOF.
#[cfg(unix)]
async fn unix_echo_server<A: Adapter>(path: &Path) -> Server {
    A::t(A::start_unix_server(
        |mut reader: StreamReader, writer: StreamWriter| async move {
            loop {
                let line = reader.readline().await?;
                if line.is_empty() {
                    return Ok::<(), Box<dyn std::error::Error + Send + Sync>>(());
                }
                writer.write(&line)?;
            }
        },
        path,
        ServerOptions::default(),
    ))
    .await
    .unwrap()
}

/// A client of the server at `path` sends `line` and reads it back.
#[cfg(unix)]
async fn echoes<A: Adapter>(reader: &mut StreamReader, writer: &StreamWriter, line: &str) {
    writer.write(line.as_bytes()).unwrap();
    assert_eq!(A::t(reader.readline()).await.unwrap(), line.as_bytes());
}

/// Dropping a handle while another is alive changes nothing; dropping the
/// last one closes the server as `close()` does: no more accepting, the
/// socket file removed, and the connections already accepted go on.
#[cfg(unix)]
pub async fn dropping_the_last_handle_closes_the_server<A: Adapter>() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dropped.sock");
    let server = unix_echo_server::<A>(&path).await;
    let other = server.clone();
    drop(server);
    assert!(other.is_serving(), "a handle is left: still serving");
    let (mut reader, writer) = A::t(A::open_unix_connection(&path, OpenOptions::default()))
        .await
        .unwrap();
    echoes::<A>(&mut reader, &writer, "before\n").await;
    drop(other);
    assert!(!path.exists(), "closed: its socket file removed");
    let refused = A::t(A::open_unix_connection(&path, OpenOptions::default()))
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), Some(io::ErrorKind::NotFound), "{refused}");
    // The accepted connection and its handler go on.
    echoes::<A>(&mut reader, &writer, "after\n").await;
    writer.close();
    A::t(writer.wait_closed()).await.unwrap();
}

/// The adapter's runtime, with every task it spawns abortable by the test
/// and counted while alive: a detached server's tasks can be dropped as a
/// runtime's shutdown drops them.
#[cfg(unix)]
#[derive(Clone)]
struct AbortableRuntime {
    inner: RuntimeRef,
    handles: Arc<Mutex<Vec<AbortHandle>>>,
    alive: Arc<AtomicUsize>,
}

/// Uncounts a task of [`AbortableRuntime`] when its future is dropped.
#[cfg(unix)]
struct Alive(Arc<AtomicUsize>);

#[cfg(unix)]
impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(unix)]
impl AbortableRuntime {
    fn abort_all(&self) {
        self.handles
            .lock()
            .unwrap()
            .iter()
            .for_each(AbortHandle::abort);
    }
}

#[cfg(unix)]
impl RuntimeLayer for AbortableRuntime {
    fn inner(&self) -> &RuntimeRef {
        &self.inner
    }
    fn spawn(&self, future: BoxFuture<()>) {
        let (handle, registration) = AbortHandle::new_pair();
        self.handles.lock().unwrap().push(handle);
        self.alive.fetch_add(1, Ordering::SeqCst);
        let alive = Alive(self.alive.clone());
        self.inner
            .spawn(Box::pin(Abortable::new(future, registration).map(
                move |_| {
                    drop(alive);
                },
            )));
    }
}

/// A detached server serves on with every handle dropped, until its
/// runtime drops its tasks (here: aborted by the test, as a runtime's
/// shutdown drops them).
#[cfg(unix)]
pub async fn detached_server_serves_on_without_a_handle<A: Adapter>() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("detached.sock");
    let rt = Layered(AbortableRuntime {
        inner: A::runtime(),
        handles: Arc::default(),
        alive: Arc::default(),
    });
    let server = A::t(streams_common::start_unix_server(
        Arc::new(rt.clone()),
        |mut reader: StreamReader, writer: StreamWriter| async move {
            let line = reader.readline().await?;
            writer.write(&line)?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        },
        &path,
        ServerOptions::default(),
    ))
    .await
    .unwrap();
    let other = server.clone();
    server.detach();
    drop(other);
    assert!(path.exists(), "detached: its socket file stays");
    for line in ["first\n", "second\n"] {
        let (mut reader, writer) = A::t(A::open_unix_connection(&path, OpenOptions::default()))
            .await
            .unwrap();
        echoes::<A>(&mut reader, &writer, line).await;
        assert_eq!(A::t(reader.read_to_eof()).await.unwrap(), "");
    }
    rt.abort_all();
    wait_until::<A>("every task of the server dropped", || {
        rt.alive.load(Ordering::SeqCst) == 0
    })
    .await;
    // Its listening socket is closed with them (the file is not removed:
    // nothing closed the server).
    let e = UnixStream::connect(&path).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}");
}
