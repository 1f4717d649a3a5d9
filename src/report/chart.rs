//! The report's charts, each as SVG and PNG.
//!
//! Every chart is drawn in two steps: a *data-preparation* function turns
//! the report's data ([`ReportData`], read back from the CSV files) into
//! exactly the numbers the chart plots (tested against the CSV files), and
//! a drawing function puts them on a plotters backend. The same drawing
//! code serves the SVG and the PNG backend, so both show the same picture.
//!
//! Text in PNGs is rasterised from DejaVu Sans, embedded in the binary and
//! registered once: no system font library is needed (or linked).
//! Strategies keep one colour across every chart of a report, taken in
//! scenario order from the Okabe–Ito palette, which stays distinguishable
//! for the common forms of colour blindness; past seven strategies the
//! colours repeat with dashed lines.

use super::csv::{attempts_range, distribution_share};
use super::fmt_num;
use super::read::ReportData;
use crate::Error;
use crate::scenario::Scenario;
use crate::time::as_secs_f64;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};
use std::sync::OnceLock;

/// A chart's canvas: its size in pixels and whether it carries its own
/// title (a standalone file does; a chart on the page under a heading
/// need not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub width: u32,
    pub height: u32,
    pub titled: bool,
}

impl Frame {
    /// The chart files, `<name>.svg` and `<name>.png`.
    pub const FILE: Frame = Frame {
        width: 960,
        height: 540,
        titled: true,
    };
    /// The narrow variant `index.html` shows on phone-width screens: the
    /// same text sizes on a smaller canvas, so that text stays legible
    /// when the browser scales it to the screen.
    pub const NARROW: Frame = Frame {
        width: 480,
        height: 480,
        titled: false,
    };
}

/// The charts of a report, in the order the page shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    LoadOverTime,
    TimeToSuccessCdf,
    SuccessRate,
    Cost,
    Attempts,
}

impl Chart {
    /// Every chart, in page order.
    pub const ALL: [Chart; 5] = [
        Chart::LoadOverTime,
        Chart::TimeToSuccessCdf,
        Chart::SuccessRate,
        Chart::Cost,
        Chart::Attempts,
    ];

    /// The file stem: `<name>.svg` and `<name>.png`.
    pub fn name(self) -> &'static str {
        match self {
            Chart::LoadOverTime => "load_over_time",
            Chart::TimeToSuccessCdf => "time_to_success_cdf",
            Chart::SuccessRate => "success_rate",
            Chart::Cost => "cost",
            Chart::Attempts => "attempts",
        }
    }

    /// Its files: `<name>.svg` and `<name>.png`.
    pub fn files(self) -> [String; 2] {
        [
            format!("{}.svg", self.name()),
            format!("{}.png", self.name()),
        ]
    }

    /// Why the chart is left out of the report of `scenario`, if it is:
    /// a chart that would show nothing whatever the run gives. Only the
    /// scenario decides, so that the report's files are known before it
    /// runs. The cost chart needs prices: without `[pricing]` (on the
    /// main model or a `[[model]]`) every bar would be $0.
    pub fn left_out(self, scenario: &Scenario) -> Option<&'static str> {
        match self {
            Chart::Cost if !priced(scenario) => Some(
                "Not drawn: the scenario sets no [pricing], so every run costs $0. \
                 Add a [pricing] table (a built-in model or prices per million tokens) to compare costs.",
            ),
            _ => None,
        }
    }

    /// The charts a report of `scenario` draws, in page order.
    pub fn drawn_for(scenario: &Scenario) -> Vec<Chart> {
        Chart::ALL
            .into_iter()
            .filter(|c| c.left_out(scenario).is_none())
            .collect()
    }

    /// The chart's title.
    pub fn title(self) -> &'static str {
        match self {
            Chart::LoadOverTime => "Load on the provider: attempts arriving per second",
            Chart::TimeToSuccessCdf => "Time to success: share of requests succeeded within t",
            Chart::SuccessRate => "Success rate per strategy",
            Chart::Cost => "Cost per run: useful and wasted tokens",
            Chart::Attempts => "Attempts per request",
        }
    }

    /// The axis titles (x, y), with units.
    pub fn axis_titles(self) -> (&'static str, &'static str) {
        match self {
            Chart::LoadOverTime => ("simulated time (s)", "attempts arriving per second (1/s)"),
            Chart::TimeToSuccessCdf => (
                "time from first attempt to success (s, log scale)",
                "requests succeeded (%)",
            ),
            Chart::SuccessRate => ("requests succeeded (%), whiskers: 95% CI", ""),
            Chart::Cost => ("USD per run (mean over replications)", ""),
            Chart::Attempts => (
                "attempts made by a request (count, first try included)",
                "ended requests (%)",
            ),
        }
    }
}

/// Whether any model of `scenario` has a price: without one every cost
/// is 0.
pub fn priced(scenario: &Scenario) -> bool {
    std::iter::once(&scenario.pricing)
        .chain(scenario.models.iter().map(|m| &m.pricing))
        .any(|p| p.input_per_mtok > 0.0 || p.output_per_mtok > 0.0)
}

// ---------------------------------------------------------------------------
// Data preparation: what each chart plots, from the report's data.

/// One strategy's line: `(x, y)` points in the chart's units.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub strategy: String,
    pub points: Vec<(f64, f64)>,
}

/// What `load_over_time` plots.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOverTime {
    /// Width of a time-series bucket, in seconds.
    pub bucket_s: f64,
    /// Where the time axis ends: the end of the last bucket with any
    /// attempt, or of the last outage inside the horizon if later.
    pub end_s: f64,
    /// The most attempts per second the binding limit admits in the long
    /// run (its refill over the mean cost of an attempt), and the legend's
    /// words for it; `None` without limits.
    pub limit: Option<(f64, String)>,
    /// Outage windows `(start, end)` in seconds, clipped to the horizon.
    pub outages: Vec<(f64, f64)>,
    /// Per strategy, `(bucket start in s, attempts per second in that
    /// bucket)`: `attempts` of `timeseries.csv` over the bucket width.
    pub lines: Vec<Line>,
}

/// Prepares `load_over_time`.
pub fn load_over_time(data: &ReportData) -> LoadOverTime {
    let s = &data.scenario;
    let bucket_s = as_secs_f64(s.report.bucket);
    let horizon_s = as_secs_f64(s.horizon);
    let lines: Vec<Line> = data
        .result
        .strategies
        .iter()
        .map(|st| Line {
            strategy: st.summary.strategy.clone(),
            points: st
                .series
                .iter()
                .map(|p| (p.t_s, p.attempts / bucket_s))
                .collect(),
        })
        .collect();
    let outages: Vec<(f64, f64)> = s
        .server
        .outages
        .iter()
        .map(|o| {
            let start = as_secs_f64(o.start);
            (start, (start + as_secs_f64(o.duration)).min(horizon_s))
        })
        .filter(|(a, b)| a < b)
        .collect();
    let last_active = lines
        .iter()
        .flat_map(|l| l.points.iter())
        .filter(|(_, y)| *y > 0.0)
        .map(|(t, _)| t + bucket_s)
        .fold(0.0, f64::max);
    let end_s = outages
        .iter()
        .map(|o| o.1)
        .fold(last_active, f64::max)
        .max(bucket_s);
    LoadOverTime {
        bucket_s,
        end_s,
        limit: limit_line(data),
        outages,
        lines,
    }
}

/// Prepares `time_to_success_cdf`: per strategy, `(t in s, share of
/// requests succeeded within t)` from `tts_cdf.csv`. Each line ends at the
/// strategy's success rate.
pub fn time_to_success_cdf(data: &ReportData) -> Vec<Line> {
    data.result
        .strategies
        .iter()
        .map(|st| Line {
            strategy: st.summary.strategy.clone(),
            points: st.tts_cdf.iter().map(|p| (p.t_s, p.share)).collect(),
        })
        .collect()
}

/// One bar with its 95% confidence half-width.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub strategy: String,
    pub value: f64,
    /// NaN with a single replication.
    pub ci95: f64,
}

/// Prepares `success_rate`: `success_rate` and `success_rate_ci95` of
/// `summary.csv`.
pub fn success_rate(data: &ReportData) -> Vec<Bar> {
    data.result
        .strategies
        .iter()
        .map(|st| Bar {
            strategy: st.summary.strategy.clone(),
            value: st.summary.success_rate,
            ci95: st.summary.success_rate_ci95,
        })
        .collect()
}

/// One stacked cost bar.
#[derive(Debug, Clone, PartialEq)]
pub struct CostBar {
    pub strategy: String,
    pub useful_usd: f64,
    pub wasted_usd: f64,
}

