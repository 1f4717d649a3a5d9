//! `tts_cdf.csv`: every strategy's distribution of time to success.

use super::Exporter;
use crate::experiment::ExperimentResult;
use crate::format::fmt_num;
use crate::report::run::csv::{DECIMALS, TTS_CDF_COLUMNS, to_bytes};
use crate::scenario::Scenario;

/// The exporter of `tts_cdf.csv`.
pub struct TtsCdf;

impl Exporter for TtsCdf {
    fn file_name(&self) -> &'static str {
        "tts_cdf.csv"
    }

    fn serialize(&self, scenario: &Scenario, result: &ExperimentResult) -> Option<Vec<u8>> {
        Some(tts_cdf_csv(scenario, result))
    }
}

/// `tts_cdf.csv`: every strategy's time-to-success distribution on the
/// report's shared grid, strategies in scenario order.
pub fn tts_cdf_csv(scenario: &Scenario, result: &ExperimentResult) -> Vec<u8> {
    let rows = result.strategies.iter().flat_map(|s| {
        s.tts_cdf.iter().map(move |p| {
            vec![
                scenario.name.clone(),
                s.summary.strategy.clone(),
                fmt_num(p.t_s, DECIMALS),
                fmt_num(p.share, DECIMALS),
            ]
        })
    });
    to_bytes(&TTS_CDF_COLUMNS, rows)
}
