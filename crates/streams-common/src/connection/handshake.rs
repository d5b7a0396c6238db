//! The TLS handshake as those waiting for it see it, with or without the
//! `tls` feature (a connection without TLS reports it done).

use crate::error::StoredError;
use crate::tls::TlsError;

/// The TLS handshake, as those waiting for it see it.
#[derive(Clone, Debug, PartialEq)]
pub enum HandshakeState {
    /// Not finished yet.
    Pending,
    /// Finished: application data flows.
    Done,
    /// Failed; the connection is lost.
    Failed(TlsError),
}

/// The handshake failure a connection lost with `e` means.
pub(super) fn handshake_failure(e: Option<&StoredError>) -> TlsError {
    match crate::tls::handshake_failure(e.map(|e| &**e)) {
        // The very error the connection stored: its kind, OS code and
        // source all reach whoever waits for the handshake.
        TlsError::Io(failure) => match e {
            Some(e) => TlsError::Io(e.clone().into()),
            None => TlsError::Io(failure),
        },
        other => other,
    }
}
