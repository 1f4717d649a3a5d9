//! Writing a sweep's data files: they are assembled from the rows of
//! each point, so that a sharded sweep, merged, gives the same bytes as an
//! unsharded one.

use super::data::*;
use crate::experiment::PointResult;
use crate::format::fmt_num;
use crate::metrics::summary::StrategySummary;
use crate::report::folder::ReportFile;
use crate::report::run::csv::{SUMMARY_COLUMNS, to_bytes};
use crate::scenario::sweep::Sweep;
use crate::scenario::{Scenario, TRACE_COPY, WorkloadKind};

/// The columns of `sweep.csv` before and after the swept keys.
pub const SWEEP_COLUMNS_BEFORE_KEYS: [&str; 2] = ["scenario", "strategy"];
pub const SWEEP_COLUMNS_AFTER_KEYS: [&str; 6] = [
    "replications",
    "target_ci95",
    "metric",
    "value",
    "ci95_low",
    "ci95_high",
];

/// The rows one point contributes to `summary.csv` and `sweep.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct PointRows {
    pub point: usize,
    pub summary: Vec<Vec<String>>,
    pub sweep: Vec<Vec<String>>,
}

pub(crate) fn sweep_of(base: &Scenario) -> &Sweep {
    base.sweep
        .as_ref()
        .expect("a sweep report is made for a scenario with a [sweep]")
}

/// `summary.csv`'s header: the usual columns with the swept keys after
/// `strategy`.
pub fn summary_header(sweep: &Sweep) -> Vec<String> {
    let mut h: Vec<String> = SUMMARY_COLUMNS[..2].iter().map(|s| s.to_string()).collect();
    h.extend(sweep.keys.iter().map(|k| k.name()));
    h.extend(SUMMARY_COLUMNS[2..].iter().map(|s| s.to_string()));
    h
}

/// `sweep.csv`'s header.
pub fn sweep_header(sweep: &Sweep) -> Vec<String> {
    SWEEP_COLUMNS_BEFORE_KEYS
        .iter()
        .map(|s| s.to_string())
        .chain(sweep.keys.iter().map(|k| k.name()))
        .chain(SWEEP_COLUMNS_AFTER_KEYS.iter().map(|s| s.to_string()))
        .collect()
}

/// A metric's mean and half-width in a strategy's summary.
fn metric_of(s: &StrategySummary, m: SweepMetric) -> (f64, f64) {
    match m {
        SweepMetric::SuccessRate => (s.success_rate, s.success_rate_ci95),
        SweepMetric::TtsP99 => (s.tts_p99_s, s.tts_p99_ci95),
        SweepMetric::AttemptsPerRequest => (s.attempts_per_request, s.attempts_per_request_ci95),
        SweepMetric::WastedUsd => (s.wasted_usd, s.wasted_usd_ci95),
        SweepMetric::Goodput => (s.goodput_per_s, s.goodput_ci95),
    }
}

/// The rows of one point.
pub fn point_rows(base: &Scenario, p: &PointResult, precision: Option<f64>) -> PointRows {
    const DECIMALS: usize = 9;
    let keys: Vec<String> = p.values.iter().map(|v| v.cell()).collect();
    let summary = p
        .strategies
        .iter()
        .map(|s| {
            let mut row = crate::report::run::csv::summary_row(&base.name, s);
            let rest = row.split_off(2);
            row.extend(keys.iter().cloned());
            row.extend(rest);
            row
        })
        .collect();
    let target = precision.map_or_else(String::new, |t| format!("{t}"));
    let mut sweep = Vec::new();
    for s in &p.strategies {
        for m in SweepMetric::ALL {
            let (value, half) = metric_of(s, m);
            let (lo, hi) = bounds(m, value, half);
            let mut row = vec![base.name.clone(), s.strategy.clone()];
            row.extend(keys.iter().cloned());
            row.extend([
                s.replications.to_string(),
                target.clone(),
                m.name().to_string(),
                fmt_num(value, DECIMALS),
                fmt_num(lo, DECIMALS),
                fmt_num(hi, DECIMALS),
            ]);
            sweep.push(row);
        }
    }
    PointRows {
        point: p.point,
        summary,
        sweep,
    }
}

/// The names of the files [`data_files`] makes for `base`.
pub fn data_file_names(base: &Scenario) -> Vec<String> {
    let mut names: Vec<String> = SWEEP_DATA_FILES.iter().map(|n| n.to_string()).collect();
    if matches!(base.workload.kind, WorkloadKind::Trace { .. }) {
        names.push(TRACE_COPY.to_string());
    }
    names
}

/// The data files every sweep's report holds, in the order it writes them.
const SWEEP_DATA_FILES: [&str; 3] = ["summary.csv", "sweep.csv", "scenario.toml"];

/// The data files of a sweep report (or of a shard of one): `summary.csv`,
/// `sweep.csv`, `scenario.toml` (and a trace scenario's `trace.csv`),
/// from the rows of its points in the order given.
pub fn data_files(base: &Scenario, rows: &[PointRows]) -> Vec<ReportFile> {
    let sweep = sweep_of(base);
    let sh = summary_header(sweep);
    let wh = sweep_header(sweep);
    fn as_str(h: &[String]) -> Vec<&str> {
        h.iter().map(String::as_str).collect()
    }
    let [summary, sweep_csv, toml] = SWEEP_DATA_FILES;
    let mut files = vec![
        (
            summary.to_string(),
            to_bytes(
                &as_str(&sh),
                rows.iter().flat_map(|r| r.summary.iter().cloned()),
            ),
        ),
        (
            sweep_csv.to_string(),
            to_bytes(
                &as_str(&wh),
                rows.iter().flat_map(|r| r.sweep.iter().cloned()),
            ),
        ),
        (toml.to_string(), sweep.scenario_toml(base).into_bytes()),
    ];
    if let WorkloadKind::Trace { rows } = &base.workload.kind {
        files.push((TRACE_COPY.to_string(), crate::scenario::trace::to_csv(rows)));
    }
    files
}
