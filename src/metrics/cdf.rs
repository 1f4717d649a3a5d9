//! The time-to-success distribution on a fixed logarithmic grid, so that a
//! report can store it compactly and a chart can redraw it exactly.
//!
//! Grid point `j` is the time `edge_ns(j)` = 10^(3 + j/50) ns rounded to a
//! whole nanosecond: 50 points per decade (each 4.7% after the previous),
//! from 1 µs (j = 0) to 10^19 ns (j = 800), which covers any horizon a
//! `u64` of nanoseconds can hold (longer times count at the last point).
//! Above 2^53 ns (about 104 days) `powf` no longer rounds to a unique
//! nanosecond, so grid times there may differ across platforms. A run keeps, per grid point, how many of
//! its successes took at most that long but longer than the previous point
//! ([`TtsHistogram`]); the cumulative counts are therefore *exact* at every
//! grid point, and `tts_cdf.csv` lists those exact points.

use crate::time::SimDuration;
use std::sync::OnceLock;

/// Grid points per decade of time.
pub const POINTS_PER_DECADE: u16 = 50;
/// The last grid index (10^19 ns).
pub const LAST_POINT: u16 = 16 * POINTS_PER_DECADE;

fn edges() -> &'static [u64] {
    static EDGES: OnceLock<Vec<u64>> = OnceLock::new();
    EDGES.get_or_init(|| {
        (0..=LAST_POINT)
            .map(|j| {
                let exp = 3.0 + f64::from(j) / f64::from(POINTS_PER_DECADE);
                // Rounded to whole nanoseconds, so that the grid does not
                // depend on the last bit of `powf`.
                10f64.powf(exp).round() as u64
            })
            .collect()
    })
}

/// The time of grid point `j` (0 ≤ j ≤ [`LAST_POINT`]), in nanoseconds.
///
/// ```
/// use backsim::metrics::cdf::edge_ns;
/// assert_eq!(edge_ns(0), 1_000);               // 1 µs
/// assert_eq!(edge_ns(300), 1_000_000_000);     // 1 s
/// assert_eq!(edge_ns(315), 1_995_262_315);     // 10^0.3 s
/// ```
pub fn edge_ns(j: u16) -> u64 {
    edges()[usize::from(j)]
}

/// The first grid point at or after `t` (the last point for longer times).
pub fn point_of(t: SimDuration) -> u16 {
    let j = edges().partition_point(|&e| e < t);
    j.min(usize::from(LAST_POINT)) as u16
}

/// One run's successes counted per grid interval: `(j, n)` means `n`
/// successes took longer than grid point `j − 1` and at most `j`. Only
/// non-empty intervals are kept, in increasing `j`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TtsHistogram {
    pub counts: Vec<(u16, u64)>,
}

impl TtsHistogram {
    /// Counts sorted times to success.
    pub fn from_sorted(sorted: &[SimDuration]) -> TtsHistogram {
        debug_assert!(sorted.is_sorted(), "times to success must be sorted");
        let mut counts: Vec<(u16, u64)> = Vec::new();
        for &t in sorted {
            let j = point_of(t);
            match counts.last_mut() {
                Some((last, n)) if *last == j => *n += 1,
                _ => counts.push((j, 1)),
            }
        }
        TtsHistogram { counts }
    }

    /// The first and last non-empty grid points.
    pub fn range(&self) -> Option<(u16, u16)> {
        Some((self.counts.first()?.0, self.counts.last()?.0))
    }

    /// Successes at or below each grid point `lo..=hi`.
    pub fn cumulative(&self, lo: u16, hi: u16) -> Vec<u64> {
        let mut out = Vec::with_capacity(usize::from(hi.saturating_sub(lo)) + 1);
        let mut total = 0;
        let mut next = self.counts.iter().peekable();
        for j in 0..=hi {
            while let Some(&&(k, n)) = next.peek() {
                if k > j {
                    break;
                }
                total += n;
                next.next();
            }
            if j >= lo {
                out.push(total);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_strictly_increasing_with_exact_decades() {
        let e = edges();
        assert!(e.windows(2).all(|w| w[0] < w[1]));
        for d in 0..=16u16 {
            assert_eq!(edge_ns(d * POINTS_PER_DECADE), 10u64.pow(u32::from(3 + d)));
        }
        // Successive points are 10^(1/50) = 1.0471 apart.
        let r = edge_ns(401) as f64 / edge_ns(400) as f64;
        assert!((r - 10f64.powf(0.02)).abs() < 1e-9);
    }

    #[test]
    fn points_round_up_to_the_grid() {
        assert_eq!(point_of(0), 0);
        assert_eq!(point_of(1_000), 0);
        assert_eq!(point_of(1_001), 1);
        assert_eq!(point_of(1_000_000_000), 300);
        assert_eq!(point_of(1_000_000_001), 301);
        assert_eq!(point_of(u64::MAX), LAST_POINT);
    }

    #[test]
    fn cumulative_counts_are_exact_at_grid_points() {
        let s = 1_000_000_000;
        // 1 s, 1 s, 1.5 s, 10 s.
        let h = TtsHistogram::from_sorted(&[s, s, 3 * s / 2, 10 * s]);
        assert_eq!(h.counts, vec![(300, 2), (309, 1), (350, 1)]);
        assert_eq!(h.range(), Some((300, 350)));
        let c = h.cumulative(299, 350);
        assert_eq!(c.len(), 52);
        assert_eq!(c[0], 0); // just below 1 s
        assert_eq!(c[1], 2); // 1 s
        assert_eq!(c[9], 2); // 10^0.16 s = 1.445 s < 1.5 s
        assert_eq!(c[10], 3); // 10^0.18 s = 1.514 s
        assert_eq!(c[51], 4);
        assert_eq!(TtsHistogram::default().range(), None);
    }
}
