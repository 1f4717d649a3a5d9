//! The numbers of a sweep's charts as the page's script draws them
//! ([`crate::report::page`], `page.js`): per key metric, the series the
//! SVG and PNG drawings plot ([`super::chart::series`]), each point with
//! its 95% confidence bounds. The recovery map stays a static drawing.

use super::chart::{log_x, series, x_title};
use super::data::{SweepData, SweepMetric};
use crate::report::page::num;
use crate::report::plot::{dashed, strategy_color_hex};
use serde_json::{Value, json};

/// The page's chart objects, one per metric in `drawn` (page order).
pub fn charts_json(data: &SweepData, drawn: &[SweepMetric]) -> Vec<Value> {
    let strategies: Value = data
        .strategies
        .iter()
        .enumerate()
        .map(|(i, name)| json!({"name": name, "color": strategy_color_hex(i)}))
        .collect();
    let log = data.axes.first().is_some_and(log_x);
    let x_name = data.axes.first().map_or("point", |a| a.key.as_str());
    drawn
        .iter()
        .map(|&m| {
            let series: Value = series(m, data)
                .iter()
                .map(|s| {
                    json!({
                        "s": s.strategy,
                        "name": s.label,
                        "color": strategy_color_hex(s.strategy),
                        "dash": s.style > 0 || dashed(s.strategy),
                        "points": s.points.iter().map(|p| json!([num(p.x), num(p.y)])).collect::<Value>(),
                        "band": s.points.iter().map(|p| json!([num(p.low), num(p.high)])).collect::<Value>(),
                    })
                })
                .collect();
            json!({
                "id": m.chart_name(),
                "strategies": strategies,
                "kind": "line",
                "step": false,
                "x": {"title": x_title(data), "name": x_name, "log": log},
                "y": {
                    "title": m.axis_title(),
                    "unit": if m == SweepMetric::SuccessRate { "%" } else { "" },
                },
                "series": series,
            })
        })
        .collect()
}
