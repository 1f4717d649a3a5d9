//! What a sweep's charts, page, table and findings are drawn from
//! ([`SweepData`]): the contents of `sweep.csv` and `scenario.toml` (and,
//! with `[report.recovery]`, `summary.csv`'s `recovered`), read back, so
//! that `backsim plot` and `backsim merge` draw exactly what
//! `backsim sweep` drew; its key metrics ([`SweepMetric`]), axes and rows.

use crate::scenario::{Recovery, Scenario};

pub use crate::scenario::sweep::grid_indices;

/// The key metrics a sweep charts, in page order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepMetric {
    SuccessRate,
    TtsP99,
    AttemptsPerRequest,
    WastedUsd,
    /// Successes per second: charted (open and closed loops), read from
    /// `summary.csv`; not a row of `sweep.csv`.
    Goodput,
}

impl SweepMetric {
    /// Every metric, in page and `sweep.csv` order.
    pub const ALL: [SweepMetric; 4] = [
        SweepMetric::SuccessRate,
        SweepMetric::TtsP99,
        SweepMetric::AttemptsPerRequest,
        SweepMetric::WastedUsd,
    ];

    /// Every metric charted, in page order: those of `sweep.csv` and
    /// goodput after the success rate.
    pub const CHARTED: [SweepMetric; 5] = [
        SweepMetric::SuccessRate,
        SweepMetric::Goodput,
        SweepMetric::TtsP99,
        SweepMetric::AttemptsPerRequest,
        SweepMetric::WastedUsd,
    ];

    /// Its name in `sweep.csv`'s `metric` column (the `summary.csv` column
    /// it comes from).
    pub fn name(self) -> &'static str {
        match self {
            SweepMetric::SuccessRate => "success_rate",
            SweepMetric::TtsP99 => "tts_p99_s",
            SweepMetric::AttemptsPerRequest => "attempts_per_request",
            SweepMetric::WastedUsd => "wasted_usd",
            SweepMetric::Goodput => "goodput_per_s",
        }
    }

    /// The chart's file stem: `sweep_<name>.svg` and `.png`.
    pub fn chart_name(self) -> &'static str {
        match self {
            SweepMetric::SuccessRate => "sweep_success_rate",
            SweepMetric::TtsP99 => "sweep_tts_p99",
            SweepMetric::AttemptsPerRequest => "sweep_attempts_per_request",
            SweepMetric::WastedUsd => "sweep_wasted_usd",
            SweepMetric::Goodput => "sweep_goodput",
        }
    }

    /// The chart's title.
    pub fn title(self) -> &'static str {
        match self {
            SweepMetric::SuccessRate => "Success rate",
            SweepMetric::TtsP99 => "99th percentile of time to success",
            SweepMetric::AttemptsPerRequest => "Attempts per request (load amplification)",
            SweepMetric::WastedUsd => "Wasted USD per run",
            SweepMetric::Goodput => "Goodput: successes per second",
        }
    }

    /// The y axis title, with its unit.
    pub fn axis_title(self) -> &'static str {
        match self {
            SweepMetric::SuccessRate => "requests succeeded (%)",
            SweepMetric::TtsP99 => "p99 time to success (s)",
            SweepMetric::AttemptsPerRequest => "attempts per request",
            SweepMetric::WastedUsd => "wasted USD per run",
            SweepMetric::Goodput => "successes per second",
        }
    }
}

/// A mean over replications and its 95% confidence interval (Student t
/// across replications), cut to the values the metric can take. NaN where
/// not defined (no success to time, or a single replication for the
/// bounds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
}

/// One swept key: a chart axis.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepAxis {
    /// The key as `summary.csv` and `sweep.csv` name it, e.g.
    /// `workload.clients` or `strategy.*.backoff.base`.
    pub key: String,
    /// Its values in sweep order, in SI units (durations in seconds).
    pub values: Vec<f64>,
    /// Whether the key is a duration (values in seconds).
    pub seconds: bool,
    /// Whether charts draw it on a logarithmic axis (a `scale = "log"`
    /// range, or positive listed values spanning at least a factor 100).
    pub log: bool,
}

