//! The behavioural suite of the streams adapters, written once.
//!
//! Every test body is an `async fn` generic over an [`Adapter`]: the
//! runtime's `block_on`, `spawn`, `spawn_blocking` and timer, and the
//! adapter crate's public entry points. [`suite!`] instantiates every body
//! as a `#[test]` for one adapter, so `tests/tests/tokio.rs`,
//! `tests/tests/smol.rs` and `tests/tests/async_std.rs` are one line each
//! and the test names say the runtime (`tokio::echo_lines_and_lines_stream`).
//! A body about a connected reader and writer (not about connecting,
//! servers or socket options) is generic over a [`links::Link`] too, and
//! runs over sockets, over the in-memory pair (`tokio::pair::<name>`) and
//! over the runtime's own TCP stream through the generic path
//! (`tokio::generic::<name>`).
//! The descriptor-limit test lowers `RLIMIT_NOFILE` for its whole process,
//! so [`fd_limit_suite!`] gives it a test binary of its own per runtime.
//!
//! Every wait in a body is bounded by a runtime-agnostic timeout (a race
//! against the adapter's own timer), so a bug fails instead of hanging;
//! no assertion depends on how long something took.

pub mod adapters;
pub mod counting;
pub mod ecosystem;
pub mod events;
#[cfg(unix)]
pub mod fd_limit;
pub mod handler_report;
pub mod happy_eyeballs;
pub mod interop;
pub mod layer;
pub mod links;
pub mod memory_bound;
pub mod os_codes;
pub mod peers;
pub mod server;
pub mod shutdown;
pub mod streams;
pub mod tls;
pub mod transport;

/// The interpreter the CPython peers run on: pyenv's 3.13.0 when there is
/// one (`$PYENV_ROOT`, else `~/.pyenv`), else `python3` from the `PATH`.
pub fn python() -> std::path::PathBuf {
    let root = std::env::var("PYENV_ROOT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".pyenv")
        });
    let candidate = root.join("versions/3.13.0/bin/python3");
    if candidate.exists() {
        candidate
    } else {
        std::path::PathBuf::from("python3")
    }
}

/// Whether a test needing the peer program `program` (`crate::python()`,
/// `"openssl"`) is to be skipped, printing why: only on Windows, and only
/// when the program cannot be started (under Wine there is no Windows
/// CPython or OpenSSL on the `PATH`). On Unix a missing peer fails the
/// test as before.
pub fn skip_without(program: impl AsRef<std::ffi::OsStr>) -> bool {
    if cfg!(unix) {
        return false;
    }
    let program = program.as_ref();
    match std::process::Command::new(program)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
    {
        Ok(_) => false,
        Err(e) => {
            println!("skipped: the peer {program:?} cannot be started here ({e})");
            true
        }
    }
}

/// The port of a test server's first listening socket.
pub fn port(server: &streams_common::Server) -> u16 {
    server.local_addrs()[0].port()
}

/// A client connection to `127.0.0.1:port` with `options` (bounded).
pub async fn connect_port<A: Adapter>(
    port: u16,
    options: streams_common::OpenOptions,
) -> (streams_common::StreamReader, streams_common::StreamWriter) {
    A::t(A::open_connection("127.0.0.1", port, options))
        .await
        .unwrap()
}

/// A client connection to `server`'s first address with default options
/// (bounded).
pub async fn connect<A: Adapter>(
    server: &streams_common::Server,
) -> (streams_common::StreamReader, streams_common::StreamWriter) {
    connect_port::<A>(port(server), streams_common::OpenOptions::default()).await
}

/// A client connection with `options` to a plain std listener on
/// loopback, and the listener's end of it: a peer the test drives by hand.
pub async fn connect_raw_peer<A: Adapter>(
    options: streams_common::OpenOptions,
) -> (
    streams_common::StreamReader,
    streams_common::StreamWriter,
    std::net::TcpStream,
) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (reader, writer) = connect_port::<A>(port, options).await;
    let (peer, _) = listener.accept().unwrap();
    (reader, writer, peer)
}

