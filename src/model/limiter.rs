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

    /// The refill rate in units per nanosecond for a per-minute rate.
    fn rate_units(per_minute: f64) -> u128 {
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

/// How the limiter fills in `Retry-After` on a 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfterMode {
    /// No header.
    None,
    /// The exact wait, to the nanosecond (a model idealisation).
    Exact,
    /// `retry-after-ms`: the wait rounded up to a whole millisecond.
    Millis,
    /// `Retry-After`: the wait rounded up to whole seconds.
    Seconds,
}

impl RetryAfterMode {
    /// Names as written in `retry_after = "…"`.
    pub const NAMES: [&'static str; 4] = ["none", "exact", "ms", "seconds"];

    pub fn from_name(name: &str) -> Option<RetryAfterMode> {
        match name {
            "none" => Some(RetryAfterMode::None),
            "exact" => Some(RetryAfterMode::Exact),
            "ms" => Some(RetryAfterMode::Millis),
            "seconds" => Some(RetryAfterMode::Seconds),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RetryAfterMode::None => "none",
            RetryAfterMode::Exact => "exact",
            RetryAfterMode::Millis => "ms",
            RetryAfterMode::Seconds => "seconds",
        }
    }

    /// The header for a wait (`None`: the attempt could never pass).
    pub fn header(self, wait: Option<SimDuration>) -> Option<SimDuration> {
        let wait = wait?;
        let round_up = |unit: u64| wait.div_ceil(unit).saturating_mul(unit);
        match self {
            RetryAfterMode::None => None,
            RetryAfterMode::Exact => Some(wait),
            RetryAfterMode::Millis => Some(round_up(1_000_000)),
            RetryAfterMode::Seconds => Some(round_up(crate::time::NANOS_PER_SEC)),
        }
    }
}

/// Which limit a 429 names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Requests per minute.
    Requests,
    /// Tokens per minute (input + output estimate).
    Tokens,
    /// Input tokens per minute.
    InputTokens,
    /// Output tokens per minute.
    OutputTokens,
}

impl Limit {
    /// Every limit, in the order buckets are checked and reported.
    pub const ALL: [Limit; 4] = [
        Limit::Requests,
        Limit::Tokens,
        Limit::InputTokens,
        Limit::OutputTokens,
    ];

    /// The scenario key that sets the limit (`[limiter]`), which reports
    /// use to name it.
    pub fn key(self) -> &'static str {
        match self {
            Limit::Requests => "requests_per_minute",
            Limit::Tokens => "tokens_per_minute",
            Limit::InputTokens => "input_tokens_per_minute",
            Limit::OutputTokens => "output_tokens_per_minute",
        }
    }

    /// The limit a scenario key sets ([`Limit::key`]).
    pub fn from_key(key: &str) -> Option<Limit> {
        Limit::ALL.into_iter().find(|l| l.key() == key)
    }

    /// The name used in report columns (`rejected_429_<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Limit::Requests => "requests",
            Limit::Tokens => "tokens",
            Limit::InputTokens => "input_tokens",
            Limit::OutputTokens => "output_tokens",
        }
    }
}

/// The limiter's answer to an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// 429, naming the limit that binds (the one the attempt would wait
    /// longest for; ties go to the first in [`Limit::ALL`] order) and the
    /// `Retry-After` sent, if any.
    Rejected {
        limit: Limit,
        retry_after: Option<SimDuration>,
    },
}

/// What an attempt costs each bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    pub input_tokens: u64,
    /// Output tokens reserved at admission (`max_tokens`, or the actual
    /// output when the request sets no `max_tokens`).
    pub output_reserved: u64,
}

impl Cost {
    /// What the attempt costs each limit, in [`Limit::ALL`] order and in
    /// each limit's own unit (1 request; tokens).
    pub fn per_limit(self) -> [u64; 4] {
        [
            1,
            self.input_tokens.saturating_add(self.output_reserved),
            self.input_tokens,
            self.output_reserved,
        ]
    }
}

/// How output tokens are charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputCharge {
    /// The reservation stands (OpenAI: input + `max_tokens` at admission).
    Reserved,
    /// The reservation is corrected to the tokens generated when the
    /// attempt ends (Anthropic, for output tokens): the unused part is
    /// given back.
    Actual,
}

