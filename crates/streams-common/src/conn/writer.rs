//! The writing half of a connection: application commands into the
//! [`Connection`](crate::connection::Connection), and the waits on its
//! events (`drain`, `wait_closed`, the TLS handshake).

#[cfg(feature = "tls")]
use super::StreamReader;
use super::{register, Shared};
use crate::addr::Address;
#[cfg(feature = "tls")]
use crate::connection::TlsSession;
use crate::error::{connection_lost, stored_io_error};
use crate::tls::TlsError;
#[cfg(feature = "tls")]
use crate::tls::{StartTlsOptions, TlsConfig, TlsInfo};
#[cfg(any(feature = "tokio-io", feature = "futures-io"))]
use crate::write_state::DrainTicket;
use crate::write_state::{DrainEnd, DrainStart, LimitsError, WriteError, Written};
use socket2::SockRef;
use std::fmt;
use std::future::poll_fn;
use std::io;
#[cfg(unix)]
use std::os::fd::{AsRawFd, RawFd};
#[cfg(windows)]
use std::os::windows::io::{AsRawSocket, RawSocket};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Poll;
#[cfg(feature = "tls")]
use std::time::Instant;

#[cfg(any(feature = "tokio-io", feature = "futures-io"))]
mod poll_io;

/// The writing half of a connection: asyncio's `StreamWriter`.
///
/// `write` buffers and returns at once; a background task sends the buffer
/// as soon as the socket accepts it, so the bytes reach the peer whether or
/// not `drain()` is awaited. `drain()` is flow control: it waits only while
/// more than the high-water mark is buffered, until the buffer is down to
/// the low-water mark.
///
/// Dropping the writer closes the connection (as asyncio 3.13 does when a
/// writer is garbage-collected), after sending what is buffered.
///
/// With the `tokio-io` or `futures-io` feature (the adapters turn them on)
/// the writer implements the standard `AsyncWrite` traits, with `drain()`'s
/// flow control: a write is accepted whole while the buffer is at or below
/// the high-water mark, and waits above it until the buffer is down to the
/// low-water mark. With an `AsyncWriteExt` in scope, `writer.write(..)`
/// and `writer.close()` on a `&mut StreamWriter` are the trait's (its
/// methods take `&mut self` and are found first); on a writer held by
/// value or by `&` they are this type's.
pub struct StreamWriter {
    shared: Arc<Shared>,
    /// The drain an `AsyncWrite::poll_write` waits on, kept across polls.
    #[cfg(any(feature = "tokio-io", feature = "futures-io"))]
    io_wait: Option<DrainTicket>,
}

impl fmt::Debug for StreamWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.shared.lock();
        f.debug_struct("StreamWriter")
            .field("peername", &self.shared.peername)
            .field("buffered", &st.core.write_buffer_size())
            .field("phase", &st.core.phase())
            .finish()
    }
}

impl Drop for StreamWriter {
    fn drop(&mut self) {
        self.shared.writer_dropped();
    }
}

impl StreamWriter {
    pub(super) fn new(shared: Arc<Shared>) -> StreamWriter {
        StreamWriter {
            shared,
            #[cfg(any(feature = "tokio-io", feature = "futures-io"))]
            io_wait: None,
        }
    }

    fn after_write(r: Result<Written, WriteError>) -> Result<(), WriteError> {
        if let Written::Dropped { warn: true } = r? {
            crate::diag::warning!("socket.send() raised exception.");
        }
        Ok(())
    }

    /// Buffers `data` for sending; never waits. Fails only after
    /// [`write_eof`](Self::write_eof); after the connection is closed or
    /// lost the data is dropped silently (a warning is logged from the
    /// fifth such write on).
    ///
    /// A reply (the first write after the reader consumed all the input
    /// it had, with nothing buffered before it) is sent from this call, as
    /// far as the socket takes it without blocking, as asyncio's `write`
    /// sends when its buffer is empty. Other writes (the replies to
    /// pipelined requests, a stream of writes) are sent together by the
    /// connection's background task.
    ///
    /// ```no_run
    /// # async fn f(writer: &streams_common::StreamWriter) -> std::io::Result<()> {
    /// writer.write(b"hello\n").unwrap();
    /// writer.drain().await?; // only waits if the buffer is above the high-water mark
    /// # Ok(()) }
    /// ```
    pub fn write(&self, data: &[u8]) -> Result<(), WriteError> {
        let mut st = self.shared.lock();
        let r = st.core.write(data);
        if let Ok(Written::Buffered { wake_driver: true }) = r {
            self.shared.send_now(&mut st);
        }
        drop(st);
        Self::after_write(r)
    }

