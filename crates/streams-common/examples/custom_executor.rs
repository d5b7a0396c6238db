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

// ----- one connection -----------------------------------------------------

/// One connection (step 1): a non-blocking socket, the core, and the
/// application's reader.
pub struct Endpoint {
    /// `None` once the core said `Close`.
    sock: Option<TcpStream>,
    conn: Connection,
    reader: Reader<StoredError>,
    /// The last transmit stopped on a full socket: wait for `POLLOUT`.
    send_blocked: bool,
    /// Every phase the connection was seen in, in order.
    trail: Vec<Phase>,
    /// A read returned EOF (rather than an error).
    saw_eof: bool,
    /// Receive steps that ended with the core refusing more for the
    /// reader's sake (flow control).
    paused: usize,
}

impl Endpoint {
    fn new(sock: TcpStream, conn: Connection) -> io::Result<Endpoint> {
        sock.set_nonblocking(true)?;
        let reader = Reader::new(conn.limit()).map_err(|e| io::Error::other(e.to_string()))?;
        let trail = vec![conn.phase()];
        Ok(Endpoint {
            sock: Some(sock),
            conn,
            reader,
            send_blocked: false,
            trail,
            saw_eof: false,
            paused: 0,
        })
    }

    fn is_closed(&self) -> bool {
        self.conn.is_closed()
    }

    /// Records the phase if it changed.
    fn note(&mut self) {
        let phase = self.conn.phase();
        if self.trail.last() != Some(&phase) {
            self.trail.push(phase);
        }
    }

    /// Step 2: what to poll the socket for.
    fn interest(&self) -> libc::c_short {
        let mut events = 0;
        if self.conn.wants_recv() {
            events |= libc::POLLIN;
        }
        if self.send_blocked {
            events |= libc::POLLOUT;
        }
        events
    }

