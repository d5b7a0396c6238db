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
