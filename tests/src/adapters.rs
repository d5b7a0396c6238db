//! [`Adapter`]: what a test body needs from a runtime and its adapter
//! crate, and its three implementations.

use futures::future::{select, Either};
use std::future::{poll_fn, Future};
#[cfg(unix)]
use std::path::Path;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use streams_common::runtime::{BoxFuture, RuntimeRef};
use streams_common::transport::TransportOptions;
use streams_common::{
    socket2, ConnectError, HandlerOutput, Hosts, OpenOptions, Server, ServerError, ServerOptions,
    StreamReader, StreamWriter,
};

/// A wait that a test bounded ran out of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed;

/// One runtime and its adapter crate, as the test bodies use them.
///
/// The entry points are the adapter crate's own public functions (so the
/// suite tests each crate's API, not only `streams-common`); they are
/// written once by [`adapter_api!`](crate::adapter_api).
pub trait Adapter: Send + Sync + 'static {
    /// The runtime value, for its timer.
    fn runtime() -> RuntimeRef;
    /// Runs a test body to completion on this runtime.
    fn block_on<F: Future>(future: F) -> F::Output;
    /// Starts `future` as a task now; the returned future gives its output
    /// (and re-raises its panic).
    fn spawn<T: Send + 'static>(future: impl Future<Output = T> + Send + 'static) -> BoxFuture<T>;
    /// Runs blocking code (a peer on std sockets, a child process) on the
    /// runtime's blocking pool.
    fn spawn_blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> BoxFuture<T>;

    /// The adapter's `open_connection`.
    fn open_connection(
        host: &str,
        port: u16,
        options: OpenOptions,
    ) -> impl Future<Output = Result<(StreamReader, StreamWriter), ConnectError>> + Send;
    /// The adapter's `open_connection_with_socket`.
    fn open_connection_with_socket(
        sock: impl Into<socket2::Socket> + Send,
        options: OpenOptions,
    ) -> impl Future<Output = Result<(StreamReader, StreamWriter), ConnectError>> + Send;
    /// The adapter's `open_unix_connection` (Unix only).
    #[cfg(unix)]
    fn open_unix_connection(
        path: impl AsRef<Path> + Send,
        options: OpenOptions,
    ) -> impl Future<Output = Result<(StreamReader, StreamWriter), ConnectError>> + Send;
    /// The adapter's `open_unix_connection_with_socket` (Unix only).
    #[cfg(unix)]
    fn open_unix_connection_with_socket(
        sock: impl Into<socket2::Socket> + Send,
        options: OpenOptions,
    ) -> impl Future<Output = Result<(StreamReader, StreamWriter), ConnectError>> + Send;
    /// The adapter's `start_server`.
    fn start_server<F, Fut>(
        handler: F,
        hosts: impl Into<Hosts> + Send,
        port: u16,
        options: ServerOptions,
    ) -> impl Future<Output = Result<Server, ServerError>> + Send
    where
        F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: HandlerOutput;
    /// The adapter's `start_server_with_socket`.
    fn start_server_with_socket<F, Fut>(
        handler: F,
        sock: impl Into<socket2::Socket>,
        options: ServerOptions,
    ) -> Result<Server, ServerError>
    where
        F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: HandlerOutput;
    /// The adapter's `start_unix_server` (Unix only).
    #[cfg(unix)]
    fn start_unix_server<F, Fut>(
        handler: F,
        path: impl AsRef<Path> + Send,
        options: ServerOptions,
    ) -> impl Future<Output = Result<Server, ServerError>> + Send
    where
        F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: HandlerOutput;
    /// The adapter's `start_unix_server_with_socket` (Unix only).
    #[cfg(unix)]
    fn start_unix_server_with_socket<F, Fut>(
        handler: F,
        sock: impl Into<socket2::Socket>,
        options: ServerOptions,
    ) -> Result<Server, ServerError>
    where
        F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: HandlerOutput;

    /// A connected `stream` as the runtime's own TCP stream type, through
    /// the adapter's generic path (`open_io`), which sees a transport and
    /// nothing of a socket: Tokio's `TcpStream` on Tokio; async-net's on
    /// smol and async-std (async-std's own `TcpStream` does not shut its
    /// write direction down on `poll_close`, so `write_eof` would send no
    /// FIN through it).
    fn open_tcp_io(
        stream: std::net::TcpStream,
        options: TransportOptions,
    ) -> (StreamReader, StreamWriter);

    /// Completes after `duration`, on the runtime's own timer.
    fn sleep(duration: Duration) -> BoxFuture<()> {
        Self::runtime().sleep(duration)
    }

    /// `future`'s output, or [`Elapsed`] if `duration` passes first.
    fn timeout<F: Future + Send>(
        duration: Duration,
        future: F,
    ) -> impl Future<Output = Result<F::Output, Elapsed>> + Send {
        async move {
            let sleep = Self::sleep(duration);
            match select(pin!(future), sleep).await {
                Either::Left((v, _)) => Ok(v),
                Either::Right(_) => Err(Elapsed),
            }
        }
    }

    /// `future`'s output; panics ("timed out") after 20 s: every await in
    /// a test body is bounded, so a bug fails instead of hanging.
    fn t<F: Future + Send>(future: F) -> impl Future<Output = F::Output> + Send {
        Self::t_for(Duration::from_secs(20), future)
    }

    /// [`t`](Self::t) with another bound.
    fn t_for<F: Future + Send>(
        duration: Duration,
        future: F,
    ) -> impl Future<Output = F::Output> + Send {
        async move {
            match Self::timeout(duration, future).await {
                Ok(v) => v,
                Err(Elapsed) => panic!("timed out after {duration:?}"),
            }
        }
    }
}

