//! The descriptor-limit test on smol, alone in its binary: it lowers
//! RLIMIT_NOFILE for the whole process.

#![cfg(unix)]

mod smol {
    streams_suite::fd_limit_suite!(streams_suite::SmolAdapter);
}
