//! Binding: the TCP sockets of every address of every host, Unix sockets
//! with asyncio's path rules (stale socket files removed before binding,
//! abstract names, the socket file removed on close only if it is still
//! ours), and the public entry points that bind and then start a server.

use super::handler::{box_handler, HandlerOutput};
use super::options::{check_limit, Hosts, ServerOptions};
use super::{finish, Server};
use crate::addr::{py_sockaddr, Address};
use crate::conn::{StreamReader, StreamWriter};
use crate::connect::bind_error;
use crate::error::{ArgumentError, ServerError};
use crate::runtime::RuntimeRef;
use socket2::{Domain, SockAddr, Type};
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// A bound socket, before and while it listens.
pub(super) struct BoundSocket {
    /// The socket until serving starts (then its listener owns it).
    pub(super) sock: Option<socket2::Socket>,
    pub(super) addr: Address,
    pub(super) unix: bool,
}

/// The socket file a Unix server created, to remove on close if its inode
/// is still the same.
pub(super) struct UnixCleanup {
    path: PathBuf,
    ino: u64,
    dev: u64,
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
        sock.set_reuse_port(true)?;
    }
    if options.keep_alive {
        sock.set_keepalive(true)?;
    }
    if addr.is_ipv6() {
        sock.set_only_v6(true)?;
    }
    match sock.bind(&addr.into()) {
        Ok(()) => Ok(Some(sock)),
        Err(e) if e.raw_os_error() == Some(libc::EADDRNOTAVAIL) => Ok(None),
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
    let unix = sock.domain()? == Domain::UNIX;
    let addr = Address::local_of(&sock).unwrap_or(Address::Unix(crate::addr::UnixAddr::Unnamed));
    let bound = vec![BoundSocket {
        sock: Some(sock),
        addr,
        unix,
    }];
    finish(rt, box_handler(handler), &options, bound, None)
}

fn is_abstract(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().first() == Some(&0)
}

/// Removes a stale socket file at `path` (asyncio removes any socket file,
/// even one a live server uses). Other kinds of file are left alone, so
/// the bind reports "address in use".
fn remove_stale_socket(path: &Path) {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => {
            if let Err(e) = std::fs::remove_file(path) {
                crate::diag::error!(
                    "Unable to check or remove stale UNIX socket {}: {e}",
                    path.display()
                );
            }
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => crate::diag::error!(
            "Unable to check or remove stale UNIX socket {}: {e}",
            path.display()
        ),
    }
}

pub(super) fn remove_if_ours(c: &UnixCleanup) {
    if let Ok(m) = std::fs::symlink_metadata(&c.path) {
        if m.ino() == c.ino && m.dev() == c.dev {
            if let Err(e) = std::fs::remove_file(&c.path) {
                crate::diag::debug!("could not remove {}: {e}", c.path.display());
            }
        }
    }
}

/// asyncio's `start_unix_server(handler, path)`: removes a stale socket
/// file at `path`, binds, and serves. A path starting with a NUL byte is a
/// Linux abstract name. A regular file at `path` is "address in use".
/// With [`ServerOptions::cleanup_socket`], closing the server removes the
/// socket file if it is still the one it created.
pub async fn start_unix_server<F, Fut>(
    rt: RuntimeRef,
    handler: F,
    path: &Path,
    options: ServerOptions,
) -> Result<Server, ServerError>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: HandlerOutput,
{
    check_limit(&options)?;
    let abstract_name = is_abstract(path);
    if !abstract_name {
        remove_stale_socket(path);
    }
    let sock = socket2::Socket::new(Domain::UNIX, Type::STREAM, None)?;
    match sock.bind(&SockAddr::unix(path)?) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EADDRINUSE) => {
            let shown = Address::Unix(if abstract_name {
                use std::os::unix::ffi::OsStrExt;
                crate::addr::UnixAddr::Abstract(path.as_os_str().as_bytes()[1..].to_vec())
            } else {
                crate::addr::UnixAddr::Path(path.to_path_buf())
            });
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("Address {shown} is already in use"),
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    }
    let cleanup = if options.cleanup_socket && !abstract_name {
        std::fs::symlink_metadata(path).ok().map(|m| UnixCleanup {
            path: path.to_path_buf(),
            ino: m.ino(),
            dev: m.dev(),
        })
    } else {
        None
    };
    let addr = Address::local_of(&sock).unwrap_or(Address::Unix(crate::addr::UnixAddr::Path(
        path.to_path_buf(),
    )));
    let bound = vec![BoundSocket {
        sock: Some(sock),
        addr,
        unix: true,
    }];
    finish(rt, box_handler(handler), &options, bound, cleanup)
}

/// asyncio's `start_unix_server(sock=...)`: the socket must be a bound
/// Unix-domain stream socket.
pub fn start_unix_server_with_socket<F, Fut>(
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
    if sock.domain()? != Domain::UNIX || sock.r#type()? != Type::STREAM {
        return Err(ArgumentError::NotAUnixStreamSocket {
            desc: format!("{sock:?}"),
        }
        .into());
    }
    start_server_with_socket(rt, handler, sock, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_path_rules() {
        let dir = std::env::temp_dir().join(format!("streams-common-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A regular file is left alone.
        let file = dir.join("regular");
        std::fs::write(&file, b"x").unwrap();
        remove_stale_socket(&file);
        assert!(file.exists());
        // A socket file is removed.
        let sock = dir.join("sock");
        let l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        remove_stale_socket(&sock);
        assert!(!sock.exists());
        drop(l);
        // Cleanup only removes the file it created.
        let l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let m = std::fs::metadata(&sock).unwrap();
        let ours = UnixCleanup {
            path: sock.clone(),
            ino: m.ino(),
            dev: m.dev(),
        };
        drop(l);
        std::fs::remove_file(&sock).unwrap();
        let other = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let theirs_ino = std::fs::metadata(&sock).unwrap().ino();
        if theirs_ino != ours.ino {
            remove_if_ours(&ours);
            assert!(sock.exists(), "a file that replaced ours is kept");
        }
        let m = std::fs::metadata(&sock).unwrap();
        remove_if_ours(&UnixCleanup {
            path: sock.clone(),
            ino: m.ino(),
            dev: m.dev(),
        });
        assert!(!sock.exists());
        drop(other);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
