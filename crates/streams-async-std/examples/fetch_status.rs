//! On async-std: a tiny HTTP exchange against a local server, reading the
//! status line with `readuntil` and the body with `readexactly`.
//!
//! `cargo run -p streams-async-std --example fetch_status`
//!
//! (async-std is deprecated upstream; `streams-smol` is the same API.)

use streams_async_std::*;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn http(mut reader: StreamReader, writer: StreamWriter) -> Result<(), BoxError> {
    // Read the request head, then answer.
    let head = reader.readuntil(b"\r\n\r\n").await?;
    let body = format!("{} bytes of request head\n", head.len());
    writer
        .write(format!("HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes())?;
    writer.write(body.as_bytes())?;
    writer.drain().await?;
    writer.close();
    Ok(())
}

fn main() -> Result<(), BoxError> {
    async_std::task::block_on(async {
        let server = start_server(http, "127.0.0.1", 0, ServerOptions::default()).await?;
        let port = server.local_addrs()[0].port();
        let (mut reader, writer) =
            open_connection("127.0.0.1", port, OpenOptions::default().limit(8 * 1024)).await?;
        writer.write(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
        let status = reader.readline().await?;
        println!("status: {}", String::from_utf8_lossy(&status).trim_end());
        let mut length = 0;
        loop {
            let header = reader.readuntil(b"\r\n").await?;
            if &header[..] == b"\r\n" {
                break;
            }
            if let Some(v) = header.strip_prefix(b"Content-Length: ") {
                length = std::str::from_utf8(v)?.trim().parse()?;
            }
        }
        let body = reader.readexactly(length).await?;
        print!("body: {}", String::from_utf8_lossy(&body));
        server.close();
        server.wait_closed().await;
        Ok(())
    })
}
