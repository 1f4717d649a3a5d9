//! `backsim diff`: pairs of real reports with known differences.
//!
//! The herd below is deterministic for linear backoff: 100 clients send at
//! t = 0 against a request bucket of 10 that refills 10 per second, with no
//! latency before the limiter's answer. Each wave of retries (linear, 1 s
//! base: at 0, 1, 3, 6 … s) finds the bucket full again and passes exactly
//! 10. With `max_attempts = 1` only the first wave exists: 10 of 100
//! succeed, 10%, every replication; with 3 attempts, waves at 0, 1 and
//! 3 s: 30%. Attempts per request: 1 with one attempt; with 3,
//! (10·1 + 10·2 + 10·3 + 70·3) / 100 = 2.7. The jittered strategy is
//! random: its results differ from seed to seed, within their intervals.

use crate::common::{Csv, backsim, text};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The herd with `max_attempts` for the linear strategy and `extra`
/// appended (another strategy, a sweep).
fn herd(max_attempts: u32, extra: &str) -> String {
    format!(
        r#"name = "herd"
seed = 7
replications = 20
horizon = "1m"
[workload]
kind = "burst"
clients = 100
[limiter]
requests_per_minute = 600
request_burst = 10
[[strategy]]
name = "linear"
backoff = {{ kind = "linear", base = "1s" }}
max_attempts = {max_attempts}
[[strategy]]
name = "jitter"
backoff = {{ kind = "full_jitter", base = "1s", cap = "10s" }}
max_attempts = 3
{extra}"#
    )
}

/// Runs `backsim run` (or `sweep` for `command`) of the scenario `text`
/// into `<tmp>/<tag>/`, with `args`; returns the report folder.
fn report(tmp: &Path, tag: &str, command: &str, scenario: &str, args: &[&str]) -> PathBuf {
    let dir = tmp.join(tag);
    std::fs::create_dir_all(&dir).expect("folder");
    let file = dir.join("herd.toml");
    std::fs::write(&file, scenario).expect("scenario file");
    backsim()
        .arg(command)
        .arg(&file)
        .args(["--quiet", "--no-charts", "--out"])
        .arg(dir.join("out"))
        .args(args)
        .assert()
        .code(0);
    dir.join("out/herd")
}

/// Reports of the herd with one attempt (A) and three (B) in a temporary
/// folder, which lives as long as the first value.
fn one_against_three() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let a = report(tmp.path(), "a", "run", &herd(1, ""), &[]);
    let b = report(tmp.path(), "b", "run", &herd(3, ""), &[]);
    (tmp, a, b)
}

/// `backsim diff A B` with `args`: stdout, the exit code and stderr.
fn diff(a: &Path, b: &Path, args: &[&str]) -> (String, i32, String) {
    let out = backsim()
        .arg("diff")
        .arg(a)
        .arg(b)
        .args(args)
        .output()
        .expect("backsim runs");
    (
        text(&out.stdout),
        out.status.code().unwrap_or(-1),
        text(&out.stderr),
    )
}

/// `backsim diff A B --json` with `args`; the document, the exit code and
/// stderr.
fn diff_json(a: &Path, b: &Path, args: &[&str]) -> (Value, i32, String) {
    let mut all = vec!["--json"];
    all.extend(args);
    let (stdout, code, stderr) = diff(a, b, &all);
    let doc = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"));
    (doc, code, stderr)
}

/// The metric object of `strategy`'s row.
fn metric<'a>(doc: &'a Value, strategy: &str, metric: &str) -> &'a Value {
    doc["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["strategy"] == strategy)
        .unwrap_or_else(|| panic!("no row {strategy}"))["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .find(|m| m["metric"] == metric)
        .unwrap_or_else(|| panic!("no metric {metric}"))
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"))
}

/// Every file under `dir` with its bytes, to show nothing was written.
fn listing(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut all: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("folder")
        .map(|e| e.expect("entry").path())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_default();
            (p, bytes)
        })
        .collect();
    all.sort();
    all
}

