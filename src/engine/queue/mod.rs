//! The event queue: events ordered by `(time, sequence)`.
//!
//! `sequence` is the insertion counter, so events scheduled for the same
//! nanosecond pop in the order they were scheduled. That, and nothing else,
//! fixes the order of simultaneous events: there is no hashing, no thread
//! and no clock involved, which is what makes runs reproducible to the byte.
//! How the queue stores its events (a heap, itself a calendar and a small
//! heap or a radix heap, and sorted FIFO lanes, see [`EventQueue`])
//! changes its speed, never that order.
//!
//! A sequence number can also be taken now ([`EventQueue::reserve`]) for an
//! event pushed later ([`EventQueue::push_reserved`]): the event then pops
//! exactly where it would have had it been pushed when the number was
//! taken. The engine uses this to keep at most one timer per request in the
//! queue instead of one per attempt.

mod calendar;
mod lane;
mod occupancy;
mod passing;
mod ring;

use super::blocks::{Bag, Blocks};
use crate::time::SimTime;
use calendar::Calendar;
use lane::{Lane, LaneEntry};
use occupancy::Occupancy;
use passing::Gap;
pub use passing::{PER_PASSED, Passable};

/// An event's place in the order, `(time, sequence)`, as one number:
/// time in the high 64 bits, sequence in the low ones.
type Key = u128;

/// The key of an empty lane or heap: after every real key (sequence
/// numbers never reach `u64::MAX`).
const NO_KEY: Key = u128::MAX;

/// A lane or the small heap keeps room for this many entries however far
/// it drains, so that small ones are not reallocated over and over. (The
/// radix heap's buckets are kept in blocks, which a bucket being spread
/// gives back as it goes: `blocks.rs`.)
const KEEP_CAPACITY: usize = 4096;

/// The capacity a draining lane shrinks to once it is less than a quarter
/// full (None: keep it). A million clients' first attempts fill one lane,
/// then the next; without this each would keep its peak. (A lane that
/// fills in waves keeps a wave's room from the second on:
/// `Lane::gave_back_a_wave`.) Looked at only
/// when the lane's length is a multiple of 1,024 (as it passes through
/// each), so that it costs nearly nothing per pop.
#[inline(always)]
fn drained_capacity(len: usize, capacity: usize) -> Option<usize> {
    if !len.is_multiple_of(1024) {
        return None;
    }
    (capacity > KEEP_CAPACITY && len * 4 < capacity).then_some(capacity / 2)
}

/// An event in the heap, with its whole key. Packed to 4-byte alignment,
/// so that it takes 28 bytes with the engine's 12-byte events, not 32.
#[derive(Clone, Copy)]
#[repr(C, packed(4))]
struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> Entry<E> {
    fn key(&self) -> Key {
        key_of(self.time, self.seq)
    }
}

/// The key of an event at `time` under sequence number `seq`.
#[inline(always)]
fn key_of(time: SimTime, seq: u64) -> Key {
    (u128::from(time) << 64) | u128::from(seq)
}

/// The time in `key`.
#[inline(always)]
fn time_of(key: Key) -> SimTime {
    (key >> 64) as SimTime
}

/// Bits of a key per level of the [`RadixHeap`]: each level has a bucket
/// for each value of its digit of this many bits.
const DIGIT_BITS: u32 = 4;
/// Buckets per level: one per value of the level's digit.
const DIGITS: usize = 1 << DIGIT_BITS;
/// Levels: the digits of a u128 key.
const LEVELS: usize = 128usize.div_ceil(DIGIT_BITS as usize);
/// Buckets: 0 for the keys equal to `last`, then one per level and digit.
const RADIX_BUCKETS: usize = 1 + LEVELS * DIGITS;
/// Words of the radix heap's bitmap of non-empty buckets, and of its
/// summary.
const RADIX_WORDS: usize = RADIX_BUCKETS.div_ceil(64);
const RADIX_SUMMARY: usize = RADIX_WORDS.div_ceil(64);

/// A radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, 1990) of entries: a
/// priority queue for keys that never go below the last one taken out,
/// which holds for a simulation clock. Keys are read in digits of
/// [`DIGIT_BITS`] bits: key `k` sits at the level of the highest digit in
/// which it differs from the last key taken out, in the bucket of its own
/// value of that digit (which is above `last`'s). Keys at a lower level
/// are smaller than those at a higher one, and within a level they are in
/// the order of the buckets, so the lowest non-empty bucket holds the
/// smallest key. Taking out the smallest empties bucket 0 (keys equal to
/// `last`), or else first spreads the lowest non-empty bucket, whose
/// smallest key becomes `last`, over the levels below it; every other
/// bucket stays right, as none of its keys' digits changed relative to
/// the new `last` at or above its level. An entry only ever moves to a
/// lower level, so it moves at most once per level: a million retries
/// jittered over seconds (some 34 bits of nanoseconds) move about five
/// times each, where a bucket per bit moved them about a dozen times.
/// Every move is a sequential append rather than a heap's jump across
/// memory.
struct RadixHeap<E> {
    /// The last key taken out (every key held is at least this).
    last: u128,
    /// Bucket 0: the keys equal to `last` (one, but after a push of an
    /// event in the past).
    zero: Vec<Entry<E>>,
    /// Buckets 1 and up (`buckets[0]` is not used), in blocks from `pool`:
    /// a bucket spread over the ones below gives each block back as soon
    /// as it has been read, so entries are not held twice.
    buckets: Vec<Bag<Entry<E>>>,
    pool: Blocks<Entry<E>>,
    /// The buckets that are not empty.
    occupied: Occupancy<RADIX_WORDS, RADIX_SUMMARY>,
    /// The smallest key in each bucket ([`NO_KEY`] when it is empty), so
    /// that the smallest key held is known without moving or scanning
    /// anything: the queue compares it with its lanes before each pop.
    mins: Box<[u128; RADIX_BUCKETS]>,
    /// Where in its bucket that smallest key is.
    min_at: Box<[u32; RADIX_BUCKETS]>,
    len: usize,
}

impl<E: Copy> RadixHeap<E> {
    fn new() -> Self {
        RadixHeap {
            last: 0,
            zero: Vec::new(),
            buckets: (0..RADIX_BUCKETS).map(|_| Bag::new()).collect(),
            pool: Blocks::new(),
            occupied: Occupancy::new(),
            mins: Box::new([NO_KEY; RADIX_BUCKETS]),
            min_at: Box::new([0; RADIX_BUCKETS]),
            len: 0,
        }
    }

    /// The bucket of `key`: 0 if it is not above `last` (an event
    /// scheduled in the past is smaller than all others: it waits in
    /// bucket 0, which pop searches in full, so it comes out next, as from
    /// any priority queue).
    #[inline]
    fn bucket(&self, key: u128) -> usize {
        if key <= self.last {
            return 0;
        }
        let highest = 127 - (key ^ self.last).leading_zeros();
        let level = highest / DIGIT_BITS;
        let digit = (key >> (level * DIGIT_BITS)) as usize % DIGITS;
        1 + level as usize * DIGITS + digit
    }

    fn push(&mut self, entry: Entry<E>) {
        let key = entry.key();
        self.put(self.bucket(key), key, entry);
        self.len += 1;
    }

    #[inline]
    fn put(&mut self, b: usize, key: u128, entry: Entry<E>) {
        if b == 0 {
            if key < self.mins[0] {
                self.mins[0] = key;
                self.min_at[0] = self.zero.len() as u32;
            }
            self.zero.push(entry);
        } else {
            let bucket = &mut self.buckets[b];
            if key < self.mins[b] {
                self.mins[b] = key;
                self.min_at[b] = bucket.len() as u32;
            }
            bucket.push(entry, &mut self.pool);
        }
        self.occupied.insert(b);
    }

    /// The lowest non-empty bucket.
    #[inline]
    fn lowest(&self) -> Option<usize> {
        self.occupied.first()
    }

    fn mark_empty(&mut self, b: usize) {
        self.occupied.remove(b);
        self.mins[b] = NO_KEY;
    }

