//! Hedged requests: the settings of a strategy's `[strategy.hedge]`
//! ([`Hedge`]): after a delay without an answer, the client sends another
//! copy of the attempt, the first success wins, and the losers are
//! cancelled or left to finish; a budget caps hedges at a share of the
//! requests. What the engine does with them is `engine/hedge.rs`'s.

use crate::time::SimDuration;

/// Most copies of one attempt a strategy may have on the wire at once
/// (gRPC's hedging policy caps `maxAttempts` at 5 too).
pub const MAX_COPIES: u32 = 5;

/// Successful attempts a percentile delay is taken over: the run's last
/// this many.
pub const PERCENTILE_WINDOW: usize = 100;

/// Successful attempts a run must have seen before a percentile delay is
/// known; until then no attempt is hedged.
pub const PERCENTILE_WARMUP: usize = 20;

/// When a hedge goes after the copy before it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HedgeDelay {
    /// A fixed delay.
    Fixed(SimDuration),
    /// The `p` quantile (0 < p < 1) of the latencies of the run's last
    /// [`PERCENTILE_WINDOW`] successful attempts (see [`percentile`]).
    Percentile(f64),
}

/// A strategy's hedging.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hedge {
    pub delay: HedgeDelay,
    /// Copies of an attempt at most, the first included (2..=[`MAX_COPIES`]).
    pub max_copies: u32,
    /// Whether the losers are disconnected when a copy succeeds (else
    /// they run to their end and their answers are dropped).
    pub cancel: bool,
    /// Hedges at most as a share of the requests started so far in the
    /// run (None: no limit).
    pub budget: Option<f64>,
}

impl Hedge {
    /// Whether one more hedge may go when `hedges` have been sent in the
    /// run and `requests` requests started: `hedges + 1 ≤ budget ·
    /// requests`.
    pub fn allows(&self, hedges: u64, requests: u64) -> bool {
        self.budget
            .is_none_or(|b| (hedges + 1) as f64 <= b * requests as f64)
    }
}

/// The nearest-rank `p` quantile of `latencies`: the ⌈p·n⌉-th smallest
/// of the n values (at least the first); None for fewer than
/// [`PERCENTILE_WARMUP`] values. `scratch` is reused for the selection.
pub fn percentile(
    latencies: &[SimDuration],
    p: f64,
    scratch: &mut Vec<SimDuration>,
) -> Option<SimDuration> {
    let n = latencies.len();
    if n < PERCENTILE_WARMUP {
        return None;
    }
    let rank = ((p * n as f64).ceil() as usize).clamp(1, n);
    scratch.clear();
    scratch.extend_from_slice(latencies);
    let (_, &mut x, _) = scratch.select_nth_unstable(rank - 1);
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_allows_hedges_up_to_its_share_of_requests() {
        let h = Hedge {
            delay: HedgeDelay::Fixed(1),
            max_copies: 2,
            cancel: true,
            budget: Some(0.05),
        };
        // 100 requests: 5 hedges, not a 6th (6 > 0.05 · 100 = 5).
        assert!(h.allows(4, 100));
        assert!(!h.allows(5, 100));
        // 19 requests: 0.95, not even one.
        assert!(!h.allows(0, 19));
        assert!(h.allows(0, 20));
        let free = Hedge { budget: None, ..h };
        assert!(free.allows(1_000_000, 1));
    }

    #[test]
    fn the_percentile_is_the_nearest_rank_after_the_warm_up() {
        let mut scratch = Vec::new();
        let v: Vec<u64> = (1..=19).rev().collect();
        assert_eq!(percentile(&v, 0.5, &mut scratch), None);
        // 1..=20: the 0.95 quantile is the ⌈19⌉-th = 19, the 0.5 the 10th.
        let v: Vec<u64> = (1..=20).rev().collect();
        assert_eq!(percentile(&v, 0.95, &mut scratch), Some(19));
        assert_eq!(percentile(&v, 0.5, &mut scratch), Some(10));
        assert_eq!(percentile(&v, 0.951, &mut scratch), Some(20));
        assert_eq!(percentile(&v, 0.001, &mut scratch), Some(1));
    }
}
