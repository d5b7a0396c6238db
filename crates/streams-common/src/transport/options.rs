//! What the transport entry points take: [`TransportOptions`].

use crate::addr::Address;
use reader_core::DEFAULT_LIMIT;

/// Options of streams over a transport ([`open`](super::open) and its
/// siblings, [`pair`](super::pair), child processes), with asyncio's
/// defaults (`TransportOptions::default()`).
///
/// A transport has no addresses and no side of its own, so what a socket
/// would tell is given here: what the writer reports as `peername` and
/// `sockname`, and the side `start_tls` takes. `#[non_exhaustive]`; build
/// it with the setters:
///
/// ```
/// use streams_common::transport::TransportOptions;
/// let options = TransportOptions::default()
///     .limit(1 << 20)
///     .server_hostname("localhost");
/// assert_eq!(options.limit, 1 << 20);
/// assert!(!options.server_side);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TransportOptions {
    /// The reader's buffer limit (asyncio's `limit=`, 64 KiB); 0 is
    /// refused.
    pub limit: usize,
    /// What the writer reports as the peer's address
    /// (`get_extra_info('peername')`); `None` by default.
    pub peername: Option<Address>,
    /// What the writer reports as the local address
    /// (`get_extra_info('sockname')`); `None` by default.
    pub sockname: Option<Address>,
    /// Whether this end counts as accepted by a server: the side
    /// `start_tls` takes (a server configuration when `true`, a client
    /// one when `false`, the default).
    pub server_side: bool,
    /// The name a client-side `start_tls` sends as SNI and checks the
    /// certificate against, unless its own options give one; `None` by
    /// default (then `start_tls` needs `server_hostname` in its options).
    pub server_hostname: Option<String>,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            limit: DEFAULT_LIMIT,
            peername: None,
            sockname: None,
            server_side: false,
            server_hostname: None,
        }
    }
}

impl TransportOptions {
    /// Sets the reader's buffer limit.
    ///
    /// ```
    /// let o = streams_common::transport::TransportOptions::default().limit(100);
    /// assert_eq!(o.limit, 100);
    /// ```
    #[must_use]
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Sets what the writer reports as the peer's address.
    ///
    /// ```
    /// use streams_common::{transport::TransportOptions, Address};
    /// let o = TransportOptions::default().peername(Address::Inet("127.0.0.1:9".parse().unwrap()));
    /// assert!(o.peername.is_some());
    /// ```
    #[must_use]
    pub fn peername(mut self, addr: Address) -> Self {
        self.peername = Some(addr);
        self
    }

    /// Sets what the writer reports as the local address.
    ///
    /// ```
    /// use streams_common::{transport::TransportOptions, Address};
    /// let o = TransportOptions::default().sockname(Address::Inet("127.0.0.1:9".parse().unwrap()));
    /// assert!(o.sockname.is_some());
    /// ```
    #[must_use]
    pub fn sockname(mut self, addr: Address) -> Self {
        self.sockname = Some(addr);
        self
    }

    /// Makes this end the server side of `start_tls`.
    ///
    /// ```
    /// let o = streams_common::transport::TransportOptions::default().server_side(true);
    /// assert!(o.server_side);
    /// ```
    #[must_use]
    pub fn server_side(mut self, server_side: bool) -> Self {
        self.server_side = server_side;
        self
    }

    /// Sets the default server name of a client-side `start_tls`.
    ///
    /// ```
    /// let o = streams_common::transport::TransportOptions::default().server_hostname("example.com");
    /// assert_eq!(o.server_hostname.as_deref(), Some("example.com"));
    /// ```
    #[must_use]
    pub fn server_hostname(mut self, name: impl Into<String>) -> Self {
        self.server_hostname = Some(name.into());
        self
    }
}
