//! The event loop: one run of one strategy against the modelled provider.
//!
//! [`simulate`] builds the world (workload, models, clients), pops events
//! in `(time, sequence)` order until the queue is empty or the next event
//! lies beyond the horizon, and returns the run's [`RunMetrics`].
//!
//! A request's life (see `docs/model.md` §2): the client sends an attempt
//! to a model (the main one, or the strategy's fallback after the failures
//! it names); after one network hop it reaches that model's endpoint
//! ([`crate::model::endpoint`]), which says what happens next: an answer
//! now, a service that ends at some time, a step of its own to take
//! later, or nothing yet. The engine schedules that, and counts what the
//! provider bills; it does not know what the provider's servers are or
//! how they fail. The answer takes one more hop back. If the client's
//! timeout fires first, the attempt is abandoned, and the endpoint is
//! told. After a failure the strategy retries after a delay or gives up.
//!
//! Memory does not grow with the number of requests: a request lives in a
//! slot that is reused once the request has ended and none of its attempts
//! is still on its way (an abandoned attempt the server is still working
//! on keeps its slot, since finishing it bills the request's tokens), and
//! a request keeps at most one timer in the queue, however many attempts it
//! sends. Per-request records are kept only when asked for
//! ([`simulate_with`]).
//!
//! A run can be held to limits ([`simulate_limited`]): an event budget,
//! the most events the clock may stand still for, and the memory
//! watchdog. They are looked at only every [`CHECK_EVERY`] events, with
//! Ctrl-C, so that the loop itself costs the same with them or without.

mod blocks;
mod client;
mod client_cpu;
mod client_state;
mod hedge;
mod provider;
pub mod queue;
mod run;
mod workload;

use crate::metrics::run::{AttemptOutcome, RequestOutcome, RequestRecord, RunMetrics, Stop};
use crate::model::endpoint::{
    Answer as Reply, Attempts, Effects, Endpoint, Next, Service, Step, Tokens,
};
use crate::model::network::Network;
use crate::model::server::{Handover, SlotState, Vacancy};
use crate::model::workload::{MAX_TOKENS_PER_REQUEST, TraceRow, WorkloadKind};
use crate::policy::client::{Attempt, RetryStack};
use crate::policy::guard::Gate;
use crate::policy::{Decision, Failure, InputGrowth, Strategy};
use crate::random::{Pcg64, RunSeeds};
use crate::scenario::Scenario;
use crate::time::{SimDuration, SimTime, nanos_from_f64, nanos_from_secs_f64};
pub use client_state::client_state_bytes;
use queue::{EventQueue, Passable};
use rand::RngExt;
use rand_distr::{Distribution, Exp};

/// What can happen. `req` is a request's slot; attempts are named by (slot,
/// attempt serial), the serial counting every attempt ever sent from the
/// slot (so it keeps growing when the slot is reused), so that a timer or a
/// response that belongs to an attempt the client has already given up on
/// is recognised and ignored. `model` is the index of the model an attempt
/// went to.
#[derive(Debug, Clone, Copy)]
enum Event {
    /// A burst or closed-loop client starts its next request.
    ClientStart { client: u32 },
    /// The next open-loop (Poisson) request arrives.
    Arrival,
    /// Trace row `row` starts its request.
    TraceStart { row: u32 },
    /// An attempt reaches its model's limiter.
    AtLimiter { req: u32, attempt: u32, model: u8 },
    /// The server finishes an attempt (`failed`: in an error).
    ServiceDone {
        req: u32,
        attempt: u32,
        model: u8,
        failed: bool,
    },
    /// An answer reaches the client.
    Reply {
        req: u32,
        attempt: u32,
        model: u8,
        reply: PackedReply,
    },
    /// The client's timer for an attempt fires.
    Timeout { req: u32, attempt: u32 },
    /// The backoff delay is over: send the next attempt (through the
    /// strategy's guards).
    Retry { req: u32 },
    /// The adaptive rate limiter's wait is over: send the attempt.
    Send { req: u32 },
    /// A timer of a model's provider fires.
    ProviderTimer { model: u8 },
    /// The hedge delay of the round whose first copy was `attempt` is
    /// over: another copy may go.
    Hedge { req: u32, attempt: u32 },
    /// A step a model's provider asked for is due.
    Provider {
        req: u32,
        attempt: u32,
        model: u8,
        step: Step,
    },
    /// The client's process has processed the answer to the current
    /// attempt (at `model`) of `req`, or its timeout (`answer` None); see
    /// `client_cpu.rs`.
    Processed {
        req: u32,
        model: u8,
        answer: Option<Reply>,
    },
}

/// An answer in two bytes, as [`Event::Reply`] carries it: a success
/// (wasted or not) 0 or 1, a 429 2 to 5 (by its limit), a 409 6, and a
/// server error its HTTP status itself (which is 100 or more: backsim's
/// servers answer 500, 503 and 529, a full leaky queue 503). With
/// it an event takes 12 bytes instead of 16.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PackedReply(u16);

impl PackedReply {
    #[inline(always)]
    fn new(reply: Reply) -> PackedReply {
        PackedReply(match reply {
            Reply::Success { wasted } => u16::from(wasted),
            Reply::RateLimited { limit } => 2 + limit as u16,
            Reply::Conflict => 6,
            Reply::ServerError { status } => {
                debug_assert!(status >= 100, "HTTP status {status}");
                status
            }
        })
    }

    #[inline(always)]
    fn get(self) -> Reply {
        match self.0 {
            0 | 1 => Reply::Success {
                wasted: self.0 == 1,
            },
            2..=5 => Reply::RateLimited {
                limit: crate::model::limiter::Limit::ALL[usize::from(self.0 - 2)],
            },
            6 => Reply::Conflict,
            status => Reply::ServerError { status },
        }
    }
}

/// The event queue's lanes (see [`queue::EventQueue`]): each takes events
/// that are scheduled a delay ahead that is often the same for all of them,
/// so that they arrive in time order. Others go to the queue's heap.
mod lane {
    /// Network hops: attempts on their way out, answers on their way back.
    pub const HOP: usize = 0;
    /// Services ending.
    pub const SERVICE: usize = 1;
    /// Client timeouts.
    pub const TIMEOUT: usize = 2;
    /// Clients starting requests (bursts, closed-loop think times).
    pub const CLIENT: usize = 3;
    /// Retries: the n-th retry in lane `RETRY + min(n, RETRIES - 1)`.
    pub const RETRY: usize = 4;
    pub const RETRIES: usize = 6;
    pub const COUNT: usize = RETRY + RETRIES;
}

/// An answer's hop back may be handled ahead of attempts' arrivals at
/// their limiter ([`World::step_at_once`]): an arrival touches the
/// limiter, the server and its own slot, and an answer, when the run's
/// answers are heard alone ([`answers_may_pass`]), its own slot and
/// counts that add up in any order. Handling an arrival takes at most
/// [`queue::PER_PASSED`] sequence numbers on the plain path: one for its
/// answer's hop or its service's end, one for a service that a freed
/// server slot starts.
impl Passable for Event {
    #[inline(always)]
    fn passable(&self) -> bool {
        matches!(self, Event::AtLimiter { .. })
    }
}

impl Event {
    /// The request slot the event is about, if any.
    fn request(self) -> Option<u32> {
        match self {
            Event::AtLimiter { req, .. }
            | Event::ServiceDone { req, .. }
            | Event::Reply { req, .. }
            | Event::Timeout { req, .. }
            | Event::Retry { req }
            | Event::Send { req }
            | Event::Provider { req, .. }
            | Event::Processed { req, .. }
            | Event::Hedge { req, .. } => Some(req),
            Event::ClientStart { .. }
            | Event::Arrival
            | Event::TraceStart { .. }
            | Event::ProviderTimer { .. } => None,
        }
    }
}

/// A request slot: the request in progress (or ended, while attempts of it
/// are still on their way), and what the slot keeps across requests. A run
/// holds one per request in progress, so it is kept small: what only some
/// runs need lives beside the slots, in [`SlotColumn`]s.
///
/// Aligned to 64 bytes, its size, so that each slot is one cache line:
/// with a million clients and jittered retries slots are touched in
/// random order, and a slot across two lines would cost two misses (and
/// the engine's prefetch fetches one line). The price: the slots' vector,
/// over-aligned, grows by a copy where the allocator could have moved its
/// pages, which happens only past the 2^20 slots a run reserves (the
/// 10⁷-client burst copies about 1 GB in all and measured no slower, at
/// the same peak memory).
#[repr(align(64))]
struct Request {
    created: SimTime,
    client: u32,
    /// The first attempt's input tokens (a strategy's retries may grow
    /// them: [`World::slot_view`]). At most `MAX_TOKENS_PER_REQUEST`,
    /// which fits.
    input_tokens: u32,
    /// Output tokens the server generates (already limited by max_tokens).
    output_tokens: u32,
    /// Attempts sent so far.
    attempts: u32,
    /// The model of the current attempt.
    model: u8,
    /// The current attempt is still awaiting its outcome.
    outstanding: bool,
    /// The request has not ended (succeeded or given up).
    live: bool,
    /// [`Request::ON_FALLBACK`] and [`Request::TIMER_QUEUED`]: two flags
    /// in one byte, which keeps the slot at 64 bytes.
    flags: u8,
    /// The current attempt's timeout: when it fires and its reserved queue
    /// sequence number (unused without timeouts).
    timer: (SimTime, u64),
    // Kept across the slot's requests:
    /// Serial of the last attempt sent from the slot (see [`Event`]).
    serial: u32,
    /// Attempts of the slot still on their way: sent, at the limiter, in
    /// a server's queue or service, or answered and travelling back. The
    /// slot is reused only when this is zero and the request has ended.
    in_transit: u32,
    /// The slot's timer in the queue, when [`Request::TIMER_QUEUED`] is
    /// set: its attempt's serial and its time ([`Request::queued_timer`]).
    queued_serial: u32,
    queued_at: SimTime,
}

