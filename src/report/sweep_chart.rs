//! A sweep's charts (one per key metric, each as SVG and PNG) and its
//! page, `index.html`. The recovery map, drawn for scenarios with
//! `[report.recovery]`, is in [`super::map_chart`]; the page shows it
//! after these.
//!
//! Each chart plots one [`SweepMetric`] against the first swept key
//! (`axes[0]`, on a logarithmic axis when the sweep says so and every
//! value is positive): one line per strategy, with a marker at each point
//! and the 95% confidence interval as a translucent band in the
//! strategy's colour. A point without a value (NaN: nothing to time, no
//! request) breaks its line; a band is drawn only where both bounds are
//! defined (a single such point gets a translucent bar instead).
//! Colours, fonts, frames, the title block, the legend strip and the grid
//! are those of the run charts ([`super::chart`]); as there, strategies
//! take the Okabe–Ito palette in scenario order and, past its seven
//! colours, repeat them: their lines are dashed and their markers hollow.
//!
//! # More than one swept key
//!
//! Every combination of the other keys' values is a separate series of
//! each strategy. Colour still says the strategy; the combination is told
//! by the line's dash pattern *and* its marker shape, in this order:
//! solid with circles, dashed with squares, dotted with triangles,
//! long-dashed with diamonds. Strategies past the palette keep hollow
//! markers (their dashes now belong to the combination). So that the
//! chart stays legible:
//!
//! - at most [`MAX_COMBINATIONS`] (4) combinations are drawn: with more,
//!   the first, the last and two evenly spaced between (in grid order,
//!   last key fastest); the legend says how many are left out, and
//!   `sweep.csv` and the page's table hold them all;
//! - the legend names each series (`linear · limiter.requests_per_minute=600`)
//!   when there are at most [`MAX_SERIES_KEYS`] (8) and their entries fit
//!   in the legend's room; otherwise it names the strategies (colour) and
//!   the combinations (grey, with their dash and marker) apart;
//! - a label too wide for the chart names keys by their last part
//!   (`requests_per_minute=600`), and is cut with an ellipsis if still
//!   too wide;
//! - the legend strip takes at most 40% of the chart's height; entries
//!   that do not fit are counted in a last one ("… and 3 more");
//! - with one swept key, a strategy whose line coincides with an earlier
//!   one's ([`chart::same_as`]) is drawn over it in turns, as in the run
//!   charts, and named as such in the legend (`aws-quota (same as
//!   no-guard)`), where the label fits.

use super::chart::{
    self, Area, DrawResult, Drawing, Frame, INK, LEGEND_SYMBOL, MUTED, dashed, fmt_tick,
    legend_height, legend_label_room, legend_rows, legend_strip, log_ticks, mesh, nice_125,
    no_data, shorten, strategy_color, strategy_color_hex, text,
};
use super::fmt_num;
use super::html::{escape, figure, header_cells, left_out, page_head};
use super::map_chart;
use super::sweep::{Estimate, SweepAxis, SweepData, SweepMetric, grid_indices};
use crate::Error;
use crate::format::{pct, ratio, secs, usd};
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::fmt::Write;

/// The most combinations of the other swept keys a chart draws: one per
/// dash pattern and marker shape.
pub const MAX_COMBINATIONS: usize = 4;

/// Up to this many series, the legend names each one; past it, strategies
/// and combinations separately.
pub const MAX_SERIES_KEYS: usize = 8;

/// The page's table shows at most this many rows.
pub const MAX_TABLE_ROWS: usize = 500;

// ---------------------------------------------------------------------------
// Data preparation.

/// One point of a series, in the chart's units (the success rate in %).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SweepPoint {
    /// The value of the first swept key.
    pub x: f64,
    /// The metric; NaN where not defined.
    pub y: f64,
    /// The 95% confidence bounds; NaN where not defined.
    pub low: f64,
    pub high: f64,
}

/// One line of a sweep chart: a strategy at one combination of the other
/// swept keys.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepSeries {
    /// Index into [`SweepData::strategies`]: the colour.
    pub strategy: usize,
    /// Which of the drawn combinations of the other keys (0 with one
    /// key): the dash pattern and marker.
    pub style: usize,
    /// The strategy's name, then each other key as `key=value`, joined
    /// by ` · `.
    pub label: String,
    /// In increasing x (sweep order among equal x).
    pub points: Vec<SweepPoint>,
}

/// How many combinations of the values of the keys after the first there
/// are (1 with a single key).
fn combinations(data: &SweepData) -> usize {
    data.axes.iter().skip(1).map(|a| a.values.len()).product()
}

/// Which of `n` combinations a chart draws: all up to
/// [`MAX_COMBINATIONS`], else the first, the last and evenly spaced ones
/// between.
pub fn drawn_combinations(n: usize) -> Vec<usize> {
    if n <= MAX_COMBINATIONS {
        return (0..n).collect();
    }
    let last = (MAX_COMBINATIONS - 1) as f64;
    (0..MAX_COMBINATIONS)
        .map(|k| (k as f64 * (n - 1) as f64 / last).round() as usize)
        .collect()
}

/// A swept value as the page and legends write it: seconds with an `s`.
pub(crate) fn fmt_value(axis: &SweepAxis, v: f64) -> String {
    if axis.seconds {
        format!("{}s", fmt_num(v, 6))
    } else {
        fmt_num(v, 6)
    }
}

