//! The one error type every read operation returns.

use bytes::Bytes;
use core::fmt;

/// Why a read operation (or an input) failed.
///
/// One enum for the whole reader, as asyncio reports one family of
/// exceptions: each variant carries the data asyncio's exception carries, so
/// nothing that was received is lost by reporting it. `Display` prints
/// asyncio's own message.
///
/// `E` is the driver's stored error (see [`Reader::set_error`]); the reader
/// only clones it, so an `Arc<std::io::Error>` or a small enum both work.
///
/// [`Reader::set_error`]: crate::Reader::set_error
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadError<E> {
    /// EOF arrived before the operation could complete (asyncio's
    /// `IncompleteReadError`). `partial` holds every byte that was buffered,
    /// which the reader no longer has; `expected` is the size asked of
    /// `readexactly`, or `None` for `readuntil`.
    Incomplete {
        /// The bytes received before EOF (possibly part of a separator).
        partial: Bytes,
        /// How many bytes `readexactly` wanted; `None` from `readuntil`.
        expected: Option<usize>,
    },
    /// `readuntil` could not return a chunk within the limit (asyncio's
    /// `LimitOverrunError`). The buffer is left untouched: the caller may
    /// inspect or consume `consumed` bytes.
    LimitOverrun {
        /// Where the separator starts (`separator_found`), or how many bytes
        /// can be skipped without losing a separator that may still arrive.
        consumed: usize,
        /// Whether a separator was in the buffer (beyond the limit).
        separator_found: bool,
    },
    /// `readline` found a line longer than the limit (asyncio raises
    /// `ValueError` with the overrun's message). It has already discarded
    /// the line: through its newline when the newline was buffered, and
    /// the whole buffer otherwise.
    LineTooLong {
        /// How many bytes `readline` dropped from the buffer.
        discarded: usize,
        /// Whether the newline was in the buffer (and was dropped too).
        separator_found: bool,
    },
    /// An argument asyncio rejects with `ValueError`.
    InvalidArgument(InvalidArgument),
    /// Data was fed after EOF (asyncio asserts; here it is an error and the
    /// data is not taken).
    FeedAfterEof,
    /// The error the driver stored with [`Reader::set_error`]; every read
    /// reports it from then on.
    ///
    /// [`Reader::set_error`]: crate::Reader::set_error
    Stored(E),
}

/// The arguments asyncio rejects with `ValueError`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvalidArgument {
    /// A reader needs a limit of at least one byte.
    ZeroLimit,
    /// `readexactly` was asked for a negative size (only possible through
    /// the asyncio-compatible [`Op`](crate::Op) interface).
    NegativeSize,
    /// A separator was empty.
    EmptySeparator,
    /// A list of separators was empty.
    NoSeparators,
    /// The driver committed more bytes than the spare capacity it was given.
    CommitOverflow,
}

impl InvalidArgument {
    /// asyncio's message for this argument error, where asyncio has one.
    #[must_use]
    pub fn message(self) -> &'static str {
        match self {
            InvalidArgument::ZeroLimit => "Limit cannot be <= 0",
            InvalidArgument::NegativeSize => "readexactly size can not be less than zero",
            InvalidArgument::EmptySeparator => "Separator should be at least one-byte string",
            InvalidArgument::NoSeparators => "Separator should contain at least one element",
            InvalidArgument::CommitOverflow => {
                "committed more bytes than the spare capacity handed out"
            }
        }
    }
}

impl fmt::Display for InvalidArgument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for InvalidArgument {}

/// asyncio's two `LimitOverrunError` messages (and `readline`'s `ValueError`).
pub(crate) fn overrun_message(separator_found: bool) -> &'static str {
    if separator_found {
        "Separator is found, but chunk is longer than limit"
    } else {
        "Separator is not found, and chunk exceed the limit"
    }
}

impl<E: fmt::Display> fmt::Display for ReadError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Incomplete { partial, expected } => {
                write!(f, "{} bytes read on a total of ", partial.len())?;
                match expected {
                    Some(n) => write!(f, "{n} expected bytes"),
                    None => f.write_str("undefined expected bytes"),
                }
            }
            ReadError::LimitOverrun {
                separator_found, ..
            }
            | ReadError::LineTooLong {
                separator_found, ..
            } => f.write_str(overrun_message(*separator_found)),
            ReadError::InvalidArgument(arg) => arg.fmt(f),
            ReadError::FeedAfterEof => f.write_str("feed_data after feed_eof"),
            ReadError::Stored(e) => e.fmt(f),
        }
    }
}

impl<E> core::error::Error for ReadError<E>
where
    E: core::error::Error + 'static,
{
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            ReadError::Stored(e) => Some(e),
            ReadError::InvalidArgument(a) => Some(a),
            _ => None,
        }
    }
}

impl<E> From<InvalidArgument> for ReadError<E> {
    fn from(arg: InvalidArgument) -> Self {
        ReadError::InvalidArgument(arg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn messages_are_asyncios() {
        let e: ReadError<&str> = ReadError::Incomplete {
            partial: Bytes::from_static(b"line1\nline2\nline3\n"),
            expected: Some(36),
        };
        assert_eq!(
            e.to_string(),
            "18 bytes read on a total of 36 expected bytes"
        );
        let e: ReadError<&str> = ReadError::Incomplete {
            partial: Bytes::from_static(b"hello world"),
            expected: None,
        };
        assert_eq!(
            e.to_string(),
            "11 bytes read on a total of undefined expected bytes"
        );
        let e: ReadError<&str> = ReadError::LimitOverrun {
            consumed: 4,
            separator_found: false,
        };
        assert_eq!(
            e.to_string(),
            "Separator is not found, and chunk exceed the limit"
        );
        let e: ReadError<&str> = ReadError::LineTooLong {
            discarded: 5,
            separator_found: true,
        };
        assert_eq!(
            e.to_string(),
            "Separator is found, but chunk is longer than limit"
        );
        let e: ReadError<&str> = InvalidArgument::NoSeparators.into();
        assert_eq!(
            e.to_string(),
            "Separator should contain at least one element"
        );
        assert_eq!(ReadError::Stored("reset").to_string(), "reset");
    }
}
