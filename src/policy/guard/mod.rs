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
//! exact. Each family lives in its own file with its kinds' names, its
//! settings, its per-client state and that state's size: [`budget`],
//! [`breaker`], [`throttle`]; [`window`] is the sliding window they count
//! in. This file holds what they share: the strategy's set of guards,
//! what a guard says about an attempt, and the state of a run's clients.
//!
//! The retry stack ([`super::client`]) calls, in this order:
//! [`GuardState::before_send`] for every attempt (a throttle or an open
//! breaker may reject it locally or delay it), [`GuardState::on_outcome`]
//! when the client learns how an attempt went, [`GuardState::allow_retry`]
//! when the strategy wants to retry, and [`GuardState::on_request_success`]
//! when a request succeeds.

pub mod breaker;
pub mod budget;
pub mod throttle;
pub mod window;

pub use breaker::{Breaker, BreakerScope};
pub use budget::{Budget, BudgetKind, MICRO, micros};
pub use throttle::{Cubic, Throttle, ThrottleKind};
pub use window::SLICES;

use crate::time::{SimDuration, SimTime};
use breaker::BreakerState;
use budget::BudgetState;
use rand::Rng;
use throttle::{ThrottleState, Verdict};

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

    /// How reports name the guards, e.g. ["aws_quota", "aws_adaptive"]:
    /// budget, breaker, throttle.
    pub fn labels(&self) -> Vec<&'static str> {
        let budget = self.budget.as_ref().map(Budget::name);
        let breaker = self.breaker.as_ref().map(|b| b.scope.label());
        let throttle = self.throttle.as_ref().map(Throttle::name);
        [budget, breaker, throttle].into_iter().flatten().collect()
    }

    /// Bytes of one client's guard state (the memory estimate's share of
    /// the guards).
    pub fn client_bytes(&self) -> u64 {
        self.budget.as_ref().map_or(0, |b| b.kind().client_bytes())
            + self.breaker.as_ref().map_or(0, |_| Breaker::CLIENT_BYTES)
            + self
                .throttle
                .as_ref()
                .map_or(0, |t| t.kind().client_bytes())
    }
}

/// The guard tables and their defaults, one line each for `backsim list`:
/// (how a scenario file writes the table, what it does).
pub fn list() -> Vec<(String, &'static str)> {
    let budgets =
        BudgetKind::ALL.map(|k| (format!("budget = {{ kind = \"{}\" }}", k.name()), k.about()));
    let throttles = ThrottleKind::ALL.map(|k| {
        (
            format!("throttle = {{ kind = \"{}\" }}", k.name()),
            k.about(),
        )
    });
    let (breaker, about) = Breaker::LIST;
    budgets
        .into_iter()
        .chain([(breaker.to_string(), about)])
        .chain(throttles)
        .collect()
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
        Ok(GuardState {
            budget: each(g.budget.as_ref().map(Budget::fresh), clients)?,
            breaker: each(g.breaker.as_ref().map(Breaker::fresh), clients)?,
            throttle: each(g.throttle.as_ref().map(Throttle::fresh), clients)?,
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
            match b.gate(&mut self.breaker[client], now) {
                Ok(p) => probe = p,
                Err(()) => return Gate::Reject,
            }
        }
        let mut gate = Gate::Send;
        if let Some(t) = &g.throttle {
            match t.gate(&mut self.throttle[client], now, rng) {
                Verdict::Send => {}
                Verdict::Wait(secs) => {
                    gate = Gate::Wait(crate::time::nanos_from_secs_f64(secs).max(1));
                }
                Verdict::Reject => return Gate::Reject,
            }
        }
        if let Some(phase) = probe {
            self.breaker[client].phase = phase;
        }
        if first && let Some(b) = &g.budget {
            b.on_first_try(&mut self.budget[client], now);
        }
        gate
    }

    /// The client learned at `now` how one of its attempts went.
    pub fn on_outcome(&mut self, g: &Guards, client: usize, now: SimTime, o: Outcome) {
        if let Some(b) = &g.budget {
            b.on_outcome(&mut self.budget[client], o);
        }
        if let Some(b) = &g.breaker {
            self.breaker[client].record(now, o.success, b, &mut self.open_ns);
        }
        if let Some(t) = &g.throttle {
            t.on_outcome(&mut self.throttle[client], now, o.success, o.throttled);
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
        if let Some(b) = &g.breaker
            && !b.allow_retry(&mut self.breaker[client], now)
        {
            return Err(Denied::Breaker);
        }
        match &g.budget {
            Some(b) => b
                .allow_retry(&mut self.budget[client], now, timeout)
                .ok_or(Denied::Budget),
            None => Ok(0),
        }
    }

    /// A request of `client` succeeded; `retry_cost` is what its last
    /// retry took from the AWS quota (None: it made no retry).
    pub fn on_request_success(&mut self, g: &Guards, client: usize, retry_cost: Option<i64>) {
        if let Some(b) = &g.budget {
            b.on_request_success(&mut self.budget[client], retry_cost);
        }
    }

    /// Nanoseconds of open breaker, summed over clients, up to `end` (an
    /// opening still running at `end` counts until then).
    pub fn breaker_open_ns(&self, end: SimTime) -> u128 {
        let overhang: u128 = self.breaker.iter().map(|b| b.open_beyond(end)).sum();
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

    /// The adaptive rate limiter of `client`, if the throttle is one.
    #[cfg(test)]
    pub(crate) fn cubic(&self, client: usize) -> Option<&Cubic> {
        match self.throttle.get(client) {
            Some(ThrottleState::Cubic(c)) => Some(c),
            _ => None,
        }
    }

    /// Whether `client`'s breaker is open (not yet half-open) at `now`.
    #[cfg(test)]
    pub(crate) fn breaker_is_open(&mut self, client: usize, now: SimTime) -> bool {
        self.breaker
            .get_mut(client)
            .is_some_and(|b| matches!(b.phase(now), breaker::Phase::Open { .. }))
    }
}

#[cfg(test)]
mod tests;