/// Combination `combo` of the keys after the first, as `key=value`
/// joined by ` · `.
fn combination_label(data: &SweepData, combo: usize) -> String {
    let others = &data.axes[1.min(data.axes.len())..];
    let lens: Vec<usize> = others.iter().map(|a| a.values.len()).collect();
    grid_indices(&lens, combo)
        .into_iter()
        .zip(others)
        .map(|(i, a)| match a.values.get(i) {
            Some(&v) => format!("{}={}", a.key, fmt_value(a, v)),
            None => format!("{}=?", a.key),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The series a chart of `metric` draws: for each strategy (scenario
/// order), one per drawn combination of the other keys (grid order).
pub fn series(metric: SweepMetric, data: &SweepData) -> Vec<SweepSeries> {
    let Some(x_axis) = data.axes.first() else {
        return Vec::new();
    };
    let scale = if metric == SweepMetric::SuccessRate {
        100.0
    } else {
        1.0
    };
    let combos = combinations(data);
    let points = data.points();
    let mut out = Vec::new();
    for (s, name) in data.strategies.iter().enumerate() {
        for (style, combo) in drawn_combinations(combos).into_iter().enumerate() {
            let mut pts: Vec<SweepPoint> = data
                .rows
                .iter()
                .filter(|r| r.strategy == s && r.point < points && r.point % combos == combo)
                .filter_map(|r| {
                    let x = *x_axis.values.get(r.point / combos)?;
                    let Estimate {
                        value,
                        ci95_low,
                        ci95_high,
                    } = r.estimate(metric);
                    Some(SweepPoint {
                        x,
                        y: value * scale,
                        low: ci95_low * scale,
                        high: ci95_high * scale,
                    })
                })
                .collect();
            pts.sort_by(|a, b| a.x.total_cmp(&b.x));
            let label = if data.axes.len() > 1 {
                format!("{name} · {}", combination_label(data, combo))
            } else {
                name.clone()
            };
            out.push(SweepSeries {
                strategy: s,
                style,
                label,
                points: pts,
            });
        }
    }
    out
}

/// The x axis title: the first key, with its unit and scale.
pub fn x_title(data: &SweepData) -> String {
    let Some(a) = data.axes.first() else {
        return "sweep point".into();
    };
    match (a.seconds, log_x(a)) {
        (true, true) => format!("{} (s, log scale)", a.key),
        (true, false) => format!("{} (s)", a.key),
        (false, true) => format!("{} (log scale)", a.key),
        (false, false) => a.key.clone(),
    }
}

/// Whether the x axis is logarithmic: asked for, and every value positive.
fn log_x(axis: &SweepAxis) -> bool {
    axis.log
        && axis
            .values
            .iter()
            .filter(|v| v.is_finite())
            .all(|v| *v > 0.0)
}

/// The least and most replications of the sweep's points.
pub(crate) fn replication_range(data: &SweepData) -> (u32, u32) {
    let reps = data.rows.iter().map(|r| r.replications);
    match (reps.clone().min(), reps.max()) {
        (Some(lo), Some(hi)) => (lo, hi),
        _ => (data.replications, data.replications),
    }
}

/// How many replications each point's numbers come from.
fn replications_note(data: &SweepData) -> String {
    let (lo, hi) = replication_range(data);
    let s = if hi == 1 { "" } else { "s" };
    match data.precision {
        Some(p) if lo != hi => format!(
            "{lo}–{hi} replications per point, until the 95% CI of the success rate was under ±{}%",
            fmt_num(100.0 * p, 3)
        ),
        _ if lo != hi => format!("mean of {lo}–{hi} replications per point"),
        _ => format!("mean of {lo} replication{s} per point"),
    }
}

/// What the numbers are: the scenario and how many runs they come from.
pub fn subtitle(data: &SweepData) -> String {
    format!("{} · {}", data.scenario, replications_note(data))
}

// ---------------------------------------------------------------------------
// Looks: colour, dash pattern and marker of a series.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dash {
    Solid,
    Dashed,
    Dotted,
    Long,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
}

/// The dash pattern and marker of each drawn combination.
const STYLES: [(Dash, Marker); MAX_COMBINATIONS] = [
    (Dash::Solid, Marker::Circle),
    (Dash::Dashed, Marker::Square),
    (Dash::Dotted, Marker::Triangle),
    (Dash::Long, Marker::Diamond),
];

#[derive(Debug, Clone, Copy)]
struct Look {
    color: RGBColor,
    dash: Dash,
    marker: Marker,
    hollow: bool,
}

fn look(data: &SweepData, s: &SweepSeries) -> Look {
    let past_palette = dashed(s.strategy);
    let (dash, marker) = if data.axes.len() > 1 {
        STYLES[s.style % STYLES.len()]
    } else if past_palette {
        (Dash::Dashed, Marker::Circle)
    } else {
        (Dash::Solid, Marker::Circle)
    };
    Look {
        color: strategy_color(s.strategy),
        dash,
        marker,
        hollow: past_palette,
    }
}

impl Dash {
    /// (dash, gap) in pixels; `None` for a solid line.
    fn pattern(self) -> Option<(u32, u32)> {
        match self {
            Dash::Solid => None,
            Dash::Dashed => Some((10, 6)),
            Dash::Dotted => Some((2, 4)),
            Dash::Long => Some((22, 6)),
        }
    }

    /// The pieces `(from, to)` of a legend symbol's line over `0..len`.
    fn legend_pieces(self, len: i32) -> Vec<(i32, i32)> {
        let (on, off) = match self {
            Dash::Solid => return vec![(0, len)],
            // As the run charts' legend draws a dashed line.
            Dash::Dashed => (6, 5),
            Dash::Dotted => (2, 4),
            Dash::Long => (12, 4),
        };
        (0..len)
            .step_by((on + off) as usize)
            .map(|a| (a, (a + on).min(len)))
            .collect()
    }
}

/// Draws `marker` centred on `(x, y)`, pixels of `area`.
fn draw_marker<DB: DrawingBackend>(
    area: &Area<DB>,
    (x, y): (i32, i32),
    marker: Marker,
    color: RGBColor,
    hollow: bool,
) -> DrawResult<DB> {
    let corners: &[(i32, i32)] = match marker {
        Marker::Circle => {
            if hollow {
                area.draw(&Circle::new((x, y), 4, WHITE.filled()))?;
                return area.draw(&Circle::new((x, y), 4, color.stroke_width(2)));
            }
            return area.draw(&Circle::new((x, y), 4, color.filled()));
        }
        Marker::Square => &[(-4, -4), (4, -4), (4, 4), (-4, 4)],
        Marker::Triangle => &[(0, -5), (5, 4), (-5, 4)],
        Marker::Diamond => &[(0, -5), (5, 0), (0, 5), (-5, 0)],
    };
    let points: Vec<(i32, i32)> = corners.iter().map(|(dx, dy)| (x + dx, y + dy)).collect();
    if hollow {
        area.draw(&Polygon::new(points.clone(), WHITE.filled()))?;
        let mut outline = points.clone();
        outline.push(points[0]);
        area.draw(&PathElement::new(outline, color.stroke_width(2)))
    } else {
        area.draw(&Polygon::new(points, color.filled()))
    }
}

/// A legend symbol: a short line in the look's dash with its marker in
/// the middle; `None` for a note without symbol.
fn draw_symbol<DB: DrawingBackend>(
    area: &Area<DB>,
    look: Option<Look>,
    (x, y): (i32, i32),
) -> DrawResult<DB> {
    let Some(look) = look else {
        return Ok(());
    };
    for (a, b) in look.dash.legend_pieces(LEGEND_SYMBOL) {
        area.draw(&PathElement::new(
            vec![(x + a, y), (x + b, y)],
            look.color.stroke_width(3),
        ))?;
    }
    draw_marker(
        area,
        (x + LEGEND_SYMBOL / 2, y),
        look.marker,
        look.color,
        look.hollow,
    )
}

// ---------------------------------------------------------------------------
// Rendering.

/// One sweep chart as an SVG document.
pub fn render_svg(metric: SweepMetric, data: &SweepData, frame: Frame) -> Result<String, Error> {
    chart::svg_of(
        &SweepChart {
            metric,
            data,
            frame,
        },
        frame,
    )
}

/// One sweep chart as a PNG image.
pub fn render_png(metric: SweepMetric, data: &SweepData, frame: Frame) -> Result<Vec<u8>, Error> {
    chart::png_of(
        &SweepChart {
            metric,
            data,
            frame,
        },
        frame,
    )
}

struct SweepChart<'a> {
    metric: SweepMetric,
    data: &'a SweepData,
    frame: Frame,
}

impl Drawing for SweepChart<'_> {
    fn name(&self) -> &str {
        self.metric.chart_name()
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let mut body = root.margin(14, 8, 14, 20);
        if self.frame.titled {
            let (head, rest) = body.split_vertically(52);
            head.draw(&Text::new(self.metric.title(), (0, 0), text(22, INK)))?;
            head.draw(&Text::new(subtitle(self.data), (0, 28), text(15, MUTED)))?;
            body = rest;
        }
        let series = series(self.metric, self.data);
        let plot = legend(&body, self.data, &series)?;
        draw_plot(self.metric, self.data, &series, &plot)
    }
}

/// The first of `labels` that fits in `room` pixels of legend text, or
/// the last one cut (with an ellipsis) to fit.
pub(crate) fn fit<DB: DrawingBackend>(
    area: &Area<DB>,
    labels: &[String],
    room: i32,
) -> Result<String, DrawingAreaErrorKind<DB::ErrorType>> {
    let style = text(15, INK);
    let fits = |s: &str| -> Result<bool, DrawingAreaErrorKind<DB::ErrorType>> {
        Ok(area.estimate_text_size(s, &style)?.0 as i32 <= room)
    };
    for label in labels {
        if fits(label)? {
            return Ok(label.clone());
        }
    }
    let mut chars: Vec<char> = labels.last().map_or("", String::as_str).chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let cut = chars.iter().collect::<String>().trim_end().to_string() + "…";
        if fits(&cut)? {
            return Ok(cut);
        }
    }
    Ok("…".into())
}