/// Prepares `cost`: `useful_usd` and `wasted_usd` of `summary.csv`.
pub fn cost(data: &ReportData) -> Vec<CostBar> {
    data.result
        .strategies
        .iter()
        .map(|st| CostBar {
            strategy: st.summary.strategy.clone(),
            useful_usd: st.summary.useful_usd,
            wasted_usd: st.summary.wasted_usd,
        })
        .collect()
}

/// Prepares `attempts`: per strategy, `(attempts, share of ended
/// requests)` from `attempts.csv`, for every attempt count listed there.
pub fn attempts(data: &ReportData) -> Vec<Line> {
    let range = attempts_range(
        data.result
            .strategies
            .iter()
            .map(|s| s.summary.attempts_distribution.as_slice()),
    );
    data.result
        .strategies
        .iter()
        .map(|st| Line {
            strategy: st.summary.strategy.clone(),
            points: range
                .into_iter()
                .flat_map(|(first, last)| first..=last)
                .map(|k| {
                    (
                        k as f64,
                        distribution_share(&st.summary.attempts_distribution, k),
                    )
                })
                .collect(),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Line charts that stay readable: coinciding lines, many lines, busy lines.

/// Two lines coincide when they have the same x values and their y values
/// differ nowhere by more than this share of the largest value the chart
/// draws: a millionth, a 2,500th of a pixel on a 400-pixel-high plot. (The
/// CSV files keep 9 decimals, so strategies that behaved alike are exactly
/// equal; the tolerance only absorbs rounding.)
pub const SAME_LINE_TOLERANCE: f64 = 1e-6;

/// A line chart overlays at most this many strategies; with more it
/// draws one panel per strategy. Six lines keep six palette colours apart
/// on 960 × 540 pixels; from seven on, colours repeat and step lines
/// cross too often to be followed.
pub const MAX_OVERLAID: usize = 6;

/// A line that jumps back and forth, on average from one x value to the
/// next, by more than this share of the plot's height is "busy": it
/// oscillates, and its vertical strokes paint over the lines behind it.
/// A chart with a busy line and any other draws one panel per strategy.
/// The noise of a steady load jumps by about 3–5% of the height per
/// bucket (the shipped scenarios); a line swinging between 0 and its peak
/// every few buckets, by half the height and more. A line that only
/// climbs (a distribution function) is never busy.
pub const BUSY_JUMP: f64 = 0.25;

/// How a line chart lays out its strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Every line on one plot.
    Overlaid,
    /// One panel per strategy, on shared axes: more than
    /// [`MAX_OVERLAID`] strategies.
    PanelsForMany,
    /// One panel per strategy, on shared axes: the line of this strategy
    /// (the first such) is busy ([`BUSY_JUMP`]).
    PanelsForBusy(usize),
}

/// What a line chart draws and how: its lines as drawn (in the chart's
/// units), which coincide, and its layout.
#[derive(Debug, Clone, PartialEq)]
pub struct LinePlan {
    pub lines: Vec<Vec<(f64, f64)>>,
    /// Per strategy, the first earlier strategy whose line it coincides
    /// with ([`same_as`]).
    pub same_as: Vec<Option<usize>>,
    pub layout: Layout,
}

/// For each line, the first earlier line it coincides with
/// ([`SAME_LINE_TOLERANCE`]); `None` for a line that coincides with no
/// earlier one. A line is only compared with lines that are not
/// themselves the same as an earlier one, so each group of coinciding
/// lines is named after its first member. Empty lines coincide with
/// nothing.
pub fn same_as(lines: &[Vec<(f64, f64)>]) -> Vec<Option<usize>> {
    let scale = lines
        .iter()
        .flatten()
        .map(|p| p.1.abs())
        .filter(|y| y.is_finite())
        .fold(0.0, f64::max);
    let tolerance = SAME_LINE_TOLERANCE * scale;
    let close = |a: f64, b: f64| (a - b).abs() <= tolerance || (a.is_nan() && b.is_nan());
    let coincide = |a: &[(f64, f64)], b: &[(f64, f64)]| {
        !a.is_empty()
            && a.len() == b.len()
            && a.iter().zip(b).all(|(p, q)| p.0 == q.0 && close(p.1, q.1))
    };
    let mut out: Vec<Option<usize>> = Vec::with_capacity(lines.len());
    for line in lines {
        let first = (0..out.len()).find(|&i| out[i].is_none() && coincide(&lines[i], line));
        out.push(first);
    }
    out
}

/// How far a line jumps back and forth on average from one x value to
/// the next (a step line: from one bucket to the next), in heights of a
/// plot whose axis spans `0..y_top`: the length of its path up and down,
/// less the net change from its first value to its last, per step.
pub fn mean_jump(points: &[(f64, f64)], y_top: f64) -> f64 {
    let path: f64 = points
        .windows(2)
        .map(|w| (w[1].1 - w[0].1).abs())
        .filter(|d| d.is_finite())
        .sum();
    let net = match (points.first(), points.last()) {
        (Some(a), Some(b)) if (b.1 - a.1).is_finite() => (b.1 - a.1).abs(),
        _ => 0.0,
    };
    let path = (path - net).max(0.0);
    let mut xs: Vec<f64> = points.iter().map(|p| p.0).collect();
    xs.dedup();
    let steps = xs.len().saturating_sub(1);
    if steps == 0 || y_top.is_nan() || y_top <= 0.0 {
        0.0
    } else {
        path / steps as f64 / y_top
    }
}

/// The layout of a line chart of `lines` on an axis spanning `0..y_top`:
/// panels for more than [`MAX_OVERLAID`] lines, or for a busy line among
/// others ([`BUSY_JUMP`]); otherwise overlaid.
pub fn layout(lines: &[Vec<(f64, f64)>], y_top: f64) -> Layout {
    if lines.len() > MAX_OVERLAID {
        return Layout::PanelsForMany;
    }
    if lines.len() > 1
        && let Some(i) = lines.iter().position(|l| mean_jump(l, y_top) > BUSY_JUMP)
    {
        return Layout::PanelsForBusy(i);
    }
    Layout::Overlaid
}

/// The plan of `chart` if it is a line chart (`load_over_time`,
/// `time_to_success_cdf`); `None` for the bar charts, whose bars sit side
/// by side, so that equal bars stay visible.
pub fn line_plan(chart: Chart, data: &ReportData) -> Option<LinePlan> {
    let (lines, y_top) = match chart {
        Chart::LoadOverTime => {
            let d = load_over_time(data);
            (load_steps(&d), load_top(&d))
        }
        Chart::TimeToSuccessCdf => (cdf_percent(&time_to_success_cdf(data)), 100.0),
        _ => return None,
    };
    Some(LinePlan {
        same_as: same_as(&lines),
        layout: layout(&lines, y_top),
        lines,
    })
}

/// The pieces of the path through `pixels` that lie in the first `dash`
/// pixels of each `period` pixels of its length, counted from `phase`:
/// one member's share of a line that several coinciding strategies draw
/// in turn.
pub fn dash_pieces(
    pixels: &[(f64, f64)],
    dash: f64,
    period: f64,
    phase: f64,
) -> Vec<Vec<(i32, i32)>> {
    let at = |a: (f64, f64), b: (f64, f64), t: f64| {
        let p = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
        (p.0.round() as i32, p.1.round() as i32)
    };
    let mut pieces: Vec<Vec<(i32, i32)>> = Vec::new();
    let mut open = false;
    let mut walked = 0.0;
    for w in pixels.windows(2) {
        let (a, b) = (w[0], w[1]);
        let len = (b.0 - a.0).hypot(b.1 - a.1);
        if len.is_nan() || len <= 0.0 {
            continue;
        }
        let mut u = 0.0;
        while u < len {
            let r = (walked + u - phase).rem_euclid(period);
            if r < dash {
                let end = (u + dash - r).min(len);
                if !open {
                    pieces.push(vec![at(a, b, u / len)]);
                    open = true;
                }
                let piece = pieces.last_mut().expect("just opened");
                piece.push(at(a, b, end / len));
                if end < len {
                    open = false;
                }
                u = end;
            } else {
                open = false;
                u += period - r;
            }
        }
        walked += len;
    }
    pieces
}

// ---------------------------------------------------------------------------
// Colours and fonts.

/// The Okabe–Ito palette without black (kept for reference lines), in the
/// order strategies take it.
const PALETTE: [RGBColor; 7] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];

/// The colour of the `i`-th strategy of a report (scenario order), as
/// `#rrggbb`, the same in every chart and on the page.
pub fn strategy_color_hex(i: usize) -> String {
    let RGBColor(r, g, b) = strategy_color(i);
    format!("#{r:02x}{g:02x}{b:02x}")
}

pub(crate) fn strategy_color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Strategies past the palette's length are drawn dashed.
pub(crate) fn dashed(i: usize) -> bool {
    i >= PALETTE.len()
}

/// A strategy colour mixed with white: the "wasted" part of a cost bar.
fn pale(c: RGBColor) -> RGBColor {
    let mix = |x: u8| ((u16::from(x) + 2 * 255) / 3) as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

pub(crate) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(crate) const MUTED: RGBColor = RGBColor(0x66, 0x66, 0x66);
pub(crate) const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
const SHADE: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
const FONT: &str = "sans-serif";

pub(crate) static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Registers the embedded font for plotters, once per process.
pub(crate) fn ensure_font() -> Result<(), Error> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok());
    if ok {
        Ok(())
    } else {
        Err(Error::Run(
            "the embedded chart font could not be loaded".into(),
        ))
    }
}

