//! The search: successive halving over the candidates with common random
//! numbers, then a confirmation of the winner to a precision target.
//!
//! Round 0 runs every candidate `screen` times. After each round the
//! candidates that certainly fail a goal (their whole 95% CI on the wrong
//! side) leave the race; the others are ranked (first by how many goals
//! their mean misses, then by the objective, then by their order), the
//! better half (rounded up) stays, and each of those gets as many
//! replications again as it has (doubling, up to `max_replications`).
//! The race ends with one candidate, or when the budget would be
//! exceeded. The winner and the scenario's own strategies are then run
//! to the same number of replications, more being added until the
//! winner's success-rate CI half-width is below the precision target.
//!
//! Replication `k` of every candidate uses the seeds of replication `k`
//! of `backsim run` (sweep point 0; a strategy's own stream keyed by its
//! name), so candidates are compared on the same workload, and each
//! number is the one `backsim run` reports for that strategy. Which runs
//! are made depends only on results, which depend only on seeds: the
//! search takes the same path on any number of threads.

use super::goal::{self, Estimate, RepValues, Verdict};
use crate::experiment;
use crate::experiment::watch::Watch;
use crate::metrics::summary::RunSummary;
use crate::policy::Strategy;
use crate::progress::Progress;
use crate::scenario::Scenario;
use crate::scenario::tune::{Metric, Tune};

/// Where a candidate comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Point `i` of the `[tune.space]` grid.
    Grid(usize),
    /// The scenario's own `[[strategy]]` `i`.
    Own(usize),
}

/// One candidate and what its runs gave.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub name: String,
    pub origin: Origin,
    pub strategy: Strategy,
    /// Per replication, in order, each metric's value.
    pub reps: Vec<RepValues>,
    /// Per replication, the most requests per second the binding limit
    /// admits at the mean cost of an attempt (`ceiling_per_s`), and that
    /// limit (of the last replication that named one).
    pub ceilings: Vec<f64>,
    pub binding_limit: Option<crate::model::limiter::Limit>,
}

impl Candidate {
    pub fn estimate(&self, metric: Metric) -> Estimate {
        Estimate::of(&self.reps, metric)
    }
}

/// One round of the race.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Candidates run in it.
    pub candidates: usize,
    /// Replications each has after it.
    pub replications: u32,
}

/// What the search did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub candidates: Vec<Candidate>,
    pub rounds: Vec<Round>,
    /// The winner of the race (None: every candidate certainly fails some
    /// goal).
    pub winner: Option<usize>,
    /// Runs made, the confirmation included.
    pub runs: u64,
    /// Whether the budget ended the race or the confirmation early.
    pub budget_hit: bool,
    /// Whether the confirmation reached the precision target.
    pub precise: bool,
}

/// Runs the search over `candidates` (grid points, then the scenario's
/// own strategies) of `base` with `tune`'s goals, every run held to
/// `watch`, on the current pool. If a run did not finish (see
/// [`experiment::replications`]), the scenario of the batch it was in.
pub fn search(
    base: &Scenario,
    tune: &Tune,
    candidates: Vec<Candidate>,
    progress: &Progress,
    watch: &Watch,
) -> Result<Outcome, Box<Scenario>> {
    let mut race = Race {
        base,
        tune,
        candidates,
        runs: 0,
        progress,
        watch,
    };
    let budget = tune.budget.unwrap_or(u64::MAX);
    let mut alive: Vec<usize> = (0..race.candidates.len()).collect();
    let mut reps = tune.screen;
    race.extend(&alive, reps)?;
    let mut rounds = vec![Round {
        candidates: alive.len(),
        replications: reps,
    }];
    let mut budget_hit = false;
    let mut winner = None;
    loop {
        alive.retain(|&i| !race.fails_a_goal(i));
        if alive.is_empty() {
            break;
        }
        race.rank(&mut alive);
        winner = Some(alive[0]);
        if alive.len() == 1 {
            break;
        }
        alive.truncate(alive.len().div_ceil(2));
        let next = (reps * 2).min(tune.max_replications.max(reps));
        if next == reps {
            break;
        }
        if !race.afford(&alive, next, budget) {
            budget_hit = true;
            break;
        }
        race.extend(&alive, next)?;
        reps = next;
        rounds.push(Round {
            candidates: alive.len(),
            replications: reps,
        });
    }
    let mut precise = false;
    if let Some(w) = winner {
        // The winner and the scenario's own strategies, to the same count.
        let mut set = vec![w];
        set.extend(
            (0..race.candidates.len())
                .filter(|&i| i != w && matches!(race.candidates[i].origin, Origin::Own(_))),
        );
        let mut n = race.candidates[w].reps.len() as u32;
        loop {
            let ci = race.candidates[w].estimate(Metric::SuccessRate).ci95;
            // No interval (no requests) has nothing to narrow.
            precise = ci < tune.precision || ci.is_nan();
            if precise || n >= tune.max_replications {
                break;
            }
            // Half-widths shrink as 1/sqrt(n): guess how many are needed
            // from the one so far, at most four times as many.
            let guess = (f64::from(n) * (ci / tune.precision).powi(2) * 1.1).ceil();
            let next = if guess.is_finite() {
                (guess.min(f64::from(u32::MAX)) as u32).clamp(n + 1, 4 * n)
            } else {
                4 * n
            }
            .min(tune.max_replications);
            if !race.afford(&set, next, budget) {
                budget_hit = true;
                break;
            }
            race.extend(&set, next)?;
            n = next;
        }
        // The scenario's strategies at the winner's count, for comparison.
        if race.afford(&set, n, budget) {
            race.extend(&set, n)?;
        } else {
            budget_hit = true;
        }
    }
    Ok(Outcome {
        candidates: race.candidates,
        rounds,
        winner,
        runs: race.runs,
        budget_hit,
        precise,
    })
}

