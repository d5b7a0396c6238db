//! The operation-sequence checker shared by the fuzz target
//! (`fuzz/fuzz_targets/ops.rs`) and the stable tests: it runs one sequence
//! of [`Action`]s against `reader-core` and against the reference
//! [`Model`], and panics at the first difference.
//!
//! After every action it checks that
//!
//! * nothing panicked, and both sides agree on every result (a read that
//!   answers `Pending` on one side waits on the other too);
//! * bytes are conserved, position by position: every byte fed is either
//!   returned by a read, carried by an `Incomplete`'s `partial`, skipped by
//!   `readline`'s documented drop (`LineTooLong::discarded`), handed back by
//!   `take_buffered`, or still buffered, in stream order;
//! * the buffered bytes, `reading_paused()`, `at_eof()`, EOF and the stored
//!   error are the model's;
//! * when the driver honours flow control (it does not feed while
//!   `reading_paused()`), asyncio's buffer stays within `2 * limit` plus the
//!   largest single feed, or within what a waiting read is documented to
//!   need (`readexactly(n)` waits with up to `n - 1` bytes, `readuntil` with
//!   up to `limit + longest separator - 1`) plus that feed.
//!
//! Waiting reads follow the trace replay rules: at most one read waits; it
//! is polled again after every event (feed, EOF, error). When the sequence
//! asks for another read meanwhile, the driver either skips it or abandons
//! the waiting read, as the input's [`Config`] says.

use super::reference::{Invalid, MOp, Model, Res, Sep};
use arbitrary::{Arbitrary, Unstructured};
use reader_core::{Bytes, InvalidArgument, Op, Outcome, ReadError, Reader, Separators};
use std::sync::OnceLock;
use std::task::Poll;

/// The error a `Fail` action stores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reset;

/// Maps a raw byte onto a small alphabet, so that separators and newlines
/// occur often; one value in eight keeps the raw byte.
fn symbol(raw: u8) -> u8 {
    match raw % 8 {
        0 | 1 | 6 => b'a',
        2 => b'b',
        3 => b'\n',
        4 => b'\r',
        5 => b'c',
        _ => raw,
    }
}

/// Bytes to feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk(pub Vec<u8>);

impl<'a> Arbitrary<'a> for Chunk {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let raw: Vec<u8> = u.arbitrary()?;
        Ok(Chunk(raw.into_iter().map(symbol).collect()))
    }
}

/// One separator: 0 to 4 bytes, mostly 1 or 2, sometimes empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SepBytes(pub Vec<u8>);

impl<'a> Arbitrary<'a> for SepBytes {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let len = match u.int_in_range(0u8..=15)? {
            0 => 0,
            1..=7 => 1,
            8..=11 => 2,
            12..=13 => 3,
            _ => 4,
        };
        let mut sep = Vec::with_capacity(len);
        for _ in 0..len {
            sep.push(symbol(u.arbitrary()?));
        }
        Ok(SepBytes(sep))
    }
}

/// `readuntil`'s argument as generated: one separator, or a list of up to
/// four (possibly empty, possibly with empty members).
#[derive(Clone, Debug, PartialEq, Eq, Arbitrary)]
pub enum Seps {
    One(SepBytes),
    Any(Vec<SepBytes>),
}

/// An operation through [`Reader::poll_op`], with asyncio's signed sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Arbitrary)]
pub enum Signed {
    Read(i8),
    ReadExactly(i8),
}

/// One step of a sequence.
#[derive(Clone, Debug, PartialEq, Eq, Arbitrary)]
pub enum Action {
    /// `feed` (a copy).
    Feed(Chunk),
    /// `feed_bytes`: a uniquely owned `Bytes` (adopted when the buffer is
    /// empty, copied when tiny, queued otherwise), or a slice of a larger
    /// `Bytes`, repeated up to [`QUEUED`] bytes so that it is queued
    /// without a copy.
    FeedBytes {
        data: Chunk,
        shared: bool,
    },
    /// `spare_capacity(len + extra)`, write, `commit(len)`.
    Commit {
        data: Chunk,
        extra: u8,
    },
    /// A driver bug: commit one byte more than the room handed out.
    CommitTooMuch {
        extra: u8,
    },
    Eof,
    Fail,
    Read(u8),
    ReadToEof,
    ReadLine,
    ReadLineBorrowed,
    ReadExactly(u8),
    ReadUntil(Seps),
    ReadUntilBorrowed(Seps),
    Signed(Signed),
    AtEof,
    TakeBuffered,
}

