//! Results the model fixes exactly (docs/model.md §6): the simulator must
//! reproduce them to the last digit, not approximately.

use crate::common::{Csv, THUNDERING_HERD, backsim, crate_dir, herd_report, load, parse};
use backsim::engine::simulate;
use backsim::random::RunSeeds;

/// The column list that docs/interface.md gives for a report file: the
/// first backquoted list (text with commas) after `intro`. Read from the
/// contract itself, so the files are checked against it and not a copy.
fn interface_columns(intro: &str) -> Vec<String> {
    let doc =
        std::fs::read_to_string(crate_dir().join("docs/interface.md")).expect("docs/interface.md");
    let at = doc
        .find(intro)
        .unwrap_or_else(|| panic!("{intro:?} not in interface.md"));
    let list = doc[at + intro.len()..]
        .split('`')
        .skip(1)
        .step_by(2)
        .find(|quoted| quoted.contains(','))
        .expect("a backquoted column list");
    list.split(',').map(|c| c.trim().to_string()).collect()
}

// The reference scenario (scenarios/thundering-herd.toml),
// strategy `linear`, derived by hand:
//
// - 1,000 clients each send one request at t = 0 (burst, spread 0s); network 0.
// - Request bucket: capacity 50, refill 6000/min = 100/s, starts full. After
//   being emptied it is full again 0.5 s later, so before every wave it holds
//   exactly 50 tokens.
// - Linear backoff, base 1 s: delays before retries 1..4 are 1, 2, 3, 4 s;
//   a 429 comes back at once, so the waves arrive at t = 0, 1, 3, 6, 10 s
//   (cumulative sums). max_attempts = 5: five waves, then give up.
// - Each wave admits exactly 50 (bucket full, cost 1 each, FIFO):
//   wave sizes 1000, 950, 900, 850, 800; rejected 950, 900, 850, 800, 750.
//   rejected_429 = 950 + 900 + 850 + 800 + 750 = 4250.
//   succeeded = 5 × 50 = 250 → success_rate = 250/1000 = 0.25; gave_up = 750.
// - Server: concurrency 1000 ≥ 50, latency 200 ms, no errors; timeout 60 s
//   never fires. Times to success: 50 each of 0.2, 1.2, 3.2, 6.2, 10.2 s.
//   tts_mean = mean(0, 1, 3, 6, 10) + 0.2 = 4 + 0.2 = 4.2 s.
//   Nearest-rank quantiles of the 250 values: p50 = value #125 = 3.2 s;
//   p90 = #225 = 10.2 s; p99 = #248 = 10.2 s; max = 10.2 s.
// - attempts = 50·(1+2+3+4+5) + 750·5 = 750 + 3750 = 4500 →
//   attempts_per_request = 4.5. Attempt counts: 50 requests each made
//   1, 2, 3, 4 attempts (5% each); 50 + 750 = 800 made 5 (80%).
// - peak_load: 1000 attempts arrive at t = 0, within one 1 s window; the
//   bucket refills 100 per 1 s window → 1000 / 100 = 10. Later windows
//   (t − 1 s, t] hold one wave each, which is smaller. (Any strategy meets
//   the same first wave, so its peak_load is at least 10; full jitter's
//   retries land within the first second too, so its peak is higher.)
// - Tokens: only successes are billed, each 1000 input + 500 output
//   (max_tokens 1024 does not cut 500): 250 × 1500 = 375,000 tokens.
//   gpt-4.1 at $2 / $8 per Mtok: 250 × (1000·2 + 500·8)/10^6 = 250 × 0.006
//   = $1.50. Nothing is abandoned, so nothing is wasted.
// - Every replication is identical (no randomness reaches `linear`), so the
//   CI half-width is 0.

