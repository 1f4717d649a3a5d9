//! `[tune]`: the goals and the search space of `backsim tune`.
//!
//! ```toml
//! [tune]
//! objective = { maximize = "success_rate" }
//! goals = { success_rate = ">= 0.99", tts_p99 = "<= 10m" }
//! precision = 0.005
//! [tune.space]
//! start = ["openai-python"]
//! backoff.kind = ["exponential", "full_jitter"]
//! backoff.base = { from = "250ms", to = "8s", steps = 6, scale = "log" }
//! max_attempts = { from = 3, to = 15, steps = 5 }
//! honor_retry_after = [true, false]
//! budget = ["none", "aws_quota"]
//! ```
//!
//! Each `[tune.space]` entry names a key of a `[[strategy]]` table by its
//! dotted path and gives its values: a list of any values the key takes,
//! or a range in the syntax of `[sweep]` (numbers and durations). A guard
//! (`budget`, `breaker`, `throttle`) may be given by its kind alone
//! (`"none"` drops it). `start` lists where each candidate starts from:
//! a client-library preset or the name of one of the scenario's own
//! strategies (absent: an empty strategy, so the space must give
//! `backoff.kind`). The candidates are the Cartesian grid of the starts
//! and the values, the last key varying fastest, as in `[sweep]`.
//!
//! Each value is checked when the scenario is read, with every other key
//! at its first value, and else with one other key at any of its values:
//! a value that fits no such candidate is reported at the value.
//! Combinations that are invalid only together (a `cap` below a `base`)
//! are skipped when the candidates are built.

use super::resolve::TraceCache;
use super::{Problem, Scenario, trace};
use crate::diagnostic::{did_you_mean, show_number, toml_type, unknown_name};
use crate::policy::Strategy;
use crate::time::{as_secs_f64, parse_duration};
use std::ops::Range;
use toml::{Table, Value};

/// Most candidates a search space may have: every one becomes a
/// strategy of the scenario, which has at most this many.
pub const MAX_CANDIDATES: usize = super::MAX_STRATEGIES;

/// Default CI half-width of the final confirmation's success rate.
pub const DEFAULT_PRECISION: f64 = 0.005;
/// Default most replications of the final confirmation.
pub const DEFAULT_MAX_REPLICATIONS: u32 = 400;
/// Default replications of the screening round.
pub const DEFAULT_SCREEN: u32 = 3;

/// A quantity a goal or the objective is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    SuccessRate,
    Goodput,
    TtsP50,
    TtsP90,
    TtsP99,
    AttemptsPerRequest,
    PeakLoad,
    WastedUsd,
    WastedUsdPerRequest,
}

impl Metric {
    /// Every metric, in the order reports list them.
    pub const ALL: [Metric; 9] = [
        Metric::SuccessRate,
        Metric::Goodput,
        Metric::TtsP50,
        Metric::TtsP90,
        Metric::TtsP99,
        Metric::AttemptsPerRequest,
        Metric::PeakLoad,
        Metric::WastedUsd,
        Metric::WastedUsdPerRequest,
    ];

    /// The name in `[tune]` and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Metric::SuccessRate => "success_rate",
            Metric::Goodput => "goodput",
            Metric::TtsP50 => "tts_p50",
            Metric::TtsP90 => "tts_p90",
            Metric::TtsP99 => "tts_p99",
            Metric::AttemptsPerRequest => "attempts_per_request",
            Metric::PeakLoad => "peak_load",
            Metric::WastedUsd => "wasted_usd",
            Metric::WastedUsdPerRequest => "wasted_usd_per_request",
        }
    }

    /// The column name in reports: the name with its unit.
    pub fn column(self) -> String {
        if self == Metric::Goodput {
            "goodput_per_s".into()
        } else if self.is_duration() {
            format!("{}_s", self.name())
        } else {
            self.name().to_string()
        }
    }

    /// Whether bounds are durations (written `"10m"`, reported in seconds).
    pub fn is_duration(self) -> bool {
        matches!(self, Metric::TtsP50 | Metric::TtsP90 | Metric::TtsP99)
    }

    /// Whether more is better (for ties and the Pareto front).
    pub fn higher_is_better(self) -> bool {
        matches!(self, Metric::SuccessRate | Metric::Goodput)
    }

    fn names() -> Vec<&'static str> {
        Metric::ALL.iter().map(|m| m.name()).collect()
    }

    fn parse(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    /// A value of the metric as a person reads it: four significant
    /// digits, durations in seconds (`446.9s`).
    pub fn show(self, x: f64) -> String {
        if !x.is_finite() {
            return "n/a".into();
        }
        let digits = if x == 0.0 {
            0
        } else {
            (3 - x.abs().log10().floor() as i32).clamp(0, 12) as usize
        };
        let s = crate::format::fmt_num(x, digits);
        if self.is_duration() {
            format!("{s}s")
        } else {
            s
        }
    }
}

