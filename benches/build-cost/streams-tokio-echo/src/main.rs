//! A line-echo server on streams-tokio, plaintext, on Tokio's
//! current-thread runtime.

use streams_tokio::{start_server, ServerOptions, StreamReader, StreamWriter};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let server = start_server(
            |mut reader: StreamReader, writer: StreamWriter| async move {
                loop {
                    let line = reader.readline().await?;
                    if line.is_empty() {
                        break;
                    }
                    writer.write(&line)?;
                    writer.drain().await?;
                }
                writer.close();
                Ok::<(), BoxError>(())
            },
            "127.0.0.1",
            8888,
            ServerOptions::default(),
        )
        .await?;
        server.serve_forever().await?;
        Ok(())
    })
}
