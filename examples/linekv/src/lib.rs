//! A protocol library written once for every runtime: a client and a
//! server for a small line protocol, on `streams-common` alone.
//!
//! The protocol, one command per line, one reply per command:
//!
//! ```text
//! SET <key> <n>\r\n<n bytes>\r\n   ->  +OK\r\n
//! GET <key>\r\n                    ->  $<n>\r\n<n bytes>\r\n   or  $-1\r\n
//! DEL <key>\r\n                    ->  :<0 or 1>\r\n
//! anything else                    ->  -ERR <why>\r\n
//! ```
//!
//! The library depends on `streams-common`, whose [`StreamReader`],
//! [`StreamWriter`] and [`Server`] are the same types on every runtime,
//! and takes the runtime as a value ([`RuntimeRef`]): the application
//! passes `streams_tokio::Tokio.handle()` or
//! `streams_smol::Smol::default().handle()`, or hands over streams it
//! opened itself ([`Client::new`]). Nothing here names a runtime.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use streams_common::runtime::RuntimeRef;
use streams_common::{
    ConnectError, Hosts, OpenOptions, ReadError, Server, ServerError, ServerOptions, StreamReader,
    StreamWriter, WriteError,
};

/// The longest key or command line the server reads (the reader's limit
/// turns a longer one into an error instead of unbounded memory).
pub const MAX_LINE: usize = 1024;
/// The largest value a `SET` may carry.
pub const MAX_VALUE: usize = 1 << 20;

/// What can go wrong, kept apart so that a caller can tell a refused
/// connection from a broken reply.
#[derive(Debug)]
pub enum Error {
    /// Connecting failed.
    Connect(ConnectError),
    /// Reading the reply failed (EOF included).
    Read(ReadError),
    /// Writing the command failed, or the connection failed while it was
    /// sent.
    Write(std::io::Error),
    /// The server answered `-ERR`, or something that is not this protocol.
    Protocol(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Connect(e) => write!(f, "cannot connect: {e}"),
            Error::Read(e) => write!(f, "cannot read the reply: {e}"),
            Error::Write(e) => write!(f, "cannot send the command: {e}"),
            Error::Protocol(why) => write!(f, "protocol error: {why}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Connect(e) => Some(e),
            Error::Read(e) => Some(e),
            Error::Write(e) => Some(e),
            Error::Protocol(_) => None,
        }
    }
}

impl From<ConnectError> for Error {
    fn from(e: ConnectError) -> Self {
        Error::Connect(e)
    }
}

impl From<ReadError> for Error {
    fn from(e: ReadError) -> Self {
        Error::Read(e)
    }
}

impl From<WriteError> for Error {
    fn from(e: WriteError) -> Self {
        Error::Write(std::io::Error::other(e))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Write(e)
    }
}

/// A connection to a linekv server.
#[derive(Debug)]
pub struct Client {
    reader: StreamReader,
    writer: StreamWriter,
}

impl Client {
    /// Connects to `host:port` on the runtime `rt`.
    pub async fn connect(rt: RuntimeRef, host: &str, port: u16) -> Result<Client, Error> {
        let (reader, writer) =
            streams_common::open_connection(&*rt, host, port, OpenOptions::default()).await?;
        Ok(Client::new(reader, writer))
    }

    /// A client over streams the application opened (over TLS, a Unix
    /// socket, or with options of its own).
    pub fn new(reader: StreamReader, writer: StreamWriter) -> Client {
        Client { reader, writer }
    }

