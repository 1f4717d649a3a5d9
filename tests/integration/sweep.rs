//! `backsim sweep` and `backsim merge`: the grid's reports, hand-checked
//! points, determinism across threads and shards, and precision targets.

use crate::common::{Csv, backsim, dir_files, parse, report_files};
use backsim::experiment::{self, Precision};
use backsim::progress::Progress;
use predicates::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A small herd: a burst of 10, 100 or 300 clients against 100 requests
/// per second with a burst of 50, served in 200 ms.
const SMALL_HERD: &str = r#"
name = "small-herd"
seed = 11
replications = 4
horizon = "10m"
[workload]
kind = "burst"
clients = 10
[limiter]
requests_per_minute = 6000
request_burst = 50
[server]
concurrency = 1000
latency = "200ms"
[pricing]
input_per_mtok = 1.0
output_per_mtok = 4.0
[[strategy]]
name = "linear"
backoff = { kind = "linear", base = "1s" }
max_attempts = 5
[[strategy]]
name = "exponential"
backoff = { kind = "exponential", base = "1s", cap = "60s" }
max_attempts = 5
honor_retry_after = false
[[strategy]]
name = "full-jitter"
backoff = { kind = "full_jitter", base = "1s", cap = "60s" }
max_attempts = 5
honor_retry_after = false
[sweep]
workload.clients = [10, 100, 300]
"#;

fn write_scenario(dir: &Path, text: &str) -> std::path::PathBuf {
    let file = dir.join("small-herd.toml");
    std::fs::write(&file, text).unwrap();
    file
}

fn sweep(file: &Path, out: &Path, extra: &[&str]) {
    backsim()
        .arg("sweep")
        .arg(file)
        .args(["--quiet", "--out"])
        .arg(out)
        .args(extra)
        .assert()
        .code(0);
}

/// The metric rows of `sweep.csv` for one strategy at one client count:
/// (value, low, high) by metric.
fn metric(sweep: &Csv, strategy: &str, clients: &str, metric: &str) -> (f64, f64, f64) {
    let rows: Vec<_> = sweep
        .rows
        .iter()
        .filter(|r| {
            sweep.cell(r, "strategy") == strategy
                && sweep.cell(r, "workload.clients") == clients
                && sweep.cell(r, "metric") == metric
        })
        .collect();
    assert_eq!(rows.len(), 1, "{strategy} {clients} {metric}");
    let r = rows[0];
    (
        sweep.num(r, "value"),
        sweep.num(r, "ci95_low"),
        sweep.num(r, "ci95_high"),
    )
}

