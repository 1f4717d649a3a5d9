//! Presets: the retry behaviour real client libraries ship with, as
//! strategies. A scenario starts from one with `preset = "openai-python"`
//! and may override any field.
//!
//! Each preset names the library version and the source file its numbers
//! were read from. Every library's failures map onto backsim's 429, 5xx
//! and timeouts as its documentation says; where the model cannot express
//! a detail (for example an attempt timeout inside a total timeout) the
//! preset's `notes` say what was left out.
//!
//! Each preset is one entry of [`PRESETS`]: its name, its texts for
//! `backsim list`, and the function that sets its numbers.

use super::backoff::Backoff;
use super::guard::{Breaker, BreakerScope, Budget, MICRO, Throttle};
use super::{AboveMax, RetryOn, Strategy};
use crate::time::NANOS_PER_SEC as S;

const MS: u64 = 1_000_000;

/// A client library's retry defaults.
#[derive(Debug, Clone)]
pub struct Preset {
    /// The name used in `preset = "…"`.
    pub name: &'static str,
    /// Library and the versions the numbers hold for.
    pub library: &'static str,
    /// Where in the library's repository the numbers come from.
    pub source: &'static str,
    /// The behaviour in one line.
    pub summary: &'static str,
    /// What the model leaves out or assumes.
    pub notes: &'static str,
    /// Sets the library's settings on a strategy at the defaults.
    configure: fn(&mut Strategy),
}

/// Presets are told apart by their names, which are unique.
impl PartialEq for Preset {
    fn eq(&self, other: &Preset) -> bool {
        self.name == other.name
    }
}

