//! The page's interactive layer without a browser: the numbers its
//! script draws are the report's CSV numbers, and `backsim plot` on a
//! folder that holds reports redraws each of them. (The browser test,
//! `browser.rs`, checks what the script does with them.)

use crate::common::{THUNDERING_HERD, backsim, text};
use serde_json::{Value, json};
use std::path::Path;

/// The charts' numbers embedded in `index.html`.
fn charts_json(page: &str) -> Vec<Value> {
    let start = page
        .find("<script type=\"application/json\" id=\"backsim-charts\">")
        .expect("the charts' numbers")
        + "<script type=\"application/json\" id=\"backsim-charts\">".len();
    let end = start + page[start..].find("</script>").expect("end of the JSON");
    serde_json::from_str(&page[start..end]).expect("JSON")
}

fn chart<'a>(charts: &'a [Value], id: &str) -> &'a Value {
    charts
        .iter()
        .find(|c| c["id"] == json!(id))
        .unwrap_or_else(|| panic!("no chart {id}"))
}

fn run_herd(out: &Path) {
    backsim()
        .args(["run", "--quiet", THUNDERING_HERD, "--out"])
        .arg(out)
        .assert()
        .success();
}

#[test]
fn the_page_script_draws_the_csv_numbers() {
    let tmp = tempfile::tempdir().expect("temp dir");
    run_herd(tmp.path());
    let page = std::fs::read_to_string(tmp.path().join("thundering-herd/index.html")).unwrap();
    let charts = charts_json(&page);
    let ids: Vec<&str> = charts.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "load_over_time",
            "time_to_success_cdf",
            "success_rate",
            "cost",
            "attempts"
        ]
    );
    for c in &charts {
        assert_eq!(
            c["strategies"],
            json!([
                {"name": "linear", "color": "#0072b2"},
                {"name": "exponential-full-jitter", "color": "#d55e00"}
            ])
        );
    }
    // summary.csv: success_rate 0.25 (± 0) for linear, 0.9225 ±
    // 0.00598748 for exponential-full-jitter; the chart is in %.
    let success = chart(&charts, "success_rate");
    assert_eq!(success["series"][0]["values"], json!([25.0]));
    assert_eq!(success["series"][0]["err"], json!([0.0]));
    assert_eq!(success["series"][1]["values"], json!([92.25]));
    assert_eq!(success["series"][1]["err"], json!([0.598748]));
    // timeseries.csv: linear made 1000 then 950 attempts in the first two
    // 1 s buckets; each bucket is a flat step over its width.
    let load = chart(&charts, "load_over_time");
    assert_eq!(
        load["series"][0]["points"].as_array().unwrap()[..4],
        [
            json!([0.0, 1000.0]),
            json!([1.0, 1000.0]),
            json!([1.0, 950.0]),
            json!([2.0, 950.0])
        ]
    );
    // The limiter's 6,000 requests per minute: 100 per second.
    assert_eq!(load["hline"]["y"], json!(100.0));
    // billed_usd 1.5 = useful_usd 1.5 + wasted_usd 0 for linear.
    assert_eq!(
        chart(&charts, "cost")["series"][0]["values"],
        json!([1.5, 1.5, 0.0])
    );
}

#[test]
fn plot_redraws_every_report_below_a_folder() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().join("reports");
    // Two copies of the same run's report, one nested deeper, and a
    // folder with no report beside them.
    run_herd(&root);
    run_herd(&root.join("nested/again"));
    std::fs::create_dir_all(root.join("empty")).unwrap();
    let pages = [
        root.join("thundering-herd"),
        root.join("nested/again/thundering-herd"),
    ];
    let before: Vec<Vec<u8>> = pages
        .iter()
        .map(|d| std::fs::read(d.join("index.html")).unwrap())
        .collect();
    for d in &pages {
        std::fs::remove_file(d.join("index.html")).unwrap();
        std::fs::remove_file(d.join("load_over_time.png")).unwrap();
    }
    let out = backsim().arg("plot").arg(&root).assert().success();
    let said = text(&out.get_output().stderr) + &text(&out.get_output().stdout);
    for (d, page) in pages.iter().zip(&before) {
        assert_eq!(&std::fs::read(d.join("index.html")).unwrap(), page);
        assert!(d.join("load_over_time.png").is_file());
        assert!(said.contains(&format!("redrew {}", d.display())), "{said}");
    }
    // A folder with no report in or below it says what it lacks.
    let out = backsim()
        .arg("plot")
        .arg(root.join("empty"))
        .assert()
        .code(2);
    let err = text(&out.get_output().stderr);
    assert!(err.contains("empty"), "{err}");
}
