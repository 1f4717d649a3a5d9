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
//!
//! A run records its times to success in a [`TimesToSuccess`], whose size
//! does not grow with the number of successes: the grid counts above, and
//! a log-linear histogram for the quantiles (see its documentation for the
//! precision).

use crate::time::SimDuration;
use std::cell::RefCell;
use std::fmt;
use std::sync::OnceLock;

/// Grid points per decade of time.
pub const POINTS_PER_DECADE: u16 = 50;
/// The last grid index (10^19 ns).
pub const LAST_POINT: u16 = 16 * POINTS_PER_DECADE;

/// The grid's times ([`edge_ns`]) and, for [`point_of`], where in them
/// each slot of times starts.
struct Grid {
    edges: Vec<u64>,
    /// Times `t` of bit length `b` (2^(b−1) ≤ t < 2^b) fall in slot
    /// `b × 32 + m`, `m` their five bits after the leading one: slot `i`
    /// holds `starts[i]`, the first grid point at or after the slot's
    /// least time. A slot is at most 1/32 of its least time wide, less
    /// than the 4.7% between grid points, so that at most one grid point
    /// lies inside it.
    starts: Vec<u16>,
}

/// Slots per power of two in [`Grid::starts`] (five bits).
const SLOT_BITS: u32 = 5;

/// The slot of `t` ≥ 2^[`SLOT_BITS`] in [`Grid::starts`].
fn slot_of(t: u64) -> usize {
    let bits = 64 - t.leading_zeros();
    let m = (t >> (bits - 1 - SLOT_BITS)) as usize & ((1 << SLOT_BITS) - 1);
    (bits as usize) << SLOT_BITS | m
}

/// The least time of slot `m` of bit length `bits` (> [`SLOT_BITS`]):
/// the leading one, `m`'s five bits, then zeros.
fn slot_least(bits: u32, m: u64) -> u64 {
    ((1 << SLOT_BITS) | m) << (bits - 1 - SLOT_BITS)
}

fn grid() -> &'static Grid {
    static GRID: OnceLock<Grid> = OnceLock::new();
    GRID.get_or_init(|| {
        let edges: Vec<u64> = (0..=LAST_POINT)
            .map(|j| {
                let exp = 3.0 + f64::from(j) / f64::from(POINTS_PER_DECADE);
                // Rounded to whole nanoseconds, so that the grid does not
                // depend on the last bit of `powf`.
                10f64.powf(exp).round() as u64
            })
            .collect();
        // Slot `i`'s least time, for bit lengths from SLOT_BITS + 1 up
        // (the slots below stay at 0; [`point_of`] does not use them).
        let starts = (0..65usize << SLOT_BITS)
            .map(|i| {
                let (bits, m) = ((i >> SLOT_BITS) as u32, (i & ((1 << SLOT_BITS) - 1)) as u64);
                if bits <= SLOT_BITS {
                    return 0;
                }
                edges.partition_point(|&e| e < slot_least(bits, m)) as u16
            })
            .collect();
        Grid { edges, starts }
    })
}

fn edges() -> &'static [u64] {
    &grid().edges
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
    let grid = grid();
    let e = &grid.edges;
    if t <= e[0] {
        return 0;
    }
    // Where `t`'s slot starts, then past the grid point inside the slot
    // if `t` is beyond it: what a binary search of the grid finds, with
    // one or two reads instead of ten dependent ones (a time to success
    // is placed at every success).
    let mut j = usize::from(grid.starts[slot_of(t)]);
    while e.get(j).is_some_and(|&p| p < t) {
        j += 1;
    }
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

/// Bits of sub-bucket index per power of two in [`TimesToSuccess`].
pub const SUB_BUCKET_BITS: u32 = 11;
/// Sub-buckets per power of two: 2048.
const SUB: usize = 1 << SUB_BUCKET_BITS;
/// Chunk 0 holds 0 ns to 2047 ns one nanosecond per bucket; chunk `c ≥ 1`
/// holds [2^(c+10), 2^(c+11)) ns in [`SUB`] buckets; chunk 53 ends at 2^64.
const CHUNKS: usize = 64 - SUB_BUCKET_BITS as usize + 1;

