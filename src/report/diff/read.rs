//! Reading the two report folders of `backsim diff`: the kind each holds,
//! `summary.csv` column by column by name (metrics paired with their
//! confidence half-widths), and `scenario.toml` flattened to dotted keys.

use crate::Error;
use crate::report::folder::{self, Kind};
use crate::report::run::read;
use crate::report::sweep;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The suffix of a confidence half-width column.
const CI_SUFFIX: &str = "_ci95";

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
fn file_bytes(files: &[folder::ReportFile]) -> Vec<u8> {
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
