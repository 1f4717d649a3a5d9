//! Exporters and the report folder.
//!
//! Each exporter turns results into bytes (so it is tested without touching
//! the disk); [`write_report`] then writes every file of
//! `<out>/<scenario name>/` atomically: to a temporary name in the same
//! folder, flushed to disk, then renamed over the final name. An
//! interrupted run never leaves a truncated file under a final name.

pub mod csv;
pub mod json;
pub mod table;

use crate::Error;
use crate::experiment::ExperimentResult;
use crate::scenario::Scenario;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Formats a number for reports: at most `decimals` decimals, trailing
/// zeros dropped, `.` as decimal point, empty for NaN (not applicable).
///
/// Rounding to a fixed number of decimals keeps results that are exact in
/// the model (4.2 s, a success rate of 0.25) exact in the file, instead of
/// showing the last-bit noise of averaging floats.
///
/// ```
/// use backsim::report::fmt_num;
/// assert_eq!(fmt_num(4.200000000000001, 9), "4.2");
/// assert_eq!(fmt_num(4250.0, 9), "4250");
/// assert_eq!(fmt_num(f64::NAN, 9), "");
/// assert_eq!(fmt_num(-0.0000000001, 9), "0");
/// ```
pub fn fmt_num(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let s = format!("{x:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// The folder a scenario's report goes to.
pub fn report_dir(out: &Path, scenario: &Scenario) -> PathBuf {
    out.join(&scenario.name)
}

/// Checks, before any work, that `out` can hold reports: it is a folder or
/// can be created as one.
pub fn check_out_dir(out: &Path) -> Result<(), Error> {
    if out.exists() && !out.is_dir() {
        return Err(Error::Input(format!(
            "error: --out {} is a file, not a folder; give a folder for the reports",
            out.display()
        )));
    }
    Ok(())
}

/// The files of one report, by name.
pub fn render_report(
    scenario: &Scenario,
    result: &ExperimentResult,
) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("summary.csv", csv::summary_csv(scenario, result)),
        ("timeseries.csv", csv::timeseries_csv(scenario, result)),
        ("scenario.toml", scenario.to_toml().into_bytes()),
    ]
}

/// Writes `files` into `dir` (created if needed), each atomically.
pub fn write_files(dir: &Path, files: &[(&str, Vec<u8>)]) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    for (name, bytes) in files {
        write_atomic(&dir.join(name), bytes)?;
    }
    Ok(())
}

/// Renders and writes the report of `scenario` under `out`; returns its folder.
pub fn write_report(
    out: &Path,
    scenario: &Scenario,
    result: &ExperimentResult,
) -> Result<PathBuf, Error> {
    let dir = report_dir(out, scenario);
    write_files(&dir, &render_report(scenario, result))?;
    Ok(dir)
}

/// Writes `bytes` to `path` through a temporary file in the same folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("report");
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}