    /// Buffers every item in order, as one write.
    pub fn writelines<I>(&self, items: I) -> Result<(), WriteError>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        let items: Vec<I::Item> = items.into_iter().collect();
        let slices: Vec<&[u8]> = items.iter().map(AsRef::as_ref).collect();
        let r = self.shared.lock().core.writelines(&slices);
        Self::after_write(r)
    }

    /// Waits while the write buffer is above the high-water mark.
    ///
    /// Fails with the error the connection ended with, or with
    /// `ConnectionResetError('Connection lost')` (kind
    /// [`io::ErrorKind::ConnectionReset`]) once the connection is closed.
    /// A drain that is waiting when the connection is closed or aborted
    /// locally returns `Ok`. Cancel-safe.
    pub async fn drain(&self) -> io::Result<()> {
        if self.shared.drain_ready.load(Ordering::Acquire) {
            return Ok(());
        }
        let start = match self.shared.lock().core.drain_start() {
            Ok(start) => start,
            Err(e) => return Err(stored_io_error(&e)),
        };
        let ticket = match start {
            DrainStart::Ready => return Ok(()),
            DrainStart::Lost => return Err(connection_lost()),
            DrainStart::Wait(t) => t,
        };
        poll_fn(|cx| {
            let mut st = self.shared.lock();
            match st.core.drain_poll(ticket) {
                Some(DrainEnd::Ok) => Poll::Ready(Ok(())),
                Some(DrainEnd::Err(e)) => Poll::Ready(Err(stored_io_error(&e))),
                None => {
                    register(&mut st.wakers.drain, cx);
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// Shuts the write side down once the buffer is sent (half-close); the
    /// connection stays open for reading. A no-op when closing or repeated.
    ///
    /// Over TLS, which has no half-close, it fails with
    /// [`TlsError::WriteEofNotSupported`] (asyncio's `NotImplementedError`)
    /// and changes nothing; [`can_write_eof`](Self::can_write_eof) tells in
    /// advance.
    ///
    /// ```no_run
    /// # fn f(writer: &streams_common::StreamWriter) {
    /// use streams_common::tls::TlsError;
    /// if writer.can_write_eof() {
    ///     writer.write_eof().unwrap();
    /// } else {
    ///     assert_eq!(writer.write_eof(), Err(TlsError::WriteEofNotSupported));
    /// }
    /// # }
    /// ```
    pub fn write_eof(&self) -> Result<(), TlsError> {
        self.shared.lock().core.write_eof()
    }

    /// Whether [`write_eof`](Self::write_eof) is supported: for TCP and
    /// Unix sockets, not over TLS.
    #[must_use]
    pub fn can_write_eof(&self) -> bool {
        !self.shared.lock().core.is_tls()
    }

    /// Closes the connection after sending what is buffered. Idempotent;
    /// reading stops at once.
    pub fn close(&self) {
        self.shared.close();
    }

    /// Closes the connection without losing what was written to a peer
    /// that is still sending (beyond asyncio, whose `close()` can lose it):
    /// sends what is buffered, shuts the write side down, then reads and
    /// discards what the peer still sends until its EOF, and closes; at the
    /// latest `timeout` after it starts flushing. A plain `close()` closes
    /// the socket as soon as the buffer is sent, and if the peer's data is
    /// still unread then, the kernel resets the connection, and the peer
    /// can lose what it had not read yet. Over TLS this is
    /// [`close`](Self::close), which already waits for the peer's
    /// close_notify.
    ///
    /// ```no_run
    /// # async fn f(writer: streams_common::StreamWriter) -> std::io::Result<()> {
    /// writer.write(b"the whole reply\n").unwrap();
    /// writer.close_lingering(std::time::Duration::from_secs(5));
    /// writer.wait_closed().await?;
    /// # Ok(()) }
    /// ```
    pub fn close_lingering(&self, timeout: std::time::Duration) {
        self.shared.lock().core.close_lingering(timeout);
    }

    /// Closes the connection at once, dropping the buffer.
    pub fn abort(&self) {
        self.shared.abort();
    }

    /// Whether the connection is closing or closed.
    #[must_use]
    pub fn is_closing(&self) -> bool {
        self.shared.lock().core.is_closing()
    }

    /// Waits until the connection is closed and its socket released. Fails
    /// with the error the connection ended with, if any. May be awaited
    /// before `close()` (it then waits for the connection to end), any
    /// number of times; cancelling one wait does not affect the others.
    pub async fn wait_closed(&self) -> io::Result<()> {
        poll_fn(|cx| {
            let mut st = self.shared.lock();
            if st.core.is_closed() {
                return Poll::Ready(match st.core.lost_error() {
                    Some(e) => Err(stored_io_error(e)),
                    None => Ok(()),
                });
            }
            register(&mut st.wakers.closed, cx);
            Poll::Pending
        })
        .await
    }

    /// Sets the water marks (asyncio's defaulting: neither → 64 KiB high,
    /// 512 KiB over TLS; only `low` → high = 4 × low; only `high` → low =
    /// high / 4).
    pub fn set_write_buffer_limits(
        &self,
        high: Option<usize>,
        low: Option<usize>,
    ) -> Result<(), LimitsError> {
        self.shared.lock().core.set_write_buffer_limits(high, low)
    }

    /// Bytes buffered and not yet sent.
    #[must_use]
    pub fn get_write_buffer_size(&self) -> usize {
        self.shared.lock().core.write_buffer_size()
    }

    /// `(low, high)`.
    #[must_use]
    pub fn get_write_buffer_limits(&self) -> (usize, usize) {
        self.shared.lock().core.write_buffer_limits()
    }

    /// The peer's address (asyncio's `get_extra_info('peername')`).
    #[must_use]
    pub fn peername(&self) -> Option<&Address> {
        self.shared.peername.as_ref()
    }

    /// The local address (asyncio's `get_extra_info('sockname')`).
    #[must_use]
    pub fn sockname(&self) -> Option<&Address> {
        self.shared.sockname.as_ref()
    }

    /// Whether this is a TCP connection (as opposed to a Unix one).
    #[must_use]
    pub fn is_tcp(&self) -> bool {
        self.shared.is_tcp
    }

    /// Runs `f` with the socket (asyncio's `get_extra_info('socket')`), to
    /// read or set options; `None` once the socket is closed.
    ///
    /// ```no_run
    /// # fn f(writer: &streams_common::StreamWriter) {
    /// let nodelay = writer.with_socket(|s| s.tcp_nodelay());
    /// # }
    /// ```
    pub fn with_socket<T>(&self, f: impl FnOnce(SockRef<'_>) -> T) -> Option<T> {
        let st = self.shared.lock();
        st.sock.as_deref().map(|s| f(s.sock_ref()))
    }

    /// The socket's file descriptor, while it is open.
    #[cfg(unix)]
    #[must_use]
    pub fn raw_fd(&self) -> Option<RawFd> {
        let st = self.shared.lock();
        st.sock.as_deref().map(|s| s.sock_ref().as_raw_fd())
    }

    /// The socket's handle (Windows' `SOCKET`), while it is open.
    #[cfg(windows)]
    #[must_use]
    pub fn raw_socket(&self) -> Option<RawSocket> {
        let st = self.shared.lock();
        st.sock.as_deref().map(|s| s.sock_ref().as_raw_socket())
    }

    /// Whether the connection uses TLS (asyncio's
    /// `get_extra_info('sslcontext') is not None`).
    #[must_use]
    pub fn is_tls(&self) -> bool {
        self.shared.lock().core.is_tls()
    }

    /// Whether the connection was accepted by a server (the side
    /// [`start_tls`](Self::start_tls) takes).
    #[must_use]
    pub fn is_server_side(&self) -> bool {
        self.shared.server_side
    }

    #[cfg(feature = "tls")]
    /// What the TLS connection negotiated: the peer's certificate chain,
    /// protocol version, cipher suite, ALPN protocol and SNI name
    /// (asyncio's `get_extra_info('peercert' | 'cipher' | 'ssl_object')`);
    /// `None` without TLS; still known after the connection closed. The plain
    /// transport's info ([`peername`](Self::peername),
    /// [`sockname`](Self::sockname), [`with_socket`](Self::with_socket))
    /// stays available.
    ///
    /// ```no_run
    /// # fn f(writer: &streams_common::StreamWriter) {
    /// if let Some(info) = writer.tls_info() {
    ///     println!("{:?} {:?}", info.version_name(), info.cipher_suite);
    /// }
    /// # }
    /// ```
    #[must_use]
    pub fn tls_info(&self) -> Option<TlsInfo> {
        self.shared.lock().core.tls_info()
    }

    #[cfg(feature = "tls")]
    /// Upgrades the connection to TLS (asyncio's `StreamWriter.start_tls`,
    /// e.g. after a STARTTLS command): everything buffered is sent in
    /// plaintext first, then the handshake runs on this connection; returns
    /// when it is done. The side is the one the connection was made
    /// with: a connection accepted by a server needs a
    /// [`TlsConfig::Server`], one made by `open_connection` a
    /// [`TlsConfig::Client`].
    ///
    /// It takes the connection's `reader` by `&mut`: no read can run during
    /// the upgrade (a compile-time rule where asyncio leaves a race), and
    /// unlike asyncio (gh-142352) no byte is lost: whatever the reader had
    /// already received and not consumed when the upgrade starts (a
    /// ClientHello that arrived with the last plaintext line, say) is
    /// handed to TLS as the first ciphertext. A reader of another
    /// connection is refused ([`TlsError::ForeignReader`]).
    ///
    /// On failure (a certificate that does not verify, the handshake
    /// timeout) the connection is closed, as asyncio does.
    ///
    /// ```no_run
    /// # async fn f(
    /// #     mut reader: streams_common::StreamReader,
    /// #     writer: streams_common::StreamWriter,
    /// #     config: std::sync::Arc<streams_common::tls::rustls::ServerConfig>,
    /// # ) -> Result<(), Box<dyn std::error::Error>> {
    /// use streams_common::tls::StartTlsOptions;
    /// let line = reader.readline().await?;
    /// if line.as_ref() == b"STARTTLS\n" {
    ///     writer.write(b"OK\n")?;
    ///     writer.start_tls(&mut reader, config, StartTlsOptions::default()).await?;
    ///     // reader and writer now speak TLS
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn start_tls(
        &self,
        reader: &mut StreamReader,
        config: impl Into<TlsConfig>,
        options: StartTlsOptions,
    ) -> Result<(), TlsError> {
        let config = config.into();
        crate::tls::check_timeouts(options.handshake_timeout, options.shutdown_timeout)
            .map_err(TlsError::InvalidArgument)?;
        if !reader.is_of(&self.shared) {
            return Err(TlsError::ForeignReader);
        }
        let server_side = self.shared.server_side;
        let setup = match (&config, server_side) {
            (TlsConfig::Server(c), true) => {
                TlsSession::server(c, options.handshake_timeout, options.shutdown_timeout)
            }
            (TlsConfig::Client(c), false) => {
                let name = match options
                    .server_hostname
                    .clone()
                    .or_else(|| self.shared.host.clone())
                {
                    Some(n) => n,
                    None => match self.peername().and_then(Address::as_inet) {
                        Some(a) => a.ip().to_string(),
                        None => return Err(TlsError::ServerHostnameRequired),
                    },
                };
                TlsSession::client(
                    c,
                    &name,
                    options.handshake_timeout,
                    options.shutdown_timeout,
                )
            }
            _ => return Err(TlsError::WrongSide { server_side }),
        };
        let session = setup?;
        {
            let mut st = self.shared.lock();
            st.core
                .start_tls(session, reader.core_mut(), Instant::now())?;
            self.shared.reader_len.store(0, Ordering::Relaxed);
        }
        let r = self.shared.handshake().await;
        if r.is_err() {
            self.shared.abort();
        }
        r
    }
}
