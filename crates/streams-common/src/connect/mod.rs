//! `open_connection` and `open_unix_connection`, written once for every
//! runtime.

mod options;

pub use options::{Family, OpenOptions};

use crate::addr::{py_sockaddr, Address};
use crate::conn::{new_connection, NewConnection, StreamReader, StreamWriter};
use crate::error::{ArgumentError, ConnectError};
use crate::happy_eyeballs::{matching_local_addrs, ConnectPlan, Decision, Interleave};
use crate::runtime::{BoxFuture, Runtime, Socket};
#[cfg(unix)]
use socket2::SockAddr;
use socket2::{Domain, Type};
use std::future::{poll_fn, Future};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
#[cfg(unix)]
use std::path::Path;
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

/// The addresses for `host` and `port`: an IP literal is used as is
/// (asyncio skips the resolver for those); an empty host means the loopback
/// addresses (asyncio's `host=None`); anything else goes to the resolver.
pub(crate) async fn resolve(
    rt: &dyn Runtime,
    host: &str,
    port: u16,
    family: Family,
) -> io::Result<Vec<SocketAddr>> {
    let addrs = if host.is_empty() {
        vec![
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
        ]
    } else if let Ok(ip) = host.parse::<IpAddr>() {
        vec![SocketAddr::new(ip, port)]
    } else {
        rt.resolve(host.to_owned(), port).await?
    };
    let addrs: Vec<SocketAddr> = addrs.into_iter().filter(|a| family.matches(a)).collect();
    if addrs.is_empty() {
        return Err(io::Error::other("getaddrinfo() returned empty list"));
    }
    Ok(addrs)
}

/// asyncio's bind-failure text (3.13 wording).
pub(crate) fn bind_error(addr: &str, e: &io::Error) -> io::Error {
    let msg = match e.raw_os_error() {
        Some(code) => format!("[errno {code}] {}", strerror(e)).to_lowercase(),
        None => e.to_string().to_lowercase(),
    };
    io::Error::new(
        e.kind(),
        format!("error while attempting to bind on address {addr}: {msg}"),
    )
}

/// The OS's message for an error, without Rust's " (os error N)" suffix.
pub(crate) fn strerror(e: &io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

/// Waits for a non-blocking connect to finish and reports its outcome.
async fn finish_connect(sock: &dyn Socket) -> io::Result<()> {
    poll_fn(|cx| sock.poll_write_ready(cx)).await?;
    if let Some(e) = sock.sock_ref().take_error()? {
        return Err(e);
    }
    Ok(())
}

fn connect_failed(addr: &SocketAddr, e: &io::Error) -> io::Error {
    let text = match e.raw_os_error() {
        Some(code) => format!("[Errno {code}] Connect call failed {}", py_sockaddr(addr)),
        None => format!("Connect call failed {}: {e}", py_sockaddr(addr)),
    };
    io::Error::new(e.kind(), text)
}

/// A failed bind of a client socket as asyncio records it:
/// `OSError(errno, 'error while attempting to bind on address ...')`, whose
/// text starts with `[Errno N] `.
fn local_bind_failed(local: &SocketAddr, e: &io::Error) -> io::Error {
    let b = bind_error(&py_sockaddr(local), e);
    match e.raw_os_error() {
        Some(code) => io::Error::new(b.kind(), format!("[Errno {code}] {b}")),
        None => b,
    }
}

/// An OS error with Python's `str(OSError)` text: `[Errno N] message`.
fn os_error(e: io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(code) => io::Error::new(e.kind(), format!("[Errno {code}] {}", strerror(&e))),
        None => e,
    }
}

