//! The LLM side of the model, against hand-computed results: token-per-
//! minute admission and Retry-After, output charged as reserved or as
//! generated, wasted input and output dollars, fallback routing with
//! per-model totals, and trace replay.

use crate::common::{Csv, backsim, folder, report_files};
use std::path::Path;

/// Runs `scenario.toml` in `dir` and returns the report folder.
fn run_in(dir: &Path, name: &str) -> std::path::PathBuf {
    backsim()
        .args(["run", "--quiet", "--no-charts"])
        .arg(dir.join("scenario.toml"))
        .arg("--out")
        .arg(dir.join("out"))
        .assert()
        .success();
    dir.join("out").join(name)
}

/// A scenario replaying `trace.csv` with no latency and no network, so
/// that every time below is exact.
fn tpm_scenario(name: &str, output_charge: &str, strategy: &str) -> String {
    format!(
        r#"
name = "{name}"
replications = 1
horizon = "1m"
[workload]
kind = "trace"
file = "trace.csv"
clients = 10
[workload.tokens]
max_tokens = 200
[limiter]
tokens_per_minute = 6000        # 100 tokens per second
token_burst = 500
output_charge = "{output_charge}"
retry_after = "exact"
[[strategy]]
{strategy}
"#
    )
}

const HONOUR_ONCE: &str = r#"name = "retry-after"
backoff = { kind = "constant", base = "30s" }
max_attempts = 2
honor_retry_after = true"#;

// Token-per-minute admission by hand. Each request costs input 300 +
// max_tokens 200 = 500 tokens; the bucket holds 500 and refills 100/s.
//
//   t = 0    A: level 500 → admitted, 0 left.
//   t = 0.5  B: level 50 → 429 (tokens); Retry-After (500 − 50)/100 = 4.5 s.
//   t = 1    C: level 100 → 429, Retry-After 4 s.
//   t = 5    B and C retry. B's retry was scheduled first (at 0.5 s), so
//            B goes first: level 500 → admitted (0 left), after 4.5 s.
//            C: level 0 → 429 on its second attempt: gives up.
//
// So: 3 requests, 2 succeed (A at once, B after 4.5 s), 3 rejections, all
// by the token limit, 5 attempts.
const TPM_TRACE: &str = "t_s,input_tokens,output_tokens\n0,300,50\n0.5,300,50\n1,300,50\n";

#[test]
fn token_per_minute_admission_and_retry_after_by_hand() {
    let tmp = folder(&[
        ("trace.csv", TPM_TRACE),
        (
            "scenario.toml",
            &tpm_scenario("tpm", "max_tokens", HONOUR_ONCE),
        ),
    ]);
    let dir = run_in(tmp.path(), "tpm");
    let s = Csv::read(&dir.join("summary.csv"));
    let row = &s.rows[0];
    let expect = [
        ("requests", 3.0),
        ("succeeded", 2.0),
        ("gave_up", 1.0),
        ("attempts", 5.0),
        ("rejected_429", 3.0),
        ("rejected_429_tokens", 3.0),
        ("rejected_429_requests", 0.0),
        ("tts_max_s", 4.5),
        ("tts_mean_s", 2.25),
    ];
    for (col, v) in expect {
        assert_eq!(s.num(row, col), v, "{col}");
    }
}

// The same arrivals with Anthropic's rule: the 200 reserved output tokens
// are corrected to the 50 generated when each attempt ends (at once, no
// latency), giving 150 back.
//
//   t = 0    A: 500 → admitted → 0, then +150 → 150.
//   t = 0.5  B: 200 → 429, Retry-After (500 − 200)/100 = 3 s.
//   t = 1    C: 250 → 429, Retry-After 2.5 s.
//   t = 3.5  B retries first: 500 → admitted (0 left), after 3 s.
//   t = 3.5  C retries: level 0 → 429: gives up.
//
// B now succeeds after 3 s instead of 4.5 s.
#[test]
fn actual_output_charge_gives_back_unused_reservations() {
    let tmp = folder(&[
        ("trace.csv", TPM_TRACE),
        (
            "scenario.toml",
            &tpm_scenario("tpm-actual", "actual", HONOUR_ONCE),
        ),
    ]);
    let dir = run_in(tmp.path(), "tpm-actual");
    let s = Csv::read(&dir.join("summary.csv"));
    let row = &s.rows[0];
    assert_eq!(s.num(row, "succeeded"), 2.0);
    assert_eq!(s.num(row, "rejected_429_tokens"), 3.0);
    assert_eq!(s.num(row, "tts_max_s"), 3.0);
    assert_eq!(s.num(row, "tts_mean_s"), 1.5);
}

