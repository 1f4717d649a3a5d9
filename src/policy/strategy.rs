//! A retry strategy ([`Strategy`]): a backoff schedule, a limit on
//! attempts and time, which failures are retried, whether the server's
//! `Retry-After` is obeyed, a fallback model and guards; and what it
//! decides after a failure ([`Decision`]).

use super::backoff::{Backoff, BackoffState};
use super::failure::{Failure, RetryOn};
use super::growth::InputGrowth;
use super::guard;
use super::hedge::Hedge;
use crate::time::{SimDuration, SimTime};
use rand::Rng;

named_kinds! {
    /// What a client does with a `Retry-After` longer than its maximum.
    pub enum AboveMax {
        /// Waits its own backoff delay instead (openai-python, anthropic-sdk-python).
        Backoff = "backoff",
        /// Gives the request up.
        GiveUp = "give_up",
    }
}

named_kinds! {
    /// Where a retry layer runs.
    pub enum Site {
        /// In each client: its guards keep state per client.
        Client = "client",
        /// At a gateway in front of the provider shared by every client
        /// (a LiteLLM router or proxy): its guards keep one state for all.
        Gateway = "gateway",
    }
}

named_kinds! {
    /// What a client does with a `Retry-After` of zero (or a date in the
    /// past, which the model's servers never send: it reads as zero).
    pub enum ZeroRetryAfter {
        /// Waits its own backoff delay instead (openai-python: it honours
        /// only 0 < Retry-After).
        Backoff = "backoff",
        /// Retries at once (Polly).
        AtOnce = "at_once",
    }
}

/// Where a strategy sends a request after some failures: another model.
#[derive(Debug, Clone, PartialEq)]
pub struct Fallback {
    /// Index of the model in the scenario's model list (0 is the main one).
    pub model: usize,
    /// After one of these failures, this attempt's request sends every
    /// further attempt to the fallback model.
    pub on: RetryOn,
}

/// Why a request was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUp {
    /// The failure is not in `retry_on`.
    NotRetryable,
    /// `max_attempts` attempts were made.
    Attempts,
    /// The next attempt would start after the request's deadline.
    Deadline,
    /// `Retry-After` asked for a longer wait than the client accepts.
    RetryAfterTooLong,
    /// The retry budget had nothing left.
    Budget,
    /// The circuit breaker (scope `retries`) was not closed.
    Breaker,
}

impl GiveUp {
    /// True if a guard denied a retry the strategy wanted.
    pub fn by_guard(self) -> bool {
        matches!(self, GiveUp::Budget | GiveUp::Breaker)
    }
}

/// What the client does after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send the next attempt after this delay.
    Retry { delay: SimDuration },
    /// Stop; the request has failed.
    GiveUp(GiveUp),
}

