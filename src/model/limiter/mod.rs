//! The provider's rate limiter: for each limited quantity (requests,
//! tokens, input and output tokens) a meter of one algorithm
//! ([`Algorithm`]): the continuous token bucket ([`TokenBucket`], the
//! default), fixed windows, sliding-window logs and counters
//! ([`window`]); or, for requests, nginx's leaky-bucket queue
//! ([`LeakyQueue`]), which delays instead of refusing. Beside them, an
//! optional concurrency limit (attempts in flight at the provider), and
//! per limit what a 429 says about when to come back
//! ([`RetryAfterMode`]).

mod bucket;
mod leaky;
mod retry_after;
pub mod window;

pub use bucket::TokenBucket;
pub use leaky::LeakyQueue;
pub use retry_after::RetryAfterMode;
use window::{FixedWindow, SlidingLog, SlidingWindow};

use crate::time::{NANOS_PER_SEC, SimDuration, SimTime};
use bucket::UNITS_PER_TOKEN;

named_kinds! {
    /// How a limit counts (`[limiter] algorithm`).
    pub enum Algorithm {
        /// A continuous token bucket (GCRA).
        TokenBucket = "token_bucket",
        /// A counter per fixed window, reset at each boundary.
        FixedWindow = "fixed_window",
        /// A log of what was admitted in the last window.
        SlidingLog = "sliding_log",
        /// Two fixed-window counters, the previous one weighted.
        SlidingWindow = "sliding_window",
        /// nginx `limit_req`: a leaky-bucket queue (requests only).
        LeakyQueue = "leaky_queue",
    }
}

impl Algorithm {
    /// Whether the algorithm counts per window (`[limiter] window`).
    pub fn windowed(self) -> bool {
        matches!(
            self,
            Algorithm::FixedWindow | Algorithm::SlidingLog | Algorithm::SlidingWindow
        )
    }
}

/// Most entries a sliding log may hold (its limit per window): 16 bytes
/// each, so at most 16 MB per limit.
pub const MAX_LOG_ENTRIES: u64 = 1_000_000;

/// One limit's meter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meter {
    Bucket(TokenBucket),
    Fixed(FixedWindow),
    Log(SlidingLog),
    Sliding(SlidingWindow),
}

impl Meter {
    /// How long after `now` `cost` would pass: `Some(0)` now, `None` never.
    /// The windows' checks are kept out of line, so that this one, with the
    /// token bucket's (the default) in it, is small enough to be inlined
    /// into the limiter's admission.
    #[inline(always)]
    pub fn wait_for(&mut self, now: SimTime, cost: u64) -> Option<SimDuration> {
        match self {
            Meter::Bucket(b) => b.wait_for(now, cost),
            Meter::Fixed(w) => w.wait_for(now, cost),
            Meter::Log(w) => w.wait_for(now, cost),
            Meter::Sliding(w) => w.wait_for(now, cost),
        }
    }

    /// Charges `cost`, which [`Meter::wait_for`] said passes now.
    #[inline]
    pub fn take(&mut self, now: SimTime, cost: u64) {
        match self {
            Meter::Bucket(b) => b.take(now, cost),
            Meter::Fixed(w) => w.take(now, cost),
            Meter::Log(w) => w.take(now, cost),
            Meter::Sliding(w) => w.take(now, cost),
        }
    }

    /// Returns `amount` charged earlier.
    pub fn give_back(&mut self, now: SimTime, amount: u64) {
        match self {
            Meter::Bucket(b) => b.give_back(now, amount),
            Meter::Fixed(w) => w.give_back(now, amount),
            Meter::Log(w) => w.give_back(now, amount),
            Meter::Sliding(w) => w.give_back(now, amount),
        }
    }

    /// How long until the limit is back at its full allowance.
    pub fn reset_in(&self, now: SimTime) -> Option<SimDuration> {
        match self {
            Meter::Bucket(b) => b.reset_in(now),
            Meter::Fixed(w) => Some(w.reset_in(now)),
            Meter::Log(w) => Some(w.reset_in(now)),
            Meter::Sliding(w) => Some(w.reset_in(now)),
        }
    }

