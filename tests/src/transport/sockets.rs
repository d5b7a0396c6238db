//! A runtime's own socket types passed in directly: through the socket
//! path (`open_tcp_stream`: the socket's addresses and options are there)
//! and through the generic path (`open_io`: a transport like any other).

use crate::adapters::{Adapter, AsyncStdAdapter, SmolAdapter, TokioAdapter};
use std::net::{SocketAddr, TcpListener};
use streams_common::{Address, OpenOptions, StreamReader, StreamWriter};

/// A loopback listener and the streams over the connection it accepts
/// (the peer, on the socket path).
fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    (l, addr)
}

async fn accept<A: Adapter>(l: &TcpListener) -> (StreamReader, StreamWriter) {
    let (peer, _) = l.accept().unwrap(); // connected already: no wait
    A::t(A::open_connection_with_socket(peer, OpenOptions::default()))
        .await
        .unwrap()
}

/// A line each way, then our half-close (the peer reads our EOF while
/// its direction stays open) when `half_close`, then a close each way.
async fn exchange<A: Adapter>(
    ours: (StreamReader, StreamWriter),
    peer: (StreamReader, StreamWriter),
    half_close: bool,
) {
    let ((mut r, w), (mut pr, pw)) = (ours, peer);
    w.write(b"hello\n").unwrap();
    assert_eq!(A::t(pr.readline()).await.unwrap(), "hello\n");
    pw.write(b"world\n").unwrap();
    assert_eq!(A::t(r.readline()).await.unwrap(), "world\n");
    if half_close {
        w.write_eof().unwrap();
        let eof = A::t(pr.readline()).await.unwrap();
        assert_eq!(eof, "", "the peer sees our FIN");
        pw.write(b"still open\n").unwrap();
        assert_eq!(A::t(r.readline()).await.unwrap(), "still open\n");
    }
    pw.close();
    assert_eq!(A::t(r.readline()).await.unwrap(), "");
    w.close();
    A::t(w.wait_closed()).await.unwrap();
    assert_eq!(A::t(pr.readline()).await.unwrap(), "");
}

/// A user's `tokio::net::TcpStream`, both ways.
pub async fn user_tokio_tcp_stream() {
    type A = TokioAdapter;
    let (l, addr) = listener();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let ours = A::t(streams_tokio::open_tcp_stream(tcp, OpenOptions::default()))
        .await
        .unwrap();
    assert_eq!(ours.1.peername(), Some(&Address::Inet(addr)));
    assert!(ours.1.with_socket(|_| ()).is_some() && ours.1.is_tcp());
    let peer = accept::<A>(&l).await;
    exchange::<A>(ours, peer, true).await;

    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let ours = streams_tokio::open_io(tcp, Default::default()).unwrap();
    assert!(ours.1.peername().is_none() && ours.1.with_socket(|_| ()).is_none());
    let peer = accept::<A>(&l).await;
    exchange::<A>(ours, peer, true).await;
}

/// A user's `async_net::TcpStream` (smol's), both ways.
pub async fn user_async_net_tcp_stream() {
    type A = SmolAdapter;
    let (l, addr) = listener();
    let tcp = async_net::TcpStream::connect(addr).await.unwrap();
    let ours = A::t(streams_smol::open_tcp_stream(tcp, OpenOptions::default()))
        .await
        .unwrap();
    assert_eq!(ours.1.peername(), Some(&Address::Inet(addr)));
    let peer = accept::<A>(&l).await;
    exchange::<A>(ours, peer, true).await;

    let tcp = async_net::TcpStream::connect(addr).await.unwrap();
    let refused = A::t(streams_smol::open_tcp_stream(
        tcp.clone(),
        OpenOptions::default(),
    ))
    .await;
    assert!(refused.is_err(), "a stream with clones is refused");
    let ours = streams_smol::open_io(tcp, Default::default()).unwrap();
    assert!(ours.1.peername().is_none());
    let peer = accept::<A>(&l).await;
    exchange::<A>(ours, peer, true).await;
}

/// A user's `async_std::net::TcpStream`, both ways.
pub async fn user_async_std_tcp_stream() {
    type A = AsyncStdAdapter;
    let (l, addr) = listener();
    let tcp = async_std::net::TcpStream::connect(addr).await.unwrap();
    let ours = A::t(streams_async_std::open_tcp_stream(
        tcp,
        OpenOptions::default(),
    ))
    .await
    .unwrap();
    assert_eq!(ours.1.peername(), Some(&Address::Inet(addr)));
    let peer = accept::<A>(&l).await;
    exchange::<A>(ours, peer, true).await;

    let tcp = async_std::net::TcpStream::connect(addr).await.unwrap();
    let ours = streams_async_std::open_io(tcp, Default::default()).unwrap();
    let peer = accept::<A>(&l).await;
    // async-std's TcpStream only flushes on poll_close (async-io's
    // Async does), so write_eof sends no FIN over the generic path: the
    // socket path (open_tcp_stream, above) has the real half-close.
    exchange::<A>(ours, peer, false).await;
}