/// One attempt to `addr` (asyncio's `_connect_sock`): creates the socket,
/// binds it to the first local address of the same family that works, and
/// connects. On failure, every error it met, in order (failed binds, then
/// the connect). Dropping the future closes the socket.
async fn attempt(
    rt: &dyn Runtime,
    addr: SocketAddr,
    local: &[SocketAddr],
) -> Result<Box<dyn Socket>, Vec<io::Error>> {
    let sock = socket2::Socket::new(Domain::for_address(addr), Type::STREAM, None)
        .and_then(|s| s.set_nonblocking(true).map(|()| s))
        .map_err(|e| vec![os_error(e)])?;
    let candidates = matching_local_addrs(local, &addr)
        .map_err(|no_match| vec![io::Error::other(no_match.to_string())])?;
    let mut errors = Vec::new();
    if !candidates.is_empty() {
        let bound = candidates.iter().any(|l| match sock.bind(&(*l).into()) {
            Ok(()) => true,
            Err(e) => {
                errors.push(local_bind_failed(l, &e));
                false
            }
        });
        if !bound {
            return Err(errors);
        }
    }
    match sock.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(crate::sys::CONNECT_PENDING) => {}
        Err(e) => {
            errors.push(connect_failed(&addr, &e));
            return Err(errors);
        }
    }
    let sock = match rt.tcp_stream(std::net::TcpStream::from(sock)) {
        Ok(sock) => sock,
        Err(e) => {
            errors.push(os_error(e));
            return Err(errors);
        }
    };
    match finish_connect(&*sock).await {
        Ok(()) => Ok(sock),
        Err(e) => {
            errors.push(connect_failed(&addr, &e));
            Err(errors)
        }
    }
}

/// asyncio's `open_connection(host, port, limit=..., local_addr=...,
/// family=..., happy_eyeballs_delay=..., interleave=..., all_errors=...)`:
/// resolves `host`, tries its addresses until one connects, and returns the
/// connection's reader and writer.
///
/// Without [`OpenOptions::happy_eyeballs_delay`], the addresses are tried
/// one after another (reordered only if [`OpenOptions::interleave`] is
/// set). With it, the attempts overlap as asyncio's `staggered_race` does
/// (see [`happy_eyeballs`](crate::happy_eyeballs)); they all run inside
/// this future, so dropping it cancels and closes every attempt in flight.
///
/// When every attempt fails, the errors of all attempts, in the order the
/// attempts started, are combined as asyncio does
/// ([`ConnectError::combine`]), or all returned as [`ConnectError::All`]
/// with [`OpenOptions::all_errors`].
pub async fn open_connection(
    rt: &dyn Runtime,
    host: &str,
    port: u16,
    options: OpenOptions,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    if options.limit == 0 {
        return Err(ArgumentError::ZeroLimit.into());
    }
    let name = options.tls_name(Some(host))?;
    let addrs = resolve(rt, host, port, options.family).await?;
    connect_addrs(rt, addrs, &options, host, name).await
}

/// `open_connection` to an explicit list of addresses, in the given order,
/// instead of resolving a host: a Rust extension (asyncio has no such
/// call), for callers with their own resolver (e.g. SRV records, a cache)
/// or several servers to race. Everything else is [`open_connection`]'s:
/// [`OpenOptions::family`] filters the list, [`OpenOptions::interleave`]
/// and [`OpenOptions::happy_eyeballs_delay`] order and race the attempts,
/// errors are combined the same way. An empty list (after filtering) fails
/// like an empty resolver answer: `getaddrinfo() returned empty list`.
///
/// ```no_run
/// # async fn f(rt: &dyn streams_common::runtime::Runtime) -> Result<(), streams_common::ConnectError> {
/// use std::time::Duration;
/// use streams_common::{open_connection_addrs, OpenOptions};
/// let addrs = vec!["[2001:db8::1]:443".parse().unwrap(), "192.0.2.1:443".parse().unwrap()];
/// let options = OpenOptions::default().happy_eyeballs_delay(Duration::from_millis(250));
/// let (reader, writer) = open_connection_addrs(rt, addrs, options).await?;
/// # Ok(()) }
/// ```
pub async fn open_connection_addrs(
    rt: &dyn Runtime,
    addrs: Vec<SocketAddr>,
    options: OpenOptions,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    if options.limit == 0 {
        return Err(ArgumentError::ZeroLimit.into());
    }
    let name = options.tls_name(Some(""))?;
    let addrs: Vec<SocketAddr> = addrs
        .into_iter()
        .filter(|a| options.family.matches(a))
        .collect();
    if addrs.is_empty() {
        return Err(io::Error::other("getaddrinfo() returned empty list").into());
    }
    connect_addrs(rt, addrs, &options, "", name).await
}

