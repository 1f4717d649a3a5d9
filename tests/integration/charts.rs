//! Charts and the report page: the data each chart plots is the data in
//! the CSV files; every PNG decodes at its size; every SVG parses and
//! names each strategy and its axes; `index.html` holds every row and
//! chart and loads nothing from outside; `backsim plot` redraws the same
//! files from the CSV files alone.

use crate::common::{
    CLOSED_OUTAGE, Csv, THUNDERING_HERD, backsim, crate_dir, dir_files, report_files,
};
use backsim::report::plot::{self, Frame};
use backsim::report::run::chart::{self, Chart};
use backsim::report::run::read::{ReportData, read_dir};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// One strategy with a name longer than charts show, one replication.
const LONELY: &str = r#"
name = "lonely"
replications = 1
horizon = "1m"
[workload]
clients = 200
[limiter]
requests_per_minute = 1200
request_burst = 50
[server]
latency = "300ms"
[[strategy]]
name = "a-strategy-with-a-very-long-name-that-goes-on-and-on-and-on"
backoff = { kind = "full_jitter", base = "1s", cap = "10s" }
max_attempts = 40
"#;

/// Nine strategies: more than the palette has colours.
fn crowd() -> String {
    let mut s = String::from(
        "name = \"crowd\"\nreplications = 2\nhorizon = \"2m\"\n[workload]\nclients = 300\n\
         [limiter]\nrequests_per_minute = 3000\nrequest_burst = 20\n[server]\nlatency = \"100ms\"\n",
    );
    for i in 1..=9 {
        s.push_str(&format!(
            "[[strategy]]\nname = \"s{i}\"\nbackoff = {{ kind = \"full_jitter\", base = \"{i}00ms\", cap = \"20s\" }}\nmax_attempts = {}\n",
            i + 1
        ));
    }
    s
}

/// Three strategies that behave alike: 5,000 clients send 20 requests
/// per second in all against a limiter that admits 100 per second with a
/// burst of 100, a server that never fails and no timeout, so that no
/// attempt fails, no retry is made, and the retry budget and the breaker
/// (which act only on failures and retries) never act. No `[pricing]`.
const COINCIDING: &str = r#"
name = "coinciding"
replications = 2
horizon = "2m"
[workload]
kind = "poisson"
clients = 5000
rate_per_s = 20.0
duration = "1m"
[limiter]
requests_per_minute = 6000
request_burst = 100
[server]
latency = "200ms"
[[strategy]]
name = "no-guard"
backoff = { kind = "full_jitter", base = "100ms", cap = "2s" }
max_attempts = 4
[[strategy]]
name = "aws-quota"
backoff = { kind = "full_jitter", base = "100ms", cap = "2s" }
max_attempts = 4
budget = { kind = "aws_quota" }
[[strategy]]
name = "breaker"
backoff = { kind = "full_jitter", base = "100ms", cap = "2s" }
max_attempts = 4
breaker = { scope = "retries", failure_ratio = 0.2 }
"#;

/// Reports made once for all tests here: the reference scenario, a
/// scenario with an outage, a lonely strategy, a crowd and three
/// coinciding strategies. Returns the folder holding the reports.
fn reports() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("temp dir");
        let mut cmd = backsim();
        cmd.args(["run", "--quiet", THUNDERING_HERD]);
        for (name, text) in [
            ("closed-outage", CLOSED_OUTAGE.to_string()),
            ("lonely", LONELY.to_string()),
            ("crowd", crowd()),
            ("coinciding", COINCIDING.to_string()),
        ] {
            let file = tmp.path().join(format!("{name}.toml"));
            std::fs::write(&file, text).expect("write scenario");
            cmd.arg(file);
        }
        cmd.arg("--out").arg(tmp.path()).assert().success();
        tmp
    })
    .path()
}

fn report(name: &str) -> (PathBuf, ReportData) {
    let dir = reports().join(name);
    let data = read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    (dir, data)
}

const REPORTS: [&str; 5] = [
    "thundering-herd",
    "closed-outage",
    "lonely",
    "crowd",
    "coinciding",
];

