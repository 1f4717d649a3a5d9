//! `[sweep]`: a grid of values for numeric and duration keys of a
//! scenario.
//!
//! ```toml
//! [sweep]
//! workload.clients = { from = 10, to = 100000, steps = 5, scale = "log" }
//! strategy."*".backoff.base = ["100ms", "1s"]
//! strategy.linear.max_attempts = [3, 5]
//! ```
//!
//! Each entry names a key of the scenario by its dotted path. Inside an
//! array of tables (`strategy`, `model`, `server.outages`) a segment picks
//! elements: a `name` (`strategy.linear`), an index from 0
//! (`server.outages.0`) or `*` for all of them. The whole path may also be
//! written as one quoted key (`"strategy.*.backoff.base" = …`). Values are
//! a list (`[…]`) or a range `{ from, to, steps, scale }` (`scale` is
//! `"linear"`, the default, or `"log"`): `steps` values from `from` to
//! `to`, both included. Whole-number ranges are rounded to whole numbers,
//! duration ranges to the nanosecond, other ranges to 12 significant
//! digits.
//!
//! Several keys form a Cartesian grid, enumerated with the last key
//! varying fastest: point `i` of a grid of keys with `n₁ … n_k` values
//! has the `(i / (n₂ ⋯ n_k)) mod n₁`-th value of the first key, and so on.
//!
//! A point's scenario is the resolved scenario with the point's values
//! set, validated like any scenario file; a value that makes it invalid is
//! reported at the `[sweep]` entry that gave it: at the value itself when
//! it is written there (an element of a list, an end of a range).

use super::{Problem, Scenario, TRACE_COPY, TraceCache, WorkloadKind, trace};
use crate::diagnostic::{datetime_type, show_number};
use crate::time::{as_secs_f64, format_duration, parse_duration};
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use toml::{Table, Value};

/// Most points a grid may have. A sweep keeps each point's rows in memory
/// until the report is written (a few kilobytes per point and strategy),
/// and its charts draw every point; larger studies belong in several sweep
/// files.
pub const MAX_POINTS: u64 = 20_000;
/// Grids up to this size are validated point by point before running;
/// larger ones key by key (a value that is invalid only in combination
/// with another key's value is then reported when its point is reached).
pub const VALIDATE_ALL_UP_TO: usize = 4096;
/// Most keys a `[sweep]` may have: a grid of at most [`MAX_POINTS`]
/// points varies at most 14 keys (2^15 > 20,000), and each key costs a
/// validation of the whole scenario.
pub const MAX_KEYS: usize = 64;
/// Validation resolves the scenario once per swept value and once per
/// point: at most this many bytes of scenario text in all (about a second
/// of work). Each key's first value is always checked; the others, and
/// the points, as long as the budget lasts. What is left is checked when
/// its point is built, before it runs. A scenario of a few kilobytes has
/// every value and point of the largest grids checked.
pub const VALIDATE_BYTES: usize = 32 << 20;

/// A scenario's `[sweep]`.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// In file order.
    pub keys: Vec<SweepKey>,
    /// The scenario file as written, without `[sweep]`: each point is this
    /// document with the point's values set, resolved like a file, so that
    /// defaults derived from a swept key (a burst from its rate, a Poisson
    /// duration from the horizon) follow it.
    document: Table,
}

/// Two sweeps are the same grid (however their scenario was written).
impl PartialEq for Sweep {
    fn eq(&self, other: &Self) -> bool {
        self.keys == other.keys
    }
}

/// One swept key.
#[derive(Debug, Clone)]
pub struct SweepKey {
    /// Path segments, e.g. `["strategy", "*", "backoff", "base"]`.
    pub path: Vec<String>,
    /// The values, in sweep order.
    pub values: Vec<SweepValue>,
    /// How the values were given.
    pub spec: ValuesSpec,
    /// Line of the entry in the scenario file, for messages.
    pub line: usize,
}

/// The same key and values (wherever they were written).
impl PartialEq for SweepKey {
    fn eq(&self, other: &Self) -> bool {
        (&self.path, &self.values, &self.spec) == (&other.path, &other.values, &other.spec)
    }
}

/// A value a key takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SweepValue {
    Int(i64),
    Float(f64),
    /// Nanoseconds.
    Duration(u64),
}

/// How a key's values were written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValuesSpec {
    List,
    Range {
        from: SweepValue,
        to: SweepValue,
        steps: u32,
        log: bool,
    },
}

impl SweepValue {
    /// The value in SI units (durations in seconds), as reports give it.
    pub fn si(self) -> f64 {
        match self {
            SweepValue::Int(i) => i as f64,
            SweepValue::Float(x) => x,
            SweepValue::Duration(ns) => as_secs_f64(ns),
        }
    }

    /// The value as a report cell: exact, in SI units.
    pub fn cell(self) -> String {
        match self {
            SweepValue::Int(i) => i.to_string(),
            SweepValue::Float(x) => format!("{x}"),
            SweepValue::Duration(ns) => crate::format::fmt_num(as_secs_f64(ns), 9),
        }
    }

    /// The value as the scenario file writes it.
    pub fn to_toml(self) -> Value {
        match self {
            SweepValue::Int(i) => Value::Integer(i),
            SweepValue::Float(x) => Value::Float(x),
            SweepValue::Duration(ns) => Value::String(format_duration(ns)),
        }
    }

