//! Tests of the sweep charts and page, on sweeps made up here.

use super::chart::*;
use super::data::*;
use super::map_chart;
use super::page::*;
use crate::format::{pct, ratio, secs};
use crate::report::plot::Frame;

const NAN: f64 = f64::NAN;

fn e(value: f64, ci95_low: f64, ci95_high: f64) -> Estimate {
    Estimate {
        value,
        ci95_low,
        ci95_high,
    }
}

fn axis(key: &str, values: &[f64], seconds: bool, log: bool) -> SweepAxis {
    SweepAxis {
        key: key.into(),
        values: values.to_vec(),
        seconds,
        log,
    }
}

fn data(axes: Vec<SweepAxis>, strategies: &[&str], rows: Vec<SweepRow>) -> SweepData {
    SweepData {
        scenario: "herd".into(),
        description: "Clients against one limiter".into(),
        replications: 3,
        precision: None,
        axes,
        strategies: strategies.iter().map(|s| s.to_string()).collect(),
        rows,
        recovery: None,
        priced: true,
        stream: false,
    }
}

fn row(point: usize, strategy: usize, metrics: [Estimate; 4]) -> SweepRow {
    SweepRow::new(point, strategy, 3, metrics, NAN)
}

/// `workload.clients` at 10, 100, 1000 (log); two strategies. linear
/// succeeds 100%, 50%, 0%: no time to success at 1000 clients.
fn one_axis() -> SweepData {
    let clients = axis("workload.clients", &[10.0, 100.0, 1000.0], false, true);
    let rows = vec![
        row(
            0,
            0,
            [
                e(1.0, 0.95, 1.0),
                e(2.0, 1.5, 2.5),
                e(1.0, 1.0, 1.0),
                e(0.0, 0.0, 0.0),
            ],
        ),
        row(
            0,
            1,
            [
                e(1.0, 1.0, 1.0),
                e(1.0, 0.5, 1.5),
                e(1.0, 1.0, 1.0),
                e(0.0, 0.0, 0.0),
            ],
        ),
        row(
            1,
            0,
            [
                e(0.5, 0.4, 0.6),
                e(20.0, 18.0, 22.0),
                e(3.0, 2.5, 3.5),
                e(0.25, 0.2, 0.3),
            ],
        ),
        row(
            1,
            1,
            [
                e(0.75, 0.7, 0.8),
                e(9.0, 8.0, 10.0),
                e(2.0, 1.5, 2.5),
                e(0.1, 0.05, 0.15),
            ],
        ),
        row(
            2,
            0,
            [
                e(0.0, 0.0, 0.0),
                e(NAN, NAN, NAN),
                e(8.0, 7.0, 9.0),
                e(1.5, 1.0, 2.0),
            ],
        ),
        row(
            2,
            1,
            [
                e(0.25, 0.2, 0.3),
                e(30.0, 25.0, 35.0),
                e(4.0, 3.0, 5.0),
                e(0.5, 0.4, 0.6),
            ],
        ),
    ];
    data(vec![clients], &["linear", "full-jitter"], rows)
}

/// Metrics of point `p`, strategy `s` of the multi-key fixtures: a
/// success rate of (p mod 4)/4 + s/8 (± 1/16), a time to success of
/// p + 1 s (none for linear at point 2), 1 + p attempts, s USD wasted
/// (one replication's worth: no bounds).
fn grid_metrics(p: usize, s: usize) -> [Estimate; 4] {
    let v = (p % 4) as f64 / 4.0 + s as f64 / 8.0;
    let tts = if (p, s) == (2, 0) {
        NAN
    } else {
        p as f64 + 1.0
    };
    [
        e(v, v - 0.0625, v + 0.0625),
        e(tts, tts - 0.5, tts + 0.5),
        e(1.0 + p as f64, 1.0 + p as f64, 1.0 + p as f64),
        e(s as f64, NAN, NAN),
    ]
}

fn grid(axes: Vec<SweepAxis>, strategies: &[&str]) -> SweepData {
    let points: usize = axes.iter().map(|a| a.values.len()).product();
    let rows = (0..points)
        .flat_map(|p| (0..strategies.len()).map(move |s| row(p, s, grid_metrics(p, s))))
        .collect();
    data(axes, strategies, rows)
}

