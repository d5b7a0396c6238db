//! Happy eyeballs (`happy_eyeballs_delay`, `interleave`, `local_addrs`,
//! `all_errors`) on real sockets, loopback only.
//!
//! Each test body is generic over an [`Adapter`](crate::Adapter) and calls
//! `streams_common`'s entry points with the adapter's runtime handle (and
//! the runtime's `sleep` for every wait); [`suite!`](crate::suite) runs them
//! on Tokio, smol and async-std.
//!
//! Three kinds of addresses:
//!
//! * **refused at once**: a socket bound to a loopback port that never
//!   listens; the kernel answers a SYN with a RST, so the connect fails
//!   with `ECONNREFUSED` immediately;
//! * **working**: a plain `std` listener (the kernel completes the
//!   handshake into its accept queue; nothing needs to accept);
//! * **black-holed** ([`BlackHole`]): a listener with `listen(0)` that never
//!   accepts, whose accept queue is filled with one completed connection.
//!   Linux drops every further SYN to a listener whose accept queue is full
//!   (`tcp_conn_request`: `sk_acceptq_is_full` → drop, counted as
//!   `ListenOverflows`), without answering, so a connect to it stays in
//!   `SYN_SENT`, retransmitting into the same full queue, until the kernel
//!   gives up (`tcp_syn_retries`, about two minutes). The queue is known to
//!   be full from the listener's own `TCP_INFO` (for a listener,
//!   `tcpi_unacked` is the queue length and `tcpi_sacked` its maximum), not
//!   from a timing probe. No root, no traffic off the machine.
//!
//! Whether an attempt to a black hole is still in flight is read from
//! `/proc/net/tcp{,6}`: the sockets in `SYN_SENT` towards that address
//! (each black hole has its own port, so parallel tests do not mix). A
//! cancelled attempt's socket is closed when its future is dropped, which
//! removes it from the table at once.

#[cfg(unix)]
use crate::adapters::poll_once;
use crate::adapters::wait_until;
use futures::future::{select, Either};
use socket2::{Domain, Socket, Type};
use std::future::Future;
use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
#[cfg(unix)]
use std::os::fd::AsRawFd;
use std::pin::pin;
#[cfg(unix)]
use std::task::Poll;
use std::time::{Duration, Instant};
use streams_common::runtime::RuntimeRef;
use streams_common::{
    open_connection, open_connection_addrs, Address, ConnectError, OpenOptions, StreamReader,
    StreamWriter,
};

/// RFC 8305's recommended delay.
const DELAY: Duration = Duration::from_millis(250);
/// How long the sequential connect is shown to be stuck on a black hole.
#[cfg(unix)]
const STUCK: Duration = Duration::from_secs(2);
/// A bound on every other wait, so a broken build fails instead of hanging.
const BOUND: Duration = Duration::from_secs(20);

type Conn = (StreamReader, StreamWriter);

fn v4(last: u8, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)), port)
}

/// `fut`, or a panic after [`BOUND`] (measured with the runtime's timer).
async fn bounded<T>(rt: &RuntimeRef, what: &str, fut: impl Future<Output = T>) -> T {
    match select(pin!(fut), rt.sleep(BOUND)).await {
        Either::Left((v, _)) => v,
        Either::Right(_) => panic!("{what}: not done after {BOUND:?}"),
    }
}

fn connected(result: Result<Conn, ConnectError>, what: &str) -> Conn {
    match result {
        Ok(conn) => conn,
        Err(e) => panic!("{what}: {e}"),
    }
}

fn failed(result: Result<Conn, ConnectError>, what: &str) -> ConnectError {
    match result {
        Ok(_) => panic!("{what}: connected"),
        Err(e) => e,
    }
}

/// Whether `[::1]` can be bound here (IPv6 may be disabled in CI).
fn ipv6_loopback() -> bool {
    TcpListener::bind("[::1]:0").is_ok()
}

/// A port on `ip` that refuses connections at once: bound, never listening.
struct Refusing {
    addr: SocketAddr,
    _sock: Socket,
}

impl Refusing {
    fn new(ip: IpAddr) -> Refusing {
        let sock = Socket::new(
            Domain::for_address(SocketAddr::new(ip, 0)),
            Type::STREAM,
            None,
        )
        .expect("socket");
        sock.bind(&SocketAddr::new(ip, 0).into()).expect("bind");
        let addr = sock.local_addr().unwrap().as_socket().unwrap();
        Refusing { addr, _sock: sock }
    }
}

