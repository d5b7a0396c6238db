//! `start_server`, `start_unix_server` and [`Server`], written once for
//! every runtime: binding, the accept loop with its backoff, the handler
//! tasks, client tracking and the lifecycle (`close`, `wait_closed`,
//! `serve_forever`, ...).

use crate::addr::{py_sockaddr, Address};
use crate::conn::{new_connection, NewConnection, Shared, StreamReader, StreamWriter};
use crate::connect::{bind_error, Family};
use crate::error::{ArgumentError, ServerError};
use crate::runtime::{BoxFuture, Listener, RuntimeRef};
use crate::tls::TlsSetup;
use reader_core::DEFAULT_LIMIT;
use socket2::{Domain, SockAddr, Type};
use std::collections::HashMap;
use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// How long accepting pauses after running out of descriptors or memory.
pub const ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// What the accept loop does after `accept()` failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcceptAction {
    /// A problem with that one connection (it was aborted before it was
    /// accepted, say): skip it and accept the next at once.
    Skip,
    /// Out of a resource (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`): report
    /// it once, stop accepting and retry after the delay. The listening
    /// socket stays readable meanwhile, so retrying at once would spin.
    Backoff(Duration),
}

/// The accept loop's rule for an error (asyncio's, plus a backoff for
/// unexpected errors so that a persistent one cannot make the loop spin).
pub fn accept_action(e: &io::Error) -> AcceptAction {
    match e.raw_os_error() {
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM) => {
            AcceptAction::Backoff(ACCEPT_BACKOFF)
        }
        // Errors about the one pending connection (accept(2) asks to treat
        // the network errors like EAGAIN).
        Some(
            libc::ECONNABORTED
            | libc::EINTR
            | libc::EAGAIN
            | libc::EPROTO
            | libc::EPERM
            | libc::ENETDOWN
            | libc::ENOPROTOOPT
            | libc::EHOSTDOWN
            | libc::ENONET
            | libc::EHOSTUNREACH
            | libc::EOPNOTSUPP
            | libc::ENETUNREACH,
        ) => AcceptAction::Skip,
        _ => match e.kind() {
            io::ErrorKind::ConnectionAborted
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock => AcceptAction::Skip,
            _ => AcceptAction::Backoff(ACCEPT_BACKOFF),
        },
    }
}

/// A failure of a connection handler, as reported to
/// [`ServerOptions::on_handler_error`].
#[derive(Debug)]
pub enum HandlerFailure {
    /// The handler returned this error.
    Error(Box<dyn std::error::Error + Send + Sync>),
    /// The handler panicked with this message.
    Panic(String),
}

impl fmt::Display for HandlerFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandlerFailure::Error(e) => e.fmt(f),
            HandlerFailure::Panic(m) => write!(f, "handler panicked: {m}"),
        }
    }
}

/// A hook called with every handler failure (besides the `tracing` error
/// event the server always emits).
pub type HandlerErrorHook = Arc<dyn Fn(&HandlerFailure, Option<&Address>) + Send + Sync>;

/// What a connection handler may return: `()` or a `Result` whose error is
/// reported.
pub trait HandlerOutput: Send + 'static {
    /// The handler's outcome as a result.
    fn into_result(self) -> Result<(), Box<dyn std::error::Error + Send + Sync>>;
}

impl HandlerOutput for () {
    fn into_result(self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Ok(())
    }
}

impl<E> HandlerOutput for Result<(), E>
where
    E: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    fn into_result(self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.map_err(Into::into)
    }
}

type DynHandler = Arc<
    dyn Fn(
            StreamReader,
            StreamWriter,
        ) -> BoxFuture<Result<(), Box<dyn std::error::Error + Send + Sync>>>
        + Send
        + Sync,
>;

/// Wraps an async closure `|reader, writer| async { ... }` as a handler.
pub(crate) fn box_handler<F, Fut>(handler: F) -> DynHandler
where
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerOutput,
{
    Arc::new(move |r, w| {
        let fut = handler(r, w);
        Box::pin(async move { fut.await.into_result() })
    })
}

