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
///
/// In the methods' examples (their set-up in hidden lines), `peer` is the
/// reader of the other end of an in-memory [`pair`](crate::transport::pair)
/// (`peer_reader` and `peer_writer` when both are used), and `rt` and
/// `addr` a smol runtime and a loopback server's address.
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
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # let ((mut peer, _peer_writer), (_reader, writer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// writer.write(b"hello\n")?; // buffered: never waits
    /// writer.drain().await?; // flow control: waits only above the high-water mark
    /// assert_eq!(peer.readline().await?, "hello\n"); // sent in the background
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
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
    ///
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # let ((mut peer, _peer_writer), (_reader, writer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// writer.writelines(["HELO me\r\n", "QUIT\r\n"])?;
    /// writer.writelines(vec![b"a\n".to_vec(), b"b\n".to_vec()])?;
    /// writer.close();
    /// assert_eq!(peer.read_to_eof().await?, "HELO me\r\nQUIT\r\na\nb\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
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
    ///
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # let ((mut peer, _peer_writer), (_reader, writer)) = pair(&streams_smol::Smol::default(), 64, TransportOptions::default().limit(64))?;
    /// writer.set_write_buffer_limits(Some(1024), None)?; // the low-water mark: 256
    /// writer.write(&[b'x'; 10_000])?;
    /// // The peer is not reading: the buffer is above the high-water mark, and
    /// // drain() waits...
    /// assert!(smol::future::poll_once(writer.drain()).await.is_none());
    /// // ... until the peer has read enough to bring it down to 256 bytes.
    /// let (drained, read) = smol::future::zip(writer.drain(), peer.readexactly(10_000)).await;
    /// drained?;
    /// assert_eq!(read?.len(), 10_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
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
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # let ((mut peer_reader, peer_writer), (mut reader, writer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// writer.write(b"request")?;
    /// writer.write_eof()?; // half-close: the peer reads EOF after the data...
    /// assert_eq!(peer_reader.read_to_eof().await?, "request");
    /// peer_writer.write(b"reply")?; // ... and can still answer
    /// peer_writer.close();
    /// assert_eq!(reader.read_to_eof().await?, "reply");
    /// assert!(writer.write(b"more").is_err()); // no write after write_eof()
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    pub fn write_eof(&self) -> Result<(), TlsError> {
        self.shared.lock().core.write_eof()
    }

    /// Whether [`write_eof`](Self::write_eof) is supported: for TCP and
    /// Unix sockets, not over TLS.
    ///
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # let ((mut peer, _peer_writer), (_reader, writer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// // A socket or a pair can half-close; TLS cannot.
    /// if writer.can_write_eof() {
    ///     writer.write_eof()?;
    /// } else {
    ///     writer.close();
    /// }
    /// assert_eq!(peer.read_to_eof().await?, "");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use]
    pub fn can_write_eof(&self) -> bool {
        !self.shared.lock().core.is_tls()
    }

    /// Closes the connection after sending what is buffered. Idempotent;
    /// reading stops at once.
    ///
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # let ((mut peer, _peer_writer), (_reader, writer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// writer.write(b"bye\n")?;
    /// writer.close(); // sends what is buffered, then closes
    /// assert!(writer.is_closing());
    /// assert_eq!(peer.read_to_eof().await?, "bye\n"); // all of it, then EOF
    /// writer.wait_closed().await?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
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
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # let rt = streams_smol::Smol::default().handle();
    /// use std::time::Duration;
    /// // A server that replies without reading what the client still sends.
    /// let reply = |_reader: StreamReader, writer: StreamWriter| async move {
    ///     let _ = writer.write(b"the whole reply\n");
    ///     writer.close_lingering(Duration::from_secs(5));
    ///     let _ = writer.wait_closed().await;
    /// };
    /// let server = start_server(rt.clone(), reply, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// let port = server.local_addrs()[0].port();
    /// let (mut reader, writer) = open_connection(&*rt, "127.0.0.1", port, OpenOptions::default()).await?;
    /// writer.write(&vec![b'x'; 1 << 20])?; // an upload the server does not read
    /// // With close(), the server's kernel could reset the connection over the
    /// // unread upload, and the reply could be lost; lingering, it arrives whole.
    /// assert_eq!(reader.read_to_eof().await?, "the whole reply\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    pub fn close_lingering(&self, timeout: std::time::Duration) {
        self.shared.lock().core.close_lingering(timeout);
    }

    /// Closes the connection at once, dropping the buffer.
    ///
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # let ((mut peer, _peer_writer), (_reader, writer)) = pair(&streams_smol::Smol::default(), 64, TransportOptions::default().limit(64))?;
    /// writer.write(&[b'x'; 10_000])?; // the peer is not reading: mostly buffered
    /// writer.abort(); // closes at once
    /// assert!(writer.is_closing());
    /// assert_eq!(writer.get_write_buffer_size(), 0); // the buffer was dropped
    /// // The peer of a pair sees a reset, not an EOF (a TCP peer does when
    /// // data was left unread).
    /// let error = peer.read_to_eof().await.unwrap_err();
    /// assert_eq!(std::io::Error::from(error).kind(), std::io::ErrorKind::ConnectionReset);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    pub fn abort(&self) {
        self.shared.abort();
    }

    /// Whether the connection is closing or closed.
    ///
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # let ((mut peer, _peer_writer), (_reader, writer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// assert!(!writer.is_closing());
    /// writer.close();
    /// assert!(writer.is_closing()); // at once, before the buffer is sent
    /// writer.write(b"late")?; // dropped silently, as asyncio does
    /// assert_eq!(peer.read_to_eof().await?, "");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use]
    pub fn is_closing(&self) -> bool {
        self.shared.lock().core.is_closing()
    }

    /// Waits until the connection is closed and its socket released. Fails
    /// with the error the connection ended with, if any. May be awaited
    /// before `close()` (it then waits for the connection to end), any
    /// number of times; cancelling one wait does not affect the others.
    ///
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # let ((mut peer_reader, peer_writer), (mut reader, writer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// peer_writer.abort(); // the peer resets the connection
    /// // No close() on this side: wait_closed() waits for the connection to
    /// // end, and reports the error it ended with.
    /// let error = writer.wait_closed().await.unwrap_err();
    /// assert_eq!(error.kind(), std::io::ErrorKind::ConnectionReset);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
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
    ///
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # let ((mut peer, _peer_writer), (_reader, writer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// writer.set_write_buffer_limits(Some(1024), None)?;
    /// assert_eq!(writer.get_write_buffer_limits(), (256, 1024)); // low = high / 4
    /// writer.set_write_buffer_limits(None, Some(100))?;
    /// assert_eq!(writer.get_write_buffer_limits(), (100, 400)); // high = 4 × low
    /// // High below low: asyncio's ValueError, and nothing changes.
    /// assert!(writer.set_write_buffer_limits(Some(10), Some(20)).is_err());
    /// assert_eq!(writer.get_write_buffer_limits(), (100, 400));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    pub fn set_write_buffer_limits(
        &self,
        high: Option<usize>,
        low: Option<usize>,
    ) -> Result<(), LimitsError> {
        self.shared.lock().core.set_write_buffer_limits(high, low)
    }

    /// Bytes buffered and not yet sent.
    ///
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # let ((mut peer, _peer_writer), (_reader, writer)) = pair(&streams_smol::Smol::default(), 64, TransportOptions::default().limit(64))?;
    /// assert_eq!(writer.get_write_buffer_size(), 0);
    /// writer.write(&[b'x'; 10_000])?;
    /// // The peer is not reading: what the transport could not take waits here.
    /// assert!(writer.get_write_buffer_size() > 9_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use]
    pub fn get_write_buffer_size(&self) -> usize {
        self.shared.lock().core.write_buffer_size()
    }

    /// `(low, high)`.
    ///
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # let ((mut peer, _peer_writer), (_reader, writer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// assert_eq!(writer.get_write_buffer_limits(), (16 * 1024, 64 * 1024)); // asyncio's defaults
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use]
    pub fn get_write_buffer_limits(&self) -> (usize, usize) {
        self.shared.lock().core.write_buffer_limits()
    }

    /// The peer's address (asyncio's `get_extra_info('peername')`).
    ///
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # let rt = streams_smol::Smol::default().handle();
    /// # let handler = |mut r: StreamReader, _w: StreamWriter| async move { let _ = r.read_to_eof().await; };
    /// # let server = start_server(rt.clone(), handler, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// # let addr = server.local_addrs()[0];
    /// let (_reader, writer) = open_connection(&*rt, "127.0.0.1", addr.port(), OpenOptions::default()).await?;
    /// assert_eq!(writer.peername(), Some(&Address::Inet(addr)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use]
    pub fn peername(&self) -> Option<&Address> {
        self.shared.peername.as_ref()
    }

    /// The local address (asyncio's `get_extra_info('sockname')`).
    ///
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # let rt = streams_smol::Smol::default().handle();
    /// # let handler = |mut r: StreamReader, _w: StreamWriter| async move { let _ = r.read_to_eof().await; };
    /// # let server = start_server(rt.clone(), handler, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// # let addr = server.local_addrs()[0];
    /// let (_reader, writer) = open_connection(&*rt, "127.0.0.1", addr.port(), OpenOptions::default()).await?;
    /// let Some(Address::Inet(local)) = writer.sockname() else { panic!("a TCP connection") };
    /// assert!(local.ip().is_loopback() && local.port() != 0); // the port the system picked
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use]
    pub fn sockname(&self) -> Option<&Address> {
        self.shared.sockname.as_ref()
    }

    /// Whether this is a TCP connection (as opposed to a Unix one).
    ///
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # let rt = streams_smol::Smol::default().handle();
    /// # let handler = |mut r: StreamReader, _w: StreamWriter| async move { let _ = r.read_to_eof().await; };
    /// # let server = start_server(rt.clone(), handler, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// # let addr = server.local_addrs()[0];
    /// # let dir = std::env::temp_dir().join(format!("streams-doc-is-tcp-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// # let path = dir.join("server.sock");
    /// # let _unix_server = start_unix_server(rt.clone(), handler, &path, ServerOptions::default()).await?;
    /// let (_reader, tcp) = open_connection(&*rt, "127.0.0.1", addr.port(), OpenOptions::default()).await?;
    /// assert!(tcp.is_tcp());
    /// let (_reader, unix) = open_unix_connection(&*rt, &path, OpenOptions::default()).await?;
    /// assert!(!unix.is_tcp());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use]
    pub fn is_tcp(&self) -> bool {
        self.shared.is_tcp
    }

    /// Runs `f` with the socket (asyncio's `get_extra_info('socket')`), to
    /// read or set options; `None` once the socket is closed.
    ///
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # let rt = streams_smol::Smol::default().handle();
    /// # let handler = |mut r: StreamReader, _w: StreamWriter| async move { let _ = r.read_to_eof().await; };
    /// # let server = start_server(rt.clone(), handler, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// # let addr = server.local_addrs()[0];
    /// let (_reader, writer) = open_connection(&*rt, "127.0.0.1", addr.port(), OpenOptions::default()).await?;
    /// assert_eq!(writer.with_socket(|s| s.tcp_nodelay()).transpose()?, Some(true)); // as asyncio sets it
    /// writer.with_socket(|s| s.set_keepalive(true)).transpose()?;
    /// assert_eq!(writer.with_socket(|s| s.keepalive()).transpose()?, Some(true));
    /// writer.close();
    /// writer.wait_closed().await?;
    /// assert!(writer.with_socket(|_| ()).is_none()); // the socket is released
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    pub fn with_socket<T>(&self, f: impl FnOnce(SockRef<'_>) -> T) -> Option<T> {
        let st = self.shared.lock();
        st.sock.as_deref().map(|s| f(s.sock_ref()))
    }

    /// The socket's file descriptor, while it is open.
    ///
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # let rt = streams_smol::Smol::default().handle();
    /// # let handler = |mut r: StreamReader, _w: StreamWriter| async move { let _ = r.read_to_eof().await; };
    /// # let server = start_server(rt.clone(), handler, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// # let addr = server.local_addrs()[0];
    /// let (_reader, writer) = open_connection(&*rt, "127.0.0.1", addr.port(), OpenOptions::default()).await?;
    /// assert!(writer.raw_fd().is_some_and(|fd| fd >= 0));
    /// writer.close();
    /// writer.wait_closed().await?;
    /// assert_eq!(writer.raw_fd(), None); // the socket is released
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[cfg(unix)]
    #[must_use]
    pub fn raw_fd(&self) -> Option<RawFd> {
        let st = self.shared.lock();
        st.sock.as_deref().map(|s| s.sock_ref().as_raw_fd())
    }

    /// The socket's handle (Windows' `SOCKET`), while it is open.
    ///
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # let rt = streams_smol::Smol::default().handle();
    /// # let handler = |mut r: StreamReader, _w: StreamWriter| async move { let _ = r.read_to_eof().await; };
    /// # let server = start_server(rt.clone(), handler, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// # let addr = server.local_addrs()[0];
    /// let (_reader, writer) = open_connection(&*rt, "127.0.0.1", addr.port(), OpenOptions::default()).await?;
    /// assert!(writer.raw_socket().is_some());
    /// writer.close();
    /// writer.wait_closed().await?;
    /// assert_eq!(writer.raw_socket(), None); // the socket is released
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[cfg(windows)]
    #[must_use]
    pub fn raw_socket(&self) -> Option<RawSocket> {
        let st = self.shared.lock();
        st.sock.as_deref().map(|s| s.sock_ref().as_raw_socket())
    }

    /// Whether the connection uses TLS (asyncio's
    /// `get_extra_info('sslcontext') is not None`).
    ///
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # let rt = streams_smol::Smol::default().handle();
    /// # let handler = |mut r: StreamReader, _w: StreamWriter| async move { let _ = r.read_to_eof().await; };
    /// # let server = start_server(rt.clone(), handler, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// # let addr = server.local_addrs()[0];
    /// let (_reader, writer) = open_connection(&*rt, "127.0.0.1", addr.port(), OpenOptions::default()).await?;
    /// assert!(!writer.is_tls());
    /// # #[cfg(feature = "tls")] {
    /// # use streams_common::tls::rustls::{pki_types::PrivateKeyDer, RootCertStore};
    /// # let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])?;
    /// # let key = PrivateKeyDer::try_from(made.signing_key.serialize_der())?;
    /// # let server_config = streams_common::tls::server_config(vec![made.cert.der().clone()], key)?;
    /// # let mut roots = RootCertStore::empty();
    /// # roots.add(made.cert.der().clone())?;
    /// # let tls_client = streams_common::TlsClient::with_roots(roots)?;
    /// # let tls = ServerOptions::default().ssl(server_config);
    /// # let tls_server = start_server(rt.clone(), handler, "127.0.0.1".into(), 0, tls).await?;
    /// # let tls_port = tls_server.local_addrs()[0].port();
    /// // Over TLS (the `tls` feature); `tls_client` trusts the server's certificate.
    /// let options = OpenOptions::default().ssl(tls_client);
    /// let (_reader, writer) = open_connection(&*rt, "127.0.0.1", tls_port, options).await?;
    /// assert!(writer.is_tls());
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use]
    pub fn is_tls(&self) -> bool {
        self.shared.lock().core.is_tls()
    }

    /// Whether the connection was accepted by a server (the side
    /// [`start_tls`](Self::start_tls) takes).
    ///
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// use streams_common::transport::{pair, TransportOptions};
    /// // The second end of a pair counts as accepted by a server.
    /// let ((_, client), (_, server)) = pair(&streams_smol::Smol::default(), 1024, TransportOptions::default())?;
    /// assert!(!client.is_server_side());
    /// assert!(server.is_server_side());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
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
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::runtime::Runtime as _;
    /// # use streams_common::*;
    /// # let rt = streams_smol::Smol::default().handle();
    /// # let handler = |mut r: StreamReader, _w: StreamWriter| async move { let _ = r.read_to_eof().await; };
    /// # let server = start_server(rt.clone(), handler, "127.0.0.1".into(), 0, ServerOptions::default()).await?;
    /// # let addr = server.local_addrs()[0];
    /// # use streams_common::tls::rustls::{pki_types::PrivateKeyDer, RootCertStore};
    /// # let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])?;
    /// # let key = PrivateKeyDer::try_from(made.signing_key.serialize_der())?;
    /// # let server_config = streams_common::tls::server_config(vec![made.cert.der().clone()], key)?;
    /// # let mut roots = RootCertStore::empty();
    /// # roots.add(made.cert.der().clone())?;
    /// # let tls_client = streams_common::TlsClient::with_roots(roots)?;
    /// # let tls = ServerOptions::default().ssl(server_config);
    /// # let server = start_server(rt.clone(), handler, "127.0.0.1".into(), 0, tls).await?;
    /// # let addr = server.local_addrs()[0];
    /// # let certificate = made.cert.der().clone();
    /// let options = OpenOptions::default().ssl(tls_client);
    /// let (_reader, writer) = open_connection(&*rt, "127.0.0.1", addr.port(), options).await?;
    /// let info = writer.tls_info().expect("a TLS connection");
    /// assert_eq!(info.version_name(), Some("TLSv1.3"));
    /// assert_eq!(info.peer_certificates[0], certificate); // the server's ('peercert')
    /// assert!(info.handshake_complete && !info.server_side);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
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
    /// ```
    /// # smol::block_on(smol::future::or(async {
    /// # use streams_common::tls::rustls::{pki_types::PrivateKeyDer, RootCertStore};
    /// # let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])?;
    /// # let key = PrivateKeyDer::try_from(made.signing_key.serialize_der())?;
    /// # let server_config = streams_common::tls::server_config(vec![made.cert.der().clone()], key)?;
    /// # let mut roots = RootCertStore::empty();
    /// # roots.add(made.cert.der().clone())?;
    /// # let tls_client = streams_common::TlsClient::with_roots(roots)?;
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # let ((mut client_r, client_w), (mut server_r, server_w)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// use streams_common::StartTlsOptions;
    /// // Plaintext first: the client asks for TLS (SMTP's STARTTLS, say).
    /// client_w.write(b"STARTTLS\n")?;
    /// assert_eq!(server_r.readline().await?, "STARTTLS\n");
    /// server_w.write(b"OK\n")?;
    /// assert_eq!(client_r.readline().await?, "OK\n");
    /// // Then each side upgrades its end (the handshake needs both).
    /// let (server_done, client_done) = smol::future::zip(
    ///     server_w.start_tls(&mut server_r, server_config, StartTlsOptions::default()),
    ///     client_w.start_tls(&mut client_r, tls_client, StartTlsOptions::default().server_hostname("localhost")),
    /// )
    /// .await;
    /// server_done?;
    /// client_done?;
    /// assert!(client_w.is_tls() && server_w.is_tls());
    /// assert!(!client_w.can_write_eof()); // TLS has no half-close
    /// client_w.write(b"secret\n")?; // encrypted from here on
    /// assert_eq!(server_r.readline().await?, "secret\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
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
