//! One end's application: reads as `StreamReader` makes them (or with the
//! exact length reported, as the tests' `Pair` does), writes, `write_eof`,
//! `close`, `abort`, `drain` and `start_tls`, each checked against the
//! books: what it reads is what the peer wrote, in order.

use std::task::Poll;
use std::time::Instant;

use streams_common::connection::{DrainStart, Phase, Written};
use streams_common::reader_core::{ReadError, Reader, Separators};
use streams_common::tls::TlsError;
use streams_common::write_state::WriteError;
use streams_common::StoredError;

use super::end::{rank, End};
use super::input::{ReadOp, Sep};

/// What one application read gave.
enum Got {
    /// Bytes out of the stream (a result, or an `Incomplete`'s partial).
    Data(Vec<u8>),
    /// `readline` dropped a too-long line's bytes.
    Skipped(usize),
    /// An error that consumes nothing (stored error, limit overrun).
    Nothing,
}

fn got<B: AsRef<[u8]>>(r: Result<B, ReadError<StoredError>>) -> Got {
    match r {
        Ok(b) => Got::Data(b.as_ref().to_vec()),
        Err(ReadError::Incomplete { partial, .. }) => Got::Data(partial.to_vec()),
        Err(ReadError::LineTooLong { discarded, .. }) => Got::Skipped(discarded),
        Err(ReadError::LimitOverrun { .. } | ReadError::Stored(_)) => Got::Nothing,
        Err(e) => panic!("a read failed unexpectedly: {e:?}"),
    }
}

fn seps(s: Sep) -> Separators<'static> {
    match s.list() {
        [one] => Separators::One(one),
        list => Separators::Any(list),
    }
}

fn poll_read(reader: &mut Reader<StoredError>, op: ReadOp) -> Poll<Got> {
    let r = match op {
        ReadOp::Read(n) => reader.read(n as usize),
        ReadOp::Available => reader.read(usize::MAX),
        ReadOp::Exactly(n) => reader.readexactly(n as usize),
        ReadOp::Line => reader.readline(),
        ReadOp::Until(s) => reader.readuntil(seps(s)),
        ReadOp::ToEof => reader.read_to_eof(),
        ReadOp::LineBorrowed => return reader.readline_borrowed().map(got),
        ReadOp::UntilBorrowed(s) => return reader.readuntil_borrowed(seps(s)).map(got),
    };
    r.map(got)
}

/// How much a waiting read may hold in the reader: asyncio resumes the
/// transport before any read waits, so that `readexactly(n)` gets its
/// `n` bytes (up to `n - 1` buffered while it waits), `readuntil` its
/// separator (up to `limit + longest separator - 1`), and `read()` to EOF
/// everything (flow control does not count what it gathered).
pub(super) fn pending_need(op: ReadOp, limit: usize) -> usize {
    let until = |s: Sep| limit + s.list().iter().map(|x| x.len()).max().unwrap_or(1) - 1;
    match op {
        ReadOp::Read(_) | ReadOp::Available => 0,
        ReadOp::Exactly(n) => (n as usize).saturating_sub(1),
        ReadOp::Line | ReadOp::LineBorrowed => limit,
        ReadOp::Until(s) | ReadOp::UntilBorrowed(s) => until(s),
        ReadOp::ToEof => usize::MAX / 4,
    }
}

/// The bytes an end writes at stream position `start` (over both of its
/// streams): a counter, so that a lost, repeated or reordered byte shows,
/// with a newline every `newline + 1` bytes when `newline` is not 0.
pub fn pattern(start: usize, len: usize, newline: u8) -> Vec<u8> {
    (start..start + len)
        .map(|p| {
            if newline != 0 && p % (newline as usize + 1) == 0 {
                b'\n'
            } else {
                (p % 251) as u8
            }
        })
        .collect()
}

impl End {
    /// Accounts for bytes the application consumed.
    fn consume(&mut self, got: Got, src_plain: &[u8], src_tls: &[u8]) -> bool {
        let (src, pos, stream) = if self.installed {
            (src_tls, &mut self.tls_pos, "TLS")
        } else {
            (src_plain, &mut self.plain_pos, "plain")
        };
        let (n, data) = match &got {
            Got::Data(d) => (d.len(), Some(d)),
            Got::Skipped(n) => (*n, None),
            Got::Nothing => return false,
        };
        let end = *pos + n;
        assert!(
            end <= src.len(),
            "{}: the application consumed {n} bytes at {pos} of the {stream} stream, of which \
             the peer sent {}",
            self.name,
            src.len()
        );
        if let Some(d) = data {
            if src[*pos..end] != d[..] {
                let at = d
                    .iter()
                    .zip(&src[*pos..end])
                    .take_while(|(a, b)| a == b)
                    .count();
                panic!(
                    "{}: read {n} bytes at {pos} of the {stream} stream that differ from what the \
                     peer sent, from offset {at}",
                    self.name
                );
            }
        }
        *pos = end;
        n > 0
    }

