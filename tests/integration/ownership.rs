//! Report folders are backsim's only where it says so (README: Safe
//! outputs). A folder records what wrote it in `report.toml`; a report of
//! another kind or of another scenario file, and files backsim did not
//! write, are replaced only with `--force` (exit 2 before any simulation
//! otherwise); a report never lands on a file the run reads, however the
//! path is spelled; two backsim processes writing one folder leave exactly
//! one of their reports; temporary files a killed backsim left are
//! removed by the next write.

use crate::common::{assert_same_tree, backsim, dir_files, text};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

/// A small scenario with a two-point sweep: 200 clients, full jitter.
const SMALL: &str = r#"
name = "small"
replications = 2
horizon = "1m"
[workload]
kind = "burst"
clients = 200
[limiter]
requests_per_minute = 600
[[strategy]]
name = "jitter"
backoff = { kind = "full_jitter", base = "1s", cap = "10s" }
[sweep]
workload.clients = [100, 200]
"#;

/// Writes `text` as `name` in `dir`; its path.
fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write scenario");
    path
}

/// Runs `backsim ARGS… FILE --out OUT` (any of them may be empty).
fn backsim_on(args: &[&str], file: Option<&Path>, out: &Path) -> Output {
    let mut cmd = backsim();
    cmd.args(args);
    if let Some(f) = file {
        cmd.arg(f);
    }
    cmd.arg("--out").arg(out).output().expect("backsim runs")
}

fn assert_ok(output: &Output) {
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

/// Asserts exit code 2, nothing on stdout and no simulation (`--stats`
/// prints after each one); the message.
fn refused(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert_eq!(text(&output.stdout), "");
    let stderr = text(&output.stderr);
    assert!(!stderr.contains("run statistics"), "simulated: {stderr}");
    stderr
}

/// The three commands that write a report into `<out>/small/`.
fn command(kind: &str) -> Vec<&'static str> {
    match kind {
        "run" => vec!["run", "--quiet", "--stats"],
        "sweep" => vec!["sweep", "--quiet"],
        other => panic!("{other}"),
    }
}

#[test]
fn a_report_of_another_kind_is_refused_before_any_work_and_replaced_only_with_force() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = write(tmp.path(), "small.toml", SMALL);
    for (first, second) in [("sweep", "run"), ("run", "sweep")] {
        let out = tmp.path().join(format!("{first}-then-{second}"));
        let dir = out.join("small");
        assert_ok(&backsim_on(&command(first), Some(&file), &out));
        let before = dir_files(&dir);
        let message = refused(&backsim_on(&command(second), Some(&file), &out));
        let report = |kind: &str| format!("the report of `backsim {kind}`");
        assert_eq!(
            message,
            format!(
                "error: {} holds {} of {} (written by backsim {}); {} would replace it. Give another --out, or add --force to replace it\n",
                dir.display(),
                report(first),
                file.display(),
                env!("CARGO_PKG_VERSION"),
                report(second),
            )
        );
        assert_eq!(dir_files(&dir), before, "the {first} report is untouched");
        // Forced, the folder is exactly what the second command writes
        // into an empty one: nothing of the first is left.
        let mut forced = command(second);
        forced.push("--force");
        assert_ok(&backsim_on(&forced, Some(&file), &out));
        let alone = tmp.path().join(format!("{second}-alone"));
        assert_ok(&backsim_on(&command(second), Some(&file), &alone));
        assert_same_tree(&dir, &alone.join("small"));
    }
}

#[test]
fn a_merge_over_a_run_is_refused_and_a_merge_over_its_sweep_is_not() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = write(tmp.path(), "small.toml", SMALL);
    let shards = tmp.path().join("shards");
    for k in ["1/2", "2/2"] {
        assert_ok(&backsim_on(
            &["sweep", "--quiet", "--shard", k],
            Some(&file),
            &shards,
        ));
    }
    let out = tmp.path().join("out");
    assert_ok(&backsim_on(&command("run"), Some(&file), &out));
    let merge = |out: &Path, force: bool| {
        let mut cmd = backsim();
        cmd.args(["merge", "--quiet"])
            .arg(&shards)
            .arg("--out")
            .arg(out);
        if force {
            cmd.arg("--force");
        }
        cmd.output().expect("backsim runs")
    };
    let message = refused(&merge(&out, false));
    assert!(
        message.contains("holds the report of `backsim run`")
            && message.contains("the report of `backsim merge` would replace it"),
        "{message}"
    );
    assert_ok(&merge(&out, true));
    // A merge writes what the sweep writes, so each replaces the other.
    let swept = tmp.path().join("swept");
    assert_ok(&backsim_on(&command("sweep"), Some(&file), &swept));
    assert_ok(&merge(&swept, false));
    assert_ok(&backsim_on(&command("sweep"), Some(&file), &swept));
}