/// The hosts a server binds to (asyncio's `host=` argument): none or `""`
/// for every interface, one name or address, or several (duplicates
/// removed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hosts(pub Vec<String>);

impl From<&str> for Hosts {
    fn from(h: &str) -> Self {
        if h.is_empty() {
            Hosts(Vec::new())
        } else {
            Hosts(vec![h.to_owned()])
        }
    }
}
impl From<String> for Hosts {
    fn from(h: String) -> Self {
        Hosts::from(h.as_str())
    }
}
impl From<Option<&str>> for Hosts {
    fn from(h: Option<&str>) -> Self {
        h.map(Hosts::from).unwrap_or_default()
    }
}
impl From<&[&str]> for Hosts {
    fn from(h: &[&str]) -> Self {
        Hosts(h.iter().map(|s| (*s).to_owned()).collect())
    }
}
impl<const N: usize> From<[&str; N]> for Hosts {
    fn from(h: [&str; N]) -> Self {
        Hosts(h.iter().map(|s| (*s).to_owned()).collect())
    }
}
impl From<Vec<&str>> for Hosts {
    fn from(h: Vec<&str>) -> Self {
        Hosts::from(h.as_slice())
    }
}

/// Options of `start_server` and `start_unix_server`, with asyncio's
/// defaults (`ServerOptions::default()`).
#[derive(Clone)]
#[non_exhaustive]
pub struct ServerOptions {
    /// Each connection's reader buffer limit (64 KiB). asyncio accepts 0
    /// and then drops every connection; this crate rejects it up front.
    pub limit: usize,
    /// Restrict binding to one family.
    pub family: Family,
    /// The listen backlog (100).
    pub backlog: i32,
    /// `SO_REUSEADDR` (on, as asyncio on POSIX).
    pub reuse_address: bool,
    /// `SO_REUSEPORT` (off).
    pub reuse_port: bool,
    /// `SO_KEEPALIVE` on the listening sockets (off).
    pub keep_alive: bool,
    /// Start accepting at once (on). When off, the sockets are bound but
    /// not listening until [`Server::start_serving`].
    pub start_serving: bool,
    /// Called when a handler fails (returns an error or panics).
    pub on_handler_error: Option<HandlerErrorHook>,
    /// Unix servers: remove the socket file on close if it is still ours
    /// (asyncio 3.13's `cleanup_socket`, on).
    pub cleanup_socket: bool,
    /// asyncio's `ssl=`: serve TLS with this configuration (see
    /// [`crate::tls::server_config`]). Each connection's handler runs once
    /// its handshake is done; a connection whose handshake fails or times
    /// out is dropped without running the handler.
    pub ssl: Option<Arc<rustls::ServerConfig>>,
    /// asyncio's `ssl_handshake_timeout=` (60 s when `None`). Only with
    /// [`ssl`](Self::ssl); zero is rejected.
    pub ssl_handshake_timeout: Option<Duration>,
    /// asyncio's `ssl_shutdown_timeout=` (30 s when `None`). Only with
    /// [`ssl`](Self::ssl); zero is rejected.
    pub ssl_shutdown_timeout: Option<Duration>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            limit: DEFAULT_LIMIT,
            family: Family::Any,
            backlog: 100,
            reuse_address: true,
            reuse_port: false,
            keep_alive: false,
            start_serving: true,
            on_handler_error: None,
            cleanup_socket: true,
            ssl: None,
            ssl_handshake_timeout: None,
            ssl_shutdown_timeout: None,
        }
    }
}

