//! One end: a [`Connection`], the application's [`Reader`], what its
//! driver did, what its application waits for, and the books that the
//! checks balance.
//!
//! The driver here does what the runtime driver (`conn/driver.rs`) does,
//! one system call at a time, as the fuzzer schedules it. The application
//! does what `StreamReader` / `StreamWriter` do: a read syncs the reader,
//! polls, and reports the reader's length; a `start_tls` holds the reader
//! until the handshake ends, and aborts when it failed.

use std::fmt;
use std::time::Instant;

use streams_common::connection::{Connection, DrainTicket, HandshakeState, Phase, Transmit, Wake};
use streams_common::reader_core::Reader;
use streams_common::StoredError;

use super::wire::Wire;

/// One read chunk: what a receive may bring beyond `2 * limit` (or what a
/// waiting `readexactly(n)` with `n > 2 * limit` holds).
pub const RECV_SLACK: usize = 64 * 1024;
/// How many transmits (or receives) one flush makes before it is declared
/// a livelock.
const MAX_IO: usize = 100_000;

/// Where a lifecycle phase sits in the only order it may move in.
pub fn rank(p: Phase) -> u8 {
    match p {
        Phase::Open => 0,
        Phase::Closing => 1,
        Phase::ShuttingDown => 2,
        Phase::Lost => 3,
        Phase::Closed => 4,
    }
}

/// What the driver saw when it went to sleep after a full turn: it waits
/// for the socket to become readable only if the core wanted to receive,
/// and for its timer.
#[derive(Clone, Copy, Debug)]
struct Idle {
    wants_recv: bool,
    timeout: Option<Instant>,
}

pub struct End {
    pub name: &'static str,
    /// The side a `start_tls` session takes.
    pub server_side: bool,
    pub conn: Connection,
    pub reader: Reader<StoredError>,
    pub limit: usize,

    /// The application reports its reader's exact length after every read
    /// (else as `StreamReader` does: see [`super::input::Setup`]).
    pub exact_reader: bool,
    /// The reader length `StreamReader` last published for the driver.
    pub(super) published: usize,
    pub write_shut: bool,
    pub transport_closed: bool,
    pub(super) eof_reported: bool,
    idle: Option<Idle>,

    // The application: what it waits for.
    pub(super) read_waiting: bool,
    /// What the last read that waited may hold (see [`super::app::pending_need`]);
    /// forgotten once reader and inbox are back within `2 * limit`.
    pub(super) need: usize,
    pub(super) drains: Vec<DrainTicket>,
    pub(super) handshake_waiting: bool,
    pub(super) closed_waiting: bool,
    /// Inside `start_tls`: the reader is lent to it.
    pub(super) awaiting_tls: bool,
    /// `write_eof()` took effect: writes fail from now on.
    pub(super) eof_asked: bool,

    // What happened.
    pub(super) phase: Phase,
    /// A TLS session was installed or is pending.
    pub started_tls: bool,
    /// A TLS session is installed (checked right after each call that can
    /// install one: `start_tls` and `handle_sent`).
    pub installed: bool,
    pub app_closed: bool,
    pub aborted: bool,
    pub errored: bool,
    pub eof_injected: bool,

    // The books.
    /// What the application wrote before a TLS session was installed.
    pub written_plain: Vec<u8>,
    /// What it wrote over TLS.
    pub written_tls: Vec<u8>,
    /// How much of `written_plain` went onto the wire.
    pub pushed_plain: usize,
    /// Bytes received before any `start_tls`.
    pub(super) recv_plain: usize,
    /// How much of the incoming wire's log the application consumed
    /// (reads, skipped lines, the bytes `start_tls` took).
    pub plain_pos: usize,
    /// How much of the peer's `written_tls` the application read.
    pub tls_pos: usize,
}

impl fmt::Debug for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(self.name)
            .field("conn", &self.conn)
            .field("handshake", &self.conn.handshake())
            .field("wants_recv", &self.conn.wants_recv())
            .field("reader_len", &self.reader.len())
            .field("reader_eof", &self.reader.eof_received())
            .field("reader_error", &self.reader.error().map(|e| e.to_string()))
            .field("write_shut", &self.write_shut)
            .field("transport_closed", &self.transport_closed)
            .field("eof_reported", &self.eof_reported)
            .field("idle", &self.idle)
            .field("read_waiting", &self.read_waiting)
            .field("drains", &self.drains.len())
            .field("handshake_waiting", &self.handshake_waiting)
            .field("awaiting_tls", &self.awaiting_tls)
            .field("started_tls", &self.started_tls)
            .field("installed", &self.installed)
            .field("app_closed", &self.app_closed)
            .field("aborted", &self.aborted)
            .field("errored", &self.errored)
            .field("eof_injected", &self.eof_injected)
            .field("written_plain", &self.written_plain.len())
            .field("written_tls", &self.written_tls.len())
            .field("pushed_plain", &self.pushed_plain)
            .field("recv_plain", &self.recv_plain)
            .field("plain_pos", &self.plain_pos)
            .field("tls_pos", &self.tls_pos)
            .finish()
    }
}

