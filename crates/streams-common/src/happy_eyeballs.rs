//! Which connection attempt to start when: asyncio's `staggered_race` and
//! address interleaving (RFC 8305 "happy eyeballs"), as a pure planner.
//!
//! The planner does no I/O and reads no clock: the driver passes the time
//! in (any monotonic `Duration` since an origin of its choosing) and tells
//! it how attempts ended; it answers which attempt to start, how long to
//! wait, which attempts to cancel, and when everything failed. One planner
//! serves every runtime, and tests drive it with a virtual clock.
//!
//! The rules are asyncio's:
//!
//! * attempt `i + 1` starts when attempt `i` fails, or when the delay has
//!   passed since attempt `i` started, whichever comes first; the failure
//!   of an older attempt changes nothing; without a delay, attempts run
//!   one after another;
//! * the first attempt to succeed wins: every other running attempt is
//!   cancelled and nothing new starts;
//! * when every attempt failed, their errors are reported in the order the
//!   attempts were started.
//!
//! ```
//! use std::time::Duration;
//! use streams_common::happy_eyeballs::{ConnectPlan, Decision, Interleave};
//!
//! let v6 = "[::1]:80".parse().unwrap();
//! let v4 = "127.0.0.1:80".parse().unwrap();
//! let ms = Duration::from_millis;
//! let mut plan: ConnectPlan<&str> =
//!     ConnectPlan::new(vec![v6, v4], Some(ms(250)), Interleave::Default);
//!
//! assert_eq!(plan.poll(ms(0)), Decision::Start { attempt: 0, addr: v6 });
//! // The IPv6 attempt hangs: after the delay, IPv4 starts beside it.
//! assert_eq!(plan.poll(ms(0)), Decision::WaitUntil(ms(250)));
//! assert_eq!(plan.poll(ms(250)), Decision::Start { attempt: 1, addr: v4 });
//! // IPv4 connects: the IPv6 attempt is cancelled.
//! assert_eq!(plan.succeeded(1), vec![0]);
//! assert_eq!(plan.poll(ms(260)), Decision::Won { attempt: 1 });
//! ```

use std::net::SocketAddr;
use std::time::Duration;

/// How to reorder resolved addresses by family (asyncio's `interleave`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Interleave {
    /// asyncio's `interleave=None`: no reordering, unless a happy-eyeballs
    /// delay is set, which implies `By(1)`.
    #[default]
    Default,
    /// `interleave=n`: the first `n - 1` addresses of the first family, then
    /// one of each family in turn. `By(0)` keeps the resolver's order even
    /// with a delay.
    By(usize),
}

impl Interleave {
    /// The effective count, asyncio's way: a delay without `interleave`
    /// means 1; 0 or none means no reordering.
    fn count(self, delay: Option<Duration>) -> usize {
        match (self, delay) {
            (Interleave::By(n), _) => n,
            (Interleave::Default, Some(_)) => 1,
            (Interleave::Default, None) => 0,
        }
    }
}

/// Reorders `addrs` by family as asyncio's `interleave=first_family_count`
/// does: families in order of first appearance, each family's own order
/// kept; the first `first_family_count - 1` addresses of the first family,
/// then one address of each family in turn until all are used. A count of
/// 0 returns `addrs` unchanged.
///
/// ```
/// use streams_common::happy_eyeballs::interleave;
/// let a: Vec<std::net::SocketAddr> = ["1.1.1.1:1", "2.2.2.2:1", "[::1]:1", "[::2]:1"]
///     .iter().map(|s| s.parse().unwrap()).collect();
/// assert_eq!(interleave(a.clone(), 1), vec![a[0], a[2], a[1], a[3]]);
/// assert_eq!(interleave(a.clone(), 2), vec![a[0], a[1], a[2], a[3]]);
/// ```
pub fn interleave(addrs: Vec<SocketAddr>, first_family_count: usize) -> Vec<SocketAddr> {
    if first_family_count == 0 {
        return addrs;
    }
    // Group by family, in order of first appearance.
    let mut families: Vec<Vec<SocketAddr>> = Vec::new();
    for addr in &addrs {
        match families
            .iter_mut()
            .find(|f| f[0].is_ipv4() == addr.is_ipv4())
        {
            Some(family) => family.push(*addr),
            None => families.push(vec![*addr]),
        }
    }
    let mut out = Vec::with_capacity(addrs.len());
    let mut queues: Vec<std::vec::IntoIter<SocketAddr>> =
        families.into_iter().map(Vec::into_iter).collect();
    if let Some(first) = queues.first_mut() {
        out.extend(first.by_ref().take(first_family_count - 1));
    }
    while out.len() < addrs.len() {
        for queue in &mut queues {
            out.extend(queue.next());
        }
    }
    out
}

