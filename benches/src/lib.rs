//! Shared helpers for the benchmarks: the data profiles and every reader
//! under test, written once so that the criterion bench (`benches/reader.rs`)
//! and the agreement tests below drive exactly the same code.
//!
//! Every reader returns a [`Tally`] (lines and bytes seen), which keeps the
//! optimiser from discarding the work and lets the tests check that all
//! readers split the data the same way.

use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};

use futures::StreamExt;
use reader_core::{Bytes, ReadError, Reader, Separators};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader, ReadBuf};
use tokio_util::codec::{FramedRead, LinesCodec};

/// Size of each data profile: 64 MiB (rounded down to whole lines).
pub const TOTAL: usize = 64 << 20;
/// Size of each read from the simulated transport: 64 KiB.
pub const CHUNK: usize = 64 << 10;
/// The buffer limit every reader runs with (asyncio's default, 64 KiB).
pub const LIMIT: usize = 64 << 10;

/// One data profile: lines of `line_len` bytes, terminator included.
#[derive(Clone, Copy, Debug)]
pub struct Profile {
    /// Name used for the criterion group (`lines/<name>`).
    pub name: &'static str,
    /// Length of every line, terminator included.
    pub line_len: usize,
    /// Lines end with `\r\n` instead of `\n`.
    pub crlf: bool,
}

impl Profile {
    /// The terminator of every line.
    pub fn terminator(&self) -> &'static [u8] {
        if self.crlf {
            b"\r\n"
        } else {
            b"\n"
        }
    }

    /// `total` bytes (rounded down to whole lines) of this profile.
    pub fn data(&self, total: usize) -> Vec<u8> {
        lines(total, self.line_len, self.crlf)
    }
}

/// The four profiles of the README's table.
pub const PROFILES: [Profile; 4] = [
    Profile {
        name: "16B",
        line_len: 16,
        crlf: false,
    },
    Profile {
        name: "80B",
        line_len: 80,
        crlf: false,
    },
    Profile {
        name: "1KiB",
        line_len: 1024,
        crlf: false,
    },
    Profile {
        name: "80B_CRLF",
        line_len: 80,
        crlf: true,
    },
];

/// `total` bytes, rounded down to whole lines, of `line_len`-byte lines of
/// pseudo-random printable ASCII without `\r`, `\n` or `;`.
pub fn lines(total: usize, line_len: usize, crlf: bool) -> Vec<u8> {
    let term: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    assert!(line_len > term.len());
    let count = total / line_len;
    let mut out = Vec::with_capacity(count * line_len);
    let mut state: u32 = 0x2545_f491;
    for _ in 0..count {
        for _ in 0..line_len - term.len() {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            // 'A'..='z': letters and a few punctuation marks, no ';'.
            out.push(b'A' + (state % 58) as u8);
        }
        out.extend_from_slice(term);
    }
    out
}

/// What a reader saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Number of lines (chunks) returned.
    pub lines: usize,
    /// Their total length.
    pub bytes: usize,
}

impl Tally {
    #[inline(always)]
    fn add(&mut self, len: usize) {
        self.lines += 1;
        self.bytes += len;
    }
}

// ----- the upper bound ---------------------------------------------------

/// A plain `memchr` loop that stops at every `byte`: the upper bound for
/// any reader that has to visit every delimiter. The data is scanned in
/// place (no copy, no chunking).
pub fn memchr_scan(data: &[u8], byte: u8) -> Tally {
    let mut t = Tally::default();
    let mut pos = 0;
    while let Some(i) = memchr::memchr(byte, &data[pos..]) {
        t.add(i + 1);
        pos += i + 1;
    }
    t
}

/// The upper bound for a reader that copies its input, as every reader
/// fed from a socket does: each `chunk` is copied behind the unfinished
/// line into one reused buffer, which [`memchr_scan`]'s loop then scans.
pub fn memchr_copied(data: &[u8], chunk: usize, byte: u8) -> Tally {
    let mut t = Tally::default();
    let mut buf = vec![0u8; 2 * chunk + LIMIT];
    let mut filled = 0;
    for piece in data.chunks(chunk) {
        buf[filled..filled + piece.len()].copy_from_slice(piece);
        filled += piece.len();
        let mut pos = 0;
        while let Some(i) = memchr::memchr(byte, &buf[pos..filled]) {
            t.add(i + 1);
            pos += i + 1;
        }
        buf.copy_within(pos..filled, 0);
        filled -= pos;
    }
    t
}

// ----- reader-core ---------------------------------------------------------

