//! The recovery map of a sweep: `sweep_recovered_map` (SVG and PNG).
//!
//! Drawn for a sweep of a scenario with `[report.recovery]` and at least
//! two swept keys. One heat map per strategy (scenario order), side by
//! side, at most [`MAX_COLUMNS`] to a row: the first swept key across (its
//! values in grid order, as categories), the second up (its first value at
//! the bottom), each cell coloured by the share of the point's
//! replications that recovered (`summary.csv`'s `recovered`) on the
//! viridis scale (dark purple: every replication stuck, 0; yellow: every
//! one recovered, 1), which reads the same with the common forms of colour
//! blindness and in grey, and the share written in the cell. Further
//! swept keys are held at their first value; the subtitle says so.
//!
//! Cells too small for their number stay coloured without it; labels of
//! the axes too dense to fit are thinned to every k-th value.

use super::chart::{fmt_value, replication_range};
use super::data::{SweepData, grid_indices};
use crate::Error;
use crate::format::fmt_num;
use crate::report::plot::{self, Area, DrawResult, Drawing, Frame, INK, MUTED, fit, no_data, text};
use crate::time::format_duration;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The chart's file stem.
pub const NAME: &str = "sweep_recovered_map";

/// The chart's title.
pub const TITLE: &str = "Recovered after the trigger";

/// At most this many panels (strategies) side by side; more wrap into
/// further rows.
pub const MAX_COLUMNS: usize = 3;

/// The chart's files: `sweep_recovered_map.svg` and `.png`.
pub fn files() -> [String; 2] {
    [format!("{NAME}.svg"), format!("{NAME}.png")]
}

/// Whether a sweep gets the map: its scenario judges recovery and it
/// sweeps at least two keys.
pub fn drawn(data: &SweepData) -> bool {
    drawn_for(data.recovery.is_some(), data.axes.len())
}

/// [`drawn`] for a sweep that judges recovery or not and sweeps `keys`
/// keys.
pub fn drawn_for(recovery: bool, keys: usize) -> bool {
    recovery && keys >= 2
}

// ---------------------------------------------------------------------------
// Data preparation.

/// One strategy's heat map.
#[derive(Debug, Clone, PartialEq)]
pub struct MapPanel {
    /// Index into [`SweepData::strategies`].
    pub strategy: usize,
    pub name: String,
    /// `cells[y][x]`: the share of replications that recovered at the
    /// `x`-th value of the first key and the `y`-th of the second (grid
    /// order); NaN where there is no value.
    pub cells: Vec<Vec<f64>>,
}

/// What the map shows.
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveryMap {
    pub x_key: String,
    pub y_key: String,
    /// The keys' values as the page writes them (`0.1`, `5s`), in grid
    /// order.
    pub x_labels: Vec<String>,
    pub y_labels: Vec<String>,
    /// The further keys at their first value, as `key=value`.
    pub fixed: Vec<String>,
    /// One per strategy, in scenario order.
    pub panels: Vec<MapPanel>,
}

/// The map of a sweep with at least two keys (`None` with fewer).
pub fn recovery_map(data: &SweepData) -> Option<RecoveryMap> {
    let [x_axis, y_axis, rest @ ..] = data.axes.as_slice() else {
        return None;
    };
    let lens: Vec<usize> = data.axes.iter().map(|a| a.values.len()).collect();
    let (nx, ny) = (lens[0], lens[1]);
    let points = data.points();
    let mut panels: Vec<MapPanel> = data
        .strategies
        .iter()
        .enumerate()
        .map(|(strategy, name)| MapPanel {
            strategy,
            name: name.clone(),
            cells: vec![vec![f64::NAN; nx]; ny],
        })
        .collect();
    for r in data.rows.iter().filter(|r| r.point < points) {
        let idx = grid_indices(&lens, r.point);
        if idx[2..].iter().any(|&i| i != 0) {
            continue;
        }
        if let Some(cell) = panels
            .get_mut(r.strategy)
            .and_then(|p| p.cells.get_mut(idx[1]))
            .and_then(|row| row.get_mut(idx[0]))
        {
            *cell = r.recovered;
        }
    }
    let labels = |a: &super::data::SweepAxis| -> Vec<String> {
        a.values.iter().map(|&v| fmt_value(a, v)).collect()
    };
    Some(RecoveryMap {
        x_key: x_axis.key.clone(),
        y_key: y_axis.key.clone(),
        x_labels: labels(x_axis),
        y_labels: labels(y_axis),
        fixed: rest
            .iter()
            .filter_map(|a| {
                a.values
                    .first()
                    .map(|&v| format!("{}={}", a.key, fmt_value(a, v)))
            })
            .collect(),
        panels,
    })
}

