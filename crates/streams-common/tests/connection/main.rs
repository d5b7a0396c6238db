//! The connection core's own tests: two `Connection`s driven against each
//! other in memory by a [`pair::Pair`], on a virtual clock. No sockets, no
//! sleeps, no wall clock.

mod os_codes;
mod pair;
mod tls;

mod backpressure;
mod close;
mod drain;
mod errors;
mod flow;
mod flush;
mod half_close;
mod handshake;
mod linger;
mod memory;
mod reader_limit;
mod start_tls;
mod timeouts;
