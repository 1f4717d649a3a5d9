//! `models.csv`: one row per strategy and model.

use super::Exporter;
use crate::experiment::ExperimentResult;
use crate::report::run::csv::{MODELS_COLUMNS, models_rows, to_bytes};
use crate::scenario::Scenario;

/// The exporter of `models.csv`.
pub struct Models;

impl Exporter for Models {
    fn file_name(&self) -> &'static str {
        "models.csv"
    }

    fn serialize(&self, scenario: &Scenario, result: &ExperimentResult) -> Option<Vec<u8>> {
        Some(models_csv(scenario, result))
    }
}

/// `models.csv`.
pub fn models_csv(scenario: &Scenario, result: &ExperimentResult) -> Vec<u8> {
    to_bytes(
        &MODELS_COLUMNS,
        models_rows(scenario, result).into_iter().flatten(),
    )
}