impl Request {
    /// Flag: a failure has sent the request to the strategy's fallback
    /// model.
    const ON_FALLBACK: u8 = 1;
    /// Flag: the slot has a timer in the queue (kept across the slot's
    /// requests).
    const TIMER_QUEUED: u8 = 2;

    fn on_fallback(&self) -> bool {
        self.flags & Self::ON_FALLBACK != 0
    }

    /// The slot's timer in the queue, if any: (attempt serial, time). A
    /// request's timers never go back in time, so later attempts' timers
    /// wait behind it and are queued when it fires.
    fn queued_timer(&self) -> Option<(u32, SimTime)> {
        (self.flags & Self::TIMER_QUEUED != 0).then_some((self.queued_serial, self.queued_at))
    }

    fn set_queued_timer(&mut self, timer: Option<(u32, SimTime)>) {
        match timer {
            Some((serial, at)) => {
                self.flags |= Self::TIMER_QUEUED;
                (self.queued_serial, self.queued_at) = (serial, at);
            }
            None => self.flags &= !Self::TIMER_QUEUED,
        }
    }

    /// A slot for a new request (or a hedge's copy) that takes over what
    /// `old`, the slot's last request if any, keeps across requests.
    fn kept_from(old: Option<&Request>) -> Request {
        Request {
            created: 0,
            client: 0,
            input_tokens: 0,
            output_tokens: 0,
            attempts: 0,
            model: 0,
            outstanding: false,
            live: true,
            flags: old.map_or(0, |r| r.flags & Self::TIMER_QUEUED),
            timer: (0, 0),
            serial: old.map_or(0, |r| r.serial),
            in_transit: 0,
            queued_serial: old.map_or(0, |r| r.queued_serial),
            queued_at: old.map_or(0, |r| r.queued_at),
        }
    }
}

/// The clients' first requests, queued one at a time: the next to start is
/// the only one in the queue, under the sequence number it would have had
/// if all had been queued at once (client `c`'s is `seq0 + c`), so events
/// pop in the same order without a queue entry per client.
#[derive(Default)]
struct FirstStarts {
    /// Clients in order of (start time, client); `None`: all start at 0,
    /// in client order.
    order: Option<Vec<u32>>,
    /// Position in that order of the next to queue.
    next: u32,
    seq0: u64,
}

/// Request slots from which the engine prefetches the next event's slot
/// (about 4.5 MB of them: more than a core's share of cache).
const PREFETCH_MIN_SLOTS: usize = 1 << 16;

/// The world of one run. `FULL` is the full path, with the hooks of
/// request records, client processing, hedging, stacked retry layers and
/// input growth; without it (the plain path, chosen once per run by
/// [`uses_extras`]) those hooks are compiled out, so that features a run
/// does not use cost it nothing per event.
struct World<'a, const FULL: bool, const PASS: bool> {
    scenario: &'a Scenario,
    seeds: RunSeeds,
    rng: Pcg64,
    workload_rng: Pcg64,
    queue: EventQueue<Event>,
    /// The main model first, then the scenario's `[[model]]`s.
    endpoints: Vec<Endpoint<'a>>,
    /// Request slots, indexed by `req`.
    requests: Vec<Request>,
    /// Each slot's request's index in creation order (its record's
    /// index), only when request records are kept.
    ids: Vec<u32>,
    // Beside the slots, for the runs that need them:
    /// What the models' servers keep per request.
    provider_slots: SlotState,
    /// Slots free for the next request, reused last freed first.
    free: Vec<u32>,
    /// Requests started per client (closed loop).
    started: Vec<u32>,
    /// The clients' first requests (bursts and closed loops), not yet
    /// started.
    first_starts: FirstStarts,
    /// Open-loop arrivals so far.
    arrivals: u64,
    arrival_gap: Option<Exp<f64>>,
    /// Every request's (input, output) tokens, when the workload fixes
    /// both: worked out once, not at every request
    /// ([`World::draw_tokens`]).
    fixed_tokens: Option<(u64, u64)>,
    /// The network between clients and models.
    network: Network<'a>,
    /// The clients' retry behaviour, with its per-client and per-slot
    /// state.
    policy: RetryStack<'a>,
    /// How the strategy's retries grow a request's input, if they do.
    growth: Option<InputGrowth>,
    /// The client processes, when clients take time to process what they
    /// hear (`client_cpu.rs`).
    cpu: Option<client_cpu::ClientCpu<'a>>,
    /// Hedged requests, when the strategy sends them.
    hedge: Option<hedge::Hedging<'a>>,
    /// What the run is held to, looked at every [`CHECK_EVERY`] events.
    limits: RunLimits<'a>,
    /// For the livelock check: the clock at the checkpoint where the
    /// current stall began, the events processed by then, and the attempts
    /// beyond each request's first at the last checkpoint.
    still: Stall,
    m: RunMetrics,
    /// What the run held ([`World::footprint`]) when it last read the
    /// resident memory.
    read_at: u64,
}

/// Runs strategy `strategy` of `scenario` with the given seeds. Memory is
/// bounded by the clients and the requests in progress, not by the number
/// of requests.
pub fn simulate(scenario: &Scenario, strategy: usize, seeds: RunSeeds) -> RunMetrics {
    simulate_with(scenario, strategy, seeds, false)
}

/// [`simulate`], also keeping one [`RequestRecord`] per request in
/// [`RunMetrics::request_records`] (in creation order) when
/// `record_requests` is set; that list grows with the number of requests.
/// Everything else is the same as without it.
pub fn simulate_with(
    scenario: &Scenario,
    strategy: usize,
    seeds: RunSeeds,
    record_requests: bool,
) -> RunMetrics {
    simulate_limited(
        scenario,
        strategy,
        seeds,
        record_requests,
        &RunLimits::default(),
    )
}

/// Where the simulated clock began to stand still; see
/// [`RunLimits::max_stall_events`].
#[derive(Debug, Clone, Copy)]
struct Stall {
    at: SimTime,
    since: u64,
    extra_attempts: u64,
}

/// The engine's checkpoint: every this many events a run looks at its
/// limits (and at Ctrl-C). Budgets are therefore rounded up to a multiple
/// of it.
pub const CHECK_EVERY: u64 = 1 << 16;

/// Every this many events a run reads the process's resident memory
/// (about 30 ms of one core; a read of /proc/self/status took 13 µs on
/// a 2-core Linux machine, so this costs 0.05% at most).
pub const MEMORY_CHECK_EVERY: u64 = 1 << 20;

/// A run also reads the resident memory at a checkpoint once what it holds
/// (request slots, queued events, time series, request records) has grown
/// by this much since it last did, however few events that took.
pub const MEMORY_CHECK_GROWTH: u64 = 16 << 20;

/// What watches a run from outside while it runs, shared by the runs of
/// an experiment: the memory watchdog, and whether an earlier run (in the
/// experiment's fixed order) has stopped so that this one's result would
/// not be used. Asked before the run allocates its clients' state and then
/// only at checkpoints (every [`CHECK_EVERY`] events), never per event.
pub trait Monitor: std::fmt::Debug + Sync {
    /// Before the run allocates `bytes` for its clients' state: whether
    /// it may. If not, the run stops at once ([`Stop::Memory`]).
    fn reserve(&self, bytes: u64) -> bool;
    /// The bytes [`Monitor::reserve`] allowed are allocated (and so in the
    /// resident memory) or no longer needed.
    fn release(&self, bytes: u64);
    /// Reads the process's memory now; true if it is over the limit (or
    /// was before).
    fn check_memory(&self) -> bool;
    /// Whether memory has been seen over the limit, without reading it.
    fn memory_exceeded(&self) -> bool;
    /// Whether the run with place `index` in the fixed order should stop
    /// now ([`Stop::Abandoned`] unless memory is the reason).
    fn should_stop(&self, index: u64) -> bool;
}

/// What a run is held to besides its horizon, all looked at every
/// [`CHECK_EVERY`] events (with Ctrl-C), so that the event loop itself
/// does not slow down. The default holds it to nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunLimits<'a> {
    /// Most events the run may process: it stops at the first checkpoint
    /// at or past it ([`Stop::Events`]), so this is in effect rounded up
    /// to a multiple of [`CHECK_EVERY`].
    pub max_events: Option<u64>,
    /// Most events the clock may stand still for while requests are
    /// retried: when the simulated time is the same at two checkpoints
    /// more than this many events apart (time never goes back, so it stood
    /// still in between), and some request made another attempt between
    /// every two checkpoints in that span, the run stops as a livelock
    /// ([`Stop::Livelock`]). A stall with no retries works through the
    /// workload's finite requests and is never stopped.
    pub max_stall_events: Option<u64>,
    /// Shared with the experiment's other runs: the memory watchdog (read
    /// every [`MEMORY_CHECK_EVERY`] events) and the runs before this one
    /// that stopped ([`Stop::Memory`], [`Stop::Abandoned`]).
    pub monitor: Option<&'a dyn Monitor>,
    /// The run's place in the experiment's fixed order, as the monitor
    /// knows it.
    pub index: u64,
}

