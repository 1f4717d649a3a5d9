//! From runs to the numbers in the report: each run is reduced to a
//! [`RunSummary`] as soon as it ends (so memory does not grow with the
//! number of replications), then the replications of a strategy are
//! aggregated into a [`StrategySummary`]: means across replications with a
//! 95% confidence interval for the success rate.

use super::cdf::{TtsHistogram, edge_ns};
use super::counts::Counts;
use super::run::{ModelCounts, RunMetrics, SeriesRow};
use super::stats::{mean, mean_ci95};
use crate::model::limiter::{Limit, Meter};
use crate::pricing::Pricing;
use crate::time::{SimDuration, as_secs_f64};

/// One run, reduced.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// The run's plain counts.
    pub counts: Counts,
    pub models: Vec<ModelCounts>,
    /// Mean, p50, p90, p99 and max time to success (None without successes).
    pub tts: Option<TtsStats>,
    /// Times to success on the report's logarithmic grid.
    pub tts_histogram: TtsHistogram,
    /// `attempts_histogram[k]`: ended requests that made `k` attempts.
    pub attempts_histogram: Vec<u64>,
    /// The run's active period: from 0 to its last event that changed
    /// anything.
    pub active: SimDuration,
    pub series: Vec<SeriesRow>,
    pub series_step: SimDuration,
    pub final_request_bucket: Option<Meter>,
    /// One record per request, when the run kept them (`--requests`).
    pub request_records: Option<Vec<super::run::RequestRecord>>,
    pub recovered: Option<bool>,
    /// The attempts each retry layer began, outermost first (empty for a
    /// strategy of one layer).
    pub layer_attempts: Vec<u64>,
}

/// Time-to-success statistics of one run, in nanoseconds. `mean` and
/// `max` are exact; the nearest-rank quantiles are exact whenever the
/// times sharing their histogram bucket are equal, and otherwise at most
/// 1/2048 (0.049%) above the exact value, always an observed time
/// (see [`super::cdf::TimesToSuccess`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TtsStats {
    pub mean: f64,
    pub p50: SimDuration,
    pub p90: SimDuration,
    pub p99: SimDuration,
    pub max: SimDuration,
}

impl RunSummary {
    /// Reduces a run's metrics.
    pub fn new(mut m: RunMetrics) -> RunSummary {
        let t = &m.time_to_success;
        let tts = t.mean().map(|mean| {
            let q = |p| t.quantile(p).expect("non-empty");
            TtsStats {
                // Sum in u128: exact, then one division.
                mean,
                p50: q(0.5),
                p90: q(0.9),
                p99: q(0.99),
                max: t.max().expect("non-empty"),
            }
        });
        let tts_histogram = t.histogram();
        // Exact copies: the run's vectors, with their room, serve the next
        // run on this thread.
        let attempts_histogram = m.attempts_histogram.clone();
        let series = m.series.rows.clone();
        m.recycle_scratch();
        RunSummary {
            counts: m.counts,
            models: m.models,
            tts,
            tts_histogram,
            attempts_histogram,
            active: m.last_activity,
            series,
            series_step: m.series.step,
            final_request_bucket: m.final_request_bucket,
            request_records: m.request_records,
            recovered: m.recovered,
            layer_attempts: m.layer_attempts,
        }
    }

    /// Series row `i`, extended past the run's end: nothing more happens,
    /// attempts still open stay open, and the limiter refills.
    pub fn series_row(&self, i: usize) -> SeriesRow {
        if let Some(row) = self.series.get(i) {
            return *row;
        }
        let last = self.series.last().copied().unwrap_or_default();
        let end = (i as u64 + 1).saturating_mul(self.series_step);
        SeriesRow {
            in_flight: last.in_flight,
            limiter_level: self
                .final_request_bucket
                .as_ref()
                .map_or(f64::NAN, |b| b.level_tokens(end)),
            ..SeriesRow::default()
        }
    }
}

