//! The shared suite on Tokio: every test is `tokio::<name>`.

mod tokio {
    streams_suite::suite!(streams_suite::TokioAdapter);
}
