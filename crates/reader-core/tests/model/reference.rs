//! A plain reference model of asyncio's `StreamReader` read side, written
//! from the specification (`shared/spec/cpython-streams-spec.md`, section 4)
//! and not from `reader-core`.
//!
//! It is deliberately naive: the buffer is a `Vec<u8>` that is drained from
//! the front, `readuntil` is the spec's literal offset loop with a linear
//! search, `read(-1)` is repeated `read(limit)` calls collecting blocks into
//! an accumulator, and a read that has to wait is a small state object that
//! is resumed when an event wakes it (asyncio's task waiting in
//! `_wait_for_data`).
//!
//! Two things exist only because `reader-core` offers them and asyncio does
//! not, and they follow `reader-core`'s documented contract:
//!
//! * abandoning a waiting read (asyncio would cancel it): the read consumed
//!   nothing, so the blocks a `read(-1)` had collected go back to the front
//!   of the buffer (asyncio would lose them);
//! * a stored error cutting a `read(-1)` short: asyncio loses the collected
//!   blocks; here they are kept aside as `orphaned`, invisible to `at_eof`
//!   and to flow control, and handed back by `take_buffered`.

use std::mem;

/// The result of one read operation, in a form both the model and
/// `reader-core` convert to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Res {
    /// The read returned these bytes.
    Data(Vec<u8>),
    /// `at_eof()`.
    AtEof(bool),
    /// `IncompleteReadError(partial, expected)`.
    Incomplete {
        partial: Vec<u8>,
        expected: Option<usize>,
    },
    /// `LimitOverrunError(consumed)`; `found` tells which message.
    Overrun { consumed: usize, found: bool },
    /// `readline`'s `ValueError` after dropping `discarded` bytes; `found`
    /// tells whether the newline was dropped too.
    LineTooLong { discarded: usize, found: bool },
    /// A `ValueError` for a bad argument.
    Invalid(Invalid),
    /// The stored exception was raised.
    Failed,
}

/// asyncio's argument errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invalid {
    NegativeSize,
    EmptySeparator,
    NoSeparators,
}

/// `readuntil`'s argument: one separator, or a tuple of them (3.13).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sep {
    One(Vec<u8>),
    Tuple(Vec<Vec<u8>>),
}

/// A read operation with asyncio's signed sizes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MOp {
    /// `read(n)`; negative means to EOF.
    Read(i64),
    ReadLine,
    ReadExactly(i64),
    ReadUntil(Sep),
    AtEof,
}

/// A read that is waiting for data, with the local variables asyncio's
/// coroutine keeps across its `await`.
#[derive(Clone, Debug)]
enum Task {
    /// `read(n)` with `n > 0`.
    Read { n: usize },
    /// `read(-1)`: the blocks collected so far by its `read(limit)` calls.
    ReadAll { blocks: Vec<u8> },
    /// `readexactly(n)` with `n > 0`.
    Exactly { n: usize },
    /// `readuntil` (separators sorted by length) or `readline`.
    Until {
        seps: Vec<Vec<u8>>,
        offset: usize,
        line: bool,
    },
}

/// The reference reader.
#[derive(Clone, Debug)]
pub struct Model {
    /// The buffer limit `L`.
    pub limit: usize,
    /// asyncio's `_buffer`.
    pub buffer: Vec<u8>,
    /// `feed_eof()` was called.
    pub eof: bool,
    /// `set_exception()` was called.
    pub exception: bool,
    /// The transport is paused.
    pub paused: bool,
    /// Blocks a `read(-1)` had collected when the exception arrived.
    pub orphaned: Vec<u8>,
    /// The waiting read, if any (at most one).
    task: Option<Task>,
    /// An event woke the waiting read since it started waiting.
    woken: bool,
}

/// `hay.find(needle, from)`: the first occurrence starting at or after
/// `from`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > hay.len() || needle.len() > hay.len() - from {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

impl Model {
    pub fn new(limit: usize) -> Model {
        assert!(limit > 0, "Limit cannot be <= 0");
        Model {
            limit,
            buffer: Vec::new(),
            eof: false,
            exception: false,
            paused: false,
            orphaned: Vec::new(),
            task: None,
            woken: false,
        }
    }

    // ----- events ----------------------------------------------------------

    /// `feed_data`: `Err` is asyncio's "feed_data after feed_eof" assertion,
    /// which fires even for empty data.
    pub fn feed(&mut self, data: &[u8]) -> Result<(), ()> {
        if self.eof {
            return Err(());
        }
        if data.is_empty() {
            return Ok(());
        }
        self.buffer.extend_from_slice(data);
        self.woken = true;
        if !self.paused && self.buffer.len() > 2 * self.limit {
            self.paused = true;
        }
        Ok(())
    }

