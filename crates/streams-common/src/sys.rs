//! The operating system's error codes the library tells apart, named once
//! for every platform: `errno` values on Unix, Winsock's `WSAE*` codes on
//! Windows (what `io::Error::raw_os_error` holds after a failed socket
//! call there; the C runtime's `E*` numbers in `libc` for Windows are
//! different numbers and never come out of a socket call).

#[cfg(unix)]
mod codes {
    /// `bind()`: the local address is taken.
    pub(crate) const ADDR_IN_USE: i32 = libc::EADDRINUSE;
    /// `bind()`: the address is not one of this host's.
    pub(crate) const ADDR_NOT_AVAIL: i32 = libc::EADDRNOTAVAIL;
    /// A non-blocking `connect()` that goes on in the background.
    pub(crate) const CONNECT_PENDING: i32 = libc::EINPROGRESS;
    /// Not an open socket: an error the accept loop does not expect.
    #[cfg(test)]
    pub(crate) const BAD_HANDLE: i32 = libc::EBADF;
    /// `accept()` ran out of a resource: retrying at once would spin.
    pub(crate) const ACCEPT_EXHAUSTED: &[i32] =
        &[libc::EMFILE, libc::ENFILE, libc::ENOBUFS, libc::ENOMEM];
    /// `accept()` failed for the one pending connection (accept(2) asks
    /// to treat the network errors like `EAGAIN`).
    pub(crate) const ACCEPT_SKIP: &[i32] = &[
        libc::ECONNABORTED,
        libc::EINTR,
        libc::EAGAIN,
        libc::EPROTO,
        libc::EPERM,
        libc::ENETDOWN,
        libc::ENOPROTOOPT,
        #[cfg(not(target_os = "redox"))]
        libc::EHOSTDOWN,
        #[cfg(any(target_os = "linux", target_os = "android"))]
        libc::ENONET,
        libc::EHOSTUNREACH,
        libc::EOPNOTSUPP,
        libc::ENETUNREACH,
    ];
}

#[cfg(windows)]
mod codes {
    use windows_sys::Win32::Networking::WinSock as ws;

    /// `bind()`: the address is not one of this host's.
    pub(crate) const ADDR_NOT_AVAIL: i32 = ws::WSAEADDRNOTAVAIL;
    /// A non-blocking `connect()` that goes on in the background: Winsock
    /// says `WSAEWOULDBLOCK` where Unix says `EINPROGRESS`.
    pub(crate) const CONNECT_PENDING: i32 = ws::WSAEWOULDBLOCK;
    /// Not an open socket: an error the accept loop does not expect.
    #[cfg(test)]
    pub(crate) const BAD_HANDLE: i32 = ws::WSAENOTSOCK;
    /// `accept()` ran out of a resource: retrying at once would spin.
    pub(crate) const ACCEPT_EXHAUSTED: &[i32] = &[ws::WSAEMFILE, ws::WSAENOBUFS];
    /// `accept()` failed for the one pending connection.
    pub(crate) const ACCEPT_SKIP: &[i32] = &[
        ws::WSAECONNABORTED,
        ws::WSAECONNRESET,
        ws::WSAEINTR,
        ws::WSAEWOULDBLOCK,
        ws::WSAENETDOWN,
        ws::WSAENOPROTOOPT,
        ws::WSAEHOSTDOWN,
        ws::WSAEHOSTUNREACH,
        ws::WSAEOPNOTSUPP,
        ws::WSAENETUNREACH,
    ];
}

pub(crate) use codes::*;

/// The error for a Unix-domain socket on a platform without them in std
/// (Windows): it has `AF_UNIX` sockets, but neither std nor the runtimes
/// wrap them.
#[cfg(not(unix))]
pub(crate) fn no_unix_sockets() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "Unix-domain sockets are not supported on this platform",
    )
}

/// The address family of a socket (`SO_DOMAIN`), bound or not.
#[cfg(unix)]
pub(crate) fn domain(sock: &socket2::Socket) -> std::io::Result<socket2::Domain> {
    sock.domain()
}

/// The address family of a socket, bound or not: Winsock has no
/// `SO_DOMAIN` (nor socket2 a `domain()` there), but the protocol info
/// the socket was created with names it.
#[cfg(windows)]
pub(crate) fn domain(sock: &socket2::Socket) -> std::io::Result<socket2::Domain> {
    use std::os::windows::io::AsRawSocket;
    use windows_sys::Win32::Networking::WinSock as ws;
    let mut info = ws::WSAPROTOCOL_INFOW::default();
    let mut len = i32::try_from(std::mem::size_of::<ws::WSAPROTOCOL_INFOW>())
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    // SAFETY: the socket is open (borrowed for the call), and `info` is a
    // writable buffer of the `len` bytes getsockopt is told it has.
    let r = unsafe {
        ws::getsockopt(
            sock.as_raw_socket() as ws::SOCKET,
            ws::SOL_SOCKET,
            ws::SO_PROTOCOL_INFOW,
            std::ptr::addr_of_mut!(info).cast(),
            &mut len,
        )
    };
    if r == ws::SOCKET_ERROR {
        // SAFETY: no arguments; reads this thread's last Winsock error.
        return Err(std::io::Error::from_raw_os_error(unsafe {
            ws::WSAGetLastError()
        }));
    }
    Ok(socket2::Domain::from(info.iAddressFamily))
}