#[test]
fn thundering_herd_linear_matches_hand_derivation() {
    let scenario = load(&crate_dir().join(THUNDERING_HERD));
    assert_eq!(scenario.replications, 10);
    let result = backsim::experiment::run(&scenario, 2).expect("run");
    let names: Vec<&str> = result
        .strategies
        .iter()
        .map(|s| s.summary.strategy.as_str())
        .collect();
    assert_eq!(names, ["linear", "exponential-full-jitter"]);
    let lin = &result.strategies[0].summary;
    assert_eq!(lin.replications, 10);
    assert_eq!(lin.requests, 1000.0);
    assert_eq!(lin.success_rate, 0.25);
    assert_eq!(lin.success_rate_ci95, 0.0);
    assert!((lin.tts_mean_s - 4.2).abs() < 1e-9, "{}", lin.tts_mean_s);
    assert!((lin.tts_p50_s - 3.2).abs() < 1e-9, "{}", lin.tts_p50_s);
    assert!((lin.tts_p90_s - 10.2).abs() < 1e-9, "{}", lin.tts_p90_s);
    assert!((lin.tts_p99_s - 10.2).abs() < 1e-9, "{}", lin.tts_p99_s);
    assert!((lin.tts_max_s - 10.2).abs() < 1e-9, "{}", lin.tts_max_s);
    assert_eq!(lin.attempts_per_request, 4.5);
    assert_eq!(lin.attempts, 4500.0);
    assert_eq!(lin.succeeded, 250.0);
    assert_eq!(lin.rejected_429, 4250.0);
    assert_eq!(lin.errors_5xx, 0.0);
    assert_eq!(lin.timeouts, 0.0);
    assert_eq!(lin.gave_up, 750.0);
    assert_eq!(lin.unfinished, 0.0);
    assert_eq!(lin.peak_load, 10.0);
    assert_eq!(lin.billed_tokens, 375_000.0);
    assert_eq!(lin.wasted_tokens, 0.0);
    assert!((lin.billed_usd - 1.5).abs() < 1e-12, "{}", lin.billed_usd);
    assert_eq!(lin.wasted_usd, 0.0);
    // Throughput: the run is active until the last wave's successes at
    // 10.2 s, so goodput = 250 / 10.2 = 24.5098… successes per second.
    // Only the request limit is set, and it refused every 429: it binds,
    // at 100 requests per second (cost 1), and over the 10.2 s it admits
    // at most 50 (the full bucket) + 100 × 10.2 = 1070 requests.
    use backsim::model::limiter::Limit;
    assert_eq!(lin.binding_limit, Some(Limit::Requests));
    assert!((lin.active_s - 10.2).abs() < 1e-9, "{}", lin.active_s);
    assert!(
        (lin.goodput_per_s - 250.0 / 10.2).abs() < 1e-9,
        "{}",
        lin.goodput_per_s
    );
    assert!(lin.goodput_ci95.abs() < 1e-9, "identical replications");
    assert_eq!(lin.ceiling_per_s, 100.0);
    assert!(
        (lin.ceiling_requests - 1070.0).abs() < 1e-9,
        "{}",
        lin.ceiling_requests
    );
    assert_eq!(lin.peak_load_by_limit[0], 10.0);
    assert!(lin.peak_load_by_limit[1..].iter().all(|x| x.is_nan()));
    assert_eq!(lin.rejected_429_share(0), 1.0);
    let dist = &lin.attempts_distribution;
    assert_eq!(dist.len(), 6, "{dist:?}");
    assert_eq!(&dist[1..], &[0.05, 0.05, 0.05, 0.05, 0.8]);

    // The full-jitter strategy meets the same first wave: 1000 attempts at t = 0.
    let fj = &result.strategies[1].summary;
    assert_eq!(fj.requests, 1000.0);
    assert!(fj.peak_load >= 10.0, "{}", fj.peak_load);
    assert_eq!(fj.unfinished, 0.0);
}

/// The per-wave story of the derivation above, one replication through the
/// engine: the time series shows the five waves and nothing else.
#[test]
fn thundering_herd_linear_waves_in_the_time_series() {
    let scenario = load(&crate_dir().join(THUNDERING_HERD));
    let m = simulate(&scenario, 0, RunSeeds::new(scenario.seed, 0, 0, "linear"));
    let rows = &m.series.rows;
    // Last activity: the successes of the last wave at 10.2 s → 11 buckets.
    assert_eq!(rows.len(), 11);
    for (t, row) in rows.iter().enumerate() {
        let (attempts, admitted) = match t {
            0 => (1000, 50),
            1 => (950, 50),
            3 => (900, 50),
            6 => (850, 50),
            10 => (800, 50),
            _ => (0, 0),
        };
        assert_eq!(row.attempts, attempts, "bucket {t}");
        assert_eq!(row.admitted, admitted, "bucket {t}");
        assert_eq!(row.rejected_429, attempts - admitted, "bucket {t}");
        // A wave's successes come back 200 ms later, in the same bucket.
        assert_eq!(row.successes, admitted, "bucket {t}");
        assert_eq!(row.timeouts, 0, "bucket {t}");
        // Everything sent has been answered by the end of each bucket.
        assert_eq!(row.in_flight, 0, "bucket {t}");
        // The bucket is full again 0.5 s after each wave, and waves are at
        // least 1 s from the next bucket end.
        assert_eq!(row.limiter_level, 50.0, "bucket {t}");
    }
}

