//! [`TlsError`], every TLS failure, and [`tls_error`], which finds one
//! inside an `io::Error`.

use std::fmt;
use std::io;
use std::time::Duration;

/// A TLS failure. Connections carry it inside an [`io::Error`] (reads,
/// `drain()`, `wait_closed()`); [`tls_error`] gets it back.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum TlsError {
    /// The handshake did not finish within the handshake timeout
    /// (asyncio's `ConnectionAbortedError('SSL handshake is taking longer
    /// than 0.2 seconds: aborting the connection')`).
    HandshakeTimeout(Duration),
    /// The peer did not answer our close_notify within the shutdown
    /// timeout (asyncio's `TimeoutError('SSL shutdown timed out')`).
    ShutdownTimeout,
    /// The handshake failed: a certificate that does not verify (wrong
    /// name, unknown issuer, expired, missing client certificate), no
    /// common protocol, an alert from the peer, or a peer that does not
    /// speak TLS.
    Handshake(rustls::Error),
    /// The peer closed the connection during the handshake (asyncio's bare
    /// `ConnectionResetError()`), e.g. a plaintext server that hung up.
    HandshakeEof,
    /// A TLS protocol error after the handshake (a corrupt record, an
    /// alert).
    Protocol(rustls::Error),
    /// `server_hostname` is not a valid DNS name or IP address.
    InvalidServerName(String),
    /// `write_eof()` over TLS (asyncio's `NotImplementedError`): TLS has no
    /// half-close.
    WriteEofNotSupported,
    /// `start_tls` with a configuration for the wrong side: a server-side
    /// connection (accepted by a server) needs a server configuration, a
    /// client-side one a client configuration.
    WrongSide {
        /// Whether the connection is server-side.
        server_side: bool,
    },
    /// `start_tls` on a connection that already uses TLS.
    AlreadyTls,
    /// `start_tls` given the reader of another connection.
    ForeignReader,
    /// `start_tls` on a connection that is closing or closed.
    Closed,
    /// An empty `server_hostname` (no SNI, no name check) with a
    /// [`TlsClient`](super::TlsClient) built by
    /// [`TlsClient::from_config`](super::TlsClient::from_config), whose verifier
    /// cannot be wrapped: use
    /// [`TlsClient::with_verifier`](super::TlsClient::with_verifier).
    NoNameCheckUnavailable,
    /// Building a configuration failed (bad certificate or key).
    Config(rustls::Error),
    /// A client-side `start_tls` on a connection without a host or an IP
    /// peer (a Unix socket) and without `server_hostname`.
    ServerHostnameRequired,
    /// A rejected argument (a zero timeout).
    InvalidArgument(crate::ArgumentError),
}

impl TlsError {
    /// The I/O error kind this failure is reported with.
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            TlsError::HandshakeTimeout(_) => io::ErrorKind::ConnectionAborted,
            TlsError::ShutdownTimeout => io::ErrorKind::TimedOut,
            TlsError::HandshakeEof => io::ErrorKind::ConnectionReset,
            TlsError::Handshake(_) | TlsError::Protocol(_) => io::ErrorKind::InvalidData,
            TlsError::WriteEofNotSupported => io::ErrorKind::Unsupported,
            TlsError::InvalidServerName(_)
            | TlsError::WrongSide { .. }
            | TlsError::NoNameCheckUnavailable
            | TlsError::Config(_)
            | TlsError::ServerHostnameRequired
            | TlsError::ForeignReader
            | TlsError::InvalidArgument(_) => io::ErrorKind::InvalidInput,
            TlsError::AlreadyTls | TlsError::Closed => io::ErrorKind::Other,
        }
    }

    /// Whether this is a certificate verification failure (asyncio's
    /// `SSLCertVerificationError`).
    pub fn is_certificate_error(&self) -> bool {
        matches!(
            self,
            TlsError::Handshake(
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
            ) | TlsError::Handshake(rustls::Error::AlertReceived(
                rustls::AlertDescription::BadCertificate
                    | rustls::AlertDescription::CertificateRequired
                    | rustls::AlertDescription::UnknownCA
                    | rustls::AlertDescription::CertificateUnknown
            ))
        )
    }

    /// The rustls error behind a handshake or protocol failure.
    pub fn rustls_error(&self) -> Option<&rustls::Error> {
        match self {
            TlsError::Handshake(e) | TlsError::Protocol(e) | TlsError::Config(e) => Some(e),
            _ => None,
        }
    }
}

