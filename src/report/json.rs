//! `--json`: the summary of every scenario run, as one JSON document on
//! stdout. Field names are the `summary.csv` column names; numbers that do
//! not apply (NaN in the model) are `null`.

use super::csv::SUMMARY_COLUMNS;
use crate::experiment::ExperimentResult;
use crate::scenario::Scenario;
use serde_json::{Map, Value, json};
use std::path::Path;

/// One scenario's summary as a JSON object.
pub fn scenario_json(scenario: &Scenario, result: &ExperimentResult, report_dir: &Path) -> Value {
    let rows = super::csv::summary_rows(scenario, result);
    let strategies: Vec<Value> = rows
        .into_iter()
        .map(|row| {
            let mut obj = Map::new();
            for (col, cell) in SUMMARY_COLUMNS.iter().zip(row) {
                let v = match *col {
                    "scenario" | "strategy" => Value::String(cell),
                    // The CSV text is the rounded number; parse it back so
                    // JSON and CSV agree digit for digit.
                    _ => match cell.parse::<i64>() {
                        Ok(i) => Value::from(i),
                        Err(_) => cell
                            .parse::<f64>()
                            .ok()
                            .and_then(serde_json::Number::from_f64)
                            .map_or(Value::Null, Value::Number),
                    },
                };
                obj.insert((*col).to_string(), v);
            }
            Value::Object(obj)
        })
        .collect();
    json!({
        "scenario": scenario.name,
        "description": scenario.description,
        "seed": scenario.seed,
        "replications": scenario.replications,
        "report_dir": report_dir.display().to_string(),
        "strategies": strategies,
    })
}

/// The document printed by `--json`: `{"scenarios": [...]}`.
pub fn document(scenarios: Vec<Value>) -> String {
    let mut s = serde_json::to_string_pretty(&json!({ "scenarios": scenarios }))
        .expect("JSON values serialise");
    s.push('\n');
    s
}