pub(crate) fn text(size: u32, color: RGBColor) -> TextStyle<'static> {
    (FONT, size).into_font().color(&color)
}

// ---------------------------------------------------------------------------
// Rendering.

/// One chart as an SVG document.
pub fn render_svg(chart: Chart, data: &ReportData, frame: Frame) -> Result<String, Error> {
    svg_of(&ReportChart { chart, data, frame }, frame)
}

/// One chart as a PNG image.
pub fn render_png(chart: Chart, data: &ReportData, frame: Frame) -> Result<Vec<u8>, Error> {
    png_of(&ReportChart { chart, data, frame }, frame)
}

/// A picture drawn the same way on the SVG and the PNG backend.
pub(crate) trait Drawing {
    /// The chart's file stem, for error messages.
    fn name(&self) -> &str;
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> DrawResult<DB>;
}

/// One of a report's charts, ready to draw.
struct ReportChart<'a> {
    chart: Chart,
    data: &'a ReportData,
    frame: Frame,
}

impl Drawing for ReportChart<'_> {
    fn name(&self) -> &str {
        self.chart.name()
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> DrawResult<DB> {
        draw(self.chart, self.data, self.frame, root)
    }
}

/// `drawing` on a `frame`-sized canvas, as an SVG document.
pub(crate) fn svg_of(drawing: &impl Drawing, frame: Frame) -> Result<String, Error> {
    ensure_font()?;
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (frame.width, frame.height)).into_drawing_area();
        drawing.draw(&root).map_err(|e| drawing_error(drawing, e))?;
        root.present().map_err(|e| drawing_error(drawing, e))?;
    }
    Ok(svg)
}

/// `drawing` on a `frame`-sized canvas, as a PNG image.
pub(crate) fn png_of(drawing: &impl Drawing, frame: Frame) -> Result<Vec<u8>, Error> {
    ensure_font()?;
    let (w, h) = (frame.width, frame.height);
    let mut rgb = vec![0u8; (w as usize) * (h as usize) * 3];
    {
        let root = super::raster::GlyphText {
            inner: BitMapBackend::with_buffer(&mut rgb, (w, h)),
        }
        .into_drawing_area();
        drawing.draw(&root).map_err(|e| drawing_error(drawing, e))?;
        root.present().map_err(|e| drawing_error(drawing, e))?;
    }
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut w| w.write_image_data(&rgb))
        .map_err(|e| Error::Run(format!("cannot encode {}.png: {e}", drawing.name())))?;
    Ok(png)
}

fn drawing_error(drawing: &impl Drawing, e: impl std::fmt::Display) -> Error {
    Error::Run(format!("cannot draw the {} chart: {e}", drawing.name()))
}

pub(crate) type DrawResult<DB> =
    Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;
pub(crate) type Area<DB> = DrawingArea<DB, Shift>;

fn draw<DB: DrawingBackend>(
    chart: Chart,
    data: &ReportData,
    frame: Frame,
    root: &Area<DB>,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let mut body = root.margin(14, 8, 14, 20);
    if frame.titled {
        let (head, rest) = body.split_vertically(52);
        head.draw(&Text::new(chart.title(), (0, 0), text(22, INK)))?;
        head.draw(&Text::new(subtitle(data, chart), (0, 28), text(15, MUTED)))?;
        body = rest;
    }
    let names: Vec<&str> = data
        .result
        .strategies
        .iter()
        .map(|s| s.summary.strategy.as_str())
        .collect();
    match chart {
        Chart::LoadOverTime => draw_load(chart, &load_over_time(data), &names, &body),
        Chart::TimeToSuccessCdf => draw_cdf(chart, &time_to_success_cdf(data), &names, &body),
        Chart::SuccessRate => draw_success(chart, &success_rate(data), &body),
        Chart::Cost => draw_cost(chart, &cost(data), priced(&data.scenario), &body),
        Chart::Attempts => draw_attempts(chart, &attempts(data), &names, &body),
    }
}

/// What the numbers are: the scenario and how many runs they come from.
pub fn subtitle(data: &ReportData, chart: Chart) -> String {
    let reps = data.scenario.replications;
    let how = if chart == Chart::Attempts {
        "pooled over"
    } else {
        "mean of"
    };
    format!(
        "{} · {how} {} replication{} per strategy",
        data.scenario.name,
        reps,
        if reps == 1 { "" } else { "s" }
    )
}

/// A legend entry's symbol.
enum Key {
    Line(RGBColor, bool),
    Box(RGBColor),
    /// A pale box with a border in the colour: strategies past the
    /// palette's length.
    Outlined(RGBColor),
}

/// The legend key of strategy `i`'s bars.
fn strategy_box(i: usize) -> Key {
    if dashed(i) {
        Key::Outlined(strategy_color(i))
    } else {
        Key::Box(strategy_color(i))
    }
}

/// Strategy `i`'s bar over `[from, to]`: solid, or (past the palette)
/// pale with a border in the colour, `margin` pixels inside the row.
fn strategy_bar(
    i: usize,
    from: (f64, f64),
    to: (f64, f64),
    margin: (u32, u32),
) -> Vec<Rectangle<(f64, f64)>> {
    let c = strategy_color(i);
    let mut bars = vec![Rectangle::new(
        [from, to],
        if dashed(i) {
            pale(c).filled()
        } else {
            c.filled()
        },
    )];
    if dashed(i) {
        bars.push(Rectangle::new([from, to], c.stroke_width(2)));
    }
    for b in &mut bars {
        b.set_margin(margin.0, margin.0, margin.1, margin.1);
    }
    bars
}

/// Splits a legend strip off the bottom of `area` and draws it there, so
/// that the legend never covers data. Returns the area left for the plot.
fn with_legend<DB: DrawingBackend>(
    area: &Area<DB>,
    entries: &[(String, Key)],
) -> Result<Area<DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let labels: Vec<&str> = entries.iter().map(|(label, _)| label.as_str()).collect();
    legend_strip(area, &labels, |legend, i, (x, y)| {
        draw_key(legend, &entries[i].1, x, y)
    })
}

/// Width of a legend entry's symbol, in pixels.
pub(crate) const LEGEND_SYMBOL: i32 = 28;
const LEGEND_GAP: i32 = 22;
const LEGEND_ROW: i32 = 24;
const LEGEND_INDENT: i32 = 70;

/// Legend rows: per row, `(entry, x offset from the indent)`.
pub(crate) type LegendRows = Vec<Vec<(usize, i32)>>;

/// How legend entries with `labels` fill rows across `area`.
pub(crate) fn legend_rows<DB: DrawingBackend>(
    area: &Area<DB>,
    labels: &[&str],
) -> Result<LegendRows, DrawingAreaErrorKind<DB::ErrorType>> {
    let style = text(15, INK);
    let width = area.dim_in_pixel().0;
    let mut rows: LegendRows = vec![Vec::new()];
    let mut x = 0;
    for (i, label) in labels.iter().enumerate() {
        let w = LEGEND_SYMBOL + 6 + area.estimate_text_size(label, &style)?.0 as i32;
        if x > 0 && LEGEND_INDENT + x + w > width as i32 - 10 {
            rows.push(Vec::new());
            x = 0;
        }
        rows.last_mut().expect("never empty").push((i, x));
        x += w + LEGEND_GAP;
    }
    Ok(rows)
}

/// The height of a legend strip of `rows` rows holding `entries` entries.
pub(crate) fn legend_height(rows: usize, entries: usize) -> i32 {
    if entries == 0 {
        0
    } else {
        rows as i32 * LEGEND_ROW + 10
    }
}

