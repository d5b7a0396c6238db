//! What a connection costs while idle: the core is small, and a TLS
//! session is paid for only by connections that use one.

use std::mem::size_of;
use streams_common::connection::Connection;

/// The core of a plain connection, inline (its buffers are on the heap
/// and empty until data arrives). A rustls session alone is over 1 KiB:
/// were it inline, every plain connection would carry it, twice (the
/// installed session and a pending `start_tls`).
#[test]
fn an_idle_plain_connection_core_stays_under_512_bytes() {
    assert!(
        size_of::<Connection>() <= 512,
        "Connection is {} bytes",
        size_of::<Connection>()
    );
}
