//! The command-line contract (docs/interface.md): exit codes, error messages
//! with file, line and key, nothing written on bad input, `list`, `--json`.

use crate::common::{
    Csv, THUNDERING_HERD, backsim, backsim_capped, crate_dir, herd_report, load, scenario_files,
    text,
};
use predicates::prelude::*;
use std::path::Path;

/// A small valid scenario; `{LINE}` is replaced by one extra line (or a
/// variant of one) so that each bad case has a known position.
const TEMPLATE: &str = r#"name = "bad"
replications = 1
horizon = "10s"

[workload]
kind = "burst"
clients = 10

[limiter]
requests_per_minute = 6000
request_burst = 5

[[strategy]]
name = "linear"
backoff = { kind = "linear", base = "1s" }

[[strategy]]
name = "none"
backoff = { kind = "none" }
"#;

/// 1-based number of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in scenario"))
        + 1
}

#[test]
fn check_accepts_every_shipped_scenario_silently() {
    for path in scenario_files() {
        backsim()
            .arg("check")
            .arg(&path)
            .assert()
            .code(0)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::is_empty());
    }
    // All at once, too.
    backsim()
        .arg("check")
        .args(scenario_files())
        .assert()
        .code(0)
        .stdout(predicate::str::is_empty());
}

#[test]
fn bad_scenarios_exit_2_with_file_line_and_key_and_write_nothing() {
    // (what, edited text, the text of the offending line, key expected in
    // the message)
    let cases = [
        (
            "unknown key",
            TEMPLATE.replace("clients = 10", "clientz = 1000"),
            "clientz = 1000",
            "clientz",
        ),
        (
            "negative rate",
            TEMPLATE.replace("requests_per_minute = 6000", "requests_per_minute = -6000"),
            "requests_per_minute = -6000",
            "limiter.requests_per_minute",
        ),
        (
            "wrong type",
            TEMPLATE.replace(
                "requests_per_minute = 6000",
                "requests_per_minute = \"fast\"",
            ),
            "requests_per_minute = \"fast\"",
            "limiter.requests_per_minute",
        ),
    ];
    for (what, text, bad_line, key) in cases {
        assert_ne!(text, TEMPLATE, "{what}: edit did not apply");
        let tmp = tempfile::tempdir().expect("temp dir");
        let file = tmp.path().join("bad.toml");
        std::fs::write(&file, &text).expect("write");
        let out = tmp.path().join("out");
        // By hand: clients is on line 7 and requests_per_minute on line 10
        // of TEMPLATE; line_of finds the same lines in the edited text.
        let line = line_of(&text, bad_line);
        assert_eq!(line, if what == "unknown key" { 7 } else { 10 });
        let assert = backsim()
            .arg("run")
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        let position = format!("{}:{line}:", file.display());
        assert!(
            stderr.contains(&position),
            "{what}: stderr does not name {position}:\n{stderr}"
        );
        assert!(
            stderr.contains(key),
            "{what}: stderr does not name {key}:\n{stderr}"
        );
        assert!(!out.exists(), "{what}: {} was created", out.display());
        // A valid scenario alongside does not get its report written either.
        backsim()
            .arg("run")
            .arg(crate_dir().join(THUNDERING_HERD))
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2);
        assert!(!out.exists(), "{what}: {} was created", out.display());
        // `check` reports the same problem with the same exit code.
        backsim()
            .arg("check")
            .arg(&file)
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(position.as_str()));
    }
}

#[test]
fn out_pointing_at_a_file_exits_2() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = tmp.path().join("not-a-folder");
    std::fs::write(&file, "keep me").expect("write");
    backsim()
        .args(["run", THUNDERING_HERD, "--out"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not-a-folder"));
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
}

#[test]
fn two_scenarios_with_one_name_exit_2_and_write_nothing() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let text = TEMPLATE.replace("name = \"bad\"", "name = \"twin\"");
    let (a, b) = (tmp.path().join("a.toml"), tmp.path().join("b.toml"));
    std::fs::write(&a, &text).unwrap();
    std::fs::write(&b, &text).unwrap();
    // Each is fine on its own.
    backsim().arg("check").arg(&a).arg(&b).assert().code(0);
    let out = tmp.path().join("out");
    backsim()
        .arg("run")
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("twin"));
    assert!(!out.exists(), "{} was created", out.display());
}

