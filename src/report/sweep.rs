//! A sweep's report: `summary.csv` with one column per swept key,
//! `sweep.csv` (each key metric against the swept values, with 95%
//! confidence bounds), one chart per key metric, for a scenario with
//! `[report.recovery]` and at least two swept keys a map of the recovered
//! shares ([`super::map_chart`]), and `index.html`.
//!
//! [`SweepData`] is what the sweep charts and page are drawn from: the
//! contents of `sweep.csv` and `scenario.toml` (and, with
//! `[report.recovery]`, `summary.csv`'s `recovered`), read back, so that
//! `backsim plot` and `backsim merge` draw exactly what `backsim sweep`
//! drew.

/// The key metrics a sweep charts, in page order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepMetric {
    SuccessRate,
    TtsP99,
    AttemptsPerRequest,
    WastedUsd,
    /// Successes per second: charted (open and closed loops), read from
    /// `summary.csv`; not a row of `sweep.csv`.
    Goodput,
}

impl SweepMetric {
    /// Every metric, in page and `sweep.csv` order.
    pub const ALL: [SweepMetric; 4] = [
        SweepMetric::SuccessRate,
        SweepMetric::TtsP99,
        SweepMetric::AttemptsPerRequest,
        SweepMetric::WastedUsd,
    ];

    /// Every metric charted, in page order: those of `sweep.csv` and
    /// goodput after the success rate.
    pub const CHARTED: [SweepMetric; 5] = [
        SweepMetric::SuccessRate,
        SweepMetric::Goodput,
        SweepMetric::TtsP99,
        SweepMetric::AttemptsPerRequest,
        SweepMetric::WastedUsd,
    ];

    /// Its name in `sweep.csv`'s `metric` column (the `summary.csv` column
    /// it comes from).
    pub fn name(self) -> &'static str {
        match self {
            SweepMetric::SuccessRate => "success_rate",
            SweepMetric::TtsP99 => "tts_p99_s",
            SweepMetric::AttemptsPerRequest => "attempts_per_request",
            SweepMetric::WastedUsd => "wasted_usd",
            SweepMetric::Goodput => "goodput_per_s",
        }
    }

    /// The chart's file stem: `sweep_<name>.svg` and `.png`.
    pub fn chart_name(self) -> &'static str {
        match self {
            SweepMetric::SuccessRate => "sweep_success_rate",
            SweepMetric::TtsP99 => "sweep_tts_p99",
            SweepMetric::AttemptsPerRequest => "sweep_attempts_per_request",
            SweepMetric::WastedUsd => "sweep_wasted_usd",
            SweepMetric::Goodput => "sweep_goodput",
        }
    }

    /// The chart's title.
    pub fn title(self) -> &'static str {
        match self {
            SweepMetric::SuccessRate => "Success rate",
            SweepMetric::TtsP99 => "99th percentile of time to success",
            SweepMetric::AttemptsPerRequest => "Attempts per request (load amplification)",
            SweepMetric::WastedUsd => "Wasted USD per run",
            SweepMetric::Goodput => "Goodput: successes per second",
        }
    }

    /// The y axis title, with its unit.
    pub fn axis_title(self) -> &'static str {
        match self {
            SweepMetric::SuccessRate => "requests succeeded (%)",
            SweepMetric::TtsP99 => "p99 time to success (s)",
            SweepMetric::AttemptsPerRequest => "attempts per request",
            SweepMetric::WastedUsd => "wasted USD per run",
            SweepMetric::Goodput => "successes per second",
        }
    }
}

/// A mean over replications and its 95% confidence interval (Student t
/// across replications), cut to the values the metric can take. NaN where
/// not defined (no success to time, or a single replication for the
/// bounds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
}

/// One swept key: a chart axis.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepAxis {
    /// The key as `summary.csv` and `sweep.csv` name it, e.g.
    /// `workload.clients` or `strategy.*.backoff.base`.
    pub key: String,
    /// Its values in sweep order, in SI units (durations in seconds).
    pub values: Vec<f64>,
    /// Whether the key is a duration (values in seconds).
    pub seconds: bool,
    /// Whether charts draw it on a logarithmic axis (a `scale = "log"`
    /// range, or positive listed values spanning at least a factor 100).
    pub log: bool,
}

