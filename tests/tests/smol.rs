//! The shared suite on smol: every test is `smol::<name>`.

mod smol {
    streams_suite::suite!(streams_suite::SmolAdapter);
}
