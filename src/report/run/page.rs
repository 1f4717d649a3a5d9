//! A run's `index.html`: the scenario, the findings, the summary table,
//! every chart inline as SVG (drawn again, interactive, by the page's
//! script from [`super::interactive`]'s numbers), the resolved scenario
//! and the command that reproduces it; written with the shared page
//! writer ([`crate::report::page`]).

use super::chart::{Chart, line_plan, subtitle};
use super::read::ReportData;
use super::table::{guard_names, success};
use crate::format::{count, ratio, secs, usd, with_ci};
use crate::report::page::{
    escape, figure, findings_list, header_cells, left_out, page_end, page_head,
};
use crate::report::plot::{Layout, LinePlan, MAX_OVERLAID, strategy_color_hex};
use crate::time::format_duration;
use std::fmt::Write;

/// How to read each chart, in one or two sentences for a newcomer.
fn caption(chart: Chart) -> &'static str {
    match chart {
        Chart::LoadOverTime => {
            "Each line counts the attempts (first tries and retries) that reach the provider per second. \
             Above the dashed line the limiter cannot admit them all and answers 429: the height of a spike \
             over the line is the thundering herd a strategy causes. Grey bands are outages."
        }
        Chart::TimeToSuccessCdf => {
            "How long requests took to succeed, counted from their first attempt (log time axis). \
             A line further left is faster; where a line ends is the share of requests that succeeded at all."
        }
        Chart::SuccessRate => {
            "Share of requests that succeeded before giving up or the end of the horizon. \
             The whiskers are the 95% confidence interval over replications: where they overlap, \
             the difference may be noise."
        }
        Chart::Cost => {
            "What the provider bills per run. The pale part paid for generations that a client had \
             already abandoned (timed out), so nobody used them."
        }
        Chart::Attempts => {
            "How many attempts the requests that ended (succeeded or gave up) needed. \
             Bars further right mean more retries, and more load on the provider."
        }
    }
}

/// A list of names in prose: "a", "a and b", "a, b and c".
fn and_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// What the page says of how a line chart is drawn: its panels and
/// why, and which strategies draw the same line (`names` in scenario
/// order).
pub fn layout_notes(plan: &LinePlan, names: &[&str]) -> Vec<String> {
    let mut notes = Vec::new();
    let panels = "one panel per strategy, its line in its colour over the others in grey; \
                  every panel has the same axes.";
    match plan.layout {
        Layout::Overlaid => {}
        Layout::PanelsForMany => notes.push(format!(
            "With more than {MAX_OVERLAID} strategies one plot would be a tangle of lines: {panels}"
        )),
        Layout::PanelsForBusy(i) => notes.push(format!(
            "The line of {} swings so often that it would hide the others: {panels}",
            names.get(i).copied().unwrap_or("a strategy")
        )),
    }
    for (first, _) in plan.same_as.iter().enumerate().filter(|(_, s)| s.is_none()) {
        let group: Vec<&str> = (0..plan.same_as.len())
            .filter(|&j| j == first || plan.same_as[j] == Some(first))
            .filter_map(|j| names.get(j).copied())
            .collect();
        if group.len() < 2 {
            continue;
        }
        let how = if plan.layout == Layout::Overlaid {
            " (one line, in their colours in turn)"
        } else {
            ""
        };
        notes.push(format!(
            "{} draw the same line{how}: their results coincide here.",
            and_list(&group)
        ));
    }
    notes
}

/// A chart as the page shows it: the file's SVG on wide screens, a
/// narrower drawing (same text sizes, untitled: the page's heading names
/// it) on phone-width screens.
#[derive(Debug, Clone)]
pub struct PageChart {
    pub chart: Chart,
    pub wide: String,
    pub narrow: String,
}

