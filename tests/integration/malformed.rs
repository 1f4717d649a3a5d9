//! The corpus of malformed scenarios in `tests/malformed/`: each file is
//! wrong in one way (or, for `several-problems.toml`, several), says how in
//! its first line, and must make `backsim run` exit 2 with exactly the
//! message in its `.stderr` snapshot beside it (file, line, column, key,
//! value and what would be accepted), print nothing on stdout and write
//! nothing. `BACKSIM_BLESS=1 cargo test malformed` rewrites the snapshots
//! after a deliberate change of wording. backsim runs under a 2 GiB
//! address-space limit: some of these files once made it allocate without
//! end.

use crate::common::{backsim_capped, blessing, crate_dir};
use std::path::PathBuf;

fn corpus() -> Vec<PathBuf> {
    let dir = crate_dir().join("tests/malformed");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/malformed")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_corpus_has_at_least_forty_files_each_saying_what_is_wrong() {
    let files = corpus();
    assert!(files.len() >= 40, "{} files", files.len());
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read");
        assert!(
            text.starts_with("# Malformed on purpose: "),
            "{}: say what is wrong in the first line",
            f.display()
        );
    }
}

#[test]
fn every_malformed_scenario_exits_2_with_its_message_and_writes_nothing() {
    let bless = blessing();
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("out");
    let mut wrong = Vec::new();
    for file in corpus() {
        let relative = file.strip_prefix(crate_dir()).expect("in the crate");
        let output = backsim_capped(2048)
            .arg("run")
            .arg(relative)
            .arg("--out")
            .arg(&out)
            .output()
            .expect("backsim runs");
        let name = relative.display();
        let stderr = String::from_utf8(output.stderr).expect("UTF-8 message");
        if output.status.code() != Some(2) {
            wrong.push(format!("{name}: exit {:?}, not 2", output.status.code()));
        }
        if !output.stdout.is_empty() {
            wrong.push(format!("{name}: printed on stdout"));
        }
        if out.exists() {
            wrong.push(format!("{name}: wrote {}", out.display()));
            std::fs::remove_dir_all(&out).expect("clean up");
        }
        if stderr.contains("panicked") || !stderr.starts_with(&format!("error: {name}:")) {
            wrong.push(format!(
                "{name}: message does not start with the file:\n{stderr}"
            ));
        }
        let snapshot = file.with_extension("stderr");
        if bless {
            std::fs::write(&snapshot, &stderr).expect("write snapshot");
        } else {
            match std::fs::read_to_string(&snapshot) {
                Ok(want) if want == stderr => {}
                Ok(want) => wrong.push(format!("{name}: message\n{stderr}\nsnapshot\n{want}")),
                Err(_) => wrong.push(format!("{name}: no snapshot {}", snapshot.display())),
            }
        }
        // `check` refuses the file the same way.
        let check = backsim_capped(2048)
            .arg("check")
            .arg(relative)
            .output()
            .expect("runs");
        if check.status.code() != Some(2) || String::from_utf8_lossy(&check.stderr) != stderr {
            wrong.push(format!("{name}: `check` does not refuse it the same way"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}
