//! The client as a stack of retry layers: everything a request's retry
//! behaviour needs, behind the hooks the engine calls.
//!
//! A [`RetryLayer`] is one retry loop: a strategy's backoff schedule,
//! attempt limit, deadline, `Retry-After` rule, fallback model and guards
//! (budget, breaker, throttle), with the state they keep for a run: the
//! guards' per-client state and the per-request-slot columns (the 429's
//! `Retry-After`, the AWS quota's cost of the last retry, the backoff
//! schedule's state). A [`RetryStack`] is what the engine holds; today it
//! wraps exactly one layer.
//!
//! The engine keeps events, timers and metrics, and calls the stack at
//! fixed points of an attempt's life:
//!
//! 1. [`RetryStack::start`] when a request takes a slot;
//! 2. [`RetryStack::before_send`] before every attempt: send it, wait, or
//!    reject it locally (which ends the request); after a wait,
//!    [`RetryStack::past_deadline`];
//! 3. [`RetryStack::model`] and [`RetryStack::attempt_limit`] as it is
//!    sent: where it goes, and how long the client waits for it;
//! 4. [`RetryStack::on_outcome`] when the client learns how it went (an
//!    answer, or its timeout);
//! 5. [`RetryStack::after_failure`] after a failed one: retry after a
//!    delay, or give up with a reason ([`GiveUp::by_guard`] tells the
//!    engine whether a guard denied the retry);
//! 6. [`RetryStack::breaker_open_ns`] at the end of the run.
//!
//! Nesting (an application's retry loop around an SDK's around a
//! gateway's) would make the stack a list of layers, outermost first, each
//! with its own attempt counter in a slot column of its own (the engine's
//! count stays that of attempts sent on the wire, the innermost layer's).
//! An attempt passes every layer's `before_send`, outermost first; a
//! failure goes to the innermost layer's `after_failure`, and when that
//! layer gives up, the layer around it sees the failure as its own
//! attempt's and decides in turn, with its attempt counter advanced and
//! the inner layer's started again. The hooks and their order stay the
//! same, so the engine would not change.
//!
//! The random draws happen in the order the engine calls the hooks: a
//! throttle's in `before_send`, the schedule's in `after_failure`.

use super::backoff::BackoffState;
use super::guard::{Denied, Gate, GuardState, Outcome};
use super::{Decision, Failure, GiveUp, Strategy};
use crate::slots::SlotColumn;
use crate::time::{SimDuration, SimTime};
use rand::Rng;

/// Bytes a run of `strategy` with `clients` clients allocates for the
/// clients' retry state before its first event (the guards' per-client
/// state).
pub fn client_state_bytes(strategy: &Strategy, clients: u32) -> u64 {
    u64::from(clients).saturating_mul(strategy.guards.client_bytes())
}

/// A request as the retry policy sees it after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// The client that sent it.
    pub client: u32,
    /// Attempts made so far, the failed one included (1-based).
    pub made: u32,
    /// When the request was created.
    pub created: SimTime,
}

/// One retry loop: a strategy and the state it keeps for a run.
pub struct RetryLayer<'s> {
    strategy: &'s Strategy,
    /// The guards' state per client (None: the strategy has none).
    guards: Option<GuardState>,
    /// The `Retry-After` of the current attempt's 429, set when the
    /// limiter rejects it and read when the answer arrives (kept when the
    /// strategy honours Retry-After).
    retry_after: SlotColumn<Option<SimDuration>>,
    /// What the last retry took from the AWS retry quota (None: no retry
    /// was made; kept when the strategy has guards).
    quota_cost: SlotColumn<Option<u32>>,
    /// The backoff schedule's state (schedules that have one).
    backoff: SlotColumn<BackoffState>,
}

impl<'s> RetryLayer<'s> {
    fn try_new(
        strategy: &'s Strategy,
        clients: usize,
    ) -> Result<Self, std::collections::TryReserveError> {
        let guarded = !strategy.guards.is_empty();
        let guards = match guarded {
            true => Some(GuardState::try_new(&strategy.guards, clients)?),
            false => None,
        };
        Ok(RetryLayer {
            strategy,
            guards,
            retry_after: SlotColumn::new(strategy.honor_retry_after),
            quota_cost: SlotColumn::new(guarded),
            backoff: SlotColumn::new(strategy.backoff.has_state()),
        })
    }

    /// Bytes the layer keeps per request slot for `strategy`.
    fn slot_bytes(strategy: &Strategy) -> usize {
        let column = |kept: bool, bytes: usize| if kept { bytes } else { 0 };
        column(strategy.honor_retry_after, size_of::<Option<SimDuration>>())
            + column(!strategy.guards.is_empty(), size_of::<Option<u32>>())
            + column(strategy.backoff.has_state(), size_of::<BackoffState>())
    }

    #[inline]
    fn start(&mut self, req: u32) {
        self.retry_after.reset(req, None);
        self.quota_cost.reset(req, None);
        self.backoff
            .reset(req, self.strategy.backoff.initial_state());
    }