/// A share as a cell shows it: at most two decimals, "1" only when every
/// replication recovered and "0" only when none did; "-" without a value.
pub fn cell_text(share: f64) -> String {
    if !share.is_finite() {
        return "-".into();
    }
    match fmt_num(share, 2).as_str() {
        "1" if share < 1.0 => ">0.99".into(),
        "0" if share > 0.0 => "<0.01".into(),
        s => s.to_string(),
    }
}

/// How many replications each share is of.
fn replications_text(data: &SweepData) -> String {
    let (lo, hi) = replication_range(data);
    if lo != hi {
        format!("{lo}–{hi} replications")
    } else if lo == 1 {
        "1 replication".into()
    } else {
        format!("{lo} replications")
    }
}

/// What the numbers are: the scenario, how many replications each share
/// is of, and the values the further keys are held at.
pub fn subtitle(data: &SweepData) -> String {
    let mut s = format!(
        "{} · share of {} per point that recovered",
        data.scenario,
        replications_text(data)
    );
    if let Some(map) = recovery_map(data).filter(|m| !m.fixed.is_empty()) {
        let n = map.fixed.len();
        s.push_str(&format!(
            " · at {} (first value{})",
            map.fixed.join(", "),
            if n == 1 { "" } else { "s" }
        ));
    }
    s
}

/// How to read the map, for the page.
pub fn caption(data: &SweepData) -> String {
    let rule = data.recovery.map_or(String::new(), |r| {
        format!(
            ", that is, whose goodput over the last {} of the {} after the trigger was back to at \
             least {}% of the offered rate",
            format_duration(r.window),
            format_duration(r.within),
            fmt_num(100.0 * r.goodput, 3)
        )
    });
    let mut c = format!(
        "One map per strategy. Each cell is one point of the grid: the share of its {} that \
         recovered{rule} (column recovered of summary.csv). 1 (yellow): every replication \
         recovered; 0 (dark purple): every one stayed stuck.",
        replications_text(data)
    );
    if let Some(map) = recovery_map(data).filter(|m| !m.fixed.is_empty()) {
        c.push_str(&format!(
            " The further swept keys are held at their first value ({}); summary.csv has every \
             point.",
            map.fixed.join(", ")
        ));
    }
    c
}

// ---------------------------------------------------------------------------
// Colours.

/// The viridis scale (matplotlib's), at 0, 0.1, …, 1.
const VIRIDIS: [(u8, u8, u8); 11] = [
    (0x44, 0x01, 0x54),
    (0x48, 0x24, 0x75),
    (0x41, 0x44, 0x87),
    (0x35, 0x5f, 0x8d),
    (0x2a, 0x78, 0x8e),
    (0x21, 0x91, 0x8c),
    (0x22, 0xa8, 0x84),
    (0x44, 0xbf, 0x70),
    (0x7a, 0xd1, 0x51),
    (0xbd, 0xdf, 0x26),
    (0xfd, 0xe7, 0x25),
];

/// A cell without a value.
const NO_VALUE: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);

