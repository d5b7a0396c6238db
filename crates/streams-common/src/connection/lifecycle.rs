//! Every lifecycle transition of a [`Connection`], in one place (the table
//! is in the [module docs](super)).

use super::handshake::handshake_failure;
use super::{Connection, Wake};
use crate::tls::TlsError;
use std::io;
use std::sync::Arc;

impl Connection {
    /// asyncio's `close()`: idempotent; flushes, then ends (over TLS:
    /// flushes, sends close_notify, waits for the peer's). Reading stops
    /// at once.
    pub fn close(&mut self) {
        if !self.write.close() {
            return;
        }
        if self.pending_tls.take().is_some() {
            // The plaintext before it is still flushed; the upgrade is off.
            self.start_tls_failed = Some(Box::new(TlsError::Closed));
            self.wake |= Wake::HANDSHAKE;
        }
        if self.tls.is_none() && self.write.buffer_size() == 0 {
            // Nothing to flush: Open -> Lost now, so reads and drains see
            // the end without waiting for the driver.
            self.lose(None);
        } else if self.tls.is_some() {
            // Plaintext rustls held back for a paused reader is dropped
            // now, so that it reads on to the peer's close_notify.
            self.tls_pump();
        }
        self.wake |= Wake::DRIVER | Wake::READER;
    }

    /// asyncio's `abort()`: drops the buffer and ends the connection now,
    /// without an error.
    pub fn abort(&mut self) {
        self.lose(None);
    }

    /// The driver closed the transport after [`super::Transmit::Close`]:
    /// Lost -> Closed.
    pub fn handle_closed(&mut self) {
        self.lose(None);
        if !self.closed {
            self.closed = true;
            self.wake |= Wake::CLOSED | Wake::READER;
        }
    }

    /// The connection fails with a TLS error (kept inside the `io::Error`
    /// every waiter gets).
    pub(super) fn fail(&mut self, e: TlsError) {
        crate::diag::debug!("TLS failure: {e}");
        self.lose(Some(e.into()));
    }

    #[cfg(feature = "tls")]
    /// The peer ended a TLS stream: with close_notify (`clean`), we flush
    /// and answer with ours (Open -> Closing); with a bare EOF the
    /// connection is lost (TLS has no half-open state). The reader gets
    /// EOF either way, after every decrypted byte.
    pub(super) fn peer_ended(&mut self, clean: bool) {
        if let Some(tls) = &mut self.tls {
            tls.peer_closed();
        }
        self.inbox.set_eof();
        self.wake |= Wake::READER;
        if clean {
            if self.write.close() {
                self.wake |= Wake::DRIVER;
            }
        } else {
            self.lose(None);
        }
    }

    /// asyncio's `connection_lost(exc)`: any -> Lost. The reader gets EOF
    /// or the error after what it was sent, the write side ends, a pending
    /// handshake fails with the cause, and every waiter is woken. Only the
    /// first call counts.
    pub(super) fn lose(&mut self, error: Option<io::Error>) {
        if self.write.is_lost() {
            return;
        }
        let stored = error.map(Arc::new);
        if self.pending_tls.take().is_some() {
            self.start_tls_failed = Some(Box::new(handshake_failure(stored.as_ref())));
            self.wake |= Wake::HANDSHAKE;
        }
        if let Some(tls) = &mut self.tls {
            if tls.fail_handshake(stored.as_ref()) {
                self.wake |= Wake::HANDSHAKE;
            }
        }
        match &stored {
            Some(e) => self.inbox.set_error(e.clone()),
            None => self.inbox.set_eof(),
        }
        self.write.connection_lost(stored);
        self.wake |= Wake::READER | Wake::DRIVER | Wake::DRAIN;
    }
}
