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

mod apply;
mod check;
mod values;

pub(super) use check::parse;
pub(crate) use values::range_of;

use apply::resolve_with;

use super::{Scenario, TRACE_COPY, TraceCache, WorkloadKind, trace};
use crate::diagnostic::show_number;
use crate::time::{as_secs_f64, format_duration};
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
