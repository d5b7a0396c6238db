//! Replays the checked-in fuzz corpus (`fuzz/corpus/ops/`) through the
//! fuzz target's checker (`tests/model/checker.rs`), so that CI without
//! nightly or cargo-fuzz still runs every sequence the fuzzer kept.

mod model;
mod outside;

use model::checker::Reset;
use reader_core::Reader;
use std::panic;
use std::path::PathBuf;
use std::task::Poll;

#[test]
fn corpus_replays_cleanly() {
    let Some(dir) = outside::fuzz_corpus("corpus_replays_cleanly") else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 20, "corpus too small: {} files", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let data = std::fs::read(path).unwrap();
        if let Err(e) = panic::catch_unwind(|| model::run_bytes(&data)) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}: {msg}", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus files fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// Deterministic pseudo-random inputs on top of the corpus: a few thousand
/// sequences the fuzzer may not have kept.
#[test]
fn pseudo_random_sequences() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..3000 {
        let len = (next() % 512) as usize;
        let data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        model::run_bytes(&data);
    }
}

/// Found by the fuzzer: the borrowed reads applied the resume rule before
/// consuming the chunk, so reading stayed paused with at most `limit` bytes
/// left. asyncio resumes (spec 4.5), and so does the owned `readline`.
#[test]
fn borrowed_reads_resume_like_owned_reads() {
    // Limit 3, 7 bytes buffered (paused); taking a 4-byte line leaves 3.
    let mut r = Reader::<Reset>::new(3).unwrap();
    r.feed(b"bab\nxxa").unwrap();
    assert!(r.reading_paused());
    assert_eq!(r.readline_borrowed(), Poll::Ready(Ok(&b"bab\n"[..])));
    assert!(!r.reading_paused(), "readline_borrowed resumes");
    let mut r = Reader::<Reset>::new(3).unwrap();
    r.feed(b"bab\nxxa").unwrap();
    assert_eq!(r.readuntil_borrowed(b"\n"), Poll::Ready(Ok(&b"bab\n"[..])));
    assert!(!r.reading_paused(), "readuntil_borrowed resumes");
    let mut r = Reader::<Reset>::new(3).unwrap();
    r.feed(b"bab\nxxa").unwrap();
    assert_eq!(r.readline(), Poll::Ready(Ok("bab\n".into())));
    assert!(!r.reading_paused(), "the owned readline resumes");
}
