//! Two [`Connection`]s joined by in-memory wires, on a virtual clock.
//!
//! The [`Pair`] is the driver of both connections: it does what each one
//! asks through the public API only (receive into `recv_room`, send what
//! `poll_transmit` says, fire deadlines, move data to the reader) and
//! checks the driver's side of the contract as it goes (nothing is sent
//! after the write side was shut down, a `Send` is never empty, ...).
//!
//! Each direction is a [`Wire`] with an optional capacity (a full socket
//! buffer); each side has a receive budget (an application, or a peer,
//! that stops reading). Time is `base + offset`: `base` is taken once, and
//! only the test moves `offset`.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::task::Poll;
use std::time::{Duration, Instant};

use streams_common::connection::{Connection, Transmit, Wake};
use streams_common::reader_core::{ReadError, Reader};
use streams_common::write_state::{DrainEnd, DrainStart, DrainTicket};
use streams_common::{Bytes, StoredError};

/// How many rounds [`Pair::drive`] runs before it declares the pair stuck.
const MAX_ROUNDS: usize = 10_000;
/// How many transmits or receives one side makes in a round at most.
const MAX_OPS_PER_ROUND: usize = 10_000;

/// One direction of the transport: bytes in flight from a sender to a
/// receiver.
#[derive(Default)]
pub struct Wire {
    data: VecDeque<u8>,
    /// At most this many bytes in flight; `None`: unbounded. Lowering it
    /// below what is in flight only stops further sends.
    pub capacity: Option<usize>,
    /// The sender shut its write side down or closed the transport: the
    /// receiver gets EOF once the data is drained.
    pub shut: bool,
    /// The receiver closed the transport: whatever is sent is dropped.
    pub receiver_closed: bool,
    /// Bytes ever accepted into the wire.
    pub total: usize,
}

impl fmt::Debug for Wire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wire")
            .field("in_flight", &self.data.len())
            .field("capacity", &self.capacity)
            .field("shut", &self.shut)
            .field("receiver_closed", &self.receiver_closed)
            .field("total", &self.total)
            .finish()
    }
}

impl Wire {
    /// Bytes in flight.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// A copy of the bytes in flight.
    pub fn contents(&self) -> Vec<u8> {
        self.data.iter().copied().collect()
    }

    fn room(&self) -> usize {
        if self.receiver_closed {
            return usize::MAX;
        }
        match self.capacity {
            Some(c) => c.saturating_sub(self.data.len()),
            None => usize::MAX,
        }
    }

    /// Accepts as much of `bytes` as there is room for.
    fn push(&mut self, bytes: &[u8]) -> usize {
        let n = bytes.len().min(self.room());
        if !self.receiver_closed {
            self.data.extend(&bytes[..n]);
        }
        self.total += n;
        n
    }
}

/// One end: a connection, the application's reader, and what its driver
/// saw.
pub struct Side {
    pub name: &'static str,
    pub conn: Connection,
    pub reader: Reader<StoredError>,
    /// How many more bytes the driver may receive; `None`: no limit,
    /// `Some(0)`: it does not receive (an application that stopped reading
    /// the socket).
    pub recv_budget: Option<usize>,
    /// Whether the pair moves what arrived into the reader at each step.
    pub auto_sync: bool,
    /// Wakes collected by the driver since the last [`take_wakes`](Self::take_wakes).
    wakes: Wake,
    /// The driver shut the write side down.
    pub write_shut: bool,
    /// The driver closed the transport.
    pub transport_closed: bool,
    /// The farewell bytes the last `Transmit::Close` offered.
    pub farewell: Vec<u8>,
    /// How many times the driver reported EOF to the connection.
    pub eofs_reported: usize,
}

impl fmt::Debug for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(self.name)
            .field("conn", &self.conn)
            .field("phase", &self.conn.phase())
            .field("reader_len", &self.reader.len())
            .field("reader_eof", &self.reader.eof_received())
            .field("recv_budget", &self.recv_budget)
            .field("wakes", &self.wakes)
            .field("write_shut", &self.write_shut)
            .field("transport_closed", &self.transport_closed)
            .finish()
    }
}

impl Side {
    fn new(name: &'static str, conn: Connection) -> Side {
        let reader = Reader::new(conn.limit()).expect("a positive limit");
        Side {
            name,
            conn,
            reader,
            recv_budget: None,
            auto_sync: true,
            wakes: Wake::NONE,
            write_shut: false,
            transport_closed: false,
            farewell: Vec::new(),
            eofs_reported: 0,
        }
    }

    /// Every wake since the last call (those the driver collected and
    /// those the connection holds now); clears them.
    pub fn take_wakes(&mut self) -> Wake {
        let w = self.wakes | self.conn.take_wake();
        self.wakes = Wake::NONE;
        w
    }

