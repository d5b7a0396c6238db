//! Unit tests of the receive buffer.

use super::*;
use crate::separators::{find, Separators};

/// A `Bytes` of `len` copies of `fill` with `text` at `at`: big enough
/// to be queued, not copied.
fn big(len: usize, fill: u8, at: usize, text: &[u8]) -> Bytes {
    let mut v = alloc::vec![fill; len];
    v[at..at + text.len()].copy_from_slice(text);
    Bytes::from(v)
}

/// Everything buffered, in order.
fn all(b: &RecvBuffer) -> Vec<u8> {
    b.contiguous().into_owned()
}

/// What `Reader::until` does, without the limit: search the front,
/// pull, search again.
fn search(b: &mut RecvBuffer, seps: Separators<'_>) -> Option<(usize, usize)> {
    loop {
        if let Some(f) = find(b.front(), 0, seps) {
            return Some((f.start, f.end));
        }
        let next = b.next_segment()?;
        let k = find(next, 0, seps).map_or(next.len(), |f| f.end);
        b.pull(k);
    }
}

#[test]
fn spare_commit_and_split() {
    let mut b = RecvBuffer::default();
    let spare = b.spare_mut(8);
    assert!(spare.len() >= 8);
    spare[..5].copy_from_slice(b"hello");
    assert!(b.commit(5));
    assert_eq!(b.front(), b"hello");
    assert!(!b.commit(usize::MAX));
    b.extend(b" world");
    assert_eq!(b.front(), b"hello world");
    b.consume(6);
    assert_eq!(b.front(), b"world");
    assert_eq!(&b.split_front(3)[..], b"wor");
    assert_eq!(&b.take_all()[..], b"ld");
    assert!(b.is_empty());
}

#[test]
fn adopts_unique_bytes_without_copy() {
    let mut b = RecvBuffer::default();
    let v = Bytes::from(alloc::vec![7u8; TINY]);
    let ptr = v.as_ptr();
    b.extend_owned(v);
    assert_eq!(b.front().as_ptr(), ptr);
    assert_eq!(b.queued, 0, "adopted as the owned region");
    // Not empty any more: a tiny one is copied behind the first.
    b.extend_owned(Bytes::from_static(b"\x04"));
    assert_eq!(b.len(), TINY + 1);
    assert_eq!(b.front()[TINY], 4);
}

#[test]
fn queues_shared_and_later_chunks_without_copy() {
    let whole = big(4 * TINY, b'a', 0, b"");
    let mut b = RecvBuffer::default();
    b.extend(b"xy");
    b.extend_owned(whole.slice(..2 * TINY));
    b.extend_owned(whole.slice(2 * TINY..));
    assert_eq!(b.len(), 2 + 4 * TINY);
    assert_eq!(b.front(), b"xy");
    assert_eq!(b.next_segment().unwrap().as_ptr(), whole.as_ptr());
    // A copy after the chunks goes behind them.
    b.extend(b"z");
    let got = all(&b);
    assert_eq!(&got[..2], b"xy");
    assert_eq!(got.last(), Some(&b'z'));
    assert_eq!(got.len(), 3 + 4 * TINY);
}

#[test]
fn byte_at_a_time_behind_chunks_grows_one_copy() {
    let whole = big(TINY, b'a', 0, b"");
    let mut b = RecvBuffer::default();
    b.extend_owned(whole.clone());
    b.extend_owned(whole.clone());
    for i in 0..1000u32 {
        b.extend(&[i as u8]);
    }
    assert_eq!(b.queue.len(), 2, "one chunk, then one growing copy");
    assert_eq!(b.len(), 2 * TINY + 1000);
    let got = all(&b);
    assert_eq!(got[2 * TINY + 999], 999u32 as u8);
}

#[test]
fn copies_behind_a_lone_copied_chunk_keep_order() {
    let shared = big(TINY, b'a', 0, b"");
    let mut b = RecvBuffer::default();
    b.extend_owned(shared.clone());
    b.extend(b"12");
    b.extend(b"34");
    assert_eq!(b.queue.len(), 1, "one copy behind the chunk, grown");
    // The shared chunk is consumed: the copy is the only chunk left.
    b.consume(TINY + 1);
    b.extend(b"56");
    assert_eq!(all(&b), b"23456");
    assert_eq!(b.queued, 0, "back in the owned region, in order");
}