impl OutputCharge {
    pub const NAMES: [&'static str; 2] = ["max_tokens", "actual"];

    pub fn from_name(name: &str) -> Option<OutputCharge> {
        match name {
            "max_tokens" => Some(OutputCharge::Reserved),
            "actual" => Some(OutputCharge::Actual),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            OutputCharge::Reserved => "max_tokens",
            OutputCharge::Actual => "actual",
        }
    }
}

/// A provider's (or one model's) rate limits: every configured bucket must
/// admit an attempt, or it is rejected and charged nothing.
#[derive(Debug, Clone)]
pub struct Limiter {
    /// Buckets in [`Limit::ALL`] order; `None` where there is no limit.
    pub buckets: [Option<TokenBucket>; 4],
    pub retry_after: RetryAfterMode,
    pub output_charge: OutputCharge,
}

impl Limiter {
    /// The request bucket, if requests are limited.
    pub fn requests(&self) -> Option<&TokenBucket> {
        self.buckets[0].as_ref()
    }

    fn charge(limit: Limit, cost: Cost) -> u64 {
        cost.per_limit()[limit as usize]
    }

    /// Admits an attempt at `now` if every bucket holds its cost, taking
    /// it from each; otherwise takes nothing.
    pub fn admit(&mut self, now: SimTime, cost: Cost) -> Admission {
        let mut binding: Option<(Limit, Option<SimDuration>)> = None;
        for (limit, bucket) in Limit::ALL.into_iter().zip(&mut self.buckets) {
            let Some(b) = bucket else { continue };
            let wait = b.wait_for(now, Self::charge(limit, cost));
            if wait == Some(0) {
                continue;
            }
            // `None` (never) is the longest wait of all.
            let longer = match (binding, wait) {
                (None, _) => true,
                (Some((_, Some(a))), Some(w)) => w > a,
                (Some((_, Some(_))), None) => true,
                (Some((_, None)), _) => false,
            };
            if longer {
                binding = Some((limit, wait));
            }
        }
        match binding {
            None => {
                for (limit, bucket) in Limit::ALL.into_iter().zip(&mut self.buckets) {
                    if let Some(b) = bucket {
                        b.take(now, Self::charge(limit, cost));
                    }
                }
                Admission::Admitted
            }
            Some((limit, wait)) => Admission::Rejected {
                limit,
                retry_after: self.retry_after.header(wait),
            },
        }
    }

    /// An admitted attempt ended having generated `generated` of its
    /// `reserved` output tokens: with [`OutputCharge::Actual`] the rest of
    /// the reservation goes back to the token and output-token buckets.
    /// Returns the tokens given back to each (0 when nothing is).
    pub fn settle(&mut self, now: SimTime, reserved: u64, generated: u64) -> u64 {
        if self.output_charge != OutputCharge::Actual || generated >= reserved {
            return 0;
        }
        let unused = reserved - generated;
        for limit in [Limit::Tokens, Limit::OutputTokens] {
            if let Some(b) = &mut self.buckets[limit as usize] {
                b.give_back(now, unused);
            }
        }
        unused
    }
}

/// Rate limits: (per minute, burst) for each limited quantity.
#[derive(Debug, Clone, PartialEq)]
pub struct LimiterConfig {
    /// Requests.
    pub requests: Option<(f64, u64)>,
    /// Tokens: input + reserved output.
    pub tokens: Option<(f64, u64)>,
    /// Input tokens alone.
    pub input_tokens: Option<(f64, u64)>,
    /// Reserved output tokens alone.
    pub output_tokens: Option<(f64, u64)>,
    /// Enforce each per-minute limit per second: a bucket that holds one
    /// second's refill (the bursts are not used).
    pub quantized: bool,
    /// Whether output reservations are corrected to what was generated.
    pub output_charge: OutputCharge,
    /// What 429s carry.
    pub retry_after: RetryAfterMode,
}

impl LimiterConfig {
    /// No limits at all.
    pub fn unlimited() -> LimiterConfig {
        LimiterConfig {
            requests: None,
            tokens: None,
            input_tokens: None,
            output_tokens: None,
            quantized: false,
            output_charge: OutputCharge::Reserved,
            retry_after: RetryAfterMode::Exact,
        }
    }

    /// The limits as (per minute, burst), in `Limit::ALL` order.
    pub fn limits(&self) -> [Option<(f64, u64)>; 4] {
        [
            self.requests,
            self.tokens,
            self.input_tokens,
            self.output_tokens,
        ]
    }

