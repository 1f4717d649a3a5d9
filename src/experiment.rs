//! Replications × strategies: every run of a scenario, in parallel, with
//! results that do not depend on the number of threads.
//!
//! Each run gets its own seeds ([`RunSeeds`]) from the master seed, the
//! replication index and the strategy's name, so a run's result depends on
//! nothing else. Runs execute on rayon's pool in any order; their summaries
//! are collected by index and aggregated in a fixed order (strategy, then
//! replication), so the floating-point sums, and hence the bytes of every
//! report, are the same for 1 thread or 64.

use crate::Error;
use crate::engine::simulate_with;
use crate::metrics::run::RequestRecord;
use crate::metrics::summary::{
    CdfPoint, RunSummary, SeriesPoint, StrategySummary, aggregate_series, aggregate_tts_cdf,
    tts_grid,
};
use crate::progress::Progress;
use crate::random::RunSeeds;
use crate::scenario::Scenario;
use crate::scenario::sweep::{self, SweepValue};
use crate::time::as_secs_f64;
use rayon::prelude::*;

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
    let max_reps = precision.map_or(scenario.replications, |p| {
        p.max_replications.max(scenario.replications)
    });
    let pool = pool(threads, scenario.strategies.len() * max_reps as usize)?;
    let result = pool.install(|| {
        let mut runs = point_runs(scenario, 0, precision, record_requests, progress);
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
        ExperimentResult {
            requests,
            ..aggregate(scenario, &runs)
        }
    });
    progress.finish();
    crate::interrupt::check()?;
    Ok(result)
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

/// Replications `from..to` of every strategy of `scenario` at sweep point
/// `point`, on the current pool: per strategy, in replication order.
fn batch(
    scenario: &Scenario,
    point: u64,
    (from, to): (usize, usize),
    record: bool,
    progress: &Progress,
) -> Vec<Vec<RunSummary>> {
    let jobs: Vec<(usize, usize)> = (0..scenario.strategies.len())
        .flat_map(|s| (from..to).map(move |r| (s, r)))
        .collect();
    let mut runs: Vec<RunSummary> = jobs
        .par_iter()
        .map(|&(s, r)| {
            let seeds = RunSeeds::new(scenario.seed, point, r as u64, &scenario.strategies[s].name);
            // The wall clock is read for --stats only; nothing of it
            // reaches the results.
            let started = progress.wants_stats().then(std::time::Instant::now);
            let metrics = simulate_with(scenario, s, seeds, record);
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
            summary
        })
        .collect();
    let per = to - from;
    let mut out = Vec::with_capacity(scenario.strategies.len());
    for _ in 0..scenario.strategies.len() {
        let rest = runs.split_off(per.min(runs.len()));
        out.push(std::mem::replace(&mut runs, rest));
    }
    out
}

/// All runs of one point: the scenario's replications, then, with a
/// precision target, more until the first replication count at which
/// every strategy's success-rate CI half-width is below the target (or
/// the maximum). Which count that is depends only on the runs' results,
/// which depend only on their seeds, so it is the same however the work
/// is batched or scheduled.
pub fn point_runs(
    scenario: &Scenario,
    point: u64,
    precision: Option<Precision>,
    record: bool,
    progress: &Progress,
) -> Vec<Vec<RunSummary>> {
    let first = scenario.replications as usize;
    let Some(p) = precision else {
        return batch(scenario, point, (0, first), record, progress);
    };
    let max = (p.max_replications as usize).max(first);
    // A confidence interval needs two replications.
    let mut n = first.max(2).min(max.max(2));
    progress.add_runs((n - first) as u64 * scenario.strategies.len() as u64);
    let mut runs = batch(scenario, point, (0, n), record, progress);
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
            return runs;
        }
        if n >= max {
            return runs;
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
        let more = batch(scenario, point, (n, next), record, progress);
        for (r, m) in runs.iter_mut().zip(more) {
            r.extend(m);
        }
        checked = n + 1;
        n = next;
    }
}

/// The success rate over `runs` and its CI half-width, as
/// [`StrategySummary::aggregate`] computes them.
fn success_ci(runs: &[RunSummary]) -> (f64, f64) {
    crate::metrics::stats::mean_ci95(
        runs.iter()
            .map(|r| crate::metrics::summary::share(r.succeeded, r.requests)),
    )
}

/// Aggregates the runs of each strategy (in scenario order) into the
/// report's numbers.
pub fn aggregate(scenario: &Scenario, per_strategy: &[Vec<RunSummary>]) -> ExperimentResult {
    let peak_capacity = scenario
        .limiter
        .requests
        .map(|(per_minute, _)| per_minute / 60.0 * as_secs_f64(scenario.report.peak_window));
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
            summary: StrategySummary::aggregate(&st.name, runs, &models, peak_capacity),
            series: aggregate_series(runs, buckets),
            tts_cdf: grid.map_or_else(Vec::new, |g| aggregate_tts_cdf(runs, g)),
        })
        .collect();
    ExperimentResult {
        strategies,
        requests: Vec::new(),
    }
}

/// One point of a sweep, aggregated.
#[derive(Debug, Clone)]
pub struct PointResult {
    /// Index in the grid (see [`crate::scenario::sweep::Sweep::point_values`]).
    pub point: usize,
    /// The point's values, one per swept key.
    pub values: Vec<SweepValue>,
    /// One per strategy, in scenario order.
    pub strategies: Vec<StrategySummary>,
}

/// Runs grid points `points` of `base`'s sweep (all of them, or one
/// shard's), each to `precision` if given, on `threads` threads. Points run
/// in parallel, and so do the runs within a point; results come back in
/// the order of `points`. `file` names the scenario in messages; its trace
/// files are read from `dir`.
pub fn run_sweep(
    base: &Scenario,
    file: &str,
    dir: &std::path::Path,
    points: &[usize],
    threads: usize,
    precision: Option<Precision>,
    progress: &Progress,
) -> Result<Vec<PointResult>, Error> {
    let sweep = base
        .sweep
        .as_ref()
        .ok_or_else(|| Error::Input(format!("error: {file} has no [sweep] table")))?;
    let jobs = points.len() * base.strategies.len() * base.replications as usize;
    let pool = pool(threads, jobs)?;
    let cache = crate::scenario::TraceCache::default();
    let result = pool.install(|| {
        points
            .par_iter()
            .map(|&point| {
                let files = crate::scenario::trace::from_dir(dir);
                let scenario = sweep::point_scenario(base, point, file, &files, &cache)?;
                let runs = point_runs(&scenario, point as u64, precision, false, progress);
                let result = aggregate(&scenario, &runs);
                Ok(PointResult {
                    point,
                    values: sweep.point_values(point),
                    strategies: result.strategies.into_iter().map(|s| s.summary).collect(),
                })
            })
            .collect::<Result<Vec<_>, Error>>()
    });
    progress.finish();
    crate::interrupt::check()?;
    result
}
