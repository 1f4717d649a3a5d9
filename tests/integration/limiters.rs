//! The limiter's kinds against a burst, with results derived by hand:
//! fixed windows, sliding logs and counters, nginx's leaky-bucket queue,
//! a concurrency limit, and per-limit Retry-After.

use crate::common::parse;
use backsim::experiment::run;
use backsim::metrics::summary::StrategySummary;
use backsim::model::limiter::Limit;

/// `clients` clients each send one request at t = 0, with one attempt
/// only; no network delay; a 200 ms service with room for everyone.
fn burst(clients: u32, limiter: &str, latency: &str) -> String {
    format!(
        "name = \"kinds\"\nseed = 3\nreplications = 2\nhorizon = \"1m\"\n\
         [workload]\nkind = \"burst\"\nclients = {clients}\nspread = \"0s\"\n\
         [workload.tokens]\ninput = 100\noutput = 10\n\
         [limiter]\n{limiter}\n\
         [network]\none_way = \"0ms\"\n\
         [server]\nconcurrency = 1000\nlatency = \"{latency}\"\n\
         [[strategy]]\nname = \"once\"\nbackoff = {{ kind = \"constant\", base = \"1s\" }}\nmax_attempts = 1\n"
    )
}

fn summary(src: &str, threads: usize) -> StrategySummary {
    let scenario = parse(src, "kinds");
    let result = run(&scenario, threads).expect("run");
    result.strategies[0].summary.clone()
}

// A window of 10 per second (600 per minute, window 1 s) meets 100
// requests at t = 0, each allowed one attempt: the window admits its 10
// and refuses the other 90 with 429s. The same holds for a sliding log
// (10 in the last second) and a sliding-window counter (the previous
// window is empty at t = 0, so the estimate is the current count).
// Long-run ceiling: 10 per window of 1 s = 10 requests per second.
#[test]
fn a_window_of_ten_a_second_admits_exactly_ten_of_a_burst_of_a_hundred() {
    for algorithm in ["fixed_window", "sliding_log", "sliding_window"] {
        let limiter =
            format!("algorithm = \"{algorithm}\"\nwindow = \"1s\"\nrequests_per_minute = 600");
        let s = summary(&burst(100, &limiter, "200ms"), 2);
        assert_eq!(s.succeeded, 10.0, "{algorithm}");
        assert_eq!(s.rejected_429, 90.0, "{algorithm}");
        assert_eq!(
            s.rejected_429_by_limit,
            [90.0, 0.0, 0.0, 0.0],
            "{algorithm}"
        );
        assert_eq!(s.success_rate, 0.1, "{algorithm}");
        assert_eq!(s.binding_limit, Some(Limit::Requests), "{algorithm}");
        assert_eq!(s.ceiling_per_s, 10.0, "{algorithm}");
        // Same outputs at any thread count.
        let one = summary(&burst(100, &limiter, "200ms"), 1);
        assert_eq!(format!("{one:?}"), format!("{s:?}"), "{algorithm}");
    }
}

// nginx limit_req rate=10r/s burst=9 meets the same 100 requests: the
// first passes, nine wait 100, 200, …, 900 ms, and 90 get nginx's 503.
// Served 200 ms each: times to success 0.2, 0.3, …, 1.1 s, mean 0.65 s.
// With nodelay the ten pass at once: all 0.2 s. With
// limit_req_status = 429 the 90 are 429s of the request limit instead.
#[test]
fn a_leaky_queue_delays_its_burst_and_refuses_the_rest() {
    let leaky = "algorithm = \"leaky_queue\"\nrequests_per_minute = 600\nrequest_burst = 9";
    let s = summary(&burst(100, leaky, "200ms"), 2);
    assert_eq!(s.succeeded, 10.0);
    assert_eq!(s.errors_503, 90.0);
    assert_eq!(s.rejected_429, 0.0);
    assert!((s.tts_mean_s - 0.65).abs() < 1e-9, "{}", s.tts_mean_s);
    assert!((s.tts_max_s - 1.1).abs() < 1e-9, "{}", s.tts_max_s);
    // Ceiling: 10 per second in the long run, 10 at once at the start.
    assert_eq!(s.ceiling_per_s, 10.0);

    let s = summary(&burst(100, &format!("{leaky}\nnodelay = true"), "200ms"), 2);
    assert_eq!(s.succeeded, 10.0);
    assert!((s.tts_max_s - 0.2).abs() < 1e-9, "{}", s.tts_max_s);

    let s = summary(
        &burst(100, &format!("{leaky}\nlimit_req_status = 429"), "200ms"),
        2,
    );
    assert_eq!((s.succeeded, s.errors_503), (10.0, 0.0));
    assert_eq!(s.rejected_429_by_limit, [90.0, 0.0, 0.0, 0.0]);
}

// At most 5 in flight, each attempt at the provider for 1 s: of 20 sent
// at once, 5 are admitted and 15 refused (named by the request limit).
// With a retry 1 s later (constant backoff) the 15 meet 5 free slots
// again at t = 1 s exactly as the first five leave: 5 more pass.
#[test]
fn a_concurrency_limit_admits_what_is_in_flight_and_frees_slots_on_answers() {
    let s = summary(&burst(20, "max_in_flight = 5", "1s"), 2);
    assert_eq!(s.succeeded, 5.0);
    assert_eq!(s.rejected_429_by_limit, [15.0, 0.0, 0.0, 0.0]);
    let twice =
        burst(20, "max_in_flight = 5", "1s").replace("max_attempts = 1", "max_attempts = 2");
    let s = summary(&twice, 2);
    assert_eq!(s.succeeded, 10.0);
}

// A token limit that answers without Retry-After, a request limit that
// sends one: 50 requests of 110 tokens (100 in, 10 out) against 3300 TPM
// with a fixed window of 1 m (30 requests) and 6000 RPM. The 20 refused
// by tokens hear nothing, so a client that honours Retry-After falls back
// on its own backoff; with `reset` they hear when the window resets
// (60 s), and the 20 come back then and pass.
#[test]
fn per_limit_retry_after_tells_when_the_window_resets() {
    let limiter =
        "algorithm = \"fixed_window\"\nrequests_per_minute = 6000\ntokens_per_minute = 3300";
    let strategy = |mode: &str| {
        burst(
            50,
            &format!("{limiter}\nretry_after_tokens = \"{mode}\""),
            "200ms",
        )
        .replace(
            "max_attempts = 1",
            "max_attempts = 2\nhonor_retry_after = true",
        )
        .replace("horizon = \"1m\"", "horizon = \"5m\"")
    };
    // No header: the retry 1 s later meets the same full window.
    let s = summary(&strategy("none"), 2);
    assert_eq!(s.succeeded, 30.0);
    assert_eq!(s.rejected_429_by_limit, [0.0, 40.0, 0.0, 0.0]);
    // The reset: back at 60 s, when a fresh window holds 30.
    let s = summary(&strategy("reset"), 2);
    assert_eq!(s.succeeded, 50.0);
    assert!((s.tts_max_s - 60.2).abs() < 1e-9, "{}", s.tts_max_s);
}
