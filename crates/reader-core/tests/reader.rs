//! Behaviour of `Reader` that the conformance traces cannot show: flow
//! control decisions, abandoned reads, hand-back, and hostile arguments.

use reader_core::{InvalidArgument, Op, Outcome, ReadError, Reader};
use std::task::Poll;

type R = Reader<&'static str>;

fn ready<T: std::fmt::Debug>(p: Poll<T>) -> T {
    match p {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("expected Ready, got Pending"),
    }
}

#[test]
fn pause_and_resume_have_asyncios_hysteresis() {
    let mut r = R::new(10).unwrap();
    r.feed(&[b'x'; 20]).unwrap();
    assert!(!r.reading_paused(), "20 bytes is not more than 2 * limit");
    r.feed(b"x").unwrap();
    assert!(r.reading_paused(), "21 bytes is");
    assert_eq!(ready(r.read(5)).unwrap().len(), 5);
    assert!(r.reading_paused(), "16 bytes left: still above the limit");
    assert_eq!(ready(r.read(6)).unwrap().len(), 6);
    assert!(!r.reading_paused(), "10 bytes left: at the limit, resume");
}

#[test]
fn a_read_that_must_wait_resumes_reading() {
    let mut r = R::new(4).unwrap();
    r.feed(&[b'x'; 9]).unwrap();
    assert!(r.reading_paused());
    // readexactly(n > 2 * limit) would deadlock if waiting kept it paused.
    assert!(r.readexactly(100).is_pending());
    assert!(!r.reading_paused());
    r.feed(&[b'y'; 91]).unwrap();
    assert_eq!(ready(r.readexactly(100)).unwrap().len(), 100);
}

#[test]
fn an_abandoned_read_consumes_nothing() {
    let mut r = R::new(64).unwrap();
    r.feed(b"abc").unwrap();
    assert!(r.readexactly(5).is_pending());
    assert!(r.readuntil(b"!").is_pending());
    assert!(r.read_to_eof().is_pending());
    // Each of those was abandoned; the bytes are all still there.
    r.feed(b"\nrest").unwrap();
    assert_eq!(ready(r.readline()).unwrap(), "abc\n");
    assert_eq!(ready(r.read(100)).unwrap(), "rest");
}

#[test]
fn read_to_eof_gathers_without_holding_reading_paused() {
    let mut r = R::new(4).unwrap();
    assert!(r.read_to_eof().is_pending());
    for _ in 0..10 {
        r.feed(b"0123456789").unwrap(); // more than 2 * limit each time
        assert!(r.reading_paused());
        assert!(r.read_to_eof().is_pending());
        assert!(!r.reading_paused(), "gathered bytes do not count");
    }
    r.feed_eof();
    assert_eq!(ready(r.read_to_eof()).unwrap().len(), 100);
    assert!(r.at_eof());
}

#[test]
fn an_error_during_read_to_eof_hides_the_gathered_bytes_but_loses_none() {
    let mut r = R::new(4).unwrap();
    assert!(r.read_to_eof().is_pending());
    r.feed(b"gathered").unwrap();
    assert!(r.read_to_eof().is_pending());
    r.set_error("reset");
    assert_eq!(ready(r.read_to_eof()), Err(ReadError::Stored("reset")));
    r.feed_eof();
    // asyncio has drained them into the failed read: at EOF, as it says...
    assert!(r.at_eof());
    // ...but a driver taking the stream over still gets them.
    assert_eq!(r.take_buffered(), "gathered");
}

#[test]
fn hand_back_returns_exactly_the_unconsumed_bytes() {
    let mut r = R::new(64).unwrap();
    r.feed(b"EHLO\r\nSTARTTLS\r\n\x16\x03\x01hello").unwrap();
    assert_eq!(ready(r.readuntil_borrowed(b"\r\n")).unwrap(), b"EHLO\r\n");
    assert_eq!(ready(r.readuntil(b"\r\n")).unwrap(), "STARTTLS\r\n");
    assert_eq!(r.take_buffered(), &b"\x16\x03\x01hello"[..]);
    assert!(r.is_empty());
    assert!(r.readline().is_pending());
}

#[test]
fn a_different_separator_searches_from_the_start() {
    let mut r = R::new(64).unwrap();
    r.feed(b"a;bcdef").unwrap();
    assert!(r.readuntil(b"\n").is_pending()); // searched the whole buffer
    assert_eq!(ready(r.readuntil(b";")).unwrap(), "a;");
    let list: &[&[u8]] = &[b"f", b"cd"];
    assert_eq!(ready(r.readuntil(list)).unwrap(), "bcd");
}

