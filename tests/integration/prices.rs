//! Price tables: `--prices FILE` and `BACKSIM_PRICES` stand in for the
//! built-in table (flag first, then the variable); what `backsim list`
//! says is in force; a malformed table is exit 2 at its file, line and
//! key; the resolved scenario says which table priced it, and reads the
//! same without it.

use crate::common::{backsim, text};
use std::path::Path;

/// One model, "acme-large", at $3 per million input tokens and $12 per
/// million output tokens.
const ACME: &str = "checked = \"2026-12-01\"\n[[price]]\nmodel = \"acme-large\"\n\
                    input_per_mtok = 3.0\noutput_per_mtok = 12.0\nsource = \"negotiated\"\n";

/// One client sends one request of 1,000 input and 500 output tokens to
/// an unlimited, error-free server: it succeeds at the first attempt and
/// is billed 1000 × $3/M + 500 × $12/M = $0.003 + $0.006 = $0.009.
const ONE_REQUEST: &str = "name = \"cost\"\nhorizon = \"10m\"\nreplications = 1\n\
                           [workload]\nkind = \"burst\"\nclients = 1\n\
                           [workload.tokens]\ninput = 1000\noutput = 500\n\
                           [pricing]\nmodel = \"acme-large\"\n\
                           [[strategy]]\nname = \"a\"\nbackoff = { kind = \"none\" }\n";

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

/// The `billed_usd` cell of the report's models.csv.
fn billed_usd(report: &Path) -> String {
    let csv = std::fs::read_to_string(report.join("models.csv")).expect("models.csv");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let row: Vec<&str> = lines.next().expect("a row").split(',').collect();
    let at = header
        .iter()
        .position(|c| *c == "billed_usd")
        .expect("billed_usd");
    row[at].to_string()
}

#[test]
fn a_price_file_prices_the_models_it_names() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let prices = write(tmp.path(), "acme.toml", ACME);
    let scenario = write(tmp.path(), "cost.toml", ONE_REQUEST);
    // Without the table the model is unknown.
    let out = backsim().args(["check", &scenario]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("pricing.model: unknown value \"acme-large\""));
    let reports = tmp.path().join("flag");
    let out = backsim()
        .args(["run", &scenario, "--quiet", "--prices", &prices, "--out"])
        .arg(&reports)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(billed_usd(&reports.join("cost")), "0.009");
    // The resolved scenario says which table named the prices, and holds
    // them: it reads the same without the table.
    let resolved = reports.join("cost/scenario.toml");
    let written = std::fs::read_to_string(&resolved).expect("scenario.toml");
    assert!(
        written.contains(&format!(
            "\n# Model prices from the table {prices}, checked 2026-12-01.\n"
        )),
        "{written}"
    );
    assert!(
        written.contains("model = \"acme-large\"\ninput_per_mtok = 3.0\noutput_per_mtok = 12.0\n")
    );
    let out = backsim()
        .args(["check"])
        .arg(&resolved)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn the_flag_comes_before_the_variable_and_the_variable_before_the_built_in_table() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let acme = write(tmp.path(), "acme.toml", ACME);
    // The same model at $1 and $2 per million: 1000 × 1/M + 500 × 2/M = $0.002.
    let cheap = write(
        tmp.path(),
        "cheap.toml",
        &ACME
            .replace("3.0", "1.0")
            .replace("12.0", "2.0")
            .replace("2026-12-01", "2026-12-02"),
    );
    let scenario = write(tmp.path(), "cost.toml", ONE_REQUEST);
    let run = |env: Option<&str>, flag: Option<&str>, out: &str| {
        let mut cmd = backsim();
        if let Some(e) = env {
            cmd.env("BACKSIM_PRICES", e);
        }
        cmd.args(["run", &scenario, "--quiet", "--out"])
            .arg(tmp.path().join(out));
        if let Some(f) = flag {
            cmd.args(["--prices", f]);
        }
        let out = cmd.output().expect("runs");
        assert!(out.status.success(), "{}", text(&out.stderr));
    };
    run(Some(&acme), None, "env");
    assert_eq!(billed_usd(&tmp.path().join("env/cost")), "0.009");
    run(Some(&acme), Some(&cheap), "both");
    assert_eq!(billed_usd(&tmp.path().join("both/cost")), "0.002");
    // An empty variable is no table: the built-in one does not list acme.
    let out = backsim()
        .env("BACKSIM_PRICES", "")
        .args(["check", &scenario])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn list_shows_the_table_in_force_and_its_date() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let acme = write(tmp.path(), "acme.toml", ACME);
    let listed = |env: Option<&str>, flag: Option<&str>| {
        let mut cmd = backsim();
        if let Some(e) = env {
            cmd.env("BACKSIM_PRICES", e);
        }
        cmd.arg("list");
        if let Some(f) = flag {
            cmd.args(["--prices", f]);
        }
        let out = cmd.output().expect("runs");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let at = stdout.find("\nModel prices").expect("the prices");
        let end = stdout[at + 1..]
            .find("\n\n")
            .expect("the end of the prices")
            + at
            + 1;
        stdout[at + 1..end].to_string()
    };
    let built_in = listed(None, None);
    assert!(
        built_in.starts_with(&format!(
            "Model prices ([pricing] model; USD per million tokens; the built-in table, checked {}):\n",
            backsim::pricing::PRICES_CHECKED
        )),
        "{built_in}"
    );
    assert_eq!(
        built_in.lines().count(),
        1 + backsim::pricing::MODEL_PRICES.len()
    );
    let want = format!(
        "Model prices ([pricing] model; USD per million tokens; the table {acme}, checked 2026-12-01):\n  acme-large  input   3.00  output  12.00  negotiated"
    );
    assert_eq!(listed(None, Some(&acme)), want);
    assert_eq!(listed(Some(&acme), None), want);
    // The shipped copy of the built-in table lists the same prices.
    let shipped = listed(None, Some("scenarios/prices/built-in.toml"));
    assert_eq!(
        shipped.lines().skip(1).collect::<Vec<_>>(),
        built_in.lines().skip(1).collect::<Vec<_>>()
    );
}

#[test]
fn a_malformed_price_table_is_exit_2_at_its_file_line_and_key() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let bad = write(
        tmp.path(),
        "bad.toml",
        "checked = \"2026-12-01\"\n[[price]]\nmodel = \"acme\"\ninput_per_mtok = -3\noutput_per_mtok = 1\n",
    );
    let out = backsim()
        .args(["list", "--prices", &bad])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "error: {bad}:4:18: price[0].input_per_mtok: must be a finite number of USD per million tokens, at least 0, not -3\n"
        )),
        "{stderr}"
    );
    // Named by the variable, a missing file says so.
    let missing = tmp.path().join("none.toml").display().to_string();
    let out = backsim()
        .env("BACKSIM_PRICES", &missing)
        .arg("list")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(&format!("error: cannot read the price table {missing}: "))
            && stderr.trim_end().ends_with("(named by BACKSIM_PRICES)"),
        "{stderr}"
    );
}
