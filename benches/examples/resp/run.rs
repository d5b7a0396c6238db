//! Which server, on which runtime: every implementation of the example
//! behind one name, run on a listener the caller bound (the example's
//! `main`, the bench script through it, and the test).

use std::future::Future;
use std::sync::Arc;

use crate::streams::Reads;
use crate::{hand_codec, hand_smol, hand_tokio, streams};

pub type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// One server implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Impl {
    /// Hand-written on Tokio, current-thread runtime.
    TokioHand,
    /// Hand-written on Tokio, multi-thread runtime.
    TokioHandMt,
    /// Hand-written on Tokio with tokio-util's codec, arguments as `Bytes`
    /// (current-thread runtime).
    TokioCodec,
    /// The streams API on Tokio, current-thread runtime.
    StreamsTokio(Reads),
    /// The streams API on Tokio, multi-thread runtime.
    StreamsTokioMt(Reads),
    /// Hand-written on smol (one executor thread).
    SmolHand,
    /// The streams API on smol (one executor thread).
    StreamsSmol(Reads),
}

impl Impl {
    /// Every implementation, baselines first.
    pub const ALL: [Impl; 10] = [
        Impl::TokioHand,
        Impl::TokioHandMt,
        Impl::TokioCodec,
        Impl::SmolHand,
        Impl::StreamsTokio(Reads::Owned),
        Impl::StreamsTokio(Reads::Into),
        Impl::StreamsTokioMt(Reads::Owned),
        Impl::StreamsTokioMt(Reads::Into),
        Impl::StreamsSmol(Reads::Owned),
        Impl::StreamsSmol(Reads::Into),
    ];

    /// The name on the command line and in the tables.
    pub fn name(self) -> &'static str {
        match self {
            Impl::TokioHand => "tokio-hand",
            Impl::TokioHandMt => "tokio-hand-mt",
            Impl::TokioCodec => "tokio-codec",
            Impl::SmolHand => "smol-hand",
            Impl::StreamsTokio(Reads::Owned) => "streams-tokio",
            Impl::StreamsTokio(Reads::Into) => "streams-tokio-into",
            Impl::StreamsTokioMt(Reads::Owned) => "streams-tokio-mt",
            Impl::StreamsTokioMt(Reads::Into) => "streams-tokio-mt-into",
            Impl::StreamsSmol(Reads::Owned) => "streams-smol",
            Impl::StreamsSmol(Reads::Into) => "streams-smol-into",
        }
    }

    pub fn from_name(name: &str) -> Option<Impl> {
        Impl::ALL.into_iter().find(|i| i.name() == name)
    }
}

/// Runs `imp` on `listener` (bound and listening) until `stop` completes;
/// a multi-thread runtime gets `threads` workers.
pub fn run(
    imp: Impl,
    listener: std::net::TcpListener,
    threads: usize,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Res<()> {
    match imp {
        Impl::TokioHand | Impl::TokioCodec | Impl::StreamsTokio(_) => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(on_tokio(imp, listener, stop))
        }
        Impl::TokioHandMt | Impl::StreamsTokioMt(_) => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads.max(1))
                .enable_all()
                .build()?;
            rt.block_on(on_tokio(imp, listener, stop))
        }
        Impl::SmolHand | Impl::StreamsSmol(_) => {
            let ex = Arc::new(smol::Executor::new());
            smol::block_on(ex.run(on_smol(ex.clone(), imp, listener, stop)))
        }
    }
}

async fn on_tokio(
    imp: Impl,
    listener: std::net::TcpListener,
    stop: impl Future<Output = ()>,
) -> Res<()> {
    match imp {
        Impl::StreamsTokio(reads) | Impl::StreamsTokioMt(reads) => {
            let server = streams::start(Arc::new(streams_tokio::Tokio), listener, reads)?;
            stop.await;
            close(server).await;
            Ok(())
        }
        Impl::TokioCodec => Ok(hand_codec::serve(listener, stop).await?),
        _ => Ok(hand_tokio::serve(listener, stop).await?),
    }
}

async fn on_smol(
    ex: Arc<smol::Executor<'static>>,
    imp: Impl,
    listener: std::net::TcpListener,
    stop: impl Future<Output = ()>,
) -> Res<()> {
    match imp {
        Impl::StreamsSmol(reads) => {
            let rt = streams_smol::Smol::with_executor(ex);
            let server = streams::start(Arc::new(rt), listener, reads)?;
            stop.await;
            close(server).await;
            Ok(())
        }
        _ => Ok(hand_smol::serve(ex, listener, stop).await?),
    }
}

/// Stops a streams server and drops its connections.
async fn close(server: streams_common::Server) {
    server.close();
    server.abort_clients();
    server.wait_closed().await;
}
