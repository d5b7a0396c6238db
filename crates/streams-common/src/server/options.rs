//! What a server is asked for: [`ServerOptions`] (asyncio's keyword
//! arguments, with its defaults) and [`Hosts`] (its `host=` argument), and
//! the checks that reject a bad combination before anything is bound.

use super::handler::{HandlerErrorHook, HandlerFailure};
use crate::addr::Address;
use crate::connect::Family;
use crate::error::{ArgumentError, ServerError};
use reader_core::DEFAULT_LIMIT;
use std::fmt;
use std::sync::Arc;
#[cfg(feature = "tls")]
use std::time::Duration;

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
    /// `SO_REUSEADDR` (on Unix on, off on Windows, as asyncio: there it
    /// would let another socket bind the same port while this one listens).
    pub reuse_address: bool,
    /// `SO_REUSEPORT` (off). Unix only: on Windows binding fails with
    /// `Unsupported` when it is on (asyncio raises `ValueError`).
    pub reuse_port: bool,
    /// `SO_KEEPALIVE` on the listening sockets (off).
    pub keep_alive: bool,
    /// Start accepting at once (on). When off, the sockets are bound but
    /// not listening until [`Server::start_serving`](super::Server::start_serving).
    pub start_serving: bool,
    /// Called when a handler fails (returns an error or panics), besides
    /// the `tracing` error event. Without a hook and without a `tracing`
    /// subscriber, the failure is printed to stderr (asyncio's default
    /// report); a hook takes that over.
    pub on_handler_error: Option<HandlerErrorHook>,
    /// Unix servers: remove the socket file on close if it is still ours
    /// (asyncio 3.13's `cleanup_socket`, on).
    pub cleanup_socket: bool,
    #[cfg(feature = "tls")]
    /// asyncio's `ssl=`: serve TLS with this configuration (see
    /// [`crate::tls::server_config`]). Each connection's handler runs once
    /// its handshake is done; a connection whose handshake fails or times
    /// out is dropped without running the handler.
    pub ssl: Option<Arc<rustls::ServerConfig>>,
    #[cfg(feature = "tls")]
    /// asyncio's `ssl_handshake_timeout=` (60 s when `None`). Only with
    /// [`ssl`](Self::ssl); zero is rejected.
    pub ssl_handshake_timeout: Option<Duration>,
    #[cfg(feature = "tls")]
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
            reuse_address: cfg!(unix),
            reuse_port: false,
            keep_alive: false,
            start_serving: true,
            on_handler_error: None,
            cleanup_socket: true,
            #[cfg(feature = "tls")]
            ssl: None,
            #[cfg(feature = "tls")]
            ssl_handshake_timeout: None,
            #[cfg(feature = "tls")]
            ssl_shutdown_timeout: None,
        }
    }
}

impl fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ServerOptions");
        d.field("limit", &self.limit)
            .field("family", &self.family)
            .field("backlog", &self.backlog)
            .field("reuse_address", &self.reuse_address)
            .field("reuse_port", &self.reuse_port)
            .field("keep_alive", &self.keep_alive)
            .field("start_serving", &self.start_serving)
            .field("on_handler_error", &self.on_handler_error.is_some())
            .field("cleanup_socket", &self.cleanup_socket);
        #[cfg(feature = "tls")]
        d.field("ssl", &self.ssl.is_some())
            .field("ssl_handshake_timeout", &self.ssl_handshake_timeout)
            .field("ssl_shutdown_timeout", &self.ssl_shutdown_timeout);
        d.finish()
    }
}

