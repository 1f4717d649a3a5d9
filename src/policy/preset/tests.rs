//! Tests of the presets: their delay sequences and settings.

use super::*;
use crate::policy::strategy::ZeroRetryAfter;
use crate::policy::{AboveMax, Decision, Failure, GiveUp};
use rand::SeedableRng;
use rand_pcg::Pcg64;

fn strategy(name: &str) -> Strategy {
    find(name)
        .unwrap_or_else(|| panic!("no preset {name}"))
        .strategy()
}

/// Delays before retry `n` of `draws` fresh requests (retries 0..n drawn
/// in order for each, as the engine does): (mean, min, max, all) in ns.
fn draws(b: &Backoff, n: u32, count: usize, seed: u64) -> (f64, u64, u64, Vec<u64>) {
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut all = Vec::with_capacity(count);
    for _ in 0..count {
        let mut state = b.initial_state();
        let mut d = 0;
        for k in 0..=n {
            d = b.delay(k, &mut state, &mut rng);
        }
        all.push(d);
    }
    let mean = all.iter().map(|&d| d as f64).sum::<f64>() / count as f64;
    let lo = *all.iter().min().unwrap();
    let hi = *all.iter().max().unwrap();
    (mean, lo, hi, all)
}

const N: usize = 100_000;

/// `mean` is within 5 standard errors of `expected` for draws with standard
/// deviation `sd` (the standard error of a mean of N draws is sd/√N).
fn mean_ok(mean: f64, expected: f64, sd: f64) -> bool {
    (mean - expected).abs() <= 5.0 * sd / (N as f64).sqrt()
}

#[test]
fn every_preset_builds_a_strategy_named_after_it() {
    assert_eq!(PRESETS.len(), 32);
    assert_eq!(names().len(), PRESETS.len());
    for p in &PRESETS {
        let s = p.strategy();
        assert_eq!(s.name, p.name);
        // A stack's layers are presets of one layer, the outermost first.
        let outermost = if p.is_stack() {
            p.layer_names()[0]
        } else {
            p.name
        };
        assert_eq!(s.preset, Some(outermost));
        assert!(
            s.layers()
                .all(|l| l.preset.and_then(find).is_some_and(|l| !l.is_stack()))
        );
        assert_eq!(find(p.name), Some(p));
        assert!(s.max_attempts >= 1);
        assert!(s.fallback.is_none());
    }
    // Names are unique.
    let mut n = names();
    n.sort();
    n.dedup();
    assert_eq!(n.len(), PRESETS.len());
    assert_eq!(find("openai"), None);
}

#[test]
fn max_attempts_match_the_summaries() {
    // The summaries start "<n> attempts;" (or say "as <other>" / "<other>
    // plus"): the strategy must have that n.
    for p in &PRESETS {
        let s = p.strategy();
        let stated = match p
            .summary
            .split_once(" attempts;")
            .or_else(|| p.summary.split_once(" attempt;"))
        {
            Some((n, _)) => n.parse::<u32>().expect("a number of attempts"),
            None => {
                let other = p
                    .summary
                    .split_whitespace()
                    .find_map(|w| find(w.trim_end_matches(',')))
                    .unwrap();
                assert_ne!(other.name, p.name);
                other.strategy().max_attempts
            }
        };
        assert_eq!(s.max_attempts, stated, "{}", p.name);
    }
    let expected = [
        ("openai-python", 3),
        ("openai-python-2.52", 3),
        ("anthropic-sdk-python", 3),
        ("anthropic-sdk-python-1.6", 3),
        ("openai-node", 3),
        ("openai-node-6.26", 3),
        ("openai-node-5", 3),
        ("anthropic-sdk-typescript", 3),
        ("botocore-standard", 3),
        ("botocore-adaptive", 3),
        ("polly-v8", 4),
        ("polly-http-standard", 4),
        ("grpc-example", 4),
        ("grpc-go", 1),
        ("tenacity-cookbook", 6),
        ("backon", 4),
        ("aws-sdk-js-v3-standard", 3),
        ("aws-sdk-js-v3-2026", 3),
        ("aws-sdk-java-v2-legacy", 4),
        ("aws-sdk-java-v2-standard", 3),
        ("google-genai", 1),
        ("google-genai-retry-options", 5),
        ("google-api-core", 1_000_000),
        ("azure-core", 4),
        ("vercel-ai-sdk", 3),
        ("langchain-with-retry", 3),
        ("langchain-openai", 3),
        ("langchain-anthropic", 3),
        ("litellm-router", 3),
        ("openai-python-no-retries", 1),
        ("litellm-router-openai", 3),
    ];
    for (name, n) in expected {
        assert_eq!(strategy(name).max_attempts, n, "{name}");
    }
}

