//! [`ReadError`] into [`std::io::Error`], with the `std` feature: so that a
//! read's error can be `?`-ed in a function returning `io::Result`, and
//! reads can back `std`-style I/O traits.

use crate::ReadError;
use std::io;
use std::sync::Arc;

impl ReadError<Arc<io::Error>> {
    /// The [`io::ErrorKind`] this error is reported with: `UnexpectedEof`
    /// for a read that EOF cut short, `InvalidData` for data that broke the
    /// limit (an overrun, an over-long line), `InvalidInput` for an
    /// argument or driver error, and the stored error's own kind for the
    /// error the connection ended with.
    fn io_kind(&self) -> io::ErrorKind {
        match self {
            ReadError::Incomplete { .. } => io::ErrorKind::UnexpectedEof,
            ReadError::LimitOverrun { .. } | ReadError::LineTooLong { .. } => {
                io::ErrorKind::InvalidData
            }
            ReadError::InvalidArgument(_) | ReadError::FeedAfterEof => io::ErrorKind::InvalidInput,
            ReadError::Stored(e) => e.kind(),
        }
    }
}

/// For `?` in functions returning `io::Result`, and for the I/O traits a
/// reader implements.
///
/// The kind says what happened (`UnexpectedEof`: EOF before the read could
/// complete; `InvalidData`: a chunk or line longer than the limit;
/// `InvalidInput`: a rejected argument; a stored error keeps its own kind),
/// and the `ReadError` itself is the error inside, so nothing is lost: the
/// bytes an [`Incomplete`](ReadError::Incomplete) carries, the counts of an
/// overrun, and the stored error (the `ReadError`'s
/// [`source`](std::error::Error::source)) are all reachable by downcasting.
///
/// ```
/// use reader_core::{Bytes, ReadError};
/// use std::{io, sync::Arc};
///
/// fn read_header() -> io::Result<()> {
///     let e: ReadError<Arc<io::Error>> = ReadError::Incomplete {
///         partial: Bytes::from_static(b"GET"),
///         expected: Some(8),
///     };
///     Err(e)?
/// }
///
/// let e = read_header().unwrap_err();
/// assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
/// assert_eq!(e.to_string(), "3 bytes read on a total of 8 expected bytes");
/// let original = e.get_ref().unwrap().downcast_ref::<ReadError<Arc<io::Error>>>();
/// assert!(matches!(original, Some(ReadError::Incomplete { partial, .. }) if partial == "GET"));
/// ```
impl From<ReadError<Arc<io::Error>>> for io::Error {
    fn from(e: ReadError<Arc<io::Error>>) -> io::Error {
        io::Error::new(e.io_kind(), e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InvalidArgument;
    use bytes::Bytes;
    use std::error::Error as _;
    use std::format;
    use std::string::ToString;

    type E = ReadError<Arc<io::Error>>;

    fn original(e: &io::Error) -> &E {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<E>())
            .expect("the ReadError is inside")
    }

    #[test]
    fn each_error_has_its_kind_and_stays_inside() {
        let cases: [(E, io::ErrorKind); 6] = [
            (
                ReadError::Incomplete {
                    partial: Bytes::from_static(b"ab"),
                    expected: None,
                },
                io::ErrorKind::UnexpectedEof,
            ),
            (
                ReadError::LimitOverrun {
                    consumed: 9,
                    separator_found: false,
                },
                io::ErrorKind::InvalidData,
            ),
            (
                ReadError::LineTooLong {
                    discarded: 9,
                    separator_found: true,
                },
                io::ErrorKind::InvalidData,
            ),
            (
                ReadError::InvalidArgument(InvalidArgument::EmptySeparator),
                io::ErrorKind::InvalidInput,
            ),
            (ReadError::FeedAfterEof, io::ErrorKind::InvalidInput),
            (
                ReadError::Stored(Arc::new(io::Error::from(io::ErrorKind::BrokenPipe))),
                io::ErrorKind::BrokenPipe,
            ),
        ];
        for (e, kind) in cases {
            let message = e.to_string();
            let io: io::Error = e.clone().into();
            assert_eq!(io.kind(), kind, "{e:?}");
            assert_eq!(io.to_string(), message, "the message is asyncio's");
            assert_eq!(format!("{:?}", original(&io)), format!("{e:?}"));
        }
    }

    #[test]
    fn a_stored_error_keeps_its_kind_code_and_source() {
        let stored = Arc::new(io::Error::from_raw_os_error(104));
        let io: io::Error = E::Stored(stored.clone()).into();
        assert_eq!(io.kind(), stored.kind());
        let source = original(&io).source().expect("the stored error");
        let source = source
            .downcast_ref::<Arc<io::Error>>()
            .expect("the stored Arc");
        assert!(Arc::ptr_eq(source, &stored));
        assert_eq!(source.raw_os_error(), Some(104));
    }
}
