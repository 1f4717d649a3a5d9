//! The client's side of the cost (docs/model.md §2, "A prompt that grows
//! on retry" and "Client processing time"): a prompt that grows on
//! retry, charged, billed and wasted at each attempt's own size; and
//! client processes that handle what their clients hear one at
//! a time, which spreads a wave of answers out.

use crate::common::{Csv, parse, run_toml};
use crate::conservation::{Seen, check_run};
use backsim::engine::{simulate, simulate_with};
use backsim::metrics::run::{RequestOutcome, RunMetrics};
use backsim::random::RunSeeds;
use backsim::scenario::Scenario;

const MS: u64 = 1_000_000;
const S: u64 = 1_000_000_000;

/// Parses a scenario with the common header and a fixed seed.
fn scenario(body: &str) -> Scenario {
    parse(
        &format!("name = \"t\"\nseed = 7\nreplications = 1\nhorizon = \"10m\"\n{body}"),
        "t",
    )
}

/// Runs strategy `i` of `s` once, keeping the request records.
fn run(s: &Scenario, i: usize) -> RunMetrics {
    simulate_with(
        s,
        i,
        RunSeeds::new(s.seed, 0, 0, &s.strategies[i].name),
        true,
    )
}

/// The conservation laws of `tests/integration/conservation.rs`.
fn conserved(s: &Scenario, i: usize, m: &RunMetrics) {
    check_run(s, i, m, &s.strategies[i].name, &mut Seen::default());
}

// Ten clients, 1000 input tokens each; every attempt is served for 2.5 s
// but the client waits only 1 s, then backs off 1 s: attempts at 0, 2 and
// 4 s, of 1000, 1500 and 2000 input tokens with input_growth = 500. The
// server finishes each abandoned generation (at 2.5, 4.5 and 6.5 s, while
// the next attempt is already on its way) and bills it at its own size:
// 4500 input tokens per request, all wasted.
const TIMEOUTS: &str = r#"
[workload]
clients = 10
[server]
latency = "2500ms"
[client]
timeout = "1s"
[[strategy]]
name = "grows"
backoff = { kind = "constant", base = "1s" }
max_attempts = 3
input_growth = 500
[[strategy]]
name = "same"
backoff = { kind = "constant", base = "1s" }
max_attempts = 3
"#;

#[test]
fn abandoned_generations_are_billed_and_wasted_at_their_own_size() {
    let s = scenario(TIMEOUTS);
    let m = run(&s, 0);
    conserved(&s, 0, &m);
    assert_eq!((m.counts.timeouts, m.counts.gave_up), (30, 10));
    let per_request = 1000 + 1500 + 2000;
    assert_eq!(m.counts.billed_input_tokens, 10 * per_request);
    assert_eq!(m.counts.wasted_input_tokens, 10 * per_request);
    // Output does not grow: 3 × 500 per request.
    assert_eq!(m.counts.billed_output_tokens, 10 * 1500);
    for r in m.request_records.as_ref().expect("kept") {
        assert_eq!(r.input_tokens, 1000, "the request's own size");
        assert_eq!((r.billed_input_tokens, r.wasted_input_tokens), (4500, 4500));
    }
    // The per-model totals agree.
    assert_eq!(m.models[0].billed_input_tokens, 10 * per_request);
    // Without growth: 3 × 1000.
    let same = run(&s, 1);
    assert_eq!(same.counts.billed_input_tokens, 10 * 3000);
}

#[test]
fn failures_that_are_not_billed_still_charge_the_limiter_their_size() {
    // A 500 after service and a 429 are not billed; an admitted attempt is
    // charged its input at the limiter, a rejected one is only demanded.
    // Index 2 of the limiter's per-limit counts is input tokens.
    let s = scenario(
        r#"
        [workload]
        clients = 4
        [limiter]
        input_tokens_per_minute = 60000000
        [server]
        errors = { "500" = 1.0 }
        [[strategy]]
        name = "grows"
        backoff = { kind = "constant", base = "1s" }
        max_attempts = 3
        input_growth = 500
    "#,
    );
    let m = run(&s, 0);
    conserved(&s, 0, &m);
    assert_eq!(m.counts.errors_5xx, 12);
    assert_eq!(m.counts.billed_input_tokens, 0);
    assert_eq!(m.counts.charged[2], 4 * 4500);
    assert_eq!(m.counts.demand[2], 4 * 4500);
    // Always 429: a request bucket of 1 that never refills admits the
    // first attempt of one client only.
    let s = scenario(
        r#"
        [workload]
        clients = 4
        [limiter]
        requests_per_minute = 0.001
        request_burst = 1
        input_tokens_per_minute = 60000000
        [[strategy]]
        name = "grows"
        backoff = { kind = "constant", base = "1s" }
        max_attempts = 3
        input_growth = 500
    "#,
    );
    let m = run(&s, 0);
    conserved(&s, 0, &m);
    assert_eq!((m.counts.succeeded, m.counts.rejected_429), (1, 9));
    assert_eq!(m.counts.billed_input_tokens, 1000);
    // Demanded: 1000 by the one admitted, 4500 by each of the other three.
    assert_eq!(m.counts.demand[2], 1000 + 3 * 4500);
    assert_eq!(m.counts.charged[2], 1000);
}

