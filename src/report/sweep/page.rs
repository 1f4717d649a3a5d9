//! A sweep's visual files: the charts it draws ([`visual_files_for`],
//! [`render_visuals`]) and its page, `index.html`: the findings, the
//! table of every point, each chart (or why it is left out) and the
//! resolved scenario; written with the shared page writer
//! ([`crate::report::page`]).

use super::chart::{
    MAX_COMBINATIONS, fmt_value, render_png, render_svg, replications_note, subtitle,
};
use super::data::{Estimate, SweepData, SweepMetric, grid_indices, priced};
use super::map_chart;
use crate::Error;
use crate::format::{pct, ratio, secs, usd};
use crate::report::page::{
    escape, figure, findings_list, header_cells, left_out, page_end, page_head,
};
use crate::report::plot::{Frame, strategy_color_hex};
use std::fmt::Write;

/// The page's table shows at most this many rows.
pub const MAX_TABLE_ROWS: usize = 500;

/// The names of the charts and page [`render_visuals`] draws for the
/// sweep of `base`.
pub fn visual_files_for(base: &crate::scenario::Scenario) -> Vec<String> {
    let keys = base.sweep.as_ref().map_or(0, |s| s.keys.len());
    let map = map_chart::drawn_for(base.report.recovery.is_some(), keys);
    let drawn = drawn_metrics(priced(base), base.workload.kind.is_stream());
    let left_out: Vec<String> = SweepMetric::CHARTED
        .into_iter()
        .filter(|m| !drawn.contains(m))
        .flat_map(chart_files)
        .collect();
    visual_files()
        .into_iter()
        .filter(|n| map || !map_chart::files().contains(n))
        .filter(|n| !left_out.contains(n))
        .collect()
}

/// Why `sweep_wasted_usd` is left out of a sweep without prices.
const NO_PRICES: &str = "Not drawn: the scenario sets no [pricing] and sweeps no price, so every \
                         run wastes $0. Add a [pricing] table to compare wasted dollars.";

/// The metrics charted, in page order: the wasted dollars only with
/// prices, goodput only for open and closed loops (a burst's successes
/// per second of its short active period say nothing about a rate).
fn drawn_metrics(priced: bool, stream: bool) -> Vec<SweepMetric> {
    SweepMetric::CHARTED
        .into_iter()
        .filter(|m| priced || *m != SweepMetric::WastedUsd)
        .filter(|m| stream || *m != SweepMetric::Goodput)
        .collect()
}

/// The names of every file [`render_visuals`] can make: the recovery map
/// only for a sweep that has one (see [`map_chart::drawn`]).
pub fn visual_files() -> Vec<String> {
    SweepMetric::CHARTED
        .iter()
        .flat_map(|m| chart_files(*m))
        .chain(map_chart::files())
        .chain(["index.html".to_string()])
        .collect()
}

/// A chart's files: `<chart_name>.svg` and `<chart_name>.png`.
pub(crate) fn chart_files(metric: SweepMetric) -> [String; 2] {
    [
        format!("{}.svg", metric.chart_name()),
        format!("{}.png", metric.chart_name()),
    ]
}

/// Every sweep chart (SVG and PNG) and `index.html`, as (file name,
/// bytes).
pub fn render_visuals(data: &SweepData) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let mut files = Vec::new();
    let mut charts = Vec::new();
    for m in drawn_metrics(data.priced, data.stream) {
        let wide = render_svg(m, data, Frame::FILE)?;
        let narrow = render_svg(m, data, Frame::NARROW)?;
        let [svg_file, png_file] = chart_files(m);
        files.push((svg_file, wide.clone().into_bytes()));
        files.push((png_file, render_png(m, data, Frame::FILE)?));
        charts.push((m, wide, narrow));
    }
    let map = if map_chart::drawn(data) {
        let wide = map_chart::render_svg(data, Frame::FILE)?;
        let narrow = map_chart::render_svg(data, Frame::NARROW)?;
        let [svg_file, png_file] = map_chart::files();
        files.push((svg_file, wide.clone().into_bytes()));
        files.push((png_file, map_chart::render_png(data, Frame::FILE)?));
        Some((wide, narrow))
    } else {
        None
    };
    files.push((
        "index.html".to_string(),
        index_html_with(data, &charts, map.as_ref()).into_bytes(),
    ));
    Ok(files)
}