#[test]
fn one_attempt_against_three_is_exactly_twenty_points_of_success() {
    let (_tmp, a, b) = one_against_three();
    let (doc, code, _) = diff_json(&a, &b, &[]);
    assert_eq!(code, 0);
    // 10% → 30% in every replication: half-widths 0, the change exact and
    // significant.
    let sr = metric(&doc, "linear", "success_rate");
    assert_eq!((num(&sr["a"]), num(&sr["b"])), (0.1, 0.3));
    assert_eq!(num(&sr["change"]), 0.2);
    assert_eq!(num(&sr["relative_change"]), 2.0);
    assert_eq!(num(&sr["ci95"]), 0.0);
    assert_eq!(sr["significant"], true);
    let apr = metric(&doc, "linear", "attempts_per_request");
    assert_eq!((num(&apr["a"]), num(&apr["b"])), (1.0, 2.7));
    assert_eq!(num(&apr["change"]), 1.7);
    assert_eq!(apr["significant"], true);
    // Exactly one key changed.
    assert_eq!(
        doc["changed_keys"],
        serde_json::json!([{ "key": "strategy.linear.max_attempts", "change": "changed", "a": 1, "b": 3 }])
    );
    assert_eq!(doc["same_seed"], true);
    // The table says the same.
    let (table, code, _) = diff(&a, &b, &[]);
    assert_eq!(code, 0);
    assert!(
        table.contains("scenario keys changed (1):\n  strategy.linear.max_attempts: 1 → 3\n"),
        "{table}"
    );
    let line = table
        .lines()
        .find(|l| l.starts_with("linear") && l.contains("success_rate"))
        .unwrap_or_else(|| panic!("{table}"));
    let cells: Vec<&str> = line
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        cells,
        [
            "linear",
            "success_rate",
            "10.0%",
            "30.0%",
            "+20.0 pp",
            "+200.0%",
            "± 0.0 pp",
            "yes"
        ]
    );
    assert!(table.contains("conservative"), "same seed: {table}");
}

#[test]
fn a_report_against_itself_changes_nothing_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let a = report(tmp.path(), "a", "run", &herd(3, ""), &[]);
    let before = listing(&a);
    let gates = [
        "--fail-if",
        "success_rate < -0.01",
        "--fail-if",
        "tts_p99_s > +10%",
        "--fail-if",
        "peak_load >= 0",
    ];
    let (doc, code, stderr) = diff_json(&a, &a, &gates[..4]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(doc["changed_keys"], serde_json::json!([]));
    assert_eq!(doc["failed"], serde_json::json!([]));
    assert_eq!(doc["strategies_added"], serde_json::json!([]));
    for row in doc["rows"].as_array().expect("rows") {
        for m in row["metrics"].as_array().expect("metrics") {
            assert_ne!(m["significant"], true, "{m}");
            assert!(m["change"].is_null() || num(&m["change"]) == 0.0, "{m}");
        }
    }
    // A condition a change of 0 satisfies, on a metric without an
    // interval (decided by the change alone), holds: the gate works.
    let (doc, code, stderr) = diff_json(&a, &a, &gates);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(doc["failed"].as_array().map(Vec::len), Some(2), "{doc}");
    assert_eq!(listing(&a), before, "diff wrote into the report");
    assert!(diff(&a, &a, &[]).0.contains("scenario keys: no change\n"));
}

