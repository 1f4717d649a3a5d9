//! Golden outputs: what every shipped scenario's report says, pinned. Each
//! scenario's `summary.csv` is kept verbatim in `tests/golden/`, and its
//! `timeseries.csv` (and, where it is small, `requests.csv`) by digest in
//! `tests/golden/digests.txt`. They were written before the engine's
//! performance work (lanes, radix heap, compact slots), which had to leave
//! every output byte-identical; they guard every later change the same way.
//!
//! A change that is meant to change results regenerates them with
//! `BACKSIM_BLESS=1 cargo test golden`, and says why in its commit.

use crate::common::{backsim, blessing, crate_dir, load, scenario_files};
use std::collections::BTreeMap;
use std::path::Path;

/// `requests.csv` is pinned for the scenarios whose file is at most this
/// big (the largest shipped ones write hundreds of MB).
const REQUESTS_DIGEST_MAX_BYTES: u64 = 10 << 20;

/// FNV-1a, 64 bits: a digest anybody can recompute in a few lines.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[test]
fn fnv1a_matches_its_published_test_vectors() {
    // From the FNV reference (draft-eastlake-fnv): "" and "a".
    assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
}

fn golden_dir() -> std::path::PathBuf {
    crate_dir().join("tests/golden")
}

/// `scenario file -> digest` from `digests.txt`.
fn pinned_digests() -> BTreeMap<(String, String), String> {
    let text = std::fs::read_to_string(golden_dir().join("digests.txt")).expect("digests.txt");
    text.lines()
        .map(|line| {
            let f: Vec<&str> = line.split(' ').collect();
            assert_eq!(f.len(), 3, "digests.txt: {line:?}");
            ((f[0].to_string(), f[1].to_string()), f[2].to_string())
        })
        .collect()
}

fn run(file: &Path, out: &Path, requests: bool) {
    let output = backsim()
        .arg("run")
        .arg(file)
        .args(["--quiet", "--no-charts", "--out"])
        .arg(out)
        .args(requests.then_some("--requests"))
        .output()
        .expect("backsim runs");
    assert!(
        output.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn every_shipped_scenario_writes_its_golden_report() {
    let bless = blessing();
    let pinned = pinned_digests();
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut digests = Vec::new();
    let mut wrong = Vec::new();
    for file in scenario_files() {
        let name = load(&file).name;
        let requests = bless || pinned.contains_key(&(name.clone(), "requests.csv".into()));
        run(&file, tmp.path(), requests);
        let report = tmp.path().join(&name);
        let summary = std::fs::read(report.join("summary.csv")).expect("summary.csv");
        let golden = golden_dir().join(format!("{name}.summary.csv"));
        if bless {
            std::fs::write(&golden, &summary).expect("write golden summary");
        } else if std::fs::read(&golden).ok().as_ref() != Some(&summary) {
            wrong.push(format!(
                "{name}: summary.csv differs from {}",
                golden.display()
            ));
        }
        for csv in ["timeseries.csv", "requests.csv"] {
            let path = report.join(csv);
            let Ok(size) = std::fs::metadata(&path).map(|m| m.len()) else {
                continue; // requests.csv, not asked for
            };
            if csv == "requests.csv" && size > REQUESTS_DIGEST_MAX_BYTES {
                continue;
            }
            let digest = format!("{:016x}", fnv1a(&std::fs::read(&path).expect(csv)));
            match pinned.get(&(name.clone(), csv.to_string())) {
                _ if bless => {}
                Some(d) if *d == digest => {}
                Some(d) => wrong.push(format!("{name}: {csv} digest {digest}, pinned {d}")),
                None => wrong.push(format!("{name}: {csv} has no pinned digest")),
            }
            digests.push(format!("{name} {csv} {digest}"));
        }
        std::fs::remove_dir_all(&report).expect("clean up");
    }
    if bless {
        let text = digests.join("\n") + "\n";
        std::fs::write(golden_dir().join("digests.txt"), text).expect("write digests");
    }
    assert!(
        wrong.is_empty(),
        "outputs changed (if on purpose: BACKSIM_BLESS=1 cargo test golden):\n{}",
        wrong.join("\n")
    );
    // Nothing pinned is left unchecked (a scenario renamed or removed).
    assert_eq!(digests.len(), pinned.len(), "digests.txt lists other files");
}