/// What ended a wait of the driver.
enum Event {
    /// Attempt `.0` ended.
    Ended(usize, Result<Box<dyn Socket>, Vec<io::Error>>),
    /// The planner's `WaitUntil` time came.
    Timer(Duration),
}

type AttemptFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Box<dyn Socket>, Vec<io::Error>>> + Send + 'a>>;

/// Runs the planner: starts the attempts it asks for, polls them all in
/// this one task together with a timer, reports their ends, and cancels
/// (drops, which closes the socket) the ones it says to cancel.
async fn connect_addrs(
    rt: &dyn Runtime,
    addrs: Vec<SocketAddr>,
    options: &OpenOptions,
    host: &str,
    tls_name: Option<String>,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    let interleave_by = match options.interleave {
        None => Interleave::Default,
        Some(n) => Interleave::By(n),
    };
    let mut plan = ConnectPlan::new(addrs, options.happy_eyeballs_delay, interleave_by);
    let local = &options.local_addrs[..];
    let origin = Instant::now();
    // The planner's clock: never behind a timer that has fired, so a
    // runtime whose timers run ahead of the system clock (a paused test
    // clock) cannot make the driver spin.
    let mut now = Duration::ZERO;
    let mut running: Vec<Option<AttemptFuture<'_>>> = Vec::new();
    let mut timer: Option<(Duration, BoxFuture<()>)> = None;
    let mut winner: Option<(usize, Box<dyn Socket>)> = None;
    // Every decision starts an attempt, or waits for an event that ends
    // one or reaches the planner's time; the number of each is bounded by
    // the number of addresses, and the loop by their sum.
    loop {
        now = now.max(origin.elapsed());
        match plan.poll(now) {
            Decision::Start { attempt: i, addr } => {
                // Attempts are numbered in start order, so `i` is the next
                // slot; resizing keeps this panic-free regardless.
                if running.len() <= i {
                    running.resize_with(i + 1, || None);
                }
                running[i] = Some(Box::pin(attempt(rt, addr, local)));
                continue;
            }
            Decision::Won { attempt: i } => {
                // Every other attempt was cancelled when `i` won.
                running.clear();
                return match winner {
                    Some((w, sock)) if w == i => {
                        let peer = plan.addrs()[i];
                        let host = (!host.is_empty()).then(|| host.to_owned());
                        start_tls(rt, sock, options, Some(Address::Inet(peer)), host, tls_name)
                            .await
                    }
                    // Unreachable: the winner's socket is kept below.
                    _ => Err(io::Error::other("create_connection failed").into()),
                };
            }
            Decision::AllFailed => {
                let errors = plan.into_errors();
                return Err(if options.all_errors {
                    ConnectError::all(errors)
                } else {
                    ConnectError::combine(errors)
                });
            }
            Decision::WaitUntil(t) => {
                if timer.as_ref().map(|(at, _)| *at) != Some(t) {
                    timer = Some((t, rt.sleep(t.saturating_sub(now))));
                }
            }
            Decision::WaitForAttempts => timer = None,
        }
        let event = poll_fn(|cx| {
            for (i, slot) in running.iter_mut().enumerate() {
                if let Some(fut) = slot {
                    if let Poll::Ready(result) = fut.as_mut().poll(cx) {
                        *slot = None;
                        return Poll::Ready(Event::Ended(i, result));
                    }
                }
            }
            if let Some((at, sleep)) = &mut timer {
                if sleep.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Event::Timer(*at));
                }
            }
            Poll::Pending
        })
        .await;
        match event {
            Event::Ended(i, Ok(sock)) => {
                let cancel = plan.succeeded(i);
                if cancel.contains(&i) {
                    // Not the winner (cannot happen here: the driver stops
                    // polling the others once one wins): close it.
                    drop(sock);
                    continue;
                }
                for c in cancel {
                    // Dropping an attempt's future closes its socket.
                    if let Some(slot) = running.get_mut(c) {
                        *slot = None;
                    }
                }
                winner = Some((i, sock));
            }
            Event::Ended(i, Err(errors)) => plan.failed(i, errors),
            Event::Timer(at) => {
                timer = None;
                now = now.max(at);
            }
        }
    }
}

