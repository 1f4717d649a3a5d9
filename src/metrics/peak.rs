//! The demand at the limiter: all that arrived, per limit, and the peak,
//! the most that arrived in any window of a fixed width ending at an
//! arrival.
//!
//! Arrivals in the window `(now − w, now]` are kept oldest first, with
//! their total per limit. Arrivals at the same instant share one entry,
//! the newest of which stays open: it joins the window's total and the
//! run's when the next instant begins (or when they are read). Sums here
//! saturate, and a saturating sum of non-negative numbers is the least of
//! their sum and `u64::MAX` in whatever grouping, so adding an instant's
//! arrivals at once gives what adding them one by one does. The window's
//! total only grows between the instants at which arrivals leave it, so
//! the peak is taken there (before they leave) and at the end, not at
//! every arrival: an arrival at the instant of the newest entry costs
//! four additions.

use crate::time::{SimDuration, SimTime};
use std::cell::RefCell;

thread_local! {
    /// The buffers of the last window recycled on this thread.
    static SPARE: RefCell<(Vec<SimTime>, Vec<[u64; 4]>)> =
        const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Adds `b` to `a`, element by element (saturating).
#[inline]
fn add(a: &mut [u64; 4], b: [u64; 4]) {
    for (a, b) in a.iter_mut().zip(b) {
        *a = a.saturating_add(b);
    }
}

/// The element-wise larger of `a` and `b`.
fn max(mut a: [u64; 4], b: [u64; 4]) -> [u64; 4] {
    for (a, b) in a.iter_mut().zip(b) {
        *a = (*a).max(b);
    }
    a
}

/// Arrivals in the last window of width `width`, the peak so far and the
/// total.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PeakWindow {
    width: SimDuration,
    /// When each entry leaves the window (its time + width, saturated),
    /// oldest first from `head`.
    leaves: Vec<SimTime>,
    /// What arrived at each entry's instant, per limit. The last entry is
    /// open: not yet in `sum` nor `total`.
    amounts: Vec<[u64; 4]>,
    /// The first entry still in the window.
    head: usize,
    /// The instant of the newest entry (meaningful while there is one).
    last: SimTime,
    /// Total per limit of the closed entries in the window.
    sum: [u64; 4],
    /// The largest `sum` seen, up to the last instant arrivals left.
    peak: [u64; 4],
    /// Total per limit of every closed entry.
    total: [u64; 4],
}

/// Entries passed over before the buffers are compacted.
const COMPACT_AFTER: usize = 1024;

impl PeakWindow {
    pub(crate) fn new(width: SimDuration) -> PeakWindow {
        PeakWindow {
            width,
            leaves: Vec::new(),
            amounts: Vec::new(),
            head: 0,
            last: 0,
            sum: [0; 4],
            peak: [0; 4],
            total: [0; 4],
        }
    }

    /// [`PeakWindow::new`], in the buffers the last window recycled on this
    /// thread held.
    pub(crate) fn reused(width: SimDuration) -> PeakWindow {
        let (leaves, amounts) = SPARE.with(|spare| std::mem::take(&mut *spare.borrow_mut()));
        PeakWindow {
            leaves,
            amounts,
            ..PeakWindow::new(width)
        }
    }

    /// Keeps its buffers, emptied, for the next [`PeakWindow::reused`] on
    /// this thread.
    pub(crate) fn recycle(mut self) {
        self.leaves.clear();
        self.amounts.clear();
        SPARE.with(|spare| *spare.borrow_mut() = (self.leaves, self.amounts));
    }

    /// `cost` (per limit) arrived at `now` (never before the last arrival).
    #[inline]
    pub(crate) fn arrive(&mut self, now: SimTime, cost: [u64; 4]) {
        // With a positive width, nothing leaves at the newest entry's
        // instant that had not left when it was made.
        if now == self.last && self.head < self.leaves.len() && self.width > 0 {
            add(self.amounts.last_mut().expect("an entry"), cost);
            return;
        }
        self.arrive_later(now, cost);
    }

    /// [`PeakWindow::arrive`] at a new instant: the open entry is closed,
    /// the peak settled, the entries that left the window are dropped, and
    /// a new entry opens.
    fn arrive_later(&mut self, now: SimTime, cost: [u64; 4]) {
        let len = self.leaves.len();
        if let Some(&open) = self.amounts.last() {
            add(&mut self.sum, open);
            add(&mut self.total, open);
        }
        self.peak = max(self.peak, self.sum);
        let mut head = self.head;
        while head < len && self.leaves[head] <= now {
            for (s, a) in self.sum.iter_mut().zip(self.amounts[head]) {
                *s = s.saturating_sub(a);
            }
            head += 1;
        }
        if head == len {
            self.leaves.clear();
            self.amounts.clear();
            head = 0;
        } else if head >= COMPACT_AFTER && 2 * head >= len {
            self.leaves.drain(..head);
            self.amounts.drain(..head);
            head = 0;
        }
        self.head = head;
        self.leaves.push(now.saturating_add(self.width));
        self.amounts.push(cost);
        self.last = now;
    }

    /// The open entry's amounts (zero when there is none).
    fn open(&self) -> [u64; 4] {
        match self.amounts.get(self.head..) {
            Some([.., open]) => *open,
            _ => [0; 4],
        }
    }

    /// The most that arrived in any window ending at an arrival, per limit.
    pub(crate) fn peak(&self) -> [u64; 4] {
        let mut now = self.sum;
        add(&mut now, self.open());
        max(self.peak, now)
    }

