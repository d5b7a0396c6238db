//! async-net's sockets (smol's `smol::net`) passed in directly: a stream
//! the application already has becomes a connection on the socket path
//! (the same driver, system calls and extra info as `open_connection`),
//! not a generic transport.

use crate::{ConnectError, OpenOptions, StreamReader, StreamWriter};
use async_io::Async;
use std::io;
#[cfg(unix)]
use std::os::fd::AsFd as AsOsSocket;
#[cfg(windows)]
use std::os::windows::io::AsSocket as AsOsSocket;
use std::sync::Arc;

/// The socket inside async-net's shared handle, off the reactor; fails if
/// the stream was cloned (another handle would go on using the socket).
fn sole<T: AsOsSocket>(shared: Arc<Async<T>>) -> io::Result<T> {
    Arc::try_unwrap(shared)
        .map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "the stream has other handles (clones): pass its only one",
            )
        })?
        .into_inner()
}

/// Streams over a connected `async_net::TcpStream` (`smol::net::TcpStream`)
/// you already have (asyncio's `open_connection(sock=...)` with smol's
/// socket type).
///
/// The socket is taken off async-io's reactor and driven as every
/// connection of this crate is (`peername`, `sockname`, `with_socket`,
/// TCP_NODELAY as for [`open_connection`](crate::open_connection)). With
/// `options.ssl`, TLS over it (`options.server_hostname` required). Fails
/// with `InvalidInput` if the stream was cloned.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # smol::block_on(async {
/// use streams_smol::*;
/// let listener = smol::net::TcpListener::bind("127.0.0.1:0").await?;
/// let tcp = smol::net::TcpStream::connect(listener.local_addr()?).await?;
/// let (_reader, writer) = open_tcp_stream(tcp, OpenOptions::default()).await?;
/// assert_eq!(writer.peername(), Some(&Address::Inet(listener.local_addr()?)));
/// # Ok(()) })
/// # }
/// ```
pub async fn open_tcp_stream(
    stream: async_net::TcpStream,
    options: OpenOptions,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    let std = sole(stream.into())?;
    crate::open_connection_with_socket(std, options).await
}

/// Streams over a connected `async_net::unix::UnixStream`
/// (`smol::net::unix::UnixStream`) you already have; see
/// [`open_tcp_stream`].
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # smol::block_on(async {
/// use streams_smol::*;
/// let (a, b) = smol::net::unix::UnixStream::pair()?;
/// let (_ar, aw) = open_unix_stream(a, OpenOptions::default()).await?;
/// let (mut br, _bw) = open_unix_stream(b, OpenOptions::default()).await?;
/// aw.write(b"hi\n")?;
/// assert_eq!(br.readline().await?, "hi\n");
/// # Ok(()) })
/// # }
/// ```
#[cfg(unix)]
pub async fn open_unix_stream(
    stream: async_net::unix::UnixStream,
    options: OpenOptions,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    let std = sole(stream.into())?;
    crate::open_unix_connection_with_socket(std, options).await
}
