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
//! A strategy with inner layers (an application's retry loop around an
//! SDK's, around a gateway's) makes the stack a list of layers, outermost
//! first. Each keeps its own attempt counter and the time its current
//! attempt started, in slot columns of its own; the engine's count stays
//! that of attempts sent on the wire. An attempt on the wire is a new
//! attempt of the innermost layer and, after an outer layer decided to
//! retry, of that layer and of every layer inside it, each of which then
//! starts a new call: those layers' guards are asked before it is sent,
//! outermost first. A failure goes to the innermost layer, or, for a
//! timeout, to the outermost layer whose own timeout or deadline ran out;
//! when that layer gives up, the layer around it sees the same failure as
//! its own attempt's, and decides in turn. The hooks and their order are
//! the same for one layer as for many.
//!
//! The random draws happen in the order the engine calls the hooks: a
//! throttle's in `before_send`, the schedule's in `after_failure`.

use super::backoff::BackoffState;
use super::guard::{Denied, Gate, GuardState, Outcome};
use super::{Decision, Failure, Fallback, GiveUp, Site, Strategy};
use crate::slots::SlotColumn;
use crate::time::{SimDuration, SimTime};
use rand::Rng;

/// Bytes a run of `strategy` with `clients` clients allocates for the
/// clients' retry state before its first event (the guards' per-client
/// state, of every layer).
pub fn client_state_bytes(strategy: &Strategy, clients: u32) -> u64 {
    strategy.layers().fold(0u64, |sum, layer| {
        let clients = match layer.at {
            Site::Client => u64::from(clients),
            Site::Gateway => 1,
        };
        sum.saturating_add(clients.saturating_mul(layer.guards.client_bytes()))
    })
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
    /// What the last retry took from the AWS retry quota (None: no retry
    /// was made; kept when the strategy has guards).
    quota_cost: SlotColumn<Option<u32>>,
    /// The backoff schedule's state (schedules that have one).
    backoff: SlotColumn<BackoffState>,
    /// Attempts of the layer's current call (kept in a stack of layers;
    /// one layer's are the engine's count).
    made: SlotColumn<u32>,
    /// When the layer's current attempt started (kept in a stack).
    started: SlotColumn<SimTime>,
    /// Attempts the layer began in the run (counted in a stack).
    attempts: u64,
    /// For a layer at a gateway shared by every client, the clients it
    /// serves (its guards see them all as one); None in each client.
    gateway: Option<usize>,
}

/// Which client's guard state `client`'s attempts use: its own, or the
/// gateway's one (`gateway`: see [`RetryLayer`]).
#[inline(always)]
fn guard_index(gateway: Option<usize>, client: u32) -> usize {
    if gateway.is_some() {
        0
    } else {
        client as usize
    }
}

impl<'s> RetryLayer<'s> {
    fn try_new(
        strategy: &'s Strategy,
        clients: usize,
        nested: bool,
    ) -> Result<Self, std::collections::TryReserveError> {
        let guarded = !strategy.guards.is_empty();
        let gateway = (strategy.at == Site::Gateway).then_some(clients);
        // A gateway's guards keep one state, for every client.
        let guards = match guarded {
            true => Some(GuardState::try_new(
                &strategy.guards,
                gateway.map_or(clients, |_| 1),
            )?),
            false => None,
        };
        Ok(RetryLayer {
            strategy,
            guards,
            quota_cost: SlotColumn::new(guarded),
            backoff: SlotColumn::new(strategy.backoff.has_state()),
            made: SlotColumn::new(nested),
            started: SlotColumn::new(nested),
            attempts: 0,
            gateway,
        })
    }

    /// Bytes the layer keeps per request slot for `strategy`.
    fn slot_bytes(strategy: &Strategy, nested: bool) -> usize {
        let column = |kept: bool, bytes: usize| if kept { bytes } else { 0 };
        column(!strategy.guards.is_empty(), size_of::<Option<u32>>())
            + column(strategy.backoff.has_state(), size_of::<BackoffState>())
            + column(nested, size_of::<u32>() + size_of::<SimTime>())
    }