/// The same numbers through the command line, as text in `summary.csv`.
#[test]
fn thundering_herd_cli_summary_csv() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = herd_report(tmp.path());
    let summary = Csv::read(&dir.join("summary.csv"));
    let contract = interface_columns("has at least these columns, in this order");
    assert_eq!(contract.len(), 22);
    assert_eq!(summary.header[..contract.len()], contract);
    assert_eq!(summary.rows.len(), 2);
    let row = summary.row_where("strategy", "linear");
    let expect = [
        ("scenario", "thundering-herd"),
        ("replications", "10"),
        ("requests", "1000"),
        ("success_rate", "0.25"),
        ("success_rate_ci95", "0"),
        ("tts_mean_s", "4.2"),
        ("tts_p50_s", "3.2"),
        ("tts_p90_s", "10.2"),
        ("tts_p99_s", "10.2"),
        ("tts_max_s", "10.2"),
        ("attempts_per_request", "4.5"),
        ("rejected_429", "4250"),
        ("errors_5xx", "0"),
        ("timeouts", "0"),
        ("gave_up", "750"),
        ("unfinished", "0"),
        ("peak_load", "10"),
        ("billed_tokens", "375000"),
        ("wasted_tokens", "0"),
        ("billed_usd", "1.5"),
        ("wasted_usd", "0"),
    ];
    for (col, text) in expect {
        assert_eq!(summary.cell(row, col), text, "column {col}");
    }

    // timeseries.csv: the interface's columns; linear's waves as derived.
    let series = Csv::read(&dir.join("timeseries.csv"));
    assert_eq!(series.header, interface_columns("`timeseries.csv`:"));
    let linear = series.rows_where("strategy", "linear");
    assert!(linear.len() >= 11, "{} rows", linear.len());
    for (t, row) in linear.iter().enumerate() {
        assert_eq!(series.num(row, "t_s"), t as f64);
        let attempts = match t {
            0 => 1000.0,
            1 => 950.0,
            3 => 900.0,
            6 => 850.0,
            10 => 800.0,
            _ => 0.0,
        };
        let admitted = if attempts > 0.0 { 50.0 } else { 0.0 };
        assert_eq!(series.num(row, "attempts"), attempts, "t = {t}");
        assert_eq!(series.num(row, "admitted"), admitted, "t = {t}");
        assert_eq!(
            series.num(row, "rejected_429"),
            attempts - admitted,
            "t = {t}"
        );
        assert_eq!(series.num(row, "successes"), admitted, "t = {t}");
    }
}

/// A request bucket bounds what any stretch of time admits: over any k
/// consecutive buckets of width w (an interval of length k·w), at most
/// burst + rate·k·w attempts pass (the level is at most `burst` at the
/// start, and refills rate·k·w during the interval).
///
/// Workload: Poisson 1000/s for 30 s against 100/s with burst 20, zero
/// latency, no retries, so the limiter is saturated the whole time.
fn bucket_bound_scenario(bucket: &str) -> String {
    format!(
        r#"
name = "bucket-bound"
seed = 11
replications = 3
horizon = "40s"

[workload]
kind = "poisson"
clients = 1000
rate_per_s = 1000.0
duration = "30s"

[limiter]
requests_per_minute = 6000
request_burst = 20

[server]
latency = "0s"

[report]
bucket = "{bucket}"

[[strategy]]
name = "no-retry"
backoff = {{ kind = "none" }}
max_attempts = 1
"#
    )
}

