//! What lets reports be used from Python: the dtypes that
//! `examples/load_report.py` gives the CSV columns hold for every shipped
//! scenario's `summary.csv` and for a real `requests.csv`, and the wheel's
//! `pyproject.toml` ships this crate's binary. (Loading with pandas and
//! polars themselves, and building and installing the wheel, are checked
//! by `validation/wheel/run.sh`, outside `cargo test`.)

use crate::common::{Csv, backsim, crate_dir};
use backsim::report::run::csv::SUMMARY_COLUMNS;
use backsim::report::run::export::requests::REQUESTS_COLUMNS;
use std::collections::BTreeSet;

/// The quoted names of the one-line Python literal `NAME = {…}` or
/// `NAME = […]` in examples/load_report.py.
fn loader_names(name: &str) -> BTreeSet<String> {
    let path = crate_dir().join("examples/load_report.py");
    let src = std::fs::read_to_string(&path).expect("examples/load_report.py");
    let line = src
        .lines()
        .find(|l| l.starts_with(&format!("{name} = ")))
        .unwrap_or_else(|| panic!("no `{name} = …` line in {}", path.display()));
    let names: BTreeSet<String> = line
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    assert!(!names.is_empty(), "{name} names no column: {line}");
    names
}

fn is_number(cell: &str) -> bool {
    cell.parse::<f64>().is_ok_and(f64::is_finite)
}

/// Checks the rows of a `summary.csv` against the loader's dtypes: whole
/// numbers in its whole columns, numbers or empty cells in every column but
/// its text columns; adds to `text_seen` each text column that holds
/// something other than a number.
fn check_summary(
    path: &std::path::Path,
    text: &BTreeSet<String>,
    whole: &BTreeSet<String>,
    text_seen: &mut BTreeSet<String>,
) {
    let csv = Csv::read(path);
    assert!(!csv.rows.is_empty(), "{}: no rows", path.display());
    for row in &csv.rows {
        for (column, cell) in csv.header.iter().zip(row) {
            let at = || format!("{}: {column} = {cell:?}", path.display());
            if text.contains(column) {
                if !is_number(cell) && !cell.is_empty() {
                    text_seen.insert(column.clone());
                }
            } else if whole.contains(column) {
                assert!(cell.parse::<u64>().is_ok(), "{} is not whole", at());
            } else {
                assert!(
                    cell.is_empty() || is_number(cell),
                    "{} is neither a number nor empty: name the column in \
                     SUMMARY_TEXT in examples/load_report.py and in \
                     docs/interface.md's dtypes",
                    at()
                );
            }
        }
    }
}

/// Every golden `summary.csv` (one run of each shipped scenario) holds to
/// the loader's dtypes, and its text columns are needed: each holds
/// something that is not a number in some file.
#[test]
fn summary_dtypes_of_the_loader_hold_for_every_shipped_scenario() {
    let text = loader_names("SUMMARY_TEXT");
    let whole = loader_names("SUMMARY_WHOLE");
    for c in text.iter().chain(&whole) {
        assert!(
            SUMMARY_COLUMNS.contains(&c.as_str()),
            "the loader names {c}, which summary.csv does not have"
        );
    }
    let mut files: Vec<_> = std::fs::read_dir(crate_dir().join("tests/golden"))
        .expect("tests/golden")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".summary.csv"))
        .collect();
    files.sort();
    assert!(files.len() >= 15, "only {} golden summaries", files.len());
    let mut text_seen = BTreeSet::new();
    for path in &files {
        check_summary(path, &text, &whole, &mut text_seen);
    }
    assert_eq!(
        text_seen, text,
        "text columns of the loader that hold only numbers in every golden file"
    );
}