impl End {
    pub fn new(name: &'static str, server_side: bool, conn: Connection) -> End {
        let reader = conn.new_reader();
        let tls = conn.is_tls();
        End {
            name,
            server_side,
            limit: conn.limit(),
            exact_reader: true,
            published: 0,
            phase: conn.phase(),
            conn,
            reader,
            write_shut: false,
            transport_closed: false,
            eof_reported: false,
            idle: None,
            read_waiting: false,
            need: 0,
            drains: Vec::new(),
            handshake_waiting: tls,
            closed_waiting: false,
            awaiting_tls: false,
            eof_asked: false,
            started_tls: tls,
            installed: tls,
            app_closed: false,
            aborted: false,
            errored: false,
            eof_injected: false,
            written_plain: Vec::new(),
            written_tls: Vec::new(),
            pushed_plain: 0,
            recv_plain: 0,
            plain_pos: 0,
            tls_pos: 0,
        }
    }

    /// Bytes written so far, over both streams.
    pub fn written(&self) -> usize {
        self.written_plain.len() + self.written_tls.len()
    }

    /// Whether the application is inside `start_tls` (it cannot read).
    pub fn awaiting_tls(&self) -> bool {
        self.awaiting_tls
    }

    /// Drains still waiting.
    pub fn drains(&self) -> &[DrainTicket] {
        &self.drains
    }

    pub(super) fn refresh_installed(&mut self) {
        if self.started_tls && !self.installed && self.conn.tls_info().is_some() {
            self.installed = true;
            assert_eq!(
                self.pushed_plain,
                self.written_plain.len(),
                "{}: TLS was installed before the plaintext written before it was sent: {self:?}",
                self.name
            );
        }
    }

    // ----- the driver ----------------------------------------------------

    /// The driver ran for a reason of its own (a transport event, a timer,
    /// the fuzzer's schedule): it is not asleep.
    pub fn busy(&mut self) {
        self.idle = None;
    }

    /// One transmit, sending at most `max` bytes of a `Send` (0: the
    /// transport would block). Returns whether anything happened.
    pub fn transmit(&mut self, out: &mut Wire, inc: &mut Wire, now: Instant, max: usize) -> bool {
        enum Did {
            Sent(usize),
            Shut,
            Closed,
        }
        if self.transport_closed {
            return false;
        }
        let plaintext = !self.installed;
        let did = match self.conn.poll_transmit(now) {
            Transmit::Idle => return false,
            Transmit::Send(bytes) => {
                assert!(!bytes.is_empty(), "{}: an empty Send", self.name);
                assert!(
                    !self.write_shut,
                    "{}: Send after the write side was shut down ({} bytes)",
                    self.name,
                    bytes.len()
                );
                if plaintext {
                    let unsent = &self.written_plain[self.pushed_plain..];
                    assert!(
                        bytes == unsent,
                        "{}: the plaintext offered ({} bytes) is not what was written and not \
                         yet sent ({} bytes)",
                        self.name,
                        bytes.len(),
                        unsent.len()
                    );
                }
                let n = bytes.len().min(max);
                if n == 0 {
                    return false;
                }
                out.push(&bytes[..n]);
                Did::Sent(n)
            }
            Transmit::ShutdownWrite => {
                assert!(!self.write_shut, "{}: a second ShutdownWrite", self.name);
                assert!(
                    !self.conn.is_tls(),
                    "{}: ShutdownWrite over TLS, which has no half-close",
                    self.name
                );
                Did::Shut
            }
            Transmit::Close { farewell } => {
                assert!(
                    plaintext || farewell.len() < 1024,
                    "{}: a farewell of {} bytes",
                    self.name,
                    farewell.len()
                );
                assert!(
                    !plaintext || farewell.is_empty(),
                    "{}: a farewell from a plain connection",
                    self.name
                );
                if !self.write_shut {
                    out.push(farewell);
                }
                Did::Closed
            }
        };
        match did {
            Did::Sent(n) => {
                if plaintext {
                    self.pushed_plain += n;
                }
                self.conn.handle_sent(n);
                self.refresh_installed();
                self.observe();
            }
            Did::Shut => {
                self.write_shut = true;
                out.shut = true;
                self.conn.handle_write_shut();
                self.observe();
            }
            Did::Closed => {
                self.transport_closed = true;
                out.shut = true;
                inc.receiver_closed = true;
                self.conn.handle_closed();
                assert_eq!(self.conn.phase(), Phase::Closed, "{}", self.name);
            }
        }
        true
    }

