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
use std::io::{self, Read, Write};
#[cfg(unix)]
use std::net::{Shutdown, TcpListener, TcpStream};
#[cfg(unix)]
use std::os::fd::AsRawFd;
#[cfg(unix)]
use std::sync::Arc;
#[cfg(unix)]
use std::task::Poll;
#[cfg(unix)]
use std::time::{Duration, Instant};
#[cfg(unix)]
use streams_common::connection::{Connection, HandshakeState, Phase, TlsSession, Transmit, Wake};
#[cfg(unix)]
use streams_common::reader_core::{ReadError, Reader};
#[cfg(unix)]
use streams_common::tls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
#[cfg(unix)]
use streams_common::tls::rustls::{RootCertStore, ServerConfig};
#[cfg(unix)]
use streams_common::tls::{tls_error, TlsClient, TlsError};
#[cfg(unix)]
use streams_common::write_state::{DrainEnd, DrainStart, DrainTicket};
#[cfg(unix)]
use streams_common::{Bytes, StoredError};

#[cfg(unix)]
mod apps;
#[cfg(unix)]
mod endpoint;
#[cfg(unix)]
mod runs;

#[cfg(unix)]
use apps::*;
#[cfg(unix)]
use endpoint::*;
#[cfg(unix)]
pub use runs::*;

/// Receives per socket per turn (step 8).
#[cfg(unix)]
const RECV_PER_TURN: usize = 16;
/// Transmit actions per socket per turn (step 8).
#[cfg(unix)]
const SENDS_PER_TURN: usize = 16;
/// Lines an application handles per turn (step 8).
#[cfg(unix)]
const LINES_PER_TURN: usize = 10_000;
/// The loop's iteration cap (step 8).
#[cfg(unix)]
const MAX_TURNS: usize = 1_000_000;
/// The loop's deadline (step 8).
#[cfg(unix)]
const RUN_DEADLINE: Duration = Duration::from_secs(20);

// ----- the loop ----------------------------------------------------------------

/// Runs one client and the server the listener accepts, each with its
/// application, until both connections are closed. Returns the server's
/// endpoint and the number of turns.
#[cfg(unix)]
fn drive(
    listener: &TcpListener,
    accept: &mut dyn FnMut(TcpStream) -> io::Result<Endpoint>,
    client: &mut Endpoint,
    client_app: &mut dyn App,
    server_app: &mut dyn App,
) -> io::Result<(Endpoint, usize)> {
    let started = Instant::now();
    let mut server: Option<Endpoint> = None;
    let mut turns = 0;
    loop {
        if client.is_closed() && server.as_ref().is_some_and(Endpoint::is_closed) {
            let server = server.expect("checked");
            return Ok((server, turns));
        }
        turns += 1;
        if turns > MAX_TURNS || started.elapsed() > RUN_DEADLINE {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the loop is stuck after {turns} turns: client {:?}, server {:?}",
                    client.conn,
                    server.as_ref().map(|s| &s.conn)
                ),
            ));
        }

        // Step 6: the applications. Whatever was woken gets its turn now.
        client_app.step(client);
        let _ = client.conn.take_wake();
        if let Some(ep) = server.as_mut() {
            server_app.step(ep);
            let _ = ep.conn.take_wake();
        }

        // Step 4, then step 7: news from transmitting means no sleep.
        let now = Instant::now();
        let mut news = false;
        for ep in [Some(&mut *client), server.as_mut()].into_iter().flatten() {
            ep.transmit(now);
            news |= !ep.conn.take_wake().without(Wake::DRIVER).is_empty();
        }

        // Step 2: one poll(2) over everything that waits for something.
        let mut fds: Vec<libc::pollfd> = Vec::with_capacity(3);
        if server.is_none() {
            fds.push(pollfd(listener.as_raw_fd(), libc::POLLIN));
        }
        let mut deadline = started + RUN_DEADLINE;
        for ep in [Some(&*client), server.as_ref()].into_iter().flatten() {
            if let (Some(sock), events) = (&ep.sock, ep.interest()) {
                if events != 0 {
                    fds.push(pollfd(sock.as_raw_fd(), events));
                }
            }
            if let Some(d) = ep.conn.poll_timeout() {
                deadline = deadline.min(d);
            }
        }
        let timeout = if news {
            0
        } else {
            poll_timeout_ms(deadline.saturating_duration_since(Instant::now()))
        };
        // SAFETY: `fds` is a valid, initialised array of `fds.len()` entries.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }

        // Accept, then step 3 for every socket poll(2) reported.
        let ready = |fd: libc::c_int| {
            n > 0
                && fds.iter().any(|p| {
                    p.fd == fd && p.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0
                })
        };
        if server.is_none() && ready(listener.as_raw_fd()) {
            match listener.accept() {
                Ok((sock, _)) => server = Some(accept(sock)?),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        for ep in [Some(&mut *client), server.as_mut()].into_iter().flatten() {
            if ep.sock.as_ref().is_some_and(|s| ready(s.as_raw_fd())) {
                ep.receive();
            }
        }

        // Step 5.
        let now = Instant::now();
        for ep in [Some(&mut *client), server.as_mut()].into_iter().flatten() {
            ep.check_time(now);
        }
    }
}