/// A sweep's `summary.csv` holds to them too, its swept key (the column
/// between `strategy` and `replications`) a number.
#[test]
fn summary_dtypes_of_the_loader_hold_for_a_sweep() {
    let (text, whole) = (loader_names("SUMMARY_TEXT"), loader_names("SUMMARY_WHOLE"));
    let dir = tempfile::tempdir().expect("temp dir");
    backsim()
        .args([
            "sweep",
            "scenarios/llm-client-sweep.toml",
            "--quiet",
            "--no-charts",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let path = dir.path().join("llm-client-sweep/summary.csv");
    let csv = Csv::read(&path);
    assert_eq!(csv.col("workload.clients"), csv.col("strategy") + 1);
    assert_eq!(csv.col("replications"), csv.col("strategy") + 2);
    check_summary(&path, &text, &whole, &mut BTreeSet::new());
}

/// A `requests.csv` with unfinished requests (llm-fallback: a Poisson
/// workload that some requests outlive) has whole numbers in every column
/// but the text, outcome and seconds ones; `end_s` and `duration_s` are
/// empty exactly for unfinished requests, `start_s` never.
#[test]
fn requests_dtypes_of_the_loader_hold_for_a_real_requests_csv() {
    let text = loader_names("REQUESTS_TEXT");
    let seconds = loader_names("REQUESTS_SECONDS");
    let outcomes = loader_names("OUTCOMES");
    let columns: BTreeSet<String> = REQUESTS_COLUMNS.iter().map(|c| c.to_string()).collect();
    for c in text.iter().chain(&seconds) {
        assert!(
            columns.contains(c),
            "the loader names {c}, which requests.csv does not have"
        );
    }
    assert_eq!(
        outcomes,
        ["gave_up", "succeeded", "unfinished"]
            .map(String::from)
            .into(),
        "outcomes of docs/interface.md"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    backsim()
        .args([
            "run",
            "scenarios/llm-fallback.toml",
            "--requests",
            "--quiet",
            "--no-charts",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let csv = Csv::read(&dir.path().join("llm-fallback/requests.csv"));
    let outcome = csv.col("outcome");
    let mut unfinished = 0;
    for row in &csv.rows {
        let open = row[outcome] == "unfinished";
        unfinished += usize::from(open);
        assert!(
            outcomes.contains(&row[outcome]),
            "outcome {:?}",
            row[outcome]
        );
        for (column, cell) in csv.header.iter().zip(row) {
            if text.contains(column) || column == "outcome" {
                continue;
            }
            if seconds.contains(column) {
                let may_be_empty = open && column != "start_s";
                assert!(
                    if may_be_empty {
                        cell.is_empty()
                    } else {
                        is_number(cell)
                    },
                    "{column} = {cell:?} of a request that is {}",
                    row[outcome]
                );
            } else {
                assert!(
                    cell.parse::<u64>().is_ok(),
                    "{column} = {cell:?} is not whole"
                );
            }
        }
    }
    assert!(
        unfinished > 0,
        "no unfinished request: the empty cells went untested"
    );
}

/// The wheel carries this crate's binary, named and versioned as in
/// Cargo.toml: maturin's `bin` bindings, the package's name, and a version
/// maturin takes from Cargo.toml.
#[test]
fn pyproject_builds_a_wheel_of_the_backsim_binary() {
    let text = std::fs::read_to_string(crate_dir().join("pyproject.toml")).expect("pyproject.toml");
    let doc: toml::Table = toml::from_str(&text).expect("pyproject.toml parses");
    let get = |path: &[&str]| -> &toml::Value {
        let mut v = doc.get(path[0]).unwrap_or_else(|| panic!("no {}", path[0]));
        for key in &path[1..] {
            v = v
                .get(key)
                .unwrap_or_else(|| panic!("no {}", path.join(".")));
        }
        v
    };
    assert_eq!(
        get(&["build-system", "build-backend"]).as_str(),
        Some("maturin")
    );
    assert_eq!(get(&["tool", "maturin", "bindings"]).as_str(), Some("bin"));
    assert_eq!(
        get(&["project", "name"]).as_str(),
        Some(env!("CARGO_PKG_NAME"))
    );
    assert!(
        get(&["project", "dynamic"])
            .as_array()
            .expect("dynamic is a list")
            .iter()
            .any(|v| v.as_str() == Some("version")),
        "the wheel's version must come from Cargo.toml"
    );
}

/// validation/slurm/run.sh submits the job script under the README's
/// **Slurm job array** heading word for word: it must be there, with its
/// array and its shard argument.
#[test]
fn readme_slurm_recipe_is_where_the_slurm_check_reads_it() {
    let readme = std::fs::read_to_string(crate_dir().join("README.md")).expect("README.md");
    let after = readme
        .split_once("\n**Slurm job array**")
        .expect("a line starting **Slurm job array** in README.md")
        .1;
    let script = after
        .split_once("\n```bash\n")
        .expect("a ```bash block after it")
        .1
        .split_once("\n```\n")
        .expect("the block closes")
        .0;
    assert!(
        script.lines().any(|l| l.starts_with("#SBATCH --array=")),
        "{script}"
    );
    assert!(
        script.contains(r#"--shard "${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}""#),
        "{script}"
    );
}
