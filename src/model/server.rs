//! The server behind the limiter: `concurrency` slots and a FIFO queue.
//! The number of slots may change while attempts are in service (a
//! capacity cut): slots above the new number are given up as their
//! services end, and new slots take queued attempts at once.

use crate::model::dist::Dist;
use crate::time::SimDuration;
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
pub struct Server {
    slots: Option<u32>,
    busy: u32,
    queue: VecDeque<Queued>,
    queue_limit: Option<u64>,
    /// Queued entries whose client has gone (`cancel_on_disconnect`):
    /// still in `queue` until they come up, but not counted against the
    /// queue limit.
    abandoned: usize,
}

impl Server {
    /// An idle server.
    pub fn new(config: &ServerConfig) -> Server {
        Server {
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
    /// [`Server::skip_abandoned`] when it comes up.
    pub fn abandon_queued(&mut self) {
        self.abandoned += 1;
    }

    /// The entry [`Server::finish`] just returned was abandoned: it never
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

/// The server behind the limiter.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// An optimistic-concurrency store (one row with a version) instead of
    /// a queue of slots; every other setting is unused.
    pub occ: bool,
    /// Attempts served at once (`None`: unlimited).
    pub concurrency: Option<u32>,
    /// Longest FIFO queue; a full queue answers 503 (`None`: unbounded).
    pub queue_limit: Option<u64>,
    /// How long serving an attempt takes.
    pub latency: Latency,
    /// Service times are stretched by (1 + slowdown × attempts in service
    /// / concurrency), counted when service starts (0: no slowdown).
    pub slowdown: f64,
    /// Error probabilities per admitted attempt.
    pub errors: ErrorRates,
    /// Windows during which the server answers 503, or nothing.
    pub outages: Vec<Outage>,
    /// Windows during which the server has fewer slots.
    pub capacity_cuts: Vec<CapacityCut>,
    /// On a client's timeout, stop its generation and bill only what was
    /// generated (`false`: generate and bill everything).
    pub cancel_on_disconnect: bool,
}

/// Service time of an attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Latency {
    /// Drawn from a distribution (nanoseconds), whatever the request.
    Fixed(Dist),
    /// Time to first token (drawn, nanoseconds), then the request's output
    /// tokens at `tokens_per_s`.
    Streaming { ttft: Dist, tokens_per_s: f64 },
}

/// Probabilities that an admitted attempt fails, by status.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErrorRates {
    /// 500 Internal Server Error, answered when service ends (the slot was
    /// used; nothing is billed).
    pub http_500: f64,
    /// 503 Service Unavailable, answered at once on arrival.
    pub http_503: f64,
    /// 529 Overloaded (Anthropic), answered at once on arrival.
    pub http_529: f64,
}

impl ErrorRates {
    pub const NONE: ErrorRates = ErrorRates {
        http_500: 0.0,
        http_503: 0.0,
        http_529: 0.0,
    };
}

/// A server outage window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outage {
    /// When it starts.
    pub start: SimDuration,
    /// How long it lasts.
    pub duration: SimDuration,
    /// Attempts get no answer at all (clients time out) instead of a 503.
    pub silent: bool,
    /// The share of admitted attempts the outage fails (1: all of them);
    /// the others are served as usual.
    pub error_rate: f64,
}

impl Outage {
    /// True if `t` falls in `[start, start + duration)`.
    pub fn covers(&self, t: SimDuration) -> bool {
        t >= self.start && t - self.start < self.duration
    }
}

/// A window of reduced capacity: the server keeps concurrency × (1 − cut)
/// slots, rounded down (the most cut of the windows that overlap).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CapacityCut {
    pub start: SimDuration,
    pub duration: SimDuration,
    /// Share of the slots taken away, 0 to 1.
    pub cut: f64,
}

impl CapacityCut {
    /// True if `t` falls in `[start, start + duration)`.
    pub fn covers(&self, t: SimDuration) -> bool {
        t >= self.start && t - self.start < self.duration
    }
}

impl ServerConfig {
    /// The number of slots at `t` (None: unlimited).
    pub fn slots_at(&self, t: SimTime) -> Option<u32> {
        let c = self.concurrency?;
        let cut = self
            .capacity_cuts
            .iter()
            .filter(|w| w.covers(t))
            .map(|w| w.cut)
            .fold(0.0, f64::max);
        // Rounded down; the 1e-9 absorbs binary fractions such as
        // 10 × (1 − 0.7) = 3.0000000000000004 or 6.999999999999999.
        Some((f64::from(c) * (1.0 - cut) + 1e-9).floor() as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dist::Dist;
    use crate::scenario::{ErrorRates, Latency};

    fn server(concurrency: Option<u32>, queue_limit: Option<u64>) -> Server {
        Server::new(&ServerConfig {
            occ: false,
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
