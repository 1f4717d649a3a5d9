//! While an experiment runs: the [`Watch`] its runs share, which keeps
//! the process under its memory limit (the engine asks it through
//! [`Monitor`] before a run allocates its clients' state and at the run's
//! checkpoints) and remembers the first run, in the fixed (point,
//! strategy, replication) order, that stopped on its own limits; and the
//! messages that say what stopped and what to change.
//!
//! A run's own limits (event budget, a clock standing still) depend only
//! on the run, so those stops are deterministic, and the run named in the
//! message is the first in order that stops, whatever the number of
//! threads. Once memory is over the limit every run stops within its next
//! [`crate::engine::CHECK_EVERY`] events and nothing of the scenario is
//! written.

use super::limits::{DEFAULT_MAX_EVENTS, Limits, effective_budget, size_flag, stall_limit};
use crate::Error;
use crate::engine::{Monitor, RunLimits};
use crate::machine::resident_memory;
use crate::metrics::run::Stop;
use crate::scenario::{Scenario, WorkloadKind};
use crate::terminal::{format_bytes, group};
use crate::time::{NANOS_PER_SEC, SimTime};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Between runs the resident memory is read at most this often (runs of a
/// few clients take microseconds; reading /proc for each would cost more
/// than the run).
const MEMORY_CHECK_INTERVAL_MS: u64 = 10;

/// What a run allocates for its clients before its first event is asked
/// of the watch from this size on ([`Watch::reserve`]); below it, the
/// read of /proc would cost more than such a run.
const RESERVE_CHECKED_FROM: u64 = 1 << 20;

/// A run that stopped on its own limits, as the message names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStopped {
    /// Sweep point (0 for `run`).
    pub point: u64,
    pub strategy: usize,
    /// 0-based.
    pub replication: u64,
    pub stop: Stop,
    /// Events the run processed.
    pub events: u64,
}

/// The key of a run in the fixed order (point, strategy, replication).
pub fn run_index(point: u64, strategy: usize, replication: u64) -> u64 {
    (point << 42) | ((strategy as u64 & 0x1F_FFFF) << 21) | (replication & 0x1F_FFFF)
}

/// What the runs of one experiment share to stop together: the memory
/// watchdog, and the first run (in the fixed order) that stopped on its
/// own limits.
#[derive(Debug)]
pub struct Watch {
    limits: Limits,
    /// The resident memory seen over the limit (0: not yet).
    memory_over: AtomicU64,
    /// [`run_index`] of the first run that stopped (u64::MAX: none).
    lowest: AtomicU64,
    stopped: Mutex<Option<RunStopped>>,
    /// Where the memory limit came from, for messages.
    memory_source: String,
    start: Instant,
    /// Milliseconds after `start` of the last memory check between runs.
    last_check_ms: AtomicU64,
    /// Bytes runs have been promised for their clients' state and may not
    /// have allocated yet ([`Watch::reserve`]).
    pending: AtomicU64,
    /// The promise refused, in bytes (0: none).
    refused: AtomicU64,
}

impl Watch {
    /// A watch over runs held to `limits`.
    pub fn new(limits: Limits) -> Watch {
        Watch {
            limits,
            memory_over: AtomicU64::new(0),
            lowest: AtomicU64::new(u64::MAX),
            stopped: Mutex::new(None),
            memory_source: String::new(),
            start: Instant::now(),
            last_check_ms: AtomicU64::new(0),
            pending: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// Says where the memory limit came from, for messages.
    pub fn with_memory_source(mut self, source: String) -> Watch {
        self.memory_source = source;
        self
    }

    /// Where the memory limit came from (empty: not said).
    pub fn memory_source(&self) -> &str {
        &self.memory_source
    }

    /// The limits of run `index` of a scenario with `clients` clients.
    pub fn run_limits(&self, index: u64, clients: u32) -> RunLimits<'_> {
        RunLimits {
            max_events: self.limits.max_events,
            max_stall_events: self.limits.stall_events.map(|f| stall_limit(f, clients)),
            monitor: Some(self),
            index,
        }
    }

    /// Whether run `index` should stop now: memory is over the limit, or
    /// a run before it has stopped (its result would not be used).
    pub fn should_stop(&self, index: u64) -> bool {
        self.memory_over.load(Ordering::Relaxed) != 0 || self.lowest.load(Ordering::Relaxed) < index
    }

    /// Reads the resident memory and notes whether it is over the limit;
    /// true if it is (or was before).
    pub fn check_memory(&self) -> bool {
        let Some(max) = self.limits.max_memory else {
            return false;
        };
        if self.memory_over.load(Ordering::Relaxed) != 0 {
            return true;
        }
        match resident_memory() {
            Some(rss) if rss > max => {
                let _ =
                    self.memory_over
                        .compare_exchange(0, rss, Ordering::Relaxed, Ordering::Relaxed);
                true
            }
            _ => false,
        }
    }

    /// Between runs: checks memory if the last check is more than a few
    /// milliseconds old. True if memory is over the limit.
    pub fn check_memory_between_runs(&self) -> bool {
        if self.limits.max_memory.is_none() {
            return false;
        }
        let now = self.start.elapsed().as_millis() as u64;
        let last = self.last_check_ms.load(Ordering::Relaxed);
        if now >= last + MEMORY_CHECK_INTERVAL_MS
            && self
                .last_check_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            return self.check_memory();
        }
        self.memory_over.load(Ordering::Relaxed) != 0
    }

