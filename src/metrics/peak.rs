//! The demand at the limiter: all that arrived, per limit, and the peak,
//! the most that arrived in any window of a fixed width ending at an
//! arrival.
//!
//! Arrivals in the window `(now − w, now]` are kept oldest first, with
//! their total per limit, in a ring buffer that an entry leaves at the
//! first arrival at a new instant at or after its time plus `w`.
//! Arrivals at the same instant share one entry, the newest of which
//! stays open: it joins the window's total and the run's when the next
//! instant begins (or when they are read). Sums here
//! saturate, and a saturating sum of non-negative numbers is the least of
//! their sum and `u64::MAX` in whatever grouping, so adding an instant's
//! arrivals at once gives what adding them one by one does. The window's
//! total only grows between the instants at which arrivals leave it, so
//! the peak is taken there (before they leave) and at the end, not at
//! every arrival: an arrival at the instant of the newest entry costs
//! four additions (in the unit form below, a comparison and one).
//!
//! The entries take one of two forms. In the usual run every arrival
//! costs the same (fixed token counts), so a window starts in the *unit
//! form*: the first arrival's cost is the unit, an entry keeps only how
//! many arrived at its instant (4 bytes instead of 32, which matters when
//! a million jittered retries fall into one window), and the window's
//! total, its peak and the run's total are counts of arrivals. The first
//! arrival of another cost, an instant with more than `u32::MAX`
//! arrivals, or a run total that might not fit in a `u64` turns the
//! window into the *full form* for the rest of the run: each entry's
//! amounts per limit, the algorithm above as it is. Both give the same
//! numbers ([`PeakWindow::become_full`] says why). In both, the time each
//! entry leaves takes 4 bytes when the window is at most about 2.1 s wide
//! ([`Entries`]), and sits beside the entry's count or amounts in one
//! ring buffer: a new instant costs one push, and each entry one pop when
//! it leaves.

use crate::reuse::emptied_if_small;
use crate::time::{SimDuration, SimTime};
use std::cell::RefCell;
use std::collections::VecDeque;

/// The buffers of one form's entries ([`Entries`]): narrow and wide.
#[derive(Debug)]
struct Rings<T> {
    narrow: Vec<(u32, T)>,
    wide: Vec<(SimTime, T)>,
}

impl<T> Rings<T> {
    const EMPTY: Rings<T> = Rings {
        narrow: Vec::new(),
        wide: Vec::new(),
    };
}

/// The buffers a window holds, kept between runs on one thread.
#[derive(Debug)]
struct Buffers {
    counts: Rings<u32>,
    amounts: Rings<[u64; 4]>,
}

impl Buffers {
    const EMPTY: Buffers = Buffers {
        counts: Rings::EMPTY,
        amounts: Rings::EMPTY,
    };
}

thread_local! {
    /// The buffers of the last window recycled on this thread.
    static SPARE: RefCell<Buffers> = const {
        RefCell::new(Buffers::EMPTY)
    };
}

/// The widest window whose departure times are kept as 4-byte offsets
/// ([`Entries::Narrow`]): 2^31 ns, about 2.1 s.
const NARROW_WIDTH: SimDuration = 1 << 31;

/// The entries in the window, oldest first, each with when it leaves the
/// window (a time that never decreases from one entry to the next) beside
/// what arrived at its instant: a count (`u32`) in the unit form, the
/// amounts per limit (`[u64; 4]`) in the full form. Both side by side in
/// one ring buffer, so that an entry costs one push and one pop.
#[derive(Debug, Clone, PartialEq)]
enum Entries<T> {
    /// For a window at most [`NARROW_WIDTH`] wide: each time as its
    /// offset from `base`, 4 bytes instead of 8, since a million jittered
    /// retries can fall into one window (an entry of the unit form takes
    /// 8 bytes). The entries in the window, and the one being added,
    /// leave less than the width apart (each entry added leaves a width
    /// after an arrival, and those that left by then are gone), so when
    /// an offset would not fit, moving `base` up to the oldest entry's
    /// time makes it fit. The entries moved were all added since the last
    /// move, at least 2^32 − 2^31 ns before, so moving costs O(1) per
    /// entry added.
    Narrow {
        base: SimTime,
        ring: VecDeque<(u32, T)>,
    },
    /// For a wider window: the times themselves.
    Wide(VecDeque<(SimTime, T)>),
}

