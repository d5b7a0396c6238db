//! What the standard writer traits wait for (`AsyncWrite::poll_flush` and
//! `poll_shutdown`), which asyncio has no call for: everything written has
//! left, and our side of the stream is finished.
//!
//! Waiters are woken through [`Wake::DRAIN`] (they share the drain
//! waiters' list), and only when one asked
//! ([`wake_when_flushed`](Connection::wake_when_flushed)): a send that
//! empties the buffer wakes nobody otherwise, so the common unlock stays
//! the one with nothing to wake.

use super::{Connection, Wake};

impl Connection {
    /// Whether everything written has been handed to the transport: no
    /// plaintext in the write buffer, no ciphertext waiting (in our buffer
    /// or in rustls), no `start_tls` waiting for either. True once the
    /// connection is lost (nothing will be sent any more).
    #[must_use]
    pub fn is_flushed(&self) -> bool {
        if self.write.is_lost() {
            return true;
        }
        let ciphertext_sent = match &self.tls {
            Some(tls) => tls.all_sent(),
            None => true,
        };
        self.write.buffer_size() == 0 && self.pending_tls.is_none() && ciphertext_sent
    }

    /// Whether our side of the stream is finished: after `write_eof()`, the
    /// write side is shut down (the FIN is out); over TLS after `close()`,
    /// our close_notify is sent; or the connection is lost.
    #[must_use]
    pub fn is_write_shut(&self) -> bool {
        if self.write.is_lost() {
            return true;
        }
        match &self.tls {
            Some(tls) => tls.close_notify_sent() && self.is_flushed(),
            None => self.write.is_eof_sent(),
        }
    }

    /// Someone waits for [`is_flushed`](Self::is_flushed) or
    /// [`is_write_shut`](Self::is_write_shut): the next send or shutdown
    /// after which either may hold wakes [`Wake::DRAIN`], once (a waiter
    /// that finds its condition still false asks again). The loss of the
    /// connection wakes it too, as it wakes every drain.
    pub fn wake_when_flushed(&mut self) {
        self.flush_waiter = true;
    }

    /// After a send or a shutdown: wakes a flush waiter once the buffer is
    /// empty (a shutdown waiter then finds the write side shut, since the
    /// driver shuts it down in the same turn, or looks again).
    pub(super) fn flush_progress(&mut self) {
        if self.flush_waiter && self.is_flushed() {
            self.flush_waiter = false;
            self.wake |= Wake::DRAIN;
        }
    }
}
