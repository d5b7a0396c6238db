//! The streams core in your own executor: no async runtime at all.
//!
//! `cargo run -p streams-common --example custom_executor`
//!
//! A hand-written event loop over non-blocking `std::net` sockets and
//! `poll(2)` drives the same two state machines the Tokio, smol and
//! async-std adapters drive: `reader_core::Reader` (asyncio's
//! `StreamReader` buffer: lines, limits, EOF, pausing) and
//! `streams_common::write_state::WriteState` (asyncio's transport write
//! buffer: water marks, `write_eof`, `close`). A line server (it answers
//! each line upper-cased) and its client run in the one loop, over
//! loopback.
//!
//! # The steps, for embedding the core in your own executor
//!
//! 1. **One connection = a socket + a `Reader` + a `WriteState`.** Make the
//!    socket non-blocking. `Reader::new(limit)` is the read buffer with
//!    asyncio's limit; `WriteState::new()` plus `set_limits(high, low)` is
//!    the write buffer with its water marks.
//! 2. **Ask each state machine what it wants, and poll for exactly that.**
//!    Wait for readable (`POLLIN`) while EOF has not arrived and
//!    `reader.reading_paused()` is false: a paused reader is asyncio's
//!    `pause_reading()`, the backpressure that keeps a peer from filling
//!    memory. Wait for writable (`POLLOUT`) while `write.action()` is
//!    `Action::Send`.
//! 3. **Readable: receive straight into the reader.** `recv` into
//!    `reader.spare_capacity(n)` and `reader.commit(received)`; 0 bytes is
//!    `reader.feed_eof()`; an error is `reader.set_error(e)` and
//!    `write.connection_lost(Some(e))`. `WouldBlock` means "poll again".
//! 4. **Run the application's reads.** `reader.readline()` (or `read`,
//!    `readexactly`, `readuntil`) returns `Poll::Ready` with a line, EOF
//!    (an empty line) or an error such as `ReadError::LineTooLong` (the
//!    line was longer than the limit and is discarded), or `Poll::Pending`:
//!    not enough data yet, nothing consumed; try again after the next
//!    receive.
//! 5. **Writes buffer; the water marks are `drain()`.** `write.write(data)`
//!    never blocks. While `write.is_paused()` (more than the high-water
//!    mark buffered), the application stops producing, exactly where an
//!    async application would await `drain()`; it resumes when `sent()`
//!    reports the buffer fell to the low-water mark.
//! 6. **Writable: follow `write.action()` until it is `Idle`.** `Send`:
//!    `send(write.pending())`, then `write.sent(n)` (`WouldBlock`: wait
//!    for `POLLOUT`). `ShutdownWrite`: `shutdown(Write)` and
//!    `write.eof_sent()` (the half-close `write_eof()` asked for).
//!    `Close`: `write.connection_lost(None)` and drop the socket.
//! 7. **Bound everything.** Each turn handles every ready socket a bounded
//!    number of times, and the loop itself has an iteration cap and a
//!    deadline, so a stuck peer fails instead of hanging.
//!
//! Everything else in asyncio's semantics (the messages, EOF rules, the
//! water-mark defaults) is in those two state machines, so an executor
//! built this way behaves like the adapters do.

use reader_core::{ReadError, Reader};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};
use streams_common::write_state::{Action, WriteState};

/// The error a connection ended with, shared by its reader and writer.
type Stored = Arc<io::Error>;

/// How many bytes each `recv` offers.
const READ_SIZE: usize = 16 * 1024;

/// One connection: a non-blocking socket and the two state machines.
struct Conn {
    sock: Option<TcpStream>,
    reader: Reader<Stored>,
    write: WriteState<Stored>,
    read_eof: bool,
}

impl Conn {
    /// Step 1.
    fn new(sock: TcpStream, limit: usize, high: usize) -> io::Result<Conn> {
        sock.set_nonblocking(true)?;
        let reader = Reader::new(limit).map_err(|e| io::Error::other(e.to_string()))?;
        let mut write = WriteState::new();
        write
            .set_limits(Some(high), None)
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok(Conn {
            sock: Some(sock),
            reader,
            write,
            read_eof: false,
        })
    }

    fn closed(&self) -> bool {
        self.sock.is_none()
    }

    /// Step 2: what to poll this socket for.
    fn interest(&self) -> libc::c_short {
        let mut events = 0;
        if !self.read_eof && !self.reader.reading_paused() && !self.write.is_lost() {
            events |= libc::POLLIN;
        }
        if self.write.action() == Action::Send {
            events |= libc::POLLOUT;
        }
        events
    }

    fn lose(&mut self, error: io::Error) {
        let error = Arc::new(error);
        self.reader.set_error(error.clone());
        self.write.connection_lost(Some(error));
    }