#[test]
fn hostile_sizes_do_not_panic() {
    let mut r = R::new(usize::MAX).unwrap();
    r.feed(b"abc").unwrap();
    assert!(!r.reading_paused());
    assert_eq!(ready(r.read(usize::MAX)).unwrap(), "abc");
    assert!(r.readexactly(usize::MAX).is_pending());
    let long: &[u8] = &[b'x'; 1000];
    let list: &[&[u8]] = &[long, b"y"];
    assert!(r.readuntil(list).is_pending());
    r.feed(b"tail").unwrap();
    r.feed_eof();
    assert_eq!(
        ready(r.readexactly(usize::MAX)),
        Err(ReadError::Incomplete {
            partial: "tail".into(),
            expected: Some(usize::MAX)
        })
    );
    let mut r = R::new(3).unwrap();
    r.feed_eof();
    let empty = Outcome::Data(Default::default());
    assert_eq!(ready(r.poll_op(&Op::Read(i64::MIN))), Ok(empty.clone()));
    assert_eq!(ready(r.poll_op(&Op::Read(i64::MAX))), Ok(empty));
    assert_eq!(
        ready(r.poll_op(&Op::ReadExactly(i64::MAX))),
        Err(ReadError::Incomplete {
            partial: Default::default(),
            expected: Some(usize::try_from(i64::MAX).unwrap_or(usize::MAX)),
        })
    );
    assert_eq!(
        ready(r.poll_op(&Op::ReadExactly(i64::MIN))),
        Err(InvalidArgument::NegativeSize.into())
    );
}

#[test]
fn bad_inputs_are_typed_errors_and_take_nothing() {
    assert_eq!(R::new(0).unwrap_err(), InvalidArgument::ZeroLimit);
    let mut r = R::new(8).unwrap();
    let room = r.spare_capacity(4).len();
    assert_eq!(
        r.commit(room + 1),
        Err(ReadError::InvalidArgument(InvalidArgument::CommitOverflow))
    );
    assert!(r.is_empty());
    r.feed(b"kept").unwrap();
    r.feed_eof();
    assert_eq!(r.feed(b""), Err(ReadError::FeedAfterEof));
    assert_eq!(r.feed(b"more"), Err(ReadError::FeedAfterEof));
    assert_eq!(r.feed_bytes("more".into()), Err(ReadError::FeedAfterEof));
    assert_eq!(r.commit(0), Err(ReadError::FeedAfterEof));
    assert_eq!(&*r.buffered(), b"kept");
    // Argument errors come before the stored error, as in asyncio.
    r.set_error("boom");
    assert_eq!(
        ready(r.readuntil(b"")),
        Err(InvalidArgument::EmptySeparator.into())
    );
    let none: &[&[u8]] = &[];
    assert_eq!(
        ready(r.readuntil(none)),
        Err(InvalidArgument::NoSeparators.into())
    );
    assert_eq!(ready(r.read(0)), Err(ReadError::Stored("boom")));
    assert_eq!(ready(r.readexactly(0)), Err(ReadError::Stored("boom")));
    assert_eq!(ready(r.poll_op(&Op::AtEof)), Ok(Outcome::AtEof(false)));
    assert_eq!(r.take_buffered(), "kept");
}

#[test]
fn a_megabyte_line_arriving_bytewise() {
    // Quadratic rescanning would take minutes here; the search memo keeps
    // it linear. (No timing assertion: a regression shows as a slow test.)
    let limit = 1 << 20;
    let mut r = R::new(limit).unwrap();
    for _ in 0..limit {
        r.feed(b"x").unwrap();
        assert!(r.readuntil(b"\r\n").is_pending());
    }
    r.feed(b"\r").unwrap();
    assert!(r.readuntil(b"\r\n").is_pending());
    r.feed(b"\n").unwrap();
    assert_eq!(ready(r.readuntil(b"\r\n")).unwrap().len(), limit + 2);
}

#[test]
fn read_at_eof_with_nothing_left_resumes_reading() {
    // Found by the differential test: asyncio's read(n) applies its resume
    // rule even when it returns nothing at EOF.
    let mut r = R::new(1).unwrap();
    r.feed(b"c\n\n").unwrap();
    r.feed_eof();
    assert!(r.reading_paused());
    assert!(ready(r.readexactly(33)).is_err()); // Incomplete: no resume rule
    assert!(r.reading_paused());
    assert_eq!(ready(r.read(2)).unwrap(), "");
    assert!(!r.reading_paused());
}

/// Big enough for `feed_bytes` to queue it rather than copy it.
const QUEUED: usize = 4096;

/// `n` bytes of `fill` followed by `tail`, as one `Bytes`.
fn chunk(n: usize, fill: u8, tail: &[u8]) -> reader_core::Bytes {
    let mut v = vec![fill; n];
    v.extend_from_slice(tail);
    v.into()
}