/// One (point, strategy) of a sweep: one row of `summary.csv`, four of
/// `sweep.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRow {
    /// Index of the sweep point (see [`SweepData::point_values`]).
    pub point: usize,
    /// Index into [`SweepData::strategies`].
    pub strategy: usize,
    /// Replications this point ran (more than the scenario's with
    /// `--precision`).
    pub replications: u32,
    /// In [`SweepMetric::ALL`] order.
    pub metrics: [Estimate; 4],
    /// The share of the replications that recovered after the trigger
    /// (`summary.csv`'s `recovered`); NaN without `[report.recovery]`.
    pub recovered: f64,
    /// From `summary.csv` (NaN or None in reports written before these
    /// columns): successes per second and its CI half-width, the binding
    /// limit and what it admits per second in the long run.
    pub goodput_per_s: f64,
    pub goodput_ci95: f64,
    pub binding_limit: Option<crate::model::limiter::Limit>,
    pub ceiling_per_s: f64,
}

impl SweepRow {
    /// A metric's mean and 95% bounds at this row.
    pub fn estimate(&self, metric: SweepMetric) -> Estimate {
        if metric == SweepMetric::Goodput {
            let (value, half) = (self.goodput_per_s, self.goodput_ci95);
            let (ci95_low, ci95_high) = bounds(metric, value, half);
            return Estimate {
                value,
                ci95_low,
                ci95_high,
            };
        }
        let i = SweepMetric::ALL
            .iter()
            .position(|&m| m == metric)
            .unwrap_or(0);
        self.metrics[i]
    }

    /// A row with what `sweep.csv` gives; what `summary.csv` adds is
    /// unknown (NaN, None) until read.
    pub fn new(
        point: usize,
        strategy: usize,
        replications: u32,
        metrics: [Estimate; 4],
        recovered: f64,
    ) -> SweepRow {
        SweepRow {
            point,
            strategy,
            replications,
            metrics,
            recovered,
            goodput_per_s: f64::NAN,
            goodput_ci95: f64::NAN,
            binding_limit: None,
            ceiling_per_s: f64::NAN,
        }
    }
}

/// A sweep report's data, as read back from its files.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepData {
    /// The scenario's name and description.
    pub scenario: String,
    pub description: String,
    /// The scenario's `replications` (the minimum per point).
    pub replications: u32,
    /// The `--precision` target the replications were added for, if any.
    pub precision: Option<f64>,
    /// The swept keys, in file order: the first is the charts' x axis.
    pub axes: Vec<SweepAxis>,
    /// Strategy names in scenario order (which fixes their colours).
    pub strategies: Vec<String>,
    /// Point-major, then strategy in scenario order: one per (point,
    /// strategy).
    pub rows: Vec<SweepRow>,
    /// The scenario's `[report.recovery]`, if it has one: then each row's
    /// `recovered` is read from `summary.csv`.
    pub recovery: Option<Recovery>,
    /// Whether the sweep has prices ([`super::sweep_chart::priced`]):
    /// without, every wasted dollar is 0 and no chart of them is drawn.
    pub priced: bool,
    /// Whether the workload is an open or a closed loop
    /// ([`crate::scenario::WorkloadKind::is_stream`]).
    pub stream: bool,
}

impl SweepData {
    /// Number of points: the product of the axes' lengths.
    pub fn points(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    /// The value of every axis at `point`: the grid is enumerated with the
    /// last key varying fastest.
    pub fn point_values(&self, point: usize) -> Vec<f64> {
        let lens: Vec<usize> = self.axes.iter().map(|a| a.values.len()).collect();
        grid_indices(&lens, point)
            .into_iter()
            .zip(&self.axes)
            .map(|(i, a)| a.values[i])
            .collect()
    }
}

pub use crate::scenario::sweep::grid_indices;

// ---------------------------------------------------------------------------
// Writing: a sweep's data files are assembled from the rows of each point,
// so that a sharded sweep, merged, gives the same bytes as an unsharded one.

use super::csv::{SUMMARY_COLUMNS, to_bytes};
use super::{ReportFile, fmt_num};
use crate::Error;
use crate::experiment::PointResult;
use crate::metrics::summary::StrategySummary;
use crate::scenario::sweep::Sweep;
use crate::scenario::{Recovery, Scenario, TRACE_COPY, WorkloadKind};
use std::path::Path;

/// The columns of `sweep.csv` before and after the swept keys.
pub const SWEEP_COLUMNS_BEFORE_KEYS: [&str; 2] = ["scenario", "strategy"];
pub const SWEEP_COLUMNS_AFTER_KEYS: [&str; 6] = [
    "replications",
    "target_ci95",
    "metric",
    "value",
    "ci95_low",
    "ci95_high",
];

/// The rows one point contributes to `summary.csv` and `sweep.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct PointRows {
    pub point: usize,
    pub summary: Vec<Vec<String>>,
    pub sweep: Vec<Vec<String>>,
}

