//! Retry guards and presets through scenario files and the engine: exact
//! load amplification when every attempt fails, gRPC throttling on both
//! sides of its failure-rate threshold, the shipped failure-spike
//! scenario, and the scenario syntax of presets and guards.

use crate::common::{crate_dir, folder, load, parse, parse_err};
use backsim::engine::simulate;
use backsim::metrics::run::RunMetrics;
use backsim::policy::preset;
use backsim::random::RunSeeds;
use backsim::scenario::Scenario;

/// A closed loop of `clients` clients, each sending `requests` requests one
/// after the other (10 ms apart) to a server that answers every attempt
/// with a 500 after 10 ms; no limiter, no network delay.
fn always_failing(strategy: &str, clients: u32, requests: u32) -> Scenario {
    with_error_rate(strategy, clients, requests, 1.0, 1)
}

fn with_error_rate(strategy: &str, clients: u32, requests: u32, f: f64, seed: u64) -> Scenario {
    parse(
        &format!(
            r#"
name = "guarded"
seed = {seed}
replications = 1
horizon = "1h"

[workload]
kind = "closed"
clients = {clients}
requests_per_client = {requests}
think_time = "10ms"

[server]
latency = "10ms"
error_rate = {f}

[[strategy]]
name = "s"
backoff = {{ kind = "none" }}
{strategy}
"#
        ),
        "guarded",
    )
}

fn run(s: &Scenario) -> RunMetrics {
    let m = simulate(s, 0, RunSeeds::new(s.seed, 0, 0, &s.strategies[0].name));
    assert_eq!(
        m.counts.unfinished, 0,
        "every request ends well before the horizon"
    );
    m
}

const C: u64 = 10;
const R: u64 = 200;

#[test]
fn without_a_guard_every_request_makes_max_attempts() {
    // max_attempts = 1 + N with N = 3: every request fails 4 times.
    let m = run(&always_failing("max_attempts = 4", C as u32, R as u32));
    assert_eq!(m.counts.requests, C * R);
    assert_eq!(m.counts.attempts, 4 * C * R);
    assert_eq!((m.counts.succeeded, m.counts.gave_up), (0, C * R));
    assert_eq!((m.counts.retries_denied, m.counts.local_rejections), (0, 0));
}

#[test]
fn client_bucket_at_total_failure_allows_its_initial_tokens_and_a_tenth_per_request() {
    // Per client, tokens T (size 5, initial 5, +0.1 per first try, a
    // retry costs 1), max_attempts 4 (3 retries wanted per request):
    // - request 1: T = min(5 + 0.1, 5) = 5 → 3 retries → T = 2; it then
    //   stops at max_attempts (the budget is not asked);
    // - request 2: T = 2.1 → 2 retries → 0.1, third retry denied;
    // - request j ≥ 3: T = 0.1 + 0.1·(j − 2) reaches 1 at j = 11 → 1 retry
    //   → 0, so requests 11, 21, …, 191 make one retry each (19 of them
    //   for R = 200), every other one none; each of requests 2..R is denied
    //   exactly once.
    // Retries per client: 3 + 2 + 19 = 24; attempts C·(R + 24) = 2,240,
    // 1.12 per request; denied C·(R − 1) = 1,990.
    let m = run(&always_failing(
        "max_attempts = 4\nbudget = { kind = \"client_bucket\", size = 5, deposit = 0.1, initial = 5 }",
        C as u32,
        R as u32,
    ));
    assert_eq!(m.counts.requests, C * R);
    assert_eq!(m.counts.attempts, C * (R + 3 + 2 + (R - 1) / 10));
    assert_eq!(m.counts.attempts, 2_240);
    assert_eq!(m.counts.retries_denied, C * (R - 1));
    assert_eq!(m.counts.gave_up, C * R);
}