/// Starts a connected client socket's streams, with TLS when `tls_name`
/// is set (then waits for the handshake: asyncio's `create_connection`
/// returns once it is done).
async fn start_tls(
    rt: &dyn Runtime,
    sock: Box<dyn Socket>,
    options: &OpenOptions,
    peer: Option<Address>,
    host: Option<String>,
    tls_name: Option<String>,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    let tls = options.client_session(tls_name)?;
    let is_tls = tls.is_some();
    let conn = NewConnection {
        rt: rt.handle(),
        server_side: false,
        host,
        tls,
    };
    let (reader, writer, shared, driver) = new_connection(conn, sock, options.limit, peer, None);
    rt.spawn(driver);
    if is_tls {
        if let Err(e) = shared.handshake().await {
            writer.abort();
            return Err(ConnectError::Tls(e));
        }
    }
    Ok((reader, writer))
}

fn describe(sock: &socket2::Socket) -> String {
    let domain = crate::sys::domain(sock)
        .map(|d| format!("{d:?}"))
        .unwrap_or_default();
    let ty = sock.r#type().map(|t| format!("{t:?}")).unwrap_or_default();
    format!("<socket {domain} {ty}>")
}

/// asyncio's `open_connection(sock=...)`: streams over an already connected
/// stream socket (TCP or Unix; a `std::net::TcpStream` or
/// `std::os::unix::net::UnixStream` converts with `.into()`).
///
/// With [`OpenOptions::ssl`], TLS over that socket (asyncio's `sock=` with
/// `ssl=`): there is no host to take the server name from, so
/// [`OpenOptions::server_hostname`] must be set (`""`: no SNI and no name
/// check); the call returns once the handshake is done, and fails with its
/// error, as [`open_connection`] does.
pub async fn open_connection_with_socket(
    rt: &dyn Runtime,
    sock: socket2::Socket,
    options: OpenOptions,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    if options.limit == 0 {
        return Err(ArgumentError::ZeroLimit.into());
    }
    // asyncio's create_connection with no host.
    let name = options.tls_name(Some(""))?;
    if sock.r#type()? != Type::STREAM {
        return Err(ArgumentError::NotAStreamSocket {
            desc: describe(&sock),
        }
        .into());
    }
    with_socket(rt, sock, &options, name).await
}

/// Streams over a connected stream socket whose options were checked:
/// TLS when `tls_name` is set.
async fn with_socket(
    rt: &dyn Runtime,
    sock: socket2::Socket,
    options: &OpenOptions,
    tls_name: Option<String>,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    sock.set_nonblocking(true)?;
    #[cfg(unix)]
    let sock = if crate::sys::domain(&sock)? == Domain::UNIX {
        rt.unix_stream(std::os::unix::net::UnixStream::from(sock))?
    } else {
        rt.tcp_stream(std::net::TcpStream::from(sock))?
    };
    #[cfg(not(unix))]
    let sock = if crate::sys::domain(&sock)? == Domain::UNIX {
        return Err(crate::sys::no_unix_sockets().into());
    } else {
        rt.tcp_stream(std::net::TcpStream::from(sock))?
    };
    // The peer's name is read from the socket.
    start_tls(rt, sock, options, None, None, tls_name).await
}

/// asyncio's `open_unix_connection(path)`. A path starting with a NUL byte
/// is a Linux abstract name.
#[cfg(unix)]
pub async fn open_unix_connection(
    rt: &dyn Runtime,
    path: &Path,
    options: OpenOptions,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    if options.limit == 0 {
        return Err(ArgumentError::ZeroLimit.into());
    }
    let name = options.tls_name(None)?;
    let addr = SockAddr::unix(path)?;
    let sock = socket2::Socket::new(Domain::UNIX, Type::STREAM, None)?;
    sock.set_nonblocking(true)?;
    let pending = match sock.connect(&addr) {
        Ok(()) => false,
        Err(e) if e.raw_os_error() == Some(crate::sys::CONNECT_PENDING) => true,
        Err(e) => return Err(e.into()),
    };
    let sock = rt.unix_stream(std::os::unix::net::UnixStream::from(sock))?;
    if pending {
        finish_connect(&*sock).await?;
    }
    start_tls(
        rt,
        sock,
        &options,
        Some(Address::from_sockaddr(&addr)),
        None,
        name,
    )
    .await
}