impl<T: Copy> Entries<T> {
    /// Empty, for a window `width` wide, in the buffers given.
    fn new(width: SimDuration, buffers: Rings<T>) -> Entries<T> {
        if width <= NARROW_WIDTH {
            Entries::Narrow {
                base: 0,
                ring: buffers.narrow.into(),
            }
        } else {
            Entries::Wide(buffers.wide.into())
        }
    }

    /// Takes out the oldest entry if it has left the window by `now`, and
    /// gives what arrived at its instant.
    #[inline]
    fn pop_departed(&mut self, now: SimTime) -> Option<T> {
        let (leaves, value) = match self {
            Entries::Narrow { base, ring } => {
                let &(offset, value) = ring.front()?;
                (*base + u64::from(offset), value)
            }
            Entries::Wide(ring) => *ring.front()?,
        };
        if leaves > now {
            return None;
        }
        match self {
            Entries::Narrow { ring, .. } => drop(ring.pop_front()),
            Entries::Wide(ring) => drop(ring.pop_front()),
        }
        Some(value)
    }

    /// Adds an entry that leaves at `t`, no earlier than the last one.
    #[inline]
    fn push_back(&mut self, t: SimTime, value: T) {
        match self {
            Entries::Narrow { base, ring } => {
                if ring.is_empty() {
                    *base = t;
                }
                let offset = match u32::try_from(t - *base) {
                    Ok(o) => o,
                    Err(_) => Self::move_base(base, ring, t),
                };
                ring.push_back((offset, value));
            }
            Entries::Wide(ring) => ring.push_back((t, value)),
        }
    }

    /// Moves `base` up to the oldest entry's time; the offset of `t` from
    /// the new base.
    #[cold]
    fn move_base(base: &mut SimTime, ring: &mut VecDeque<(u32, T)>, t: SimTime) -> u32 {
        let shift = ring.front().map_or(0, |e| e.0);
        for e in ring.iter_mut() {
            e.0 -= shift;
        }
        *base += u64::from(shift);
        u32::try_from(t - *base).expect("the window's entries span less than its width")
    }

    /// What arrived at the newest entry's instant.
    fn back(&self) -> Option<&T> {
        match self {
            Entries::Narrow { ring, .. } => ring.back().map(|e| &e.1),
            Entries::Wide(ring) => ring.back().map(|e| &e.1),
        }
    }

    /// What arrived at the newest entry's instant, to add to.
    fn back_mut(&mut self) -> Option<&mut T> {
        match self {
            Entries::Narrow { ring, .. } => ring.back_mut().map(|e| &mut e.1),
            Entries::Wide(ring) => ring.back_mut().map(|e| &mut e.1),
        }
    }

    /// Every entry, oldest first: when it leaves, and what arrived.
    fn each(&self, mut f: impl FnMut(SimTime, T)) {
        match self {
            Entries::Narrow { base, ring } => {
                for &(offset, value) in ring {
                    f(*base + u64::from(offset), value);
                }
            }
            Entries::Wide(ring) => {
                for &(t, value) in ring {
                    f(t, value);
                }
            }
        }
    }

    fn clear(&mut self) {
        match self {
            Entries::Narrow { ring, .. } => ring.clear(),
            Entries::Wide(ring) => ring.clear(),
        }
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        match self {
            Entries::Narrow { ring, .. } => ring.is_empty(),
            Entries::Wide(ring) => ring.is_empty(),
        }
    }

