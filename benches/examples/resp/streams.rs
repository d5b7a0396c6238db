//! The Redis-protocol server on the streams API, written as an asyncio
//! user writes it: `readuntil(b"\r\n")` for the `*N` and `$len` lines,
//! `readexactly(len + 2)` for each bulk string, and `write` + `drain` per
//! reply. The same code runs on every runtime (the reader and writer are
//! the same types on Tokio, smol and async-std); only the `RuntimeRef`
//! given to [`start`] differs.
//!
//! [`Reads::Into`] reads the same requests into buffers the connection
//! reuses (`readuntil_into`, `readexactly_into`): no `Bytes` per line.

use std::sync::Arc;

use streams_common::runtime::RuntimeRef;
use streams_common::{
    Bytes, ReadError, Server, ServerError, ServerOptions, StreamReader, StreamWriter,
};

use crate::command::{self, next_arg, Header, ProtocolError, Store, MAX_LINE};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How the server reads its requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reads {
    /// `readuntil` / `readexactly`: a `Bytes` per line and per argument
    /// (asyncio's shape).
    Owned,
    /// `readuntil_into` / `readexactly_into` into buffers reused from one
    /// request to the next.
    Into,
}

/// Serves the Redis protocol on `listener` (bound and listening) with
/// `rt`'s tasks and sockets, until the returned server is closed.
pub fn start(
    rt: RuntimeRef,
    listener: std::net::TcpListener,
    reads: Reads,
) -> Result<Server, ServerError> {
    let store = Arc::new(Store::default());
    let options = ServerOptions::default().limit(MAX_LINE);
    streams_common::start_server_with_socket(
        rt,
        move |reader: StreamReader, writer: StreamWriter| {
            let store = store.clone();
            async move {
                match reads {
                    Reads::Owned => serve_owned(reader, writer, &store).await,
                    Reads::Into => serve_into(reader, writer, &store).await,
                }
            }
        },
        listener.into(),
        options,
    )
}

/// Why a request could not be read whole.
enum Stop {
    /// The client went away (between requests, or in the middle of one).
    Eof,
    /// The client broke the protocol: reply, then close.
    Protocol(ProtocolError),
    /// The connection failed (a reset, say).
    Failed(ReadError),
}

impl From<ReadError> for Stop {
    fn from(e: ReadError) -> Stop {
        match e {
            ReadError::Incomplete { .. } => Stop::Eof,
            ReadError::LimitOverrun { .. } => Stop::Protocol(ProtocolError::Line),
            e => Stop::Failed(e),
        }
    }
}

impl From<ProtocolError> for Stop {
    fn from(e: ProtocolError) -> Stop {
        Stop::Protocol(e)
    }
}

/// A line's content without its `\r\n` (which `readuntil` included).
fn content(line: &[u8]) -> &[u8] {
    &line[..line.len().saturating_sub(2)]
}

/// A bulk string read with its `\r\n`: the string, or the error if the
/// two bytes after it are not `\r\n`.
fn check_bulk(data: &[u8], len: usize) -> Result<(), ProtocolError> {
    match data.get(len..) {
        Some(b"\r\n") => Ok(()),
        _ => Err(ProtocolError::BulkNotTerminated),
    }
}

/// Replies to every request, as Redis does, until the client leaves or
/// breaks the protocol.
async fn serve_owned(
    mut reader: StreamReader,
    writer: StreamWriter,
    store: &Store,
) -> Result<(), BoxError> {
    let mut args: Vec<Bytes> = Vec::with_capacity(4);
    let mut reply = Vec::with_capacity(256);
    loop {
        args.clear();
        match read_owned(&mut reader, &mut args).await {
            Ok(()) => {}
            Err(stop) => return finish(&writer, stop),
        }
        reply.clear();
        command::execute(store, &args, &mut reply);
        writer.write(&reply)?;
        writer.drain().await?;
    }
}

/// One request's arguments, each a `Bytes`.
async fn read_owned(reader: &mut StreamReader, args: &mut Vec<Bytes>) -> Result<(), Stop> {
    let line = reader.readuntil(b"\r\n").await?;
    match command::header(content(&line))? {
        Header::Inline => {
            let line = line.slice(..line.len() - 2);
            args.extend(command::inline_args(&line).map(|a| line.slice_ref(a)));
        }
        Header::Array(n) => {
            for _ in 0..n {
                let line = reader.readuntil(b"\r\n").await?;
                let len = command::bulk_len(content(&line))?;
                let mut data = reader.readexactly(len + 2).await?;
                check_bulk(&data, len)?;
                data.truncate(len);
                args.push(data);
            }
        }
    }
    Ok(())
}

/// [`serve_owned`], reading into reused buffers.
async fn serve_into(
    mut reader: StreamReader,
    writer: StreamWriter,
    store: &Store,
) -> Result<(), BoxError> {
    let mut line = Vec::with_capacity(64);
    let mut args: Vec<Vec<u8>> = Vec::new();
    let mut reply = Vec::with_capacity(256);
    loop {
        let argc = match read_into(&mut reader, &mut line, &mut args).await {
            Ok(argc) => argc,
            Err(stop) => return finish(&writer, stop),
        };
        reply.clear();
        command::execute(store, &args[..argc], &mut reply);
        writer.write(&reply)?;
        writer.drain().await?;
    }
}

/// One request's arguments into `args[..argc]` (grown as needed, each
/// buffer reused); returns `argc`.
async fn read_into(
    reader: &mut StreamReader,
    line: &mut Vec<u8>,
    args: &mut Vec<Vec<u8>>,
) -> Result<usize, Stop> {
    line.clear();
    reader.readuntil_into(b"\r\n", line).await?;
    let mut argc = 0;
    match command::header(content(line))? {
        Header::Inline => {
            for a in command::inline_args(content(line)) {
                next_arg(args, argc).extend_from_slice(a);
                argc += 1;
            }
        }
        Header::Array(n) => {
            for _ in 0..n {
                line.clear();
                reader.readuntil_into(b"\r\n", line).await?;
                let len = command::bulk_len(content(line))?;
                let arg = next_arg(args, argc);
                reader.readexactly_into(len + 2, arg).await?;
                check_bulk(arg, len)?;
                arg.truncate(len);
                argc += 1;
            }
        }
    }
    Ok(argc)
}

/// Ends the connection as `stop` says: quietly at EOF, with Redis's
/// error reply for a protocol error, with the error otherwise.
fn finish(writer: &StreamWriter, stop: Stop) -> Result<(), BoxError> {
    match stop {
        Stop::Eof => {
            writer.close();
            Ok(())
        }
        Stop::Protocol(e) => {
            let mut reply = Vec::new();
            e.reply(&mut reply);
            writer.write(&reply)?;
            writer.close();
            Ok(())
        }
        Stop::Failed(e) => Err(e.into()),
    }
}
