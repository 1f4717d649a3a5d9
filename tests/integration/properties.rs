//! Property tests (proptest) over random valid scenarios: whatever the
//! workload, limits, server, failures and strategy, a run never panics,
//! keeps the conservation laws (`conservation::check_run`: every attempt
//! one outcome, every request one end, the series agreeing with the
//! totals), never lets the request bucket above its capacity, never moves
//! time past the horizon, and gives byte-identical reports on one thread
//! and on two.
//!
//! Cases are drawn from proptest's default seed derivation with a fixed
//! count, so a failure is reproducible; proptest shrinks it to a small
//! scenario and prints its text.

use crate::common::parse;
use crate::conservation::{Seen, check_run};
use backsim::engine::simulate;
use backsim::random::RunSeeds;
use backsim::report::run::csv::summary_rows;
use backsim::report::run::export::timeseries::timeseries_csv;
use proptest::prelude::*;

/// A scenario file from drawn parts; every draw is valid.
fn scenario_text() -> impl Strategy<Value = String> {
    let workload = prop_oneof![
        (1u32..60, 0u32..3000).prop_map(|(c, spread_ms)| format!(
            "kind = \"burst\"\nclients = {c}\nspread = \"{spread_ms}ms\""
        )),
        (1u32..20, 1u32..40, 1u32..30).prop_map(|(c, rate, secs)| format!(
            "kind = \"poisson\"\nclients = {c}\nrate_per_s = {rate}.0\nduration = \"{secs}s\""
        )),
        (1u32..15, 1u32..6, 0u32..2000).prop_map(|(c, n, think_ms)| format!(
            "kind = \"closed\"\nclients = {c}\nrequests_per_client = {n}\nthink_time = \"{think_ms}ms\""
        )),
    ];
    let limiter = (1u32..600, 1u32..20, 0usize..3).prop_map(|(rpm, burst, ra)| {
        let mode = ["none", "exact", "seconds"][ra];
        format!("requests_per_minute = {rpm}\nrequest_burst = {burst}\nretry_after = \"{mode}\"")
    });
    let latency = prop_oneof![
        (0u32..2000).prop_map(|ms| format!("\"{ms}ms\"")),
        (1u32..1000).prop_map(|ms| format!("{{ dist = \"exponential\", mean = \"{ms}ms\" }}")),
        (1u32..1000, 1u32..9).prop_map(|(ms, s)| format!(
            "{{ dist = \"lognormal\", median = \"{ms}ms\", sigma = 0.{s} }}"
        )),
    ];
    let server = (
        1u32..20,
        prop::option::of(0u32..20),
        latency,
        0u32..=100,
        prop::option::of((0u32..20, 1u32..20, any::<bool>())),
        any::<bool>(),
    )
        .prop_map(|(slots, queue, latency, err, outage, cancel)| {
            let mut s = format!(
                "concurrency = {slots}\nlatency = {latency}\nerror_rate = {}\ncancel_on_disconnect = {cancel}\n",
                f64::from(err) / 100.0
            );
            if let Some(q) = queue {
                s.push_str(&format!("queue_limit = {q}\n"));
            }
            if let Some((start, len, silent)) = outage {
                s.push_str(&format!(
                    "outages = [{{ start = \"{start}s\", duration = \"{len}s\", response = \"{}\" }}]\n",
                    if silent { "none" } else { "503" }
                ));
            }
            s
        });
    let backoff = prop_oneof![
        Just("{ kind = \"none\" }".to_string()),
        (1u32..3000).prop_map(|ms| format!("{{ kind = \"constant\", base = \"{ms}ms\" }}")),
        (1u32..3000).prop_map(|ms| format!("{{ kind = \"linear\", base = \"{ms}ms\" }}")),
        (1u32..2000).prop_map(|ms| format!(
            "{{ kind = \"exponential\", base = \"{ms}ms\", cap = \"30s\" }}"
        )),
        (1u32..2000).prop_map(|ms| format!(
            "{{ kind = \"full_jitter\", base = \"{ms}ms\", cap = \"30s\" }}"
        )),
        (1u32..2000).prop_map(|ms| format!(
            "{{ kind = \"decorrelated_jitter\", base = \"{ms}ms\", cap = \"30s\" }}"
        )),
    ];
    let strategy = (
        backoff,
        1u32..8,
        any::<bool>(),
        prop::option::of(1u32..20),
        prop::option::of(0usize..3),
    )
        .prop_map(|(backoff, attempts, honor, deadline, guard)| {
            let mut s = format!(
                "backoff = {backoff}\nmax_attempts = {attempts}\nhonor_retry_after = {honor}\n"
            );
            if let Some(d) = deadline {
                s.push_str(&format!("deadline = \"{d}s\"\n"));
            }
            if let Some(g) = guard {
                s.push_str(
                    [
                        "budget = { kind = \"aws_quota\" }\n",
                        "breaker = { scope = \"all\", min_volume = 5 }\n",
                        "throttle = { kind = \"sre\" }\n",
                    ][g],
                );
            }
            s
        });
    (
        workload,
        limiter,
        server,
        prop::option::of(100u32..5000),
        prop::collection::vec(strategy, 1..3),
        any::<u32>(),
    )
        .prop_map(
            |(workload, limiter, server, timeout_ms, strategies, seed)| {
                let mut s = format!(
                    "name = \"p\"\nseed = {seed}\nreplications = 2\nhorizon = \"90s\"\n\
                 [workload]\n{workload}\n[limiter]\n{limiter}\n[server]\n{server}"
                );
                if let Some(t) = timeout_ms {
                    s.push_str(&format!("[client]\ntimeout = \"{t}ms\"\n"));
                }
                for (i, st) in strategies.iter().enumerate() {
                    s.push_str(&format!("[[strategy]]\nname = \"s{i}\"\n{st}"));
                }
                s
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_scenarios_keep_the_laws_and_do_not_depend_on_threads(text in scenario_text()) {
        let scenario = parse(&text, "p");
        let burst = scenario.limiter.limits()[0].map(|(_, b)| b as f64);
        for (i, st) in scenario.strategies.iter().enumerate() {
            for rep in 0..2 {
                let seeds = RunSeeds::new(scenario.seed, 0, rep, &st.name);
                let m = simulate(&scenario, i, seeds);
                check_run(&scenario, i, &m, &format!("{text}\n{} rep {rep}", st.name), &mut Seen::default());
                prop_assert!(m.last_activity <= scenario.horizon);
                if let Some(b) = burst {
                    for r in &m.series.rows {
                        prop_assert!(r.limiter_level <= b + 1e-9, "level {} > burst {b}", r.limiter_level);
                    }
                }
            }
        }
        let one = backsim::experiment::run(&scenario, 1).expect("runs");
        let two = backsim::experiment::run(&scenario, 2).expect("runs");
        prop_assert_eq!(summary_rows(&scenario, &one), summary_rows(&scenario, &two));
        prop_assert_eq!(timeseries_csv(&scenario, &one), timeseries_csv(&scenario, &two));
    }
}
