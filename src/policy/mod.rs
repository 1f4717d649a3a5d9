//! Client retry policies: what a client does after a failed attempt.
//!
//! A [`Strategy`] is one of the alternatives a scenario compares: a backoff
//! schedule ([`backoff`]), a limit on attempts and time, which failures are
//! retried, and whether the server's `Retry-After` is obeyed.

#[macro_use]
mod named;

pub mod backoff;
pub mod client;
pub mod guard;
pub mod preset;

use crate::time::{SimDuration, SimTime};
use backoff::{Backoff, BackoffState};
use rand::Rng;

/// A set of failures (which are retried, which send a request to its
/// fallback model).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryOn {
    /// 429 Too Many Requests.
    pub rate_limited: bool,
    /// 500 Internal Server Error.
    pub http_500: bool,
    /// 503 Service Unavailable (also outages and a full server queue).
    pub http_503: bool,
    /// 529 Overloaded.
    pub http_529: bool,
    /// The client's per-attempt timeout.
    pub timeout: bool,
    /// 409 Conflict: an optimistic-concurrency write lost the race.
    pub conflict: bool,
}

impl RetryOn {
    /// Names as written in `retry_on = [...]`; "5xx" means 500, 503 and 529.
    pub const NAMES: [&'static str; 7] = ["429", "5xx", "500", "503", "529", "timeout", "409"];

    /// Every failure: the default of `retry_on`.
    pub const ALL: RetryOn = RetryOn {
        rate_limited: true,
        http_500: true,
        http_503: true,
        http_529: true,
        timeout: true,
        conflict: true,
    };

    /// No failure.
    pub const NOTHING: RetryOn = RetryOn {
        rate_limited: false,
        http_500: false,
        http_503: false,
        http_529: false,
        timeout: false,
        conflict: false,
    };

    /// Adds one scenario-file name; false if the name is unknown.
    pub fn add(&mut self, name: &str) -> bool {
        match name {
            "429" => self.rate_limited = true,
            "5xx" => {
                self.http_500 = true;
                self.http_503 = true;
                self.http_529 = true;
            }
            "500" => self.http_500 = true,
            "503" => self.http_503 = true,
            "529" => self.http_529 = true,
            "timeout" => self.timeout = true,
            "409" => self.conflict = true,
            _ => return false,
        }
        true
    }

    /// The scenario-file names, in canonical order ("5xx" for all three).
    pub fn names(&self) -> Vec<&'static str> {
        let all_5xx = self.http_500 && self.http_503 && self.http_529;
        let flags = [
            self.rate_limited,
            all_5xx,
            self.http_500 && !all_5xx,
            self.http_503 && !all_5xx,
            self.http_529 && !all_5xx,
            self.timeout,
            self.conflict,
        ];
        Self::NAMES
            .iter()
            .zip(flags)
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect()
    }

    /// True if `failure` is in the set.
    pub fn covers(&self, failure: Failure) -> bool {
        match failure {
            Failure::RateLimited { .. } => self.rate_limited,
            Failure::ServerError { status: 500 } => self.http_500,
            Failure::ServerError { status: 529 } => self.http_529,
            Failure::ServerError { .. } => self.http_503,
            Failure::Timeout => self.timeout,
            Failure::Conflict => self.conflict,
        }
    }
}

/// How an attempt failed, as the client sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 429, with the `Retry-After` value if one was sent.
    RateLimited { retry_after: Option<SimDuration> },
    /// A 5xx answer: 500, 503 or 529.
    ServerError { status: u16 },
    /// No answer within the client's timeout.
    Timeout,
    /// 409: the optimistic-concurrency write found the version changed.
    Conflict,
}

named_kinds! {
    /// What a client does with a `Retry-After` longer than its maximum.
    pub enum AboveMax {
        /// Waits its own backoff delay instead (openai-python, anthropic-sdk-python).
        Backoff = "backoff",
        /// Gives the request up.
        GiveUp = "give_up",
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
        }
    }

    /// Decides what follows a failure of attempt number `attempts_made`
    /// (1-based) of a request created at `created`, at time `now`.
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
        if let (
            true,
            Failure::RateLimited {
                retry_after: Some(ra),
            },
        ) = (self.honor_retry_after, failure)
        {
            // SDKs honour 0 < Retry-After ≤ their maximum; a zero value
            // falls back to their own backoff.
            if self.max_retry_after.is_some_and(|max| ra > max) {
                if self.above_max_retry_after == AboveMax::GiveUp {
                    return Decision::GiveUp(GiveUp::RetryAfterTooLong);
                }
            } else if ra > 0 {
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
            decide(&s, Failure::ServerError { status: 503 }, 1, 0),
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

    #[test]
    fn retry_on_names_round_trip() {
        let mut r = RetryOn::NOTHING;
        assert!(r.add("timeout") && r.add("429") && !r.add("404"));
        assert_eq!(r.names(), ["429", "timeout"]);
        assert_eq!(RetryOn::ALL.names(), ["429", "5xx", "timeout", "409"]);
        let mut only = RetryOn::NOTHING;
        assert!(only.add("529") && only.add("500"));
        assert_eq!(only.names(), ["500", "529"]);
        assert!(only.covers(Failure::ServerError { status: 529 }));
        assert!(!only.covers(Failure::ServerError { status: 503 }));
    }
}