/// What the driver should do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Start attempt number `attempt`, a connection to `addr`, now. Then
    /// poll again: there may be more to do.
    Start {
        /// The attempt's number, counted from 0 in start order.
        attempt: usize,
        /// Where to connect.
        addr: SocketAddr,
    },
    /// Nothing to start before this time, unless an attempt ends first.
    WaitUntil(Duration),
    /// Nothing to do until a running attempt ends.
    WaitForAttempts,
    /// Attempt `attempt` connected; every other attempt has been cancelled
    /// (see [`ConnectPlan::succeeded`]).
    Won {
        /// The winning attempt.
        attempt: usize,
    },
    /// Every address was tried and every attempt failed: the errors are in
    /// [`ConnectPlan::into_errors`].
    AllFailed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Running,
    Failed,
    Cancelled,
    Won,
}

/// The planner: one per `open_connection` call. `E` is the driver's error
/// type for a failed attempt (kept, in start order, for the report).
#[derive(Debug)]
pub struct ConnectPlan<E> {
    addrs: Vec<SocketAddr>,
    delay: Option<Duration>,
    /// One entry per attempt started, in start order.
    attempts: Vec<State>,
    /// The errors of each started attempt.
    errors: Vec<Vec<E>>,
    /// When the most recent attempt started.
    last_start: Duration,
    winner: Option<usize>,
}

impl<E> ConnectPlan<E> {
    /// Plans attempts to `addrs` (in resolver order) with an optional
    /// happy-eyeballs `delay` and asyncio's `interleave` rule.
    #[must_use]
    pub fn new(addrs: Vec<SocketAddr>, delay: Option<Duration>, interleave_by: Interleave) -> Self {
        let addrs = interleave(addrs, interleave_by.count(delay));
        ConnectPlan {
            errors: Vec::with_capacity(addrs.len()),
            attempts: Vec::with_capacity(addrs.len()),
            addrs,
            delay,
            last_start: Duration::ZERO,
            winner: None,
        }
    }

    /// The addresses in the order they will be tried.
    #[must_use]
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// What to do at time `now`. Call it after creating the plan, after
    /// every event, and when a [`Decision::WaitUntil`] time is reached;
    /// after a [`Decision::Start`], call it again at once.
    pub fn poll(&mut self, now: Duration) -> Decision {
        if let Some(attempt) = self.winner {
            return Decision::Won { attempt };
        }
        let started = self.attempts.len();
        let running = self.attempts.contains(&State::Running);
        if started == self.addrs.len() {
            return if running {
                Decision::WaitForAttempts
            } else {
                Decision::AllFailed
            };
        }
        // The next attempt waits only for the one started just before it.
        let start_now = match self.attempts.last() {
            None | Some(State::Failed) => true,
            Some(_) => self.delay.is_some_and(|d| now >= self.last_start + d),
        };
        if start_now {
            self.attempts.push(State::Running);
            self.errors.push(Vec::new());
            self.last_start = now;
            return Decision::Start {
                attempt: started,
                addr: self.addrs[started],
            };
        }
        match self.delay {
            Some(d) => Decision::WaitUntil(self.last_start + d),
            None => Decision::WaitForAttempts,
        }
    }