impl fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerOptions")
            .field("limit", &self.limit)
            .field("family", &self.family)
            .field("backlog", &self.backlog)
            .field("reuse_address", &self.reuse_address)
            .field("reuse_port", &self.reuse_port)
            .field("keep_alive", &self.keep_alive)
            .field("start_serving", &self.start_serving)
            .field("on_handler_error", &self.on_handler_error.is_some())
            .field("cleanup_socket", &self.cleanup_socket)
            .field("ssl", &self.ssl.is_some())
            .field("ssl_handshake_timeout", &self.ssl_handshake_timeout)
            .field("ssl_shutdown_timeout", &self.ssl_shutdown_timeout)
            .finish()
    }
}

impl ServerOptions {
    /// Sets [`limit`](Self::limit).
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
    /// Sets [`family`](Self::family).
    pub fn family(mut self, family: Family) -> Self {
        self.family = family;
        self
    }
    /// Sets [`backlog`](Self::backlog).
    pub fn backlog(mut self, backlog: i32) -> Self {
        self.backlog = backlog;
        self
    }
    /// Sets [`reuse_address`](Self::reuse_address).
    pub fn reuse_address(mut self, on: bool) -> Self {
        self.reuse_address = on;
        self
    }
    /// Sets [`reuse_port`](Self::reuse_port).
    pub fn reuse_port(mut self, on: bool) -> Self {
        self.reuse_port = on;
        self
    }
    /// Sets [`keep_alive`](Self::keep_alive).
    pub fn keep_alive(mut self, on: bool) -> Self {
        self.keep_alive = on;
        self
    }
    /// Sets [`start_serving`](Self::start_serving).
    pub fn start_serving(mut self, on: bool) -> Self {
        self.start_serving = on;
        self
    }
    /// Sets [`on_handler_error`](Self::on_handler_error).
    pub fn on_handler_error(
        mut self,
        hook: impl Fn(&HandlerFailure, Option<&Address>) + Send + Sync + 'static,
    ) -> Self {
        self.on_handler_error = Some(Arc::new(hook));
        self
    }
    /// Sets [`cleanup_socket`](Self::cleanup_socket).
    pub fn cleanup_socket(mut self, on: bool) -> Self {
        self.cleanup_socket = on;
        self
    }
    /// Sets [`ssl`](Self::ssl): serve TLS.
    ///
    /// ```no_run
    /// # fn f(chain: Vec<rustls::pki_types::CertificateDer<'static>>, key: rustls::pki_types::PrivateKeyDer<'static>) -> Result<(), streams_common::TlsError> {
    /// use streams_common::{tls, ServerOptions};
    /// let options = ServerOptions::default().ssl(tls::server_config(chain, key)?);
    /// # Ok(()) }
    /// ```
    pub fn ssl(mut self, config: Arc<rustls::ServerConfig>) -> Self {
        self.ssl = Some(config);
        self
    }
    /// Sets [`ssl_handshake_timeout`](Self::ssl_handshake_timeout).
    pub fn ssl_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.ssl_handshake_timeout = Some(timeout);
        self
    }
    /// Sets [`ssl_shutdown_timeout`](Self::ssl_shutdown_timeout).
    pub fn ssl_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.ssl_shutdown_timeout = Some(timeout);
        self
    }
}

/// A bound socket, before and while it listens.
struct BoundSocket {
    sock: Option<socket2::Socket>,
    addr: Address,
    unix: bool,
}

/// The socket file a Unix server created, to remove on close if its inode
/// is still the same.
struct UnixCleanup {
    path: PathBuf,
    ino: u64,
    dev: u64,
}

struct ServerState {
    bound: Vec<BoundSocket>,
    listeners: Vec<Option<Box<dyn Listener>>>,
    serving: bool,
    closed: bool,
    serve_forever: bool,
    clients: HashMap<u64, Arc<Shared>>,
    next_client: u64,
    waiters: Vec<Waker>,
    accept_wakers: Vec<Option<Waker>>,
    cleanup: Option<UnixCleanup>,
}