/// How to read each chart, in one or two sentences.
pub(crate) fn caption(metric: SweepMetric) -> &'static str {
    match metric {
        SweepMetric::SuccessRate => {
            "Share of requests that succeeded at each swept value. The band around each line is \
             the 95% confidence interval over replications: where bands overlap, the difference \
             may be noise."
        }
        SweepMetric::TtsP99 => {
            "How long the slowest 1% of successful requests took, from their first attempt. A gap \
             in a line is a point where no request succeeded."
        }
        SweepMetric::AttemptsPerRequest => {
            "Attempts (first tries and retries) per request: how much load a strategy puts on the \
             provider for the same work. 1 means no retries."
        }
        SweepMetric::WastedUsd => {
            "What the provider billed per run for generations that a client had already abandoned \
             (timed out), so nobody used them."
        }
        SweepMetric::Goodput => {
            "Successes per second of active period: the throughput the strategy gets out of the \
             provider. Where it stops growing, the binding limit's ceiling is reached, and more \
             load only adds 429s and give-ups."
        }
    }
}

/// `value ± half-width`, each written by `f`; the half-width is the
/// wider side of the interval (the bounds are cut to what the metric can
/// take, which shortens at most one side in practice).
pub(crate) fn with_ci(e: Estimate, f: fn(f64) -> String) -> String {
    if !e.value.is_finite() {
        return "-".into();
    }
    let half = (e.ci95_high - e.value).max(e.value - e.ci95_low);
    if half.is_finite() {
        format!("{} ± {}", f(e.value), f(half))
    } else {
        f(e.value)
    }
}

/// The sweep's page: the scenario, a table of every (point, strategy),
/// the charts, and the files next to it. It loads nothing from anywhere.
pub fn index_html(data: &SweepData, charts: &[(SweepMetric, String, String)]) -> String {
    index_html_with(data, charts, None)
}