/// asyncio's `open_unix_connection(sock=...)`: the socket must be a
/// Unix-domain stream socket.
///
/// With [`OpenOptions::ssl`], TLS over that socket; as with
/// [`open_unix_connection`], [`OpenOptions::server_hostname`] is required
/// (`""`: no SNI and no name check), and checked before the socket, as
/// asyncio does. The call returns once the handshake is done.
#[cfg(unix)]
pub async fn open_unix_connection_with_socket(
    rt: &dyn Runtime,
    sock: socket2::Socket,
    options: OpenOptions,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    if options.limit == 0 {
        return Err(ArgumentError::ZeroLimit.into());
    }
    // asyncio's create_unix_connection rules.
    let name = options.tls_name(None)?;
    if crate::sys::domain(&sock)? != Domain::UNIX || sock.r#type()? != Type::STREAM {
        return Err(ArgumentError::NotAUnixStreamSocket {
            desc: describe(&sock),
        }
        .into());
    }
    with_socket(rt, sock, &options, name).await
}

#[cfg(test)]
mod tests {
    use super::*;

    // Linux's errno numbers and messages.
    #[cfg(target_os = "linux")]
    #[test]
    fn bind_error_text_is_asyncio_313() {
        let e = io::Error::from_raw_os_error(libc::EADDRINUSE);
        let b = bind_error("('127.0.0.1', 8888)", &e);
        assert_eq!(
            b.to_string(),
            "error while attempting to bind on address ('127.0.0.1', 8888): \
             [errno 98] address already in use"
        );
        assert_eq!(b.kind(), io::ErrorKind::AddrInUse);
    }

    // Linux's errno numbers and messages.
    #[cfg(target_os = "linux")]
    #[test]
    fn client_bind_error_text_has_the_oserror_prefix() {
        // asyncio's _connect_sock raises OSError(errno, msg): its str()
        // starts with "[Errno 98] " (checked against CPython 3.11).
        let local: SocketAddr = "127.0.0.1:8888".parse().unwrap();
        let e = local_bind_failed(&local, &io::Error::from_raw_os_error(libc::EADDRINUSE));
        assert_eq!(
            e.to_string(),
            "[Errno 98] error while attempting to bind on address ('127.0.0.1', 8888): \
             [errno 98] address already in use"
        );
        assert_eq!(e.kind(), io::ErrorKind::AddrInUse);
        let e = os_error(io::Error::from_raw_os_error(libc::EAFNOSUPPORT));
        assert_eq!(
            e.to_string(),
            "[Errno 97] Address family not supported by protocol"
        );
    }

    #[test]
    fn options_defaults_and_setters() {
        let o = OpenOptions::default();
        assert_eq!(o.happy_eyeballs_delay, None);
        assert_eq!(o.interleave, None);
        assert!(!o.all_errors && o.local_addrs.is_empty());
        let l: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let o = o
            .local_addrs([l, l])
            .local_addr(l)
            .happy_eyeballs_delay(Duration::from_millis(250))
            .interleave(2)
            .all_errors(true);
        assert_eq!(o.local_addrs, vec![l]);
        assert_eq!(o.happy_eyeballs_delay, Some(Duration::from_millis(250)));
        assert_eq!(o.interleave, Some(2));
        assert!(o.all_errors);
    }

    // Linux's errno numbers and messages.
    #[cfg(target_os = "linux")]
    #[test]
    fn connect_failed_text() {
        let a: SocketAddr = "127.0.0.1:41177".parse().unwrap();
        let e = connect_failed(&a, &io::Error::from_raw_os_error(libc::ECONNREFUSED));
        assert_eq!(
            e.to_string(),
            "[Errno 111] Connect call failed ('127.0.0.1', 41177)"
        );
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
    }

    #[test]
    fn family_filter() {
        let v4: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let v6: SocketAddr = "[::1]:1".parse().unwrap();
        assert!(Family::Any.matches(&v4) && Family::Any.matches(&v6));
        assert!(Family::Ipv4.matches(&v4) && !Family::Ipv4.matches(&v6));
        assert!(Family::Ipv6.matches(&v6) && !Family::Ipv6.matches(&v4));
    }
}
