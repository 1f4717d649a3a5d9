//! Guards: limits a client puts on its own traffic across requests, on top
//! of the per-request backoff schedule (`docs/model.md` §4).
//!
//! A strategy has at most one of each:
//!
//! - a **retry budget** ([`Budget`]), asked when a retry is wanted: the
//!   AWS SDK retry quota, gRPC retry throttling, a Finagle-style percentage
//!   budget, or a per-client retry token bucket;
//! - a **circuit breaker** ([`Breaker`]): closed, open, half-open, either
//!   over every attempt or over retries only;
//! - a **throttle** ([`Throttle`]) applied to every attempt before it is
//!   sent: Google SRE client-side adaptive throttling, or the AWS SDK's
//!   adaptive (CUBIC) client rate limiter.
//!
//! Every guard keeps its state per client ([`GuardState`]). Fractional
//! tokens are held as whole millionths, so hand-computed sequences are
//! exact.
//!
//! The engine calls, in this order: [`GuardState::before_send`] for every
//! attempt (a throttle or an open breaker may reject it locally or delay
//! it), [`GuardState::on_outcome`] when the client learns how an attempt
//! went, [`GuardState::allow_retry`] when the strategy wants to retry, and
//! [`GuardState::on_request_success`] when a request succeeds.

use crate::time::{NANOS_PER_SEC, SimDuration, SimTime};
use rand::{Rng, RngExt};

/// One token in millionths.
pub const MICRO: i64 = 1_000_000;

/// `x` tokens in millionths (rounded to the nearest).
pub fn micros(x: f64) -> i64 {
    (x * MICRO as f64).round() as i64
}

/// Windows are kept as this many slices, as Finagle's `WindowedAdder` and
/// Polly's rolling health metrics do: a count stays in the window until
/// the slice holding it is `window` old, so a window covers between 9/10
/// of `window` and all of it.
pub const SLICES: u64 = 10;

/// A retry budget: whether a retry may be sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Budget {
    /// AWS SDK retry quota (botocore `retries/standard.py`, standard and
    /// adaptive modes): a bucket of `capacity` tokens that starts full. A
    /// retry takes `cost` tokens (`timeout_cost` after a timeout) and is not
    /// sent if fewer are left (nothing is taken then). When a request
    /// succeeds, the cost of its last retry goes back, or
    /// `success_increment` if it made none; never above `capacity`.
    AwsQuota {
        capacity: i64,
        cost: i64,
        timeout_cost: i64,
        success_increment: i64,
    },
    /// gRPC retry throttling (gRFC A6), in millionths: tokens start at
    /// `max_tokens`; every failure the strategy would retry takes one
    /// token (down to 0), every success adds `token_ratio` (up to
    /// `max_tokens`); a retry is sent only while tokens > `max_tokens` / 2.
    Grpc { max_tokens: i64, token_ratio: i64 },
    /// A percentage budget (Finagle `RetryBudget`, tower `TpsBudget`):
    /// over a sliding window of `ttl`, retries may be at most `percent` of
    /// first tries plus `min_per_s` × `ttl`. In millionths of a retry:
    /// each first try deposits `percent`, each retry withdraws one, and a
    /// retry goes while deposits − withdrawals in the window plus the
    /// reserve `min_per_s` × `ttl` is at least one.
    Percent {
        percent: i64,
        min_per_s: f64,
        ttl: SimDuration,
    },
    /// A per-client retry token bucket (the 2022 retry study's), in
    /// millionths: starts at `initial`, each first try (or, with
    /// `on_success`, each successful attempt) adds `deposit` (up to
    /// `size`), a retry needs and spends `cost`.
    ClientBucket {
        size: i64,
        deposit: i64,
        cost: i64,
        initial: i64,
        on_success: bool,
    },
}

/// Which attempts an open breaker stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerScope {
    /// Every attempt: rejected locally while open (the classic breaker).
    All,
    /// Retries only: first tries are always sent, retries are denied
    /// unless the breaker is closed (the 2022 retry study's breaker).
    Retries,
}

