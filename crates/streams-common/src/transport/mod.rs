//! Streams over any transport, not only a kernel socket: an in-memory
//! pipe, a TLS stream of another library, a child's pipes, a serial
//! device, a QUIC stream, anything that implements the standard async
//! I/O traits.
//!
//! asyncio's `StreamReader` and `StreamWriter` are not socket-only: the
//! same reader and writer serve pipes (`connect_read_pipe`,
//! `connect_write_pipe`) and child processes. Here a transport is one more
//! thing the connection's one driver talks to: the reader, the writer and
//! every semantic of the socket path come with it (the buffer limit, flow
//! control, the water marks, `drain`, `write_eof`, `close`, `abort`,
//! `wait_closed`, the errors, cancel-safety, `start_tls` with the
//! hand-back of what the reader already received).
//!
//! What the driver needs of a transport is two small traits,
//! [`RecvTransport`] (receiving) and [`SendTransport`] (sending, flushing
//! and shutting the write direction down); [`Transport`] is both. They are
//! implemented by:
//!
//! * `FuturesIo` (with the `futures-io` feature) for any futures-io
//!   `AsyncRead` / `AsyncWrite`: smol's and async-std's types, async-net's
//!   sockets, quinn's streams, `futures::io` adapters;
//! * `TokioIo` (with the `tokio-io` feature) for any Tokio `AsyncRead` /
//!   `AsyncWrite`: `tokio::io::duplex`, tokio-rustls streams,
//!   `tokio::process` pipes;
//! * [`pair`]'s in-memory ends;
//! * your own type, for anything else.
//!
//! Then [`open`] gives a reader and a writer over one transport,
//! [`open_split`] over separate read and write halves, [`open_reader`] a
//! reader alone over a read-only transport, and [`open_writer`] a writer
//! alone over a write-only one. The adapters re-export these bound to
//! their runtime, with their runtime's I/O traits (`streams_tokio::open_io`
//! takes a Tokio `AsyncRead + AsyncWrite`, `streams_smol::open_io` a
//! futures-io one).
//!
//! ```no_run
//! use streams_common::transport::{self, TransportOptions};
//! # async fn f(rt: &dyn streams_common::runtime::Runtime) -> Result<(), Box<dyn std::error::Error>> {
//! // Two connected ends in memory, 64 KiB in flight each way.
//! let ((mut a_reader, a_writer), (mut b_reader, b_writer)) =
//!     transport::pair(rt, 64 * 1024, TransportOptions::default())?;
//! a_writer.write(b"ping\n")?;
//! assert_eq!(b_reader.readline().await?, "ping\n");
//! # Ok(()) }
//! ```
//!
//! # How a transport's events map to asyncio's
//!
//! * A receive of 0 bytes is EOF: the reader gets it after every byte
//!   before it; the connection stays open for writing (half-close).
//! * `write_eof()` shuts the write direction down once the buffer is
//!   sent: [`SendTransport::poll_shutdown`] (Tokio's `poll_shutdown`,
//!   futures-io's `poll_close`); over separate halves the write half is
//!   then dropped too, which is what closes a pipe (Tokio's `ChildStdin`,
//!   for one, does nothing on `poll_shutdown`).
//! * `close()` sends the buffer, then shuts the write direction down the
//!   same way (if `write_eof` did not already) and drops the transport;
//!   `wait_closed()` returns once that is done. Everything the transport
//!   accepted is flushed first, so a transport that buffers (a TLS stream,
//!   Tokio's `Stdout`) loses nothing; a peer that never reads keeps the
//!   close waiting, as a full write buffer keeps asyncio's `close()`
//!   waiting. `abort()` ends that wait too.
//! * `abort()`, and a connection that ends with an error, drop the
//!   transport at once, without a flush or a shutdown.
//! * A transport error (a failed receive, send, flush or shutdown) ends
//!   the connection with that error: every read raises it (asyncio's
//!   `set_exception`: before any byte still buffered), `drain()` and
//!   `wait_closed()` report it.
//! * Flow control: while the reader holds more than twice its limit the
//!   driver does not poll the transport for reading at all, so the
//!   transport's own buffer (a pipe, the peer's send window) fills and the
//!   sender waits; it resumes once the reader is down to its limit.
//! * A reader alone ([`open_reader`]) ends its connection at EOF or when
//!   it is dropped (the transport is then dropped: a pipe's read end
//!   closes); a writer alone ends once `write_eof()` shut it down (as
//!   asyncio's write pipe transport), at `close()`, or when it is dropped,
//!   like any writer.
//!
//! The writer's socket calls (`with_socket`, `raw_fd`, `is_tcp`) say there
//! is no socket; `peername` and `sockname` are what
//! [`TransportOptions`] says (nothing by default).
//!
//! # Time
//!
//! The entry points take the runtime ([`Runtime`]) as every other entry
//! point does: its `spawn` runs the connection's driver and its `sleep`
//! times the TLS handshake and shutdown and a lingering close. A plain
//! connection that never uses those never asks for a timer, so an
//! executor without timers can implement [`Runtime::sleep`] with a future
//! that never completes, as long as it uses no TLS and no
//! `close_lingering`.