#[test]
fn request_bucket_bounds_admissions_in_every_window() {
    const BURST: f64 = 20.0;
    const RATE: f64 = 100.0; // per second
    for (bucket, width_s) in [("1s", 1.0), ("100ms", 0.1)] {
        let scenario = parse(&bucket_bound_scenario(bucket), "bucket-bound");
        for rep in 0..scenario.replications {
            let m = simulate(
                &scenario,
                0,
                RunSeeds::new(scenario.seed, 0, u64::from(rep), "no-retry"),
            );
            let admitted: Vec<u64> = m.series.rows.iter().map(|r| r.admitted).collect();
            let n = admitted.len();
            for i in 0..n {
                let mut sum = 0u64;
                for (k, a) in admitted[i..].iter().enumerate() {
                    sum += a;
                    let k = (k + 1) as f64;
                    let bound = BURST + RATE * k * width_s;
                    assert!(
                        sum as f64 <= bound + 1e-9,
                        "bucket {bucket}, rep {rep}: buckets {i}..{} admitted {sum} > {bound}",
                        i as f64 + k
                    );
                }
            }
            // The bound is nearly reached: arrivals come every ~1 ms, so the
            // bucket never refills to capacity after the start, and the total
            // admitted over [0, 30 s) is 20 + 100·t_last − level, with t_last
            // within a few ms of 30 s and a level below ~2 tokens.
            let total: u64 = admitted.iter().sum();
            assert!((3008..=3020).contains(&total), "rep {rep}: total {total}");
            // Saturated steady state: every whole second inside the arrival
            // period admits 100 ± (level differences of ~1-2 tokens).
            if bucket == "1s" {
                for (t, &a) in admitted.iter().enumerate().take(30).skip(1) {
                    assert!((97..=103).contains(&a), "rep {rep}, second {t}: {a}");
                }
                // The first second also spends the initial burst.
                assert!((117..=120).contains(&admitted[0]), "{}", admitted[0]);
            }
        }
    }
}

/// 1,000 clients at t = 0 against the reference bucket (burst 50, 100/s),
/// 200 ms latency, one strategy given as TOML; `limiter_extra` goes into
/// `[limiter]`.
fn herd(limiter_extra: &str, strategy: &str) -> backsim::scenario::Scenario {
    let text = format!(
        r#"
name = "herd"
replications = 2
horizon = "10m"

[workload]
kind = "burst"
clients = 1000

[limiter]
requests_per_minute = 6000
request_burst = 50
{limiter_extra}

[server]
latency = "200ms"

[[strategy]]
name = "s"
{strategy}
"#
    );
    parse(&text, "herd")
}

fn summary(scenario: &backsim::scenario::Scenario) -> backsim::metrics::summary::StrategySummary {
    let result = backsim::experiment::run(scenario, 2).expect("run");
    result.strategies[0].summary.clone()
}

/// Retry-After = exact, honoured. After the first 50, the bucket is empty;
/// each 429 says "come back when one token is there": (1 − 0)/100 per s =
/// 10 ms. So all rejected clients come back together every 10 ms and each
/// wave admits exactly one (the bucket holds exactly 1.000 token then).
/// Waves at 0, 10, 20, 30, 40 ms of 1000, 950, 949, 948, 947 attempts;
/// successes 50 + 1 + 1 + 1 + 1 = 54; gave up 946.
/// attempts = 50·1 + 2 + 3 + 4 + 5 + 946·5 = 4794; 429s = 4794 − 54 = 4740.
/// tts: 50 × 0.2 + (0.21 + 0.22 + 0.23 + 0.24) = 10.9 s over 54.
/// All waves fall in one 1 s window: peak 4794 / 100 = 47.94.
#[test]
fn exact_retry_after_admits_one_per_refilled_token() {
    let s = summary(&herd(
        r#"retry_after = "exact""#,
        r#"backoff = { kind = "linear", base = "1s" }
max_attempts = 5
honor_retry_after = true"#,
    ));
    assert_eq!(s.succeeded, 54.0);
    assert_eq!(s.success_rate, 0.054);
    assert_eq!(s.gave_up, 946.0);
    assert_eq!(s.attempts, 4794.0);
    assert_eq!(s.rejected_429, 4740.0);
    assert!(
        (s.tts_mean_s - 10.9 / 54.0).abs() < 1e-9,
        "{}",
        s.tts_mean_s
    );
    assert!((s.tts_max_s - 0.24).abs() < 1e-12, "{}", s.tts_max_s);
    assert!((s.peak_load - 47.94).abs() < 1e-9, "{}", s.peak_load);
}

