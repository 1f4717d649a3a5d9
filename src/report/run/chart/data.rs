//! What each run chart plots, from the report's data ([`ReportData`],
//! read back from the CSV files): exactly the numbers the chart draws,
//! tested against the CSV files, and which line charts go to panels.

use crate::report::plot::{LinePlan, fmt_tick, layout, same_as};
use crate::report::run::csv::{attempts_range, distribution_share};
use crate::report::run::read::ReportData;
use crate::scenario::Scenario;
use crate::time::as_secs_f64;

/// The charts of a report, in the order the page shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    LoadOverTime,
    TimeToSuccessCdf,
    SuccessRate,
    Cost,
    Attempts,
}

impl Chart {
    /// Every chart, in page order.
    pub const ALL: [Chart; 5] = [
        Chart::LoadOverTime,
        Chart::TimeToSuccessCdf,
        Chart::SuccessRate,
        Chart::Cost,
        Chart::Attempts,
    ];

    /// The file stem: `<name>.svg` and `<name>.png`.
    pub fn name(self) -> &'static str {
        match self {
            Chart::LoadOverTime => "load_over_time",
            Chart::TimeToSuccessCdf => "time_to_success_cdf",
            Chart::SuccessRate => "success_rate",
            Chart::Cost => "cost",
            Chart::Attempts => "attempts",
        }
    }

    /// Its files: `<name>.svg` and `<name>.png`.
    pub fn files(self) -> [String; 2] {
        [
            format!("{}.svg", self.name()),
            format!("{}.png", self.name()),
        ]
    }

    /// Why the chart is left out of the report of `scenario`, if it is:
    /// a chart that would show nothing whatever the run gives. Only the
    /// scenario decides, so that the report's files are known before it
    /// runs. The cost chart needs prices: without `[pricing]` (on the
    /// main model or a `[[model]]`) every bar would be $0.
    pub fn left_out(self, scenario: &Scenario) -> Option<&'static str> {
        match self {
            Chart::Cost if !priced(scenario) => Some(
                "Not drawn: the scenario sets no [pricing], so every run costs $0. \
                 Add a [pricing] table (a built-in model or prices per million tokens) to compare costs.",
            ),
            _ => None,
        }
    }

    /// The charts a report of `scenario` draws, in page order.
    pub fn drawn_for(scenario: &Scenario) -> Vec<Chart> {
        Chart::ALL
            .into_iter()
            .filter(|c| c.left_out(scenario).is_none())
            .collect()
    }

    /// The chart's title.
    pub fn title(self) -> &'static str {
        match self {
            Chart::LoadOverTime => "Load on the provider: attempts arriving per second",
            Chart::TimeToSuccessCdf => "Time to success: share of requests succeeded within t",
            Chart::SuccessRate => "Success rate per strategy",
            Chart::Cost => "Cost per run: useful and wasted tokens",
            Chart::Attempts => "Attempts per request",
        }
    }

    /// The axis titles (x, y), with units.
    pub fn axis_titles(self) -> (&'static str, &'static str) {
        match self {
            Chart::LoadOverTime => ("simulated time (s)", "attempts arriving per second (1/s)"),
            Chart::TimeToSuccessCdf => (
                "time from first attempt to success (s, log scale)",
                "requests succeeded (%)",
            ),
            Chart::SuccessRate => ("requests succeeded (%), whiskers: 95% CI", ""),
            Chart::Cost => ("USD per run (mean over replications)", ""),
            Chart::Attempts => (
                "attempts made by a request (count, first try included)",
                "ended requests (%)",
            ),
        }
    }
}

/// Whether any model of `scenario` has a price: without one every cost
/// is 0.
pub fn priced(scenario: &Scenario) -> bool {
    std::iter::once(&scenario.pricing)
        .chain(scenario.models.iter().map(|m| &m.pricing))
        .any(|p| p.input_per_mtok > 0.0 || p.output_per_mtok > 0.0)
}

/// One strategy's line: `(x, y)` points in the chart's units.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub strategy: String,
    pub points: Vec<(f64, f64)>,
}

/// What `load_over_time` plots.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOverTime {
    /// Width of a time-series bucket, in seconds.
    pub bucket_s: f64,
    /// Where the time axis ends: the end of the last bucket with any
    /// attempt, or of the last outage inside the horizon if later.
    pub end_s: f64,
    /// The most attempts per second the binding limit admits in the long
    /// run (its refill over the mean cost of an attempt), and the legend's
    /// words for it; `None` without limits.
    pub limit: Option<(f64, String)>,
    /// Outage windows `(start, end)` in seconds, clipped to the horizon.
    pub outages: Vec<(f64, f64)>,
    /// Per strategy, `(bucket start in s, attempts per second in that
    /// bucket)`: `attempts` of `timeseries.csv` over the bucket width.
    pub lines: Vec<Line>,
}