    /// `feed_eof`.
    pub fn feed_eof(&mut self) {
        self.eof = true;
        self.woken = true;
    }

    /// `set_exception`.
    pub fn set_exception(&mut self) {
        self.exception = true;
        self.woken = true;
    }

    // ----- queries -----------------------------------------------------------

    /// `at_eof()`.
    pub fn at_eof(&self) -> bool {
        self.eof && self.buffer.is_empty()
    }

    /// Whether a read is waiting.
    pub fn is_pending(&self) -> bool {
        self.task.is_some()
    }

    /// Every byte received and not yet returned, in stream order: what
    /// `reader-core` keeps in its buffer.
    pub fn held(&self) -> Vec<u8> {
        let mut out = self.orphaned.clone();
        if let Some(Task::ReadAll { blocks }) = &self.task {
            out.extend_from_slice(blocks);
        }
        out.extend_from_slice(&self.buffer);
        out
    }

    // ----- reads -------------------------------------------------------------

    /// Starts a read: `Some(result)` when it completes at once, `None` when
    /// it waits (then [`wake`](Self::wake) continues it after each event).
    pub fn start(&mut self, op: &MOp) -> Option<Res> {
        // Arguments are checked first, so a read with a bad argument fails
        // even while another read waits (and leaves that one alone).
        if let Some(invalid) = Self::argument_error(op) {
            return Some(Res::Invalid(invalid));
        }
        assert!(self.task.is_none(), "another read is already waiting");
        let task = match op {
            MOp::AtEof => return Some(Res::AtEof(self.at_eof())),
            MOp::Read(n) => {
                if self.exception {
                    return Some(Res::Failed);
                }
                if *n == 0 {
                    return Some(Res::Data(Vec::new()));
                }
                if *n < 0 {
                    Task::ReadAll { blocks: Vec::new() }
                } else {
                    Task::Read {
                        n: usize::try_from(*n).unwrap(),
                    }
                }
            }
            MOp::ReadExactly(n) => {
                if self.exception {
                    return Some(Res::Failed);
                }
                if *n == 0 {
                    return Some(Res::Data(Vec::new()));
                }
                Task::Exactly {
                    n: usize::try_from(*n).unwrap(),
                }
            }
            MOp::ReadUntil(sep) => {
                let mut seps = match sep {
                    Sep::One(s) => vec![s.clone()],
                    Sep::Tuple(list) => list.clone(),
                };
                if self.exception {
                    return Some(Res::Failed);
                }
                // Stable: equal lengths keep the tuple's order.
                seps.sort_by_key(|s| s.len());
                Task::Until {
                    seps,
                    offset: 0,
                    line: false,
                }
            }
            MOp::ReadLine => {
                if self.exception {
                    return Some(Res::Failed);
                }
                Task::Until {
                    seps: vec![b"\n".to_vec()],
                    offset: 0,
                    line: true,
                }
            }
        };
        self.run(task)
    }

    /// The `ValueError` asyncio raises for `op`'s arguments, if any.
    pub fn argument_error(op: &MOp) -> Option<Invalid> {
        match op {
            MOp::ReadExactly(n) if *n < 0 => Some(Invalid::NegativeSize),
            MOp::ReadUntil(Sep::One(s)) if s.is_empty() => Some(Invalid::EmptySeparator),
            MOp::ReadUntil(Sep::Tuple(list)) if list.is_empty() => Some(Invalid::NoSeparators),
            MOp::ReadUntil(Sep::Tuple(list)) if list.iter().any(|s| s.is_empty()) => {
                Some(Invalid::EmptySeparator)
            }
            _ => None,
        }
    }

    /// Lets the waiting read continue if an event woke it. `Some(result)`
    /// when it completes.
    pub fn wake(&mut self) -> Option<Res> {
        if !self.woken || self.task.is_none() {
            return None;
        }
        self.woken = false;
        let task = self.task.take().unwrap();
        if self.exception {
            // The waiter was failed with the exception.
            if let Task::ReadAll { blocks } = task {
                self.orphaned = blocks;
            }
            return Some(Res::Failed);
        }
        self.run(task)
    }

    /// Abandons the waiting read (`reader-core`'s rule: it consumed
    /// nothing).
    pub fn abandon(&mut self) {
        if let Some(Task::ReadAll { blocks }) = self.task.take() {
            let rest = mem::replace(&mut self.buffer, blocks);
            self.buffer.extend_from_slice(&rest);
        }
        self.woken = false;
    }

