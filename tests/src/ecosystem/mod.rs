//! The reader and writer with the rest of the ecosystem: Tokio's and
//! futures-io's I/O traits (copy, codecs, `BufRead`-style reading,
//! `AsyncWrite` with `drain()`'s flow control), errors that `?` into
//! `io::Error`, owned line streams, the reader's conveniences beyond
//! asyncio, and method names that do not clash with the runtimes'
//! extension traits.
//!
//! The trait impls use no runtime, so every body runs on Tokio, smol and
//! async-std alike ([`ecosystem_suite!`](crate::ecosystem_suite)); and
//! they see only the reader and writer, so every body but the one about
//! connect and server errors runs over each [`Link`] too (sockets, the
//! in-memory pair, the generic path).

use crate::adapters::Adapter;
use crate::connect;
use crate::links::{End, Link, LinkOptions};
use std::future::Future;
use std::io;
use streams_common::runtime::BoxFuture;
use streams_common::{Server, ServerOptions, StreamReader, StreamWriter};

mod conveniences;
mod errors;
mod futures_traits;
mod lines;
mod must_use;
mod tokio_traits;

pub use conveniences::*;
pub use errors::*;
pub use futures_traits::*;
pub use lines::*;
pub use tokio_traits::*;

/// A server that runs `handler` on every connection, on a free loopback
/// port.
async fn serve<A: Adapter, F, Fut>(handler: F) -> Server
where
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = std::io::Result<()>> + Send + 'static,
{
    A::t(A::start_server(
        handler,
        "127.0.0.1",
        0,
        ServerOptions::default(),
    ))
    .await
    .unwrap()
}

/// A connection over `L` whose server end runs `handler` in a task of its
/// own: the client end, and the handler's result.
async fn serve_over<A: Adapter, L: Link, F, Fut>(handler: F) -> (End, BoxFuture<io::Result<()>>)
where
    F: FnOnce(StreamReader, StreamWriter) -> Fut,
    Fut: Future<Output = io::Result<()>> + Send + 'static,
{
    let conn = L::connect::<A>(LinkOptions::default()).await;
    let (reader, writer) = conn.server;
    (conn.client, A::spawn(handler(reader, writer)))
}

/// The server end of a connection that a body drives by hand: its writer
/// (what the methods reach), with its reader kept alive.
struct Peer {
    _reader: StreamReader,
    writer: StreamWriter,
}

impl std::ops::Deref for Peer {
    type Target = StreamWriter;
    fn deref(&self) -> &StreamWriter {
        &self.writer
    }
}

/// A client end over `L` with `options`, and its [`Peer`].
async fn over<A: Adapter, L: Link>(options: LinkOptions) -> (End, Peer) {
    let conn = L::connect::<A>(options).await;
    let (reader, writer) = conn.server;
    let peer = Peer {
        _reader: reader,
        writer,
    };
    (conn.client, peer)
}

/// `n` bytes of a pattern that shows reordering, loss and duplication.
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

/// Instantiates every body of [`ecosystem`](crate::ecosystem) as a
/// `#[test]` for `$adapter`. Invoke it inside a module named after the
/// runtime.
#[macro_export]
macro_rules! ecosystem_suite {
    ($adapter:ty) => {
        $crate::suite!(@links $adapter;
            ecosystem::tokio_copy_both_ways,
            ecosystem::tokio_codec_lines_both_ways,
            ecosystem::tokio_fill_buf_and_consume_without_a_bufreader,
            ecosystem::poll_write_waits_above_high_water_until_low,
            ecosystem::flush_waits_until_everything_is_sent,
            ecosystem::shutdown_is_write_eof_and_reading_goes_on,
            ecosystem::trait_reads_report_eof_and_the_stored_error_every_time,
            ecosystem::trait_reads_are_cancel_safe,
            ecosystem::futures_copy_both_ways,
            ecosystem::smol_read_line_and_write_all,
            ecosystem::futures_fill_buf_and_consume_without_a_bufreader,
            ecosystem::futures_close_is_write_eof,
            ecosystem::read_errors_keep_their_kind_and_the_original,
            ecosystem::owned_lines_move_into_a_task_and_give_the_reader_back,
            ecosystem::lines_can_go_on_after_a_line_too_long,
            ecosystem::extension_trait_preludes_do_not_clash,
            ecosystem::limit_changes_on_a_live_reader,
            ecosystem::discard_skips_an_overrun_without_reading_it,
            ecosystem::buffered_shows_without_consuming,
        );
        $crate::suite!(@tests $adapter;
            ecosystem::shutdown_over_tls_is_close,
            ecosystem::every_api_error_converts_with_question_mark,
        );
    };
}
