//! Resource guards: no scenario, however large, makes backsim exhaust the
//! machine's memory or run for hours without end; it stops with a message
//! that says what to lower instead.
//!
//! What is guaranteed:
//!
//! * **Before running** ([`estimate_run`], [`estimate_sweep`]), a scenario
//!   whose runs *certainly* need more memory than the limit is refused, and
//!   so is one whose runs certainly need more events than the event budget
//!   ([`events_needed`]). Both estimates are lower bounds: they count only
//!   what every run must hold (request slots of clients that all start at
//!   once, per-client state, the time series and summaries every run keeps
//!   until its scenario is aggregated, `--requests` records), so a scenario
//!   that would have fitted is never refused because of them.
//! * **While running**, a [`Watch`] shared by every run of a scenario is
//!   asked before a run allocates its clients' state (guards, the order of
//!   spread starts, a closed loop's counts), which may be gigabytes before
//!   the first event: refused if it would go over the limit with what the
//!   process holds and what other runs are about to take, and allocated
//!   without aborting if the system refuses it. It then looks at the
//!   process's resident memory (VmRSS) every 2^20 events of each run,
//!   whenever what a run holds has grown by 16 MB, and between runs; once
//!   it is over the limit, every run stops within its next 65,536 events
//!   and nothing of the scenario is written.
//! * **Per run**, the engine stops a run that spends its event budget or
//!   whose clock stands still for too many events while requests are
//!   retried (a livelock: retries with no delay against answers that take
//!   no time); see
//!   [`crate::engine::RunLimits`]. Those stops depend only on the run, so
//!   they are deterministic, and the run named in the message is the first
//!   in the fixed (point, strategy, replication) order that stops, whatever
//!   the number of threads.
//!
//! Library users who never pass limits ([`crate::experiment::run`],
//! [`crate::engine::simulate`]) are unaffected.

use crate::Error;
use crate::engine::{self, RunLimits};
use crate::metrics::run::{ModelCounts, RequestRecord, SeriesRow, Stop};
use crate::metrics::summary::{RunSummary, SeriesPoint, StrategySummary};
use crate::model::dist::Dist;
use crate::policy::Strategy;
use crate::scenario::{Scenario, WorkloadKind};
use crate::terminal::{format_bytes, group};
use crate::time::{NANOS_PER_SEC, SimTime};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

// ---------------------------------------------------------------------
// Limits and their defaults

/// Default event budget of one run (`--max-events`): minutes of one core
/// at the tens of millions of events per second backsim processes.
pub const DEFAULT_MAX_EVENTS: u64 = 10_000_000_000;

/// Default least number of events a run's clock may stand still for before
/// the run is stopped as a livelock (`--max-stall-events`; see
/// [`stall_limit`]): seconds of one core, which no run spends at one
/// instant unless it loops. An attempt answered at once takes about 3
/// events, so [`STALL_EVENTS_PER_CLIENT`] leaves every client of a large
/// burst some 20 such attempts at t = 0.
pub const DEFAULT_STALL_EVENTS: u64 = 100_000_000;

/// Events per client a run's clock may stand still for, on top of
/// [`DEFAULT_STALL_EVENTS`], so that large simultaneous bursts are never
/// taken for a livelock.
pub const STALL_EVENTS_PER_CLIENT: u64 = 64;

/// The engine's checkpoint: every this many events a run looks at its
/// limits (and at Ctrl-C). Budgets are therefore rounded up to a multiple
/// of it.
pub const CHECK_EVERY: u64 = 1 << 16;

/// Every this many events a run reads the process's resident memory
/// (about 30 ms of one core; a read of /proc/self/status took 13 µs on
/// the machine of the figures below, so this costs 0.05% at most).
pub const MEMORY_CHECK_EVERY: u64 = 1 << 20;

/// Between runs the resident memory is read at most this often (runs of a
/// few clients take microseconds; reading /proc for each would cost more
/// than the run).
const MEMORY_CHECK_INTERVAL_MS: u64 = 10;

/// A run also reads the resident memory at a checkpoint once what it holds
/// (request slots, queued events, time series, request records) has grown
/// by this much since it last did, however few events that took.
pub const MEMORY_CHECK_GROWTH: u64 = 16 << 20;

/// What a run allocates for its clients before its first event is asked
/// of the watch from this size on ([`Watch::reserve`]); below it, the
/// read of /proc would cost more than such a run.
const RESERVE_CHECKED_FROM: u64 = 1 << 20;

/// The limits the runs of one experiment are held to. `Limits::default()`
/// has none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Most events one run may process (None: no budget). The run is
    /// stopped at the first checkpoint at or past it, so the budget is in
    /// effect rounded up to a multiple of [`CHECK_EVERY`].
    pub max_events: Option<u64>,
    /// The least number of events a run's clock may stand still for before
    /// it is stopped as a livelock (None: never); see [`stall_limit`].
    pub stall_events: Option<u64>,
    /// Most resident memory of the whole process, in bytes (None: not
    /// watched).
    pub max_memory: Option<u64>,
}

impl Limit {
    /// The limit a flag sets: `default` when it is not given, none with
    /// `off`.
    pub fn or_default(flag: Option<Limit>, default: u64) -> Option<u64> {
        match flag {
            None => Some(default),
            Some(Limit::At(n)) => Some(n),
            Some(Limit::Off) => None,
        }
    }
}

/// How many events a run's clock may stand still for: the larger of
/// `floor` and 64 events per client.
pub fn stall_limit(floor: u64, clients: u32) -> u64 {
    floor.max(STALL_EVENTS_PER_CLIENT.saturating_mul(u64::from(clients)))
}

/// `n` rounded up to a multiple of [`CHECK_EVERY`]: the events a run
/// with budget `n` may process.
pub fn effective_budget(n: u64) -> u64 {
    n.div_ceil(CHECK_EVERY).saturating_mul(CHECK_EVERY)
}

/// The value of `--max-events`, `--max-stall-events` (events) or
/// `--max-memory` (bytes): a limit, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    At(u64),
    Off,
}

/// `off` (any case) as [`Limit::Off`]; otherwise `value` of the trimmed
/// text, which must be at least 1, or the message `bad`.
fn parse_limit(
    s: &str,
    value: impl FnOnce(&str) -> Option<u64>,
    bad: impl FnOnce() -> String,
) -> Result<Limit, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("off") {
        return Ok(Limit::Off);
    }
    match value(t) {
        Some(n) if n >= 1 => Ok(Limit::At(n)),
        _ => Err(bad()),
    }
}

/// Parses `--max-events` and `--max-stall-events`: a whole number from 1
/// (`1000000`, `1_000_000`, `1e9`) or `off`.
pub fn parse_event_limit(s: &str) -> Result<Limit, String> {
    let events = |t: &str| {
        let digits = t.replace('_', "");
        digits.parse::<u64>().ok().or_else(|| {
            let x: f64 = digits.parse().ok()?;
            (x.is_finite() && x.fract() == 0.0 && x >= 0.0 && x < u64::MAX as f64)
                .then_some(x as u64)
        })
    };
    parse_limit(s, events, || {
        format!(
            "\"{s}\" is not a number of events (a whole number from 1, e.g. 1000000 or 1e9) or off"
        )
    })
}

