//! Typed errors with asyncio's messages.

use std::fmt;
use std::io;
use std::sync::Arc;

/// The error a connection ended with, as the reader stores it: shared, so
/// every later read can report it.
pub type StoredError = Arc<io::Error>;

/// What the reads of a [`StreamReader`](crate::StreamReader) fail with
/// (reader-core's error with this crate's stored error).
pub type ReadError = reader_core::ReadError<StoredError>;

/// A copy of an I/O error: the same OS error code when there is one,
/// otherwise the same kind and message.
#[must_use]
pub fn clone_io_error(e: &io::Error) -> io::Error {
    if let Some(t) = crate::tls::tls_error(e) {
        return t.clone().into();
    }
    match e.raw_os_error() {
        Some(code) => io::Error::from_raw_os_error(code),
        None => io::Error::new(e.kind(), e.to_string()),
    }
}

/// The `io::Error` a connection's stored error is reported as, each time
/// it is reported: the same OS error code when there is one, the same
/// [`TlsError`](crate::TlsError) for TLS failures, otherwise the same kind
/// and message with the stored error itself as the
/// [`source`](std::error::Error::source), so nothing of it is lost.
#[must_use]
pub fn stored_io_error(e: &StoredError) -> io::Error {
    if crate::tls::tls_error(e).is_some() || e.raw_os_error().is_some() {
        return clone_io_error(e);
    }
    io::Error::new(e.kind(), SharedError(e.clone()))
}

/// A stored error inside a reported one: displays as it, and is its
/// source.
#[derive(Debug)]
struct SharedError(StoredError);

impl fmt::Display for SharedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SharedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// For `?` in functions returning `io::Result`: kind `BrokenPipe` (what a
/// socket reports for a write after its write side was shut down), the
/// `WriteError` inside.
impl From<crate::WriteError> for io::Error {
    fn from(e: crate::WriteError) -> io::Error {
        io::Error::new(io::ErrorKind::BrokenPipe, e)
    }
}

/// For `?` in functions returning `io::Result`: kind `InvalidInput`, the
/// `LimitsError` inside.
impl From<crate::LimitsError> for io::Error {
    fn from(e: crate::LimitsError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, e)
    }
}

/// asyncio's `ConnectionResetError('Connection lost')`, what `drain()`
/// reports once the connection is over.
#[must_use]
pub fn connection_lost() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "Connection lost")
}

/// An argument asyncio rejects (`ValueError`), checked before any network
/// activity.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArgumentError {
    /// `limit` was 0.
    ZeroLimit,
    /// An in-memory pair's capacity was 0 (nothing could ever pass).
    ZeroCapacity,
    /// The socket passed in is not a stream socket (`desc` describes it).
    NotAStreamSocket {
        /// What was passed instead.
        desc: String,
    },
    /// The socket passed in is not a Unix-domain stream socket.
    NotAUnixStreamSocket {
        /// What was passed instead.
        desc: String,
    },
    /// `local_addr` has no address of the remote address's family.
    NoMatchingLocalAddr {
        /// Whether the remote address was IPv6.
        ipv6: bool,
    },
    /// `server_hostname` without `ssl`.
    ServerHostnameWithoutSsl,
    /// `ssl` without `server_hostname` and without a host to use instead.
    ServerHostnameRequired,
    /// `open_unix_connection` with `ssl` and no `server_hostname` (a path
    /// is not a name; `""` is accepted: no SNI, no name check).
    UnixServerHostnameRequired,
    /// `ssl_handshake_timeout` without `ssl`.
    HandshakeTimeoutWithoutSsl,
    /// `ssl_shutdown_timeout` without `ssl`.
    ShutdownTimeoutWithoutSsl,
    /// `ssl_handshake_timeout` of zero (checked after the TCP connection
    /// succeeded, as asyncio does).
    NonPositiveHandshakeTimeout,
    /// `ssl_shutdown_timeout` of zero (checked after the TCP connection
    /// succeeded, as asyncio does).
    NonPositiveShutdownTimeout,
}