/// How the data gets into a `Reader`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// `feed(&chunk)`: one copy per chunk, as a socket driver does.
    Feed,
    /// `spare_capacity(len)` + copy + `commit(len)`: what a driver reading
    /// straight into the buffer does (the copy stands in for the `read`).
    Spare,
    /// `feed_bytes(all.slice(range))`: each chunk is a shared slice of one
    /// `Bytes` holding the whole input (built once, outside the timed
    /// loop), as a driver handing over owned buffers (a TLS layer, a
    /// channel of `Bytes`) does. Slicing costs one atomic reference-count
    /// update per chunk, and dropping the slice another.
    Owned,
}

/// One read that the driver loop repeats until it answers `Pending`.
pub trait Step {
    /// The length of the next chunk, or `None` when the reader needs data.
    fn step(&self, r: &mut Reader<()>) -> Option<usize>;
}

#[inline(always)]
fn ready_len<T: AsRef<[u8]>>(p: Poll<Result<T, ReadError<()>>>) -> Option<usize> {
    match p {
        Poll::Ready(Ok(chunk)) => Some(chunk.as_ref().len()),
        Poll::Ready(Err(e)) => panic!("unexpected read error: {e:?}"),
        Poll::Pending => None,
    }
}

/// `readline()`: owned `Bytes` lines.
pub struct OwnedLine;
/// `readline_borrowed()`: lines borrowed from the buffer.
pub struct BorrowedLine;
/// `readuntil(seps)`: owned `Bytes` chunks.
pub struct OwnedUntil<'a>(pub Separators<'a>);
/// `readuntil_borrowed(seps)`: chunks borrowed from the buffer.
pub struct BorrowedUntil<'a>(pub Separators<'a>);

impl Step for OwnedLine {
    #[inline(always)]
    fn step(&self, r: &mut Reader<()>) -> Option<usize> {
        ready_len::<Bytes>(r.readline())
    }
}

impl Step for BorrowedLine {
    #[inline(always)]
    fn step(&self, r: &mut Reader<()>) -> Option<usize> {
        ready_len(r.readline_borrowed())
    }
}

impl Step for OwnedUntil<'_> {
    #[inline(always)]
    fn step(&self, r: &mut Reader<()>) -> Option<usize> {
        ready_len::<Bytes>(r.readuntil(self.0))
    }
}

impl Step for BorrowedUntil<'_> {
    #[inline(always)]
    fn step(&self, r: &mut Reader<()>) -> Option<usize> {
        ready_len(r.readuntil_borrowed(self.0))
    }
}

/// Feeds `data` in `chunk`-byte pieces and reads with `step` after each
/// piece until the reader needs more; then EOF, and whatever is left.
///
/// `data` is a `Bytes` so that [`Input::Owned`] can hand out slices of it
/// without copying; the other inputs only read it.
pub fn reader_core<S: Step>(data: &Bytes, chunk: usize, input: Input, step: S) -> Tally {
    let mut r: Reader<()> = Reader::new(LIMIT).unwrap();
    let mut t = Tally::default();
    let mut start = 0;
    while start < data.len() {
        let end = data.len().min(start + chunk);
        let piece = &data[start..end];
        match input {
            Input::Feed => r.feed(piece).unwrap(),
            Input::Spare => {
                r.spare_capacity(piece.len())[..piece.len()].copy_from_slice(piece);
                r.commit(piece.len()).unwrap();
            }
            Input::Owned => r.feed_bytes(data.slice(start..end)).unwrap(),
        }
        start = end;
        while let Some(n) = step.step(&mut r) {
            t.add(n);
        }
    }
    r.feed_eof();
    assert!(r.is_empty(), "data must end with a terminator");
    t
}

/// One line of `len` bytes (newline included) under a limit of `limit`,
/// fed one byte at a time with a read after every byte: the read must stay
/// O(n) overall, not O(n²). Returns the line's length.
pub fn one_byte_at_a_time<S: Step>(line: &[u8], limit: usize, step: S) -> usize {
    let mut r: Reader<()> = Reader::new(limit).unwrap();
    let mut got = None;
    for b in line {
        r.feed(std::slice::from_ref(b)).unwrap();
        if let Some(n) = step.step(&mut r) {
            got = Some(n);
        }
    }
    got.expect("the line completes at its last byte")
}

/// A line of `len` bytes ending with `terminator`, for
/// [`one_byte_at_a_time`].
pub fn long_line(len: usize, terminator: &[u8]) -> Vec<u8> {
    let mut line = vec![b'x'; len - terminator.len()];
    line.extend_from_slice(terminator);
    line
}

// ----- tokio and tokio-util ------------------------------------------------

