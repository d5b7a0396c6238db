//! A transport error reaches the reader, `drain()` and `wait_closed()`
//! with its kind, OS code and source.

use crate::pair::Pair;
use crate::tls;
use std::error::Error as _;
use std::fmt;
use std::io;
use std::sync::Arc;
use std::task::Poll;
use streams_common::connection::{HandshakeState, Phase, Transmit};
use streams_common::reader_core::ReadError;
use streams_common::tls::TlsError;
use streams_common::{StoredError, DEFAULT_LIMIT};

#[derive(Debug)]
struct Cause;

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the cable was cut")
    }
}

impl std::error::Error for Cause {}

#[derive(Debug)]
struct Failure(Cause);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("send failed")
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

fn reader_error(p: &mut Pair) -> StoredError {
    p.client.sync();
    match p.client.reader.read(1) {
        Poll::Ready(Err(ReadError::Stored(e))) => e,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_transport_error_keeps_its_kind_and_source_everywhere() {
    let mut p = Pair::plain(DEFAULT_LIMIT);
    // Unread data does not hide the error from reads (asyncio).
    p.server.conn.write(b"unread\n").unwrap();
    p.drive();
    p.client.conn.write(b"unsent").unwrap();
    p.client
        .conn
        .handle_error(io::Error::new(io::ErrorKind::BrokenPipe, Failure(Cause)));
    assert_eq!(p.client.conn.phase(), Phase::Lost);

    let from_reader = reader_error(&mut p);
    let Err(from_drain) = p.client.conn.drain_start() else {
        panic!("{:?}", p.client.conn.drain_start())
    };
    let from_lost = p
        .client
        .conn
        .lost_error()
        .expect("lost with an error")
        .clone();
    for e in [&from_reader, &from_drain, &from_lost] {
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        assert_eq!(e.to_string(), "send failed");
        let inner = e.get_ref().expect("the payload");
        assert!(inner.downcast_ref::<Failure>().is_some());
        let source = e.source().expect("the payload's source");
        assert!(source.downcast_ref::<Cause>().is_some());
    }
    // One error, shared.
    assert!(Arc::ptr_eq(&from_reader, &from_drain));
    assert!(Arc::ptr_eq(&from_reader, &from_lost));

    let now = p.now();
    assert!(matches!(
        p.client.conn.poll_transmit(now),
        Transmit::Close { .. }
    ));
    p.drive();
    assert_eq!(p.client.conn.phase(), Phase::Closed);
    assert!(Arc::ptr_eq(p.client.conn.lost_error().unwrap(), &from_lost));
    // The peer got none of the dropped buffer.
    assert_eq!(p.server.read_to_eof(), Some("".into()));
}

#[test]
fn an_os_error_keeps_its_code() {
    let mut p = Pair::plain(DEFAULT_LIMIT);
    p.client
        .conn
        .handle_error(io::Error::from_raw_os_error(crate::os_codes::ECONNRESET));
    let e = reader_error(&mut p);
    assert_eq!(e.raw_os_error(), Some(crate::os_codes::ECONNRESET));
    assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
    assert_eq!(
        p.client.conn.lost_error().unwrap().raw_os_error(),
        Some(crate::os_codes::ECONNRESET)
    );
    // Only the first error counts.
    p.client
        .conn
        .handle_error(io::Error::from_raw_os_error(crate::os_codes::EPIPE));
    assert_eq!(
        p.client.conn.lost_error().unwrap().raw_os_error(),
        Some(crate::os_codes::ECONNRESET)
    );
}

#[test]
fn an_error_during_the_handshake_fails_it_with_that_error() {
    let mut p = Pair::tls(
        DEFAULT_LIMIT,
        tls::client(None, None),
        tls::server(None, None),
    );
    p.client
        .conn
        .handle_error(io::Error::from_raw_os_error(crate::os_codes::ETIMEDOUT));
    let HandshakeState::Failed(TlsError::Io(failure)) = p.client.conn.handshake() else {
        panic!("{:?}", p.client.conn.handshake())
    };
    assert_eq!(
        failure.io_error().raw_os_error(),
        Some(crate::os_codes::ETIMEDOUT)
    );
    // wait_closed and reads report the original error.
    let e = p.client.conn.lost_error().unwrap();
    assert_eq!(e.raw_os_error(), Some(crate::os_codes::ETIMEDOUT));
    assert_eq!(reader_error(&mut p).kind(), io::ErrorKind::TimedOut);

    // A reset during the handshake is asyncio's bare ConnectionResetError.
    let mut p = Pair::tls(
        DEFAULT_LIMIT,
        tls::client(None, None),
        tls::server(None, None),
    );
    p.server
        .conn
        .handle_error(io::Error::from_raw_os_error(crate::os_codes::ECONNRESET));
    assert_eq!(
        p.server.conn.handshake(),
        HandshakeState::Failed(TlsError::HandshakeEof)
    );
}

#[test]
fn an_error_after_the_handshake_reaches_the_tls_reader_unchanged() {
    let mut p = Pair::tls(
        DEFAULT_LIMIT,
        tls::client(None, None),
        tls::server(None, None),
    );
    p.drive();
    p.client
        .conn
        .handle_error(io::Error::new(io::ErrorKind::BrokenPipe, Failure(Cause)));
    assert_eq!(p.client.conn.handshake(), HandshakeState::Done);
    let e = reader_error(&mut p);
    assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
    assert!(e.source().and_then(|s| s.downcast_ref::<Cause>()).is_some());
}