/// The report's files, the new columns, and points that can be derived by
/// hand: 10 clients all pass the burst of 50 at once (one attempt, 0.2 s);
/// of 100 clients 50 pass at once and 50 are rejected, retry after 1 s
/// when the bucket holds 100 again, and pass (1.5 attempts per request,
/// p99 1 s + 0.2 s). The linear schedule has no randomness, so its
/// intervals have zero width.
#[test]
fn sweep_writes_rows_per_point_and_hand_checked_values() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_scenario(tmp.path(), SMALL_HERD);
    let out = tmp.path().join("out");
    sweep(&file, &out, &[]);
    let dir = out.join("small-herd");
    for f in [
        "summary.csv",
        "sweep.csv",
        "scenario.toml",
        "index.html",
        "sweep_success_rate.png",
        "sweep_success_rate.svg",
        "sweep_tts_p99.svg",
        "sweep_attempts_per_request.svg",
        "sweep_wasted_usd.svg",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let summary = Csv::read(&dir.join("summary.csv"));
    assert_eq!(
        &summary.header[..4],
        ["scenario", "strategy", "workload.clients", "replications"]
    );
    assert_eq!(summary.rows.len(), 9, "3 points × 3 strategies");
    let clients: Vec<&str> = summary
        .rows
        .iter()
        .map(|r| summary.cell(r, "workload.clients"))
        .collect();
    assert_eq!(
        clients,
        ["10", "10", "10", "100", "100", "100", "300", "300", "300"]
    );

    let sweep = Csv::read(&dir.join("sweep.csv"));
    assert_eq!(
        sweep.header,
        [
            "scenario",
            "strategy",
            "workload.clients",
            "replications",
            "target_ci95",
            "metric",
            "value",
            "ci95_low",
            "ci95_high"
        ]
    );
    assert_eq!(sweep.rows.len(), 36, "9 rows × 4 metrics");
    assert_eq!(
        metric(&sweep, "linear", "10", "success_rate"),
        (1.0, 1.0, 1.0)
    );
    assert_eq!(
        metric(&sweep, "linear", "10", "attempts_per_request"),
        (1.0, 1.0, 1.0)
    );
    assert_eq!(metric(&sweep, "linear", "10", "tts_p99_s"), (0.2, 0.2, 0.2));
    assert_eq!(
        metric(&sweep, "linear", "100", "success_rate"),
        (1.0, 1.0, 1.0)
    );
    assert_eq!(
        metric(&sweep, "linear", "100", "attempts_per_request"),
        (1.5, 1.5, 1.5)
    );
    assert_eq!(
        metric(&sweep, "linear", "100", "tts_p99_s"),
        (1.2, 1.2, 1.2)
    );
    // Nothing times out, so nothing is wasted.
    assert_eq!(
        metric(&sweep, "linear", "300", "wasted_usd"),
        (0.0, 0.0, 0.0)
    );
    // A jittered strategy has intervals around its mean, cut to [0, 1].
    let (v, lo, hi) = metric(&sweep, "full-jitter", "300", "success_rate");
    assert!(lo <= v && v <= hi && hi <= 1.0, "{lo} {v} {hi}");
    // sweep.csv repeats summary.csv's numbers.
    for r in &summary.rows {
        let (s, c) = (
            summary.cell(r, "strategy"),
            summary.cell(r, "workload.clients"),
        );
        assert_eq!(
            metric(&sweep, s, c, "success_rate").0,
            summary.num(r, "success_rate")
        );
        assert_eq!(
            metric(&sweep, s, c, "tts_p99_s").0,
            summary.num(r, "tts_p99_s")
        );
        let half = summary.num(r, "success_rate_ci95");
        let (v, lo, hi) = metric(&sweep, s, c, "success_rate");
        assert!((lo - (v - half).max(0.0)).abs() < 1e-9 && (hi - (v + half).min(1.0)).abs() < 1e-9);
    }
    // The resolved scenario keeps the sweep as written.
    let toml = std::fs::read_to_string(dir.join("scenario.toml")).unwrap();
    assert!(
        toml.contains("[sweep]\nworkload.clients = [10, 100, 300]\n"),
        "{toml}"
    );
}

/// Point 0 of a sweep uses the seeds of a plain run, so `backsim run` of
/// the scenario at point 0's values gives the same summary rows.
#[test]
fn point_zero_equals_a_plain_run_of_its_values() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_scenario(tmp.path(), SMALL_HERD);
    sweep(&file, &tmp.path().join("sweep"), &["--no-charts"]);
    // The scenario as written runs with 10 clients, point 0's value.
    backsim()
        .arg("run")
        .arg(&file)
        .args(["--quiet", "--no-charts", "--out"])
        .arg(tmp.path().join("run"))
        .assert()
        .code(0);
    let swept = Csv::read(&tmp.path().join("sweep/small-herd/summary.csv"));
    let plain = Csv::read(&tmp.path().join("run/small-herd/summary.csv"));
    for (p, row) in plain.rows.iter().enumerate() {
        let mut s = swept.rows[p].clone();
        assert_eq!(s.remove(2), "10");
        assert_eq!(&s, row);
    }
}

/// Shards merged give the unsharded report byte for byte (N = 1, 2, 3),
/// and so does `backsim plot` on it; the thread count changes nothing.
#[test]
fn shards_threads_and_plot_reproduce_the_report_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_scenario(tmp.path(), SMALL_HERD);
    let whole = tmp.path().join("whole");
    sweep(&file, &whole, &["--threads", "1"]);
    let expected = dir_files(&whole.join("small-herd"));
    assert!(expected.len() >= 12, "{:?}", expected.keys());

    let two = tmp.path().join("two");
    sweep(&file, &two, &["--threads", "2"]);
    assert_eq!(dir_files(&two.join("small-herd")), expected, "--threads 2");

    for n in 1..=3 {
        let shards = tmp.path().join(format!("shards-{n}"));
        for k in 1..=n {
            sweep(&file, &shards, &["--shard", &format!("{k}/{n}")]);
            let part = shards.join(format!("small-herd.shard-{k}-of-{n}"));
            assert!(part.join("shard.toml").is_file());
            assert!(!part.join("index.html").exists(), "shards draw nothing");
        }
        let merged = tmp.path().join(format!("merged-{n}"));
        // The folder holding the shards, or the shards one by one.
        let mut cmd = backsim();
        cmd.arg("merge");
        if n == 2 {
            for k in 1..=n {
                cmd.arg(shards.join(format!("small-herd.shard-{k}-of-{n}")));
            }
        } else {
            cmd.arg(&shards);
        }
        cmd.args(["--quiet", "--out"]).arg(&merged).assert().code(0);
        assert_merged(&merged.join("small-herd"), &whole.join("small-herd"));
    }

    // Redrawing from the files gives the same charts and page.
    assert_plot_redraws(&tmp.path().join("redraw"), &expected);
}

