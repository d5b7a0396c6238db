//! A line-echo server on Tokio and tokio-util's `LinesCodec` (the same
//! 64 KiB line limit as asyncio's streams), on Tokio's current-thread
//! runtime.

use futures_core::Stream;
use std::future::poll_fn;
use std::pin::Pin;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio_util::codec::{FramedRead, LinesCodec};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:8888").await?;
        loop {
            let (sock, _) = listener.accept().await?;
            tokio::spawn(async move {
                let (rd, mut wr) = sock.into_split();
                let mut lines = FramedRead::new(rd, LinesCodec::new_with_max_length(64 * 1024));
                while let Some(Ok(mut line)) =
                    poll_fn(|cx| Pin::new(&mut lines).poll_next(cx)).await
                {
                    line.push('\n');
                    if wr.write_all(line.as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
        }
    })
}