    /// Step 3: receive while the core has room.
    fn receive(&mut self) {
        for _ in 0..RECV_PER_TURN {
            let Some(mut sock) = self.sock.as_ref() else {
                return;
            };
            let Some(room) = self.conn.recv_room() else {
                break;
            };
            match sock.read(room) {
                Ok(0) => self.conn.handle_eof(),
                Ok(n) => self.conn.handle_received(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => self.conn.handle_error(e),
            }
        }
        if self.conn.is_reading_paused() {
            self.paused += 1;
        }
        self.note();
    }

    /// Step 4: send, shut down or close, as the core says.
    fn transmit(&mut self, now: Instant) {
        self.send_blocked = false;
        for _ in 0..SENDS_PER_TURN {
            let Some(mut sock) = self.sock.as_ref() else {
                return;
            };
            let again = match self.conn.poll_transmit(now) {
                Transmit::Idle => false,
                Transmit::Send(bytes) => match sock.write(bytes) {
                    Ok(n) => {
                        self.conn.handle_sent(n);
                        true
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        self.send_blocked = true;
                        false
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => true,
                    Err(e) => {
                        self.conn.handle_error(e);
                        true
                    }
                },
                Transmit::ShutdownWrite => {
                    match sock.shutdown(Shutdown::Write) {
                        Ok(()) => self.conn.handle_write_shut(),
                        Err(e) => self.conn.handle_error(e),
                    }
                    true
                }
                Transmit::Close { farewell } => {
                    if !farewell.is_empty() {
                        // Best effort, once: the peer may learn why.
                        let _ = sock.write(farewell);
                    }
                    self.note(); // Lost
                    self.sock = None; // closes the socket
                    self.conn.handle_closed();
                    false
                }
            };
            self.note();
            if !again {
                return;
            }
        }
        // Out of budget with more to send: POLLOUT brings us straight back.
        self.send_blocked = true;
    }

    /// Step 5: a deadline that passed takes effect.
    fn check_time(&mut self, now: Instant) {
        if self.conn.poll_timeout().is_some_and(|d| now >= d) {
            self.conn.handle_timeout(now);
            self.note();
        }
    }

    /// Step 6: one `readline` on the application's reader.
    fn readline(&mut self) -> Poll<Result<Bytes, ReadError<StoredError>>> {
        // What arrived moves to the reader first.
        self.conn.sync_reader(&mut self.reader);
        let r = self.reader.readline();
        // The reader consumed some (or waits): flow control follows it.
        self.conn
            .reader_len(self.reader.len(), self.reader.reading_paused());
        if matches!(&r, Poll::Ready(Ok(line)) if line.is_empty()) {
            self.saw_eof = true;
        }
        r
    }

    /// How the connection ended.
    fn ending(&self) -> Ending {
        Ending {
            trail: self.trail.clone(),
            handshake: self.conn.handshake(),
            error: self.conn.lost_error().cloned(),
            saw_eof: self.saw_eof,
            paused: self.paused,
            tls_version: self.conn.tls_info().and_then(|i| i.version_name()),
        }
    }
}

/// asyncio's `drain()` for an application that cannot await: whether it
/// may produce more now (step 6).
#[derive(Default)]
struct Drain {
    waiting: Option<DrainTicket>,
    /// How many times a drain had to wait.
    waits: usize,
}

impl Drain {
    fn ready(&mut self, conn: &Connection) -> io::Result<bool> {
        if let Some(ticket) = self.waiting {
            match conn.drain_poll(ticket) {
                None => return Ok(false),
                Some(DrainEnd::Ok) => self.waiting = None,
                Some(DrainEnd::Err(e)) => return Err(streams_common::clone_io_error(&e)),
            }
        }
        match conn.drain_start() {
            Err(e) => Err(streams_common::clone_io_error(&e)),
            Ok(DrainStart::Ready) => Ok(true),
            Ok(DrainStart::Lost) => Err(streams_common::connection_lost()),
            Ok(DrainStart::Wait(ticket)) => {
                self.waiting = Some(ticket);
                self.waits += 1;
                Ok(false)
            }
        }
    }
}

// ----- the applications -----------------------------------------------------

/// The application on one end: what runs between turns, where an async
/// program's tasks would run. It never blocks: reads answer `Pending`,
/// writes only buffer.
trait App {
    fn step(&mut self, ep: &mut Endpoint);
}

/// The server: each line back upper-cased; an over-long line answered
/// with the error's text; at EOF (or an error), close.
#[derive(Default)]
struct LineServer {
    drain: Drain,
    done: bool,
}

impl App for LineServer {
    fn step(&mut self, ep: &mut Endpoint) {
        for _ in 0..LINES_PER_TURN {
            if self.done {
                return;
            }
            match self.drain.ready(&ep.conn) {
                Ok(true) => {}
                // Above the high-water mark: an async handler would be
                // waiting in `drain()` here.
                Ok(false) => return,
                Err(_) => return self.finish(ep),
            }
            match ep.readline() {
                Poll::Pending => return,
                Poll::Ready(Ok(line)) if line.is_empty() => return self.finish(ep),
                Poll::Ready(Ok(line)) => {
                    let _ = ep.conn.write(&line.to_ascii_uppercase());
                }
                Poll::Ready(Err(e @ ReadError::LineTooLong { .. })) => {
                    let _ = ep.conn.write(format!("error: {e}\n").as_bytes());
                }
                Poll::Ready(Err(_)) => return self.finish(ep),
            }
        }
    }
}

impl LineServer {
    fn finish(&mut self, ep: &mut Endpoint) {
        self.done = true;
        ep.conn.close();
        ep.note();
    }
}

/// What the client does once its script is written.
enum Then {
    /// `write_eof()`, then read until EOF, then close.
    WriteEof,
    /// Close after this many replies, then read until EOF.
    CloseAfter(usize),
    /// Nothing: read until EOF (or an error), then close.
    Wait,
}

/// The client: writes its script, respecting `drain()`, and collects the
/// replies.
struct LineClient {
    script: std::vec::IntoIter<String>,
    then: Then,
    drain: Drain,
    replies: Vec<String>,
    eof_written: bool,
    closed: bool,
    read_done: bool,
}

impl LineClient {
    fn new(script: Vec<String>, then: Then) -> LineClient {
        LineClient {
            script: script.into_iter(),
            then,
            drain: Drain::default(),
            replies: Vec::new(),
            eof_written: false,
            closed: false,
            read_done: false,
        }
    }

    fn close(&mut self, ep: &mut Endpoint) {
        if !self.closed {
            self.closed = true;
            ep.conn.close();
            ep.note();
        }
    }
}

impl App for LineClient {
    fn step(&mut self, ep: &mut Endpoint) {
        // Produce until drain() would wait.
        while !self.closed && self.script.len() > 0 {
            if !matches!(self.drain.ready(&ep.conn), Ok(true)) {
                break;
            }
            if let Some(line) = self.script.next() {
                let _ = ep.conn.write(line.as_bytes());
            }
        }
        if self.script.len() == 0 && matches!(self.then, Then::WriteEof) && !self.eof_written {
            self.eof_written = true;
            // Cannot fail: a plain connection has a half-close.
            let _ = ep.conn.write_eof();
        }
        // Read every reply that arrived.
        for _ in 0..LINES_PER_TURN {
            if self.read_done {
                break;
            }
            match ep.readline() {
                Poll::Pending => break,
                Poll::Ready(Ok(line)) if line.is_empty() => {
                    self.read_done = true;
                    self.close(ep);
                }
                Poll::Ready(Ok(line)) => {
                    self.replies
                        .push(String::from_utf8_lossy(&line).trim_end().to_owned());
                }
                Poll::Ready(Err(_)) => {
                    // The connection ended with an error: `Ending` has it.
                    self.read_done = true;
                    self.close(ep);
                }
            }
        }
        if let Then::CloseAfter(n) = self.then {
            if self.replies.len() >= n {
                self.close(ep);
            }
        }
    }
}

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

// ----- the runs ----------------------------------------------------------------

/// How one connection ended.
#[derive(Debug)]
pub struct Ending {
    /// Every phase it was seen in, in order (`Open` first, `Closed` last).
    pub trail: Vec<Phase>,
    /// The TLS handshake's state (`Done` without TLS).
    pub handshake: HandshakeState,
    /// The error the connection was lost with (`Connection::lost_error`).
    pub error: Option<StoredError>,
    /// The application's reader ended with EOF.
    pub saw_eof: bool,
    /// How often receiving stopped because the application's reader held
    /// more than twice its limit (asyncio's `pause_reading()`).
    pub paused: usize,
    /// The TLS version negotiated, if TLS was used.
    pub tls_version: Option<&'static str>,
}

impl Ending {
    /// The last phase.
    pub fn phase(&self) -> Phase {
        *self.trail.last().expect("never empty")
    }

    /// The TLS failure inside `error`.
    pub fn tls_error(&self) -> Option<&TlsError> {
        self.error.as_deref().and_then(tls_error)
    }

    fn trail_text(&self) -> String {
        let names: Vec<String> = self.trail.iter().map(|p| format!("{p:?}")).collect();
        names.join(" -> ")
    }
}

/// What the plain run saw, for the caller to check.
#[derive(Debug)]
pub struct Stats {
    /// The lines the client received, in order.
    pub replies: Vec<String>,
    /// How often the client's `drain()` had to wait (its write buffer was
    /// above the high-water mark).
    pub client_drain_waits: usize,
    /// The same for the server.
    pub server_drain_waits: usize,
    /// Event-loop turns.
    pub turns: usize,
    /// How the client's connection ended.
    pub client: Ending,
    /// How the server's connection ended.
    pub server: Ending,
}

/// Runs the line server and a client that sends `lines` lines, one of
/// them longer than `limit` (the reader limit of both ends), with
/// `high_water` as both ends' high-water mark, then half-closes; the
/// client closes once the server's EOF arrives.
pub fn run(lines: usize, limit: usize, high_water: usize) -> io::Result<Stats> {
    let mut plain = |sock: TcpStream| {
        let mut conn = Connection::new(limit);
        conn.set_write_buffer_limits(Some(high_water), None)
            .map_err(|e| io::Error::other(e.to_string()))?;
        Endpoint::new(sock, conn)
    };
    let (listener, sock) = loopback()?;
    let mut client = plain(sock)?;
    let script = (0..lines)
        .map(|i| {
            if i == lines / 2 {
                format!("{}\n", "x".repeat(limit + 1))
            } else {
                format!("line {i}\n")
            }
        })
        .collect();
    let mut client_app = LineClient::new(script, Then::WriteEof);
    let mut server_app = LineServer::default();
    let (server, turns) = drive(
        &listener,
        &mut plain,
        &mut client,
        &mut client_app,
        &mut server_app,
    )?;
    Ok(Stats {
        replies: client_app.replies,
        client_drain_waits: client_app.drain.waits,
        server_drain_waits: server_app.drain.waits,
        turns,
        client: client.ending(),
        server: server.ending(),
    })
}

/// What a TLS run saw.
#[derive(Debug)]
pub struct TlsStats {
    /// The lines the client received, in order.
    pub replies: Vec<String>,
    /// Event-loop turns.
    pub turns: usize,
    /// From the start until both connections were closed.
    pub elapsed: Duration,
    /// How the client's connection ended.
    pub client: Ending,
    /// How the server's connection ended.
    pub server: Ending,
}

/// A throwaway CA, and a server configuration for `localhost` signed by
/// it; the client trusts that CA only.
fn throwaway_pki() -> io::Result<(Arc<ServerConfig>, TlsClient)> {
    let other = |e: rcgen::Error| io::Error::other(e.to_string());
    let ca_key = rcgen::KeyPair::generate().map_err(other)?;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(other)?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).map_err(other)?;
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().map_err(other)?;
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .map_err(other)?
        .signed_by(&key, &issuer)
        .map_err(other)?;
    let key = PrivateKeyDer::try_from(key.serialize_der()).map_err(io::Error::other)?;
    let chain: Vec<CertificateDer<'static>> = vec![cert.der().clone()];
    let server = streams_common::tls::server_config(chain, key)?;
    let mut roots = RootCertStore::empty();
    roots
        .add(ca.der().clone())
        .map_err(|e| io::Error::other(e.to_string()))?;
    Ok((server, TlsClient::with_roots(roots)?))
}

/// Runs the line server over TLS: the client sends `lines` lines, reads
/// the `lines` upper-cased replies, then closes; the TLS shutdown
/// (close_notify both ways) ends both connections without an error.
/// `limit` is both readers' limit (0: asyncio's default, 64 KiB).
pub fn run_tls(lines: usize, limit: usize) -> io::Result<TlsStats> {
    let started = Instant::now();
    let timeouts = (Some(Duration::from_secs(10)), Some(Duration::from_secs(10)));
    let (server_config, tls_client) = throwaway_pki()?;
    let (listener, sock) = loopback()?;
    let session = TlsSession::client(&tls_client, "localhost", timeouts.0, timeouts.1)?;
    let mut client = Endpoint::new(sock, Connection::with_tls(limit, session, Instant::now()))?;
    let mut accept = |sock: TcpStream| {
        let session = TlsSession::server(&server_config, timeouts.0, timeouts.1)?;
        Endpoint::new(sock, Connection::with_tls(limit, session, Instant::now()))
    };
    let script = (0..lines).map(|i| format!("tls line {i}\n")).collect();
    let mut client_app = LineClient::new(script, Then::CloseAfter(lines));
    let mut server_app = LineServer::default();
    let (server, turns) = drive(
        &listener,
        &mut accept,
        &mut client,
        &mut client_app,
        &mut server_app,
    )?;
    Ok(TlsStats {
        replies: client_app.replies,
        turns,
        elapsed: started.elapsed(),
        client: client.ending(),
        server: server.ending(),
    })
}

/// A plain client connects to the TLS server and never speaks; the
/// server's handshake deadline (`handshake_timeout`) ends its connection,
/// and the client closes once it sees the EOF.
pub fn run_handshake_timeout(handshake_timeout: Duration) -> io::Result<TlsStats> {
    let started = Instant::now();
    let (server_config, _) = throwaway_pki()?;
    let (listener, sock) = loopback()?;
    let mut client = Endpoint::new(sock, Connection::new(0))?;
    let mut accept = |sock: TcpStream| {
        let session = TlsSession::server(&server_config, Some(handshake_timeout), None)?;
        Endpoint::new(sock, Connection::with_tls(0, session, Instant::now()))
    };
    let mut client_app = LineClient::new(Vec::new(), Then::Wait);
    let mut server_app = LineServer::default();
    let (server, turns) = drive(
        &listener,
        &mut accept,
        &mut client,
        &mut client_app,
        &mut server_app,
    )?;
    Ok(TlsStats {
        replies: client_app.replies,
        turns,
        elapsed: started.elapsed(),
        client: client.ending(),
        server: server.ending(),
    })
}

fn error_text(e: &Option<StoredError>) -> String {
    match e {
        Some(e) => format!("error: {e}"),
        None => "no error".to_owned(),
    }
}

#[allow(dead_code)] // The test includes this file and calls the runs itself.
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
