//! A `Content-Length`-framed message reader (the Language Server
//! Protocol's framing): header lines with `readline()`, the body with
//! `readexactly()`, every size bounded, a typed error for each way a
//! peer can get it wrong.
//!
//! `cargo run -p streams-tokio --example content_length`
//!
//! ```text
//! Content-Length: 17\r\n
//! Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n
//! \r\n
//! {"method":"exit"}
//! ```
//!
//! The bounds: a header line longer than the reader's limit fails the
//! read with `LineTooLong` (the reader never holds much more than twice
//! its limit); at most [`MAX_HEADERS`] header lines; a body of at most
//! the caller's `max_body`, checked before a byte of it is read.
//! The tests run the reader over an in-memory pair (`cargo test -p
//! streams-tokio --example content_length`).

use std::fmt;
use streams_tokio::*;

/// At most this many header lines before the blank line.
pub const MAX_HEADERS: usize = 32;

/// Why a message could not be read.
#[derive(Debug)]
pub enum FrameError {
    /// The reader's error: a header line over the limit (`LineTooLong`),
    /// EOF inside the body (`Incomplete`), the connection's own error.
    Read(ReadError),
    /// EOF inside the headers.
    EofInHeaders,
    /// A header line that is not `Name: value\r\n`.
    BadHeader(String),
    /// A `Content-Length` that is not a decimal number.
    BadLength(String),
    /// A second `Content-Length`.
    DuplicateLength,
    /// No `Content-Length` before the blank line.
    MissingLength,
    /// More than [`MAX_HEADERS`] header lines.
    TooManyHeaders,
    /// A body over the caller's bound (not read).
    TooLarge { length: usize, max: usize },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Read(e) => write!(f, "read failed: {e}"),
            FrameError::EofInHeaders => f.write_str("EOF inside the headers"),
            FrameError::BadHeader(h) => write!(f, "bad header line {h:?}"),
            FrameError::BadLength(v) => write!(f, "bad Content-Length {v:?}"),
            FrameError::DuplicateLength => f.write_str("Content-Length given twice"),
            FrameError::MissingLength => f.write_str("no Content-Length"),
            FrameError::TooManyHeaders => write!(f, "more than {MAX_HEADERS} header lines"),
            FrameError::TooLarge { length, max } => {
                write!(f, "a body of {length} bytes, over the bound of {max}")
            }
        }
    }
}

