//! Half-close over a plain connection: `write_eof` shuts one direction
//! down after its data; the other keeps working (asyncio keeps a plain
//! connection open after EOF).

use crate::pair::{pattern, Pair, Who};
use streams_common::connection::Phase;
use streams_common::write_state::Written;
use streams_common::{WriteError, DEFAULT_LIMIT};

/// `first` sends data then EOF; its peer reads it all, answers, and the
/// connection stays open on both sides until each one writes EOF too.
fn half_close(first: Who) {
    let second = first.peer();
    let mut p = Pair::plain(DEFAULT_LIMIT);
    // A small wire: the EOF has to wait for the data behind it.
    p.wire_from(first).capacity = Some(1000);
    let data = pattern(10_000);
    p.side(first).conn.write(&data).unwrap();
    p.side(first).conn.write_eof().unwrap();
    assert_eq!(
        p.side(first).conn.write(b"late"),
        Err(WriteError::AfterWriteEof { method: "write" })
    );
    p.drive();

    assert!(p.side(first).write_shut);
    assert!(p.wire_from(first).shut);
    // Every byte, then EOF.
    assert_eq!(p.side(second).read_to_eof(), Some(data));
    assert!(p.side(second).at_eof());
    // A plain EOF is not a transition: both sides stay open.
    for who in [first, second] {
        assert_eq!(p.side(who).conn.phase(), Phase::Open, "{who:?}");
        assert!(!p.side(who).conn.is_closing(), "{who:?}");
    }

    // The side that got EOF still writes, and the half-closed side reads.
    assert_eq!(
        p.side(second).conn.write(b"answer\n"),
        Ok(Written::Buffered { wake_driver: true })
    );
    p.drive();
    assert_eq!(p.side(first).readline(), Some("answer\n".into()));
    assert!(!p.side(first).at_eof());
    assert_eq!(p.side(first).conn.phase(), Phase::Open);

    // Now the other direction ends too; still nobody closes by itself.
    p.side(second).conn.write(b"last").unwrap();
    p.side(second).conn.write_eof().unwrap();
    p.drive();
    assert_eq!(p.side(first).read_to_eof(), Some("last".into()));
    for who in [first, second] {
        assert!(p.side(who).at_eof(), "{who:?}");
        assert_eq!(p.side(who).conn.phase(), Phase::Open, "{who:?}");
        assert!(!p.side(who).transport_closed, "{who:?}");
    }

    // close() ends both without an error.
    p.client.conn.close();
    p.server.conn.close();
    p.drive();
    for who in [first, second] {
        assert_eq!(p.side(who).conn.phase(), Phase::Closed, "{who:?}");
        assert!(p.side(who).conn.lost_error().is_none(), "{who:?}");
    }
}

#[test]
fn client_write_eof_then_server_answers() {
    half_close(Who::Client);
}

#[test]
fn server_write_eof_then_client_answers() {
    half_close(Who::Server);
}

#[test]
fn write_eof_over_tls_is_refused_and_changes_nothing() {
    let mut p = Pair::tls(
        DEFAULT_LIMIT,
        crate::tls::client(None, None),
        crate::tls::server(None, None),
    );
    p.drive();
    assert_eq!(
        p.client.conn.write_eof(),
        Err(streams_common::TlsError::WriteEofNotSupported)
    );
    p.client.conn.write(b"still open\n").unwrap();
    p.drive();
    assert!(!p.client.write_shut);
    assert_eq!(p.server.readline(), Some("still open\n".into()));
    assert_eq!(p.client.conn.phase(), Phase::Open);
}
