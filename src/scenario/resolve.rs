//! Validation: from the raw TOML types to a [`Scenario`], collecting every
//! problem (with its position) instead of stopping at the first.

use super::raw::*;
use super::trace::FileSource;
use super::{
    CapacityCut, ErrorRates, Latency, LimiterConfig, MAX_MODELS, MAX_TOKENS_PER_REQUEST,
    ModelConfig, Outage, Problem, Recovery, ReportConfig, Scenario, ServerConfig, Workload,
    WorkloadKind,
};
use crate::diagnostic::MAX_PROBLEMS;
use crate::diagnostic::{did_you_mean, show_number, toml_type, unknown_name};
use crate::model::dist::Dist;
use crate::model::limiter::{OutputCharge, RetryAfterMode};
use crate::policy::backoff::{BACKOFF_KINDS, Backoff};
use crate::policy::guard::{Breaker, BreakerScope, Budget, Guards, Throttle, micros};
use crate::policy::preset::{self, AWS_ADAPTIVE, POLLY_BREAKER};
use crate::policy::{AboveMax, Fallback, RetryOn, Strategy};
use crate::pricing::{MODEL_PRICES, Pricing, model_price};
use crate::time::{DURATION_HELP, NANOS_PER_SEC, SimDuration, format_duration, parse_duration};
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use toml::Spanned;

/// Largest number of replications, clients, requests per client and
/// attempts accepted: beyond these a run could not finish in any sensible
/// time, and counts stay far from integer overflow.
const MAX_REPLICATIONS: i64 = 1_000_000;
const MAX_CLIENTS: i64 = 100_000_000;
const MAX_REQUESTS_PER_CLIENT: i64 = 100_000_000;
const MAX_ATTEMPTS: i64 = super::MAX_ATTEMPTS as i64;
/// Largest limiter rate (per minute) and burst.
const MAX_RATE_PER_MINUTE: f64 = 1e12;
const MAX_BURST: i64 = 1_000_000_000_000;
/// Most requests a run may be expected to create (requests are indexed by
/// 32-bit numbers; this leaves room for Poisson fluctuation).
pub const MAX_EXPECTED_REQUESTS: f64 = 1e9;
/// Most time-series buckets a run may need (horizon / report.bucket).
pub const MAX_BUCKETS: u64 = 1_000_000;

/// The kinds of `budget` and `throttle` tables.
pub const BUDGET_KINDS: [&str; 5] = ["aws_quota", "grpc", "percent", "client_bucket", "none"];
pub const THROTTLE_KINDS: [&str; 3] = ["sre", "aws_adaptive", "none"];

/// Traces already parsed, by file name: the points of a sweep share one.
pub type TraceCache =
    std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<[super::TraceRow]>>>;

/// Parses and validates `src`; trace files are read through `files`.
pub fn parse(src: &str, default_name: &str, files: FileSource) -> Result<Scenario, Vec<Problem>> {
    parse_cached(src, default_name, files, None)
}

/// [`parse`], taking traces from `cache` when it has them (and adding
/// those it reads).
pub fn parse_cached(
    src: &str,
    default_name: &str,
    files: FileSource,
    cache: Option<&TraceCache>,
) -> Result<Scenario, Vec<Problem>> {
    let (raw, mut removed, mut problems) = super::recover::read(src)?;
    let mut cx = Cx {
        unknown_models_described: MAX_PROBLEMS,
        files,
        traces: cache,
        problems: Vec::new(),
        conflicts: Vec::new(),
    };
    let has_sweep = raw.sweep.is_some();
    let has_tune = raw.tune.is_some();
    let mut scenario = cx.scenario(raw, default_name);
    // `strategy` given as something else than tables was reported as such;
    // it is not also missing.
    if removed.took_out("strategy") {
        cx.problems.retain(|p| p.key != "strategy");
    }
    // Where a wrong value was taken out, or replaced by its default, what
    // is said of other keys in relation to it could be false; that waits
    // until the value is fixed.
    for p in &cx.problems {
        removed.add(&p.key);
    }
    problems.append(&mut cx.problems);
    problems.extend(
        cx.conflicts
            .drain(..)
            .filter(|p| !removed.may_mislead(&p.key)),
    );
    if has_sweep && problems.is_empty() {
        scenario.sweep = super::sweep::parse(src, &scenario, &mut problems, files);
    }
    if has_tune && problems.is_empty() {
        scenario.tune = super::tune::parse(src, &scenario, &mut problems, files).map(Box::new);
    }
    if problems.is_empty() {
        Ok(scenario)
    } else {
        Err(crate::diagnostic::in_report_order(problems, src))
    }
}

/// Validation context: where traces come from, and the problems found so
/// far (located only once known to be reported).
struct Cx<'a> {
    /// How many more unknown fallback models get the list of models in
    /// their message: only the first [`MAX_PROBLEMS`] in the file can be
    /// reported (they are found in file order).
    unknown_models_described: usize,
    /// Where trace files are read from.
    files: FileSource<'a>,
    /// Traces parsed before, by file name.
    traces: Option<&'a TraceCache>,
    /// Problems of a value alone: its type, range or unit.
    problems: Vec<Problem>,
    /// Problems of a value together with others (a key another key
    /// needs or excludes, a bound set elsewhere, a name defined
    /// elsewhere): false if one of those others was a wrong value taken
    /// out (see [`super::recover`]).
    conflicts: Vec<Problem>,
}

