//! `summary.csv`: one row per strategy, the columns of
//! [`SUMMARY_COLUMNS`].

use super::Exporter;
use crate::experiment::ExperimentResult;
use crate::report::run::csv::{SUMMARY_COLUMNS, summary_rows, to_bytes};
use crate::scenario::Scenario;

/// The exporter of `summary.csv`.
pub struct Summary;

impl Exporter for Summary {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }

    fn serialize(&self, scenario: &Scenario, result: &ExperimentResult) -> Option<Vec<u8>> {
        Some(summary_csv(scenario, result))
    }
}

/// `summary.csv`.
pub fn summary_csv(scenario: &Scenario, result: &ExperimentResult) -> Vec<u8> {
    to_bytes(&SUMMARY_COLUMNS, summary_rows(scenario, result).into_iter())
}