#[test]
fn missing_file_and_bad_flags_exit_2() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("out");
    let missing = tmp.path().join("does-not-exist.toml");
    backsim()
        .arg("run")
        .arg(&missing)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does-not-exist.toml"));
    backsim().arg("check").arg(&missing).assert().code(2);
    for flags in [
        &["--threads", "many"][..],
        &["--replications", "0"],
        &["--seed", "-1"],
        &["--no-such-flag"],
    ] {
        backsim()
            .args(["run", THUNDERING_HERD, "--out"])
            .arg(&out)
            .args(flags)
            .assert()
            .code(2);
    }
    assert!(!out.exists(), "{} was created", out.display());
}

#[test]
fn list_shows_schedules_and_prices() {
    backsim()
        .arg("list")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("full_jitter"))
        .stdout(predicate::str::contains("gpt-4.1"));
}

#[test]
fn list_shows_every_preset_with_its_source_and_every_guard() {
    let out = backsim().arg("list").assert().code(0);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for p in backsim::policy::preset::PRESETS {
        assert!(text.contains(&format!("\n  {}\n", p.name)), "{}", p.name);
        assert!(text.contains(p.source), "{}", p.source);
        assert!(text.contains(p.library), "{}", p.library);
    }
    for kind in [
        "aws_quota",
        "grpc",
        "percent",
        "client_bucket",
        "sre",
        "aws_adaptive",
    ] {
        assert!(text.contains(&format!("kind = \"{kind}\"")), "{kind}");
    }
    assert!(text.contains("breaker = {"));
}

#[test]
fn json_summary_matches_csv() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let assert = backsim()
        .args(["run", THUNDERING_HERD, "--json", "--out"])
        .arg(tmp.path())
        .assert()
        .code(0);
    let stdout = &assert.get_output().stdout;
    let doc: serde_json::Value = serde_json::from_slice(stdout).unwrap_or_else(|e| {
        panic!(
            "--json output is not JSON ({e}):\n{}",
            String::from_utf8_lossy(stdout)
        )
    });
    let scenario = &doc["scenarios"][0];
    assert_eq!(scenario["scenario"], "thundering-herd");
    let strategies = scenario["strategies"].as_array().expect("strategies array");
    let csv = Csv::read(&tmp.path().join("thundering-herd/summary.csv"));
    assert_eq!(strategies.len(), csv.rows.len());
    for (json, row) in strategies.iter().zip(&csv.rows) {
        assert_eq!(json["strategy"], csv.cell(row, "strategy"));
        let rate = json["success_rate"].as_f64().expect("success_rate number");
        assert_eq!(rate, csv.num(row, "success_rate"));
        // Every numeric column agrees with the CSV.
        for col in &csv.header[2..] {
            let cell = csv.cell(row, col);
            let value = &json[col.as_str()];
            if cell.is_empty() {
                assert!(value.is_null(), "{col}: {value} vs empty cell");
            } else {
                assert_eq!(value.as_f64(), cell.parse::<f64>().ok(), "{col}");
            }
        }
    }
    assert_eq!(strategies[0]["success_rate"].as_f64(), Some(0.25));
}

/// The report's `scenario.toml` is the resolved scenario: it parses back to
/// the same scenario, and running it reproduces the same summary.
#[test]
fn resolved_scenario_round_trips() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let first = tmp.path().join("first");
    backsim()
        .args(["run", THUNDERING_HERD, "--quiet", "--out"])
        .arg(&first)
        .assert()
        .success();
    let resolved = first.join("thundering-herd/scenario.toml");
    assert_eq!(load(&resolved), load(&crate_dir().join(THUNDERING_HERD)));
    let second = tmp.path().join("second");
    backsim()
        .arg("run")
        .arg(&resolved)
        .args(["--quiet", "--out"])
        .arg(&second)
        .assert()
        .success();
    let read = |dir: &Path, name: &str| std::fs::read(dir.join("thundering-herd").join(name));
    assert_eq!(
        read(&first, "summary.csv").unwrap(),
        read(&second, "summary.csv").unwrap()
    );
    assert_eq!(
        read(&first, "scenario.toml").unwrap(),
        read(&second, "scenario.toml").unwrap()
    );
}