/// One retry strategy of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Strategy {
    /// Unique name, used in reports and to seed the strategy's random stream.
    pub name: String,
    /// Delay schedule between attempts.
    pub backoff: Backoff,
    /// Attempts in total, the first included (>= 1).
    pub max_attempts: u32,
    /// Time from a request's creation after which no new attempt starts and
    /// an attempt in flight is cut short.
    pub deadline: Option<SimDuration>,
    /// The attempt timeout, instead of the scenario's `[client] timeout`.
    pub timeout: Option<SimDuration>,
    /// Which failures are retried.
    pub retry_on: RetryOn,
    /// Wait for the 429's `Retry-After` instead of the backoff delay.
    pub honor_retry_after: bool,
    /// Longest `Retry-After` that is honoured (`None`: any).
    pub max_retry_after: Option<SimDuration>,
    /// What to do with a longer one.
    pub above_max_retry_after: AboveMax,
    /// Another model for a request's attempts after some failures.
    pub fallback: Option<Fallback>,
    /// Retry budget, circuit breaker and client-side throttle.
    pub guards: guard::Guards,
    /// The client-library preset the strategy started from, if any.
    pub preset: Option<&'static str>,
    /// The retry layers inside this one, outermost first (empty: the
    /// strategy is one retry loop). Each is a whole retry policy of its
    /// own; the fields above are the outermost layer's. A call of this
    /// layer's makes attempts that are each a whole call of the next
    /// layer's, and only the innermost layer's attempts go on the wire.
    pub inner: Vec<Strategy>,
    /// Where this layer runs: in each client, or at a shared gateway.
    pub at: Site,
    /// How each retry grows the request's input tokens (default: not).
    pub input_growth: InputGrowth,
    /// Each attempt's timeout is the one before it times this (1: every
    /// attempt waits `timeout`); see [`Strategy::attempt_timeout`].
    pub timeout_multiplier: f64,
    /// The longest timeout the multiplier reaches (None: no cap).
    pub max_timeout: Option<SimDuration>,
    /// Attempt timeouts by attempt number, the last repeating (empty: the
    /// timeout and its multiplier decide).
    pub timeouts: Vec<SimDuration>,
    /// Hedged requests (None: one copy of each attempt).
    pub hedge: Option<Hedge>,
    /// The failures whose `Retry-After` is honoured (when
    /// `honor_retry_after`): 429 alone by default; 5xx answers carry one
    /// only if the server sends it.
    pub retry_after_on: RetryOn,
    /// What a `Retry-After` of zero means.
    pub zero_retry_after: ZeroRetryAfter,
}

impl Strategy {
    /// A strategy named `name` with `backoff` and every other setting at
    /// its scenario-file default.
    pub fn new(name: impl Into<String>, backoff: Backoff) -> Strategy {
        Strategy {
            name: name.into(),
            backoff,
            max_attempts: 5,
            deadline: None,
            timeout: None,
            retry_on: RetryOn::ALL,
            honor_retry_after: false,
            max_retry_after: None,
            above_max_retry_after: AboveMax::Backoff,
            fallback: None,
            guards: guard::Guards::default(),
            preset: None,
            inner: Vec::new(),
            at: Site::Client,
            input_growth: InputGrowth::default(),
            timeout_multiplier: 1.0,
            max_timeout: None,
            timeouts: Vec::new(),
            hedge: None,
            retry_after_on: RetryOn::RATE_LIMITED,
            zero_retry_after: ZeroRetryAfter::Backoff,
        }
    }

    /// The strategy's layers, outermost first: itself, then its inner ones.
    pub fn layers(&self) -> impl Iterator<Item = &Strategy> {
        std::iter::once(self).chain(self.inner.iter())
    }

    /// How long the client waits for attempt number `attempt` (1-based)
    /// by the strategy's own settings (None: they set no timeout): the
    /// `timeouts` list's `attempt`-th (its last for later attempts), or
    /// else min(timeout · timeout_multiplier^(attempt − 1), max_timeout).
    pub fn attempt_timeout(&self, attempt: u32) -> Option<SimDuration> {
        if let Some(last) = self.timeouts.last() {
            let i = (attempt.max(1) - 1) as usize;
            return Some(*self.timeouts.get(i).unwrap_or(last));
        }
        let t = self.timeout?;
        let grown = if self.timeout_multiplier == 1.0 || attempt <= 1 {
            t
        } else {
            let power = self
                .timeout_multiplier
                .powi((attempt - 1).min(1 << 16) as i32);
            crate::time::nanos_from_f64(t as f64 * power)
        };
        Some(self.max_timeout.map_or(grown, |m| grown.min(m)))
    }

