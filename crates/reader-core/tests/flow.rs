//! The `Reader` pauses and resumes exactly when `reader_core::flow` says.

use reader_core::flow::{should_pause, should_resume};
use reader_core::Reader;
use std::task::Poll;

#[test]
fn reader_follows_the_flow_rule_byte_by_byte() {
    for limit in [1, 2, 3, 7, 10] {
        let mut r: Reader<()> = Reader::new(limit).unwrap();
        let mut paused = false;
        for _ in 0..5 * limit {
            r.feed(b"x").unwrap();
            paused = paused || should_pause(r.len(), limit);
            assert_eq!(r.reading_paused(), paused, "feed: {}/{limit}", r.len());
        }
        assert!(paused);
        while !r.is_empty() {
            assert!(matches!(r.read(1), Poll::Ready(Ok(_))));
            paused = paused && !should_resume(r.len(), limit);
            assert_eq!(r.reading_paused(), paused, "read: {}/{limit}", r.len());
        }
        assert!(!paused);
    }
}

#[test]
fn reader_follows_the_flow_rule_with_large_limits() {
    for limit in [usize::MAX, usize::MAX - 1, usize::MAX / 2 + 1] {
        let mut r: Reader<()> = Reader::new(limit).unwrap();
        r.feed(&[b'x'; 4096]).unwrap();
        assert_eq!(r.reading_paused(), should_pause(r.len(), limit));
        assert!(!r.reading_paused());
    }
}