/// `--seed` and `--replications` override the file, and the report's
/// `scenario.toml` records what was actually run. `--quiet` prints nothing.
#[test]
fn overrides_are_recorded_and_quiet_is_quiet() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("out");
    backsim()
        .args([
            "run",
            THUNDERING_HERD,
            "--seed",
            "8",
            "--replications",
            "3",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(0)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::is_empty());
    let resolved = load(&out.join("thundering-herd/scenario.toml"));
    assert_eq!(resolved.seed, 8);
    assert_eq!(resolved.replications, 3);
    let summary = Csv::read(&out.join("thundering-herd/summary.csv"));
    for row in &summary.rows {
        assert_eq!(summary.cell(row, "replications"), "3");
    }
    // Without --quiet the table goes to stdout.
    backsim()
        .args(["run", THUNDERING_HERD, "--replications", "1", "--out"])
        .arg(&out)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("exponential-full-jitter"));
}

/// Runs `backsim run FILE` on scenario `text` under a 2 GB address-space
/// limit and a 60 s timeout, and asserts that backsim either runs it or
/// refuses it with a message (docs/interface.md: "No input, however malformed or
/// huge, makes backsim panic, hang or exhaust memory").
fn assert_no_crash(text: &str) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = tmp.path().join("s.toml");
    std::fs::write(&file, text).unwrap();
    let output = backsim_capped(1953)
        .arg("run")
        .arg(&file)
        .args(["--quiet", "--threads", "1", "--out"])
        .arg(tmp.path().join("out"))
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        matches!(output.status.code(), Some(0..=2)),
        "backsim crashed (status {:?}):\n{}",
        output.status,
        stderr.chars().take(2000).collect::<String>()
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Regression: token counts are `u64` and sizes have no upper bound in
/// validation (only `max_tokens` has one), so a heavy-tailed size such as
/// `{ dist = "lognormal", median = 800, sigma = 40 }` draws values that
/// saturate at u64::MAX. Once, `input_tokens + output_tokens` at the
/// limiter panicked with "attempt to
/// add with overflow" (exit 101) in builds with overflow checks, and wrapped
/// silently in release; the billed/wasted sums overflowed the same way.
#[test]
fn huge_token_sizes_do_not_panic() {
    assert_no_crash(
        r#"
name = "huge-tokens"
replications = 1
horizon = "10s"
[workload]
kind = "burst"
clients = 100
[workload.tokens]
input = { dist = "lognormal", median = 800, sigma = 40 }
[[strategy]]
name = "a"
backoff = { kind = "none" }
"#,
    );
}

/// Regression: the time series keeps one row per `[report] bucket` up to
/// the last activity. Once `bucket` had no lower bound, and
/// `bucket = "1ns"` with 1 s of activity asked for 10^9 rows (≈ 56 GB):
/// under a 2 GB limit the run aborted with "memory allocation of 3758096384
/// bytes failed" (SIGABRT, exit 134) in `Series::advance`.
#[test]
fn tiny_report_bucket_does_not_exhaust_memory() {
    assert_no_crash(
        r#"
name = "tiny-bucket"
replications = 1
horizon = "10s"
[workload]
kind = "burst"
clients = 1
[server]
latency = "1s"
[report]
bucket = "1ns"
[[strategy]]
name = "a"
backoff = { kind = "none" }
"#,
    );
}

/// Piped into a file or a CI log, stderr gets the one `wrote` line and no
/// progress bar (which is for terminals only).
#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = backsim()
        .args(["run", THUNDERING_HERD, "--replications", "200", "--out"])
        .arg(tmp.path())
        .assert()
        .success();
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    let dir = tmp.path().join("thundering-herd");
    assert_eq!(
        err,
        format!(
            "wrote {} (open {})\n",
            dir.display(),
            dir.join("index.html").display()
        )
    );
}