/// Parses `--max-memory`: a number of bytes with an optional suffix, `K`,
/// `M`, `G` or `T` (powers of 1000, with or without a trailing `B`) or
/// `Ki`, `Mi`, `Gi`, `Ti` (powers of 1024, likewise), case-insensitive
/// (`512M`, `8G`, `1.5T`, `4GiB`); or `off`.
pub fn parse_memory_limit(s: &str) -> Result<Limit, String> {
    let bytes = |t: &str| {
        let lower = t.to_ascii_lowercase();
        let unit_start = lower
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(lower.len());
        let (number, unit) = lower.split_at(unit_start);
        let scale: f64 = match unit.strip_suffix('b').unwrap_or(unit) {
            "" => 1.0,
            "k" => 1e3,
            "m" => 1e6,
            "g" => 1e9,
            "t" => 1e12,
            "ki" => 1024.0,
            "mi" => 1024.0 * 1024.0,
            "gi" => 1024.0 * 1024.0 * 1024.0,
            "ti" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
            _ => return None,
        };
        let number = number.trim();
        if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return None;
        }
        let bytes = (number.parse::<f64>().ok()? * scale).round();
        (bytes < u64::MAX as f64).then_some(bytes as u64)
    };
    parse_limit(s, bytes, || {
        format!(
            "\"{s}\" is not a size: a number of bytes with an optional K, M, G or T (powers of 1000; Ki, Mi, Gi, Ti for powers of 1024), e.g. 512M, 8G or 1.5T; or off"
        )
    })
}

/// A `--max-memory` value at least `b` bytes, with two significant digits:
/// `32G` for 31.2 GB, `154M` for 153.6 MB, `1.1G` for 1.05 GB.
pub fn size_flag(b: u64) -> String {
    let x = b.max(1) as f64;
    let (unit, scale) = [("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)]
        .into_iter()
        .find(|&(_, s)| x >= s)
        .unwrap_or(("", 1.0));
    let v = x / scale;
    // One decimal below 10 of the unit, whole numbers above (rounded up).
    let text = if v < 10.0 {
        let r = (v * 10.0 - 1e-9).ceil() / 10.0;
        if r.fract() == 0.0 {
            format!("{r:.0}")
        } else {
            format!("{r:.1}")
        }
    } else {
        format!("{:.0}", (v - 1e-9).ceil())
    };
    format!("{text}{unit}")
}

/// A simulated time in seconds, as few decimals as it needs: `0s`,
/// `12.5s`, `0.000000001s`.
pub fn format_time(t: SimTime) -> String {
    let whole = t / NANOS_PER_SEC;
    let frac = t % NANOS_PER_SEC;
    if frac == 0 {
        return format!("{whole}s");
    }
    let digits = format!("{frac:09}");
    format!("{whole}.{}s", digits.trim_end_matches('0'))
}

// ---------------------------------------------------------------------
// What the machine has

/// Memory this process may still take, and where that figure came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Available {
    /// Bytes.
    pub bytes: u64,
    /// For messages: "MemAvailable in /proc/meminfo", or the cgroup file.
    pub source: String,
}

/// What this process may use on top of what it holds: the smaller of
/// `MemAvailable` in /proc/meminfo and the room left under the memory
/// limit of the process's cgroup (and its parents): cgroup v2
/// `memory.max` minus `memory.current`, v1 `memory.limit_in_bytes` minus
/// `memory.usage_in_bytes`, each not counting the inactive page cache the
/// kernel reclaims before it fails an allocation. None where not known
/// (not Linux).
pub fn available_memory() -> Option<Available> {
    let read = |p: &str| std::fs::read_to_string(p).ok();
    let mem = read("/proc/meminfo")
        .as_deref()
        .and_then(meminfo_available)
        .map(|bytes| Available {
            bytes,
            source: "MemAvailable in /proc/meminfo".to_string(),
        });
    let cgroup = match (read("/proc/self/cgroup"), read("/proc/self/mountinfo")) {
        (Some(c), Some(m)) => cgroup_room(&c, &m, &|p| std::fs::read_to_string(p).ok()),
        _ => None,
    };
    match (mem, cgroup) {
        (Some(m), Some(c)) => Some(if c.bytes < m.bytes { c } else { m }),
        (m, c) => m.or(c),
    }
}

/// The process's resident memory in bytes (VmRSS in /proc/self/status;
/// None where not known).
pub fn resident_memory() -> Option<u64> {
    status_field(
        &std::fs::read_to_string("/proc/self/status").ok()?,
        "VmRSS:",
    )
}

/// `MemAvailable` of /proc/meminfo text, in bytes.
fn meminfo_available(text: &str) -> Option<u64> {
    status_field(text, "MemAvailable:")
}

/// A `Name:   1234 kB` line of /proc text, in bytes.
fn status_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    let mut words = line[name.len()..].split_whitespace();
    let n: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") => n.checked_mul(1024),
        None => Some(n),
        Some(_) => None,
    }
}

/// Which cgroup hierarchy a limit comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CgroupVersion {
    V1,
    V2,
}

/// The process's memory cgroups in /proc/self/cgroup text: the v2 path
/// (`0::/path`) and the v1 memory controller's (`N:memory:/path`).
fn cgroup_paths(text: &str) -> Vec<(CgroupVersion, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if id == "0" && controllers.is_empty() {
            out.push((CgroupVersion::V2, path.to_string()));
        } else if controllers.split(',').any(|c| c == "memory") {
            out.push((CgroupVersion::V1, path.to_string()));
        }
    }
    out
}

/// Where the hierarchy is mounted, from /proc/self/mountinfo text: the
/// mount point and the cgroup path it shows as its root.
fn cgroup_mount(mountinfo: &str, version: CgroupVersion) -> Option<(String, String)> {
    mountinfo.lines().find_map(|line| {
        let (before, after) = line.split_once(" - ")?;
        let fields: Vec<&str> = before.split_whitespace().collect();
        let after: Vec<&str> = after.split_whitespace().collect();
        let (root, point) = (fields.get(3)?, fields.get(4)?);
        let fstype = after.first()?;
        let found = match version {
            CgroupVersion::V2 => *fstype == "cgroup2",
            CgroupVersion::V1 => {
                *fstype == "cgroup" && after.get(2)?.split(',').any(|o| o == "memory")
            }
        };
        found.then(|| (point.to_string(), root.to_string()))
    })
}

/// The folders of a cgroup and of its parents up to the mount point,
/// innermost first.
fn cgroup_dirs(point: &str, root: &str, path: &str) -> Vec<String> {
    let rel = path
        .strip_prefix(root)
        .filter(|_| root != "/")
        .unwrap_or(if root == "/" { path } else { "" });
    let mut dirs = Vec::new();
    let mut rel = rel.trim_matches('/').to_string();
    loop {
        dirs.push(if rel.is_empty() {
            point.to_string()
        } else {
            format!("{}/{rel}", point.trim_end_matches('/'))
        });
        match rel.rfind('/') {
            Some(i) => rel.truncate(i),
            None if !rel.is_empty() => rel.clear(),
            None => break,
        }
    }
    dirs
}

