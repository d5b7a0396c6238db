//! Operation sequences against the sans-IO connection core: two cores in
//! memory (plain, `start_tls`, or TLS with a real handshake) or one core
//! fed chosen bytes, with the byte-conservation, lifecycle, memory and
//! wake-up checks after every step. The checker lives with the stable
//! tests, which replay `corpus/connection/`.
#![no_main]

#[path = "../../crates/streams-common/tests/connection_fuzz/mod.rs"]
mod connection_fuzz;

libfuzzer_sys::fuzz_target!(|data: &[u8]| connection_fuzz::run_bytes(data));
