//! The OS error codes and texts the suite expects, per platform: `errno`
//! values on Unix; on Windows the Winsock codes a socket call fails with
//! (Microsoft's "Windows Sockets Error Codes" list: `WSAECONNREFUSED`
//! 10061, `WSAEADDRINUSE` 10048, `WSAECONNRESET` 10054), which the
//! library formats the same way (`[Errno N] Connect call failed ...`).
//! Also: whether the test runs under Wine, for the few Wine artefacts.

/// A connection refused.
#[cfg(unix)]
pub const ECONNREFUSED: i32 = libc::ECONNREFUSED;
/// A local address already in use.
#[cfg(unix)]
pub const EADDRINUSE: i32 = libc::EADDRINUSE;
/// A connection reset by its peer.
#[cfg(unix)]
pub const ECONNRESET: i32 = libc::ECONNRESET;

/// `WSAECONNREFUSED`.
#[cfg(windows)]
pub const ECONNREFUSED: i32 = 10061;
/// `WSAEADDRINUSE`.
#[cfg(windows)]
pub const EADDRINUSE: i32 = 10048;
/// `WSAECONNRESET`.
#[cfg(windows)]
pub const ECONNRESET: i32 = 10054;

/// The system's text for `EADDRINUSE` as the library writes it (lower
/// case). On Linux, glibc's words. On Windows, whatever `FormatMessageW`
/// says: its words depend on the Windows version and language, and Wine
/// has none for Winsock codes, so the suite takes them from the system
/// as std does; what is checked there is the code and the framing.
pub fn addr_in_use_text() -> String {
    #[cfg(unix)]
    return "address already in use".to_owned();
    #[cfg(windows)]
    {
        let s = std::io::Error::from_raw_os_error(EADDRINUSE).to_string();
        match s.rfind(" (os error ") {
            Some(i) => s[..i].to_lowercase(),
            None => s.to_lowercase(),
        }
    }
}

/// Whether this process runs under Wine: Wine's `ntdll.dll` exports
/// `wine_get_version`, Windows' does not (the `WINEPREFIX` variable is
/// not visible inside the process).
#[cfg(windows)]
pub fn under_wine() -> bool {
    use std::ffi::c_void;
    #[link(name = "kernel32")]
    extern "system" {
        fn GetModuleHandleA(name: *const std::ffi::c_char) -> *mut c_void;
        fn GetProcAddress(module: *mut c_void, name: *const std::ffi::c_char) -> *mut c_void;
    }
    // SAFETY: both names are NUL-terminated; ntdll stays loaded for the
    // process's life, and the address found is only compared with null.
    unsafe {
        let ntdll = GetModuleHandleA(c"ntdll.dll".as_ptr());
        !ntdll.is_null() && !GetProcAddress(ntdll, c"wine_get_version".as_ptr()).is_null()
    }
}

/// Never under Wine on Unix.
#[cfg(unix)]
pub fn under_wine() -> bool {
    false
}

/// Whether a test is to be skipped here because Wine's emulation differs
/// from Windows (`why`, printed).
pub fn skip_under_wine(why: &str) -> bool {
    let skip = under_wine();
    if skip {
        println!("skipped under Wine: {why}");
    }
    skip
}