#[test]
fn openai_style_delays_are_downward_jittered() {
    // min(0.5 s · 2^n, 8 s) · (1 − 0.25 U): within [0.75 v, v], mean
    // 0.875 v, sd 0.25 v/√12.
    for name in [
        "openai-python",
        "openai-python-2.52",
        "anthropic-sdk-python",
        "anthropic-sdk-python-1.6",
        "openai-node",
        "openai-node-6.26",
        "openai-node-5",
        "anthropic-sdk-typescript",
    ] {
        let b = strategy(name).backoff;
        for (n, v) in [(0u32, 500 * MS), (1, S), (3, 4 * S), (4, 8 * S), (6, 8 * S)] {
            let (mean, lo, hi, _) = draws(&b, n, N, 1 + u64::from(n));
            let vf = v as f64;
            assert!(
                lo as f64 >= 0.75 * vf && hi <= v,
                "{name} n={n}: [{lo}, {hi}]"
            );
            // The whole band is used: 100,000 draws all missing its top or
            // bottom 1 % has probability 0.99^100000.
            assert!(hi as f64 > vf * 0.9975 && (lo as f64) < vf * 0.7525);
            assert!(
                mean_ok(mean, 0.875 * vf, 0.25 * vf / 12f64.sqrt()),
                "{name} n={n}: mean {mean}"
            );
        }
    }
}

#[test]
fn botocore_delays_are_full_jitter_capped_at_20s() {
    // U · min(2^n, 20) s: within [0, v], mean v/2, sd v/√12.
    for name in ["botocore-standard", "botocore-adaptive"] {
        let b = strategy(name).backoff;
        for (n, v) in [(0u32, S), (1, 2 * S), (4, 16 * S), (5, 20 * S), (8, 20 * S)] {
            let (mean, _, hi, _) = draws(&b, n, N, 10 + u64::from(n));
            assert!(hi <= v, "{name} n={n}: {hi}");
            let vf = v as f64;
            assert!(
                mean_ok(mean, vf / 2.0, vf / 12f64.sqrt()),
                "{name} n={n}: mean {mean}"
            );
        }
    }
}

#[test]
fn tenacity_delays_start_at_exactly_one_second() {
    // U(1 s, max(1 s, min(2^n s, 60 s))): n = 0 gives exactly 1 s; n = 1
    // U(1, 2): mean 1.5 s, sd 1/√12 s; n = 6: U(1, 60): mean 30.5 s, sd 59/√12.
    let b = strategy("tenacity-cookbook").backoff;
    let (_, lo, hi, _) = draws(&b, 0, 1_000, 20);
    assert_eq!((lo, hi), (S, S));
    for (n, top) in [(1u32, 2.0), (2, 4.0), (6, 60.0), (9, 60.0)] {
        let (mean, lo, hi, _) = draws(&b, n, N, 21 + u64::from(n));
        let sf = S as f64;
        assert!(lo >= S && hi as f64 <= top * sf, "n={n}: [{lo}, {hi}]");
        assert!(
            mean_ok(
                mean,
                (1.0 + top) / 2.0 * sf,
                (top - 1.0) / 12f64.sqrt() * sf
            ),
            "n={n}: mean {mean}"
        );
    }
}

#[test]
fn deterministic_presets_have_exact_delays() {
    let mut rng = Pcg64::seed_from_u64(0);
    let seq = |name: &str, count: u32, rng: &mut Pcg64| {
        let b = strategy(name).backoff;
        let mut st = b.initial_state();
        (0..count)
            .map(|n| b.delay(n, &mut st, rng))
            .collect::<Vec<_>>()
    };
    // backon: 1, 2, 4 s for its 3 retries; further ones 8 … capped at 60.
    assert_eq!(
        seq("backon", 8, &mut rng),
        [S, 2 * S, 4 * S, 8 * S, 16 * S, 32 * S, 60 * S, 60 * S]
    );
    // polly-v8: 2 s every time.
    assert_eq!(seq("polly-v8", 3, &mut rng), [2 * S; 3]);
}

#[test]
fn grpc_example_delays_are_a_capped_exponential_times_u_0_8_1_2() {
    // gRFC A6 (2024): min(0.1 s · 2^n, 1 s) · U(0.8, 1.2): within [0.8 v,
    // 1.2 v], mean v, sd 0.4 v/√12.
    let b = strategy("grpc-example").backoff;
    for (n, v) in [
        (0u32, 100 * MS),
        (1, 200 * MS),
        (2, 400 * MS),
        (3, 800 * MS),
        (4, S),
        (7, S),
    ] {
        let (mean, lo, hi, _) = draws(&b, n, N, 30 + u64::from(n));
        let vf = v as f64;
        assert!(
            lo as f64 >= 0.8 * vf - 1.0 && hi as f64 <= 1.2 * vf + 1.0,
            "n={n}: [{lo}, {hi}]"
        );
        // The whole band is used (as in the openai test above).
        assert!(hi as f64 > 1.196 * vf && (lo as f64) < 0.804 * vf);
        assert!(
            mean_ok(mean, vf, 0.4 * vf / 12f64.sqrt()),
            "n={n}: mean {mean}"
        );
    }
}

