//! [`Server`] (asyncio's `Server`) and its lifecycle: serving, `close`,
//! `wait_closed`, `serve_forever`, the accepted clients and the handler
//! tasks still running, what dropping the handles does, written once for
//! every runtime. Binding, accepting, the handler and the options live in
//! the submodules.

mod accept;
mod bind;
mod handler;
mod options;
#[cfg(unix)]
mod unix;

pub use accept::{accept_action, AcceptAction, ACCEPT_BACKOFF};
pub use bind::{start_server, start_server_with_socket};
pub use handler::{HandlerErrorHook, HandlerFailure, HandlerOutput};
pub use options::{Hosts, ServerOptions};
#[cfg(unix)]
pub use unix::{start_unix_server, start_unix_server_with_socket};

use crate::addr::Address;
use crate::conn::Shared;
use crate::error::ServerError;
use crate::runtime::{Listener, RuntimeRef};
use accept::accept_loop;
use bind::BoundSocket;
use handler::DynHandler;
#[cfg(not(unix))]
use nothing_to_clean::{remove_if_ours, UnixCleanup};
use std::collections::HashMap;
use std::fmt;
use std::future::poll_fn;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
#[cfg(feature = "tls")]
use std::time::Duration;
#[cfg(unix)]
use unix::{remove_if_ours, UnixCleanup};

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
    /// Handler tasks that have not finished, counted from the moment
    /// their connection was accepted (with its client entry, for the same
    /// reason) until the task ends (see [`HandlerTask`]). A handler may
    /// outlive its connection, so this is not `clients.len()`.
    handlers: usize,
    /// [`Server::detach`] was called: dropping the handles leaves the
    /// server serving.
    detached: bool,
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
        self.handlers += 1;
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

/// One accepted connection's handler task, from its accept until the task
/// ends: dropping it uncounts the task, whether the handler returned,
/// failed, panicked, its TLS handshake or set-up failed, or the runtime
/// dropped the task unfinished.
pub(super) struct HandlerTask(Arc<ServerInner>);

impl Drop for HandlerTask {
    fn drop(&mut self) {
        let waiters = {
            let mut st = self.0.lock();
            st.handlers = st.handlers.saturating_sub(1);
            ServerInner::wake_waiters(&mut st)
        };
        waiters.into_iter().for_each(Waker::wake);
    }
}

/// Shared by the user's [`Server`] handles only (the accept loops and the
/// handler tasks hold the [`ServerInner`] itself): when the last handle
/// is dropped, it closes the server unless [`Server::detach`] was called.
struct Owner(Arc<ServerInner>);

impl Drop for Owner {
    fn drop(&mut self) {
        let detached = self.0.lock().detached;
        if !detached {
            self.0.close();
        }
    }
}