/// The merged report in `merged` is the sweep's in `swept` byte for byte,
/// but for its report.toml, which says that `merge` wrote it.
fn assert_merged(merged: &Path, swept: &Path) {
    assert_eq!(report_files(merged), report_files(swept), "merge");
    let record = |dir: &Path| std::fs::read_to_string(dir.join("report.toml")).unwrap();
    assert_eq!(
        record(merged),
        record(swept).replace("kind = \"sweep\"", "kind = \"merge\"")
    );
}

/// `plot` on a folder holding only the data files (`.csv`, `.toml`) of a
/// report whose files are `expected` writes exactly those files.
fn assert_plot_redraws(redraw: &Path, expected: &BTreeMap<PathBuf, Vec<u8>>) {
    std::fs::create_dir_all(redraw).unwrap();
    for (name, bytes) in expected {
        let n = name.to_str().unwrap();
        if n.ends_with(".csv") || n.ends_with(".toml") {
            std::fs::write(redraw.join(name), bytes).unwrap();
        }
    }
    backsim()
        .arg("plot")
        .arg(redraw)
        .arg("--quiet")
        .assert()
        .code(0);
    assert_eq!(&dir_files(redraw), expected, "plot");
}

/// Merge refuses an incomplete or mixed set of shards, naming the problem,
/// and writes nothing.
#[test]
fn merge_refuses_missing_repeated_and_foreign_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_scenario(tmp.path(), SMALL_HERD);
    let shards = tmp.path().join("shards");
    sweep(&file, &shards, &["--shard", "1/3", "--no-charts"]);
    sweep(&file, &shards, &["--shard", "2/3", "--no-charts"]);
    let out = tmp.path().join("out");
    let part = |k: usize| shards.join(format!("small-herd.shard-{k}-of-3"));
    backsim()
        .arg("merge")
        .arg(&shards)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("shard 3 of 3 is missing"));
    backsim()
        .arg("merge")
        .args([part(1), part(1), part(2)])
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("are both shard 1 of 3"));
    // A shard of the same sweep under another seed is not the same sweep.
    let other = tmp.path().join("other");
    sweep(&file, &other, &["--shard", "3/3", "--seed", "12"]);
    backsim()
        .arg("merge")
        .args([part(1), part(2), other.join("small-herd.shard-3-of-3")])
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("differ in their scenario.toml"));
    // A folder that is no shard.
    backsim()
        .arg("merge")
        .arg(tmp.path())
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a partial report"));
    assert!(!out.exists(), "nothing written");
    // A complete set, but a file stands where the merged report goes.
    sweep(&file, &shards, &["--shard", "3/3", "--no-charts"]);
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("small-herd"), "mine").unwrap();
    backsim()
        .arg("merge")
        .arg(&shards)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "small-herd is a file, not a folder; the report goes there",
        ));
    assert_eq!(std::fs::read(out.join("small-herd")).unwrap(), b"mine");
}

/// A bad sweep exits 2 naming the file, line and key, and writes nothing.
#[test]
fn bad_sweeps_exit_2_naming_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    for (entry, says) in [
        ("workload.clientz = [1, 2]", "sweep.workload.clientz"),
        (
            "strategy.\"*\".backoff.kind = [1, 2]",
            "only numbers and durations can be swept",
        ),
        (
            "pricing.model = [1]",
            "pricing.model does not take a number",
        ),
    ] {
        let text = SMALL_HERD.replace("workload.clients = [10, 100, 300]", entry);
        let file = write_scenario(tmp.path(), &text);
        backsim()
            .arg("sweep")
            .arg(&file)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2)
            .stderr(
                predicate::str::contains("small-herd.toml:").and(predicate::str::contains(says)),
            );
    }
    // A scenario without a sweep.
    let text = SMALL_HERD.split("[sweep]").next().unwrap();
    let file = write_scenario(tmp.path(), text);
    backsim()
        .arg("sweep")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no [sweep] table"));
    assert!(!out.exists(), "nothing written");
}