/// Durations as Python prints floats (`0.2`, `60.0`).
fn py_seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.1}")
    } else {
        format!("{s}")
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::HandshakeTimeout(t) => write!(
                f,
                "SSL handshake is taking longer than {} seconds: aborting the connection",
                py_seconds(*t)
            ),
            TlsError::ShutdownTimeout => f.write_str("SSL shutdown timed out"),
            TlsError::Handshake(e) if self.is_certificate_error() => {
                write!(f, "SSL handshake failed on verifying the certificate: {e}")
            }
            TlsError::Handshake(e) => write!(f, "SSL handshake failed: {e}"),
            TlsError::HandshakeEof => {
                f.write_str("SSL handshake failed: the peer closed the connection")
            }
            TlsError::Protocol(e) => write!(f, "SSL error: {e}"),
            TlsError::InvalidServerName(n) => write!(f, "invalid server_hostname {n:?}"),
            TlsError::WriteEofNotSupported => {
                f.write_str("write_eof() is not supported over TLS (TLS has no half-close)")
            }
            TlsError::WrongSide { server_side: true } => {
                f.write_str("start_tls on a server-side connection needs a server configuration")
            }
            TlsError::WrongSide { server_side: false } => {
                f.write_str("start_tls on a client-side connection needs a client configuration")
            }
            TlsError::AlreadyTls => f.write_str("the connection already uses TLS"),
            TlsError::ForeignReader => {
                f.write_str("start_tls() was given the reader of another connection")
            }
            TlsError::Closed => f.write_str("the connection is closing"),
            TlsError::NoNameCheckUnavailable => f.write_str(
                "an empty server_hostname disables the name check, which needs a TlsClient \
                 built with TlsClient::new, with_roots or with_verifier",
            ),
            TlsError::Config(e) => write!(f, "invalid TLS configuration: {e}"),
            TlsError::ServerHostnameRequired => {
                f.write_str("You must set server_hostname when using ssl without a host")
            }
            TlsError::InvalidArgument(a) => a.fmt(f),
        }
    }
}

impl std::error::Error for TlsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.rustls_error()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<TlsError> for io::Error {
    fn from(e: TlsError) -> io::Error {
        io::Error::new(e.kind(), e)
    }
}

/// The [`TlsError`] inside an I/O error, if it is one (what reads,
/// `drain()` and `wait_closed()` return for TLS failures).
///
/// ```
/// use streams_common::tls::{tls_error, TlsError};
/// let e: std::io::Error = TlsError::ShutdownTimeout.into();
/// assert_eq!(tls_error(&e), Some(&TlsError::ShutdownTimeout));
/// assert_eq!(e.to_string(), "SSL shutdown timed out");
/// ```
pub fn tls_error(e: &io::Error) -> Option<&TlsError> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<TlsError>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::DEFAULT_HANDSHAKE_TIMEOUT;

    #[test]
    fn messages_are_asyncios() {
        assert_eq!(
            TlsError::HandshakeTimeout(Duration::from_millis(200)).to_string(),
            "SSL handshake is taking longer than 0.2 seconds: aborting the connection"
        );
        assert_eq!(
            TlsError::HandshakeTimeout(DEFAULT_HANDSHAKE_TIMEOUT).to_string(),
            "SSL handshake is taking longer than 60.0 seconds: aborting the connection"
        );
        assert_eq!(
            TlsError::ShutdownTimeout.to_string(),
            "SSL shutdown timed out"
        );
        let e: io::Error = TlsError::HandshakeTimeout(Duration::from_secs(1)).into();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionAborted);
        let e: io::Error = TlsError::ShutdownTimeout.into();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        let copy = crate::clone_io_error(&e);
        assert_eq!(tls_error(&copy), Some(&TlsError::ShutdownTimeout));
    }
}
