//! `#[must_use]` where dropping a value is a mistake, checked by doctests
//! that must fail to compile with `unused_must_use` denied; the first
//! block is the same code with every value used, which compiles, so each
//! failure can only be the unused value.

/// Every value used: compiles.
///
/// ```
/// #![deny(unused_must_use)]
/// fn f(mut reader: streams_common::StreamReader, writer: &streams_common::StreamWriter) {
///     let _ = reader.take_buffered();
///     let _ = reader.buffered();
///     let _ = reader.line_stream();
///     let _ = writer.get_write_buffer_size();
///     let _ = streams_common::OpenOptions::default().limit(5);
///     let _ = reader.into_lines();
/// }
/// ```
///
/// The bytes `take_buffered` removed, dropped:
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// fn f(mut reader: streams_common::StreamReader) {
///     reader.take_buffered();
/// }
/// ```
///
/// A line stream never polled:
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// fn f(mut reader: streams_common::StreamReader) {
///     reader.line_stream();
/// }
/// ```
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// fn f(reader: streams_common::StreamReader) {
///     reader.into_lines();
/// }
/// ```
///
/// A builder's result dropped (the options are unchanged):
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// fn f() {
///     streams_common::OpenOptions::default().limit(5);
/// }
/// ```
///
/// A getter's result dropped:
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// fn f(writer: &streams_common::StreamWriter) {
///     writer.get_write_buffer_size();
/// }
/// ```
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// fn f(mut reader: streams_common::StreamReader) {
///     reader.buffered();
/// }
/// ```
///
/// In reader-core too:
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// fn f(mut reader: reader_core::Reader<()>) {
///     reader.take_buffered();
/// }
/// ```
#[cfg(doctest)]
pub struct MustUse;
