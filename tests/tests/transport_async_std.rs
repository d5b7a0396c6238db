//! Streams over transports on async-std: every test is `async_std::<name>`.

mod async_std {
    streams_suite::transport_suite!(streams_suite::AsyncStdAdapter);
}