/// Which side of its bound a goal wants a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    AtLeast,
    AtMost,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::AtLeast => ">=",
            Op::AtMost => "<=",
        }
    }
}

/// One goal: `metric op bound`.
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    pub metric: Metric,
    pub op: Op,
    /// In SI units (seconds for durations).
    pub bound: f64,
    /// The bound as written (`10m`, `0.99`).
    pub written: String,
}

impl Goal {
    /// `success_rate >= 0.99`.
    pub fn text(&self) -> String {
        format!(
            "{} {} {}",
            self.metric.name(),
            self.op.symbol(),
            self.written
        )
    }
}

/// What the search optimises among candidates that meet the goals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Objective {
    pub metric: Metric,
    pub maximize: bool,
}

impl Objective {
    /// `maximize success_rate`.
    pub fn text(&self) -> String {
        let verb = if self.maximize {
            "maximize"
        } else {
            "minimize"
        };
        format!("{verb} {}", self.metric.name())
    }
}

/// Where candidates start from.
#[derive(Debug, Clone, PartialEq)]
pub enum Start {
    /// An empty `[[strategy]]` table.
    Scratch,
    /// A client-library preset.
    Preset(String),
    /// One of the scenario's own strategies, by name.
    Strategy(String),
}

impl Start {
    /// The start as reports name it (`-` for none).
    pub fn label(&self) -> &str {
        match self {
            Start::Scratch => "-",
            Start::Preset(n) | Start::Strategy(n) => n,
        }
    }
}

/// One `[tune.space]` key and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct SpaceKey {
    /// Path in a `[[strategy]]` table, e.g. `["backoff", "base"]`.
    pub path: Vec<String>,
    /// The values, in order, as a strategy table would hold them.
    pub values: Vec<Value>,
    /// Line of the entry, for messages.
    pub line: usize,
}

impl SpaceKey {
    /// `backoff.base`.
    pub fn name(&self) -> String {
        self.path.join(".")
    }
}

/// A scenario's `[tune]`.
#[derive(Debug, Clone)]
pub struct Tune {
    pub objective: Objective,
    /// In file order.
    pub goals: Vec<Goal>,
    /// CI half-width target of the winner's success rate.
    pub precision: f64,
    /// Most replications of the winner's confirmation.
    pub max_replications: u32,
    /// Replications of the screening round.
    pub screen: u32,
    /// Most runs the search may spend (None: no cap).
    pub budget: Option<u64>,
    pub starts: Vec<Start>,
    pub space: Vec<SpaceKey>,
    /// Each start's `[[strategy]]` table, in `starts` order.
    start_tables: Vec<Table>,
    /// The scenario file as written, without `[sweep]` and `[tune]`.
    document: Table,
}

impl PartialEq for Tune {
    fn eq(&self, o: &Self) -> bool {
        (
            &self.objective,
            &self.goals,
            self.precision,
            self.max_replications,
            self.screen,
            self.budget,
            &self.starts,
            &self.space,
        ) == (
            &o.objective,
            &o.goals,
            o.precision,
            o.max_replications,
            o.screen,
            o.budget,
            &o.starts,
            &o.space,
        )
    }
}

impl Tune {
    /// Candidates in the grid: starts × the values of every key.
    pub fn grid_size(&self) -> usize {
        self.space.iter().map(|k| k.values.len()).product::<usize>() * self.starts.len()
    }

    /// The start and value index of each key of candidate `i` (last key
    /// fastest).
    fn indices(&self, mut i: usize) -> (usize, Vec<usize>) {
        let mut idx = vec![0; self.space.len()];
        for (k, key) in self.space.iter().enumerate().rev() {
            idx[k] = i % key.values.len();
            i /= key.values.len();
        }
        (i % self.starts.len().max(1), idx)
    }

    /// Candidate `i`'s start and each key's value.
    pub fn candidate_values(&self, i: usize) -> (&Start, Vec<&Value>) {
        let (s, idx) = self.indices(i);
        (
            &self.starts[s],
            self.space
                .iter()
                .zip(idx)
                .map(|(k, j)| &k.values[j])
                .collect(),
        )
    }

    /// Candidate `i` as a `[[strategy]]` table named `name`.
    pub fn candidate_table(&self, i: usize, name: &str) -> Table {
        let (s, idx) = self.indices(i);
        let mut t = self.start_tables[s].clone();
        for (k, j) in self.space.iter().zip(idx) {
            set(&mut t, &k.path, k.values[j].clone());
        }
        without_idle_keys(&mut t);
        t.insert("name".into(), Value::String(name.into()));
        t
    }

