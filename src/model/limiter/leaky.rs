//! The leaky-bucket queue of nginx's `limit_req`: requests above the rate
//! wait (are delayed) instead of being refused, up to a burst; beyond it
//! they are refused.
//!
//! nginx keeps, per key, an *excess* `e` (requests ahead of the rate) and
//! the time `last` it was updated. A request at `t` computes
//! `e' = max(0, e − r·(t − last) + 1)`; if `e' > burst` it is refused and
//! nothing changes; otherwise `e ← e'`, `last ← t`, and it is delayed by
//! `e' / r` (not at all with `nodelay`). A key seen for the first time
//! starts with `e' = 0`. So a burst of `n` simultaneous requests passes
//! `burst + 1` of them, delayed by `0, 1/r, …, burst/r`, and refuses the
//! rest. (`ngx_http_limit_req_lookup` and `ngx_http_limit_req_account`,
//! nginx 1.25; nginx keeps time in milliseconds, the model in exact
//! nanoseconds.)
//!
//! The excess is kept in the units of [`super::TokenBucket`] (1/(6·10^13)
//! request), so the rate is exact to 0.001 request per minute.

use super::bucket::{TokenBucket, UNITS_PER_TOKEN};
use crate::time::{SimDuration, SimTime};

/// nginx's `limit_req` state for one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeakyQueue {
    /// Drain in units per nanosecond.
    rate: u128,
    /// The burst in units.
    burst: u128,
    /// Excess in units at `last`; `None` before the first request.
    state: Option<(u128, SimTime)>,
    nodelay: bool,
}

/// Where an accepted request leaves the excess.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Excess(u128);

impl LeakyQueue {
    /// `per_minute` requests per minute, `burst` requests queued beyond
    /// the one passing; `nodelay`: queued requests pass at once.
    pub fn new(per_minute: f64, burst: u64, nodelay: bool) -> LeakyQueue {
        LeakyQueue {
            rate: TokenBucket::rate_units(per_minute),
            burst: u128::from(burst) * UNITS_PER_TOKEN,
            state: None,
            nodelay,
        }
    }

    /// The excess drained to `now` (before adding a request).
    fn drained(&self, now: SimTime) -> u128 {
        match self.state {
            None => 0,
            Some((e, last)) => {
                let gone = u128::from(now.saturating_sub(last)).saturating_mul(self.rate);
                e.saturating_sub(gone)
            }
        }
    }

    /// Whether a request at `now` is accepted (with the excess it leaves),
    /// or how long until one would be (`None`: never, at rate 0).
    pub fn check(&self, now: SimTime) -> Result<Excess, Option<SimDuration>> {
        let Some((e, last)) = self.state else {
            return Ok(Excess(0));
        };
        // nginx: e − r·Δ + 1, clamped at 0 after adding the request.
        let gone = u128::from(now.saturating_sub(last)).saturating_mul(self.rate);
        let next = (e + UNITS_PER_TOKEN).saturating_sub(gone);
        if next <= self.burst {
            return Ok(Excess(next));
        }
        if self.rate == 0 {
            return Err(None);
        }
        // Accepted once r·Δ ≥ e + 1 − burst, Δ counted from `last`.
        let from_last = (e + UNITS_PER_TOKEN - self.burst).div_ceil(self.rate);
        let at = u128::from(last) + from_last;
        Err(Some(
            (at - u128::from(now)).min(u128::from(u64::MAX)) as SimDuration
        ))
    }

    /// Accepts a request at `now` that [`check`](Self::check) said leaves
    /// `excess`: how long it is delayed (`excess / r`, rounded up to the
    /// nanosecond; 0 with `nodelay`).
    pub fn accept(&mut self, now: SimTime, excess: Excess) -> SimDuration {
        self.state = Some((excess.0, now));
        if self.nodelay || excess.0 == 0 || self.rate == 0 {
            return 0;
        }
        excess.0.div_ceil(self.rate).min(u128::from(u64::MAX)) as SimDuration
    }

    /// How long until the excess has drained to 0 (`None` at rate 0 with
    /// an excess).
    pub fn reset_in(&self, now: SimTime) -> Option<SimDuration> {
        let e = self.drained(now);
        if e == 0 {
            Some(0)
        } else if self.rate == 0 {
            None
        } else {
            Some(e.div_ceil(self.rate).min(u128::from(u64::MAX)) as SimDuration)
        }
    }

    /// Places left in the queue at `now` (the burst less the excess), in
    /// requests.
    pub fn level(&self, now: SimTime) -> f64 {
        self.burst.saturating_sub(self.drained(now)) as f64 / UNITS_PER_TOKEN as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: SimDuration = 1_000_000;

    /// Offers a request at `now`: Ok(delay) or Err(wait).
    fn offer(q: &mut LeakyQueue, now: SimTime) -> Result<SimDuration, Option<SimDuration>> {
        let e = q.check(now)?;
        Ok(q.accept(now, e))
    }

    #[test]
    fn a_burst_waits_its_turn_and_the_overflow_is_refused() {
        // limit_req rate=10r/s burst=5: of 8 at once, the first passes,
        // five wait 100 … 500 ms, two are refused; the excess is then 5,
        // and one more fits once 1 has drained: 100 ms.
        let mut q = LeakyQueue::new(600.0, 5, false);
        let got: Vec<_> = (0..8).map(|_| offer(&mut q, 0)).collect();
        assert_eq!(
            got,
            [
                Ok(0),
                Ok(100 * MS),
                Ok(200 * MS),
                Ok(300 * MS),
                Ok(400 * MS),
                Ok(500 * MS),
                Err(Some(100 * MS)),
                Err(Some(100 * MS)),
            ]
        );
        assert_eq!(q.reset_in(0), Some(500 * MS));
        assert_eq!(q.level(0), 0.0);
        // At 100 ms the excess is 4 + 1: it waits 500 ms, passing at 600 ms,
        // a tenth of a second after the one before.
        assert_eq!(offer(&mut q, 100 * MS), Ok(500 * MS));
    }

    #[test]
    fn nodelay_passes_the_burst_at_once_but_keeps_the_count() {
        let mut q = LeakyQueue::new(600.0, 5, true);
        let got: Vec<_> = (0..7).map(|_| offer(&mut q, 0)).collect();
        assert_eq!(got[..6], [Ok(0); 6]);
        assert_eq!(got[6], Err(Some(100 * MS)));
        // At 250 ms 2.5 have drained: 5 − 2.5 + 1 = 3.5, then 4.5 pass,
        // 5.5 is refused until 0.5 more have drained (50 ms).
        assert_eq!(offer(&mut q, 250 * MS), Ok(0));
        assert_eq!(offer(&mut q, 250 * MS), Ok(0));
        assert_eq!(offer(&mut q, 250 * MS), Err(Some(50 * MS)));
    }

    #[test]
    fn burst_zero_spaces_requests_by_one_interval() {
        // nginx's default burst: one request per 1/r, never delayed.
        let mut q = LeakyQueue::new(600.0, 0, false);
        assert_eq!(offer(&mut q, 0), Ok(0));
        assert_eq!(offer(&mut q, 50 * MS), Err(Some(50 * MS)));
        assert_eq!(offer(&mut q, 100 * MS), Ok(0));
        assert_eq!(offer(&mut q, 100 * MS), Err(Some(100 * MS)));
        assert_eq!(q.reset_in(100 * MS), Some(0));
    }
}