/// The size from which `reader-core` queues owned input instead of copying
/// it (its `TINY`): what a shared `FeedBytes` is stretched to, so that the
/// fuzzer drives the chunk queue and not only the copy.
pub const QUEUED: usize = 512;

/// `data` repeated up to [`QUEUED`] bytes (empty stays empty).
pub fn stretch(data: &[u8]) -> Vec<u8> {
    if data.is_empty() {
        return Vec::new();
    }
    data.iter()
        .copied()
        .cycle()
        .take(QUEUED.max(data.len()))
        .collect()
}

/// How the driver behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Arbitrary)]
pub struct Config {
    /// The limit is `1 + limit % 16`: small, so that limits get hit.
    pub limit: u8,
    /// Do not feed while `reading_paused()`, and check the buffer bound.
    pub honour_pause: bool,
    /// A read asked for while another waits abandons the waiting one
    /// (otherwise the new read is skipped).
    pub abandon: bool,
}

impl Config {
    pub fn limit(&self) -> usize {
        1 + usize::from(self.limit % 16)
    }
}

/// A whole fuzz input.
#[derive(Clone, Debug, PartialEq, Eq, Arbitrary)]
pub struct Input {
    pub config: Config,
    pub actions: Vec<Action>,
}

/// Decodes raw fuzzer bytes the way the fuzz target does and runs them.
pub fn run_bytes(data: &[u8]) {
    if let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) {
        run(&input);
    }
}

/// Runs one input; panics on the first violated property.
pub fn run(input: &Input) {
    let mut checker = Checker::new(input.config);
    for (i, action) in input.actions.iter().enumerate() {
        checker.step = i;
        checker.apply(action);
        checker.check_state();
    }
    checker.finish();
}

// ----- reader-core side --------------------------------------------------------

/// Owned separators, lent to `reader-core` as [`Separators`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnedSeps {
    One(Vec<u8>),
    Any(Vec<Vec<u8>>),
}

impl OwnedSeps {
    pub fn from_seps(seps: &Seps) -> OwnedSeps {
        match seps {
            Seps::One(s) => OwnedSeps::One(s.0.clone()),
            Seps::Any(list) => OwnedSeps::Any(list.iter().take(4).map(|s| s.0.clone()).collect()),
        }
    }

    pub fn model(&self) -> Sep {
        match self {
            OwnedSeps::One(s) => Sep::One(s.clone()),
            OwnedSeps::Any(list) => Sep::Tuple(list.clone()),
        }
    }

    /// Calls `f` with these separators as `reader-core` takes them.
    pub fn with<R>(&self, f: impl FnOnce(Separators<'_>) -> R) -> R {
        match self {
            OwnedSeps::One(s) => f(Separators::One(s)),
            OwnedSeps::Any(list) => {
                let slices: Vec<&[u8]> = list.iter().map(Vec::as_slice).collect();
                f(Separators::Any(&slices))
            }
        }
    }

    /// Length of the longest separator.
    pub fn longest(&self) -> usize {
        self.with(|s| s.longest())
    }
}

/// A read operation of `reader-core`, kept to poll it again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CoreOp {
    Read(usize),
    ReadToEof,
    ReadLine,
    ReadLineBorrowed,
    ReadExactly(usize),
    /// `readexactly_into` a `Vec` that already holds [`INTO_PREFIX`].
    ReadExactlyInto(usize),
    ReadUntil(OwnedSeps),
    ReadUntilBorrowed(OwnedSeps),
    Signed(Signed),
}

