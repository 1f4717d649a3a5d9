//! Hedged requests (`[strategy.hedge]`, see `docs/model.md`): a round is
//! one attempt of the retry rule, sent as up to `max_copies` copies, each
//! a hedge delay after the one before while none has succeeded. Every
//! copy is an attempt on the wire, from a request slot of its own (so the
//! provider keeps what it keeps per attempt for each copy apart), with
//! its own timer; it bills and wastes under its request's record.
//!
//! The first success wins: the round's other copies still awaited are
//! lost (counted once each, `hedges_lost`), and are either disconnected
//! (`cancel = true`: the server bills them as its `cancel_on_disconnect`
//! says) or left to run to their end with their answers dropped. A
//! failed copy waits for the others; only when every copy sent has
//! failed does the retry rule (and the guards) see the round's failure,
//! the last one heard.

use super::*;
use crate::policy::hedge::{Hedge, HedgeDelay, MAX_COPIES, PERCENTILE_WINDOW, percentile};
use crate::slots::SlotColumn;

/// No slot.
const NONE: u32 = u32::MAX;

/// What a run that hedges keeps per request slot.
#[derive(Debug, Clone, Copy)]
pub(super) struct HedgeSlot {
    /// The slot of the request this slot's copies belong to (its own for
    /// a request's slot).
    owner: u32,
    /// The slot's copy lost its round and runs on (`cancel = false`): its
    /// answer, when it comes, is dropped.
    lost: bool,
    /// When the slot's current copy was sent.
    sent_at: SimTime,
    // For a request's own slot, its current round:
    /// The hedge copies' slots, in the order sent.
    copies: [u32; MAX_COPIES as usize - 1],
    /// Copies sent, the first included.
    sent: u8,
    /// Copies still awaited.
    awaiting: u8,
    /// Hedges sent for the request, over all its rounds.
    hedged: u32,
}

impl Default for HedgeSlot {
    fn default() -> Self {
        HedgeSlot {
            owner: NONE,
            lost: false,
            sent_at: 0,
            copies: [NONE; MAX_COPIES as usize - 1],
            sent: 0,
            awaiting: 0,
            hedged: 0,
        }
    }
}

/// A run's hedging: its settings, its per-slot state and the latencies a
/// percentile delay is taken over.
pub(super) struct Hedging<'a> {
    config: &'a Hedge,
    slots: SlotColumn<HedgeSlot>,
    /// The last [`PERCENTILE_WINDOW`] winning latencies (a ring, written
    /// at `next`), kept for a percentile delay only.
    latencies: Vec<SimDuration>,
    next: usize,
    scratch: Vec<SimDuration>,
}

impl<'a> Hedging<'a> {
    pub(super) fn new(strategy: &'a Strategy) -> Option<Hedging<'a>> {
        strategy.hedge.as_ref().map(|config| Hedging {
            config,
            slots: SlotColumn::new(true),
            latencies: Vec::new(),
            next: 0,
            scratch: Vec::new(),
        })
    }

    /// Bytes a run of `strategy` keeps per request slot for hedging.
    pub(super) fn bytes_per_slot(strategy: &Strategy) -> usize {
        if strategy.hedge.is_some() {
            size_of::<HedgeSlot>()
        } else {
            0
        }
    }

    /// The delay before the next hedge, if known yet.
    fn delay(&mut self) -> Option<SimDuration> {
        match self.config.delay {
            HedgeDelay::Fixed(d) => Some(d),
            HedgeDelay::Percentile(p) => percentile(&self.latencies, p, &mut self.scratch),
        }
    }

    /// A copy won `latency` after it was sent.
    fn won_after(&mut self, latency: SimDuration) {
        if !matches!(self.config.delay, HedgeDelay::Percentile(_)) {
            return;
        }
        if self.latencies.len() < PERCENTILE_WINDOW {
            self.latencies.push(latency);
        } else {
            self.latencies[self.next] = latency;
        }
        self.next = (self.next + 1) % PERCENTILE_WINDOW;
    }
}

impl<const FULL: bool, const PASS: bool> World<'_, FULL, PASS> {
    /// Slot `req` is taken by a new request (`owner == req`) or by a copy
    /// of `owner`'s.
    pub(super) fn hedge_slot_taken(&mut self, req: u32, owner: u32, now: SimTime) {
        if !FULL {
            return;
        }
        if let Some(h) = &mut self.hedge {
            let slot = HedgeSlot {
                owner,
                sent_at: now,
                ..HedgeSlot::default()
            };
            h.slots.reset(req, slot);
        }
    }

    /// The copy in slot `req` lost its round and was left to run on.
    pub(super) fn lost(&self, req: u32) -> bool {
        if !FULL {
            return false;
        }
        self.hedge.as_ref().is_some_and(|h| h.slots.get(req).lost)
    }

    /// Attempts the request in slot `req` has put on the wire: its rounds
    /// and their hedges.
    pub(super) fn copies_sent(&self, req: u32) -> u32 {
        let rounds = self.requests[req as usize].attempts;
        if !FULL {
            return rounds;
        }
        match &self.hedge {
            Some(h) => rounds + h.slots.get(req).hedged,
            None => rounds,
        }
    }

