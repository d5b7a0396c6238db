//! asyncio's "Get HTTP headers" example: prints the response headers of a
//! URL (`http://` only; TLS is not supported yet).
//!
//! `cargo run -p streams-tokio --example fetch_headers -- http://127.0.0.1:8000/`
//! (for instance against `python3 -m http.server`). Without an argument it
//! starts a tiny local HTTP server and fetches from it.

use streams_tokio::*;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn print_http_headers(url: &str) -> Result<(), BoxError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// URLs are supported")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse()?),
        None => (authority, 80),
    };
    let (mut reader, writer) = open_connection(host, port, OpenOptions::default()).await?;
    let query = format!("HEAD {path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
    writer.write(query.as_bytes())?;
    loop {
        let line = reader.readline().await?;
        if line.is_empty() {
            break;
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end();
        if !line.is_empty() {
            println!("HTTP header> {line}");
        }
    }
    writer.close();
    writer.wait_closed().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    if let Some(url) = std::env::args().nth(1) {
        return print_http_headers(&url).await;
    }
    // A local stand-in for a web server.
    let server = start_server(
        |mut reader: StreamReader, writer: StreamWriter| async move {
            while reader.readline().await?.as_ref() != b"\r\n" {}
            writer.write(
                b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n",
            )?;
            writer.close();
            Ok::<(), BoxError>(())
        },
        "127.0.0.1",
        0,
        ServerOptions::default(),
    )
    .await?;
    let url = format!("http://{}/", server.local_addrs()[0]);
    print_http_headers(&url).await?;
    server.close();
    server.wait_closed().await;
    Ok(())
}
