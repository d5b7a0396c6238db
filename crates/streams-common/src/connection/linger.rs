//! A lingering close, beyond asyncio: everything written reaches the peer
//! even when the peer is still sending.
//!
//! A plain `close()` closes the socket once the buffer is flushed; if the
//! peer's data is still unread in the kernel's receive buffer then, the
//! kernel answers with a reset, and the peer may lose what was sent to it
//! but not yet read (asyncio loses it too). A lingering close flushes,
//! shuts the write side down (the peer reads everything, then EOF), and
//! goes on receiving and discarding until the peer's EOF or the deadline;
//! only then is the socket closed.

use super::{Connection, Transmit, Wake};
use crate::write_state::Action;
use std::time::{Duration, Instant};

/// A lingering close in progress.
pub(super) struct Linger {
    timeout: Duration,
    /// Set by the first transmit after `close_lingering`.
    deadline: Option<Instant>,
    /// The write side is shut down.
    fin_sent: bool,
}

impl Linger {
    pub(super) fn fin_sent(&self) -> bool {
        self.fin_sent
    }

    pub(super) fn deadline(&self) -> Option<Instant> {
        self.deadline
    }
}

impl Connection {
    /// Closes without losing what was written to a peer that is still
    /// sending: flushes, shuts the write side down, discards what the peer
    /// still sends until its EOF, then closes; at the latest `timeout`
    /// after the flush starts. Over TLS this is `close()`, which already
    /// waits for the peer's close_notify (under the shutdown timeout). A
    /// no-op once the connection is closing.
    pub fn close_lingering(&mut self, timeout: Duration) {
        if self.tls.is_some() || self.pending_tls.is_some() {
            return self.close();
        }
        if !self.write.close() {
            return;
        }
        self.linger = Some(Linger {
            timeout,
            deadline: None,
            fin_sent: false,
        });
        self.wake |= Wake::DRIVER | Wake::READER;
    }

    /// The next transmit of a lingering close.
    pub(super) fn linger_transmit(&mut self, now: Instant) -> Transmit<'_> {
        let action = self.write.action();
        let Some(linger) = self.linger.as_mut() else {
            return Transmit::Idle;
        };
        if linger.deadline.is_none() {
            linger.deadline = Some(now + linger.timeout);
        }
        if action == Action::Send {
            return Transmit::Send(self.write.pending());
        }
        if !self.write.is_lost() {
            if !linger.fin_sent {
                return Transmit::ShutdownWrite;
            }
            if !self.read_eof {
                // Receiving and discarding until the peer's EOF.
                return Transmit::Idle;
            }
            self.lose(None);
        }
        Transmit::Close { farewell: &[] }
    }

    /// The write side was shut down.
    pub(super) fn linger_fin_sent(&mut self) {
        if let Some(linger) = self.linger.as_mut() {
            linger.fin_sent = true;
        }
    }

    /// Whether the lingering close ran out of time by `now`.
    pub(super) fn linger_expired(&self, now: Instant) -> bool {
        self.linger
            .as_ref()
            .and_then(Linger::deadline)
            .is_some_and(|d| now >= d)
    }
}
