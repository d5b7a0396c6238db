//! Child processes with streams on their pipes, and this process's own
//! standard streams, on Tokio (the `process` feature). The semantics, and
//! the deadlocks to avoid, are in `streams_common::process`.

use crate::{ArgumentError, StreamReader, StreamWriter, Tokio, TransportOptions};
use std::io;
use std::process::ExitStatus;
use streams_common::process::{Child, Pipes, Process, ProcessOptions, WaitFuture};
use streams_common::transport::TokioIo;

/// `tokio::process::Child` as the shared [`Process`] needs it.
struct TokioChild(tokio::process::Child);

impl Child for TokioChild {
    fn wait(&mut self) -> WaitFuture<'_> {
        Box::pin(self.0.wait())
    }
    fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.0.try_wait()
    }
    fn start_kill(&mut self) -> io::Result<()> {
        self.0.start_kill()
    }
}

/// Spawns `command` (asyncio's `create_subprocess_exec`): its piped
/// stdin becomes a `StreamWriter`, its piped stdout and stderr
/// `StreamReader`s with `options.limit`; see `streams_common::process`
/// for the deadlocks a full pipe can cause and how `communicate` avoids
/// them. `command` is Tokio's (re-exported here as `Command`; a
/// `std::process::Command` converts with `.into()`). Must be called within
/// a Tokio runtime.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::process::Stdio;
/// use streams_tokio::*;
///
/// let mut child = spawn_process(
///     Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()),
///     ProcessOptions::default(),
/// )?;
/// let stdin = child.stdin.take().unwrap();
/// let mut stdout = child.stdout.take().unwrap();
/// stdin.write(b"{\"method\": \"ping\"}\n")?;
/// assert_eq!(stdout.readline().await?, "{\"method\": \"ping\"}\n");
/// stdin.close(); // cat sees EOF and exits
/// assert!(child.wait().await?.success());
/// # Ok(()) }
/// ```
pub fn spawn_process(
    command: &mut tokio::process::Command,
    options: ProcessOptions,
) -> io::Result<Process> {
    options.check()?;
    let mut child = command.spawn()?;
    let pid = child
        .id()
        .ok_or_else(|| io::Error::other("the child has no pid"))?;
    let pipes = Pipes {
        stdin: child.stdin.take().map(TokioIo::new),
        stdout: child.stdout.take().map(TokioIo::new),
        stderr: child.stderr.take().map(TokioIo::new),
    };
    Process::new(&Tokio, Box::new(TokioChild(child)), pid, pipes, &options)
}

/// This process's stdin as a reader alone (asyncio's `connect_read_pipe`
/// on `sys.stdin`), through `tokio::io::stdin()`: a blocking read on
/// Tokio's blocking pool, which works for a terminal, a pipe or a file
/// alike, but cannot be cancelled (a read in progress keeps the runtime
/// from shutting down until a line arrives or stdin ends).
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use streams_tokio::*;
/// let mut stdin = stdin_reader(TransportOptions::default())?;
/// loop {
///     let line = stdin.readline().await?;
///     if line.is_empty() {
///         break; // EOF
///     }
/// }
/// # Ok(()) }
/// ```
pub fn stdin_reader(options: TransportOptions) -> Result<StreamReader, ArgumentError> {
    crate::io_reader(tokio::io::stdin(), options)
}

/// This process's stdout as a writer alone (asyncio's
/// `connect_write_pipe` on `sys.stdout`), through `tokio::io::stdout()`.
/// Await `wait_closed()` after `close()` before the program ends: it
/// returns once everything written was flushed.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use streams_tokio::*;
/// let stdout = stdout_writer(TransportOptions::default())?;
/// stdout.write(b"{\"result\": 42}\n")?;
/// stdout.close();
/// stdout.wait_closed().await?;
/// # Ok(()) }
/// ```
pub fn stdout_writer(options: TransportOptions) -> Result<StreamWriter, ArgumentError> {
    crate::io_writer(tokio::io::stdout(), options)
}

/// This process's stderr as a writer alone; see [`stdout_writer`].
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use streams_tokio::*;
/// let stderr = stderr_writer(TransportOptions::default())?;
/// stderr.write(b"warning\n")?;
/// # Ok(()) }
/// ```
pub fn stderr_writer(options: TransportOptions) -> Result<StreamWriter, ArgumentError> {
    crate::io_writer(tokio::io::stderr(), options)
}