    /// A fresh limiter with full buckets.
    pub fn build(&self) -> Limiter {
        Limiter {
            buckets: self.limits().map(|l| {
                l.map(|(per_minute, burst)| {
                    if self.quantized {
                        TokenBucket::per_second(per_minute)
                    } else {
                        TokenBucket::new(per_minute, burst)
                    }
                })
            }),
            retry_after: self.retry_after,
            output_charge: self.output_charge,
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
        assert_eq!(
            RetryAfterMode::Millis.header(Some(250 * ms)),
            Some(250 * ms)
        );
        assert_eq!(
            RetryAfterMode::Millis.header(Some(250 * ms + 1)),
            Some(251 * ms)
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

    fn limiter(buckets: [Option<TokenBucket>; 4], charge: OutputCharge) -> Limiter {
        Limiter {
            buckets,
            retry_after: RetryAfterMode::Exact,
            output_charge: charge,
        }
    }

    fn cost(input_tokens: u64, output_reserved: u64) -> Cost {
        Cost {
            input_tokens,
            output_reserved,
        }
    }

    #[test]
    fn limiter_needs_every_bucket_and_charges_none_on_rejection() {
        let mut l = limiter(
            [
                Some(TokenBucket::new(60.0, 10)),
                Some(TokenBucket::new(6000.0, 1000)),
                None,
                None,
            ],
            OutputCharge::Reserved,
        );
        assert_eq!(l.admit(0, cost(100, 500)), Admission::Admitted);
        // The request bucket has 9 left but the token bucket only 400:
        // 200 tokens missing at 100 per second is 2 s.
        assert_eq!(
            l.admit(0, cost(100, 500)),
            Admission::Rejected {
                limit: Limit::Tokens,
                retry_after: Some(2 * NANOS_PER_SEC)
            }
        );
        assert_eq!(l.requests().unwrap().level_tokens(0), 9.0);
        assert_eq!(l.buckets[1].as_ref().unwrap().level_tokens(0), 400.0);
    }

    #[test]
    fn the_429_names_the_limit_with_the_longest_wait() {
        // Requests: 1 per second, burst 2. Input tokens: 100 per second,
        // burst 100. Output tokens: 50 per second, burst 50.
        let mut l = limiter(
            [
                Some(TokenBucket::new(60.0, 2)),
                None,
                Some(TokenBucket::new(6000.0, 100)),
                Some(TokenBucket::new(3000.0, 50)),
            ],
            OutputCharge::Reserved,
        );
        assert_eq!(l.admit(0, cost(100, 50)), Admission::Admitted);
        // One request left, but both token buckets are empty: input needs
        // 1 s, output 1 s; equal waits go to the first limit.
        assert_eq!(
            l.admit(0, cost(100, 50)),
            Admission::Rejected {
                limit: Limit::InputTokens,
                retry_after: Some(NANOS_PER_SEC)
            }
        );
        // 10 input tokens (0.1 s) but 50 output tokens (1 s): output binds.
        assert_eq!(
            l.admit(0, cost(10, 50)),
            Admission::Rejected {
                limit: Limit::OutputTokens,
                retry_after: Some(NANOS_PER_SEC)
            }
        );
        // More input than the input bucket holds: never (no Retry-After).
        assert_eq!(
            l.admit(0, cost(101, 0)),
            Admission::Rejected {
                limit: Limit::InputTokens,
                retry_after: None
            }
        );
    }

    #[test]
    fn actual_output_charge_gives_back_the_unused_reservation() {
        let buckets = || {
            [
                None,
                Some(TokenBucket::new(60.0, 1000)),
                None,
                Some(TokenBucket::new(60.0, 600)),
            ]
        };
        let mut anthropic = limiter(buckets(), OutputCharge::Actual);
        let mut openai = limiter(buckets(), OutputCharge::Reserved);
        for l in [&mut anthropic, &mut openai] {
            assert_eq!(l.admit(0, cost(200, 500)), Admission::Admitted);
            // 120 of the 500 reserved output tokens were generated.
            l.settle(0, 500, 120);
        }
        let level = |l: &Limiter, i: usize| l.buckets[i].as_ref().unwrap().level_tokens(0);
        // Both took 700 and 500; Anthropic's rule gives back 500 − 120 = 380.
        assert_eq!((level(&anthropic, 1), level(&anthropic, 3)), (680.0, 480.0));
        assert_eq!((level(&openai, 1), level(&openai, 3)), (300.0, 100.0));
        // Never above capacity.
        anthropic.settle(0, 10_000, 0);
        assert_eq!(level(&anthropic, 1), 1000.0);
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
