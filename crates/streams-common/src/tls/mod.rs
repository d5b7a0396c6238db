//! TLS over the shared connection driver, with rustls, once for every
//! runtime.
//!
//! The connection driver ([`StreamReader`](crate::StreamReader) /
//! [`StreamWriter`](crate::StreamWriter)'s background task) runs a
//! `rustls::Connection` itself: it feeds it the ciphertext it reads, hands
//! the decrypted bytes to the reader core, encrypts what the application
//! wrote and sends it in the same single-syscall flushes as plain
//! connections. There is no TLS code in the adapters; Tokio, smol and
//! async-std behave the same by construction.
//!
//! What this module provides:
//!
//! * [`TlsClient`], the client side of `ssl=` (asyncio's `SSLContext` for
//!   clients): [`TlsClient::new`] is asyncio's `ssl=True` (the Mozilla
//!   roots bundled by `webpki-roots`, no system store is read);
//!   [`TlsClient::with_roots`] trusts given roots (a private CA);
//!   [`TlsClient::from_config`] takes any `rustls::ClientConfig`.
//! * [`server_config`] / [`server_config_with_client_auth`]: a
//!   `rustls::ServerConfig` from PEM-decoded certificates and a key, for
//!   `ServerOptions::ssl`; any `Arc<rustls::ServerConfig>` works.
//! * [`TlsError`]: every TLS failure, typed, with asyncio's messages where
//!   asyncio has one; it travels inside `io::Error`s (see [`tls_error`]).
//! * [`TlsInfo`]: what `StreamWriter::tls_info` reports (asyncio's
//!   `get_extra_info('peercert' | 'cipher' | 'ssl_object' ...)`).
//! * [`StartTlsOptions`] / [`TlsConfig`] for `StreamWriter::start_tls`.
//!
//! Semantics (asyncio's SSL transport, spec section 8):
//!
//! * Handshake timeout (default 60 s): a client's `open_connection` fails
//!   with [`TlsError::HandshakeTimeout`]; a server drops the connection and
//!   never runs its handler.
//! * `close()` sends what is buffered, then close_notify, then waits for
//!   the peer's close_notify (or its FIN) for at most the shutdown timeout
//!   (default 30 s); past it the connection is closed and `wait_closed()`
//!   fails with [`TlsError::ShutdownTimeout`] (`SSL shutdown timed out`).
//! * The peer's close_notify or a bare FIN ends the stream: the reader
//!   gets EOF after every decrypted byte, and the connection closes (TLS
//!   has no half-open state). `can_write_eof()` is false; `write_eof()`
//!   does nothing (`write_eof()` returns
//!   [`TlsError::WriteEofNotSupported`]).
//! * Flow control: the default water marks over TLS are asyncio's SSL
//!   ones, 512 KiB high and 128 KiB low. The write buffer counts the
//!   plaintext not yet handed to rustls; the driver hands rustls at most
//!   [`TLS_WRITE_CHUNK`] bytes at a time and only once everything it
//!   encrypted before has been sent, so at most one chunk's ciphertext is
//!   outside the count. `drain()` therefore means what it means for plain
//!   connections.
//!
//! Without the crate's `tls` feature (on by default) only [`TlsError`],
//! [`IoFailure`], [`tls_error`] and the constants remain: the signatures
//! that name them (`write_eof`, [`ConnectError::Tls`](crate::ConnectError))
//! do not change with the feature; nothing produces a `TlsError` then.

#[cfg(feature = "tls")]
mod config;
mod error;
#[cfg(feature = "tls")]
mod info;
#[cfg(feature = "tls")]
mod session;

use std::time::Duration;

#[cfg(feature = "tls")]
pub use rustls;

/// asyncio's default `ssl_handshake_timeout`: 60 s.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);
/// asyncio's default `ssl_shutdown_timeout`: 30 s.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);
/// The default high-water mark over TLS (asyncio's SSL transport: 512 KiB).
pub const TLS_HIGH_WATER: usize = 512 * 1024;
/// The default low-water mark over TLS (asyncio's SSL transport: 128 KiB).
pub const TLS_LOW_WATER: usize = 128 * 1024;
/// How many plaintext bytes the driver encrypts at a time.
pub const TLS_WRITE_CHUNK: usize = 64 * 1024;

#[cfg(feature = "tls")]
pub use config::{
    provider, server_config, server_config_with_client_auth, StartTlsOptions, TlsClient, TlsConfig,
};
pub use error::{tls_error, IoFailure, TlsError};
#[cfg(feature = "tls")]
pub use info::TlsInfo;

/// The session a connection installs (under its old name, for the
/// connection setup code).
#[cfg(feature = "tls")]
pub(crate) use crate::connection::TlsSession as TlsSetup;
pub(crate) use error::handshake_failure;
#[cfg(feature = "tls")]
pub(crate) use info::info;
#[cfg(feature = "tls")]
pub(crate) use session::check_timeouts;
