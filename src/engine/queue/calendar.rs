//! The near future of a queue's heap while it holds few entries: a
//! calendar of buckets, each a span of time of one width, in a ring.
//!
//! A 4-ary heap of a thousand jittered retries costs a chain of dependent
//! reads and unpredictable branches at every pop (some 300 instructions a
//! pop, most of the full-jitter herd's queue time). The calendar puts an
//! entry in the bucket of its time, and takes out the smallest as the
//! head of the first bucket in use after the current one (found in a
//! bitmap). Each bucket is a list sorted by key, and an entry usually
//! goes to the end of its list (an empty one, or after one for the same
//! time pushed earlier), so both are O(1) while buckets hold an entry or
//! two; an entry whose place is more than [`MAX_STEPS`] into its list
//! is given back, so that no pattern of keys makes a push cost more.
//! The calendar holds only entries that fall in its window,
//! `[base, base + BUCKETS × width)`, where `base` follows the clock; the
//! caller keeps the others (an entry past the window, or in the past) in
//! its heap, and takes the smaller of the two minimums. So the calendar
//! never moves an entry from one "year" to the next, as a classic
//! calendar queue (Brown, 1988) does.
//!
//! The width follows the delays it is asked to hold, by what it counts
//! over every [`REVIEW_EVERY`] pushes: the farthest push from the window's
//! start (its *reach*), the pushes that fell past the window, and the
//! entries a push stepped past to find its place in a list
//! ([`Calendar::review`]). A change of width only moves entries between
//! buckets (or, narrowing, to the caller's heap), so the width changes
//! the speed, never the order: every entry has a unique key, and both
//! structures give up the smallest.

use super::{Entry, Key, NO_KEY, SmallHeap, occupancy::Occupancy};
use crate::time::SimTime;

/// Buckets in the ring, as a power of two: 16,384, as many as the
/// entries the calendar can hold (`RADIX_ABOVE`), so that spread over
/// the window they take one each or fewer.
const BUCKET_BITS: u32 = 14;
const BUCKETS: usize = 1 << BUCKET_BITS;
/// Words of the bitmap of buckets in use, and of its summary (a bit per
/// word in use).
const WORDS: usize = BUCKETS / 64;
const SUMMARY: usize = WORDS / 64;

/// No node: the end of a bucket's list, or of the free list.
const NONE: u32 = u32::MAX;

/// The width a new calendar starts with: 2^18 ns (about 0.26 ms), a
/// window of about 4.3 s.
const FIRST_SHIFT: u32 = 18;

/// The widest bucket: the window, 2^63 ns, still fits in a time.
const MAX_SHIFT: u32 = 63 - BUCKET_BITS;

/// Pushes between two looks at the width.
const REVIEW_EVERY: u32 = 1024;

/// The most entries a push steps past to find its place inside a list;
/// an entry that would need more goes to the caller's heap instead, so
/// that no pattern of keys (many for one time, pushed out of order) makes
/// a push cost more than this.
const MAX_STEPS: u32 = 32;

/// Looks at the width without crowding after which the width it may
/// widen to rises again by one ([`Calendar::review`]).
const CALM_REVIEWS: u32 = 16;

/// The first and the last node of a bucket's list, side by side: a push
/// reads both, from one cache line rather than two (full jitter on the
/// reference herd: 8% fewer misses of the first-level data cache as
/// cachegrind simulates it, 0.99× the time).
#[derive(Clone, Copy)]
struct Ends {
    head: u32,
    tail: u32,
}

/// An entry and the next in its bucket's list (or on the free list).
struct Node<E> {
    entry: Entry<E>,
    next: u32,
}

impl<E: Copy> Clone for Node<E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E: Copy> Copy for Node<E> {}

