//! The summary table printed on the terminal after a run.

use super::fmt_num;
use crate::experiment::ExperimentResult;
use crate::metrics::summary::StrategySummary;
use crate::scenario::Scenario;
use std::fmt::Write;

/// A readable table: one row per strategy.
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
    let rows: Vec<[String; 7]> = result
        .strategies
        .iter()
        .map(|s| {
            let s = &s.summary;
            [
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
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
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
    let line = |cells: &[String]| {
        cells
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                let pad = widths[c] - cell.chars().count();
                // Names left-aligned, numbers right-aligned.
                if c == 0 {
                    format!("{cell}{}", " ".repeat(pad))
                } else {
                    format!("{}{cell}", " ".repeat(pad))
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let head: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let _ = writeln!(out, "{}", line(&head));
    let _ = writeln!(
        out,
        "{}",
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  ")
    );
    for r in &rows {
        let _ = writeln!(out, "{}", line(r));
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
