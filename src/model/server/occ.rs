//! An optimistic-concurrency store: one row with a version. An attempt
//! reads the version; its conditional write reaches the store two network
//! hops later (the answer back, the write out) and succeeds, bumping the
//! version, only if the version is still the one it read; otherwise 409.

use super::{Reaction, SlotState};
use crate::model::network::Network;
use crate::model::server::{Answer, Next, Step};
use crate::random::Pcg64;
use crate::slots::SlotColumn;
use crate::time::SimTime;

/// The store's one step: the conditional write reaches it.
const WRITE: Step = Step(0);

/// The row's version (what each request's current attempt read is kept
/// per slot, in [`super::SlotState`]).
#[derive(Debug, Clone, Default)]
pub struct OccStore {
    version: u64,
}

/// The version each request's current attempt read (kept only when some
/// model is an optimistic-concurrency store).
pub type Seen = SlotColumn<u64>;

impl OccStore {
    /// An admitted attempt reads the version; its write is on its way.
    #[inline]
    pub fn read(
        &mut self,
        now: SimTime,
        req: u32,
        slots: &mut SlotState,
        network: &Network,
        rng: &mut Pcg64,
    ) -> Reaction {
        slots.seen.set(req, self.version);
        let back = network.hop(rng);
        let out = network.hop(rng);
        let at = now.saturating_add(back).saturating_add(out);
        Reaction::next(Next::Later { at, step: WRITE })
    }

    /// The conditional write of `req`'s attempt lands. A write whose
    /// client has stopped waiting still lands (it was sent); only its
    /// answer goes unheard.
    #[inline]
    pub fn step(&mut self, req: u32, step: Step, waiting: bool, slots: &SlotState) -> Reaction {
        debug_assert_eq!(step, WRITE);
        let won = self.version == slots.seen.get(req);
        if won {
            self.version += 1;
        }
        let next = match (waiting, won) {
            (false, _) => Next::Gone,
            (true, true) => Next::Reply(Answer::Success { wasted: false }),
            (true, false) => Next::Reply(Answer::Conflict),
        };
        Reaction {
            settle: Some(0),
            ..Reaction::next(next)
        }
    }
}
