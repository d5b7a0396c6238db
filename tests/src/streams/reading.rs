//! Reading: lines, cancelled and failed reads, a buffer of yours (lines
//! and exact sizes), an endless line; over any [`Link`].

use crate::adapters::{poll_once, wait_until, Adapter};
use crate::links::{echo_lines, pattern, Link, LinkOptions};
use futures::StreamExt;
use std::pin::pin;
use streams_common::{Bytes, ReadError};

/// Lines, `writelines`, the lines stream, half-close and close.
pub async fn echo_lines_and_lines_stream<A: Adapter, L: Link>() {
    let conn = L::connect::<A>(LinkOptions::default()).await;
    let echo = echo_lines::<A>(conn.server);
    let (mut reader, writer) = conn.client;
    writer
        .writelines([&b"one\n"[..], b"two\n", b"three\n"])
        .unwrap();
    assert_eq!(A::t(reader.readline()).await.unwrap(), "one\n");
    writer.write_eof().unwrap();
    let rest: Vec<Bytes> = A::t(reader.line_stream().map(|l| l.unwrap()).collect()).await;
    assert_eq!(rest, vec![Bytes::from("two\n"), Bytes::from("three\n")]);
    assert!(reader.at_eof());
    assert!(reader.exception().is_none());
    writer.close();
    A::t(writer.wait_closed()).await.unwrap();
    A::t(echo).await;
}

/// A read that is dropped before it completes consumes nothing.
pub async fn cancelled_reads_lose_nothing<A: Adapter, L: Link>() {
    let conn = L::connect::<A>(LinkOptions::default()).await;
    let ((mut reader, _w), (_r2, peer)) = (conn.client, conn.server);
    peer.write(b"partial").unwrap();
    wait_until::<A>("\"partial\" reaching the reader", || {
        reader.buffered_len() == 7
    })
    .await;
    // The line is incomplete: each read, polled with all of it buffered,
    // is pending; dropped, it must give back nothing.
    assert!(poll_once(pin!(reader.readline())).is_pending());
    assert!(poll_once(pin!(reader.readexactly(100))).is_pending());
    assert!(
        poll_once(pin!(reader.readuntil(b"END"))).is_pending(),
        "no separator yet"
    );
    assert_eq!(reader.buffered_len(), 7);
    peer.write(b" line\nEND").unwrap();
    assert_eq!(A::t(reader.readline()).await.unwrap(), "partial line\n");
    assert_eq!(A::t(reader.readuntil(b"END")).await.unwrap(), "END");
}

/// `readline_into` / `readuntil_into`: the same results and errors as
/// `readline` / `readuntil`, appended to the caller's buffer, which is
/// untouched by a read that is cancelled or fails.
pub async fn lines_into_a_buffer_of_yours<A: Adapter, L: Link>() {
    let conn = L::connect::<A>(LinkOptions::default().client_limit(8)).await;
    let ((mut reader, _w), (_r2, peer)) = (conn.client, conn.server);
    peer.write(b"a\nbb\r\nccc").unwrap();
    let mut buf = Vec::new();
    assert_eq!(A::t(reader.readline_into(&mut buf)).await.unwrap(), 2);
    assert_eq!(buf, b"a\n");
    assert_eq!(
        A::t(reader.readuntil_into(b"\r\n", &mut buf))
            .await
            .unwrap(),
        4
    );
    assert_eq!(buf, b"a\nbb\r\n");
    wait_until::<A>("\"ccc\" reaching the reader", || reader.buffered_len() == 3).await;
    assert!(
        poll_once(pin!(reader.readline_into(&mut buf))).is_pending(),
        "no newline yet"
    );
    assert_eq!(buf, b"a\nbb\r\n", "a cancelled read appends nothing");
    peer.write(b"dddddddddddd\nnext\n").unwrap();
    let e = A::t(reader.readline_into(&mut buf)).await.unwrap_err();
    assert!(matches!(e, ReadError::LineTooLong { .. }), "{e:?}");
    assert_eq!(buf, b"a\nbb\r\n", "a failed read appends nothing");
    buf.clear();
    assert_eq!(A::t(reader.readline_into(&mut buf)).await.unwrap(), 5);
    assert_eq!(buf, b"next\n");
    peer.write(b"tail").unwrap();
    peer.close();
    let e = A::t(reader.readuntil_into(b"!", &mut buf))
        .await
        .unwrap_err();
    assert!(matches!(&e, ReadError::Incomplete { partial, .. } if partial == "tail"));
    assert_eq!(buf, b"next\n");
    assert_eq!(A::t(reader.readline_into(&mut buf)).await.unwrap(), 0);
    assert!(reader.at_eof());
}

