//! The resolved scenario: every key written out with its effective value, so
//! a report says exactly what produced it and can be re-run as it is.

use super::{Scenario, WorkloadKind};
use crate::model::dist::Dist;
use crate::policy::backoff::Backoff;
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
        Backoff::Exponential {
            base, multiplier, ..
        }
        | Backoff::FullJitter {
            base, multiplier, ..
        }
        | Backoff::EqualJitter {
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

impl Scenario {
    /// The scenario as TOML with every default filled in.
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
        }
        let mut tokens = table([
            ("input", dist(&w.input_tokens, false)),
            ("output", dist(&w.output_tokens, false)),
        ]);
        if let Some(m) = w.max_tokens {
            tokens.insert("max_tokens".into(), Value::Integer(m as i64));
        }
        workload.insert("tokens".into(), Value::Table(tokens));
        root.insert("workload".into(), Value::Table(workload));

        let mut limiter = Table::new();
        if let Some((rate, burst)) = self.limiter.requests {
            limiter.insert("requests_per_minute".into(), Value::Float(rate));
            limiter.insert("request_burst".into(), Value::Integer(burst as i64));
        }
        if let Some((rate, burst)) = self.limiter.tokens {
            limiter.insert("tokens_per_minute".into(), Value::Float(rate));
            limiter.insert("token_burst".into(), Value::Integer(burst as i64));
        }
        limiter.insert("retry_after".into(), self.limiter.retry_after.name().into());
        root.insert("limiter".into(), Value::Table(limiter));

        root.insert(
            "network".into(),
            Value::Table(table([("one_way", dist(&self.network_one_way, true))])),
        );

        let s = &self.server;
        let mut server = Table::new();
        if let Some(c) = s.concurrency {
            server.insert("concurrency".into(), Value::Integer(i64::from(c)));
        }
        if let Some(q) = s.queue_limit {
            server.insert("queue_limit".into(), Value::Integer(q as i64));
        }
        server.insert("latency".into(), dist(&s.latency, true));
        server.insert("error_rate".into(), Value::Float(s.error_rate));
        if !s.outages.is_empty() {
            let outages = s
                .outages
                .iter()
                .map(|o| {
                    Value::Table(table([
                        ("start", dur(o.start)),
                        ("duration", dur(o.duration)),
                    ]))
                })
                .collect();
            server.insert("outages".into(), Value::Array(outages));
        }
        root.insert("server".into(), Value::Table(server));

        let mut client = Table::new();
        if let Some(t) = self.client_timeout {
            client.insert("timeout".into(), dur(t));
        }
        root.insert("client".into(), Value::Table(client));

        let mut pricing = Table::new();
        if let Some(m) = &self.pricing.model {
            pricing.insert("model".into(), m.clone().into());
        }
        pricing.insert(
            "input_per_mtok".into(),
            Value::Float(self.pricing.input_per_mtok),
        );
        pricing.insert(
            "output_per_mtok".into(),
            Value::Float(self.pricing.output_per_mtok),
        );
        root.insert("pricing".into(), Value::Table(pricing));

        root.insert(
            "report".into(),
            Value::Table(table([
                ("bucket", dur(self.report.bucket)),
                ("peak_window", dur(self.report.peak_window)),
            ])),
        );

        let strategies = self
            .strategies
            .iter()
            .map(|st| {
                let mut t = table([
                    ("name", st.name.clone().into()),
                    ("backoff", backoff(&st.backoff)),
                    ("max_attempts", Value::Integer(i64::from(st.max_attempts))),
                ]);
                if let Some(d) = st.deadline {
                    t.insert("deadline".into(), dur(d));
                }
                let retry_on = st.retry_on.names().into_iter().map(Value::from).collect();
                t.insert("retry_on".into(), Value::Array(retry_on));
                t.insert(
                    "honor_retry_after".into(),
                    Value::Boolean(st.honor_retry_after),
                );
                if let Some(m) = st.max_retry_after {
                    t.insert("max_retry_after".into(), dur(m));
                }
                Value::Table(t)
            })
            .collect();
        root.insert("strategy".into(), Value::Array(strategies));

        let mut body = toml::to_string(&root).expect("a TOML table always serialises");
        if !body.ends_with('\n') {
            body.push('\n');
        }
        format!(
            "# Resolved by backsim {}: every key with its effective value.\n{body}",
            env!("CARGO_PKG_VERSION")
        )
    }
}
