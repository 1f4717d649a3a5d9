//! Drawing the run charts with the plotting kit: the load over time with
//! its limit and outages, the distribution of time to success, and the
//! success, cost and attempts bars.

use super::data::*;
use crate::Error;
use crate::report::plot::*;
use crate::report::plot::{Area, DrawResult};
use crate::report::run::read::ReportData;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One chart as an SVG document.
pub fn render_svg(chart: Chart, data: &ReportData, frame: Frame) -> Result<String, Error> {
    svg_of(&ReportChart { chart, data, frame }, frame)
}

/// One chart as a PNG image.
pub fn render_png(chart: Chart, data: &ReportData, frame: Frame) -> Result<Vec<u8>, Error> {
    png_of(&ReportChart { chart, data, frame }, frame)
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

pub(crate) fn draw<DB: DrawingBackend>(
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
        Chart::Attempts => {
            let labels = attempts_labels(data);
            let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
            draw_attempts(chart, &attempts(data), &labels, &body)
        }
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

/// The limit line's legend entry (none without a request limit).
fn limit_keys(d: &LoadOverTime, keys: &mut Vec<(String, Key)>) {
    if let Some((_, words)) = &d.limit {
        keys.push((words.clone(), Key::Line(INK, true)));
    }
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
pub(crate) fn row(n: usize, i: usize) -> (f64, f64, f64) {
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
    labels: &[&str],
    area: &Area<DB>,
) -> DrawResult<DB> {
    let keys: Vec<(String, Key)> = labels
        .iter()
        .enumerate()
        .map(|(i, n)| (n.to_string(), strategy_box(i)))
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