/// A ring of [`BUCKETS`] buckets of `2^shift` ns each, holding the
/// entries whose times fall in `[base, base + BUCKETS × 2^shift)`, each
/// bucket a list sorted by key.
pub(super) struct Calendar<E> {
    /// Each bucket is `2^shift` ns wide.
    shift: u32,
    /// The start of the window, a multiple of the width, at or before
    /// every entry held and the clock.
    base: SimTime,
    /// The first and the last node of each bucket's list (a `head` of
    /// [`NONE`]: empty; its `tail` is then stale).
    ends: Box<[Ends; BUCKETS]>,
    /// The buckets in use.
    occupied: Box<Occupancy<WORDS, SUMMARY>>,
    /// The entries, linked per bucket; freed nodes are linked from `free`.
    nodes: Vec<Node<E>>,
    free: u32,
    len: usize,
    /// The smallest key held ([`NO_KEY`] when empty) and its bucket, of
    /// whose list it is the head.
    min: Key,
    min_bucket: usize,
    /// Counted since the last look at the width: pushes, those that fell
    /// past the window, the entries a push stepped past to find its place
    /// inside a list, and the farthest push from the window's start.
    pushes: u32,
    outside: u32,
    stepped: u32,
    reach: u64,
    /// The widest the width may grow: one below a width at which the
    /// buckets were found crowded, rising by one after
    /// [`CALM_REVIEWS`] looks without crowding (`calm` counts them).
    ceiling: u32,
    calm: u32,
}

