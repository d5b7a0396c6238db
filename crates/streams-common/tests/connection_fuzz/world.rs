//! The ends, the wires between them and the virtual clock: applies the
//! operations, checks after each one, and at the end settles everything
//! (both applications read all, both drivers run, the clock jumps to each
//! deadline) and checks that every waiter got its answer and that no byte
//! went missing.

use std::time::{Duration, Instant};

use streams_common::connection::{Connection, HandshakeState, Phase};

use super::app::pattern;
use super::end::End;
use super::input::{Mode, Op, Setup, SingleCore, TlsSetup, Who};
use super::pki;
use super::wire::Wire;

/// Each end writes at most this much (the rest of its writes are cut),
/// and single-core mode feeds at most this much...
const MAX_BYTES: usize = 2 * 1024 * 1024;
/// ... and at most this many times twice the limit: a receiver with a
/// tiny limit may take little more per round, so this keeps an input's
/// rounds, and the fuzzer's speed, bounded.
const MAX_PAUSES: usize = 1000;
/// Rounds of [`World::drive`] before the pair is declared livelocked.
const MAX_ROUNDS: usize = 10_000;

pub struct World {
    tls: TlsSetup,
    /// What each end may write (see [`MAX_PAUSES`]).
    budget: usize,
    strict_close_after_corruption: bool,
    single: bool,
    /// Client and server; the one core in single-core mode.
    pub ends: Vec<End>,
    /// `wires[i]` carries bytes towards `ends[i]`; in single-core mode
    /// `wires[0]` is what the input feeds and `wires[1]` a sink.
    pub wires: [Wire; 2],
    base: Instant,
    offset: Duration,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("ends", &self.ends)
            .field("wires", &self.wires)
            .field("offset", &self.offset)
            .finish()
    }
}

/// One end with what it reads from and writes to.
struct Parts<'a> {
    end: &'a mut End,
    /// The peer's TLS plaintext (empty without a peer).
    src_tls: &'a [u8],
    inc: &'a mut Wire,
    out: &'a mut Wire,
}

impl World {
    pub fn new(setup: Setup, options: super::Options) -> World {
        let limit = setup.limit.bytes();
        let base = Instant::now();
        let (tls, ends, single) = match setup.mode {
            Mode::Plain(tls) => (
                tls,
                vec![
                    End::new("client", false, Connection::new(limit)),
                    End::new("server", true, Connection::new(limit)),
                ],
                false,
            ),
            Mode::Tls(tls) => (
                tls,
                vec![
                    End::new(
                        "client",
                        false,
                        Connection::with_tls(limit, pki::session(&tls, false), base),
                    ),
                    End::new(
                        "server",
                        true,
                        Connection::with_tls(limit, pki::session(&tls, true), base),
                    ),
                ],
                false,
            ),
            Mode::Single(core, tls) => {
                let end = match core {
                    SingleCore::Plain => End::new("core", true, Connection::new(limit)),
                    SingleCore::TlsServer => End::new(
                        "core",
                        true,
                        Connection::with_tls(limit, pki::session(&tls, true), base),
                    ),
                    SingleCore::TlsClient => End::new(
                        "core",
                        false,
                        Connection::with_tls(limit, pki::session(&tls, false), base),
                    ),
                };
                (tls, vec![end], true)
            }
        };
        let mut ends = ends;
        for end in &mut ends {
            end.exact_reader = setup.exact_reader;
        }
        let wires = if single {
            [Wire::default(), Wire::sink()]
        } else {
            [Wire::default(), Wire::default()]
        };
        World {
            tls,
            budget: MAX_BYTES.min(MAX_PAUSES.saturating_mul(2 * limit + 1)),
            strict_close_after_corruption: options.strict_close_after_corruption,
            single,
            ends,
            wires,
            base,
            offset: Duration::ZERO,
        }
    }

    pub fn now(&self) -> Instant {
        self.base + self.offset
    }

    fn index(&self, who: Who) -> usize {
        if self.single {
            0
        } else {
            who.index()
        }
    }

    fn end(&mut self, who: Who) -> &mut End {
        let i = self.index(who);
        &mut self.ends[i]
    }

