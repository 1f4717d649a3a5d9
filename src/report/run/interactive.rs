//! The numbers of a run's charts as the page's script draws them
//! ([`crate::report::page`], `page.js`): one JSON object per chart drawn,
//! from the same chart data the SVG and PNG drawings are made of
//! ([`super::chart`]), so that hovering reads the numbers the static
//! charts show.

use super::chart::{
    Chart, attempts, cdf_percent, cost, load_over_time, load_steps, load_top, success_rate,
    time_to_success_cdf,
};
use super::read::ReportData;
use crate::report::page::{num, points};
use crate::report::plot::{dashed, strategy_color_hex};
use serde_json::{Value, json};

/// The page's chart objects, one per chart in `drawn` (page order).
pub fn charts_json(data: &ReportData, drawn: &[Chart]) -> Vec<Value> {
    drawn.iter().map(|&c| chart_json(data, c)).collect()
}

fn strategies(data: &ReportData) -> Value {
    data.result
        .strategies
        .iter()
        .enumerate()
        .map(|(i, s)| json!({"name": s.summary.strategy, "color": strategy_color_hex(i)}))
        .collect()
}

/// One line per strategy, `lines[i]` its points.
fn line_series(data: &ReportData, lines: &[Vec<(f64, f64)>]) -> Value {
    lines
        .iter()
        .zip(&data.result.strategies)
        .enumerate()
        .map(|(i, (line, s))| {
            json!({
                "s": i,
                "name": s.summary.strategy,
                "color": strategy_color_hex(i),
                "dash": dashed(i),
                "points": points(line),
            })
        })
        .collect()
}

/// One bar series per strategy, `values[i]` (with `err[i]`) its bars,
/// one per category.
fn bar_series(data: &ReportData, values: &[(Vec<f64>, Vec<f64>)]) -> Value {
    values
        .iter()
        .zip(&data.result.strategies)
        .enumerate()
        .map(|(i, ((v, e), s))| {
            json!({
                "s": i,
                "name": s.summary.strategy,
                "color": strategy_color_hex(i),
                "values": v.iter().map(|&x| num(x)).collect::<Value>(),
                "err": e.iter().map(|&x| num(x)).collect::<Value>(),
            })
        })
        .collect()
}

fn chart_json(data: &ReportData, chart: Chart) -> Value {
    let (x_title, y_title) = chart.axis_titles();
    let mut c = json!({"id": chart.name(), "strategies": strategies(data)});
    let fields = match chart {
        Chart::LoadOverTime => {
            let d = load_over_time(data);
            json!({
                "kind": "line",
                "step": true,
                "x": {"title": x_title, "name": "t (s)", "log": false, "min": 0.0, "max": num(d.end_s)},
                "y": {"title": y_title, "unit": "/s", "max": num(load_top(&d))},
                "hline": d.limit.as_ref().map(|(y, label)| json!({"y": num(*y), "label": label})),
                "spans": d.outages.iter().map(|&(a, b)| json!([num(a), num(b)])).collect::<Value>(),
                "series": line_series(data, &load_steps(&d)),
            })
        }
        Chart::TimeToSuccessCdf => json!({
            "kind": "line",
            "step": true,
            "x": {"title": x_title, "name": "within (s)", "log": true},
            "y": {"title": y_title, "unit": "%", "max": 100.0},
            "series": line_series(data, &cdf_percent(&time_to_success_cdf(data))),
        }),
        Chart::SuccessRate => {
            let bars: Vec<(Vec<f64>, Vec<f64>)> = success_rate(data)
                .iter()
                .map(|b| (vec![100.0 * b.value], vec![100.0 * b.ci95]))
                .collect();
            json!({
                "kind": "bar",
                "x": {"title": "", "labels": ["success rate"]},
                "y": {"title": "requests succeeded (%)", "unit": "%", "max": 100.0},
                "series": bar_series(data, &bars),
            })
        }
        Chart::Cost => {
            let bars: Vec<(Vec<f64>, Vec<f64>)> = cost(data)
                .iter()
                .map(|b| {
                    (
                        vec![b.useful_usd + b.wasted_usd, b.useful_usd, b.wasted_usd],
                        Vec::new(),
                    )
                })
                .collect();
            json!({
                "kind": "bar",
                "x": {"title": "", "labels": ["billed", "useful", "wasted"]},
                "y": {"title": x_title, "unit": " USD"},
                "series": bar_series(data, &bars),
            })
        }
        Chart::Attempts => {
            let lines = attempts(data);
            let labels: Vec<String> = lines
                .first()
                .map(|l| l.points.iter().map(|p| format!("{}", p.0)).collect())
                .unwrap_or_default();
            let bars: Vec<(Vec<f64>, Vec<f64>)> = lines
                .iter()
                .map(|l| (l.points.iter().map(|p| 100.0 * p.1).collect(), Vec::new()))
                .collect();
            json!({
                "kind": "bar",
                "x": {"title": x_title, "labels": labels},
                "y": {"title": y_title, "unit": "%"},
                "series": bar_series(data, &bars),
            })
        }
    };
    if let (Value::Object(c), Value::Object(f)) = (&mut c, fields) {
        c.extend(f);
    }
    c
}