impl BreakerScope {
    pub const NAMES: [&'static str; 2] = ["all", "retries"];

    pub fn from_name(name: &str) -> Option<BreakerScope> {
        match name {
            "all" => Some(BreakerScope::All),
            "retries" => Some(BreakerScope::Retries),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            BreakerScope::All => "all",
            BreakerScope::Retries => "retries",
        }
    }
}

/// A circuit breaker. Closed, it counts attempt outcomes over a sliding
/// `window`; once the window holds at least `min_volume` outcomes of
/// which a share of at least `failure_ratio` failed, it opens for
/// `open_for`. Then it is half-open: it lets `probes` attempts through
/// (scope `all`; with scope `retries` first tries go as usual), closes
/// after `probes` successes in a row, and opens again at the first failure.
/// If the probes' answers have not all come `open_for` after the last was
/// let through, it lets `probes` more through (as Polly does).
#[derive(Debug, Clone, PartialEq)]
pub struct Breaker {
    pub failure_ratio: f64,
    pub window: SimDuration,
    pub min_volume: u32,
    pub open_for: SimDuration,
    pub probes: u32,
    pub scope: BreakerScope,
}

/// A client-side throttle on every attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Throttle {
    /// Google SRE book, "Handling Overload": over a sliding `window`, with
    /// `requests` the attempts the client wanted to send (rejected ones
    /// included) and `accepts` those that succeeded, an attempt is
    /// rejected locally with probability max(0, (requests − k·accepts) /
    /// (requests + 1)).
    Sre { k: f64, window: SimDuration },
    /// The AWS SDK adaptive retry mode's client rate limiter (botocore
    /// `retries/adaptive.py`, `bucket.py`, `cubic.py`): a token bucket
    /// whose rate follows CUBIC, switched on by the first 429. See
    /// [`Cubic`].
    AwsAdaptive {
        beta: f64,
        scale: f64,
        smoothing: f64,
        bucket: SimDuration,
        min_rate: f64,
    },
}

/// The guards of a strategy.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Guards {
    pub budget: Option<Budget>,
    pub breaker: Option<Breaker>,
    pub throttle: Option<Throttle>,
}

impl Guards {
    /// True if the strategy has no guard at all.
    pub fn is_empty(&self) -> bool {
        self.budget.is_none() && self.breaker.is_none() && self.throttle.is_none()
    }
}

/// What a guard says about an attempt about to be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Send it now.
    Send,
    /// Send it after this wait (the AWS adaptive rate limiter).
    Wait(SimDuration),
    /// Do not send it: a local rejection, which ends the request.
    Reject,
}

/// How an attempt went, as the client saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub success: bool,
    /// A 429.
    pub throttled: bool,
    /// A failure the strategy's `retry_on` covers.
    pub retryable: bool,
}

/// Why a retry the strategy wanted was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    Budget,
    Breaker,
}

/// Counts over a sliding window kept in [`SLICES`] slices.
#[derive(Debug, Clone, PartialEq)]
struct Slices<T> {
    slices: [T; SLICES as usize],
    /// Number of the newest slice (time / slice length).
    current: u64,
}

impl<T: Copy + Default + std::ops::AddAssign> Slices<T> {
    fn new() -> Self {
        Slices {
            slices: [T::default(); SLICES as usize],
            current: 0,
        }
    }

    /// Forgets the slices older than the window at `now`.
    fn advance(&mut self, now: SimTime, window: SimDuration) {
        let n = now / (window / SLICES).max(1);
        if n > self.current {
            for i in 1..=(n - self.current).min(SLICES) {
                self.slices[((self.current + i) % SLICES) as usize] = T::default();
            }
            self.current = n;
        }
    }

    fn add(&mut self, now: SimTime, window: SimDuration, x: T) {
        self.advance(now, window);
        self.slices[(self.current % SLICES) as usize] += x;
    }

    fn sum(&mut self, now: SimTime, window: SimDuration) -> T {
        self.advance(now, window);
        let mut total = T::default();
        for s in self.slices {
            total += s;
        }
        total
    }

    fn clear(&mut self) {
        self.slices = [T::default(); SLICES as usize];
    }
}

/// (outcomes, failures) or (requests, accepts).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Pair(u64, u64);

impl std::ops::AddAssign for Pair {
    fn add_assign(&mut self, o: Pair) {
        self.0 += o.0;
        self.1 += o.1;
    }
}