/// Words of a bitmap of one chunk's buckets.
const CHUNK_WORDS: usize = SUB / 64;
/// Words of a bitmap of the grid's points.
const GRID_WORDS: usize = (LAST_POINT as usize) / 64 + 1;

/// The set bits of a bitmap, in increasing order.
fn set_bits(words: &[u64]) -> impl Iterator<Item = usize> + '_ {
    words.iter().enumerate().flat_map(|(w, &word)| {
        let mut rest = word;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let bit = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                w * 64 + bit
            })
        })
    })
}

/// One histogram bucket: how many times fell in it, and the largest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Bucket {
    count: u64,
    max: SimDuration,
}

/// The chunk and bucket of time `t`.
fn bucket_of(t: SimDuration) -> (usize, usize) {
    if t < SUB as u64 {
        return (0, t as usize);
    }
    let e = 63 - t.leading_zeros(); // ≥ SUB_BUCKET_BITS
    let shift = e - SUB_BUCKET_BITS;
    let chunk = (shift + 1) as usize;
    debug_assert!(chunk < CHUNKS);
    (chunk, ((t >> shift) as usize) - SUB)
}

/// A run's times to success, in memory that does not grow with their
/// number (at most 54 chunks of 2048 buckets, allocated as times fall in
/// them, plus the report's grid). Bitmaps say which buckets and grid
/// points are non-empty, so that reading the quantiles and the grid, and
/// emptying it for the next run ([`TimesToSuccess::recycle`]), visit only
/// those.
///
/// * **Count, mean and max are exact**: the sum is kept in a `u128`.
/// * **Grid counts are exact**: [`TimesToSuccess::histogram`] is the
///   report's [`TtsHistogram`], counted as the times come.
/// * **Quantiles** ([`TimesToSuccess::quantile`], nearest rank) come from a
///   log-linear (HDR-style) histogram: times below 2048 ns have a bucket
///   per nanosecond; above, each power of two is cut into 2048 equal
///   buckets, so a bucket is at most 1/2048 (0.049%) of the times in it
///   wide. Each bucket keeps its count and the largest time seen in it, and
///   a quantile is the largest time of the bucket holding the
///   nearest-rank value: an observed time, never below the exact quantile
///   and less than 0.049% (or, below 2048 ns, nothing) above it. It is
///   exact whenever the times sharing the quantile's bucket are equal, or
///   when the exact quantile is the largest of them (the max always is).
///   Distinct times can share a bucket in any scenario, deterministic ones
///   included (a thousand successes 100 ns apart do), so quantiles are
///   exact in the closed-form cases, not in general.
///
/// ```
/// use backsim::metrics::cdf::TimesToSuccess;
/// let mut t = TimesToSuccess::default();
/// for ms in [200, 200, 1200, 1200, 1200] {
///     t.record(ms * 1_000_000);
/// }
/// assert_eq!(t.len(), 5);
/// assert_eq!(t.quantile(0.5), Some(1_200_000_000));
/// assert_eq!(t.quantile(0.4), Some(200_000_000));
/// assert_eq!(t.mean(), Some(800_000_000.0));
/// ```
#[derive(Clone, Default)]
pub struct TimesToSuccess {
    len: u64,
    sum: u128,
    /// Up to the highest chunk used; chunks are allocated when first used.
    chunks: Vec<Option<Box<[Bucket]>>>,
    /// Per chunk, its non-empty buckets.
    used: Vec<[u64; CHUNK_WORDS]>,
    /// Successes per grid point (see [`point_of`]); empty before the first.
    grid: Vec<u64>,
    /// The non-empty grid points.
    grid_used: [u64; GRID_WORDS],
}

impl PartialEq for TimesToSuccess {
    /// The same times (as far as they are kept), whatever memory holds them.
    fn eq(&self, other: &TimesToSuccess) -> bool {
        self.len == other.len
            && self.sum == other.sum
            && self.buckets().eq(other.buckets())
            && self.histogram() == other.histogram()
    }
}