/// A `poll(2)` timeout in milliseconds, rounded up (rounding down would
/// wake just before the deadline and spin), at most a second.
#[cfg(unix)]
fn poll_timeout_ms(d: Duration) -> libc::c_int {
    let ms = d.as_nanos().div_ceil(1_000_000).min(1_000);
    ms as libc::c_int
}

#[cfg(unix)]
fn pollfd(fd: libc::c_int, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd,
        events,
        revents: 0,
    }
}

/// A listener on loopback and a client connected to it.
#[cfg(unix)]
fn loopback() -> io::Result<(TcpListener, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    // A blocking connect to loopback completes at once; then non-blocking.
    let client = TcpStream::connect(listener.local_addr()?)?;
    Ok((listener, client))
}

#[allow(dead_code)] // The test includes this file and calls the runs itself.
#[cfg(unix)]
fn main() -> io::Result<()> {
    let (lines, limit, high) = (2_000, 64, 4 * 1024);
    let stats = run(lines, limit, high)?;
    println!(
        "plain: {lines} lines, reader limit {limit} B, high-water mark {high} B: \
         {} replies in {} turns; drain waited {} times in the client, {} in the server; \
         the server's reader paused receiving {} times",
        stats.replies.len(),
        stats.turns,
        stats.client_drain_waits,
        stats.server_drain_waits,
        stats.server.paused
    );
    for line in stats.replies.iter().take(2) {
        println!("  {line}");
    }
    if let Some(err) = stats.replies.iter().find(|l| l.starts_with("error")) {
        println!("  {err}");
    }
    println!(
        "  client {} ({}); server {} ({})",
        stats.client.trail_text(),
        error_text(&stats.client.error),
        stats.server.trail_text(),
        error_text(&stats.server.error)
    );

    let lines = 100;
    let tls = run_tls(lines, 0)?;
    println!(
        "tls: {lines} lines echoed upper-cased over {} in {} turns ({:.0?}); first reply {:?}",
        tls.client.tls_version.unwrap_or("?"),
        tls.turns,
        tls.elapsed,
        tls.replies.first().map(String::as_str).unwrap_or("")
    );
    println!(
        "  client {} ({}); server {} ({})",
        tls.client.trail_text(),
        error_text(&tls.client.error),
        tls.server.trail_text(),
        error_text(&tls.server.error)
    );

    let timeout = Duration::from_millis(200);
    let hs = run_handshake_timeout(timeout)?;
    println!(
        "tls handshake timeout: a client that never speaks; the server gave up after {:.0?} \
         ({} turns), {}",
        hs.elapsed,
        hs.turns,
        error_text(&hs.server.error)
    );
    println!(
        "  server {}; client {} ({})",
        hs.server.trail_text(),
        hs.client.trail_text(),
        if hs.client.saw_eof {
            "saw EOF"
        } else {
            "no EOF"
        }
    );
    Ok(())
}

/// The loop waits with `poll(2)` on the sockets' descriptors: Unix only.
#[cfg(not(unix))]
fn main() {
    eprintln!("custom_executor drives its sockets with poll(2), which this platform lacks");
}
