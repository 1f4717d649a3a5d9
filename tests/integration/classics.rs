//! The published studies and the queueing theory backsim must reproduce
//! (README "Validation"): the AWS Architecture Blog's 2015 optimistic-
//! concurrency study, the 2022 retry-budget study, M/M/c waiting times
//! against Erlang C, and a metastable failure's dependence on its trigger.
//! Each runs the shipped scenario in `scenarios/classics/`, changed only in
//! the values the test names, with fixed seeds.

use crate::common::{crate_dir, parse, parse_err};
use backsim::engine::simulate;
use backsim::metrics::run::RunMetrics;
use backsim::random::RunSeeds;
use backsim::scenario::Scenario;

/// The classic scenario `name` with each `(from, to)` text replaced; every
/// `from` must occur exactly once.
fn classic(name: &str, changes: &[(&str, &str)]) -> Scenario {
    let path = crate_dir().join(format!("scenarios/classics/{name}.toml"));
    let mut text = std::fs::read_to_string(&path).expect("classic scenario");
    // The [sweep] table is for `backsim sweep`; a test runs single points.
    if let Some(i) = text.find("\n[sweep]") {
        text.truncate(i + 1);
    }
    for (from, to) in changes {
        assert_eq!(text.matches(from).count(), 1, "{name}: {from}");
        text = text.replace(from, to);
    }
    parse(&text, name)
}

/// Replication `rep` of strategy `name`.
fn run(s: &Scenario, name: &str, rep: u64) -> RunMetrics {
    let i = s
        .strategies
        .iter()
        .position(|st| st.name == name)
        .unwrap_or_else(|| panic!("no strategy {name}"));
    simulate(s, i, RunSeeds::new(s.seed, 0, rep, name))
}

/// The mean of `f` over replications 0..reps of strategy `name`.
fn mean(s: &Scenario, name: &str, reps: u64, f: impl Fn(&RunMetrics) -> f64) -> f64 {
    (0..reps).map(|rep| f(&run(s, name, rep))).sum::<f64>() / reps as f64
}

fn secs(ns: u64) -> f64 {
    ns as f64 / 1e9
}

// ------------------------------------------------- AWS 2015: OCC and jitter

/// Write calls (attempts) and completion time (the last client's time to
/// success) of one strategy with `clients` clients, means over 20
/// replications.
fn occ(clients: u32, strategy: &str) -> (f64, f64) {
    let s = classic(
        "aws-2015-occ",
        &[(
            "clients = 100                            # swept below",
            &format!("clients = {clients}"),
        )],
    );
    let reps = 20;
    let calls = mean(&s, strategy, reps, |m| {
        assert_eq!(
            m.counts.succeeded,
            u64::from(clients),
            "every client finishes"
        );
        m.counts.attempts as f64
    });
    let done = mean(&s, strategy, reps, |m| {
        secs(m.time_to_success.max().expect("successes"))
    });
    (calls, done)
}

const OCC_STRATEGIES: [&str; 5] = [
    "no-backoff",
    "exponential",
    "full-jitter",
    "equal-jitter",
    "decorrelated-jitter",
];

#[test]
fn aws_2015_occ_orders_the_schedules_as_the_study_did() {
    let at = |name| occ(100, name);
    let (none, none_t) = at("no-backoff");
    let (exp, exp_t) = at("exponential");
    let (full, full_t) = at("full-jitter");
    let (equal, equal_t) = at("equal-jitter");
    let (decorr, decorr_t) = at("decorrelated-jitter");
    let table = format!(
        "calls / completion s: none {none:.0}/{none_t:.2}, exponential {exp:.0}/{exp_t:.2}, \
         full {full:.0}/{full_t:.2}, equal {equal:.0}/{equal_t:.2}, decorrelated {decorr:.0}/{decorr_t:.2}"
    );
    // Full jitter makes at least 50% fewer write calls than plain
    // exponential backoff (the study: about 57% fewer at 100 clients).
    assert!(full <= 0.5 * exp, "{table}");
    // Equal jitter makes about as many calls as full jitter (within 15%)
    // but takes longer.
    assert!((equal / full - 1.0).abs() <= 0.15, "{table}");
    assert!(equal_t > full_t, "{table}");
    // Decorrelated jitter makes more calls than full jitter.
    assert!(decorr > full, "{table}");
    // No backoff makes the most calls; exponential without jitter takes by
    // far the longest (more than twice any other).
    for other in [exp, full, equal, decorr] {
        assert!(none > other, "{table}");
    }
    for other in [none_t, full_t, equal_t, decorr_t] {
        assert!(exp_t > 2.0 * other, "{table}");
    }
}