    /// Takes out the smallest entry.
    fn pop(&mut self) -> Option<Entry<E>> {
        let b = self.lowest()?;
        if b != 0 {
            // Spread bucket b below the new `last`, its smallest key (which
            // lands alone in bucket 0).
            self.last = self.mins[b];
            self.mark_empty(b);
            while let Some(block) = self.buckets[b].pop_block() {
                for &entry in &block {
                    let key = entry.key();
                    self.put(self.bucket(key), key, entry);
                }
                self.pool.give(block);
            }
        }
        let zero = &mut self.zero;
        let entry = zero.swap_remove(self.min_at[0] as usize);
        match (0..zero.len()).min_by_key(|&i| zero[i].key()) {
            None => self.mark_empty(0),
            // Only after a push of an event in the past.
            Some(i) => {
                self.mins[0] = zero[i].key();
                self.min_at[0] = i as u32;
            }
        }
        self.len -= 1;
        Some(entry)
    }

    /// The smallest key held ([`NO_KEY`] when empty).
    fn peek_key(&self) -> Key {
        self.lowest().map_or(NO_KEY, |b| self.mins[b])
    }

    /// Moves every entry to the end of `out`, in no particular order, and
    /// leaves the heap empty. A bucket that grew beyond the room buckets
    /// keep gives its memory back.
    fn drain_into(&mut self, out: &mut Vec<Entry<E>>) {
        out.reserve(self.len);
        out.append(&mut self.zero);
        while let Some(b) = self.lowest() {
            while let Some(block) = self.buckets[b].pop_block() {
                out.extend_from_slice(&block);
                self.pool.give(block);
            }
            self.mark_empty(b);
        }
        self.len = 0;
    }

    /// Empty, as new, keeping the pool's blocks.
    fn clear(&mut self) {
        self.zero.clear();
        while let Some(b) = self.lowest() {
            if b != 0 {
                self.buckets[b].clear(&mut self.pool);
            }
            self.mark_empty(b);
        }
        self.last = 0;
        self.len = 0;
    }

    /// The entry with the smallest key.
    fn peek(&self) -> Option<&Entry<E>> {
        self.lowest().map(|b| match b {
            0 => &self.zero[self.min_at[0] as usize],
            b => self.buckets[b].get(self.min_at[b] as usize),
        })
    }
}

/// Children per node of [`SmallHeap`]: a 4-ary heap is half as deep as a
/// binary one, and a node's four children (28 bytes each) span two or
/// three cache lines.
const ARITY: usize = 4;

/// An implicit 4-ary min-heap of entries: beside the calendar, the heap
/// of a queue holding few events, for those past the calendar's window.
/// Up to some thousand entries it fits in the processor's cache, where it
/// costs less per pop than spreading a radix heap's buckets.
struct SmallHeap<E> {
    v: Vec<Entry<E>>,
}

impl<E: Copy> SmallHeap<E> {
    fn push(&mut self, entry: Entry<E>) {
        let i = self.v.len();
        self.v.push(entry);
        self.sift_up(i, entry);
    }

    /// Puts `entry` in the hole at `i`, or above it: the hole moves up
    /// past every parent with a larger key.
    #[inline(always)]
    fn sift_up(&mut self, mut i: usize, entry: Entry<E>) {
        let key = entry.key();
        while i > 0 {
            let parent = (i - 1) / ARITY;
            let up = self.v[parent];
            if up.key() <= key {
                break;
            }
            self.v[i] = up;
            i = parent;
        }
        self.v[i] = entry;
    }

    /// The index of the child of `i` with the smallest key, if `i` has
    /// children among the first `n` entries.
    #[inline(always)]
    fn least_child(&self, i: usize, n: usize) -> Option<usize> {
        let first = i * ARITY + 1;
        if let Some(c) = self.v.get(first..first + ARITY) {
            // All four: a branch-free tournament.
            let (k0, k1, k2, k3) = (c[0].key(), c[1].key(), c[2].key(), c[3].key());
            let (ka, ia) = if k1 < k0 { (k1, 1) } else { (k0, 0) };
            let (kb, ib) = if k3 < k2 { (k3, 3) } else { (k2, 2) };
            return Some(first + if kb < ka { ib } else { ia });
        }
        if first >= n {
            return None;
        }
        let mut c = first;
        let mut ck = self.v[first].key();
        for j in first + 1..n.min(first + ARITY) {
            let k = self.v[j].key();
            if k < ck {
                c = j;
                ck = k;
            }
        }
        Some(c)
    }

    /// Takes out the smallest entry.
    fn pop(&mut self) -> Option<Entry<E>> {
        let last = self.v.pop()?;
        let Some(&top) = self.v.first() else {
            return Some(last);
        };
        // The hole left at the root sinks along the smallest children to
        // a leaf (the last entry, pushed late, usually belongs near the
        // bottom), then `last` moves up from there to its place.
        let n = self.v.len();
        let mut i = 0;
        while let Some(c) = self.least_child(i, n) {
            self.v[i] = self.v[c];
            i = c;
        }
        self.sift_up(i, last);
        Some(top)
    }

    /// Restores the heap order of `v`, in any order before (Floyd's
    /// construction, O(n)).
    fn heapify(&mut self) {
        let n = self.v.len();
        if n < 2 {
            return;
        }
        for start in (0..=(n - 2) / ARITY).rev() {
            let moving = self.v[start];
            let key = moving.key();
            let mut i = start;
            while let Some(c) = self.least_child(i, n) {
                if self.v[c].key() >= key {
                    break;
                }
                self.v[i] = self.v[c];
                i = c;
            }
            self.v[i] = moving;
        }
    }
}

/// Above this many entries a queue's heap becomes a radix heap (and
/// stays one until it holds fewer than [`SMALL_BELOW`]): 16,384 entries
/// of 28 bytes fill nearly half a megabyte, about what stays in cache,
/// and as many as the calendar has buckets. A heap of
/// a million jittered retries jumps across memory on every pop; the
/// radix heap's moves are sequential.
const RADIX_ABOVE: usize = 1 << 14;

/// Below this many entries a radix heap becomes a small heap again. The
/// gap to [`RADIX_ABOVE`] keeps a queue that hovers around one bound from
/// moving its entries back and forth: each move of `n` entries follows at
/// least `n / 4` pushes or pops.
const SMALL_BELOW: usize = RADIX_ABOVE / 4;

/// The queue's heap: while it holds few entries, a [`Calendar`] of the
/// entries due soon beside a [`SmallHeap`] of the others (those past the
/// calendar's window, or pushed in the past); a [`RadixHeap`] while it
/// holds many. Each takes out the smallest key, and keys are unique, so
/// which one holds an entry never changes the order they come out in.
struct Heap<E> {
    near: Calendar<E>,
    small: SmallHeap<E>,
    radix: RadixHeap<E>,
    /// The entries are in `radix` (else in `near` and `small`).
    big: bool,
    /// The smallest key held ([`NO_KEY`] when empty), kept by each push
    /// and pop: the queue reads it after every event.
    top: Key,
}

impl<E: Copy> Heap<E> {
    fn new() -> Self {
        Heap {
            near: Calendar::new(),
            small: SmallHeap { v: Vec::new() },
            radix: RadixHeap::new(),
            big: false,
            top: NO_KEY,
        }
    }

    /// Empty, as new, keeping the vectors' room.
    fn clear(&mut self) {
        self.near.clear();
        self.small.v.clear();
        self.radix.clear();
        self.big = false;
        self.top = NO_KEY;
    }

    fn len(&self) -> usize {
        if self.big {
            self.radix.len
        } else {
            self.near.len() + self.small.v.len()
        }
    }

    /// Bytes the entries take.
    fn entry_bytes(&self) -> usize {
        (self.small.v.len() + self.radix.len) * size_of::<Entry<E>>()
            + self.near.len() * Calendar::<E>::NODE_BYTES
    }

    /// Puts `entry` in; `now` is the clock: the time of the last event
    /// taken out of the queue.
    #[inline(always)]
    fn push(&mut self, entry: Entry<E>, now: SimTime) {
        self.top = self.top.min(entry.key());
        if self.big {
            self.radix.push(entry);
            return;
        }
        if let Some(entry) = self.near.push(entry, now) {
            self.small.push(entry);
        }
        if self.near.review_due() {
            self.near.review(&mut self.small);
        }
        if self.len() > RADIX_ABOVE {
            self.move_to_radix();
        }
    }

    /// The smallest key of the small heap ([`NO_KEY`] when empty).
    fn small_top(&self) -> Key {
        self.small.v.first().map_or(NO_KEY, Entry::key)
    }

