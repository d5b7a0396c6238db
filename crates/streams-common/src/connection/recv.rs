//! The receive side: bytes (plaintext) on their way to the reader, EOF and
//! the error after them, and the flow-control decision.

use super::rooms;
use crate::error::StoredError;
use bytes::{Bytes, BytesMut};
use reader_core::Reader;
use std::collections::VecDeque;
use std::mem;

/// The most room a receive is offered: one read chunk.
pub(super) const READ_SIZE: usize = 64 * 1024;
/// The room a receive is offered at first, and again after a quiet spell:
/// the size of the rooms a thread keeps spare ([`rooms`]). It grows
/// fourfold each time a receive fills it, up to [`READ_SIZE`].
const SMALL_READ_SIZE: usize = rooms::ROOM;
/// A receive goes into the buffer's remaining room while at least this
/// much is left; below it, into the whole buffer again when every chunk
/// cut from it is gone, else into fresh room of the full size. (The reader
/// holds on to large chunks it was handed, so the room behind them cannot
/// be reclaimed while it does: asking for the full size every time would
/// allocate, and zero, a new buffer per receive.)
const MIN_RECV_ROOM: usize = 8 * 1024;

/// Received data and events on their way to the reader.
///
/// The application's reader keeps its [`Reader`] to itself, so that
/// reading a line that is already buffered needs nothing from the
/// connection; received bytes wait here and move to the reader when it
/// next looks: small amounts by copy, large ones without.
///
/// The driver receives straight into `room_buf`, zeroed once when it is
/// allocated. What it received stays at the front of the room (`held`)
/// while the room has space for the next receive; when it has not, the
/// held bytes are split off as one chunk (no copy, no growth: the room is
/// never a buffer that grows and copies what it holds) and the receive
/// goes into the rest or a new room. The reader copies small amounts out
/// of the room, which is then whole again for the next request, without
/// the reference counting and the allocation that splitting costs.
pub(super) struct Inbox {
    /// What the next receives write into: `[..held]` is received data,
    /// the rest is room.
    room_buf: BytesMut,
    /// Bytes received into the front of `room_buf`, not yet delivered
    /// (after every chunk).
    held: usize,
    /// `room_buf` came from [`rooms::take`] and no chunk was split off
    /// it: it may go back to the thread's spare rooms.
    pristine: bool,
    /// Chunks received and not yet delivered, in order.
    chunks: VecDeque<Bytes>,
    /// Bytes received and not yet delivered: the chunks and `held`.
    queued: usize,
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
            room_buf: BytesMut::new(),
            held: 0,
            pristine: false,
            chunks: VecDeque::new(),
            queued: 0,
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

    pub(super) fn limit(&self) -> usize {
        self.limit
    }

    /// The reader's new limit (not 0: the reader refused that first).
    pub(super) fn set_limit(&mut self, limit: usize) {
        self.limit = limit.max(1);
    }

    pub(super) fn len(&self) -> usize {
        self.queued
    }

    pub(super) fn is_paused(&self) -> bool {
        self.paused
    }

    pub(super) fn error(&self) -> Option<&StoredError> {
        self.error.as_ref()
    }

    /// Whether the reader has something to take.
    pub(super) fn has_news(&self) -> bool {
        self.queued > 0
            || (self.eof && !self.eof_taken)
            || (self.error.is_some() && !self.error_taken)
    }

    /// Room to receive into: one read chunk (4 KiB while receives are
    /// small, growing to 64 KiB while they fill what they are offered),
    /// cut down to what is left below the pause threshold, but never below
    /// 4 KiB. So reader and inbox hold at most `2 * limit` and 4 KiB
    /// (asyncio's bound is `2 * limit` and one whole chunk: it pauses only
    /// after a receive crossed the threshold), unless the reader waits for
    /// more than that (a `readexactly(n)` with `n > 2 * limit`: then whole
    /// chunks, as asyncio). The 4 KiB floor keeps asyncio's answers for
    /// what arrives in one piece: cut at the threshold, a line over a small
    /// limit would lose only its head and have its tail read as a line of
    /// its own, where asyncio drops the whole line. Never empty (a receive
    /// of 0 bytes means EOF).
    pub(super) fn recv_room(&mut self) -> &mut [u8] {
        let held = self.queued.saturating_add(self.reader_len);
        let left = self
            .limit
            .saturating_mul(2)
            .saturating_add(1)
            .saturating_sub(held);
        let want = if left == 0 {
            self.room
        } else {
            self.room.min(left.max(SMALL_READ_SIZE))
        };
        if self.room_buf.len() - self.held < want {
            self.make_room(want);
        }
        let start = self.held;
        let n = (self.room_buf.len() - start).min(want);
        self.offered = n;
        &mut self.room_buf[start..start + n]
    }

