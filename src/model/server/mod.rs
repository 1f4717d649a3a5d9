//! The server behind a model's limiter, by kind: a queue of slots
//! ([`queue`]) or an optimistic-concurrency store ([`occ`]). Each kind
//! reacts to an admitted attempt, to the end of a service, to a step of
//! its own it asked to have scheduled, to a client going away and to its
//! timers, and says what happens next ([`Reaction`]); the engine schedules
//! it. What a kind keeps per request slot lives in [`SlotState`]. What
//! every kind shares sits beside them: its settings ([`ServerConfig`]),
//! the answers and next steps it returns ([`Answer`], [`Next`]), service
//! times ([`service`]), outages, capacity cuts and injected errors
//! ([`faults`]), and what a server that cancels on disconnect keeps
//! ([`cancel`]).
//!
//! A new kind is a file here with its component, a variant of
//! [`ServerKind`] with its arms below, and its settings in
//! [`ServerConfig`].

mod answer;
pub mod cancel;
mod config;
pub mod faults;
pub mod fifo;
pub mod occ;
pub mod queue;
pub mod service;

pub use config::{CapacityCut, ErrorRates, Latency, Outage, ServerConfig, ServerType};
pub use fifo::{Arrival, Fifo, Queued};

use crate::model::network::Network;
use crate::random::Pcg64;
use crate::time::SimTime;
pub use answer::{Answer, Attempts, Next, Service, Step};
use cancel::Cancellation;
use occ::{OccStore, Seen};
use queue::QueueServer;

/// A request's token counts, as the provider sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tokens {
    pub input: u64,
    /// Output tokens the server generates (already limited by max_tokens).
    pub output: u64,
}

/// Tokens the provider bills for an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bill {
    pub input: u64,
    pub output: u64,
    /// Nobody uses them: the client had stopped waiting.
    pub wasted: bool,
}

/// What a server's reaction to an attempt comes to.
#[derive(Debug, Clone, Copy)]
pub struct Reaction {
    /// Tokens billed for the attempt.
    pub bill: Option<Bill>,
    /// The attempt's reservation settles: the output tokens generated.
    pub settle: Option<u64>,
    /// What happens to the attempt next.
    pub next: Next,
    /// A slot was freed: once `next` is scheduled, it is handed over
    /// (see [`Handover`]).
    pub freed: bool,
}

impl Reaction {
    #[inline]
    pub fn next(next: Next) -> Reaction {
        Reaction {
            bill: None,
            settle: None,
            next,
            freed: false,
        }
    }
}

/// What became of a free slot: asked for again after each dropped attempt
/// until a service starts or the queue has no one left for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Handover {
    /// Nobody took it.
    Idle,
    /// A queued attempt of `req` whose client had gone was dropped:
    /// nothing of it is on its way any more.
    Dropped { req: u32 },
    /// A queued attempt took it: its service runs as `service` says.
    Started {
        req: u32,
        attempt: u32,
        service: Service,
    },
}

/// What servers keep per request slot, beside the slots (one for all
/// models; each column kept only when some model needs it).
pub struct SlotState {
    /// Where each request's current attempt is (servers that cancel on
    /// disconnect).
    pub cancel: Cancellation,
    /// The version each request's current attempt read
    /// (optimistic-concurrency stores).
    pub seen: Seen,
}

impl SlotState {
    /// The columns the servers configured by `configs` need.
    pub fn new<'c>(configs: impl IntoIterator<Item = &'c ServerConfig> + Clone) -> SlotState {
        let (cancels, occ) = needs(configs);
        SlotState {
            cancel: Cancellation::new(cancels),
            seen: Seen::new(occ),
        }
    }

    /// Bytes kept per request slot for the servers configured by `configs`.
    pub fn bytes_per_slot<'c>(
        configs: impl IntoIterator<Item = &'c ServerConfig> + Clone,
    ) -> usize {
        let (cancels, occ) = needs(configs);
        Cancellation::bytes_per_slot(cancels) + if occ { size_of::<u64>() } else { 0 }
    }

    /// Slot `req` starts a new request.
    #[inline]
    pub fn reset(&mut self, req: u32) {
        self.cancel.reset(req);
        self.seen.reset(req, 0);
    }
}

