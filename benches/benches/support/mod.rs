//! What the end-to-end benches (`echo.rs`, `transports.rs`) share: the
//! payload, pinning to one CPU, and the interleaved rounds with their
//! table of medians and ratios.

use std::error::Error;
use std::time::Duration;

pub type BoxError = Box<dyn Error + Send + Sync>;
pub type Res<T> = Result<T, BoxError>;

/// The length of every line, `\n` included.
pub const LINE: usize = 80;
/// Every run is bounded by this.
pub const TIMEOUT: Duration = Duration::from_secs(60);

pub fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `n` lines of `LINE` bytes each, `\n`-terminated, all different.
pub fn payload(n: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(n * LINE);
    for i in 0..n {
        let start = data.len();
        data.extend_from_slice(format!("{i:09} ").as_bytes());
        while data.len() < start + LINE - 1 {
            data.push(b'a' + ((data.len() - start + i) % 26) as u8);
        }
        data.push(b'\n');
    }
    data
}

/// Pins the process (every thread created from now on, and children) to
/// one CPU: `ECHO_CPU` (default 0), or nothing with `ECHO_CPU=none`.
/// Returns what it pinned to, for the header.
pub fn pin_from_env() -> Res<String> {
    let cpu = std::env::var("ECHO_CPU").unwrap_or_else(|_| "0".into());
    if cpu != "none" {
        pin(cpu.parse()?)?;
    }
    Ok(cpu)
}

fn pin(cpu: usize) -> std::io::Result<()> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET and
    // sched_setaffinity only read and write that set.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// One implementation under test: its name, the name of the baseline its
/// ratio is taken to (`None`: it is a baseline, or has none), and a run
/// that returns lines per second.
pub struct Runner {
    pub name: String,
    pub baseline: Option<&'static str>,
    pub run: Box<dyn Fn() -> Res<f64>>,
}

/// Runs every runner once per round, interleaved, `rounds` times; prints
/// each run, then a table of medians, each with its ratio to its
/// baseline's median and the spread of the per-round ratios (each round's
/// figure over its baseline's in the same round).
pub fn rounds_table(runners: &[Runner], rounds: usize) {
    let mut results: Vec<Vec<f64>> = vec![Vec::new(); runners.len()];
    for round in 0..rounds {
        for (i, r) in runners.iter().enumerate() {
            match (r.run)() {
                Ok(v) => {
                    println!("round {round}: {:<40} {:>8.3} M lines/s", r.name, v / 1e6);
                    results[i].push(v);
                }
                Err(e) => println!("round {round}: {:<40} failed: {e}", r.name),
            }
        }
    }
    println!();
    println!(
        "| implementation | M lines/s (median of {rounds}) | ratio to its baseline \
         | ratio's spread (per round) |"
    );
    println!("|---|---:|---:|---:|");
    let find = |name: &str| runners.iter().position(|r| r.name == name);
    for (i, r) in runners.iter().enumerate() {
        let mine = &results[i];
        if mine.is_empty() {
            println!("| {} | failed | | |", r.name);
            continue;
        }
        let m = median(&mut mine.clone());
        let base = r.baseline.and_then(find).map(|b| &results[b]);
        let (ratio, spread) = match base {
            Some(b) if b.len() == mine.len() && !b.is_empty() => {
                let ratios: Vec<f64> = mine.iter().zip(b).map(|(v, b)| v / b).collect();
                let lo = ratios.iter().cloned().fold(f64::INFINITY, f64::min);
                let hi = ratios.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let bm = median(&mut b.clone());
                (
                    format!("{:.3} (to {})", m / bm, r.baseline.unwrap_or_default()),
                    format!("{lo:.3}-{hi:.3}"),
                )
            }
            _ => (String::new(), String::new()),
        };
        println!("| {} | {:.3} | {ratio} | {spread} |", r.name, m / 1e6);
    }
}
