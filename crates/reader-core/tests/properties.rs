//! Property tests of `reader-core`:
//!
//! (a) how the input is split never changes the results while no limit is
//!     hit;
//! (b) bytes are conserved across random operation sequences;
//! (c) `readexactly(n)` returns exactly `n` bytes, or fails with
//!     `Incomplete` carrying every remaining byte, and only after EOF;
//! (d) feeding with `feed`, `feed_bytes` and `spare_capacity` + `commit`
//!     gives identical results;
//! (e) the borrowed reads return the same bytes as the owned ones;
//! (f) `feed_bytes` of slices of one large `Bytes`, which the reader queues
//!     without copying (from 512 bytes on), gives the same results,
//!     buffers and flow-control decisions as feeding copies of them, and
//!     never writes to the shared memory.
//!
//! The reads are driven through the fuzz checker's helpers
//! (`tests/model/checker.rs`).

mod model;

use model::checker::{feed_core, poll_core, CoreOp, FeedHow, OwnedSeps, Reset};
use model::Res;
use proptest::collection::vec;
use proptest::prelude::*;
use reader_core::{Bytes, ReadError, Reader};
use std::task::Poll;

/// Mostly bytes that separators are made of, sometimes any byte.
fn byte() -> impl Strategy<Value = u8> + Clone {
    prop_oneof![
        3 => Just(b'a'),
        1 => Just(b'b'),
        2 => Just(b'\n'),
        1 => Just(b'\r'),
        1 => any::<u8>(),
    ]
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(byte(), 0..max)
}

/// A separator of up to 3 bytes (possibly empty, an argument error).
fn sep() -> impl Strategy<Value = Vec<u8>> {
    vec(byte(), 0..4)
}

/// Valid separators only.
fn valid_seps() -> impl Strategy<Value = OwnedSeps> {
    let one = vec(byte(), 1..4);
    prop_oneof![
        one.clone().prop_map(OwnedSeps::One),
        vec(one, 1..4).prop_map(OwnedSeps::Any),
    ]
}

fn any_seps() -> impl Strategy<Value = OwnedSeps> {
    prop_oneof![
        4 => valid_seps(),
        1 => sep().prop_map(OwnedSeps::One),
        1 => vec(sep(), 0..3).prop_map(OwnedSeps::Any),
    ]
}

/// Reads whose results do not depend on how the input was split as long
/// as no limit is hit (`read(n)` does: it returns what is buffered).
fn chunk_independent_op() -> impl Strategy<Value = CoreOp> {
    prop_oneof![
        3 => Just(CoreOp::ReadLine),
        3 => valid_seps().prop_map(CoreOp::ReadUntil),
        2 => (0usize..24).prop_map(CoreOp::ReadExactly),
        1 => (0usize..24).prop_map(CoreOp::ReadExactlyInto),
        1 => Just(CoreOp::ReadToEof),
    ]
}

fn any_op() -> impl Strategy<Value = CoreOp> {
    prop_oneof![
        2 => (0usize..24).prop_map(CoreOp::Read),
        1 => Just(CoreOp::ReadToEof),
        3 => Just(CoreOp::ReadLine),
        1 => Just(CoreOp::ReadLineBorrowed),
        2 => (0usize..40).prop_map(CoreOp::ReadExactly),
        1 => (0usize..40).prop_map(CoreOp::ReadExactlyInto),
        3 => any_seps().prop_map(CoreOp::ReadUntil),
        1 => any_seps().prop_map(CoreOp::ReadUntilBorrowed),
    ]
}

/// One step of a driven sequence.
#[derive(Clone, Debug)]
enum Act {
    Feed(Vec<u8>),
    /// A slice of a larger `Bytes`, fed as [`slice_feed`] says.
    Slice(Bytes),
    Eof,
    Fail,
    Take,
    Op(CoreOp),
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        6 => bytes(16).prop_map(Act::Feed),
        1 => Just(Act::Eof),
        1 => prop_oneof![19 => Just(Act::Take), 1 => Just(Act::Fail)],
        8 => any_op().prop_map(Act::Op),
    ]
}

/// Splits `data` at the cut lengths (cycled; each at least one byte).
fn split(data: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = data;
    let mut i = 0;
    while !rest.is_empty() {
        let n = cuts
            .get(i % cuts.len().max(1))
            .copied()
            .unwrap_or(rest.len());
        let n = n.clamp(1, rest.len());
        out.push(rest[..n].to_vec());
        rest = &rest[n..];
        i += 1;
    }
    out
}

