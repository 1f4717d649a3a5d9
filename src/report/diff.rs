//! `backsim diff A B`: what changed between two report folders, and
//! whether it matters.
//!
//! Both folders are read, never written: a run's report through
//! [`super::read`], a sweep's (or merge's) through [`super::sweep`], which
//! check that the files belong together; `report.toml` tells which kind a
//! folder holds. `summary.csv` is then read column by column by name, so
//! that a metric column added later is compared without code changes.
//!
//! - **Rows** match by strategy name (and, for sweeps, by the values of
//!   the swept keys). Strategies in one report only are listed as added
//!   or removed.
//! - **Confidence intervals.** A column `<stem>_ci95` is the 95%
//!   half-width of the metric `<stem>`, or, when there is no such column,
//!   of the one metric named `<stem>_<something>` (`goodput_ci95` for
//!   `goodput_per_s`); a `_ci95` column that pairs with no metric is
//!   ignored. The half-width of the change B − A is √(h_A² + h_B²)
//!   ([`change_half_width`]): the two reports' replications are
//!   independent samples, so the variances of their means add. Each
//!   h = t(0.975, n − 1) · s / √n, so with equal replication counts this is
//!   the Welch interval with n − 1 degrees of freedom instead of Welch's
//!   n − 1 to 2n − 2: a little wide, never narrow. When both reports used
//!   the same seed, replication i of each shares its random numbers
//!   (common random numbers): their results are positively correlated, the
//!   true variance of the change is smaller, and the interval is
//!   conservative. A change is significant when it lies outside its
//!   interval ([`significant`]). Metrics without a half-width in both
//!   reports are shown as not tested.
//! - **Scenario keys**: both `scenario.toml` files are flattened to dotted
//!   paths ([`flatten`]), arrays of tables by the elements' `name`
//!   (`strategy.linear.max_attempts`), and compared.
//! - **`--fail-if`** conditions ([`Condition`]) on the change of a metric:
//!   one holds for a (strategy, point) when the change (absolute, or
//!   relative with `%`) satisfies it *and* the change is significant; for
//!   a metric that is not tested, the change alone decides.

use super::folder::{self, Kind};
use super::{fmt_num, read, sweep, table};
use crate::Error;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The suffix of a confidence half-width column.
const CI_SUFFIX: &str = "_ci95";

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

/// What `diff` needs, for messages about a folder it cannot read.
const NEEDS: &str =
    "`backsim diff` compares report folders written by `backsim run`, `sweep` or `merge`";

/// The columns of `summary.csv` that name a row rather than measure it.
const ID_COLUMNS: [&str; 3] = ["scenario", "strategy", "replications"];

/// The columns of `summary.csv` that hold text, not a number: they are
/// not metrics (a change of binding limit shows in the per-limit loads).
const TEXT_COLUMNS: [&str; 1] = ["binding_limit"];

/// A report folder, read back for comparing.
#[derive(Debug, Clone)]
pub struct Report {
    pub dir: PathBuf,
    pub kind: Kind,
    pub scenario: String,
    pub seed: u64,
    /// The scenario's `replications` (rows may have more: `--precision`).
    pub replications: u32,
    /// The swept keys, in file order; empty for a run.
    pub keys: Vec<String>,
    pub summary: Summary,
    /// `scenario.toml` flattened to dotted paths, in file order.
    pub settings: Settings,
}

/// `summary.csv`, column by column.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The metric columns (all but the names of a row and the half-widths),
    /// in file order.
    pub metrics: Vec<String>,
    /// The half-width column of each metric that has one.
    pub ci: BTreeMap<String, String>,
    pub rows: Vec<SummaryRow>,
}

/// One row of `summary.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub strategy: String,
    /// The cells of the swept keys, as written.
    pub point: Vec<String>,
    pub replications: String,
    /// Every numeric column by name; NaN for an empty cell.
    pub values: BTreeMap<String, f64>,
    /// The `binding_limit` cell (empty when absent or without limits).
    pub binding_limit: String,
}

