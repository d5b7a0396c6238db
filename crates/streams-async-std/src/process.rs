//! Child processes and this process's standard streams on async-std:
//! `streams-smol`'s (async-process and `blocking`, which run under any
//! executor) with the streams' tasks on async-std. The semantics, and the
//! deadlocks to avoid, are in `streams_common::process`.

use crate::TransportOptions;
use crate::{
    ArgumentError, AsyncStd, Command, Process, ProcessOptions, StreamReader, StreamWriter,
};
use std::io;

/// Spawns `command` (asyncio's `create_subprocess_exec`), with its
/// pipes' streams on async-std: its piped stdin becomes a `StreamWriter`,
/// its piped stdout and stderr `StreamReader`s with `options.limit`. See
/// `streams_common::process` for the deadlocks a full pipe can cause and
/// how `communicate` avoids them.
///
/// `command` is async-process's (re-exported here as `Command`), built as
/// a `std::process::Command` is; do not convert a `std::process::Command`
/// into it (async-process's conversion forgets which standard streams
/// were piped).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # async_std::task::block_on(async {
/// use std::process::Stdio;
/// use streams_async_std::*;
///
/// let mut child = spawn_process(
///     Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()),
///     ProcessOptions::default(),
/// )?;
/// let output = child.communicate(Some(b"echoed\n")).await?;
/// assert_eq!(output.stdout, b"echoed\n");
/// # Ok(()) })
/// # }
/// ```
pub fn spawn_process(command: &mut Command, options: ProcessOptions) -> io::Result<Process> {
    streams_smol::spawn_process_on(&AsyncStd::default(), command, options)
}

/// This process's stdin as a reader alone (asyncio's `connect_read_pipe`
/// on `sys.stdin`), read on a thread of `blocking`'s pool.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use streams_async_std::*;
/// let mut stdin = stdin_reader(TransportOptions::default())?;
/// let first = stdin.readline().await?;
/// # Ok(()) }
/// ```
pub fn stdin_reader(options: TransportOptions) -> Result<StreamReader, ArgumentError> {
    streams_smol::stdin_reader_on(&AsyncStd::default(), options)
}

/// This process's stdout as a writer alone (asyncio's
/// `connect_write_pipe` on `sys.stdout`). Await `wait_closed()` after
/// `close()` before the program ends.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use streams_async_std::*;
/// let stdout = stdout_writer(TransportOptions::default())?;
/// stdout.write(b"done\n")?;
/// stdout.close();
/// stdout.wait_closed().await?;
/// # Ok(()) }
/// ```
pub fn stdout_writer(options: TransportOptions) -> Result<StreamWriter, ArgumentError> {
    streams_smol::stdout_writer_on(&AsyncStd::default(), options)
}

/// This process's stderr as a writer alone; see [`stdout_writer`].
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// use streams_async_std::*;
/// let stderr = stderr_writer(TransportOptions::default())?;
/// stderr.write(b"warning\n")?;
/// # Ok(()) }
/// ```
pub fn stderr_writer(options: TransportOptions) -> Result<StreamWriter, ArgumentError> {
    streams_smol::stderr_writer_on(&AsyncStd::default(), options)
}
