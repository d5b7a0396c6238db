//! Accepting: the accept loop of each listening socket, its rule for
//! `accept()` errors ([`accept_action`], with the [`ACCEPT_BACKOFF`] that
//! keeps a persistent error from spinning), and the setup of each accepted
//! connection (its client entry, TLS, its driver and handler tasks).

use super::handler::run_handler;
use super::{HandlerTask, ServerInner};
use crate::addr::Address;
use crate::conn::{new_connection, NewConnection};
use crate::runtime::Socket;
#[cfg(feature = "tls")]
use crate::tls::TlsSetup;
use std::future::poll_fn;
use std::io;
use std::sync::Arc;
use std::task::{ready, Poll};
use std::time::Duration;

/// How long accepting pauses after running out of descriptors or memory.
pub const ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// What the accept loop does after `accept()` failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcceptAction {
    /// A problem with that one connection (it was aborted before it was
    /// accepted, say): skip it and accept the next at once.
    Skip,
    /// Out of a resource (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`): report
    /// it once, stop accepting and retry after the delay. The listening
    /// socket stays readable meanwhile, so retrying at once would spin.
    Backoff(Duration),
}

/// The accept loop's rule for an error (asyncio's, plus a backoff for
/// unexpected errors so that a persistent one cannot make the loop spin).
#[must_use]
pub fn accept_action(e: &io::Error) -> AcceptAction {
    match e.raw_os_error() {
        Some(code) if crate::sys::ACCEPT_EXHAUSTED.contains(&code) => {
            AcceptAction::Backoff(ACCEPT_BACKOFF)
        }
        // Errors about the one pending connection.
        Some(code) if crate::sys::ACCEPT_SKIP.contains(&code) => AcceptAction::Skip,
        _ => match e.kind() {
            io::ErrorKind::ConnectionAborted
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock => AcceptAction::Skip,
            _ => AcceptAction::Backoff(ACCEPT_BACKOFF),
        },
    }
}

/// Accepts on listener `idx` until the server closes, setting up each
/// accepted connection.
pub(super) async fn accept_loop(inner: Arc<ServerInner>, idx: usize) {
    loop {
        let next = poll_fn(|cx| {
            let mut st = inner.lock();
            if st.closed {
                return Poll::Ready(None);
            }
            if let Some(w) = st.accept_wakers.get_mut(idx) {
                *w = Some(cx.waker().clone());
            }
            let accepted = match st.listeners.get(idx) {
                Some(Some(l)) => ready!(l.poll_accept(cx)),
                _ => return Poll::Ready(None),
            };
            // Counted while the lock that saw the server open is held, so
            // that a close() from now on waits for this connection.
            Poll::Ready(Some(
                accepted.map(|(sock, peer)| (st.accept_client(), sock, peer)),
            ))
        })
        .await;
        match next {
            None => return,
            Some(Ok((id, sock, peer))) => connection(&inner, id, sock, peer),
            Some(Err(e)) => match accept_action(&e) {
                AcceptAction::Skip => crate::diag::debug!("accept() failed, skipped: {e}"),
                AcceptAction::Backoff(delay) => {
                    let addr = inner
                        .lock()
                        .bound
                        .get(idx)
                        .map(|b| b.addr.to_string())
                        .unwrap_or_default();
                    crate::diag::error!(socket = %addr, error = %e, "socket.accept() out of system resource");
                    inner.rt.sleep(delay).await;
                }
            },
        }
    }
}

/// Sets up an accepted connection, counted as client `id` (and as a
/// handler task, which `task` uncounts when it is dropped: here if the
/// set-up fails, else when the handler task ends), and runs the handler
/// on it. `peer` is the address `accept()` returned: the connection's
/// `peername` even if the peer has reset meanwhile.
fn connection(inner: &Arc<ServerInner>, id: u64, sock: Box<dyn Socket>, peer: Option<Address>) {
    let task = HandlerTask(inner.clone());
    let on_finished = {
        let inner = Arc::downgrade(inner);
        Box::new(move || {
            if let Some(inner) = inner.upgrade() {
                inner.client_gone(id);
            }
        })
    };
    #[cfg(feature = "tls")]
    let tls = match &inner.ssl {
        Some(config) => match TlsSetup::server(
            config,
            inner.ssl_handshake_timeout,
            inner.ssl_shutdown_timeout,
        ) {
            Ok(setup) => Some(setup),
            Err(e) => {
                crate::diag::error!(error = %e, "SSL setup failed: connection dropped");
                inner.client_gone(id);
                return;
            }
        },
        None => None,
    };
    #[cfg(not(feature = "tls"))]
    let tls = None;
    let conn = NewConnection {
        rt: inner.rt.clone(),
        server_side: true,
        host: None,
        tls,
    };
    let (reader, writer, shared, driver) =
        new_connection(conn, sock, inner.limit, peer, Some(on_finished));
    inner.client_live(id, &shared);
    inner.rt.spawn(driver);
    let peer = writer.peername().cloned();
    inner.rt.spawn(Box::pin(run_handler(
        inner.clone(),
        task,
        shared,
        reader,
        writer,
        peer,
    )));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_rules() {
        assert!(!crate::sys::ACCEPT_EXHAUSTED.is_empty() && !crate::sys::ACCEPT_SKIP.is_empty());
        for &code in crate::sys::ACCEPT_EXHAUSTED {
            assert_eq!(
                accept_action(&io::Error::from_raw_os_error(code)),
                AcceptAction::Backoff(Duration::from_secs(1))
            );
        }
        for &code in crate::sys::ACCEPT_SKIP {
            assert_eq!(
                accept_action(&io::Error::from_raw_os_error(code)),
                AcceptAction::Skip
            );
        }
        assert_eq!(
            accept_action(&io::Error::from_raw_os_error(crate::sys::BAD_HANDLE)),
            AcceptAction::Backoff(ACCEPT_BACKOFF)
        );
    }
}