/// An in-memory `AsyncRead` that is always ready and hands out at most
/// `chunk` bytes per read, like a socket delivering 64 KiB reads.
pub struct ChunkedRead<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl<'a> ChunkedRead<'a> {
    /// Reads over `data`, `chunk` bytes at most at a time.
    pub fn new(data: &'a [u8], chunk: usize) -> Self {
        ChunkedRead { data, chunk }
    }
}

impl AsyncRead for ChunkedRead<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = self.chunk.min(self.data.len()).min(buf.remaining());
        let (head, tail) = self.data.split_at(n);
        buf.put_slice(head);
        self.data = tail;
        Poll::Ready(Ok(()))
    }
}

/// Polls a future that never waits (everything here is in memory) to
/// completion on the current thread: no runtime in the measurement.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(futures::task::noop_waker_ref());
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// tokio's `BufReader::read_until` (64 KiB buffer) into a reused `Vec`.
pub fn tokio_read_until(data: &[u8], chunk: usize, delim: u8) -> Tally {
    block_on(async {
        let mut r = BufReader::with_capacity(chunk, ChunkedRead::new(data, chunk));
        let mut line = Vec::with_capacity(LIMIT);
        let mut t = Tally::default();
        loop {
            line.clear();
            let n = r.read_until(delim, &mut line).await.unwrap();
            if n == 0 {
                break;
            }
            t.add(n);
        }
        t
    })
}

/// tokio-util's `FramedRead<_, LinesCodec>` with a maximum line length of
/// [`LIMIT`]. It strips the `\n` and a `\r` before it and returns `String`s
/// (so it also validates UTF-8); `terminator_len` is added back to each
/// line's length so that its tally matches the others.
pub fn lines_codec(data: &[u8], chunk: usize, terminator_len: usize) -> Tally {
    block_on(async {
        let codec = LinesCodec::new_with_max_length(LIMIT);
        let mut framed = FramedRead::with_capacity(ChunkedRead::new(data, chunk), codec, chunk);
        let mut t = Tally::default();
        while let Some(line) = framed.next().await {
            t.add(line.unwrap().len() + terminator_len);
        }
        t
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: usize = 1 << 20;

    #[test]
    fn every_reader_agrees_on_every_profile() {
        for p in PROFILES {
            let data = Bytes::from(p.data(SMALL));
            let last = *p.terminator().last().unwrap();
            let expected = Tally {
                lines: data.len() / p.line_len,
                bytes: data.len(),
            };
            assert_eq!(memchr_scan(&data, last), expected, "{p:?}");
            assert_eq!(memchr_copied(&data, CHUNK, last), expected, "{p:?}");
            assert_eq!(tokio_read_until(&data, CHUNK, last), expected, "{p:?}");
            assert_eq!(
                lines_codec(&data, CHUNK, p.terminator().len()),
                expected,
                "{p:?}"
            );
            for input in [Input::Feed, Input::Spare, Input::Owned] {
                let seps = Separators::One(p.terminator());
                let runs = [
                    reader_core(&data, CHUNK, input, OwnedLine),
                    reader_core(&data, CHUNK, input, BorrowedLine),
                    reader_core(&data, CHUNK, input, OwnedUntil(seps)),
                    reader_core(&data, CHUNK, input, BorrowedUntil(seps)),
                ];
                for run in runs {
                    assert_eq!(run, expected, "{p:?} {input:?}");
                }
            }
        }
    }

    #[test]
    fn tuple_of_separators_splits_at_newlines() {
        let data = Bytes::from(PROFILES[1].data(SMALL));
        let list: &[&[u8]] = &[b"\r\n", b"\n", b";"];
        let expected = memchr_scan(&data, b'\n');
        let seps = Separators::Any(list);
        for input in [Input::Feed, Input::Owned] {
            assert_eq!(reader_core(&data, CHUNK, input, OwnedUntil(seps)), expected);
            assert_eq!(
                reader_core(&data, CHUNK, input, BorrowedUntil(seps)),
                expected
            );
        }
    }

    #[test]
    fn a_line_at_the_limit_fed_byte_by_byte() {
        let line = long_line(4097, b"\n");
        assert_eq!(one_byte_at_a_time(&line, 4096, OwnedLine), 4097);
        assert_eq!(one_byte_at_a_time(&line, 4096, BorrowedLine), 4097);
        let line = long_line(4098, b"\r\n");
        let crlf = Separators::One(b"\r\n");
        assert_eq!(one_byte_at_a_time(&line, 4096, OwnedUntil(crlf)), 4098);
    }
}
