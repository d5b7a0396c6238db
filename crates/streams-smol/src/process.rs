//! Child processes with streams on their pipes (async-process, which smol
//! re-exports as `smol::process`), and this process's own standard
//! streams (on `blocking`'s thread pool, `smol::Unblock`). The semantics,
//! and the deadlocks to avoid, are in `streams_common::process`.
//!
//! Written against the runtime as a value, so that `streams-async-std`
//! reuses it with its own spawner.

use crate::{ArgumentError, Smol, StreamReader, StreamWriter, TransportOptions};
pub use smol::process::Command;
use smol::Unblock;
use std::io;
use std::process::ExitStatus;
use streams_common::process::{Child, Pipes, Process, ProcessOptions, WaitFuture};
use streams_common::runtime::Runtime;
use streams_common::transport::{self, FuturesIo};

/// `async_process::Child` as the shared [`Process`] needs it.
struct SmolChild(smol::process::Child);

impl Child for SmolChild {
    fn wait(&mut self) -> WaitFuture<'_> {
        Box::pin(self.0.status())
    }
    fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.0.try_status()
    }
    fn start_kill(&mut self) -> io::Result<()> {
        self.0.kill()
    }
}

/// [`spawn_process`] with the streams' tasks on `rt` (for async-std, or
/// an executor of your own).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # smol::block_on(async {
/// use std::process::Stdio;
/// use streams_smol::*;
///
/// let mut command = Command::new("sh");
/// command.args(["-c", "echo out; echo err >&2; exit 3"]);
/// command.stdout(Stdio::piped()).stderr(Stdio::piped());
/// let mut child = spawn_process_on(&Smol::default(), &mut command, ProcessOptions::default())?;
/// let output = child.communicate(None).await?;
/// assert_eq!(output.stdout, b"out\n");
/// assert_eq!(output.stderr, b"err\n");
/// assert_eq!(output.status.code(), Some(3));
/// # Ok(()) })
/// # }
/// ```
pub fn spawn_process_on(
    rt: &dyn Runtime,
    command: &mut Command,
    options: ProcessOptions,
) -> io::Result<Process> {
    options.check()?;
    let mut child = command.spawn()?;
    let pid = child.id();
    let pipes = Pipes {
        stdin: child.stdin.take().map(FuturesIo::new),
        stdout: child.stdout.take().map(FuturesIo::new),
        stderr: child.stderr.take().map(FuturesIo::new),
    };
    Process::new(rt, Box::new(SmolChild(child)), pid, pipes, &options)
}

/// [`stdin_reader`] with the connection's task on
/// `rt`.
pub fn stdin_reader_on(
    rt: &dyn Runtime,
    options: TransportOptions,
) -> Result<StreamReader, ArgumentError> {
    transport::open_reader(rt, FuturesIo::new(Unblock::new(io::stdin())), options)
}

/// [`stdout_writer`] with the connection's task on
/// `rt`.
pub fn stdout_writer_on(
    rt: &dyn Runtime,
    options: TransportOptions,
) -> Result<StreamWriter, ArgumentError> {
    transport::open_writer(rt, FuturesIo::new(Unblock::new(io::stdout())), options)
}

/// [`stderr_writer`] with the connection's task on
/// `rt`.
pub fn stderr_writer_on(
    rt: &dyn Runtime,
    options: TransportOptions,
) -> Result<StreamWriter, ArgumentError> {
    transport::open_writer(rt, FuturesIo::new(Unblock::new(io::stderr())), options)
}

/// Spawns `command` (asyncio's `create_subprocess_exec`), with its
/// pipes' streams on smol's global executor: its piped stdin becomes a
/// `StreamWriter`, its piped stdout and stderr `StreamReader`s with
/// `options.limit`. See `streams_common::process` for the deadlocks a
/// full pipe can cause and how `communicate` avoids them.
///
/// `command` is async-process's (`smol::process::Command`, re-exported
/// here as `Command`), built as a `std::process::Command` is. Do not
/// convert a `std::process::Command` into it: async-process's conversion
/// forgets which standard streams were piped.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # smol::block_on(async {
/// use std::process::Stdio;
/// use streams_smol::*;
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
/// # Ok(()) })
/// # }
/// ```
pub fn spawn_process(command: &mut Command, options: ProcessOptions) -> io::Result<Process> {
    spawn_process_on(&Smol::default(), command, options)
}

/// This process's stdin as a reader alone (asyncio's `connect_read_pipe`
/// on `sys.stdin`), read on a thread of `blocking`'s pool
/// (`smol::Unblock`): a terminal, a pipe or a file alike.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use streams_smol::*;
/// let mut stdin = stdin_reader(TransportOptions::default())?;
/// let first = stdin.readline().await?;
/// # Ok(()) }
/// ```
pub fn stdin_reader(options: TransportOptions) -> Result<StreamReader, ArgumentError> {
    stdin_reader_on(&Smol::default(), options)
}

/// This process's stdout as a writer alone (asyncio's
/// `connect_write_pipe` on `sys.stdout`), written on a thread of
/// `blocking`'s pool. Await `wait_closed()` after `close()` before the
/// program ends: it returns once everything written was flushed.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use streams_smol::*;
/// let stdout = stdout_writer(TransportOptions::default())?;
/// stdout.write(b"{\"result\": 42}\n")?;
/// stdout.close();
/// stdout.wait_closed().await?;
/// # Ok(()) }
/// ```
pub fn stdout_writer(options: TransportOptions) -> Result<StreamWriter, ArgumentError> {
    stdout_writer_on(&Smol::default(), options)
}

/// This process's stderr as a writer alone; see [`stdout_writer`].
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use streams_smol::*;
/// let stderr = stderr_writer(TransportOptions::default())?;
/// stderr.write(b"warning\n")?;
/// # Ok(()) }
/// ```
pub fn stderr_writer(options: TransportOptions) -> Result<StreamWriter, ArgumentError> {
    stderr_writer_on(&Smol::default(), options)
}
