//! `backsim tune`: the shipped batch scenario's recommendation holds when
//! run on its own, a closed-form optimum is found, outputs do not depend
//! on the thread count, verdicts are honest, and the race spends fewer
//! runs than the grid.

use crate::common::{Csv, backsim, crate_dir, text};
use std::path::{Path, PathBuf};

/// Runs `backsim tune FILE --out OUT ARGS…`; returns the report folder.
fn tune(file: &Path, out: &Path, args: &[&str]) -> (PathBuf, String) {
    let output = backsim()
        .arg("tune")
        .arg(file)
        .arg("--out")
        .arg(out)
        .args(args)
        .output()
        .expect("backsim runs");
    assert!(
        output.status.success(),
        "tune failed: {}",
        text(&output.stderr)
    );
    let stem = file.file_stem().unwrap().to_str().unwrap().to_string();
    let toml: toml::Table = std::fs::read_to_string(file).unwrap().parse().unwrap();
    let name = toml
        .get("name")
        .and_then(|n| n.as_str())
        .map_or(stem, str::to_string);
    (out.join(format!("{name}.tune")), text(&output.stdout))
}

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

fn batch() -> PathBuf {
    crate_dir().join("scenarios/llm-batch.toml")
}

#[test]
fn the_batch_recommendation_meets_the_goal_none_of_the_users_strategies_meets() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, out) = tune(&batch(), tmp.path(), &["--quiet"]);
    assert!(out.is_empty());
    let csv = Csv::read(&dir.join("tune.csv"));
    // The scenario's three strategies certainly miss success_rate >= 0.99.
    for name in ["openai-python", "linear", "exponential"] {
        let row = csv.row_where("candidate", name);
        assert_eq!(csv.cell(row, "meets_success_rate"), "no", "{name}");
    }
    let rec = csv.row_where("recommended", "yes");
    assert_eq!(csv.cell(rec, "meets_success_rate"), "yes");
    // Proof by running it: the recommended block pasted into the
    // scenario, run with `backsim run` to ±0.005, still meets the goal
    // with its whole confidence interval.
    let block = std::fs::read_to_string(dir.join("recommended.toml")).unwrap();
    let name = csv.cell(rec, "candidate").to_string();
    assert!(block.contains(&format!("name = \"{name}\"")), "{block}");
    let scenario = std::fs::read_to_string(batch()).unwrap();
    let file = write(tmp.path(), "pasted.toml", &format!("{scenario}\n{block}"));
    let run = backsim()
        .args(["run", "--json", "--precision", "0.005", "--out"])
        .arg(tmp.path().join("run"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", text(&run.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let strategies = doc["scenarios"][0]["strategies"].as_array().unwrap();
    let tuned = strategies
        .iter()
        .find(|s| s["strategy"] == name.as_str())
        .unwrap();
    let (rate, ci) = (
        tuned["success_rate"].as_f64().unwrap(),
        tuned["success_rate_ci95"].as_f64().unwrap(),
    );
    assert!(ci < 0.005, "{ci}");
    assert!(rate - ci >= 0.99, "{rate} ± {ci}");
    for s in strategies.iter().filter(|s| s["strategy"] != name.as_str()) {
        let (r, c) = (
            s["success_rate"].as_f64().unwrap(),
            s["success_rate_ci95"].as_f64().unwrap(),
        );
        assert!(r + c < 0.99, "{}: {r} ± {c}", s["strategy"]);
    }
}

/// A deterministic herd: 1,000 clients at t = 0, no latency, a request
/// bucket of 50 refilling at 100 a second, linear backoff with 5 attempts
/// (docs/model.md §6). Waves go at 0, b, 3b, 6b and 10b; the first takes
/// the full bucket (50) and wave j (j = 1…4), after a gap of j·b, takes
/// min(50, 100·j·b). So successes = 50 + Σ min(50, 100·j·b): 250 for any
/// b >= 0.5 s, and fewer below (b = 0.4 s: 50 + 40 + 50 + 50 + 50 = 240).
/// The last successes come with the last wave, at 10b (the p99 of 250
/// successes is the 248th, in that wave), so the smallest p99 time to
/// success with success_rate >= 0.25 is 10 × 0.5 s = 5 s, at b = 0.5 s.
const HERD: &str = r#"
name = "herd-tune"
seed = 3
replications = 2
horizon = "1m"
[workload]
kind = "burst"
clients = 1000
spread = "0s"
[limiter]
requests_per_minute = 6000
request_burst = 50
[[strategy]]
name = "seed-article"
backoff = { kind = "linear", base = "1s" }
max_attempts = 5
[tune]
objective = { minimize = "tts_p99" }
goals = { success_rate = ">= 0.25" }
screen = 2
[tune.space]
backoff.kind = ["linear"]
backoff.base = ["250ms", "400ms", "500ms", "600ms", "1s"]
max_attempts = [5]
"#;

#[test]
fn tune_finds_the_hand_computed_best_linear_base() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write(tmp.path(), "herd.toml", HERD);
    let (dir, _) = tune(&file, tmp.path(), &["--quiet"]);
    let csv = Csv::read(&dir.join("tune.csv"));
    let rec = csv.row_where("recommended", "yes");
    assert_eq!(csv.cell(rec, "backoff.base"), "500ms");
    assert_eq!(csv.num(rec, "success_rate"), 0.25);
    assert_eq!(csv.num(rec, "success_rate_ci95"), 0.0);
    assert_eq!(csv.num(rec, "tts_p99_s"), 5.0);
    // 400 ms: 240 of 1,000, certainly below 0.25.
    let short = csv.row_where("backoff.base", "400ms");
    assert_eq!(csv.num(short, "success_rate"), 0.24);
    assert_eq!(csv.cell(short, "meets_success_rate"), "no");
    // The seed article's 1 s: all 250, but the last at 10 s.
    let own = csv.row_where("candidate", "seed-article");
    assert_eq!(csv.num(own, "tts_p99_s"), 10.0);
}

