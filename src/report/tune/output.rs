//! What `backsim tune` writes: `tune.csv`, `recommended.toml`, the
//! terminal text and the `--json` document.

use super::chart::{TuneChart, TunePoint};
use crate::experiment::tune::goal::{Estimate, Verdict};
use crate::experiment::tune::search::{Candidate, Origin, Outcome};
use crate::experiment::tune::{Findings, Shortfall};
use crate::report::fmt_num;
use crate::report::run::table::{TableFormat, formatted};
use crate::scenario::Scenario;
use crate::scenario::tune::{Metric, Op, Tune};
use serde_json::{Map, Value as Json, json};
use toml::Value;

/// The report folder of a tune of the scenario `name`: beside its run
/// report, never in it.
pub fn dir_name(name: &str) -> String {
    format!("{name}.tune")
}

/// The data files of a tune report.
pub use crate::report::{TUNE_CSV as CSV_FILE, TUNE_TOML as TOML_FILE};

/// Everything one tune produced.
pub struct Tuned<'a> {
    pub base: &'a Scenario,
    pub tune: &'a Tune,
    pub outcome: &'a Outcome,
    pub findings: &'a Findings,
    /// Grid points that are not valid strategies, with why.
    pub skipped: &'a [(usize, String)],
}

/// A space value as a CSV cell: strings bare, other values as TOML.
fn value_cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// The `tune.csv` header for `tune`.
pub fn csv_header(tune: &Tune) -> Vec<String> {
    let mut h: Vec<String> = ["scenario", "candidate", "origin", "start"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    h.extend(tune.space.iter().map(|k| k.name()));
    h.push("replications".into());
    for m in Metric::ALL {
        h.push(m.column());
        h.push(format!("{}_ci95", m.column()));
    }
    h.extend(
        tune.goals
            .iter()
            .map(|g| format!("meets_{}", g.metric.name())),
    );
    h.push("pareto".into());
    h.push("recommended".into());
    h
}

/// `tune.csv`: one row per candidate evaluated, grid points in grid
/// order, then the scenario's own strategies.
pub fn csv(t: &Tuned) -> Vec<u8> {
    let header = csv_header(t.tune);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows = t.outcome.candidates.iter().enumerate().map(|(i, c)| {
        let mut row = vec![t.base.name.clone(), c.name.clone()];
        match c.origin {
            Origin::Grid(g) => {
                let (start, values) = t.tune.candidate_values(g);
                row.push("grid".into());
                row.push(start.label().to_string());
                row.extend(values.into_iter().map(value_cell));
            }
            Origin::Own(_) => {
                row.push("scenario".into());
                row.push(String::new());
                row.extend(t.tune.space.iter().map(|_| String::new()));
            }
        }
        row.push(c.reps.len().to_string());
        for m in Metric::ALL {
            let e = c.estimate(m);
            row.push(fmt_num(e.mean, 9));
            row.push(fmt_num(e.ci95, 9));
        }
        row.extend(t.findings.verdicts[i].iter().map(|v| v.cell().to_string()));
        row.push(yes_no(t.findings.pareto[i]));
        row.push(yes_no(t.findings.recommended == Some(i)));
        row
    });
    crate::report::run::csv::to_bytes(&header, rows)
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

/// The `[[strategy]]` block of candidate `c`, ready to paste: one line a
/// key, nested tables inline.
pub fn strategy_block(t: &Tuned, c: &Candidate) -> String {
    let table = match c.origin {
        Origin::Grid(g) => t.tune.candidate_table(g, &c.name),
        Origin::Own(i) => {
            let doc: toml::Table = t.base.to_toml().parse().unwrap_or_default();
            doc.get("strategy")
                .and_then(Value::as_array)
                .and_then(|a| a.get(i))
                .and_then(Value::as_table)
                .cloned()
                .unwrap_or_default()
        }
    };
    let mut s = String::from("[[strategy]]\n");
    s.push_str(&format!("name = {}\n", Value::String(c.name.clone())));
    for (k, v) in &table {
        if k != "name" {
            s.push_str(&format!("{k} = {v}\n"));
        }
    }
    s
}

/// Each goal of the recommendation: `  success_rate  0.9963 ± 0.0021  (goal >= 0.99: met)`.
fn goal_lines(t: &Tuned, c: &Candidate, i: usize, prefix: &str) -> String {
    let mut s = String::new();
    for (g, v) in t.tune.goals.iter().zip(&t.findings.verdicts[i]) {
        let e = c.estimate(g.metric);
        let said = match v {
            Verdict::Met => "met".to_string(),
            Verdict::Failed => "not met".to_string(),
            Verdict::NotShown => format!(
                "not shown to meet: the interval {} straddles the bound {}",
                interval(g.metric, e),
                g.written
            ),
        };
        s.push_str(&format!(
            "{prefix}{} = {}  (goal {} {}: {said})\n",
            g.metric.name(),
            e.show(g.metric),
            g.op.symbol(),
            g.written
        ));
    }
    let goal_metrics: Vec<Metric> = t.tune.goals.iter().map(|g| g.metric).collect();
    for m in [
        t.tune.objective.metric,
        Metric::SuccessRate,
        Metric::TtsP99,
        Metric::WastedUsd,
    ] {
        if !goal_metrics.contains(&m) && !s.contains(&format!("{prefix}{} =", m.name())) {
            s.push_str(&format!(
                "{prefix}{} = {}\n",
                m.name(),
                c.estimate(m).show(m)
            ));
        }
    }
    s
}

/// `[0.9942, 0.9984]`.
fn interval(m: Metric, e: Estimate) -> String {
    format!("[{}, {}]", m.show(e.mean - e.ci95), m.show(e.mean + e.ci95))
}

/// `recommended.toml`: the recommendation's block with its figures in a
/// comment, or, when there is none, why.
pub fn recommended_toml(t: &Tuned) -> String {
    let mut s = format!(
        "# Recommended by backsim {} tune for the scenario \"{}\" (seed {}).\n# {}\n",
        env!("CARGO_PKG_VERSION"),
        t.base.name,
        t.base.seed,
        t.tune.summary()
    );
    match t.findings.recommended {
        Some(w) => {
            let c = &t.outcome.candidates[w];
            s.push_str(&format!(
                "# Figures over {} replications, each with its 95% confidence interval:\n",
                c.reps.len()
            ));
            for line in goal_lines(t, c, w, "#   ").lines() {
                s.push_str(line);
                s.push('\n');
            }
            if !t.findings.meets_all {
                s.push_str("# It is the best candidate found, but not shown to meet every goal.\n");
            }
            s.push_str(&strategy_block(t, c));
        }
        None => {
            s.push_str("# No candidate meets the goals:\n");
            for line in shortfall_text(t).lines() {
                s.push_str(&format!("# {line}\n"));
            }
        }
    }
    s
}

/// Why goals are not met, with numbers.
fn shortfall_text(t: &Tuned) -> String {
    let mut s = String::new();
    for f in &t.findings.shortfalls {
        s.push_str(&shortfall_line(t, f));
        s.push('\n');
    }
    s
}

/// A number in a sentence: four significant digits.
fn show(x: f64) -> String {
    Metric::AttemptsPerRequest.show(x)
}

fn shortfall_line(t: &Tuned, f: &Shortfall) -> String {
    let m = f.goal.metric;
    let mut line = format!(
        "{}: {} of {} candidates certainly miss it; the best reached {} ({})",
        f.goal.text(),
        f.failing,
        f.of,
        f.best.show(m),
        f.best_candidate
    );
    if f.infeasible {
        line.push_str("; no candidate can meet it");
    }
    if m == Metric::Goodput
        && f.goal.op == Op::AtLeast
        && let Some(best) = t
            .outcome
            .candidates
            .iter()
            .find(|c| c.name == f.best_candidate)
        && let Some(limit) = best.binding_limit
    {
        let ceiling = crate::metrics::stats::mean(best.ceilings.iter().copied());
        line.push_str(&format!(
            ". Its binding limit, {}, admits at most {} requests a second in the long run at the mean cost of a request (ceiling_per_s); over a finite run the bucket's initial burst lets a little more through",
            limit.key(),
            show(ceiling)
        ));
    }
    if matches!(m, Metric::SuccessRate)
        && f.goal.op == Op::AtLeast
        && let Some(c) = t.findings.ceilings.first()
    {
        let admitted = c.within_horizon.floor();
        line.push_str(&format!(
            ". The {} limit admits at most {} requests a second ({} a minute / {} per request), {} within the horizon",
            c.limit,
            show(c.per_s),
            show(c.per_minute),
            show(c.cost),
            show(admitted),
        ));
        let total = crate::experiment::tune::goal::workload_requests(t.base);
        if total > 0.0 {
            line.push_str(&format!(
                ": {}% of the workload's {} requests",
                show((100.0 * admitted / total).min(100.0)),
                show(total)
            ));
            if matches!(
                t.base.workload.kind,
                crate::scenario::WorkloadKind::Closed { .. }
            ) {
                line.push_str(
                    " (a closed loop's success rate counts only the requests its clients started, so it can read higher)",
                );
            }
        }
    }
    line
}

/// The terminal text in `format`: as Markdown, the first line and the
/// recommendation's as paragraphs, then the comparison as a table; as
/// CSV, the comparison alone (the recommendation, if any, first, then the
/// scenario's strategies).
pub fn text_in(format: TableFormat, t: &Tuned) -> String {
    let rows = comparison_rows(t, t.findings.recommended);
    let header: Vec<&str> = rows[0].iter().map(String::as_str).collect();
    let table = formatted(format, &header, &rows[1..], 1);
    match format {
        TableFormat::Table => text(t),
        TableFormat::Csv => table,
        TableFormat::Markdown => {
            let mut s = format!("{}: {}\n\n", t.base.name, t.tune.summary());
            match t.findings.recommended {
                Some(w) => s.push_str(&format!(
                    "recommended: {}{}\n\n",
                    t.outcome.candidates[w].name,
                    if t.findings.meets_all {
                        ", meeting every goal"
                    } else {
                        ", the best found, NOT shown to meet every goal"
                    }
                )),
                None => s.push_str("no candidate meets the goals\n\n"),
            }
            s.push_str(&table);
            s
        }
    }
}

/// The terminal text: what was searched, the recommendation and how it
/// compares.
pub fn text(t: &Tuned) -> String {
    let o = t.outcome;
    let f = t.findings;
    let mut s = format!("{}: {}\n", t.base.name, t.tune.summary());
    let grid = t.tune.grid_size();
    let own = t.base.strategies.len();
    let rounds: Vec<String> = o
        .rounds
        .iter()
        .map(|r| format!("{}×{}", r.candidates, r.replications))
        .collect();
    s.push_str(&format!(
        "searched {} candidates ({} grid points{}, and the scenario's {} strateg{}) in {} round{} (candidates×replications: {})\n",
        o.candidates.len(),
        grid,
        if t.skipped.is_empty() {
            String::new()
        } else {
            format!(
                " of which {} are not valid strategies and were skipped, e.g. {}: {}",
                t.skipped.len(),
                crate::experiment::tune::candidate_name(t.skipped[0].0),
                t.skipped[0].1
            )
        },
        own,
        if own == 1 { "y" } else { "ies" },
        o.rounds.len(),
        if o.rounds.len() == 1 { "" } else { "s" },
        rounds.join(" → ")
    ));
    s.push_str(&format!(
        "runs used: {}, against {} for every candidate at the {} replications {} ({}%)\n",
        o.runs,
        f.grid_runs,
        f.compared_at,
        if f.recommended.is_some() {
            "of the recommendation"
        } else {
            "of the last round"
        },
        fmt_num(100.0 * o.runs as f64 / f.grid_runs.max(1) as f64, 1)
    ));
    if o.budget_hit {
        s.push_str("the budget ended the search before it finished\n");
    }
    match f.recommended {
        Some(w) => {
            let c = &o.candidates[w];
            s.push('\n');
            s.push_str(&format!(
                "recommended: {}{} (95% CIs over {} replications{}):\n",
                c.name,
                if f.meets_all {
                    ", meeting every goal"
                } else {
                    ", the best found, NOT shown to meet every goal"
                },
                c.reps.len(),
                if o.precise {
                    format!(", success rate within ±{}", t.tune.precision)
                } else {
                    format!(", ±{} not reached", t.tune.precision)
                }
            ));
            s.push_str(&goal_lines(t, c, w, "  "));
            s.push('\n');
            s.push_str(&strategy_block(t, c));
            s.push('\n');
            s.push_str(&comparison(t, w));
        }
        None => s.push_str("\nno candidate meets the goals:\n"),
    }
    if !f.shortfalls.is_empty() {
        if f.recommended.is_some() {
            s.push_str("\ngoals not shown to be met:\n");
        }
        for sf in &f.shortfalls {
            s.push_str(&format!("  {}\n", shortfall_line(t, sf)));
        }
    }
    s
}

/// The recommendation next to the scenario's own strategies, on the same
/// replications.
fn comparison(t: &Tuned, w: usize) -> String {
    let rows = comparison_rows(t, Some(w));
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|j| rows.iter().map(|r| r[j].chars().count()).max().unwrap_or(0))
        .collect();
    let mut s = String::from(
        "next to the scenario's strategies (same random numbers; ✓ goal met, ✗ missed, ? not shown):\n",
    );
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        s.push_str(&format!("  {}\n", cells.join("  ").trim_end()));
    }
    s
}

