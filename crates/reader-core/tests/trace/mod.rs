//! Replays reader traces (`shared/conformance/TRACE-FORMAT.md`) against
//! `reader-core`. Shared by the `replay` example and the conformance tests.
#![allow(dead_code)]

use reader_core::{Op, Outcome, ReadError, Reader, Separators};
use serde_json::{json, Map, Value};
use std::task::Poll;

/// The stored error a `fail` event sets (asyncio's `ConnectionResetError()`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reset;

/// An operation of a trace, owning its separators.
#[derive(Clone, Debug)]
enum TraceOp {
    Read(i64),
    ReadLine,
    ReadExactly(i64),
    ReadUntil(Vec<Vec<u8>>),
    AtEof,
}

enum Step {
    Feed(Vec<u8>),
    Eof,
    Fail,
    Op(TraceOp),
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if s.len() % 2 != 0 {
        return Err(format!("odd-length hex string {s:?}"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| format!("bad hex {s:?}: {e}")))
        .collect()
}

fn parse_step(op: &Value) -> Result<Step, String> {
    let obj = op
        .as_object()
        .ok_or_else(|| format!("op is not an object: {op}"))?;
    let (key, val) = match obj.iter().next() {
        Some(kv) if obj.len() == 1 => kv,
        _ => return Err(format!("op must have exactly one key: {op}")),
    };
    let int = || {
        val.as_i64()
            .ok_or_else(|| format!("{key} wants an integer: {op}"))
    };
    Ok(match key.as_str() {
        "feed" => Step::Feed(unhex(val.as_str().ok_or("feed wants hex")?)?),
        "eof" => Step::Eof,
        "fail" => Step::Fail,
        "read" => Step::Op(TraceOp::Read(int()?)),
        "readline" => Step::Op(TraceOp::ReadLine),
        "readexactly" => Step::Op(TraceOp::ReadExactly(int()?)),
        "at_eof" => Step::Op(TraceOp::AtEof),
        "readuntil" => {
            let list = val.as_array().ok_or("readuntil wants a list")?;
            let seps = list
                .iter()
                .map(|v| unhex(v.as_str().ok_or("separator wants hex")?))
                .collect::<Result<Vec<_>, String>>()?;
            Step::Op(TraceOp::ReadUntil(seps))
        }
        other => return Err(format!("unknown op {other:?}")),
    })
}

/// Polls `op` once, in the trace's form: a result, or `None` while pending.
fn poll(reader: &mut Reader<Reset>, op: &TraceOp) -> Option<Value> {
    let slices: Vec<&[u8]>;
    let op = match op {
        TraceOp::Read(n) => Op::Read(*n),
        TraceOp::ReadLine => Op::ReadLine,
        TraceOp::ReadExactly(n) => Op::ReadExactly(*n),
        TraceOp::AtEof => Op::AtEof,
        // One element is a single separator, several a tuple (3.13).
        TraceOp::ReadUntil(seps) if seps.len() == 1 => Op::ReadUntil(Separators::One(&seps[0])),
        TraceOp::ReadUntil(seps) => {
            slices = seps.iter().map(Vec::as_slice).collect();
            Op::ReadUntil(Separators::Any(&slices))
        }
    };
    match reader.poll_op(&op) {
        Poll::Pending => None,
        Poll::Ready(result) => Some(result_json(result)),
    }
}

pub fn result_json(result: Result<Outcome, ReadError<Reset>>) -> Value {
    match result {
        Ok(Outcome::Data(b)) => json!({ "ok": hex(&b) }),
        Ok(Outcome::AtEof(b)) => json!({ "at_eof": b }),
        Err(ReadError::Incomplete { partial, expected }) => {
            json!({ "incomplete": hex(&partial), "expected": expected })
        }
        Err(ReadError::LimitOverrun { consumed, .. }) => json!({ "overrun": consumed }),
        Err(ReadError::LineTooLong { .. }) => json!({ "line_too_long": true }),
        Err(ReadError::InvalidArgument(_)) => json!({ "invalid_argument": true }),
        Err(ReadError::Stored(Reset)) => json!({ "failed": true }),
        Err(other) => json!({ "unexpected_error": format!("{other:?}") }),
    }
}

/// Replays one case; returns its results, in the trace's form.
pub fn replay_case(case: &Value) -> Result<Vec<Value>, String> {
    replay_case_observed(case).map(|(got, _observations)| got)
}

/// Replays every line of a JSON Lines trace file.
pub fn replay_lines(text: &str) -> Vec<(Value, Result<Vec<Value>, String>)> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| match serde_json::from_str::<Value>(line) {
            Ok(case) => {
                let got = replay_case(&case);
                (case, got)
            }
            Err(e) => (Value::Object(Map::new()), Err(format!("bad JSON: {e}"))),
        })
        .collect()
}