fn strategies(data: &ReportData) -> Vec<String> {
    data.scenario
        .strategies
        .iter()
        .map(|s| s.name.clone())
        .collect()
}

#[test]
fn load_over_time_plots_timeseries_attempts_per_second() {
    for name in REPORTS {
        let (dir, data) = report(name);
        let ts = Csv::read(&dir.join("timeseries.csv"));
        let d = chart::load_over_time(&data);
        let bucket = backsim::time::as_secs_f64(data.scenario.report.bucket);
        assert_eq!(d.bucket_s, 1.0, "both scenarios keep the 1 s default");
        assert_eq!(d.lines.len(), data.scenario.strategies.len());
        for (line, strategy) in d.lines.iter().zip(strategies(&data)) {
            assert_eq!(line.strategy, strategy);
            let rows = ts.rows_where("strategy", &strategy);
            assert_eq!(line.points.len(), rows.len(), "{name}/{strategy}");
            for (p, row) in line.points.iter().zip(rows) {
                assert_eq!(p.0, ts.num(row, "t_s"));
                assert_eq!(p.1, ts.num(row, "attempts") / bucket);
            }
        }
        // The time axis ends with the last bucket that saw an attempt.
        let last_active = ts
            .rows
            .iter()
            .filter(|r| ts.num(r, "attempts") > 0.0)
            .map(|r| ts.num(r, "t_s") + bucket)
            .fold(0.0, f64::max);
        assert_eq!(d.end_s, last_active, "{name}");
    }
    // 6000 requests per minute: 100 per second.
    let (_, herd) = report("thundering-herd");
    let d = chart::load_over_time(&herd);
    assert_eq!(
        d.limit,
        Some((100.0, "requests_per_minute admits 100/s".to_string()))
    );
    assert!(d.outages.is_empty());
    // The outage-recovery picture: 3000/min = 50/s, outage from 10 s to 15 s.
    let (_, outage) = report("closed-outage");
    let d = chart::load_over_time(&outage);
    assert_eq!(d.limit.as_ref().map(|l| l.0), Some(50.0));
    assert_eq!(d.outages, vec![(10.0, 15.0)]);
}

#[test]
fn cdf_plots_tts_cdf_csv_and_ends_at_the_success_rate() {
    for name in REPORTS {
        let (dir, data) = report(name);
        let cdf = Csv::read(&dir.join("tts_cdf.csv"));
        let summary = Csv::read(&dir.join("summary.csv"));
        let lines = chart::time_to_success_cdf(&data);
        for (line, strategy) in lines.iter().zip(strategies(&data)) {
            let rows = cdf.rows_where("strategy", &strategy);
            assert!(!rows.is_empty(), "{name}/{strategy}");
            assert_eq!(line.points.len(), rows.len());
            for (p, row) in line.points.iter().zip(&rows) {
                assert_eq!(p.0, cdf.num(row, "t_s"));
                assert_eq!(p.1, cdf.num(row, "share_succeeded"));
            }
            // Non-decreasing, from 0, to the success rate.
            assert!(line.points.windows(2).all(|w| w[0].1 <= w[1].1));
            assert!(line.points.windows(2).all(|w| w[0].0 < w[1].0));
            assert_eq!(line.points[0].1, 0.0, "{name}/{strategy} starts at 0");
            let rate = summary.num(summary.row_where("strategy", &strategy), "success_rate");
            assert_eq!(line.points.last().unwrap().1, rate, "{name}/{strategy}");
        }
    }
}

