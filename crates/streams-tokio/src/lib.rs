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

#[cfg(feature = "process")]
mod process;
mod runtime;
mod sockets;

#[cfg(feature = "process")]
pub use process::{spawn_process, stderr_writer, stdin_reader, stdout_writer};
pub use runtime::Tokio;
pub use sockets::open_tcp_stream;
#[cfg(unix)]
pub use sockets::open_unix_stream;
#[cfg(feature = "process")]
pub use streams_common::process::{Process, ProcessOptions};
#[cfg(feature = "process")]
pub use tokio::process::Command;

streams_common::define_api!(runtime = Tokio, krate = streams_tokio, name = "Tokio");
streams_common::define_transport_api!(
    runtime = Tokio,
    krate = streams_tokio,
    name = "Tokio",
    io = TokioIo,
    read = ::tokio::io::AsyncRead,
    write = ::tokio::io::AsyncWrite,
    traits = "Tokio's",
);

/// The socket2 version the `*_with_socket` functions take sockets of.
pub use streams_common::socket2;

/// The crate README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