#[test]
fn polly_http_standard_uses_decorrelated_jitter_v2() {
    let s = strategy("polly-http-standard");
    assert_eq!(s.backoff.cap(), None);
    let base = 2.0 * S as f64;
    let f = |t: f64| t.exp2() * (4.0 * t).sqrt().tanh();
    // Retry 0: delay = f(U)/1.4 · base, increasing in U, so it lies in
    // [0, f(1)/1.4 · base] and its median is exactly f(0.5)/1.4 · base
    // (≈ 0.897 · base = 1.79 s, Polly's "median ≈ base"). The share below
    // the median is binomial: 0.5 ± 5·sqrt(0.25/N) = ± 0.0079.
    let (_, _, hi, all) = draws(&s.backoff, 0, N, 40);
    assert!(hi as f64 <= f(1.0) / 1.4 * base + 1.0);
    let median = f(0.5) / 1.4 * base;
    let below = all.iter().filter(|&&d| (d as f64) < median).count() as f64 / N as f64;
    assert!(
        (below - 0.5).abs() < 5.0 * (0.25 / N as f64).sqrt(),
        "{below}"
    );
    // Delays are positive and telescope: retries 0..=3 sum to f(3 + U)/1.4
    // · base, between f(3) and f(4) over 1.4, times base.
    let mut rng = Pcg64::seed_from_u64(41);
    for _ in 0..10_000 {
        let mut st = s.backoff.initial_state();
        let d: Vec<u64> = (0..4)
            .map(|n| s.backoff.delay(n, &mut st, &mut rng))
            .collect();
        assert!(d.iter().all(|&x| x > 0), "{d:?}");
        let total = d.iter().sum::<u64>() as f64;
        assert!(
            total >= f(3.0) / 1.4 * base - 4.0 && total <= f(4.0) / 1.4 * base + 4.0,
            "{total}"
        );
    }
}