/// Combination `combo` in a legend: with its keys in full, or else by
/// their last part only (`requests_per_minute=600`).
fn combination_labels(data: &SweepData, combo: usize, prefix: &str) -> [String; 2] {
    let full = combination_label(data, combo);
    let short = full
        .split(" · ")
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => format!("{}={v}", k.rsplit('.').next().unwrap_or(k)),
            None => kv.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" · ");
    [format!("{prefix}{full}"), format!("{prefix}{short}")]
}

type Entries = Vec<(String, Option<Look>)>;

/// The legend's entries (see the module documentation), drawn in a strip
/// under the plot; returns the area left for the plot.
fn legend<DB: DrawingBackend>(
    area: &Area<DB>,
    data: &SweepData,
    series: &[SweepSeries],
) -> Result<Area<DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let room = legend_label_room(area).max(40);
    let max_strip = area.dim_in_pixel().1 as i32 * 2 / 5;
    let strip = |e: &Entries| -> Result<i32, DrawingAreaErrorKind<DB::ErrorType>> {
        let labels: Vec<&str> = e.iter().map(|(l, _)| l.as_str()).collect();
        Ok(legend_height(
            legend_rows(area, &labels)?.len(),
            labels.len(),
        ))
    };
    let combos = combinations(data);
    let drawn = drawn_combinations(combos);
    let note = if combos > drawn.len() {
        let note = format!(
            "{} of {combos} combinations shown; all in sweep.csv",
            drawn.len()
        );
        vec![(fit(area, &[note], room)?, None)]
    } else {
        Vec::new()
    };
    // One entry per series (with one key, naming the strategy whose line
    // it coincides with, if any: the run charts' rule)...
    let same = same_lines(series);
    let name_of = |s: &SweepSeries| data.strategies.get(s.strategy).map_or("", String::as_str);
    let mut entries: Entries = Vec::new();
    for (k, s) in series.iter().enumerate().take(MAX_SERIES_KEYS + 1) {
        let name = name_of(s);
        let labels = if data.axes.len() > 1 {
            let prefix = format!("{} · ", shorten(name));
            combination_labels(data, drawn[s.style], &prefix).to_vec()
        } else if let Some(first) = same[k] {
            let first = shorten(name_of(&series[first]));
            vec![
                format!("{} (same as {first})", shorten(name)),
                shorten(name),
            ]
        } else {
            vec![shorten(name)]
        };
        entries.push((fit(area, &labels, room)?, Some(look(data, s))));
    }
    entries.extend(note.iter().cloned());
    // ...or, with other keys and more series than that (or than fit),
    // strategies and combinations apart.
    if data.axes.len() > 1 && (series.len() > MAX_SERIES_KEYS || strip(&entries)? > max_strip) {
        entries.clear();
        for (i, name) in data.strategies.iter().enumerate() {
            let l = Look {
                color: strategy_color(i),
                dash: Dash::Solid,
                marker: Marker::Circle,
                hollow: dashed(i),
            };
            entries.push((fit(area, &[shorten(name)], room)?, Some(l)));
        }
        for (style, &combo) in drawn.iter().enumerate() {
            let (dash, marker) = STYLES[style];
            let l = Look {
                color: MUTED,
                dash,
                marker,
                hollow: false,
            };
            let labels = combination_labels(data, combo, "");
            entries.push((fit(area, &labels, room)?, Some(l)));
        }
        entries.extend(note.iter().cloned());
    }
    // At most 40% of the height: entries cut from the end are counted.
    if strip(&entries)? > max_strip {
        let total = entries.len();
        let mut keep = total;
        loop {
            keep -= 1;
            let mut cut: Entries = entries[..keep].to_vec();
            cut.push((format!("… and {} more", total - keep), None));
            if keep == 0 || strip(&cut)? <= max_strip {
                entries = cut;
                break;
            }
        }
    }
    let labels: Vec<&str> = entries.iter().map(|(l, _)| l.as_str()).collect();
    legend_strip(area, &labels, |legend, i, at| {
        draw_symbol(legend, entries[i].1, at)
    })
}

/// For each series, the first earlier one whose line it coincides with
/// ([`chart::same_as`]).
fn same_lines(series: &[SweepSeries]) -> Vec<Option<usize>> {
    chart::same_as(
        &series
            .iter()
            .map(|s| s.points.iter().map(|p| (p.x, p.y)).collect())
            .collect::<Vec<_>>(),
    )
}

/// The ranges of the axes and whether x is logarithmic; `None` when no
/// point has a value to draw.
struct Ranges {
    x: (f64, f64),
    /// The x axis ticks (log axis only).
    x_ticks: Vec<f64>,
    log: bool,
    y: (f64, f64),
}