/// The bound on a wait for an event that a test knows must come (a
/// connection registered, a report made): generous, so that only a bug
/// or a machine many times too slow reaches it.
pub const WAIT: Duration = Duration::from_secs(10);

/// How often [`wait_until`] checks its condition.
const POLL_EVERY: Duration = Duration::from_millis(2);

/// `future`'s output; panics with `what` if [`WAIT`] passes first
/// (measured on the runtime's timer). Unlike [`Adapter::t`] it needs no
/// `Send`, and it says what was being waited for.
pub async fn within<A: Adapter, F: Future>(what: &str, future: F) -> F::Output {
    match select(pin!(future), A::sleep(WAIT)).await {
        Either::Left((v, _)) => v,
        Either::Right(_) => panic!("{what}: not done after {WAIT:?}"),
    }
}

/// Waits until `condition` holds, checking it every couple of
/// milliseconds on the runtime's timer; panics with `what` if it still
/// does not after [`WAIT`]. For events that have no future of their own
/// to await (a server's client count, a kernel queue).
pub async fn wait_until<A: Adapter>(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    // Bounded in count as well as in time.
    let rounds = WAIT.as_millis() / POLL_EVERY.as_millis() + 1;
    for _ in 0..rounds {
        if condition() {
            return;
        }
        if Instant::now() >= deadline {
            break;
        }
        A::sleep(POLL_EVERY).await;
    }
    if !condition() {
        panic!("{what}: not so after {WAIT:?}");
    }
}

/// Polls `future` once, with a waker that does nothing: whether it is
/// ready *now*. A test that must show something has NOT happened calls it
/// once the events that thing depends on are known to have happened
/// (never after a pause that assumes a fast machine). The future may be
/// awaited afterwards: its next poll registers the real waker.
pub fn poll_once<F: Future + ?Sized>(future: Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(futures::task::noop_waker_ref()))
}

/// Lets every other ready task run once (`tokio::task::yield_now` on any
/// runtime).
pub async fn yield_now() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