    /// Candidate `i` named `name`, resolved in the scenario `base`
    /// (whose traces come through `files` and `cache`), or why it is not
    /// a valid strategy.
    pub fn candidate(
        &self,
        base: &Scenario,
        i: usize,
        name: &str,
        files: trace::FileSource,
        cache: &TraceCache,
    ) -> Result<Strategy, String> {
        resolve_strategy(
            &self.document,
            base,
            self.candidate_table(i, name),
            files,
            cache,
        )
    }

    /// The `[tune]` table as a comment-free text, for reports.
    pub fn summary(&self) -> String {
        let goals: Vec<String> = self.goals.iter().map(Goal::text).collect();
        format!(
            "{}; goals: {}",
            self.objective.text(),
            if goals.is_empty() {
                "none".to_string()
            } else {
                goals.join(", ")
            }
        )
    }
}

/// Drops the Retry-After settings a start brought from a table that
/// does not honour Retry-After (they would have no effect, which a
/// scenario file may not say).
fn without_idle_keys(t: &mut Table) {
    if t.get("honor_retry_after") == Some(&Value::Boolean(false)) {
        t.remove("max_retry_after");
        t.remove("above_max_retry_after");
    }
}

/// Resolves the strategy table `st` in `document` (with `base`'s name,
/// seed and replications), as the only strategy.
fn resolve_strategy(
    document: &Table,
    base: &Scenario,
    st: Table,
    files: trace::FileSource,
    cache: &TraceCache,
) -> Result<Strategy, String> {
    let mut doc = document.clone();
    doc.insert("name".into(), Value::String(base.name.clone()));
    doc.insert("seed".into(), Value::Integer(base.seed as i64));
    doc.insert(
        "replications".into(),
        Value::Integer(i64::from(base.replications)),
    );
    doc.insert("strategy".into(), Value::Array(vec![Value::Table(st)]));
    let text = toml::to_string(&doc).map_err(|e| e.to_string())?;
    super::resolve::parse_cached(&text, &base.name, files, Some(cache))
        .map(|mut s| s.strategies.remove(0))
        .map_err(|problems| {
            let p = &problems[0];
            let key = p.key.strip_prefix("strategy[0].").unwrap_or(&p.key);
            format!("{key}: {}", p.message)
        })
}

