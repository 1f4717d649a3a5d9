//! What `backsim diff` shows: the table of changes (key metrics by
//! default, all with `--all`) and the JSON document.

use super::compare::*;
use super::condition::*;
use crate::format::fmt_num;
use crate::report::run::table;
use serde_json::{Map, Value, json};
use std::fmt::Write;

/// The metrics the table shows without `--all` (when the reports have
/// them), besides every metric with a confidence interval, every metric
/// in one report only and every metric a `--fail-if` names.
pub const KEY_METRICS: [&str; 6] = [
    "success_rate",
    "tts_p50_s",
    "tts_p99_s",
    "attempts_per_request",
    "peak_load",
    "wasted_usd",
];

/// How a metric's values are shown, by its name: shares in percent,
/// seconds, dollars, other numbers with 2 decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Share,
    Seconds,
    Usd,
    Number,
}

pub(crate) fn unit(metric: &str) -> Unit {
    if metric == "recovered" || metric.ends_with("_rate") || metric.ends_with("_share") {
        Unit::Share
    } else if metric.ends_with("_usd") {
        Unit::Usd
    } else if metric.ends_with("_s") && !metric.ends_with("_per_s") {
        Unit::Seconds
    } else {
        Unit::Number
    }
}

pub(crate) fn show(metric: &str, x: f64) -> String {
    match unit(metric) {
        Unit::Share => crate::format::pct(x),
        Unit::Seconds => crate::format::secs(x),
        Unit::Usd => crate::format::usd(x),
        Unit::Number => crate::format::ratio(x),
    }
}

/// A change with its sign; a share's in percentage points.
pub(crate) fn show_change(metric: &str, x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let sign = if x > 0.0 {
        "+"
    } else if x < 0.0 {
        "-"
    } else {
        ""
    };
    let magnitude = show(metric, x.abs());
    match unit(metric) {
        Unit::Share => format!("{sign}{} pp", magnitude.trim_end_matches('%')),
        _ => format!("{sign}{magnitude}"),
    }
}

pub(crate) fn signed_pct(x: f64) -> String {
    if x > 0.0 {
        format!("+{}", crate::format::pct(x))
    } else {
        crate::format::pct(x)
    }
}

/// `linear` for a run, `linear @ workload.clients=500` for a sweep.
pub(crate) fn row_name(keys: &[String], strategy: &str, point: &[String]) -> String {
    if keys.is_empty() {
        return strategy.to_string();
    }
    let at: Vec<String> = keys
        .iter()
        .zip(point)
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!("{strategy} @ {}", at.join(", "))
}

pub(crate) fn heading(label: &str, s: &Side) -> String {
    format!(
        "{label}: {} — {} of {}, seed {}, {} replication{}",
        s.dir.display(),
        s.kind.name(),
        s.scenario,
        s.seed,
        s.replications,
        if s.replications == 1 { "" } else { "s" }
    )
}

/// Whether the table shows `metric` without `--all`.
fn shown_by_default(d: &Diff, metric: &str, named: &[String]) -> bool {
    KEY_METRICS.contains(&metric)
        || d.with_ci.contains(metric)
        || named.iter().any(|n| n == metric)
        || d.rows
            .first()
            .and_then(|r| r.metrics.iter().find(|m| m.metric == metric))
            .is_some_and(|m| m.in_a != m.in_b)
}