    /// A new call of the layer's starts in slot `req` (a new request, or
    /// a new attempt of the layer around it).
    #[inline]
    fn start(&mut self, req: u32) {
        self.quota_cost.reset(req, None);
        self.backoff
            .reset(req, self.strategy.backoff.initial_state());
        self.made.reset(req, 0);
        self.started.reset(req, 0);
    }

    #[inline(always)]
    fn before_send<R: Rng + ?Sized>(
        &mut self,
        now: SimTime,
        client: u32,
        first: bool,
        rng: &mut R,
    ) -> Gate {
        let client = guard_index(self.gateway, client);
        match &mut self.guards {
            Some(g) => g.before_send(&self.strategy.guards, client, now, first, rng),
            None => Gate::Send,
        }
    }

    #[inline(always)]
    fn on_outcome(&mut self, now: SimTime, req: u32, client: u32, failure: Option<Failure>) {
        let Some(g) = &mut self.guards else {
            return;
        };
        let client = guard_index(self.gateway, client);
        let guards = &self.strategy.guards;
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

    #[inline(always)]
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
        let client = guard_index(self.gateway, a.client);
        match g.allow_retry(&self.strategy.guards, client, now, timeout) {
            Ok(cost) => {
                self.quota_cost.set(req, Some(cost as u32));
                decision
            }
            Err(Denied::Budget) => Decision::GiveUp(GiveUp::Budget),
            Err(Denied::Breaker) => Decision::GiveUp(GiveUp::Breaker),
        }
    }

    /// The layer's own limit on its current attempt, number `made`, as
    /// the time it runs out: its timeout from the attempt's start, its
    /// deadline from the start of its call (None: it has neither).
    #[inline]
    fn expires(&self, attempt_start: SimTime, call_start: SimTime, made: u32) -> Option<SimTime> {
        let s = self.strategy;
        let timeout = s
            .attempt_timeout(made)
            .map(|t| attempt_start.saturating_add(t));
        let deadline = s.deadline.map(|d| call_start.saturating_add(d));
        match (timeout, deadline) {
            (Some(t), Some(d)) => Some(t.min(d)),
            (t, d) => t.or(d),
        }
    }
}

/// The retry behaviour of a run's clients: a stack of [`RetryLayer`]s,
/// outermost first (see the module documentation).
pub struct RetryStack<'s> {
    /// The outermost layer; for most strategies the only one.
    outer: RetryLayer<'s>,
    /// The layers inside it, outermost first.
    inner: Vec<RetryLayer<'s>>,
    /// The `Retry-After` of the current attempt's 429, set when the
    /// limiter rejects it and read when the answer arrives (kept when some
    /// layer honours Retry-After).
    retry_after: SlotColumn<Option<SimDuration>>,
    /// The outermost layer that starts a new attempt with the request's
    /// next attempt on the wire: 0 for a new request, else the layer that
    /// decided the retry (kept in a stack of layers).
    restart: SlotColumn<u8>,
}

/// Most layers a strategy may stack.
pub const MAX_LAYERS: usize = 8;

impl<'s> RetryStack<'s> {
    /// The stack of `strategy` for `clients` clients, or an error when the
    /// system does not give the memory for the clients' state (see
    /// [`client_state_bytes`]).
    pub fn try_new(
        strategy: &'s Strategy,
        clients: usize,
    ) -> Result<Self, std::collections::TryReserveError> {
        debug_assert!(strategy.inner.len() < MAX_LAYERS);
        let nested = !strategy.inner.is_empty();
        let mut inner = Vec::with_capacity(strategy.inner.len());
        for layer in &strategy.inner {
            debug_assert!(layer.inner.is_empty(), "layers do not nest further");
            inner.push(RetryLayer::try_new(layer, clients, true)?);
        }
        Ok(RetryStack {
            outer: RetryLayer::try_new(strategy, clients, nested)?,
            inner,
            retry_after: SlotColumn::new(strategy.layers().any(|l| l.honor_retry_after)),
            restart: SlotColumn::new(nested),
        })
    }

