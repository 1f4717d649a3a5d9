//! Window limiters: at most `L` (a limit's per-minute rate × the window)
//! per window of length `W`, counted three ways as quota services and API
//! gateways count them.
//!
//! - [`FixedWindow`]: a counter per window `[kW, (k+1)W)` of the run's
//!   clock, reset at each boundary (per-minute quotas, Redis `INCR` +
//!   `EXPIRE` counters). Up to `2L` can pass within `W` across a boundary.
//! - [`SlidingLog`]: a log of what was admitted in the last `W`; an attempt
//!   passes iff the log's sum plus its cost is at most `L` (exact; memory
//!   grows with the attempts admitted within one window, at most `L`
//!   entries, each 16 bytes).
//! - [`SlidingWindow`]: the sliding-window counter of API gateways: the
//!   previous fixed window's count weighted by the part of it still
//!   inside the sliding window, plus the current one's.
//!
//! All counts are whole tokens (or requests) and times whole nanoseconds;
//! the weighting of [`SlidingWindow`] is compared in 128-bit integers.

use crate::time::{SimDuration, SimTime};
use std::collections::VecDeque;

/// A fixed-window counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedWindow {
    limit: u64,
    window: SimDuration,
    /// Start of the current window (a multiple of `window`).
    start: SimTime,
    used: u64,
}

impl FixedWindow {
    /// At most `limit` per window of `window` ns (> 0), windows starting at
    /// multiples of `window`.
    pub fn new(limit: u64, window: SimDuration) -> FixedWindow {
        FixedWindow {
            limit,
            window: window.max(1),
            start: 0,
            used: 0,
        }
    }

    /// What the counter holds at `now` (0 once its window is over).
    fn used_at(&self, now: SimTime) -> u64 {
        if now.saturating_sub(self.start) >= self.window {
            0
        } else {
            self.used
        }
    }

    fn roll(&mut self, now: SimTime) {
        if now.saturating_sub(self.start) >= self.window {
            self.start = now - now % self.window;
            self.used = 0;
        }
    }

    /// How long until `cost` fits: 0 now, the rest of the window if it
    /// does not fit now, `None` if it exceeds the limit.
    #[inline(never)] // out of line, as [`super::Meter::wait_for`] says why
    pub fn wait_for(&mut self, now: SimTime, cost: u64) -> Option<SimDuration> {
        self.roll(now);
        if cost > self.limit {
            None
        } else if self.used.saturating_add(cost) <= self.limit {
            Some(0)
        } else {
            Some(self.start + self.window - now)
        }
    }

    pub fn take(&mut self, now: SimTime, cost: u64) {
        self.roll(now);
        self.used = self.used.saturating_add(cost);
    }

    /// Tokens given back come off the current window's count.
    pub fn give_back(&mut self, now: SimTime, amount: u64) {
        self.roll(now);
        self.used = self.used.saturating_sub(amount);
    }

    /// How long until the counter is back at 0: the rest of the window.
    pub fn reset_in(&self, now: SimTime) -> SimDuration {
        if self.used_at(now) == 0 {
            0
        } else {
            self.start + self.window - now
        }
    }

    /// What is left of the window's allowance at `now`.
    pub fn level(&self, now: SimTime) -> f64 {
        (self.limit - self.used_at(now).min(self.limit)) as f64
    }
}

/// A sliding-window log: what was admitted in the last window, oldest
/// first. An entry admitted at `t` counts over `[t, t + W)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlidingLog {
    limit: u64,
    window: SimDuration,
    /// (admitted at, cost), oldest first; never more than `limit` entries.
    log: VecDeque<(SimTime, u64)>,
    sum: u64,
}

impl SlidingLog {
    pub fn new(limit: u64, window: SimDuration) -> SlidingLog {
        SlidingLog {
            limit,
            window: window.max(1),
            log: VecDeque::new(),
            sum: 0,
        }
    }

    fn evict(&mut self, now: SimTime) {
        while let Some(&(t, c)) = self.log.front() {
            if now.saturating_sub(t) < self.window {
                break;
            }
            self.log.pop_front();
            self.sum -= c;
        }
    }

    /// How long until `cost` fits: until enough of the oldest entries
    /// have left the window; `None` if it exceeds the limit.
    #[inline(never)] // out of line, as [`super::Meter::wait_for`] says why
    pub fn wait_for(&mut self, now: SimTime, cost: u64) -> Option<SimDuration> {
        self.evict(now);
        if cost > self.limit {
            return None;
        }
        let Some(need) = (self.sum + cost).checked_sub(self.limit).filter(|&n| n > 0) else {
            return Some(0);
        };
        let mut freed = 0;
        for &(t, c) in &self.log {
            freed += c;
            if freed >= need {
                return Some(t + self.window - now);
            }
        }
        unreachable!("the log holds more than the limit")
    }

