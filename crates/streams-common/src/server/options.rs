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
    /// `SO_REUSEADDR` (on, as asyncio on POSIX).
    pub reuse_address: bool,
    /// `SO_REUSEPORT` (off).
    pub reuse_port: bool,
    /// `SO_KEEPALIVE` on the listening sockets (off).
    pub keep_alive: bool,
    /// Start accepting at once (on). When off, the sockets are bound but
    /// not listening until [`Server::start_serving`](super::Server::start_serving).
    pub start_serving: bool,
    /// Called when a handler fails (returns an error or panics).
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
            reuse_address: true,
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
    #[cfg(feature = "tls")]
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