#[test]
fn bar_charts_plot_summary_csv() {
    for name in REPORTS {
        let (dir, data) = report(name);
        let summary = Csv::read(&dir.join("summary.csv"));
        let names = strategies(&data);
        let rates = chart::success_rate(&data);
        let costs = chart::cost(&data);
        assert_eq!(rates.len(), names.len());
        assert_eq!(costs.len(), names.len());
        for ((bar, cost), strategy) in rates.iter().zip(&costs).zip(&names) {
            let row = summary.row_where("strategy", strategy);
            assert_eq!(bar.strategy, *strategy);
            let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
            assert_eq!(bar.value, summary.num(row, "success_rate"));
            assert!(same(bar.ci95, summary.num_or_nan(row, "success_rate_ci95")));
            assert_eq!(cost.strategy, *strategy);
            assert_eq!(cost.useful_usd, summary.num(row, "useful_usd"));
            assert_eq!(cost.wasted_usd, summary.num(row, "wasted_usd"));
        }
    }
    // The reference scenario's linear strategy (derived by hand in
    // closed_form.rs): 25% success, identical replications, $1.50 useful.
    let (_, herd) = report("thundering-herd");
    let linear = &chart::success_rate(&herd)[0];
    assert_eq!((linear.value, linear.ci95), (0.25, 0.0));
    let cost = &chart::cost(&herd)[0];
    assert_eq!((cost.useful_usd, cost.wasted_usd), (1.5, 0.0));
}

#[test]
fn attempts_chart_plots_attempts_csv() {
    for name in REPORTS {
        let (dir, data) = report(name);
        let csv = Csv::read(&dir.join("attempts.csv"));
        for (line, strategy) in chart::attempts(&data).iter().zip(strategies(&data)) {
            let rows = csv.rows_where("strategy", &strategy);
            assert_eq!(line.points.len(), rows.len(), "{name}/{strategy}");
            for (p, row) in line.points.iter().zip(&rows) {
                assert_eq!(p.0, csv.num(row, "attempts"));
                assert_eq!(p.1, csv.num(row, "share_of_ended"));
            }
            let total: f64 = line.points.iter().map(|p| p.1).sum();
            assert!(
                (total - 1.0).abs() < 1e-6,
                "{name}/{strategy}: shares sum to {total}"
            );
        }
    }
    // Linear in the reference scenario: 5% each for 1–4 attempts, 80% for 5.
    let (_, herd) = report("thundering-herd");
    let linear = &chart::attempts(&herd)[0];
    assert_eq!(
        linear.points,
        vec![
            (1.0, 0.05),
            (2.0, 0.05),
            (3.0, 0.05),
            (4.0, 0.05),
            (5.0, 0.8)
        ]
    );
}

#[test]
fn every_png_decodes_at_its_size() {
    for name in REPORTS {
        let (_, data) = report(name);
        for c in Chart::drawn_for(&data.scenario) {
            let path = reports().join(name).join(format!("{}.png", c.name()));
            let file = std::fs::File::open(&path).expect("png exists");
            let decoder = png::Decoder::new(std::io::BufReader::new(file));
            let mut reader = decoder.read_info().expect("PNG header");
            let mut buf = vec![0; reader.output_buffer_size()];
            let info = reader.next_frame(&mut buf).expect("PNG image data");
            assert_eq!(
                (info.width, info.height),
                (Frame::FILE.width, Frame::FILE.height),
                "{}",
                path.display()
            );
            // Not a blank canvas: more than 1% of the pixels are not white.
            let inked = buf[..info.buffer_size()]
                .chunks(3)
                .filter(|p| p != &[255, 255, 255])
                .count();
            let pixels = (info.width * info.height) as usize;
            assert!(
                inked * 100 > pixels,
                "{}: only {inked} inked pixels",
                path.display()
            );
        }
    }
}

/// All the text of an SVG document, one string per `<text>` element;
/// checks on the way that no rectangle has a negative size (which browsers
/// do not draw).
fn svg_texts(svg: &str, what: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg", "{what}");
    for rect in doc.descendants().filter(|n| n.has_tag_name("rect")) {
        for dim in ["width", "height"] {
            let v: f64 = rect
                .attribute(dim)
                .unwrap_or("0")
                .parse()
                .expect("a number");
            assert!(v >= 0.0, "{what}: a rect with {dim} = {v}");
        }
    }
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect()
}

