//! The continuous token bucket, kept in exact integer units.
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
pub(super) const UNITS_PER_TOKEN: u128 = 60_000_000_000_000;

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

    /// A bucket for a per-minute limit enforced per second ("quantized",
    /// as OpenAI documents: 600 RPM enforced as 10 per second): it holds
    /// one second's refill and starts full.
    ///
    /// ```
    /// use backsim::model::limiter::TokenBucket;
    /// let mut b = TokenBucket::per_second(600.0); // 10 per second
    /// assert_eq!((0..20).filter(|_| b.try_take(0, 1).is_ok()).count(), 10);
    /// ```
    pub fn per_second(per_minute: f64) -> TokenBucket {
        let rate = Self::rate_units(per_minute);
        let capacity = rate * u128::from(crate::time::NANOS_PER_SEC);
        TokenBucket {
            capacity,
            rate,
            level: capacity,
            last: 0,
        }
    }

    /// Returns `amount` tokens taken earlier (a reservation larger than
    /// what was used); the level never exceeds the capacity.
    pub fn give_back(&mut self, now: SimTime, amount: u64) {
        self.refill(now);
        self.level = self
            .level
            .saturating_add(u128::from(amount) * UNITS_PER_TOKEN)
            .min(self.capacity);
    }

    /// How long after `now` the bucket is full again (what
    /// `x-ratelimit-reset-*` headers say); `None` if it never refills.
    pub fn reset_in(&self, now: SimTime) -> Option<SimDuration> {
        let missing = self.capacity - self.level_at(now);
        if missing == 0 {
            return Some(0);
        }
        if self.rate == 0 {
            return None;
        }
        Some(missing.div_ceil(self.rate).min(u128::from(u64::MAX)) as u64)
    }

    /// The refill rate in units per nanosecond for a per-minute rate.
    pub(super) fn rate_units(per_minute: f64) -> u128 {
        (per_minute * 1000.0).round().max(0.0) as u128
    }

    fn level_at(&self, now: SimTime) -> u128 {
        let elapsed = now.saturating_sub(self.last);
        // A 64 × 64-bit product cannot overflow 128 bits, and needs no
        // 128-bit overflow check; a rate above 2^64 units/ns saturates:
        // after a long idle stretch the product can exceed any capacity by
        // far, and the bucket is simply full.
        let refilled = match u64::try_from(self.rate) {
            Ok(rate) => u128::from(elapsed) * u128::from(rate),
            Err(_) => u128::from(elapsed).saturating_mul(self.rate),
        };
        self.level.saturating_add(refilled).min(self.capacity)
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
        // The same quotient in 64 bits when it fits: a 128-bit division
        // costs several times more, on every 429.
        if let (Ok(m), Ok(r)) = (u64::try_from(missing), u64::try_from(self.rate)) {
            return Some(m.div_ceil(r));
        }
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
    fn resets_when_full_again() {
        // 100 per second, capacity 50: 30 taken are back in 300 ms.
        let mut b = TokenBucket::new(6000.0, 50);
        assert_eq!(b.reset_in(0), Some(0));
        b.try_take(0, 30).unwrap();
        assert_eq!(b.reset_in(0), Some(300_000_000));
        assert_eq!(b.reset_in(100_000_000), Some(200_000_000));
        assert_eq!(b.reset_in(400_000_000), Some(0));
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
