//! Findings: what a report's own numbers say about the choice of a
//! policy, in a few sentences printed after the summary table and placed
//! at the top of `index.html`.
//!
//! Each finding is derived from the report's numbers (as `summary.csv`
//! holds them, so that `backsim plot` redraws the same ones) and shows the
//! numbers it rests on; none is a canned sentence. The kinds, in the order
//! they are listed:
//!
//! - **binding limit**: the limit that caps throughput, the ceiling it
//!   puts on any policy, and which strategies reached it. When every
//!   strategy reached it, the limit, not the policy, sets throughput.
//! - **gave up below the ceiling**: a strategy that gave up requests while
//!   the binding limit would have admitted at least [`UNUSED_SHARE`] of
//!   them before the horizon: a more patient policy could have completed
//!   more.
//! - **identical** and **indistinguishable** strategies: the same numbers
//!   everywhere, or success rates (and, for open and closed loops,
//!   goodputs) whose difference lies inside its 95% confidence interval.
//! - **inert guards**: guards that denied no retry, rejected no attempt
//!   and never opened a breaker in any replication.
//! - **waste**: a strategy whose wasted spend is at least [`WASTE_SHARE`]
//!   of what it was billed.

use super::table::guard_names;
use crate::format::fmt_num;
use crate::format::{grouped, pct, secs, usd, with_ci};
use crate::metrics::summary::{StrategySummary, common_binding};
use crate::model::limiter::{Algorithm, Limit};
use crate::scenario::Scenario;
use std::fmt::Write;

/// A strategy whose successes reach this share of its ceiling is at the
/// ceiling.
pub const AT_CEILING: f64 = 0.95;
/// A strategy that gave up requests while the binding limit would have
/// admitted at least this share of them before the horizon is reported.
pub const UNUSED_SHARE: f64 = 0.10;
/// Wasted spend of at least this share of the billed spend is reported.
pub const WASTE_SHARE: f64 = 0.05;

/// Most strategies a finding names with their figures; the rest are
/// counted.
pub(crate) const MAX_NAMED: usize = 4;

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    BindingLimit,
    GaveUpBelowCeiling,
    Identical,
    Indistinguishable,
    InertGuards,
    Waste,
}

impl Kind {
    /// The name `--json` gives it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::BindingLimit => "binding_limit",
            Kind::GaveUpBelowCeiling => "gave_up_below_ceiling",
            Kind::Identical => "identical",
            Kind::Indistinguishable => "indistinguishable",
            Kind::InertGuards => "inert_guards",
            Kind::Waste => "waste",
        }
    }
}

/// One finding: what it is about, and the sentence with its numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: Kind,
    pub text: String,
}

/// The findings of a run's report, in the order of [`Kind`].
pub fn findings(scenario: &Scenario, summaries: &[&StrategySummary]) -> Vec<Finding> {
    let mut out = Vec::new();
    binding(scenario, summaries, &mut out);
    gave_up(scenario, summaries, &mut out);
    alike(scenario, summaries, &mut out);
    inert_guards(scenario, summaries, &mut out);
    if scenario.priced() {
        waste(summaries, &mut out);
    }
    out
}

/// The findings of a run's results.
pub fn of_result(
    scenario: &Scenario,
    result: &crate::experiment::ExperimentResult,
) -> Vec<Finding> {
    let summaries: Vec<&StrategySummary> = result.strategies.iter().map(|s| &s.summary).collect();
    findings(scenario, &summaries)
}

/// The findings as the terminal shows them: a heading, then one bullet
/// each; empty without findings.
pub fn text(findings: &[Finding]) -> String {
    let mut out = String::new();
    if findings.is_empty() {
        return out;
    }
    out.push_str("\nfindings\n");
    for f in findings {
        let _ = writeln!(out, "- {}", f.text);
    }
    out
}

