//! [`TlsError`], every TLS failure, and [`tls_error`], which finds one
//! inside an `io::Error`.

use std::fmt;
use std::io;
use std::sync::Arc;
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
    #[cfg(feature = "tls")]
    Handshake(rustls::Error),
    /// The peer closed the connection during the handshake (asyncio's bare
    /// `ConnectionResetError()`), e.g. a plaintext server that hung up.
    HandshakeEof,
    /// The socket failed during the handshake (asyncio propagates the
    /// `OSError` itself, e.g. `TimeoutError` for `ETIMEDOUT`): the original
    /// I/O error, whose kind [`TlsError::kind`] reports and which
    /// [`Error::source`](std::error::Error::source) returns.
    Io(IoFailure),
    /// A TLS protocol error after the handshake (a corrupt record, an
    /// alert).
    #[cfg(feature = "tls")]
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
    /// `start_tls` after `write_eof()`: the handshake could not be sent.
    /// (asyncio accepts the call, then its first handshake write raises
    /// `RuntimeError('Cannot call write() after write_eof()')` inside the
    /// event loop and the handshake hangs until the peer hangs up; this
    /// refuses it up front.)
    AfterWriteEof,
    /// An empty `server_hostname` (no SNI, no name check) with a
    /// [`TlsClient`](super::TlsClient) built by
    /// [`TlsClient::from_config`](super::TlsClient::from_config), whose verifier
    /// cannot be wrapped: use
    /// [`TlsClient::with_verifier`](super::TlsClient::with_verifier).
    NoNameCheckUnavailable,
    /// Building a configuration failed (bad certificate or key).
    #[cfg(feature = "tls")]
    Config(rustls::Error),
    /// A client-side `start_tls` on a connection without a host or an IP
    /// peer (a Unix socket) and without `server_hostname`.
    ServerHostnameRequired,
    /// A rejected argument (a zero timeout).
    InvalidArgument(crate::ArgumentError),
}

impl TlsError {
    /// The I/O error kind this failure is reported with.
    #[must_use]
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            TlsError::HandshakeTimeout(_) => io::ErrorKind::ConnectionAborted,
            TlsError::ShutdownTimeout => io::ErrorKind::TimedOut,
            TlsError::HandshakeEof => io::ErrorKind::ConnectionReset,
            TlsError::Io(e) => e.io_error().kind(),
            #[cfg(feature = "tls")]
            TlsError::Handshake(_) | TlsError::Protocol(_) => io::ErrorKind::InvalidData,
            #[cfg(feature = "tls")]
            TlsError::Config(_) => io::ErrorKind::InvalidInput,
            TlsError::WriteEofNotSupported => io::ErrorKind::Unsupported,
            TlsError::InvalidServerName(_)
            | TlsError::WrongSide { .. }
            | TlsError::NoNameCheckUnavailable
            | TlsError::ServerHostnameRequired
            | TlsError::ForeignReader
            | TlsError::InvalidArgument(_) => io::ErrorKind::InvalidInput,
            TlsError::AlreadyTls | TlsError::Closed => io::ErrorKind::Other,
            TlsError::AfterWriteEof => io::ErrorKind::BrokenPipe,
        }
    }

    /// Whether this is a certificate verification failure (asyncio's
    /// `SSLCertVerificationError`).
    #[cfg(feature = "tls")]
    #[must_use]
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
    #[cfg(feature = "tls")]
    #[must_use]
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
            #[cfg(feature = "tls")]
            TlsError::Handshake(e) if self.is_certificate_error() => {
                write!(f, "SSL handshake failed on verifying the certificate: {e}")
            }
            #[cfg(feature = "tls")]
            TlsError::Handshake(e) => write!(f, "SSL handshake failed: {e}"),
            TlsError::HandshakeEof => {
                f.write_str("SSL handshake failed: the peer closed the connection")
            }
            TlsError::Io(e) => write!(f, "SSL handshake failed: {}", e.io_error()),
            #[cfg(feature = "tls")]
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
            TlsError::AfterWriteEof => {
                f.write_str("start_tls() after write_eof(): the write side is shut down")
            }
            TlsError::NoNameCheckUnavailable => f.write_str(
                "an empty server_hostname disables the name check, which needs a TlsClient \
                 built with TlsClient::new, with_roots or with_verifier",
            ),
            #[cfg(feature = "tls")]
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
        match self {
            TlsError::Io(e) => Some(e.io_error()),
            #[cfg(feature = "tls")]
            TlsError::Handshake(e) | TlsError::Protocol(e) | TlsError::Config(e) => Some(e),
            _ => None,
        }
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
#[must_use]
pub fn tls_error(e: &io::Error) -> Option<&TlsError> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<TlsError>())
}