    /// Attempt `attempt` failed with `errors` (asyncio records every error
    /// of an attempt: failed local binds, then the connect). An attempt that
    /// is not running (unknown, cancelled, already ended) is ignored.
    pub fn failed(&mut self, attempt: usize, errors: impl IntoIterator<Item = E>) {
        if self.attempts.get(attempt) == Some(&State::Running) {
            self.attempts[attempt] = State::Failed;
            self.errors[attempt].extend(errors);
        }
    }

    /// Attempt `attempt` connected. If it is the first to do so it wins, and
    /// the answer lists the other running attempts, which the driver must
    /// cancel (closing their sockets). A later success is a loser that
    /// finished before its cancellation took effect: the answer is that
    /// attempt itself, to be closed.
    pub fn succeeded(&mut self, attempt: usize) -> Vec<usize> {
        if self.winner.is_some() || self.attempts.get(attempt) != Some(&State::Running) {
            return vec![attempt];
        }
        self.winner = Some(attempt);
        self.attempts[attempt] = State::Won;
        let mut cancel = Vec::new();
        for (i, state) in self.attempts.iter_mut().enumerate() {
            if *state == State::Running {
                *state = State::Cancelled;
                cancel.push(i);
            }
        }
        cancel
    }

    /// The errors of every attempt, flattened in start order (asyncio's
    /// order for its combined report).
    #[must_use]
    pub fn into_errors(self) -> Vec<E> {
        self.errors.into_iter().flatten().collect()
    }
}

/// The local addresses an attempt to `remote` may bind to: those of the
/// same family, in order. When there are none, asyncio fails the attempt
/// with this error.
pub fn matching_local_addrs(
    local: &[SocketAddr],
    remote: &SocketAddr,
) -> Result<Vec<SocketAddr>, NoMatchingLocalAddr> {
    let matching: Vec<SocketAddr> = local
        .iter()
        .copied()
        .filter(|l| l.is_ipv4() == remote.is_ipv4())
        .collect();
    if matching.is_empty() && !local.is_empty() {
        return Err(NoMatchingLocalAddr {
            ipv6: remote.is_ipv6(),
        });
    }
    Ok(matching)
}

/// No local address of the remote address's family was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoMatchingLocalAddr {
    /// Whether the family sought was IPv6.
    pub ipv6: bool,
}

impl std::fmt::Display for NoMatchingLocalAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let family = if self.ipv6 {
            "<AddressFamily.AF_INET6: 10>"
        } else {
            "<AddressFamily.AF_INET: 2>"
        };
        write!(f, "no matching local address with family={family} found")
    }
}

