//! Unit-testing a line protocol with an in-memory pair: no socket, no
//! port, no kernel.
//!
//! `cargo run -p streams-tokio --example line_protocol` runs a scripted
//! session; `cargo test -p streams-tokio --example line_protocol` runs
//! the tests below.
//!
//! The protocol is a tiny key-value store, written once against
//! `StreamReader` / `StreamWriter`: the same [`serve`] runs as a
//! `start_server` handler over TCP and, in the tests, on one end of
//! `pair()`, whose other end is the test's client. The pair behaves as a
//! Unix socket pair (half-close, close, abort as a reset), so the tests
//! cover the protocol's end of a session too, not only its replies.
//!
//! ```text
//! SET key value   ->  OK
//! GET key         ->  VALUE value | NOT_FOUND
//! QUIT            ->  BYE, then the server closes
//! anything else   ->  ERR unknown command
//! a line over the reader's limit -> ERR line too long (the session goes on)
//! ```

use std::collections::HashMap;
use streams_tokio::*;

/// Serves one session until `QUIT` or the client's EOF; returns the
/// connection's error if it ended with one.
pub async fn serve(mut reader: StreamReader, writer: StreamWriter) -> Result<(), ReadError> {
    let mut store: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    // Inside a line over the limit whose end was not seen yet: what comes
    // up to its newline is its tail, not a request.
    let mut in_long_line = false;
    loop {
        let line = match reader.readline().await {
            Ok(line) => line,
            Err(ReadError::LineTooLong {
                separator_found, ..
            }) => {
                // What was buffered of it is dropped (through its newline
                // if that had arrived); answer once per long line.
                if !in_long_line {
                    let _ = writer.write(b"ERR line too long\n");
                }
                in_long_line = !separator_found;
                continue;
            }
            Err(e) => return Err(e),
        };
        if line.is_empty() {
            break; // EOF
        }
        if in_long_line {
            in_long_line = false; // its tail, up to its newline
            continue;
        }
        let line = line.strip_suffix(b"\n").unwrap_or(&line);
        let mut words = line.splitn(3, |&b| b == b' ');
        let reply = match (words.next(), words.next(), words.next()) {
            (Some(b"SET"), Some(key), Some(value)) => {
                store.insert(key.to_vec(), value.to_vec());
                b"OK\n".to_vec()
            }
            (Some(b"GET"), Some(key), None) => match store.get(key) {
                Some(value) => [b"VALUE ", &value[..], b"\n"].concat(),
                None => b"NOT_FOUND\n".to_vec(),
            },
            (Some(b"QUIT"), None, None) => {
                let _ = writer.write(b"BYE\n");
                break;
            }
            _ => b"ERR unknown command\n".to_vec(),
        };
        // Fails only once the connection is closing: the next read says why.
        let _ = writer.write(&reply);
    }
    writer.close();
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ((mut reader, writer), (server_r, server_w)) =
        pair(64 * 1024, TransportOptions::default())?;
    let server = tokio::spawn(serve(server_r, server_w));
    for request in ["SET colour blue", "GET colour", "GET size", "HELLO", "QUIT"] {
        writer.write(format!("{request}\n").as_bytes())?;
        let reply = reader.readline().await?;
        print!("{request:<16} -> {}", String::from_utf8_lossy(&reply));
    }
    server.await??;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::time::Duration;

    /// `f`'s output, or a failed test after 10 s.
    async fn bounded<F: Future>(f: F) -> F::Output {
        tokio::time::timeout(Duration::from_secs(10), f)
            .await
            .expect("not done within 10 s")
    }

    /// A session: the client's ends, and the server's result.
    fn session(
        limit: usize,
    ) -> (
        StreamReader,
        StreamWriter,
        tokio::task::JoinHandle<Result<(), ReadError>>,
    ) {
        let options = TransportOptions::default().limit(limit);
        let ((reader, writer), (server_r, server_w)) = pair(64 * 1024, options).unwrap();
        (reader, writer, tokio::spawn(serve(server_r, server_w)))
    }

    /// Sends `requests` and the client's EOF; returns everything the
    /// server answered, up to its close.
    async fn transcript(requests: &[u8], limit: usize) -> Bytes {
        let (mut reader, writer, server) = session(limit);
        writer.write(requests).unwrap();
        writer.write_eof().unwrap();
        let all = bounded(reader.read_to_eof()).await.unwrap();
        bounded(server).await.unwrap().unwrap();
        all
    }

    #[tokio::test]
    async fn set_then_get_returns_the_value() {
        let got = transcript(b"SET k hello world\nGET k\n", 1024).await;
        assert_eq!(got, "OK\nVALUE hello world\n");
    }

    #[tokio::test]
    async fn get_of_an_unknown_key_is_not_found() {
        assert_eq!(transcript(b"GET nothing\n", 1024).await, "NOT_FOUND\n");
    }

    #[tokio::test]
    async fn an_unknown_command_is_an_error_and_the_session_goes_on() {
        let got = transcript(b"DELETE k\nSET\nSET k v\n", 1024).await;
        assert_eq!(got, "ERR unknown command\nERR unknown command\nOK\n");
    }

    #[tokio::test]
    async fn a_line_over_the_limit_is_answered_once_and_skipped_whole() {
        // Far over twice the limit: the reader stops before its newline
        // arrives, so the line is dropped in pieces.
        let long = format!("SET k {}\nGET k\n", "x".repeat(10_000));
        assert_eq!(
            transcript(long.as_bytes(), 32).await,
            "ERR line too long\nNOT_FOUND\n"
        );
        let long = format!("SET k {}\nGET k\n", "x".repeat(40));
        assert_eq!(
            transcript(long.as_bytes(), 32).await,
            "ERR line too long\nNOT_FOUND\n"
        );
    }

    #[tokio::test]
    async fn a_last_line_without_newline_is_served() {
        // asyncio's readline returns the partial line at EOF.
        assert_eq!(transcript(b"SET k v\nGET k", 1024).await, "OK\nVALUE v\n");
    }

    #[tokio::test]
    async fn quit_says_bye_and_closes_without_reading_further() {
        let got = transcript(b"QUIT\nSET k v\n", 1024).await;
        assert_eq!(got, "BYE\n");
    }

    #[tokio::test]
    async fn a_client_reset_ends_the_session_with_the_reset() {
        let (_reader, writer, server) = session(1024);
        writer.write(b"SET k v\n").unwrap();
        bounded(writer.drain()).await.unwrap();
        writer.abort(); // over a pair, an abort is a reset
        let e = bounded(server).await.unwrap().unwrap_err();
        match e {
            ReadError::Stored(io) => assert_eq!(io.kind(), std::io::ErrorKind::ConnectionReset),
            other => panic!("{other:?}"),
        }
    }
}