#[test]
fn retry_after_and_failure_settings() {
    let mut rng = Pcg64::seed_from_u64(7);
    let ra = |secs: u64| Failure::RateLimited {
        retry_after: Some(secs * S),
    };
    let decide = |s: &Strategy, f: Failure, rng: &mut Pcg64| {
        let mut st = s.backoff.initial_state();
        s.decide(f, 1, 0, 0, &mut st, rng)
    };
    let backoff_delay = |d: Decision, max: u64| match d {
        Decision::Retry { delay } => assert!(delay <= max, "{delay}"),
        other => panic!("{other:?}"),
    };

    // openai-python, anthropic: Retry-After honoured if 0 < ra ≤ 60 s, else
    // the first backoff delay (at most 0.5 s).
    for name in ["openai-python", "anthropic-sdk-python"] {
        let s = strategy(name);
        assert!(s.honor_retry_after);
        assert_eq!(s.max_retry_after, Some(60 * S));
        assert_eq!(s.above_max_retry_after, AboveMax::Backoff);
        assert_eq!(s.retry_on, RetryOn::ALL);
        assert_eq!((s.timeout, s.deadline), (None, None));
        assert!(s.guards.is_empty());
        assert_eq!(
            decide(&s, ra(60), &mut rng),
            Decision::Retry { delay: 60 * S }
        );
        backoff_delay(decide(&s, ra(61), &mut rng), 500 * MS);
        backoff_delay(decide(&s, ra(0), &mut rng), 500 * MS);
    }
    // anthropic from v1.6.0: any ra > 0 honoured (an hour too), zero falls
    // back to the first backoff delay.
    let s = strategy("anthropic-sdk-python-1.6");
    assert_eq!(s.max_retry_after, None);
    assert_eq!(s.zero_retry_after, ZeroRetryAfter::Backoff);
    assert_eq!(
        decide(&s, ra(3600), &mut rng),
        Decision::Retry { delay: 3600 * S }
    );
    backoff_delay(decide(&s, ra(0), &mut rng), 500 * MS);
    // The Stainless SDKs read the Retry-After of any answer they retry: a
    // 503's as a 429's.
    let e503 = |secs: u64| Failure::ServerError {
        status: 503,
        retry_after: Some(secs * S),
    };
    for name in [
        "openai-python",
        "openai-python-2.52",
        "anthropic-sdk-python",
        "openai-node",
        "openai-node-6.26",
        "openai-node-5",
        "anthropic-sdk-typescript",
    ] {
        let s = strategy(name);
        assert_eq!(s.retry_after_on, RetryOn::ALL, "{name}");
        assert_eq!(
            decide(&s, e503(7), &mut rng),
            Decision::Retry { delay: 7 * S },
            "{name}"
        );
    }
    // Python: zero is not honoured (0 < ra); TypeScript: `timeoutMillis <
    // 0` alone falls back, so zero retries at once.
    assert_eq!(
        strategy("openai-python").zero_retry_after,
        ZeroRetryAfter::Backoff
    );
    // openai-node: 0 ≤ ra ≤ 60 s honoured, 61 s backs off.
    let s = strategy("openai-node");
    assert_eq!(s.max_retry_after, Some(60 * S));
    assert_eq!(s.above_max_retry_after, AboveMax::Backoff);
    assert_eq!(decide(&s, ra(0), &mut rng), Decision::Retry { delay: 0 });
    assert_eq!(
        decide(&s, ra(60), &mut rng),
        Decision::Retry { delay: 60 * S }
    );
    backoff_delay(decide(&s, ra(61), &mut rng), 500 * MS);
    // openai-node v6.26.0 to v7.4.x: only an absent Retry-After backs
    // off: any value is slept, 0 at once.
    let s = strategy("openai-node-6.26");
    assert_eq!(s.max_retry_after, None);
    assert_eq!(decide(&s, ra(0), &mut rng), Decision::Retry { delay: 0 });
    assert_eq!(
        decide(&s, ra(3600), &mut rng),
        Decision::Retry { delay: 3600 * S }
    );
    // openai-node v5.0.0 to v6.25.x: 0 < ra < 60 s; 0 and 60 s back off.
    let s = strategy("openai-node-5");
    assert_eq!(s.above_max_retry_after, AboveMax::Backoff);
    backoff_delay(decide(&s, ra(0), &mut rng), 500 * MS);
    assert_eq!(
        decide(&s, ra(59), &mut rng),
        Decision::Retry { delay: 59 * S }
    );
    backoff_delay(decide(&s, ra(60), &mut rng), 500 * MS);
    // anthropic-sdk-typescript (sdk-v0.79.0 on): any value, 0 at once.
    let s = strategy("anthropic-sdk-typescript");
    assert_eq!(s.max_retry_after, None);
    assert_eq!(decide(&s, ra(0), &mut rng), Decision::Retry { delay: 0 });
    assert_eq!(
        decide(&s, ra(3600), &mut rng),
        Decision::Retry { delay: 3600 * S }
    );

    // openai-python 2.52: up to 120 s, above it the request is not retried.
    let s = strategy("openai-python-2.52");
    assert_eq!(s.max_retry_after, Some(120 * S));
    assert_eq!(s.above_max_retry_after, AboveMax::GiveUp);
    assert!(s.guards.is_empty());
    assert_eq!(
        decide(&s, ra(120), &mut rng),
        Decision::Retry { delay: 120 * S }
    );
    assert_eq!(
        decide(&s, ra(121), &mut rng),
        Decision::GiveUp(GiveUp::RetryAfterTooLong)
    );

    // botocore: Retry-After not read (first delay U · 1 s); the quota
    // 500 / 5 / 10 / +1; adaptive adds the CUBIC limiter.
    for name in ["botocore-standard", "botocore-adaptive"] {
        let s = strategy(name);
        assert!(!s.honor_retry_after);
        assert_eq!(s.max_retry_after, None);
        backoff_delay(decide(&s, ra(30), &mut rng), S);
        assert_eq!(
            s.guards.budget,
            Some(Budget::AwsQuota {
                capacity: 500,
                cost: 5,
                timeout_cost: 10,
                success_increment: 1
            })
        );
        assert_eq!(s.guards.breaker, None);
        // Transient statuses 500, 502, 503, 504, throttling and timeouts;
        // an overloaded 529 is not retried.
        assert!(s.retry_on.rate_limited && s.retry_on.timeout);
        assert!(s.retry_on.http_500 && s.retry_on.http_503 && !s.retry_on.http_529);
        assert_eq!(
            decide(&s, Failure::server(529), &mut rng),
            Decision::GiveUp(GiveUp::NotRetryable)
        );
    }
    assert_eq!(strategy("botocore-standard").guards.throttle, None);
    assert_eq!(
        strategy("botocore-adaptive").guards.throttle,
        Some(Throttle::AwsAdaptive {
            beta: 0.7,
            scale: 0.4,
            smoothing: 0.8,
            bucket: 500 * MS,
            min_rate: 0.5
        })
    );

    // polly-v8: every thrown failure retried but a timeout (an
    // OperationCanceledException); Retry-After not read, no guard.
    let s = strategy("polly-v8");
    assert!(!s.honor_retry_after && s.guards.is_empty());
    assert_eq!(s.retry_on.names(), ["429", "5xx", "409"]);
    assert_eq!(
        decide(&s, Failure::Timeout, &mut rng),
        Decision::GiveUp(GiveUp::NotRetryable)
    );
    assert_eq!(
        decide(&s, ra(30), &mut rng),
        Decision::Retry { delay: 2 * S }
    );

    // polly-http-standard: Retry-After honoured without a maximum, but
    // within the 30 s total; 10 s attempt timeout; breaker 10 % of ≥ 100
    // in 30 s, open 5 s, one probe, over every attempt.
    let s = strategy("polly-http-standard");
    assert!(s.honor_retry_after);
    assert_eq!(s.max_retry_after, None);
    assert_eq!(s.timeout, Some(10 * S));
    assert_eq!(s.deadline, Some(30 * S));
    assert_eq!(
        decide(&s, ra(29), &mut rng),
        Decision::Retry { delay: 29 * S }
    );
    assert_eq!(
        decide(&s, ra(30), &mut rng),
        Decision::GiveUp(GiveUp::Deadline)
    );
    // Zero (or a past date) retries at once; a 5xx's Retry-After counts
    // too; 409 is not transient, timeouts are.
    assert_eq!(decide(&s, ra(0), &mut rng), Decision::Retry { delay: 0 });
    assert_eq!(
        decide(&s, e503(12), &mut rng),
        Decision::Retry { delay: 12 * S }
    );
    assert_eq!(s.retry_on.names(), ["429", "5xx", "timeout"]);
    assert_eq!(
        decide(&s, Failure::Conflict, &mut rng),
        Decision::GiveUp(GiveUp::NotRetryable)
    );
    assert_eq!(
        s.guards.breaker,
        Some(Breaker {
            failure_ratio: 0.1,
            window: 30 * S,
            min_volume: 100,
            open_for: 5 * S,
            probes: 1,
            scope: BreakerScope::All,
            failure_only: true,
        })
    );
    assert_eq!((&s.guards.budget, &s.guards.throttle), (&None, &None));

    // grpc-example: only 429 and 503 (UNAVAILABLE) are retried; throttling
    // max_tokens 10, token_ratio 0.1.
    let s = strategy("grpc-example");
    assert!(matches!(
        decide(&s, ra(1), &mut rng),
        Decision::Retry { .. }
    ));
    assert!(matches!(
        decide(&s, Failure::server(503), &mut rng),
        Decision::Retry { .. }
    ));
    for f in [Failure::server(500), Failure::server(529), Failure::Timeout] {
        assert_eq!(
            decide(&s, f, &mut rng),
            Decision::GiveUp(GiveUp::NotRetryable),
            "{f:?}"
        );
    }
    assert_eq!(
        s.guards.budget,
        Some(Budget::Grpc {
            max_tokens: 10 * MICRO,
            token_ratio: 100_000
        })
    );
    assert_eq!((&s.guards.breaker, &s.guards.throttle), (&None, &None));

    // tenacity-cookbook and backon: every failure, Retry-After not read,
    // no guard.
    for name in ["tenacity-cookbook", "backon"] {
        let s = strategy(name);
        assert_eq!(s.retry_on, RetryOn::ALL);
        assert!(!s.honor_retry_after && s.guards.is_empty());
        assert_eq!(decide(&s, ra(30), &mut rng), Decision::Retry { delay: S });
    }
}

