//! Streams over transports on smol: every test is `smol::<name>`.

mod smol {
    streams_suite::transport_suite!(streams_suite::SmolAdapter);
}
