//! The findings under the summary table: each derived from the run's own
//! numbers, with figures checked by hand here.

use crate::common::{THUNDERING_HERD, backsim, text};
use serde_json::Value;
use std::path::Path;

/// Runs `scenario` (a file path from the crate root, or TOML text written
/// to a file in `dir`) with `--json`; its findings as (kind, text).
fn findings_of(dir: &Path, scenario: &str) -> Vec<(String, String)> {
    let out = if scenario.contains('\n') {
        crate::common::run_toml(dir, "scenario", scenario, &["--json", "--no-charts"])
    } else {
        let out = backsim()
            .arg("run")
            .arg(crate::common::crate_dir().join(scenario))
            .args(["--json", "--no-charts", "--out"])
            .arg(dir.join("reports"))
            .output()
            .expect("backsim runs");
        assert!(out.status.success(), "{}", text(&out.stderr));
        out
    };
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    doc["scenarios"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().expect("kind").to_string(),
                f["text"].as_str().expect("text").to_string(),
            )
        })
        .collect()
}

/// The longest active period of any strategy in the report `folder`, in
/// seconds: what the binding-limit finding's ceiling is judged over.
fn longest_active(folder: &Path) -> f64 {
    let summary = crate::common::Csv::read(&folder.join("summary.csv"));
    summary
        .rows
        .iter()
        .map(|r| summary.num(r, "active_s"))
        .fold(0.0, f64::max)
}

fn one<'a>(findings: &'a [(String, String)], kind: &str) -> &'a str {
    let of: Vec<&(String, String)> = findings.iter().filter(|(k, _)| k == kind).collect();
    assert_eq!(of.len(), 1, "one {kind} finding in {findings:#?}");
    &of[0].1
}

fn kinds(findings: &[(String, String)]) -> Vec<&str> {
    findings.iter().map(|(k, _)| k.as_str()).collect()
}

/// The same herd against a fixed window of 100 requests per second
/// instead of the bucket: the window starts empty, so over the longest
/// active period `t` at most 100 + 100 × t requests get through, and the
/// finding says what the limiter held at the start in a window's words.
#[test]
fn a_window_limit_is_described_as_starting_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let herd = std::fs::read_to_string(crate::common::crate_dir().join(THUNDERING_HERD))
        .expect("the shipped herd");
    let windowed = herd.replace(
        "request_burst = 50 ",
        "algorithm = \"fixed_window\"\nwindow = \"1s\" ",
    );
    assert_ne!(windowed, herd, "the herd's limiter section changed");
    let f = findings_of(dir.path(), &windowed);
    let longest = longest_active(&dir.path().join("thundering-herd"));
    let binding = one(&f, "binding_limit");
    assert!(
        binding.ends_with(&format!(
            "the longest run was active, with an empty window at the start, at most {}.",
            backsim::format::grouped(100.0 + 100.0 * longest, 1)
        )),
        "{binding} (longest {longest})"
    );
}

/// The reference herd (derivation in closed_form.rs): the request limit
/// refuses every 429, admits 100/s, and over linear's 10.2 s of activity
/// at most 50 + 100 × 10.2 = 1,070 requests; linear completes 250 and
/// gives up 750 (75%).
#[test]
fn the_herd_is_bound_by_requests_and_gives_up_below_the_ceiling() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = findings_of(dir.path(), THUNDERING_HERD);
    // The headline is judged over the longest active period of any
    // strategy (full jitter's, random): 50 + 100 × that many requests.
    let binding = one(&f, "binding_limit");
    let longest = longest_active(&dir.path().join("reports/thundering-herd"));
    assert!(longest >= 10.2, "linear alone is active 10.2 s");
    let ceiling = 50.0 + 100.0 * longest;
    assert!(
        binding.starts_with(
            "requests_per_minute binds: at most 6,000 requests per minute (100/s) get through, \
             whatever the retry policy; over the "
        ),
        "{binding}"
    );
    assert!(
        binding.ends_with(&format!(
            "the longest run was active, with the bucket full at the start, at most {}.",
            backsim::format::grouped(ceiling, 1)
        )),
        "{binding} (longest {longest})"
    );
    // Over the 10-minute horizon the limit admits 50 + 100 × 600 = 60,050
    // requests: room for all 750 that linear gave up after 10.2 s.
    let gave_up = one(&f, "gave_up_below_ceiling");
    assert!(
        gave_up.contains(
            "linear gave up 750 requests per run (75.0%) while requests_per_minute would have \
             admitted all 750 before the 10m horizon (its runs ended after 10.2s)"
        ),
        "{gave_up}"
    );
    assert!(gave_up.ends_with(
        "each was refused by the limit, which had room later: a more patient policy (more \
         attempts, a longer deadline) could complete more."
    ));
    // The page opens with the same findings, before the summary table.
    let report = dir.path().join("reports/thundering-herd");
    let out = backsim()
        .arg("plot")
        .arg(&report)
        .arg("-q")
        .output()
        .expect("plot");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = std::fs::read_to_string(report.join("index.html")).expect("index.html");
    let at = |what: &str| {
        page.find(what)
            .unwrap_or_else(|| panic!("{what} in the page"))
    };
    assert!(at("<h2>Findings</h2>") < at("<h2>Summary</h2>"));
    assert!(page.contains("requests_per_minute binds: at most 6,000 requests per minute"));
}