fn ranges(metric: SweepMetric, data: &SweepData, series: &[SweepSeries]) -> Option<Ranges> {
    let axis = data.axes.first()?;
    let log = log_x(axis);
    let drawable = |x: f64| x.is_finite() && (!log || x > 0.0);
    let xs = axis.values.iter().copied().filter(|&x| drawable(x));
    let (lo, hi) = (
        xs.clone().fold(f64::INFINITY, f64::min),
        xs.fold(f64::NEG_INFINITY, f64::max),
    );
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|p| drawable(p.x) && p.y.is_finite())
        .flat_map(|p| [p.y, p.low, p.high])
        .filter(|y| y.is_finite())
        .collect();
    if lo > hi || !lo.is_finite() || ys.is_empty() {
        return None;
    }
    let (x, x_ticks) = if log {
        // At least a decade, a little room for the end markers, and at
        // least two labelled ticks.
        let (mut lo, mut hi) = (lo, hi);
        if hi / lo < 10.0 {
            let mid = (lo * hi).sqrt();
            (lo, hi) = (lo.min(mid / 10f64.sqrt()), hi.max(mid * 10f64.sqrt()));
        }
        let pad = (hi / lo).powf(0.03);
        (lo, hi) = (lo / pad, hi * pad);
        if log_ticks(lo, hi).len() < 2 {
            (lo, hi) = (nice_125(lo, false), nice_125(hi, true));
        }
        ((lo, hi), log_ticks(lo, hi))
    } else {
        let span = hi - lo;
        let pad = if span > 0.0 {
            span * 0.04
        } else if lo != 0.0 {
            lo.abs() * 0.5
        } else {
            1.0
        };
        ((lo - pad, hi + pad), Vec::new())
    };
    let y_min = ys.iter().copied().fold(0.0, f64::min);
    let y_max = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let y = if metric == SweepMetric::SuccessRate {
        // 0–100, unless values (not their bounds) lie outside.
        let values = || {
            series
                .iter()
                .flat_map(|s| s.points.iter())
                .filter(|p| drawable(p.x) && p.y.is_finite())
                .map(|p| p.y)
        };
        (values().fold(0.0, f64::min), values().fold(100.0, f64::max))
    } else if y_max > 0.0 {
        (if y_min < 0.0 { y_min * 1.08 } else { 0.0 }, y_max * 1.08)
    } else {
        (y_min * 1.08, y_min.abs().max(1.0) * 0.08 + 1.0)
    };
    let ok = |(a, b): (f64, f64)| a.is_finite() && b.is_finite() && a < b;
    (ok(x) && ok(y)).then_some(Ranges { x, x_ticks, log, y })
}

fn draw_plot<DB: DrawingBackend>(
    metric: SweepMetric,
    data: &SweepData,
    series: &[SweepSeries],
    plot: &Area<DB>,
) -> DrawResult<DB> {
    let (w, h) = plot.dim_in_pixel();
    if w < 72 + 16 + 60 || h < 46 + 60 {
        return Ok(());
    }
    let Some(r) = ranges(metric, data, series) else {
        let message = if data.rows.is_empty() {
            "The sweep has no results."
        } else if metric == SweepMetric::TtsP99 {
            "No request succeeded at any point: no time to success."
        } else {
            "No point has a value to plot."
        };
        return no_data(plot, message);
    };
    let builder = || {
        let mut b = ChartBuilder::on(plot);
        b.x_label_area_size(46)
            .y_label_area_size(72)
            .margin_right(16);
        b
    };
    let y_range = r.y.0..r.y.1;
    if r.log {
        let chart = builder().build_cartesian_2d(
            (r.x.0..r.x.1)
                .log_scale()
                .with_key_points(r.x_ticks.clone()),
            y_range,
        )?;
        finish(chart, metric, data, series, plot, &r)
    } else {
        let chart = builder().build_cartesian_2d(r.x.0..r.x.1, y_range)?;
        finish(chart, metric, data, series, plot, &r)
    }
}

fn finish<DB: DrawingBackend, X>(
    mut chart: ChartContext<'_, DB, Cartesian2d<X, RangedCoordf64>>,
    metric: SweepMetric,
    data: &SweepData,
    series: &[SweepSeries],
    plot: &Area<DB>,
    r: &Ranges,
) -> DrawResult<DB>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    // No negative tick labels on an axis of non-negative values.
    let x_nonneg = r.x.0 < 0.0
        && data
            .axes
            .first()
            .is_some_and(|a| a.values.iter().all(|v| v.is_nan() || *v >= 0.0));
    let x_fmt = |x: &f64| {
        if x_nonneg && *x < -1e-12 {
            String::new()
        } else {
            fmt_tick(x)
        }
    };
    mesh(
        &mut chart,
        &x_title(data),
        metric.axis_title(),
        &x_fmt,
        &fmt_tick,
    )?;
    let drawable = |x: f64| x.is_finite() && (!r.log || x > 0.0);
    let looks: Vec<Look> = series.iter().map(|s| look(data, s)).collect();
    // Bands under every line, then lines, then markers on top.
    for (s, l) in series.iter().zip(&looks) {
        let band = |p: &&SweepPoint| drawable(p.x) && p.low.is_finite() && p.high.is_finite();
        // Within the y axis: bounds past it are cut at its ends.
        let clip = |p: &SweepPoint| SweepPoint {
            low: p.low.clamp(r.y.0, r.y.1),
            high: p.high.clamp(r.y.0, r.y.1),
            ..*p
        };
        for run in runs(&s.points, band) {
            let run: Vec<SweepPoint> = run.iter().map(clip).collect();
            if let [p] = run.as_slice() {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(p.x, p.low), (p.x, p.high)],
                    l.color.mix(0.3).stroke_width(6),
                )))?;
            } else {
                let outline: Vec<(f64, f64)> = run
                    .iter()
                    .map(|p| (p.x, p.low))
                    .chain(run.iter().rev().map(|p| (p.x, p.high)))
                    .collect();
                chart.draw_series(std::iter::once(Polygon::new(
                    outline,
                    l.color.mix(0.15).filled(),
                )))?;
            }
        }
    }
    // With one key, a line that coincides with an earlier one is drawn
    // over it in turns (as in the run charts), so that both colours show.
    let same = if data.axes.len() == 1 {
        same_lines(series)
    } else {
        vec![None; series.len()]
    };
    for (k, (s, l)) in series.iter().zip(&looks).enumerate() {
        let valued = |p: &&SweepPoint| drawable(p.x) && p.y.is_finite();
        for run in runs(&s.points, valued).into_iter().filter(|r| r.len() > 1) {
            let line: Vec<(f64, f64)> = run.iter().map(|p| (p.x, p.y)).collect();
            let style = l.color.stroke_width(2);
            if let Some(t) = chart::turn(&same, k) {
                chart::draw_in_turn(&mut chart, &line, l.color, t)?;
                continue;
            }
            match l.dash.pattern() {
                None => {
                    chart.draw_series(LineSeries::new(line, style))?;
                }
                Some((on, off)) => {
                    chart.draw_series(DashedLineSeries::new(line, on, off, style))?;
                }
            }
        }
    }
    let (bx, by) = plot.get_base_pixel();
    for (s, l) in series.iter().zip(&looks) {
        for p in s.points.iter().filter(|p| drawable(p.x) && p.y.is_finite()) {
            let (x, y) = chart.backend_coord(&(p.x, p.y));
            draw_marker(plot, (x - bx, y - by), l.marker, l.color, l.hollow)?;
        }
    }
    Ok(())
}

