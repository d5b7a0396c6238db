//! Certificates made at test time.

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::RootCertStore;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use streams_common::tls::{server_config, server_config_with_client_auth, TlsClient};

/// A throwaway CA with a server and a client certificate, made at test
/// time.
pub struct Pki {
    /// The CA certificate.
    pub ca: CertificateDer<'static>,
    ca_pem: String,
    pub(super) server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivateKeyDer<'static>,
    server_pem: String,
    server_key_pem: String,
    pub(super) client_chain: Vec<CertificateDer<'static>>,
    client_key: PrivateKeyDer<'static>,
}

impl Pki {
    /// A new CA; the server certificate names `localhost`, `127.0.0.1` and
    /// `::1`.
    pub fn new() -> Pki {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "streams test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf = |names: Vec<String>| {
            let key = rcgen::KeyPair::generate().unwrap();
            let mut params = rcgen::CertificateParams::new(names).unwrap();
            // CPython 3.13's strict verification wants the AKI.
            params.use_authority_key_identifier_extension = true;
            let cert = params.signed_by(&key, &issuer).unwrap();
            (cert, key)
        };
        let (server, server_key) = leaf(vec!["localhost".into(), "127.0.0.1".into(), "::1".into()]);
        let (client, client_key) = leaf(vec!["client.test".into()]);
        Pki {
            ca: ca.der().clone(),
            ca_pem: ca.pem(),
            server_chain: vec![server.der().clone()],
            server_key: PrivateKeyDer::try_from(server_key.serialize_der()).unwrap(),
            server_pem: server.pem(),
            server_key_pem: server_key.serialize_pem(),
            client_chain: vec![client.der().clone()],
            client_key: PrivateKeyDer::try_from(client_key.serialize_der()).unwrap(),
        }
    }

    fn roots(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca.clone()).unwrap();
        roots
    }

    /// The server configuration.
    pub fn server(&self) -> Arc<rustls::ServerConfig> {
        server_config(self.server_chain.clone(), self.server_key.clone_key()).unwrap()
    }

    pub(super) fn server_alpn(&self, alpn: &[u8]) -> Arc<rustls::ServerConfig> {
        let mut c = self.server();
        Arc::make_mut(&mut c).alpn_protocols = vec![alpn.to_vec()];
        c
    }

    pub(super) fn server_requiring_client_cert(&self) -> Arc<rustls::ServerConfig> {
        server_config_with_client_auth(
            self.server_chain.clone(),
            self.server_key.clone_key(),
            self.roots(),
        )
        .unwrap()
    }

    /// A client trusting this CA.
    pub fn client(&self) -> TlsClient {
        TlsClient::with_roots(self.roots()).unwrap()
    }

    pub(super) fn client_with_cert(&self) -> TlsClient {
        TlsClient::with_roots_and_client_auth(
            self.roots(),
            self.client_chain.clone(),
            self.client_key.clone_key(),
        )
        .unwrap()
    }

    /// Writes `ca.pem`, `server.pem` and `server.key` into `dir`.
    pub(super) fn write_pems(&self, dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
        let ca = dir.join("ca.pem");
        let cert = dir.join("server.pem");
        let key = dir.join("server.key");
        std::fs::write(&ca, &self.ca_pem).unwrap();
        std::fs::write(&cert, &self.server_pem).unwrap();
        std::fs::write(&key, &self.server_key_pem).unwrap();
        (ca, cert, key)
    }
}

impl Default for Pki {
    fn default() -> Self {
        Pki::new()
    }
}
