//! `open_connection` and `open_unix_connection`, written once for every
//! runtime.

use crate::addr::{py_sockaddr, Address};
use crate::conn::{new_connection, StreamReader, StreamWriter};
use crate::error::{ArgumentError, ConnectError};
use crate::runtime::{Runtime, Socket};
use reader_core::DEFAULT_LIMIT;
use socket2::{Domain, SockAddr, SockRef, Type};
use std::future::poll_fn;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

/// Which address family to use (asyncio's `family=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Family {
    /// Any (`AF_UNSPEC`).
    #[default]
    Any,
    /// IPv4 only (`AF_INET`).
    Ipv4,
    /// IPv6 only (`AF_INET6`).
    Ipv6,
}

impl Family {
    /// Whether `addr` is of this family.
    pub fn matches(self, addr: &SocketAddr) -> bool {
        match self {
            Family::Any => true,
            Family::Ipv4 => addr.is_ipv4(),
            Family::Ipv6 => addr.is_ipv6(),
        }
    }
}

/// Options of `open_connection` and `open_unix_connection`, with asyncio's
/// defaults (`OpenOptions::default()`).
///
/// Happy eyeballs and TLS are not implemented yet; the struct is
/// `#[non_exhaustive]` so they can be added as fields.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct OpenOptions {
    /// The reader's buffer limit (asyncio's `limit=`, 64 KiB). 0 is
    /// rejected before any network activity.
    pub limit: usize,
    /// Bind the client socket to this local address first (asyncio's
    /// `local_addr=`). Only used for remote addresses of the same family.
    pub local_addr: Option<SocketAddr>,
    /// Restrict resolution to one family (asyncio's `family=`).
    pub family: Family,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            limit: DEFAULT_LIMIT,
            local_addr: None,
            family: Family::Any,
        }
    }
}

impl OpenOptions {
    /// Sets [`limit`](Self::limit).
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
    /// Sets [`local_addr`](Self::local_addr).
    pub fn local_addr(mut self, addr: SocketAddr) -> Self {
        self.local_addr = Some(addr);
        self
    }
    /// Sets [`family`](Self::family).
    pub fn family(mut self, family: Family) -> Self {
        self.family = family;
        self
    }
}

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
    let fd = sock.as_fd();
    let sref = SockRef::from(&fd);
    if let Some(e) = sref.take_error()? {
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

/// One attempt to `addr`: every error it met (a failed bind, the connect).
async fn attempt(
    rt: &dyn Runtime,
    addr: SocketAddr,
    local: Option<SocketAddr>,
) -> Result<Box<dyn Socket>, io::Error> {
    let sock = socket2::Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    sock.set_nonblocking(true)?;
    if let Some(local) = local {
        sock.bind(&local.into())
            .map_err(|e| bind_error(&py_sockaddr(&local), &e))?;
    }
    match sock.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(connect_failed(&addr, &e)),
    }
    let sock = rt.tcp_stream(std::net::TcpStream::from(sock))?;
    finish_connect(&*sock)
        .await
        .map_err(|e| connect_failed(&addr, &e))?;
    Ok(sock)
}

/// asyncio's `open_connection(host, port, limit=..., local_addr=...,
/// family=...)`: resolves `host`, tries each address in order until one
/// connects, and returns the connection's reader and writer. When every
/// attempt fails, the errors are combined as asyncio does (see
/// [`ConnectError::combine`]).
pub async fn open_connection(
    rt: &dyn Runtime,
    host: &str,
    port: u16,
    options: OpenOptions,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    if options.limit == 0 {
        return Err(ArgumentError::ZeroLimit.into());
    }
    let addrs = resolve(rt, host, port, options.family).await?;
    let mut errors = Vec::new();
    for addr in addrs {
        let local = match options.local_addr {
            Some(l) if l.is_ipv4() != addr.is_ipv4() => {
                errors.push(io::Error::other(
                    ArgumentError::NoMatchingLocalAddr {
                        ipv6: addr.is_ipv6(),
                    }
                    .to_string(),
                ));
                continue;
            }
            other => other,
        };
        match attempt(rt, addr, local).await {
            Ok(sock) => return Ok(start(rt, sock, options.limit, Some(Address::Inet(addr)))),
            Err(e) => errors.push(e),
        }
    }
    Err(ConnectError::combine(errors))
}

fn start(
    rt: &dyn Runtime,
    sock: Box<dyn Socket>,
    limit: usize,
    peer: Option<Address>,
) -> (StreamReader, StreamWriter) {
    let (reader, writer, _shared, driver) = new_connection(sock, limit, peer, None);
    rt.spawn(driver);
    (reader, writer)
}

fn describe(sock: &socket2::Socket) -> String {
    let domain = sock.domain().map(|d| format!("{d:?}")).unwrap_or_default();
    let ty = sock.r#type().map(|t| format!("{t:?}")).unwrap_or_default();
    format!("<socket {domain} {ty}>")
}

/// asyncio's `open_connection(sock=...)`: streams over an already connected
/// stream socket (TCP or Unix; a `std::net::TcpStream` or
/// `std::os::unix::net::UnixStream` converts with `.into()`).
pub fn open_connection_with_socket(
    rt: &dyn Runtime,
    sock: socket2::Socket,
    options: OpenOptions,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    if options.limit == 0 {
        return Err(ArgumentError::ZeroLimit.into());
    }
    if sock.r#type()? != Type::STREAM {
        return Err(ArgumentError::NotAStreamSocket {
            desc: describe(&sock),
        }
        .into());
    }
    sock.set_nonblocking(true)?;
    let sock = if sock.domain()? == Domain::UNIX {
        rt.unix_stream(std::os::unix::net::UnixStream::from(sock))?
    } else {
        rt.tcp_stream(std::net::TcpStream::from(sock))?
    };
    Ok(start(rt, sock, options.limit, None))
}

/// asyncio's `open_unix_connection(path)`. A path starting with a NUL byte
/// is a Linux abstract name.
pub async fn open_unix_connection(
    rt: &dyn Runtime,
    path: &Path,
    options: OpenOptions,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    if options.limit == 0 {
        return Err(ArgumentError::ZeroLimit.into());
    }
    let addr = SockAddr::unix(path)?;
    let sock = socket2::Socket::new(Domain::UNIX, Type::STREAM, None)?;
    sock.set_nonblocking(true)?;
    let pending = match sock.connect(&addr) {
        Ok(()) => false,
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => true,
        Err(e) => return Err(e.into()),
    };
    let sock = rt.unix_stream(std::os::unix::net::UnixStream::from(sock))?;
    if pending {
        finish_connect(&*sock).await?;
    }
    Ok(start(
        rt,
        sock,
        options.limit,
        Some(Address::from_sockaddr(&addr)),
    ))
}

/// asyncio's `open_unix_connection(sock=...)`: the socket must be a
/// Unix-domain stream socket.
pub fn open_unix_connection_with_socket(
    rt: &dyn Runtime,
    sock: socket2::Socket,
    options: OpenOptions,
) -> Result<(StreamReader, StreamWriter), ConnectError> {
    if options.limit == 0 {
        return Err(ArgumentError::ZeroLimit.into());
    }
    if sock.domain()? != Domain::UNIX || sock.r#type()? != Type::STREAM {
        return Err(ArgumentError::NotAUnixStreamSocket {
            desc: describe(&sock),
        }
        .into());
    }
    open_connection_with_socket(rt, sock, options)
}

#[cfg(test)]
mod tests {
    use super::*;

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