/// Feeds `piece` (a slice of a larger `Bytes`) the way `how` says: with
/// `Shared` the slice itself goes to `feed_bytes`, zero-copy; `Owned` gives
/// `feed_bytes` a unique copy; the others feed its bytes.
fn slice_feed(
    reader: &mut Reader<Reset>,
    how: FeedHow,
    piece: &Bytes,
) -> Result<(), ReadError<Reset>> {
    match how {
        FeedHow::Shared => reader.feed_bytes(piece.clone()),
        FeedHow::Owned => reader.feed_bytes(Bytes::from(piece.to_vec())),
        other => feed_core(reader, other, piece),
    }
}

/// Issues `ops` one after the other, feeding the next chunk (then EOF)
/// whenever the current one waits; returns every result.
fn run_lazily(limit: usize, chunks: &[Vec<u8>], ops: &[CoreOp], how: FeedHow) -> Vec<Res> {
    let mut reader = Reader::<Reset>::new(limit).unwrap();
    let mut chunks = chunks.iter();
    let mut results = Vec::new();
    for op in ops {
        loop {
            match poll_core(&mut reader, op) {
                Poll::Ready(res) => {
                    results.push(res);
                    break;
                }
                Poll::Pending => match chunks.next() {
                    Some(chunk) => feed_core(&mut reader, how, chunk).unwrap(),
                    None => {
                        assert!(!reader.eof_received(), "{op:?} pending at EOF");
                        reader.feed_eof();
                    }
                },
            }
        }
    }
    results
}

/// [`run_lazily`] over slices of one `Bytes`, fed as [`slice_feed`] says;
/// with each result, the buffered length and `reading_paused()` after it.
fn run_lazily_sliced(
    limit: usize,
    slices: &[Bytes],
    ops: &[CoreOp],
    how: FeedHow,
) -> Vec<(Res, usize, bool)> {
    let mut reader = Reader::<Reset>::new(limit).unwrap();
    let mut slices = slices.iter();
    let mut results = Vec::new();
    for op in ops {
        loop {
            match poll_core(&mut reader, op) {
                Poll::Ready(res) => {
                    results.push((res, reader.len(), reader.reading_paused()));
                    break;
                }
                Poll::Pending => match slices.next() {
                    Some(piece) => slice_feed(&mut reader, how, piece).unwrap(),
                    None => {
                        assert!(!reader.eof_received(), "{op:?} pending at EOF");
                        reader.feed_eof();
                    }
                },
            }
        }
    }
    results
}

/// Moves the conservation cursor `pos` past what a completed read took,
/// checking that it took the stream's next bytes.
fn account(res: &Res, pos: &mut usize, fed: &[u8]) {
    let taken = match res {
        Res::Data(d) | Res::Incomplete { partial: d, .. } => d,
        Res::LineTooLong { discarded, .. } => {
            *pos += discarded;
            return;
        }
        _ => return,
    };
    assert_eq!(
        &fed[*pos..(*pos + taken.len()).min(fed.len())],
        &taken[..],
        "returned bytes are not the next bytes of the stream"
    );
    *pos += taken.len();
}

/// What [`drive`] observed.
#[derive(Debug, PartialEq, Eq)]
struct Trace {
    /// Each read's result, `None` for a read abandoned while pending or
    /// still pending at the end.
    results: Vec<Option<Res>>,
    /// The buffered bytes after each step.
    buffered: Vec<Vec<u8>>,
    /// `reading_paused()` after each step.
    paused: Vec<bool>,
}

