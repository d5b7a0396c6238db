//! Where a connection-level test body gets its connection: a [`Link`].
//!
//! A body that checks what a connected reader and writer do (reading,
//! writing, `drain`, EOF, close, abort, the limit, flow control,
//! cancel-safety) does not care what carries the bytes, and asyncio's
//! semantics are the same over any transport. So such a body takes a
//! `Link` as well as an [`Adapter`], and the suite runs it over three:
//!
//! * [`Sockets`]: loopback TCP through the socket path (the client by the
//!   adapter's `open_connection`, the accepted end by
//!   `open_connection_with_socket`, as a server would);
//! * [`Pair`]: the in-memory pair (`transport::pair`), no kernel;
//! * [`Generic`]: loopback TCP of the runtime's own stream type through
//!   the adapter's generic path (`open_io`: Tokio's `TcpStream` through
//!   `TokioIo`, async-net's through `FuturesIo`), which sees a transport
//!   and nothing of a socket.

use crate::adapters::Adapter;
use std::future::Future;
use std::net::{TcpListener, TcpStream};
use streams_common::runtime::BoxFuture;
use streams_common::transport::{self, TransportOptions};
use streams_common::{socket2, OpenOptions, StreamReader, StreamWriter};

/// A reader and its writer: one end of a connection.
pub type End = (StreamReader, StreamWriter);

/// A connected client and server end, and what the link can hold.
pub struct Conn {
    /// The end that connected.
    pub client: End,
    /// The end that was accepted.
    pub server: End,
    /// An upper bound on how much can leave the client's write buffer
    /// while the server's code reads nothing: what the link itself holds
    /// (kernel buffers made small and fixed, or the pair's capacity),
    /// twice over, plus what the server's reader takes in before it stops
    /// (twice its limit and a receive), plus 1 MiB. Generous on purpose:
    /// more than this, written to a server that does not read, stays in
    /// the client's buffer whatever the timing.
    pub in_flight: usize,
}

/// How to set a connection up.
#[derive(Clone, Copy, Debug)]
pub struct LinkOptions {
    /// The client reader's limit (the server's is asyncio's default).
    pub client_limit: usize,
    /// Make the server end's `abort()` a reset the client sees
    /// (`ConnectionReset`): `SO_LINGER` 0 on a kernel socket; the pair's
    /// abort always is one.
    pub abort_resets: bool,
}

impl Default for LinkOptions {
    fn default() -> Self {
        LinkOptions {
            client_limit: reader_core::DEFAULT_LIMIT,
            abort_resets: false,
        }
    }
}

impl LinkOptions {
    /// With the client reader's limit at `limit`.
    pub fn client_limit(self, limit: usize) -> Self {
        LinkOptions {
            client_limit: limit,
            ..self
        }
    }

    /// With the server end's `abort()` a reset.
    pub fn abort_resets(self) -> Self {
        LinkOptions {
            abort_resets: true,
            ..self
        }
    }
}

/// A source of connections for a test body.
pub trait Link: Send + Sync + 'static {
    /// Whether the ends are kernel sockets (their errors carry an errno).
    const KERNEL: bool;
    /// A connected client and server end (bounded waits; the test fails
    /// if connecting does).
    fn connect<A: Adapter>(options: LinkOptions) -> impl Future<Output = Conn> + Send;
}

/// What the server's reader takes in before it stops: twice its limit
/// (the default) and a receive, generously.
const SERVER_READER: usize = 2 * reader_core::DEFAULT_LIMIT + 256 * 1024;

/// The size set for each kernel buffer of a socket link.
const KERNEL_BUFFER: usize = 64 * 1024;

/// The in-memory pair's capacity each way.
const PAIR_CAPACITY: usize = 64 * 1024;

/// Loopback TCP through the socket path.
#[derive(Debug)]
pub struct Sockets;

/// The in-memory pair.
#[derive(Debug)]
pub struct Pair;

