//! Reading `[tune]`: its keys, the objective and the goals, with the
//! position of every problem; the search space is read by [`super::space`].

use super::space::{check_values, space};
use super::spans::{Report, Spans, shown};
use super::{
    DEFAULT_MAX_REPLICATIONS, DEFAULT_PRECISION, DEFAULT_SCREEN, Goal, MAX_CANDIDATES, Metric,
    Objective, Op, Tune,
};
use crate::diagnostic::{did_you_mean, toml_type, unknown_name};
use crate::scenario::{Problem, Scenario, trace};
use crate::time::{as_secs_f64, parse_duration};
use std::ops::Range;
use toml::{Table, Value};

/// The keys of `[tune]`.
const TUNE_KEYS: [&str; 7] = [
    "objective",
    "goals",
    "precision",
    "max_replications",
    "screen",
    "budget",
    "space",
];

/// Parses and validates the `[tune]` table of `src`, whose scenario
/// resolved to `base`; traces are read through `files`. Problems are
/// appended to `problems`.
pub(in crate::scenario) fn parse(
    src: &str,
    base: &Scenario,
    problems: &mut Vec<Problem>,
    files: trace::FileSource,
) -> Option<Tune> {
    let mut document: Table = src.parse().ok()?;
    document.remove("sweep");
    let table = document.remove("tune")?;
    let spans = Spans::of(src);
    let before = problems.len();
    let mut problem = |path: &str, span: Option<Range<usize>>, message: String| {
        problems.push(Problem::unlocated(
            span.or_else(|| spans.at(path)),
            path,
            message,
        ));
    };
    let Value::Table(table) = table else {
        problem(
            "tune",
            None,
            "must be a table: [tune] with objective, goals and a [tune.space]".into(),
        );
        return None;
    };
    for k in table.keys() {
        if !TUNE_KEYS.contains(&k.as_str()) {
            problem(
                &format!("tune.{k}"),
                None,
                format!(
                    "unknown key; [tune] has {}{}",
                    TUNE_KEYS.join(", "),
                    did_you_mean(k, TUNE_KEYS)
                ),
            );
        }
    }
    let objective = objective(table.get("objective"), &mut problem);
    let goals = goals(table.get("goals"), &mut problem);
    let precision = match table.get("precision") {
        None => DEFAULT_PRECISION,
        Some(Value::Float(x)) if *x > 0.0 && *x < 1.0 => *x,
        Some(v) => {
            problem(
                "tune.precision",
                None,
                format!(
                    "must be a CI half-width between 0 and 1 (e.g. 0.005 for ±0.5 percentage points), not {}",
                    shown(v)
                ),
            );
            DEFAULT_PRECISION
        }
    };
    let mut whole = |key: &str, default: Option<i64>, lo: i64, hi: i64| match table.get(key) {
        None => default,
        Some(Value::Integer(n)) if (lo..=hi).contains(n) => Some(*n),
        Some(v) => {
            problem(
                &format!("tune.{key}"),
                None,
                format!("must be a whole number from {lo} to {hi}, not {}", shown(v)),
            );
            default
        }
    };
    let max_replications = whole(
        "max_replications",
        Some(i64::from(DEFAULT_MAX_REPLICATIONS)),
        2,
        1_000_000,
    )
    .unwrap_or(2) as u32;
    let screen = whole("screen", Some(i64::from(DEFAULT_SCREEN)), 2, 1_000_000).unwrap_or(2) as u32;
    let budget = whole("budget", None, 1, i64::MAX).map(|n| n as u64);
    let (starts, start_tables, mut space) = match table.get("space") {
        Some(Value::Table(t)) => space(t, base, &spans, &mut problem),
        Some(v) => {
            problem(
                "tune.space",
                None,
                format!(
                    "must be a table of strategy keys and their values ([tune.space]), not {}",
                    toml_type(v)
                ),
            );
            return None;
        }
        None => {
            problem(
                "tune",
                None,
                "has no [tune.space]; add one, e.g. max_attempts = [3, 6, 12]".into(),
            );
            return None;
        }
    };
    if problems.len() > before {
        return None;
    }
    for k in &mut space {
        k.line = src[..k.line.min(src.len())].matches('\n').count() + 1;
    }
    let (objective, goals) = (objective?, goals?);
    let tune = Tune {
        objective,
        goals,
        precision,
        max_replications,
        screen,
        budget,
        starts,
        space,
        start_tables,
        document,
    };
    if tune.grid_size() > MAX_CANDIDATES {
        problems.push(Problem::unlocated(
            spans.at("tune.space"),
            "tune.space",
            format!(
                "has {} candidates; at most {MAX_CANDIDATES} are supported: give fewer values",
                tune.grid_size()
            ),
        ));
        return None;
    }
    check_values(&tune, base, &spans, files, problems);
    (problems.len() == before).then_some(tune)
}