    /// Room in entries.
    #[cfg(test)]
    fn capacity(&self) -> usize {
        match self {
            Entries::Narrow { ring, .. } => ring.capacity(),
            Entries::Wide(ring) => ring.capacity(),
        }
    }

    /// The buffers, emptied, for the next window: one of them empty, and
    /// the other too if it is too large to keep.
    fn into_buffers(self) -> Rings<T> {
        match self {
            Entries::Narrow { ring, .. } => Rings {
                narrow: emptied(ring),
                ..Rings::EMPTY
            },
            Entries::Wide(ring) => Rings {
                wide: emptied(ring),
                ..Rings::EMPTY
            },
        }
    }
}

/// `ring`'s buffer, emptied (emptied first, so that nothing is moved to
/// make it a `Vec`), if it is small enough to keep
/// ([`emptied_if_small`]).
fn emptied<T>(mut ring: VecDeque<T>) -> Vec<T> {
    ring.clear();
    emptied_if_small(ring.into()).unwrap_or_default()
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

/// `n` arrivals of cost `unit`, added up (saturating): `unit × n`
/// element by element, saturating. The saturating sum of `n` copies of a
/// non-negative `u` is the least of the sum `n·u` and `u64::MAX` (module
/// comment), and so is `u.saturating_mul(n)`: the exact product when it
/// fits, `u64::MAX` when it does not.
fn times(unit: [u64; 4], n: u64) -> [u64; 4] {
    unit.map(|u| u.saturating_mul(n))
}

/// Arrivals in the last window of width `width`, the peak so far and the
/// total.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PeakWindow {
    width: SimDuration,
    /// Unit form: the closed entries, each with when it leaves the
    /// window (its time + width, saturated) and how many arrived at its
    /// instant. The open entry gets its own when it closes.
    counts: Entries<u32>,
    /// Full form: every entry, with when it leaves the window and what
    /// arrived at its instant, per limit. The last entry is open: not yet
    /// in `sum` nor `total`.
    amounts: Entries<[u64; 4]>,
    /// The full form (for the rest of the run), not the unit form.
    full: bool,
    /// Unit form: the cost of every arrival (zero before the first).
    unit: [u64; 4],
    /// Unit form: the most arrivals whose amounts, `unit × n` exactly,
    /// fit in a `u64` for every limit: `u64::MAX / max(unit)`.
    room: u64,
    /// Unit form: arrivals at the open entry's instant, `last` (0 before
    /// the first arrival, at least 1 after it).
    open_n: u64,
    /// Unit form: arrivals in the closed entries in the window.
    sum_n: u64,
    /// Unit form: the largest `sum_n` seen, up to the last instant
    /// arrivals left.
    peak_n: u64,
    /// Unit form: arrivals in every closed entry (at most `room`).
    total_n: u64,
    /// The instant of the newest entry (meaningful while there is one).
    last: SimTime,
    /// Full form: total per limit of the closed entries in the window.
    sum: [u64; 4],
    /// Full form: the largest `sum` seen, up to the last instant arrivals
    /// left.
    peak: [u64; 4],
    /// Full form: total per limit of every closed entry.
    total: [u64; 4],
}

impl PeakWindow {
    pub(crate) fn new(width: SimDuration) -> PeakWindow {
        PeakWindow {
            width,
            counts: Entries::new(width, Rings::EMPTY),
            amounts: Entries::new(width, Rings::EMPTY),
            full: false,
            unit: [0; 4],
            room: u64::MAX,
            open_n: 0,
            sum_n: 0,
            peak_n: 0,
            total_n: 0,
            last: 0,
            sum: [0; 4],
            peak: [0; 4],
            total: [0; 4],
        }
    }

    /// [`PeakWindow::new`], in the buffers the last window recycled on this
    /// thread held.
    pub(crate) fn reused(width: SimDuration) -> PeakWindow {
        let b = SPARE.with(|spare| std::mem::replace(&mut *spare.borrow_mut(), Buffers::EMPTY));
        PeakWindow {
            counts: Entries::new(width, b.counts),
            amounts: Entries::new(width, b.amounts),
            ..PeakWindow::new(width)
        }
    }

