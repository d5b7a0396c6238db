//! A self-contained tour: an echo server on 127.0.0.1 (port chosen by the
//! system), a client that exchanges lines with it, one line over the
//! reader's limit (a typed error), and a clean shutdown.
//!
//! Run with `cargo run -p streams-tokio --example demo`.

use streams_tokio::*;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // The server's reader accepts lines of up to 64 bytes.
    let server = start_server(
        |mut reader: StreamReader, writer: StreamWriter| async move {
            let peer = writer.peername().map(|p| p.to_string()).unwrap_or_default();
            println!("server: connection from {peer}");
            loop {
                match reader.readline().await {
                    Ok(line) if line.is_empty() => break, // EOF
                    Ok(line) => {
                        println!("server: echoing {:?}", String::from_utf8_lossy(&line));
                        writer.write(&line)?;
                        writer.drain().await?;
                    }
                    Err(e @ ReadError::LineTooLong { discarded, .. }) => {
                        println!("server: dropped a {discarded}-byte line: {e}");
                        writer.write(format!("error: {e}\n").as_bytes())?;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            println!("server: client finished, closing");
            writer.close();
            writer.wait_closed().await?;
            Ok::<(), BoxError>(())
        },
        "127.0.0.1",
        0,
        ServerOptions::default().limit(64),
    )
    .await?;
    let addr = server.local_addrs()[0];
    println!("server: listening on {addr}");

    let (mut reader, writer) =
        open_connection("127.0.0.1", addr.port(), OpenOptions::default()).await?;
    for line in ["hello\n", "asyncio streams, in Rust\n"] {
        writer.write(line.as_bytes())?;
        let echoed = reader.readline().await?;
        println!("client: got back {:?}", String::from_utf8_lossy(&echoed));
    }

    // A line longer than the server's 64-byte limit.
    let long = format!("{}\n", "x".repeat(100));
    writer.write(long.as_bytes())?;
    let answer = reader.readline().await?;
    println!(
        "client: server answered {:?}",
        String::from_utf8_lossy(&answer)
    );

    // The same limit on the client side: readuntil leaves the data in place.
    let (mut small, small_writer) =
        open_connection("127.0.0.1", addr.port(), OpenOptions::default().limit(8)).await?;
    small_writer.write(b"0123456789abcdef\n")?;
    match small.readuntil(b"\n").await {
        Err(e @ ReadError::LimitOverrun { consumed, .. }) => {
            println!("client: readuntil over the 8-byte limit: {e} (consumed = {consumed})");
            let head = small.readexactly(consumed).await?;
            println!(
                "client: read the first {} bytes instead: {:?}",
                head.len(),
                String::from_utf8_lossy(&head)
            );
        }
        other => println!("client: unexpected {other:?}"),
    }
    small_writer.close();

    // Half-close: the server sees EOF, closes, and we see EOF too.
    writer.write_eof()?;
    let rest = reader.read_to_eof().await?;
    println!("client: EOF after {} more bytes", rest.len());
    writer.close();
    writer.wait_closed().await?;

    server.close();
    server.wait_closed().await;
    println!("server: closed");
    Ok(())
}