/// The widest a legend label can be and still fit on a row of `area`.
pub(crate) fn legend_label_room<DB: DrawingBackend>(area: &Area<DB>) -> i32 {
    area.dim_in_pixel().0 as i32 - 10 - LEGEND_INDENT - LEGEND_SYMBOL - 6
}

/// Splits a legend strip off the bottom of `area` and draws its entries
/// there: `symbol(legend, entry, (x, y))` draws entry's symbol, `x` its
/// left end and `y` its centre line, then its label follows. Returns the
/// area left for the plot.
pub(crate) fn legend_strip<DB: DrawingBackend>(
    area: &Area<DB>,
    labels: &[&str],
    mut symbol: impl FnMut(&Area<DB>, usize, (i32, i32)) -> DrawResult<DB>,
) -> Result<Area<DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let style = text(15, INK);
    let height = area.dim_in_pixel().1;
    let rows = legend_rows(area, labels)?;
    let strip = legend_height(rows.len(), labels.len());
    let (plot, legend) = area.split_vertically(height as i32 - strip);
    for (r, row) in rows.iter().enumerate() {
        let y = 10 + r as i32 * LEGEND_ROW + LEGEND_ROW / 2;
        for &(i, x) in row {
            let x = x + LEGEND_INDENT;
            symbol(&legend, i, (x, y))?;
            legend.draw(&Text::new(
                labels[i].to_string(),
                (x + LEGEND_SYMBOL + 6, y),
                style.pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
    }
    Ok(plot)
}

/// A legend entry's symbol, its left end at `x`, centred on `y`.
fn draw_key<DB: DrawingBackend>(legend: &Area<DB>, key: &Key, x: i32, y: i32) -> DrawResult<DB> {
    const SYMBOL: i32 = LEGEND_SYMBOL;
    match key {
        Key::Line(c, false) => legend.draw(&PathElement::new(
            vec![(x, y), (x + SYMBOL, y)],
            c.stroke_width(3),
        )),
        Key::Line(c, true) => {
            for k in 0..3 {
                let a = x + k * 11;
                legend.draw(&PathElement::new(
                    vec![(a, y), (a + 6, y)],
                    c.stroke_width(3),
                ))?;
            }
            Ok(())
        }
        Key::Box(c) => legend.draw(&Rectangle::new(
            [(x, y - 7), (x + SYMBOL, y + 7)],
            c.filled(),
        )),
        Key::Outlined(c) => {
            legend.draw(&Rectangle::new(
                [(x, y - 7), (x + SYMBOL, y + 7)],
                pale(*c).filled(),
            ))?;
            legend.draw(&Rectangle::new(
                [(x, y - 7), (x + SYMBOL, y + 7)],
                c.stroke_width(2),
            ))
        }
    }
}

/// The legend label of strategy `i`: its name, and the strategy whose
/// line it coincides with, if any.
fn line_label(names: &[&str], same: &[Option<usize>], i: usize) -> String {
    match same.get(i).copied().flatten() {
        Some(first) => format!("{} (same as {})", shorten(names[i]), shorten(names[first])),
        None => shorten(names[i]),
    }
}

fn strategy_keys(names: &[&str], same: &[Option<usize>]) -> Vec<(String, Key)> {
    (0..names.len())
        .map(|i| {
            (
                line_label(names, same, i),
                Key::Line(strategy_color(i), dashed(i)),
            )
        })
        .collect()
}

fn draw_line<DB: DrawingBackend, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    i: usize,
    points: Vec<(X::ValueType, Y::ValueType)>,
) -> DrawResult<DB>
where
    X: Ranged,
    Y: Ranged,
    X::ValueType: Clone + 'static,
    Y::ValueType: Clone + 'static,
{
    let style = strategy_color(i).stroke_width(2);
    if dashed(i) {
        chart.draw_series(DashedLineSeries::new(points, 10, 6, style))?;
    } else {
        chart.draw_series(LineSeries::new(points, style))?;
    }
    Ok(())
}

/// Length in pixels of each member's dash on a line that coinciding
/// strategies draw in turn.
const SHARED_DASH: f64 = 9.0;

/// Every strategy's line on one plot. A line that coincides with an
/// earlier one ([`same_as`]) is drawn over it in dashes: the `k`
/// members of a group take turns along the path, [`SHARED_DASH`] pixels
/// each, the first member drawn whole beneath, so that every member's
/// colour shows.
fn draw_lines<DB: DrawingBackend, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    lines: &[Vec<(f64, f64)>],
    same: &[Option<usize>],
) -> DrawResult<DB>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    for (i, line) in lines.iter().enumerate() {
        match turn(same, i) {
            None => draw_line(chart, i, line.clone())?,
            Some(t) => draw_in_turn(chart, line, strategy_color(i), t)?,
        }
    }
    Ok(())
}

/// Where line `i` comes among the lines it coincides with
/// ([`same_as`]): `(its turn, how many they are)`; `None` for a line
/// that is the first of its group (drawn whole).
pub(crate) fn turn(same: &[Option<usize>], i: usize) -> Option<(usize, usize)> {
    let first = same.get(i).copied().flatten()?;
    let members: Vec<usize> = (0..same.len())
        .filter(|&j| j == first || same[j] == Some(first))
        .collect();
    let turn = members.iter().position(|&j| j == i).unwrap_or(0);
    Some((turn, members.len()))
}

/// `line` drawn in `color` only in its turn `(turn, of)` of each
/// [`SHARED_DASH`]-pixel dash along the path of coinciding lines.
pub(crate) fn draw_in_turn<DB: DrawingBackend, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    line: &[(f64, f64)],
    color: RGBColor,
    (turn, of): (usize, usize),
) -> DrawResult<DB>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let area = chart.plotting_area().strip_coord_spec();
    let (bx, by) = area.get_base_pixel();
    let pixels: Vec<(f64, f64)> = line
        .iter()
        .map(|p| {
            let (x, y) = chart.backend_coord(p);
            (f64::from(x - bx), f64::from(y - by))
        })
        .collect();
    let period = SHARED_DASH * of as f64;
    for piece in dash_pieces(&pixels, SHARED_DASH, period, SHARED_DASH * turn as f64) {
        area.draw(&PathElement::new(piece, color.stroke_width(2)))?;
    }
    Ok(())
}

/// Lines of the other strategies behind a panel's own.
const FAINT: RGBColor = RGBColor(0xCC, 0xCC, 0xCC);

/// The legend entry for the faint lines behind each panel's own.
fn others_key() -> (String, Key) {
    (
        "other strategies (each in its own panel)".to_string(),
        Key::Line(FAINT, false),
    )
}

/// What each panel draws besides the lines: `(chart, strategy, behind)`.
type Decorate<'a, DB, X, Y> =
    &'a dyn Fn(&mut ChartContext<'_, DB, Cartesian2d<X, Y>>, usize, bool) -> DrawResult<DB>;

