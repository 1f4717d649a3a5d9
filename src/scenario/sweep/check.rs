//! Reading and validating `[sweep]`: its entries with their positions,
//! the keys they name, the size of the grid, and each value and point
//! resolved in the scenario (as far as the validation budget allows).

use super::apply::{Unfit, element_name, resolve_with};
use super::values::{Part, RANGE_KEYS, Written, written};
use super::{
    MAX_KEYS, MAX_POINTS, Sweep, SweepKey, SweepValue, VALIDATE_ALL_UP_TO, VALIDATE_BYTES,
    ValuesSpec, combination, pinned,
};
use crate::scenario::{Problem, Scenario, TraceCache, trace};
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use toml::{Table, Value};

/// One `[sweep]` entry as found in the file, with its position.
struct Entry {
    path: Vec<String>,
    value: Value,
    /// Byte range of the value, for messages.
    span: Range<usize>,
    /// Byte ranges of a list's elements, or of a range's values.
    parts: Vec<(Part, Range<usize>)>,
    /// The entry as messages name it: `sweep.` and its path.
    shown: String,
}

impl Entry {
    /// `message` about `part` of the entry, at its position and named by
    /// its key: `sweep.workload.clients[2]`, `sweep.workload.clients.to`.
    fn problem(&self, part: &Part, message: impl Into<String>) -> Problem {
        let key = match part {
            Part::Whole => self.shown.clone(),
            Part::Element(i) => format!("{}[{i}]", self.shown),
            Part::Key(k) => format!("{}.{k}", self.shown),
        };
        let span = self
            .parts
            .iter()
            .find(|(p, _)| p == part)
            .map_or(&self.span, |(_, span)| span);
        Problem::unlocated(Some(span.clone()), &key, message)
    }
}

/// Keys that cannot be swept, and why.
const NOT_SWEPT: [(&str, &str); 4] = [
    ("name", "every point belongs to one report"),
    ("description", "it is text"),
    (
        "seed",
        "every point already gets its own random streams; compare seeds with replications",
    ),
    (
        "replications",
        "use --replications, or --precision to add replications where needed",
    ),
];

