//! [`Server`] (asyncio's `Server`) and its lifecycle: serving, `close`,
//! `wait_closed`, `serve_forever` and the accepted clients, written once
//! for every runtime. Binding, accepting, the handler and the options live
//! in the submodules.

mod accept;
mod bind;
mod handler;
mod options;

pub use accept::{accept_action, AcceptAction, ACCEPT_BACKOFF};
pub use bind::{
    start_server, start_server_with_socket, start_unix_server, start_unix_server_with_socket,
};
pub use handler::{HandlerErrorHook, HandlerFailure, HandlerOutput};
pub use options::{Hosts, ServerOptions};

use crate::addr::Address;
use crate::conn::Shared;
use crate::error::ServerError;
use crate::runtime::{Listener, RuntimeRef};
use accept::accept_loop;
use bind::{remove_if_ours, BoundSocket, UnixCleanup};
use handler::DynHandler;
use std::collections::HashMap;
use std::fmt;
use std::future::poll_fn;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
#[cfg(feature = "tls")]
use std::time::Duration;

/// What the handles, the accept loops and the connections share, behind
/// one lock so that closing, accepting and client tracking see one state.
struct ServerState {
    bound: Vec<BoundSocket>,
    listeners: Vec<Option<Box<dyn Listener>>>,
    serving: bool,
    closed: bool,
    serve_forever: bool,
    /// Every accepted connection that has not ended, from the moment
    /// `accept()` returned it (see [`Client`]).
    clients: HashMap<u64, Client>,
    next_client: u64,
    waiters: Vec<Waker>,
    accept_wakers: Vec<Option<Waker>>,
    cleanup: Option<UnixCleanup>,
}

/// An accepted connection, as the server counts it.
///
/// A connection is counted in the same critical section that accepted it
/// and found the server open, not once it is set up: set-up happens
/// outside the lock, and a `close()` in between would otherwise find no
/// client and let `wait_closed()` (and `serve_forever()`) return before
/// that connection's handler had run.
enum Client {
    /// Accepted, its connection still being set up. Holds what
    /// `close_clients()` or `abort_clients()` asked for meanwhile, to be
    /// done once it is live.
    Accepted(Option<Ending>),
    /// Set up: its driver and handler run.
    Live(Arc<Shared>),
}

/// How `close_clients()` and `abort_clients()` end a connection (an abort
/// overrides a close, as it would on a live connection).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ending {
    Close,
    Abort,
}

impl ServerState {
    /// Counts a connection `accept()` just returned; its id for
    /// [`ServerInner::client_live`] and [`ServerInner::client_gone`].
    fn accept_client(&mut self) -> u64 {
        self.next_client += 1;
        let id = self.next_client;
        self.clients.insert(id, Client::Accepted(None));
        id
    }

    /// Ends every client: the live ones are returned (to end outside the
    /// lock), the ones being set up remember it.
    fn end_clients(&mut self, ending: Ending) -> Vec<Arc<Shared>> {
        let mut live = Vec::new();
        for client in self.clients.values_mut() {
            match client {
                Client::Accepted(asked) => *asked = (*asked).max(Some(ending)),
                Client::Live(shared) => live.push(shared.clone()),
            }
        }
        live
    }
}

/// A server's fixed configuration and its shared state.
struct ServerInner {
    rt: RuntimeRef,
    handler: DynHandler,
    limit: usize,
    backlog: i32,
    on_error: Option<HandlerErrorHook>,
    #[cfg(feature = "tls")]
    ssl: Option<Arc<rustls::ServerConfig>>,
    #[cfg(feature = "tls")]
    ssl_handshake_timeout: Option<Duration>,
    #[cfg(feature = "tls")]
    ssl_shutdown_timeout: Option<Duration>,
    state: Mutex<ServerState>,
}

