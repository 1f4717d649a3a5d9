//! The scenario file as written: serde types that mirror the TOML, with
//! spans on every value that needs checking. Unknown keys are errors
//! (`deny_unknown_fields`); types are checked by serde, ranges and units by
//! [`super::resolve`].

use crate::diagnostic::show_number;
use crate::time::DURATION_HELP;
use serde::{Deserialize, Deserializer, de};
use std::fmt;
use toml::Spanned;

type S<T> = Spanned<T>;

/// A duration as written: a string with a unit (`"250ms"`), parsed by the
/// validator. Anything else is refused here, a bare number with the advice
/// that it lacks a unit (`horizon = 600` is the commonest slip).
#[derive(Debug, Clone, PartialEq)]
pub struct Duration(pub String);

impl std::ops::Deref for Duration {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text;
        impl de::Visitor<'_> for Text {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(DURATION_HELP)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Duration, E> {
                Ok(Duration(s.to_string()))
            }
            fn visit_i64<E: de::Error>(self, x: i64) -> Result<Duration, E> {
                Err(E::custom(no_unit(x)))
            }
            fn visit_u64<E: de::Error>(self, x: u64) -> Result<Duration, E> {
                Err(E::custom(no_unit(x)))
            }
            fn visit_f64<E: de::Error>(self, x: f64) -> Result<Duration, E> {
                Err(E::custom(no_unit(show_number(x))))
            }
        }
        d.deserialize_any(Text)
    }
}

/// The message for a number where a duration belongs: `the number 600 has
/// no unit; expected …`.
pub fn no_unit(number: impl fmt::Display) -> String {
    format!("the number {number} has no unit; expected {DURATION_HELP}")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: Option<S<String>>,
    pub description: Option<String>,
    pub seed: Option<S<i64>>,
    pub replications: Option<S<i64>>,
    pub horizon: Option<S<Duration>>,
    #[serde(default)]
    pub workload: RawWorkload,
    #[serde(default)]
    pub limiter: RawLimiter,
    #[serde(default)]
    pub network: RawNetwork,
    #[serde(default)]
    pub server: RawServer,
    #[serde(default)]
    pub client: RawClient,
    #[serde(default)]
    pub pricing: RawPricing,
    #[serde(default)]
    pub report: RawReport,
    #[serde(default)]
    pub strategy: Vec<S<RawStrategy>>,
    #[serde(default)]
    pub model: Vec<S<RawModel>>,
    /// Checked by [`super::sweep`], which needs the positions of its keys.
    pub sweep: Option<toml::Value>,
    /// Checked by [`super::tune`], likewise.
    pub tune: Option<toml::Value>,
}

