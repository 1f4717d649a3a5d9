//! Reading a report folder back: the CSV files and the resolved scenario
//! become the same [`ExperimentResult`] the charts and the page are drawn
//! from. A run draws its charts from the bytes it has just written, read
//! back through this module, so `backsim plot` on the folder later draws
//! exactly the same charts.

use super::csv::{
    ATTEMPTS_COLUMNS, MODELS_COLUMNS, SUMMARY_ADDED_LATER, SUMMARY_COLUMNS, TIMESERIES_COLUMNS,
    TTS_CDF_COLUMNS,
};
use crate::Error;
use crate::experiment::{ExperimentResult, StrategyResult};
use crate::metrics::summary::{CdfPoint, ModelSummary, SeriesPoint, StrategySummary};
use crate::scenario::{self, MAX_ATTEMPTS, Scenario};
use std::collections::HashMap;
use std::path::Path;

/// The files a report folder must hold for its charts to be drawn.
pub const INPUT_FILES: [&str; 6] = [
    "scenario.toml",
    "summary.csv",
    "timeseries.csv",
    "tts_cdf.csv",
    "attempts.csv",
    "models.csv",
];

/// A report folder's contents, read back.
#[derive(Debug, Clone)]
pub struct ReportData {
    pub scenario: Scenario,
    /// `scenario.toml` as written.
    pub scenario_text: String,
    pub result: ExperimentResult,
}

/// Reads the report in `dir` from its files.
pub fn read_dir(dir: &Path) -> Result<ReportData, Error> {
    let needs = format!(
        "`backsim plot` needs a report folder written by `backsim run` ({})",
        INPUT_FILES.join(", ")
    );
    let files = crate::report::folder::read_files(dir, &INPUT_FILES, &needs)?;
    from_files(dir, &files)
}

/// Parses a report's `scenario.toml` from its files' bytes (by name; a
/// trace scenario reads the copy of its trace among them); returns the
/// scenario and the text. `dir` only names the files in messages.
pub fn scenario_from_files<N: AsRef<str>>(
    dir: &Path,
    files: &[(N, Vec<u8>)],
) -> Result<(Scenario, String), Error> {
    let toml_path = dir.join("scenario.toml");
    let bytes = files
        .iter()
        .find(|(n, _)| n.as_ref() == "scenario.toml")
        .map(|(_, b)| b.clone())
        .ok_or_else(|| Error::Input(format!("{} is missing", toml_path.display())))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::Input(format!("{} is not UTF-8 text", toml_path.display())))?;
    let trace = |name: &str| -> Result<scenario::trace::TraceFile, String> {
        let shown = dir.join(name).display().to_string();
        files
            .iter()
            .find(|(n, _)| n.as_ref() == name)
            .map(|(_, b)| scenario::trace::TraceFile::in_memory(b.clone(), shown.clone()))
            .ok_or_else(|| format!("{shown} is missing"))
    };
    let scenario =
        scenario::parse_with(&text, &toml_path.display().to_string(), "scenario", &trace)
            .map_err(Error::Scenario)?;
    Ok((scenario, text))
}

