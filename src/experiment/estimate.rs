//! The memory and events a scenario certainly needs, estimated before it
//! runs ([`estimate_run`], [`estimate_sweep`]), and the checks that refuse
//! it when they exceed the limits ([`check_memory`], [`check_events`]),
//! with a message that says what to lower instead.
//!
//! Both estimates are lower bounds: they count only what every run must
//! hold (request slots of clients that all start at once, per-client
//! state, the time series and summaries every run keeps until its
//! scenario is aggregated, `--requests` records), so a scenario that would
//! have fitted is never refused because of them.

use super::limits::{Cap, effective_budget, size_flag, size_flag_exact};
use crate::engine::{client_state_bytes, first_attempt_bytes};
use crate::machine::{available_memory, resident_memory};
use crate::metrics::run::{ModelCounts, RequestRecord, SeriesRow};
use crate::metrics::summary::{RunSummary, SeriesPoint, StrategySummary};
use crate::model::dist::Dist;
use crate::policy::Strategy;
use crate::scenario::{Scenario, WorkloadKind};
use crate::terminal::{format_bytes, group};
use crate::time::{NANOS_PER_SEC, SimTime};

// Constants, measured on the 2-core, 24 GiB Linux machine of README's
// Performance section with `backsim run FILE --stats` (peak memory: VmHWM)
// at 10^5, 10^6 and 2·10^6 clients, one thread, one strategy; the figure
// is the difference between two sizes divided by the difference in
// clients (or runs, or rows), so that the process's own few megabytes drop
// out:
//
// * A burst with spread 0 whose every attempt is answered 429 at once
//   (the least a client can cost): 108 bytes per client (measured again
//   with 20-byte lane entries; 116 with 24-byte ones, 133 with 32-byte
//   ones, 148 with the 80-byte slots before); the estimate counts the
//   request slot and its queued events exactly by their sizes (64 + 2 ×
//   20 bytes with the default 10-minute client timeout: both are in lanes,
//   `first_attempt_bytes`); the rest is allocator slack and is
//   not counted.
// * A burst spread over 100 s: 20 bytes per client, exactly the first
//   starts' sort (16-byte (time, client) pairs, then 4-byte clients).
// * Retry guards, over that: 16 bytes per client for a token budget
//   (aws_quota, grpc, client_bucket), 112 for a percent budget or an
//   aws_adaptive throttle, 190 for a breaker or an sre throttle; the
//   engine's constants (`engine::client_state_bytes`) are those rounded
//   down by about 5%.
// * `--requests`: 88 bytes per request (`size_of::<RequestRecord>()`).
// * Time series: 56 bytes per row (`size_of::<SeriesRow>()`): a trace
//   whose last request starts at 999 s with 1 ms buckets held 56 MB per
//   replication.
// * A finished run held until aggregation: 877 bytes (10^5 against
//   2·10^5 replications of a one-client run, with --stats); the estimate
//   counts `size_of::<RunSummary>()` and one `ModelCounts` per model (568
//   bytes with one model).

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

/// What one run of `strategy` certainly holds at its busiest while it
/// runs, in parts: (slots, other per-client state, its own records).
fn working_set(s: &Scenario, strategy: &Strategy, record: bool) -> (u64, u64, u64) {
    let clients = u64::from(s.workload.clients);
    let together = starts_together(s, strategy);
    let slots = if together {
        // With records, each slot also keeps its request's index.
        let id = if record { size_of::<u32>() as u64 } else { 0 };
        clients.saturating_mul(first_attempt_bytes(s, strategy) + id)
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
    pub fn from_flag(flag: Option<Cap>) -> Option<MemoryBudget> {
        match flag {
            Some(Cap::Off) => None,
            Some(Cap::At(bytes)) => Some(MemoryBudget {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::watch::memory_message;

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
        // each client holds a 64-byte slot and two 20-byte lane entries
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
        assert_eq!(first_attempt_bytes(&s, &s.strategies[0]), 104);
        let plan = Plan {
            threads: 2,
            record_requests: false,
            replications: 4,
        };
        let e = estimate_run(&s, &plan);
        assert_eq!(part(&e, "request slots"), 2 * 1_000_000 * 104);
        assert_eq!(e.total(), 208_000_000);
        // One thread: half; --requests adds 88 bytes per client to the
        // running run, but all four runs' records (4 × 88 MB) come to
        // more once they are done.
        let one = estimate_run(&s, &Plan { threads: 1, ..plan });
        assert_eq!(one.total(), 104_000_000);
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
        // Slot 64, attempt and timer 2 × 20, Retry-After column 16.
        assert_eq!(first_attempt_bytes(&t, &t.strategies[0]), 120);
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
