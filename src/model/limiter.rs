//! The provider's rate limiter: token buckets kept in exact integer units.
//!
//! A bucket has a capacity `B` (tokens), a refill rate `r` (tokens per
//! minute, continuous) and starts full. An attempt of cost `c` is admitted
//! iff the level is at least `c`; then the level drops by `c`. This is the
//! admit/deny rule of GCRA with emission interval `1/r` and burst `B`.
//!
//! Levels are counted in units of 1/(6·10^13) token, so that refilling for
//! `n` nanoseconds adds exactly `n × (rate in milli-tokens per minute)`
//! units: no floating point, no drift over long runs, and an attempt that
//! arrives exactly when the bucket has refilled to its cost is admitted.

use crate::time::{SimDuration, SimTime};

/// Units per token: 60 s × 10^9 ns/s × 1000 (milli-tokens per minute).
const UNITS_PER_TOKEN: u128 = 60_000_000_000_000;

/// A continuously refilling token bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenBucket {
    /// Capacity in units.
    capacity: u128,
    /// Refill in units per nanosecond (= milli-tokens per minute).
    rate: u128,
    /// Level in units at time `last`.
    level: u128,
    last: SimTime,
}

impl TokenBucket {
    /// A full bucket holding `burst` tokens that refills at `per_minute`
    /// tokens per minute. The rate is kept to 0.001 token per minute.
    ///
    /// ```
    /// use backsim::model::limiter::TokenBucket;
    /// let mut b = TokenBucket::new(6000.0, 2); // 100 per second, burst 2
    /// assert_eq!(b.try_take(0, 1), Ok(()));
    /// assert_eq!(b.try_take(0, 1), Ok(()));
    /// assert_eq!(b.try_take(0, 1), Err(Some(10_000_000))); // 10 ms to refill one
    /// assert_eq!(b.try_take(10_000_000, 1), Ok(()));
    /// ```
    pub fn new(per_minute: f64, burst: u64) -> TokenBucket {
        let capacity = u128::from(burst) * UNITS_PER_TOKEN;
        TokenBucket {
            capacity,
            rate: Self::rate_units(per_minute),
            level: capacity,
            last: 0,
        }
    }

    /// The refill rate in units per nanosecond for a per-minute rate.
    fn rate_units(per_minute: f64) -> u128 {
        (per_minute * 1000.0).round().max(0.0) as u128
    }

    fn level_at(&self, now: SimTime) -> u128 {
        let elapsed = u128::from(now.saturating_sub(self.last));
        // Saturating: after a long idle stretch the product can exceed any
        // capacity by far; the bucket is simply full.
        self.level
            .saturating_add(elapsed.saturating_mul(self.rate))
            .min(self.capacity)
    }

    fn refill(&mut self, now: SimTime) {
        if now > self.last {
            self.level = self.level_at(now);
            self.last = now;
        }
    }

    /// The level in tokens at `now`, without changing the bucket.
    pub fn level_tokens(&self, now: SimTime) -> f64 {
        self.level_at(now) as f64 / UNITS_PER_TOKEN as f64
    }

    /// How long after `now` the bucket will hold `cost` tokens: `Some(0)` if
    /// it does now, `None` if never (the cost exceeds the capacity or the
    /// rate is zero).
    pub fn wait_for(&mut self, now: SimTime, cost: u64) -> Option<SimDuration> {
        self.refill(now);
        let need = u128::from(cost) * UNITS_PER_TOKEN;
        if self.level >= need {
            return Some(0);
        }
        if need > self.capacity || self.rate == 0 {
            return None;
        }
        let missing = need - self.level;
        Some(missing.div_ceil(self.rate).min(u128::from(u64::MAX)) as u64)
    }

    /// Removes `cost` tokens; the caller has checked with [`wait_for`]
    /// (at the same `now`) that they are there.
    ///
    /// [`wait_for`]: TokenBucket::wait_for
    pub fn take(&mut self, now: SimTime, cost: u64) {
        self.refill(now);
        let need = u128::from(cost) * UNITS_PER_TOKEN;
        debug_assert!(self.level >= need, "take without enough tokens");
        self.level = self.level.saturating_sub(need);
    }

