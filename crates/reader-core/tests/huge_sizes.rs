//! Sizes at and near `usize::MAX`, from every public entry point that
//! takes one: the crate promises a typed error or a documented clamp,
//! never a panic (or an allocation the size of the address space).

use reader_core::{Bytes, InvalidArgument, Op, Outcome, ReadError, Reader, MAX_SPARE_CAPACITY};
use std::task::Poll;

type R = Reader<&'static str>;

/// `usize::MAX` and its neighbours, and the edges where `isize` and
/// allocation sizes change.
const HUGE: [usize; 8] = [
    usize::MAX,
    usize::MAX - 1,
    usize::MAX - 4096,
    usize::MAX / 2 + 1,
    usize::MAX / 2,
    isize::MAX as usize - 1,
    usize::MAX / 4,
    1 << (usize::BITS - 2),
];

fn ready<T: std::fmt::Debug>(p: Poll<T>) -> T {
    match p {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("expected Ready, got Pending"),
    }
}

/// A reader holding owned data and, behind it, a queued shared chunk (so
/// that `spare_capacity` also has to move queued bytes).
fn reader_with_queued_chunk(limit: usize) -> (R, Vec<u8>) {
    let mut r = R::new(limit).unwrap();
    let shared = Bytes::from(vec![b'q'; 2048]);
    r.feed(b"owned ").unwrap();
    r.feed_bytes(shared.slice(..1024)).unwrap();
    let mut want = b"owned ".to_vec();
    want.extend_from_slice(&shared[..1024]);
    (r, want)
}

#[test]
fn spare_capacity_of_huge_sizes_is_clamped() {
    for min in HUGE.into_iter().chain([MAX_SPARE_CAPACITY + 1]) {
        let mut r = R::default();
        let room = r.spare_capacity(min);
        assert!(
            room.len() >= MAX_SPARE_CAPACITY,
            "spare_capacity({min}): {}",
            room.len()
        );
        room[..5].copy_from_slice(b"hello");
        r.commit(5).unwrap();
        assert_eq!(&*r.buffered(), b"hello");
        // Asking again keeps what was committed and clamps again.
        let room = r.spare_capacity(min);
        assert!(room.len() >= MAX_SPARE_CAPACITY);
        let n = room.len();
        room[n - 1] = b'!';
        r.commit(n).unwrap();
        assert_eq!(r.len(), 5 + n);
        assert!(r.buffered().starts_with(b"hello"));
        assert_eq!(r.buffered().last(), Some(&b'!'));
    }
}

#[test]
fn spare_capacity_up_to_the_clamp_is_honoured() {
    let mut r = R::default();
    assert!(r.spare_capacity(MAX_SPARE_CAPACITY).len() >= MAX_SPARE_CAPACITY);
    assert!(r.spare_capacity(0).len() >= MAX_SPARE_CAPACITY);
}

#[test]
fn spare_capacity_of_huge_sizes_keeps_buffered_and_queued_bytes() {
    for min in HUGE {
        let (mut r, mut want) = reader_with_queued_chunk(16);
        let room = r.spare_capacity(min);
        assert!(!room.is_empty(), "spare_capacity({min})");
        room[..3].copy_from_slice(b"end");
        r.commit(3).unwrap();
        want.extend_from_slice(b"end");
        assert_eq!(&*r.buffered(), &want[..]);
        assert_eq!(r.take_buffered(), want);
    }
}

#[test]
fn commit_of_huge_sizes_is_a_typed_error_and_takes_nothing() {
    for n in HUGE {
        let mut r = R::new(8).unwrap();
        r.feed(b"kept").unwrap();
        // Without room handed out, and with some.
        assert_eq!(
            r.commit(n),
            Err(ReadError::InvalidArgument(InvalidArgument::CommitOverflow))
        );
        let room = r.spare_capacity(16).len();
        assert_eq!(
            r.commit(n.max(room + 1)),
            Err(ReadError::InvalidArgument(InvalidArgument::CommitOverflow))
        );
        assert_eq!(&*r.buffered(), b"kept");
        assert!(!r.reading_paused());
        // Chunks queued between the room and the commit.
        let (mut r, want) = reader_with_queued_chunk(8);
        let room = r.spare_capacity(16).len();
        r.feed_bytes(Bytes::from(vec![b'z'; 1024])).unwrap();
        assert_eq!(
            r.commit(n.max(room + 1)),
            Err(ReadError::InvalidArgument(InvalidArgument::CommitOverflow))
        );
        assert_eq!(r.len(), want.len() + 1024);
    }
}

#[test]
fn reads_of_huge_sizes_do_not_panic() {
    for n in HUGE {
        let (mut r, want) = reader_with_queued_chunk(16);
        assert_eq!(ready(r.read(n)).unwrap(), want);
        assert!(r.read(n).is_pending());
        assert!(r.readexactly(n).is_pending());
        assert!(!r.reading_paused());
        let (mut r, want) = reader_with_queued_chunk(16);
        assert!(r.readexactly(n).is_pending());
        r.feed_eof();
        assert_eq!(
            ready(r.readexactly(n)),
            Err(ReadError::Incomplete {
                partial: want.into(),
                expected: Some(n),
            })
        );
        assert_eq!(ready(r.read(n)).unwrap(), "");
    }
}

#[test]
fn huge_limits_do_not_panic() {
    for limit in HUGE {
        let (mut r, mut want) = reader_with_queued_chunk(limit);
        assert_eq!(r.limit(), limit);
        assert!(!r.reading_paused());
        assert!(r.readline().is_pending());
        assert!(r.readuntil(b"\r\n").is_pending());
        let list: &[&[u8]] = &[b"<end>", b"\r\n\r\n"];
        assert!(r.readuntil(list).is_pending());
        assert!(r.readline_borrowed().is_pending());
        assert!(r.readuntil_borrowed(list).is_pending());
        let room = r.spare_capacity(limit);
        room[..1].copy_from_slice(b"\n");
        r.commit(1).unwrap();
        want.push(b'\n');
        assert!(!r.reading_paused());
        assert_eq!(ready(r.readline()).unwrap(), want);
        r.feed(b"a\r\n\r\nb\n").unwrap();
        assert_eq!(ready(r.readuntil_borrowed(list)).unwrap(), b"a\r\n\r\n");
        assert_eq!(ready(r.readline_borrowed()).unwrap(), b"b\n");
        r.feed(b"tail").unwrap();
        r.feed_eof();
        assert_eq!(
            ready(r.readuntil(list)),
            Err(ReadError::Incomplete {
                partial: "tail".into(),
                expected: None,
            })
        );
        assert!(r.at_eof());
    }
}

#[test]
fn ops_with_the_largest_sizes_do_not_panic() {
    for n in [i64::MAX, i64::MAX - 1, i64::MIN, i64::MIN + 1, -1] {
        let (mut r, want) = reader_with_queued_chunk(16);
        r.feed_eof();
        let got = ready(r.poll_op(&Op::Read(n)));
        assert_eq!(got, Ok(Outcome::Data(want.into())), "read({n})");
        let got = ready(r.poll_op(&Op::ReadExactly(n)));
        if n < 0 {
            assert_eq!(got, Err(InvalidArgument::NegativeSize.into()));
        } else {
            assert!(matches!(got, Err(ReadError::Incomplete { .. })), "{got:?}");
        }
    }
}
