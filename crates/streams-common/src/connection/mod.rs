//! One connection as a pure state machine: the receive hand-off to the
//! reader, the write buffer, the lifecycle and the optional TLS session,
//! with no socket, no runtime and no clock.
//!
//! [`Connection`] is asyncio's transport and stream protocol, sans I/O.
//! The runtime adapters (Tokio, smol, async-std) drive it through one
//! shared driver; a hand-written `poll(2)` loop drives it the same way
//! (see the `custom_executor` example); the tests drive two of them
//! against each other in memory on a virtual clock.
//!
//! # Driving a connection
//!
//! A driver owns the transport and does only what the connection asks:
//!
//! 1. **Receive** while [`Connection::recv_room`] gives room: receive into
//!    it, then report [`handle_received`](Connection::handle_received)
//!    (`n > 0`), [`handle_eof`](Connection::handle_eof) (`0`) or
//!    [`handle_error`](Connection::handle_error). `None` means "do not
//!    receive now" (flow control, EOF, closing, or TLS waiting to write).
//! 2. **Transmit** what [`Connection::poll_transmit`] says, until it says
//!    [`Transmit::Idle`] or the transport would block: send the bytes and
//!    report [`handle_sent`](Connection::handle_sent); shut the write side
//!    down and report [`handle_write_shut`](Connection::handle_write_shut);
//!    or close the transport and report
//!    [`handle_closed`](Connection::handle_closed), after which the
//!    connection is over.
//! 3. **Time**: sleep until [`Connection::poll_timeout`] at most, then call
//!    [`handle_timeout`](Connection::handle_timeout) with the time.
//! 4. **Wake** whoever [`Connection::take_wake`] names: the reader, drains,
//!    handshake waiters, `wait_closed` waiters, or the driver itself (after
//!    an application command such as a write).
//!
//! The reader side is a [`reader_core::Reader`] the application owns:
//! [`Connection::sync_reader`] moves what arrived into it (4 KiB or more
//! without a copy; less is copied out of the receive room, which is then
//! whole again) and applies flow control from its length.
//!
//! # The lifecycle
//!
//! Every transition is made in `lifecycle.rs`, and only there:
//!
//! | from | event | to | what happens |
//! |---|---|---|---|
//! | `Open` | `close()` (plain, nothing buffered) | `Lost` | reader gets EOF |
//! | `Open` | `close_lingering(t)` (plain) | `Closing` | reading for the application stops; the linger deadline starts (at the next transmit) |
//! | `Closing` | lingering: buffer flushed | `ShuttingDown` | write side shut down; the peer's data is discarded |
//! | `ShuttingDown` | lingering: peer's EOF or the linger deadline | `Lost` | |
//! | `Open` | `close()` | `Closing` | reading stops; the buffer is flushed; over TLS the shutdown deadline starts (at the next transmit) |
//! | `Open` | peer's close_notify (TLS) | `Closing` | reader gets EOF; we answer; the shutdown deadline starts |
//! | `Closing` | buffer flushed (plain) | `Lost` | |
//! | `Closing` | buffer flushed (TLS) | `ShuttingDown` | close_notify sent |
//! | `Closing` | shutdown deadline (TLS) | `Lost` | with [`TlsError::ShutdownTimeout`] |
//! | `Closing` | `close()` during the handshake (TLS) | `Lost` | asyncio aborts |
//! | `ShuttingDown` | peer's close_notify or EOF | `Lost` | |
//! | `ShuttingDown` | shutdown deadline | `Lost` | with [`TlsError::ShutdownTimeout`] |
//! | any but `Closed` | handshake deadline (also while `start_tls` flushes plaintext) | `Lost` | with [`TlsError::HandshakeTimeout`] |
//! | any but `Closed` | `abort()` | `Lost` | the buffer is dropped |
//! | any but `Closed` | transport error, TLS error | `Lost` | with that error |
//! | any but `Closed` | EOF over TLS without close_notify | `Lost` | reader gets EOF |
//! | `Lost` | `handle_closed()` | `Closed` | `wait_closed` waiters wake |
//!
//! `Lost` is asyncio's `connection_lost()`: the reader gets EOF or the
//! error after every byte received before it, the write buffer is dropped,
//! waiting drains end, and [`poll_transmit`](Connection::poll_transmit)
//! says [`Transmit::Close`]. A plain EOF from the peer is not a
//! transition: the reader gets EOF and the connection stays open for
//! writing (half-close), as in asyncio. A `start_tls` whose plaintext is
//! still being sent fails (its waiters see [`HandshakeState::Failed`]) if
//! the connection closes or is lost first.
//!
//! ```
//! use streams_common::connection::{Connection, Transmit};
//! use streams_common::reader_core::Reader;
//! use std::task::Poll;
//! use std::time::Instant;
//!
//! let mut conn = Connection::new(64 * 1024);
//! let mut reader = Reader::new(64 * 1024).unwrap();
//! // The driver received "hi\n".
//! let room = conn.recv_room().unwrap();
//! room[..3].copy_from_slice(b"hi\n");
//! conn.handle_received(3);
//! conn.sync_reader(&mut reader);
//! match reader.readline() {
//!     Poll::Ready(Ok(line)) => assert_eq!(line, "hi\n"),
//!     other => panic!("{other:?}"),
//! }
//! // The application answers; the driver sends it.
//! conn.write(b"ok\n").unwrap();
//! assert_eq!(conn.poll_transmit(Instant::now()), Transmit::Send(b"ok\n"));
//! conn.handle_sent(3);
//! assert_eq!(conn.poll_transmit(Instant::now()), Transmit::Idle);
//! ```

