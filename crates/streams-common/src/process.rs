//! Child processes with streams on their pipes (asyncio's subprocess
//! streams: `create_subprocess_exec` with `stdin=PIPE`, `stdout=PIPE`,
//! `stderr=PIPE`), and the process's own standard streams.
//!
//! An adapter spawns the child (`streams_tokio::spawn_process`,
//! `streams_smol::spawn_process`, `streams_async_std::spawn_process`) from
//! its runtime's `Command` (`tokio::process::Command`, or async-process's
//! `smol::process::Command`, which each adapter re-exports as `Command`;
//! the same builder as `std::process::Command`): each stream the command
//! pipes becomes a
//! [`StreamWriter`] (stdin) or a [`StreamReader`] (stdout, stderr) over a
//! transport ([`crate::transport`]), with the usual limit; the rest are
//! `None`. The [`Process`] handle waits for the child, kills it, tells its
//! pid and exit status.
//!
//! # Deadlocks, and what this library does about them
//!
//! asyncio warns that `wait()` "can deadlock when using `stdout=PIPE` or
//! `stderr=PIPE` and the child process generates so much output that it
//! blocks waiting for the OS pipe buffer to accept more data", and
//! recommends `communicate()` over writing stdin and reading stdout and
//! stderr by hand. The same holds here, for the same reasons, exactly:
//!
//! * Writing stdin never blocks: [`StreamWriter::write`] buffers (without
//!   a bound) and a background task feeds the pipe as fast as the child
//!   reads it. `drain()` waits while more than the high-water mark (64
//!   KiB) is buffered, that is for as long as the child does not read its
//!   input.
//! * Each of stdout and stderr is read into its reader in the background,
//!   whether or not anyone calls a read, until the reader holds twice its
//!   limit (128 KiB by default) unread; then reading that pipe pauses
//!   (flow control), the pipe fills (64 KiB on Linux) and the child blocks
//!   on its next write to it, until the reader is read down to its limit.
//! * So a child that writes more than about `2 * limit` plus the pipe's
//!   size to a stream nobody reads stops there: [`Process::wait`] then
//!   never returns, and a read of the *other* stream can wait forever too
//!   (a child blocked on a full stderr writes no more stdout). Likewise a
//!   `drain()` of stdin waits forever while the child, instead of reading
//!   its input, waits for us to read its output.
//!
//! [`Process::communicate`] avoids all of it: it writes the input, closes
//! stdin, and reads stdout and stderr to EOF at the same time, then waits
//! for the exit. Otherwise read every piped output stream concurrently
//! (or leave the ones you do not read unpiped: inherited or
//! `Stdio::null()`).
//!
//! # Differences from asyncio
//!
//! * The streams are fields of [`Process`] (`Option`s: a stream the
//!   command does not pipe is `None`), to be taken (`process.stdout.take()`)
//!   or borrowed.
//! * asyncio's `returncode` is [`Process::try_wait`] (an `ExitStatus`,
//!   whose `code()` is the exit code and, with
//!   `std::os::unix::process::ExitStatusExt`, `signal()` the signal that
//!   killed it, where asyncio gives a negative number).
//! * Dropping the [`Process`] does not kill the child (Rust's convention;
//!   asyncio kills it when its transport is closed), unless the command
//!   said so (`Command::kill_on_drop(true)`, on both runtimes' commands);
//!   the runtime reaps it.
//! * The command is the runtime's, not `std::process::Command`: a std
//!   command converts into Tokio's with its settings, but async-process's
//!   conversion forgets the standard streams' settings (its `spawn`
//!   inherits a stream that was not set on its own `Command`), so build
//!   the runtime's `Command` directly.

use crate::runtime::Runtime;
use crate::transport::{self, RecvTransport, SendTransport, TransportOptions};
use crate::{StreamReader, StreamWriter};
use reader_core::DEFAULT_LIMIT;
use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::pin::{pin, Pin};
use std::process::{ExitStatus, Output};
use std::task::Poll;

/// A boxed future borrowing the child, for [`Child::wait`].
pub type WaitFuture<'a> = Pin<Box<dyn Future<Output = io::Result<ExitStatus>> + Send + 'a>>;

/// A runtime's child process handle, as [`Process`] needs it (the
/// adapters implement it for `tokio::process::Child` and
/// `async_process::Child`).
pub trait Child: Send + 'static {
    /// Waits for the child to exit (and reaps it); the same status every
    /// time once it has.
    fn wait(&mut self) -> WaitFuture<'_>;
    /// The exit status if the child has exited, without waiting.
    fn try_wait(&mut self) -> io::Result<Option<ExitStatus>>;
    /// Sends `SIGKILL`, without waiting for the exit (a child that has
    /// already been reaped is left alone).
    fn start_kill(&mut self) -> io::Result<()>;
}

