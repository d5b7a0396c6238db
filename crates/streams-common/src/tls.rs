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

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig};

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

/// The crypto provider every configuration built here uses: rustls' `ring`
/// provider (no C toolchain beyond `cc` is needed, no AWS-LC).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

// ----- errors --------------------------------------------------------------

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
    /// [`TlsClient`] built by [`TlsClient::from_config`], whose verifier
    /// cannot be wrapped: use [`TlsClient::with_verifier`].
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

// ----- configurations ------------------------------------------------------

/// The client side of `ssl=`: a rustls client configuration, plus what an
/// empty `server_hostname` needs (asyncio: no SNI and no hostname check,
/// the chain is still verified).
///
/// ```
/// use streams_common::tls::TlsClient;
/// // asyncio's ssl=True: the bundled Mozilla roots (webpki-roots).
/// let client = TlsClient::new().unwrap().alpn(["h2", "http/1.1"]);
/// assert_eq!(client.config().alpn_protocols.len(), 2);
/// ```
#[derive(Clone)]
pub struct TlsClient {
    config: Arc<ClientConfig>,
    /// The same configuration without SNI and without the name check.
    no_name_check: Option<Arc<ClientConfig>>,
}

impl fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsClient")
            .field("alpn_protocols", &self.config.alpn_protocols)
            .field("no_name_check", &self.no_name_check.is_some())
            .finish()
    }
}

impl TlsClient {
    /// asyncio's `ssl=True` (`ssl.create_default_context()`): verifies the
    /// server against the Mozilla root certificates bundled by the
    /// `webpki-roots` crate (the system store is not read), no client
    /// certificate.
    pub fn new() -> Result<TlsClient, TlsError> {
        let roots = RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        TlsClient::with_roots(roots)
    }

    /// Verifies the server against `roots` only (a private CA, say).
    pub fn with_roots(roots: RootCertStore) -> Result<TlsClient, TlsError> {
        let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .map_err(|e| TlsError::Config(rustls::Error::General(e.to_string())))?;
        TlsClient::with_verifier(verifier, None)
    }

    /// Verifies the server with `verifier` and, when `client_auth` is
    /// given, presents that certificate chain and key (for servers that
    /// require client certificates).
    pub fn with_verifier(
        verifier: Arc<dyn ServerCertVerifier>,
        client_auth: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    ) -> Result<TlsClient, TlsError> {
        let build = |v: Arc<dyn ServerCertVerifier>| -> Result<ClientConfig, TlsError> {
            let b = ClientConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .map_err(TlsError::Config)?
                .dangerous()
                .with_custom_certificate_verifier(v);
            match &client_auth {
                Some((chain, key)) => b
                    .with_client_auth_cert(chain.clone(), key.clone_key())
                    .map_err(TlsError::Config),
                None => Ok(b.with_no_client_auth()),
            }
        };
        let config = build(verifier.clone())?;
        let mut loose = build(Arc::new(NoNameCheck(verifier)))?;
        loose.enable_sni = false;
        Ok(TlsClient {
            config: Arc::new(config),
            no_name_check: Some(Arc::new(loose)),
        })
    }

    /// Trusts `roots` and presents a client certificate.
    pub fn with_roots_and_client_auth(
        roots: RootCertStore,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<TlsClient, TlsError> {
        let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .map_err(|e| TlsError::Config(rustls::Error::General(e.to_string())))?;
        TlsClient::with_verifier(verifier, Some((chain, key)))
    }

    /// Any rustls client configuration. An empty `server_hostname` is then
    /// refused with [`TlsError::NoNameCheckUnavailable`] (rustls does not
    /// expose a configuration's verifier to wrap).
    pub fn from_config(config: Arc<ClientConfig>) -> TlsClient {
        TlsClient {
            config,
            no_name_check: None,
        }
    }

    /// Sets the ALPN protocols offered, in order of preference.
    pub fn alpn<I, P>(mut self, protocols: I) -> TlsClient
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        let list: Vec<Vec<u8>> = protocols.into_iter().map(|p| p.as_ref().to_vec()).collect();
        Arc::make_mut(&mut self.config).alpn_protocols = list.clone();
        if let Some(c) = &mut self.no_name_check {
            Arc::make_mut(c).alpn_protocols = list;
        }
        self
    }