    /// What is left of the allowance at `now`, in the limit's unit: a
    /// bucket's level, a window's limit less its count (or estimate).
    pub fn level_tokens(&self, now: SimTime) -> f64 {
        match self {
            Meter::Bucket(b) => b.level_tokens(now),
            Meter::Fixed(w) => w.level(now),
            Meter::Log(w) => w.level(now),
            Meter::Sliding(w) => w.level(now),
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
    /// Admitted by a leaky-bucket queue that holds it this long first.
    Delayed(SimDuration),
    /// Refused by a full leaky-bucket queue with a 5xx status (nginx's
    /// `limit_req_status`, 503 by default), which carries no Retry-After.
    Unavailable {
        status: u16,
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

/// A provider's (or one model's) rate limits: every configured meter must
/// admit an attempt, then the leaky queue and the concurrency limit, or it
/// is refused and charged nothing.
#[derive(Debug, Clone)]
pub struct Limiter {
    /// Meters in [`Limit::ALL`] order; `None` where there is no limit (and
    /// for requests under a leaky queue).
    buckets: [Option<Meter>; 4],
    /// The limit of the only meter, when there is one meter and no queue:
    /// an attempt then waits for that meter alone, and [`Limiter::admit`]
    /// asks it directly instead of comparing the waits of four limits. Set
    /// once when the limiter is made ([`Limiter::only_meter`]); the meters
    /// and the queue never change after.
    single: Option<Limit>,
    /// What a 429 of each limit carries, [`Limit::ALL`] order.
    pub retry_after: [RetryAfterMode; 4],
    pub output_charge: OutputCharge,
    /// The requests' leaky-bucket queue.
    queue: Option<LeakyQueue>,
    /// The status a full queue answers (429 or 503).
    queue_status: u16,
    /// Most attempts admitted and not yet settled (`u32::MAX`: no limit).
    max_in_flight: u32,
    in_flight: u32,
}

impl Limiter {
    /// A limiter of token buckets (for tests and examples): `Exact`
    /// Retry-After, no queue, no concurrency limit.
    pub fn of_buckets(buckets: [Option<TokenBucket>; 4], output_charge: OutputCharge) -> Limiter {
        let buckets = buckets.map(|b| b.map(Meter::Bucket));
        Limiter {
            single: Self::only_meter(&buckets, None),
            buckets,
            retry_after: [RetryAfterMode::Exact; 4],
            output_charge,
            queue: None,
            queue_status: 503,
            max_in_flight: u32::MAX,
            in_flight: 0,
        }
    }

    /// The limit of the one meter, if there is exactly one and no queue.
    fn only_meter(buckets: &[Option<Meter>; 4], queue: Option<&LeakyQueue>) -> Option<Limit> {
        let mut limits = Limit::ALL
            .into_iter()
            .zip(buckets)
            .filter(|(_, b)| b.is_some());
        match (limits.next(), limits.next(), queue) {
            (Some((limit, _)), None, None) => Some(limit),
            _ => None,
        }
    }

    /// The request meter, if requests are limited by one.
    pub fn requests(&self) -> Option<&Meter> {
        self.buckets[0].as_ref()
    }

    /// Attempts admitted and not yet settled.
    pub fn in_flight(&self) -> u32 {
        self.in_flight
    }

    fn charge(limit: Limit, cost: Cost) -> u64 {
        cost.per_limit()[limit as usize]
    }

    /// Admits an attempt at `now` if every meter holds its cost, the queue
    /// has room and a slot in flight is free, charging each; otherwise
    /// charges nothing.
    #[inline]
    pub fn admit(&mut self, now: SimTime, cost: Cost) -> Admission {
        match self.single {
            Some(limit) => self.admit_single(limit, now, cost),
            None => self.admit_any(now, cost),
        }
    }

    /// [`Limiter::admit`] when `limit`'s meter is the only one and there is
    /// no queue: the same verdicts, Retry-After and charges, without the
    /// search for the binding limit.
    #[inline]
    fn admit_single(&mut self, limit: Limit, now: SimTime, cost: Cost) -> Admission {
        let charge = Self::charge(limit, cost);
        let meter = self.buckets[limit as usize]
            .as_mut()
            .expect("`single` names a limit with a meter");
        let wait = meter.wait_for(now, charge);
        if wait != Some(0) {
            return self.rejected(limit, wait, now);
        }
        if self.in_flight >= self.max_in_flight {
            return Self::no_slot_free();
        }
        meter.take(now, charge);
        self.in_flight += 1;
        Admission::Admitted
    }

    /// The 429 of `limit`, whose meter holds the cost `wait` from `now`
    /// (`None`: never), with that limit's Retry-After.
    fn rejected(&self, limit: Limit, wait: Option<SimDuration>, now: SimTime) -> Admission {
        let meter = self.buckets[limit as usize].as_ref();
        let retry_after =
            self.retry_after[limit as usize].header(wait, || meter.and_then(|m| m.reset_in(now)));
        Admission::Rejected { limit, retry_after }
    }

    /// The 429 when every slot in flight is taken: nobody can say when one
    /// frees, so it carries no Retry-After.
    fn no_slot_free() -> Admission {
        Admission::Rejected {
            limit: Limit::Requests,
            retry_after: None,
        }
    }

    /// [`Limiter::admit`] for any meters, queue and concurrency limit.
    fn admit_any(&mut self, now: SimTime, cost: Cost) -> Admission {
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
        if let Some((limit, wait)) = binding {
            return self.rejected(limit, wait, now);
        }
        let excess = match &self.queue {
            None => None,
            Some(q) => match q.check(now) {
                Ok(e) => Some(e),
                Err(_) if self.queue_status != 429 => {
                    return Admission::Unavailable {
                        status: self.queue_status,
                    };
                }
                Err(wait) => {
                    let retry_after = self.retry_after[0].header(wait, || q.reset_in(now));
                    return Admission::Rejected {
                        limit: Limit::Requests,
                        retry_after,
                    };
                }
            },
        };
        if self.in_flight >= self.max_in_flight {
            return Self::no_slot_free();
        }
        for (limit, bucket) in Limit::ALL.into_iter().zip(&mut self.buckets) {
            if let Some(b) = bucket {
                b.take(now, Self::charge(limit, cost));
            }
        }
        self.in_flight += 1;
        match (&mut self.queue, excess) {
            (Some(q), Some(e)) => match q.accept(now, e) {
                0 => Admission::Admitted,
                delay => Admission::Delayed(delay),
            },
            _ => Admission::Admitted,
        }
    }

    /// An admitted attempt left the provider (answered, failed, dropped
    /// or stopped) having generated `generated` of its `reserved` output
    /// tokens: its slot in flight is freed, and with
    /// [`OutputCharge::Actual`] the rest of the reservation goes back to
    /// the token and output-token meters. Returns the tokens given back to
    /// each (0 when nothing is).
    pub fn settle(&mut self, now: SimTime, reserved: u64, generated: u64) -> u64 {
        self.in_flight = self.in_flight.saturating_sub(1);
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

/// Rate limits: (per minute, burst) for each limited quantity, and how
/// they are counted.
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
    /// What 429s carry (each limit's unless it has its own).
    pub retry_after: RetryAfterMode,
    /// How every limit counts.
    pub algorithm: Algorithm,
    /// The window of the windowed algorithms.
    pub window: SimDuration,
    /// Leaky queue: requests pass at once instead of waiting their turn.
    pub nodelay: bool,
    /// Leaky queue: the status of a refusal (503 or 429).
    pub queue_status: u16,
    /// Most attempts in flight at the provider.
    pub max_in_flight: Option<u32>,
    /// What each limit's 429s carry, where it differs from `retry_after`
    /// ([`Limit::ALL`] order).
    pub retry_after_by_limit: [Option<RetryAfterMode>; 4],
}

/// The default window of the windowed algorithms: one minute.
pub const DEFAULT_WINDOW: SimDuration = 60 * NANOS_PER_SEC;

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
            algorithm: Algorithm::TokenBucket,
            window: DEFAULT_WINDOW,
            nodelay: false,
            queue_status: 503,
            max_in_flight: None,
            retry_after_by_limit: [None; 4],
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

    /// How many a window of `window` ns holds at `per_minute`, if that is
    /// a whole number of at least 1 (rates are kept to 0.001 per minute).
    pub fn per_window(per_minute: f64, window: SimDuration) -> Option<u64> {
        let units = u128::from(window) * TokenBucket::rate_units(per_minute);
        let whole = units / UNITS_PER_TOKEN;
        (units.is_multiple_of(UNITS_PER_TOKEN) && whole >= 1)
            .then(|| u64::try_from(whole).ok())
            .flatten()
    }

    /// Per limit in `Limit::ALL` order, what it admits in the long run and
    /// at the start: (per second, initial allowance), in its unit. A
    /// bucket: its refill and burst (one second's refill when
    /// quantized); a window: its count per window over the window, and
    /// one window's count; a leaky queue: its rate, and the burst plus the
    /// one passing.
    pub fn long_run(&self) -> [Option<(f64, f64)>; 4] {
        self.limits().map(|limit| {
            limit.map(|(per_minute, burst)| {
                let rate = per_minute / 60.0;
                match self.algorithm {
                    Algorithm::TokenBucket if self.quantized => (rate, rate),
                    Algorithm::TokenBucket => (rate, burst as f64),
                    Algorithm::LeakyQueue => (rate, burst as f64 + 1.0),
                    _ => {
                        let n = Self::per_window(per_minute, self.window).unwrap_or(0) as f64;
                        (n / (self.window as f64 / NANOS_PER_SEC as f64), n)
                    }
                }
            })
        })
    }

    /// What 429s of `limit` carry.
    pub fn retry_after_of(&self, limit: Limit) -> RetryAfterMode {
        self.retry_after_by_limit[limit as usize].unwrap_or(self.retry_after)
    }

    /// A fresh limiter with full buckets and empty windows.
    pub fn build(&self) -> Limiter {
        let meter = |(per_minute, burst): (f64, u64)| {
            let n = || Self::per_window(per_minute, self.window).unwrap_or(1);
            match self.algorithm {
                Algorithm::TokenBucket if self.quantized => {
                    Meter::Bucket(TokenBucket::per_second(per_minute))
                }
                Algorithm::TokenBucket | Algorithm::LeakyQueue => {
                    Meter::Bucket(TokenBucket::new(per_minute, burst))
                }
                Algorithm::FixedWindow => Meter::Fixed(FixedWindow::new(n(), self.window)),
                Algorithm::SlidingLog => Meter::Log(SlidingLog::new(n(), self.window)),
                Algorithm::SlidingWindow => Meter::Sliding(SlidingWindow::new(n(), self.window)),
            }
        };
        let mut buckets = self.limits().map(|l| l.map(meter));
        let queue = match (self.algorithm, self.requests) {
            (Algorithm::LeakyQueue, Some((per_minute, burst))) => {
                buckets[0] = None;
                Some(LeakyQueue::new(per_minute, burst, self.nodelay))
            }
            _ => None,
        };
        Limiter {
            single: Limiter::only_meter(&buckets, queue.as_ref()),
            buckets,
            retry_after: Limit::ALL.map(|l| self.retry_after_of(l)),
            output_charge: self.output_charge,
            queue,
            queue_status: self.queue_status,
            max_in_flight: self.max_in_flight.unwrap_or(u32::MAX),
            in_flight: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_pcg::Pcg64;

    fn limiter(buckets: [Option<TokenBucket>; 4], charge: OutputCharge) -> Limiter {
        Limiter::of_buckets(buckets, charge)
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

    fn config(algorithm: Algorithm, requests: Option<(f64, u64)>) -> LimiterConfig {
        LimiterConfig {
            requests,
            algorithm,
            ..LimiterConfig::unlimited()
        }
    }

    const S: SimDuration = NANOS_PER_SEC;
    const MS: SimDuration = 1_000_000;

    #[test]
    fn a_fixed_window_of_ten_a_second_admits_ten_of_a_burst_of_a_hundred() {
        let c = LimiterConfig {
            window: S,
            ..config(Algorithm::FixedWindow, Some((600.0, 0)))
        };
        let mut l = c.build();
        let verdicts: Vec<Admission> = (0..100).map(|_| l.admit(0, cost(0, 0))).collect();
        assert_eq!(
            verdicts
                .iter()
                .filter(|v| **v == Admission::Admitted)
                .count(),
            10
        );
        // The 11th is told to come back when the window resets, at 1 s.
        assert_eq!(
            verdicts[10],
            Admission::Rejected {
                limit: Limit::Requests,
                retry_after: Some(S)
            }
        );
        assert_eq!(c.long_run()[0], Some((10.0, 10.0)));
    }

    #[test]
    fn a_leaky_queue_delays_up_to_its_burst_then_answers_503_or_429() {
        // 10 per second, burst 3: of 6 at once, 4 pass, delayed 0, 100,
        // 200, 300 ms; the rest get nginx's 503.
        let c = config(Algorithm::LeakyQueue, Some((600.0, 3)));
        let mut l = c.build();
        let verdicts: Vec<Admission> = (0..6).map(|_| l.admit(0, cost(0, 0))).collect();
        assert_eq!(
            verdicts,
            [
                Admission::Admitted,
                Admission::Delayed(100 * MS),
                Admission::Delayed(200 * MS),
                Admission::Delayed(300 * MS),
                Admission::Unavailable { status: 503 },
                Admission::Unavailable { status: 503 },
            ]
        );
        assert_eq!(c.long_run()[0], Some((10.0, 4.0)));
        // With limit_req_status = 429 and Retry-After in ms: the excess is
        // 3 at t = 0; a 4th in the queue fits once it has drained to 2,
        // i.e. at 100 ms (e + 1 − burst = 1 request at 10 a second).
        let mut l = LimiterConfig {
            queue_status: 429,
            retry_after: RetryAfterMode::Millis,
            ..c.clone()
        }
        .build();
        for _ in 0..4 {
            l.admit(0, cost(0, 0));
        }
        assert_eq!(
            l.admit(30 * MS, cost(0, 0)),
            Admission::Rejected {
                limit: Limit::Requests,
                retry_after: Some(70 * MS)
            }
        );
        // At 100 ms it is admitted with the excess at 3 again: 300 ms.
        assert_eq!(l.admit(100 * MS, cost(0, 0)), Admission::Delayed(300 * MS));
    }

    #[test]
    fn a_concurrency_limit_frees_a_slot_when_an_attempt_settles() {
        let c = LimiterConfig {
            max_in_flight: Some(2),
            ..LimiterConfig::unlimited()
        };
        let mut l = c.build();
        assert_eq!(l.admit(0, cost(1, 1)), Admission::Admitted);
        assert_eq!(l.admit(0, cost(1, 1)), Admission::Admitted);
        let refused = Admission::Rejected {
            limit: Limit::Requests,
            retry_after: None,
        };
        assert_eq!(l.admit(5, cost(1, 1)), refused);
        assert_eq!(l.in_flight(), 2);
        l.settle(7, 1, 1);
        assert_eq!(l.in_flight(), 1);
        assert_eq!(l.admit(7, cost(1, 1)), Admission::Admitted);
        assert_eq!(l.admit(7, cost(1, 1)), refused);
    }

    #[test]
    fn each_limit_sends_its_own_retry_after() {
        // 60 RPM and 6000 TPM buckets, both of burst one minute's worth;
        // OpenAI-like: the token 429 carries nothing, the request 429 the
        // seconds, and `reset` says when the bucket is full again.
        let mut c = LimiterConfig {
            requests: Some((60.0, 1)),
            tokens: Some((6000.0, 6000)),
            retry_after: RetryAfterMode::Seconds,
            ..LimiterConfig::unlimited()
        };
        c.retry_after_by_limit[Limit::Tokens as usize] = Some(RetryAfterMode::None);
        let mut l = c.build();
        assert_eq!(l.admit(0, cost(6000, 0)), Admission::Admitted);
        // Tokens bind (60 s for 6000 at 100 a second): no header.
        assert_eq!(
            l.admit(0, cost(6000, 0)),
            Admission::Rejected {
                limit: Limit::Tokens,
                retry_after: None
            }
        );
        // Requests bind (1 s against 0.5 s of tokens): 1 s, in seconds.
        let mut l = c.build();
        assert_eq!(l.admit(0, cost(50, 0)), Admission::Admitted);
        assert_eq!(
            l.admit(0, cost(50, 0)),
            Admission::Rejected {
                limit: Limit::Requests,
                retry_after: Some(S)
            }
        );
        // `reset` on the tokens: 30 tokens short needs 0.3 s, but the
        // bucket is full again only after 5950 / 100 = 59.5 s.
        c.retry_after_by_limit[Limit::Tokens as usize] = Some(RetryAfterMode::Reset);
        c.requests = None;
        let mut l = c.build();
        assert_eq!(l.admit(0, cost(5950, 0)), Admission::Admitted);
        assert_eq!(
            l.admit(0, cost(80, 0)),
            Admission::Rejected {
                limit: Limit::Tokens,
                retry_after: Some(59_500 * MS)
            }
        );
    }

    #[test]
    fn a_window_length_must_hold_a_whole_count() {
        assert_eq!(LimiterConfig::per_window(600.0, S), Some(10));
        assert_eq!(LimiterConfig::per_window(90.0, 60 * S), Some(90));
        assert_eq!(LimiterConfig::per_window(100.0, S), None); // 1.67
        assert_eq!(LimiterConfig::per_window(30.0, S), None); // 0.5
        assert_eq!(LimiterConfig::per_window(30.0, 2 * S), Some(1));
    }

    #[test]
    fn one_meter_alone_gives_the_verdicts_of_the_general_search() {
        // Every algorithm and limit on its own, with each Retry-After and
        // with and without a concurrency limit: the shortcut for a single
        // meter must admit, refuse and answer exactly as the search over
        // all four limits does, arrival after arrival.
        let modes = [
            RetryAfterMode::None,
            RetryAfterMode::Exact,
            RetryAfterMode::Millis,
            RetryAfterMode::Seconds,
            RetryAfterMode::Reset,
        ];
        let algorithms = [
            (Algorithm::TokenBucket, false),
            (Algorithm::TokenBucket, true),
            (Algorithm::FixedWindow, false),
            (Algorithm::SlidingLog, false),
            (Algorithm::SlidingWindow, false),
        ];
        let mut checked = 0;
        for limit in Limit::ALL {
            for (algorithm, quantized) in algorithms {
                for (m, retry_after) in modes.into_iter().enumerate() {
                    let mut c = LimiterConfig {
                        algorithm,
                        quantized,
                        retry_after,
                        window: S,
                        max_in_flight: (m % 2 == 1).then_some(3),
                        ..LimiterConfig::unlimited()
                    };
                    // 600 a minute: 10 a second, burst 5 (requests); the
                    // token limits 100 times that.
                    let per_minute = if limit == Limit::Requests {
                        600.0
                    } else {
                        60_000.0
                    };
                    let burst = if limit == Limit::Requests { 5 } else { 500 };
                    match limit {
                        Limit::Requests => c.requests = Some((per_minute, burst)),
                        Limit::Tokens => c.tokens = Some((per_minute, burst)),
                        Limit::InputTokens => c.input_tokens = Some((per_minute, burst)),
                        Limit::OutputTokens => c.output_tokens = Some((per_minute, burst)),
                    }
                    let mut fast = c.build();
                    assert_eq!(fast.single, Some(limit));
                    let mut general = c.build();
                    general.single = None;
                    let mut rng = Pcg64::seed_from_u64(7);
                    let mut now = 0;
                    let mut rejected = 0;
                    for _ in 0..400 {
                        let r = rng.random_range(0..1u64 << 31);
                        now += (r % 7) * 9 * MS;
                        // Now and then more than a limit ever holds.
                        let big = u64::from(r.is_multiple_of(50)) * 1000;
                        let cost = cost(r % 97 + big, r % 61 + big);
                        let verdict = fast.admit(now, cost);
                        assert_eq!(verdict, general.admit(now, cost), "{limit:?} {c:?}");
                        rejected += usize::from(verdict != Admission::Admitted);
                        if r.is_multiple_of(3) {
                            let generated = r % 11;
                            assert_eq!(
                                fast.settle(now, cost.output_reserved, generated),
                                general.settle(now, cost.output_reserved, generated)
                            );
                        }
                    }
                    assert_eq!(fast.in_flight(), general.in_flight());
                    let level = |l: &Limiter| {
                        l.buckets[limit as usize]
                            .as_ref()
                            .unwrap()
                            .level_tokens(now)
                    };
                    assert_eq!(level(&fast), level(&general));
                    assert!(rejected > 0 && rejected < 400, "{limit:?} {c:?}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 4 * 5 * 5);
        // Two meters, or a leaky queue, take the general search.
        let two = LimiterConfig {
            requests: Some((600.0, 5)),
            tokens: Some((60_000.0, 500)),
            ..LimiterConfig::unlimited()
        };
        assert_eq!(two.build().single, None);
        assert_eq!(
            config(Algorithm::LeakyQueue, Some((600.0, 5)))
                .build()
                .single,
            None
        );
        assert_eq!(LimiterConfig::unlimited().build().single, None);
    }
}