impl std::error::Error for NoMatchingLocalAddr {}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn addrs(list: &[&str]) -> Vec<SocketAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    /// Drives a plan with a virtual clock. Each attempt's fate is given as
    /// (ends after, succeeds?) or `None` (never ends). Returns the start
    /// times, the cancelled attempts, and the final decision.
    fn simulate(
        plan: &mut ConnectPlan<usize>,
        fates: &[Option<(u64, bool)>],
    ) -> (Vec<u64>, Vec<usize>, Decision) {
        let mut now = 0u64;
        let mut starts = Vec::new();
        let mut ends: Vec<Option<u64>> = Vec::new();
        let mut cancelled = Vec::new();
        for _ in 0..1000 {
            let next_end = ends
                .iter()
                .enumerate()
                .filter_map(|(i, e)| e.map(|t| (t, i)))
                .min();
            match plan.poll(ms(now)) {
                Decision::Start { attempt, .. } => {
                    starts.push(now);
                    ends.push(fates[attempt].map(|(after, _)| now + after));
                    continue;
                }
                d @ (Decision::Won { .. } | Decision::AllFailed) => return (starts, cancelled, d),
                Decision::WaitUntil(t) => {
                    let t = t.as_millis() as u64;
                    match next_end {
                        Some((end, _)) if end <= t => now = end,
                        _ => {
                            now = t;
                            continue;
                        }
                    }
                }
                Decision::WaitForAttempts => match next_end {
                    Some((end, _)) => now = end,
                    None => panic!("waiting forever"),
                },
            }
            // The earliest attempt ending now ends.
            let (_, i) = next_end.unwrap();
            ends[i] = None;
            if fates[i].unwrap().1 {
                for c in plan.succeeded(i) {
                    ends[c] = None;
                    cancelled.push(c);
                }
            } else {
                plan.failed(i, [i]);
            }
        }
        panic!("did not finish");
    }

    #[test]
    fn interleave_follows_asyncios_examples() {
        let a = addrs(&["1.0.0.1:1", "1.0.0.2:1", "[::1]:1", "[::2]:1"]);
        assert_eq!(interleave(a.clone(), 0), a);
        assert_eq!(interleave(a.clone(), 1), vec![a[0], a[2], a[1], a[3]]);
        assert_eq!(interleave(a.clone(), 2), vec![a[0], a[1], a[2], a[3]]);
        assert_eq!(interleave(a.clone(), 9), a);
        // The first family is the first to appear, not IPv6 by rule.
        let b = addrs(&["[::1]:1", "[::2]:1", "[::3]:1", "1.0.0.1:1"]);
        assert_eq!(interleave(b.clone(), 1), vec![b[0], b[3], b[1], b[2]]);
        assert_eq!(interleave(Vec::new(), 1), Vec::<SocketAddr>::new());
    }

    #[test]
    fn a_delay_implies_interleave_1_and_zero_disables_it() {
        let a = addrs(&["1.0.0.1:1", "1.0.0.2:1", "[::1]:1"]);
        let p: ConnectPlan<()> = ConnectPlan::new(a.clone(), Some(ms(250)), Interleave::Default);
        assert_eq!(p.addrs(), &[a[0], a[2], a[1]]);
        let p: ConnectPlan<()> = ConnectPlan::new(a.clone(), Some(ms(250)), Interleave::By(0));
        assert_eq!(p.addrs(), &a[..]);
        let p: ConnectPlan<()> = ConnectPlan::new(a.clone(), None, Interleave::Default);
        assert_eq!(p.addrs(), &a[..]);
        let p: ConnectPlan<()> = ConnectPlan::new(a.clone(), None, Interleave::By(1));
        assert_eq!(p.addrs(), &[a[0], a[2], a[1]]);
    }

    #[test]
    fn spec_example_slow_first_attempt() {
        // Delay 100 ms; the first attempt hangs 350 ms then fails, the
        // others fail at once: starts at 0, 100, 100, 100.
        let a = addrs(&["1.0.0.1:1", "1.0.0.2:1", "1.0.0.3:1", "1.0.0.4:1"]);
        let mut p = ConnectPlan::new(a, Some(ms(100)), Interleave::By(0));
        let fates = [
            Some((350, false)),
            Some((0, false)),
            Some((0, false)),
            Some((0, false)),
        ];
        let (starts, cancelled, end) = simulate(&mut p, &fates);
        assert_eq!(starts, vec![0, 100, 100, 100]);
        assert!(cancelled.is_empty());
        assert_eq!(end, Decision::AllFailed);
        // Errors in start order, not in the order the attempts ended.
        assert_eq!(p.into_errors(), vec![0, 1, 2, 3]);
    }

    #[test]
    fn black_holed_first_address_wins_within_one_delay() {
        let a = addrs(&["[::1]:1", "127.0.0.1:1"]);
        let mut p = ConnectPlan::new(a, Some(ms(250)), Interleave::Default);
        let (starts, cancelled, end) = simulate(&mut p, &[None, Some((1, true))]);
        assert_eq!(starts, vec![0, 250]);
        assert_eq!(cancelled, vec![0]);
        assert_eq!(end, Decision::Won { attempt: 1 });
    }

    #[test]
    fn without_a_delay_attempts_are_sequential() {
        let a = addrs(&["1.0.0.1:1", "1.0.0.2:1", "1.0.0.3:1"]);
        let mut p = ConnectPlan::new(a, None, Interleave::Default);
        let fates = [Some((5000, false)), Some((10, false)), Some((1, true))];
        let (starts, cancelled, end) = simulate(&mut p, &fates);
        assert_eq!(starts, vec![0, 5000, 5010]);
        assert!(cancelled.is_empty());
        assert_eq!(end, Decision::Won { attempt: 2 });
    }

    #[test]
    fn only_the_previous_attempts_failure_starts_the_next() {
        // Attempt 0 fails fast, but attempt 1 is still running: attempt 2
        // waits for attempt 1's delay, not for attempt 0.
        let a = addrs(&["1.0.0.1:1", "1.0.0.2:1", "1.0.0.3:1"]);
        let mut p = ConnectPlan::new(a, Some(ms(100)), Interleave::By(0));
        let fates = [Some((150, false)), Some((1000, false)), Some((1, true))];
        let (starts, cancelled, end) = simulate(&mut p, &fates);
        assert_eq!(starts, vec![0, 100, 200]);
        assert_eq!(cancelled, vec![1]);
        assert_eq!(end, Decision::Won { attempt: 2 });
    }

    #[test]
    fn nothing_starts_after_a_win_and_late_winners_are_closed() {
        let a = addrs(&["1.0.0.1:1", "1.0.0.2:1", "1.0.0.3:1"]);
        let mut p: ConnectPlan<()> = ConnectPlan::new(a, Some(ms(10)), Interleave::By(0));
        assert!(matches!(p.poll(ms(0)), Decision::Start { attempt: 0, .. }));
        assert!(matches!(p.poll(ms(10)), Decision::Start { attempt: 1, .. }));
        assert_eq!(p.succeeded(0), vec![1]);
        assert_eq!(p.poll(ms(1000)), Decision::Won { attempt: 0 });
        // Attempt 1 connected before its cancellation landed: close it.
        assert_eq!(p.succeeded(1), vec![1]);
        p.failed(1, [()]);
        assert_eq!(p.poll(ms(2000)), Decision::Won { attempt: 0 });
        assert!(p.into_errors().is_empty());
    }

    #[test]
    fn a_zero_delay_starts_every_attempt_at_once() {
        let a = addrs(&["1.0.0.1:1", "1.0.0.2:1", "1.0.0.3:1"]);
        let mut p = ConnectPlan::new(a, Some(ms(0)), Interleave::By(0));
        let fates = [Some((30, false)), Some((20, true)), Some((10, false))];
        let (starts, cancelled, end) = simulate(&mut p, &fates);
        assert_eq!(starts, vec![0, 0, 0]);
        // Attempt 2 failed first; attempt 1 won and cancelled attempt 0.
        assert_eq!(cancelled, vec![0]);
        assert_eq!(end, Decision::Won { attempt: 1 });
    }

    #[test]
    fn the_delay_counts_from_the_latest_start() {
        // Attempt 0 fails at 30: attempt 1 starts then, and attempt 2 a
        // full delay after that (130), not 100 after attempt 0 (200).
        let a = addrs(&["1.0.0.1:1", "1.0.0.2:1", "1.0.0.3:1", "1.0.0.4:1"]);
        let mut p = ConnectPlan::new(a, Some(ms(100)), Interleave::By(0));
        let fates = [Some((30, false)), None, Some((500, false)), Some((5, true))];
        let (starts, cancelled, end) = simulate(&mut p, &fates);
        assert_eq!(starts, vec![0, 30, 130, 230]);
        // The winner cancels every attempt still running, in start order.
        assert_eq!(cancelled, vec![1, 2]);
        assert_eq!(end, Decision::Won { attempt: 3 });
    }

    #[test]
    fn waits_are_exact_on_a_virtual_clock() {
        let a = addrs(&["[::1]:1", "[::2]:1", "1.0.0.1:1"]);
        let mut p: ConnectPlan<&str> =
            ConnectPlan::new(a.clone(), Some(ms(250)), Interleave::Default);
        // Interleave 1: ::1, 1.0.0.1, ::2.
        assert_eq!(p.addrs(), &[a[0], a[2], a[1]]);
        assert_eq!(
            p.poll(ms(0)),
            Decision::Start {
                attempt: 0,
                addr: a[0]
            }
        );
        assert_eq!(p.poll(ms(0)), Decision::WaitUntil(ms(250)));
        // An early wake-up changes nothing.
        assert_eq!(p.poll(ms(249)), Decision::WaitUntil(ms(250)));
        assert_eq!(
            p.poll(ms(250)),
            Decision::Start {
                attempt: 1,
                addr: a[2]
            }
        );
        assert_eq!(p.poll(ms(250)), Decision::WaitUntil(ms(500)));
        // Attempt 0 (older) fails: nothing starts early.
        p.failed(0, ["v6 one"]);
        assert_eq!(p.poll(ms(300)), Decision::WaitUntil(ms(500)));
        // Attempt 1 fails: the last one starts at once.
        p.failed(1, ["v4"]);
        assert_eq!(
            p.poll(ms(310)),
            Decision::Start {
                attempt: 2,
                addr: a[1]
            }
        );
        assert_eq!(p.poll(ms(310)), Decision::WaitForAttempts);
        // Reports for attempts that are not running are ignored.
        p.failed(0, ["again"]);
        p.failed(7, ["unknown"]);
        p.failed(2, ["v6 two"]);
        assert_eq!(p.poll(ms(320)), Decision::AllFailed);
        assert_eq!(p.into_errors(), vec!["v6 one", "v4", "v6 two"]);
    }

    #[test]
    fn every_error_of_every_attempt_in_start_order() {
        // asyncio's per-attempt lists (failed binds, then the connect),
        // flattened in start order although attempt 1 ended first.
        let a = addrs(&["1.0.0.1:1", "1.0.0.2:1"]);
        let mut p = ConnectPlan::new(a, Some(ms(10)), Interleave::By(0));
        assert!(matches!(p.poll(ms(0)), Decision::Start { attempt: 0, .. }));
        assert!(matches!(p.poll(ms(10)), Decision::Start { attempt: 1, .. }));
        p.failed(1, ["bind 1a", "bind 1b"]);
        assert_eq!(p.poll(ms(11)), Decision::WaitForAttempts);
        p.failed(0, ["bind 0", "connect 0"]);
        assert_eq!(p.poll(ms(12)), Decision::AllFailed);
        assert_eq!(
            p.into_errors(),
            vec!["bind 0", "connect 0", "bind 1a", "bind 1b"]
        );
    }

    #[test]
    fn sequential_with_interleave_still_reorders() {
        let a = addrs(&["1.0.0.1:1", "1.0.0.2:1", "[::1]:1", "[::2]:1"]);
        let mut p = ConnectPlan::new(a.clone(), None, Interleave::By(1));
        let mut order = Vec::new();
        for i in 0..4 {
            match p.poll(ms(i)) {
                Decision::Start { addr, .. } => order.push(addr),
                other => panic!("{other:?}"),
            }
            // No delay: nothing more until this attempt fails.
            assert_eq!(p.poll(ms(i + 1000)), Decision::WaitForAttempts);
            p.failed(i as usize, [i]);
        }
        assert_eq!(order, vec![a[0], a[2], a[1], a[3]]);
        assert_eq!(p.poll(ms(5000)), Decision::AllFailed);
        assert_eq!(p.into_errors(), vec![0, 1, 2, 3]);
    }

    #[test]
    fn no_addresses_fail_at_once() {
        let mut p: ConnectPlan<()> = ConnectPlan::new(Vec::new(), Some(ms(1)), Interleave::Default);
        assert_eq!(p.poll(ms(0)), Decision::AllFailed);
        assert!(p.into_errors().is_empty());
    }

    #[test]
    fn local_addresses_of_the_same_family() {
        let local = addrs(&["127.0.0.2:0", "[::1]:0", "127.0.0.3:0"]);
        let v4: SocketAddr = "127.0.0.1:80".parse().unwrap();
        assert_eq!(
            matching_local_addrs(&local, &v4).unwrap(),
            vec![local[0], local[2]]
        );
        let only_v4 = &local[..1];
        let v6: SocketAddr = "[::1]:80".parse().unwrap();
        let err = matching_local_addrs(only_v4, &v6).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no matching local address with family=<AddressFamily.AF_INET6: 10> found"
        );
        assert!(matching_local_addrs(&[], &v6).unwrap().is_empty());
    }
}
