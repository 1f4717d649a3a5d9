//! The queue's lanes: FIFO runs of events in key order, each event held
//! as the difference of its key from the one before it.

use super::ring::Ring;
use super::{Key, NO_KEY, drained_capacity, time_of};
use std::collections::VecDeque;

/// An entry of a lane: its key as the difference from the key of the
/// entry before it in the lane (the front's own key is kept whole beside
/// the lane), so that it takes 20 bytes where a heap's entry, which needs
/// its whole key, takes 28 (with the engine's 12-byte events). A million
/// clients' timers and retries each fill a lane.
#[derive(Clone, Copy)]
pub(super) struct LaneEntry<E> {
    /// Nanoseconds after the entry before it; [`FAR`]: the entry is too
    /// far from it for a difference, and its whole key is in the lane's
    /// `far`.
    dt: u32,
    /// Sequence numbers after the entry before it (negative for a number
    /// reserved earlier, at a later time).
    dseq: i32,
    event: E,
}

/// [`LaneEntry::dt`] of an entry whose key is kept whole.
const FAR: u32 = u32::MAX;

/// `key`'s difference from `back`, if it fits a [`LaneEntry`] (less than
/// [`FAR`] ns later, within 2^31 sequence numbers either way); `key` is
/// not before `back`.
#[inline(always)]
fn gap(back: Key, key: Key) -> Option<(u32, i32)> {
    let dt = u32::try_from(time_of(key) - time_of(back))
        .ok()
        .filter(|&dt| dt != FAR)?;
    // Sequence numbers stay far below 2^63: the wrapped difference, read
    // as signed, is the true one.
    let dseq = i32::try_from((key as u64).wrapping_sub(back as u64) as i64).ok()?;
    Some((dt, dseq))
}

/// The key `dt` nanoseconds and `dseq` sequence numbers after `key`: one
/// 128-bit sum, as the sequence number that results is that of an entry
/// (below 2^63), so that adding `dseq` to `key`'s low half borrows from or
/// carries into its time never.
#[inline(always)]
fn after(key: Key, dt: u32, dseq: i32) -> Key {
    key.wrapping_add(u128::from(dt) << 64)
        .wrapping_add(i128::from(dseq) as u128)
}

/// A FIFO run of entries in key order, each held as its difference from
/// the one before ([`LaneEntry`]). The key of its front is kept by its
/// owner, which needs it for every pop.
pub(super) struct Lane<E> {
    run: Ring<LaneEntry<E>>,
    /// The whole keys of the entries marked [`FAR`], oldest first but for
    /// the front's (taken out when it became the front): an entry pushed
    /// after a lull of 4.29 s or more, or whose sequence number is 2^31
    /// or more from the last's, stays in the lane at the cost of 16 bytes
    /// more.
    pub(super) far: VecDeque<Key>,
    /// The key of the last entry (meaningless while empty).
    pub(super) back: Key,
    /// The lane has given back a wave's room once: it has drained from
    /// room for [`WAVE`] entries or more to less. From then on it keeps a
    /// wave's room as it drains: each wave fills it again (the retries of
    /// a burst under a fixed or linear backoff come due together, and pass
    /// through the current time's lane), and room given back would be
    /// faulted in afresh by the next. After one wave alone (a burst's
    /// first attempts, when what follows is spread out) it has shrunk as
    /// it drained.
    gave_back_a_wave: bool,
}

/// Room, in entries, that makes a lane's fill a wave
/// ([`Lane::gave_back_a_wave`]): far more than a lane keeps anyway.
pub(super) const WAVE: usize = 1 << 16;

impl<E: Copy> Lane<E> {
    pub(super) fn new() -> Self {
        Lane {
            run: Ring::new(),
            far: VecDeque::new(),
            back: NO_KEY,
            gave_back_a_wave: false,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.run.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.run.is_empty()
    }

    pub(super) fn clear(&mut self) {
        self.run.clear();
        self.far.clear();
        self.back = NO_KEY;
        self.gave_back_a_wave = false;
    }

    /// Appends an entry with `key` if the lane is empty or `key` sorts
    /// after its last one; says whether it did (else the entry belongs in
    /// the heap).
    #[inline(always)]
    pub(super) fn push(&mut self, key: Key, event: E) -> bool {
        let gap = if self.run.is_empty() {
            Some((0, 0))
        } else if key > self.back {
            gap(self.back, key)
        } else {
            return false;
        };
        self.append(key, gap, event);
        true
    }

    /// Appends an entry with `key`, which is at the time of the lane's last
    /// one under a later sequence number: how the current time's lane
    /// fills. Cheaper than [`Lane::push`].
    #[inline(always)]
    pub(super) fn push_later_number(&mut self, key: Key, event: E) {
        let gap = if self.run.is_empty() {
            Some((0, 0))
        } else {
            debug_assert!(time_of(key) == time_of(self.back) && key > self.back);
            i32::try_from(key as u64 - self.back as u64)
                .ok()
                .map(|d| (0, d))
        };
        self.append(key, gap, event);
    }

    /// Appends an entry with `key`, `gap` after the last one (None: too far
    /// for a difference).
    #[inline(always)]
    fn append(&mut self, key: Key, gap: Option<(u32, i32)>, event: E) {
        let (dt, dseq) = gap.unwrap_or_else(|| {
            self.far.push_back(key);
            (FAR, 0)
        });
        self.run.push_back(LaneEntry { dt, dseq, event });
        self.back = key;
    }

    /// Takes out the front, whose key is `front`, and returns its event
    /// and the key of the new front ([`NO_KEY`] when none is left).
    #[inline(always)]
    pub(super) fn pop(&mut self, front: Key) -> (E, Key) {
        let entry = self.run.pop_front().expect("a lane popped is not empty");
        let next = match self.run.front() {
            Some(n) if n.dt == FAR => self.far.pop_front().expect("a far entry's key"),
            Some(n) => after(front, n.dt, n.dseq),
            None => NO_KEY,
        };
        if let Some(c) = drained_capacity(self.run.len(), self.run.capacity()) {
            self.shrink(c);
        }
        (entry.event, next)
    }

    /// Shrinks the lane's room to `c` entries as it drains, unless it is
    /// a wave's room given back once before ([`Lane::gave_back_a_wave`]).
    #[cold]
    fn shrink(&mut self, c: usize) {
        if self.run.capacity() >= WAVE {
            if self.gave_back_a_wave {
                return;
            }
            self.gave_back_a_wave = c < WAVE;
        }
        self.run.shrink_to(c);
    }

    /// Room, in entries.
    #[cfg(test)]
    pub(super) fn capacity(&self) -> usize {
        self.run.capacity()
    }

    pub(super) fn front(&self) -> Option<E> {
        self.run.front().map(|e| e.event)
    }
}