/// `workload.clients` 10, 100 × `limiter.requests_per_minute` 600,
/// 1200: points 0 (10, 600), 1 (10, 1200), 2 (100, 600), 3 (100, 1200).
fn two_axes() -> SweepData {
    grid(
        vec![
            axis("workload.clients", &[10.0, 100.0], false, false),
            axis(
                "limiter.requests_per_minute",
                &[600.0, 1200.0],
                false,
                false,
            ),
        ],
        &["linear", "jitter"],
    )
}

/// Three keys: 2 × 3 × 3 points, 9 combinations of the last two.
fn three_axes() -> SweepData {
    grid(
        vec![
            axis("workload.clients", &[10.0, 100.0], false, true),
            axis(
                "limiter.requests_per_minute",
                &[600.0, 1200.0, 2400.0],
                false,
                false,
            ),
            axis("strategy.*.backoff.base", &[0.5, 1.0, 2.0], true, false),
        ],
        &["linear", "jitter"],
    )
}

/// `d` as if its scenario had `[report.recovery]`: point p, strategy
/// s recovered in a share ((p + s) mod 4) / 2, NaN for 3 (0, 0.5, 1
/// or no value).
fn with_recovery(mut d: SweepData) -> SweepData {
    d.recovery = Some(crate::scenario::Recovery {
        after: 60_000_000_000,
        within: 90_000_000_000,
        window: 10_000_000_000,
        goodput: 0.9,
        rate_per_s: 80.0,
    });
    for r in &mut d.rows {
        r.recovered = match (r.point + r.strategy) % 4 {
            3 => NAN,
            k => k as f64 / 2.0,
        };
    }
    d
}

/// (x, y, low, high) of a series; NaN compares equal to NaN.
fn check(s: &SweepSeries, want: &[(f64, f64, f64, f64)]) {
    let got: Vec<[u64; 4]> = s
        .points
        .iter()
        .map(|p| [p.x, p.y, p.low, p.high].map(f64::to_bits))
        .collect();
    let want: Vec<[u64; 4]> = want
        .iter()
        .map(|&(x, y, l, h)| [x, y, l, h].map(f64::to_bits))
        .collect();
    assert_eq!(got, want, "{}", s.label);
}

#[test]
fn one_key_series_are_the_rows_in_percent() {
    let d = one_axis();
    let s = series(SweepMetric::SuccessRate, &d);
    assert_eq!(s.len(), 2);
    assert_eq!(
        (s[0].label.as_str(), s[0].strategy, s[0].style),
        ("linear", 0, 0)
    );
    assert_eq!(
        (s[1].label.as_str(), s[1].strategy, s[1].style),
        ("full-jitter", 1, 0)
    );
    check(
        &s[0],
        &[
            (10.0, 100.0, 95.0, 100.0),
            (100.0, 50.0, 40.0, 60.0),
            (1000.0, 0.0, 0.0, 0.0),
        ],
    );
    check(
        &s[1],
        &[
            (10.0, 100.0, 100.0, 100.0),
            (100.0, 75.0, 70.0, 80.0),
            (1000.0, 25.0, 20.0, 30.0),
        ],
    );
    // Seconds as they are; the undefined point stays, as a gap.
    let s = series(SweepMetric::TtsP99, &d);
    check(
        &s[0],
        &[
            (10.0, 2.0, 1.5, 2.5),
            (100.0, 20.0, 18.0, 22.0),
            (1000.0, NAN, NAN, NAN),
        ],
    );
    let s = series(SweepMetric::WastedUsd, &d);
    check(
        &s[1],
        &[
            (10.0, 0.0, 0.0, 0.0),
            (100.0, 0.1, 0.05, 0.15),
            (1000.0, 0.5, 0.4, 0.6),
        ],
    );
}

#[test]
fn points_run_in_increasing_x() {
    let mut d = one_axis();
    d.axes[0].values = vec![1000.0, 10.0, 100.0];
    let s = series(SweepMetric::AttemptsPerRequest, &d);
    check(
        &s[0],
        &[
            (10.0, 3.0, 2.5, 3.5),
            (100.0, 8.0, 7.0, 9.0),
            (1000.0, 1.0, 1.0, 1.0),
        ],
    );
}