/// Each request succeeds with probability 0.7, independently: one
/// attempt, 30% of admitted attempts fail with a 500.
fn bernoulli(clients: u32, replications: u32, seed: u64) -> backsim::scenario::Scenario {
    let mut s = parse(
        r#"
        name = "bernoulli"
        horizon = "1m"
        [workload]
        kind = "burst"
        [server]
        latency = "10ms"
        error_rate = 0.3
        [[strategy]]
        name = "once"
        backoff = { kind = "none" }
        max_attempts = 1
        "#,
        "bernoulli",
    );
    s.workload.clients = clients;
    s.replications = replications;
    s.seed = seed;
    s
}

/// The precision loop stops at the first replication count (from the
/// scenario's) whose success-rate interval is narrower than the target,
/// whatever the thread count: every smaller count is checked by running
/// exactly that many replications.
#[test]
fn precision_stops_at_the_first_count_under_the_target() {
    let target = 0.02;
    let base = bernoulli(100, 3, 5);
    let p = Some(Precision {
        target,
        max_replications: 500,
    });
    let one = experiment::run_with(&base, 1, p, false, &Progress::none()).unwrap();
    let two = experiment::run_with(&base, 2, p, false, &Progress::none()).unwrap();
    let n = one.strategies[0].summary.replications;
    assert_eq!(n, two.strategies[0].summary.replications);
    // (Debug text: NaN fields such as peak_load compare equal there.)
    assert_eq!(
        format!("{:?}", one.strategies[0].summary),
        format!("{:?}", two.strategies[0].summary)
    );
    // sd of one replication's rate: sqrt(0.7 * 0.3 / 100) ≈ 0.046, so
    // about (1.96 * 0.046 / 0.02)^2 ≈ 20 replications are needed.
    assert!((10..=40).contains(&n), "{n}");
    let ci = |k: u32| {
        let mut s = base.clone();
        s.replications = k;
        experiment::run(&s, 2).unwrap().strategies[0]
            .summary
            .success_rate_ci95
    };
    assert!(ci(n) < target);
    for k in 3..n {
        assert!(ci(k) >= target, "{k} replications were enough already");
    }
    // A target that cannot be met stops at the maximum.
    let capped = experiment::run_with(
        &base,
        2,
        Some(Precision {
            target: 1e-6,
            max_replications: 7,
        }),
        false,
        &Progress::none(),
    )
    .unwrap();
    assert_eq!(capped.strategies[0].summary.replications, 7);
}

/// The 95% interval of the success rate covers the true rate (0.7) in
/// about 95% of seeds. With 1,000 seeds the count of covering seeds is
/// Binomial(1000, 0.95) if the interval is right: mean 950, sd 6.9; the
/// test accepts 930 to 970 (about 3 sd either side).
#[test]
fn success_rate_interval_covers_the_true_rate_95_percent_of_the_time() {
    let covered = (0..1000u64)
        .filter(|&seed| {
            let r = experiment::run(&bernoulli(50, 10, seed), 1).unwrap();
            let s = &r.strategies[0].summary;
            (s.success_rate - 0.7).abs() <= s.success_rate_ci95
        })
        .count();
    assert!((930..=970).contains(&covered), "{covered} of 1000");
}