/// Whether `writer` still has its socket: `raw_fd()` on Unix,
/// `raw_socket()` on Windows.
pub fn has_socket(writer: &streams_common::StreamWriter) -> bool {
    #[cfg(unix)]
    return writer.raw_fd().is_some();
    #[cfg(windows)]
    return writer.raw_socket().is_some();
}

/// Accepts one connection on a blocking std `listener`, waiting at most
/// `limit` for it (then the test fails): for peers that run on a blocking
/// thread, where an unbounded `accept` would outlive a failed test.
#[cfg(unix)]
pub fn accept_within(
    listener: &std::net::TcpListener,
    limit: std::time::Duration,
) -> std::net::TcpStream {
    use std::os::fd::AsRawFd;
    let deadline = std::time::Instant::now() + limit;
    // Bounded: each round either accepts, or waits until the deadline, or
    // was interrupted by a signal (a handful at most).
    for _ in 0..1000 {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let mut pfd = libc::pollfd {
            fd: listener.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = left.as_millis().min(i32::MAX as u128) as libc::c_int;
        // SAFETY: one valid pollfd, for the call's duration.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        if n > 0 {
            return listener.accept().expect("accept").0;
        }
        if n == 0 {
            break;
        }
        let e = std::io::Error::last_os_error();
        assert_eq!(e.kind(), std::io::ErrorKind::Interrupted, "poll: {e}");
    }
    panic!("no connection to accept after {limit:?}");
}

/// Accepts one connection on a blocking std `listener`, waiting at most
/// `limit` for it (then the test fails). Windows has no `poll` in libc: a
/// thread blocks in `accept` on a clone of the listener and hands the
/// result over a channel, waited on with the limit; when it runs out, a
/// connection of our own ends that `accept` so the thread does not outlive
/// the failed test.
#[cfg(windows)]
pub fn accept_within(
    listener: &std::net::TcpListener,
    limit: std::time::Duration,
) -> std::net::TcpStream {
    let clone = listener.try_clone().expect("listener clone");
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _ = tx.send(clone.accept());
    });
    match rx.recv_timeout(limit) {
        Ok(accepted) => {
            let _ = waiter.join();
            accepted.expect("accept").0
        }
        Err(_) => {
            let _ = std::net::TcpStream::connect(listener.local_addr().expect("listener address"));
            let _ = waiter.join();
            panic!("no connection to accept after {limit:?}");
        }
    }
}

pub use adapters::{Adapter, AsyncStdAdapter, Elapsed, SmolAdapter, TokioAdapter};

