//! Server faults on the accept path: a connection accepted just before
//! `close()` (or `abort_clients()`), driven deterministically through a
//! runtime wrapper whose listener and sockets the test controls; clients
//! that reset before their connection is set up; the peer addresses
//! `accept()` gives for Unix clients.

use crate::adapters::Adapter;
use crate::layer::{Layered, RuntimeLayer};
use futures::channel::oneshot;
use futures::FutureExt;
use std::future::Future;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
#[cfg(unix)]
use std::os::fd::{AsFd, BorrowedFd};
#[cfg(windows)]
use std::os::windows::io::{AsSocket, BorrowedSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;
use streams_common::runtime::{Accepted, Listener, RuntimeRef, Socket};
#[cfg(unix)]
use streams_common::UnixAddr;
use streams_common::{socket2, Address, Server, ServerOptions, StreamReader, StreamWriter};

/// How long the gate holds a connection's setup before the test gives up
/// on the closing thread (a bound, not a timing assumption: the gate opens
/// as soon as `close()` has returned).
const GATE_BOUND: Duration = Duration::from_secs(10);

/// What the server looked like right after `close()`, while the connection
/// accepted just before it was still being set up.
#[derive(Debug, Clone, Copy)]
struct AtClose {
    /// `wait_closed()` was already complete.
    wait_closed_ready: bool,
    /// `client_count()`.
    clients: usize,
}

/// Holds the setup of the first accepted connection until another thread
/// has closed the server: the interleaving accept → `close()` → setup that
/// a fast machine almost never shows, made certain. (The setup uses the
/// socket before the connection exists: its addresses, `TCP_NODELAY`. So
/// whichever thread gets there first, the setup ends after the closing.)
struct Gate {
    server: OnceLock<Server>,
    /// What the closing thread does: `close()`, and maybe more.
    closing: fn(&Server),
    /// Taken by the first accept, which starts the closing thread.
    report: Mutex<Option<oneshot::Sender<AtClose>>>,
    /// The closing thread is done.
    open: Mutex<bool>,
    opened: Condvar,
    /// The closing thread did not finish within [`GATE_BOUND`].
    timed_out: AtomicBool,
}

impl Gate {
    fn new(closing: fn(&Server), report: oneshot::Sender<AtClose>) -> Gate {
        Gate {
            server: OnceLock::new(),
            closing,
            report: Mutex::new(Some(report)),
            open: Mutex::new(false),
            opened: Condvar::new(),
            timed_out: AtomicBool::new(false),
        }
    }

    /// Closes the server from a thread of its own (the accept loop holds
    /// the server's lock while it accepts), records what that left, and
    /// opens the gate.
    fn close_from_another_thread(self: &Arc<Self>) {
        let Some(report) = self.report.lock().unwrap().take() else {
            return;
        };
        let gate = self.clone();
        std::thread::spawn(move || {
            let server = gate
                .server
                .get()
                .expect("the server is set before a client connects");
            (gate.closing)(server);
            let at_close = AtClose {
                wait_closed_ready: server.wait_closed().now_or_never().is_some(),
                clients: server.client_count(),
            };
            *gate.open.lock().unwrap() = true;
            gate.opened.notify_all();
            let _ = report.send(at_close);
        });
    }

    /// Waits (bounded) until the closing thread is done.
    fn pass(&self) {
        let open = self.open.lock().unwrap();
        if *open {
            return;
        }
        let (open, timeout) = self
            .opened
            .wait_timeout_while(open, GATE_BOUND, |open| !*open)
            .unwrap();
        if timeout.timed_out() && !*open {
            self.timed_out.store(true, Ordering::SeqCst);
        }
    }
}

/// The adapter's runtime, with TCP listeners wrapped in [`GatedListener`]
/// (a [`RuntimeLayer`]: `Layered(GatedRuntime { .. })` is the runtime).
#[derive(Clone)]
struct GatedRuntime {
    inner: RuntimeRef,
    gate: Arc<Gate>,
}

/// A listener whose first accepted connection closes the server and is
/// handed out as a [`GatedSocket`].
struct GatedListener {
    inner: Box<dyn Listener>,
    gate: Arc<Gate>,
}

/// An accepted socket whose every use first passes the gate.
struct GatedSocket {
    inner: Box<dyn Socket>,
    gate: Arc<Gate>,
}

#[cfg(unix)]
impl AsFd for GatedListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

#[cfg(windows)]
impl AsSocket for GatedListener {
    fn as_socket(&self) -> BorrowedSocket<'_> {
        self.inner.as_socket()
    }
}

impl Listener for GatedListener {
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<Accepted>> {
        self.inner.poll_accept(cx).map_ok(|(sock, peer)| {
            self.gate.close_from_another_thread();
            let sock = Box::new(GatedSocket {
                inner: sock,
                gate: self.gate.clone(),
            });
            (sock as Box<dyn Socket>, peer)
        })
    }
}