/// One strategy, aggregated over its replications: one row of
/// `summary.csv`. Counts are means per replication.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategySummary {
    pub strategy: String,
    pub replications: u32,
    pub requests: f64,
    pub success_rate: f64,
    /// Half-width of the 95% CI of the success rate across replications.
    pub success_rate_ci95: f64,
    /// Seconds; means over the replications that had successes.
    pub tts_mean_s: f64,
    pub tts_p50_s: f64,
    pub tts_p90_s: f64,
    pub tts_p99_s: f64,
    /// Half-width of the 95% CI of `tts_p99_s` (the mean of the
    /// replications' 99th percentiles).
    pub tts_p99_ci95: f64,
    /// The longest time to success in any replication.
    pub tts_max_s: f64,
    pub attempts_per_request: f64,
    /// Half-width of the 95% CI of `attempts_per_request`.
    pub attempts_per_request_ci95: f64,
    pub rejected_429: f64,
    pub errors_5xx: f64,
    pub timeouts: f64,
    pub gave_up: f64,
    pub unfinished: f64,
    /// The binding limit's peak load: its most demand within a peak
    /// window over what it refills in that window (NaN without limits).
    pub peak_load: f64,
    pub billed_tokens: f64,
    pub wasted_tokens: f64,
    pub billed_usd: f64,
    pub wasted_usd: f64,
    /// Half-width of the 95% CI of `wasted_usd`.
    pub wasted_usd_ci95: f64,
    pub useful_usd: f64,
    pub attempts: f64,
    pub succeeded: f64,
    pub wasted_input_tokens: f64,
    pub wasted_output_tokens: f64,
    /// `wasted_usd` split into what the wasted input and output tokens cost.
    pub wasted_input_usd: f64,
    pub wasted_output_usd: f64,
    /// 5xx answers by status: 500, 503, 529.
    pub errors_500: f64,
    pub errors_503: f64,
    pub errors_529: f64,
    /// 429s by the limit they named, in `Limit::ALL` order.
    pub rejected_429_by_limit: [f64; 4],
    /// Share of ended requests by number of attempts made (index = attempts),
    /// pooled over replications.
    pub attempts_distribution: Vec<f64>,
    /// Per model, the main model first: one row of `models.csv` each.
    pub models: Vec<ModelSummary>,
    /// Retries denied by a retry budget or a breaker.
    pub retries_denied: f64,
    /// Seconds a client's circuit breaker was open (mean over clients).
    pub breaker_open_s: f64,
    /// For a strategy of several retry layers, the attempts each layer
    /// began per request (an application's call), outermost first: the
    /// last is `attempts_per_request`, and each divided by the one before
    /// is that layer's amplification (empty for one layer).
    pub layer_attempts_per_request: Vec<f64>,
    /// Attempts rejected locally by a client-side guard.
    pub local_rejections: f64,
    /// Mean time an attempt waited in the server's queue before service
    /// (per replication, then averaged), seconds.
    pub queue_wait_mean_s: f64,
    /// 409 answers of an optimistic-concurrency server.
    pub conflicts: f64,
    /// Share of the replications that recovered (`[report.recovery]`;
    /// NaN without it).
    pub recovered: f64,
    /// The limit that caps throughput: of the main model's limits, the one
    /// that refused the most attempts (429s name the limit); without
    /// 429s, the one that admits the fewest requests per second in the
    /// long run at the mean cost of an admitted attempt. None without
    /// limits, or when nothing reached a token-only limiter.
    pub binding_limit: Option<Limit>,
    /// Peak load against each limit in its own unit, `Limit::ALL` order
    /// (NaN where there is no such limit).
    pub peak_load_by_limit: [f64; 4],
    /// Most requests the binding limit admits over the active period:
    /// (initial level + refill × active period) / mean cost of an attempt.
    pub ceiling_requests: f64,
    /// Most requests per second the binding limit admits in the long run:
    /// its refill per second / mean cost of an attempt.
    pub ceiling_per_s: f64,
    /// Mean active period, seconds: from 0 to the last event that changed
    /// anything.
    pub active_s: f64,
    /// Successes per second of active period (mean over replications) and
    /// the half-width of its 95% CI.
    pub goodput_per_s: f64,
    pub goodput_ci95: f64,
    /// Hedges sent (copies of an attempt beyond its first), mean per
    /// replication.
    pub hedges: f64,
}