    /// An application read. Returns whether it consumed anything.
    pub fn read(&mut self, op: ReadOp, src_plain: &[u8], src_tls: &[u8]) -> bool {
        if self.awaiting_tls {
            return false;
        }
        if self.exact_reader {
            self.read_exact(op, src_plain, src_tls)
        } else {
            self.read_runtime(op, src_plain, src_tls)
        }
    }

    /// A read as `StreamReader::poll_op` makes it: sync only when there is
    /// news; after a ready read, publish the length when it halved and
    /// tell the core only if the read resumed reading; before waiting,
    /// look for news once more, else register and report.
    fn read_runtime(&mut self, op: ReadOp, src_plain: &[u8], src_tls: &[u8]) -> bool {
        if self.conn.has_news() {
            self.conn.sync_reader(&mut self.reader);
            self.published = self.reader.len();
        }
        for _ in 0..1000 {
            let was_paused = self.reader.reading_paused();
            match poll_read(&mut self.reader, op) {
                Poll::Ready(got) => {
                    let consumed = self.consume(got, src_plain, src_tls);
                    let len = self.reader.len();
                    if len <= self.published / 2 && len != self.published {
                        self.published = len;
                    }
                    if was_paused && !self.reader.reading_paused() {
                        self.conn.reader_len(len, false);
                    }
                    self.read_done();
                    return consumed;
                }
                Poll::Pending => {
                    let again = self.conn.has_news();
                    if again {
                        self.conn.sync_reader(&mut self.reader);
                    } else {
                        self.read_waiting = true;
                        self.need = pending_need(op, self.limit);
                        self.conn
                            .reader_len(self.reader.len(), self.reader.reading_paused());
                    }
                    self.published = self.reader.len();
                    if !again {
                        return false;
                    }
                }
            }
        }
        panic!("{}: a read keeps finding news: {self:?}", self.name);
    }

    /// A read as the tests' `Pair` makes it: sync, poll, report the exact
    /// length (and wait when it must).
    fn read_exact(&mut self, op: ReadOp, src_plain: &[u8], src_tls: &[u8]) -> bool {
        for _ in 0..1000 {
            self.conn.sync_reader(&mut self.reader);
            match poll_read(&mut self.reader, op) {
                Poll::Ready(got) => {
                    let consumed = self.consume(got, src_plain, src_tls);
                    self.conn
                        .reader_len(self.reader.len(), self.reader.reading_paused());
                    self.read_done();
                    return consumed;
                }
                Poll::Pending => {
                    if self.conn.has_news() {
                        continue;
                    }
                    // Registered as the waiter, then the core is told
                    // (asyncio resumes before a read waits).
                    self.read_waiting = true;
                    self.need = pending_need(op, self.limit);
                    self.conn
                        .reader_len(self.reader.len(), self.reader.reading_paused());
                    return false;
                }
            }
        }
        panic!("{}: a read keeps finding news: {self:?}", self.name);
    }

    /// A read completed: nobody waits, and once reader and inbox are back
    /// within `2 * limit` the last waiting read no longer excuses more.
    fn read_done(&mut self) {
        self.read_waiting = false;
        if self.reader.len() + self.conn.received_len() <= 2 * self.limit {
            self.need = 0;
        }
    }

    /// Reads everything there is (at EOF, or until a read would wait).
    /// Returns whether anything was consumed.
    pub fn read_all(&mut self, src_plain: &[u8], src_tls: &[u8]) -> bool {
        let mut any = false;
        for _ in 0..100_000 {
            if !self.read(ReadOp::Available, src_plain, src_tls) {
                return any;
            }
            any = true;
        }
        panic!("{}: reading never ends", self.name);
    }

    fn record(&mut self, data: &[u8]) {
        if self.installed {
            self.written_tls.extend_from_slice(data);
        } else {
            self.written_plain.extend_from_slice(data);
        }
    }

