//! The connection core under operation sequences: two cores driven
//! against each other in memory (plain, `start_tls`, or TLS from the start
//! with a real handshake), or one core fed bytes the input chooses.
//!
//! Shared by the fuzz target (`fuzz/fuzz_targets/connection.rs`, through
//! `#[path]`) and the stable replay of its corpus
//! (`tests/connection_fuzz_corpus.rs`), so that CI without nightly runs
//! every kept input through exactly the fuzzer's checks.
//!
//! After every operation:
//!
//! * nothing panicked, and the driver contract holds (no empty `Send`, no
//!   `Send` after `ShutdownWrite`, no receive after EOF, `wants_recv()`
//!   agrees with `recv_room()`);
//! * the phase only moves forward (Open, Closing, ShuttingDown, Lost,
//!   Closed; skipping allowed);
//! * no byte is lost, repeated or made up: what an application reads, in
//!   order, is what the peer wrote (plain: the incoming wire's bytes; over
//!   TLS: the peer's plaintext), every byte received is read, in the
//!   reader or in the inbox, and the write buffer holds exactly what was
//!   written and not sent (the plaintext a `Send` offers is exactly that);
//! * memory: what was received and not read stays within
//!   `2 * limit + 64 KiB`;
//! * nobody waits in vain: a waiting read, drain, handshake or
//!   `wait_closed` whose answer is there was woken (READER, DRAIN,
//!   HANDSHAKE, CLOSED), and a sleeping driver is woken (DRIVER) before
//!   the core has work for it, wants to receive again, or has an earlier
//!   deadline.
//!
//! At the end, everything settles (both applications read everything,
//! both drivers run, the clock jumps from deadline to deadline), and then:
//! no connection is left Lost, no handshake Pending, no drain waiting; a
//! closed or aborted one is Closed; a TLS stream that ended is Closed;
//! nothing is left unread; and where nothing excuses a loss (no abort,
//! error, early EOF, corruption or close by the receiver), every byte one
//! side wrote was read by the other, followed by the EOF.
#![allow(dead_code)]

pub mod app;
pub mod end;
pub mod input;
pub mod pki;
pub mod wire;
pub mod world;

use arbitrary::{Arbitrary, Unstructured};

pub use input::Input;
pub use world::World;

/// Operations beyond this many are ignored.
pub const MAX_OPS: usize = 300;

/// How strict the checks are.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Let an application close a connection whose incoming bytes were
    /// corrupted (and corrupt bytes towards one that closed). Off by default, around a rustls bug (rustls/rustls#959):
    /// a record rustls cannot read after our close_notify makes it send a
    /// fatal alert, which trips its `debug_assert!(!self.sent_fatal_alert)`
    /// in builds with debug assertions (cargo-fuzz's and `cargo test`'s).
    pub strict_close_after_corruption: bool,
}

/// Runs one input: its operations, then settling and the final checks.
pub fn run(input: &Input) {
    run_with(input, Options::default());
}

/// [`run`] with other [`Options`].
pub fn run_with(input: &Input, options: Options) {
    let mut world = World::new(input.setup, options);
    for op in input.ops.iter().take(MAX_OPS) {
        world.apply(op);
    }
    world.settle();
}

/// Runs raw fuzzer bytes (inputs `arbitrary` cannot decode are skipped).
pub fn run_bytes(data: &[u8]) {
    run_bytes_with(data, Options::default());
}

/// [`run_bytes`] with other [`Options`].
pub fn run_bytes_with(data: &[u8], options: Options) {
    if let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) {
        run_with(&input, options);
    }
}
