//! The charts of a run's report, each as SVG and PNG.
//!
//! Every chart is drawn in two steps: a *data-preparation* function
//! ([`data`]) turns the report's data ([`ReportData`], read back from the
//! CSV files) into exactly the numbers the chart plots (tested against the
//! CSV files), and a drawing function ([`draw`]) puts them on a plotters
//! backend with the plotting kit ([`crate::report::plot`]). The same
//! drawing code serves the SVG and the PNG backend, so both show the same
//! picture. Strategies keep one colour across every chart of a report,
//! taken in scenario order ([`crate::report::plot::style`]).

pub mod data;
pub mod draw;

#[cfg(doc)]
use crate::report::run::read::ReportData;
pub use data::*;
pub use draw::{render_png, render_svg, subtitle};