/// Loopback TCP of the runtime's own stream type through the generic
/// path ([`Adapter::open_tcp_io`]).
#[derive(Debug)]
pub struct Generic;

/// Makes both buffers of `sock` small and fixed (setting them turns
/// Linux's autotuning off); with `linger0`, closing it resets the
/// connection. Returns what the kernel reports it holds, both buffers.
fn prepare(sock: &TcpStream, linger0: bool) -> usize {
    let s = socket2::SockRef::from(sock);
    s.set_send_buffer_size(KERNEL_BUFFER).unwrap();
    s.set_recv_buffer_size(KERNEL_BUFFER).unwrap();
    if linger0 {
        s.set_linger(Some(std::time::Duration::ZERO)).unwrap();
    }
    s.send_buffer_size().unwrap() + s.recv_buffer_size().unwrap()
}

/// A listener on a free loopback port.
fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").unwrap()
}

/// The kernel's share of [`Conn::in_flight`], from both sockets' sizes.
fn kernel_in_flight(client: usize, server: usize) -> usize {
    2 * (client + server) + SERVER_READER + (1 << 20)
}

impl Link for Sockets {
    const KERNEL: bool = true;
    async fn connect<A: Adapter>(options: LinkOptions) -> Conn {
        let l = listener();
        let port = l.local_addr().unwrap().port();
        let open = OpenOptions::default().limit(options.client_limit);
        let client = crate::connect_port::<A>(port, open).await;
        let accepted = crate::accept_within(&l, crate::adapters::WAIT);
        let server_size = prepare(&accepted, options.abort_resets);
        let client_size = client
            .1
            .with_socket(|s| {
                s.set_send_buffer_size(KERNEL_BUFFER).unwrap();
                s.set_recv_buffer_size(KERNEL_BUFFER).unwrap();
                s.send_buffer_size().unwrap() + s.recv_buffer_size().unwrap()
            })
            .expect("an open connection");
        let server = A::t(A::open_connection_with_socket(
            accepted,
            OpenOptions::default(),
        ))
        .await
        .unwrap();
        Conn {
            client,
            server,
            in_flight: kernel_in_flight(client_size, server_size),
        }
    }
}

impl Link for Pair {
    const KERNEL: bool = false;
    async fn connect<A: Adapter>(options: LinkOptions) -> Conn {
        let (mut client, server) =
            transport::pair(&*A::runtime(), PAIR_CAPACITY, TransportOptions::default()).unwrap();
        // Nothing was sent yet: the same as a limit given at the start.
        client.0.set_limit(options.client_limit).unwrap();
        Conn {
            client,
            server,
            in_flight: 2 * PAIR_CAPACITY + SERVER_READER + (1 << 20),
        }
    }
}

impl Link for Generic {
    const KERNEL: bool = true;
    async fn connect<A: Adapter>(options: LinkOptions) -> Conn {
        let l = listener();
        let client = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let accepted = crate::accept_within(&l, crate::adapters::WAIT);
        let client_size = prepare(&client, false);
        let server_size = prepare(&accepted, options.abort_resets);
        let limit = TransportOptions::default().limit(options.client_limit);
        Conn {
            client: A::open_tcp_io(client, limit),
            server: A::open_tcp_io(accepted, TransportOptions::default()),
            in_flight: kernel_in_flight(client_size, server_size),
        }
    }
}

/// Runs an echo of lines on `end` until EOF, then closes it: the server
/// of many bodies. The returned future ends with the echo.
pub fn echo_lines<A: Adapter>(end: End) -> BoxFuture<()> {
    let (mut reader, writer) = end;
    A::spawn(async move {
        // Each round echoes a line or ends at EOF or an error.
        loop {
            match reader.readline().await {
                Ok(line) if !line.is_empty() => {
                    if writer.write(&line).is_err() || writer.drain().await.is_err() {
                        break;
                    }
                }
                _ => break,
            }
        }
        writer.close();
        let _ = writer.wait_closed().await;
    })
}

/// `n` bytes of a pattern that shows reordering, loss and duplication.
pub fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}