/// Reads a report from its files' bytes (`INPUT_FILES`, by name); `dir`
/// only names them in error messages.
pub fn from_files<N: AsRef<str>>(dir: &Path, files: &[(N, Vec<u8>)]) -> Result<ReportData, Error> {
    let file = |name: &str| -> Result<&[u8], Error> {
        files
            .iter()
            .find(|(n, _)| n.as_ref() == name)
            .map(|(_, b)| b.as_slice())
            .ok_or_else(|| Error::Input(format!("{} is missing", dir.join(name).display())))
    };
    let toml_path = dir.join("scenario.toml");
    let (scenario, scenario_text) = scenario_from_files(dir, files)?;

    // A row per strategy: kept, to be checked against the scenario first.
    let mut records = Vec::new();
    let summary = Table::read(
        dir,
        "summary.csv",
        file("summary.csv")?,
        &SUMMARY_COLUMNS,
        |row| {
            records.push((row.line, row.record.clone()));
            Ok(())
        },
    )?;
    let summary_rows: Vec<Row> = records
        .iter()
        .map(|(line, record)| Row {
            table: &summary,
            line: *line,
            record,
        })
        .collect();
    // The files must belong together: the scenario's strategies, in its
    // order, run as often as it says.
    let expected: Vec<&str> = scenario
        .strategies
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    let listed: Vec<&str> = summary_rows.iter().map(|r| r.text("strategy")).collect();
    if listed != expected {
        return Err(Error::Input(format!(
            "{} lists the strategies {listed:?} but {} has {expected:?}; the files come from different reports",
            dir.join("summary.csv").display(),
            toml_path.display()
        )));
    }
    let mut strategies: Vec<StrategyResult> = Vec::new();
    for row in &summary_rows {
        if row.text("scenario") != scenario.name {
            return Err(row.error(format!(
                "scenario \"{}\" but scenario.toml is \"{}\"; the files come from different reports",
                row.text("scenario"),
                scenario.name
            )));
        }
        if row.num("replications")? != f64::from(scenario.replications) {
            return Err(row.error(format!(
                "replications {} but scenario.toml says {}; the files come from different runs",
                row.text("replications"),
                scenario.replications
            )));
        }
        strategies.push(StrategyResult {
            summary: summary_from_row(row)?,
            series: Vec::new(),
            tts_cdf: Vec::new(),
        });
    }
    let names: Vec<String> = strategies
        .iter()
        .map(|s| s.summary.strategy.clone())
        .collect();
    let index = |row: &Row| -> Result<usize, Error> {
        let name = row.text("strategy");
        names
            .iter()
            .position(|s| s == name)
            .ok_or_else(|| row.error(format!("strategy \"{name}\" is not in summary.csv")))
    };

    Table::read(
        dir,
        "timeseries.csv",
        file("timeseries.csv")?,
        &TIMESERIES_COLUMNS,
        |row| {
            let i = index(row)?;
            strategies[i].series.push(SeriesPoint {
                t_s: row.required("t_s")?,
                attempts: row.num("attempts")?,
                admitted: row.num("admitted")?,
                rejected_429: row.num("rejected_429")?,
                successes: row.num("successes")?,
                timeouts: row.num("timeouts")?,
                in_flight: row.num("in_flight")?,
                limiter_level: row.num("limiter_level")?,
            });
            Ok(())
        },
    )?;

    Table::read(
        dir,
        "tts_cdf.csv",
        file("tts_cdf.csv")?,
        &TTS_CDF_COLUMNS,
        |row| {
            let i = index(row)?;
            strategies[i].tts_cdf.push(CdfPoint {
                t_s: row.required("t_s")?,
                share: row.share("share_succeeded")?,
            });
            Ok(())
        },
    )?;

    Table::read(
        dir,
        "attempts.csv",
        file("attempts.csv")?,
        &ATTEMPTS_COLUMNS,
        |row| {
            let i = index(row)?;
            let k = row.required("attempts")?;
            if !(k >= 0.0 && k.fract() == 0.0 && k <= f64::from(MAX_ATTEMPTS)) {
                return Err(row.error(format!(
                    "attempts must be a whole number from 0 to {MAX_ATTEMPTS}"
                )));
            }
            let share = row.share("share_of_ended")?;
            let d = &mut strategies[i].summary.attempts_distribution;
            let k = k as usize;
            if d.len() <= k {
                d.resize(k + 1, 0.0);
            }
            d[k] = share;
            Ok(())
        },
    )?;

    Table::read(
        dir,
        "models.csv",
        file("models.csv")?,
        &MODELS_COLUMNS,
        |row| {
            let i = index(row)?;
            let n = |c: &str| row.num(c);
            strategies[i].summary.models.push(ModelSummary {
                model: row.text("model").to_string(),
                attempts: n("attempts")?,
                succeeded: n("succeeded")?,
                rejected_429: n("rejected_429")?,
                errors_5xx: n("errors_5xx")?,
                timeouts: n("timeouts")?,
                billed_input_tokens: n("billed_input_tokens")?,
                billed_output_tokens: n("billed_output_tokens")?,
                billed_usd: n("billed_usd")?,
                wasted_input_tokens: n("wasted_input_tokens")?,
                wasted_output_tokens: n("wasted_output_tokens")?,
                wasted_input_usd: n("wasted_input_usd")?,
                wasted_output_usd: n("wasted_output_usd")?,
            });
            Ok(())
        },
    )?;

    Ok(ReportData {
        scenario,
        scenario_text,
        result: ExperimentResult {
            strategies,
            requests: Vec::new(),
        },
    })
}