    /// Keeps its buffers (of either form), emptied, for the next
    /// [`PeakWindow::reused`] on this thread; a buffer with more room than
    /// [`crate::reuse::KEEP_BYTES`] goes back to the system instead.
    pub(crate) fn recycle(self) {
        let b = Buffers {
            counts: self.counts.into_buffers(),
            amounts: self.amounts.into_buffers(),
        };
        SPARE.with(|spare| *spare.borrow_mut() = b);
    }

    /// `cost` (per limit) arrived at `now` (never before the last arrival).
    #[inline]
    pub(crate) fn arrive(&mut self, now: SimTime, cost: [u64; 4]) {
        // With a positive width, nothing leaves at the newest entry's
        // instant that had not left when it was made.
        if now == self.last && self.width > 0 {
            if !self.full {
                // Before the first arrival `open_n` is 0 and `unit` zero:
                // a zero cost at 0 opens the first entry here, as
                // `arrive_later` would.
                if cost == self.unit {
                    self.open_n += 1;
                    return;
                }
            } else if let Some(open) = self.amounts.back_mut() {
                add(open, cost);
                return;
            }
        }
        self.arrive_later(now, cost);
    }

    /// [`PeakWindow::arrive`] at a new instant (or of another cost): the
    /// open entry is closed, the peak settled, the entries that left the
    /// window are dropped, and a new entry opens.
    fn arrive_later(&mut self, now: SimTime, cost: [u64; 4]) {
        if self.full {
            return self.arrive_later_full(now, cost);
        }
        if cost != self.unit {
            if self.open_n != 0 {
                self.become_full();
                return self.arrive(now, cost);
            }
            // The first arrival: its cost is the unit.
            self.unit = cost;
            self.room = u64::MAX / cost.into_iter().max().unwrap_or(0).max(1);
        }
        if self.open_n != 0 {
            let total = self.total_n.checked_add(self.open_n);
            let (Some(total), Ok(n)) = (
                total.filter(|&t| t <= self.room),
                u32::try_from(self.open_n),
            ) else {
                self.become_full();
                return self.arrive(now, cost);
            };
            self.counts
                .push_back(self.last.saturating_add(self.width), n);
            // At most `total_n`: no overflow.
            self.sum_n += self.open_n;
            self.total_n = total;
        }
        self.peak_n = self.peak_n.max(self.sum_n);
        while let Some(n) = self.counts.pop_departed(now) {
            self.sum_n -= u64::from(n);
        }
        self.open_n = 1;
        self.last = now;
    }

    /// Turns the unit form into the full form, with the open entry.
    ///
    /// The numbers stay what the full form would have had from the start.
    /// An entry of `n` arrivals holds their saturating sum, `times(unit,
    /// n)` ([`times`]). While in the unit form, every arrival so far is
    /// at most `total_n + open_n` units and so are the full form's sums,
    /// which the unit form keeps at most `room`, where `unit × room` fits
    /// for every limit: none of the full form's additions saturates, so
    /// its sums are exact, none of its subtractions (of an entry that is
    /// part of the window's sum) goes below 0, and its `sum`, `total` and
    /// `peak` are `unit` times `sum_n`, `total_n` and `peak_n` (times a
    /// count of units is monotone, so the largest of the sums is the unit
    /// times the largest count). The reads in the unit form
    /// ([`PeakWindow::peak`], [`PeakWindow::total`]) add the open entry's
    /// `times(unit, open_n)` to those, as the full form adds its open
    /// entry.
    #[cold]
    fn become_full(&mut self) {
        let unit = self.unit;
        self.amounts.clear();
        let amounts = &mut self.amounts;
        self.counts
            .each(|t, n| amounts.push_back(t, times(unit, u64::from(n))));
        self.counts.clear();
        if self.open_n != 0 {
            self.amounts.push_back(
                self.last.saturating_add(self.width),
                times(unit, self.open_n),
            );
        }
        self.sum = times(unit, self.sum_n);
        self.peak = times(unit, self.peak_n);
        self.total = times(unit, self.total_n);
        self.full = true;
    }

