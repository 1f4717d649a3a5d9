//! `backsim sweep --json` (and `merge --json`): the sweep's summary as one
//! JSON document on stdout, with the rows of the terminal table in full:
//! per point and strategy the swept values, and each key metric with its
//! 95% confidence bounds (those of `sweep.csv` and goodput), rounded to 9
//! decimals as `sweep.csv` rounds them; numbers that do not apply are
//! `null`.

use super::data::{SweepData, SweepMetric};
use crate::format::fmt_num;
use serde_json::{Map, Value, json};
use std::path::Path;

/// A number as the data files round it; null when not finite.
fn number(x: f64) -> Value {
    crate::report::run::json::number_cell(&fmt_num(x, 9))
}

/// The document printed by `--json`.
pub fn document(data: &SweepData, report_dir: &Path) -> Value {
    let rows: Vec<Value> = data
        .rows
        .iter()
        .map(|r| {
            let mut values = Map::new();
            for (axis, v) in data.axes.iter().zip(data.point_values(r.point)) {
                values.insert(axis.key.clone(), number(v));
            }
            let mut row = Map::new();
            row.insert("point".into(), json!(r.point));
            row.insert("values".into(), Value::Object(values));
            row.insert("strategy".into(), json!(data.strategies[r.strategy]));
            row.insert("replications".into(), json!(r.replications));
            for m in SweepMetric::CHARTED {
                let e = r.estimate(m);
                row.insert(
                    m.name().into(),
                    json!({
                        "value": number(e.value),
                        "ci95_low": number(e.ci95_low),
                        "ci95_high": number(e.ci95_high),
                    }),
                );
            }
            row.insert(
                "binding_limit".into(),
                r.binding_limit.map_or(Value::Null, |l| json!(l.key())),
            );
            Value::Object(row)
        })
        .collect();
    json!({
        "scenario": data.scenario,
        "description": data.description,
        "replications": data.replications,
        "points": data.points(),
        "keys": data.axes.iter().map(|a| a.key.clone()).collect::<Vec<_>>(),
        "strategies": data.strategies,
        "report_dir": report_dir.display().to_string(),
        "rows": rows,
        "findings": super::findings::of_sweep(data)
            .iter()
            .map(|f| json!({ "kind": f.kind.name(), "text": f.text }))
            .collect::<Vec<_>>(),
    })
}