    /// Bytes the stack keeps per request slot for `strategy`, besides the
    /// engine's slot.
    pub fn slot_bytes(strategy: &Strategy) -> usize {
        let nested = !strategy.inner.is_empty();
        let honoured = strategy.layers().any(|l| l.honor_retry_after);
        strategy
            .layers()
            .map(|l| RetryLayer::slot_bytes(l, nested))
            .sum::<usize>()
            + if honoured {
                size_of::<Option<SimDuration>>()
            } else {
                0
            }
            + if nested { size_of::<u8>() } else { 0 }
    }

    /// True if the strategy has inner layers.
    #[inline]
    fn nested(&self) -> bool {
        !self.inner.is_empty()
    }

    /// Layer `j`, 0 the outermost.
    #[inline]
    fn layer(&self, j: usize) -> &RetryLayer<'s> {
        match j {
            0 => &self.outer,
            _ => &self.inner[j - 1],
        }
    }

    #[inline]
    fn layer_mut(&mut self, j: usize) -> &mut RetryLayer<'s> {
        match j {
            0 => &mut self.outer,
            _ => &mut self.inner[j - 1],
        }
    }

    /// When the current call of layer `j` started: the request's creation
    /// for the outermost, else the start of the current attempt of the
    /// layer around it.
    #[inline]
    fn call_start(&self, j: usize, req: u32, created: SimTime) -> SimTime {
        match j {
            0 => created,
            _ => self.layer(j - 1).started.get(req),
        }
    }

    /// A new request takes slot `req`.
    #[inline]
    pub fn start(&mut self, req: u32) {
        self.retry_after.reset(req, None);
        self.outer.start(req);
        for layer in &mut self.inner {
            layer.start(req);
        }
        self.restart.reset(req, 0);
    }

    /// The 429 the limiter gave the current attempt of `req` carries this
    /// `Retry-After` (kept only if a layer honours it).
    #[inline]
    pub fn set_retry_after(&mut self, req: u32, retry_after: Option<SimDuration>) {
        self.retry_after.set(req, retry_after);
    }

    /// The `Retry-After` of the current attempt's 429 (None when no layer
    /// honours it).
    #[inline]
    pub fn retry_after(&self, req: u32) -> Option<SimDuration> {
        self.retry_after.get(req)
    }

    /// An attempt of request `req` of `client` is about to be sent at
    /// `now` (`first`: the request's first): send it, wait, or reject it
    /// locally. In a stack, every layer that starts a new attempt with it
    /// counts it and asks its guards, outermost first: a rejection by any
    /// rejects it, and it waits for the longest wait asked.
    #[inline]
    pub fn before_send<R: Rng + ?Sized>(
        &mut self,
        now: SimTime,
        req: u32,
        client: u32,
        first: bool,
        rng: &mut R,
    ) -> Gate {
        if !self.nested() {
            return self.outer.before_send(now, client, first, rng);
        }
        self.stacked_before_send(now, req, client, rng)
    }

    /// [`Self::before_send`] for a stack of layers, out of line.
    #[inline(never)]
    fn stacked_before_send<R: Rng + ?Sized>(
        &mut self,
        now: SimTime,
        req: u32,
        client: u32,
        rng: &mut R,
    ) -> Gate {
        let from = usize::from(self.restart.get(req));
        let mut gate = Gate::Send;
        for j in from..=self.inner.len() {
            let layer = self.layer_mut(j);
            if j > from {
                layer.start(req);
            }
            let made = layer.made.get(req) + 1;
            layer.made.set(req, made);
            layer.started.set(req, now);
            layer.attempts += 1;
            match (layer.before_send(now, client, made == 1, rng), gate) {
                (Gate::Reject, _) => return Gate::Reject,
                (Gate::Wait(d), Gate::Wait(e)) => gate = Gate::Wait(d.max(e)),
                (Gate::Wait(d), _) => gate = Gate::Wait(d),
                _ => {}
            }
        }
        gate
    }

    /// The model the next attempt goes to (`on_fallback`: an earlier
    /// failure of the request sent it to the fallback of a layer).
    #[inline]
    pub fn model(&self, on_fallback: bool) -> u8 {
        match self.fallback() {
            Some(f) if on_fallback => f.model as u8,
            _ => 0,
        }
    }

    /// The fallback of the stack: that of the one layer that has one.
    #[inline]
    fn fallback(&self) -> Option<&'s Fallback> {
        let outer = self.outer.strategy;
        match &outer.fallback {
            Some(f) => Some(f),
            None if self.nested() => outer.inner.iter().find_map(|l| l.fallback.as_ref()),
            None => None,
        }
    }

    /// How long the client waits for attempt number `attempt` of `req`
    /// sent at `now`, of a request created at `created`: the strategy's
    /// timeout for that attempt ([`Strategy::attempt_timeout`]) or else
    /// `default`, cut short by the request's deadline (None: it waits for
    /// ever). In a stack, each layer's timeout is for its own attempt's
    /// number, and `default` and the innermost layer's timeout bound
    /// the attempt on the wire, and every layer's own timeout and deadline
    /// bound it from when that layer's attempt and call started.
    #[inline]
    pub fn attempt_limit(
        &self,
        now: SimTime,
        req: u32,
        created: SimTime,
        default: Option<SimDuration>,
        attempt: u32,
    ) -> Option<SimDuration> {
        if !self.nested() {
            let s = self.outer.strategy;
            let mut limit = s.attempt_timeout(attempt).or(default);
            if let Some(deadline) = s.deadline {
                let left = created.saturating_add(deadline).saturating_sub(now);
                limit = Some(limit.map_or(left, |t| t.min(left)));
            }
            return limit;
        }
        self.stacked_attempt_limit(now, req, created, default)
    }

    /// [`Self::attempt_limit`] for a stack of layers, out of line.
    #[inline(never)]
    fn stacked_attempt_limit(
        &self,
        now: SimTime,
        req: u32,
        created: SimTime,
        default: Option<SimDuration>,
    ) -> Option<SimDuration> {
        let (mut limit, innermost) = (default, self.inner.len());
        for j in 0..=innermost {
            let layer = self.layer(j);
            let call = self.call_start(j, req, created);
            // The innermost layer's attempt is the one on the wire, sent
            // now (after any wait a guard asked for).
            let started = if j == innermost {
                now
            } else {
                layer.started.get(req)
            };
            if let Some(at) = layer.expires(started, call, layer.made.get(req)) {
                let left = at.saturating_sub(now);
                limit = Some(limit.map_or(left, |t| t.min(left)));
            }
        }
        limit
    }

    /// True if at `now` the deadline of request `req`, created at
    /// `created`, has passed (no attempt of it starts then); in a stack,
    /// the deadline of any layer's current call.
    #[inline]
    pub fn past_deadline(&self, now: SimTime, req: u32, created: SimTime) -> bool {
        (0..=self.inner.len()).any(|j| {
            let deadline = self.layer(j).strategy.deadline;
            let call = self.call_start(j, req, created);
            deadline.is_some_and(|d| now >= call.saturating_add(d))
        })
    }

    /// The client `client` learned at `now` how the current attempt of
    /// `req` went (`None`: it succeeded). A success ends the call of every
    /// layer; a failure is the innermost layer's, and the layers around
    /// it learn of it only when the layers inside them give up.
    #[inline(always)]
    pub fn on_outcome(&mut self, now: SimTime, req: u32, client: u32, failure: Option<Failure>) {
        if let Some(innermost) = self.inner.last_mut() {
            innermost.on_outcome(now, req, client, failure);
            if failure.is_some() {
                return;
            }
            let n = self.inner.len();
            for layer in &mut self.inner[..n - 1] {
                layer.on_outcome(now, req, client, None);
            }
        }
        self.outer.on_outcome(now, req, client, failure);
    }

    /// Whether after `failure` the request's further attempts go to the
    /// fallback model.
    #[inline]
    pub fn falls_back(&self, failure: Failure) -> bool {
        self.fallback().is_some_and(|f| f.on.covers(failure))
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
        if !self.nested() {
            return self.outer.after_failure(now, req, a, failure, rng);
        }
        self.stacked_after_failure(now, req, a, failure, rng)
    }

    /// [`Self::after_failure`] for a stack of layers, kept out of line so
    /// that the one-layer path stays small.
    #[inline(never)]
    fn stacked_after_failure<R: Rng + ?Sized>(
        &mut self,
        now: SimTime,
        req: u32,
        a: Attempt,
        failure: Failure,
        rng: &mut R,
    ) -> Decision {
        // The layer the failure belongs to: for a timeout, the outermost
        // whose own limit ran out (the layers inside it are abandoned).
        let innermost = self.inner.len();
        let mut j = innermost;
        if failure == Failure::Timeout {
            j = (0..innermost)
                .find(|&k| {
                    let layer = self.layer(k);
                    let call = self.call_start(k, req, a.created);
                    layer
                        .expires(layer.started.get(req), call, layer.made.get(req))
                        .is_some_and(|at| now >= at)
                })
                .unwrap_or(innermost);
        }
        loop {
            let created = self.call_start(j, req, a.created);
            let layer = self.layer_mut(j);
            let attempt = Attempt {
                client: a.client,
                made: layer.made.get(req),
                created,
            };
            match layer.after_failure(now, req, attempt, failure, rng) {
                Decision::Retry { delay } => {
                    self.restart.set(req, j as u8);
                    return Decision::Retry { delay };
                }
                Decision::GiveUp(why) if j == 0 => return Decision::GiveUp(why),
                // The layer's give-up is the failure of the attempt of the
                // layer around it, which sees the same failure.
                Decision::GiveUp(_) => {
                    j -= 1;
                    self.layer_mut(j)
                        .on_outcome(now, req, a.client, Some(failure));
                }
            }
        }
    }

    /// True if retry delays come in no order (random draws, or delays of
    /// different layers).
    #[inline]
    pub fn jittered(&self) -> bool {
        self.nested() || self.outer.strategy.backoff.is_jittered()
    }

    /// Nanoseconds of open breaker summed over clients and layers up to
    /// `end` (None: no layer has guards).
    pub fn breaker_open_ns(&self, end: SimTime) -> Option<u128> {
        // A gateway's one breaker is open for each client it serves.
        let open = |l: &RetryLayer| {
            let clients = l.gateway.map_or(1, |n| n as u128);
            l.guards.as_ref().map(|g| g.breaker_open_ns(end) * clients)
        };
        std::iter::once(&self.outer)
            .chain(&self.inner)
            .filter_map(open)
            .reduce(|a, b| a + b)
    }

    /// The attempts each layer began in the run, outermost first (None:
    /// one layer, whose attempts are those sent).
    pub fn layer_attempts(&self) -> Option<Vec<u64>> {
        self.nested().then(|| {
            std::iter::once(&self.outer)
                .chain(&self.inner)
                .map(|l| l.attempts)
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::RetryOn;
    use crate::policy::backoff::Backoff;
    use crate::policy::guard::Budget;
    use crate::policy::preset::POLLY_BREAKER;
    use crate::time::NANOS_PER_SEC as S;
    use rand::SeedableRng;
    use rand_pcg::Pcg64;

    /// A per-client retry bucket holding one retry's worth of tokens.
    const ONE_RETRY: Budget = Budget::ClientBucket {
        size: 1,
        deposit: 0,
        cost: 1,
        initial: 1,
        on_success: false,
    };

    /// Attempt `made` of a request of client 0 created at 0.
    fn attempt(made: u32) -> Attempt {
        Attempt {
            client: 0,
            made,
            created: 0,
        }
    }

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
        s.guards.budget = Some(ONE_RETRY);
        let mut stack = RetryStack::try_new(&s, 1).unwrap();
        let rng = &mut Pcg64::seed_from_u64(0);
        stack.start(0);
        assert_eq!(stack.before_send(0, 0, 0, true, rng), Gate::Send);
        // The last attempt: the strategy gives up, the budget is not asked.
        let last = stack.after_failure(0, 0, attempt(2), Failure::Timeout, rng);
        assert_eq!(last, Decision::GiveUp(GiveUp::Attempts));
        assert!(!GiveUp::Attempts.by_guard());
        let first = stack.after_failure(0, 0, attempt(1), Failure::Timeout, rng);
        assert_eq!(first, Decision::Retry { delay: S });
        let again = stack.after_failure(0, 0, attempt(1), Failure::Timeout, rng);
        assert_eq!(again, Decision::GiveUp(GiveUp::Budget));
        assert!(GiveUp::Budget.by_guard());
        assert_eq!(stack.breaker_open_ns(10 * S), Some(0));
    }

    #[test]
    fn attempts_wait_for_the_timeout_cut_short_by_the_deadline() {
        let mut s = Strategy::new("s", Backoff::None);
        let stack = RetryStack::try_new(&s, 1).unwrap();
        assert_eq!(stack.attempt_limit(0, 0, 0, None, 1), None);
        assert_eq!(stack.attempt_limit(0, 0, 0, Some(3 * S), 1), Some(3 * S));
        s.timeout = Some(2 * S);
        s.deadline = Some(5 * S);
        let stack = RetryStack::try_new(&s, 1).unwrap();
        assert_eq!(stack.attempt_limit(S, 0, 0, Some(3 * S), 1), Some(2 * S));
        assert_eq!(stack.attempt_limit(4 * S, 0, 0, None, 1), Some(S));
        assert_eq!(stack.breaker_open_ns(S), None);
        assert_eq!(stack.model(true), 0);
    }

    /// A stack of `outer` around `inner` layers, each with constant delays
    /// (the outer's 10 s, the inner's 1 s) and the given attempts.
    fn nested(outer: u32, inner: u32) -> Strategy {
        let mut s = Strategy::new("outer", Backoff::Constant { base: 10 * S });
        s.max_attempts = outer;
        let mut i = Strategy::new("inner", Backoff::Constant { base: S });
        i.max_attempts = inner;
        s.inner = vec![i];
        s
    }

    /// Drives one request of `strategy` against a provider that fails
    /// every attempt with `failure` at once: the times its attempts are
    /// sent, until the stack gives up.
    fn sends(strategy: &Strategy, failure: Failure) -> (Vec<SimTime>, Decision, Vec<u64>) {
        let mut stack = RetryStack::try_new(strategy, 1).unwrap();
        let rng = &mut Pcg64::seed_from_u64(0);
        stack.start(0);
        let (mut now, mut sent) = (0, Vec::new());
        loop {
            assert_eq!(
                stack.before_send(now, 0, 0, sent.is_empty(), rng),
                Gate::Send
            );
            sent.push(now);
            stack.on_outcome(now, 0, 0, Some(failure));
            let a = Attempt {
                client: 0,
                made: sent.len() as u32,
                created: 0,
            };
            match stack.after_failure(now, 0, a, failure, rng) {
                Decision::Retry { delay } => now += delay,
                gave_up => return (sent, gave_up, stack.layer_attempts().unwrap()),
            }
        }
    }

    #[test]
    fn an_outer_layer_of_2_around_an_inner_of_3_makes_6_attempts() {
        let failure = Failure::ServerError {
            status: 500,
            retry_after: None,
        };
        let (sent, end, layers) = sends(&nested(2, 3), failure);
        // The inner layer's 3 attempts 1 s apart, the outer's 10 s wait,
        // and the inner layer's 3 again.
        assert_eq!(sent, [0, S, 2 * S, 12 * S, 13 * S, 14 * S]);
        assert_eq!(end, Decision::GiveUp(GiveUp::Attempts));
        assert_eq!(layers, [2, 6]);
    }

    #[test]
    fn three_layers_of_4_attempts_make_64() {
        let mut s = nested(4, 4);
        s.inner.push(Strategy {
            max_attempts: 4,
            ..Strategy::new("innermost", Backoff::None)
        });
        let (sent, _, layers) = sends(&s, Failure::Timeout);
        assert_eq!(sent.len(), 64);
        assert_eq!(layers, [4, 16, 64]);
    }

    #[test]
    fn an_inner_failure_the_outer_layer_does_not_retry_ends_the_call() {
        let mut s = nested(5, 3);
        s.retry_on = RetryOn::NOTHING;
        s.retry_on.add("429");
        let (sent, end, layers) = sends(
            &s,
            Failure::ServerError {
                status: 503,
                retry_after: None,
            },
        );
        assert_eq!(sent.len(), 3);
        assert_eq!(end, Decision::GiveUp(GiveUp::NotRetryable));
        assert_eq!(layers, [1, 3]);
    }

    #[test]
    fn an_outer_timeout_abandons_the_inner_layer_and_counts_as_its_own_attempt() {
        // The outer layer gives each inner call 5 s; the inner layer waits
        // 2 s per attempt and 1 s between them.
        let mut s = nested(2, 10);
        s.timeout = Some(5 * S);
        s.inner[0].timeout = Some(2 * S);
        let mut stack = RetryStack::try_new(&s, 1).unwrap();
        let rng = &mut Pcg64::seed_from_u64(0);
        stack.start(0);
        assert_eq!(stack.before_send(0, 0, 0, true, rng), Gate::Send);
        assert_eq!(stack.attempt_limit(0, 0, 0, None, 1), Some(2 * S));
        // The inner layer's timeout: it retries after 1 s.
        let d = stack.after_failure(2 * S, 0, attempt(1), Failure::Timeout, rng);
        assert_eq!(d, Decision::Retry { delay: S });
        assert_eq!(stack.before_send(3 * S, 0, 0, false, rng), Gate::Send);
        // Sent at 3 s: the outer layer's 5 s run out at 5 s, first.
        assert_eq!(stack.attempt_limit(3 * S, 0, 0, None, 2), Some(2 * S));
        let d = stack.after_failure(5 * S, 0, attempt(2), Failure::Timeout, rng);
        // The outer layer's timeout: its own retry, after its 10 s.
        assert_eq!(d, Decision::Retry { delay: 10 * S });
        assert_eq!(stack.before_send(15 * S, 0, 0, false, rng), Gate::Send);
        assert_eq!(stack.layer_attempts(), Some(vec![2, 3]));
        // The outer layer's second attempt times out too: it gives up.
        let d = stack.after_failure(20 * S, 0, attempt(3), Failure::Timeout, rng);
        assert_eq!(d, Decision::GiveUp(GiveUp::Attempts));
    }

    #[test]
    fn a_gateway_layer_keeps_one_guard_state_for_every_client() {
        let mut s = nested(1, 2);
        s.inner[0].at = Site::Gateway;
        // One retry's worth of tokens, at the gateway.
        s.inner[0].guards.budget = Some(ONE_RETRY);
        assert_eq!(
            client_state_bytes(&s, 1000),
            s.inner[0].guards.client_bytes()
        );
        let mut stack = RetryStack::try_new(&s, 2).unwrap();
        let rng = &mut Pcg64::seed_from_u64(0);
        let failure = Failure::ServerError {
            status: 500,
            retry_after: None,
        };
        for (req, client) in [(0, 0), (1, 1)] {
            stack.start(req);
            assert_eq!(stack.before_send(0, req, client, true, rng), Gate::Send);
        }
        let first_of = |client| Attempt {
            client,
            ..attempt(1)
        };
        // Client 0 takes the gateway's one token; client 1 finds none.
        let d = stack.after_failure(0, 0, first_of(0), failure, rng);
        assert_eq!(d, Decision::Retry { delay: S });
        let d = stack.after_failure(0, 1, first_of(1), failure, rng);
        assert_eq!(d, Decision::GiveUp(GiveUp::Attempts));
    }
}