fn objective(v: Option<&Value>, problem: &mut Report) -> Option<Objective> {
    let help = "give { maximize = \"success_rate\" } or { minimize = \"wasted_usd\" }";
    let Some(v) = v else {
        return Some(Objective {
            metric: Metric::SuccessRate,
            maximize: true,
        });
    };
    let Value::Table(t) = v else {
        problem(
            "tune.objective",
            None,
            format!("is {}; {help}", toml_type(v)),
        );
        return None;
    };
    let mut found = None;
    for (k, v) in t {
        let key = format!("tune.objective.{k}");
        let maximize = match k.as_str() {
            "maximize" => true,
            "minimize" => false,
            _ => {
                problem(
                    &key,
                    None,
                    format!(
                        "unknown key; {help}{}",
                        did_you_mean(k, ["maximize", "minimize"])
                    ),
                );
                continue;
            }
        };
        let Some(metric) = v.as_str().and_then(Metric::parse) else {
            let word = v.as_str().map_or_else(|| shown(v), str::to_string);
            problem(&key, None, unknown_name("metric", &word, &Metric::names()));
            continue;
        };
        if found.is_some() {
            problem(
                &key,
                None,
                "give one objective: maximize or minimize".into(),
            );
            continue;
        }
        found = Some(Objective { metric, maximize });
    }
    if found.is_none() && t.is_empty() {
        problem("tune.objective", None, format!("is empty; {help}"));
    }
    found
}

fn goals(v: Option<&Value>, problem: &mut Report) -> Option<Vec<Goal>> {
    let Some(v) = v else {
        return Some(Vec::new());
    };
    let Value::Table(t) = v else {
        problem(
            "tune.goals",
            None,
            format!(
                "is {}; give a table such as {{ success_rate = \">= 0.99\", tts_p99 = \"<= 10m\" }}",
                toml_type(v)
            ),
        );
        return None;
    };
    let mut goals = Vec::new();
    let mut ok = true;
    for (k, v) in t {
        let key = format!("tune.goals.{k}");
        let Some(metric) = Metric::parse(k) else {
            problem(&key, None, unknown_name("metric", k, &Metric::names()));
            ok = false;
            continue;
        };
        match goal(metric, v) {
            Ok(g) => goals.push(g),
            Err(m) => {
                problem(&key, None, m);
                ok = false;
            }
        }
    }
    ok.then_some(goals)
}

/// `">= 0.99"`, `"<= 10m"`.
fn goal(metric: Metric, v: &Value) -> Result<Goal, String> {
    let example = if metric.is_duration() {
        "\"<= 10m\""
    } else if metric.higher_is_better() {
        "\">= 0.99\""
    } else {
        "\"<= 5\""
    };
    let help = format!("write a bound with >= or <=, e.g. {example}");
    let Value::String(s) = v else {
        return Err(format!("is {}; {help}", toml_type(v)));
    };
    let s = s.trim();
    let (op, rest) = if let Some(r) = s.strip_prefix(">=") {
        (Op::AtLeast, r)
    } else if let Some(r) = s.strip_prefix("<=") {
        (Op::AtMost, r)
    } else {
        return Err(format!("\"{s}\" has no >= or <=; {help}"));
    };
    let rest = rest.trim();
    let bound = if metric.is_duration() {
        as_secs_f64(parse_duration(rest).map_err(|e| format!("\"{rest}\": {e}"))?)
    } else {
        match rest.parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => x,
            _ => return Err(format!("\"{rest}\" is not a number >= 0; {help}")),
        }
    };
    if metric == Metric::SuccessRate && bound > 1.0 {
        return Err(format!(
            "{rest} is above 1; a success rate is a share from 0 to 1"
        ));
    }
    Ok(Goal {
        metric,
        op,
        bound,
        written: rest.to_string(),
    })
}
