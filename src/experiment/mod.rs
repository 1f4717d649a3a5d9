//! Replications × strategies: every run of a scenario, in parallel, with
//! results that do not depend on the number of threads.
//!
//! Each run gets its own seeds ([`RunSeeds`]) from the master seed, the
//! replication index and the strategy's name, so a run's result depends on
//! nothing else. Runs execute on rayon's pool in any order; their summaries
//! are collected by index and aggregated in a fixed order (strategy, then
//! replication), so the floating-point sums, and hence the bytes of every
//! report, are the same for 1 thread or 64.
//!
//! Runs can be held to limits ([`limits`]): the memory and events a
//! scenario certainly needs are checked before it runs ([`estimate`]), and
//! the runs share a [`watch::Watch`] while they run. A sweep runs every
//! point of its grid the same way (`sweep.rs`); [`tune`] searches a
//! scenario's `[tune]` space with such runs.

pub mod estimate;
pub mod limits;
mod sweep;
pub mod tune;
pub mod watch;

pub use sweep::{PointResult, run_sweep};

use crate::Error;
use crate::engine::simulate_limited;
use crate::metrics::run::{RequestRecord, Stop};
use crate::metrics::summary::{
    CdfPoint, LoadBasis, RunSummary, SeriesPoint, StrategySummary, aggregate_series,
    aggregate_tts_cdf, tts_grid,
};
use crate::progress::Progress;
use crate::random::RunSeeds;
use crate::scenario::Scenario;
use crate::time::as_secs_f64;
use limits::Limits;
use rayon::prelude::*;
use watch::{RunStopped, Watch, memory_message, run_index, stop_message};

/// Everything a report needs about one scenario's runs.
#[derive(Debug, Clone)]
pub struct ExperimentResult {
    /// One per strategy, in scenario order.
    pub strategies: Vec<StrategyResult>,
    /// With `--requests`: every run's requests, by strategy (scenario
    /// order), then replication. Empty otherwise.
    pub requests: Vec<RunRequests>,
}

/// The requests of one run.
#[derive(Debug, Clone)]
pub struct RunRequests {
    pub strategy: usize,
    /// 0-based.
    pub replication: u32,
    pub records: Vec<RequestRecord>,
}

/// One strategy's aggregated results.
#[derive(Debug, Clone)]
pub struct StrategyResult {
    pub summary: StrategySummary,
    pub series: Vec<SeriesPoint>,
    /// Time-to-success distribution; empty when no run of any strategy
    /// had a success.
    pub tts_cdf: Vec<CdfPoint>,
}

/// A target for the success rate's 95% confidence interval: replications
/// are added until every strategy's half-width is below `target`, or
/// until `max_replications`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Precision {
    pub target: f64,
    pub max_replications: u32,
}

impl Precision {
    /// Whether a strategy's aggregated success rate is as precise as
    /// targeted.
    pub fn met(&self, s: &StrategySummary) -> bool {
        self.met_by(s.success_rate, s.success_rate_ci95)
    }

    /// Whether a success rate with this CI half-width is as precise as
    /// targeted (without requests there is no rate to pin down).
    fn met_by(&self, rate: f64, ci95: f64) -> bool {
        ci95 < self.target || rate.is_nan()
    }
}

/// Runs every (strategy, replication) of `scenario` on `threads` threads
/// (0: one per core).
pub fn run(scenario: &Scenario, threads: usize) -> Result<ExperimentResult, Error> {
    run_with_progress(scenario, threads, &Progress::none())
}

/// [`run`], reporting each finished run to `progress`.
pub fn run_with_progress(
    scenario: &Scenario,
    threads: usize,
    progress: &Progress,
) -> Result<ExperimentResult, Error> {
    run_with(scenario, threads, None, false, progress)
}

/// [`run`] with an optional precision target, reporting each finished run
/// to `progress`. With a target, the result's `replications` say how many
/// runs each strategy needed (the same for all). With `record_requests`,
/// the result keeps every request of every run (memory grows with them).
pub fn run_with(
    scenario: &Scenario,
    threads: usize,
    precision: Option<Precision>,
    record_requests: bool,
    progress: &Progress,
) -> Result<ExperimentResult, Error> {
    let watch = Watch::new(Limits::default());
    run_limited(
        scenario,
        &scenario.name,
        threads,
        precision,
        record_requests,
        progress,
        &watch,
    )
}

