//! The client side of a request's life: sending attempts, hearing answers
//! and timeouts, and retrying or giving up, as the strategy's retry stack
//! ([`crate::policy::client`]) decides; and the request's bookkeeping
//! (billing, waste, slot reuse), events, timers and counts.

use super::*;

impl<'a, const FULL: bool, const PASS: bool> World<'a, FULL, PASS> {
    /// The record of the request in slot `req`, when records are kept.
    pub(super) fn record(&mut self, req: u32) -> Option<&mut RequestRecord> {
        if !FULL {
            return None;
        }
        let id = *self.ids.get(req as usize)? as usize;
        self.m.request_records.as_mut().map(|v| &mut v[id])
    }

    /// Slot `req` now holds request `id` (in creation order), when records
    /// are kept.
    pub(super) fn set_id(&mut self, req: u32, id: u32) {
        match self.ids.get_mut(req as usize) {
            Some(slot) => *slot = id,
            None => {
                debug_assert_eq!(self.ids.len(), req as usize);
                self.ids.push(id);
            }
        }
    }

    /// `model` billed `input` + `output` tokens of `req`'s.
    pub(super) fn bill(&mut self, req: u32, model: usize, input: u64, output: u64) {
        self.m.bill(model, input, output);
        if let Some(rec) = self.record(req) {
            rec.billed_input_tokens = rec.billed_input_tokens.saturating_add(input);
            rec.billed_output_tokens = rec.billed_output_tokens.saturating_add(output);
        }
    }

    /// Billed tokens of `req`'s that nobody used.
    pub(super) fn waste(&mut self, req: u32, model: usize, input: u64, output: u64) {
        self.m.waste(model, input, output);
        if let Some(rec) = self.record(req) {
            rec.wasted_input_tokens = rec.wasted_input_tokens.saturating_add(input);
            rec.wasted_output_tokens = rec.wasted_output_tokens.saturating_add(output);
        }
    }

    /// An attempt of `req` has arrived wherever it was going: nothing of it
    /// remains on its way.
    pub(super) fn attempt_landed(&mut self, req: u32) {
        let r = &mut self.requests[req as usize];
        r.in_transit -= 1;
        if !r.live && r.in_transit == 0 {
            self.free.push(req);
        }
    }

    /// The request in slot `req` ended with `outcome` at `now`.
    pub(super) fn request_closed(&mut self, now: SimTime, req: u32, outcome: RequestOutcome) {
        let r = &mut self.requests[req as usize];
        r.live = false;
        let (client, free) = (r.client, r.in_transit == 0);
        if free {
            self.free.push(req);
        }
        if let Some(rec) = self.record(req) {
            rec.end = Some(now);
            rec.outcome = outcome;
        }
        self.request_ended(now, client);
    }

    pub(super) fn new_request(
        &mut self,
        now: SimTime,
        client: u32,
        input_tokens: u64,
        output_tokens: u64,
        last: bool,
    ) {
        self.m.touch(now);
        // Validation bounds the expected count far below 2^32 (see
        // MAX_EXPECTED_REQUESTS in scenario/resolve/workload.rs); past it, no new
        // request starts.
        let Ok(id) = u32::try_from(self.m.counts.requests) else {
            return;
        };
        let (req, old) = match self.free.pop() {
            Some(req) => {
                let r = &self.requests[req as usize];
                debug_assert!(!r.live && r.in_transit == 0);
                (req, Some(r))
            }
            None => (self.requests.len() as u32, None),
        };
        let request = Request {
            created: now,
            client,
            input_tokens: input_tokens as u32,
            output_tokens: output_tokens as u32,
            ..Request::kept_from(old)
        };
        match self.requests.get_mut(req as usize) {
            Some(slot) => *slot = request,
            None => self.requests.push(request),
        }
        if self.m.request_records.is_some() {
            self.set_id(req, id);
        }
        self.provider_slots.reset(req);
        self.policy.start(req);
        self.hedge_slot_taken(req, req, now);
        if let Some(records) = &mut self.m.request_records {
            records.push(RequestRecord::new(client, now, input_tokens, output_tokens));
        }
        self.m.counts.requests += 1;
        self.try_send(now, req, last);
    }

