//! The crate's diagnostics: `tracing` events with the `tracing` feature
//! (on by default), compiled out without it. The macros take the two forms
//! this crate uses: a format string with its arguments, or `name = %value`
//! fields and a message. Without the feature they still evaluate nothing
//! and format nothing, but keep the arguments in use, so the code compiles
//! the same either way.

#[cfg(feature = "tracing")]
macro_rules! event {
    ($level:ident, $($t:tt)*) => {
        ::tracing::$level!($($t)*)
    };
}

#[cfg(not(feature = "tracing"))]
macro_rules! event {
    ($level:ident, $($field:ident = %$value:expr),+ , $msg:literal) => {{
        $(let _ = &$value;)+
    }};
    ($level:ident, $fmt:literal $(, $arg:expr)* $(,)?) => {{
        let _ = format_args!($fmt $(, $arg)*);
    }};
}

macro_rules! debug {
    ($($t:tt)*) => { $crate::diag::event!(debug, $($t)*) };
}
// Not `warn`, which would clash with the built-in attribute.
macro_rules! warning {
    ($($t:tt)*) => { $crate::diag::event!(warn, $($t)*) };
}
macro_rules! error {
    ($($t:tt)*) => { $crate::diag::event!(error, $($t)*) };
}

pub(crate) use {debug, error, event, warning};
