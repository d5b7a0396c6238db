//! Tokio's own sockets passed in directly: a `tokio::net::TcpStream` or
//! `UnixStream` the application already has becomes a connection on the
//! socket path (the same driver, system calls and extra info as
//! `open_connection`), not a generic transport.

use crate::{ConnectError, OpenOptions, StreamReader, StreamWriter};

/// Streams over a connected `tokio::net::TcpStream` you already have
/// (asyncio's `open_connection(sock=...)` with Tokio's socket type).
///
/// The socket is taken off Tokio's reactor (`into_std`) and driven as
/// every connection of this crate is: `peername`, `sockname`,
/// `with_socket` and TCP_NODELAY as for [`open_connection`](crate::open_connection).
/// With `options.ssl`, TLS over it (`options.server_hostname` required, as
/// for [`open_connection_with_socket`](crate::open_connection_with_socket)).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use streams_tokio::*;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let tcp = tokio::net::TcpStream::connect(listener.local_addr()?).await?;
/// let (_reader, writer) = open_tcp_stream(tcp, OpenOptions::default()).await?;
/// assert_eq!(writer.peername(), Some(&Address::Inet(listener.local_addr()?)));
/// # Ok(()) }
/// ```
pub async fn open_tcp_stream(
    stream: tokio::net::TcpStream,
    options: OpenOptions,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    let std = stream.into_std()?;
    crate::open_connection_with_socket(std, options).await
}

/// Streams over a connected `tokio::net::UnixStream` you already have
/// (asyncio's `open_unix_connection(sock=...)` with Tokio's socket type);
/// see [`open_tcp_stream`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use streams_tokio::*;
/// let (a, b) = tokio::net::UnixStream::pair()?;
/// let (_ar, aw) = open_unix_stream(a, OpenOptions::default()).await?;
/// let (mut br, _bw) = open_unix_stream(b, OpenOptions::default()).await?;
/// aw.write(b"hi\n")?;
/// assert_eq!(br.readline().await?, "hi\n");
/// # Ok(()) }
/// ```
#[cfg(unix)]
pub async fn open_unix_stream(
    stream: tokio::net::UnixStream,
    options: OpenOptions,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    let std = stream.into_std()?;
    crate::open_unix_connection_with_socket(std, options).await
}
