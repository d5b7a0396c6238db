//! Differential tests against the real CPython.
//!
//! A seeded generator writes random traces (`shared/conformance/
//! TRACE-FORMAT.md`) that lean on the hard parts: lines around the limit,
//! separators split across feeds, separator lists with overlapping members,
//! bad arguments, stored errors, EOF at random points, and the pause/resume
//! thresholds. The whole batch runs once through CPython's own
//! `asyncio.StreamReader` (`tests/cpython/oracle.py`) and through
//! reader-core; results and the per-step `[reading_paused, at_eof]`
//! observations must agree.
//!
//! Each run uses a new seed, printed at the start; environment variables:
//!
//! * `DIFF_SEED=<u64>` replays a run,
//! * `DIFF_CASES=<n>` changes the batch size (default 3,000),
//! * `DIFF_PYTHON=<path>` picks the interpreter (default: the newest 3.13,
//!   else 3.12, under `$PYENV_ROOT` or `~/.pyenv`, else `python3`).
//!
//! On a mismatch the failing cases, and shrunk versions of the first few,
//! are written under the system temp dir as a trace file whose `expect`
//! lists are CPython's, so `cargo run -p reader-core --example replay --
//! --check < FILE` replays them.

#[path = "differential/gen.rs"]
mod gen;
mod outside;
mod trace;

use gen::{generate, Rng};

use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const DEFAULT_CASES: usize = 3000;