mod flush;
mod handshake;
mod lifecycle;
mod linger;
mod recv;
mod rooms;
#[cfg(feature = "tls")]
mod tls;
// Without the `tls` feature the TLS layer's types have no values: the
// fields that hold them stay `None`, and the code around them is the same.
#[cfg(not(feature = "tls"))]
#[path = "no_tls.rs"]
mod tls;

pub use crate::write_state::{DrainEnd, DrainStart, DrainTicket, LimitsError, WriteError, Written};
pub use handshake::HandshakeState;
#[cfg(feature = "tls")]
pub use tls::TlsSession;
#[cfg(not(feature = "tls"))]
pub(crate) use tls::TlsSession;

use crate::error::StoredError;
use crate::tls::TlsError;
use crate::write_state::{Action, WriteState};
use reader_core::Reader;
use recv::Inbox;
use std::io;
use std::time::Instant;
use tls::{PendingTls, Tls};

/// Where a connection is in its life (see the table in the
/// [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Reading and writing.
    Open,
    /// `close()` was called (or, over TLS, the peer sent close_notify): the
    /// write buffer is being flushed; nothing more is delivered to the
    /// reader.
    Closing,
    /// TLS only: our close_notify is out; waiting for the peer's, until the
    /// shutdown deadline.
    ShuttingDown,
    /// The connection ended (asyncio's `connection_lost`); the driver must
    /// close the transport.
    Lost,
    /// The transport is closed. Final.
    Closed,
}

/// What the driver should do with the transport next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Transmit<'a> {
    /// Nothing to send until something happens.
    Idle,
    /// Send these bytes (some or all), then report
    /// [`Connection::handle_sent`].
    Send(&'a [u8]),
    /// Shut the write side down (`write_eof`), then report
    /// [`Connection::handle_write_shut`].
    ShutdownWrite,
    /// Close the transport, then report [`Connection::handle_closed`].
    /// `farewell` (a TLS alert, or empty) is worth one non-blocking send
    /// first, whose result does not matter.
    Close {
        /// Bytes to try to send once before closing.
        farewell: &'a [u8],
    },
}

/// Who must be woken, collected since the last
/// [`Connection::take_wake`]. A set of flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct Wake(u8);

impl Wake {
    /// Nobody.
    pub const NONE: Wake = Wake(0);
    /// The reader: data, EOF or an error arrived, or reading must stop.
    pub const READER: Wake = Wake(1);
    /// The driver: an application command gave it something to do.
    pub const DRIVER: Wake = Wake(2);
    /// Waiting drains: writing resumed, or the connection was lost.
    pub const DRAIN: Wake = Wake(4);
    /// Handshake waiters: the TLS handshake finished or failed.
    pub const HANDSHAKE: Wake = Wake(8);
    /// `wait_closed` waiters: the transport is closed.
    pub const CLOSED: Wake = Wake(16);

