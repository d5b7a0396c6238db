//! A server that runs out of file descriptors: accepting pauses (one
//! report, a 1 s backoff, no spinning) and resumes once descriptors are
//! free again. A dedicated test binary, because it lowers RLIMIT_NOFILE
//! for the whole process: instantiated with
//! [`fd_limit_suite!`](crate::fd_limit_suite) alone in its own test binary
//! per runtime.

use crate::adapters::{wait_until, Adapter};
use std::time::{Duration, Instant};
use streams_common::{OpenOptions, ServerOptions, StreamReader, StreamWriter};

fn set_nofile(soft: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain libc calls with a valid pointer.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        lim.rlim_cur = soft.min(lim.rlim_max) as libc::rlim_t;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
    }
}

/// Opens `/dev/null` until the descriptors run out (bounded).
fn hog_the_rest(hogs: &mut Vec<std::fs::File>) {
    for _ in 0..10_000 {
        match std::fs::File::open("/dev/null") {
            Ok(f) => hogs.push(f),
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(libc::EMFILE));
                return;
            }
        }
    }
    panic!("10,000 descriptors and no EMFILE: the limit was not set");
}

fn open_fds() -> u64 {
    std::fs::read_dir("/proc/self/fd").unwrap().count() as u64
}

/// Out of descriptors, the accept loop reports once per backoff and
/// resumes when descriptors are free again.
pub async fn accept_backs_off_when_out_of_descriptors<A: Adapter>() {
    // The accept loop's "out of system resource" reports.
    let (recorder, messages) = crate::events::FieldRecorder::new("message");
    tracing::subscriber::set_global_default(recorder).unwrap();
    let reports = move || {
        messages
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.contains("out of system resource"))
            .count()
    };

    let server = A::t(A::start_server(
        |mut reader: StreamReader, writer: StreamWriter| async move {
            let line = reader.readline().await?;
            writer.write(&line)?;
            writer.drain().await?;
            let _ = reader.read_to_eof().await;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        },
        "127.0.0.1",
        0,
        ServerOptions::default(),
    ))
    .await
    .unwrap();
    let port = server.local_addrs()[0].port();

    // Three client sockets, made before the descriptors run out. (Freeing
    // three descriptors and then connecting would race with the server,
    // which may accept the first client into a freed descriptor before the
    // next client gets one.)
    let sockets: Vec<socket2::Socket> = (0..3)
        .map(|_| socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap())
        .collect();
    set_nofile(open_fds() + 64);
    // No report can come before this.
    let exhausted = Instant::now();
    // Use up every descriptor...
    let mut hogs = Vec::new();
    hog_the_rest(&mut hogs);
    assert!(!hogs.is_empty());
    // ...and three clients connect (the kernel completes the handshakes;
    // the server cannot accept them).
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let clients: Vec<std::net::TcpStream> = sockets
        .into_iter()
        .map(|s| {
            s.connect(&addr.into()).unwrap();
            s.into()
        })
        .collect();
    // Another thread of the runtime may have held a descriptor for a
    // moment while the loop above ran (a thread starting up reads files):
    // take what it gave back, so that none is left for the server.
    hog_the_rest(&mut hogs);
    assert!(
        std::fs::File::open("/dev/null").is_err(),
        "no descriptor left"
    );

    // The accept loop reports the failure and waits, without spinning.
    wait_until::<A>("the accept loop reporting it is out of descriptors", || {
        reports() > 0
    })
    .await;
    // The backoff is what is observed here: the loop gets 1.5 s (or more,
    // on a slow machine: the bound below counts the time that actually
    // passed). After each report it sleeps 1 s (timers never fire early),
    // so in `t` seconds there are at most t + 1 reports; a spinning loop
    // makes thousands.
    A::sleep(Duration::from_millis(1500)).await;
    let n = reports();
    let elapsed = exhausted.elapsed();
    let most = elapsed.as_secs() as usize + 2;
    assert!(
        n <= most,
        "{n} reports in {elapsed:?} with a 1 s backoff: the accept loop spins"
    );
    assert_eq!(server.client_count(), 0);

    // Free the descriptors: serving resumes.
    drop(hogs);
    let mut conns = Vec::new();
    for c in clients {
        conns.push(
            A::t(A::open_connection_with_socket(c, OpenOptions::default()))
                .await
                .unwrap(),
        );
    }
    for (i, (reader, writer)) in conns.iter_mut().enumerate() {
        writer.write(format!("client {i}\n").as_bytes()).unwrap();
        assert_eq!(
            A::t(reader.readline()).await.unwrap(),
            format!("client {i}\n")
        );
    }
    assert_eq!(server.client_count(), 3);
    for (_, writer) in &conns {
        writer.close();
    }
    server.close();
    A::t(server.wait_closed()).await;
}
