//! How many questions a scan keeps outstanding at its resolvers: a congestion window in
//! the spirit of TCP's (RFC 5681), which grows while answers come back and halves when
//! the resolver shows distress, under the `--dns-in-flight` ceiling; and the RFC 6298
//! estimate of the time after which an unanswered question is presumed lost.
//!
//! The rule, in full:
//! - The window starts at [`INITIAL_WINDOW`] (or the ceiling, if lower). Each answer
//!   (any response: records, NXDOMAIN, NODATA, an error code) grows it by one question
//!   while it is below the slow-start threshold, and by one question per window's worth
//!   of answers above it (RFC 5681 §3.1), never past the ceiling.
//! - Distress is a try that timed out, or was answered SERVFAIL or REFUSED, although
//!   it was *expected to be answered*: its name lies under a domain whose name servers
//!   have answered in this scan. Each such event halves the window (never below
//!   [`FLOOR`]) and sets the threshold there, once per episode: a try sent before the
//!   last decrease does not decrease it again (the recovery of RFC 6582 §3.2). A try
//!   nothing was known about (the first question of a domain, a name outside any scanned
//!   domain) is not a signal: a share of every real list is delegated to name servers
//!   that never answer, and counting those timeouts as congestion would hold the window
//!   near its floor for the whole scan.
//! - The round-trip time of answered tries feeds SRTT and RTTVAR (RFC 6298 §2); a try
//!   unanswered for RTO = SRTT + 4·RTTVAR (at least [`MIN_RTO`], at most the per-try
//!   timeout; 1 s before the first sample, §2.1) is presumed lost. It stops counting
//!   against the window, though it is still waited for until the per-try timeout: only
//!   that fixed timeout ends a try, so the adaptive estimate never turns a slow answer
//!   into a temporary failure.
//! - The first try of a question waits the full per-try timeout (`--timeout`); a retry
//!   waits twice the RTO for each try before it (the back-off of RFC 6298 §5.5), at least
//!   [`MIN_RETRY_TIMEOUT`] (§2.4's floor) and at most the per-try timeout. A resolver
//!   keeps working on a question after a try of it times out, and answers every copy of
//!   it asked meanwhile, so a retry only has to outlast a lost datagram and the rest of
//!   that work; waiting the full timeout again made a silent domain cost twice the
//!   timeout. The price: a question the resolver answers only after the first try's
//!   timeout plus the retries' waits is a temporary failure.

use std::time::{Duration, Instant};

/// Questions outstanding before the first answer has come back.
pub(crate) const INITIAL_WINDOW: usize = 64;
/// The window is never halved below this many questions.
pub(crate) const FLOOR: usize = 8;
/// The shortest time a try is waited for before it is presumed lost: about one round
/// trip from a resolver to authoritative servers (unbound's `jostle-timeout` default).
pub(crate) const MIN_RTO: Duration = Duration::from_millis(200);
/// The shortest wait of a retry (RFC 6298 §2.4's floor on the RTO).
pub(crate) const MIN_RETRY_TIMEOUT: Duration = Duration::from_secs(1);
/// RFC 6298 §2.1: the RTO before any round trip has been measured.
const INITIAL_RTO: Duration = Duration::from_secs(1);

/// The state of the rule above; pure, every instant given by the caller.
#[derive(Debug, Clone)]
pub(crate) struct Pacing {
    ceiling: usize,
    window: f64,
    threshold: f64,
    /// SRTT and RTTVAR, in seconds, once measured.
    srtt: Option<(f64, f64)>,
    /// The per-try timeout (`--timeout`), which also caps the RTO.
    timeout: Duration,
    /// When the window last shrank: tries sent before it do not shrink it again.
    last_decrease: Option<Instant>,
    decreases: u64,
    smallest: usize,
}