/// Reads the report in `dir` (a run's, a sweep's or a merge's).
pub fn read_report(dir: &Path) -> Result<Report, Error> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(Error::Input(format!(
                "{} is not a folder; {NEEDS}",
                dir.display()
            )));
        }
        Err(e) => return Err(Error::Input(format!("{}: {e}; {NEEDS}", dir.display()))),
    }
    let kind = folder::recorded_kind(dir).unwrap_or(if dir.join("sweep.csv").is_file() {
        Kind::Sweep
    } else {
        Kind::Run
    });
    let (scenario, text, summary_bytes) = match kind {
        Kind::Shard => {
            return Err(Error::Input(format!(
                "{} holds a partial report of `backsim sweep --shard`; combine the shards with `backsim merge` and compare the merged report",
                dir.display()
            )));
        }
        Kind::Tune => {
            return Err(Error::Input(format!(
                "{} holds the report of `backsim tune`, which has no summary.csv; compare the run reports of the strategies it recommends",
                dir.display()
            )));
        }
        Kind::Run => {
            let files = folder::read_files(dir, &read::INPUT_FILES, NEEDS)?;
            let data = read::from_files(dir, &files)?;
            (data.scenario, data.scenario_text, file_bytes(&files))
        }
        Kind::Sweep | Kind::Merge => {
            let files =
                folder::read_files(dir, &["scenario.toml", "sweep.csv", "summary.csv"], NEEDS)?;
            let (scenario, _) = sweep::from_files(dir, &files)?;
            let (_, text) = read::scenario_from_files(dir, &files)?;
            (scenario, text, file_bytes(&files))
        }
    };
    let keys: Vec<String> = scenario
        .sweep
        .as_ref()
        .filter(|_| kind != Kind::Run)
        .map(|s| s.keys.iter().map(|k| k.name()).collect())
        .unwrap_or_default();
    let summary = parse_summary(&dir.join("summary.csv"), &summary_bytes, &keys)?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| Error::Input(format!("{}: {e}", dir.join("scenario.toml").display())))?;
    let mut settings = Settings::default();
    flatten("", &toml::Value::Table(table), &mut settings);
    Ok(Report {
        dir: dir.to_path_buf(),
        kind,
        scenario: scenario.name,
        seed: scenario.seed,
        replications: scenario.replications,
        keys,
        summary,
        settings,
    })
}

/// The bytes of `summary.csv` among a report's files.
fn file_bytes(files: &[super::ReportFile]) -> Vec<u8> {
    files
        .iter()
        .find(|(n, _)| n == "summary.csv")
        .map(|(_, b)| b.clone())
        .unwrap_or_default()
}

/// Parses `summary.csv` (`path` names it in messages) whose rows are
/// named by `keys` (the swept keys) besides the id columns.
pub fn parse_summary(path: &Path, bytes: &[u8], keys: &[String]) -> Result<Summary, Error> {
    let shown = path.display();
    let mut reader = ::csv::ReaderBuilder::new().from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| Error::Input(format!("{shown}:1: cannot read the header: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    let at = |c: &str| header.iter().position(|h| h == c);
    let mut named = Vec::new();
    for c in ID_COLUMNS
        .iter()
        .copied()
        .chain(keys.iter().map(String::as_str))
    {
        named.push(
            at(c).ok_or_else(|| {
                Error::Input(format!("{shown}:1: the header has no column `{c}`"))
            })?,
        );
    }
    let numeric: Vec<(usize, &String)> = header
        .iter()
        .enumerate()
        .filter(|(i, c)| !named.contains(i) && !TEXT_COLUMNS.contains(&c.as_str()))
        .collect();
    let (metrics, ci) = pair_ci(numeric.iter().map(|(_, c)| c.as_str()));
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            Error::Input(format!("{shown}:{line}: {e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let cell = |i: usize| record.get(i).unwrap_or("");
        let mut values = BTreeMap::new();
        for &(i, column) in &numeric {
            let text = cell(i);
            let x = if text.is_empty() {
                f64::NAN
            } else {
                match text.parse::<f64>() {
                    Ok(x) if x.is_finite() => x,
                    _ => {
                        return Err(Error::Input(format!(
                            "{shown}:{line}: column `{column}`: \"{text}\" is not a number (expected a decimal like 0.25, or empty for not applicable)"
                        )));
                    }
                }
            };
            values.insert(column.clone(), x);
        }
        rows.push(SummaryRow {
            binding_limit: header
                .iter()
                .position(|h| h == "binding_limit")
                .map_or_else(String::new, |i| cell(i).to_string()),
            strategy: cell(named[1]).to_string(),
            point: named[3..].iter().map(|&i| cell(i).to_string()).collect(),
            replications: cell(named[2]).to_string(),
            values,
        });
    }
    Ok(Summary { metrics, ci, rows })
}

/// Splits numeric columns into metrics (file order) and the half-width
/// column of each metric that has one: `<stem>_ci95` belongs to `<stem>`,
/// or else to the one metric named `<stem>_…`; one that belongs to no
/// metric, or to several, is left out.
pub fn pair_ci<'a>(
    columns: impl Iterator<Item = &'a str> + Clone,
) -> (Vec<String>, BTreeMap<String, String>) {
    let metrics: Vec<String> = columns
        .clone()
        .filter(|c| !c.ends_with(CI_SUFFIX))
        .map(str::to_string)
        .collect();
    let mut ci = BTreeMap::new();
    for c in columns {
        let Some(stem) = c.strip_suffix(CI_SUFFIX) else {
            continue;
        };
        let metric = if metrics.iter().any(|m| m == stem) {
            Some(stem.to_string())
        } else {
            let prefix = format!("{stem}_");
            let mut matching = metrics.iter().filter(|m| m.starts_with(&prefix));
            match (matching.next(), matching.next()) {
                (Some(m), None) => Some(m.clone()),
                _ => None,
            }
        };
        if let Some(m) = metric {
            ci.entry(m).or_insert_with(|| c.to_string());
        }
    }
    (metrics, ci)
}

/// A scenario flattened by [`flatten`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// `(dotted path, value)` of every leaf, in file order.
    pub leaves: Vec<(String, toml::Value)>,
    /// The elements of arrays of tables, each whole under its path
    /// (`strategy.linear`), so that one only a report has is listed once.
    pub elements: Vec<(String, toml::Value)>,
}

/// Flattens a TOML value to `(dotted path, value)` leaves, in order.
/// Tables add their keys; an array of tables that all have distinct
/// string `name`s adds each element under its name (without its `name`
/// key), any other array of tables under each element's index from 0;
/// every other value (arrays of numbers or strings too) is a leaf.
pub fn flatten(prefix: &str, value: &toml::Value, out: &mut Settings) {
    let join = |key: &str| {
        if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        }
    };
    match value {
        toml::Value::Table(t) if !t.is_empty() => {
            for (k, v) in t {
                flatten(&join(k), v, out);
            }
        }
        toml::Value::Array(items) if !items.is_empty() && items.iter().all(|i| i.is_table()) => {
            let names: Option<Vec<&str>> = items
                .iter()
                .map(|i| i.get("name").and_then(toml::Value::as_str))
                .collect();
            let names = names.filter(|n| n.iter().collect::<BTreeSet<_>>().len() == n.len());
            for (i, item) in items.iter().enumerate() {
                let Some(table) = item.as_table() else {
                    continue;
                };
                let element = match &names {
                    Some(n) => join(n[i]),
                    None => join(&i.to_string()),
                };
                out.elements.push((element.clone(), item.clone()));
                for (k, v) in table {
                    if names.is_some() && k == "name" {
                        continue;
                    }
                    flatten(&format!("{element}.{k}"), v, out);
                }
            }
        }
        _ => out.leaves.push((prefix.to_string(), value.clone())),
    }
}

