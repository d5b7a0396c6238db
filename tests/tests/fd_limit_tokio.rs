//! The descriptor-limit test on Tokio, alone in its binary: it lowers
//! RLIMIT_NOFILE for the whole process.

#![cfg(unix)]

mod tokio {
    streams_suite::fd_limit_suite!(streams_suite::TokioAdapter);
}