/// One panel per strategy, on shared axes (`ranges` makes them): the strategy's name
/// (in its colour) over its line in its colour, the other strategies'
/// lines faint behind it. `decorate(chart, i, behind)` draws what every
/// panel shows besides (shading behind the lines, reference lines and
/// labels over them). The panels fill rows, as close to square as the
/// area's shape allows; the axis titles are written once, left of and
/// under the panels.
fn draw_panels<DB, XR, YR>(
    area: &Area<DB>,
    names: &[&str],
    lines: &[Vec<(f64, f64)>],
    same: &[Option<usize>],
    ranges: &dyn Fn() -> (XR, YR),
    titles: (&str, &str),
    decorate: Decorate<'_, DB, XR::CoordDescType, YR::CoordDescType>,
) -> DrawResult<DB>
where
    DB: DrawingBackend,
    XR: AsRangedCoord<Value = f64>,
    YR: AsRangedCoord<Value = f64>,
    XR::CoordDescType: ValueFormatter<f64>,
    YR::CoordDescType: ValueFormatter<f64>,
{
    let n = lines.len().max(1);
    let (w, h) = area.dim_in_pixel();
    let (left, grid) = area.split_horizontally(24);
    let (grid, bottom) = grid.split_vertically(h as i32 - 26);
    left.draw(&Text::new(
        titles.1.to_string(),
        (4, (h as i32 - 26) / 2),
        text(16, INK)
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    bottom.draw(&Text::new(
        titles.0.to_string(),
        ((w as i32 - 24) / 2, 4),
        text(16, INK).pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    let (rows, cols) = panel_grid(n, grid.dim_in_pixel());
    let cells = grid.split_evenly((rows, cols));
    for (i, cell) in cells.iter().enumerate().take(lines.len()) {
        let (head, plot) = cell.split_vertically(20);
        let room = head.dim_in_pixel().0 as i32 - 48;
        let full = line_label(names, same, i);
        let title = super::sweep_chart::fit(&head, &[full, shorten(names[i])], room)?;
        head.draw(&Text::new(
            title,
            (44, 2),
            text(15, strategy_color(i)).pos(Pos::new(HPos::Left, VPos::Top)),
        ))?;
        let (x, y) = ranges();
        let mut chart = ChartBuilder::on(&plot)
            .margin_right(10)
            .x_label_area_size(20)
            .y_label_area_size(44)
            .build_cartesian_2d(x, y)?;
        chart
            .configure_mesh()
            .x_labels(4)
            .y_labels(3)
            .x_label_formatter(&fmt_tick)
            .y_label_formatter(&fmt_tick)
            .label_style(text(12, INK))
            .bold_line_style(GRID)
            .light_line_style(WHITE)
            .axis_style(MUTED)
            .draw()?;
        decorate(&mut chart, i, true)?;
        for other in lines
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, l)| l)
        {
            chart.draw_series(LineSeries::new(other.clone(), FAINT.stroke_width(1)))?;
        }
        chart.draw_series(LineSeries::new(
            lines[i].clone(),
            strategy_color(i).stroke_width(2),
        ))?;
        decorate(&mut chart, i, false)?;
    }
    Ok(())
}

/// Rows and columns of the panels of `n` strategies in an area of
/// `(width, height)` pixels: panels about as wide as the area's shape
/// makes them, every row full but the last.
pub fn panel_grid(n: usize, (width, height): (u32, u32)) -> (usize, usize) {
    let n = n.max(1);
    let aspect = f64::from(height.max(1)) / f64::from(width.max(1));
    let rows = ((n as f64 * aspect).sqrt().ceil() as usize).clamp(1, n);
    (rows, n.div_ceil(rows))
}

/// The drawn steps of `load_over_time`: each bucket a flat step over its
/// width; past MAX_STEPS buckets, runs of consecutive buckets are merged
/// (their mean rate), so that a long run stays a readable picture and a
/// small file.
fn load_steps(d: &LoadOverTime) -> Vec<Vec<(f64, f64)>> {
    const MAX_STEPS: usize = 1000;
    d.lines
        .iter()
        .map(|line| {
            let shown: Vec<(f64, f64)> = line
                .points
                .iter()
                .copied()
                .filter(|(t, _)| *t < d.end_s)
                .collect();
            let merge = shown.len().div_ceil(MAX_STEPS).max(1);
            shown
                .chunks(merge)
                .flat_map(|run| {
                    let t = run[0].0;
                    let y = run.iter().map(|p| p.1).sum::<f64>() / run.len() as f64;
                    let end = (t + d.bucket_s * run.len() as f64).min(d.end_s);
                    [(t, y), (end, y)]
                })
                .collect()
        })
        .collect()
}

/// The top of `load_over_time`'s value axis.
fn load_top(d: &LoadOverTime) -> f64 {
    let y_top = d
        .lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .chain(d.limit.as_ref().map(|l| l.0))
        .fold(0.0, f64::max);
    if y_top > 0.0 { y_top * 1.08 } else { 1.0 }
}

/// The limit line's legend entry (none without a request limit).
fn limit_keys(d: &LoadOverTime, keys: &mut Vec<(String, Key)>) {
    if let Some((_, words)) = &d.limit {
        keys.push((words.clone(), Key::Line(INK, true)));
    }
}

/// The binding limit's line: what it admits per second, in attempts, and
/// how that follows from its rate. For a token limit that is its refill
/// over the mean cost of an attempt in tokens (the first strategy bound
/// by it; strategies differ only as much as their attempts' sizes do).
fn limit_line(data: &ReportData) -> Option<(f64, String)> {
    use crate::model::limiter::Limit;
    let summaries: Vec<&crate::metrics::summary::StrategySummary> =
        data.result.strategies.iter().map(|s| &s.summary).collect();
    let (limit, first) = crate::metrics::summary::common_binding(&summaries)?;
    let (per_minute, _) = data.scenario.limiter.limits()[limit as usize]?;
    let rate = first.ceiling_per_s;
    if !(rate.is_finite() && rate > 0.0) {
        return None;
    }
    let words = if limit == Limit::Requests {
        format!("{} admits {}/s", limit.key(), fmt_tick(&rate))
    } else {
        format!(
            "{} admits {}/s ({} tokens/min ÷ {} per attempt)",
            limit.key(),
            super::fmt_num(rate, 3),
            crate::format::grouped(per_minute, 3),
            crate::format::grouped(per_minute / 60.0 / rate, 0)
        )
    };
    Some((rate, words))
}

/// The limit line over the plot (none without a request limit).
fn draw_limit<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    d: &LoadOverTime,
) -> DrawResult<DB> {
    if let Some((r, _)) = d.limit {
        chart.draw_series(DashedLineSeries::new(
            [(0.0, r), (d.end_s, r)],
            8,
            6,
            INK.stroke_width(2),
        ))?;
    }
    Ok(())
}

/// Outage windows, shaded behind the lines.
fn draw_outages<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    d: &LoadOverTime,
    y_top: f64,
) -> DrawResult<DB> {
    chart.draw_series(d.outages.iter().map(|&(a, b)| {
        Rectangle::new([(a, 0.0), (b.min(d.end_s), y_top)], SHADE.mix(0.6).filled())
    }))?;
    Ok(())
}

fn draw_load<DB: DrawingBackend>(
    chart_kind: Chart,
    d: &LoadOverTime,
    names: &[&str],
    area: &Area<DB>,
) -> DrawResult<DB> {
    let lines = load_steps(d);
    let y_top = load_top(d);
    let same = same_as(&lines);
    let shape = layout(&lines, y_top);
    let mut keys = if shape == Layout::Overlaid {
        strategy_keys(names, &same)
    } else {
        vec![others_key()]
    };
    limit_keys(d, &mut keys);
    if !d.outages.is_empty() {
        keys.push(("outage".into(), Key::Box(SHADE)));
    }
    let plot = with_legend(area, &keys)?;
    let (x_title, y_title) = chart_kind.axis_titles();
    if shape != Layout::Overlaid {
        let decorate = |chart: &mut ChartContext<'_, DB, _>, _: usize, behind: bool| {
            if behind {
                draw_outages(chart, d, y_top)
            } else {
                draw_limit(chart, d)
            }
        };
        return draw_panels(
            &plot,
            names,
            &lines,
            &same,
            &|| (0.0..d.end_s, 0.0..y_top),
            (x_title, y_title),
            &decorate,
        );
    }
    let mut chart = ChartBuilder::on(&plot)
        .x_label_area_size(46)
        .y_label_area_size(72)
        .build_cartesian_2d(0.0..d.end_s, 0.0..y_top)?;
    mesh(&mut chart, x_title, y_title, &fmt_tick, &fmt_tick)?;
    draw_outages(&mut chart, d, y_top)?;
    draw_lines(&mut chart, &lines, &same)?;
    draw_limit(&mut chart, d)
}

/// The time-to-success lines as drawn: shares in percent.
fn cdf_percent(lines: &[Line]) -> Vec<Vec<(f64, f64)>> {
    lines
        .iter()
        .map(|l| l.points.iter().map(|&(t, s)| (t, 100.0 * s)).collect())
        .collect()
}

/// Where a line's end label goes: right of the end, moved this many
/// pixels up or down to keep clear of other labels; or inside the plot,
/// left of the end, under it (above it for an end in the lower half).
#[derive(Clone, Copy)]
enum EndLabel {
    Right(i32),
    Inside,
}

/// A line's end: a dot and its value (a success rate), in its colour.
fn end_label<DB: DrawingBackend, X: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, RangedCoordf64>>,
    i: usize,
    end: (f64, f64),
    place: EndLabel,
) -> DrawResult<DB> {
    let (offset, pos) = match place {
        EndLabel::Right(dy) => ((8, dy), Pos::new(HPos::Left, VPos::Center)),
        EndLabel::Inside if end.1 >= 50.0 => ((-6, 6), Pos::new(HPos::Right, VPos::Top)),
        EndLabel::Inside => ((-6, -6), Pos::new(HPos::Right, VPos::Bottom)),
    };
    chart.draw_series(std::iter::once(
        EmptyElement::at(end)
            + Circle::new((0, 0), 4, strategy_color(i).filled())
            + Text::new(
                format!("{:.1}%", end.1),
                offset,
                text(14, strategy_color(i)).pos(pos),
            ),
    ))?;
    Ok(())
}

