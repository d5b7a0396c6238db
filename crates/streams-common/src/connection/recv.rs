//! The receive side: bytes (plaintext) on their way to the reader, EOF and
//! the error after them, and the flow-control decision.

use crate::error::StoredError;
use reader_core::Reader;

/// The most room a receive is offered: one read chunk.
pub(super) const READ_SIZE: usize = 64 * 1024;
/// The room a receive is offered at first, and again after a quiet spell:
/// an idle connection's whole receive buffer. It grows fourfold each time
/// a receive fills it, up to [`READ_SIZE`].
const SMALL_READ_SIZE: usize = 4 * 1024;
/// A receive goes into the buffer's remaining room while at least this
/// much is left; below it, into fresh room of the full size. The reader
/// holds on to the chunks it was handed, so the room behind them cannot
/// be reclaimed: asking for the full size every time would allocate (and
/// zero) a new buffer per receive.
const MIN_RECV_ROOM: usize = 8 * 1024;

/// Received data and events on their way to the reader.
///
/// The application's reader keeps its [`Reader`] to itself, so that
/// reading a line that is already buffered needs nothing from the
/// connection; received bytes wait here (the driver receives straight into
/// this buffer's spare room) and move to the reader without a copy when it
/// next looks.
pub(super) struct Inbox {
    /// Bytes received: a `Reader` used as a plain receive buffer (its own
    /// EOF, error and flow control are not used).
    data: Reader<()>,
    limit: usize,
    /// How many bytes the reader held when it last reported.
    reader_len: usize,
    /// asyncio's `pause_reading()`: the reader plus the inbox are above
    /// `2 * limit`.
    paused: bool,
    /// The room the next receive is offered (before the pause threshold
    /// cuts it): small while receives are small, a read chunk while they
    /// fill what they are offered.
    room: usize,
    /// The room the last receive was offered.
    offered: usize,
    eof: bool,
    error: Option<StoredError>,
    /// The reader has taken `eof` / `error`.
    eof_taken: bool,
    error_taken: bool,
}

impl Inbox {
    pub(super) fn new(limit: usize) -> Self {
        let limit = if limit == 0 {
            reader_core::DEFAULT_LIMIT
        } else {
            limit
        };
        Inbox {
            data: Self::buffer(),
            limit,
            reader_len: 0,
            paused: false,
            room: SMALL_READ_SIZE,
            offered: 0,
            eof: false,
            error: None,
            eof_taken: false,
            error_taken: false,
        }
    }

    /// An empty receive buffer: a `Reader` whose own flow control is not
    /// used (any limit will do).
    fn buffer() -> Reader<()> {
        Reader::new(usize::MAX / 4).unwrap_or_default()
    }

    pub(super) fn limit(&self) -> usize {
        self.limit
    }

    pub(super) fn len(&self) -> usize {
        self.data.len()
    }

    pub(super) fn is_paused(&self) -> bool {
        self.paused
    }

    pub(super) fn error(&self) -> Option<&StoredError> {
        self.error.as_ref()
    }

    /// Whether the reader has something to take.
    pub(super) fn has_news(&self) -> bool {
        !self.data.is_empty()
            || (self.eof && !self.eof_taken)
            || (self.error.is_some() && !self.error_taken)
    }

    /// Room to receive into: at most one read chunk, and never more than
    /// is left below the pause threshold, so that what the reader and the
    /// inbox hold never exceeds `2 * limit + 1` bytes (the one byte that
    /// makes the transport pause), unless the reader waits for more than
    /// that (then one chunk, as asyncio). Taken from what is left of the
    /// current buffer while that is at least [`MIN_RECV_ROOM`], else from
    /// fresh room. Never empty (a receive of 0 bytes means EOF).
    pub(super) fn recv_room(&mut self) -> &mut [u8] {
        let chunk = self.room;
        let held = self.data.len().saturating_add(self.reader_len);
        let left = self
            .limit
            .saturating_mul(2)
            .saturating_add(1)
            .saturating_sub(held);
        // At the threshold but not paused: the reader waits for more than
        // it may hold (a `readexactly(n)` with `n > 2 * limit`), and
        // asyncio then receives once more, a whole chunk.
        let want = if left == 0 { chunk } else { chunk.min(left) };
        let reuse = MIN_RECV_ROOM.min(want);
        let min = if self.data.spare_capacity(0).len() >= reuse {
            reuse
        } else {
            want
        };
        let room = self.data.spare_capacity(min);
        let n = room.len().min(want);
        self.offered = n;
        &mut room[..n]
    }

