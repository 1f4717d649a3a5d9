//! The circuit breaker: closed, open, half-open, over every attempt or
//! over retries only; its settings, its per-client state and that state's
//! size.

use super::window::{Pair, Slices};
use crate::time::{SimDuration, SimTime};

named_kinds! {
    /// Which attempts an open breaker stops.
    pub enum BreakerScope {
        /// Every attempt: rejected locally while open (the classic breaker).
        All = "all",
        /// Retries only: first tries are always sent, retries are denied
        /// unless the breaker is closed (the 2022 retry study's breaker).
        Retries = "retries",
    }
}

impl BreakerScope {
    /// How reports name a breaker of this scope.
    pub const fn label(self) -> &'static str {
        match self {
            BreakerScope::All => "breaker",
            BreakerScope::Retries => "retry breaker",
        }
    }
}

/// A circuit breaker. Closed, it counts attempt outcomes over a sliding
/// `window`; when an outcome (with `failure_only`, a failure) leaves the
/// window holding at least `min_volume` outcomes of which a share of at
/// least `failure_ratio` failed, it opens for
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
    /// Only a failure opens it (Polly's rule): when false, a success that
    /// leaves the window at the threshold opens it too.
    pub failure_only: bool,
}

impl Breaker {
    /// The breaker's line in `backsim list`: its table and defaults.
    pub const LIST: (&'static str, &'static str) = (
        "breaker = { scope = \"all\" }",
        "circuit breaker: opens at failure_ratio 0.1 of >= min_volume 100 in window 30s, open_for 5s, probes 1; scope \"all\" or \"retries\"",
    );

    /// Bytes of one client's state (its outcome window), as measured with
    /// a few million clients (190) and rounded down by about 5%.
    pub const CLIENT_BYTES: u64 = 176;

    /// A client's state before its first request.
    pub(super) fn fresh(&self) -> BreakerState {
        BreakerState {
            phase: Phase::Closed,
            outcomes: Slices::new(),
        }
    }

    /// Whether an attempt may be sent at `now` (scope `all`): `Err` if the
    /// breaker rejects it, else the half-open phase to enter should the
    /// attempt pass the other guards too (it is then a probe).
    pub(super) fn gate(&self, st: &mut BreakerState, now: SimTime) -> Result<Option<Phase>, ()> {
        if self.scope != BreakerScope::All {
            return Ok(None);
        }
        match st.phase(now) {
            Phase::Closed => Ok(None),
            Phase::Open { .. } => Err(()),
            Phase::HalfOpen { sent, ok, since } => {
                // As Polly does, probes whose answers have not come within
                // open_for of the last one make way for new ones.
                let sent = if sent >= self.probes && now >= since.saturating_add(self.open_for) {
                    0
                } else {
                    sent
                };
                if sent >= self.probes {
                    return Err(());
                }
                Ok(Some(Phase::HalfOpen {
                    sent: sent + 1,
                    ok,
                    since: now,
                }))
            }
        }
    }

    /// Whether a retry may go at `now` (scope `retries`: only while closed).
    pub(super) fn allow_retry(&self, st: &mut BreakerState, now: SimTime) -> bool {
        let closed = st.phase(now) == Phase::Closed;
        self.scope != BreakerScope::Retries || closed
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Phase {
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

/// One client's breaker.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct BreakerState {
    pub(super) phase: Phase,
    outcomes: Slices<Pair>,
}

impl BreakerState {
    /// The phase at `now`: an open breaker whose time is up is half-open.
    pub(super) fn phase(&mut self, now: SimTime) -> Phase {
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

    /// Nanoseconds of the current opening that lie beyond `end`.
    pub(super) fn open_beyond(&self, end: SimTime) -> u128 {
        match self.phase {
            Phase::Open { until } => u128::from(until.saturating_sub(end)),
            _ => 0,
        }
    }

    fn open(&mut self, now: SimTime, b: &Breaker, open_ns: &mut u128) {
        self.phase = Phase::Open {
            until: now.saturating_add(b.open_for),
        };
        self.outcomes.clear();
        *open_ns += u128::from(b.open_for);
    }

    /// Counts an attempt's outcome at `now`, adding to `open_ns` the full
    /// length of an opening it causes.
    pub(super) fn record(&mut self, now: SimTime, success: bool, b: &Breaker, open_ns: &mut u128) {
        match self.phase(now) {
            Phase::Closed => {
                self.outcomes
                    .add(now, b.window, Pair(1, u64::from(!success)));
                let Pair(total, failed) = self.outcomes.sum(now, b.window);
                // With failure_only, only a failure opens it, as in Polly's
                // AdvancedCircuitBehavior.OnActionFailure: a success that
                // brings the window up to min_volume does not. (min_volume
                // is at least 1.)
                if (!success || !b.failure_only)
                    && total >= u64::from(b.min_volume)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::NANOS_PER_SEC as S;

    #[test]
    fn only_a_failure_opens_the_breaker() {
        let b = Breaker {
            failure_ratio: 0.5,
            window: 30 * S,
            min_volume: 4,
            open_for: 5 * S,
            probes: 1,
            scope: BreakerScope::All,
            failure_only: true,
        };
        let mut st = b.fresh();
        let mut open_ns = 0;
        // Three failures: below min_volume 4, it stays closed.
        for t in 1..=3 {
            st.record(t * S, false, &b, &mut open_ns);
        }
        assert_eq!(st.phase(3 * S), Phase::Closed);
        // A success makes 4 outcomes, 3 failed (75 % >= 50 %): still
        // closed, since only a failure opens it.
        let mut without = st.clone();
        st.record(4 * S, true, &b, &mut open_ns);
        assert_eq!(st.phase(4 * S), Phase::Closed);
        // Without failure_only, that success opens it.
        let any = Breaker {
            failure_only: false,
            ..b.clone()
        };
        let mut other_ns = 0;
        without.record(4 * S, true, &any, &mut other_ns);
        assert_eq!(without.phase(4 * S), Phase::Open { until: 9 * S });
        // The next failure (5 outcomes, 4 failed) opens it for 5 s.
        st.record(5 * S, false, &b, &mut open_ns);
        assert_eq!(st.phase(5 * S), Phase::Open { until: 10 * S });
        assert_eq!(open_ns, u128::from(5 * S));
    }
}