/// The least room left under any memory limit of the process's cgroups,
/// reading files with `read`.
fn cgroup_room(
    cgroup: &str,
    mountinfo: &str,
    read: &dyn Fn(&str) -> Option<String>,
) -> Option<Available> {
    let mut best: Option<Available> = None;
    for (version, path) in cgroup_paths(cgroup) {
        let Some((point, root)) = cgroup_mount(mountinfo, version) else {
            continue;
        };
        for dir in cgroup_dirs(&point, &root, &path) {
            let (max_file, used_file, cache_key) = match version {
                CgroupVersion::V2 => ("memory.max", "memory.current", "inactive_file"),
                CgroupVersion::V1 => (
                    "memory.limit_in_bytes",
                    "memory.usage_in_bytes",
                    "total_inactive_file",
                ),
            };
            let file = |name: &str| read(&format!("{dir}/{name}"));
            let Some(max) = file(max_file).and_then(|t| t.trim().parse::<u64>().ok()) else {
                continue; // "max", or no limit file at this level
            };
            // cgroup v1 writes "no limit" as a number near 2^63.
            if max >= 1 << 60 {
                continue;
            }
            let used = file(used_file)
                .and_then(|t| t.trim().parse::<u64>().ok())
                .unwrap_or(0);
            let cache = file("memory.stat")
                .and_then(|t| {
                    t.lines().find_map(|l| {
                        let (k, v) = l.split_once(' ')?;
                        (k == cache_key).then(|| v.trim().parse::<u64>().ok())?
                    })
                })
                .unwrap_or(0);
            let room = max.saturating_sub(used.saturating_sub(cache));
            if best.as_ref().is_none_or(|b| room < b.bytes) {
                best = Some(Available {
                    bytes: room,
                    source: format!("the cgroup limit: {dir}/{max_file} less what the cgroup uses"),
                });
            }
        }
    }
    best
}

// ---------------------------------------------------------------------
// The estimate
//
// Constants, measured on the 2-core, 24 GiB Linux machine of README's
// Performance section with `backsim run FILE --stats` (peak memory: VmHWM)
// at 10^5, 10^6 and 2·10^6 clients, one thread, one strategy; the figure
// is the difference between two sizes divided by the difference in
// clients (or runs, or rows), so that the process's own few megabytes drop
// out:
//
// * A burst with spread 0 whose every attempt is answered 429 at once
//   (the least a client can cost): 148 bytes per client; the estimate
//   counts the request slot and its queued events exactly by their sizes
//   (80 + 2 × 32 bytes with the default 10-minute client timeout,
//   `engine::first_attempt_bytes`); the rest is allocator slack and is
//   not counted.
// * A burst spread over 100 s: 20 bytes per client, exactly the first
//   starts' sort (16-byte (time, client) pairs, then 4-byte clients).
// * Retry guards, over that: 16 bytes per client for a token budget
//   (aws_quota, grpc, client_bucket), 112 for a percent budget or an
//   aws_adaptive throttle, 190 for a breaker or an sre throttle; the
//   constants below are those rounded down by about 5%.
// * `--requests`: 88 bytes per request (`size_of::<RequestRecord>()`).
// * Time series: 56 bytes per row (`size_of::<SeriesRow>()`): a trace
//   whose last request starts at 999 s with 1 ms buckets held 56 MB per
//   replication.
// * A finished run held until aggregation: 877 bytes (10^5 against
//   2·10^5 replications of a one-client run, with --stats); the estimate
//   counts `size_of::<RunSummary>()` and one `ModelCounts` per model (568
//   bytes with one model).

/// Guard state per client of a token retry budget (aws_quota, grpc,
/// client_bucket), in bytes (measured: 16).
const GUARD_TOKEN_BUDGET: u64 = 16;
/// Per client, a percent retry budget or an aws_adaptive throttle (boxed
/// state; measured: 112).
const GUARD_BOXED: u64 = 104;
/// Per client, a circuit breaker or an sre throttle (outcome windows;
/// measured: 190).
const GUARD_WINDOW: u64 = 176;
/// Per client with a spread start: the sort of first starts, (time,
/// client) pairs and then the clients in order, both alive at once.
const FIRST_START_ORDER: u64 = (size_of::<(SimTime, u32)>() + size_of::<u32>()) as u64;
/// Per client of a closed loop: requests started so far.
const CLOSED_LOOP_COUNT: u64 = size_of::<u32>() as u64;
/// Least bytes of one line of requests.csv besides the scenario's and
/// strategy's names: 16 commas and a newline, one digit for each of the
/// replication, request, client, start, attempts, model and six token
/// columns, and "gave_up", the shortest outcome.
const REQUEST_LINE_MIN: u64 = 17 + 12 + 7;

/// Least bytes of a row of a trace's copy (`0,0,0` and a line break).
const TRACE_ROW_MIN: u64 = 6;
/// The least a row of timeseries.csv takes besides the scenario's and
/// strategy's names: 8 numbers of at least one digit, 9 commas, a line
/// end.
const TIMESERIES_LINE_MIN: u64 = 8 + 9 + 1;

/// A chance small enough to call impossible: random bounds below hold but
/// with probability less than e^-25 (about 10^-11).
const TAIL_SIGMAS: f64 = 7.0;
const TAIL_LOG: f64 = 25.0;

/// What an estimate is made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Worker threads (already resolved: at least 1).
    pub threads: usize,
    /// `--requests`.
    pub record_requests: bool,
    /// Replications of each strategy that certainly run (the scenario's;
    /// with a precision target, its first batch).
    pub replications: u32,
}

/// Which knob lowers a part of the estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Knob {
    Clients,
    /// A Poisson workload's `rate_per_s` and `duration`.
    Arrivals,
    /// A trace's rows (within the horizon).
    Trace,
    Threads,
    Replications,
    Bucket,
    Requests,
}

/// One part of an estimate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// What it is, for the message.
    pub what: String,
    /// Bytes.
    pub bytes: u64,
    knobs: Vec<Knob>,
}

/// The memory a scenario certainly needs, in parts (the largest phase of
/// the work: while runs are running, once every run is done, or while
/// requests.csv is written).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Estimate {
    pub parts: Vec<Part>,
    /// For a sweep: the point the figure is for (index, and its values).
    pub point: Option<(usize, String)>,
}

impl Estimate {
    /// Bytes in all.
    pub fn total(&self) -> u64 {
        self.parts.iter().fold(0, |a, p| a.saturating_add(p.bytes))
    }

    fn with(parts: Vec<Part>) -> Estimate {
        Estimate {
            parts: parts.into_iter().filter(|p| p.bytes > 0).collect(),
            point: None,
        }
    }
}

/// The least simulated time until which a run is active: its last request
/// starts at least then (but with probability below e^-25), and never
/// after the horizon.
pub fn activity_lower_bound(s: &Scenario) -> SimTime {
    let t = match &s.workload.kind {
        WorkloadKind::Burst { spread } | WorkloadKind::Closed { spread, .. } => {
            // The latest of n uniform starts is below spread·(1 − k/n)
            // with probability (1 − k/n)^n < e^-k.
            let n = f64::from(s.workload.clients);
            (*spread as f64 * (1.0 - TAIL_LOG / n)).max(0.0) as u64
        }
        WorkloadKind::Poisson {
            rate_per_s,
            duration,
        } => {
            // No arrival in the last x seconds: probability e^(-rate·x).
            let gap = TAIL_LOG / rate_per_s * NANOS_PER_SEC as f64;
            (*duration.min(&s.horizon) as f64 - gap).max(0.0) as u64
        }
        WorkloadKind::Trace { rows } => rows
            .iter()
            .map(|r| r.start)
            .filter(|&t| t <= s.horizon)
            .max()
            .unwrap_or(0),
    };
    t.min(s.horizon)
}

/// Requests a run certainly creates (but with probability below e^-25).
pub fn requests_lower_bound(s: &Scenario) -> u64 {
    match &s.workload.kind {
        // Validation keeps the spread within the horizon: every client
        // starts at least one request.
        WorkloadKind::Burst { .. } | WorkloadKind::Closed { .. } => u64::from(s.workload.clients),
        WorkloadKind::Poisson {
            rate_per_s,
            duration,
        } => {
            let mean = rate_per_s * (*duration.min(&s.horizon) as f64 / NANOS_PER_SEC as f64);
            (mean - TAIL_SIGMAS * mean.sqrt()).max(0.0) as u64
        }
        WorkloadKind::Trace { rows } => rows.iter().filter(|r| r.start <= s.horizon).count() as u64,
    }
}

