//! The OS error codes the tests feed the connection, as a socket call
//! fails with them on each platform: `errno` values on Unix, Winsock's
//! (and, for a broken pipe, Win32's) on Windows, where the C runtime's
//! numbers in `libc` would be other errors.

#[cfg(unix)]
pub const ECONNRESET: i32 = libc::ECONNRESET;
#[cfg(unix)]
pub const EPIPE: i32 = libc::EPIPE;
#[cfg(unix)]
pub const ETIMEDOUT: i32 = libc::ETIMEDOUT;

/// `WSAECONNRESET`.
#[cfg(windows)]
pub const ECONNRESET: i32 = 10054;
/// `ERROR_BROKEN_PIPE`.
#[cfg(windows)]
pub const EPIPE: i32 = 109;
/// `WSAETIMEDOUT`.
#[cfg(windows)]
pub const ETIMEDOUT: i32 = 10060;