fn draw_cdf<DB: DrawingBackend>(
    chart_kind: Chart,
    lines: &[Line],
    names: &[&str],
    area: &Area<DB>,
) -> DrawResult<DB> {
    let lines = cdf_percent(lines);
    let same = same_as(&lines);
    let shape = layout(&lines, 100.0);
    let keys = if shape == Layout::Overlaid {
        strategy_keys(names, &same)
    } else {
        vec![others_key()]
    };
    let plot = with_legend(area, &keys)?;
    let ts = || lines.iter().flat_map(|l| l.iter().map(|p| p.0));
    let (mut lo, mut hi) = (ts().fold(f64::INFINITY, f64::min), ts().fold(0.0, f64::max));
    if !(lo.is_finite() && lo > 0.0) {
        return no_data(&plot, "No request succeeded in any run.");
    }
    // At least two labelled ticks: widen to the 1-2-5 values around.
    if log_ticks(lo, hi).len() < 2 {
        (lo, hi) = (nice_125(lo, false), nice_125(hi, true));
    }
    let x_range = || (lo..hi).log_scale().with_key_points(log_ticks(lo, hi));
    let (x_title, y_title) = chart_kind.axis_titles();
    let end = |i: usize| lines[i].last().copied().filter(|p| p.1.is_finite());
    if shape != Layout::Overlaid {
        let decorate = |chart: &mut ChartContext<'_, DB, _>, i: usize, behind: bool| match end(i) {
            Some(e) if !behind => end_label(chart, i, e, EndLabel::Inside),
            _ => Ok(()),
        };
        return draw_panels(
            &plot,
            names,
            &lines,
            &same,
            &|| (x_range(), 0.0..100.0),
            (x_title, y_title),
            &decorate,
        );
    }
    let mut chart = ChartBuilder::on(&plot)
        .x_label_area_size(46)
        .y_label_area_size(72)
        .margin_right(64)
        .build_cartesian_2d(x_range(), 0.0..100.0)?;
    mesh(&mut chart, x_title, y_title, &fmt_tick, &fmt_tick)?;
    draw_lines(&mut chart, &lines, &same)?;
    // Each line ends with its success rate; labels that would overlap
    // are moved apart vertically.
    let ends: Vec<(usize, (f64, f64), i32)> = (0..lines.len())
        .filter_map(|i| end(i).map(|e| (i, e, chart.backend_coord(&e).1)))
        .collect();
    let wanted: Vec<i32> = ends.iter().map(|e| e.2).collect();
    let (top, bottom) = (
        chart.backend_coord(&(lo, 100.0)).1,
        chart.backend_coord(&(lo, 0.0)).1,
    );
    for ((i, e, pixel_y), y) in ends.iter().zip(spread_labels(&wanted, 15, top, bottom)) {
        end_label(&mut chart, *i, *e, EndLabel::Right(y - pixel_y))?;
    }
    Ok(())
}

pub(crate) fn mesh<DB: DrawingBackend, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    x_title: &str,
    y_title: &str,
    x_fmt: &dyn Fn(&X::ValueType) -> String,
    y_fmt: &dyn Fn(&Y::ValueType) -> String,
) -> DrawResult<DB>
where
    X: Ranged + ValueFormatter<X::ValueType>,
    Y: Ranged + ValueFormatter<Y::ValueType>,
{
    chart
        .configure_mesh()
        .x_desc(x_title)
        .y_desc(y_title)
        .x_label_formatter(x_fmt)
        .y_label_formatter(y_fmt)
        .label_style(text(14, INK))
        .axis_desc_style(text(16, INK))
        .bold_line_style(GRID)
        .light_line_style(WHITE)
        .axis_style(MUTED)
        .draw()
}

pub(crate) fn no_data<DB: DrawingBackend>(area: &Area<DB>, message: &str) -> DrawResult<DB> {
    let (w, h) = area.dim_in_pixel();
    area.draw(&Text::new(
        message.to_string(),
        (w as i32 / 2, h as i32 / 2),
        text(18, MUTED).pos(Pos::new(HPos::Center, VPos::Center)),
    ))
}

/// A chart with a value axis across and one row per strategy.
type BarChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Horizontal bars, one row per strategy, the first strategy on top.
///
/// The value axis runs from 0 to `axis_max` (ticks stop there) and on far
/// enough that each row's `label`, written right of its `end`, fits.
fn bar_chart<'a, DB: DrawingBackend>(
    area: &'a Area<DB>,
    names: &'a [&str],
    x_title: &str,
    axis_max: f64,
    labels: &[(f64, String)],
    tick: fn(&f64) -> String,
) -> Result<BarChart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let style = text(15, INK);
    let width = |s: &str, style: &TextStyle| area.estimate_text_size(s, style).map(|s| s.0);
    let mut label_w = 0;
    for name in names {
        label_w = label_w.max(width(&shorten(name), &style)?);
    }
    let plot_w = f64::from(area.dim_in_pixel().0.saturating_sub(label_w + 16).max(1));
    let mut x_max = axis_max * 1.02;
    for (end, label) in labels {
        let room = plot_w - f64::from(width(label, &text(14, INK))? + 14);
        // A label wider than three quarters of the plot gets that much.
        x_max = x_max.max(end * plot_w / room.max(plot_w / 4.0));
    }
    let x_fmt = |x: &f64| {
        if *x <= axis_max * (1.0 + 1e-9) {
            tick(x)
        } else {
            String::new()
        }
    };
    let n = names.len();
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(46)
        .y_label_area_size(label_w + 16)
        .build_cartesian_2d(0.0..x_max, 0.0..n.max(1) as f64)?;
    chart
        .configure_mesh()
        .x_desc(x_title)
        .x_label_formatter(&x_fmt)
        .y_labels(0)
        .label_style(text(14, INK))
        .axis_desc_style(text(16, INK))
        .bold_line_style(GRID)
        .light_line_style(WHITE)
        .disable_y_mesh()
        .axis_style(MUTED)
        .draw()?;
    // Strategy names left of their rows, right-aligned against the axis.
    let (base_x, base_y) = area.get_base_pixel();
    for (i, name) in names.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(0.0, row(n, i).1));
        area.draw(&Text::new(
            shorten(name),
            (x - base_x - 8, y - base_y),
            style.pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    Ok(chart)
}

/// Space above and below a bar, in pixels: bars are at most 56 px thick.
fn bar_margin<DB: DrawingBackend>(area: &Area<DB>, rows: usize) -> u32 {
    let row_px = area.dim_in_pixel().1.saturating_sub(46) / rows.max(1) as u32;
    (row_px.saturating_sub(56) / 2).max(6)
}

/// A bar's value, written just right of `x` on the row's centre line.
fn bar_label<DB: DrawingBackend>(
    chart: &mut BarChart<'_, DB>,
    x: f64,
    centre: f64,
    label: String,
) -> DrawResult<DB> {
    chart.draw_series(std::iter::once(
        EmptyElement::at((x, centre))
            + Text::new(
                label,
                (8, 0),
                text(14, INK).pos(Pos::new(HPos::Left, VPos::Center)),
            ),
    ))?;
    Ok(())
}

/// The y coordinate of strategy `i`'s row (first strategy on top).
fn row(n: usize, i: usize) -> (f64, f64, f64) {
    let r = (n - 1 - i) as f64;
    (r, r + 0.5, r + 1.0)
}

fn draw_success<DB: DrawingBackend>(
    chart_kind: Chart,
    bars: &[Bar],
    area: &Area<DB>,
) -> DrawResult<DB> {
    let names: Vec<&str> = bars.iter().map(|b| b.strategy.as_str()).collect();
    let n = bars.len();
    // In percent: (value, interval), the interval clipped to [0, 100].
    let pct: Vec<(f64, Option<(f64, f64)>)> = bars
        .iter()
        .map(|b| {
            let v = 100.0 * b.value;
            let ci = 100.0 * b.ci95;
            (
                v,
                ci.is_finite()
                    .then(|| ((v - ci).max(0.0), (v + ci).min(100.0))),
            )
        })
        .collect();
    let labels: Vec<(f64, String)> = bars
        .iter()
        .zip(&pct)
        .map(|(b, &(v, ci))| match ci {
            Some((_, hi)) => (hi, format!("{v:.1}% ± {:.1}", 100.0 * b.ci95)),
            None if v.is_finite() => (v, format!("{v:.1}%")),
            None => (0.0, "no requests".to_string()),
        })
        .collect();
    let mut chart = bar_chart(
        area,
        &names,
        chart_kind.axis_titles().0,
        100.0,
        &labels,
        fmt_tick,
    )?;
    let m = bar_margin(area, n);
    for (i, ((v, ci), (end, label))) in pct.into_iter().zip(labels).enumerate() {
        let (bottom, centre, top) = row(n, i);
        if v.is_finite() {
            chart.draw_series(strategy_bar(i, (0.0, bottom), (v, top), (m, 0)))?;
        }
        if let Some((lo, hi)) = ci {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(lo, centre), (hi, centre)],
                INK.stroke_width(2),
            )))?;
            for x in [lo, hi] {
                chart.draw_series(std::iter::once(
                    EmptyElement::at((x, centre))
                        + PathElement::new(vec![(0, -7), (0, 7)], INK.stroke_width(2)),
                ))?;
            }
        }
        bar_label(&mut chart, end, centre, label)?;
    }
    Ok(())
}

