//! The provider's sections: `[limiter]` (and whether a request's tokens
//! fit its buckets), `[server]` with its outages and capacity cuts,
//! `[pricing]`, and the further models of `[[model]]`.

use super::Cx;
use crate::diagnostic::{show_number, unknown_name};
use crate::model::dist::Dist;
use crate::model::limiter::{
    Algorithm, DEFAULT_WINDOW, Limit, MAX_LOG_ENTRIES, OutputCharge, RetryAfterMode,
};
use crate::model::server::ServerType;
use crate::pricing::Pricing;
use crate::scenario::raw::{Duration, RawLimiter, RawModel, RawPricing, RawServer};
use crate::scenario::{
    CapacityCut, ErrorRates, Latency, LimiterConfig, ModelConfig, Outage, ServerConfig,
};
use crate::time::{SimDuration, format_duration};
use std::collections::HashSet;
use toml::Spanned;

/// Largest limiter rate (per minute) and burst.
const MAX_RATE_PER_MINUTE: f64 = 1e12;
const MAX_BURST: i64 = 1_000_000_000_000;
/// Longest window of the windowed algorithms: one day.
const MAX_WINDOW: SimDuration = 86_400 * crate::time::NANOS_PER_SEC;

impl Cx<'_> {
    /// With fixed token sizes, an attempt that costs more than a token
    /// bucket holds could never be admitted: say so now rather than let
    /// every attempt get a 429 without Retry-After.
    pub(super) fn check_token_costs(
        &mut self,
        (input, output): (Option<f64>, Option<f64>),
        limiter: &LimiterConfig,
        raw: &RawLimiter,
        prefix: &str,
    ) {
        let checks = [
            (
                limiter.tokens,
                input.zip(output).map(|(i, o)| i + o),
                "token_burst",
                &raw.token_burst,
                &raw.tokens_per_minute,
                "input + max_tokens",
            ),
            (
                limiter.input_tokens,
                input,
                "input_token_burst",
                &raw.input_token_burst,
                &raw.input_tokens_per_minute,
                "input",
            ),
            (
                limiter.output_tokens,
                output,
                "output_token_burst",
                &raw.output_token_burst,
                &raw.output_tokens_per_minute,
                "max_tokens",
            ),
        ];
        for (bucket, cost, burst_key, burst_raw, rate_raw, what) in checks {
            let (Some((per_minute, burst)), Some(cost)) = (bucket, cost) else {
                continue;
            };
            let holds = if limiter.quantized {
                per_minute / 60.0
            } else if limiter.algorithm.windowed() {
                LimiterConfig::per_window(per_minute, limiter.window).unwrap_or(0) as f64
            } else {
                burst as f64
            };
            if cost > holds {
                let at = burst_raw
                    .as_ref()
                    .map(|b| b.span())
                    .or(rate_raw.as_ref().map(|t| t.span()));
                let how = if limiter.quantized {
                    " (one second's refill, as the limit is quantized)"
                } else if limiter.algorithm.windowed() {
                    " (the rate times the window)"
                } else {
                    ""
                };
                self.conflict(at, &format!("{prefix}.{burst_key}"), format!(
                    "an attempt costs up to {} tokens ({what}) but the bucket holds only {}{how}: such attempts could never be admitted",
                    show_number(cost),
                    show_number(holds)
                ));
            }
        }
    }

    pub(super) fn limiter(&mut self, l: &RawLimiter, prefix: &str) -> LimiterConfig {
        let quantized = l.quantized.as_ref().is_some_and(|q| *q.get_ref());
        let algorithm = match &l.algorithm {
            Some(a) => self
                .choice(
                    a,
                    &format!("{prefix}.algorithm"),
                    &Algorithm::NAMES,
                    Algorithm::from_name,
                )
                .unwrap_or(Algorithm::TokenBucket),
            None => Algorithm::TokenBucket,
        };
        if let (Some(q), false) = (&l.quantized, algorithm == Algorithm::TokenBucket) {
            self.conflict_at(
                q,
                &format!("{prefix}.quantized"),
                format!(
                    "applies to token buckets only, not to {prefix}.algorithm = \"{}\"",
                    algorithm.name()
                ),
            );
        }
        let window = match &l.window {
            Some(w) if algorithm.windowed() => {
                let key = format!("{prefix}.window");
                let d = self.positive_duration(w, &key);
                if d > MAX_WINDOW {
                    self.problem(
                        w,
                        &key,
                        format!("must be at most 1d, not {}", format_duration(d)),
                    );
                }
                if d == 0 || d > MAX_WINDOW {
                    DEFAULT_WINDOW
                } else {
                    d
                }
            }
            Some(w) => {
                self.conflict_at(w, &format!("{prefix}.window"), format!(
                    "has no effect with {prefix}.algorithm = \"{}\" (only fixed_window, sliding_log and sliding_window count per window)",
                    algorithm.name()
                ));
                DEFAULT_WINDOW
            }
            None => DEFAULT_WINDOW,
        };
        let bucket = |cx: &mut Self,
                      rate: &Option<Spanned<f64>>,
                      burst: &Option<Spanned<i64>>,
                      rate_name: &str,
                      burst_name: &str| {
            let (rate_key, burst_key) = (
                format!("{prefix}.{rate_name}"),
                format!("{prefix}.{burst_name}"),
            );
            match rate {
                Some(r) => {
                    let mut per_minute = cx.positive(r, &rate_key);
                    if !(0.001..=MAX_RATE_PER_MINUTE).contains(&per_minute) {
                        cx.problem(r, &rate_key, format!(
                            "must be from 0.001 (rates are kept to 0.001 per minute) to {MAX_RATE_PER_MINUTE:e}, not {}",
                            show_number(per_minute)
                        ));
                        per_minute = 1.0;
                    }
                    if quantized && rate_name == "requests_per_minute" && per_minute < 60.0 {
                        cx.conflict_at(r, &rate_key, format!(
                            "must be at least 60 with {prefix}.quantized = true: one second's refill, {} requests, must hold a whole request",
                            show_number(per_minute / 60.0)
                        ));
                    }
                    if let (true, Some(b)) = (quantized, burst) {
                        cx.conflict_at(b, &burst_key, format!(
                            "has no effect with {prefix}.quantized = true (the bucket holds one second's refill)"
                        ));
                    }
                    if algorithm.windowed() {
                        cx.window_count(r, &rate_key, per_minute, algorithm, window, prefix);
                        if let Some(b) = burst {
                            cx.conflict_at(b, &burst_key, format!(
                                "has no effect with {prefix}.algorithm = \"{}\" (a window holds {rate_name} × {prefix}.window)",
                                algorithm.name()
                            ));
                        }
                        return Some((per_minute, 0));
                    }
                    if algorithm == Algorithm::LeakyQueue {
                        if rate_name != "requests_per_minute" {
                            cx.conflict_at(r, &rate_key, format!(
                                "cannot be used with {prefix}.algorithm = \"leaky_queue\", which limits requests only (as nginx's limit_req does)"
                            ));
                            return None;
                        }
                        // nginx's burst: requests queued beyond the one passing, 0 by default.
                        let b = cx.int(burst, &burst_key, 0, MAX_BURST, 0);
                        return Some((per_minute, b as u64));
                    }
                    // Default burst: one minute's worth, as a per-minute limit allows.
                    let default_burst = (per_minute.ceil() as i64).max(1);
                    let b = cx.int(burst, &burst_key, 1, MAX_BURST, default_burst);
                    Some((per_minute, b as u64))
                }
                None => {
                    if let Some(b) = burst {
                        cx.conflict_at(b, &burst_key, format!("has no effect without {rate_key}"));
                    }
                    None
                }
            }
        };
        let requests = bucket(
            self,
            &l.requests_per_minute,
            &l.request_burst,
            "requests_per_minute",
            "request_burst",
        );
        let tokens = bucket(
            self,
            &l.tokens_per_minute,
            &l.token_burst,
            "tokens_per_minute",
            "token_burst",
        );
        let input_tokens = bucket(
            self,
            &l.input_tokens_per_minute,
            &l.input_token_burst,
            "input_tokens_per_minute",
            "input_token_burst",
        );
        let output_tokens = bucket(
            self,
            &l.output_tokens_per_minute,
            &l.output_token_burst,
            "output_tokens_per_minute",
            "output_token_burst",
        );
        let retry_after = match &l.retry_after {
            Some(r) => self
                .choice(
                    r,
                    &format!("{prefix}.retry_after"),
                    &RetryAfterMode::NAMES,
                    RetryAfterMode::from_name,
                )
                .unwrap_or(RetryAfterMode::Exact),
            None => RetryAfterMode::Exact,
        };
        let output_charge = match &l.output_charge {
            Some(c) => {
                let charge = self
                    .choice(
                        c,
                        &format!("{prefix}.output_charge"),
                        &OutputCharge::NAMES,
                        OutputCharge::from_name,
                    )
                    .unwrap_or(OutputCharge::Reserved);
                if tokens.is_none() && output_tokens.is_none() {
                    self.conflict_at(c, &format!("{prefix}.output_charge"), format!(
                        "has no effect without {prefix}.tokens_per_minute or {prefix}.output_tokens_per_minute"
                    ));
                }
                charge
            }
            None => OutputCharge::Reserved,
        };
        let limits = [requests, tokens, input_tokens, output_tokens];
        let queued = |k: &str| format!("{prefix}.{k}");
        let leaky = algorithm == Algorithm::LeakyQueue;
        if let (true, None, Some(a)) = (leaky, requests, &l.algorithm) {
            self.conflict_at(a, &queued("algorithm"), format!(
                "\"leaky_queue\" needs {prefix}.requests_per_minute (the rate requests leave the queue)"
            ));
        }
        if let (false, Some(n)) = (leaky, &l.nodelay) {
            self.conflict_at(
                n,
                &queued("nodelay"),
                format!("has no effect without {prefix}.algorithm = \"leaky_queue\""),
            );
        }
        let nodelay = l.nodelay.as_ref().is_some_and(|n| *n.get_ref());
        let queue_status = match &l.limit_req_status {
            Some(s) if !leaky => {
                self.conflict_at(
                    s,
                    &queued("limit_req_status"),
                    format!("has no effect without {prefix}.algorithm = \"leaky_queue\""),
                );
                503
            }
            Some(s) if ![429, 503].contains(s.get_ref()) => {
                self.problem(
                    s,
                    &queued("limit_req_status"),
                    format!("must be 503 (nginx's default) or 429, not {}", s.get_ref()),
                );
                503
            }
            Some(s) => *s.get_ref() as u16,
            None => 503,
        };
        let max_in_flight = l.max_in_flight.as_ref().map(|_| {
            self.int(
                &l.max_in_flight,
                &queued("max_in_flight"),
                1,
                i64::from(u32::MAX),
                1,
            ) as u32
        });
        let own = [
            &l.retry_after_requests,
            &l.retry_after_tokens,
            &l.retry_after_input_tokens,
            &l.retry_after_output_tokens,
        ];
        let mut retry_after_by_limit = [None; 4];
        for ((limit, raw), set) in Limit::ALL.into_iter().zip(own).zip(limits) {
            let Some(r) = raw else { continue };
            let key = format!("{prefix}.retry_after_{}", limit.name());
            retry_after_by_limit[limit as usize] =
                self.choice(r, &key, &RetryAfterMode::NAMES, RetryAfterMode::from_name);
            if set.is_none() {
                self.conflict_at(
                    r,
                    &key,
                    format!("has no effect without {prefix}.{}", limit.key()),
                );
            }
        }
        LimiterConfig {
            requests,
            tokens,
            input_tokens,
            output_tokens,
            quantized,
            output_charge,
            retry_after,
            algorithm,
            window,
            nodelay,
            queue_status,
            max_in_flight,
            retry_after_by_limit,
        }
    }

    /// A windowed limit must hold a whole number per window, and a sliding
    /// log at most [`MAX_LOG_ENTRIES`].
    fn window_count(
        &mut self,
        rate: &Spanned<f64>,
        key: &str,
        per_minute: f64,
        algorithm: Algorithm,
        window: SimDuration,
        prefix: &str,
    ) {
        let window_name = format_duration(window);
        match LimiterConfig::per_window(per_minute, window) {
            None => self.conflict_at(rate, key, format!(
                "must allow a whole number (at least 1) per {prefix}.window of {window_name}, not {}: choose the rate or the window so that rate × window / 1m is whole",
                show_number((per_minute * window as f64 / 6e7).round() / 1000.0)
            )),
            Some(n) if algorithm == Algorithm::SlidingLog && n > MAX_LOG_ENTRIES => {
                self.conflict_at(rate, key, format!(
                    "allows {n} per window of {window_name}, more than the {MAX_LOG_ENTRIES} entries a sliding log may keep: use algorithm = \"sliding_window\", or a shorter window"
                ))
            }
            Some(_) => {}
        }
    }

    pub(super) fn server(
        &mut self,
        s: &RawServer,
        prefix: &str,
        horizon: SimDuration,
    ) -> ServerConfig {
        let key = |k: &str| format!("{prefix}.{k}");
        let kind = match &s.kind {
            Some(k) => self
                .choice(k, &key("kind"), &ServerType::NAMES, ServerType::from_name)
                .unwrap_or(ServerType::Queue),
            None => ServerType::Queue,
        };
        if kind == ServerType::Occ {
            let given = [
                ("concurrency", s.concurrency.as_ref().map(|v| v.span())),
                ("queue_limit", s.queue_limit.as_ref().map(|v| v.span())),
                ("latency", s.latency.as_ref().map(|v| v.span())),
                ("ttft", s.ttft.as_ref().map(|v| v.span())),
                (
                    "decode_tokens_per_s",
                    s.decode_tokens_per_s.as_ref().map(|v| v.span()),
                ),
                ("slowdown", s.slowdown.as_ref().map(|v| v.span())),
                ("error_rate", s.error_rate.as_ref().map(|v| v.span())),
                ("errors", s.errors.as_ref().map(|v| v.span())),
                ("outages", s.outages.first().map(|v| v.span())),
                ("capacity_cuts", s.capacity_cuts.first().map(|v| v.span())),
            ];
            self.unused_fields(prefix, kind.name(), &given);
        }
        let concurrency = s.concurrency.as_ref().map(|_| {
            self.int(
                &s.concurrency,
                &key("concurrency"),
                1,
                i64::from(u32::MAX),
                1,
            ) as u32
        });
        let queue_limit = s
            .queue_limit
            .as_ref()
            .map(|_| self.int(&s.queue_limit, &key("queue_limit"), 0, i64::MAX, 0) as u64);
        if let (None, Some(q)) = (&s.concurrency, &s.queue_limit) {
            self.conflict_at(
                q,
                &key("queue_limit"),
                format!(
                    "has no effect without {} (an unlimited server never queues)",
                    key("concurrency")
                ),
            );
        }
        let latency = match (&s.latency, &s.ttft, &s.decode_tokens_per_s) {
            (Some(v), None, None) => Latency::Fixed(self.duration_dist(v, &key("latency"))),
            (None, None, None) => Latency::Fixed(Dist::Constant(0.0)),
            (Some(v), _, _) => {
                self.conflict_at(
                    v,
                    &key("latency"),
                    format!(
                        "give either latency or {} and {}, not both",
                        key("ttft"),
                        key("decode_tokens_per_s")
                    ),
                );
                Latency::Fixed(Dist::Constant(0.0))
            }
            (None, ttft, rate) => {
                let ttft = match ttft {
                    Some(t) => self.duration_dist(t, &key("ttft")),
                    None => Dist::Constant(0.0),
                };
                let tokens_per_s = match rate {
                    Some(r) => self.positive(r, &key("decode_tokens_per_s")),
                    None => {
                        let at = s.ttft.as_ref().map(|t| t.span());
                        self.conflict(
                            at,
                            &key("decode_tokens_per_s"),
                            format!(
                                "{} needs {} (output tokens generated per second, > 0)",
                                key("ttft"),
                                key("decode_tokens_per_s")
                            ),
                        );
                        1.0
                    }
                };
                Latency::Streaming { ttft, tokens_per_s }
            }
        };
        let slowdown = match &s.slowdown {
            Some(v) => {
                let x = self.non_negative(v, &key("slowdown"));
                if s.concurrency.is_none() {
                    self.conflict_at(
                        v,
                        &key("slowdown"),
                        format!(
                            "needs {} (the slowdown is relative to the slots in use)",
                            key("concurrency")
                        ),
                    );
                }
                x
            }
            None => 0.0,
        };
        let errors = match (&s.error_rate, &s.errors) {
            (Some(rate), Some(_)) => {
                self.conflict_at(
                    rate,
                    &key("error_rate"),
                    format!(
                        "give either error_rate (500 errors) or {}, not both",
                        key("errors")
                    ),
                );
                ErrorRates::NONE
            }
            (Some(_), None) => ErrorRates {
                http_500: self.probability(&s.error_rate, &key("error_rate")),
                ..ErrorRates::NONE
            },
            (None, Some(e)) => {
                let r = e.get_ref();
                let rates = ErrorRates {
                    http_500: self.probability(&r.http_500, &key("errors.500")),
                    http_503: self.probability(&r.http_503, &key("errors.503")),
                    http_529: self.probability(&r.http_529, &key("errors.529")),
                    retry_after: self.opt_duration(&r.retry_after, &key("errors.retry_after")),
                };
                let total = rates.http_500 + rates.http_503 + rates.http_529;
                if total > 1.0 + 1e-9 {
                    self.conflict_at(
                        e,
                        &key("errors"),
                        format!(
                            "the probabilities add up to {}; together they may be at most 1",
                            show_number(total)
                        ),
                    );
                }
                rates
            }
            (None, None) => ErrorRates::NONE,
        };
        let mut outages: Vec<Outage> = Vec::new();
        for (i, o) in s.outages.iter().enumerate() {
            let okey = format!("{prefix}.outages[{i}]");
            let o = o.get_ref();
            let (start, duration) = self.window(&o.start, &o.duration, &okey, horizon);
            let silent = match &o.response {
                Some(r) => self
                    .choice(
                        r,
                        &format!("{okey}.response"),
                        &["503", "none"],
                        |v| match v {
                            "503" => Some(false),
                            "none" => Some(true),
                            _ => None,
                        },
                    )
                    .unwrap_or(false),
                None => false,
            };
            let error_rate = match &o.error_rate {
                Some(_) => self.probability(&o.error_rate, &format!("{okey}.error_rate")),
                None => 1.0,
            };
            outages.push(Outage {
                start,
                duration,
                silent,
                error_rate,
            });
        }
        let mut capacity_cuts = Vec::new();
        for (i, w) in s.capacity_cuts.iter().enumerate() {
            let wkey = format!("{prefix}.capacity_cuts[{i}]");
            let w = w.get_ref();
            let (start, duration) = self.window(&w.start, &w.duration, &wkey, horizon);
            let cut = self.probability(&Some(w.cut.clone()), &format!("{wkey}.cut"));
            if s.concurrency.is_none() {
                self.conflict_at(
                    &w.cut,
                    &format!("{wkey}.cut"),
                    format!(
                        "needs {} (the cut is a share of the slots)",
                        key("concurrency")
                    ),
                );
            }
            capacity_cuts.push(CapacityCut {
                start,
                duration,
                cut,
            });
        }
        ServerConfig {
            kind,
            concurrency,
            queue_limit,
            latency,
            slowdown,
            errors,
            outages,
            capacity_cuts,
            cancel_on_disconnect: s.cancel_on_disconnect.unwrap_or(false),
        }
    }

    /// A window's `start` (before the horizon) and `duration` (> 0).
    fn window(
        &mut self,
        start: &Spanned<Duration>,
        duration: &Spanned<Duration>,
        key: &str,
        horizon: SimDuration,
    ) -> (SimDuration, SimDuration) {
        let s = self.duration(start, &format!("{key}.start"));
        let d = self.positive_duration(duration, &format!("{key}.duration"));
        if s >= horizon {
            self.conflict_at(
                start,
                &format!("{key}.start"),
                format!(
                    "must be before the horizon ({}), not {}: it would never happen",
                    format_duration(horizon),
                    format_duration(s)
                ),
            );
        }
        (s, d)
    }

    pub(super) fn pricing(&mut self, p: &RawPricing, prefix: &str) -> Pricing {
        let table = crate::pricing::in_force();
        let base = p.model.as_ref().and_then(|m| {
            let found = table.find(m.get_ref());
            // A model the table does not list is still a model when the
            // scenario gives both its prices (a resolved scenario written
            // under another price table reads the same without it).
            let priced = p.input_per_mtok.is_some() && p.output_per_mtok.is_some();
            if found.is_none() && !priced {
                let mut message = unknown_name("value", m.get_ref(), &table.names());
                if table.file.is_some() {
                    message.push_str(&format!(
                        " (the models of {}; or give both input_per_mtok and output_per_mtok)",
                        table.describe()
                    ));
                }
                self.problem(m, &format!("{prefix}.model"), message);
            } else if found.is_none() {
                let name = m.get_ref();
                if name.trim().is_empty() || name.contains(['\n', '\r', ',', '"']) {
                    self.problem(
                        m,
                        &format!("{prefix}.model"),
                        "must be a non-empty name without commas, quotes or line breaks",
                    );
                }
            }
            found
        });
        let price = |cx: &mut Self, v: &Option<Spanned<f64>>, key: &str, fallback: f64| match v {
            Some(x) => cx.non_negative(x, key),
            None => fallback,
        };
        Pricing {
            model: p.model.as_ref().map(|m| m.get_ref().clone()).filter(|_| {
                base.is_some() || (p.input_per_mtok.is_some() && p.output_per_mtok.is_some())
            }),
            input_per_mtok: price(
                self,
                &p.input_per_mtok,
                &format!("{prefix}.input_per_mtok"),
                base.map_or(0.0, |b| b.input_per_mtok),
            ),
            output_per_mtok: price(
                self,
                &p.output_per_mtok,
                &format!("{prefix}.output_per_mtok"),
                base.map_or(0.0, |b| b.output_per_mtok),
            ),
        }
    }

    /// The further models (`[[model]]`), in file order: each with its own
    /// limits and prices, and the main model's servers unless it gives
    /// its own.
    pub(super) fn models(
        &mut self,
        raw: &[Spanned<RawModel>],
        primary_name: &str,
        server: &ServerConfig,
        horizon_for_checks: SimDuration,
    ) -> Vec<ModelConfig> {
        let mut models: Vec<ModelConfig> = Vec::new();
        // Names are looked up in sets: a file may have thousands of
        // tables, and comparing each name with every earlier one took
        // time quadratic in them.
        let mut model_seen: HashSet<String> = HashSet::from([primary_name.to_string()]);
        for (i, m) in raw.iter().enumerate() {
            let m = m.get_ref();
            let key = format!("model[{i}]");
            let name = m.name.get_ref().clone();
            if name.trim().is_empty() || name.contains(['\n', '\r', ',', '"']) {
                self.problem(
                    &m.name,
                    &format!("{key}.name"),
                    "must be a non-empty name without commas, quotes or line breaks",
                );
            } else if !model_seen.insert(name.clone()) {
                self.conflict_at(&m.name, &format!("{key}.name"), format!(
                    "\"{name}\" already names a model (the main model is named by [pricing] model, or \"primary\"); model names must be unique"
                ));
            }
            let server = match &m.server {
                Some(s) => self.server(s, &format!("{key}.server"), horizon_for_checks),
                None => server.clone(),
            };
            models.push(ModelConfig {
                name,
                pricing: self.pricing(&m.pricing, &format!("{key}.pricing")),
                limiter: self.limiter(&m.limiter, &format!("{key}.limiter")),
                server,
            });
        }
        models
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{STRATEGY, problem, problems, resolved};
    use crate::model::limiter::RetryAfterMode;
    use crate::scenario::{ErrorRates, Outage};
    use crate::time::NANOS_PER_SEC;

    #[test]
    fn a_limit_bursts_its_minute_rounded_up_unless_told() {
        let s = resolved(&format!(
            "[limiter]\nrequests_per_minute = 90.5\ntokens_per_minute = 60000\ntoken_burst = 5000\nretry_after = \"none\"\n{STRATEGY}"
        ));
        assert_eq!(s.limiter.requests, Some((90.5, 91)));
        assert_eq!(s.limiter.tokens, Some((60000.0, 5000)));
        assert_eq!(
            (s.limiter.input_tokens, s.limiter.output_tokens),
            (None, None)
        );
        assert_eq!(
            s.limiter.retry_after,
            RetryAfterMode::from_name("none").unwrap()
        );
    }

    #[test]
    fn a_burst_without_its_rate_and_rates_out_of_range_are_named() {
        let (line, key, message) = problem(&format!("[limiter]\nrequest_burst = 10\n{STRATEGY}"));
        assert_eq!((line, key.as_str()), (2, "limiter.request_burst"));
        assert_eq!(message, "has no effect without limiter.requests_per_minute");
        let (line, key, message) = problem(&format!(
            "[limiter]\ntokens_per_minute = 0.0001\n{STRATEGY}"
        ));
        assert_eq!((line, key.as_str()), (2, "limiter.tokens_per_minute"));
        assert_eq!(
            message,
            "must be from 0.001 (rates are kept to 0.001 per minute) to 1e12, not 0.0001"
        );
        // Beside a wrong value of the same table, what is said in relation
        // to it waits until it is fixed.
        let found = problems(&format!(
            "[limiter]\nrequest_burst = 10\ntokens_per_minute = 0.0001\n{STRATEGY}"
        ));
        let keys: Vec<&str> = found.iter().map(|(_, k, _)| k.as_str()).collect();
        assert_eq!(keys, ["limiter.tokens_per_minute"]);
    }

    #[test]
    fn an_attempt_larger_than_its_bucket_is_refused() {
        // 800 input + 300 max_tokens = 1100 tokens, the bucket holds 1000.
        let (line, key, message) = problem(&format!(
            "[workload.tokens]\ninput = 800\nmax_tokens = 300\n[limiter]\ntokens_per_minute = 1000\n{STRATEGY}"
        ));
        assert_eq!((line, key.as_str()), (5, "limiter.token_burst"));
        assert_eq!(
            message,
            "an attempt costs up to 1100 tokens (input + max_tokens) but the bucket holds only 1000: such attempts could never be admitted"
        );
    }

    #[test]
    fn server_errors_outages_and_their_bounds() {
        let s = resolved(&format!(
            "horizon = \"10m\"\n[server]\nconcurrency = 8\nerrors = {{ 503 = 0.25, 529 = 0.5, retry_after = \"7s\" }}\n\
             [[server.outages]]\nstart = \"1m\"\nduration = \"30s\"\nresponse = \"none\"\n{STRATEGY}"
        ));
        assert_eq!(s.server.concurrency, Some(8));
        assert_eq!(
            s.server.errors,
            ErrorRates {
                http_500: 0.0,
                http_503: 0.25,
                http_529: 0.5,
                retry_after: Some(7 * NANOS_PER_SEC),
            }
        );
        assert_eq!(
            s.server.outages,
            [Outage {
                start: 60 * NANOS_PER_SEC,
                duration: 30 * NANOS_PER_SEC,
                silent: true,
                error_rate: 1.0
            }]
        );
        let found = problems(&format!(
            "horizon = \"10m\"\n[server]\nerrors = {{ 500 = 0.5, 503 = 0.6 }}\n\
             [[server.outages]]\nstart = \"10m\"\nduration = \"1m\"\n{STRATEGY}"
        ));
        assert_eq!(
            found,
            [
                (
                    3,
                    "server.errors".to_string(),
                    "the probabilities add up to 1.1; together they may be at most 1".to_string()
                ),
                (
                    5,
                    "server.outages[0].start".to_string(),
                    "must be before the horizon (10m), not 10m: it would never happen".to_string()
                ),
            ]
        );
    }

    #[test]
    fn an_occ_server_refuses_the_keys_of_a_queue() {
        let (line, key, message) = problem(&format!(
            "[server]\nkind = \"occ\"\nconcurrency = 4\n{STRATEGY}"
        ));
        assert_eq!((line, key.as_str()), (3, "server.concurrency"));
        assert_eq!(message, "is not used by kind = \"occ\"");
    }

    #[test]
    fn models_have_their_own_limits_and_share_the_servers_unless_given() {
        let s = resolved(&format!(
            "[server]\nconcurrency = 2\n[pricing]\ninput_per_mtok = 3\n\
             [[model]]\nname = \"backup\"\nlimiter = {{ requests_per_minute = 60 }}\npricing = {{ output_per_mtok = 1.5 }}\n{STRATEGY}"
        ));
        assert_eq!(s.model_names(), ["primary", "backup"]);
        let m = &s.models[0];
        assert_eq!(m.limiter.requests, Some((60.0, 60)));
        assert_eq!(m.server, s.server);
        assert_eq!(
            (m.pricing.input_per_mtok, m.pricing.output_per_mtok),
            (0.0, 1.5)
        );
        assert_eq!(s.pricing.input_per_mtok, 3.0);
        let (line, key, message) = problem(&format!("[[model]]\nname = \"primary\"\n{STRATEGY}"));
        assert_eq!((line, key.as_str()), (2, "model[0].name"));
        assert!(
            message.starts_with("\"primary\" already names a model"),
            "{message}"
        );
    }
}

