//! Building a run's world and running it: the event loop, and the
//! limits (events, a clock standing still, memory, Ctrl-C) it is held to.

use super::*;
use std::cell::RefCell;

/// A world's request slots and queue are kept for its thread's next run
/// only while they hold room for at most this many slots, the slots'
/// share of [`crate::reuse::KEEP_BYTES`] (16,384: what a few thousand
/// requests in progress need): a million clients' go back to the system
/// with their run.
const KEEP_SLOTS: usize = crate::reuse::KEEP_BYTES / size_of::<Request>();

/// What a world leaves to the next run on its thread: its request slots,
/// free list, closed-loop counters and event queue, emptied when taken.
/// A run's events and results never depend on it: every vector is emptied
/// and the queue cleared to a new one's state (sequence numbers from 0),
/// so only the room they hold is kept, and room orders nothing.
struct Spare {
    requests: Vec<Request>,
    free: Vec<u32>,
    started: Vec<u32>,
    queue: Option<EventQueue<Event>>,
}

impl Spare {
    const NONE: Spare = Spare {
        requests: Vec::new(),
        free: Vec::new(),
        started: Vec::new(),
        queue: None,
    };
}

thread_local! {
    /// The memory of the last world that ended on this thread.
    static SPARE: RefCell<Spare> = const { RefCell::new(Spare::NONE) };
}

/// The memory the last world on this thread left (nothing if none did).
fn take_spare() -> Spare {
    SPARE
        .try_with(|s| {
            s.try_borrow_mut()
                .map(|mut s| std::mem::replace(&mut *s, Spare::NONE))
                .unwrap_or(Spare::NONE)
        })
        .unwrap_or(Spare::NONE)
}

impl<'a, const FULL: bool, const PASS: bool> World<'a, FULL, PASS> {
    /// The world of a run, or None if the system does not give the memory
    /// for its clients' state.
    pub(super) fn new(
        scenario: &'a Scenario,
        strategy: &'a Strategy,
        seeds: RunSeeds,
    ) -> Option<Self> {
        let network = Network::new(&scenario.network_one_way);
        let servers =
            || std::iter::once(&scenario.server).chain(scenario.models.iter().map(|m| &m.server));
        let max_tokens = scenario.workload.max_tokens;
        let endpoints: Vec<Endpoint> = std::iter::once(&scenario.limiter)
            .chain(scenario.models.iter().map(|m| &m.limiter))
            .zip(servers())
            .map(|(limits, config)| Endpoint::new(limits.build(), config, max_tokens, network))
            .collect();
        let clients = scenario.workload.clients as usize;
        let arrival_gap = match scenario.workload.kind {
            WorkloadKind::Poisson { rate_per_s, .. } => {
                Some(Exp::new(rate_per_s).expect("validated rate > 0"))
            }
            _ => None,
        };
        let models = endpoints.len();
        // The last run's memory on this thread, emptied (see `Spare`).
        let spare = take_spare();
        let mut started = spare.started;
        started.clear();
        if let WorkloadKind::Closed { .. } = scenario.workload.kind {
            started.try_reserve_exact(clients).ok()?;
            started.resize(clients, 0);
        }
        let policy = RetryStack::try_new(strategy, clients).ok()?;
        let queue = match spare.queue {
            Some(mut q) if q.lane_count() == lane::COUNT => {
                q.clear();
                q
            }
            _ => EventQueue::with_lanes(lane::COUNT),
        };
        let mut requests = spare.requests;
        requests.clear();
        // A burst's or a closed loop's clients can all have a request in
        // flight at once: room for each is taken in one block, since grown
        // by doubling a million slots would move, and a moved block keeps
        // the small pages it has (see `crate::pages`). Open-loop and trace
        // workloads hold few requests at once whatever their population:
        // their slots grow as requests come, as do a burst's where the
        // system will not give its room at once.
        let all_at_once = matches!(
            scenario.workload.kind,
            WorkloadKind::Burst { .. } | WorkloadKind::Closed { .. }
        );
        if !all_at_once || requests.try_reserve(clients).is_err() {
            requests.reserve(clients.min(1 << 20));
        }
        crate::pages::advise_huge(&requests);
        let mut free = spare.free;
        free.clear();
        let cpu = match &scenario.client_processing {
            Some(c) => Some(client_cpu::ClientCpu::new(c, scenario.workload.clients)?),
            None => None,
        };
        Some(World {
            scenario,
            seeds,
            rng: seeds.run_rng(),
            workload_rng: seeds.workload_rng(),
            queue,
            endpoints,
            requests,
            ids: Vec::new(),
            provider_slots: SlotState::new(servers()),
            free,
            started,
            first_starts: FirstStarts::default(),
            network,
            arrivals: 0,
            arrival_gap,
            fixed_tokens: workload::fixed_tokens(&scenario.workload),
            policy,
            growth: Some(strategy.input_growth).filter(|g| !g.is_off()),
            cpu,
            hedge: hedge::Hedging::new(strategy),
            limits: RunLimits::default(),
            still: Stall {
                at: SimTime::MAX,
                since: 0,
                extra_attempts: 0,
            },
            m: RunMetrics::new(scenario.report.bucket, scenario.report.peak_window, models),
            read_at: 0,
        })
    }

