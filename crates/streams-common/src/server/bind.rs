//! Binding: the TCP sockets of every address of every host, and the
//! public entry points that bind and then start a server (the Unix-domain
//! ones are in `unix`).

use super::handler::{box_handler, HandlerOutput};
use super::options::{check_limit, Hosts, ServerOptions};
use super::{finish, Server};
use crate::addr::{py_sockaddr, Address};
use crate::conn::{StreamReader, StreamWriter};
use crate::connect::bind_error;
use crate::error::{ArgumentError, ServerError};
use crate::runtime::RuntimeRef;
use socket2::{Domain, Type};
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// A bound socket, before and while it listens.
pub(super) struct BoundSocket {
    /// The socket until serving starts (then its listener owns it).
    pub(super) sock: Option<socket2::Socket>,
    pub(super) addr: Address,
    pub(super) unix: bool,
}

fn bind_tcp(addr: SocketAddr, options: &ServerOptions) -> io::Result<Option<socket2::Socket>> {
    let sock = match socket2::Socket::new(Domain::for_address(addr), Type::STREAM, None) {
        Ok(s) => s,
        Err(e) => {
            // asyncio skips addresses it cannot create a socket for (no
            // IPv6 on this host, say).
            crate::diag::debug!("skipping {addr}: {e}");
            return Ok(None);
        }
    };
    if options.reuse_address {
        sock.set_reuse_address(true)?;
    }
    if options.reuse_port {
        #[cfg(unix)]
        sock.set_reuse_port(true)?;
        #[cfg(not(unix))]
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "reuse_port not supported on this platform",
        ));
    }
    if options.keep_alive {
        sock.set_keepalive(true)?;
    }
    if addr.is_ipv6() {
        sock.set_only_v6(true)?;
    }
    match sock.bind(&addr.into()) {
        Ok(()) => Ok(Some(sock)),
        Err(e) if e.raw_os_error() == Some(crate::sys::ADDR_NOT_AVAIL) => Ok(None),
        Err(e) => Err(bind_error(&py_sockaddr(&addr), &e)),
    }
}

/// asyncio's `start_server(handler, host, port, ...)`: binds every address
/// of every host (IPv6 sockets v6-only; with port 0 each socket gets its own
/// port), starts accepting, and runs `handler(reader, writer)` as a task
/// for each connection.
pub async fn start_server<F, Fut>(
    rt: RuntimeRef,
    handler: F,
    hosts: Hosts,
    port: u16,
    options: ServerOptions,
) -> Result<Server, ServerError>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerOutput,
{
    check_limit(&options)?;
    let mut addrs: Vec<SocketAddr> = Vec::new();
    if hosts.0.is_empty() {
        addrs.push(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port));
        addrs.push(SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port));
    } else {
        for host in &hosts.0 {
            let found = match host.parse::<IpAddr>() {
                Ok(ip) => vec![SocketAddr::new(ip, port)],
                Err(_) => rt.resolve(host.clone(), port).await?,
            };
            if found.is_empty() {
                return Err(
                    io::Error::other(format!("getaddrinfo('{host}') returned empty list")).into(),
                );
            }
            addrs.extend(found);
        }
    }
    let mut seen = Vec::new();
    addrs.retain(|a| {
        options.family.matches(a) && !seen.contains(a) && {
            seen.push(*a);
            true
        }
    });
    let mut bound = Vec::new();
    for addr in &addrs {
        if let Some(sock) = bind_tcp(*addr, &options)? {
            let local = Address::local_of(&sock).unwrap_or(Address::Inet(*addr));
            bound.push(BoundSocket {
                sock: Some(sock),
                addr: local,
                unix: false,
            });
        }
    }
    if bound.is_empty() {
        let list: Vec<String> = addrs.iter().map(py_sockaddr).collect();
        return Err(io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            format!("could not bind on any address out of [{}]", list.join(", ")),
        )
        .into());
    }
    finish(rt, box_handler(handler), &options, bound, None)
}

/// asyncio's `start_server(sock=...)`: serves on an already bound stream
/// socket (TCP or Unix; a `std::net::TcpListener` converts with `.into()`).
/// It is put in listening state when serving starts.
pub fn start_server_with_socket<F, Fut>(
    rt: RuntimeRef,
    handler: F,
    sock: socket2::Socket,
    options: ServerOptions,
) -> Result<Server, ServerError>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerOutput,
{
    check_limit(&options)?;
    if sock.r#type()? != Type::STREAM {
        return Err(ArgumentError::NotAStreamSocket {
            desc: format!("{sock:?}"),
        }
        .into());
    }
    let unix = crate::sys::domain(&sock)? == Domain::UNIX;
    #[cfg(not(unix))]
    if unix {
        return Err(crate::sys::no_unix_sockets().into());
    }
    let addr = Address::local_of(&sock).unwrap_or(Address::Unix(crate::addr::UnixAddr::Unnamed));
    let bound = vec![BoundSocket {
        sock: Some(sock),
        addr,
        unix,
    }];
    finish(rt, box_handler(handler), &options, bound, None)
}