/// Whether some server cancels on disconnect, and whether some is an
/// optimistic-concurrency store.
fn needs<'c>(configs: impl IntoIterator<Item = &'c ServerConfig> + Clone) -> (bool, bool) {
    let any = |f: fn(&ServerConfig) -> bool| configs.clone().into_iter().any(f);
    (
        any(|c| c.cancel_on_disconnect),
        any(|c| c.kind == ServerType::Occ),
    )
}

/// Why a server slot is vacant, and so which queued attempt is offered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vacancy {
    /// A service ended or was stopped ([`Reaction::freed`]).
    Freed,
    /// The attempt last handed the slot was dropped ([`Handover::Dropped`]):
    /// the next in line.
    Dropped,
    /// After a timer (capacity restored): a free slot takes a waiting
    /// attempt.
    Refilled,
}

/// A model's server.
#[derive(Debug, Clone)]
pub enum ServerKind<'a> {
    Queue(QueueServer<'a>),
    Occ(OccStore),
}

impl<'a> ServerKind<'a> {
    /// An idle server as `config` describes it.
    pub fn new(config: &'a ServerConfig) -> ServerKind<'a> {
        match config.kind {
            ServerType::Queue => ServerKind::Queue(QueueServer::new(config)),
            ServerType::Occ => ServerKind::Occ(OccStore::default()),
        }
    }

    /// An admitted attempt arrives.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn admitted(
        &mut self,
        now: SimTime,
        req: u32,
        attempt: u32,
        tokens: Tokens,
        slots: &mut SlotState,
        network: &Network,
        rng: &mut Pcg64,
    ) -> Reaction {
        match self {
            ServerKind::Queue(s) => s.admitted(now, req, attempt, tokens, slots, rng),
            ServerKind::Occ(s) => s.read(now, req, slots, network, rng),
        }
    }

    /// A service the server started ends.
    #[inline]
    pub fn service_ends<A: Attempts>(
        &mut self,
        req: u32,
        attempt: u32,
        failed: bool,
        attempts: &A,
        slots: &mut SlotState,
    ) -> Reaction {
        match self {
            ServerKind::Queue(s) => s.service_ends(req, attempt, failed, attempts, slots),
            ServerKind::Occ(_) => unreachable!("a store starts no service"),
        }
    }

    /// A step the server asked for ([`Next::Later`]) is due.
    #[inline]
    pub fn step(&mut self, req: u32, step: Step, waiting: bool, slots: &SlotState) -> Reaction {
        match self {
            ServerKind::Queue(_) => unreachable!("a queue server takes no steps"),
            ServerKind::Occ(s) => s.step(req, step, waiting, slots),
        }
    }

    /// The client of `req` gave up on `attempt`.
    #[inline]
    pub fn disconnect(
        &mut self,
        now: SimTime,
        req: u32,
        attempt: u32,
        tokens: Tokens,
        slots: &mut SlotState,
    ) -> Reaction {
        match self {
            ServerKind::Queue(s) => s.disconnect(now, req, attempt, tokens, slots),
            ServerKind::Occ(_) => Reaction::next(Next::Nothing),
        }
    }

    /// A slot is vacant (`why`): who takes it.
    #[inline]
    pub fn hand_over<A: Attempts>(
        &mut self,
        why: Vacancy,
        now: SimTime,
        attempts: &A,
        slots: &mut SlotState,
        rng: &mut Pcg64,
    ) -> Handover {
        match self {
            ServerKind::Queue(s) => s.hand_over(why, now, attempts, slots, rng),
            ServerKind::Occ(_) => Handover::Idle,
        }
    }

    /// When the server's timers fire, in the order they are to be queued.
    pub fn timers(&self) -> Vec<SimTime> {
        match self {
            ServerKind::Queue(s) => s.timers().collect(),
            ServerKind::Occ(_) => Vec::new(),
        }
    }

    /// A timer fires.
    pub fn timer(&mut self, now: SimTime) {
        match self {
            ServerKind::Queue(s) => s.timer(now),
            ServerKind::Occ(_) => {}
        }
    }
}
