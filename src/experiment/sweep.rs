//! A sweep's grid points run as experiments of their own: every point's
//! runs, in parallel, aggregated per point, with the first failure in
//! (point, strategy, replication) order reported whatever the number of
//! threads.

use super::watch::Watch;
use super::{Precision, aggregate, point_runs, pool, stopped};
use crate::Error;
use crate::metrics::summary::StrategySummary;
use crate::progress::Progress;
use crate::scenario::Scenario;
use crate::scenario::sweep::{self, SweepValue};
use rayon::prelude::*;

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
/// shard's), each to `precision` if given, on `threads` threads, every run
/// held to the limits of `watch`. Points run in parallel, and so do the
/// runs within a point; results come back in the order of `points`.
/// `file` names the scenario in messages; its trace files are read from
/// `dir`. Of several failures, the one reported is that of the first point
/// (and, for runs stopped on their limits, the first run in (point,
/// strategy, replication) order), whatever the number of threads.
#[allow(clippy::too_many_arguments)]
pub fn run_sweep(
    base: &Scenario,
    file: &str,
    dir: &std::path::Path,
    points: &[usize],
    threads: usize,
    precision: Option<Precision>,
    progress: &Progress,
    watch: &Watch,
) -> Result<Vec<PointResult>, Error> {
    let sweep = base
        .sweep
        .as_ref()
        .ok_or_else(|| Error::Input(format!("{file} has no [sweep] table")))?;
    let jobs = points.len() * base.strategies.len() * base.replications as usize;
    let pool = pool(threads, jobs)?;
    let cache = crate::scenario::TraceCache::default();
    // Every point is tried (no stop at the first failure), so that which
    // failure is reported does not depend on the order points finish in.
    let results: Vec<Result<Option<PointResult>, Error>> = pool.install(|| {
        points
            .par_iter()
            .map(|&point| {
                let files = crate::scenario::trace::from_dir(dir, None);
                let scenario = sweep::point_scenario(base, point, file, &files, &cache)?;
                let Some(runs) =
                    point_runs(&scenario, point as u64, precision, false, progress, watch)
                else {
                    return Ok(None);
                };
                let result = aggregate(&scenario, &runs);
                Ok(Some(PointResult {
                    point,
                    values: sweep.point_values(point),
                    strategies: result.strategies.into_iter().map(|s| s.summary).collect(),
                }))
            })
            .collect()
    });
    progress.finish();
    crate::interrupt::check()?;
    if watch.memory_over().is_some() {
        return Err(stopped(file, watch, base, None));
    }
    // The failure of the first point: a point that cannot be built, or a
    // run that stopped on its limits.
    let first_error = results.iter().position(Result::is_err);
    let first_stop = watch.first_stopped().map(|r| r.point);
    if let Some(i) = first_error
        && first_stop.is_none_or(|p| points[i] as u64 <= p)
    {
        return Err(results
            .into_iter()
            .nth(i)
            .and_then(Result::err)
            .unwrap_or(Error::Interrupted));
    }
    if let Some(point) = first_stop {
        let files = crate::scenario::trace::from_dir(dir, None);
        let scenario = sweep::point_scenario(base, point as usize, file, &files, &cache)
            .unwrap_or_else(|_| base.clone());
        let values = sweep.point_label(point as usize);
        return Err(stopped(file, watch, &scenario, Some(values)));
    }
    results
        .into_iter()
        .map(|r| r.and_then(|p| p.ok_or_else(|| stopped(file, watch, base, None))))
        .collect()
}
