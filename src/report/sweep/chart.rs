//! A sweep's charts, one per key metric, each as SVG and PNG. The
//! recovery map, drawn for scenarios with `[report.recovery]`, is in
//! [`super::map_chart`]; the page ([`super::page`]) shows it after these.
//!
//! Each chart plots one [`SweepMetric`] against the first swept key
//! (`axes[0]`, on a logarithmic axis when the sweep says so and every
//! value is positive): one line per strategy, with a marker at each point
//! and the 95% confidence interval as a translucent band in the
//! strategy's colour. A point without a value (NaN: nothing to time, no
//! request) breaks its line; a band is drawn only where both bounds are
//! defined (a single such point gets a translucent bar instead).
//! Colours, fonts, frames, the title block, the legend strip and the grid
//! are the plotting kit's ([`crate::report::plot`]); as there, strategies
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
//!   one's ([`crate::report::plot::same_as`]) is drawn over it in turns, as in the run
//!   charts, and named as such in the legend (`aws-quota (same as
//!   no-guard)`), where the label fits.

use super::data::{Estimate, SweepAxis, SweepData, SweepMetric, grid_indices};
use crate::Error;
use crate::format::fmt_num;
use crate::report::plot::{
    self, Area, DrawResult, Drawing, Frame, INK, LEGEND_SYMBOL, MUTED, dashed, fit, fmt_tick,
    legend_height, legend_label_room, legend_rows, legend_strip, log_ticks, mesh, nice_125,
    no_data, shorten, strategy_color, text,
};
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// The most combinations of the other swept keys a chart draws: one per
/// dash pattern and marker shape.
pub const MAX_COMBINATIONS: usize = 4;

/// Up to this many series, the legend names each one; past it, strategies
/// and combinations separately.
pub const MAX_SERIES_KEYS: usize = 8;

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
pub(crate) fn combinations(data: &SweepData) -> usize {
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
pub(crate) fn log_x(axis: &SweepAxis) -> bool {
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
pub(crate) fn replications_note(data: &SweepData) -> String {
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

/// One sweep chart as an SVG document.
pub fn render_svg(metric: SweepMetric, data: &SweepData, frame: Frame) -> Result<String, Error> {
    plot::svg_of(
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
    plot::png_of(
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
pub(crate) fn legend<DB: DrawingBackend>(
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
/// ([`plot::same_as`]).
fn same_lines(series: &[SweepSeries]) -> Vec<Option<usize>> {
    plot::same_as(
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
            if let Some(t) = plot::turn(&same, k) {
                plot::draw_in_turn(&mut chart, &line, l.color, t)?;
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
pub(crate) fn runs(
    points: &[SweepPoint],
    keep: impl Fn(&&SweepPoint) -> bool,
) -> Vec<&[SweepPoint]> {
    points
        .split(|p| !keep(&p))
        .filter(|run| !run.is_empty())
        .collect()
}
