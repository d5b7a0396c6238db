//! The write side of a stream transport as a pure state machine: asyncio's
//! socket transport buffer, its water marks, `write_eof`, `close`, `abort`,
//! connection loss, and the decisions `drain()` makes.
//!
//! No I/O, no async, no clock. The application calls the commands
//! ([`write`](WriteState::write), [`close`](WriteState::close), ...); the
//! driver asks what to do next ([`action`](WriteState::action)), sends
//! [`pending`](WriteState::pending) bytes and reports how many went out
//! ([`sent`](WriteState::sent)), and reports the end of the connection
//! ([`connection_lost`](WriteState::connection_lost)). Each call answers with
//! what changed, so the driver knows which waiters to wake.
//!
//! ```
//! use streams_common::write_state::{Action, WriteState};
//!
//! let mut w: WriteState<&str> = WriteState::new();
//! w.set_limits(Some(8), None).unwrap();     // high 8, low 2
//! w.write(b"hello world").unwrap();
//! assert!(w.is_paused());                   // 11 > 8: drain() must wait
//! assert_eq!(w.action(), Action::Send);
//! assert_eq!(w.pending(), b"hello world");
//! let resumed = w.sent(9);                  // 2 left, <= low
//! assert!(resumed);
//! assert!(!w.is_paused());
//! ```

use core::fmt;

/// asyncio's default high-water mark: 64 KiB.
pub const DEFAULT_HIGH_WATER: usize = 64 * 1024;

/// From this many writes after the connection was lost on, each dropped
/// write is reported (asyncio's `LOG_THRESHOLD_FOR_CONNLOST_WRITES`).
pub const LOST_WRITES_WARN_THRESHOLD: usize = 5;

/// Why a write was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WriteError {
    /// `write()` or `writelines()` after `write_eof()`: the write side is
    /// shut down. `method` is the name of the call (`"write"` or
    /// `"writelines"`), which asyncio's message includes.
    AfterWriteEof {
        /// The refused call.
        method: &'static str,
    },
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::AfterWriteEof { method } => {
                write!(f, "Cannot call {method}() after write_eof()")
            }
        }
    }
}

impl std::error::Error for WriteError {}

/// Invalid water marks (asyncio's `ValueError` from
/// `set_write_buffer_limits`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LimitsError {
    /// The high-water mark that was asked for (after defaulting).
    pub high: usize,
    /// The low-water mark that was asked for (after defaulting).
    pub low: usize,
}

impl fmt::Display for LimitsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "high ({}) must be >= low ({}) must be >= 0",
            self.high, self.low
        )
    }
}

impl std::error::Error for LimitsError {}

/// asyncio's defaulting rules for water marks: neither given → high 64 KiB;
/// only `low` → `high = 4 * low`; only `high` → `low = high / 4`. Fails when
/// `high < low`.
///
/// ```
/// use streams_common::write_state::resolve_limits;
/// assert_eq!(resolve_limits(None, None), Ok((65536, 16384)));
/// assert_eq!(resolve_limits(None, Some(100)), Ok((400, 100)));
/// assert_eq!(resolve_limits(Some(10), None), Ok((10, 2)));
/// assert_eq!(
///     resolve_limits(Some(1), Some(2)).unwrap_err().to_string(),
///     "high (1) must be >= low (2) must be >= 0"
/// );
/// ```
pub fn resolve_limits(
    high: Option<usize>,
    low: Option<usize>,
) -> Result<(usize, usize), LimitsError> {
    let high = match (high, low) {
        (Some(h), _) => h,
        (None, Some(l)) => l.saturating_mul(4),
        (None, None) => DEFAULT_HIGH_WATER,
    };
    let low = low.unwrap_or(high / 4);
    if high < low {
        return Err(LimitsError { high, low });
    }
    Ok((high, low))
}

/// What happened to a [`WriteState::write`] call that was accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    /// The bytes were buffered. `wake_driver` is true when the buffer was
    /// empty before, so an idle driver must be woken to send them.
    Buffered {
        /// Whether the driver has to be woken.
        wake_driver: bool,
    },
    /// Nothing to do (empty data).
    Empty,
    /// The connection is lost or closed: the bytes were dropped silently.
    /// `warn` is true from the [`LOST_WRITES_WARN_THRESHOLD`]th such write
    /// on, when asyncio logs a warning.
    Dropped {
        /// Whether this dropped write should be reported.
        warn: bool,
    },
}

