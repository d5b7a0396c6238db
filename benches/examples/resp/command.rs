//! The Redis protocol (RESP2) without I/O: what a request's lines say, and
//! the reply to a parsed command. Every server of this example (on the
//! streams API, hand-written on Tokio and on smol) reads requests its own
//! way and calls these, so they differ only in their I/O.
//!
//! A request is either an array of bulk strings (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`,
//! what clients send) or an inline command (`PING\r\n`, what a person
//! types into telnet). Commands: `PING [message]`, `ECHO message`,
//! `SET key value`, `GET key`, `DEL key [key ...]`, `INCR key`.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

/// The longest bulk string a request may announce (Redis's
/// `proto-max-bulk-len` is 512 MB; this example keeps far less in memory
/// for a client that lies about a length).
pub const MAX_BULK: usize = 1024 * 1024;
/// The most arguments an array request may announce.
pub const MAX_ARGS: usize = 1024;
/// The longest line (an inline command, or a `*N` / `$len` line) a server
/// reads before it gives up on the client.
pub const MAX_LINE: usize = 64 * 1024;

/// A request the server cannot parse: it replies `-ERR Protocol error: ...`
/// and closes the connection, as Redis does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    /// The `*N` line is not a number, or too large.
    MultibulkLength,
    /// The `$len` line is not a number, or above [`MAX_BULK`].
    BulkLength,
    /// An array element does not start with `$`.
    ExpectedBulk(u8),
    /// A bulk string is not followed by `\r\n`.
    BulkNotTerminated,
    /// A line is longer than [`MAX_LINE`], or does not end with `\r\n`.
    Line,
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::MultibulkLength => f.write_str("invalid multibulk length"),
            ProtocolError::BulkLength => f.write_str("invalid bulk length"),
            ProtocolError::ExpectedBulk(b) => write!(f, "expected '$', got '{}'", *b as char),
            ProtocolError::BulkNotTerminated => f.write_str("bulk string not terminated"),
            ProtocolError::Line => f.write_str("too big or unterminated line"),
        }
    }
}

impl std::error::Error for ProtocolError {}