#[test]
fn every_svg_parses_and_names_strategies_and_axes() {
    for name in REPORTS {
        let (dir, data) = report(name);
        for c in Chart::drawn_for(&data.scenario) {
            let path = dir.join(format!("{}.svg", c.name()));
            let svg = std::fs::read_to_string(&path).expect("svg exists");
            let what = path.display().to_string();
            let texts = svg_texts(&svg, &what);
            let has = |s: &str| texts.iter().any(|t| t == s);
            assert!(has(c.title()), "{what}: no title");
            let (x, y) = c.axis_titles();
            for axis in [x, y].into_iter().filter(|a| !a.is_empty()) {
                assert!(has(axis), "{what}: no axis title {axis:?}");
                assert!(axis.contains('('), "{what}: {axis:?} has no unit");
            }
            for strategy in strategies(&data) {
                // Bar charts name strategies on their axis, the others in a
                // legend or over their panel (with the strategy they
                // coincide with, if any); names longer than 40 characters
                // are shortened.
                let shown = plot::shorten(&strategy);
                let same = format!("{shown} (same as ");
                assert!(
                    texts.iter().any(|t| *t == shown || t.starts_with(&same)),
                    "{what}: no {shown}"
                );
            }
        }
    }
}

#[test]
fn index_html_is_self_contained_with_every_row_and_chart() {
    for name in REPORTS {
        let (dir, data) = report(name);
        let html = std::fs::read_to_string(dir.join("index.html")).expect("index.html");
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains(&format!("<h1>{name}</h1>")));
        // Cost by model: one row per strategy and model.
        assert!(html.contains("<h2>Cost by model</h2>"));
        let models = data.scenario.model_names().len();
        let guarded = data
            .scenario
            .strategies
            .iter()
            .filter(|s| !s.guards.is_empty())
            .count();
        assert_eq!(
            html.matches("<tr><td><span class=\"swatch\"").count(),
            strategies(&data).len() * (1 + models) + guarded,
            "{name}: summary, cost-by-model and guards rows"
        );
        for strategy in strategies(&data) {
            assert!(
                html.contains(&format!("</span>{strategy}</td>")),
                "{name}: no table row for {strategy}"
            );
        }
        let drawn = Chart::drawn_for(&data.scenario);
        for c in &drawn {
            let figure = format!(
                "<figure id=\"{}\">\n<h3 class=\"narrow\">{}</h3>",
                c.name(),
                c.title()
            );
            assert!(html.contains(&figure), "{name}: {}", c.name());
        }
        // Each chart twice (wide and narrow screens), all inline.
        assert_eq!(html.matches("<svg ").count(), 2 * drawn.len());
        assert_eq!(html.matches("</svg>").count(), 2 * drawn.len());
        // The resolved scenario, escaped, and the command that reproduces it.
        let toml = std::fs::read_to_string(dir.join("scenario.toml")).unwrap();
        let first_line = toml.lines().next().unwrap().replace('"', "&quot;");
        assert!(html.contains(&first_line), "{name}: scenario text");
        assert!(html.contains("backsim run scenario.toml"));
        // Nothing from outside: no URLs, no references to other files.
        // Its two scripts are inline: the charts' numbers and the script
        // that draws them.
        let lower = html.to_lowercase();
        assert_eq!(
            lower
                .match_indices("<script")
                .map(|(i, _)| &lower[i..i + lower[i..].find('>').unwrap() + 1])
                .collect::<Vec<_>>(),
            [
                "<script type=\"application/json\" id=\"backsim-charts\">",
                "<script>"
            ],
            "{name}"
        );
        for needle in [
            "http:",
            "https:",
            "//",
            "src=",
            "href=",
            "url(",
            "@import",
            "<link",
            "<img",
            "<iframe",
            "<object",
            "<embed",
            "fetch(",
            "xmlhttprequest",
            "import(",
        ] {
            let hits: Vec<&str> = lower
                .match_indices(needle)
                .map(|(i, _)| &lower[i.saturating_sub(30)..(i + 30).min(lower.len())])
                .collect();
            assert!(
                hits.is_empty(),
                "{name}: index.html contains {needle:?}: {hits:?}"
            );
        }
    }
}