fn draw_cost<DB: DrawingBackend>(
    chart_kind: Chart,
    bars: &[CostBar],
    priced: bool,
    area: &Area<DB>,
) -> DrawResult<DB> {
    let keys = vec![
        (
            "useful: billed for answers a client used (solid)".to_string(),
            Key::Box(MUTED),
        ),
        (
            "wasted: billed for abandoned generations (pale)".to_string(),
            Key::Box(pale(MUTED)),
        ),
    ];
    let plot = with_legend(area, &keys)?;
    let total = |b: &CostBar| zero_if_nan(b.useful_usd) + zero_if_nan(b.wasted_usd);
    let top = bars.iter().map(total).fold(0.0, f64::max);
    let names: Vec<&str> = bars.iter().map(|b| b.strategy.as_str()).collect();
    let n = bars.len();
    let labels: Vec<(f64, String)> = bars
        .iter()
        .map(|b| {
            let (useful, wasted) = (zero_if_nan(b.useful_usd), zero_if_nan(b.wasted_usd));
            let label = if useful + wasted > 0.0 {
                let share = 100.0 * wasted / (useful + wasted);
                format!(
                    "{} billed, {} wasted ({share:.0}%)",
                    fmt_usd(useful + wasted),
                    fmt_usd(wasted)
                )
            } else if priced {
                "$0 billed: no generation completed".to_string()
            } else {
                "$0: the scenario sets no [pricing]".to_string()
            };
            (useful + wasted, label)
        })
        .collect();
    // With nothing billed the axis still spans a dollar, with zero bars.
    let axis_max = if top > 0.0 { top } else { 1.0 };
    let usd_tick = |x: &f64| format!("${}", fmt_tick(x));
    let mut chart = bar_chart(
        &plot,
        &names,
        chart_kind.axis_titles().0,
        axis_max,
        &labels,
        usd_tick,
    )?;
    let m = bar_margin(&plot, n);
    for (i, (b, (end, label))) in bars.iter().zip(labels).enumerate() {
        let (bottom, centre, top_edge) = row(n, i);
        let c = strategy_color(i);
        let (useful, wasted) = (zero_if_nan(b.useful_usd), zero_if_nan(b.wasted_usd));
        let mut solid = Rectangle::new([(0.0, bottom), (useful, top_edge)], c.filled());
        solid.set_margin(m, m, 0, 0);
        let mut light = Rectangle::new(
            [(useful, bottom), (useful + wasted, top_edge)],
            pale(c).filled(),
        );
        light.set_margin(m, m, 0, 0);
        let mut outline = Rectangle::new(
            [(useful, bottom), (useful + wasted, top_edge)],
            c.stroke_width(1),
        );
        outline.set_margin(m, m, 0, 0);
        chart.draw_series([solid, light])?;
        if wasted > 0.0 {
            chart.draw_series(std::iter::once(outline))?;
        }
        bar_label(&mut chart, end, centre, label)?;
    }
    Ok(())
}

fn draw_attempts<DB: DrawingBackend>(
    chart_kind: Chart,
    lines: &[Line],
    names: &[&str],
    area: &Area<DB>,
) -> DrawResult<DB> {
    let keys: Vec<(String, Key)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (shorten(n), strategy_box(i)))
        .collect();
    let plot = with_legend(area, &keys)?;
    // At most MAX_BARS groups: past that, the last group holds every
    // count from its own upward ("≥ k").
    const MAX_BARS: usize = 30;
    let ks: Vec<f64> = {
        let mut ks: Vec<f64> = lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.0))
            .collect();
        ks.sort_by(f64::total_cmp);
        ks.dedup();
        ks
    };
    if ks.is_empty() {
        return no_data(&plot, "No request ended within the horizon.");
    }
    let groups = ks.len().min(MAX_BARS);
    let tail_from = ks[groups - 1];
    let tailed = ks.len() > MAX_BARS;
    // `ks` is sorted: a binary search keeps a million attempt counts
    // (max_attempts can be that high) from taking a quadratic time.
    let group_of = |k: f64| ks.partition_point(|&x| x < k).min(groups - 1);
    let shares: Vec<Vec<f64>> = lines
        .iter()
        .map(|l| {
            let mut g = vec![0.0; groups];
            for &(k, share) in &l.points {
                g[group_of(k)] += 100.0 * zero_if_nan(share);
            }
            g
        })
        .collect();
    let y_top = shares
        .iter()
        .flatten()
        .fold(0.0, |a: f64, &b| a.max(b))
        .max(1.0)
        * 1.1;
    let (x_title, y_title) = chart_kind.axis_titles();
    let mut chart = ChartBuilder::on(&plot)
        .x_label_area_size(46)
        .y_label_area_size(72)
        .build_cartesian_2d(-0.5..(groups as f64 - 0.5), 0.0..y_top)?;
    let group_label = |x: &f64| {
        let g = x.round();
        if (x - g).abs() > 1e-9 || g < 0.0 || g as usize >= groups {
            return String::new();
        }
        let k = ks[g as usize];
        if tailed && k == tail_from {
            format!("≥{k}")
        } else {
            format!("{k}")
        }
    };
    chart
        .configure_mesh()
        .x_desc(x_title)
        .y_desc(y_title)
        .x_labels(groups + 1)
        .x_label_formatter(&group_label)
        .y_label_formatter(&fmt_tick)
        .label_style(text(14, INK))
        .axis_desc_style(text(16, INK))
        .bold_line_style(GRID)
        .light_line_style(WHITE)
        .disable_x_mesh()
        .axis_style(MUTED)
        .draw()?;
    let width = 0.8 / lines.len().max(1) as f64;
    for (i, g) in shares.iter().enumerate() {
        for (x, &share) in g.iter().enumerate().filter(|(_, s)| **s > 0.0) {
            let x0 = x as f64 - 0.4 + i as f64 * width;
            chart.draw_series(strategy_bar(i, (x0, 0.0), (x0 + width, share), (0, 0)))?;
        }
    }
    Ok(())
}

/// The nearest of 1, 2, 5 × 10^k at or below `x` (or at or above).
pub(crate) fn nice_125(x: f64, up: bool) -> f64 {
    let d = x.log10().floor() as i32;
    let candidates = (d - 1..=d + 1).flat_map(|d| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(d)));
    let mut best = if up { f64::INFINITY } else { 0.0 };
    for c in candidates {
        if up && c >= x * (1.0 - 1e-12) && c < best {
            best = c;
        }
        if !up && c <= x * (1.0 + 1e-12) && c > best {
            best = c;
        }
    }
    best
}

/// Ticks for a log axis over `lo..hi`: 1, 2, 5 × 10^k, or only the
/// powers of ten when that would be too many.
pub(crate) fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let decades = (lo.log10().floor() as i32)..=(hi.log10().ceil() as i32);
    let ticks = |mantissas: &[f64]| -> Vec<f64> {
        decades
            .clone()
            .flat_map(|d| mantissas.iter().map(move |m| m * 10f64.powi(d)))
            .filter(|t| *t >= lo * (1.0 - 1e-9) && *t <= hi * (1.0 + 1e-9))
            .collect()
    };
    let fine = ticks(&[1.0, 2.0, 5.0]);
    if fine.len() <= 12 {
        fine
    } else {
        ticks(&[1.0])
    }
}

/// Moves label positions (pixels, any order) apart so that no two are
/// closer than `gap`, keeping them within `lo..=hi` where there is room;
/// returns them in the input order.
fn spread_labels(wanted: &[i32], gap: i32, lo: i32, hi: i32) -> Vec<i32> {
    let mut order: Vec<usize> = (0..wanted.len()).collect();
    order.sort_by_key(|&i| (wanted[i], i));
    let mut placed: Vec<i32> = order.iter().map(|&i| wanted[i].clamp(lo, hi)).collect();
    // Push down whatever overlaps the label above it…
    for k in 1..placed.len() {
        placed[k] = placed[k].max(placed[k - 1] + gap);
    }
    // …then pull back up whatever went past the bottom.
    if let Some(last) = placed.last_mut() {
        *last = (*last).min(hi);
    }
    for k in (0..placed.len().saturating_sub(1)).rev() {
        placed[k] = placed[k].min(placed[k + 1] - gap);
    }
    let mut out = vec![0; wanted.len()];
    for (slot, &i) in order.iter().enumerate() {
        out[i] = placed[slot];
    }
    out
}