/// Prepares `load_over_time`.
pub fn load_over_time(data: &ReportData) -> LoadOverTime {
    let s = &data.scenario;
    let bucket_s = as_secs_f64(s.report.bucket);
    let horizon_s = as_secs_f64(s.horizon);
    let lines: Vec<Line> = data
        .result
        .strategies
        .iter()
        .map(|st| Line {
            strategy: st.summary.strategy.clone(),
            points: st
                .series
                .iter()
                .map(|p| (p.t_s, p.attempts / bucket_s))
                .collect(),
        })
        .collect();
    let outages: Vec<(f64, f64)> = s
        .server
        .outages
        .iter()
        .map(|o| {
            let start = as_secs_f64(o.start);
            (start, (start + as_secs_f64(o.duration)).min(horizon_s))
        })
        .filter(|(a, b)| a < b)
        .collect();
    let last_active = lines
        .iter()
        .flat_map(|l| l.points.iter())
        .filter(|(_, y)| *y > 0.0)
        .map(|(t, _)| t + bucket_s)
        .fold(0.0, f64::max);
    let end_s = outages
        .iter()
        .map(|o| o.1)
        .fold(last_active, f64::max)
        .max(bucket_s);
    LoadOverTime {
        bucket_s,
        end_s,
        limit: limit_line(data),
        outages,
        lines,
    }
}

/// Prepares `time_to_success_cdf`: per strategy, `(t in s, share of
/// requests succeeded within t)` from `tts_cdf.csv`. Each line ends at the
/// strategy's success rate.
pub fn time_to_success_cdf(data: &ReportData) -> Vec<Line> {
    data.result
        .strategies
        .iter()
        .map(|st| Line {
            strategy: st.summary.strategy.clone(),
            points: st.tts_cdf.iter().map(|p| (p.t_s, p.share)).collect(),
        })
        .collect()
}

/// One bar with its 95% confidence half-width.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub strategy: String,
    pub value: f64,
    /// NaN with a single replication.
    pub ci95: f64,
}

/// Prepares `success_rate`: `success_rate` and `success_rate_ci95` of
/// `summary.csv`.
pub fn success_rate(data: &ReportData) -> Vec<Bar> {
    data.result
        .strategies
        .iter()
        .map(|st| Bar {
            strategy: st.summary.strategy.clone(),
            value: st.summary.success_rate,
            ci95: st.summary.success_rate_ci95,
        })
        .collect()
}

/// One stacked cost bar.
#[derive(Debug, Clone, PartialEq)]
pub struct CostBar {
    pub strategy: String,
    pub useful_usd: f64,
    pub wasted_usd: f64,
}

/// Prepares `cost`: `useful_usd` and `wasted_usd` of `summary.csv`.
pub fn cost(data: &ReportData) -> Vec<CostBar> {
    data.result
        .strategies
        .iter()
        .map(|st| CostBar {
            strategy: st.summary.strategy.clone(),
            useful_usd: st.summary.useful_usd,
            wasted_usd: st.summary.wasted_usd,
        })
        .collect()
}

/// Prepares `attempts`: per strategy, `(attempts, share of ended
/// requests)` from `attempts.csv`, for every attempt count listed there.
pub fn attempts(data: &ReportData) -> Vec<Line> {
    let range = attempts_range(
        data.result
            .strategies
            .iter()
            .map(|s| s.summary.attempts_distribution.as_slice()),
    );
    data.result
        .strategies
        .iter()
        .map(|st| Line {
            strategy: st.summary.strategy.clone(),
            points: range
                .into_iter()
                .flat_map(|(first, last)| first..=last)
                .map(|k| {
                    (
                        k as f64,
                        distribution_share(&st.summary.attempts_distribution, k),
                    )
                })
                .collect(),
        })
        .collect()
}