#[test]
fn grpc_throttling_at_total_failure_retries_until_tokens_reach_half() {
    // Tokens start at 10; each failure (all retryable) takes 1; a retry
    // goes only while tokens > 5. Failures 1..4 leave 9, 8, 7, 6 → retry;
    // failure 5 leaves 5 → denied; every later failure is denied.
    // max_attempts 10: request 1 makes 5 attempts (4 retries) and is
    // denied; requests 2..R make 1 and are denied: attempts C·(R + 4),
    // denied C·R.
    let grpc = "budget = { kind = \"grpc\", max_tokens = 10, token_ratio = 0.1 }";
    let m = run(&always_failing(
        &format!("max_attempts = 10\n{grpc}"),
        C as u32,
        R as u32,
    ));
    assert_eq!(m.counts.attempts, C * (R + 4));
    assert_eq!(m.counts.retries_denied, C * R);
    // max_attempts 4: request 1 stops at 4 attempts (tokens 6, not asked);
    // request 2's failure leaves 5 → denied: attempts C·(R + 3), denied
    // C·(R − 1).
    let m = run(&always_failing(
        &format!("max_attempts = 4\n{grpc}"),
        C as u32,
        R as u32,
    ));
    assert_eq!(m.counts.attempts, C * (R + 3));
    assert_eq!(m.counts.retries_denied, C * (R - 1));
}

#[test]
fn aws_quota_at_total_failure_allows_capacity_over_cost_retries() {
    // 500 tokens, 5 per retry, no success ever refunds: 100 retries per
    // client. max_attempts 4: requests 1..33 make 3 retries each (99),
    // request 34 one more (quota 0) and is then denied, requests 35..R are
    // denied at once. Attempts C·(R + 100) = 3,000 (1.5 per request),
    // denied C·(1 + R − 34) = 1,670.
    let m = run(&always_failing(
        "max_attempts = 4\nbudget = { kind = \"aws_quota\" }",
        C as u32,
        R as u32,
    ));
    assert_eq!(m.counts.attempts, C * (R + 100));
    assert_eq!(m.counts.retries_denied, C * (R - 33));
}

#[test]
fn percent_budget_at_total_failure_allows_a_fifth_of_first_tries() {
    // 20 % of first tries, no reserve, a window (1 h) longer than the run
    // (R requests of at most 4 × 10 ms + 10 ms each: 10 s): every 5th
    // request finds 5 × 0.2 = 1 and makes one retry. Every request is
    // denied exactly once. Attempts C·(R + R/5), denied C·R.
    let m = run(&always_failing(
        "max_attempts = 4\nbudget = { kind = \"percent\", percent = 0.2, min_per_s = 0, ttl = \"1h\" }",
        C as u32,
        R as u32,
    ));
    assert_eq!(m.counts.attempts, C * (R + R / 5));
    assert_eq!(m.counts.retries_denied, C * R);
}

#[test]
fn breaker_cycles_open_and_half_open_at_total_failure() {
    // One attempt per request (no retries), 100 ms service, 100 ms think
    // time, so a client's request k starts at 0.2·(k − 1) s. Breaker over
    // every attempt: ≥ 5 outcomes, ≥ 50 % failed, open 1 s, one probe.
    // - Requests 1..5 fail at 0.1, 0.3, …, 0.9 s: it opens at 0.9 until 1.9.
    // - Requests 6..14 start at 1.0, 1.1, …, 1.8 s: rejected locally.
    // - Request 15 at 1.9 s is the half-open probe; it fails at 2.0 s:
    //   open until 3.0 s. The cycle (9 rejections, 1 probe) repeats:
    //   probes at 1.9, 3.0, 4.1 s for R = 5 + 3·10 = 35 requests.
    // Per client: attempts 5 + 3 = 8, local rejections 27, four openings
    // of 1 s, all over before the run ends (the last attempt's 2 s timer
    // fires at 6.1 s > 5.2 s): breaker_open = 4 s.
    let src = r#"
name = "breaker-cycle"
seed = 1
replications = 1
horizon = "1h"

[workload]
kind = "closed"
clients = 2
requests_per_client = 35
think_time = "100ms"

[server]
latency = "100ms"
error_rate = 1.0

[client]
timeout = "2s"

[[strategy]]
name = "breaker"
backoff = { kind = "none" }
max_attempts = 1
breaker = { scope = "all", failure_ratio = 0.5, window = "10s", min_volume = 5, open_for = "1s", probes = 1 }
"#;
    let m = run(&parse(src, "breaker-cycle"));
    assert_eq!(m.counts.requests, 70);
    assert_eq!(m.counts.attempts, 2 * 8);
    assert_eq!(m.counts.local_rejections, 2 * 27);
    assert_eq!(m.counts.gave_up, 70);
    assert_eq!(m.counts.retries_denied, 0);
    // Mean over the two clients.
    assert_eq!(m.counts.breaker_open_ns, 4_000_000_000);
}