    /// `n` bytes were written into the room: asyncio pauses the transport
    /// once more than twice the limit is buffered.
    pub(super) fn commit(&mut self, n: usize) {
        if n >= self.offered && self.offered >= self.room {
            self.room = self.room.saturating_mul(4).min(READ_SIZE);
        }
        // Cannot fail: n fits the room and EOF is never fed to `data`.
        let _ = self.data.commit(n);
        if reader_core::flow::should_pause(
            self.data.len().saturating_add(self.reader_len),
            self.limit,
        ) {
            self.paused = true;
        }
    }

    /// A receive found nothing: a quiet connection (small receives, and a
    /// reader that has read everything) keeps no receive buffer while it
    /// waits. (While the reader still holds data, the chunks it holds share
    /// the buffer's memory: a fresh buffer would only add to it.)
    pub(super) fn nothing_received(&mut self) {
        if self.data.is_empty() && self.reader_len == 0 && self.room == SMALL_READ_SIZE {
            self.data = Self::buffer();
        }
    }

    /// The reader holds `len` bytes now.
    pub(super) fn set_reader_len(&mut self, len: usize) {
        self.reader_len = len;
    }

    /// Takes the bytes received (the ciphertext that arrived before TLS
    /// was installed).
    pub(super) fn take_data(&mut self) -> bytes::BytesMut {
        self.data.take_buffered()
    }

    pub(super) fn set_eof(&mut self) {
        self.eof = true;
    }

    /// The connection ended with `e` (the first error counts).
    pub(super) fn set_error(&mut self, e: StoredError) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    /// Whether the reader was given EOF or an error: nothing more is
    /// delivered after that.
    pub(super) fn ended(&self) -> bool {
        self.eof || self.error.is_some()
    }

    /// Moves everything into the reader: the bytes (without a copy), then
    /// EOF, then the error.
    pub(super) fn deliver_to(&mut self, reader: &mut Reader<StoredError>) {
        if !self.data.is_empty() {
            let delivered = self.data.len();
            // Cannot fail: EOF is fed to the reader only after the bytes.
            let _ = reader.feed_bytes(self.data.take_buffered().freeze());
            if delivered < SMALL_READ_SIZE {
                // The peer went quiet: offer small rooms again, and let go
                // of the buffer (what the reader took keeps its memory
                // alive as long as it needs it; the rest goes with it).
                // Judged on all that arrived since the reader last took
                // some, not on the last receive alone: a pipelined batch
                // often ends with a small receive, and letting go of a
                // grown buffer then makes every batch allocate (and fault
                // in) a fresh one.
                self.room = SMALL_READ_SIZE;
                self.data = Self::buffer();
            }
        }
        if self.eof && !self.eof_taken {
            self.eof_taken = true;
            reader.feed_eof();
        }
        if let (Some(e), false) = (&self.error, self.error_taken) {
            self.error_taken = true;
            reader.set_error(e.clone());
        }
    }

    /// The reader holds `len` bytes and decided `reader_paused` (the same
    /// rule, applied to its own buffer, with asyncio's hysteresis and its
    /// resume-before-waiting): the transport follows that decision.
    /// Returns whether reading resumed.
    pub(super) fn reader_synced(&mut self, len: usize, reader_paused: bool) -> bool {
        self.reader_len = len;
        let paused = reader_paused;
        let resumed = self.paused && !paused;
        self.paused = paused;
        resumed
    }
}
