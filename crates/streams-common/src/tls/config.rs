//! The TLS configurations: [`TlsClient`] (with the verifier behind an
//! empty `server_hostname`), [`server_config`], [`TlsConfig`] and
//! [`StartTlsOptions`] for `start_tls`, and the crypto [`provider`].

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig};

use super::TlsError;

/// The crypto provider every configuration built here uses: rustls' `ring`
/// provider (no C toolchain beyond `cc` is needed, no AWS-LC).
#[must_use]
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

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
    #[must_use]
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
    #[must_use]
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
    #[must_use = "builder methods return the changed value"]
    pub fn handshake_timeout(mut self, t: Duration) -> Self {
        self.handshake_timeout = Some(t);
        self
    }
    /// Sets [`shutdown_timeout`](Self::shutdown_timeout).
    #[must_use = "builder methods return the changed value"]
    pub fn shutdown_timeout(mut self, t: Duration) -> Self {
        self.shutdown_timeout = Some(t);
        self
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) struct Pki {
        pub(crate) ca: rustls::pki_types::CertificateDer<'static>,
        pub(crate) chain: Vec<CertificateDer<'static>>,
        pub(crate) key: PrivateKeyDer<'static>,
    }

    pub(crate) fn pki(names: &[&str]) -> Pki {
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

    pub(crate) fn client_for(p: &Pki) -> TlsClient {
        let mut roots = RootCertStore::empty();
        roots.add(p.ca.clone()).unwrap();
        TlsClient::with_roots(roots).unwrap()
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
