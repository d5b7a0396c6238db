//! The reader and writer with the rest of the ecosystem (I/O traits,
//! codecs, errors, line streams) on each runtime: `tokio::<name>`,
//! `smol::<name>`, `async_std::<name>`.

mod tokio {
    streams_suite::ecosystem_suite!(streams_suite::TokioAdapter);
}

mod smol {
    streams_suite::ecosystem_suite!(streams_suite::SmolAdapter);
}

mod async_std {
    streams_suite::ecosystem_suite!(streams_suite::AsyncStdAdapter);
}