#[test]
fn other_keys_make_one_series_per_combination() {
    let d = two_axes();
    let s = series(SweepMetric::SuccessRate, &d);
    let labels: Vec<(&str, usize, usize)> = s
        .iter()
        .map(|s| (s.label.as_str(), s.strategy, s.style))
        .collect();
    assert_eq!(
        labels,
        vec![
            ("linear · limiter.requests_per_minute=600", 0, 0),
            ("linear · limiter.requests_per_minute=1200", 0, 1),
            ("jitter · limiter.requests_per_minute=600", 1, 0),
            ("jitter · limiter.requests_per_minute=1200", 1, 1),
        ]
    );
    // linear at 600/min: points 0 (10 clients) and 2 (100 clients),
    // success 0/4 and 2/4, ± 1/16.
    check(
        &s[0],
        &[(10.0, 0.0, -6.25, 6.25), (100.0, 50.0, 43.75, 56.25)],
    );
    check(
        &s[1],
        &[(10.0, 25.0, 18.75, 31.25), (100.0, 75.0, 68.75, 81.25)],
    );
    check(
        &s[2],
        &[(10.0, 12.5, 6.25, 18.75), (100.0, 62.5, 56.25, 68.75)],
    );
    check(
        &s[3],
        &[(10.0, 37.5, 31.25, 43.75), (100.0, 87.5, 81.25, 93.75)],
    );
    // No time to success for linear at point 2: a gap.
    let s = series(SweepMetric::TtsP99, &d);
    check(&s[0], &[(10.0, 1.0, 0.5, 1.5), (100.0, NAN, NAN, NAN)]);
    let s = series(SweepMetric::WastedUsd, &d);
    check(&s[3], &[(10.0, 1.0, NAN, NAN), (100.0, 1.0, NAN, NAN)]);
}

#[test]
fn at_most_four_combinations_are_drawn() {
    assert_eq!(drawn_combinations(0), Vec::<usize>::new());
    assert_eq!(drawn_combinations(1), vec![0]);
    assert_eq!(drawn_combinations(4), vec![0, 1, 2, 3]);
    // 9 combinations: 0, 8/3 → 3, 16/3 → 5, 8.
    assert_eq!(drawn_combinations(9), vec![0, 3, 5, 8]);
    let d = three_axes();
    let s = series(SweepMetric::AttemptsPerRequest, &d);
    assert_eq!(s.len(), 2 * 4);
    // Combination 5 is (1200/min, 2 s): points 5 and 9 + 5 = 14.
    assert_eq!(
        s[2].label,
        "linear · limiter.requests_per_minute=1200 · strategy.*.backoff.base=2s"
    );
    check(&s[2], &[(10.0, 6.0, 6.0, 6.0), (100.0, 15.0, 15.0, 15.0)]);
    assert_eq!(
        s[4].label,
        "jitter · limiter.requests_per_minute=600 · strategy.*.backoff.base=0.5s"
    );
}

#[test]
fn subtitle_says_how_many_replications() {
    let mut d = one_axis();
    assert_eq!(subtitle(&d), "herd · mean of 3 replications per point");
    d.precision = Some(0.005);
    assert_eq!(subtitle(&d), "herd · mean of 3 replications per point");
    d.rows[3].replications = 12;
    assert_eq!(
        subtitle(&d),
        "herd · 3–12 replications per point, until the 95% CI of the success rate was under ±0.5%"
    );
    d.rows.clear();
    d.replications = 1;
    assert_eq!(subtitle(&d), "herd · mean of 1 replication per point");
    assert_eq!(x_title(&one_axis()), "workload.clients (log scale)");
    assert_eq!(x_title(&two_axes()), "workload.clients");
    let mut d = one_axis();
    d.axes[0] = axis("server.latency", &[0.1, 1.0], true, false);
    assert_eq!(x_title(&d), "server.latency (s)");
}

/// The texts of an SVG document; checks that it parses and that no
/// rectangle or circle has a negative size.
fn svg_texts(svg: &str, what: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg", "{what}");
    for n in doc.descendants() {
        for dim in ["width", "height", "r"] {
            if let Some(v) = n.attribute(dim) {
                let v: f64 = v.parse().expect("a number");
                assert!(
                    v >= 0.0,
                    "{what}: <{}> with {dim} = {v}",
                    n.tag_name().name()
                );
            }
        }
    }
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect()
}