#[test]
fn a_breaker_open_at_the_end_counts_until_the_last_client_timer() {
    // One client replays two requests, at 0 s and 1 s; each attempt is
    // served for 2 s and fails (no retries), so the second starts while
    // the first is in service and takes a second request slot. The
    // breaker opens at the second failure, 3 s, for an hour. Every
    // request has ended at 3 s, but each slot's 10 s timer is still
    // queued, due at 10 s and 11 s; neither fires, yet the run reaches
    // the last one's time: the breaker was open 11 − 3 = 8 s (7 s if the
    // run ended at the first timer).
    let scenario = r#"
name = "breaker-open-at-end"
seed = 1
replications = 1
horizon = "1h"

[workload]
kind = "trace"
file = "trace.csv"
clients = 1

[server]
latency = "2s"
error_rate = 1.0

[client]
timeout = "10s"

[[strategy]]
name = "breaker"
backoff = { kind = "none" }
max_attempts = 1
breaker = { scope = "all", failure_ratio = 0.5, window = "10s", min_volume = 2, open_for = "1h", probes = 1 }
"#;
    let dir = folder(&[
        (
            "trace.csv",
            "t_s,input_tokens,output_tokens\n0,100,100\n1,100,100\n",
        ),
        ("breaker-open-at-end.toml", scenario),
    ]);
    let m = run(&load(&dir.path().join("breaker-open-at-end.toml")));
    assert_eq!(m.counts.requests, 2);
    assert_eq!(m.counts.gave_up, 2);
    assert_eq!(m.counts.timeouts, 0);
    assert_eq!(m.counts.breaker_open_ns, 8_000_000_000);
}

#[test]
fn grpc_throttling_keeps_retries_below_its_threshold_failure_rate() {
    // Below f* = ratio/(1 + ratio) = 0.1/1.1 ≈ 0.091 tokens drift up (per
    // attempt +0.1·(1 − f) − f = +0.078 at f = 0.02) and stay near 10, far
    // from 5 (losing 5 tokens needs ≥ 5 failures within a few dozen
    // attempts, probability ~1e-7 each time). Retries then flow as without
    // a guard: attempts per request A = 1 + B1 + B1·B2 + B1·B2·B3 with
    // Bi ~ Bernoulli(f): E[A] = 1 + f + f² + f³ = 1.020408 at f = 0.02, and
    // Var[A] = E[A²] − E[A]² = 0.98 + 4·0.0196 + 9·0.000392 + 16·0.000008 −
    // 1.020408² = 0.020824. Over 100,000 requests the standard error is
    // √(0.020824/1e5) = 0.00046; allow 4 of them.
    let grpc = "max_attempts = 4\nbudget = { kind = \"grpc\", max_tokens = 10, token_ratio = 0.1 }";
    let f = 0.02;
    let m = run(&with_error_rate(grpc, 100, 1_000, f, 11));
    assert_eq!(m.counts.requests, 100_000);
    let a = m.counts.attempts as f64 / m.counts.requests as f64;
    let expected = 1.0 + f + f * f + f * f * f;
    assert!((a - expected).abs() < 4.0 * 0.00046, "{a} vs {expected}");
    assert!(
        m.counts.retries_denied <= m.counts.requests / 1_000,
        "{}",
        m.counts.retries_denied
    );
}

