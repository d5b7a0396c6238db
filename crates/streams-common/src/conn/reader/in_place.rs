//! Reading in place: the buffered bytes lent out and consumed, or copied
//! into a slice. What the standard I/O traits (`AsyncRead`,
//! `AsyncBufRead`) are built on, for every trait family alike.

use super::StreamReader;
use crate::error::ReadError;
use std::task::{ready, Context, Poll};

impl StreamReader {
    /// The buffered bytes, lent in place (`AsyncBufRead::poll_fill_buf`):
    /// not empty while anything is buffered, empty at EOF, the stored error
    /// once there is one; pending (and woken) until one of those holds.
    /// Consumes nothing, so it is cancel-safe.
    pub(crate) fn poll_fill_buf(&mut self, cx: &mut Context<'_>) -> Poll<Result<&[u8], ReadError>> {
        // Waits (and takes what arrives) through the common path, which
        // keeps the flow-control bookkeeping in one place...
        ready!(self.poll_op(cx, |r| r.fill_buf().map_ok(|_| ())))?;
        // ...then lends: the core's state did not change since it answered
        // ready, so it answers ready again.
        match self.core.fill_buf() {
            Poll::Ready(r) => Poll::Ready(r),
            Poll::Pending => {
                // Unreachable; if it were not, a retry is the safe answer.
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    /// Consumes `n` bytes of what [`poll_fill_buf`](Self::poll_fill_buf)
    /// lent (`AsyncBufRead::consume`).
    pub(crate) fn consume_buffered(&mut self, n: usize) {
        let was_paused = self.core.reading_paused();
        self.core.discard(n);
        Self::settle(&self.shared, &self.core, &mut self.published, was_paused);
    }

    /// Copies buffered bytes out (`AsyncRead::poll_read`): `put` copies
    /// what fits of the slice it is given and says how many bytes it took;
    /// those are consumed in the same call, so a read that is dropped
    /// before it is ready consumes nothing. 0 at EOF.
    pub(crate) fn poll_read_with(
        &mut self,
        cx: &mut Context<'_>,
        mut put: impl FnMut(&[u8]) -> usize,
    ) -> Poll<Result<usize, ReadError>> {
        self.poll_op(cx, |r| {
            let n = match ready!(r.fill_buf()) {
                Ok(buffered) => put(buffered),
                Err(e) => return Poll::Ready(Err(e)),
            };
            r.discard(n);
            Poll::Ready(Ok(n))
        })
    }
}
