//! `backsim tune`: searches a scenario's `[tune.space]` for the retry
//! policy that best meets its `[tune]` goals, and says how sure that is.
//!
//! [`candidates`] builds the grid's strategies (and takes the scenario's
//! own), [`search::search`] races them with successive halving and
//! confirms the winner to the precision target, and [`findings`] turns
//! what the runs gave into verdicts, the Pareto front and, when no
//! candidate meets the goals, the reasons. The report layer
//! (`report::tune`) writes them out.

pub mod goal;
pub mod search;

use crate::Error;
use crate::scenario::tune::{Goal, Metric, Tune};
use crate::scenario::{Scenario, TraceCache, trace};
use goal::{Ceiling, Estimate, Verdict};
use search::{Candidate, Origin, Outcome};

/// Grid points that are not valid strategies: the point, and why.
pub type Skipped = Vec<(usize, String)>;

/// The name of grid candidate `i`.
pub fn candidate_name(i: usize) -> String {
    format!("tuned-{i}")
}

/// The candidates of `base`'s `[tune]`: every valid grid point, then the
/// scenario's own strategies; and the grid points that are not valid
/// strategies, with why. `file` names the scenario in messages; traces
/// are read from `dir`.
pub fn candidates(
    base: &Scenario,
    tune: &Tune,
    file: &str,
    dir: &std::path::Path,
) -> Result<(Vec<Candidate>, Skipped), Error> {
    for s in &base.strategies {
        if let Some(i) = s
            .name
            .strip_prefix("tuned-")
            .and_then(|n| n.parse::<usize>().ok())
            && i < tune.grid_size()
        {
            return Err(Error::Input(format!(
                "{file}: the strategy \"{}\" has the name `backsim tune` gives candidate {i} of the search space; rename it",
                s.name
            )));
        }
    }
    let files = trace::from_dir(dir, None);
    let cache = TraceCache::default();
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for i in 0..tune.grid_size() {
        let name = candidate_name(i);
        match tune.candidate(base, i, &name, &files, &cache) {
            Ok(strategy) => out.push(Candidate {
                name,
                origin: Origin::Grid(i),
                strategy,
                reps: Vec::new(),
                ceilings: Vec::new(),
                binding_limit: None,
            }),
            Err(why) => skipped.push((i, why)),
        }
    }
    for (i, s) in base.strategies.iter().enumerate() {
        out.push(Candidate {
            name: s.name.clone(),
            origin: Origin::Own(i),
            strategy: s.clone(),
            reps: Vec::new(),
            ceilings: Vec::new(),
            binding_limit: None,
        });
    }
    Ok((out, skipped))
}

/// What a goal's figures are across the candidates, when the winner does
/// not meet it.
#[derive(Debug, Clone)]
pub struct Shortfall {
    pub goal: Goal,
    /// The best estimate any candidate reached, and whose.
    pub best: Estimate,
    pub best_candidate: String,
    /// Candidates that certainly fail it, of how many.
    pub failing: usize,
    pub of: usize,
    /// Whether every candidate certainly fails it.
    pub infeasible: bool,
}

/// Everything the outputs say, decided once.
#[derive(Debug, Clone)]
pub struct Findings {
    /// Per candidate, per goal (in `[tune]` order).
    pub verdicts: Vec<Vec<Verdict>>,
    /// Per candidate: on the Pareto front of success rate (higher),
    /// time to success p99 and wasted USD (lower).
    pub pareto: Vec<bool>,
    /// The recommended candidate: the winner of the race.
    pub recommended: Option<usize>,
    /// Whether the recommended candidate is shown to meet every goal.
    pub meets_all: bool,
    /// Goals the recommendation is not shown to meet (or, with no
    /// recommendation, that some candidates fail), with the figures.
    pub shortfalls: Vec<Shortfall>,
    /// The ceilings the main model's limits put on any policy.
    pub ceilings: Vec<Ceiling>,
    /// Runs a full grid would need at the replications the recommended
    /// candidate was compared at (every candidate, the scenario's own
    /// included).
    pub grid_runs: u64,
    /// Those replications.
    pub compared_at: u32,
}

/// Decides verdicts, the front and the shortfalls of `outcome`.
pub fn findings(base: &Scenario, tune: &Tune, outcome: &Outcome) -> Findings {
    let cands = &outcome.candidates;
    let verdicts: Vec<Vec<Verdict>> = cands
        .iter()
        .map(|c| {
            tune.goals
                .iter()
                .map(|g| goal::verdict(g, c.estimate(g.metric)))
                .collect()
        })
        .collect();
    let point = |c: &Candidate| {
        let v = |m: Metric| c.estimate(m).mean;
        let or_worst = |x: f64, worst: f64| if x.is_nan() { worst } else { x };
        [
            -or_worst(v(Metric::SuccessRate), 0.0),
            or_worst(v(Metric::TtsP99), f64::INFINITY),
            or_worst(v(Metric::WastedUsd), f64::INFINITY),
        ]
    };
    let points: Vec<[f64; 3]> = cands.iter().map(point).collect();
    let pareto = points
        .iter()
        .map(|p| {
            !points.iter().any(|q| {
                q.iter().zip(p).all(|(a, b)| a <= b) && q.iter().zip(p).any(|(a, b)| a < b)
            })
        })
        .collect();
    let recommended = outcome.winner;
    let meets_all = recommended.is_some_and(|w| verdicts[w].iter().all(|v| *v == Verdict::Met));
    let mut shortfalls = Vec::new();
    for (gi, g) in tune.goals.iter().enumerate() {
        let shown = recommended.is_some_and(|w| verdicts[w][gi] == Verdict::Met);
        if shown {
            continue;
        }
        let failing = verdicts.iter().filter(|v| v[gi] == Verdict::Failed).count();
        let better = |a: f64, b: f64| match g.op {
            crate::scenario::tune::Op::AtLeast => a > b,
            crate::scenario::tune::Op::AtMost => a < b,
        };
        let mut best: Option<(usize, Estimate)> = None;
        for (i, c) in cands.iter().enumerate() {
            let e = c.estimate(g.metric);
            if e.mean.is_nan() {
                continue;
            }
            if best.is_none_or(|(_, b)| better(e.mean, b.mean)) {
                best = Some((i, e));
            }
        }
        let (bi, best) = best.unwrap_or((
            0,
            Estimate {
                mean: f64::NAN,
                ci95: f64::NAN,
            },
        ));
        shortfalls.push(Shortfall {
            goal: g.clone(),
            best,
            best_candidate: cands.get(bi).map_or(String::new(), |c| c.name.clone()),
            failing,
            of: cands.len(),
            infeasible: failing == cands.len(),
        });
    }
    let compared_at = recommended
        .map_or(outcome.rounds.last().map_or(0, |r| r.replications), |w| {
            cands[w].reps.len() as u32
        });
    Findings {
        verdicts,
        pareto,
        recommended,
        meets_all,
        shortfalls,
        ceilings: goal::ceilings(base),
        grid_runs: cands.len() as u64 * u64::from(compared_at),
        compared_at,
    }
}