/// A listener's accept queue: (connections waiting, maximum), from
/// `TCP_INFO` (which reports those two for a listening socket).
#[cfg(unix)]
fn accept_queue(listener: &impl AsRawFd) -> (u32, u32) {
    // SAFETY: `tcp_info` is plain data; getsockopt writes at most `len`
    // bytes into it and the fd is a valid socket for the call's duration.
    unsafe {
        let mut info: libc::tcp_info = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
        let rc = libc::getsockopt(
            listener.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        );
        assert_eq!(rc, 0, "TCP_INFO: {}", io::Error::last_os_error());
        (info.tcpi_unacked, info.tcpi_sacked)
    }
}

/// A listener that never accepts and whose accept queue is full: SYNs to
/// it are dropped, so connecting to it never completes (see the module
/// documentation).
#[cfg(unix)]
struct BlackHole {
    addr: SocketAddr,
    listener: Socket,
    fillers: Vec<TcpStream>,
}

#[cfg(unix)]
impl BlackHole {
    fn new(ip: IpAddr) -> BlackHole {
        let any = SocketAddr::new(ip, 0);
        let listener = Socket::new(Domain::for_address(any), Type::STREAM, None).expect("socket");
        listener.bind(&any.into()).expect("bind");
        listener.listen(0).expect("listen");
        let addr = listener.local_addr().unwrap().as_socket().unwrap();
        let mut fillers = Vec::new();
        // Linux queues one connection with a backlog of 0; a few more
        // rounds allow for kernels that round the backlog up.
        for _ in 0..16 {
            let (queued, max) = accept_queue(&listener);
            if queued > max {
                let hole = BlackHole {
                    addr,
                    listener,
                    fillers,
                };
                assert_eq!(hole.connecting(), 0);
                return hole;
            }
            // The queue has room, so this handshake completes at once.
            let filler = TcpStream::connect_timeout(&addr, BOUND).expect("filler connect");
            fillers.push(filler);
            // The kernel queues the server side when it processes the
            // handshake's last ACK, just after connect returns: wait for it
            // (bounded).
            for _ in 0..5000 {
                if accept_queue(&listener).0 as usize >= fillers.len() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        panic!("the accept queue of {addr} never filled");
    }

    /// Sockets in `SYN_SENT` towards this black hole: the attempts to it
    /// still in flight.
    fn connecting(&self) -> usize {
        syn_sent_to(self.addr)
    }
}

#[cfg(unix)]
impl Drop for BlackHole {
    fn drop(&mut self) {
        // No SYN got through: the queue still holds only the fillers.
        let (queued, _) = accept_queue(&self.listener);
        if !std::thread::panicking() {
            assert_eq!(queued as usize, self.fillers.len(), "{}", self.addr);
        }
    }
}

/// The kernel's hex form of an address in `/proc/net/tcp{,6}`.
#[cfg(unix)]
fn proc_net_addr(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) => format!("{:08X}", u32::from_ne_bytes(ip.octets())),
        IpAddr::V6(ip) => ip
            .octets()
            .chunks(4)
            .map(|c| format!("{:08X}", u32::from_ne_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
    };
    format!("{ip}:{:04X}", addr.port())
}

/// How many sockets of this network namespace are in `SYN_SENT` (state
/// `02`) towards `addr`.
#[cfg(unix)]
fn syn_sent_to(addr: SocketAddr) -> usize {
    let table = if addr.is_ipv4() {
        "/proc/net/tcp"
    } else {
        "/proc/net/tcp6"
    };
    // The kernel writes the table as the file is read, and is not a
    // snapshot: between two `read` calls sockets come and go (other tests
    // run in parallel), and a socket can be listed twice. One large `read`
    // makes it one pass over the table; counting distinct local addresses
    // guards against a repeat anyway.
    let mut file = std::fs::File::open(table).expect(table);
    let mut raw = vec![0u8; 4 << 20];
    let mut len = 0;
    loop {
        let n = io::Read::read(&mut file, &mut raw[len..]).expect(table);
        if n == 0 || len + n == raw.len() {
            len += n;
            break;
        }
        len += n;
    }
    let text = String::from_utf8_lossy(&raw[..len]);
    let remote = proc_net_addr(addr);
    let locals: std::collections::HashSet<&str> = text
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            (f.len() > 3 && f[2] == remote && f[3] == "02").then_some(f[1])
        })
        .collect();
    locals.len()
}