/// Options of a child process's streams, with asyncio's defaults.
///
/// ```
/// use streams_common::process::ProcessOptions;
/// let options = ProcessOptions::default().limit(1 << 20);
/// assert_eq!(options.limit, 1 << 20);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ProcessOptions {
    /// The buffer limit of the stdout and stderr readers (asyncio's
    /// `limit=`, 64 KiB); 0 is refused.
    pub limit: usize,
}

impl Default for ProcessOptions {
    fn default() -> Self {
        ProcessOptions {
            limit: DEFAULT_LIMIT,
        }
    }
}

impl ProcessOptions {
    /// Sets the readers' buffer limit.
    ///
    /// ```
    /// let o = streams_common::process::ProcessOptions::default().limit(10);
    /// assert_eq!(o.limit, 10);
    /// ```
    #[must_use]
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Checks the options (a zero limit is refused), for an adapter to
    /// call before it spawns anything.
    ///
    /// ```
    /// use streams_common::{process::ProcessOptions, ArgumentError};
    /// assert_eq!(ProcessOptions::default().limit(0).check(), Err(ArgumentError::ZeroLimit));
    /// ```
    pub fn check(&self) -> Result<(), crate::ArgumentError> {
        if self.limit == 0 {
            return Err(crate::ArgumentError::ZeroLimit);
        }
        Ok(())
    }

    fn transport(&self) -> TransportOptions {
        TransportOptions::default().limit(self.limit)
    }
}

/// A child process and the streams on its pipes (asyncio's
/// `asyncio.subprocess.Process`). See the [module docs](self) for the
/// deadlocks to avoid.
#[must_use = "the child runs on; wait() for it"]
pub struct Process {
    /// A writer to the child's stdin, if the command piped it.
    pub stdin: Option<StreamWriter>,
    /// A reader of the child's stdout, if the command piped it.
    pub stdout: Option<StreamReader>,
    /// A reader of the child's stderr, if the command piped it.
    pub stderr: Option<StreamReader>,
    child: Box<dyn Child>,
    pid: u32,
}

impl fmt::Debug for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Process")
            .field("pid", &self.pid)
            .field("stdin", &self.stdin.is_some())
            .field("stdout", &self.stdout.is_some())
            .field("stderr", &self.stderr.is_some())
            .finish()
    }
}

/// The pipes of a freshly spawned child, as transports: what an adapter
/// hands to [`Process::new`].
pub struct Pipes<I, O, E> {
    /// The child's stdin, if piped.
    pub stdin: Option<I>,
    /// The child's stdout, if piped.
    pub stdout: Option<O>,
    /// The child's stderr, if piped.
    pub stderr: Option<E>,
}

impl Process {
    /// A process over a spawned `child` (whose pid is `pid`) and its
    /// `pipes`, their streams driven on `rt`: for adapters. Fails on a
    /// zero limit (the child is killed then).
    pub fn new<I, O, E>(
        rt: &dyn Runtime,
        mut child: Box<dyn Child>,
        pid: u32,
        pipes: Pipes<I, O, E>,
        options: &ProcessOptions,
    ) -> io::Result<Process>
    where
        I: SendTransport,
        O: RecvTransport,
        E: RecvTransport,
    {
        let streams = open_streams(rt, pipes, options);
        match streams {
            Ok((stdin, stdout, stderr)) => Ok(Process {
                stdin,
                stdout,
                stderr,
                child,
                pid,
            }),
            Err(e) => {
                let _ = child.start_kill();
                Err(e.into())
            }
        }
    }

    /// The child's process id (asyncio's `pid`).
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Waits for the child to exit and returns its status (asyncio's
    /// `wait()`). Beware the deadlock of a full pipe (see the
    /// [module docs](self)): with output piped and not read,
    /// [`communicate`](Self::communicate) is the safe way. Cancel-safe.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        self.child.wait().await
    }

