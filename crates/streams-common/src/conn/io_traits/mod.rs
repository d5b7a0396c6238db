//! The standard async I/O traits on [`StreamReader`] and [`StreamWriter`]:
//! Tokio's (the `tokio-io` feature) and futures-io's (the `futures-io`
//! feature, which smol, futures-lite and async-std use).
//!
//! Why here, behind features: the reader and writer are shared by every
//! runtime, and only the crate that defines a type may implement a foreign
//! trait for it (the orphan rule), so the impls cannot live in the
//! adapters. Per-adapter wrapper types would work too, but would give each
//! runtime a different reader type and make the user unwrap it; features
//! keep one type. The adapters turn their runtime's feature on
//! (`streams-tokio`: `tokio-io`; `streams-smol` and `streams-async-std`:
//! `futures-io`); either can be turned on anywhere, as the impls use no
//! runtime: Tokio's traits come from `tokio` with no features (the traits
//! only, no reactor), so `tokio_util::codec` works on smol too.
//!
//! Both families share one implementation each way (`reader/in_place.rs`,
//! `writer/poll_io.rs`), with asyncio's semantics kept:
//!
//! * reading is cancel-safe: bytes are consumed only by the call that
//!   returns them (or by `consume`);
//! * EOF reads as 0 bytes (an empty `fill_buf`), every time;
//! * the error the connection ended with is reported by every read after
//!   it, as an [`io::Error`](std::io::Error) of the stored error's kind
//!   with the [`ReadError`](crate::ReadError) inside (its source is the
//!   stored error);
//! * writing follows `drain()`: accepted whole at or below the high-water
//!   mark, pending above it until the buffer is down to the low-water
//!   mark; once the connection is over, writes fail (as `drain()` does)
//!   rather than being dropped silently as asyncio's `write()` drops them;
//! * `flush` waits until everything written has been handed to the socket;
//! * `shutdown` (futures' `close`) is `write_eof()` where the transport can
//!   half-close and `close()` where it cannot (TLS), then waits until our
//!   side is finished.
//!
//! [`StreamReader`]: crate::StreamReader
//! [`StreamWriter`]: crate::StreamWriter

#[cfg(feature = "futures-io")]
mod futures;
#[cfg(feature = "tokio-io")]
mod tokio;
