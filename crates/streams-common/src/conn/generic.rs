//! A connection over a transport that is not a kernel socket: the
//! transport's halves as the driver holds them, and the constructors of
//! such connections (see [`crate::transport`]).

use super::driver::Drive;
use super::{Arc, Identity, Shared, State, StreamReader, StreamWriter, Wakers};
use crate::connection::Connection;
use crate::runtime::{BoxFuture, RuntimeRef};
use crate::transport::{RecvTransport, SendTransport, Transport, TransportOptions};
use std::io;
use std::task::{Context, Poll};

/// The transport of a generic connection: one object both ways, or
/// separate halves, either of which may be missing (a reader alone, a
/// writer alone, a write half dropped by `write_eof`).
pub(crate) struct Halves {
    parts: Parts,
    /// Something was sent since the last flush.
    unflushed: bool,
    /// The write direction was shut down.
    write_shut: bool,
    /// A receive returned EOF.
    eof: bool,
    /// A graceful close (flush, shut down, drop) is under way.
    closing: bool,
    /// `abort()` was called: drop at once, close gracefully no more.
    aborted: bool,
}

enum Parts {
    Duplex(Box<dyn Transport>),
    Split {
        recv: Option<Box<dyn RecvTransport>>,
        send: Option<Box<dyn SendTransport>>,
    },
}

/// The error of a send where there is nothing to send on (cannot happen
/// through the public API: a reader alone has no writer, and the core
/// sends nothing after `write_eof`).
fn not_writable() -> io::Error {
    io::Error::new(io::ErrorKind::Unsupported, "transport is not writable")
}

impl Halves {
    pub(crate) fn duplex(t: Box<dyn Transport>) -> Halves {
        Halves::new(Parts::Duplex(t))
    }

    pub(crate) fn split(
        recv: Option<Box<dyn RecvTransport>>,
        send: Option<Box<dyn SendTransport>>,
    ) -> Halves {
        Halves::new(Parts::Split { recv, send })
    }

    fn new(parts: Parts) -> Halves {
        Halves {
            parts,
            unflushed: false,
            write_shut: false,
            eof: false,
            closing: false,
            aborted: false,
        }
    }

    fn recv_half(&mut self) -> Option<&mut dyn RecvTransport> {
        match &mut self.parts {
            Parts::Duplex(t) => Some(t.as_recv()),
            Parts::Split { recv, .. } => recv.as_deref_mut(),
        }
    }

    fn send_half(&mut self) -> Option<&mut dyn SendTransport> {
        if self.write_shut {
            return None;
        }
        match &mut self.parts {
            Parts::Duplex(t) => Some(t.as_send()),
            Parts::Split { send, .. } => send.as_deref_mut(),
        }
    }

    /// Whether a one-way transport is done: a reader alone (no write
    /// direction from the start) at EOF, as asyncio's read pipe transport
    /// closes itself there; a writer alone (no read direction) once its
    /// write direction is shut down, as asyncio's write pipe transport
    /// closes itself on `write_eof()`.
    pub(super) fn one_way_done(&self) -> bool {
        match &self.parts {
            Parts::Duplex(_) => false,
            Parts::Split { recv: None, .. } => self.write_shut,
            // The write half of a split is gone after write_eof too; only
            // one that never was counts.
            Parts::Split { send: None, .. } => self.eof && !self.write_shut,
            Parts::Split { .. } => false,
        }
    }

    /// `abort()`: a graceful close under way becomes a drop. Returns
    /// whether the driver must be woken for it.
    pub(super) fn abort(&mut self) -> bool {
        self.aborted = true;
        self.closing
    }

    /// Whether the connection is being closed gracefully.
    pub(super) fn is_closing(&self) -> bool {
        self.closing && !self.aborted
    }

    /// Starts a graceful close, unless the connection was aborted or
    /// failed (`graceful` false): then the caller drops the transport.
    pub(super) fn start_close(&mut self, graceful: bool) -> bool {
        self.closing = graceful && !self.aborted;
        self.closing
    }