impl CoreOp {
    /// The same operation for the model.
    pub fn model(&self) -> MOp {
        match self {
            CoreOp::Read(n) => MOp::Read(*n as i64),
            CoreOp::ReadToEof => MOp::Read(-1),
            CoreOp::ReadLine | CoreOp::ReadLineBorrowed => MOp::ReadLine,
            CoreOp::ReadExactly(n) | CoreOp::ReadExactlyInto(n) => MOp::ReadExactly(*n as i64),
            CoreOp::ReadUntil(s) | CoreOp::ReadUntilBorrowed(s) => MOp::ReadUntil(s.model()),
            CoreOp::Signed(Signed::Read(n)) => MOp::Read(i64::from(*n)),
            CoreOp::Signed(Signed::ReadExactly(n)) => MOp::ReadExactly(i64::from(*n)),
        }
    }
}

/// A `reader-core` error as a [`Res`].
pub fn error_res(e: ReadError<Reset>) -> Res {
    match e {
        ReadError::Incomplete { partial, expected } => Res::Incomplete {
            partial: partial.to_vec(),
            expected,
        },
        ReadError::LimitOverrun {
            consumed,
            separator_found,
        } => Res::Overrun {
            consumed,
            found: separator_found,
        },
        ReadError::LineTooLong {
            discarded,
            separator_found,
        } => Res::LineTooLong {
            discarded,
            found: separator_found,
        },
        ReadError::InvalidArgument(InvalidArgument::NegativeSize) => {
            Res::Invalid(Invalid::NegativeSize)
        }
        ReadError::InvalidArgument(InvalidArgument::EmptySeparator) => {
            Res::Invalid(Invalid::EmptySeparator)
        }
        ReadError::InvalidArgument(InvalidArgument::NoSeparators) => {
            Res::Invalid(Invalid::NoSeparators)
        }
        ReadError::Stored(Reset) => Res::Failed,
        other => panic!("unexpected error from a read: {other:?}"),
    }
}

fn owned(p: Poll<Result<Bytes, ReadError<Reset>>>) -> Poll<Res> {
    p.map(|r| match r {
        Ok(b) => Res::Data(b.to_vec()),
        Err(e) => error_res(e),
    })
}

fn borrowed(p: Poll<Result<&[u8], ReadError<Reset>>>) -> Poll<Res> {
    p.map(|r| match r {
        Ok(b) => Res::Data(b.to_vec()),
        Err(e) => error_res(e),
    })
}

/// What the buffer given to `readexactly_into` holds before the read: it
/// must still hold it, unchanged, unless the read completed, and then with
/// the data appended behind it.
pub const INTO_PREFIX: &[u8] = b"kept";

fn exactly_into(reader: &mut Reader<Reset>, n: usize) -> Poll<Res> {
    let mut out = INTO_PREFIX.to_vec();
    let p = reader.readexactly_into(n, &mut out);
    let (kept, appended) = out.split_at(INTO_PREFIX.len().min(out.len()));
    assert_eq!(
        kept, INTO_PREFIX,
        "readexactly_into changed what its buffer held"
    );
    match p {
        Poll::Ready(Ok(())) => Poll::Ready(Res::Data(appended.to_vec())),
        other => {
            assert!(
                appended.is_empty(),
                "readexactly_into appended without completing"
            );
            other.map(|r| error_res(r.expect_err("Ok handled above")))
        }
    }
}