/// Retries per client under gRPC throttling (max 10, ratio 0.1, at most 3
/// retries per request) when each attempt fails with probability `f`:
/// (mean, standard deviation) over `clients` clients of `requests` each.
fn reference_grpc_retries(f: f64, requests: u64, clients: u32) -> (f64, f64) {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_pcg::Pcg64::seed_from_u64(99);
    let counts: Vec<f64> = (0..clients)
        .map(|_| {
            // Tokens in millionths, as the guard keeps them.
            let (mut tokens, mut retries) = (10_000_000i64, 0u32);
            for _ in 0..requests {
                let mut attempts = 1;
                loop {
                    if rng.random::<f64>() >= f {
                        tokens = (tokens + 100_000).min(10_000_000);
                        break;
                    }
                    tokens = (tokens - 1_000_000).max(0);
                    if attempts == 4 || 2 * tokens <= 10_000_000 {
                        break;
                    }
                    attempts += 1;
                    retries += 1;
                }
            }
            f64::from(retries)
        })
        .collect();
    let n = counts.len() as f64;
    let mean = counts.iter().sum::<f64>() / n;
    let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

#[test]
fn grpc_throttling_stops_retries_above_its_threshold_failure_rate() {
    // At f = 0.3 > 0.091 tokens drift down (0.1·0.7 − 0.3 = −0.23 per
    // attempt). Retries come only from the initial surplus: starting at 10,
    // the failures before tokens first reach ≤ 5 number about 5/(1 −
    // 0.1·0.7/0.3) ≈ 6.5, each but the last allowing a retry: ≈ 5.5
    // retries per client. Climbing back above 5 from near 0 needs some 50
    // successes more than 10 × the failures, hopeless against the drift.
    // Without a guard the same clients would make 1 + 0.3 + 0.09 + 0.027
    // = 1.417 attempts per request.
    let grpc = "max_attempts = 4\nbudget = { kind = \"grpc\", max_tokens = 10, token_ratio = 0.1 }";
    let (clients, requests) = (100u64, 500u64);
    let m = run(&with_error_rate(
        grpc,
        clients as u32,
        requests as u32,
        0.3,
        12,
    ));
    let retries_per_client = (m.counts.attempts - m.counts.requests) as f64 / clients as f64;
    // The same token rule played out on its own (no engine: one client's
    // requests in order, each attempt failing with probability f) for
    // 20,000 clients gives the expected retries per client and their
    // spread (≈ 5.7 and ≈ 0.9); the engine's mean over 100 clients must be
    // within 4 standard errors of it.
    let (mean, sd) = reference_grpc_retries(0.3, requests, 20_000);
    assert!((4.5..=7.0).contains(&mean), "reference {mean}");
    let se = (sd * sd / clients as f64 + sd * sd / 20_000.0).sqrt();
    assert!(
        (retries_per_client - mean).abs() < 4.0 * se,
        "{retries_per_client} vs {mean} ± {se}"
    );
    let a = m.counts.attempts as f64 / m.counts.requests as f64;
    assert!(a < 1.02, "{a}");
    // Most failed requests were denied their retry: ≈ 0.3 per request.
    let denied = m.counts.retries_denied as f64 / m.counts.requests as f64;
    assert!((denied - 0.3).abs() < 0.01, "{denied}");

    let plain = run(&with_error_rate("max_attempts = 4", 100, 500, 0.3, 12));
    let a_plain = plain.counts.attempts as f64 / plain.counts.requests as f64;
    // Var[A] = 0.7 + 4·0.21 + 9·0.063 + 16·0.027 − 1.417² = 0.531: the SE
    // of the mean over 50,000 requests is √(0.531/5e4) = 0.0033.
    assert!((a_plain - 1.417).abs() < 4.0 * 0.0033, "{a_plain}");
}

#[test]
fn failure_spike_guards_cut_load_amplification() {
    let scenario = load(&crate_dir().join("scenarios/failure-spike.toml"));
    let result = backsim::experiment::run(&scenario, 0).expect("run");
    let summary = |name: &str| {
        result
            .strategies
            .iter()
            .map(|s| &s.summary)
            .find(|s| s.strategy == name)
            .unwrap_or_else(|| panic!("no strategy {name}"))
    };
    let plain = summary("3-retries");
    // During the spike plain retries make 1.875 attempts per request;
    // outside it none fail: a mean well above 1.
    assert!(
        plain.attempts_per_request > 1.1,
        "{}",
        plain.attempts_per_request
    );
    let mut guarded = 0;
    for (st, res) in scenario.strategies.iter().zip(&result.strategies) {
        let s = &res.summary;
        if st.guards.is_empty() {
            assert_eq!(s.retries_denied, 0.0, "{}", st.name);
            assert_eq!(s.local_rejections, 0.0, "{}", st.name);
            continue;
        }
        guarded += 1;
        assert!(
            s.attempts_per_request < plain.attempts_per_request,
            "{}: {} vs {}",
            st.name,
            s.attempts_per_request,
            plain.attempts_per_request
        );
        if st.guards.budget.is_some() {
            assert!(s.retries_denied > 0.0, "{}", st.name);
        }
    }
    // At least the budgets, breaker and throttle written out by hand and
    // the two presets with a budget are checked (the file may grow).
    for name in [
        "3-retries+aws-quota",
        "3-retries+grpc-throttling",
        "3-retries+percent-budget",
        "3-retries+client-bucket",
        "3-retries+retry-breaker",
        "3-retries+sre-throttle",
        "botocore-standard",
        "grpc-example",
    ] {
        let st = scenario.strategies.iter().find(|s| s.name == name).unwrap();
        assert!(!st.guards.is_empty(), "{name}");
    }
    assert!(guarded >= 8, "{guarded}");
    assert!(summary("3-retries+retry-breaker").breaker_open_s > 0.0);
    assert!(summary("3-retries+retry-breaker").retries_denied > 0.0);
}

// -------------------------------------------------------------- syntax

#[test]
fn a_preset_alone_is_a_whole_strategy() {
    let s = parse("[[strategy]]\npreset = \"openai-python\"\n", "p");
    let p = preset::find("openai-python").unwrap().strategy();
    assert_eq!(s.strategies[0].name, "openai-python");
    assert_eq!(s.strategies[0], p);

    // Any field can be overridden; the rest stays the preset's.
    let s = parse(
        "[[strategy]]\npreset = \"openai-python\"\nname = \"five\"\nmax_attempts = 5\n",
        "p",
    );
    let mut want = p.clone();
    want.name = "five".into();
    want.max_attempts = 5;
    assert_eq!(s.strategies[0], want);

    // `kind = "none"` drops a preset's guard.
    let s = parse(
        "[[strategy]]\npreset = \"botocore-standard\"\nbudget = { kind = \"none\" }\n",
        "p",
    );
    let st = &s.strategies[0];
    assert_eq!(st.name, "botocore-standard");
    assert!(st.guards.is_empty());
    let mut want = preset::find("botocore-standard").unwrap().strategy();
    want.guards.budget = None;
    assert_eq!(*st, want);
}

#[test]
fn bad_presets_and_guards_are_errors_naming_the_key() {
    let e = parse_err("[[strategy]]\npreset = \"openai\"\n");
    assert!(
        e.contains("strategy[0].preset: unknown value \"openai\"")
            && e.contains("\"openai-python\""),
        "{e}"
    );
    let e = parse_err(
        "[[strategy]]\nname = \"a\"\nbackoff = { kind = \"none\" }\nbudget = { kind = \"bogus\" }\n",
    );
    assert!(
        e.contains("strategy[0].budget.kind: unknown value \"bogus\"")
            && e.contains("\"aws_quota\""),
        "{e}"
    );
    let e = parse_err(
        "[[strategy]]\nname = \"a\"\nbackoff = { kind = \"none\" }\nbudget = { kind = \"grpc\", capacity = 5 }\n",
    );
    assert!(
        e.contains("strategy[0].budget.capacity: is not used by kind = \"grpc\""),
        "{e}"
    );
    let e = parse_err(
        "[[strategy]]\nname = \"a\"\nbackoff = { kind = \"none\" }\nthrottle = { kind = \"sre\", beta = 0.5 }\n",
    );
    assert!(
        e.contains("strategy[0].throttle.beta: is not used by kind = \"sre\""),
        "{e}"
    );
    let e = parse_err("[[strategy]]\nbackoff = { kind = \"none\" }\n");
    assert!(e.contains("strategy[0].name: missing"), "{e}");
    // Tokens are held in millionths: a positive amount below one is refused
    // rather than run as 0.
    let e = parse_err(
        "[[strategy]]\nname = \"a\"\nbackoff = { kind = \"none\" }\nbudget = { kind = \"grpc\", token_ratio = 0.0000001 }\n",
    );
    assert!(
        e.contains("strategy[0].budget.token_ratio: must be at least 0.000001"),
        "{e}"
    );
    // Turning Retry-After off over a preset makes its handling keys moot.
    let e = parse_err(
        "[[strategy]]\npreset = \"openai-python-2.52\"\nhonor_retry_after = false\nabove_max_retry_after = \"give_up\"\n",
    );
    assert!(
        e.contains(
            "strategy[0].above_max_retry_after: has no effect unless honor_retry_after = true"
        ),
        "{e}"
    );
    // One problem each, in file order, on the line that has it.
    let e = parse_err(
        "[[strategy]]\npreset = \"nope\"\n[[strategy]]\nname = \"b\"\nbackoff = { kind = \"none\" }\nbreaker = { scope = \"some\" }\n",
    );
    assert!(e.contains("bad.toml:2:"), "{e}");
    assert!(
        e.contains("bad.toml:6:") && e.contains("strategy[1].breaker.scope"),
        "{e}"
    );
}

#[test]
fn resolved_presets_and_dropped_guards_parse_back_to_themselves() {
    let src = r#"
[[strategy]]
preset = "openai-python"

[[strategy]]
preset = "botocore-standard"
name = "boto-no-quota"
budget = { kind = "none" }

[[strategy]]
preset = "botocore-adaptive"
throttle = { kind = "none" }

[[strategy]]
preset = "polly-http-standard"
breaker = { kind = "none" }
honor_retry_after = false

[[strategy]]
preset = "grpc-example"
max_attempts = 2
budget = { kind = "percent", percent = 0.1, min_per_s = 0.5, ttl = "30s" }

[[strategy]]
name = "custom"
backoff = { kind = "full_jitter", base = "100ms", cap = "2s" }
budget = { kind = "client_bucket", size = 3, deposit = 0.25, initial = 1 }
breaker = { scope = "retries", failure_ratio = 0.2, window = "10s", min_volume = 20, open_for = "5s", probes = 2 }
throttle = { kind = "sre", k = 1.5, window = "1m" }

[[strategy]]
preset = "openai-python-2.52"
name = "openai-quota"
budget = { kind = "aws_quota", capacity = 100, cost = 3 }
"#;
    let s = parse(src, "rt");
    let names: Vec<&str> = s.strategies.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "openai-python",
            "boto-no-quota",
            "botocore-adaptive",
            "polly-http-standard",
            "grpc-example",
            "custom",
            "openai-quota"
        ]
    );
    assert!(s.strategies[1].guards.is_empty());
    assert_eq!(s.strategies[2].guards.throttle, None);
    assert!(s.strategies[2].guards.budget.is_some());
    assert_eq!(s.strategies[3].guards.breaker, None);
    assert_eq!(s.strategies[3].max_retry_after, None);
    let text = s.to_toml();
    let again = parse(&text, "rt");
    assert_eq!(s, again, "{text}");
    assert_eq!(text, again.to_toml());
}