fn binding(scenario: &Scenario, summaries: &[&StrategySummary], out: &mut Vec<Finding>) {
    let Some((limit, first)) = common_binding(summaries) else {
        return;
    };
    let Some((per_minute, _)) = scenario.limiter.limits()[limit as usize] else {
        return;
    };
    let per_s = first.ceiling_per_s;
    if per_s == 0.0 {
        out.push(Finding {
            kind: Kind::BindingLimit,
            text: format!(
                "{} admitted no attempt in any replication: each costs more than its bucket \
                 holds, so no retry policy gets any through. Raise the bucket or shrink the \
                 requests.",
                limit.key()
            ),
        });
        return;
    }
    // Every strategy is judged over the same period, the longest any was
    // active: one that gave up early has not filled the limit's capacity,
    // however little of it its own short run offered.
    let period = summaries
        .iter()
        .map(|s| s.active_s)
        .filter(|t| t.is_finite())
        .fold(0.0, f64::max);
    let ceiling = |s: &StrategySummary| ceiling_over(scenario, s, limit, period);
    let with: Vec<&&StrategySummary> = summaries
        .iter()
        .filter(|s| s.binding_limit == Some(limit))
        .collect();
    let refused = with
        .iter()
        .any(|s| s.rejected_429_by_limit[limit as usize] > 0.0);
    let reached: Vec<&&&StrategySummary> = with
        .iter()
        .filter(|s| main_succeeded(s) >= AT_CEILING * ceiling(s))
        .collect();
    // A limit that refused nothing and that nobody came near does not bind.
    if !refused && reached.is_empty() {
        return;
    }
    let rate = if limit == Limit::Requests {
        String::new()
    } else {
        format!(
            " ({} tokens per minute at {} tokens per request)",
            grouped(per_minute, 3),
            grouped(per_minute / 60.0 / per_s, 1)
        )
    };
    // Fallback models have limits of their own: a policy that falls back
    // gets past this one.
    let fallback = !scenario.models.is_empty();
    let whatever = if fallback {
        "to the main model, whatever the retry policy (fallback models have limits of their own)"
    } else {
        "whatever the retry policy"
    };
    let mut text = format!(
        "{} binds: at most {} requests per minute ({}/s) get through{rate}, {whatever}; over \
         the {} the longest run was active, with {} at the start, at most {}.",
        limit.key(),
        grouped(per_s * 60.0, 1),
        grouped(per_s, 3),
        duration(period),
        starting_state(scenario.limiter.algorithm),
        grouped(ceiling(first), 1),
    );
    let names = |v: &[&&&StrategySummary]| {
        let mut shown: Vec<String> = v
            .iter()
            .take(MAX_NAMED)
            .map(|s| {
                format!(
                    "{} {} of {}",
                    s.strategy,
                    grouped(main_succeeded(s), 1),
                    grouped(ceiling(s), 1)
                )
            })
            .collect();
        if v.len() > MAX_NAMED {
            shown.push(format!("{} more", v.len() - MAX_NAMED));
        }
        shown.join(", ")
    };
    let on_main = if fallback { " on the main model" } else { "" };
    if reached.len() == summaries.len() && summaries.len() > 1 && !fallback {
        let shares: Vec<String> = summaries
            .iter()
            .map(|s| format!("{} {}", s.strategy, pct(s.success_rate)))
            .collect();
        let _ = write!(
            text,
            " Every strategy completed at least {:.0}% of that ({}): the limit, not the policy, \
             sets throughput, and success shares ({}) differ only in how many requests each gave up.",
            100.0 * AT_CEILING,
            names(&reached),
            shares.join(", ")
        );
    } else if !reached.is_empty() {
        let _ = write!(
            text,
            " At the ceiling (at least {:.0}% of it{on_main}): {}.",
            100.0 * AT_CEILING,
            names(&reached)
        );
    }
    out.push(Finding {
        kind: Kind::BindingLimit,
        text,
    });
}

/// Requests that succeeded on the main model (all of them without
/// fallback models): those the main model's limit let through.
fn main_succeeded(s: &StrategySummary) -> f64 {
    s.models.first().map_or(s.succeeded, |m| m.succeeded)
}

/// The most requests `limit` admits from the start to `period_s` seconds,
/// at the strategy's mean cost of a request (its bucket full at the
/// start).
/// What a limiter of this kind holds when a run starts, in the words of
/// the binding-limit finding.
fn starting_state(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::TokenBucket => "the bucket full",
        Algorithm::LeakyQueue => "the queue empty",
        Algorithm::FixedWindow | Algorithm::SlidingLog | Algorithm::SlidingWindow => {
            "an empty window"
        }
    }
}

fn ceiling_over(scenario: &Scenario, s: &StrategySummary, limit: Limit, period_s: f64) -> f64 {
    let Some((rate, start)) = crate::experiment::load_basis(scenario).limits[limit as usize] else {
        return f64::NAN;
    };
    if s.ceiling_per_s == 0.0 {
        return 0.0;
    }
    let cost = rate / s.ceiling_per_s;
    (start + rate * period_s) / cost
}