/// The attempts chart's legend entries: each strategy's name (shortened)
/// and, for a stack of retry layers, each layer's attempts per call of the
/// layer around it, multiplied out to the attempts on the wire per request:
/// `tenacity-cookbook: 1.9 × 2.6 = 4.9 per call`.
pub fn attempts_labels(data: &ReportData) -> Vec<String> {
    data.result
        .strategies
        .iter()
        .map(|st| {
            let s = &st.summary;
            let name = crate::report::plot::shorten(&s.strategy);
            let per_call = &s.layer_attempts_per_request;
            if per_call.len() < 2 {
                return name;
            }
            let n = |x: f64| crate::format::fmt_num(x, 1);
            let factors: Vec<String> = per_call
                .iter()
                .enumerate()
                .map(|(j, &x)| match j {
                    0 => n(x),
                    _ if per_call[j - 1] > 0.0 => n(x / per_call[j - 1]),
                    _ => "0".to_string(),
                })
                .collect();
            let wire = per_call.last().copied().unwrap_or(0.0);
            format!("{name}: {} = {} per call", factors.join(" × "), n(wire))
        })
        .collect()
}

/// The plan of `chart` if it is a line chart (`load_over_time`,
/// `time_to_success_cdf`); `None` for the bar charts, whose bars sit side
/// by side, so that equal bars stay visible.
pub fn line_plan(chart: Chart, data: &ReportData) -> Option<LinePlan> {
    let (lines, y_top) = match chart {
        Chart::LoadOverTime => {
            let d = load_over_time(data);
            (load_steps(&d), load_top(&d))
        }
        Chart::TimeToSuccessCdf => (cdf_percent(&time_to_success_cdf(data)), 100.0),
        _ => return None,
    };
    Some(LinePlan {
        same_as: same_as(&lines),
        layout: layout(&lines, y_top),
        lines,
    })
}

/// The drawn steps of `load_over_time`: each bucket a flat step over its
/// width; past MAX_STEPS buckets, runs of consecutive buckets are merged
/// (their mean rate), so that a long run stays a readable picture and a
/// small file.
pub(crate) fn load_steps(d: &LoadOverTime) -> Vec<Vec<(f64, f64)>> {
    const MAX_STEPS: usize = 1000;
    d.lines
        .iter()
        .map(|line| {
            let shown: Vec<(f64, f64)> = line
                .points
                .iter()
                .copied()
                .filter(|(t, _)| *t < d.end_s)
                .collect();
            let merge = shown.len().div_ceil(MAX_STEPS).max(1);
            shown
                .chunks(merge)
                .flat_map(|run| {
                    let t = run[0].0;
                    let y = run.iter().map(|p| p.1).sum::<f64>() / run.len() as f64;
                    let end = (t + d.bucket_s * run.len() as f64).min(d.end_s);
                    [(t, y), (end, y)]
                })
                .collect()
        })
        .collect()
}

/// The top of `load_over_time`'s value axis.
pub(crate) fn load_top(d: &LoadOverTime) -> f64 {
    let y_top = d
        .lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .chain(d.limit.as_ref().map(|l| l.0))
        .fold(0.0, f64::max);
    if y_top > 0.0 { y_top * 1.08 } else { 1.0 }
}

/// The time-to-success lines as drawn: shares in percent.
pub(crate) fn cdf_percent(lines: &[Line]) -> Vec<Vec<(f64, f64)>> {
    lines
        .iter()
        .map(|l| l.points.iter().map(|&(t, s)| (t, 100.0 * s)).collect())
        .collect()
}

pub(crate) fn zero_if_nan(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

/// The binding limit's line: what it admits per second, in attempts, and
/// how that follows from its rate. For a token limit that is its refill
/// over the mean cost of an attempt in tokens (the first strategy bound
/// by it; strategies differ only as much as their attempts' sizes do).
fn limit_line(data: &ReportData) -> Option<(f64, String)> {
    use crate::model::limiter::Limit;
    let summaries: Vec<&crate::metrics::summary::StrategySummary> =
        data.result.strategies.iter().map(|s| &s.summary).collect();
    let (limit, first) = crate::metrics::summary::common_binding(&summaries)?;
    let (per_minute, _) = data.scenario.limiter.limits()[limit as usize]?;
    let rate = first.ceiling_per_s;
    if !(rate.is_finite() && rate > 0.0) {
        return None;
    }
    let words = if limit == Limit::Requests {
        format!("{} admits {}/s", limit.key(), fmt_tick(&rate))
    } else {
        format!(
            "{} admits {}/s ({} tokens/min ÷ {} per attempt)",
            limit.key(),
            crate::format::fmt_num(rate, 3),
            crate::format::grouped(per_minute, 3),
            crate::format::grouped(per_minute / 60.0 / rate, 0)
        )
    };
    Some((rate, words))
}
