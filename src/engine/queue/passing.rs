//! A zero-length step handled ahead of events due at the current time,
//! with the order of everything that follows kept.
//!
//! The step (an answer's hop back, in the engine) would have been queued
//! behind events already in the current time's lane, and handled after
//! them. Handled first instead, what it pushes takes its numbers first:
//! had it waited, what the passed events push would have come first. So
//! the numbers the passed events will take are set aside before the step
//! is handled (a gap of [`PER_PASSED`] for each), and each passed event
//! draws from that gap as it is taken out of the lane. Every event pushed
//! then sorts as it would have had the step waited its turn. That the
//! step's other doings may come before the passed events' is for the
//! simulation to know: it marks what may be passed ([`Passable`]).

use super::{EventQueue, Key, time_of};

/// An event a zero-length step may be handled ahead of
/// ([`EventQueue::may_pass`]). Each such event, handled, takes at most
/// [`PER_PASSED`] sequence numbers. Nothing is passable unless it says
/// so.
pub trait Passable {
    /// True if a step may be handled ahead of this event.
    fn passable(&self) -> bool {
        false
    }
}

impl Passable for i32 {}
impl Passable for u32 {}
impl Passable for u64 {}
impl Passable for char {}
impl Passable for &str {}

/// Sequence numbers set aside for each passed event.
pub const PER_PASSED: u64 = 2;

/// The numbers set aside for passed events.
#[derive(Clone, Copy)]
pub(super) struct Gap {
    /// The counter not in use: the gap's next number while the queue
    /// counts from the main one, the main one's while it counts from the
    /// gap.
    aside: u64,
    /// The first number past the gap.
    end: u64,
    /// The lane's events with keys below this are the passed ones.
    until: Key,
    /// The queue counts from the gap: a passed event is being handled.
    active: bool,
}

impl Gap {
    pub const NONE: Gap = Gap {
        aside: 0,
        end: 0,
        until: 0,
        active: false,
    };
}

impl<E: Copy + Passable> EventQueue<E> {
    /// Whether a step for the current time may be handled now, ahead of
    /// the events due: they are all [`Passable`] steps pushed for this
    /// time, none is due before it, and the gap for passed events, if one
    /// is still drawn from, covers all of them (else they are passed
    /// later, once the gap's are out).
    #[inline(always)]
    pub fn may_pass(&self) -> bool {
        self.now_blocking == 0
            && time_of(self.first.0) > self.now
            && (self.now_front >= self.gap.until || self.now_lane.back < self.gap.until)
    }

    /// Sets numbers aside for the events due now, which a step is about
    /// to pass ([`EventQueue::may_pass`]), if they have none yet (they
    /// have after the first pass of a wave).
    #[inline(always)]
    pub fn pass(&mut self) {
        self.leave_gap();
        if self.now_front < self.gap.until || self.now_lane.is_empty() {
            return;
        }
        self.open_gap();
    }

    /// Sets numbers aside for every event in the current time's lane.
    #[inline(never)]
    fn open_gap(&mut self) {
        let n = self.now_lane.len() as u64;
        self.gap.aside = self.next_seq;
        self.next_seq += PER_PASSED * n;
        self.gap.end = self.next_seq;
        self.gap.until = self.now_lane.back + 1;
    }

    /// Counts from the main counter again, if a passed event was being
    /// handled (the step it set off at once is not one of them).
    #[inline(always)]
    pub fn leave_gap(&mut self) {
        if self.gap.active {
            self.swap_counters();
        }
    }

    /// Counts from the gap if the event with `key`, just taken out of
    /// the current time's lane, is a passed one; from the main counter
    /// otherwise.
    #[inline(always)]
    pub(super) fn take_gap(&mut self, key: Key) {
        if (key < self.gap.until) != self.gap.active {
            self.swap_counters();
        }
    }

    /// Whether an event pushed now for the current time, under a number
    /// of the main counter, sorts after what passed events still to be
    /// handled will push for this time (from the gap): then it cannot join
    /// the current time's lane, which takes events in order only, and goes
    /// to the heap.
    #[inline(always)]
    pub(super) fn after_passed_events(&self) -> bool {
        !self.gap.active && self.now_front < self.gap.until
    }

    fn swap_counters(&mut self) {
        std::mem::swap(&mut self.next_seq, &mut self.gap.aside);
        self.gap.active = !self.gap.active;
        // The gap's numbers never reach the main counter's.
        debug_assert!(self.gap.active || self.gap.aside <= self.gap.end);
    }
}
