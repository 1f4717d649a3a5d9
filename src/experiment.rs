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
use crate::engine::simulate;
use crate::metrics::summary::{
    CdfPoint, RunSummary, SeriesPoint, StrategySummary, aggregate_series, aggregate_tts_cdf,
    tts_grid,
};
use crate::progress::Progress;
use crate::random::RunSeeds;
use crate::scenario::Scenario;
use crate::time::as_secs_f64;
use rayon::prelude::*;

/// Everything a report needs about one scenario's runs.
#[derive(Debug, Clone)]
pub struct ExperimentResult {
    /// One per strategy, in scenario order.
    pub strategies: Vec<StrategyResult>,
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
    // More threads than runs would only sit idle.
    let runs = scenario.strategies.len() * scenario.replications as usize;
    let threads = if threads == 0 {
        0
    } else {
        threads.min(runs.max(1))
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Run(format!("cannot start worker threads: {e}")))?;
    let result = pool.install(|| run_in_current_pool(scenario, progress));
    progress.finish();
    Ok(result)
}

fn run_in_current_pool(scenario: &Scenario, progress: &Progress) -> ExperimentResult {
    let reps = scenario.replications as usize;
    let jobs: Vec<(usize, usize)> = (0..scenario.strategies.len())
        .flat_map(|s| (0..reps).map(move |r| (s, r)))
        .collect();
    let runs: Vec<RunSummary> = jobs
        .par_iter()
        .map(|&(s, r)| {
            let seeds = RunSeeds::new(scenario.seed, 0, r as u64, &scenario.strategies[s].name);
            let summary = RunSummary::new(simulate(scenario, s, seeds));
            progress.run_done();
            summary
        })
        .collect();
    let peak_capacity = scenario
        .limiter
        .requests
        .map(|(per_minute, _)| per_minute / 60.0 * as_secs_f64(scenario.report.peak_window));
    // All strategies share one time axis: up to the last activity of any run.
    let buckets = runs.iter().map(|r| r.series.len()).max().unwrap_or(0);
    let grid = tts_grid(&runs);
    let models: Vec<(&str, crate::pricing::Pricing)> = scenario
        .model_names()
        .into_iter()
        .zip(scenario.model_prices())
        .collect();
    let strategies = scenario
        .strategies
        .iter()
        .zip(runs.chunks(reps))
        .map(|(st, runs)| StrategyResult {
            summary: StrategySummary::aggregate(&st.name, runs, &models, peak_capacity),
            series: aggregate_series(runs, buckets),
            tts_cdf: grid.map_or_else(Vec::new, |g| aggregate_tts_cdf(runs, g)),
        })
        .collect();
    ExperimentResult { strategies }
}