impl Pacing {
    /// A window under `ceiling` questions, for tries that end after `timeout`.
    pub(crate) fn new(ceiling: usize, timeout: Duration) -> Self {
        let ceiling = ceiling.max(1);
        Self {
            ceiling,
            window: INITIAL_WINDOW.min(ceiling) as f64,
            threshold: ceiling as f64,
            srtt: None,
            timeout,
            last_decrease: None,
            decreases: 0,
            smallest: INITIAL_WINDOW.min(ceiling),
        }
    }

    /// Questions that may be outstanding now.
    pub(crate) fn window(&self) -> usize {
        // Truncation is the point: a window of 7.9 admits 7.
        (self.window as usize).clamp(1, self.ceiling)
    }

    /// The smallest the window has been.
    pub(crate) fn smallest(&self) -> usize {
        self.smallest
    }

    /// Times the window was halved.
    pub(crate) fn decreases(&self) -> u64 {
        self.decreases
    }

    /// A try was answered after `rtt`.
    pub(crate) fn answered(&mut self, rtt: Duration) {
        let r = rtt.as_secs_f64();
        // RFC 6298 §2.2 and §2.3, with alpha = 1/8 and beta = 1/4.
        self.srtt = Some(match self.srtt {
            None => (r, r / 2.0),
            Some((srtt, rttvar)) => {
                let rttvar = 0.75 * rttvar + 0.25 * (srtt - r).abs();
                (0.875 * srtt + 0.125 * r, rttvar)
            }
        });
        let ceiling = self.ceiling as f64;
        if self.window < self.threshold {
            self.window += 1.0;
        } else {
            self.window += 1.0 / self.window;
        }
        self.window = self.window.min(ceiling);
    }

    /// A try sent at `sent` that was expected to be answered timed out or was refused
    /// service (SERVFAIL, REFUSED) at `now`.
    pub(crate) fn distress(&mut self, sent: Instant, now: Instant) {
        if self.last_decrease.is_some_and(|at| sent < at) {
            return;
        }
        let halved = (self.window / 2.0).max(FLOOR.min(self.ceiling) as f64);
        self.window = halved;
        self.threshold = halved;
        self.last_decrease = Some(now);
        self.decreases += 1;
        self.smallest = self.smallest.min(self.window());
    }

    /// How long try `retry` (0 for the first) of a question waits for its answer.
    pub(crate) fn try_timeout(&self, retry: usize) -> Duration {
        if retry == 0 {
            return self.timeout;
        }
        let backoff = 2u32.saturating_pow(u32::try_from(retry).unwrap_or(u32::MAX));
        self.rto()
            .saturating_mul(backoff)
            .max(MIN_RETRY_TIMEOUT)
            .min(self.timeout)
    }