    /// Before a run allocates `bytes` for its clients' state: whether they
    /// fit under the memory limit with what the process holds and what
    /// other runs have been promised and may not have taken yet. If they
    /// do, they are promised until [`Watch::release`]; if not, memory is
    /// over the limit (every run stops) and nothing should be allocated.
    /// Below a megabyte, and without a limit, always true. This is what
    /// keeps runs that allocate gigabytes up front, on several threads at
    /// once, under the limit: the watchdog would see them only after.
    pub fn reserve(&self, bytes: u64) -> bool {
        let Some(max) = self.limits.max_memory else {
            return true;
        };
        if bytes < RESERVE_CHECKED_FROM {
            return true;
        }
        let pending = self
            .pending
            .fetch_add(bytes, Ordering::Relaxed)
            .saturating_add(bytes);
        let total = resident_memory().unwrap_or(0).saturating_add(pending);
        if total <= max {
            return true;
        }
        self.pending.fetch_sub(bytes, Ordering::Relaxed);
        let _ = self
            .refused
            .compare_exchange(0, bytes, Ordering::Relaxed, Ordering::Relaxed);
        let _ = self
            .memory_over
            .compare_exchange(0, total, Ordering::Relaxed, Ordering::Relaxed);
        false
    }

    /// The bytes promised by [`Watch::reserve`] are allocated (and so in
    /// the resident memory) or no longer needed.
    pub fn release(&self, bytes: u64) {
        if self.limits.max_memory.is_some() && bytes >= RESERVE_CHECKED_FROM {
            self.pending.fetch_sub(bytes, Ordering::Relaxed);
        }
    }

    /// The promise [`Watch::reserve`] refused, if one was: its bytes.
    pub fn refused(&self) -> Option<u64> {
        match self.refused.load(Ordering::Relaxed) {
            0 => None,
            b => Some(b),
        }
    }

    /// Run `index` stopped on its own limits (from the engine, at once, so
    /// that later runs give up early).
    pub fn note_stop(&self, index: u64) {
        self.lowest.fetch_min(index, Ordering::Relaxed);
    }

    /// Keeps what stopped run `index` reports, if it is the first in order
    /// so far.
    pub fn record(&self, index: u64, stopped: RunStopped) {
        self.note_stop(index);
        let mut slot = self.stopped.lock().unwrap_or_else(|e| e.into_inner());
        let keep = match &*slot {
            Some(s) => index < run_index(s.point, s.strategy, s.replication),
            None => true,
        };
        if keep {
            *slot = Some(stopped);
        }
    }

    /// Once a report is made and before it is written: an error (exit 1,
    /// nothing written) if backsim's memory is over the limit. Making a
    /// report (its files' text, and the data read back from them for the
    /// charts) takes memory no run held.
    pub fn still_within(&self, file: &str, s: &Scenario) -> Result<(), Error> {
        match (self.check_memory(), self.limits.max_memory) {
            (true, Some(limit)) => Err(Error::Run(memory_message(
                file,
                s,
                self.memory_over().unwrap_or(limit),
                limit,
                &self.memory_source,
                None,
            ))),
            _ => Ok(()),
        }
    }

    /// The resident memory seen over the limit, if it was.
    pub fn memory_over(&self) -> Option<u64> {
        match self.memory_over.load(Ordering::Relaxed) {
            0 => None,
            b => Some(b),
        }
    }