#[test]
fn another_scenario_file_with_the_same_name_is_refused() {
    let tmp = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(tmp.path().join("copy")).unwrap();
    let file = write(tmp.path(), "small.toml", SMALL);
    let other = write(&tmp.path().join("copy"), "small.toml", SMALL);
    let out = tmp.path().join("out");
    assert_ok(&backsim_on(&command("run"), Some(&file), &out));
    let before = dir_files(&out.join("small"));
    let message = refused(&backsim_on(&command("run"), Some(&other), &out));
    assert_eq!(
        message,
        format!(
            "error: {} holds the report of `backsim run` of {} (written by backsim {}); this is the report of {}, another scenario file named \"small\". Give one of them another `name`, give another --out, or add --force to replace it\n",
            out.join("small").display(),
            file.display(),
            env!("CARGO_PKG_VERSION"),
            other.display()
        )
    );
    assert_eq!(dir_files(&out.join("small")), before);
}

#[test]
fn a_rerun_replaces_its_own_report_and_leaves_other_files_alone() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = write(tmp.path(), "small.toml", SMALL);
    let out = tmp.path().join("out");
    let dir = out.join("small");
    assert_ok(&backsim_on(&command("run"), Some(&file), &out));
    std::fs::write(dir.join("notes.md"), "mine").unwrap();
    assert_ok(&backsim_on(
        &["run", "--quiet", "--no-charts", "--seed", "9"],
        Some(&file),
        &out,
    ));
    let alone = tmp.path().join("alone");
    assert_ok(&backsim_on(
        &["run", "--quiet", "--no-charts", "--seed", "9"],
        Some(&file),
        &alone,
    ));
    std::fs::write(alone.join("small/notes.md"), "mine").unwrap();
    // The charts of the first run are gone; the notes stay.
    assert_same_tree(&dir, &alone.join("small"));
    let manifest = std::fs::read_to_string(dir.join("report.toml")).unwrap();
    assert!(
        manifest.contains("kind = \"run\"\nscenario = \"small\"\nfile = \"../../small.toml\"\n"),
        "{manifest}"
    );
}

#[test]
fn files_backsim_did_not_write_are_replaced_only_with_force() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = write(tmp.path(), "small.toml", SMALL);
    let out = tmp.path().join("out");
    let dir = out.join("small");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("scenario.toml"), "# my notes\n").unwrap();
    std::fs::write(dir.join("summary.csv"), "mine\n").unwrap();
    let message = refused(&backsim_on(&command("run"), Some(&file), &out));
    assert_eq!(
        message,
        format!(
            "error: {} holds files that backsim did not write and the report would replace: summary.csv, scenario.toml; it has no report.toml, backsim's record of the files it wrote. Move them, give another --out, or add --force to replace them\n",
            dir.display()
        )
    );
    assert_eq!(std::fs::read(dir.join("summary.csv")).unwrap(), b"mine\n");
    let mut forced = command("run");
    forced.push("--force");
    assert_ok(&backsim_on(&forced, Some(&file), &out));
    assert!(dir.join("report.toml").is_file());
}

#[cfg(unix)]
#[test]
fn a_report_never_lands_on_a_file_the_run_reads() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let gw = tmp.path().join("gw");
    std::fs::create_dir(&gw).unwrap();
    let trace = "t_s,input_tokens,output_tokens,user\n0,10,10,alice\n1.5,20,5,bob\n";
    std::fs::write(gw.join("trace.csv"), trace).unwrap();
    let scenario = r#"
name = "gw"
horizon = "1m"
[workload]
kind = "trace"
file = "trace.csv"
[limiter]
requests_per_minute = 600
[[strategy]]
name = "linear"
backoff = { kind = "linear", base = "1s" }
"#;
    let file = write(&gw, "gw.toml", scenario);
    std::os::unix::fs::symlink(&gw, tmp.path().join("link")).unwrap();
    let before = dir_files(&gw);
    // `<out>/gw` is the scenario's own folder, however it is spelled.
    for out in [
        tmp.path().to_path_buf(),
        tmp.path().join("link/.."),
        gw.join("../link/.."),
    ] {
        for force in [false, true] {
            let mut args = vec!["run", "--quiet", "--stats"];
            if force {
                args.push("--force");
            }
            let message = refused(&backsim_on(&args, Some(&file), &out));
            assert_eq!(
                message,
                format!(
                    "error: the report in {} would replace {}, the trace this command reads; give another --out (--force does not change this)\n",
                    out.join("gw").display(),
                    gw.join("trace.csv").display()
                )
            );
            assert_eq!(dir_files(&gw), before, "nothing of gw/ changed");
        }
    }
    // A scenario named after its own file's folder with the file named
    // like a report file: the scenario itself is refused as a landing.
    let own = tmp.path().join("own");
    std::fs::create_dir(&own).unwrap();
    let file = write(
        &own,
        "scenario.toml",
        &scenario
            .replace("name = \"gw\"", "name = \"own\"")
            .replace("trace.csv", "../gw/trace.csv"),
    );
    let message = refused(&backsim_on(&["run", "--force"], Some(&file), tmp.path()));
    assert!(
        message.contains("the scenario file this command reads"),
        "{message}"
    );
}

