//! [`define_api!`](crate::define_api): an adapter's public API, written
//! once.

/// Generates an adapter crate's public API: the re-exports of the shared
/// types and the entry points (`open_connection`, `start_server`, the Unix
/// and `_with_socket` variants) bound to one runtime value.
///
/// Every adapter invokes it once at its crate root, so the entry points,
/// their signatures and their documentation exist in one place:
///
/// ```text
/// streams_common::define_api!(runtime = Tokio, krate = streams_tokio, name = "Tokio");
/// ```
///
/// `runtime` is an expression that makes the adapter's runtime value (a
/// type implementing [`Runtime`](crate::runtime::Runtime)); it is evaluated
/// at every call. `krate` is the adapter crate's name (for the doc
/// examples), `name` the runtime's name in the docs.
#[macro_export]
macro_rules! define_api {
    (runtime = $rt:expr, krate = $krate:ident, name = $name:literal $(,)?) => {
        pub use $crate::{
            clone_io_error, py_sockaddr, runtime::Runtime, AcceptAction, Address, ArgumentError,
            Bytes, BytesMut, ConnectError, Family, HandlerErrorHook, HandlerFailure,
            HandlerOutput, Hosts, IntoLines, LimitsError, Lines, OpenOptions, ReadError, Separators, Server,
            ServerError, ServerOptions, StoredError, StreamReader, StreamWriter, TlsError,
            UnixAddr, WriteError, DEFAULT_LIMIT, tls,
        };
        $crate::__tls_api!();

        #[doc = concat!("Opens a TCP connection to `host:port` (asyncio's `open_connection`) on ", $name, ".")]
        ///
        #[doc = concat!("`host` may be a name (resolved with ", $name, "'s resolver), an IP literal,")]
        /// or `""` for the loopback addresses. Every resolved address is tried in
        /// order until one connects; if all fail, the errors are combined as
        /// asyncio does ([`ConnectError::combine`]). `options.limit` is checked
        /// before any network activity.
        ///
        /// With [`OpenOptions::happy_eyeballs_delay`] (RFC 8305 suggests
        /// 250 ms) the attempts race instead: the next address starts when
        /// the previous attempt fails or the delay has passed, and the first
        /// to connect wins. Use it for hosts with IPv6 and IPv4 addresses,
        /// where a broken address would otherwise hold up the working one
        /// for a whole connect timeout.
        ///
        /// ```no_run
        /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
        #[doc = concat!("use ", stringify!($krate), "::*;")]
        /// let (mut reader, writer) = open_connection("example.com", 80, OpenOptions::default()).await?;
        /// writer.write(b"HEAD / HTTP/1.0\r\nHost: example.com\r\n\r\n")?;
        /// let status = reader.readline().await?;
        /// # Ok(()) }
        /// ```
        pub async fn open_connection(
            host: &str,
            port: u16,
            options: OpenOptions,
        ) -> ::std::result::Result<(StreamReader, StreamWriter), ConnectError> {
            $crate::open_connection(&$rt, host, port, options).await
        }

        /// Streams over an already connected stream socket (asyncio's
        /// `open_connection(sock=...)`): a `std::net::TcpStream`, a
        /// `std::os::unix::net::UnixStream` (Unix) or a `socket2::Socket`. With
        /// `options.ssl`, TLS over it: `options.server_hostname` is then
        /// required (`""`: no SNI, no name check), and the call returns once
        /// the handshake is done.
        #[doc = concat!("Must be called where ", $name, " can register sockets (within its runtime).")]
        ///
        /// ```no_run
        /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
        #[doc = concat!("use ", stringify!($krate), "::*;")]
        /// let std = std::net::TcpStream::connect("127.0.0.1:8888")?;
        /// let (reader, writer) = open_connection_with_socket(std, OpenOptions::default()).await?;
        /// # Ok(()) }
        /// ```
        pub async fn open_connection_with_socket(
            sock: impl ::std::convert::Into<$crate::socket2::Socket>,
            options: OpenOptions,
        ) -> ::std::result::Result<(StreamReader, StreamWriter), ConnectError> {
            $crate::open_connection_with_socket(&$rt, sock.into(), options).await
        }

        /// Opens a Unix-domain connection to `path` (asyncio's
        /// `open_unix_connection`); a path starting with a NUL byte is a Linux
        /// abstract name.
        ///
        /// ```no_run
        /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
        #[doc = concat!("use ", stringify!($krate), "::*;")]
        /// let (mut reader, writer) = open_unix_connection("/tmp/echo.sock", OpenOptions::default()).await?;
        /// # Ok(()) }
        /// ```
        #[cfg(unix)]
        pub async fn open_unix_connection(
            path: impl ::std::convert::AsRef<::std::path::Path>,
            options: OpenOptions,
        ) -> ::std::result::Result<(StreamReader, StreamWriter), ConnectError> {
            $crate::open_unix_connection(&$rt, path.as_ref(), options).await
        }

        /// Streams over an already connected Unix-domain stream socket (asyncio's
        /// `open_unix_connection(sock=...)`), e.g. one end of
        /// `std::os::unix::net::UnixStream::pair()`. With `options.ssl`, TLS
        /// over it, as for [`open_connection_with_socket`].
        ///
        /// ```no_run
        /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
        #[doc = concat!("use ", stringify!($krate), "::*;")]
        /// let (a, b) = std::os::unix::net::UnixStream::pair()?;
        /// let (reader, writer) = open_unix_connection_with_socket(a, OpenOptions::default()).await?;
        /// # Ok(()) }
        /// ```
        #[cfg(unix)]
        pub async fn open_unix_connection_with_socket(
            sock: impl ::std::convert::Into<$crate::socket2::Socket>,
            options: OpenOptions,
        ) -> ::std::result::Result<(StreamReader, StreamWriter), ConnectError> {
            $crate::open_unix_connection_with_socket(&$rt, sock.into(), options).await
        }

        /// Starts a TCP server (asyncio's `start_server`): `handler(reader,
        /// writer)` runs as a task for each accepted connection.
        ///
        /// `hosts`: `""` or `None` binds every interface (IPv4 and IPv6, the IPv6
        /// socket v6-only); one host or several (`["127.0.0.1", "::1"]`,
        /// duplicates removed). With port 0 each socket gets its own port (see
        /// [`Server::local_addrs`]).
        ///
        /// The handler may return `()` or a `Result<(), E>`. When it returns an
        /// error or panics, its connection is closed and the failure is reported
        /// (a `tracing` error event with the `tracing` feature, and
        /// [`ServerOptions::on_handler_error`]); the
        /// server keeps serving. When it returns and drops its writer, the
        /// connection is closed after the buffered bytes are sent.
        ///
        /// ```no_run
        /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
        #[doc = concat!("use ", stringify!($krate), "::*;")]
        /// let server = start_server(
        ///     |mut reader: StreamReader, writer: StreamWriter| async move {
        ///         let data = reader.read(100).await?;
        ///         writer.write(&data)?;
        ///         writer.drain().await?;
        ///         writer.close();
        ///         Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        ///     },
        ///     "127.0.0.1",
        ///     8888,
        ///     ServerOptions::default(),
        /// )
        /// .await?;
        /// server.serve_forever().await?;
        /// # Ok(()) }
        /// ```
        pub async fn start_server<F, Fut>(
            handler: F,
            hosts: impl ::std::convert::Into<Hosts>,
            port: u16,
            options: ServerOptions,
        ) -> ::std::result::Result<Server, ServerError>
        where
            F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
            Fut: ::std::future::Future + Send + 'static,
            Fut::Output: HandlerOutput,
        {
            $crate::start_server(::std::sync::Arc::new($rt), handler, hosts.into(), port, options)
                .await
        }

        /// Serves on an already bound stream socket (asyncio's
        /// `start_server(sock=...)`): a `std::net::TcpListener` or a
        /// `socket2::Socket` (bound, listening or not).
        #[doc = concat!("Must be called where ", $name, " can register sockets (within its runtime).")]
        ///
        /// ```no_run
        /// # fn f() -> Result<(), Box<dyn std::error::Error>> {
        #[doc = concat!("use ", stringify!($krate), "::*;")]
        /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        /// let server = start_server_with_socket(
        ///     |_reader: StreamReader, writer: StreamWriter| async move { writer.close() },
        ///     listener,
        ///     ServerOptions::default(),
        /// )?;
        /// # Ok(()) }
        /// ```
        pub fn start_server_with_socket<F, Fut>(
            handler: F,
            sock: impl ::std::convert::Into<$crate::socket2::Socket>,
            options: ServerOptions,
        ) -> ::std::result::Result<Server, ServerError>
        where
            F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
            Fut: ::std::future::Future + Send + 'static,
            Fut::Output: HandlerOutput,
        {
            $crate::start_server_with_socket(::std::sync::Arc::new($rt), handler, sock.into(), options)
        }

        /// Starts a Unix-domain server at `path` (asyncio's `start_unix_server`).
        ///
        /// A stale socket file at `path` is removed first; any other file there is
        /// "address in use". A path starting with a NUL byte is a Linux abstract
        /// name. On close, the socket file is removed if it is still the one this
        /// server created ([`ServerOptions::cleanup_socket`]).
        ///
        /// ```no_run
        /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
        #[doc = concat!("use ", stringify!($krate), "::*;")]
        /// let server = start_unix_server(
        ///     |_reader: StreamReader, writer: StreamWriter| async move { writer.close() },
        ///     "/tmp/echo.sock",
        ///     ServerOptions::default(),
        /// )
        /// .await?;
        /// # Ok(()) }
        /// ```
        #[cfg(unix)]
        pub async fn start_unix_server<F, Fut>(
            handler: F,
            path: impl ::std::convert::AsRef<::std::path::Path>,
            options: ServerOptions,
        ) -> ::std::result::Result<Server, ServerError>
        where
            F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
            Fut: ::std::future::Future + Send + 'static,
            Fut::Output: HandlerOutput,
        {
            $crate::start_unix_server(::std::sync::Arc::new($rt), handler, path.as_ref(), options)
                .await
        }

        /// Serves on an already bound Unix-domain stream socket (asyncio's
        /// `start_unix_server(sock=...)`), e.g. a `std::os::unix::net::UnixListener`.
        ///
        /// ```no_run
        /// # fn f() -> Result<(), Box<dyn std::error::Error>> {
        #[doc = concat!("use ", stringify!($krate), "::*;")]
        /// let listener = std::os::unix::net::UnixListener::bind("/tmp/pre.sock")?;
        /// let server = start_unix_server_with_socket(
        ///     |_reader: StreamReader, writer: StreamWriter| async move { writer.close() },
        ///     listener,
        ///     ServerOptions::default(),
        /// )?;
        /// # Ok(()) }
        /// ```
        #[cfg(unix)]
        pub fn start_unix_server_with_socket<F, Fut>(
            handler: F,
            sock: impl ::std::convert::Into<$crate::socket2::Socket>,
            options: ServerOptions,
        ) -> ::std::result::Result<Server, ServerError>
        where
            F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
            Fut: ::std::future::Future + Send + 'static,
            Fut::Output: HandlerOutput,
        {
            $crate::start_unix_server_with_socket(
                ::std::sync::Arc::new($rt),
                handler,
                sock.into(),
                options,
            )
        }
    };
}

/// The TLS names [`define_api!`](crate::define_api) re-exports, when this
/// crate has its `tls` feature (the decision follows `streams-common`'s
/// feature, not the adapter's).
#[cfg(feature = "tls")]
#[doc(hidden)]
#[macro_export]
macro_rules! __tls_api {
    () => {
        pub use $crate::{StartTlsOptions, TlsClient, TlsConfig, TlsInfo};
    };
}

/// Without the `tls` feature there are no TLS names to re-export.
#[cfg(not(feature = "tls"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __tls_api {
    () => {};
}