    /// Whether every flag of `other` is set.
    #[must_use]
    pub fn contains(self, other: Wake) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    /// Whether no flag is set.
    #[must_use]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// These flags without those of `other`.
    pub fn without(self, other: Wake) -> Wake {
        Wake(self.0 & !other.0)
    }
}

impl std::ops::BitOr for Wake {
    type Output = Wake;
    fn bitor(self, rhs: Wake) -> Wake {
        Wake(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for Wake {
    fn bitor_assign(&mut self, rhs: Wake) {
        self.0 |= rhs.0;
    }
}

/// One connection's state, without I/O: see the [module docs](self).
pub struct Connection {
    /// Received bytes on their way to the reader, with EOF and the error.
    inbox: Inbox,
    /// The write buffer, water marks and write-side lifecycle.
    write: WriteState<StoredError>,
    /// The TLS session, once the connection uses TLS.
    /// (Boxed, as the pending upgrade below: a rustls session is large,
    /// and most connections never have one.)
    tls: Option<Box<Tls>>,
    /// A `start_tls` waiting for the plaintext buffer to be sent.
    pending_tls: Option<Box<PendingTls>>,
    /// Why a `start_tls` failed before its session was installed.
    start_tls_failed: Option<Box<TlsError>>,
    /// The transport reached EOF.
    read_eof: bool,
    /// The driver closed the transport.
    closed: bool,
    /// A lingering close in progress (plain connections only).
    linger: Option<linger::Linger>,
    /// Someone waits for [`is_flushed`](Self::is_flushed) or
    /// [`is_write_shut`](Self::is_write_shut) (see `flush.rs`).
    flush_waiter: bool,
    /// Who must be woken.
    wake: Wake,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("phase", &self.phase())
            .field("received", &self.inbox.len())
            .field("write_buffer", &self.write.buffer_size())
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl Connection {
    /// A plain connection whose reader has buffer limit `limit` (a limit of
    /// 0 is taken as asyncio's default, 64 KiB; `start_server` and
    /// `open_connection` reject it before this point).
    #[must_use]
    pub fn new(limit: usize) -> Connection {
        Connection {
            inbox: Inbox::new(limit),
            write: WriteState::new(),
            tls: None,
            pending_tls: None,
            start_tls_failed: None,
            read_eof: false,
            closed: false,
            linger: None,
            flush_waiter: false,
            wake: Wake::NONE,
        }
    }

    /// A connection that speaks TLS from the start; its handshake deadline
    /// counts from `now`.
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn with_tls(limit: usize, session: TlsSession, now: Instant) -> Connection {
        let mut c = Connection::new(limit);
        c.install_tls(session, bytes::BytesMut::new(), now);
        c
    }

    // ----- getters -------------------------------------------------------

    /// Where the connection is in its life.
    #[must_use]
    pub fn phase(&self) -> Phase {
        if self.closed {
            Phase::Closed
        } else if self.write.is_lost() {
            Phase::Lost
        } else if self.tls.as_ref().is_some_and(|t| t.close_notify_sent())
            || self.linger.as_ref().is_some_and(|l| l.fin_sent())
        {
            Phase::ShuttingDown
        } else if self.write.is_closing() {
            Phase::Closing
        } else {
            Phase::Open
        }
    }

    /// The reader's buffer limit.
    #[must_use]
    pub fn limit(&self) -> usize {
        self.inbox.limit()
    }

    /// A reader for this connection, with its limit (flow control counts
    /// on the reader and the connection agreeing on it).
    #[must_use]
    pub fn new_reader(&self) -> Reader<StoredError> {
        Reader::new(self.limit()).unwrap_or_default()
    }

    /// asyncio's `is_closing()`.
    #[must_use]
    pub fn is_closing(&self) -> bool {
        self.write.is_closing()
    }

    /// Whether the transport is closed (what `wait_closed` waits for).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The error the connection was lost with, if any (what `wait_closed`
    /// reports).
    #[must_use]
    pub fn lost_error(&self) -> Option<&StoredError> {
        self.write.lost_error()
    }

    /// The error the reader gets, once the connection ended with one (what
    /// `drain()` reports first).
    #[must_use]
    pub fn error(&self) -> Option<&StoredError> {
        self.inbox.error()
    }

    /// Bytes received and not yet moved to the reader.
    #[must_use]
    pub fn received_len(&self) -> usize {
        self.inbox.len()
    }

    /// Whether [`sync_reader`](Self::sync_reader) has something to move.
    #[must_use]
    pub fn has_news(&self) -> bool {
        self.inbox.has_news()
    }

    /// Whether the driver must not receive for the reader's sake now
    /// (asyncio's `pause_reading()`).
    #[must_use]
    pub fn is_reading_paused(&self) -> bool {
        self.inbox.is_paused()
    }

    /// Bytes written and not yet sent (asyncio's
    /// `get_write_buffer_size()`).
    #[must_use]
    pub fn write_buffer_size(&self) -> usize {
        self.write.buffer_size()
    }

    /// `(low, high)` water marks.
    #[must_use]
    pub fn write_buffer_limits(&self) -> (usize, usize) {
        self.write.limits()
    }

    /// Whether a `drain()` would return `Ok` at once.
    #[must_use]
    pub fn drain_ready(&self) -> bool {
        self.inbox.error().is_none() && self.write.drain_start() == DrainStart::Ready
    }

    /// The first decision of a `drain()`: the reader's error first, then
    /// the write side's ([`DrainStart`]).
    pub fn drain_start(&self) -> Result<DrainStart, StoredError> {
        match self.inbox.error() {
            Some(e) => Err(e.clone()),
            None => Ok(self.write.drain_start()),
        }
    }

    /// Whether a drain that started waiting with `ticket` is done.
    #[must_use]
    pub fn drain_poll(
        &self,
        ticket: crate::write_state::DrainTicket,
    ) -> Option<DrainEnd<StoredError>> {
        self.write.drain_poll(ticket)
    }

    /// Whether the connection uses TLS (or will, once the plaintext
    /// buffered before `start_tls` is sent).
    #[must_use]
    pub fn is_tls(&self) -> bool {
        self.tls.is_some() || self.pending_tls.is_some()
    }

    /// The TLS handshake's state; [`HandshakeState::Done`] without TLS.
    #[must_use]
    pub fn handshake(&self) -> HandshakeState {
        match (&self.tls, &self.pending_tls) {
            (Some(t), _) => t.handshake(),
            (None, Some(_)) => HandshakeState::Pending,
            (None, None) => match &self.start_tls_failed {
                Some(e) => HandshakeState::Failed((**e).clone()),
                None => HandshakeState::Done,
            },
        }
    }

    /// What the TLS session negotiated (still known after the close);
    /// `None` without TLS.
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn tls_info(&self) -> Option<crate::tls::TlsInfo> {
        self.tls.as_ref().map(|t| t.info())
    }

    /// Who must be woken since the last call; clears the set.
    pub fn take_wake(&mut self) -> Wake {
        std::mem::take(&mut self.wake)
    }

    // ----- transport inputs ----------------------------------------------

    /// Whether the driver should receive now: [`recv_room`](Self::recv_room)
    /// would give room.
    #[must_use]
    pub fn wants_recv(&self) -> bool {
        if self.read_eof || self.write.is_lost() {
            return false;
        }
        let closing = self.write.is_closing();
        match &self.tls {
            Some(tls) => tls.wants_recv(closing || !self.inbox.is_paused()),
            // A lingering close reads (and discards) until the peer's EOF.
            None if self.linger.is_some() => true,
            None => !closing && !self.inbox.is_paused(),
        }
    }

    /// Room to receive into, or `None` when the driver must not receive
    /// now. Receive at most once into it, then report the result.
    pub fn recv_room(&mut self) -> Option<&mut [u8]> {
        if !self.wants_recv() {
            return None;
        }
        Some(match &mut self.tls {
            Some(tls) => tls.recv_room(),
            None => self.inbox.recv_room(),
        })
    }

    /// `n` bytes were received into the last [`recv_room`](Self::recv_room)
    /// (`n > 0`, at most the room's length: more is ignored; a receive of 0
    /// bytes is [`handle_eof`](Self::handle_eof)).
    pub fn handle_received(&mut self, n: usize) {
        if n == 0 || self.write.is_lost() {
            return;
        }
        match &mut self.tls {
            Some(tls) => {
                tls.commit(n);
                self.tls_pump();
            }
            None if self.linger.is_some() => {
                // Closed for reading: what the peer still sends is dropped.
                self.inbox.commit(n);
                let _ = self.inbox.take_data();
            }
            None => {
                self.inbox.commit(n);
                self.wake |= Wake::READER;
            }
        }
    }

    /// A receive into [`recv_room`](Self::recv_room) found nothing to read
    /// (`WouldBlock`): a quiet connection gives its receive buffer back
    /// while it waits, so that an idle connection holds none. Optional: a
    /// driver that never calls it only keeps a small buffer longer.
    pub fn handle_nothing_received(&mut self) {
        if self.tls.is_none() {
            self.inbox.nothing_received();
        }
    }

    /// The transport reached EOF.
    pub fn handle_eof(&mut self) {
        if self.read_eof || self.write.is_lost() {
            return;
        }
        self.read_eof = true;
        if self.tls.is_some() {
            self.tls_eof();
        } else {
            self.inbox.set_eof();
            self.wake |= Wake::READER;
        }
    }

    /// Receiving or sending failed: the connection is lost with `error`
    /// (its kind and source reach the reader, `drain()` and
    /// `wait_closed()`).
    pub fn handle_error(&mut self, error: io::Error) {
        self.lose(Some(error));
    }

    /// `n` bytes of the last [`Transmit::Send`] were sent.
    pub fn handle_sent(&mut self, n: usize) {
        if self.write.is_lost() {
            return;
        }
        match &mut self.tls {
            Some(tls) => tls.sent(n),
            None => {
                if self.write.sent(n) {
                    self.wake |= Wake::DRAIN;
                }
                if self.write.buffer_size() == 0 && self.pending_tls.is_some() {
                    let p = self.pending_tls.take().expect("checked");
                    self.install_tls(p.session, p.pre, p.started);
                }
            }
        }
        self.flush_progress();
    }

    /// The write side was shut down after [`Transmit::ShutdownWrite`].
    pub fn handle_write_shut(&mut self) {
        self.write.eof_sent();
        self.linger_fin_sent();
        self.flush_progress();
    }

    /// The time is `now`: deadlines that passed take effect.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Some(e) = self.tls.as_ref().and_then(|t| t.expired(now)) {
            self.fail(e);
        }
        if self.linger_expired(now) {
            self.lose(None);
        }
        if let Some(p) = &self.pending_tls {
            if now >= p.deadline() {
                let timeout = p.session.handshake_timeout();
                self.fail(TlsError::HandshakeTimeout(timeout));
            }
        }
    }

    // ----- outputs -------------------------------------------------------

    /// The next thing to do with the transport; `now` anchors the TLS
    /// shutdown deadline when close_notify goes out.
    pub fn poll_transmit(&mut self, now: Instant) -> Transmit<'_> {
        if self.tls.is_some() {
            return self.tls_transmit(now);
        }
        if self.linger.is_some() {
            return self.linger_transmit(now);
        }
        match self.write.action() {
            Action::Idle => Transmit::Idle,
            Action::Send => Transmit::Send(self.write.pending()),
            Action::ShutdownWrite => Transmit::ShutdownWrite,
            Action::Close => {
                self.lose(None);
                Transmit::Close { farewell: &[] }
            }
        }
    }

    /// The earliest deadline (TLS handshake or shutdown), if any.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.write.is_lost() {
            return None;
        }
        match (&self.pending_tls, &self.linger) {
            (Some(p), _) => Some(p.deadline()),
            (None, Some(l)) => l.deadline(),
            (None, None) => self.tls.as_ref().and_then(|t| t.deadline()),
        }
    }

    // ----- the reader ----------------------------------------------------

    /// Moves what arrived into `reader` (the bytes, 4 KiB or more without
    /// a copy, then EOF, then the error: asyncio's order), and applies flow control from
    /// `reader`'s length: the driver pauses while the reader plus what
    /// waits here hold more than `2 * limit`, and resumes once the reader
    /// is at `limit` or below (or waiting for more).
    pub fn sync_reader(&mut self, reader: &mut Reader<StoredError>) {
        self.inbox.deliver_to(reader);
        self.reader_len(reader.len(), reader.reading_paused());
    }

    /// Changes the reader's buffer limit on a live connection (beyond
    /// asyncio, where it is fixed): `reader`'s and this connection's, which
    /// flow control counts on agreeing. What arrived moves into `reader`
    /// first; then the pause rule runs with the new limit (reading pauses
    /// at once above twice the new limit, and resumes at once at or below
    /// it). A limit of 0 is refused and changes nothing.
    pub fn set_reader_limit(
        &mut self,
        reader: &mut Reader<StoredError>,
        limit: usize,
    ) -> Result<(), reader_core::InvalidArgument> {
        reader.set_limit(limit)?;
        self.inbox.set_limit(limit);
        self.sync_reader(reader);
        Ok(())
    }

    /// The reader now holds `len` bytes (it consumed some): the count the
    /// pause rule adds to what waits here. Changes no decision by itself.
    pub fn set_reader_len(&mut self, len: usize) {
        self.inbox.set_reader_len(len);
    }

    /// Flow control from the reader's length and its own pause decision,
    /// for a reader that consumed data or waits without taking anything
    /// new (asyncio resumes the transport before a read waits).
    pub fn reader_len(&mut self, len: usize, reader_paused: bool) {
        if self.inbox.reader_synced(len, reader_paused) {
            self.wake |= Wake::DRIVER;
            if self.tls.is_some() {
                // Plaintext rustls held back can go to the reader now.
                self.tls_pump();
            }
        }
    }

    // ----- application commands ------------------------------------------

    /// Buffers `data` for sending (asyncio's `write`); see
    /// [`WriteState::write`].
    pub fn write(&mut self, data: &[u8]) -> Result<crate::write_state::Written, WriteError> {
        let r = self.write.write(data);
        self.after_write(r)
    }

    /// Buffers every slice in order, as one write.
    pub fn writelines(
        &mut self,
        data: &[&[u8]],
    ) -> Result<crate::write_state::Written, WriteError> {
        let r = self.write.writelines(data);
        self.after_write(r)
    }

    fn after_write(
        &mut self,
        r: Result<crate::write_state::Written, WriteError>,
    ) -> Result<crate::write_state::Written, WriteError> {
        if let Ok(crate::write_state::Written::Buffered { wake_driver: true }) = r {
            self.wake |= Wake::DRIVER;
        }
        r
    }

    /// Shuts the write side down once the buffer is sent (half-close).
    /// Over TLS, which has no half-close, it fails with
    /// [`TlsError::WriteEofNotSupported`] and changes nothing.
    pub fn write_eof(&mut self) -> Result<(), TlsError> {
        if self.is_tls() {
            return Err(TlsError::WriteEofNotSupported);
        }
        if self.write.write_eof() {
            self.wake |= Wake::DRIVER;
        }
        Ok(())
    }

    /// Sets the water marks with asyncio's defaulting (neither given: 64
    /// KiB high, 512 KiB over TLS; only `low`: high = 4 × low; only `high`:
    /// low = high / 4).
    pub fn set_write_buffer_limits(
        &mut self,
        high: Option<usize>,
        low: Option<usize>,
    ) -> Result<(), LimitsError> {
        let high = match (high, low, self.is_tls()) {
            (None, None, true) => Some(crate::tls::TLS_HIGH_WATER),
            _ => high,
        };
        self.write.set_limits(high, low)
    }

    /// Upgrades the connection to TLS (asyncio's `start_tls`). The
    /// plaintext still buffered is sent first; then the handshake starts,
    /// and its first ciphertext is whatever `reader` and the connection
    /// hold unread (a ClientHello that arrived with the last plaintext
    /// line). The handshake deadline counts from `now`. Wait for
    /// [`handshake`](Self::handshake) to leave `Pending`.
    #[cfg(feature = "tls")]
    pub fn start_tls(
        &mut self,
        session: TlsSession,
        reader: &mut Reader<StoredError>,
        now: Instant,
    ) -> Result<(), TlsError> {
        if self.is_tls() {
            return Err(TlsError::AlreadyTls);
        }
        if self.write.is_closing() || self.closed {
            return Err(TlsError::Closed);
        }
        if self.write.eof_requested() {
            return Err(TlsError::AfterWriteEof);
        }
        self.inbox.deliver_to(reader);
        let pre = reader.take_buffered();
        self.reader_len(0, false);
        if self.write.buffer_size() == 0 {
            self.install_tls(session, pre, now);
        } else {
            self.pending_tls = Some(Box::new(PendingTls {
                session,
                pre,
                started: now,
            }));
        }
        self.wake |= Wake::DRIVER;
        Ok(())
    }
}