/// Parses and validates the `[sweep]` table of `src`, whose scenario
/// (without the sweep) resolved to `base`; traces are read through
/// `files`. Problems are appended to `problems`.
pub(in crate::scenario) fn parse(
    src: &str,
    base: &Scenario,
    problems: &mut Vec<Problem>,
    files: trace::FileSource,
) -> Option<Sweep> {
    let mut document: Table = src.parse().ok()?;
    let table = document.remove("sweep")?;
    // Points are scenarios to run: a [tune] is not checked again in each.
    document.remove("tune");
    let spans = toml::de::DeTable::parse(src).ok()?;
    let sweep_spans = spans
        .get_ref()
        .iter()
        .find(|(k, _)| k.get_ref() == "sweep")
        .map(|(_, v)| v);
    let Value::Table(table) = table else {
        problems.push(Problem::unlocated(
            sweep_spans.map(|v| v.span()),
            "sweep",
            "must be a table: [sweep] followed by key = [values] or key = { from, to, steps }",
        ));
        return None;
    };
    let mut entries = Vec::new();
    collect(&table, sweep_spans, &mut Vec::new(), &mut entries);
    entries.sort_by_key(|e| e.span.start);
    if entries.is_empty() {
        problems.push(Problem::unlocated(
            sweep_spans.map(|v| v.span()),
            "sweep",
            "is empty; add a key such as workload.clients = [10, 100, 1000]",
        ));
        return None;
    }
    if entries.len() > MAX_KEYS {
        problems.push(Problem::unlocated(
            sweep_spans.map(|v| v.span()),
            "sweep",
            format!(
                "has {} keys; at most {MAX_KEYS} are supported (a grid of at most {MAX_POINTS} points varies at most 14 keys): sweep fewer keys",
                entries.len()
            ),
        ));
        return None;
    }
    // Lines of the entries, counted once through the file (they are in
    // file order).
    let mut counted = (0, 1);
    let mut line_of = |span: &Range<usize>| {
        let at = span.start.clamp(counted.0, src.len());
        counted = (at, counted.1 + src[counted.0..at].matches('\n').count());
        counted.1
    };
    let names = ElementNames::of(base);
    let before = problems.len();
    // Shape first: paths, values as written, grid size. Cheap, and it
    // bounds the work of the checks that resolve scenarios.
    let mut written_keys: Vec<(&Entry, Vec<String>, Written)> = Vec::new();
    for e in &entries {
        let path = normalize_path(&e.path, &names);
        if let [top] = path.as_slice()
            && let Some((_, why)) = NOT_SWEPT.iter().find(|(k, _)| k == top)
        {
            problems.push(e.problem(&Part::Whole, format!("cannot be swept: {why}")));
            continue;
        }
        match written(&e.value) {
            Ok(w) => written_keys.push((e, path, w)),
            Err(wrong) => problems.extend(wrong.iter().map(|(part, m)| e.problem(part, m))),
        }
    }
    let total = written_keys
        .iter()
        .try_fold(1u64, |acc, (_, _, w)| acc.checked_mul(w.count() as u64));
    if problems.len() == before && total.is_none_or(|t| t > MAX_POINTS) {
        problems.push(Problem::unlocated(sweep_spans.map(|v| v.span()),
            "sweep",
            format!(
                "the grid has {} points; at most {MAX_POINTS} are supported: sweep fewer values, or split the study into several sweep files",
                total.map_or_else(|| "more than 2^64".to_string(), |t| t.to_string())
            ),
        ));
    }
    if problems.len() > before {
        return None;
    }
    let cache = TraceCache::default();
    // Each check resolves the whole scenario: as many as VALIDATE_BYTES
    // of its text allow.
    let text = toml::to_string(&pinned(&document, base)).map_or(src.len(), |t| t.len());
    let mut checks = VALIDATE_BYTES / text.max(1);
    // Each value as written on its own: the message is at the value.
    for (e, path, w) in &written_keys {
        check_alone(
            base,
            &document,
            (e, path, w),
            files,
            &cache,
            &mut checks,
            problems,
        );
    }
    if problems.len() > before {
        return None;
    }
    let mut keys = Vec::new();
    for (e, path, w) in &written_keys {
        match w.expand() {
            Ok((values, spec)) => keys.push((
                SweepKey {
                    path: path.clone(),
                    values,
                    spec,
                    line: line_of(&e.span),
                },
                *e,
            )),
            Err(msg) => problems.push(e.problem(&Part::Whole, msg)),
        }
    }
    if problems.len() > before {
        return None;
    }
    let sweep = Sweep {
        keys: keys.iter().map(|(k, _)| k.clone()).collect(),
        document,
    };
    // The values of a range between its ends, each on its own, as long
    // as the budget lasts (what is left is checked when its point is
    // built).
    for (key, e) in &keys {
        if key.spec == ValuesSpec::List {
            continue;
        }
        for v in &key.values {
            if checks == 0 {
                break;
            }
            checks -= 1;
            let set = [(&key.path[..], *v)];
            if let Err(unfit) = resolve_with(base, &sweep.document, &set, files, &cache) {
                let message = value_problem(&key.name(), *v, &unfit);
                problems.push(e.problem(&Part::Whole, message));
                break;
            }
        }
    }
    if problems.len() > before {
        return None;
    }
    // No element may be set by two keys: each key's elements, by index,
    // are looked up among those of the keys before it.
    let mut set_by: HashMap<Vec<String>, Vec<usize>> = HashMap::new();
    for (i, (key, e)) in keys.iter().enumerate() {
        let mut earlier: Vec<usize> = Vec::new();
        for path in concrete(&sweep.document, &key.path) {
            let owners = set_by.entry(path).or_default();
            earlier.extend(owners.iter().copied());
            owners.push(i);
        }
        earlier.sort_unstable();
        earlier.dedup();
        for j in earlier {
            problems.push(e.problem(
                &Part::Whole,
                format!(
                    "sets the same key as {} (line {}); sweep each key once",
                    keys[j].1.shown, keys[j].0.line
                ),
            ));
        }
    }
    if problems.len() > before {
        return None;
    }
    if sweep.points() <= VALIDATE_ALL_UP_TO {
        for point in 0..sweep.points().min(checks) {
            let sets: Vec<(&SweepKey, SweepValue)> =
                sweep.keys.iter().zip(sweep.point_values(point)).collect();
            let paths: Vec<(&[String], SweepValue)> =
                sets.iter().map(|(k, v)| (&k.path[..], *v)).collect();
            if let Err(unfit) = resolve_with(base, &sweep.document, &paths, files, &cache) {
                problems.push(keys[unfit.blamed].1.problem(
                    &Part::Whole,
                    format!("at the point {}: {}", combination(&sets), unfit.text()),
                ));
                return None;
            }
        }
    }
    Some(sweep)
}

