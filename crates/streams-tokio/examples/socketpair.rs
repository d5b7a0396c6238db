//! asyncio's "Register an open socket to wait for data using streams"
//! example: streams over both ends of an already connected socket pair.

#[cfg(unix)]
use std::os::unix::net::UnixStream;
#[cfg(unix)]
use streams_tokio::*;

#[cfg(unix)]
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (rsock, wsock) = UnixStream::pair()?;
    // Register the reading end as a stream.
    let (mut reader, writer) =
        open_unix_connection_with_socket(rsock, OpenOptions::default()).await?;
    // Simulate the reception of data from the network, later.
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        use std::io::Write;
        let _ = (&wsock).write_all(b"abc");
    });
    // Wait for data.
    let data = reader.read(100).await?;
    println!("Received: {:?}", String::from_utf8_lossy(&data));
    writer.close();
    Ok(())
}

/// The example needs a Unix socket pair: Unix only.
#[cfg(not(unix))]
fn main() {
    eprintln!("this example needs a Unix socket pair, which this platform lacks");
}
