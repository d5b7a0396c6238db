//! [`Reader`]: asyncio's `StreamReader` as a resumable state machine.

use crate::buffer::RecvBuffer;
use crate::error::{InvalidArgument, ReadError};
use crate::flow;
use crate::separators::{SearchMemo, Separators};
use alloc::borrow::Cow;
use alloc::vec::Vec;
use bytes::Bytes;
use core::task::{ready, Poll};

mod beyond_asyncio;
mod input;
mod search;

/// asyncio's default buffer limit: 64 KiB.
pub const DEFAULT_LIMIT: usize = 64 * 1024;

/// The most spare room [`Reader::spare_capacity`] grows the buffer for:
/// 64 MiB. Larger requests are clamped to it (a request near `usize::MAX`
/// cannot be allocated, and no socket read returns anywhere near this much:
/// a read returns at most what the socket's receive buffer holds).
pub const MAX_SPARE_CAPACITY: usize = 64 * 1024 * 1024;

/// asyncio's `StreamReader`, without the I/O.
///
/// A driver puts in what the transport received ([`feed`](Self::feed),
/// [`spare_capacity`](Self::spare_capacity) + [`commit`](Self::commit),
/// [`feed_eof`](Self::feed_eof), [`set_error`](Self::set_error)); the
/// application asks for data ([`read`](Self::read),
/// [`readline`](Self::readline), [`readexactly`](Self::readexactly),
/// [`readuntil`](Self::readuntil), ...). Each read answers
/// [`Poll::Ready`] with a result or [`Poll::Pending`] when it needs more
/// input; calling it again after more input resumes it. A read consumes
/// nothing until it is ready, so a read that is abandoned (a timeout, a
/// `select!`) loses no byte.
///
/// Flow control is a decision the driver reads back: after feeding, stop
/// reading from the transport while [`reading_paused`](Self::reading_paused)
/// is `true` (more than `2 * limit` bytes buffered); reads turn it off again
/// once the buffer is at or below `limit`, and before they answer `Pending`.
/// The rule is the one of the [`flow`](crate::flow) module.
///
/// ```
/// use reader_core::{Reader, ReadError};
/// use std::task::Poll;
///
/// let mut r: Reader<&str> = Reader::new(8).unwrap();
/// assert!(r.readline().is_pending());          // nothing yet
/// r.feed(b"hello\nworld").unwrap();
/// assert_eq!(r.readline(), Poll::Ready(Ok("hello\n".into())));
/// assert!(r.readline().is_pending());          // "world" waits for its newline
/// r.feed_eof();
/// assert_eq!(r.readline(), Poll::Ready(Ok("world".into())));
/// assert!(r.at_eof());
/// ```
#[derive(Debug)]
pub struct Reader<E> {
    buf: RecvBuffer,
    limit: usize,
    eof: bool,
    error: Option<E>,
    paused: bool,
    memo: SearchMemo,
    /// While a `read_to_eof` waits: how many buffered bytes it has already
    /// collected. asyncio builds `read(-1)` from `read(limit)` calls, so
    /// those bytes have left its buffer; here they stay in place (no copy,
    /// and given back if the read is abandoned) but do not count towards
    /// flow control.
    collected: Option<usize>,
    /// Bytes a waiting `read_to_eof` had collected when an error was stored.
    /// asyncio has dropped them, so `at_eof` ignores them;
    /// [`take_buffered`](Self::take_buffered) still hands them back.
    orphaned: usize,
}

/// Where a separator search left the buffer.
enum Until {
    /// A chunk of this many bytes (separator included) is ready.
    Chunk(usize),
    /// EOF, and no separator: the whole buffer is the partial chunk.
    Eof,
}

impl<E> Default for Reader<E> {
    /// A reader with asyncio's default limit, 64 KiB.
    fn default() -> Self {
        Self::with_limit(DEFAULT_LIMIT)
    }
}

impl<E> Reader<E> {
    /// A reader whose buffer limit is `limit` bytes (asyncio's `limit=`).
    ///
    /// A limit of 0 is asyncio's `ValueError('Limit cannot be <= 0')`.
    ///
    /// ```
    /// use reader_core::{InvalidArgument, Reader};
    ///
    /// let r: Reader<()> = Reader::new(1024).unwrap();
    /// assert_eq!(r.limit(), 1024);
    /// assert_eq!(Reader::<()>::new(0).unwrap_err(), InvalidArgument::ZeroLimit);
    /// ```
    pub fn new(limit: usize) -> Result<Self, InvalidArgument> {
        if limit == 0 {
            return Err(InvalidArgument::ZeroLimit);
        }
        Ok(Self::with_limit(limit))
    }

