//! Axes and labels: the mesh of a chart, tick positions (1-2-5 and
//! logarithmic), tick and dollar labels, names shortened to fit, labels
//! spread apart, and the "no data" note.

use super::style::{GRID, INK, MUTED, text};
use super::{Area, DrawResult};
use crate::format::fmt_num;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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
pub(crate) fn spread_labels(wanted: &[i32], gap: i32, lo: i32, hi: i32) -> Vec<i32> {
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

/// The first of `labels` that fits in `room` pixels of legend text, or
/// the last one cut (with an ellipsis) to fit.
pub fn fit<DB: DrawingBackend>(
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