    fn pop(&mut self) -> Option<Entry<E>> {
        if self.top == NO_KEY {
            return None;
        }
        let entry = if self.big {
            let entry = self.radix.pop();
            if self.radix.len < SMALL_BELOW {
                self.move_to_small();
            }
            entry
        } else if self.near.min_key() == self.top {
            Some(self.near.pop())
        } else {
            self.small.pop()
        };
        self.top = if self.big {
            self.radix.peek_key()
        } else {
            self.near.min_key().min(self.small_top())
        };
        entry
    }

    /// The smallest key held ([`NO_KEY`] when empty).
    #[inline(always)]
    fn peek_key(&self) -> Key {
        self.top
    }

    /// The entry with the smallest key.
    fn peek(&self) -> Option<&Entry<E>> {
        if self.big {
            self.radix.peek()
        } else if self.near.min_key() == self.top {
            self.near.peek()
        } else {
            self.small.v.first()
        }
    }

    /// Moves every entry from the calendar and the small heap to the
    /// (empty) radix heap, whose `last` becomes the smallest key.
    fn move_to_radix(&mut self) {
        debug_assert_eq!(self.radix.len, 0);
        self.radix.last = self.top;
        self.near.drain_into(&mut self.small.v);
        for entry in self.small.v.drain(..) {
            self.radix.push(entry);
        }
        self.small.v.shrink_to(KEEP_CAPACITY);
        self.big = true;
    }

    /// Moves every entry from the radix heap to the (empty) small heap;
    /// the calendar takes the entries pushed from then on.
    fn move_to_small(&mut self) {
        debug_assert!(self.small.v.is_empty());
        self.radix.drain_into(&mut self.small.v);
        self.small.heapify();
        self.big = false;
    }
}

/// The most lanes a queue can have ([`EventQueue::MAX_LANES`]).
const LANES: usize = 32;

/// What [`EventQueue::earliest_lane`] names when the heap's top is
/// earliest: no lane.
const HEAP: usize = LANES;

/// A priority queue of events ordered by time, then by insertion order.
///
/// Besides a heap (a calendar of the entries due soon and a 4-ary heap of
/// the others while it holds few, a radix heap while it holds many) it
/// keeps a few *lanes*: FIFO runs that are each
/// sorted by `(time, sequence)`. Events that a caller schedules a fixed
/// delay ahead (a constant network hop, a fixed service time, the client
/// timeout, the n-th retry of a deterministic schedule) arrive in time
/// order, so a lane takes them in O(1) instead of O(log n). A lane accepts
/// an event only if it sorts after the lane's last one; anything else goes
/// to the heap. The lane a caller names is thus only a hint for speed:
/// [`EventQueue::pop`] takes the earliest of the heap's top and the lanes'
/// fronts, and the order of events is exactly that of one heap.
///
/// An event pushed for the current time (that of the last event popped)
/// goes to a lane of its own, whatever the caller names: a zero-length
/// step (a hop of 0 ms, a retry at once) comes out of it after the events
/// already due at that time, without a search. The queue keeps the
/// earliest key of the heap and the other lanes, found once after each
/// pop from them and lowered by each push, so that popping (or peeking
/// at) the current time's events compares two keys and scans nothing.
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
    heap: Heap<E>,
    lanes: Vec<Lane<E>>,
    /// Events scheduled for the current time (the time of the last event
    /// popped) under a new sequence number: a simulation's zero-length
    /// steps (a hop of 0 ms, a retry at once). Each sorts after every
    /// event already held for that time, so they form a sorted FIFO run
    /// of their own, and it empties before the clock moves on. Popping
    /// from it compares its front with `first` and scans nothing.
    now_lane: Lane<E>,
    /// The key at the front of `now_lane` ([`NO_KEY`] when it is empty).
    now_front: Key,
    /// Events pushed to `now_lane` that are not [`Passable`] since it was
    /// last empty.
    now_blocking: u32,
    /// Numbers set aside for passed events (`passing.rs`).
    gap: Gap,
    /// The latest time popped so far (0 before any pop; an event pushed
    /// in the past does not lower it).
    now: SimTime,
    /// The earliest key of the lanes and the heap, and where it is (a
    /// lane, or [`HEAP`]; `(NO_KEY, HEAP)` when they are all empty):
    /// found by one scan after each pop from them, and kept by each push.
    first: (Key, usize),
    /// The key at the front of each lane ([`NO_KEY`] when it is empty),
    /// kept side by side so that finding the earliest is one short scan
    /// (a fixed array: a lane's index, below [`EventQueue::MAX_LANES`],
    /// needs no bounds check).
    fronts: [Key; LANES],
    /// Bit `i` set: lane `i` is not empty.
    busy_lanes: u32,
    next_seq: u64,
}

impl<E: Copy + Passable> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy + Passable> EventQueue<E> {
    /// The most lanes a queue can have.
    pub const MAX_LANES: usize = LANES;

    /// An empty queue without lanes.
    pub fn new() -> Self {
        Self::with_lanes(0)
    }

    /// An empty queue with `lanes` lanes (numbered from 0), at most
    /// [`EventQueue::MAX_LANES`].
    pub fn with_lanes(lanes: usize) -> Self {
        assert!(
            lanes <= Self::MAX_LANES,
            "at most {} lanes",
            Self::MAX_LANES
        );
        EventQueue {
            heap: Heap::new(),
            lanes: (0..lanes).map(|_| Lane::new()).collect(),
            fronts: [NO_KEY; LANES],
            busy_lanes: 0,
            next_seq: 0,
            now_lane: Lane::new(),
            now_front: NO_KEY,
            now_blocking: 0,
            gap: Gap::NONE,
            now: 0,
            first: (NO_KEY, HEAP),
        }
    }

    /// Schedules `event` at `time`.
    #[inline(always)]
    pub fn push(&mut self, time: SimTime, event: E) {
        let seq = self.reserve();
        if time == self.now {
            self.push_now(time, seq, event);
        } else {
            self.push_heap(Entry { time, seq, event });
        }
    }

    /// Puts an event for the current time, under a new sequence number, in
    /// the current time's lane (in the heap if it does not fit there).
    #[inline(always)]
    fn push_now(&mut self, time: SimTime, seq: u64, event: E) {
        let key = key_of(time, seq);
        if self.after_passed_events() {
            return self.push_heap(Entry { time, seq, event });
        }
        if self.now_lane.is_empty() {
            self.now_front = key;
        }
        self.now_blocking += u32::from(!event.passable());
        // The lane's last is at the same time (the lane empties before
        // the clock moves on), under an earlier number.
        self.now_lane.push_later_number(key, event);
    }

    /// Puts `entry` in the heap.
    fn push_heap(&mut self, entry: Entry<E>) {
        self.note(entry.key(), HEAP);
        self.heap.push(entry, self.now);
    }

    /// Keeps [`EventQueue::first`] when an entry with `key` went to
    /// `source`. An entry that is earlier than all the others is at the
    /// front of its lane (the lane was empty) or the heap's top.
    #[inline(always)]
    fn note(&mut self, key: Key, source: usize) {
        if key < self.first.0 {
            self.first = (key, source);
        }
    }

    /// Schedules `event` at `time`, in lane `lane` if it sorts after the
    /// lane's last event (else in the heap). `lane` must be below the
    /// count the queue was made with.
    #[inline(always)]
    pub fn push_in(&mut self, lane: usize, time: SimTime, event: E) {
        let seq = self.reserve();
        if time == self.now {
            self.push_now(time, seq, event);
        } else {
            self.push_reserved_in(lane, time, seq, event);
        }
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
        self.push_heap(Entry { time, seq, event });
    }

    /// [`EventQueue::push_reserved`], in lane `lane` if the event sorts
    /// after the lane's last one.
    #[inline(always)]
    pub fn push_reserved_in(&mut self, lane: usize, time: SimTime, seq: u64, event: E) {
        debug_assert!(seq < self.next_seq, "sequence number not reserved");
        let entry = Entry { time, seq, event };
        let key = entry.key();
        let run = &mut self.lanes[lane];
        let was_empty = run.is_empty();
        if !run.push(key, event) {
            self.push_heap(entry);
        } else if was_empty {
            self.fronts[lane] = key;
            self.busy_lanes |= 1 << lane;
            self.note(key, lane);
        }
    }