#[test]
fn two_seeds_differ_within_the_interval_and_no_gate_fails() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let a = report(tmp.path(), "a", "run", &herd(3, ""), &["--seed", "7"]);
    let b = report(tmp.path(), "b", "run", &herd(3, ""), &["--seed", "8"]);
    // Gates on either direction of the slightest change of the jittered
    // strategy's p99 time to success: the point estimate alone would trip
    // one of them.
    let (doc, code, stderr) = diff_json(
        &a,
        &b,
        &[
            "--fail-if",
            "tts_p99_s < -0.1%",
            "--fail-if",
            "tts_p99_s > +0.1%",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        doc["changed_keys"],
        serde_json::json!([{ "key": "seed", "change": "changed", "a": 7, "b": 8 }])
    );
    assert_eq!(doc["same_seed"], false);
    let p99 = metric(&doc, "jitter", "tts_p99_s");
    let relative = num(&p99["relative_change"]);
    let change = num(&p99["change"]);
    let ci = num(&p99["ci95"]);
    assert!(
        relative.abs() > 0.001,
        "the seeds gave the same result: {p99}"
    );
    // Inside its interval: not significant. (With 95% intervals about one
    // seed pair in twenty would differ significantly by chance; the seeds
    // are fixed, so this is a fixed outcome that a too narrow interval,
    // e.g. one side's half-width alone, would break.)
    assert!(change.abs() <= ci, "{p99}");
    assert_eq!(p99["significant"], false);
    // The interval is √(h_A² + h_B²) of the reports' half-widths.
    let h = |dir: &Path| {
        let csv = Csv::read(&dir.join("summary.csv"));
        csv.num(csv.row_where("strategy", "jitter"), "tts_p99_s_ci95")
    };
    assert!((ci - h(&a).hypot(h(&b))).abs() < 1e-9, "{ci}");
    // The deterministic strategy does not change at all.
    assert_eq!(num(&metric(&doc, "linear", "success_rate")["change"]), 0.0);
}