/// Width, height and the share of non-white pixels of a PNG.
fn png_inked(png: &[u8]) -> (u32, u32, f64) {
    let mut reader = png::Decoder::new(png).read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    let inked = buf[..info.buffer_size()]
        .chunks(3)
        .filter(|p| p != &[255, 255, 255])
        .count();
    let share = inked as f64 / f64::from(info.width * info.height);
    (info.width, info.height, share)
}

#[test]
fn a_coinciding_line_is_named_in_the_legend() {
    // A third strategy "copy" with the values of the first, "linear",
    // at every point.
    let d = one_axis();
    let mut rows = Vec::new();
    for point in 0..3 {
        let at = |s: usize| {
            d.rows
                .iter()
                .find(|r| r.point == point && r.strategy == s)
                .expect("a row")
                .clone()
        };
        rows.extend([
            at(0),
            at(1),
            SweepRow {
                strategy: 2,
                ..at(0)
            },
        ]);
    }
    let d = data(d.axes.clone(), &["linear", "full-jitter", "copy"], rows);
    for m in SweepMetric::ALL {
        let svg = render_svg(m, &d, Frame::FILE).expect("svg");
        let texts = svg_texts(&svg, m.chart_name());
        assert!(
            texts.iter().any(|t| t == "copy (same as linear)"),
            "{texts:?}"
        );
        assert!(texts.iter().any(|t| t == "full-jitter"), "{texts:?}");
    }
}

#[test]
fn svgs_name_every_strategy_and_axis() {
    for (d, x) in [
        (one_axis(), "workload.clients (log scale)"),
        (two_axes(), "workload.clients"),
    ] {
        for m in SweepMetric::ALL {
            let svg = render_svg(m, &d, Frame::FILE).expect("svg");
            let what = format!("{} {}", d.axes.len(), m.name());
            let texts = svg_texts(&svg, &what);
            let has = |s: &str| texts.iter().any(|t| t == s);
            assert!(has(m.title()), "{what}: no title");
            assert!(has(&subtitle(&d)), "{what}: no subtitle");
            assert!(has(x), "{what}: no x axis title");
            assert!(has(m.axis_title()), "{what}: no y axis title");
            for s in series(m, &d) {
                assert!(has(&s.label), "{what}: no {}", s.label);
            }
            for name in &d.strategies {
                assert!(texts.iter().any(|t| t.starts_with(name.as_str())));
            }
        }
    }
    // More series than the legend names one by one: strategies and
    // combinations apart, with a note on those left out.
    let d = grid(three_axes().axes, &["linear", "jitter", "capped"]);
    let texts = svg_texts(
        &render_svg(SweepMetric::SuccessRate, &d, Frame::FILE).expect("svg"),
        "three keys",
    );
    for t in [
        "linear",
        "jitter",
        "capped",
        "limiter.requests_per_minute=600 · strategy.*.backoff.base=0.5s",
        "limiter.requests_per_minute=2400 · strategy.*.backoff.base=2s",
        "4 of 9 combinations shown; all in sweep.csv",
    ] {
        assert!(texts.iter().any(|x| x == t), "three keys: no {t}");
    }
}

#[test]
fn pngs_decode_at_their_size_and_are_not_blank() {
    let d = one_axis();
    for m in SweepMetric::ALL {
        let (w, h, inked) = png_inked(&render_png(m, &d, Frame::FILE).expect("png"));
        assert_eq!((w, h), (960, 540));
        assert!(inked > 0.01, "{}: {inked}", m.name());
    }
}

