//! TLS, on every runtime: the same bodies run on Tokio, smol and
//! async-std ([`tls_suite!`](crate::tls_suite) instantiates them in
//! `tests/tests/tls_{tokio,smol,async_std}.rs`).
//!
//! Certificates are made at test time with rcgen (a throwaway CA, a server
//! certificate for `localhost`, `127.0.0.1` and `::1`, a client
//! certificate); nothing is checked in and nothing expires. The peers are
//! our own streams, raw rustls on std sockets (for a peer that misbehaves
//! on purpose), CPython's asyncio with `ssl` (`tests/peers/tls_asyncio_peer.py`)
//! and `openssl s_client` / `s_server`. Every wait is bounded; no assertion
//! depends on how long something took.
//!
//! The bodies, by subject: `pki` (the certificates), `streams` (our
//! client and server together), `handshake` (names, argument checks,
//! failures, timeouts), `shutdown`, `socket` (TLS over a socket the user
//! connected), `start_tls` and `interop`; this module
//! holds the helpers they share.

use crate::adapters::Adapter;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;
use streams_common::tls::TlsError;
use streams_common::{ConnectError, Server, ServerOptions, StreamReader, StreamWriter};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const SHORT: Duration = Duration::from_millis(200);

/// Instantiates every TLS test body as a `#[test]` for the adapter
/// `$adapter`. Invoke it inside a module named after the runtime.
#[macro_export]
macro_rules! tls_suite {
    ($adapter:ty) => {
        $crate::tls_suite!(@tests $adapter;
            tls_echo_extra_info_and_eof_semantics,
            tls_server_hostname_rules,
            tls_argument_errors,
            tls_certificate_failures,
            tls_client_certificate_required,
            tls_handshake_timeout_client,
            tls_handshake_timeout_server_drops_the_connection,
            tls_shutdown_timeout,
            tls_bare_fin_ends_the_stream,
            tls_client_against_plaintext_server,
            tls_large_transfer_with_flow_control,
            #[cfg(unix)]
            tls_unix_echo,
            start_tls_keeps_a_client_hello_sent_with_the_last_line,
            start_tls_both_sides,
            tls_over_a_connected_tcp_socket,
            #[cfg(unix)]
            tls_over_a_connected_unix_socket,
            interop_tls_asyncio_client,
            interop_tls_asyncio_server,
            interop_tls_openssl_s_client,
            interop_tls_openssl_s_server,
        );
    };
    // An item may carry attributes (`#[cfg(unix)]`), given to its test.
    (@tests $adapter:ty; $($(#[$attr:meta])* $name:ident),* $(,)?) => {
        $(
            $(#[$attr])*
            #[test]
            fn $name() {
                <$adapter as $crate::Adapter>::block_on($crate::tls::$name::<$adapter>());
            }
        )*
    };
}

mod handshake;
mod interop;
mod pki;
mod shutdown;
mod socket;
mod start_tls;
mod streams;

pub use handshake::*;
pub use interop::*;
pub use pki::Pki;
pub use shutdown::*;
pub use socket::*;
pub use start_tls::*;
pub use streams::*;

// ----- helpers -----------------------------------------------------------

async fn tls_server<A, F, Fut>(options: ServerOptions, handler: F) -> Server
where
    A: Adapter,
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), BoxError>> + Send + 'static,
{
    A::t(A::start_server(handler, "127.0.0.1", 0, options))
        .await
        .unwrap()
}

/// An echo handler: each line back with `echo: `, until EOF.
#[cfg(unix)]
async fn echo(mut r: StreamReader, w: StreamWriter) -> Result<(), BoxError> {
    loop {
        let line = r.readline().await?;
        if line.is_empty() {
            break;
        }
        w.write(b"echo: ")?;
        w.write(&line)?;
        w.drain().await?;
    }
    w.close();
    w.wait_closed().await?;
    Ok(())
}

fn tls_err(e: &ConnectError) -> &TlsError {
    match e {
        ConnectError::Tls(t) => t,
        other => panic!("expected a TLS error, got {other:?}"),
    }
}

/// A raw rustls server on a std listener: accepts one connection and
/// completes the handshake (blocking; bounded by a deadline on the accept
/// and by socket timeouts).
fn raw_tls_accept(
    listener: &TcpListener,
    config: Arc<rustls::ServerConfig>,
) -> (TcpStream, rustls::ServerConnection) {
    let mut tcp = crate::accept_within(listener, Duration::from_secs(20));
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    tcp.set_write_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut conn = rustls::ServerConnection::new(config).unwrap();
    for _ in 0..100 {
        if !conn.is_handshaking() {
            break;
        }
        conn.complete_io(&mut tcp).unwrap();
    }
    assert!(!conn.is_handshaking());
    (tcp, conn)
}

/// The asyncio TLS peer in `tests/peers/`.
const PEER_SCRIPT: &str = "tls_asyncio_peer.py";
