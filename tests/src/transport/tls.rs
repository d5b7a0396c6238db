//! TLS and generic transports: `start_tls` over an in-memory pipe (with
//! the hand-back of a ClientHello that came with the last plaintext
//! line), and plain streams over a tokio-rustls stream.

use crate::adapters::Adapter;
use crate::tls::Pki;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use streams_common::tls::StartTlsOptions;
use streams_common::transport::{self, TokioIo, TransportOptions};
use streams_common::{StreamReader, StreamWriter};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A pipe end whose first write is sent as `prefix` followed by it, in
/// one write: a client that sends `STARTTLS\n` and its ClientHello
/// together.
struct Prefixed {
    io: DuplexStream,
    prefix: Option<&'static [u8]>,
}

impl AsyncRead for Prefixed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Prefixed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let Some(prefix) = self.prefix else {
            return Pin::new(&mut self.io).poll_write(cx, buf);
        };
        let first = [prefix, buf].concat();
        match Pin::new(&mut self.io).poll_write(cx, &first) {
            // The pipe has room for both (it is far larger): all or nothing.
            Poll::Ready(Ok(n)) => {
                assert_eq!(n, first.len(), "one write");
                self.prefix = None;
                Poll::Ready(Ok(buf.len()))
            }
            other => other,
        }
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The server end: our streams over a `tokio::io::duplex` pipe reads
/// `STARTTLS\n`, whose ClientHello came in the same write (so it is in the
/// reader's buffer already), and upgrades: the handshake succeeds because
/// `start_tls` hands those bytes to TLS. The client is tokio-rustls.
pub async fn start_tls_over_a_duplex_keeps_a_client_hello_sent_with_the_line<A: Adapter>() {
    let pki = Pki::new();
    let (server_end, client_end) = tokio::io::duplex(256 * 1024);
    let rt = A::runtime();
    let (mut r, w) = transport::open(
        &*rt,
        TokioIo::new(server_end),
        TransportOptions::default().server_side(true),
    )
    .unwrap();
    let config = pki.server();
    let server = A::spawn(async move {
        let line = r.readline().await?;
        assert_eq!(line, "STARTTLS\n");
        let buffered = r.buffered_len();
        w.start_tls(&mut r, config, StartTlsOptions::default())
            .await?;
        let line = r.readline().await?;
        w.write(b"secure: ")?;
        w.write(&line)?;
        w.close();
        w.wait_closed().await?;
        Ok::<usize, BoxError>(buffered)
    });
    let connector = tokio_rustls::TlsConnector::from(pki.client().config().clone());
    let io = Prefixed {
        io: client_end,
        prefix: Some(b"STARTTLS\n"),
    };
    let name = "localhost".try_into().unwrap();
    let mut tls = A::t(connector.connect(name, io)).await.unwrap();
    A::t(tls.write_all(b"no byte lost\n")).await.unwrap();
    let mut reply = Vec::new();
    A::t(tls.read_to_end(&mut reply)).await.unwrap();
    assert_eq!(reply, b"secure: no byte lost\n");
    A::t(tls.shutdown()).await.unwrap();
    let buffered = A::t(server).await.unwrap();
    assert!(buffered > 0, "the ClientHello came with the line");
}

/// Plain streams over a tokio-rustls client stream (TLS done by another
/// library, the streams on top), against our own TLS server end over the
/// other end of the pipe: lines both ways, then a half-close (TLS's
/// close_notify) each way.
pub async fn streams_over_a_tokio_rustls_stream<A: Adapter>() {
    let pki = Pki::new();
    let (server_end, client_end) = tokio::io::duplex(64 * 1024);
    let rt = A::runtime();
    let (mut sr, sw) = transport::open(
        &*rt,
        TokioIo::new(server_end),
        TransportOptions::default().server_side(true),
    )
    .unwrap();
    let config = pki.server();
    let server = A::spawn(async move {
        sw.start_tls(&mut sr, config, StartTlsOptions::default())
            .await?;
        let mut lines = 0;
        loop {
            let line = sr.readline().await?;
            if line.is_empty() {
                break;
            }
            sw.write(&line)?;
            lines += 1;
        }
        sw.close();
        sw.wait_closed().await?;
        Ok::<usize, BoxError>(lines)
    });
    let connector = tokio_rustls::TlsConnector::from(pki.client().config().clone());
    let name = "localhost".try_into().unwrap();
    let tls = A::t(connector.connect(name, client_end)).await.unwrap();
    let (mut r, w): (StreamReader, StreamWriter) =
        transport::open(&*rt, TokioIo::new(tls), TransportOptions::default()).unwrap();
    for i in 0..3 {
        let line = format!("{{\"jsonrpc\": \"2.0\", \"id\": {i}}}\n");
        w.write(line.as_bytes()).unwrap();
        assert_eq!(A::t(r.readline()).await.unwrap(), line);
    }
    // write_eof() is tokio-rustls' shutdown: our close_notify, which the
    // server reads as EOF; it answers with its own, our EOF.
    w.write_eof().unwrap();
    assert_eq!(A::t(r.read_to_eof()).await.unwrap(), "");
    w.close();
    A::t(w.wait_closed()).await.unwrap();
    assert_eq!(A::t(server).await.unwrap(), 3);
}
