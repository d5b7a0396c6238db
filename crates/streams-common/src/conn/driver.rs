//! The driver task: performs the system calls the [`Connection`] asks for
//! and arms the one timer it names. Nothing else.
//!
//! It talks to a kernel socket ([`Socket`]) or to a generic transport
//! ([`Halves`](super::Halves)) through [`Drive`]; the exchange with the core is the same
//! code for both, compiled once for each.
//!
//! [`Connection`]: crate::connection::Connection

use super::{set_waker, Shared, StateGuard};
use crate::connection::{Connection, Phase, Transmit};
use crate::runtime::{poll_io, Socket};
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

/// How many receives (and, separately, sends) the driver makes in one turn
/// before it yields to other tasks.
const IO_PER_TURN: usize = 16;
/// How many receive-then-transmit rounds one turn makes at most: sending a
/// TLS handshake flight can make rustls want to read again.
const ROUNDS_PER_TURN: usize = 4;

/// What the driver does with a transport: what the core's inputs and
/// outputs become.
pub(super) trait Drive {
    /// Whether a receive may find data (see [`Socket::poll_recv_ready`]).
    fn poll_recv_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// One receive into `buf`; `Ready(Ok(0))` is EOF.
    fn poll_recv(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
    /// One send of (part of) `buf`.
    fn poll_send(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
    /// Pushes out what the transport buffers itself, once the core has
    /// nothing more to send (a socket buffers nothing of its own).
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// Shuts the write direction down (`write_eof`).
    fn poll_shutdown_write(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// Tries once to send `bytes` before the transport is closed; the
    /// result does not matter.
    fn farewell(&mut self, cx: &mut Context<'_>, bytes: &[u8]);
}

impl Drive for dyn Socket {
    #[inline]
    fn poll_recv_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Socket::poll_recv_ready(self, cx)
    }
    #[inline]
    fn poll_recv(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Socket::poll_recv(self, cx, buf)
    }
    #[inline]
    fn poll_send(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let sock = &*self;
        poll_io(cx, |cx| sock.poll_write_ready(cx), || sock.try_write(buf))
    }
    #[inline]
    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown_write(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.sock_ref().shutdown(std::net::Shutdown::Write))
    }
    fn farewell(&mut self, _cx: &mut Context<'_>, bytes: &[u8]) {
        let _ = self.try_write(bytes);
    }
}

/// Where one round of I/O left the driver.
enum Round {
    /// The transport is closed: the driver is done.
    Closed,
    /// Waiting: every wake-up it needs is registered.
    Waiting,
    /// The core wants to receive again right away.
    Again,
}

impl Shared {
    /// One turn of the driver.
    pub(super) fn poll_drive(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = self.lock();
        st.driver_turn = true;
        set_waker(&mut st.wakers.driver, cx);
        let now = Instant::now();
        loop {
            let mut round = Round::Again;
            for _ in 0..ROUNDS_PER_TURN {
                round = self.round(&mut st, cx, now);
                if !matches!(round, Round::Again) {
                    break;
                }
            }
            match round {
                Round::Closed => return self.finish(st),
                Round::Again => {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Round::Waiting => {}
            }
            if !self.timer_fired(&mut st, cx, now) {
                return Poll::Pending;
            }
        }
    }

    /// Receives while the core wants to, then transmits what it says.
    fn round(&self, st: &mut StateGuard<'_>, cx: &mut Context<'_>, now: Instant) -> Round {
        let st = &mut **st;
        if let Some(sock) = st.sock.as_deref_mut() {
            return match exchange(&mut st.core, sock, cx, now, &self.reader_len) {
                Exchange::Round(round) => round,
                Exchange::Close => {
                    st.sock = None; // closes the socket
                    st.core.handle_closed();
                    Round::Closed
                }
            };
        }
        let Some(io) = st.generic.as_deref_mut() else {
            st.core.handle_closed();
            return Round::Closed;
        };
        if io.is_closing() {
            // A graceful close: flush and shut down, then drop.
            if io.poll_close(cx).is_pending() {
                return Round::Waiting;
            }
            st.generic = None;
            st.core.handle_closed();
            return Round::Closed;
        }
        match exchange(&mut st.core, io, cx, now, &self.reader_len) {
            Exchange::Round(round) => {
                if io.one_way_done() && !st.core.is_closing() {
                    // A reader alone ends at EOF, a writer alone at
                    // write_eof (asyncio's pipe transports).
                    st.core.close();
                    return Round::Again;
                }
                round
            }
            Exchange::Close => {
                // Closed by close() (flushed): shut down, then drop; by
                // abort() or an error: drop now.
                let graceful = st.core.lost_error().is_none();
                if io.start_close(graceful) {
                    return Round::Again;
                }
                st.generic = None;
                st.core.handle_closed();
                Round::Closed
            }
        }
    }

    /// Sends what a write just buffered, from the writer, when it is a
    /// reply: the first write since the reader consumed all its input, on
    /// a plain open connection with nothing more received. asyncio's
    /// `write` sends at once whenever nothing was buffered; doing it only
    /// for replies keeps the batching of the driver's turn for a stream of
    /// writes and for the replies to pipelined requests (the last reply
    /// of a batch finds the rest buffered, and the driver sends them all),
    /// as a hand-written server flushes once no input is left. When all of
    /// it went out, the driver is not woken: a request costs one driver
    /// turn (its receive) instead of two. Anything else (TLS, closing, a
    /// send that would block or fails) is left to the driver, which the
    /// write wakes as before.
    pub(super) fn send_now(&self, st: &mut StateGuard<'_>) {
        if !self.input_drained.load(Ordering::Relaxed) {
            return;
        }
        self.input_drained.store(false, Ordering::Relaxed);
        if self.reader_len.load(Ordering::Relaxed) != 0 {
            // The reader took more input since: more replies will follow.
            return;
        }
        let state = &mut **st;
        if state.core.is_tls()
            || state.core.phase() != Phase::Open
            || state.core.received_len() != 0
        {
            return;
        }
        let Some(sock) = state.sock.as_deref() else {
            return;
        };
        // Unused by a plain open connection (it anchors TLS and lingering
        // deadlines), but the core's API takes it.
        let now = Instant::now();
        loop {
            match state.core.poll_transmit(now) {
                Transmit::Send(pending) => match sock.try_write(pending) {
                    Ok(n) => state.core.handle_sent(n),
                    Err(_) => return,
                },
                Transmit::Idle => break,
                _ => return,
            }
        }
        // Everything was sent: the write's wake of the driver is moot.
        st.driver_turn = true;
    }

    /// Arms the runtime timer for the core's deadline; returns whether it
    /// fired (the core has then been told the time).
    fn timer_fired(&self, st: &mut StateGuard<'_>, cx: &mut Context<'_>, now: Instant) -> bool {
        let Some(deadline) = st.core.poll_timeout() else {
            st.timer = None;
            return false;
        };
        if st.timer.as_ref().map(|t| t.0) != Some(deadline) {
            let sleep = self.rt.sleep(deadline.saturating_duration_since(now));
            st.timer = Some((deadline, sleep));
        }
        let Some((_, timer)) = st.timer.as_mut() else {
            return false;
        };
        if timer.as_mut().poll(cx).is_pending() {
            return false;
        }
        st.timer = None;
        st.core.handle_timeout(Instant::now().max(deadline));
        true
    }

    /// Ends the driver: the socket is closed; waiters wake as the guard is
    /// released, then the hook runs.
    fn finish(&self, mut st: StateGuard<'_>) -> Poll<()> {
        st.timer = None;
        let hook = st.on_finished.take();
        drop(st);
        if let Some(hook) = hook {
            hook();
        }
        Poll::Ready(())
    }
}

/// How one exchange with the core ended.
enum Exchange {
    /// The round is over.
    Round(Round),
    /// The core said [`Transmit::Close`] (the farewell was tried): the
    /// caller closes the transport and reports it.
    Close,
}

/// Receives while the core wants to, then transmits what it says, over
/// `io`.
#[inline]
fn exchange<D: Drive + ?Sized>(
    core: &mut Connection,
    io: &mut D,
    cx: &mut Context<'_>,
    now: Instant,
    reader_len: &AtomicUsize,
) -> Exchange {
    // Receive, while the reader wants data.
    let mut registered = false;
    let mut budget = IO_PER_TURN;
    while core.wants_recv() {
        if budget == 0 {
            cx.waker().wake_by_ref();
            registered = true;
            break;
        }
        budget -= 1;
        core.set_reader_len(reader_len.load(Ordering::Relaxed));
        // No receive while the last one showed the transport drained,
        // until it reports data: a turn woken by a write makes none (nor
        // takes room for one).
        let received = match io.poll_recv_ready(cx) {
            Poll::Ready(Ok(())) => match core.recv_room() {
                Some(room) => io.poll_recv(cx, room),
                None => break,
            },
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        };
        match received {
            Poll::Ready(Ok(0)) => core.handle_eof(),
            Poll::Ready(Ok(n)) => core.handle_received(n),
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
            Poll::Ready(Err(e)) => {
                crate::diag::debug!("receive failed: {e}");
                core.handle_error(e);
            }
            Poll::Pending => {
                // Nothing to read: a quiet connection gives its receive
                // buffer back while it waits.
                core.handle_nothing_received();
                registered = true;
                break;
            }
        }
    }

    // Send, shut down, or close.
    let mut budget = IO_PER_TURN;
    loop {
        match core.poll_transmit(now) {
            Transmit::Idle => match io.poll_flush(cx) {
                Poll::Ready(Err(e)) => {
                    crate::diag::debug!("flush failed: {e}");
                    core.handle_error(e);
                }
                _ => break,
            },
            Transmit::Send(pending) => {
                if budget == 0 {
                    cx.waker().wake_by_ref();
                    return Exchange::Round(Round::Waiting);
                }
                budget -= 1;
                match io.poll_send(cx, pending) {
                    Poll::Ready(Ok(n)) => core.handle_sent(n),
                    Poll::Ready(Err(e)) => {
                        crate::diag::debug!("Fatal write error on socket transport: {e}");
                        core.handle_error(e);
                    }
                    Poll::Pending => break,
                }
            }
            Transmit::ShutdownWrite => match io.poll_shutdown_write(cx) {
                Poll::Ready(Ok(())) => core.handle_write_shut(),
                Poll::Ready(Err(e)) => core.handle_error(e),
                Poll::Pending => break,
            },
            Transmit::Close { farewell } => {
                if !farewell.is_empty() {
                    // Best effort, once: the peer may learn why.
                    io.farewell(cx, farewell);
                }
                return Exchange::Close;
            }
        }
    }
    if registered || !core.wants_recv() {
        Exchange::Round(Round::Waiting)
    } else {
        Exchange::Round(Round::Again)
    }
}
