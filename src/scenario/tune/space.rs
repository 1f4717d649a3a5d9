//! `[tune.space]`: where candidates start, the strategy keys they vary
//! and their values, each value checked in the scenario when it is read.

use super::spans::{Report, Spans, shown};
use super::{SpaceKey, Start, Tune, resolve_strategy, set, without_idle_keys};
use crate::diagnostic::{did_you_mean, toml_type, unknown_name};
use crate::scenario::{Problem, Scenario, TraceCache, trace};
use toml::{Table, Value};

/// The keys of a `[[strategy]]` table a space may vary.
const STRATEGY_KEYS: [&str; 13] = [
    "preset",
    "backoff",
    "max_attempts",
    "deadline",
    "timeout",
    "retry_on",
    "honor_retry_after",
    "max_retry_after",
    "above_max_retry_after",
    "fallback",
    "budget",
    "breaker",
    "throttle",
];

/// Guards that may be given by their kind alone.
const GUARDS: [&str; 3] = ["budget", "breaker", "throttle"];

/// The starts, their tables and the keys of `[tune.space]`.
pub(super) fn space(
    t: &Table,
    base: &Scenario,
    spans: &Spans,
    problem: &mut Report,
) -> (Vec<Start>, Vec<Table>, Vec<SpaceKey>) {
    let mut starts = Vec::new();
    let mut tables = Vec::new();
    let resolved: Table = base.to_toml().parse().unwrap_or_default();
    let resolved_strategies = resolved
        .get("strategy")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    match t.get("start") {
        None => {
            starts.push(Start::Scratch);
            tables.push(Table::new());
        }
        Some(Value::Array(items)) if !items.is_empty() => {
            let mut names: Vec<&str> = crate::policy::preset::names();
            names.extend(base.strategies.iter().map(|s| s.name.as_str()));
            for (i, item) in items.iter().enumerate() {
                let Some(name) = item.as_str() else {
                    problem(
                        "tune.space.start",
                        spans.element("tune.space.start", i),
                        format!(
                            "is {}; give a preset or the name of a [[strategy]] of this file",
                            toml_type(item)
                        ),
                    );
                    continue;
                };
                if let Some(j) = base.strategies.iter().position(|s| s.name == name) {
                    starts.push(Start::Strategy(name.into()));
                    let mut st = resolved_strategies
                        .get(j)
                        .and_then(Value::as_table)
                        .cloned()
                        .unwrap_or_default();
                    st.remove("name");
                    tables.push(st);
                } else if crate::policy::preset::find(name).is_some() {
                    starts.push(Start::Preset(name.into()));
                    let mut st = Table::new();
                    st.insert("preset".into(), Value::String(name.into()));
                    tables.push(st);
                } else {
                    problem(
                        "tune.space.start",
                        spans.element("tune.space.start", i),
                        unknown_name("preset or strategy", name, &names),
                    );
                }
            }
        }
        Some(v) => problem(
            "tune.space.start",
            None,
            format!(
                "is {}; give a list of presets or names of this file's strategies",
                toml_type(v)
            ),
        ),
    }
    let mut keys = Vec::new();
    let mut entries = Vec::new();
    leaves(t, &mut Vec::new(), &mut entries);
    for (path, v) in entries {
        if path.len() == 1 && path[0] == "start" {
            continue;
        }
        let shown_path = format!("tune.space.{}", path.join("."));
        if path[0] == "name" {
            problem(
                &shown_path,
                None,
                "cannot be searched: every candidate gets its own name".into(),
            );
            continue;
        }
        if !STRATEGY_KEYS.contains(&path[0].as_str()) {
            problem(
                &shown_path,
                None,
                format!(
                    "unknown strategy key \"{}\"; a space varies {}{}",
                    path[0],
                    STRATEGY_KEYS.join(", "),
                    did_you_mean(&path[0], STRATEGY_KEYS)
                ),
            );
            continue;
        }
        match values(&path, v) {
            Ok(values) => keys.push(SpaceKey {
                line: 0,
                path,
                values,
            }),
            Err((i, m)) => problem(
                &shown_path,
                i.and_then(|i| spans.element(&shown_path, i)),
                m,
            ),
        }
    }
    if starts == [Start::Scratch] && !keys.iter().any(|k| k.path == ["backoff", "kind"]) {
        problem(
            "tune.space",
            None,
            "gives no start and no backoff.kind, so no candidate has a backoff: add start = [\"openai-python\"] or backoff.kind = [\"full_jitter\"]".into(),
        );
    }
    // Where each key is (a byte offset, made a line by the caller).
    for k in &mut keys {
        let path = format!("tune.space.{}", k.name());
        k.line = spans.at(&path).map_or(0, |s| s.start);
    }
    (starts, tables, keys)
}

