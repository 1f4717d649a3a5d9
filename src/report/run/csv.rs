//! The columns of a run's CSV files: `summary.csv` and `timeseries.csv`
//! with the columns `docs/interface.md` fixes, in that order (extra
//! columns only ever go at the end), `models.csv`, and the two
//! distributions the charts draw, `tts_cdf.csv` and `attempts.csv`; the
//! rows of `summary.csv` and `models.csv` (also in the JSON document and a
//! sweep's `summary.csv`), and the CSV writer every data file uses. Each
//! file itself is written by its exporter ([`super::export`]).

use crate::experiment::ExperimentResult;
use crate::format::fmt_num;
use crate::metrics::summary::StrategySummary;
use crate::scenario::Scenario;

/// The `summary.csv` header: the interface's columns, then backsim's extras.
pub const SUMMARY_COLUMNS: [&str; 61] = [
    "scenario",
    "strategy",
    "replications",
    "requests",
    "success_rate",
    "success_rate_ci95",
    "tts_mean_s",
    "tts_p50_s",
    "tts_p90_s",
    "tts_p99_s",
    "tts_max_s",
    "attempts_per_request",
    "rejected_429",
    "errors_5xx",
    "timeouts",
    "gave_up",
    "unfinished",
    "peak_load",
    "billed_tokens",
    "wasted_tokens",
    "billed_usd",
    "wasted_usd",
    // Extras.
    "useful_usd",
    "attempts",
    "succeeded",
    "wasted_input_tokens",
    "wasted_output_tokens",
    "wasted_input_usd",
    "wasted_output_usd",
    "errors_500",
    "errors_503",
    "errors_529",
    "rejected_429_requests",
    "rejected_429_tokens",
    "rejected_429_input_tokens",
    "rejected_429_output_tokens",
    "tts_p99_s_ci95",
    "attempts_per_request_ci95",
    "wasted_usd_ci95",
    "retries_denied",
    "breaker_open_s",
    "local_rejections",
    "queue_wait_mean_s",
    "conflicts",
    "recovered",
    "binding_limit",
    "peak_load_requests",
    "peak_load_tokens",
    "peak_load_input_tokens",
    "peak_load_output_tokens",
    "ceiling_requests",
    "ceiling_per_s",
    "active_s",
    "goodput_per_s",
    "goodput_per_s_ci95",
    "rejected_429_share_requests",
    "rejected_429_share_tokens",
    "rejected_429_share_input_tokens",
    "rejected_429_share_output_tokens",
    "layer_attempts_per_request",
    "hedges",
];

/// The `summary.csv` columns added after its first release, which `plot`
/// does without when reading older reports: the columns after the 36th.
pub const SUMMARY_ADDED_LATER: &[&str] = SUMMARY_COLUMNS.split_at(36).1;

/// The `models.csv` header: per strategy and model (the main model first),
/// that model's share of the attempts, outcomes, tokens and money.
pub const MODELS_COLUMNS: [&str; 15] = [
    "scenario",
    "strategy",
    "model",
    "attempts",
    "succeeded",
    "rejected_429",
    "errors_5xx",
    "timeouts",
    "billed_input_tokens",
    "billed_output_tokens",
    "billed_usd",
    "wasted_input_tokens",
    "wasted_output_tokens",
    "wasted_input_usd",
    "wasted_output_usd",
];

/// The `timeseries.csv` header.
pub const TIMESERIES_COLUMNS: [&str; 10] = [
    "scenario",
    "strategy",
    "t_s",
    "attempts",
    "admitted",
    "rejected_429",
    "successes",
    "timeouts",
    "in_flight",
    "limiter_level",
];

/// The `tts_cdf.csv` header: per strategy and grid time, the share of
/// requests that had succeeded within `t_s` (mean over replications).
pub const TTS_CDF_COLUMNS: [&str; 4] = ["scenario", "strategy", "t_s", "share_succeeded"];

/// The `attempts.csv` header: per strategy, the share of ended requests
/// (succeeded or gave up, pooled over replications) that made `attempts`
/// attempts.
pub const ATTEMPTS_COLUMNS: [&str; 4] = ["scenario", "strategy", "attempts", "share_of_ended"];

/// Decimals for every number in the CSV files: nanosecond resolution for
/// seconds, nano-dollars for money.
pub const DECIMALS: usize = 9;

pub(crate) fn to_bytes(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(header)
        .expect("writing to memory cannot fail");
    for row in rows {
        w.write_record(&row).expect("writing to memory cannot fail");
    }
    w.into_inner().expect("writing to memory cannot fail")
}

/// The rows of `summary.csv` as strings, one per strategy.
pub fn summary_rows(scenario: &Scenario, result: &ExperimentResult) -> Vec<Vec<String>> {
    result
        .strategies
        .iter()
        .map(|s| summary_row(&scenario.name, &s.summary))
        .collect()
}

