//! What a candidate's runs say about each metric, and whether that shows
//! a goal met.
//!
//! Every replication of a candidate is reduced to one value per metric
//! ([`metric_value`], from the same [`StrategySummary`] `backsim run`
//! reports); a metric's estimate is the mean over replications with the
//! half-width of its 95% confidence interval (Student's t, as
//! `summary.csv` gives it). A goal is *met* only when the whole interval
//! is on the right side of its bound, *failed* when the whole interval is
//! on the wrong side, and otherwise *not shown* either way.

use crate::metrics::stats::mean_ci95;
use crate::metrics::summary::StrategySummary;
use crate::scenario::tune::{Goal, Metric, Objective, Op};
use crate::scenario::{Scenario, WorkloadKind};
use crate::time::as_secs_f64;

/// Number of metrics a replication is reduced to.
pub const METRICS: usize = Metric::ALL.len();

/// One replication's value of each metric, in [`Metric::ALL`] order.
pub type RepValues = [f64; METRICS];

/// The value of `metric` in the summary of one replication (NaN where it
/// does not apply: a time to success without successes). The one place
/// that maps a goal's metric to the simulator's numbers.
pub fn metric_value(metric: Metric, s: &StrategySummary) -> f64 {
    match metric {
        Metric::SuccessRate => s.success_rate,
        Metric::Goodput => s.goodput_per_s,
        Metric::TtsP50 => s.tts_p50_s,
        Metric::TtsP90 => s.tts_p90_s,
        Metric::TtsP99 => s.tts_p99_s,
        Metric::AttemptsPerRequest => s.attempts_per_request,
        Metric::PeakLoad => s.peak_load,
        Metric::WastedUsd => s.wasted_usd,
        Metric::WastedUsdPerRequest => {
            if s.requests > 0.0 {
                s.wasted_usd / s.requests
            } else {
                f64::NAN
            }
        }
    }
}

/// A replication's values of every metric.
pub fn rep_values(s: &StrategySummary) -> RepValues {
    std::array::from_fn(|i| metric_value(Metric::ALL[i], s))
}

/// A metric's mean over replications and the half-width of its 95% CI
/// (NaN with fewer than two replications that have a value).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub mean: f64,
    pub ci95: f64,
}

impl Estimate {
    /// The estimate of `metric` over `reps`.
    pub fn of(reps: &[RepValues], metric: Metric) -> Estimate {
        let i = index(metric);
        let (mean, ci95) = mean_ci95(reps.iter().map(|r| r[i]));
        Estimate { mean, ci95 }
    }

    /// `0.9963 ± 0.0021` as a person reads it.
    pub fn show(&self, metric: Metric) -> String {
        if self.ci95.is_finite() {
            format!("{} ± {}", metric.show(self.mean), metric.show(self.ci95))
        } else {
            metric.show(self.mean)
        }
    }
}

/// Position of `metric` in [`Metric::ALL`].
pub fn index(metric: Metric) -> usize {
    Metric::ALL
        .iter()
        .position(|m| *m == metric)
        .expect("every metric is in ALL")
}

/// What the runs show about a goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The whole 95% CI is on the right side of the bound.
    Met,
    /// The whole 95% CI is on the wrong side (or the metric has no value:
    /// no time to success without successes).
    Failed,
    /// The CI straddles the bound.
    NotShown,
}

impl Verdict {
    /// The cell of `tune.csv`.
    pub fn cell(self) -> &'static str {
        match self {
            Verdict::Met => "yes",
            Verdict::Failed => "no",
            Verdict::NotShown => "not shown",
        }
    }
}

/// What `e` shows about `goal`. A CI of zero width (every replication
/// the same) decides on the mean alone; an unknown CI (one replication)
/// shows nothing unless the mean has no value.
pub fn verdict(goal: &Goal, e: Estimate) -> Verdict {
    if e.mean.is_nan() {
        return Verdict::Failed;
    }
    let ci = if e.ci95.is_nan() {
        f64::INFINITY
    } else {
        e.ci95
    };
    let (lo, hi) = (e.mean - ci, e.mean + ci);
    match goal.op {
        Op::AtLeast if lo >= goal.bound => Verdict::Met,
        Op::AtLeast if hi < goal.bound => Verdict::Failed,
        Op::AtMost if hi <= goal.bound => Verdict::Met,
        Op::AtMost if lo > goal.bound => Verdict::Failed,
        _ => Verdict::NotShown,
    }
}

/// Whether the mean alone is on the wrong side of the goal's bound.
pub fn mean_misses(goal: &Goal, e: Estimate) -> bool {
    e.mean.is_nan()
        || match goal.op {
            Op::AtLeast => e.mean < goal.bound,
            Op::AtMost => e.mean > goal.bound,
        }
}

/// The objective as a number to minimise (NaN last).
pub fn objective_key(objective: &Objective, e: Estimate) -> f64 {
    if e.mean.is_nan() {
        f64::INFINITY
    } else if objective.maximize {
        -e.mean
    } else {
        e.mean
    }
}