    /// The configuration used with a server name.
    pub fn config(&self) -> &Arc<ClientConfig> {
        &self.config
    }

    /// A client connection for `server_hostname` (asyncio's rules: empty →
    /// no SNI and no name check).
    pub(crate) fn connect(&self, server_hostname: &str) -> Result<rustls::Connection, TlsError> {
        let (config, name) = if server_hostname.is_empty() {
            let config = self
                .no_name_check
                .clone()
                .ok_or(TlsError::NoNameCheckUnavailable)?;
            (
                config,
                ServerName::IpAddress(IpAddr::V4(Ipv4Addr::UNSPECIFIED).into()),
            )
        } else {
            let host = server_hostname
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or(server_hostname);
            let name = ServerName::try_from(host.to_owned())
                .map_err(|_| TlsError::InvalidServerName(server_hostname.to_owned()))?;
            (self.config.clone(), name)
        };
        rustls::ClientConnection::new(config, name)
            .map(rustls::Connection::Client)
            .map_err(TlsError::Config)
    }
}

/// A verifier that checks the chain but not the name (asyncio's
/// `check_hostname = False` with an empty `server_hostname`). rustls'
/// WebPKI verifier checks the chain before the name, so a name error means
/// the chain was valid.
#[derive(Debug)]
struct NoNameCheck(Arc<dyn ServerCertVerifier>);

impl ServerCertVerifier for NoNameCheck {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// A server configuration presenting `chain` (leaf first) and `key`, with
/// no client authentication.
///
/// ```no_run
/// # fn f(chain: Vec<rustls::pki_types::CertificateDer<'static>>, key: rustls::pki_types::PrivateKeyDer<'static>) {
/// use streams_common::{tls, ServerOptions};
/// let options = ServerOptions::default().ssl(tls::server_config(chain, key).unwrap());
/// # }
/// ```
pub fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, TlsError> {
    ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map(Arc::new)
        .map_err(TlsError::Config)
}

/// A server configuration that requires a client certificate issued by
/// one of `client_roots`.
pub fn server_config_with_client_auth(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    client_roots: RootCertStore,
) -> Result<Arc<ServerConfig>, TlsError> {
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(client_roots), provider())
        .build()
        .map_err(|e| TlsError::Config(rustls::Error::General(e.to_string())))?;
    ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map(Arc::new)
        .map_err(TlsError::Config)
}

/// A configuration for `StreamWriter::start_tls`: the client or the server
/// side, which must match how the connection was made.
#[derive(Clone, Debug)]
pub enum TlsConfig {
    /// Upgrade a connection made by `open_connection`.
    Client(TlsClient),
    /// Upgrade a connection accepted by a server.
    Server(Arc<ServerConfig>),
}

impl From<TlsClient> for TlsConfig {
    fn from(c: TlsClient) -> Self {
        TlsConfig::Client(c)
    }
}

impl From<Arc<ServerConfig>> for TlsConfig {
    fn from(c: Arc<ServerConfig>) -> Self {
        TlsConfig::Server(c)
    }
}

/// Options of `StreamWriter::start_tls` (asyncio's `server_hostname=`,
/// `ssl_handshake_timeout=`, `ssl_shutdown_timeout=`).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct StartTlsOptions {
    /// The name to send (SNI) and check the certificate against; client
    /// side only. `None` on the client side: the host the connection was
    /// opened with (an IP address when it was opened with one); `""`: no
    /// SNI and no name check.
    pub server_hostname: Option<String>,
    /// The handshake timeout (60 s when `None`); must be positive.
    pub handshake_timeout: Option<Duration>,
    /// The shutdown timeout (30 s when `None`); must be positive.
    pub shutdown_timeout: Option<Duration>,
}

impl StartTlsOptions {
    /// Sets [`server_hostname`](Self::server_hostname).
    pub fn server_hostname(mut self, name: impl Into<String>) -> Self {
        self.server_hostname = Some(name.into());
        self
    }
    /// Sets [`handshake_timeout`](Self::handshake_timeout).
    pub fn handshake_timeout(mut self, t: Duration) -> Self {
        self.handshake_timeout = Some(t);
        self
    }
    /// Sets [`shutdown_timeout`](Self::shutdown_timeout).
    pub fn shutdown_timeout(mut self, t: Duration) -> Self {
        self.shutdown_timeout = Some(t);
        self
    }
}

