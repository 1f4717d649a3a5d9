//! The README's "Validated against real clients" table is the one
//! `validation/real/table.py` makes from the committed results
//! (`validation/real/results/cases.csv`): this test renders the CSV by
//! the same rules and finds the table, whole, between the README's
//! markers. The validation itself runs real clients in real time
//! (`validation/real/run.sh`) and is not part of `cargo test`.

use std::path::Path;

const START: &str = "<!-- real-validation-table:start -->";
const END: &str = "<!-- real-validation-table:end -->";

fn label(metric: &str) -> &'static str {
    match metric {
        "success_rate" => "success rate",
        "attempts_per_request" => "attempts per request",
        "tts_p50_s" => "time to success p50",
        "tts_p90_s" => "time to success p90",
        "rejected_429_requests" => "429s of the request limit per run",
        "rejected_429_tokens" => "429s of the token limit per run",
        "errors_503" => "503s per run",
        "errors_529" => "529s per run",
        "abandoned_billed" => "billed abandoned generations per run",
        other => panic!("cases.csv has an unknown metric {other:?}"),
    }
}

/// table.py's `value`: shares in percent to 0.1, attempts to 0.01,
/// times in seconds to 0.01, counts to 0.1; "–" for no value.
fn value(metric: &str, text: &str) -> String {
    if text.is_empty() {
        return "–".to_string();
    }
    let x: f64 = text.parse().expect("a number in cases.csv");
    match metric {
        "success_rate" => format!("{:.1}%", x * 100.0),
        "attempts_per_request" => format!("{x:.2}"),
        m if m.starts_with("tts_") => format!("{x:.2} s"),
        _ => format!("{x:.1}"),
    }
}

fn interval(metric: &str, mean: &str, ci: &str) -> String {
    if ci.is_empty() {
        value(metric, mean)
    } else {
        format!("{} ± {}", value(metric, mean), value(metric, ci))
    }
}

fn render(csv_text: &str) -> String {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().expect("a header row").clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("cases.csv lacks the column {name}"))
    };
    let [case, metric, rm, rc, rn, bm, bc, bn, tol, agree] = [
        "case",
        "metric",
        "real_mean",
        "real_ci95",
        "real_runs",
        "backsim_mean",
        "backsim_ci95",
        "backsim_replications",
        "tolerance",
        "agree",
    ]
    .map(col);
    let mut out = String::from(
        "| case | metric | real (runs) | backsim (replications) | tolerance | agree |\n\
         | --- | --- | ---: | ---: | ---: | --- |\n",
    );
    for record in reader.records() {
        let r = record.expect("a well-formed row");
        let m = &r[metric];
        out.push_str(&format!(
            "| {} | {} | {} ({}) | {} ({}) | {} | {} |\n",
            &r[case],
            label(m),
            interval(m, &r[rm], &r[rc]),
            &r[rn],
            interval(m, &r[bm], &r[bc]),
            &r[bn],
            value(m, &r[tol]),
            &r[agree],
        ));
    }
    out
}

#[test]
fn readme_table_is_the_one_made_from_the_committed_results() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let csv_text = std::fs::read_to_string(root.join("validation/real/results/cases.csv"))
        .expect("validation/real/results/cases.csv");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let (_, rest) = readme.split_once(START).expect("the table's start marker");
    let (table, _) = rest.split_once(END).expect("the table's end marker");
    assert_eq!(
        table.trim_start_matches('\n'),
        render(&csv_text),
        "README.md's table differs from validation/real/results/cases.csv: \
         run `python3 validation/real/table.py --write`"
    );
}

#[test]
fn the_rendering_follows_table_py() {
    let csv_text = "case,metric,real_mean,real_ci95,real_runs,backsim_mean,backsim_ci95,\
                    backsim_replications,tolerance,agree\n\
                    a,success_rate,0.454,0.008,4,0.457,0.0012,200,0,yes\n\
                    a,tts_p90_s,1.2654,,1,1.19325,0.01,200,0.08,no\n";
    assert_eq!(
        render(csv_text),
        "| case | metric | real (runs) | backsim (replications) | tolerance | agree |\n\
         | --- | --- | ---: | ---: | ---: | --- |\n\
         | a | success rate | 45.4% ± 0.8% (4) | 45.7% ± 0.1% (200) | 0.0% | yes |\n\
         | a | time to success p90 | 1.27 s (1) | 1.19 s ± 0.01 s (200) | 0.08 s | no |\n"
    );
}

/// The scenarios the validation kept (`validation/real/results/scenarios/`)
/// are valid backsim input, and the four cases whose real runs came out
/// alike in every run (`runs.csv`: the same figures in all four) come
/// out exactly so in backsim, whatever the seed: successes, attempts and
/// 429s per run as the real clients and server counted them.
#[test]
fn kept_scenarios_run_and_give_the_deterministic_cases_real_counts() {
    let dir = crate::common::crate_dir().join("validation/real/results/scenarios");
    let mut kept: Vec<_> = std::fs::read_dir(&dir)
        .expect("the kept scenarios")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    kept.sort();
    // One per case of cases.py.
    assert_eq!(kept.len(), 11, "{kept:?}");
    let loaded: Vec<_> = kept.iter().map(|p| crate::common::load(p)).collect();
    // (case, clients, succeeded, attempts, 429s): runs.csv's figures, the
    // same in each of the four real runs.
    let exact = [
        ("openai-retry-after-ms", 60, 7, 169, 162),
        ("tokens-per-minute", 40, 7, 109, 102),
        ("openai-node-retry-after", 60, 18, 156, 138),
        ("nginx-nodelay-429", 40, 18, 96, 78),
    ];
    for (case, clients, succeeded, attempts, rejected) in exact {
        let s = loaded
            .iter()
            .find(|s| s.name == format!("real-{case}"))
            .unwrap_or_else(|| panic!("no kept scenario for {case}"));
        for seed in [1, 2, 3] {
            let m = backsim::engine::simulate(
                s,
                0,
                backsim::random::RunSeeds::new(seed, 0, 0, &s.strategies[0].name),
            );
            let c = &m.counts;
            assert_eq!(
                (c.requests, c.succeeded, c.attempts, c.rejected_429),
                (clients, succeeded, attempts, rejected),
                "{case}, seed {seed}"
            );
        }
    }
}