fn sweep_of(base: &Scenario) -> &Sweep {
    base.sweep
        .as_ref()
        .expect("a sweep report is made for a scenario with a [sweep]")
}

/// `summary.csv`'s header: the usual columns with the swept keys after
/// `strategy`.
pub fn summary_header(sweep: &Sweep) -> Vec<String> {
    let mut h: Vec<String> = SUMMARY_COLUMNS[..2].iter().map(|s| s.to_string()).collect();
    h.extend(sweep.keys.iter().map(|k| k.name()));
    h.extend(SUMMARY_COLUMNS[2..].iter().map(|s| s.to_string()));
    h
}

/// `sweep.csv`'s header.
pub fn sweep_header(sweep: &Sweep) -> Vec<String> {
    SWEEP_COLUMNS_BEFORE_KEYS
        .iter()
        .map(|s| s.to_string())
        .chain(sweep.keys.iter().map(|k| k.name()))
        .chain(SWEEP_COLUMNS_AFTER_KEYS.iter().map(|s| s.to_string()))
        .collect()
}

/// A metric's mean and half-width in a strategy's summary.
fn metric_of(s: &StrategySummary, m: SweepMetric) -> (f64, f64) {
    match m {
        SweepMetric::SuccessRate => (s.success_rate, s.success_rate_ci95),
        SweepMetric::TtsP99 => (s.tts_p99_s, s.tts_p99_ci95),
        SweepMetric::AttemptsPerRequest => (s.attempts_per_request, s.attempts_per_request_ci95),
        SweepMetric::WastedUsd => (s.wasted_usd, s.wasted_usd_ci95),
        SweepMetric::Goodput => (s.goodput_per_s, s.goodput_ci95),
    }
}

/// The confidence bounds, cut to what the metric can be: a share lies in
/// [0, 1], the others are not negative. NaN (empty) without a half-width.
fn bounds(m: SweepMetric, value: f64, half: f64) -> (f64, f64) {
    if half.is_nan() {
        return (f64::NAN, f64::NAN);
    }
    let hi_cap = if m == SweepMetric::SuccessRate {
        1.0
    } else {
        f64::INFINITY
    };
    ((value - half).max(0.0), (value + half).min(hi_cap))
}

/// The rows of one point.
pub fn point_rows(base: &Scenario, p: &PointResult, precision: Option<f64>) -> PointRows {
    const DECIMALS: usize = 9;
    let keys: Vec<String> = p.values.iter().map(|v| v.cell()).collect();
    let summary = p
        .strategies
        .iter()
        .map(|s| {
            let mut row = super::csv::summary_row(&base.name, s);
            let rest = row.split_off(2);
            row.extend(keys.iter().cloned());
            row.extend(rest);
            row
        })
        .collect();
    let target = precision.map_or_else(String::new, |t| format!("{t}"));
    let mut sweep = Vec::new();
    for s in &p.strategies {
        for m in SweepMetric::ALL {
            let (value, half) = metric_of(s, m);
            let (lo, hi) = bounds(m, value, half);
            let mut row = vec![base.name.clone(), s.strategy.clone()];
            row.extend(keys.iter().cloned());
            row.extend([
                s.replications.to_string(),
                target.clone(),
                m.name().to_string(),
                fmt_num(value, DECIMALS),
                fmt_num(lo, DECIMALS),
                fmt_num(hi, DECIMALS),
            ]);
            sweep.push(row);
        }
    }
    PointRows {
        point: p.point,
        summary,
        sweep,
    }
}

/// The names of the files [`data_files`] makes for `base`.
pub fn data_file_names(base: &Scenario) -> Vec<String> {
    let mut names: Vec<String> = SWEEP_DATA_FILES.iter().map(|n| n.to_string()).collect();
    if matches!(base.workload.kind, WorkloadKind::Trace { .. }) {
        names.push(TRACE_COPY.to_string());
    }
    names
}

