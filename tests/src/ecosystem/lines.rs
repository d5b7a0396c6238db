//! Line streams: the owned `'static` one, going on after an over-long
//! line, `Debug`, and method names that do not clash with the runtimes'
//! extension traits.

use super::over;
use crate::adapters::{wait_until, Adapter};
use crate::links::{Link, LinkOptions};
use futures::stream::FusedStream;
use futures::StreamExt;
use streams_common::ReadError;

/// `into_lines()` owns the reader: the stream moves into a spawned task
/// (`'static + Send`), and `into_inner()` gives the reader back with what
/// no yielded line took.
pub async fn owned_lines_move_into_a_task_and_give_the_reader_back<A: Adapter, L: Link>() {
    let ((reader, _writer), peer) = over::<A, L>(LinkOptions::default()).await;
    peer.write(b"one\ntwo\nthree\n").unwrap();
    let mut lines = reader.into_lines();
    let debug = format!("{lines:?}");
    assert!(debug.starts_with("IntoLines {"), "{debug}");
    assert!(
        debug.contains("continue_after_line_too_long: false"),
        "{debug}"
    );
    let task = A::spawn(async move {
        let first = lines.next().await;
        let second = lines.next().await;
        (first, second, lines)
    });
    let (first, second, lines) = A::t(task).await;
    assert_eq!(first.unwrap().unwrap(), "one\n");
    assert_eq!(second.unwrap().unwrap(), "two\n");
    let mut reader = lines.into_inner();
    assert_eq!(A::t(reader.readline()).await.unwrap(), "three\n");
    peer.write_eof().unwrap();
    let mut lines = reader.into_lines();
    assert!(A::t(lines.next()).await.is_none(), "EOF ends it");
    assert!(lines.is_terminated());
    assert!(A::t(lines.next()).await.is_none(), "and it stays ended");
}

/// By default a line stream ends after a `LineTooLong`, as asyncio's
/// `async for` does; `continue_after_line_too_long()` yields the error
/// and goes on with the next line, as asyncio's `readline` does. Both
/// kinds of stream.
pub async fn lines_can_go_on_after_a_line_too_long<A: Adapter, L: Link>() {
    const SENT: &[u8] = b"ok\nthis line is much too long\nafter\n";
    let too_long = |item: Option<Result<_, ReadError>>| {
        assert!(
            matches!(
                item,
                Some(Err(ReadError::LineTooLong {
                    discarded: 27,
                    separator_found: true
                }))
            ),
            "{item:?}"
        )
    };
    // A limit under the long line's 27 bytes, and everything within
    // twice the limit, received before the first read: with less, the
    // line could be cut where a receive ended (asyncio's rule then reads
    // its rest as a line of its own).
    let connect = || async {
        let ((reader, writer), peer) = over::<A, L>(LinkOptions::default().client_limit(20)).await;
        peer.write(SENT).unwrap();
        peer.write_eof().unwrap();
        wait_until::<A>("all of it received", || reader.buffered_len() == SENT.len()).await;
        (reader, writer, peer)
    };

    let (mut reader, _w, _p) = connect().await;
    let mut lines = reader.line_stream();
    assert_eq!(A::t(lines.next()).await.unwrap().unwrap(), "ok\n");
    too_long(A::t(lines.next()).await);
    assert!(A::t(lines.next()).await.is_none(), "ends after the error");
    assert!(lines.is_terminated());

    let (mut reader, _w, _p) = connect().await;
    let mut lines = reader.line_stream().continue_after_line_too_long();
    assert!(format!("{lines:?}").contains("continue_after_line_too_long: true"));
    assert_eq!(A::t(lines.next()).await.unwrap().unwrap(), "ok\n");
    too_long(A::t(lines.next()).await);
    assert_eq!(A::t(lines.next()).await.unwrap().unwrap(), "after\n");
    assert!(A::t(lines.next()).await.is_none(), "EOF");

    let (reader, _w, _p) = connect().await;
    let lines = reader.into_lines().continue_after_line_too_long();
    let items: Vec<_> = A::t(lines.collect()).await;
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(items[2].as_ref().unwrap(), "after\n");
}

/// With the extension traits of Tokio, futures and smol all in scope, the
/// reader's and writer's own methods are still the ones called: none of
/// their names is taken by a by-value or `&mut` method of those traits
/// that would be picked first (which is why the line streams are not
/// called `lines()`).
#[allow(unused_imports)]
pub async fn extension_trait_preludes_do_not_clash<A: Adapter, L: Link>() {
    use futures::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};
    use smol::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _};

    let ((mut reader, writer), peer) = over::<A, L>(LinkOptions::default()).await;
    peer.write(b"12345line\nsecond\nthird\n").unwrap();
    peer.write_eof().unwrap();
    // The reader's own read(n) -> Bytes, readline, line streams.
    let five: streams_common::Bytes = A::t(reader.read(5)).await.unwrap();
    assert_eq!(five, "12345");
    assert_eq!(A::t(reader.readline()).await.unwrap(), "line\n");
    {
        let mut lines = reader.line_stream();
        assert_eq!(A::t(lines.next()).await.unwrap().unwrap(), "second\n");
    }
    let mut lines = reader.into_lines();
    assert_eq!(A::t(lines.next()).await.unwrap().unwrap(), "third\n");
    // The writer's own write (never waits) and close.
    let written: Result<(), streams_common::WriteError> = writer.write(b"x");
    written.unwrap();
    writer.close();
    A::t(writer.wait_closed()).await.unwrap();
}
