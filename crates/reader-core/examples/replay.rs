//! Replays reader traces from standard input and prints what `reader-core`
//! returned, one JSON line per case (`shared/conformance/TRACE-FORMAT.md`):
//!
//! ```text
//! cargo run --release -p reader-core --example replay < trace.jsonl
//! ```
//!
//! With `--check`, it compares each case with its `expect` list instead,
//! prints the cases that differ and a summary, and exits non-zero unless
//! every case matches.

#[path = "../tests/trace/mod.rs"]
mod trace;

use serde_json::json;
use std::io::{Read, Write};

fn main() {
    let check = std::env::args().any(|a| a == "--check");
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("replay: cannot read standard input: {e}");
        std::process::exit(2);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut passed, mut failed) = (0usize, 0usize);
    for (case, got) in trace::replay_lines(&input) {
        let name = case.get("name").cloned().unwrap_or(json!(null));
        let got = match got {
            Ok(got) => got,
            Err(e) => {
                failed += 1;
                let _ = writeln!(out, "{}", json!({ "name": name, "error": e }));
                continue;
            }
        };
        if !check {
            let _ = writeln!(out, "{}", json!({ "name": name, "got": got }));
            continue;
        }
        if case.get("expect") == Some(&json!(got)) {
            passed += 1;
        } else {
            failed += 1;
            let line = json!({ "name": name, "expect": case.get("expect"), "got": got });
            let _ = writeln!(out, "{line}");
        }
    }
    if check {
        let _ = writeln!(out, "{passed} passed, {failed} failed");
    }
    let _ = out.flush();
    if failed > 0 {
        std::process::exit(1);
    }
}
