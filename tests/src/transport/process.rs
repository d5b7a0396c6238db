//! Child processes: streams on a real child's pipes (`cat`, `sh -c`,
//! `python3 -c`), on every runtime.

use crate::adapters::{Adapter, AsyncStdAdapter, SmolAdapter, TokioAdapter};
use serde_json::{json, Value};
use std::ffi::OsStr;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use streams_common::process::{Process, ProcessOptions};
use streams_common::StreamReader;

/// Which of a child's standard streams are piped (the others are
/// `/dev/null`).
#[derive(Clone, Copy)]
pub struct Piped {
    stdin: bool,
    stdout: bool,
    stderr: bool,
}

/// Every stream piped.
const ALL: Piped = Piped {
    stdin: true,
    stdout: true,
    stderr: true,
};

/// An adapter that can spawn a child process with streams.
pub trait ProcessAdapter: Adapter {
    /// The adapter crate's `spawn_process`, with a command of its
    /// runtime's type built from `program`, `args` and `piped`.
    fn spawn_process(
        program: &OsStr,
        args: &[&str],
        piped: Piped,
        options: ProcessOptions,
    ) -> io::Result<Process>;
}

/// `Stdio::piped()` or `Stdio::null()` (not our own streams: a child
/// left behind by a failed test must not hold the test harness's output
/// open).
fn stdio(piped: bool) -> Stdio {
    if piped {
        Stdio::piped()
    } else {
        Stdio::null()
    }
}

macro_rules! process_adapter {
    ($adapter:ty, $krate:ident) => {
        impl ProcessAdapter for $adapter {
            fn spawn_process(
                program: &OsStr,
                args: &[&str],
                piped: Piped,
                options: ProcessOptions,
            ) -> io::Result<Process> {
                $krate::spawn_process(
                    $krate::Command::new(program)
                        .args(args)
                        .stdin(stdio(piped.stdin))
                        .stdout(stdio(piped.stdout))
                        .stderr(stdio(piped.stderr))
                        // A failed test kills what it started.
                        .kill_on_drop(true),
                    options,
                )
            }
        }
    };
}
process_adapter!(TokioAdapter, streams_tokio);
process_adapter!(SmolAdapter, streams_smol);
process_adapter!(AsyncStdAdapter, streams_async_std);

fn python() -> std::path::PathBuf {
    crate::python()
}

/// `cat` echoes newline-delimited JSON: requests out through stdin,
/// replies in through stdout, one line each; `write_eof()` closes the
/// child's stdin (on Tokio, where shutting a `ChildStdin` down does
/// nothing, by dropping it), so `cat` ends, stdout reaches EOF and the
/// exit status is success.
pub async fn json_lines_with_cat<A: ProcessAdapter>() {
    let piped = Piped {
        stderr: false,
        ..ALL
    };
    let mut child =
        A::spawn_process("cat".as_ref(), &[], piped, ProcessOptions::default()).unwrap();
    assert!(child.stderr.is_none(), "not piped");
    assert!(child.pid() > 0);
    let stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    for id in 0..50 {
        let request = json!({"jsonrpc": "2.0", "id": id, "method": "echo", "params": [id]});
        stdin.write(format!("{request}\n").as_bytes()).unwrap();
        let line = A::t(stdout.readline()).await.unwrap();
        let reply: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(reply, request);
    }
    stdin.write_eof().unwrap();
    assert_eq!(A::t(stdout.readline()).await.unwrap(), "", "EOF");
    assert!(A::t(child.wait()).await.unwrap().success());
    A::t(stdin.wait_closed()).await.unwrap();
}

/// A JSON-RPC-style server in Python over its stdio, newline-delimited
/// both ways: it parses each request and answers with a computed result.
const PY_JSON_SERVER: &str = r#"
import json, sys
for line in sys.stdin:
    req = json.loads(line)
    print(json.dumps({"id": req["id"], "result": sum(req["params"])}), flush=True)
"#;

/// Requests and replies as JSON lines with a real `python3` child.
pub async fn json_rpc_with_a_python_child<A: ProcessAdapter>() {
    let py = python();
    let args = ["-c", PY_JSON_SERVER];
    let mut child = A::spawn_process(py.as_ref(), &args, ALL, ProcessOptions::default()).unwrap();
    let stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    for id in 0..20 {
        let params: Vec<i64> = (0..=id).collect();
        let request = json!({"id": id, "params": params});
        stdin.write(format!("{request}\n").as_bytes()).unwrap();
        let line = A::t(stdout.readline()).await.unwrap();
        let reply: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(reply, json!({"id": id, "result": id * (id + 1) / 2}));
    }
    stdin.close();
    let status = A::t(child.wait()).await.unwrap();
    assert!(status.success(), "{status:?}");
    let err = A::t(child.stderr.take().unwrap().read_to_eof())
        .await
        .unwrap();
    assert!(err.is_empty(), "{}", String::from_utf8_lossy(&err));
}

/// A Content-Length framed server in Python (the framing of the Language
/// Server Protocol): it reads framed messages and answers each with a
/// framed message twice as long.
const PY_FRAMED_SERVER: &str = r#"
import sys
inp, out = sys.stdin.buffer, sys.stdout.buffer
while True:
    header = inp.readline()
    if not header:
        break
    length = int(header.split(b":")[1])
    assert inp.readline() == b"\r\n"
    body = inp.read(length)
    reply = body + body
    out.write(b"Content-Length: %d\r\n\r\n" % len(reply) + reply)
    out.flush()