    /// The request in slot `req` sent the first copy of a round at `now`.
    pub(super) fn round_started(&mut self, now: SimTime, req: u32) {
        if !FULL {
            return;
        }
        let Some(h) = &mut self.hedge else {
            return;
        };
        let s = h.slots.get_mut(req);
        s.sent = 1;
        s.awaiting = 1;
        s.sent_at = now;
        s.copies = [NONE; MAX_COPIES as usize - 1];
        self.schedule_hedge(now, req);
    }

    /// Queues the round's next hedge of `req`, if its delay is known.
    fn schedule_hedge(&mut self, now: SimTime, req: u32) {
        let Some(h) = &mut self.hedge else {
            return;
        };
        if let Some(d) = h.delay() {
            let attempt = self.requests[req as usize].serial;
            self.queue
                .push(now.saturating_add(d), Event::Hedge { req, attempt });
        }
    }

    /// The hedge delay of the round whose first copy was `attempt` of
    /// `req` is over: send another copy, unless the round has ended, has
    /// all its copies, the deadline has passed or the budget is spent.
    pub(super) fn hedge_due(&mut self, now: SimTime, req: u32, attempt: u32) {
        let Some(h) = &self.hedge else {
            return;
        };
        let r = &self.requests[req as usize];
        let s = h.slots.get(req);
        if !r.live
            || r.serial != attempt
            || s.awaiting == 0
            || u32::from(s.sent) >= h.config.max_copies
            || self.policy.past_deadline(now, req, r.created)
            || !h
                .config
                .allows(self.m.counts.hedges, self.m.counts.requests)
        {
            return;
        }
        self.m.touch(now);
        let (c, old) = match self.free.pop() {
            Some(c) => (c, Some(&self.requests[c as usize])),
            None => (self.requests.len() as u32, None),
        };
        // The copy is the same request: its creation, client, tokens,
        // model and fallback, with the slot's own timer bookkeeping.
        let kept = Request::kept_from(old);
        let copy = Request {
            flags: (r.flags & Request::ON_FALLBACK) | kept.flags,
            created: r.created,
            client: r.client,
            input_tokens: r.input_tokens,
            output_tokens: r.output_tokens,
            model: r.model,
            ..kept
        };
        match self.requests.get_mut(c as usize) {
            Some(slot) => *slot = copy,
            None => self.requests.push(copy),
        }
        if self.m.request_records.is_some() {
            let id = self.ids[req as usize];
            self.set_id(c, id);
        }
        self.provider_slots.reset(c);
        self.policy.start(c);
        self.hedge_slot_taken(c, req, now);
        let number = self.requests[req as usize].attempts;
        self.put_on_wire(now, c, number, false);
        self.m.counts.hedges += 1;
        let Some(h) = &mut self.hedge else {
            return;
        };
        let max = h.config.max_copies;
        let s = h.slots.get_mut(req);
        s.copies[usize::from(s.sent) - 1] = c;
        s.sent += 1;
        s.awaiting += 1;
        s.hedged += 1;
        if u32::from(s.sent) < max {
            self.schedule_hedge(now, req);
        }
    }

    /// The copy in slot `w` succeeded at `now`: the round's other copies
    /// still awaited are lost (disconnected, or left to run on), the
    /// copies' slots are let go, and the request's own slot is returned.
    pub(super) fn round_won(&mut self, now: SimTime, w: u32) -> u32 {
        if !FULL {
            return w;
        }
        let Some(h) = &mut self.hedge else {
            return w;
        };
        let won = h.slots.get(w);
        h.won_after(now - won.sent_at);
        let (owner, cancel) = (won.owner, h.config.cancel);
        let round = h.slots.get(owner);
        let members = std::iter::once(owner).chain(round.copies);
        for m in members.take(usize::from(round.sent)) {
            let r = &mut self.requests[m as usize];
            if m == w || !r.outstanding {
                continue;
            }
            let (attempt, model) = (r.serial, r.model);
            self.m
                .attempt_resolved(AttemptOutcome::Lost, usize::from(model));
            if cancel {
                r.outstanding = false;
                self.disconnect(now, m, attempt, model);
            } else if let Some(h) = &mut self.hedge {
                h.slots.get_mut(m).lost = true;
            }
        }
        self.round_over(owner);
        owner
    }

    /// The copy in slot `req` failed: the request's own slot if that ends
    /// its round (no copy of it is awaited any more), None if others are.
    pub(super) fn copy_failed(&mut self, req: u32) -> Option<u32> {
        if !FULL {
            return Some(req);
        }
        let Some(h) = &mut self.hedge else {
            return Some(req);
        };
        let owner = h.slots.get(req).owner;
        let s = h.slots.get_mut(owner);
        s.awaiting -= 1;
        if s.awaiting > 0 {
            return None;
        }
        self.round_over(owner);
        Some(owner)
    }

    /// The round of the request in slot `owner` is over: its copies' slots
    /// are let go (reused once nothing of their copies is on its way).
    fn round_over(&mut self, owner: u32) {
        let Some(h) = &mut self.hedge else {
            return;
        };
        let s = h.slots.get_mut(owner);
        s.awaiting = 0;
        let copies = std::mem::replace(&mut s.copies, [NONE; MAX_COPIES as usize - 1]);
        for c in copies.into_iter().filter(|&c| c != NONE) {
            let r = &mut self.requests[c as usize];
            r.live = false;
            if r.in_transit == 0 {
                self.free.push(c);
            }
        }
    }
}