#[test]
fn straddling_separator_is_found_and_copied_once() {
    // "...\r" | "\n...\r\n...": the first CRLF straddles the boundary.
    let first = big(TINY, b'a', TINY - 1, b"\r");
    let second = big(TINY, b'b', 0, b"\nbbbbbbb\r\n");
    let mut b = RecvBuffer::default();
    b.extend_owned(first.clone());
    b.extend_owned(second.clone());
    assert_eq!(b.front().as_ptr(), first.as_ptr(), "queued, not copied");
    let crlf = Separators::One(b"\r\n");
    assert_eq!(search(&mut b, crlf), Some((TINY - 1, TINY + 1)));
    // Pulled: the first chunk's rest and the next chunk up to its first
    // whole separator, no further; the rest of `second` is still its
    // own memory.
    assert_eq!(b.front().len(), TINY + 10);
    assert_eq!(b.next_segment().unwrap().as_ptr(), second[10..].as_ptr());
    let line = b.split_front(TINY + 1);
    assert!(line.ends_with(b"a\r\n"));
    assert_eq!(&b.split_front(9)[..], b"bbbbbbb\r\n");
    assert_eq!(b.front().as_ptr(), second[10..].as_ptr());
    assert_eq!(b.len(), TINY - 10);
}

#[test]
fn short_separator_in_next_chunk_beats_long_straddling_one() {
    // "…AB" | "CD;…": "ABCD" straddles and ends at 2 of the next chunk;
    // ";" ends at 3; "C" ends at 1 and wins; with "C" gone, "ABCD"
    // (end 2) beats ";" (end 3).
    let first = big(TINY, b'x', TINY - 2, b"AB");
    let second = big(TINY, b'y', 0, b"CD;");
    for (list, want) in [
        (&[&b"ABCD"[..], b";", b"C"][..], (TINY, TINY + 1)),
        (&[&b"ABCD"[..], b";"][..], (TINY - 2, TINY + 2)),
        (&[&b"D;"[..], b"BCD"][..], (TINY - 1, TINY + 2)),
    ] {
        let mut b = RecvBuffer::default();
        b.extend_owned(first.clone());
        b.extend_owned(second.clone());
        assert_eq!(
            search(&mut b, Separators::Any(list)),
            Some(want),
            "{list:?}"
        );
        // Whatever was found is in the contiguous front.
        assert!(b.front().len() >= want.1);
        assert_eq!(all(&b).len(), 2 * TINY);
    }
}

#[test]
fn separator_spanning_a_whole_chunk() {
    // A long separator that starts in the owned data, covers a whole
    // chunk and ends in the next.
    let mut sep = alloc::vec![b'q'; TINY + 4];
    sep[0] = b'S';
    *sep.last_mut().unwrap() = b'E';
    let mut b = RecvBuffer::default();
    b.extend(b"..SQ"[..3].as_ref());
    b.extend_owned(big(TINY, b'q', 0, b""));
    b.extend_owned(big(TINY, b'z', 0, b"qqE"));
    let got = search(&mut b, Separators::One(&sep));
    assert_eq!(got, Some((2, 2 + sep.len())));
}

#[test]
fn reads_spanning_chunks_gather_once() {
    let whole = Bytes::from((0..3 * TINY).map(|i| i as u8).collect::<Vec<u8>>());
    let keep = whole.clone();
    let mut b = RecvBuffer::default();
    b.extend(b"head");
    b.extend_owned(whole.slice(..TINY));
    b.extend_owned(whole.slice(TINY..2 * TINY));
    b.extend_owned(whole.slice(2 * TINY..));
    // Owned data plus part of the first chunk: gathered.
    let got = b.split_front(10);
    assert_eq!(&got[..4], b"head");
    assert_eq!(&got[4..], &whole[..6]);
    // Inside the first chunk: a slice of it, not a copy.
    let got = b.split_front(10);
    assert_eq!(got.as_ptr(), whole[6..].as_ptr());
    // Across two chunks.
    let got = b.split_front(TINY);
    assert_eq!(&got[..], &whole[16..16 + TINY]);
    // The rest of a chunk exactly: that chunk, not a copy.
    let rest = 2 * TINY - (16 + TINY);
    let got = b.split_front(rest);
    assert_eq!(got.as_ptr(), whole[16 + TINY..].as_ptr());
    // More than is buffered: what is there.
    let got = b.split_front(usize::MAX);
    assert_eq!(&got[..], &whole[2 * TINY..]);
    assert!(b.is_empty());
    assert_eq!(whole, keep, "shared memory never written to");
}