/// The page of a report, with its charts in page order.
pub fn index_html(data: &ReportData, charts: &[PageChart]) -> String {
    let s = &data.scenario;
    let mut h = String::new();
    let reps = s.replications;
    h.push_str(&page_head(&format!("{} — backsim report", s.name)));
    let _ = writeln!(h, "<header>\n<h1>{}</h1>", escape(&s.name));
    if !s.description.is_empty() {
        let _ = writeln!(h, "<p class=\"description\">{}</p>", escape(&s.description));
    }
    let _ = writeln!(
        h,
        "<p class=\"meta\">{} strateg{} · {reps} replication{} each · horizon {} · seed {} · backsim {}</p>\n</header>",
        s.strategies.len(),
        if s.strategies.len() == 1 { "y" } else { "ies" },
        if reps == 1 { "" } else { "s" },
        format_duration(s.horizon),
        s.seed,
        env!("CARGO_PKG_VERSION"),
    );

    h.push_str(&findings_section(data));
    h.push_str("<section>\n<h2>Summary</h2>\n<div class=\"scroll\">\n<table>\n<thead><tr>");
    header_cells(
        &mut h,
        &[
            ("strategy", ""),
            ("succeeded", "requests that succeeded, per run"),
            (
                "goodput/s",
                "successes per second of active period, ± the 95% confidence half-width",
            ),
            ("success", "share of requests that succeeded"),
            ("p50 tts", "median time to success"),
            ("p90 tts", "90th percentile of time to success"),
            ("p99 tts", "99th percentile of time to success"),
            ("attempts/req", "attempts per request, retries included"),
            ("429s", "attempts rejected by the limiter, per run"),
            ("timeouts", "attempts abandoned on client timeout, per run"),
            ("gave up", "requests that ended without success, per run"),
            (
                "peak load",
                "peak demand on the binding limit over its refill in the same window",
            ),
            ("billed $", "USD billed per run"),
            ("wasted $", "USD billed per run for generations nobody used"),
        ],
    );
    for (i, st) in data.result.strategies.iter().enumerate() {
        let m = &st.summary;
        strategy_cell(&mut h, i, &m.strategy);
        for cell in [
            count(m.succeeded),
            with_ci(m.goodput_per_s, m.goodput_ci95),
            success(m),
            secs(m.tts_p50_s),
            secs(m.tts_p90_s),
            secs(m.tts_p99_s),
            ratio(m.attempts_per_request),
            count(m.rejected_429),
            count(m.timeouts),
            count(m.gave_up),
            ratio(m.peak_load),
            usd(m.billed_usd),
            usd(m.wasted_usd),
        ] {
            let _ = write!(h, "<td>{}</td>", escape(&cell));
        }
        h.push_str("</tr>\n");
    }
    let _ = writeln!(
        h,
        "</tbody>\n</table>\n</div>\n<p class=\"note\">Means per replication; success is ± the 95% \
         confidence half-width. Time to success runs from a request's first attempt to its successful \
         answer; goodput counts successes per second from the start to the run's last event. Peak load \
         is the most demand on the binding limit ({}) arriving in one {} window, in its unit, over \
         what it refills in that window. Every column, unrounded, is in <code>summary.csv</code> \
         next to this page.</p>\n</section>",
        binding_note(data),
        format_duration(s.report.peak_window)
    );

    h.push_str(&models_table(data));
    h.push_str(&guards_table(data));
    h.push_str("<section>\n<h2>Charts</h2>\n");
    for chart in Chart::ALL {
        if let Some(why) = chart.left_out(s) {
            h.push_str(&left_out(chart.name(), chart.title(), why));
            continue;
        }
        let Some(c) = charts.iter().find(|c| c.chart == chart) else {
            continue;
        };
        let mut text = caption(chart).to_string();
        if let Some(plan) = line_plan(chart, data) {
            let names: Vec<&str> = s.strategies.iter().map(|s| s.name.as_str()).collect();
            for note in layout_notes(&plan, &names) {
                text.push(' ');
                text.push_str(&note);
            }
        }
        h.push_str(&figure(
            chart.name(),
            chart.title(),
            &subtitle(data, chart),
            (&c.wide, &c.narrow),
            &text,
        ));
    }
    h.push_str("</section>\n");

    let _ = writeln!(
        h,
        "<section>\n<h2>Reproduce</h2>\n<p>Run in this folder, with the same backsim version ({}), this \
         command simulates the scenario below again and writes the same numbers, byte for byte, to \
         <code>rerun/{}/</code>, leaving this report as it is:</p>\n\
         <pre><code>backsim run scenario.toml --out rerun</code></pre>\n\
         <p>To redraw the charts and this page from the CSV files here, without simulating again:</p>\n\
         <pre><code>backsim plot .</code></pre>\n</section>",
        env!("CARGO_PKG_VERSION"),
        escape(&s.name)
    );
    let _ = writeln!(
        h,
        "<section>\n<h2>Scenario</h2>\n<p class=\"note\">The resolved scenario: the file as run, with \
         every default filled in (<code>scenario.toml</code>).</p>\n<details open>\n\
         <summary>scenario.toml</summary>\n<pre><code>{}</code></pre>\n</details>\n</section>",
        escape(data.scenario_text.trim_end())
    );
    let drawn: Vec<Chart> = charts.iter().map(|c| c.chart).collect();
    h.push_str(&page_end(&super::interactive::charts_json(data, &drawn)));
    h
}