#[test]
fn plot_redraws_the_same_files_from_the_csv_files_alone() {
    for name in REPORTS {
        let original = reports().join(name);
        let tmp = tempfile::tempdir().expect("temp dir");
        let copy = tmp.path().join(name);
        std::fs::create_dir(&copy).unwrap();
        for f in backsim::report::run::read::INPUT_FILES {
            std::fs::copy(original.join(f), copy.join(f)).unwrap();
        }
        backsim()
            .args(["plot", "--quiet"])
            .arg(&copy)
            .assert()
            .success()
            .stdout("");
        // The copy has no report.toml: plot draws it all the same.
        let (a, b) = (report_files(&original), report_files(&copy));
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
        for (file, bytes) in &a {
            assert!(
                bytes == &b[file],
                "{name}/{} differs after plot",
                file.display()
            );
        }
    }
}

/// The files a report folder holds, by name, without `report.toml`.
fn listing(dir: &Path) -> Vec<String> {
    report_files(dir)
        .keys()
        .map(|p| p.display().to_string())
        .collect()
}

/// What a folder's `report.toml` lists.
fn manifest_files(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("report.toml")).expect("report.toml");
    let list = &text[text.find("files = [").expect("a files list")..];
    list.lines()
        .skip(1)
        .take_while(|l| *l != "]")
        .map(|l| l.trim().trim_end_matches(',').trim_matches('"').to_string())
        .collect()
}

#[test]
fn a_scenario_without_prices_has_no_cost_chart_and_the_page_says_why() {
    // The reference scenario sets `[pricing] model = "gpt-4.1"`; the
    // coinciding one, the lonely one and the crowd set none.
    for (name, priced) in [
        ("thundering-herd", true),
        ("coinciding", false),
        ("lonely", false),
        ("crowd", false),
    ] {
        let (dir, data) = report(name);
        assert_eq!(chart::priced(&data.scenario), priced, "{name}");
        let files = listing(&dir);
        for f in ["cost.png", "cost.svg"] {
            assert_eq!(files.iter().any(|n| n == f), priced, "{name}/{f}");
        }
        // The names known before the run are exactly the files written
        // and those the folder's record lists.
        let mut known = backsim::report::run_file_names(&data.scenario, false, true);
        known.sort();
        assert_eq!(known, files, "{name}");
        assert_eq!(manifest_files(&dir), files, "{name}");
        let html = std::fs::read_to_string(dir.join("index.html")).expect("index.html");
        let left_out = html.contains(
            "<figure id=\"cost\" class=\"left-out\">\n<h3>Cost per run: useful and wasted tokens</h3>\n\
             <p class=\"note\">Not drawn: the scenario sets no [pricing], so every run costs $0.",
        );
        assert_eq!(left_out, !priced, "{name}");
    }
}

/// Writes `text` as `coinciding.toml` in `tmp` and runs `backsim
/// COMMAND` on it with `--out tmp`; the report's folder.
fn coinciding_report(tmp: &Path, command: &str, text: &str) -> PathBuf {
    let file = tmp.join("coinciding.toml");
    std::fs::write(&file, text).unwrap();
    backsim()
        .args([command, "--quiet"])
        .arg(&file)
        .arg("--out")
        .arg(tmp)
        .assert()
        .success();
    tmp.join("coinciding")
}

#[test]
fn a_sweep_without_prices_has_no_wasted_dollars_chart_and_the_page_says_why() {
    let tmp = tempfile::tempdir().expect("temp dir");
    // The coinciding scenario (no [pricing]) over two request rates.
    let sweep = format!("{COINCIDING}[sweep]\n\"workload.rate_per_s\" = [10, 20]\n");
    let dir = coinciding_report(tmp.path(), "sweep", &sweep);
    let files = listing(&dir);
    assert!(!files.iter().any(|f| f.starts_with("sweep_wasted_usd")));
    assert!(files.contains(&"sweep_success_rate.png".to_string()));
    assert_eq!(manifest_files(&dir), files);
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.contains("<figure id=\"sweep_wasted_usd\" class=\"left-out\">"));
    // plot draws the same set again.
    for f in files
        .iter()
        .filter(|f| f.ends_with(".png") || f.ends_with(".svg"))
    {
        std::fs::remove_file(dir.join(f)).unwrap();
    }
    backsim().args(["plot", "-q"]).arg(&dir).assert().success();
    assert_eq!(listing(&dir), files);
}