    pub fn take(&mut self, now: SimTime, cost: u64) {
        self.evict(now);
        if cost > 0 {
            self.log.push_back((now, cost));
            self.sum += cost;
        }
    }

    /// Tokens given back come off the newest entries.
    pub fn give_back(&mut self, now: SimTime, mut amount: u64) {
        self.evict(now);
        while amount > 0 {
            let Some(last) = self.log.back_mut() else {
                break;
            };
            let off = amount.min(last.1);
            last.1 -= off;
            self.sum -= off;
            amount -= off;
            if last.1 == 0 {
                self.log.pop_back();
            }
        }
    }

    /// What the entries still inside the window at `now` hold.
    fn sum_at(&self, now: SimTime) -> u64 {
        self.log
            .iter()
            .filter(|&&(t, _)| now.saturating_sub(t) < self.window)
            .map(|&(_, c)| c)
            .sum()
    }

    /// How long until the log is empty: until its newest entry leaves.
    pub fn reset_in(&self, now: SimTime) -> SimDuration {
        self.log
            .back()
            .map_or(0, |&(t, _)| (t + self.window).saturating_sub(now))
    }

    pub fn level(&self, now: SimTime) -> f64 {
        (self.limit - self.sum_at(now).min(self.limit)) as f64
    }
}

/// A sliding-window counter: the estimate at `now`, `e` into window `k`,
/// is `prev × (W − e) / W + cur`, where `prev` and `cur` are the counts of
/// windows `k − 1` and `k`. An attempt of cost `c` passes iff
/// `prev × (W − e) + (cur + c) × W ≤ L × W`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlidingWindow {
    limit: u64,
    window: SimDuration,
    /// The current window's number `k` (it starts at `k × W`).
    index: u64,
    prev: u64,
    cur: u64,
}

impl SlidingWindow {
    pub fn new(limit: u64, window: SimDuration) -> SlidingWindow {
        SlidingWindow {
            limit,
            window: window.max(1),
            index: 0,
            prev: 0,
            cur: 0,
        }
    }

    /// (prev, cur, time into the current window) at `now`.
    fn at(&self, now: SimTime) -> (u64, u64, SimDuration) {
        let k = now / self.window;
        let e = now % self.window;
        if k == self.index {
            (self.prev, self.cur, e)
        } else if k == self.index + 1 {
            (self.cur, 0, e)
        } else {
            (0, 0, e)
        }
    }

    fn roll(&mut self, now: SimTime) {
        let (prev, cur, _) = self.at(now);
        self.index = now / self.window;
        self.prev = prev;
        self.cur = cur;
    }

    /// How long until `cost` fits, if nothing else is admitted meanwhile;
    /// `None` if it exceeds the limit.
    #[inline(never)] // out of line, as [`super::Meter::wait_for`] says why
    pub fn wait_for(&mut self, now: SimTime, cost: u64) -> Option<SimDuration> {
        self.roll(now);
        if cost > self.limit {
            return None;
        }
        let w = u128::from(self.window);
        let e = now % self.window;
        let (prev, cur, limit) = (
            u128::from(self.prev),
            u128::from(self.cur),
            u128::from(self.limit),
        );
        let c = u128::from(cost);
        if prev * (w - u128::from(e)) + (cur + c) * w <= limit * w {
            return Some(0);
        }
        // The earliest point `x` into a window with `p` weighted and room
        // `room` left: p × (W − x) ≤ room × W, so x = W − ⌊room × W / p⌋.
        let earliest = |room: u128, p: u128| (w - room * w / p) as u64;
        if cur + c <= limit {
            // Later in this window, as the previous one weighs less
            // (prev > 0, or it would fit).
            Some(earliest(limit - cur - c, prev) - e)
        } else {
            // In the next window, where this one's count (> 0) weighs.
            Some(self.window - e + earliest(limit - c, cur))
        }
    }

    pub fn take(&mut self, now: SimTime, cost: u64) {
        self.roll(now);
        self.cur = self.cur.saturating_add(cost);
    }

    /// Tokens given back come off the current window's count.
    pub fn give_back(&mut self, now: SimTime, amount: u64) {
        self.roll(now);
        self.cur = self.cur.saturating_sub(amount);
    }

    /// How long until the estimate is back at 0: the end of the next
    /// window if the current one counted anything, else the end of this.
    pub fn reset_in(&self, now: SimTime) -> SimDuration {
        match self.at(now) {
            (_, cur, e) if cur > 0 => 2 * self.window - e,
            (prev, _, e) if prev > 0 => self.window - e,
            _ => 0,
        }
    }