/// `--requests` writes one row per request of every run, consistent with
/// `summary.csv`; linear backoff's successes land exactly on its waves
/// (0.2 s of service after 0, 1, 3, 6 and 10 s). A later run without the
/// flag removes the file, so it never describes another run.
#[test]
fn requests_csv_is_opt_in_and_agrees_with_the_summary() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("out");
    let run = |extra: &[&str]| {
        backsim()
            .args([
                "run",
                THUNDERING_HERD,
                "--quiet",
                "--no-charts",
                "--replications",
                "2",
            ])
            .args(extra)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(0);
    };
    run(&["--requests"]);
    let dir = out.join("thundering-herd");
    let requests = Csv::read(&dir.join("requests.csv"));
    let summary = Csv::read(&dir.join("summary.csv"));
    assert_eq!(
        requests.rows.len(),
        2 * 2 * 1000,
        "strategies × replications × clients"
    );
    for s in &summary.rows {
        let strategy = summary.cell(s, "strategy");
        for rep in ["0", "1"] {
            let rows: Vec<_> = requests
                .rows_where("strategy", strategy)
                .into_iter()
                .filter(|r| requests.cell(r, "replication") == rep)
                .collect();
            assert_eq!(rows.len(), 1000);
            let count = |outcome: &str| {
                rows.iter()
                    .filter(|r| requests.cell(r, "outcome") == outcome)
                    .count() as f64
            };
            let attempts: f64 = rows.iter().map(|r| requests.num(r, "attempts")).sum();
            if strategy == "linear" {
                // No randomness: every replication is the mean.
                assert_eq!(count("succeeded"), summary.num(s, "succeeded"));
                assert_eq!(count("gave_up"), summary.num(s, "gave_up"));
                assert_eq!(attempts, summary.num(s, "attempts"));
                for r in &rows {
                    if requests.cell(r, "outcome") == "succeeded" {
                        let d = requests.cell(r, "duration_s");
                        assert!(["0.2", "1.2", "3.2", "6.2", "10.2"].contains(&d), "{d}");
                    }
                }
            }
            assert_eq!(
                count("succeeded") + count("gave_up") + count("unfinished"),
                1000.0
            );
        }
    }
    run(&[]);
    assert!(
        !dir.join("requests.csv").exists(),
        "stale requests.csv removed"
    );
}

/// Memory does not grow with requests: a burst of 1,000,000 clients (five
/// attempts each at most, full jitter) runs under a 1 GiB address-space
/// limit (about 270 MB resident when measured; see the README).
#[test]
fn a_million_client_burst_runs_within_one_gib() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = tmp.path().join("herd1m.toml");
    let text = std::fs::read_to_string(crate_dir().join(THUNDERING_HERD)).unwrap();
    let text = text
        .replace("clients = 1000 ", "clients = 1000000 ")
        .replace("replications = 10 ", "replications = 1 ");
    // Keep one strategy: full jitter.
    let cut = text
        .find("[[strategy]]\nname = \"linear\"")
        .expect("linear strategy");
    let end = text[cut..]
        .find("\n\n")
        .map(|i| cut + i)
        .expect("end of table");
    let text = format!("{}{}", &text[..cut], &text[end + 2..]);
    assert!(text.contains("clients = 1000000 ") && !text.contains("\"linear\""));
    std::fs::write(&file, text).unwrap();
    let output = backsim_capped(1024)
        .arg("run")
        .arg(&file)
        .args(["--quiet", "--no-charts", "--threads", "1", "--out"])
        .arg(tmp.path().join("out"))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let summary = Csv::read(&tmp.path().join("out/thundering-herd/summary.csv"));
    assert_eq!(summary.num(&summary.rows[0], "requests"), 1_000_000.0);
}