/// The colour of a share (0 dark purple … 1 yellow); grey without one.
pub fn share_color(share: f64) -> RGBColor {
    if !share.is_finite() {
        return NO_VALUE;
    }
    let t = share.clamp(0.0, 1.0) * 10.0;
    let i = (t.floor() as usize).min(VIRIDIS.len() - 2);
    let f = t - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The text colour with the more contrast on `c`: white or ink.
fn ink_on(c: RGBColor) -> RGBColor {
    let lin = |x: u8| {
        let x = f64::from(x) / 255.0;
        if x <= 0.04045 {
            x / 12.92
        } else {
            ((x + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * lin(c.0) + 0.7152 * lin(c.1) + 0.0722 * lin(c.2);
    // Equal contrast with white and black at about 0.18.
    if l < 0.18 { WHITE } else { INK }
}

// ---------------------------------------------------------------------------
// Rendering.

/// The map as an SVG document.
pub fn render_svg(data: &SweepData, frame: Frame) -> Result<String, Error> {
    plot::svg_of(&MapChart { data, frame }, frame)
}

/// The map as a PNG image.
pub fn render_png(data: &SweepData, frame: Frame) -> Result<Vec<u8>, Error> {
    plot::png_of(&MapChart { data, frame }, frame)
}

struct MapChart<'a> {
    data: &'a SweepData,
    frame: Frame,
}

impl Drawing for MapChart<'_> {
    fn name(&self) -> &str {
        NAME
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let mut body = root.margin(14, 8, 14, 20);
        if self.frame.titled {
            let (head, rest) = body.split_vertically(52);
            let room = head.dim_in_pixel().0 as i32;
            head.draw(&Text::new(TITLE, (0, 0), text(22, INK)))?;
            let sub = fit_text(&head, &subtitle(self.data), 15, room)?;
            head.draw(&Text::new(sub, (0, 28), text(15, MUTED)))?;
            body = rest;
        }
        let Some(map) = recovery_map(self.data) else {
            return no_data(&body, "A recovery map needs at least two swept keys.");
        };
        if self.data.rows.is_empty() {
            return no_data(&body, "The sweep has no results.");
        }
        if map.panels.is_empty() || map.x_labels.is_empty() || map.y_labels.is_empty() {
            return no_data(&body, "No point has a value to map.");
        }
        let any_missing = map
            .panels
            .iter()
            .flat_map(|p| p.cells.iter().flatten())
            .any(|v| !v.is_finite());
        let plot = legend(&body, any_missing)?;
        draw_panels(&plot, &map)
    }
}

/// `s` in `size`-pixel text, cut with an ellipsis to fit in `room`
/// pixels.
fn fit_text<DB: DrawingBackend>(
    area: &Area<DB>,
    s: &str,
    size: u32,
    room: i32,
) -> Result<String, DrawingAreaErrorKind<DB::ErrorType>> {
    let style = text(size, INK);
    let fits = |s: &str| -> Result<bool, DrawingAreaErrorKind<DB::ErrorType>> {
        Ok(area.estimate_text_size(s, &style)?.0 as i32 <= room)
    };
    if fits(s)? {
        return Ok(s.to_string());
    }
    let mut chars: Vec<char> = s.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let cut = chars.iter().collect::<String>().trim_end().to_string() + "…";
        if fits(&cut)? {
            return Ok(cut);
        }
    }
    Ok(String::new())
}

const LEGEND_HEIGHT: i32 = 36;
const BAR_HEIGHT: i32 = 14;

/// The colour scale, centred in a strip under the maps:
/// `stuck 0 [dark purple → yellow] 1 recovered`, and a grey box for
/// cells without a value if there are any. Returns the area left above.
fn legend<DB: DrawingBackend>(
    area: &Area<DB>,
    any_missing: bool,
) -> Result<Area<DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (w, h) = area.dim_in_pixel();
    let (plot, strip) = area.split_vertically(h as i32 - LEGEND_HEIGHT);
    let style = text(15, INK);
    let width = |s: &str| -> Result<i32, DrawingAreaErrorKind<DB::ErrorType>> {
        Ok(strip.estimate_text_size(s, &style)?.0 as i32)
    };
    let (left, right, missing) = ("stuck 0", "1 recovered", "no value");
    let gap = 8;
    let bar = (w as i32 / 4).clamp(100, 240);
    let mut total = width(left)? + gap + bar + gap + width(right)?;
    if any_missing {
        total += 24 + BAR_HEIGHT + 6 + width(missing)?;
    }
    let y = 10 + 12;
    let mut x = ((w as i32 - total) / 2).max(0);
    let at = |x: i32| (x, y);
    strip.draw(&Text::new(
        left,
        at(x),
        style.pos(Pos::new(HPos::Left, VPos::Center)),
    ))?;
    x += width(left)? + gap;
    let top = y - BAR_HEIGHT / 2;
    for i in 0..bar {
        let c = share_color(f64::from(i) / f64::from(bar - 1));
        strip.draw(&Rectangle::new(
            [(x + i, top), (x + i + 1, top + BAR_HEIGHT)],
            c.filled(),
        ))?;
    }
    x += bar + gap;
    strip.draw(&Text::new(
        right,
        at(x),
        style.pos(Pos::new(HPos::Left, VPos::Center)),
    ))?;
    if any_missing {
        x += width(right)? + 24;
        strip.draw(&Rectangle::new(
            [(x, top), (x + BAR_HEIGHT, top + BAR_HEIGHT)],
            NO_VALUE.filled(),
        ))?;
        strip.draw(&Text::new(
            missing,
            at(x + BAR_HEIGHT + 6),
            style.pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    Ok(plot)
}

/// Room for the rotated y axis title.
const Y_TITLE: i32 = 30;
/// Room under the maps for the x axis title.
const X_TITLE: i32 = 26;
/// Between panels side by side, and between rows of panels.
const GAP: i32 = 18;
const ROW_GAP: i32 = 8;
/// A panel's strategy name, over its map.
const HEADER: i32 = 24;
/// The x tick labels under a map.
const X_LABELS: i32 = 22;
/// The smallest cell drawn, in pixels.
const MIN_CELL: i32 = 3;

/// How many panels go side by side in a `width`-pixel area: up to
/// [`MAX_COLUMNS`] on a wide canvas, one (or two, past three panels) on a
/// narrow one.
fn columns(panels: usize, width: u32) -> usize {
    if width >= 720 {
        panels.min(MAX_COLUMNS)
    } else if panels <= MAX_COLUMNS {
        panels.min(1)
    } else {
        2
    }
}

/// Every `k`-th label, `k` the least step at which labels `extent`
/// pixels long (plus a gap) fit `cell` pixels apart.
fn label_step(extent: i32, cell: f64) -> usize {
    if cell <= 0.0 {
        return usize::MAX;
    }
    (f64::from(extent + 6) / cell).ceil().max(1.0) as usize
}

fn draw_panels<DB: DrawingBackend>(area: &Area<DB>, map: &RecoveryMap) -> DrawResult<DB> {
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let n = map.panels.len();
    let cols = columns(n, w as u32);
    let rows = n.div_ceil(cols);
    let (nx, ny) = (map.x_labels.len() as i32, map.y_labels.len() as i32);
    let label_style = text(14, INK);
    let size = |s: &str| -> Result<(i32, i32), DrawingAreaErrorKind<DB::ErrorType>> {
        let (a, b) = area.estimate_text_size(s, &label_style)?;
        Ok((a as i32, b as i32))
    };
    let mut y_label_w = 0;
    for l in &map.y_labels {
        y_label_w = y_label_w.max(size(l)?.0);
    }
    let mut x_label_w = 0;
    for l in &map.x_labels {
        x_label_w = x_label_w.max(size(l)?.0);
    }
    let label_h = size("0")?.1;
    let grid_left = Y_TITLE + y_label_w + 8;
    let panel_w = (w - grid_left - (cols as i32 - 1) * GAP - 4) / cols as i32;
    let panel_h = (h - X_TITLE - (rows as i32 - 1) * ROW_GAP) / rows as i32;
    let cells_h = panel_h - HEADER - X_LABELS;
    if panel_w < nx * MIN_CELL || cells_h < ny * MIN_CELL {
        return no_data(
            area,
            "Too many values for a map of this size: the shares are in summary.csv.",
        );
    }
    let (cell_w, cell_h) = (
        f64::from(panel_w) / f64::from(nx),
        f64::from(cells_h) / f64::from(ny),
    );
    // One text size for every cell, the largest that fits each of them.
    let texts: std::collections::BTreeSet<String> = map
        .panels
        .iter()
        .flat_map(|p| p.cells.iter().flatten())
        .map(|v| cell_text(*v))
        .collect();
    let mut widest = String::new();
    let mut widest_w = -1;
    for t in texts {
        let tw = size(&t)?.0;
        if tw > widest_w {
            (widest, widest_w) = (t, tw);
        }
    }
    let mut cell_font = None;
    for px in [14u32, 13, 12, 11] {
        let (tw, th) = area.estimate_text_size(&widest, &text(px, INK))?;
        if tw as f64 + 4.0 <= cell_w.floor() && th as f64 + 2.0 <= cell_h.floor() {
            cell_font = Some(px);
            break;
        }
    }
    let x_step = label_step(x_label_w, cell_w);
    let y_step = label_step(label_h, cell_h);
    let x_edge = |left: i32, i: i32| left + (i * panel_w) / nx;
    let y_edge = |top: i32, i: i32| top + (i * cells_h) / ny;
    let gap = i32::from(cell_w >= 8.0 && cell_h >= 8.0);
    for (k, panel) in map.panels.iter().enumerate() {
        let (row, col) = ((k / cols) as i32, (k % cols) as i32);
        let left = grid_left + col * (panel_w + GAP);
        let top = row * (panel_h + ROW_GAP);
        let cells_top = top + HEADER;
        // The strategy: its colour and name.
        let c = plot::strategy_color(panel.strategy);
        area.draw(&Rectangle::new(
            [(left, top + 5), (left + 12, top + 17)],
            c.filled(),
        ))?;
        let name = fit(area, &[plot::shorten(&panel.name)], panel_w - 18)?;
        area.draw(&Text::new(
            name,
            (left + 18, top + 11),
            text(15, INK).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        // The cells; the second key's first value at the bottom.
        for (yi, cells) in panel.cells.iter().enumerate() {
            let t = ny - 1 - yi as i32;
            let (y0, y1) = (y_edge(cells_top, t), y_edge(cells_top, t + 1));
            for (xi, &v) in cells.iter().enumerate() {
                let (x0, x1) = (x_edge(left, xi as i32), x_edge(left, xi as i32 + 1));
                let fill = share_color(v);
                area.draw(&Rectangle::new(
                    [(x0, y0), (x1 - gap, y1 - gap)],
                    fill.filled(),
                ))?;
                if let Some(px) = cell_font {
                    let ink = if v.is_finite() { ink_on(fill) } else { MUTED };
                    area.draw(&Text::new(
                        cell_text(v),
                        ((x0 + x1 - gap) / 2, (y0 + y1 - gap) / 2),
                        text(px, ink).pos(Pos::new(HPos::Center, VPos::Center)),
                    ))?;
                }
            }
        }
        // The first key's values under the map.
        let labels_top = cells_top + cells_h + 4;
        // Within the panel and half the gap either side, so that labels
        // of panels side by side never meet: one past an end moves in,
        // and is left out if it then meets its neighbour.
        let (lo, hi) = (left - GAP / 2 + 1, left + panel_w + GAP / 2 - 1);
        let mut last_end = i32::MIN;
        for (xi, l) in map.x_labels.iter().enumerate().step_by(x_step.max(1)) {
            let xi = xi as i32;
            let half = size(l)?.0 / 2 + 1;
            let x = (x_edge(left, xi) + x_edge(left, xi + 1) - gap) / 2;
            let x = x.min(hi - half).max(lo + half);
            if x - half < last_end + 4 || x + half > hi {
                continue;
            }
            last_end = x + half;
            area.draw(&Text::new(
                l.clone(),
                (x, labels_top),
                label_style.pos(Pos::new(HPos::Center, VPos::Top)),
            ))?;
        }
        // The second key's values left of the first map of a row.
        if col == 0 {
            for (yi, l) in map.y_labels.iter().enumerate().step_by(y_step.max(1)) {
                let t = ny - 1 - yi as i32;
                let y = (y_edge(cells_top, t) + y_edge(cells_top, t + 1) - gap) / 2;
                area.draw(&Text::new(
                    l.clone(),
                    (grid_left - 8, y),
                    label_style.pos(Pos::new(HPos::Right, VPos::Center)),
                ))?;
            }
        }
    }
    // Axis titles: the first key under every map, the second up the side.
    let grid_w = cols as i32 * panel_w + (cols as i32 - 1) * GAP;
    let title_style = text(16, INK);
    let x_title = fit_text(area, &map.x_key, 16, grid_w)?;
    area.draw(&Text::new(
        x_title,
        (grid_left + grid_w / 2, h - X_TITLE / 2),
        title_style.pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    let maps_h = h - X_TITLE;
    let y_title = fit_text(area, &map.y_key, 16, maps_h)?;
    area.draw(&Text::new(
        y_title,
        (Y_TITLE / 2 - 4, maps_h / 2),
        title_style
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sweep::{Estimate, SweepAxis, SweepRow};
    use crate::scenario::Recovery;

    const NAN: f64 = f64::NAN;

    fn axis(key: &str, values: &[f64], seconds: bool) -> SweepAxis {
        SweepAxis {
            key: key.into(),
            values: values.to_vec(),
            seconds,
            log: false,
        }
    }

    /// A sweep over `axes` of `strategies` where point p, strategy s
    /// recovered in a share `share(p, s)`.
    fn sweep(
        axes: Vec<SweepAxis>,
        strategies: &[&str],
        share: impl Fn(usize, usize) -> f64,
    ) -> SweepData {
        let points: usize = axes.iter().map(|a| a.values.len()).product();
        let e = Estimate {
            value: 1.0,
            ci95_low: NAN,
            ci95_high: NAN,
        };
        let rows = (0..points)
            .flat_map(|p| (0..strategies.len()).map(move |s| (p, s)))
            .map(|(point, strategy)| {
                SweepRow::new(point, strategy, 10, [e; 4], share(point, strategy))
            })
            .collect();
        SweepData {
            scenario: "metastability".into(),
            description: String::new(),
            replications: 10,
            precision: None,
            axes,
            strategies: strategies.iter().map(|s| s.to_string()).collect(),
            rows,
            stream: true,
            recovery: Some(Recovery {
                after: 80_000_000_000,
                within: 90_000_000_000,
                window: 10_000_000_000,
                goodput: 0.9,
                rate_per_s: 80.0,
            }),
            priced: true,
        }
    }

    /// cut 0.1, 0.5, 0.8 × duration 5 s, 20 s: point p = 2 · cut + duration;
    /// strategy s recovered in a share p / 10 + s / 100.
    fn two_keys() -> SweepData {
        sweep(
            vec![
                axis("server.capacity_cuts.0.cut", &[0.1, 0.5, 0.8], false),
                axis("server.capacity_cuts.0.duration", &[5.0, 20.0], true),
            ],
            &["immediate-retry", "full-jitter"],
            |p, s| (10 * p + s) as f64 / 100.0,
        )
    }

    #[test]
    fn cells_are_the_rows_shares_by_first_and_second_key() {
        let d = two_keys();
        let m = recovery_map(&d).expect("two keys");
        assert_eq!(m.x_key, "server.capacity_cuts.0.cut");
        assert_eq!(m.y_key, "server.capacity_cuts.0.duration");
        assert_eq!(m.x_labels, ["0.1", "0.5", "0.8"]);
        assert_eq!(m.y_labels, ["5s", "20s"]);
        assert!(m.fixed.is_empty());
        assert_eq!(m.panels.len(), 2);
        assert_eq!(m.panels[1].name, "full-jitter");
        assert_eq!(
            m.panels[0].cells,
            vec![vec![0.0, 0.2, 0.4], vec![0.1, 0.3, 0.5]]
        );
        assert_eq!(
            m.panels[1].cells,
            vec![vec![0.01, 0.21, 0.41], vec![0.11, 0.31, 0.51]]
        );
        assert_eq!(
            subtitle(&d),
            "metastability · share of 10 replications per point that recovered"
        );
        assert!(caption(&d).contains(
            "the share of its 10 replications that recovered, that is, whose goodput over the \
             last 10s of the 90s after the trigger was back to at least 90% of the offered rate"
        ));
        // One key: no map.
        let mut one = d.clone();
        one.axes.truncate(1);
        assert!(recovery_map(&one).is_none());
        assert!(!drawn(&one));
        assert!(drawn(&d));
        let mut none = d;
        none.recovery = None;
        assert!(!drawn(&none));
    }

    #[test]
    fn further_keys_are_held_at_their_first_value() {
        // 2 × 2 × 3: point = 6 x + 3 y + z; only z = 0 is mapped.
        let d = sweep(
            vec![
                axis("a", &[1.0, 2.0], false),
                axis("b", &[10.0, 20.0], false),
                axis("strategy.*.backoff.base", &[0.5, 1.0, 2.0], true),
            ],
            &["only"],
            |p, _| if p % 3 == 0 { p as f64 / 10.0 } else { NAN },
        );
        let m = recovery_map(&d).expect("three keys");
        assert_eq!(m.fixed, ["strategy.*.backoff.base=0.5s"]);
        assert_eq!(m.panels[0].cells, vec![vec![0.0, 0.6], vec![0.3, 0.9]]);
        assert_eq!(
            subtitle(&d),
            "metastability · share of 10 replications per point that recovered · at \
             strategy.*.backoff.base=0.5s (first value)"
        );
        assert!(caption(&d).contains("held at their first value (strategy.*.backoff.base=0.5s)"));
    }

    #[test]
    fn cells_say_1_and_0_only_when_all_or_none_recovered() {
        assert_eq!(cell_text(1.0), "1");
        assert_eq!(cell_text(0.0), "0");
        assert_eq!(cell_text(0.8), "0.8");
        assert_eq!(cell_text(1.0 / 3.0), "0.33");
        assert_eq!(cell_text(0.998), ">0.99");
        assert_eq!(cell_text(0.002), "<0.01");
        assert_eq!(cell_text(NAN), "-");
    }

    #[test]
    fn the_scale_runs_from_dark_purple_to_yellow() {
        assert_eq!(share_color(0.0), RGBColor(0x44, 0x01, 0x54));
        assert_eq!(share_color(1.0), RGBColor(0xfd, 0xe7, 0x25));
        assert_eq!(share_color(0.5), RGBColor(0x21, 0x91, 0x8c));
        assert_eq!(share_color(NAN), NO_VALUE);
        // Lighter all the way: the scale also reads in grey.
        let lum = |c: RGBColor| {
            0.2126 * f64::from(c.0) + 0.7152 * f64::from(c.1) + 0.0722 * f64::from(c.2)
        };
        let mut last = -1.0;
        for i in 0..=100 {
            let l = lum(share_color(f64::from(i) / 100.0));
            assert!(l > last, "{i}");
            last = l;
        }
        assert_eq!(ink_on(share_color(0.0)), WHITE);
        assert_eq!(ink_on(share_color(1.0)), INK);
    }

    /// The texts of an SVG document (which must parse).
    fn svg_texts(svg: &str, what: &str) -> Vec<String> {
        let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{what}: {e}"));
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| n.text().unwrap_or("").trim().to_string())
            .collect()
    }

    #[test]
    fn the_svg_names_strategies_keys_values_and_shares() {
        let d = two_keys();
        let svg = render_svg(&d, Frame::FILE).expect("svg");
        let texts = svg_texts(&svg, "two keys");
        let count = |s: &str| texts.iter().filter(|t| *t == s).count();
        for t in [
            TITLE,
            "metastability · share of 10 replications per point that recovered",
            "immediate-retry",
            "full-jitter",
            "server.capacity_cuts.0.cut",
            "server.capacity_cuts.0.duration",
            "stuck 0",
            "1 recovered",
        ] {
            assert_eq!(count(t), 1, "{t}");
        }
        // Values under each map, shares in each cell.
        assert_eq!(count("0.5"), 2 + 1, "x label twice, one share");
        assert_eq!(count("20s"), 1, "y labels left of the first map only");
        for v in ["0.2", "0.41", "0.51", "0.11"] {
            assert_eq!(count(v), 1, "{v}");
        }
        assert_eq!(count("no value"), 0);
        let png = render_png(&d, Frame::FILE).expect("png");
        let reader = png::Decoder::new(png.as_slice()).read_info().expect("png");
        assert_eq!((reader.info().width, reader.info().height), (960, 540));
        // Same data, same bytes.
        assert_eq!(render_svg(&d, Frame::FILE).expect("svg"), svg);
        assert_eq!(render_png(&d, Frame::FILE).expect("png"), png);
    }

    #[test]
    fn degenerate_maps_draw_without_panicking() {
        let mut cases: Vec<(&str, SweepData)> = vec![("two keys", two_keys())];
        let mut d = two_keys();
        d.rows.clear();
        cases.push(("no rows", d));
        let mut d = two_keys();
        d.strategies.clear();
        cases.push(("no strategies", d));
        let mut d = two_keys();
        d.axes[1].values.clear();
        cases.push(("empty key", d));
        let mut d = two_keys();
        d.axes.truncate(1);
        cases.push(("one key", d));
        cases.push((
            "missing shares",
            sweep(
                vec![axis("a", &[1.0, 2.0], false), axis("b", &[3.0], false)],
                &["x"],
                |p, _| if p == 0 { NAN } else { 1.0 },
            ),
        ));
        let many: Vec<String> = (0..8).map(|i| format!("strategy-{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        cases.push((
            "8 strategies",
            sweep(
                vec![
                    axis("a", &[1.0, 2.0, 3.0], false),
                    axis("b", &[1.0, 2.0], false),
                ],
                &many,
                |p, s| ((p + s) % 3) as f64 / 2.0,
            ),
        ));
        cases.push((
            "metastability",
            sweep(
                vec![
                    axis(
                        "server.capacity_cuts.0.cut",
                        &[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
                        false,
                    ),
                    axis(
                        "server.capacity_cuts.0.duration",
                        &[5.0, 10.0, 20.0, 40.0, 80.0],
                        true,
                    ),
                ],
                &["immediate-retry", "full-jitter", "full-jitter+budget"],
                |p, s| ((p * 7 + s) % 11) as f64 / 10.0,
            ),
        ));
        let values: Vec<f64> = (0..400).map(f64::from).collect();
        cases.push((
            "400 × 400",
            sweep(
                vec![axis("a", &values, false), axis("b", &values, false)],
                &["x"],
                |_, _| 1.0,
            ),
        ));
        let values: Vec<f64> = (0..60).map(|i| 100_000.0 + f64::from(i)).collect();
        cases.push((
            "60 long labels",
            sweep(
                vec![axis("a", &values, false), axis("b", &[1.0, 2.0], false)],
                &["x", "y", "z"],
                |p, _| (p % 2) as f64,
            ),
        ));
        for (what, d) in &cases {
            for frame in [Frame::FILE, Frame::NARROW] {
                let svg = render_svg(d, frame).unwrap_or_else(|e| panic!("{what}: {e}"));
                svg_texts(&svg, what);
                render_png(d, frame).unwrap_or_else(|e| panic!("{what}: {e}"));
            }
            if std::env::var_os("BACKSIM_DUMP_MAPS").is_some() {
                let name = what.replace(' ', "_");
                for (frame, tag) in [(Frame::FILE, "file"), (Frame::NARROW, "narrow")] {
                    std::fs::write(
                        std::env::temp_dir().join(format!("map-{name}-{tag}.png")),
                        render_png(d, frame).expect("png"),
                    )
                    .expect("write");
                }
            }
        }
        let texts = svg_texts(
            &render_svg(&cases[5].1, Frame::FILE).expect("svg"),
            "missing",
        );
        assert!(texts.iter().any(|t| t == "no value"));
        assert!(texts.iter().any(|t| t == "-"));
    }
}