/// One (point, strategy) of a sweep: one row of `summary.csv`, four of
/// `sweep.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRow {
    /// Index of the sweep point (see [`SweepData::point_values`]).
    pub point: usize,
    /// Index into [`SweepData::strategies`].
    pub strategy: usize,
    /// Replications this point ran (more than the scenario's with
    /// `--precision`).
    pub replications: u32,
    /// In [`SweepMetric::ALL`] order.
    pub metrics: [Estimate; 4],
    /// The share of the replications that recovered after the trigger
    /// (`summary.csv`'s `recovered`); NaN without `[report.recovery]`.
    pub recovered: f64,
    /// From `summary.csv` (NaN or None in reports written before these
    /// columns): successes per second and its CI half-width, the binding
    /// limit and what it admits per second in the long run.
    pub goodput_per_s: f64,
    pub goodput_ci95: f64,
    pub binding_limit: Option<crate::model::limiter::Limit>,
    pub ceiling_per_s: f64,
}

impl SweepRow {
    /// A metric's mean and 95% bounds at this row.
    pub fn estimate(&self, metric: SweepMetric) -> Estimate {
        if metric == SweepMetric::Goodput {
            let (value, half) = (self.goodput_per_s, self.goodput_ci95);
            let (ci95_low, ci95_high) = bounds(metric, value, half);
            return Estimate {
                value,
                ci95_low,
                ci95_high,
            };
        }
        let i = SweepMetric::ALL
            .iter()
            .position(|&m| m == metric)
            .unwrap_or(0);
        self.metrics[i]
    }

    /// A row with what `sweep.csv` gives; what `summary.csv` adds is
    /// unknown (NaN, None) until read.
    pub fn new(
        point: usize,
        strategy: usize,
        replications: u32,
        metrics: [Estimate; 4],
        recovered: f64,
    ) -> SweepRow {
        SweepRow {
            point,
            strategy,
            replications,
            metrics,
            recovered,
            goodput_per_s: f64::NAN,
            goodput_ci95: f64::NAN,
            binding_limit: None,
            ceiling_per_s: f64::NAN,
        }
    }
}

/// A sweep report's data, as read back from its files.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepData {
    /// The scenario's name and description.
    pub scenario: String,
    pub description: String,
    /// The scenario's `replications` (the minimum per point).
    pub replications: u32,
    /// The `--precision` target the replications were added for, if any.
    pub precision: Option<f64>,
    /// The swept keys, in file order: the first is the charts' x axis.
    pub axes: Vec<SweepAxis>,
    /// Strategy names in scenario order (which fixes their colours).
    pub strategies: Vec<String>,
    /// Point-major, then strategy in scenario order: one per (point,
    /// strategy).
    pub rows: Vec<SweepRow>,
    /// The scenario's `[report.recovery]`, if it has one: then each row's
    /// `recovered` is read from `summary.csv`.
    pub recovery: Option<Recovery>,
    /// Whether the sweep has prices ([`priced`]):
    /// without, every wasted dollar is 0 and no chart of them is drawn.
    pub priced: bool,
    /// Whether the workload is an open or a closed loop
    /// ([`crate::scenario::WorkloadKind::is_stream`]).
    pub stream: bool,
}

impl SweepData {
    /// Number of points: the product of the axes' lengths.
    pub fn points(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    /// The value of every axis at `point`: the grid is enumerated with the
    /// last key varying fastest.
    pub fn point_values(&self, point: usize) -> Vec<f64> {
        let lens: Vec<usize> = self.axes.iter().map(|a| a.values.len()).collect();
        grid_indices(&lens, point)
            .into_iter()
            .zip(&self.axes)
            .map(|(i, a)| a.values[i])
            .collect()
    }
}

/// Whether a sweep of `base` has prices: a model of the scenario has one
/// ([`crate::report::run::chart::priced`]), or a swept key sets one
/// (`…_per_mtok`). Without, every wasted dollar is 0, and
/// `sweep_wasted_usd` is left out.
pub fn priced(base: &Scenario) -> bool {
    crate::report::run::chart::priced(base)
        || base.sweep.as_ref().is_some_and(|s| {
            s.keys
                .iter()
                .any(|k| k.path.iter().any(|p| p.ends_with("_per_mtok")))
        })
}

/// The confidence bounds, cut to what the metric can be: a share lies in
/// [0, 1], the others are not negative. NaN (empty) without a half-width.
pub(crate) fn bounds(m: SweepMetric, value: f64, half: f64) -> (f64, f64) {
    if half.is_nan() {
        return (f64::NAN, f64::NAN);
    }
    let hi_cap = if m == SweepMetric::SuccessRate {
        1.0
    } else {
        f64::INFINITY
    };
    ((value - half).max(0.0), (value + half).min(hi_cap))
}
