//! The connection handler: what it may be ([`HandlerOutput`], the boxing
//! of an async closure), the task that runs it with its panics caught, and
//! how its failures are reported ([`HandlerFailure`], the
//! [`HandlerErrorHook`], the `tracing` event, and asyncio's report on
//! stderr when neither a hook nor a `tracing` subscriber takes it).

use super::{HandlerTask, ServerInner};
use crate::addr::Address;
use crate::conn::{Shared, StreamReader, StreamWriter};
use crate::runtime::BoxFuture;
use std::error::Error;
use std::fmt::{self, Write as _};
use std::future::{poll_fn, Future};
use std::io::Write as _;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::Poll;

/// A failure of a connection handler, as reported to
/// [`ServerOptions::on_handler_error`](super::ServerOptions::on_handler_error).
///
/// It is an [`Error`]. For a returned error it is transparent, as
/// `std::io::Error` is around a custom error: it displays as the
/// handler's error, and its [`source`](Error::source) is that error's
/// source, so a report that walks the chain shows each message once. The
/// handler's error itself is in the variant, to downcast:
///
/// ```
/// use std::error::Error;
/// use streams_common::HandlerFailure;
///
/// #[derive(Debug)]
/// struct BadQuery(std::num::ParseIntError);
/// impl std::fmt::Display for BadQuery {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str("bad query")
///     }
/// }
/// impl Error for BadQuery {
///     fn source(&self) -> Option<&(dyn Error + 'static)> {
///         Some(&self.0)
///     }
/// }
///
/// let parse = "x".parse::<u8>().unwrap_err();
/// let failure = HandlerFailure::Error(Box::new(BadQuery(parse.clone())));
/// assert_eq!(failure.to_string(), "bad query");
/// assert_eq!(failure.source().unwrap().to_string(), parse.to_string());
/// if let HandlerFailure::Error(e) = &failure {
///     assert!(e.downcast_ref::<BadQuery>().is_some());
/// }
/// // It goes wherever an error goes.
/// let boxed: Box<dyn Error + Send + Sync> = failure.into();
/// assert_eq!(boxed.to_string(), "bad query");
/// ```
#[derive(Debug)]
pub enum HandlerFailure {
    /// The handler returned this error.
    Error(Box<dyn Error + Send + Sync>),
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

impl Error for HandlerFailure {
    /// The handler's error's own source (transparent: the handler's error
    /// is already what this displays); none for a panic.
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            HandlerFailure::Error(e) => e.source(),
            HandlerFailure::Panic(_) => None,
        }
    }
}