    pub fn level(&self, now: SimTime) -> f64 {
        let (prev, cur, e) = self.at(now);
        let w = self.window as f64;
        let estimate = prev as f64 * (w - e as f64) / w + cur as f64;
        (self.limit as f64 - estimate).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: SimDuration = 1_000_000_000;
    const MS: SimDuration = 1_000_000;

    #[test]
    fn a_fixed_window_resets_on_its_boundary() {
        let mut w = FixedWindow::new(3, S);
        for _ in 0..3 {
            assert_eq!(w.wait_for(0, 1), Some(0));
            w.take(0, 1);
        }
        // Full: back at the next boundary, whenever in the window one asks.
        assert_eq!(w.wait_for(0, 1), Some(S));
        assert_eq!(w.wait_for(250 * MS, 1), Some(750 * MS));
        assert_eq!(w.wait_for(S - 1, 1), Some(1));
        assert_eq!(w.reset_in(250 * MS), 750 * MS);
        assert_eq!(w.level(250 * MS), 0.0);
        // Three more at 1.9 s and three at 2.0 s: six within 100 ms, the
        // twice-the-limit burst across a boundary.
        for t in [1900 * MS, 2 * S] {
            for _ in 0..3 {
                assert_eq!(w.wait_for(t, 1), Some(0));
                w.take(t, 1);
            }
            assert_eq!(w.wait_for(t, 1), Some(t - t % S + S - t));
        }
        // More than a window holds never passes; nothing left: reset 0.
        assert_eq!(w.wait_for(2 * S, 4), None);
        assert_eq!(w.reset_in(7 * S), 0);
        assert_eq!(w.level(7 * S), 3.0);
        // Given back: off the current window's count.
        w.take(7 * S, 2);
        w.give_back(7 * S, 1);
        assert_eq!(w.level(7 * S), 2.0);
    }

    #[test]
    fn a_sliding_log_waits_for_its_oldest_entries_to_leave() {
        let mut w = SlidingLog::new(3, S);
        for t in [0, 200 * MS, 400 * MS] {
            assert_eq!(w.wait_for(t, 1), Some(0));
            w.take(t, 1);
        }
        // The entry of 0 counts over [0, 1 s).
        assert_eq!(w.wait_for(500 * MS, 1), Some(500 * MS));
        assert_eq!(w.wait_for(S - 1, 1), Some(1));
        assert_eq!(w.wait_for(S, 1), Some(0));
        w.take(S, 1);
        // Now 200 ms, 400 ms, 1 s: the next room at 1.2 s.
        assert_eq!(w.wait_for(1100 * MS, 1), Some(100 * MS));
        assert_eq!(w.reset_in(1100 * MS), 900 * MS);
        assert_eq!(w.level(1100 * MS), 0.0);
        assert_eq!(w.level(1300 * MS), 1.0);
    }

    #[test]
    fn a_sliding_log_of_tokens_frees_as_many_entries_as_a_cost_needs() {
        let mut w = SlidingLog::new(10, S);
        w.take(0, 4);
        w.take(100 * MS, 4);
        // 8 held: 5 more need 3 freed, the first entry (4) at 1 s.
        assert_eq!(w.wait_for(200 * MS, 5), Some(800 * MS));
        // 7 more need 5: both entries, the second leaving at 1.1 s.
        assert_eq!(w.wait_for(200 * MS, 7), Some(900 * MS));
        assert_eq!(w.wait_for(200 * MS, 11), None);
        // Given back off the newest: 3 of its 4.
        w.give_back(200 * MS, 3);
        assert_eq!(w.wait_for(200 * MS, 5), Some(0));
        // Giving back more than the newest holds empties it and goes on.
        w.give_back(200 * MS, 2);
        assert_eq!(w.level(200 * MS), 7.0);
    }

    #[test]
    fn a_sliding_window_weighs_the_previous_window_by_its_overlap() {
        let mut w = SlidingWindow::new(10, S);
        w.take(0, 10);
        // Full at 0.5 s: in the next window the estimate is
        // 10 × (1 s − e) / 1 s + 1 ≤ 10 from e = 100 ms: 600 ms away.
        assert_eq!(w.wait_for(500 * MS, 1), Some(600 * MS));
        assert_eq!(w.wait_for(S + 100 * MS - 1, 1), Some(1));
        assert_eq!(w.wait_for(S + 100 * MS, 1), Some(0));
        w.take(S + 100 * MS, 1);
        // 10 × 0.9 + 1 = 10: one more needs 10 × (1 − e) + 2 ≤ 10, e = 0.2 s.
        assert_eq!(w.wait_for(S + 100 * MS, 1), Some(100 * MS));
        assert_eq!(w.level(S + 100 * MS), 0.0);
        assert_eq!(w.level(S + 500 * MS), 4.0);
        // The current window counted: back at 0 at the end of the next.
        assert_eq!(w.reset_in(S + 100 * MS), 1900 * MS);
        assert_eq!(w.wait_for(S, 11), None);
        // Long idle: both counts gone.
        assert_eq!(w.wait_for(5 * S, 10), Some(0));
        assert_eq!(w.reset_in(5 * S), 0);
    }
}
