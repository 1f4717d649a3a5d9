//! The radix heap's buckets: bags of entries kept in blocks of a fixed
//! size, which the buckets of one heap take from and give back to one
//! pool ([`Blocks`]).
//!
//! A radix heap empties a bucket by spreading it over the buckets below.
//! In one vector per bucket, the bucket being spread would keep its room
//! until it is spread to a fraction of itself while the buckets below
//! grow, by doubling, beside it: a million jittered retries would be held
//! up to twice. In blocks, each block goes back to the pool as soon as it
//! has been read, and the buckets below take it: entries are held once.

use crate::reuse::KEEP_BYTES;

/// Entries per block: 14 KiB of 28-byte queue entries, so that the
/// radix heap's buckets in use (a hundred or so for keys that span
/// seconds), each with a block partly filled, hold little beyond their
/// entries.
pub(super) const BLOCK: usize = 512;

/// The pool of emptied blocks (each with room for [`BLOCK`] entries), up
/// to [`KEEP_BYTES`] of them; those beyond go back to the allocator (where
/// the next block taken most likely finds them again), so that a drained
/// heap's memory is not all kept.
pub(super) struct Blocks<T> {
    spare: Vec<Vec<T>>,
}

impl<T> Blocks<T> {
    pub(super) const fn new() -> Self {
        Blocks { spare: Vec::new() }
    }

    /// An empty block.
    fn take(&mut self) -> Vec<T> {
        self.spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(BLOCK))
    }

    /// Gives back a block that is no longer needed.
    pub(super) fn give(&mut self, mut block: Vec<T>) {
        if (self.spare.len() + 1) * BLOCK * size_of::<T>() <= KEEP_BYTES {
            block.clear();
            self.spare.push(block);
        }
    }
}

/// A bag of entries in blocks: full ones, then `tail`, which entries are
/// added to. Entries are read by their index and taken out a block at a
/// time.
pub(super) struct Bag<T> {
    full: Vec<Vec<T>>,
    tail: Vec<T>,
}

impl<T: Copy> Bag<T> {
    pub(super) const fn new() -> Self {
        Bag {
            full: Vec::new(),
            tail: Vec::new(),
        }
    }

    #[inline]
    pub(super) fn len(&self) -> usize {
        self.full.len() * BLOCK + self.tail.len()
    }

    /// Adds `entry` at index `len()`.
    #[inline]
    pub(super) fn push(&mut self, entry: T, pool: &mut Blocks<T>) {
        if self.tail.len() == self.tail.capacity().min(BLOCK) {
            self.next_tail(pool);
        }
        self.tail.push(entry);
    }

    /// `tail` is full (or has no room yet): it joins the full blocks and
    /// an empty block takes its place.
    #[cold]
    fn next_tail(&mut self, pool: &mut Blocks<T>) {
        let block = std::mem::replace(&mut self.tail, pool.take());
        if !block.is_empty() {
            self.full.push(block);
        }
    }

    /// The entry at `index` (below `len()`).
    #[inline]
    pub(super) fn get(&self, index: usize) -> &T {
        match self.full.get(index / BLOCK) {
            Some(b) => &b[index % BLOCK],
            None => &self.tail[index % BLOCK],
        }
    }

    /// Takes out a block: `tail`, then the full ones.
    pub(super) fn pop_block(&mut self) -> Option<Vec<T>> {
        if !self.tail.is_empty() {
            return Some(std::mem::take(&mut self.tail));
        }
        self.full.pop()
    }

    /// Gives every block to the pool.
    pub(super) fn clear(&mut self, pool: &mut Blocks<T>) {
        for b in self.full.drain(..) {
            pool.give(b);
        }
        if self.tail.capacity() > 0 {
            pool.give(std::mem::take(&mut self.tail));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bag_reads_every_entry_by_index_and_gives_its_blocks_back() {
        let mut pool = Blocks::new();
        let mut bag = Bag::new();
        for i in 0..2 * BLOCK as u32 + 7 {
            bag.push(i, &mut pool);
        }
        assert_eq!(bag.len(), 2 * BLOCK + 7);
        assert_eq!(*bag.get(0), 0);
        assert_eq!(*bag.get(BLOCK + 3), BLOCK as u32 + 3);
        assert_eq!(*bag.get(2 * BLOCK + 6), 2 * BLOCK as u32 + 6);
        // The partly filled block first, then full ones; all entries once.
        let mut out = Vec::new();
        while let Some(b) = bag.pop_block() {
            out.extend_from_slice(&b);
            pool.give(b);
        }
        out.sort_unstable();
        assert_eq!(out, (0..2 * BLOCK as u32 + 7).collect::<Vec<_>>());
        assert_eq!((bag.len(), pool.spare.len()), (0, 3));
        bag.push(1, &mut pool);
        assert_eq!(pool.spare.len(), 2);
        bag.clear(&mut pool);
        assert_eq!((bag.len(), pool.spare.len()), (0, 3));
    }
}