    /// The run's metrics; the world's slots, free list, counters and
    /// queue are left to the next run on this thread (unless they are
    /// large: [`KEEP_SLOTS`]).
    pub(super) fn into_metrics(self) -> RunMetrics {
        let World {
            requests,
            free,
            started,
            queue,
            m,
            ..
        } = self;
        if requests.capacity() <= KEEP_SLOTS && started.capacity() <= KEEP_SLOTS {
            let spare = Spare {
                requests,
                free,
                started,
                queue: Some(queue),
            };
            let _ = SPARE.try_with(|s| {
                if let Ok(mut s) = s.try_borrow_mut() {
                    *s = spare;
                }
            });
        }
        m
    }

    /// Runs the world, once [`World::schedule_workload`] has seeded it.
    pub(super) fn run(&mut self) {
        for (e, endpoint) in self.endpoints.iter().enumerate() {
            for at in endpoint.timers() {
                let model = e as u8;
                self.queue.push(at, Event::ProviderTimer { model });
            }
        }
        let horizon = self.scenario.horizon;
        let mut end = 0;
        let mut next = self.queue.pop_passing::<PASS>();
        // The event came out of the search (not the current time's lane):
        // the queue's next event may have changed, and is worth fetching.
        let mut searched = true;
        while let Some((now, event)) = next {
            if now > horizon {
                end = horizon;
                break;
            }
            end = now;
            if self.stale_timer(now, event) {
                if let Some(last) = self.only_stale_timers_left() {
                    end = last;
                    break;
                }
            } else {
                if self.m.events.is_multiple_of(CHECK_EVERY) && self.checkpoint(now) {
                    break; // the experiment discards this run
                }
                if searched {
                    self.prefetch_next();
                }
                self.m.events += 1;
                self.tick(now);
                self.handle(now, event);
            }
            // Most events are zero-length steps the handler just queued
            // for now (a hop of 0 ms): they come out without the search.
            (next, searched) = match self.queue.pop_now_passing::<PASS>() {
                Some(e) => (Some(e), false),
                None => (self.queue.pop_passing::<PASS>(), true),
            };
        }
        if let Some(open) = self.policy.breaker_open_ns(end) {
            let clients = u128::from(self.scenario.workload.clients.max(1));
            self.m.counts.breaker_open_ns = open / clients;
        }
        if let Some(layers) = self.policy.layer_attempts() {
            self.m.layer_attempts = layers;
        }
        if let Some(r) = &self.scenario.report.recovery {
            self.m.recovered = Some(r.recovered(self.m.recovery_successes));
        }
        let main = self.endpoints[0].limiter.requests().cloned();
        self.m.finish(main.as_ref());
        self.m.final_request_bucket = main;
    }

    /// When every request has ended and the queue holds nothing but client
    /// timers (a burst whose clients are all done, with the timers of
    /// their first attempts still queued), none of those timers can fire:
    /// a request ends only with no attempt of it awaiting an answer, and
    /// nothing is left to start another. Nor can one queue another (a
    /// timer does that for a later attempt of its slot still awaited).
    /// Going through them one by one would only advance the time series
    /// to each in turn, and the run to the last: this does that at once
    /// and returns the last one's time, if it is within the horizon (else
    /// None, and the loop goes on). Not when hedging: a copy that lost
    /// its round without being cancelled stays awaited, so its slot's
    /// earlier timer queues the copy's when it comes due, past the last
    /// one queued now.
    fn only_stale_timers_left(&mut self) -> Option<SimTime> {
        if self.m.counts.open_requests() != 0 || self.hedge.is_some() {
            return None;
        }
        let last = self
            .queue
            .only_in(lane::TIMEOUT)
            .filter(|&t| t <= self.scenario.horizon)?;
        self.tick(last);
        Some(last)
    }

