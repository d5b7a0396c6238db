//! The hand-written Tokio server and client: a `TcpStream` in a
//! `tokio::io::BufReader` (its default capacity) per connection, and for
//! the `tls` case a `tokio_rustls::TlsAcceptor` whose `accept` future each
//! connection holds.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

use crate::common::{
    memory, report_client, report_done, report_listening, server_tls_config, wait_for_parent, Case,
    Res, DEADLINE, LINES, SETTLE,
};

/// Sleeps in short steps until `count` reaches `n` or the deadline passes,
/// then lets the last connections settle; the count reached.
async fn wait_count(n: usize, count: &AtomicUsize) -> usize {
    let start = Instant::now();
    while count.load(Ordering::Acquire) < n && start.elapsed() < DEADLINE {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(SETTLE).await;
    count.load(Ordering::Acquire)
}

/// Echoes lines; adds one to `answered_all` once `LINES` are answered (if
/// given). Ends at end of stream or on an error.
async fn echo<S: AsyncRead + AsyncWrite + Unpin>(sock: S, answered_all: Option<&AtomicUsize>) {
    let mut reader = BufReader::new(sock);
    let mut line = String::new();
    let mut answered = 0;
    loop {
        line.clear();
        match reader.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        // `BufReader` passes writes through to the socket.
        if reader.write_all(line.as_bytes()).await.is_err() {
            return;
        }
        answered += 1;
        if answered == LINES {
            if let Some(c) = answered_all {
                c.fetch_add(1, Ordering::Release);
            }
        }
    }
}

pub async fn serve(case: Case, n: usize) -> Res<()> {
    let acceptor = if case == Case::PendingTls {
        Some(tokio_rustls::TlsAcceptor::from(server_tls_config()?))
    } else {
        None
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    report_listening(listener.local_addr()?.port());
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    tokio::spawn(async move {
        for _ in 0..n {
            let Ok((sock, _)) = listener.accept().await else {
                break;
            };
            let c = c.clone();
            match (case, &acceptor) {
                (Case::PendingTls, Some(acceptor)) => {
                    // Counted when accepted: the handshake never completes.
                    c.fetch_add(1, Ordering::Release);
                    let accept = acceptor.accept(sock);
                    tokio::spawn(async move {
                        if let Ok(tls) = accept.await {
                            echo(tls, None).await;
                        }
                    });
                }
                (Case::Exchanged, _) => {
                    tokio::spawn(async move { echo(sock, Some(&c)).await });
                }
                _ => {
                    c.fetch_add(1, Ordering::Release);
                    tokio::spawn(async move {
                        let mut reader = BufReader::new(sock);
                        let mut line = Vec::new();
                        let _ = reader.read_until(b'\n', &mut line).await;
                    });
                }
            }
        }
    });
    let counted = wait_count(n, &count).await;
    report_done(counted);
    wait_for_parent();
    Ok(())
}

pub async fn connect(case: Case, port: u16, n: usize) -> Res<()> {
    let before = memory().0;
    let done = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::with_capacity(n);
    for _ in 0..n {
        let sock = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        if case == Case::Idle {
            done.fetch_add(1, Ordering::Release);
            let (r, w) = sock.into_split();
            tokio::spawn(async move {
                let mut reader = BufReader::new(r);
                let mut line = Vec::new();
                let _ = reader.read_until(b'\n', &mut line).await;
            });
            writers.push(w);
            continue;
        }
        let done = done.clone();
        tokio::spawn(async move {
            let mut stream = BufReader::new(sock);
            let mut line = String::new();
            for _ in 0..LINES {
                line.clear();
                if stream.write_all(crate::common::LINE).await.is_err() {
                    return;
                }
                match stream.read_line(&mut line).await {
                    Ok(len) if len == crate::common::LINE.len() => {}
                    _ => return,
                }
            }
            done.fetch_add(1, Ordering::Release);
            // Idle from here on.
            line.clear();
            let _ = stream.read_line(&mut line).await;
        });
    }
    let counted = wait_count(n, &done).await;
    report_client(before, counted);
    wait_for_parent();
    drop(writers);
    Ok(())
}
