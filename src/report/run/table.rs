//! The summary table printed on the terminal after a run.

use crate::experiment::ExperimentResult;
use crate::format::{count, grouped, pct, ratio, secs, usd, with_ci};
use crate::metrics::summary::StrategySummary;
use crate::scenario::Scenario;
use std::fmt::Write;

/// How a printed summary is laid out (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TableFormat {
    /// Columns padded to their widest cell under a rule, with the lines
    /// around the table.
    #[default]
    Table,
    /// GitHub-flavoured Markdown tables, names left-aligned and numbers
    /// right-aligned, with the lines around them as paragraphs.
    Markdown,
    /// The main table alone as CSV: its header and every row, the cells
    /// as the table shows them.
    Csv,
}

/// A table of `header` and `rows` in `format`: the first `names` columns
/// are names (left-aligned), the rest numbers (right-aligned).
pub fn formatted(
    format: TableFormat,
    header: &[&str],
    rows: &[Vec<String>],
    names: usize,
) -> String {
    match format {
        TableFormat::Table => grid(header, rows, names),
        TableFormat::Markdown => markdown(header, rows, names),
        TableFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let _ = w.write_record(header);
            for r in rows {
                let _ = w.write_record(r.iter().map(|c| crate::terminal::safe(c).into_owned()));
            }
            let bytes = w.into_inner().unwrap_or_default();
            String::from_utf8_lossy(&bytes).into_owned()
        }
    }
}

/// A GitHub-flavoured Markdown table; a `|` in a cell is escaped.
fn markdown(header: &[&str], rows: &[Vec<String>], names: usize) -> String {
    let cell = |c: &str| crate::terminal::safe(c).replace('|', "\\|");
    let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
    let mut out = line(header.iter().map(|h| cell(h)).collect());
    out.push_str(&line(
        (0..header.len())
            .map(|c| if c < names { "---" } else { "---:" }.to_string())
            .collect(),
    ));
    for r in rows {
        out.push_str(&line(r.iter().map(|c| cell(c)).collect()));
    }
    out
}

/// A readable table: one row per strategy; with fallback models, a
/// second table of where each strategy's attempts went and what they cost.
pub fn summary_table(scenario: &Scenario, result: &ExperimentResult) -> String {
    summary_in(TableFormat::Table, scenario, result)
}