    /// The value as messages show it: as the scenario file writes it,
    /// a float far from 1 with an exponent (`1e300`, which TOML reads too).
    pub fn text(self) -> String {
        match self {
            SweepValue::Float(x) => {
                let shown = show_number(x);
                if shown.contains(['.', 'e']) {
                    shown
                } else {
                    shown + ".0"
                }
            }
            v => v.to_toml().to_string(),
        }
    }

    fn kind(self) -> &'static str {
        match self {
            SweepValue::Int(_) => "whole number",
            SweepValue::Float(_) => "number",
            SweepValue::Duration(_) => "duration",
        }
    }

    /// What the value is, for a key that takes another kind.
    fn kind_phrase(self) -> &'static str {
        match self {
            SweepValue::Int(_) => "a whole number",
            SweepValue::Float(_) => "a floating-point number",
            SweepValue::Duration(_) => "a duration",
        }
    }
}

impl SweepKey {
    /// The key as reports name it: segments joined by dots.
    pub fn name(&self) -> String {
        self.path.join(".")
    }

    /// Whether the values are durations.
    pub fn is_duration(&self) -> bool {
        matches!(self.values.first(), Some(SweepValue::Duration(_)))
    }

    /// Whether charts should use a logarithmic axis: a log range, or
    /// positive listed values spanning a factor of 100 or more.
    pub fn log_axis(&self) -> bool {
        match self.spec {
            ValuesSpec::Range { log, .. } => log,
            ValuesSpec::List => {
                let v: Vec<f64> = self.values.iter().map(|v| v.si()).collect();
                let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                lo > 0.0 && hi / lo >= 100.0
            }
        }
    }