#[derive(Debug, Clone, PartialEq)]
enum BudgetState {
    Tokens(i64),
    Window(Box<Slices<i64>>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    Closed,
    Open {
        until: SimTime,
    },
    /// `sent`: probes let through (scope all), the last at `since`; `ok`:
    /// successes in a row.
    HalfOpen {
        sent: u32,
        ok: u32,
        since: SimTime,
    },
}

#[derive(Debug, Clone, PartialEq)]
struct BreakerState {
    phase: Phase,
    outcomes: Slices<Pair>,
}

impl BreakerState {
    /// The phase at `now`: an open breaker whose time is up is half-open.
    fn phase(&mut self, now: SimTime) -> Phase {
        if let Phase::Open { until } = self.phase
            && now >= until
        {
            self.phase = Phase::HalfOpen {
                sent: 0,
                ok: 0,
                since: until,
            };
        }
        self.phase
    }

    fn open(&mut self, now: SimTime, b: &Breaker, open_ns: &mut u128) {
        self.phase = Phase::Open {
            until: now.saturating_add(b.open_for),
        };
        self.outcomes.clear();
        *open_ns += u128::from(b.open_for);
    }

    fn record(&mut self, now: SimTime, success: bool, b: &Breaker, open_ns: &mut u128) {
        match self.phase(now) {
            Phase::Closed => {
                self.outcomes
                    .add(now, b.window, Pair(1, u64::from(!success)));
                let Pair(total, failed) = self.outcomes.sum(now, b.window);
                // (min_volume is at least 1.)
                if total >= u64::from(b.min_volume)
                    && failed as f64 >= b.failure_ratio * total as f64
                {
                    self.open(now, b, open_ns);
                }
            }
            Phase::HalfOpen { sent, ok, since } => {
                if !success {
                    self.open(now, b, open_ns);
                } else if ok + 1 >= b.probes {
                    self.phase = Phase::Closed;
                    self.outcomes.clear();
                } else {
                    self.phase = Phase::HalfOpen {
                        sent,
                        ok: ok + 1,
                        since,
                    };
                }
            }
            // An answer to an attempt sent before the breaker opened.
            Phase::Open { .. } => {}
        }
    }
}

/// The AWS SDK adaptive client rate limiter of one client (botocore
/// `ClientRateLimiter`). Times are seconds since the run began.
///
/// - `RateClocker`: responses are counted in buckets of `bucket` seconds;
///   when a response falls in a later bucket than the last, the rate
///   count / (bucket − last bucket) is smoothed in: measured = smoothing ·
///   rate + (1 − smoothing) · measured.
/// - `CubicCalculator`: after a success at t the rate is
///   scale · (t − last_fail − K)³ + W_max; after a 429, W_max is the
///   measured rate (the lower of it and the bucket's rate once enabled),
///   K = ∛(W_max · (1 − β) / scale) and the rate is β · W_max.
/// - After every response the bucket's rate becomes min(new rate, 2 ·
///   measured), never below `min_rate`; its capacity is that rate, at
///   least 1. It starts empty with rate 1.
/// - From the first 429 on, every attempt takes a token first, waiting
///   for it if need be. A waiting attempt takes its token at once, leaving
///   the level below zero, and waits until the bucket, at its rate then,
///   is back to zero (botocore re-checks the rate while it sleeps).
#[derive(Debug, Clone, PartialEq)]
pub struct Cubic {
    enabled: bool,
    w_max: f64,
    k: f64,
    last_fail: f64,
    measured: f64,
    count: f64,
    last_bucket: f64,
    fill_rate: f64,
    capacity: f64,
    level: f64,
    last_refill: f64,
}

impl Cubic {
    /// botocore's starting maximum rate (`CubicCalculator(starting_max_rate=0)`).
    const STARTING_MAX_RATE: f64 = 0.0;

    fn new(beta: f64, scale: f64) -> Cubic {
        let mut c = Cubic {
            enabled: false,
            w_max: Self::STARTING_MAX_RATE,
            k: 0.0,
            last_fail: 0.0,
            measured: 0.0,
            count: 0.0,
            last_bucket: 0.0,
            fill_rate: 1.0,
            capacity: 1.0,
            level: 0.0,
            last_refill: 0.0,
        };
        c.k = c.zero_point(beta, scale);
        c
    }

    fn zero_point(&self, beta: f64, scale: f64) -> f64 {
        (self.w_max * (1.0 - beta) / scale).cbrt()
    }