"#;

/// One framed message: the header with `readline`, the blank line, then
/// the body with `readexactly`.
async fn read_framed<A: Adapter>(reader: &mut StreamReader) -> Vec<u8> {
    let header = A::t(reader.readline()).await.unwrap();
    let header = std::str::from_utf8(&header).unwrap();
    let length: usize = header
        .strip_prefix("Content-Length: ")
        .and_then(|h| h.strip_suffix("\r\n"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("bad header {header:?}"));
    assert_eq!(A::t(reader.readline()).await.unwrap(), "\r\n");
    A::t(reader.readexactly(length)).await.unwrap().to_vec()
}

/// Content-Length framed messages both ways (`readline` +
/// `readexactly`), bodies with newlines inside and one larger than the
/// reader's limit (`readexactly` past twice the limit keeps reading).
pub async fn content_length_framing_with_a_python_child<A: ProcessAdapter>() {
    let py = python();
    let args = ["-c", PY_FRAMED_SERVER];
    let options = ProcessOptions::default().limit(4096);
    let mut child = A::spawn_process(py.as_ref(), &args, ALL, options).unwrap();
    let stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let bodies: Vec<Vec<u8>> = vec![
        br#"{"jsonrpc":"2.0","id":1,"method":"initialize"}"#.to_vec(),
        b"line one\nline two\r\n\r\nnot a header\n".to_vec(),
        (0..20_000).map(|i| b'a' + (i % 26) as u8).collect(),
    ];
    for body in &bodies {
        stdin
            .write(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes())
            .unwrap();
        stdin.write(body).unwrap();
        let reply = read_framed::<A>(&mut stdout).await;
        assert_eq!(reply, [body.as_slice(), body.as_slice()].concat());
    }
    stdin.close();
    assert!(A::t(child.wait()).await.unwrap().success());
}

/// `communicate()` (asyncio's): stdout, stderr and the exit status of a
/// shell command; `kill()` ends a child that would run for ever, whose
/// status then names the signal; a dead child is left alone.
pub async fn exit_status_stderr_and_kill<A: ProcessAdapter>() {
    let script = ["-c", "read x; echo \"out $x\"; echo err >&2; exit 3"];
    let mut child =
        A::spawn_process("sh".as_ref(), &script, ALL, ProcessOptions::default()).unwrap();
    let output = A::t(child.communicate(Some(b"in\n"))).await.unwrap();
    assert_eq!(output.stdout, b"out in\n");
    assert_eq!(output.stderr, b"err\n");
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(child.try_wait().unwrap().map(|s| s.code()), Some(Some(3)));
    child.kill().unwrap(); // exited: nothing to do
    child.terminate().unwrap();

    let none = Piped {
        stdin: false,
        stdout: false,
        stderr: false,
    };
    let sleep = || A::spawn_process("sleep".as_ref(), &["1000"], none, ProcessOptions::default());
    let mut child = sleep().unwrap();
    assert!(child.stdin.is_none() && child.stdout.is_none() && child.stderr.is_none());
    assert!(child.try_wait().unwrap().is_none(), "running");
    child.kill().unwrap();
    let status = A::t(child.wait()).await.unwrap();
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    let mut child = sleep().unwrap();
    child.terminate().unwrap();
    assert_eq!(
        A::t(child.wait()).await.unwrap().signal(),
        Some(libc::SIGTERM)
    );
}

/// A child that writes a megabyte to stdout and to stderr while it reads
/// a megabyte of input: far past what the pipes and the readers' limits
/// hold, so writing stdin and reading one stream at a time would
/// deadlock; `communicate()` does all three at once and gets everything.
pub async fn communicate_moves_megabytes_each_way<A: ProcessAdapter>() {
    const PY: &str = r#"
import sys, threading
chunk = b"x" * 65536
def spew(out):
    for _ in range(16):
        out.write(chunk)
    out.flush()
threads = [threading.Thread(target=spew, args=(s,)) for s in (sys.stdout.buffer, sys.stderr.buffer)]
for t in threads: t.start()
n = len(sys.stdin.buffer.read())
for t in threads: t.join()
sys.exit(0 if n == 1 << 20 else 1)
"#;
    let py = python();
    let mut child =
        A::spawn_process(py.as_ref(), &["-c", PY], ALL, ProcessOptions::default()).unwrap();
    let input = vec![b'i'; 1 << 20];
    let output = A::t(child.communicate(Some(&input))).await.unwrap();
    assert_eq!(output.stdout.len(), 1 << 20);
    assert_eq!(output.stderr.len(), 1 << 20);
    assert!(output.status.success(), "the child read all its input");
}

/// A zero limit is refused before anything is spawned.
pub async fn process_argument_errors<A: ProcessAdapter>() {
    let zero = ProcessOptions::default().limit(0);
    let e = A::spawn_process("true".as_ref(), &[], ALL, zero).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    let missing = "/nonexistent/program".as_ref();
    let e = A::spawn_process(missing, &[], ALL, ProcessOptions::default()).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::NotFound);
}
