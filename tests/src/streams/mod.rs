//! Readers, writers, half-close, backpressure, server lifecycle, Unix
//! sockets and faults (moved from `streams-tokio`'s tests; what they
//! assert is unchanged).
//!
//! By subject: `client` (connecting), `reading`, `receives` (the driver's
//! system calls), `writing`, `server` and `unix`; this module holds the
//! helpers they share. The bodies of `reading` and `writing` take a
//! connection from any [`Link`](crate::links::Link) (sockets, the
//! in-memory pair, the generic path); the others are about sockets,
//! servers and system calls.

use crate::adapters::{wait_until, Adapter};
use crate::connect;
use streams_common::{Server, ServerOptions, StreamReader, StreamWriter};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

mod client;
mod reading;
mod receives;
mod server;
#[cfg(unix)]
mod unix;
mod writing;

pub use client::*;
pub use reading::*;
pub use receives::*;
pub use server::*;
#[cfg(unix)]
pub use unix::*;
pub use writing::*;

async fn echo_server<A: Adapter>() -> Server {
    A::t(A::start_server(
        |mut reader: StreamReader, writer: StreamWriter| async move {
            loop {
                let line = reader.readline().await?;
                if line.is_empty() {
                    break;
                }
                writer.write(&line)?;
                writer.drain().await?;
            }
            Ok::<(), BoxError>(())
        },
        "127.0.0.1",
        0,
        ServerOptions::default(),
    ))
    .await
    .unwrap()
}

/// Waits (bounded; failing the test) until the server has registered `n`
/// connections.
async fn wait_for_clients<A: Adapter>(server: &Server, n: usize) {
    wait_until::<A>(&format!("the server registering {n} connection(s)"), || {
        server.client_count() == n
    })
    .await;
}