/// `backsim ARGS… FILE --out OUT`, to start.
fn process(args: &[&str], file: &Path, out: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("backsim"));
    cmd.args(args).arg(file).arg("--out").arg(out);
    cmd
}

/// Starts `backsim run FILE --seed SEED --quiet --out OUT`.
fn spawn_run(file: &Path, seed: &str, out: &Path) -> std::process::Child {
    process(&["run", "--quiet", "--seed", seed], file, out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("backsim starts")
}

/// The files of the report of `backsim ARGS… FILE` written alone, into
/// `alone-TAG/` beside FILE.
fn alone(file: &Path, args: &[&str], tag: &str) -> BTreeMap<PathBuf, Vec<u8>> {
    let out = file.with_file_name(format!("alone-{tag}"));
    assert_ok(&backsim_on(args, Some(file), &out));
    dir_files(&out.join("small"))
}

#[test]
fn two_writers_into_one_folder_leave_exactly_one_report() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = write(tmp.path(), "small.toml", SMALL);
    let expected: Vec<_> = ["1", "2"]
        .iter()
        .map(|seed| alone(&file, &["run", "--quiet", "--seed", seed], seed))
        .collect();
    assert_ne!(expected[0], expected[1], "seeds differ");
    for round in 0..100 {
        let out = tmp.path().join(format!("round-{round}"));
        let children = [spawn_run(&file, "1", &out), spawn_run(&file, "2", &out)];
        for child in children {
            let output = child.wait_with_output().expect("backsim ends");
            assert_eq!(output.status.code(), Some(0), "{output:?}");
        }
        let got = dir_files(&out.join("small"));
        assert!(
            expected.contains(&got),
            "round {round}: {} is neither run's report",
            out.join("small").display()
        );
        std::fs::remove_dir_all(&out).unwrap();
    }
}

#[test]
fn a_run_and_a_sweep_at_once_leave_one_whole_report_and_one_refusal() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = write(tmp.path(), "small.toml", SMALL);
    let alone: Vec<_> = ["run", "sweep"]
        .iter()
        .map(|kind| alone(&file, &[kind, "--quiet"], kind))
        .collect();
    for round in 0..20 {
        let out = tmp.path().join(format!("round-{round}"));
        let spawn = |kind: &str| process(&[kind, "--quiet"], &file, &out).output();
        let (run, sweep) = std::thread::scope(|s| {
            let run = s.spawn(|| spawn("run").expect("backsim runs"));
            let sweep = spawn("sweep").expect("backsim runs");
            (run.join().expect("thread"), sweep)
        });
        let codes = (run.status.code(), sweep.status.code());
        let got = dir_files(&out.join("small"));
        match codes {
            (Some(0), Some(2)) => assert_eq!(got, alone[0], "round {round}"),
            (Some(2), Some(0)) => assert_eq!(got, alone[1], "round {round}"),
            _ => panic!("round {round}: {run:?} {sweep:?}"),
        }
    }
}

#[test]
fn temporary_files_a_killed_backsim_left_are_removed_by_the_next_write() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = write(tmp.path(), "small.toml", SMALL);
    let out = tmp.path().join("out");
    let dir = out.join("small");
    assert_ok(&backsim_on(
        &["run", "--quiet", "--no-charts"],
        Some(&file),
        &out,
    ));
    // What a SIGKILL in the middle of writing leaves: temporary copies of
    // report files (under another process id). A file of the user's with a
    // similar name stays.
    for name in [".summary.csv.tmp-4194304", ".cost.png.tmp-17"] {
        std::fs::write(dir.join(name), "half").unwrap();
    }
    std::fs::write(dir.join(".notes.md.tmp-17"), "mine").unwrap();
    assert_ok(&backsim_on(
        &["run", "--quiet", "--no-charts"],
        Some(&file),
        &out,
    ));
    let mut names: Vec<String> = dir_files(&dir)
        .keys()
        .map(|p| p.display().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".notes.md.tmp-17",
            "attempts.csv",
            "models.csv",
            "report.toml",
            "scenario.toml",
            "summary.csv",
            "timeseries.csv",
            "tts_cdf.csv"
        ]
    );
}