    fn with_limit(limit: usize) -> Self {
        Reader {
            buf: RecvBuffer::default(),
            limit,
            eof: false,
            error: None,
            paused: false,
            memo: SearchMemo::default(),
            collected: None,
            orphaned: 0,
        }
    }

    // ----- getters -------------------------------------------------------

    /// The buffer limit.
    ///
    /// ```
    /// use reader_core::{Reader, DEFAULT_LIMIT};
    ///
    /// assert_eq!(Reader::<()>::default().limit(), DEFAULT_LIMIT); // asyncio's 64 KiB
    /// assert_eq!(Reader::<()>::new(16).unwrap().limit(), 16);
    /// ```
    #[must_use]
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The buffered, not yet consumed bytes, in one slice.
    ///
    /// Borrowed from the buffer whenever its bytes are in one piece, which
    /// they always are unless [`feed_bytes`](Self::feed_bytes) queued
    /// chunks that no read has reached yet; then this is a copy (inspecting
    /// must not undo the zero-copy queue, nor need `&mut self`).
    ///
    /// ```
    /// use reader_core::{Bytes, Reader};
    ///
    /// let mut r: Reader<()> = Reader::default();
    /// r.feed(b"head ").unwrap();
    /// r.feed_bytes(Bytes::from(vec![b'x'; 4096])).unwrap();
    /// assert_eq!(r.buffered().len(), 5 + 4096);
    /// assert!(r.buffered().starts_with(b"head x"));
    /// ```
    #[must_use]
    pub fn buffered(&self) -> Cow<'_, [u8]> {
        self.buf.contiguous()
    }

    /// How many bytes are buffered.
    ///
    /// ```
    /// use reader_core::Reader;
    ///
    /// let mut r: Reader<()> = Reader::default();
    /// r.feed(b"ab\ncd").unwrap();
    /// assert_eq!(r.len(), 5);
    /// assert!(r.readline().is_ready());
    /// assert_eq!(r.len(), 2); // "cd" waits for its newline
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing is buffered.
    ///
    /// ```
    /// use reader_core::Reader;
    /// use std::task::Poll;
    ///
    /// let mut r: Reader<()> = Reader::default();
    /// assert!(r.is_empty());
    /// r.feed(b"x").unwrap();
    /// assert!(!r.is_empty());
    /// assert_eq!(r.read(10), Poll::Ready(Ok("x".into())));
    /// assert!(r.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Whether EOF was fed (asyncio's `_eof`).
    ///
    /// ```
    /// use reader_core::Reader;
    ///
    /// let mut r: Reader<()> = Reader::default();
    /// r.feed(b"tail").unwrap();
    /// r.feed_eof();
    /// assert!(r.eof_received());
    /// assert!(!r.at_eof()); // "tail" is still to be read
    /// ```
    #[must_use]
    pub fn eof_received(&self) -> bool {
        self.eof
    }

    /// asyncio's `at_eof()`: EOF was fed and every byte was consumed.
    ///
    /// A stored error does not change it.
    ///
    /// ```
    /// use reader_core::Reader;
    /// use std::task::Poll;
    ///
    /// let mut r: Reader<&str> = Reader::default();
    /// r.feed(b"last").unwrap();
    /// r.feed_eof();
    /// assert!(!r.at_eof());
    /// assert_eq!(r.read(100), Poll::Ready(Ok("last".into())));
    /// assert!(r.at_eof());
    /// r.set_error("reset");
    /// assert!(r.at_eof()); // unchanged by the error
    /// ```
    #[must_use]
    pub fn at_eof(&self) -> bool {
        self.eof && self.buf.len() == self.orphaned
    }

    /// The stored error, if any (asyncio's `exception()`).
    ///
    /// ```
    /// use reader_core::{ReadError, Reader};
    /// use std::task::Poll;
    ///
    /// let mut r: Reader<&str> = Reader::default();
    /// assert_eq!(r.error(), None);
    /// r.set_error("connection reset");
    /// assert_eq!(r.error(), Some(&"connection reset"));
    /// assert_eq!(r.readline(), Poll::Ready(Err(ReadError::Stored("connection reset"))));
    /// ```
    #[must_use]
    pub fn error(&self) -> Option<&E> {
        self.error.as_ref()
    }

    /// Whether the driver should stop reading from its transport now.
    ///
    /// Turns on when feeding leaves more than `2 * limit` bytes buffered, and
    /// off when a read brings the buffer down to `limit` bytes or fewer, or
    /// answers `Pending` (asyncio resumes the transport before waiting, so a
    /// `readexactly` larger than `2 * limit` cannot deadlock).
    ///
    /// ```
    /// use reader_core::Reader;
    /// use std::task::Poll;
    ///
    /// let mut r: Reader<()> = Reader::new(4).unwrap();
    /// r.feed(b"12345678").unwrap();
    /// assert!(!r.reading_paused()); // 8 bytes: not more than 2 * limit
    /// r.feed(b"9").unwrap();
    /// assert!(r.reading_paused()); // 9: the driver stops reading
    /// assert_eq!(r.read(5), Poll::Ready(Ok("12345".into())));
    /// assert!(!r.reading_paused()); // 4 left: down to the limit
    /// r.feed(b"abcdefghij").unwrap();
    /// assert!(r.reading_paused());
    /// assert!(r.readexactly(20).is_pending()); // needs more than it may hold:
    /// assert!(!r.reading_paused()); // resumed, or it would wait forever
    /// ```
    #[must_use]
    pub fn reading_paused(&self) -> bool {
        self.paused
    }
}