/// The AWS SDK for JavaScript v3 (smithy-typescript's util-retry):
/// `DEFAULT_MAX_ATTEMPTS` 3; `random() · min(x · 2^i, MAXIMUM_RETRY_DELAY
/// 20 000 ms)` with the throttling base `x` 500 ms (1 000 ms in the 2026
/// behaviour): within [0, v], mean v/2, sd v/√12.
#[test]
fn aws_sdk_js_v3_delays_and_quota() {
    for (name, base, seed) in [
        ("aws-sdk-js-v3-standard", 500 * MS, 50),
        ("aws-sdk-js-v3-2026", S, 60),
    ] {
        let s = strategy(name);
        assert_eq!(s.max_attempts, 3);
        for n in [0u32, 1, 2, 5, 6, 9] {
            let v = (base << n).min(20 * S);
            let (mean, _, hi, _) = draws(&s.backoff, n, N, seed + u64::from(n));
            assert!(hi <= v, "{name} n={n}: {hi}");
            let vf = v as f64;
            assert!(
                mean_ok(mean, vf / 2.0, vf / 12f64.sqrt()),
                "{name} n={n}: mean {mean}"
            );
        }
        // TRANSIENT_ERROR_STATUS_CODES 500, 502, 503, 504 and throttling
        // (429); a 529 is a SERVER_ERROR, not retried. Retry-After not read.
        assert_eq!(s.retry_on.names(), ["429", "500", "503", "timeout"]);
        assert!(!s.honor_retry_after);
        assert!(s.guards.breaker.is_none() && s.guards.throttle.is_none());
    }
    // Standard: INITIAL_RETRY_TOKENS 500, RETRY_COST 5, TIMEOUT_RETRY_COST
    // 10, NO_RETRY_INCREMENT 1 (botocore's quota).
    assert_eq!(
        strategy("aws-sdk-js-v3-standard").guards.budget,
        Some(AWS_QUOTA)
    );
    // 2026: cost() 14, throttlingCost() 5.
    assert_eq!(
        strategy("aws-sdk-js-v3-2026").guards.budget,
        Some(Budget::AwsQuota {
            capacity: 500,
            cost: 5,
            timeout_cost: 14,
            success_increment: 1
        })
    );
}
#[test]
fn aws_sdk_java_v2_delays_and_buckets() {
    // Standard: ExponentialDelayWithJitter from THROTTLED_BASE_DELAY 1 s,
    // MAX_BACKOFF 20 s: within [0, v], mean v/2, sd v/√12.
    let standard = strategy("aws-sdk-java-v2-standard");
    for (n, v) in [(0u32, S), (1, 2 * S), (4, 16 * S), (5, 20 * S)] {
        let (mean, _, hi, _) = draws(&standard.backoff, n, N, 70 + u64::from(n));
        assert!(hi <= v, "standard n={n}: {hi}");
        let vf = v as f64;
        assert!(
            mean_ok(mean, vf / 2.0, vf / 12f64.sqrt()),
            "standard n={n}: {mean}"
        );
    }
    // Legacy: ExponentialDelayWithHalfJitter from 500 ms: within
    // [v/2, v], mean 3v/4, sd (v/2)/√12.
    let legacy = strategy("aws-sdk-java-v2-legacy");
    for (n, v) in [(0u32, 500 * MS), (1, S), (2, 2 * S), (6, 20 * S)] {
        let (mean, lo, hi, _) = draws(&legacy.backoff, n, N, 80 + u64::from(n));
        assert!(lo >= v / 2 && hi <= v, "legacy n={n}: [{lo}, {hi}]");
        let vf = v as f64;
        assert!(
            mean_ok(mean, 0.75 * vf, vf / 2.0 / 12f64.sqrt()),
            "legacy n={n}: {mean}"
        );
    }
    for s in [&standard, &legacy] {
        // RETRYABLE_STATUS_CODES 500, 502, 503, 504, throttling (429),
        // IOException, ApiCallAttemptTimeoutException; the suggested delay
        // passed to the strategy is zero, so Retry-After is not read.
        assert_eq!(s.retry_on.names(), ["429", "500", "503", "timeout"]);
        assert!(!s.honor_retry_after);
        assert!(s.guards.breaker.is_none() && s.guards.throttle.is_none());
    }
    // TOKEN_BUCKET_SIZE 500; standard: every retry costs 5; legacy:
    // THROTTLE_EXCEPTION_TOKEN_COST 0, DEFAULT_EXCEPTION_TOKEN_COST 5.
    assert_eq!(
        standard.guards.budget,
        Some(Budget::AwsQuota {
            capacity: 500,
            cost: 5,
            timeout_cost: 5,
            success_increment: 1
        })
    );
    assert_eq!(
        legacy.guards.budget,
        Some(Budget::AwsQuota {
            capacity: 500,
            cost: 0,
            timeout_cost: 5,
            success_increment: 1
        })
    );
}