/// A listening server (asyncio's `Server`), returned by `start_server` and
/// `start_unix_server`. Cloning gives another handle on the same server.
///
/// # Dropping the handles closes the server
///
/// When the last handle is dropped, the server is closed as by
/// [`close`](Self::close): it stops accepting, its listening sockets are
/// closed (a Unix server's socket file removed if it is still its own).
/// The connections already accepted and their handlers go on, as after
/// `close()`. This is where the crate differs from asyncio, whose event
/// loop keeps an unreferenced server serving: a Rust value that owns
/// sockets closes them when dropped (as a `TcpListener` does), and a
/// server that serves on once its last handle is gone could never be
/// stopped. To serve on without a handle, say so with
/// [`detach`](Self::detach). A handle moved into the handler closure is
/// one of the handles: while the server holds its handler, that handle
/// keeps the server from being closed by a drop.
///
/// ```no_run
/// # async fn f(rt: streams_common::runtime::RuntimeRef) -> Result<(), Box<dyn std::error::Error>> {
/// use streams_common::{start_server, ServerOptions, StreamReader, StreamWriter};
/// let handler = |_reader: StreamReader, _writer: StreamWriter| async {};
/// {
///     let server =
///         start_server(rt.clone(), handler, "127.0.0.1".into(), 0, ServerOptions::default())
///             .await?;
///     // ... serving ...
/// } // dropped: closed here
/// // Serves until the runtime ends, with no handle left to stop it.
/// start_server(rt, handler, "127.0.0.1".into(), 8888, ServerOptions::default())
///     .await?
///     .detach();
/// # Ok(()) }
/// ```
///
/// # Graceful shutdown
///
/// [`close`](Self::close) then [`wait_closed`](Self::wait_closed) (or
/// [`serve_forever`](Self::serve_forever) returning) waits until every
/// connection has ended *and every handler task has finished*; use
/// [`close_clients`](Self::close_clients) or
/// [`abort_clients`](Self::abort_clients) to end the connections rather
/// than wait for the peers.
#[derive(Clone)]
#[must_use = "dropping the last handle of a server closes it: keep it, or call `detach()`"]
pub struct Server {
    inner: Arc<ServerInner>,
    /// Shared by the handles only: its drop closes the server.
    _owner: Arc<Owner>,
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
            #[cfg(unix)]
            let l = if b.unix {
                self.rt
                    .unix_listener(std::os::unix::net::UnixListener::from(sock))?
            } else {
                self.rt.tcp_listener(std::net::TcpListener::from(sock))?
            };
            #[cfg(not(unix))]
            let l = if b.unix {
                return Err(crate::sys::no_unix_sockets().into());
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
        let inner = Arc::new(ServerInner {
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
                handlers: 0,
                detached: false,
                waiters: Vec::new(),
                accept_wakers: Vec::new(),
                cleanup,
            }),
        });
        Server {
            _owner: Arc::new(Owner(inner.clone())),
            inner,
        }
    }

    /// The local addresses of the listening sockets (asyncio's `sockets`);
    /// empty after [`close`](Self::close).
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// # let handler = |_r: StreamReader, _w: StreamWriter| async {};
    /// let server = start_server(rt, handler, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// let sockets = server.sockets();
    /// assert_eq!(sockets.len(), 1);
    /// assert!(matches!(sockets[0], Address::Inet(a) if a.port() != 0)); // the port picked
    /// server.close();
    /// assert!(server.sockets().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use]
    pub fn sockets(&self) -> Vec<Address> {
        let st = self.inner.lock();
        if st.closed {
            return Vec::new();
        }
        st.bound.iter().map(|b| b.addr.clone()).collect()
    }

    /// The TCP addresses of the listening sockets (with the ports the
    /// system picked for port 0).
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// # let echo = |mut r: StreamReader, w: StreamWriter| async move {
    /// #     while let Ok(line) = r.readline().await {
    /// #         if line.is_empty() || w.write(&line).is_err() { break }
    /// #     }
    /// # };
    /// let server = start_server(rt.clone(), echo, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// let addr = server.local_addrs()[0];
    /// assert!(addr.ip().is_loopback() && addr.port() != 0); // the port the system picked
    /// let (mut reader, writer) = open_connection(&*rt, "127.0.0.1", addr.port(), OpenOptions::default()).await?;
    /// writer.write(b"hi\n")?;
    /// assert_eq!(reader.readline().await?, "hi\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use]
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.sockets().iter().filter_map(Address::as_inet).collect()
    }

    /// Whether the server accepts connections.
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// # let greet = |mut r: StreamReader, w: StreamWriter| async move {
    /// #     let _ = w.write(b"hello\n");
    /// #     let _ = r.read_to_eof().await;
    /// # };
    /// let options = ServerOptions::default().start_serving(false);
    /// let server = start_server(rt, greet, "127.0.0.1".into(), 0, options).await?;
    /// assert!(!server.is_serving()); // bound, not yet listening
    /// server.start_serving().await?;
    /// assert!(server.is_serving());
    /// server.close();
    /// assert!(!server.is_serving());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use]
    pub fn is_serving(&self) -> bool {
        self.inner.lock().serving
    }

    /// Starts listening and accepting; idempotent. Fails with
    /// [`ServerError::Closed`] after [`close`](Self::close).
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// # let greet = |mut r: StreamReader, w: StreamWriter| async move {
    /// #     let _ = w.write(b"hello\n");
    /// #     let _ = r.read_to_eof().await;
    /// # };
    /// let options = ServerOptions::default().start_serving(false);
    /// let server = start_server(rt.clone(), greet, "127.0.0.1".into(), 0, options).await?;
    /// let port = server.local_addrs()[0].port();
    /// assert!(open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await.is_err()); // refused
    /// server.start_serving().await?;
    /// server.start_serving().await?; // idempotent
    /// let (mut reader, _writer) = open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await?;
    /// assert_eq!(reader.readline().await?, "hello\n");
    /// server.close();
    /// assert!(matches!(server.start_serving().await, Err(ServerError::Closed)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    pub async fn start_serving(&self) -> Result<(), ServerError> {
        self.inner.start_serving()
    }

    /// Stops accepting and closes the listening sockets (a Unix server also
    /// removes its socket file if it is still its own). Idempotent.
    /// Accepted connections stay open (see
    /// [`close_clients`](Self::close_clients)).
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// # let echo = |mut r: StreamReader, w: StreamWriter| async move {
    /// #     while let Ok(line) = r.readline().await {
    /// #         if line.is_empty() || w.write(&line).is_err() { break }
    /// #     }
    /// # };
    /// let server = start_server(rt.clone(), echo, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// let port = server.local_addrs()[0].port();
    /// let (mut reader, writer) = open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await?;
    /// writer.write(b"one\n")?;
    /// assert_eq!(reader.readline().await?, "one\n"); // accepted and served
    /// server.close();
    /// server.close(); // idempotent
    /// // No new connection...
    /// assert!(open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await.is_err());
    /// // ...but the accepted one goes on.
    /// writer.write(b"two\n")?;
    /// assert_eq!(reader.readline().await?, "two\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    pub fn close(&self) {
        self.inner.close();
    }

    /// Closes every accepted connection that is still open, after sending
    /// what they buffered.
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// # let greet = |mut r: StreamReader, w: StreamWriter| async move {
    /// #     let _ = w.write(b"hello\n");
    /// #     let _ = r.read_to_eof().await;
    /// # };
    /// let server = start_server(rt.clone(), greet, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// let port = server.local_addrs()[0].port();
    /// let (mut reader, _writer) = open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await?;
    /// assert_eq!(reader.readline().await?, "hello\n"); // accepted
    /// server.close();
    /// server.close_clients();
    /// assert_eq!(reader.readline().await?, ""); // EOF: the server closed its end
    /// server.wait_closed().await;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    pub fn close_clients(&self) {
        let clients = self.inner.lock().end_clients(Ending::Close);
        clients.iter().for_each(|c| c.close());
    }

    /// Aborts every accepted connection that is still open.
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// # let greet = |mut r: StreamReader, w: StreamWriter| async move {
    /// #     let _ = w.write(b"hello\n");
    /// #     let _ = r.read_to_eof().await;
    /// # };
    /// let server = start_server(rt.clone(), greet, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// let port = server.local_addrs()[0].port();
    /// let (mut reader, _writer) = open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await?;
    /// assert_eq!(reader.readline().await?, "hello\n"); // accepted
    /// server.close();
    /// server.abort_clients(); // closed at once, without sending what they buffered
    /// assert_eq!(reader.readline().await?, "");
    /// server.wait_closed().await;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    pub fn abort_clients(&self) {
        let clients = self.inner.lock().end_clients(Ending::Abort);
        clients.iter().for_each(|c| c.abort());
    }

    /// How many accepted connections are still open.
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// # let greet = |mut r: StreamReader, w: StreamWriter| async move {
    /// #     let _ = w.write(b"hello\n");
    /// #     let _ = r.read_to_eof().await;
    /// # };
    /// let server = start_server(rt.clone(), greet, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// let port = server.local_addrs()[0].port();
    /// assert_eq!(server.client_count(), 0);
    /// let (mut reader, writer) = open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await?;
    /// assert_eq!(reader.readline().await?, "hello\n"); // accepted: counted
    /// assert_eq!(server.client_count(), 1);
    /// writer.close(); // the client leaves
    /// server.close();
    /// server.wait_closed().await;
    /// assert_eq!(server.client_count(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use]
    pub fn client_count(&self) -> usize {
        self.inner.lock().clients.len()
    }

    /// How many handler tasks have not finished yet (counted from their
    /// connection's accept, so a connection still being set up counts). A
    /// handler may go on after its connection has ended, so this can be
    /// more than [`client_count`](Self::client_count).
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// // A handler that goes on after its connection has ended, until told to stop.
    /// let (stop, stopped) = futures::channel::oneshot::channel::<()>();
    /// let stopped = std::sync::Mutex::new(Some(stopped));
    /// let handler = move |_reader: StreamReader, writer: StreamWriter| {
    ///     let stopped = stopped.lock().unwrap().take();
    ///     async move {
    ///         writer.close();
    ///         if let Some(stopped) = stopped {
    ///             let _ = stopped.await;
    ///         }
    ///     }
    /// };
    /// let server = start_server(rt.clone(), handler, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// let port = server.local_addrs()[0].port();
    /// let (mut reader, _writer) = open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await?;
    /// assert_eq!(reader.readline().await?, ""); // the handler closed the connection...
    /// server.close();
    /// assert_eq!(server.handler_count(), 1); // ...and still runs
    /// stop.send(()).unwrap();
    /// server.wait_closed().await;
    /// assert_eq!((server.client_count(), server.handler_count()), (0, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use]
    pub fn handler_count(&self) -> usize {
        self.inner.lock().handlers
    }

    /// Lets the server serve on once every handle is dropped, instead of
    /// being closed with the last one (see [the type's
    /// documentation](Self#dropping-the-handles-closes-the-server)). It
    /// then serves until the runtime drops its tasks or the process ends,
    /// or until [`close`](Self::close) is called on a handle kept
    /// elsewhere. This is what asyncio does with a server nobody refers
    /// to.
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// # let greet = |mut r: StreamReader, w: StreamWriter| async move {
    /// #     let _ = w.write(b"hello\n");
    /// #     let _ = r.read_to_eof().await;
    /// # };
    /// let server = start_server(rt.clone(), greet, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// let port = server.local_addrs()[0].port();
    /// drop(server); // the last handle: the server is closed
    /// assert!(open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await.is_err());
    ///
    /// let server = start_server(rt.clone(), greet, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// let port = server.local_addrs()[0].port();
    /// server.detach(); // no handle left, and still serving
    /// let (mut reader, _writer) = open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await?;
    /// assert_eq!(reader.readline().await?, "hello\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    pub fn detach(self) {
        self.inner.lock().detached = true;
    }

    fn poll_closed(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = self.inner.lock();
        if st.closed && st.clients.is_empty() && st.handlers == 0 {
            return Poll::Ready(());
        }
        if !st.waiters.iter().any(|w| w.will_wake(cx.waker())) {
            st.waiters.push(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Waits until the server is closed, every accepted connection has
    /// ended (asyncio 3.12.1+) and every handler task has finished: after
    /// [`close`](Self::close), an awaitable graceful shutdown, as
    /// tokio-util's `TaskTracker::wait` gives. Cancel-safe; cancelling one
    /// call does not affect the others.
    ///
    /// asyncio's `wait_closed` (3.12.1 to 3.13) waits for the connections
    /// only, and returns while a handler that outlives its connection
    /// still runs; a handler that never returns after its connection has
    /// ended therefore keeps this waiting, where asyncio's would not.
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// # let greet = |mut r: StreamReader, w: StreamWriter| async move {
    /// #     let _ = w.write(b"hello\n");
    /// #     let _ = r.read_to_eof().await;
    /// # };
    /// # let server = start_server(rt.clone(), greet, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// # let port = server.local_addrs()[0].port();
    /// # let (mut reader, _writer) = open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await?;
    /// # assert_eq!(reader.readline().await?, "hello\n"); // accepted
    /// server.close(); // stop accepting
    /// assert_eq!(server.client_count(), 1); // the accepted connection goes on...
    /// server.close_clients(); // ...until ended here (or by the peer)
    /// server.wait_closed().await; // every connection and handler is done
    /// assert_eq!((server.client_count(), server.handler_count()), (0, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    pub async fn wait_closed(&self) {
        poll_fn(|cx| self.poll_closed(cx)).await
    }

    /// Starts serving if needed, then waits until the server is closed (by
    /// [`close`](Self::close) from another task), every accepted
    /// connection has ended and every handler task has finished (as
    /// [`wait_closed`](Self::wait_closed)).
    ///
    /// Fails if the server is already closed or another `serve_forever` is
    /// running.
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// # let greet = |mut r: StreamReader, w: StreamWriter| async move {
    /// #     let _ = w.write(b"hello\n");
    /// #     let _ = r.read_to_eof().await;
    /// # };
    /// let server = start_server(rt.clone(), greet, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// let port = server.local_addrs()[0].port();
    /// let client = async {
    ///     let (mut reader, _writer) = open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await?;
    ///     assert_eq!(reader.readline().await?, "hello\n");
    ///     server.close(); // from another task: serve_forever returns once
    ///     server.close_clients(); // every connection and handler is done
    ///     Ok::<_, Box<dyn std::error::Error>>(())
    /// };
    /// let (served, talked) = futures::join!(server.serve_forever(), client);
    /// served?;
    /// talked?;
    /// assert!(matches!(server.serve_forever().await, Err(ServerError::Closed)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
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

/// Without Unix-domain servers there is never a socket file to remove.
#[cfg(not(unix))]
mod nothing_to_clean {
    /// No value: no server has a socket file to clean up.
    pub(super) enum UnixCleanup {}

    pub(super) fn remove_if_ours(c: &UnixCleanup) {
        match *c {}
    }
}
