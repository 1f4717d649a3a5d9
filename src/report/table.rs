//! The summary table printed on the terminal after a run.

use super::fmt_num;
use crate::experiment::ExperimentResult;
use crate::metrics::summary::StrategySummary;
use crate::scenario::Scenario;
use std::fmt::Write;

/// A readable table: one row per strategy; with fallback models, a
/// second table of where each strategy's attempts went and what they cost.
pub fn summary_table(scenario: &Scenario, result: &ExperimentResult) -> String {
    let header = [
        "strategy",
        "success",
        "p50 tts",
        "p99 tts",
        "attempts/req",
        "peak load",
        "wasted $",
    ];
    let rows: Vec<Vec<String>> = result
        .strategies
        .iter()
        .map(|s| {
            let s = &s.summary;
            vec![
                s.strategy.clone(),
                success(s),
                secs(s.tts_p50_s),
                secs(s.tts_p99_s),
                ratio(s.attempts_per_request),
                ratio(s.peak_load),
                usd(s.wasted_usd),
            ]
        })
        .collect();
    let mut out = String::new();
    let reps = scenario.replications;
    let _ = writeln!(
        out,
        "{} — {} replication{} per strategy",
        scenario.name,
        reps,
        if reps == 1 { "" } else { "s" }
    );
    out.push_str(&grid(&header, &rows, 1));
    if !scenario.models.is_empty() {
        let rows: Vec<Vec<String>> = result
            .strategies
            .iter()
            .flat_map(|s| {
                s.summary.models.iter().map(|m| {
                    vec![
                        s.summary.strategy.clone(),
                        m.model.clone(),
                        ratio(m.attempts),
                        ratio(m.succeeded),
                        usd(m.billed_usd),
                        usd(m.wasted_input_usd + m.wasted_output_usd),
                    ]
                })
            })
            .collect();
        out.push('\n');
        out.push_str(&grid(
            &[
                "strategy",
                "model",
                "attempts",
                "succeeded",
                "billed $",
                "wasted $",
            ],
            &rows,
            2,
        ));
    }
    if scenario.strategies.iter().any(|s| !s.guards.is_empty()) {
        let rows: Vec<Vec<String>> = result
            .strategies
            .iter()
            .zip(&scenario.strategies)
            .filter(|(_, st)| !st.guards.is_empty())
            .map(|(s, st)| {
                let s = &s.summary;
                vec![
                    s.strategy.clone(),
                    guard_names(st),
                    ratio(s.retries_denied),
                    ratio(s.local_rejections),
                    secs(s.breaker_open_s),
                ]
            })
            .collect();
        out.push('\n');
        out.push_str(&grid(
            &[
                "strategy",
                "guards",
                "retries denied",
                "local rejections",
                "breaker open",
            ],
            &rows,
            2,
        ));
    }
    out
}

/// The guards of a strategy, e.g. "aws_quota + aws_adaptive".
pub(crate) fn guard_names(st: &crate::policy::Strategy) -> String {
    use crate::policy::guard::{Budget, Throttle};
    let g = &st.guards;
    let budget = g.budget.as_ref().map(|b| match b {
        Budget::AwsQuota { .. } => "aws_quota",
        Budget::Grpc { .. } => "grpc",
        Budget::Percent { .. } => "percent",
        Budget::ClientBucket { .. } => "client_bucket",
    });
    let breaker = g.breaker.as_ref().map(|b| match b.scope {
        crate::policy::guard::BreakerScope::All => "breaker",
        crate::policy::guard::BreakerScope::Retries => "retry breaker",
    });
    let throttle = g.throttle.as_ref().map(|t| match t {
        Throttle::Sre { .. } => "sre",
        Throttle::AwsAdaptive { .. } => "aws_adaptive",
    });
    [budget, breaker, throttle]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Columns padded to their widest cell, the first `names` left-aligned
/// (names), the rest right-aligned (numbers), under a rule.
pub(crate) fn grid(header: &[&str], rows: &[Vec<String>], names: usize) -> String {
    // Escaped before they are measured, so that columns stay aligned.
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| crate::terminal::safe(c).into_owned())
                .collect()
        })
        .collect();
    let rows = &rows;
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        cells
            .enumerate()
            .map(|(c, cell)| {
                let pad = " ".repeat(widths[c] - cell.chars().count());
                if c < names {
                    format!("{cell}{pad}")
                } else {
                    format!("{pad}{cell}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}", line(&mut header.iter().copied()));
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    let _ = writeln!(out, "{}", rule.join("  "));
    for r in rows {
        let _ = writeln!(out, "{}", line(&mut r.iter().map(String::as_str)));
    }
    out
}

/// A share as a percentage with one decimal; "-" when not applicable.
pub fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", 100.0 * x)
    } else {
        "-".into()
    }
}