/// A closed loop of 40 workers bound by tokens: each attempt reserves
/// 1,500 input + 400 max_tokens = 1,900 tokens against 30,000 per minute,
/// so at most 30,000 / 1,900 = 15.79 requests per minute (0.263/s) get
/// through, while the request limit would allow 500. Over the 10-minute
/// horizon, with the bucket full at the start, at most (30,000 + 500 ×
/// 600) / 1,900 = 173.7 requests. Both strategies complete 173 (the
/// limit, not the policy, decides), with different success shares
/// because they give up different numbers of requests.
#[test]
fn a_token_bound_batch_names_its_ceiling_whatever_the_policy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = findings_of(
        dir.path(),
        r#"
name = "batch"
seed = 1
replications = 3
horizon = "10m"
[workload]
kind = "closed"
clients = 40
requests_per_client = 1000
think_time = "0s"
[workload.tokens]
input = 1500
output = 400
max_tokens = 400
[limiter]
requests_per_minute = 500
tokens_per_minute = 30000
[server]
latency = "2s"
[[strategy]]
name = "linear"
backoff = { kind = "linear", base = "1s" }
max_attempts = 5
[[strategy]]
name = "openai-python"
preset = "openai-python"
"#,
    );
    let binding = one(&f, "binding_limit");
    assert!(
        binding.starts_with(
            "tokens_per_minute binds: at most 15.8 requests per minute (0.263/s) get through \
             (30,000 tokens per minute at 1,900 tokens per request), whatever the retry policy; \
             over the 10m the longest run was active, with the bucket full at the start, at most \
             173.7."
        ),
        "{binding}"
    );
    assert!(
        binding.contains("Every strategy completed at least 95% of that (linear 173 of 173.7"),
        "{binding}"
    );
    assert!(binding.contains("the limit, not the policy, sets throughput"));
}

/// 500 clients share 10 requests per second for a minute, half of the
/// attempts failing: about 1.2 requests per client. botocore's quota
/// (500 tokens, 5 per retry) denies nothing before a client has made 100
/// retries, and Polly's breaker needs 100 outcomes in 30 s: neither can
/// act. No prices: no waste finding.
#[test]
fn guards_that_cannot_fill_are_named_as_never_acting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = findings_of(
        dir.path(),
        r#"
name = "low-rate"
seed = 3
replications = 5
horizon = "2m"
[workload]
kind = "poisson"
clients = 500
rate_per_s = 10.0
duration = "1m"
[server]
latency = "100ms"
error_rate = 0.5
[[strategy]]
name = "quota"
backoff = { kind = "full_jitter", base = "100ms", cap = "1s" }
max_attempts = 4
budget = { kind = "aws_quota" }
[[strategy]]
name = "breaker"
backoff = { kind = "full_jitter", base = "100ms", cap = "1s" }
max_attempts = 4
breaker = {}
"#,
    );
    let inert: Vec<&str> = f
        .iter()
        .filter(|(k, _)| k == "inert_guards")
        .map(|(_, t)| t.as_str())
        .collect();
    assert_eq!(inert.len(), 2, "{f:#?}");
    assert!(
        inert[0].starts_with(
            "Guards that never acted: in 5 replications, quota's retry budget denied no retry (aws_quota)."
        ),
        "{}",
        inert[0]
    );
    assert!(
        inert[1].starts_with(
            "Guards that never acted: in 5 replications, breaker's breaker never opened (breaker)."
        ),
        "{}",
        inert[1]
    );
    assert!(!kinds(&f).contains(&"waste"), "no prices, no waste: {f:#?}");
    assert!(!kinds(&f).contains(&"binding_limit"), "no limits: {f:#?}");
}