    /// Moves what arrived into the reader (as the application's reader
    /// does when it looks).
    pub fn sync(&mut self) {
        self.conn.sync_reader(&mut self.reader);
    }

    /// Tells the connection how much the reader holds after a read (what
    /// the stream reader does after consuming or before waiting).
    pub fn report_reader(&mut self) {
        self.conn
            .reader_len(self.reader.len(), self.reader.reading_paused());
    }

    /// Everything the reader can give now without waiting (empty when
    /// nothing is buffered); panics on a read error.
    pub fn read_available(&mut self) -> Vec<u8> {
        self.sync();
        let mut out = Vec::new();
        loop {
            match self.reader.read(usize::MAX) {
                Poll::Ready(Ok(b)) if b.is_empty() => break,
                Poll::Ready(Ok(b)) => out.extend_from_slice(&b),
                Poll::Ready(Err(e)) => panic!("{}: read failed: {e:?}", self.name),
                Poll::Pending => break,
            }
        }
        self.report_reader();
        out
    }

    /// One line, if a whole one (or the rest at EOF) is buffered; panics
    /// on a read error.
    pub fn readline(&mut self) -> Option<Vec<u8>> {
        self.sync();
        let r = self.reader.readline();
        self.report_reader();
        self.ready(r)
    }

    /// Everything up to EOF, if EOF arrived; panics on a read error.
    pub fn read_to_eof(&mut self) -> Option<Vec<u8>> {
        self.sync();
        let r = self.reader.read_to_eof();
        self.report_reader();
        self.ready(r)
    }

    fn ready(&self, r: Poll<Result<Bytes, ReadError<StoredError>>>) -> Option<Vec<u8>> {
        match r {
            Poll::Ready(Ok(b)) => Some(b.to_vec()),
            Poll::Ready(Err(e)) => panic!("{}: read failed: {e:?}", self.name),
            Poll::Pending => None,
        }
    }

    /// `drain_start`, with the error reduced to its kind (comparable).
    pub fn drain_start(&self) -> Result<DrainStart, io::ErrorKind> {
        self.conn.drain_start().map_err(|e| e.kind())
    }

    /// `drain_poll`, with the error reduced to its kind (comparable).
    pub fn drain_poll(&self, ticket: DrainTicket) -> Option<Result<(), io::ErrorKind>> {
        self.conn.drain_poll(ticket).map(|end| match end {
            DrainEnd::Ok => Ok(()),
            DrainEnd::Err(e) => Err(e.kind()),
        })
    }

    /// Whether the reader saw EOF with every byte consumed.
    pub fn at_eof(&mut self) -> bool {
        self.sync();
        self.reader.at_eof()
    }

    /// Runs deadlines, transmits and receives once; returns whether
    /// anything happened on the transport.
    fn step(&mut self, out: &mut Wire, inc: &mut Wire, now: Instant) -> bool {
        let mut progress = false;
        if self.conn.is_closed() {
            self.wakes |= self.conn.take_wake();
            return false;
        }
        if self.conn.poll_timeout().is_some_and(|t| t <= now) {
            self.conn.handle_timeout(now);
            progress = true;
        }
        progress |= self.transmit(out, inc, now);
        progress |= self.receive(inc);
        if self.auto_sync {
            self.sync();
        }
        progress |= self.transmit(out, inc, now);
        self.wakes |= self.conn.take_wake();
        progress
    }

    fn transmit(&mut self, out: &mut Wire, inc: &mut Wire, now: Instant) -> bool {
        enum Did {
            Sent(usize),
            Shut,
            Closed,
        }
        let mut progress = false;
        for _ in 0..MAX_OPS_PER_ROUND {
            if self.transport_closed {
                return progress;
            }
            let did = match self.conn.poll_transmit(now) {
                Transmit::Idle => return progress,
                Transmit::Send(bytes) => {
                    assert!(!bytes.is_empty(), "{}: an empty Send", self.name);
                    assert!(
                        !self.write_shut,
                        "{}: Send after the write side was shut down",
                        self.name
                    );
                    let n = out.push(bytes);
                    if n == 0 {
                        // The transport would block.
                        return progress;
                    }
                    Did::Sent(n)
                }
                Transmit::ShutdownWrite => {
                    assert!(!self.write_shut, "{}: a second ShutdownWrite", self.name);
                    Did::Shut
                }
                Transmit::Close { farewell } => {
                    // One best-effort send, as the runtime driver does.
                    if !self.write_shut {
                        let n = out.push(farewell);
                        self.farewell = farewell[..n].to_vec();
                    }
                    Did::Closed
                }
            };
            progress = true;
            match did {
                Did::Sent(n) => self.conn.handle_sent(n),
                Did::Shut => {
                    self.write_shut = true;
                    out.shut = true;
                    self.conn.handle_write_shut();
                }
                Did::Closed => {
                    self.transport_closed = true;
                    out.shut = true;
                    inc.receiver_closed = true;
                    self.conn.handle_closed();
                }
            }
        }
        panic!(
            "{}: still transmitting after {MAX_OPS_PER_ROUND} sends",
            self.name
        );
    }