#[test]
fn google_genai_retries_nothing_without_retry_options() {
    // retry_args(None): stop_after_attempt(1).
    let mut rng = Pcg64::seed_from_u64(50);
    let s = strategy("google-genai");
    assert_eq!((s.max_attempts, s.retry_on), (1, RetryOn::NOTHING));
    let mut st = s.backoff.initial_state();
    assert_eq!(
        s.decide(Failure::server(503), 1, 0, 0, &mut st, &mut rng),
        Decision::GiveUp(GiveUp::NotRetryable)
    );
    assert!(s.guards.is_empty() && !s.honor_retry_after);
}

#[test]
fn google_genai_retry_options_add_up_to_one_second_of_jitter() {
    // _RETRY_INITIAL_DELAY 1.0, _RETRY_EXP_BASE 2, _RETRY_JITTER 1,
    // _RETRY_MAX_DELAY 60.0: min(2^n + U(0, 1), 60) s; within [2^n, 2^n +
    // 1] s, mean 2^n + 0.5 s, sd 1/√12 s; 60 s exactly from n = 6 (64 s).
    let s = strategy("google-genai-retry-options");
    assert_eq!(s.max_attempts, 5);
    assert_eq!(s.backoff.cap(), Some(60 * S));
    for (n, v) in [(0u32, 1.0), (1, 2.0), (2, 4.0), (3, 8.0)] {
        let (mean, lo, hi, _) = draws(&s.backoff, n, N, 51 + u64::from(n));
        let sf = S as f64;
        assert!(lo as f64 >= v * sf && hi as f64 <= (v + 1.0) * sf, "n={n}");
        assert!(
            mean_ok(mean, (v + 0.5) * sf, sf / 12f64.sqrt()),
            "n={n}: mean {mean}"
        );
    }
    let (_, lo, hi, _) = draws(&s.backoff, 6, 1_000, 57);
    assert_eq!((lo, hi), (60 * S, 60 * S));
    // 408, 429, 500, 502, 503, 504 and timeouts; not 529, not 409; the
    // Retry-After is not read.
    assert_eq!(s.retry_on.names(), ["429", "500", "503", "timeout"]);
    assert!(!s.honor_retry_after && s.guards.is_empty());
    assert_eq!((s.timeout, s.deadline), (None, None));
}

#[test]
fn google_api_core_draws_full_jitter_until_its_120s_timeout() {
    // exponential_sleep_generator(1.0, 60.0, 2.0): U(0, min(2^n, 60)) s;
    // mean v/2, sd v/√12. The 120 s timeout (_DEFAULT_DEADLINE = 60.0 *
    // 2.0) is the deadline; attempts are not limited.
    let s = strategy("google-api-core");
    for (n, v) in [(0u32, S), (2, 4 * S), (5, 32 * S), (6, 60 * S), (9, 60 * S)] {
        let (mean, _, hi, _) = draws(&s.backoff, n, N, 60 + u64::from(n));
        let vf = v as f64;
        assert!(hi <= v, "n={n}: {hi}");
        assert!(
            mean_ok(mean, vf / 2.0, vf / 12f64.sqrt()),
            "n={n}: mean {mean}"
        );
    }
    assert_eq!(s.deadline, Some(120 * S));
    // No limit: backsim's largest max_attempts.
    assert_eq!(s.max_attempts, 1_000_000);
    // if_transient_error: 500, 429, 503; not 529, timeouts or 409.
    assert_eq!(s.retry_on.names(), ["429", "500", "503"]);
    assert!(!s.honor_retry_after && s.guards.is_empty());
    let mut rng = Pcg64::seed_from_u64(69);
    let mut st = s.backoff.initial_state();
    assert_eq!(
        s.decide(Failure::Timeout, 1, 0, 0, &mut st, &mut rng),
        Decision::GiveUp(GiveUp::NotRetryable)
    );
}