    fn check_written(&mut self, r: Result<Written, WriteError>, data: &[u8], before: Phase) {
        match r {
            Ok(Written::Buffered { .. }) => {
                assert!(
                    !self.eof_asked,
                    "{}: a write after write_eof() was taken",
                    self.name
                );
                assert!(
                    rank(before) < rank(Phase::Lost),
                    "{}: a write was buffered on a connection in phase {before:?}",
                    self.name
                );
                self.record(data);
            }
            Ok(Written::Dropped { .. }) => assert!(
                rank(before) >= rank(Phase::Closing),
                "{}: a write was dropped on an open connection",
                self.name
            ),
            Ok(Written::Empty) => assert!(data.is_empty(), "{}", self.name),
            Err(WriteError::AfterWriteEof { .. }) => assert!(
                self.eof_asked,
                "{}: a write refused without write_eof()",
                self.name
            ),
            Err(e) => panic!("{}: unexpected write error {e:?}", self.name),
        }
    }

    pub fn write(&mut self, data: &[u8]) {
        let before = self.conn.phase();
        let r = self.conn.write(data);
        self.check_written(r, data, before);
    }

    pub fn writelines(&mut self, parts: &[Vec<u8>]) {
        let before = self.conn.phase();
        let slices: Vec<&[u8]> = parts.iter().map(|p| &p[..]).collect();
        let r = self.conn.writelines(&slices);
        let all = parts.concat();
        self.check_written(r, &all, before);
    }

    pub fn write_eof(&mut self) {
        let tls = self.conn.is_tls();
        let closing = self.conn.is_closing();
        match self.conn.write_eof() {
            Ok(()) => {
                assert!(!tls, "{}: write_eof() accepted over TLS", self.name);
                if !closing {
                    self.eof_asked = true;
                }
            }
            Err(TlsError::WriteEofNotSupported) => {
                assert!(tls, "{}: write_eof() refused without TLS", self.name)
            }
            Err(e) => panic!("{}: write_eof() failed with {e:?}", self.name),
        }
    }

    pub fn close(&mut self) {
        self.app_closed = true;
        self.conn.close();
        self.closed_waiting = !self.conn.is_closed();
    }

    pub fn abort(&mut self) {
        self.aborted = true;
        self.conn.abort();
        self.closed_waiting = !self.conn.is_closed();
    }

    pub fn set_limits(&mut self, high: Option<usize>, low: Option<usize>) {
        let _ = self.conn.set_write_buffer_limits(high, low);
    }

    pub fn drain(&mut self) {
        match self.conn.drain_start() {
            Err(_) | Ok(DrainStart::Ready) => {}
            Ok(DrainStart::Lost) => assert!(
                rank(self.conn.phase()) >= rank(Phase::Lost),
                "{}: drain() says Lost in phase {:?}",
                self.name,
                self.conn.phase()
            ),
            Ok(DrainStart::Wait(t)) => {
                if self.drains.len() < 8 {
                    self.drains.push(t);
                }
            }
        }
    }

    pub fn start_tls(&mut self, session: streams_common::connection::TlsSession, now: Instant) {
        let was_tls = self.conn.is_tls();
        let closing = self.conn.is_closing() || self.conn.is_closed();
        let taken = self.reader.len() + self.conn.received_len();
        match self.conn.start_tls(session, &mut self.reader, now) {
            Ok(()) => {
                assert!(
                    !was_tls && !closing,
                    "{}: start_tls accepted (tls {was_tls}, closing {closing})",
                    self.name
                );
                assert!(
                    self.reader.is_empty(),
                    "{}: start_tls left bytes",
                    self.name
                );
                self.plain_pos += taken;
                self.published = 0;
                self.need = 0;
                self.started_tls = true;
                self.awaiting_tls = true;
                self.handshake_waiting = true;
                self.read_waiting = false;
                self.refresh_installed();
            }
            Err(TlsError::AlreadyTls) => {
                assert!(was_tls, "{}: AlreadyTls without TLS", self.name)
            }
            Err(TlsError::AfterWriteEof) => assert!(
                self.eof_asked && !was_tls && !closing,
                "{}: start_tls refused after write_eof (tls {was_tls}, closing {closing}, \
                 write_eof {})",
                self.name,
                self.eof_asked
            ),
            Err(TlsError::Closed) => assert!(
                closing && !was_tls,
                "{}: start_tls refused as closed (tls {was_tls}, closing {closing})",
                self.name
            ),
            Err(e) => panic!("{}: start_tls failed with {e:?}", self.name),
        }
    }
}
