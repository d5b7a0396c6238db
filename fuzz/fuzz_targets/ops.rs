//! Operation sequences against `reader-core` and the reference model of
//! asyncio's `StreamReader`: no panic, exact byte conservation, bounded
//! buffer when the driver honours flow control, and the model's results.
//! The checker lives with the stable tests, which replay `corpus/ops/`.
#![no_main]

#[path = "../../crates/reader-core/tests/model/mod.rs"]
mod model;

libfuzzer_sys::fuzz_target!(|data: &[u8]| model::run_bytes(data));
