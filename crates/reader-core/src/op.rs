//! asyncio's calls as data: one [`Op`] enum with asyncio's signed sizes, for
//! replaying traces, fuzzing, and drivers that queue operations.

use crate::error::{InvalidArgument, ReadError};
use crate::reader::Reader;
use crate::separators::Separators;
use bytes::Bytes;
use core::task::{ready, Poll};

/// One read operation, with asyncio's argument conventions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op<'a> {
    /// `read(n)`: any negative `n` reads to EOF.
    Read(i64),
    /// `readline()`.
    ReadLine,
    /// `readexactly(n)`: a negative `n` is an invalid argument.
    ReadExactly(i64),
    /// `readuntil(separators)`.
    ReadUntil(Separators<'a>),
    /// `at_eof()`: never pending.
    AtEof,
}

/// What a completed [`Op`] produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Bytes from a read.
    Data(Bytes),
    /// The answer of `at_eof()`.
    AtEof(bool),
}

/// A size too large for this platform cannot be satisfied before EOF anyway.
fn size(n: i64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

impl<E: Clone> Reader<E> {
    /// Runs (or resumes) `op` with asyncio's exact argument handling, in
    /// asyncio's order: argument errors before the stored error.
    ///
    /// ```
    /// use reader_core::{InvalidArgument, Op, Outcome, ReadError, Reader};
    /// use std::task::Poll;
    ///
    /// let mut r: Reader<&str> = Reader::new(16).unwrap();
    /// r.set_error("connection reset");
    /// // The argument is checked first...
    /// assert_eq!(
    ///     r.poll_op(&Op::ReadExactly(-1)),
    ///     Poll::Ready(Err(ReadError::InvalidArgument(InvalidArgument::NegativeSize)))
    /// );
    /// // ...and read(0) still reports the stored error.
    /// assert_eq!(r.poll_op(&Op::Read(0)), Poll::Ready(Err(ReadError::Stored("connection reset"))));
    /// ```
    pub fn poll_op(&mut self, op: &Op<'_>) -> Poll<Result<Outcome, ReadError<E>>> {
        let data = match *op {
            Op::AtEof => return Poll::Ready(Ok(Outcome::AtEof(self.at_eof()))),
            Op::Read(n) if n < 0 => ready!(self.read_to_eof()),
            Op::Read(n) => ready!(self.read(size(n))),
            Op::ReadLine => ready!(self.readline()),
            Op::ReadExactly(n) if n < 0 => Err(InvalidArgument::NegativeSize.into()),
            Op::ReadExactly(n) => ready!(self.readexactly(size(n))),
            Op::ReadUntil(seps) => ready!(self.readuntil(seps)),
        };
        Poll::Ready(data.map(Outcome::Data))
    }
}
