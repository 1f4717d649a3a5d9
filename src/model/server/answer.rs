//! What a server says back about an attempt, for the endpoint to pass on
//! and the engine to schedule: the answer the client hears ([`Answer`]),
//! what happens next ([`Next`]: a reply, a 429, a service that ends at t,
//! a step of the server's own later), and what a server may ask of the
//! engine's request slots ([`Attempts`]).

use super::Tokens;
use crate::model::limiter::Limit;
use crate::time::{SimDuration, SimTime};

/// An answer from the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `wasted`: the client had already stopped waiting when the server
    /// finished, so the tokens were counted as wasted then.
    Success {
        wasted: bool,
    },
    /// A 429; its Retry-After is given to the engine apart
    /// ([`Next::Reject`]), which keeps answers small.
    RateLimited {
        limit: Limit,
    },
    ServerError {
        status: u16,
    },
    /// 409: the version changed since the attempt read it.
    Conflict,
}

/// A step a server asked to take later ([`Next::Later`]), in its own
/// numbering: the engine only hands it back when it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step(pub(crate) u8);

/// A service that has started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// When it ends.
    pub end: SimTime,
    /// It ends in an error.
    pub failed: bool,
    /// How long the attempt waited in the queue for it.
    pub waited: SimDuration,
}

/// What happens next to an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// An answer goes back to the client now.
    Reply(Answer),
    /// The limiter answers 429, with the Retry-After it sends.
    Reject {
        limit: Limit,
        retry_after: Option<SimDuration>,
    },
    /// Service starts: the engine calls `Endpoint::service_ends` at its
    /// end.
    Serve(Service),
    /// The engine calls `Endpoint::step` with `step` at `at`.
    Later { at: SimTime, step: Step },
    /// Nothing to schedule now: the attempt waits at the provider, or
    /// nothing of what was asked concerned it.
    Nothing,
    /// The attempt is gone without an answer: nothing of it is on its way
    /// any more.
    Gone,
}

/// What the engine asks of its request slots for the provider.
pub trait Attempts {
    /// True if the client still waits for `attempt` of `req`.
    fn waiting(&self, req: u32, attempt: u32) -> bool;
    /// The token counts of `attempt` of `req` (a request's attempts may
    /// differ in input tokens: a prompt that grows on retry).
    fn tokens(&self, req: u32, attempt: u32) -> Tokens;
}