/// Accepts every connection waiting in `listener`'s queue (non-blocking).
fn accept_waiting(listener: &TcpListener) -> Vec<(TcpStream, SocketAddr)> {
    listener.set_nonblocking(true).unwrap();
    let mut out = Vec::new();
    for _ in 0..64 {
        match listener.accept() {
            Ok(c) => {
                // Accepted from a non-blocking listener, a socket is
                // non-blocking too on Windows; its readers here block.
                #[cfg(windows)]
                c.0.set_nonblocking(false).unwrap();
                out.push(c);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("accept: {e}"),
        }
    }
    out
}

/// Waits (bounded; failing the test) until `listener` has at least one
/// connection queued, then accepts every queued one.
#[cfg(unix)]
async fn accept_some<A: crate::Adapter>(listener: &TcpListener) -> Vec<(TcpStream, SocketAddr)> {
    wait_until::<A>("a connection reaching the listener", || {
        accept_queue(listener).0 > 0
    })
    .await;
    accept_waiting(listener)
}

/// Waits (bounded; failing the test) until `listener` has accepted at
/// least one connection, then accepts every other queued one. Windows has
/// no `TCP_INFO` to see the queue by: accepting is the look.
#[cfg(windows)]
async fn accept_some<A: crate::Adapter>(listener: &TcpListener) -> Vec<(TcpStream, SocketAddr)> {
    let mut out = Vec::new();
    wait_until::<A>("a connection reaching the listener", || {
        out.extend(accept_waiting(listener));
        !out.is_empty()
    })
    .await;
    out.extend(accept_waiting(listener));
    out
}

fn sock_inet(a: Option<&Address>) -> SocketAddr {
    a.and_then(Address::as_inet).expect("an inet address")
}

fn refused_text(a: SocketAddr) -> String {
    format!(
        "[Errno {}] Connect call failed {}",
        crate::os_codes::ECONNREFUSED,
        streams_common::py_sockaddr(&a)
    )
}

// ---------------------------------------------------------------------------
// Bodies, runtime-independent.
// ---------------------------------------------------------------------------

/// (a) + (f): delay 250 ms, first address black-holed, second working: the
/// second connects (after about one delay; printed, not asserted) and the
/// first attempt is cancelled and its socket closed.
#[cfg(unix)]
pub async fn black_holed_first_address_wins_after_one_delay<A: crate::Adapter>() {
    let rt: RuntimeRef = A::runtime();
    let hole = BlackHole::new(Ipv4Addr::new(127, 0, 0, 2).into());
    let server = TcpListener::bind(v4(1, 0)).unwrap();
    let good = server.local_addr().unwrap();
    let options = OpenOptions::default().happy_eyeballs_delay(DELAY);
    let started = Instant::now();
    let mut connect = pin!(open_connection_addrs(&*rt, vec![hole.addr, good], options));
    // The first poll starts the first attempt, which is then in flight
    // (and stays so: its SYNs are dropped) until the delay starts the
    // second one and that one wins.
    let result = match poll_once(connect.as_mut()) {
        Poll::Ready(result) => {
            println!("(connected on the first poll: the machine stalled for the whole delay)");
            result
        }
        Poll::Pending => {
            assert_eq!(hole.connecting(), 1, "the first attempt is in flight");
            bounded(&rt, "happy eyeballs connect", connect).await
        }
    };
    let elapsed = started.elapsed();
    let (_reader, writer) = connected(result, "happy eyeballs connect");
    println!("(a) delay {DELAY:?}, first address black-holed: connected in {elapsed:?}");
    // The winner is the second address...
    assert_eq!(sock_inet(writer.peername()), good);
    let accepted = accept_some::<A>(&server).await;
    assert_eq!(accepted.len(), 1, "one connection reached the server");
    assert_eq!(accepted[0].1, sock_inet(writer.sockname()));
    // ...and the cancelled attempt's socket is gone.
    assert_eq!(hole.connecting(), 0, "the cancelled attempt was closed");
    writer.close();
}

/// (b) + (f): the same addresses without a delay: the first attempt waits
/// on the black hole, which never answers, so after 2 s nothing has
/// connected and the second address was never tried. Dropping the
/// `open_connection` future closes the attempt.
#[cfg(unix)]
pub async fn without_a_delay_the_black_hole_blocks<A: crate::Adapter>() {
    let rt: RuntimeRef = A::runtime();
    let hole = BlackHole::new(Ipv4Addr::new(127, 0, 0, 2).into());
    let server = TcpListener::bind(v4(1, 0)).unwrap();
    let good = server.local_addr().unwrap();
    let started = Instant::now();
    {
        let mut connect = pin!(open_connection_addrs(
            &*rt,
            vec![hole.addr, good],
            OpenOptions::default()
        ));
        // The first poll starts the first attempt; nothing else can start
        // before it fails, which a black hole never makes it do.
        assert!(poll_once(connect.as_mut()).is_pending());
        assert_eq!(hole.connecting(), 1, "the first attempt is in flight");
        assert!(accept_waiting(&server).is_empty());
        // And it stays so: shown over a while (the subject of this test).
        match select(connect, rt.sleep(STUCK)).await {
            Either::Left((Ok(_), _)) => panic!("connected through a black hole"),
            Either::Left((Err(e), _)) => panic!("a black-holed connect failed: {e}"),
            Either::Right(_) => {}
        }
        println!(
            "(b) no delay, first address black-holed: still not connected after {:?}",
            started.elapsed()
        );
        assert_eq!(hole.connecting(), 1, "stuck on the first address");
        assert!(
            accept_waiting(&server).is_empty(),
            "the second address was never tried"
        );
        // The future is dropped here (in the select, and this scope).
    }
    assert_eq!(
        hole.connecting(),
        0,
        "dropping the future closed the attempt"
    );
}

/// Dropping `open_connection` while several attempts are in flight closes
/// every one of them.
#[cfg(unix)]
pub async fn dropping_the_future_closes_every_attempt<A: crate::Adapter>() {
    let rt: RuntimeRef = A::runtime();
    let hole = BlackHole::new(Ipv4Addr::new(127, 0, 0, 2).into());
    let other = BlackHole::new(Ipv4Addr::new(127, 0, 0, 3).into());
    let options = OpenOptions::default().happy_eyeballs_delay(Duration::from_millis(20));
    {
        let connect = pin!(open_connection_addrs(
            &*rt,
            vec![hole.addr, other.addr, hole.addr],
            options
        ));
        // All three start (at 0, 20 and 40 ms) and none can end.
        let all_started = pin!(wait_until::<A>("all three attempts in flight", || {
            hole.connecting() == 2 && other.connecting() == 1
        }));
        match select(connect, all_started).await {
            Either::Left(_) => panic!("a black-holed connect ended"),
            Either::Right(_) => {}
        }
        assert_eq!(hole.connecting(), 2);
        assert_eq!(other.connecting(), 1);
    }
    assert_eq!(hole.connecting(), 0);
    assert_eq!(other.connecting(), 0);
}

/// (c): addresses that refuse at once, then a working one: connects to the
/// working one, with and without a delay (each refusal starts the next
/// attempt at once).
pub async fn refused_addresses_then_a_working_one<A: crate::Adapter>() {
    let rt: RuntimeRef = A::runtime();
    let r1 = Refusing::new(Ipv4Addr::LOCALHOST.into());
    let r2 = Refusing::new(Ipv4Addr::new(127, 0, 0, 2).into());
    let server = TcpListener::bind(v4(1, 0)).unwrap();
    let good = server.local_addr().unwrap();
    for delay in [None, Some(DELAY)] {
        let mut options = OpenOptions::default();
        options.happy_eyeballs_delay = delay;
        let started = Instant::now();
        let result = bounded(
            &rt,
            "connect",
            open_connection_addrs(&*rt, vec![r1.addr, r2.addr, good], options),
        )
        .await;
        let (_reader, writer) = connected(result, "refused, refused, working");
        println!(
            "(c) delay {delay:?}: two refusals then connected in {:?}",
            started.elapsed()
        );
        assert_eq!(sock_inet(writer.peername()), good);
        writer.close();
    }
}

/// (d): every address refuses: the errors combined in start order; identical
/// texts give the first; `all_errors` gives them all.
pub async fn all_refused_errors_are_combined_as_asyncio_does<A: crate::Adapter>() {
    let rt: RuntimeRef = A::runtime();
    let r1 = Refusing::new(Ipv4Addr::LOCALHOST.into());
    let r2 = Refusing::new(Ipv4Addr::new(127, 0, 0, 2).into());
    let r3 = Refusing::new(Ipv4Addr::new(127, 0, 0, 3).into());
    let addrs = vec![r1.addr, r2.addr, r3.addr];
    let expected = format!(
        "Multiple exceptions: {}, {}, {}",
        refused_text(r1.addr),
        refused_text(r2.addr),
        refused_text(r3.addr)
    );
    for delay in [None, Some(DELAY), Some(Duration::ZERO)] {
        let mut options = OpenOptions::default();
        options.happy_eyeballs_delay = delay;
        let result = bounded(
            &rt,
            "connect",
            open_connection_addrs(&*rt, addrs.clone(), options),
        )
        .await;
        let e = failed(result, "all refused");
        assert!(matches!(e, ConnectError::Multiple(ref v) if v.len() == 3));
        assert_eq!(e.to_string(), expected, "delay {delay:?}");
    }
    // One error: as it is.
    let result = bounded(
        &rt,
        "connect",
        open_connection_addrs(&*rt, vec![r1.addr], OpenOptions::default()),
    )
    .await;
    let e = failed(result, "one refused");
    assert_eq!(e.kind(), Some(io::ErrorKind::ConnectionRefused));
    assert_eq!(e.to_string(), refused_text(r1.addr));
    // Identical texts (the same address twice): the first.
    let options = OpenOptions::default().happy_eyeballs_delay(DELAY);
    let result = bounded(
        &rt,
        "connect",
        open_connection_addrs(&*rt, vec![r2.addr, r2.addr], options),
    )
    .await;
    let e = failed(result, "same address twice");
    assert!(matches!(e, ConnectError::Io(_)));
    assert_eq!(e.kind(), Some(io::ErrorKind::ConnectionRefused));
    assert_eq!(e.to_string(), refused_text(r2.addr));
    // all_errors: the group, even for identical texts or a single error.
    for (list, n) in [
        (addrs.clone(), 3),
        (vec![r2.addr, r2.addr], 2),
        (vec![r3.addr], 1),
    ] {
        let options = OpenOptions::default()
            .happy_eyeballs_delay(DELAY)
            .all_errors(true);
        let result = bounded(
            &rt,
            "connect",
            open_connection_addrs(&*rt, list.clone(), options),
        )
        .await;
        let e = failed(result, "all_errors");
        let ConnectError::All(errors) = &e else {
            panic!("not a group: {e:?}")
        };
        let texts: Vec<String> = errors.iter().map(ToString::to_string).collect();
        let want: Vec<String> = list.iter().map(|a| refused_text(*a)).collect();
        assert_eq!(texts, want);
        assert!(errors
            .iter()
            .all(|e| e.kind() == io::ErrorKind::ConnectionRefused));
        let plural = if n == 1 { "" } else { "s" };
        assert_eq!(
            e.to_string(),
            format!(
                "create_connection failed ({n} sub-exception{plural}): {}",
                want.join(", ")
            )
        );
    }
    // Through open_connection with a host, the same rules (one address).
    let result = bounded(
        &rt,
        "connect",
        open_connection(
            &*rt,
            "127.0.0.1",
            r1.addr.port(),
            OpenOptions::default().all_errors(true),
        ),
    )
    .await;
    let e = failed(result, "all_errors by host");
    assert_eq!(e.errors().len(), 1);
    assert!(matches!(e, ConnectError::All(_)));
}

/// (e): local addresses: only those of the remote's family are tried, in
/// order; asyncio's error when none matches; every failed bind is recorded.
pub async fn local_addresses_match_the_family<A: crate::Adapter>() {
    let rt: RuntimeRef = A::runtime();
    let server = TcpListener::bind(v4(1, 0)).unwrap();
    let good = server.local_addr().unwrap();
    // No local address of the remote's family.
    let result = bounded(
        &rt,
        "connect",
        open_connection_addrs(
            &*rt,
            vec![good],
            OpenOptions::default().local_addr("[::1]:0".parse().unwrap()),
        ),
    )
    .await;
    let e = failed(result, "no matching family");
    assert_eq!(
        e.to_string(),
        "no matching local address with family=<AddressFamily.AF_INET: 2> found"
    );
    // Addresses in use: the first bind fails, the next one of the family
    // (after one of the other family, skipped) is used.
    let taken1 = TcpListener::bind(v4(1, 0)).unwrap();
    let taken2 = TcpListener::bind(v4(1, 0)).unwrap();
    let (t1, t2) = (taken1.local_addr().unwrap(), taken2.local_addr().unwrap());
    let options = OpenOptions::default().local_addrs([t1, "[::1]:0".parse().unwrap(), v4(3, 0)]);
    let result = bounded(
        &rt,
        "connect",
        open_connection_addrs(&*rt, vec![good], options),
    )
    .await;
    let (_reader, writer) = connected(result, "second local address");
    assert_eq!(sock_inet(writer.sockname()).ip(), v4(3, 0).ip());
    assert_eq!(sock_inet(writer.peername()), good);
    writer.close();
    // Every bind fails: the attempt's errors are all the failed binds.
    let bind_text = |a: SocketAddr| {
        format!(
            "[Errno {code}] error while attempting to bind on address {}: \
             [errno {code}] {}",
            streams_common::py_sockaddr(&a),
            crate::os_codes::addr_in_use_text(),
            code = crate::os_codes::EADDRINUSE,
        )
    };
    let result = bounded(
        &rt,
        "connect",
        open_connection_addrs(&*rt, vec![good], OpenOptions::default().local_addr(t1)),
    )
    .await;
    let e = failed(result, "one bind failed");
    assert_eq!(e.kind(), Some(io::ErrorKind::AddrInUse));
    assert_eq!(e.to_string(), bind_text(t1));
    let result = bounded(
        &rt,
        "connect",
        open_connection_addrs(
            &*rt,
            vec![good],
            OpenOptions::default().local_addrs([t1, t2]),
        ),
    )
    .await;
    let e = failed(result, "two binds failed");
    assert_eq!(
        e.to_string(),
        format!("Multiple exceptions: {}, {}", bind_text(t1), bind_text(t2))
    );
    let result = bounded(
        &rt,
        "connect",
        open_connection_addrs(
            &*rt,
            vec![good, good],
            OpenOptions::default()
                .local_addrs([t1, t2])
                .all_errors(true),
        ),
    )
    .await;
    let e = failed(result, "all_errors binds");
    let texts: Vec<String> = e.errors().iter().map(ToString::to_string).collect();
    assert_eq!(
        texts,
        vec![bind_text(t1), bind_text(t2), bind_text(t1), bind_text(t2)]
    );
    if !ipv6_loopback() {
        println!("skipped the mixed-family part: no IPv6 loopback here");
        return;
    }
    // Mixed families, an IPv4 local address only: the IPv6 attempt fails
    // with asyncio's text, the IPv4 one binds and connects.
    let refusing6 = Refusing::new(Ipv6Addr::LOCALHOST.into());
    let options = OpenOptions::default().local_addr(v4(3, 0));
    let result = bounded(
        &rt,
        "connect",
        open_connection_addrs(&*rt, vec![refusing6.addr, good], options),
    )
    .await;
    let (_reader, writer) = connected(result, "mixed families");
    assert_eq!(sock_inet(writer.sockname()).ip(), v4(3, 0).ip());
    writer.close();
    let refusing4 = Refusing::new(Ipv4Addr::LOCALHOST.into());
    let options = OpenOptions::default().local_addr(v4(3, 0));
    let result = bounded(
        &rt,
        "connect",
        open_connection_addrs(&*rt, vec![refusing6.addr, refusing4.addr], options),
    )
    .await;
    let e = failed(result, "mixed families, all fail");
    assert_eq!(
        e.to_string(),
        format!(
            "Multiple exceptions: no matching local address with \
             family=<AddressFamily.AF_INET6: 10> found, {}",
            refused_text(refusing4.addr)
        )
    );
}

/// (f): with a zero delay every attempt starts at once and several may
/// connect: one wins, and any other that reached its server was closed.
pub async fn simultaneous_successes_keep_one_and_close_the_rest<A: crate::Adapter>() {
    let rt: RuntimeRef = A::runtime();
    let s1 = TcpListener::bind(v4(1, 0)).unwrap();
    let s2 = TcpListener::bind(v4(4, 0)).unwrap();
    let (a1, a2) = (s1.local_addr().unwrap(), s2.local_addr().unwrap());
    let options = OpenOptions::default().happy_eyeballs_delay(Duration::ZERO);
    let result = bounded(
        &rt,
        "connect",
        open_connection_addrs(&*rt, vec![a1, a2], options),
    )
    .await;
    let (_reader, writer) = connected(result, "two working addresses");
    let peer = sock_inet(writer.peername());
    let local = sock_inet(writer.sockname());
    let (won, lost) = if peer == a1 { (&s1, &s2) } else { (&s2, &s1) };
    assert!(peer == a1 || peer == a2);
    let accepted = accept_some::<A>(won).await;
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].1, local);
    // A loser that connected before the win was closed by the client: its
    // server side reads end of stream (or a reset), never hangs.
    for (mut conn, from) in accept_waiting(lost) {
        conn.set_read_timeout(Some(BOUND)).unwrap();
        let mut buf = [0u8; 16];
        match conn.read(&mut buf) {
            Ok(0) => println!("(f) the losing attempt from {from} had connected; it was closed"),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {}
            other => panic!("the losing connection from {from} is still open: {other:?}"),
        }
    }
    writer.close();
}