    /// How long a try goes unanswered before it is presumed lost.
    pub(crate) fn rto(&self) -> Duration {
        let rto = match self.srtt {
            None => INITIAL_RTO,
            Some((srtt, rttvar)) => Duration::from_secs_f64(srtt + 4.0 * rttvar),
        };
        rto.clamp(MIN_RTO, self.timeout.max(MIN_RTO))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// Answers `n` tries, each after `rtt`.
    fn answer(p: &mut Pacing, n: usize, rtt: Duration) {
        for _ in 0..n {
            p.answered(rtt);
        }
    }

    #[test]
    fn slow_start_reaches_the_ceiling_and_stays_under_it() {
        let mut p = Pacing::new(768, 5_000 * MS);
        assert_eq!(p.window(), INITIAL_WINDOW);
        answer(&mut p, 100, 10 * MS);
        assert_eq!(p.window(), INITIAL_WINDOW + 100, "one more per answer");
        answer(&mut p, 10_000, 10 * MS);
        assert_eq!(p.window(), 768);
        // A ceiling under the initial window is the window from the start.
        assert_eq!(Pacing::new(16, 5_000 * MS).window(), 16);
    }

    #[test]
    fn distress_halves_once_per_episode_and_the_window_recovers() {
        let t0 = Instant::now();
        let mut p = Pacing::new(768, 5_000 * MS);
        answer(&mut p, 10_000, 10 * MS);
        assert_eq!(p.window(), 768);

        // Three tries sent at t0 time out together: one decrease, not three.
        let now = t0 + 5_000 * MS;
        for _ in 0..3 {
            p.distress(t0, now);
        }
        assert_eq!((p.window(), p.decreases()), (384, 1));

        // A try sent after that decrease and lost too: the resolver still struggles.
        p.distress(now + MS, now + 5_001 * MS);
        assert_eq!((p.window(), p.decreases()), (192, 2));

        // Above the threshold, growth is about one question per window's worth of
        // answers (each adds 1/window, and the window grows meanwhile).
        answer(&mut p, 190, 10 * MS);
        assert_eq!(p.window(), 192);
        answer(&mut p, 10, 10 * MS);
        assert_eq!(p.window(), 193);
        // And back to the ceiling, in bounded steps.
        let mut answers = 0;
        while p.window() < 768 && answers < 1_000_000 {
            p.answered(10 * MS);
            answers += 1;
        }
        assert_eq!(p.window(), 768, "recovered after {answers} answers");
    }

    #[test]
    fn the_window_never_drops_below_the_floor() {
        let t0 = Instant::now();
        let mut p = Pacing::new(768, 5_000 * MS);
        for i in 0..50 {
            let sent = t0 + i * 10 * MS;
            p.distress(sent, sent + 5 * MS);
        }
        assert_eq!(p.window(), FLOOR);
        assert_eq!(p.decreases(), 50);
        // A ceiling under the floor is kept.
        let mut tiny = Pacing::new(2, 5_000 * MS);
        tiny.distress(t0, t0);
        assert_eq!(tiny.window(), 2);
    }

    #[test]
    fn retries_wait_less_than_the_first_try_and_back_off() {
        let mut p = Pacing::new(768, 5_000 * MS);
        answer(&mut p, 50, 10 * MS);
        assert_eq!(p.rto(), MIN_RTO);
        assert_eq!(
            p.try_timeout(0),
            5_000 * MS,
            "the first try waits --timeout"
        );
        assert_eq!(p.try_timeout(1), MIN_RETRY_TIMEOUT, "2 × 200 ms, floored");
        assert_eq!(p.try_timeout(3), 1_600 * MS, "8 × 200 ms");
        assert_eq!(p.try_timeout(10), 5_000 * MS, "never past --timeout");
        // A --timeout under the floors is kept.
        assert_eq!(Pacing::new(8, 400 * MS).try_timeout(1), 400 * MS);
        assert_eq!(Pacing::new(8, 100 * MS).try_timeout(0), 100 * MS);
    }

    #[test]
    fn the_rto_follows_measured_round_trips_within_its_bounds() {
        let mut p = Pacing::new(768, 5_000 * MS);
        assert_eq!(p.rto(), INITIAL_RTO, "RFC 6298 §2.1 before any sample");
        // Steady 10 ms answers: SRTT near 10 ms, RTTVAR shrinking; the floor holds.
        answer(&mut p, 50, 10 * MS);
        assert_eq!(p.rto(), MIN_RTO);
        // A resolver that slows to 400 ms: the RTO rises past it.
        answer(&mut p, 50, 400 * MS);
        assert!(p.rto() >= 400 * MS, "{:?}", p.rto());
        // Answers far slower than the per-try timeout: capped at it.
        answer(&mut p, 50, 60_000 * MS);
        assert_eq!(p.rto(), 5_000 * MS);
        // First sample: SRTT = R, RTTVAR = R/2, RTO = 3R (RFC 6298 §2.2).
        let mut fresh = Pacing::new(768, 5_000 * MS);
        fresh.answered(300 * MS);
        assert_eq!(fresh.rto(), 900 * MS);
    }
}
