//! Socket addresses as the extra-info accessors report them.

use socket2::SockAddr;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The address of one end of a connection or of a listening socket
/// (asyncio's `peername` / `sockname` extra info).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Address {
    /// An IPv4 or IPv6 address and port.
    Inet(SocketAddr),
    /// A Unix-domain address.
    Unix(UnixAddr),
}

/// A Unix-domain socket address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UnixAddr {
    /// A path in the file system.
    Path(PathBuf),
    /// A Linux abstract name (without its leading NUL byte).
    Abstract(Vec<u8>),
    /// No address: an unbound client socket (asyncio reports `''`).
    Unnamed,
}

impl Address {
    /// The IP address and port, for TCP.
    #[must_use]
    pub fn as_inet(&self) -> Option<SocketAddr> {
        match self {
            Address::Inet(a) => Some(*a),
            Address::Unix(_) => None,
        }
    }

    pub(crate) fn from_sockaddr(a: &SockAddr) -> Address {
        if let Some(inet) = a.as_socket() {
            return Address::Inet(inet);
        }
        #[cfg(unix)]
        {
            if let Some(path) = a.as_pathname() {
                return Address::Unix(UnixAddr::Path(path.to_path_buf()));
            }
            if let Some(name) = a.as_abstract_namespace() {
                return Address::Unix(UnixAddr::Abstract(name.to_vec()));
            }
        }
        Address::Unix(UnixAddr::Unnamed)
    }

    /// The local address of a socket (a `SockRef` derefs to one).
    pub(crate) fn local_of(sock: &socket2::Socket) -> Option<Address> {
        sock.local_addr().ok().map(|a| Address::from_sockaddr(&a))
    }

    /// The peer address of a connected socket.
    pub(crate) fn peer_of(sock: &socket2::Socket) -> Option<Address> {
        sock.peer_addr().ok().map(|a| Address::from_sockaddr(&a))
    }
}

impl fmt::Display for Address {
    /// Python's rendering: `('127.0.0.1', 80)`, `('::1', 80, 0, 0)`,
    /// `'/path'`, `b'\x00name'`, `''`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Inet(a) => f.write_str(&py_sockaddr(a)),
            Address::Unix(UnixAddr::Path(p)) => write!(f, "'{}'", p.display()),
            Address::Unix(UnixAddr::Abstract(name)) => {
                f.write_str("b'\\x00")?;
                for b in name {
                    if b.is_ascii_graphic() || *b == b' ' {
                        write!(f, "{}", *b as char)?;
                    } else {
                        write!(f, "\\x{b:02x}")?;
                    }
                }
                f.write_str("'")
            }
            Address::Unix(UnixAddr::Unnamed) => f.write_str("''"),
        }
    }
}

/// A socket address the way Python prints it: `('127.0.0.1', 80)` or
/// `('::1', 80, 0, 0)`.
#[must_use]
pub fn py_sockaddr(a: &SocketAddr) -> String {
    match a {
        SocketAddr::V4(a) => format!("('{}', {})", a.ip(), a.port()),
        SocketAddr::V6(a) => format!(
            "('{}', {}, {}, {})",
            a.ip(),
            a.port(),
            a.flowinfo(),
            a.scope_id()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_rendering() {
        let a: SocketAddr = "127.0.0.1:8888".parse().unwrap();
        assert_eq!(Address::Inet(a).to_string(), "('127.0.0.1', 8888)");
        let a: SocketAddr = "[::1]:80".parse().unwrap();
        assert_eq!(Address::Inet(a).to_string(), "('::1', 80, 0, 0)");
        let p = Address::Unix(UnixAddr::Path("/tmp/s".into()));
        assert_eq!(p.to_string(), "'/tmp/s'");
        let n = Address::Unix(UnixAddr::Abstract(b"ab\x01".to_vec()));
        assert_eq!(n.to_string(), "b'\\x00ab\\x01'");
        assert_eq!(Address::Unix(UnixAddr::Unnamed).to_string(), "''");
    }

    #[test]
    fn from_sockaddr_kinds() {
        let a: SocketAddr = "127.0.0.1:1".parse().unwrap();
        assert_eq!(Address::from_sockaddr(&a.into()), Address::Inet(a));
        // Unix-domain addresses are named on Unix only (see from_sockaddr).
        #[cfg(unix)]
        assert_eq!(
            Address::from_sockaddr(&SockAddr::unix("/tmp/x").unwrap()),
            Address::Unix(UnixAddr::Path("/tmp/x".into()))
        );
        #[cfg(not(unix))]
        assert_eq!(
            Address::from_sockaddr(&SockAddr::unix("/tmp/x").unwrap()),
            Address::Unix(UnixAddr::Unnamed)
        );
    }
}
