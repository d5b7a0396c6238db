//! The shared suite on async-std: every test is `async_std::<name>`.

mod async_std {
    streams_suite::suite!(streams_suite::AsyncStdAdapter);
}
