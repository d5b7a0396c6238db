//! A fixed PKI, checked in under `fuzz/tls/` (made once with rcgen; see
//! `fuzz/tls/README.md`): a CA, a leaf for `localhost` that it signed, the
//! leaf's key, and an unrelated CA. All Ed25519, whose signatures have a
//! fixed length, so that the handshake's byte counts do not vary from run
//! to run.
//!
//! Sessions are deterministic in their sizes, not in their bytes (rustls
//! draws its randoms and key shares from the system). Every run builds
//! fresh client configurations with resumption off, so that no run
//! resumes a session another run left behind.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use streams_common::connection::TlsSession;
use streams_common::tls::rustls::client::Resumption;
use streams_common::tls::rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName,
};
use streams_common::tls::rustls::{
    version, ClientConfig, ClientConnection, RootCertStore, ServerConfig, SupportedProtocolVersion,
};
use streams_common::tls::{provider, server_config, TlsClient};

use super::input::{ClientKind, TlsSetup};

const CA: &[u8] = include_bytes!("../../../../fuzz/tls/ca.der");
const OTHER_CA: &[u8] = include_bytes!("../../../../fuzz/tls/other-ca.der");
const LEAF: &[u8] = include_bytes!("../../../../fuzz/tls/localhost.der");
const LEAF_KEY: &[u8] = include_bytes!("../../../../fuzz/tls/localhost.key.der");

/// The server configuration (shared: without resumption on the client
/// side, its session cache changes nothing a run can see).
fn server() -> &'static Arc<ServerConfig> {
    static SERVER: OnceLock<Arc<ServerConfig>> = OnceLock::new();
    SERVER.get_or_init(|| {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(LEAF_KEY.to_vec()));
        server_config(vec![CertificateDer::from(LEAF.to_vec())], key)
            .expect("the checked-in certificate and key")
    })
}

fn roots(ca: &[u8]) -> RootCertStore {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(ca.to_vec()))
        .expect("the checked-in CA");
    roots
}

fn client_config(ca: &[u8], versions: &[&'static SupportedProtocolVersion]) -> Arc<ClientConfig> {
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .expect("ring supports both versions")
        .with_root_certificates(roots(ca))
        .with_no_client_auth();
    config.resumption = Resumption::disabled();
    Arc::new(config)
}

/// A fresh client and the server name it asks for.
fn client(kind: ClientKind) -> (TlsClient, &'static str) {
    let both = &[&version::TLS13, &version::TLS12][..];
    match kind {
        ClientKind::Default => (TlsClient::from_config(client_config(CA, both)), "localhost"),
        ClientKind::Tls12 => (
            TlsClient::from_config(client_config(CA, &[&version::TLS12])),
            "localhost",
        ),
        ClientKind::Tls13 => (
            TlsClient::from_config(client_config(CA, &[&version::TLS13])),
            "localhost",
        ),
        // Built with a verifier this crate can wrap; fresh per session, so
        // its resumption cache never outlives the run.
        ClientKind::NoName => (TlsClient::with_roots(roots(CA)).expect("the CA"), ""),
        ClientKind::WrongName => (
            TlsClient::from_config(client_config(CA, both)),
            "example.com",
        ),
        ClientKind::Untrusting => (
            TlsClient::from_config(client_config(OTHER_CA, both)),
            "localhost",
        ),
    }
}

/// A session for one side of a connection.
pub fn session(setup: &TlsSetup, server_side: bool) -> TlsSession {
    let hs: Option<Duration> = setup.handshake_timeout.duration();
    let sd: Option<Duration> = setup.shutdown_timeout.duration();
    if server_side {
        TlsSession::server(server(), hs, sd).expect("a server session")
    } else {
        let (client, name) = client(setup.client);
        TlsSession::client(&client, name, hs, sd).expect("a client session")
    }
}

/// A real ClientHello from a client configured as `kind` (a fresh one
/// each time: its random and key share differ, its length does not).
pub fn client_hello(kind: ClientKind) -> Vec<u8> {
    let both = &[&version::TLS13, &version::TLS12][..];
    let config = match kind {
        ClientKind::Tls12 => client_config(CA, &[&version::TLS12]),
        ClientKind::Tls13 => client_config(CA, &[&version::TLS13]),
        _ => client_config(CA, both),
    };
    let name = ServerName::try_from("localhost").expect("a DNS name");
    let mut conn = ClientConnection::new(config, name).expect("a client connection");
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out).expect("writing to a Vec");
    }
    out
}
