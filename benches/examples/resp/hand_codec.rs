//! The owned-argument baseline: the same server hand-written on Tokio the
//! way most Rust RESP servers read requests, with tokio-util's codec
//! machinery: a [`Decoder`] waits until a whole request is buffered, cuts
//! it out of the read buffer (`BytesMut::split_to`, no copy) and hands
//! its arguments out as `Bytes` slices of it, which the handler owns.
//! Replies go into a `BufWriter` flushed when no input is left buffered,
//! as in `hand_tokio.rs`.
//!
//! This is the peer of the streams server's owned reads (`readuntil` and
//! `readexactly`, a `Bytes` per argument); `hand_tokio.rs`, reading into
//! reused buffers, is the peer of its `_into` reads.

use std::io;

use bytes::{Buf, Bytes, BytesMut};
use futures::StreamExt;
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tokio_util::codec::{Decoder, FramedRead};

use crate::command::{self, Header, ProtocolError, Store, MAX_LINE};

/// Serves `listener` until `stop` completes, on the current Tokio runtime.
pub async fn serve(
    listener: std::net::TcpListener,
    stop: impl std::future::Future<Output = ()>,
) -> io::Result<()> {
    crate::hand_tokio::accept_loop(listener, stop, |sock, store| async move {
        connection(sock, &store).await
    })
    .await
}

/// What the decoder fails with: the protocol broken, or the socket.
#[derive(Debug)]
enum DecodeError {
    Protocol(ProtocolError),
    Io(io::Error),
}

impl From<io::Error> for DecodeError {
    fn from(e: io::Error) -> DecodeError {
        DecodeError::Io(e)
    }
}

impl From<ProtocolError> for DecodeError {
    fn from(e: ProtocolError) -> DecodeError {
        DecodeError::Protocol(e)
    }
}

/// RESP requests, each as its arguments.
#[derive(Default)]
struct Requests {
    /// Where each argument of the request being decoded starts, and its
    /// length (reused from one request to the next).
    spans: Vec<(usize, usize)>,
}

/// The line starting at `from`: the end of its content and where the next
/// line starts; `None` while its `\r\n` has not arrived.
fn line_at(src: &[u8], from: usize) -> Result<Option<(usize, usize)>, ProtocolError> {
    let rest = &src[from..];
    match memchr::memchr(b'\n', rest) {
        Some(i) if i > 0 && rest[i - 1] == b'\r' && i - 1 <= MAX_LINE => {
            Ok(Some((from + i - 1, from + i + 1)))
        }
        Some(_) => Err(ProtocolError::Line),
        None if rest.len() > MAX_LINE + 1 => Err(ProtocolError::Line),
        None => Ok(None),
    }
}

impl Decoder for Requests {
    type Item = Vec<Bytes>;
    type Error = DecodeError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Vec<Bytes>>, DecodeError> {
        let Some((end, mut pos)) = line_at(src, 0)? else {
            return Ok(None);
        };
        match command::header(&src[..end])? {
            Header::Inline => {
                let line = src.split_to(pos).freeze().slice(..end);
                let args = command::inline_args(&line)
                    .map(|a| line.slice_ref(a))
                    .collect();
                Ok(Some(args))
            }
            Header::Array(n) => {
                self.spans.clear();
                for _ in 0..n {
                    let Some((end, next)) = line_at(src, pos)? else {
                        return Ok(None);
                    };
                    let len = command::bulk_len(&src[pos..end])?;
                    if src.len() < next + len + 2 {
                        src.reserve(next + len + 2 - src.len());
                        return Ok(None);
                    }
                    if &src[next + len..next + len + 2] != b"\r\n" {
                        return Err(ProtocolError::BulkNotTerminated.into());
                    }
                    self.spans.push((next, len));
                    pos = next + len + 2;
                }
                let request = src.split_to(pos).freeze();
                let args = self
                    .spans
                    .iter()
                    .map(|&(at, len)| request.slice(at..at + len))
                    .collect();
                Ok(Some(args))
            }
        }
    }

    /// At EOF an incomplete request is dropped, as the other servers drop
    /// it: the replies already made are still sent.
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Vec<Bytes>>, DecodeError> {
        self.decode(src)
    }
}

async fn connection(sock: TcpStream, store: &Store) -> io::Result<()> {
    sock.set_nodelay(true)?;
    let (r, w) = sock.into_split();
    let mut requests = FramedRead::new(r, Requests::default());
    let mut writer = BufWriter::new(w);
    let mut reply = Vec::with_capacity(256);
    while let Some(request) = requests.next().await {
        reply.clear();
        match request {
            Ok(args) => command::execute(store, &args, &mut reply),
            Err(DecodeError::Protocol(e)) => {
                e.reply(&mut reply);
                writer.write_all(&reply).await?;
                break;
            }
            Err(DecodeError::Io(e)) => return Err(e),
        }
        writer.write_all(&reply).await?;
        if !requests.read_buffer().has_remaining() {
            writer.flush().await?;
        }
    }
    writer.flush().await?;
    writer.shutdown().await
}