/// The largest value a distribution ever draws, if it is bounded.
fn dist_max(d: &Dist) -> Option<f64> {
    match d {
        Dist::Constant(v) => Some(*v),
        Dist::Uniform { max, .. } => Some(*max),
        Dist::Empirical { values, .. } => values.iter().copied().reduce(f64::max),
        _ => None,
    }
}

/// The latest time a run's first requests start.
fn last_first_start(s: &Scenario) -> SimTime {
    match &s.workload.kind {
        WorkloadKind::Burst { spread } | WorkloadKind::Closed { spread, .. } => *spread,
        WorkloadKind::Poisson { duration, .. } => *duration,
        WorkloadKind::Trace { rows } => rows.iter().map(|r| r.start).max().unwrap_or(0),
    }
    .min(s.horizon)
}

/// Events a run of `strategy` certainly processes: each request's start,
/// and, when nothing can stop its first attempt before it reaches the
/// limiter (no client-side throttle; no breaker, unless the requests
/// counted are each client's first, which its own breaker never stops; a
/// bounded network hop that lands before the horizon), that arrival too.
pub fn events_needed(s: &Scenario, strategy: &Strategy) -> u64 {
    let requests = requests_lower_bound(s);
    let first_requests = matches!(
        s.workload.kind,
        WorkloadKind::Burst { .. } | WorkloadKind::Closed { .. }
    );
    let unblocked =
        strategy.guards.throttle.is_none() && (strategy.guards.breaker.is_none() || first_requests);
    let lands = dist_max(&s.network_one_way)
        .is_some_and(|hop| last_first_start(s) as f64 + hop <= s.horizon as f64);
    requests.saturating_mul(if unblocked && lands { 2 } else { 1 })
}

/// Bytes of per-client guard state of `strategy`.
fn guard_bytes(strategy: &Strategy) -> u64 {
    use crate::policy::guard::{Budget, Throttle};
    let g = &strategy.guards;
    let budget = match g.budget {
        None => 0,
        Some(Budget::Percent { .. }) => GUARD_BOXED,
        Some(_) => GUARD_TOKEN_BUDGET,
    };
    let breaker = if g.breaker.is_some() { GUARD_WINDOW } else { 0 };
    let throttle = match g.throttle {
        None => 0,
        Some(Throttle::Sre { .. }) => GUARD_WINDOW,
        Some(Throttle::AwsAdaptive { .. }) => GUARD_BOXED,
    };
    budget + breaker + throttle
}

/// Whether every client's first request certainly has its slot at once:
/// a burst or closed loop with no spread starts them all at t = 0 before
/// any other event, and only a throttle could turn one away before it is
/// sent.
fn starts_together(s: &Scenario, strategy: &Strategy) -> bool {
    let spread = match s.workload.kind {
        WorkloadKind::Burst { spread } | WorkloadKind::Closed { spread, .. } => spread,
        _ => return false,
    };
    spread == 0 && strategy.guards.throttle.is_none()
}

/// Bytes a run of `strategy` allocates for its clients before its first
/// event, whatever the workload: the retry guards' state, the sort of
/// spread first starts, a closed loop's count of requests per client.
/// The engine asks the watch for them before it allocates them
/// ([`Watch::reserve`]).
pub(crate) fn client_state_bytes(s: &Scenario, strategy: &Strategy) -> u64 {
    let spread = matches!(
        s.workload.kind,
        WorkloadKind::Burst { spread } | WorkloadKind::Closed { spread, .. } if spread > 0
    );
    let closed = matches!(s.workload.kind, WorkloadKind::Closed { .. });
    let per_client = guard_bytes(strategy)
        + if spread { FIRST_START_ORDER } else { 0 }
        + if closed { CLOSED_LOOP_COUNT } else { 0 };
    u64::from(s.workload.clients).saturating_mul(per_client)
}

/// What one run of `strategy` certainly holds at its busiest while it
/// runs, in parts: (slots, other per-client state, its own records).
fn working_set(s: &Scenario, strategy: &Strategy, record: bool) -> (u64, u64, u64) {
    let clients = u64::from(s.workload.clients);
    let together = starts_together(s, strategy);
    let slots = if together {
        clients.saturating_mul(engine::first_attempt_bytes(s, strategy))
    } else {
        0
    };
    let records = if together && record {
        clients.saturating_mul(size_of::<RequestRecord>() as u64)
    } else {
        0
    };
    (slots, client_state_bytes(s, strategy), records)
}

/// Bytes a finished run certainly holds until its scenario is aggregated,
/// besides its time series.
fn summary_bytes(s: &Scenario) -> u64 {
    (size_of::<RunSummary>() + size_of::<ModelCounts>() * (1 + s.models.len())) as u64
}

/// What sets the number of requests of a run of `s`.
fn requests_knob(s: &Scenario) -> Knob {
    match s.workload.kind {
        WorkloadKind::Burst { .. } | WorkloadKind::Closed { .. } => Knob::Clients,
        WorkloadKind::Poisson { .. } => Knob::Arrivals,
        WorkloadKind::Trace { .. } => Knob::Trace,
    }
}