    /// Looks at the run's limits and at Ctrl-C (every [`CHECK_EVERY`]
    /// events, before event `now` is handled); true if the run stops, with
    /// the reason in `m.stop`. Kept out of line, so that the event loop is
    /// the same with limits as without.
    #[cold]
    #[inline(never)]
    pub(super) fn checkpoint(&mut self, now: SimTime) -> bool {
        let stop = self.limit_reached(now);
        self.m.stop = stop;
        stop.is_some()
    }

    /// The limit the run has reached at `now`, if any.
    pub(super) fn limit_reached(&mut self, now: SimTime) -> Option<Stop> {
        let limits = self.limits;
        let still = &mut self.still;
        if crate::interrupt::requested() {
            return Some(Stop::Interrupted);
        }
        let events = self.m.events;
        // Attempts beyond each request's first (retries): without
        // them, a clock that stands still is working through a finite
        // number of requests (a closed loop with no think time, say), not
        // spinning, so the stall starts again.
        let counts = &self.m.counts;
        let extra_attempts = counts.attempts.saturating_sub(counts.requests);
        let retried = extra_attempts != still.extra_attempts;
        still.extra_attempts = extra_attempts;
        if now != still.at || !retried {
            still.at = now;
            still.since = events;
        } else if limits
            .max_stall_events
            .is_some_and(|max| events - still.since > max)
        {
            // Checked before the budget: when both are reached at once,
            // a stalled clock is the better reason to give.
            return Some(Stop::Livelock {
                at: now,
                since: still.since,
            });
        }
        if limits.max_events.is_some_and(|max| events >= max) {
            return Some(Stop::Events { at: now });
        }
        if let Some(w) = limits.monitor {
            // Not at the start: the experiment looks between runs, at
            // most every few milliseconds, which costs less for small runs
            // (and the clients' state was asked of the monitor before it
            // was allocated). Then every 2^20 events, and whenever what
            // the run holds has grown by 16 MB, however few events that
            // took.
            let due = events > 0 && events.is_multiple_of(MEMORY_CHECK_EVERY);
            let held = self.footprint();
            let grown = held >= self.read_at.saturating_add(MEMORY_CHECK_GROWTH);
            if due || grown {
                self.read_at = held;
            }
            if ((due || grown) && w.check_memory()) || w.memory_exceeded() {
                return Some(Stop::Memory);
            }
            if w.should_stop(limits.index) {
                return Some(Stop::Abandoned);
            }
        }
        None
    }

    /// Bytes the run holds in what grows while it runs: request slots
    /// (and their request indices, kept with records), queued events,
    /// time-series rows and request records.
    pub(super) fn footprint(&self) -> u64 {
        let records = self.m.request_records.as_ref().map_or(0, Vec::len);
        (self.requests.len() * size_of::<Request>()
            + self.ids.len() * size_of::<u32>()
            + self.queue.entry_bytes()
            + self.m.series.rows.len() * size_of::<crate::metrics::run::SeriesRow>()
            + records * size_of::<RequestRecord>()) as u64
    }

    /// Asks the processor to fetch the slot of the request the next event
    /// is about while this one is handled: with a million clients and
    /// jittered retries, slots are touched in random order and each touch
    /// would otherwise wait for main memory.
    /// Below [`PREFETCH_MIN_SLOTS`] slots, which stay in cache, finding
    /// the next event would cost more than it saves. The loop asks only
    /// after an event that came out of the search: the zero-length steps
    /// that follow are about the same slot (an attempt's hop to the
    /// limiter, its answer), with the same next event, or come in the
    /// order their slots were taken (a burst's first attempts), which the
    /// processor's own prefetcher follows.
    pub(super) fn prefetch_next(&self) {
        if self.requests.len() < PREFETCH_MIN_SLOTS {
            return;
        }
        let Some(event) = self.queue.peek() else {
            return;
        };
        let Some(req) = event.request() else {
            return;
        };
        let Some(slot) = self.requests.get(req as usize) else {
            return;
        };
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch is only a hint; it reads and writes nothing
        // (and `slot` is a valid reference anyway).
        unsafe {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            _mm_prefetch::<_MM_HINT_T0>((slot as *const Request).cast());
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = slot;
    }
}