/// Runs `acts` against a reader with the trace replay rules (a waiting
/// read is polled again after every event and abandoned when another read
/// is issued), checking byte conservation after every step: the stream
/// fed equals, in order, what reads returned or carried in a `partial`,
/// what `readline` discarded, what was handed back, and what is buffered.
fn drive(limit: usize, acts: &[Act], how: FeedHow, borrowed: bool) -> Trace {
    let mut reader = Reader::<Reset>::new(limit).unwrap();
    let mut fed = Vec::new();
    let mut pos = 0;
    let mut pending: Option<(usize, CoreOp)> = None;
    let mut trace = Trace {
        results: Vec::new(),
        buffered: Vec::new(),
        paused: Vec::new(),
    };
    for act in acts {
        let event = match act {
            Act::Feed(data) => {
                match feed_core(&mut reader, how, data) {
                    Ok(()) => fed.extend_from_slice(data),
                    Err(ReadError::FeedAfterEof) => assert!(reader.eof_received()),
                    Err(e) => panic!("feed: {e:?}"),
                }
                true
            }
            Act::Slice(piece) => {
                match slice_feed(&mut reader, how, piece) {
                    Ok(()) => fed.extend_from_slice(piece),
                    Err(ReadError::FeedAfterEof) => assert!(reader.eof_received()),
                    Err(e) => panic!("feed: {e:?}"),
                }
                true
            }
            Act::Eof => {
                reader.feed_eof();
                true
            }
            Act::Fail => {
                reader.set_error(Reset);
                true
            }
            Act::Take => {
                let taken = reader.take_buffered();
                account(&Res::Data(taken.to_vec()), &mut pos, &fed);
                false
            }
            Act::Op(op) => {
                let op = match op {
                    CoreOp::ReadLine | CoreOp::ReadLineBorrowed if borrowed => {
                        CoreOp::ReadLineBorrowed
                    }
                    CoreOp::ReadLine | CoreOp::ReadLineBorrowed => CoreOp::ReadLine,
                    CoreOp::ReadUntil(s) | CoreOp::ReadUntilBorrowed(s) if borrowed => {
                        CoreOp::ReadUntilBorrowed(s.clone())
                    }
                    CoreOp::ReadUntil(s) | CoreOp::ReadUntilBorrowed(s) => {
                        CoreOp::ReadUntil(s.clone())
                    }
                    CoreOp::ReadExactly(n) | CoreOp::ReadExactlyInto(n) if borrowed => {
                        CoreOp::ReadExactlyInto(*n)
                    }
                    CoreOp::ReadExactly(n) | CoreOp::ReadExactlyInto(n) => CoreOp::ReadExactly(*n),
                    other => other.clone(),
                };
                // Any waiting read is abandoned.
                pending = None;
                trace.results.push(None);
                match poll_core(&mut reader, &op) {
                    Poll::Ready(res) => {
                        account(&res, &mut pos, &fed);
                        *trace.results.last_mut().unwrap() = Some(res);
                    }
                    Poll::Pending => pending = Some((trace.results.len() - 1, op)),
                }
                false
            }
        };
        if event {
            if let Some((slot, op)) = &pending {
                if let Poll::Ready(res) = poll_core(&mut reader, op) {
                    account(&res, &mut pos, &fed);
                    trace.results[*slot] = Some(res);
                    pending = None;
                }
            }
        }
        assert!(pos <= fed.len(), "more bytes came out than went in");
        assert_eq!(
            reader.buffered(),
            &fed[pos..],
            "the buffer is not the unconsumed rest of the stream"
        );
        assert_eq!(reader.len(), fed.len() - pos);
        trace.buffered.push(reader.buffered().to_vec());
        trace.paused.push(reader.reading_paused());
    }
    let rest = reader.take_buffered();
    account(&Res::Data(rest.to_vec()), &mut pos, &fed);
    assert_eq!(pos, fed.len(), "bytes lost");
    trace
}

/// Stream bytes with lines of a few bytes, of about a hundred, or of
/// thousands, so that lines and separators straddle chunk boundaries, some
/// lines span several chunks, and limits are hit or not.
fn stream(max: usize) -> impl Strategy<Value = Vec<u8>> {
    let sparse = |rare: u32| {
        prop_oneof![
            rare => Just(b'a'),
            rare / 4 => Just(b'b'),
            1 => Just(b'\n'),
            1 => Just(b'\r'),
            1 => any::<u8>(),
        ]
    };
    prop_oneof![
        vec(byte(), 0..max),
        vec(sparse(60), 0..max),
        vec(sparse(1500), 0..max),
    ]
}

/// What a [`queued_slices_match_copies`] script does next.
#[derive(Clone, Debug)]
enum Step {
    /// Feed the next slice.
    Feed,
    /// Feed the next three slices in a row, with no read in between (a
    /// waiting read is still polled after each).
    FeedThree,
    /// A read, issued this many times in a row: enough to walk through a
    /// chunk line by line, to its end.
    Op(CoreOp, usize),
    Take,
    Eof,
}

fn script_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        20 => Just(Step::Feed),
        6 => Just(Step::FeedThree),
        30 => (any_op(), prop_oneof![3 => 1usize..4, 1 => 4usize..200])
            .prop_map(|(op, times)| Step::Op(op, times)),
        // Reads that span chunks.
        4 => (0usize..3000).prop_map(|n| Step::Op(CoreOp::ReadExactly(n), 1)),
        4 => (0usize..3000).prop_map(|n| Step::Op(CoreOp::Read(n), 1)),
        1 => Just(Step::Take),
        1 => Just(Step::Eof),
    ]
}

