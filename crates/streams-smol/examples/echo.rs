//! A line echo server and a client on smol, in one program: extra info,
//! the lines stream, half-close.
//!
//! `cargo run -p streams-smol --example echo`

use futures::StreamExt;
use streams_smol::*;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn echo(mut reader: StreamReader, writer: StreamWriter) -> Result<(), BoxError> {
    let peer = writer
        .peername()
        .map(ToString::to_string)
        .unwrap_or_default();
    let mut lines = reader.line_stream();
    while let Some(line) = lines.next().await {
        writer.write(&line?)?;
        writer.drain().await?;
    }
    println!("server: {peer} is done sending");
    Ok(())
}

fn main() -> Result<(), BoxError> {
    smol::block_on(async {
        let server = start_server(echo, "127.0.0.1", 0, ServerOptions::default()).await?;
        let port = server.local_addrs()[0].port();
        println!("server: serving on {}", server.sockets()[0]);

        let (mut reader, writer) =
            open_connection("127.0.0.1", port, OpenOptions::default()).await?;
        writer.writelines([&b"hello\n"[..], b"from smol\n"])?;
        writer.write_eof()?; // half-close: the server sees EOF, we still read
        let echoed = reader.read_to_eof().await?;
        println!("client: {:?}", String::from_utf8_lossy(&echoed));
        writer.close();
        writer.wait_closed().await?;

        server.close();
        server.wait_closed().await;
        Ok(())
    })
}