/// The files listed in the report folder `dir`'s `report.toml`, which
/// must be every file there but itself.
fn recorded_files(dir: &Path) -> Vec<String> {
    let manifest: toml::Table = std::fs::read_to_string(dir.join("report.toml"))
        .expect("report.toml")
        .parse()
        .expect("TOML");
    let files: Vec<String> = manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|v| v.as_str().expect("a name").to_string())
        .collect();
    let mut present: Vec<String> = dir_files(dir)
        .keys()
        .map(|p| p.display().to_string())
        .filter(|n| n != "report.toml")
        .collect();
    present.sort();
    assert_eq!(files, present, "{}", dir.display());
    files
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

/// The refusals before any work judge the files a report will have from
/// the scenario alone: that must be exactly what is written.
#[test]
fn the_files_known_before_a_run_are_the_files_it_writes() {
    use backsim::report::{partial_file_names, run_file_names, sweep_file_names};
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("out");
    let small = write(tmp.path(), "small.toml", SMALL);
    let trace = crate::common::crate_dir().join("scenarios/llm-trace-replay.toml");
    for (file, flags, requests, charts) in [
        (&small, vec![], false, true),
        (&small, vec!["--no-charts", "--requests"], true, false),
        (&trace, vec!["--replications", "1"], false, true),
    ] {
        let s = crate::common::load(file);
        let mut args = vec!["run", "--quiet", "--force"];
        args.extend(flags);
        assert_ok(&backsim_on(&args, Some(file), &out));
        assert_eq!(
            recorded_files(&out.join(&s.name)),
            sorted(run_file_names(&s, requests, charts)),
            "{args:?} {}",
            file.display()
        );
    }
    // A sweep that judges recovery over two keys also gets the map.
    let map = SMALL
        .replace(
            "kind = \"burst\"\nclients = 200",
            "kind = \"poisson\"\nclients = 200\nrate_per_s = 5.0",
        )
        .replace(
            "[sweep]\n",
            "[report.recovery]\nafter = \"10s\"\nwithin = \"10s\"\n[sweep]\nstrategy.0.backoff.base = [\"1s\", \"2s\"]\n",
        );
    let map = write(tmp.path(), "map.toml", &map.replace("\"small\"", "\"map\""));
    for (file, charts) in [(&small, true), (&small, false), (&map, true)] {
        let s = crate::common::load(file);
        let mut args = vec!["sweep", "--quiet", "--force"];
        if !charts {
            args.push("--no-charts");
        }
        assert_ok(&backsim_on(&args, Some(file), &out));
        assert_eq!(
            recorded_files(&out.join(&s.name)),
            sorted(sweep_file_names(&s, charts)),
            "{args:?} {}",
            file.display()
        );
    }
    let s = crate::common::load(&map);
    assert!(
        sweep_file_names(&s, true).contains(&"sweep_recovered_map.png".to_string()),
        "the map is there"
    );
    assert_ok(&backsim_on(
        &["sweep", "--quiet", "--shard", "1/2"],
        Some(&map),
        &out,
    ));
    assert_eq!(
        recorded_files(&out.join("map.shard-1-of-2")),
        sorted(partial_file_names(&s))
    );
}

/// `plot` adds the charts it draws to the folder's record, replaces a
/// chart file of the user's only with `--force`, and draws the charts of
/// a report without a record (an older backsim's) without making one.
#[test]
fn plot_records_the_charts_it_draws() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = write(tmp.path(), "small.toml", SMALL);
    let out = tmp.path().join("out");
    let dir = out.join("small");
    assert_ok(&backsim_on(
        &["run", "--quiet", "--no-charts"],
        Some(&file),
        &out,
    ));
    std::fs::write(dir.join("attempts.png"), "mine").unwrap();
    let plot = |force: bool| {
        let mut cmd = backsim();
        cmd.args(["plot", "--quiet"]).arg(&dir);
        if force {
            cmd.arg("--force");
        }
        cmd.output().expect("backsim runs")
    };
    let message = refused(&plot(false));
    assert!(
        message.contains("would replace: attempts.png;"),
        "{message}"
    );
    assert_eq!(std::fs::read(dir.join("attempts.png")).unwrap(), b"mine");
    assert_ok(&plot(true));
    let charted = alone(&file, &["run", "--quiet"], "charts");
    assert_eq!(dir_files(&dir), charted, "the same as a run with charts");
    // Without a record: charts drawn, no record made.
    std::fs::remove_file(dir.join("report.toml")).unwrap();
    for chart in ["attempts.png", "index.html"] {
        std::fs::remove_file(dir.join(chart)).unwrap();
    }
    assert_ok(&plot(false));
    assert!(dir.join("attempts.png").is_file() && !dir.join("report.toml").exists());
}