#[test]
fn an_input_token_limit_admits_the_first_attempt_but_not_a_grown_one() {
    // Every admitted attempt fails with a 500. The input-token bucket
    // holds 1200 and refills 1000/s: full again by each retry (2 s later).
    // Without growth the three attempts of 1000 are all admitted; with
    // input_growth = 500 the retries (1500, 2000) exceed the bucket and
    // can never pass: 429, with no Retry-After.
    let s = scenario(
        r#"
        [workload]
        clients = 1
        [limiter]
        input_tokens_per_minute = 60000
        input_token_burst = 1200
        [server]
        errors = { "500" = 1.0 }
        [[strategy]]
        name = "grows"
        backoff = { kind = "constant", base = "2s" }
        max_attempts = 3
        input_growth = 500
        [[strategy]]
        name = "same"
        backoff = { kind = "constant", base = "2s" }
        max_attempts = 3
    "#,
    );
    let grows = run(&s, 0);
    conserved(&s, 0, &grows);
    assert_eq!((grows.counts.errors_5xx, grows.counts.rejected_429), (1, 2));
    assert_eq!(grows.counts.rejected_by_limit, [0, 0, 2, 0]);
    let same = run(&s, 1);
    assert_eq!((same.counts.errors_5xx, same.counts.rejected_429), (3, 0));
}

#[test]
fn max_input_tokens_caps_the_growth() {
    // 1000, then 1000·2 + 500 = 2500, then min(4000 + 1000, 3000) = 3000.
    let body = TIMEOUTS.replace(
        "input_growth = 500\n",
        "input_growth = 500\ninput_growth_factor = 2.0\nmax_input_tokens = 3000\n",
    );
    let s = scenario(&body);
    let m = run(&s, 0);
    assert_eq!(m.counts.billed_input_tokens, 10 * (1000 + 2500 + 3000));
}

#[test]
fn requests_csv_and_models_csv_add_up_with_growth() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let toml = format!("name = \"grow\"\nseed = 1\nreplications = 2\nhorizon = \"1m\"\n{TIMEOUTS}");
    run_toml(tmp.path(), "grow", &toml, &["--requests", "--quiet"]);
    let dir = tmp.path().join("grow");
    let r = Csv::read(&dir.join("requests.csv"));
    for row in r.rows_where("strategy", "grows") {
        assert_eq!(r.num(row, "input_tokens"), 1000.0);
        assert_eq!(r.num(row, "billed_input_tokens"), 4500.0);
        assert_eq!(r.num(row, "wasted_input_tokens"), 4500.0);
    }
    assert_eq!(r.rows_where("strategy", "grows").len(), 20);
    let m = Csv::read(&dir.join("models.csv"));
    for strategy in ["grows", "same"] {
        let billed: f64 = r
            .rows_where("strategy", strategy)
            .iter()
            .map(|row| r.num(row, "billed_input_tokens"))
            .sum();
        // models.csv gives the mean over the 2 replications.
        let model = m.row_where("strategy", strategy);
        assert_eq!(
            m.num(model, "billed_input_tokens"),
            billed / 2.0,
            "{strategy}"
        );
    }
}

/// 100 clients whose answers all come back at t = 0: an overloaded 529 at
/// once (no service, no network), retried after 1 s, `max_attempts`
/// attempts; one client process taking 10 ms per answer.
fn wave(max_attempts: u32, processing: &str) -> Scenario {
    scenario(&format!(
        r#"
        [workload]
        clients = 100
        [server]
        errors = {{ "529" = 1.0 }}
        [client]
        {processing}
        [[strategy]]
        name = "c"
        backoff = {{ kind = "constant", base = "1s" }}
        max_attempts = {max_attempts}
    "#
    ))
}

/// When each request ended, sorted.
fn ends(m: &RunMetrics) -> Vec<u64> {
    let mut v: Vec<u64> = m
        .request_records
        .as_ref()
        .expect("kept")
        .iter()
        .map(|r| r.end.expect("ended"))
        .collect();
    v.sort_unstable();
    v
}

#[test]
fn one_process_takes_the_answers_one_at_a_time() {
    // The k-th answer (k = 1..100) is processed over ((k−1)·10, k·10] ms:
    // with one attempt the request is given up at k·10 ms, the last at
    // exactly 1 s.
    let s = wave(1, "processing_time = \"10ms\"");
    let m = run(&s, 0);
    conserved(&s, 0, &m);
    let want: Vec<u64> = (1..=100).map(|k| k * 10 * MS).collect();
    assert_eq!(ends(&m), want);
    assert_eq!(m.last_activity, S);
    // With two: the k-th retry goes at k·10 ms + 1 s and fails at once;
    // the process is free from 1 s on, so its answer is processed by
    // k·10 ms + 1 s + 10 ms, when the request is given up.
    let m = run(&wave(2, "processing_time = \"10ms\""), 0);
    let want: Vec<u64> = (1..=100).map(|k| k * 10 * MS + S + 10 * MS).collect();
    assert_eq!(ends(&m), want);
    // Two processes take clients 0, 2, 4, … and 1, 3, 5, …: 50 each, the
    // last at 500 ms.
    let m = run(&wave(1, "processing_time = \"10ms\"\nprocesses = 2"), 0);
    let want: Vec<u64> = (1..=50).flat_map(|k| [k * 10 * MS; 2]).collect();
    assert_eq!(ends(&m), want);
    // Without processing, everything is decided at 0.
    let m = run(&wave(1, ""), 0);
    assert_eq!(ends(&m), vec![0; 100]);
}

