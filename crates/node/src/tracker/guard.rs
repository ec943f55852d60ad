//! The public tracker's limits, in memory: a token bucket per source
//! address and per case number, and the lock of a case number after
//! failures in a row.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::PublicConfig;

/// Keys (case numbers, addresses) remembered before stale ones are
/// dropped (a bound on memory under a flood of made-up numbers).
const MAX_REMEMBERED: usize = 100_000;
/// Stale keys are swept at most this often, so that a flood does not make
/// every request scan the maps.
const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// Failures of one case number.
#[derive(Debug, Clone, Copy)]
struct Failures {
    in_a_row: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

/// Why a lookup may not go ahead now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// The source asked too often: retry after this long.
    Source(Duration),
    /// The case number was asked too often: retry after this long.
    Case(Duration),
}

/// The limits of one public listener.
#[derive(Debug)]
pub struct Guard {
    per_source: DefaultKeyedRateLimiter<IpAddr>,
    per_case: DefaultKeyedRateLimiter<String>,
    failures: Mutex<HashMap<String, Failures>>,
    /// When the buckets were last swept.
    swept: Mutex<Instant>,
    lock_after: u32,
    lock_for: Duration,
}

fn quota(per_minute: u32) -> Quota {
    let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(n).allow_burst(n)
}

impl Guard {
    pub fn new(config: &PublicConfig) -> Guard {
        Guard {
            per_source: RateLimiter::keyed(quota(config.per_source_per_minute)),
            per_case: RateLimiter::keyed(quota(config.per_case_per_minute)),
            failures: Mutex::new(HashMap::new()),
            swept: Mutex::new(Instant::now()),
            lock_after: config.lock_after.max(1),
            lock_for: config.lock_for,
        }
    }

    /// Takes a token of `source` and of `case`, or says when to retry.
    pub fn admit(&self, source: IpAddr, case: &str) -> Result<(), Busy> {
        let now = DefaultClock::default().now();
        self.per_source.check_key(&source).map_err(|until| Busy::Source(until.wait_time_from(now)))?;
        self.per_case.check_key(&case.to_owned()).map_err(|until| Busy::Case(until.wait_time_from(now)))?;
        if (self.per_case.len() > MAX_REMEMBERED || self.per_source.len() > MAX_REMEMBERED)
            && self.sweep_due()
        {
            self.per_case.retain_recent();
            self.per_source.retain_recent();
        }
        Ok(())
    }

    /// Whether a sweep is due now (and, if so, that it is taken).
    fn sweep_due(&self) -> bool {
        let now = Instant::now();
        let mut swept = self.swept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if now.duration_since(*swept) < SWEEP_EVERY {
            return false;
        }
        *swept = now;
        true
    }

    /// Whether `case`'s lookups are locked now.
    pub fn locked(&self, case: &str) -> bool {
        let now = Instant::now();
        let failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        failures.get(case).and_then(|f| f.locked_until).is_some_and(|until| until > now)
    }

    /// A wrong pair for `case`: one more failure in a row; at the limit the
    /// case number is locked (and the count starts again).
    pub fn failed(&self, case: &str) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if failures.len() >= MAX_REMEMBERED && !failures.contains_key(case) {
            if self.sweep_due() {
                let lock_for = self.lock_for;
                failures.retain(|_, f| {
                    f.locked_until.is_some_and(|until| until > now) || now.duration_since(f.last) < lock_for
                });
            }
            if failures.len() >= MAX_REMEMBERED {
                // Full of recent failures (a flood): this one is not
                // counted; the buckets still bound how fast it can guess.
                return;
            }
        }
        let entry = failures.entry(case.to_owned()).or_insert(Failures {
            in_a_row: 0,
            last: now,
            locked_until: None,
        });
        if entry.locked_until.is_some_and(|until| until <= now) {
            entry.locked_until = None;
        }
        entry.in_a_row += 1;
        entry.last = now;
        if entry.in_a_row >= self.lock_after {
            entry.in_a_row = 0;
            entry.locked_until = Some(now + self.lock_for);
        }
    }

    /// A right pair for an unlocked `case`: its failures are forgotten.
    pub fn succeeded(&self, case: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        failures.remove(case);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> PublicConfig {
        PublicConfig {
            per_source_per_minute: 3,
            per_case_per_minute: 100,
            lock_after: 2,
            lock_for: Duration::from_secs(60),
            ..PublicConfig::default()
        }
    }

    #[test]
    fn a_source_over_its_bucket_waits_and_others_do_not() {
        let guard = Guard::new(&config());
        let one: IpAddr = "192.0.2.1".parse().unwrap();
        let two: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            guard.admit(one, "C-1").unwrap();
        }
        assert!(matches!(guard.admit(one, "C-1"), Err(Busy::Source(wait)) if wait > Duration::ZERO));
        guard.admit(two, "C-1").unwrap();
    }

    #[test]
    fn failures_in_a_row_lock_and_a_success_forgets_them() {
        let guard = Guard::new(&config());
        guard.failed("C-1");
        guard.succeeded("C-1");
        guard.failed("C-1");
        assert!(!guard.locked("C-1"), "one failure after a success");
        guard.failed("C-1");
        assert!(guard.locked("C-1"));
        assert!(!guard.locked("C-2"));
    }
}
