//! Terminal conventions of the command line: shell completions, manual
//! pages, `--color` and `NO_COLOR`, `--json` on every command that prints
//! results (each document with the fields docs/interface.md gives), and
//! `--format` for the printed summaries.

use crate::common::{THUNDERING_HERD, backsim, text};
use clap::CommandFactory;
use serde_json::Value;

/// Every subcommand's name, from the command line's own definition, so
/// that a new command is covered without touching these tests.
fn subcommands() -> Vec<String> {
    backsim::cli::Cli::command()
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect()
}

/// Runs backsim with `args`; its exit code, stdout and stderr.
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = backsim().args(args).output().expect("backsim runs");
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

/// Parses a JSON document printed on stdout.
fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

#[test]
fn completions_name_every_subcommand_in_every_shell() {
    let names = subcommands();
    assert!(names.len() >= 11, "{names:?}");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, script, err) = run(&["completions", shell]);
        assert_eq!(code, Some(0), "{shell}: {err}");
        for name in &names {
            assert!(script.contains(name.as_str()), "{shell}: no {name}");
        }
        // Global flags complete too, with their values.
        assert!(script.contains("color"), "{shell}");
        assert!(script.contains("markdown"), "{shell}");
    }
    let (code, _, err) = run(&["completions", "tcsh"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("possible values"), "{err}");
}