impl ServerOptions {
    /// Sets [`limit`](Self::limit).
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// let handler = |mut reader: StreamReader, writer: StreamWriter| async move {
    ///     loop {
    ///         let answer = match reader.readline().await {
    ///             Ok(line) if line.is_empty() => break, // EOF
    ///             Ok(_) => "ok\n",
    ///             Err(ReadError::LineTooLong { .. }) => "too long\n", // dropped
    ///             Err(_) => break,
    ///         };
    ///         let _ = writer.write(answer.as_bytes());
    ///     }
    /// };
    /// let options = ServerOptions::default().limit(8);
    /// let server = start_server(rt.clone(), handler, "127.0.0.1".into(), 0, options).await?;
    /// # let port = server.local_addrs()[0].port();
    /// # let (mut reader, writer) = open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await?;
    /// writer.write(b"short\n")?;
    /// assert_eq!(reader.readline().await?, "ok\n");
    /// writer.write(b"longer than eight bytes\n")?;
    /// assert_eq!(reader.readline().await?, "too long\n");
    /// // asyncio accepts limit=0, then fails every connection: refused up front here.
    /// let zero = ServerOptions::default().limit(0);
    /// let refused = start_server(rt, handler, "127.0.0.1".into(), 0, zero).await;
    /// assert!(matches!(refused, Err(ServerError::InvalidArgument(ArgumentError::ZeroLimit))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "the options are returned, not changed in place"]
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
    /// Sets [`family`](Self::family).
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
    /// let hosts = ["127.0.0.1", "::1"];
    /// let server = start_server(rt.clone(), greet, hosts.into(), 0, ServerOptions::default()).await?;
    /// assert_eq!(server.local_addrs().len(), 2);
    /// let options = ServerOptions::default().family(Family::Ipv4);
    /// let server = start_server(rt, greet, hosts.into(), 0, options).await?;
    /// let addrs = server.local_addrs();
    /// assert!(addrs.len() == 1 && addrs[0].is_ipv4()); // ::1 left out
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "the options are returned, not changed in place"]
    pub fn family(mut self, family: Family) -> Self {
        self.family = family;
        self
    }
    /// Sets [`backlog`](Self::backlog).
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
    /// assert_eq!(ServerOptions::default().backlog, 100); // asyncio's
    /// // How many connections the kernel completes and queues before they are
    /// // accepted: the argument of listen(), called when serving starts.
    /// let options = ServerOptions::default().backlog(1000);
    /// let server = start_server(rt.clone(), greet, "127.0.0.1".into(), 0, options).await?;
    /// # let port = server.local_addrs()[0].port();
    /// # let (mut reader, _writer) = open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await?;
    /// # assert_eq!(reader.readline().await?, "hello\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "the options are returned, not changed in place"]
    pub fn backlog(mut self, backlog: i32) -> Self {
        self.backlog = backlog;
        self
    }
    /// Sets [`reuse_address`](Self::reuse_address).
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
    /// let old = start_server(rt.clone(), greet, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// let port = old.local_addrs()[0].port();
    /// let (mut reader, _writer) = open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await?;
    /// assert_eq!(reader.readline().await?, "hello\n"); // accepted
    /// old.close(); // its listening socket is closed, its connection is not
    /// // Without SO_REUSEADDR, that connection keeps the port from being bound again...
    /// let no_reuse = ServerOptions::default().reuse_address(false);
    /// assert!(start_server(rt.clone(), greet, "127.0.0.1".into(), port, no_reuse).await.is_err());
    /// // ...with it (the default, as asyncio's on POSIX), a new server can take over.
    /// let new = start_server(rt.clone(), greet, "127.0.0.1".into(), port, ServerOptions::default()).await?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "the options are returned, not changed in place"]
    pub fn reuse_address(mut self, on: bool) -> Self {
        self.reuse_address = on;
        self
    }
    /// Sets [`reuse_port`](Self::reuse_port).
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
    /// let options = ServerOptions::default().reuse_port(true);
    /// let first = start_server(rt.clone(), greet, "127.0.0.1".into(), 0, options.clone()).await?;
    /// let port = first.local_addrs()[0].port();
    /// // A second server on the same port (the kernel spreads the connections):
    /// let second = start_server(rt.clone(), greet, "127.0.0.1".into(), port, options).await?;
    /// // Without the option, the port is taken.
    /// let taken = start_server(rt.clone(), greet, "127.0.0.1".into(), port, ServerOptions::default()).await;
    /// assert!(taken.is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "the options are returned, not changed in place"]
    pub fn reuse_port(mut self, on: bool) -> Self {
        self.reuse_port = on;
        self
    }
    /// Sets [`keep_alive`](Self::keep_alive).
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// // Accepted connections inherit the listening socket's SO_KEEPALIVE.
    /// let handler = |_reader: StreamReader, writer: StreamWriter| async move {
    ///     let on = writer.with_socket(|s| s.keepalive()).and_then(Result::ok);
    ///     let _ = writer.write(format!("{on:?}\n").as_bytes());
    /// };
    /// let options = ServerOptions::default().keep_alive(true);
    /// let server = start_server(rt.clone(), handler, "127.0.0.1".into(), 0, options).await?;
    /// # let port = server.local_addrs()[0].port();
    /// # let (mut reader, _writer) = open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await?;
    /// assert_eq!(reader.readline().await?, "Some(true)\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "the options are returned, not changed in place"]
    pub fn keep_alive(mut self, on: bool) -> Self {
        self.keep_alive = on;
        self
    }
    /// Sets [`start_serving`](Self::start_serving).
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
    /// let port = server.local_addrs()[0].port(); // bound: the port is known...
    /// assert!(open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await.is_err());
    /// server.start_serving().await?; // ...and listening from here on
    /// let (mut reader, _writer) = open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await?;
    /// assert_eq!(reader.readline().await?, "hello\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "the options are returned, not changed in place"]
    pub fn start_serving(mut self, on: bool) -> Self {
        self.start_serving = on;
        self
    }
    /// Sets [`on_handler_error`](Self::on_handler_error).
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// use futures::StreamExt;
    /// let (report, mut reports) = futures::channel::mpsc::unbounded();
    /// let options = ServerOptions::default().on_handler_error(move |failure, peer| {
    ///     let _ = report.unbounded_send((failure.to_string(), peer.is_some()));
    /// });
    /// let handler = |_reader: StreamReader, _writer: StreamWriter| async { Err::<(), _>("bad request") };
    /// let server = start_server(rt.clone(), handler, "127.0.0.1".into(), 0, options).await?;
    /// # let port = server.local_addrs()[0].port();
    /// # let (_reader, _writer) = open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await?;
    /// assert_eq!(reports.next().await, Some(("bad request".to_string(), true)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "the options are returned, not changed in place"]
    pub fn on_handler_error(
        mut self,
        hook: impl Fn(&HandlerFailure, Option<&Address>) + Send + Sync + 'static,
    ) -> Self {
        self.on_handler_error = Some(Arc::new(hook));
        self
    }
    /// Sets [`cleanup_socket`](Self::cleanup_socket).
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
    /// # let dir = std::env::temp_dir().join(format!("streams-doc-cleanup-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("server.sock");
    /// let server = start_unix_server(rt.clone(), greet, &path, ServerOptions::default()).await?;
    /// server.close();
    /// assert!(!path.exists()); // removed on close
    /// let options = ServerOptions::default().cleanup_socket(false);
    /// let server = start_unix_server(rt.clone(), greet, &path, options).await?;
    /// server.close();
    /// assert!(path.exists()); // left behind (a later bind removes a stale socket file)
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "the options are returned, not changed in place"]
    pub fn cleanup_socket(mut self, on: bool) -> Self {
        self.cleanup_socket = on;
        self
    }
    #[cfg(feature = "tls")]
    /// Sets [`ssl`](Self::ssl): serve TLS.
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
    /// # use streams_common::tls::rustls::{pki_types::PrivateKeyDer, RootCertStore};
    /// # let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])?;
    /// # let key = PrivateKeyDer::try_from(made.signing_key.serialize_der())?;
    /// # let server_config = tls::server_config(vec![made.cert.der().clone()], key)?;
    /// # let mut roots = RootCertStore::empty();
    /// # roots.add(made.cert.der().clone())?;
    /// # let client = TlsClient::with_roots(roots)?;
    /// # let chain = vec![made.cert.der().clone()];
    /// # let key = PrivateKeyDer::try_from(made.signing_key.serialize_der())?;
    /// // `chain` and `key`: the server's certificates (leaf first) and its key.
    /// let options = ServerOptions::default().ssl(tls::server_config(chain, key)?);
    /// let server = start_server(rt.clone(), echo, "127.0.0.1".into(), 0, options).await?;
    /// # let port = server.local_addrs()[0].port();
    /// // `client` trusts the server's certificate.
    /// let tls = OpenOptions::default().ssl(client);
    /// let (mut reader, writer) = open_connection(&*rt, "127.0.0.1", port, tls).await?;
    /// assert!(writer.is_tls());
    /// writer.write(b"secret\n")?;
    /// assert_eq!(reader.readline().await?, "secret\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "the options are returned, not changed in place"]
    pub fn ssl(mut self, config: Arc<rustls::ServerConfig>) -> Self {
        self.ssl = Some(config);
        self
    }
    #[cfg(feature = "tls")]
    /// Sets [`ssl_handshake_timeout`](Self::ssl_handshake_timeout).
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// # use std::time::Duration;
    /// # let greet = |mut r: StreamReader, w: StreamWriter| async move {
    /// #     let _ = w.write(b"hello\n");
    /// #     let _ = r.read_to_eof().await;
    /// # };
    /// # use streams_common::tls::rustls::{pki_types::PrivateKeyDer, RootCertStore};
    /// # let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])?;
    /// # let key = PrivateKeyDer::try_from(made.signing_key.serialize_der())?;
    /// # let server_config = tls::server_config(vec![made.cert.der().clone()], key)?;
    /// # let mut roots = RootCertStore::empty();
    /// # roots.add(made.cert.der().clone())?;
    /// # let client = TlsClient::with_roots(roots)?;
    /// let options = ServerOptions::default()
    ///     .ssl(server_config)
    ///     .ssl_handshake_timeout(Duration::from_millis(100));
    /// let server = start_server(rt.clone(), greet, "127.0.0.1".into(), 0, options).await?;
    /// # let port = server.local_addrs()[0].port();
    /// // A client that never starts the handshake is dropped after 100 ms,
    /// // without running the handler.
    /// let (mut reader, _writer) = open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await?;
    /// assert_eq!(reader.read(100).await?, "");
    /// // Without `ssl`, the option is refused (asyncio's ValueError).
    /// let plain = ServerOptions::default().ssl_handshake_timeout(Duration::from_secs(5));
    /// let refused = start_server(rt.clone(), greet, "127.0.0.1".into(), 0, plain).await;
    /// assert!(matches!(
    ///     refused,
    ///     Err(ServerError::InvalidArgument(ArgumentError::HandshakeTimeoutWithoutSsl))
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "the options are returned, not changed in place"]
    pub fn ssl_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.ssl_handshake_timeout = Some(timeout);
        self
    }
    #[cfg(feature = "tls")]
    /// Sets [`ssl_shutdown_timeout`](Self::ssl_shutdown_timeout).
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// # use std::time::Duration;
    /// # let greet = |mut r: StreamReader, w: StreamWriter| async move {
    /// #     let _ = w.write(b"hello\n");
    /// #     let _ = r.read_to_eof().await;
    /// # };
    /// # use streams_common::tls::rustls::{pki_types::PrivateKeyDer, RootCertStore};
    /// # let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])?;
    /// # let key = PrivateKeyDer::try_from(made.signing_key.serialize_der())?;
    /// # let server_config = tls::server_config(vec![made.cert.der().clone()], key)?;
    /// # let mut roots = RootCertStore::empty();
    /// # roots.add(made.cert.der().clone())?;
    /// # let client = TlsClient::with_roots(roots)?;
    /// // How long closing a TLS connection waits for the client's close_notify.
    /// let options = ServerOptions::default()
    ///     .ssl(server_config.clone())
    ///     .ssl_shutdown_timeout(Duration::from_secs(5));
    /// let server = start_server(rt.clone(), greet, "127.0.0.1".into(), 0, options).await?;
    /// // Zero, or the option without `ssl`, is refused before anything is bound.
    /// let zero = ServerOptions::default().ssl(server_config).ssl_shutdown_timeout(Duration::ZERO);
    /// let refused = start_server(rt.clone(), greet, "127.0.0.1".into(), 0, zero).await;
    /// assert!(matches!(
    ///     refused,
    ///     Err(ServerError::InvalidArgument(ArgumentError::NonPositiveShutdownTimeout))
    /// ));
    /// let plain = ServerOptions::default().ssl_shutdown_timeout(Duration::from_secs(5));
    /// let refused = start_server(rt.clone(), greet, "127.0.0.1".into(), 0, plain).await;
    /// assert!(matches!(
    ///     refused,
    ///     Err(ServerError::InvalidArgument(ArgumentError::ShutdownTimeoutWithoutSsl))
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "the options are returned, not changed in place"]
    pub fn ssl_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.ssl_shutdown_timeout = Some(timeout);
        self
    }
}