impl<E: Copy> Calendar<E> {
    pub(super) fn new() -> Self {
        Calendar {
            shift: FIRST_SHIFT,
            base: 0,
            ends: Box::new(
                [Ends {
                    head: NONE,
                    tail: NONE,
                }; BUCKETS],
            ),
            occupied: Box::new(Occupancy::new()),
            nodes: Vec::new(),
            free: NONE,
            len: 0,
            min: NO_KEY,
            min_bucket: 0,
            pushes: 0,
            outside: 0,
            stepped: 0,
            reach: 0,
            ceiling: MAX_SHIFT,
            calm: 0,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The smallest key held ([`NO_KEY`] when empty).
    #[inline(always)]
    pub(super) fn min_key(&self) -> Key {
        self.min
    }

    /// The entry with the smallest key.
    pub(super) fn peek(&self) -> Option<&Entry<E>> {
        (self.min != NO_KEY).then(|| &self.nodes[self.ends[self.min_bucket].head as usize].entry)
    }

    /// Bytes an entry takes here.
    pub(super) const NODE_BYTES: usize = size_of::<Node<E>>();

    /// The key of node `at`.
    #[inline(always)]
    fn key(&self, at: u32) -> Key {
        self.nodes[at as usize].entry.key()
    }

    /// The window's width in time: [`BUCKETS`] buckets.
    fn window(&self) -> u64 {
        (BUCKETS as u64) << self.shift
    }

    /// Takes `entry` if its time is in the window (which, when the
    /// calendar is empty, first moves up to the clock, `now`) and its
    /// place in its bucket is found within [`MAX_STEPS`]; gives it back
    /// otherwise.
    #[inline(always)]
    pub(super) fn push(&mut self, entry: Entry<E>, now: SimTime) -> Option<Entry<E>> {
        self.pushes += 1;
        if self.len == 0 {
            self.base = now >> self.shift << self.shift;
        }
        // Not a wrapping difference: near the end of time the window
        // would take in times from its start.
        let Some(offset) = entry.time.checked_sub(self.base) else {
            return Some(entry);
        };
        self.reach = self.reach.max(offset);
        if offset >= self.window() {
            self.outside += 1;
            return Some(entry);
        }
        self.link(entry)
    }

    /// Puts `entry`, in the window, in its place in its bucket's list:
    /// after the last (the usual case: one entry, or one for the same
    /// time pushed later), before the first, or else after the entries
    /// with smaller keys, if that place is found within [`MAX_STEPS`]
    /// (else gives it back).
    #[inline(always)]
    fn link(&mut self, entry: Entry<E>) -> Option<Entry<E>> {
        let key = entry.key();
        let b = (entry.time >> self.shift) as usize % BUCKETS;
        let Ends { head, tail } = self.ends[b];
        if head == NONE {
            let at = self.alloc(entry);
            self.ends[b] = Ends { head: at, tail: at };
            self.occupied.insert(b);
        } else if key >= self.key(tail) {
            // (Equal only if a key were pushed twice; it then comes out
            // after the other.)
            let at = self.alloc(entry);
            self.nodes[tail as usize].next = at;
            self.ends[b].tail = at;
        } else if key < self.key(head) {
            let at = self.alloc(entry);
            self.nodes[at as usize].next = head;
            self.ends[b].head = at;
        } else {
            let Some(prev) = self.place_after(head, key) else {
                return Some(entry);
            };
            let at = self.alloc(entry);
            self.nodes[at as usize].next = self.nodes[prev as usize].next;
            self.nodes[prev as usize].next = at;
        }
        if key < self.min {
            self.min = key;
            self.min_bucket = b;
        }
        self.len += 1;
        None
    }

    /// The last node of the list from `head` (whose first key is at most
    /// `key` and last larger) with a key at most `key`, if found within
    /// [`MAX_STEPS`].
    #[cold]
    fn place_after(&mut self, head: u32, key: Key) -> Option<u32> {
        let mut prev = head;
        for _ in 0..MAX_STEPS {
            let next = self.nodes[prev as usize].next;
            self.stepped += 1;
            if self.key(next) > key {
                return Some(prev);
            }
            prev = next;
        }
        None
    }

    /// A node holding `entry` (its `next` is [`NONE`]): a freed one, or a
    /// new one.
    #[inline(always)]
    fn alloc(&mut self, entry: Entry<E>) -> u32 {
        let node = Node { entry, next: NONE };
        if self.free == NONE {
            self.nodes.push(node);
            (self.nodes.len() - 1) as u32
        } else {
            let at = self.free;
            self.free = self.nodes[at as usize].next;
            self.nodes[at as usize] = node;
            at
        }
    }

    /// Takes out the entry with the smallest key; the calendar is not
    /// empty.
    #[inline(always)]
    pub(super) fn pop(&mut self) -> Entry<E> {
        let b = self.min_bucket;
        let at = self.ends[b].head;
        let Node { entry, next } = self.nodes[at as usize];
        self.ends[b].head = next;
        if next == NONE {
            self.occupied.remove(b);
        }
        self.nodes[at as usize].next = self.free;
        self.free = at;
        self.len -= 1;
        self.base = entry.time >> self.shift << self.shift;
        self.min = if self.len == 0 {
            NO_KEY
        } else {
            self.min_bucket = self.first_in_window();
            self.key(self.ends[self.min_bucket].head)
        };
        entry
    }

    /// The first bucket in use from the window's start, round the ring
    /// (some bucket is in use): the one with the earliest entries, since
    /// every entry is in the window, where the buckets round the ring
    /// from its start follow each other in time.
    #[inline(always)]
    fn first_in_window(&self) -> usize {
        self.occupied
            .first_from((self.base >> self.shift) as usize % BUCKETS)
    }

    /// True once [`REVIEW_EVERY`] pushes have come since the last look at
    /// the width ([`Calendar::review`]).
    #[inline(always)]
    pub(super) fn review_due(&self) -> bool {
        self.pushes >= REVIEW_EVERY
    }

    /// Looks at the width, by what was counted since the last look:
    /// - a push stepped past more than four entries on average: the
    ///   buckets are crowded where entries cluster; it narrows by about
    ///   that factor, and will not widen again to this width until
    ///   [`CALM_REVIEWS`] looks without crowding have raised its ceiling
    ///   back, so that a cluster and a few far entries (which then stay
    ///   in the caller's heap) cannot make it swing between two widths;
    /// - else, more than one push in sixteen fell past the window: it
    ///   widens (at least doubles) to take in the farthest push, up to its
    ///   ceiling;
    /// - else, if the window is four times the reach or more: it narrows
    ///   to twice to four times the reach.
    ///
    /// Entries past a narrowed window go to `far`.
    #[cold]
    pub(super) fn review(&mut self, far: &mut SmallHeap<E>) {
        let pushes = std::mem::take(&mut self.pushes);
        let outside = std::mem::take(&mut self.outside);
        let stepped = std::mem::take(&mut self.stepped);
        let reach = std::mem::take(&mut self.reach);
        // The least width whose window takes in `reach`.
        let fit = (u64::BITS - reach.leading_zeros()).saturating_sub(BUCKET_BITS);
        let crowded = stepped > 4 * pushes;
        if crowded {
            self.ceiling = self.shift.saturating_sub(1);
            self.calm = 0;
        } else {
            self.calm += 1;
            if self.calm >= CALM_REVIEWS {
                self.ceiling = (self.ceiling + 1).min(MAX_SHIFT);
                self.calm = 0;
            }
        }
        let shift = if crowded {
            self.shift.saturating_sub((stepped / pushes).ilog2())
        } else if outside > pushes / 16 {
            fit.max(self.shift + 1).min(self.ceiling).max(self.shift)
        } else if fit + 2 <= self.shift {
            fit + 1
        } else {
            self.shift
        };
        if shift != self.shift {
            self.reshape(shift, far);
        }
    }

    /// Puts every entry in the bucket of its time under a width of
    /// `2^shift` ns; those now past the window go to `far`. The entries
    /// are taken out in order, so each goes to the end of its new list.
    fn reshape(&mut self, shift: u32, far: &mut SmallHeap<E>) {
        let base = self.base;
        let mut held = Vec::new();
        self.drain_into(&mut held);
        self.shift = shift;
        self.base = base >> shift << shift;
        for entry in held {
            // Every entry is at or after `base`, and in order: each
            // goes to the end of its list, or past the window.
            if entry.time - self.base >= self.window() {
                far.push(entry);
            } else if let Some(entry) = self.link(entry) {
                far.push(entry);
            }
        }
    }

    /// Moves every entry to the end of `out`, in order, and leaves the
    /// calendar empty.
    pub(super) fn drain_into(&mut self, out: &mut Vec<Entry<E>>) {
        out.reserve(self.len);
        self.empty(|entry| out.push(entry));
    }

    /// Takes every entry out, in order, to `each`, and forgets the nodes.
    fn empty(&mut self, mut each: impl FnMut(Entry<E>)) {
        while self.len != 0 {
            each(self.pop());
        }
        self.nodes.clear();
        self.free = NONE;
    }

    /// Empty, keeping its room and its width (which orders nothing), its
    /// ceiling lifted.
    pub(super) fn clear(&mut self) {
        self.empty(|_| ());
        self.base = 0;
        self.pushes = 0;
        self.outside = 0;
        self.stepped = 0;
        self.reach = 0;
        self.ceiling = MAX_SHIFT;
        self.calm = 0;
    }

    /// The width of a bucket, as a power of two.
    #[cfg(test)]
    pub(super) fn shift(&self) -> u32 {
        self.shift
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four entries at 3, 5, 1,024 and 4,095 times 2^20 ns (plus 1 µs),
    /// all in the first window (2^32 ns). Doubling the width keeps all
    /// four; narrowing it to 2^8 ns (a window of 4,194,304 ns) keeps the
    /// first alone (3,146,728 ns) and sends the three past it to the
    /// heap. Each time the entries come out in order.
    #[test]
    fn reshaping_keeps_the_window_and_sends_only_what_is_past_it_away() {
        let times = [5u64 << 20, 3 << 20, 4095 << 20, 1 << 30].map(|t| t + 1_000);
        let fill = |c: &mut Calendar<usize>| {
            for (i, &time) in times.iter().enumerate() {
                let entry = Entry {
                    time,
                    seq: i as u64,
                    event: i,
                };
                assert!(c.push(entry, 1_000).is_none(), "{time} is in the window");
            }
        };
        let drain = |c: &mut Calendar<usize>| {
            std::iter::from_fn(|| (c.len() > 0).then(|| c.pop().event)).collect::<Vec<_>>()
        };
        let mut far = SmallHeap { v: Vec::new() };
        let mut c = Calendar::new();
        fill(&mut c);
        c.reshape(FIRST_SHIFT + 1, &mut far);
        assert_eq!((c.len(), far.v.len()), (4, 0));
        assert_eq!(drain(&mut c), [1, 0, 3, 2]);
        fill(&mut c);
        c.reshape(8, &mut far);
        assert_eq!((c.len(), far.v.len()), (1, 3));
        assert_eq!(drain(&mut c), [1]);
        let mut sent: Vec<_> = far.v.iter().map(|e| e.event).collect();
        sent.sort_unstable();
        assert_eq!(sent, [0, 2, 3]);
    }
}