#[test]
fn man_prints_roff_and_writes_one_page_per_command() {
    let (code, page, err) = run(&["man"]);
    assert_eq!(code, Some(0), "{err}");
    // Past the two lines that define the quote string, roff's title
    // request opens the page.
    let first = page
        .lines()
        .find(|l| !l.starts_with(".ie ") && !l.starts_with(".el "))
        .expect("a line");
    assert!(first.starts_with(".TH backsim 1"), "{page}");
    assert!(page.contains(".SH NAME") && page.contains(".SH SYNOPSIS"));
    for name in subcommands().iter().filter(|n| *n != "help") {
        assert!(page.contains(&format!("backsim\\-{name}")), "{name}");
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("man1");
    let dir_arg = dir.to_str().expect("UTF-8 path");
    let (code, _, err) = run(&["man", "--out", dir_arg]);
    assert_eq!(code, Some(0), "{err}");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("the folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut want: Vec<String> = subcommands()
        .iter()
        .filter(|n| *n != "help")
        .map(|n| format!("backsim-{n}.1"))
        .chain(["backsim.1".to_string()])
        .collect();
    want.sort();
    assert_eq!(files, want);
    let run_page = std::fs::read_to_string(dir.join("backsim-run.1")).expect("read");
    assert!(run_page.contains(".TH backsim-run 1"), "{run_page}");
    assert!(run_page.contains("\\-\\-replications"), "{run_page}");
    assert_eq!(
        std::fs::read_to_string(dir.join("backsim.1")).expect("read"),
        page
    );
}

/// The message of a malformed scenario with `args` and `NO_COLOR` as
/// given (None: unset).
fn diagnostic(args: &[&str], no_color: Option<&str>) -> String {
    let mut cmd = backsim();
    cmd.args(["check", "tests/malformed/cap-below-base.toml"])
        .args(args);
    match no_color {
        Some(v) => cmd.env("NO_COLOR", v),
        None => cmd.env_remove("NO_COLOR"),
    };
    let out = cmd.output().expect("backsim runs");
    assert_eq!(out.status.code(), Some(2));
    text(&out.stderr)
}

/// `text` without its ANSI SGR sequences (`ESC [ ... m`).
fn without_colours(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('\u{1b}') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find('m').expect("an SGR sequence ends with m");
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn colour_is_asked_for_and_no_color_is_respected() {
    let plain = diagnostic(&["--color", "never"], None);
    assert!(!plain.contains('\u{1b}'), "{plain}");
    assert!(
        plain.starts_with(
            "error: tests/malformed/cap-below-base.toml:5:54: strategy[0].backoff.cap: must be at least base (2s), not 1s\n"
        ),
        "{plain}"
    );
    // Not a terminal: auto is plain, with or without NO_COLOR.
    assert_eq!(diagnostic(&[], None), plain);
    assert_eq!(diagnostic(&["--color", "auto"], Some("1")), plain);
    // always colours even into a pipe, and overrides NO_COLOR.
    let coloured = diagnostic(&["--color", "always"], None);
    assert!(coloured.contains("\u{1b}["), "{coloured}");
    assert_eq!(diagnostic(&["--color", "always"], Some("1")), coloured);
    // The same text under the colours.
    assert_eq!(without_colours(&coloured), plain);
    // never wins over nothing: an empty NO_COLOR does not turn colour on.
    assert_eq!(diagnostic(&["--color", "never"], Some("")), plain);
    // Other errors are coloured too, and the flag may come first.
    let (code, _, err) = run(&["--color", "always", "check", "no-such-file.toml"]);
    assert_eq!(code, Some(2));
    assert!(err.starts_with("\u{1b}["), "{err}");
    assert!(without_colours(&err).starts_with("error: "), "{err}");
    let (_, _, err) = run(&["--color", "sometimes", "list"]);
    assert!(
        err.contains("possible values: auto, always, never"),
        "{err}"
    );
}

#[test]
fn check_json_gives_each_problem_as_an_object() {
    let (code, stdout, stderr) = run(&[
        "check",
        "--json",
        THUNDERING_HERD,
        "tests/malformed/cap-below-base.toml",
        "tests/malformed/duration-no-unit.toml",
        "no-such-file.toml",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    // The messages still go to stderr.
    assert!(stderr.contains("cap-below-base.toml:5:54"), "{stderr}");
    let doc = json(&stdout);
    assert_eq!(doc["ok"], false);
    let files = doc["files"].as_array().expect("files");
    assert_eq!(files.len(), 4);
    assert_eq!(files[0]["file"], THUNDERING_HERD);
    assert_eq!(files[0]["ok"], true);
    assert_eq!(files[1]["ok"], false);
    let problems = doc["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 3, "{stdout}");
    let cap = &problems[0];
    assert_eq!(cap["file"], "tests/malformed/cap-below-base.toml");
    assert_eq!(
        (cap["line"].as_u64(), cap["column"].as_u64()),
        (Some(5), Some(54))
    );
    assert_eq!(cap["key"], "strategy[0].backoff.cap");
    assert_eq!(cap["message"], "must be at least base (2s), not 1s");
    assert_eq!(cap["help"], Value::Null);
    // The snapshot beside the file says: line 3, column 11, and what is
    // allowed after the "; ".
    let unit = &problems[1];
    assert_eq!(
        (unit["line"].as_u64(), unit["column"].as_u64()),
        (Some(3), Some(11))
    );
    assert_eq!(unit["key"], "horizon");
    assert_eq!(unit["message"], "\"10\" has no unit");
    assert!(
        unit["help"]
            .as_str()
            .is_some_and(|h| h.starts_with("expected a duration string such as \"250ms\"")),
        "{unit}"
    );
    // A file that cannot be read has no position.
    let missing = &problems[2];
    assert_eq!(missing["file"], "no-such-file.toml");
    assert_eq!(missing["line"], Value::Null);
    assert_eq!(missing["key"], Value::Null);
    assert!(
        missing["message"]
            .as_str()
            .is_some_and(|m| m.contains("no-such-file.toml"))
    );
    // All valid: ok, no problems, exit 0.
    let (code, stdout, _) = run(&["check", "--json", THUNDERING_HERD]);
    assert_eq!(code, Some(0));
    let doc = json(&stdout);
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["problems"].as_array().map(Vec::len), Some(0));
}

#[test]
fn list_json_holds_every_table_of_list() {
    let (code, stdout, err) = run(&["list", "--json"]);
    assert_eq!(code, Some(0), "{err}");
    let doc = json(&stdout);
    let len = |k: &str| doc[k].as_array().map_or(0, Vec::len);
    assert_eq!(
        len("backoff"),
        backsim::policy::backoff::BACKOFF_KINDS.len()
    );
    assert_eq!(len("guards"), backsim::policy::guard::list().len());
    assert_eq!(len("presets"), backsim::policy::preset::PRESETS.len());
    assert_eq!(len("templates"), backsim::templates::TEMPLATES.len());
    assert_eq!(doc["prices"]["checked"], backsim::pricing::PRICES_CHECKED);
    let models = doc["prices"]["models"].as_array().expect("models");
    assert_eq!(models.len(), backsim::pricing::MODEL_PRICES.len());
    let first = &backsim::pricing::MODEL_PRICES[0];
    assert_eq!(models[0]["model"], first.model);
    assert_eq!(
        models[0]["input_per_mtok"].as_f64(),
        Some(first.input_per_mtok)
    );
    assert_eq!(
        doc["backoff"][0]["name"],
        backsim::policy::backoff::BACKOFF_KINDS[0].0
    );
    assert_eq!(doc["templates"][0]["name"], "thundering-herd");
    assert_eq!(doc["templates"][0]["default"], true);
    assert_eq!(doc["templates"][1]["default"], false);
    for key in ["name", "library", "summary", "source", "notes"] {
        assert!(doc["presets"][0][key].is_string(), "{key}");
    }
}

/// A small sweep: 2 points × 2 strategies, 2 replications each.
const SMALL_SWEEP: &str = r#"
name = "small-sweep"
seed = 3
replications = 2
horizon = "1m"
[workload]
kind = "burst"
clients = 100
[limiter]
requests_per_minute = 600
request_burst = 10
[[strategy]]
name = "linear"
backoff = { kind = "linear", base = "1s" }
max_attempts = 3
[[strategy]]
name = "jitter"
backoff = { kind = "full_jitter", base = "1s", cap = "10s" }
max_attempts = 3
[sweep]
workload.clients = [50, 100]
"#;

#[test]
fn sweep_and_merge_json_give_every_row_with_its_metrics() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let file = tmp.path().join("small-sweep.toml");
    std::fs::write(&file, SMALL_SWEEP).expect("write");
    let out = tmp.path().join("out");
    let (code, stdout, err) = run(&[
        "sweep",
        file.to_str().expect("UTF-8"),
        "--json",
        "--no-charts",
        "--out",
        out.to_str().expect("UTF-8"),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err, "", "--json prints nothing on stderr");
    let doc = json(&stdout);
    assert_eq!(doc["scenario"], "small-sweep");
    assert_eq!(doc["points"], 2);
    assert_eq!(doc["keys"], serde_json::json!(["workload.clients"]));
    assert_eq!(doc["strategies"], serde_json::json!(["linear", "jitter"]));
    let rows = doc["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["point"], 0);
    assert_eq!(rows[0]["values"]["workload.clients"], 50);
    assert_eq!(rows[3]["values"]["workload.clients"], 100);
    assert_eq!(rows[1]["strategy"], "jitter");
    assert_eq!(rows[0]["replications"], 2);
    // The numbers are sweep.csv's, digit for digit.
    let csv = std::fs::read_to_string(out.join("small-sweep/sweep.csv")).expect("sweep.csv");
    let linear_success = csv
        .lines()
        .find(|l| l.starts_with("small-sweep,linear,50,") && l.contains(",success_rate,"))
        .expect("a success_rate row");
    let cells: Vec<&str> = linear_success.split(',').collect();
    let value: f64 = cells[cells.len() - 3].parse().expect("value");
    assert_eq!(rows[0]["success_rate"]["value"].as_f64(), Some(value));
    for metric in [
        "success_rate",
        "goodput_per_s",
        "tts_p99_s",
        "attempts_per_request",
        "wasted_usd",
    ] {
        for bound in ["value", "ci95_low", "ci95_high"] {
            assert!(
                rows[0][metric][bound].is_number() || rows[0][metric][bound].is_null(),
                "{metric}.{bound}"
            );
        }
    }
    assert!(rows[0]["binding_limit"].is_string() || rows[0]["binding_limit"].is_null());
    assert!(doc["findings"].is_array());
    // Shards merged print the same rows.
    for k in ["1/2", "2/2"] {
        let (code, _, err) = run(&[
            "sweep",
            file.to_str().expect("UTF-8"),
            "--shard",
            k,
            "--quiet",
            "--out",
            tmp.path().join("shards").to_str().expect("UTF-8"),
        ]);
        assert_eq!(code, Some(0), "{err}");
    }
    let (code, merged, err) = run(&[
        "merge",
        tmp.path().join("shards").to_str().expect("UTF-8"),
        "--json",
        "--no-charts",
        "--out",
        tmp.path().join("merged").to_str().expect("UTF-8"),
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(json(&merged)["rows"], doc["rows"]);
}

/// The cells of a printed table's header line, split at runs of two or
/// more spaces.
fn table_header(table: &str) -> Vec<String> {
    // The header is the line above the rule of dashes.
    let lines: Vec<&str> = table.lines().collect();
    let rule = lines
        .iter()
        .position(|l| !l.is_empty() && l.chars().all(|c| c == '-' || c == ' '))
        .expect("a rule under the header");
    lines[rule - 1]
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn run_formats_give_the_tables_columns() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().to_str().expect("UTF-8");
    let summary = |format: &str| {
        let (code, stdout, err) = run(&[
            "run",
            THUNDERING_HERD,
            "--replications",
            "2",
            "--no-charts",
            "--out",
            out,
            "--format",
            format,
        ]);
        assert_eq!(code, Some(0), "{err}");
        stdout
    };
    let table = summary("table");
    let header = table_header(&table);
    assert_eq!(header[0], "strategy");
    let markdown = summary("markdown");
    let md_lines: Vec<&str> = markdown.lines().filter(|l| l.starts_with('|')).collect();
    // Header, alignment row, one row per strategy (2 in the scenario).
    assert_eq!(md_lines.len(), 2 + 2, "{markdown}");
    let md_header: Vec<String> = md_lines[0]
        .trim_matches('|')
        .split(" | ")
        .map(|c| c.trim().to_string())
        .collect();
    assert_eq!(md_header, header);
    let align: Vec<&str> = md_lines[1]
        .trim_matches('|')
        .split('|')
        .map(str::trim)
        .collect();
    assert_eq!(align[0], "---");
    assert!(align[1..].iter().all(|a| *a == "---:"), "{align:?}");
    assert!(md_lines[2].starts_with("| linear | "), "{markdown}");
    let csv = summary("csv");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let csv_header: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(csv_header, header);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[1][0], "exponential-full-jitter");
    // The CSV cells are the table's.
    let table_row = table
        .lines()
        .find(|l| l.starts_with("exponential-full-jitter "))
        .expect("the row");
    for cell in rows[1].iter() {
        assert!(table_row.contains(cell), "{cell} not in {table_row}");
    }
}

#[test]
fn json_is_never_what_clap_tells_to_pass_as_a_value() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let target = tmp.path().join("x.toml");
    let target = target.to_str().expect("UTF-8");
    for args in [
        vec!["new", "--json", target],
        vec!["plot", "--json", "reports/x"],
        vec!["completions", "bash", "--json"],
        vec!["man", "--json"],
    ] {
        let (code, stdout, err) = run(&args);
        assert_eq!(code, Some(2), "{args:?}");
        assert_eq!(stdout, "", "{args:?}");
        assert!(!err.contains("-- --json"), "{args:?}: {err}");
        assert!(
            err.starts_with(&format!("error: `backsim {}` ", args[0]))
                && err.contains("--json is for run, sweep, merge, tune, check, list and diff"),
            "{args:?}: {err}"
        );
    }
    assert!(!std::path::Path::new(target).exists(), "new wrote nothing");
    // --format where there is no summary table, and with --json.
    let (code, _, err) = run(&["list", "--format", "markdown"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("--format is for run, sweep, merge and tune"),
        "{err}"
    );
    assert!(!err.contains("-- --format"), "{err}");
    let (code, _, err) = run(&["run", THUNDERING_HERD, "--json", "--format", "csv"]);
    assert_eq!(code, Some(2));
    assert_eq!(
        err,
        "error: --json and --format both say how to print the results; give one of them\n"
    );
}
