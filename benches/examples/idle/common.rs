//! What every child shares: the cases, memory readings, the file limit, the
//! reports to the parent and the bounded waits.

use std::error::Error;
use std::io::{Read, Write};
use std::time::Duration;

pub type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// Every wait is bounded by this.
pub const DEADLINE: Duration = Duration::from_secs(60);
/// Time for the last handlers to reach their read after the count is met.
pub const SETTLE: Duration = Duration::from_millis(300);
/// Lines each client connection sends in the `exchanged` case.
pub const LINES: usize = 5;
/// One line of the exchange: 79 bytes and a newline.
pub const LINE: &[u8; 80] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg\n";
/// The handshake timeout of the library's TLS servers: far longer than the
/// measurement, so no pending handshake times out during it.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(120);

/// What each connection does before it sits idle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// Nothing: the connection is opened and both sides wait in a read.
    Idle,
    /// `LINES` lines sent and echoed, then both sides wait in a read.
    Exchanged,
    /// A TLS server; the client opens plain TCP and sends nothing, so each
    /// server connection is a pending handshake.
    PendingTls,
}

impl Case {
    pub const ALL: [Case; 3] = [Case::Idle, Case::Exchanged, Case::PendingTls];

    pub fn name(self) -> &'static str {
        match self {
            Case::Idle => "idle",
            Case::Exchanged => "exchanged",
            Case::PendingTls => "tls",
        }
    }

    pub fn parse(s: &str) -> Res<Case> {
        match s {
            "idle" => Ok(Case::Idle),
            "exchanged" => Ok(Case::Exchanged),
            "tls" | "pending-tls" => Ok(Case::PendingTls),
            _ => Err(format!("unknown case {s:?} (idle, exchanged, tls)").into()),
        }
    }
}

/// `(VmRSS, VmHWM)` in bytes.
pub fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

pub fn raise_nofile() {
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// Blocks until the parent closes our stdin (or the deadline passes).
pub fn wait_for_parent() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        let _ = tx.send(());
    });
    let _ = rx.recv_timeout(DEADLINE);
}

/// The server's first report: its port and its resident memory with no
/// connection yet.
pub fn report_listening(port: u16) {
    println!("listening {port} {}", memory().0);
    let _ = std::io::stdout().flush();
}

/// The server's second report: its memory once `counted` connections are
/// where the case wants them.
pub fn report_done(counted: usize) {
    let (rss, hwm) = memory();
    println!("server {rss} {hwm} {counted}");
    let _ = std::io::stdout().flush();
}

/// The client's report: its memory before and after, and how many of its
/// connections got where the case wants them.
pub fn report_client(before: u64, counted: usize) {
    let (after, hwm) = memory();
    println!("client {before} {after} {hwm} {counted}");
    let _ = std::io::stdout().flush();
}

/// The `tls` case's client, the same for every implementation: `n` plain
/// blocking TCP connections that send nothing.
pub fn plain_connect(port: u16, n: usize) -> Res<()> {
    let before = memory().0;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut socks = Vec::with_capacity(n);
    for _ in 0..n {
        socks.push(std::net::TcpStream::connect_timeout(&addr, DEADLINE)?);
    }
    report_client(before, socks.len());
    wait_for_parent();
    drop(socks);
    Ok(())
}

/// The `tls` case's certificate: self-signed for `127.0.0.1`, made once per
/// server process before it reports its baseline.
pub fn server_tls_config() -> Res<std::sync::Arc<streams_common::tls::rustls::ServerConfig>> {
    use streams_common::tls::rustls::pki_types::PrivateKeyDer;
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()])?;
    let key = PrivateKeyDer::try_from(made.signing_key.serialize_der())?;
    Ok(streams_common::tls::server_config(
        vec![made.cert.der().clone()],
        key,
    )?)
}
