//! The baseline on smol: the same server hand-written on plain smol
//! (`async-io` sockets, `futures-lite` buffers), as a careful smol user
//! writes it: lines from a `BufReader` (8 KiB) with a capped `read_until`,
//! bulk strings with `read_exact` into reused buffers, replies into a
//! `BufWriter` flushed when no input is left buffered.

use std::io;
use std::sync::Arc;

use smol::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use smol::net::TcpStream;

use crate::command::{self, next_arg, Header, ProtocolError, Store, MAX_LINE};

/// Serves `listener` until `stop` completes, spawning each connection on
/// `ex` (which the caller runs).
pub async fn serve(
    ex: Arc<smol::Executor<'static>>,
    listener: std::net::TcpListener,
    stop: impl std::future::Future<Output = ()>,
) -> io::Result<()> {
    let listener = smol::net::TcpListener::try_from(listener)?;
    let store = Arc::new(Store::default());
    let accept = async {
        loop {
            let (sock, _) = listener.accept().await?;
            let store = store.clone();
            ex.spawn(async move {
                // A failed connection only ends itself.
                let _ = connection(sock, &store).await;
            })
            .detach();
        }
    };
    smol::future::or(accept, async {
        stop.await;
        Ok(())
    })
    .await
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
    let mut reader = BufReader::new(sock.clone());
    let mut writer = BufWriter::new(sock);
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
    writer.close().await
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
