//! Newline-delimited JSON with a child process over its stdio.
//!
//! `cargo run -p streams-tokio --features process --example json_lines_child`
//!
//! A tool server, a language server or a plugin speaking JSON over stdio
//! is asyncio's `create_subprocess_exec` with pipes: here the child is a
//! few lines of Python that answer each request line with a reply line.
//! The requests are written all at once (`write()` never waits; the
//! writer's task feeds the pipe), then the replies are read line by line
//! with `readline()`, and `write_eof()` closes the child's stdin so that
//! it ends. The JSON is formatted and picked apart by hand to keep the
//! example free of dependencies; a real client would use serde_json.

use std::error::Error;
use std::process::Stdio;
use streams_tokio::*;

/// The child: answers `{"id": n, "method": "add", "params": [a, b]}` with
/// `{"id": n, "result": a+b}` and any other method with
/// `{"id": n, "error": "..."}`, until its stdin ends.
pub const SERVICE: &str = r#"
import json, sys
for line in sys.stdin:
    request = json.loads(line)
    if request.get("method") == "add":
        reply = {"id": request["id"], "result": sum(request["params"])}
    else:
        reply = {"id": request["id"], "error": "unknown method " + str(request.get("method"))}
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
"#;

/// A request: an id, a method name (plain ASCII: written without
/// escaping) and two numbers.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    pub id: u64,
    pub method: &'static str,
    pub params: [i64; 2],
}

/// What the child answered.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    /// `"result": n`
    Result(i64),
    /// `"error": "..."`
    Error(String),
}

pub type BoxError = Box<dyn Error + Send + Sync>;

/// Runs `python` with [`SERVICE`], sends every request, and returns each
/// reply with its id, in the order the child answered.
pub async fn run(python: &str, requests: &[Request]) -> Result<Vec<(u64, Reply)>, BoxError> {
    let mut child = spawn_process(
        Command::new(python)
            .args(["-c", SERVICE])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true),
        ProcessOptions::default(),
    )?;
    let stdin = child.stdin.take().ok_or("stdin not piped")?;
    let mut stdout = child.stdout.take().ok_or("stdout not piped")?;
    for r in requests {
        let [a, b] = r.params;
        let line = format!(
            "{{\"id\": {}, \"method\": \"{}\", \"params\": [{a}, {b}]}}\n",
            r.id, r.method
        );
        stdin.write(line.as_bytes())?;
    }
    let mut replies = Vec::with_capacity(requests.len());
    for _ in requests {
        let line = stdout.readline().await?;
        if line.is_empty() {
            return Err("the child ended before answering every request".into());
        }
        let line = std::str::from_utf8(&line)?;
        replies.push(parse_reply(line)?);
    }
    stdin.write_eof()?; // the child's stdin ends: its loop ends
    let status = child.wait().await?;
    if !status.success() {
        return Err(format!("the child failed: {status}").into());
    }
    Ok(replies)
}

/// The id and the result or error of one reply line, as `json.dumps`
/// writes it (`{"id": 1, "result": 3}`).
fn parse_reply(line: &str) -> Result<(u64, Reply), BoxError> {
    let id = field(line, "id").ok_or("no id")?.parse()?;
    if let Some(result) = field(line, "result") {
        return Ok((id, Reply::Result(result.parse()?)));
    }
    let error = field(line, "error").ok_or("neither result nor error")?;
    Ok((id, Reply::Error(error.trim_matches('"').to_owned())))
}

/// The raw value of `"name": value` in a flat JSON object (a number, or
/// a string without escapes).
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("\"{name}\": ");
    let start = line.find(&key)? + key.len();
    let rest = &line[start..];
    let end = match rest.strip_prefix('"') {
        Some(string) => string.find('"')? + 2,
        None => rest.find([',', '}'])?,
    };
    Some(&rest[..end])
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let requests = [
        Request {
            id: 1,
            method: "add",
            params: [2, 3],
        },
        Request {
            id: 2,
            method: "mul",
            params: [4, 5],
        },
        Request {
            id: 3,
            method: "add",
            params: [-7, 100],
        },
    ];
    for (id, reply) in run("python3", &requests).await? {
        println!("{id}: {reply:?}");
    }
    Ok(())
}
