//! The descriptor-limit test on async-std, alone in its binary: it lowers
//! RLIMIT_NOFILE for the whole process.

#![cfg(unix)]

mod async_std {
    streams_suite::fd_limit_suite!(streams_suite::AsyncStdAdapter);
}