#[test]
fn aws_2015_occ_calls_grow_faster_than_the_clients() {
    // Calls per client rise from 10 to 100 to 190 clients for every
    // schedule: total calls grow faster than linearly.
    for name in OCC_STRATEGIES {
        let per_client: Vec<f64> = [10, 100, 190]
            .iter()
            .map(|&n| occ(n, name).0 / f64::from(n))
            .collect();
        assert!(
            per_client[0] < per_client[1] && per_client[1] < per_client[2],
            "{name}: calls per client {per_client:?}"
        );
    }
}

// ---------------------------------------- 2022 retry budgets (Brooker)

#[test]
fn retry_budgets_2022_load_and_success_follow_the_formulas() {
    for f in [0.0, 0.1, 0.2, 0.3, 0.4, 0.5] {
        let s = classic(
            "retry-budgets-2022",
            &[(
                "error_rate = 0.1                         # f: swept below",
                &format!("error_rate = {f}"),
            )],
        );
        let reps = 3;
        let load = |name| {
            mean(&s, name, reps, |m| {
                m.counts.attempts as f64 / m.counts.requests as f64
            })
        };
        let success = |name| {
            mean(&s, name, reps, |m| {
                m.counts.succeeded as f64 / m.counts.requests as f64
            })
        };
        // 3 retries against independent failures: 1 + f + f² + f³ calls
        // per request and success 1 − f⁴, each within 1%. (About 60,000
        // requests per run: the standard error of the load is below 0.1%.)
        let expected_load = 1.0 + f + f * f + f * f * f;
        let got = load("3-retries");
        assert!(
            (got / expected_load - 1.0).abs() <= 0.01,
            "f = {f}: load {got}, formula {expected_load}"
        );
        let expected_success = 1.0 - f.powi(4);
        let got = success("3-retries");
        assert!(
            (got / expected_success - 1.0).abs() <= 0.01,
            "f = {f}: success {got}, formula {expected_success}"
        );
        // No retries: load exactly 1.
        assert_eq!(load("no-retries"), 1.0);
        if f == 0.5 {
            // The per-client bucket keeps the load below 1.2 where plain
            // retries give 1.875.
            let bucket = load("token-bucket");
            assert!(bucket < 1.2, "token bucket load {bucket}");
        }
        if f >= 0.2 {
            // The retry breaker cuts the load too, though less: each time
            // it closes, min_volume outcomes pass before it can reopen.
            let breaker = load("circuit-breaker");
            assert!(breaker < expected_load, "f = {f}: breaker load {breaker}");
        }
    }
}

// ------------------------------------------------------ M/M/c, Erlang C

/// Erlang C: the mean wait in queue of M/M/c with arrival rate `lambda`
/// and service rate `mu` per server.
fn erlang_c_wait(c: u32, lambda: f64, mu: f64) -> f64 {
    let a = lambda / mu;
    let rho = a / f64::from(c);
    assert!(rho < 1.0);
    let mut term = 1.0; // a^k / k!
    let mut sum = 0.0;
    for k in 0..c {
        sum += term;
        term *= a / f64::from(k + 1);
    }
    // term is now a^c / c!.
    let top = term / (1.0 - rho);
    let p_wait = top / (sum + top);
    p_wait / (f64::from(c) * mu - lambda)
}

