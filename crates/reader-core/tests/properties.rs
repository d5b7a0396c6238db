//! Property tests of `reader-core`:
//!
//! (a) how the input is split never changes the results while no limit is
//!     hit;
//! (b) bytes are conserved across random operation sequences;
//! (c) `readexactly(n)` returns exactly `n` bytes, or fails with
//!     `Incomplete` carrying every remaining byte, and only after EOF;
//! (d) feeding with `feed`, `feed_bytes` and `spare_capacity` + `commit`
//!     gives identical results;
//! (e) the borrowed reads return the same bytes as the owned ones.
//!
//! The reads are driven through the fuzz checker's helpers
//! (`tests/model/checker.rs`).

mod model;

use model::checker::{feed_core, poll_core, CoreOp, FeedHow, OwnedSeps, Reset};
use model::Res;
use proptest::collection::vec;
use proptest::prelude::*;
use reader_core::{ReadError, Reader};
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
        3 => any_seps().prop_map(CoreOp::ReadUntil),
        1 => any_seps().prop_map(CoreOp::ReadUntilBorrowed),
    ]
}

/// One step of a driven sequence.
#[derive(Clone, Debug)]
enum Act {
    Feed(Vec<u8>),
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
        trace.buffered.push(reader.buffered().to_vec());
        trace.paused.push(reader.reading_paused());
    }
    let rest = reader.take_buffered();
    account(&Res::Data(rest.to_vec()), &mut pos, &fed);
    assert_eq!(pos, fed.len(), "bytes lost");
    trace
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

    /// (e) `readline_borrowed` and `readuntil_borrowed` return what
    /// `readline` and `readuntil` return, leave the same buffer and make
    /// the same flow-control decisions.
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
}