    /// Admits `cost` tokens if they are there; otherwise returns how long
    /// until they would be (`None`: never).
    pub fn try_take(&mut self, now: SimTime, cost: u64) -> Result<(), Option<SimDuration>> {
        match self.wait_for(now, cost) {
            Some(0) => {
                self.take(now, cost);
                Ok(())
            }
            wait => Err(wait),
        }
    }
}

/// How the limiter fills in `Retry-After` on a 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfterMode {
    /// No header.
    None,
    /// The exact time until the attempt could be admitted.
    Exact,
    /// That time in whole seconds, rounded up (as the HTTP header carries it).
    Seconds,
}

impl RetryAfterMode {
    /// Names as written in scenario files.
    pub const NAMES: [&'static str; 3] = ["none", "exact", "seconds"];

    /// Parses a scenario-file name.
    pub fn from_name(name: &str) -> Option<RetryAfterMode> {
        match name {
            "none" => Some(RetryAfterMode::None),
            "exact" => Some(RetryAfterMode::Exact),
            "seconds" => Some(RetryAfterMode::Seconds),
            _ => None,
        }
    }

    /// The scenario-file name.
    pub fn name(self) -> &'static str {
        match self {
            RetryAfterMode::None => "none",
            RetryAfterMode::Exact => "exact",
            RetryAfterMode::Seconds => "seconds",
        }
    }

    /// The header value for a wait of `wait` (None: the bucket can never admit).
    pub fn header(self, wait: Option<SimDuration>) -> Option<SimDuration> {
        let wait = wait?;
        match self {
            RetryAfterMode::None => None,
            RetryAfterMode::Exact => Some(wait),
            RetryAfterMode::Seconds => {
                let s = crate::time::NANOS_PER_SEC;
                Some(wait.div_ceil(s).saturating_mul(s))
            }
        }
    }
}

/// The limiter's answer to one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Passed every bucket; the tokens are taken.
    Admitted,
    /// 429, with the `Retry-After` value if the limiter sends one.
    Rejected { retry_after: Option<SimDuration> },
}

/// All buckets in front of the server. An attempt must pass every bucket;
/// a rejected attempt takes nothing from any of them.
#[derive(Debug, Clone)]
pub struct Limiter {
    /// Requests per minute: cost 1 per attempt.
    pub requests: Option<TokenBucket>,
    /// Tokens per minute: cost input tokens + max_tokens per attempt.
    pub tokens: Option<TokenBucket>,
    /// What 429s say about when to come back.
    pub retry_after: RetryAfterMode,
}