/// With one replication there is no interval: the bounds are empty, and
/// the terminal shows no ± part.
#[test]
fn one_replication_leaves_the_bounds_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_scenario(tmp.path(), SMALL_HERD);
    let out = tmp.path().join("out");
    let assert = backsim()
        .arg("sweep")
        .arg(&file)
        .args(["--replications", "1", "--no-charts", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(!stdout.contains('±'), "{stdout}");
    let sweep = Csv::read(&out.join("small-herd/sweep.csv"));
    for r in &sweep.rows {
        assert_eq!(
            (sweep.cell(r, "ci95_low"), sweep.cell(r, "ci95_high")),
            ("", ""),
            "{r:?}"
        );
    }
}

/// A shard whose files were edited is refused with exit 2, naming the
/// shard's file and line.
#[test]
fn merge_refuses_a_tampered_shard() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_scenario(tmp.path(), SMALL_HERD);
    let shards = tmp.path().join("shards");
    for k in 1..=2 {
        sweep(
            &file,
            &shards,
            &["--shard", &format!("{k}/2"), "--no-charts"],
        );
    }
    let part = shards.join("small-herd.shard-1-of-2/sweep.csv");
    let text = std::fs::read_to_string(&part).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[1] = lines[1].replace(",success_rate,1,", ",success_rate,abc,");
    assert!(lines[1].contains("abc"), "{}", lines[1]);
    std::fs::write(&part, lines.join("\n") + "\n").unwrap();
    backsim()
        .arg("merge")
        .arg(&shards)
        .arg("--out")
        .arg(tmp.path().join("out"))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("small-herd.shard-1-of-2")
                .and(predicate::str::contains("sweep.csv:2"))
                .and(predicate::str::contains("\"abc\" is not a number")),
        );
}

/// A small metastable system (see scenarios/classics/metastability.toml):
/// 80 requests per second against 10 slots of 100 ms, a capacity cut at
/// 20 s, recovery judged over the last 10 s of the 45 s after it. A
/// cut of 0.2 for 5 s is survived; 0.8 for 40 s leaves immediate retries
/// stuck.
const METASTABLE: &str = r#"
name = "small-metastable"
seed = 2022
replications = 2
horizon = "110s"
[workload]
kind = "poisson"
clients = 1000
rate_per_s = 80.0
duration = "110s"
[workload.tokens]
input = 0
output = 0
[server]
concurrency = 10
latency = { dist = "exponential", mean = "100ms" }
[[server.capacity_cuts]]
start = "20s"
duration = "20s"
cut = 0.5
[client]
timeout = "1s"
[report.recovery]
within = "45s"
window = "10s"
goodput = 0.9
[[strategy]]
name = "immediate-retry"
backoff = { kind = "none" }
max_attempts = 10
[[strategy]]
name = "full-jitter+budget"
backoff = { kind = "full_jitter", base = "100ms", cap = "10s" }
max_attempts = 10
budget = { kind = "client_bucket", size = 1, deposit = 0.1, initial = 1 }
[sweep]
"server.capacity_cuts.0.cut" = [0.2, 0.5, 0.8]
"server.capacity_cuts.0.duration" = ["5s", "40s"]
"#;

const MAP_FILES: [&str; 2] = ["sweep_recovered_map.svg", "sweep_recovered_map.png"];

/// The texts of an SVG document, in document order, with their anchors.
fn svg_texts(path: &Path) -> Vec<(String, f64, f64)> {
    let svg = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{e}"));
    let at = |n: &roxmltree::Node, a: &str| n.attribute(a).map_or(f64::NAN, |v| v.parse().unwrap());
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            (
                n.text().unwrap_or("").trim().to_string(),
                at(&n, "x"),
                at(&n, "y"),
            )
        })
        .collect()
}

/// The recovery map is drawn only for a scenario with `[report.recovery]`
/// and at least two swept keys; a later report without it removes it.
#[test]
fn recovery_map_needs_recovery_and_two_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let dir = out.join("small-metastable");
    let has_map = |dir: &Path| {
        let page = std::fs::read_to_string(dir.join("index.html")).unwrap();
        let files = MAP_FILES.iter().filter(|f| dir.join(f).is_file()).count();
        let on_page = page.contains("<figure id=\"sweep_recovered_map\">");
        assert_eq!(files == 2, on_page, "files and page agree");
        assert!(files == 0 || files == 2);
        on_page
    };
    let cases = [
        ("recovery, two keys", METASTABLE.to_string(), true),
        (
            "one key",
            METASTABLE.replace(
                "\"server.capacity_cuts.0.duration\" = [\"5s\", \"40s\"]\n",
                "",
            ),
            false,
        ),
        (
            "no recovery",
            METASTABLE.replace(
                "[report.recovery]\nwithin = \"45s\"\nwindow = \"10s\"\ngoodput = 0.9\n",
                "",
            ),
            false,
        ),
    ];
    for (what, text, map) in cases {
        assert_eq!(text == METASTABLE, map, "{what}: the edit applies");
        let file = write_scenario(tmp.path(), &text);
        sweep(&file, &out, &["--replications", "1"]);
        assert_eq!(has_map(&dir), map, "{what}");
    }
    // Without the map, the page names no such file.
    let page = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(!page.contains("sweep_recovered_map"));
}

