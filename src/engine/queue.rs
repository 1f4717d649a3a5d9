//! The event queue: events ordered by `(time, sequence)`.
//!
//! `sequence` is the insertion counter, so events scheduled for the same
//! nanosecond pop in the order they were scheduled. That, and nothing else,
//! fixes the order of simultaneous events: there is no hashing, no thread
//! and no clock involved, which is what makes runs reproducible to the byte.
//! How the queue stores its events (a binary heap and sorted FIFO lanes,
//! see [`EventQueue`]) changes its speed, never that order.
//!
//! A sequence number can also be taken now ([`EventQueue::reserve`]) for an
//! event pushed later ([`EventQueue::push_reserved`]): the event then pops
//! exactly where it would have had it been pushed when the number was
//! taken. The engine uses this to keep at most one timer per request in the
//! queue instead of one per attempt.

use crate::time::SimTime;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

/// An event's place in the order: `(time, sequence)`.
type Key = (SimTime, u64);

/// The key a lane reports when it is empty: after every real key.
const NO_KEY: Key = (SimTime::MAX, u64::MAX);

/// Lanes keep at least this many entries' room when they shrink.
const LANE_MIN_CAPACITY: usize = 4096;

struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> Entry<E> {
    fn key(&self) -> Key {
        (self.time, self.seq)
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
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
        other.key().cmp(&self.key())
    }
}

/// A priority queue of events ordered by time, then by insertion order.
///
/// Besides a binary heap it keeps a few *lanes*: FIFO runs that are each
/// sorted by `(time, sequence)`. Events that a caller schedules a fixed
/// delay ahead (a constant network hop, a fixed service time, the client
/// timeout, the n-th retry of a deterministic schedule) arrive in time
/// order, so a lane takes them in O(1) instead of O(log n). A lane accepts
/// an event only if it sorts after the lane's last one; anything else goes
/// to the heap. The lane a caller names is thus only a hint for speed:
/// [`EventQueue::pop`] takes the earliest of the heap's top and the lanes'
/// fronts, and the order of events is exactly that of one heap.
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
    lanes: Vec<VecDeque<Entry<E>>>,
    /// The key at the front of each lane ([`NO_KEY`] when it is empty),
    /// kept side by side so that finding the earliest is one short scan.
    fronts: Vec<Key>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue without lanes.
    pub fn new() -> Self {
        Self::with_lanes(0, 0)
    }

    /// An empty queue with room for `n` events in its heap, without lanes.
    pub fn with_capacity(n: usize) -> Self {
        Self::with_lanes(0, n)
    }

    /// An empty queue with `lanes` lanes (numbered from 0) and room for
    /// `n` events in its heap.
    pub fn with_lanes(lanes: usize, n: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(n),
            lanes: (0..lanes).map(|_| VecDeque::new()).collect(),
            fronts: vec![NO_KEY; lanes],
            next_seq: 0,
        }
    }

    /// Schedules `event` at `time`.
    pub fn push(&mut self, time: SimTime, event: E) {
        let seq = self.reserve();
        self.heap.push(Entry { time, seq, event });
    }

    /// Schedules `event` at `time`, in lane `lane` if it sorts after the
    /// lane's last event (else in the heap). `lane` must be below the
    /// count the queue was made with.
    pub fn push_in(&mut self, lane: usize, time: SimTime, event: E) {
        let seq = self.reserve();
        self.push_reserved_in(lane, time, seq, event);
    }

    /// Takes the next sequence number without pushing anything, for an
    /// event [`EventQueue::push_reserved`] pushes later.
    pub fn reserve(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Takes `n` consecutive sequence numbers and returns the first.
    pub fn reserve_block(&mut self, n: u64) -> u64 {
        let first = self.next_seq;
        self.next_seq += n;
        first
    }

    /// Schedules `event` at `time` under a sequence number taken earlier
    /// with [`EventQueue::reserve`]. It pops exactly as if it had been
    /// pushed then, provided `(time, seq)` is not before an event already
    /// popped.
    pub fn push_reserved(&mut self, time: SimTime, seq: u64, event: E) {
        debug_assert!(seq < self.next_seq, "sequence number not reserved");
        self.heap.push(Entry { time, seq, event });
    }

    /// [`EventQueue::push_reserved`], in lane `lane` if the event sorts
    /// after the lane's last one.
    pub fn push_reserved_in(&mut self, lane: usize, time: SimTime, seq: u64, event: E) {
        debug_assert!(seq < self.next_seq, "sequence number not reserved");
        let entry = Entry { time, seq, event };
        let run = &mut self.lanes[lane];
        match run.back() {
            None => {
                self.fronts[lane] = entry.key();
                run.push_back(entry);
            }
            Some(last) if last.key() < entry.key() => run.push_back(entry),
            Some(_) => self.heap.push(entry),
        }
    }

    /// The lane whose front is the earliest event, and that event's key
    /// (`None` for the lane: the heap's top is earlier, or all lanes are
    /// empty).
    fn earliest_lane(&self) -> (Option<usize>, Key) {
        let mut best = (None, self.heap.peek().map_or(NO_KEY, Entry::key));
        for (i, &k) in self.fronts.iter().enumerate() {
            if k < best.1 {
                best = (Some(i), k);
            }
        }
        best
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let entry = match self.earliest_lane().0 {
            Some(lane) => {
                let run = &mut self.lanes[lane];
                let entry = run.pop_front();
                self.fronts[lane] = run.front().map_or(NO_KEY, Entry::key);
                // A lane that filled up (a million clients' first attempts,
                // say) gives its memory back as it drains, so that lanes
                // filling one after another do not each keep their peak.
                if run.capacity() > LANE_MIN_CAPACITY && run.len() * 4 < run.capacity() {
                    run.shrink_to(run.capacity() / 2);
                }
                entry
            }
            None => self.heap.pop(),
        };
        entry.map(|e| (e.time, e.event))
    }

    /// Time of the earliest event.
    pub fn peek_time(&self) -> Option<SimTime> {
        let (_, (time, seq)) = self.earliest_lane();
        ((time, seq) != NO_KEY).then_some(time)
    }

    /// Events pending.
    pub fn len(&self) -> usize {
        self.heap.len() + self.lanes.iter().map(VecDeque::len).sum::<usize>()
    }

    /// True if nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