    /// The lane whose front is the earliest event, and that event's key
    /// ([`HEAP`] for the lane: the heap's top is earlier, or all lanes
    /// are empty).
    #[inline(always)]
    fn earliest_lane(&self) -> (usize, Key) {
        let mut best = HEAP;
        let mut best_key = self.heap.peek_key();
        let mut busy = self.busy_lanes;
        while busy != 0 {
            let i = busy.trailing_zeros() as usize % LANES;
            busy &= busy - 1;
            let k = self.fronts[i];
            if k < best_key {
                best = i;
                best_key = k;
            }
        }
        (best, best_key)
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_passing::<true>()
    }

    /// [`EventQueue::pop`], for a run in which steps may pass events
    /// (`PASS`, `passing.rs`) or in which none do. Inlined into the event
    /// loop, which calls it after [`EventQueue::pop_now`] found nothing:
    /// the compiler then drops the second look at the current time's
    /// lane, and the search's results stay in registers (reference herd:
    /// linear 3.9% fewer instructions and 0.94× the time, full jitter
    /// 2.7% fewer and 0.99×). The heap's part stays out of line.
    #[inline(always)]
    pub fn pop_passing<const PASS: bool>(&mut self) -> Option<(SimTime, E)> {
        if let Some(step) = self.pop_now_passing::<PASS>() {
            return Some(step);
        }
        let source = self.first.1;
        let (time, event) = if source == HEAP {
            let entry = self.pop_heap()?;
            (entry.time, entry.event)
        } else {
            self.pop_lane(source)
        };
        if PASS {
            self.leave_gap();
        }
        let (lane, key) = self.earliest_lane();
        self.first = (key, lane);
        self.now = self.now.max(time);
        Some((time, event))
    }

    /// Whether nothing is queued for the current time (the latest time
    /// popped) or before it: then an event pushed now for the current time
    /// is the next to pop. (At the end of time, `SimTime::MAX`, it says no
    /// even for an empty queue.)
    #[inline(always)]
    pub fn nothing_due_now(&self) -> bool {
        self.now_front == NO_KEY && time_of(self.first.0) > self.now
    }

    /// Removes and returns the earliest event if it is one pushed for the
    /// current time (a zero-length step) and nothing else is due before
    /// it: what [`EventQueue::pop`] would return then, without its search.
    /// Cheap enough to try after every event, before `pop`.
    #[inline(always)]
    pub fn pop_now(&mut self) -> Option<(SimTime, E)> {
        self.pop_now_passing::<true>()
    }

    /// [`EventQueue::pop_now`], as [`EventQueue::pop_passing`].
    #[inline(always)]
    pub fn pop_now_passing<const PASS: bool>(&mut self) -> Option<(SimTime, E)> {
        // Not `bool::then`: its closure is not always inlined here.
        if self.now_front < self.first.0 {
            Some(self.pop_now_lane::<PASS>())
        } else {
            None
        }
    }

    /// The time of the last event of `lane` when the queue holds nothing
    /// but that lane's events (None otherwise, or when it is empty).
    pub fn only_in(&self, lane: usize) -> Option<SimTime> {
        if self.busy_lanes != 1 << lane || !self.now_lane.is_empty() || self.heap.len() != 0 {
            return None;
        }
        let run = &self.lanes[lane];
        (!run.is_empty()).then_some(time_of(run.back))
    }

    /// Takes out the heap's top. Inlined with the rest of the pop into
    /// the event loop: kept out of line, it cost the loop a call for each
    /// of full jitter's retries and saved linear backoff's lanes nothing
    /// (reference herd: full jitter 1.2% fewer instructions, linear 0.9%,
    /// each 0.99× to 0.98× the time).
    #[inline(always)]
    fn pop_heap(&mut self) -> Option<Entry<E>> {
        self.heap.pop()
    }

    /// Takes out the front of the lane of events at the current time,
    /// which is not empty.
    #[inline(always)]
    fn pop_now_lane<const PASS: bool>(&mut self) -> (SimTime, E) {
        let front = self.now_front;
        let (event, next) = self.now_lane.pop(front);
        self.now_front = next;
        // Counted on every push to the lane, so forgotten here whether or
        // not steps may pass (else it would grow without end).
        if next == NO_KEY {
            self.now_blocking = 0;
        }
        if PASS {
            self.take_gap(front);
        }
        (time_of(front), event)
    }

    /// Takes out the front of `lane`, which is not empty.
    #[inline(always)]
    fn pop_lane(&mut self, lane: usize) -> (SimTime, E) {
        let front = self.fronts[lane];
        let (event, next) = self.lanes[lane].pop(front);
        self.fronts[lane] = next;
        if next == NO_KEY {
            self.busy_lanes &= !(1 << lane);
        }
        (time_of(front), event)
    }

    /// The earliest event, without taking it out.
    pub fn peek(&self) -> Option<E> {
        if self.now_front < self.first.0 {
            return self.now_lane.front();
        }
        match self.first.1 {
            HEAP => self.heap.peek().map(|e| e.event),
            lane => self.lanes[lane].front(),
        }
    }

    /// Time of the earliest event.
    pub fn peek_time(&self) -> Option<SimTime> {
        let key = self.now_front.min(self.first.0);
        (key != NO_KEY).then_some(time_of(key))
    }

    /// Events pending.
    pub fn len(&self) -> usize {
        self.heap.len() + self.now_lane.len() + self.lanes.iter().map(Lane::len).sum::<usize>()
    }

    /// Bytes a lane's entry takes (its key held as a difference from the
    /// entry before it): a queued event's least size.
    pub const LANE_ENTRY_BYTES: usize = size_of::<LaneEntry<E>>();

    /// Bytes a heap's entry takes (its whole key).
    pub const HEAP_ENTRY_BYTES: usize = size_of::<Entry<E>>();

    /// Bytes the pending events' entries take (not the room kept for
    /// more).
    pub fn entry_bytes(&self) -> usize {
        let lanes = || std::iter::once(&self.now_lane).chain(&self.lanes);
        let in_lanes: usize = lanes().map(Lane::len).sum();
        let far: usize = lanes().map(|l| l.far.len()).sum();
        in_lanes * Self::LANE_ENTRY_BYTES + far * size_of::<Key>() + self.heap.entry_bytes()
    }

    /// True if nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Empties the queue and numbers events from 0 again, keeping its
    /// memory for the next run: it is then, but for the room it holds, a
    /// new queue with the same lanes (room changes no event's order, which
    /// is that of the keys alone).
    pub fn clear(&mut self) {
        self.heap.clear();
        for lane in &mut self.lanes {
            lane.clear();
        }
        self.fronts = [NO_KEY; LANES];
        self.busy_lanes = 0;
        self.next_seq = 0;
        self.now_lane.clear();
        self.now_front = NO_KEY;
        self.now_blocking = 0;
        self.gap = Gap::NONE;
        self.now = 0;
        self.first = (NO_KEY, HEAP);
    }