#[test]
fn time_to_success_includes_the_processing() {
    // 100 successes answered at 0: the k-th is counted at k·10 ms.
    let s = scenario(
        r#"
        [workload]
        clients = 100
        [client]
        processing_time = "10ms"
        [[strategy]]
        name = "c"
        backoff = { kind = "none" }
    "#,
    );
    let m = simulate(&s, 0, RunSeeds::new(7, 0, 0, "c"));
    let tts: Vec<u64> = m.time_to_success.iter().copied().collect();
    let want: Vec<u64> = (1..=100).map(|k| k * 10 * MS).collect();
    assert_eq!(tts, want);
}

#[test]
fn a_timeout_waits_for_the_process_too() {
    // No answer until 5 s; the 1 s timeouts of 3 clients fire at 1 s and
    // are processed at 1.01, 1.02 and 1.03 s; the retries 1 s later time
    // out at 3.01, 3.02, 3.03 s and are given up when processed: the
    // process is free again, so at 3.02, 3.03 and 3.04 s.
    let s = scenario(
        r#"
        [workload]
        clients = 3
        [server]
        outages = [{ start = "0s", duration = "5s", response = "none" }]
        [client]
        timeout = "1s"
        processing_time = "10ms"
        [[strategy]]
        name = "c"
        backoff = { kind = "constant", base = "1s" }
        max_attempts = 2
    "#,
    );
    let m = run(&s, 0);
    conserved(&s, 0, &m);
    assert_eq!((m.counts.timeouts, m.counts.gave_up), (6, 3));
    assert_eq!(ends(&m), [3020 * MS, 3030 * MS, 3040 * MS]);
    let records = m.request_records.as_ref().expect("kept");
    assert!(records.iter().all(|r| r.outcome == RequestOutcome::GaveUp));
}

/// 300 clients at once against 10 requests per second (a bucket of 10),
/// retrying as openai-python does, with one client process of
/// `processing` per answer, or none.
fn event_loop(processing: &str) -> Scenario {
    scenario(&format!(
        r#"
        [workload]
        clients = 300
        [limiter]
        requests_per_minute = 600
        request_burst = 10
        [server]
        latency = "1s"
        [client]
        {processing}
        [[strategy]]
        preset = "openai-python"
    "#
    ))
}

#[test]
fn a_serial_event_loop_spreads_the_retries_and_gets_more_through() {
    // Without processing the 290 rejected clients retry in two jittered
    // waves about 0.5 s and 1 s after t = 0 and mostly meet an empty
    // bucket; processed 5 ms apart, their 429s are decided over 1.45 s and
    // the retries spread over it, meeting a refilling bucket.
    let ideal = event_loop("");
    let serial = event_loop("processing_time = \"5ms\"");
    let a = simulate(&ideal, 0, RunSeeds::new(7, 0, 0, "openai-python"));
    let b = simulate(&serial, 0, RunSeeds::new(7, 0, 0, "openai-python"));
    conserved(&ideal, 0, &a);
    conserved(&serial, 0, &b);
    assert!(
        b.counts.succeeded > a.counts.succeeded,
        "serial {} vs ideal {}",
        b.counts.succeeded,
        a.counts.succeeded
    );
}

#[test]
fn growth_and_processing_keep_every_conservation_law() {
    let s = scenario(
        r#"
        [workload]
        clients = 200
        [limiter]
        requests_per_minute = 600
        request_burst = 20
        tokens_per_minute = 600000
        [server]
        latency = { dist = "exponential", mean = "800ms" }
        error_rate = 0.1
        [client]
        timeout = "2s"
        processing_time = { dist = "uniform", min = "1ms", max = "9ms" }
        processes = 3
        [[strategy]]
        name = "j"
        backoff = { kind = "full_jitter", base = "500ms", cap = "8s" }
        max_attempts = 6
        input_growth = 300
        input_growth_factor = 1.2
    "#,
    );
    let mut seen = Seen::default();
    let m = run(&s, 0);
    check_run(&s, 0, &m, "mixed", &mut seen);
    assert!(m.counts.timeouts > 0 && m.counts.rejected_429 > 0 && m.counts.succeeded > 0);
    // The same at every run: deterministic.
    let again = run(&s, 0);
    assert_eq!(format!("{:?}", m.counts), format!("{:?}", again.counts));
}