thread_local! {
    /// The memory of the last [`TimesToSuccess`] recycled on this thread.
    static SPARE: RefCell<Option<TimesToSuccess>> = const { RefCell::new(None) };
}

impl fmt::Debug for TimesToSuccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let buckets = self.buckets().count();
        f.debug_struct("TimesToSuccess")
            .field("len", &self.len)
            .field("sum", &self.sum)
            .field("max", &self.max())
            .field("buckets", &buckets)
            .finish()
    }
}

impl TimesToSuccess {
    /// No times yet.
    pub fn new() -> TimesToSuccess {
        TimesToSuccess::default()
    }

    /// No times yet, in the memory the last one recycled on this thread
    /// held (its chunks stay allocated): a worker thread's runs do not
    /// allocate and zero them again.
    pub fn reused() -> TimesToSuccess {
        SPARE
            .with(|spare| spare.borrow_mut().take())
            .unwrap_or_default()
    }

    /// Empties it and keeps its memory for the next [`TimesToSuccess::reused`]
    /// on this thread.
    pub fn recycle(mut self) {
        self.clear();
        SPARE.with(|spare| *spare.borrow_mut() = Some(self));
    }

    /// Forgets every time, keeping the memory: only the non-empty buckets
    /// and grid points are zeroed.
    fn clear(&mut self) {
        for (chunk, used) in self.chunks.iter_mut().zip(&mut self.used) {
            if let Some(chunk) = chunk {
                for i in set_bits(used) {
                    chunk[i] = Bucket::default();
                }
            }
            *used = [0; CHUNK_WORDS];
        }
        for j in set_bits(&self.grid_used) {
            self.grid[j] = 0;
        }
        self.grid_used = [0; GRID_WORDS];
        self.len = 0;
        self.sum = 0;
    }

    /// Records one time to success.
    pub fn record(&mut self, t: SimDuration) {
        self.len += 1;
        self.sum += u128::from(t);
        let (c, i) = bucket_of(t);
        if self.chunks.len() <= c {
            self.chunks.resize_with(c + 1, || None);
            self.used.resize(c + 1, [0; CHUNK_WORDS]);
        }
        let chunk = self.chunks[c].get_or_insert_with(|| vec![Bucket::default(); SUB].into());
        let b = &mut chunk[i];
        b.count += 1;
        b.max = b.max.max(t);
        self.used[c][i / 64] |= 1 << (i % 64);
        if self.grid.is_empty() {
            self.grid = vec![0; usize::from(LAST_POINT) + 1];
        }
        let j = usize::from(point_of(t));
        self.grid[j] += 1;
        self.grid_used[j / 64] |= 1 << (j % 64);
    }

    /// Times recorded.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// True before the first time.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Exact sum of the times, in nanoseconds.
    pub fn sum(&self) -> u128 {
        self.sum
    }

    /// Exact mean (the `u128` sum divided once), None when empty.
    pub fn mean(&self) -> Option<f64> {
        (self.len > 0).then(|| self.sum as f64 / self.len as f64)
    }

    /// The longest time (exact), None when empty.
    pub fn max(&self) -> Option<SimDuration> {
        self.buckets().last().map(|b| b.max)
    }

    /// The nearest-rank `p`-quantile (0 < p <= 1), as
    /// [`crate::metrics::stats::quantile_sorted`] would find it in the sorted
    /// times, up to the precision stated on [`TimesToSuccess`]. None when
    /// empty.
    pub fn quantile(&self, p: f64) -> Option<SimDuration> {
        if self.len == 0 {
            return None;
        }
        // The same rank as `quantile_sorted`.
        let rank = ((p * self.len as f64).ceil() as u64).clamp(1, self.len);
        let mut seen = 0;
        self.buckets()
            .find(|b| {
                seen += b.count;
                seen >= rank
            })
            .map(|b| b.max)
    }