/// The half-width of the 95% confidence interval of the change B − A of
/// a metric whose means have half-widths `a` and `b` from independent
/// samples: √(a² + b²). NaN when either is unknown.
///
/// ```
/// use backsim::report::diff::change_half_width;
/// assert_eq!(change_half_width(0.03, 0.04), 0.05);
/// assert!(change_half_width(0.03, f64::NAN).is_nan());
/// ```
pub fn change_half_width(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.hypot(b)
    }
}

/// Whether `change` is significant at the 95% level given the half-width
/// of its interval: it lies outside ±`half`. None (not tested) when either
/// is unknown. A change of 0 is never significant, and with a half-width
/// of 0 (every replication gave the same value) any other change is.
pub fn significant(change: f64, half: f64) -> Option<bool> {
    (change.is_finite() && half.is_finite()).then(|| change.abs() > half)
}

/// A metric of one row, compared.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricDiff {
    pub metric: String,
    /// Whether each report has the column.
    pub in_a: bool,
    pub in_b: bool,
    /// The values (NaN: absent, or not applicable).
    pub a: f64,
    pub b: f64,
    /// B − A.
    pub change: f64,
    /// (B − A) / |A|; NaN when A is 0 or unknown.
    pub relative: f64,
    /// Half-width of the change's 95% interval; NaN when not tested.
    pub ci95: f64,
    /// None: not tested.
    pub significant: Option<bool>,
}

/// One (point, strategy) of both reports.
#[derive(Debug, Clone, PartialEq)]
pub struct RowDiff {
    pub strategy: String,
    /// The swept keys' cells (empty for runs).
    pub point: Vec<String>,
    pub replications: (String, String),
    /// The binding limit in A and in B (`summary.csv`'s `binding_limit`):
    /// `peak_load` is measured against it, so where it changes, so does
    /// what `peak_load` compares.
    pub binding_limit: (String, String),
    pub metrics: Vec<MetricDiff>,
}

/// An added, removed or changed key of `scenario.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyChange {
    pub key: String,
    /// None: not in that report's scenario.
    pub a: Option<toml::Value>,
    pub b: Option<toml::Value>,
}