mod api;
mod options;
mod pair;

#[cfg(feature = "futures-io")]
mod futures_io;
#[cfg(feature = "tokio-io")]
mod tokio_io;

#[cfg(feature = "futures-io")]
pub use futures_io::FuturesIo;
pub use options::TransportOptions;
pub use pair::{pair, PairEnds};
#[cfg(feature = "tokio-io")]
pub use tokio_io::TokioIo;

use crate::conn::{new_reader_alone, new_transport_connection, new_writer_alone, Halves};
use crate::error::ArgumentError;
use crate::runtime::Runtime;
use crate::{StreamReader, StreamWriter};
use std::io;
use std::task::{Context, Poll};

/// The receiving direction of a transport.
///
/// The driver calls [`poll_recv`](Self::poll_recv) only while the reader
/// wants data (flow control), each time with room of its own.
pub trait RecvTransport: Send + 'static {
    /// Whether a receive may find data: `Pending` (with a wake-up
    /// registered) while it is known that none can, so that the driver
    /// does not take room to receive into for nothing. The default says
    /// `Ready`; a transport that cannot tell needs nothing else.
    fn poll_recv_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let _ = cx;
        Poll::Ready(Ok(()))
    }

    /// Receives into `buf` (never empty): `Ready(Ok(n))` with `n > 0`
    /// bytes, `Ready(Ok(0))` at EOF, `Pending` with a wake-up registered
    /// when nothing is there yet. (`AsyncRead::poll_read`.)
    fn poll_recv(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
}

/// The sending direction of a transport.
pub trait SendTransport: Send + 'static {
    /// Sends some of `buf` (never empty): `Ready(Ok(n))` with the number of
    /// bytes taken (`n > 0`), `Pending` with a wake-up registered while
    /// none can be. (`AsyncWrite::poll_write`.) A transport that returns
    /// `Ok(0)` is taken to be unable to send any more (`WriteZero`).
    fn poll_send(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;

    /// Pushes out what the transport itself still buffers. The driver
    /// calls it whenever it has nothing more to send after sending
    /// something. The default does nothing (a transport that does not
    /// buffer). (`AsyncWrite::poll_flush`.)
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let _ = cx;
        Poll::Ready(Ok(()))
    }

    /// Flushes, then ends the write direction: the peer reads EOF.
    /// (Tokio's `poll_shutdown`, futures-io's `poll_close`.) Called once,
    /// for `write_eof()` or a graceful `close()`; the transport is not
    /// written to afterwards.
    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

/// A transport both ways: a [`RecvTransport`] that is also a
/// [`SendTransport`] (implemented for every such type).
pub trait Transport: RecvTransport + SendTransport {
    /// This transport as its receiving side. (Trait upcasting of a
    /// `dyn Transport` needs Rust 1.86; the MSRV is older.)
    fn as_recv(&mut self) -> &mut dyn RecvTransport;
    /// This transport as its sending side.
    fn as_send(&mut self) -> &mut dyn SendTransport;
}

