//! asyncio's "TCP echo server using streams" example.
//!
//! `cargo run -p streams-tokio --example tcp_echo_server`, then
//! `cargo run -p streams-tokio --example tcp_echo_client`.

use streams_tokio::*;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn handle_echo(mut reader: StreamReader, writer: StreamWriter) -> Result<(), BoxError> {
    let data = reader.read(100).await?;
    let addr = writer.peername().map(|a| a.to_string()).unwrap_or_default();
    println!("Received {:?} from {addr}", String::from_utf8_lossy(&data));
    println!("Send: {:?}", String::from_utf8_lossy(&data));
    writer.write(&data)?;
    writer.drain().await?;
    println!("Close the connection");
    writer.close();
    writer.wait_closed().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let server = start_server(handle_echo, "127.0.0.1", 8888, ServerOptions::default()).await?;
    let addrs: Vec<String> = server.sockets().iter().map(ToString::to_string).collect();
    println!("Serving on {}", addrs.join(", "));
    server.serve_forever().await?;
    Ok(())
}
