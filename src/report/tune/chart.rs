//! The Pareto charts of `backsim tune`: every candidate evaluated as a
//! point of success rate against wasted USD and against the p99 time to
//! success, the Pareto front (success rate higher, the other lower) drawn
//! as a line, the scenario's own strategies and the recommendation
//! marked. Drawn with the helpers of [`crate::report::plot`], as SVG and PNG.

use crate::Error;
use crate::report::plot::{
    Area, DrawResult, Drawing, Frame, GRID, INK, MUTED, legend_strip, png_of, strategy_color,
    svg_of, text,
};
use plotters::prelude::*;

/// One candidate as the charts draw it.
#[derive(Debug, Clone, PartialEq)]
pub struct TunePoint {
    pub name: String,
    /// Success rate, 0 to 1.
    pub success: f64,
    /// The x value: wasted USD or the p99 time to success in seconds
    /// (NaN: not drawn).
    pub x: f64,
    pub pareto: bool,
    pub recommended: bool,
    /// One of the scenario's own strategies.
    pub own: bool,
}

/// Which chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TuneChart {
    SuccessVsWasted,
    SuccessVsTtsP99,
}

impl TuneChart {
    pub const ALL: [TuneChart; 2] = [TuneChart::SuccessVsWasted, TuneChart::SuccessVsTtsP99];

    /// The file stem.
    pub fn name(self) -> &'static str {
        match self {
            TuneChart::SuccessVsWasted => "tune_success_vs_wasted_usd",
            TuneChart::SuccessVsTtsP99 => "tune_success_vs_tts_p99",
        }
    }

    /// `<name>.svg` and `<name>.png`.
    pub fn files(self) -> [String; 2] {
        [
            format!("{}.svg", self.name()),
            format!("{}.png", self.name()),
        ]
    }

    fn title(self) -> &'static str {
        match self {
            TuneChart::SuccessVsWasted => "Success rate against wasted spend",
            TuneChart::SuccessVsTtsP99 => "Success rate against p99 time to success",
        }
    }

    fn x_title(self) -> &'static str {
        match self {
            TuneChart::SuccessVsWasted => "wasted USD per run",
            TuneChart::SuccessVsTtsP99 => "p99 time to success (s)",
        }
    }
}

/// Every chart file name of a tune report.
pub fn file_names() -> Vec<String> {
    TuneChart::ALL.iter().flat_map(|c| c.files()).collect()
}

struct Plot<'a> {
    chart: TuneChart,
    points: &'a [TunePoint],
    subtitle: &'a str,
}

impl Drawing for Plot<'_> {
    fn name(&self) -> &str {
        self.chart.name()
    }

    fn draw<DB: DrawingBackend>(&self, root: &Area<DB>) -> DrawResult<DB> {
        draw(self, root)
    }
}

/// Both charts, SVG and PNG, as report files.
pub fn render(
    points_by_chart: &[(TuneChart, Vec<TunePoint>)],
    subtitle: &str,
) -> Result<Vec<(String, Vec<u8>)>, Error> {
    let mut files = Vec::new();
    for (chart, points) in points_by_chart {
        let plot = Plot {
            chart: *chart,
            points,
            subtitle,
        };
        let [svg, png] = chart.files();
        files.push((svg, svg_of(&plot, Frame::FILE)?.into_bytes()));
        files.push((png, png_of(&plot, Frame::FILE)?));
    }
    Ok(files)
}

const OTHER: RGBColor = RGBColor(0xB0, 0xB0, 0xB0);
/// Pixels between the tops of two stacked labels.
const LABEL_LINE: i32 = 15;

fn draw<DB: DrawingBackend>(p: &Plot, root: &Area<DB>) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let body = root.margin(14, 8, 14, 20);
    let (head, body) = body.split_vertically(52);
    head.draw(&Text::new(p.chart.title(), (0, 0), text(22, INK)))?;
    head.draw(&Text::new(p.subtitle.to_string(), (0, 28), text(15, MUTED)))?;
    let labels = [
        "candidate",
        "Pareto front",
        "scenario's strategy",
        "recommended",
    ];
    let colours = [
        OTHER,
        strategy_color(0),
        strategy_color(1),
        strategy_color(2),
    ];
    let plot = legend_strip(&body, &labels, |legend, i, (x, y)| {
        legend.draw(&Circle::new((x + 14, y), 5, colours[i].filled()))
    })?;
    let drawn: Vec<&TunePoint> = p
        .points
        .iter()
        .filter(|q| q.x.is_finite() && q.success.is_finite())
        .collect();
    let x_max = drawn.iter().map(|q| q.x).fold(0.0, f64::max);
    let x_max = if x_max > 0.0 { x_max * 1.05 } else { 1.0 };
    let mut chart = ChartBuilder::on(&plot)
        .margin(8)
        .x_label_area_size(44)
        .y_label_area_size(62)
        .build_cartesian_2d(0.0..x_max, 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_label_formatter(&crate::report::plot::fmt_tick)
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .axis_style(MUTED)
        .x_desc(p.chart.x_title())
        .y_desc("success rate")
        .label_style(text(14, INK))
        .axis_desc_style(text(15, INK))
        .draw()?;
    let mut front: Vec<(f64, f64)> = drawn
        .iter()
        .filter(|q| q.pareto)
        .map(|q| (q.x, q.success))
        .collect();
    front.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    chart.draw_series(
        drawn
            .iter()
            .filter(|q| !q.pareto && !q.own && !q.recommended)
            .map(|q| Circle::new((q.x, q.success), 3, OTHER.filled())),
    )?;
    chart.draw_series(LineSeries::new(
        front.clone(),
        strategy_color(0).stroke_width(2),
    ))?;
    chart.draw_series(
        front
            .iter()
            .map(|&(x, y)| Circle::new((x, y), 4, strategy_color(0).filled())),
    )?;
    let mut named: Vec<&&TunePoint> = drawn.iter().filter(|q| q.own || q.recommended).collect();
    for q in &named {
        let c = if q.recommended {
            strategy_color(2)
        } else {
            strategy_color(1)
        };
        chart.draw_series(std::iter::once(Circle::new(
            (q.x, q.success),
            6,
            c.filled(),
        )))?;
    }
    // Labels right of their points, top to bottom, each at least a line
    // below the one before, so that strategies with close figures stay
    // readable (a label moved down keeps its point's x).
    named.sort_by_key(|q| chart.backend_coord(&(q.x, q.success)).1);
    let mut below = i32::MIN;
    for q in named {
        let (_, y) = chart.backend_coord(&(q.x, q.success));
        let top = (y - 8).max(below);
        below = top + LABEL_LINE;
        chart.draw_series(std::iter::once(
            EmptyElement::at((q.x, q.success))
                + Text::new(
                    crate::report::plot::shorten(&q.name),
                    (9, top - y),
                    text(13, INK),
                ),
        ))?;
    }
    Ok(())
}