impl<T: RecvTransport + SendTransport> Transport for T {
    fn as_recv(&mut self) -> &mut dyn RecvTransport {
        self
    }
    fn as_send(&mut self) -> &mut dyn SendTransport {
        self
    }
}

/// A reader and a writer over `transport` (one object both ways),
/// driven by a task spawned on `rt`.
///
/// Fails only on a bad option (a zero limit). Must be called where `rt`
/// can spawn (within a Tokio runtime, for Tokio).
///
/// ```no_run
/// use streams_common::runtime::Runtime;
/// use streams_common::transport::{self, Transport, TransportOptions};
///
/// async fn hello(rt: &dyn Runtime, link: impl Transport) -> Result<(), Box<dyn std::error::Error>> {
///     let (mut reader, writer) = transport::open(rt, link, TransportOptions::default())?;
///     writer.write(b"HELLO\n")?;
///     let reply = reader.readline().await?;
///     println!("{reply:?}");
///     Ok(())
/// }
/// ```
pub fn open(
    rt: &dyn Runtime,
    transport: impl Transport,
    options: TransportOptions,
) -> Result<(StreamReader, StreamWriter), ArgumentError> {
    start(rt, Halves::duplex(Box::new(transport)), options)
}

/// A reader and a writer over separate read and write halves (a child's
/// stdout and stdin, the two halves of a split stream, a QUIC stream's
/// receive and send sides).
///
/// `write_eof()` shuts the write half down and drops it, so the peer sees
/// EOF even where shutting down does nothing by itself (a pipe); reading
/// goes on.
pub fn open_split(
    rt: &dyn Runtime,
    recv: impl RecvTransport,
    send: impl SendTransport,
    options: TransportOptions,
) -> Result<(StreamReader, StreamWriter), ArgumentError> {
    let halves = Halves::split(Some(Box::new(recv)), Some(Box::new(send)));
    start(rt, halves, options)
}

/// A reader alone over a read-only transport (asyncio's
/// `connect_read_pipe`): a child's stdout, our own stdin, a read-only
/// device.
///
/// The connection ends at EOF (the transport is dropped once EOF was
/// received; the reader still reads everything before it) or when the
/// reader is dropped.
pub fn open_reader(
    rt: &dyn Runtime,
    recv: impl RecvTransport,
    options: TransportOptions,
) -> Result<StreamReader, ArgumentError> {
    check(&options)?;
    let halves = Halves::split(Some(Box::new(recv)), None);
    let (reader, driver) = new_reader_alone(rt.handle(), halves, options);
    rt.spawn(driver);
    Ok(reader)
}

/// A writer alone over a write-only transport (asyncio's
/// `connect_write_pipe`): a child's stdin, our own stdout.
///
/// `write_eof()` and `close()` close it (the write half is shut down and
/// dropped: a pipe's reader sees EOF); dropping the writer closes it after
/// the buffer is sent, as for any writer.
pub fn open_writer(
    rt: &dyn Runtime,
    send: impl SendTransport,
    options: TransportOptions,
) -> Result<StreamWriter, ArgumentError> {
    check(&options)?;
    let halves = Halves::split(None, Some(Box::new(send)));
    let (writer, driver) = new_writer_alone(rt.handle(), halves, options);
    rt.spawn(driver);
    Ok(writer)
}

/// Checks the options, builds the connection and spawns its driver.
fn start(
    rt: &dyn Runtime,
    halves: Halves,
    options: TransportOptions,
) -> Result<(StreamReader, StreamWriter), ArgumentError> {
    check(&options)?;
    let (reader, writer, driver) = new_transport_connection(rt.handle(), halves, options);
    rt.spawn(driver);
    Ok((reader, writer))
}

/// The options' own rules (asyncio's: a limit of 0 is refused).
fn check(options: &TransportOptions) -> Result<(), ArgumentError> {
    if options.limit == 0 {
        return Err(ArgumentError::ZeroLimit);
    }
    Ok(())
}