/// Replays one case (the replay rules of the trace format) and also records, after every op
/// (event or operation, once the pending operation has had its chance),
/// what the reader looks like: `[reading_paused(), at_eof()]`, one
/// observation per op of the trace.
///
/// Replays it twice: feeding copies (`feed`), and feeding `feed_bytes`
/// slices of larger `Bytes` (taken without a copy from 512 bytes on); the
/// two must agree.
pub fn replay_case_observed(case: &Value) -> Result<(Vec<Value>, Vec<[bool; 2]>), String> {
    let copied = replay_feeding(case, false)?;
    let sliced = replay_feeding(case, true)?;
    if sliced != copied {
        return Err(format!(
            "feed_bytes of shared slices disagrees with feed: {sliced:?} vs {copied:?}"
        ));
    }
    Ok(copied)
}

/// [`replay_case_observed`], with `feed` or with shared `feed_bytes`.
fn replay_feeding(case: &Value, sliced: bool) -> Result<(Vec<Value>, Vec<[bool; 2]>), String> {
    let limit = case["limit"]
        .as_u64()
        .ok_or("limit wants a positive integer")?;
    let limit = usize::try_from(limit).map_err(|e| e.to_string())?;
    let mut reader = Reader::<Reset>::new(limit).map_err(|e| e.to_string())?;
    let ops = case["ops"].as_array().ok_or("ops wants a list")?;
    let mut got = Vec::new();
    let mut obs = Vec::with_capacity(ops.len());
    let mut pending: Option<TraceOp> = None;
    for raw in ops {
        match parse_step(raw)? {
            Step::Op(op) => {
                if pending.is_some() {
                    return Err(format!("operation {raw} issued while another is pending"));
                }
                match poll(&mut reader, &op) {
                    Some(result) => got.push(result),
                    None => pending = Some(op),
                }
            }
            Step::Feed(data) => {
                let fed = if sliced {
                    let whole = reader_core::Bytes::from([&[0u8; 8][..], &data].concat());
                    reader.feed_bytes(whole.slice(8..))
                } else {
                    reader.feed(&data)
                };
                fed.map_err(|e| format!("{raw}: {e:?}"))?;
                wake(&mut reader, &mut pending, &mut got);
            }
            Step::Eof => {
                reader.feed_eof();
                wake(&mut reader, &mut pending, &mut got);
            }
            Step::Fail => {
                reader.set_error(Reset);
                wake(&mut reader, &mut pending, &mut got);
            }
        }
        obs.push([reader.reading_paused(), reader.at_eof()]);
    }
    if pending.is_some() {
        got.push(json!({ "pending": true }));
    }
    Ok((got, obs))
}

/// After an event, the waiting operation, if any, gets its chance to run.
fn wake(reader: &mut Reader<Reset>, pending: &mut Option<TraceOp>, got: &mut Vec<Value>) {
    if let Some(op) = pending {
        if let Some(result) = poll(reader, op) {
            got.push(result);
            *pending = None;
        }
    }
}