    fn refill(&mut self, t: f64) {
        if t > self.last_refill {
            self.level = (self.level + (t - self.last_refill) * self.fill_rate).min(self.capacity);
            self.last_refill = t;
        }
    }

    fn set_rate(&mut self, t: f64, rate: f64, min_rate: f64) {
        self.refill(t);
        self.fill_rate = rate.max(min_rate);
        self.capacity = rate.max(1.0);
        self.level = self.level.min(self.capacity);
    }

    /// Takes a token at `t`: how long to wait for it, in seconds.
    fn acquire(&mut self, t: f64) -> f64 {
        if !self.enabled {
            return 0.0;
        }
        self.refill(t);
        self.level -= 1.0;
        if self.level >= 0.0 {
            0.0
        } else {
            -self.level / self.fill_rate
        }
    }

    fn on_response(&mut self, t: f64, throttled: bool, th: &Throttle) {
        let Throttle::AwsAdaptive {
            beta,
            scale,
            smoothing,
            bucket,
            min_rate,
        } = *th
        else {
            return;
        };
        let width = bucket as f64 / NANOS_PER_SEC as f64;
        let b = (t / width).floor() * width;
        self.count += 1.0;
        if b > self.last_bucket {
            let rate = self.count / (b - self.last_bucket);
            self.measured = rate * smoothing + self.measured * (1.0 - smoothing);
            self.count = 0.0;
            self.last_bucket = b;
        }
        let new_rate = if throttled {
            let rate = if self.enabled {
                self.measured.min(self.fill_rate)
            } else {
                self.measured
            };
            self.w_max = rate;
            self.k = self.zero_point(beta, scale);
            self.last_fail = t;
            self.enabled = true;
            rate * beta
        } else {
            scale * (t - self.last_fail - self.k).powi(3) + self.w_max
        };
        self.set_rate(t, new_rate.min(2.0 * self.measured), min_rate);
    }
}

#[derive(Debug, Clone, PartialEq)]
enum ThrottleState {
    Sre(Box<Slices<Pair>>),
    Cubic(Box<Cubic>),
}

/// The guards' state of every client of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardState {
    budget: Vec<BudgetState>,
    breaker: Vec<BreakerState>,
    throttle: Vec<ThrottleState>,
    /// Client-seconds the breakers were open, in nanoseconds, counting
    /// each opening in full (see [`GuardState::breaker_open_ns`]).
    open_ns: u128,
}

fn secs(t: SimTime) -> f64 {
    t as f64 / NANOS_PER_SEC as f64
}

impl GuardState {
    /// Fresh state for `clients` clients (nothing for guards not used).
    #[cfg(test)]
    pub fn new(g: &Guards, clients: usize) -> GuardState {
        Self::try_new(g, clients).expect("the state of a few clients")
    }

    /// Fresh state for `clients` clients (nothing for guards not used), or
    /// an error when the system does not give the memory for it (a
    /// hundred million clients' breakers take 19 GB).
    pub fn try_new(
        g: &Guards,
        clients: usize,
    ) -> Result<GuardState, std::collections::TryReserveError> {
        fn each<T: Clone>(
            value: Option<T>,
            clients: usize,
        ) -> Result<Vec<T>, std::collections::TryReserveError> {
            let mut v = Vec::new();
            if let Some(x) = value {
                v.try_reserve_exact(clients)?;
                v.resize(clients, x);
            }
            Ok(v)
        }
        let budget = each(
            g.budget.as_ref().map(|b| match b {
                Budget::AwsQuota { capacity, .. } => BudgetState::Tokens(*capacity),
                Budget::Grpc { max_tokens, .. } => BudgetState::Tokens(*max_tokens),
                Budget::ClientBucket { initial, .. } => BudgetState::Tokens(*initial),
                Budget::Percent { .. } => BudgetState::Window(Box::new(Slices::new())),
            }),
            clients,
        )?;
        let breaker = each(
            g.breaker.as_ref().map(|_| BreakerState {
                phase: Phase::Closed,
                outcomes: Slices::new(),
            }),
            clients,
        )?;
        let throttle = each(
            g.throttle.as_ref().map(|t| match t {
                Throttle::Sre { .. } => ThrottleState::Sre(Box::new(Slices::new())),
                Throttle::AwsAdaptive { beta, scale, .. } => {
                    ThrottleState::Cubic(Box::new(Cubic::new(*beta, *scale)))
                }
            }),
            clients,
        )?;
        Ok(GuardState {
            budget,
            breaker,
            throttle,
            open_ns: 0,
        })
    }