/// Regression: with two replications the Student-t factor is 12.7, so a
/// success rate of 0 in one replication and 1 in the other has a 95%
/// half-width of 6.35. The report used to refuse its own summary.csv
/// ("not a share"); a half-width is any number of at least 0, and the
/// charts and page are still drawn.
#[test]
fn a_confidence_half_width_above_one_is_reported() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = tmp.path().join("coin.toml");
    std::fs::write(
        &file,
        "name = \"coin\"\nseed = 1\nreplications = 2\nhorizon = \"1m\"\n\
         [workload]\nclients = 1\n[server]\nlatency = \"10ms\"\nerror_rate = 0.5\n\
         [[strategy]]\nname = \"once\"\nbackoff = { kind = \"none\" }\nmax_attempts = 1\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    backsim()
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .code(0);
    let summary = Csv::read(&out.join("coin/summary.csv"));
    let row = &summary.rows[0];
    assert_eq!(summary.num(row, "success_rate"), 0.5);
    // t(0.975, 1) * sd / sqrt(2) with sd = sqrt(0.5): 12.7062047 * 0.5.
    let half = summary.num(row, "success_rate_ci95");
    assert!((half - 6.353102368).abs() < 1e-6, "{half}");
    assert!(out.join("coin/success_rate.png").is_file());
    backsim()
        .arg("plot")
        .arg(out.join("coin"))
        .arg("--quiet")
        .assert()
        .code(0);
}

/// `plot` redraws a report written before the confidence and guard columns
/// of summary.csv existed: they read as unknown and 0.
#[test]
fn plot_reads_reports_without_the_columns_added_later() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = herd_report(tmp.path());
    let chart = std::fs::read(dir.join("success_rate.png")).expect("chart");
    let summary = std::fs::read_to_string(dir.join("summary.csv")).expect("summary");
    let later = backsim::report::run::csv::SUMMARY_ADDED_LATER;
    let lines: Vec<Vec<&str>> = summary.lines().map(|l| l.split(',').collect()).collect();
    let keep: Vec<usize> = (0..lines[0].len())
        .filter(|&i| !later.contains(&lines[0][i]))
        .collect();
    assert_eq!(keep.len(), lines[0].len() - later.len());
    let old: String = lines
        .iter()
        .map(|l| keep.iter().map(|&i| l[i]).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    std::fs::write(dir.join("summary.csv"), old).expect("write");
    std::fs::remove_file(dir.join("success_rate.png")).expect("remove");
    backsim().arg("plot").arg(&dir).assert().success();
    assert!(std::fs::read(dir.join("success_rate.png")).expect("redrawn") == chart);
}

/// `--stats` prints what each run cost on stderr and changes no file.
#[test]
fn stats_report_each_run_and_change_nothing() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let plain = herd_report(&tmp.path().join("plain"));
    let out = backsim()
        .args(["run", THUNDERING_HERD, "--quiet", "--stats", "--out"])
        .arg(tmp.path().join("stats"))
        .assert()
        .success();
    crate::common::assert_same_tree(&plain, &tmp.path().join("stats/thundering-herd"));
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    // 2 strategies × 10 replications, one line each, then the totals.
    let scenario = load(&crate_dir().join(THUNDERING_HERD));
    let runs = scenario.strategies.len() * scenario.replications as usize;
    assert_eq!(runs, 20);
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines[0].ends_with("run statistics"), "{err}");
    assert_eq!(lines.len(), 2 + runs + 2, "{err}");
    assert!(lines[2 + runs].starts_with("total: 20 runs, "), "{err}");
    assert!(lines[3 + runs].starts_with("peak memory: "), "{err}");
    // The event counts are the runs' own, the same on every machine.
    let events: u64 = lines[2..2 + runs]
        .iter()
        .map(|l| l.split_whitespace().nth(2).unwrap().parse::<u64>().unwrap())
        .sum();
    assert!(
        lines[2 + runs].contains(&format!(" {events} events, ")),
        "{err}"
    );
    let seeds = |st: usize, rep: u64| {
        backsim::random::RunSeeds::new(scenario.seed, 0, rep, &scenario.strategies[st].name)
    };
    let first = backsim::engine::simulate(&scenario, 0, seeds(0, 0)).events;
    assert_eq!(
        lines[2].split_whitespace().nth(2).unwrap(),
        first.to_string(),
        "{err}"
    );
}