/// The entry points of [`Adapter`], delegated to an adapter crate's public
/// functions: written once for the three adapters.
#[macro_export]
macro_rules! adapter_api {
    ($krate:ident) => {
        fn open_connection(
            host: &str,
            port: u16,
            options: ::streams_common::OpenOptions,
        ) -> impl ::std::future::Future<
            Output = ::std::result::Result<
                (
                    ::streams_common::StreamReader,
                    ::streams_common::StreamWriter,
                ),
                ::streams_common::ConnectError,
            >,
        > + Send {
            $krate::open_connection(host, port, options)
        }
        fn open_connection_with_socket(
            sock: impl Into<::streams_common::socket2::Socket> + Send,
            options: ::streams_common::OpenOptions,
        ) -> impl ::std::future::Future<
            Output = ::std::result::Result<
                (
                    ::streams_common::StreamReader,
                    ::streams_common::StreamWriter,
                ),
                ::streams_common::ConnectError,
            >,
        > + Send {
            $krate::open_connection_with_socket(sock, options)
        }
        #[cfg(unix)]
        fn open_unix_connection(
            path: impl AsRef<::std::path::Path> + Send,
            options: ::streams_common::OpenOptions,
        ) -> impl ::std::future::Future<
            Output = ::std::result::Result<
                (
                    ::streams_common::StreamReader,
                    ::streams_common::StreamWriter,
                ),
                ::streams_common::ConnectError,
            >,
        > + Send {
            $krate::open_unix_connection(path, options)
        }
        #[cfg(unix)]
        fn open_unix_connection_with_socket(
            sock: impl Into<::streams_common::socket2::Socket> + Send,
            options: ::streams_common::OpenOptions,
        ) -> impl ::std::future::Future<
            Output = ::std::result::Result<
                (
                    ::streams_common::StreamReader,
                    ::streams_common::StreamWriter,
                ),
                ::streams_common::ConnectError,
            >,
        > + Send {
            $krate::open_unix_connection_with_socket(sock, options)
        }
        fn start_server<F, Fut>(
            handler: F,
            hosts: impl Into<::streams_common::Hosts> + Send,
            port: u16,
            options: ::streams_common::ServerOptions,
        ) -> impl ::std::future::Future<
            Output = ::std::result::Result<::streams_common::Server, ::streams_common::ServerError>,
        > + Send
        where
            F: Fn(::streams_common::StreamReader, ::streams_common::StreamWriter) -> Fut
                + Send
                + Sync
                + 'static,
            Fut: ::std::future::Future + Send + 'static,
            Fut::Output: ::streams_common::HandlerOutput,
        {
            $krate::start_server(handler, hosts, port, options)
        }
        fn start_server_with_socket<F, Fut>(
            handler: F,
            sock: impl Into<::streams_common::socket2::Socket>,
            options: ::streams_common::ServerOptions,
        ) -> ::std::result::Result<::streams_common::Server, ::streams_common::ServerError>
        where
            F: Fn(::streams_common::StreamReader, ::streams_common::StreamWriter) -> Fut
                + Send
                + Sync
                + 'static,
            Fut: ::std::future::Future + Send + 'static,
            Fut::Output: ::streams_common::HandlerOutput,
        {
            $krate::start_server_with_socket(handler, sock, options)
        }
        #[cfg(unix)]
        fn start_unix_server<F, Fut>(
            handler: F,
            path: impl AsRef<::std::path::Path> + Send,
            options: ::streams_common::ServerOptions,
        ) -> impl ::std::future::Future<
            Output = ::std::result::Result<::streams_common::Server, ::streams_common::ServerError>,
        > + Send
        where
            F: Fn(::streams_common::StreamReader, ::streams_common::StreamWriter) -> Fut
                + Send
                + Sync
                + 'static,
            Fut: ::std::future::Future + Send + 'static,
            Fut::Output: ::streams_common::HandlerOutput,
        {
            $krate::start_unix_server(handler, path, options)
        }
        #[cfg(unix)]
        fn start_unix_server_with_socket<F, Fut>(
            handler: F,
            sock: impl Into<::streams_common::socket2::Socket>,
            options: ::streams_common::ServerOptions,
        ) -> ::std::result::Result<::streams_common::Server, ::streams_common::ServerError>
        where
            F: Fn(::streams_common::StreamReader, ::streams_common::StreamWriter) -> Fut
                + Send
                + Sync
                + 'static,
            Fut: ::std::future::Future + Send + 'static,
            Fut::Output: ::streams_common::HandlerOutput,
        {
            $krate::start_unix_server_with_socket(handler, sock, options)
        }
    };
}