/// What the driver should do with the socket next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing to send; wait for a command.
    Idle,
    /// Send [`WriteState::pending`] bytes.
    Send,
    /// Everything is sent and `write_eof()` was asked: shut the write side
    /// down, then call [`WriteState::eof_sent`].
    ShutdownWrite,
    /// The connection is over (closed and flushed, aborted, or lost):
    /// report [`WriteState::connection_lost`] if it was not already, and
    /// close the socket. Final.
    Close,
}

/// The first decision of a `drain()` call (asyncio's order: a stored error
/// is checked by the caller first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrainStart {
    /// Not paused: return at once.
    Ready,
    /// The connection is already lost: asyncio's
    /// `ConnectionResetError('Connection lost')`.
    Lost,
    /// Paused: wait, then ask [`WriteState::drain_poll`] with this ticket.
    Wait(DrainTicket),
}

/// A waiting drain's place in line: it completes at the next resume after
/// it started waiting, or when the connection is lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DrainTicket {
    resumes: u64,
}

/// How a waiting drain ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DrainEnd<E> {
    /// Writing resumed, or the connection was lost without an error.
    Ok,
    /// The connection was lost with this error.
    Err(E),
}

/// The write half of a transport: the buffer, the water marks, and the
/// write-side lifecycle (asyncio's `_SelectorSocketTransport` write path and
/// `FlowControlMixin`).
///
/// `E` is the error a connection can be lost with.
#[derive(Debug)]
pub struct WriteState<E> {
    /// Buffered bytes; those before `sent` have been sent.
    buf: Vec<u8>,
    sent: usize,
    high: usize,
    low: usize,
    paused: bool,
    /// Incremented by each resume; a waiting drain compares tickets.
    resumes: u64,
    eof_requested: bool,
    eof_sent: bool,
    closing: bool,
    /// asyncio's `_conn_lost` counter: non-zero once the connection is
    /// lost (or closed with nothing buffered); counts dropped writes.
    conn_lost: usize,
    /// `Some` once the connection is lost: `Some(None)` without error.
    lost: Option<Option<E>>,
}

impl<E> Default for WriteState<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> WriteState<E> {
    /// An empty, open write side with asyncio's default water marks
    /// (high 64 KiB, low 16 KiB).
    #[must_use]
    pub fn new() -> Self {
        WriteState {
            buf: Vec::new(),
            sent: 0,
            high: DEFAULT_HIGH_WATER,
            low: DEFAULT_HIGH_WATER / 4,
            paused: false,
            resumes: 0,
            eof_requested: false,
            eof_sent: false,
            closing: false,
            conn_lost: 0,
            lost: None,
        }
    }

    // ----- getters -------------------------------------------------------

    /// Bytes buffered and not yet sent (asyncio's
    /// `get_write_buffer_size()`).
    #[must_use]
    pub fn buffer_size(&self) -> usize {
        self.buf.len() - self.sent
    }

    /// `(low, high)`, asyncio's `get_write_buffer_limits()` order.
    #[must_use]
    pub fn limits(&self) -> (usize, usize) {
        (self.low, self.high)
    }

    /// Whether the protocol is paused (drains wait).
    #[must_use]
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Whether `close()` or `abort()` was called or the connection is lost
    /// (asyncio's `is_closing()`).
    #[must_use]
    pub fn is_closing(&self) -> bool {
        self.closing
    }

    /// Whether the connection is lost (the final state).
    #[must_use]
    pub fn is_lost(&self) -> bool {
        self.lost.is_some()
    }

    /// The error the connection was lost with, if it was lost with one.
    #[must_use]
    pub fn lost_error(&self) -> Option<&E> {
        self.lost.as_ref().and_then(Option::as_ref)
    }

    /// Whether `write_eof()` was asked for.
    #[must_use]
    pub fn eof_requested(&self) -> bool {
        self.eof_requested
    }

    /// Whether the driver shut the write side down
    /// ([`eof_sent`](Self::eof_sent) was reported).
    #[must_use]
    pub fn is_eof_sent(&self) -> bool {
        self.eof_sent
    }