/// Polls (or resumes) `op` once.
pub fn poll_core(reader: &mut Reader<Reset>, op: &CoreOp) -> Poll<Res> {
    match op {
        CoreOp::Read(n) => owned(reader.read(*n)),
        CoreOp::ReadToEof => owned(reader.read_to_eof()),
        CoreOp::ReadLine => owned(reader.readline()),
        CoreOp::ReadLineBorrowed => borrowed(reader.readline_borrowed()),
        CoreOp::ReadExactly(n) => owned(reader.readexactly(*n)),
        CoreOp::ReadExactlyInto(n) => exactly_into(reader, *n),
        CoreOp::ReadUntil(s) => s.with(|seps| owned(reader.readuntil(seps))),
        CoreOp::ReadUntilBorrowed(s) => s.with(|seps| borrowed(reader.readuntil_borrowed(seps))),
        CoreOp::Signed(signed) => {
            let op = match *signed {
                Signed::Read(n) => Op::Read(i64::from(n)),
                Signed::ReadExactly(n) => Op::ReadExactly(i64::from(n)),
            };
            reader.poll_op(&op).map(|r| match r {
                Ok(Outcome::Data(b)) => Res::Data(b.to_vec()),
                Ok(Outcome::AtEof(b)) => Res::AtEof(b),
                Err(e) => error_res(e),
            })
        }
    }
}

/// How bytes get into the reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedHow {
    /// `feed(&[u8])`.
    Copy,
    /// `feed_bytes` of a uniquely owned `Bytes`.
    Owned,
    /// `feed_bytes` of a slice of a larger `Bytes` (so its memory is
    /// shared: queued without a copy from 512 bytes on, and never written
    /// to).
    Shared,
    /// `spare_capacity(len + extra)` and `commit(len)`; the rest of the
    /// room is scribbled over, which must not show.
    Commit { extra: usize },
}

/// Feeds `data` into `reader` the way `how` says.
pub fn feed_core(
    reader: &mut Reader<Reset>,
    how: FeedHow,
    data: &[u8],
) -> Result<(), ReadError<Reset>> {
    match how {
        FeedHow::Copy => reader.feed(data),
        FeedHow::Owned => reader.feed_bytes(Bytes::from(data.to_vec())),
        FeedHow::Shared => {
            let mut whole = vec![0xee; 8];
            whole.extend_from_slice(data);
            whole.extend_from_slice(&[0xee; 8]);
            let before = whole.clone();
            let whole = Bytes::from(whole);
            let r = reader.feed_bytes(whole.slice(8..8 + data.len()));
            assert_eq!(&whole[..], &before[..], "feed_bytes changed shared memory");
            r
        }
        FeedHow::Commit { extra } => {
            let room = reader.spare_capacity(data.len() + extra);
            assert!(
                room.len() >= data.len() + extra,
                "spare_capacity({}) gave only {} bytes",
                data.len() + extra,
                room.len()
            );
            room[..data.len()].copy_from_slice(data);
            room[data.len()..].fill(0xee);
            reader.commit(data.len())
        }
    }
}

// ----- the checker ------------------------------------------------------------

struct Checker {
    reader: Reader<Reset>,
    model: Model,
    config: Config,
    limit: usize,
    /// The waiting read, if any.
    pending: Option<CoreOp>,
    /// Every byte the reader accepted, in order.
    fed: Vec<u8>,
    /// How many of them were returned, carried in a `partial`, dropped by
    /// `readline` or handed back.
    pos: usize,
    /// The largest single feed.
    max_feed: usize,
    /// The largest buffer a waiting read is documented to leave unpaused.
    allowance: usize,
    /// Index of the action being applied, for messages.
    step: usize,
}

impl Checker {
    fn new(config: Config) -> Checker {
        let limit = config.limit();
        Checker {
            reader: Reader::new(limit).unwrap(),
            model: Model::new(limit),
            config,
            limit,
            pending: None,
            fed: Vec::new(),
            pos: 0,
            max_feed: 0,
            allowance: 2 * limit,
            step: 0,
        }
    }

