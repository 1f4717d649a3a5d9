//! Statistical laws (docs/model.md §6): N retries against independent failures
//! with probability f give attempts per request = 1 + f + … + f^N and
//! success = 1 − f^(N+1).
//!
//! Set-up: no limiter, unlimited server, zero latency, zero network, zero
//! backoff (`kind = "none"`), `max_attempts = N + 1`, and every attempt the
//! server serves fails with probability f (`error_rate`), independently.
//! All 100,000 clients of each replication start at t = 0 and everything
//! happens at t = 0, so the 1 s horizon cuts nothing (client timers at
//! 600 s are never reached). Two replications: n = 200,000 requests.
//!
//! The number of attempts A of one request is min(G, N+1) with G geometric:
//! P(A = k) = (1 − f) f^(k−1) for k ≤ N and P(A = N+1) = f^N.
//! Standard errors for n = 200,000 (sd / √n, √n = 447.2):
//!
//! f = 0.3, N = 3: E[A] = 1 + 0.3 + 0.09 + 0.027 = 1.417;
//!   E[A²] = 0.7·1 + 0.21·4 + 0.063·9 + 0.027·16 = 2.539,
//!   Var A = 2.539 − 1.417² = 0.5311, sd 0.7288, SE 0.00163;
//!   1% of 1.417 = 0.01417 ≈ 8.7 SE.
//!   success p = 1 − 0.3⁴ = 0.9919, sd √(p(1−p)) = 0.0896, SE 0.000200;
//!   1% of 0.9919 = 0.0099 ≈ 49 SE.
//! f = 0.5, N = 2: E[A] = 1 + 0.5 + 0.25 = 1.75;
//!   E[A²] = 0.5·1 + 0.25·4 + 0.25·9 = 3.75, Var A = 3.75 − 3.0625 = 0.6875,
//!   sd 0.829, SE 0.00185; 1% of 1.75 = 0.0175 ≈ 9.4 SE.
//!   success p = 1 − 0.5³ = 0.875, sd 0.331, SE 0.00074;
//!   1% of 0.875 = 0.00875 ≈ 11.8 SE.
//! f = 0.3, N = 0 (no retries): E[A] = 1 exactly; p = 0.7, SE 0.00102.
//!
//! So the 1% tolerance is many standard errors wide; the tests also check
//! the tighter 5-SE band, and each P(A = k) within 5 SE.

use crate::common::parse;

const CLIENTS_PER_REP: u64 = 100_000;
const REPLICATIONS: u64 = 2;
const N_REQUESTS: f64 = (CLIENTS_PER_REP * REPLICATIONS) as f64;

fn scenario_text(f: f64, max_attempts: &[u32]) -> String {
    let mut s = format!(
        r#"
name = "independent-failures"
seed = 2024
replications = {REPLICATIONS}
horizon = "1s"

[workload]
kind = "burst"
clients = {CLIENTS_PER_REP}

[server]
latency = "0s"
error_rate = {f}
"#
    );
    for m in max_attempts {
        s.push_str(&format!(
            "\n[[strategy]]\nname = \"retries-{}\"\nbackoff = {{ kind = \"none\" }}\nmax_attempts = {m}\n",
            m - 1
        ));
    }
    s
}

fn check(f: f64, retries: &[u32]) {
    let max_attempts: Vec<u32> = retries.iter().map(|n| n + 1).collect();
    let scenario = parse(&scenario_text(f, &max_attempts), "independent-failures");
    let result = backsim::experiment::run(&scenario, 2).expect("run");
    for (s, &n) in result.strategies.iter().zip(retries) {
        let s = &s.summary;
        let n = n as i32;
        assert_eq!(s.requests, CLIENTS_PER_REP as f64, "{}", s.strategy);
        assert_eq!(s.unfinished, 0.0, "{}", s.strategy);
        assert_eq!(s.rejected_429, 0.0);
        assert_eq!(s.timeouts, 0.0);

        // Expected values and standard errors, as derived above.
        let probs: Vec<f64> = (1..=n + 1)
            .map(|k| {
                if k <= n {
                    (1.0 - f) * f.powi(k - 1)
                } else {
                    f.powi(n)
                }
            })
            .collect();
        let mean_a: f64 = (0..=n).map(|k| f.powi(k)).sum();
        let mean_a2: f64 = probs
            .iter()
            .enumerate()
            .map(|(i, p)| p * ((i + 1) * (i + 1)) as f64)
            .sum();
        let se_a = ((mean_a2 - mean_a * mean_a).max(0.0) / N_REQUESTS).sqrt();
        let p = 1.0 - f.powi(n + 1);
        let se_p = (p * (1.0 - p) / N_REQUESTS).sqrt();

        let apr = s.attempts_per_request;
        let sr = s.success_rate;
        println!(
            "f = {f}, N = {n}: attempts/request {apr:.5} (expect {mean_a:.5}, SE {se_a:.5}), \
             success {sr:.5} (expect {p:.5}, SE {se_p:.5})"
        );
        assert!(
            (apr - mean_a).abs() <= 0.01 * mean_a,
            "f = {f}, N = {n}: attempts/request {apr} not within 1% of {mean_a}"
        );
        assert!(
            (sr - p).abs() <= 0.01 * p,
            "f = {f}, N = {n}: success {sr} not within 1% of {p}"
        );
        assert!(
            (apr - mean_a).abs() <= 5.0 * se_a + 1e-12,
            "f = {f}, N = {n}: attempts/request {apr} more than 5 SE ({se_a}) from {mean_a}"
        );
        assert!(
            (sr - p).abs() <= 5.0 * se_p,
            "f = {f}, N = {n}: success {sr} more than 5 SE ({se_p}) from {p}"
        );
        // Every attempt is a success or a 5xx: 5xx per request = E[A] − p.
        let errors_per_request = s.errors_5xx / s.requests;
        assert!(
            (errors_per_request - (apr - sr)).abs() < 1e-9,
            "{errors_per_request} vs {}",
            apr - sr
        );
        // The whole distribution of A, each share within 5 SE.
        let dist = &s.attempts_distribution;
        assert_eq!(dist.len(), n as usize + 2, "{dist:?}");
        for (k, &q) in probs.iter().enumerate() {
            let got = dist[k + 1];
            let se = (q * (1.0 - q) / N_REQUESTS).sqrt();
            assert!(
                (got - q).abs() <= 5.0 * se + 1e-12,
                "f = {f}, N = {n}: P(A = {}) = {got}, expected {q} ± 5·{se}",
                k + 1
            );
        }
    }
}