#[test]
fn azure_core_retries_a_post_at_once_then_after_1_6_s_and_honours_retry_after() {
    // retry_backoff_factor 0.8, exponential: 0 while the history holds one
    // error, then 0.8 · 2^(errors − 1) s; BACKOFF_MAX 120.
    let s = strategy("azure-core");
    let mut rng = Pcg64::seed_from_u64(70);
    let mut st = s.backoff.initial_state();
    let d: Vec<u64> = (0..9)
        .map(|n| s.backoff.delay(n, &mut st, &mut rng))
        .collect();
    assert_eq!(
        d,
        [
            0,
            1_600 * MS,
            3_200 * MS,
            6_400 * MS,
            12_800 * MS,
            25_600 * MS,
            51_200 * MS,
            102_400 * MS,
            120 * S
        ]
    );
    // retry_status 3: four attempts; timeout 604800 s in all.
    assert_eq!(s.max_attempts, 4);
    assert_eq!(s.deadline, Some(604_800 * S));
    assert_eq!(s.timeout, None);
    // A POST: 500, 503 (and 504, which backsim counts as 503), 429 with a
    // Retry-After; no timeouts, no 409, no 529.
    assert_eq!(s.retry_on.names(), ["429", "500", "503"]);
    // Retry-After of any answer, however long; 0 is falsy: the backoff.
    assert!(s.honor_retry_after);
    assert_eq!(s.retry_after_on, RetryOn::ALL);
    assert_eq!(s.max_retry_after, None);
    assert_eq!(s.zero_retry_after, ZeroRetryAfter::Backoff);
    let mut st = s.backoff.initial_state();
    let ra = |secs: u64| Failure::RateLimited {
        retry_after: Some(secs * S),
    };
    assert_eq!(
        s.decide(ra(300), 1, 0, 0, &mut st, &mut rng),
        Decision::Retry { delay: 300 * S }
    );
    assert_eq!(
        s.decide(ra(0), 1, 0, 0, &mut st, &mut rng),
        Decision::Retry { delay: 0 }
    );
    for f in [Failure::Timeout, Failure::Conflict, Failure::server(529)] {
        assert_eq!(
            s.decide(f, 1, 0, 0, &mut st, &mut rng),
            Decision::GiveUp(GiveUp::NotRetryable),
            "{f:?}"
        );
    }
    assert!(s.guards.is_empty());
}

#[test]
fn vercel_ai_sdk_waits_2_then_4_s_and_retry_after_under_a_minute() {
    // initialDelayInMs 2000, backoffFactor 2, maxRetries 2.
    let s = strategy("vercel-ai-sdk");
    let mut rng = Pcg64::seed_from_u64(80);
    let mut st = s.backoff.initial_state();
    let d: Vec<u64> = (0..4)
        .map(|n| s.backoff.delay(n, &mut st, &mut rng))
        .collect();
    assert_eq!(d, [2 * S, 4 * S, 8 * S, 16 * S]);
    assert_eq!(s.max_attempts, 3);
    assert_eq!(s.backoff.cap(), None);
    // isRetryable: 408, 409, 429, >= 500; an abort (timeout) is not.
    assert_eq!(s.retry_on.names(), ["429", "5xx", "409"]);
    // 0 <= ms < 60 * 1000: 0 at once, 59.999999999 s honoured, 60 s not
    // (the first backoff delay, 2 s, instead); a 503's counts as a 429's.
    let ra = |ns: u64| Failure::RateLimited {
        retry_after: Some(ns),
    };
    let mut decide = |f: Failure| {
        let mut st = s.backoff.initial_state();
        s.decide(f, 1, 0, 0, &mut st, &mut rng)
    };
    assert_eq!(decide(ra(0)), Decision::Retry { delay: 0 });
    assert_eq!(
        decide(ra(60 * S - 1)),
        Decision::Retry { delay: 60 * S - 1 }
    );
    assert_eq!(decide(ra(60 * S)), Decision::Retry { delay: 2 * S });
    assert_eq!(
        decide(Failure::ServerError {
            status: 503,
            retry_after: Some(7 * S)
        }),
        Decision::Retry { delay: 7 * S }
    );
    assert_eq!(
        decide(Failure::Timeout),
        Decision::GiveUp(GiveUp::NotRetryable)
    );
    assert!(s.guards.is_empty());
}

