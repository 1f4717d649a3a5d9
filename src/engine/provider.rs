//! The provider side of an attempt's life, as the engine schedules it:
//! the limiter, the server's slots and queue, service, and the answer's
//! way back.

use super::*;

impl<'a> World<'a> {
    /// Sends an answer back to the client (one network hop).
    pub(super) fn answer(&mut self, now: SimTime, req: u32, attempt: u32, model: u8, reply: Reply) {
        let back = now.saturating_add(self.hop());
        self.queue.push_in(
            lane::HOP,
            back,
            Event::Reply {
                req,
                attempt,
                model,
                reply,
            },
        );
    }

    /// Output tokens an attempt of `req` reserves: `max_tokens`, or its
    /// actual output without one.
    pub(super) fn reserved(&self, req: u32) -> u64 {
        self.scenario
            .workload
            .max_tokens
            .unwrap_or(u64::from(self.requests[req as usize].output_tokens))
    }

    /// An admitted attempt ended having generated `generated` tokens: the
    /// limiter may give back the rest of the reservation.
    pub(super) fn settle(&mut self, now: SimTime, req: u32, model: u8, generated: u64) {
        let reserved = self.reserved(req);
        let given_back = self.endpoints[usize::from(model)]
            .limiter
            .settle(now, reserved, generated);
        if model == 0 && given_back > 0 {
            self.m.given_back(given_back);
        }
    }

    pub(super) fn at_limiter(&mut self, now: SimTime, req: u32, attempt: u32, model: u8) {
        self.m.touch(now);
        let e = usize::from(model);
        if self.endpoints[e].config.cancel_on_disconnect && !self.is_current(req, attempt) {
            // The client hung up before the attempt arrived.
            self.attempt_landed(req);
            return;
        }
        let cost = Cost {
            input_tokens: u64::from(self.requests[req as usize].input_tokens),
            output_reserved: self.reserved(req),
        };
        let admission = self.endpoints[e].limiter.admit(now, cost);
        if model == 0 {
            // The time series and peak load watch the main model's limiter.
            let first = self.requests[req as usize].attempts == 1;
            self.m.at_limiter(
                now,
                admission == Admission::Admitted,
                cost.per_limit(),
                first,
            );
        }
        if let Admission::Rejected { limit, retry_after } = admission {
            // Only the current attempt's answer is heard: an earlier one's
            // must not overwrite it.
            if self.is_current(req, attempt) {
                self.policy.set_retry_after(req, retry_after);
            }
            self.answer(now, req, attempt, model, Reply::RateLimited { limit });
            return;
        }
        let config = self.endpoints[e].config;
        if config.occ {
            self.occ_read(now, req, attempt, model);
            return;
        }
        let outage = config.outages.iter().find(|o| o.covers(now));
        // A partial outage fails only its share of the attempts.
        let outage =
            outage.filter(|o| o.error_rate >= 1.0 || self.rng.random::<f64>() < o.error_rate);
        if let Some(outage) = outage {
            // Nothing is generated: the reservation goes back at once.
            self.settle(now, req, model, 0);
            if outage.silent {
                self.attempt_landed(req);
            } else {
                self.answer(now, req, attempt, model, Reply::ServerError { status: 503 });
            }
            return;
        }
        // Overload errors come back at once, without taking a slot.
        let overload = config.errors.http_503 + config.errors.http_529;
        if overload > 0.0 {
            let u = self.rng.random::<f64>();
            if u < overload {
                let status = if u < config.errors.http_503 { 503 } else { 529 };
                self.settle(now, req, model, 0);
                self.answer(now, req, attempt, model, Reply::ServerError { status });
                return;
            }
        }
        match self.endpoints[e].server.arrive(req, attempt, now) {
            Arrival::Serve => {
                self.m.queue_wait(0);
                self.start_service(now, req, attempt, model)
            }
            Arrival::Queued => {
                if config.cancel_on_disconnect {
                    self.at_server.set(req, AtServer::Queued { attempt });
                }
            }
            Arrival::Full => {
                self.settle(now, req, model, 0);
                self.answer(now, req, attempt, model, Reply::ServerError { status: 503 });
            }
        }
    }