#[test]
fn identical_strategies_are_named_as_coinciding() {
    let (dir, data) = report("coinciding");
    // Nothing failed, so no strategy retried and the guards never acted:
    // the three summaries agree in every number but the strategy's name.
    let summary = Csv::read(&dir.join("summary.csv"));
    let retries: Vec<f64> = summary
        .rows
        .iter()
        .map(|r| summary.num(r, "attempts_per_request"))
        .collect();
    assert_eq!(retries, [1.0, 1.0, 1.0]);
    for c in [Chart::LoadOverTime, Chart::TimeToSuccessCdf] {
        let plan = chart::line_plan(c, &data).expect("a line chart");
        // aws-quota and breaker coincide with no-guard, the first.
        assert_eq!(plan.same_as, [None, Some(0), Some(0)], "{}", c.name());
        assert_eq!(plan.layout, plot::Layout::Overlaid, "{}", c.name());
        let svg = std::fs::read_to_string(dir.join(format!("{}.svg", c.name()))).unwrap();
        let texts = svg_texts(&svg, c.name());
        for label in ["aws-quota (same as no-guard)", "breaker (same as no-guard)"] {
            assert!(texts.iter().any(|t| t == label), "{}: {label}", c.name());
        }
    }
    // Bars stand side by side: no chart to tell apart.
    assert_eq!(chart::line_plan(Chart::Attempts, &data), None);
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert_eq!(
        html.matches("no-guard, aws-quota and breaker draw the same line")
            .count(),
        2,
        "said under the load and the time-to-success charts"
    );
}

#[test]
fn more_than_six_strategies_get_one_panel_each() {
    // The crowd has 9 strategies (more than 6), the reference scenario 2
    // that differ.
    for (name, layout) in [
        ("crowd", plot::Layout::PanelsForMany),
        ("thundering-herd", plot::Layout::Overlaid),
    ] {
        let (dir, data) = report(name);
        let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
        for c in [Chart::LoadOverTime, Chart::TimeToSuccessCdf] {
            let plan = chart::line_plan(c, &data).expect("a line chart");
            assert_eq!(plan.layout, layout, "{name}/{}", c.name());
        }
        let said = html
            .matches("With more than 6 strategies one plot would be a tangle")
            .count();
        assert_eq!(said, if name == "crowd" { 2 } else { 0 }, "{name}");
    }
}

#[test]
fn a_cost_chart_of_an_earlier_priced_report_goes() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let run = |text: &str| coinciding_report(tmp.path(), "run", text);
    let dir = tmp.path().join("coinciding");
    let priced = format!("{COINCIDING}[pricing]\nmodel = \"gpt-4.1\"\n");
    run(&priced);
    assert!(dir.join("cost.png").is_file() && dir.join("cost.svg").is_file());
    assert!(manifest_files(&dir).contains(&"cost.png".to_string()));
    // The same scenario file, now without prices: the earlier report's
    // cost chart is listed in its record, so the run removes it.
    run(COINCIDING);
    assert!(!dir.join("cost.png").exists() && !dir.join("cost.svg").exists());
    assert_eq!(manifest_files(&dir), listing(&dir));
    // A report whose record lists a cost chart that is not drawn any more
    // (as an older backsim drew one without prices): `plot` removes it
    // too, and ends with the files of the run.
    let before = listing(&dir);
    for f in ["cost.png", "cost.svg"] {
        std::fs::write(dir.join(f), "an earlier drawing").unwrap();
    }
    let record = std::fs::read_to_string(dir.join("report.toml")).unwrap();
    std::fs::write(
        dir.join("report.toml"),
        record.replace(
            "files = [\n",
            "files = [\n  \"cost.png\",\n  \"cost.svg\",\n",
        ),
    )
    .unwrap();
    backsim().args(["plot", "-q"]).arg(&dir).assert().success();
    assert_eq!(listing(&dir), before);
    assert_eq!(manifest_files(&dir), before);
}