/// The dual-stack case through `open_connection` itself: host `""` is
/// `[::1, 127.0.0.1]`; IPv6 is black-holed on the port IPv4 serves.
#[cfg(unix)]
pub async fn dual_stack_loopback_with_broken_ipv6<A: crate::Adapter>() {
    let rt: RuntimeRef = A::runtime();
    if !ipv6_loopback() {
        println!("skipped: no IPv6 loopback here");
        return;
    }
    // The same port on both families (bounded retries if IPv4 has it).
    let mut pair = None;
    for _ in 0..32 {
        let hole = BlackHole::new(Ipv6Addr::LOCALHOST.into());
        if let Ok(server) = TcpListener::bind(v4(1, hole.addr.port())) {
            pair = Some((hole, server));
            break;
        }
    }
    let (hole, server) = pair.expect("a port free on both families");
    let port = hole.addr.port();
    let started = Instant::now();
    let result = bounded(
        &rt,
        "dual-stack connect",
        open_connection(
            &*rt,
            "",
            port,
            OpenOptions::default().happy_eyeballs_delay(DELAY),
        ),
    )
    .await;
    let (_reader, writer) = connected(result, "dual stack");
    println!(
        "dual stack, IPv6 black-holed, delay {DELAY:?}: connected over IPv4 in {:?}",
        started.elapsed()
    );
    assert_eq!(sock_inet(writer.peername()), v4(1, port));
    assert_eq!(accept_some::<A>(&server).await.len(), 1);
    assert_eq!(hole.connecting(), 0, "the IPv6 attempt was closed");
    writer.close();
}

