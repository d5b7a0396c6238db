//! Runs `streams-common`'s `custom_executor` example: the sans-IO
//! connection core driven by a hand-written `poll(2)` loop, no async
//! runtime at all, over plain TCP and over TLS. Each run is bounded by the
//! example's loop (an iteration cap and a deadline) and uses loopback only.
//! Unix only, as the example's `poll(2)` loop.
#![cfg(unix)]

#[path = "../../crates/streams-common/examples/custom_executor/main.rs"]
mod example;

use std::time::Duration;
use streams_common::connection::{HandshakeState, Phase};
use streams_common::TlsError;

#[test]
fn custom_executor_lines_limits_and_water_marks() {
    let lines = 2_000;
    let limit = 64;
    let stats = example::run(lines, limit, 4 * 1024).expect("the loop completes");
    // Each line comes back upper-cased, in order; the one line over the
    // limit is answered with asyncio's error (if it arrived in two pieces,
    // its tail comes back as a line of its own, as in asyncio).
    let mut expected = (0..lines).filter(|&i| i != lines / 2);
    let mut errors = 0;
    for reply in &stats.replies {
        if reply.starts_with("error: ") {
            assert!(
                reply == "error: Separator is found, but chunk is longer than limit"
                    || reply == "error: Separator is not found, and chunk exceed the limit",
                "{reply}"
            );
            errors += 1;
        } else if !reply.is_empty() && reply.bytes().all(|b| b == b'X') {
            assert!(reply.len() <= limit + 1, "a tail of the long line: {reply}");
        } else {
            let i = expected.next().expect("no more lines were sent");
            assert_eq!(reply, &format!("LINE {i}"));
        }
    }
    assert_eq!(expected.next(), None, "every line answered");
    assert_eq!(errors, 1);
    // 2,000 lines are more than the 4 KiB high-water mark: the client had
    // to wait for its buffer to drain, and did, without losing a byte.
    assert!(stats.client_drain_waits > 0);
}

#[test]
fn custom_executor_plain_close_and_half_close_end_cleanly() {
    let stats = example::run(500, 64, 1024).expect("the loop completes");
    assert_eq!(stats.replies.len(), 500);
    // The client half-closed; the server read to EOF, answered, closed;
    // the client read to the server's EOF and closed. Both sockets were
    // closed by the loop because the core said `Close`.
    for (side, end) in [("client", &stats.client), ("server", &stats.server)] {
        assert_eq!(end.phase(), Phase::Closed, "{side}: {end:?}");
        assert_eq!(end.trail.first(), Some(&Phase::Open), "{side}: {end:?}");
        assert!(end.error.is_none(), "{side}: {end:?}");
        assert!(end.saw_eof, "{side}: {end:?}");
        assert_eq!(end.handshake, HandshakeState::Done, "{side}");
        assert_eq!(end.tls_version, None, "{side}");
    }
    // The server's reader (limit 64) paused receiving at times.
    assert!(stats.server.paused > 0, "{:?}", stats.server);
}

#[test]
fn custom_executor_tls_echo_and_clean_shutdown() {
    // One line; enough lines that records and receives interleave; and a
    // small reader limit, so that flow control pauses receiving over TLS.
    for (lines, limit) in [(1, 0), (3_000, 0), (3_000, 64), (20_000, 64)] {
        let stats = example::run_tls(lines, limit).expect("the loop completes");
        let expected: Vec<String> = (0..lines).map(|i| format!("TLS LINE {i}")).collect();
        assert_eq!(stats.replies, expected);
        // The client closed after the last reply: its close_notify went
        // out (ShuttingDown), the server answered with its own (it was
        // Closing because of the client's, then ShuttingDown), and both
        // connections ended without an error.
        let trail = [
            Phase::Open,
            Phase::Closing,
            Phase::ShuttingDown,
            Phase::Lost,
            Phase::Closed,
        ];
        for (side, end) in [("client", &stats.client), ("server", &stats.server)] {
            assert_eq!(end.trail, trail, "{side}: {end:?}");
            assert!(end.error.is_none(), "{side}: {end:?}");
            assert_eq!(end.handshake, HandshakeState::Done, "{side}");
            assert_eq!(end.tls_version, Some("TLSv1.3"), "{side}");
        }
        // The server's reader saw the client's close_notify as EOF.
        assert!(stats.server.saw_eof);
        // With a 64-byte reader limit, thousands of lines outrun the
        // server's reader: the core stopped receiving until it caught up.
        if limit == 64 {
            assert!(stats.server.paused > 0, "{:?}", stats.server);
        }
        assert!(
            stats.elapsed < Duration::from_secs(10),
            "{:?}",
            stats.elapsed
        );
    }
}

#[test]
fn custom_executor_tls_handshake_deadline_from_poll_timeout() {
    let timeout = Duration::from_millis(200);
    let stats = example::run_handshake_timeout(timeout).expect("the loop completes");
    // The loop slept in poll(2) until the core's deadline, then told it
    // the time: the server's connection ended with the timeout.
    let server = &stats.server;
    assert_eq!(
        server.tls_error(),
        Some(&TlsError::HandshakeTimeout(timeout)),
        "{server:?}"
    );
    assert_eq!(
        server.handshake,
        HandshakeState::Failed(TlsError::HandshakeTimeout(timeout))
    );
    assert_eq!(server.trail, [Phase::Open, Phase::Lost, Phase::Closed]);
    assert_eq!(
        server.error.as_ref().map(|e| e.to_string()).as_deref(),
        Some("SSL handshake is taking longer than 0.2 seconds: aborting the connection")
    );
    // The silent client saw the server hang up and closed without error.
    let client = &stats.client;
    assert!(client.saw_eof && client.error.is_none(), "{client:?}");
    assert_eq!(client.phase(), Phase::Closed);
    assert!(stats.replies.is_empty());
    // Not before the deadline, and not much after: the poll(2) timeout was
    // the deadline, not a busy loop (a few turns) nor a long sleep.
    assert!(stats.elapsed >= timeout, "{:?}", stats.elapsed);
    assert!(
        stats.elapsed < Duration::from_secs(5),
        "{:?}",
        stats.elapsed
    );
    assert!(stats.turns < 100, "{} turns", stats.turns);
}