#[cfg(test)]
mod limiter_kinds {
    use super::super::test_support::{STRATEGY, problem, problems, resolved};
    use crate::model::limiter::{Algorithm, Limit, RetryAfterMode};
    use crate::time::NANOS_PER_SEC;

    #[test]
    fn the_kinds_and_their_keys_are_read_and_written_back() {
        let src = format!(
            "[limiter]\nalgorithm = \"sliding_window\"\nwindow = \"10s\"\nrequests_per_minute = 600\ntokens_per_minute = 60000\nretry_after_tokens = \"none\"\nretry_after = \"seconds\"\nmax_in_flight = 8\n{STRATEGY}"
        );
        let s = resolved(&src);
        let l = &s.limiter;
        assert_eq!(l.algorithm, Algorithm::SlidingWindow);
        assert_eq!(l.window, 10 * NANOS_PER_SEC);
        assert_eq!(l.max_in_flight, Some(8));
        assert_eq!(l.retry_after_of(Limit::Tokens), RetryAfterMode::None);
        assert_eq!(l.retry_after_of(Limit::Requests), RetryAfterMode::Seconds);
        // 600 a minute is 100 per 10 s window; 60000 tokens, 10000.
        assert_eq!(l.long_run()[0], Some((10.0, 100.0)));
        assert_eq!(l.long_run()[1], Some((1000.0, 10000.0)));
        let again = resolved(&s.to_toml());
        assert_eq!(again.limiter, s.limiter);
        let leaky = resolved(&format!(
            "[limiter]\nalgorithm = \"leaky_queue\"\nrequests_per_minute = 600\nnodelay = true\nlimit_req_status = 429\n{STRATEGY}"
        ));
        // nginx's default burst is 0.
        assert_eq!(leaky.limiter.requests, Some((600.0, 0)));
        assert!(leaky.limiter.nodelay);
        assert_eq!(leaky.limiter.queue_status, 429);
        assert_eq!(resolved(&leaky.to_toml()).limiter, leaky.limiter);
        // A token bucket writes none of the new keys.
        let plain = resolved(&format!("[limiter]\nrequests_per_minute = 60\n{STRATEGY}"));
        let text = plain.to_toml();
        for key in [
            "\nalgorithm =",
            "\nwindow =",
            "nodelay",
            "max_in_flight",
            "retry_after_",
        ] {
            assert!(!text.contains(key), "{key} in\n{text}");
        }
    }

