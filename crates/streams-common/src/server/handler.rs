//! The connection handler: what it may be ([`HandlerOutput`], the boxing
//! of an async closure), the task that runs it with its panics caught, and
//! how its failures are reported ([`HandlerFailure`], the
//! [`HandlerErrorHook`], the `tracing` event).

use super::ServerInner;
use crate::addr::Address;
use crate::conn::{Shared, StreamReader, StreamWriter};
use crate::runtime::BoxFuture;
use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::Poll;

/// A failure of a connection handler, as reported to
/// [`ServerOptions::on_handler_error`](super::ServerOptions::on_handler_error).
#[derive(Debug)]
pub enum HandlerFailure {
    /// The handler returned this error.
    Error(Box<dyn std::error::Error + Send + Sync>),
    /// The handler panicked with this message.
    Panic(String),
}

impl fmt::Display for HandlerFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandlerFailure::Error(e) => e.fmt(f),
            HandlerFailure::Panic(m) => write!(f, "handler panicked: {m}"),
        }
    }
}

/// A hook called with every handler failure (besides the `tracing` error
/// event the server always emits).
pub type HandlerErrorHook = Arc<dyn Fn(&HandlerFailure, Option<&Address>) + Send + Sync>;

/// What a connection handler may return: `()` or a `Result` whose error is
/// reported.
pub trait HandlerOutput: Send + 'static {
    /// The handler's outcome as a result.
    fn into_result(self) -> Result<(), Box<dyn std::error::Error + Send + Sync>>;
}

impl HandlerOutput for () {
    fn into_result(self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Ok(())
    }
}

impl<E> HandlerOutput for Result<(), E>
where
    E: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    fn into_result(self) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.map_err(Into::into)
    }
}

pub(super) type DynHandler = Arc<
    dyn Fn(
            StreamReader,
            StreamWriter,
        ) -> BoxFuture<Result<(), Box<dyn std::error::Error + Send + Sync>>>
        + Send
        + Sync,
>;

/// Wraps an async closure `|reader, writer| async { ... }` as a handler.
pub(super) fn box_handler<F, Fut>(handler: F) -> DynHandler
where
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerOutput,
{
    Arc::new(move |r, w| {
        let fut = handler(r, w);
        Box::pin(async move { fut.await.into_result() })
    })
}

/// Runs the handler of one accepted connection (the task the accept loop
/// spawns for it). Over TLS the handler runs once the handshake is done; a
/// failed or timed-out handshake drops the connection (asyncio reports it
/// only in debug mode). A handler that fails or panics has its failure
/// reported and its connection closed, as asyncio does; the server serves
/// on.
pub(super) async fn run_handler(
    inner: Arc<ServerInner>,
    shared: Arc<Shared>,
    reader: StreamReader,
    writer: StreamWriter,
    peer: Option<Address>,
) {
    if let Err(e) = shared.handshake().await {
        crate::diag::debug!(error = %e, "SSL handshake failed: connection dropped");
        shared.abort();
        return;
    }
    let mut fut = (inner.handler)(reader, writer);
    // A writer dropped during a poll (the handler's future owns it, and
    // drops it as it fails) closes the connection after that poll: after
    // the failure is reported, if it failed.
    let mut dropped = false;
    let outcome = poll_fn(|cx| {
        let (r, d) = shared.deferring_writer_close(|| {
            std::panic::catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx)))
                .unwrap_or_else(|p| Poll::Ready(Err(panic_failure(p))))
        });
        dropped |= d;
        if dropped && r.is_pending() {
            shared.close();
        }
        r
    })
    .await;
    if let Err(e) = outcome {
        let failure = match e.downcast::<PanicMessage>() {
            Ok(p) => HandlerFailure::Panic(p.0),
            Err(e) => HandlerFailure::Error(e),
        };
        // Report first: once the peer sees the connection close, the
        // failure has been reported.
        report(inner.on_error.as_ref(), failure, peer.as_ref());
        shared.close();
    } else if dropped {
        shared.close();
    }
}

/// Emits asyncio's log line for a failed handler and calls the hook.
fn report(hook: Option<&HandlerErrorHook>, failure: HandlerFailure, peer: Option<&Address>) {
    let peer_text = peer.map(|p| p.to_string()).unwrap_or_default();
    crate::diag::error!(peer = %peer_text, error = %failure, "Unhandled exception in client_connected_cb");
    if let Some(hook) = hook {
        hook(&failure, peer);
    }
}

/// A panic payload turned into an error, to tell it apart.
#[derive(Debug)]
struct PanicMessage(String);

impl fmt::Display for PanicMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PanicMessage {}

fn panic_failure(p: Box<dyn std::any::Any + Send>) -> Box<dyn std::error::Error + Send + Sync> {
    let msg = if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    };
    Box::new(PanicMessage(msg))
}
