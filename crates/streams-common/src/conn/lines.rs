//! The lines of a [`StreamReader`] as a [`Stream`]: borrowing the reader
//! ([`Lines`]) or owning it ([`IntoLines`]).

use super::StreamReader;
use crate::error::ReadError;
use bytes::Bytes;
use futures_core::stream::{FusedStream, Stream};
use std::fmt;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Where a line stream is, shared by both kinds.
#[derive(Clone, Copy, Debug, Default)]
struct State {
    /// The stream ended (EOF, or after yielding an error).
    done: bool,
    /// A [`LineTooLong`](ReadError::LineTooLong) is yielded and the stream
    /// goes on, as `readline` does (it dropped the line already).
    past_long_lines: bool,
}

impl State {
    fn poll_next(
        &mut self,
        reader: &mut StreamReader,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, ReadError>>> {
        if self.done {
            return Poll::Ready(None);
        }
        let r = ready!(reader.poll_op(cx, |r| r.readline()));
        Poll::Ready(match r {
            Ok(line) if line.is_empty() => {
                self.done = true;
                None
            }
            Ok(line) => Some(Ok(line)),
            Err(e @ ReadError::LineTooLong { .. }) if self.past_long_lines => Some(Err(e)),
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        })
    }
}

/// The lines of a reader, borrowing it: see
/// [`StreamReader::line_stream`].
///
/// Each item is one `readline()`; the stream ends at EOF (the last line
/// may lack its `\n`), and after yielding an error, unless
/// [`continue_after_line_too_long`](Self::continue_after_line_too_long)
/// was asked. Cancel-safe, as every read: a line is taken only when it is
/// yielded.
#[must_use = "streams do nothing unless polled"]
pub struct Lines<'a> {
    reader: &'a mut StreamReader,
    state: State,
}

impl<'a> Lines<'a> {
    pub(super) fn new(reader: &'a mut StreamReader) -> Self {
        Lines {
            reader,
            state: State::default(),
        }
    }

    /// Goes on after a line longer than the limit: the
    /// [`LineTooLong`](ReadError::LineTooLong) error is yielded and the
    /// next item is the next line, which is what asyncio's `readline` does
    /// when called again (asyncio's `async for` stops at the error, and so
    /// does this stream without this call). Other errors still end it.
    ///
    /// ```no_run
    /// use futures::StreamExt;
    /// use streams_common::ReadError;
    /// # async fn f(mut reader: streams_common::StreamReader) -> Result<(), ReadError> {
    /// let mut lines = reader.line_stream().continue_after_line_too_long();
    /// while let Some(line) = lines.next().await {
    ///     match line {
    ///         Ok(line) => println!("{line:?}"),
    ///         Err(ReadError::LineTooLong { discarded, .. }) => {
    ///             eprintln!("skipped a line of {discarded} bytes")
    ///         }
    ///         Err(e) => return Err(e),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn continue_after_line_too_long(mut self) -> Self {
        self.state.past_long_lines = true;
        self
    }
}

impl fmt::Debug for Lines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lines")
            .field("reader", &self.reader)
            .field("done", &self.state.done)
            .field("continue_after_line_too_long", &self.state.past_long_lines)
            .finish()
    }
}

impl Stream for Lines<'_> {
    type Item = Result<Bytes, ReadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.state.poll_next(this.reader, cx)
    }
}

impl FusedStream for Lines<'_> {
    fn is_terminated(&self) -> bool {
        self.state.done
    }
}

/// The lines of a reader, owning it: a `'static` [`Stream`] (see
/// [`StreamReader::into_lines`]), with the same items and end as
/// [`Lines`]. [`into_inner`](Self::into_inner) gives the reader back, with
/// every byte that no yielded line took.
#[must_use = "streams do nothing unless polled"]
pub struct IntoLines {
    reader: StreamReader,
    state: State,
}

impl IntoLines {
    pub(super) fn new(reader: StreamReader) -> Self {
        IntoLines {
            reader,
            state: State::default(),
        }
    }

    /// Goes on after a line longer than the limit, as
    /// [`Lines::continue_after_line_too_long`] does.
    pub fn continue_after_line_too_long(mut self) -> Self {
        self.state.past_long_lines = true;
        self
    }

    /// The reader, for other reads.
    #[must_use]
    pub fn get_mut(&mut self) -> &mut StreamReader {
        &mut self.reader
    }

    /// The reader back, with whatever no yielded line took still buffered.
    #[must_use]
    pub fn into_inner(self) -> StreamReader {
        self.reader
    }
}

impl fmt::Debug for IntoLines {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoLines")
            .field("reader", &self.reader)
            .field("done", &self.state.done)
            .field("continue_after_line_too_long", &self.state.past_long_lines)
            .finish()
    }
}

impl Stream for IntoLines {
    type Item = Result<Bytes, ReadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.state.poll_next(&mut this.reader, cx)
    }
}

impl FusedStream for IntoLines {
    fn is_terminated(&self) -> bool {
        self.state.done
    }
}