#[test]
fn outputs_do_not_depend_on_the_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, out1) = tune(
        &batch(),
        &tmp.path().join("1"),
        &["--threads", "1", "--json"],
    );
    let (two, out2) = tune(
        &batch(),
        &tmp.path().join("2"),
        &["--threads", "2", "--json"],
    );
    for f in [
        "tune.csv",
        "recommended.toml",
        "scenario.toml",
        "tune_success_vs_wasted_usd.svg",
        "tune_success_vs_tts_p99.png",
    ] {
        assert!(
            std::fs::read(one.join(f)).unwrap() == std::fs::read(two.join(f)).unwrap(),
            "{f} differs"
        );
    }
    // The JSON differs only in the report folder it names.
    assert_eq!(
        out1.replace(&one.display().to_string(), "DIR"),
        out2.replace(&two.display().to_string(), "DIR")
    );
}

/// 100 clients, each one attempt against a server failing half of them:
/// a replication's success rate is Binomial(100, 1/2) / 100 (sd 0.05),
/// so over 3 replications the 95% CI is about ±0.12 wide and straddles
/// the bound 0.5, which is the true rate. (With this seed, as with 95% of
/// seeds, the interval holds 0.5.)
const COIN: &str = r#"
name = "coin"
seed = 5
replications = 3
horizon = "1m"
[workload]
kind = "burst"
clients = 100
[server]
errors = { "500" = 0.5 }
[[strategy]]
name = "once"
backoff = { kind = "constant", base = "1s" }
max_attempts = 1
[tune]
goals = { success_rate = ">= 0.5" }
screen = 3
max_replications = 3
[tune.space]
start = ["once"]
max_attempts = [1]
"#;

#[test]
fn a_goal_whose_interval_straddles_its_bound_is_not_shown() {
    let tmp = tempfile::tempdir().unwrap();
    let file = write(tmp.path(), "coin.toml", COIN);
    let (dir, out) = tune(&file, tmp.path(), &[]);
    let csv = Csv::read(&dir.join("tune.csv"));
    for row in &csv.rows {
        let (rate, ci) = (
            csv.num(row, "success_rate"),
            csv.num(row, "success_rate_ci95"),
        );
        assert!(rate - ci < 0.5 && 0.5 <= rate + ci, "{rate} ± {ci}");
        assert_eq!(csv.cell(row, "meets_success_rate"), "not shown");
    }
    assert!(out.contains("NOT shown to meet every goal"), "{out}");
    assert!(out.contains("not shown to meet: the interval"), "{out}");
    let rec = std::fs::read_to_string(dir.join("recommended.toml")).unwrap();
    assert!(rec.contains("not shown to meet every goal"), "{rec}");
}

