//! Legends: a strip under the plot, its entries filling rows, each a
//! symbol (`Key`) and a label; and the strategy bars and keys the
//! legend names.

use super::axis::shorten;
use super::style::FAINT;
use super::style::{INK, dashed, pale, strategy_color, text};
use super::{Area, DrawResult};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A legend entry's symbol.
pub(crate) enum Key {
    Line(RGBColor, bool),
    Box(RGBColor),
    /// A pale box with a border in the colour: strategies past the
    /// palette's length.
    Outlined(RGBColor),
}

/// The legend key of strategy `i`'s bars.
pub(crate) fn strategy_box(i: usize) -> Key {
    if dashed(i) {
        Key::Outlined(strategy_color(i))
    } else {
        Key::Box(strategy_color(i))
    }
}

/// Strategy `i`'s bar over `[from, to]`: solid, or (past the palette)
/// pale with a border in the colour, `margin` pixels inside the row.
pub(crate) fn strategy_bar(
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
pub(crate) fn with_legend<DB: DrawingBackend>(
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
pub(crate) fn line_label(names: &[&str], same: &[Option<usize>], i: usize) -> String {
    match same.get(i).copied().flatten() {
        Some(first) => format!("{} (same as {})", shorten(names[i]), shorten(names[first])),
        None => shorten(names[i]),
    }
}

pub(crate) fn strategy_keys(names: &[&str], same: &[Option<usize>]) -> Vec<(String, Key)> {
    (0..names.len())
        .map(|i| {
            (
                line_label(names, same, i),
                Key::Line(strategy_color(i), dashed(i)),
            )
        })
        .collect()
}

/// The legend entry for the faint lines behind each panel's own.
pub(crate) fn others_key() -> (String, Key) {
    (
        "other strategies (each in its own panel)".to_string(),
        Key::Line(FAINT, false),
    )
}