    fn receive(&mut self, inc: &mut Wire) -> bool {
        let mut progress = false;
        for _ in 0..MAX_OPS_PER_ROUND {
            if self.transport_closed || self.recv_budget == Some(0) {
                return progress;
            }
            let budget = self.recv_budget.unwrap_or(usize::MAX);
            let eof = inc.data.is_empty() && inc.shut;
            let Some(room) = self.conn.recv_room() else {
                return progress;
            };
            assert!(!room.is_empty(), "{}: an empty receive room", self.name);
            if eof {
                self.eofs_reported += 1;
                assert!(
                    self.eofs_reported <= 1,
                    "{}: the connection asked to receive again after EOF",
                    self.name
                );
                self.conn.handle_eof();
                return true;
            }
            if inc.data.is_empty() {
                return progress;
            }
            let n = room.len().min(inc.data.len()).min(budget);
            for (slot, b) in room.iter_mut().zip(inc.data.drain(..n)) {
                *slot = b;
            }
            if let Some(b) = &mut self.recv_budget {
                *b -= n;
            }
            self.conn.handle_received(n);
            progress = true;
        }
        panic!(
            "{}: still receiving after {MAX_OPS_PER_ROUND} receives",
            self.name
        );
    }
}

/// Which end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Client,
    Server,
}

impl Who {
    pub fn peer(self) -> Who {
        match self {
            Who::Client => Who::Server,
            Who::Server => Who::Client,
        }
    }
}

/// A client and a server connection, two wires and a virtual clock.
pub struct Pair {
    pub client: Side,
    pub server: Side,
    /// Client to server.
    pub to_server: Wire,
    /// Server to client.
    pub to_client: Wire,
    base: Instant,
    offset: Duration,
}

impl fmt::Debug for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pair")
            .field("client", &self.client)
            .field("server", &self.server)
            .field("to_server", &self.to_server)
            .field("to_client", &self.to_client)
            .field("offset", &self.offset)
            .finish()
    }
}

impl Pair {
    /// A pair of connections that `make` builds at the pair's start time.
    pub fn with(make: impl FnOnce(Instant) -> (Connection, Connection)) -> Pair {
        let base = Instant::now();
        let (client, server) = make(base);
        Pair {
            client: Side::new("client", client),
            server: Side::new("server", server),
            to_server: Wire::default(),
            to_client: Wire::default(),
            base,
            offset: Duration::ZERO,
        }
    }

    /// Two plain connections whose readers have limit `limit`.
    pub fn plain(limit: usize) -> Pair {
        Pair::with(|_| (Connection::new(limit), Connection::new(limit)))
    }

    /// Two connections that speak TLS from the start.
    pub fn tls(
        limit: usize,
        client: streams_common::connection::TlsSession,
        server: streams_common::connection::TlsSession,
    ) -> Pair {
        Pair::with(|now| {
            (
                Connection::with_tls(limit, client, now),
                Connection::with_tls(limit, server, now),
            )
        })
    }

    /// The virtual time.
    pub fn now(&self) -> Instant {
        self.base + self.offset
    }

    /// Moves the virtual clock forward (deadlines fire at the next
    /// [`drive`](Self::drive)).
    pub fn advance(&mut self, d: Duration) {
        self.offset += d;
    }

    pub fn side(&mut self, who: Who) -> &mut Side {
        match who {
            Who::Client => &mut self.client,
            Who::Server => &mut self.server,
        }
    }

    /// The wire `who` sends into.
    pub fn wire_from(&mut self, who: Who) -> &mut Wire {
        match who {
            Who::Client => &mut self.to_server,
            Who::Server => &mut self.to_client,
        }
    }

    /// One round: the client's step, then the server's.
    pub fn step(&mut self) -> bool {
        let now = self.now();
        let a = self
            .client
            .step(&mut self.to_server, &mut self.to_client, now);
        let b = self
            .server
            .step(&mut self.to_client, &mut self.to_server, now);
        a || b
    }

    /// Runs both sides until neither has anything to do at this time.
    pub fn drive(&mut self) {
        for _ in 0..MAX_ROUNDS {
            if !self.step() {
                return;
            }
        }
        panic!("not quiescent after {MAX_ROUNDS} rounds: {self:#?}");
    }
}

/// `n` bytes of a pattern that shows reordering, loss and duplication.
pub fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}
