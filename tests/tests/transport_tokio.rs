//! Streams over transports on Tokio: every test is `tokio::<name>`.

mod tokio {
    streams_suite::transport_suite!(streams_suite::TokioAdapter);
}