    /// Transmits until the core is idle. Returns whether anything happened.
    pub fn flush(&mut self, out: &mut Wire, inc: &mut Wire, now: Instant) -> bool {
        let mut progress = false;
        for _ in 0..MAX_IO {
            if !self.transmit(out, inc, now, usize::MAX) {
                return progress;
            }
            progress = true;
        }
        panic!(
            "{}: still transmitting after {MAX_IO} sends: {self:?}",
            self.name
        );
    }

    /// One receive of at most `max` bytes (or the EOF once the wire is
    /// drained and shut). Returns whether anything happened.
    pub fn receive(&mut self, inc: &mut Wire, max: usize) -> bool {
        if self.transport_closed {
            return false;
        }
        let eof = inc.data.is_empty() && inc.shut;
        if inc.data.is_empty() && !eof {
            return false;
        }
        if !self.exact_reader {
            // As the runtime driver does before each receive.
            self.conn.set_reader_len(self.published);
        }
        let wants = self.conn.wants_recv();
        let Some(room) = self.conn.recv_room() else {
            assert!(!wants, "{}: wants_recv() but no recv_room()", self.name);
            return false;
        };
        assert!(wants, "{}: a recv_room() without wants_recv()", self.name);
        assert!(!room.is_empty(), "{}: an empty receive room", self.name);
        if eof {
            assert!(
                !self.eof_reported,
                "{}: the connection asked to receive again after EOF",
                self.name
            );
            self.eof_reported = true;
            self.conn.handle_eof();
            self.observe();
            return true;
        }
        let n = inc.take_into(room, max);
        self.conn.handle_received(n);
        self.observe();
        if !self.started_tls {
            self.recv_plain += n;
        }
        self.check_memory();
        true
    }

    /// Fires the deadline if it passed. Returns whether it did.
    pub fn fire(&mut self, now: Instant) -> bool {
        if self.transport_closed {
            return false;
        }
        if self.conn.poll_timeout().is_some_and(|t| t <= now) {
            self.conn.handle_timeout(now);
            self.observe();
            return true;
        }
        false
    }

    /// A full turn of the driver: deadlines, transmits, receives,
    /// transmits. Returns whether anything happened.
    pub fn step(&mut self, out: &mut Wire, inc: &mut Wire, now: Instant) -> bool {
        if self.transport_closed {
            return false;
        }
        let mut progress = self.fire(now);
        progress |= self.flush(out, inc, now);
        for _ in 0..MAX_IO {
            if !self.receive(inc, usize::MAX) {
                break;
            }
            progress = true;
        }
        progress |= self.flush(out, inc, now);
        progress
    }

    /// The driver goes idle after a turn with nothing left to do: it waits
    /// for readability and its timer (virtual: nothing here sleeps).
    pub fn go_idle(&mut self) {
        if !self.transport_closed {
            self.idle = Some(Idle {
                wants_recv: self.conn.wants_recv(),
                timeout: self.conn.poll_timeout(),
            });
        }
    }

    /// The transport reports EOF before the bytes in flight (only as the
    /// result of a receive the core asked for).
    pub fn inject_eof(&mut self) {
        if self.transport_closed || self.eof_reported {
            return;
        }
        if self.conn.recv_room().is_some() {
            self.idle = None;
            self.eof_reported = true;
            self.eof_injected = true;
            self.conn.handle_eof();
        }
    }

    /// A send or a receive fails.
    pub fn inject_error(&mut self, e: std::io::Error) {
        if self.transport_closed {
            return;
        }
        self.idle = None;
        self.errored = true;
        self.conn.handle_error(e);
    }

    // ----- waking --------------------------------------------------------