/// The I/O error behind [`TlsError::Io`], shared so that the error stays
/// `Clone` (a connection reports it to every read, `drain()` and
/// `wait_closed()`).
///
/// Two failures are equal when they share the error or when the errors
/// have the same kind and message.
///
/// ```
/// use std::io;
/// use streams_common::tls::{tls_error, IoFailure, TlsError};
/// let timed_out = io::Error::new(io::ErrorKind::TimedOut, "Connection timed out");
/// let e: io::Error = TlsError::Io(IoFailure::new(timed_out)).into();
/// assert_eq!(e.kind(), io::ErrorKind::TimedOut);
/// let Some(TlsError::Io(failure)) = tls_error(&e) else { unreachable!() };
/// assert_eq!(failure.io_error().to_string(), "Connection timed out");
/// ```
#[derive(Clone, Debug)]
pub struct IoFailure(Arc<io::Error>);

impl IoFailure {
    /// Wraps `e`.
    #[must_use]
    pub fn new(e: io::Error) -> IoFailure {
        IoFailure(Arc::new(e))
    }

    /// The original I/O error (its kind, OS error code and message).
    #[must_use]
    pub fn io_error(&self) -> &io::Error {
        &self.0
    }
}

impl From<Arc<io::Error>> for IoFailure {
    /// Shares `e` (a connection's stored error) without copying it.
    fn from(e: Arc<io::Error>) -> Self {
        IoFailure(e)
    }
}

impl From<io::Error> for IoFailure {
    fn from(e: io::Error) -> Self {
        IoFailure::new(e)
    }
}

impl PartialEq for IoFailure {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
            || (self.0.kind() == other.0.kind() && self.0.to_string() == other.0.to_string())
    }
}