/// Reads. The stored error is cloned into every read that reports it.
impl<E: Clone> Reader<E> {
    /// Up to `n` bytes (asyncio's `read(n)` with `n >= 0`): whatever is
    /// buffered, once something is; an empty `Bytes` at EOF. The limit does
    /// not cap it. `read(0)` is an empty `Bytes` at once, or the stored
    /// error.
    ///
    /// ```
    /// use reader_core::Reader;
    /// use std::task::Poll;
    ///
    /// let mut r: Reader<()> = Reader::new(4).unwrap();
    /// assert!(r.read(100).is_pending()); // nothing yet
    /// r.feed(b"0123456789").unwrap();
    /// assert_eq!(r.read(100), Poll::Ready(Ok("0123456789".into()))); // not capped by the limit
    /// r.feed(b"abc").unwrap();
    /// assert_eq!(r.read(2), Poll::Ready(Ok("ab".into()))); // at most n
    /// assert_eq!(r.read(0), Poll::Ready(Ok("".into())));
    /// r.feed_eof();
    /// assert_eq!(r.read(100), Poll::Ready(Ok("c".into())));
    /// assert_eq!(r.read(100), Poll::Ready(Ok("".into()))); // EOF
    /// ```
    pub fn read(&mut self, n: usize) -> Poll<Result<Bytes, ReadError<E>>> {
        self.begin()?;
        if n == 0 {
            return Poll::Ready(Ok(Bytes::new()));
        }
        if self.buf.is_empty() && !self.eof {
            return self.wait();
        }
        // At EOF with nothing buffered this is an empty `Bytes`, and asyncio
        // still applies its resume rule.
        let out = self.buf.split_front(n);
        self.consumed();
        Poll::Ready(Ok(out))
    }

    /// Everything up to EOF (asyncio's `read(-1)`), returned in one piece.
    ///
    /// While it waits, the bytes it has gathered no longer count towards
    /// flow control, as in asyncio, which drains them into its result. If
    /// an error arrives meanwhile, asyncio has lost them; here they stay in
    /// the buffer for [`take_buffered`](Self::take_buffered). If the read is
    /// abandoned, the next read sees them again.
    ///
    /// ```
    /// use reader_core::Reader;
    /// use std::task::Poll;
    ///
    /// let mut r: Reader<()> = Reader::new(4).unwrap();
    /// r.feed(b"0123456789").unwrap();
    /// assert!(r.read_to_eof().is_pending());
    /// r.feed(b"abcdef").unwrap();
    /// assert!(!r.reading_paused()); // what it gathered is out of flow control
    /// r.feed_eof();
    /// assert_eq!(r.read_to_eof(), Poll::Ready(Ok("0123456789abcdef".into())));
    /// ```
    pub fn read_to_eof(&mut self) -> Poll<Result<Bytes, ReadError<E>>> {
        self.begin()?;
        if self.eof {
            let out = self.buf.take_all_frozen();
            self.consumed();
            return Poll::Ready(Ok(out));
        }
        self.collected = Some(self.buf.len());
        self.wait()
    }

