//! The streams core in your own executor: no async runtime at all.
//!
//! `cargo run -p streams-common --example custom_executor`
//!
//! A hand-written event loop over non-blocking `std::net` sockets and
//! `poll(2)` drives the same sans-IO [`Connection`] the Tokio, smol and
//! async-std adapters drive: the write buffer and its water marks, flow
//! control towards the reader, `write_eof`, `close`, connection loss, and
//! TLS with its handshake and shutdown deadlines all live in the core. The
//! loop only makes system calls; the applications (a line server that
//! answers each line upper-cased, and its client) run between turns. Three
//! runs, each a server and a client in the one loop over loopback:
//!
//! - [`run`]: plain TCP, a small reader limit (one line goes over it) and a
//!   small high-water mark, so both flow controls work;
//! - [`run_tls`]: the same server over TLS (a throwaway CA from rcgen),
//!   then a clean TLS shutdown, close_notify both ways;
//! - [`run_handshake_timeout`]: a client that connects and never speaks;
//!   the server's handshake deadline, armed as the `poll(2)` timeout, ends
//!   its connection with `TlsError::HandshakeTimeout`.
//!
//! # The steps, for embedding the core in your own executor
//!
//! 1. **One connection = a non-blocking socket + a `Connection` + the
//!    application's `Reader`.** `Connection::new(limit)`, or
//!    `Connection::with_tls(limit, TlsSession::server(..) / client(..),
//!    now)`. The core decides everything asyncio's transport and protocol
//!    decide; the application reads from its own `reader_core::Reader`,
//!    so reading what already arrived needs nothing from the core.
//! 2. **Poll for what the core wants, and nothing else.** `POLLIN` while
//!    `conn.wants_recv()`: it is false while the reader is over its limit
//!    (asyncio's `pause_reading()`, the backpressure that keeps a peer
//!    from filling memory), after EOF, once a plain connection is closing,
//!    and while TLS has something to send first. `POLLOUT` while `poll_transmit` said `Send`
//!    and the socket would block. The timeout is `conn.poll_timeout()`
//!    (the TLS handshake or shutdown deadline): the core has no clock, so
//!    the loop is its timer.
//! 3. **Readable: receive into the core.** `recv` into `conn.recv_room()`,
//!    then `handle_received(n)`, `handle_eof()` for 0 bytes, or
//!    `handle_error(e)`; `WouldBlock` means "poll again". Over TLS the core
//!    decrypts, and queues the handshake's answers for step 4.
//! 4. **Transmit what `conn.poll_transmit(now)` says, until `Idle` or
//!    `WouldBlock`.** `Send(bytes)`: `send`, then `handle_sent(n)`.
//!    `ShutdownWrite`: `shutdown(Write)`, then `handle_write_shut()`.
//!    `Close { farewell }`: try one `send` of `farewell` (a TLS alert),
//!    close the socket, `handle_closed()`: the connection is `Closed`.
//!    This is the only way a socket gets closed, so close, abort, errors
//!    and TLS shutdown all end the same way.
//! 5. **Time: after `poll(2)`, `handle_timeout(Instant::now())`** once
//!    the deadline passed. An expired deadline ends the connection with
//!    `TlsError::HandshakeTimeout` or `ShutdownTimeout`; the next
//!    `poll_transmit` says `Close`.
//! 6. **Run the application between turns.** `conn.sync_reader(&mut
//!    reader)` moves what arrived (bytes without a copy, then EOF or the
//!    error); `reader.readline()` is `Ready` or `Pending` (nothing
//!    consumed: try again next turn); then `conn.reader_len(reader.len(),
//!    reader.reading_paused())` tells the core the reader made room, so
//!    receiving resumes. `conn.write(..)` only buffers. Above the
//!    high-water mark `conn.drain_start()` says `Wait(ticket)`: stop
//!    producing until `conn.drain_poll(ticket)` answers, exactly where an
//!    async program awaits `drain()`. `close()` and `write_eof()` are
//!    commands; steps 3-5 carry them out.
//! 7. **Waking is not sleeping.** `conn.take_wake()` names who has news.
//!    In one thread the application runs every turn anyway, so what
//!    matters is news made by the transmit step itself (a drain that may
//!    go on, a reader that got EOF): then poll with a zero timeout.
//! 8. **Bound everything.** Each turn receives and sends a bounded number
//!    of times per socket; the loop has an iteration cap and a deadline,
//!    so a stuck peer fails the run instead of hanging it.

#[cfg(unix)]
mod poll_loop;

#[cfg(unix)]
pub use poll_loop::*;

#[allow(dead_code)] // The test includes this file and calls the runs itself.
#[cfg(unix)]
fn main() -> std::io::Result<()> {
    poll_loop::demo()
}

/// The loop waits with `poll(2)` on the sockets' descriptors: Unix only.
#[cfg(not(unix))]
fn main() {
    eprintln!("custom_executor drives its sockets with poll(2), which this platform lacks");
}