    /// Takes the core's wakes and wakes who they name: a woken waiter
    /// looks again, and a `start_tls` whose handshake failed aborts (as
    /// `StreamWriter::start_tls` does). Then checks that nobody who waits
    /// has what they wait for without having been woken.
    pub fn wakes(&mut self) -> bool {
        let mut acted = false;
        for _ in 0..16 {
            let w = self.conn.take_wake();
            if w.is_empty() {
                break;
            }
            if w.contains(Wake::DRIVER) {
                self.idle = None;
            }
            if w.contains(Wake::READER) {
                self.read_waiting = false;
            }
            if w.contains(Wake::DRAIN) {
                let conn = &self.conn;
                self.drains.retain(|t| conn.drain_poll(*t).is_none());
            }
            if w.contains(Wake::HANDSHAKE) && self.handshake_waiting {
                match self.conn.handshake() {
                    HandshakeState::Pending => {}
                    HandshakeState::Done => {
                        self.handshake_waiting = false;
                        self.awaiting_tls = false;
                    }
                    HandshakeState::Failed(_) => {
                        self.handshake_waiting = false;
                        self.awaiting_tls = false;
                        self.abort();
                        acted = true;
                    }
                }
            }
            if w.contains(Wake::CLOSED) && self.conn.is_closed() {
                self.closed_waiting = false;
            }
        }
        assert!(
            !(self.read_waiting && self.conn.has_news()),
            "{}: lost wake-up: the reader waits, news arrived, and READER was not raised: {self:?}",
            self.name
        );
        for t in &self.drains {
            assert!(
                self.conn.drain_poll(*t).is_none(),
                "{}: lost wake-up: a drain can end and DRAIN was not raised: {self:?}",
                self.name
            );
        }
        assert!(
            !(self.handshake_waiting && self.conn.handshake() != HandshakeState::Pending),
            "{}: lost wake-up: the handshake ended ({:?}) and HANDSHAKE was not raised",
            self.name,
            self.conn.handshake()
        );
        assert!(
            !(self.closed_waiting && self.conn.is_closed()),
            "{}: lost wake-up: the transport closed and CLOSED was not raised",
            self.name
        );
        acted
    }

    /// A sleeping driver wakes up for its socket or its timer; otherwise
    /// the core must not have work for it (it would never be done).
    pub fn check_idle(&mut self, inc: &Wire, now: Instant) {
        let Some(idle) = self.idle else {
            return;
        };
        if self.transport_closed
            || (idle.wants_recv && (!inc.data.is_empty() || inc.shut))
            || idle.timeout.is_some_and(|t| t <= now)
        {
            self.idle = None;
            return;
        }
        assert!(
            !self.conn.wants_recv() || idle.wants_recv,
            "{}: lost wake-up: the core wants to receive again and DRIVER was not raised: {self:?}",
            self.name
        );
        if let Some(t) = self.conn.poll_timeout() {
            assert!(
                idle.timeout.is_some_and(|armed| armed <= t),
                "{}: lost wake-up: a deadline earlier than the driver's timer ({:?} vs {:?}) \
                 and DRIVER was not raised: {self:?}",
                self.name,
                t,
                idle.timeout
            );
        }
        // A spurious turn is always allowed: it must find nothing to do.
        let t = self.conn.poll_transmit(now);
        assert!(
            t == Transmit::Idle,
            "{}: lost wake-up: the core has {t:?} for a sleeping driver and DRIVER was not raised",
            self.name
        );
    }

    // ----- invariants ----------------------------------------------------

    /// Reader plus inbox stay within twice the limit (or what the last
    /// waiting read may hold) and one receive (asyncio's bound; the core
    /// holds less: see `Inbox::recv_room`).
    pub fn check_memory(&self) {
        let held = self.conn.received_len() + self.reader.len();
        let bound = (2 * self.limit).max(self.need).saturating_add(RECV_SLACK);
        assert!(
            held <= bound,
            "{}: {held} bytes received and unread with limit {} (a waiting read may hold {}): \
             {self:?}",
            self.name,
            self.limit,
            self.need
        );
    }

    /// The phase only moves forward (looked at after every call that can
    /// change it).
    fn observe(&mut self) -> Phase {
        let phase = self.conn.phase();
        assert!(
            rank(phase) >= rank(self.phase),
            "{}: the phase went back from {:?} to {phase:?}",
            self.name,
            self.phase
        );
        self.phase = phase;
        phase
    }

    /// The phase only moves forward; the books balance.
    pub fn check(&mut self, inc: &Wire) {
        let phase = self.observe();
        assert_eq!(
            self.conn.is_closed(),
            phase == Phase::Closed,
            "{}",
            self.name
        );
        if self.transport_closed {
            assert_eq!(phase, Phase::Closed, "{}", self.name);
        }
        if !self.conn.is_tls() {
            assert_ne!(
                phase,
                Phase::ShuttingDown,
                "{}: ShuttingDown without TLS",
                self.name
            );
        }
        self.check_memory();
        if !self.started_tls {
            assert_eq!(
                self.recv_plain,
                self.plain_pos + self.reader.len() + self.conn.received_len(),
                "{}: received bytes are neither read, nor in the reader, nor in the inbox: \
                 {self:?}",
                self.name
            );
        }
        assert!(
            self.plain_pos <= inc.received() || self.started_tls,
            "{}",
            self.name
        );
        if !self.installed {
            let unsent = self.written_plain.len() - self.pushed_plain;
            let expect = if rank(phase) >= rank(Phase::Lost) {
                0
            } else {
                unsent
            };
            assert_eq!(
                self.conn.write_buffer_size(),
                expect,
                "{}: the write buffer does not hold what was written and not sent: {self:?}",
                self.name
            );
        }
    }
}
