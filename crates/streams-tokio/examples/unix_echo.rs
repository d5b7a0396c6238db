//! An echo server and client over a Unix-domain socket in a temporary
//! directory.

#[cfg(unix)]
use streams_tokio::*;

#[cfg(unix)]
type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[cfg(unix)]
#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let path = std::env::temp_dir().join(format!("streams-tokio-echo-{}.sock", std::process::id()));
    let server = start_unix_server(
        |mut reader: StreamReader, writer: StreamWriter| async move {
            let line = reader.readline().await?;
            println!("server: received {:?}", String::from_utf8_lossy(&line));
            writer.write(&line)?;
            writer.drain().await?;
            writer.close();
            Ok::<(), BoxError>(())
        },
        &path,
        ServerOptions::default(),
    )
    .await?;
    println!("serving on {}", server.sockets()[0]);

    let (mut reader, writer) = open_unix_connection(&path, OpenOptions::default()).await?;
    writer.write(b"Hello over a Unix socket\n")?;
    let echoed = reader.readline().await?;
    println!("client: received {:?}", String::from_utf8_lossy(&echoed));
    writer.close();
    writer.wait_closed().await?;

    server.close(); // also removes the socket file
    server.wait_closed().await;
    println!("socket file removed: {}", !path.exists());
    Ok(())
}

/// The example needs a Unix-domain socket: Unix only.
#[cfg(not(unix))]
fn main() {
    eprintln!("this example needs a Unix-domain socket, which this platform lacks");
}