/// Rejects the options asyncio rejects (and the zero limit and timeouts it
/// would accept and then fail every connection with) before anything is
/// bound.
pub(super) fn check_limit(options: &ServerOptions) -> Result<(), ServerError> {
    if options.limit == 0 {
        return Err(ArgumentError::ZeroLimit.into());
    }
    // asyncio's create_server checks (spec 11.1, steps 2-3); zero
    // timeouts would fail every connection, so they are refused here.
    #[cfg(feature = "tls")]
    {
        if options.ssl.is_none() {
            if options.ssl_handshake_timeout.is_some() {
                return Err(ArgumentError::HandshakeTimeoutWithoutSsl.into());
            }
            if options.ssl_shutdown_timeout.is_some() {
                return Err(ArgumentError::ShutdownTimeoutWithoutSsl.into());
            }
        }
        crate::tls::check_timeouts(options.ssl_handshake_timeout, options.ssl_shutdown_timeout)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_conversions() {
        assert_eq!(Hosts::from(""), Hosts(vec![]));
        assert_eq!(Hosts::from(None), Hosts(vec![]));
        assert_eq!(Hosts::from("a"), Hosts(vec!["a".into()]));
        assert_eq!(Hosts::from(["a", "b"]), Hosts(vec!["a".into(), "b".into()]));
    }
}