#[test]
fn take_all_across_chunks() {
    let whole = Bytes::from((0..2 * TINY).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
    let mut b = RecvBuffer::default();
    b.extend(b"ab");
    b.extend_owned(whole.slice(..TINY));
    b.extend_owned(whole.slice(TINY..));
    b.extend(b"cd");
    b.consume(3);
    let got = b.take_all();
    assert_eq!(&got[..TINY - 1], &whole[1..TINY]);
    assert_eq!(&got[TINY - 1..2 * TINY - 1], &whole[TINY..]);
    assert_eq!(&got[2 * TINY - 1..], b"cd");
    assert!(b.is_empty());
    // One shared chunk: `take_all_frozen` hands it over as it is.
    b.extend_owned(whole.slice(TINY..));
    assert_eq!(b.take_all_frozen().as_ptr(), whole[TINY..].as_ptr());
    assert!(b.is_empty());
}

#[test]
fn shared_slices_are_never_modified() {
    let whole = Bytes::from((0..4 * TINY).map(|i| (i * 7) as u8).collect::<Vec<u8>>());
    let before = whole.to_vec();
    let mut b = RecvBuffer::default();
    b.extend_owned(whole.slice(TINY..2 * TINY));
    b.extend(b"copied behind");
    b.extend_owned(whole.slice(..TINY));
    b.consume(5);
    let _ = search(&mut b, Separators::One(b"\xff\xfe"));
    b.spare_mut(64)[..3].copy_from_slice(b"new");
    assert!(b.commit(3));
    b.extend(b"more");
    let _ = b.take_all();
    assert_eq!(&whole[..], &before[..]);
}

#[test]
fn borrowed_line_stays_valid_after_its_chunk_is_exhausted() {
    let whole = big(TINY, b'a', TINY - 1, b"\n");
    let ptr = whole.as_ptr();
    let mut b = RecvBuffer::default();
    // Shared (not adopted), so queued as a chunk.
    b.extend_owned(whole.clone());
    assert_eq!(b.queued, TINY);
    b.extend_owned(big(TINY, b'b', 0, b""));
    // The whole first chunk is one line: lent from the spent slot.
    let line = b.consume_borrowed(TINY);
    assert_eq!(line.as_ptr(), ptr);
    assert_eq!(line.len(), TINY);
    assert_eq!(line.last(), Some(&b'\n'));
    assert_eq!(b.queue.len(), 0, "the next chunk took its place");
    assert_eq!(b.front()[0], b'b');
    // Released once the buffer is fed again.
    b.extend(b"x");
    assert!(b.spent.is_empty());
}

#[test]
fn commit_after_a_queued_chunk_keeps_stream_order() {
    let mut b = RecvBuffer::default();
    b.extend(b"1");
    b.spare_mut(4)[..1].copy_from_slice(b"3");
    b.extend_owned(big(TINY, b'2', 0, b""));
    assert!(b.commit(1));
    let got = all(&b);
    assert_eq!(got[0], b'1');
    assert!(got[1..=TINY].iter().all(|&c| c == b'2'));
    assert_eq!(got[TINY + 1], b'3');
    assert_eq!(got.len(), TINY + 2);
}

#[test]
fn compaction_keeps_data() {
    let mut b = RecvBuffer::default();
    for round in 0..200u32 {
        b.extend(&round.to_le_bytes());
        if round % 3 == 0 {
            b.consume(2);
        }
        let _ = b.spare_mut(64);
    }
    assert_eq!(b.len(), 200 * 4 - 67 * 2);
}
