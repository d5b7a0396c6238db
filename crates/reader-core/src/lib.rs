//! asyncio's `StreamReader` as a pure, sans-IO state machine.
//!
//! `reader-core` owns what asyncio's stream reader owns — the buffer and its
//! limit, EOF, a stored error, and splitting by length, line or separator —
//! and nothing else: no sockets, no runtime, no clock. Bytes and events go
//! in; results and flow-control decisions come out. The async adapters of
//! this project drive it over real transports; fuzzers and custom executors
//! drive it by hand. The flow-control rule it applies is public in
//! [`flow`], for drivers that keep a receive buffer of their own.
//!
//! The semantics are CPython's (3.13 where versions differ), checked against
//! traces recorded from CPython itself:
//!
//! * a buffer `limit`: `readuntil` fails with
//!   [`ReadError::LimitOverrun`] and leaves the data in place; `readline`
//!   drops the over-long line and fails with [`ReadError::LineTooLong`];
//! * [`ReadError::Incomplete`] carries every byte received before EOF;
//! * multi-byte separators, and several at once (the earliest-ending wins);
//! * argument errors are reported before a stored error, and `read(0)`
//!   still reports a stored error.
//!
//! Where asyncio loses data, this crate does not: a read that is abandoned
//! before it completes has consumed nothing, and
//! [`Reader::take_buffered`] hands every unconsumed byte to whoever takes
//! the stream over (asyncio's `start_tls` loses them, gh-142352).
//!
//! # Driving it by hand
//!
//! ```
//! use reader_core::{Reader, ReadError};
//! use std::task::Poll;
//!
//! let mut reader: Reader<std::io::ErrorKind> = Reader::new(16).unwrap();
//!
//! // The application asks for a line; none is there yet.
//! assert!(reader.readline().is_pending());
//!
//! // The driver reads from its transport straight into the buffer...
//! let received = b"HELO a\nvery long line without end";
//! let room = reader.spare_capacity(received.len());
//! room[..received.len()].copy_from_slice(received);
//! reader.commit(received.len()).unwrap();
//! // ...and stops reading while the reader says so: 34 bytes are more
//! // than twice the limit.
//! assert!(reader.reading_paused());
//!
//! // The same call, resumed, now completes.
//! assert_eq!(reader.readline(), Poll::Ready(Ok("HELO a\n".into())));
//! assert!(reader.reading_paused()); // 26 bytes left: still above the limit
//!
//! // The next line is longer than the limit: dropped, with a typed error,
//! // and reading resumes.
//! assert_eq!(
//!     reader.readline(),
//!     Poll::Ready(Err(ReadError::LineTooLong { discarded: 26, separator_found: false }))
//! );
//! assert!(!reader.reading_paused());
//!
//! // The transport closes with an error: every later read reports it.
//! reader.set_error(std::io::ErrorKind::ConnectionReset);
//! assert_eq!(
//!     reader.read(10),
//!     Poll::Ready(Err(ReadError::Stored(std::io::ErrorKind::ConnectionReset)))
//! );
//! ```
//!
//! A single reader at a time is a compile-time rule: every read takes
//! `&mut self`, where asyncio raises "another coroutine is already waiting".
//!
//! # Features
//!
//! * `std` (off: the crate is `no_std` with `alloc`): `ReadError<Arc<io::Error>>`
//!   converts into `std::io::Error` (see its `From` impl), so a read's error
//!   can be `?`-ed in a function returning `io::Result`.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod flow;

mod buffer;
mod error;
#[cfg(feature = "std")]
mod io;
mod op;
mod reader;
mod separators;

pub use error::{InvalidArgument, ReadError};
pub use op::{Op, Outcome};
pub use reader::{Reader, DEFAULT_LIMIT, MAX_SPARE_CAPACITY};
pub use separators::Separators;

pub use bytes::{Bytes, BytesMut};

/// The crate README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