    #[test]
    fn keys_of_another_kind_are_named_with_what_they_need() {
        let cases = [
            (
                "window = \"1s\"\nrequests_per_minute = 60",
                "limiter.window",
                "has no effect with limiter.algorithm = \"token_bucket\" (only fixed_window, sliding_log and sliding_window count per window)",
            ),
            (
                "nodelay = true\nrequests_per_minute = 60",
                "limiter.nodelay",
                "has no effect without limiter.algorithm = \"leaky_queue\"",
            ),
            (
                "algorithm = \"fixed_window\"\nquantized = true\nrequests_per_minute = 60",
                "limiter.quantized",
                "applies to token buckets only, not to limiter.algorithm = \"fixed_window\"",
            ),
            (
                "algorithm = \"fixed_window\"\nrequests_per_minute = 60\nrequest_burst = 5",
                "limiter.request_burst",
                "has no effect with limiter.algorithm = \"fixed_window\" (a window holds requests_per_minute × limiter.window)",
            ),
            (
                "algorithm = \"leaky_queue\"\ntokens_per_minute = 60",
                "limiter.algorithm",
                "\"leaky_queue\" needs limiter.requests_per_minute (the rate requests leave the queue)",
            ),
            (
                "requests_per_minute = 60\nretry_after_tokens = \"reset\"",
                "limiter.retry_after_tokens",
                "has no effect without limiter.tokens_per_minute",
            ),
            (
                "max_in_flight = 0",
                "limiter.max_in_flight",
                "must be a whole number from 1 to 4294967295, not 0",
            ),
            (
                "algorithm = \"sliding_log\"\nrequests_per_minute = 2000000",
                "limiter.requests_per_minute",
                "allows 2000000 per window of 1m, more than the 1000000 entries a sliding log may keep: use algorithm = \"sliding_window\", or a shorter window",
            ),
            (
                "algorithm = \"fixed_window\"\nwindow = \"2d\"\nrequests_per_minute = 60",
                "limiter.window",
                "must be at most 1d, not 48h",
            ),
        ];
        for (limiter, key, message) in cases {
            let found = problems(&format!("[limiter]\n{limiter}\n{STRATEGY}"));
            assert!(
                found.iter().any(|(_, k, m)| k == key && m == message),
                "{limiter}: {found:?}"
            );
        }
        // A per-model limiter is read the same way, under its own prefix.
        let (line, key, _) = problem(&format!(
            "[[model]]\nname = \"b\"\nlimiter = {{ algorithm = \"fixed_window\", window = \"1s\", requests_per_minute = 90 }}\n{STRATEGY}"
        ));
        assert_eq!(
            (line, key.as_str()),
            (3, "model[0].limiter.requests_per_minute")
        );
    }
}
