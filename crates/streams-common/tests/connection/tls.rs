//! A throwaway PKI (a CA and a leaf for `localhost`, made with rcgen once
//! per test binary) and TLS sessions that trust it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use streams_common::connection::TlsSession;
use streams_common::tls::rustls::pki_types::PrivateKeyDer;
use streams_common::tls::rustls::{RootCertStore, ServerConfig};
use streams_common::tls::{server_config, TlsClient};

pub struct Pki {
    pub client: TlsClient,
    pub server: Arc<ServerConfig>,
}

fn make() -> Pki {
    // Each CA has its own name: a client trusting another CA then fails
    // with an unknown issuer (not a bad signature from a namesake).
    static CAS: AtomicUsize = AtomicUsize::new(0);
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let n = CAS.fetch_add(1, Ordering::Relaxed);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("connection test CA {n}"));
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    let key = PrivateKeyDer::try_from(key.serialize_der()).unwrap();
    Pki {
        client: TlsClient::with_roots(roots).unwrap(),
        server: server_config(vec![leaf.der().clone()], key).unwrap(),
    }
}

pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(make)
}

/// A client session for `localhost` that trusts another CA than the
/// server's.
pub fn untrusting_client() -> TlsSession {
    TlsSession::client(&make().client, "localhost", None, None).unwrap()
}

/// A client session for `localhost` with these timeouts (`None`:
/// asyncio's defaults).
pub fn client(handshake: Option<Duration>, shutdown: Option<Duration>) -> TlsSession {
    TlsSession::client(&pki().client, "localhost", handshake, shutdown).unwrap()
}

/// A server session with these timeouts.
pub fn server(handshake: Option<Duration>, shutdown: Option<Duration>) -> TlsSession {
    TlsSession::server(&pki().server, handshake, shutdown).unwrap()
}
