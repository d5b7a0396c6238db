//! The library's server and client, on whichever runtime is passed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use streams_common::runtime::RuntimeRef;
use streams_common::{Hosts, OpenOptions, ServerOptions, StreamReader, StreamWriter};

use crate::common::{
    memory, report_client, report_done, report_listening, server_tls_config, wait_for_parent, Case,
    Res, DEADLINE, HANDSHAKE_TIMEOUT, LINE, LINES, SETTLE,
};

/// Sleeps in short steps until `count()` reaches `n` or the deadline
/// passes, then lets the last connections settle; the count reached.
async fn wait_count(rt: &RuntimeRef, n: usize, count: impl Fn() -> usize) -> usize {
    let start = Instant::now();
    while count() < n && start.elapsed() < DEADLINE {
        rt.sleep(Duration::from_millis(20)).await;
    }
    rt.sleep(SETTLE).await;
    count()
}

pub async fn serve(rt: RuntimeRef, case: Case, n: usize) -> Res<()> {
    let mut options = ServerOptions::default().backlog(1024);
    if case == Case::PendingTls {
        options = options
            .ssl(server_tls_config()?)
            .ssl_handshake_timeout(HANDSHAKE_TIMEOUT);
    }
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let server = streams_common::start_server(
        rt.clone(),
        move |mut reader: StreamReader, writer: StreamWriter| {
            let c = c.clone();
            async move {
                if case == Case::Idle {
                    c.fetch_add(1, Ordering::Release);
                }
                // An echo: in the idle case it waits for a line that never
                // comes; in the exchanged case it answers `LINES` lines
                // and then waits for one more.
                let mut answered = 0;
                while let Ok(line) = reader.readline().await {
                    if line.is_empty() || writer.write(&line).is_err() {
                        break;
                    }
                    if writer.drain().await.is_err() {
                        break;
                    }
                    answered += 1;
                    if case == Case::Exchanged && answered == LINES {
                        c.fetch_add(1, Ordering::Release);
                    }
                }
            }
        },
        Hosts::from("127.0.0.1"),
        0,
        options,
    )
    .await?;
    report_listening(server.local_addrs()[0].port());
    let counted = if case == Case::PendingTls {
        // No handler runs before the handshake: count the accepted
        // connections, each waiting for its ClientHello.
        wait_count(&rt, n, || server.client_count()).await
    } else {
        wait_count(&rt, n, || count.load(Ordering::Acquire)).await
    };
    report_done(counted);
    wait_for_parent();
    server.close();
    Ok(())
}

pub async fn connect(rt: RuntimeRef, case: Case, port: u16, n: usize) -> Res<()> {
    let before = memory().0;
    let done = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::with_capacity(n);
    for _ in 0..n {
        let (mut reader, writer) =
            streams_common::open_connection(&*rt, "127.0.0.1", port, OpenOptions::default())
                .await?;
        if case == Case::Idle {
            done.fetch_add(1, Ordering::Release);
            rt.spawn(Box::pin(async move {
                let _ = reader.readline().await;
            }));
            writers.push(writer);
            continue;
        }
        let done = done.clone();
        rt.spawn(Box::pin(async move {
            for _ in 0..LINES {
                if writer.write(LINE).is_err() || writer.drain().await.is_err() {
                    return;
                }
                match reader.readline().await {
                    Ok(line) if line.len() == LINE.len() => {}
                    _ => return,
                }
            }
            done.fetch_add(1, Ordering::Release);
            // Idle from here on, the writer kept open.
            let _ = reader.readline().await;
            drop(writer);
        }));
    }
    let counted = wait_count(&rt, n, || done.load(Ordering::Acquire)).await;
    report_client(before, counted);
    wait_for_parent();
    drop(writers);
    Ok(())
}
