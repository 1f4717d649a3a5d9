//! A sweep's report: `summary.csv` with one column per swept key,
//! `sweep.csv` (each key metric against the swept values, with 95%
//! confidence bounds), one chart per key metric and `index.html`.
//!
//! [`SweepData`] is what the sweep charts and page are drawn from: the
//! contents of `sweep.csv` and `scenario.toml`, read back, so that
//! `backsim plot` and `backsim merge` draw exactly what `backsim sweep`
//! drew.

/// The key metrics a sweep charts, in page order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepMetric {
    SuccessRate,
    TtsP99,
    AttemptsPerRequest,
    WastedUsd,
}

impl SweepMetric {
    /// Every metric, in page and `sweep.csv` order.
    pub const ALL: [SweepMetric; 4] = [
        SweepMetric::SuccessRate,
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
        }
    }

    /// The chart's file stem: `sweep_<name>.svg` and `.png`.
    pub fn chart_name(self) -> &'static str {
        match self {
            SweepMetric::SuccessRate => "sweep_success_rate",
            SweepMetric::TtsP99 => "sweep_tts_p99",
            SweepMetric::AttemptsPerRequest => "sweep_attempts_per_request",
            SweepMetric::WastedUsd => "sweep_wasted_usd",
        }
    }

    /// The chart's title.
    pub fn title(self) -> &'static str {
        match self {
            SweepMetric::SuccessRate => "Success rate",
            SweepMetric::TtsP99 => "99th percentile of time to success",
            SweepMetric::AttemptsPerRequest => "Attempts per request (load amplification)",
            SweepMetric::WastedUsd => "Wasted USD per run",
        }
    }

    /// The y axis title, with its unit.
    pub fn axis_title(self) -> &'static str {
        match self {
            SweepMetric::SuccessRate => "requests succeeded (%)",
            SweepMetric::TtsP99 => "p99 time to success (s)",
            SweepMetric::AttemptsPerRequest => "attempts per request",
            SweepMetric::WastedUsd => "wasted USD per run",
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

/// The per-axis indices of grid point `point` (last axis fastest).
pub fn grid_indices(lens: &[usize], mut point: usize) -> Vec<usize> {
    let mut idx = vec![0; lens.len()];
    for (slot, &len) in idx.iter_mut().zip(lens).rev() {
        *slot = point % len.max(1);
        point /= len.max(1);
    }
    idx
}
