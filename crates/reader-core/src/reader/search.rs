//! The separator search under `readuntil` and `readline`: asyncio's
//! verdicts (found, limit overrun, wait, EOF) over a buffer that may be
//! several segments, and `readline`'s recovery after an over-long line.

use super::{Reader, Until};
use crate::error::ReadError;
use crate::separators::{find, may_find_in, Found, Separators};
use core::task::Poll;

impl<E> Reader<E> {
    /// asyncio's `readuntil` loop body, without consuming anything.
    ///
    /// asyncio searches its whole buffer; this searches the buffer's
    /// contiguous front (all of it, unless `feed_bytes` queued chunks),
    /// which gives the same answer whenever a separator lies inside it: the
    /// earliest-ending match in a prefix is the earliest-ending match.
    /// [`beyond_front`](Self::beyond_front) handles the rest.
    #[inline(always)]
    pub(super) fn until(&mut self, seps: Separators<'_>) -> Poll<Result<Until, ReadError<E>>> {
        let from = self.memo.start(seps);
        if let Some(found) = find(self.buf.front(), from, seps) {
            return self.found(found);
        }
        self.beyond_front(seps)
    }

    /// The common case of [`until`](Self::until), for the borrowing reads:
    /// a separator in the front, within the limit; the length of the chunk
    /// it ends. On `None`, `until` decides, searching the front again from
    /// the same offset: an empty front, or a chunk's last partial line, so
    /// a few bytes once per chunk.
    #[inline(always)]
    pub(super) fn line_in_front(&self, seps: Separators<'_>) -> Option<usize> {
        let found = find(self.buf.front(), self.memo.start(seps), seps)?;
        (found.start <= self.limit).then_some(found.end)
    }

    /// asyncio's verdict on the earliest-ending separator of the buffer.
    #[inline(always)]
    pub(super) fn found(&self, found: Found) -> Poll<Result<Until, ReadError<E>>> {
        if found.start > self.limit {
            return Poll::Ready(Err(ReadError::LimitOverrun {
                consumed: found.start,
                separator_found: true,
            }));
        }
        Poll::Ready(Ok(Until::Chunk(found.end)))
    }

    /// No separator in the front: while segments remain behind it, grow
    /// the front and search again; then asyncio's not-found rule, on the
    /// whole buffer. Runs once per chunk rather than once per line.
    ///
    /// Each pass copies the next segment up to the end of the first
    /// separator wholly inside it (all of it when there is none): a
    /// separator straddling the boundary ends before that point or loses to
    /// the one ending there (earliest end wins, the shorter on a tie), so
    /// the grown front holds the buffer's answer, and a line straddling two
    /// chunks is copied once. Passes stop only at a separator or when no
    /// segment is left, which keeps asyncio's limit errors exact: they are
    /// computed over the whole buffer (`consumed` is its length when no
    /// separator is found). A front that would outgrow `limit + longest`
    /// can only end in such an error, so it takes every segment in one
    /// exactly sized copy instead of pass by pass (cold).
    #[inline(never)]
    pub(super) fn beyond_front(
        &mut self,
        seps: Separators<'_>,
    ) -> Poll<Result<Until, ReadError<E>>> {
        // No separator anywhere (a line still arriving, or a peer's
        // endless one): the verdict needs only the length, so nothing is
        // copied, and the chunks a discarded line was made of are freed
        // as they are, without first growing the owned region to hold
        // them all.
        if !may_find_in(self.buf.segments(), self.memo.start(seps), seps) {
            return self.no_separator(seps);
        }
        let longest = seps.longest();
        loop {
            let Some(next) = self.buf.next_segment() else {
                return self.no_separator(seps);
            };
            let front_len = self.buf.front().len();
            // No separator starts before this offset, whatever follows.
            // Remembered at every pass, so that many small segments cost
            // O(n), not O(n²).
            self.memo
                .remember(seps, (front_len + 1).saturating_sub(longest));
            let k = find(next, 0, seps).map_or(next.len(), |f| f.end);
            if front_len.saturating_add(k) > self.limit.saturating_add(longest) {
                self.buf.make_contiguous();
            } else {
                self.buf.pull(k);
            }
            if let Some(found) = find(self.buf.front(), self.memo.start(seps), seps) {
                return self.found(found);
            }
        }
    }

    /// The rest of [`until`](Self::until): no separator in the buffer, which
    /// is all in the front.
    pub(super) fn no_separator(
        &mut self,
        seps: Separators<'_>,
    ) -> Poll<Result<Until, ReadError<E>>> {
        // No separator can start before this offset any more, even after
        // more data: asyncio's next search offset, and its limit check.
        let offset = (self.buf.len() + 1).saturating_sub(seps.longest());
        self.memo.remember(seps, offset);
        if offset > self.limit {
            return Poll::Ready(Err(ReadError::LimitOverrun {
                consumed: offset,
                separator_found: false,
            }));
        }
        if self.eof {
            return Poll::Ready(Ok(Until::Eof));
        }
        self.wait()
    }

    /// `readline`: `readuntil(b"\n")` plus asyncio's recovery after an
    /// over-long line.
    #[inline(always)]
    pub(super) fn line(&mut self) -> Poll<Result<Until, ReadError<E>>> {
        match self.until(Separators::One(b"\n")) {
            Poll::Ready(Err(ReadError::LimitOverrun {
                consumed,
                separator_found,
            })) => {
                let discarded = if separator_found {
                    consumed + 1
                } else {
                    self.buf.len()
                };
                self.buf.consume(discarded);
                self.consumed();
                Poll::Ready(Err(ReadError::LineTooLong {
                    discarded,
                    separator_found,
                }))
            }
            other => other,
        }
    }
}