/// The data files every sweep's report holds, in the order it writes them.
const SWEEP_DATA_FILES: [&str; 3] = ["summary.csv", "sweep.csv", "scenario.toml"];

/// The data files of a sweep report (or of a shard of one): `summary.csv`,
/// `sweep.csv`, `scenario.toml` (and a trace scenario's `trace.csv`),
/// from the rows of its points in the order given.
pub fn data_files(base: &Scenario, rows: &[PointRows]) -> Vec<ReportFile> {
    let sweep = sweep_of(base);
    let sh = summary_header(sweep);
    let wh = sweep_header(sweep);
    fn as_str(h: &[String]) -> Vec<&str> {
        h.iter().map(String::as_str).collect()
    }
    let [summary, sweep_csv, toml] = SWEEP_DATA_FILES;
    let mut files = vec![
        (
            summary.to_string(),
            to_bytes(
                &as_str(&sh),
                rows.iter().flat_map(|r| r.summary.iter().cloned()),
            ),
        ),
        (
            sweep_csv.to_string(),
            to_bytes(
                &as_str(&wh),
                rows.iter().flat_map(|r| r.sweep.iter().cloned()),
            ),
        ),
        (toml.to_string(), sweep.scenario_toml(base).into_bytes()),
    ];
    if let WorkloadKind::Trace { rows } = &base.workload.kind {
        files.push((TRACE_COPY.to_string(), crate::scenario::trace::to_csv(rows)));
    }
    files
}

// ---------------------------------------------------------------------------
// Reading a sweep report back.

/// Reads the sweep data from a report's files (`scenario.toml`,
/// `sweep.csv`, a trace's copy and, for a scenario with
/// `[report.recovery]`, `summary.csv`, by name); `dir` names them in
/// messages.
pub fn from_files(dir: &Path, files: &[ReportFile]) -> Result<(Scenario, SweepData), Error> {
    let file = |name: &str| -> Result<&[u8], Error> {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
            .ok_or_else(|| Error::Input(format!("{} is missing", dir.join(name).display())))
    };
    let (base, _) = super::read::scenario_from_files(dir, files)?;
    let sweep = base.sweep.clone().ok_or_else(|| {
        Error::Input(format!(
            "{} has no [sweep] table, so {} does not belong to it",
            dir.join("scenario.toml").display(),
            dir.join("sweep.csv").display()
        ))
    })?;
    let strategies: Vec<String> = base.strategies.iter().map(|s| s.name.clone()).collect();
    let path = dir.join("sweep.csv");
    let (header, records) = read_csv(&path, file("sweep.csv")?)?;
    let expected = sweep_header(&sweep);
    if header != expected {
        return Err(Error::Input(format!(
            "{}:1: the header does not match scenario.toml's sweep; expected {}",
            path.display(),
            expected.join(",")
        )));
    }
    let axes: Vec<SweepAxis> = sweep
        .keys
        .iter()
        .map(|k| SweepAxis {
            key: k.name(),
            values: k.values.iter().map(|v| v.si()).collect(),
            seconds: k.is_duration(),
            log: k.log_axis(),
        })
        .collect();
    let nkeys = sweep.keys.len();
    let per_point = strategies.len() * SweepMetric::ALL.len();
    let points = sweep.points();
    if records.len() != points * per_point {
        return Err(Error::Input(format!(
            "{}: has {} rows; a sweep of {points} points and {} strategies has {}",
            path.display(),
            records.len(),
            strategies.len(),
            points * per_point
        )));
    }
    let mut rows = Vec::with_capacity(points * strategies.len());
    let mut precision = None;
    for (i, rec) in records.iter().enumerate() {
        let line = i + 2;
        let bad = |what: String| Error::Input(format!("{}:{line}: {what}", path.display()));
        let point = i / per_point;
        let s = (i % per_point) / SweepMetric::ALL.len();
        let m = SweepMetric::ALL[i % SweepMetric::ALL.len()];
        let cell = |j: usize| rec.get(j).map_or("", String::as_str);
        let want: Vec<String> = sweep.point_values(point).iter().map(|v| v.cell()).collect();
        if cell(0) != base.name
            || cell(1) != strategies[s]
            || (0..nkeys).any(|k| cell(2 + k) != want[k])
        {
            return Err(bad(format!(
                "expected the row of strategy {} at {}, metric {}; the rows must be in sweep order",
                strategies[s],
                sweep
                    .keys
                    .iter()
                    .zip(&want)
                    .map(|(k, v)| format!("{} = {v}", k.name()))
                    .collect::<Vec<_>>()
                    .join(", "),
                m.name()
            )));
        }
        let c = 2 + nkeys;
        if cell(c + 2) != m.name() {
            return Err(bad(format!("expected metric {} here", m.name())));
        }
        let num = |j: usize, name: &str| -> Result<f64, Error> {
            let t = cell(j);
            if t.is_empty() {
                return Ok(f64::NAN);
            }
            t.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| bad(format!("column `{name}`: \"{t}\" is not a number")))
        };
        let reps = cell(c).parse::<u32>().map_err(|_| {
            bad(format!(
                "column `replications`: \"{}\" is not a whole number",
                cell(c)
            ))
        })?;
        let target = num(c + 1, "target_ci95")?;
        precision = target.is_finite().then_some(target);
        let est = Estimate {
            value: num(c + 3, "value")?,
            ci95_low: num(c + 4, "ci95_low")?,
            ci95_high: num(c + 5, "ci95_high")?,
        };
        if m == SweepMetric::ALL[0] {
            rows.push(SweepRow::new(point, s, reps, [est; 4], f64::NAN));
        } else {
            let row = rows.last_mut().expect("the first metric made the row");
            row.metrics[i % SweepMetric::ALL.len()] = est;
        }
    }
    let recovery = base.report.recovery;
    read_from_summary(
        dir,
        file("summary.csv")?,
        &sweep,
        &strategies,
        recovery.is_some(),
        &mut rows,
    )?;
    let data = SweepData {
        scenario: base.name.clone(),
        description: base.description.clone(),
        replications: base.replications,
        precision,
        axes,
        strategies,
        rows,
        recovery,
        priced: super::sweep_chart::priced(&base),
        stream: base.workload.kind.is_stream(),
    };
    Ok((base, data))
}