impl Limiter {
    /// Decides on an attempt arriving at `now` that would consume
    /// `token_cost` tokens from the tokens bucket.
    pub fn admit(&mut self, now: SimTime, token_cost: u64) -> Admission {
        let mut wait: Option<SimDuration> = Some(0);
        for (bucket, cost) in [(&mut self.requests, 1), (&mut self.tokens, token_cost)] {
            if let Some(b) = bucket {
                // The attempt passes when every bucket has refilled: the
                // longest of the waits (never, if any is never).
                wait = match (wait, b.wait_for(now, cost)) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
        }
        if wait == Some(0) {
            if let Some(b) = &mut self.requests {
                b.take(now, 1);
            }
            if let Some(b) = &mut self.tokens {
                b.take(now, token_cost);
            }
            Admission::Admitted
        } else {
            Admission::Rejected {
                retry_after: self.retry_after.header(wait),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::NANOS_PER_SEC;
    use rand::{RngExt, SeedableRng};
    use rand_pcg::Pcg64;

    #[test]
    fn starts_full_and_refills_exactly() {
        // The reference case: capacity 50, 100 per second.
        let mut b = TokenBucket::new(6000.0, 50);
        let admitted = (0..1000).filter(|_| b.try_take(0, 1).is_ok()).count();
        assert_eq!(admitted, 50);
        // One second later it has refilled 100 but holds at most 50.
        let admitted = (0..1000)
            .filter(|_| b.try_take(NANOS_PER_SEC, 1).is_ok())
            .count();
        assert_eq!(admitted, 50);
        // 10 ms later exactly one more token.
        assert_eq!(b.try_take(NANOS_PER_SEC + 9_999_999, 1), Err(Some(1)));
        assert_eq!(b.try_take(NANOS_PER_SEC + 10_000_000, 1), Ok(()));
    }

    #[test]
    fn fractional_rates_do_not_drift() {
        // 7 per minute: one token every 8.571428571... s. After exactly one
        // minute from empty, exactly 7 tokens.
        let mut b = TokenBucket::new(7.0, 7);
        for _ in 0..7 {
            b.try_take(0, 1).unwrap();
        }
        assert!(b.try_take(60 * NANOS_PER_SEC - 1, 7).is_err());
        assert_eq!(b.try_take(60 * NANOS_PER_SEC, 7), Ok(()));
    }

    #[test]
    fn impossible_costs_never_pass() {
        let mut b = TokenBucket::new(60.0, 10);
        assert_eq!(b.try_take(0, 11), Err(None));
        let mut zero = TokenBucket::new(0.0, 1);
        zero.try_take(0, 1).unwrap();
        assert_eq!(zero.try_take(NANOS_PER_SEC, 1), Err(None));
    }

    #[test]
    fn retry_after_rounding() {
        let ms = 1_000_000;
        assert_eq!(RetryAfterMode::Exact.header(Some(250 * ms)), Some(250 * ms));
        assert_eq!(
            RetryAfterMode::Seconds.header(Some(250 * ms)),
            Some(NANOS_PER_SEC)
        );
        assert_eq!(
            RetryAfterMode::Seconds.header(Some(NANOS_PER_SEC)),
            Some(NANOS_PER_SEC)
        );
        assert_eq!(
            RetryAfterMode::Seconds.header(Some(NANOS_PER_SEC + 1)),
            Some(2 * NANOS_PER_SEC)
        );
        assert_eq!(RetryAfterMode::None.header(Some(5)), None);
        assert_eq!(RetryAfterMode::Exact.header(None), None);
    }

    #[test]
    fn retry_after_is_when_the_attempt_would_pass() {
        let mut b = TokenBucket::new(6000.0, 1);
        b.try_take(0, 1).unwrap();
        let t = 3_000_000;
        let wait = b.try_take(t, 1).unwrap_err().unwrap();
        assert_eq!(wait, 7_000_000);
        assert!(b.try_take(t + wait - 1, 1).is_err());
        assert_eq!(b.try_take(t + wait, 1), Ok(()));
    }

    #[test]
    fn limiter_needs_every_bucket_and_charges_none_on_rejection() {
        let mut l = Limiter {
            requests: Some(TokenBucket::new(60.0, 10)),
            tokens: Some(TokenBucket::new(6000.0, 1000)),
            retry_after: RetryAfterMode::Exact,
        };
        assert_eq!(l.admit(0, 600), Admission::Admitted);
        // The request bucket has 9 left but the token bucket only 400:
        // 200 tokens missing at 100 per second is 2 s.
        assert_eq!(
            l.admit(0, 600),
            Admission::Rejected {
                retry_after: Some(2 * NANOS_PER_SEC)
            }
        );
        assert_eq!(l.requests.as_ref().unwrap().level_tokens(0), 9.0);
        assert_eq!(l.tokens.as_ref().unwrap().level_tokens(0), 400.0);
    }

    /// Over any interval [s, t] a bucket admits at most burst + rate·(t − s)
    /// attempts: checked over every pair of admissions in random traffic.
    #[test]
    fn never_admits_more_than_burst_plus_rate_times_t() {
        let mut rng = Pcg64::seed_from_u64(9);
        for (per_minute, burst) in [(6000.0, 50u64), (90.0, 3), (1.5, 1), (123_456.0, 200)] {
            let mut b = TokenBucket::new(per_minute, burst);
            let rate_per_ns = per_minute / 60e9;
            let mut now = 0u64;
            let mut admitted = Vec::new();
            for _ in 0..5_000 {
                now += rng.random_range(0..(2.0 / rate_per_ns) as u64 / 4 + 2);
                let cost = 1;
                if b.try_take(now, cost).is_ok() {
                    admitted.push(now);
                }
            }
            assert!(admitted.len() > 100);
            for i in 0..admitted.len() {
                for j in i..admitted.len().min(i + 400) {
                    let count = (j - i + 1) as f64;
                    let span = (admitted[j] - admitted[i]) as f64;
                    assert!(
                        count <= burst as f64 + rate_per_ns * span + 1e-9,
                        "{count} admissions in {span} ns at {per_minute}/min burst {burst}"
                    );
                }
            }
        }
    }
}
