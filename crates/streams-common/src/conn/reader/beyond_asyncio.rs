//! What [`StreamReader`] offers beyond asyncio's `StreamReader`: a limit
//! that can change on a live reader, discarding without allocating, and a
//! view of what is buffered.

use super::StreamReader;
use crate::error::ArgumentError;
use std::borrow::Cow;
use std::sync::atomic::Ordering;

impl StreamReader {
    /// Changes the buffer limit of a live reader (beyond asyncio, whose
    /// limit is fixed by `open_connection` / `start_server`). A protocol
    /// with short command lines and long bodies reads each with its own
    /// limit: SMTP's commands under a small one, its `DATA` under a large
    /// one. The next read uses the new limit, and flow control follows at
    /// once: receiving pauses while more than twice the new limit is
    /// buffered, and a paused connection resumes once the buffer is at or
    /// below it. A limit of 0 is refused ([`ArgumentError::ZeroLimit`], as
    /// `open_connection` refuses it) and changes nothing.
    ///
    /// ```no_run
    /// # async fn f(mut reader: streams_common::StreamReader) -> Result<(), Box<dyn std::error::Error>> {
    /// reader.set_limit(512)?; // commands: short lines
    /// let command = reader.readline().await?;
    /// if command.as_ref() == b"DATA\r\n" {
    ///     reader.set_limit(10 * 1024 * 1024)?; // the message body
    ///     let body = reader.readuntil(b"\r\n.\r\n").await?;
    ///     reader.set_limit(512)?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn set_limit(&mut self, limit: usize) -> Result<(), ArgumentError> {
        let mut st = self.shared.lock();
        st.core
            .set_reader_limit(&mut self.core, limit)
            .map_err(|_| ArgumentError::ZeroLimit)?;
        self.published = self.core.len();
        self.shared
            .reader_len
            .store(self.published, Ordering::Relaxed);
        Ok(())
    }

    /// Drops up to `n` buffered bytes and returns how many it dropped
    /// (fewer when fewer are buffered), without allocating or copying
    /// (beyond asyncio, where skipping means reading into a throwaway
    /// `bytes`). Never waits: it drops what has arrived. The way on after
    /// a [`LimitOverrun`](crate::ReadError::LimitOverrun), which leaves
    /// the data in place: discard `consumed` bytes and search again.
    ///
    /// ```no_run
    /// use streams_common::ReadError;
    /// # async fn f(mut reader: streams_common::StreamReader) -> Result<(), ReadError> {
    /// let record = loop {
    ///     match reader.readuntil(b"\0").await {
    ///         Ok(record) => break record,
    ///         // Too long: skip what was searched, look for the next one.
    ///         Err(ReadError::LimitOverrun { consumed, .. }) => {
    ///             reader.discard(consumed);
    ///         }
    ///         Err(e) => return Err(e),
    ///     }
    /// };
    /// # Ok(()) }
    /// ```
    pub fn discard(&mut self, n: usize) -> usize {
        self.sync();
        let was_paused = self.core.reading_paused();
        let dropped = self.core.discard(n);
        Self::settle(&self.shared, &self.core, &mut self.published, was_paused);
        dropped
    }

    /// The bytes received and not consumed, without consuming them (beyond
    /// asyncio, whose buffer is private): to look ahead before choosing a
    /// read, or to log what a peer sent before an error. Borrowed from the
    /// buffer when its bytes are in one piece, as they usually are; a copy
    /// otherwise. Takes `&mut self` because it first takes in what the
    /// connection received since the last read.
    ///
    /// ```no_run
    /// # async fn f(mut reader: streams_common::StreamReader) {
    /// if reader.buffered().starts_with(b"\x16\x03") {
    ///     // a TLS ClientHello
    /// }
    /// # }
    /// ```
    #[must_use]
    pub fn buffered(&mut self) -> Cow<'_, [u8]> {
        self.sync();
        self.core.buffered()
    }
}