fn summary_from_row(row: &Row) -> Result<StrategySummary, Error> {
    let n = |c: &str| row.num(c);
    let replications = n("replications")?;
    if !(replications >= 0.0 && replications.fract() == 0.0 && replications <= f64::from(u32::MAX))
    {
        return Err(row.error("replications must be a whole number".into()));
    }
    Ok(StrategySummary {
        strategy: row.text("strategy").to_string(),
        replications: replications as u32,
        requests: n("requests")?,
        success_rate: row.share("success_rate")?,
        success_rate_ci95: row.non_negative("success_rate_ci95")?,
        tts_mean_s: n("tts_mean_s")?,
        tts_p50_s: n("tts_p50_s")?,
        tts_p90_s: n("tts_p90_s")?,
        tts_p99_s: n("tts_p99_s")?,
        tts_p99_ci95: n("tts_p99_s_ci95")?,
        tts_max_s: n("tts_max_s")?,
        attempts_per_request: n("attempts_per_request")?,
        attempts_per_request_ci95: n("attempts_per_request_ci95")?,
        rejected_429: n("rejected_429")?,
        errors_5xx: n("errors_5xx")?,
        timeouts: n("timeouts")?,
        gave_up: n("gave_up")?,
        unfinished: n("unfinished")?,
        peak_load: n("peak_load")?,
        billed_tokens: n("billed_tokens")?,
        wasted_tokens: n("wasted_tokens")?,
        billed_usd: n("billed_usd")?,
        wasted_usd: n("wasted_usd")?,
        wasted_usd_ci95: n("wasted_usd_ci95")?,
        useful_usd: n("useful_usd")?,
        attempts: n("attempts")?,
        succeeded: n("succeeded")?,
        wasted_input_tokens: n("wasted_input_tokens")?,
        wasted_output_tokens: n("wasted_output_tokens")?,
        wasted_input_usd: n("wasted_input_usd")?,
        wasted_output_usd: n("wasted_output_usd")?,
        errors_500: n("errors_500")?,
        errors_503: n("errors_503")?,
        errors_529: n("errors_529")?,
        rejected_429_by_limit: [
            n("rejected_429_requests")?,
            n("rejected_429_tokens")?,
            n("rejected_429_input_tokens")?,
            n("rejected_429_output_tokens")?,
        ],
        attempts_distribution: Vec::new(),
        models: Vec::new(),
        retries_denied: row.added_later("retries_denied", 0.0, |r, c| r.required(c))?,
        breaker_open_s: row.added_later("breaker_open_s", 0.0, |r, c| r.required(c))?,
        layer_attempts_per_request: row.added_later(
            "layer_attempts_per_request",
            Vec::new(),
            |r, c| r.layers(c),
        )?,
        local_rejections: row.added_later("local_rejections", 0.0, |r, c| r.required(c))?,
        conflicts: row.added_later("conflicts", 0.0, |r, c| r.required(c))?,
        recovered: row.added_later("recovered", f64::NAN, |r, c| r.share(c))?,
        queue_wait_mean_s: row.added_later("queue_wait_mean_s", f64::NAN, |r, c| r.num(c))?,
        binding_limit: row.added_later("binding_limit", None, |r, c| {
            let key = r.text(c);
            if key.is_empty() {
                return Ok(None);
            }
            crate::model::limiter::Limit::from_key(key)
                .map(Some)
                .ok_or_else(|| {
                    r.error(format!(
                        "{c} is \"{}\"; it names a limit: {}, or nothing",
                        crate::terminal::safe(key),
                        crate::model::limiter::Limit::ALL
                            .map(|l| l.key())
                            .join(", ")
                    ))
                })
        })?,
        peak_load_by_limit: [
            row.added_later("peak_load_requests", f64::NAN, |r, c| r.num(c))?,
            row.added_later("peak_load_tokens", f64::NAN, |r, c| r.num(c))?,
            row.added_later("peak_load_input_tokens", f64::NAN, |r, c| r.num(c))?,
            row.added_later("peak_load_output_tokens", f64::NAN, |r, c| r.num(c))?,
        ],
        ceiling_requests: row.added_later("ceiling_requests", f64::NAN, |r, c| r.num(c))?,
        ceiling_per_s: row.added_later("ceiling_per_s", f64::NAN, |r, c| r.num(c))?,
        active_s: row.added_later("active_s", f64::NAN, |r, c| r.num(c))?,
        goodput_per_s: row.added_later("goodput_per_s", f64::NAN, |r, c| r.num(c))?,
        goodput_ci95: row.added_later("goodput_per_s_ci95", f64::NAN, |r, c| r.num(c))?,
        hedges: row.added_later("hedges", 0.0, |r, c| r.required(c))?,
    })
}

/// A CSV file with a header, its columns found by name (so that columns
/// added later, anywhere, do not break reading). Rows are handed out one
/// at a time ([`Table::read`]), never all held: a `timeseries.csv` of a
/// million rows costs no more memory to read back than one row.
struct Table {
    /// The file, for messages.
    path: String,
    /// Index of each column read, by name.
    columns: HashMap<&'static str, usize>,
}