    /// Sends the next attempt of `req` if the strategy's guards let it go
    /// now; a guard may delay it or reject it locally, which ends the
    /// request.
    /// `last`: nothing follows this call in its event's handling (as for
    /// each function here that takes it: see [`World::step_at_once`]).
    #[inline(always)]
    pub(super) fn try_send(&mut self, now: SimTime, req: u32, last: bool) {
        let r = &self.requests[req as usize];
        let (client, first) = (r.client, r.attempts == 0);
        match self
            .policy
            .before_send(now, req, client, first, &mut self.rng)
        {
            Gate::Send => self.send_attempt(now, req, last),
            Gate::Wait(d) => self.queue.push(now.saturating_add(d), Event::Send { req }),
            Gate::Reject => {
                self.m.counts.local_rejections += 1;
                let attempts = self.copies_sent(req);
                self.m.request_gave_up(attempts);
                self.request_closed(now, req, RequestOutcome::GaveUp);
            }
        }
    }

    /// The wait a guard asked of the next attempt of `req` is over: send
    /// it, unless the wait ran past the request's deadline.
    pub(super) fn waited(&mut self, now: SimTime, req: u32) {
        self.m.touch(now);
        let r = &self.requests[req as usize];
        if self.policy.past_deadline(now, req, r.created) {
            let attempts = self.copies_sent(req);
            self.m.request_gave_up(attempts);
            self.request_closed(now, req, RequestOutcome::GaveUp);
        } else {
            self.send_attempt(now, req, true);
        }
    }

    /// Tells the strategy how the current attempt of `req` went (`None`:
    /// it succeeded).
    #[inline(always)]
    pub(super) fn observe(&mut self, now: SimTime, req: u32, failure: Option<Failure>) {
        let client = self.requests[req as usize].client;
        self.policy.on_outcome(now, req, client, failure);
    }

    /// Sends the next attempt of `req` (a round, when the strategy hedges).
    pub(super) fn send_attempt(&mut self, now: SimTime, req: u32, last: bool) {
        let r = &mut self.requests[req as usize];
        r.attempts += 1;
        r.model = self.policy.model(r.on_fallback());
        let number = r.attempts;
        // A round of hedged copies follows on the full path.
        self.put_on_wire(now, req, number, last && !FULL);
        self.round_started(now, req);
    }

    /// Sends a copy of attempt number `number` of the request from slot
    /// `req` to the slot's model, with its timer.
    #[inline(always)]
    pub(super) fn put_on_wire(&mut self, now: SimTime, req: u32, number: u32, last: bool) {
        let r = &mut self.requests[req as usize];
        r.serial = r.serial.wrapping_add(1);
        r.outstanding = true;
        r.in_transit += 1;
        let (attempt, created, model) = (r.serial, r.created, r.model);
        self.m.attempt_sent(usize::from(model));
        if let Some(rec) = self.record(req) {
            rec.attempts += 1;
            rec.model = model;
        }
        // The timer: the attempt's timeout, cut short by the request deadline.
        let limit =
            self.policy
                .attempt_limit(now, req, created, self.scenario.client_timeout, number);
        if let Some(limit) = limit {
            let at = now.saturating_add(limit);
            // Its place in the order of events is taken now, whether it is
            // queued now or once the slot's queued timer (an earlier
            // attempt's, no later than this one) fires.
            let seq = self.queue.reserve();
            let r = &mut self.requests[req as usize];
            r.timer = (at, seq);
            match r.queued_timer() {
                Some((_, queued)) if queued <= at => {}
                _ => {
                    r.set_queued_timer(Some((attempt, at)));
                    self.queue.push_reserved_in(
                        lane::TIMEOUT,
                        at,
                        seq,
                        Event::Timeout { req, attempt },
                    );
                }
            }
        }
        let event = Event::AtLimiter {
            req,
            attempt,
            model,
        };
        self.over_the_network(now, event, last);
    }

    /// An answer's arrival at its client, taken at once
    /// ([`World::step_at_once`]); see [`World::limiter_hop`].
    #[inline(never)]
    pub(super) fn answer_hop(
        &mut self,
        now: SimTime,
        req: u32,
        attempt: u32,
        model: u8,
        reply: Reply,
    ) {
        self.reply(now, req, attempt, model, reply);
    }

    #[inline(always)]
    pub(super) fn reply(&mut self, now: SimTime, req: u32, attempt: u32, model: u8, reply: Reply) {
        self.answered(now, req, attempt, model, reply);
        self.attempt_landed(req);
    }