#[cfg(unix)]
impl AsFd for GatedSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.gate.pass();
        self.inner.as_fd()
    }
}

#[cfg(windows)]
impl AsSocket for GatedSocket {
    fn as_socket(&self) -> BorrowedSocket<'_> {
        self.gate.pass();
        self.inner.as_socket()
    }
}

impl Socket for GatedSocket {
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.gate.pass();
        self.inner.poll_read_ready(cx)
    }
    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.gate.pass();
        self.inner.poll_write_ready(cx)
    }
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.gate.pass();
        self.inner.try_read(buf)
    }
    fn poll_recv_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.gate.pass();
        self.inner.poll_recv_ready(cx)
    }
    fn poll_recv(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.gate.pass();
        self.inner.poll_recv(cx, buf)
    }
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.gate.pass();
        self.inner.try_write_vectored(bufs)
    }
    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.gate.pass();
        self.inner.try_write(buf)
    }
}

impl RuntimeLayer for GatedRuntime {
    fn inner(&self) -> &RuntimeRef {
        &self.inner
    }
    fn tcp_listener(&self, listener: std::net::TcpListener) -> io::Result<Box<dyn Listener>> {
        Ok(Box::new(GatedListener {
            inner: self.inner.tcp_listener(listener)?,
            gate: self.gate.clone(),
        }))
    }
}

/// Starts a server with `handler` on the gated runtime, connects one
/// client, and lets `closing` run between that connection's accept and
/// its setup. Returns the server, what `closing` left, and the client.
async fn accept_then_close<A: Adapter, F, Fut>(
    handler: F,
    closing: fn(&Server),
) -> (Server, AtClose, std::net::TcpStream)
where
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (report, at_close) = oneshot::channel();
    let gate = Arc::new(Gate::new(closing, report));
    let rt = Arc::new(Layered(GatedRuntime {
        inner: A::runtime(),
        gate: gate.clone(),
    }));
    let server = A::t(streams_common::start_server(
        rt,
        handler,
        "127.0.0.1".into(),
        0,
        ServerOptions::default(),
    ))
    .await
    .unwrap();
    assert!(gate.server.set(server.clone()).is_ok());
    // Loopback: the connection completes in the listen backlog.
    let client = std::net::TcpStream::connect(("127.0.0.1", crate::port(&server))).unwrap();
    let at_close = A::t(at_close).await.expect("the closing thread reports");
    assert!(!gate.timed_out.load(Ordering::SeqCst), "the gate opened");
    assert!(
        !at_close.wait_closed_ready,
        "wait_closed() was complete while an accepted connection was pending: {at_close:?}"
    );
    assert_eq!(at_close.clients, 1, "{at_close:?}");
    (server, at_close, client)
}

/// A connection accepted just before `close()` counts as a client from the
/// moment it was accepted: `wait_closed()` (and so `serve_forever()`) does
/// not return before its handler has run and its connection has ended.
pub async fn accepted_just_before_close_is_waited_for<A: Adapter>() {
    let handled = Arc::new(AtomicBool::new(false));
    let seen = handled.clone();
    let handler = move |_reader: StreamReader, writer: StreamWriter| {
        let seen = seen.clone();
        async move {
            seen.store(true, Ordering::SeqCst);
            // Dropping the writer closes the connection: only now.
            drop(writer);
        }
    };
    let (server, _, client) = accept_then_close::<A, _, _>(handler, Server::close).await;
    A::t(server.wait_closed()).await;
    assert!(
        handled.load(Ordering::SeqCst),
        "wait_closed() returned before the handler ran"
    );
    drop(client);
}

/// `abort_clients()` also reaches a connection that was accepted but not
/// yet set up when it was called: the forced shutdown `close()`,
/// `abort_clients()`, `wait_closed()` ends even though that connection's
/// handler would wait for its client forever.
pub async fn abort_clients_reaches_a_connection_being_set_up<A: Adapter>() {
    let handler = |mut reader: StreamReader, writer: StreamWriter| async move {
        let _writer = writer;
        let _ = reader.read_to_eof().await;
    };
    let (server, _, mut client) = accept_then_close::<A, _, _>(handler, |server| {
        server.close();
        server.abort_clients();
    })
    .await;
    A::t(server.wait_closed()).await;
    // The client sees its connection end (an abort may reset it).
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    match std::io::Read::read(&mut client, &mut [0; 16]) {
        Ok(0) => {}
        Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {}
        other => panic!("the aborted connection gave {other:?}"),
    }
}