// Wasted money, input and output apart. Every attempt times out (1 s)
// while its 2 s generation goes on and is billed: 10 clients × 3 attempts
// × (1000 input + 500 output) tokens, all wasted. At gpt-4.1's $2 / $8 per
// million: input 30 × 1000 × 2 / 10^6 = $0.06, output 30 × 500 × 8 / 10^6
// = $0.12. With a 5 s timeout nothing is wasted.
fn wasted_scenario(timeout: &str) -> String {
    format!(
        r#"
name = "wasted"
replications = 2
horizon = "10m"
[workload]
clients = 10
[server]
latency = "2s"
[client]
timeout = "{timeout}"
[pricing]
model = "gpt-4.1"
[[strategy]]
name = "c"
backoff = {{ kind = "constant", base = "1s" }}
max_attempts = 3
"#
    )
}

#[test]
fn wasted_input_and_output_dollars_are_exact() {
    for (timeout, wasted_in, wasted_out, billed) in
        [("1s", 0.06, 0.12, 0.18), ("5s", 0.0, 0.0, 0.06)]
    {
        let tmp = folder(&[("scenario.toml", &wasted_scenario(timeout))]);
        let dir = run_in(tmp.path(), "wasted");
        let s = Csv::read(&dir.join("summary.csv"));
        let row = &s.rows[0];
        assert_eq!(s.num(row, "wasted_input_usd"), wasted_in, "{timeout}");
        assert_eq!(s.num(row, "wasted_output_usd"), wasted_out, "{timeout}");
        assert_eq!(s.num(row, "billed_usd"), billed, "{timeout}");
        let m = Csv::read(&dir.join("models.csv"));
        assert_eq!(m.rows.len(), 1);
        assert_eq!(m.cell(&m.rows[0], "model"), "gpt-4.1");
        assert_eq!(m.num(&m.rows[0], "wasted_output_usd"), wasted_out);
    }
}

// Fallback: the primary's request bucket holds one request and refills
// 0.001 per minute, so after the first admission it is empty for the whole
// run. Ten requests at t = 0: one succeeds on the primary, nine get a 429,
// and their retries go to the fallback (unlimited), where they succeed.
// Costs: primary 1 × (1000 × $2 + 500 × $8) / 10^6 = $0.006; fallback
// 9 × (1000 × $0.28 + 500 × $0.42) / 10^6 = 9 × $0.00049 = $0.00441.
const FALLBACK: &str = r#"
name = "fallback"
replications = 3
horizon = "5m"
[workload]
clients = 10
[limiter]
requests_per_minute = 0.001
request_burst = 1
[server]
latency = "100ms"
[pricing]
model = "gpt-4.1"
[[model]]
name = "deepseek-v3.2"
pricing = { model = "deepseek-v3.2" }
[[strategy]]
name = "stay"
backoff = { kind = "constant", base = "1s" }
max_attempts = 3
[[strategy]]
name = "fall-back"
backoff = { kind = "constant", base = "1s" }
max_attempts = 3
fallback = { model = "deepseek-v3.2", on = ["429"] }
"#;

#[test]
fn fallback_sends_retries_to_the_other_model_at_its_price() {
    let tmp = folder(&[("scenario.toml", FALLBACK)]);
    let dir = run_in(tmp.path(), "fallback");
    let s = Csv::read(&dir.join("summary.csv"));
    let m = Csv::read(&dir.join("models.csv"));
    let model_row = |strategy: &str, model: &str| {
        m.rows
            .iter()
            .find(|r| m.cell(r, "strategy") == strategy && m.cell(r, "model") == model)
            .unwrap_or_else(|| panic!("no {strategy}/{model} row"))
    };
    // Without fallback: one success, nine requests give up after 3 × 429.
    let stay = s.row_where("strategy", "stay");
    assert_eq!(s.num(stay, "succeeded"), 1.0);
    assert_eq!(s.num(stay, "billed_usd"), 0.006);
    let fb = s.row_where("strategy", "fall-back");
    assert_eq!(s.num(fb, "succeeded"), 10.0);
    assert_eq!(s.num(fb, "attempts"), 19.0);
    let primary = model_row("fall-back", "gpt-4.1");
    let cheap = model_row("fall-back", "deepseek-v3.2");
    assert_eq!(m.num(primary, "attempts"), 10.0);
    assert_eq!(m.num(primary, "succeeded"), 1.0);
    assert_eq!(m.num(primary, "rejected_429"), 9.0);
    assert_eq!(m.num(primary, "billed_usd"), 0.006);
    assert_eq!(m.num(cheap, "attempts"), 9.0);
    assert_eq!(m.num(cheap, "succeeded"), 9.0);
    assert_eq!(m.num(cheap, "billed_usd"), 0.00441);
    // Per-model rows add up to the strategy's totals.
    for strategy in ["stay", "fall-back"] {
        let total = s.row_where("strategy", strategy);
        for (model_col, total_col) in [
            ("attempts", "attempts"),
            ("succeeded", "succeeded"),
            ("rejected_429", "rejected_429"),
            ("billed_usd", "billed_usd"),
        ] {
            let sum: f64 = m
                .rows_where("strategy", strategy)
                .iter()
                .map(|r| m.num(r, model_col))
                .sum();
            assert!(
                (sum - s.num(total, total_col)).abs() < 1e-9,
                "{strategy}: {model_col} per model adds to {sum}"
            );
        }
    }
}