/// Every preset, in the order `backsim list` shows them.
pub const PRESETS: [Preset; 11] = [
    Preset {
        name: "openai-python",
        library: "openai-python up to 2.51, with the loop-based client (2.x and late 1.x)",
        source: "openai/openai-python: src/openai/_base_client.py, src/openai/_constants.py",
        summary: "3 attempts; min(0.5s * 2^n, 8s) * (1 - 0.25 U); Retry-After honoured if 0 < ra <= 60s, else backoff",
        notes: "retries 408, 409, 429, >= 500 and timeouts; its own default timeout is 600s; early 1.x releases (recursive client) waited 1s, 2s instead",
        configure: openai_python,
    },
    Preset {
        name: "openai-python-2.52",
        library: "openai-python 2.52.0 and later (PR #3555)",
        source: "openai/openai-python: src/openai/_base_client.py (MAX_RETRY_AFTER_DELAY)",
        summary: "as openai-python, but Retry-After honoured up to 120s, and above it the request is not retried",
        notes: "retries 408, 409, 429, >= 500 and timeouts",
        configure: openai_python_2_52,
    },
    Preset {
        name: "anthropic-sdk-python",
        library: "anthropic-sdk-python 0.x with the loop-based client (the same generated code as openai-python <= 2.51)",
        source: "anthropics/anthropic-sdk-python: src/anthropic/_base_client.py, src/anthropic/_constants.py",
        summary: "3 attempts; min(0.5s * 2^n, 8s) * (1 - 0.25 U); Retry-After honoured if 0 < ra <= 60s, else backoff",
        notes: "retries 408, 409, 424, 429, >= 500 (so 529) and timeouts; older releases with the recursive client waited 1s, 2s (which release switched is not confirmed)",
        configure: openai_python,
    },
    Preset {
        name: "botocore-standard",
        library: "botocore 1.x, retry_mode = \"standard\"",
        source: "boto/botocore: botocore/retries/standard.py, botocore/retries/quota.py",
        summary: "3 attempts; U * min(2^n, 20) s; retry quota 500, cost 5 (10 after a timeout), refund on success",
        notes: "retries 500, 502, 503, 504 (not 529), timeouts, and throttling error codes, which a 429 is taken to carry; Retry-After is not read; the SDK's default mode is \"legacy\"",
        configure: botocore_standard,
    },
    Preset {
        name: "botocore-adaptive",
        library: "botocore 1.x, retry_mode = \"adaptive\"",
        source: "boto/botocore: botocore/retries/adaptive.py, bucket.py, throttling.py, standard.py",
        summary: "botocore-standard plus the CUBIC client rate limiter, switched on by the first 429",
        notes: "retries as botocore-standard; a waiting send takes its token at once and waits at the rate of that moment",
        configure: botocore_adaptive,
    },
    Preset {
        name: "polly-v8",
        library: "Polly 8.x (Polly.Core) RetryStrategyOptions defaults",
        source: "App-vNext/Polly: src/Polly.Core/Retry/RetryConstants.cs, RetryStrategyOptions.TResult.cs",
        summary: "4 attempts; constant 2s, no jitter; Retry-After not read",
        notes: "its default ShouldHandle retries every exception: 429, 5xx and timeouts are taken to be thrown (e.g. by EnsureSuccessStatusCode)",
        configure: polly_v8,
    },
    Preset {
        name: "polly-http-standard",
        library: "Microsoft.Extensions.Http.Resilience 8.x/9.x, AddStandardResilienceHandler",
        source: "dotnet/extensions: src/Libraries/Microsoft.Extensions.Http.Resilience/Polly/HttpRetryStrategyOptions.cs, HttpStandardResilienceOptions.cs",
        summary: "4 attempts; Polly decorrelated jitter v2 with base 2s (first delay's median about 1.8s); Retry-After honoured; 10s attempt timeout; 30s total; breaker 10% of >= 100 in 30s, open 5s",
        notes: "a request the open breaker rejects is not retried (BrokenCircuitException is not transient)",
        configure: polly_http_standard,
    },
    Preset {
        name: "grpc-example",
        library: "gRPC retry design gRFC A6, its example service config",
        source: "grpc/proposal: A6-client-retries.md",
        summary: "4 attempts; U(0, min(0.1s * 2^n, 1s)); retry throttling max_tokens 10, token_ratio 0.1",
        notes: "UNAVAILABLE is retried: 429 and 503 map to it; 500, 529 and deadline expiry are not retried; pushback is not modelled",
        configure: grpc_example,
    },
    Preset {
        name: "tenacity-cookbook",
        library: "the OpenAI Cookbook's rate-limit example: tenacity 9.x around an openai-python client at its defaults",
        source: "openai/openai-cookbook: examples/How_to_handle_rate_limits.ipynb; jd/tenacity: tenacity/wait.py; openai/openai-python: src/openai/_base_client.py",
        summary: "two layers: tenacity-random-exponential (6 attempts) around openai-python (3 attempts): up to 18 attempts per call",
        notes: "the SDK raises its last error when it gives up (RateLimitError, APIStatusError, APITimeoutError), and tenacity's default retries every exception, so the outer loop sees the inner loop's last failure; until this version this preset was the tenacity loop alone, as if the client made no retries of its own: that reading is tenacity-random-exponential",
        configure: tenacity_cookbook,
    },
    Preset {
        name: "tenacity-random-exponential",
        library: "tenacity 9.x, @retry(wait=wait_random_exponential(min=1, max=60), stop=stop_after_attempt(6)), the loop alone",
        source: "jd/tenacity: tenacity/wait.py (wait_random_exponential), tenacity/stop.py (stop_after_attempt)",
        summary: "6 attempts; wait_random_exponential(min=1, max=60): U(1s, max(1s, min(2^n s, 60s)))",
        notes: "retries every exception; tenacity < 9 drew U(0, ...) instead: use full_jitter without min for it",
        configure: tenacity_random_exponential,
    },
    Preset {
        name: "backon",
        library: "backon 1.x ExponentialBuilder defaults",
        source: "Xuanwo/backon: backon/src/backoff/exponential.rs",
        summary: "4 attempts; 1s, 2s, 4s (factor 2, max 60s), no jitter",
        notes: "retries every error unless told otherwise",
        configure: backon,
    },
];

/// The preset named `name`.
pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// The names of the presets.
pub fn names() -> Vec<&'static str> {
    PRESETS.iter().map(|p| p.name).collect()
}

fn retry_on(names: &[&str]) -> RetryOn {
    let mut r = RetryOn::NOTHING;
    for n in names {
        assert!(r.add(n), "known failure name {n}");
    }
    r
}

/// The botocore standard mode's retry quota.
pub const AWS_QUOTA: Budget = Budget::AwsQuota {
    capacity: 500,
    cost: 5,
    timeout_cost: 10,
    success_increment: 1,
};

/// gRFC A6's example retry throttling.
pub const GRPC_THROTTLING: Budget = Budget::Grpc {
    max_tokens: 10 * MICRO,
    token_ratio: MICRO / 10,
};

/// botocore's adaptive client rate limiter.
pub const AWS_ADAPTIVE: Throttle = Throttle::AwsAdaptive {
    beta: 0.7,
    scale: 0.4,
    smoothing: 0.8,
    bucket: 500 * MS,
    min_rate: 0.5,
};

