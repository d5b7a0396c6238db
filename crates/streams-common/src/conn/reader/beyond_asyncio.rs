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
    /// ```
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # smol::block_on(smol::future::or(async {
    /// # let ((mut reader, _writer), (_, peer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// use streams_common::{ArgumentError, ReadError};
    /// peer.write(b"DATA\r\n")?;
    /// peer.write(&[b'x'; 2000])?;
    /// peer.write(b"\r\n.\r\n")?;
    /// reader.set_limit(512)?; // commands: short lines
    /// let command = reader.readline().await?;
    /// assert_eq!(command, "DATA\r\n");
    /// // The body is longer than 512 bytes: asyncio's LimitOverrunError...
    /// let overrun = reader.readuntil(b"\r\n.\r\n").await;
    /// assert!(matches!(overrun, Err(ReadError::LimitOverrun { .. })));
    /// reader.set_limit(10 * 1024 * 1024)?; // ... so a larger limit for the body
    /// let body = reader.readuntil(b"\r\n.\r\n").await?;
    /// assert_eq!(body.len(), 2005);
    /// reader.set_limit(512)?;
    /// assert_eq!(reader.set_limit(0), Err(ArgumentError::ZeroLimit));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
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
    /// the data in place: discard `consumed` bytes (and the separator
    /// after them, when `separator_found`) and search again; when the
    /// separator was not found yet, what the next search returns is still
    /// the end of the too-long record.
    ///
    /// ```
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # smol::block_on(smol::future::or(async {
    /// # let ((mut reader, _writer), (_, peer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// use streams_common::ReadError;
    /// reader.set_limit(16)?;
    /// peer.write(b"a record longer than 16 bytes\0short\0")?;
    /// let mut skipping = false; // in a record that was too long
    /// let record = loop {
    ///     match reader.readuntil(b"\0").await {
    ///         Ok(_tail) if skipping => skipping = false, // its end: dropped
    ///         Ok(record) => break record,
    ///         // Too long: skip what was searched (and the separator, if found).
    ///         Err(ReadError::LimitOverrun { consumed, separator_found }) => {
    ///             reader.discard(consumed + usize::from(separator_found));
    ///             skipping = !separator_found;
    ///         }
    ///         Err(e) => return Err(e.into()),
    ///     }
    /// };
    /// assert_eq!(record, "short\0");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
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
    /// ```
    /// # use streams_common::transport::{pair, TransportOptions};
    /// # smol::block_on(smol::future::or(async {
    /// # let ((mut reader, _writer), (_, peer)) = pair(&streams_smol::Smol::default(), 1 << 16, TransportOptions::default())?;
    /// peer.write(b"STARTTLS\r\n\x16\x03\x01")?;
    /// assert_eq!(reader.readline().await?, "STARTTLS\r\n");
    /// // A look at what came next, before choosing how to read it:
    /// assert!(reader.buffered().starts_with(b"\x16\x03")); // a TLS ClientHello
    /// assert_eq!(reader.buffered_len(), 3); // still buffered
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }, async { smol::Timer::after(std::time::Duration::from_secs(10)).await; Err("timed out".into()) })).unwrap();
    /// ```
    #[must_use]
    pub fn buffered(&mut self) -> Cow<'_, [u8]> {
        self.sync();
        self.core.buffered()
    }
}
