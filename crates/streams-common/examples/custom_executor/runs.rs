//! The three runs: plain, TLS echo, and a handshake that times out.

use super::*;

/// How one connection ended.
#[derive(Debug)]
pub struct Ending {
    /// Every phase it was seen in, in order (`Open` first, `Closed` last).
    pub trail: Vec<Phase>,
    /// The TLS handshake's state (`Done` without TLS).
    pub handshake: HandshakeState,
    /// The error the connection was lost with (`Connection::lost_error`).
    pub error: Option<StoredError>,
    /// The application's reader ended with EOF.
    pub saw_eof: bool,
    /// How often receiving stopped because the application's reader held
    /// more than twice its limit (asyncio's `pause_reading()`).
    pub paused: usize,
    /// The TLS version negotiated, if TLS was used.
    pub tls_version: Option<&'static str>,
}

impl Ending {
    /// The last phase.
    pub fn phase(&self) -> Phase {
        *self.trail.last().expect("never empty")
    }

    /// The TLS failure inside `error`.
    pub fn tls_error(&self) -> Option<&TlsError> {
        self.error.as_deref().and_then(tls_error)
    }

    pub(crate) fn trail_text(&self) -> String {
        let names: Vec<String> = self.trail.iter().map(|p| format!("{p:?}")).collect();
        names.join(" -> ")
    }
}

/// What the plain run saw, for the caller to check.
#[derive(Debug)]
pub struct Stats {
    /// The lines the client received, in order.
    pub replies: Vec<String>,
    /// How often the client's `drain()` had to wait (its write buffer was
    /// above the high-water mark).
    pub client_drain_waits: usize,
    /// The same for the server.
    pub server_drain_waits: usize,
    /// Event-loop turns.
    pub turns: usize,
    /// How the client's connection ended.
    pub client: Ending,
    /// How the server's connection ended.
    pub server: Ending,
}

/// Runs the line server and a client that sends `lines` lines, one of
/// them longer than `limit` (the reader limit of both ends), with
/// `high_water` as both ends' high-water mark, then half-closes; the
/// client closes once the server's EOF arrives.
pub fn run(lines: usize, limit: usize, high_water: usize) -> io::Result<Stats> {
    let mut plain = |sock: TcpStream| {
        let mut conn = Connection::new(limit);
        conn.set_write_buffer_limits(Some(high_water), None)
            .map_err(|e| io::Error::other(e.to_string()))?;
        Endpoint::new(sock, conn)
    };
    let (listener, sock) = loopback()?;
    let mut client = plain(sock)?;
    let script = (0..lines)
        .map(|i| {
            if i == lines / 2 {
                format!("{}\n", "x".repeat(limit + 1))
            } else {
                format!("line {i}\n")
            }
        })
        .collect();
    let mut client_app = LineClient::new(script, Then::WriteEof);
    let mut server_app = LineServer::default();
    let (server, turns) = drive(
        &listener,
        &mut plain,
        &mut client,
        &mut client_app,
        &mut server_app,
    )?;
    Ok(Stats {
        replies: client_app.replies,
        client_drain_waits: client_app.drain.waits,
        server_drain_waits: server_app.drain.waits,
        turns,
        client: client.ending(),
        server: server.ending(),
    })
}

/// What a TLS run saw.
#[derive(Debug)]
pub struct TlsStats {
    /// The lines the client received, in order.
    pub replies: Vec<String>,
    /// Event-loop turns.
    pub turns: usize,
    /// From the start until both connections were closed.
    pub elapsed: Duration,
    /// How the client's connection ended.
    pub client: Ending,
    /// How the server's connection ended.
    pub server: Ending,
}

/// A throwaway CA, and a server configuration for `localhost` signed by
/// it; the client trusts that CA only.
pub(crate) fn throwaway_pki() -> io::Result<(Arc<ServerConfig>, TlsClient)> {
    let other = |e: rcgen::Error| io::Error::other(e.to_string());
    let ca_key = rcgen::KeyPair::generate().map_err(other)?;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(other)?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).map_err(other)?;
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().map_err(other)?;
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .map_err(other)?
        .signed_by(&key, &issuer)
        .map_err(other)?;
    let key = PrivateKeyDer::try_from(key.serialize_der()).map_err(io::Error::other)?;
    let chain: Vec<CertificateDer<'static>> = vec![cert.der().clone()];
    let server = streams_common::tls::server_config(chain, key)?;
    let mut roots = RootCertStore::empty();
    roots
        .add(ca.der().clone())
        .map_err(|e| io::Error::other(e.to_string()))?;
    Ok((server, TlsClient::with_roots(roots)?))
}

/// Runs the line server over TLS: the client sends `lines` lines, reads
/// the `lines` upper-cased replies, then closes; the TLS shutdown
/// (close_notify both ways) ends both connections without an error.
/// `limit` is both readers' limit (0: asyncio's default, 64 KiB).
pub fn run_tls(lines: usize, limit: usize) -> io::Result<TlsStats> {
    let started = Instant::now();
    let timeouts = (Some(Duration::from_secs(10)), Some(Duration::from_secs(10)));
    let (server_config, tls_client) = throwaway_pki()?;
    let (listener, sock) = loopback()?;
    let session = TlsSession::client(&tls_client, "localhost", timeouts.0, timeouts.1)?;
    let mut client = Endpoint::new(sock, Connection::with_tls(limit, session, Instant::now()))?;
    let mut accept = |sock: TcpStream| {
        let session = TlsSession::server(&server_config, timeouts.0, timeouts.1)?;
        Endpoint::new(sock, Connection::with_tls(limit, session, Instant::now()))
    };
    let script = (0..lines).map(|i| format!("tls line {i}\n")).collect();
    let mut client_app = LineClient::new(script, Then::CloseAfter(lines));
    let mut server_app = LineServer::default();
    let (server, turns) = drive(
        &listener,
        &mut accept,
        &mut client,
        &mut client_app,
        &mut server_app,
    )?;
    Ok(TlsStats {
        replies: client_app.replies,
        turns,
        elapsed: started.elapsed(),
        client: client.ending(),
        server: server.ending(),
    })
}

/// A plain client connects to the TLS server and never speaks; the
/// server's handshake deadline (`handshake_timeout`) ends its connection,
/// and the client closes once it sees the EOF.
pub fn run_handshake_timeout(handshake_timeout: Duration) -> io::Result<TlsStats> {
    let started = Instant::now();
    let (server_config, _) = throwaway_pki()?;
    let (listener, sock) = loopback()?;
    let mut client = Endpoint::new(sock, Connection::new(0))?;
    let mut accept = |sock: TcpStream| {
        let session = TlsSession::server(&server_config, Some(handshake_timeout), None)?;
        Endpoint::new(sock, Connection::with_tls(0, session, Instant::now()))
    };
    let mut client_app = LineClient::new(Vec::new(), Then::Wait);
    let mut server_app = LineServer::default();
    let (server, turns) = drive(
        &listener,
        &mut accept,
        &mut client,
        &mut client_app,
        &mut server_app,
    )?;
    Ok(TlsStats {
        replies: client_app.replies,
        turns,
        elapsed: started.elapsed(),
        client: client.ending(),
        server: server.ending(),
    })
}

pub(crate) fn error_text(e: &Option<StoredError>) -> String {
    match e {
        Some(e) => format!("error: {e}"),
        None => "no error".to_owned(),
    }
}