/// One row of a [`Table`].
struct Row<'a> {
    table: &'a Table,
    line: u64,
    record: &'a ::csv::StringRecord,
}

impl Table {
    /// Reads the CSV file `name` of `dir` from `bytes` and calls `each` on
    /// every row, in order; the columns it reads are `columns`.
    fn read(
        dir: &Path,
        name: &str,
        bytes: &[u8],
        columns: &[&'static str],
        mut each: impl FnMut(&Row) -> Result<(), Error>,
    ) -> Result<Table, Error> {
        let path = dir.join(name).display().to_string();
        let bad = |line: u64, what: String| Error::Input(format!("{path}:{line}: {what}"));
        let mut reader = ::csv::ReaderBuilder::new().from_reader(bytes);
        let header = reader
            .headers()
            .map_err(|e| bad(1, format!("cannot read the header: {e}")))?
            .clone();
        let mut at = HashMap::with_capacity(columns.len());
        for c in columns {
            match header.iter().position(|h| h == *c) {
                Some(i) => {
                    at.insert(*c, i);
                }
                // Reports of earlier versions lack the columns added since.
                None if SUMMARY_ADDED_LATER.contains(c) => {}
                None => return Err(bad(1, format!("the header has no column `{c}`"))),
            }
        }
        let table = Table {
            path: path.clone(),
            columns: at,
        };
        let mut record = ::csv::StringRecord::new();
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    let line = record.position().map_or(0, |p| p.line());
                    each(&Row {
                        table: &table,
                        line,
                        record: &record,
                    })?;
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    return Err(bad(line, format!("{e}")));
                }
            }
        }
        Ok(table)
    }
}

impl Row<'_> {
    /// A column of [`SUMMARY_ADDED_LATER`], read with `read`, or `absent`
    /// in a report written before it existed: 0 for counts older versions
    /// could not have (guards, conflicts), unknown for the rest.
    fn added_later<T>(
        &self,
        column: &str,
        absent: T,
        read: impl Fn(&Self, &str) -> Result<T, Error>,
    ) -> Result<T, Error> {
        if self.table.columns.contains_key(column) {
            read(self, column)
        } else {
            Ok(absent)
        }
    }

    fn text(&self, column: &str) -> &str {
        self.table
            .columns
            .get(column)
            .and_then(|&i| self.record.get(i))
            .unwrap_or("")
    }

    /// Numbers joined by `;` (`layer_attempts_per_request`), each
    /// finite and at least 0; an empty cell is none.
    fn layers(&self, column: &str) -> Result<Vec<f64>, Error> {
        let cell = self.text(column);
        if cell.is_empty() {
            return Ok(Vec::new());
        }
        cell.split(';')
            .map(|x| match x.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
                _ => Err(self.error(format!(
                    "{column} is \"{}\"; it holds numbers of at least 0 joined by ';', or nothing",
                    crate::terminal::safe(cell)
                ))),
            })
            .collect()
    }

    /// A number; an empty cell is "not applicable" (NaN).
    fn num(&self, column: &str) -> Result<f64, Error> {
        let cell = self.text(column);
        if cell.is_empty() {
            return Ok(f64::NAN);
        }
        match cell.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(x),
            _ => Err(self.error(format!(
                "column `{column}`: \"{cell}\" is not a number (expected a decimal like 0.25, or empty for not applicable)"
            ))),
        }
    }

    /// A number that must be there.
    fn required(&self, column: &str) -> Result<f64, Error> {
        let x = self.num(column)?;
        if x.is_nan() {
            return Err(self.error(format!("column `{column}` is empty; it needs a number")));
        }
        Ok(x)
    }

    /// A number of at least 0, or empty: a confidence half-width, which
    /// with few replications can exceed the range of what it measures.
    fn non_negative(&self, column: &str) -> Result<f64, Error> {
        let x = self.num(column)?;
        if x < 0.0 {
            return Err(self.error(format!(
                "column `{column}`: {x} is negative (expected a half-width of at least 0)"
            )));
        }
        Ok(x)
    }

    /// A share from 0 to 1, or empty.
    fn share(&self, column: &str) -> Result<f64, Error> {
        let x = self.num(column)?;
        if x.is_finite() && !(0.0..=1.0).contains(&x) {
            return Err(self.error(format!(
                "column `{column}`: {x} is not a share (expected a number from 0 to 1)"
            )));
        }
        Ok(x)
    }

    fn error(&self, what: String) -> Error {
        Error::Input(format!("{}:{}: {what}", self.table.path, self.line))
    }
}
