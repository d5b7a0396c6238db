//! Who sends a reply: the write itself, when it answers all the input the
//! reader had (asyncio's `write` sends at once; so a request costs one
//! driver turn, not two); the driver, in one send, for the replies to
//! pipelined requests and for a stream of writes.
//!
//! On single-threaded runtimes (Tokio's `current_thread`, a smol executor
//! run on the test's thread), so that the driver runs only when the test
//! awaits and every count is exact.

#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;
use streams_common::runtime::RuntimeRef;
use streams_common::{OpenOptions, StreamReader, StreamWriter};
use streams_suite::counting::CountingRuntime;

/// Any wait longer than this fails the test.
const BOUND: Duration = Duration::from_secs(20);

/// A connected pair: a Unix socket pair on Unix, a loopback TCP
/// connection on Windows (no socket pair there).
#[cfg(windows)]
async fn pair(counted: &CountingRuntime, plain: &RuntimeRef) -> [(StreamReader, StreamWriter); 2] {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let a = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
    let (b, _) = l.accept().unwrap();
    let opts = OpenOptions::default;
    let c = streams_common::open_connection_with_socket(counted, a.into(), opts());
    let p = streams_common::open_connection_with_socket(&**plain, b.into(), opts());
    [c.await.unwrap(), p.await.unwrap()]
}

#[cfg(unix)]
async fn pair(counted: &CountingRuntime, plain: &RuntimeRef) -> [(StreamReader, StreamWriter); 2] {
    let (a, b) = UnixStream::pair().unwrap();
    let opts = OpenOptions::default;
    let c = streams_common::open_unix_connection_with_socket(counted, a.into(), opts());
    let p = streams_common::open_unix_connection_with_socket(&**plain, b.into(), opts());
    [c.await.unwrap(), p.await.unwrap()]
}

async fn replies(plain: RuntimeRef) {
    let rt = CountingRuntime::new(plain.clone());
    let [(mut reader, writer), (mut peer_r, peer_w)] = pair(&rt, &plain).await;
    let sends = || rt.counts().sends();

    // A lone request: its reply leaves with the write.
    peer_w.write(b"a\n").unwrap();
    assert_eq!(reader.readline().await.unwrap(), "a\n");
    let before = sends();
    writer.write(b"A\n").unwrap();
    assert_eq!(sends(), before + 1, "the reply is sent by write");
    assert_eq!(writer.get_write_buffer_size(), 0);
    assert_eq!(peer_r.readline().await.unwrap(), "A\n");

    // Two requests in one piece, twice: both replies wait for the last,
    // and go out together. (The second time, the first write finds the
    // buffer empty again, with the last batch's input all consumed.)
    for (requests, replies) in [
        (["b\n", "c\n"], ["B\n", "C\n"]),
        (["e\n", "f\n"], ["E\n", "F\n"]),
    ] {
        peer_w.write(requests.concat().as_bytes()).unwrap();
        assert_eq!(reader.readline().await.unwrap(), requests[0]);
        let before = sends();
        writer.write(replies[0].as_bytes()).unwrap();
        assert_eq!(
            writer.get_write_buffer_size(),
            2,
            "more input: left to the driver"
        );
        assert_eq!(reader.readline().await.unwrap(), requests[1]);
        writer.write(replies[1].as_bytes()).unwrap();
        assert_eq!(writer.get_write_buffer_size(), 4);
        assert_eq!(peer_r.readexactly(4).await.unwrap(), replies.concat());
        assert_eq!(sends(), before + 1, "one send for both replies");
    }

    // A stream of writes after a reply: the first goes at once, the rest
    // together.
    peer_w.write(b"d\n").unwrap();
    assert_eq!(reader.readline().await.unwrap(), "d\n");
    let before = sends();
    for _ in 0..100 {
        writer.write(b"0123456789").unwrap();
    }
    assert_eq!(sends(), before + 1);
    assert_eq!(peer_r.readexactly(1000).await.unwrap().len(), 1000);
    assert_eq!(sends(), before + 2, "the other 99 writes in one send");

    writer.close();
    writer.wait_closed().await.unwrap();
    assert!(peer_r.read_to_eof().await.unwrap().is_empty());
}

#[test]
fn tokio_current_thread() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        tokio::time::timeout(BOUND, replies(Arc::new(streams_tokio::Tokio)))
            .await
            .expect("bounded")
    });
}

#[test]
fn smol_one_thread() {
    let ex = Arc::new(smol::Executor::new());
    let rt: RuntimeRef = Arc::new(streams_smol::Smol::with_executor(ex.clone()));
    smol::block_on(ex.run(async move {
        let bounded = async {
            smol::Timer::after(BOUND).await;
            panic!("not done within {BOUND:?}");
        };
        smol::future::or(replies(rt), bounded).await
    }));
}
