//! Colours and text: the palette strategies take (Okabe–Ito, which stays
//! distinguishable for the common forms of colour blindness; past seven
//! strategies the colours repeat with dashed lines), the ink and grid
//! greys, and the embedded font.

use crate::Error;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use std::sync::OnceLock;

/// Lines of the other strategies behind a panel's own.
pub(crate) const FAINT: RGBColor = RGBColor(0xCC, 0xCC, 0xCC);

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
pub(crate) fn pale(c: RGBColor) -> RGBColor {
    let mix = |x: u8| ((u16::from(x) + 2 * 255) / 3) as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

pub(crate) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(crate) const MUTED: RGBColor = RGBColor(0x66, 0x66, 0x66);
pub(crate) const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
pub(crate) const SHADE: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
const FONT: &str = "sans-serif";

pub(crate) static FONT_BYTES: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

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