fn gave_up(scenario: &Scenario, summaries: &[&StrategySummary], out: &mut Vec<Finding>) {
    // Refused by the limit and given up while it had room before the
    // horizon: patience would have been let in. Where errors and timeouts
    // outnumber the limit's 429s, patience may not cure the give-ups.
    let mut refused = Vec::new();
    let mut other = Vec::new();
    for s in summaries {
        let Some(limit) = s.binding_limit else {
            continue;
        };
        let horizon = crate::time::as_secs_f64(scenario.horizon);
        let room = ceiling_over(scenario, s, limit, horizon) - main_succeeded(s);
        let could = room.min(s.gave_up);
        // Give-ups of under 1% of the requests are not worth a sentence.
        if !(s.gave_up >= 0.01 * s.requests && could >= UNUSED_SHARE * s.gave_up) {
            continue;
        }
        let how_many = if could >= s.gave_up {
            format!("all {}", grouped(s.gave_up, 1))
        } else {
            format!("{} of them", grouped(could, 1))
        };
        let figures = format!(
            "{} gave up {} requests per run ({}) while {} would have admitted {how_many} before \
             the {} horizon (its runs ended after {})",
            s.strategy,
            grouped(s.gave_up, 1),
            pct(s.gave_up / s.requests),
            limit.key(),
            duration(crate::time::as_secs_f64(scenario.horizon)),
            duration(s.active_s),
        );
        // The limit's 429s must outnumber the errors and timeouts for
        // patience to be the cure.
        if s.rejected_429_by_limit[limit as usize] > s.errors_5xx + s.timeouts {
            refused.push(figures);
        } else {
            other.push(figures);
        }
    }
    for (strategies, why) in [
        (
            refused,
            "each was refused by the limit, which had room later: a more patient policy (more \
             attempts, a longer deadline) could complete more",
        ),
        (
            other,
            "most of their failed attempts were errors or timeouts, not the limit's 429s: \
             patience alone may not cure those",
        ),
    ] {
        if !strategies.is_empty() {
            out.push(Finding {
                kind: Kind::GaveUpBelowCeiling,
                text: format!("{}: {why}.", strategies.join("; ")),
            });
        }
    }
}
/// The numbers two strategies must share to be called identical.
fn fingerprint(s: &StrategySummary) -> [f64; 10] {
    [
        s.requests,
        s.success_rate,
        s.success_rate_ci95,
        s.tts_mean_s,
        s.tts_p99_s,
        s.attempts_per_request,
        s.rejected_429,
        s.gave_up,
        s.peak_load,
        s.billed_tokens,
    ]
}

fn same(a: &StrategySummary, b: &StrategySummary) -> bool {
    fingerprint(a)
        .iter()
        .zip(fingerprint(b))
        .all(|(x, y)| x == &y || (x.is_nan() && y.is_nan()))
}

/// Whether two means with 95% CI half-widths are indistinguishable: their
/// difference lies within √(h_a² + h_b²), the half-width of the
/// difference of independent means. Unknown (false) without both CIs.
fn indistinguishable(a: f64, ha: f64, b: f64, hb: f64) -> bool {
    let h = (ha * ha + hb * hb).sqrt();
    h.is_finite() && a.is_finite() && b.is_finite() && (a - b).abs() <= h
}

fn alike(scenario: &Scenario, summaries: &[&StrategySummary], out: &mut Vec<Finding>) {
    // Identical: equality is transitive, so strategies form groups.
    let mut group_of: Vec<usize> = (0..summaries.len()).collect();
    for i in 0..summaries.len() {
        if let Some(j) = (0..i).find(|&j| same(summaries[i], summaries[j])) {
            group_of[i] = group_of[j];
        }
    }
    for g in 0..summaries.len() {
        let members: Vec<&StrategySummary> = (0..summaries.len())
            .filter(|&i| group_of[i] == g)
            .map(|i| summaries[i])
            .collect();
        if members.len() < 2 {
            continue;
        }
        let s = members[0];
        out.push(Finding {
            kind: Kind::Identical,
            text: format!(
                "{} give identical results (success {}, {} attempts per request, p99 time to \
                 success {}): whatever differs between them never came into play.",
                list(members.iter().map(|m| m.strategy.as_str())),
                pct(s.success_rate),
                fmt_num(s.attempts_per_request, 2),
                secs(s.tts_p99_s),
            ),
        });
    }
    // Indistinguishable: not transitive, so groups in which every pair is.
    let stream = scenario.workload.kind.is_stream();
    let success = |a: &StrategySummary, b: &StrategySummary| {
        indistinguishable(
            a.success_rate,
            a.success_rate_ci95,
            b.success_rate,
            b.success_rate_ci95,
        )
    };
    let goodput = |a: &StrategySummary, b: &StrategySummary| {
        indistinguishable(
            a.goodput_per_s,
            a.goodput_ci95,
            b.goodput_per_s,
            b.goodput_ci95,
        )
    };
    let mut grouped = vec![false; summaries.len()];
    for i in 0..summaries.len() {
        if grouped[i] {
            continue;
        }
        let mut members = vec![i];
        for j in i + 1..summaries.len() {
            let fits = members
                .iter()
                .all(|&m| group_of[m] != group_of[j] && success(summaries[m], summaries[j]));
            if !grouped[j] && fits {
                members.push(j);
            }
        }
        if members.len() < 2 {
            continue;
        }
        for &m in &members {
            grouped[m] = true;
        }
        let pairs = || {
            members
                .iter()
                .enumerate()
                .flat_map(|(k, &a)| members[k + 1..].iter().map(move |&b| (a, b)))
        };
        let also_goodput = stream && pairs().all(|(a, b)| goodput(summaries[a], summaries[b]));
        let figures = members.iter().map(|&m| {
            let s = summaries[m];
            let mut f = format!(
                "{} ({} ± {}",
                s.strategy,
                pct(s.success_rate),
                pct(s.success_rate_ci95)
            );
            if also_goodput {
                let _ = write!(f, ", {}/s", with_ci(s.goodput_per_s, s.goodput_ci95));
            }
            f.push(')');
            f
        });
        out.push(Finding {
            kind: Kind::Indistinguishable,
            text: format!(
                "{} are statistically indistinguishable in success rate{}: every difference \
                 between them lies inside its 95% confidence interval; more replications \
                 (--precision) may separate them, or they are as good as each other here.",
                list_owned(figures.collect()),
                if also_goodput { " and goodput" } else { "" },
            ),
        });
    }
}

