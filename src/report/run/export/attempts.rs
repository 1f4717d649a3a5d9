//! `attempts.csv`: every strategy's distribution of attempts per ended
//! request.

use super::Exporter;
use crate::experiment::ExperimentResult;
use crate::format::fmt_num;
use crate::report::run::csv::{
    ATTEMPTS_COLUMNS, DECIMALS, attempts_range, distribution_share, to_bytes,
};
use crate::scenario::Scenario;

/// The exporter of `attempts.csv`.
pub struct Attempts;

impl Exporter for Attempts {
    fn file_name(&self) -> &'static str {
        "attempts.csv"
    }

    fn serialize(&self, scenario: &Scenario, result: &ExperimentResult) -> Option<Vec<u8>> {
        Some(attempts_csv(scenario, result))
    }
}

/// `attempts.csv`: every strategy's attempts distribution over the same
/// range of attempt counts (from the smallest to the largest any strategy
/// used), strategies in scenario order.
pub fn attempts_csv(scenario: &Scenario, result: &ExperimentResult) -> Vec<u8> {
    let range = attempts_range(
        result
            .strategies
            .iter()
            .map(|s| s.summary.attempts_distribution.as_slice()),
    );
    let rows = result.strategies.iter().flat_map(|s| {
        let d = &s.summary.attempts_distribution;
        range.into_iter().flat_map(move |(first, last)| {
            (first..=last).map(move |k| {
                vec![
                    scenario.name.clone(),
                    s.summary.strategy.clone(),
                    k.to_string(),
                    fmt_num(distribution_share(d, k), DECIMALS),
                ]
            })
        })
    });
    to_bytes(&ATTEMPTS_COLUMNS, rows)
}