/// A hook called with every handler failure (besides the `tracing` error
/// event the server always emits). With a hook, the failure is not
/// printed to stderr.
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
/// on. `_task` counts this task for `wait_closed` until it is dropped,
/// with the task's future, however the task ends.
pub(super) async fn run_handler(
    inner: Arc<ServerInner>,
    _task: HandlerTask,
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

/// Emits asyncio's log line for a failed handler as a `tracing` error
/// event, and calls the hook; with neither a hook nor a `tracing`
/// subscriber to take it, prints asyncio's report to stderr, so that a
/// failure is never silent by default (asyncio's default logging prints
/// it).
fn report(hook: Option<&HandlerErrorHook>, failure: HandlerFailure, peer: Option<&Address>) {
    let peer_text = peer.map(|p| p.to_string()).unwrap_or_default();
    crate::diag::error!(peer = %peer_text, error = %failure, "Unhandled exception in client_connected_cb");
    match hook {
        Some(hook) => hook(&failure, peer),
        None if !tracing_subscriber_installed() => {
            // One write of the whole report, under the lock: reports of
            // handlers failing at once do not interleave. A failed write
            // to stderr has nowhere to go.
            let _ = std::io::stderr()
                .lock()
                .write_all(default_report(&failure, peer).as_bytes());
        }
        None => {}
    }
}

/// Whether this thread's `tracing` dispatcher (scoped, else global) is a
/// subscriber rather than the no-op one.
#[cfg(feature = "tracing")]
fn tracing_subscriber_installed() -> bool {
    !tracing::dispatcher::get_default(|d| d.is::<tracing::subscriber::NoSubscriber>())
}

/// Without the `tracing` feature no subscriber can take the report.
#[cfg(not(feature = "tracing"))]
fn tracing_subscriber_installed() -> bool {
    false
}

/// The most causes a report lists (a chain of sources is user code: a
/// cyclic one must not make the report endless).
const MAX_CAUSES: usize = 32;

/// asyncio's default report of a failed handler, as its default logging
/// prints it: the message, the connection (asyncio names its transport;
/// this names the peer), then the error and its causes, where asyncio
/// prints the traceback with its chain of causes.
///
/// ```text
/// Unhandled exception in client_connected_cb
/// peer: ('127.0.0.1', 50412)
/// error: bad query
/// caused by: invalid digit found in string
/// ```
fn default_report(failure: &HandlerFailure, peer: Option<&Address>) -> String {
    let mut text = String::from("Unhandled exception in client_connected_cb\n");
    // Writing to a String cannot fail.
    if let Some(peer) = peer {
        let _ = writeln!(text, "peer: {peer}");
    }
    let _ = writeln!(text, "error: {failure}");
    let mut cause = failure.source();
    for _ in 0..MAX_CAUSES {
        let Some(e) = cause else { break };
        let _ = writeln!(text, "caused by: {e}");
        cause = e.source();
    }
    if cause.is_some() {
        let _ = writeln!(text, "caused by: ... (more than {MAX_CAUSES} causes)");
    }
    text
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    /// An error with an optional source, for chains of any length.
    #[derive(Debug)]
    struct Chained(&'static str, Option<Box<Chained>>);

    impl fmt::Display for Chained {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl Error for Chained {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.1.as_deref().map(|e| e as &(dyn Error + 'static))
        }
    }

    #[test]
    fn a_returned_error_is_transparent() {
        let failure = HandlerFailure::Error(Box::new(Chained(
            "outer",
            Some(Box::new(Chained("inner", None))),
        )));
        assert_eq!(failure.to_string(), "outer");
        let source = failure.source().expect("the handler error's source");
        assert_eq!(source.to_string(), "inner");
        assert!(source.source().is_none());
        let HandlerFailure::Error(e) = &failure else {
            unreachable!()
        };
        assert_eq!(e.downcast_ref::<Chained>().map(|c| c.0), Some("outer"));
        assert!(HandlerFailure::Panic("boom".into()).source().is_none());
    }

    #[test]
    fn the_default_report_names_the_peer_the_error_and_its_causes() {
        let peer = Address::Inet(SocketAddr::from(([127, 0, 0, 1], 50412)));
        let failure = HandlerFailure::Error(Box::new(Chained(
            "bad query",
            Some(Box::new(Chained("invalid digit", None))),
        )));
        assert_eq!(
            default_report(&failure, Some(&peer)),
            "Unhandled exception in client_connected_cb\n\
             peer: ('127.0.0.1', 50412)\n\
             error: bad query\n\
             caused by: invalid digit\n"
        );
        assert_eq!(
            default_report(&HandlerFailure::Panic("boom".into()), None),
            "Unhandled exception in client_connected_cb\n\
             error: handler panicked: boom\n"
        );
    }

    #[test]
    fn the_default_report_lists_a_bounded_number_of_causes() {
        let mut chain = Chained("cause", None);
        for _ in 0..MAX_CAUSES + 5 {
            chain = Chained("cause", Some(Box::new(chain)));
        }
        let text = default_report(&HandlerFailure::Error(Box::new(chain)), None);
        assert_eq!(text.matches("caused by: cause\n").count(), MAX_CAUSES);
        assert!(
            text.ends_with("caused by: ... (more than 32 causes)\n"),
            "{text}"
        );
    }
}