/// The memory every run of `s` certainly needs together (see the module
/// documentation): the largest of
///
/// 1. while running: the working sets (request slots and queued first
///    attempts of clients that all start at once, guard state, the sort
///    of spread starts; with `--requests` the records of those runs'
///    clients) of the `threads` smallest runs, which certainly run at
///    once, or of the largest run, which certainly runs, whichever is
///    more;
/// 2. once every run is done: each run's summary and time series (rows up
///    to [`activity_lower_bound`]), and with `--requests` every run's
///    records ([`requests_lower_bound`] each);
/// 3. while requests.csv is written: the records and the file's text;
/// 4. while the report is made: each strategy's mean time series, the
///    text of timeseries.csv, and the series read back from it for the
///    charts and the table.
pub fn estimate_run(s: &Scenario, plan: &Plan) -> Estimate {
    let reps = u64::from(plan.replications.max(1));
    let jobs = s.strategies.len() as u64 * reps;
    let threads = (plan.threads.max(1) as u64).min(jobs.max(1));
    let clients = group(u64::from(s.workload.clients));
    // 1. The `threads` runs with the smallest working sets, or the run
    // with the largest alone (a cheap strategy beside a costly one once
    // hid the costly one's gigabytes).
    let mut sets: Vec<((u64, u64, u64), &str)> = s
        .strategies
        .iter()
        .map(|st| (working_set(s, st, plan.record_requests), st.name.as_str()))
        .collect();
    let total = |&(a, b, c): &(u64, u64, u64)| a.saturating_add(b).saturating_add(c);
    // Stable: of strategies that cost the same, the first in the file.
    sets.sort_by_key(|(set, _)| total(set));
    let (mut slots, mut state, mut records, mut left) = (0u64, 0u64, 0u64, threads);
    for ((a, b, c), _) in &sets {
        let n = left.min(reps);
        slots = slots.saturating_add(a.saturating_mul(n));
        state = state.saturating_add(b.saturating_mul(n));
        records = records.saturating_add(c.saturating_mul(n));
        left -= n;
        if left == 0 {
            break;
        }
    }
    let mut on = match threads {
        1 => "on 1 thread".to_string(),
        n => format!("on {n} threads"),
    };
    // Fewer threads lower the first, not the second.
    let mut threads_knob = Knob::Threads;
    if let Some(&(largest, name)) = sets.last()
        && total(&largest) > slots.saturating_add(state).saturating_add(records)
    {
        (slots, state, records) = largest;
        on = format!("in one run of strategy \"{name}\"");
        threads_knob = Knob::Clients;
    }
    let running = vec![
        Part {
            what: format!("request slots and queued first attempts of {clients} clients {on}"),
            bytes: slots,
            knobs: vec![Knob::Clients, threads_knob],
        },
        Part {
            what: format!("per-client state of {clients} clients {on}"),
            bytes: state,
            knobs: vec![Knob::Clients, threads_knob],
        },
        Part {
            what: format!("requests.csv records of {clients} clients {on}"),
            bytes: records,
            knobs: vec![Knob::Requests, Knob::Clients, threads_knob],
        },
    ];
    // 2. Every run done.
    let rows = activity_lower_bound(s) / s.report.bucket.max(1) + 1;
    let requests = requests_lower_bound(s);
    let all_records = requests
        .saturating_mul(size_of::<RequestRecord>() as u64)
        .saturating_mul(jobs);
    let record_knobs = vec![Knob::Requests, requests_knob(s), Knob::Replications];
    let records_part = |what: String| Part {
        what,
        bytes: if plan.record_requests { all_records } else { 0 },
        knobs: record_knobs.clone(),
    };
    let runs = group(jobs);
    let done = vec![
        Part {
            what: format!("time series of {runs} runs ({} rows each)", group(rows)),
            bytes: rows
                .saturating_mul(size_of::<SeriesRow>() as u64)
                .saturating_mul(jobs),
            knobs: vec![Knob::Replications, Knob::Bucket],
        },
        Part {
            what: format!("summaries of {runs} runs"),
            bytes: summary_bytes(s).saturating_mul(jobs),
            knobs: vec![Knob::Replications],
        },
        records_part(format!(
            "requests.csv records ({} requests × {runs} runs)",
            group(requests)
        )),
        // The trace's rows are in memory already (counted in what the
        // process holds when this is checked); the report's copy of them
        // is written as text, at least "0,0,0\n" a row.
        Part {
            what: "the trace's copy, trace.csv".to_string(),
            bytes: match &s.workload.kind {
                WorkloadKind::Trace { rows } => (rows.len() as u64).saturating_mul(TRACE_ROW_MIN),
                _ => 0,
            },
            knobs: vec![Knob::Trace],
        },
    ];
    // 3. Writing requests.csv.
    let line = REQUEST_LINE_MIN
        + s.name.len() as u64
        + s.strategies
            .iter()
            .map(|st| st.name.len() as u64)
            .min()
            .unwrap_or(0);
    let writing = vec![
        records_part(format!(
            "requests.csv records ({} requests × {runs} runs)",
            group(requests)
        )),
        Part {
            what: "requests.csv text".to_string(),
            bytes: if plan.record_requests {
                requests.saturating_mul(line).saturating_mul(jobs)
            } else {
                0
            },
            knobs: record_knobs.clone(),
        },
    ];
    // 4. Making the report.
    let strategies = s.strategies.len() as u64;
    let series_rows = rows.saturating_mul(strategies);
    let series_line = TIMESERIES_LINE_MIN
        + s.name.len() as u64
        + s.strategies
            .iter()
            .map(|st| st.name.len() as u64)
            .min()
            .unwrap_or(0);
    let report = vec![
        Part {
            what: format!(
                "the report's mean time series, and as read back ({} rows × {} strategies, twice)",
                group(rows),
                group(strategies)
            ),
            bytes: series_rows.saturating_mul(2 * size_of::<SeriesPoint>() as u64),
            knobs: vec![Knob::Bucket],
        },
        Part {
            what: "timeseries.csv text".to_string(),
            bytes: series_rows.saturating_mul(series_line),
            knobs: vec![Knob::Bucket],
        },
    ];
    [running, done, writing, report]
        .into_iter()
        .map(Estimate::with)
        .max_by_key(Estimate::total)
        .unwrap_or_default()
}

/// [`estimate_run`] for a sweep: the largest of its points' estimates
/// (`points` yields each point's index, values and scenario, or an error
/// that ends the estimate; each point's runs are estimated with at most
/// `plan.threads` threads), or every point's summaries, which the sweep
/// holds until it writes its report.
pub fn estimate_sweep<E>(
    points: impl Iterator<Item = Result<(usize, String, Scenario), E>>,
    plan: &Plan,
) -> Result<Estimate, E> {
    let mut best = Estimate::default();
    let mut count = 0u64;
    let mut strategies = 0u64;
    for point in points {
        let (point, values, s) = point?;
        count += 1;
        strategies = s.strategies.len() as u64;
        let e = estimate_run(&s, plan);
        if e.total() > best.total() {
            best = Estimate {
                point: Some((point, values)),
                ..e
            };
        }
    }
    let held = Estimate::with(vec![Part {
        what: format!("summaries of {} sweep points", group(count)),
        bytes: count
            .saturating_mul(strategies)
            .saturating_mul(size_of::<StrategySummary>() as u64),
        knobs: vec![],
    }]);
    Ok(if held.total() > best.total() {
        held
    } else {
        best
    })
}

/// The limit a memory estimate is checked against, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryBudget {
    /// Most resident memory of the process, in bytes.
    pub bytes: u64,
    /// For messages: `--max-memory 1G`, or what the default came from.
    pub source: String,
    /// Given with `--max-memory`.
    pub explicit: bool,
}

impl MemoryBudget {
    /// The limit `--max-memory` asks for (None: not given): `off` is none;
    /// the default is what the process holds now plus what is available
    /// (none where that is not known).
    pub fn from_flag(flag: Option<Limit>) -> Option<MemoryBudget> {
        match flag {
            Some(Limit::Off) => None,
            Some(Limit::At(bytes)) => Some(MemoryBudget {
                bytes,
                source: format!("--max-memory {}", size_flag_exact(bytes)),
                explicit: true,
            }),
            None => {
                let a = available_memory()?;
                Some(MemoryBudget {
                    bytes: a.bytes.saturating_add(resident_memory().unwrap_or(0)),
                    source: a.source,
                    explicit: false,
                })
            }
        }
    }

    /// Where the limit came from, for the watchdog's message:
    /// `--max-memory 1G`, or `the memory available at the start: …`.
    pub fn describe(&self) -> String {
        if self.explicit {
            self.source.clone()
        } else {
            format!("the memory available at the start: {}", self.source)
        }
    }
}

