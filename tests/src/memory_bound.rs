//! The memory bound under attack, counted by the allocator: a peer that
//! streams one endless line into a server whose handler reads on after
//! every `LineTooLong` cannot make the connection hold more than
//! `2 * limit` + one read chunk + a fixed overhead.
//!
//! Each runtime runs this in a test binary of its own, with [`Counting`]
//! as the global allocator (the count is the whole process's, so nothing
//! else may run beside it).

use crate::adapters::{within, Adapter};
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use streams_common::{ReadError, ServerOptions, StreamReader, StreamWriter};

/// One read chunk: the most a single receive is offered.
pub const READ_CHUNK: usize = 64 * 1024;
/// What the process may allocate beyond the buffers while the attack runs,
/// besides what it held before: wakers, the runtime's task bookkeeping,
/// the `Bytes` headers of queued chunks, and margin. (Measured on the
/// three runtimes, the whole growth stayed under `2 * limit` + one chunk:
/// 29-52 KB at a 16 KiB limit, 136-157 KB at 64 KiB; without the bound on
/// each receive it went over, 135-152 KB at 16 KiB.)
pub const OVERHEAD: usize = 32 * 1024;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// A global allocator that counts the bytes live and their peak.
pub struct Counting;

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counters are only statistics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            add(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            add(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
            add(new_size);
        }
        p
    }
}

fn add(n: usize) {
    let now = CURRENT.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

/// Streams an endless line of `x` into a server with `limit` for `bytes`
/// bytes and returns the largest growth of the process's heap over what it
/// held with the connection open and idle.
pub async fn endless_line_peak_growth<A: Adapter>(limit: usize, bytes: usize) -> usize {
    let too_long = Arc::new(AtomicUsize::new(0));
    let seen = too_long.clone();
    let server = A::t(A::start_server(
        move |mut reader: StreamReader, writer: StreamWriter| {
            let seen = seen.clone();
            async move {
                // Kept until the handler ends (dropping it closes).
                let _writer = writer;
                loop {
                    match reader.readline().await {
                        Ok(line) if line.is_empty() => return Ok(()),
                        Ok(_) => {}
                        // Read on: the attacker's line is dropped a limit
                        // at a time.
                        Err(ReadError::LineTooLong { .. } | ReadError::LimitOverrun { .. }) => {
                            seen.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(e) => {
                            return Err(Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
                        }
                    }
                }
            }
        },
        "127.0.0.1",
        0,
        ServerOptions::default().limit(limit),
    ))
    .await
    .unwrap();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], crate::port(&server)));

    // The attacker: a plain blocking socket on a thread of its own, which
    // allocates nothing while it writes.
    let mut sock = std::net::TcpStream::connect(addr).unwrap();
    sock.set_write_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    crate::adapters::wait_until::<A>("the server to take the connection", || {
        server.client_count() == 1
    })
    .await;
    let go = Arc::new(AtomicBool::new(false));
    let started = go.clone();
    let attacker = std::thread::spawn(move || {
        let chunk = vec![b'x'; 16 * 1024];
        while !started.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        let mut sent = 0;
        while sent < bytes {
            sock.write_all(&chunk).unwrap();
            sent += chunk.len();
        }
        sock.write_all(b"\n").unwrap();
        drop(sock);
    });
    let baseline = CURRENT.load(Ordering::SeqCst);
    PEAK.store(baseline, Ordering::SeqCst);
    go.store(true, Ordering::SeqCst);
    within::<A, _>(
        "the attacker to send everything",
        A::spawn_blocking(move || attacker.join().unwrap()),
    )
    .await;
    crate::adapters::wait_until::<A>("the server to drop the connection", || {
        server.client_count() == 0
    })
    .await;
    let peak = PEAK.load(Ordering::SeqCst);
    assert!(
        too_long.load(Ordering::SeqCst) > 0,
        "the endless line was never reported"
    );
    server.close();
    A::t(server.wait_closed()).await;
    peak.saturating_sub(baseline)
}

/// The bound at two limits.
pub async fn endless_line_stays_within_the_bound<A: Adapter>() {
    for limit in [16 * 1024, 64 * 1024] {
        let bytes = 16 * (2 * limit + READ_CHUNK);
        let growth = endless_line_peak_growth::<A>(limit, bytes).await;
        let bound = 2 * limit + READ_CHUNK + OVERHEAD;
        eprintln!("limit {limit}: peak growth {growth} B, bound {bound} B");
        assert!(
            growth <= bound,
            "limit {limit}: the heap grew by {growth} B, over 2 * limit + a read chunk + \
             {OVERHEAD} B = {bound} B"
        );
    }
}

/// Instantiates the memory-bound test for `$adapter`. Use it alone in a
/// test binary that declares [`Counting`] as its global allocator.
#[macro_export]
macro_rules! memory_bound_suite {
    ($adapter:ty) => {
        #[global_allocator]
        static ALLOCATOR: $crate::memory_bound::Counting = $crate::memory_bound::Counting;

        #[test]
        fn endless_line_stays_within_the_bound() {
            <$adapter as $crate::Adapter>::block_on(
                $crate::memory_bound::endless_line_stays_within_the_bound::<$adapter>(),
            );
        }
    };
}
