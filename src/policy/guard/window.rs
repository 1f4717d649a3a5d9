//! The sliding window the guards count in: a percentage budget's deposits
//! and withdrawals, a breaker's outcomes, an SRE throttle's requests and
//! accepts.
//!
//! Windows are kept as [`SLICES`] slices, as Finagle's `WindowedAdder` and
//! Polly's rolling health metrics do: a count stays in the window until
//! the slice holding it is `window` old, so a window covers between 9/10
//! of `window` and all of it.

use crate::time::{SimDuration, SimTime};

/// The number of slices a window is kept as.
pub const SLICES: u64 = 10;

/// Counts over a sliding window kept in [`SLICES`] slices.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Slices<T> {
    slices: [T; SLICES as usize],
    /// Number of the newest slice (time / slice length).
    current: u64,
}

impl<T: Copy + Default + std::ops::AddAssign> Slices<T> {
    pub(super) fn new() -> Self {
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

    pub(super) fn add(&mut self, now: SimTime, window: SimDuration, x: T) {
        self.advance(now, window);
        self.slices[(self.current % SLICES) as usize] += x;
    }

    pub(super) fn sum(&mut self, now: SimTime, window: SimDuration) -> T {
        self.advance(now, window);
        let mut total = T::default();
        for s in self.slices {
            total += s;
        }
        total
    }

    pub(super) fn clear(&mut self) {
        self.slices = [T::default(); SLICES as usize];
    }
}

/// (outcomes, failures) or (requests, accepts).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Pair(pub(super) u64, pub(super) u64);

impl std::ops::AddAssign for Pair {
    fn add_assign(&mut self, o: Pair) {
        self.0 += o.0;
        self.1 += o.1;
    }
}