/// The success rate with its 95% confidence half-width, e.g. "90.9% ± 0.4%".
pub fn success(s: &StrategySummary) -> String {
    if s.success_rate_ci95.is_finite() {
        format!("{} ± {}", pct(s.success_rate), pct(s.success_rate_ci95))
    } else {
        pct(s.success_rate)
    }
}

/// Seconds with up to 3 decimals, e.g. "1.25s".
pub fn secs(x: f64) -> String {
    if x.is_finite() {
        format!("{}s", fmt_num(x, 3))
    } else {
        "-".into()
    }
}

/// A ratio with 2 decimals.
pub fn ratio(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}")
    } else {
        "-".into()
    }
}

/// Dollars with 4 decimals (no sign).
pub fn usd(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.4}")
    } else {
        "-".into()
    }
}

/// Most rows the terminal table of a sweep shows; the files hold them all.
pub const SWEEP_TABLE_ROWS: usize = 200;

/// The terminal table of a sweep: one row per point and strategy, with
/// the key metrics (mean ± 95% CI half-width where it matters).
pub fn sweep_table(data: &super::sweep::SweepData) -> String {
    use super::sweep::SweepMetric;
    let mut header: Vec<&str> = data.axes.iter().map(|a| a.key.as_str()).collect();
    header.extend([
        "strategy",
        "reps",
        "success",
        "p99 tts",
        "attempts/req",
        "wasted $",
    ]);
    let keys = data.axes.len();
    let rows: Vec<Vec<String>> = data
        .rows
        .iter()
        .take(SWEEP_TABLE_ROWS)
        .map(|r| {
            let mut row: Vec<String> = data
                .point_values(r.point)
                .iter()
                .zip(&data.axes)
                .map(|(v, a)| if a.seconds { secs(*v) } else { fmt_num(*v, 6) })
                .collect();
            let m = |k: SweepMetric| {
                r.metrics[SweepMetric::ALL.iter().position(|x| *x == k).unwrap_or(0)]
            };
            let sr = m(SweepMetric::SuccessRate);
            // The half-width: the wider side (the other may be cut at 0 or 1).
            let half = (sr.ci95_high - sr.value).max(sr.value - sr.ci95_low);
            row.extend([
                data.strategies[r.strategy].clone(),
                r.replications.to_string(),
                if half.is_finite() {
                    format!("{} ± {}", pct(sr.value), pct(half))
                } else {
                    pct(sr.value)
                },
                secs(m(SweepMetric::TtsP99).value),
                ratio(m(SweepMetric::AttemptsPerRequest).value),
                usd(m(SweepMetric::WastedUsd).value),
            ]);
            row
        })
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — sweep of {} point{} × {} strateg{}",
        data.scenario,
        data.points(),
        if data.points() == 1 { "" } else { "s" },
        data.strategies.len(),
        if data.strategies.len() == 1 {
            "y"
        } else {
            "ies"
        }
    );
    // Key columns are numbers but read like names: left-aligned with the
    // strategy.
    out.push_str(&grid(&header, &rows, keys + 1));
    if data.rows.len() > SWEEP_TABLE_ROWS {
        let _ = writeln!(
            out,
            "… {} more rows in summary.csv and sweep.csv",
            data.rows.len() - SWEEP_TABLE_ROWS
        );
    }
    out
}