    /// The exit status if the child has exited, without waiting (asyncio's
    /// `returncode`, which is `None` while it runs).
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }

    /// Kills the child with `SIGKILL` (`TerminateProcess` on Windows;
    /// asyncio's `kill()`); does not wait.
    /// Nothing happens if it has already exited.
    pub fn kill(&mut self) -> io::Result<()> {
        if self.child.try_wait()?.is_some() {
            return Ok(());
        }
        self.child.start_kill()
    }

    /// Stops the child with `SIGTERM` (asyncio's `terminate()`).
    #[cfg(unix)]
    pub fn terminate(&mut self) -> io::Result<()> {
        self.send_signal(libc::SIGTERM)
    }

    /// Stops the child (asyncio's `terminate()`, which on Windows is
    /// `kill()`: `TerminateProcess`, there being no signals).
    #[cfg(not(unix))]
    pub fn terminate(&mut self) -> io::Result<()> {
        self.kill()
    }

    /// Sends `signal` to the child (asyncio's `send_signal()`). Nothing
    /// happens if it has already exited and been reaped (as asyncio, which
    /// skips a process it knows is gone). Unix only: Windows has no
    /// signals to send (asyncio maps a few of its names to `kill()` and
    /// console events there).
    #[cfg(unix)]
    pub fn send_signal(&mut self, signal: i32) -> io::Result<()> {
        if self.child.try_wait()?.is_some() {
            return Ok(());
        }
        let pid = libc::pid_t::try_from(self.pid)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "pid out of range"))?;
        // SAFETY: kill(2) takes plain integers; the child is not reaped
        // (try_wait just said so), so its pid is still its own.
        if unsafe { libc::kill(pid, signal) } == -1 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Sends `input` to stdin (if given) and closes it, reads stdout and
    /// stderr to EOF, all at the same time, then waits for the exit
    /// (asyncio's `communicate()`). The streams it uses are taken out of
    /// the [`Process`]; one that is not piped (or was taken before) gives
    /// an empty output. A child that does not read all of its input is
    /// not an error (asyncio ignores `BrokenPipeError` and
    /// `ConnectionResetError` there too).
    ///
    /// ```no_run
    /// # async fn f(mut process: streams_common::process::Process) -> std::io::Result<()> {
    /// let output = process.communicate(Some(b"input\n")).await?;
    /// assert!(output.status.success());
    /// println!("{}", String::from_utf8_lossy(&output.stdout));
    /// # Ok(()) }
    /// ```
    pub async fn communicate(&mut self, input: Option<&[u8]>) -> io::Result<Output> {
        let stdin = self.stdin.take();
        let stdout = self.stdout.take();
        let stderr = self.stderr.take();
        let feed = async move {
            if let Some(w) = stdin {
                if let Some(input) = input {
                    // The write cannot fail before write_eof; a child that
                    // exited early shows as a broken pipe, ignored.
                    let _ = w.write(input);
                }
                w.close();
                match w.wait_closed().await {
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                        ) => {}
                    other => other?,
                }
            }
            Ok::<(), io::Error>(())
        };
        let out = read_all(stdout);
        let err = read_all(stderr);
        let (fed, out, err) = join3(feed, out, err).await;
        fed?;
        let (stdout, stderr) = (out?, err?);
        let status = self.wait().await?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

/// The streams over a child's pipes.
#[allow(clippy::type_complexity)]
fn open_streams<I, O, E>(
    rt: &dyn Runtime,
    pipes: Pipes<I, O, E>,
    options: &ProcessOptions,
) -> Result<
    (
        Option<StreamWriter>,
        Option<StreamReader>,
        Option<StreamReader>,
    ),
    crate::ArgumentError,
>
where
    I: SendTransport,
    O: RecvTransport,
    E: RecvTransport,
{
    let stdin = match pipes.stdin {
        Some(p) => Some(transport::open_writer(rt, p, options.transport())?),
        None => None,
    };
    let stdout = match pipes.stdout {
        Some(p) => Some(transport::open_reader(rt, p, options.transport())?),
        None => None,
    };
    let stderr = match pipes.stderr {
        Some(p) => Some(transport::open_reader(rt, p, options.transport())?),
        None => None,
    };
    Ok((stdin, stdout, stderr))
}

/// Everything a piped stream gives until EOF (nothing if not piped).
async fn read_all(reader: Option<StreamReader>) -> io::Result<Vec<u8>> {
    let Some(mut reader) = reader else {
        return Ok(Vec::new());
    };
    let data = reader.read_to_eof().await?;
    Ok(data.to_vec())
}

/// Runs three futures at the same time; their outputs once all are done.
async fn join3<A: Future, B: Future, C: Future>(
    a: A,
    b: B,
    c: C,
) -> (A::Output, B::Output, C::Output) {
    let (mut a, mut b, mut c) = (pin!(a), pin!(b), pin!(c));
    let (mut ra, mut rb, mut rc) = (None, None, None);
    poll_fn(|cx| {
        if ra.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                rb = Some(v);
            }
        }
        if rc.is_none() {
            if let Poll::Ready(v) = c.as_mut().poll(cx) {
                rc = Some(v);
            }
        }
        match (ra.take(), rb.take(), rc.take()) {
            (Some(a), Some(b), Some(c)) => Poll::Ready((a, b, c)),
            (a, b, c) => {
                (ra, rb, rc) = (a, b, c);
                Poll::Pending
            }
        }
    })
    .await
}