fn inert_guards(scenario: &Scenario, summaries: &[&StrategySummary], out: &mut Vec<Finding>) {
    use crate::policy::guard::Throttle;
    for (s, st) in summaries.iter().zip(&scenario.strategies) {
        let g = &st.guards;
        // Each guard's action is counted: a budget (or a retries breaker)
        // denies retries, a breaker opens, the SRE throttle rejects
        // attempts locally (as does an open breaker, which here never
        // opened). The AWS adaptive throttle delays attempts, which no
        // counter shows, so it is never called inert.
        let breaker_idle = s.breaker_open_s == 0.0;
        let mut inert = Vec::new();
        if g.budget.is_some() && s.retries_denied == 0.0 {
            inert.push("retry budget denied no retry");
        }
        if g.breaker.is_some() && breaker_idle && s.retries_denied == 0.0 {
            inert.push("breaker never opened");
        }
        if matches!(g.throttle, Some(Throttle::Sre { .. }))
            && s.local_rejections == 0.0
            && breaker_idle
        {
            inert.push("throttle rejected no attempt");
        }
        if inert.is_empty() {
            continue;
        }
        out.push(Finding {
            kind: Kind::InertGuards,
            text: format!(
                "Guards that never acted: in {} replications, {}'s {} ({}). Here {} changed \
                 nothing: guard state is kept per client, and a client may not send enough to \
                 fill it.",
                s.replications,
                s.strategy,
                list_owned(inert.iter().map(|x| x.to_string()).collect()),
                guard_names(st),
                if inert.len() == 1 { "it" } else { "they" },
            ),
        });
    }
}
fn waste(summaries: &[&StrategySummary], out: &mut Vec<Finding>) {
    let wasteful: Vec<String> = summaries
        .iter()
        .filter(|s| s.billed_usd > 0.0 && s.wasted_usd >= WASTE_SHARE * s.billed_usd)
        .map(|s| {
            format!(
                "{} ${} per run ({} of ${} billed; {} tokens)",
                s.strategy,
                usd(s.wasted_usd),
                pct(s.wasted_usd / s.billed_usd),
                usd(s.billed_usd),
                grouped(s.wasted_tokens, 0),
            )
        })
        .collect();
    if !wasteful.is_empty() {
        out.push(Finding {
            kind: Kind::Waste,
            text: format!(
                "Wasted spend of at least {:.0}% of what was billed, on generations nobody used \
                 (abandoned on timeout or duplicated by a retry): {}.",
                100.0 * WASTE_SHARE,
                wasteful.join("; ")
            ),
        });
    }
}
/// Seconds as a duration: "10.2s" under a minute, else to the second,
/// e.g. "3m57s", "10m", "1h0m5s".
fn duration(s: f64) -> String {
    if !(s.is_finite() && s >= 0.0) {
        return "-".into();
    }
    if s < 60.0 {
        return format!("{}s", fmt_num(s, 1));
    }
    let t = s.round() as u64;
    let (h, m, sec) = (t / 3600, t / 60 % 60, t % 60);
    let mut out = String::new();
    if h > 0 {
        let _ = write!(out, "{h}h");
    }
    if m > 0 || (h > 0 && sec > 0) {
        let _ = write!(out, "{m}m");
    }
    if sec > 0 {
        let _ = write!(out, "{sec}s");
    }
    out
}

/// "a", "a and b", "a, b and c".
fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    list_owned(names.map(str::to_string).collect())
}

fn list_owned(names: Vec<String>) -> String {
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}