    /// The path as a TOML key: segments that are not bare keys quoted.
    fn toml_key(&self) -> String {
        self.path
            .iter()
            .map(|s| {
                if !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    s.clone()
                } else {
                    Value::String(s.clone()).to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(".")
    }
}

impl Sweep {
    /// Number of grid points.
    pub fn points(&self) -> usize {
        self.keys.iter().map(|k| k.values.len()).product()
    }

    /// The value of each key at grid point `point` (last key fastest).
    pub fn point_values(&self, point: usize) -> Vec<SweepValue> {
        let lens: Vec<usize> = self.keys.iter().map(|k| k.values.len()).collect();
        grid_indices(&lens, point)
            .into_iter()
            .zip(&self.keys)
            .map(|(i, k)| k.values[i])
            .collect()
    }

    /// `key = value, …` of grid point `point`, for messages.
    pub fn point_label(&self, point: usize) -> String {
        let values = self.point_values(point);
        combination(&self.keys.iter().zip(values).collect::<Vec<_>>())
    }

    /// The scenario file of a sweep report: the scenario as written, with
    /// `base`'s name, seed and replications (so command-line overrides are
    /// recorded) and a trace read from its copy beside the report, then the
    /// `[sweep]` table. Sweeping it again gives the same report.
    pub fn scenario_toml(&self, base: &Scenario) -> String {
        let mut doc = self.pinned(base);
        if matches!(base.workload.kind, WorkloadKind::Trace { .. })
            && let Some(Value::Table(w)) = doc.get_mut("workload")
        {
            w.insert("file".into(), Value::String(TRACE_COPY.into()));
        }
        let body = toml::to_string(&doc).expect("a TOML table serialises");
        format!(
            "# The scenario of a backsim {} sweep report, as written (defaults are filled in per\n\
             # point), with the seed and replications it ran with. `backsim sweep` on this file\n\
             # reproduces the report.\n{body}\n{}",
            env!("CARGO_PKG_VERSION"),
            self.table_toml()
        )
    }

    /// The scenario as written, with `base`'s name, seed and replications
    /// (which the command line may have overridden).
    fn pinned(&self, base: &Scenario) -> Table {
        pinned(&self.document, base)
    }

    /// The `[sweep]` table (values as they were given: a list or a range).
    pub fn table_toml(&self) -> String {
        let mut s = String::from("[sweep]\n");
        for k in &self.keys {
            let v = match k.spec {
                ValuesSpec::List => {
                    Value::Array(k.values.iter().map(|v| v.to_toml()).collect()).to_string()
                }
                ValuesSpec::Range {
                    from,
                    to,
                    steps,
                    log,
                } => format!(
                    "{{ from = {}, to = {}, steps = {steps}, scale = \"{}\" }}",
                    from.to_toml(),
                    to.to_toml(),
                    if log { "log" } else { "linear" }
                ),
            };
            s.push_str(&format!("{} = {v}\n", k.toml_key()));
        }
        s
    }
}

/// `document` with `base`'s name, seed and replications.
fn pinned(document: &Table, base: &Scenario) -> Table {
    let mut doc = document.clone();
    doc.insert("name".into(), Value::String(base.name.clone()));
    doc.insert("seed".into(), Value::Integer(base.seed as i64));
    doc.insert(
        "replications".into(),
        Value::Integer(i64::from(base.replications)),
    );
    doc
}

/// The scenario of grid point `point`: the scenario as written with the
/// point's values set, validated like a file. `file` names it in messages;
/// `files` reads its traces, through `cache`.
pub fn point_scenario(
    base: &Scenario,
    point: usize,
    file: &str,
    files: trace::FileSource,
    cache: &TraceCache,
) -> Result<Scenario, crate::Error> {
    let sweep = base
        .sweep
        .as_ref()
        .ok_or_else(|| crate::Error::Input(format!("{file} has no [sweep] table")))?;
    let sets: Vec<(&SweepKey, SweepValue)> =
        sweep.keys.iter().zip(sweep.point_values(point)).collect();
    let paths: Vec<(&[String], SweepValue)> = sets.iter().map(|(k, v)| (&k.path[..], *v)).collect();
    resolve_with(base, &sweep.document, &paths, files, cache).map_err(|unfit| {
        let key = sets[unfit.blamed].0;
        crate::Error::Input(format!(
            "{file}:{}: sweep.{}: at the point {}: {}",
            key.line,
            key.name(),
            combination(&sets),
            unfit.text()
        ))
    })
}

/// `key = value, …` of a point.
fn combination(sets: &[(&SweepKey, SweepValue)]) -> String {
    sets.iter()
        .map(|(k, v)| format!("{} = {}", k.name(), v.text()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why values set in a scenario do not resolve.
#[derive(Debug)]
struct Unfit {
    /// Index of the value to blame.
    blamed: usize,
    /// The key the problem is at (`strategy[1].backoff.base`); empty when
    /// the path itself leads nowhere.
    key: String,
    message: String,
}

impl Unfit {
    /// `key: message`.
    fn text(&self) -> String {
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
fn resolve_with(
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
    super::parse_cached(&text, &base.name, files, Some(cache)).map_err(|problems| {
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

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the text \"{s}\""),
        Value::Boolean(b) => format!("the switch {b}"),
        Value::Array(_) => "a list".into(),
        Value::Table(_) => "a table (sweep one of its keys)".into(),
        Value::Datetime(d) => format!("a {}", datetime_type(d)),
        Value::Integer(_) | Value::Float(_) => "a number".into(),
    }
}

// ---------------------------------------------------------------------------
// Parsing `[sweep]` from the scenario file.

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

/// Where in a `[sweep]` entry's value a problem is.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    /// The whole list or range.
    Whole,
    /// A list's element, from 0.
    Element(usize),
    /// The value of a range's key (`from`, `to`, `steps`, `scale`).
    Key(String),
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

/// A `[sweep]` entry's values as written.
#[derive(Debug, Clone)]
enum Written {
    List(Vec<SweepValue>),
    Range {
        from: SweepValue,
        to: SweepValue,
        steps: u32,
        log: bool,
    },
}

impl Written {
    /// How many values the entry gives.
    fn count(&self) -> usize {
        match self {
            Written::List(values) => values.len(),
            Written::Range { steps, .. } => *steps as usize,
        }
    }

    /// The values written in the file, which must each fit the key: a
    /// list's elements, a range's ends.
    fn each(&self) -> Vec<(Part, SweepValue)> {
        match self {
            Written::List(values) => values
                .iter()
                .enumerate()
                .map(|(i, v)| (Part::Element(i), *v))
                .collect(),
            Written::Range { from, to, .. } => vec![
                (Part::Key("from".into()), *from),
                (Part::Key("to".into()), *to),
            ],
        }
    }

    /// The values in sweep order (of one kind), and how they were given.
    fn expand(&self) -> Result<(Vec<SweepValue>, ValuesSpec), String> {
        match *self {
            Written::List(ref values) => Ok((unify(values.clone())?, ValuesSpec::List)),
            Written::Range {
                from,
                to,
                steps,
                log,
            } => range_values(from, to, steps, log),
        }
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
pub(super) fn parse(
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

/// The name an element of an array of tables goes by: its `name`, or for
/// a strategy without one, its preset's (which it is then named after).
fn element_name(v: &Value) -> Option<&str> {
    v.get("name")
        .or_else(|| v.get("preset"))
        .and_then(|n| n.as_str())
}

/// The keys of a range.
const RANGE_KEYS: [&str; 4] = ["from", "to", "steps", "scale"];

/// The values of a list or a range, as written, or what is wrong with
/// them, where.
fn written(v: &Value) -> Result<Written, Vec<(Part, String)>> {
    match v {
        Value::Array(items) => {
            if items.is_empty() {
                let empty = "the list is empty; give at least one value";
                return Err(vec![(Part::Whole, empty.into())]);
            }
            let mut values = Vec::new();
            let mut wrong = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match scalar(item) {
                    Ok(v) => values.push(v),
                    // The rest would not be reported.
                    Err(_) if wrong.len() == crate::diagnostic::MAX_PROBLEMS => break,
                    Err(m) => wrong.push((Part::Element(i), m)),
                }
            }
            if !wrong.is_empty() {
                return Err(wrong);
            }
            let again = repeats(&values);
            if !again.is_empty() {
                return Err(again
                    .into_iter()
                    .map(|(first, i)| {
                        let v = values[i].text();
                        (
                            Part::Element(i),
                            format!("{v} repeats element {first}; list each value once"),
                        )
                    })
                    .collect());
            }
            Ok(Written::List(values))
        }
        Value::Table(t) => range(t),
        other => Err(vec![(
            Part::Whole,
            format!(
                "is {}; give a list of values ([10, 100]) or a range ({{ from = 10, to = 100, steps = 5 }})",
                describe(other)
            ),
        )]),
    }
}

/// A number or a duration string.
fn scalar(v: &Value) -> Result<SweepValue, String> {
    match v {
        Value::Integer(i) => Ok(SweepValue::Int(*i)),
        Value::Float(x) if x.is_finite() => Ok(SweepValue::Float(*x)),
        Value::Float(x) => Err(format!(
            "{} is not a finite number; sweep values are numbers or durations",
            show_number(*x)
        )),
        Value::String(s) => parse_duration(s).map(SweepValue::Duration).map_err(|e| {
            format!("\"{s}\" is not a duration ({e}); sweep values are numbers or durations")
        }),
        other => Err(format!(
            "{} cannot be swept; values are numbers or durations such as \"250ms\"",
            describe(other)
        )),
    }
}

/// A TOML value in a message about a range's `steps` or `scale`.
fn value_text(v: &Value) -> String {
    match v {
        Value::Float(x) => show_number(*x),
        v => v.to_string(),
    }
}

/// Makes a list's values one kind: whole numbers mixed with other numbers
/// become numbers; durations mix only with durations.
fn unify(values: Vec<SweepValue>) -> Result<Vec<SweepValue>, String> {
    let durations = values
        .iter()
        .filter(|v| matches!(v, SweepValue::Duration(_)))
        .count();
    if durations != 0 && durations != values.len() {
        return Err("mixes durations and numbers; give one kind".into());
    }
    if values.iter().any(|v| matches!(v, SweepValue::Float(_))) {
        return Ok(values
            .into_iter()
            .map(|v| SweepValue::Float(v.si()))
            .collect());
    }
    Ok(values)
}

/// A range as written, or what is wrong with it, where.
fn range(t: &Table) -> Result<Written, Vec<(Part, String)>> {
    let mut wrong = Vec::new();
    for k in t.keys() {
        if !RANGE_KEYS.contains(&k.as_str()) {
            wrong.push((
                Part::Key(k.clone()),
                format!("unknown range key `{k}`; a range has from, to, steps and scale"),
            ));
        }
    }
    let mut end = |k: &str| match t.get(k) {
        None => {
            wrong.push((Part::Whole, format!("the range needs `{k}`")));
            None
        }
        Some(v) => scalar(v)
            .map_err(|m| wrong.push((Part::Key(k.into()), m)))
            .ok(),
    };
    let (from, to) = (end("from"), end("to"));
    let steps = match t.get("steps") {
        None => {
            wrong.push((Part::Whole, "the range needs `steps`".into()));
            None
        }
        Some(Value::Integer(n)) if (1..=MAX_POINTS as i64).contains(n) => Some(*n as u32),
        Some(other) => {
            let m = format!(
                "steps must be a whole number from 1 to {MAX_POINTS}, not {}",
                value_text(other)
            );
            wrong.push((Part::Key("steps".into()), m));
            None
        }
    };
    let log = match t.get("scale") {
        None => Some(false),
        Some(Value::String(s)) if s == "linear" => Some(false),
        Some(Value::String(s)) if s == "log" => Some(true),
        Some(other) => {
            let m = format!(
                "scale must be \"linear\" or \"log\", not {}",
                value_text(other)
            );
            wrong.push((Part::Key("scale".into()), m));
            None
        }
    };
    let (Some(from), Some(to), Some(steps), Some(log), true) =
        (from, to, steps, log, wrong.is_empty())
    else {
        return Err(wrong);
    };
    if steps == 1 && repeats(&[from, to]).is_empty() {
        let m = "one step needs from = to; use steps >= 2 for a range";
        return Err(vec![(Part::Key("steps".into()), m.into())]);
    }
    if log {
        for (k, v) in [("from", from), ("to", to)] {
            if v.si() <= 0.0 {
                let m = format!("a log range needs from and to above zero, not {}", v.text());
                wrong.push((Part::Key(k.into()), m));
            }
        }
    }
    if wrong.is_empty() {
        Ok(Written::Range {
            from,
            to,
            steps,
            log,
        })
    } else {
        Err(wrong)
    }
}

/// The `steps` values of a range from `from` to `to`, in sweep order.
fn range_values(
    from: SweepValue,
    to: SweepValue,
    steps: u32,
    log: bool,
) -> Result<(Vec<SweepValue>, ValuesSpec), String> {
    let ends = unify(vec![from, to])?;
    let (from, to) = (ends[0], ends[1]);
    let (a, b) = (from.si(), to.si());
    let mut out = Vec::with_capacity(steps as usize);
    for i in 0..steps {
        let f = if steps == 1 {
            0.0
        } else {
            f64::from(i) / f64::from(steps - 1)
        };
        let x = if i == 0 {
            a
        } else if i == steps - 1 {
            b
        } else if log {
            a * (b / a).powf(f)
        } else {
            a + (b - a) * f
        };
        out.push(match from {
            SweepValue::Int(_) => SweepValue::Int(x.round() as i64),
            // Within the ends, which are durations a scenario may give:
            // rounding in seconds must not carry a value past them.
            SweepValue::Duration(f) => {
                let t = match to {
                    SweepValue::Duration(t) => t,
                    _ => f,
                };
                SweepValue::Duration(crate::time::nanos_from_secs_f64(x).clamp(f.min(t), f.max(t)))
            }
            SweepValue::Float(_) => SweepValue::Float(significant(x, 12)),
        });
    }
    if let Some(&(_, i)) = repeats(&out).first() {
        return Err(format!(
            "{steps} steps from {} to {} repeat the {} {} once rounded; use fewer steps",
            from.text(),
            to.text(),
            from.kind(),
            out[i].text()
        ));
    }
    Ok((
        out,
        ValuesSpec::Range {
            from,
            to,
            steps,
            log,
        },
    ))
}

/// Each value that repeats one listed before it: (the index of its first
/// occurrence, its own index), in list order. Numbers compare as
/// [`unify`] makes them: as floats when any is one.
fn repeats(values: &[SweepValue]) -> Vec<(usize, usize)> {
    #[derive(PartialEq, PartialOrd)]
    enum Same {
        Int(i64),
        Float(f64),
        Duration(u64),
    }
    let floats = values.iter().any(|v| matches!(v, SweepValue::Float(_)));
    let same = |v: SweepValue| match v {
        SweepValue::Duration(ns) => Same::Duration(ns),
        SweepValue::Int(i) if !floats => Same::Int(i),
        v => Same::Float(v.si()),
    };
    let mut order: Vec<usize> = (0..values.len()).collect();
    // Values are finite, so the order is total.
    order.sort_by(|&a, &b| {
        same(values[a])
            .partial_cmp(&same(values[b]))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(&b))
    });
    let mut found = Vec::new();
    let mut first = order.first().copied().unwrap_or(0);
    for pair in order.windows(2) {
        if same(values[pair[0]]) == same(values[pair[1]]) {
            found.push((first, pair[1]));
        } else {
            first = pair[1];
        }
    }
    found.sort_by_key(|&(_, i)| i);
    found
}

/// The values of a range table `{ from, to, steps, scale }` in order, as
/// `[sweep]` expands it, or what is wrong with it (`[tune.space]` takes
/// the same ranges).
pub(crate) fn range_of(t: &Table) -> Result<Vec<SweepValue>, String> {
    let w = range(t).map_err(|wrong| {
        let all: Vec<String> = wrong.into_iter().map(|(_, m)| m).collect();
        all.join("; ")
    })?;
    w.expand().map(|(values, _)| values)
}

/// `x` rounded to `digits` significant digits.
fn significant(x: f64, digits: usize) -> f64 {
    format!("{x:.*e}", digits - 1).parse().unwrap_or(x)
}

/// Fails unless `scenario` (read from `file`) has a `[sweep]`.
pub fn require(scenario: &Scenario, file: &str) -> Result<(), crate::Error> {
    if scenario.sweep.is_some() {
        Ok(())
    } else {
        Err(crate::Error::Input(format!(
            "{file}: there is no [sweep] table to run; add one (for example `[sweep]` then `workload.clients = [10, 100, 1000]`) or use `backsim run`"
        )))
    }
}

/// The per-axis indices of grid point `point` (last axis fastest).
pub fn grid_indices(lens: &[usize], mut point: usize) -> Vec<usize> {
    let mut idx = vec![0; lens.len()];
    for (slot, &len) in idx.iter_mut().zip(lens).rev() {
        *slot = point % len.max(1);
        point /= len.max(1);
    }
    idx
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::NANOS_PER_SEC;

    const BASE: &str = "[workload]\nclients = 10\n[server]\nconcurrency = 10\n\
        [[strategy]]\nname = \"linear\"\nbackoff = { kind = \"linear\", base = \"1s\" }\n\
        [[strategy]]\nname = \"jitter\"\nbackoff = { kind = \"full_jitter\", base = \"1s\", cap = \"1m\" }\n";

    fn sweep_of(extra: &str) -> Result<Scenario, String> {
        crate::scenario::parse(&format!("{BASE}[sweep]\n{extra}"), "s.toml", "s")
            .map_err(|e| e.to_string())
    }

    fn point(s: &Scenario, i: usize) -> Result<Scenario, crate::Error> {
        let none = |name: &str| Err(format!("no file {name}"));
        point_scenario(s, i, "s.toml", &none, &TraceCache::default())
    }

    fn values(extra: &str) -> Vec<Vec<SweepValue>> {
        let s = sweep_of(extra).unwrap_or_else(|e| panic!("{e}"));
        s.sweep
            .unwrap()
            .keys
            .into_iter()
            .map(|k| k.values)
            .collect()
    }

    use SweepValue::{Duration as D, Float as F, Int as I};

    #[test]
    fn lists_and_ranges_expand_as_written() {
        assert_eq!(
            values("workload.clients = [3, 1, 2]"),
            [vec![I(3), I(1), I(2)]]
        );
        // Whole numbers mixed with fractions are numbers.
        assert_eq!(values("server.slowdown = [0, 0.5]"), [vec![F(0.0), F(0.5)]]);
        assert_eq!(
            values("workload.clients = { from = 10, to = 100000, steps = 5, scale = \"log\" }"),
            [vec![I(10), I(100), I(1000), I(10000), I(100000)]]
        );
        // 10^(1 + k/2), rounded to whole numbers.
        assert_eq!(
            values("workload.clients = { from = 10, to = 100000, steps = 9, scale = \"log\" }"),
            [vec![
                I(10),
                I(32),
                I(100),
                I(316),
                I(1000),
                I(3162),
                I(10000),
                I(31623),
                I(100000)
            ]]
        );
        assert_eq!(
            values("strategy.linear.max_attempts = { from = 1, to = 9, steps = 5 }"),
            [vec![I(1), I(3), I(5), I(7), I(9)]]
        );
        let ms = |x: u64| D(x * NANOS_PER_SEC / 1000);
        assert_eq!(
            values("strategy.linear.backoff.base = { from = \"100ms\", to = \"1s\", steps = 4 }"),
            [vec![ms(100), ms(400), ms(700), ms(1000)]]
        );
        // Floats keep 12 significant digits: the decades come out exact.
        assert_eq!(
            values("server.slowdown = { from = 0.001, to = 1.0, steps = 4, scale = \"log\" }"),
            [vec![F(0.001), F(0.01), F(0.1), F(1.0)]]
        );
    }

    #[test]
    fn keys_form_a_grid_with_the_last_key_fastest() {
        let s =
            sweep_of("workload.clients = [1, 2]\nstrategy.\"*\".max_attempts = [3, 4, 5]").unwrap();
        let sw = s.sweep.as_ref().unwrap();
        assert_eq!(sw.points(), 6);
        let grid: Vec<Vec<SweepValue>> = (0..6).map(|p| sw.point_values(p)).collect();
        assert_eq!(
            grid,
            [
                [I(1), I(3)],
                [I(1), I(4)],
                [I(1), I(5)],
                [I(2), I(3)],
                [I(2), I(4)],
                [I(2), I(5)]
            ]
        );
        // Point 4: 2 clients, and both strategies (the wildcard) 4 attempts.
        let p = point(&s, 4).unwrap();
        assert_eq!(p.workload.clients, 2);
        assert!(p.strategies.iter().all(|st| st.max_attempts == 4));
        assert_eq!(p.sweep, None);
        // Everything else is the base scenario.
        let mut b = s.clone();
        b.sweep = None;
        b.workload.clients = 2;
        for st in &mut b.strategies {
            st.max_attempts = 4;
        }
        assert_eq!(p, b);
    }

    #[test]
    fn elements_are_picked_by_name_index_or_wildcard() {
        let s = sweep_of("strategy.jitter.max_attempts = [7]").unwrap();
        let p = point(&s, 0).unwrap();
        assert_eq!(
            p.strategies
                .iter()
                .map(|s| s.max_attempts)
                .collect::<Vec<_>>(),
            [5, 7]
        );
        let s = sweep_of("strategy.0.max_attempts = [7]").unwrap();
        let p = point(&s, 0).unwrap();
        assert_eq!(
            p.strategies
                .iter()
                .map(|s| s.max_attempts)
                .collect::<Vec<_>>(),
            [7, 5]
        );
        // The whole path as one quoted key.
        let s = sweep_of("\"strategy.*.backoff.base\" = [\"2s\"]").unwrap();
        assert_eq!(
            s.sweep.as_ref().unwrap().keys[0].name(),
            "strategy.*.backoff.base"
        );
        assert!(point(&s, 0).is_ok());
    }

    #[test]
    fn bad_keys_and_values_are_named() {
        let err = |extra: &str| sweep_of(extra).unwrap_err();
        let e = err("workload.clientz = [1, 2]");
        assert!(
            e.contains("s.toml:12:20:")
                && e.contains("sweep.workload.clientz")
                && e.contains("unknown key"),
            "{e}"
        );
        let e = err("strategy.\"*\".backoff.kind = [1]");
        assert!(e.contains("only numbers and durations can be swept"), "{e}");
        let e = err("strategy.nope.max_attempts = [1]");
        assert!(
            e.contains("no element named \"nope\"") && e.contains("linear, jitter"),
            "{e}"
        );
        let e = err("workload.clients = [0, 5]");
        assert!(
            e.contains("the value 0 does not fit") && e.contains("workload.clients"),
            "{e}"
        );
        let e = err("workload.spread = [1]");
        assert!(e.contains("does not take a number"), "{e}");
        let e = err("workload.clients = []");
        assert!(e.contains("empty"), "{e}");
        let e = err("workload.clients = [1, 1]");
        assert!(
            e.contains(
                "s.toml:12:24: sweep.workload.clients[1]: 1 repeats element 0; list each value once"
            ),
            "{e}"
        );
        let e = err("workload.clients = [1, \"1s\"]");
        assert!(
            e.contains("s.toml:12:24: sweep.workload.clients[1]: \"1s\" is a duration, but workload.clients takes a whole number"),
            "{e}"
        );
        let e = err("workload.clients = { from = 1, to = 3, steps = 5 }");
        assert!(e.contains("repeat"), "{e}");
        let e = err("workload.clients = { from = 0, to = 3, steps = 2, scale = \"log\" }");
        assert!(e.contains("above zero"), "{e}");
        let e = err("workload.clients = { from = 1, to = 3, step = 2 }");
        assert!(e.contains("unknown range key `step`"), "{e}");
        let e = err("workload.clients = 5");
        assert!(e.contains("give a list of values"), "{e}");
        let e = err("strategy.\"*\".max_attempts = [2]\nstrategy.linear.max_attempts = [3]");
        assert!(e.contains("sets the same key"), "{e}");
        // A value that is only wrong with another key's value.
        let e = err(
            "strategy.jitter.backoff.base = [\"1s\", \"50s\"]\nstrategy.jitter.backoff.cap = [\"30s\", \"1h\"]",
        );
        assert!(
            e.contains("at the point strategy.jitter.backoff.base = \"50s\", strategy.jitter.backoff.cap = \"30s\""),
            "{e}"
        );
    }

    /// A wrong element of a list, or end of a range, is named by its
    /// index or key, at its own position, with what the key takes.
    #[test]
    fn wrong_elements_are_named_where_they_are() {
        let problems = |extra: &str| -> Vec<(usize, String, String)> {
            let src = format!("{BASE}[sweep]\n{extra}");
            let e = crate::scenario::parse(&src, "s.toml", "s").unwrap_err();
            e.problems
                .into_iter()
                .map(|p| (p.column, p.key, p.message))
                .collect()
        };
        let clients = "workload.clients: must be a whole number from 1 to 100000000";
        assert_eq!(
            problems("\"workload.clients\" = [0, -1, 1e300]"),
            [
                (
                    23,
                    "sweep.workload.clients[0]".into(),
                    format!("the value 0 does not fit: {clients}, not 0")
                ),
                (
                    26,
                    "sweep.workload.clients[1]".into(),
                    format!("the value -1 does not fit: {clients}, not -1")
                ),
                (
                    30,
                    "sweep.workload.clients[2]".into(),
                    "1e300 is a floating-point number, but workload.clients takes a whole number"
                        .into()
                ),
            ]
        );
        // A duration among numbers, at its position in a range.
        assert_eq!(
            problems("workload.clients = { from = \"1s\", to = 10, steps = 3 }"),
            [(
                29,
                "sweep.workload.clients.from".into(),
                "\"1s\" is a duration, but workload.clients takes a whole number".into()
            )]
        );
        // Values that are not numbers or durations, and a range's keys.
        let found = problems(
            "workload.clients = [1, 1979-05-27, 2]\n\
             server.slowdown = { from = 1, to = 3, steps = 2.5, scale = \"lin\" }",
        );
        let found: Vec<(&str, &str)> = found
            .iter()
            .map(|(_, k, m)| (k.as_str(), m.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "sweep.workload.clients[1]",
                    "a TOML date `1979-05-27` cannot be swept; values are numbers or durations such as \"250ms\""
                ),
                (
                    "sweep.server.slowdown.steps",
                    "steps must be a whole number from 1 to 20000, not 2.5"
                ),
                (
                    "sweep.server.slowdown.scale",
                    "scale must be \"linear\" or \"log\", not \"lin\""
                ),
            ]
        );
        // No value of the kind the key takes: the key is the mistake, said
        // once.
        assert_eq!(
            problems("workload.clients = [1.5, 2.5]"),
            [(
                20,
                "sweep.workload.clients".into(),
                "workload.clients: invalid type: floating point `1.5`, expected a whole number"
                    .into()
            )]
        );
    }

    #[test]
    fn the_resolved_sweep_parses_back_to_itself() {
        let s = sweep_of(
            "workload.clients = { from = 10, to = 1000, steps = 3, scale = \"log\" }\n\
             strategy.\"*\".backoff.base = [\"250ms\", \"1s\"]\nserver.slowdown = [0, 0.5]",
        )
        .unwrap();
        let sweep = s.sweep.as_ref().unwrap();
        let text = sweep.scenario_toml(&s);
        let again = crate::scenario::parse(&text, "r.toml", "r").unwrap();
        assert_eq!(s, again);
        assert_eq!(text, again.sweep.as_ref().unwrap().scenario_toml(&again));
        assert!(text.contains("strategy.\"*\".backoff.base = [\"250ms\", \"1s\"]"));
        // The resolved scenario of a run leaves the sweep out.
        assert!(!s.to_toml().contains("[sweep]"));
    }

    /// A point is the file with the value written in: defaults derived from
    /// a swept key follow it, and alternatives such as `error_rate` (which
    /// the resolved form writes as `errors`) can be swept.
    #[test]
    fn points_resolve_like_files_with_the_value_written_in() {
        let s =
            sweep_of("limiter.requests_per_minute = [60, 6000]\nserver.error_rate = [0.1, 0.2]")
                .unwrap();
        let p = point(&s, 2).unwrap();
        // The burst defaults to one minute's worth of the swept rate.
        assert_eq!(p.limiter.requests, Some((6000.0, 6000)));
        assert_eq!(p.server.errors.http_500, 0.1);
        let file = BASE.replace(
            "[server]\n",
            "[limiter]\nrequests_per_minute = 6000\n[server]\nerror_rate = 0.1\n",
        );
        assert_eq!(p, crate::scenario::parse(&file, "s.toml", "s").unwrap());
    }

    #[test]
    fn the_same_element_by_name_and_by_index_is_refused() {
        let e = sweep_of("strategy.linear.max_attempts = [1, 2]\nstrategy.0.max_attempts = [7, 8]")
            .unwrap_err();
        assert!(
            e.contains("sets the same key as sweep.strategy.linear.max_attempts (line 12)"),
            "{e}"
        );
        // Different elements are fine.
        assert!(
            sweep_of("strategy.linear.max_attempts = [1, 2]\nstrategy.1.max_attempts = [7, 8]")
                .is_ok()
        );
    }

    #[test]
    fn a_key_set_by_several_earlier_keys_names_each() {
        // `*` overlaps both keys before it, one problem for each.
        let e = sweep_of(
            "strategy.linear.max_attempts = [1, 2]\nstrategy.jitter.max_attempts = [3, 4]\n\
             \"strategy.*.max_attempts\" = [5, 6]",
        )
        .unwrap_err();
        assert!(
            e.contains("sets the same key as sweep.strategy.linear.max_attempts (line 12)")
                && e.contains("sets the same key as sweep.strategy.jitter.max_attempts (line 13)"),
            "{e}"
        );
        assert_eq!(e.matches("sets the same key").count(), 2, "{e}");
    }

    #[test]
    fn at_most_64_keys_are_swept() {
        let keys = |n: usize| -> String {
            (0..n)
                .map(|i| format!("\"strategy.linear.backoff.x{i}\" = [1]\n"))
                .collect()
        };
        let e = sweep_of(&keys(65)).unwrap_err();
        assert!(
            e.contains("sweep: has 65 keys; at most 64 are supported (a grid of at most 20000 points varies at most 14 keys): sweep fewer keys"),
            "{e}"
        );
        // 64 keys are read (and these, naming no key, refused each).
        let e = sweep_of(&keys(64)).unwrap_err();
        assert!(!e.contains("at most 64"), "{e}");
        assert_eq!(e.matches("unknown key").count(), 64, "{e}");
    }

    #[test]
    fn validation_rereads_at_most_its_budget_of_scenario_text() {
        // A scenario of 1 MiB (a long description) with 40 values: 32
        // checks fit in the 32 MiB budget, the key's first value and the
        // next 31. A value wrong on its own past those, the 36th, is
        // found when its point is built.
        let description = "x".repeat(1 << 20);
        let values: Vec<String> = (1..=40)
            .map(|i| {
                if i == 36 {
                    "0".to_string()
                } else {
                    i.to_string()
                }
            })
            .collect();
        let src = format!(
            "description = \"{description}\"\n{BASE}[sweep]\nstrategy.linear.max_attempts = [{}]\n",
            values.join(", ")
        );
        let s = crate::scenario::parse(&src, "s.toml", "s").unwrap_or_else(|e| panic!("{e}"));
        assert!(point(&s, 34).is_ok());
        let e = point(&s, 35).unwrap_err().to_string();
        assert!(
            e.contains("sweep.strategy.linear.max_attempts: at the point strategy.linear.max_attempts = 0: strategy[0].max_attempts: must be a whole number from 1"),
            "{e}"
        );
        // Within the budget it is refused before anything runs.
        let early = values[..30].join(", ").replace("30", "0");
        let src = format!(
            "description = \"{description}\"\n{BASE}[sweep]\nstrategy.linear.max_attempts = [{early}]\n"
        );
        let e = crate::scenario::parse(&src, "s.toml", "s")
            .unwrap_err()
            .to_string();
        assert!(e.contains("the value 0 does not fit"), "{e}");
    }

    #[test]
    fn run_settings_are_not_swept() {
        for key in ["seed", "replications", "name"] {
            let e = sweep_of(&format!("{key} = [1, 2]")).unwrap_err();
            assert!(e.contains(&format!("sweep.{key}: cannot be swept")), "{e}");
        }
    }

    /// Grids too large to check every point report a bad combination when
    /// the point is reached, with the line of the key and the whole point.
    #[test]
    fn a_bad_combination_in_a_large_grid_is_reported_with_line_and_point() {
        let s = sweep_of(
            "strategy.jitter.backoff.base = [\"1s\", \"50s\"]\n\
             strategy.jitter.backoff.cap = [\"30s\", \"1h\"]\n\
             workload.clients = { from = 1, to = 2000, steps = 2000 }",
        )
        .unwrap();
        assert!(s.sweep.as_ref().unwrap().points() > VALIDATE_ALL_UP_TO);
        // base 50s, cap 30s, 1 client: point (1 * 2 + 0) * 2000.
        let e = point(&s, 4000).unwrap_err().to_string();
        assert!(
            e.contains("s.toml:13: sweep.strategy.jitter.backoff.cap: at the point strategy.jitter.backoff.base = \"50s\", strategy.jitter.backoff.cap = \"30s\", workload.clients = 1:"),
            "{e}"
        );
        assert!(point(&s, 3999).is_ok());
    }

    #[test]
    fn values_are_written_in_si_units() {
        assert_eq!(D(250_000_000).cell(), "0.25");
        assert_eq!(I(31623).cell(), "31623");
        assert_eq!(F(0.1).cell(), "0.1");
    }

    #[test]
    fn messages_show_values_as_the_file_writes_them() {
        assert_eq!(F(1e300).text(), "1e300");
        assert_eq!(F(1.0).text(), "1.0");
        assert_eq!(F(-0.5).text(), "-0.5");
        assert_eq!(I(31623).text(), "31623");
        assert_eq!(D(1_500_000_000).text(), "\"1500ms\"");
        let s = sweep_of("server.slowdown = [0.5, 1e300]").unwrap();
        let sweep = s.sweep.as_ref().unwrap();
        assert_eq!(sweep.point_label(1), "server.slowdown = 1e300");
    }
}