impl fmt::Display for ArgumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgumentError::ZeroLimit => f.write_str("Limit cannot be <= 0"),
            ArgumentError::ZeroCapacity => f.write_str("Capacity cannot be <= 0"),
            ArgumentError::NotAStreamSocket { desc } => {
                write!(f, "A Stream Socket was expected, got {desc}")
            }
            ArgumentError::NotAUnixStreamSocket { desc } => {
                write!(f, "A UNIX Domain Stream Socket was expected, got {desc}")
            }
            ArgumentError::NoMatchingLocalAddr { ipv6 } => {
                let family = if *ipv6 {
                    "<AddressFamily.AF_INET6: 10>"
                } else {
                    "<AddressFamily.AF_INET: 2>"
                };
                write!(f, "no matching local address with family={family} found")
            }
            ArgumentError::ServerHostnameWithoutSsl => {
                f.write_str("server_hostname is only meaningful with ssl")
            }
            ArgumentError::ServerHostnameRequired => {
                f.write_str("You must set server_hostname when using ssl without a host")
            }
            ArgumentError::UnixServerHostnameRequired => {
                f.write_str("you have to pass server_hostname when using ssl")
            }
            ArgumentError::HandshakeTimeoutWithoutSsl => {
                f.write_str("ssl_handshake_timeout is only meaningful with ssl")
            }
            ArgumentError::ShutdownTimeoutWithoutSsl => {
                f.write_str("ssl_shutdown_timeout is only meaningful with ssl")
            }
            ArgumentError::NonPositiveHandshakeTimeout => {
                f.write_str("ssl_handshake_timeout should be a positive number, got 0")
            }
            ArgumentError::NonPositiveShutdownTimeout => {
                f.write_str("ssl_shutdown_timeout should be a positive number, got 0")
            }
        }
    }
}

impl std::error::Error for ArgumentError {}

/// For `?` in functions returning `io::Result`: kind `InvalidInput`, the
/// `ArgumentError` inside.
impl From<ArgumentError> for io::Error {
    fn from(e: ArgumentError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, e)
    }
}

/// Why `open_connection` (or `open_unix_connection`) failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectError {
    /// A rejected argument; nothing was attempted.
    InvalidArgument(ArgumentError),
    /// Resolution failed, or every attempt failed with one error (or with
    /// errors whose messages are all the same: the first is kept).
    Io(io::Error),
    /// Every attempt failed and the errors differ: all of them, in the
    /// order the attempts were made (asyncio's `Multiple exceptions: ...`).
    Multiple(Vec<io::Error>),
    /// Every attempt failed and [`all_errors`](crate::OpenOptions::all_errors)
    /// was set: every error of every attempt, in the order the attempts
    /// started, even when there is only one (asyncio's
    /// `ExceptionGroup('create_connection failed', errors)`). Displayed as
    /// the group's text followed by the errors:
    /// `create_connection failed (2 sub-exceptions): ..., ...`.
    All(Vec<io::Error>),
    /// The connection was made but the TLS handshake failed (a certificate
    /// that does not verify, the handshake timeout, a peer that does not
    /// speak TLS).
    Tls(crate::tls::TlsError),
}