/// One strategy's row of `summary.csv` as strings.
pub fn summary_row(scenario: &str, s: &StrategySummary) -> Vec<String> {
    let n = |x: f64| fmt_num(x, DECIMALS);
    vec![
        scenario.to_string(),
        s.strategy.clone(),
        s.replications.to_string(),
        n(s.requests),
        n(s.success_rate),
        n(s.success_rate_ci95),
        n(s.tts_mean_s),
        n(s.tts_p50_s),
        n(s.tts_p90_s),
        n(s.tts_p99_s),
        n(s.tts_max_s),
        n(s.attempts_per_request),
        n(s.rejected_429),
        n(s.errors_5xx),
        n(s.timeouts),
        n(s.gave_up),
        n(s.unfinished),
        n(s.peak_load),
        n(s.billed_tokens),
        n(s.wasted_tokens),
        n(s.billed_usd),
        n(s.wasted_usd),
        n(s.useful_usd),
        n(s.attempts),
        n(s.succeeded),
        n(s.wasted_input_tokens),
        n(s.wasted_output_tokens),
        n(s.wasted_input_usd),
        n(s.wasted_output_usd),
        n(s.errors_500),
        n(s.errors_503),
        n(s.errors_529),
        n(s.rejected_429_by_limit[0]),
        n(s.rejected_429_by_limit[1]),
        n(s.rejected_429_by_limit[2]),
        n(s.rejected_429_by_limit[3]),
        n(s.tts_p99_ci95),
        n(s.attempts_per_request_ci95),
        n(s.wasted_usd_ci95),
        n(s.retries_denied),
        n(s.breaker_open_s),
        n(s.local_rejections),
        n(s.queue_wait_mean_s),
        n(s.conflicts),
        n(s.recovered),
        s.binding_limit
            .map_or_else(String::new, |l| l.key().to_string()),
        n(s.peak_load_by_limit[0]),
        n(s.peak_load_by_limit[1]),
        n(s.peak_load_by_limit[2]),
        n(s.peak_load_by_limit[3]),
        n(s.ceiling_requests),
        n(s.ceiling_per_s),
        n(s.active_s),
        n(s.goodput_per_s),
        n(s.goodput_ci95),
        n(s.rejected_429_share(0)),
        n(s.rejected_429_share(1)),
        n(s.rejected_429_share(2)),
        n(s.rejected_429_share(3)),
        layer_cell(&s.layer_attempts_per_request),
        n(s.hedges),
    ]
}

/// The `layer_attempts_per_request` cell: each retry layer's attempts
/// per request, outermost first, joined by `;` (empty for one layer).
pub fn layer_cell(per_layer: &[f64]) -> String {
    let cells: Vec<String> = per_layer.iter().map(|&x| fmt_num(x, DECIMALS)).collect();
    cells.join(";")
}

/// The rows of `models.csv`, per strategy (in scenario order) one per
/// model (in [`Scenario::model_names`] order).
pub fn models_rows(scenario: &Scenario, result: &ExperimentResult) -> Vec<Vec<Vec<String>>> {
    result
        .strategies
        .iter()
        .map(|s| {
            s.summary
                .models
                .iter()
                .map(|m| {
                    let n = |x: f64| fmt_num(x, DECIMALS);
                    vec![
                        scenario.name.clone(),
                        s.summary.strategy.clone(),
                        m.model.clone(),
                        n(m.attempts),
                        n(m.succeeded),
                        n(m.rejected_429),
                        n(m.errors_5xx),
                        n(m.timeouts),
                        n(m.billed_input_tokens),
                        n(m.billed_output_tokens),
                        n(m.billed_usd),
                        n(m.wasted_input_tokens),
                        n(m.wasted_output_tokens),
                        n(m.wasted_input_usd),
                        n(m.wasted_output_usd),
                    ]
                })
                .collect()
        })
        .collect()
}

/// The attempt counts a report lists: from the smallest to the largest
/// that any strategy's distribution uses (`None` if no request ended).
pub fn attempts_range<'a>(
    distributions: impl Iterator<Item = &'a [f64]>,
) -> Option<(usize, usize)> {
    distributions
        .filter_map(|d| {
            let first = d.iter().position(|&x| x > 0.0)?;
            let last = d.iter().rposition(|&x| x > 0.0)?;
            Some((first, last))
        })
        .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
}

/// The share of ended requests that made `k` attempts: 0 past the end of
/// the distribution, NaN when the strategy has none (no request ended).
pub fn distribution_share(distribution: &[f64], k: usize) -> f64 {
    if distribution.is_empty() {
        f64::NAN
    } else {
        distribution.get(k).copied().unwrap_or(0.0)
    }
}