    /// Exactly `n` bytes (asyncio's `readexactly`). At EOF with fewer than
    /// `n` buffered, fails with [`ReadError::Incomplete`] carrying them all.
    /// Not capped by the limit: a large `n` keeps reading resumed.
    ///
    /// ```
    /// use reader_core::{ReadError, Reader};
    /// use std::task::Poll;
    ///
    /// let mut r: Reader<()> = Reader::new(4).unwrap();
    /// r.feed(b"header+b").unwrap();
    /// assert_eq!(r.readexactly(7), Poll::Ready(Ok("header+".into()))); // beyond the limit
    /// assert!(r.readexactly(4).is_pending()); // "b" is not enough
    /// r.feed_eof();
    /// assert_eq!(
    ///     r.readexactly(4),
    ///     Poll::Ready(Err(ReadError::Incomplete { partial: "b".into(), expected: Some(4) }))
    /// );
    /// ```
    pub fn readexactly(&mut self, n: usize) -> Poll<Result<Bytes, ReadError<E>>> {
        self.begin()?;
        if n == 0 {
            return Poll::Ready(Ok(Bytes::new()));
        }
        if self.buf.len() < n {
            if self.eof {
                return Poll::Ready(Err(ReadError::Incomplete {
                    partial: self.take_at_eof(),
                    expected: Some(n),
                }));
            }
            return self.wait();
        }
        let out = self.buf.split_front(n);
        self.consumed();
        Poll::Ready(Ok(out))
    }

    /// [`readexactly`](Self::readexactly) into a buffer of yours: once `n`
    /// bytes are buffered, appends them to `out` (one copy, no `Bytes`, no
    /// reference count). `out` is touched only when the read completes:
    /// while it is `Pending`, and when it fails (with the same errors as
    /// `readexactly`, the `Incomplete` one carrying the bytes), `out` is as
    /// it was and nothing is consumed but what an `Incomplete` carries.
    ///
    /// ```
    /// use reader_core::Reader;
    /// use std::task::Poll;
    ///
    /// let mut r: Reader<()> = Reader::default();
    /// let mut value = b"got: ".to_vec();
    /// r.feed(b"abc").unwrap();
    /// assert!(r.readexactly_into(5, &mut value).is_pending());
    /// assert_eq!(value, b"got: "); // untouched while waiting
    /// r.feed(b"de\r\n").unwrap();
    /// assert_eq!(r.readexactly_into(5, &mut value), Poll::Ready(Ok(())));
    /// assert_eq!(value, b"got: abcde");
    /// assert_eq!(&*r.buffered(), b"\r\n");
    /// ```
    pub fn readexactly_into(
        &mut self,
        n: usize,
        out: &mut Vec<u8>,
    ) -> Poll<Result<(), ReadError<E>>> {
        self.begin()?;
        if n == 0 {
            return Poll::Ready(Ok(()));
        }
        if self.buf.len() < n {
            if self.eof {
                return Poll::Ready(Err(ReadError::Incomplete {
                    partial: self.take_at_eof(),
                    expected: Some(n),
                }));
            }
            return self.wait();
        }
        self.buf.consume_into(n, out);
        self.consumed();
        Poll::Ready(Ok(()))
    }