    /// The times in increasing order, each as the largest time of its
    /// bucket: exactly the recorded times wherever the times sharing a
    /// bucket are equal.
    pub fn iter(&self) -> impl Iterator<Item = &SimDuration> + '_ {
        self.buckets()
            .flat_map(|b| std::iter::repeat_n(&b.max, b.count as usize))
    }

    /// The times on the report's grid (exact counts per grid interval).
    pub fn histogram(&self) -> TtsHistogram {
        // Sized at once: one allocation per run's summary, not one per
        // doubling.
        let points = self.grid_used.iter().map(|w| w.count_ones() as usize).sum();
        let mut counts = Vec::with_capacity(points);
        counts.extend(set_bits(&self.grid_used).map(|j| (j as u16, self.grid[j])));
        TtsHistogram { counts }
    }

    /// Non-empty buckets in increasing order of time.
    fn buckets(&self) -> impl Iterator<Item = &Bucket> + '_ {
        self.chunks
            .iter()
            .zip(&self.used)
            .filter_map(|(c, used)| Some((c.as_deref()?, used)))
            .flat_map(|(c, used)| set_bits(used).map(move |i| &c[i]))
    }
}

impl<'a> IntoIterator for &'a TimesToSuccess {
    type Item = &'a SimDuration;
    type IntoIter = Box<dyn Iterator<Item = &'a SimDuration> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
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

    /// Every grid point, one nanosecond either side of it, and the first
    /// and last time of every slot: the slot table finds what a binary
    /// search of the grid does, and its slot holds at most one grid point
    /// before the answer (one step of the scan).
    #[test]
    fn point_of_finds_what_a_search_of_the_grid_finds() {
        let e = edges();
        let search = |t: u64| e.partition_point(|&p| p < t).min(usize::from(LAST_POINT)) as u16;
        let near_points = e.iter().flat_map(|&p| [p - 1, p, p + 1]);
        let slot_ends = (SLOT_BITS + 1..=64).flat_map(|bits| {
            (0..1u64 << SLOT_BITS).flat_map(move |m| {
                let least = slot_least(bits, m);
                [least, least + ((1 << (bits - 1 - SLOT_BITS)) - 1)]
            })
        });
        let mut checked = 0;
        for t in near_points.chain(slot_ends).chain([0, 1, 999, u64::MAX]) {
            assert_eq!(point_of(t), search(t), "t = {t}");
            if t > e[0] {
                let start = usize::from(grid().starts[slot_of(t)]);
                let steps = e.partition_point(|&p| p < t) - start;
                assert!(steps <= 1, "t = {t}: slot starts at {start}");
            }
            checked += 1;
        }
        assert_eq!(checked, 801 * 3 + 59 * 32 * 2 + 4);
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
    #[test]
    fn buckets_are_ordered_and_at_most_1_in_2048_wide() {
        assert_eq!(bucket_of(0), (0, 0));
        assert_eq!(bucket_of(2047), (0, 2047));
        assert_eq!(bucket_of(2048), (1, 0));
        assert_eq!(bucket_of(4095), (1, 2047));
        assert_eq!(bucket_of(4096), (2, 0));
        assert_eq!(bucket_of(4097), (2, 0));
        assert_eq!(bucket_of(u64::MAX), (CHUNKS - 1, SUB - 1));
        // Increasing times, non-decreasing buckets.
        let times = (0..40_000u64)
            .chain((16..64).flat_map(|e| [(1u64 << e) - 1, 1 << e]))
            .chain([u64::MAX]);
        let mut last = (0, 0);
        for t in times {
            let b = bucket_of(t);
            assert!(b >= last, "{t}");
            last = b;
        }
        // The widest bucket relative to its times: [2048·2^k, 2049·2^k).
        let (lo, hi) = (2048u64 << 20, 2049u64 << 20);
        assert_eq!(bucket_of(lo), bucket_of(hi - 1));
        assert_ne!(bucket_of(lo), bucket_of(hi));
    }

    #[test]
    fn quantiles_match_nearest_rank_within_the_stated_precision() {
        use crate::metrics::stats::quantile_sorted;
        // Pseudo-random times from 1 µs to about 100 s.
        let mut x: u64 = 88172645463325252;
        let mut v = Vec::new();
        let mut t = TimesToSuccess::new();
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let ns = (1_000 + x % 100_000_000_000) >> (x % 23);
            v.push(ns);
            t.record(ns);
        }
        v.sort_unstable();
        assert_eq!(t.len(), v.len());
        assert_eq!(t.max(), v.last().copied());
        let sum: u128 = v.iter().map(|&x| u128::from(x)).sum();
        assert_eq!(t.mean(), Some(sum as f64 / v.len() as f64));
        for p in [0.001, 0.01, 0.1, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0] {
            let exact = quantile_sorted(&v, p).unwrap();
            let got = t.quantile(p).unwrap();
            assert!(got >= exact, "p{p}: {got} < {exact}");
            assert!(
                (got - exact) as f64 <= exact as f64 / 2048.0,
                "p{p}: {got} vs {exact}"
            );
            assert!(
                v.binary_search(&got).is_ok(),
                "p{p}: {got} was never recorded"
            );
        }
        assert_eq!(t.histogram(), TtsHistogram::from_sorted(&v));
        assert!(t.iter().is_sorted());
        assert_eq!(t.iter().count(), v.len());
    }

