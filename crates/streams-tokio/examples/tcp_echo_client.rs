//! asyncio's "TCP echo client using streams" example (start
//! `tcp_echo_server` first).

use streams_tokio::*;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let message = "Hello World!";
    let (mut reader, writer) = open_connection("127.0.0.1", 8888, OpenOptions::default()).await?;
    println!("Send: {message:?}");
    writer.write(message.as_bytes())?;
    writer.drain().await?;
    let data = reader.read(100).await?;
    println!("Received: {:?}", String::from_utf8_lossy(&data));
    println!("Close the connection");
    writer.close();
    writer.wait_closed().await?;
    Ok(())
}