/// `plot` of a folder that a run is writing meanwhile draws, under the
/// folder's lock, the report that is there when it gets it: the folder
/// never ends with one run's data beside charts of another.
#[test]
fn plot_while_a_run_writes_the_folder_never_mixes_two_reports() {
    let tmp = tempfile::tempdir().expect("temp dir");
    // 200,000 one-second buckets for two strategies: reading, drawing
    // and writing the report take about a second each, long enough for a
    // plot started while the run simulates, renders or writes to overlap
    // (before plot read its folder under the lock, rounds from 0.4 s on
    // left the second run's data beside the first run's charts).
    let slow = r#"
name = "small"
replications = 1
horizon = "200000s"
[workload]
kind = "poisson"
rate_per_s = 0.001
[[strategy]]
name = "a"
backoff = { kind = "none" }
[[strategy]]
name = "b"
backoff = { kind = "none" }
"#;
    let file = write(tmp.path(), "small.toml", slow);
    let expected: Vec<_> = ["1", "2"]
        .iter()
        .map(|seed| alone(&file, &["run", "--quiet", "--seed", seed], seed))
        .collect();
    for (round, delay_ms) in [200u64, 400, 600, 800].iter().enumerate() {
        let out = tmp.path().join(format!("round-{round}"));
        assert_ok(&backsim_on(
            &["run", "--quiet", "--seed", "1"],
            Some(&file),
            &out,
        ));
        let run = spawn_run(&file, "2", &out);
        std::thread::sleep(std::time::Duration::from_millis(*delay_ms));
        let plot = backsim()
            .args(["plot", "--quiet"])
            .arg(out.join("small"))
            .output()
            .expect("backsim runs");
        assert_ok(&plot);
        assert_ok(&run.wait_with_output().expect("backsim ends"));
        let got = dir_files(&out.join("small"));
        assert!(
            expected.contains(&got),
            "round {round}: {} mixes two reports",
            out.join("small").display()
        );
    }
}

/// No report lands on a file that any scenario of the same command
/// reads: here one scenario's report folder holds the other scenario.
#[test]
fn a_report_never_lands_on_another_scenario_of_the_same_run() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = write(tmp.path(), "small.toml", SMALL);
    let out = tmp.path().join("out");
    assert_ok(&backsim_on(&["run", "--quiet"], Some(&file), &out));
    // A copy of the report's scenario.toml, named otherwise, edited in place.
    let copy = out.join("small/scenario.toml");
    let edited = std::fs::read_to_string(&copy)
        .unwrap()
        .replace("name = \"small\"", "name = \"other\"");
    std::fs::write(&copy, &edited).unwrap();
    let output = backsim()
        .args(["run", "--quiet", "--force", "--stats"])
        .arg(&file)
        .arg(&copy)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let message = refused(&output);
    assert!(
        message.contains(&format!(
            "would replace {}, the scenario file this command reads",
            copy.display()
        )),
        "{message}"
    );
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), edited);
}

/// Shards whose records were lost (or an older backsim's) do not know
/// their scenario file: their merge does not replace the sweep of a
/// scenario file it cannot be shown to be, unless forced.
#[test]
fn a_merge_of_unknown_origin_does_not_replace_a_known_sweep() {
    let tmp = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(tmp.path().join("other")).unwrap();
    let file = write(tmp.path(), "small.toml", SMALL);
    let other = write(&tmp.path().join("other"), "small.toml", SMALL);
    let out = tmp.path().join("out");
    assert_ok(&backsim_on(&command("sweep"), Some(&other), &out));
    let shards = tmp.path().join("shards");
    for k in ["1/2", "2/2"] {
        assert_ok(&backsim_on(
            &["sweep", "--quiet", "--shard", k],
            Some(&file),
            &shards,
        ));
    }
    for shard in ["small.shard-1-of-2", "small.shard-2-of-2"] {
        std::fs::remove_file(shards.join(shard).join("report.toml")).unwrap();
    }
    let merge = backsim()
        .args(["merge", "--quiet"])
        .arg(&shards)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let message = refused(&merge);
    assert!(
        message.contains("the scenario file of this report is not known"),
        "{message}"
    );
}
