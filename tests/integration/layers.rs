//! Retry layers (docs/model.md §4, "Retry layers"): results fixed by hand.

use crate::common::{backsim, crate_dir, load, parse};
use backsim::engine::simulate;
use backsim::metrics::run::RunMetrics;
use backsim::random::RunSeeds;
use backsim::scenario::Scenario;

/// 10 requests (one per client, at t = 0) to a server that answers every
/// attempt with a 500 after 100 ms; no limiter, no network delay; the
/// strategy is `layers`.
fn always_500(layers: &str) -> Scenario {
    parse(
        &format!(
            r#"
name = "layers"
seed = 1
replications = 1
horizon = "1h"

[workload]
kind = "burst"
clients = 10

[server]
latency = "100ms"
error_rate = 1.0

[[strategy]]
name = "stack"
layers = [
{layers}
]
"#
        ),
        "layers",
    )
}

fn run(s: &Scenario) -> RunMetrics {
    simulate(s, 0, RunSeeds::new(s.seed, 0, 0, &s.strategies[0].name))
}

#[test]
fn an_outer_layer_of_2_around_an_inner_of_3_sends_6_attempts_per_call() {
    let m = run(&always_500(
        r#"{ backoff = { kind = "constant", base = "10s" }, max_attempts = 2 },
           { backoff = { kind = "constant", base = "1s" }, max_attempts = 3 },"#,
    ));
    assert_eq!(m.counts.requests, 10);
    assert_eq!(m.counts.attempts, 60);
    assert_eq!(m.counts.errors_5xx, 60);
    assert_eq!(m.counts.gave_up, 10);
    assert_eq!(m.layer_attempts, [20, 60]);
    // Every request made exactly 6 attempts.
    assert_eq!(m.attempts_histogram.get(6), Some(&10));
    // Its last answer: inner attempts at 0, 1.1, 2.2 s (100 ms each, 1 s
    // apart), the outer wait of 10 s after the third's answer at 2.3 s,
    // then 12.3, 13.4, 14.5 s, answered at 14.6 s.
    assert_eq!(m.last_activity, 14_600_000_000);
}

#[test]
fn three_layers_of_4_attempts_send_64_per_call() {
    let m = run(&always_500(
        r#"{ backoff = { kind = "none" }, max_attempts = 4 },
           { backoff = { kind = "none" }, max_attempts = 4 },
           { backoff = { kind = "none" }, max_attempts = 4 },"#,
    ));
    assert_eq!(m.counts.attempts, 640);
    assert_eq!(m.layer_attempts, [40, 160, 640]);
}

#[test]
fn a_layer_that_does_not_retry_a_5xx_passes_the_inner_give_up_on() {
    let m = run(&always_500(
        r#"{ backoff = { kind = "none" }, max_attempts = 5, retry_on = ["429", "timeout"] },
           { backoff = { kind = "none" }, max_attempts = 3 },"#,
    ));
    assert_eq!(m.counts.attempts, 30);
    assert_eq!(m.layer_attempts, [10, 30]);
}

#[test]
fn an_outer_timeout_cuts_the_inner_loop_short() {
    // The outer layer gives each inner call 250 ms: the inner layer's
    // attempts at 0 and 100 ms (no delay between them) are answered, its
    // third, sent at 200 ms, is cut at 250 ms; the outer layer retries at
    // once, twice in all: 3 attempts in each of 2 outer attempts. The
    // last one, sent at 450 ms and cut at 500 ms, still keeps the server
    // busy until 550 ms.
    let m = run(&always_500(
        r#"{ backoff = { kind = "none" }, max_attempts = 2, timeout = "250ms" },
           { backoff = { kind = "none" }, max_attempts = 5 },"#,
    ));
    assert_eq!(m.counts.attempts, 60);
    assert_eq!(m.counts.errors_5xx, 40);
    assert_eq!(m.counts.timeouts, 20);
    assert_eq!(m.layer_attempts, [20, 60]);
    assert_eq!(m.last_activity, 550_000_000);
}

#[test]
fn the_cookbook_stack_makes_up_to_18_attempts_and_the_one_layer_reading_6() {
    // Against a server that always fails, every call runs both loops out.
    let stack = |preset: &str| {
        let src = format!(
            "name = \"p\"\nseed = 1\nreplications = 1\nhorizon = \"1h\"\n[workload]\nkind = \"burst\"\nclients = 10\n\
             [server]\nlatency = \"100ms\"\nerror_rate = 1.0\n[[strategy]]\npreset = \"{preset}\"\n"
        );
        run(&parse(&src, "p"))
    };
    let cookbook = stack("tenacity-cookbook");
    assert_eq!(cookbook.counts.attempts, 180);
    assert_eq!(cookbook.layer_attempts, [60, 180]);
    let one_layer = stack("tenacity-random-exponential");
    assert_eq!(one_layer.counts.attempts, 60);
    assert!(one_layer.layer_attempts.is_empty());
}

#[test]
fn the_nested_retries_scenario_round_trips_and_reports_each_layer() {
    let path = crate_dir().join("scenarios/nested-retries.toml");
    let tmp = tempfile::tempdir().expect("temp dir");
    backsim()
        .args([
            "run",
            "--quiet",
            "--replications",
            "2",
            "--no-charts",
            "--out",
        ])
        .arg(tmp.path())
        .arg(&path)
        .assert()
        .success();
    let folder = tmp.path().join("nested-retries");
    // The resolved scenario writes the stacks as layers, and reads back
    // to the same scenario.
    let mut original = load(&path);
    original.replications = 2;
    assert_eq!(load(&folder.join("scenario.toml")), original);
    let summary = std::fs::read_to_string(folder.join("summary.csv")).expect("summary.csv");
    let mut rows = csv::Reader::from_reader(summary.as_bytes());
    let header = rows.headers().expect("header").clone();
    let column = |name: &str| header.iter().position(|c| c == name).expect(name);
    let (strategy, per_request, layers) = (
        column("strategy"),
        column("attempts_per_request"),
        column("layer_attempts_per_request"),
    );
    for row in rows.records() {
        let row = row.expect("row");
        let cell = &row[layers];
        match &row[strategy] {
            "tenacity-cookbook" => {
                let per_layer: Vec<f64> = cell.split(';').map(|x| x.parse().unwrap()).collect();
                assert_eq!(per_layer.len(), 2);
                // The last layer's are the attempts on the wire.
                assert_eq!(cell.split(';').next_back(), Some(&row[per_request]));
                assert!(per_layer[0] >= 1.0 && per_layer[0] <= per_layer[1]);
            }
            "cookbook-via-gateway" => assert_eq!(cell.split(';').count(), 3),
            _ => assert_eq!(cell, ""),
        }
    }
}