/// A listening server (asyncio's `Server`), returned by `start_server` and
/// `start_unix_server`. Cloning gives another handle on the same server.
///
/// Dropping the handles does not stop the server: call
/// [`close`](Self::close).
#[derive(Clone)]
pub struct Server {
    inner: Arc<ServerInner>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("sockets", &self.sockets())
            .finish()
    }
}

impl ServerInner {
    fn lock(&self) -> MutexGuard<'_, ServerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wake_waiters(st: &mut ServerState) -> Vec<Waker> {
        std::mem::take(&mut st.waiters)
    }

    /// Client `id` is set up: from now on `close_clients()` and
    /// `abort_clients()` reach it directly; what they asked for while it
    /// was being set up is done now.
    fn client_live(&self, id: u64, shared: &Arc<Shared>) {
        let asked = {
            let mut st = self.lock();
            match st.clients.get_mut(&id) {
                Some(client) => match std::mem::replace(client, Client::Live(shared.clone())) {
                    Client::Accepted(asked) => asked,
                    Client::Live(_) => None,
                },
                // Already ended: nothing to track.
                None => None,
            }
        };
        match asked {
            Some(Ending::Close) => shared.close(),
            Some(Ending::Abort) => shared.abort(),
            None => {}
        }
    }

    /// Client `id` ended (or its set-up failed): `wait_closed()` may be
    /// done.
    fn client_gone(&self, id: u64) {
        let waiters = {
            let mut st = self.lock();
            st.clients.remove(&id);
            Self::wake_waiters(&mut st)
        };
        waiters.into_iter().for_each(Waker::wake);
    }

    fn start_serving(self: &Arc<Self>) -> Result<(), ServerError> {
        let mut st = self.lock();
        if st.closed {
            return Err(ServerError::Closed);
        }
        if st.serving {
            return Ok(());
        }
        let mut listeners = Vec::new();
        for b in &mut st.bound {
            let Some(sock) = b.sock.take() else { continue };
            sock.listen(self.backlog)?;
            sock.set_nonblocking(true)?;
            let l = if b.unix {
                self.rt
                    .unix_listener(std::os::unix::net::UnixListener::from(sock))?
            } else {
                self.rt.tcp_listener(std::net::TcpListener::from(sock))?
            };
            listeners.push(Some(l));
        }
        st.accept_wakers = (0..listeners.len()).map(|_| None).collect();
        let n = listeners.len();
        st.listeners = listeners;
        st.serving = true;
        drop(st);
        for idx in 0..n {
            self.rt.spawn(Box::pin(accept_loop(self.clone(), idx)));
        }
        Ok(())
    }

    fn close(&self) {
        let (wake, listeners, cleanup) = {
            let mut st = self.lock();
            if st.closed {
                return;
            }
            st.closed = true;
            st.serving = false;
            let mut wake: Vec<Waker> = Self::wake_waiters(&mut st);
            wake.extend(st.accept_wakers.iter_mut().filter_map(Option::take));
            let listeners = std::mem::take(&mut st.listeners);
            st.bound.clear();
            (wake, listeners, st.cleanup.take())
        };
        drop(listeners); // closes the listening sockets
        if let Some(c) = cleanup {
            remove_if_ours(&c);
        }
        wake.into_iter().for_each(Waker::wake);
    }
}

impl Server {
    fn new(
        rt: RuntimeRef,
        handler: DynHandler,
        options: &ServerOptions,
        bound: Vec<BoundSocket>,
        cleanup: Option<UnixCleanup>,
    ) -> Server {
        Server {
            inner: Arc::new(ServerInner {
                rt,
                handler,
                limit: options.limit,
                backlog: options.backlog,
                on_error: options.on_handler_error.clone(),
                #[cfg(feature = "tls")]
                ssl: options.ssl.clone(),
                #[cfg(feature = "tls")]
                ssl_handshake_timeout: options.ssl_handshake_timeout,
                #[cfg(feature = "tls")]
                ssl_shutdown_timeout: options.ssl_shutdown_timeout,
                state: Mutex::new(ServerState {
                    bound,
                    listeners: Vec::new(),
                    serving: false,
                    closed: false,
                    serve_forever: false,
                    clients: HashMap::new(),
                    next_client: 0,
                    waiters: Vec::new(),
                    accept_wakers: Vec::new(),
                    cleanup,
                }),
            }),
        }
    }

