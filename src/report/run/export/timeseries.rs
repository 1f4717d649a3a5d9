//! `timeseries.csv`: every strategy's buckets over time.

use super::Exporter;
use crate::experiment::ExperimentResult;
use crate::format::fmt_num;
use crate::report::run::csv::{DECIMALS, TIMESERIES_COLUMNS, to_bytes};
use crate::scenario::Scenario;

/// The exporter of `timeseries.csv`.
pub struct Timeseries;

impl Exporter for Timeseries {
    fn file_name(&self) -> &'static str {
        "timeseries.csv"
    }

    fn serialize(&self, scenario: &Scenario, result: &ExperimentResult) -> Option<Vec<u8>> {
        Some(timeseries_csv(scenario, result))
    }
}

/// `timeseries.csv`: every strategy's buckets, strategies in scenario order.
pub fn timeseries_csv(scenario: &Scenario, result: &ExperimentResult) -> Vec<u8> {
    let rows = result.strategies.iter().flat_map(|s| {
        s.series.iter().map(move |p| {
            let n = |x: f64| fmt_num(x, DECIMALS);
            vec![
                scenario.name.clone(),
                s.summary.strategy.clone(),
                n(p.t_s),
                n(p.attempts),
                n(p.admitted),
                n(p.rejected_429),
                n(p.successes),
                n(p.timeouts),
                n(p.in_flight),
                n(p.limiter_level),
            ]
        })
    });
    to_bytes(&TIMESERIES_COLUMNS, rows)
}
