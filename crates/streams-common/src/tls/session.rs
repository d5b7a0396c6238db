//! asyncio's checks of the TLS timeouts, and in-memory handshakes of the
//! configurations (the session itself is
//! [`TlsSession`](crate::connection::TlsSession)).

use std::time::Duration;

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
    use crate::connection::TlsSession as TlsSetup;
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
}
