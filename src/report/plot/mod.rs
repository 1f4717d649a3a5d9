//! The plotting kit every chart of backsim is drawn with: the canvas
//! (`Frame`), one drawing for two backends (`Drawing`, `svg_of`,
//! `png_of`), colours and the embedded font (`style`), axes and tick
//! labels ([`axis`]), legends ([`legend`]) and line charts that stay
//! readable ([`lines`]). It knows nothing of runs or sweeps.
//!
//! Text in PNGs is rasterised from DejaVu Sans, embedded in the binary and
//! registered once (`raster`): no system font library is needed (or
//! linked).

pub mod axis;
pub mod legend;
pub mod lines;
mod raster;
pub mod style;

pub use axis::*;
pub(crate) use legend::*;
pub use lines::*;
pub use style::*;

use crate::Error;
use plotters::coord::Shift;
use plotters::prelude::*;

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

/// A picture drawn the same way on the SVG and the PNG backend.
pub(crate) trait Drawing {
    /// The chart's file stem, for error messages.
    fn name(&self) -> &str;
    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> DrawResult<DB>;
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
        let root = raster::GlyphText {
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
