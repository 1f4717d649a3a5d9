//! A point applied to the scenario: its values set in the scenario as
//! written (entering arrays of tables by name, index or `*`), the result
//! resolved like a file, and which value to blame when it does not.

use super::values::describe;
use super::{SweepValue, pinned};
use crate::scenario::{Scenario, TraceCache, trace};
use crate::time::parse_duration;
use toml::{Table, Value};

/// Why values set in a scenario do not resolve.
#[derive(Debug)]
pub(super) struct Unfit {
    /// Index of the value to blame.
    pub(super) blamed: usize,
    /// The key the problem is at (`strategy[1].backoff.base`); empty when
    /// the path itself leads nowhere.
    pub(super) key: String,
    pub(super) message: String,
}

impl Unfit {
    /// `key: message`.
    pub(super) fn text(&self) -> String {
        if self.key.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.key, self.message)
        }
    }
}

/// Sets every `(path, value)` in `document` (with `base`'s name, seed and
/// replications) and resolves it; on failure, which value to blame (the
/// one whose path the first problem names, else the first) and why.
pub(super) fn resolve_with(
    base: &Scenario,
    document: &Table,
    sets: &[(&[String], SweepValue)],
    files: trace::FileSource,
    cache: &TraceCache,
) -> Result<Scenario, Unfit> {
    let mut doc = pinned(document, base);
    for (blamed, (path, value)) in sets.iter().enumerate() {
        set(&mut doc, path, value.to_toml()).map_err(|message| Unfit {
            blamed,
            key: String::new(),
            message,
        })?;
    }
    let text = toml::to_string(&doc).expect("a TOML table serialises");
    crate::scenario::parse_cached(&text, &base.name, files, Some(cache)).map_err(|problems| {
        let p = &problems[0];
        Unfit {
            blamed: sets
                .iter()
                .position(|(path, _)| same_key(path, &p.key))
                .unwrap_or(0),
            key: p.key.clone(),
            message: p.message.clone(),
        }
    })
}

/// Whether a problem's key (e.g. `strategy[1].backoff.base`) is the one a
/// sweep path names (`strategy.*.backoff.base`): the same keys once the
/// elements of arrays are left out.
fn same_key(path: &[String], problem_key: &str) -> bool {
    let a: Vec<&str> = problem_key
        .split('.')
        .map(|s| s.split('[').next().unwrap_or(""))
        .collect();
    let mut b: Vec<&str> = Vec::new();
    let mut skip = false;
    for s in path {
        if std::mem::take(&mut skip) {
            continue;
        }
        b.push(s);
        skip = matches!(s.as_str(), "strategy" | "model" | "outages");
    }
    a == b
}

/// Sets the value at `path` in `doc`, creating missing tables. Arrays of
/// tables are entered by `name`, index or `*`.
fn set(doc: &mut Table, path: &[String], value: Value) -> Result<(), String> {
    let (last, parents) = path.split_last().ok_or("the key is empty")?;
    let mut targets: Vec<&mut Table> = vec![doc];
    let mut walked = Vec::new();
    let mut i = 0;
    while i < parents.len() {
        let seg = &parents[i];
        walked.push(seg.clone());
        let mut next = Vec::new();
        for t in targets {
            let entry = t
                .entry(seg.clone())
                .or_insert_with(|| Value::Table(Table::new()));
            match entry {
                Value::Table(inner) => next.push(inner),
                Value::Array(items) => {
                    let pick = parents.get(i + 1).ok_or_else(|| {
                        format!(
                            "{} is a list; name an element (by name, index or *) before the key",
                            walked.join(".")
                        )
                    })?;
                    let names: Vec<String> = items
                        .iter()
                        .map(|v| element_name(v).unwrap_or("").to_string())
                        .collect();
                    let chosen: Vec<usize> = if pick == "*" {
                        (0..items.len()).collect()
                    } else if let Some(j) = names.iter().position(|n| n == pick) {
                        vec![j]
                    } else if let Ok(j) = pick.parse::<usize>() {
                        if j < items.len() {
                            vec![j]
                        } else {
                            return Err(format!(
                                "{} has {} element(s); index {j} is out of range",
                                walked.join("."),
                                items.len()
                            ));
                        }
                    } else {
                        let named: Vec<&str> = names
                            .iter()
                            .filter(|n| !n.is_empty())
                            .map(|n| n.as_str())
                            .collect();
                        return Err(format!(
                            "{} has no element named \"{pick}\"; use {}an index from 0 or *",
                            walked.join("."),
                            if named.is_empty() {
                                String::new()
                            } else {
                                format!("one of {}, ", named.join(", "))
                            }
                        ));
                    };
                    if chosen.is_empty() {
                        return Err(format!("{} is empty: * matches nothing", walked.join(".")));
                    }
                    for (j, item) in items.iter_mut().enumerate() {
                        if chosen.contains(&j) {
                            match item {
                                Value::Table(inner) => next.push(inner),
                                _ => return Err(format!("{} holds no tables", walked.join("."))),
                            }
                        }
                    }
                    walked.push(pick.clone());
                    i += 1;
                }
                other => {
                    return Err(format!(
                        "{} is {}, not a table, so it has no key {}",
                        walked.join("."),
                        describe(other),
                        parents.get(i + 1).unwrap_or(last)
                    ));
                }
            }
        }
        targets = next;
        i += 1;
    }
    let full = path.join(".");
    for t in targets {
        if let Some(old) = t.get(last.as_str()) {
            let numeric = match old {
                Value::Integer(_) | Value::Float(_) => true,
                Value::String(s) => parse_duration(s).is_ok(),
                _ => false,
            };
            if !numeric {
                return Err(format!(
                    "{full} is {}; only numbers and durations can be swept",
                    describe(old)
                ));
            }
        }
        t.insert(last.clone(), value.clone());
    }
    Ok(())
}

/// The name an element of an array of tables goes by: its `name`, or for
/// a strategy without one, its preset's (which it is then named after).
pub(super) fn element_name(v: &Value) -> Option<&str> {
    v.get("name")
        .or_else(|| v.get("preset"))
        .and_then(|n| n.as_str())
}
