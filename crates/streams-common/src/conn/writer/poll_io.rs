//! The writer as the standard `AsyncWrite` traits see it: a write that
//! waits as `drain()` does, a flush, a shutdown. Shared by every trait
//! family; the impls are in `conn/io_traits`.

use super::StreamWriter;
use crate::conn::register;
use crate::error::{connection_lost, stored_io_error};
use crate::write_state::{DrainEnd, DrainStart};
use std::io::{self, IoSlice};
use std::sync::atomic::Ordering;
use std::task::{ready, Context, Poll};

/// How many slices a vectored write takes at most (on the stack; a write
/// may take fewer than it is given).
const MAX_SLICES: usize = 32;

impl StreamWriter {
    /// Waits as `drain()` does, then: `Ok(true)` when a write may go in now.
    /// Below the high-water mark that is at once; above it, pending until
    /// the buffer is down to the low-water mark (the drain's ticket is kept
    /// across polls, so a write that is dropped and retried waits for the
    /// same resume). Fails as `drain()` fails: with the error the
    /// connection ended with, or `Connection lost` once it is over.
    fn poll_room(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut st = self.shared.lock();
        if let Some(ticket) = self.io_wait {
            match st.core.drain_poll(ticket) {
                None => {
                    register(&mut st.wakers.drain, cx);
                    return Poll::Pending;
                }
                Some(DrainEnd::Err(e)) => {
                    self.io_wait = None;
                    return Poll::Ready(Err(stored_io_error(&e)));
                }
                // Resumed (or ended without an error: the start rule below
                // then reports the loss).
                Some(DrainEnd::Ok) => self.io_wait = None,
            }
        }
        match st.core.drain_start() {
            Err(e) => Poll::Ready(Err(stored_io_error(&e))),
            Ok(DrainStart::Lost) => Poll::Ready(Err(connection_lost())),
            Ok(DrainStart::Ready) => Poll::Ready(Ok(())),
            Ok(DrainStart::Wait(ticket)) => {
                self.io_wait = Some(ticket);
                register(&mut st.wakers.drain, cx);
                Poll::Pending
            }
        }
    }

    /// `AsyncWrite::poll_write` (and, with several slices, the vectored
    /// one): buffers all of `bufs` as one write once
    /// [`poll_room`](Self::poll_room) allows, and returns its length.
    pub(crate) fn poll_write_slices(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[&[u8]],
    ) -> Poll<io::Result<usize>> {
        let total = bufs.iter().map(|b| b.len()).sum::<usize>();
        if total == 0 {
            return Poll::Ready(Ok(0));
        }
        // The fast path: not paused, no error (one atomic load).
        if self.io_wait.is_some() || !self.shared.drain_ready.load(Ordering::Acquire) {
            ready!(self.poll_room(cx))?;
        }
        let r = match bufs {
            [one] => self.shared.lock().core.write(one),
            many => self.shared.lock().core.writelines(many),
        };
        Self::after_write(r)?;
        Poll::Ready(Ok(total))
    }

    /// `AsyncWrite::poll_write_vectored`: the first [`MAX_SLICES`]
    /// non-empty slices, as one write, without allocating.
    pub(crate) fn poll_write_io_slices(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut slices: [&[u8]; MAX_SLICES] = [&[]; MAX_SLICES];
        let mut n = 0;
        for (slot, buf) in slices.iter_mut().zip(bufs.iter().filter(|b| !b.is_empty())) {
            *slot = buf;
            n += 1;
        }
        self.poll_write_slices(cx, &slices[..n])
    }

    /// `AsyncWrite::poll_flush`: waits until everything written has been
    /// handed to the socket. Fails as `drain()` does: with the error the
    /// connection ended with, or `Connection lost` once it is over.
    pub(crate) fn poll_flush_io(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut st = self.shared.lock();
        match st.core.drain_start() {
            Err(e) => return Poll::Ready(Err(stored_io_error(&e))),
            Ok(DrainStart::Lost) => return Poll::Ready(Err(connection_lost())),
            Ok(_) => {}
        }
        if st.core.is_flushed() {
            return Poll::Ready(Ok(()));
        }
        st.core.wake_when_flushed();
        register(&mut st.wakers.drain, cx);
        Poll::Pending
    }

    /// `AsyncWrite::poll_shutdown` (futures' `poll_close`): `write_eof()`
    /// where the transport can half-close, `close()` where it cannot (TLS);
    /// then waits until our side is finished: the buffer sent and the FIN
    /// out, or over TLS our close_notify sent. Fails with the error the
    /// connection ended with, if any; a connection already over without one
    /// is shut down.
    pub(crate) fn poll_shutdown_io(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut st = self.shared.lock();
        if st.core.is_tls() {
            st.core.close();
        } else {
            // Cannot fail without TLS; a no-op when closing or repeated.
            let _ = st.core.write_eof();
        }
        if let Some(e) = st.core.lost_error() {
            return Poll::Ready(Err(stored_io_error(e)));
        }
        if st.core.is_write_shut() {
            return Poll::Ready(Ok(()));
        }
        st.core.wake_when_flushed();
        register(&mut st.wakers.drain, cx);
        Poll::Pending
    }
}