    /// The bytes the driver should send next (empty when there are none).
    #[must_use]
    pub fn pending(&self) -> &[u8] {
        &self.buf[self.sent..]
    }

    /// What the driver should do next.
    #[must_use]
    pub fn action(&self) -> Action {
        if self.lost.is_some() {
            return Action::Close;
        }
        if self.buffer_size() > 0 {
            return Action::Send;
        }
        if self.closing {
            return Action::Close;
        }
        if self.eof_requested && !self.eof_sent {
            return Action::ShutdownWrite;
        }
        Action::Idle
    }

    // ----- application commands -----------------------------------------

    /// Buffers `data` (asyncio's `write`). Never blocks; see [`Written`].
    pub fn write(&mut self, data: &[u8]) -> Result<Written, WriteError> {
        self.write_all_of(&[data], "write")
    }

    /// Buffers every slice of `data` in order (asyncio 3.12+'s
    /// `writelines`, which treats an empty sequence as a no-op and applies
    /// the same rules as `write`).
    pub fn writelines(&mut self, data: &[&[u8]]) -> Result<Written, WriteError> {
        self.write_all_of(data, "writelines")
    }

    fn write_all_of(
        &mut self,
        data: &[&[u8]],
        method: &'static str,
    ) -> Result<Written, WriteError> {
        if self.eof_requested {
            return Err(WriteError::AfterWriteEof { method });
        }
        let total: usize = data.iter().map(|d| d.len()).sum();
        if total == 0 {
            return Ok(Written::Empty);
        }
        if self.conn_lost > 0 {
            let warn = self.conn_lost >= LOST_WRITES_WARN_THRESHOLD;
            self.conn_lost += 1;
            return Ok(Written::Dropped { warn });
        }
        let wake_driver = self.buffer_size() == 0;
        if self.sent > 0 && self.sent >= self.buf.len() / 2 {
            // Reclaim the sent prefix before growing (amortised O(1)).
            self.buf.drain(..self.sent);
            self.sent = 0;
        }
        self.buf.reserve(total);
        for d in data {
            self.buf.extend_from_slice(d);
        }
        self.maybe_pause();
        Ok(Written::Buffered { wake_driver })
    }

    /// Sets the water marks with asyncio's defaulting rules (see
    /// [`resolve_limits`]), then pauses if the buffer is above the new high
    /// mark. Like asyncio, it never resumes by itself.
    pub fn set_limits(
        &mut self,
        high: Option<usize>,
        low: Option<usize>,
    ) -> Result<(), LimitsError> {
        let (high, low) = resolve_limits(high, low)?;
        self.high = high;
        self.low = low;
        self.maybe_pause();
        Ok(())
    }

    /// asyncio's `write_eof()`: a no-op when closing or already asked;
    /// otherwise the write side is shut down once the buffer is sent.
    /// Returns whether the driver must be woken.
    pub fn write_eof(&mut self) -> bool {
        if self.closing || self.eof_requested {
            return false;
        }
        self.eof_requested = true;
        true
    }

    /// The driver shut the write side down.
    pub fn eof_sent(&mut self) {
        self.eof_sent = true;
    }

    /// asyncio's `close()`: idempotent; the buffered bytes are still sent,
    /// then the connection ends. Returns whether the driver must be woken
    /// (the first call).
    ///
    /// With nothing buffered the connection counts as lost at once (later
    /// writes are dropped); otherwise writes made while flushing are still
    /// appended, as in asyncio.
    pub fn close(&mut self) -> bool {
        if self.closing {
            return false;
        }
        self.closing = true;
        if self.buffer_size() == 0 {
            self.conn_lost += 1;
        }
        true
    }

    /// asyncio's `abort()`: drops the buffer; the connection ends without
    /// an error. Returns whether anything changed (and waiters need waking).
    pub fn abort(&mut self) -> bool {
        if self.lost.is_some() {
            return false;
        }
        self.closing = true;
        self.connection_lost(None);
        true
    }

    // ----- driver inputs -------------------------------------------------