    /// [`PeakWindow::arrive_later`] in the full form.
    fn arrive_later_full(&mut self, now: SimTime, cost: [u64; 4]) {
        if let Some(&open) = self.amounts.back() {
            add(&mut self.sum, open);
            add(&mut self.total, open);
        }
        self.peak = max(self.peak, self.sum);
        while let Some(a) = self.amounts.pop_departed(now) {
            for (s, a) in self.sum.iter_mut().zip(a) {
                *s = s.saturating_sub(a);
            }
        }
        self.amounts.push_back(now.saturating_add(self.width), cost);
        self.last = now;
    }

    /// The open entry's amounts (zero when there is none).
    fn open(&self) -> [u64; 4] {
        if !self.full {
            return times(self.unit, self.open_n);
        }
        self.amounts.back().copied().unwrap_or([0; 4])
    }

    /// The closed entries' `(sum, peak, total)` (see the fields).
    fn closed(&self) -> ([u64; 4], [u64; 4], [u64; 4]) {
        if self.full {
            (self.sum, self.peak, self.total)
        } else {
            let unit = self.unit;
            (
                times(unit, self.sum_n),
                times(unit, self.peak_n),
                times(unit, self.total_n),
            )
        }
    }

    /// The most that arrived in any window ending at an arrival, per limit.
    pub(crate) fn peak(&self) -> [u64; 4] {
        let (mut now, peak, _) = self.closed();
        add(&mut now, self.open());
        max(peak, now)
    }