struct ServerInner {
    rt: RuntimeRef,
    handler: DynHandler,
    limit: usize,
    backlog: i32,
    on_error: Option<HandlerErrorHook>,
    ssl: Option<Arc<rustls::ServerConfig>>,
    ssl_handshake_timeout: Option<Duration>,
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

    fn report(&self, failure: HandlerFailure, peer: Option<&Address>) {
        let peer_text = peer.map(|p| p.to_string()).unwrap_or_default();
        tracing::error!(peer = %peer_text, error = %failure, "Unhandled exception in client_connected_cb");
        if let Some(hook) = &self.on_error {
            hook(&failure, peer);
        }
    }

    /// Sets up an accepted connection and runs the handler on it.
    fn connection(self: &Arc<Self>, sock: Box<dyn crate::runtime::Socket>) {
        let id = {
            let mut st = self.lock();
            st.next_client += 1;
            st.next_client
        };
        let on_finished = {
            let inner = Arc::downgrade(self);
            Box::new(move || {
                if let Some(inner) = inner.upgrade() {
                    let waiters = {
                        let mut st = inner.lock();
                        st.clients.remove(&id);
                        Self::wake_waiters(&mut st)
                    };
                    waiters.into_iter().for_each(Waker::wake);
                }
            })
        };
        let tls = match &self.ssl {
            Some(config) => {
                match TlsSetup::server(
                    config,
                    self.ssl_handshake_timeout,
                    self.ssl_shutdown_timeout,
                ) {
                    Ok(setup) => Some(setup),
                    Err(e) => {
                        tracing::error!(error = %e, "SSL setup failed: connection dropped");
                        return;
                    }
                }
            }
            None => None,
        };
        let conn = NewConnection {
            rt: self.rt.clone(),
            server_side: true,
            host: None,
            tls,
        };
        let (reader, writer, shared, driver) =
            new_connection(conn, sock, self.limit, None, Some(on_finished));
        self.lock().clients.insert(id, shared.clone());
        self.rt.spawn(driver);
        let peer = writer.peername().cloned();
        let inner = self.clone();
        self.rt.spawn(Box::pin(async move {
            // Over TLS the handler runs once the handshake is done; a
            // failed or timed-out handshake drops the connection (asyncio
            // reports it only in debug mode).
            if let Err(e) = shared.handshake().await {
                tracing::debug!(error = %e, "SSL handshake failed: connection dropped");
                shared.abort();
                return;
            }
            let mut fut = (inner.handler)(reader, writer);
            // A writer dropped during a poll closes the connection after
            // that poll: after the failure is reported, if it failed.
            let mut dropped = false;
            let outcome = poll_fn(|cx| {
                let (r, d) = shared.deferring_writer_close(|| {
                    std::panic::catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx)))
                        .unwrap_or_else(|p| Poll::Ready(Err(panic_failure(p))))
                });
                dropped |= d;
                if dropped && r.is_pending() {
                    shared.close();
                }
                r
            })
            .await;
            if let Err(e) = outcome {
                let failure = match e.downcast::<PanicMessage>() {
                    Ok(p) => HandlerFailure::Panic(p.0),
                    Err(e) => HandlerFailure::Error(e),
                };
                // Report first: once the peer sees the connection close,
                // the failure has been reported.
                inner.report(failure, peer.as_ref());
                shared.close();
            } else if dropped {
                shared.close();
            }
        }));
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

/// A panic payload turned into an error, to tell it apart.
#[derive(Debug)]
struct PanicMessage(String);

impl fmt::Display for PanicMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PanicMessage {}

fn panic_failure(p: Box<dyn std::any::Any + Send>) -> Box<dyn std::error::Error + Send + Sync> {
    let msg = if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    };
    Box::new(PanicMessage(msg))
}