#[test]
fn degenerate_sweeps_draw_without_panicking() {
    let mut cases: Vec<(&str, SweepData)> = Vec::new();
    let mut d = one_axis();
    d.rows.clear();
    cases.push(("no rows", d));
    cases.push((
        "one point",
        grid(
            vec![axis("workload.clients", &[50.0], false, false)],
            &["only"],
        ),
    ));
    let mut d = one_axis();
    for r in &mut d.rows {
        r.metrics[1] = e(NAN, NAN, NAN);
    }
    cases.push(("all NaN", d));
    let mut d = one_axis();
    d.strategies.truncate(1);
    d.rows.retain(|r| r.strategy == 0);
    cases.push(("one strategy", d));
    cases.push((
        "same x",
        grid(
            vec![axis("workload.clients", &[5.0, 5.0, 5.0], false, false)],
            &["a", "b"],
        ),
    ));
    cases.push((
        "zero x",
        grid(
            vec![axis("workload.clients", &[0.0, 0.0], false, false)],
            &["a"],
        ),
    ));
    cases.push((
        "log, one value",
        grid(
            vec![axis("workload.clients", &[100.0], false, true)],
            &["a", "b"],
        ),
    ));
    cases.push((
        "log with zero",
        grid(
            vec![axis("workload.clients", &[0.0, 10.0, 1000.0], false, true)],
            &["a"],
        ),
    ));
    let many: Vec<String> = (0..20)
        .map(|i| format!("strategy-{i:02}-with-a-name-long-enough-to-be-shortened"))
        .collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    cases.push((
        "20 strategies",
        grid(
            vec![axis(
                "workload.clients",
                &[10.0, 100.0, 1000.0],
                false,
                true,
            )],
            &many,
        ),
    ));
    cases.push((
        "20 strategies, 2 keys",
        grid(
            vec![
                axis("workload.clients", &[10.0, 100.0], false, true),
                axis(
                    "limiter.requests_per_minute",
                    &[600.0, 1200.0],
                    false,
                    false,
                ),
            ],
            &many,
        ),
    ));
    cases.push(("3 keys", three_axes()));
    cases.push(("no keys", data(Vec::new(), &["a"], Vec::new())));
    cases.push((
        "empty key",
        data(
            vec![axis("workload.clients", &[], false, false)],
            &["a"],
            Vec::new(),
        ),
    ));
    let mut d = one_axis();
    d.strategies.clear();
    cases.push(("no strategies", d));
    let mut d = one_axis();
    for r in &mut d.rows {
        r.replications = 1;
        for m in &mut r.metrics {
            (m.ci95_low, m.ci95_high) = (NAN, NAN);
        }
    }
    cases.push(("one replication", d));
    for (what, d) in &cases {
        for m in SweepMetric::ALL {
            for frame in [Frame::FILE, Frame::NARROW] {
                let svg = render_svg(m, d, frame).unwrap_or_else(|e| panic!("{what}: {e}"));
                svg_texts(&svg, what);
            }
            let (w, h, _) = png_inked(&render_png(m, d, Frame::FILE).expect("png"));
            assert_eq!((w, h), (960, 540), "{what}");
        }
        let page = index_html(d, &[]);
        assert!(page.ends_with("</html>\n"), "{what}");
    }
}

#[test]
fn a_sweep_without_prices_draws_no_wasted_dollars() {
    let mut d = two_axes();
    d.priced = false;
    let files = render_visuals(&d).expect("visuals");
    let names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
    // Three charts of two files each, and the page.
    assert_eq!(names.len(), 7);
    assert!(!names.iter().any(|n| n.starts_with("sweep_wasted_usd")));
    let page = String::from_utf8(files.last().unwrap().1.clone()).unwrap();
    assert!(page.contains("<figure id=\"sweep_wasted_usd\" class=\"left-out\">"));
    assert!(page.contains("sweeps no price, so every run wastes $0"));
    assert!(!page.contains("sweep_wasted_usd.png"));
}

#[test]
fn visual_files_are_what_render_visuals_makes() {
    // Without [report.recovery]: no map.
    // A burst (not an open or closed loop): no goodput chart.
    let files = render_visuals(&two_axes()).expect("visuals");
    let names: Vec<String> = files.iter().map(|f| f.0.clone()).collect();
    let all: Vec<String> = visual_files()
        .into_iter()
        .filter(|n| !n.starts_with(SweepMetric::Goodput.chart_name()))
        .collect();
    let without_map: Vec<String> = all
        .iter()
        .filter(|n| !n.starts_with(map_chart::NAME))
        .cloned()
        .collect();
    assert_eq!(names, without_map);
    assert_eq!(names.len(), 9);
    assert_eq!(names[0], "sweep_success_rate.svg");
    assert_eq!(names[7], "sweep_wasted_usd.png");
    assert_eq!(names[8], "index.html");
    // With it (and two keys): every file.
    let files = render_visuals(&with_recovery(two_axes())).expect("visuals");
    let names: Vec<String> = files.iter().map(|f| f.0.clone()).collect();
    assert_eq!(names, all);
    assert_eq!(names[8], "sweep_recovered_map.svg");
    assert_eq!(names[9], "sweep_recovered_map.png");
    // One key: no map, even with [report.recovery].
    let files = render_visuals(&with_recovery(one_axis())).expect("visuals");
    assert_eq!(files.len(), 9);
}