#[test]
fn no_charts_writes_only_the_data_files() {
    let tmp = tempfile::tempdir().expect("temp dir");
    backsim()
        .args(["run", "--quiet", "--no-charts", THUNDERING_HERD, "--out"])
        .arg(tmp.path())
        .assert()
        .success();
    let files: Vec<String> = dir_files(&tmp.path().join("thundering-herd"))
        .keys()
        .map(|p| p.display().to_string())
        .collect();
    let mut expected: Vec<&str> = backsim::report::run::read::INPUT_FILES.to_vec();
    expected.push("report.toml");
    expected.sort();
    assert_eq!(files, expected);
}

#[test]
fn no_charts_over_an_old_report_removes_its_charts() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let run = |extra: &[&str]| {
        backsim()
            .args(["run", "--quiet", THUNDERING_HERD, "--out"])
            .arg(tmp.path())
            .args(extra)
            .assert()
            .success();
    };
    run(&[]);
    let dir = tmp.path().join("thundering-herd");
    assert!(dir.join("index.html").exists());
    run(&["--no-charts", "--replications", "2"]);
    assert!(!dir.join("index.html").exists());
    assert!(!dir.join("load_over_time.png").exists());
    // plot brings them back, for the new numbers.
    backsim().args(["plot", "-q"]).arg(&dir).assert().success();
    let svg = std::fs::read_to_string(dir.join("success_rate.svg")).unwrap();
    assert!(svg.contains("mean of 2 replications"));
}

#[test]
fn plot_refuses_files_from_different_reports() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("mixed");
    std::fs::create_dir(&dir).unwrap();
    for f in backsim::report::run::read::INPUT_FILES {
        std::fs::copy(reports().join("thundering-herd").join(f), dir.join(f)).unwrap();
    }
    std::fs::copy(
        reports().join("closed-outage").join("scenario.toml"),
        dir.join("scenario.toml"),
    )
    .unwrap();
    let out = backsim().arg("plot").arg(&dir).assert().code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("different reports"), "{err}");
    assert!(!dir.join("index.html").exists());
}

#[test]
fn plot_refuses_what_is_not_a_report() {
    let tmp = tempfile::tempdir().expect("temp dir");
    backsim()
        .arg("plot")
        .arg(tmp.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("scenario.toml"))
        .stderr(predicates::str::contains("backsim run"));
    // A damaged CSV: the file, line and column are named, nothing written.
    let dir = tmp.path().join("thundering-herd");
    std::fs::create_dir(&dir).unwrap();
    for f in backsim::report::run::read::INPUT_FILES {
        std::fs::copy(reports().join("thundering-herd").join(f), dir.join(f)).unwrap();
    }
    let summary = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    std::fs::write(
        dir.join("summary.csv"),
        summary.replacen(",0.25,", ",a quarter,", 1),
    )
    .unwrap();
    let assert = backsim().arg("plot").arg(&dir).assert().code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains("summary.csv:2:"), "{err}");
    assert!(err.contains("success_rate"), "{err}");
    assert!(err.contains("a quarter"), "{err}");
    assert!(!dir.join("index.html").exists());
}

#[test]
fn no_system_font_library_is_linked() {
    // plotters' `ttf` feature would pull these in (and need system
    // libraries at build and run time); charts use the embedded font.
    let lock = std::fs::read_to_string(crate_dir().join("Cargo.lock")).expect("Cargo.lock");
    for forbidden in ["font-kit", "freetype", "fontconfig", "servo-fontconfig"] {
        assert!(
            !lock
                .lines()
                .any(|l| l.starts_with("name = \"") && l.contains(forbidden)),
            "Cargo.lock contains {forbidden}"
        );
    }
    assert!(lock.contains("name = \"ab_glyph\""));
}

