//! Python asyncio's streams API on Tokio: [`open_connection`],
//! [`start_server`], [`open_unix_connection`], [`start_unix_server`],
//! [`StreamReader`], [`StreamWriter`] and [`Server`], with asyncio's
//! semantics (buffer limits, flow control, half-close, error messages).
//!
//! This crate is glue: everything that is not Tokio-specific lives in
//! `streams-common`, shared with the other runtimes' adapters; here is the
//! [`Tokio`] implementation of its runtime trait and the entry points bound
//! to it.
//!
//! ```
//! use streams_tokio::*;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // An echo server on a port the system picks.
//! let server = start_server(
//!     |mut reader: StreamReader, writer: StreamWriter| async move {
//!         while let Ok(line) = reader.readline().await {
//!             if line.is_empty() {
//!                 break; // EOF
//!             }
//!             writer.write(&line)?;
//!             writer.drain().await?;
//!         }
//!         Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
//!     },
//!     "127.0.0.1",
//!     0,
//!     ServerOptions::default(),
//! )
//! .await?;
//! let port = server.local_addrs()[0].port();
//!
//! let (mut reader, writer) = open_connection("127.0.0.1", port, OpenOptions::default()).await?;
//! writer.write(b"hello\n")?;
//! assert_eq!(reader.readline().await?, "hello\n");
//! writer.close();
//! writer.wait_closed().await?;
//!
//! server.close();
//! server.wait_closed().await;
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

mod runtime;

pub use runtime::Tokio;
pub use streams_common::{
    clone_io_error, py_sockaddr, runtime::Runtime, socket2, AcceptAction, Address, ArgumentError,
    Bytes, BytesMut, ConnectError, Family, HandlerErrorHook, HandlerFailure, HandlerOutput, Hosts,
    LimitsError, Lines, OpenOptions, ReadError, Separators, Server, ServerError, ServerOptions,
    StoredError, StreamReader, StreamWriter, UnixAddr, WriteError, DEFAULT_LIMIT,
};

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

/// Opens a TCP connection to `host:port` (asyncio's `open_connection`).
///
/// `host` may be a name (resolved with Tokio's resolver), an IP literal,
/// or `""` for the loopback addresses. Every resolved address is tried in
/// order until one connects; if all fail, the errors are combined as
/// asyncio does ([`ConnectError::combine`]). `options.limit` is checked
/// before any network activity.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use streams_tokio::*;
/// let (mut reader, writer) = open_connection("example.com", 80, OpenOptions::default()).await?;
/// writer.write(b"HEAD / HTTP/1.0\r\nHost: example.com\r\n\r\n")?;
/// let status = reader.readline().await?;
/// # Ok(()) }
/// ```
pub async fn open_connection(
    host: &str,
    port: u16,
    options: OpenOptions,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    streams_common::open_connection(&Tokio, host, port, options).await
}

/// Streams over an already connected stream socket (asyncio's
/// `open_connection(sock=...)`): a `std::net::TcpStream`, a
/// `std::os::unix::net::UnixStream` or a `socket2::Socket`. Must be called
/// within a Tokio runtime.
pub fn open_connection_with_socket(
    sock: impl Into<socket2::Socket>,
    options: OpenOptions,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    streams_common::open_connection_with_socket(&Tokio, sock.into(), options)
}

/// Opens a Unix-domain connection to `path` (asyncio's
/// `open_unix_connection`); a path starting with a NUL byte is a Linux
/// abstract name.
pub async fn open_unix_connection(
    path: impl AsRef<Path>,
    options: OpenOptions,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    streams_common::open_unix_connection(&Tokio, path.as_ref(), options).await
}

/// Streams over an already connected Unix-domain stream socket (asyncio's
/// `open_unix_connection(sock=...)`), e.g. one end of
/// `std::os::unix::net::UnixStream::pair()`.
pub fn open_unix_connection_with_socket(
    sock: impl Into<socket2::Socket>,
    options: OpenOptions,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    streams_common::open_unix_connection_with_socket(&Tokio, sock.into(), options)
}

/// Starts a TCP server (asyncio's `start_server`): `handler(reader,
/// writer)` runs as a task for each accepted connection.
///
/// `hosts`: `""` or `None` binds every interface (IPv4 and IPv6, the IPv6
/// socket v6-only); one host or several (`["127.0.0.1", "::1"]`,
/// duplicates removed). With port 0 each socket gets its own port (see
/// [`Server::local_addrs`]).
///
/// The handler may return `()` or a `Result<(), E>`. When it returns an
/// error or panics, its connection is closed and the failure is reported
/// (a `tracing` error event, and [`ServerOptions::on_handler_error`]); the
/// server keeps serving. When it returns and drops its writer, the
/// connection is closed after the buffered bytes are sent.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use streams_tokio::*;
/// let server = start_server(
///     |mut reader: StreamReader, writer: StreamWriter| async move {
///         let data = reader.read(100).await?;
///         writer.write(&data)?;
///         writer.drain().await?;
///         writer.close();
///         Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
///     },
///     "127.0.0.1",
///     8888,
///     ServerOptions::default(),
/// )
/// .await?;
/// server.serve_forever().await?;
/// # Ok(()) }
/// ```
pub async fn start_server<F, Fut>(
    handler: F,
    hosts: impl Into<Hosts>,
    port: u16,
    options: ServerOptions,
) -> Result<Server, ServerError>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerOutput,
{
    streams_common::start_server(Arc::new(Tokio), handler, hosts.into(), port, options).await
}

/// Serves on an already bound stream socket (asyncio's
/// `start_server(sock=...)`): a `std::net::TcpListener` or a
/// `socket2::Socket` (bound, listening or not). Must be called within a
/// Tokio runtime.
pub fn start_server_with_socket<F, Fut>(
    handler: F,
    sock: impl Into<socket2::Socket>,
    options: ServerOptions,
) -> Result<Server, ServerError>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerOutput,
{
    streams_common::start_server_with_socket(Arc::new(Tokio), handler, sock.into(), options)
}

/// Starts a Unix-domain server at `path` (asyncio's `start_unix_server`).
///
/// A stale socket file at `path` is removed first; any other file there is
/// "address in use". A path starting with a NUL byte is a Linux abstract
/// name. On close, the socket file is removed if it is still the one this
/// server created ([`ServerOptions::cleanup_socket`]).
pub async fn start_unix_server<F, Fut>(
    handler: F,
    path: impl AsRef<Path>,
    options: ServerOptions,
) -> Result<Server, ServerError>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerOutput,
{
    streams_common::start_unix_server(Arc::new(Tokio), handler, path.as_ref(), options).await
}

/// Serves on an already bound Unix-domain stream socket (asyncio's
/// `start_unix_server(sock=...)`), e.g. a `std::os::unix::net::UnixListener`.
pub fn start_unix_server_with_socket<F, Fut>(
    handler: F,
    sock: impl Into<socket2::Socket>,
    options: ServerOptions,
) -> Result<Server, ServerError>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerOutput,
{
    streams_common::start_unix_server_with_socket(Arc::new(Tokio), handler, sock.into(), options)
}

/// The README's examples, compiled (and run, where not `no_run`) as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
