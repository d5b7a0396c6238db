//! The seeded case generator of the differential tests: random traces
//! that lean on the hard parts (see the test file's docs).

use reader_core::{Op, Reader, Separators};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::task::Poll;

use crate::trace;

// ----- a small seeded PRNG (splitmix64) ----------------------------------

pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (the modulo bias is irrelevant here).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ----- the generator -----------------------------------------------------

/// An operation the generator issues, owning its separators.
#[derive(Clone, Debug)]
enum GenOp {
    Read(i64),
    ReadLine,
    ReadExactly(i64),
    ReadUntil(Vec<Vec<u8>>),
    AtEof,
}

impl GenOp {
    fn json(&self) -> Value {
        match self {
            GenOp::Read(n) => json!({ "read": n }),
            GenOp::ReadLine => json!({ "readline": true }),
            GenOp::ReadExactly(n) => json!({ "readexactly": n }),
            GenOp::ReadUntil(seps) => {
                json!({ "readuntil": seps.iter().map(|s| trace::hex(s)).collect::<Vec<_>>() })
            }
            GenOp::AtEof => json!({ "at_eof": true }),
        }
    }

    /// Polls the generator's own reader; `true` once the operation is done.
    fn poll(&self, reader: &mut Reader<()>) -> bool {
        let slices: Vec<&[u8]>;
        let op = match self {
            GenOp::Read(n) => Op::Read(*n),
            GenOp::ReadLine => Op::ReadLine,
            GenOp::ReadExactly(n) => Op::ReadExactly(*n),
            GenOp::AtEof => Op::AtEof,
            GenOp::ReadUntil(seps) if seps.len() == 1 => Op::ReadUntil(Separators::One(&seps[0])),
            GenOp::ReadUntil(seps) => {
                slices = seps.iter().map(Vec::as_slice).collect();
                Op::ReadUntil(Separators::Any(&slices))
            }
        };
        matches!(reader.poll_op(&op), Poll::Ready(_))
    }
}

/// Separator pools: newline kinds, and sets whose members overlap, prefix
/// one another and have different lengths.
const FAMILIES: &[&[&[u8]]] = &[
    &[b"\n"],
    &[b"\n", b"\r\n"],
    &[b"\r\n", b"\r\n\r\n", b"\n", b"\r"],
    &[b"a", b"ab", b"aba", b"abab", b"ba", b"b"],
    &[b"ab", b"abc", b"bc", b"c", b"abcab"],
    &[b"a", b"aa", b"aaa", b"aaaa"],
    &[b"END", b"EN", b"ND", b"D", b"ENDEND"],
];

/// One trace under construction, with reader-core's view of it: the
/// generator never issues an operation while another is pending and never
/// feeds after EOF.
struct CaseGen<'r> {
    rng: &'r mut Rng,
    tuples: bool,
    limit: usize,
    pool: Vec<Vec<u8>>,
    alphabet: Vec<u8>,
    reader: Reader<()>,
    pending: Option<GenOp>,
    eof: bool,
    failed: bool,
    queued: VecDeque<Vec<u8>>,
    ops: Vec<Value>,
}

