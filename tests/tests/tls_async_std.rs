//! The TLS suite on async_std: every test is `async_std::<name>`.

mod async_std {
    streams_suite::tls_suite!(streams_suite::AsyncStdAdapter);
}
