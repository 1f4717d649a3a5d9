//! A queue server's slots and waiting line: `concurrency` slots and a
//! FIFO queue.
//! The number of slots may change while attempts are in service (a
//! capacity cut): slots above the new number are given up as their
//! services end, and new slots take queued attempts at once.

use super::ServerConfig;
use crate::time::SimTime;
use std::collections::VecDeque;

/// What happens to an admitted attempt when it reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// A slot was free: service starts now.
    Serve,
    /// All slots busy: it waits in the queue.
    Queued,
    /// All slots busy and the queue full: 503.
    Full,
}

/// A queued attempt: (request, attempt, when it joined the queue).
pub type Queued = (u32, u32, SimTime);

/// Server slots and the waiting line.
#[derive(Debug, Clone)]
pub struct Fifo {
    slots: Option<u32>,
    busy: u32,
    queue: VecDeque<Queued>,
    queue_limit: Option<u64>,
    /// Queued entries whose client has gone (`cancel_on_disconnect`):
    /// still in `queue` until they come up, but not counted against the
    /// queue limit.
    abandoned: usize,
}

impl Fifo {
    /// An idle server.
    pub fn new(config: &ServerConfig) -> Fifo {
        Fifo {
            slots: config.concurrency,
            busy: 0,
            queue: VecDeque::new(),
            queue_limit: config.queue_limit,
            abandoned: 0,
        }
    }

    /// An attempt arrives at `now`.
    pub fn arrive(&mut self, req: u32, attempt: u32, now: SimTime) -> Arrival {
        if self.slots.is_none_or(|s| self.busy < s) {
            self.busy += 1;
            Arrival::Serve
        } else if self.queue_limit.is_none_or(|q| (self.queued() as u64) < q) {
            self.queue.push_back((req, attempt, now));
            Arrival::Queued
        } else {
            Arrival::Full
        }
    }

    /// A service ends; returns the next queued attempt, which takes over
    /// the freed slot (unless the slot is one too many after a cut).
    pub fn finish(&mut self) -> Option<Queued> {
        if self.slots.is_some_and(|s| self.busy > s) {
            self.busy -= 1;
            return None;
        }
        match self.queue.pop_front() {
            Some(next) => Some(next),
            None => {
                self.busy -= 1;
                None
            }
        }
    }

    /// Attempts in service.
    pub fn busy(&self) -> u32 {
        self.busy
    }

    /// Attempts waiting (abandoned ones not counted).
    pub fn queued(&self) -> usize {
        self.queue.len() - self.abandoned
    }

    /// A queued attempt's client went away; the entry is skipped with
    /// [`Fifo::skip_abandoned`] when it comes up.
    pub fn abandon_queued(&mut self) {
        self.abandoned += 1;
    }

    /// The entry [`Fifo::finish`] just returned was abandoned: it never
    /// takes the slot. Returns the next entry, as `finish` does.
    pub fn skip_abandoned(&mut self) -> Option<Queued> {
        self.abandoned -= 1;
        self.finish()
    }

    /// Sets the number of slots (None: unlimited).
    pub fn set_slots(&mut self, slots: Option<u32>) {
        self.slots = slots;
    }

    /// A free slot takes the next queued attempt, if any.
    pub fn fill(&mut self) -> Option<Queued> {
        if self.slots.is_some_and(|s| self.busy >= s) {
            return None;
        }
        let next = self.queue.pop_front()?;
        self.busy += 1;
        Some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dist::Dist;
    use crate::model::server::{ErrorRates, Latency};

    fn server(concurrency: Option<u32>, queue_limit: Option<u64>) -> Fifo {
        Fifo::new(&ServerConfig {
            kind: crate::model::server::ServerType::Queue,
            concurrency,
            queue_limit,
            latency: Latency::Fixed(Dist::Constant(0.0)),
            slowdown: 0.0,
            errors: ErrorRates::NONE,
            outages: vec![],
            capacity_cuts: vec![],
            cancel_on_disconnect: true,
        })
    }

    #[test]
    fn fifo_with_bounded_queue() {
        let mut s = server(Some(2), Some(1));
        assert_eq!(s.arrive(0, 1, 0), Arrival::Serve);
        assert_eq!(s.arrive(1, 1, 0), Arrival::Serve);
        assert_eq!(s.arrive(2, 1, 0), Arrival::Queued);
        assert_eq!(s.arrive(3, 1, 0), Arrival::Full);
        assert_eq!((s.busy(), s.queued()), (2, 1));
        assert_eq!(s.finish(), Some((2, 1, 0)));
        assert_eq!(s.finish(), None);
        assert_eq!(s.finish(), None);
        assert_eq!((s.busy(), s.queued()), (0, 0));
    }

    #[test]
    fn abandoned_entries_free_queue_room_and_are_skipped() {
        let mut s = server(Some(1), Some(2));
        assert_eq!(s.arrive(0, 1, 0), Arrival::Serve);
        assert_eq!(s.arrive(1, 1, 0), Arrival::Queued);
        assert_eq!(s.arrive(2, 1, 0), Arrival::Queued);
        assert_eq!(s.arrive(3, 1, 0), Arrival::Full);
        // (1, 1) is abandoned: room for one more.
        s.abandon_queued();
        assert_eq!(s.queued(), 1);
        assert_eq!(s.arrive(3, 1, 0), Arrival::Queued);
        assert_eq!(s.finish(), Some((1, 1, 0)));
        assert_eq!(s.skip_abandoned(), Some((2, 1, 0)));
        assert_eq!((s.busy(), s.queued()), (1, 1));
    }

    #[test]
    fn a_capacity_cut_gives_up_slots_as_services_end_and_a_restore_fills_them() {
        let mut s = server(Some(3), None);
        for i in 0..5 {
            s.arrive(i, 1, u64::from(i));
        }
        assert_eq!((s.busy(), s.queued()), (3, 2));
        // Cut to 1 slot: the next two services to end free their slots for
        // good, the third hands its slot to the head of the queue.
        s.set_slots(Some(1));
        assert_eq!(s.fill(), None);
        assert_eq!(s.finish(), None);
        assert_eq!(s.finish(), None);
        assert_eq!(s.finish(), Some((3, 1, 3)));
        assert_eq!((s.busy(), s.queued()), (1, 1));
        // Back to 3: one free slot takes the last queued attempt at once.
        s.set_slots(Some(3));
        assert_eq!(s.fill(), Some((4, 1, 4)));
        assert_eq!(s.fill(), None);
        assert_eq!((s.busy(), s.queued()), (2, 0));
    }

    #[test]
    fn unlimited_server_never_queues() {
        let mut s = server(None, None);
        for i in 0..1000 {
            assert_eq!(s.arrive(i, 1, 0), Arrival::Serve);
        }
        assert_eq!(s.busy(), 1000);
    }
}
