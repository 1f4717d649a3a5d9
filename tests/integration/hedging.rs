//! Hedged requests and per-attempt timeout schedules (docs/model.md §2),
//! checked against results worked out by hand.

use crate::common::{parse, parse_err};
use backsim::engine::simulate_with;
use backsim::metrics::run::RunMetrics;
use backsim::random::RunSeeds;

/// Runs the first strategy of a scenario made of the common header and
/// `body` (requests of 1000 input and 500 output tokens, no network
/// delay), keeping per-request records.
fn run(body: &str) -> RunMetrics {
    let src = format!(
        "name = \"h\"\nseed = 1\nhorizon = \"10m\"\n[workload.tokens]\ninput = 1000\noutput = 500\n{body}"
    );
    let s = parse(&src, "h");
    simulate_with(&s, 0, RunSeeds::new(1, 0, 0, &s.strategies[0].name), true)
}

/// Every attempt ends in one outcome; billed = useful + wasted.
fn conserved(m: &RunMetrics) {
    let c = &m.counts;
    assert_eq!(
        c.attempts,
        c.succeeded
            + c.rejected_429
            + c.errors_5xx
            + c.timeouts
            + c.conflicts
            + c.hedges_lost
            + c.open_attempts
    );
    assert_eq!(c.requests, c.succeeded + c.gave_up + c.unfinished);
    let records = m.request_records.as_ref().unwrap();
    for r in records {
        // A success uses exactly one generation; everything else billed is waste.
        let useful = if r.outcome.as_str() == "succeeded" {
            (r.input_tokens, r.output_tokens)
        } else {
            (0, 0)
        };
        assert_eq!(r.billed_input_tokens, useful.0 + r.wasted_input_tokens);
        assert_eq!(r.billed_output_tokens, useful.1 + r.wasted_output_tokens);
    }
}

/// 10 clients, one request each at t = 0, 300 ms constant latency,
/// plenty of room; a hedge after 100 ms.
fn hedged(cancel: bool, cancel_on_disconnect: bool) -> RunMetrics {
    run(&format!(
        r#"
        [workload]
        clients = 10
        [server]
        latency = "300ms"
        cancel_on_disconnect = {cancel_on_disconnect}
        [[strategy]]
        name = "hedge"
        backoff = {{ kind = "none" }}
        hedge = {{ delay = "100ms", cancel = {cancel} }}
        "#
    ))
}

#[test]
fn a_hedge_after_100ms_against_300ms_bills_two_generations_per_request() {
    // The first copy is served 0–300 ms, the hedge 100–400 ms. The first
    // wins at 300 ms; the hedge, not cancelled, runs to its end: two whole
    // generations billed per request (2 × (1000 + 500)), one of them wasted.
    let m = hedged(false, false);
    conserved(&m);
    let c = &m.counts;
    assert_eq!(
        (c.succeeded, c.attempts, c.hedges, c.hedges_lost),
        (10, 20, 10, 10)
    );
    assert_eq!(
        (c.billed_input_tokens, c.billed_output_tokens),
        (20_000, 10_000)
    );
    assert_eq!(
        (c.wasted_input_tokens, c.wasted_output_tokens),
        (10_000, 5_000)
    );
    assert!(m.time_to_success.iter().all(|&t| t == 300_000_000));
    // The request's record counts both copies as attempts.
    let r = &m.request_records.as_ref().unwrap()[0];
    assert_eq!(
        (r.attempts, r.billed_input_tokens, r.wasted_output_tokens),
        (2, 2000, 500)
    );
    assert_eq!(m.attempts_histogram, [0, 0, 10]);
    // Cancelling the loser changes nothing at a server that does not stop
    // generations on disconnect: it finishes and bills the loser anyway.
    let m2 = hedged(true, false);
    conserved(&m2);
    assert_eq!(m2.counts.billed_output_tokens, 10_000);
    assert_eq!(m2.counts.wasted_output_tokens, 5_000);
}