impl StrategySummary {
    /// The share of the 429s that named limit `i` (`Limit::ALL` order);
    /// NaN without 429s.
    pub fn rejected_429_share(&self, i: usize) -> f64 {
        if self.rejected_429 > 0.0 {
            self.rejected_429_by_limit[i] / self.rejected_429
        } else {
            f64::NAN
        }
    }
}

/// The limit most strategies have as binding (the first such on ties),
/// and the first strategy that has it.
pub fn common_binding<'a>(
    summaries: &[&'a StrategySummary],
) -> Option<(Limit, &'a StrategySummary)> {
    let count = |l: Limit| {
        summaries
            .iter()
            .filter(|s| s.binding_limit == Some(l))
            .count()
    };
    let limit = summaries
        .iter()
        .filter_map(|s| s.binding_limit)
        .reduce(|a, b| if count(b) > count(a) { b } else { a })?;
    let first = summaries.iter().find(|s| s.binding_limit == Some(limit))?;
    Some((limit, first))
}

/// The main model's rate limits, as the load and throughput figures need
/// them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadBasis {
    /// Per limit in `Limit::ALL` order: (refill per second, what the bucket
    /// holds at the start), in the limit's unit; None where unlimited.
    pub limits: [Option<(f64, f64)>; 4],
    /// The peak window, seconds.
    pub window_s: f64,
}

impl LoadBasis {
    /// No limits.
    pub const NONE: LoadBasis = LoadBasis {
        limits: [None; 4],
        window_s: 1.0,
    };
}

/// One run's throughput figures for one limit given as (refill per second,
/// initial level): how many requests the limit admits over the run's
/// active period and per second in the long run, at the mean cost of a
/// request. That cost is taken from first attempts (the workload's own
/// sizes: admitted attempts would favour small requests, all attempts big
/// ones, which are refused and retried more), net of the share of the
/// admitted tokens given back. A limit that refused every attempt while
/// none was admitted never admits any (its bucket, full throughout, holds
/// less than an attempt costs): 0.
fn run_capacity(r: &RunSummary, limit: usize, (rate, burst): (f64, f64)) -> (f64, f64) {
    if r.counts.admitted == 0 && r.counts.rejected_by_limit[limit] > 0 {
        return (0.0, 0.0);
    }
    let gross = share(r.counts.first_demand[limit], r.counts.first_demand[0]);
    let gross = if gross.is_nan() {
        share(r.counts.demand[limit], r.counts.demand[0])
    } else {
        gross
    };
    let taken = r.counts.charged[limit] + r.counts.returned[limit];
    let net = if taken > 0 {
        r.counts.charged[limit] as f64 / taken as f64
    } else {
        1.0
    };
    let cost = gross * net;
    if cost.is_nan() || cost <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let active = as_secs_f64(r.active);
    ((burst + rate * active) / cost, rate / cost)
}

/// One model's share of a strategy's results (means per replication).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSummary {
    pub model: String,
    pub attempts: f64,
    /// Requests whose successful answer came from this model.
    pub succeeded: f64,
    pub rejected_429: f64,
    pub errors_5xx: f64,
    pub timeouts: f64,
    pub billed_input_tokens: f64,
    pub billed_output_tokens: f64,
    pub wasted_input_tokens: f64,
    pub wasted_output_tokens: f64,
    pub billed_usd: f64,
    pub wasted_input_usd: f64,
    pub wasted_output_usd: f64,
}

