//! Checks the reference model (`tests/model/reference.rs`) against the
//! conformance sample recorded from CPython
//! (`shared/conformance/sample.jsonl`), with the trace replay rules of
//! `TRACE-FORMAT.md`, before the fuzzer and the property tests trust it.

mod model;
mod outside;

use model::{MOp, Model, Res, Sep};
use serde_json::{json, Value};

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd-length hex {s:?}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A model result in the trace's form.
fn result_json(res: Res) -> Value {
    match res {
        Res::Data(d) => json!({ "ok": hex(&d) }),
        Res::AtEof(b) => json!({ "at_eof": b }),
        Res::Incomplete { partial, expected } => {
            json!({ "incomplete": hex(&partial), "expected": expected })
        }
        Res::Overrun { consumed, .. } => json!({ "overrun": consumed }),
        Res::LineTooLong { .. } => json!({ "line_too_long": true }),
        Res::Invalid(_) => json!({ "invalid_argument": true }),
        Res::Failed => json!({ "failed": true }),
    }
}

enum Step {
    Feed(Vec<u8>),
    Eof,
    Fail,
    Op(MOp),
}

fn parse(op: &Value) -> Step {
    let obj = op.as_object().expect("op is an object");
    assert_eq!(obj.len(), 1, "op with one key: {op}");
    let (key, val) = obj.iter().next().unwrap();
    match key.as_str() {
        "feed" => Step::Feed(unhex(val.as_str().expect("hex"))),
        "eof" => Step::Eof,
        "fail" => Step::Fail,
        "read" => Step::Op(MOp::Read(val.as_i64().expect("int"))),
        "readline" => Step::Op(MOp::ReadLine),
        "readexactly" => Step::Op(MOp::ReadExactly(val.as_i64().expect("int"))),
        "at_eof" => Step::Op(MOp::AtEof),
        "readuntil" => {
            let mut list: Vec<Vec<u8>> = val
                .as_array()
                .expect("list")
                .iter()
                .map(|v| unhex(v.as_str().expect("hex")))
                .collect();
            // One element is a single separator, anything else a tuple.
            Step::Op(MOp::ReadUntil(if list.len() == 1 {
                Sep::One(list.pop().unwrap())
            } else {
                Sep::Tuple(list)
            }))
        }
        other => panic!("unknown op {other:?}"),
    }
}

/// Replays one case through the model.
fn replay(case: &Value) -> Vec<Value> {
    let limit = usize::try_from(case["limit"].as_u64().expect("limit")).unwrap();
    let mut m = Model::new(limit);
    let mut got = Vec::new();
    for raw in case["ops"].as_array().expect("ops") {
        match parse(raw) {
            Step::Op(op) => {
                assert!(!m.is_pending(), "op issued while another is pending");
                if let Some(res) = m.start(&op) {
                    got.push(result_json(res));
                }
                continue;
            }
            Step::Feed(data) => m.feed(&data).expect("feed after EOF in a trace"),
            Step::Eof => m.feed_eof(),
            Step::Fail => m.set_exception(),
        }
        if let Some(res) = m.wake() {
            got.push(result_json(res));
        }
    }
    if m.is_pending() {
        got.push(json!({ "pending": true }));
    }
    got
}

#[test]
fn model_matches_the_cpython_sample() {
    let Some(text) = outside::sample("model_matches_the_cpython_sample") else {
        return;
    };
    let mut cases = 0;
    let mut failures = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).expect("JSON");
        cases += 1;
        let got = json!(replay(&case));
        if Some(&got) != case.get("expect") {
            failures.push(format!(
                "{}: expected {} got {got}",
                case["name"], case["expect"]
            ));
        }
    }
    assert!(cases >= 2000, "sample too small: {cases}");
    assert!(
        failures.is_empty(),
        "{} of {cases} cases differ from CPython:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}