/// [`simulate_with`] held to `limits`: a run that reaches one stops early,
/// with the reason in [`RunMetrics::stop`] (its numbers then cover only
/// what happened before). Without limits the run is exactly as
/// [`simulate_with`]'s; with them it is too, up to the stop.
pub fn simulate_limited(
    scenario: &Scenario,
    strategy: usize,
    seeds: RunSeeds,
    record_requests: bool,
    limits: &RunLimits,
) -> RunMetrics {
    let strategy = &scenario.strategies[strategy];
    // What the run allocates for its clients before its first event is
    // asked of the monitor first, and allocated only if the system gives
    // it: gigabytes of guard state must not go past the limit on several
    // threads at once, nor abort the process.
    let reserved = client_state_bytes(scenario, strategy);
    let stopped = |stop: Stop| {
        let r = &scenario.report;
        let mut m = RunMetrics::new(r.bucket, r.peak_window, 1 + scenario.models.len());
        m.stop = Some(stop);
        m
    };
    if limits.monitor.is_some_and(|w| !w.reserve(reserved)) {
        return stopped(Stop::Memory);
    }
    let release = || {
        if let Some(w) = limits.monitor {
            w.release(reserved);
        }
    };
    // Chosen once per run: the plain path is compiled without the hooks
    // of the features it does not use.
    let m = if uses_extras(scenario, strategy, record_requests) {
        run_world::<true, false>(scenario, strategy, seeds, record_requests, limits, &release)
    } else if answers_may_pass(scenario, strategy) {
        run_world::<false, true>(scenario, strategy, seeds, record_requests, limits, &release)
    } else {
        run_world::<false, false>(scenario, strategy, seeds, record_requests, limits, &release)
    };
    m.unwrap_or_else(|| stopped(Stop::NoMemory { bytes: reserved }))
}

/// True if a run of `strategy` needs the engine's full path: it keeps
/// request records, its clients take processing time, or the strategy
/// hedges, stacks retry layers or grows its retries' input. Every other
/// run takes the plain path, which leaves those hooks out.
fn uses_extras(scenario: &Scenario, strategy: &Strategy, record_requests: bool) -> bool {
    record_requests
        || scenario.client_processing.is_some()
        || strategy.hedge.is_some()
        || !strategy.inner.is_empty()
        || !strategy.input_growth.is_off()
}

/// True if a run of `strategy` on the plain path may let answers pass
/// arrivals at the limiter ([`World::step_at_once`]): its answers are
/// heard alone (one retry layer, no guards, a backoff that draws
/// nothing), its hops draw nothing (an answer may send the next attempt
/// at once, whose hop would otherwise draw ahead of the passed
/// arrivals' draws), and no model drops attempts whose client hung up.
fn answers_may_pass(scenario: &Scenario, strategy: &Strategy) -> bool {
    strategy.inner.is_empty()
        && strategy.guards.is_empty()
        && !strategy.backoff.is_jittered()
        && scenario.network_one_way.constant().is_some()
        && !scenario.server.cancel_on_disconnect
        && scenario
            .models
            .iter()
            .all(|m| !m.server.cancel_on_disconnect)
}

/// Builds and runs the world of one run on the full path (`FULL`) or the
/// plain one; None if the system does not give the memory for its
/// clients' state. `release` gives back what the caller reserved for
/// that state, once it is allocated and written to (or not given).
fn run_world<const FULL: bool, const PASS: bool>(
    scenario: &Scenario,
    strategy: &Strategy,
    seeds: RunSeeds,
    record_requests: bool,
    limits: &RunLimits,
    release: &dyn Fn(),
) -> Option<RunMetrics> {
    let Some(mut world) = World::<FULL, PASS>::new(scenario, strategy, seeds) else {
        release();
        return None;
    };
    if record_requests {
        world.m.request_records = Some(Vec::new());
    }
    world.limits = *limits;
    let scheduled = world.schedule_workload();
    // Allocated and written to: in the resident memory from here on.
    release();
    scheduled?;
    world.run();
    Some(world.into_metrics())
}

/// Bytes a request certainly takes while its first attempt is on its way:
/// its slot, the values the run keeps beside slots for this scenario and
/// strategy, and its queued events (the attempt, and its timer when it has
/// one). The memory estimate counts this for every client of a burst
/// that starts all at once.
pub(crate) fn first_attempt_bytes(scenario: &Scenario, strategy: &Strategy) -> u64 {
    // The attempt and its timer are each at least a lane's entry.
    let entry = EventQueue::<Event>::LANE_ENTRY_BYTES;
    let models =
        || std::iter::once(&scenario.server).chain(scenario.models.iter().map(|m| &m.server));
    let column = |kept: bool, bytes: usize| if kept { bytes } else { 0 };
    let timer = strategy
        .attempt_timeout(1)
        .or(scenario.client_timeout)
        .is_some()
        || strategy.deadline.is_some();
    let bytes = size_of::<Request>()
        + entry
        + column(timer, entry)
        + SlotState::bytes_per_slot(models())
        + RetryStack::slot_bytes(strategy)
        + hedge::Hedging::bytes_per_slot(strategy);
    bytes as u64
}

impl<'a, const FULL: bool, const PASS: bool> World<'a, FULL, PASS> {
    /// Handles `event`, taken out of the queue at `now`. Inlined into the
    /// event loop, its one caller: the steps taken at once go to handlers
    /// of their own ([`World::step_at_once`]), so that nothing calls this
    /// from within it (reference herd: linear 2.6% fewer instructions and
    /// 0.98× the time, full jitter 1.2% fewer).
    #[inline(always)]
    fn handle(&mut self, now: SimTime, event: Event) {
        #[cfg(test)]
        tests::trace(now, event);
        match event {
            Event::ClientStart { client } => {
                let seq = match self.started.get_mut(client as usize) {
                    Some(n) => {
                        *n += 1;
                        *n - 1
                    }
                    None => 0,
                };
                if seq == 0 {
                    self.queue_first_start();
                }
                let key = request_key(client, seq);
                let (input, output) = self.draw_tokens(key);
                self.new_request(now, client, input, output, true);
            }
            Event::Arrival => {
                let key = self.arrivals;
                // The client comes from the request's own draws, so the
                // arrival times do not depend on the number of clients.
                let client = self
                    .seeds
                    .request_rng(key, 2)
                    .random_range(0..self.scenario.workload.clients);
                self.arrivals += 1;
                let (input, output) = self.draw_tokens(key);
                self.new_request(now, client, input, output, false);
                self.schedule_next_arrival(now);
            }
            Event::TraceStart { row } => {
                let r = self.trace()[row as usize];
                let client = row % self.scenario.workload.clients;
                let output = self.cut_to_max_tokens(r.output_tokens);
                self.new_request(now, client, r.input_tokens, output, false);
                self.schedule_trace_row(row + 1);
            }
            Event::AtLimiter {
                req,
                attempt,
                model,
            } => self.at_limiter(now, req, attempt, model),
            Event::ServiceDone {
                req,
                attempt,
                model,
                failed,
            } => self.service_done(now, req, attempt, model, failed),
            Event::Reply {
                req,
                attempt,
                model,
                reply,
            } => self.reply(now, req, attempt, model, reply.get()),
            // Only timers that fire get here (see `World::stale_timer`).
            Event::Timeout { req, attempt } => {
                self.m.touch(now);
                let model = self.requests[req as usize].model;
                if FULL && self.cpu.is_some() {
                    // Abandoned now; the policy hears of it once the
                    // client's process gets to it.
                    self.requests[req as usize].outstanding = false;
                    self.disconnect(now, req, attempt, model);
                    self.process_later(now, req, model, None);
                    return;
                }
                self.m
                    .attempt_resolved(AttemptOutcome::Timeout, usize::from(model));
                self.requests[req as usize].outstanding = false;
                // A hedged round fails only with its last copy.
                let round = self.copy_failed(req);
                if let Some(owner) = round {
                    self.observe(now, owner, Some(Failure::Timeout));
                }
                self.disconnect(now, req, attempt, model);
                if let Some(owner) = round {
                    self.failed(now, owner, Failure::Timeout);
                }
            }
            Event::Retry { req } => {
                self.m.touch(now);
                self.try_send(now, req, true);
            }
            Event::Provider {
                req,
                attempt,
                model,
                step,
            } => self.provider_step(now, req, attempt, model, step),
            Event::ProviderTimer { model } => self.provider_timer(now, model),
            Event::Send { req } => self.waited(now, req),
            Event::Processed { req, model, answer } => self.processed(now, req, model, answer),
            Event::Hedge { req, attempt } => self.hedge_due(now, req, attempt),
        }
    }

    /// True if `event`, due `now`, is a client timer that does not fire.
    /// Most timers are stale when they come due: the attempt was answered,
    /// often the request has ended. Such a timer is not an event: the loop
    /// skips it (it is not handled, not counted in `m.events` and never
    /// reaches a checkpoint) once [`World::timer_fires`] has done what it
    /// does to the slot's timer bookkeeping. Its only traces in the run's
    /// outputs stay as they were when it was handled as an event: the
    /// time series is advanced to it here (so that every bucket closes at
    /// the same point of the run), and the loop takes its time as the
    /// time the run got to.
    #[inline(always)]
    fn stale_timer(&mut self, now: SimTime, event: Event) -> bool {
        match event {
            Event::Timeout { req, attempt } => self.timer_is_stale(now, req, attempt),
            _ => false,
        }
    }

    /// [`World::stale_timer`] for a timer; kept out of the event loop.
    #[inline(never)]
    fn timer_is_stale(&mut self, now: SimTime, req: u32, attempt: u32) -> bool {
        if self.timer_fires(req, attempt) {
            return false;
        }
        self.tick(now);
        true
    }

    /// Moves the time series up to `now`, with the main limiter's request
    /// bucket.
    #[inline(always)]
    fn tick(&mut self, now: SimTime) {
        self.m.tick(now, self.endpoints[0].limiter.requests());
    }