    #[inline(always)]
    pub(super) fn answered(
        &mut self,
        now: SimTime,
        req: u32,
        attempt: u32,
        model: u8,
        reply: Reply,
    ) {
        let e = usize::from(model);
        if !self.is_current(req, attempt) || self.lost(req) {
            // The client stopped waiting while this answer was on its way
            // back: a success billed while it still waited is wasted after all.
            if reply == (Reply::Success { wasted: false }) {
                self.m.touch(now);
                let t = self.slot_view().tokens(req, attempt);
                self.waste(req, e, t.input, t.output);
            }
            return;
        }
        self.m.touch(now);
        self.requests[req as usize].outstanding = false;
        if !self.process_later(now, req, model, Some(reply)) {
            self.heard(now, req, model, reply);
        }
    }

    /// The client's policy learns of the answer to `req`'s current
    /// attempt at `model`.
    #[inline(always)]
    pub(super) fn heard(&mut self, now: SimTime, req: u32, model: u8, reply: Reply) {
        let e = usize::from(model);
        match reply {
            Reply::Success { .. } => {
                self.m.attempt_resolved(AttemptOutcome::Success, e);
                let req = self.round_won(now, req);
                self.observe(now, req, None);
                let (created, attempts) =
                    (self.requests[req as usize].created, self.copies_sent(req));
                self.m.request_succeeded(now - created, attempts);
                if let Some(r) = &self.scenario.report.recovery {
                    let (from, to) = r.span();
                    if (from..to).contains(&now) {
                        self.m.recovery_successes += 1;
                    }
                }
                self.request_closed(now, req, RequestOutcome::Succeeded);
            }
            failed => {
                let server = match e {
                    0 => &self.scenario.server,
                    _ => &self.scenario.models[e - 1].server,
                };
                let failure = failure_of(
                    failed,
                    self.policy.retry_after(req),
                    server.errors.retry_after,
                );
                self.m.attempt_resolved(AttemptOutcome::from(failed), e);
                let Some(req) = self.copy_failed(req) else {
                    return; // other copies of the round are still awaited
                };
                self.observe(now, req, Some(failure));
                self.failed(now, req, failure);
            }
        }
    }

    #[inline(always)]
    pub(super) fn failed(&mut self, now: SimTime, req: u32, failure: Failure) {
        let r = &mut self.requests[req as usize];
        if self.policy.falls_back(failure) {
            r.flags |= Request::ON_FALLBACK;
        }
        let attempt = Attempt {
            client: r.client,
            made: r.attempts,
            created: r.created,
        };
        let decision = self
            .policy
            .after_failure(now, req, attempt, failure, &mut self.rng);
        match decision {
            // Jittered retries come in no order: they go to the heap,
            // where they do not hold up the lanes.
            Decision::Retry { delay } if self.policy.jittered() => self
                .queue
                .push(now.saturating_add(delay), Event::Retry { req }),
            Decision::Retry { delay } => {
                let n = (attempt.made as usize).saturating_sub(1);
                let lane = lane::RETRY + n.min(lane::RETRIES - 1);
                self.queue
                    .push_in(lane, now.saturating_add(delay), Event::Retry { req })
            }
            Decision::GiveUp(why) => {
                if why.by_guard() {
                    self.m.counts.retries_denied += 1;
                }
                let sent = self.copies_sent(req);
                self.m.request_gave_up(sent);
                self.request_closed(now, req, RequestOutcome::GaveUp);
            }
        }
    }
}

/// What the client's policy sees in an answer other than a success: the
/// translation of the provider's answers into the client's failures
/// (`retry_after`: what the 429 carried, as the policy kept it;
/// `server_retry_after`: what the answering server's 5xx answers carry).
fn failure_of(
    answer: Reply,
    retry_after: Option<SimDuration>,
    server_retry_after: Option<SimDuration>,
) -> Failure {
    match answer {
        Reply::RateLimited { .. } => Failure::RateLimited { retry_after },
        Reply::ServerError { status } => Failure::ServerError {
            status,
            retry_after: server_retry_after,
        },
        Reply::Conflict => Failure::Conflict,
        Reply::Success { .. } => unreachable!("a success is no failure"),
    }
}
