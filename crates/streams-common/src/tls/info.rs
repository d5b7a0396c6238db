//! [`TlsInfo`], what a TLS connection negotiated, and the function that
//! reads it off a session.

use rustls::pki_types::CertificateDer;

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
    #[must_use]
    pub fn version_name(&self) -> Option<&'static str> {
        match self.protocol_version? {
            rustls::ProtocolVersion::TLSv1_3 => Some("TLSv1.3"),
            rustls::ProtocolVersion::TLSv1_2 => Some("TLSv1.2"),
            _ => None,
        }
    }
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