    #[inline]
    fn before_send<R: Rng + ?Sized>(
        &mut self,
        now: SimTime,
        client: u32,
        first: bool,
        rng: &mut R,
    ) -> Gate {
        match &mut self.guards {
            Some(g) => g.before_send(&self.strategy.guards, client as usize, now, first, rng),
            None => Gate::Send,
        }
    }

    #[inline]
    fn on_outcome(&mut self, now: SimTime, req: u32, client: u32, failure: Option<Failure>) {
        let Some(g) = &mut self.guards else {
            return;
        };
        let (guards, client) = (&self.strategy.guards, client as usize);
        let outcome = Outcome {
            success: failure.is_none(),
            throttled: matches!(failure, Some(Failure::RateLimited { .. })),
            retryable: failure.is_some_and(|f| self.strategy.retry_on.covers(f)),
        };
        g.on_outcome(guards, client, now, outcome);
        if failure.is_none() {
            let cost = self.quota_cost.get(req);
            g.on_request_success(guards, client, cost.map(i64::from));
        }
    }

    #[inline]
    fn after_failure<R: Rng + ?Sized>(
        &mut self,
        now: SimTime,
        req: u32,
        a: Attempt,
        failure: Failure,
        rng: &mut R,
    ) -> Decision {
        // Schedules without state are given a scratch one.
        let mut scratch = BackoffState::default();
        let backoff = if self.backoff.kept() {
            self.backoff.get_mut(req)
        } else {
            &mut scratch
        };
        let decision = self
            .strategy
            .decide(failure, a.made, a.created, now, backoff, rng);
        // The guards are asked last, so that a retry the strategy would
        // not make costs nothing.
        let (Decision::Retry { .. }, Some(g)) = (decision, &mut self.guards) else {
            return decision;
        };
        let timeout = failure == Failure::Timeout;
        match g.allow_retry(&self.strategy.guards, a.client as usize, now, timeout) {
            Ok(cost) => {
                self.quota_cost.set(req, Some(cost as u32));
                decision
            }
            Err(Denied::Budget) => Decision::GiveUp(GiveUp::Budget),
            Err(Denied::Breaker) => Decision::GiveUp(GiveUp::Breaker),
        }
    }
}

/// The retry behaviour of a run's clients: a stack of [`RetryLayer`]s,
/// today exactly one (see the module documentation).
pub struct RetryStack<'s> {
    layer: RetryLayer<'s>,
}

impl<'s> RetryStack<'s> {
    /// The stack of `strategy` for `clients` clients, or an error when the
    /// system does not give the memory for the clients' state (see
    /// [`client_state_bytes`]).
    pub fn try_new(
        strategy: &'s Strategy,
        clients: usize,
    ) -> Result<Self, std::collections::TryReserveError> {
        Ok(RetryStack {
            layer: RetryLayer::try_new(strategy, clients)?,
        })
    }

    /// Bytes the stack keeps per request slot for `strategy`, besides the
    /// engine's slot.
    pub fn slot_bytes(strategy: &Strategy) -> usize {
        RetryLayer::slot_bytes(strategy)
    }

    /// A new request takes slot `req`.
    #[inline]
    pub fn start(&mut self, req: u32) {
        self.layer.start(req);
    }

    /// The 429 the limiter gave the current attempt of `req` carries this
    /// `Retry-After` (kept only if the strategy honours it).
    #[inline]
    pub fn set_retry_after(&mut self, req: u32, retry_after: Option<SimDuration>) {
        self.layer.retry_after.set(req, retry_after);
    }

    /// The `Retry-After` of the current attempt's 429 (None when the
    /// strategy does not honour it).
    #[inline]
    pub fn retry_after(&self, req: u32) -> Option<SimDuration> {
        self.layer.retry_after.get(req)
    }

    /// An attempt of `client` is about to be sent at `now` (`first`: the
    /// request's first): send it, wait, or reject it locally.
    #[inline]
    pub fn before_send<R: Rng + ?Sized>(
        &mut self,
        now: SimTime,
        client: u32,
        first: bool,
        rng: &mut R,
    ) -> Gate {
        self.layer.before_send(now, client, first, rng)
    }

    /// The model the next attempt goes to (`on_fallback`: an earlier
    /// failure of the request sent it to the fallback).
    #[inline]
    pub fn model(&self, on_fallback: bool) -> u8 {
        match &self.layer.strategy.fallback {
            Some(f) if on_fallback => f.model as u8,
            _ => 0,
        }
    }

    /// How long the client waits for an attempt sent at `now` of a request
    /// created at `created`: the strategy's timeout or else `default`, cut
    /// short by the request's deadline (None: it waits for ever).
    #[inline]
    pub fn attempt_limit(
        &self,
        now: SimTime,
        created: SimTime,
        default: Option<SimDuration>,
        attempt: u32,
    ) -> Option<SimDuration> {
        let s = self.layer.strategy;
        let mut limit = s.attempt_timeout(attempt).or(default);
        if let Some(deadline) = s.deadline {
            let left = created.saturating_add(deadline).saturating_sub(now);
            limit = Some(limit.map_or(left, |t| t.min(left)));
        }
        limit
    }