/// Retry-After = seconds: the 10 ms wait is rounded up to 1 s, so waves
/// come at 0, 1, 2, 3, 4 s; the bucket is full (50) before each.
/// 250 succeed; tts mean = mean(0, 1, 2, 3, 4) + 0.2 = 2.2 s; attempts and
/// 429s as for linear backoff: 4500 and 4250. Each 1 s window (t − 1, t]
/// holds one wave: peak 1000 / 100 = 10.
#[test]
fn whole_second_retry_after_rounds_up() {
    let s = summary(&herd(
        r#"retry_after = "seconds""#,
        r#"backoff = { kind = "linear", base = "1s" }
max_attempts = 5
honor_retry_after = true"#,
    ));
    assert_eq!(s.success_rate, 0.25);
    assert!((s.tts_mean_s - 2.2).abs() < 1e-9, "{}", s.tts_mean_s);
    assert_eq!(s.attempts, 4500.0);
    assert_eq!(s.rejected_429, 4250.0);
    assert_eq!(s.peak_load, 10.0);
}

/// Constant 200 ms backoff: waves at 0, 0.2, 0.4, 0.6, 0.8 s. The bucket
/// refills exactly 100/s × 0.2 s = 20 tokens between waves (exact integer
/// arithmetic: the 20th token arrives exactly at the wave and counts).
/// successes 50 + 4 × 20 = 130 → 0.13;
/// tts = (50 × 0.2 + 20 × (0.4 + 0.6 + 0.8 + 1.0)) / 130 = 66 / 130 s;
/// attempts = 50 + 20·(2 + 3 + 4 + 5) + 870·5 = 50 + 280 + 4350 = 4680;
/// all five waves fall in the window (−0.2, 0.8]: peak 4680 / 100 = 46.8.
#[test]
fn partial_refill_between_waves_is_exact() {
    let s = summary(&herd(
        "",
        r#"backoff = { kind = "constant", base = "200ms" }
max_attempts = 5"#,
    ));
    assert_eq!(s.succeeded, 130.0);
    assert_eq!(s.success_rate, 0.13);
    assert!(
        (s.tts_mean_s - 66.0 / 130.0).abs() < 1e-9,
        "{}",
        s.tts_mean_s
    );
    assert_eq!(s.attempts, 4680.0);
    assert_eq!(s.rejected_429, 4550.0);
    assert_eq!(s.gave_up, 870.0);
    assert!((s.peak_load - 46.8).abs() < 1e-9, "{}", s.peak_load);
}

/// Token bucket: burst 10,000 tokens, 60,000 per minute = 1,000 per s.
/// Each attempt costs input 1000 + max_tokens 1024 = 2024 tokens. 10
/// clients at t = 0, zero latency, Retry-After exact and honoured.
/// t = 0: 4 admitted (4 × 2024 = 8096), level 1904; 6 rejected, each told
///   (2024 − 1904)/1000 s = 0.12 s.
/// t = 0.12: level exactly 2024: 1 admitted, level 0; the 5 others are told
///   2024/1000 = 2.024 s. Then one more every 2.024 s.
/// Successes at 0 (×4), 0.12 + 2.024·k for k = 0..5 (the last at 10.24 s, on
/// its 7th attempt). tts mean = (6 × 0.12 + 2.024 × 15) / 10 = 31.08/10.
/// attempts = 4 + 2 + 3 + 4 + 5 + 6 + 7 = 31; 429s = 21.
/// Output 2000 tokens is cut to max_tokens 1024: billed 10 × 2024 = 20240.
#[test]
fn token_bucket_charges_input_plus_max_tokens() {
    let text = r#"
name = "tokens"
replications = 1
horizon = "1m"
[workload]
kind = "burst"
clients = 10
[workload.tokens]
input = 1000
output = 2000
max_tokens = 1024
[limiter]
tokens_per_minute = 60000
token_burst = 10000
retry_after = "exact"
[[strategy]]
name = "honour"
backoff = { kind = "none" }
max_attempts = 10
honor_retry_after = true
"#;
    let s = summary(&parse(text, "tokens"));
    assert_eq!(s.success_rate, 1.0);
    assert!((s.tts_mean_s - 3.108).abs() < 1e-9, "{}", s.tts_mean_s);
    assert!((s.tts_max_s - 10.24).abs() < 1e-9, "{}", s.tts_max_s);
    assert_eq!(s.attempts, 31.0);
    assert_eq!(s.rejected_429, 21.0);
    assert_eq!(s.billed_tokens, 20240.0);
    let dist = &s.attempts_distribution;
    assert_eq!(&dist[1..], &[0.4, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]);
}