/// The terminal text: the two reports, the changed scenario keys, the
/// strategies in one report only, and the table of metrics (the key ones,
/// or with `all` every one; `named` are shown too).
pub fn text(d: &Diff, all: bool, named: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", heading("A", &d.a));
    let _ = writeln!(out, "{}", heading("B", &d.b));
    out.push('\n');
    if d.changed_keys.is_empty() {
        out.push_str("scenario keys: no change\n");
    } else {
        let _ = writeln!(out, "scenario keys changed ({}):", d.changed_keys.len());
        let value =
            |v: &Option<toml::Value>| v.as_ref().map_or("(none)".to_string(), |v| v.to_string());
        for k in &d.changed_keys {
            let _ = writeln!(out, "  {}: {} → {}", k.key, value(&k.a), value(&k.b));
        }
    }
    let list = |out: &mut String, what: &str, names: &[String]| {
        if !names.is_empty() {
            let _ = writeln!(out, "{what}: {}", names.join(", "));
        }
    };
    list(&mut out, "strategies only in A (removed)", &d.removed);
    list(&mut out, "strategies only in B (added)", &d.added);
    let rows = |r: &[(String, Vec<String>)]| -> Vec<String> {
        r.iter().map(|(s, p)| row_name(&d.keys, s, p)).collect()
    };
    list(&mut out, "rows only in A", &rows(&d.rows_only_in_a));
    list(&mut out, "rows only in B", &rows(&d.rows_only_in_b));
    out.push('\n');
    if d.rows.is_empty() {
        out.push_str("no strategy is in both reports\n");
        return out;
    }
    let shown: Vec<&String> = d
        .metrics
        .iter()
        .filter(|m| all || shown_by_default(d, m, named))
        .collect();
    let reps_differ = d.rows.iter().any(|r| r.replications.0 != r.replications.1);
    let mut header = vec!["strategy"];
    if reps_differ {
        header.push("replications");
    }
    header.extend([
        "metric",
        "A",
        "B",
        "change",
        "relative",
        "95% CI",
        "significant",
    ]);
    let mut table_rows = Vec::new();
    for r in &d.rows {
        for m in r.metrics.iter().filter(|m| shown.contains(&&m.metric)) {
            let mut row = vec![row_name(&d.keys, &r.strategy, &r.point)];
            if reps_differ {
                row.push(format!("{} → {}", r.replications.0, r.replications.1));
            }
            let absent = |present: bool, x: f64| {
                if present {
                    show(&m.metric, x)
                } else {
                    "(none)".to_string()
                }
            };
            row.extend([
                m.metric.clone(),
                absent(m.in_a, m.a),
                absent(m.in_b, m.b),
                show_change(&m.metric, m.change),
                if m.relative.is_finite() {
                    signed_pct(m.relative)
                } else {
                    "-".to_string()
                },
                if m.significant.is_some() {
                    format!(
                        "± {}",
                        show_change(&m.metric, m.ci95).trim_start_matches('+')
                    )
                } else {
                    "-".to_string()
                },
                match m.significant {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "not tested",
                }
                .to_string(),
            ]);
            table_rows.push(row);
        }
    }
    out.push_str(&table::grid(
        &header,
        &table_rows,
        2 + usize::from(reps_differ),
    ));
    out.push('\n');
    for r in d
        .rows
        .iter()
        .filter(|r| r.binding_limit.0 != r.binding_limit.1)
    {
        let limit = |l: &str| {
            if l.is_empty() {
                "none".to_string()
            } else {
                l.to_string()
            }
        };
        let _ = writeln!(
            out,
            "{}: the binding limit changed, {} → {}: peak_load compares loads against different limits (peak_load_<limit> compares like with like; --all shows them).",
            row_name(&d.keys, &r.strategy, &r.point),
            limit(&r.binding_limit.0),
            limit(&r.binding_limit.1)
        );
    }
    out.push_str(
        "95% CI of a change: ± √(h_A² + h_B²) from the reports' half-widths (*_ci95 columns); significant: the change lies outside it.\n",
    );
    if d.same_seed() {
        let _ = writeln!(
            out,
            "Both reports used seed {}: their replications share random numbers, so the interval is conservative.",
            d.a.seed
        );
    }
    let hidden = d.metrics.len() - shown.len();
    if hidden > 0 {
        let _ = writeln!(
            out,
            "{hidden} more metric{} in summary.csv; --all shows them.",
            if hidden == 1 { "" } else { "s" }
        );
    }
    out
}

/// A number as `--json` gives it: rounded as the CSV files round, null
/// when not applicable.
pub(crate) fn number(x: f64) -> Value {
    crate::report::run::json::number_cell(&fmt_num(x, 9))
}

fn point_json(keys: &[String], point: &[String]) -> Value {
    let mut obj = Map::new();
    for (k, v) in keys.iter().zip(point) {
        let n = v.parse::<f64>().map_or(Value::String(v.clone()), number);
        obj.insert(k.clone(), n);
    }
    Value::Object(obj)
}

