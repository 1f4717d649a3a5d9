//! A run's data files, one exporter each: an [`Exporter`] names its file
//! and turns the run's results into the file's bytes (so it is tested
//! without touching the disk). [`EXPORTERS`] lists them in the order a
//! report writes them; adding a data file is one new file here and one
//! line in that list.

pub mod attempts;
pub mod models;
pub mod requests;
pub mod scenario;
pub mod summary;
pub mod timeseries;
pub mod trace;
pub mod tts_cdf;

use crate::experiment::ExperimentResult;
use crate::scenario::Scenario;

/// One data file of a run's report.
pub trait Exporter: Sync {
    /// The file's name in the report folder.
    fn file_name(&self) -> &'static str;

    /// Whether a report of `scenario` holds the file, known before it
    /// runs; `requests`: whether `--requests` was given.
    fn written_for(&self, scenario: &Scenario, requests: bool) -> bool {
        let _ = (scenario, requests);
        true
    }

    /// The file's bytes for `result`, a run of `scenario`; `None` when
    /// the run has no such file.
    fn serialize(&self, scenario: &Scenario, result: &ExperimentResult) -> Option<Vec<u8>>;
}

/// Every data file of a run's report, in the order it writes them.
pub const EXPORTERS: &[&dyn Exporter] = &[
    &summary::Summary,
    &timeseries::Timeseries,
    &tts_cdf::TtsCdf,
    &attempts::Attempts,
    &models::Models,
    &scenario::ScenarioToml,
    &requests::Requests,
    &trace::TraceCopy,
];

/// The data files of a report of `scenario` with `result`: `(name,
/// bytes)` in the order [`EXPORTERS`] lists them.
pub fn data_files(scenario: &Scenario, result: &ExperimentResult) -> Vec<(&'static str, Vec<u8>)> {
    EXPORTERS
        .iter()
        .filter_map(|e| Some((e.file_name(), e.serialize(scenario, result)?)))
        .collect()
}

/// The names of the data files of a report of `scenario`, known before
/// it runs ([`Exporter::written_for`]).
pub fn file_names(scenario: &Scenario, requests: bool) -> Vec<String> {
    EXPORTERS
        .iter()
        .filter(|e| e.written_for(scenario, requests))
        .map(|e| e.file_name().to_string())
        .collect()
}

/// Every name a run's data file may have.
pub fn all_file_names() -> impl Iterator<Item = &'static str> {
    EXPORTERS.iter().map(|e| e.file_name())
}