#[test]
fn a_strategy_in_one_report_only_is_added_or_removed() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let old = "[[strategy]]\nname = \"old\"\nbackoff = { kind = \"linear\", base = \"1s\" }\n";
    let new = "[[strategy]]\nname = \"new\"\nbackoff = { kind = \"linear\", base = \"2s\" }\n";
    let a = report(tmp.path(), "a", "run", &herd(3, old), &[]);
    let b = report(tmp.path(), "b", "run", &herd(3, new), &[]);
    let (doc, code, _) = diff_json(&a, &b, &[]);
    assert_eq!(code, 0);
    assert_eq!(doc["strategies_removed"], serde_json::json!(["old"]));
    assert_eq!(doc["strategies_added"], serde_json::json!(["new"]));
    let rows: Vec<&Value> = doc["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| &r["strategy"])
        .collect();
    assert_eq!(rows, ["linear", "jitter"]);
    // Each is one entry of the changed keys, whole.
    let keys: Vec<String> = doc["changed_keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| format!("{} {}", k["key"], k["change"]))
        .collect();
    assert_eq!(
        keys,
        ["\"strategy.old\" \"removed\"", "\"strategy.new\" \"added\""]
    );
    let (table, _, _) = diff(&a, &b, &[]);
    assert!(
        table.contains("strategies only in A (removed): old\n"),
        "{table}"
    );
    assert!(
        table.contains("strategies only in B (added): new\n"),
        "{table}"
    );
}

#[test]
fn a_gate_that_holds_exits_1_naming_strategy_metric_and_numbers() {
    let (_tmp, a, b) = one_against_three();
    // Going back from 3 attempts to 1 drops the success rate 20 points.
    let (table, code, stderr) = diff(&b, &a, &["--fail-if", "success_rate < -0.01"]);
    assert_eq!(code, 1);
    assert!(table.contains("success_rate"), "the table is printed");
    assert_eq!(
        stderr,
        "error: 1 --fail-if condition held:\n  \"success_rate < -0.01\" for linear: success_rate 30.0% → 10.0%, change -20.0 pp (-66.7%) ± 0.0 pp, significant\n"
    );
    // The same gate forwards: the rate rises, nothing holds.
    let quiet = diff(&a, &b, &["--fail-if", "success_rate < -0.01", "--quiet"]);
    assert_eq!((quiet.0.as_str(), quiet.1), ("", 0));
    // Relative: 1 → 2.7 attempts is +170%.
    let (doc, code, stderr) = diff_json(&a, &b, &["--fail-if", "attempts_per_request > +150%"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("change +1.70 (+170.0%) ± 0.00, significant"),
        "{stderr}"
    );
    let failed = doc["failed"].as_array().expect("failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["strategy"], "linear");
    assert_eq!(failed[0]["condition"], "attempts_per_request > +150%");
    assert_eq!(num(&failed[0]["relative_change"]), 1.7);
    let (_, code, _) = diff_json(&a, &b, &["--fail-if", "attempts_per_request > +180%"]);
    assert_eq!(code, 0);
}

#[test]
fn bad_input_exits_2_and_says_what_is_allowed() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let a = report(tmp.path(), "a", "run", &herd(1, ""), &[]);
    let sweep = format!("{}[sweep]\n\"workload.clients\" = [50, 100]\n", herd(1, ""));
    let s = report(tmp.path(), "s", "sweep", &sweep, &[]);
    let scenario = tmp.path().join("a/herd.toml");
    let nowhere = tmp.path().join("nowhere");
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).expect("folder");
    for (b, says) in [
        (&nowhere, "No such file or directory"),
        (&scenario, "is not a folder"),
        (&empty, "cannot read"),
        (&s, "holds the report of `backsim run` and"),
    ] {
        let (stdout, code, err) = diff(&a, b, &[]);
        assert_eq!(code, 2, "{}", b.display());
        assert!(err.contains(says), "{}: {err}", b.display());
        assert!(stdout.is_empty());
    }
    for (gate, says) in [
        (
            "sucess_rate < 0",
            "unknown metric \"sucess_rate\"; expected one of \"requests\", \"success_rate\"",
        ),
        ("sucess_rate < 0", "did you mean \"success_rate\"?"),
        (
            "success_rate = 0",
            "has no comparison; expected METRIC OP CHANGE",
        ),
        ("success_rate < x%", "\"x\" is not a number"),
    ] {
        let (stdout, code, err) = diff(&a, &a, &["--fail-if", gate]);
        assert_eq!(code, 2, "{gate}");
        assert!(err.contains(says), "{gate}: {err}");
        assert!(
            stdout.is_empty(),
            "{gate}: nothing printed before the check"
        );
    }
}

/// A column added to `summary.csv` later (here a rate and its half-width,
/// written into copies of real reports) is compared by the naming rule,
/// and one only a report has is shown, not an error.
#[test]
fn new_columns_pair_by_name_and_one_sided_columns_are_shown() {
    let (tmp, a, b) = one_against_three();
    // Adds `future_per_s` (and, with `half`, `future_ci95`) to a copy.
    let with_future = |from: &Path, tag: &str, values: [&str; 2], half: &str| {
        let to = tmp.path().join(tag);
        std::fs::create_dir_all(&to).expect("folder");
        for entry in std::fs::read_dir(from).expect("report") {
            let p = entry.expect("entry").path();
            std::fs::copy(&p, to.join(p.file_name().expect("name"))).expect("copy");
        }
        let csv = std::fs::read_to_string(to.join("summary.csv")).expect("summary");
        let lines: Vec<String> = csv
            .lines()
            .enumerate()
            .map(|(i, l)| match i {
                0 => format!("{l},future_per_s,future_ci95"),
                i => format!("{l},{},{half}", values[i - 1]),
            })
            .collect();
        std::fs::write(to.join("summary.csv"), lines.join("\n") + "\n").expect("write");
        to
    };
    let a2 = with_future(&a, "a2", ["1.5", "4"], "0.1");
    let b2 = with_future(&b, "b2", ["3", "4.05"], "0.1");
    let (doc, code, stderr) = diff_json(&a2, &b2, &["--fail-if", "future_per_s > 1"]);
    // 1.5 → 3 with half-widths 0.1 each: ±0.141, significant; the gate holds.
    assert_eq!(code, 1, "{stderr}");
    let g = metric(&doc, "linear", "future_per_s");
    assert_eq!(
        (num(&g["change"]), g["significant"].clone()),
        (1.5, Value::Bool(true))
    );
    assert!((num(&g["ci95"]) - 0.1f64.hypot(0.1)).abs() < 1e-9);
    // 4 → 4.05: inside ±0.141.
    assert_eq!(metric(&doc, "jitter", "future_per_s")["significant"], false);
    // In B only: shown with A absent; a gate on it cannot be decided.
    let (doc, code, _) = diff_json(&a, &b2, &[]);
    assert_eq!(code, 0);
    let g = metric(&doc, "linear", "future_per_s");
    assert_eq!(g["in"], "b");
    assert!(
        g["a"].is_null() && g["change"].is_null() && g["tested"] == false,
        "{g}"
    );
    let (table, _, _) = diff(&a, &b2, &[]);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("linear") && l.contains("future_per_s") && l.contains("(none)")),
        "{table}"
    );
    let (_, code, err) = diff(&a, &b2, &["--fail-if", "future_per_s > 1"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("in the summary.csv of one report only"),
        "{err}"
    );
}