    /// True if at `now` the deadline of a request created at `created`
    /// has passed (no attempt of it starts then).
    #[inline]
    pub fn past_deadline(&self, now: SimTime, created: SimTime) -> bool {
        let deadline = self.layer.strategy.deadline;
        deadline.is_some_and(|d| now >= created.saturating_add(d))
    }

    /// The client `client` learned at `now` how the current attempt of
    /// `req` went (`None`: it succeeded).
    #[inline]
    pub fn on_outcome(&mut self, now: SimTime, req: u32, client: u32, failure: Option<Failure>) {
        self.layer.on_outcome(now, req, client, failure);
    }

    /// Whether after `failure` the request's further attempts go to the
    /// fallback model.
    #[inline]
    pub fn falls_back(&self, failure: Failure) -> bool {
        self.layer
            .strategy
            .fallback
            .as_ref()
            .is_some_and(|f| f.on.covers(failure))
    }

    /// What follows the failure at `now` of attempt `a` of the request in
    /// slot `req`: a retry after a delay, or giving up.
    #[inline]
    pub fn after_failure<R: Rng + ?Sized>(
        &mut self,
        now: SimTime,
        req: u32,
        a: Attempt,
        failure: Failure,
        rng: &mut R,
    ) -> Decision {
        self.layer.after_failure(now, req, a, failure, rng)
    }

    /// True if retry delays are random draws (they come in no order).
    #[inline]
    pub fn jittered(&self) -> bool {
        self.layer.strategy.backoff.is_jittered()
    }

    /// Nanoseconds of open breaker summed over clients up to `end` (None:
    /// the strategy has no guards).
    pub fn breaker_open_ns(&self, end: SimTime) -> Option<u128> {
        self.layer.guards.as_ref().map(|g| g.breaker_open_ns(end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::backoff::Backoff;
    use crate::policy::guard::Budget;
    use crate::policy::preset::POLLY_BREAKER;
    use crate::time::NANOS_PER_SEC as S;
    use rand::SeedableRng;
    use rand_pcg::Pcg64;

    #[test]
    fn client_state_is_the_guards_bytes_per_client() {
        let mut s = Strategy::new("s", Backoff::None);
        assert_eq!(client_state_bytes(&s, 1000), 0);
        s.guards.breaker = Some(POLLY_BREAKER);
        assert_eq!(client_state_bytes(&s, 20_000_000), 20_000_000 * 176);
    }

    #[test]
    fn a_guard_denies_only_retries_the_strategy_would_make() {
        let mut s = Strategy::new("s", Backoff::Constant { base: S });
        s.max_attempts = 2;
        // One retry's worth of tokens.
        s.guards.budget = Some(Budget::ClientBucket {
            size: 1,
            deposit: 0,
            cost: 1,
            initial: 1,
            on_success: false,
        });
        let mut stack = RetryStack::try_new(&s, 1).unwrap();
        let rng = &mut Pcg64::seed_from_u64(0);
        let a = |made| Attempt {
            client: 0,
            made,
            created: 0,
        };
        stack.start(0);
        assert_eq!(stack.before_send(0, 0, true, rng), Gate::Send);
        // The last attempt: the strategy gives up, the budget is not asked.
        let last = stack.after_failure(0, 0, a(2), Failure::Timeout, rng);
        assert_eq!(last, Decision::GiveUp(GiveUp::Attempts));
        assert!(!GiveUp::Attempts.by_guard());
        let first = stack.after_failure(0, 0, a(1), Failure::Timeout, rng);
        assert_eq!(first, Decision::Retry { delay: S });
        let again = stack.after_failure(0, 0, a(1), Failure::Timeout, rng);
        assert_eq!(again, Decision::GiveUp(GiveUp::Budget));
        assert!(GiveUp::Budget.by_guard());
        assert_eq!(stack.breaker_open_ns(10 * S), Some(0));
    }

    #[test]
    fn attempts_wait_for_the_timeout_cut_short_by_the_deadline() {
        let mut s = Strategy::new("s", Backoff::None);
        let stack = RetryStack::try_new(&s, 1).unwrap();
        assert_eq!(stack.attempt_limit(0, 0, None, 1), None);
        assert_eq!(stack.attempt_limit(0, 0, Some(3 * S), 1), Some(3 * S));
        s.timeout = Some(2 * S);
        s.deadline = Some(5 * S);
        let stack = RetryStack::try_new(&s, 1).unwrap();
        assert_eq!(stack.attempt_limit(S, 0, Some(3 * S), 1), Some(2 * S));
        assert_eq!(stack.attempt_limit(4 * S, 0, None, 1), Some(S));
        assert_eq!(stack.breaker_open_ns(S), None);
        assert_eq!(stack.model(true), 0);
    }
}
