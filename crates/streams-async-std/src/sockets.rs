//! async-std's sockets passed in directly: a stream the application
//! already has becomes a connection on the socket path (the same driver,
//! system calls and extra info as `open_connection`).

use crate::{ConnectError, OpenOptions, StreamReader, StreamWriter};

/// Streams over a connected `async_std::net::TcpStream` you already have
/// (asyncio's `open_connection(sock=...)` with async-std's socket type).
/// Fails if the stream was cloned (async-std refuses to give the socket
/// up then).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # async_std::task::block_on(async {
/// use streams_async_std::*;
/// let listener = async_std::net::TcpListener::bind("127.0.0.1:0").await?;
/// let tcp = async_std::net::TcpStream::connect(listener.local_addr()?).await?;
/// let (_reader, writer) = open_tcp_stream(tcp, OpenOptions::default()).await?;
/// assert_eq!(writer.peername(), Some(&Address::Inet(listener.local_addr()?)));
/// # Ok(()) })
/// # }
/// ```
pub async fn open_tcp_stream(
    stream: async_std::net::TcpStream,
    options: OpenOptions,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    let std = std::net::TcpStream::try_from(stream)?;
    crate::open_connection_with_socket(std, options).await
}

/// Streams over a connected `async_std::os::unix::net::UnixStream` you
/// already have; see [`open_tcp_stream`].
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # async_std::task::block_on(async {
/// use streams_async_std::*;
/// let (a, b) = async_std::os::unix::net::UnixStream::pair()?;
/// let (_ar, aw) = open_unix_stream(a, OpenOptions::default()).await?;
/// let (mut br, _bw) = open_unix_stream(b, OpenOptions::default()).await?;
/// aw.write(b"hi\n")?;
/// assert_eq!(br.readline().await?, "hi\n");
/// # Ok(()) })
/// # }
/// ```
#[cfg(unix)]
pub async fn open_unix_stream(
    stream: async_std::os::unix::net::UnixStream,
    options: OpenOptions,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    let std = std::os::unix::net::UnixStream::try_from(stream)?;
    crate::open_unix_connection_with_socket(std, options).await
}
