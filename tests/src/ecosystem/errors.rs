//! Every error of the API `?`s into `io::Error`, with a fitting kind and
//! the original error inside (to downcast), so a handler or helper can
//! return `io::Result` throughout.

use super::{connect, over, serve};
use crate::adapters::{wait_until, Adapter};
use crate::links::{Link, LinkOptions};
use std::io;
use streams_common::{
    tls::StartTlsOptions, ArgumentError, Bytes, LimitsError, OpenOptions, ReadError, Server,
    ServerError, ServerOptions, StreamReader, StreamWriter, TlsError, WriteError,
};

/// A handler in `io::Result`, with `?` on the reader's, the writer's, the
/// water marks', the limit's and `write_eof`'s errors: it echoes one line,
/// then a 4-byte record, then half-closes.
async fn echo_handler(mut reader: StreamReader, writer: StreamWriter) -> io::Result<()> {
    reader.set_limit(64)?; // ArgumentError
    writer.set_write_buffer_limits(Some(1024), None)?; // LimitsError
    let line = reader.readline().await?; // ReadError
    writer.write(&line)?; // WriteError
    writer.drain().await?; // io::Error
    let record = reader.readexactly(4).await?;
    writer.write(&record)?;
    writer.write_eof()?; // TlsError
    reader.read_to_eof().await?;
    Ok(())
}

/// The error `f`'s `io::Error` carries, downcast to `T`.
fn inner<T: std::error::Error + 'static>(e: &io::Error) -> &T {
    e.get_ref()
        .and_then(|i| i.downcast_ref::<T>())
        .unwrap_or_else(|| panic!("not a {}: {e:?}", std::any::type_name::<T>()))
}

async fn readexactly(reader: &mut StreamReader, n: usize) -> io::Result<Bytes> {
    Ok(reader.readexactly(n).await?)
}

async fn readline(reader: &mut StreamReader) -> io::Result<Bytes> {
    Ok(reader.readline().await?)
}

async fn readuntil(reader: &mut StreamReader, sep: &[u8]) -> io::Result<Bytes> {
    Ok(reader.readuntil(sep).await?)
}

fn write(writer: &StreamWriter, data: &[u8]) -> io::Result<()> {
    writer.write(data)?;
    Ok(())
}

fn water_marks(writer: &StreamWriter, high: usize, low: usize) -> io::Result<()> {
    writer.set_write_buffer_limits(Some(high), Some(low))?;
    Ok(())
}

fn set_limit(reader: &mut StreamReader, limit: usize) -> io::Result<()> {
    reader.set_limit(limit)?;
    Ok(())
}

async fn open<A: Adapter>(
    port: u16,
    options: OpenOptions,
) -> io::Result<(StreamReader, StreamWriter)> {
    Ok(A::open_connection("127.0.0.1", port, options).await?)
}

async fn bind<A: Adapter>(port: u16) -> io::Result<Server> {
    let server = A::start_server(
        |_r: StreamReader, _w: StreamWriter| async {},
        "127.0.0.1",
        port,
        ServerOptions::default(),
    )
    .await?;
    Ok(server)
}

async fn start_serving(server: &Server) -> io::Result<()> {
    server.start_serving().await?;
    Ok(())
}

async fn start_tls(
    writer: &StreamWriter,
    reader: &mut StreamReader,
    pki: &crate::tls::Pki,
) -> io::Result<()> {
    writer
        .start_tls(reader, pki.client(), StartTlsOptions::default())
        .await?;
    Ok(())
}

