//! The streams on an `async_executor::Executor` the application runs itself
//! (instead of smol's global executor): `Smol::with_executor`, passed to the
//! `streams_common` functions, which take the runtime as an argument.
//!
//! `cargo run -p streams-smol --example own_executor`

use std::sync::Arc;
use streams_smol::{OpenOptions, ServerOptions, Smol, StreamReader, StreamWriter};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    let ex = Arc::new(smol::Executor::new());
    let rt = Smol::with_executor(ex.clone());
    // Every connection task runs inside `ex.run(...)`, on this thread.
    smol::block_on(ex.run(async move {
        let server = streams_common::start_server(
            Arc::new(rt.clone()),
            |mut reader: StreamReader, writer: StreamWriter| async move {
                let request = reader.readuntil(b"\r\n").await?;
                writer.write(b"you said: ")?;
                writer.write(&request)?;
                Ok::<(), BoxError>(())
            },
            "127.0.0.1".into(),
            0,
            ServerOptions::default(),
        )
        .await?;
        let port = server.local_addrs()[0].port();
        let (mut reader, writer) =
            streams_common::open_connection(&rt, "127.0.0.1", port, OpenOptions::default()).await?;
        writer.write(b"ping\r\n")?;
        let reply = reader.read_to_eof().await?;
        println!("{}", String::from_utf8_lossy(&reply).trim_end());
        server.close();
        server.wait_closed().await;
        Ok(())
    }))
}