async fn accept_loop(inner: Arc<ServerInner>, idx: usize) {
    loop {
        let next = poll_fn(|cx| {
            let mut st = inner.lock();
            if st.closed {
                return Poll::Ready(None);
            }
            if let Some(w) = st.accept_wakers.get_mut(idx) {
                *w = Some(cx.waker().clone());
            }
            match st.listeners.get(idx) {
                Some(Some(l)) => l.poll_accept(cx).map(Some),
                _ => Poll::Ready(None),
            }
        })
        .await;
        match next {
            None => return,
            Some(Ok(sock)) => inner.connection(sock),
            Some(Err(e)) => match accept_action(&e) {
                AcceptAction::Skip => tracing::debug!("accept() failed, skipped: {e}"),
                AcceptAction::Backoff(delay) => {
                    let addr = inner
                        .lock()
                        .bound
                        .get(idx)
                        .map(|b| b.addr.to_string())
                        .unwrap_or_default();
                    tracing::error!(socket = %addr, error = %e, "socket.accept() out of system resource");
                    inner.rt.sleep(delay).await;
                }
            },
        }
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
                ssl: options.ssl.clone(),
                ssl_handshake_timeout: options.ssl_handshake_timeout,
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
        let clients: Vec<Arc<Shared>> = self.inner.lock().clients.values().cloned().collect();
        clients.iter().for_each(|c| c.close());
    }

    /// Aborts every accepted connection that is still open.
    pub fn abort_clients(&self) {
        let clients: Vec<Arc<Shared>> = self.inner.lock().clients.values().cloned().collect();
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

fn check_limit(options: &ServerOptions) -> Result<(), ServerError> {
    if options.limit == 0 {
        return Err(ArgumentError::ZeroLimit.into());
    }
    // asyncio's create_server checks (spec 11.1, steps 2-3); zero
    // timeouts would fail every connection, so they are refused here.
    if options.ssl.is_none() {
        if options.ssl_handshake_timeout.is_some() {
            return Err(ArgumentError::HandshakeTimeoutWithoutSsl.into());
        }
        if options.ssl_shutdown_timeout.is_some() {
            return Err(ArgumentError::ShutdownTimeoutWithoutSsl.into());
        }
    }
    crate::tls::check_timeouts(options.ssl_handshake_timeout, options.ssl_shutdown_timeout)?;
    Ok(())
}

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

fn bind_tcp(addr: SocketAddr, options: &ServerOptions) -> io::Result<Option<socket2::Socket>> {
    let sock = match socket2::Socket::new(Domain::for_address(addr), Type::STREAM, None) {
        Ok(s) => s,
        Err(e) => {
            // asyncio skips addresses it cannot create a socket for (no
            // IPv6 on this host, say).
            tracing::debug!("skipping {addr}: {e}");
            return Ok(None);
        }
    };
    if options.reuse_address {
        sock.set_reuse_address(true)?;
    }
    if options.reuse_port {
        sock.set_reuse_port(true)?;
    }
    if options.keep_alive {
        sock.set_keepalive(true)?;
    }
    if addr.is_ipv6() {
        sock.set_only_v6(true)?;
    }
    match sock.bind(&addr.into()) {
        Ok(()) => Ok(Some(sock)),
        Err(e) if e.raw_os_error() == Some(libc::EADDRNOTAVAIL) => Ok(None),
        Err(e) => Err(bind_error(&py_sockaddr(&addr), &e)),
    }
}

/// asyncio's `start_server(handler, host, port, ...)`: binds every address
/// of every host (IPv6 sockets v6-only; with port 0 each socket gets its own
/// port), starts accepting, and runs `handler(reader, writer)` as a task
/// for each connection.
pub async fn start_server<F, Fut>(
    rt: RuntimeRef,
    handler: F,
    hosts: Hosts,
    port: u16,
    options: ServerOptions,
) -> Result<Server, ServerError>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerOutput,
{
    check_limit(&options)?;
    let mut addrs: Vec<SocketAddr> = Vec::new();
    if hosts.0.is_empty() {
        addrs.push(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port));
        addrs.push(SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port));
    } else {
        for host in &hosts.0 {
            let found = match host.parse::<IpAddr>() {
                Ok(ip) => vec![SocketAddr::new(ip, port)],
                Err(_) => rt.resolve(host.clone(), port).await?,
            };
            if found.is_empty() {
                return Err(
                    io::Error::other(format!("getaddrinfo('{host}') returned empty list")).into(),
                );
            }
            addrs.extend(found);
        }
    }
    let mut seen = Vec::new();
    addrs.retain(|a| {
        options.family.matches(a) && !seen.contains(a) && {
            seen.push(*a);
            true
        }
    });
    let mut bound = Vec::new();
    for addr in &addrs {
        if let Some(sock) = bind_tcp(*addr, &options)? {
            let local = Address::local_of(&sock).unwrap_or(Address::Inet(*addr));
            bound.push(BoundSocket {
                sock: Some(sock),
                addr: local,
                unix: false,
            });
        }
    }
    if bound.is_empty() {
        let list: Vec<String> = addrs.iter().map(py_sockaddr).collect();
        return Err(io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            format!("could not bind on any address out of [{}]", list.join(", ")),
        )
        .into());
    }
    finish(rt, box_handler(handler), &options, bound, None)
}

