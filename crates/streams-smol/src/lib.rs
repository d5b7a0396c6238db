//! Python asyncio's streams API on smol: [`open_connection`],
//! [`start_server`], [`open_unix_connection`], [`start_unix_server`],
//! [`StreamReader`], [`StreamWriter`] and [`Server`], with asyncio's
//! semantics (buffer limits, flow control, half-close, error messages),
//! the same names, options and behaviour as `streams-tokio`.
//!
//! This crate is glue: everything that is not runtime-specific lives in
//! `streams-common`. Here is the async-io implementation of its runtime
//! trait ([`AsyncIo`]: sockets on async-io's reactor, `async-io` timers,
//! `async-net`'s resolver), smol's spawner ([`Smol`]: the global executor
//! by default, or an executor of your own), and the entry points bound to
//! `Smol::default()`. `streams-async-std` reuses the same glue with
//! async-std's spawner.
//!
//! ```
//! use streams_smol::*;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! smol::block_on(async {
//!     // An echo server on a port the system picks.
//!     let server = start_server(
//!         |mut reader: StreamReader, writer: StreamWriter| async move {
//!             while let Ok(line) = reader.readline().await {
//!                 if line.is_empty() {
//!                     break; // EOF
//!                 }
//!                 writer.write(&line)?;
//!                 writer.drain().await?;
//!             }
//!             Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
//!         },
//!         "127.0.0.1",
//!         0,
//!         ServerOptions::default(),
//!     )
//!     .await?;
//!     let port = server.local_addrs()[0].port();
//!
//!     let (mut reader, writer) =
//!         open_connection("127.0.0.1", port, OpenOptions::default()).await?;
//!     writer.write(b"hello\n")?;
//!     assert_eq!(reader.readline().await?, "hello\n");
//!     writer.close();
//!     writer.wait_closed().await?;
//!
//!     server.close();
//!     server.wait_closed().await;
//!     Ok(())
//! })
//! # }
//! ```
//!
//! # Features
//!
//! * `tls` (default): TLS with rustls (`OpenOptions::ssl`,
//!   `ServerOptions::ssl`, `StreamWriter::start_tls`); without it rustls,
//!   ring and webpki-roots are not built.
//! * `tracing` (default): diagnostics as `tracing` events (a failed
//!   handler, accept errors, dropped handshakes); compiled out without it.
//!
//! Unix only for now (Linux is tested). Minimum Rust: 1.81.
#![warn(missing_docs)]
// docs.rs marks the items a platform or feature needs (Unix-domain sockets).
#![cfg_attr(docsrs, feature(doc_cfg))]

mod process;
mod runtime;
mod sockets;

pub use process::{
    spawn_process, spawn_process_on, stderr_writer, stderr_writer_on, stdin_reader,
    stdin_reader_on, stdout_writer, stdout_writer_on, Command,
};
pub use runtime::{AsyncIo, Smol, SmolSpawn, Spawn};
pub use sockets::open_tcp_stream;
#[cfg(unix)]
pub use sockets::open_unix_stream;
pub use streams_common::process::{Process, ProcessOptions};

streams_common::define_api!(
    runtime = Smol::default(),
    krate = streams_smol,
    name = "smol"
);
streams_common::define_transport_api!(
    runtime = Smol::default(),
    krate = streams_smol,
    name = "smol",
    io = FuturesIo,
    read = ::smol::io::AsyncRead,
    write = ::smol::io::AsyncWrite,
    traits = "futures-io's",
);

/// The socket2 version the `*_with_socket` functions take sockets of.
pub use streams_common::socket2;

/// The crate README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