/// Polly v8's circuit breaker defaults.
pub const POLLY_BREAKER: Breaker = Breaker {
    failure_ratio: 0.1,
    window: 30 * S,
    min_volume: 100,
    open_for: 5 * S,
    probes: 1,
    scope: BreakerScope::All,
};

impl Preset {
    /// True if the preset is a stack of other presets' layers.
    pub fn is_stack(&self) -> bool {
        !self.strategy().inner.is_empty()
    }

    /// The presets of its layers, outermost first (its own name alone for
    /// a preset of one layer).
    pub fn layer_names(&self) -> Vec<&'static str> {
        let s = self.strategy();
        s.layers().map(|l| l.preset.unwrap_or(self.name)).collect()
    }

    /// The preset as a strategy named after it.
    pub fn strategy(&self) -> Strategy {
        let mut s = Strategy {
            preset: Some(self.name),
            ..Strategy::new(self.name, Backoff::None)
        };
        (self.configure)(&mut s);
        s
    }
}

/// openai-python's and anthropic-sdk-python's schedule.
const OPENAI_BACKOFF: Backoff = Backoff::Downward {
    base: 500 * MS,
    cap: Some(8 * S),
    multiplier: 2.0,
    jitter: 0.25,
};

fn openai_python(s: &mut Strategy) {
    s.backoff = OPENAI_BACKOFF;
    s.max_attempts = 3;
    s.honor_retry_after = true;
    s.max_retry_after = Some(60 * S);
}

fn openai_python_2_52(s: &mut Strategy) {
    s.backoff = OPENAI_BACKOFF;
    s.max_attempts = 3;
    s.honor_retry_after = true;
    s.max_retry_after = Some(120 * S);
    s.above_max_retry_after = AboveMax::GiveUp;
}

fn botocore_standard(s: &mut Strategy) {
    s.backoff = Backoff::FullJitter {
        base: S,
        cap: Some(20 * S),
        multiplier: 2.0,
        min: 0,
    };
    s.max_attempts = 3;
    // _TRANSIENT_STATUS_CODES 500, 502, 503, 504, throttling error codes,
    // and connection errors and timeouts.
    s.retry_on = retry_on(&["429", "500", "503", "timeout"]);
    s.guards.budget = Some(AWS_QUOTA);
}

fn botocore_adaptive(s: &mut Strategy) {
    botocore_standard(s);
    s.guards.throttle = Some(AWS_ADAPTIVE);
}

fn polly_v8(s: &mut Strategy) {
    s.backoff = Backoff::Constant { base: 2 * S };
    s.max_attempts = 4;
}

fn polly_http_standard(s: &mut Strategy) {
    s.backoff = Backoff::DecorrelatedV2 {
        base: 2 * S,
        cap: None,
    };
    s.max_attempts = 4;
    s.honor_retry_after = true;
    s.timeout = Some(10 * S);
    s.deadline = Some(30 * S);
    s.guards.breaker = Some(POLLY_BREAKER);
}

fn grpc_example(s: &mut Strategy) {
    s.backoff = Backoff::FullJitter {
        base: 100 * MS,
        cap: Some(S),
        multiplier: 2.0,
        min: 0,
    };
    s.max_attempts = 4;
    s.retry_on = retry_on(&["429", "503"]);
    s.guards.budget = Some(GRPC_THROTTLING);
}

fn tenacity_random_exponential(s: &mut Strategy) {
    s.backoff = Backoff::FullJitter {
        base: S,
        cap: Some(60 * S),
        multiplier: 2.0,
        min: S,
    };
    s.max_attempts = 6;
}

fn tenacity_cookbook(s: &mut Strategy) {
    stack(s, &["tenacity-random-exponential", "openai-python"]);
}

/// Makes `s` the stack of the presets named `layers`, outermost first,
/// keeping its name: the outermost layer's settings and preset are the
/// first preset's.
fn stack(s: &mut Strategy, layers: &[&str]) {
    let mut layers = layers.iter().map(|name| {
        find(name)
            .unwrap_or_else(|| panic!("the layer preset {name} exists"))
            .strategy()
    });
    let outer = layers.next().expect("a stack has layers");
    let inner = layers.collect();
    *s = Strategy {
        name: std::mem::take(&mut s.name),
        inner,
        ..outer
    };
}

fn backon(s: &mut Strategy) {
    s.backoff = Backoff::Exponential {
        base: S,
        cap: Some(60 * S),
        multiplier: 2.0,
    };
    s.max_attempts = 4;
}

#[cfg(test)]
#[path = "preset_tests.rs"]
mod tests;