    /// Makes room for a receive of `want` bytes when the room left is
    /// smaller: the held bytes become a chunk, then the rest of the room
    /// serves if it is large enough, else the whole room if every chunk
    /// cut from it is gone, else a new room.
    fn make_room(&mut self, want: usize) {
        if let Some(chunk) = self.take_held() {
            self.chunks.push_back(chunk);
        }
        if self.room_buf.is_empty() && want == rooms::ROOM {
            self.room_buf = rooms::take();
            self.pristine = true;
            return;
        }
        let short = want.saturating_sub(self.room_buf.len());
        if short > 0 && self.room_buf.try_reclaim(short) {
            // Every chunk cut from it was dropped (delivered by copy, or
            // read and released): the whole buffer is ours again.
            self.room_buf.resize(want, 0);
            self.pristine = false;
        } else if self.room_buf.len() < MIN_RECV_ROOM.min(want) {
            self.room_buf = BytesMut::zeroed(want);
            self.pristine = false;
        }
    }

    /// The held bytes, split off the room as a chunk of their own (which
    /// shares the room's memory), if there are any.
    fn take_held(&mut self) -> Option<Bytes> {
        if self.held == 0 {
            return None;
        }
        let chunk = self.room_buf.split_to(self.held).freeze();
        self.held = 0;
        self.pristine = false;
        Some(chunk)
    }

    /// Lets go of the room: back to the thread's spare rooms when it may
    /// go there, freed otherwise (chunks cut from it keep their part
    /// alive).
    fn release_room(&mut self) {
        let room = mem::take(&mut self.room_buf);
        if mem::take(&mut self.pristine) && self.held == 0 {
            rooms::give_back(room);
        }
    }

    /// `n` bytes were written into the room: asyncio pauses the transport
    /// once more than twice the limit is buffered.
    pub(super) fn commit(&mut self, n: usize) {
        if n >= self.offered && self.offered >= self.room {
            self.room = self.room.saturating_mul(4).min(READ_SIZE);
        }
        let n = n.min(self.offered);
        self.offered -= n;
        if n > 0 {
            self.held += n;
            self.queued += n;
        }
        if reader_core::flow::should_pause(self.queued.saturating_add(self.reader_len), self.limit)
        {
            self.paused = true;
        }
    }

    /// A receive found nothing: a quiet connection (small receives, and a
    /// reader that has read everything) keeps no receive buffer while it
    /// waits. (While the reader still holds data, the chunks it holds share
    /// the buffer's memory: a fresh buffer would only add to it.)
    pub(super) fn nothing_received(&mut self) {
        if self.queued == 0 && self.reader_len == 0 && self.room == SMALL_READ_SIZE {
            self.release_room();
        }
    }

    /// The reader holds `len` bytes now.
    pub(super) fn set_reader_len(&mut self, len: usize) {
        self.reader_len = len;
    }

    /// Takes the bytes received (the ciphertext that arrived before TLS
    /// was installed).
    pub(super) fn take_data(&mut self) -> BytesMut {
        let mut all = BytesMut::with_capacity(self.queued);
        for chunk in self.chunks.drain(..) {
            all.extend_from_slice(&chunk);
        }
        all.extend_from_slice(&self.room_buf[..self.held]);
        self.held = 0;
        self.queued = 0;
        all
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

    #[cfg(feature = "tls")]
    /// Whether the reader was given EOF or an error: nothing more is
    /// delivered after that.
    pub(super) fn ended(&self) -> bool {
        self.eof || self.error.is_some()
    }

    /// Moves everything into the reader: the bytes (without a copy), then
    /// EOF, then the error.
    pub(super) fn deliver_to(&mut self, reader: &mut Reader<StoredError>) {
        if self.queued > 0 {
            let delivered = self.queued;
            // Small amounts are copied, so that they do not pin a receive
            // buffer many times their size while the reader holds them (a
            // peer dripping bytes would multiply its memory) and the room
            // is whole again for the next receive; the rest go over
            // without a copy. Cannot fail: EOF is fed to the reader only
            // after the bytes.
            for chunk in self.chunks.drain(..) {
                let _ = if chunk.len() < SMALL_READ_SIZE {
                    reader.feed(&chunk)
                } else {
                    reader.feed_bytes(chunk)
                };
            }
            if self.held >= SMALL_READ_SIZE {
                if let Some(chunk) = self.take_held() {
                    let _ = reader.feed_bytes(chunk);
                }
            } else if self.held > 0 {
                let _ = reader.feed(&self.room_buf[..self.held]);
                self.held = 0;
            }
            self.queued = 0;
            if delivered < SMALL_READ_SIZE {
                // The peer went quiet: offer small rooms again, and let go
                // of the room (what the reader took keeps its memory alive
                // as long as it needs it; the rest goes with it). Judged
                // on all that arrived since the reader last took some, not
                // on the last receive alone: a pipelined batch often ends
                // with a small receive, and letting go of a grown buffer
                // then makes every batch allocate a fresh one.
                self.room = SMALL_READ_SIZE;
                self.release_room();
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

impl Drop for Inbox {
    /// A closed connection's room goes to the thread's spare rooms too:
    /// the next connection's first request takes it.
    fn drop(&mut self) {
        self.release_room();
    }
}