/// Instantiates every test body of [`streams`], [`server`], [`interop`]
/// and [`happy_eyeballs`] as a
/// `#[test]` for the adapter `$adapter` (a type implementing [`Adapter`]).
/// Invoke it inside a module named after the runtime.
#[macro_export]
macro_rules! suite {
    ($adapter:ty) => {
        $crate::suite!(@links $adapter;
            streams::echo_lines_and_lines_stream,
            streams::cancelled_reads_lose_nothing,
            streams::lines_into_a_buffer_of_yours,
            streams::exactly_into_a_buffer_of_yours,
            streams::large_write_without_drain_does_not_deadlock,
            streams::drain_after_close_and_write_after_close,
            streams::write_after_write_eof_and_half_close,
            streams::peer_reset_is_reported_everywhere,
            streams::drain_blocks_against_a_peer_that_never_reads,
            streams::endless_line_stays_bounded,
            streams::abort_drops_buffer_and_waiting_drain_returns,
            streams::lingering_close_delivers_everything_to_a_peer_still_sending,
        );
        $crate::suite!(@tests $adapter;
            streams::extra_info_and_nodelay,
            streams::no_receive_is_wasted,
            streams::open_connection_argument_and_connect_errors,
            streams::connect_with_std_socket_and_local_addr,
            streams::handler_errors_and_panics_are_reported_and_serving_goes_on,
            streams::server_lifecycle,
            streams::abort_clients,
            streams::server_hosts,
            #[cfg(unix)]
            streams::unix_echo_and_path_rules,
            #[cfg(unix)]
            streams::unix_abstract_and_prebound,
            server::accepted_just_before_close_is_waited_for,
            server::abort_clients_reaches_a_connection_being_set_up,
            server::reset_clients_failures_are_reported_with_their_peer,
            #[cfg(unix)]
            server::unix_peers_are_named_as_accept_names_them,
            shutdown::wait_closed_waits_for_every_handler_task,
            #[cfg(unix)]
            shutdown::dropping_the_last_handle_closes_the_server,
            #[cfg(unix)]
            shutdown::detached_server_serves_on_without_a_handle,
            handler_report::handler_failure_is_printed_to_stderr_by_default,
            handler_report::a_hook_or_a_subscriber_takes_the_report_over,
            interop::interop_server_line_echo,
            interop::interop_server_half_close,
            interop::interop_server_big_payload,
            interop::interop_server_line_over_limit,
            interop::interop_server_peer_reset,
            interop::interop_client_line_echo,
            interop::interop_client_half_close,
            interop::interop_client_big_payload,
            interop::interop_client_line_over_limit,
            interop::interop_client_peer_reset,
            #[cfg(unix)]
            happy_eyeballs::black_holed_first_address_wins_after_one_delay,
            #[cfg(unix)]
            happy_eyeballs::without_a_delay_the_black_hole_blocks,
            #[cfg(unix)]
            happy_eyeballs::dropping_the_future_closes_every_attempt,
            happy_eyeballs::refused_addresses_then_a_working_one,
            happy_eyeballs::all_refused_errors_are_combined_as_asyncio_does,
            happy_eyeballs::local_addresses_match_the_family,
            happy_eyeballs::simultaneous_successes_keep_one_and_close_the_rest,
            #[cfg(unix)]
            happy_eyeballs::dual_stack_loopback_with_broken_ipv6,
            happy_eyeballs::interleave_orders_the_attempts,
        );
    };
    // An item may carry attributes (`#[cfg(unix)]` for the Unix-only
    // bodies), given to its `#[test]`.
    (@tests $adapter:ty; $($(#[$attr:meta])* $module:ident :: $name:ident),* $(,)?) => {
        $(
            $(#[$attr])*
            #[test]
            fn $name() {
                <$adapter as $crate::Adapter>::block_on($crate::$module::$name::<$adapter>());
            }
        )*
    };
    // Bodies generic over a `Link` as well: `<name>` over sockets,
    // `pair::<name>` over the in-memory pair, `generic::<name>` over the
    // runtime's own TCP stream through the generic path.
    (@links $adapter:ty; $($(#[$attr:meta])* $module:ident :: $name:ident),* $(,)?) => {
        $crate::suite!(@link $adapter, $crate::links::Sockets; $($(#[$attr])* $module::$name),*);
        mod pair {
            $crate::suite!(@link $adapter, $crate::links::Pair; $($(#[$attr])* $module::$name),*);
        }
        mod generic {
            $crate::suite!(@link $adapter, $crate::links::Generic; $($(#[$attr])* $module::$name),*);
        }
    };
    (@link $adapter:ty, $link:ty; $($(#[$attr:meta])* $module:ident :: $name:ident),*) => {
        $(
            $(#[$attr])*
            #[test]
            fn $name() {
                <$adapter as $crate::Adapter>::block_on(
                    $crate::$module::$name::<$adapter, $link>(),
                );
            }
        )*
    };
}

/// Instantiates the descriptor-limit test ([`fd_limit`]) for `$adapter`.
/// Use it alone in a test binary: it lowers `RLIMIT_NOFILE` for the
/// process.
#[macro_export]
macro_rules! fd_limit_suite {
    ($adapter:ty) => {
        #[test]
        fn accept_backs_off_when_out_of_descriptors() {
            <$adapter as $crate::Adapter>::block_on(
                $crate::fd_limit::accept_backs_off_when_out_of_descriptors::<$adapter>(),
            );
        }
    };
}

/// The README's examples, compiled (and run, where not `no_run`) as
/// doctests: this package depends on every adapter.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