/// asyncio's `start_server(sock=...)`: serves on an already bound stream
/// socket (TCP or Unix; a `std::net::TcpListener` converts with `.into()`).
/// It is put in listening state when serving starts.
pub fn start_server_with_socket<F, Fut>(
    rt: RuntimeRef,
    handler: F,
    sock: socket2::Socket,
    options: ServerOptions,
) -> Result<Server, ServerError>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerOutput,
{
    check_limit(&options)?;
    if sock.r#type()? != Type::STREAM {
        return Err(ArgumentError::NotAStreamSocket {
            desc: format!("{sock:?}"),
        }
        .into());
    }
    let unix = sock.domain()? == Domain::UNIX;
    let addr = Address::local_of(&sock).unwrap_or(Address::Unix(crate::addr::UnixAddr::Unnamed));
    let bound = vec![BoundSocket {
        sock: Some(sock),
        addr,
        unix,
    }];
    finish(rt, box_handler(handler), &options, bound, None)
}

fn is_abstract(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().first() == Some(&0)
}

/// Removes a stale socket file at `path` (asyncio removes any socket file,
/// even one a live server uses). Other kinds of file are left alone, so
/// the bind reports "address in use".
fn remove_stale_socket(path: &Path) {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => {
            if let Err(e) = std::fs::remove_file(path) {
                tracing::error!(
                    "Unable to check or remove stale UNIX socket {}: {e}",
                    path.display()
                );
            }
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => tracing::error!(
            "Unable to check or remove stale UNIX socket {}: {e}",
            path.display()
        ),
    }
}

fn remove_if_ours(c: &UnixCleanup) {
    if let Ok(m) = std::fs::symlink_metadata(&c.path) {
        if m.ino() == c.ino && m.dev() == c.dev {
            if let Err(e) = std::fs::remove_file(&c.path) {
                tracing::debug!("could not remove {}: {e}", c.path.display());
            }
        }
    }
}