/// The comparison's header and rows: the recommendation `w` (if any)
/// first, then the scenario's own strategies, each with its replications
/// and the objective's, the goals' and the key metrics' estimates.
fn comparison_rows(t: &Tuned, w: Option<usize>) -> Vec<Vec<String>> {
    let o = t.outcome;
    let mut metrics: Vec<Metric> = vec![t.tune.objective.metric];
    for g in &t.tune.goals {
        if !metrics.contains(&g.metric) {
            metrics.push(g.metric);
        }
    }
    for m in [Metric::SuccessRate, Metric::TtsP99, Metric::WastedUsd] {
        if !metrics.contains(&m) {
            metrics.push(m);
        }
    }
    let mut ids: Vec<usize> = w.into_iter().collect();
    ids.extend(
        o.candidates
            .iter()
            .enumerate()
            .filter(|(i, c)| Some(*i) != w && matches!(c.origin, Origin::Own(_)))
            .map(|(i, _)| i),
    );
    let mut rows: Vec<Vec<String>> = vec![
        std::iter::once("strategy".to_string())
            .chain(std::iter::once("reps".to_string()))
            .chain(metrics.iter().map(|m| m.name().to_string()))
            .collect(),
    ];
    for &i in &ids {
        let c = &o.candidates[i];
        let mut row = vec![c.name.clone(), c.reps.len().to_string()];
        for m in &metrics {
            let e = c.estimate(*m);
            let mark = t
                .tune
                .goals
                .iter()
                .position(|g| g.metric == *m)
                .map_or("", |gi| match t.findings.verdicts[i][gi] {
                    Verdict::Met => " ✓",
                    Verdict::Failed => " ✗",
                    Verdict::NotShown => " ?",
                });
            row.push(format!("{}{mark}", e.show(*m)));
        }
        rows.push(row);
    }
    rows
}