impl ModelSummary {
    /// Aggregates one model's counters over runs, at its prices.
    fn aggregate(model: &str, i: usize, runs: &[RunSummary], price: &Pricing) -> ModelSummary {
        let m = |f: &dyn Fn(&ModelCounts) -> f64| {
            mean(runs.iter().map(|r| r.models.get(i).map_or(0.0, f)))
        };
        ModelSummary {
            model: model.to_string(),
            attempts: m(&|c| c.attempts as f64),
            succeeded: m(&|c| c.succeeded as f64),
            rejected_429: m(&|c| c.rejected_429 as f64),
            errors_5xx: m(&|c| c.errors_5xx as f64),
            timeouts: m(&|c| c.timeouts as f64),
            billed_input_tokens: m(&|c| c.billed_input_tokens as f64),
            billed_output_tokens: m(&|c| c.billed_output_tokens as f64),
            wasted_input_tokens: m(&|c| c.wasted_input_tokens as f64),
            wasted_output_tokens: m(&|c| c.wasted_output_tokens as f64),
            billed_usd: m(&|c| price.usd(c.billed_input_tokens, c.billed_output_tokens)),
            wasted_input_usd: m(&|c| price.usd(c.wasted_input_tokens, 0)),
            wasted_output_usd: m(&|c| price.usd(0, c.wasted_output_tokens)),
        }
    }
}