/// Abandoned attempts are billed and wasted (docs/model.md §2). 100 clients at
/// t = 0, no limiter, input 1000 / output 500 tokens at $2 / $8 per Mtok
/// ($0.006 per completed generation).
fn abandon(network: &str, latency: &str, timeout: &str, strategy: &str) -> String {
    format!(
        r#"
name = "abandon"
replications = 1
horizon = "30s"
[workload]
kind = "burst"
clients = 100
[network]
one_way = "{network}"
[server]
latency = "{latency}"
[client]
timeout = "{timeout}"
[pricing]
input_per_mtok = 2.0
output_per_mtok = 8.0
[[strategy]]
name = "s"
{strategy}
"#
    )
}

/// Service 2 s, timeout 1 s, constant 500 ms backoff, 3 attempts: attempts
/// at 0, 1.5, 3.0 s each time out (at 1.0, 2.5, 4.0) and the server still
/// finishes each (at 2.0, 3.5, 5.0) and bills it: 300 generations billed,
/// all wasted: 300 × 1500 = 450,000 tokens, $1.80; 300 timeouts, 100 gave up.
#[test]
fn timed_out_generations_are_billed_and_wasted() {
    let s = summary(&parse(
        &abandon(
            "0s",
            "2s",
            "1s",
            "backoff = { kind = \"constant\", base = \"500ms\" }\nmax_attempts = 3",
        ),
        "abandon",
    ));
    assert_eq!(s.success_rate, 0.0);
    assert_eq!(s.timeouts, 300.0);
    assert_eq!(s.gave_up, 100.0);
    assert_eq!(s.billed_tokens, 450_000.0);
    assert_eq!(s.wasted_tokens, 450_000.0);
    assert!((s.billed_usd - 1.8).abs() < 1e-12, "{}", s.billed_usd);
    assert!((s.wasted_usd - 1.8).abs() < 1e-12, "{}", s.wasted_usd);
    assert!(s.useful_usd.abs() < 1e-12, "{}", s.useful_usd);
}

/// Network 400 ms each way, service 300 ms: a reply reaches the client
/// 1.1 s after sending. With a 1 s timeout the server finished (and billed)
/// while the client still waited, but the answer comes back too late: the
/// tokens are wasted when it arrives. Backoff none, 2 attempts: attempts at
/// 0 and 1.0 s, both time out; 200 billed and wasted = 300,000 tokens.
/// With a 1.2 s timeout every first attempt succeeds at 1.1 s, nothing
/// wasted: 100 × 1500 = 150,000 tokens billed.
#[test]
fn late_answers_are_wasted_and_timely_ones_are_not() {
    let strategy = "backoff = { kind = \"none\" }\nmax_attempts = 2";
    let late = summary(&parse(
        &abandon("400ms", "300ms", "1s", strategy),
        "abandon",
    ));
    assert_eq!(late.success_rate, 0.0);
    assert_eq!(late.timeouts, 200.0);
    assert_eq!(late.billed_tokens, 300_000.0);
    assert_eq!(late.wasted_tokens, 300_000.0);

    let timely = summary(&parse(
        &abandon("400ms", "300ms", "1200ms", strategy),
        "abandon",
    ));
    assert_eq!(timely.success_rate, 1.0);
    assert!(
        (timely.tts_mean_s - 1.1).abs() < 1e-12,
        "{}",
        timely.tts_mean_s
    );
    assert!((timely.tts_max_s - 1.1).abs() < 1e-12);
    assert_eq!(timely.timeouts, 0.0);
    assert_eq!(timely.billed_tokens, 150_000.0);
    assert_eq!(timely.wasted_tokens, 0.0);
}

/// Closed loop: 10 clients × 5 requests, 100 ms service, 1 s think time, no
/// limiter: 50 requests, all succeed in 0.1 s; a client's last request
/// ends at 5 × 0.1 + 4 × 1 = 4.5 s, so the series has 5 one-second buckets
/// with 10 successes each (at 0.1, 1.2, 2.3, 3.4, 4.5 s).
#[test]
fn closed_loop_runs_every_request_of_every_client() {
    let text = r#"
name = "closed"
replications = 1
horizon = "1m"
[workload]
kind = "closed"
clients = 10
requests_per_client = 5
think_time = "1s"
[server]
latency = "100ms"
[[strategy]]
name = "s"
backoff = { kind = "none" }
"#;
    let scenario = parse(text, "closed");
    let m = simulate(&scenario, 0, RunSeeds::new(scenario.seed, 0, 0, "s"));
    assert_eq!(m.counts.requests, 50);
    assert_eq!(m.counts.succeeded, 50);
    assert_eq!(m.counts.attempts, 50);
    assert!(m.time_to_success.iter().all(|&t| t == 100_000_000));
    assert_eq!(m.last_activity, 4_500_000_000);
    let successes: Vec<u64> = m.series.rows.iter().map(|r| r.successes).collect();
    assert_eq!(successes, [10, 10, 10, 10, 10]);
}

