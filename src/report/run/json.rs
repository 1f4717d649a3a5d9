//! `--json`: the summary of every scenario run, as one JSON document on
//! stdout. Field names are the `summary.csv` column names, with each
//! strategy's `models.csv` rows under `models`; numbers that do not apply
//! (NaN in the model) are `null`.

use super::csv::{MODELS_COLUMNS, SUMMARY_COLUMNS};
use crate::experiment::ExperimentResult;
use crate::scenario::Scenario;
use serde_json::{Map, Value, json};
use std::path::Path;

/// One scenario's summary as a JSON object.
pub fn scenario_json(scenario: &Scenario, result: &ExperimentResult, report_dir: &Path) -> Value {
    let rows = super::csv::summary_rows(scenario, result);
    let models = super::csv::models_rows(scenario, result);
    let strategies: Vec<Value> = rows
        .into_iter()
        .zip(models)
        .map(|(row, models)| {
            let mut obj = object(&SUMMARY_COLUMNS, row);
            let models = models
                .into_iter()
                .map(|m| Value::Object(object(&MODELS_COLUMNS, m)))
                .collect();
            obj.insert("models".to_string(), Value::Array(models));
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
        "findings": super::findings::of_result(scenario, result)
            .iter()
            .map(|f| json!({ "kind": f.kind.name(), "text": f.text }))
            .collect::<Vec<_>>(),
    })
}

/// A CSV row as a JSON object keyed by column name.
fn object(columns: &[&str], row: Vec<String>) -> Map<String, Value> {
    let mut obj = Map::new();
    for (col, cell) in columns.iter().zip(row) {
        let v = match *col {
            "scenario" | "strategy" | "model" => Value::String(cell),
            // The CSV text is the rounded number; parse it back so that
            // JSON and CSV agree digit for digit.
            _ => number_cell(&cell),
        };
        obj.insert((*col).to_string(), v);
    }
    obj
}

/// A CSV cell as a JSON number (an integer when it is one), null when it
/// is empty or not a number.
pub(crate) fn number_cell(cell: &str) -> Value {
    match cell.parse::<i64>() {
        Ok(i) => Value::from(i),
        Err(_) => cell
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
    }
}

/// The document printed by `--json`: `{"scenarios": [...]}`.
pub fn document(scenarios: Vec<Value>) -> String {
    let mut s = serde_json::to_string_pretty(&json!({ "scenarios": scenarios }))
        .expect("JSON values serialise");
    s.push('\n');
    s
}
