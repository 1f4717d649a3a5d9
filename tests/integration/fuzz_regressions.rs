//! The fuzz targets' checks (`backsim::fuzzing`, the very functions the
//! targets in `fuzz/` call) on every input a fuzzer ever failed on
//! (`fuzz/regressions/`), the shipped scenarios and traces and the
//! malformed corpus, so that their properties are held in every
//! `cargo test` and not only when someone fuzzes.

use crate::common::crate_dir;
use std::path::{Path, PathBuf};

/// Files under `dir` (relative to the crate), in its subfolders too when
/// `deep`, whose names end in `.ext` (any name when `ext` is empty), sorted.
fn files(dir: &str, deep: bool, ext: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, deep: bool, ext: &str, out: &mut Vec<PathBuf>) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                if deep {
                    walk(&path, deep, ext, out);
                }
            } else if ext.is_empty() || path.extension().is_some_and(|e| e == ext) {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&crate_dir().join(dir), deep, ext, &mut out);
    out.sort();
    out
}

/// Runs `check` on every file, and fails naming each file it panicked on
/// (the panic messages say why) rather than stopping at the first.
fn check_all(files: &[PathBuf], check: fn(&[u8])) {
    let failed: Vec<String> = files
        .iter()
        .filter(|f| {
            let data = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            std::panic::catch_unwind(|| check(&data)).is_err()
        })
        .map(|f| {
            f.strip_prefix(crate_dir())
                .unwrap_or(f)
                .display()
                .to_string()
        })
        .collect();
    assert!(
        failed.is_empty(),
        "the check fails on:\n{}",
        failed.join("\n")
    );
}

#[test]
fn scenario_regressions_shipped_and_malformed_scenarios_pass_the_scenario_check() {
    let regressions = files("fuzz/regressions/scenario", false, "");
    let shipped = files("scenarios", true, "toml");
    let malformed = files("tests/malformed", false, "toml");
    // Nine seeds, and at least the shipped scenarios and malformed corpus
    // the README and tests/integration/malformed.rs count.
    assert!(regressions.len() >= 9, "{} regressions", regressions.len());
    assert!(shipped.len() >= 10, "{} shipped scenarios", shipped.len());
    assert!(
        malformed.len() >= 40,
        "{} malformed scenarios",
        malformed.len()
    );
    for set in [regressions, shipped, malformed] {
        check_all(&set, backsim::fuzzing::check_scenario);
    }
}

#[test]
fn trace_regressions_shipped_and_malformed_traces_pass_the_trace_check() {
    let regressions = files("fuzz/regressions/trace", false, "");
    let shipped = files("scenarios/traces", false, "csv");
    let malformed = files("tests/malformed/traces", false, "csv");
    // The input the trace fuzzer failed on: a header with no line break,
    // once refused at line 2 of a one-line file.
    let found = crate_dir().join("fuzz/regressions/trace/header-without-line-break.csv");
    assert!(regressions.contains(&found), "{}", found.display());
    assert_eq!(
        std::fs::read(&found).expect("read"),
        b"t_s,input_tokens,output_tokens"
    );
    assert!(regressions.len() >= 20, "{} regressions", regressions.len());
    assert!(!shipped.is_empty(), "no scenarios/traces/*.csv");
    assert!(malformed.len() >= 8, "{} malformed traces", malformed.len());
    for set in [regressions, shipped, malformed] {
        check_all(&set, backsim::fuzzing::check_trace);
    }
}