/// `bytes` as the user may have written it: `1G` for 10^9, else the
/// bytes in powers of 1000 with one decimal.
fn size_flag_exact(bytes: u64) -> String {
    for (unit, scale) in [("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)] {
        let v = bytes as f64 / scale;
        if v >= 1.0 {
            let r = (v * 10.0).round() / 10.0;
            return if r.fract() == 0.0 {
                format!("{r:.0}{unit}")
            } else {
                format!("{r:.1}{unit}")
            };
        }
    }
    bytes.to_string()
}

/// Refuses `estimate` (plus `in_use`, what the process holds already)
/// when it exceeds `budget`: exit code 2, naming `file`, the estimate's
/// main parts, the limit, what to lower and the flag that raises it.
pub fn check_memory(
    file: &str,
    estimate: &Estimate,
    in_use: u64,
    budget: &MemoryBudget,
    threads: usize,
) -> Result<(), crate::Error> {
    let total = estimate.total().saturating_add(in_use);
    if total <= budget.bytes {
        return Ok(());
    }
    let mut parts: Vec<&Part> = estimate
        .parts
        .iter()
        .filter(|p| p.bytes.saturating_mul(100) >= total)
        .collect();
    parts.sort_by_key(|p| std::cmp::Reverse(p.bytes));
    let mut listed: Vec<String> = parts
        .iter()
        .map(|p| format!("{}: {}", p.what, format_bytes(p.bytes)))
        .collect();
    if in_use.saturating_mul(100) >= total {
        listed.push(format!(
            "backsim and the loaded scenarios: {}",
            format_bytes(in_use)
        ));
    }
    let mut knobs: Vec<Knob> = parts.iter().flat_map(|p| p.knobs.clone()).collect();
    knobs.sort();
    knobs.dedup();
    let names: Vec<&str> = knobs
        .iter()
        .flat_map(|k| match k {
            Knob::Clients => &["workload.clients"][..],
            Knob::Arrivals => &["workload.rate_per_s", "workload.duration"],
            Knob::Threads if threads > 1 => &["--threads"],
            Knob::Replications => &["--replications"],
            _ => &[],
        })
        .copied()
        .collect();
    let mut advice = Vec::new();
    if !names.is_empty() {
        advice.push(format!("lower {}", or_list(&names)));
    }
    if knobs.contains(&Knob::Trace) {
        advice.push("replay fewer rows of the trace (or a shorter horizon)".to_string());
    }
    if knobs.contains(&Knob::Bucket) {
        advice.push("use a wider report.bucket".to_string());
    }
    if knobs.contains(&Knob::Requests) {
        advice.push("leave out --requests".to_string());
    }
    advice.push(format!(
        "raise the limit with --max-memory (at least {})",
        size_flag(total.saturating_add(total / 4))
    ));
    let at = match &estimate.point {
        Some((p, values)) => format!(" at sweep point {p} ({values})"),
        None => String::new(),
    };
    Err(crate::Error::Input(format!(
        "{file}: needs at least {} of memory{at} ({}) but {}; {}",
        format_bytes(total),
        listed.join("; "),
        match budget.explicit {
            true => format!(
                "the limit is {} ({})",
                format_bytes(budget.bytes),
                budget.source
            ),
            false => format!(
                "{} is available ({})",
                format_bytes(budget.bytes),
                budget.source
            ),
        },
        or_list_sentence(&advice)
    )))
}

/// "a", "a or b", "a, b or c".
fn or_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// "a", "a, or b", "a, b, or c" (clauses).
fn or_list_sentence(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{}, or {last}", rest.join(", ")),
    }
}

/// Refuses a scenario one of whose runs certainly needs more events than
/// the budget allows (exit code 2).
pub fn check_events(file: &str, s: &Scenario, max_events: Option<u64>) -> Result<(), crate::Error> {
    let Some(max) = max_events else {
        return Ok(());
    };
    let budget = effective_budget(max);
    // The first strategy that needs the most.
    let worst = s
        .strategies
        .iter()
        .map(|st| (events_needed(s, st), st))
        .reduce(|a, b| if b.0 > a.0 { b } else { a });
    let Some((needed, strategy)) = worst else {
        return Ok(());
    };
    if needed <= budget {
        return Ok(());
    }
    let requests = requests_lower_bound(s);
    let per = if needed > requests {
        "its start and its first attempt reaching the limiter"
    } else {
        "its start"
    };
    Err(crate::Error::Input(format!(
        "{file}: a run of strategy \"{}\" needs at least {} events ({} requests, each at least {per}) but --max-events allows {} per run; raise --max-events or set it to off",
        strategy.name,
        group(needed),
        group(requests),
        group(budget),
    )))
}