/// The handshake failure an I/O error of the connection means (`None`:
/// the connection was closed without one).
///
/// * An error that carries a [`TlsError`] (see [`tls_error`]): that error.
/// * `ConnectionReset` or `UnexpectedEof`: [`TlsError::HandshakeEof`]
///   (asyncio's bare `ConnectionResetError()`).
/// * Any other: [`TlsError::Io`], keeping the error's kind and the error
///   itself as the source.
/// * `None`: [`TlsError::Closed`].
pub(crate) fn handshake_failure(e: Option<&io::Error>) -> TlsError {
    match e {
        Some(e) => match tls_error(e) {
            Some(t) => t.clone(),
            None if matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::UnexpectedEof
            ) =>
            {
                TlsError::HandshakeEof
            }
            None => TlsError::Io(IoFailure::new(crate::clone_io_error(e))),
        },
        None => TlsError::Closed,
    }
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

    /// What the handshake failure of `e` looks like to the application:
    /// the `io::Error` reads return, and the `TlsError` found back in it.
    fn through_io(e: io::Error) -> (TlsError, io::Error) {
        let t = handshake_failure(Some(&e));
        let reported: io::Error = t.clone().into();
        assert_eq!(tls_error(&reported), Some(&t));
        (t, reported)
    }

    /// The `io::Error` a [`TlsError`]'s source chain leads to.
    fn source_io(e: &dyn std::error::Error) -> &io::Error {
        e.source()
            .and_then(|s| s.downcast_ref::<io::Error>())
            .expect("an io::Error source")
    }

    #[test]
    fn handshake_io_errors_keep_their_kind_and_source() {
        let timed_out = io::Error::new(io::ErrorKind::TimedOut, "Connection timed out");
        let (t, reported) = through_io(timed_out);
        assert!(matches!(t, TlsError::Io(_)), "{t:?}");
        assert_eq!(t.kind(), io::ErrorKind::TimedOut);
        assert_eq!(reported.kind(), io::ErrorKind::TimedOut);
        assert_eq!(t.to_string(), "SSL handshake failed: Connection timed out");
        assert_eq!(reported.to_string(), t.to_string());
        #[cfg(feature = "tls")]
        {
            assert!(!t.is_certificate_error());
            assert_eq!(t.rustls_error(), None);
        }
        // io::Error's source is its payload's source: the original error.
        assert_eq!(source_io(&t).kind(), io::ErrorKind::TimedOut);
        assert_eq!(source_io(&reported).to_string(), "Connection timed out");
        // Going through handshake_failure or clone_io_error again keeps it.
        assert_eq!(handshake_failure(Some(&reported)), t);
        assert_eq!(tls_error(&crate::clone_io_error(&reported)), Some(&t));
    }

    #[cfg(unix)]
    #[test]
    fn handshake_os_errors_keep_their_code() {
        for code in [libc::ETIMEDOUT, libc::EHOSTUNREACH] {
            let original = io::Error::from_raw_os_error(code);
            let (t, reported) = through_io(io::Error::from_raw_os_error(code));
            assert_eq!(t.kind(), original.kind());
            assert_eq!(reported.kind(), original.kind());
            assert_eq!(source_io(&reported).raw_os_error(), Some(code));
            let TlsError::Io(failure) = &t else {
                panic!("{t:?}")
            };
            assert_eq!(failure.io_error().raw_os_error(), Some(code));
            assert_eq!(t.to_string(), format!("SSL handshake failed: {original}"));
        }
        let (t, _) = through_io(io::Error::from_raw_os_error(libc::ETIMEDOUT));
        assert_eq!(t.kind(), io::ErrorKind::TimedOut);
    }

    #[test]
    fn handshake_failure_mapping() {
        for kind in [io::ErrorKind::ConnectionReset, io::ErrorKind::UnexpectedEof] {
            assert_eq!(
                handshake_failure(Some(&io::Error::new(kind, "gone"))),
                TlsError::HandshakeEof
            );
        }
        assert_eq!(handshake_failure(None), TlsError::Closed);
        let carried: io::Error = TlsError::HandshakeTimeout(Duration::from_secs(1)).into();
        assert_eq!(
            handshake_failure(Some(&carried)),
            TlsError::HandshakeTimeout(Duration::from_secs(1))
        );
        // An error carrying a TlsError is that error even with a reset kind.
        let carried: io::Error = TlsError::HandshakeEof.into();
        assert_eq!(handshake_failure(Some(&carried)), TlsError::HandshakeEof);
        let refused = io::Error::new(io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(
            handshake_failure(Some(&refused)).kind(),
            io::ErrorKind::ConnectionRefused
        );
    }

    #[test]
    fn io_failures_compare_by_identity_or_kind_and_message() {
        let a = IoFailure::new(io::Error::new(io::ErrorKind::TimedOut, "slow"));
        assert_eq!(a, a.clone());
        assert!(Arc::ptr_eq(&a.0, &a.clone().0));
        let same = IoFailure::from(io::Error::new(io::ErrorKind::TimedOut, "slow"));
        assert_eq!(a, same);
        let other_message = IoFailure::new(io::Error::new(io::ErrorKind::TimedOut, "late"));
        assert_ne!(a, other_message);
        let other_kind = IoFailure::new(io::Error::new(io::ErrorKind::ConnectionRefused, "slow"));
        assert_ne!(a, other_kind);
    }
}
