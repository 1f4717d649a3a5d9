//! Which of a queue structure's buckets are in use: a bitmap of the
//! buckets and a summary with a bit per word of it, so that the first
//! bucket in use is found in two reads of a word, not by a scan. The
//! radix heap ([`super::RadixHeap`]) asks for its lowest bucket in use;
//! the calendar ([`super::calendar::Calendar`]) for the first one from a
//! point of its ring, round the ring.

/// A set of bucket numbers below `64 × WORDS`, with `SUMMARY` words of
/// summary (at least `WORDS / 64`).
#[derive(Clone)]
pub(super) struct Occupancy<const WORDS: usize, const SUMMARY: usize> {
    /// Bit `b % 64` of word `b / 64` set: bucket `b` is in use.
    words: [u64; WORDS],
    /// Bit `w % 64` of word `w / 64` set: word `w` of `words` is not zero.
    summary: [u64; SUMMARY],
}

impl<const WORDS: usize, const SUMMARY: usize> Occupancy<WORDS, SUMMARY> {
    const FITS: () = assert!(WORDS <= 64 * SUMMARY, "a summary bit per word");

    /// No bucket in use.
    pub(super) const fn new() -> Self {
        let () = Self::FITS;
        Occupancy {
            words: [0; WORDS],
            summary: [0; SUMMARY],
        }
    }

    /// Bucket `b` is in use.
    #[inline(always)]
    pub(super) fn insert(&mut self, b: usize) {
        let w = b / 64;
        self.words[w] |= 1 << (b % 64);
        self.summary[w / 64] |= 1 << (w % 64);
    }

    /// Bucket `b` is no longer in use.
    #[inline(always)]
    pub(super) fn remove(&mut self, b: usize) {
        let w = b / 64;
        self.words[w] &= !(1 << (b % 64));
        if self.words[w] == 0 {
            self.summary[w / 64] &= !(1 << (w % 64));
        }
    }

    /// The lowest bucket in use, if any.
    #[inline(always)]
    pub(super) fn first(&self) -> Option<usize> {
        let s = self.summary.iter().position(|&s| s != 0)?;
        let w = s * 64 + self.summary[s].trailing_zeros() as usize;
        Some(w * 64 + self.words[w].trailing_zeros() as usize)
    }

    /// The first bucket in use at or after `from`, round the ring of all
    /// `64 × WORDS` buckets (some bucket is in use).
    #[inline(always)]
    pub(super) fn first_from(&self, from: usize) -> usize {
        let w = from / 64;
        let here = self.words[w] & (u64::MAX << (from % 64));
        if here != 0 {
            return w * 64 + here.trailing_zeros() as usize;
        }
        let w = self.word_in_use_from((w + 1) % WORDS);
        w * 64 + self.words[w].trailing_zeros() as usize
    }

    /// The first word in use at or after word `from`, round the ring
    /// (some word is in use).
    fn word_in_use_from(&self, from: usize) -> usize {
        let s = from / 64;
        let here = self.summary[s] & (u64::MAX << (from % 64));
        if here != 0 {
            return s * 64 + here.trailing_zeros() as usize;
        }
        (1..=SUMMARY)
            .map(|i| (s + i) % SUMMARY)
            .find(|&s| self.summary[s] != 0)
            .map(|s| s * 64 + self.summary[s].trailing_zeros() as usize)
            .expect("a bucket in use")
    }

    /// True if no bucket is in use.
    #[cfg(test)]
    pub(super) fn is_empty(&self) -> bool {
        self.summary.iter().all(|&s| s == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1,024 buckets (16 words, one summary word) against a sorted set:
    /// the lowest, and the first from every point round the ring.
    #[test]
    fn finds_the_first_bucket_in_use_as_a_sorted_set_does() {
        let mut set = Occupancy::<16, 1>::new();
        let mut sort = std::collections::BTreeSet::new();
        assert_eq!(set.first(), None);
        // In one word, in words far apart, at both ends, then emptied
        // again one by one (a word and its summary bit cleared last).
        for b in [700, 3, 64, 65, 127, 1023, 0, 512] {
            set.insert(b);
            sort.insert(b);
            check(&set, &sort);
        }
        for b in [0, 3, 1023, 64, 700, 65, 127] {
            set.remove(b);
            sort.remove(&b);
            check(&set, &sort);
        }
        set.remove(512);
        assert!(set.is_empty() && set.first().is_none());
    }

    fn check(set: &Occupancy<16, 1>, sort: &std::collections::BTreeSet<usize>) {
        assert_eq!(set.first(), sort.first().copied());
        for from in 0..1024 {
            let want = sort.range(from..).next().or(sort.first()).copied();
            assert_eq!(Some(set.first_from(from)), want, "from {from}");
        }
    }

    /// Round the ring across summary words: 16,384 buckets (256 words,
    /// 4 summary words), one in use in the first summary word's span,
    /// looked for from the last.
    #[test]
    fn the_ring_wraps_across_summary_words() {
        let mut set = Occupancy::<256, 4>::new();
        set.insert(100);
        assert_eq!(set.first_from(16_000), 100);
        set.insert(16_383);
        assert_eq!(set.first_from(16_000), 16_383);
        assert_eq!(set.first_from(101), 16_383);
        assert_eq!(set.first(), Some(100));
    }
}