    /// Whether the timer of `attempt` of `req`, due now, fires: it is the
    /// slot's queued timer and the attempt is still the request's current
    /// one, awaiting its outcome (and not a hedge's lost copy). When it is
    /// the slot's queued timer for an earlier attempt while the current
    /// one awaits its outcome, the current attempt's timer takes its place
    /// in the queue, under the sequence number reserved when that attempt
    /// was sent.
    fn timer_fires(&mut self, req: u32, attempt: u32) -> bool {
        let r = &mut self.requests[req as usize];
        if r.queued_timer().is_none_or(|(a, _)| a != attempt) {
            return false; // superseded by an earlier timer (not expected)
        }
        r.set_queued_timer(None);
        if r.outstanding && r.serial != attempt {
            // An earlier attempt's timer: the current attempt's takes its
            // place in the queue.
            let (at, seq) = r.timer;
            r.set_queued_timer(Some((r.serial, at)));
            let attempt = r.serial;
            self.queue
                .push_reserved_in(lane::TIMEOUT, at, seq, Event::Timeout { req, attempt });
            return false;
        }
        self.is_current(req, attempt) && !self.lost(req)
    }

    /// True if `attempt` is the request's current attempt and still awaits
    /// its outcome.
    fn is_current(&self, req: u32, attempt: u32) -> bool {
        let r = &self.requests[req as usize];
        r.outstanding && r.serial == attempt
    }

    /// Handles `event`, a step of 0 ms (an attempt's hop to the limiter,
    /// or its answer's hop back) that the event being handled set off as
    /// the last thing it does (`last`), at once instead of queueing it,
    /// when that changes nothing in the run. Only on the plain path, and
    /// never where the event loop looks at the run's limits (when the
    /// count of events is a multiple of [`CHECK_EVERY`]). False if the
    /// step is to be queued. It is counted as an event and takes a
    /// sequence number as a queued one does; the loop's other work for an
    /// event is nothing for it (it is no client timer, and the time series
    /// was advanced to this time for the event that set it off).
    ///
    /// - **It is next anyway:** nothing else is queued for the current
    ///   time. Then the run is exactly the run with the step queued. This
    ///   saves the queue's push and pop and a turn of the loop for each
    ///   hop of an attempt answered at once (a 429 with hops of 0 ms):
    ///   0.9× the time of full jitter on the reference herd.
    /// - **An answer passes arrivals:** when a wave of attempts reaches
    ///   the limiter at one instant (retries on a fixed or linear backoff,
    ///   all due together), each arrival's answer would wait for the
    ///   wave's other arrivals. It is handled at once when nothing but
    ///   arrivals at the limiter is due now and the run's answers are heard
    ///   alone ([`answers_may_pass`]): the two touch different state and
    ///   do not both draw from the run's generator, so either order leaves
    ///   the same state. The queue sets aside the sequence numbers the
    ///   passed arrivals will take ([`EventQueue::pass`]), so that every
    ///   event pushed keeps its order.
    ///
    /// Each hop goes straight to its own handler ([`World::limiter_hop`],
    /// [`World::answer_hop`]), not through [`World::handle`]'s match on
    /// the event, whose one jump would take the kinds of an attempt's
    /// steps in turn (its send, its arrival, its answer), a jump the
    /// processor often guesses wrong: 0.97× the time of full jitter. Only
    /// these two hops are taken at once.
    #[inline(always)]
    fn step_at_once(&mut self, now: SimTime, event: Event, last: bool) -> bool {
        if FULL
            || !matches!(event, Event::AtLimiter { .. } | Event::Reply { .. })
            || !last
            || self.m.events.is_multiple_of(CHECK_EVERY)
        {
            return false;
        }
        // While a passed arrival is handled (the queue counts from the set
        // aside numbers) its answer is due either way, and passes.
        let passes = if PASS && matches!(event, Event::Reply { .. }) && self.queue.may_pass() {
            true
        } else if self.queue.nothing_due_now() {
            false
        } else {
            return false;
        };
        #[cfg(test)]
        {
            if tests::QUEUE_EVERY_STEP.get() {
                return false;
            }
            tests::STEPS_AT_ONCE.set(tests::STEPS_AT_ONCE.get() + 1);
            tests::STEPS_PASSING.set(tests::STEPS_PASSING.get() + u64::from(passes));
        }
        // The number it would have been queued under, as the event that
        // set it off takes it.
        self.queue.reserve();
        self.m.events += 1;
        if passes {
            self.queue.pass();
        }
        #[cfg(test)]
        tests::trace(now, event);
        match event {
            Event::AtLimiter {
                req,
                attempt,
                model,
            } => self.limiter_hop(now, req, attempt, model),
            Event::Reply {
                req,
                attempt,
                model,
                reply,
            } => self.answer_hop(now, req, attempt, model, reply.get()),
            _ => unreachable!("only hops are taken at once"),
        }
        true
    }

    /// Sends `event` one network hop on from `now` (an attempt to its
    /// limiter, an answer back to its client): taken at once when the hop
    /// is 0 ms and [`World::step_at_once`] lets it (`last`: nothing
    /// follows this call in its event's handling), else queued in the
    /// hops' lane.
    #[inline(always)]
    fn over_the_network(&mut self, now: SimTime, event: Event, last: bool) {
        let at = now.saturating_add(self.network.hop(&mut self.rng));
        if at == now && self.step_at_once(now, event, last) {
            return;
        }
        self.queue.push_in(lane::HOP, at, event);
    }

    /// The request slots, as the provider may ask about them.
    fn slot_view(&self) -> SlotView<'_> {
        SlotView(&self.requests, Self::growth_of(self.growth))
    }

    /// How retries grow inputs, as the run's path sees it: never on the
    /// plain path (see [`World`]).
    #[inline(always)]
    fn growth_of(growth: Option<InputGrowth>) -> Option<InputGrowth> {
        if FULL { growth } else { None }
    }
}

/// The request slots, as the provider may ask about them, and how the
/// strategy's retries grow a request's input.
struct SlotView<'r>(&'r [Request], Option<InputGrowth>);

impl Attempts for SlotView<'_> {
    #[inline]
    fn waiting(&self, req: u32, attempt: u32) -> bool {
        let r = &self.0[req as usize];
        r.outstanding && r.serial == attempt
    }

    #[inline]
    fn tokens(&self, req: u32, attempt: u32) -> Tokens {
        let r = &self.0[req as usize];
        let first = u64::from(r.input_tokens);
        let input = match self.1 {
            None => first,
            // An attempt still on its way belongs to the slot's request
            // (a slot is reused only when none is): counted back from the
            // last one sent, it is the request's attempt number
            // `attempts − (serial − attempt)`.
            Some(g) => {
                let number = r.attempts.wrapping_sub(r.serial.wrapping_sub(attempt));
                g.input(first, number, MAX_TOKENS_PER_REQUEST)
            }
        };
        Tokens {
            input,
            output: u64::from(r.output_tokens),
        }
    }
}

/// The key of a client's `seq`-th request, the same under every strategy.
fn request_key(client: u32, seq: u32) -> u64 {
    (u64::from(client) << 32) | u64::from(seq)
}

