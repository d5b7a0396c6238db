//! Python asyncio's streams API on async-std, with the same names, options
//! and behaviour as `streams-tokio` and `streams-smol`.
//!
//! **Deprecated:** async-std is discontinued upstream (its maintainers
//! recommend smol; advisory RUSTSEC-2025-0052). This crate is kept for
//! applications that still run on async-std, as a thin layer: it is
//! `streams-smol`'s async-io glue ([`AsyncIo`]) with async-std's spawner
//! ([`AsyncStdSpawn`]), and nothing else. New code should use
//! `streams-smol`; moving over changes nothing but the crate name.
//!
//! ```
//! use streams_async_std::*;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! async_std::task::block_on(async {
//!     let server = start_server(
//!         |mut reader: StreamReader, writer: StreamWriter| async move {
//!             let line = reader.readline().await?;
//!             writer.write(&line)?;
//!             writer.drain().await?;
//!             Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
//!         },
//!         "127.0.0.1",
//!         0,
//!         ServerOptions::default(),
//!     )
//!     .await?;
//!     let port = server.local_addrs()[0].port();
//!     let (mut reader, writer) =
//!         open_connection("127.0.0.1", port, OpenOptions::default()).await?;
//!     writer.write(b"hello\n")?;
//!     assert_eq!(reader.readline().await?, "hello\n");
//!     server.close();
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
mod sockets;

pub use process::{spawn_process, stderr_writer, stdin_reader, stdout_writer};
pub use sockets::open_tcp_stream;
#[cfg(unix)]
pub use sockets::open_unix_stream;
pub use streams_common::process::{Process, ProcessOptions};
pub use streams_smol::{AsyncIo, Command, Spawn};

/// async-std's spawner: `async_std::task::spawn`, detached.
#[derive(Clone, Copy, Debug, Default)]
pub struct AsyncStdSpawn;

impl Spawn for AsyncStdSpawn {
    fn spawn(&self, future: streams_common::runtime::BoxFuture<()>) {
        // Dropping async-std's JoinHandle detaches the task.
        drop(async_std::task::spawn(future));
    }
}

/// The async-std runtime, as `streams-common` needs it: async-std's
/// spawner over the async-io reactor async-std itself runs on.
///
/// ```
/// let rt = streams_async_std::AsyncStd::default();
/// # let _ = rt;
/// ```
pub type AsyncStd = AsyncIo<AsyncStdSpawn>;

streams_common::define_api!(
    runtime = AsyncStd::default(),
    krate = streams_async_std,
    name = "async-std"
);
streams_common::define_transport_api!(
    runtime = AsyncStd::default(),
    krate = streams_async_std,
    name = "async-std",
    io = FuturesIo,
    read = ::async_std::io::Read,
    write = ::async_std::io::Write,
    traits = "futures-io's",
);

/// The socket2 version the `*_with_socket` functions take sockets of.
pub use streams_common::socket2;

/// The crate README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