/// Each error type of the API through `?` into `io::Error`: its kind, its
/// message, and the original inside.
pub async fn every_api_error_converts_with_question_mark<A: Adapter>() {
    let server = serve::<A, _, _>(echo_handler).await;
    let port = crate::port(&server);
    let (mut reader, writer) = connect::<A>(&server).await;
    writer.write(b"hello\nabcd").unwrap();
    assert_eq!(A::t(readline(&mut reader)).await.unwrap(), "hello\n");
    assert_eq!(A::t(readexactly(&mut reader, 4)).await.unwrap(), "abcd");
    // The server half-closed: a longer read is cut short.
    let e = A::t(readexactly(&mut reader, 10)).await.unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(
        e.to_string(),
        "0 bytes read on a total of 10 expected bytes"
    );
    assert!(matches!(
        inner::<ReadError>(&e),
        ReadError::Incomplete {
            expected: Some(10),
            ..
        }
    ));

    // WriteError: after write_eof.
    writer.write_eof().unwrap();
    let e = write(&writer, b"late").unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
    assert_eq!(
        inner::<WriteError>(&e),
        &WriteError::AfterWriteEof { method: "write" }
    );
    // LimitsError, ArgumentError.
    let e = water_marks(&writer, 1, 2).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(inner::<LimitsError>(&e), &LimitsError { high: 1, low: 2 });
    let e = set_limit(&mut reader, 0).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(inner::<ArgumentError>(&e), &ArgumentError::ZeroLimit);
    // TlsError: start_tls with another connection's reader.
    let pki = crate::tls::Pki::new();
    let (mut other_reader, _other_writer) = connect::<A>(&server).await;
    let e = A::t(start_tls(&writer, &mut other_reader, &pki))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), TlsError::ForeignReader.kind());
    assert_eq!(inner::<TlsError>(&e), &TlsError::ForeignReader);
    drop(writer);

    // ConnectError: an invalid argument, a refused connection.
    let e = A::t(open::<A>(port, OpenOptions::default().limit(0)))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(inner::<ArgumentError>(&e), &ArgumentError::ZeroLimit);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let e = A::t(open::<A>(closed_port, OpenOptions::default()))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}");
    // ServerError: a port in use, a closed server.
    let e = A::t(bind::<A>(port)).await.unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::AddrInUse, "{e}");
    server.close();
    let e = A::t(start_serving(&server)).await.unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::Other);
    assert!(matches!(inner::<ServerError>(&e), ServerError::Closed));
}

/// Read errors keep their kinds: `InvalidData` for an over-long line and
/// an overrun (with their counts inside), the stored error's kind for the
/// error the connection ended with.
pub async fn read_errors_keep_their_kind_and_the_original<A: Adapter, L: Link>() {
    // Each input is within twice the limit and waited for, so that it is
    // read whole (not cut where a receive ended).
    let options = LinkOptions::default().client_limit(16).abort_resets();
    let ((mut reader, _writer), peer) = over::<A, L>(options).await;
    peer.write(b"a line far too long\n").unwrap();
    wait_until::<A>("the line received", || reader.buffered_len() == 20).await;
    let e = A::t(readline(&mut reader)).await.unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    assert_eq!(
        e.to_string(),
        "Separator is found, but chunk is longer than limit"
    );
    assert!(matches!(
        inner::<ReadError>(&e),
        ReadError::LineTooLong {
            discarded: 20,
            separator_found: true
        }
    ));
    peer.write(b"0123456789abcdefg;").unwrap();
    wait_until::<A>("the record received", || reader.buffered_len() == 18).await;
    let e = A::t(readuntil(&mut reader, b";")).await.unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    assert!(matches!(
        inner::<ReadError>(&e),
        ReadError::LimitOverrun {
            consumed: 17,
            separator_found: true
        }
    ));
    // Under Wine an abortive close reads as EOF, not as a reset (Windows
    // reports WSAECONNRESET: Microsoft's `recv` documentation).
    if crate::os_codes::skip_under_wine("the reset half: an abortive close reads as EOF") {
        return;
    }
    peer.abort(); // a reset
    reader.discard(18);
    let e = A::t(readline(&mut reader)).await.unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
    let ReadError::Stored(stored) = inner::<ReadError>(&e) else {
        panic!("{e:?}")
    };
    if L::KERNEL {
        assert_eq!(stored.raw_os_error(), Some(crate::os_codes::ECONNRESET));
    }
}