impl CaseGen<'_> {
    fn new(rng: &mut Rng, tuples: bool) -> CaseGen<'_> {
        let limit = match rng.below(20) {
            0..=10 => rng.range(1, 8),
            11..=16 => rng.range(9, 40),
            _ => *rng.pick(&[50, 64, 100, 127, 256, 1000]),
        };
        let pool: Vec<Vec<u8>> = if rng.chance(30) {
            // Random separators over a small alphabet, so they occur.
            (0..rng.range(1, 4))
                .map(|_| {
                    (0..rng.range(1, 4))
                        .map(|_| *rng.pick(b"abc\r\n"))
                        .collect()
                })
                .collect()
        } else {
            rng.pick(FAMILIES).iter().map(|s| s.to_vec()).collect()
        };
        let mut alphabet: Vec<u8> = b"x\n".to_vec();
        alphabet.extend(pool.iter().flatten());
        let reader = Reader::new(limit).expect("limit > 0");
        CaseGen {
            rng,
            tuples,
            limit,
            pool,
            alphabet,
            reader,
            pending: None,
            eof: false,
            failed: false,
            queued: VecDeque::new(),
            ops: Vec::new(),
        }
    }

    fn generate(mut self, name: String) -> Value {
        let steps = self.rng.range(3, 32);
        let mut after_fail = 0;
        for _ in 0..steps {
            if self.failed {
                after_fail += 1;
                if after_fail > 3 {
                    break;
                }
            }
            if self.pending.is_some() {
                match self.rng.below(100) {
                    0..=79 => self.feed(),
                    80..=89 => self.event(json!({ "eof": true })),
                    90..=94 => self.event(json!({ "fail": true })),
                    _ => break, // ends with the operation pending
                }
            } else if self.eof || self.rng.chance(50) {
                if self.rng.chance(2) {
                    self.event(json!({ "fail": true }));
                } else {
                    let op = self.op();
                    self.issue(op);
                }
            } else {
                match self.rng.below(100) {
                    0..=79 => self.feed(),
                    80..=91 => self.event(json!({ "eof": true })),
                    92..=95 => self.event(json!({ "fail": true })),
                    _ => self.event(json!({ "feed": "" })),
                }
            }
        }
        // Often finish with EOF and a few reads that drain what is left.
        if !self.eof && self.rng.chance(40) {
            self.event(json!({ "eof": true }));
        }
        if self.pending.is_none() && self.rng.chance(50) {
            for _ in 0..self.rng.range(1, 3) {
                let op = match self.rng.below(4) {
                    0 => GenOp::Read(-1),
                    1 => GenOp::ReadLine,
                    2 => GenOp::AtEof,
                    _ => self.op(),
                };
                self.issue(op);
                if self.pending.is_some() {
                    break;
                }
            }
        }
        json!({ "name": name, "limit": self.limit, "ops": self.ops })
    }

    /// Records an event, applies it to reader-core, lets the pending
    /// operation run.
    fn event(&mut self, event: Value) {
        if let Some(hex) = event.get("feed").and_then(Value::as_str) {
            assert!(!self.eof, "the generator fed after EOF");
            let data = trace::unhex(hex).expect("hex");
            self.reader.feed(&data).expect("feed before EOF");
        } else if event.get("eof").is_some() {
            self.eof = true;
            self.reader.feed_eof();
        } else {
            self.failed = true;
            self.reader.set_error(());
        }
        self.ops.push(event);
        if let Some(op) = &self.pending {
            if op.poll(&mut self.reader) {
                self.pending = None;
            }
        }
    }

    fn issue(&mut self, op: GenOp) {
        assert!(
            self.pending.is_none(),
            "the generator overlapped operations"
        );
        self.ops.push(op.json());
        if !op.poll(&mut self.reader) {
            self.pending = Some(op);
        }
    }

    /// Feeds the next chunk of the payload being delivered, or of a new one.
    fn feed(&mut self) {
        if self.queued.is_empty() {
            let payload = self.payload();
            self.split(payload);
        }
        let chunk = self.queued.pop_front().unwrap_or_default();
        self.event(json!({ "feed": trace::hex(&chunk) }));
    }

    /// Cuts a payload into 1-4 feeds, or byte by byte, so separators and
    /// lines straddle feeds.
    fn split(&mut self, payload: Vec<u8>) {
        if payload.len() <= 8 && self.rng.chance(15) {
            self.queued.extend(payload.iter().map(|&b| vec![b]));
            return;
        }
        let mut cuts: Vec<usize> = (0..self.rng.below(4))
            .map(|_| self.rng.range(1, payload.len().max(1)))
            .collect();
        cuts.push(0);
        cuts.push(payload.len());
        cuts.sort_unstable();
        cuts.dedup();
        for w in cuts.windows(2) {
            self.queued.push_back(payload[w[0]..w[1]].to_vec());
        }
    }

    fn filler(&mut self, n: usize) -> Vec<u8> {
        if self.rng.chance(60) {
            vec![b'x'; n]
        } else {
            (0..n).map(|_| *self.rng.pick(&self.alphabet)).collect()
        }
    }

    fn separator(&mut self) -> Vec<u8> {
        if self.rng.chance(20) {
            b"\n".to_vec()
        } else {
            self.rng.pick(&self.pool).clone()
        }
    }

    fn payload(&mut self) -> Vec<u8> {
        let limit = self.limit;
        match self.rng.below(20) {
            // A line whose length sits around the limit, then its separator.
            0..=6 => {
                let sep = self.separator();
                let s = sep.len();
                let len = *self.rng.pick(&[
                    limit.saturating_sub(1),
                    limit,
                    limit + 1,
                    (limit + s).saturating_sub(1),
                    limit + s,
                    limit + s + 1,
                    2 * limit,
                    2 * limit + 1,
                    0,
                    1,
                ]);
                let mut out = self.filler(len);
                out.extend(&sep);
                if self.rng.chance(30) {
                    let tail = self.rng.range(1, 3);
                    out.extend(self.filler(tail));
                }
                out
            }
            // Random bytes, up to past the pause threshold.
            7..=10 => {
                let n = self.rng.range(1, 3 * limit + 3);
                self.filler(n)
                    .iter()
                    .map(|&b| {
                        if self.rng.chance(50) {
                            *self.rng.pick(&self.alphabet)
                        } else {
                            b
                        }
                    })
                    .collect()
            }
            // Separators, their prefixes and suffixes, and filler.
            11..=14 => {
                let mut out = Vec::new();
                for _ in 0..self.rng.range(1, 6) {
                    let sep = self.rng.pick(&self.pool).clone();
                    match self.rng.below(4) {
                        0 => out.extend(&sep),
                        1 => out.extend(&sep[..self.rng.below(sep.len())]),
                        2 => out.extend(&sep[self.rng.below(sep.len())..]),
                        _ => {
                            let n = self.rng.range(1, limit + 1);
                            out.extend(self.filler(n));
                        }
                    }
                }
                if out.is_empty() {
                    out.push(b'x');
                }
                out
            }
            // Exactly to 2*limit or just past it: the pause threshold.
            15..=17 => {
                let target = 2 * limit + self.rng.below(2);
                let n = target.saturating_sub(self.reader.len()).max(1);
                self.filler(n)
            }
            // A byte or three.
            _ => {
                let n = self.rng.range(1, 3);
                (0..n).map(|_| *self.rng.pick(&self.alphabet)).collect()
            }
        }
    }

    fn op(&mut self) -> GenOp {
        let len = self.reader.len() as i64;
        let limit = self.limit as i64;
        // Sizes that bring the buffer to the resume threshold or around it.
        let to_limit = (len - limit).max(1);
        let small = self.rng.range(1, 2 * self.limit + 2) as i64;
        let large = self.rng.range(1, 3 * self.limit + 3) as i64;
        match self.rng.below(20) {
            0..=3 => GenOp::Read(*self.rng.pick(&[
                -1,
                -1,
                -2,
                i64::MIN,
                0,
                1,
                2,
                small,
                to_limit,
                to_limit + 1,
                (to_limit - 1).max(1),
                len.max(1),
                1 << 40,
            ])),
            4..=6 => GenOp::ReadLine,
            7..=9 => GenOp::ReadExactly(*self.rng.pick(&[
                -1,
                -7,
                0,
                1,
                large,
                len,
                len + 1,
                (len - 1).max(0),
                to_limit,
                2 * limit + 1,
            ])),
            10..=17 => GenOp::ReadUntil(self.separators()),
            _ => GenOp::AtEof,
        }
    }

    fn separators(&mut self) -> Vec<Vec<u8>> {
        let roll = self.rng.below(100);
        if !self.tuples || roll < 45 {
            // One separator; sometimes an empty one (a bad argument).
            return vec![if self.rng.chance(4) {
                Vec::new()
            } else {
                self.separator()
            }];
        }
        match roll {
            45..=49 => Vec::new(),
            50..=53 => {
                let mut seps = vec![self.separator(), Vec::new()];
                if self.rng.chance(50) {
                    seps.swap(0, 1);
                }
                seps
            }
            _ => {
                let mut seps: Vec<Vec<u8>> = (0..self.rng.range(2, 4))
                    .map(|_| self.rng.pick(&self.pool).clone())
                    .collect();
                if self.rng.chance(15) {
                    // A long member that never occurs: the not-found offset
                    // follows the longest separator.
                    let n = self.rng.range(3, 10);
                    seps.insert(self.rng.below(seps.len() + 1), vec![b'z'; n]);
                }
                if self.rng.chance(15) {
                    seps.push(b"\n".to_vec());
                }
                seps
            }
        }
    }
}

pub(crate) fn generate(seed: u64, count: usize, tuples: bool) -> Vec<Value> {
    let mut rng = Rng(seed);
    (0..count)
        .map(|i| CaseGen::new(&mut rng, tuples).generate(format!("diff-{seed}-{i}")))
        .collect()
}