/// Sets `value` at `path` in `t`, creating tables on the way (a value
/// that is not a table on the way is replaced).
fn set(t: &mut Table, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut at = t;
    for p in parents {
        let entry = at
            .entry(p.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        if !entry.is_table() {
            *entry = Value::Table(Table::new());
        }
        at = entry.as_table_mut().expect("just made a table");
    }
    at.insert(last.clone(), value);
}

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

/// A value under `[tune]`: its dotted path, its span and, for a list,
/// its elements' spans.
type SpanEntry = (String, Range<usize>, Vec<Range<usize>>);

/// Byte spans of the values under `[tune]`, by dotted path.
struct Spans(Vec<SpanEntry>);

impl Spans {
    fn of(src: &str) -> Spans {
        let mut out = Vec::new();
        if let Ok(doc) = toml::de::DeTable::parse(src) {
            for (k, v) in doc.get_ref().iter() {
                if k.get_ref() == "tune" {
                    walk(v, "tune".into(), &mut out);
                }
            }
        }
        Spans(out)
    }

    /// The span of `path` (`tune.goals.success_rate`), or of the nearest
    /// table above it.
    fn at(&self, path: &str) -> Option<Range<usize>> {
        let mut p = path;
        loop {
            if let Some((_, span, _)) = self.0.iter().find(|(k, _, _)| k == p) {
                return Some(span.clone());
            }
            p = &p[..p.rfind('.')?];
        }
    }

    /// The span of element `i` of the list at `path`.
    fn element(&self, path: &str, i: usize) -> Option<Range<usize>> {
        self.0
            .iter()
            .find(|(k, _, _)| k == path)
            .and_then(|(_, _, items)| items.get(i).cloned())
            .or_else(|| self.at(path))
    }
}

fn walk(v: &toml::Spanned<toml::de::DeValue<'_>>, path: String, out: &mut Vec<SpanEntry>) {
    match v.get_ref() {
        toml::de::DeValue::Table(t) => {
            out.push((path.clone(), v.span(), Vec::new()));
            for (k, item) in t.iter() {
                walk(item, format!("{path}.{}", k.get_ref()), out);
            }
        }
        toml::de::DeValue::Array(items) => {
            out.push((path, v.span(), items.iter().map(|i| i.span()).collect()));
        }
        _ => out.push((path, v.span(), Vec::new())),
    }
}

/// Parses and validates the `[tune]` table of `src`, whose scenario
/// resolved to `base`; traces are read through `files`. Problems are
/// appended to `problems`.
pub(super) fn parse(
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

/// A value in a message: numbers as the file writes them.
fn shown(v: &Value) -> String {
    match v {
        Value::Float(x) => show_number(*x),
        Value::String(s) => format!("\"{s}\""),
        v => v.to_string(),
    }
}

type Report<'a> = dyn FnMut(&str, Option<Range<usize>>, String) + 'a;

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

/// The starts, their tables and the keys of `[tune.space]`.
fn space(
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
        Value::Table(t) if !t.contains_key("kind") => super::sweep::range_of(t)
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
fn check_values(
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

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
        name = "t"
        horizon = "1m"
        [workload]
        kind = "burst"
        clients = 10
        [limiter]
        requests_per_minute = 60
        [[strategy]]
        name = "mine"
        backoff = { kind = "constant", base = "1s" }
    "#;

    fn parse_tune(extra: &str) -> Result<Tune, String> {
        let src = format!("{BASE}\n{extra}");
        crate::scenario::parse(&src, "t.toml", "t")
            .map(|s| *s.tune.expect("a [tune]"))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_space_is_a_grid_with_the_last_key_fastest() {
        let t = parse_tune(
            r#"
            [tune]
            goals = { success_rate = ">= 0.9", tts_p99 = "<= 30s" }
            [tune.space]
            start = ["mine", "openai-python"]
            max_attempts = { from = 2, to = 6, steps = 3 }
            honor_retry_after = [true, false]
            "#,
        )
        .unwrap();
        // 2 starts × 3 × 2.
        assert_eq!(t.grid_size(), 12);
        let (start, values) = t.candidate_values(7);
        // 7 = 1·6 + 0·2 + 1: the second start, 2 attempts, false.
        assert_eq!(start, &Start::Preset("openai-python".into()));
        assert_eq!(values, vec![&Value::Integer(2), &Value::Boolean(false)]);
        assert_eq!(t.goals[1].bound, 30.0);
        assert_eq!(t.goals[1].op, Op::AtMost);
        let table = t.candidate_table(7, "x");
        assert_eq!(table["preset"].as_str(), Some("openai-python"));
        assert_eq!(table["max_attempts"].as_integer(), Some(2));
    }

    /// A base above the first cap fits the second: 2 s with a 30 s cap is
    /// a valid candidate, so the space is accepted (the 2 s / 1 s
    /// combination is skipped when candidates are built). A value that no
    /// combination takes is still refused, at the value.
    #[test]
    fn values_that_fit_with_another_value_of_another_key_are_accepted() {
        let t = parse_tune(
            "[tune]\n[tune.space]\nstart = [\"mine\"]\nbackoff.kind = [\"exponential\"]\n\
             backoff.base = [\"250ms\", \"2s\"]\nbackoff.cap = [\"1s\", \"30s\"]\n",
        );
        assert!(t.is_ok(), "{:?}", t.err());
        let e = parse_tune(
            "[tune]\n[tune.space]\nstart = [\"mine\"]\nbackoff.kind = [\"exponential\"]\n\
             backoff.base = [\"250ms\", \"2s\"]\nmax_attempts = [3, 0]\n",
        )
        .unwrap_err();
        assert!(
            e.contains("tune.space.max_attempts: the value 0 does not fit"),
            "{e}"
        );
        assert!(!e.contains("tune.space.backoff.base"), "{e}");
    }

    #[test]
    fn bad_keys_and_values_are_named() {
        let e = parse_tune("[tune]\ngoal = {}\n[tune.space]\nmax_attempts = [3]\n").unwrap_err();
        assert!(
            e.contains("tune.goal: unknown key") && e.contains("did you mean \"goals\""),
            "{e}"
        );
        let e = parse_tune(
            "[tune]\ngoals = { success_rate = \"> 0.9\" }\n[tune.space]\nmax_attempts = [3]\n",
        )
        .unwrap_err();
        assert!(e.contains("has no >= or <="), "{e}");
        let e = parse_tune("[tune]\n[tune.space]\nmax_attempt = [3]\n").unwrap_err();
        assert!(e.contains("did you mean \"max_attempts\""), "{e}");
        let e = parse_tune("[tune]\n[tune.space]\nstart = [\"mine\"]\nmax_attempts = [3, 0]\n")
            .unwrap_err();
        assert!(e.contains("the value 0 does not fit"), "{e}");
        let e = parse_tune("[tune]\n[tune.space]\nmax_attempts = [3]\n").unwrap_err();
        assert!(e.contains("no backoff.kind"), "{e}");
    }
}
