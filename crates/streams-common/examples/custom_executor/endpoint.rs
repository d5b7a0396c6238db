//! One connection of the loop (step 1): a non-blocking socket, the core,
//! and the application's reader, and what the loop does with them.

use super::*;

/// One connection (step 1): a non-blocking socket, the core, and the
/// application's reader.
pub struct Endpoint {
    /// `None` once the core said `Close`.
    pub(crate) sock: Option<TcpStream>,
    pub(crate) conn: Connection,
    pub(crate) reader: Reader<StoredError>,
    /// The last transmit stopped on a full socket: wait for `POLLOUT`.
    pub(crate) send_blocked: bool,
    /// Every phase the connection was seen in, in order.
    pub(crate) trail: Vec<Phase>,
    /// A read returned EOF (rather than an error).
    pub(crate) saw_eof: bool,
    /// Receive steps that ended with the core refusing more for the
    /// reader's sake (flow control).
    pub(crate) paused: usize,
}

impl Endpoint {
    pub(crate) fn new(sock: TcpStream, conn: Connection) -> io::Result<Endpoint> {
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

    pub(crate) fn is_closed(&self) -> bool {
        self.conn.is_closed()
    }

    /// Records the phase if it changed.
    pub(crate) fn note(&mut self) {
        let phase = self.conn.phase();
        if self.trail.last() != Some(&phase) {
            self.trail.push(phase);
        }
    }

    /// Step 2: what to poll the socket for.
    pub(crate) fn interest(&self) -> libc::c_short {
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
    pub(crate) fn receive(&mut self) {
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
    pub(crate) fn transmit(&mut self, now: Instant) {
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
    pub(crate) fn check_time(&mut self, now: Instant) {
        if self.conn.poll_timeout().is_some_and(|d| now >= d) {
            self.conn.handle_timeout(now);
            self.note();
        }
    }

    /// Step 6: one `readline` on the application's reader.
    pub(crate) fn readline(&mut self) -> Poll<Result<Bytes, ReadError<StoredError>>> {
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
    pub(crate) fn ending(&self) -> Ending {
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
pub(crate) struct Drain {
    pub(crate) waiting: Option<DrainTicket>,
    /// How many times a drain had to wait.
    pub(crate) waits: usize,
}

impl Drain {
    pub(crate) fn ready(&mut self, conn: &Connection) -> io::Result<bool> {
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