/// What a rate limit lets through at best, whatever the retry policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Ceiling {
    /// `requests_per_minute`, `tokens_per_minute`, …
    pub limit: &'static str,
    pub per_minute: f64,
    /// What one request costs against it (mean), in its unit.
    pub cost: f64,
    /// `per_minute / 60 / cost`: requests per second it admits at most.
    pub per_s: f64,
    /// The most requests it admits within the horizon: the burst plus
    /// the refill, over the cost.
    pub within_horizon: f64,
}

/// How many requests the workload makes in all, whatever the policy:
/// every client's requests of a closed loop, the clients of a burst, the
/// expected arrivals of a Poisson workload, the rows of a trace.
pub fn workload_requests(s: &Scenario) -> f64 {
    let w = &s.workload;
    match &w.kind {
        WorkloadKind::Burst { .. } => f64::from(w.clients),
        WorkloadKind::Closed {
            requests_per_client,
            ..
        } => f64::from(w.clients) * f64::from(*requests_per_client),
        WorkloadKind::Poisson {
            rate_per_s,
            duration,
        } => rate_per_s * as_secs_f64(*duration),
        WorkloadKind::Trace { rows } => rows.len() as f64,
    }
}

/// The ceiling each of the main model's limits puts on any policy, the
/// tightest first.
pub fn ceilings(s: &Scenario) -> Vec<Ceiling> {
    let w = &s.workload;
    let (input, output) = match &w.kind {
        WorkloadKind::Trace { rows } if !rows.is_empty() => {
            let n = rows.len() as f64;
            (
                rows.iter().map(|r| r.input_tokens as f64).sum::<f64>() / n,
                rows.iter().map(|r| r.output_tokens as f64).sum::<f64>() / n,
            )
        }
        _ => (w.input_tokens.mean(), w.output_tokens.mean()),
    };
    let reserved = w.max_tokens.map_or(output, |m| m as f64);
    let l = &s.limiter;
    let horizon = as_secs_f64(s.horizon);
    let mut out: Vec<Ceiling> = [
        ("requests_per_minute", l.requests, 1.0),
        ("tokens_per_minute", l.tokens, input + reserved),
        ("input_tokens_per_minute", l.input_tokens, input),
        ("output_tokens_per_minute", l.output_tokens, reserved),
    ]
    .into_iter()
    .filter_map(|(limit, cfg, cost)| {
        let (per_minute, burst) = cfg?;
        (cost > 0.0).then(|| Ceiling {
            limit,
            per_minute,
            cost,
            per_s: per_minute / 60.0 / cost,
            within_horizon: (burst as f64 + per_minute / 60.0 * horizon) / cost,
        })
    })
    .collect();
    out.sort_by(|a, b| a.per_s.total_cmp(&b.per_s));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goal(op: Op, bound: f64) -> Goal {
        Goal {
            metric: Metric::SuccessRate,
            op,
            bound,
            written: bound.to_string(),
        }
    }

    #[test]
    fn a_goal_is_met_only_when_its_whole_interval_is_on_the_right_side() {
        let e = |mean, ci95| Estimate { mean, ci95 };
        let at_least = goal(Op::AtLeast, 0.99);
        assert_eq!(verdict(&at_least, e(0.995, 0.004)), Verdict::Met);
        // 0.995 ± 0.006 reaches down to 0.989: straddles 0.99.
        assert_eq!(verdict(&at_least, e(0.995, 0.006)), Verdict::NotShown);
        assert_eq!(verdict(&at_least, e(0.98, 0.005)), Verdict::Failed);
        assert_eq!(verdict(&at_least, e(0.99, 0.0)), Verdict::Met);
        assert_eq!(verdict(&at_least, e(1.0, f64::NAN)), Verdict::NotShown);
        let at_most = goal(Op::AtMost, 600.0);
        assert_eq!(verdict(&at_most, e(590.0, 5.0)), Verdict::Met);
        assert_eq!(verdict(&at_most, e(590.0, 15.0)), Verdict::NotShown);
        assert_eq!(verdict(&at_most, e(f64::NAN, f64::NAN)), Verdict::Failed);
    }

    #[test]
    fn a_token_limit_caps_requests_at_its_rate_over_the_cost_of_one() {
        let s = crate::scenario::parse(
            r#"
            horizon = "10m"
            [workload]
            kind = "burst"
            clients = 10
            [workload.tokens]
            input = 1500
            output = 400
            max_tokens = 400
            [limiter]
            requests_per_minute = 500
            tokens_per_minute = 30000
            [[strategy]]
            name = "a"
            backoff = { kind = "constant", base = "1s" }
            "#,
            "t.toml",
            "t",
        )
        .unwrap();
        let c = ceilings(&s);
        // 30,000 tokens a minute at 1,500 + 400 a request: 15.79 a
        // minute, 0.263 a second; the request limit admits 8.33 a second.
        assert_eq!(c[0].limit, "tokens_per_minute");
        assert_eq!(c[0].cost, 1900.0);
        assert!((c[0].per_s - 30000.0 / 60.0 / 1900.0).abs() < 1e-12);
        // Burst (a minute's worth, 30,000) plus 10 minutes of refill.
        assert!((c[0].within_horizon - 330_000.0 / 1900.0).abs() < 1e-9);
        assert!((c[1].per_s - 500.0 / 60.0).abs() < 1e-12);
    }
}
