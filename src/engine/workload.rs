//! The workload: when clients start their requests (bursts, closed loops,
//! Poisson arrivals, trace rows) and how large each request is.

use super::*;
use crate::scenario::Workload;

impl<'a, const FULL: bool, const PASS: bool> World<'a, FULL, PASS> {
    pub(super) fn trace(&self) -> &'a [TraceRow] {
        match &self.scenario.workload.kind {
            WorkloadKind::Trace { rows } => rows,
            _ => &[],
        }
    }

    /// Seeds the queue with the first arrivals; None if the system does
    /// not give the memory to sort the clients' first starts.
    pub(super) fn schedule_workload(&mut self) -> Option<()> {
        match self.scenario.workload.kind {
            WorkloadKind::Burst { spread } | WorkloadKind::Closed { spread, .. } => {
                let clients = self.scenario.workload.clients;
                let order = match spread {
                    0 => None,
                    _ => {
                        let n = clients as usize;
                        let mut starts: Vec<(SimTime, u32)> = Vec::new();
                        starts.try_reserve_exact(n).ok()?;
                        starts.extend((0..clients).map(|c| (self.first_start_offset(c), c)));
                        starts.sort_unstable();
                        let mut order = Vec::new();
                        order.try_reserve_exact(n).ok()?;
                        order.extend(starts.into_iter().map(|(_, c)| c));
                        Some(order)
                    }
                };
                self.first_starts = FirstStarts {
                    order,
                    next: 0,
                    seq0: self.queue.reserve_block(u64::from(clients)),
                };
                self.queue_first_start();
            }
            WorkloadKind::Poisson { .. } => self.schedule_next_arrival(0),
            WorkloadKind::Trace { .. } => self.schedule_trace_row(0),
        }
        Some(())
    }

    /// When client `client`'s first request starts (bursts and closed
    /// loops): uniform in [0, spread], from the request's own stream.
    pub(super) fn first_start_offset(&self, client: u32) -> SimTime {
        let spread = match self.scenario.workload.kind {
            WorkloadKind::Burst { spread } | WorkloadKind::Closed { spread, .. } => spread,
            _ => 0,
        };
        if spread == 0 {
            return 0;
        }
        let mut r = self.seeds.request_rng(request_key(client, 0), 1);
        nanos_from_f64(spread as f64 * r.random::<f64>())
    }

    /// Queues the next client's first request, if any is left.
    pub(super) fn queue_first_start(&mut self) {
        let f = &mut self.first_starts;
        if f.next >= self.scenario.workload.clients {
            return;
        }
        let client = f.order.as_ref().map_or(f.next, |o| o[f.next as usize]);
        f.next += 1;
        let seq = f.seq0 + u64::from(client);
        let at = self.first_start_offset(client);
        self.queue
            .push_reserved_in(lane::CLIENT, at, seq, Event::ClientStart { client });
    }

    pub(super) fn schedule_next_arrival(&mut self, now: SimTime) {
        let WorkloadKind::Poisson { duration, .. } = self.scenario.workload.kind else {
            return;
        };
        let gap = self
            .arrival_gap
            .expect("poisson")
            .sample(&mut self.workload_rng);
        let t = now.saturating_add(nanos_from_secs_f64(gap));
        if t < duration {
            self.queue.push(t, Event::Arrival);
        }
    }

    pub(super) fn schedule_trace_row(&mut self, row: u32) {
        if let Some(r) = self.trace().get(row as usize) {
            self.queue.push(r.start, Event::TraceStart { row });
        }
    }

    /// A request's token counts from its own random stream (fixed
    /// counts draw nothing: the stream, which costs more to seed than the
    /// rest of a request's start, is not made; it is the request's own, so
    /// nothing else sees the difference).
    #[inline]
    pub(super) fn draw_tokens(&self, key: u64) -> (u64, u64) {
        if let Some(fixed) = self.fixed_tokens {
            return fixed;
        }
        let w = &self.scenario.workload;
        let mut r = self.seeds.request_rng(key, 0);
        let input = tokens(w.input_tokens.sample(&mut r));
        let output = tokens(w.output_tokens.sample(&mut r));
        (input, self.cut_to_max_tokens(output))
    }

    pub(super) fn cut_to_max_tokens(&self, output: u64) -> u64 {
        cut_to_max_tokens(&self.scenario.workload, output)
    }

    /// A closed-loop client moves on to its next request after thinking.
    pub(super) fn request_ended(&mut self, now: SimTime, client: u32) {
        let WorkloadKind::Closed {
            requests_per_client,
            ref think_time,
            ..
        } = self.scenario.workload.kind
        else {
            return;
        };
        let started = self.started[client as usize];
        if started < requests_per_client {
            let mut r = self.seeds.request_rng(request_key(client, started), 1);
            let think = nanos_from_f64(think_time.sample(&mut r));
            self.queue.push_in(
                lane::CLIENT,
                now.saturating_add(think),
                Event::ClientStart { client },
            );
        }
    }
}

/// `output` tokens, at most the workload's `max_tokens`.
fn cut_to_max_tokens(w: &Workload, output: u64) -> u64 {
    w.max_tokens.map_or(output, |max| output.min(max))
}

/// Every request's (input, output) tokens, if the workload fixes both.
pub(super) fn fixed_tokens(w: &Workload) -> Option<(u64, u64)> {
    let (input, output) = (w.input_tokens.constant()?, w.output_tokens.constant()?);
    Some((tokens(input), cut_to_max_tokens(w, tokens(output))))
}