    fn apply(&mut self, action: &Action) {
        match action {
            Action::Feed(data) => self.feed(FeedHow::Copy, &data.0),
            Action::FeedBytes {
                data,
                shared: false,
            } => self.feed(FeedHow::Owned, &data.0),
            Action::FeedBytes { data, shared: true } => {
                self.feed(FeedHow::Shared, &stretch(&data.0))
            }
            Action::Commit { data, extra } => self.feed(
                FeedHow::Commit {
                    extra: usize::from(*extra),
                },
                &data.0,
            ),
            Action::CommitTooMuch { extra } => {
                let room = self.reader.spare_capacity(usize::from(*extra)).len();
                let got = self.reader.commit(room + 1);
                let want = if self.model.eof {
                    ReadError::FeedAfterEof
                } else {
                    ReadError::InvalidArgument(InvalidArgument::CommitOverflow)
                };
                assert_eq!(got, Err(want), "step {}: commit beyond the room", self.step);
            }
            Action::Eof => {
                self.reader.feed_eof();
                self.model.feed_eof();
                self.event();
            }
            Action::Fail => {
                self.reader.set_error(Reset);
                self.model.set_exception();
                self.event();
            }
            Action::Read(n) => self.op(CoreOp::Read(usize::from(*n))),
            Action::ReadToEof => self.op(CoreOp::ReadToEof),
            Action::ReadLine => self.op(CoreOp::ReadLine),
            Action::ReadLineBorrowed => self.op(CoreOp::ReadLineBorrowed),
            Action::ReadExactly(n) => self.op(CoreOp::ReadExactly(usize::from(*n))),
            Action::ReadUntil(s) => self.op(CoreOp::ReadUntil(OwnedSeps::from_seps(s))),
            Action::ReadUntilBorrowed(s) => {
                self.op(CoreOp::ReadUntilBorrowed(OwnedSeps::from_seps(s)))
            }
            Action::Signed(s) => self.op(CoreOp::Signed(*s)),
            Action::AtEof => {
                assert_eq!(
                    self.reader.at_eof(),
                    self.model.at_eof(),
                    "step {}: at_eof",
                    self.step
                );
                let got = self.reader.poll_op(&Op::AtEof);
                assert_eq!(
                    got.map(|r| r.ok()),
                    Poll::Ready(Some(Outcome::AtEof(self.model.at_eof()))),
                    "step {}: poll_op(AtEof)",
                    self.step
                );
            }
            Action::TakeBuffered => {
                let got = self.reader.take_buffered();
                let want = self.model.take_buffered();
                assert_eq!(&got[..], &want[..], "step {}: take_buffered", self.step);
                self.account(&Res::Data(got.to_vec()));
            }
        }
    }

    fn feed(&mut self, how: FeedHow, data: &[u8]) {
        if self.config.honour_pause && self.reader.reading_paused() {
            // The driver does not read from its transport while paused.
            return;
        }
        let got = feed_core(&mut self.reader, how, data);
        let want = self.model.feed(data);
        match (got, want) {
            (Ok(()), Ok(())) => {
                self.fed.extend_from_slice(data);
                self.max_feed = self.max_feed.max(data.len());
            }
            (Err(ReadError::FeedAfterEof), Err(())) => {}
            (got, want) => panic!(
                "step {}: feeding {} bytes ({how:?}): reader-core {got:?}, model {want:?}",
                self.step,
                data.len()
            ),
        }
        self.event();
    }

    /// After an event, the waiting read gets its chance to complete.
    fn event(&mut self) {
        let want = self.model.wake();
        let Some(op) = self.pending.clone() else {
            assert_eq!(want, None, "step {}: model woke a read", self.step);
            return;
        };
        match poll_core(&mut self.reader, &op) {
            Poll::Ready(got) => {
                assert_eq!(
                    Some(&got),
                    want.as_ref(),
                    "step {}: resumed {op:?}",
                    self.step
                );
                self.pending = None;
                self.account(&got);
            }
            Poll::Pending => assert_eq!(
                want, None,
                "step {}: {op:?} still pending in reader-core",
                self.step
            ),
        }
    }