impl ConnectError {
    /// Combines the errors of failed attempts as asyncio does: one error as
    /// it is; several with the same message, the first; otherwise all of
    /// them. No error at all (nothing was attempted) is asyncio's
    /// `TimeoutError('create_connection failed')`.
    #[must_use]
    pub fn combine(mut errors: Vec<io::Error>) -> ConnectError {
        if errors.is_empty() {
            return ConnectError::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                "create_connection failed",
            ));
        }
        let first = errors[0].to_string();
        if errors.iter().all(|e| e.to_string() == first) {
            return ConnectError::Io(errors.swap_remove(0));
        }
        ConnectError::Multiple(errors)
    }

    /// The errors of failed attempts as asyncio's `all_errors=True`
    /// reports them: all of them, as [`ConnectError::All`]. No error at all
    /// gives [`combine`](Self::combine)'s timeout (asyncio would fail to
    /// build an empty group; this cannot happen with at least one address).
    #[must_use]
    pub fn all(errors: Vec<io::Error>) -> ConnectError {
        if errors.is_empty() {
            return ConnectError::combine(errors);
        }
        ConnectError::All(errors)
    }

    /// The I/O errors this failure carries: the one error, or all of them
    /// for [`Multiple`](Self::Multiple) and [`All`](Self::All); none for
    /// an invalid argument.
    #[must_use]
    pub fn errors(&self) -> &[io::Error] {
        match self {
            ConnectError::InvalidArgument(_) | ConnectError::Tls(_) => &[],
            ConnectError::Io(e) => std::slice::from_ref(e),
            ConnectError::Multiple(errors) | ConnectError::All(errors) => errors,
        }
    }

    /// The I/O error kind, when the failure was a single I/O error or a
    /// TLS failure.
    #[must_use]
    pub fn kind(&self) -> Option<io::ErrorKind> {
        match self {
            ConnectError::Io(e) => Some(e.kind()),
            ConnectError::Tls(e) => Some(e.kind()),
            _ => None,
        }
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::InvalidArgument(a) => a.fmt(f),
            ConnectError::Io(e) => e.fmt(f),
            ConnectError::Tls(e) => e.fmt(f),
            ConnectError::Multiple(errors) => {
                f.write_str("Multiple exceptions: ")?;
                for (i, e) in errors.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    e.fmt(f)?;
                }
                Ok(())
            }
            ConnectError::All(errors) => {
                let n = errors.len();
                let plural = if n == 1 { "" } else { "s" };
                write!(f, "create_connection failed ({n} sub-exception{plural})")?;
                for (i, e) in errors.iter().enumerate() {
                    f.write_str(if i == 0 { ": " } else { ", " })?;
                    e.fmt(f)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConnectError::InvalidArgument(a) => Some(a),
            ConnectError::Io(e) => Some(e),
            ConnectError::Tls(e) => Some(e),
            ConnectError::Multiple(_) | ConnectError::All(_) => None,
        }
    }
}

impl From<ArgumentError> for ConnectError {
    fn from(a: ArgumentError) -> Self {
        ConnectError::InvalidArgument(a)
    }
}

impl From<io::Error> for ConnectError {
    fn from(e: io::Error) -> Self {
        match crate::tls::tls_error(&e) {
            Some(t) => ConnectError::Tls(t.clone()),
            None => ConnectError::Io(e),
        }
    }
}

impl From<crate::tls::TlsError> for ConnectError {
    fn from(e: crate::tls::TlsError) -> Self {
        ConnectError::Tls(e)
    }
}

/// For `?` in functions returning `io::Result`: a single I/O error as it
/// is; a TLS failure as [`TlsError`](crate::TlsError) converts (its kind,
/// the `TlsError` inside); an argument as `InvalidInput` with the
/// [`ArgumentError`] inside; several attempts' errors as kind `Other` (or
/// their common kind, when they all have one) with the whole
/// `ConnectError` inside, to downcast for every error.
impl From<ConnectError> for io::Error {
    fn from(e: ConnectError) -> io::Error {
        match e {
            ConnectError::Io(e) => e,
            ConnectError::Tls(e) => e.into(),
            ConnectError::InvalidArgument(a) => a.into(),
            ConnectError::Multiple(ref errors) | ConnectError::All(ref errors) => {
                let kind = match errors.split_first() {
                    Some((first, rest)) if rest.iter().all(|e| e.kind() == first.kind()) => {
                        first.kind()
                    }
                    _ => io::ErrorKind::Other,
                };
                io::Error::new(kind, e)
            }
        }
    }
}