/// A drawn token count as a whole number of tokens.
fn tokens(x: f64) -> u64 {
    nanos_from_f64(x).min(MAX_TOKENS_PER_REQUEST)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::NANOS_PER_SEC as S;
    use std::cell::Cell;

    thread_local! {
        /// Steps of 0 ms are all queued ([`World::step_at_once`] says no).
        pub(super) static QUEUE_EVERY_STEP: Cell<bool> = const { Cell::new(false) };
        /// Steps of 0 ms taken at once on this thread.
        pub(super) static STEPS_AT_ONCE: Cell<u64> = const { Cell::new(0) };
        /// Of those, answers that passed arrivals at the limiter.
        pub(super) static STEPS_PASSING: Cell<u64> = const { Cell::new(0) };
        /// The events handled on this thread, in order, while Some.
        pub(super) static TRACE: std::cell::RefCell<Option<Vec<(SimTime, Event)>>> =
            const { std::cell::RefCell::new(None) };
    }

    /// Notes `event`, handled at `now`, in [`TRACE`] if it is kept.
    pub(super) fn trace(now: SimTime, event: Event) {
        TRACE.with_borrow_mut(|t| {
            if let Some(t) = t {
                t.push((now, event));
            }
        });
    }

    /// Taking steps of 0 ms at once changes nothing in any run: each
    /// strategy of these scenarios is run with them queued and taken at
    /// once, and every metric of the two runs compared. The scenarios set
    /// events for one instant against each other, where the order of
    /// events (by sequence number) decides what happens: a trace of a
    /// request a second against a limiter that admits one every two
    /// seconds, whose rejected requests' retries come due with the next
    /// row (which its row queues after sending its attempt: taken at once
    /// there, the retry is queued first and takes the token); a closed
    /// loop whose clients think as long as a service takes, against one
    /// server slot and its queue; the same with server errors and a
    /// jittered backoff, where the freed slot's handover (which draws the
    /// next service's failure) and the retry of the answer before it (which
    /// draws its delay) take turns at the run's generator; client timeouts,
    /// server errors, Retry-After and a bounded queue; an adaptive throttle
    /// whose waits end in sends; and the reference herd, then held to
    /// budgets of events. Each of these fails the test when dropped
    /// (checked): the check that nothing else is due now, a trace row's
    /// `last`, the freed slot's handover in `apply`, and the checkpoint's.
    /// An open-loop arrival's `last` keeps the order exact by
    /// construction, but only a tie to the nanosecond between the next
    /// arrival and another event could show it.
    #[test]
    fn steps_of_0_ms_taken_at_once_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let trace = dir.path().join("t.csv");
        let rows: String = (0..20).map(|t| format!("{t},1000,500\n")).collect();
        std::fs::write(&trace, format!("t_s,input_tokens,output_tokens\n{rows}")).unwrap();
        // The reference herd (both strategies), with 300 clients.
        let reference = include_str!("../../scenarios/thundering-herd.toml");
        let herd = reference.replace("clients = 1000 ", "clients = 300 ");
        assert_ne!(herd, reference);
        let next_second = format!(
            r#"
            name = "t"
            seed = 3
            [workload]
            kind = "trace"
            file = "{}"
            clients = 40
            [limiter]
            requests_per_minute = 30
            request_burst = 1
            [server]
            latency = "300ms"
            [[strategy]]
            name = "linear"
            backoff = {{ kind = "linear", base = "1s" }}
            max_attempts = 4
            "#,
            trace.display()
        );
        let handed_over = r#"
            name = "t"
            seed = 3
            [workload]
            kind = "closed"
            clients = 3
            requests_per_client = 6
            think_time = "1s"
            [limiter]
            requests_per_minute = 6000
            request_burst = 2
            [server]
            concurrency = 1
            latency = "1s"
            error_rate = 0.3
            [[strategy]]
            name = "constant"
            backoff = { kind = "constant", base = "1s" }
            max_attempts = 3
        "#
        .to_string();
        // One slot whose handover draws a service's failure from the run's
        // generator, from which a jittered retry of the answer before it
        // draws too.
        let jittered_handover = r#"
            name = "t"
            seed = 5
            horizon = "5m"
            [workload]
            kind = "closed"
            clients = 6
            requests_per_client = 20
            think_time = "500ms"
            [limiter]
            requests_per_minute = 6000
            request_burst = 10
            [server]
            concurrency = 1
            latency = "1s"
            error_rate = 0.4
            [[strategy]]
            name = "full-jitter"
            backoff = { kind = "full_jitter", base = "1s", cap = "8s" }
            max_attempts = 4
        "#
        .to_string();
        let storm = r#"
            name = "t"
            seed = 3
            [workload]
            kind = "poisson"
            clients = 50
            rate_per_s = 8.0
            duration = "1m"
            [limiter]
            requests_per_minute = 240
            request_burst = 3
            retry_after = "seconds"
            [server]
            concurrency = 2
            latency = "1s"
            errors = { "503" = 0.2 }
            queue_limit = 4
            [client]
            timeout = "1500ms"
            [[strategy]]
            name = "honours"
            backoff = { kind = "exponential", base = "1s", cap = "8s" }
            max_attempts = 4
            honor_retry_after = true
            [[strategy]]
            name = "adaptive"
            backoff = { kind = "full_jitter", base = "500ms", cap = "8s" }
            max_attempts = 4
            throttle = { kind = "aws_adaptive" }
        "#
        .to_string();
        // Answers passing arrivals at the limiter: retries due with the
        // service ends of attempts admitted after them (200 ms both: a
        // token limit admits small requests among rejected large ones),
        // retries at once, and a closed loop whose next requests start
        // at once.
        let tied = r#"
            name = "t"
            seed = 3
            [workload]
            kind = "burst"
            clients = 300
            [workload.tokens]
            input = { dist = "lognormal", median = 800, sigma = 1.0 }
            output = 100
            [limiter]
            requests_per_minute = 6000
            request_burst = 50
            tokens_per_minute = 30000
            [server]
            latency = "200ms"
            [[strategy]]
            name = "tied"
            backoff = { kind = "constant", base = "200ms" }
            max_attempts = 5
            honor_retry_after = false
            [[strategy]]
            name = "at once"
            backoff = { kind = "none" }
            max_attempts = 3
        "#
        .to_string();
        let restart = r#"
            name = "t"
            seed = 3
            [workload]
            kind = "closed"
            clients = 50
            requests_per_client = 4
            think_time = "0s"
            [limiter]
            requests_per_minute = 600
            request_burst = 5
            [server]
            latency = "1s"
            [[strategy]]
            name = "constant"
            backoff = { kind = "constant", base = "1s" }
            max_attempts = 3
        "#
        .to_string();
        let cases = [
            ("tied", tied),
            ("restart", restart),
            ("herd", herd),
            ("next second", next_second),
            ("handed over", handed_over),
            ("jittered handover", jittered_handover),
            ("storm", storm),
        ];
        let (mut taken, mut passing) = (0, 0);
        for (case, src) in cases {
            taken += same_with_steps_at_once(case, &src, &RunLimits::default(), &mut passing);
        }
        // 632 in the herd's full jitter (none in its linear backoff, whose
        // retries all come due together), 3,098 and 3,376 in the storm.
        assert!(taken > 5_000, "{taken} steps taken at once");
        // 811 in the tied burst, 45 in the closed loop, 750 in the herd's
        // linear backoff, 58 in the trace, 1,712 in the storm (counted by
        // the test itself: a floor that fails if answers stop passing).
        assert!(passing > 2_000, "{passing} answers passed arrivals");
        // A run held to a budget of events stops at the same checkpoint:
        // no step is taken at once where the loop looks at the limits.
        // 10^4 clients' full jitter takes some 130,000 events; each
        // budget stops it at another checkpoint.
        let big_herd = reference.replace("clients = 1000 ", "clients = 10000 ");
        for checkpoints in 1..=3 {
            let limits = RunLimits {
                max_events: Some(checkpoints * CHECK_EVERY),
                ..RunLimits::default()
            };
            same_with_steps_at_once("held to a budget", &big_herd, &limits, &mut passing);
        }
    }

    /// Runs each strategy of the scenario `src` held to `limits`, with
    /// steps of 0 ms queued and taken at once, and checks that every
    /// metric is the same; returns the steps taken at once.
    fn same_with_steps_at_once(
        case: &str,
        src: &str,
        limits: &RunLimits,
        passing: &mut u64,
    ) -> u64 {
        let s = crate::scenario::parse(src, "t.toml", "t").unwrap_or_else(|e| panic!("{e}"));
        let mut taken = 0;
        for (i, strategy) in s.strategies.iter().enumerate() {
            let seeds = RunSeeds::new(3, 0, 0, &strategy.name);
            let traced = |queue_every_step: bool| {
                QUEUE_EVERY_STEP.set(queue_every_step);
                TRACE.set(Some(Vec::new()));
                let m = simulate_limited(&s, i, seeds, false, limits);
                (m, TRACE.take().unwrap_or_default())
            };
            let (queued, queued_trace) = traced(true);
            STEPS_AT_ONCE.set(0);
            STEPS_PASSING.set(0);
            let (at_once, at_once_trace) = traced(false);
            QUEUE_EVERY_STEP.set(false);
            taken += STEPS_AT_ONCE.get();
            *passing += STEPS_PASSING.get();
            // A run that stops is thrown away: what it reports is why,
            // when, and after how many events (answers that passed
            // arrivals leave other counts behind at that point). Else
            // every metric is compared, as Debug text, in which NaN (a
            // series' level without a bucket) equals itself.
            let (a, b) = match queued.stop {
                Some(_) => (
                    format!("{:?} {}", queued.stop, queued.events),
                    format!("{:?} {}", at_once.stop, at_once.events),
                ),
                None => (format!("{queued:?}"), format!("{at_once:?}")),
            };
            if a != b {
                panic!(
                    "{case}, {}: the runs differ\nqueued:  {:?}, {:?}\nat once: {:?}, {:?}",
                    strategy.name, queued.counts, queued.stop, at_once.counts, at_once.stop
                );
            }
            // The events themselves: the same, in the same order, but
            // that an answer may be handled ahead of arrivals at the
            // limiter at its instant. So the answers in order are the
            // same, and so are all the other events.
            if queued.stop.is_none() {
                let split = |trace: &[(SimTime, Event)]| {
                    let text = |answers: bool| {
                        let pick =
                            |e: &&(SimTime, Event)| matches!(e.1, Event::Reply { .. }) == answers;
                        format!("{:?}", trace.iter().filter(pick).collect::<Vec<_>>())
                    };
                    (text(true), text(false))
                };
                let (a, b) = (split(&queued_trace), split(&at_once_trace));
                assert!(a.0 == b.0, "{case}, {}: the answers differ", strategy.name);
                assert!(
                    a.1 == b.1,
                    "{case}, {}: the other events differ",
                    strategy.name
                );
            }
        }
        taken
    }

    /// Parses a scenario with the common header and runs its first strategy.
    fn run(body: &str) -> RunMetrics {
        let src = format!("name = \"t\"\nseed = 1\nhorizon = \"10m\"\n{body}");
        let s = crate::scenario::parse(&src, "t.toml", "t").unwrap_or_else(|e| panic!("{e}"));
        simulate(&s, 0, RunSeeds::new(1, 0, 0, &s.strategies[0].name))
    }

    fn check_conservation(m: &RunMetrics) {
        assert_eq!(
            m.counts.attempts,
            m.counts.succeeded
                + m.counts.rejected_429
                + m.counts.errors_5xx
                + m.counts.timeouts
                + m.counts.conflicts
                + m.counts.open_attempts
        );
        assert_eq!(
            m.counts.requests,
            m.counts.succeeded + m.counts.gave_up + m.counts.unfinished
        );
    }

    #[test]
    fn every_abandoned_generation_is_billed_and_wasted() {
        // Generation takes 2 s, the client gives up after 1 s, waits 1 s and
        // tries again: 3 attempts per request, each served in full and
        // billed (1000 + 500 tokens), none used.
        let m = run(r#"
            [workload]
            clients = 10
            [server]
            latency = "2s"
            [client]
            timeout = "1s"
            [[strategy]]
            name = "c"
            backoff = { kind = "constant", base = "1s" }
            max_attempts = 3
        "#);
        check_conservation(&m);
        assert_eq!(
            (m.counts.attempts, m.counts.timeouts, m.counts.gave_up),
            (30, 30, 10)
        );
        assert_eq!(
            (m.counts.billed_input_tokens, m.counts.billed_output_tokens),
            (30_000, 15_000)
        );
        assert_eq!(
            (m.counts.wasted_input_tokens, m.counts.wasted_output_tokens),
            (30_000, 15_000)
        );
    }

    #[test]
    fn nothing_is_wasted_when_the_timeout_is_long_enough() {
        let m = run(r#"
            [workload]
            clients = 10
            [server]
            latency = "500ms"
            [client]
            timeout = "1s"
            [[strategy]]
            name = "c"
            backoff = { kind = "constant", base = "1s" }
        "#);
        assert_eq!((m.counts.succeeded, m.counts.attempts), (10, 10));
        assert_eq!(
            (m.counts.billed_input_tokens, m.counts.billed_output_tokens),
            (10_000, 5_000)
        );
        assert_eq!(
            m.counts.wasted_input_tokens + m.counts.wasted_output_tokens,
            0
        );
        assert!(m.time_to_success.iter().all(|&t| t == S / 2));
    }

    #[test]
    fn a_reply_lost_to_a_timeout_on_the_way_back_is_wasted() {
        // Service 600 ms + two hops of 300 ms: the server finishes at 0.9 s
        // while the client still waits, the answer would arrive at 1.2 s,
        // but the client timed out at 1 s. Billed once, wasted once.
        let m = run(r#"
            [workload]
            clients = 1
            [network]
            one_way = "300ms"
            [server]
            latency = "600ms"
            [client]
            timeout = "1s"
            [[strategy]]
            name = "once"
            backoff = { kind = "none" }
            max_attempts = 1
        "#);
        assert_eq!((m.counts.timeouts, m.counts.gave_up), (1, 1));
        assert_eq!(
            (m.counts.billed_input_tokens, m.counts.wasted_input_tokens),
            (1000, 1000)
        );
    }

    #[test]
    fn outage_answers_503_until_it_ends() {
        // Outage [0, 5 s); retries every 2 s: 503 at 0, 2 and 4 s, success at 6 s.
        let m = run(r#"
            [workload]
            clients = 4
            [server]
            outages = [{ start = "0s", duration = "5s" }]
            [[strategy]]
            name = "c"
            backoff = { kind = "constant", base = "2s" }
            max_attempts = 5
        "#);
        check_conservation(&m);
        assert_eq!(
            (m.counts.succeeded, m.counts.errors_5xx, m.counts.attempts),
            (4, 12, 16)
        );
        assert!(m.time_to_success.iter().all(|&t| t == 6 * S));
    }

    #[test]
    fn bounded_queue_answers_503_when_full() {
        // One slot, room for one in the queue, three arrivals at t = 0 with
        // 1 s service: served at 0–1 s, queued then served 1–2 s, rejected.
        let m = run(r#"
            [workload]
            clients = 3
            [server]
            concurrency = 1
            queue_limit = 1
            latency = "1s"
            [[strategy]]
            name = "once"
            backoff = { kind = "none" }
            max_attempts = 1
        "#);
        assert_eq!(
            (m.counts.succeeded, m.counts.errors_5xx, m.counts.gave_up),
            (2, 1, 1)
        );
        let tts: Vec<u64> = m.time_to_success.iter().copied().collect();
        assert_eq!(tts, [S, 2 * S]);
    }

    #[test]
    fn occ_writes_that_lose_the_race_get_409_and_start_again() {
        // Two clients, every hop 10 ms, no backoff. Both read version 0
        // (at 10 ms) and write at 30 ms: the first write wins (version 1),
        // the second gets a 409 (back at 40 ms), reads again at 50 ms and
        // writes at 70 ms, answered at 80 ms.
        let m = run(r#"
            [workload]
            clients = 2
            [network]
            one_way = "10ms"
            [server]
            kind = "occ"
            [[strategy]]
            name = "none"
            backoff = { kind = "none" }
        "#);
        check_conservation(&m);
        assert_eq!(
            (m.counts.succeeded, m.counts.attempts, m.counts.conflicts),
            (2, 3, 1)
        );
        let tts: Vec<u64> = m.time_to_success.iter().copied().collect();
        assert_eq!(tts, [40 * S / 1000, 80 * S / 1000]);
    }

    #[test]
    fn a_capacity_cut_takes_slots_away_until_it_ends() {
        // 2 slots, 1 s services, 4 clients at t = 0: two served at once,
        // two queued. From 0.5 s to 2.5 s only 1 slot: at 1 s the first
        // service to end gives its slot up, the second passes it to client
        // 3 (1–2 s), then client 4 (2–3 s). Times to success 1, 1, 2, 3 s
        // (without the cut 1, 1, 2, 2 s); queue waits 0, 0, 1, 2 s.
        let m = run(r#"
            [workload]
            clients = 4
            [server]
            concurrency = 2
            latency = "1s"
            [[server.capacity_cuts]]
            start = "500ms"
            duration = "2s"
            cut = 0.5
            [[strategy]]
            name = "once"
            backoff = { kind = "none" }
            max_attempts = 1
        "#);
        let tts: Vec<u64> = m.time_to_success.iter().copied().collect();
        assert_eq!(tts, [S, S, 2 * S, 3 * S]);
        assert_eq!(
            (m.counts.served, m.counts.queue_wait_ns),
            (4, u128::from(3 * S))
        );
    }

    #[test]
    fn restored_slots_take_queued_attempts_at_once() {
        // All slots gone from 0 to 2 s: the 3 attempts sent at t = 0 reach
        // the server (after a zero hop, queued after the cut's start) with
        // no slot free and wait; the 3 restored slots serve them at 2 s:
        // successes at 3 s, each having waited 2 s.
        let m = run(r#"
            [workload]
            clients = 3
            [server]
            concurrency = 3
            latency = "1s"
            [[server.capacity_cuts]]
            start = "0s"
            duration = "2s"
            cut = 1.0
            [[strategy]]
            name = "once"
            backoff = { kind = "none" }
            max_attempts = 1
        "#);
        let tts: Vec<u64> = m.time_to_success.iter().copied().collect();
        assert_eq!(tts, [3 * S, 3 * S, 3 * S]);
        assert_eq!(m.counts.queue_wait_ns, u128::from(6 * S));
    }

    #[test]
    fn deadline_stops_retries() {
        // Every attempt fails at once; retries 1 s apart; deadline 2.5 s:
        // attempts at 0, 1 and 2 s; the next would start at 3 s > 2.5 s.
        let m = run(r#"
            [workload]
            clients = 1
            [server]
            error_rate = 1.0
            [[strategy]]
            name = "c"
            backoff = { kind = "constant", base = "1s" }
            max_attempts = 10
            deadline = "2500ms"
        "#);
        assert_eq!(
            (m.counts.attempts, m.counts.errors_5xx, m.counts.gave_up),
            (3, 3, 1)
        );
    }

    #[test]
    fn deadline_cuts_the_attempt_timeout_short() {
        // A 10 s generation, a 60 s timeout, but a 3 s deadline: the attempt
        // is abandoned at 3 s and the request given up.
        let m = run(r#"
            [workload]
            clients = 1
            [server]
            latency = "10s"
            [client]
            timeout = "60s"
            [[strategy]]
            name = "c"
            backoff = { kind = "constant", base = "1s" }
            deadline = "3s"
        "#);
        assert_eq!(
            (m.counts.attempts, m.counts.timeouts, m.counts.gave_up),
            (1, 1, 1)
        );
        assert_eq!(m.last_activity, 10 * S); // the server still finishes and bills
        assert_eq!(m.counts.wasted_input_tokens, 1000);
    }

    #[test]
    fn retry_after_is_honoured() {
        // Bucket of 1 refilling 1 per second. Two requests at t = 0: the
        // second gets 429 with Retry-After 1 s and, honouring it rather
        // than its 10 s backoff, succeeds at exactly 1 s.
        let m = run(r#"
            [workload]
            clients = 2
            [limiter]
            requests_per_minute = 60
            request_burst = 1
            retry_after = "exact"
            [[strategy]]
            name = "ra"
            backoff = { kind = "constant", base = "10s" }
            honor_retry_after = true
        "#);
        assert_eq!((m.counts.succeeded, m.counts.rejected_429), (2, 1));
        let tts: Vec<u64> = m.time_to_success.iter().copied().collect();
        assert_eq!(tts, [0, S]);
    }

    #[test]
    fn closed_loop_runs_requests_back_to_back() {
        // 2 clients × 3 requests, 1 s service, 1 s think: requests start at
        // 0, 2 and 4 s and the last ends at 5 s.
        let m = run(r#"
            [workload]
            kind = "closed"
            clients = 2
            requests_per_client = 3
            think_time = "1s"
            [server]
            latency = "1s"
            [[strategy]]
            name = "c"
            backoff = { kind = "none" }
        "#);
        assert_eq!((m.counts.requests, m.counts.succeeded), (6, 6));
        assert_eq!(m.last_activity, 5 * S);
    }

    #[test]
    fn poisson_arrivals_come_at_the_configured_rate() {
        // 100/s for 100 s: 10,000 expected, standard deviation 100; 4% is
        // four standard deviations.
        let m = run(r#"
            [workload]
            kind = "poisson"
            clients = 50
            rate_per_s = 100.0
            duration = "100s"
            [[strategy]]
            name = "c"
            backoff = { kind = "none" }
        "#);
        assert!(
            (9_600..=10_400).contains(&m.counts.requests),
            "{}",
            m.counts.requests
        );
        assert_eq!(m.counts.succeeded, m.counts.requests);
    }

    #[test]
    fn horizon_leaves_requests_unfinished() {
        // Generation takes 20 min, the horizon is 10 min: every request and
        // attempt is still open at the end.
        let m = run(r#"
            [workload]
            clients = 5
            [server]
            latency = "20m"
            [client]
            timeout = "1h"
            [[strategy]]
            name = "c"
            backoff = { kind = "none" }
        "#);
        check_conservation(&m);
        assert_eq!(
            (
                m.counts.unfinished,
                m.counts.open_attempts,
                m.counts.succeeded
            ),
            (5, 5, 0)
        );
    }

    #[test]
    fn streaming_latency_is_ttft_plus_output_over_decode_rate() {
        // 500 output tokens at 100 per second after a 500 ms first token.
        let m = run(r#"
            [workload]
            clients = 3
            [server]
            ttft = "500ms"
            decode_tokens_per_s = 100.0
            [[strategy]]
            name = "c"
            backoff = { kind = "constant", base = "1s" }
        "#);
        assert_eq!(m.counts.succeeded, 3);
        assert!(m.time_to_success.iter().all(|&t| t == 5 * S + S / 2));
    }

    #[test]
    fn cancel_on_disconnect_bills_only_what_was_generated() {
        // First token at 1 s, then 500 tokens at 100/s: done at 6 s. The
        // client gives up at 3 s, when 2 s × 100/s = 200 tokens are out.
        let scenario = |cancel: bool| {
            format!(
                r#"
                [workload]
                clients = 1
                [server]
                ttft = "1s"
                decode_tokens_per_s = 100.0
                cancel_on_disconnect = {cancel}
                [client]
                timeout = "3s"
                [[strategy]]
                name = "once"
                backoff = {{ kind = "none" }}
                max_attempts = 1
            "#
            )
        };
        let m = run(&scenario(true));
        assert_eq!((m.counts.timeouts, m.counts.gave_up), (1, 1));
        assert_eq!(
            (m.counts.billed_input_tokens, m.counts.billed_output_tokens),
            (1000, 200)
        );
        assert_eq!(
            (m.counts.wasted_input_tokens, m.counts.wasted_output_tokens),
            (1000, 200)
        );
        let m = run(&scenario(false));
        assert_eq!(
            (m.counts.billed_input_tokens, m.counts.billed_output_tokens),
            (1000, 500)
        );
        assert_eq!(
            (m.counts.wasted_input_tokens, m.counts.wasted_output_tokens),
            (1000, 500)
        );
    }

    #[test]
    fn cancel_on_disconnect_frees_the_slot_for_the_queue() {
        // One slot, 4 s generations of 500 tokens, 3 s timeout, requests at
        // 0 s (A) and 1 s (B).
        let dir = tempfile::tempdir().unwrap();
        let trace = dir.path().join("t.csv");
        std::fs::write(
            &trace,
            "t_s,input_tokens,output_tokens\n0,1000,500\n1,1000,500\n",
        )
        .unwrap();
        let scenario = |cancel: bool| {
            format!(
                r#"
                [workload]
                kind = "trace"
                file = "{}"
                clients = 2
                [server]
                concurrency = 1
                latency = "4s"
                cancel_on_disconnect = {cancel}
                [client]
                timeout = "3s"
                [[strategy]]
                name = "once"
                backoff = {{ kind = "none" }}
                max_attempts = 1
            "#,
                trace.display()
            )
        };
        // Without cancelling, A is served 0–4 s and B, abandoned at 4 s
        // while queued, 4–8 s: both in full, all wasted.
        let m = run(&scenario(false));
        assert_eq!((m.counts.requests, m.counts.timeouts), (2, 2));
        assert_eq!(
            (m.counts.billed_output_tokens, m.counts.wasted_output_tokens),
            (1000, 1000)
        );
        // Cancelling stops A at 3 s (3/4 of 500 = 375 tokens); B starts
        // then and is stopped at 4 s (1/4 of 500 = 125 tokens).
        let m = run(&scenario(true));
        assert_eq!(
            (m.counts.billed_output_tokens, m.counts.wasted_output_tokens),
            (500, 500)
        );
        assert_eq!(m.counts.billed_input_tokens, 2000);
    }

    #[test]
    fn slowdown_stretches_service_with_the_slots_in_use() {
        // Ten attempts at once on ten slots: the k-th to start finds k in
        // service (itself included) and takes 1 s × (1 + 1.0 × k/10).
        let m = run(r#"
            [workload]
            clients = 10
            [server]
            concurrency = 10
            latency = "1s"
            slowdown = 1.0
            [[strategy]]
            name = "c"
            backoff = { kind = "constant", base = "1s" }
        "#);
        let tts: Vec<u64> = m.time_to_success.iter().copied().collect();
        let expected: Vec<u64> = (1..=10).map(|k| S + k * S / 10).collect();
        assert_eq!(tts, expected);
    }

    #[test]
    fn overload_errors_come_back_at_once_and_follow_retry_on() {
        let scenario = |retry_on: &str| {
            format!(
                r#"
                [workload]
                clients = 20
                [server]
                latency = "1s"
                errors = {{ "529" = 1.0 }}
                [[strategy]]
                name = "c"
                backoff = {{ kind = "constant", base = "1s" }}
                max_attempts = 3
                retry_on = [{retry_on}]
            "#
            )
        };
        // Every attempt is a 529; "503" does not cover it: one attempt each.
        let m = run(&scenario("\"503\""));
        check_conservation(&m);
        assert_eq!(
            (m.counts.attempts, m.counts.errors_5xx, m.counts.gave_up),
            (20, 20, 20)
        );
        assert_eq!(m.counts.errors_by_status, [0, 0, 20]);
        // "529" (or "5xx") retries it: three attempts each, no time served.
        let m = run(&scenario("\"529\""));
        assert_eq!(
            (m.counts.attempts, m.counts.errors_by_status),
            (60, [0, 0, 60])
        );
        assert_eq!(m.counts.billed_input_tokens, 0);
    }

    #[test]
    fn silent_outage_leaves_clients_to_time_out() {
        // No answer during [0, 5 s); 2 s timeout, 1 s backoff: attempts at
        // 0 and 3 s time out, the one at 6 s succeeds.
        let m = run(r#"
            [workload]
            clients = 4
            [server]
            outages = [{ start = "0s", duration = "5s", response = "none" }]
            [client]
            timeout = "2s"
            [[strategy]]
            name = "c"
            backoff = { kind = "constant", base = "1s" }
        "#);
        check_conservation(&m);
        assert_eq!(
            (m.counts.timeouts, m.counts.errors_5xx, m.counts.succeeded),
            (8, 0, 4)
        );
        assert!(m.time_to_success.iter().all(|&t| t == 6 * S));
    }

    #[test]
    fn quantized_limits_allow_one_second_at_a_time() {
        let scenario = |quantized: bool| {
            format!(
                r#"
                [workload]
                clients = 100
                [limiter]
                requests_per_minute = 600
                quantized = {quantized}
                [[strategy]]
                name = "once"
                backoff = {{ kind = "none" }}
                max_attempts = 1
            "#
            )
        };
        // 600 RPM enforced per second: 10 pass; per minute (burst = one
        // minute's 600): all 100 pass.
        assert_eq!(run(&scenario(true)).counts.succeeded, 10);
        assert_eq!(run(&scenario(false)).counts.succeeded, 100);
    }

    #[test]
    fn events_stay_small() {
        // The queue stores (time, sequence, event) for every pending event:
        // in its heap whole (8 + 8 + 12), in a lane as the differences
        // from the event before it (4 + 4 + 12). The largest events are a
        // reply's and a service's end: tag, model and a 2-byte answer or
        // flag, then the slot and the attempt (1 + 1 + 2 + 4 + 4).
        assert_eq!(size_of::<Event>(), 12);
        assert_eq!(EventQueue::<Event>::HEAP_ENTRY_BYTES, 28);
        assert_eq!(EventQueue::<Event>::LANE_ENTRY_BYTES, 20);
    }

    #[test]
    fn a_packed_reply_is_the_answer_it_packs() {
        use crate::model::limiter::Limit;
        let mut answers = vec![
            Reply::Success { wasted: false },
            Reply::Success { wasted: true },
            Reply::Conflict,
        ];
        answers.extend(Limit::ALL.map(|limit| Reply::RateLimited { limit }));
        answers.extend((100..=599).map(|status| Reply::ServerError { status }));
        let mut packed: Vec<u16> = answers.iter().map(|&a| PackedReply::new(a).0).collect();
        for a in answers {
            assert_eq!(PackedReply::new(a).get(), a);
        }
        // No two answers share a packed value.
        let n = packed.len();
        packed.sort_unstable();
        packed.dedup();
        assert_eq!(packed.len(), n);
    }

    #[test]
    fn request_slots_stay_small() {
        // A burst holds one slot per client at once: one u64 (created),
        // the timer's (u64 time, u64 sequence), the queued timer's u64
        // time, seven u32s (client, two token counts, attempts, serial,
        // in transit, queued timer's serial) and four bytes (model, two
        // flags, a flag byte): 8 + 16 + 8 + 28 + 4 = 64, one cache line.
        assert_eq!(size_of::<Request>(), 64);
        assert_eq!(align_of::<Request>(), 64);
        let mut r = Request::kept_from(None);
        assert_eq!(r.queued_timer(), None);
        r.set_queued_timer(Some((7, 9)));
        r.flags |= Request::ON_FALLBACK;
        // A new request in the slot keeps its queued timer, not its
        // fallback.
        let next = Request::kept_from(Some(&r));
        assert_eq!(
            (next.queued_timer(), next.on_fallback()),
            (Some((7, 9)), false)
        );
        r.set_queued_timer(None);
        assert_eq!((r.queued_timer(), r.on_fallback()), (None, true));
    }

    #[test]
    fn status_probabilities_hold_per_admitted_attempt() {
        // 503 half the time at once; 500 the other half after service:
        // nothing succeeds, and the two split the attempts.
        let m = run(r#"
            [workload]
            clients = 10000
            [server]
            latency = "10ms"
            errors = { "500" = 0.5, "503" = 0.5 }
            [[strategy]]
            name = "once"
            backoff = { kind = "none" }
            max_attempts = 1
        "#);
        assert_eq!(m.counts.succeeded, 0);
        let [e500, e503, e529] = m.counts.errors_by_status;
        assert_eq!((e500 + e503, e529), (10_000, 0));
        // Binomial(10,000, 1/2): sd 50; allow 5 sd.
        assert!((e503 as f64 - 5000.0).abs() < 250.0, "{e503}");
    }

    #[test]
    fn reservations_come_back_when_nothing_is_generated() {
        // Each attempt reserves 10 input + 1000 output tokens from a bucket
        // of 2015 that does not refill. With output charged as generated, a
        // swallowed attempt (silent outage) or a dropped queued one gives
        // its 1000 back, which is what lets the retries below through.
        let silent = run(r#"
            [workload]
            clients = 1
            [workload.tokens]
            input = 10
            output = 10
            max_tokens = 1000
            [limiter]
            tokens_per_minute = 0.001
            token_burst = 2015
            output_charge = "actual"
            [server]
            outages = [{ start = "0s", duration = "1s", response = "none" }]
            [client]
            timeout = "500ms"
            [[strategy]]
            name = "c"
            backoff = { kind = "constant", base = "1s" }
            max_attempts = 2
        "#);
        // First attempt swallowed at 0 (2015 − 1010 + 1000 = 2005 left),
        // retry at 1.5 s admitted and served.
        assert_eq!(
            (silent.counts.succeeded, silent.counts.rejected_429),
            (1, 0)
        );
        // Two clients, one slot, 4 s service, 1 s timeout, cancelling: A is
        // stopped after 1/4 of its 10 tokens (2 generated, 998 back), B is
        // dropped from the queue (1000 back): 2015 − 2020 + 1998 = 1993 at
        // the retries (2 s), enough for one of them.
        let queued = run(r#"
            [workload]
            clients = 2
            [workload.tokens]
            input = 10
            output = 10
            max_tokens = 1000
            [limiter]
            tokens_per_minute = 0.001
            token_burst = 2020
            output_charge = "actual"
            [server]
            concurrency = 1
            latency = "4s"
            cancel_on_disconnect = true
            [client]
            timeout = "1s"
            [[strategy]]
            name = "c"
            backoff = { kind = "constant", base = "1s" }
            max_attempts = 2
        "#);
        assert_eq!(queued.counts.rejected_by_limit, [0, 1, 0, 0]);
    }

    /// Runs `body` (with the common header) to the end as `World::run`
    /// does; returns the request slots used, the most events ever queued
    /// and the metrics (not finished).
    fn run_world(body: &str) -> (usize, usize, RunMetrics) {
        let src = format!("name = \"t\"\nseed = 1\nhorizon = \"10m\"\n{body}");
        let s = crate::scenario::parse(&src, "t.toml", "t").unwrap_or_else(|e| panic!("{e}"));
        let seeds = RunSeeds::new(1, 0, 0, &s.strategies[0].name);
        let mut w = World::<true, false>::new(&s, &s.strategies[0], seeds).expect("a few clients");
        w.schedule_workload().expect("a few clients");
        let mut most_queued = 0;
        while let Some((now, event)) = w.queue.pop() {
            if now > s.horizon {
                break;
            }
            if w.stale_timer(now, event) {
                continue;
            }
            w.tick(now);
            w.handle(now, event);
            most_queued = most_queued.max(w.queue.len());
        }
        let slots = w.requests.len();
        (slots, most_queued, w.m)
    }

    #[test]
    fn room_for_every_slot_is_reserved_at_once_only_where_every_client_can_be_in_flight() {
        // The room a new world reserves for its request slots. Built on a
        // thread of its own, so that no slots another test left on this
        // thread (see `run::Spare`) are taken.
        let room = |workload: &'static str| {
            std::thread::spawn(move || {
                let src = format!(
                    "name = \"t\"\nseed = 1\nhorizon = \"10m\"\n{workload}\n\
                     [[strategy]]\nname = \"c\"\nbackoff = {{ kind = \"none\" }}\n"
                );
                let s =
                    crate::scenario::parse(&src, "t.toml", "t").unwrap_or_else(|e| panic!("{e}"));
                let seeds = RunSeeds::new(1, 0, 0, "c");
                let w = World::<true, false>::new(&s, &s.strategies[0], seeds).expect("room");
                w.requests.capacity()
            })
            .join()
            .unwrap()
        };
        // A burst one past 2^20 clients (the most reserved before they
        // come otherwise): room for all of them (64 MiB, never touched).
        let burst = (1 << 20) + 1;
        let got = room("[workload]\nkind = \"burst\"\nclients = 1048577");
        assert!(got >= burst, "{got} slots of room for a burst of {burst}");
        // An open loop over 10^7 clients holds a few requests at once: its
        // slots grow as requests come, from room for 2^20.
        let got = room(
            "[workload]\nkind = \"poisson\"\nclients = 10000000\nrate_per_s = 1.0\nduration = \"1s\"",
        );
        assert_eq!(got, 1 << 20);
    }

    #[test]
    fn request_slots_are_reused() {
        // 10,000 requests over 100 s, each done in 10 ms: a few slots.
        let (slots, _, m) = run_world(
            r#"
            [workload]
            kind = "poisson"
            clients = 50
            rate_per_s = 100.0
            duration = "100s"
            [server]
            latency = "10ms"
            [[strategy]]
            name = "c"
            backoff = { kind = "none" }
        "#,
        );
        assert!(m.counts.requests > 9_000, "{}", m.counts.requests);
        assert!(
            slots < 20,
            "{slots} slots for {} requests",
            m.counts.requests
        );
        // A closed loop needs one slot per client at most.
        let (slots, _, m) = run_world(
            r#"
            [workload]
            kind = "closed"
            clients = 3
            requests_per_client = 100
            think_time = "1s"
            [server]
            latency = "1s"
            [client]
            timeout = "500ms"
            [[strategy]]
            name = "c"
            backoff = { kind = "constant", base = "1s" }
            max_attempts = 2
        "#,
        );
        assert_eq!((m.counts.requests, m.counts.gave_up), (300, 300));
        // Abandoned attempts still in service keep their request's slot.
        assert!(slots <= 6, "{slots}");
    }

    #[test]
    fn a_request_keeps_one_timer_in_the_queue() {
        // 1,000 clients, 60 s timeouts, five attempts each within seconds:
        // one timer per attempt would leave up to 5,000 in the queue.
        let (_, most_queued, m) = run_world(
            r#"
            [workload]
            clients = 1000
            [limiter]
            requests_per_minute = 600
            request_burst = 10
            [client]
            timeout = "60s"
            [[strategy]]
            name = "j"
            backoff = { kind = "full_jitter", base = "100ms", cap = "1s" }
            max_attempts = 5
        "#,
        );
        assert!(m.counts.attempts > 4_000, "{}", m.counts.attempts);
        assert!(most_queued <= 2_000, "{most_queued}");
    }

    #[test]
    fn records_add_up_to_the_run_and_change_nothing_else() {
        let files = crate::scenario::shipped_paths();
        assert!(files.len() >= 5);
        for path in files {
            let s = crate::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
            for (i, st) in s.strategies.iter().enumerate() {
                let seeds = RunSeeds::new(s.seed, 0, 0, &st.name);
                let plain = simulate(&s, i, seeds);
                let mut m = simulate_with(&s, i, seeds, true);
                let recs = m.request_records.take().expect("kept");
                let what = format!("{} / {}", path.display(), st.name);
                // Compared as text: the limiter level is NaN without a
                // request limit, and NaN != NaN.
                assert!(format!("{m:?}") == format!("{plain:?}"), "{what}");
                assert_eq!(recs.len() as u64, m.counts.requests, "{what}");
                let count = |o| recs.iter().filter(|r| r.outcome == o).count() as u64;
                assert_eq!(
                    count(RequestOutcome::Succeeded),
                    m.counts.succeeded,
                    "{what}"
                );
                assert_eq!(count(RequestOutcome::GaveUp), m.counts.gave_up, "{what}");
                assert_eq!(
                    count(RequestOutcome::Unfinished),
                    m.counts.unfinished,
                    "{what}"
                );
                let sum = |f: fn(&RequestRecord) -> u64| recs.iter().map(f).sum::<u64>();
                assert_eq!(sum(|r| u64::from(r.attempts)), m.counts.attempts, "{what}");
                assert_eq!(sum(|r| r.billed_input_tokens), m.counts.billed_input_tokens);
                assert_eq!(
                    sum(|r| r.billed_output_tokens),
                    m.counts.billed_output_tokens
                );
                assert_eq!(sum(|r| r.wasted_input_tokens), m.counts.wasted_input_tokens);
                assert_eq!(
                    sum(|r| r.wasted_output_tokens),
                    m.counts.wasted_output_tokens
                );
                assert!(recs.is_sorted_by_key(|r| r.start), "{what}");
                let mut tts = crate::metrics::cdf::TimesToSuccess::new();
                for r in &recs {
                    assert_eq!(r.end.is_none(), r.outcome == RequestOutcome::Unfinished);
                    if r.outcome == RequestOutcome::Succeeded {
                        tts.record(r.end.unwrap() - r.start);
                    }
                }
                assert_eq!(tts, m.time_to_success, "{what}");
            }
        }
    }
}