/// `readexactly_into`: `readexactly`'s results and errors, appended to the
/// caller's buffer, which a cancelled or failed read leaves untouched (and
/// whose bytes stay buffered); a size far above twice the limit completes.
pub async fn exactly_into_a_buffer_of_yours<A: Adapter, L: Link>() {
    let conn = L::connect::<A>(LinkOptions::default().client_limit(8)).await;
    let ((mut reader, _w), (_r2, peer)) = (conn.client, conn.server);
    let mut buf = b"v=".to_vec();
    peer.write(b"abc").unwrap();
    wait_until::<A>("\"abc\" reaching the reader", || reader.buffered_len() == 3).await;
    assert!(
        poll_once(pin!(reader.readexactly_into(5, &mut buf))).is_pending(),
        "3 of 5 bytes"
    );
    assert_eq!(buf, b"v=", "a cancelled read appends nothing");
    assert_eq!(reader.buffered_len(), 3, "and consumes nothing");
    peer.write(b"de\r\n").unwrap();
    A::t(reader.readexactly_into(5, &mut buf)).await.unwrap();
    assert_eq!(buf, b"v=abcde");
    A::t(reader.readexactly_into(0, &mut buf)).await.unwrap();
    assert_eq!(A::t(reader.readexactly(2)).await.unwrap(), "\r\n");
    // 100 KiB at a limit of 8: reading stays resumed until all is there.
    let big = pattern(100 * 1024);
    peer.write(&big).unwrap();
    buf.clear();
    A::t(reader.readexactly_into(big.len(), &mut buf))
        .await
        .unwrap();
    assert!(buf == big, "100 KiB read exactly");
    peer.write(b"xy").unwrap();
    peer.close();
    let e = A::t(reader.readexactly_into(5, &mut buf))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ReadError::Incomplete { partial, expected: Some(5) } if partial == "xy"),
        "{e:?}"
    );
    assert!(buf == big, "a failed read appends nothing");
    assert!(reader.at_eof());
}

/// A peer that sends one endless line: the buffer stays bounded and the
/// read fails with the over-long-line error.
///
/// The peer writes more than the link can hold, so once the reader
/// stops (above twice its limit) the peer's writer keeps the rest: a
/// reader that went on reading would show in its own buffer.
pub async fn endless_line_stays_bounded<A: Adapter, L: Link>() {
    let limit = 1024;
    let conn = L::connect::<A>(LinkOptions::default().client_limit(limit)).await;
    let ((mut reader, _writer), (_peer_r, peer)) = (conn.client, conn.server);
    let flood = vec![b'a'; conn.in_flight + (4 << 20)];
    peer.write(&flood).unwrap();
    let max = 2 * limit + 64 * 1024;
    let stopped = |reader: &streams_common::StreamReader| {
        reader.buffered_len() > 2 * limit && peer.get_write_buffer_size() > 0
    };
    wait_until::<A>("the reader stopping, with more to read", || {
        stopped(&reader)
    })
    .await;
    assert!(
        reader.buffered_len() <= max,
        "{} > {max}",
        reader.buffered_len()
    );
    let e = A::t(reader.readline()).await.unwrap_err();
    assert!(matches!(e, ReadError::LineTooLong { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "Separator is not found, and chunk exceed the limit"
    );
    // The error dropped the buffered part of the line and reading
    // resumed: the flood fills the buffer again, to the same bound.
    wait_until::<A>("the reader stopping again, with more to read", || {
        stopped(&reader)
    })
    .await;
    assert!(reader.buffered_len() <= max);
}