/// Cuts `all` into slices at the cut lengths (cycled).
fn slices(all: &Bytes, cuts: &[usize]) -> Vec<Bytes> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for cut in cuts.iter().cycle() {
        if start >= all.len() {
            break;
        }
        let end = all.len().min(start + (*cut).max(1));
        pieces.push(all.slice(start..end));
        start = end;
    }
    pieces
}

/// Lays `pieces` out with the script's reads; whatever the script did not
/// feed follows, then EOF and a last few reads.
fn slice_acts(pieces: &[Bytes], script: &[Step]) -> Vec<Act> {
    let mut pieces = pieces.iter().cloned();
    let mut acts = Vec::new();
    for step in script {
        match step {
            Step::Feed => acts.extend(pieces.next().map(Act::Slice)),
            Step::FeedThree => acts.extend(pieces.by_ref().take(3).map(Act::Slice)),
            Step::Op(op, times) => {
                acts.extend(std::iter::repeat(Act::Op(op.clone())).take(*times));
            }
            Step::Take => acts.push(Act::Take),
            Step::Eof => acts.push(Act::Eof),
        }
    }
    acts.extend(pieces.map(Act::Slice));
    acts.push(Act::Eof);
    acts.push(Act::Op(CoreOp::ReadLine));
    acts.push(Act::Op(CoreOp::ReadToEof));
    acts
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// (a) Different chunkings, same results, while no limit is hit.
    #[test]
    fn chunking_does_not_change_results(
        data in bytes(200),
        cuts_a in vec(1usize..12, 1..8),
        cuts_b in vec(1usize..40, 1..4),
        ops in vec(chunk_independent_op(), 1..16),
    ) {
        let limit = 1 << 20;
        let whole = run_lazily(limit, std::slice::from_ref(&data), &ops, FeedHow::Copy);
        let bytewise = run_lazily(limit, &split(&data, &[1]), &ops, FeedHow::Copy);
        let a = run_lazily(limit, &split(&data, &cuts_a), &ops, FeedHow::Copy);
        let b = run_lazily(limit, &split(&data, &cuts_b), &ops, FeedHow::Copy);
        prop_assert_eq!(&bytewise, &whole);
        prop_assert_eq!(&a, &whole);
        prop_assert_eq!(&b, &whole);
    }

    /// (b) Every byte fed is returned, carried in a `partial`, dropped by
    /// `readline`'s rule, handed back, or still buffered (checked inside
    /// `drive` after every step), with limits small enough to be hit.
    #[test]
    fn bytes_are_conserved(
        limit in 1usize..12,
        acts in vec(act(), 0..60),
    ) {
        let trace = drive(limit, &acts, FeedHow::Copy, false);
        prop_assert_eq!(trace.buffered.len(), acts.len());
    }

    /// (c) `readexactly(n)`: exactly `n` bytes, or, only after EOF,
    /// `Incomplete` with every remaining byte.
    #[test]
    fn readexactly_is_exact_or_incomplete_at_eof(
        limit in 1usize..8,
        data in bytes(120),
        cuts in vec(1usize..20, 1..6),
        sizes in vec(0usize..40, 1..12),
    ) {
        let mut reader = Reader::<Reset>::new(limit).unwrap();
        let mut chunks = split(&data, &cuts).into_iter();
        let mut pos = 0;
        let mut fed = 0;
        for n in sizes {
            loop {
                match reader.readexactly(n) {
                    Poll::Ready(Ok(got)) => {
                        prop_assert_eq!(got.len(), n);
                        prop_assert_eq!(&got[..], &data[pos..pos + n]);
                        pos += n;
                        break;
                    }
                    Poll::Ready(Err(ReadError::Incomplete { partial, expected })) => {
                        prop_assert!(reader.eof_received(), "Incomplete before EOF");
                        prop_assert_eq!(expected, Some(n));
                        prop_assert!(partial.len() < n);
                        prop_assert_eq!(&partial[..], &data[pos..]);
                        prop_assert!(reader.is_empty());
                        pos = data.len();
                        break;
                    }
                    Poll::Ready(Err(e)) => prop_assert!(false, "readexactly({}): {:?}", n, e),
                    Poll::Pending => {
                        prop_assert!(!reader.eof_received(), "pending after EOF");
                        prop_assert!(reader.len() < n);
                        match chunks.next() {
                            Some(c) => {
                                reader.feed(&c).unwrap();
                                fed += c.len();
                            }
                            None => reader.feed_eof(),
                        }
                    }
                }
            }
        }
        prop_assert_eq!(reader.buffered(), &data[pos.min(fed)..fed]);
    }

    /// (d) `feed`, `feed_bytes` (owned or shared) and `spare_capacity` +
    /// `commit` are indistinguishable.
    #[test]
    fn feeding_paths_agree(
        limit in 1usize..12,
        acts in vec(act(), 0..60),
        extra in 0usize..64,
    ) {
        let copy = drive(limit, &acts, FeedHow::Copy, false);
        prop_assert_eq!(&drive(limit, &acts, FeedHow::Owned, false), &copy);
        prop_assert_eq!(&drive(limit, &acts, FeedHow::Shared, false), &copy);
        prop_assert_eq!(&drive(limit, &acts, FeedHow::Commit { extra }, false), &copy);
    }

    /// (e) `readline_borrowed`, `readuntil_borrowed` and
    /// `readexactly_into` return what `readline`, `readuntil` and
    /// `readexactly` return, leave the same buffer and make the same
    /// flow-control decisions (and `readexactly_into` leaves its buffer
    /// alone until it completes: checked in `poll_core`).
    #[test]
    fn borrowed_reads_match_owned(
        limit in 1usize..12,
        acts in vec(act(), 0..60),
    ) {
        let owned = drive(limit, &acts, FeedHow::Copy, false);
        let borrowed = drive(limit, &acts, FeedHow::Copy, true);
        prop_assert_eq!(&borrowed.results, &owned.results);
        prop_assert_eq!(&borrowed.buffered, &owned.buffered);
        prop_assert_eq!(&borrowed.paused, &owned.paused);
    }

    /// (f) Slices of one `Bytes`, queued without copying, read exactly like
    /// copies of them, with every read (owned and borrowed), small and
    /// large limits, and reads spanning chunks; the shared memory is never
    /// written to.
    #[test]
    fn queued_slices_match_copies(
        limit in prop_oneof![1usize..12, 100usize..2000, Just(1usize << 20)],
        data in stream(6000),
        cuts in vec(prop_oneof![1usize..64, 500usize..1000, 1000usize..3000], 1..8),
        script in vec(script_step(), 0..120),
    ) {
        let all = Bytes::from(data.clone());
        let pieces = slices(&all, &cuts);
        let acts = slice_acts(&pieces, &script);
        let copy = drive(limit, &acts, FeedHow::Copy, false);
        prop_assert_eq!(&drive(limit, &acts, FeedHow::Shared, false), &copy);
        prop_assert_eq!(&drive(limit, &acts, FeedHow::Owned, false), &copy);
        let borrowed = drive(limit, &acts, FeedHow::Shared, true);
        prop_assert_eq!(&borrowed, &drive(limit, &acts, FeedHow::Copy, true));
        prop_assert_eq!(&borrowed.results, &copy.results);
        prop_assert_eq!(&all[..], &data[..], "shared memory written to");
    }

    /// (f) The same, one read after the other, each fed slices until it
    /// completes: every read walks through the chunks to their ends.
    #[test]
    fn queued_slices_read_through_like_copies(
        limit in prop_oneof![1usize..12, 100usize..2000, Just(1usize << 20)],
        data in stream(20_000),
        cuts in vec(prop_oneof![1usize..64, 500usize..1000, 1000usize..3000], 1..8),
        // Each read repeated, so that reads walk through the chunks. No
        // `read_to_eof`: it would end the walk at once.
        ops in vec((prop_oneof![
            2 => (0usize..24).prop_map(CoreOp::Read),
            3 => Just(CoreOp::ReadLine),
            3 => Just(CoreOp::ReadLineBorrowed),
            2 => (0usize..40).prop_map(CoreOp::ReadExactly),
            3 => any_seps().prop_map(CoreOp::ReadUntil),
            3 => any_seps().prop_map(CoreOp::ReadUntilBorrowed),
            1 => (0usize..3000).prop_map(CoreOp::ReadExactly),
            1 => (0usize..3000).prop_map(CoreOp::ReadExactlyInto),
            1 => (0usize..3000).prop_map(CoreOp::Read),
        ], 1usize..80), 1..30),
    ) {
        let ops: Vec<CoreOp> = ops
            .into_iter()
            .flat_map(|(op, times)| std::iter::repeat(op).take(times))
            .collect();
        let all = Bytes::from(data.clone());
        let pieces = slices(&all, &cuts);
        let copy = run_lazily_sliced(limit, &pieces, &ops, FeedHow::Copy);
        prop_assert_eq!(&run_lazily_sliced(limit, &pieces, &ops, FeedHow::Shared), &copy);
        prop_assert_eq!(&run_lazily_sliced(limit, &pieces, &ops, FeedHow::Owned), &copy);
        prop_assert_eq!(&all[..], &data[..], "shared memory written to");
    }
}