#[test]
fn erlang_c_matches_its_textbook_values() {
    // M/M/1: Wq = ρ / (μ − λ); at μ = 12.5, λ = 10: 0.8 / 2.5 = 0.32 s.
    assert!((erlang_c_wait(1, 10.0, 12.5) - 0.32).abs() < 1e-12);
    // M/M/2 with a = 1 (ρ = 0.5): C = (1/2 / 0.5) / (1 + 1 + 1) = 1/3,
    // Wq = (1/3) / (2 − 1) = 1/3 s for μ = 1.
    assert!((erlang_c_wait(2, 1.0, 1.0) - 1.0 / 3.0).abs() < 1e-12);
}

/// Mean waiting time in queue and mean sojourn time, over 10 replications.
fn mmc_times(s: &Scenario) -> (f64, f64) {
    let wait = mean(s, "no-retries", 10, |m| {
        m.counts.queue_wait_ns as f64 / m.counts.served as f64 / 1e9
    });
    let sojourn = mean(s, "no-retries", 10, |m| {
        m.time_to_success.mean().expect("successes") / 1e9
    });
    (wait, sojourn)
}

#[test]
fn mmc_waiting_and_sojourn_times_match_erlang_c() {
    let mu = 12.5; // 1 / 80 ms
    // c = 8 at ρ = 0.5, 0.8, 0.9 (λ = 50, 80, 90 per second), 1 hour each.
    for lambda in [50.0, 80.0, 90.0] {
        let s = classic(
            "mmc",
            &[(
                "rate_per_s = 80.0                        # lambda: swept below",
                &format!("rate_per_s = {lambda:.1}"),
            )],
        );
        let (wait, sojourn) = mmc_times(&s);
        let wq = erlang_c_wait(8, lambda, mu);
        assert!(
            (wait / wq - 1.0).abs() <= 0.03,
            "c = 8, λ = {lambda}: wait {wait}, Erlang C {wq}"
        );
        assert!(
            (sojourn / (wq + 1.0 / mu) - 1.0).abs() <= 0.03,
            "c = 8, λ = {lambda}: sojourn {sojourn}, {}",
            wq + 1.0 / mu
        );
    }
    // c = 1 at the same loads (λ = 6.25, 10, 11.25), 10 hours each: the
    // M/M/1 waits ρ/(μ − λ) = 0.08, 0.32, 0.72 s and sojourns 1/(μ − λ).
    for lambda in [6.25, 10.0, 11.25] {
        let s = classic(
            "mmc",
            &[
                (
                    "rate_per_s = 80.0                        # lambda: swept below",
                    &format!("rate_per_s = {lambda}"),
                ),
                (
                    "concurrency = 8                          # c",
                    "concurrency = 1",
                ),
                ("duration = \"1h\"", "duration = \"10h\""),
                ("horizon = \"2h\"", "horizon = \"11h\""),
            ],
        );
        let (wait, sojourn) = mmc_times(&s);
        let wq = erlang_c_wait(1, lambda, mu);
        assert!(
            (wq - (lambda / mu) / (mu - lambda)).abs() < 1e-12,
            "Erlang C with c = 1 is M/M/1"
        );
        assert!(
            (wait / wq - 1.0).abs() <= 0.03,
            "c = 1, λ = {lambda}: wait {wait}, M/M/1 {wq}"
        );
        let w = 1.0 / (mu - lambda);
        assert!(
            (sojourn / w - 1.0).abs() <= 0.03,
            "c = 1, λ = {lambda}: sojourn {sojourn}, 1/(μ − λ) = {w}"
        );
    }
}

// ------------------------------------------------------------ metastability

/// Whether replication `rep` of `strategy` recovers from a trigger cutting
/// `cut` of the slots for `duration`.
fn recovers(cut: &str, duration: &str, strategy: &str, rep: u64) -> bool {
    let s = classic(
        "metastability",
        &[
            (
                "duration = \"20s\"                         # swept below",
                &format!("duration = \"{duration}\""),
            ),
            (
                "cut = 0.5                                # swept below",
                &format!("cut = {cut}"),
            ),
        ],
    );
    run(&s, strategy, rep)
        .recovered
        .expect("the scenario judges recovery")
}