// ---------------------------------------------------------------------
// While running

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
            watch: Some(self),
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
        match requests_knob(s) {
            Knob::Trace => "replay fewer rows of the trace, or ",
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

/// Worker threads `--threads N` gives (0: one per core, as rayon counts
/// them).
pub fn resolve_threads(threads: usize) -> usize {
    if threads > 0 {
        return threads;
    }
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units_and_off() {
        let at = |b: u64| Ok(Limit::At(b));
        assert_eq!(parse_memory_limit("512M"), at(512_000_000));
        assert_eq!(parse_memory_limit("8G"), at(8_000_000_000));
        assert_eq!(parse_memory_limit("1.5T"), at(1_500_000_000_000));
        assert_eq!(parse_memory_limit("1.5t"), at(1_500_000_000_000));
        assert_eq!(parse_memory_limit("4GB"), at(4_000_000_000));
        assert_eq!(parse_memory_limit("4GiB"), at(4 << 30));
        assert_eq!(parse_memory_limit("2ki"), at(2048));
        assert_eq!(parse_memory_limit("1000"), at(1000));
        assert_eq!(parse_memory_limit(" 64k "), at(64_000));
        assert_eq!(parse_memory_limit("off"), Ok(Limit::Off));
        assert_eq!(parse_memory_limit("OFF"), Ok(Limit::Off));
        for bad in [
            "", "G", "-1G", "0", "0.0001", "1X", "1.2.3G", "1e3M", "12 G B", "inf",
        ] {
            let e = parse_memory_limit(bad).unwrap_err();
            assert!(e.contains("is not a size"), "{bad}: {e}");
        }
    }

    #[test]
    fn event_limits_parse() {
        assert_eq!(parse_event_limit("1000"), Ok(Limit::At(1000)));
        assert_eq!(parse_event_limit("1_000_000"), Ok(Limit::At(1_000_000)));
        assert_eq!(parse_event_limit("1e9"), Ok(Limit::At(1_000_000_000)));
        assert_eq!(parse_event_limit("off"), Ok(Limit::Off));
        for bad in ["0", "-5", "1.5", "x", "", "1e30"] {
            assert!(parse_event_limit(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bytes_and_counts_read_well() {
        assert_eq!(format_bytes(512), "512 bytes");
        assert_eq!(format_bytes(153_600_000), "153.6 MB");
        assert_eq!(format_bytes(31_200_000_000), "31.2 GB");
        assert_eq!(size_flag(31_200_000_000), "32G");
        assert_eq!(size_flag(153_600_000), "154M");
        assert_eq!(size_flag(1_050_000_000), "1.1G");
        assert_eq!(size_flag(2_000_000_000), "2G");
        assert_eq!(size_flag_exact(1_000_000_000), "1G");
        assert_eq!(size_flag_exact(1_500_000_000), "1.5G");
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(100_000_000), "100,000,000");
        assert_eq!(format_time(0), "0s");
        assert_eq!(format_time(12_500_000_000), "12.5s");
        assert_eq!(format_time(1), "0.000000001s");
        assert_eq!(effective_budget(1), 65_536);
        assert_eq!(effective_budget(65_536), 65_536);
        assert_eq!(effective_budget(100_000), 131_072);
        assert_eq!(stall_limit(100_000_000, 1000), 100_000_000);
        assert_eq!(stall_limit(100_000_000, 10_000_000), 640_000_000);
    }

    #[test]
    fn proc_text_is_read_in_bytes() {
        let meminfo = "MemTotal:       24683792 kB\nMemFree:        22375344 kB\nMemAvailable:   23693644 kB\n";
        assert_eq!(meminfo_available(meminfo), Some(23_693_644 * 1024));
        let status = "Name:\tbacksim\nVmHWM:\t  216524 kB\nVmRSS:\t    5872 kB\n";
        assert_eq!(status_field(status, "VmRSS:"), Some(5872 * 1024));
        assert_eq!(status_field(status, "VmHWM:"), Some(216_524 * 1024));
        assert_eq!(status_field("VmRSS: lots\n", "VmRSS:"), None);
        assert_eq!(meminfo_available("MemTotal: 1 kB\n"), None);
    }

    const MOUNTINFO: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    #[test]
    fn cgroup_files_are_found_from_proc() {
        let cgroup = "9:name=systemd:/\n4:memory:/jobs/a1\n3:cpu,cpuacct:/\n0::/user.slice\n";
        assert_eq!(
            cgroup_paths(cgroup),
            vec![
                (CgroupVersion::V1, "/jobs/a1".to_string()),
                (CgroupVersion::V2, "/user.slice".to_string())
            ]
        );
        assert_eq!(
            cgroup_mount(MOUNTINFO, CgroupVersion::V1),
            Some(("/sys/fs/cgroup/memory".into(), "/".into()))
        );
        assert_eq!(
            cgroup_mount(MOUNTINFO, CgroupVersion::V2),
            Some(("/sys/fs/cgroup/unified".into(), "/".into()))
        );
        assert_eq!(
            cgroup_dirs("/sys/fs/cgroup/memory", "/", "/jobs/a1"),
            [
                "/sys/fs/cgroup/memory/jobs/a1",
                "/sys/fs/cgroup/memory/jobs",
                "/sys/fs/cgroup/memory"
            ]
        );
        // A container whose mount shows its own cgroup as the root.
        assert_eq!(
            cgroup_dirs("/sys/fs/cgroup", "/docker/x", "/docker/x"),
            ["/sys/fs/cgroup"]
        );
        assert_eq!(cgroup_dirs("/sys/fs/cgroup", "/", "/"), ["/sys/fs/cgroup"]);
    }

    #[test]
    fn the_tightest_cgroup_limit_counts_without_reclaimable_cache() {
        let files = |path: &str| -> Option<String> {
            Some(
                match path {
                    // v2: 4 GB limit, 3 GB used of which 1 GB inactive cache.
                    "/sys/fs/cgroup/unified/app/memory.max" => "4000000000\n",
                    "/sys/fs/cgroup/unified/app/memory.current" => "3000000000\n",
                    "/sys/fs/cgroup/unified/app/memory.stat" => {
                        "anon 2000000000\ninactive_file 1000000000\n"
                    }
                    "/sys/fs/cgroup/unified/memory.max" => "max\n",
                    // v1: no limit at all.
                    "/sys/fs/cgroup/memory/jobs/memory.limit_in_bytes" => "9223372036854771712\n",
                    _ => return None,
                }
                .to_string(),
            )
        };
        let cgroup = "4:memory:/jobs\n0::/app\n";
        let room = cgroup_room(cgroup, MOUNTINFO, &files).expect("a limit");
        assert_eq!(room.bytes, 2_000_000_000);
        assert!(
            room.source
                .contains("/sys/fs/cgroup/unified/app/memory.max")
        );
        let v1 = |path: &str| -> Option<String> {
            Some(
                match path {
                    "/sys/fs/cgroup/memory/jobs/memory.limit_in_bytes" => "1000000000",
                    "/sys/fs/cgroup/memory/jobs/memory.usage_in_bytes" => "600000000",
                    "/sys/fs/cgroup/memory/jobs/memory.stat" => "total_inactive_file 100000000",
                    "/sys/fs/cgroup/memory/memory.limit_in_bytes" => "800000000",
                    _ => return None,
                }
                .to_string(),
            )
        };
        // The parent's 800 MB limit, nothing used there: 800 MB; the
        // cgroup's own: 1 GB − (600 − 100) MB = 500 MB, the smaller.
        let room = cgroup_room("4:memory:/jobs\n", MOUNTINFO, &v1).expect("a limit");
        assert_eq!(room.bytes, 500_000_000);
        assert_eq!(cgroup_room("3:cpu:/\n", MOUNTINFO, &v1), None);
    }

    fn scenario(body: &str) -> Scenario {
        let src = format!("name = \"t\"\nseed = 1\nhorizon = \"10m\"\n{body}");
        crate::scenario::parse(&src, "t.toml", "t").unwrap_or_else(|e| panic!("{e}"))
    }

    fn part(e: &Estimate, what: &str) -> u64 {
        e.parts
            .iter()
            .find(|p| p.what.starts_with(what))
            .map_or(0, |p| p.bytes)
    }

    #[test]
    fn making_the_report_holds_each_strategys_series_twice_and_its_text() {
        // 1,000 clients spread over 500 s, one-second buckets: the last
        // start certainly comes after 500 s × (1 − 25/1000) = 487.5 s, so
        // each strategy's series has at least 488 rows. Each row is 64
        // bytes as the mean series and 64 more read back from the file,
        // and at least 18 bytes of text besides the names ("t", and the
        // shortest strategy name, "a").
        let s = scenario(
            r#"
            [workload]
            clients = 1000
            spread = "500s"
            [[strategy]]
            name = "a"
            backoff = { kind = "none" }
            [[strategy]]
            name = "bb"
            backoff = { kind = "none" }
            [[strategy]]
            name = "ccc"
            backoff = { kind = "none" }
        "#,
        );
        let plan = Plan {
            threads: 1,
            record_requests: false,
            replications: 1,
        };
        let e = estimate_run(&s, &plan);
        assert_eq!(size_of::<SeriesPoint>(), 64);
        assert_eq!(part(&e, "the report's mean time series"), 488 * 3 * 2 * 64);
        assert_eq!(part(&e, "timeseries.csv text"), 488 * 3 * (18 + 1 + 1));
    }

    #[test]
    fn a_burst_at_once_needs_its_slots_on_every_thread() {
        // 10^6 clients at t = 0, one strategy without guards or columns:
        // each client holds an 80-byte slot and two 32-byte queue entries
        // (its attempt on the way, and its timer: the default client
        // timeout is 10 minutes) at once, on each of 2 threads.
        let s = scenario(
            r#"
            replications = 4
            [workload]
            clients = 1000000
            [[strategy]]
            name = "c"
            backoff = { kind = "constant", base = "1s" }
        "#,
        );
        assert_eq!(engine::first_attempt_bytes(&s, &s.strategies[0]), 144);
        let plan = Plan {
            threads: 2,
            record_requests: false,
            replications: 4,
        };
        let e = estimate_run(&s, &plan);
        assert_eq!(part(&e, "request slots"), 2 * 1_000_000 * 144);
        assert_eq!(e.total(), 288_000_000);
        // One thread: half; --requests adds 88 bytes per client to the
        // running run, but all four runs' records (4 × 88 MB) come to
        // more once they are done.
        let one = estimate_run(&s, &Plan { threads: 1, ..plan });
        assert_eq!(one.total(), 144_000_000);
        let rec = estimate_run(
            &s,
            &Plan {
                threads: 1,
                record_requests: true,
                ..plan
            },
        );
        assert_eq!(part(&rec, "requests.csv records"), 4 * 1_000_000 * 88);
        // Writing: records plus at least 38 bytes of text per request
        // (36 + "t" + "c").
        assert_eq!(part(&rec, "requests.csv text"), 4 * 1_000_000 * 38);
        assert_eq!(rec.total(), 4 * 1_000_000 * (88 + 38));
        // A timeout adds its timer's queue entry.
        let t = scenario(
            r#"
            [workload]
            clients = 10
            [client]
            timeout = "5s"
            [[strategy]]
            name = "c"
            backoff = { kind = "full_jitter", base = "1s" }
            honor_retry_after = true
        "#,
        );
        // Slot 80, attempt and timer 2 × 32, Retry-After column 16.
        assert_eq!(engine::first_attempt_bytes(&t, &t.strategies[0]), 160);
    }

    #[test]
    fn spread_starts_count_only_what_is_certain() {
        // A spread burst does not hold every slot at once: only the sort
        // of starts (20 bytes per client) and a breaker's windows (176).
        let s = scenario(
            r#"
            [workload]
            clients = 100000
            spread = "100s"
            [[strategy]]
            name = "b"
            backoff = { kind = "constant", base = "1s" }
            breaker = { scope = "all" }
        "#,
        );
        let plan = Plan {
            threads: 1,
            record_requests: false,
            replications: 1,
        };
        let e = estimate_run(&s, &plan);
        assert_eq!(part(&e, "request slots"), 0);
        assert_eq!(part(&e, "per-client state"), 100_000 * (20 + 176));
        // The last of 10^5 starts comes after 100 s × (1 − 25/10^5) =
        // 99.975 s: 100 one-second rows at least.
        assert_eq!(activity_lower_bound(&s), 99_975_000_000);
        assert_eq!(events_needed(&s, &s.strategies[0]), 200_000);
    }

    #[test]
    fn a_cheap_strategy_does_not_hide_a_costly_one() {
        // Poisson arrivals to 20,000,000 clients: "plain" holds nothing per
        // client, "brk" a breaker's windows (176 bytes) for each, whatever
        // the workload. The two cheapest runs (plain, plain) on two threads
        // need nothing; a run of brk certainly runs, and needs 3.52 GB.
        let s = scenario(
            r#"
            replications = 2
            [workload]
            kind = "poisson"
            clients = 20000000
            rate_per_s = 100.0
            duration = "6m"
            [[strategy]]
            name = "plain"
            backoff = { kind = "none" }
            max_attempts = 1
            [[strategy]]
            name = "brk"
            backoff = { kind = "full_jitter", base = "1s" }
            breaker = { scope = "all" }
        "#,
        );
        let plan = Plan {
            threads: 2,
            record_requests: false,
            replications: 2,
        };
        let e = estimate_run(&s, &plan);
        assert_eq!(
            part(
                &e,
                "per-client state of 20,000,000 clients in one run of strategy \"brk\""
            ),
            20_000_000 * 176
        );
        assert_eq!(client_state_bytes(&s, &s.strategies[1]), 20_000_000 * 176);
        assert_eq!(client_state_bytes(&s, &s.strategies[0]), 0);
        // Lowering --threads would not help: not advised.
        let budget = MemoryBudget {
            bytes: 1_000_000_000,
            source: "--max-memory 1G".into(),
            explicit: true,
        };
        let msg = check_memory("x.toml", &e, 0, &budget, 2)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains(
                "; lower workload.clients, or raise the limit with --max-memory (at least 4.4G)"
            ),
            "{msg}"
        );
    }

    #[test]
    fn replications_hold_their_series_until_aggregation() {
        // Poisson at 10/s for 10 min: the last arrival is after
        // 600 − 25/10 = 597.5 s, so each run keeps at least 598 rows of
        // 56 bytes, plus its summary; 2 strategies × 1000 replications.
        let s = scenario(
            r#"
            replications = 1000
            [workload]
            kind = "poisson"
            clients = 10
            rate_per_s = 10.0
            [[strategy]]
            name = "a"
            backoff = { kind = "none" }
            [[strategy]]
            name = "b"
            backoff = { kind = "none" }
        "#,
        );
        assert_eq!(activity_lower_bound(&s), 597_500_000_000);
        // 6000 expected requests, at least 6000 − 7·√6000 = 5457.
        assert_eq!(requests_lower_bound(&s), 5457);
        let plan = Plan {
            threads: 2,
            record_requests: false,
            replications: 1000,
        };
        let e = estimate_run(&s, &plan);
        assert_eq!(part(&e, "time series"), 2000 * 598 * 56);
        let summary = (size_of::<RunSummary>() + size_of::<ModelCounts>()) as u64;
        assert_eq!(part(&e, "summaries"), 2000 * summary);
    }

    #[test]
    fn the_advice_names_what_sets_the_number_of_requests() {
        // Poisson at 10/s for 10 min, with --requests: the records of
        // 2 × 1000 runs of at least 5457 requests of 88 bytes (960 MB)
        // outweigh everything else; lowering clients would not help.
        let s = scenario(
            r#"
            replications = 1000
            [workload]
            kind = "poisson"
            clients = 10
            rate_per_s = 10.0
            duration = "10m"
            [[strategy]]
            name = "a"
            backoff = { kind = "none" }
            [[strategy]]
            name = "b"
            backoff = { kind = "none" }
        "#,
        );
        let plan = Plan {
            threads: 1,
            record_requests: true,
            replications: 1000,
        };
        let e = estimate_run(&s, &plan);
        assert_eq!(part(&e, "requests.csv records ("), 2000 * 5457 * 88);
        let budget = MemoryBudget {
            bytes: 100_000_000,
            source: "--max-memory 100M".into(),
            explicit: true,
        };
        let msg = check_memory("x.toml", &e, 0, &budget, 1)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("; lower workload.rate_per_s, workload.duration or --replications, ")
                && !msg.contains("workload.clients"),
            "{msg}"
        );
        let closed = scenario(
            r#"
            [workload]
            kind = "closed"
            clients = 1
            requests_per_client = 1000000
            [[strategy]]
            name = "a"
            backoff = { kind = "none" }
        "#,
        );
        let watchdog = memory_message("x.toml", &closed, 200_000_000, 100_000_000, "", None);
        assert!(
            watchdog.contains(
                "Lower workload.clients, workload.requests_per_client, --threads or --replications"
            ),
            "{watchdog}"
        );
        let watchdog = memory_message("x.toml", &s, 200_000_000, 100_000_000, "", None);
        assert!(
            watchdog.contains(
                "Lower workload.clients, workload.rate_per_s, workload.duration, --threads or --replications (or leave out --requests)"
            ),
            "{watchdog}"
        );
    }

    #[test]
    fn the_check_names_the_file_the_parts_and_the_flag() {
        let e = Estimate::with(vec![
            Part {
                what: "request slots and queued first attempts of 100,000,000 clients on 2 threads"
                    .into(),
                bytes: 28_800_000_000,
                knobs: vec![Knob::Clients, Knob::Threads],
            },
            Part {
                what: "requests.csv records of the 2 threads' runs".into(),
                bytes: 2_400_000_000,
                knobs: vec![Knob::Requests, Knob::Replications],
            },
        ]);
        let budget = MemoryBudget {
            bytes: 22_100_000_000,
            source: "MemAvailable in /proc/meminfo".into(),
            explicit: false,
        };
        let msg = check_memory("x.toml", &e, 0, &budget, 2)
            .unwrap_err()
            .to_string();
        assert_eq!(
            msg,
            "error: x.toml: needs at least 31.2 GB of memory (request slots and queued first attempts of 100,000,000 clients on 2 threads: 28.8 GB; requests.csv records of the 2 threads' runs: 2.4 GB) but 22.1 GB is available (MemAvailable in /proc/meminfo); lower workload.clients, --threads or --replications, leave out --requests, or raise the limit with --max-memory (at least 39G)"
        );
        let big = MemoryBudget {
            bytes: 40_000_000_000,
            ..budget
        };
        assert!(check_memory("x.toml", &e, 0, &big, 2).is_ok());
    }
}