/// Checks each value an entry writes (a list's elements, a range's ends)
/// in the scenario on its own, and says at the value what does not fit;
/// what is wrong with the key whatever its value is said once.
fn check_alone(
    base: &Scenario,
    document: &Table,
    (e, path, w): (&Entry, &[String], &Written),
    files: trace::FileSource,
    cache: &TraceCache,
    checks: &mut usize,
    problems: &mut Vec<Problem>,
) {
    let name = path.join(".");
    let each = w.each();
    let mut mistyped = Vec::new();
    // The first value is always checked (it finds a key that cannot be
    // swept); the others as long as the budget `checks` lasts.
    let mut checked = 0;
    for (part, v) in &each {
        if problems.len() >= crate::diagnostic::MAX_PROBLEMS || (checked > 0 && *checks == 0) {
            break;
        }
        checked += 1;
        *checks = checks.saturating_sub(1);
        let Err(unfit) = resolve_with(base, document, &[(path, *v)], files, cache) else {
            continue;
        };
        if about_key(&unfit) {
            problems.push(e.problem(&Part::Whole, value_problem(&name, *v, &unfit)));
            return;
        }
        if unfit.message.contains("invalid type:") || unfit.message.contains("has no unit") {
            mistyped.push((part, *v, unfit));
        } else {
            let message = format!("the value {} does not fit: {}", v.text(), unfit.text());
            problems.push(e.problem(part, message));
        }
    }
    match mistyped.as_slice() {
        // No value is of a kind the key takes: the key is the mistake.
        [(_, v, unfit), ..] if mistyped.len() == checked => {
            problems.push(e.problem(&Part::Whole, value_problem(&name, *v, unfit)));
        }
        _ => {
            for (part, v, unfit) in &mistyped {
                problems.push(e.problem(part, other_kind(*v, unfit)));
            }
        }
    }
}

/// Whether what `unfit` says is about the swept key whatever its value:
/// a path that leads nowhere, a key that is unknown or not read.
fn about_key(unfit: &Unfit) -> bool {
    unfit.key.is_empty()
        || [
            "unknown key",
            "give either",
            "is not used by",
            "only read by",
            "has no effect",
        ]
        .iter()
        .any(|m| unfit.message.contains(m))
}

/// A value of another kind than the key takes, among values that are of
/// that kind: `1e300 is a floating-point number, but workload.clients takes
/// a whole number`.
fn other_kind(v: SweepValue, unfit: &Unfit) -> String {
    match unfit.message.split_once("expected ") {
        Some((_, expected)) => format!(
            "{} is {}, but {} takes {expected}",
            v.text(),
            v.kind_phrase(),
            unfit.key
        ),
        None => format!("the value {} does not fit: {}", v.text(), unfit.text()),
    }
}

/// The message for a value a key cannot take: a key that cannot take any
/// value of this kind is the key's fault, not the value's.
fn value_problem(name: &str, v: SweepValue, unfit: &Unfit) -> String {
    let msg = unfit.text();
    let wants_text = msg.contains("invalid type") && msg.contains("expected a string");
    if wants_text || (msg.contains("the number") && msg.contains("has no unit")) {
        format!(
            "{name} does not take a number (if it is a duration, write values such as \"250ms\")"
        )
    } else if about_key(unfit) || msg.contains("invalid type") {
        msg
    } else {
        format!("the value {} does not fit: {msg}", v.text())
    }
}