/// Fills in what each row takes from `summary.csv`: `recovered` when the
/// scenario has `[report.recovery]`, and the throughput columns where the
/// file has them (its columns found by name; its rows, like
/// `sweep.csv`'s, in sweep order).
fn read_from_summary(
    dir: &Path,
    bytes: &[u8],
    sweep: &Sweep,
    strategies: &[String],
    recovery: bool,
    rows: &mut [SweepRow],
) -> Result<(), Error> {
    let path = dir.join("summary.csv");
    let (header, records) = read_csv(&path, bytes)?;
    let column = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            Error::Input(format!(
                "{}:1: has no `{name}` column, which scenario.toml's [report.recovery] needs",
                path.display()
            ))
        })
    };
    let strategy = column("strategy")?;
    let keys = sweep
        .keys
        .iter()
        .map(|k| column(&k.name()))
        .collect::<Result<Vec<_>, _>>()?;
    let recovered = if recovery {
        Some(column("recovered")?)
    } else {
        None
    };
    // Columns added later: absent from older reports.
    let optional = |name: &str| header.iter().position(|h| h == name);
    let goodput = optional("goodput_per_s");
    let goodput_ci95 = optional("goodput_per_s_ci95");
    let ceiling = optional("ceiling_per_s");
    let binding = optional("binding_limit");
    if records.len() != rows.len() {
        return Err(Error::Input(format!(
            "{}: has {} rows; a sweep of {} points and {} strategies has {}",
            path.display(),
            records.len(),
            sweep.points(),
            strategies.len(),
            rows.len()
        )));
    }
    for (i, (rec, row)) in records.iter().zip(rows.iter_mut()).enumerate() {
        let bad = |what: String| Error::Input(format!("{}:{}: {what}", path.display(), i + 2));
        let cell = |j: usize| rec.get(j).map_or("", String::as_str);
        let want: Vec<String> = sweep
            .point_values(row.point)
            .iter()
            .map(|v| v.cell())
            .collect();
        let name = strategies.get(row.strategy).map_or("", String::as_str);
        if cell(strategy) != name || keys.iter().zip(&want).any(|(&k, w)| cell(k) != w) {
            return Err(bad(format!(
                "expected the row of strategy {name} at sweep point {}; the rows must be in sweep order",
                row.point
            )));
        }
        if let Some(recovered) = recovered {
            let t = cell(recovered);
            row.recovered = if t.is_empty() {
                f64::NAN
            } else {
                t.parse::<f64>()
                    .ok()
                    .filter(|x| (0.0..=1.0).contains(x))
                    .ok_or_else(|| {
                        bad(format!(
                            "column `recovered`: \"{t}\" is not a share (a number from 0 to 1)"
                        ))
                    })?
            };
        }
        let number = |at: Option<usize>, name: &str| -> Result<f64, Error> {
            let Some(j) = at else { return Ok(f64::NAN) };
            let t = cell(j);
            if t.is_empty() {
                return Ok(f64::NAN);
            }
            t.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| bad(format!("column `{name}`: \"{t}\" is not a number ≥ 0")))
        };
        row.goodput_per_s = number(goodput, "goodput_per_s")?;
        row.goodput_ci95 = number(goodput_ci95, "goodput_per_s_ci95")?;
        row.ceiling_per_s = number(ceiling, "ceiling_per_s")?;
        row.binding_limit = match binding.map(cell) {
            None | Some("") => None,
            Some(key) => Some(crate::model::limiter::Limit::from_key(key).ok_or_else(|| {
                bad(format!(
                    "column `binding_limit`: \"{}\" is not a limit's key",
                    crate::terminal::safe(key)
                ))
            })?),
        };
    }
    Ok(())
}