    /// Data up to and including a separator (asyncio's `readuntil`).
    ///
    /// With several separators, the match that ends first wins, the shorter
    /// one on a tie (Python 3.13). Fails with [`ReadError::LimitOverrun`],
    /// leaving the buffer untouched, when the data before the separator is
    /// longer than the limit or no separator can fit within it; with
    /// [`ReadError::Incomplete`] (carrying the whole buffer) at EOF.
    ///
    /// ```
    /// use reader_core::{ReadError, Reader};
    /// use std::task::Poll;
    ///
    /// let mut r: Reader<()> = Reader::new(64).unwrap();
    /// r.feed(b"GET / HTTP/1.0\r\nHost: x\r\n\r\nbody").unwrap();
    /// let head = r.readuntil(b"\r\n\r\n");
    /// assert_eq!(head, Poll::Ready(Ok("GET / HTTP/1.0\r\nHost: x\r\n\r\n".into())));
    /// let word = r.readuntil(&[b"dy".as_slice(), b"o"]);
    /// assert_eq!(word, Poll::Ready(Ok("bo".into())));
    ///
    /// let mut r: Reader<()> = Reader::new(4).unwrap();
    /// r.feed(b"too long;").unwrap();
    /// let overrun = ReadError::LimitOverrun { consumed: 8, separator_found: true };
    /// assert_eq!(r.readuntil(b";"), Poll::Ready(Err(overrun)));
    /// assert_eq!(r.len(), 9); // left in place
    /// assert!(r.read(9).is_ready());
    /// r.feed(b"ab").unwrap();
    /// r.feed_eof();
    /// let incomplete = ReadError::Incomplete { partial: "ab".into(), expected: None };
    /// assert_eq!(r.readuntil(b";"), Poll::Ready(Err(incomplete)));
    /// ```
    #[inline]
    pub fn readuntil<'s>(
        &mut self,
        separators: impl Into<Separators<'s>>,
    ) -> Poll<Result<Bytes, ReadError<E>>> {
        let seps = separators.into();
        seps.validate()?;
        self.begin()?;
        match ready!(self.until(seps))? {
            Until::Chunk(n) => Poll::Ready(Ok(self.take_chunk(n))),
            Until::Eof => Poll::Ready(Err(ReadError::Incomplete {
                partial: self.take_at_eof(),
                expected: None,
            })),
        }
    }

    /// One line, newline included (asyncio's `readline`): at EOF, whatever
    /// is left (possibly empty).
    ///
    /// A line longer than the limit fails with [`ReadError::LineTooLong`]
    /// after dropping it: through its newline when that was buffered, and
    /// the whole buffer otherwise, in which case the rest of the long line,
    /// arriving later, reads as a line of its own (asyncio's rule).
    ///
    /// ```
    /// use reader_core::{ReadError, Reader};
    /// use std::task::Poll;
    ///
    /// let mut r: Reader<()> = Reader::new(4).unwrap();
    /// r.feed(b"ok\nway too long\nend\n").unwrap();
    /// assert_eq!(r.readline(), Poll::Ready(Ok("ok\n".into())));
    /// let too_long = ReadError::LineTooLong { discarded: 13, separator_found: true };
    /// assert_eq!(r.readline(), Poll::Ready(Err(too_long))); // dropped
    /// assert_eq!(r.readline(), Poll::Ready(Ok("end\n".into())));
    /// r.feed(b"tail").unwrap();
    /// r.feed_eof();
    /// assert_eq!(r.readline(), Poll::Ready(Ok("tail".into()))); // at EOF, what is left
    /// assert_eq!(r.readline(), Poll::Ready(Ok("".into())));
    /// ```
    #[inline]
    pub fn readline(&mut self) -> Poll<Result<Bytes, ReadError<E>>> {
        self.begin()?;
        match ready!(self.line())? {
            Until::Chunk(n) => Poll::Ready(Ok(self.take_chunk(n))),
            Until::Eof => Poll::Ready(Ok(self.take_at_eof())),
        }
    }

    /// [`readline`](Self::readline) without building a `Bytes`: the line is
    /// borrowed from the buffer and valid until the next call. The fastest
    /// way to read lines.
    ///
    /// ```
    /// use reader_core::Reader;
    /// use std::task::Poll;
    ///
    /// let mut r: Reader<()> = Reader::default();
    /// r.feed(b"a\nbb\n").unwrap();
    /// let mut total = 0;
    /// while let Poll::Ready(Ok(line)) = r.readline_borrowed() {
    ///     total += line.len();
    /// }
    /// assert_eq!(total, 5);
    /// ```
    #[inline]
    pub fn readline_borrowed(&mut self) -> Poll<Result<&[u8], ReadError<E>>> {
        self.begin()?;
        if let Some(n) = self.line_in_front(Separators::One(b"\n")) {
            return Poll::Ready(Ok(self.borrow_chunk(n)));
        }
        self.readline_borrowed_rest()
    }

    /// [`readline_borrowed`](Self::readline_borrowed) beyond its fast path
    /// (kept out of line so that the fast path stays small).
    #[inline(never)]
    fn readline_borrowed_rest(&mut self) -> Poll<Result<&[u8], ReadError<E>>> {
        match ready!(self.line())? {
            Until::Chunk(n) => Poll::Ready(Ok(self.borrow_chunk(n))),
            // Like `take_at_eof`: the rest of the buffer, no resume rule.
            // (It is all in the front: `Eof` comes only once no segment
            // is left behind it.)
            Until::Eof => {
                self.memo.reset();
                if self.buf.next_segment().is_some() {
                    self.buf.make_contiguous();
                }
                let n = self.buf.len();
                Poll::Ready(Ok(self.buf.consume_borrowed(n)))
            }
        }
    }

    /// [`readuntil`](Self::readuntil) without building a `Bytes`: the chunk
    /// is borrowed from the buffer and valid until the next call.
    ///
    /// ```
    /// use reader_core::{ReadError, Reader};
    /// use std::task::Poll;
    ///
    /// let mut r: Reader<()> = Reader::default();
    /// r.feed(b"key=value;").unwrap();
    /// let Poll::Ready(Ok(key)) = r.readuntil_borrowed(&[b"=".as_slice(), b":"]) else {
    ///     unreachable!()
    /// };
    /// assert_eq!(key, b"key=");
    /// r.feed_eof();
    /// let rest = r.readuntil_borrowed(b"\n"); // no separator before EOF
    /// assert!(matches!(rest, Poll::Ready(Err(ReadError::Incomplete { .. }))));
    /// ```
    #[inline]
    pub fn readuntil_borrowed<'s>(
        &mut self,
        separators: impl Into<Separators<'s>>,
    ) -> Poll<Result<&[u8], ReadError<E>>> {
        let seps = separators.into();
        seps.validate()?;
        self.begin()?;
        if let Some(n) = self.line_in_front(seps) {
            return Poll::Ready(Ok(self.borrow_chunk(n)));
        }
        self.readuntil_borrowed_rest(seps)
    }

    /// [`readuntil_borrowed`](Self::readuntil_borrowed) beyond its fast
    /// path.
    #[inline(never)]
    fn readuntil_borrowed_rest(
        &mut self,
        seps: Separators<'_>,
    ) -> Poll<Result<&[u8], ReadError<E>>> {
        match ready!(self.until(seps))? {
            Until::Chunk(n) => Poll::Ready(Ok(self.borrow_chunk(n))),
            Until::Eof => Poll::Ready(Err(ReadError::Incomplete {
                partial: self.take_at_eof(),
                expected: None,
            })),
        }
    }

    /// What every read does first: an abandoned `read_to_eof` gives its
    /// bytes back, and a stored error is reported.
    #[inline]
    fn begin(&mut self) -> Result<(), ReadError<E>> {
        self.collected = None;
        match &self.error {
            Some(e) => Err(ReadError::Stored(e.clone())),
            None => Ok(()),
        }
    }
}