/// `interleave` on real sockets: the order of the combined errors is the
/// order the attempts started.
pub async fn interleave_orders_the_attempts<A: crate::Adapter>() {
    let rt: RuntimeRef = A::runtime();
    if !ipv6_loopback() {
        println!("skipped: no IPv6 loopback here");
        return;
    }
    let a = Refusing::new(Ipv4Addr::LOCALHOST.into());
    let b = Refusing::new(Ipv4Addr::new(127, 0, 0, 2).into());
    let c = Refusing::new(Ipv6Addr::LOCALHOST.into());
    let d = Refusing::new(Ipv6Addr::LOCALHOST.into());
    let addrs = vec![a.addr, b.addr, c.addr, d.addr];
    let text = |order: &[SocketAddr]| {
        let parts: Vec<String> = order.iter().map(|x| refused_text(*x)).collect();
        format!("Multiple exceptions: {}", parts.join(", "))
    };
    let interleaved = text(&[a.addr, c.addr, b.addr, d.addr]);
    let resolver = text(&addrs);
    let delay = OpenOptions::default().happy_eyeballs_delay(DELAY);
    let cases = [
        (OpenOptions::default(), &resolver),
        (OpenOptions::default().interleave(1), &interleaved),
        (OpenOptions::default().interleave(2), &resolver),
        (delay.clone(), &interleaved),
        (delay.clone().interleave(0), &resolver),
        (delay.interleave(2), &resolver),
    ];
    for (options, want) in cases {
        let what = format!("{options:?}");
        let result = bounded(
            &rt,
            "connect",
            open_connection_addrs(&*rt, addrs.clone(), options),
        )
        .await;
        assert_eq!(&failed(result, &what).to_string(), want, "{what}");
    }
}