    /// Lanes the queue was made with.
    pub fn lane_count(&self) -> usize {
        self.lanes.len()
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

    /// A wave of zero-length steps fills the current time's lane (what
    /// each retry of a synchronised burst pushes when it comes due): the
    /// lane gives its room back as it drains after the first wave, and
    /// keeps it from the second on; a cleared queue starts again, and a
    /// fill short of a wave is not one. Room for `n` steps, `n` a power of
    /// two, is `n` entries (a lane's ring doubles from 4); drained, it halves
    /// down to the 4,096 every lane keeps. A first wave of 2^17 steps
    /// halves through 2^16, a wave's room, on its way down.
    #[test]
    fn the_current_time_lane_keeps_its_room_from_the_second_wave() {
        let wave = |q: &mut EventQueue<u64>, t: SimTime, n: usize| {
            q.push(t, u64::MAX);
            assert_eq!(q.pop(), Some((t, u64::MAX)));
            for i in 0..n as u64 {
                q.push(t, i);
            }
            assert_eq!(q.now_lane.capacity(), n);
            for i in 0..n as u64 {
                assert_eq!(q.pop(), Some((t, i)));
            }
            assert!(q.is_empty());
            q.now_lane.capacity()
        };
        let w = lane::WAVE;
        for first in [w, 2 * w] {
            let mut q = EventQueue::new();
            assert_eq!(wave(&mut q, 1, first), KEEP_CAPACITY);
            assert_eq!(wave(&mut q, 2, w), w);
            assert_eq!(wave(&mut q, 3, w), w);
            q.clear();
            assert_eq!(wave(&mut q, 1, w), KEEP_CAPACITY);
        }
        let mut q = EventQueue::new();
        for t in 1..4 {
            assert_eq!(wave(&mut q, t, w / 2), KEEP_CAPACITY);
        }
    }

    /// Random schedules as a simulation makes them (never before the
    /// last event popped): pushes to the heap and to lanes, in and out of
    /// each lane's order, reserved numbers pushed later, pops in between.
    /// The queue must pop exactly what a sort by (time, sequence) of the
    /// pending events gives, and peek must show what pop then takes.
    #[test]
    fn lanes_and_radix_heap_pop_in_time_then_sequence_order() {
        let mut rng = Pcg64::seed_from_u64(3);
        for round in 0..50 {
            let lanes = 1 + round % 6;
            let mut q = EventQueue::with_lanes(lanes);
            // The reference: pending (time, seq) pairs.
            let mut pending: Vec<(SimTime, u64)> = Vec::new();
            let mut reserved: Vec<u64> = Vec::new();
            let mut now: SimTime = 0;
            for _ in 0..5_000 {
                match rng.random_range(0..10u32) {
                    0..=3 => {
                        // Often a fixed delay (what lanes are for), else any;
                        // wide delays exercise the radix heap's high buckets.
                        let delay = match rng.random_range(0..4u32) {
                            0 => 0,
                            1 => 1_000,
                            2 => rng.random_range(0..1_000u64),
                            _ => {
                                let bits = rng.random_range(0..50u32);
                                rng.random_range(0..1u64 << bits)
                            }
                        };
                        let t = now + delay;
                        let seq = q.next_seq;
                        if rng.random_range(0..2u32) == 0 {
                            q.push(t, seq);
                        } else {
                            q.push_in(rng.random_range(0..lanes), t, seq);
                        }
                        pending.push((t, seq));
                    }
                    4 => reserved.push(q.reserve()),
                    5 if !reserved.is_empty() => {
                        // A reserved number, pushed no earlier than now
                        // (the engine's timers, one hop or more ahead).
                        let seq = reserved.swap_remove(0);
                        let t = now + 1 + rng.random_range(0..100u64);
                        q.push_reserved_in(rng.random_range(0..lanes), t, seq, seq);
                        pending.push((t, seq));
                    }
                    _ => {
                        pending.sort_unstable();
                        let want = (!pending.is_empty()).then(|| pending.remove(0));
                        assert_eq!(q.peek(), want.map(|(_, s)| s));
                        assert_eq!(q.peek_time(), want.map(|(t, _)| t));
                        assert_eq!(q.pop(), want);
                        if let Some((t, _)) = want {
                            now = t;
                        }
                        assert_eq!(q.len(), pending.len());
                    }
                }
            }
            pending.sort_unstable();
            let rest: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
            assert_eq!(rest, pending, "round {round}");
            assert!(q.is_empty());
        }
    }

    /// A queue beside the `(time, sequence)` pairs it holds, in a sorted
    /// set that shares no code with it: every pop must be the set's first.
    struct AgainstASort {
        q: EventQueue<u64>,
        pending: std::collections::BTreeSet<(SimTime, u64)>,
        /// The latest time popped.
        now: SimTime,
    }

    impl AgainstASort {
        fn new(lanes: usize) -> Self {
            AgainstASort {
                q: EventQueue::with_lanes(lanes),
                pending: std::collections::BTreeSet::new(),
                now: 0,
            }
        }

        /// Pushes an event at `t`, in `lane` if given (the event is its
        /// sequence number).
        fn push(&mut self, lane: Option<usize>, t: SimTime) {
            let seq = self.q.next_seq;
            match lane {
                Some(l) => self.q.push_in(l, t, seq),
                None => self.q.push(t, seq),
            }
            self.pending.insert((t, seq));
        }

        #[track_caller]
        fn pop(&mut self) {
            let want = self.pending.pop_first();
            assert_eq!(self.q.pop(), want);
            if let Some((t, _)) = want {
                self.now = self.now.max(t);
            }
        }

        /// Pops the rest, each the set's first.
        #[track_caller]
        fn drain(mut self) {
            let rest: Vec<_> = std::iter::from_fn(|| self.q.pop()).collect();
            assert_eq!(
                rest,
                std::mem::take(&mut self.pending)
                    .into_iter()
                    .collect::<Vec<_>>()
            );
            assert!(self.q.is_empty());
        }
    }

    /// The calendar's width follows the delays. Three thousand events
    /// held over about 70 s (2^36 ns, most past its first window of
    /// 16,384 buckets of 2^18 ns, 2^32 ns) widen it to buckets of 2^22 ns
    /// at least, whose window takes 2^36 ns in. Then, with the latest
    /// thousand of them still held, two thousand at delays under 2^12 ns
    /// fall into one bucket and narrow it: the delays shrank by 2^24, and
    /// the width must shrink by 2^8 at least, sending the thousand held
    /// from before (all but any within the narrowed window of the clock)
    /// to the small heap. Every pop is still the sort's, with events in
    /// the past and runs of ten at one time.
    #[test]
    fn the_calendar_widens_and_narrows_and_pops_as_a_sort_does() {
        let mut rng = Pcg64::seed_from_u64(23);
        let mut s = AgainstASort::new(0);
        let first = s.q.heap.near.shift();
        let mut widest = first;
        let mut small = Vec::new();
        for longest in [1u64 << 36, 1 << 12] {
            for _ in 0..30_000u32 {
                if s.pending.len() < 3_000 {
                    let now = s.now;
                    let t = match rng.random_range(0..16u32) {
                        0 => now.saturating_sub(rng.random_range(1..10)),
                        _ => now + rng.random_range(0..longest),
                    };
                    let times = if rng.random_range(0..16u32) == 0 {
                        10
                    } else {
                        1
                    };
                    for _ in 0..times {
                        s.push(None, t);
                    }
                } else {
                    s.pop();
                }
                assert!(!s.q.heap.big, "{} in the heap", s.q.heap.len());
                widest = widest.max(s.q.heap.near.shift());
            }
            assert!(widest >= first + 4, "widened only to 2^{widest} ns");
            // Most are in the calendar, none lost to a wrong window.
            let near = s.q.heap.near.len();
            assert!(near > 2 * s.q.heap.small.v.len(), "{near} in the calendar");
            while s.pending.len() > 1_000 {
                s.pop();
            }
            small.push(s.q.heap.small.v.len());
        }
        let narrowed = s.q.heap.near.shift();
        assert!(narrowed + 8 <= widest, "narrowed only to 2^{narrowed} ns");
        assert!(small[1] >= small[0] + 900, "small heap: {small:?}");
        s.drain();
    }

    /// Near the end of time the window reaches past `u64::MAX`: an event
    /// pushed in the past must not wrap round into it. The clock is 2^20
    /// ns before the end; `b`, far in the past, pops first; `a`, just
    /// before the end, is then far past the window that starts at `b`,
    /// and `d` and `c` (pushed in the past too) come out before it.
    #[test]
    fn an_event_in_the_past_does_not_wrap_into_the_window_near_the_end_of_time() {
        let mut q = EventQueue::new();
        q.push(u64::MAX - (1 << 20), 'x');
        assert_eq!(q.pop(), Some((u64::MAX - (1 << 20), 'x')));
        q.push(u64::MAX - 5, 'a');
        q.push(100 << 18, 'b');
        assert_eq!(q.pop(), Some((100 << 18, 'b')));
        q.push((1 << 32) + (50 << 18), 'c');
        q.push(200 << 18, 'd');
        let order: String = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, "dca");
    }