/// The leaves of `[tune.space]`: lists, ranges, single values.
fn leaves<'a>(t: &'a Table, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, &'a Value)>) {
    for (k, v) in t {
        path.push(k.clone());
        let is_range = matches!(v, Value::Table(r) if ["from", "to", "steps", "scale"].iter().any(|k| r.contains_key(*k)));
        match v {
            Value::Table(inner) if !is_range && !guard_kind(path, inner) => {
                leaves(inner, path, out)
            }
            _ => out.push((path.clone(), v)),
        }
        path.pop();
    }
}

/// Whether `t` at `path` is one guard table (`budget = { kind = "grpc" }`).
fn guard_kind(path: &[String], t: &Table) -> bool {
    path.len() == 1
        && GUARDS.contains(&path[0].as_str())
        && t.get("kind").is_some_and(Value::is_str)
}

/// The values of one space key: a list, a range, or one value; a guard
/// given by its kind becomes `{ kind = … }`. On error, the element at
/// fault (if one) and why.
fn values(path: &[String], v: &Value) -> Result<Vec<Value>, (Option<usize>, String)> {
    let guard = path.len() == 1 && GUARDS.contains(&path[0].as_str());
    let fix = |v: &Value| match v {
        Value::String(kind) if guard => {
            let mut t = Table::new();
            t.insert("kind".into(), Value::String(kind.clone()));
            Value::Table(t)
        }
        v => v.clone(),
    };
    let list: Vec<Value> = match v {
        Value::Array(items) if items.is_empty() => {
            return Err((None, "the list is empty; give at least one value".into()));
        }
        Value::Array(items) => items.iter().map(fix).collect(),
        Value::Table(t) if !t.contains_key("kind") => crate::scenario::sweep::range_of(t)
            .map_err(|m| (None, m))?
            .into_iter()
            .map(|v| v.to_toml())
            .collect(),
        v => vec![fix(v)],
    };
    for (i, a) in list.iter().enumerate() {
        if let Some(j) = list[..i].iter().position(|b| b == a) {
            return Err((
                Some(i),
                format!("{} repeats element {j}; list each value once", shown(a)),
            ));
        }
    }
    Ok(list)
}

/// Checks every value of every key with the other keys at their first
/// value, or one of them at another value, and each start: a value that
/// fits none of these is reported at the value.
pub(super) fn check_values(
    tune: &Tune,
    base: &Scenario,
    spans: &Spans,
    files: trace::FileSource,
    problems: &mut Vec<Problem>,
) {
    let cache = TraceCache::default();
    let firsts: Vec<Value> = tune.space.iter().map(|k| k.values[0].clone()).collect();
    let try_with = |overrides: &[(usize, &Value)]| -> Result<(), String> {
        let mut last = String::new();
        for start in &tune.start_tables {
            let mut t = start.clone();
            for (i, key) in tune.space.iter().enumerate() {
                let v = overrides
                    .iter()
                    .find(|(j, _)| *j == i)
                    .map_or(&firsts[i], |(_, v)| v);
                set(&mut t, &key.path, v.clone());
            }
            without_idle_keys(&mut t);
            t.insert("name".into(), Value::String("tune-check".into()));
            match resolve_strategy(&tune.document, base, t, files, &cache) {
                Ok(_) => return Ok(()),
                Err(m) => last = m,
            }
        }
        Err(last)
    };
    if tune.space.is_empty() {
        if let Err(m) = try_with(&[]) {
            problems.push(Problem::unlocated(
                spans.at("tune.space"),
                "tune.space",
                format!("the start is not a valid strategy: {m}"),
            ));
        }
        return;
    }
    for (i, key) in tune.space.iter().enumerate() {
        let shown_path = format!("tune.space.{}", key.name());
        for (j, v) in key.values.iter().enumerate() {
            // A value fits if some candidate takes it: with the other keys
            // at their first values, or with one other key at any of its
            // values (a base above the first cap may fit the second).
            let fits_another_way = || {
                tune.space.iter().enumerate().any(|(k, other)| {
                    k != i
                        && other.values[1..]
                            .iter()
                            .any(|u| try_with(&[(i, v), (k, u)]).is_ok())
                })
            };
            if let Err(m) = try_with(&[(i, v)])
                && !fits_another_way()
            {
                problems.push(Problem::unlocated(
                    spans
                        .element(&shown_path, j)
                        .or_else(|| spans.at(&shown_path)),
                    &shown_path,
                    format!("the value {} does not fit: {m}", shown(v)),
                ));
                break;
            }
        }
    }
}