/// A request deadline stops retries that would start too late and cuts the
/// attempt in flight short (docs/model.md §4). The herd with linear backoff
/// (waves at 0, 1, 3, 6, 10 s), 200 ms latency:
/// - deadline 5 s: after the wave at 3 s the next retry would start at
///   6 s ≥ 5 s, so the 850 rejected there give up. 150 succeed; attempts
///   1000 + 950 + 900 = 2850; tts mean = (0.2 + 1.2 + 3.2)/3 s.
/// - deadline 3.1 s: the 50 admitted at 3 s get a timer of 0.1 s, which
///   fires at 3.1 s before their answer at 3.2 s: 50 timeouts, whose
///   generations the server still bills (50 × 1500 tokens wasted). 100
///   succeed; the other 900 give up.
#[test]
fn deadline_stops_retries_and_cuts_attempts_short() {
    let strategy = |deadline: &str| {
        format!(
            "backoff = {{ kind = \"linear\", base = \"1s\" }}\nmax_attempts = 5\ndeadline = \"{deadline}\""
        )
    };
    let s = summary(&herd("", &strategy("5s")));
    assert_eq!(s.succeeded, 150.0);
    assert_eq!(s.gave_up, 850.0);
    assert_eq!(s.attempts, 2850.0);
    assert_eq!(s.timeouts, 0.0);
    assert!((s.tts_mean_s - 4.6 / 3.0).abs() < 1e-9, "{}", s.tts_mean_s);

    let s = summary(&herd("", &strategy("3.1s")));
    assert_eq!(s.succeeded, 100.0);
    assert_eq!(s.gave_up, 900.0);
    assert_eq!(s.timeouts, 50.0);
    assert_eq!(s.attempts, 2850.0);
    assert_eq!(s.billed_tokens, 150.0 * 1500.0);
    assert_eq!(s.wasted_tokens, 50.0 * 1500.0);
    assert!((s.tts_max_s - 1.2).abs() < 1e-12, "{}", s.tts_max_s);
}

/// The distributions behind the charts, for `linear` in the reference
/// scenario (derivation above): successes at 0.2, 1.2, 3.2, 6.2 and 10.2 s,
/// 50 of 1,000 requests each, so the share succeeded within t is a
/// staircase of 5% steps up to 25%; attempt counts 5% each for 1–4, 80%
/// for 5. `tts_cdf.csv` lists the grid times 10^(3 + j/50) ns (rounded to
/// a nanosecond) from just before the first success to the last.
#[test]
fn thundering_herd_linear_distributions_csv() {
    let tmp = tempfile::tempdir().expect("temp dir");
    backsim()
        .args(["run", THUNDERING_HERD, "--quiet", "--no-charts", "--out"])
        .arg(tmp.path())
        .assert()
        .success();
    let dir = tmp.path().join("thundering-herd");

    let cdf = Csv::read(&dir.join("tts_cdf.csv"));
    assert_eq!(
        cdf.header,
        ["scenario", "strategy", "t_s", "share_succeeded"]
    );
    let linear = cdf.rows_where("strategy", "linear");
    let grid_s = |j: i32| (10f64.powf(3.0 + f64::from(j) / 50.0).round()) / 1e9;
    // 0.2 s lies between grid points 265 (0.1995 s) and 266 (0.2089 s);
    // the grid runs on to the slowest success of either strategy, which
    // for full jitter is later than linear's 10.2 s (point 351, 10.47 s).
    let summary = Csv::read(&dir.join("summary.csv"));
    let slowest = summary.num(
        summary.row_where("strategy", "exponential-full-jitter"),
        "tts_max_s",
    );
    assert!(slowest > 10.2);
    let last = (50.0 * (slowest * 1e9).log10()).ceil() as i32 - 150;
    assert_eq!(linear.len() as i32, last - 265 + 1);
    for (row, j) in linear.iter().zip(265..) {
        let t = cdf.num(row, "t_s");
        assert!((t - grid_s(j)).abs() < 1e-12, "point {j}: {t}");
        let waves_done = [0.2, 1.2, 3.2, 6.2, 10.2]
            .iter()
            .filter(|&&w| w <= t)
            .count();
        let share = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25][waves_done];
        assert_eq!(cdf.num(row, "share_succeeded"), share, "t = {t}");
    }
    // Both strategies share the grid.
    assert_eq!(
        cdf.rows_where("strategy", "exponential-full-jitter").len(),
        linear.len()
    );

    let attempts = Csv::read(&dir.join("attempts.csv"));
    assert_eq!(
        attempts.header,
        ["scenario", "strategy", "attempts", "share_of_ended"]
    );
    let shares: Vec<(f64, f64)> = attempts
        .rows_where("strategy", "linear")
        .iter()
        .map(|r| {
            (
                attempts.num(r, "attempts"),
                attempts.num(r, "share_of_ended"),
            )
        })
        .collect();
    assert_eq!(
        shares,
        [
            (1.0, 0.05),
            (2.0, 0.05),
            (3.0, 0.05),
            (4.0, 0.05),
            (5.0, 0.8)
        ]
    );
}

