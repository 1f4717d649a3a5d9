//! `scenario.toml`: the resolved scenario the run ran, from which the
//! report can be read back and the run repeated.

use super::Exporter;
use crate::experiment::ExperimentResult;
use crate::scenario::Scenario;

/// The exporter of `scenario.toml`.
pub struct ScenarioToml;

impl Exporter for ScenarioToml {
    fn file_name(&self) -> &'static str {
        "scenario.toml"
    }

    fn serialize(&self, scenario: &Scenario, _: &ExperimentResult) -> Option<Vec<u8>> {
        Some(scenario.to_toml().into_bytes())
    }
}