impl StrategySummary {
    /// Aggregates the runs of one strategy (in replication order) against
    /// the main model's limits.
    pub fn aggregate(
        strategy: &str,
        runs: &[RunSummary],
        models: &[(&str, Pricing)],
        basis: &LoadBasis,
    ) -> Self {
        let run_mean = |f: &dyn Fn(&RunSummary) -> f64| mean(runs.iter().map(f));
        let ratio = share;
        let secs = |ns: f64| ns / 1e9;
        let (success_rate, success_rate_ci95) = mean_ci95(
            runs.iter()
                .map(|r| ratio(r.counts.succeeded, r.counts.requests)),
        );
        let tts = |f: &dyn Fn(&TtsStats) -> f64| {
            secs(mean(runs.iter().filter_map(|r| r.tts.as_ref()).map(f)))
        };
        let tts_max_s = runs
            .iter()
            .filter_map(|r| r.tts.map(|t| t.max))
            .max()
            .map_or(f64::NAN, as_secs_f64);
        // Money is summed over the models of a run, each at its prices.
        let usd = |r: &RunSummary, f: &dyn Fn(&ModelCounts) -> (u64, u64)| -> f64 {
            r.models
                .iter()
                .zip(models)
                .map(|(c, (_, price))| {
                    let (input, output) = f(c);
                    price.usd(input, output)
                })
                .sum()
        };
        let billed_usd =
            run_mean(&|r| usd(r, &|c| (c.billed_input_tokens, c.billed_output_tokens)));
        let wasted_input_usd = run_mean(&|r| usd(r, &|c| (c.wasted_input_tokens, 0)));
        let wasted_output_usd = run_mean(&|r| usd(r, &|c| (0, c.wasted_output_tokens)));
        let wasted_usd = wasted_input_usd + wasted_output_usd;
        let (_, wasted_usd_ci95) = mean_ci95(runs.iter().map(|r| {
            usd(r, &|c| (c.wasted_input_tokens, 0)) + usd(r, &|c| (0, c.wasted_output_tokens))
        }));
        let (_, tts_p99_ci95) = mean_ci95(
            runs.iter()
                .filter_map(|r| r.tts.as_ref())
                .map(|t| secs(t.p99 as f64)),
        );
        let (attempts_per_request, attempts_per_request_ci95) = mean_ci95(
            runs.iter()
                .map(|r| ratio(r.counts.attempts, r.counts.requests)),
        );
        let mut pooled: Vec<u64> = Vec::new();
        for r in runs {
            if pooled.len() < r.attempts_histogram.len() {
                pooled.resize(r.attempts_histogram.len(), 0);
            }
            for (k, n) in r.attempts_histogram.iter().enumerate() {
                pooled[k] += n;
            }
        }
        let ended: u64 = pooled.iter().sum();
        let peak_load_by_limit: [f64; 4] = std::array::from_fn(|i| {
            basis.limits[i].map_or(f64::NAN, |(rate, _)| {
                run_mean(&|r| r.counts.peak_demand[i] as f64 / (rate * basis.window_s))
            })
        });
        let capacity: [(f64, f64); 4] = std::array::from_fn(|i| {
            basis.limits[i].map_or((f64::NAN, f64::NAN), |l| {
                (
                    run_mean(&|r| run_capacity(r, i, l).0),
                    run_mean(&|r| run_capacity(r, i, l).1),
                )
            })
        });
        // The limit that refused the most attempts; without 429s, the
        // one that admits the fewest requests per second in the long run
        // (a burst is spent once). Ties go to the first.
        let refused: [u64; 4] =
            std::array::from_fn(|i| runs.iter().map(|r| r.counts.rejected_by_limit[i]).sum());
        let binding_limit = Limit::ALL
            .into_iter()
            .filter(|&l| capacity[l as usize].1.is_finite())
            .reduce(|a, b| {
                let (ra, rb) = (refused[a as usize], refused[b as usize]);
                let lower = capacity[b as usize].1 < capacity[a as usize].1;
                if rb > ra || (rb == ra && lower) { b } else { a }
            });
        let at_binding = |v: [f64; 4]| binding_limit.map_or(f64::NAN, |l| v[l as usize]);
        let (goodput_per_s, goodput_ci95) = mean_ci95(runs.iter().map(|r| {
            let active = as_secs_f64(r.active);
            if active > 0.0 {
                r.counts.succeeded as f64 / active
            } else {
                f64::NAN
            }
        }));
        StrategySummary {
            strategy: strategy.to_string(),
            replications: runs.len() as u32,
            requests: run_mean(&|r| r.counts.requests as f64),
            success_rate,
            success_rate_ci95,
            tts_mean_s: tts(&|t| t.mean),
            tts_p50_s: tts(&|t| t.p50 as f64),
            tts_p90_s: tts(&|t| t.p90 as f64),
            tts_p99_s: tts(&|t| t.p99 as f64),
            tts_p99_ci95,
            tts_max_s,
            attempts_per_request,
            attempts_per_request_ci95,
            rejected_429: run_mean(&|r| r.counts.rejected_429 as f64),
            errors_5xx: run_mean(&|r| r.counts.errors_5xx as f64),
            timeouts: run_mean(&|r| r.counts.timeouts as f64),
            gave_up: run_mean(&|r| r.counts.gave_up as f64),
            unfinished: run_mean(&|r| r.counts.unfinished as f64),
            peak_load: at_binding(peak_load_by_limit),
            billed_tokens: run_mean(&|r| {
                (r.counts.billed_input_tokens + r.counts.billed_output_tokens) as f64
            }),
            wasted_tokens: run_mean(&|r| {
                (r.counts.wasted_input_tokens + r.counts.wasted_output_tokens) as f64
            }),
            billed_usd,
            wasted_usd,
            wasted_usd_ci95,
            useful_usd: billed_usd - wasted_usd,
            attempts: run_mean(&|r| r.counts.attempts as f64),
            succeeded: run_mean(&|r| r.counts.succeeded as f64),
            wasted_input_tokens: run_mean(&|r| r.counts.wasted_input_tokens as f64),
            wasted_output_tokens: run_mean(&|r| r.counts.wasted_output_tokens as f64),
            wasted_input_usd,
            wasted_output_usd,
            errors_500: run_mean(&|r| r.counts.errors_by_status[0] as f64),
            errors_503: run_mean(&|r| r.counts.errors_by_status[1] as f64),
            errors_529: run_mean(&|r| r.counts.errors_by_status[2] as f64),
            rejected_429_by_limit: std::array::from_fn(|i| {
                run_mean(&|r| r.counts.rejected_by_limit[i] as f64)
            }),
            attempts_distribution: pooled.iter().map(|&n| ratio(n, ended)).collect(),
            models: models
                .iter()
                .enumerate()
                .map(|(i, (name, price))| ModelSummary::aggregate(name, i, runs, price))
                .collect(),
            retries_denied: run_mean(&|r| r.counts.retries_denied as f64),
            breaker_open_s: run_mean(&|r| r.counts.breaker_open_ns as f64 / 1e9),
            layer_attempts_per_request: (0..runs
                .iter()
                .map(|r| r.layer_attempts.len())
                .max()
                .unwrap_or(0))
                .map(|j| {
                    run_mean(&|r| {
                        ratio(
                            r.layer_attempts.get(j).copied().unwrap_or(0),
                            r.counts.requests,
                        )
                    })
                })
                .collect(),
            local_rejections: run_mean(&|r| r.counts.local_rejections as f64),
            queue_wait_mean_s: mean(
                runs.iter()
                    .filter(|r| r.counts.served > 0)
                    .map(|r| r.counts.queue_wait_ns as f64 / r.counts.served as f64 / 1e9),
            ),
            conflicts: run_mean(&|r| r.counts.conflicts as f64),
            recovered: mean(
                runs.iter()
                    .filter_map(|r| r.recovered)
                    .map(|ok| f64::from(u8::from(ok))),
            ),
            binding_limit,
            peak_load_by_limit,
            ceiling_requests: at_binding(capacity.map(|c| c.0)),
            ceiling_per_s: at_binding(capacity.map(|c| c.1)),
            active_s: run_mean(&|r| as_secs_f64(r.active)),
            goodput_per_s,
            goodput_ci95,
            hedges: run_mean(&|r| r.counts.hedges as f64),
        }
    }
}