/// An estimate as JSON: `{ "value": …, "ci95": … }` (null where it does
/// not apply).
fn estimate_json(e: Estimate) -> Json {
    let num = |x: f64| {
        fmt_num(x, 9)
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Json::Null, Json::Number)
    };
    json!({ "value": num(e.mean), "ci95": num(e.ci95) })
}

fn candidate_json(t: &Tuned, i: usize) -> Json {
    let c = &t.outcome.candidates[i];
    let mut metrics = Map::new();
    for m in Metric::ALL {
        metrics.insert(m.column(), estimate_json(c.estimate(m)));
    }
    let goals: Vec<Json> = t
        .tune
        .goals
        .iter()
        .zip(&t.findings.verdicts[i])
        .map(|(g, v)| json!({ "goal": g.text(), "meets": v.cell() }))
        .collect();
    json!({
        "name": c.name,
        "origin": match c.origin { Origin::Grid(_) => "grid", Origin::Own(_) => "scenario" },
        "replications": c.reps.len(),
        "metrics": metrics,
        "goals": goals,
        "pareto": t.findings.pareto[i],
    })
}

/// The `--json` document.
pub fn json(t: &Tuned, report_dir: &std::path::Path) -> String {
    let o = t.outcome;
    let f = t.findings;
    let own: Vec<Json> = o
        .candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c.origin, Origin::Own(_)))
        .map(|(i, _)| candidate_json(t, i))
        .collect();
    let shortfalls: Vec<Json> = f
        .shortfalls
        .iter()
        .map(|sf| {
            json!({
                "goal": sf.goal.text(),
                "best": estimate_json(sf.best),
                "best_candidate": sf.best_candidate,
                "candidates_failing": sf.failing,
                "candidates": sf.of,
                "infeasible": sf.infeasible,
                "explanation": shortfall_line(t, sf),
            })
        })
        .collect();
    let ceilings: Vec<Json> = f
        .ceilings
        .iter()
        .map(|c| {
            json!({
                "limit": c.limit,
                "per_minute": c.per_minute,
                "cost_per_request": c.cost,
                "requests_per_s": fmt_num(c.per_s, 9).parse::<f64>().unwrap_or(0.0),
                "requests_within_horizon": c.within_horizon.floor(),
            })
        })
        .collect();
    let doc = json!({
        "scenario": t.base.name,
        "seed": t.base.seed,
        "objective": t.tune.objective.text(),
        "goals": t.tune.goals.iter().map(|g| g.text()).collect::<Vec<_>>(),
        "precision": t.tune.precision,
        "grid_points": t.tune.grid_size(),
        "skipped": t.skipped.len(),
        "candidates": o.candidates.len(),
        "rounds": o.rounds.iter().map(|r| json!({"candidates": r.candidates, "replications": r.replications})).collect::<Vec<_>>(),
        "runs": o.runs,
        "grid_runs": f.grid_runs,
        "budget_hit": o.budget_hit,
        "precise": o.precise,
        "recommended": f.recommended.map(|w| {
            let mut c = candidate_json(t, w);
            c["meets_all"] = Json::Bool(f.meets_all);
            c["toml"] = Json::String(strategy_block(t, &o.candidates[w]));
            c
        }),
        "strategies": own,
        "shortfalls": shortfalls,
        "ceilings": ceilings,
        "report_dir": report_dir.display().to_string(),
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

pub use crate::report::{TUNE_SCENARIO as SCENARIO_FILE, tune_file_names as file_names};

/// The points of each Pareto chart.
fn chart_points(t: &Tuned) -> Vec<(TuneChart, Vec<TunePoint>)> {
    TuneChart::ALL
        .iter()
        .map(|&chart| {
            let x_metric = match chart {
                TuneChart::SuccessVsWasted => Metric::WastedUsd,
                TuneChart::SuccessVsTtsP99 => Metric::TtsP99,
            };
            let points = t
                .outcome
                .candidates
                .iter()
                .enumerate()
                .map(|(i, c)| TunePoint {
                    name: c.name.clone(),
                    success: c.estimate(Metric::SuccessRate).mean,
                    x: c.estimate(x_metric).mean,
                    pareto: t.findings.pareto[i],
                    recommended: t.findings.recommended == Some(i),
                    own: matches!(c.origin, Origin::Own(_)),
                })
                .collect();
            (chart, points)
        })
        .collect()
}

/// Every file of the tune report.
pub fn files(t: &Tuned, charts: bool) -> Result<Vec<crate::report::ReportFile>, crate::Error> {
    let mut files = vec![
        (CSV_FILE.to_string(), csv(t)),
        (TOML_FILE.to_string(), recommended_toml(t).into_bytes()),
        (SCENARIO_FILE.to_string(), t.base.to_toml().into_bytes()),
    ];
    if charts {
        let subtitle = format!(
            "{} · {} candidates · {} runs · front: success rate, p99 time to success, wasted USD",
            t.base.name,
            t.outcome.candidates.len(),
            t.outcome.runs
        );
        files.extend(super::chart::render(&chart_points(t), &subtitle)?);
    }
    Ok(files)
}
