//! The reference model of asyncio's `StreamReader` and the operation-sequence
//! checker that compares `reader-core` with it.
//!
//! Shared by the stable tests (`mod model;`) and the fuzz target
//! (`fuzz/fuzz_targets/ops.rs`, through `#[path]`), so that CI without
//! nightly replays the fuzz corpus through exactly the fuzzer's checks.
#![allow(dead_code, unused_imports)]

pub mod checker;
pub mod reference;

pub use checker::{run, run_bytes, Action, Config, Input};
pub use reference::{MOp, Model, Res, Sep};