    /// All that arrived, per limit.
    pub(crate) fn total(&self) -> [u64; 4] {
        let (_, _, mut total) = self.closed();
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

    /// The peak by [`PeakWindow`] in the form it picks, and whether it
    /// ended in the full form; checks on the way that its total is the
    /// arrivals' and that its peak and total are those of a window in the
    /// full form from the start (the algorithm without the unit form).
    fn run_form(width: SimDuration, arrivals: &[(SimTime, [u64; 4])]) -> ([u64; 4], bool) {
        let mut w = PeakWindow::new(width);
        let mut full = PeakWindow {
            full: true,
            ..PeakWindow::new(width)
        };
        let mut total = [0; 4];
        for &(t, c) in arrivals {
            w.arrive(t, c);
            full.arrive(t, c);
            add(&mut total, c);
            assert_eq!(w.total(), total);
            assert_eq!(full.total(), total);
            assert_eq!(w.peak(), full.peak());
        }
        (w.peak(), w.full)
    }

    /// The peak by [`PeakWindow`] (see [`run_form`]).
    fn run(width: SimDuration, arrivals: &[(SimTime, [u64; 4])]) -> [u64; 4] {
        run_form(width, arrivals).0
    }

    /// `n` arrivals: gaps of 0..8 ns and, by `cost`, costs from a fixed
    /// pseudo-random walk (a 64-bit LCG, Knuth's MMIX constants).
    fn walk(
        n: usize,
        mut cost: impl FnMut(usize, &mut dyn FnMut() -> u64) -> [u64; 4],
    ) -> Vec<(SimTime, [u64; 4])> {
        let mut x: u64 = 1;
        let mut next = move || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x >> 33
        };
        let mut t = 0;
        (0..n)
            .map(|i| {
                t += next() % 8;
                (t, cost(i, &mut next))
            })
            .collect()
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

    /// Instants in one window, 1 ns apart: 200,000 in a window of 2^40 ns,
    /// whose entries (a departure time of 8 bytes and a count of 4, 16
    /// bytes with padding, at least 3.2 MB, as the window is too wide for
    /// offsets) are more than a recycled buffer keeps (1 MiB); 60,000 in a
    /// window of 1 s, whose entries (an offset and a count, 8 bytes, at
    /// most 2^16 of them in a ring that doubles: 0.5 MB) it keeps.
    #[test]
    fn a_recycled_window_keeps_only_small_buffers() {
        for (width, instants, kept) in [(1 << 40, 200_000, false), (1_000_000_000, 60_000, true)] {
            let mut w = PeakWindow::reused(width);
            for t in 0..instants {
                w.arrive(t, [1, 0, 0, 0]);
            }
            assert_eq!(w.peak(), [instants, 0, 0, 0]);
            w.recycle();
            let w = PeakWindow::reused(width);
            assert_eq!(
                w.counts.capacity() >= instants as usize,
                kept,
                "width {width}"
            );
            assert_eq!(w.counts.capacity() == 0, !kept, "width {width}");
            assert_eq!(w, PeakWindow::new(width));
        }
    }

    /// A window 2^31 ns wide (the widest kept as offsets) that never
    /// empties for 30 s, with arrivals 10 ms apart in both forms: its
    /// offsets' base moves up (several times, as an offset would reach
    /// 2^32), and its peak and total are at every arrival those of the
    /// same window kept as whole times, and its peak that of the
    /// definition.
    #[test]
    fn a_narrow_window_moves_its_base_and_counts_as_a_wide_one() {
        let width = NARROW_WIDTH;
        let ms = 1_000_000;
        let unit: Vec<_> = (0..3_000).map(|i| (i * 10 * ms, [2, 0, 0, 1])).collect();
        let varied: Vec<_> = (0..3_000)
            .map(|i| (i * 10 * ms, [1 + i % 7, 0, 0, 1]))
            .collect();
        for arrivals in [&unit, &varied] {
            let mut narrow = PeakWindow::new(width);
            let mut wide = PeakWindow {
                counts: Entries::Wide(VecDeque::new()),
                amounts: Entries::Wide(VecDeque::new()),
                ..PeakWindow::new(width)
            };
            let mut bases = Vec::new();
            for &(t, c) in arrivals.iter() {
                narrow.arrive(t, c);
                wide.arrive(t, c);
                assert_eq!((narrow.peak(), narrow.total()), (wide.peak(), wide.total()));
                let (Entries::Narrow { base, .. }, Entries::Narrow { base: b, .. }) =
                    (&narrow.counts, &narrow.amounts)
                else {
                    panic!("a window of 2^31 ns is narrow");
                };
                let (base, empty) = if narrow.full {
                    (*b, narrow.amounts.is_empty())
                } else {
                    (*base, narrow.counts.is_empty())
                };
                if !empty && bases.last() != Some(&base) {
                    bases.push(base);
                }
            }
            // 215 arrivals in any window of 2^31 ns (2.147 s).
            assert_eq!(narrow.peak(), brute(width, arrivals));
            assert_eq!(narrow.peak()[3], 215);
            // The first base is the first departure, 2^31 ns; each move
            // comes once an offset would pass 2^32 − 1, i.e. every 2 s
            // or so of arrivals, 30 s of them: more than ten moves.
            assert_eq!(bases[0], width);
            assert!(bases.len() > 10, "{bases:?}");
        }
    }

    #[test]
    fn a_reused_window_starts_empty() {
        // In the full form (two costs), then in the unit form (one), then
        // in the full form again: each reused window starts as a new one,
        // in the unit form, with the buffers of the last.
        let full = [(0, [3, 0, 0, 0]), (1, [2, 0, 0, 0])];
        let unit = [(0, [3, 0, 0, 0]), (1, [3, 0, 0, 0]), (2, [3, 0, 0, 0])];
        let mut w = PeakWindow::reused(10);
        for &(t, c) in &full {
            w.arrive(t, c);
        }
        assert_eq!((w.peak(), w.full), ([5, 0, 0, 0], true));
        w.recycle();
        let mut w = PeakWindow::reused(10);
        assert!(w.amounts.is_empty() && w.counts.is_empty());
        assert!(w.amounts.capacity() >= 2);
        assert_eq!((w.peak(), w.total()), ([0; 4], [0; 4]));
        assert_eq!(w, PeakWindow::new(10));
        for &(t, c) in &unit {
            w.arrive(t, c);
        }
        assert_eq!(
            (w.peak(), w.total(), w.full),
            ([9, 0, 0, 0], [9, 0, 0, 0], false)
        );
        w.recycle();
        let mut w = PeakWindow::reused(10);
        assert!(w.amounts.is_empty() && w.counts.is_empty());
        assert!(w.counts.capacity() >= 2);
        assert!(w.amounts.capacity() >= 2);
        assert_eq!(w, PeakWindow::new(10));
        for &(t, c) in &full {
            w.arrive(t, c);
        }
        assert_eq!(
            (w.peak(), w.total(), w.full),
            ([5, 0, 0, 0], [5, 0, 0, 0], true)
        );
    }

    #[test]
    fn nothing_arrived() {
        let w = PeakWindow::new(5);
        assert_eq!((w.peak(), w.total()), ([0; 4], [0; 4]));
        assert_eq!(run_form(5, &[]), ([0; 4], false));
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
        // The same in a window narrow enough for offsets (10 ns): at
        // u64::MAX − 1 the arrivals at − 5 and − 1 (both leaving at the
        // saturated u64::MAX) are in it; at u64::MAX neither is.
        let near = [
            (u64::MAX - 5, [1; 4]),
            (u64::MAX - 1, [1; 4]),
            (u64::MAX, [1; 4]),
        ];
        assert_eq!(run(10, &near), [2; 4]);
        assert_eq!(run(10, &near), brute(10, &near));
    }

    #[test]
    fn agrees_with_the_definition_as_entries_come_and_go() {
        // Costs 0..4: the window turns to the full form at the second
        // arrival, and its ring buffers wrap around many times.
        let a = walk(6000, |_, next| [next() % 4, next() % 4, 1, 0]);
        for width in [1, 3, 64, 5000, 40_000] {
            assert_eq!(
                run_form(width, &a),
                (brute(width, &a), true),
                "width {width}"
            );
        }
    }

    #[test]
    fn one_cost_stays_in_the_unit_form_as_entries_come_and_go() {
        let a = walk(6000, |_, _| [1, 1524, 1000, 0]);
        for width in [1, 3, 64, 5000, 40_000] {
            assert_eq!(
                run_form(width, &a),
                (brute(width, &a), false),
                "width {width}"
            );
        }
    }

    #[test]
    fn turns_to_the_full_form_midway_like_the_definition() {
        // One cost for 3,000 arrivals, another once, then the first
        // again; the other cost arrives at a new instant or at the open
        // entry's.
        let one = [1, 3, 0, 2];
        for same_instant in [false, true] {
            let mut a = walk(6000, |i, _| if i == 3000 { [2, 3, 0, 2] } else { one });
            let t = if same_instant {
                a[2999].0
            } else {
                a[2999].0 + 1
            };
            let base = a[3000].0;
            for p in &mut a[3000..] {
                p.0 = p.0 - base + t;
            }
            for width in [1, 3, 64, 5000, 40_000] {
                let (peak, full) = run_form(width, &a);
                assert_eq!((peak, full), (brute(width, &a), true), "width {width}");
                let (first, _) = run_form(width, &a[..3000]);
                assert_eq!(first, brute(width, &a[..3000]), "width {width}");
            }
        }
    }

    /// One cost for 2,000 arrivals 10 ms apart, another once, then the
    /// first again: the window turns to the full form with closed entries
    /// in it, which keep their departure times, in a narrow window whose
    /// base has moved several times by then (2 s wide: the base moves when
    /// a departure is 2^32 ns, 4.3 s, past it, to the oldest entry's,
    /// about 2 s back, so every 2.3 s or so) and in a wide one (5 s). Both
    /// widths are multiples of the gap, so that entries leave exactly at
    /// arrivals.
    #[test]
    fn turns_to_the_full_form_with_entries_in_a_narrow_or_wide_window() {
        let ms = 1_000_000;
        let a: Vec<_> = (0..3_000)
            .map(|i| (i * 10 * ms, [if i == 2_000 { 3 } else { 2 }, 0, 0, 1]))
            .collect();
        // Before the other cost, the narrow window's base is no longer its
        // first (the first entry's departure, 2 s).
        let mut w = PeakWindow::new(2_000 * ms);
        for &(t, c) in &a[..2_000] {
            w.arrive(t, c);
        }
        let Entries::Narrow { base, .. } = w.counts else {
            panic!("a window of 2 s is narrow");
        };
        assert!(base > 2_000 * ms, "{base}");
        for width in [2_000 * ms, 5_000 * ms] {
            assert_eq!(
                run_form(width, &a),
                (brute(width, &a), true),
                "width {width}"
            );
        }
    }

    #[test]
    fn a_zero_cost_first_arrival_at_0() {
        // The first entry opens on the fast path with the zero unit.
        let a = [
            (0, [0; 4]),
            (0, [0; 4]),
            (0, [1, 0, 0, 0]),
            (2, [1, 0, 0, 0]),
        ];
        assert_eq!(run_form(1, &a[..2]), ([0; 4], false));
        assert_eq!(run_form(5, &a), ([2, 0, 0, 0], true));
        assert_eq!(run(5, &a), brute(5, &a));
        assert_eq!(run(1, &a), [1, 0, 0, 0]);
    }

    #[test]
    fn saturates_in_the_unit_form() {
        // u64::MAX = 2^64 − 1, so 2 units of 2^63 − 1 are u64::MAX − 1 and
        // fit (room = 2), and 3 do not.
        let u = [u64::MAX / 2, 1, 0, 7];
        let w = {
            let mut w = PeakWindow::new(10);
            (0..3).for_each(|_| w.arrive(0, u));
            w
        };
        // Three at one instant, read while still open (unit form).
        assert_eq!((w.room, w.full, w.open_n), (2, false, 3));
        assert_eq!(w.peak(), [u64::MAX, 3, 0, 21]);
        assert_eq!(w.total(), [u64::MAX, 3, 0, 21]);
        // Two at 0, one at 1, one at 2: the arrival at 2 closes a run
        // total of 3 units, past room: the full form.
        let a = [(0, u), (0, u), (1, u), (2, u)];
        assert_eq!(run_form(10, &a), ([u64::MAX, 4, 0, 28], true));
        assert_eq!(run(10, &a), brute(10, &a));
        // Width 1: each instant alone; the most is the two at 0.
        assert_eq!(run_form(1, &a), ([u64::MAX - 1, 2, 0, 14], true));
        assert_eq!(run(1, &a), brute(1, &a));
        // Two units in all stay in the unit form.
        assert_eq!(run_form(1, &a[..3]), ([u64::MAX - 1, 2, 0, 14], false));
    }

    #[test]
    fn an_instant_of_more_than_u32_max_arrivals() {
        // 2^32 − 1 arrivals at 0 (set, not made one by one) fit in an
        // entry; 2^32 do not. One more at 1; width 10 holds them all.
        let one = [1, 0, 0, 0];
        for (at_0, full) in [(u64::from(u32::MAX), false), (1 << 32, true)] {
            let mut w = PeakWindow::new(10);
            w.arrive(0, one);
            w.open_n = at_0;
            w.arrive(1, one);
            assert_eq!(w.full, full);
            assert_eq!(w.peak(), [at_0 + 1, 0, 0, 0]);
            assert_eq!(w.total(), [at_0 + 1, 0, 0, 0]);
            w.arrive(20, one);
            assert_eq!(w.peak(), [at_0 + 1, 0, 0, 0]);
            assert_eq!(w.total(), [at_0 + 2, 0, 0, 0]);
        }
    }
}