/// Everything `diff` says about two reports.
#[derive(Debug, Clone)]
pub struct Diff {
    pub a: Side,
    pub b: Side,
    /// The swept keys (empty for runs).
    pub keys: Vec<String>,
    pub changed_keys: Vec<KeyChange>,
    /// Strategies only in A, only in B.
    pub removed: Vec<String>,
    pub added: Vec<String>,
    /// Rows of strategies in both whose point is in one report only.
    pub rows_only_in_a: Vec<(String, Vec<String>)>,
    pub rows_only_in_b: Vec<(String, Vec<String>)>,
    pub rows: Vec<RowDiff>,
    /// Metrics in either report, A's order first.
    pub metrics: Vec<String>,
    /// Metrics with a half-width column in either report.
    pub with_ci: BTreeSet<String>,
}

/// What a report is, for the heading.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    pub dir: PathBuf,
    pub kind: Kind,
    pub scenario: String,
    pub seed: u64,
    pub replications: u32,
}

impl Diff {
    /// Whether both reports used one seed (common random numbers).
    pub fn same_seed(&self) -> bool {
        self.a.seed == self.b.seed
    }
}

/// Compares two reports. A run's report and a sweep's, or sweeps of
/// different keys, cannot be compared (exit code 2).
pub fn compare(a: &Report, b: &Report) -> Result<Diff, Error> {
    let family = |k: Kind| if k == Kind::Run { "run" } else { "sweep" };
    if family(a.kind) != family(b.kind) {
        return Err(Error::Input(format!(
            "{} holds the report of `backsim {}` and {} that of `backsim {}`; `backsim diff` compares two runs' reports or two sweeps'",
            a.dir.display(),
            a.kind.name(),
            b.dir.display(),
            b.kind.name()
        )));
    }
    if a.keys != b.keys {
        return Err(Error::Input(format!(
            "{} sweeps {} but {} sweeps {}; `backsim diff` compares sweeps of the same keys",
            a.dir.display(),
            a.keys.join(", "),
            b.dir.display(),
            b.keys.join(", ")
        )));
    }
    let names = |r: &Report| -> Vec<String> {
        let mut seen = BTreeSet::new();
        r.summary
            .rows
            .iter()
            .filter(|row| seen.insert(row.strategy.clone()))
            .map(|row| row.strategy.clone())
            .collect()
    };
    let (names_a, names_b) = (names(a), names(b));
    let removed: Vec<String> = names_a
        .iter()
        .filter(|n| !names_b.contains(n))
        .cloned()
        .collect();
    let added: Vec<String> = names_b
        .iter()
        .filter(|n| !names_a.contains(n))
        .cloned()
        .collect();
    let mut metrics = a.summary.metrics.clone();
    for m in &b.summary.metrics {
        if !metrics.contains(m) {
            metrics.push(m.clone());
        }
    }
    let with_ci: BTreeSet<String> = a
        .summary
        .ci
        .keys()
        .chain(b.summary.ci.keys())
        .cloned()
        .collect();
    let find = |r: &Report, strategy: &str, point: &[String]| {
        r.summary
            .rows
            .iter()
            .find(|row| row.strategy == strategy && row.point == point)
            .cloned()
    };
    let mut rows = Vec::new();
    let mut rows_only_in_a = Vec::new();
    for ra in &a.summary.rows {
        if removed.contains(&ra.strategy) {
            continue;
        }
        let Some(rb) = find(b, &ra.strategy, &ra.point) else {
            rows_only_in_a.push((ra.strategy.clone(), ra.point.clone()));
            continue;
        };
        let metrics = metrics
            .iter()
            .map(|m| metric_diff(m, a, ra, b, &rb))
            .collect();
        rows.push(RowDiff {
            strategy: ra.strategy.clone(),
            point: ra.point.clone(),
            replications: (ra.replications.clone(), rb.replications.clone()),
            binding_limit: (ra.binding_limit.clone(), rb.binding_limit.clone()),
            metrics,
        });
    }
    let rows_only_in_b = b
        .summary
        .rows
        .iter()
        .filter(|rb| !added.contains(&rb.strategy) && find(a, &rb.strategy, &rb.point).is_none())
        .map(|rb| (rb.strategy.clone(), rb.point.clone()))
        .collect();
    Ok(Diff {
        a: side(a),
        b: side(b),
        keys: a.keys.clone(),
        changed_keys: changed_keys(&a.settings, &b.settings),
        removed,
        added,
        rows_only_in_a,
        rows_only_in_b,
        rows,
        metrics,
        with_ci,
    })
}

fn side(r: &Report) -> Side {
    Side {
        dir: r.dir.clone(),
        kind: r.kind,
        scenario: r.scenario.clone(),
        seed: r.seed,
        replications: r.replications,
    }
}

