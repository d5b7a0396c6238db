//! The session the connection driver runs: [`TlsSetup`] (a rustls
//! connection with its timeouts), the [`Handshake`] state and asyncio's
//! timeout checks.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;

use super::{TlsClient, TlsError, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_SHUTDOWN_TIMEOUT};

/// The handshake's outcome, as those waiting for it see it.
#[derive(Clone, Debug)]
pub(crate) enum Handshake {
    Pending,
    Done,
    Failed(TlsError),
}

/// A TLS connection about to be installed in a driver.
pub(crate) struct TlsSetup {
    pub(crate) conn: rustls::Connection,
    pub(crate) handshake_timeout: Duration,
    pub(crate) shutdown_timeout: Duration,
    /// The SNI name a client sends.
    pub(crate) sni: Option<String>,
}

impl TlsSetup {
    /// A client session for `server_hostname`.
    pub(crate) fn client(
        client: &TlsClient,
        server_hostname: &str,
        handshake_timeout: Option<Duration>,
        shutdown_timeout: Option<Duration>,
    ) -> Result<TlsSetup, TlsError> {
        let conn = client.connect(server_hostname)?;
        let sni = (!server_hostname.is_empty() && server_hostname.parse::<IpAddr>().is_err())
            .then(|| server_hostname.to_owned());
        Ok(TlsSetup::new(
            conn,
            handshake_timeout,
            shutdown_timeout,
            sni,
        ))
    }

    /// A server session.
    pub(crate) fn server(
        config: &Arc<ServerConfig>,
        handshake_timeout: Option<Duration>,
        shutdown_timeout: Option<Duration>,
    ) -> Result<TlsSetup, TlsError> {
        let conn = rustls::ServerConnection::new(config.clone()).map_err(TlsError::Config)?;
        Ok(TlsSetup::new(
            rustls::Connection::Server(conn),
            handshake_timeout,
            shutdown_timeout,
            None,
        ))
    }

    fn new(
        mut conn: rustls::Connection,
        handshake_timeout: Option<Duration>,
        shutdown_timeout: Option<Duration>,
        sni: Option<String>,
    ) -> TlsSetup {
        // The driver bounds what it hands rustls itself (TLS_WRITE_CHUNK).
        conn.set_buffer_limit(None);
        TlsSetup {
            conn,
            handshake_timeout: handshake_timeout.unwrap_or(DEFAULT_HANDSHAKE_TIMEOUT),
            shutdown_timeout: shutdown_timeout.unwrap_or(DEFAULT_SHUTDOWN_TIMEOUT),
            sni,
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::config::tests::{client_for, pki};
    use crate::tls::{info, server_config, TlsError};

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
            let mut c = TlsSetup::client(&client, name, None, None).unwrap().conn;
            let mut s = TlsSetup::server(&server, None, None).unwrap().conn;
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
            let mut c = TlsSetup::client(&client, name, None, None).unwrap().conn;
            let mut s = TlsSetup::server(&server, None, None).unwrap().conn;
            let err = pump(&mut c, &mut s).unwrap_err();
            let e = TlsError::Handshake(err);
            assert!(e.is_certificate_error(), "{e}");
            assert!(e
                .to_string()
                .starts_with("SSL handshake failed on verifying the certificate: "));
        }
        // An unknown CA stays an error without the name check.
        let client = client_for(&other);
        let mut c = TlsSetup::client(&client, "", None, None).unwrap().conn;
        let mut s = TlsSetup::server(&server, None, None).unwrap().conn;
        assert!(pump(&mut c, &mut s).is_err());
    }
}