/// [`run_with`], every run held to the limits of `watch`
/// ([`watch`]): when one stops on its event budget or as a
/// livelock, or memory goes over the limit, the other runs stop soon and
/// the result is an [`Error::Run`] naming `file` (the scenario in
/// messages), the run and what to change; nothing is returned of the
/// runs. The run named is the first in (strategy, replication) order
/// that stops, whatever the number of threads.
pub fn run_limited(
    scenario: &Scenario,
    file: &str,
    threads: usize,
    precision: Option<Precision>,
    record_requests: bool,
    progress: &Progress,
    watch: &Watch,
) -> Result<ExperimentResult, Error> {
    let max_reps = precision.map_or(scenario.replications, |p| {
        p.max_replications.max(scenario.replications)
    });
    let pool = pool(threads, scenario.strategies.len() * max_reps as usize)?;
    let result = pool.install(|| {
        let mut runs = point_runs(scenario, 0, precision, record_requests, progress, watch)?;
        let mut requests = Vec::new();
        for (strategy, reps) in runs.iter_mut().enumerate() {
            for (replication, run) in reps.iter_mut().enumerate() {
                if let Some(records) = run.request_records.take() {
                    requests.push(RunRequests {
                        strategy,
                        replication: replication as u32,
                        records,
                    });
                }
            }
        }
        Some(ExperimentResult {
            requests,
            ..aggregate(scenario, &runs)
        })
    });
    progress.finish();
    crate::interrupt::check()?;
    result.ok_or_else(|| stopped(file, watch, scenario, None))
}

/// The error for runs that did not all finish: memory over the limit, or
/// the first run (in order) that stopped on its own limits, a run of
/// `scenario` (at the sweep point with `values`).
fn stopped(file: &str, watch: &Watch, scenario: &Scenario, values: Option<String>) -> Error {
    if let Some(rss) = watch.memory_over() {
        return Error::Run(memory_message(
            file,
            scenario,
            rss,
            watch.limits().max_memory.unwrap_or(0),
            watch.memory_source(),
            watch.refused(),
        ));
    }
    let Some(r) = watch.first_stopped() else {
        // Only Ctrl-C stops runs otherwise, and that is checked first.
        return Error::Interrupted;
    };
    let strategy = scenario
        .strategies
        .get(r.strategy)
        .map_or("?", |s| s.name.as_str());
    let who = match values {
        Some(v) => format!(
            "sweep point {} ({v}), strategy \"{strategy}\", replication {}",
            r.point, r.replication
        ),
        None => format!("strategy \"{strategy}\", replication {}", r.replication),
    };
    Error::Run(stop_message(file, &who, &r, watch.limits()))
}

