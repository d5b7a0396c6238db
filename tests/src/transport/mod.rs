//! Streams over transports that are not kernel sockets, on every runtime:
//! generic `AsyncRead + AsyncWrite` values of both trait families (an
//! in-memory pipe, a user's Tokio socket, a tokio-rustls stream), in-memory
//! pairs, and child processes. [`transport_suite!`](crate::transport_suite)
//! instantiates the bodies in `tests/tests/transport_{tokio,smol,async_std}.rs`.
//!
//! By subject: `generic` (the generic path's semantics), `pair`
//! (in-memory pairs), `tls` (start_tls over a generic transport, streams
//! over a tokio-rustls stream), `process` (child processes) and `sockets`
//! (each runtime's own socket types, instantiated in that runtime's file
//! only).

use crate::adapters::Adapter;
use streams_common::transport::{self, TokioIo, TransportOptions};
use streams_common::{StreamReader, StreamWriter};

mod generic;
mod pair;
// Child processes with Unix tools (`cat`, signals) and CPython peers.
#[cfg(unix)]
mod process;
mod sockets;
mod tls;

pub use generic::*;
pub use pair::*;
#[cfg(unix)]
pub use process::*;
pub use sockets::*;
pub use tls::*;

/// Instantiates every transport test body as a `#[test]` for `$adapter`.
#[macro_export]
macro_rules! transport_suite {
    ($adapter:ty) => {
        $crate::transport_suite!(@tests $adapter;
            tokio_duplex_lines_half_close_and_close,
            futures_io_pipe_lines_half_close_and_close,
            split_halves_write_eof_drops_the_write_half,
            reader_alone_and_writer_alone,
            paused_reader_stops_polling_its_transport,
            a_transport_that_buffers_is_flushed,
            transport_errors_reach_reader_drain_and_wait_closed,
            close_waits_for_the_transport_and_abort_ends_the_wait,
            cancelled_reads_over_a_transport_lose_nothing,
            pair_half_close,
            pair_close_is_eof_then_broken_pipe,
            pair_abort_is_a_reset,
            pair_water_marks_and_drain,
            pair_argument_errors,
            start_tls_over_a_duplex_keeps_a_client_hello_sent_with_the_line,
            streams_over_a_tokio_rustls_stream,
            #[cfg(unix)]
            json_lines_with_cat,
            #[cfg(unix)]
            json_rpc_with_a_python_child,
            #[cfg(unix)]
            content_length_framing_with_a_python_child,
            #[cfg(unix)]
            exit_status_stderr_and_kill,
            #[cfg(unix)]
            communicate_moves_megabytes_each_way,
            #[cfg(unix)]
            process_argument_errors,
        );
    };
    // An item may carry attributes (`#[cfg(unix)]`), given to its test.
    (@tests $adapter:ty; $($(#[$attr:meta])* $name:ident),* $(,)?) => {
        $(
            $(#[$attr])*
            #[test]
            fn $name() {
                <$adapter as $crate::Adapter>::block_on($crate::transport::$name::<$adapter>());
            }
        )*
    };
}

/// Our streams over both ends of a `tokio::io::duplex` pipe of
/// `capacity` bytes (through the generic path, on any runtime).
fn duplex_streams<A: Adapter>(
    capacity: usize,
    options: TransportOptions,
) -> ((StreamReader, StreamWriter), (StreamReader, StreamWriter)) {
    let (a, b) = tokio::io::duplex(capacity);
    let rt = A::runtime();
    let near = transport::open(&*rt, TokioIo::new(a), options.clone()).unwrap();
    let far = transport::open(&*rt, TokioIo::new(b), options).unwrap();
    (near, far)
}