#[test]
fn sweeps_match_rows_by_point_and_strategy() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let grid = "[sweep]\n\"workload.clients\" = [50, 100]\n";
    let a = report(
        tmp.path(),
        "a",
        "sweep",
        &format!("{}{grid}", herd(1, "")),
        &[],
    );
    let b = report(
        tmp.path(),
        "b",
        "sweep",
        &format!("{}{grid}", herd(3, "")),
        &[],
    );
    let (doc, code, _) = diff_json(&a, &b, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        doc["a"]["swept_keys"],
        serde_json::json!(["workload.clients"])
    );
    // 10 pass per wave: of 50 clients 1 wave is 20%, 3 waves 60%; of
    // 100, 10% and 30%.
    for (clients, a_rate, b_rate) in [(50, 0.2, 0.6), (100, 0.1, 0.3)] {
        let row = doc["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["strategy"] == "linear" && r["point"]["workload.clients"] == clients)
            .unwrap_or_else(|| panic!("no row at {clients}"));
        let sr = row["metrics"]
            .as_array()
            .expect("metrics")
            .iter()
            .find(|m| m["metric"] == "success_rate")
            .expect("success_rate");
        assert_eq!(
            (num(&sr["a"]), num(&sr["b"])),
            (a_rate, b_rate),
            "{clients}"
        );
        assert_eq!(sr["significant"], true);
    }
}

