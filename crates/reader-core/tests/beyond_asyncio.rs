//! What `Reader` offers beyond asyncio: `set_limit` on a live reader,
//! `discard` without allocating, and `fill_buf` (the buffered bytes lent
//! in place).

use reader_core::{Bytes, InvalidArgument, ReadError, Reader};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::task::Poll;

type R = Reader<&'static str>;

fn ready<T: std::fmt::Debug>(p: Poll<T>) -> T {
    match p {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("expected Ready, got Pending"),
    }
}

/// Counts this thread's allocations while `COUNTING` is set.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCS.with(|a| a.set(a.get() + 1));
        }
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCS.with(|a| a.set(a.get() + 1));
        }
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// How many allocations `f` made on this thread.
fn allocations<T>(f: impl FnOnce() -> T) -> (T, usize) {
    ALLOCS.with(|a| a.set(0));
    COUNTING.with(|c| c.set(true));
    let out = f();
    COUNTING.with(|c| c.set(false));
    (out, ALLOCS.with(Cell::get))
}

#[test]
fn a_lower_limit_applies_to_the_next_line() {
    let mut r = R::new(64).unwrap();
    r.feed(b"short\na line of twenty\n").unwrap();
    r.set_limit(8).unwrap();
    assert_eq!(r.limit(), 8);
    assert_eq!(ready(r.readline()).unwrap(), "short\n");
    assert_eq!(
        ready(r.readline()),
        Err(ReadError::LineTooLong {
            discarded: 17,
            separator_found: true
        })
    );
    r.set_limit(64).unwrap();
    r.feed(b"a line of twenty\n").unwrap();
    assert_eq!(ready(r.readline()).unwrap(), "a line of twenty\n");
}

#[test]
fn set_limit_moves_flow_control_at_once() {
    let mut r = R::new(100).unwrap();
    r.feed(&[b'x'; 50]).unwrap();
    assert!(!r.reading_paused());
    r.set_limit(10).unwrap();
    assert!(r.reading_paused(), "50 > 2 * 10: pause now");
    r.set_limit(30).unwrap();
    assert!(
        r.reading_paused(),
        "30 < 50 <= 60: the band keeps the state"
    );
    r.set_limit(50).unwrap();
    assert!(!r.reading_paused(), "50 <= 50: resume now");
}

#[test]
fn a_zero_limit_is_refused_and_changes_nothing() {
    let mut r = R::new(10).unwrap();
    r.feed(&[b'x'; 21]).unwrap();
    assert_eq!(r.set_limit(0), Err(InvalidArgument::ZeroLimit));
    assert_eq!(r.limit(), 10);
    assert!(r.reading_paused());
}

#[test]
fn discard_skips_an_overrun_and_the_search_goes_on() {
    let mut r = R::new(8).unwrap();
    r.feed(b"0123456789abcdef").unwrap();
    let Err(ReadError::LimitOverrun { consumed, .. }) = ready(r.readuntil(b";")) else {
        panic!("expected an overrun")
    };
    assert_eq!(consumed, 16);
    assert_eq!(r.discard(consumed), 16);
    r.feed(b"tail;next").unwrap();
    assert_eq!(ready(r.readuntil(b";")).unwrap(), "tail;");
    assert_eq!(r.discard(100), 4, "only what is buffered");
    assert!(r.is_empty());
    assert_eq!(r.discard(1), 0);
}

#[test]
fn discard_allocates_nothing() {
    // Owned bytes, then a queued chunk: discarding through both.
    let mut r = R::new(1 << 20).unwrap();
    r.feed(&[b'a'; 3000]).unwrap();
    r.feed_bytes(Bytes::from(vec![b'b'; 8192])).unwrap();
    r.feed_bytes(Bytes::from(vec![b'c'; 8192])).unwrap();
    let (n, allocs) = allocations(|| r.discard(3000 + 8192 + 100));
    assert_eq!(n, 3000 + 8192 + 100);
    assert_eq!(allocs, 0, "discard must not allocate");
    assert_eq!(r.len(), 8092);
    assert_eq!(ready(r.read(1)).unwrap(), "c");
}