    /// Step 3: receive while there is data and the reader wants it.
    fn receive(&mut self) {
        for _ in 0..16 {
            if self.read_eof || self.reader.reading_paused() {
                return;
            }
            let Some(mut sock) = self.sock.as_ref() else {
                return;
            };
            let room = self.reader.spare_capacity(READ_SIZE);
            match sock.read(room) {
                Ok(0) => {
                    self.read_eof = true;
                    self.reader.feed_eof();
                }
                Ok(n) => {
                    // Cannot fail: n fits the room and EOF was not fed.
                    let _ = self.reader.commit(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.lose(e),
            }
        }
    }

    /// Step 6: send, shut down or close, as the write state says.
    fn flush(&mut self) {
        for _ in 0..64 {
            match self.write.action() {
                Action::Idle => return,
                Action::Send => {
                    let Some(mut sock) = self.sock.as_ref() else {
                        return self.write.connection_lost(None);
                    };
                    match sock.write(self.write.pending()) {
                        Ok(n) => {
                            self.write.sent(n);
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return self.lose(e),
                    }
                }
                Action::ShutdownWrite => {
                    self.write.eof_sent();
                    if let Some(sock) = &self.sock {
                        if let Err(e) = sock.shutdown(Shutdown::Write) {
                            self.lose(e);
                        }
                    }
                }
                Action::Close => {
                    self.write.connection_lost(None);
                    self.sock = None;
                    return;
                }
            }
        }
    }
}

/// The server's application: each line back upper-cased; an over-long line
/// answered with the error's text. Step 4 and step 5.
fn serve(conn: &mut Conn, stats: &mut Stats) {
    for _ in 0..10_000 {
        if conn.write.is_paused() {
            // Above the high-water mark: an async handler would be waiting
            // in `drain()` here.
            stats.server_drain_waits += 1;
            return;
        }
        match conn.reader.readline() {
            Poll::Pending => return,
            Poll::Ready(Ok(line)) if line.is_empty() => {
                // EOF: answer nothing more and close after the buffer.
                conn.write.close();
                return;
            }
            Poll::Ready(Ok(line)) => {
                let _ = conn.write.write(&line.to_ascii_uppercase());
            }
            Poll::Ready(Err(e @ ReadError::LineTooLong { .. })) => {
                let _ = conn.write.write(format!("error: {e}\n").as_bytes());
            }
            Poll::Ready(Err(_)) => {
                conn.write.close();
                return;
            }
        }
    }
}

/// What the run saw, for the caller to check.
#[derive(Debug, Default)]
pub struct Stats {
    /// The lines the client received, in order.
    pub replies: Vec<String>,
    /// How often the client stopped producing because its write buffer was
    /// above the high-water mark (its `drain()` would have waited).
    pub client_drain_waits: usize,
    /// The same for the server.
    pub server_drain_waits: usize,
    /// Event-loop turns.
    pub turns: usize,
}

/// Runs a line server and a client that sends `lines` ordinary lines plus
/// one line longer than `limit`, all through one `poll(2)` loop; returns
/// what the client received.
pub fn run(lines: usize, limit: usize, high_water: usize) -> io::Result<Stats> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    // A blocking connect to loopback completes at once; then non-blocking.
    let mut client = Conn::new(TcpStream::connect(addr)?, limit, high_water)?;
    let mut server: Option<Conn> = None;

    // The client's script: `lines` lines, one over the limit in the middle.
    let mut script = (0..lines).map(|i| {
        if i == lines / 2 {
            format!("{}\n", "x".repeat(limit + 1))
        } else {
            format!("line {i}\n")
        }
    });
    let mut script_done = false;
    let mut stats = Stats::default();

    let deadline = Instant::now() + Duration::from_secs(20);
    while !(client.closed() && server.as_ref().map_or(true, Conn::closed)) {
        stats.turns += 1;
        if stats.turns > 1_000_000 || Instant::now() > deadline {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "the loop is stuck"));
        }

        // The client's application: produce until the high-water mark
        // (step 5), then half-close; read every reply (step 4).
        while !script_done && !client.write.is_paused() {
            match script.next() {
                Some(line) => {
                    let _ = client.write.write(line.as_bytes());
                }
                None => {
                    script_done = true;
                    client.write.write_eof();
                }
            }
        }
        if !script_done {
            stats.client_drain_waits += 1;
        }
        for _ in 0..10_000 {
            match client.reader.readline() {
                Poll::Ready(Ok(line)) if line.is_empty() => {
                    client.write.close();
                    break;
                }
                Poll::Ready(Ok(line)) => stats
                    .replies
                    .push(String::from_utf8_lossy(&line).trim_end().to_owned()),
                Poll::Ready(Err(e)) => return Err(io::Error::other(e.to_string())),
                Poll::Pending => break,
            }
        }
        if let Some(conn) = server.as_mut() {
            serve(conn, &mut stats);
        }
        client.flush();
        if let Some(conn) = server.as_mut() {
            conn.flush();
        }

        // Step 2: one poll(2) over everything that waits for something.
        let mut fds: Vec<libc::pollfd> = Vec::with_capacity(3);
        if server.is_none() {
            fds.push(pollfd(listener.as_raw_fd(), libc::POLLIN));
        }
        for conn in [Some(&client), server.as_ref()].into_iter().flatten() {
            if let Some(sock) = &conn.sock {
                fds.push(pollfd(sock.as_raw_fd(), conn.interest()));
            }
        }
        // SAFETY: `fds` is a valid, initialised array of `fds.len()` entries.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 100) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }

        // Step 3 (and accept): act on what is ready. Receiving when poll
        // said nothing is harmless: it ends in WouldBlock.
        if server.is_none() {
            match listener.accept() {
                Ok((sock, _)) => server = Some(Conn::new(sock, limit, high_water)?),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        client.receive();
        if let Some(conn) = server.as_mut() {
            conn.receive();
        }
    }
    Ok(stats)
}

fn pollfd(fd: libc::c_int, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd,
        events,
        revents: 0,
    }
}

#[allow(dead_code)] // The test includes this file and calls `run` itself.
fn main() -> io::Result<()> {
    let stats = run(2_000, 64, 4 * 1024)?;
    println!(
        "{} replies in {} turns; the client waited for drain {} times, the server {} times",
        stats.replies.len(),
        stats.turns,
        stats.client_drain_waits,
        stats.server_drain_waits
    );
    for line in stats.replies.iter().take(3) {
        println!("  {line}");
    }
    if let Some(err) = stats.replies.iter().find(|l| l.starts_with("error")) {
        println!("  {err}");
    }
    Ok(())
}