    /// An optimistic-concurrency attempt reads the row's version; its
    /// conditional write reaches the store two hops later (the answer
    /// back, the write out).
    pub(super) fn occ_read(&mut self, now: SimTime, req: u32, attempt: u32, model: u8) {
        let version = self.endpoints[usize::from(model)].version;
        self.seen.set(req, version);
        let back = self.hop();
        let out = self.hop();
        let at = now.saturating_add(back).saturating_add(out);
        self.queue.push(
            at,
            Event::OccWrite {
                req,
                attempt,
                model,
            },
        );
    }

    /// The conditional write: it succeeds, and bumps the version, only if
    /// the version is still the one the attempt read; otherwise 409. A
    /// write whose client has stopped waiting still lands (it was sent);
    /// only its answer goes unheard.
    pub(super) fn occ_write(&mut self, now: SimTime, req: u32, attempt: u32, model: u8) {
        self.m.touch(now);
        let e = usize::from(model);
        self.settle(now, req, model, 0);
        let won = self.endpoints[e].version == self.seen.get(req);
        if won {
            self.endpoints[e].version += 1;
        }
        if !self.is_current(req, attempt) {
            self.attempt_landed(req);
            return;
        }
        let reply = if won {
            Reply::Success { wasted: false }
        } else {
            Reply::Conflict
        };
        self.answer(now, req, attempt, model, reply);
    }

    pub(super) fn start_service(&mut self, now: SimTime, req: u32, attempt: u32, model: u8) {
        let e = usize::from(model);
        let config = self.endpoints[e].config;
        let (first_token, total) = match &config.latency {
            Latency::Fixed(d) => (0, nanos_from_f64(d.sample(&mut self.rng))),
            Latency::Streaming { ttft, tokens_per_s } => {
                let ttft = nanos_from_f64(ttft.sample(&mut self.rng));
                let output = f64::from(self.requests[req as usize].output_tokens);
                let decode = nanos_from_secs_f64(output / tokens_per_s);
                (ttft, ttft.saturating_add(decode))
            }
        };
        // Slower under load: stretched by the share of slots in use.
        let (first_token, total) = match (config.slowdown, config.concurrency) {
            (k, Some(c)) if k > 0.0 => {
                let busy = f64::from(self.endpoints[e].server.busy());
                let f = 1.0 + k * busy / f64::from(c);
                (
                    nanos_from_f64(first_token as f64 * f),
                    nanos_from_f64(total as f64 * f),
                )
            }
            _ => (first_token, total),
        };
        let p500 = self.endpoints[e].p500_when_served;
        let error = p500 > 0.0 && self.rng.random::<f64>() < p500;
        let end = now.saturating_add(total);
        if config.cancel_on_disconnect {
            let at = AtServer::Serving {
                attempt,
                first_token: now.saturating_add(first_token),
                end,
            };
            self.at_server.set(req, at);
        }
        self.queue.push_in(
            lane::SERVICE,
            end,
            Event::ServiceDone {
                req,
                attempt,
                model,
                error,
            },
        );
    }