#[test]
fn discard_resumes_reading_at_the_limit() {
    let mut r = R::new(10).unwrap();
    r.feed(&[b'x'; 30]).unwrap();
    assert!(r.reading_paused());
    r.discard(15);
    assert!(r.reading_paused(), "15 left, above the limit");
    r.discard(5);
    assert!(!r.reading_paused(), "10 left: resume");
}

#[test]
fn discard_after_an_error_and_during_read_to_eof() {
    // Bytes gathered by a read_to_eof that an error interrupted are in
    // front; discarding them keeps at_eof consistent.
    let mut r = R::new(4).unwrap();
    assert!(r.read_to_eof().is_pending());
    r.feed(b"gathered").unwrap();
    assert!(r.read_to_eof().is_pending());
    r.set_error("reset");
    r.feed_eof();
    assert!(r.at_eof());
    assert_eq!(r.discard(3), 3);
    assert!(r.at_eof());
    assert_eq!(r.take_buffered(), "hered");

    // No error: discarding abandons the waiting read_to_eof's count.
    let mut r = R::new(4).unwrap();
    assert!(r.read_to_eof().is_pending());
    r.feed(b"0123456789").unwrap();
    assert!(r.reading_paused());
    assert!(r.read_to_eof().is_pending());
    assert!(!r.reading_paused(), "gathered bytes do not count");
    r.discard(2);
    r.feed(b"z").unwrap();
    assert!(r.reading_paused(), "the 9 left count again: above 2 * 4");
    r.feed_eof();
    assert_eq!(ready(r.read_to_eof()).unwrap(), "23456789z");
}

#[test]
fn fill_buf_lends_without_consuming() {
    let mut r = R::new(16).unwrap();
    assert!(r.fill_buf().is_pending());
    r.feed(b"hello\n").unwrap();
    assert_eq!(ready(r.fill_buf()).unwrap(), b"hello\n");
    assert_eq!(ready(r.fill_buf()).unwrap(), b"hello\n", "twice the same");
    assert_eq!(ready(r.readline()).unwrap(), "hello\n");
    assert!(r.fill_buf().is_pending());
}

#[test]
fn fill_buf_lends_one_piece_at_a_time() {
    let first = Bytes::from(vec![b'1'; 4096]);
    let mut r = R::new(1 << 16).unwrap();
    r.feed_bytes(first.clone()).unwrap();
    r.feed_bytes(Bytes::from(vec![b'2'; 4096])).unwrap();
    let piece = ready(r.fill_buf()).unwrap();
    assert_eq!(piece.len(), 4096);
    assert_eq!(piece.as_ptr(), first.as_ptr(), "lent in place");
    r.discard(4000);
    assert_eq!(ready(r.fill_buf()).unwrap().len(), 96);
    r.discard(96);
    assert_eq!(ready(r.fill_buf()).unwrap(), &[b'2'; 4096][..]);
}

#[test]
fn fill_buf_at_eof_and_after_an_error() {
    let mut r = R::new(16).unwrap();
    r.feed(b"x").unwrap();
    r.feed_eof();
    assert_eq!(ready(r.fill_buf()).unwrap(), b"x");
    r.discard(1);
    assert_eq!(ready(r.fill_buf()).unwrap(), b"", "EOF: empty");
    assert_eq!(ready(r.fill_buf()).unwrap(), b"", "and again");

    let mut r = R::new(16).unwrap();
    r.feed(b"buffered").unwrap();
    r.set_error("reset");
    assert_eq!(ready(r.fill_buf()), Err(ReadError::Stored("reset")));
    assert_eq!(r.len(), 8, "the bytes stay for take_buffered");
}

#[test]
fn fill_buf_changes_no_flow_control_decision() {
    // Paused in the band between the limit and twice it: lending the
    // bytes keeps the state; consuming them down to the limit resumes.
    let mut r = R::new(4).unwrap();
    r.feed(&[b'x'; 9]).unwrap();
    assert!(r.reading_paused());
    r.discard(4);
    assert!(r.reading_paused());
    assert_eq!(ready(r.fill_buf()).unwrap().len(), 5);
    assert!(r.reading_paused());
    r.discard(1);
    assert!(!r.reading_paused());
}
