//! A handler's failure is never silent: with neither a hook nor a
//! `tracing` subscriber it is printed to stderr, as asyncio's default
//! logging prints "Unhandled exception in client_connected_cb"; a hook or
//! a subscriber takes it over.
//!
//! What a process prints to its stderr is seen only from outside, and a
//! global `tracing` subscriber cannot be removed again: each test runs
//! itself again in a child process of its test binary (the test's name is
//! its thread's: libtest names it so), which does the serving, and the
//! test reads the child's stderr.

use crate::adapters::Adapter;
use std::error::Error;
use std::fmt;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use streams_common::{Address, HandlerFailure, Server, ServerOptions, StreamReader, StreamWriter};

/// Set in the child process: the test body does the serving.
const CHILD: &str = "STREAMS_SUITE_REPORT_CHILD";

/// What the child prints on stdout before the peer's address it expects
/// in the report.
const PEER_MARK: &str = "expected peer: ";

/// The bound on the child process (each of its own waits is bounded too).
const CHILD_BOUND: Duration = Duration::from_secs(60);

/// What a child process printed.
struct ChildOutput {
    stdout: String,
    stderr: String,
}

/// Runs the test this thread runs again, alone, in a child process with
/// [`CHILD`] set, and returns what it printed once it has passed.
async fn rerun_in_child<A: Adapter>() -> ChildOutput {
    let name = std::thread::current()
        .name()
        .expect("libtest names each test's thread after the test")
        .to_owned();
    let exe = std::env::current_exe().expect("the test binary's path");
    let output = A::t_for(
        CHILD_BOUND,
        A::spawn_blocking(move || {
            Command::new(exe)
                .args([name.as_str(), "--exact", "--nocapture", "--test-threads=1"])
                .env(CHILD, "1")
                .stdin(Stdio::null())
                .output()
        }),
    )
    .await
    .expect("the test binary runs again");
    let out = ChildOutput {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        output.status.success(),
        "the child failed: {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        out.stdout,
        out.stderr
    );
    assert!(
        out.stdout.contains("1 passed"),
        "the child ran the test: {}",
        out.stdout
    );
    out
}

/// A handler error with a cause, as a handler's `?` would return it.
#[derive(Debug)]
struct Failed {
    what: &'static str,
    cause: std::io::Error,
}

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what)
    }
}

impl Error for Failed {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.cause)
    }
}

/// Starts a server whose handler fails with `what` (caused by an
/// `io::Error` "the cause"), has one client see its connection end (the
/// failure is reported before that) and shuts the server down. Returns
/// the client's address: the peer the report names.
async fn one_failure<A: Adapter>(what: &'static str, options: ServerOptions) -> Address {
    let server: Server = A::t(A::start_server(
        move |_reader: StreamReader, _writer: StreamWriter| async move {
            Err::<(), _>(Failed {
                what,
                cause: std::io::Error::other("the cause"),
            })
        },
        "127.0.0.1",
        0,
        options,
    ))
    .await
    .unwrap();
    let (mut reader, writer) =
        crate::connect_port::<A>(crate::port(&server), Default::default()).await;
    assert_eq!(A::t(reader.read_to_eof()).await.unwrap(), "");
    let peer = writer.sockname().cloned().expect("a TCP client's address");
    writer.close();
    server.close();
    A::t(server.wait_closed()).await;
    peer
}

/// With no hook and no `tracing` subscriber, a failed handler is printed
/// to stderr: asyncio's message, the peer, the error and its cause.
pub async fn handler_failure_is_printed_to_stderr_by_default<A: Adapter>() {
    if std::env::var_os(CHILD).is_some() {
        let peer = one_failure::<A>("the handler failed", ServerOptions::default()).await;
        println!("{PEER_MARK}{peer}");
        return;
    }
    let out = rerun_in_child::<A>().await;
    // Not at the start of a line: libtest prints the test's name first.
    let peer = out
        .stdout
        .split(PEER_MARK)
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .expect("the child said which peer to expect");
    let expected = format!(
        "Unhandled exception in client_connected_cb\n\
         peer: {peer}\n\
         error: the handler failed\n\
         caused by: the cause\n"
    );
    assert!(
        out.stderr.contains(&expected),
        "expected on stderr:\n{expected}\nstderr was:\n{}",
        out.stderr
    );
}

/// A hook, or a `tracing` subscriber, takes a failed handler's report
/// over: each gets the failure and nothing is printed to stderr.
pub async fn a_hook_or_a_subscriber_takes_the_report_over<A: Adapter>() {
    if std::env::var_os(CHILD).is_some() {
        // With a hook (and no subscriber yet).
        let hooked: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = hooked.clone();
        let options = ServerOptions::default().on_handler_error(move |f: &HandlerFailure, _| {
            seen.lock().unwrap().push(f.to_string());
        });
        one_failure::<A>("taken by the hook", options).await;
        assert_eq!(*hooked.lock().unwrap(), ["taken by the hook"]);
        // With a subscriber (global: the handler runs on the runtime's
        // threads), and no hook.
        let (recorder, events) = crate::events::FieldRecorder::new("error");
        tracing::subscriber::set_global_default(recorder).unwrap();
        one_failure::<A>("taken by tracing", ServerOptions::default()).await;
        assert!(
            events
                .lock()
                .unwrap()
                .iter()
                .any(|e| e == "taken by tracing"),
            "{:?}",
            events.lock().unwrap()
        );
        return;
    }
    let out = rerun_in_child::<A>().await;
    for text in [
        "Unhandled exception in client_connected_cb",
        "taken by the hook",
        "taken by tracing",
    ] {
        assert!(
            !out.stderr.contains(text),
            "{text:?} on stderr:\n{}",
            out.stderr
        );
    }
}