/// Every attempt is served in 2 s but the client waits only 1 s: every
/// generation is billed and nobody uses it, so all of the spend is
/// wasted. Two linear strategies differing only in name draw no random
/// numbers (constant latency, no jitter): identical results.
#[test]
fn waste_and_identical_strategies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = findings_of(
        dir.path(),
        r#"
name = "all-wasted"
seed = 5
replications = 2
horizon = "1m"
[workload]
kind = "burst"
clients = 10
[workload.tokens]
input = 1000
output = 500
[server]
latency = "2s"
[client]
timeout = "1s"
[pricing]
model = "gpt-4.1"
[[strategy]]
name = "a"
backoff = { kind = "linear", base = "1s" }
max_attempts = 2
[[strategy]]
name = "b"
backoff = { kind = "linear", base = "1s" }
max_attempts = 2
"#,
    );
    // Each of 10 requests makes 2 attempts, each billed 1,000 × $2/M +
    // 500 × $8/M = $0.006: $0.12 per run, all of it wasted (30,000 tokens).
    let waste = one(&f, "waste");
    assert!(
        waste.contains("a $0.1200 per run (100.0% of $0.1200 billed; 30,000 tokens)"),
        "{waste}"
    );
    let identical = one(&f, "identical");
    assert!(
        identical
            .starts_with("a and b give identical results (success 0.0%, 2 attempts per request"),
        "{identical}"
    );
}

/// One strategy, no limits, no guards, no prices, nothing fails: nothing
/// to say, and the terminal shows no findings heading.
#[test]
fn a_run_with_nothing_to_say_has_no_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = crate::common::run_toml(
        dir.path(),
        "calm",
        r#"
name = "calm"
seed = 1
replications = 2
[workload]
kind = "burst"
clients = 10
[[strategy]]
name = "only"
backoff = { kind = "none" }
max_attempts = 1
"#,
        &["--no-charts"],
    );
    assert!(
        !text(&out.stdout).contains("findings"),
        "{}",
        text(&out.stdout)
    );
}

/// The quick start's output in the README is what the command prints.
#[test]
fn readme_quick_start_output_is_current() {
    let readme =
        std::fs::read_to_string(crate::common::crate_dir().join("README.md")).expect("README");
    let command = "$ cargo run --release -- run scenarios/thundering-herd.toml\n";
    let start = readme.find(command).expect("the quick start command") + command.len();
    let end = start
        + readme[start..]
            .find("wrote reports/thundering-herd")
            .expect("the quick start's last line");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = backsim()
        .args(["run", THUNDERING_HERD, "--no-charts", "--out"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(
        text(&out.stdout),
        readme[start..end],
        "README quick start output is stale"
    );
}

/// The client-count sweep: each attempt reserves 2,000 + 500 = 2,500
/// tokens of 90,000 per minute, so the token limit admits 90,000 / 60 /
/// 2,500 = 0.6 requests per second. A worker's cycle is about 0.4 s to the
/// first token + 300 / 80 = 3.75 s of output + 2 s of thinking ≈ 6.2 s,
/// about 0.16 requests per second: 2 workers (0.32/s) stay below 95% of
/// the ceiling (0.57/s), 4 workers (0.64/s) reach it.
#[test]
fn a_client_sweep_finds_where_goodput_meets_the_ceiling() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = backsim()
        .args([
            "sweep",
            "scenarios/llm-client-sweep.toml",
            "--no-charts",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("binding limit at every point: tokens_per_minute"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "- tokens_per_minute caps throughput at about 0.6/s in the long run (a run's initial \
             burst adds a little), whatever the retry policy; goodput reaches 95% of it: \
             openai-python from workload.clients = 4 on"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("; patient from workload.clients = 4 on"),
        "{stdout}"
    );
    assert!(stdout.ends_with(
        "Past that point a larger workload.clients adds 429s and give-ups, not throughput.\n"
    ));
}