/// A CSV file's header and records, as text.
fn read_csv(path: &Path, bytes: &[u8]) -> Result<(Vec<String>, Vec<Vec<String>>), Error> {
    let mut reader = ::csv::ReaderBuilder::new().from_reader(bytes);
    let bad = |line: u64, e: ::csv::Error| Error::Input(format!("{}:{line}: {e}", path.display()));
    let header = reader
        .headers()
        .map_err(|e| bad(1, e))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut records = Vec::new();
    for r in reader.records() {
        let r = r.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            bad(line, e)
        })?;
        records.push(r.iter().map(str::to_string).collect());
    }
    Ok((header, records))
}

// ---------------------------------------------------------------------------
// Shards: a partial report holds the rows of its points and a manifest;
// `backsim merge` puts the rows of all shards back in point order.

/// The manifest of a partial report.
pub const SHARD_FILE: &str = "shard.toml";

/// Most shards `--shard K/N` may split a sweep into.
pub const MAX_SHARDS: usize = 1_000_000;

/// The longest suffix [`ShardInfo::dir_name`] adds to a scenario's name:
/// `.shard-K-of-N` with K and N as long as [`MAX_SHARDS`].
pub const LONGEST_SHARD_SUFFIX: usize = ".shard--of-".len() + 2 * digits(MAX_SHARDS);

// The longest scenario name with the longest suffix is a folder name (at
// most 255 bytes).
const _: () = assert!(crate::scenario::MAX_NAME_BYTES + LONGEST_SHARD_SUFFIX <= 255);

/// Decimal digits of `n`.
const fn digits(mut n: usize) -> usize {
    let mut count = 1;
    while n >= 10 {
        n /= 10;
        count += 1;
    }
    count
}

/// Which part of a sweep a partial report holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardInfo {
    /// 1-based.
    pub shard: usize,
    pub shards: usize,
    /// The `--precision` target and its maximum, which every shard must
    /// share.
    pub precision: Option<(f64, u32)>,
}

impl ShardInfo {
    /// The grid points shard `shard` of `shards` runs: every `shards`-th,
    /// starting at `shard - 1`.
    pub fn points(&self, total: usize) -> Vec<usize> {
        (self.shard - 1..total).step_by(self.shards).collect()
    }

    /// The folder name of the partial report: `<name>.shard-K-of-N`.
    pub fn dir_name(&self, scenario: &str) -> String {
        format!("{scenario}.shard-{}-of-{}", self.shard, self.shards)
    }

    /// The manifest's text.
    pub fn to_toml(&self) -> String {
        let mut s = format!(
            "# A partial report of `backsim sweep --shard {k}/{n}`: the rows of every {n}th grid point\n\
             # from point {first}. `backsim merge` combines all {n} shards into the full report.\n\
             backsim = \"{v}\"\nshard = {k}\nshards = {n}\n",
            k = self.shard,
            n = self.shards,
            first = self.shard - 1,
            v = env!("CARGO_PKG_VERSION"),
        );
        if let Some((target, max)) = self.precision {
            s.push_str(&format!("precision = {target}\nmax_replications = {max}\n"));
        }
        s
    }