    /// The window's start follows each pop: with an event still held at
    /// 3.5 s, one pushed at 5 s after the pop at 3 s fits the window
    /// (4.3 s from 3 s), where from the start of time it would not.
    #[test]
    fn the_calendars_window_follows_the_clock() {
        let mut q = EventQueue::new();
        q.push(3_000_000_000, 1);
        q.push(3_500_000_000, 2);
        assert_eq!(q.pop(), Some((3_000_000_000, 1)));
        q.push(5_000_000_000, 3);
        assert_eq!((q.heap.near.len(), q.heap.small.v.len()), (2, 0));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, [2, 3]);
    }

    /// Twelve thousand events for one time under sequence numbers pushed
    /// in random order (numbers reserved first): each list holds them
    /// sorted, so a push would step past thousands; past 32 steps an
    /// event goes to the small heap instead, and they all pop in order.
    /// Once a list's first 32 keys are the least it has been offered, it
    /// takes a random newcomer only as a new head or tail, with a chance
    /// of about 2 / L at length `L`, so it grows to about √(4 × 12,000)
    /// ≈ 220 (226 here): more than 10,000 end in the small heap.
    #[test]
    fn a_crowded_bucket_sends_what_it_cannot_place_soon_to_the_small_heap() {
        let mut rng = Pcg64::seed_from_u64(29);
        let mut q = EventQueue::new();
        let first = q.reserve_block(12_000);
        let mut seqs: Vec<u64> = (first..first + 12_000).collect();
        for i in (1..seqs.len()).rev() {
            seqs.swap(i, rng.random_range(0..=i));
        }
        for &seq in &seqs {
            q.push_reserved(1_000, seq, seq);
        }
        assert!(q.heap.small.v.len() > 10_000, "{}", q.heap.small.v.len());
        let popped: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(popped, (first..first + 12_000).collect::<Vec<_>>());
    }

    /// Bursts of a thousand events within 1 ms, one in eight an hour
    /// away: widening for the far ones crowds the burst into a bucket or
    /// two, and narrowing for the crowd sends the far ones past the
    /// window. The ceiling keeps the width from swinging between the two
    /// at every look: over 20 bursts (20,000 pushes, 19 looks) it changes
    /// at most at every other look, 10 times (eight here; 19 without the
    /// ceiling), and every pop is the sort's.
    #[test]
    fn a_cluster_and_far_events_do_not_make_the_width_swing() {
        let mut rng = Pcg64::seed_from_u64(31);
        let mut s = AgainstASort::new(0);
        let (mut width, mut changes) = (s.q.heap.near.shift(), 0);
        let mut start = 0;
        for _ in 0..20 {
            for _ in 0..1_000 {
                let t = if rng.random_range(0..8u32) == 0 {
                    start + 3_600_000_000_000
                } else {
                    start + rng.random_range(0..1_000_000u64)
                };
                s.push(None, t);
                if s.q.heap.near.shift() != width {
                    width = s.q.heap.near.shift();
                    changes += 1;
                }
            }
            while s
                .pending
                .first()
                .is_some_and(|&(t, _)| t < start + 1_000_000)
            {
                s.pop();
            }
            start += 1_000_000;
        }
        assert!(changes <= 10, "the width changed {changes} times");
        s.drain();
    }

    /// Enough events pending for the radix heap (its buckets in blocks,
    /// spread and filled again), popped against a sort by (time,
    /// sequence) that shares no code with the queue.
    #[test]
    fn the_radix_heap_pops_as_a_sort_does() {
        let mut rng = Pcg64::seed_from_u64(11);
        let mut s = AgainstASort::new(2);
        for step in 0..200_000u32 {
            if step == 60_000 {
                assert!(s.q.heap.big, "{} in the heap", s.q.heap.len());
            }
            if step < 60_000 || rng.random_range(0..2u32) == 0 {
                let delay = match rng.random_range(0..4u32) {
                    0 => 0,
                    1 => rng.random_range(0..1_000u64),
                    2 => 1_000_000,
                    _ => rng.random_range(0..1u64 << 36),
                };
                let lane = (rng.random_range(0..3u32) == 0).then(|| rng.random_range(0..2));
                s.push(lane, s.now + delay);
            } else {
                s.pop();
            }
        }
        s.drain();
    }

    /// The radix heap alone, with keys whose digits differ at every level
    /// (times and sequence numbers of any size, ties in time, keys equal
    /// to the last one taken out, and now and then one below it), popped
    /// against a sort.
    #[test]
    fn the_radix_heap_takes_out_the_smallest_key_at_every_level() {
        let mut rng = Pcg64::seed_from_u64(5);
        let mut heap = RadixHeap::new();
        let mut sorted = std::collections::BTreeSet::new();
        let mut last = (0u64, 0u64);
        for step in 0..100_000u32 {
            if sorted.is_empty() || rng.random_range(0..5u32) < 3 {
                let bits = rng.random_range(0..64u32);
                let time = match rng.random_range(0..8u32) {
                    0 => last.0,
                    1 => last.0.saturating_sub(rng.random_range(0..1_000)),
                    _ => last
                        .0
                        .saturating_add(rng.random_range(0..=u64::MAX >> (63 - bits))),
                };
                let seq_bits = rng.random_range(0..64u32);
                let seq = if time == last.0 && rng.random_range(0..2u32) == 0 {
                    last.1
                } else {
                    rng.random_range(0..=u64::MAX >> seq_bits)
                };
                if sorted.insert((time, seq)) {
                    heap.push(Entry {
                        time,
                        seq,
                        event: (),
                    });
                }
            } else {
                let want = sorted.pop_first().unwrap();
                let got = heap.pop().map(|e| (e.time, e.seq));
                assert_eq!(got, Some(want), "step {step}");
                assert_eq!(heap.len, sorted.len());
                last = want;
            }
        }
        while let Some(want) = sorted.pop_first() {
            assert_eq!(heap.peek().map(|e| (e.time, e.seq)), Some(want));
            assert_eq!(heap.pop().map(|e| (e.time, e.seq)), Some(want));
        }
        assert!(heap.pop().is_none());
    }

    /// A radix heap cleared while it holds entries (a run stopped with
    /// events pending) is empty, gives its blocks to its pool, and then
    /// works as a new one.
    #[test]
    fn a_radix_heap_cleared_with_entries_starts_again_empty() {
        let mut heap = RadixHeap::new();
        for i in 0..5_000u64 {
            heap.push(Entry {
                time: 1 + (i * 7_919) % 100_003,
                seq: i,
                event: (),
            });
        }
        for _ in 0..100 {
            heap.pop();
        }
        heap.clear();
        assert_eq!((heap.len, heap.last), (0, 0));
        assert!(heap.occupied.is_empty());
        assert!(heap.peek().is_none() && heap.pop().is_none());
        assert!(heap.mins.iter().all(|&m| m == NO_KEY));
        for (time, seq) in [(9, 3), (2, 4), (9, 1), (0, 5)] {
            heap.push(Entry {
                time,
                seq,
                event: (),
            });
        }
        let order: Vec<_> = std::iter::from_fn(|| heap.pop().map(|e| (e.time, e.seq))).collect();
        assert_eq!(order, [(0, 5), (2, 4), (9, 1), (9, 3)]);
    }

    #[test]
    fn only_in_gives_a_lanes_last_time_when_nothing_else_is_queued() {
        let mut q = EventQueue::with_lanes(3);
        assert_eq!(q.only_in(2), None, "empty");
        q.push_in(2, 10, 'a');
        q.push_in(2, 10, 'b');
        q.push_in(2, 30, 'c');
        // The last event's time, not the first's.
        assert_eq!(q.only_in(2), Some(30));
        assert_eq!(q.only_in(1), None, "another lane");
        q.push_in(1, 20, 'd');
        assert_eq!(q.only_in(2), None, "a second lane is busy");
        assert_eq!(q.pop(), Some((10, 'a')));
        assert_eq!(q.only_in(2), None);
        assert_eq!(q.pop(), Some((10, 'b')));
        assert_eq!(q.pop(), Some((20, 'd')));
        assert_eq!(q.only_in(2), Some(30));
        q.push(20, 'e');
        assert_eq!(q.only_in(2), None, "an event of the current time");
        assert_eq!(q.pop(), Some((20, 'e')));
        q.push(25, 'f');
        assert_eq!(q.only_in(2), None, "an event in the heap");
        assert_eq!(q.pop(), Some((25, 'f')));
        assert_eq!(q.only_in(2), Some(30));
    }

    #[test]
    fn an_event_out_of_a_lanes_order_goes_to_the_heap() {
        let mut q = EventQueue::with_lanes(1);
        q.push_in(0, 10, 'b');
        q.push_in(0, 5, 'a'); // before the lane's last: heap
        q.push_in(0, 10, 'c'); // same time, later sequence: lane
        assert_eq!(q.lanes[0].len(), 2);
        assert_eq!(q.heap.len(), 1);
        let order: String = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, "abc");
    }

    /// The queue as it was before its heap had a small form: the same
    /// lanes in front of a radix heap alone. The queue must pop exactly
    /// what this one pops.
    mod reference {
        use super::super::{Entry, Key, LANES, NO_KEY, RadixHeap};
        use crate::time::SimTime;
        use std::collections::VecDeque;

        pub struct OldQueue<E> {
            heap: RadixHeap<E>,
            lanes: Vec<VecDeque<Entry<E>>>,
            fronts: [Key; LANES],
            busy_lanes: u32,
            next_seq: u64,
        }

        impl<E: Copy> OldQueue<E> {
            pub fn with_lanes(lanes: usize) -> Self {
                OldQueue {
                    heap: RadixHeap::new(),
                    lanes: (0..lanes).map(|_| VecDeque::new()).collect(),
                    fronts: [NO_KEY; LANES],
                    busy_lanes: 0,
                    next_seq: 0,
                }
            }

            pub fn push(&mut self, time: SimTime, event: E) {
                let seq = self.reserve();
                self.heap.push(Entry { time, seq, event });
            }

            pub fn push_in(&mut self, lane: usize, time: SimTime, event: E) {
                let seq = self.reserve();
                self.push_reserved_in(lane, time, seq, event);
            }

            pub fn reserve(&mut self) -> u64 {
                let seq = self.next_seq;
                self.next_seq += 1;
                seq
            }

            pub fn reserve_block(&mut self, n: u64) {
                self.next_seq += n;
            }

            pub fn push_reserved(&mut self, time: SimTime, seq: u64, event: E) {
                self.heap.push(Entry { time, seq, event });
            }

            pub fn push_reserved_in(&mut self, lane: usize, time: SimTime, seq: u64, event: E) {
                let entry = Entry { time, seq, event };
                let run = &mut self.lanes[lane];
                match run.back() {
                    None => {
                        self.fronts[lane] = entry.key();
                        self.busy_lanes |= 1 << lane;
                        run.push_back(entry);
                    }
                    Some(last) if last.key() < entry.key() => run.push_back(entry),
                    Some(_) => self.heap.push(entry),
                }
            }

            fn earliest_lane(&self) -> (Option<usize>, Key) {
                let mut best = (None, self.heap.peek_key());
                let mut busy = self.busy_lanes;
                while busy != 0 {
                    let i = busy.trailing_zeros() as usize % LANES;
                    busy &= busy - 1;
                    let k = self.fronts[i];
                    if k < best.1 {
                        best = (Some(i), k);
                    }
                }
                best
            }

            pub fn pop(&mut self) -> Option<(SimTime, E)> {
                let entry = match self.earliest_lane().0 {
                    Some(lane) => {
                        let run = &mut self.lanes[lane];
                        let entry = run.pop_front();
                        self.fronts[lane] = match run.front() {
                            Some(next) => next.key(),
                            None => {
                                self.busy_lanes &= !(1 << lane);
                                NO_KEY
                            }
                        };
                        entry
                    }
                    None => self.heap.pop(),
                };
                entry.map(|e| (e.time, e.event))
            }

            pub fn peek(&self) -> Option<E> {
                match self.earliest_lane().0 {
                    Some(lane) => self.lanes[lane].front(),
                    None => self.heap.peek(),
                }
                .map(|e| e.event)
            }

            pub fn len(&self) -> usize {
                self.heap.len + self.lanes.iter().map(VecDeque::len).sum::<usize>()
            }
        }
    }

    /// One step of a random schedule, for the queue and its reference.
    #[derive(Debug, Clone)]
    enum Op {
        /// Push at the time of the last pop plus `delay` (a lane, or none:
        /// the heap).
        Push {
            lane: Option<usize>,
            delay: u64,
        },
        /// Push before the last pop (an event in the past).
        PushPast {
            back: u64,
        },
        /// Take a sequence number for later.
        Reserve,
        /// Skip `n` sequence numbers (so that a lane's next entry may be
        /// too far from its last for the lane).
        Skip {
            n: u64,
        },
        /// Push the oldest reserved number `delay` after the last pop.
        PushReserved {
            lane: Option<usize>,
            delay: u64,
        },
        Pop,
        /// Pop as the engine's loop does: the current time's zero-length
        /// steps first, through [`EventQueue::pop_now`].
        PopNow,
    }

    /// Runs `ops` on the queue and on the old one side by side: every
    /// pop, peek and length must agree. Events are their sequence number
    /// (so an event popped in the wrong place shows).
    fn same_as_old(lanes: usize, ops: &[Op]) {
        let mut q = EventQueue::with_lanes(lanes);
        let mut old = reference::OldQueue::with_lanes(lanes);
        let mut reserved = std::collections::VecDeque::new();
        let mut now: SimTime = 0;
        for (step, op) in ops.iter().enumerate() {
            match *op {
                Op::Push { lane, delay } => {
                    let t = now + delay;
                    let e = q.next_seq;
                    match lane {
                        Some(l) => {
                            q.push_in(l % lanes, t, e);
                            old.push_in(l % lanes, t, e);
                        }
                        None => {
                            q.push(t, e);
                            old.push(t, e);
                        }
                    }
                }
                Op::PushPast { back } => {
                    let e = q.next_seq;
                    q.push(now.saturating_sub(back), e);
                    old.push(now.saturating_sub(back), e);
                }
                Op::Reserve => {
                    let r = q.reserve();
                    assert_eq!(old.reserve(), r);
                    reserved.push_back(r);
                }
                Op::Skip { n } => {
                    q.reserve_block(n);
                    old.reserve_block(n);
                }
                Op::PushReserved { lane, delay } => {
                    let Some(r) = reserved.pop_front() else {
                        continue;
                    };
                    let t = now + 1 + delay;
                    match lane {
                        Some(l) => {
                            q.push_reserved_in(l % lanes, t, r, r);
                            old.push_reserved_in(l % lanes, t, r, r);
                        }
                        None => {
                            q.push_reserved(t, r, r);
                            old.push_reserved(t, r, r);
                        }
                    }
                }
                Op::Pop | Op::PopNow => {
                    assert_eq!(q.peek(), old.peek(), "step {step}");
                    let got = match op {
                        Op::PopNow => q.pop_now().or_else(|| q.pop()),
                        _ => q.pop(),
                    };
                    assert_eq!(got, old.pop(), "step {step}");
                    if let Some((t, _)) = got {
                        now = now.max(t);
                    }
                }
            }
            assert_eq!(q.len(), old.len(), "step {step}");
        }
        loop {
            let got = q.pop();
            assert_eq!(got, old.pop());
            if got.is_none() {
                break;
            }
        }
        assert!(q.is_empty());
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        // Few distinct delays, so that many events share a time.
        let delay = prop_oneof![Just(0u64), Just(1), Just(1_000), 0u64..4, 0u64..1u64 << 40];
        let lane = proptest::option::of(0usize..LANES);
        prop_oneof![
            8 => (lane.clone(), delay.clone()).prop_map(|(lane, delay)| Op::Push { lane, delay }),
            1 => (0u64..3).prop_map(|back| Op::PushPast { back }),
            2 => Just(Op::Reserve),
            1 => prop_oneof![Just((1u64 << 31) - 2), Just(1 << 31), 0u64..1 << 33]
                .prop_map(|n| Op::Skip { n }),
            2 => (lane, delay).prop_map(|(lane, delay)| Op::PushReserved { lane, delay }),
            4 => Just(Op::Pop),
            4 => Just(Op::PopNow),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 512,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// Random schedules with many equal times, in and out of lanes,
        /// reserved numbers and events in the past: the queue pops exactly
        /// what the old one pops.
        #[test]
        fn pops_exactly_as_the_old_queue(
            lanes in 1usize..=LANES,
            ops in proptest::collection::vec(op(), 0..600),
        ) {
            same_as_old(lanes, &ops);
        }
    }

    /// A queue that grows far beyond [`RADIX_ABOVE`] and drains below
    /// [`SMALL_BELOW`], twice, and one that hovers about each bound: its
    /// heap changes form both ways, and every pop is still the old
    /// queue's.
    #[test]
    fn pops_exactly_as_the_old_queue_across_heap_forms() {
        let mut rng = Pcg64::seed_from_u64(5);
        let mut ops = Vec::new();
        let random_push = |rng: &mut Pcg64| Op::Push {
            lane: (rng.random_range(0..4u32) == 0).then_some(0),
            delay: match rng.random_range(0..3u32) {
                0 => rng.random_range(0..8u64),
                1 => 1_000,
                _ => rng.random_range(0..1u64 << 34),
            },
        };
        for _ in 0..2 {
            // Up: 40,000 pushes with a pop every fourth.
            for i in 0..40_000 {
                ops.push(random_push(&mut rng));
                if i % 4 == 0 {
                    ops.push(Op::Pop);
                }
            }
            // Down to empty, with a push every third pop.
            for i in 0..60_000 {
                ops.push(Op::Pop);
                if i % 3 == 0 {
                    ops.push(random_push(&mut rng));
                }
            }
        }
        // About each bound: up to one past the upper, down to one above
        // the lower, then two pops and two pushes by turns.
        for _ in 0..RADIX_ABOVE + 1 {
            ops.push(random_push(&mut rng));
        }
        for _ in 0..RADIX_ABOVE - SMALL_BELOW {
            ops.push(Op::Pop);
        }
        for _ in 0..3_000 {
            ops.push(Op::Pop);
            ops.push(Op::Pop);
            ops.push(random_push(&mut rng));
            ops.push(random_push(&mut rng));
        }
        same_as_old(3, &ops);

        // The forms this goes through (so that the test above covers both).
        // (Not at time 0, the current time, whose events wait in a lane.)
        let mut q = EventQueue::new();
        for i in 0..RADIX_ABOVE as u64 {
            q.push(1 + i % 7, i);
        }
        assert!(!q.heap.big);
        q.push(1, 0);
        assert!(q.heap.big);
        while q.len() >= SMALL_BELOW {
            q.pop();
        }
        assert!(!q.heap.big);
        assert_eq!(q.heap.small.v.len(), SMALL_BELOW - 1);
    }

    /// Events pushed for the current time wait in a lane of their own
    /// behind those already due then: a lane's, the heap's, and one
    /// reserved before them and pushed after.
    #[test]
    fn the_current_times_new_events_come_after_those_already_due() {
        let mut q = EventQueue::with_lanes(1);
        q.push(5, 'a');
        let r = q.reserve();
        q.push_in(0, 5, 'c');
        q.push(5, 'd');
        assert_eq!(q.pop(), Some((5, 'a')));
        // Now at 5: these go to the current time's lane.
        q.push_in(0, 5, 'e');
        q.push(5, 'f');
        assert_eq!(q.now_lane.len(), 2);
        q.push_reserved(5, r, 'b');
        q.push(6, 'g');
        assert_eq!(q.peek(), Some('b'));
        let order: String = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, "bcdefg");
    }

    /// Nothing is due now exactly when a push for the current time would
    /// be the next pop: not while an event for now waits in the current
    /// time's lane, a lane or the heap (one reserved earlier and pushed
    /// late included), nor while one from before now is queued.
    #[test]
    fn nothing_is_due_now_when_a_push_for_now_would_pop_next() {
        let mut q = EventQueue::with_lanes(1);
        // An empty queue at time 0.
        assert!(q.nothing_due_now());
        q.push(5, 'a');
        q.push_in(0, 5, 'b');
        // At 0, the events at 5 are not due.
        assert!(q.nothing_due_now());
        assert_eq!(q.pop(), Some((5, 'a')));
        // At 5: 'b' in the lane is due.
        assert!(!q.nothing_due_now());
        assert_eq!(q.pop(), Some((5, 'b')));
        assert!(q.nothing_due_now());
        // One for now in the current time's lane, then one reserved at 4
        // and pushed late (in the past) in the heap.
        q.push(5, 'c');
        assert!(!q.nothing_due_now());
        assert_eq!(q.pop_now(), Some((5, 'c')));
        let r = q.reserve();
        q.push(9, 'e');
        assert!(q.nothing_due_now());
        q.push_reserved(4, r, 'd');
        assert!(!q.nothing_due_now());
        assert_eq!(q.pop(), Some((4, 'd')));
        // 'e' at 9 is all that is left.
        assert!(q.nothing_due_now());
    }

    /// An entry in a lane's order whose key is too far from the lane's
    /// last one for a difference (2^32 − 1 ns or more later, or 2^31
    /// sequence numbers or more away either way) stays in the lane with
    /// its whole key beside it; one out of the lane's order goes to the
    /// heap; every event pops in key order, with its own time.
    #[test]
    fn an_entry_too_far_from_the_lanes_last_keeps_its_whole_key() {
        let far = u64::from(u32::MAX) + 1;
        let mut q = EventQueue::with_lanes(3);
        // Time (sequence numbers 0, 1, 2): 1 ns, then 2^32 − 2 ns later
        // (fits), then 2^32 + 1 ns later (does not).
        q.push_in(0, 1, 'a');
        q.push_in(0, far - 1, 'b');
        q.push_in(0, 2 * far, 'c');
        let early = [q.reserve(), q.reserve()]; // 3, 4
        // Sequence numbers: 5; then 2^31 − 1 on (fits); then 2^31 on
        // (does not); then, at a later time, number 3, 2^32 + 1 back
        // from the lane's last (does not).
        q.push_in(1, 10, 'd');
        q.reserve_block((1 << 31) - 2);
        q.push_in(1, 11, 'e');
        q.reserve_block((1 << 31) - 1);
        q.push_in(1, 12, 'f');
        q.push_reserved_in(1, 13, early[0], 'g');
        // Number 4, far behind the lane's last; then an event before the
        // lane's last, for the heap.
        q.push_in(2, 20, 'h');
        q.push_reserved_in(2, 21, early[1], 'i');
        q.push_in(2, 15, 'x');
        let held = |q: &EventQueue<char>| {
            (
                q.lanes.iter().map(Lane::len).collect::<Vec<_>>(),
                q.lanes.iter().map(|l| l.far.len()).collect::<Vec<_>>(),
                q.heap.len(),
            )
        };
        assert_eq!(held(&q), (vec![3, 4, 2], vec![1, 2, 1], 1));
        // 9 lane entries of 12 bytes (a 4-byte char and two differences), 4 whole
        // keys, one heap entry of 8 + 8 + 4, in the calendar with its
        // 4-byte link.
        assert_eq!(q.entry_bytes(), 9 * 12 + 4 * 16 + 20 + 4);
        let popped: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            popped,
            [
                (1, 'a'),
                (10, 'd'),
                (11, 'e'),
                (12, 'f'),
                (13, 'g'),
                (15, 'x'),
                (20, 'h'),
                (21, 'i'),
                (far - 1, 'b'),
                (2 * far, 'c')
            ]
        );
        assert_eq!(held(&q), (vec![0, 0, 0], vec![0, 0, 0], 0));
        assert!(q.is_empty() && q.entry_bytes() == 0);
    }

    /// The current time's lane takes the same differences: an event for
    /// the current time 2^31 sequence numbers or more after the lane's
    /// last keeps its whole key, and pops in its place.
    #[test]
    fn the_current_times_lane_keeps_a_far_numbers_whole_key() {
        let mut q = EventQueue::new();
        q.push(5, 'a');
        assert_eq!(q.pop(), Some((5, 'a')));
        q.push(5, 'b');
        q.reserve_block(1 << 31);
        q.push(5, 'c');
        q.push(5, 'd');
        // 'c' is 2^31 + 1 after 'b'; 'd' is 1 after 'c'.
        assert_eq!(
            (q.now_lane.len(), q.now_lane.far.len(), q.heap.len()),
            (3, 1, 0)
        );
        assert_eq!(q.peek_time(), Some(5));
        let order: String = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, "bcd");
    }

    /// What the pending entries take: 16 bytes in a lane (a u64 event
    /// with two 4-byte differences), 24 in the heap (a u64 event and the
    /// 16-byte key), 28 in its calendar (and a 4-byte link), where an
    /// event due soon goes.
    #[test]
    fn entry_bytes_count_lanes_and_heap_apart() {
        let mut q = EventQueue::<u64>::with_lanes(1);
        assert_eq!(
            (
                EventQueue::<u64>::LANE_ENTRY_BYTES,
                EventQueue::<u64>::HEAP_ENTRY_BYTES
            ),
            (16, 24)
        );
        q.push_in(0, 3, 1);
        q.push_in(0, 4, 2);
        q.push(2, 3);
        assert_eq!(q.entry_bytes(), 2 * 16 + 28);
        // An event 2 ms in the past, before the calendar's window (which
        // starts at the clock, in buckets of about 0.26 ms): the small heap's.
        let later = 4_000_000;
        q.push(later, 4);
        let popped: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(popped, [(2, 3), (3, 1), (4, 2), (later, 4)]);
        q.push(later - 2_000_000, 5);
        assert_eq!(q.entry_bytes(), 24);
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