    /// All that arrived, per limit.
    pub(crate) fn total(&self) -> [u64; 4] {
        let mut total = self.total;
        add(&mut total, self.open());
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, by brute force: for each arrival, the total of the
    /// arrivals in (t − w, t] (saturating; the arrival itself even for a
    /// zero width), and the largest of those.
    fn brute(width: SimDuration, arrivals: &[(SimTime, [u64; 4])]) -> [u64; 4] {
        let mut peak = [0; 4];
        for (i, &(now, _)) in arrivals.iter().enumerate() {
            let mut sum = [0u64; 4];
            for (j, &(t, c)) in arrivals[..=i].iter().enumerate() {
                if j == i || t.saturating_add(width) > now {
                    add(&mut sum, c);
                }
            }
            for (p, s) in peak.iter_mut().zip(sum) {
                *p = (*p).max(s);
            }
        }
        peak
    }

    /// The peak by [`PeakWindow`]; checks its total on the way.
    fn run(width: SimDuration, arrivals: &[(SimTime, [u64; 4])]) -> [u64; 4] {
        let mut w = PeakWindow::new(width);
        let mut total = [0; 4];
        for &(t, c) in arrivals {
            w.arrive(t, c);
            add(&mut total, c);
            assert_eq!(w.total(), total);
        }
        w.peak()
    }

    #[test]
    fn counts_arrivals_in_the_half_open_window() {
        let one = [1, 10, 0, 5];
        // Width 10: arrivals at 0, 5, 9 share a window; at 10 the one at
        // 0 has left ((0, 10] excludes 0), so 3 at most.
        let a = [(0, one), (5, one), (9, one), (10, one), (19, one)];
        assert_eq!(run(10, &a), [3, 30, 0, 15]);
        assert_eq!(run(10, &a), brute(10, &a));
        // Width 11: 0 is still in (−1, 10]: four.
        assert_eq!(run(11, &a), [4, 40, 0, 20]);
    }

    #[test]
    fn a_reused_window_starts_empty() {
        let a = [(0, [3, 0, 0, 0]), (1, [2, 0, 0, 0])];
        let mut w = PeakWindow::reused(10);
        for &(t, c) in &a {
            w.arrive(t, c);
        }
        assert_eq!(w.peak(), [5, 0, 0, 0]);
        w.recycle();
        let w = PeakWindow::reused(10);
        assert!(w.leaves.is_empty() && w.amounts.is_empty());
        assert!(w.leaves.capacity() >= 2 && w.amounts.capacity() >= 2);
        assert_eq!((w.peak(), w.total()), ([0; 4], [0; 4]));
        assert_eq!(w, PeakWindow::new(10));
    }

    #[test]
    fn nothing_arrived() {
        let w = PeakWindow::new(5);
        assert_eq!((w.peak(), w.total()), ([0; 4], [0; 4]));
    }

    #[test]
    fn same_instant_arrivals_add_up() {
        let a = [(7, [1, 0, 0, 0]); 5];
        assert_eq!(run(1, &a), [5, 0, 0, 0]);
        // A zero width keeps only the arrival itself.
        assert_eq!(run(0, &a), [1, 0, 0, 0]);
        assert_eq!(run(0, &a), brute(0, &a));
    }

    #[test]
    fn peak_falls_between_departures() {
        // A burst of 4 at t = 0, then one arrival per 100 ns: the peak is
        // the burst, long gone at the end.
        let mut a = vec![(0, [1, 2, 3, 4]); 4];
        a.extend((1..=3000).map(|i| (i * 100, [1, 0, 0, 0])));
        assert_eq!(run(50, &a), [4, 8, 12, 16]);
        assert_eq!(run(50, &a), brute(50, &a));
        // Width 250: the burst and the arrivals at 100 and 200: 6.
        assert_eq!(run(250, &a), [6, 8, 12, 16]);
    }

    #[test]
    fn saturates_like_the_definition() {
        let big = [u64::MAX - 1, 0, 0, 0];
        let a = [(0, big), (1, [5, 0, 0, 0]), (3, [1, 0, 0, 0]), (4, big)];
        assert_eq!(run(2, &a), [u64::MAX, 0, 0, 0]);
        assert_eq!(run(2, &a), brute(2, &a));
        // An end past the clock's range saturates to its last instant,
        // where the window (u64::MAX − w, u64::MAX] no longer holds it.
        let far = [(u64::MAX - 1, [1; 4]), (u64::MAX, [1; 4])];
        assert_eq!(run(u64::MAX, &far), [1; 4]);
        assert_eq!(run(u64::MAX, &far), brute(u64::MAX, &far));
    }

    #[test]
    fn agrees_with_the_definition_past_compaction() {
        // A fixed pseudo-random walk (a 64-bit LCG, Knuth's MMIX
        // constants): gaps of 0..8 ns, costs 0..4, long enough for the
        // buffers to be compacted many times.
        let mut x: u64 = 1;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x >> 33
        };
        let mut t = 0;
        let a: Vec<(SimTime, [u64; 4])> = (0..6000)
            .map(|_| {
                t += next() % 8;
                (t, [next() % 4, next() % 4, 1, 0])
            })
            .collect();
        for width in [1, 3, 64, 5000, 40_000] {
            assert_eq!(run(width, &a), brute(width, &a), "width {width}");
        }
    }
}
