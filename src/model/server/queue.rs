//! The queue server: slots and a FIFO queue ([`Fifo`]), with its faults
//! (outages, overload errors, errors at the end of service, capacity
//! cuts), its service times, and cancel on disconnect.
//!
//! An admitted attempt meets an outage (a 503, or silence), an immediate
//! 503/529 overload error, a full queue (503), or waits for a slot; it is
//! served for a drawn service time and ends in success or a 500. If its
//! client gives up first, the server still finishes and bills it, unless
//! it cancels on disconnect: then it drops the attempt from its queue, or
//! stops generating it and bills what it had generated.

use super::{Bill, Handover, Reaction, ServerConfig, SlotState, Tokens, Vacancy};
use crate::model::server::cancel::Stopped;
use crate::model::server::faults::{Fault, Faults};
use crate::model::server::fifo::{Arrival, Fifo, Queued};
use crate::model::server::service::{generated_by, service_time};
use crate::model::server::{Answer, Attempts, Next, Service};
use crate::random::Pcg64;
use crate::time::{SimDuration, SimTime};

/// A queue server.
#[derive(Debug, Clone)]
pub struct QueueServer<'a> {
    config: &'a ServerConfig,
    fifo: Fifo,
    faults: Faults<'a>,
}

impl<'a> QueueServer<'a> {
    pub fn new(config: &'a ServerConfig) -> QueueServer<'a> {
        QueueServer {
            config,
            fifo: Fifo::new(config),
            faults: Faults::new(config),
        }
    }

    fn cancels(&self) -> bool {
        self.config.cancel_on_disconnect
    }

    /// An admitted attempt arrives.
    #[inline]
    pub fn admitted(
        &mut self,
        now: SimTime,
        req: u32,
        attempt: u32,
        tokens: Tokens,
        slots: &mut SlotState,
        rng: &mut Pcg64,
    ) -> Reaction {
        if let Some(fault) = self.faults.on_arrival(now, rng) {
            // Nothing is generated: the reservation goes back at once.
            let next = match fault {
                Fault::Silent => Next::Gone,
                Fault::Status(status) => Next::Reply(Answer::ServerError { status }),
            };
            return Reaction {
                settle: Some(0),
                ..Reaction::next(next)
            };
        }
        match self.fifo.arrive(req, attempt, now) {
            Arrival::Serve => {
                let service = self.start(now, req, attempt, tokens.output, 0, slots, rng);
                Reaction::next(Next::Serve(service))
            }
            Arrival::Queued => {
                if self.cancels() {
                    slots.cancel.queued(req, attempt);
                }
                Reaction::next(Next::Nothing)
            }
            Arrival::Full => Reaction {
                settle: Some(0),
                ..Reaction::next(Next::Reply(Answer::ServerError { status: 503 }))
            },
        }
    }

    /// Service of `attempt` of `req` (`output` tokens) starts, after it
    /// waited `waited` in the queue.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn start(
        &mut self,
        now: SimTime,
        req: u32,
        attempt: u32,
        output: u64,
        waited: SimDuration,
        slots: &mut SlotState,
        rng: &mut Pcg64,
    ) -> Service {
        let (first_token, total) = service_time(self.config, self.fifo.busy(), output, rng);
        let failed = self.faults.fails_service(rng);
        let end = now.saturating_add(total);
        if self.cancels() {
            slots
                .cancel
                .serving(req, attempt, now.saturating_add(first_token), end);
        }
        Service {
            end,
            failed,
            waited,
        }
    }

    /// The service of `attempt` of `req` ends (`failed`: with a 500).
    #[inline]
    pub fn service_ends<A: Attempts>(
        &mut self,
        req: u32,
        attempt: u32,
        failed: bool,
        attempts: &A,
        slots: &mut SlotState,
    ) -> Reaction {
        if self.cancels() && !slots.cancel.service_ends(req, attempt) {
            // Stopped when its client went away; the slot is free.
            return Reaction::next(Next::Gone);
        }
        if failed {
            return Reaction {
                settle: Some(0),
                freed: true,
                ..Reaction::next(Next::Reply(Answer::ServerError { status: 500 }))
            };
        }
        // The provider bills every completed generation, whether or not
        // anyone is still waiting for it (5xx answers are not billed).
        let tokens = attempts.tokens(req, attempt);
        let wasted = !attempts.waiting(req, attempt);
        Reaction {
            bill: Some(Bill {
                input: tokens.input,
                output: tokens.output,
                wasted,
            }),
            settle: Some(tokens.output),
            freed: true,
            next: Next::Reply(Answer::Success { wasted }),
        }
    }

    /// A slot is vacant (`why`): the next live attempt in the queue takes
    /// it.
    #[inline]
    pub fn hand_over<A: Attempts>(
        &mut self,
        why: Vacancy,
        now: SimTime,
        attempts: &A,
        slots: &mut SlotState,
        rng: &mut Pcg64,
    ) -> Handover {
        let next = match why {
            Vacancy::Freed => self.fifo.finish(),
            Vacancy::Dropped => self.fifo.skip_abandoned(),
            Vacancy::Refilled => self.fifo.fill(),
        };
        self.take(now, next, attempts, slots, rng)
    }

    /// `next`, a queued attempt that has taken a slot, starts service; one
    /// whose client has gone (a server that cancels) is dropped.
    #[inline]
    fn take<A: Attempts>(
        &mut self,
        now: SimTime,
        next: Option<Queued>,
        attempts: &A,
        slots: &mut SlotState,
        rng: &mut Pcg64,
    ) -> Handover {
        let Some((req, attempt, since)) = next else {
            return Handover::Idle;
        };
        if self.cancels() && !attempts.waiting(req, attempt) {
            return Handover::Dropped { req };
        }
        let output = attempts.tokens(req, attempt).output;
        let service = self.start(now, req, attempt, output, now - since, slots, rng);
        Handover::Started {
            req,
            attempt,
            service,
        }
    }

    /// The client of `req` gave up on `attempt`: a server that cancels on
    /// disconnect drops it from its queue, or stops generating it and
    /// bills the input and the output generated so far (all of it wasted).
    pub fn disconnect(
        &mut self,
        now: SimTime,
        req: u32,
        attempt: u32,
        tokens: Tokens,
        slots: &mut SlotState,
    ) -> Reaction {
        if !self.cancels() {
            return Reaction::next(Next::Nothing);
        }
        match slots.cancel.stop(req, attempt) {
            Stopped::NotThere => Reaction::next(Next::Nothing),
            Stopped::Queued => {
                self.fifo.abandon_queued();
                Reaction {
                    settle: Some(0),
                    ..Reaction::next(Next::Nothing)
                }
            }
            Stopped::Serving { first_token, end } => {
                let generated = generated_by(now, first_token, end, tokens.output);
                Reaction {
                    bill: Some(Bill {
                        input: tokens.input,
                        output: generated,
                        wasted: true,
                    }),
                    settle: Some(generated),
                    freed: true,
                    next: Next::Nothing,
                }
            }
        }
    }

    /// When the server's slots change (capacity cuts start and end).
    pub fn timers(&self) -> impl Iterator<Item = SimTime> + 'a {
        self.faults.capacity_changes()
    }

    /// A capacity cut starts or ends: the slots change (free slots are
    /// then filled with `QueueServer::hand_over`).
    pub fn timer(&mut self, now: SimTime) {
        self.fifo.set_slots(self.faults.slots_at(now));
    }
}