fn metric_diff(m: &str, a: &Report, ra: &SummaryRow, b: &Report, rb: &SummaryRow) -> MetricDiff {
    let value = |row: &SummaryRow, c: Option<&String>| {
        c.and_then(|c| row.values.get(c))
            .copied()
            .unwrap_or(f64::NAN)
    };
    let key = m.to_string();
    let (va, vb) = (value(ra, Some(&key)), value(rb, Some(&key)));
    let change = vb - va;
    let relative = if va != 0.0 {
        change / va.abs()
    } else {
        f64::NAN
    };
    let ci95 = change_half_width(
        value(ra, a.summary.ci.get(m)),
        value(rb, b.summary.ci.get(m)),
    );
    MetricDiff {
        metric: key,
        in_a: a.summary.metrics.iter().any(|x| x == m),
        in_b: b.summary.metrics.iter().any(|x| x == m),
        a: va,
        b: vb,
        change,
        relative,
        significant: significant(change, ci95),
        ci95: if change.is_finite() { ci95 } else { f64::NAN },
    }
}

/// The keys added, removed or changed from `a` to `b`: A's order, then
/// the keys only B has in B's order. An element of an array of tables
/// (a strategy) that only one has is one entry, the whole element, not
/// one per key.
pub fn changed_keys(a: &Settings, b: &Settings) -> Vec<KeyChange> {
    let mut out = Vec::new();
    walk(a, b, true, &mut out);
    walk(b, a, false, &mut out);
    out
}

/// Whether the dotted path `key` lies under `element`.
fn in_element(key: &str, element: &str) -> bool {
    key.strip_prefix(element)
        .is_some_and(|rest| rest.starts_with('.'))
}

/// Appends to `out`, in `from`'s order, what `from` has and `other` has
/// not (an element of an array of tables whole), and, when `from` is A,
/// the leaves both have with different values.
fn walk(from: &Settings, other: &Settings, from_is_a: bool, out: &mut Vec<KeyChange>) {
    let leaves: BTreeMap<&str, &toml::Value> =
        other.leaves.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let elements: BTreeSet<&str> = other.elements.iter().map(|(p, _)| p.as_str()).collect();
    let missing: Vec<&(String, toml::Value)> = from
        .elements
        .iter()
        .filter(|(p, _)| !elements.contains(p.as_str()))
        .collect();
    let one_sided = |key: &String, v: &toml::Value| {
        let v = Some(v.clone());
        let (a, b) = if from_is_a { (v, None) } else { (None, v) };
        KeyChange {
            key: key.clone(),
            a,
            b,
        }
    };
    let mut listed = BTreeSet::new();
    for (k, v) in &from.leaves {
        let change = match leaves.get(k.as_str()) {
            Some(&o) if from_is_a && o != v => KeyChange {
                key: k.clone(),
                a: Some(v.clone()),
                b: Some(o.clone()),
            },
            Some(_) => continue,
            None => match missing.iter().find(|(p, _)| in_element(k, p)) {
                Some((p, element)) if listed.insert(p.as_str()) => one_sided(p, element),
                Some(_) => continue,
                None => one_sided(k, v),
            },
        };
        out.push(change);
    }
}

// ---------------------------------------------------------------------------
// --fail-if

/// How a `--fail-if` condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
}

/// A `--fail-if` condition: `METRIC OP CHANGE`, the change B − A of the
/// metric (`success_rate < -0.01`) or, with `%`, its change relative to
/// A (`tts_p99_s > +10%`).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// As given.
    pub text: String,
    pub metric: String,
    pub op: Op,
    /// The threshold; a fraction when `relative` (10% is 0.1).
    pub threshold: f64,
    pub relative: bool,
}

/// The form of a condition, for messages.
const CONDITION_FORM: &str = "expected METRIC OP CHANGE with OP one of <, <=, >, >= and CHANGE a number, or a percentage for a relative change (e.g. \"success_rate < -0.01\", \"tts_p99_s > +10%\")";

