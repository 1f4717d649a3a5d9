//! A FIFO ring buffer of `Copy` entries whose every step the compiler
//! sees: a lane's push and pop, once per event.
//!
//! `VecDeque` would do, but its push is a call the compiler keeps out of
//! line, to which the caller hands the entry through memory, and its
//! indices wrap by comparison. A sampled profile of the linear reference
//! herd put some 5% of all its time on the callee reading back the
//! entry its caller had just written (in smaller stores, which the
//! processor cannot forward to one wider load). Here push and pop are
//! inlined, the entry stays in registers, and indices wrap by a mask:
//! the lanes' switch to this ring took the linear reference herd to
//! 0.81× its time (paired runs), more than that one read alone.

/// A FIFO of `T` in a buffer of room for a power of two of them. Room is
/// taken as entries first fill it (so a lane sized for a wave touches
/// only the pages its entries reach), doubles when full, from 4 (as
/// `VecDeque`'s), in place where the allocator can, and is given back
/// only when asked ([`Ring::shrink_to`]).
pub(super) struct Ring<T> {
    /// Slots `0..buf.len()` have been written; the ring holds `len` of
    /// them from `head` on, wrapping at `room`. Until `buf` fills its room
    /// the entries never wrap and end at `buf.len()`, where the next push
    /// appends.
    buf: Vec<T>,
    /// Room, in entries: 0 or a power of two, and `buf` holds no more.
    room: usize,
    head: usize,
    len: usize,
}

impl<T: Copy> Ring<T> {
    pub(super) const fn new() -> Self {
        Ring {
            buf: Vec::new(),
            room: 0,
            head: 0,
            len: 0,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Room, in entries.
    pub(super) fn capacity(&self) -> usize {
        self.room
    }

    /// Empties the ring, keeping its room.
    pub(super) fn clear(&mut self) {
        self.buf.clear();
        self.head = 0;
        self.len = 0;
    }

    /// Appends `x`.
    #[inline(always)]
    pub(super) fn push_back(&mut self, x: T) {
        if self.len == self.room {
            self.grow();
        }
        let at = (self.head + self.len) & (self.room - 1);
        match self.buf.get_mut(at) {
            Some(slot) => *slot = x,
            // Not yet wrapped: `at` is the end of what has been written.
            None => {
                debug_assert_eq!(at, self.buf.len());
                self.buf.push(x);
            }
        }
        self.len += 1;
    }

    /// Takes out the front.
    #[inline(always)]
    pub(super) fn pop_front(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let x = self.buf[self.head];
        self.head = (self.head + 1) & (self.room - 1);
        self.len -= 1;
        Some(x)
    }

    #[inline(always)]
    pub(super) fn front(&self) -> Option<&T> {
        if self.len == 0 {
            return None;
        }
        self.buf.get(self.head)
    }

    /// Gives back room down to `room` entries, or to the least power of
    /// two that holds the entries (room is always a power of two, which
    /// the indices' mask needs: `room` is rounded up to one).
    pub(super) fn shrink_to(&mut self, room: usize) {
        let room = room.max(self.len).max(4).next_power_of_two();
        if room >= self.room {
            return;
        }
        // The entries to the front of the buffer, in order: a wrapped
        // ring's two runs each move once, and do not overlap on the way
        // (the one from `head` on ends at the end of the room, the other
        // starts at 0, and together they fill at most half the room).
        let (head, len) = (self.head, self.len);
        let to_end = self.room - head;
        if len > to_end {
            self.buf.copy_within(..len - to_end, to_end);
            self.buf.copy_within(head.., 0);
        } else {
            self.buf.copy_within(head..head + len, 0);
        }
        self.buf.truncate(len);
        self.buf.shrink_to(room);
        self.room = room;
        self.head = 0;
    }

    /// Doubles the room of a full ring (from 0 to 4), in place where the
    /// allocator can grow the block: the run wrapped to the buffer's start
    /// is copied after the end, so that the entries run on from `head`.
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let room = if self.room == 0 { 4 } else { self.room * 2 };
        self.buf.reserve_exact(room - self.buf.len());
        self.buf.extend_from_within(..self.head);
        self.room = room;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against a `VecDeque` doing the same: pushes and pops interleaved
    /// so that the ring wraps, grows while wrapped, and shrinks while
    /// wrapped; the room after each round's pushes is the least power of
    /// two, from 4, that has held all the entries at once.
    #[test]
    fn a_ring_is_a_fifo_through_wraps_growth_and_shrinking() {
        let mut ring = Ring::new();
        let mut model = std::collections::VecDeque::new();
        let mut next = 0u32;
        let check = |ring: &Ring<u32>, model: &std::collections::VecDeque<u32>| {
            assert_eq!(ring.len(), model.len());
            assert_eq!(ring.front().copied(), model.front().copied());
        };
        // (pushes, room after them, pops, shrink to) rounds: fill 3 (room
        // 4), take 2, fill 5 more (6 held, wrapped past slot 3 before the
        // growth: room 8), take 1, fill 10 (15 held: room 16), take 12,
        // shrink to 4 (3 held, wrapped), fill 2 (5 held: room 8), take 5.
        let rounds = [
            (3, 4, 2, None),
            (5, 8, 1, None),
            (10, 16, 12, Some(4)),
            (2, 8, 5, None),
        ];
        for (pushes, room, pops, shrink) in rounds {
            for _ in 0..pushes {
                ring.push_back(next);
                model.push_back(next);
                next += 1;
                check(&ring, &model);
            }
            assert_eq!(ring.capacity(), room);
            for _ in 0..pops {
                assert_eq!(ring.pop_front(), model.pop_front());
                check(&ring, &model);
            }
            if let Some(room) = shrink {
                ring.shrink_to(room);
                assert_eq!(ring.capacity(), 4);
                check(&ring, &model);
            }
        }
        assert_eq!(ring.pop_front(), None);
        let rooms: Vec<usize> = [3, 5, 9, 17]
            .iter()
            .map(|&n| {
                let mut r = Ring::new();
                (0..n).for_each(|i| r.push_back(i));
                r.capacity()
            })
            .collect();
        assert_eq!(rooms, [4, 8, 16, 32]);
        // Shrinking never drops below what is held.
        let mut r = Ring::new();
        (0..20).for_each(|i| r.push_back(i));
        r.shrink_to(4);
        assert_eq!(r.capacity(), 32);
        for i in 0..13 {
            assert_eq!(r.pop_front(), Some(i));
        }
        r.shrink_to(4);
        assert_eq!((r.capacity(), r.front().copied()), (8, Some(13)));
        // A room that is not a power of two is rounded up to one: 3 held
        // from slot 13 of 16, shrunk to room for 5, is room 8 (and the
        // entries then wrap through it as they should).
        (20..29).for_each(|i| r.push_back(i));
        assert_eq!(r.capacity(), 16);
        for i in 13..26 {
            assert_eq!(r.pop_front(), Some(i));
        }
        r.shrink_to(5);
        assert_eq!(r.capacity(), 8);
        (29..35).for_each(|i| r.push_back(i));
        assert_eq!(r.capacity(), 16);
        for i in 26..35 {
            assert_eq!(r.pop_front(), Some(i));
        }
        r.clear();
        assert_eq!((r.len(), r.capacity(), r.pop_front()), (0, 16, None));
    }
}
