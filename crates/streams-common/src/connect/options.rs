//! What `open_connection` takes: [`OpenOptions`] and [`Family`].

use crate::connection::TlsSession;
use crate::error::{ArgumentError, ConnectError};
#[cfg(feature = "tls")]
use crate::tls::{check_timeouts, TlsClient};
use reader_core::DEFAULT_LIMIT;
use std::net::SocketAddr;
use std::time::Duration;

/// Which address family to use (asyncio's `family=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Family {
    /// Any (`AF_UNSPEC`).
    #[default]
    Any,
    /// IPv4 only (`AF_INET`).
    Ipv4,
    /// IPv6 only (`AF_INET6`).
    Ipv6,
}

impl Family {
    /// Whether `addr` is of this family.
    #[must_use]
    pub fn matches(self, addr: &SocketAddr) -> bool {
        match self {
            Family::Any => true,
            Family::Ipv4 => addr.is_ipv4(),
            Family::Ipv6 => addr.is_ipv6(),
        }
    }
}

/// Options of `open_connection` and `open_unix_connection`, with asyncio's
/// defaults (`OpenOptions::default()`).
///
/// TLS is [`ssl`](Self::ssl) (see [`crate::tls`]). The struct is
/// `#[non_exhaustive]`; build it with the setters:
///
/// ```
/// use std::time::Duration;
/// use streams_common::OpenOptions;
///
/// // A host with IPv6 and IPv4 addresses where the IPv6 route is broken:
/// // with RFC 8305's 250 ms, IPv4 is tried after a quarter second instead
/// // of after the IPv6 connect times out (a minute or more).
/// let options = OpenOptions::default().happy_eyeballs_delay(Duration::from_millis(250));
/// assert_eq!(options.interleave, None); // a delay implies interleave 1
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct OpenOptions {
    /// The reader's buffer limit (asyncio's `limit=`, 64 KiB). 0 is
    /// rejected before any network activity.
    pub limit: usize,
    /// Local addresses to bind the client socket to before connecting
    /// (asyncio's `local_addr=`, which may resolve to several addresses).
    /// Each attempt tries those of its remote address's family, in order,
    /// and uses the first that binds; every failed bind is recorded in the
    /// attempt's errors. An attempt for which none is of the right family
    /// fails with `no matching local address with family=... found`. Empty
    /// (the default): no bind.
    ///
    /// This replaced the earlier `local_addr: Option<SocketAddr>` field; the
    /// [`local_addr`](Self::local_addr) setter is unchanged.
    pub local_addrs: Vec<SocketAddr>,
    /// Restrict resolution to one family (asyncio's `family=`).
    pub family: Family,
    /// asyncio's `happy_eyeballs_delay=` (RFC 8305 "happy eyeballs"): when
    /// set, the next address is tried as soon as the previous attempt fails
    /// **or** this long after it started, while the earlier attempts keep
    /// running; the first to connect wins and the others are cancelled and
    /// closed. `None` (the default): one address after another, each
    /// waiting for the previous one to fail. RFC 8305 recommends 250 ms.
    pub happy_eyeballs_delay: Option<Duration>,
    /// asyncio's `interleave=`: reorder the resolved addresses by family,
    /// the first `n - 1` addresses of the first family, then one of each
    /// family in turn. `None` (the default) means 1 when
    /// [`happy_eyeballs_delay`](Self::happy_eyeballs_delay) is set and no
    /// reordering otherwise; `Some(0)` keeps the resolver's order even with
    /// a delay. It also applies without a delay.
    pub interleave: Option<usize>,
    /// asyncio's `all_errors=` (3.12+): when every attempt failed, return
    /// all their errors as [`ConnectError::All`](crate::ConnectError::All) (even a single one)
    /// instead of combining them.
    pub all_errors: bool,
    #[cfg(feature = "tls")]
    /// asyncio's `ssl=`: TLS with this client configuration
    /// ([`TlsClient::new`] is asyncio's `ssl=True`). `None`: plaintext.
    pub ssl: Option<TlsClient>,
    #[cfg(feature = "tls")]
    /// asyncio's `server_hostname=`: the name sent as SNI and checked
    /// against the certificate. Only with [`ssl`](Self::ssl). `None`: the
    /// host passed to `open_connection` (an IP address included; required
    /// for Unix connections and over a socket passed in, which have no
    /// host); `""`: no SNI and no name check (the chain is still
    /// verified).
    pub server_hostname: Option<String>,
    #[cfg(feature = "tls")]
    /// asyncio's `ssl_handshake_timeout=` (60 s when `None`): a handshake
    /// that takes longer fails with
    /// [`TlsError::HandshakeTimeout`](crate::TlsError::HandshakeTimeout).
    /// Only with [`ssl`](Self::ssl); zero is rejected (after the TCP
    /// connection succeeded, as asyncio does).
    pub ssl_handshake_timeout: Option<Duration>,
    #[cfg(feature = "tls")]
    /// asyncio's `ssl_shutdown_timeout=` (30 s when `None`): how long
    /// `close()` waits for the peer's close_notify before giving up with
    /// [`TlsError::ShutdownTimeout`](crate::TlsError::ShutdownTimeout).
    /// Only with [`ssl`](Self::ssl); zero is rejected.
    pub ssl_shutdown_timeout: Option<Duration>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            limit: DEFAULT_LIMIT,
            local_addrs: Vec::new(),
            family: Family::Any,
            happy_eyeballs_delay: None,
            interleave: None,
            all_errors: false,
            #[cfg(feature = "tls")]
            ssl: None,
            #[cfg(feature = "tls")]
            server_hostname: None,
            #[cfg(feature = "tls")]
            ssl_handshake_timeout: None,
            #[cfg(feature = "tls")]
            ssl_shutdown_timeout: None,
        }
    }
}