impl Condition {
    /// Parses a condition; the message says what is wrong and what would do.
    ///
    /// ```
    /// use backsim::report::diff::{Condition, Op};
    /// let c = Condition::parse("tts_p99_s > +10%").unwrap();
    /// assert_eq!((c.metric.as_str(), c.op, c.threshold, c.relative), ("tts_p99_s", Op::Gt, 0.1, true));
    /// assert!(Condition::parse("success_rate = 0").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Condition, String> {
        let bad = |what: String| format!("{what}; {CONDITION_FORM}");
        let at = text
            .find(['<', '>'])
            .ok_or_else(|| bad(format!("\"{text}\" has no comparison")))?;
        let metric = text[..at].trim();
        let rest = &text[at..];
        let (op, rest) = match rest.as_bytes() {
            [b'<', b'=', ..] => (Op::Le, &rest[2..]),
            [b'>', b'=', ..] => (Op::Ge, &rest[2..]),
            [b'<', ..] => (Op::Lt, &rest[1..]),
            _ => (Op::Gt, &rest[1..]),
        };
        if metric.is_empty() {
            return Err(bad(format!("\"{text}\" names no metric")));
        }
        if !metric
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(bad(format!(
                "\"{metric}\" is not a metric name (a summary.csv column: letters, digits and _)"
            )));
        }
        let number = rest.trim();
        let (number, relative) = match number.strip_suffix('%') {
            Some(n) => (n.trim_end(), true),
            None => (number, false),
        };
        let value = number
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| bad(format!("\"{number}\" is not a number")))?;
        Ok(Condition {
            text: text.trim().to_string(),
            metric: metric.to_string(),
            op,
            threshold: if relative { value / 100.0 } else { value },
            relative,
        })
    }

    /// Whether `x` (a change) satisfies the comparison; never for NaN.
    pub fn compares(&self, x: f64) -> bool {
        match self.op {
            Op::Lt => x < self.threshold,
            Op::Le => x <= self.threshold,
            Op::Gt => x > self.threshold,
            Op::Ge => x >= self.threshold,
        }
    }

    /// Whether the condition holds for `m`: the change satisfies it and is
    /// significant, or the metric is not tested.
    pub fn holds(&self, m: &MetricDiff) -> bool {
        let x = if self.relative { m.relative } else { m.change };
        self.compares(x) && m.significant != Some(false)
    }
}

/// A condition that holds, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub condition: String,
    pub strategy: String,
    pub point: Vec<String>,
    pub metric: MetricDiff,
}

/// The conditions that hold, row by row, in row then condition order.
/// A metric in neither report, or in one only, is wrong input (exit 2).
pub fn check(d: &Diff, conditions: &[Condition]) -> Result<Vec<Held>, Error> {
    for c in conditions {
        let known: Vec<&str> = d.metrics.iter().map(String::as_str).collect();
        if !known.contains(&c.metric.as_str()) {
            // tune's goal names leave the unit out (goodput, tts_p99): the
            // column is the name with its unit after an underscore.
            let with_unit: Vec<&&str> = known
                .iter()
                .filter(|k| {
                    k.strip_prefix(c.metric.as_str())
                        .is_some_and(|rest| rest.starts_with('_') && !rest.contains("ci95"))
                })
                .collect();
            if let [column] = with_unit[..] {
                return Err(Error::Input(format!(
                    "--fail-if \"{}\": unknown metric \"{}\"; did you mean \"{column}\"? (summary.csv names it with its unit)",
                    c.text, c.metric
                )));
            }
            return Err(Error::Input(format!(
                "--fail-if \"{}\": {}",
                c.text,
                crate::scenario::unknown_name("metric", &c.metric, &known)
            )));
        }
        let in_both = d
            .rows
            .iter()
            .flat_map(|r| &r.metrics)
            .find(|m| m.metric == c.metric)
            .is_none_or(|m| m.in_a && m.in_b);
        if !in_both {
            return Err(Error::Input(format!(
                "--fail-if \"{}\": the metric `{}` is in the summary.csv of one report only, so its change is unknown",
                c.text, c.metric
            )));
        }
    }
    let mut held = Vec::new();
    for r in &d.rows {
        for c in conditions {
            if let Some(m) = r.metrics.iter().find(|m| m.metric == c.metric)
                && c.holds(m)
            {
                held.push(Held {
                    condition: c.text.clone(),
                    strategy: r.strategy.clone(),
                    point: r.point.clone(),
                    metric: m.clone(),
                });
            }
        }
    }
    Ok(held)
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

// ---------------------------------------------------------------------------
// Output

/// How a metric's values are shown, by its name: shares in percent,
/// seconds, dollars, other numbers with 2 decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Share,
    Seconds,
    Usd,
    Number,
}