#[test]
fn a_cancelled_hedge_is_billed_what_it_generated() {
    // cancel_on_disconnect: the hedge, cancelled at 300 ms after 200 ms of
    // its 300 ms generation, is billed its input and ⌊500 · 200/300⌋ = 333
    // output tokens, all wasted.
    let m = hedged(true, true);
    conserved(&m);
    let c = &m.counts;
    assert_eq!((c.hedges, c.hedges_lost), (10, 10));
    assert_eq!(
        (c.billed_input_tokens, c.billed_output_tokens),
        (20_000, 10 * (500 + 333))
    );
    assert_eq!(
        (c.wasted_input_tokens, c.wasted_output_tokens),
        (10_000, 3_330)
    );
    // Not cancelled, the loser runs on even at such a server: all billed.
    let m = hedged(false, true);
    conserved(&m);
    assert_eq!(m.counts.billed_output_tokens, 10_000);
}

#[test]
fn a_round_fails_only_when_every_copy_has() {
    // error_rate 1: every copy ends in a 500. The first copy's failure
    // (at 300 ms) waits for the hedge's (at 400 ms): the round
    // fails only after both copies have, and the retry rule then gives up
    // (max_attempts = 1); both failures are counted, neither is lost.
    let m = run(r#"
        [workload]
        clients = 4
        [server]
        latency = "300ms"
        error_rate = 1.0
        [[strategy]]
        name = "hedge"
        backoff = { kind = "none" }
        max_attempts = 1
        hedge = { delay = "100ms" }
    "#);
    conserved(&m);
    let c = &m.counts;
    assert_eq!(
        (c.gave_up, c.attempts, c.errors_5xx, c.hedges, c.hedges_lost),
        (4, 8, 8, 4, 0)
    );
    assert_eq!(m.attempts_histogram, [0, 0, 4]);
}

#[test]
fn the_budget_caps_hedges_at_its_share_of_requests() {
    // 100 requests start at t = 0, before any hedge is due at 100 ms: a
    // budget of 5% allows exactly 5 hedges (the 6th would make 6 > 5).
    let m = run(r#"
        [workload]
        clients = 100
        [server]
        latency = "300ms"
        [[strategy]]
        name = "hedge"
        backoff = { kind = "none" }
        hedge = { delay = "100ms", cancel = false, budget = 0.05 }
    "#);
    conserved(&m);
    let c = &m.counts;
    assert_eq!((c.succeeded, c.hedges, c.attempts), (100, 5, 105));
    assert_eq!(
        (c.billed_output_tokens, c.wasted_output_tokens),
        (105 * 500, 5 * 500)
    );
}

#[test]
fn more_copies_go_one_delay_apart() {
    // max_copies = 3, delay 100 ms, 300 ms latency: copies at 0, 100 and
    // 200 ms; the first wins at 300 ms; two losers per request.
    let m = run(r#"
        [workload]
        clients = 3
        [server]
        latency = "300ms"
        [[strategy]]
        name = "hedge"
        backoff = { kind = "none" }
        hedge = { delay = "100ms", max_copies = 3, cancel = false }
    "#);
    conserved(&m);
    let c = &m.counts;
    assert_eq!((c.attempts, c.hedges, c.hedges_lost), (9, 6, 6));
    assert_eq!(c.wasted_output_tokens, 6 * 500);
}

#[test]
fn a_percentile_delay_waits_for_its_warm_up() {
    // One closed-loop client sends 30 requests back to back, each served
    // in 300 ms. The 0.9 percentile needs 20 successes: requests 1–20 go
    // unhedged. From then on the delay is the 0.9 quantile of twenty or
    // more 300 ms latencies, 300 ms: the hedge falls due at the instant the
    // first copy's answer arrives, and goes first (it was queued when the
    // round started, the answer only when its service ended). So requests
    // 21–30 each send one hedge, which loses: 10 hedges, 40 attempts.
    let m = run(r#"
        [workload]
        kind = "closed"
        clients = 1
        requests_per_client = 30
        think_time = "0s"
        [server]
        latency = "300ms"
        [[strategy]]
        name = "p"
        backoff = { kind = "none" }
        hedge = { percentile = 0.9, cancel = false }
    "#);
    conserved(&m);
    let c = &m.counts;
    assert_eq!(
        (c.succeeded, c.hedges, c.hedges_lost, c.attempts),
        (30, 10, 10, 40)
    );
    let attempts: Vec<u32> = m
        .request_records
        .as_ref()
        .unwrap()
        .iter()
        .map(|r| r.attempts)
        .collect();
    assert_eq!(attempts, [[1; 20], [2; 20]].concat()[..30]);
}

#[test]
fn a_growing_timeout_lets_a_slow_server_answer_a_later_attempt() {
    // Service takes 3 s. Timeouts 1 s, 2 s, 4 s (timeout 1 s doubled), no
    // backoff: attempts 1 and 2 time out (at 1 s and 3 s), attempt 3 is
    // sent at 3 s and answered at 6 s. Each abandoned generation is still
    // billed and wasted: 3 billed, 2 wasted.
    let m = run(r#"
        [workload]
        clients = 1
        [server]
        latency = "3s"
        [[strategy]]
        name = "grow"
        backoff = { kind = "none" }
        timeout = "1s"
        timeout_multiplier = 2.0
        max_attempts = 3
    "#);
    conserved(&m);
    let c = &m.counts;
    assert_eq!((c.succeeded, c.timeouts, c.attempts), (1, 2, 3));
    assert_eq!(
        (c.billed_output_tokens, c.wasted_output_tokens),
        (1500, 1000)
    );
    assert!(m.time_to_success.iter().all(|&t| t == 6_000_000_000));
    // A list, its last value repeating: 1 s, 1 s, 4 s. Attempts at 0, 1
    // and 2 s; the third is served 2–5 s, within its 4 s.
    let m = run(r#"
        [workload]
        clients = 1
        [server]
        latency = "3s"
        [[strategy]]
        name = "list"
        backoff = { kind = "none" }
        timeouts = ["1s", "1s", "4s"]
        max_attempts = 3
    "#);
    conserved(&m);
    assert_eq!((m.counts.succeeded, m.counts.timeouts), (1, 2));
    assert!(m.time_to_success.iter().all(|&t| t == 5_000_000_000));
}

#[test]
fn malformed_hedge_and_timeout_keys_are_named() {
    let head = "name = \"m\"\n[[strategy]]\nname = \"s\"\nbackoff = { kind = \"none\" }\n";
    let cases = [
        (
            "hedge = { }\n",
            "strategy[0].hedge.delay",
            "missing: give delay",
        ),
        (
            "hedge = { delay = \"1s\", percentile = 0.5 }\n",
            "strategy[0].hedge.percentile",
            "cannot be given with delay",
        ),
        (
            "hedge = { percentile = 1.0 }\n",
            "strategy[0].hedge.percentile",
            "must be a fraction between 0 and 1 (both excluded), not 1",
        ),
        (
            "hedge = { delay = \"0s\" }\n",
            "strategy[0].hedge.delay",
            "must be longer than 0s",
        ),
        (
            "hedge = { delay = \"1s\", max_copies = 6 }\n",
            "strategy[0].hedge.max_copies",
            "must be a whole number from 2 to 5, not 6",
        ),
        (
            "hedge = { delay = \"1s\", budget = -0.1 }\n",
            "strategy[0].hedge.budget",
            "must be a finite number greater than 0",
        ),
        (
            "timeout_multiplier = 2.0\n",
            "strategy[0].timeout_multiplier",
            "has no effect without timeout",
        ),
        (
            "timeout = \"1s\"\ntimeout_multiplier = 0.5\n",
            "strategy[0].timeout_multiplier",
            "must be a finite number of at least 1, not 0.5",
        ),
        (
            "timeout = \"2s\"\nmax_timeout = \"1s\"\n",
            "strategy[0].max_timeout",
            "must be at least timeout (2s), not 1s",
        ),
        (
            "timeouts = []\n",
            "strategy[0].timeouts",
            "must list at least one timeout",
        ),
        (
            "timeout = \"1s\"\ntimeouts = [\"1s\"]\n",
            "strategy[0].timeout",
            "cannot be given with timeouts",
        ),
    ];
    for (body, key, message) in cases {
        let err = parse_err(&format!("{head}{body}"));
        assert!(err.contains(key) && err.contains(message), "{body}: {err}");
    }
}
