//! Readers, writers, half-close, backpressure, server lifecycle, Unix
//! sockets and faults, over real loopback sockets (moved from
//! `streams-tokio`'s tests; what they assert is unchanged).
//!
//! By subject: `client` (connecting), `reading`, `receives` (the driver's
//! system calls), `writing`, `server` and `unix`; this module holds the
//! helpers they share.

use crate::adapters::{wait_until, Adapter};
use crate::port;
use std::io;
use std::os::fd::RawFd;
use streams_common::{socket2, OpenOptions, Server, ServerOptions, StreamReader, StreamWriter};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

mod client;
mod reading;
mod receives;
mod server;
mod unix;
mod writing;

pub use client::*;
pub use reading::*;
pub use receives::*;
pub use server::*;
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

/// A client connection to `server` with default options (bounded).
async fn connect<A: Adapter>(server: &Server) -> (StreamReader, StreamWriter) {
    crate::connect_port::<A>(port(server), OpenOptions::default()).await
}

/// Waits (bounded; failing the test) until the server has registered `n`
/// connections.
async fn wait_for_clients<A: Adapter>(server: &Server, n: usize) {
    wait_until::<A>(&format!("the server registering {n} connection(s)"), || {
        server.client_count() == n
    })
    .await;
}

/// Bytes in the kernel's receive queue of the socket `fd` (`FIONREAD`).
fn kernel_inq(fd: RawFd) -> usize {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int through the valid pointer; `fd` is an
    // open socket for the call's duration.
    let rc = unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) };
    assert_eq!(rc, 0, "FIONREAD: {}", io::Error::last_os_error());
    n as usize
}

/// Makes the kernel buffers between `writer` and its std `peer` small and
/// fixed (setting them turns Linux's autotuning off) and returns an upper
/// bound of what the kernel can hold between the two: how much can leave
/// `writer`'s buffer while the peer reads nothing. Generous on purpose:
/// twice the sizes the kernel reports (which already count its
/// bookkeeping), plus 1 MiB for a segment in flight. Writing more than
/// this to a peer that does not read leaves the excess in our buffer,
/// whatever the timing.
fn small_kernel_buffers(writer: &StreamWriter, peer: &std::net::TcpStream) -> usize {
    let peer = socket2::SockRef::from(peer);
    peer.set_recv_buffer_size(64 * 1024).unwrap();
    let rcv = peer.recv_buffer_size().unwrap();
    let snd = writer
        .with_socket(|s| {
            s.set_send_buffer_size(64 * 1024).unwrap();
            s.send_buffer_size().unwrap()
        })
        .expect("an open connection");
    2 * (rcv + snd) + (1 << 20)
}