/// A token limit alone, derived by hand: load, the binding limit and its
/// ceiling are measured in tokens, not requests.
///
/// - 20 clients send one request each at t = 0; each attempt reserves
///   900 input + 100 `max_tokens` = 1,000 tokens against a bucket of
///   10,000 tokens refilling at 60,000 per minute = 1,000 per second
///   (one attempt's worth per second). No request limit.
/// - t = 0: 20 attempts = 20,000 tokens arrive; 10 are admitted (the full
///   bucket), 10 get 429. Retry-After is exact and honoured, and the
///   backoff adds nothing: every refused client is told to come back when
///   the bucket holds 1,000 tokens again, 1 s later, so at t = k s the
///   11 − k still waiting arrive together, one is admitted and the rest
///   refused again: 429s = 10 + 9 + … + 1 = 55, the k-th refused request
///   is admitted at t = k s, and every request succeeds.
/// - Peak load per 1 s window (t − 1 s, t]: the first holds 20,000 tokens
///   against 1,000 refilled → 20; later ones at most 10 attempts.
///   Against requests it would not exist: there is no request limit.
/// - Binding limit: tokens_per_minute (the only one), which refused every
///   429. Ceiling: 1,000 tokens/s ÷ 1,000 per attempt = 1 request/s.
/// - The last success: admitted at t = 10 s, served in 0.5 s → 10.5 s of
///   activity. Over it the bucket admits at most (10,000 + 1,000 × 10.5)
///   ÷ 1,000 = 20.5 requests; goodput = 20 ÷ 10.5 per second.
#[test]
fn a_token_limit_alone_binds_in_tokens() {
    let scenario = parse(
        r#"
name = "tokens-alone"
seed = 1
replications = 3
horizon = "1m"
[workload]
kind = "burst"
clients = 20
spread = "0s"
[workload.tokens]
input = 900
output = 100
max_tokens = 100
[limiter]
tokens_per_minute = 60000
token_burst = 10000
retry_after = "exact"
[server]
latency = "500ms"
[[strategy]]
name = "patient"
backoff = { kind = "none" }
max_attempts = 100
honor_retry_after = true
"#,
        "tokens-alone",
    );
    let result = backsim::experiment::run(&scenario, 2).expect("run");
    let s = &result.strategies[0].summary;
    use backsim::model::limiter::Limit;
    assert_eq!(s.succeeded, 20.0);
    assert_eq!(s.rejected_429, 55.0);
    assert_eq!(s.binding_limit, Some(Limit::Tokens));
    assert_eq!(s.peak_load, 20.0);
    assert_eq!(s.peak_load_by_limit[1], 20.0);
    assert!(s.peak_load_by_limit[0].is_nan(), "no request limit");
    assert_eq!(s.ceiling_per_s, 1.0);
    assert!((s.active_s - 10.5).abs() < 1e-9, "{}", s.active_s);
    assert!(
        (s.ceiling_requests - 20.5).abs() < 1e-9,
        "{}",
        s.ceiling_requests
    );
    assert!(
        (s.goodput_per_s - 20.0 / 10.5).abs() < 1e-9,
        "{}",
        s.goodput_per_s
    );
    assert_eq!(s.rejected_429_share(Limit::Tokens as usize), 1.0);
}