// Trace replay: arrivals and token counts exactly as recorded. Latency 0
// and no limits, so every request succeeds at once; the time series counts
// each second's rows, and billing is the trace's token sums.
const REPLAY_TRACE: &str = "request_id,t_s,input_tokens,output_tokens\n\
r1,0.25,100,10\nr2,0.75,200,20\nr3,0.75,300,30\nr4,2.5,400,40\nr5,2.999999999,500,50\n";

#[test]
fn trace_replay_reproduces_arrivals_and_tokens() {
    let scenario = r#"
name = "replay"
replications = 1
horizon = "10s"
[workload]
kind = "trace"
file = "trace.csv"
clients = 2
[[strategy]]
name = "once"
backoff = { kind = "none" }
max_attempts = 1
"#;
    let tmp = folder(&[("trace.csv", REPLAY_TRACE), ("scenario.toml", scenario)]);
    let dir = run_in(tmp.path(), "replay");
    let s = Csv::read(&dir.join("summary.csv"));
    let row = &s.rows[0];
    assert_eq!(s.num(row, "requests"), 5.0);
    assert_eq!(s.num(row, "succeeded"), 5.0);
    assert_eq!(s.num(row, "billed_tokens"), 1500.0 + 150.0);
    let ts = Csv::read(&dir.join("timeseries.csv"));
    let per_second: Vec<f64> = ts.rows.iter().map(|r| ts.num(r, "attempts")).collect();
    assert_eq!(per_second, [3.0, 0.0, 2.0]);
    // The report keeps the trace, and its scenario.toml points at it, so
    // the report reproduces itself and redraws.
    let copy = std::fs::read_to_string(dir.join("trace.csv")).unwrap();
    assert_eq!(
        copy,
        "t_s,input_tokens,output_tokens\n0.25,100,10\n0.75,200,20\n0.75,300,30\n2.5,400,40\n2.999999999,500,50\n"
    );
    let resolved = std::fs::read_to_string(dir.join("scenario.toml")).unwrap();
    assert!(resolved.contains("file = \"trace.csv\""), "{resolved}");
    backsim()
        .args(["run", "--quiet", "--no-charts"])
        .arg(dir.join("scenario.toml"))
        .arg("--out")
        .arg(tmp.path().join("again"))
        .assert()
        .success();
    let again = tmp.path().join("again").join("replay");
    // All but report.toml, which names the scenario file each ran from.
    assert!(report_files(&dir) == report_files(&again), "re-run differs");
    backsim().args(["plot", "-q"]).arg(&dir).assert().success();
}

#[test]
fn malformed_traces_exit_2_naming_the_line() {
    let scenario = r#"
name = "bad"
[workload]
kind = "trace"
file = "trace.csv"
[[strategy]]
name = "once"
backoff = { kind = "none" }
"#;
    for (trace, line, what) in [
        (
            "t_s,input_tokens,output_tokens\n0,1,2\n1,x,2\n",
            3,
            "input_tokens: \"x\"",
        ),
        (
            "t_s,input_tokens,output_tokens\n5,1,2\n4,1,2\n",
            3,
            "sorted",
        ),
        ("t_s,input_tokens\n0,1\n", 1, "output_tokens"),
        (
            "t_s,input_tokens,output_tokens\n0,1,2\n-3,1,2\n",
            3,
            "at least 0",
        ),
    ] {
        let tmp = folder(&[("trace.csv", trace), ("scenario.toml", scenario)]);
        let out = backsim()
            .args(["check"])
            .arg(tmp.path().join("scenario.toml"))
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(err.contains(&format!("trace.csv:{line}:")), "{err}");
        assert!(err.contains(what), "{err}");
        assert!(err.contains("workload.file"), "{err}");
    }
    // A missing trace file is named too.
    let tmp = folder(&[("scenario.toml", scenario)]);
    let out = backsim()
        .args(["run", "--quiet"])
        .arg(tmp.path().join("scenario.toml"))
        .arg("--out")
        .arg(tmp.path().join("out"))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("cannot read trace"), "{err}");
    assert!(!tmp.path().join("out").exists());
}