    fn op(&mut self, op: CoreOp) {
        if self.pending.is_some() && self.config.abandon {
            if let Some(invalid) = Model::argument_error(&op.model()) {
                // Rejected for its argument before anything else (as in
                // asyncio): the waiting read is not disturbed.
                let got = poll_core(&mut self.reader, &op);
                assert_eq!(
                    got,
                    Poll::Ready(Res::Invalid(invalid)),
                    "step {}: {op:?}",
                    self.step
                );
                return;
            }
        }
        if self.pending.is_some() {
            if !self.config.abandon {
                return;
            }
            self.pending = None;
            self.model.abandon();
            // A read(-1)'s blocks are back in the buffer, unpaused.
            self.allowance = self.allowance.max(self.model.buffer.len());
        }
        let got = poll_core(&mut self.reader, &op);
        let want = self.model.start(&op.model());
        match (got, want) {
            (Poll::Ready(got), Some(want)) => {
                assert_eq!(got, want, "step {}: {op:?}", self.step);
                self.account(&got);
            }
            (Poll::Pending, None) => {
                self.allowance = self.allowance.max(self.demand(&op));
                self.pending = Some(op);
            }
            (got, want) => panic!(
                "step {}: {op:?}: reader-core {got:?}, model {want:?}",
                self.step
            ),
        }
    }

    /// The most a waiting `op` may leave buffered (and reading resumed).
    fn demand(&self, op: &CoreOp) -> usize {
        match op {
            CoreOp::ReadExactly(n) | CoreOp::ReadExactlyInto(n) => n.saturating_sub(1),
            CoreOp::Signed(Signed::ReadExactly(n)) => {
                usize::try_from(*n).unwrap_or(0).saturating_sub(1)
            }
            CoreOp::ReadLine | CoreOp::ReadLineBorrowed => self.limit,
            CoreOp::ReadUntil(s) | CoreOp::ReadUntilBorrowed(s) => self.limit + s.longest() - 1,
            CoreOp::Read(_) | CoreOp::ReadToEof | CoreOp::Signed(Signed::Read(_)) => 0,
        }
    }

    /// Moves the conservation cursor past what a completed read took.
    fn account(&mut self, res: &Res) {
        let taken = match res {
            Res::Data(d) | Res::Incomplete { partial: d, .. } => d,
            Res::LineTooLong { discarded, .. } => {
                self.pos += discarded;
                assert!(
                    self.pos <= self.fed.len(),
                    "step {}: readline discarded more than was fed",
                    self.step
                );
                return;
            }
            _ => return,
        };
        let end = self.pos + taken.len();
        assert!(
            end <= self.fed.len() && self.fed[self.pos..end] == taken[..],
            "step {}: returned bytes {:?} are not the stream's next bytes {:?}",
            self.step,
            String::from_utf8_lossy(taken),
            String::from_utf8_lossy(&self.fed[self.pos..self.fed.len().min(end)]),
        );
        self.pos = end;
    }

    fn check_state(&self) {
        let step = self.step;
        let r = &self.reader;
        assert_eq!(
            r.buffered(),
            &self.fed[self.pos..],
            "step {step}: buffered bytes are not the unconsumed rest of the stream"
        );
        assert_eq!(r.len(), r.buffered().len());
        assert_eq!(r.is_empty(), r.buffered().is_empty());
        assert_eq!(
            r.buffered(),
            &self.model.held()[..],
            "step {step}: buffer differs from the model's"
        );
        assert_eq!(
            r.reading_paused(),
            self.model.paused,
            "step {step}: reading_paused"
        );
        assert_eq!(r.at_eof(), self.model.at_eof(), "step {step}: at_eof");
        assert_eq!(r.eof_received(), self.model.eof);
        assert_eq!(r.error().is_some(), self.model.exception);
        assert_eq!(self.pending.is_some(), self.model.is_pending());
        if self.config.honour_pause {
            let bound = self.allowance.max(2 * self.limit) + self.max_feed;
            assert!(
                self.model.buffer.len() <= bound,
                "step {step}: {} bytes buffered, bound {bound} (limit {})",
                self.model.buffer.len(),
                self.limit
            );
        }
    }

    /// Abandons any waiting read and takes the rest: every byte fed is then
    /// accounted for.
    fn finish(&mut self) {
        if self.pending.take().is_some() {
            self.model.abandon();
        }
        self.apply(&Action::TakeBuffered);
        self.check_state();
        assert_eq!(self.pos, self.fed.len(), "bytes left unaccounted for");
    }
}
