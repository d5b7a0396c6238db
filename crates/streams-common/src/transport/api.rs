//! [`define_transport_api!`](crate::define_transport_api): an adapter's
//! transport entry points, written once.

/// Generates an adapter crate's entry points for streams over transports
/// ([`crate::transport`]), bound to one runtime value: the ones that take
/// any [`Transport`](crate::transport::Transport) (`open_transport`,
/// `open_transport_split`, `transport_reader`, `transport_writer`, `pair`)
/// and the ones that take the runtime's own I/O traits (`open_io`,
/// `open_io_split`, `io_reader`, `io_writer`).
///
/// ```text
/// streams_common::define_transport_api!(
///     runtime = Tokio, krate = streams_tokio, name = "Tokio",
///     io = TokioIo, read = tokio::io::AsyncRead, write = tokio::io::AsyncWrite,
///     traits = "Tokio's",
/// );
/// ```
///
/// `io` is the wrapper of [`crate::transport`] that makes a `read` /
/// `write` value a transport (`TokioIo`, `FuturesIo`); `traits` names the
/// trait family in the docs.
#[macro_export]
macro_rules! define_transport_api {
    (
        runtime = $rt:expr, krate = $krate:ident, name = $name:literal,
        io = $io:ident, read = $read:path, write = $write:path, traits = $traits:literal $(,)?
    ) => {
        pub use $crate::transport::{
            PairEnds, RecvTransport, SendTransport, Transport, TransportOptions, $io,
        };

        #[doc = concat!("A reader and a writer over any `AsyncRead + AsyncWrite` of ", $traits, " I/O traits (an in-memory pipe, a TLS stream of another library, a serial port), driven on ", $name, ".")]
        ///
        /// Every semantic of a socket connection comes with it (limit, flow
        /// control, water marks, `drain`, `write_eof` as the transport's
        /// shutdown, `close`, `abort`, `wait_closed`, `start_tls`); see
        /// `streams_common::transport` for how each maps. Fails only on a
        /// zero limit.
        ///
        /// ```no_run
        #[doc = concat!("# fn f(io: impl ", stringify!($read), " + ", stringify!($write), " + Send + 'static) -> Result<(), Box<dyn std::error::Error>> {")]
        #[doc = concat!("use ", stringify!($krate), "::*;")]
        /// let (mut reader, writer) = open_io(io, TransportOptions::default())?;
        /// writer.write(b"hello\n")?;
        /// # Ok(()) }
        /// ```
        pub fn open_io<T>(
            io: T,
            options: TransportOptions,
        ) -> ::std::result::Result<(StreamReader, StreamWriter), ArgumentError>
        where
            T: $read + $write + Send + 'static,
        {
            $crate::transport::open(&$rt, $io::new(io), options)
        }

        #[doc = concat!("A reader and a writer over separate read and write halves of ", $traits, " I/O traits (a split stream, a child's stdout and stdin).")]
        ///
        /// `write_eof()` shuts the write half down and drops it (what closes a
        /// pipe); reading goes on.
        ///
        /// ```no_run
        #[doc = concat!("# fn f(r: impl ", stringify!($read), " + Send + 'static, w: impl ", stringify!($write), " + Send + 'static) -> Result<(), Box<dyn std::error::Error>> {")]
        #[doc = concat!("use ", stringify!($krate), "::*;")]
        /// let (mut reader, writer) = open_io_split(r, w, TransportOptions::default())?;
        /// # Ok(()) }
        /// ```
        pub fn open_io_split<R, W>(
            read: R,
            write: W,
            options: TransportOptions,
        ) -> ::std::result::Result<(StreamReader, StreamWriter), ArgumentError>
        where
            R: $read + Send + 'static,
            W: $write + Send + 'static,
        {
            $crate::transport::open_split(&$rt, $io::new(read), $io::new(write), options)
        }

        #[doc = concat!("A reader alone over an `AsyncRead` of ", $traits, " I/O traits (asyncio's `connect_read_pipe`).")]
        ///
        /// The connection ends at EOF or when the reader is dropped (the
        /// transport is dropped then).
        ///
        /// ```no_run
        #[doc = concat!("# async fn f(r: impl ", stringify!($read), " + Send + 'static) -> Result<(), Box<dyn std::error::Error>> {")]
        #[doc = concat!("use ", stringify!($krate), "::*;")]
        /// let mut reader = io_reader(r, TransportOptions::default())?;
        /// let line = reader.readline().await?;
        /// # Ok(()) }
        /// ```
        pub fn io_reader<R>(
            read: R,
            options: TransportOptions,
        ) -> ::std::result::Result<StreamReader, ArgumentError>
        where
            R: $read + Send + 'static,
        {
            $crate::transport::open_reader(&$rt, $io::new(read), options)
        }

        #[doc = concat!("A writer alone over an `AsyncWrite` of ", $traits, " I/O traits (asyncio's `connect_write_pipe`).")]
        ///
        /// `write_eof()` and `close()` shut it down and drop it (a pipe's
        /// reader sees EOF).
        ///
        /// ```no_run
        #[doc = concat!("# async fn f(w: impl ", stringify!($write), " + Send + 'static) -> Result<(), Box<dyn std::error::Error>> {")]
        #[doc = concat!("use ", stringify!($krate), "::*;")]
        /// let writer = io_writer(w, TransportOptions::default())?;
        /// writer.write(b"done\n")?;
        /// writer.close();
        /// writer.wait_closed().await?;
        /// # Ok(()) }
        /// ```
        pub fn io_writer<W>(
            write: W,
            options: TransportOptions,
        ) -> ::std::result::Result<StreamWriter, ArgumentError>
        where
            W: $write + Send + 'static,
        {
            $crate::transport::open_writer(&$rt, $io::new(write), options)
        }

        #[doc = concat!("A reader and a writer over any [`Transport`], on ", $name, " (`streams_common::transport::open`).")]
        ///
        /// ```no_run
        #[doc = concat!("# fn f(t: impl ", stringify!($krate), "::Transport) -> Result<(), Box<dyn std::error::Error>> {")]
        #[doc = concat!("use ", stringify!($krate), "::*;")]
        /// let (mut reader, writer) = open_transport(t, TransportOptions::default())?;
        /// # Ok(()) }
        /// ```
        pub fn open_transport(
            transport: impl Transport,
            options: TransportOptions,
        ) -> ::std::result::Result<(StreamReader, StreamWriter), ArgumentError> {
            $crate::transport::open(&$rt, transport, options)
        }

        #[doc = concat!("A reader and a writer over separate transport halves, on ", $name, " (`streams_common::transport::open_split`).")]
        ///
        /// ```no_run
        #[doc = concat!("# fn f(r: impl ", stringify!($krate), "::RecvTransport, w: impl ", stringify!($krate), "::SendTransport) -> Result<(), Box<dyn std::error::Error>> {")]
        #[doc = concat!("use ", stringify!($krate), "::*;")]
        /// let (mut reader, writer) = open_transport_split(r, w, TransportOptions::default())?;
        /// # Ok(()) }
        /// ```
        pub fn open_transport_split(
            recv: impl RecvTransport,
            send: impl SendTransport,
            options: TransportOptions,
        ) -> ::std::result::Result<(StreamReader, StreamWriter), ArgumentError> {
            $crate::transport::open_split(&$rt, recv, send, options)
        }

        #[doc = concat!("A reader alone over a receiving transport, on ", $name, " (`streams_common::transport::open_reader`).")]
        ///
        /// ```no_run
        #[doc = concat!("# fn f(r: impl ", stringify!($krate), "::RecvTransport) -> Result<(), Box<dyn std::error::Error>> {")]
        #[doc = concat!("use ", stringify!($krate), "::*;")]
        /// let mut reader = transport_reader(r, TransportOptions::default())?;
        /// # Ok(()) }
        /// ```
        pub fn transport_reader(
            recv: impl RecvTransport,
            options: TransportOptions,
        ) -> ::std::result::Result<StreamReader, ArgumentError> {
            $crate::transport::open_reader(&$rt, recv, options)
        }

        #[doc = concat!("A writer alone over a sending transport, on ", $name, " (`streams_common::transport::open_writer`).")]
        ///
        /// ```no_run
        #[doc = concat!("# fn f(w: impl ", stringify!($krate), "::SendTransport) -> Result<(), Box<dyn std::error::Error>> {")]
        #[doc = concat!("use ", stringify!($krate), "::*;")]
        /// let writer = transport_writer(w, TransportOptions::default())?;
        /// # Ok(()) }
        /// ```
        pub fn transport_writer(
            send: impl SendTransport,
            options: TransportOptions,
        ) -> ::std::result::Result<StreamWriter, ArgumentError> {
            $crate::transport::open_writer(&$rt, send, options)
        }

        #[doc = concat!("Two connected ends in memory, each a `(StreamReader, StreamWriter)`, with at most `capacity` bytes in flight each way; no kernel involved, driven on ", $name, ".")]
        ///
        /// For unit-testing a protocol written on the streams. Half-close,
        /// close and abort behave as over a Unix socket pair, abort as a
        /// reset (`streams_common::transport::pair` has the table). The
        /// first end is the client side of `start_tls`, the second the
        /// server side. Fails on a zero limit or capacity.
        ///
        /// ```no_run
        /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
        #[doc = concat!("use ", stringify!($krate), "::*;")]
        /// let ((mut client_r, client_w), (mut server_r, server_w)) =
        ///     pair(64 * 1024, TransportOptions::default())?;
        /// client_w.write(b"PING\r\n")?;
        /// assert_eq!(server_r.readline().await?, "PING\r\n");
        /// server_w.write(b"+PONG\r\n")?;
        /// assert_eq!(client_r.readline().await?, "+PONG\r\n");
        /// # Ok(()) }
        /// ```
        pub fn pair(
            capacity: usize,
            options: TransportOptions,
        ) -> ::std::result::Result<PairEnds, ArgumentError> {
            $crate::transport::pair(&$rt, capacity, options)
        }
    };
}