/// Clients that reset (`SO_LINGER` 0) right after connecting, many at
/// once: every handler failure is reported with the client's address, as
/// asyncio reports it. The address has to come from `accept()`:
/// `getpeername()` fails on a connection that was reset before it was set
/// up.
pub async fn reset_clients_failures_are_reported_with_their_peer<A: Adapter>() {
    const CLIENTS: usize = 50;
    // On Windows `accept` may fail with WSAECONNRESET for a connection
    // reset before it was accepted (Microsoft's `accept` documentation),
    // and the server skips those: fewer reports than clients. Seen under
    // Wine; a Windows expectation (every report has its peer, some
    // clients never reach a handler) is not written yet.
    if crate::os_codes::skip_under_wine("connections reset before accept are skipped") {
        return;
    }
    let reports: Arc<Mutex<Vec<Option<Address>>>> = Arc::default();
    let seen = reports.clone();
    let server = A::t(A::start_server(
        |mut reader: StreamReader, _writer: StreamWriter| async move {
            // A reset or an EOF, whichever the connection got first.
            let _ = reader.read_to_eof().await;
            Err::<(), Box<dyn std::error::Error + Send + Sync>>("handler failed".into())
        },
        "127.0.0.1",
        0,
        ServerOptions::default().on_handler_error(move |_, peer| {
            seen.lock().unwrap().push(peer.cloned());
        }),
    ))
    .await
    .unwrap();
    let port = crate::port(&server);
    let clients = A::t(A::spawn_blocking(move || {
        let clients: Vec<std::net::TcpStream> = (0..CLIENTS)
            .map(|_| {
                let c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
                socket2::SockRef::from(&c)
                    .set_linger(Some(Duration::ZERO))
                    .unwrap();
                c
            })
            .collect();
        let addrs: Vec<SocketAddr> = clients.iter().map(|c| c.local_addr().unwrap()).collect();
        drop(clients); // every one resets, at once
        addrs
    }))
    .await;
    crate::adapters::wait_until::<A>("a report for every client", || {
        reports.lock().unwrap().len() >= CLIENTS
    })
    .await;
    let reports = reports.lock().unwrap().clone();
    let missing = reports.iter().filter(|p| p.is_none()).count();
    assert_eq!(
        missing,
        0,
        "{missing} of {} reports had no peer",
        reports.len()
    );
    let mut peers: Vec<SocketAddr> = reports
        .iter()
        .map(|p| p.as_ref().and_then(Address::as_inet).expect("a TCP peer"))
        .collect();
    peers.sort();
    let mut clients = clients;
    clients.sort();
    assert_eq!(peers, clients, "each report names its own client");
    server.close();
    A::t(server.wait_closed()).await;
}

/// A Unix server's connections are named as asyncio names them: an
/// unbound client is unnamed (`''`), a bound one by its path or its Linux
/// abstract name, even if it closed before it was accepted.
#[cfg(unix)]
pub async fn unix_peers_are_named_as_accept_names_them<A: Adapter>() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.sock");
    let (tx, mut peers) = futures::channel::mpsc::unbounded();
    let server = A::t(A::start_unix_server(
        move |_reader: StreamReader, writer: StreamWriter| {
            let tx = tx.clone();
            async move {
                let _ = tx.unbounded_send(writer.peername().cloned());
            }
        },
        &path,
        ServerOptions::default(),
    ))
    .await
    .unwrap();

    let (_reader, _writer) = A::t(A::open_unix_connection(
        &path,
        streams_common::OpenOptions::default(),
    ))
    .await
    .unwrap();
    assert_eq!(
        A::t(futures::StreamExt::next(&mut peers)).await,
        Some(Some(Address::Unix(UnixAddr::Unnamed)))
    );

    // Unique per process and per runtime (the three suites may run at once).
    let abstract_name = format!(
        "\0streams-suite-peer-{}-{}",
        std::any::type_name::<A>()
            .rsplit("::")
            .next()
            .unwrap_or("a"),
        std::process::id()
    );
    let client_path = dir.path().join("client.sock");
    for (bind_to, expected) in [
        (
            client_path.as_os_str().to_owned(),
            UnixAddr::Path(client_path.clone()),
        ),
        (
            abstract_name.clone().into(),
            UnixAddr::Abstract(abstract_name.as_bytes()[1..].to_vec()),
        ),
    ] {
        let client =
            socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None).unwrap();
        client
            .bind(&socket2::SockAddr::unix(&bind_to).unwrap())
            .unwrap();
        client
            .connect(&socket2::SockAddr::unix(&path).unwrap())
            .unwrap();
        // Gone at once, maybe before it is accepted: its name stays known.
        drop(client);
        assert_eq!(
            A::t(futures::StreamExt::next(&mut peers)).await,
            Some(Some(Address::Unix(expected)))
        );
    }
    server.close();
    A::t(server.wait_closed()).await;
}