/// [`summary_table`] in `format`: as Markdown, every table with the
/// lines above it as paragraphs; as CSV, the main table alone.
pub fn summary_in(format: TableFormat, scenario: &Scenario, result: &ExperimentResult) -> String {
    let summaries: Vec<&StrategySummary> = result.strategies.iter().map(|s| &s.summary).collect();
    let columns = main_columns(scenario, &summaries);
    let header: Vec<&str> = columns.iter().map(|c| c.header()).collect();
    let rows: Vec<Vec<String>> = summaries
        .iter()
        .map(|s| columns.iter().map(|c| c.cell(s)).collect())
        .collect();
    if format == TableFormat::Csv {
        return formatted(format, &header, &rows, 1);
    }
    // Markdown needs a blank line between a paragraph and a table.
    let gap = if format == TableFormat::Markdown {
        "\n"
    } else {
        ""
    };
    let mut out = String::new();
    let reps = scenario.replications;
    let _ = writeln!(
        out,
        "{} — {} replication{} per strategy",
        scenario.name,
        reps,
        if reps == 1 { "" } else { "s" }
    );
    if let Some(line) = binding_line(scenario, &summaries) {
        let _ = writeln!(out, "{line}");
    }
    out.push_str(gap);
    out.push_str(&formatted(format, &header, &rows, 1));
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
        out.push_str(&formatted(
            format,
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
        out.push_str(&formatted(
            format,
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

/// A column of the main summary table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Strategy,
    Succeeded,
    Goodput,
    Success,
    TtsP50,
    TtsP99,
    AttemptsPerRequest,
    PeakLoad,
    /// The binding limit, when strategies differ in it.
    Binding,
    /// The share of 429s per limit, when more than one limit is set.
    RejectedByLimit,
    WastedUsd,
}

impl Column {
    fn header(self) -> &'static str {
        match self {
            Column::Strategy => "strategy",
            Column::Succeeded => "succeeded",
            Column::Goodput => "goodput/s",
            Column::Success => "success",
            Column::TtsP50 => "p50 tts",
            Column::TtsP99 => "p99 tts",
            Column::AttemptsPerRequest => "attempts/req",
            Column::PeakLoad => "peak load",
            Column::Binding => "binding limit",
            Column::RejectedByLimit => "429s by limit",
            Column::WastedUsd => "wasted $",
        }
    }

    fn cell(self, s: &StrategySummary) -> String {
        match self {
            Column::Strategy => s.strategy.clone(),
            Column::Succeeded => count(s.succeeded),
            Column::Goodput => with_ci(s.goodput_per_s, s.goodput_ci95),
            Column::Success => success(s),
            Column::TtsP50 => secs(s.tts_p50_s),
            Column::TtsP99 => secs(s.tts_p99_s),
            Column::AttemptsPerRequest => ratio(s.attempts_per_request),
            Column::PeakLoad => ratio(s.peak_load),
            Column::Binding => s.binding_limit.map_or("-".into(), |l| l.key().to_string()),
            Column::RejectedByLimit => rejected_by_limit(s),
            Column::WastedUsd => usd(s.wasted_usd),
        }
    }
}

/// The main table's columns. Open and closed loops (a stream of requests
/// over time) lead with throughput: how many requests succeeded and how
/// fast; a burst or a trace (a fixed set of requests) with the success
/// share.
fn main_columns(scenario: &Scenario, summaries: &[&StrategySummary]) -> Vec<Column> {
    let stream = scenario.workload.kind.is_stream();
    let mut columns = vec![Column::Strategy];
    if stream {
        columns.extend([Column::Succeeded, Column::Goodput, Column::Success]);
    } else {
        columns.extend([Column::Success, Column::Succeeded]);
    }
    columns.extend([Column::TtsP50, Column::TtsP99, Column::AttemptsPerRequest]);
    let bindings: Vec<_> = summaries.iter().map(|s| s.binding_limit).collect();
    if bindings.iter().any(|b| *b != bindings[0]) {
        columns.push(Column::Binding);
    }
    columns.push(Column::PeakLoad);
    if scenario.limiter.limits().iter().flatten().count() > 1 {
        columns.push(Column::RejectedByLimit);
    }
    if scenario.priced() {
        columns.push(Column::WastedUsd);
    }
    columns
}

/// The line above the table naming the limit that caps throughput, when
/// every strategy has the same one: its rate in its own unit, the mean
/// cost of an attempt, and the most requests per second it lets through
/// (the first strategy's figures; the cost differs between strategies
/// only as much as their attempts do).
fn binding_line(scenario: &Scenario, summaries: &[&StrategySummary]) -> Option<String> {
    let first = summaries.first()?;
    let limit = first.binding_limit?;
    if summaries.iter().any(|s| s.binding_limit != Some(limit)) {
        return None;
    }
    let (per_minute, _) = scenario.limiter.limits()[limit as usize]?;
    let per_s = first.ceiling_per_s;
    let how = if limit == crate::model::limiter::Limit::Requests {
        format!(
            " → at most {} requests/s in the long run",
            grouped(per_s, 3)
        )
    } else {
        let cost = per_minute / 60.0 / per_s;
        format!(
            " at {} tokens per request → at most {} requests/s ({}/min) in the long run",
            grouped(cost, 1),
            grouped(per_s, 3),
            grouped(per_s * 60.0, 1)
        )
    };
    Some(format!(
        "binding limit: {} = {}{how}, plus its initial burst; peak load is against it",
        limit.key(),
        grouped(per_minute, 3),
    ))
}

/// The share of 429s per limit, largest first, e.g. "tokens 97%, requests
/// 3%"; "-" without 429s.
fn rejected_by_limit(s: &StrategySummary) -> String {
    use crate::model::limiter::Limit;
    let mut shares: Vec<(Limit, f64)> = Limit::ALL
        .into_iter()
        .map(|l| (l, s.rejected_429_share(l as usize)))
        .filter(|(_, x)| x.is_finite() && *x > 0.0)
        .collect();
    if shares.is_empty() {
        return "-".into();
    }
    shares.sort_by(|a, b| b.1.total_cmp(&a.1));
    shares
        .iter()
        .map(|(l, x)| format!("{} {:.0}%", l.name(), 100.0 * x))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The guards of a strategy, e.g. "aws_quota + aws_adaptive".
pub(crate) fn guard_names(st: &crate::policy::Strategy) -> String {
    st.guards.labels().join(" + ")
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

/// The success rate with its 95% confidence half-width, e.g. "90.9% ± 0.4%".
pub fn success(s: &StrategySummary) -> String {
    if s.success_rate_ci95.is_finite() {
        format!("{} ± {}", pct(s.success_rate), pct(s.success_rate_ci95))
    } else {
        pct(s.success_rate)
    }
}
