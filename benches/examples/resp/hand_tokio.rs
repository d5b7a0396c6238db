//! The baseline: the same server hand-written on plain Tokio, as a careful
//! Tokio user writes it. Lines come from a `BufReader` (8 KiB) with a
//! capped `read_until`, bulk strings with `read_exact` into buffers reused
//! from one request to the next, and replies go into a `BufWriter`
//! flushed when no input is left buffered (so pipelined requests get one
//! send for all their replies).

use std::io;
use std::sync::Arc;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::TcpStream;

use crate::command::{self, next_arg, Header, ProtocolError, Store, MAX_LINE};

/// Serves `listener` until `stop` completes, on the current Tokio runtime.
pub async fn serve(
    listener: std::net::TcpListener,
    stop: impl std::future::Future<Output = ()>,
) -> io::Result<()> {
    accept_loop(listener, stop, |sock, store| async move {
        connection(sock, &store).await
    })
    .await
}

/// Accepts on `listener` until `stop` completes, serving each connection
/// in a task of its own with the future `conn` makes of it (one store for
/// all); a failed connection only ends itself. Shared with the codec
/// baseline (`hand_codec.rs`).
pub async fn accept_loop<F, Fut>(
    listener: std::net::TcpListener,
    stop: impl std::future::Future<Output = ()>,
    conn: F,
) -> io::Result<()>
where
    F: Fn(TcpStream, Arc<Store>) -> Fut,
    Fut: std::future::Future<Output = io::Result<()>> + Send + 'static,
{
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let store = Arc::new(Store::default());
    let accept = async {
        loop {
            let (sock, _) = listener.accept().await?;
            let served = conn(sock, store.clone());
            tokio::spawn(async move {
                let _ = served.await;
            });
        }
    };
    tokio::select! {
        r = accept => r,
        () = stop => Ok(()),
    }
}

/// Why a request could not be read whole.
enum Stop {
    Eof,
    Protocol(ProtocolError),
    Failed(io::Error),
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Stop {
        match e.kind() {
            io::ErrorKind::UnexpectedEof => Stop::Eof,
            _ => Stop::Failed(e),
        }
    }
}

impl From<ProtocolError> for Stop {
    fn from(e: ProtocolError) -> Stop {
        Stop::Protocol(e)
    }
}

async fn connection(sock: TcpStream, store: &Store) -> io::Result<()> {
    sock.set_nodelay(true)?;
    let (r, w) = sock.into_split();
    let mut reader = BufReader::new(r);
    let mut writer = BufWriter::new(w);
    let mut line = Vec::with_capacity(64);
    let mut args: Vec<Vec<u8>> = Vec::new();
    let mut reply = Vec::with_capacity(256);
    loop {
        match request(&mut reader, &mut line, &mut args).await {
            Ok(argc) => {
                reply.clear();
                command::execute(store, &args[..argc], &mut reply);
                writer.write_all(&reply).await?;
                if reader.buffer().is_empty() {
                    writer.flush().await?;
                }
            }
            Err(Stop::Eof) => break,
            Err(Stop::Protocol(e)) => {
                reply.clear();
                e.reply(&mut reply);
                writer.write_all(&reply).await?;
                break;
            }
            Err(Stop::Failed(e)) => return Err(e),
        }
    }
    writer.flush().await?;
    writer.shutdown().await
}

/// A line ending in `\r\n`, of at most [`MAX_LINE`] bytes, into `line`
/// (emptied first); its content without the `\r\n`.
async fn read_line<'l, R: AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &'l mut Vec<u8>,
) -> Result<&'l [u8], Stop> {
    line.clear();
    // The cap keeps a client from growing the line without bound.
    let n = (&mut *reader)
        .take(MAX_LINE as u64 + 2)
        .read_until(b'\n', line)
        .await?;
    if n == 0 {
        return Err(Stop::Eof);
    }
    match line.strip_suffix(b"\r\n") {
        Some(content) => Ok(content),
        None if line.ends_with(b"\n") || n > MAX_LINE => Err(ProtocolError::Line.into()),
        None => Err(Stop::Eof),
    }
}

/// One request's arguments into `args[..argc]`; returns `argc`.
async fn request<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
    args: &mut Vec<Vec<u8>>,
) -> Result<usize, Stop> {
    let first = read_line(reader, line).await?;
    let mut argc = 0;
    match command::header(first)? {
        Header::Inline => {
            for a in command::inline_args(first) {
                next_arg(args, argc).extend_from_slice(a);
                argc += 1;
            }
        }
        Header::Array(n) => {
            for _ in 0..n {
                let len = command::bulk_len(read_line(reader, line).await?)?;
                let arg = next_arg(args, argc);
                arg.resize(len + 2, 0);
                reader.read_exact(arg).await?;
                if !arg.ends_with(b"\r\n") {
                    return Err(ProtocolError::BulkNotTerminated.into());
                }
                arg.truncate(len);
                argc += 1;
            }
        }
    }
    Ok(argc)
}