#[test]
fn an_infeasible_goal_is_explained_by_the_limit() {
    // The batch in 3 minutes: the token bucket admits its burst (30,000
    // tokens) and 3 minutes of refill (90,000): 120,000 / 1,900 = 63.2
    // requests, at most 63 of the 160 (39.38%). A closed loop's success
    // rate counts only the requests started, so candidates read higher.
    let tmp = tempfile::tempdir().unwrap();
    let scenario = std::fs::read_to_string(batch())
        .unwrap()
        .replace("horizon = \"10m\"", "horizon = \"3m\"");
    let file = write(tmp.path(), "short.toml", &scenario);
    let (dir, out) = tune(&file, tmp.path(), &[]);
    assert!(out.contains("no candidate meets the goals"), "{out}");
    assert!(out.contains("no candidate can meet it"), "{out}");
    assert!(
        out.contains("The tokens_per_minute limit admits at most 0.2632 requests a second (30000 a minute / 1900 per request), 63 within the horizon: 39.38% of the workload's 160 requests"),
        "{out}"
    );
    let rec = std::fs::read_to_string(dir.join("recommended.toml")).unwrap();
    assert!(!rec.contains("[[strategy]]"), "{rec}");
    assert!(rec.contains("# No candidate meets the goals"), "{rec}");
}

#[test]
fn the_race_spends_fewer_runs_than_the_grid() {
    // Every run is one replication of one candidate, so the runs used are
    // the sum of the `replications` column. Successive halving runs all n
    // candidates `screen` times, then at most ⌈n/2⌉ of them up to twice as
    // many, ⌈n/4⌉ up to four times, …: about n·screen·(1 + rounds/2), less
    // than n × the replications the winner ends with (screen · 2^rounds
    // and more) once there are more than two rounds; the confirmation runs
    // only the winner and the scenario's own strategies.
    let tmp = tempfile::tempdir().unwrap();
    let (dir, out) = tune(&batch(), tmp.path(), &["--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let csv = Csv::read(&dir.join("tune.csv"));
    let spent: u64 = csv
        .rows
        .iter()
        .map(|r| csv.cell(r, "replications").parse::<u64>().unwrap())
        .sum();
    assert_eq!(doc["runs"].as_u64().unwrap(), spent);
    let rec = csv.row_where("recommended", "yes");
    let reps: u64 = csv.cell(rec, "replications").parse().unwrap();
    let grid = csv.rows.len() as u64 * reps;
    assert_eq!(doc["grid_runs"].as_u64().unwrap(), grid);
    assert!(spent < grid, "{spent} of {grid}");
    // The first round ran every candidate `screen` (4) times.
    let rounds = doc["rounds"].as_array().unwrap();
    assert_eq!(
        rounds[0]["candidates"].as_u64().unwrap(),
        csv.rows.len() as u64
    );
    assert_eq!(rounds[0]["replications"], 4);
    assert!(csv.rows.iter().all(|r| csv.num(r, "replications") >= 4.0));
}

#[test]
fn run_ignores_tune_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    backsim()
        .args(["run", "--no-charts", "--out"])
        .arg(tmp.path())
        .arg(batch())
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "has a [tune]; `backsim run` runs the scenario's strategies",
        ));
    let resolved = std::fs::read_to_string(tmp.path().join("llm-batch/scenario.toml")).unwrap();
    assert!(!resolved.contains("[tune"), "{resolved}");
}

#[test]
fn a_goodput_goal_above_the_token_ceiling_is_infeasible_and_says_why() {
    // The token bucket refills 30,000 / 60 = 500 tokens a second and an
    // attempt reserves 1,500 + 400 = 1,900, so in the long run no policy
    // gets more than 500 / 1,900 = 0.2632 successes a second. Over a short
    // active period the full bucket's 15 requests come on top (a policy
    // that gives up early ends its run within a minute), but 1 a second
    // (60 in the first minute, against 15 + 15.8) is out of reach.
    let tmp = tempfile::tempdir().unwrap();
    let scenario = std::fs::read_to_string(batch()).unwrap().replace(
        "goals = { success_rate = \">= 0.99\" }",
        "goals = { goodput = \">= 1\" }",
    );
    let file = write(tmp.path(), "fast.toml", &scenario);
    let (dir, out) = tune(&file, tmp.path(), &[]);
    assert!(out.contains("no candidate meets the goals"), "{out}");
    assert!(
        out.contains("goodput >= 1: 75 of 75 candidates certainly miss it"),
        "{out}"
    );
    assert!(
        out.contains("Its binding limit, tokens_per_minute, admits at most 0.2632 requests a second in the long run at the mean cost of a request (ceiling_per_s)"),
        "{out}"
    );
    let csv = Csv::read(&dir.join("tune.csv"));
    for row in &csv.rows {
        assert!(csv.num(row, "goodput_per_s") < 1.0, "{row:?}");
        assert_eq!(csv.cell(row, "meets_goodput"), "no");
    }
}