#[test]
fn metastability_small_changes_in_the_trigger_flip_recovery() {
    // Same seeds (replications 0 to 2; at these cells all 10 replications
    // of these seeds agree): with retries, a 5 s cut of 20% of the slots is
    // survived, of 40% it is not; a 20% cut is survived for 5 s, not for
    // 80 s. Without retries (the control) even an 80% cut for 80 s is, and
    // so is everything with a retry budget.
    for rep in 0..3 {
        for name in ["immediate-retry", "full-jitter"] {
            assert!(recovers("0.2", "5s", name, rep), "{name} rep {rep}");
            assert!(!recovers("0.4", "5s", name, rep), "{name} rep {rep}");
        }
        assert!(!recovers("0.2", "80s", "full-jitter", rep), "rep {rep}");
        assert!(recovers("0.8", "80s", "no-retries", rep), "rep {rep}");
        assert!(!recovers("0.8", "80s", "full-jitter", rep), "rep {rep}");
        for (cut, duration) in [("0.4", "5s"), ("0.2", "80s"), ("0.8", "80s")] {
            assert!(
                recovers(cut, duration, "full-jitter+budget", rep),
                "budget, {cut} for {duration}, rep {rep}"
            );
        }
    }
}

#[test]
fn a_run_without_a_trigger_recovers_and_a_cut_to_nothing_does_not() {
    // cut 0: nothing happens, goodput stays at the offered 80/s.
    assert!(recovers("0.0", "20s", "full-jitter", 0));
    // All slots gone for 80 s: every client times out and retries.
    assert!(!recovers("1.0", "80s", "full-jitter", 0));
}

#[test]
fn classic_model_keys_are_validated_with_their_keys_named() {
    let strategy = "[[strategy]]\nname = \"a\"\nbackoff = { kind = \"none\" }\n";
    // An optimistic-concurrency store has no slots, latency or errors.
    let e = parse_err(&format!(
        "[server]\nkind = \"occ\"\nconcurrency = 4\nerror_rate = 0.1\n{strategy}"
    ));
    assert!(
        e.contains("server.concurrency: is not used by kind = \"occ\"")
            && e.contains("server.error_rate: is not used by kind = \"occ\""),
        "{e}"
    );
    let e = parse_err(&format!("[server]\nkind = \"mvcc\"\n{strategy}"));
    assert!(e.contains("server.kind: unknown value \"mvcc\""), "{e}");
    // A capacity cut is a share of the slots.
    let e = parse_err(&format!(
        "[[server.capacity_cuts]]\nstart = \"1s\"\nduration = \"1s\"\ncut = 0.5\n{strategy}"
    ));
    assert!(
        e.contains("server.capacity_cuts[0].cut: needs server.concurrency"),
        "{e}"
    );
    let e = parse_err(&format!(
        "[server]\nconcurrency = 2\n[[server.capacity_cuts]]\nstart = \"1s\"\nduration = \"1s\"\ncut = 1.5\n{strategy}"
    ));
    assert!(
        e.contains("server.capacity_cuts[0].cut: must be a probability from 0 to 1, not 1.5"),
        "{e}"
    );
    // Recovery is judged against a Poisson rate, within the horizon.
    let e = parse_err(&format!(
        "horizon = \"1m\"\n[report.recovery]\nafter = \"10s\"\n{strategy}"
    ));
    assert!(
        e.contains("report.recovery: needs workload.kind = \"poisson\""),
        "{e}"
    );
    let e = parse_err(&format!(
        "horizon = \"1m\"\n[workload]\nkind = \"poisson\"\nrate_per_s = 1.0\n[report.recovery]\nafter = \"30s\"\nwithin = \"40s\"\n{strategy}"
    ));
    assert!(e.contains("report.recovery: judges goodput up to"), "{e}");
    let e = parse_err(&format!(
        "horizon = \"1m\"\n[workload]\nkind = \"poisson\"\nrate_per_s = 1.0\n[report.recovery]\nwithin = \"10s\"\n{strategy}"
    ));
    assert!(e.contains("report.recovery.after: missing"), "{e}");
}