/// The runs of consecutive points that pass `keep`.
fn runs(points: &[SweepPoint], keep: impl Fn(&&SweepPoint) -> bool) -> Vec<&[SweepPoint]> {
    points
        .split(|p| !keep(&p))
        .filter(|run| !run.is_empty())
        .collect()
}

// ---------------------------------------------------------------------------
// The report's files and page.

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

/// Whether a sweep of `base` has prices: a model of the scenario has one
/// ([`chart::priced`]), or a swept key sets one (`…_per_mtok`). Without,
/// every wasted dollar is 0, and `sweep_wasted_usd` is left out.
pub fn priced(base: &crate::scenario::Scenario) -> bool {
    chart::priced(base)
        || base.sweep.as_ref().is_some_and(|s| {
            s.keys
                .iter()
                .any(|k| k.path.iter().any(|p| p.ends_with("_per_mtok")))
        })
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
fn chart_files(metric: SweepMetric) -> [String; 2] {
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
fn caption(metric: SweepMetric) -> &'static str {
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
fn with_ci(e: Estimate, f: fn(f64) -> String) -> String {
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

    h.push_str(&super::html::findings_list(&super::findings::of_sweep(
        data,
    )));
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
    h.push_str("</ul>\n</section>\n</main>\n</body>\n</html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sweep::SweepRow;

    const NAN: f64 = f64::NAN;

    fn e(value: f64, ci95_low: f64, ci95_high: f64) -> Estimate {
        Estimate {
            value,
            ci95_low,
            ci95_high,
        }
    }

    fn axis(key: &str, values: &[f64], seconds: bool, log: bool) -> SweepAxis {
        SweepAxis {
            key: key.into(),
            values: values.to_vec(),
            seconds,
            log,
        }
    }

    fn data(axes: Vec<SweepAxis>, strategies: &[&str], rows: Vec<SweepRow>) -> SweepData {
        SweepData {
            scenario: "herd".into(),
            description: "Clients against one limiter".into(),
            replications: 3,
            precision: None,
            axes,
            strategies: strategies.iter().map(|s| s.to_string()).collect(),
            rows,
            recovery: None,
            priced: true,
            stream: false,
        }
    }

    fn row(point: usize, strategy: usize, metrics: [Estimate; 4]) -> SweepRow {
        SweepRow::new(point, strategy, 3, metrics, NAN)
    }

    /// `workload.clients` at 10, 100, 1000 (log); two strategies. linear
    /// succeeds 100%, 50%, 0%: no time to success at 1000 clients.
    fn one_axis() -> SweepData {
        let clients = axis("workload.clients", &[10.0, 100.0, 1000.0], false, true);
        let rows = vec![
            row(
                0,
                0,
                [
                    e(1.0, 0.95, 1.0),
                    e(2.0, 1.5, 2.5),
                    e(1.0, 1.0, 1.0),
                    e(0.0, 0.0, 0.0),
                ],
            ),
            row(
                0,
                1,
                [
                    e(1.0, 1.0, 1.0),
                    e(1.0, 0.5, 1.5),
                    e(1.0, 1.0, 1.0),
                    e(0.0, 0.0, 0.0),
                ],
            ),
            row(
                1,
                0,
                [
                    e(0.5, 0.4, 0.6),
                    e(20.0, 18.0, 22.0),
                    e(3.0, 2.5, 3.5),
                    e(0.25, 0.2, 0.3),
                ],
            ),
            row(
                1,
                1,
                [
                    e(0.75, 0.7, 0.8),
                    e(9.0, 8.0, 10.0),
                    e(2.0, 1.5, 2.5),
                    e(0.1, 0.05, 0.15),
                ],
            ),
            row(
                2,
                0,
                [
                    e(0.0, 0.0, 0.0),
                    e(NAN, NAN, NAN),
                    e(8.0, 7.0, 9.0),
                    e(1.5, 1.0, 2.0),
                ],
            ),
            row(
                2,
                1,
                [
                    e(0.25, 0.2, 0.3),
                    e(30.0, 25.0, 35.0),
                    e(4.0, 3.0, 5.0),
                    e(0.5, 0.4, 0.6),
                ],
            ),
        ];
        data(vec![clients], &["linear", "full-jitter"], rows)
    }

    /// Metrics of point `p`, strategy `s` of the multi-key fixtures: a
    /// success rate of (p mod 4)/4 + s/8 (± 1/16), a time to success of
    /// p + 1 s (none for linear at point 2), 1 + p attempts, s USD wasted
    /// (one replication's worth: no bounds).
    fn grid_metrics(p: usize, s: usize) -> [Estimate; 4] {
        let v = (p % 4) as f64 / 4.0 + s as f64 / 8.0;
        let tts = if (p, s) == (2, 0) {
            NAN
        } else {
            p as f64 + 1.0
        };
        [
            e(v, v - 0.0625, v + 0.0625),
            e(tts, tts - 0.5, tts + 0.5),
            e(1.0 + p as f64, 1.0 + p as f64, 1.0 + p as f64),
            e(s as f64, NAN, NAN),
        ]
    }

    fn grid(axes: Vec<SweepAxis>, strategies: &[&str]) -> SweepData {
        let points: usize = axes.iter().map(|a| a.values.len()).product();
        let rows = (0..points)
            .flat_map(|p| (0..strategies.len()).map(move |s| row(p, s, grid_metrics(p, s))))
            .collect();
        data(axes, strategies, rows)
    }

    /// `workload.clients` 10, 100 × `limiter.requests_per_minute` 600,
    /// 1200: points 0 (10, 600), 1 (10, 1200), 2 (100, 600), 3 (100, 1200).
    fn two_axes() -> SweepData {
        grid(
            vec![
                axis("workload.clients", &[10.0, 100.0], false, false),
                axis(
                    "limiter.requests_per_minute",
                    &[600.0, 1200.0],
                    false,
                    false,
                ),
            ],
            &["linear", "jitter"],
        )
    }

    /// Three keys: 2 × 3 × 3 points, 9 combinations of the last two.
    fn three_axes() -> SweepData {
        grid(
            vec![
                axis("workload.clients", &[10.0, 100.0], false, true),
                axis(
                    "limiter.requests_per_minute",
                    &[600.0, 1200.0, 2400.0],
                    false,
                    false,
                ),
                axis("strategy.*.backoff.base", &[0.5, 1.0, 2.0], true, false),
            ],
            &["linear", "jitter"],
        )
    }

    /// `d` as if its scenario had `[report.recovery]`: point p, strategy
    /// s recovered in a share ((p + s) mod 4) / 2, NaN for 3 (0, 0.5, 1
    /// or no value).
    fn with_recovery(mut d: SweepData) -> SweepData {
        d.recovery = Some(crate::scenario::Recovery {
            after: 60_000_000_000,
            within: 90_000_000_000,
            window: 10_000_000_000,
            goodput: 0.9,
            rate_per_s: 80.0,
        });
        for r in &mut d.rows {
            r.recovered = match (r.point + r.strategy) % 4 {
                3 => NAN,
                k => k as f64 / 2.0,
            };
        }
        d
    }

    /// (x, y, low, high) of a series; NaN compares equal to NaN.
    fn check(s: &SweepSeries, want: &[(f64, f64, f64, f64)]) {
        let got: Vec<[u64; 4]> = s
            .points
            .iter()
            .map(|p| [p.x, p.y, p.low, p.high].map(f64::to_bits))
            .collect();
        let want: Vec<[u64; 4]> = want
            .iter()
            .map(|&(x, y, l, h)| [x, y, l, h].map(f64::to_bits))
            .collect();
        assert_eq!(got, want, "{}", s.label);
    }

    #[test]
    fn one_key_series_are_the_rows_in_percent() {
        let d = one_axis();
        let s = series(SweepMetric::SuccessRate, &d);
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].label.as_str(), s[0].strategy, s[0].style),
            ("linear", 0, 0)
        );
        assert_eq!(
            (s[1].label.as_str(), s[1].strategy, s[1].style),
            ("full-jitter", 1, 0)
        );
        check(
            &s[0],
            &[
                (10.0, 100.0, 95.0, 100.0),
                (100.0, 50.0, 40.0, 60.0),
                (1000.0, 0.0, 0.0, 0.0),
            ],
        );
        check(
            &s[1],
            &[
                (10.0, 100.0, 100.0, 100.0),
                (100.0, 75.0, 70.0, 80.0),
                (1000.0, 25.0, 20.0, 30.0),
            ],
        );
        // Seconds as they are; the undefined point stays, as a gap.
        let s = series(SweepMetric::TtsP99, &d);
        check(
            &s[0],
            &[
                (10.0, 2.0, 1.5, 2.5),
                (100.0, 20.0, 18.0, 22.0),
                (1000.0, NAN, NAN, NAN),
            ],
        );
        let s = series(SweepMetric::WastedUsd, &d);
        check(
            &s[1],
            &[
                (10.0, 0.0, 0.0, 0.0),
                (100.0, 0.1, 0.05, 0.15),
                (1000.0, 0.5, 0.4, 0.6),
            ],
        );
    }

    #[test]
    fn points_run_in_increasing_x() {
        let mut d = one_axis();
        d.axes[0].values = vec![1000.0, 10.0, 100.0];
        let s = series(SweepMetric::AttemptsPerRequest, &d);
        check(
            &s[0],
            &[
                (10.0, 3.0, 2.5, 3.5),
                (100.0, 8.0, 7.0, 9.0),
                (1000.0, 1.0, 1.0, 1.0),
            ],
        );
    }

    #[test]
    fn other_keys_make_one_series_per_combination() {
        let d = two_axes();
        let s = series(SweepMetric::SuccessRate, &d);
        let labels: Vec<(&str, usize, usize)> = s
            .iter()
            .map(|s| (s.label.as_str(), s.strategy, s.style))
            .collect();
        assert_eq!(
            labels,
            vec![
                ("linear · limiter.requests_per_minute=600", 0, 0),
                ("linear · limiter.requests_per_minute=1200", 0, 1),
                ("jitter · limiter.requests_per_minute=600", 1, 0),
                ("jitter · limiter.requests_per_minute=1200", 1, 1),
            ]
        );
        // linear at 600/min: points 0 (10 clients) and 2 (100 clients),
        // success 0/4 and 2/4, ± 1/16.
        check(
            &s[0],
            &[(10.0, 0.0, -6.25, 6.25), (100.0, 50.0, 43.75, 56.25)],
        );
        check(
            &s[1],
            &[(10.0, 25.0, 18.75, 31.25), (100.0, 75.0, 68.75, 81.25)],
        );
        check(
            &s[2],
            &[(10.0, 12.5, 6.25, 18.75), (100.0, 62.5, 56.25, 68.75)],
        );
        check(
            &s[3],
            &[(10.0, 37.5, 31.25, 43.75), (100.0, 87.5, 81.25, 93.75)],
        );
        // No time to success for linear at point 2: a gap.
        let s = series(SweepMetric::TtsP99, &d);
        check(&s[0], &[(10.0, 1.0, 0.5, 1.5), (100.0, NAN, NAN, NAN)]);
        let s = series(SweepMetric::WastedUsd, &d);
        check(&s[3], &[(10.0, 1.0, NAN, NAN), (100.0, 1.0, NAN, NAN)]);
    }

    #[test]
    fn at_most_four_combinations_are_drawn() {
        assert_eq!(drawn_combinations(0), Vec::<usize>::new());
        assert_eq!(drawn_combinations(1), vec![0]);
        assert_eq!(drawn_combinations(4), vec![0, 1, 2, 3]);
        // 9 combinations: 0, 8/3 → 3, 16/3 → 5, 8.
        assert_eq!(drawn_combinations(9), vec![0, 3, 5, 8]);
        let d = three_axes();
        let s = series(SweepMetric::AttemptsPerRequest, &d);
        assert_eq!(s.len(), 2 * 4);
        // Combination 5 is (1200/min, 2 s): points 5 and 9 + 5 = 14.
        assert_eq!(
            s[2].label,
            "linear · limiter.requests_per_minute=1200 · strategy.*.backoff.base=2s"
        );
        check(&s[2], &[(10.0, 6.0, 6.0, 6.0), (100.0, 15.0, 15.0, 15.0)]);
        assert_eq!(
            s[4].label,
            "jitter · limiter.requests_per_minute=600 · strategy.*.backoff.base=0.5s"
        );
    }

    #[test]
    fn subtitle_says_how_many_replications() {
        let mut d = one_axis();
        assert_eq!(subtitle(&d), "herd · mean of 3 replications per point");
        d.precision = Some(0.005);
        assert_eq!(subtitle(&d), "herd · mean of 3 replications per point");
        d.rows[3].replications = 12;
        assert_eq!(
            subtitle(&d),
            "herd · 3–12 replications per point, until the 95% CI of the success rate was under ±0.5%"
        );
        d.rows.clear();
        d.replications = 1;
        assert_eq!(subtitle(&d), "herd · mean of 1 replication per point");
        assert_eq!(x_title(&one_axis()), "workload.clients (log scale)");
        assert_eq!(x_title(&two_axes()), "workload.clients");
        let mut d = one_axis();
        d.axes[0] = axis("server.latency", &[0.1, 1.0], true, false);
        assert_eq!(x_title(&d), "server.latency (s)");
    }

    /// The texts of an SVG document; checks that it parses and that no
    /// rectangle or circle has a negative size.
    fn svg_texts(svg: &str, what: &str) -> Vec<String> {
        let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg", "{what}");
        for n in doc.descendants() {
            for dim in ["width", "height", "r"] {
                if let Some(v) = n.attribute(dim) {
                    let v: f64 = v.parse().expect("a number");
                    assert!(
                        v >= 0.0,
                        "{what}: <{}> with {dim} = {v}",
                        n.tag_name().name()
                    );
                }
            }
        }
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| n.text().unwrap_or("").trim().to_string())
            .collect()
    }

    /// Width, height and the share of non-white pixels of a PNG.
    fn png_inked(png: &[u8]) -> (u32, u32, f64) {
        let mut reader = png::Decoder::new(png).read_info().expect("PNG header");
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).expect("PNG data");
        let inked = buf[..info.buffer_size()]
            .chunks(3)
            .filter(|p| p != &[255, 255, 255])
            .count();
        let share = inked as f64 / f64::from(info.width * info.height);
        (info.width, info.height, share)
    }

    #[test]
    fn a_coinciding_line_is_named_in_the_legend() {
        // A third strategy "copy" with the values of the first, "linear",
        // at every point.
        let d = one_axis();
        let mut rows = Vec::new();
        for point in 0..3 {
            let at = |s: usize| {
                d.rows
                    .iter()
                    .find(|r| r.point == point && r.strategy == s)
                    .expect("a row")
                    .clone()
            };
            rows.extend([
                at(0),
                at(1),
                SweepRow {
                    strategy: 2,
                    ..at(0)
                },
            ]);
        }
        let d = data(d.axes.clone(), &["linear", "full-jitter", "copy"], rows);
        for m in SweepMetric::ALL {
            let svg = render_svg(m, &d, Frame::FILE).expect("svg");
            let texts = svg_texts(&svg, m.chart_name());
            assert!(
                texts.iter().any(|t| t == "copy (same as linear)"),
                "{texts:?}"
            );
            assert!(texts.iter().any(|t| t == "full-jitter"), "{texts:?}");
        }
    }

    #[test]
    fn svgs_name_every_strategy_and_axis() {
        for (d, x) in [
            (one_axis(), "workload.clients (log scale)"),
            (two_axes(), "workload.clients"),
        ] {
            for m in SweepMetric::ALL {
                let svg = render_svg(m, &d, Frame::FILE).expect("svg");
                let what = format!("{} {}", d.axes.len(), m.name());
                let texts = svg_texts(&svg, &what);
                let has = |s: &str| texts.iter().any(|t| t == s);
                assert!(has(m.title()), "{what}: no title");
                assert!(has(&subtitle(&d)), "{what}: no subtitle");
                assert!(has(x), "{what}: no x axis title");
                assert!(has(m.axis_title()), "{what}: no y axis title");
                for s in series(m, &d) {
                    assert!(has(&s.label), "{what}: no {}", s.label);
                }
                for name in &d.strategies {
                    assert!(texts.iter().any(|t| t.starts_with(name.as_str())));
                }
            }
        }
        // More series than the legend names one by one: strategies and
        // combinations apart, with a note on those left out.
        let d = grid(three_axes().axes, &["linear", "jitter", "capped"]);
        let texts = svg_texts(
            &render_svg(SweepMetric::SuccessRate, &d, Frame::FILE).expect("svg"),
            "three keys",
        );
        for t in [
            "linear",
            "jitter",
            "capped",
            "limiter.requests_per_minute=600 · strategy.*.backoff.base=0.5s",
            "limiter.requests_per_minute=2400 · strategy.*.backoff.base=2s",
            "4 of 9 combinations shown; all in sweep.csv",
        ] {
            assert!(texts.iter().any(|x| x == t), "three keys: no {t}");
        }
    }

    #[test]
    fn pngs_decode_at_their_size_and_are_not_blank() {
        let d = one_axis();
        for m in SweepMetric::ALL {
            let (w, h, inked) = png_inked(&render_png(m, &d, Frame::FILE).expect("png"));
            assert_eq!((w, h), (960, 540));
            assert!(inked > 0.01, "{}: {inked}", m.name());
        }
    }

    #[test]
    fn degenerate_sweeps_draw_without_panicking() {
        let mut cases: Vec<(&str, SweepData)> = Vec::new();
        let mut d = one_axis();
        d.rows.clear();
        cases.push(("no rows", d));
        cases.push((
            "one point",
            grid(
                vec![axis("workload.clients", &[50.0], false, false)],
                &["only"],
            ),
        ));
        let mut d = one_axis();
        for r in &mut d.rows {
            r.metrics[1] = e(NAN, NAN, NAN);
        }
        cases.push(("all NaN", d));
        let mut d = one_axis();
        d.strategies.truncate(1);
        d.rows.retain(|r| r.strategy == 0);
        cases.push(("one strategy", d));
        cases.push((
            "same x",
            grid(
                vec![axis("workload.clients", &[5.0, 5.0, 5.0], false, false)],
                &["a", "b"],
            ),
        ));
        cases.push((
            "zero x",
            grid(
                vec![axis("workload.clients", &[0.0, 0.0], false, false)],
                &["a"],
            ),
        ));
        cases.push((
            "log, one value",
            grid(
                vec![axis("workload.clients", &[100.0], false, true)],
                &["a", "b"],
            ),
        ));
        cases.push((
            "log with zero",
            grid(
                vec![axis("workload.clients", &[0.0, 10.0, 1000.0], false, true)],
                &["a"],
            ),
        ));
        let many: Vec<String> = (0..20)
            .map(|i| format!("strategy-{i:02}-with-a-name-long-enough-to-be-shortened"))
            .collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        cases.push((
            "20 strategies",
            grid(
                vec![axis(
                    "workload.clients",
                    &[10.0, 100.0, 1000.0],
                    false,
                    true,
                )],
                &many,
            ),
        ));
        cases.push((
            "20 strategies, 2 keys",
            grid(
                vec![
                    axis("workload.clients", &[10.0, 100.0], false, true),
                    axis(
                        "limiter.requests_per_minute",
                        &[600.0, 1200.0],
                        false,
                        false,
                    ),
                ],
                &many,
            ),
        ));
        cases.push(("3 keys", three_axes()));
        cases.push(("no keys", data(Vec::new(), &["a"], Vec::new())));
        cases.push((
            "empty key",
            data(
                vec![axis("workload.clients", &[], false, false)],
                &["a"],
                Vec::new(),
            ),
        ));
        let mut d = one_axis();
        d.strategies.clear();
        cases.push(("no strategies", d));
        let mut d = one_axis();
        for r in &mut d.rows {
            r.replications = 1;
            for m in &mut r.metrics {
                (m.ci95_low, m.ci95_high) = (NAN, NAN);
            }
        }
        cases.push(("one replication", d));
        for (what, d) in &cases {
            for m in SweepMetric::ALL {
                for frame in [Frame::FILE, Frame::NARROW] {
                    let svg = render_svg(m, d, frame).unwrap_or_else(|e| panic!("{what}: {e}"));
                    svg_texts(&svg, what);
                }
                let (w, h, _) = png_inked(&render_png(m, d, Frame::FILE).expect("png"));
                assert_eq!((w, h), (960, 540), "{what}");
            }
            let page = index_html(d, &[]);
            assert!(page.ends_with("</html>\n"), "{what}");
        }
    }

    #[test]
    fn a_sweep_without_prices_draws_no_wasted_dollars() {
        let mut d = two_axes();
        d.priced = false;
        let files = render_visuals(&d).expect("visuals");
        let names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
        // Three charts of two files each, and the page.
        assert_eq!(names.len(), 7);
        assert!(!names.iter().any(|n| n.starts_with("sweep_wasted_usd")));
        let page = String::from_utf8(files.last().unwrap().1.clone()).unwrap();
        assert!(page.contains("<figure id=\"sweep_wasted_usd\" class=\"left-out\">"));
        assert!(page.contains("sweeps no price, so every run wastes $0"));
        assert!(!page.contains("sweep_wasted_usd.png"));
    }

    #[test]
    fn visual_files_are_what_render_visuals_makes() {
        // Without [report.recovery]: no map.
        // A burst (not an open or closed loop): no goodput chart.
        let files = render_visuals(&two_axes()).expect("visuals");
        let names: Vec<String> = files.iter().map(|f| f.0.clone()).collect();
        let all: Vec<String> = visual_files()
            .into_iter()
            .filter(|n| !n.starts_with(SweepMetric::Goodput.chart_name()))
            .collect();
        let without_map: Vec<String> = all
            .iter()
            .filter(|n| !n.starts_with(map_chart::NAME))
            .cloned()
            .collect();
        assert_eq!(names, without_map);
        assert_eq!(names.len(), 9);
        assert_eq!(names[0], "sweep_success_rate.svg");
        assert_eq!(names[7], "sweep_wasted_usd.png");
        assert_eq!(names[8], "index.html");
        // With it (and two keys): every file.
        let files = render_visuals(&with_recovery(two_axes())).expect("visuals");
        let names: Vec<String> = files.iter().map(|f| f.0.clone()).collect();
        assert_eq!(names, all);
        assert_eq!(names[8], "sweep_recovered_map.svg");
        assert_eq!(names[9], "sweep_recovered_map.png");
        // One key: no map, even with [report.recovery].
        let files = render_visuals(&with_recovery(one_axis())).expect("visuals");
        assert_eq!(files.len(), 9);
    }

    #[test]
    fn page_holds_every_row_and_chart_and_loads_nothing() {
        let d = one_axis();
        let files = render_visuals(&d).expect("visuals");
        let page = String::from_utf8(files.last().expect("page").1.clone()).expect("utf-8");
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<h1>herd</h1>"));
        assert!(page.contains("<p class=\"description\">Clients against one limiter</p>"));
        assert!(
            !page.contains("http"),
            "the page refers to something outside"
        );
        assert_eq!(page.matches("<tr><td>").count(), d.rows.len());
        // linear at 100 clients, each metric ± its half-width; no time to
        // success at 1000 clients.
        assert!(page.contains(
            "<tr><td>100</td><td><span class=\"swatch\" style=\"background:#0072b2\"></span>linear</td>\
             <td>3</td><td>50.0% ± 10.0%</td><td>20s ± 2s</td><td>3.00 ± 0.50</td><td>0.2500 ± 0.0500</td></tr>"
        ));
        assert!(page.contains(
            "<tr><td>1000</td><td><span class=\"swatch\" style=\"background:#0072b2\"></span>linear</td>\
             <td>3</td><td>0.0% ± 0.0%</td><td>-</td><td>8.00 ± 1.00</td><td>1.5000 ± 0.5000</td></tr>"
        ));
        assert!(page.contains("background:#d55e00\"></span>full-jitter</td>"));
        for m in SweepMetric::ALL {
            assert!(page.contains(&format!("<figure id=\"{}\">", m.chart_name())));
            assert_eq!(
                page.matches(&format!("aria-label=\"{}\"", m.title()))
                    .count(),
                2
            );
            for f in chart_files(m) {
                assert!(page.contains(&format!("<a href=\"{f}\">")));
            }
        }
        for f in ["summary.csv", "sweep.csv", "scenario.toml"] {
            assert!(page.contains(&format!("<a href=\"{f}\"><code>{f}</code></a>")));
        }
        // Names are escaped; seconds are written as such.
        let mut d = two_axes();
        d.scenario = "a<b".into();
        d.axes[1] = axis("server.latency", &[0.25, 2.0], true, false);
        let page = index_html(&d, &[]);
        assert!(page.contains("<h1>a&lt;b</h1>"));
        assert!(page.contains("<title>a&lt;b — backsim sweep</title>"));
        assert!(page.contains("<tr><td>10</td><td>0.25s</td>"));
        assert!(page.contains("<tr><td>100</td><td>2s</td>"));
    }

    #[test]
    fn long_tables_show_the_first_500_rows() {
        let values: Vec<f64> = (1..=300).map(f64::from).collect();
        let d = grid(
            vec![axis("workload.clients", &values, false, false)],
            &["a", "b"],
        );
        assert_eq!(d.rows.len(), 600);
        let page = index_html(&d, &[]);
        assert_eq!(page.matches("<tr><td>").count(), 500);
        assert!(page.contains("The first 500 rows of 600: the other 100 are in"));
        // Row 500 is point 249 (x = 250), strategy b; row 501 is not shown.
        assert!(page.contains(
            "<tr><td>250</td><td><span class=\"swatch\" style=\"background:#d55e00\"></span>b</td>"
        ));
        assert!(!page.contains("<tr><td>251</td>"));
    }

    #[test]
    fn half_widths_are_the_wider_side() {
        assert_eq!(with_ci(e(0.02, 0.0, 0.05), pct), "2.0% ± 3.0%");
        assert_eq!(with_ci(e(1.5, NAN, NAN), secs), "1.5s");
        assert_eq!(with_ci(e(NAN, NAN, NAN), ratio), "-");
    }
}