    pub(super) fn service_done(
        &mut self,
        now: SimTime,
        req: u32,
        attempt: u32,
        model: u8,
        error: bool,
    ) {
        let e = usize::from(model);
        if self.endpoints[e].config.cancel_on_disconnect {
            match self.at_server.get(req) {
                AtServer::Serving { attempt: a, .. } if a == attempt => {
                    self.at_server.set(req, AtServer::Nowhere);
                }
                // Stopped when its client went away; the slot is free.
                _ => {
                    self.attempt_landed(req);
                    return;
                }
            }
        }
        self.m.touch(now);
        let reply = if error {
            self.settle(now, req, model, 0);
            Reply::ServerError { status: 500 }
        } else {
            // The provider bills every completed generation, whether or not
            // anyone is still waiting for it (5xx answers are not billed).
            let r = &self.requests[req as usize];
            let (input, output) = (u64::from(r.input_tokens), u64::from(r.output_tokens));
            self.bill(req, e, input, output);
            self.settle(now, req, model, output);
            let wasted = !self.is_current(req, attempt);
            if wasted {
                self.waste(req, e, input, output);
            }
            Reply::Success { wasted }
        };
        self.answer(now, req, attempt, model, reply);
        self.next_in_line(now, model);
    }

    /// A slot of `model`'s server is free: the next live attempt in its
    /// queue takes it.
    pub(super) fn next_in_line(&mut self, now: SimTime, model: u8) {
        let next = self.endpoints[usize::from(model)].server.finish();
        self.serve_queued(now, model, next);
    }

    /// `next`, a queued attempt that has taken a slot, starts service; an
    /// abandoned one hands the slot on to the next. False if the slot
    /// found no live attempt.
    pub(super) fn serve_queued(
        &mut self,
        now: SimTime,
        model: u8,
        mut next: Option<Queued>,
    ) -> bool {
        let e = usize::from(model);
        while let Some((req, attempt, since)) = next {
            if self.endpoints[e].config.cancel_on_disconnect && !self.is_current(req, attempt) {
                self.attempt_landed(req);
                next = self.endpoints[e].server.skip_abandoned();
                continue;
            }
            self.m.queue_wait(now - since);
            self.start_service(now, req, attempt, model);
            return true;
        }
        false
    }

    /// A capacity cut of `model`'s server starts or ends: its slots change,
    /// and free slots take queued attempts at once.
    pub(super) fn capacity_changed(&mut self, now: SimTime, model: u8) {
        let e = usize::from(model);
        let slots = self.endpoints[e].config.slots_at(now);
        self.endpoints[e].server.set_slots(slots);
        loop {
            let next = self.endpoints[e].server.fill();
            if next.is_none() || !self.serve_queued(now, model, next) {
                break;
            }
            // Something happened: a queued attempt started service.
            self.m.touch(now);
        }
    }

    /// The client of `req` gave up on `attempt`: a server that cancels on
    /// disconnect drops it from its queue, or stops generating it and bills
    /// the input and the output generated so far (all of it wasted).
    pub(super) fn cancel(&mut self, now: SimTime, req: u32, attempt: u32, model: u8) {
        let e = usize::from(model);
        let at_server = self.at_server.get_mut(req);
        match *at_server {
            AtServer::Queued { attempt: a } if a == attempt => {
                *at_server = AtServer::Nowhere;
                self.endpoints[e].server.abandon_queued();
                self.settle(now, req, model, 0);
            }
            AtServer::Serving {
                attempt: a,
                first_token,
                end,
            } if a == attempt => {
                *at_server = AtServer::Nowhere;
                let r = &self.requests[req as usize];
                let (input, output) = (u64::from(r.input_tokens), u64::from(r.output_tokens));
                let generated = generated_by(now, first_token, end, output);
                self.bill(req, e, input, generated);
                self.waste(req, e, input, generated);
                self.settle(now, req, model, generated);
                self.next_in_line(now, model);
            }
            _ => {}
        }
    }
}

/// Output tokens generated by `now` of a generation that produces its
/// first token at `first_token` and its last (`output`-th) at `end`, at an
/// even pace in between.
pub(super) fn generated_by(now: SimTime, first_token: SimTime, end: SimTime, output: u64) -> u64 {
    if now <= first_token {
        0
    } else if now >= end || end <= first_token {
        output
    } else {
        let done = u128::from(now - first_token) * u128::from(output);
        (done / u128::from(end - first_token)) as u64
    }
}