#[test]
fn page_holds_every_row_and_chart_and_loads_nothing() {
    let d = one_axis();
    let files = render_visuals(&d).expect("visuals");
    let page = String::from_utf8(files.last().expect("page").1.clone()).expect("utf-8");
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<h1>herd</h1>"));
    assert!(page.contains("<p class=\"description\">Clients against one limiter</p>"));
    assert!(
        !page.contains("http"),
        "the page refers to something outside"
    );
    assert_eq!(page.matches("<tr><td>").count(), d.rows.len());
    // linear at 100 clients, each metric ± its half-width; no time to
    // success at 1000 clients.
    assert!(page.contains(
            "<tr><td>100</td><td><span class=\"swatch\" style=\"background:#0072b2\"></span>linear</td>\
             <td>3</td><td>50.0% ± 10.0%</td><td>20s ± 2s</td><td>3.00 ± 0.50</td><td>0.2500 ± 0.0500</td></tr>"
        ));
    assert!(page.contains(
            "<tr><td>1000</td><td><span class=\"swatch\" style=\"background:#0072b2\"></span>linear</td>\
             <td>3</td><td>0.0% ± 0.0%</td><td>-</td><td>8.00 ± 1.00</td><td>1.5000 ± 0.5000</td></tr>"
        ));
    assert!(page.contains("background:#d55e00\"></span>full-jitter</td>"));
    for m in SweepMetric::ALL {
        assert!(page.contains(&format!("<figure id=\"{}\">", m.chart_name())));
        assert_eq!(
            page.matches(&format!("aria-label=\"{}\"", m.title()))
                .count(),
            2
        );
        for f in chart_files(m) {
            assert!(page.contains(&format!("<a href=\"{f}\">")));
        }
    }
    for f in ["summary.csv", "sweep.csv", "scenario.toml"] {
        assert!(page.contains(&format!("<a href=\"{f}\"><code>{f}</code></a>")));
    }
    // Names are escaped; seconds are written as such.
    let mut d = two_axes();
    d.scenario = "a<b".into();
    d.axes[1] = axis("server.latency", &[0.25, 2.0], true, false);
    let page = index_html(&d, &[]);
    assert!(page.contains("<h1>a&lt;b</h1>"));
    assert!(page.contains("<title>a&lt;b — backsim sweep</title>"));
    assert!(page.contains("<tr><td>10</td><td>0.25s</td>"));
    assert!(page.contains("<tr><td>100</td><td>2s</td>"));
}

#[test]
fn long_tables_show_the_first_500_rows() {
    let values: Vec<f64> = (1..=300).map(f64::from).collect();
    let d = grid(
        vec![axis("workload.clients", &values, false, false)],
        &["a", "b"],
    );
    assert_eq!(d.rows.len(), 600);
    let page = index_html(&d, &[]);
    assert_eq!(page.matches("<tr><td>").count(), 500);
    assert!(page.contains("The first 500 rows of 600: the other 100 are in"));
    // Row 500 is point 249 (x = 250), strategy b; row 501 is not shown.
    assert!(page.contains(
        "<tr><td>250</td><td><span class=\"swatch\" style=\"background:#d55e00\"></span>b</td>"
    ));
    assert!(!page.contains("<tr><td>251</td>"));
}

#[test]
fn half_widths_are_the_wider_side() {
    assert_eq!(with_ci(e(0.02, 0.0, 0.05), pct), "2.0% ± 3.0%");
    assert_eq!(with_ci(e(1.5, NAN, NAN), secs), "1.5s");
    assert_eq!(with_ci(e(NAN, NAN, NAN), ratio), "-");
}