#[test]
fn retries_against_independent_failures_f03() {
    check(0.3, &[3, 0]);
}

#[test]
fn retries_against_independent_failures_f05() {
    check(0.5, &[2]);
}

/// M/M/c (docs/model.md §6: "with Poisson arrivals, exponential service and c
/// servers and no retries, waiting times follow Erlang C").
///
/// λ = 30/s, c = 4 servers, mean service 1/μ = 100 ms, so a = λ/μ = 3 and
/// ρ = a/c = 0.75. Erlang C:
///   Σ_{k<c} a^k/k! = 1 + 3 + 4.5 + 4.5 = 13;  a^c/c! · 1/(1−ρ) = 81/24 · 4 = 13.5;
///   C = 13.5 / (13 + 13.5) = 27/53 = 0.509434.
/// Mean wait W_q = C/(cμ − λ) = C/10 s; mean time in system (= time to
/// success, with zero network and no limiter) E[T] = 1/μ + W_q = 0.1509434 s.
/// Here cμ − λ = μ = θ = 10/s, so T's tail has the closed form
///   P(T > t) = e^{−θt} (1 + C θ t)
/// (W_q is 0 w.p. 1 − C and Exp(θ) otherwise; S ~ Exp(θ); and
/// Exp(θ) + Exp(θ) is Erlang-2). p50 and p90 solve P(T > t) = 0.5, 0.1.
///
/// 8 replications of 2,000 s of arrivals (~60,000 requests each). Tolerance:
/// 4 standard errors of the mean over replications (estimated from their
/// spread), and at most 3% off.
#[test]
fn mmc_queue_matches_erlang_c() {
    let text = r#"
name = "mmc"
seed = 99
replications = 8
horizon = "2100s"

[workload]
kind = "poisson"
clients = 1000
rate_per_s = 30.0
duration = "2000s"

[server]
concurrency = 4
latency = { dist = "exponential", mean = "100ms" }

[client]
timeout = "1h"

[[strategy]]
name = "no-retry"
backoff = { kind = "none" }
max_attempts = 1
"#;
    let scenario = parse(text, "mmc");
    let c_erlang = 27.0 / 53.0;
    let theta = 10.0;
    let mean_t = 0.1 + c_erlang / theta;
    let tail = |t: f64| (-theta * t).exp() * (1.0 + c_erlang * theta * t);
    let quantile = |p: f64| {
        // Solve tail(t) = 1 − p by bisection (tail is decreasing).
        let (mut lo, mut hi) = (0.0, 10.0);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if tail(mid) > 1.0 - p {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    };
    let reps = u64::from(scenario.replications);
    let runs: Vec<backsim::metrics::summary::RunSummary> = (0..reps)
        .map(|rep| {
            backsim::metrics::summary::RunSummary::new(backsim::engine::simulate(
                &scenario,
                0,
                backsim::random::RunSeeds::new(scenario.seed, 0, rep, "no-retry"),
            ))
        })
        .collect();
    let check = |what: &str, values: Vec<f64>, expect: f64| {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let se = (var / n).sqrt();
        println!("M/M/4 {what}: {mean:.5} s (expect {expect:.5}, SE {se:.5})");
        assert!(
            (mean - expect).abs() <= 4.0 * se,
            "{what}: {mean} more than 4 SE ({se}) from {expect}"
        );
        assert!(
            (mean - expect).abs() <= 0.03 * expect,
            "{what}: {mean} more than 3% from {expect}"
        );
    };
    for r in &runs {
        assert_eq!(
            r.counts.succeeded, r.counts.requests,
            "every request is served"
        );
    }
    let tts = |f: fn(&backsim::metrics::summary::TtsStats) -> f64| -> Vec<f64> {
        runs.iter()
            .map(|r| f(r.tts.as_ref().expect("successes")) / 1e9)
            .collect()
    };
    check("mean time in system", tts(|t| t.mean), mean_t);
    check("p50 time in system", tts(|t| t.p50 as f64), quantile(0.5));
    check("p90 time in system", tts(|t| t.p90 as f64), quantile(0.9));
    // Arrivals: Poisson(λT = 60,000) per replication, sd √60000 = 245;
    // the mean of 8 is within 4 · 245/√8 = 346 of 60,000.
    let mean_requests = runs.iter().map(|r| r.counts.requests as f64).sum::<f64>() / reps as f64;
    assert!(
        (mean_requests - 60_000.0).abs() <= 346.0,
        "{mean_requests} requests per replication"
    );
}
