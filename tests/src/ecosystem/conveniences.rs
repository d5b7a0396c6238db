//! The reader's conveniences beyond asyncio, over sockets: a limit that
//! changes on a live reader, `discard` after an overrun, and a view of
//! what is buffered.

use super::over;
use crate::adapters::{wait_until, Adapter};
use crate::links::{Link, LinkOptions};
use streams_common::{ArgumentError, ReadError};

/// SMTP-style: short command lines under a small limit, a long body line
/// under a large one, then the small limit again.
pub async fn limit_changes_on_a_live_reader<A: Adapter, L: Link>() {
    let ((mut reader, _writer), peer) = over::<A, L>(LinkOptions::default().client_limit(16)).await;
    let body = [vec![b'b'; 100_000], b"\n".to_vec()].concat();
    peer.write(b"HELO x\nDATA\n").unwrap();
    peer.write(&body).unwrap();
    peer.write(&[b'c'; 40]).unwrap();
    peer.write(b"\nQUIT\n").unwrap();
    assert_eq!(A::t(reader.readline()).await.unwrap(), "HELO x\n");
    assert_eq!(A::t(reader.readline()).await.unwrap(), "DATA\n");
    reader.set_limit(200_000).unwrap();
    assert_eq!(reader.limit(), 200_000);
    assert_eq!(A::t(reader.readline()).await.unwrap(), body);
    // The next line arrives whole under the large limit; then the small
    // one applies to it.
    wait_until::<A>("the rest received", || reader.buffered_len() == 46).await;
    reader.set_limit(16).unwrap();
    assert!(matches!(
        A::t(reader.readline()).await,
        Err(ReadError::LineTooLong { discarded: 41, .. })
    ));
    assert_eq!(A::t(reader.readline()).await.unwrap(), "QUIT\n");
    assert_eq!(reader.set_limit(0), Err(ArgumentError::ZeroLimit));
    assert_eq!(reader.limit(), 16);
}

/// After a `LimitOverrun` the data stays; `discard(consumed)` drops it
/// without reading it out, and the search goes on.
pub async fn discard_skips_an_overrun_without_reading_it<A: Adapter, L: Link>() {
    // A limit under the record's 100 bytes, but with everything sent
    // within twice the limit, so it all arrives before the first search.
    let ((mut reader, _writer), peer) = over::<A, L>(LinkOptions::default().client_limit(64)).await;
    let sent = [vec![b'x'; 100], b";next;tail".to_vec()].concat();
    peer.write(&sent).unwrap();
    wait_until::<A>("all of it received", || reader.buffered_len() == sent.len()).await;
    let Err(ReadError::LimitOverrun {
        consumed,
        separator_found: true,
    }) = A::t(reader.readuntil(b";")).await
    else {
        panic!("expected an overrun")
    };
    assert_eq!(consumed, 100);
    assert_eq!(
        reader.buffered_len(),
        sent.len(),
        "an overrun takes nothing"
    );
    assert_eq!(reader.discard(consumed + 1), 101);
    assert_eq!(A::t(reader.readuntil(b";")).await.unwrap(), "next;");
    assert_eq!(reader.discard(1000), 4, "only what is buffered");
    assert_eq!(reader.buffered_len(), 0);
}

/// `buffered()` shows what arrived without consuming it.
pub async fn buffered_shows_without_consuming<A: Adapter, L: Link>() {
    let ((mut reader, _writer), peer) = over::<A, L>(LinkOptions::default()).await;
    assert!(reader.buffered().is_empty());
    let sent = b"\x16\x03\x01 looks like TLS\n";
    peer.write(sent).unwrap();
    wait_until::<A>("all of it received", || reader.buffered_len() == sent.len()).await;
    assert_eq!(&*reader.buffered(), sent);
    assert_eq!(&*reader.buffered(), sent, "again: nothing was consumed");
    assert_eq!(A::t(reader.readline()).await.unwrap(), &sent[..]);
    assert!(reader.buffered().is_empty());
}