impl Cx<'_> {
    fn problem<T>(&mut self, at: &Spanned<T>, key: &str, message: impl Into<String>) {
        self.problems
            .push(Problem::unlocated(Some(at.span()), key, message));
    }

    fn conflict(&mut self, at: Option<Range<usize>>, key: &str, message: impl Into<String>) {
        self.conflicts.push(Problem::unlocated(at, key, message));
    }

    fn conflict_at<T>(&mut self, at: &Spanned<T>, key: &str, message: impl Into<String>) {
        self.conflict(Some(at.span()), key, message);
    }

    fn duration(&mut self, v: &Spanned<Duration>, key: &str) -> SimDuration {
        match parse_duration(v.get_ref()) {
            Ok(d) => d,
            Err(msg) => {
                self.problem(v, key, msg);
                0
            }
        }
    }

    fn opt_duration(&mut self, v: &Option<Spanned<Duration>>, key: &str) -> Option<SimDuration> {
        v.as_ref().map(|v| self.duration(v, key))
    }

    fn positive_duration(&mut self, v: &Spanned<Duration>, key: &str) -> SimDuration {
        let d = self.duration(v, key);
        if d == 0 && parse_duration(v.get_ref()).is_ok() {
            let zero: &str = v.get_ref();
            self.problem(v, key, format!("must be longer than 0s, not \"{zero}\""));
        }
        d
    }

    fn int(
        &mut self,
        v: &Option<Spanned<i64>>,
        key: &str,
        min: i64,
        max: i64,
        default: i64,
    ) -> i64 {
        match v {
            None => default,
            Some(s) => {
                let x = *s.get_ref();
                if x < min || x > max {
                    self.problem(
                        s,
                        key,
                        format!("must be a whole number from {min} to {max}, not {x}"),
                    );
                    default
                } else {
                    x
                }
            }
        }
    }

    fn positive(&mut self, v: &Spanned<f64>, key: &str) -> f64 {
        let x = *v.get_ref();
        if !x.is_finite() || x <= 0.0 {
            self.problem(
                v,
                key,
                format!(
                    "must be a finite number greater than 0, not {}",
                    show_number(x)
                ),
            );
            1.0
        } else {
            x
        }
    }

    fn non_negative(&mut self, v: &Spanned<f64>, key: &str) -> f64 {
        let x = *v.get_ref();
        if !x.is_finite() || x < 0.0 {
            self.problem(
                v,
                key,
                format!(
                    "must be a finite number of at least 0, not {}",
                    show_number(x)
                ),
            );
            0.0
        } else {
            x
        }
    }

    fn probability(&mut self, v: &Option<Spanned<f64>>, key: &str) -> f64 {
        match v {
            None => 0.0,
            Some(s) => {
                let x = *s.get_ref();
                if !(0.0..=1.0).contains(&x) {
                    self.problem(
                        s,
                        key,
                        format!("must be a probability from 0 to 1, not {}", show_number(x)),
                    );
                    0.0
                } else {
                    x
                }
            }
        }
    }

    fn choice<T>(
        &mut self,
        v: &Spanned<String>,
        key: &str,
        names: &[&str],
        find: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let found = find(v.get_ref());
        if found.is_none() {
            let message = unknown_name("value", v.get_ref(), names);
            self.problem(v, key, message);
        }
        found
    }

    fn scenario(&mut self, raw: RawScenario, default_name: &str) -> Scenario {
        let name = match &raw.name {
            Some(n) => {
                if let Some(why) = folder_name_problem(n.get_ref()) {
                    self.problem(n, "name", why);
                }
                n.get_ref().clone()
            }
            None => name_from_file(default_name),
        };
        let seed = self.int(&raw.seed, "seed", 0, i64::MAX, 0) as u64;
        let replications =
            self.int(&raw.replications, "replications", 1, MAX_REPLICATIONS, 10) as u32;
        let horizon = match &raw.horizon {
            Some(h) => self.positive_duration(h, "horizon"),
            None => 3_600 * NANOS_PER_SEC,
        };
        // Checks against the horizon are skipped when it is itself wrong,
        // so one mistake gives one message.
        let horizon_for_checks = if horizon == 0 { u64::MAX } else { horizon };
        let workload = self.workload(&raw.workload, horizon_for_checks, horizon);
        let limiter = self.limiter(&raw.limiter, "limiter");
        let network_one_way = match &raw.network.one_way {
            Some(v) => self.duration_dist(v, "network.one_way"),
            None => Dist::Constant(0.0),
        };
        let server = self.server(&raw.server, "server", horizon_for_checks);
        let client_timeout = match &raw.client.timeout {
            Some(t) => Some(self.positive_duration(t, "client.timeout")),
            None => Some(600 * NANOS_PER_SEC),
        };
        let pricing = self.pricing(&raw.pricing, "pricing");
        let primary_name = pricing
            .model
            .clone()
            .unwrap_or_else(|| "primary".to_string());
        let mut models: Vec<ModelConfig> = Vec::new();
        // Names are looked up in sets: a file may have thousands of
        // tables, and comparing each name with every earlier one took
        // time quadratic in them.
        let mut model_seen: HashSet<String> = HashSet::from([primary_name.clone()]);
        for (i, m) in raw.model.iter().enumerate() {
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
        let report = ReportConfig {
            bucket: raw.report.bucket.as_ref().map_or(NANOS_PER_SEC, |b| {
                self.positive_duration(b, "report.bucket")
            }),
            peak_window: raw.report.peak_window.as_ref().map_or(NANOS_PER_SEC, |b| {
                self.positive_duration(b, "report.peak_window")
            }),
            recovery: raw
                .report
                .recovery
                .as_ref()
                .and_then(|r| self.recovery(r, &workload, &server, horizon)),
        };
        if horizon > 0 && report.bucket > 0 && horizon.div_ceil(report.bucket) > MAX_BUCKETS {
            let msg = format!(
                "horizon / bucket makes {} time-series buckets; at most {MAX_BUCKETS} are supported: use a wider bucket",
                horizon.div_ceil(report.bucket)
            );
            match &raw.report.bucket {
                Some(b) => self.conflict_at(b, "report.bucket", msg),
                None => self.conflict(raw.horizon.as_ref().map(|h| h.span()), "report.bucket", msg),
            }
        }
        // Once, not per model: a trace's rows can number millions.
        let costs = Self::largest_costs(&workload);
        self.check_token_costs(costs, &limiter, &raw.limiter, "limiter");
        for (i, (m, raw_m)) in models.iter().zip(&raw.model).enumerate() {
            let prefix = format!("model[{i}].limiter");
            self.check_token_costs(costs, &m.limiter, &raw_m.get_ref().limiter, &prefix);
        }
        if raw.strategy.is_empty() {
            // Depends on nothing else: never held back.
            self.problems.push(Problem::unlocated(
                None,
                "strategy",
                "no [[strategy]] table: add at least one strategy to compare",
            ));
        }
        let model_names = ModelNames::new(
            std::iter::once(primary_name.as_str())
                .chain(models.iter().map(|m| m.name.as_str()))
                .collect(),
        );
        let mut strategies: Vec<Strategy> = Vec::new();
        let mut strategy_seen: HashSet<String> = HashSet::new();
        for (i, s) in raw.strategy.iter().enumerate() {
            let st = self.strategy(s, i, &model_names);
            if !strategy_seen.insert(st.name.clone()) {
                let at = s.get_ref().name.as_ref().map_or(s.span(), |n| n.span());
                self.conflict(
                    Some(at),
                    &format!("strategy[{i}].name"),
                    format!(
                        "another strategy is already named \"{}\"; names must be unique",
                        st.name
                    ),
                );
            }
            strategies.push(st);
        }
        Scenario {
            name,
            description: raw.description.clone().unwrap_or_default(),
            seed,
            replications,
            horizon,
            workload,
            limiter,
            network_one_way,
            server,
            client_timeout,
            pricing,
            report,
            strategies,
            models,
            sweep: None,
            tune: None,
        }
    }

    /// The most input and output tokens one attempt of `workload` reserves,
    /// when they are known before running (fixed sizes, a `max_tokens`, or
    /// a trace's largest).
    fn largest_costs(workload: &Workload) -> (Option<f64>, Option<f64>) {
        let input = match (&workload.kind, &workload.input_tokens) {
            (WorkloadKind::Trace { rows }, _) => {
                rows.iter().map(|r| r.input_tokens).max().map(|x| x as f64)
            }
            (_, Dist::Constant(x)) => Some(*x),
            _ => None,
        };
        let output = match (workload.max_tokens, &workload.kind, &workload.output_tokens) {
            (Some(m), _, _) => Some(m as f64),
            (None, WorkloadKind::Trace { rows }, _) => {
                rows.iter().map(|r| r.output_tokens).max().map(|x| x as f64)
            }
            (None, _, Dist::Constant(o)) => Some(*o),
            _ => None,
        };
        (input, output)
    }

    /// With fixed token sizes, an attempt that costs more than a token
    /// bucket holds could never be admitted: say so now rather than let
    /// every attempt get a 429 without Retry-After.
    fn check_token_costs(
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

    fn workload(
        &mut self,
        w: &RawWorkload,
        horizon: SimDuration,
        run_length: SimDuration,
    ) -> Workload {
        let kind_name = w.kind.as_ref().map_or("burst", |k| k.get_ref().as_str());
        let clients = self.int(&w.clients, "workload.clients", 1, MAX_CLIENTS, 100) as u32;
        let spread = match &w.spread {
            Some(s) => {
                let d = self.duration(s, "workload.spread");
                if d > horizon {
                    self.conflict_at(
                        s,
                        "workload.spread",
                        format!(
                            "must be at most the horizon ({}), not {}",
                            format_duration(horizon),
                            format_duration(d)
                        ),
                    );
                }
                d
            }
            None => 0,
        };
        // Keys that only some kinds read are errors under another kind, so a
        // typo'd kind does not silently ignore them.
        let kind_keys: [KindKey; 6] = [
            (
                "spread",
                w.spread.as_ref().map(|v| v.span()),
                &["burst", "closed"],
            ),
            (
                "rate_per_s",
                w.rate_per_s.as_ref().map(|v| v.span()),
                &["poisson"],
            ),
            (
                "duration",
                w.duration.as_ref().map(|v| v.span()),
                &["poisson"],
            ),
            (
                "requests_per_client",
                w.requests_per_client.as_ref().map(|v| v.span()),
                &["closed"],
            ),
            (
                "think_time",
                w.think_time.as_ref().map(|v| v.span()),
                &["closed"],
            ),
            ("file", w.file.as_ref().map(|v| v.span()), &["trace"]),
        ];
        if KINDS.contains(&kind_name) {
            for (key, at, kinds) in kind_keys {
                if at.is_some() && !kinds.contains(&kind_name) {
                    let allowed = kinds
                        .iter()
                        .map(|k| format!("\"{k}\""))
                        .collect::<Vec<_>>()
                        .join(" or ");
                    self.conflict(
                        at,
                        &format!("workload.{key}"),
                        format!("only read by kind = {allowed}, not by kind = \"{kind_name}\""),
                    );
                }
            }
        }
        let kind = match kind_name {
            "burst" => WorkloadKind::Burst { spread },
            "poisson" => {
                let rate_per_s = match &w.rate_per_s {
                    Some(r) => self.positive(r, "workload.rate_per_s"),
                    None => {
                        self.conflict(
                            w.kind.as_ref().map(|k| k.span()),
                            "workload.rate_per_s",
                            "kind = \"poisson\" needs rate_per_s (requests per second, > 0)",
                        );
                        1.0
                    }
                };
                let duration = match &w.duration {
                    Some(d) => self.positive_duration(d, "workload.duration"),
                    None => run_length,
                };
                let expected = rate_per_s * crate::time::as_secs_f64(duration.min(run_length));
                if expected > MAX_EXPECTED_REQUESTS {
                    let at = w.rate_per_s.as_ref().map(|r| r.span());
                    self.conflict(at, "workload.rate_per_s", format!(
                        "rate_per_s × duration expects {expected:.3e} requests in one run; at most {MAX_EXPECTED_REQUESTS:e} are supported"
                    ));
                }
                WorkloadKind::Poisson {
                    rate_per_s,
                    duration,
                }
            }
            "closed" => {
                let requests_per_client = self.int(
                    &w.requests_per_client,
                    "workload.requests_per_client",
                    1,
                    MAX_REQUESTS_PER_CLIENT,
                    10,
                ) as u32;
                if f64::from(clients) * f64::from(requests_per_client) > MAX_EXPECTED_REQUESTS {
                    let at = w.requests_per_client.as_ref().map(|r| r.span());
                    self.conflict(at, "workload.requests_per_client", format!(
                        "clients × requests_per_client is more than the {MAX_EXPECTED_REQUESTS:e} requests one run supports"
                    ));
                }
                let think_time = match &w.think_time {
                    Some(t) => self.duration_dist(t, "workload.think_time"),
                    None => Dist::Constant(0.0),
                };
                WorkloadKind::Closed {
                    requests_per_client,
                    think_time,
                    spread,
                }
            }
            "trace" => match &w.file {
                Some(file) => {
                    let cached = self
                        .traces
                        .and_then(|c| c.lock().ok().and_then(|m| m.get(file.get_ref()).cloned()));
                    let rows: std::sync::Arc<[super::TraceRow]> = match cached {
                        Some(rows) => rows,
                        None => match super::trace::read(self.files, file.get_ref()) {
                            Ok(rows) => {
                                let rows: std::sync::Arc<[super::TraceRow]> = rows.into();
                                if let Some(Ok(mut m)) = self.traces.map(|c| c.lock()) {
                                    m.insert(file.get_ref().clone(), rows.clone());
                                }
                                rows
                            }
                            Err(msg) => {
                                self.problem(file, "workload.file", msg);
                                Vec::new().into()
                            }
                        },
                    };
                    for (key, v) in [("input", &w.tokens.input), ("output", &w.tokens.output)] {
                        if let Some(v) = v {
                            self.conflict_at(v, &format!("workload.tokens.{key}"),
                                "is not used by kind = \"trace\": the trace gives each request's token counts");
                        }
                    }
                    WorkloadKind::Trace { rows }
                }
                None => {
                    self.conflict(w.kind.as_ref().map(|k| k.span()), "workload.file", "kind = \"trace\" needs file = \"path/to/trace.csv\" (columns t_s, input_tokens, output_tokens; relative to the scenario file)");
                    WorkloadKind::Trace {
                        rows: Vec::new().into(),
                    }
                }
            },
            other => {
                let span = w.kind.as_ref().map(|k| k.span());
                self.problems.push(Problem::unlocated(
                    span,
                    "workload.kind",
                    unknown_name("value", other, &KINDS),
                ));
                WorkloadKind::Burst { spread }
            }
        };
        let input_tokens = match &w.tokens.input {
            Some(v) => self.token_dist(v, "workload.tokens.input"),
            None => Dist::Constant(1000.0),
        };
        let output_tokens = match &w.tokens.output {
            Some(v) => self.token_dist(v, "workload.tokens.output"),
            None => Dist::Constant(500.0),
        };
        let max_tokens = w.tokens.max_tokens.as_ref().map(|_| {
            self.int(
                &w.tokens.max_tokens,
                "workload.tokens.max_tokens",
                1,
                MAX_TOKENS_PER_REQUEST as i64,
                1,
            ) as u64
        });
        Workload {
            kind,
            clients,
            input_tokens,
            output_tokens,
            max_tokens,
        }
    }

    fn limiter(&mut self, l: &RawLimiter, prefix: &str) -> LimiterConfig {
        let quantized = l.quantized.as_ref().is_some_and(|q| *q.get_ref());
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
        LimiterConfig {
            requests,
            tokens,
            input_tokens,
            output_tokens,
            quantized,
            output_charge,
            retry_after,
        }
    }

    fn server(&mut self, s: &RawServer, prefix: &str, horizon: SimDuration) -> ServerConfig {
        let key = |k: &str| format!("{prefix}.{k}");
        let occ = match &s.kind {
            Some(k) => self
                .choice(k, &key("kind"), &["queue", "occ"], |v| match v {
                    "queue" => Some(false),
                    "occ" => Some(true),
                    _ => None,
                })
                .unwrap_or(false),
            None => false,
        };
        if occ {
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
            self.unused_fields(prefix, "occ", &given);
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
            occ,
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

    fn pricing(&mut self, p: &RawPricing, prefix: &str) -> Pricing {
        let base = p.model.as_ref().and_then(|m| {
            let names: Vec<&str> = MODEL_PRICES.iter().map(|p| p.model).collect();
            self.choice(m, &format!("{prefix}.model"), &names, model_price)
        });
        let price = |cx: &mut Self, v: &Option<Spanned<f64>>, key: &str, fallback: f64| match v {
            Some(x) => cx.non_negative(x, key),
            None => fallback,
        };
        Pricing {
            model: base.map(|b| b.model.to_string()),
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

    /// A list of failure names (`retry_on`, `fallback.on`).
    fn failures(&mut self, list: &Spanned<Vec<Spanned<String>>>, key: &str) -> RetryOn {
        let mut r = RetryOn::NOTHING;
        for item in list.get_ref() {
            if !r.add(item.get_ref()) {
                let message = unknown_name("failure", item.get_ref(), &RetryOn::NAMES);
                self.problem(item, key, message);
            }
        }
        r
    }

    fn strategy(&mut self, st: &Spanned<RawStrategy>, i: usize, models: &ModelNames) -> Strategy {
        let s = st.get_ref();
        let key = |k: &str| format!("strategy[{i}].{k}");
        let preset = s
            .preset
            .as_ref()
            .and_then(|p| self.choice(p, &key("preset"), &preset::names(), preset::find));
        let base = preset.map(|p| p.strategy());
        let name = match (&s.name, preset) {
            (Some(n), _) => {
                let name = n.get_ref().clone();
                if name.trim().is_empty() || name.contains(['\n', '\r', ',', '"']) {
                    self.problem(
                        n,
                        &key("name"),
                        "must be a non-empty name without commas, quotes or line breaks",
                    );
                }
                name
            }
            (None, Some(p)) => p.name.to_string(),
            (None, None) => {
                if s.preset.is_none() {
                    self.conflict_at(
                        st,
                        &key("name"),
                        "missing: every strategy needs a name (or a preset, whose name it then takes)",
                    );
                }
                String::new()
            }
        };
        let backoff = match (&s.backoff, &base) {
            (Some(b), _) => self.backoff(b, &key("backoff")),
            (None, Some(b)) => b.backoff.clone(),
            (None, None) => {
                if s.preset.is_none() {
                    self.conflict_at(
                        st,
                        &key("backoff"),
                        format!(
                            "missing: give a schedule, e.g. backoff = {{ kind = \"full_jitter\", base = \"500ms\" }} (kinds: {}), or a preset ({})",
                            BACKOFF_KINDS.map(|(n, _)| n).join(", "),
                            preset::names().join(", ")
                        ),
                    );
                }
                Backoff::None
            }
        };
        let max_attempts = self.int(
            &s.max_attempts,
            &key("max_attempts"),
            1,
            MAX_ATTEMPTS,
            base.as_ref().map_or(5, |b| i64::from(b.max_attempts)),
        ) as u32;
        let deadline = match &s.deadline {
            Some(d) => Some(self.positive_duration(d, &key("deadline"))),
            None => base.as_ref().and_then(|b| b.deadline),
        };
        let timeout = match &s.timeout {
            Some(d) => Some(self.positive_duration(d, &key("timeout"))),
            None => base.as_ref().and_then(|b| b.timeout),
        };
        let retry_on = match &s.retry_on {
            None => base.as_ref().map_or(RetryOn::ALL, |b| b.retry_on),
            Some(list) => self.failures(list, &key("retry_on")),
        };
        let honor_retry_after = s
            .honor_retry_after
            .unwrap_or(base.as_ref().is_some_and(|b| b.honor_retry_after));
        let mut max_retry_after = match &s.max_retry_after {
            Some(m) => Some(self.duration(m, &key("max_retry_after"))),
            None => base.as_ref().and_then(|b| b.max_retry_after),
        };
        if let (false, Some(m)) = (honor_retry_after, &s.max_retry_after) {
            self.conflict_at(
                m,
                &key("max_retry_after"),
                "has no effect unless honor_retry_after = true",
            );
        }
        let mut above_max_retry_after = match &s.above_max_retry_after {
            Some(a) => {
                if !honor_retry_after {
                    self.conflict_at(
                        a,
                        &key("above_max_retry_after"),
                        "has no effect unless honor_retry_after = true",
                    );
                } else if max_retry_after.is_none() {
                    self.conflict_at(
                        a,
                        &key("above_max_retry_after"),
                        "has no effect without max_retry_after",
                    );
                }
                self.choice(
                    a,
                    &key("above_max_retry_after"),
                    &AboveMax::NAMES,
                    AboveMax::from_name,
                )
                .unwrap_or(AboveMax::Backoff)
            }
            None => base
                .as_ref()
                .map_or(AboveMax::Backoff, |b| b.above_max_retry_after),
        };
        if !honor_retry_after {
            // A preset's limit on Retry-After means nothing once it is ignored.
            max_retry_after = None;
            above_max_retry_after = AboveMax::Backoff;
        }
        let fallback = s.fallback.as_ref().map(|f| {
            let f = f.get_ref();
            let model = match models.index.get(f.model.get_ref().as_str()) {
                Some(0) => {
                    self.conflict_at(
                        &f.model,
                        &key("fallback.model"),
                        "is the main model; a fallback must be another [[model]]",
                    );
                    0
                }
                Some(&m) => m,
                None => {
                    let message = format!("unknown model \"{}\"", f.model.get_ref());
                    let message = match self.unknown_models_described.checked_sub(1) {
                        // The names, and the closest, only in what can be
                        // reported: listing every model in the message of
                        // every strategy would take time quadratic in
                        // them.
                        Some(left) => {
                            self.unknown_models_described = left;
                            format!("{message}; {}", models.hint(f.model.get_ref()))
                        }
                        None => message,
                    };
                    self.conflict_at(&f.model, &key("fallback.model"), message);
                    0
                }
            };
            let on = match &f.on {
                Some(list) => self.failures(list, &key("fallback.on")),
                None => {
                    let mut r = RetryOn::NOTHING;
                    r.add("429");
                    r.add("5xx");
                    r
                }
            };
            Fallback { model, on }
        });
        let preset_guards = base.as_ref().map(|b| b.guards.clone()).unwrap_or_default();
        let guards = Guards {
            budget: match &s.budget {
                Some(b) => self.budget(b, &key("budget")),
                None => preset_guards.budget,
            },
            breaker: match &s.breaker {
                Some(b) => self.breaker(b, &key("breaker")),
                None => preset_guards.breaker,
            },
            throttle: match &s.throttle {
                Some(t) => self.throttle(t, &key("throttle")),
                None => preset_guards.throttle,
            },
        };
        Strategy {
            name,
            backoff,
            max_attempts,
            deadline,
            timeout,
            retry_on,
            honor_retry_after,
            max_retry_after,
            above_max_retry_after,
            fallback,
            guards,
            preset: preset.map(|p| p.name),
        }
    }

    /// Reports the fields given that `kind` does not use.
    fn unused_fields(&mut self, key: &str, kind: &str, fields: &[(&str, Option<Range<usize>>)]) {
        for (field, span) in fields {
            if let Some(span) = span {
                self.conflict(
                    Some(span.clone()),
                    &format!("{key}.{field}"),
                    format!("is not used by kind = \"{kind}\""),
                );
            }
        }
    }

    /// A number within `lo..=hi` (`lo` itself excluded when `open_lo`), or
    /// `default` when absent.
    fn number(
        &mut self,
        v: &Option<Spanned<f64>>,
        key: &str,
        (lo, open_lo): (f64, bool),
        hi: f64,
        default: f64,
    ) -> f64 {
        let Some(v) = v else {
            return default;
        };
        let x = *v.get_ref();
        let ok = x.is_finite() && (if open_lo { x > lo } else { x >= lo }) && x <= hi;
        if ok {
            return x;
        }
        let low = if open_lo {
            format!("greater than {}", show_number(lo))
        } else {
            format!("at least {}", show_number(lo))
        };
        self.problem(
            v,
            key,
            format!(
                "must be a number {low} and at most {}, not {}",
                show_number(hi),
                show_number(x)
            ),
        );
        default
    }

    /// `[report.recovery]`: needs an open-loop (Poisson) workload, whose
    /// rate the goodput is compared with; `after` defaults to the end of
    /// the last capacity cut or outage of the server.
    fn recovery(
        &mut self,
        r: &Spanned<RawRecovery>,
        workload: &Workload,
        server: &ServerConfig,
        horizon: SimDuration,
    ) -> Option<Recovery> {
        let raw = r.get_ref();
        let key = |k: &str| format!("report.recovery.{k}");
        let WorkloadKind::Poisson {
            rate_per_s,
            duration,
        } = workload.kind
        else {
            self.conflict_at(
                r,
                "report.recovery",
                "needs workload.kind = \"poisson\": the goodput is compared with its arrival rate",
            );
            return None;
        };
        let trigger_end = server
            .capacity_cuts
            .iter()
            .map(|w| w.start.saturating_add(w.duration))
            .chain(
                server
                    .outages
                    .iter()
                    .map(|o| o.start.saturating_add(o.duration)),
            )
            .max();
        let after = match (&raw.after, trigger_end) {
            (Some(a), _) => self.duration(a, &key("after")),
            (None, Some(end)) => end,
            (None, None) => {
                self.conflict_at(
                    r,
                    &key("after"),
                    "missing: give the time from which to judge recovery (by default the end of the last capacity cut or outage, and the server has none)",
                );
                return None;
            }
        };
        let within = self.opt_positive_duration(&raw.within, &key("within"), 60 * NANOS_PER_SEC);
        let window = self.opt_positive_duration(&raw.window, &key("window"), 10 * NANOS_PER_SEC);
        let goodput = match &raw.goodput {
            Some(_) => self.number(&raw.goodput, &key("goodput"), (0.0, true), 1.0, 0.9),
            None => 0.9,
        };
        let rec = Recovery {
            after,
            within,
            window,
            goodput,
            rate_per_s,
        };
        let (_, to) = rec.span();
        if to > horizon {
            self.conflict_at(
                r,
                "report.recovery",
                format!(
                    "judges goodput up to after + within = {}, past the horizon {}",
                    crate::time::format_duration(to),
                    crate::time::format_duration(horizon)
                ),
            );
        }
        if to > duration && to <= horizon {
            self.conflict_at(
                r,
                "report.recovery",
                format!(
                    "judges goodput up to after + within = {}, after the workload stops sending at {}: the goodput would fall short however well the system recovered",
                    crate::time::format_duration(to),
                    crate::time::format_duration(duration)
                ),
            );
        }
        if window > within {
            self.conflict_at(
                r,
                &key("window"),
                format!(
                    "must be at most within ({}), not {}: the goodput is measured at the end of the recovery time",
                    format_duration(within),
                    format_duration(window)
                ),
            );
        }
        Some(rec)
    }

    /// Tokens are held in millionths: a positive amount must be at least one.
    fn at_least_a_millionth(&mut self, v: &Option<Spanned<f64>>, key: &str) {
        if let Some(v) = v {
            let x = *v.get_ref();
            if x > 0.0 && micros(x) == 0 {
                self.problem(
                    v,
                    key,
                    format!(
                        "must be at least 0.000001 (tokens are counted in millionths), not {}",
                        show_number(x)
                    ),
                );
            }
        }
    }

    fn opt_positive_duration(
        &mut self,
        v: &Option<Spanned<Duration>>,
        key: &str,
        default: SimDuration,
    ) -> SimDuration {
        match v {
            Some(d) => self.positive_duration(d, key),
            None => default,
        }
    }

    fn budget(&mut self, b: &Spanned<RawBudget>, key: &str) -> Option<Budget> {
        let r = b.get_ref();
        let k = |f: &str| format!("{key}.{f}");
        let span = |v: &Option<Spanned<f64>>| v.as_ref().map(|v| v.span());
        let ispan = |v: &Option<Spanned<i64>>| v.as_ref().map(|v| v.span());
        let aws = [
            ("capacity", ispan(&r.capacity)),
            ("timeout_cost", ispan(&r.timeout_cost)),
            ("success_increment", ispan(&r.success_increment)),
        ];
        let grpc = [
            ("max_tokens", span(&r.max_tokens)),
            ("token_ratio", span(&r.token_ratio)),
        ];
        let percent = [
            ("percent", span(&r.percent)),
            ("min_per_s", span(&r.min_per_s)),
            ("ttl", r.ttl.as_ref().map(|v| v.span())),
        ];
        let bucket = [
            ("size", span(&r.size)),
            ("deposit", span(&r.deposit)),
            ("initial", span(&r.initial)),
            ("deposit_on", r.deposit_on.as_ref().map(|v| v.span())),
        ];
        let cost = [("cost", span(&r.cost))];
        let kind = r.kind.get_ref().as_str();
        let (unused, budget): (Vec<_>, Option<Budget>) = match kind {
            "none" => ([&aws[..], &grpc, &percent, &bucket, &cost].concat(), None),
            "aws_quota" => {
                let whole = |cx: &mut Self, v: &Option<Spanned<i64>>, f: &str, lo: i64, d: i64| {
                    cx.int(v, &k(f), lo, 1_000_000_000, d)
                };
                let cost = match &r.cost {
                    Some(c) if c.get_ref().fract() != 0.0 => {
                        let x = c.get_ref();
                        self.problem(
                            c,
                            &k("cost"),
                            format!("must be a whole number of tokens, not {}", show_number(*x)),
                        );
                        5
                    }
                    _ => self.number(&r.cost, &k("cost"), (0.0, false), 1e9, 5.0) as i64,
                };
                let budget = Budget::AwsQuota {
                    capacity: whole(self, &r.capacity, "capacity", 1, 500),
                    cost,
                    timeout_cost: whole(self, &r.timeout_cost, "timeout_cost", 0, 10),
                    success_increment: whole(self, &r.success_increment, "success_increment", 0, 1),
                };
                ([&grpc[..], &percent, &bucket].concat(), Some(budget))
            }
            "grpc" => {
                let max = self.number(&r.max_tokens, &k("max_tokens"), (0.0, true), 1e6, 10.0);
                let ratio = self.number(&r.token_ratio, &k("token_ratio"), (0.0, true), 1e6, 0.1);
                self.at_least_a_millionth(&r.max_tokens, &k("max_tokens"));
                self.at_least_a_millionth(&r.token_ratio, &k("token_ratio"));
                let budget = Budget::Grpc {
                    max_tokens: micros(max),
                    token_ratio: micros(ratio),
                };
                ([&aws[..], &percent, &bucket, &cost].concat(), Some(budget))
            }
            "percent" => {
                let percent = self.number(&r.percent, &k("percent"), (0.0, false), 10.0, 0.2);
                let min_per_s = self.number(&r.min_per_s, &k("min_per_s"), (0.0, false), 1e6, 10.0);
                let ttl = self.opt_positive_duration(&r.ttl, &k("ttl"), 10 * NANOS_PER_SEC);
                let budget = Budget::Percent {
                    percent: micros(percent),
                    min_per_s,
                    ttl,
                };
                ([&aws[..], &grpc, &bucket, &cost].concat(), Some(budget))
            }
            "client_bucket" => {
                let size = self.number(&r.size, &k("size"), (0.0, true), 1e9, 5.0);
                let deposit = self.number(&r.deposit, &k("deposit"), (0.0, false), 1e9, 0.1);
                let cost = self.number(&r.cost, &k("cost"), (0.0, true), 1e9, 1.0);
                self.at_least_a_millionth(&r.size, &k("size"));
                self.at_least_a_millionth(&r.cost, &k("cost"));
                let initial = self.number(&r.initial, &k("initial"), (0.0, false), 1e9, size);
                if let Some(at) = r.initial.as_ref().filter(|_| initial > size) {
                    self.conflict_at(
                        at,
                        &k("initial"),
                        format!(
                            "must be at most size ({}), not {}",
                            show_number(size),
                            show_number(initial)
                        ),
                    );
                }
                let on_success =
                    match &r.deposit_on {
                        Some(d) => {
                            self.choice(d, &k("deposit_on"), &["first_try", "success"], |v| match v
                            {
                                "first_try" => Some(false),
                                "success" => Some(true),
                                _ => None,
                            })
                            .unwrap_or(false)
                        }
                        None => false,
                    };
                let budget = Budget::ClientBucket {
                    size: micros(size),
                    deposit: micros(deposit),
                    cost: micros(cost),
                    initial: micros(initial),
                    on_success,
                };
                ([&aws[..], &grpc, &percent].concat(), Some(budget))
            }
            _ => {
                self.choice(&r.kind, &k("kind"), &BUDGET_KINDS, |_| None::<()>);
                return None;
            }
        };
        self.unused_fields(key, kind, &unused);
        budget
    }

    fn breaker(&mut self, b: &Spanned<RawBreaker>, key: &str) -> Option<Breaker> {
        let r = b.get_ref();
        let k = |f: &str| format!("{key}.{f}");
        if let Some(kind) = &r.kind {
            match kind.get_ref().as_str() {
                "ratio" => {}
                "none" => {
                    let given = [
                        ("failure_ratio", r.failure_ratio.as_ref().map(|v| v.span())),
                        ("window", r.window.as_ref().map(|v| v.span())),
                        ("min_volume", r.min_volume.as_ref().map(|v| v.span())),
                        ("open_for", r.open_for.as_ref().map(|v| v.span())),
                        ("probes", r.probes.as_ref().map(|v| v.span())),
                        ("scope", r.scope.as_ref().map(|v| v.span())),
                    ];
                    self.unused_fields(key, "none", &given);
                    return None;
                }
                _ => {
                    self.choice(kind, &k("kind"), &["ratio", "none"], |_| None::<()>);
                    return None;
                }
            }
        }
        let d = POLLY_BREAKER;
        let scope = match &r.scope {
            Some(sc) => self
                .choice(
                    sc,
                    &k("scope"),
                    &BreakerScope::NAMES,
                    BreakerScope::from_name,
                )
                .unwrap_or(d.scope),
            None => d.scope,
        };
        Some(Breaker {
            failure_ratio: self.number(
                &r.failure_ratio,
                &k("failure_ratio"),
                (0.0, true),
                1.0,
                d.failure_ratio,
            ),
            window: self.opt_positive_duration(&r.window, &k("window"), d.window),
            min_volume: self.int(
                &r.min_volume,
                &k("min_volume"),
                1,
                i64::from(u32::MAX),
                i64::from(d.min_volume),
            ) as u32,
            open_for: self.opt_positive_duration(&r.open_for, &k("open_for"), d.open_for),
            probes: self.int(
                &r.probes,
                &k("probes"),
                1,
                i64::from(u32::MAX),
                i64::from(d.probes),
            ) as u32,
            scope,
        })
    }

    fn throttle(&mut self, t: &Spanned<RawThrottle>, key: &str) -> Option<Throttle> {
        let r = t.get_ref();
        let k = |f: &str| format!("{key}.{f}");
        let span = |v: &Option<Spanned<f64>>| v.as_ref().map(|v| v.span());
        let sre = [
            ("k", span(&r.k)),
            ("window", r.window.as_ref().map(|v| v.span())),
        ];
        let aws = [
            ("beta", span(&r.beta)),
            ("scale", span(&r.scale)),
            ("smoothing", span(&r.smoothing)),
            ("bucket", r.bucket.as_ref().map(|v| v.span())),
            ("min_rate", span(&r.min_rate)),
        ];
        let kind = r.kind.get_ref().as_str();
        let (unused, throttle): (Vec<_>, Option<Throttle>) = match kind {
            "none" => ([&sre[..], &aws].concat(), None),
            "sre" => {
                let th = Throttle::Sre {
                    k: self.number(&r.k, &k("k"), (0.0, true), 1e6, 2.0),
                    window: self.opt_positive_duration(
                        &r.window,
                        &k("window"),
                        120 * NANOS_PER_SEC,
                    ),
                };
                (aws.to_vec(), Some(th))
            }
            "aws_adaptive" => {
                let Throttle::AwsAdaptive {
                    beta,
                    scale,
                    smoothing,
                    bucket,
                    min_rate,
                } = AWS_ADAPTIVE
                else {
                    unreachable!()
                };
                let th = Throttle::AwsAdaptive {
                    beta: self.number(&r.beta, &k("beta"), (0.0, true), 1.0, beta),
                    scale: self.number(&r.scale, &k("scale"), (0.0, true), 1e6, scale),
                    smoothing: self.number(
                        &r.smoothing,
                        &k("smoothing"),
                        (0.0, true),
                        1.0,
                        smoothing,
                    ),
                    bucket: self.opt_positive_duration(&r.bucket, &k("bucket"), bucket),
                    min_rate: self.number(&r.min_rate, &k("min_rate"), (0.0, true), 1e9, min_rate),
                };
                (sre.to_vec(), Some(th))
            }
            _ => {
                self.choice(&r.kind, &k("kind"), &THROTTLE_KINDS, |_| None::<()>);
                return None;
            }
        };
        self.unused_fields(key, kind, &unused);
        throttle
    }

    fn backoff(&mut self, b: &Spanned<RawBackoff>, key: &str) -> Backoff {
        let raw = b.get_ref();
        let kind = raw.kind.get_ref().as_str();
        let names: Vec<&str> = BACKOFF_KINDS.iter().map(|(n, _)| *n).collect();
        if !names.contains(&kind) {
            self.choice(&raw.kind, &format!("{key}.kind"), &names, |_| None::<()>);
            return Backoff::None;
        }
        let k = |field: &str| format!("{key}.{field}");
        let unused = |cx: &mut Self, present: Option<std::ops::Range<usize>>, field: &str| {
            if let Some(span) = present {
                cx.conflict(
                    Some(span),
                    &k(field),
                    format!("is not used by kind = \"{kind}\""),
                );
            }
        };
        let base = match (&raw.base, kind) {
            (Some(v), _) => {
                let d = self.duration(v, &k("base"));
                if kind == "none" {
                    unused(self, Some(v.span()), "base");
                }
                d
            }
            (None, "none") => 0,
            (None, _) => {
                self.conflict_at(
                    &raw.kind,
                    &k("base"),
                    format!("kind = \"{kind}\" needs base, {DURATION_HELP}"),
                );
                0
            }
        };
        let cap = self.opt_duration(&raw.cap, &k("cap"));
        if let (Some(c), Some(span)) = (cap, &raw.cap) {
            if c < base && parse_duration(span.get_ref()).is_ok() {
                self.conflict_at(
                    span,
                    &k("cap"),
                    format!(
                        "must be at least base ({}), not {}",
                        format_duration(base),
                        format_duration(c)
                    ),
                );
            }
            if matches!(kind, "none" | "constant") {
                unused(self, Some(span.span()), "cap");
            }
        }
        let multiplier = match &raw.multiplier {
            Some(m) => {
                let x = *m.get_ref();
                if !(x.is_finite() && x >= 1.0) {
                    self.problem(
                        m,
                        &k("multiplier"),
                        format!(
                            "must be a finite number of at least 1, not {}",
                            show_number(x)
                        ),
                    );
                }
                if !matches!(
                    kind,
                    "exponential"
                        | "full_jitter"
                        | "equal_jitter"
                        | "proportional_jitter"
                        | "downward_jitter"
                ) {
                    unused(self, Some(m.span()), "multiplier");
                }
                x
            }
            None => 2.0,
        };
        let jitter = match &raw.jitter {
            Some(j) => {
                let x = *j.get_ref();
                if !(0.0..=1.0).contains(&x) {
                    self.problem(
                        j,
                        &k("jitter"),
                        format!("must be a fraction from 0 to 1, not {}", show_number(x)),
                    );
                }
                if !matches!(kind, "proportional_jitter" | "downward_jitter") {
                    unused(self, Some(j.span()), "jitter");
                }
                x
            }
            None if kind == "downward_jitter" => 0.25,
            None => 0.2,
        };
        let min = match &raw.min {
            Some(m) => {
                let d = self.duration(m, &k("min"));
                if kind != "full_jitter" {
                    unused(self, Some(m.span()), "min");
                } else if cap.is_some_and(|c| d > c) {
                    let cap = cap.unwrap_or_default();
                    self.conflict_at(
                        m,
                        &k("min"),
                        format!(
                            "must be at most cap ({}), not {}",
                            format_duration(cap),
                            format_duration(d)
                        ),
                    );
                }
                d
            }
            None => 0,
        };
        match kind {
            "none" => Backoff::None,
            "constant" => Backoff::Constant { base },
            "linear" => Backoff::Linear { base, cap },
            "exponential" => Backoff::Exponential {
                base,
                cap,
                multiplier,
            },
            "full_jitter" => Backoff::FullJitter {
                base,
                cap,
                multiplier,
                min,
            },
            "equal_jitter" => Backoff::EqualJitter {
                base,
                cap,
                multiplier,
            },
            "decorrelated_jitter" => Backoff::Decorrelated { base, cap },
            "decorrelated_jitter_v2" => Backoff::DecorrelatedV2 { base, cap },
            "downward_jitter" => Backoff::Downward {
                base,
                cap,
                multiplier,
                jitter,
            },
            _ => Backoff::Proportional {
                base,
                cap,
                multiplier,
                jitter,
            },
        }
    }

    /// A duration or a distribution of durations: `"200ms"` or
    /// `{ dist = "lognormal", median = "800ms", sigma = 0.5 }`.
    fn duration_dist(&mut self, v: &Spanned<toml::Value>, key: &str) -> Dist {
        self.dist(v, key, Unit::Duration)
    }

    /// A token count or a distribution of token counts.
    fn token_dist(&mut self, v: &Spanned<toml::Value>, key: &str) -> Dist {
        self.dist(v, key, Unit::Tokens)
    }

    fn dist(&mut self, v: &Spanned<toml::Value>, key: &str, unit: Unit) -> Dist {
        match self.try_dist(v.get_ref(), unit) {
            Ok(d) => d,
            Err(msg) => {
                self.problem(v, key, msg);
                Dist::Constant(0.0)
            }
        }
    }

    fn try_dist(&self, v: &toml::Value, unit: Unit) -> Result<Dist, String> {
        let table = match (v, unit) {
            (toml::Value::Table(t), _) => t,
            (toml::Value::String(s), Unit::Duration) => {
                return Ok(Dist::Constant(parse_duration(s)? as f64));
            }
            (toml::Value::Integer(_) | toml::Value::Float(_), Unit::Tokens) => {
                return Ok(Dist::Constant(unit.value(v, "value")?));
            }
            (toml::Value::Integer(_) | toml::Value::Float(_), Unit::Duration) => {
                return Err(format!(
                    "{}, or a table such as {}",
                    number_without_unit(v),
                    unit.example()
                ));
            }
            _ => {
                return Err(format!(
                    "invalid type: {}, expected {}, or a table such as {}",
                    toml_type(v),
                    unit.expected(),
                    unit.example()
                ));
            }
        };
        let kind = match table.get("dist") {
            Some(toml::Value::String(s)) => s.as_str(),
            _ => {
                return Err(format!(
                    "a distribution table needs dist = one of {}, e.g. {}",
                    DISTS.map(|d| format!("\"{d}\"")).join(", "),
                    unit.example()
                ));
            }
        };
        let fields: &[&str] = match kind {
            "constant" => &["value"],
            "uniform" => &["min", "max"],
            "exponential" => &["mean"],
            "lognormal" => &["median", "sigma"],
            "normal_abs" => &["mean", "sd"],
            "empirical" => &["values", "weights"],
            other => return Err(unknown_name("dist", other, &DISTS)),
        };
        for k in table.keys() {
            if k != "dist" && !fields.contains(&k.as_str()) {
                return Err(format!(
                    "dist = \"{kind}\" takes {}; \"{k}\" is not one of them",
                    fields.join(", ")
                ));
            }
        }
        let get = |name: &str| -> Result<f64, String> {
            let v = table
                .get(name)
                .ok_or_else(|| format!("dist = \"{kind}\" needs {}", fields.join(" and ")))?;
            // sigma is a plain number whatever the unit.
            if name == "sigma" {
                Unit::Tokens.value(v, name)
            } else {
                unit.value(v, name)
            }
        };
        if kind == "empirical" {
            let list = |name: &str, u: Unit| -> Result<Vec<f64>, String> {
                match table.get(name) {
                    None => Ok(Vec::new()),
                    Some(toml::Value::Array(items)) => {
                        items.iter().map(|v| u.value(v, name)).collect()
                    }
                    Some(_) => Err(format!(
                        "{name} must be a list, e.g. values = [200, 800, 3000]"
                    )),
                }
            };
            let values = list("values", unit)?;
            if values.is_empty() {
                return Err("dist = \"empirical\" needs values = [...] (one or more), and optionally weights = [...]".into());
            }
            // Weights are plain numbers whatever the unit.
            return Dist::empirical(values, list("weights", Unit::Tokens)?, unit.show());
        }
        let show = unit.show();
        match kind {
            "constant" => Ok(Dist::Constant(get("value")?)),
            "uniform" => Dist::uniform(get("min")?, get("max")?, show),
            "exponential" => Dist::exponential(get("mean")?, show),
            "lognormal" => Dist::lognormal(get("median")?, get("sigma")?, show),
            _ => Dist::normal_abs(get("mean")?, get("sd")?, show),
        }
    }
}

/// Longest scenario name, in bytes: a folder name may have 255 on the
/// common file systems, and a sweep shard's folder adds `.shard-K-of-N`,
/// at most 25 bytes (the report checks that its suffix fits).
pub const MAX_NAME_BYTES: usize = 230;

/// The characters a scenario name may have.
fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.".contains(c)
}

/// Why `name` cannot name a report folder (on Linux, macOS and Windows
/// alike, so that a scenario checks the same everywhere), if it cannot.
fn folder_name_problem(name: &str) -> Option<String> {
    const ALLOWED: &str = "use letters, digits, '-', '_' and '.'";
    let shown = super::trace::quote(name);
    if let Some(c) = name.chars().find(|&c| !name_char(c)) {
        return Some(format!(
            "{shown} cannot name a report folder: '{}' is not allowed; {ALLOWED}",
            c.escape_debug()
        ));
    }
    let (why, advice) = match name {
        "" => return Some(format!("{shown} cannot name a report folder; {ALLOWED}")),
        "." => ("it means the output folder itself", ALLOWED),
        ".." => ("it means the folder above the output folder", ALLOWED),
        _ if name.len() > MAX_NAME_BYTES => {
            return Some(format!(
                "must be at most {MAX_NAME_BYTES} characters (a folder name has at most 255 bytes, and `sweep --shard K/N` adds \".shard-K-of-N\" to it), not {}",
                name.len()
            ));
        }
        _ if name.ends_with('.') => (
            "Windows drops a final '.'",
            "end it with a letter, a digit, '-' or '_'",
        ),
        _ if windows_device(name) => (
            "Windows keeps CON, PRN, AUX, NUL, COM0 to COM9 and LPT0 to LPT9 for devices, in any case and before any '.'",
            "choose another name",
        ),
        _ => return None,
    };
    Some(format!(
        "{shown} cannot name a report folder: {why}; {advice}"
    ))
}

/// Whether Windows reserves `name` for a device: CON, PRN, AUX, NUL, COM0
/// to COM9 or LPT0 to LPT9, in any case, alone or before a '.'.
fn windows_device(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).to_ascii_lowercase();
    let numbered = stem.len() == 4
        && (stem.starts_with("com") || stem.starts_with("lpt"))
        && stem.as_bytes()[3].is_ascii_digit();
    numbered || matches!(stem.as_str(), "con" | "prn" | "aux" | "nul")
}

/// The name of a scenario that sets none, from its file name without the
/// extension, made a folder name as `name` must be: other characters
/// become '-', leading and trailing dots go, a Windows device name gets
/// "scenario-" before it, a long name is cut; nothing left is "scenario".
fn name_from_file(stem: &str) -> String {
    let safe: String = stem
        .chars()
        .map(|c| if name_char(c) { c } else { '-' })
        .collect();
    let mut name = match safe.trim_matches('.') {
        "" => "scenario".to_string(),
        s if windows_device(s) => format!("scenario-{s}"),
        s => s.to_string(),
    };
    // Only ASCII is left, so any length is a character boundary.
    name.truncate(MAX_NAME_BYTES);
    name.trim_end_matches('.').to_string()
}

/// Every model's name, the main model first, with an index to find one
/// by name.
struct ModelNames<'a> {
    names: Vec<&'a str>,
    /// The first model of each name.
    index: HashMap<&'a str, usize>,
}

impl<'a> ModelNames<'a> {
    fn new(names: Vec<&'a str>) -> Self {
        let mut index = HashMap::with_capacity(names.len());
        for (i, &n) in names.iter().enumerate() {
            index.entry(n).or_insert(i);
        }
        ModelNames { names, index }
    }

    /// What a fallback may name instead of `word`: the `[[model]]` names
    /// (the first [`MAX_MODELS`]; more are refused anyway), and the
    /// closest to `word` if one is close.
    fn hint(&self, word: &str) -> String {
        let known = &self.names[1..self.names.len().min(MAX_MODELS + 1)];
        if known.is_empty() {
            return "define it in a [[model]] table".to_string();
        }
        let listed: Vec<String> = known.iter().map(|m| format!("\"{m}\"")).collect();
        format!(
            "expected one of the [[model]] names {}{}",
            listed.join(", "),
            did_you_mean(word, known.iter().copied())
        )
    }
}

/// The workload kinds.
const KINDS: [&str; 4] = ["burst", "poisson", "closed", "trace"];

/// A key that only some workload kinds read: (name, its span if present,
/// the kinds that read it).
type KindKey<'a> = (&'a str, Option<std::ops::Range<usize>>, &'a [&'a str]);