/// A worker pool of `threads` threads (0: one per core), no more than
/// there are `jobs`.
pub fn pool(threads: usize, jobs: usize) -> Result<rayon::ThreadPool, Error> {
    let threads = if threads == 0 {
        0
    } else {
        threads.min(jobs.max(1))
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Run(format!("cannot start worker threads: {e}")))
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

/// Replications `from..to` of every strategy of `scenario` at sweep point
/// `point`, on the current pool: per strategy, in replication order.
/// None if some run did not finish (see [`Watch`]).
fn batch(
    scenario: &Scenario,
    point: u64,
    (from, to): (usize, usize),
    record: bool,
    progress: &Progress,
    watch: &Watch,
) -> Option<Vec<Vec<RunSummary>>> {
    let jobs: Vec<(usize, usize)> = (0..scenario.strategies.len())
        .flat_map(|s| (from..to).map(move |r| (s, r)))
        .collect();
    let runs: Vec<Option<RunSummary>> = jobs
        .par_iter()
        .map(|&(s, r)| {
            let index = run_index(point, s, r as u64);
            if watch.should_stop(index)
                || watch.check_memory_between_runs()
                || crate::interrupt::requested()
            {
                return None;
            }
            let seeds = RunSeeds::new(scenario.seed, point, r as u64, &scenario.strategies[s].name);
            // The wall clock is read for --stats only; nothing of it
            // reaches the results.
            let started = progress.wants_stats().then(std::time::Instant::now);
            let limits = watch.run_limits(index, scenario.workload.clients);
            let metrics = simulate_limited(scenario, s, seeds, record, &limits);
            match metrics.stop {
                None => {}
                Some(
                    stop @ (Stop::Events { .. } | Stop::Livelock { .. } | Stop::NoMemory { .. }),
                ) => {
                    let stopped = RunStopped {
                        point,
                        strategy: s,
                        replication: r as u64,
                        stop,
                        events: metrics.events,
                    };
                    watch.record(index, stopped);
                    return None;
                }
                Some(_) => return None,
            }
            if let Some(t) = started {
                progress.record(crate::progress::RunStat {
                    strategy: s,
                    replication: r,
                    events: metrics.events,
                    simulated_s: as_secs_f64(metrics.last_activity),
                    wall_s: t.elapsed().as_secs_f64(),
                });
            }
            let summary = RunSummary::new(metrics);
            progress.run_done();
            Some(summary)
        })
        .collect();
    let runs: Vec<RunSummary> = runs.into_iter().collect::<Option<_>>()?;
    // Each strategy's runs in a vector of their own size: splitting the
    // rest off one strategy after another left every strategy's vector
    // with the capacity of all the runs after it, memory quadratic in the
    // strategies (26 GB for 10,000 strategies of one replication).
    let per = to - from;
    let mut runs = runs.into_iter();
    Some(
        (0..scenario.strategies.len())
            .map(|_| runs.by_ref().take(per).collect())
            .collect(),
    )
}

/// Replications `from..to` of every strategy of `scenario` (the scenario
/// as `backsim run` runs it: sweep point 0), on the current pool, held to
/// the limits of `watch`: per strategy, in replication order. None if
/// some run did not finish. `backsim tune` adds replications to the
/// candidates still in the race with it.
pub fn replications(
    scenario: &Scenario,
    (from, to): (usize, usize),
    progress: &Progress,
    watch: &Watch,
) -> Option<Vec<Vec<RunSummary>>> {
    batch(scenario, 0, (from, to), false, progress, watch)
}

/// The error for runs of `scenario` that did not all finish
/// ([`replications`] returned None), naming `file`.
pub fn stopped_error(file: &str, watch: &Watch, scenario: &Scenario) -> Error {
    stopped(file, watch, scenario, None)
}

/// All runs of one point: the scenario's replications, then, with a
/// precision target, more until the first replication count at which
/// every strategy's success-rate CI half-width is below the target (or
/// the maximum). Which count that is depends only on the runs' results,
/// which depend only on their seeds, so it is the same however the work
/// is batched or scheduled. None if some run did not finish (held to the
/// limits of `watch`); no further batch is then started.
pub fn point_runs(
    scenario: &Scenario,
    point: u64,
    precision: Option<Precision>,
    record: bool,
    progress: &Progress,
    watch: &Watch,
) -> Option<Vec<Vec<RunSummary>>> {
    let first = scenario.replications as usize;
    let Some(p) = precision else {
        return batch(scenario, point, (0, first), record, progress, watch);
    };
    let max = (p.max_replications as usize).max(first);
    let mut n = first_batch(scenario.replications, Some(p)) as usize;
    progress.add_runs((n - first) as u64 * scenario.strategies.len() as u64);
    let mut runs = batch(scenario, point, (0, n), record, progress, watch)?;
    let mut checked = n;
    loop {
        if let Some(k) = (checked..=n).find(|&k| {
            runs.iter().all(|r| {
                let (rate, ci) = success_ci(&r[..k]);
                p.met_by(rate, ci)
            })
        }) {
            for r in &mut runs {
                r.truncate(k);
            }
            return Some(runs);
        }
        if n >= max {
            return Some(runs);
        }
        // Guess how many are needed from the widest interval so far
        // (half-widths shrink as 1/sqrt(n)), at most four times as many.
        let widest = runs
            .iter()
            .map(|r| success_ci(&r[..n]).1)
            .fold(0.0, f64::max);
        let guess = (n as f64 * (widest / p.target).powi(2) * 1.1).ceil();
        let next = if guess.is_finite() {
            (guess as usize).clamp(n + 1, 4 * n)
        } else {
            4 * n
        }
        .min(max);
        progress.add_runs((next - n) as u64 * scenario.strategies.len() as u64);
        let more = batch(scenario, point, (n, next), record, progress, watch)?;
        for (r, m) in runs.iter_mut().zip(more) {
            r.extend(m);
        }
        checked = n + 1;
        n = next;
    }
}

/// Replications of each strategy that run first (all of them without a
/// precision target). A confidence interval needs two.
pub fn first_batch(replications: u32, precision: Option<Precision>) -> u32 {
    match precision {
        None => replications,
        Some(p) => {
            let max = p.max_replications.max(replications);
            replications.max(2).min(max.max(2))
        }
    }
}

/// The success rate over `runs` and its CI half-width, as
/// [`StrategySummary::aggregate`] computes them.
fn success_ci(runs: &[RunSummary]) -> (f64, f64) {
    crate::metrics::stats::mean_ci95(
        runs.iter()
            .map(|r| crate::metrics::summary::share(r.counts.succeeded, r.counts.requests)),
    )
}

/// The main model's limits as the load and throughput figures need them:
/// per limit, the refill per second and the bucket's initial level (a
/// quantized limit holds one second's refill).
pub fn load_basis(scenario: &Scenario) -> LoadBasis {
    LoadBasis {
        limits: scenario.limiter.long_run(),
        window_s: as_secs_f64(scenario.report.peak_window),
    }
}

/// Aggregates the runs of each strategy (in scenario order) into the
/// report's numbers.
pub fn aggregate(scenario: &Scenario, per_strategy: &[Vec<RunSummary>]) -> ExperimentResult {
    let basis = load_basis(scenario);
    let all = per_strategy.iter().flatten();
    // All strategies share one time axis: up to the last activity of any run.
    let buckets = all.clone().map(|r| r.series.len()).max().unwrap_or(0);
    let grid = tts_grid(all);
    let models: Vec<(&str, crate::pricing::Pricing)> = scenario
        .model_names()
        .into_iter()
        .zip(scenario.model_prices())
        .collect();
    let strategies = scenario
        .strategies
        .iter()
        .zip(per_strategy)
        .map(|(st, runs)| StrategyResult {
            summary: StrategySummary::aggregate(&st.name, runs, &models, &basis),
            series: aggregate_series(runs, buckets),
            tts_cdf: grid.map_or_else(Vec::new, |g| aggregate_tts_cdf(runs, g)),
        })
        .collect();
    ExperimentResult {
        strategies,
        requests: Vec::new(),
    }
}