/// asyncio's `start_unix_server(handler, path)`: removes a stale socket
/// file at `path`, binds, and serves. A path starting with a NUL byte is a
/// Linux abstract name. A regular file at `path` is "address in use".
/// With [`ServerOptions::cleanup_socket`], closing the server removes the
/// socket file if it is still the one it created.
pub async fn start_unix_server<F, Fut>(
    rt: RuntimeRef,
    handler: F,
    path: &Path,
    options: ServerOptions,
) -> Result<Server, ServerError>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerOutput,
{
    check_limit(&options)?;
    let abstract_name = is_abstract(path);
    if !abstract_name {
        remove_stale_socket(path);
    }
    let sock = socket2::Socket::new(Domain::UNIX, Type::STREAM, None)?;
    match sock.bind(&SockAddr::unix(path)?) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EADDRINUSE) => {
            let shown = Address::Unix(if abstract_name {
                use std::os::unix::ffi::OsStrExt;
                crate::addr::UnixAddr::Abstract(path.as_os_str().as_bytes()[1..].to_vec())
            } else {
                crate::addr::UnixAddr::Path(path.to_path_buf())
            });
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("Address {shown} is already in use"),
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    }
    let cleanup = if options.cleanup_socket && !abstract_name {
        std::fs::symlink_metadata(path).ok().map(|m| UnixCleanup {
            path: path.to_path_buf(),
            ino: m.ino(),
            dev: m.dev(),
        })
    } else {
        None
    };
    let addr = Address::local_of(&sock).unwrap_or(Address::Unix(crate::addr::UnixAddr::Path(
        path.to_path_buf(),
    )));
    let bound = vec![BoundSocket {
        sock: Some(sock),
        addr,
        unix: true,
    }];
    finish(rt, box_handler(handler), &options, bound, cleanup)
}

/// asyncio's `start_unix_server(sock=...)`: the socket must be a bound
/// Unix-domain stream socket.
pub fn start_unix_server_with_socket<F, Fut>(
    rt: RuntimeRef,
    handler: F,
    sock: socket2::Socket,
    options: ServerOptions,
) -> Result<Server, ServerError>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerOutput,
{
    if sock.domain()? != Domain::UNIX || sock.r#type()? != Type::STREAM {
        return Err(ArgumentError::NotAUnixStreamSocket {
            desc: format!("{sock:?}"),
        }
        .into());
    }
    start_server_with_socket(rt, handler, sock, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_rules() {
        for code in [libc::EMFILE, libc::ENFILE, libc::ENOBUFS, libc::ENOMEM] {
            assert_eq!(
                accept_action(&io::Error::from_raw_os_error(code)),
                AcceptAction::Backoff(Duration::from_secs(1))
            );
        }
        assert_eq!(
            accept_action(&io::Error::from_raw_os_error(libc::ECONNABORTED)),
            AcceptAction::Skip
        );
        assert_eq!(
            accept_action(&io::Error::from_raw_os_error(libc::EBADF)),
            AcceptAction::Backoff(ACCEPT_BACKOFF)
        );
    }

    #[test]
    fn hosts_conversions() {
        assert_eq!(Hosts::from(""), Hosts(vec![]));
        assert_eq!(Hosts::from(None), Hosts(vec![]));
        assert_eq!(Hosts::from("a"), Hosts(vec!["a".into()]));
        assert_eq!(Hosts::from(["a", "b"]), Hosts(vec!["a".into(), "b".into()]));
    }

    #[test]
    fn unix_path_rules() {
        let dir = std::env::temp_dir().join(format!("streams-common-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A regular file is left alone.
        let file = dir.join("regular");
        std::fs::write(&file, b"x").unwrap();
        remove_stale_socket(&file);
        assert!(file.exists());
        // A socket file is removed.
        let sock = dir.join("sock");
        let l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        remove_stale_socket(&sock);
        assert!(!sock.exists());
        drop(l);
        // Cleanup only removes the file it created.
        let l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let m = std::fs::metadata(&sock).unwrap();
        let ours = UnixCleanup {
            path: sock.clone(),
            ino: m.ino(),
            dev: m.dev(),
        };
        drop(l);
        std::fs::remove_file(&sock).unwrap();
        let other = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let theirs_ino = std::fs::metadata(&sock).unwrap().ino();
        if theirs_ino != ours.ino {
            remove_if_ours(&ours);
            assert!(sock.exists(), "a file that replaced ours is kept");
        }
        let m = std::fs::metadata(&sock).unwrap();
        remove_if_ours(&UnixCleanup {
            path: sock.clone(),
            ino: m.ino(),
            dev: m.dev(),
        });
        assert!(!sock.exists());
        drop(other);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