const DISTS: [&str; 6] = [
    "constant",
    "uniform",
    "exponential",
    "lognormal",
    "normal_abs",
    "empirical",
];

#[derive(Clone, Copy)]
enum Unit {
    Duration,
    Tokens,
}

impl Unit {
    fn example(self) -> &'static str {
        match self {
            Unit::Duration => "{ dist = \"lognormal\", median = \"800ms\", sigma = 0.5 }",
            Unit::Tokens => "{ dist = \"lognormal\", median = 800, sigma = 0.6 }",
        }
    }

    /// What a value in this unit is, for "expected …".
    fn expected(self) -> &'static str {
        match self {
            Unit::Duration => DURATION_HELP,
            Unit::Tokens => "a number",
        }
    }

    /// How messages show a value in this unit: a duration (`"1500ms"`)
    /// for nanoseconds, a plain number for tokens.
    fn show(self) -> crate::model::dist::Show {
        match self {
            Unit::Duration => |ns| {
                if ns >= 0.0 {
                    format_duration(crate::time::nanos_from_f64(ns))
                } else {
                    show_number(ns)
                }
            },
            Unit::Tokens => show_number,
        }
    }

    /// A parameter value in this unit: nanoseconds for durations (from a
    /// duration string), a plain non-negative number otherwise.
    fn value(self, v: &toml::Value, name: &str) -> Result<f64, String> {
        let x = match (self, v) {
            (Unit::Duration, toml::Value::String(s)) => {
                parse_duration(s).map_err(|e| format!("{name}: {e}"))? as f64
            }
            (Unit::Duration, toml::Value::Integer(_) | toml::Value::Float(_)) => {
                return Err(format!("{name}: {}", number_without_unit(v)));
            }
            (Unit::Tokens, toml::Value::Integer(i)) => *i as f64,
            (Unit::Tokens, toml::Value::Float(f)) => *f,
            (_, v) => {
                return Err(format!(
                    "{name}: invalid type: {}, expected {}",
                    toml_type(v),
                    self.expected()
                ));
            }
        };
        if !x.is_finite() || x < 0.0 {
            return Err(format!(
                "{name} must be a finite number of at least 0, not {}",
                show_number(x)
            ));
        }
        if matches!(self, Unit::Tokens)
            && !matches!(name, "sigma" | "weights")
            && x > MAX_TOKENS_PER_REQUEST as f64
        {
            return Err(format!(
                "{name} must be at most {MAX_TOKENS_PER_REQUEST} tokens, not {}",
                show_number(x)
            ));
        }
        Ok(x)
    }
}

/// A number where a duration belongs, in the words of the duration keys
/// (`horizon = 600`).
fn number_without_unit(v: &toml::Value) -> String {
    match v {
        toml::Value::Float(x) => no_unit(show_number(*x)),
        v => no_unit(v),
    }
}