// ----- extra info ----------------------------------------------------------

/// What a TLS connection negotiated (asyncio's `get_extra_info('peercert')`,
/// `'cipher'`, `'ssl_object'.version()`, `.selected_alpn_protocol()`,
/// `.server_hostname`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct TlsInfo {
    /// The peer's certificate chain, leaf first (empty when the peer sent
    /// none: a client without a certificate).
    pub peer_certificates: Vec<CertificateDer<'static>>,
    /// The protocol version, e.g. `TLSv1_3`.
    pub protocol_version: Option<rustls::ProtocolVersion>,
    /// The cipher suite, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher_suite: Option<rustls::CipherSuite>,
    /// The ALPN protocol both sides agreed on.
    pub alpn_protocol: Option<Vec<u8>>,
    /// The SNI name: on a server, the one the client sent; on a client, the
    /// one it sent (`None` for an IP address or an empty
    /// `server_hostname`).
    pub server_name: Option<String>,
    /// Whether this side is the server.
    pub server_side: bool,
    /// Whether the handshake is complete.
    pub handshake_complete: bool,
}

impl TlsInfo {
    /// The protocol version as asyncio's `ssl_object.version()` names it
    /// (`"TLSv1.3"`, `"TLSv1.2"`).
    pub fn version_name(&self) -> Option<&'static str> {
        match self.protocol_version? {
            rustls::ProtocolVersion::TLSv1_3 => Some("TLSv1.3"),
            rustls::ProtocolVersion::TLSv1_2 => Some("TLSv1.2"),
            _ => None,
        }
    }
}

// ----- the session the driver runs ----------------------------------------

/// The session a connection installs (kept under its old name for the
/// connection setup code).
pub(crate) use crate::connection::TlsSession as TlsSetup;

/// asyncio's positive-timeout checks (made after the TCP connection
/// succeeded, as asyncio does).
pub(crate) fn check_timeouts(
    handshake: Option<Duration>,
    shutdown: Option<Duration>,
) -> Result<(), crate::ArgumentError> {
    if handshake == Some(Duration::ZERO) {
        return Err(crate::ArgumentError::NonPositiveHandshakeTimeout);
    }
    if shutdown == Some(Duration::ZERO) {
        return Err(crate::ArgumentError::NonPositiveShutdownTimeout);
    }
    Ok(())
}

