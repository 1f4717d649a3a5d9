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

mod parse;
mod space;
mod spans;

pub(super) use parse::parse;

use super::{Scenario, TraceCache, trace};
use crate::policy::Strategy;
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
pub(super) fn without_idle_keys(t: &mut Table) {
    if t.get("honor_retry_after") == Some(&Value::Boolean(false)) {
        t.remove("max_retry_after");
        t.remove("above_max_retry_after");
        t.remove("retry_after_on");
        t.remove("zero_retry_after");
    }
}

/// Resolves the strategy table `st` in `document` (with `base`'s name,
/// seed and replications), as the only strategy.
pub(super) fn resolve_strategy(
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
    super::parse_cached(&text, &base.name, files, Some(cache))
        .map(|mut s| s.strategies.remove(0))
        .map_err(|problems| {
            let p = &problems[0];
            let key = p.key.strip_prefix("strategy[0].").unwrap_or(&p.key);
            format!("{key}: {}", p.message)
        })
}

/// Sets `value` at `path` in `t`, creating tables on the way (a value
/// that is not a table on the way is replaced).
pub(super) fn set(t: &mut Table, path: &[String], value: Value) {
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