/// The state of the search.
struct Race<'a> {
    base: &'a Scenario,
    tune: &'a Tune,
    candidates: Vec<Candidate>,
    runs: u64,
    progress: &'a Progress,
    watch: &'a Watch,
}

impl Race<'_> {
    /// Whether candidate `i` certainly fails some goal.
    fn fails_a_goal(&self, i: usize) -> bool {
        let c = &self.candidates[i];
        self.tune
            .goals
            .iter()
            .any(|g| goal::verdict(g, c.estimate(g.metric)) == Verdict::Failed)
    }

    /// Sorts `ids` best first: fewest goals whose mean misses, then the
    /// objective, then candidate order.
    fn rank(&self, ids: &mut [usize]) {
        let key = |i: usize| {
            let c = &self.candidates[i];
            let misses = self
                .tune
                .goals
                .iter()
                .filter(|g| goal::mean_misses(g, c.estimate(g.metric)))
                .count();
            let obj =
                goal::objective_key(&self.tune.objective, c.estimate(self.tune.objective.metric));
            (misses, obj, i)
        };
        ids.sort_by(|&a, &b| {
            let (ka, kb) = (key(a), key(b));
            ka.0.cmp(&kb.0)
                .then(ka.1.total_cmp(&kb.1))
                .then(ka.2.cmp(&kb.2))
        });
    }

    /// Runs candidates `ids` need to reach `to` replications each.
    fn cost(&self, ids: &[usize], to: u32) -> u64 {
        ids.iter()
            .map(|&i| (to as usize).saturating_sub(self.candidates[i].reps.len()) as u64)
            .sum()
    }

    /// Whether bringing `ids` to `to` replications stays within `budget`.
    fn afford(&self, ids: &[usize], to: u32, budget: u64) -> bool {
        self.runs.saturating_add(self.cost(ids, to)) <= budget
    }

    /// Runs candidates `ids` up to `to` replications each (those that have
    /// fewer), in one batch per starting count. On a run that did not
    /// finish, the batch's scenario.
    fn extend(&mut self, ids: &[usize], to: u32) -> Result<(), Box<Scenario>> {
        self.progress.add_runs(self.cost(ids, to));
        let mut from_counts: Vec<usize> = ids
            .iter()
            .map(|&i| self.candidates[i].reps.len())
            .filter(|&n| n < to as usize)
            .collect();
        from_counts.sort_unstable();
        from_counts.dedup();
        for from in from_counts {
            let group: Vec<usize> = ids
                .iter()
                .copied()
                .filter(|&i| self.candidates[i].reps.len() == from)
                .collect();
            let mut scenario = self.base.clone();
            scenario.sweep = None;
            scenario.tune = None;
            scenario.strategies = group
                .iter()
                .map(|&i| self.candidates[i].strategy.clone())
                .collect();
            let Some(runs) =
                experiment::replications(&scenario, (from, to as usize), self.progress, self.watch)
            else {
                return Err(Box::new(scenario));
            };
            self.runs += (group.len() * (to as usize - from)) as u64;
            for values in per_replication(&scenario, runs) {
                for (&i, (v, ceiling, limit)) in group.iter().zip(values) {
                    let c = &mut self.candidates[i];
                    c.reps.push(v);
                    c.ceilings.push(ceiling);
                    c.binding_limit = limit.or(c.binding_limit);
                }
            }
        }
        Ok(())
    }
}

/// Each replication's metric values for every strategy of `scenario`:
/// `runs[s][k]` is replication `k` of strategy `s`; the result is indexed
/// by replication, then strategy, with the binding limit's ceiling. Each replication is summarised as
/// `backsim run` would summarise it alone.
type RepFigures = (RepValues, f64, Option<crate::model::limiter::Limit>);

fn per_replication(scenario: &Scenario, runs: Vec<Vec<RunSummary>>) -> Vec<Vec<RepFigures>> {
    let reps = runs.first().map_or(0, Vec::len);
    let mut iters: Vec<_> = runs.into_iter().map(Vec::into_iter).collect();
    (0..reps)
        .map(|_| {
            let one: Vec<Vec<RunSummary>> = iters
                .iter_mut()
                .map(|it| it.next().into_iter().collect())
                .collect();
            experiment::aggregate(scenario, &one)
                .strategies
                .iter()
                .map(|s| {
                    let s = &s.summary;
                    (goal::rep_values(s), s.ceiling_per_s, s.binding_limit)
                })
                .collect()
        })
        .collect()
}