    /// Parses a manifest.
    pub fn parse(path: &Path, text: &str) -> Result<ShardInfo, Error> {
        let bad = |what: &str| {
            Error::Input(format!(
                "{}: {what}; it should be the manifest `backsim sweep --shard K/N` wrote",
                path.display()
            ))
        };
        let t: toml::Table = text.parse().map_err(|_| bad("is not valid TOML"))?;
        let version = t
            .get("backsim")
            .and_then(|v| v.as_str())
            .ok_or_else(|| bad("has no `backsim` version"))?;
        if version != env!("CARGO_PKG_VERSION") {
            return Err(Error::Input(format!(
                "{}: written by backsim {version}, but this is backsim {}; merge with the version that ran the shards (results may differ between versions)",
                path.display(),
                env!("CARGO_PKG_VERSION")
            )));
        }
        let int = |k: &str| {
            t.get(k)
                .and_then(|v| v.as_integer())
                .filter(|&x| x >= 1)
                .map(|x| x as usize)
                .ok_or_else(|| bad(&format!("has no whole number `{k}` of at least 1")))
        };
        let (shard, shards) = (int("shard")?, int("shards")?);
        if shard > shards {
            return Err(bad("has `shard` greater than `shards`"));
        }
        let precision = match (t.get("precision"), t.get("max_replications")) {
            (None, None) => None,
            (Some(p), Some(m)) => Some((
                p.as_float()
                    .ok_or_else(|| bad("has a `precision` that is not a number"))?,
                m.as_integer()
                    .and_then(|m| u32::try_from(m).ok())
                    .ok_or_else(|| bad("has a `max_replications` that is not a whole number"))?,
            )),
            _ => return Err(bad("has only one of `precision` and `max_replications`")),
        };
        Ok(ShardInfo {
            shard,
            shards,
            precision,
        })
    }
}

/// A partial report read back: its manifest, scenario and rows.
#[derive(Debug, Clone)]
pub struct Partial {
    pub dir: std::path::PathBuf,
    pub info: ShardInfo,
    pub scenario: Scenario,
    pub scenario_text: String,
    pub rows: Vec<PointRows>,
}

/// Reads the partial report in `dir`.
pub fn read_partial(dir: &Path) -> Result<Partial, Error> {
    let files = super::read_files(
        dir,
        &[SHARD_FILE, "scenario.toml", "summary.csv", "sweep.csv"],
        "`backsim merge` needs the folders `backsim sweep --shard K/N` wrote",
    )?;
    let read = |name: &str| -> &[u8] {
        files
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&[][..], |(_, b)| b.as_slice())
    };
    let info = ShardInfo::parse(
        &dir.join(SHARD_FILE),
        &String::from_utf8_lossy(read(SHARD_FILE)),
    )?;
    let (scenario, scenario_text) = super::read::scenario_from_files(dir, &files)?;
    let sweep = scenario.sweep.clone().ok_or_else(|| {
        Error::Input(format!(
            "{} has no [sweep] table",
            dir.join("scenario.toml").display()
        ))
    })?;
    let points = info.points(sweep.points());
    let strategies = scenario.strategies.len();
    let split = |name: &str,
                 header: Vec<String>,
                 per: usize|
     -> Result<Vec<Vec<Vec<String>>>, Error> {
        let path = dir.join(name);
        let (h, records) = read_csv(&path, read(name))?;
        if h != header {
            return Err(Error::Input(format!(
                "{}:1: the header does not match scenario.toml's sweep",
                path.display()
            )));
        }
        if records.len() != points.len() * per {
            return Err(Error::Input(format!(
                "{}: has {} rows; shard {} of {} has {} points with {per} rows each",
                path.display(),
                records.len(),
                info.shard,
                info.shards,
                points.len()
            )));
        }
        // Each row names its point's values: check them.
        let nkeys = sweep.keys.len();
        for (i, rec) in records.iter().enumerate() {
            let want: Vec<String> = sweep
                .point_values(points[i / per])
                .iter()
                .map(|v| v.cell())
                .collect();
            let bad = |what: String| Error::Input(format!("{}:{}: {what}", path.display(), i + 2));
            if rec.len() < 2 + nkeys || rec[2..2 + nkeys] != want[..] {
                return Err(bad(format!(
                    "the swept values are not those of point {} of the grid",
                    points[i / per]
                )));
            }
            // Rows go strategy by strategy (and metric by metric).
            let strategy = &scenario.strategies[(i % per) * strategies / per].name;
            if rec[0] != scenario.name || &rec[1] != strategy {
                return Err(bad(format!(
                    "expected scenario {} and strategy {strategy} here",
                    scenario.name
                )));
            }
            let metric =
                (per != strategies).then(|| SweepMetric::ALL[i % SweepMetric::ALL.len()].name());
            for (c, cell) in rec.iter().enumerate().skip(2 + nkeys) {
                if metric.is_some() && c == 2 + nkeys + 2 {
                    if Some(cell.as_str()) != metric {
                        return Err(bad(format!(
                            "expected metric {} here",
                            metric.unwrap_or_default()
                        )));
                    }
                } else if header[c] == "binding_limit" {
                    // The one text column: a limit's key, or nothing.
                    if !cell.is_empty() && crate::model::limiter::Limit::from_key(cell).is_none() {
                        return Err(bad(format!(
                            "column `binding_limit`: \"{}\" is not a limit's key",
                            crate::terminal::safe(cell)
                        )));
                    }
                } else if !cell.is_empty() && !cell.parse::<f64>().is_ok_and(f64::is_finite) {
                    return Err(bad(format!(
                        "column `{}`: \"{cell}\" is not a number",
                        header[c]
                    )));
                }
            }
        }
        Ok(records.chunks(per).map(|c| c.to_vec()).collect())
    };
    let summary = split("summary.csv", summary_header(&sweep), strategies)?;
    let sweep_rows = split(
        "sweep.csv",
        sweep_header(&sweep),
        strategies * SweepMetric::ALL.len(),
    )?;
    let rows = points
        .iter()
        .zip(summary.into_iter().zip(sweep_rows))
        .map(|(&point, (summary, sweep))| PointRows {
            point,
            summary,
            sweep,
        })
        .collect();
    Ok(Partial {
        dir: dir.to_path_buf(),
        info,
        scenario,
        scenario_text,
        rows,
    })
}