/// A strategy name as charts show it: at most 40 characters.
pub fn shorten(name: &str) -> String {
    const MAX: usize = 40;
    if name.chars().count() <= MAX {
        name.to_string()
    } else {
        let head: String = name.chars().take(MAX - 1).collect();
        format!("{head}…")
    }
}

fn zero_if_nan(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

/// An axis tick: up to 6 significant decimals, no trailing zeros.
pub(crate) fn fmt_tick(x: &f64) -> String {
    let x = *x;
    // Large values with a suffix, so that tick labels stay short.
    if x.abs() >= 1e6 {
        return format!("{}M", fmt_num(x / 1e6, 2));
    }
    if x.abs() >= 1e4 {
        return format!("{}k", fmt_num(x / 1e3, 2));
    }
    let decimals = if x.abs() >= 1.0 || x == 0.0 {
        2
    } else {
        (2.0 - x.abs().log10().floor()).clamp(2.0, 9.0) as usize
    };
    fmt_num(x, decimals)
}

/// Dollars with a precision that suits the amount.
pub fn fmt_usd(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    if x == 0.0 {
        return "$0".into();
    }
    // Cents from a dollar up; three significant digits below.
    let decimals = (2.0 - x.abs().log10().floor()).clamp(2.0, 9.0) as usize;
    format!("${x:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_and_dollars_are_readable() {
        assert_eq!(fmt_tick(&0.0), "0");
        assert_eq!(fmt_tick(&100.0), "100");
        assert_eq!(fmt_tick(&0.5), "0.5");
        assert_eq!(fmt_tick(&0.001), "0.001");
        assert_eq!(fmt_tick(&0.30000000000000004), "0.3");
        assert_eq!(fmt_tick(&2500.0), "2500");
        assert_eq!(fmt_tick(&25_000.0), "25k");
        assert_eq!(fmt_tick(&2_500_000.0), "2.5M");
        assert_eq!(nice_125(0.288, false), 0.2);
        assert_eq!(nice_125(0.302, true), 0.5);
        assert_eq!(nice_125(10.0, true), 10.0);
        assert_eq!(fmt_usd(12.344), "$12.34");
        assert_eq!(fmt_usd(1.5), "$1.50");
        assert_eq!(fmt_usd(0.012344), "$0.0123");
        assert_eq!(fmt_usd(0.0), "$0");
    }

    #[test]
    fn log_ticks_follow_1_2_5() {
        assert_eq!(log_ticks(0.15, 12.0), vec![0.2, 0.5, 1.0, 2.0, 5.0, 10.0]);
        assert_eq!(
            log_ticks(1e-3, 1e3),
            vec![1e-3, 1e-2, 1e-1, 1.0, 1e1, 1e2, 1e3]
        );
    }

    #[test]
    fn end_labels_keep_apart_within_the_plot() {
        // Far apart: unchanged.
        assert_eq!(spread_labels(&[100, 10, 50], 15, 0, 400), vec![100, 10, 50]);
        // Three labels wanting 100, 101, 102: pushed down 15 apart, the
        // highest (smallest y) first.
        assert_eq!(
            spread_labels(&[102, 100, 101], 15, 0, 400),
            vec![130, 100, 115]
        );
        // Near the bottom edge they are pulled back up inside.
        assert_eq!(
            spread_labels(&[398, 399, 400], 15, 0, 400),
            vec![370, 385, 400]
        );
        // Near the top edge they stay inside too.
        assert_eq!(spread_labels(&[-5, 0, 1], 15, 0, 400), vec![0, 15, 30]);
    }

    #[test]
    fn coinciding_lines_are_named_after_the_first_of_their_group() {
        let a = vec![(0.0, 1.0), (1.0, 2.0)];
        let other = vec![(0.0, 1.0), (1.0, 2.5)];
        let shorter = vec![(0.0, 1.0)];
        let shifted = vec![(0.5, 1.0), (1.0, 2.0)];
        // b and d equal a; c, the shorter line and the shifted one differ.
        let lines = [a.clone(), a.clone(), other, a.clone(), shorter, shifted];
        assert_eq!(same_as(&lines), [None, Some(0), None, Some(0), None, None]);
        // The largest value is 2.5, so values within 2.5e-6 are the same.
        let near = vec![(0.0, 1.0 + 2e-6), (1.0, 2.0)];
        let apart = vec![(0.0, 1.0 + 3e-6), (1.0, 2.0)];
        assert_eq!(
            same_as(&[a.clone(), vec![(0.0, 0.0), (1.0, 2.5)], near, apart]),
            [None, None, Some(0), None]
        );
        // Lines that draw nothing coincide with nothing.
        assert_eq!(same_as(&[vec![], vec![]]), [None, None]);
    }

    #[test]
    fn many_or_busy_lines_go_to_panels() {
        let flat = vec![(0.0, 10.0), (1.0, 10.0), (1.0, 12.0), (2.0, 12.0)];
        // A step line 0 → 60 → 0 over three buckets: two jumps of the
        // whole height of a 0..60 axis in three steps, 2/3 of it each.
        let swing = vec![
            (0.0, 0.0),
            (1.0, 0.0),
            (1.0, 60.0),
            (2.0, 60.0),
            (2.0, 0.0),
            (3.0, 0.0),
        ];
        assert!((mean_jump(&swing, 60.0) - 2.0 / 3.0).abs() < 1e-12);
        // The flat line climbs by 2 and never falls back: no jumps back
        // and forth; nor has a distribution function that climbs 0 → 100
        // in one step.
        assert_eq!(mean_jump(&flat, 60.0), 0.0);
        assert_eq!(mean_jump(&[(1.0, 0.0), (2.0, 100.0)], 100.0), 0.0);
        // Up 30, down 20 in two steps: 50 of path less 10 net, 20 a step.
        let wave = [(0.0, 0.0), (1.0, 30.0), (2.0, 10.0)];
        assert!((mean_jump(&wave, 100.0) - 0.2).abs() < 1e-12);
        assert_eq!(
            layout(&vec![flat.clone(); MAX_OVERLAID], 60.0),
            Layout::Overlaid
        );
        assert_eq!(
            layout(&vec![flat.clone(); MAX_OVERLAID + 1], 60.0),
            Layout::PanelsForMany
        );
        assert_eq!(
            layout(&[flat.clone(), swing.clone()], 60.0),
            Layout::PanelsForBusy(1)
        );
        // Alone, a busy line hides nothing.
        assert_eq!(layout(&[swing], 60.0), Layout::Overlaid);
        assert_eq!(MAX_OVERLAID, 6);
    }

    #[test]
    fn coinciding_members_take_turns_along_the_path() {
        // 30 px across, dashes of 5 every 15 from 5 on: 5–10 and 20–25.
        assert_eq!(
            dash_pieces(&[(0.0, 0.0), (30.0, 0.0)], 5.0, 15.0, 5.0),
            [vec![(5, 0), (10, 0)], vec![(20, 0), (25, 0)]]
        );
        // A dash of 6 goes round a corner 4 px along: one piece.
        assert_eq!(
            dash_pieces(&[(0.0, 0.0), (4.0, 0.0), (4.0, 4.0)], 6.0, 12.0, 0.0),
            [vec![(0, 0), (4, 0), (4, 2)]]
        );
    }

    #[test]
    fn panels_fill_rows_in_the_shape_of_the_area() {
        // 14 panels in 908 × 400: √(14 × 400 / 908) = 2.5 → 3 rows of 5.
        assert_eq!(panel_grid(14, (908, 400)), (3, 5));
        // 2 panels in 900 × 400: √(0.89) < 1 → side by side.
        assert_eq!(panel_grid(2, (900, 400)), (1, 2));
        // 9 panels in 480 × 400: √(7.5) = 2.7 → 3 rows of 3.
        assert_eq!(panel_grid(9, (480, 400)), (3, 3));
    }

    #[test]
    fn palette_repeats_after_seven_with_dashes() {
        assert_eq!(strategy_color_hex(0), "#0072b2");
        assert_eq!(strategy_color_hex(7), strategy_color_hex(0));
        assert!(!dashed(6) && dashed(7));
        assert_eq!(pale(RGBColor(0, 0, 0)), RGBColor(170, 170, 170));
    }
}