    /// One step of a graceful close: flush and shut the write direction
    /// down (if `write_eof` did not already). `Ready` once the transport
    /// may be dropped; a failure there ends nothing more (the connection
    /// is already over) and is only logged.
    pub(super) fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.aborted {
            return Poll::Ready(());
        }
        match self.poll_shutdown_write(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => {
                crate::diag::debug!("closing the transport failed: {e}");
                Poll::Ready(())
            }
            Poll::Ready(Ok(())) => Poll::Ready(()),
        }
    }
}

impl Drive for Halves {
    fn poll_recv_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.recv_half() {
            Some(r) => r.poll_recv_ready(cx),
            // Nothing will ever arrive; nothing to wake for either.
            None => Poll::Pending,
        }
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let r = match self.recv_half() {
            Some(r) => r.poll_recv(cx, buf),
            None => Poll::Pending,
        };
        if let Poll::Ready(Ok(0)) = r {
            self.eof = true;
        }
        r
    }

    fn poll_send(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let Some(s) = self.send_half() else {
            return Poll::Ready(Err(not_writable()));
        };
        match s.poll_send(cx, buf) {
            Poll::Ready(Ok(0)) => Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
            Poll::Ready(Ok(n)) => {
                self.unflushed = true;
                Poll::Ready(Ok(n))
            }
            other => other,
        }
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.unflushed {
            return Poll::Ready(Ok(()));
        }
        let Some(s) = self.send_half() else {
            return Poll::Ready(Ok(()));
        };
        let r = s.poll_flush(cx);
        if r.is_ready() {
            self.unflushed = false;
        }
        r
    }

    fn poll_shutdown_write(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(s) = self.send_half() else {
            return Poll::Ready(Ok(()));
        };
        let r = std::task::ready!(s.poll_shutdown(cx));
        self.write_shut = true;
        self.unflushed = false;
        if let Parts::Split { send, .. } = &mut self.parts {
            // A write half is dropped as well: that is what closes a pipe.
            *send = None;
        }
        Poll::Ready(r)
    }

    fn farewell(&mut self, cx: &mut Context<'_>, bytes: &[u8]) {
        if let Some(s) = self.send_half() {
            let _ = s.poll_send(cx, bytes);
            let _ = s.poll_flush(cx);
        }
    }
}

/// The shared state of a new connection over `halves`, and its driver.
fn build(
    rt: RuntimeRef,
    halves: Halves,
    options: TransportOptions,
    reader_closes: bool,
) -> Arc<Shared> {
    let core = Connection::new(options.limit);
    let state = State {
        core,
        sock: None,
        generic: Some(Box::new(halves)),
        wakers: Wakers::default(),
        timer: None,
        on_finished: None,
    };
    Shared::new(
        state,
        Identity {
            peername: options.peername,
            sockname: options.sockname,
            is_tcp: false,
            rt,
            server_side: options.server_side,
            host: options.server_hostname,
            reader_closes,
        },
    )
}

/// A reader and a writer over `halves` (options already checked), and the
/// driver future to spawn.
pub(crate) fn new_transport_connection(
    rt: RuntimeRef,
    halves: Halves,
    options: TransportOptions,
) -> (StreamReader, StreamWriter, BoxFuture<()>) {
    let limit = options.limit;
    let shared = build(rt, halves, options, false);
    (
        StreamReader::new(shared.clone(), limit),
        StreamWriter::new(shared.clone()),
        Shared::driver(&shared),
    )
}

/// A reader alone over `halves`, which the reader's drop closes.
pub(crate) fn new_reader_alone(
    rt: RuntimeRef,
    halves: Halves,
    options: TransportOptions,
) -> (StreamReader, BoxFuture<()>) {
    let limit = options.limit;
    let shared = build(rt, halves, options, true);
    (
        StreamReader::new(shared.clone(), limit),
        Shared::driver(&shared),
    )
}

/// A writer alone over `halves`.
pub(crate) fn new_writer_alone(
    rt: RuntimeRef,
    halves: Halves,
    options: TransportOptions,
) -> (StreamWriter, BoxFuture<()>) {
    let shared = build(rt, halves, options, false);
    (StreamWriter::new(shared.clone()), Shared::driver(&shared))
}