#[test]
fn feed_bytes_lends_lines_from_the_callers_memory() {
    // Two slices of one `Bytes`: the lines inside each are lent in place,
    // the line straddling the two is copied once, and the memory is never
    // written to.
    let mut data = Vec::new();
    for i in 0..200u8 {
        data.extend_from_slice(&[b'a' + i % 26; 39]);
        data.push(b'\n');
    }
    let all = reader_core::Bytes::from(data.clone());
    let range = all.as_ptr_range();
    let cut = 4010; // inside the 101st line
    let mut r = R::new(1 << 16).unwrap();
    r.feed_bytes(all.slice(..cut)).unwrap();
    r.feed_bytes(all.slice(cut..)).unwrap();
    assert_eq!(r.len(), data.len());
    assert_eq!(&*r.buffered(), &data[..]);
    let mut in_place = 0;
    for i in 0..200 {
        let line = ready(r.readline_borrowed()).unwrap();
        assert_eq!(line, &data[i * 40..i * 40 + 40]);
        if range.contains(&line.as_ptr()) {
            in_place += 1;
        }
    }
    assert_eq!(in_place, 199, "only the straddling line is a copy");
    assert!(r.readline_borrowed().is_pending());
    assert_eq!(&all[..], &data[..]);
}

#[test]
fn separators_straddling_queued_chunks() {
    let mut r = R::new(1 << 16).unwrap();
    r.feed_bytes(chunk(QUEUED, b'x', b"\r")).unwrap();
    r.feed_bytes(chunk(
        0,
        b'y',
        &[b"\nrest".as_slice(), &[b'y'; QUEUED]].concat(),
    ))
    .unwrap();
    let line = ready(r.readuntil_borrowed(b"\r\n")).unwrap();
    assert_eq!(line.len(), QUEUED + 2);
    assert!(line.ends_with(b"x\r\n"));
    // A separator list: the short one inside the next chunk ends first.
    let mut r = R::new(1 << 16).unwrap();
    r.feed_bytes(chunk(QUEUED, b'x', b"AB")).unwrap();
    r.feed_bytes(chunk(
        0,
        b'y',
        &[b"C;D".as_slice(), &[b'y'; QUEUED]].concat(),
    ))
    .unwrap();
    let list: &[&[u8]] = &[b"ABC;D", b";"];
    assert_eq!(ready(r.readuntil(list)).unwrap().len(), QUEUED + 4);
    // The long one was cut in two by that read: never found.
    assert!(r.readuntil(b"ABC;D").is_pending());
}

#[test]
fn limits_count_every_queued_byte() {
    // No separator in the first chunks: asyncio's "not found" overrun
    // counts the whole buffer.
    let mut r = R::new(100).unwrap();
    r.feed_bytes(chunk(QUEUED, b'x', b"")).unwrap();
    r.feed_bytes(chunk(QUEUED, b'y', b"")).unwrap();
    assert_eq!(
        ready(r.readuntil(b"\r\n")),
        Err(ReadError::LimitOverrun {
            consumed: 2 * QUEUED - 1,
            separator_found: false
        })
    );
    assert_eq!(r.len(), 2 * QUEUED, "an overrun takes nothing");
    // A separator in a later chunk: the "found" overrun, at its offset.
    r.feed_bytes(chunk(QUEUED, b'z', b"\r\n")).unwrap();
    assert_eq!(
        ready(r.readuntil(b"\r\n")),
        Err(ReadError::LimitOverrun {
            consumed: 3 * QUEUED,
            separator_found: true
        })
    );
    // readline drops the over-long line through its newline, across chunks.
    let mut r = R::new(100).unwrap();
    r.feed_bytes(chunk(QUEUED, b'x', b"")).unwrap();
    r.feed_bytes(chunk(QUEUED, b'y', b"\nnext\n")).unwrap();
    r.feed(b"last\n").unwrap();
    assert_eq!(
        ready(r.readline()),
        Err(ReadError::LineTooLong {
            discarded: 2 * QUEUED + 1,
            separator_found: true
        })
    );
    assert_eq!(ready(r.readline()).unwrap(), "next\n");
    assert_eq!(ready(r.readline_borrowed()).unwrap(), b"last\n");
}

#[test]
fn reads_and_hand_back_span_queued_chunks() {
    let mut r = R::new(16).unwrap();
    r.feed(b"head").unwrap();
    r.feed_bytes(chunk(QUEUED, b'x', b"")).unwrap();
    r.feed(b"tail").unwrap();
    r.feed_bytes(chunk(QUEUED, b'y', b"")).unwrap();
    assert!(r.reading_paused());
    assert_eq!(ready(r.readexactly(6)).unwrap(), "headxx");
    let part = ready(r.read(QUEUED)).unwrap();
    assert_eq!(part.len(), QUEUED);
    assert!(part.ends_with(b"xxta"));
    let rest = r.take_buffered();
    assert_eq!(rest.len(), QUEUED + 2);
    assert!(rest.starts_with(b"ilyy"));
    assert!(r.is_empty() && !r.reading_paused());
    // read_to_eof gathers everything in one piece.
    r.feed_bytes(chunk(QUEUED, b'a', b"")).unwrap();
    r.feed(b"b").unwrap();
    r.feed_eof();
    let all = ready(r.read_to_eof()).unwrap();
    assert_eq!(all.len(), QUEUED + 1);
    assert!(r.at_eof());
}