fn unit(metric: &str) -> Unit {
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

fn show(metric: &str, x: f64) -> String {
    match unit(metric) {
        Unit::Share => crate::format::pct(x),
        Unit::Seconds => crate::format::secs(x),
        Unit::Usd => crate::format::usd(x),
        Unit::Number => crate::format::ratio(x),
    }
}

/// A change with its sign; a share's in percentage points.
fn show_change(metric: &str, x: f64) -> String {
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

fn signed_pct(x: f64) -> String {
    if x > 0.0 {
        format!("+{}", crate::format::pct(x))
    } else {
        crate::format::pct(x)
    }
}

/// `linear` for a run, `linear @ workload.clients=500` for a sweep.
fn row_name(keys: &[String], strategy: &str, point: &[String]) -> String {
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

fn heading(label: &str, s: &Side) -> String {
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
fn number(x: f64) -> Value {
    super::json::number_cell(&fmt_num(x, 9))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(change: f64, relative: f64, ci95: f64) -> MetricDiff {
        MetricDiff {
            metric: "success_rate".into(),
            in_a: true,
            in_b: true,
            a: 0.5,
            b: 0.5 + change,
            change,
            relative,
            ci95,
            significant: significant(change, ci95),
        }
    }

    #[test]
    fn the_half_width_of_a_change_adds_the_variances() {
        // A 3-4-5 triangle: √(0.03² + 0.04²) = 0.05 exactly in the model,
        // to the last bit or two in floats.
        assert!((change_half_width(0.03, 0.04) - 0.05).abs() < 1e-15);
        // Equal half-widths h give h·√2: the interval of a difference of
        // two equally precise means is √2 times as wide as either's.
        assert_eq!(change_half_width(1.0, 1.0), std::f64::consts::SQRT_2);
        assert_eq!(change_half_width(0.0, 0.0), 0.0);
        assert!(change_half_width(f64::NAN, 0.1).is_nan());
        assert!(change_half_width(0.1, f64::NAN).is_nan());
    }

    #[test]
    fn a_change_is_significant_outside_its_interval() {
        assert_eq!(significant(0.06, 0.05), Some(true));
        assert_eq!(significant(-0.06, 0.05), Some(true));
        assert_eq!(significant(0.04, 0.05), Some(false));
        // On the bound: not outside it.
        assert_eq!(significant(0.05, 0.05), Some(false));
        // Deterministic results (every replication equal): half-width 0.
        assert_eq!(significant(0.2, 0.0), Some(true));
        assert_eq!(significant(0.0, 0.0), Some(false));
        // One replication has no half-width: not tested.
        assert_eq!(significant(0.2, f64::NAN), None);
        assert_eq!(significant(f64::NAN, 0.1), None);
    }

    #[test]
    fn conditions_parse_with_or_without_spaces_signs_and_percent() {
        let c = Condition::parse("success_rate < -0.01").unwrap();
        assert_eq!(
            (c.metric.as_str(), c.op, c.threshold, c.relative),
            ("success_rate", Op::Lt, -0.01, false)
        );
        let c = Condition::parse("tts_p99_s>+10%").unwrap();
        assert_eq!((c.op, c.threshold, c.relative), (Op::Gt, 0.1, true));
        let c = Condition::parse("  wasted_usd >= 0.5 ").unwrap();
        assert_eq!(
            (c.op, c.threshold, c.text.as_str()),
            (Op::Ge, 0.5, "wasted_usd >= 0.5")
        );
        let c = Condition::parse("attempts_per_request <= -5 %").unwrap();
        assert_eq!((c.op, c.threshold, c.relative), (Op::Le, -0.05, true));
        assert_eq!(Condition::parse("peak_load > 1e1").unwrap().threshold, 10.0);
    }

    #[test]
    fn bad_conditions_say_what_is_wrong_and_the_form() {
        for (text, says) in [
            ("success_rate = 0", "has no comparison"),
            ("success_rate", "has no comparison"),
            ("< 0.1", "names no metric"),
            ("success rate < 0.1", "is not a metric name"),
            ("success_rate < ", "\"\" is not a number"),
            ("success_rate < abc", "\"abc\" is not a number"),
            ("success_rate < inf", "\"inf\" is not a number"),
            ("success_rate < nan%", "\"nan\" is not a number"),
            ("success_rate <> 1", "\"> 1\" is not a number"),
        ] {
            let e = Condition::parse(text).expect_err(text);
            assert!(e.contains(says), "{text}: {e}");
            assert!(e.ends_with(CONDITION_FORM), "{text}: {e}");
        }
    }

    #[test]
    fn a_condition_holds_on_a_significant_or_untested_change_past_it() {
        let c = Condition::parse("success_rate < -0.01").unwrap();
        // Past the threshold and outside ±0.02: holds.
        assert!(c.holds(&metric(-0.05, -0.1, 0.02)));
        // Past the threshold but inside its interval (noise): does not.
        assert!(!c.holds(&metric(-0.05, -0.1, 0.08)));
        // Significant but not past the threshold: does not.
        assert!(!c.holds(&metric(-0.005, -0.01, 0.001)));
        // No interval (one replication): the change alone decides.
        assert!(c.holds(&metric(-0.05, -0.1, f64::NAN)));
        assert!(!c.holds(&metric(0.05, 0.1, f64::NAN)));
        // An unknown change never holds.
        assert!(!c.holds(&metric(f64::NAN, f64::NAN, f64::NAN)));
        // Relative: -10% of A.
        let r = Condition::parse("success_rate <= -10%").unwrap();
        assert!(r.holds(&metric(-0.05, -0.1, 0.0)));
        assert!(!r.holds(&metric(-0.05, -0.09, 0.0)));
    }

    #[test]
    fn half_width_columns_pair_with_their_metric_by_name() {
        let columns = [
            "success_rate",
            "success_rate_ci95",
            "tts_p99_s",
            "goodput_per_s",
            "tts_p99_s_ci95",
            "goodput_ci95",
            "wasted_tokens",
            "wasted_usd",
            "wasted_ci95",
            "orphan_ci95",
        ];
        let (metrics, ci) = pair_ci(columns.iter().copied());
        assert_eq!(
            metrics,
            [
                "success_rate",
                "tts_p99_s",
                "goodput_per_s",
                "wasted_tokens",
                "wasted_usd"
            ]
        );
        let pairs: Vec<(&str, &str)> = ci.iter().map(|(m, c)| (m.as_str(), c.as_str())).collect();
        // `wasted_ci95` could be either wasted column and `orphan_ci95`
        // none: both are left out.
        assert_eq!(
            pairs,
            [
                ("goodput_per_s", "goodput_ci95"),
                ("success_rate", "success_rate_ci95"),
                ("tts_p99_s", "tts_p99_s_ci95"),
            ]
        );
    }

    fn settings(text: &str) -> Settings {
        let mut s = Settings::default();
        flatten("", &toml::Value::Table(text.parse().unwrap()), &mut s);
        s
    }

    #[test]
    fn a_scenario_flattens_to_dotted_paths_with_strategies_by_name() {
        let s = settings(
            "seed = 7\n[limiter]\nrequest_burst = 10\n\
             [[strategy]]\nname = \"a\"\nretry_on = [\"429\"]\n[strategy.backoff]\nbase = \"1s\"\n\
             [[server.capacity_cuts]]\nat = \"1s\"\n",
        );
        let keys: Vec<&str> = s.leaves.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "seed",
                "limiter.request_burst",
                "strategy.a.retry_on",
                "strategy.a.backoff.base",
                "server.capacity_cuts.0.at"
            ]
        );
        let elements: Vec<&str> = s.elements.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(elements, ["strategy.a", "server.capacity_cuts.0"]);
    }

    #[test]
    fn changed_keys_match_strategies_by_name_not_position() {
        let a = settings(
            "seed = 7\ngone = 1\n[[strategy]]\nname = \"x\"\nmax_attempts = 5\n\
             [[strategy]]\nname = \"y\"\nmax_attempts = 3\n[[strategy]]\nname = \"old\"\nmax_attempts = 1\n",
        );
        // The same strategies in another order, y changed, old replaced by new.
        let b = settings(
            "seed = 7\nnew_key = \"v\"\n[[strategy]]\nname = \"y\"\nmax_attempts = 8\n\
             [[strategy]]\nname = \"new\"\nmax_attempts = 2\n[[strategy]]\nname = \"x\"\nmax_attempts = 5\n",
        );
        let shown: Vec<String> = changed_keys(&a, &b)
            .iter()
            .map(|c| {
                let v = |v: &Option<toml::Value>| v.as_ref().map_or("-".into(), |v| v.to_string());
                format!("{}: {} -> {}", c.key, v(&c.a), v(&c.b))
            })
            .collect();
        assert_eq!(
            shown,
            [
                "gone: 1 -> -",
                "strategy.y.max_attempts: 3 -> 8",
                "strategy.old: { name = \"old\", max_attempts = 1 } -> -",
                "new_key: - -> \"v\"",
                "strategy.new: - -> { name = \"new\", max_attempts = 2 }",
            ]
        );
        assert!(changed_keys(&a, &a).is_empty());
    }

    #[test]
    fn changes_show_with_their_sign_and_shares_in_points() {
        assert_eq!(show_change("success_rate", 0.2), "+20.0 pp");
        assert_eq!(show_change("success_rate", -0.005), "-0.5 pp");
        assert_eq!(show_change("tts_p99_s", 1.5), "+1.5s");
        assert_eq!(show_change("wasted_usd", -0.25), "-0.2500");
        assert_eq!(show_change("goodput_per_s", 3.0), "+3.00");
        assert_eq!(show_change("peak_load", 0.0), "0.00");
        assert_eq!(show_change("peak_load", f64::NAN), "-");
    }
}