    /// Decides what follows a failure of attempt number `attempts_made`
    /// (1-based) of a request created at `created`, at time `now`.
    #[inline(always)]
    pub fn decide<R: Rng + ?Sized>(
        &self,
        failure: Failure,
        attempts_made: u32,
        created: SimTime,
        now: SimTime,
        state: &mut BackoffState,
        rng: &mut R,
    ) -> Decision {
        if !self.retry_on.covers(failure) {
            return Decision::GiveUp(GiveUp::NotRetryable);
        }
        if attempts_made >= self.max_attempts {
            return Decision::GiveUp(GiveUp::Attempts);
        }
        let mut delay = self.backoff.delay(attempts_made - 1, state, rng);
        if let (true, Some(ra)) = (
            self.honor_retry_after && self.retry_after_on.covers(failure),
            failure.retry_after(),
        ) {
            // SDKs honour 0 < Retry-After ≤ their maximum; a zero value
            // falls back to their own backoff, unless the strategy retries
            // at once on it (Polly).
            if self.max_retry_after.is_some_and(|max| ra > max) {
                if self.above_max_retry_after == AboveMax::GiveUp {
                    return Decision::GiveUp(GiveUp::RetryAfterTooLong);
                }
            } else if ra > 0 || self.zero_retry_after == ZeroRetryAfter::AtOnce {
                delay = ra;
            }
        }
        if let Some(deadline) = self.deadline
            && now.saturating_add(delay) >= created.saturating_add(deadline)
        {
            return Decision::GiveUp(GiveUp::Deadline);
        }
        Decision::Retry { delay }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::NANOS_PER_SEC as S;
    use rand::SeedableRng;
    use rand_pcg::Pcg64;

    fn linear() -> Strategy {
        Strategy {
            max_attempts: 3,
            ..Strategy::new("linear", Backoff::Linear { base: S, cap: None })
        }
    }

    fn decide(s: &Strategy, f: Failure, attempts: u32, now: SimTime) -> Decision {
        let mut state = s.backoff.initial_state();
        s.decide(
            f,
            attempts,
            0,
            now,
            &mut state,
            &mut Pcg64::seed_from_u64(0),
        )
    }

    #[test]
    fn retries_until_max_attempts() {
        let s = linear();
        assert_eq!(
            decide(&s, Failure::Timeout, 1, 0),
            Decision::Retry { delay: S }
        );
        assert_eq!(
            decide(&s, Failure::Timeout, 2, 0),
            Decision::Retry { delay: 2 * S }
        );
        assert_eq!(
            decide(&s, Failure::Timeout, 3, 0),
            Decision::GiveUp(GiveUp::Attempts)
        );
    }

    #[test]
    fn only_listed_failures_are_retried() {
        let mut s = linear();
        s.retry_on = RetryOn::NOTHING;
        s.retry_on.add("429");
        let rl = Failure::RateLimited { retry_after: None };
        assert!(matches!(decide(&s, rl, 1, 0), Decision::Retry { .. }));
        assert_eq!(
            decide(&s, Failure::server(503), 1, 0),
            Decision::GiveUp(GiveUp::NotRetryable)
        );
        assert_eq!(
            decide(&s, Failure::Timeout, 1, 0),
            Decision::GiveUp(GiveUp::NotRetryable)
        );
    }

    #[test]
    fn retry_after_is_honoured_up_to_its_maximum() {
        let mut s = linear();
        let ra = |secs| Failure::RateLimited {
            retry_after: Some(secs * S),
        };
        assert_eq!(decide(&s, ra(7), 1, 0), Decision::Retry { delay: S });
        s.honor_retry_after = true;
        assert_eq!(decide(&s, ra(7), 1, 0), Decision::Retry { delay: 7 * S });
        s.max_retry_after = Some(5 * S);
        assert_eq!(decide(&s, ra(7), 1, 0), Decision::Retry { delay: S });
        assert_eq!(decide(&s, ra(5), 1, 0), Decision::Retry { delay: 5 * S });
        let none = Failure::RateLimited { retry_after: None };
        assert_eq!(decide(&s, none, 1, 0), Decision::Retry { delay: S });
        // Zero is not honoured (0 < value ≤ max), as in the OpenAI SDK.
        assert_eq!(decide(&s, ra(0), 1, 0), Decision::Retry { delay: S });
        // Above the maximum: back off, or give up.
        s.above_max_retry_after = AboveMax::GiveUp;
        assert_eq!(
            decide(&s, ra(7), 1, 0),
            Decision::GiveUp(GiveUp::RetryAfterTooLong)
        );
        assert_eq!(decide(&s, ra(5), 1, 0), Decision::Retry { delay: 5 * S });
    }

    #[test]
    fn the_attempt_timeout_grows_to_its_maximum_or_follows_the_list() {
        let mut s = linear();
        assert_eq!(s.attempt_timeout(1), None);
        s.timeout = Some(10 * S);
        assert_eq!(
            (s.attempt_timeout(1), s.attempt_timeout(4)),
            (Some(10 * S), Some(10 * S))
        );
        // 10 s · 2^(n−1): 10, 20, 40, then 80 cut to 60.
        s.timeout_multiplier = 2.0;
        s.max_timeout = Some(60 * S);
        let t: Vec<_> = (1..=5).map(|n| s.attempt_timeout(n).unwrap() / S).collect();
        assert_eq!(t, [10, 20, 40, 60, 60]);
        // 1.5 s · 1.5^2 = 3.375 s.
        s.timeout = Some(1_500_000_000);
        s.timeout_multiplier = 1.5;
        assert_eq!(s.attempt_timeout(3), Some(3_375_000_000));
        // A list wins, its last value repeating.
        s.timeouts = vec![S, 3 * S];
        let t: Vec<_> = (1..=4).map(|n| s.attempt_timeout(n).unwrap() / S).collect();
        assert_eq!(t, [1, 3, 3, 3]);
    }

    #[test]
    fn retry_after_on_5xx_and_zero_follow_their_settings() {
        let mut s = linear();
        s.honor_retry_after = true;
        let e503 = |secs| Failure::ServerError {
            status: 503,
            retry_after: Some(secs * S),
        };
        // By default only a 429's Retry-After is honoured.
        assert_eq!(decide(&s, e503(7), 1, 0), Decision::Retry { delay: S });
        s.retry_after_on.add("5xx");
        assert_eq!(decide(&s, e503(7), 1, 0), Decision::Retry { delay: 7 * S });
        // A 5xx without one backs off.
        let bare = Failure::server(503);
        assert_eq!(decide(&s, bare, 1, 0), Decision::Retry { delay: S });
        // The maximum applies to 5xx answers too.
        s.max_retry_after = Some(5 * S);
        s.above_max_retry_after = AboveMax::GiveUp;
        assert_eq!(
            decide(&s, e503(7), 1, 0),
            Decision::GiveUp(GiveUp::RetryAfterTooLong)
        );
        // Zero: backoff by default, at once if told.
        let ra0 = Failure::RateLimited {
            retry_after: Some(0),
        };
        assert_eq!(decide(&s, ra0, 1, 0), Decision::Retry { delay: S });
        assert_eq!(decide(&s, e503(0), 1, 0), Decision::Retry { delay: S });
        s.zero_retry_after = ZeroRetryAfter::AtOnce;
        assert_eq!(decide(&s, ra0, 1, 0), Decision::Retry { delay: 0 });
        assert_eq!(decide(&s, e503(0), 1, 0), Decision::Retry { delay: 0 });
        // Not when Retry-After is ignored.
        s.honor_retry_after = false;
        assert_eq!(decide(&s, ra0, 1, 0), Decision::Retry { delay: S });
    }

    #[test]
    fn deadline_stops_retries_that_would_start_too_late() {
        let mut s = linear();
        s.deadline = Some(10 * S);
        assert_eq!(
            decide(&s, Failure::Timeout, 1, 8 * S),
            Decision::Retry { delay: S }
        );
        assert_eq!(
            decide(&s, Failure::Timeout, 1, 9 * S),
            Decision::GiveUp(GiveUp::Deadline)
        );
    }
}