#[test]
fn json_has_the_documented_fields() {
    let (_tmp, a, b) = one_against_three();
    // --json after the folders, as a user types it.
    let (doc, _, _) = diff_json(&a, &b, &[]);
    let keys =
        |v: &Value| -> Vec<String> { v.as_object().expect("object").keys().cloned().collect() };
    assert_eq!(
        keys(&doc),
        [
            "a",
            "b",
            "same_seed",
            "changed_keys",
            "strategies_removed",
            "strategies_added",
            "rows_only_in_a",
            "rows_only_in_b",
            "rows",
            "failed"
        ]
    );
    assert_eq!(
        keys(&doc["a"]),
        [
            "dir",
            "kind",
            "scenario",
            "seed",
            "replications",
            "swept_keys"
        ]
    );
    assert_eq!(doc["a"]["kind"], "run");
    assert_eq!(doc["a"]["replications"], 20);
    let row = &doc["rows"][0];
    assert_eq!(
        keys(row),
        [
            "strategy",
            "point",
            "replications_a",
            "replications_b",
            "binding_limit_a",
            "binding_limit_b",
            "metrics"
        ]
    );
    assert_eq!(
        keys(&row["metrics"][0]),
        [
            "metric",
            "in",
            "a",
            "b",
            "change",
            "relative_change",
            "ci95",
            "tested",
            "significant"
        ]
    );
    // Every column of summary.csv but the row's names and half-widths.
    let csv = Csv::read(&a.join("summary.csv"));
    let expected: Vec<&String> = csv
        .header
        .iter()
        .filter(|c| {
            !["scenario", "strategy", "replications", "binding_limit"].contains(&c.as_str())
        })
        .filter(|c| !c.ends_with("_ci95"))
        .collect();
    let metrics: Vec<&str> = row["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .map(|m| m["metric"].as_str().expect("name"))
        .collect();
    assert_eq!(metrics, expected);
}

#[test]
fn differing_replication_counts_are_shown() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let a = report(
        tmp.path(),
        "a",
        "run",
        &herd(3, ""),
        &["--replications", "5"],
    );
    let b = report(tmp.path(), "b", "run", &herd(3, ""), &[]);
    let (table, code, _) = diff(&a, &b, &[]);
    assert_eq!(code, 0);
    assert!(table.contains("5 replications"), "{table}");
    assert!(table.contains("20 replications"), "{table}");
    let header = table
        .lines()
        .find(|l| l.starts_with("strategy"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(header.contains("replications"), "{header}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("linear") && l.contains("5 → 20")),
        "{table}"
    );
    let (doc, _, _) = diff_json(&a, &b, &[]);
    assert_eq!(doc["rows"][0]["replications_a"], 5);
    assert_eq!(doc["rows"][0]["replications_b"], 20);
    // The same replication counts: no such column.
    let (table, _, _) = diff(&b, &b, &[]);
    let header = table.lines().find(|l| l.starts_with("strategy"));
    assert!(
        header.is_some_and(|h| !h.contains("replications")),
        "{table}"
    );
}

/// The same burst of 20 requests of 1,000 tokens each against 60 requests
/// per minute (burst 5) and either 600,000 or 6,000 tokens per minute
/// (burst 5,000 tokens = 5 attempts). With the large token limit tokens
/// refill at 600,000 / 60 / 1,000 = 10 attempts per second, above the
/// request limit's 1: only the request bucket refuses, requests bind.
/// With the small one tokens refill at 6,000 / 60 / 1,000 = 0.1 per
/// second, below 1: tokens refuse the most and bind. peak_load then
/// compares two different limits, and diff says so.
#[test]
fn a_change_of_binding_limit_is_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = |tag: &str, tpm: u32| {
        let dir = tmp.path().join(tag);
        std::fs::create_dir_all(&dir).expect("dir");
        let toml = format!(
            r#"
name = "bind"
seed = 1
replications = 2
[workload]
kind = "burst"
clients = 20
[workload.tokens]
input = 900
output = 100
max_tokens = 100
[limiter]
requests_per_minute = 60
request_burst = 5
tokens_per_minute = {tpm}
token_burst = 5000
[[strategy]]
name = "patient"
backoff = {{ kind = "constant", base = "1s" }}
max_attempts = 30
"#
        );
        crate::common::run_toml(&dir, "bind", &toml, &["--no-charts", "-q"]);
        dir.join("bind")
    };
    let a = run("a", 600_000);
    let b = run("b", 6_000);
    let (stdout, code, stderr) = diff(&a, &b, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(
            "patient: the binding limit changed, requests_per_minute → tokens_per_minute: \
             peak_load compares loads against different limits"
        ),
        "{stdout}"
    );
}

/// tune's goal names leave the unit out; diff points to the column.
#[test]
fn a_metric_named_without_its_unit_gets_the_column_suggested() {
    let (_tmp, a, b) = one_against_three();
    let (stdout, code, stderr) = diff(&a, &b, &["--fail-if", "goodput < 0"]);
    assert_eq!(code, 2, "{stdout}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("unknown metric \"goodput\"; did you mean \"goodput_per_s\"?"),
        "{stderr}"
    );
}