/// Why a server call failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServerError {
    /// A rejected argument; nothing was bound.
    InvalidArgument(ArgumentError),
    /// Binding or listening failed.
    Io(io::Error),
    /// The server was closed (asyncio: `server ... is closed`; asyncio's
    /// `start_serving` after `close` fails with an unrelated `TypeError`,
    /// this one reports it plainly).
    Closed,
    /// `serve_forever` is already running on this server.
    AlreadyServingForever,
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerError::InvalidArgument(a) => a.fmt(f),
            ServerError::Io(e) => e.fmt(f),
            ServerError::Closed => f.write_str("server is closed"),
            ServerError::AlreadyServingForever => {
                f.write_str("server is already being awaited on serve_forever()")
            }
        }
    }
}

impl std::error::Error for ServerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServerError::InvalidArgument(a) => Some(a),
            ServerError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ArgumentError> for ServerError {
    fn from(a: ArgumentError) -> Self {
        ServerError::InvalidArgument(a)
    }
}

impl From<io::Error> for ServerError {
    fn from(e: io::Error) -> Self {
        ServerError::Io(e)
    }
}

/// For `?` in functions returning `io::Result`: a bind or listen error as
/// it is; an argument as `InvalidInput` with the [`ArgumentError`] inside;
/// the others as kind `Other` with the `ServerError` inside.
impl From<ServerError> for io::Error {
    fn from(e: ServerError) -> io::Error {
        match e {
            ServerError::Io(e) => e,
            ServerError::InvalidArgument(a) => a.into(),
            other => io::Error::other(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(addr: &str) -> io::Error {
        io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!("[Errno 111] Connect call failed ({addr})"),
        )
    }

    #[test]
    fn one_error_is_kept_as_is() {
        let e = ConnectError::combine(vec![io::Error::from_raw_os_error(111)]);
        match e {
            ConnectError::Io(e) => assert_eq!(e.raw_os_error(), Some(111)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn identical_messages_give_the_first() {
        let a = refused("'127.0.0.1', 1");
        let b = io::Error::other(a.to_string());
        let e = ConnectError::combine(vec![a, b]);
        assert_eq!(e.kind(), Some(io::ErrorKind::ConnectionRefused));
    }

    #[test]
    fn different_messages_are_listed_in_order() {
        let e = ConnectError::combine(vec![
            refused("'127.0.0.1', 41177"),
            refused("'127.0.0.2', 41177"),
        ]);
        assert_eq!(
            e.to_string(),
            "Multiple exceptions: [Errno 111] Connect call failed ('127.0.0.1', 41177), \
             [Errno 111] Connect call failed ('127.0.0.2', 41177)"
        );
    }

    #[test]
    fn all_errors_is_a_group_even_for_one() {
        let e = ConnectError::all(vec![refused("'127.0.0.1', 1")]);
        assert!(matches!(&e, ConnectError::All(v) if v.len() == 1));
        assert_eq!(
            e.to_string(),
            "create_connection failed (1 sub-exception): \
             [Errno 111] Connect call failed ('127.0.0.1', 1)"
        );
        assert_eq!(e.kind(), None);
        let e = ConnectError::all(vec![refused("'127.0.0.1', 1"), refused("'127.0.0.1', 1")]);
        assert_eq!(e.errors().len(), 2, "identical texts are all kept");
        assert_eq!(
            e.to_string(),
            "create_connection failed (2 sub-exceptions): \
             [Errno 111] Connect call failed ('127.0.0.1', 1), \
             [Errno 111] Connect call failed ('127.0.0.1', 1)"
        );
        assert_eq!(
            ConnectError::all(Vec::new()).to_string(),
            "create_connection failed"
        );
    }

    #[test]
    fn errors_accessor() {
        let e = ConnectError::combine(vec![refused("'a', 1"), refused("'b', 1")]);
        assert_eq!(e.errors().len(), 2);
        let e = ConnectError::combine(vec![refused("'a', 1")]);
        assert_eq!(e.errors().len(), 1);
        assert!(ConnectError::from(ArgumentError::ZeroLimit)
            .errors()
            .is_empty());
    }

    #[test]
    fn no_error_is_a_timeout() {
        let e = ConnectError::combine(vec![]);
        assert_eq!(e.kind(), Some(io::ErrorKind::TimedOut));
        assert_eq!(e.to_string(), "create_connection failed");
    }

    #[test]
    fn argument_messages() {
        assert_eq!(ArgumentError::ZeroLimit.to_string(), "Limit cannot be <= 0");
        assert_eq!(
            ArgumentError::NoMatchingLocalAddr { ipv6: false }.to_string(),
            "no matching local address with family=<AddressFamily.AF_INET: 2> found"
        );
    }

    #[test]
    fn clone_keeps_os_code() {
        let e = io::Error::from_raw_os_error(104);
        assert_eq!(clone_io_error(&e).raw_os_error(), Some(104));
        let e = connection_lost();
        let c = clone_io_error(&e);
        assert_eq!(c.kind(), io::ErrorKind::ConnectionReset);
        assert_eq!(c.to_string(), "Connection lost");
    }

    #[test]
    fn connect_errors_into_io_keep_the_original() {
        // One error: itself, OS code included.
        let e: io::Error = ConnectError::combine(vec![io::Error::from_raw_os_error(111)]).into();
        assert_eq!(e.raw_os_error(), Some(111));
        // Several: the group inside, with their common kind.
        let e: io::Error = ConnectError::combine(vec![refused("'a', 1"), refused("'b', 1")]).into();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
        let group = e.get_ref().unwrap().downcast_ref::<ConnectError>().unwrap();
        assert_eq!(group.errors().len(), 2);
        assert!(e.to_string().starts_with("Multiple exceptions: "));
        // Of different kinds: Other.
        let e: io::Error = ConnectError::all(vec![
            refused("'a', 1"),
            io::Error::new(io::ErrorKind::TimedOut, "timed out"),
        ])
        .into();
        assert_eq!(e.kind(), io::ErrorKind::Other);
        assert!(e.get_ref().unwrap().is::<ConnectError>());
        // An argument: InvalidInput, the ArgumentError inside.
        let e: io::Error = ConnectError::from(ArgumentError::ZeroLimit).into();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(
            e.get_ref().unwrap().downcast_ref::<ArgumentError>(),
            Some(&ArgumentError::ZeroLimit)
        );
    }

    #[test]
    fn server_errors_into_io_keep_the_original() {
        let e: io::Error = ServerError::Io(io::Error::from_raw_os_error(98)).into();
        assert_eq!(e.raw_os_error(), Some(98));
        let e: io::Error = ServerError::Closed.into();
        assert_eq!(e.kind(), io::ErrorKind::Other);
        assert_eq!(e.to_string(), "server is closed");
        assert!(matches!(
            e.get_ref().unwrap().downcast_ref::<ServerError>(),
            Some(ServerError::Closed)
        ));
        let e: io::Error = ServerError::from(ArgumentError::ZeroLimit).into();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(e.get_ref().unwrap().is::<ArgumentError>());
    }

    #[test]
    fn a_stored_error_is_reported_with_its_kind_code_and_source() {
        #[derive(Debug)]
        struct Cause;
        impl fmt::Display for Cause {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the cause")
            }
        }
        impl std::error::Error for Cause {}

        let stored: StoredError = Arc::new(io::Error::new(io::ErrorKind::TimedOut, Cause));
        let reported = stored_io_error(&stored);
        assert_eq!(reported.kind(), io::ErrorKind::TimedOut);
        assert_eq!(reported.to_string(), "the cause");
        let source = std::error::Error::source(reported.get_ref().unwrap()).unwrap();
        let original = source.downcast_ref::<io::Error>().unwrap();
        assert!(original.get_ref().unwrap().is::<Cause>());

        let os: StoredError = Arc::new(io::Error::from_raw_os_error(113));
        assert_eq!(stored_io_error(&os).raw_os_error(), Some(113));
    }
}
