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
//! `writer/poll_io.rs`); the semantics are in the
//! [crate docs](crate#the-standard-io-traits).
//!
//! [`StreamReader`]: crate::StreamReader
//! [`StreamWriter`]: crate::StreamWriter

#[cfg(feature = "futures-io")]
mod futures;
#[cfg(feature = "tokio-io")]
mod tokio;