/// Where the attempts went and what they cost, per strategy and model:
/// billed dollars, and wasted dollars split into input and output.
fn models_table(data: &ReportData) -> String {
    let mut h = String::from(
        "<section>\n<h2>Cost by model</h2>\n<div class=\"scroll\">\n<table class=\"by-model\">\n<thead><tr>",
    );
    for col in [
        "strategy",
        "model",
        "attempts",
        "succeeded",
        "429s",
        "5xx",
        "timeouts",
        "billed $",
        "wasted input $",
        "wasted output $",
    ] {
        let _ = write!(h, "<th>{col}</th>");
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for (i, st) in data.result.strategies.iter().enumerate() {
        for m in &st.summary.models {
            let _ = write!(
                h,
                "<tr><td><span class=\"swatch\" style=\"background:{}\"></span>{}</td><td>{}</td>",
                strategy_color_hex(i),
                escape(&st.summary.strategy),
                escape(&m.model)
            );
            for cell in [
                count(m.attempts),
                count(m.succeeded),
                count(m.rejected_429),
                count(m.errors_5xx),
                count(m.timeouts),
                usd(m.billed_usd),
                usd(m.wasted_input_usd),
                usd(m.wasted_output_usd),
            ] {
                let _ = write!(h, "<td>{}</td>", escape(&cell));
            }
            h.push_str("</tr>\n");
        }
    }
    h.push_str(
        "</tbody>\n</table>\n</div>\n<p class=\"note\">Means per replication, per model a strategy \
         sent attempts to (the main model first). Wasted dollars paid for generations no client \
         used: input and output tokens of abandoned attempts. Details in <code>models.csv</code>.</p>\n</section>\n",
    );
    h
}

/// Opens a table row with strategy `i`'s colour swatch and name.
fn strategy_cell(h: &mut String, i: usize, name: &str) {
    let _ = write!(
        h,
        "<tr><td><span class=\"swatch\" style=\"background:{}\"></span>{}</td>",
        strategy_color_hex(i),
        escape(name)
    );
}

/// What the strategies' guards did (nothing when no strategy has one).
fn guards_table(data: &ReportData) -> String {
    let strategies = &data.scenario.strategies;
    if strategies.iter().all(|s| s.guards.is_empty()) {
        return String::new();
    }
    let mut h =
        String::from("<section>\n<h2>Guards</h2>\n<div class=\"scroll\">\n<table>\n<thead><tr>");
    header_cells(
        &mut h,
        &[
            ("strategy", ""),
            ("guards", "retry budget, circuit breaker and throttle"),
            (
                "retries denied",
                "retries a budget or retry breaker denied, per run",
            ),
            (
                "local rejections",
                "attempts rejected before sending, per run",
            ),
            (
                "breaker open",
                "time a client's breaker was open, mean over clients",
            ),
        ],
    );
    for (i, (st, config)) in data.result.strategies.iter().zip(strategies).enumerate() {
        if config.guards.is_empty() {
            continue;
        }
        let m = &st.summary;
        strategy_cell(&mut h, i, &m.strategy);
        for cell in [
            guard_names(config),
            count(m.retries_denied),
            count(m.local_rejections),
            secs(m.breaker_open_s),
        ] {
            let _ = write!(h, "<td>{}</td>", escape(&cell));
        }
        h.push_str("</tr>\n");
    }
    h.push_str(
        "</tbody>\n</table>\n</div>\n<p class=\"note\">Means per replication. A denied retry or a \
         local rejection ends its request as given up; locally rejected attempts never reach the \
         provider and are not counted as attempts.</p>\n</section>\n",
    );
    h
}

/// The binding limit as the page's note names it: its key, or the keys
/// per strategy when they differ, or "none" without limits.
fn binding_note(data: &ReportData) -> String {
    let keys: Vec<&str> = data
        .result
        .strategies
        .iter()
        .map(|s| s.summary.binding_limit.map_or("none", |l| l.key()))
        .collect();
    match keys.first() {
        Some(first) if keys.iter().all(|k| k == first) => format!("<code>{first}</code>"),
        _ => "per strategy, <code>binding_limit</code> in <code>summary.csv</code>".to_string(),
    }
}

/// The findings, first thing on the page; nothing without findings.
fn findings_section(data: &ReportData) -> String {
    findings_list(
        super::findings::of_result(&data.scenario, &data.result)
            .iter()
            .map(|f| f.text.as_str()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_says_how_line_charts_are_drawn() {
        let plan = |same_as: Vec<Option<usize>>, layout| LinePlan {
            lines: vec![Vec::new(); same_as.len()],
            same_as,
            layout,
        };
        let names = ["a", "b", "c", "d"];
        assert_eq!(
            layout_notes(
                &plan(vec![None, Some(0), None, Some(0)], Layout::Overlaid),
                &names
            ),
            [
                "a, b and d draw the same line (one line, in their colours in turn): their results coincide here."
            ]
        );
        let notes = layout_notes(&plan(vec![None; 4], Layout::PanelsForBusy(2)), &names);
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].starts_with("The line of c swings so often"),
            "{notes:?}"
        );
        assert!(layout_notes(&plan(vec![None; 4], Layout::Overlaid), &names).is_empty());
    }
}