/// Combines the partial reports of every shard of one sweep into the rows
/// of the full report, in point order. Refuses shards of different sweeps,
/// settings or versions, and missing or repeated shards.
pub fn merge(partials: Vec<Partial>) -> Result<(Scenario, Vec<PointRows>), Error> {
    let first = partials
        .first()
        .ok_or_else(|| Error::Input("no partial reports to merge".into()))?;
    let n = first.info.shards;
    let mut seen: Vec<Option<&Path>> = vec![None; n];
    for p in &partials {
        let differs = if p.scenario_text != first.scenario_text {
            Some("scenario.toml")
        } else if p.info.shards != n {
            Some("number of shards")
        } else if p.info.precision != first.info.precision {
            Some("--precision settings")
        } else {
            None
        };
        if let Some(what) = differs {
            return Err(Error::Input(format!(
                "{} and {} differ in their {what}: they are not shards of one sweep",
                first.dir.display(),
                p.dir.display()
            )));
        }
        if let Some(other) = seen[p.info.shard - 1] {
            return Err(Error::Input(format!(
                "{} and {} are both shard {} of {n}; give each shard once",
                other.display(),
                p.dir.display(),
                p.info.shard
            )));
        }
        seen[p.info.shard - 1] = Some(&p.dir);
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    if !missing.is_empty() {
        let one = missing.len() == 1;
        return Err(Error::Input(format!(
            "shard{} {} of {n} {} missing; run `backsim sweep --shard K/{n}` for {} and merge all {n}",
            if one { "" } else { "s" },
            missing.join(", "),
            if one { "is" } else { "are" },
            if one { "it" } else { "them" }
        )));
    }
    let scenario = first.scenario.clone();
    let mut rows: Vec<PointRows> = partials.into_iter().flat_map(|p| p.rows).collect();
    rows.sort_by_key(|r| r.point);
    Ok((scenario, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_shard_suffix_is_that_of_the_most_shards() {
        let most = ShardInfo {
            shard: MAX_SHARDS,
            shards: MAX_SHARDS,
            precision: None,
        };
        assert_eq!(most.dir_name("herd"), "herd.shard-1000000-of-1000000");
        assert_eq!(most.dir_name("").len(), LONGEST_SHARD_SUFFIX);
        assert_eq!(
            crate::cli::parse_shard("1000000/1000000"),
            Ok((MAX_SHARDS, MAX_SHARDS))
        );
        assert!(crate::cli::parse_shard("1/1000001").is_err());
    }
}