    #[test]
    fn bits_come_in_order() {
        let words = [0b1001, 0, 1 << 63, u64::MAX];
        let bits: Vec<usize> = set_bits(&words).collect();
        let mut want = vec![0, 3, 191];
        want.extend(192..256);
        assert_eq!(bits, want);
        assert_eq!(set_bits(&[0; 3]).count(), 0);
    }

    #[test]
    fn a_recycled_one_is_empty_and_counts_like_a_new_one() {
        let s = 1_000_000_000u64;
        let mut first = TimesToSuccess::reused();
        for x in [7, 5_000, s, 3 * s, u64::MAX] {
            first.record(x);
        }
        // Chunks 0, 2, 19, 29 and 53 now hold memory.
        first.recycle();
        let mut again = TimesToSuccess::reused();
        assert_eq!(again.chunks.iter().flatten().count(), 5);
        assert!(again.is_empty());
        assert_eq!(again.sum(), 0);
        assert_eq!((again.quantile(0.5), again.max()), (None, None));
        assert_eq!(again.histogram(), TtsHistogram::default());
        assert_eq!(again, TimesToSuccess::new());
        let mut fresh = TimesToSuccess::new();
        for x in [2 * s, s / 2, 2 * s] {
            again.record(x);
            fresh.record(x);
        }
        assert_eq!(again, fresh);
        assert_eq!(
            again.iter().copied().collect::<Vec<_>>(),
            [s / 2, 2 * s, 2 * s]
        );
        // s/2 is at grid point 285 (10^-0.3 s rounds up there), 2 s at 316.
        assert_eq!(again.histogram().counts, [(285, 1), (316, 2)]);
        assert_eq!(again.quantile(0.5), Some(2 * s));
    }

    #[test]
    fn equal_times_are_exact() {
        let s = 1_000_000_000u64;
        let mut t = TimesToSuccess::new();
        assert_eq!((t.quantile(0.5), t.max(), t.mean()), (None, None, None));
        // 1 ns apart but in one bucket: 1 s and 1 s + 1 ns.
        for x in [s / 5, s / 5, s / 5, s + 1, s, 6 * s / 5] {
            t.record(x);
        }
        assert_eq!(t.quantile(0.5), Some(s / 5));
        assert_eq!(t.quantile(0.99), Some(6 * s / 5));
        assert_eq!(t.max(), Some(6 * s / 5));
        // The bucket of 1 s reports its largest time.
        assert_eq!(t.quantile(0.7), Some(s + 1));
        let all: Vec<u64> = t.iter().copied().collect();
        assert_eq!(all, [s / 5, s / 5, s / 5, s + 1, s + 1, 6 * s / 5]);
        assert_eq!(t.sum(), u128::from(3 * s / 5 + 2 * s + 1 + 6 * s / 5));
    }
}