    /// The driver sent `n` bytes of [`pending`](Self::pending). Returns
    /// whether writing resumed (buffer at or below the low mark while
    /// paused): then every waiting drain must be woken.
    pub fn sent(&mut self, n: usize) -> bool {
        self.sent = (self.sent + n).min(self.buf.len());
        if self.sent == self.buf.len() {
            self.buf.clear();
            self.sent = 0;
            if self.closing {
                self.conn_lost += 1;
            }
        }
        if self.paused && self.buffer_size() <= self.low {
            self.paused = false;
            self.resumes += 1;
            return true;
        }
        false
    }

    /// The connection ended: without an error (`None`: closed, aborted) or
    /// with one (a send or receive failed, the peer reset it). The buffer
    /// is dropped, later writes are dropped, and waiting drains end. Only
    /// the first loss counts.
    pub fn connection_lost(&mut self, error: Option<E>) {
        if self.lost.is_some() {
            return;
        }
        self.buf = Vec::new();
        self.sent = 0;
        self.closing = true;
        self.conn_lost += 1;
        self.lost = Some(error);
    }

    // ----- drain ---------------------------------------------------------

    /// The decision at the start of `drain()` (after the caller checked the
    /// reader's stored error).
    #[must_use]
    pub fn drain_start(&self) -> DrainStart {
        if self.lost.is_some() {
            return DrainStart::Lost;
        }
        if !self.paused {
            return DrainStart::Ready;
        }
        DrainStart::Wait(DrainTicket {
            resumes: self.resumes,
        })
    }

    fn maybe_pause(&mut self) {
        if !self.paused && self.buffer_size() > self.high {
            self.paused = true;
        }
    }
}

