//! The TLS suite on smol: every test is `smol::<name>`.

mod smol {
    streams_suite::tls_suite!(streams_suite::SmolAdapter);
}