/// [`index_html`] with the recovery map (its wide and narrow drawings)
/// after the other charts, if there is one.
pub fn index_html_with(
    data: &SweepData,
    charts: &[(SweepMetric, String, String)],
    map: Option<&(String, String)>,
) -> String {
    let mut h = page_head(&format!("{} — backsim sweep", data.scenario));
    let _ = writeln!(h, "<header>\n<h1>{}</h1>", escape(&data.scenario));
    if !data.description.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"description\">{}</p>",
            escape(&data.description)
        );
    }
    let n = data.strategies.len();
    let points = if data.axes.is_empty() {
        0
    } else {
        data.points()
    };
    let grid: Vec<String> = data
        .axes
        .iter()
        .map(|a| format!("{} {}", a.values.len(), a.key))
        .collect();
    let _ = writeln!(
        h,
        "<p class=\"meta\">{n} strateg{} · {points} sweep point{} ({}) · {} · backsim {}</p>\n</header>",
        if n == 1 { "y" } else { "ies" },
        if points == 1 { "" } else { "s" },
        escape(&grid.join(" × ")),
        escape(&replications_note(data)),
        env!("CARGO_PKG_VERSION"),
    );

    h.push_str(&findings_list(
        super::findings::of_sweep(data)
            .iter()
            .map(|f| f.text.as_str()),
    ));
    h.push_str("<section>\n<h2>Results</h2>\n<div class=\"scroll\">\n<table>\n<thead><tr>");
    for a in &data.axes {
        let _ = write!(h, "<th>{}</th>", escape(&a.key));
    }
    header_cells(
        &mut h,
        &[
            ("strategy", ""),
            ("replications", "replications run at this point"),
            ("success", "share of requests that succeeded"),
            ("p99 tts", "99th percentile of time to success"),
            ("attempts/req", "attempts per request, retries included"),
            ("wasted $", "USD billed per run for generations nobody used"),
        ],
    );
    let lens: Vec<usize> = data.axes.iter().map(|a| a.values.len()).collect();
    for r in data.rows.iter().take(MAX_TABLE_ROWS) {
        h.push_str("<tr>");
        for (a, i) in data.axes.iter().zip(grid_indices(&lens, r.point)) {
            let cell = a.values.get(i).map_or("-".into(), |&v| fmt_value(a, v));
            let _ = write!(h, "<td>{}</td>", escape(&cell));
        }
        let name = data.strategies.get(r.strategy).map_or("?", String::as_str);
        let _ = write!(
            h,
            "<td><span class=\"swatch\" style=\"background:{}\"></span>{}</td><td>{}</td>",
            strategy_color_hex(r.strategy),
            escape(name),
            r.replications
        );
        let [success, tts, attempts, wasted] = r.metrics;
        for cell in [
            with_ci(success, pct),
            with_ci(tts, secs),
            with_ci(attempts, ratio),
            with_ci(wasted, usd),
        ] {
            let _ = write!(h, "<td>{}</td>", escape(&cell));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n</div>\n");
    if data.rows.len() > MAX_TABLE_ROWS {
        let more = data.rows.len() - MAX_TABLE_ROWS;
        let _ = writeln!(
            h,
            "<p class=\"note\">The first {MAX_TABLE_ROWS} rows of {}: the other {more} are in \
             <code>summary.csv</code> and <code>sweep.csv</code>.</p>",
            data.rows.len()
        );
    }
    h.push_str(
        "<p class=\"note\">Means per replication, ± the 95% confidence half-width over \
         replications (Student t). Time to success runs from a request's first attempt to its \
         successful answer; \"-\" where no request succeeded. Every number, unrounded, is in \
         <code>summary.csv</code> and <code>sweep.csv</code> next to this page.</p>\n</section>\n",
    );

    h.push_str("<section>\n<h2>Charts</h2>\n");
    if data.axes.len() > 1 {
        let _ = writeln!(
            h,
            "<p class=\"note\">The x axis is <code>{}</code>. Each combination of the other swept \
             keys is a separate line of each strategy: colour is the strategy, dash pattern and \
             marker the combination (at most {MAX_COMBINATIONS} are drawn; <code>sweep.csv</code> has all).</p>",
            escape(&data.axes[0].key)
        );
    }
    let sub = subtitle(data);
    for (m, wide, narrow) in charts {
        h.push_str(&figure(
            m.chart_name(),
            m.title(),
            &sub,
            (wide, narrow),
            caption(*m),
        ));
    }
    if !data.priced {
        let m = SweepMetric::WastedUsd;
        h.push_str(&left_out(m.chart_name(), m.title(), NO_PRICES));
    }
    if let Some((wide, narrow)) = map {
        h.push_str(&figure(
            map_chart::NAME,
            map_chart::TITLE,
            &map_chart::subtitle(data),
            (wide, narrow),
            &map_chart::caption(data),
        ));
    }
    h.push_str("</section>\n");

    h.push_str("<section>\n<h2>Files</h2>\n<ul>\n");
    let mut files: Vec<(String, &str)> = vec![
        (
            "summary.csv".into(),
            "one row per sweep point and strategy, every column",
        ),
        (
            "sweep.csv".into(),
            "each key metric against the swept values, with its 95% confidence bounds",
        ),
        (
            "scenario.toml".into(),
            "the resolved scenario, with the swept keys",
        ),
    ];
    for m in drawn_metrics(data.priced, data.stream) {
        for f in chart_files(m) {
            files.push((f, m.title()));
        }
    }
    if map.is_some() {
        for f in map_chart::files() {
            files.push((f, map_chart::TITLE));
        }
    }
    for (file, what) in files {
        let _ = writeln!(
            h,
            "<li><a href=\"{0}\"><code>{0}</code></a> — {1}</li>",
            escape(&file),
            escape(what)
        );
    }
    h.push_str("</ul>\n</section>\n");
    let drawn: Vec<SweepMetric> = charts.iter().map(|c| c.0).collect();
    h.push_str(&page_end(&super::interactive::charts_json(data, &drawn)));
    h
}
