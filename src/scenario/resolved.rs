//! The resolved scenario: every key written out with its effective value, so
//! a report says exactly what produced it and can be re-run as it is.

use super::{Latency, LimiterConfig, Scenario, ServerConfig, WorkloadKind};
use crate::model::dist::Dist;
use crate::model::limiter::{Algorithm, Limit};
use crate::model::server::ServerType;
use crate::policy::RetryOn;
use crate::policy::backoff::Backoff;
use crate::policy::guard::{Budget, Guards, MICRO, Throttle};
use crate::policy::hedge::HedgeDelay;
use crate::policy::strategy::ZeroRetryAfter;
use crate::policy::{Site, Strategy, preset};
use crate::pricing::Pricing;
use crate::time::{format_duration, nanos_from_f64};
use toml::{Table, Value};

fn dur(ns: u64) -> Value {
    Value::String(format_duration(ns))
}

fn table<const N: usize>(entries: [(&str, Value); N]) -> Table {
    entries
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// A token count: an integer when it is one.
fn count(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9e15 {
        Value::Integer(x as i64)
    } else {
        Value::Float(x)
    }
}

/// A distribution; durations are written as duration strings.
fn dist(d: &Dist, duration: bool) -> Value {
    let v = |x: f64| {
        if duration {
            dur(nanos_from_f64(x))
        } else {
            count(x)
        }
    };
    let t = match d {
        Dist::Constant(x) => return v(*x),
        Dist::Uniform { min, max } => table([
            ("dist", "uniform".into()),
            ("min", v(*min)),
            ("max", v(*max)),
        ]),
        Dist::Exponential { mean, .. } => {
            table([("dist", "exponential".into()), ("mean", v(*mean))])
        }
        Dist::LogNormal { median, sigma, .. } => table([
            ("dist", "lognormal".into()),
            ("median", v(*median)),
            ("sigma", Value::Float(*sigma)),
        ]),
        Dist::NormalAbs { mean, sd, .. } => table([
            ("dist", "normal_abs".into()),
            ("mean", v(*mean)),
            ("sd", v(*sd)),
        ]),
        Dist::Empirical {
            values, weights, ..
        } => table([
            ("dist", "empirical".into()),
            (
                "values",
                Value::Array(values.iter().map(|x| v(*x)).collect()),
            ),
            (
                "weights",
                Value::Array(weights.iter().map(|w| count(*w)).collect()),
            ),
        ]),
    };
    Value::Table(t)
}

fn backoff(b: &Backoff) -> Value {
    let mut t = table([("kind", b.kind().into())]);
    let mut put = |k: &str, v: Value| {
        t.insert(k.to_string(), v);
    };
    match *b {
        Backoff::None => {}
        Backoff::Constant { base } => put("base", dur(base)),
        Backoff::Linear { base, .. }
        | Backoff::Decorrelated { base, .. }
        | Backoff::DecorrelatedV2 { base, .. } => put("base", dur(base)),
        Backoff::FullJitter {
            base,
            multiplier,
            min,
            ..
        } => {
            put("base", dur(base));
            put("multiplier", Value::Float(multiplier));
            if min > 0 {
                put("min", dur(min));
            }
        }
        Backoff::Exponential {
            base, multiplier, ..
        }
        | Backoff::EqualJitter {
            base, multiplier, ..
        }
        | Backoff::AfterImmediate {
            base, multiplier, ..
        } => {
            put("base", dur(base));
            put("multiplier", Value::Float(multiplier));
        }
        Backoff::Proportional {
            base,
            multiplier,
            jitter,
            ..
        }
        | Backoff::Downward {
            base,
            multiplier,
            jitter,
            ..
        }
        | Backoff::Additive {
            base,
            multiplier,
            jitter,
            ..
        } => {
            put("base", dur(base));
            put("multiplier", Value::Float(multiplier));
            put("jitter", Value::Float(jitter));
        }
    }
    if let Some(cap) = b.cap() {
        t.insert("cap".into(), dur(cap));
    }
    Value::Table(t)
}

/// Tokens held in millionths, as written in a scenario file.
fn tokens(micro: i64) -> Value {
    Value::Float(micro as f64 / MICRO as f64)
}

/// A strategy's `budget`, `breaker` and `throttle` tables; `{ kind =
/// "none" }` for a guard of its preset's that it dropped.
fn guards(g: &Guards, preset: Guards, t: &mut Table) {
    let none = || Value::Table(table([("kind", "none".into())]));
    if g.budget.is_none() && preset.budget.is_some() {
        t.insert("budget".into(), none());
    }
    if g.breaker.is_none() && preset.breaker.is_some() {
        t.insert("breaker".into(), none());
    }
    if g.throttle.is_none() && preset.throttle.is_some() {
        t.insert("throttle".into(), none());
    }
    if let Some(b) = &g.budget {
        let v = match *b {
            Budget::AwsQuota {
                capacity,
                cost,
                timeout_cost,
                success_increment,
            } => table([
                ("kind", b.name().into()),
                ("capacity", Value::Integer(capacity)),
                ("cost", Value::Integer(cost)),
                ("timeout_cost", Value::Integer(timeout_cost)),
                ("success_increment", Value::Integer(success_increment)),
            ]),
            Budget::Grpc {
                max_tokens,
                token_ratio,
            } => table([
                ("kind", b.name().into()),
                ("max_tokens", tokens(max_tokens)),
                ("token_ratio", tokens(token_ratio)),
            ]),
            Budget::Percent {
                percent,
                min_per_s,
                ttl,
            } => table([
                ("kind", b.name().into()),
                ("percent", tokens(percent)),
                ("min_per_s", Value::Float(min_per_s)),
                ("ttl", dur(ttl)),
            ]),
            Budget::ClientBucket {
                size,
                deposit,
                cost,
                initial,
                on_success,
            } => table([
                ("kind", b.name().into()),
                ("size", tokens(size)),
                ("deposit", tokens(deposit)),
                ("cost", tokens(cost)),
                ("initial", tokens(initial)),
                (
                    "deposit_on",
                    if on_success { "success" } else { "first_try" }.into(),
                ),
            ]),
        };
        t.insert("budget".into(), Value::Table(v));
    }
    if let Some(b) = &g.breaker {
        let v = table([
            ("failure_ratio", Value::Float(b.failure_ratio)),
            ("window", dur(b.window)),
            ("min_volume", Value::Integer(i64::from(b.min_volume))),
            ("open_for", dur(b.open_for)),
            ("probes", Value::Integer(i64::from(b.probes))),
            ("scope", b.scope.name().into()),
        ]);
        let mut v = v;
        if b.failure_only {
            v.insert("failure_only".into(), Value::Boolean(true));
        }
        t.insert("breaker".into(), Value::Table(v));
    }
    if let Some(th) = &g.throttle {
        let v = match *th {
            Throttle::Sre { k, window } => table([
                ("kind", th.name().into()),
                ("k", Value::Float(k)),
                ("window", dur(window)),
            ]),
            Throttle::AwsAdaptive {
                beta,
                scale,
                smoothing,
                bucket,
                min_rate,
            } => table([
                ("kind", th.name().into()),
                ("beta", Value::Float(beta)),
                ("scale", Value::Float(scale)),
                ("smoothing", Value::Float(smoothing)),
                ("bucket", dur(bucket)),
                ("min_rate", Value::Float(min_rate)),
            ]),
        };
        t.insert("throttle".into(), Value::Table(v));
    }
}

/// The trace file a resolved scenario refers to: the copy of the trace
/// written next to it in the report folder.
pub const TRACE_COPY: &str = "trace.csv";

fn limiter(l: &LimiterConfig) -> Value {
    let mut t = Table::new();
    let names = [
        ("requests_per_minute", "request_burst"),
        ("tokens_per_minute", "token_burst"),
        ("input_tokens_per_minute", "input_token_burst"),
        ("output_tokens_per_minute", "output_token_burst"),
    ];
    for ((rate_key, burst_key), limit) in names.into_iter().zip(l.limits()) {
        if let Some((rate, burst)) = limit {
            t.insert(rate_key.into(), Value::Float(rate));
            if !l.quantized && !l.algorithm.windowed() {
                t.insert(burst_key.into(), Value::Integer(burst as i64));
            }
        }
    }
    if l.algorithm == Algorithm::TokenBucket {
        t.insert("quantized".into(), Value::Boolean(l.quantized));
    }
    if l.tokens.is_some() || l.output_tokens.is_some() {
        t.insert("output_charge".into(), l.output_charge.name().into());
    }
    t.insert("retry_after".into(), l.retry_after.name().into());
    // The keys of the other algorithms and of per-limit Retry-After only
    // where set, so that token-bucket scenarios read back as before.
    if l.algorithm != Algorithm::TokenBucket {
        t.insert("algorithm".into(), l.algorithm.name().into());
    }
    if l.algorithm.windowed() {
        t.insert("window".into(), Value::String(format_duration(l.window)));
    }
    if l.algorithm == Algorithm::LeakyQueue {
        t.insert("nodelay".into(), Value::Boolean(l.nodelay));
        t.insert(
            "limit_req_status".into(),
            Value::Integer(i64::from(l.queue_status)),
        );
    }
    if let Some(n) = l.max_in_flight {
        t.insert("max_in_flight".into(), Value::Integer(i64::from(n)));
    }
    for (limit, mode) in Limit::ALL.into_iter().zip(l.retry_after_by_limit) {
        if let Some(mode) = mode {
            let key = format!("retry_after_{}", limit.name());
            t.insert(key, mode.name().into());
        }
    }
    Value::Table(t)
}

fn server(s: &ServerConfig) -> Value {
    let mut t = Table::new();
    if s.kind == ServerType::Occ {
        t.insert("kind".into(), s.kind.name().into());
        t.insert(
            "cancel_on_disconnect".into(),
            Value::Boolean(s.cancel_on_disconnect),
        );
        return Value::Table(t);
    }
    if let Some(c) = s.concurrency {
        t.insert("concurrency".into(), Value::Integer(i64::from(c)));
    }
    if let Some(q) = s.queue_limit {
        t.insert("queue_limit".into(), Value::Integer(q as i64));
    }
    match &s.latency {
        Latency::Fixed(d) => {
            t.insert("latency".into(), dist(d, true));
        }
        Latency::Streaming { ttft, tokens_per_s } => {
            t.insert("ttft".into(), dist(ttft, true));
            t.insert("decode_tokens_per_s".into(), Value::Float(*tokens_per_s));
        }
    }
    if s.concurrency.is_some() {
        t.insert("slowdown".into(), Value::Float(s.slowdown));
    }
    let mut errors = table([
        ("500", Value::Float(s.errors.http_500)),
        ("503", Value::Float(s.errors.http_503)),
        ("529", Value::Float(s.errors.http_529)),
    ]);
    if let Some(ra) = s.errors.retry_after {
        errors.insert("retry_after".into(), dur(ra));
    }
    t.insert("errors".into(), Value::Table(errors));
    if !s.outages.is_empty() {
        let outages = s
            .outages
            .iter()
            .map(|o| {
                let mut t = table([
                    ("start", dur(o.start)),
                    ("duration", dur(o.duration)),
                    ("response", if o.silent { "none" } else { "503" }.into()),
                ]);
                if o.error_rate < 1.0 {
                    t.insert("error_rate".into(), Value::Float(o.error_rate));
                }
                Value::Table(t)
            })
            .collect();
        t.insert("outages".into(), Value::Array(outages));
    }
    if !s.capacity_cuts.is_empty() {
        let cuts = s
            .capacity_cuts
            .iter()
            .map(|w| {
                Value::Table(table([
                    ("start", dur(w.start)),
                    ("duration", dur(w.duration)),
                    ("cut", Value::Float(w.cut)),
                ]))
            })
            .collect();
        t.insert("capacity_cuts".into(), Value::Array(cuts));
    }
    t.insert(
        "cancel_on_disconnect".into(),
        Value::Boolean(s.cancel_on_disconnect),
    );
    Value::Table(t)
}

fn pricing(p: &Pricing) -> Value {
    let mut t = Table::new();
    if let Some(m) = &p.model {
        t.insert("model".into(), m.clone().into());
    }
    t.insert("input_per_mtok".into(), Value::Float(p.input_per_mtok));
    t.insert("output_per_mtok".into(), Value::Float(p.output_per_mtok));
    Value::Table(t)
}

impl Scenario {
    /// The keys of one retry loop: a `[[strategy]]` table (`top`), or a
    /// table of its `layers`, whose preset is written only when it is a
    /// preset of one layer.
    fn layer_table(&self, st: &Strategy, top: bool) -> Table {
        let mut t = table([("name", st.name.clone().into())]);
        let preset = st
            .preset
            .and_then(preset::find)
            .filter(|p| top || !p.is_stack());
        if let Some(p) = preset {
            t.insert("preset".into(), p.name.into());
        }
        t.extend(table([
            ("backoff", backoff(&st.backoff)),
            ("max_attempts", Value::Integer(i64::from(st.max_attempts))),
        ]));
        if let Some(d) = st.deadline {
            t.insert("deadline".into(), dur(d));
        }
        if let Some(d) = st.timeout {
            t.insert("timeout".into(), dur(d));
        }
        let retry_on = st.retry_on.names().into_iter().map(Value::from).collect();
        t.insert("retry_on".into(), Value::Array(retry_on));
        t.insert(
            "honor_retry_after".into(),
            Value::Boolean(st.honor_retry_after),
        );
        if let Some(m) = st.max_retry_after {
            t.insert("max_retry_after".into(), dur(m));
            t.insert(
                "above_max_retry_after".into(),
                st.above_max_retry_after.name().into(),
            );
        }
        if st.retry_after_on != RetryOn::RATE_LIMITED {
            let on = st.retry_after_on.names().into_iter().map(Value::from);
            t.insert("retry_after_on".into(), Value::Array(on.collect()));
        }
        if st.zero_retry_after != ZeroRetryAfter::Backoff {
            t.insert("zero_retry_after".into(), st.zero_retry_after.name().into());
        }
        if let Some(f) = &st.fallback {
            let names = self.model_names();
            let on = f.on.names().into_iter().map(Value::from).collect();
            t.insert(
                "fallback".into(),
                Value::Table(table([
                    ("model", names[f.model].into()),
                    ("on", Value::Array(on)),
                ])),
            );
        }
        if st.at != Site::Client {
            t.insert("at".into(), st.at.name().into());
        }
        let preset_guards = preset.map(|p| p.strategy().guards);
        guards(&st.guards, preset_guards.unwrap_or_default(), &mut t);
        if st.timeout_multiplier != 1.0 {
            t.insert(
                "timeout_multiplier".into(),
                Value::Float(st.timeout_multiplier),
            );
        }
        if let Some(m) = st.max_timeout {
            t.insert("max_timeout".into(), dur(m));
        }
        if !st.timeouts.is_empty() {
            let list = st.timeouts.iter().map(|&d| dur(d)).collect();
            t.insert("timeouts".into(), Value::Array(list));
        }
        t
    }

    /// The scenario as TOML with every default filled in. A trace is
    /// referred to as [`TRACE_COPY`], the copy a report keeps beside it.
    pub fn to_toml(&self) -> String {
        let mut root = table([
            ("name", self.name.clone().into()),
            ("description", self.description.clone().into()),
            ("seed", Value::Integer(self.seed as i64)),
            ("replications", Value::Integer(i64::from(self.replications))),
            ("horizon", dur(self.horizon)),
        ]);

        let w = &self.workload;
        let mut workload = table([
            ("kind", w.kind.name().into()),
            ("clients", Value::Integer(i64::from(w.clients))),
        ]);
        match &w.kind {
            WorkloadKind::Burst { spread } => {
                workload.insert("spread".into(), dur(*spread));
            }
            WorkloadKind::Poisson {
                rate_per_s,
                duration,
            } => {
                workload.insert("rate_per_s".into(), Value::Float(*rate_per_s));
                workload.insert("duration".into(), dur(*duration));
            }
            WorkloadKind::Closed {
                requests_per_client,
                think_time,
                spread,
            } => {
                workload.insert(
                    "requests_per_client".into(),
                    Value::Integer(i64::from(*requests_per_client)),
                );
                workload.insert("think_time".into(), dist(think_time, true));
                workload.insert("spread".into(), dur(*spread));
            }
            WorkloadKind::Trace { .. } => {
                workload.insert("file".into(), TRACE_COPY.into());
            }
        }
        let mut tokens = Table::new();
        if !matches!(w.kind, WorkloadKind::Trace { .. }) {
            tokens.insert("input".into(), dist(&w.input_tokens, false));
            tokens.insert("output".into(), dist(&w.output_tokens, false));
        }
        if let Some(m) = w.max_tokens {
            tokens.insert("max_tokens".into(), Value::Integer(m as i64));
        }
        workload.insert("tokens".into(), Value::Table(tokens));
        root.insert("workload".into(), Value::Table(workload));

        root.insert("limiter".into(), limiter(&self.limiter));

        root.insert(
            "network".into(),
            Value::Table(table([("one_way", dist(&self.network_one_way, true))])),
        );

        root.insert("server".into(), server(&self.server));

        let mut client = Table::new();
        if let Some(t) = self.client_timeout {
            client.insert("timeout".into(), dur(t));
        }
        if let Some(p) = &self.client_processing {
            client.insert("processing_time".into(), dist(&p.time, true));
            client.insert("processes".into(), Value::Integer(i64::from(p.processes)));
        }
        root.insert("client".into(), Value::Table(client));

        root.insert("pricing".into(), pricing(&self.pricing));

        let mut report = table([
            ("bucket", dur(self.report.bucket)),
            ("peak_window", dur(self.report.peak_window)),
        ]);
        if let Some(r) = &self.report.recovery {
            report.insert(
                "recovery".into(),
                Value::Table(table([
                    ("after", dur(r.after)),
                    ("within", dur(r.within)),
                    ("window", dur(r.window)),
                    ("goodput", Value::Float(r.goodput)),
                ])),
            );
        }
        root.insert("report".into(), Value::Table(report));

        let strategies = self
            .strategies
            .iter()
            .map(|st| {
                let mut t = if st.inner.is_empty() {
                    self.layer_table(st, true)
                } else {
                    let layers = st
                        .layers()
                        .map(|l| Value::Table(self.layer_table(l, false)))
                        .collect();
                    table([
                        ("name", st.name.clone().into()),
                        ("layers", Value::Array(layers)),
                    ])
                };
                // The prompt's growth is the strategy's, whatever its layers.
                let g = st.input_growth;
                if !g.is_off() {
                    t.insert("input_growth".into(), Value::Integer(g.per_retry as i64));
                    t.insert("input_growth_factor".into(), Value::Float(g.factor));
                    if let Some(cap) = g.cap {
                        t.insert("max_input_tokens".into(), Value::Integer(cap as i64));
                    }
                }
                if let Some(h) = &st.hedge {
                    let mut ht = match h.delay {
                        HedgeDelay::Fixed(d) => table([("delay", dur(d))]),
                        HedgeDelay::Percentile(p) => table([("percentile", Value::Float(p))]),
                    };
                    ht.extend(table([
                        ("max_copies", Value::Integer(i64::from(h.max_copies))),
                        ("cancel", Value::Boolean(h.cancel)),
                    ]));
                    if let Some(b) = h.budget {
                        ht.insert("budget".into(), Value::Float(b));
                    }
                    t.insert("hedge".into(), Value::Table(ht));
                }
                Value::Table(t)
            })
            .collect();
        root.insert("strategy".into(), Value::Array(strategies));
        if !self.models.is_empty() {
            let models = self
                .models
                .iter()
                .map(|m| {
                    Value::Table(table([
                        ("name", m.name.clone().into()),
                        ("pricing", pricing(&m.pricing)),
                        ("limiter", limiter(&m.limiter)),
                        ("server", server(&m.server)),
                    ]))
                })
                .collect();
            root.insert("model".into(), Value::Array(models));
        }

        let mut body = toml::to_string(&root).expect("a TOML table always serialises");
        if !body.ends_with('\n') {
            body.push('\n');
        }
        // Which price table named the models' prices, when it is not the
        // built-in one (with it, the file is as it always was).
        let table = crate::pricing::in_force();
        let priced = std::iter::once(&self.pricing)
            .chain(self.models.iter().map(|m| &m.pricing))
            .any(|p| p.model.as_deref().is_some_and(|m| table.find(m).is_some()));
        let prices = match &table.file {
            Some(_) if priced => format!("# Model prices from {}.\n", table.describe()),
            _ => String::new(),
        };
        format!(
            "# Resolved by backsim {}: every key with its effective value.\n{prices}{body}",
            env!("CARGO_PKG_VERSION")
        )
    }
}