impl OpenOptions {
    /// Sets [`limit`](Self::limit).
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// # let long_line = |_r: StreamReader, w: StreamWriter| async move {
    /// #     let _ = w.write(b"a line longer than eight bytes\n");
    /// # };
    /// # let server = start_server(rt.clone(), long_line, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// # let port = server.local_addrs()[0].port();
    /// let options = OpenOptions::default().limit(8);
    /// let (mut reader, _writer) = open_connection(&*rt, "127.0.0.1", port, options).await?;
    /// assert_eq!(reader.limit(), 8);
    /// assert!(matches!(reader.readline().await, Err(ReadError::LineTooLong { .. })));
    /// // Zero is refused before any network activity.
    /// let zero = OpenOptions::default().limit(0);
    /// let refused = open_connection(&*rt, "127.0.0.1", port, zero).await;
    /// assert!(matches!(refused, Err(ConnectError::InvalidArgument(ArgumentError::ZeroLimit))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "builder methods return the changed value"]
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
    /// Binds to `addr` before connecting: sets
    /// [`local_addrs`](Self::local_addrs) to this one address.
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
    /// let options = OpenOptions::default().local_addr("127.0.0.1:0".parse()?);
    /// let (_reader, writer) = open_connection(&*rt, "127.0.0.1", port, options).await?;
    /// let local = writer.sockname().and_then(Address::as_inet).unwrap();
    /// assert!(local.ip().is_loopback() && local.port() != 0);
    /// // It must be of the remote address's family.
    /// let v6 = OpenOptions::default().local_addr("[::1]:0".parse()?);
    /// let error = open_connection(&*rt, "127.0.0.1", port, v6).await.unwrap_err();
    /// assert!(error.to_string().contains("no matching local address"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "builder methods return the changed value"]
    pub fn local_addr(mut self, addr: SocketAddr) -> Self {
        self.local_addrs = vec![addr];
        self
    }
    /// Sets [`local_addrs`](Self::local_addrs): several local addresses,
    /// e.g. one IPv4 and one IPv6 address, tried in order for the attempts
    /// of their family.
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// # use std::net::SocketAddr;
    /// # let greet = |mut r: StreamReader, w: StreamWriter| async move {
    /// #     let _ = w.write(b"hello\n");
    /// #     let _ = r.read_to_eof().await;
    /// # };
    /// # let server = start_server(rt.clone(), greet, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// # let port = server.local_addrs()[0].port();
    /// let v6: SocketAddr = "[::1]:0".parse()?;
    /// let v4: SocketAddr = "127.0.0.1:0".parse()?;
    /// // An IPv4 remote address cannot use an IPv6 local address...
    /// let only_v6 = OpenOptions::default().local_addrs([v6]);
    /// let error = open_connection(&*rt, "127.0.0.1", port, only_v6).await.unwrap_err();
    /// assert!(error.to_string().contains("no matching local address"));
    /// // ...so each attempt uses the first address of its own family.
    /// let options = OpenOptions::default().local_addrs([v6, v4]);
    /// let (_reader, writer) = open_connection(&*rt, "127.0.0.1", port, options).await?;
    /// assert!(writer.sockname().and_then(Address::as_inet).unwrap().is_ipv4());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    pub fn local_addrs(mut self, addrs: impl IntoIterator<Item = SocketAddr>) -> Self {
        self.local_addrs = addrs.into_iter().collect();
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
    /// # let server = start_server(rt.clone(), greet, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// # let port = server.local_addrs()[0].port();
    /// let v4 = OpenOptions::default().family(Family::Ipv4);
    /// let (_reader, writer) = open_connection(&*rt, "localhost", port, v4).await?;
    /// assert!(writer.peername().and_then(Address::as_inet).unwrap().is_ipv4());
    /// // No address of the family: asyncio's error, without any connection attempt.
    /// let v6 = OpenOptions::default().family(Family::Ipv6);
    /// let error = open_connection(&*rt, "127.0.0.1", port, v6).await.unwrap_err();
    /// assert_eq!(error.to_string(), "getaddrinfo() returned empty list");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "builder methods return the changed value"]
    pub fn family(mut self, family: Family) -> Self {
        self.family = family;
        self
    }
    /// Sets [`happy_eyeballs_delay`](Self::happy_eyeballs_delay): race the
    /// addresses, starting the next one `delay` after the previous one
    /// (or as soon as it fails).
    ///
    /// Use it when a host has several addresses and some may be
    /// unreachable without a quick refusal, typically a dual-stack host
    /// whose IPv6 address is black-holed by a broken network: RFC 8305
    /// recommends 250 ms.
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// # use std::time::Duration;
    /// # let refused_v6 = {
    /// #     let s = socket2::Socket::new(socket2::Domain::IPV6, socket2::Type::STREAM, None)?;
    /// #     s.bind(&std::net::SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 0)).into())?;
    /// #     s // never listens
    /// # };
    /// # let working_v6 = std::net::TcpListener::bind("[::1]:0")?;
    /// # let working_v4 = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// # let peer = |w: &StreamWriter| w.peername().and_then(Address::as_inet).unwrap();
    /// // Two IPv6 addresses, the first refusing, then an IPv4 one.
    /// let addrs = vec![
    ///     refused_v6.local_addr()?.as_socket().unwrap(),
    ///     working_v6.local_addr()?,
    ///     working_v4.local_addr()?,
    /// ];
    /// let options = OpenOptions::default().happy_eyeballs_delay(Duration::from_secs(60));
    /// let (_reader, writer) = open_connection_addrs(&*rt, addrs, options).await?;
    /// // Connected at once: a failed attempt starts the next one without waiting
    /// // for the delay. And with a delay, the families alternate (as with
    /// // `interleave(1)`): the IPv4 address was tried second.
    /// assert_eq!(peer(&writer), working_v4.local_addr()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "builder methods return the changed value"]
    pub fn happy_eyeballs_delay(mut self, delay: Duration) -> Self {
        self.happy_eyeballs_delay = Some(delay);
        self
    }
    /// Sets [`interleave`](Self::interleave).
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// # use std::time::Duration;
    /// # let refused_v6 = {
    /// #     let s = socket2::Socket::new(socket2::Domain::IPV6, socket2::Type::STREAM, None)?;
    /// #     s.bind(&std::net::SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 0)).into())?;
    /// #     s // never listens
    /// # };
    /// # let working_v6 = std::net::TcpListener::bind("[::1]:0")?;
    /// # let working_v4 = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// # let peer = |w: &StreamWriter| w.peername().and_then(Address::as_inet).unwrap();
    /// // Two IPv6 addresses, the first refusing, then an IPv4 one.
    /// let addrs = vec![
    ///     refused_v6.local_addr()?.as_socket().unwrap(),
    ///     working_v6.local_addr()?,
    ///     working_v4.local_addr()?,
    /// ];
    /// // In the given order: the second IPv6 address answers.
    /// let (_r, writer) = open_connection_addrs(&*rt, addrs.clone(), OpenOptions::default()).await?;
    /// assert_eq!(peer(&writer), working_v6.local_addr()?);
    /// // Interleaved: one IPv6 address, then one IPv4 address, ...
    /// let options = OpenOptions::default().interleave(1);
    /// let (_r, writer) = open_connection_addrs(&*rt, addrs.clone(), options).await?;
    /// assert_eq!(peer(&writer), working_v4.local_addr()?);
    /// // 0 keeps the given order, even with a delay (which implies 1).
    /// let delay = Duration::from_secs(60);
    /// let options = OpenOptions::default().happy_eyeballs_delay(delay).interleave(0);
    /// let (_r, writer) = open_connection_addrs(&*rt, addrs, options).await?;
    /// assert_eq!(peer(&writer), working_v6.local_addr()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "builder methods return the changed value"]
    pub fn interleave(mut self, first_family_count: usize) -> Self {
        self.interleave = Some(first_family_count);
        self
    }
    /// Sets [`all_errors`](Self::all_errors).
    ///
    /// ```
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # smol::block_on(smol::future::or(async {
    /// # let rt = streams_smol::Smol::default().handle();
    /// # let refusing = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    /// # refusing.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())?; // never listens
    /// # let refused = refusing.local_addr()?.as_socket().unwrap();
    /// // `refused` answers with a reset.
    /// let error = open_connection_addrs(&*rt, vec![refused], OpenOptions::default()).await;
    /// assert!(matches!(error, Err(ConnectError::Io(_)))); // one error: as it is
    /// let options = OpenOptions::default().all_errors(true);
    /// let error = open_connection_addrs(&*rt, vec![refused], options).await;
    /// assert!(matches!(error, Err(ConnectError::All(errors)) if errors.len() == 1)); // a group
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "builder methods return the changed value"]
    pub fn all_errors(mut self, all_errors: bool) -> Self {
        self.all_errors = all_errors;
        self
    }
    #[cfg(feature = "tls")]
    /// Sets [`ssl`](Self::ssl): connect with TLS.
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
    /// # let server = start_server(rt.clone(), echo, "127.0.0.1".into(), 0, ServerOptions::default().ssl(server_config)).await?;
    /// # let port = server.local_addrs()[0].port();
    /// // A TLS server with a self-signed certificate, which `client` trusts.
    /// let options = OpenOptions::default().ssl(client);
    /// let (mut reader, writer) = open_connection(&*rt, "127.0.0.1", port, options).await?;
    /// assert!(writer.is_tls());
    /// writer.write(b"secret\n")?;
    /// assert_eq!(reader.readline().await?, "secret\n");
    /// // asyncio's ssl=True (the Mozilla roots) does not trust that certificate.
    /// let options = OpenOptions::default().ssl(TlsClient::new()?);
    /// let error = open_connection(&*rt, "127.0.0.1", port, options).await;
    /// assert!(matches!(error, Err(ConnectError::Tls(_))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "builder methods return the changed value"]
    pub fn ssl(mut self, client: TlsClient) -> Self {
        self.ssl = Some(client);
        self
    }
    #[cfg(feature = "tls")]
    /// Sets [`server_hostname`](Self::server_hostname).
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
    /// # use streams_common::tls::rustls::{pki_types::PrivateKeyDer, RootCertStore};
    /// # let made = rcgen::generate_simple_self_signed(vec!["localhost".into()])?;
    /// # let key = PrivateKeyDer::try_from(made.signing_key.serialize_der())?;
    /// # let server_config = tls::server_config(vec![made.cert.der().clone()], key)?;
    /// # let mut roots = RootCertStore::empty();
    /// # roots.add(made.cert.der().clone())?;
    /// # let client = TlsClient::with_roots(roots)?;
    /// # let server = start_server(rt.clone(), greet, "127.0.0.1".into(), 0, ServerOptions::default().ssl(server_config)).await?;
    /// # let port = server.local_addrs()[0].port();
    /// // The server's certificate names `localhost` only.
    /// let by_address = OpenOptions::default().ssl(client.clone());
    /// let error = open_connection(&*rt, "127.0.0.1", port, by_address).await;
    /// assert!(matches!(error, Err(ConnectError::Tls(_)))); // not the name checked
    /// let by_name = OpenOptions::default().ssl(client).server_hostname("localhost");
    /// let (mut reader, _writer) = open_connection(&*rt, "127.0.0.1", port, by_name).await?;
    /// assert_eq!(reader.readline().await?, "hello\n");
    /// // Without `ssl`, it is refused (asyncio's ValueError).
    /// let plain = OpenOptions::default().server_hostname("localhost");
    /// let error = open_connection(&*rt, "127.0.0.1", port, plain).await;
    /// assert!(matches!(
    ///     error,
    ///     Err(ConnectError::InvalidArgument(ArgumentError::ServerHostnameWithoutSsl))
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    pub fn server_hostname(mut self, name: impl Into<String>) -> Self {
        self.server_hostname = Some(name.into());
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
    /// # use streams_common::tls::rustls::{pki_types::PrivateKeyDer, RootCertStore};
    /// # let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])?;
    /// # let key = PrivateKeyDer::try_from(made.signing_key.serialize_der())?;
    /// # let server_config = tls::server_config(vec![made.cert.der().clone()], key)?;
    /// # let mut roots = RootCertStore::empty();
    /// # roots.add(made.cert.der().clone())?;
    /// # let client = TlsClient::with_roots(roots)?;
    /// // A peer that accepts the connection and never answers the handshake.
    /// let silent = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let port = silent.local_addr()?.port();
    /// let options = OpenOptions::default()
    ///     .ssl(client)
    ///     .ssl_handshake_timeout(Duration::from_millis(100));
    /// let error = open_connection(&*rt, "127.0.0.1", port, options).await;
    /// assert!(matches!(error, Err(ConnectError::Tls(TlsError::HandshakeTimeout(_)))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "builder methods return the changed value"]
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
    /// # let server = start_server(rt.clone(), greet, "127.0.0.1".into(), 0, ServerOptions::default().ssl(server_config)).await?;
    /// # let port = server.local_addrs()[0].port();
    /// // How long `close()` waits for the server's close_notify.
    /// let options = OpenOptions::default()
    ///     .ssl(client.clone())
    ///     .ssl_shutdown_timeout(Duration::from_secs(5));
    /// let (mut reader, writer) = open_connection(&*rt, "127.0.0.1", port, options).await?;
    /// assert_eq!(reader.readline().await?, "hello\n");
    /// writer.close();
    /// writer.wait_closed().await?; // the server answered in time
    /// // Without `ssl`, it is refused (asyncio's ValueError).
    /// let plain = OpenOptions::default().ssl_shutdown_timeout(Duration::from_secs(5));
    /// let error = open_connection(&*rt, "127.0.0.1", port, plain).await;
    /// assert!(matches!(
    ///     error,
    ///     Err(ConnectError::InvalidArgument(ArgumentError::ShutdownTimeoutWithoutSsl))
    /// ));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use = "builder methods return the changed value"]
    pub fn ssl_shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.ssl_shutdown_timeout = Some(timeout);
        self
    }

    #[cfg(feature = "tls")]
    /// asyncio's up-front TLS argument checks (spec 9.1, steps 1–4; 12 for
    /// Unix): the server name to use, if TLS.
    pub(super) fn tls_name(&self, host: Option<&str>) -> Result<Option<String>, ArgumentError> {
        let unix = host.is_none();
        if unix && self.ssl.is_some() && self.server_hostname.is_none() {
            return Err(ArgumentError::UnixServerHostnameRequired);
        }
        if self.server_hostname.is_some() && self.ssl.is_none() {
            return Err(ArgumentError::ServerHostnameWithoutSsl);
        }
        let name = match (&self.ssl, &self.server_hostname) {
            (None, _) => None,
            (Some(_), Some(n)) => Some(n.clone()),
            (Some(_), None) => match host {
                Some(h) if !h.is_empty() => Some(h.to_owned()),
                _ => return Err(ArgumentError::ServerHostnameRequired),
            },
        };
        if self.ssl.is_none() {
            if self.ssl_handshake_timeout.is_some() {
                return Err(ArgumentError::HandshakeTimeoutWithoutSsl);
            }
            if self.ssl_shutdown_timeout.is_some() {
                return Err(ArgumentError::ShutdownTimeoutWithoutSsl);
            }
        }
        Ok(name)
    }

    /// The client session for a connection that just connected, when
    /// [`tls_name`](Self::tls_name) named a server (asyncio validates the
    /// timeouts only now, after connecting).
    #[cfg(feature = "tls")]
    pub(super) fn client_session(
        &self,
        tls_name: Option<String>,
    ) -> Result<Option<TlsSession>, ConnectError> {
        let (Some(client), Some(name)) = (&self.ssl, tls_name) else {
            return Ok(None);
        };
        check_timeouts(self.ssl_handshake_timeout, self.ssl_shutdown_timeout)?;
        Ok(Some(TlsSession::client(
            client,
            &name,
            self.ssl_handshake_timeout,
            self.ssl_shutdown_timeout,
        )?))
    }

    /// Without the `tls` feature: never a server name (no TLS).
    #[cfg(not(feature = "tls"))]
    pub(super) fn tls_name(&self, _host: Option<&str>) -> Result<Option<String>, ArgumentError> {
        Ok(None)
    }

    /// Without the `tls` feature: never a session.
    #[cfg(not(feature = "tls"))]
    pub(super) fn client_session(
        &self,
        _tls_name: Option<String>,
    ) -> Result<Option<TlsSession>, ConnectError> {
        Ok(None)
    }
}