    /// The local addresses of the listening sockets (asyncio's `sockets`);
    /// empty after [`close`](Self::close).
    pub fn sockets(&self) -> Vec<Address> {
        let st = self.inner.lock();
        if st.closed {
            return Vec::new();
        }
        st.bound.iter().map(|b| b.addr.clone()).collect()
    }

    /// The TCP addresses of the listening sockets (with the ports the
    /// system picked for port 0).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.sockets().iter().filter_map(Address::as_inet).collect()
    }

    /// Whether the server accepts connections.
    pub fn is_serving(&self) -> bool {
        self.inner.lock().serving
    }

    /// Starts listening and accepting; idempotent. Fails with
    /// [`ServerError::Closed`] after [`close`](Self::close).
    pub async fn start_serving(&self) -> Result<(), ServerError> {
        self.inner.start_serving()
    }

    /// Stops accepting and closes the listening sockets (a Unix server also
    /// removes its socket file if it is still its own). Idempotent.
    /// Accepted connections stay open (see
    /// [`close_clients`](Self::close_clients)).
    pub fn close(&self) {
        self.inner.close();
    }

    /// Closes every accepted connection that is still open, after sending
    /// what they buffered.
    pub fn close_clients(&self) {
        let clients = self.inner.lock().end_clients(Ending::Close);
        clients.iter().for_each(|c| c.close());
    }

    /// Aborts every accepted connection that is still open.
    pub fn abort_clients(&self) {
        let clients = self.inner.lock().end_clients(Ending::Abort);
        clients.iter().for_each(|c| c.abort());
    }

    /// How many accepted connections are still open.
    pub fn client_count(&self) -> usize {
        self.inner.lock().clients.len()
    }

    fn poll_closed(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = self.inner.lock();
        if st.closed && st.clients.is_empty() {
            return Poll::Ready(());
        }
        if !st.waiters.iter().any(|w| w.will_wake(cx.waker())) {
            st.waiters.push(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Waits until the server is closed and every accepted connection has
    /// ended (asyncio 3.12.1+). Cancel-safe.
    pub async fn wait_closed(&self) {
        poll_fn(|cx| self.poll_closed(cx)).await
    }

    /// Starts serving if needed, then waits until the server is closed (by
    /// [`close`](Self::close) from another task) and every accepted
    /// connection has ended.
    ///
    /// Fails if the server is already closed or another `serve_forever` is
    /// running.
    pub async fn serve_forever(&self) -> Result<(), ServerError> {
        {
            let mut st = self.inner.lock();
            if st.serve_forever {
                return Err(ServerError::AlreadyServingForever);
            }
            if st.closed {
                return Err(ServerError::Closed);
            }
            st.serve_forever = true;
        }
        struct Reset<'a>(&'a ServerInner);
        impl Drop for Reset<'_> {
            fn drop(&mut self) {
                self.0.lock().serve_forever = false;
            }
        }
        let _reset = Reset(&self.inner);
        self.inner.start_serving()?;
        self.wait_closed().await;
        Ok(())
    }
}

/// Wraps the bound sockets in a [`Server`] and starts serving if asked;
/// a server that cannot start is closed again, so that a failed
/// `start_server` leaves nothing bound.
fn finish(
    rt: RuntimeRef,
    handler: DynHandler,
    options: &ServerOptions,
    bound: Vec<BoundSocket>,
    cleanup: Option<UnixCleanup>,
) -> Result<Server, ServerError> {
    let server = Server::new(rt, handler, options, bound, cleanup);
    if options.start_serving {
        if let Err(e) = server.inner.start_serving() {
            server.close();
            return Err(e);
        }
    }
    Ok(server)
}