    /// Hands back every byte held (see [`held`](Self::held)); a waiting read
    /// stays waiting, on an empty buffer.
    pub fn take_buffered(&mut self) -> Vec<u8> {
        let out = self.held();
        self.orphaned.clear();
        self.buffer.clear();
        match &mut self.task {
            Some(Task::ReadAll { blocks }) => blocks.clear(),
            Some(Task::Until { offset, .. }) => *offset = 0,
            _ => {}
        }
        self.maybe_resume();
        out
    }

    fn run(&mut self, mut task: Task) -> Option<Res> {
        match self.step(&mut task) {
            Some(res) => Some(res),
            None => {
                // _wait_for_data: resume a paused transport, then wait.
                self.paused = false;
                self.woken = false;
                self.task = Some(task);
                None
            }
        }
    }

    /// The resume rule (spec 4.5).
    fn maybe_resume(&mut self) {
        if self.paused && self.buffer.len() <= self.limit {
            self.paused = false;
        }
    }

    /// Removes and returns the first `n` bytes.
    fn take_front(&mut self, n: usize) -> Vec<u8> {
        self.buffer.drain(..n).collect()
    }

    /// Runs a read until it completes (`Some`) or must wait (`None`).
    fn step(&mut self, task: &mut Task) -> Option<Res> {
        match task {
            Task::Read { n } => {
                if self.buffer.is_empty() && !self.eof {
                    return None;
                }
                let k = (*n).min(self.buffer.len());
                let data = self.take_front(k);
                self.maybe_resume();
                Some(Res::Data(data))
            }
            Task::ReadAll { blocks } => loop {
                // One `read(limit)` call.
                if self.exception {
                    self.orphaned = mem::take(blocks);
                    return Some(Res::Failed);
                }
                if self.buffer.is_empty() && !self.eof {
                    return None;
                }
                let k = self.limit.min(self.buffer.len());
                let block = self.take_front(k);
                self.maybe_resume();
                if block.is_empty() {
                    return Some(Res::Data(mem::take(blocks)));
                }
                blocks.extend_from_slice(&block);
            },
            Task::Exactly { n } => {
                if self.buffer.len() < *n {
                    if self.eof {
                        let partial = mem::take(&mut self.buffer);
                        return Some(Res::Incomplete {
                            partial,
                            expected: Some(*n),
                        });
                    }
                    return None;
                }
                let data = self.take_front(*n);
                self.maybe_resume();
                Some(Res::Data(data))
            }
            Task::Until { seps, offset, line } => {
                let line = *line;
                let res = self.until(seps, offset)?;
                if !line {
                    return Some(res);
                }
                Some(match res {
                    Res::Incomplete { partial, .. } => Res::Data(partial),
                    Res::Overrun { consumed, .. } => {
                        let found = self.buffer.len() > consumed && self.buffer[consumed] == b'\n';
                        let discarded = if found {
                            consumed + 1
                        } else {
                            self.buffer.len()
                        };
                        self.buffer.drain(..discarded);
                        self.maybe_resume();
                        Res::LineTooLong { discarded, found }
                    }
                    other => other,
                })
            }
        }
    }

    /// One pass of `readuntil`'s loop (spec 4.7); `None` means wait.
    fn until(&mut self, seps: &[Vec<u8>], offset: &mut usize) -> Option<Res> {
        let shortest = seps.iter().map(Vec::len).min().unwrap();
        let longest = seps.iter().map(Vec::len).max().unwrap();
        let buflen = self.buffer.len();
        if buflen >= *offset + shortest {
            let mut hit: Option<(usize, usize)> = None;
            for sep in seps {
                if let Some(start) = find(&self.buffer, sep, *offset) {
                    let end = start + sep.len();
                    let better = match hit {
                        None => true,
                        Some((_, best_end)) => end < best_end,
                    };
                    if better {
                        hit = Some((start, end));
                    }
                }
            }
            if let Some((start, end)) = hit {
                if start > self.limit {
                    return Some(Res::Overrun {
                        consumed: start,
                        found: true,
                    });
                }
                let data = self.take_front(end);
                self.maybe_resume();
                return Some(Res::Data(data));
            }
            *offset = (buflen + 1).saturating_sub(longest);
            if *offset > self.limit {
                return Some(Res::Overrun {
                    consumed: *offset,
                    found: false,
                });
            }
        }
        if self.eof {
            let partial = mem::take(&mut self.buffer);
            return Some(Res::Incomplete {
                partial,
                expected: None,
            });
        }
        None
    }
}
