//! The TLS suite on tokio: every test is `tokio::<name>`.

mod tokio {
    streams_suite::tls_suite!(streams_suite::TokioAdapter);
}
