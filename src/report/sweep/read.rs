//! Reading a sweep report back from its files (`scenario.toml`,
//! `sweep.csv`, and with `[report.recovery]` `summary.csv`) into
//! [`SweepData`].

use super::data::*;
use super::write::*;
use crate::Error;
use crate::report::folder::ReportFile;
use crate::scenario::Scenario;
use crate::scenario::sweep::Sweep;
use std::path::Path;

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
    let (base, _) = crate::report::run::read::scenario_from_files(dir, files)?;
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
        priced: priced(&base),
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
pub(crate) fn read_csv(
    path: &Path,
    bytes: &[u8],
) -> Result<(Vec<String>, Vec<Vec<String>>), Error> {
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
