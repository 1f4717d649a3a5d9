//! Helpers shared by the integration tests.

use backsim::scenario::Scenario;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The crate root (where `scenarios/` lives).
pub fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The reference scenario, whose keys keep their names, units and meanings
/// (see the comment at its top).
pub const THUNDERING_HERD: &str = "scenarios/thundering-herd.toml";

/// Every shipped scenario file, `scenarios/*.toml` and
/// `scenarios/classics/*.toml`, sorted, found at run time so that new
/// scenarios are covered without touching the tests.
pub fn scenario_files() -> Vec<PathBuf> {
    let dir = crate_dir().join("scenarios");
    let mut files: Vec<PathBuf> = [dir.clone(), dir.join("classics")]
        .iter()
        .flat_map(|d| {
            std::fs::read_dir(d).unwrap_or_else(|e| panic!("cannot read {}: {e}", d.display()))
        })
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no scenarios/*.toml found in {}",
        dir.display()
    );
    files
}

/// Loads a scenario file, panicking with the full error message.
pub fn load(path: &Path) -> Scenario {
    backsim::scenario::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Writes `files` (name, text) into a new temporary folder.
pub fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        std::fs::write(tmp.path().join(name), text).expect("write");
    }
    tmp
}

/// Parses scenario text, panicking with the full error message.
pub fn parse(text: &str, name: &str) -> Scenario {
    backsim::scenario::parse(text, &format!("{name}.toml"), name)
        .unwrap_or_else(|e| panic!("inline scenario {name} does not parse:\n{e}"))
}

/// The problems of an inline scenario (as `bad.toml`) that must not parse.
pub fn parse_err(src: &str) -> String {
    match backsim::scenario::parse(src, "bad.toml", "bad") {
        Ok(_) => panic!("parsed:\n{src}"),
        Err(e) => e.to_string(),
    }
}

/// Output bytes as text (invalid UTF-8 replaced).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The `backsim` binary, run from the crate root.
pub fn backsim() -> assert_cmd::Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("backsim");
    // A price table of the environment running the tests is not theirs.
    cmd.current_dir(crate_dir()).env_remove("BACKSIM_PRICES");
    cmd
}

/// The `backsim` binary, run from the crate root under an address-space
/// limit of `mib` MiB (`ulimit -v`): a regression that makes it allocate
/// without end then fails the test with an allocation error instead of
/// taking the memory of the machine the tests run on.
pub fn backsim_capped(mib: u64) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new("sh");
    cmd.current_dir(crate_dir())
        .env_remove("BACKSIM_PRICES")
        .arg("-c")
        .arg(format!("ulimit -v {} && exec \"$0\" \"$@\"", mib * 1024))
        .arg(assert_cmd::cargo::cargo_bin!("backsim"));
    cmd
}

/// Runs the thundering-herd scenario quietly into `out`; its report folder.
pub fn herd_report(out: &Path) -> PathBuf {
    backsim()
        .args(["run", THUNDERING_HERD, "--quiet", "--out"])
        .arg(out)
        .assert()
        .success();
    out.join("thundering-herd")
}

/// A parsed CSV file: header and rows of text cells.
#[derive(Debug)]
pub struct Csv {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Csv {
    pub fn read(path: &Path) -> Csv {
        let mut r = csv::Reader::from_path(path)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
        let header = r
            .headers()
            .expect("CSV header")
            .iter()
            .map(str::to_string)
            .collect();
        let rows = r
            .records()
            .map(|rec| {
                rec.expect("CSV record")
                    .iter()
                    .map(str::to_string)
                    .collect()
            })
            .collect();
        Csv { header, rows }
    }

    /// Index of a column, by name.
    pub fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.header))
    }

    /// Rows whose `column` equals `value`.
    pub fn rows_where(&self, column: &str, value: &str) -> Vec<&Vec<String>> {
        let c = self.col(column);
        self.rows.iter().filter(|r| r[c] == value).collect()
    }

    /// The single row whose `column` equals `value`.
    pub fn row_where(&self, column: &str, value: &str) -> &Vec<String> {
        let rows = self.rows_where(column, value);
        assert_eq!(rows.len(), 1, "expected one row with {column} = {value}");
        rows[0]
    }

    /// A cell of `row` by column name.
    pub fn cell<'a>(&self, row: &'a [String], column: &str) -> &'a str {
        &row[self.col(column)]
    }

    /// A cell of `row` by column name, as a number; an empty cell (not
    /// applicable) is NaN.
    pub fn num_or_nan(&self, row: &[String], column: &str) -> f64 {
        if self.cell(row, column).is_empty() {
            f64::NAN
        } else {
            self.num(row, column)
        }
    }

    /// A cell of `row` by column name, as a number.
    pub fn num(&self, row: &[String], column: &str) -> f64 {
        let text = self.cell(row, column);
        text.parse()
            .unwrap_or_else(|e| panic!("{column} = {text:?} is not a number: {e}"))
    }
}

/// Every file under `dir`, by path relative to `dir`, with its bytes.
pub fn dir_files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("readable folder") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("under root").to_path_buf();
                out.insert(rel, std::fs::read(&path).expect("readable file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The files of a report folder but `report.toml`, its record of what
/// wrote it (which names the command and the scenario file's path): what
/// two ways of making one report must agree on byte for byte.
pub fn report_files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = dir_files(dir);
    files.remove(Path::new("report.toml"));
    files
}

/// Asserts two report trees are identical, file by file and byte by byte.
pub fn assert_same_tree(a: &Path, b: &Path) {
    let (fa, fb) = (dir_files(a), dir_files(b));
    assert!(!fa.is_empty(), "{} is empty", a.display());
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        fb.keys().collect::<Vec<_>>(),
        "different file sets in {} and {}",
        a.display(),
        b.display()
    );
    for (name, bytes) in &fa {
        assert!(
            bytes == &fb[name],
            "{} differs between {} and {}",
            name.display(),
            a.display(),
            b.display()
        );
    }
}

/// A scenario where randomness reaches everything: Poisson arrivals,
/// log-normal token sizes and service times, |Normal| network hops, 10%
/// server errors, both buckets with whole-second Retry-After, a server near
/// saturation and a 1 s client timeout that fires (service times above 1 s
/// have probability P(Z > ln(2.5)/0.7) ≈ 10%, before any queueing), and four
/// jittered strategies, one honouring Retry-After, one with a deadline.
pub const JITTERY: &str = r#"
name = "jittery"
description = "randomness everywhere"
seed = 42
replications = 3
horizon = "2m"

[workload]
kind = "poisson"
clients = 500
rate_per_s = 150.0
duration = "60s"

[workload.tokens]
input = { dist = "lognormal", median = 800, sigma = 0.6 }
output = { dist = "lognormal", median = 300, sigma = 0.8 }
max_tokens = 1024

[limiter]
requests_per_minute = 6000
request_burst = 50
tokens_per_minute = 12000000
token_burst = 100000
retry_after = "seconds"

[network]
one_way = { dist = "normal_abs", mean = "10ms", sd = "2ms" }

[server]
concurrency = 64
latency = { dist = "lognormal", median = "400ms", sigma = 0.7 }
error_rate = 0.1

[client]
timeout = "1s"

[pricing]
model = "gpt-4.1"

[[strategy]]
name = "full-jitter"
backoff = { kind = "full_jitter", base = "100ms", cap = "10s" }
max_attempts = 6

[[strategy]]
name = "decorrelated"
backoff = { kind = "decorrelated_jitter", base = "100ms", cap = "10s" }
max_attempts = 6

[[strategy]]
name = "equal-jitter-retry-after"
backoff = { kind = "equal_jitter", base = "200ms", cap = "5s" }
max_attempts = 6
honor_retry_after = true
max_retry_after = "5s"

[[strategy]]
name = "proportional-deadline"
backoff = { kind = "proportional_jitter", base = "250ms", cap = "8s", jitter = 0.2 }
max_attempts = 10
deadline = "20s"
"#;

/// A closed loop cut off by the horizon mid-flight, with an outage, a
/// bounded server queue, exact Retry-After honoured, retries limited to
/// 429s for one strategy and a request deadline for another: requests end
/// in every state and attempts in every outcome, some still open.
pub const CLOSED_OUTAGE: &str = r#"
name = "closed-outage"
seed = 3
replications = 2
horizon = "45s"

[workload]
kind = "closed"
clients = 200
requests_per_client = 50
think_time = { dist = "exponential", mean = "200ms" }
spread = "2s"

[limiter]
requests_per_minute = 3000
request_burst = 20
retry_after = "exact"

[network]
one_way = { dist = "uniform", min = "1ms", max = "20ms" }

[server]
concurrency = 8
queue_limit = 16
latency = { dist = "exponential", mean = "100ms" }
error_rate = 0.05
outages = [{ start = "10s", duration = "5s" }]

[client]
timeout = "500ms"

[[strategy]]
name = "exponential-retry-after"
backoff = { kind = "exponential", base = "50ms", cap = "2s" }
max_attempts = 8
honor_retry_after = true

[[strategy]]
name = "only-429"
backoff = { kind = "constant", base = "100ms" }
max_attempts = 4
retry_on = ["429"]

[[strategy]]
name = "v2-deadline"
backoff = { kind = "decorrelated_jitter_v2", base = "100ms", cap = "5s" }
max_attempts = 10
deadline = "3s"
"#;

/// True when the pinned outputs under `tests/` (golden reports, error
/// snapshots) are to be rewritten rather than checked:
/// `BACKSIM_BLESS=1 cargo test`, for a change that means to change them.
pub fn blessing() -> bool {
    std::env::var_os("BACKSIM_BLESS").is_some()
}

/// Writes `toml` to `dir/<name>.toml`, runs `backsim run` on it with
/// `--out dir` and `args`, checks that it succeeded and returns its
/// output; the report is `dir/<scenario name>/`.
pub fn run_toml(dir: &Path, name: &str, toml: &str, args: &[&str]) -> std::process::Output {
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(&file, toml).expect("write the scenario");
    let out = backsim()
        .arg("run")
        .arg(&file)
        .args(args)
        .arg("--out")
        .arg(dir)
        .output()
        .expect("backsim runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    out
}