/// The map's cells are `summary.csv`'s `recovered` shares, in grid
/// order; `plot` and `merge` redraw the report byte for byte, map
/// included, and `plot` needs `summary.csv` for it.
#[test]
fn recovery_map_shows_summary_shares_and_redraws_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write_scenario(tmp.path(), METASTABLE);
    let whole = tmp.path().join("whole");
    sweep(&file, &whole, &[]);
    let dir = whole.join("small-metastable");
    let expected = dir_files(&dir);
    for f in MAP_FILES {
        assert!(expected.contains_key(Path::new(f)), "{f} missing");
    }

    // Each panel: the strategy's name, then its cells row by row from the
    // bottom (the first duration), each row in cut order: further right
    // with each cut, higher with each duration.
    let summary = Csv::read(&dir.join("summary.csv"));
    let texts = svg_texts(&dir.join("sweep_recovered_map.svg"));
    let has = |s: &str| texts.iter().any(|t| t.0 == s);
    assert!(has("Recovered after the trigger"));
    assert!(has("server.capacity_cuts.0.cut"));
    assert!(has("server.capacity_cuts.0.duration"));
    let cuts = ["0.2", "0.5", "0.8"];
    let durations = ["5", "40"];
    let mut shares = Vec::new();
    for strategy in ["immediate-retry", "full-jitter+budget"] {
        let at = texts
            .iter()
            .position(|t| t.0 == strategy)
            .unwrap_or_else(|| panic!("no panel for {strategy}"));
        let cells = &texts[at + 1..at + 1 + cuts.len() * durations.len()];
        for (i, d) in durations.iter().enumerate() {
            for (j, c) in cuts.iter().enumerate() {
                let rows: Vec<_> = summary
                    .rows
                    .iter()
                    .filter(|r| {
                        summary.cell(r, "strategy") == strategy
                            && summary.cell(r, "server.capacity_cuts.0.cut") == *c
                            && summary.cell(r, "server.capacity_cuts.0.duration") == *d
                    })
                    .collect();
                assert_eq!(rows.len(), 1);
                let share = summary.num(rows[0], "recovered");
                assert!((0.0..=1.0).contains(&share));
                shares.push(share);
                let (text, x, y) = &cells[i * cuts.len() + j];
                assert_eq!(
                    *text,
                    backsim::report::sweep::map_chart::cell_text(share),
                    "{strategy} at cut {c}, duration {d}s"
                );
                if j > 0 {
                    let left = &cells[i * cuts.len() + j - 1];
                    assert!(*x > left.1 && *y == left.2, "{strategy}: cells across");
                }
                if i > 0 {
                    let below = &cells[(i - 1) * cuts.len() + j];
                    assert!(*y < below.2 && *x == below.1, "{strategy}: cells up");
                }
            }
        }
    }
    // The grid spans the two outcomes.
    assert!(shares.contains(&1.0) && shares.contains(&0.0), "{shares:?}");
    // Labels as the sweep writes them.
    for l in ["0.2", "0.8", "5s", "40s"] {
        assert!(has(l), "no label {l}");
    }

    // `plot` from the data files gives the same bytes.
    let redraw = tmp.path().join("redraw");
    assert_plot_redraws(&redraw, &expected);

    // So does merging shards.
    let shards = tmp.path().join("shards");
    for k in 1..=2 {
        sweep(&file, &shards, &["--shard", &format!("{k}/2")]);
    }
    let merged = tmp.path().join("merged");
    backsim()
        .arg("merge")
        .arg(&shards)
        .args(["--quiet", "--out"])
        .arg(&merged)
        .assert()
        .code(0);
    assert_merged(&merged.join("small-metastable"), &dir);

    // Without summary.csv there are no shares to draw.
    std::fs::remove_file(redraw.join("summary.csv")).unwrap();
    backsim()
        .arg("plot")
        .arg(&redraw)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("summary.csv is missing"));
}
