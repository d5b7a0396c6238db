//! The program on Unix, where `poll(2)` is: the loop ([`drive`]) and the
//! runs the example makes with it (`runs.rs`), one endpoint per
//! connection (`endpoint.rs`) and its application (`apps.rs`).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};
use streams_common::connection::{Connection, HandshakeState, Phase, TlsSession, Transmit, Wake};
use streams_common::reader_core::{ReadError, Reader};
use streams_common::tls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use streams_common::tls::rustls::{RootCertStore, ServerConfig};
use streams_common::tls::{tls_error, TlsClient, TlsError};
use streams_common::write_state::{DrainEnd, DrainStart, DrainTicket};
use streams_common::{Bytes, StoredError};

#[path = "apps.rs"]
mod apps;
#[path = "endpoint.rs"]
mod endpoint;
#[path = "runs.rs"]
mod runs;

use apps::*;
use endpoint::*;
pub use runs::*;

/// Receives per socket per turn (step 8).
const RECV_PER_TURN: usize = 16;
/// Transmit actions per socket per turn (step 8).
const SENDS_PER_TURN: usize = 16;
/// Lines an application handles per turn (step 8).
const LINES_PER_TURN: usize = 10_000;
/// The loop's iteration cap (step 8).
const MAX_TURNS: usize = 1_000_000;
/// The loop's deadline (step 8).
const RUN_DEADLINE: Duration = Duration::from_secs(20);

// ----- the loop ----------------------------------------------------------------

/// Runs one client and the server the listener accepts, each with its
/// application, until both connections are closed. Returns the server's
/// endpoint and the number of turns.
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
fn poll_timeout_ms(d: Duration) -> libc::c_int {
    let ms = d.as_nanos().div_ceil(1_000_000).min(1_000);
    ms as libc::c_int
}

fn pollfd(fd: libc::c_int, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd,
        events,
        revents: 0,
    }
}

/// A listener on loopback and a client connected to it.
fn loopback() -> io::Result<(TcpListener, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    // A blocking connect to loopback completes at once; then non-blocking.
    let client = TcpStream::connect(listener.local_addr()?)?;
    Ok((listener, client))
}

/// The demo: the three runs, reported.
pub fn demo() -> io::Result<()> {
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
