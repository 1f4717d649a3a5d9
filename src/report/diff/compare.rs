//! Comparing two reports: rows matched by strategy (and swept values),
//! each metric's change with its confidence half-width and whether it is
//! significant, and the scenario keys that changed.

use super::read::*;
use crate::Error;
use crate::report::folder::Kind;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

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

pub(crate) fn side(r: &Report) -> Side {
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
pub(crate) fn walk(from: &Settings, other: &Settings, from_is_a: bool, out: &mut Vec<KeyChange>) {
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