/// A write to standard output that fails (a full disk under `> file`) is
/// an error with exit code 1 and the OS error; a reader that closed the
/// pipe early (`| head`) is not.
#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_to_stdout_exits_1_and_a_closed_pipe_does_not() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let sweep = tmp.path().join("sweep.toml");
    std::fs::write(
        &sweep,
        TEMPLATE.replace("name = \"bad\"", "name = \"sw\"")
            + "[sweep]\nworkload.clients = [5, 10]\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let cases: [Vec<&std::ffi::OsStr>; 4] = [
        vec!["list".as_ref()],
        vec![
            "run".as_ref(),
            THUNDERING_HERD.as_ref(),
            "--no-charts".as_ref(),
        ],
        vec!["run".as_ref(), THUNDERING_HERD.as_ref(), "--json".as_ref()],
        vec!["sweep".as_ref(), sweep.as_os_str(), "--no-charts".as_ref()],
    ];
    for args in cases {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("backsim"));
        cmd.current_dir(crate_dir()).args(&args).stdout(full);
        if args[0] != "list" {
            cmd.arg("--force").arg("--out").arg(&out);
        }
        let output = cmd.output().expect("backsim runs");
        assert_eq!(output.status.code(), Some(1), "{args:?}: {output:?}");
        assert!(
            text(&output.stderr).ends_with(
                "error: cannot write to standard output: No space left on device (os error 28)\n"
            ),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
    // `backsim list | head -c 10`: the pipe closes early; that is success.
    let pipe = std::process::Command::new("bash")
        .arg("-c")
        .arg("\"$0\" list | head -c 10 >/dev/null; exit ${PIPESTATUS[0]}")
        .arg(assert_cmd::cargo::cargo_bin!("backsim"))
        .output()
        .unwrap();
    assert_eq!(pipe.status.code(), Some(0), "{pipe:?}");
}

/// Control characters in a scenario (a strategy name, a key) reach the
/// terminal escaped, in messages, tables and notes alike; `--json` keeps
/// them as JSON escapes of the same characters.
#[test]
fn control_characters_never_reach_the_terminal() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let nasty = "a\u{1b}]0;title\u{7}\u{1b}[2J\u{9b}31mz";
    let file = tmp.path().join("ctl.toml");
    std::fs::write(
        &file,
        TEMPLATE.replace(
            "name = \"linear\"",
            &format!("name = {}", toml::Value::String(nasty.into())),
        ),
    )
    .unwrap();
    let is_clean = |bytes: &[u8]| {
        let t = text(bytes);
        !t.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
    };
    let out = tmp.path().join("out");
    let run = backsim()
        .args(["run", "--no-charts", "--out"])
        .arg(&out)
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    assert!(is_clean(&run.stdout) && is_clean(&run.stderr), "{run:?}");
    assert!(
        text(&run.stdout).contains("a\\u{1b}]0;title\\u{7}\\u{1b}[2J\\u{9b}31mz  "),
        "{}",
        text(&run.stdout)
    );
    let json = backsim()
        .args(["run", "--no-charts", "--json", "--out"])
        .arg(&out)
        .arg(&file)
        .output()
        .unwrap();
    assert!(is_clean(&json.stdout), "{json:?}");
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(doc["scenarios"][0]["strategies"][0]["strategy"], nasty);
    // An unknown key named with control characters, and a wrong value.
    let bad = tmp.path().join("bad.toml");
    std::fs::write(
        &bad,
        TEMPLATE.replace("clients = 10", "\"cli\u{1b}[2Jents\" = 10\nclients = 10"),
    )
    .unwrap();
    let check = backsim().arg("check").arg(&bad).output().unwrap();
    assert_eq!(check.status.code(), Some(2));
    assert!(is_clean(&check.stderr), "{check:?}");
    assert!(
        text(&check.stderr).contains("cli\\u{1b}[2Jents"),
        "{}",
        text(&check.stderr)
    );
}

/// Notes and `--stats` go to stderr; a stderr that cannot be written (full,
/// closed) is no reason to stop, let alone to panic: the report is written
/// and the exit code is 0.
#[cfg(target_os = "linux")]
#[test]
fn a_stderr_that_cannot_be_written_stops_nothing() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let output = std::process::Command::new(assert_cmd::cargo::cargo_bin!("backsim"))
        .current_dir(crate_dir())
        .args([
            "run",
            THUNDERING_HERD,
            "--replications",
            "1",
            "--stats",
            "--out",
        ])
        .arg(tmp.path())
        .stderr(full)
        .output()
        .expect("backsim runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(tmp.path().join("thundering-herd/summary.csv").is_file());
}
