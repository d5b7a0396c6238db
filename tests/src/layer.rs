//! Runtimes for tests that change a few calls of another runtime: a
//! [`RuntimeLayer`] says what it changes, [`Layered`] makes it a
//! [`Runtime`] that hands every other call to the runtime underneath.

use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
#[cfg(unix)]
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::Arc;
use std::time::Duration;
use streams_common::runtime::{BoxFuture, Listener, Runtime, RuntimeRef, Socket};

/// The calls a test runtime may change; each defaults to the runtime
/// underneath ([`inner`](Self::inner)).
pub trait RuntimeLayer: Clone + Send + Sync + 'static {
    /// The runtime underneath.
    fn inner(&self) -> &RuntimeRef;
    fn spawn(&self, future: BoxFuture<()>) {
        self.inner().spawn(future);
    }
    fn tcp_stream(&self, stream: std::net::TcpStream) -> io::Result<Box<dyn Socket>> {
        self.inner().tcp_stream(stream)
    }
    #[cfg(unix)]
    fn unix_stream(&self, stream: UnixStream) -> io::Result<Box<dyn Socket>> {
        self.inner().unix_stream(stream)
    }
    fn tcp_listener(&self, listener: std::net::TcpListener) -> io::Result<Box<dyn Listener>> {
        self.inner().tcp_listener(listener)
    }
}

/// `L` as a runtime (and, through `Deref`, `L` itself for its own state).
#[derive(Clone)]
pub struct Layered<L>(pub L);

impl<L> Deref for Layered<L> {
    type Target = L;
    fn deref(&self) -> &L {
        &self.0
    }
}

impl<L: RuntimeLayer> Runtime for Layered<L> {
    fn spawn(&self, future: BoxFuture<()>) {
        self.0.spawn(future);
    }
    fn sleep(&self, duration: Duration) -> BoxFuture<()> {
        self.0.inner().sleep(duration)
    }
    fn resolve(&self, host: String, port: u16) -> BoxFuture<io::Result<Vec<SocketAddr>>> {
        self.0.inner().resolve(host, port)
    }
    fn tcp_stream(&self, stream: std::net::TcpStream) -> io::Result<Box<dyn Socket>> {
        self.0.tcp_stream(stream)
    }
    #[cfg(unix)]
    fn unix_stream(&self, stream: UnixStream) -> io::Result<Box<dyn Socket>> {
        self.0.unix_stream(stream)
    }
    fn tcp_listener(&self, listener: std::net::TcpListener) -> io::Result<Box<dyn Listener>> {
        self.0.tcp_listener(listener)
    }
    #[cfg(unix)]
    fn unix_listener(&self, listener: UnixListener) -> io::Result<Box<dyn Listener>> {
        self.0.inner().unix_listener(listener)
    }
    fn handle(&self) -> RuntimeRef {
        Arc::new(self.clone())
    }
}