impl<E: Clone> WriteState<E> {
    /// Whether a drain waiting with `ticket` is done: `None` while it must
    /// keep waiting. A drain that was waiting when the connection was lost
    /// without an error returns normally (asyncio's rule); with an error it
    /// reports that error.
    #[must_use]
    pub fn drain_poll(&self, ticket: DrainTicket) -> Option<DrainEnd<E>> {
        if self.resumes != ticket.resumes {
            return Some(DrainEnd::Ok);
        }
        match &self.lost {
            Some(None) => Some(DrainEnd::Ok),
            Some(Some(e)) => Some(DrainEnd::Err(e.clone())),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type W = WriteState<&'static str>;

    fn small() -> W {
        let mut w = W::new();
        w.set_limits(Some(8), Some(4)).unwrap();
        w
    }

    #[test]
    fn defaults_are_asyncios() {
        let w = W::new();
        assert_eq!(w.limits(), (16384, 65536));
        assert_eq!(w.buffer_size(), 0);
        assert!(!w.is_paused() && !w.is_closing() && !w.is_lost());
        assert_eq!(w.action(), Action::Idle);
        assert_eq!(w.drain_start(), DrainStart::Ready);
    }

    #[test]
    fn limit_defaulting_and_errors() {
        assert_eq!(resolve_limits(None, None), Ok((65536, 16384)));
        assert_eq!(resolve_limits(None, Some(0)), Ok((0, 0)));
        assert_eq!(resolve_limits(Some(0), None), Ok((0, 0)));
        assert_eq!(resolve_limits(Some(3), None), Ok((3, 0)));
        assert_eq!(resolve_limits(None, Some(7)), Ok((28, 7)));
        assert_eq!(resolve_limits(Some(5), Some(5)), Ok((5, 5)));
        assert_eq!(
            resolve_limits(None, Some(usize::MAX)),
            Ok((usize::MAX, usize::MAX))
        );
        let e = resolve_limits(Some(10), Some(11)).unwrap_err();
        assert_eq!(e.to_string(), "high (10) must be >= low (11) must be >= 0");
        let mut w = W::new();
        assert!(w.set_limits(Some(1), Some(2)).is_err());
        assert_eq!(w.limits(), (16384, 65536), "failed call changes nothing");
    }

    #[test]
    fn pause_above_high_resume_at_or_below_low() {
        let mut w = small();
        assert_eq!(
            w.write(b"12345678").unwrap(),
            Written::Buffered { wake_driver: true }
        );
        assert!(!w.is_paused(), "8 is not above 8");
        assert_eq!(
            w.write(b"9").unwrap(),
            Written::Buffered { wake_driver: false }
        );
        assert!(w.is_paused());
        assert!(!w.sent(4), "5 left, above low 4");
        assert!(w.is_paused());
        assert!(w.sent(1), "4 left, at low: resume");
        assert!(!w.is_paused());
        assert_eq!(w.pending(), b"6789");
        assert!(!w.sent(4));
        assert_eq!(w.action(), Action::Idle);
    }

    #[test]
    fn set_limits_pauses_but_never_resumes() {
        let mut w = W::new();
        w.write(&[0; 100]).unwrap();
        assert!(!w.is_paused());
        w.set_limits(Some(50), None).unwrap();
        assert!(w.is_paused());
        w.set_limits(Some(1000), None).unwrap();
        assert!(w.is_paused(), "asyncio only re-runs the pause rule");
        assert!(w.sent(100));
    }

    #[test]
    fn empty_writes_are_noops() {
        let mut w = W::new();
        assert_eq!(w.write(b"").unwrap(), Written::Empty);
        assert_eq!(w.writelines(&[]).unwrap(), Written::Empty);
        assert_eq!(w.writelines(&[b"", b""]).unwrap(), Written::Empty);
        assert_eq!(w.action(), Action::Idle);
    }

    #[test]
    fn writelines_concatenates_in_order() {
        let mut w = W::new();
        w.writelines(&[b"a", b"", b"bc"]).unwrap();
        assert_eq!(w.pending(), b"abc");
        assert_eq!(w.action(), Action::Send);
    }

    #[test]
    fn partial_sends_keep_order_and_compact() {
        let mut w = W::new();
        for i in 0..100u8 {
            w.write(&[i]).unwrap();
            if i % 3 == 0 {
                w.sent(1);
            }
        }
        let mut expect: Vec<u8> = (0..100u8).collect();
        expect.drain(..34);
        assert_eq!(w.pending(), &expect[..]);
        assert!(w.buf.len() <= 100);
    }

    #[test]
    fn write_after_write_eof_is_an_error() {
        let mut w = W::new();
        w.write(b"x").unwrap();
        assert!(w.write_eof());
        assert!(!w.write_eof(), "second write_eof is a no-op");
        let e = w.write(b"y").unwrap_err();
        assert_eq!(e.to_string(), "Cannot call write() after write_eof()");
        let e = w.writelines(&[b"y"]).unwrap_err();
        assert_eq!(e.to_string(), "Cannot call writelines() after write_eof()");
        // asyncio checks for write_eof before it checks for empty data.
        assert_eq!(
            w.write(b"").unwrap_err(),
            WriteError::AfterWriteEof { method: "write" }
        );
        // The buffer is sent first, then the write side is shut down.
        assert_eq!(w.action(), Action::Send);
        w.sent(1);
        assert_eq!(w.action(), Action::ShutdownWrite);
        w.eof_sent();
        assert_eq!(w.action(), Action::Idle);
        // Still an error after close.
        w.close();
        assert!(w.write(b"z").is_err());
    }

    #[test]
    fn write_eof_when_closing_is_a_noop() {
        let mut w = W::new();
        w.close();
        assert!(!w.write_eof());
        assert!(!w.eof_requested());
        w.write(b"dropped").unwrap();
    }

    #[test]
    fn close_with_empty_buffer_drops_later_writes() {
        let mut w = W::new();
        assert!(w.close());
        assert!(!w.close(), "idempotent");
        assert!(w.is_closing());
        for i in 1..=6 {
            let warn = i >= LOST_WRITES_WARN_THRESHOLD;
            assert_eq!(
                w.write(b"x").unwrap(),
                Written::Dropped { warn },
                "write {i}"
            );
        }
        assert_eq!(w.buffer_size(), 0);
    }

    #[test]
    fn close_flushes_then_ends_and_appends_while_flushing() {
        let mut w = W::new();
        w.write(b"abc").unwrap();
        w.close();
        assert_eq!(w.action(), Action::Send);
        assert_eq!(
            w.write(b"d").unwrap(),
            Written::Buffered { wake_driver: false }
        );
        assert_eq!(w.pending(), b"abcd");
        w.sent(4);
        // Flushed: now writes are dropped, and the driver closes.
        assert_eq!(w.action(), Action::Close);
        assert!(matches!(w.write(b"e").unwrap(), Written::Dropped { .. }));
        w.connection_lost(None);
        assert_eq!(w.action(), Action::Close);
    }

    #[test]
    fn dropped_writes_warn_from_the_fifth() {
        let mut w = W::new();
        w.connection_lost(Some("reset"));
        let warns: Vec<bool> = (0..7)
            .map(|_| match w.write(b"x").unwrap() {
                Written::Dropped { warn } => warn,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(warns, [false, false, false, false, true, true, true]);
    }

    #[test]
    fn abort_drops_the_buffer() {
        let mut w = small();
        w.write(&[1; 20]).unwrap();
        assert!(w.is_paused());
        let DrainStart::Wait(t) = w.drain_start() else {
            panic!()
        };
        assert!(w.abort());
        assert!(!w.abort());
        assert_eq!(w.buffer_size(), 0);
        assert_eq!(w.action(), Action::Close);
        assert_eq!(w.drain_poll(t), Some(DrainEnd::Ok));
        assert_eq!(w.drain_start(), DrainStart::Lost);
    }

    #[test]
    fn drain_decisions() {
        let mut w = small();
        assert_eq!(w.drain_start(), DrainStart::Ready);
        w.write(&[0; 9]).unwrap();
        let DrainStart::Wait(t1) = w.drain_start() else {
            panic!()
        };
        let DrainStart::Wait(t2) = w.drain_start() else {
            panic!()
        };
        assert_eq!(w.drain_poll(t1), None);
        w.sent(5);
        // Every waiting drain completes on resume...
        assert_eq!(w.drain_poll(t1), Some(DrainEnd::Ok));
        assert_eq!(w.drain_poll(t2), Some(DrainEnd::Ok));
        // ...even if writing paused again before it looked.
        w.write(&[0; 9]).unwrap();
        assert!(w.is_paused());
        assert_eq!(w.drain_poll(t1), Some(DrainEnd::Ok));
        let DrainStart::Wait(t3) = w.drain_start() else {
            panic!()
        };
        assert_eq!(w.drain_poll(t3), None);
    }

    #[test]
    fn waiting_drain_and_loss_without_error() {
        let mut w = small();
        w.write(&[0; 9]).unwrap();
        let DrainStart::Wait(t) = w.drain_start() else {
            panic!()
        };
        w.connection_lost(None);
        assert_eq!(w.drain_poll(t), Some(DrainEnd::Ok));
        assert_eq!(
            w.drain_start(),
            DrainStart::Lost,
            "the next drain reports the loss"
        );
    }

    #[test]
    fn waiting_drain_and_loss_with_error() {
        let mut w = small();
        w.write(&[0; 9]).unwrap();
        let DrainStart::Wait(t) = w.drain_start() else {
            panic!()
        };
        w.connection_lost(Some("reset"));
        assert_eq!(w.drain_poll(t), Some(DrainEnd::Err("reset")));
        assert_eq!(w.lost_error(), Some(&"reset"));
        // Only the first loss counts.
        w.connection_lost(None);
        assert_eq!(w.lost_error(), Some(&"reset"));
    }

    #[test]
    fn drain_after_close_is_lost_once_flushed() {
        let mut w = W::new();
        w.close();
        w.connection_lost(None);
        assert_eq!(w.drain_start(), DrainStart::Lost);
        // close with data: not lost until flushed, not paused: ready.
        let mut w = W::new();
        w.write(b"x").unwrap();
        w.close();
        assert_eq!(w.drain_start(), DrainStart::Ready);
    }

    #[test]
    fn sent_never_overruns() {
        let mut w = W::new();
        w.write(b"abc").unwrap();
        w.sent(10);
        assert_eq!(w.buffer_size(), 0);
        w.sent(1);
        assert_eq!(w.buffer_size(), 0);
    }

    #[test]
    fn zero_water_marks_pause_on_any_byte() {
        let mut w = W::new();
        w.set_limits(Some(0), None).unwrap();
        w.write(b"a").unwrap();
        assert!(w.is_paused());
        assert!(!w.sent(0));
        assert!(w.sent(1));
    }
}
