//! The terminal table of a sweep: one row per point and strategy, with
//! the key metrics.

use super::data::{SweepData, SweepMetric};
use crate::format::{fmt_num, pct, ratio, secs, usd, with_ci};
use crate::report::run::table::{TableFormat, formatted};
use std::fmt::Write;

/// Most rows the terminal table of a sweep shows; the files hold them all.
pub const SWEEP_TABLE_ROWS: usize = 200;

/// The terminal table of a sweep: one row per point and strategy, with
/// the key metrics (mean ± 95% CI half-width where it matters).
pub fn sweep_table(data: &SweepData) -> String {
    sweep_table_in(TableFormat::Table, data)
}

/// [`sweep_table`] in `format`: as Markdown, the lines above the table
/// as paragraphs; as CSV, the table alone with every row.
pub fn sweep_table_in(format: TableFormat, data: &SweepData) -> String {
    let shown = if format == TableFormat::Csv {
        data.rows.len()
    } else {
        SWEEP_TABLE_ROWS
    };
    let mut header: Vec<&str> = data.axes.iter().map(|a| a.key.as_str()).collect();
    let throughput = data.rows.iter().any(|r| r.goodput_per_s.is_finite());
    let bindings: Vec<_> = data.rows.iter().map(|r| r.binding_limit).collect();
    let per_row_binding = bindings.iter().any(|b| *b != bindings[0]);
    header.extend(["strategy", "reps", "success"]);
    if throughput {
        header.push("goodput/s");
    }
    header.extend(["p99 tts", "attempts/req"]);
    if per_row_binding {
        header.push("binding limit");
    }
    if data.priced {
        header.push("wasted $");
    }
    let keys = data.axes.len();
    let rows: Vec<Vec<String>> = data
        .rows
        .iter()
        .take(shown)
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
            ]);
            if throughput {
                row.push(with_ci(r.goodput_per_s, r.goodput_ci95));
            }
            row.extend([
                secs(m(SweepMetric::TtsP99).value),
                ratio(m(SweepMetric::AttemptsPerRequest).value),
            ]);
            if per_row_binding {
                row.push(r.binding_limit.map_or("-".into(), |l| l.key().to_string()));
            }
            if data.priced {
                row.push(usd(m(SweepMetric::WastedUsd).value));
            }
            row
        })
        .collect();
    let keys = keys + 1;
    if format == TableFormat::Csv {
        return formatted(format, &header, &rows, keys);
    }
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
    if let (false, Some(limit)) = (per_row_binding, bindings.first().copied().flatten()) {
        let _ = writeln!(
            out,
            "binding limit at every point: {}; peak load is measured against it",
            limit.key()
        );
    }
    if format == TableFormat::Markdown {
        out.push('\n');
    }
    // Key columns are numbers but read like names: left-aligned with the
    // strategy.
    out.push_str(&formatted(format, &header, &rows, keys));
    if data.rows.len() > shown {
        if format == TableFormat::Markdown {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "… {} more rows in summary.csv and sweep.csv",
            data.rows.len() - SWEEP_TABLE_ROWS
        );
    }
    out
}