/// Writes straight to the process's stderr, past the test harness's output
/// capture, so the interpreter and the seed show up in every CI log.
fn announce(msg: &str) {
    let _ = writeln!(std::io::stderr(), "{msg}");
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn seed() -> u64 {
    if let Ok(s) = std::env::var("DIFF_SEED") {
        return s
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("DIFF_SEED={s:?} is not a u64: {e}"));
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    Rng(nanos ^ u64::from(std::process::id()).rotate_left(32)).next()
}

// ----- the interpreter ---------------------------------------------------

struct Python {
    path: PathBuf,
    version: (u32, u32, u32),
}

impl Python {
    /// Python 3.13 takes a tuple of separators.
    fn tuples(&self) -> bool {
        (self.version.0, self.version.1) >= (3, 13)
    }

    fn describe(&self) -> String {
        let (a, b, c) = self.version;
        format!("Python {a}.{b}.{c} at {}", self.path.display())
    }
}

/// `DIFF_PYTHON`, else the newest pyenv 3.13.x, else 3.12.x, else
/// `python3`; `None` (after [`outside::skip`]) when there is no
/// `python3` at all and none was asked for.
fn find_python(test: &str) -> Option<Python> {
    let asked = std::env::var_os("DIFF_PYTHON").map(PathBuf::from);
    let fallback = asked.is_none();
    let path = asked
        .or_else(pyenv_python)
        .unwrap_or_else(|| PathBuf::from("python3"));
    let out = match Command::new(&path)
        .args(["-c", "import sys; print(*sys.version_info[:3])"])
        .output()
    {
        Ok(out) => out,
        Err(e) if fallback && e.kind() == std::io::ErrorKind::NotFound => {
            outside::skip(test, format_args!("no {} to run: {e}", path.display()));
            return None;
        }
        Err(e) => panic!("cannot run {}: {e}", path.display()),
    };
    assert!(
        out.status.success(),
        "{} failed: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let parts: Vec<u32> = text
        .split_whitespace()
        .map(|p| p.parse().expect("version number"))
        .collect();
    assert_eq!(parts.len(), 3, "odd version output {text:?}");
    Some(Python {
        path,
        version: (parts[0], parts[1], parts[2]),
    })
}

/// pyenv's layout (`versions/X.Y.Z/bin/python3`) is Unix's: elsewhere
/// (Windows, or Wine, which cannot start the host's Linux binaries) only
/// `DIFF_PYTHON` or a `python3` on the `PATH` is looked for.
fn pyenv_python() -> Option<PathBuf> {
    if !cfg!(unix) {
        return None;
    }
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pyenv")))?;
    let mut found: Vec<((u32, u32), PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(root.join("versions")).ok()?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let nums: Vec<u32> = match name.split('.').map(str::parse).collect() {
            Ok(nums) => nums,
            Err(_) => continue, // 3.13t, pypy, miniconda, ...
        };
        let bin = entry.path().join("bin/python3");
        if nums.len() == 3 && nums[0] == 3 && (nums[1] == 13 || nums[1] == 12) && bin.exists() {
            found.push(((nums[1], nums[2]), bin));
        }
    }
    found.into_iter().max_by_key(|(v, _)| *v).map(|(_, p)| p)
}

/// Runs the whole batch through CPython; one output object per case.
fn run_oracle(py: &Python, cases: &[Value]) -> Vec<Value> {
    let script = manifest_dir().join("tests/cpython/oracle.py");
    let mut child = Command::new(&py.path)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", py.path.display()));
    let mut input = String::new();
    for case in cases {
        input.push_str(&case.to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("piped stdin");
    // Written from another thread so a full stdout pipe cannot deadlock us.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("oracle output");
    let written = writer.join().expect("writer thread");
    // The oracle's own report first: an oracle that died early also
    // breaks the pipe it was being written to.
    assert!(
        out.status.success(),
        "the oracle failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    written.expect("writing to the oracle");
    let results: Vec<Value> = String::from_utf8(out.stdout)
        .expect("UTF-8 from the oracle")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON from the oracle"))
        .collect();
    assert_eq!(
        results.len(),
        cases.len(),
        "the oracle answered {} of {} cases",
        results.len(),
        cases.len()
    );
    results
}

// ----- comparison --------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// CPython could not replay the trace (reader-core's idea of when an
    /// operation is pending, which the generator relies on, was wrong).
    OracleRejected,
    /// reader-core could not replay a trace CPython accepted.
    RustRejected,
    /// The results differ.
    Results,
    /// Same results, different `[paused, at_eof]` observations.
    Observations,
}

struct Failure {
    kind: Kind,
    case: Value,
    oracle: Value,
    rust: Result<(Vec<Value>, Vec<[bool; 2]>), String>,
}

/// How `case` fares: `None` when reader-core agrees with CPython.
fn judge(case: &Value, oracle: &Value) -> Option<Failure> {
    assert_eq!(case["name"], oracle["name"], "oracle answers out of order");
    let rust = trace::replay_case_observed(case);
    let kind = if oracle.get("error").is_some() {
        Kind::OracleRejected
    } else {
        match &rust {
            Err(_) => Kind::RustRejected,
            Ok((got, _)) if Some(&json!(got)) != oracle.get("got") => Kind::Results,
            Ok((_, obs)) if Some(&json!(obs)) != oracle.get("obs") => Kind::Observations,
            Ok(_) => return None,
        }
    };
    Some(Failure {
        kind,
        case: case.clone(),
        oracle: oracle.clone(),
        rust,
    })
}

/// The same case, smaller: greedy removal of ops, shorter feeds and a
/// smaller limit, keeping the same kind of disagreement. Each round runs
/// its candidates through the oracle as one batch.
fn shrink(py: &Python, failure: &Failure) -> Failure {
    let mut best = Failure {
        kind: failure.kind,
        case: failure.case.clone(),
        oracle: failure.oracle.clone(),
        rust: failure.rust.clone(),
    };
    for _round in 0..300 {
        let cands = candidates(&best.case);
        if cands.is_empty() {
            break;
        }
        let answers = run_oracle(py, &cands);
        let smaller = cands
            .iter()
            .zip(&answers)
            .filter_map(|(c, o)| judge(c, o))
            .find(|f| f.kind == best.kind && f.rust.is_ok());
        match smaller {
            Some(f) => best = f,
            None => break,
        }
    }
    best.case["name"] = json!(format!(
        "{}-min",
        failure.case["name"].as_str().unwrap_or("?")
    ));
    best
}

fn candidates(case: &Value) -> Vec<Value> {
    let ops = case["ops"].as_array().cloned().unwrap_or_default();
    let mut out = Vec::new();
    let with_ops = |ops: Vec<Value>| {
        let mut c = case.clone();
        c["ops"] = json!(ops);
        c
    };
    for i in 0..ops.len() {
        let mut fewer = ops.clone();
        fewer.remove(i);
        out.push(with_ops(fewer));
    }
    for (i, op) in ops.iter().enumerate() {
        let Some(hex) = op.get("feed").and_then(Value::as_str) else {
            continue;
        };
        let n = hex.len() / 2;
        if n < 2 {
            continue;
        }
        let half = n / 2 * 2;
        for part in [&hex[..half], &hex[half..], &hex[2..], &hex[..hex.len() - 2]] {
            let mut shorter = ops.clone();
            shorter[i] = json!({ "feed": part });
            out.push(with_ops(shorter));
        }
    }
    if let Some(limit) = case["limit"].as_u64().filter(|&l| l > 1) {
        let mut c = case.clone();
        c["limit"] = json!(limit - 1);
        out.push(c);
    }
    out
}

/// A trace line for the failure file: `expect` is CPython's answer, so the
/// replay example checks it; the rest documents the disagreement.
fn failure_line(f: &Failure) -> Value {
    let mut line = f.case.clone();
    line["kind"] = json!(format!("{:?}", f.kind));
    line["expect"] = f.oracle.get("got").cloned().unwrap_or(Value::Null);
    line["cpython_obs"] = f.oracle.get("obs").cloned().unwrap_or(Value::Null);
    if let Some(e) = f.oracle.get("error") {
        line["cpython_error"] = e.clone();
    }
    match &f.rust {
        Ok((got, obs)) => {
            line["reader_core_got"] = json!(got);
            line["reader_core_obs"] = json!(obs);
        }
        Err(e) => line["reader_core_error"] = json!(e),
    }
    line
}

fn describe(f: &Failure) -> String {
    let mut s = format!(
        "{} ({:?}): limit {}\n  ops:         {}\n",
        f.case["name"].as_str().unwrap_or("?"),
        f.kind,
        f.case["limit"],
        f.case["ops"]
    );
    match f.oracle.get("error") {
        Some(e) => s += &format!("  CPython:     cannot replay: {e}\n"),
        None => {
            s += &format!("  CPython:     {}\n", f.oracle["got"]);
            s += &format!("  CPython obs: {}\n", f.oracle["obs"]);
        }
    }
    match &f.rust {
        Ok((got, obs)) => {
            s += &format!("  reader-core: {}\n", json!(got));
            s += &format!("  r-core obs:  {}\n", json!(obs));
        }
        Err(e) => s += &format!("  reader-core: cannot replay: {e}\n"),
    }
    s
}

/// Runs `cases` through CPython and reader-core; on any disagreement,
/// writes the failure file, prints the first few (shrunk), and panics.
fn check_against_cpython(py: &Python, cases: &[Value], label: &str, rerun: &str) {
    let answers = run_oracle(py, cases);
    let failures: Vec<Failure> = cases
        .iter()
        .zip(&answers)
        .filter_map(|(c, o)| judge(c, o))
        .collect();
    if failures.is_empty() {
        announce(&format!(
            "differential: {label}: {} cases agree with {}",
            cases.len(),
            py.describe()
        ));
        return;
    }
    let shrunk: Vec<Failure> = failures.iter().take(3).map(|f| shrink(py, f)).collect();
    let path = std::env::temp_dir().join(format!(
        "reader-core-differential-{}-{}.jsonl",
        label.replace(|c: char| !c.is_ascii_alphanumeric(), "-"),
        std::process::id()
    ));
    let mut file_text = String::new();
    for f in shrunk.iter().chain(&failures) {
        file_text += &failure_line(f).to_string();
        file_text.push('\n');
    }
    std::fs::write(&path, file_text).expect("writing the failure file");
    let mut msg = format!(
        "{label}: {} of {} cases disagree with {}\n{rerun}\nall failing cases: {}\n\n",
        failures.len(),
        cases.len(),
        py.describe(),
        path.display()
    );
    for f in &shrunk {
        msg += &format!("shrunk:\n{}\n", describe(f));
    }
    for f in failures.iter().take(3) {
        msg += &format!("original:\n{}\n", describe(f));
    }
    panic!("{msg}");
}

/// The sample's cases this interpreter can run; `None` (after
/// [`outside::skip`]) without the sample.
fn sample_cases(py: &Python, test: &str) -> Option<Vec<Value>> {
    let text = outside::sample(test)?;
    let all: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("sample JSON"))
        .collect();
    assert!(all.len() >= 2000, "sample too small: {}", all.len());
    if py.tuples() {
        return Some(all);
    }
    // Before 3.13 readuntil takes one separator only.
    let single = |c: &Value| {
        c["ops"].as_array().into_iter().flatten().all(|op| {
            op.get("readuntil")
                .and_then(Value::as_array)
                .map_or(true, |s| s.len() == 1)
        })
    };
    let kept: Vec<Value> = all.into_iter().filter(single).collect();
    announce(&format!(
        "differential: {} lacks tuple separators; {} single-separator sample cases kept",
        py.describe(),
        kept.len()
    ));
    Some(kept)
}

// ----- the tests ---------------------------------------------------------

/// New random traces every run, through CPython and reader-core.
#[test]
fn random_traces_match_cpython() {
    let Some(py) = find_python("random_traces_match_cpython") else {
        return;
    };
    let seed = seed();
    let count = std::env::var("DIFF_CASES")
        .ok()
        .map(|s| s.trim().parse().expect("DIFF_CASES wants a count"))
        .unwrap_or(DEFAULT_CASES);
    announce(&format!(
        "differential: {count} random cases, seed {seed}, {}{}",
        py.describe(),
        if py.tuples() {
            ""
        } else {
            " (no tuple separators before 3.13)"
        }
    ));
    let cases = generate(seed, count, py.tuples());
    assert_eq!(cases.len(), count);
    let rerun = format!(
        "reproduce: DIFF_SEED={seed} DIFF_CASES={count} DIFF_PYTHON={} \
         cargo test -p reader-core --test differential",
        py.path.display()
    );
    check_against_cpython(&py, &cases, &format!("seed {seed}"), &rerun);
}

/// The oracle itself is faithful: it reproduces every `expect` list of the
/// public sample, which was recorded from CPython independently.
#[test]
fn oracle_reproduces_the_cpython_sample() {
    let test = "oracle_reproduces_the_cpython_sample";
    let Some(py) = find_python(test) else { return };
    let Some(cases) = sample_cases(&py, test) else {
        return;
    };
    let answers = run_oracle(&py, &cases);
    let wrong: Vec<String> = cases
        .iter()
        .zip(&answers)
        .filter(|(c, o)| o.get("got") != c.get("expect"))
        .map(|(c, o)| format!("{}: expected {} oracle {}", c["name"], c["expect"], o))
        .collect();
    assert!(
        wrong.is_empty(),
        "the oracle on {} disagrees with {} of {} sample cases:\n{}",
        py.describe(),
        wrong.len(),
        cases.len(),
        wrong[..wrong.len().min(10)].join("\n")
    );
    // Every op has its observation.
    for (c, o) in cases.iter().zip(&answers) {
        assert_eq!(
            o["obs"].as_array().map(Vec::len),
            c["ops"].as_array().map(Vec::len),
            "{}: one observation per op",
            c["name"]
        );
    }
}

/// Flow control and `at_eof` step by step on the public sample: the
/// sample records results only, the oracle also records observations.
#[test]
fn sample_observations_match_cpython() {
    let test = "sample_observations_match_cpython";
    let Some(py) = find_python(test) else { return };
    let Some(cases) = sample_cases(&py, test) else {
        return;
    };
    check_against_cpython(
        &py,
        &cases,
        "sample",
        "reproduce: cargo test -p reader-core --test differential sample_observations",
    );
}

/// The generator is deterministic per seed and covers what it should.
#[test]
fn generator_is_seeded_and_covers_the_hard_parts() {
    let a = generate(42, 300, true);
    assert_eq!(a, generate(42, 300, true), "same seed, same cases");
    assert_ne!(a, generate(43, 300, true), "another seed, other cases");
    let text = json!(a).to_string();
    for needle in [
        "\"readuntil\":[]",
        "\"readuntil\":[\"\"]",
        "\"fail\":true",
        "\"eof\":true",
        "\"feed\":\"\"",
        "\"readexactly\":-",
        "\"read\":-1",
        "\"read\":0",
        "\"at_eof\":true",
        "\"limit\":1,",
    ] {
        assert!(text.contains(needle), "no {needle} in 300 generated cases");
    }
    let lists = a
        .iter()
        .flat_map(|c| c["ops"].as_array().cloned().unwrap_or_default())
        .filter(|op| op["readuntil"].as_array().is_some_and(|s| s.len() >= 2))
        .count();
    assert!(lists > 50, "only {lists} separator lists");
    // Before 3.13, one separator per readuntil.
    for c in generate(42, 300, false) {
        for op in c["ops"].as_array().into_iter().flatten() {
            if let Some(seps) = op.get("readuntil") {
                assert_eq!(seps.as_array().map(Vec::len), Some(1), "{op}");
            }
        }
    }
    // Ends with a pending operation sometimes, and the pause threshold is
    // crossed: replay with reader-core to count.
    let (mut pending, mut paused) = (0, 0);
    for c in &a {
        let (got, obs) = trace::replay_case_observed(c).expect("generated cases replay");
        pending += usize::from(got.last() == Some(&json!({ "pending": true })));
        paused += usize::from(obs.iter().any(|o| o[0]));
    }
    assert!(pending > 10, "only {pending} cases end pending");
    assert!(paused > 30, "only {paused} cases pause reading");
}