/// Internals shared by inputs and reads.
impl<E> Reader<E> {
    fn check_feed(&self) -> Result<(), ReadError<E>> {
        if self.eof {
            return Err(ReadError::FeedAfterEof);
        }
        Ok(())
    }

    /// Bytes that count towards flow control.
    fn flow_len(&self) -> usize {
        self.buf.len() - self.collected.unwrap_or(0) - self.orphaned
    }

    /// asyncio pauses the transport when a feed leaves more than twice the
    /// limit buffered ([`flow::should_pause`]).
    #[inline]
    fn after_feed(&mut self) {
        if !self.paused && flow::should_pause(self.flow_len(), self.limit) {
            self.paused = true;
        }
    }

    /// After a read consumed data: the search memo is stale, and asyncio
    /// resumes the transport once the buffer is down to the limit
    /// ([`flow::should_resume`]).
    #[inline]
    fn consumed(&mut self) {
        self.consuming(self.flow_len());
    }

    /// [`consumed`](Self::consumed), for a read that will leave `left`
    /// bytes counting towards flow control.
    #[inline]
    fn consuming(&mut self, left: usize) {
        self.memo.reset();
        if self.paused && flow::should_resume(left, self.limit) {
            self.paused = false;
        }
    }

    /// asyncio resumes a paused transport before waiting for data. No
    /// borrowed line is alive here, so the chunk kept for the last one is
    /// released (an idle reader holds no spent chunk).
    #[inline]
    fn wait<T>(&mut self) -> Poll<T> {
        self.paused = false;
        self.buf.release_spent();
        Poll::Pending
    }

    /// Takes the whole buffer at EOF without a separator (asyncio clears it
    /// into the `IncompleteReadError` and does not run its resume rule).
    fn take_at_eof(&mut self) -> Bytes {
        self.memo.reset();
        self.buf.take_all_frozen()
    }

    #[inline]
    fn take_chunk(&mut self, n: usize) -> Bytes {
        let out = self.buf.split_front(n);
        self.consumed();
        out
    }

    /// Lends the first `n` bytes, which [`until`](Self::until) found in the
    /// buffer's front.
    #[inline]
    fn borrow_chunk(&mut self, n: usize) -> &[u8] {
        // The resume rule looks at what is left: decided before consuming,
        // since the buffer is lent out afterwards.
        self.consuming(self.flow_len().saturating_sub(n));
        self.buf.consume_borrowed(n)
    }
}
