//! The provider side of an attempt's life, as the engine schedules it:
//! the attempt reaches its model's endpoint, which says what happens next
//! ([`Next`]); the engine schedules that (an answer one hop back, the end
//! of a service, a step the provider asked for), counts the tokens billed
//! and the reservation given back, and hands freed server slots over.
//! What the provider does, and why, is [`crate::model`]'s.

use super::*;

impl<'a, const FULL: bool, const PASS: bool> World<'a, FULL, PASS> {
    /// Sends an answer back to the client (one network hop); `last`:
    /// nothing follows in the event's handling ([`World::step_at_once`]).
    #[inline(always)]
    fn answer(
        &mut self,
        now: SimTime,
        req: u32,
        attempt: u32,
        model: u8,
        reply: Reply,
        last: bool,
    ) {
        let event = Event::Reply {
            req,
            attempt,
            model,
            reply: PackedReply::new(reply),
        };
        self.over_the_network(now, event, last);
    }

    /// An attempt's arrival at the limiter, taken at once
    /// ([`World::step_at_once`]). Its own copy of the handler, apart from
    /// [`World::handle`]'s, with one of [`World::answer_hop`]: the call
    /// between the two breaks the cycle of handlers (an answer sends the
    /// next attempt), so that both inline the rest.
    #[inline(never)]
    pub(super) fn limiter_hop(&mut self, now: SimTime, req: u32, attempt: u32, model: u8) {
        self.at_limiter(now, req, attempt, model);
    }

    #[inline(always)]
    pub(super) fn at_limiter(&mut self, now: SimTime, req: u32, attempt: u32, model: u8) {
        self.m.touch(now);
        let fx = self.endpoints[usize::from(model)].arrive(
            now,
            req,
            attempt,
            &SlotView(&self.requests, Self::growth_of(self.growth)),
            &mut self.provider_slots,
            &mut self.rng,
        );
        if let (0, Some(c)) = (model, fx.checked) {
            // The time series and peak load watch the main model's limiter.
            let first = self.requests[req as usize].attempts == 1;
            self.m.at_limiter(now, c.admitted, c.cost, first);
        }
        // Last: only its event's `match` arm calls this, last.
        self.apply(now, req, attempt, model, fx, true);
    }

    pub(super) fn service_done(
        &mut self,
        now: SimTime,
        req: u32,
        attempt: u32,
        model: u8,
        failed: bool,
    ) {
        let fx = self.endpoints[usize::from(model)].service_ends(
            now,
            req,
            attempt,
            failed,
            &SlotView(&self.requests, Self::growth_of(self.growth)),
            &mut self.provider_slots,
        );
        if fx.next != Next::Gone {
            self.m.touch(now);
        }
        // As for `at_limiter`, and `provider_step` below.
        self.apply(now, req, attempt, model, fx, true);
    }

    /// A step `model`'s provider asked for is due.
    pub(super) fn provider_step(
        &mut self,
        now: SimTime,
        req: u32,
        attempt: u32,
        model: u8,
        step: Step,
    ) {
        self.m.touch(now);
        let fx = self.endpoints[usize::from(model)].step(
            now,
            req,
            attempt,
            step,
            &SlotView(&self.requests, Self::growth_of(self.growth)),
            &mut self.provider_slots,
            &mut self.rng,
        );
        self.apply(now, req, attempt, model, fx, true);
    }

    /// The client of `req` gave up on `attempt`: the provider is told.
    pub(super) fn disconnect(&mut self, now: SimTime, req: u32, attempt: u32, model: u8) {
        let fx = self.endpoints[usize::from(model)].disconnect(
            now,
            req,
            attempt,
            &SlotView(&self.requests, Self::growth_of(self.growth)),
            &mut self.provider_slots,
        );
        self.apply(now, req, attempt, model, fx, false);
    }

    /// A timer of `model`'s provider fires; free server slots then take
    /// waiting attempts at once.
    pub(super) fn provider_timer(&mut self, now: SimTime, model: u8) {
        let e = usize::from(model);
        self.endpoints[e].timer(now);
        loop {
            let h = self.endpoints[e].hand_over(
                Vacancy::Refilled,
                now,
                &SlotView(&self.requests, Self::growth_of(self.growth)),
                &mut self.provider_slots,
                &mut self.rng,
            );
            if !self.hand_over(now, model, h) {
                break;
            }
            // Something happened: a waiting attempt started service.
            self.m.touch(now);
        }
    }

    /// Counts and schedules what the provider's reaction to `attempt` of
    /// `req` comes to. Inlined into each caller, so that the reaction is
    /// never built in memory. `last`: nothing follows this call in its
    /// event's handling ([`World::step_at_once`]).
    #[inline(always)]
    fn apply(&mut self, now: SimTime, req: u32, attempt: u32, model: u8, fx: Effects, last: bool) {
        let e = usize::from(model);
        if let Some(b) = fx.bill {
            self.bill(req, e, b.input, b.output);
            if b.wasted {
                self.waste(req, e, b.input, b.output);
            }
        }
        if model == 0 && fx.given_back > 0 {
            self.m.given_back(fx.given_back);
        }
        // A freed server slot is handed over after the answer.
        let last = last && !fx.freed;
        match fx.next {
            Next::Reply(reply) => self.answer(now, req, attempt, model, reply, last),
            Next::Reject { limit, retry_after } => {
                // Only the current attempt's answer is heard: an earlier
                // one's must not overwrite it.
                if self.is_current(req, attempt) {
                    self.policy.set_retry_after(req, retry_after);
                }
                self.answer(now, req, attempt, model, Reply::RateLimited { limit }, last);
            }
            Next::Serve(service) => self.serve(req, attempt, model, service),
            Next::Later { at, step } => self.queue.push(
                at,
                Event::Provider {
                    req,
                    attempt,
                    model,
                    step,
                },
            ),
            Next::Nothing => {}
            Next::Gone => self.attempt_landed(req),
        }
        if fx.freed {
            let h = self.endpoints[e].hand_over(
                Vacancy::Freed,
                now,
                &SlotView(&self.requests, Self::growth_of(self.growth)),
                &mut self.provider_slots,
                &mut self.rng,
            );
            // Mostly nobody is waiting for the slot.
            if !matches!(h, Handover::Idle) {
                self.hand_over(now, model, h);
            }
        }
    }

    /// A service of `attempt` of `req` has started.
    #[inline(always)]
    fn serve(&mut self, req: u32, attempt: u32, model: u8, service: Service) {
        self.m.queue_wait(service.waited);
        self.queue.push_in(
            lane::SERVICE,
            service.end,
            Event::ServiceDone {
                req,
                attempt,
                model,
                failed: service.failed,
            },
        );
    }

    /// Follows a free slot of `model`'s server until an attempt takes it
    /// (true) or none is left for it (false).
    fn hand_over(&mut self, now: SimTime, model: u8, mut h: Handover) -> bool {
        let e = usize::from(model);
        loop {
            match h {
                Handover::Idle => return false,
                Handover::Dropped { req } => {
                    self.attempt_landed(req);
                    h = self.endpoints[e].hand_over(
                        Vacancy::Dropped,
                        now,
                        &SlotView(&self.requests, Self::growth_of(self.growth)),
                        &mut self.provider_slots,
                        &mut self.rng,
                    );
                }
                Handover::Started {
                    req,
                    attempt,
                    service,
                } => {
                    self.serve(req, attempt, model, service);
                    return true;
                }
            }
        }
    }
}
