//! The event queue: a binary min-heap keyed by `(time, sequence)`.
//!
//! `sequence` is the insertion counter, so events scheduled for the same
//! nanosecond pop in the order they were scheduled. That, and nothing else,
//! fixes the order of simultaneous events: there is no hashing, no thread
//! and no clock involved, which is what makes runs reproducible to the byte.
//!
//! A sequence number can also be taken now ([`EventQueue::reserve`]) for an
//! event pushed later ([`EventQueue::push_reserved`]): the event then pops
//! exactly where it would have had it been pushed when the number was
//! taken. The engine uses this to keep at most one timer per request in the
//! queue instead of one per attempt.

use crate::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}

impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap, we want the earliest first.
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// A priority queue of events ordered by time, then by insertion order.
///
/// ```
/// use backsim::engine::queue::EventQueue;
/// let mut q = EventQueue::new();
/// q.push(20, "late");
/// q.push(10, "first");
/// q.push(10, "second");
/// assert_eq!(q.pop(), Some((10, "first")));
/// assert_eq!(q.pop(), Some((10, "second")));
/// assert_eq!(q.pop(), Some((20, "late")));
/// assert_eq!(q.pop(), None);
/// ```
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            next_seq: 0,
        }
    }

    /// An empty queue with room for `n` events.
    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(n),
            next_seq: 0,
        }
    }

    /// Schedules `event` at `time`.
    pub fn push(&mut self, time: SimTime, event: E) {
        let seq = self.reserve();
        self.heap.push(Entry { time, seq, event });
    }

    /// Takes the next sequence number without pushing anything, for an
    /// event [`EventQueue::push_reserved`] pushes later.
    pub fn reserve(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Schedules `event` at `time` under a sequence number taken earlier
    /// with [`EventQueue::reserve`]. It pops exactly as if it had been
    /// pushed then, provided `(time, seq)` is not before an event already
    /// popped.
    pub fn push_reserved(&mut self, time: SimTime, seq: u64, event: E) {
        debug_assert!(seq < self.next_seq, "sequence number not reserved");
        self.heap.push(Entry { time, seq, event });
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap.pop().map(|e| (e.time, e.event))
    }

    /// Time of the earliest event.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| e.time)
    }

    /// Events pending.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True if nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_pcg::Pcg64;

    #[test]
    fn pops_in_time_then_insertion_order() {
        let mut rng = Pcg64::seed_from_u64(1);
        let mut q = EventQueue::new();
        let mut pushed = Vec::new();
        for i in 0..10_000u64 {
            let t = rng.random_range(0..100u64);
            q.push(t, i);
            pushed.push((t, i));
        }
        // A stable sort by time keeps insertion order among equal times.
        pushed.sort_by_key(|&(t, _)| t);
        let popped: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(popped, pushed);
    }

    #[test]
    fn interleaved_pushes_keep_fifo_for_ties() {
        let mut q = EventQueue::new();
        q.push(5, 'a');
        assert_eq!(q.pop(), Some((5, 'a')));
        q.push(5, 'b');
        q.push(5, 'c');
        q.push(4, 'd');
        assert_eq!(q.peek_time(), Some(4));
        assert_eq!(q.len(), 3);
        let order: String = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, "dbc");
        assert!(q.is_empty());
    }

    #[test]
    fn reserved_events_pop_where_they_were_reserved() {
        let mut q = EventQueue::new();
        q.push(5, 'a');
        let r = q.reserve();
        q.push(5, 'c');
        q.push(3, 'x');
        assert_eq!(q.pop(), Some((3, 'x')));
        q.push_reserved(5, r, 'b');
        let order: String = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, "abc");
    }
}