/// One row of `timeseries.csv`: a strategy's bucket, averaged over
/// replications.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPoint {
    pub t_s: f64,
    pub attempts: f64,
    pub admitted: f64,
    pub rejected_429: f64,
    pub successes: f64,
    pub timeouts: f64,
    pub in_flight: f64,
    pub limiter_level: f64,
}

/// Averages the runs' time series over replications, over `buckets`
/// buckets (all strategies of a scenario share one length, so their series
/// line up).
pub fn aggregate_series(runs: &[RunSummary], buckets: usize) -> Vec<SeriesPoint> {
    let step = runs.first().map_or(1, |r| r.series_step);
    (0..buckets)
        .map(|i| {
            let rows: Vec<SeriesRow> = runs.iter().map(|r| r.series_row(i)).collect();
            let row_mean = |f: fn(&SeriesRow) -> f64| mean(rows.iter().map(f));
            SeriesPoint {
                t_s: as_secs_f64(i as u64 * step),
                attempts: row_mean(|r| r.attempts as f64),
                admitted: row_mean(|r| r.admitted as f64),
                rejected_429: row_mean(|r| r.rejected_429 as f64),
                successes: row_mean(|r| r.successes as f64),
                timeouts: row_mean(|r| r.timeouts as f64),
                in_flight: row_mean(|r| r.in_flight as f64),
                limiter_level: row_mean(|r| r.limiter_level),
            }
        })
        .collect()
}

/// One point of a strategy's time-to-success distribution: the share of
/// requests that had succeeded within `t_s` seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CdfPoint {
    pub t_s: f64,
    /// Mean over replications of (successes within `t_s`) / requests.
    pub share: f64,
}

/// The grid points every strategy's distribution is reported on: from
/// just before the first success of any run to the last, so that the
/// distributions of a report line up and each ends at its success rate.
pub fn tts_grid<'a>(runs: impl IntoIterator<Item = &'a RunSummary>) -> Option<(u16, u16)> {
    let (lo, hi) = runs
        .into_iter()
        .filter_map(|r| r.tts_histogram.range())
        .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))?;
    Some((lo.saturating_sub(1), hi))
}

/// A strategy's time-to-success distribution on grid points `lo..=hi`:
/// per point, the mean over replications of the share of requests that
/// had succeeded by then. Averaging shares (not pooling counts) makes the
/// last point equal the success rate of `summary.csv`.
pub fn aggregate_tts_cdf(runs: &[RunSummary], (lo, hi): (u16, u16)) -> Vec<CdfPoint> {
    let cumulative: Vec<Vec<u64>> = runs
        .iter()
        .map(|r| r.tts_histogram.cumulative(lo, hi))
        .collect();
    (lo..=hi)
        .enumerate()
        .map(|(i, j)| CdfPoint {
            t_s: as_secs_f64(edge_ns(j)),
            share: mean(
                runs.iter()
                    .zip(&cumulative)
                    .map(|(r, c)| share(c[i], r.counts.requests)),
            ),
        })
        .collect()
}

/// `a / b`, NaN when `b` is zero (so that it does not count in a mean).
pub(crate) fn share(a: u64, b: u64) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}