    /// Stores `value` under `key`.
    pub async fn set(&mut self, key: &str, value: &[u8]) -> Result<(), Error> {
        check_key(key)?;
        let head = format!("SET {key} {}\r\n", value.len());
        self.writer.writelines(&[head.as_bytes(), value, b"\r\n"])?;
        self.writer.drain().await?;
        match &self.reply_line().await?[..] {
            b"+OK" => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// The value under `key`, if any.
    pub async fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        check_key(key)?;
        self.writer.write(format!("GET {key}\r\n").as_bytes())?;
        self.writer.drain().await?;
        let line = self.reply_line().await?;
        let Some(len) = line.strip_prefix(b"$") else {
            return Err(unexpected(&line));
        };
        if len == b"-1" {
            return Ok(None);
        }
        let n = parse_len(len)?;
        // The value and its CRLF, exactly: a short reply is an error
        // (`ReadError::Incomplete`), never a silently shorter value.
        let mut value = self.reader.readexactly(n + 2).await?.to_vec();
        if value.split_off(n) != b"\r\n" {
            return Err(Error::Protocol("a value not followed by CRLF".into()));
        }
        Ok(Some(value))
    }

    /// Removes `key`; whether it was there.
    pub async fn del(&mut self, key: &str) -> Result<bool, Error> {
        check_key(key)?;
        self.writer.write(format!("DEL {key}\r\n").as_bytes())?;
        self.writer.drain().await?;
        match &self.reply_line().await?[..] {
            b":1" => Ok(true),
            b":0" => Ok(false),
            other => Err(unexpected(other)),
        }
    }

    /// Closes the connection and waits until it is closed.
    pub async fn close(self) -> Result<(), Error> {
        self.writer.close();
        Ok(self.writer.wait_closed().await?)
    }

    /// One reply line without its CRLF; `-ERR` becomes an error.
    async fn reply_line(&mut self) -> Result<Vec<u8>, Error> {
        let line = self.reader.readuntil(b"\r\n").await?;
        let line = line[..line.len() - 2].to_vec();
        match line.strip_prefix(b"-") {
            Some(why) => Err(Error::Protocol(String::from_utf8_lossy(why).into_owned())),
            None => Ok(line),
        }
    }
}

fn check_key(key: &str) -> Result<(), Error> {
    if key.is_empty() || key.len() > MAX_LINE / 2 || key.bytes().any(|b| b <= b' ') {
        return Err(Error::Protocol(format!("invalid key {key:?}")));
    }
    Ok(())
}

fn parse_len(digits: &[u8]) -> Result<usize, Error> {
    std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n <= MAX_VALUE)
        .ok_or_else(|| unexpected(digits))
}

fn unexpected(line: &[u8]) -> Error {
    Error::Protocol(format!(
        "unexpected reply {:?}",
        String::from_utf8_lossy(line)
    ))
}

/// Serves the protocol on `host:port` (port 0: any free port) on the
/// runtime `rt`, from a map shared by every connection.
pub async fn serve(rt: RuntimeRef, host: &str, port: u16) -> Result<Server, ServerError> {
    let store: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
    let options = ServerOptions::default().limit(MAX_LINE);
    streams_common::start_server(
        rt,
        move |reader, writer| session(store.clone(), reader, writer),
        Hosts::from(host),
        port,
        options,
    )
    .await
}

/// One connection: commands until EOF. A protocol error is answered and
/// the session goes on; a broken connection ends it.
async fn session(
    store: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    mut reader: StreamReader,
    writer: StreamWriter,
) -> Result<(), Error> {
    loop {
        let line = match reader.readuntil(b"\r\n").await {
            Ok(line) => line,
            Err(ReadError::Incomplete { partial, .. }) if partial.is_empty() => return Ok(()),
            Err(ReadError::LimitOverrun { .. }) => {
                writer.write(b"-ERR line too long\r\n")?;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        let text = String::from_utf8_lossy(&line[..line.len() - 2]).into_owned();
        let words: Vec<&str> = text.split(' ').collect();
        let reply = match words[..] {
            ["SET", key, len] => match len.parse::<usize>() {
                Ok(n) if n <= MAX_VALUE => {
                    let mut value = reader.readexactly(n + 2).await?.to_vec();
                    if value.split_off(n) != b"\r\n" {
                        b"-ERR value not followed by CRLF\r\n".to_vec()
                    } else {
                        store.lock().unwrap().insert(key.to_owned(), value);
                        b"+OK\r\n".to_vec()
                    }
                }
                _ => b"-ERR bad length\r\n".to_vec(),
            },
            ["GET", key] => match store.lock().unwrap().get(key) {
                Some(v) => [format!("${}\r\n", v.len()).as_bytes(), v, b"\r\n"].concat(),
                None => b"$-1\r\n".to_vec(),
            },
            ["DEL", key] => {
                let was = store.lock().unwrap().remove(key).is_some();
                format!(":{}\r\n", u8::from(was)).into_bytes()
            }
            _ => format!("-ERR unknown command {:?}\r\n", words[0]).into_bytes(),
        };
        writer.write(&reply)?;
        writer.drain().await?;
    }
}