/// The extra info of a session.
pub(crate) fn info(conn: &rustls::Connection, sni: Option<&str>) -> TlsInfo {
    let (server_side, server_name) = match conn {
        rustls::Connection::Server(s) => (true, s.server_name().map(str::to_owned)),
        rustls::Connection::Client(_) => (false, sni.map(str::to_owned)),
    };
    TlsInfo {
        peer_certificates: conn
            .peer_certificates()
            .map(|c| c.iter().map(|c| c.clone().into_owned()).collect())
            .unwrap_or_default(),
        protocol_version: conn.protocol_version(),
        cipher_suite: conn.negotiated_cipher_suite().map(|s| s.suite()),
        alpn_protocol: conn.alpn_protocol().map(<[u8]>::to_vec),
        server_name,
        server_side,
        handshake_complete: !conn.is_handshaking(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Pki {
        ca: rustls::pki_types::CertificateDer<'static>,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    }

    fn pki(names: &[&str]) -> Pki {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let key = rcgen::KeyPair::generate().unwrap();
        let params =
            rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        let leaf = params.signed_by(&key, &issuer).unwrap();
        Pki {
            ca: ca.der().clone(),
            chain: vec![leaf.der().clone()],
            key: PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
        }
    }

    fn client_for(p: &Pki) -> TlsClient {
        let mut roots = RootCertStore::empty();
        roots.add(p.ca.clone()).unwrap();
        TlsClient::with_roots(roots).unwrap()
    }

    /// Runs both sides in memory until neither has anything to send.
    fn pump(c: &mut rustls::Connection, s: &mut rustls::Connection) -> Result<(), rustls::Error> {
        fn one(
            from: &mut rustls::Connection,
            to: &mut rustls::Connection,
        ) -> Result<bool, rustls::Error> {
            let mut buf = Vec::new();
            while from.wants_write() {
                from.write_tls(&mut buf).unwrap();
            }
            let mut rd = &buf[..];
            while !rd.is_empty() {
                to.read_tls(&mut rd).unwrap();
            }
            if !buf.is_empty() {
                to.process_new_packets()?;
            }
            Ok(!buf.is_empty())
        }
        for _ in 0..20 {
            let a = one(c, s)?;
            let b = one(s, c)?;
            if !a && !b {
                return Ok(());
            }
        }
        Ok(())
    }

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

    #[test]
    fn timeouts_must_be_positive() {
        assert!(check_timeouts(None, None).is_ok());
        assert!(check_timeouts(Some(Duration::from_millis(1)), None).is_ok());
        assert_eq!(
            check_timeouts(Some(Duration::ZERO), None)
                .unwrap_err()
                .to_string(),
            "ssl_handshake_timeout should be a positive number, got 0"
        );
        assert_eq!(
            check_timeouts(None, Some(Duration::ZERO))
                .unwrap_err()
                .to_string(),
            "ssl_shutdown_timeout should be a positive number, got 0"
        );
    }

    #[test]
    fn handshake_in_memory_with_name_ip_and_no_name() {
        let p = pki(&["localhost", "127.0.0.1"]);
        let server = server_config(p.chain.clone(), p.key.clone_key()).unwrap();
        let client = client_for(&p).alpn(["x"]);
        for name in ["localhost", "127.0.0.1", ""] {
            let mut c = TlsSetup::client(&client, name, None, None)
                .unwrap()
                .into_rustls();
            let mut s = TlsSetup::server(&server, None, None).unwrap().into_rustls();
            pump(&mut c, &mut s).unwrap();
            assert!(!c.is_handshaking() && !s.is_handshaking(), "{name}");
            let si = info(&s, None);
            assert_eq!(
                si.server_name.as_deref(),
                (name == "localhost").then_some(name)
            );
            let ci = info(&c, Some(name));
            assert_eq!(ci.peer_certificates, p.chain);
            assert_eq!(ci.version_name(), Some("TLSv1.3"));
        }
    }

    #[test]
    fn wrong_name_and_unknown_ca_fail_as_certificate_errors() {
        let p = pki(&["localhost"]);
        let server = server_config(p.chain.clone(), p.key.clone_key()).unwrap();
        let other = pki(&["localhost"]);
        for (client, name) in [
            (client_for(&p), "example.com"),
            (client_for(&other), "localhost"),
        ] {
            let mut c = TlsSetup::client(&client, name, None, None)
                .unwrap()
                .into_rustls();
            let mut s = TlsSetup::server(&server, None, None).unwrap().into_rustls();
            let err = pump(&mut c, &mut s).unwrap_err();
            let e = TlsError::Handshake(err);
            assert!(e.is_certificate_error(), "{e}");
            assert!(e
                .to_string()
                .starts_with("SSL handshake failed on verifying the certificate: "));
        }
        // An unknown CA stays an error without the name check.
        let client = client_for(&other);
        let mut c = TlsSetup::client(&client, "", None, None)
            .unwrap()
            .into_rustls();
        let mut s = TlsSetup::server(&server, None, None).unwrap().into_rustls();
        assert!(pump(&mut c, &mut s).is_err());
    }

    #[test]
    fn server_names_and_from_config() {
        let p = pki(&["localhost"]);
        let client = client_for(&p);
        assert!(matches!(
            client.connect("bad name!"),
            Err(TlsError::InvalidServerName(_))
        ));
        assert!(client.connect("[::1]").is_ok());
        let plain = TlsClient::from_config(client.config().clone());
        assert_eq!(
            plain.connect("").err(),
            Some(TlsError::NoNameCheckUnavailable)
        );
        assert!(plain.connect("localhost").is_ok());
        assert!(TlsClient::new().is_ok());
    }
}