/// LangChain's `with_retry()`.
#[test]
fn langchain_with_retry_is_tenacity_wait_exponential_jitter_defaults() {
    // RunnableRetry: stop_after_attempt(3); wait_exponential_jitter() with
    // initial 1, exp_base 2, jitter 1, max MAX_WAIT (no cap);
    // retry_if_exception_type((Exception,)): every failure, Retry-After
    // not read, no timeout, no guard.
    let s = strategy("langchain-with-retry");
    assert_eq!(
        s.backoff,
        Backoff::Additive {
            base: S,
            cap: None,
            multiplier: 2.0,
            jitter: 1.0
        }
    );
    assert_eq!(s.max_attempts, 3);
    assert_eq!(s.retry_on, RetryOn::ALL);
    assert!(!s.honor_retry_after && s.guards.is_empty());
    assert_eq!((s.timeout, s.deadline), (None, None));
    // Its two waits: 1 s + U(0, 1 s) and 2 s + U(0, 1 s); each band is
    // used to within 1 % at both ends (as in the openai test above).
    for (n, v) in [(0u32, S), (1, 2 * S)] {
        let (mean, lo, hi, _) = draws(&s.backoff, n, N, 50 + u64::from(n));
        assert!(lo >= v && hi <= v + S, "n={n}: [{lo}, {hi}]");
        assert!(lo < v + 10 * MS && hi > v + 990 * MS);
        let sf = S as f64;
        assert!(
            mean_ok(mean, v as f64 + 0.5 * sf, sf / 12f64.sqrt()),
            "n={n}: mean {mean}"
        );
    }
}

#[test]
fn langchain_stacks_wrap_the_sdk_layer_as_the_chat_models_configure_it() {
    // ChatOpenAI leaves max_retries unset (the SDK's 2 retries) on openai
    // >= 2.52; ChatAnthropic passes max_retries = 2.
    for (name, inner) in [
        ("langchain-openai", "openai-python-2.52"),
        ("langchain-anthropic", "anthropic-sdk-python"),
    ] {
        let p = find(name).unwrap();
        assert!(p.is_stack());
        assert_eq!(p.layer_names(), ["langchain-with-retry", inner]);
        let s = p.strategy();
        let layers: Vec<&Strategy> = s.layers().collect();
        assert_eq!(layers[0].backoff, strategy("langchain-with-retry").backoff);
        assert_eq!(layers[1].backoff, strategy(inner).backoff);
        let attempts: Vec<u32> = layers.iter().map(|l| l.max_attempts).collect();
        assert_eq!(attempts, [3, 3], "{name}");
        assert_eq!(layers[1].timeout, None);
    }
}

#[test]
fn litellm_router_waits_below_three_eighths_of_a_second_or_the_retry_after() {
    // _calculate_retry_after: min(0.5 s · 2^k, 8 s) · 0.75 · random() with
    // k = num_retries − remaining_retries = 0 before both retries of the
    // default num_retries = openai.DEFAULT_MAX_RETRIES = 2: U(0, 0.375 s),
    // mean 0.1875 s, sd 0.375/√12 s.
    let s = strategy("litellm-router");
    assert_eq!(s.max_attempts, 3);
    for n in [0u32, 1] {
        let (mean, lo, hi, _) = draws(&s.backoff, n, N, 60 + u64::from(n));
        assert!(hi <= 375 * MS && hi > 371 * MS && lo < 4 * MS, "n={n}");
        let v = 0.375 * S as f64;
        assert!(mean_ok(mean, v / 2.0, v / 12f64.sqrt()), "n={n}: {mean}");
    }
    // Retry-After `0 < ra <= 60` of any failure with headers, else backoff.
    assert_eq!(s.retry_on, RetryOn::ALL);
    assert_eq!(s.retry_after_on, RetryOn::ALL);
    assert!(s.honor_retry_after && s.guards.is_empty());
    assert_eq!(s.max_retry_after, Some(60 * S));
    assert_eq!(s.above_max_retry_after, AboveMax::Backoff);
    assert_eq!(s.zero_retry_after, ZeroRetryAfter::Backoff);
    let mut rng = Pcg64::seed_from_u64(61);
    let mut st = s.backoff.initial_state();
    let ra = |secs: u64| Failure::ServerError {
        status: 503,
        retry_after: Some(secs * S),
    };
    assert_eq!(
        s.decide(ra(60), 1, 0, 0, &mut st, &mut rng),
        Decision::Retry { delay: 60 * S }
    );
    match s.decide(ra(61), 1, 0, 0, &mut st, &mut rng) {
        Decision::Retry { delay } => assert!(delay <= 375 * MS),
        other => panic!("{other:?}"),
    }
    // The Router sets the SDK's max_retries to 0: its stack is the router's
    // 3 attempts around 1.
    let p = find("litellm-router-openai").unwrap();
    assert_eq!(
        p.layer_names(),
        ["litellm-router", "openai-python-no-retries"]
    );
    let attempts: Vec<u32> = p.strategy().layers().map(|l| l.max_attempts).collect();
    assert_eq!(attempts, [3, 1]);
    let sdk = strategy("openai-python-no-retries");
    assert_eq!(sdk.max_attempts, 1);
    assert!(!find("openai-python-no-retries").unwrap().is_stack());
}

/// grpc-go without a retry policy: `csAttempt.shouldRetry` returns false
/// when the method has none, so every failure ends the call.
#[test]
fn grpc_go_makes_one_attempt_without_a_retry_policy() {
    let s = strategy("grpc-go");
    assert_eq!(s.max_attempts, 1);
    assert!(s.guards.is_empty() && !s.honor_retry_after);
}