    /// The first run (in order) that stopped on its own limits.
    pub fn first_stopped(&self) -> Option<RunStopped> {
        self.stopped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

/// The engine's view of the watch: called at a run's start and at its
/// checkpoints only.
impl Monitor for Watch {
    fn reserve(&self, bytes: u64) -> bool {
        Watch::reserve(self, bytes)
    }

    fn release(&self, bytes: u64) {
        Watch::release(self, bytes)
    }

    fn check_memory(&self) -> bool {
        Watch::check_memory(self)
    }

    fn memory_exceeded(&self) -> bool {
        self.memory_over().is_some()
    }

    fn should_stop(&self, index: u64) -> bool {
        Watch::should_stop(self, index)
    }
}

/// Text for runs stopped by the memory watchdog: the resident memory
/// `rss` went over `limit` (bytes), which `source` says where it came from
/// (empty: nothing to say); or, with `refused`, a run's clients' state of
/// that many bytes would have taken it to `rss`, and was not allocated.
pub fn memory_message(
    file: &str,
    s: &Scenario,
    rss: u64,
    limit: u64,
    source: &str,
    refused: Option<u64>,
) -> String {
    let limit_text = if source.is_empty() {
        format!("the {} limit", format_bytes(limit))
    } else {
        format!("the {} limit ({source})", format_bytes(limit))
    };
    let what = match refused {
        Some(b) => format!(
            "a run needed {} for the state of its {} clients, which would have taken backsim's memory to {} of {limit_text}",
            format_bytes(b),
            group(u64::from(s.workload.clients)),
            format_bytes(rss),
        ),
        None => format!(
            "backsim's memory reached {} of {limit_text}",
            format_bytes(rss)
        ),
    };
    format!(
        "{file}: stopped: {what}; nothing of the scenario was written. Lower {}, --threads or --replications ({}leave out --requests), or raise the limit with --max-memory (e.g. --max-memory {}), or set it to off",
        match s.workload.kind {
            WorkloadKind::Poisson { .. } =>
                "workload.clients, workload.rate_per_s, workload.duration",
            WorkloadKind::Closed { .. } => "workload.clients, workload.requests_per_client",
            _ => "workload.clients",
        },
        match s.workload.kind {
            WorkloadKind::Trace { .. } => "replay fewer rows of the trace, or ",
            _ => "or ",
        },
        size_flag(limit.saturating_mul(2)),
    )
}

/// Text for a run that stopped on its event budget or as a livelock.
/// `who` names the run (strategy, replication, sweep point).
pub fn stop_message(file: &str, who: &str, r: &RunStopped, limits: &Limits) -> String {
    match r.stop {
        Stop::NoMemory { bytes } => format!(
            "{file}: {who}: the system gave no memory for the state of the run's clients ({}); nothing of the scenario was written. Lower workload.clients or --threads, or free memory",
            format_bytes(bytes)
        ),
        Stop::Livelock { at, since } => {
            let stalled = r.events.saturating_sub(since);
            format!(
                "{file}: {who}: the simulated clock stood still at t = {} for {} events: the strategy retries with no delay against answers that take no time; nothing of the scenario was written. Give it a backoff delay, or the server a latency or the network a delay; or, if that many events at one instant are meant, raise the limit with --max-stall-events N (the clock may stand still for max(N, 64 × clients) events; N is 100000000 without the flag), or set it to off",
                format_time(at),
                group(stalled),
            )
        }
        _ => {
            let at = match r.stop {
                Stop::Events { at } => format!(" at t = {}", format_time(at)),
                _ => String::new(),
            };
            let budget = limits.max_events.map_or(0, effective_budget);
            format!(
                "{file}: {who}: stopped after {} events{at} of simulated time: it spent its event budget ({}); nothing of the scenario was written. Raise --max-events, or set it to off",
                group(r.events),
                match limits.max_events {
                    Some(DEFAULT_MAX_EVENTS) | None => format!(
                        "{} events per run, the default of --max-events",
                        group(budget)
                    ),
                    Some(n) if budget == n => format!("--max-events {n}"),
                    Some(n) => format!(
                        "--max-events {n}, rounded up to {}, a multiple of 65,536",
                        group(budget)
                    ),
                },
            )
        }
    }
}

/// A simulated time in seconds, as few decimals as it needs: `0s`,
/// `12.5s`, `0.000000001s`.
fn format_time(t: SimTime) -> String {
    let whole = t / NANOS_PER_SEC;
    let frac = t % NANOS_PER_SEC;
    if frac == 0 {
        return format!("{whole}s");
    }
    let digits = format!("{frac:09}");
    format!("{whole}.{}s", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_seconds() {
        assert_eq!(format_time(0), "0s");
        assert_eq!(format_time(12_500_000_000), "12.5s");
        assert_eq!(format_time(1), "0.000000001s");
    }
}
