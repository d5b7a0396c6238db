//! futures-io's traits on the reader and writer (what futures, smol,
//! futures-lite and async-std use): `futures::io::copy` both ways, smol's
//! `read_line` / `write_all`, `AsyncBufRead` without a `BufReader`, and
//! `close` as `write_eof`.

use super::{pattern, serve_over};
use crate::adapters::Adapter;
use crate::links::Link;
use futures::io::{AsyncBufReadExt, AsyncWriteExt};
use std::io;

/// `futures::io::copy` into the writer, out of the reader, and from one
/// to the other in an echo server: 4 MiB through both directions, with
/// backpressure, EOF by `close()`.
pub async fn futures_copy_both_ways<A: Adapter, L: Link>() {
    let (client, server) = serve_over::<A, L, _, _>(|reader, mut writer| async move {
        futures::io::copy(reader, &mut writer).await?;
        AsyncWriteExt::close(&mut writer).await
    })
    .await;
    let (reader, mut writer) = client;
    let data = pattern(4 << 20);
    let send = {
        let data = data.clone();
        A::spawn(async move {
            let n = futures::io::copy(&data[..], &mut writer).await.unwrap();
            AsyncWriteExt::close(&mut writer).await.unwrap();
            (n, writer) // kept: dropping the writer would close the reading side
        })
    };
    let mut echoed = Vec::new();
    let n = A::t(futures::io::copy(reader, &mut echoed)).await.unwrap();
    let (sent, _writer) = A::t(send).await;
    assert_eq!(sent, data.len() as u64);
    assert_eq!(n, data.len() as u64);
    assert!(echoed == data, "the echo differs");
    A::t(server).await.unwrap();
}

/// smol's (futures-lite's) `read_line` and `write_all` on the reader and
/// writer, in an echo server and its client.
pub async fn smol_read_line_and_write_all<A: Adapter, L: Link>() {
    let (client, server) = serve_over::<A, L, _, _>(|mut reader, mut writer| async move {
        let mut line = String::new();
        loop {
            line.clear();
            if smol::io::AsyncBufReadExt::read_line(&mut reader, &mut line).await? == 0 {
                break;
            }
            smol::io::AsyncWriteExt::write_all(&mut writer, line.as_bytes()).await?;
        }
        smol::io::AsyncWriteExt::close(&mut writer).await
    })
    .await;
    let (mut reader, mut writer) = client;
    let mut line = String::new();
    for i in 0..200 {
        let sent = format!("line number {i}\n");
        A::t(smol::io::AsyncWriteExt::write_all(
            &mut writer,
            sent.as_bytes(),
        ))
        .await
        .unwrap();
        line.clear();
        let n = A::t(smol::io::AsyncBufReadExt::read_line(&mut reader, &mut line))
            .await
            .unwrap();
        assert_eq!(n, sent.len());
        assert_eq!(line, sent);
    }
    A::t(smol::io::AsyncWriteExt::close(&mut writer))
        .await
        .unwrap();
    line.clear();
    let n = A::t(smol::io::AsyncBufReadExt::read_line(&mut reader, &mut line))
        .await
        .unwrap();
    assert_eq!(n, 0, "EOF after the server's close");
    A::t(server).await.unwrap();
}

/// futures' `fill_buf` / `consume_unpin` straight on the reader, mixed
/// with the reader's own reads; at EOF `fill_buf` is empty.
pub async fn futures_fill_buf_and_consume_without_a_bufreader<A: Adapter, L: Link>() {
    let (client, server) = serve_over::<A, L, _, _>(|mut reader, writer| async move {
        writer.write(b"\x00\x05hello world\n")?;
        writer.write_eof()?;
        reader.read_to_eof().await?;
        Ok(())
    })
    .await;
    let (mut reader, writer) = client;
    // A two-byte length prefix, as it arrives.
    let mut prefix = Vec::new();
    while prefix.len() < 2 {
        let buf = A::t(reader.fill_buf()).await.unwrap();
        assert!(!buf.is_empty(), "EOF before the prefix");
        let take = buf.len().min(2 - prefix.len());
        prefix.extend_from_slice(&buf[..take]);
        reader.consume_unpin(take);
    }
    let len = u16::from_be_bytes([prefix[0], prefix[1]]) as usize;
    assert_eq!(A::t(reader.readexactly(len)).await.unwrap(), "hello");
    let mut rest = String::new();
    A::t(reader.read_line(&mut rest)).await.unwrap();
    assert_eq!(rest, " world\n");
    assert!(A::t(reader.fill_buf()).await.unwrap().is_empty(), "EOF");
    writer.close();
    A::t(server).await.unwrap();
}

/// futures' `close` is `write_eof` on TCP: the peer gets EOF after every
/// byte, and reading goes on.
pub async fn futures_close_is_write_eof<A: Adapter, L: Link>() {
    let (client, server) = serve_over::<A, L, _, _>(|mut reader, writer| async move {
        let all = reader.read_to_eof().await?;
        writer.write(format!("got {}\n", all.len()).as_bytes())?;
        Ok::<(), io::Error>(())
    })
    .await;
    let (mut reader, mut writer) = client;
    A::t(writer.write_all(&pattern(70_000))).await.unwrap();
    A::t(AsyncWriteExt::close(&mut writer)).await.unwrap();
    assert!(!writer.is_closing(), "half-closed, not closed");
    assert_eq!(A::t(reader.readline()).await.unwrap(), "got 70000\n");
    A::t(server).await.unwrap();
}