    fn parts(&mut self, i: usize) -> Parts<'_> {
        let (first, second) = self.ends.split_at_mut(1);
        let (end, peer) = if i == 0 {
            (&mut first[0], second.first())
        } else {
            (&mut second[0], first.first())
        };
        let (w0, w1) = self.wires.split_at_mut(1);
        let (inc, out) = if i == 0 {
            (&mut w0[0], &mut w1[0])
        } else {
            (&mut w1[0], &mut w0[0])
        };
        Parts {
            end,
            src_tls: peer.map_or(&[][..], |p| &p.written_tls[..]),
            inc,
            out,
        }
    }

    /// Applies one operation, then checks.
    pub fn apply(&mut self, op: &Op) {
        let now = self.now();
        match *op {
            Op::Send { who, max } => {
                let p = self.parts(self.index(who));
                p.end.busy();
                p.end.transmit(p.out, p.inc, now, max as usize);
            }
            Op::Flush { who } => {
                let p = self.parts(self.index(who));
                p.end.busy();
                p.end.flush(p.out, p.inc, now);
            }
            Op::Recv { who, max } => {
                let p = self.parts(self.index(who));
                p.end.busy();
                let max = if max == 0 { usize::MAX } else { max as usize };
                p.end.receive(p.inc, max);
            }
            Op::Drive => {
                self.drive();
            }
            Op::Eof { who } => {
                if self.single {
                    // The feeder shuts its side: EOF after what it fed.
                    self.wires[0].shut = true;
                } else {
                    self.parts(who.index()).end.inject_eof();
                }
            }
            Op::Error { who, kind } => {
                let i = self.index(who);
                self.ends[i].inject_error(kind.error());
            }
            Op::Read { who, read } => {
                let p = self.parts(self.index(who));
                p.end.read(read, p.inc.received_bytes(), p.src_tls);
            }
            Op::Write { who, size, newline } => {
                let budget = self.budget;
                let end = self.end(who);
                let n = size.bytes().min(budget.saturating_sub(end.written()));
                if n > 0 || size.bytes() == 0 {
                    let data = pattern(end.written(), n, newline);
                    end.write(&data);
                }
            }
            Op::WriteLines {
                who,
                ref parts,
                newline,
            } => {
                let budget = self.budget;
                let end = self.end(who);
                let mut at = end.written();
                let mut lines = Vec::new();
                for &len in parts.iter().take(8) {
                    let len = (len as usize).min(budget.saturating_sub(at));
                    lines.push(pattern(at, len, newline));
                    at += len;
                }
                end.writelines(&lines);
            }
            Op::WriteEof { who } => self.end(who).write_eof(),
            Op::Close { who } => {
                // See `Options::strict_close_after_corruption`.
                let i = self.index(who);
                if self.strict_close_after_corruption || !self.wires[i].corrupted {
                    self.ends[i].close();
                }
            }
            Op::Abort { who } => self.end(who).abort(),
            Op::Limits {
                who,
                high,
                low,
                bytes,
            } => {
                let unit = if bytes { 1 } else { 1024 };
                let end = self.end(who);
                end.set_limits(
                    high.map(|h| h as usize * unit),
                    low.map(|l| l as usize * unit),
                );
            }
            Op::StartTls { who } => {
                let i = self.index(who);
                let server_side = if self.single {
                    who == Who::Server
                } else {
                    self.ends[i].server_side
                };
                let session = pki::session(&self.tls, server_side);
                self.ends[i].start_tls(session, now);
            }
            Op::Drain { who } => self.end(who).drain(),
            Op::Advance { step } => {
                self.offset += step.duration();
                let now = self.now();
                for end in &mut self.ends {
                    if end.fire(now) {
                        end.busy();
                    }
                }
            }
            Op::Corrupt { into, at, xor } => {
                // See `Options::strict_close_after_corruption`.
                let i = self.index(into);
                if self.strict_close_after_corruption || !self.ends[i].app_closed {
                    self.wires[i].corrupt(at as usize, xor);
                }
            }
            Op::Feed { ref bytes } => {
                if self.single && self.wires[0].total + bytes.len() <= self.budget {
                    self.feed(bytes);
                }
            }
            Op::FeedHello { cut } => {
                if self.single {
                    let hello = pki::client_hello(self.tls.client);
                    let n = if cut == 0 {
                        hello.len()
                    } else {
                        hello.len() * cut as usize / 256
                    };
                    self.feed(&hello[..n]);
                }
            }
        }
        let _ = self.after();
    }

    fn feed(&mut self, bytes: &[u8]) {
        let w = &mut self.wires[0];
        if !w.shut {
            w.push(bytes);
        }
    }

    /// Wakes, then the checks, for every end. Returns whether an
    /// application acted on a wake (a failed `start_tls` aborts).
    fn after(&mut self) -> bool {
        let now = self.now();
        let mut acted = false;
        for i in 0..self.ends.len() {
            let p = self.parts(i);
            acted |= p.end.wakes();
            p.end.check_idle(p.inc, now);
            acted |= p.end.wakes();
            p.end.check(p.inc);
        }
        acted
    }

    /// Both drivers run until neither has anything left to do (the
    /// applications only react to wakes); then they sleep.
    pub fn drive(&mut self) -> bool {
        let now = self.now();
        let mut any = false;
        for _ in 0..MAX_ROUNDS {
            let mut progress = false;
            for i in 0..self.ends.len() {
                let p = self.parts(i);
                progress |= p.end.step(p.out, p.inc, now);
                progress |= p.end.wakes();
                p.end.check(p.inc);
            }
            if !progress {
                for end in &mut self.ends {
                    end.go_idle();
                }
                return any;
            }
            any = true;
        }
        panic!("not quiescent after {MAX_ROUNDS} rounds: {self:#?}");
    }

    /// Both applications read everything; both drivers run; the clock
    /// jumps to the next deadline; until nothing changes any more. Then
    /// the final checks.
    pub fn settle(&mut self) {
        // A productive round may move little more than `2 * limit` bytes
        // (a paused reader with a small limit), so what was written (and,
        // in single-core mode, what is in flight) bounds the rounds,
        // beside the deadlines and the handshakes.
        let written: usize = self
            .ends
            .iter()
            .map(|e| e.written_plain.len() + e.written_tls.len())
            .sum();
        let in_flight: usize = self.wires.iter().map(|w| w.data.len()).sum();
        let rounds = 1000 + written + in_flight;
        for _ in 0..rounds {
            let mut progress = false;
            for i in 0..self.ends.len() {
                let p = self.parts(i);
                progress |= p.end.read_all(p.inc.received_bytes(), p.src_tls);
            }
            progress |= self.after();
            progress |= self.drive();
            progress |= self.after();
            if progress {
                continue;
            }
            let next = self
                .ends
                .iter()
                .filter(|e| !e.transport_closed)
                .filter_map(|e| e.conn.poll_timeout())
                .min();
            let Some(next) = next else {
                self.final_checks();
                return;
            };
            self.offset = self.offset.max(next.saturating_duration_since(self.base));
            let now = self.now();
            for end in &mut self.ends {
                if end.fire(now) {
                    end.busy();
                }
            }
            let _ = self.after();
        }
        panic!("settling does not end: {self:#?}");
    }

    /// After settling: every waiter was answered, everything that could
    /// arrive arrived.
    fn final_checks(&mut self) {
        for i in 0..self.ends.len() {
            let p = self.parts(i);
            let e = &*p.end;
            let name = e.name;
            let phase = e.conn.phase();
            assert_ne!(
                phase,
                Phase::Lost,
                "{name}: lost, and the driver was never told to close: {self:#?}"
            );
            if e.conn.is_tls() {
                assert_ne!(
                    e.conn.handshake(),
                    HandshakeState::Pending,
                    "{name}: the handshake is still pending past every deadline: {self:#?}"
                );
            }
            assert!(
                e.drains().is_empty(),
                "{name}: a drain still waits after everything settled: {self:#?}"
            );
            if e.app_closed || e.aborted {
                assert_eq!(
                    phase,
                    Phase::Closed,
                    "{name}: closed by the application but never closed: {self:#?}"
                );
            }
            if e.installed && e.reader.eof_received() {
                assert_eq!(
                    phase,
                    Phase::Closed,
                    "{name}: the TLS stream ended but the connection stays: {self:#?}"
                );
            }
            if e.reader.error().is_none() {
                assert!(
                    !e.awaiting_tls() && e.reader.is_empty() && !e.conn.has_news(),
                    "{name}: bytes left unread after reading everything: {self:#?}"
                );
            }
        }
        if !self.single {
            self.check_complete(0, 1);
            self.check_complete(1, 0);
        } else {
            let e = &self.ends[0];
            let w = &self.wires[0];
            if !e.started_tls
                && !e.app_closed
                && !e.aborted
                && !e.errored
                && e.reader.error().is_none()
            {
                assert!(
                    w.data.is_empty() && e.plain_pos == w.log.len(),
                    "core: fed bytes were never read: {self:#?}"
                );
            }
        }
    }

    /// Everything `from` wrote reached `to`'s application, when nothing
    /// allowed it to be lost.
    fn check_complete(&self, from: usize, to: usize) {
        let a = &self.ends[from];
        let b = &self.ends[to];
        let wire = &self.wires[to];
        let b_ok = !b.app_closed
            && !b.aborted
            && !b.errored
            && !b.eof_injected
            && b.reader.error().is_none();
        let a_ok = !a.aborted && !a.errored && a.conn.lost_error().is_none();
        if !(a_ok && b_ok) {
            return;
        }
        if !a.started_tls && !b.started_tls {
            assert!(
                a.pushed_plain == a.written_plain.len()
                    && wire.data.is_empty()
                    && b.plain_pos == a.written_plain.len(),
                "{} -> {}: bytes written were not all read: {self:#?}",
                a.name,
                b.name
            );
            if wire.shut {
                assert!(
                    b.reader.eof_received(),
                    "{} -> {}: the EOF was lost: {self:#?}",
                    a.name,
                    b.name
                );
            }
        }
        let done = |e: &End| e.installed && e.conn.handshake() == HandshakeState::Done;
        if done(a) && done(b) && !a.eof_injected && !wire.corrupted && !self.wires[from].corrupted {
            assert!(
                b.tls_pos == a.written_tls.len(),
                "{} -> {}: TLS plaintext written was not all read ({} of {}): {self:#?}",
                a.name,
                b.name,
                b.tls_pos,
                a.written_tls.len()
            );
            if a.app_closed {
                assert!(
                    b.reader.eof_received(),
                    "{} -> {}: the close_notify was lost: {self:#?}",
                    a.name,
                    b.name
                );
            }
        }
    }
}