impl std::error::Error for FrameError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FrameError::Read(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ReadError> for FrameError {
    fn from(e: ReadError) -> Self {
        FrameError::Read(e)
    }
}

/// The next message's body, or `None` at EOF between messages.
pub async fn read_message(
    reader: &mut StreamReader,
    max_body: usize,
) -> Result<Option<Bytes>, FrameError> {
    let mut length = None;
    for n in 0..=MAX_HEADERS {
        let line = reader.readline().await?;
        if line.is_empty() {
            return if n == 0 {
                Ok(None)
            } else {
                Err(FrameError::EofInHeaders)
            };
        }
        if &line[..] == b"\r\n" {
            let length = length.ok_or(FrameError::MissingLength)?;
            if length > max_body {
                return Err(FrameError::TooLarge {
                    length,
                    max: max_body,
                });
            }
            return Ok(Some(reader.readexactly(length).await?));
        }
        if n == MAX_HEADERS {
            break;
        }
        let (name, value) = header(&line)?;
        if name.eq_ignore_ascii_case("Content-Length") {
            if length.is_some() {
                return Err(FrameError::DuplicateLength);
            }
            length = Some(parse_length(value)?);
        }
    }
    Err(FrameError::TooManyHeaders)
}

/// `Name: value\r\n` split, or why not.
fn header(line: &[u8]) -> Result<(&str, &str), FrameError> {
    let bad = || FrameError::BadHeader(String::from_utf8_lossy(line).into_owned());
    let text = line
        .strip_suffix(b"\r\n")
        .and_then(|l| std::str::from_utf8(l).ok())
        .ok_or_else(bad)?;
    let (name, value) = text.split_once(':').ok_or_else(bad)?;
    if name.is_empty() || name.contains(|c: char| c.is_ascii_whitespace()) {
        return Err(bad());
    }
    Ok((name, value.trim()))
}

/// A decimal length: digits only (`usize::from_str` would take a `+`).
fn parse_length(value: &str) -> Result<usize, FrameError> {
    let bad = || FrameError::BadLength(value.to_owned());
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    value.parse().map_err(|_| bad())
}

/// Writes one message: its header, then its body.
pub fn write_message(writer: &StreamWriter, body: &[u8]) -> Result<(), WriteError> {
    writer.write(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes())?;
    writer.write(body)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ((mut reader, _w), (_r, writer)) = pair(64 * 1024, TransportOptions::default())?;
    write_message(
        &writer,
        br#"{"jsonrpc":"2.0","id":1,"method":"initialize"}"#,
    )?;
    write_message(&writer, br#"{"jsonrpc":"2.0","method":"exit"}"#)?;
    writer.write(b"Content-Length: twelve\r\n\r\n")?;
    loop {
        match read_message(&mut reader, 1 << 20).await {
            Ok(Some(body)) => println!("message: {}", String::from_utf8_lossy(&body)),
            Ok(None) => break,
            Err(e) => {
                println!("refused: {e}");
                break;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Reads one message of what `sent` holds, a peer's `write_eof()`
    /// after it (bounded: a bug fails instead of hanging).
    async fn read_from(
        sent: &[u8],
        limit: usize,
        max_body: usize,
    ) -> Vec<Result<Option<Bytes>, FrameError>> {
        let options = TransportOptions::default().limit(limit);
        let ((mut reader, _w), (_r, writer)) = pair(64 * 1024, options).unwrap();
        writer.write(sent).unwrap();
        writer.write_eof().unwrap();
        let mut got = Vec::new();
        // Until EOF or the first error; a handful of messages at most.
        for _ in 0..8 {
            let r =
                tokio::time::timeout(Duration::from_secs(10), read_message(&mut reader, max_body))
                    .await
                    .expect("a read took over 10 s");
            let last = !matches!(r, Ok(Some(_)));
            got.push(r);
            if last {
                break;
            }
        }
        got
    }

    #[tokio::test]
    async fn messages_back_to_back_then_eof() {
        let got = read_from(
            b"Content-Length: 2\r\n\r\nhiContent-Type: x\r\ncontent-length: 3\r\n\r\nabc",
            1024,
            100,
        )
        .await;
        let got: Vec<_> = got.into_iter().map(Result::unwrap).collect();
        assert_eq!(
            got,
            [Some(Bytes::from("hi")), Some(Bytes::from("abc")), None]
        );
    }

    #[tokio::test]
    async fn a_body_may_hold_crlf_and_header_like_lines() {
        let body = b"line\r\n\r\nContent-Length: 9\r\n";
        let mut sent = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        sent.extend_from_slice(body);
        let got = read_from(&sent, 1024, 100).await;
        assert_eq!(got[0].as_ref().unwrap().as_deref(), Some(&body[..]));
    }

    #[tokio::test]
    async fn a_body_over_the_bound_is_refused_unread() {
        let got = read_from(b"Content-Length: 101\r\n\r\n", 1024, 100).await;
        assert!(
            matches!(
                got[0],
                Err(FrameError::TooLarge {
                    length: 101,
                    max: 100
                })
            ),
            "{got:?}"
        );
    }

    #[tokio::test]
    async fn bad_lengths_are_refused() {
        for value in ["twelve", "+5", "-1", "", "99999999999999999999999"] {
            let got = read_from(
                format!("Content-Length: {value}\r\n\r\n").as_bytes(),
                1024,
                100,
            )
            .await;
            assert!(
                matches!(&got[0], Err(FrameError::BadLength(v)) if v == value),
                "{value}: {got:?}"
            );
        }
    }

    #[tokio::test]
    async fn headers_without_crlf_or_colon_are_refused() {
        for line in [
            "Content-Length: 2\n",
            "no colon here\r\n",
            ": empty name\r\n",
        ] {
            let got = read_from(format!("{line}\r\nhi").as_bytes(), 1024, 100).await;
            assert!(
                matches!(got[0], Err(FrameError::BadHeader(_))),
                "{line:?}: {got:?}"
            );
        }
    }

    #[tokio::test]
    async fn missing_and_duplicate_lengths_are_refused() {
        let got = read_from(b"Content-Type: x\r\n\r\n", 1024, 100).await;
        assert!(matches!(got[0], Err(FrameError::MissingLength)), "{got:?}");
        let got = read_from(
            b"Content-Length: 1\r\nContent-Length: 1\r\n\r\nx",
            1024,
            100,
        )
        .await;
        assert!(
            matches!(got[0], Err(FrameError::DuplicateLength)),
            "{got:?}"
        );
    }

    #[tokio::test]
    async fn header_count_and_header_line_length_are_bounded() {
        let many = "X-Padding: 1\r\n".repeat(MAX_HEADERS + 1);
        let got = read_from(
            format!("{many}Content-Length: 0\r\n\r\n").as_bytes(),
            1024,
            100,
        )
        .await;
        assert!(matches!(got[0], Err(FrameError::TooManyHeaders)), "{got:?}");
        let long = format!("X-Long: {}\r\nContent-Length: 0\r\n\r\n", "y".repeat(200));
        let got = read_from(long.as_bytes(), 64, 100).await;
        assert!(
            matches!(got[0], Err(FrameError::Read(ReadError::LineTooLong { .. }))),
            "{got:?}"
        );
    }

    #[tokio::test]
    async fn eof_inside_a_message_is_an_error() {
        let got = read_from(b"Content-Length: 10\r\n", 1024, 100).await;
        assert!(matches!(got[0], Err(FrameError::EofInHeaders)), "{got:?}");
        let got = read_from(b"Content-Length: 10\r\n\r\nshort", 1024, 100).await;
        assert!(
            matches!(&got[0], Err(FrameError::Read(ReadError::Incomplete { partial, expected: Some(10) })) if partial == "short"),
            "{got:?}"
        );
    }
}