    /// An attempt of `client` is about to be sent at `now` (`first`: the
    /// request's first try). Deposits first tries into the budget unless
    /// the attempt is rejected.
    pub fn before_send<R: Rng + ?Sized>(
        &mut self,
        g: &Guards,
        client: usize,
        now: SimTime,
        first: bool,
        rng: &mut R,
    ) -> Gate {
        // A half-open breaker's probe is counted only once the attempt
        // passes the throttle too.
        let mut probe = None;
        if let Some(b) = &g.breaker {
            let st = &mut self.breaker[client];
            if b.scope == BreakerScope::All {
                match st.phase(now) {
                    Phase::Closed => {}
                    Phase::Open { .. } => return Gate::Reject,
                    Phase::HalfOpen { sent, ok, since } => {
                        // As Polly does, probes whose answers have not come
                        // within open_for of the last one make way for new
                        // ones.
                        let sent = if sent >= b.probes && now >= since.saturating_add(b.open_for) {
                            0
                        } else {
                            sent
                        };
                        if sent >= b.probes {
                            return Gate::Reject;
                        }
                        probe = Some(Phase::HalfOpen {
                            sent: sent + 1,
                            ok,
                            since: now,
                        });
                    }
                }
            }
        }
        let mut gate = Gate::Send;
        match (&g.throttle, self.throttle.get_mut(client)) {
            (Some(Throttle::Sre { k, window }), Some(ThrottleState::Sre(w))) => {
                let Pair(requests, accepts) = w.sum(now, *window);
                let p = ((requests as f64 - k * accepts as f64) / (requests as f64 + 1.0)).max(0.0);
                w.add(now, *window, Pair(1, 0));
                if p > 0.0 && rng.random::<f64>() < p {
                    return Gate::Reject;
                }
            }
            (Some(Throttle::AwsAdaptive { .. }), Some(ThrottleState::Cubic(c))) => {
                let wait = c.acquire(secs(now));
                if wait > 0.0 {
                    gate = Gate::Wait(crate::time::nanos_from_secs_f64(wait).max(1));
                }
            }
            _ => {}
        }
        if let Some(phase) = probe {
            self.breaker[client].phase = phase;
        }
        if first {
            match (&g.budget, self.budget.get_mut(client)) {
                (
                    Some(Budget::ClientBucket {
                        size,
                        deposit,
                        on_success: false,
                        ..
                    }),
                    Some(BudgetState::Tokens(t)),
                ) => {
                    *t = (*t + deposit).min(*size);
                }
                (Some(Budget::Percent { percent, ttl, .. }), Some(BudgetState::Window(w))) => {
                    w.add(now, *ttl, *percent);
                }
                _ => {}
            }
        }
        gate
    }

    /// The client learned at `now` how one of its attempts went.
    pub fn on_outcome(&mut self, g: &Guards, client: usize, now: SimTime, o: Outcome) {
        if let (
            Some(Budget::ClientBucket {
                size,
                deposit,
                on_success: true,
                ..
            }),
            Some(BudgetState::Tokens(t)),
        ) = (&g.budget, self.budget.get_mut(client))
            && o.success
        {
            *t = (*t + deposit).min(*size);
        }
        if let (
            Some(Budget::Grpc {
                max_tokens,
                token_ratio,
            }),
            Some(BudgetState::Tokens(t)),
        ) = (&g.budget, self.budget.get_mut(client))
        {
            if o.success {
                *t = (*t + token_ratio).min(*max_tokens);
            } else if o.retryable {
                *t = (*t - MICRO).max(0);
            }
        }
        if let Some(b) = &g.breaker {
            self.breaker[client].record(now, o.success, b, &mut self.open_ns);
        }
        match (&g.throttle, self.throttle.get_mut(client)) {
            (Some(Throttle::Sre { window, .. }), Some(ThrottleState::Sre(w))) if o.success => {
                w.add(now, *window, Pair(0, 1));
            }
            (Some(th @ Throttle::AwsAdaptive { .. }), Some(ThrottleState::Cubic(c))) => {
                c.on_response(secs(now), o.throttled, th);
            }
            _ => {}
        }
    }

