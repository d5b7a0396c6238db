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
pub mod runtime;
pub mod tls;
pub mod write_state;

mod addr;
mod api;
mod conn;
mod connect;
mod diag;
mod error;
mod server;

pub use addr::{py_sockaddr, Address, UnixAddr};
pub use conn::{Lines, StreamReader, StreamWriter};
pub use connect::open_connection_addrs;
pub use connect::{
    open_connection, open_connection_with_socket, open_unix_connection,
    open_unix_connection_with_socket, Family, OpenOptions,
};
pub use error::{
    clone_io_error, connection_lost, stored_io_error, ArgumentError, ConnectError, ReadError,
    ServerError, StoredError,
};
pub use server::{
    accept_action, start_server, start_server_with_socket, start_unix_server,
    start_unix_server_with_socket, AcceptAction, HandlerErrorHook, HandlerFailure, HandlerOutput,
    Hosts, Server, ServerOptions, ACCEPT_BACKOFF,
};
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