/// The charts the README shows are committed; they must be what the
/// documented command produces today (regenerate them with it otherwise).
#[test]
fn readme_charts_are_current() {
    let readme = std::fs::read_to_string(crate_dir().join("README.md")).expect("README.md");
    let shown: Vec<&str> = readme
        .match_indices("](reports/")
        .map(|(i, _)| {
            let rest = &readme[i + 2..];
            &rest[..rest.find(')').expect("closing parenthesis")]
        })
        .collect();
    // Each curated report folder, and the README command that writes it.
    let commands = [
        ("thundering-herd", "run scenarios/thundering-herd.toml"),
        ("herd-sweep", "sweep scenarios/herd-sweep.toml"),
        ("llm-client-sweep", "sweep scenarios/llm-client-sweep.toml"),
        ("llm-batch", "run scenarios/llm-batch.toml"),
        ("failure-spike", "run scenarios/failure-spike.toml"),
        ("low-rate-guards", "run scenarios/low-rate-guards.toml"),
        ("nested-retries", "run scenarios/nested-retries.toml"),
        (
            "metastability",
            "sweep scenarios/classics/metastability.toml",
        ),
    ];
    assert_eq!(
        shown,
        [
            "reports/thundering-herd/load_over_time.png",
            "reports/thundering-herd/time_to_success_cdf.png",
            "reports/herd-sweep/sweep_success_rate.png",
            "reports/llm-client-sweep/sweep_goodput.png",
            "reports/llm-batch/load_over_time.png",
            "reports/failure-spike/load_over_time.png",
            "reports/low-rate-guards/load_over_time.png",
            "reports/nested-retries/attempts.png",
            "reports/metastability/sweep_recovered_map.png"
        ]
    );
    let tmp = tempfile::tempdir().expect("temp dir");
    // thundering-herd's come from the shared reports above.
    for (_, command) in &commands[1..] {
        backsim()
            .args(command.split(' '))
            .args(["--quiet", "--out"])
            .arg(tmp.path())
            .assert()
            .success();
    }
    for path in shown {
        let p = Path::new(path);
        let report = p.parent().unwrap().file_name().unwrap();
        let file = p.file_name().unwrap();
        let committed = std::fs::read(crate_dir().join(path)).expect("committed chart");
        let fresh = if report == "thundering-herd" {
            reports().join(report).join(file)
        } else {
            tmp.path().join(report).join(file)
        };
        let command = commands
            .iter()
            .find(|(name, _)| Some(*name) == report.to_str())
            .map(|(_, c)| *c)
            .expect("a curated report folder");
        assert!(
            committed == std::fs::read(&fresh).unwrap(),
            "{path} is out of date: run `cargo run --release -- {command}`"
        );
        // Each folder's record of what wrote it is committed too (so that
        // the command may write over the committed charts): the same,
        // with the scenario file as seen from `reports/<name>/`.
        let manifest =
            |dir: &Path| std::fs::read_to_string(dir.join("report.toml")).expect("report.toml");
        let scenario = command.split(' ').nth(1).expect("a scenario file");
        let fresh = manifest(fresh.parent().unwrap());
        let line = fresh
            .lines()
            .find(|l| l.starts_with("file = "))
            .expect("a file line");
        assert_eq!(
            manifest(&crate_dir().join(p.parent().unwrap())),
            fresh.replace(line, &format!("file = \"../../{scenario}\"")),
            "{}/report.toml is out of date: run `cargo run --release -- {command}`",
            p.parent().unwrap().display()
        );
    }
}

/// A token limit alone gets a limit line too, in attempts per second: each
/// attempt reserves 900 input + 100 max_tokens = 1,000 tokens against
/// 60,000 tokens per minute = 1,000 per second, so it admits 1 per second.
#[test]
fn a_token_limit_alone_draws_its_line_in_attempts_per_second() {
    let tmp = tempfile::tempdir().expect("temp dir");
    crate::common::run_toml(
        tmp.path(),
        "tokens",
        r#"
name = "tokens"
seed = 1
replications = 2
[workload]
kind = "burst"
clients = 20
[workload.tokens]
input = 900
output = 100
max_tokens = 100
[limiter]
tokens_per_minute = 60000
token_burst = 10000
[[strategy]]
name = "patient"
backoff = { kind = "constant", base = "1s" }
max_attempts = 50
"#,
        &["--no-charts", "-q"],
    );
    let data = read_dir(&tmp.path().join("tokens")).expect("report");
    let d = chart::load_over_time(&data);
    assert_eq!(
        d.limit,
        Some((
            1.0,
            "tokens_per_minute admits 1/s (60,000 tokens/min ÷ 1,000 per attempt)".to_string()
        ))
    );
}
