//! Ctrl-C (docs/interface.md: exit codes): a run stopped by SIGINT exits
//! with 130 soon after, leaves the report that was already in its folder
//! exactly as it was, and leaves no temporary file.

use crate::common::{THUNDERING_HERD, backsim, crate_dir};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// Every file of a report folder, by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("report folder")
        .map(|e| {
            let p = e.expect("entry").path();
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("read"))
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn ctrl_c_exits_130_and_leaves_the_earlier_report_as_it_was() {
    let tmp = tempfile::tempdir().expect("temp dir");
    // The herd at a million clients, 50 replications: minutes of work,
    // so the signal always comes while it runs.
    let text = std::fs::read_to_string(crate_dir().join(THUNDERING_HERD)).expect("scenario");
    let big = text
        .replace("clients = 1000 ", "clients = 1000000 ")
        .replace("replications = 10 ", "replications = 50 ");
    assert_ne!(big, text, "the scenario names its clients and replications");
    let file = tmp.path().join("herd.toml");
    std::fs::write(&file, big).expect("write scenario");
    let out = tmp.path().join("out");
    // An earlier report of the same scenario (one replication, quick).
    backsim()
        .arg("run")
        .arg(&file)
        .args(["--replications", "1", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success();
    let report = out.join("thundering-herd");
    let before = files(&report);
    assert!(before.contains_key("summary.csv") && before.contains_key("index.html"));

    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("backsim"))
        .arg("run")
        .arg(&file)
        .args(["--quiet", "--out"])
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("backsim starts");
    std::thread::sleep(Duration::from_millis(1500));
    let sent = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let output = child.wait_with_output().expect("backsim ends");
    let stopped_after = sent.elapsed();
    assert_eq!(output.status.code(), Some(130), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("interrupted"), "{stderr}");
    // Soon: within one run's 65,536 events, not at the end of the work
    // (generous, for a slow machine: a whole run takes about 2 s).
    assert!(stopped_after < Duration::from_secs(30), "{stopped_after:?}");
    assert_eq!(files(&report), before, "the earlier report changed");
    let entries: Vec<_> = std::fs::read_dir(&out)
        .expect("out")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(
        entries,
        ["thundering-herd"],
        "something else was left in the output folder"
    );
}

/// Sends `signals` Ctrl-C, 5 ms apart, once the report has begun to be
/// written; asserts that backsim finishes that report whole, leaves no
/// temporary file, and then stops with 130.
#[cfg(unix)]
fn ctrl_c_while_writing(signals: usize) {
    let tmp = tempfile::tempdir().expect("temp dir");
    // 50,000 clients, 10 replications, with `requests.csv`: a report of
    // about 90 MB, whose writing takes a few hundred milliseconds.
    let text = std::fs::read_to_string(crate_dir().join(THUNDERING_HERD)).expect("scenario");
    let big = text.replace("clients = 1000 ", "clients = 50000 ");
    assert_ne!(big, text, "the scenario names its clients");
    let file = tmp.path().join("herd.toml");
    std::fs::write(&file, big).expect("write scenario");
    let out = tmp.path().join("out");
    let report = out.join("thundering-herd");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("backsim"))
        .arg("run")
        .arg(&file)
        .args(["--quiet", "--no-charts", "--requests", "--out"])
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("backsim starts");
    // Waits for the first temporary file: the report is being written.
    let temporary = |dir: &Path| {
        std::fs::read_dir(dir).is_ok_and(|entries| {
            entries.into_iter().any(|e| {
                e.expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .contains(".tmp-")
            })
        })
    };
    let started = Instant::now();
    while !temporary(&report) {
        assert!(
            child.try_wait().expect("wait").is_none(),
            "backsim ended before writing"
        );
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "no write began"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    for _ in 0..signals {
        let kill = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(kill.success());
        std::thread::sleep(Duration::from_millis(5));
    }
    let output = child.wait_with_output().expect("backsim ends");
    assert_eq!(output.status.code(), Some(130), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "interrupted: stopped once the report being written was complete; nothing after it was run or written\n"
    );
    // The report whose writing had begun is whole, with no temporary file.
    let written = files(&report);
    let names: Vec<&str> = written.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "attempts.csv",
            "models.csv",
            "report.toml",
            "requests.csv",
            "scenario.toml",
            "summary.csv",
            "timeseries.csv",
            "tts_cdf.csv"
        ]
    );
    // One row per request: 50,000 clients × 1 request × 10 replications ×
    // 2 strategies, and the header.
    let rows = written["requests.csv"]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    assert_eq!(rows, 1_000_001);
}

#[cfg(unix)]
#[test]
fn ctrl_c_while_writing_finishes_the_report_then_stops() {
    ctrl_c_while_writing(1);
}

#[cfg(unix)]
#[test]
fn a_second_ctrl_c_while_writing_finishes_the_report_first() {
    ctrl_c_while_writing(2);
}

/// Reading input is stopped by the first SIGTERM or Ctrl-C, with 130, like
/// a run: here `check` waits, as any reader does, for someone to write
/// into a FIFO named as the scenario file, and nobody does.
#[cfg(unix)]
#[test]
fn the_first_signal_stops_backsim_while_it_reads_its_input() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let fifo = tmp.path().join("never.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    for signal in ["-TERM", "-INT"] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("backsim"))
            .arg("check")
            .arg(&fifo)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("backsim starts");
        std::thread::sleep(Duration::from_millis(500));
        let kill = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(kill.success());
        let sent = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if sent.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                panic!("{signal}: backsim did not stop within 20 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let output = child.wait_with_output().expect("output");
        assert_eq!(status.code(), Some(130), "{signal}: {output:?}");
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            "interrupted: stopped before writing; reports already in place are unchanged\n"
        );
    }
}