fn metric_json(m: &MetricDiff) -> Map<String, Value> {
    let mut obj = Map::new();
    obj.insert("metric".into(), Value::String(m.metric.clone()));
    let present = match (m.in_a, m.in_b) {
        (true, true) => "both",
        (true, false) => "a",
        (false, true) => "b",
        (false, false) => "neither",
    };
    obj.insert("in".into(), Value::String(present.into()));
    obj.insert("a".into(), number(m.a));
    obj.insert("b".into(), number(m.b));
    obj.insert("change".into(), number(m.change));
    obj.insert("relative_change".into(), number(m.relative));
    obj.insert("ci95".into(), number(m.ci95));
    obj.insert("tested".into(), Value::Bool(m.significant.is_some()));
    obj.insert(
        "significant".into(),
        m.significant.map_or(Value::Null, Value::Bool),
    );
    obj
}

fn side_json(s: &Side, keys: &[String]) -> Value {
    json!({
        "dir": s.dir.display().to_string(),
        "kind": s.kind.name(),
        "scenario": s.scenario,
        "seed": s.seed,
        "replications": s.replications,
        "swept_keys": keys,
    })
}

/// The `--json` document (schema in docs/interface.md): every metric of
/// every row, whatever `--all`.
pub fn json(d: &Diff, held: &[Held]) -> String {
    let toml_json = |v: &Option<toml::Value>| {
        v.as_ref()
            .and_then(|v| serde_json::to_value(v).ok())
            .unwrap_or(Value::Null)
    };
    let changed: Vec<Value> = d
        .changed_keys
        .iter()
        .map(|k| {
            let change = match (&k.a, &k.b) {
                (None, _) => "added",
                (_, None) => "removed",
                _ => "changed",
            };
            json!({ "key": k.key, "change": change, "a": toml_json(&k.a), "b": toml_json(&k.b) })
        })
        .collect();
    let reps = |s: &str| s.parse::<u64>().map_or(Value::Null, Value::from);
    let rows: Vec<Value> = d
        .rows
        .iter()
        .map(|r| {
            json!({
                "strategy": r.strategy,
                "point": point_json(&d.keys, &r.point),
                "replications_a": reps(&r.replications.0),
                "replications_b": reps(&r.replications.1),
                "binding_limit_a": r.binding_limit.0,
                "binding_limit_b": r.binding_limit.1,
                "metrics": r.metrics.iter().map(|m| Value::Object(metric_json(m))).collect::<Vec<_>>(),
            })
        })
        .collect();
    let only = |r: &[(String, Vec<String>)]| -> Vec<Value> {
        r.iter()
            .map(|(s, p)| json!({ "strategy": s, "point": point_json(&d.keys, p) }))
            .collect()
    };
    let failed: Vec<Value> = held
        .iter()
        .map(|h| {
            let mut obj = Map::new();
            obj.insert("condition".into(), Value::String(h.condition.clone()));
            obj.insert("strategy".into(), Value::String(h.strategy.clone()));
            obj.insert("point".into(), point_json(&d.keys, &h.point));
            obj.extend(metric_json(&h.metric));
            Value::Object(obj)
        })
        .collect();
    let doc = json!({
        "a": side_json(&d.a, &d.keys),
        "b": side_json(&d.b, &d.keys),
        "same_seed": d.same_seed(),
        "changed_keys": changed,
        "strategies_removed": d.removed,
        "strategies_added": d.added,
        "rows_only_in_a": only(&d.rows_only_in_a),
        "rows_only_in_b": only(&d.rows_only_in_b),
        "rows": rows,
        "failed": failed,
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("JSON values serialise");
    s.push('\n');
    s
}

/// The message of exit code 1: every condition that holds, with its
/// numbers.
pub fn held_message(d: &Diff, held: &[Held]) -> String {
    let mut s = format!(
        "{} --fail-if condition{} held:",
        held.len(),
        if held.len() == 1 { "" } else { "s" }
    );
    for h in held {
        let m = &h.metric;
        let _ = write!(
            s,
            "\n  \"{}\" for {}: {} {} → {}, change {}",
            h.condition,
            row_name(&d.keys, &h.strategy, &h.point),
            m.metric,
            show(&m.metric, m.a),
            show(&m.metric, m.b),
            show_change(&m.metric, m.change),
        );
        if m.relative.is_finite() {
            let _ = write!(s, " ({})", signed_pct(m.relative));
        }
        match m.significant {
            Some(_) => {
                let _ = write!(
                    s,
                    " ± {}, significant",
                    show_change(&m.metric, m.ci95).trim_start_matches('+')
                );
            }
            None => s.push_str(", not tested (no confidence interval)"),
        }
    }
    s
}