impl ProtocolError {
    /// The reply sent before closing the connection.
    pub fn reply(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"-ERR Protocol error: ");
        out.extend_from_slice(self.to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// What the first line of a request says (the line without its `\r\n`).
#[derive(Debug, PartialEq, Eq)]
pub enum Header {
    /// `*N`: `N` bulk strings follow (0 for `*0` and `*-1`, which Redis
    /// ignores without a reply).
    Array(usize),
    /// Anything else: an inline command, its arguments separated by spaces
    /// ([`inline_args`]).
    Inline,
}

/// Parses a request's first line (without `\r\n`).
pub fn header(line: &[u8]) -> Result<Header, ProtocolError> {
    let Some(rest) = line.strip_prefix(b"*") else {
        return Ok(Header::Inline);
    };
    match parse_i64(rest) {
        Some(n) if n <= 0 => Ok(Header::Array(0)),
        Some(n) if n as u64 <= MAX_ARGS as u64 => Ok(Header::Array(n as usize)),
        _ => Err(ProtocolError::MultibulkLength),
    }
}

/// Parses a bulk string's `$len` line (without `\r\n`): the length of the
/// string that follows (its `\r\n` not counted).
pub fn bulk_len(line: &[u8]) -> Result<usize, ProtocolError> {
    let Some(rest) = line.strip_prefix(b"$") else {
        return Err(ProtocolError::ExpectedBulk(
            line.first().copied().unwrap_or(b' '),
        ));
    };
    match parse_i64(rest) {
        Some(n) if n >= 0 && n as u64 <= MAX_BULK as u64 => Ok(n as usize),
        _ => Err(ProtocolError::BulkLength),
    }
}

/// The arguments of an inline command: `line` split on spaces and tabs
/// (Redis also understands quotes there; this example does not).
pub fn inline_args(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|b| *b == b' ' || *b == b'\t')
        .filter(|a| !a.is_empty())
}

/// The buffer for argument `i` of a request read into reused buffers
/// (`args` grows as needed), emptied.
pub fn next_arg(args: &mut Vec<Vec<u8>>, i: usize) -> &mut Vec<u8> {
    if args.len() <= i {
        args.resize_with(i + 1, Vec::new);
    }
    let arg = &mut args[i];
    arg.clear();
    arg
}

/// A decimal integer, optionally negative, nothing else around it.
fn parse_i64(digits: &[u8]) -> Option<i64> {
    let (neg, digits) = match digits.strip_prefix(b"-") {
        Some(d) => (true, d),
        None => (false, digits),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut n: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_sub(i64::from(d - b'0'))?;
    }
    if neg {
        Some(n)
    } else {
        n.checked_neg()
    }
}

/// The keys and values, shared by every connection of a server.
#[derive(Default)]
pub struct Store {
    map: Mutex<HashMap<Vec<u8>, Vec<u8>>>,
}

impl Store {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<Vec<u8>, Vec<u8>>> {
        // A panic elsewhere cannot leave the map half-updated.
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Whether a command takes this many arguments (after its name).
type Arity = fn(usize) -> bool;

/// The commands this server knows, and how many arguments each takes.
const COMMANDS: [(&str, Cmd, Arity); 6] = [
    ("PING", Cmd::Ping, |n| n <= 1),
    ("ECHO", Cmd::Echo, |n| n == 1),
    ("GET", Cmd::Get, |n| n == 1),
    ("SET", Cmd::Set, |n| n == 2),
    ("DEL", Cmd::Del, |n| n >= 1),
    ("INCR", Cmd::Incr, |n| n == 1),
];

#[derive(Clone, Copy)]
enum Cmd {
    Ping,
    Echo,
    Get,
    Set,
    Del,
    Incr,
}

/// Runs the command `args` (its name first) against `store` and appends
/// the reply to `out`. An empty command has no reply.
pub fn execute<A: AsRef<[u8]>>(store: &Store, args: &[A], out: &mut Vec<u8>) {
    let Some((name, rest)) = args.split_first() else {
        return;
    };
    let name = name.as_ref();
    let Some(&(_, cmd, arity)) = COMMANDS
        .iter()
        .find(|(n, ..)| name.eq_ignore_ascii_case(n.as_bytes()))
    else {
        let name = String::from_utf8_lossy(name);
        return error(out, &format!("unknown command '{name}'"));
    };
    if !arity(rest.len()) {
        let name = String::from_utf8_lossy(name).to_lowercase();
        return error(
            out,
            &format!("wrong number of arguments for '{name}' command"),
        );
    }
    let arg = |i: usize| rest[i].as_ref();
    match cmd {
        Cmd::Ping => match rest.first() {
            None => out.extend_from_slice(b"+PONG\r\n"),
            Some(msg) => bulk(out, msg.as_ref()),
        },
        Cmd::Echo => bulk(out, arg(0)),
        Cmd::Get => match store.map().get(arg(0)) {
            Some(v) => bulk(out, v),
            None => out.extend_from_slice(b"$-1\r\n"),
        },
        Cmd::Set => {
            let mut map = store.map();
            match map.get_mut(arg(0)) {
                // An overwrite reuses the key and the value's allocation.
                Some(v) => {
                    v.clear();
                    v.extend_from_slice(arg(1));
                }
                None => {
                    map.insert(arg(0).to_vec(), arg(1).to_vec());
                }
            }
            out.extend_from_slice(b"+OK\r\n");
        }
        Cmd::Del => {
            let mut map = store.map();
            let n = rest
                .iter()
                .filter(|k| map.remove(k.as_ref()).is_some())
                .count();
            integer(out, n as i64);
        }
        Cmd::Incr => incr(store, arg(0), out),
    }
}

fn incr(store: &Store, key: &[u8], out: &mut Vec<u8>) {
    let mut map = store.map();
    let old = match map.get(key) {
        None => 0,
        Some(v) => match parse_i64(v) {
            Some(n) => n,
            None => return error(out, "value is not an integer or out of range"),
        },
    };
    let Some(new) = old.checked_add(1) else {
        return error(out, "increment or decrement would overflow");
    };
    map.insert(key.to_vec(), new.to_string().into_bytes());
    integer(out, new);
}

fn error(out: &mut Vec<u8>, message: &str) {
    out.extend_from_slice(b"-ERR ");
    out.extend_from_slice(message.as_bytes());
    out.extend_from_slice(b"\r\n");
}

fn integer(out: &mut Vec<u8>, n: i64) {
    out.push(b':');
    decimal(out, n);
    out.extend_from_slice(b"\r\n");
}

fn bulk(out: &mut Vec<u8>, data: &[u8]) {
    out.push(b'$');
    decimal(out, data.len() as i64);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// `n` in decimal, without going through `fmt`.
fn decimal(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut m = n.unsigned_abs();
    loop {
        i -= 1;
        digits[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}
