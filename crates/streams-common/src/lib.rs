//! Runtime-independent parts of the asyncio-style streams.
//!
//! Everything that the Tokio, smol and async-std adapters share lives here
//! once, in layers:
//!
//! * [`connection`]: a whole connection as a sans-IO state machine (the
//!   receive hand-off to the reader, the [`write_state`] buffer, the
//!   lifecycle, the TLS session, deadlines as instants), which any driver
//!   can run: a runtime, a hand-written `poll(2)` loop, a test on a
//!   virtual clock;
//! * the one runtime driver of that core, and the [`StreamReader`] and
//!   [`StreamWriter`] around it, over the [`runtime`] abstraction an
//!   adapter implements;
//! * `open_connection` (with [`happy_eyeballs`]), `start_server` and the
//!   [`Server`] lifecycle, [`tls`] configuration, typed options and
//!   errors.
//!
//! An adapter implements [`runtime::Runtime`] and re-exports the API with
//! its types.
//!
//! # Writing a protocol library once for every runtime
//!
//! Depend on this crate, not on an adapter: [`StreamReader`],
//! [`StreamWriter`], [`Server`] and the errors are the types every adapter
//! re-exports, and the entry points here take the runtime as a value
//! ([`runtime::RuntimeRef`]), which the application chooses
//! (`streams_tokio::Tokio.handle()`, `streams_smol::Smol::default().handle()`):
//!
//! ```no_run
//! use streams_common::runtime::RuntimeRef;
//! use streams_common::{OpenOptions, StreamReader, StreamWriter};
//!
//! /// A client for a line protocol, on any runtime.
//! pub struct Client {
//!     reader: StreamReader,
//!     writer: StreamWriter,
//! }
//!
//! impl Client {
//!     pub async fn connect(rt: RuntimeRef, host: &str, port: u16) -> std::io::Result<Client> {
//!         let (reader, writer) =
//!             streams_common::open_connection(&*rt, host, port, OpenOptions::default()).await?;
//!         Ok(Client { reader, writer })
//!     }
//!
//!     // Every error of the API converts into `io::Error`.
//!     pub async fn ping(&mut self) -> std::io::Result<bool> {
//!         self.writer.write(b"PING\r\n")?;
//!         self.writer.drain().await?;
//!         Ok(self.reader.readuntil(b"\r\n").await? == "+PONG\r\n")
//!     }
//! }
//! ```
//!
//! `examples/linekv` in the repository is a complete one (client, server,
//! errors), whose tests run it unchanged on Tokio and smol.
//!
//! # The standard I/O traits
//!
//! With the `tokio-io` feature, [`StreamReader`] implements Tokio's
//! `AsyncRead` and `AsyncBufRead` and [`StreamWriter`] its `AsyncWrite`;
//! with `futures-io`, the same for the `futures-io` traits (what futures,
//! smol, futures-lite and async-std use). The impls must live here, on
//! the shared types (only the crate that defines a type may implement a
//! foreign trait for it); the adapters turn their runtime's feature on
//! (`streams-tokio`: `tokio-io`; `streams-smol` and `streams-async-std`:
//! `futures-io`), and either may be turned on with any runtime, since the
//! impls use none (Tokio's traits come from `tokio` without features). So
//! `tokio::io::copy`, `tokio_util::codec`, `futures::io::copy` and smol's
//! `read_line` all take the reader and writer as they are, with
//! asyncio's semantics kept:
//!
//! * reading is cancel-safe: bytes are consumed only by the call that
//!   returns them (or by `consume`); the buffer limit and flow control
//!   apply as to every read;
//! * EOF reads as 0 bytes (an empty `fill_buf`), every time;
//! * the error the connection ended with is reported by every read after
//!   it, as an [`io::Error`](std::io::Error) of the stored error's kind,
//!   with the [`ReadError`] inside (whose source is the stored error);
//! * writing follows `drain()`: a write is accepted whole while the buffer
//!   is at or below the high-water mark, and is pending above it until the
//!   buffer is down to the low-water mark; once the connection is over, a
//!   write fails as `drain()` fails (asyncio's `write()` would drop the
//!   bytes silently, which would make a copy into a dead connection
//!   "succeed");
//! * `flush` waits until everything written has been handed to the socket,
//!   and fails as `drain()` does;
//! * `shutdown` (futures' `close`) is `write_eof()` where the transport can
//!   half-close, `close()` where it cannot (TLS), then waits until our side
//!   is finished (the FIN, or our close_notify, sent). Reading goes on
//!   after a half-close.
//!
//! Every error of the API converts into `io::Error` with a fitting kind
//! and the original error inside (reachable with
//! [`get_ref`](std::io::Error::get_ref) and a downcast), so `?` works in a
//! function that returns `io::Result`: a [`ReadError`] is `UnexpectedEof`
//! when EOF cut a read short, `InvalidData` for a chunk or line over the
//! limit, the stored error's own kind for the error the connection ended
//! with; a [`WriteError`] is `BrokenPipe`; an [`ArgumentError`] or a
//! [`LimitsError`] `InvalidInput`.
//!
//! # Features
//!
//! * `tls` (default): TLS with rustls (the `ring` provider, Mozilla roots
//!   from `webpki-roots`): the `ssl` options, `StreamWriter::start_tls`,
//!   `tls_info` and the [`tls`] module's configuration. Without it rustls,
//!   ring and webpki-roots are not built.
//! * `tracing` (default): diagnostics as `tracing` events (a failed
//!   handler, accept errors, dropped handshakes); compiled out without it.
//!
//! Unix only for now (Linux is tested). Minimum Rust: 1.81.
#![warn(missing_docs)]
// docs.rs (see Cargo.toml) marks what needs the `tls` feature.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod connection;
pub mod happy_eyeballs;
pub mod process;
pub mod runtime;
pub mod tls;
pub mod transport;
pub mod write_state;

mod addr;
mod api;
mod conn;
mod connect;
mod diag;
mod error;
mod server;
mod sys;

pub use addr::{py_sockaddr, Address, UnixAddr};
pub use conn::{IntoLines, Lines, StreamReader, StreamWriter};
pub use connect::open_connection_addrs;
pub use connect::{open_connection, open_connection_with_socket, Family, OpenOptions};
#[cfg(unix)]
pub use connect::{open_unix_connection, open_unix_connection_with_socket};
pub use error::{
    clone_io_error, connection_lost, stored_io_error, ArgumentError, ConnectError, ReadError,
    ServerError, StoredError,
};
pub use server::{
    accept_action, start_server, start_server_with_socket, AcceptAction, HandlerErrorHook,
    HandlerFailure, HandlerOutput, Hosts, Server, ServerOptions, ACCEPT_BACKOFF,
};
#[cfg(unix)]
pub use server::{start_unix_server, start_unix_server_with_socket};
pub use tls::TlsError;
#[cfg(feature = "tls")]
pub use tls::{StartTlsOptions, TlsClient, TlsConfig, TlsInfo};
pub use write_state::{LimitsError, WriteError};

pub use bytes::{Bytes, BytesMut};
pub use reader_core;
pub use reader_core::{Separators, DEFAULT_LIMIT};
pub use socket2;

/// The crate README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