    /// The strategy wants `client` to retry after a failure (`timeout`:
    /// the failure was a timeout). On `Ok`, the AWS quota's cost taken
    /// (0 for other budgets), to give back if the request succeeds.
    pub fn allow_retry(
        &mut self,
        g: &Guards,
        client: usize,
        now: SimTime,
        timeout: bool,
    ) -> Result<i64, Denied> {
        if let Some(b) = &g.breaker {
            let st = &mut self.breaker[client];
            let closed = st.phase(now) == Phase::Closed;
            if b.scope == BreakerScope::Retries && !closed {
                return Err(Denied::Breaker);
            }
        }
        let (Some(budget), Some(st)) = (&g.budget, self.budget.get_mut(client)) else {
            return Ok(0);
        };
        match (budget, st) {
            (
                Budget::AwsQuota {
                    cost, timeout_cost, ..
                },
                BudgetState::Tokens(t),
            ) => {
                let c = if timeout { *timeout_cost } else { *cost };
                if *t < c {
                    return Err(Denied::Budget);
                }
                *t -= c;
                Ok(c)
            }
            (Budget::Grpc { max_tokens, .. }, BudgetState::Tokens(t)) => {
                // tokens > max / 2, in whole millionths: 2·tokens > max.
                if 2 * *t > *max_tokens {
                    Ok(0)
                } else {
                    Err(Denied::Budget)
                }
            }
            (Budget::ClientBucket { cost, .. }, BudgetState::Tokens(t)) => {
                if *t < *cost {
                    return Err(Denied::Budget);
                }
                *t -= cost;
                Ok(0)
            }
            (Budget::Percent { min_per_s, ttl, .. }, BudgetState::Window(w)) => {
                let reserve = micros(min_per_s * secs(*ttl));
                if w.sum(now, *ttl) + reserve < MICRO {
                    return Err(Denied::Budget);
                }
                w.add(now, *ttl, -MICRO);
                Ok(0)
            }
            _ => Ok(0),
        }
    }

    /// A request of `client` succeeded; `retry_cost` is what its last
    /// retry took from the AWS quota (None: it made no retry).
    pub fn on_request_success(&mut self, g: &Guards, client: usize, retry_cost: Option<i64>) {
        if let (
            Some(Budget::AwsQuota {
                capacity,
                success_increment,
                ..
            }),
            Some(BudgetState::Tokens(t)),
        ) = (&g.budget, self.budget.get_mut(client))
        {
            let back = retry_cost.unwrap_or(*success_increment);
            *t = (*t + back).min(*capacity);
        }
    }

    /// Nanoseconds of open breaker, summed over clients, up to `end` (an
    /// opening still running at `end` counts until then).
    pub fn breaker_open_ns(&self, end: SimTime) -> u128 {
        let overhang: u128 = self
            .breaker
            .iter()
            .map(|b| match b.phase {
                Phase::Open { until } => u128::from(until.saturating_sub(end)),
                _ => 0,
            })
            .sum();
        self.open_ns - overhang
    }

    /// The budget tokens of `client`, in millionths for gRPC and the
    /// client bucket, whole tokens for the AWS quota (None for a
    /// percentage budget or none).
    #[cfg(test)]
    pub(crate) fn budget_tokens(&self, client: usize) -> Option<i64> {
        match self.budget.get(client) {
            Some(BudgetState::Tokens(t)) => Some(*t),
            _ => None,
        }
    }

    /// Whether `client`'s breaker is open (not yet half-open) at `now`.
    /// The adaptive rate limiter of `client`, if the throttle is one.
    #[cfg(test)]
    pub(crate) fn cubic(&self, client: usize) -> Option<&Cubic> {
        match self.throttle.get(client) {
            Some(ThrottleState::Cubic(c)) => Some(c),
            _ => None,
        }
    }

    #[cfg(test)]
    pub(crate) fn breaker_is_open(&mut self, client: usize, now: SimTime) -> bool {
        self.breaker
            .get_mut(client)
            .is_some_and(|b| matches!(b.phase(now), Phase::Open { .. }))
    }
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
