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
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
    /// Binds to `addr` before connecting: sets
    /// [`local_addrs`](Self::local_addrs) to this one address.
    pub fn local_addr(mut self, addr: SocketAddr) -> Self {
        self.local_addrs = vec![addr];
        self
    }
    /// Sets [`local_addrs`](Self::local_addrs): several local addresses,
    /// e.g. one IPv4 and one IPv6 address, tried in order for the attempts
    /// of their family.
    pub fn local_addrs(mut self, addrs: impl IntoIterator<Item = SocketAddr>) -> Self {
        self.local_addrs = addrs.into_iter().collect();
        self
    }
    /// Sets [`family`](Self::family).
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
    /// ```no_run
    /// # async fn f(rt: &dyn streams_common::runtime::Runtime) -> Result<(), streams_common::ConnectError> {
    /// use std::time::Duration;
    /// use streams_common::{open_connection, OpenOptions};
    /// let options = OpenOptions::default().happy_eyeballs_delay(Duration::from_millis(250));
    /// let (reader, writer) = open_connection(rt, "example.com", 80, options).await?;
    /// # Ok(()) }
    /// ```
    pub fn happy_eyeballs_delay(mut self, delay: Duration) -> Self {
        self.happy_eyeballs_delay = Some(delay);
        self
    }
    /// Sets [`interleave`](Self::interleave).
    pub fn interleave(mut self, first_family_count: usize) -> Self {
        self.interleave = Some(first_family_count);
        self
    }
    /// Sets [`all_errors`](Self::all_errors).
    pub fn all_errors(mut self, all_errors: bool) -> Self {
        self.all_errors = all_errors;
        self
    }
    #[cfg(feature = "tls")]
    /// Sets [`ssl`](Self::ssl): connect with TLS.
    ///
    /// ```no_run
    /// # async fn f(rt: &dyn streams_common::runtime::Runtime) -> Result<(), Box<dyn std::error::Error>> {
    /// use streams_common::{open_connection, OpenOptions, TlsClient};
    /// let options = OpenOptions::default().ssl(TlsClient::new()?);
    /// let (mut reader, writer) = open_connection(rt, "example.com", 443, options).await?;
    /// writer.write(b"GET / HTTP/1.0\r\nHost: example.com\r\n\r\n")?;
    /// let status = reader.readline().await?;
    /// # Ok(()) }
    /// ```
    pub fn ssl(mut self, client: TlsClient) -> Self {
        self.ssl = Some(client);
        self
    }
    #[cfg(feature = "tls")]
    /// Sets [`server_hostname`](Self::server_hostname).
    pub fn server_hostname(mut self, name: impl Into<String>) -> Self {
        self.server_hostname = Some(name.into());
        self
    }
    #[cfg(feature = "tls")]
    /// Sets [`ssl_handshake_timeout`](Self::ssl_handshake_timeout).
    pub fn ssl_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.ssl_handshake_timeout = Some(timeout);
        self
    }
    #[cfg(feature = "tls")]
    /// Sets [`ssl_shutdown_timeout`](Self::ssl_shutdown_timeout).
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