/// Tokio: a multi-threaded runtime (two workers) per test.
#[derive(Debug)]
pub struct TokioAdapter;

impl Adapter for TokioAdapter {
    fn runtime() -> RuntimeRef {
        Arc::new(streams_tokio::Tokio)
    }
    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a Tokio runtime")
            .block_on(future)
    }
    fn spawn<T: Send + 'static>(future: impl Future<Output = T> + Send + 'static) -> BoxFuture<T> {
        let handle = tokio::spawn(future);
        Box::pin(async move {
            match handle.await {
                Ok(v) => v,
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        })
    }
    fn spawn_blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> BoxFuture<T> {
        let handle = tokio::task::spawn_blocking(f);
        Box::pin(async move {
            match handle.await {
                Ok(v) => v,
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        })
    }
    fn open_tcp_io(
        stream: std::net::TcpStream,
        options: TransportOptions,
    ) -> (StreamReader, StreamWriter) {
        stream.set_nonblocking(true).unwrap();
        let tcp = tokio::net::TcpStream::from_std(stream).unwrap();
        streams_tokio::open_io(tcp, options).unwrap()
    }
    adapter_api!(streams_tokio);
}

/// smol: the test body on `smol::block_on`, the connections on smol's
/// global executor (as `streams_smol`'s entry points use it).
#[derive(Debug)]
pub struct SmolAdapter;

impl Adapter for SmolAdapter {
    fn runtime() -> RuntimeRef {
        Arc::new(streams_smol::Smol::default())
    }
    fn block_on<F: Future>(future: F) -> F::Output {
        smol::block_on(future)
    }
    fn spawn<T: Send + 'static>(future: impl Future<Output = T> + Send + 'static) -> BoxFuture<T> {
        Box::pin(smol::spawn(future))
    }
    fn spawn_blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> BoxFuture<T> {
        Box::pin(smol::unblock(f))
    }
    fn open_tcp_io(
        stream: std::net::TcpStream,
        options: TransportOptions,
    ) -> (StreamReader, StreamWriter) {
        let tcp = async_net::TcpStream::try_from(stream).unwrap();
        streams_smol::open_io(tcp, options).unwrap()
    }
    adapter_api!(streams_smol);
}

/// async-std: `async_std::task::block_on`, `spawn` and `spawn_blocking`.
#[derive(Debug)]
pub struct AsyncStdAdapter;

impl Adapter for AsyncStdAdapter {
    fn runtime() -> RuntimeRef {
        Arc::new(streams_async_std::AsyncStd::default())
    }
    fn block_on<F: Future>(future: F) -> F::Output {
        async_std::task::block_on(future)
    }
    fn spawn<T: Send + 'static>(future: impl Future<Output = T> + Send + 'static) -> BoxFuture<T> {
        Box::pin(async_std::task::spawn(future))
    }
    fn spawn_blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> BoxFuture<T> {
        Box::pin(async_std::task::spawn_blocking(f))
    }
    fn open_tcp_io(
        stream: std::net::TcpStream,
        options: TransportOptions,
    ) -> (StreamReader, StreamWriter) {
        let tcp = async_net::TcpStream::try_from(stream).unwrap();
        streams_async_std::open_io(tcp, options).unwrap()
    }
    adapter_api!(streams_async_std);
}