/// Walks the `[sweep]` table down to its leaves: lists and ranges.
fn collect(
    table: &Table,
    spans: Option<&toml::Spanned<toml::de::DeValue<'_>>>,
    path: &mut Vec<String>,
    out: &mut Vec<Entry>,
) {
    // The spans of this table's keys, found by name (a linear search for
    // each of thousands of keys would be quadratic).
    let spans: HashMap<&str, _> = match spans.map(|s| s.get_ref()) {
        Some(toml::de::DeValue::Table(t)) => t.iter().map(|(k, v)| (&**k.get_ref(), v)).collect(),
        _ => HashMap::new(),
    };
    for (k, v) in table {
        let span_of = spans.get(k.as_str()).copied();
        path.push(k.clone());
        let is_range =
            matches!(v, Value::Table(t) if RANGE_KEYS.iter().any(|r| t.contains_key(*r)));
        match v {
            Value::Table(t) if !is_range => collect(t, span_of, path, out),
            _ => {
                let parts = match span_of.map(|s| s.get_ref()) {
                    Some(toml::de::DeValue::Array(items)) => items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| (Part::Element(i), item.span()))
                        .collect(),
                    Some(toml::de::DeValue::Table(t)) => t
                        .iter()
                        .map(|(key, v)| (Part::Key(key.get_ref().to_string()), v.span()))
                        .collect(),
                    _ => Vec::new(),
                };
                out.push(Entry {
                    path: path.clone(),
                    value: v.clone(),
                    span: span_of.map_or(0..0, |s| s.span()),
                    parts,
                    shown: format!("sweep.{}", path.join(".")),
                });
            }
        }
        path.pop();
    }
}

/// Splits dotted segments (`"strategy.*.backoff.base"` written as one
/// quoted key), except a name of a strategy or model containing a dot
/// (`names` holds those names).
fn normalize_path(raw: &[String], names: &ElementNames) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for seg in raw {
        let names_element = match out.last().map(|s| s.as_str()) {
            Some("strategy") => names.strategies.contains(seg.as_str()),
            Some("model") => names.models.contains(seg.as_str()),
            _ => false,
        };
        if names_element || !seg.contains('.') {
            out.push(seg.clone());
        } else {
            out.extend(seg.split('.').map(str::to_string));
        }
    }
    out
}

/// The names of a scenario's strategies and models, to look up.
struct ElementNames<'a> {
    strategies: HashSet<&'a str>,
    models: HashSet<&'a str>,
}

impl<'a> ElementNames<'a> {
    fn of(base: &'a Scenario) -> Self {
        ElementNames {
            strategies: base.strategies.iter().map(|s| s.name.as_str()).collect(),
            models: base.models.iter().map(|m| m.name.as_str()).collect(),
        }
    }
}

/// Every concrete path `path` names in `doc`: array elements by index.
fn concrete(doc: &Table, path: &[String]) -> Vec<Vec<String>> {
    let mut out: Vec<(Vec<String>, Option<&Value>)> = vec![(Vec::new(), None)];
    let mut i = 0;
    while i < path.len() {
        let seg = &path[i];
        let mut next = Vec::new();
        for (prefix, node) in out {
            let child = if i == 0 {
                doc.get(seg.as_str())
            } else {
                node.and_then(|n| n.get(seg.as_str()))
            };
            let mut p: Vec<String> = prefix;
            p.push(seg.clone());
            match (child, path.get(i + 1)) {
                (Some(Value::Array(items)), Some(pick)) => {
                    for (j, item) in items.iter().enumerate() {
                        let name = element_name(item);
                        if pick == "*" || name == Some(pick.as_str()) || pick == &j.to_string() {
                            let mut q = p.clone();
                            q.push(j.to_string());
                            next.push((q, Some(item)));
                        }
                    }
                    i += 1;
                }
                _ => next.push((p, child)),
            }
        }
        out = next;
        i += 1;
    }
    out.into_iter().map(|(p, _)| p).collect()
}