/// A `[[model]]` table: another model to fall back to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    pub name: S<String>,
    #[serde(default)]
    pub pricing: RawPricing,
    #[serde(default)]
    pub limiter: RawLimiter,
    /// Absent: the same servers as the main model (a copy, not shared).
    pub server: Option<RawServer>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkload {
    pub kind: Option<S<String>>,
    pub clients: Option<S<i64>>,
    pub spread: Option<S<Duration>>,
    pub rate_per_s: Option<S<f64>>,
    pub duration: Option<S<Duration>>,
    pub requests_per_client: Option<S<i64>>,
    pub think_time: Option<S<toml::Value>>,
    pub file: Option<S<String>>,
    #[serde(default)]
    pub tokens: RawTokens,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTokens {
    pub input: Option<S<toml::Value>>,
    pub output: Option<S<toml::Value>>,
    pub max_tokens: Option<S<i64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimiter {
    pub requests_per_minute: Option<S<f64>>,
    pub request_burst: Option<S<i64>>,
    pub tokens_per_minute: Option<S<f64>>,
    pub token_burst: Option<S<i64>>,
    pub input_tokens_per_minute: Option<S<f64>>,
    pub input_token_burst: Option<S<i64>>,
    pub output_tokens_per_minute: Option<S<f64>>,
    pub output_token_burst: Option<S<i64>>,
    pub quantized: Option<S<bool>>,
    pub output_charge: Option<S<String>>,
    pub retry_after: Option<S<String>>,
    pub algorithm: Option<S<String>>,
    pub window: Option<S<Duration>>,
    pub nodelay: Option<S<bool>>,
    pub limit_req_status: Option<S<i64>>,
    pub max_in_flight: Option<S<i64>>,
    pub retry_after_requests: Option<S<String>>,
    pub retry_after_tokens: Option<S<String>>,
    pub retry_after_input_tokens: Option<S<String>>,
    pub retry_after_output_tokens: Option<S<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    pub one_way: Option<S<toml::Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    /// "queue" (the default) or "occ".
    pub kind: Option<S<String>>,
    pub concurrency: Option<S<i64>>,
    pub queue_limit: Option<S<i64>>,
    pub latency: Option<S<toml::Value>>,
    pub ttft: Option<S<toml::Value>>,
    pub decode_tokens_per_s: Option<S<f64>>,
    pub slowdown: Option<S<f64>>,
    pub error_rate: Option<S<f64>>,
    pub errors: Option<S<RawErrors>>,
    #[serde(default)]
    pub outages: Vec<S<RawOutage>>,
    #[serde(default)]
    pub capacity_cuts: Vec<S<RawCapacityCut>>,
    pub cancel_on_disconnect: Option<bool>,
}

/// `errors = { "500" = 0.01, "503" = 0.0, "529" = 0.02 }`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawErrors {
    #[serde(rename = "500")]
    pub http_500: Option<S<f64>>,
    #[serde(rename = "503")]
    pub http_503: Option<S<f64>>,
    #[serde(rename = "529")]
    pub http_529: Option<S<f64>>,
    /// The `Retry-After` every 5xx answer carries.
    pub retry_after: Option<S<Duration>>,
}

/// `[[server.capacity_cuts]]`: start, duration, cut (0 to 1).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCapacityCut {
    pub start: S<Duration>,
    pub duration: S<Duration>,
    pub cut: S<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutage {
    pub start: S<Duration>,
    pub duration: S<Duration>,
    pub response: Option<S<String>>,
    pub error_rate: Option<S<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClient {
    pub timeout: Option<S<Duration>>,
    pub processing_time: Option<S<toml::Value>>,
    pub processes: Option<S<i64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPricing {
    pub model: Option<S<String>>,
    pub input_per_mtok: Option<S<f64>>,
    pub output_per_mtok: Option<S<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReport {
    pub bucket: Option<S<Duration>>,
    pub peak_window: Option<S<Duration>>,
    pub recovery: Option<S<RawRecovery>>,
}

/// `[report.recovery]`: when a run counts as recovered from a trigger.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRecovery {
    pub after: Option<S<Duration>>,
    pub within: Option<S<Duration>>,
    pub window: Option<S<Duration>>,
    pub goodput: Option<S<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStrategy {
    /// Required unless `preset` is given (then the preset's name).
    pub name: Option<S<String>>,
    pub preset: Option<S<String>>,
    /// Required unless `preset` is given.
    pub backoff: Option<S<RawBackoff>>,
    pub max_attempts: Option<S<i64>>,
    pub deadline: Option<S<Duration>>,
    pub timeout: Option<S<Duration>>,
    pub retry_on: Option<S<Vec<S<String>>>>,
    pub honor_retry_after: Option<bool>,
    pub max_retry_after: Option<S<Duration>>,
    pub above_max_retry_after: Option<S<String>>,
    pub fallback: Option<S<RawFallback>>,
    pub budget: Option<S<RawBudget>>,
    pub breaker: Option<S<RawBreaker>>,
    pub throttle: Option<S<RawThrottle>>,
    /// Retry layers, outermost first, each a table of the keys above (or
    /// a preset); the strategy's own keys are then only its name.
    pub layers: Option<S<Vec<S<RawStrategy>>>>,
    /// "client" (the default) or "gateway": where the layer runs.
    pub at: Option<S<String>>,
    pub input_growth: Option<S<i64>>,
    pub input_growth_factor: Option<S<f64>>,
    pub max_input_tokens: Option<S<i64>>,
    pub timeout_multiplier: Option<S<f64>>,
    pub max_timeout: Option<S<Duration>>,
    pub timeouts: Option<S<Vec<S<Duration>>>>,
    pub hedge: Option<S<RawHedge>>,
    /// Failures whose `Retry-After` is honoured (default `["429"]`).
    pub retry_after_on: Option<S<Vec<S<String>>>>,
    /// What a zero `Retry-After` means: "backoff" or "at_once".
    pub zero_retry_after: Option<S<String>>,
}

/// `[strategy.hedge]`: `delay` or `percentile`, `max_copies`, `cancel`,
/// `budget`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHedge {
    pub delay: Option<S<Duration>>,
    pub percentile: Option<S<f64>>,
    pub max_copies: Option<S<i64>>,
    pub cancel: Option<bool>,
    pub budget: Option<S<f64>>,
}

/// `budget = { kind = "aws_quota" | "grpc" | "percent" | "client_bucket", … }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBudget {
    pub kind: S<String>,
    // aws_quota
    pub capacity: Option<S<i64>>,
    pub cost: Option<S<f64>>,
    pub timeout_cost: Option<S<i64>>,
    pub success_increment: Option<S<i64>>,
    // grpc
    pub max_tokens: Option<S<f64>>,
    pub token_ratio: Option<S<f64>>,
    // percent
    pub percent: Option<S<f64>>,
    pub min_per_s: Option<S<f64>>,
    pub ttl: Option<S<Duration>>,
    // client_bucket
    pub size: Option<S<f64>>,
    pub deposit: Option<S<f64>>,
    pub initial: Option<S<f64>>,
    pub deposit_on: Option<S<String>>,
}

/// `breaker = { failure_ratio, window, min_volume, open_for, probes, scope }`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBreaker {
    /// "ratio" (the default) or "none" (no breaker, e.g. to drop a preset's).
    pub kind: Option<S<String>>,
    pub failure_ratio: Option<S<f64>>,
    pub window: Option<S<Duration>>,
    pub min_volume: Option<S<i64>>,
    pub open_for: Option<S<Duration>>,
    pub probes: Option<S<i64>>,
    pub scope: Option<S<String>>,
    /// Only a failure opens it (Polly); default false.
    pub failure_only: Option<S<bool>>,
}

/// `throttle = { kind = "sre" | "aws_adaptive", … }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThrottle {
    pub kind: S<String>,
    // sre
    pub k: Option<S<f64>>,
    pub window: Option<S<Duration>>,
    // aws_adaptive
    pub beta: Option<S<f64>>,
    pub scale: Option<S<f64>>,
    pub smoothing: Option<S<f64>>,
    pub bucket: Option<S<Duration>>,
    pub min_rate: Option<S<f64>>,
}

/// `fallback = { model = "…", on = ["429", "5xx"] }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFallback {
    pub model: S<String>,
    pub on: Option<S<Vec<S<String>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBackoff {
    pub kind: S<String>,
    pub base: Option<S<Duration>>,
    pub cap: Option<S<Duration>>,
    pub multiplier: Option<S<f64>>,
    pub jitter: Option<S<f64>>,
    pub min: Option<S<Duration>>,
}
