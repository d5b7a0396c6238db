//! What some tests need from outside this crate: the conformance sample
//! recorded from CPython (`shared/conformance/sample.jsonl`, in the
//! project's `shared/` directory beside the workspace), the checked-in
//! fuzz corpus (`fuzz/corpus/ops/` in the workspace) and a Python
//! interpreter. The published package ships none of them, so there these
//! tests print why they skip and pass. The project's CI sets
//! `REQUIRE_PROJECT_FILES=1`, which makes anything missing a failure: in
//! a checkout they cannot skip silently.
#![allow(dead_code)] // each test crate uses part of this module

use std::fmt::Display;
use std::io::Write;
use std::path::PathBuf;

/// The variable that turns a skip into a failure.
pub const REQUIRE: &str = "REQUIRE_PROJECT_FILES";

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Reports that `test` cannot run because `why`: a failure under
/// [`REQUIRE`], otherwise a line on stderr (past the harness's capture, so
/// it shows in every log) and a skip.
pub fn skip(test: &str, why: impl Display) {
    if std::env::var_os(REQUIRE).is_some_and(|v| v == "1") {
        panic!("{test}: {why} ({REQUIRE}=1)");
    }
    let _ = writeln!(
        std::io::stderr(),
        "skipped {test}: {why} (outside a checkout of the project; {REQUIRE}=1 makes this fail)"
    );
}

/// The conformance sample's text, or `None` after [`skip`].
pub fn sample(test: &str) -> Option<String> {
    // The workspace sits in `main/`, with `shared/` beside it.
    let path = manifest_dir().join("../../../shared/conformance/sample.jsonl");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) => {
            skip(test, format_args!("cannot read {}: {e}", path.display()));
            None
        }
    }
}

/// The fuzz corpus directory, or `None` after [`skip`].
pub fn fuzz_corpus(test: &str) -> Option<PathBuf> {
    let dir = manifest_dir().join("../../fuzz/corpus/ops");
    if dir.is_dir() {
        Some(dir)
    } else {
        skip(test, format_args!("no directory {}", dir.display()));
        None
    }
}
