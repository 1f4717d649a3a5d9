//! Line charts that stay readable: lines that coincide are named after
//! the first of their group and drawn over it in turns ([`same_as`],
//! `draw_in_turn`); many lines, or a busy one among others, go to one
//! panel per line on shared axes (`layout`, `draw_panels`).

use super::axis::{fit, fmt_tick, shorten};
use super::legend::line_label;
use super::style::{FAINT, GRID, INK, MUTED, dashed, strategy_color, text};
use super::{Area, DrawResult};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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

pub(crate) fn draw_line<DB: DrawingBackend, X, Y>(
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
pub(crate) fn draw_lines<DB: DrawingBackend, X, Y>(
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
pub(crate) fn draw_panels<DB, XR, YR>(
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
        let title = fit(&head, &[full, shorten(names[i])], room)?;
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
