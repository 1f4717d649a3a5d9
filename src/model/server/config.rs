//! How a model's server is configured: its kind, slots and queue, service
//! times, error rates, outages, capacity cuts and cancellation. The
//! scenario layer fills these in from the file; the components in
//! [`crate::model`] read them.

use crate::model::dist::Dist;
use crate::time::{SimDuration, SimTime};

/// The server behind the limiter.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// The kind of server.
    pub kind: ServerType,
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

named_kinds! {
    /// The kinds of server, as `[server] kind` names them.
    pub enum ServerType {
        /// Slots and a FIFO queue, with every setting of [`ServerConfig`].
        Queue = "queue",
        /// An optimistic-concurrency store (one row with a version): every
        /// other setting is unused.
        Occ = "occ",
    }
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
    /// The `Retry-After` every 5xx answer of the server carries (its
    /// errors', its outages' and its full queue's; `None`: none).
    pub retry_after: Option<SimDuration>,
}

impl ErrorRates {
    pub const NONE: ErrorRates = ErrorRates {
        http_500: 0.0,
        http_503: 0.0,
        http_529: 0.0,
        retry_after: None,
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
