//! The findings of a sweep: what its points say about the strategies
//! across the swept values, in the words of the run findings
//! ([`crate::report::run::findings`]).

use super::data::{SweepData, SweepMetric, SweepRow};
use crate::format::{fmt_num, grouped, pct, secs, with_ci};
use crate::report::run::findings::{AT_CEILING, Finding, Kind, MAX_NAMED};
use std::fmt::Write;

/// The findings of a sweep: where throughput meets the binding limit's
/// ceiling along the first swept key. For each strategy (and combination
/// of the other keys), the first point at which its goodput reaches
/// [`AT_CEILING`] of what the binding limit admits per second in the long
/// run; past it, a larger value of the key adds 429s and give-ups, not
/// throughput. Only for open and closed loops: a burst's goodput over its
/// short active period says nothing about a rate.
pub fn of_sweep(data: &SweepData) -> Vec<Finding> {
    let Some(axis) = data.axes.first().filter(|_| data.stream) else {
        return Vec::new();
    };
    // Rows by line: the same strategy and values of the other keys, in
    // the order of the first key (the grid varies the first key slowest).
    let mut lines: Vec<(usize, Vec<f64>, Vec<&SweepRow>)> = Vec::new();
    for r in &data.rows {
        let values = data.point_values(r.point);
        let others = values[1..].to_vec();
        match lines
            .iter_mut()
            .find(|(s, o, _)| *s == r.strategy && *o == others)
        {
            Some(line) => line.2.push(r),
            None => lines.push((r.strategy, others, vec![r])),
        }
    }
    let show = |x: f64| {
        if axis.seconds { secs(x) } else { grouped(x, 6) }
    };
    let success = |r: &SweepRow| r.estimate(SweepMetric::SuccessRate).value;
    let attempts = |r: &SweepRow| r.estimate(SweepMetric::AttemptsPerRequest).value;
    let mut reached = Vec::new();
    let mut limit = None;
    for (strategy, others, rows) in &lines {
        let Some(at) = rows.iter().position(|r| {
            r.binding_limit.is_some() && r.goodput_per_s >= AT_CEILING * r.ceiling_per_s
        }) else {
            continue;
        };
        // Only a ceiling that stays put: where the swept key moves it (a
        // limit's rate, the request sizes) or another limit binds further
        // on, "more of the key adds no throughput" would be false.
        let steady = rows[at..].iter().all(|r| {
            r.binding_limit == rows[at].binding_limit
                && (r.ceiling_per_s - rows[at].ceiling_per_s).abs() <= 0.02 * rows[at].ceiling_per_s
        });
        if !steady {
            continue;
        }
        let (first, last) = (rows[at], rows[rows.len() - 1]);
        limit = limit.or(first.binding_limit.map(|l| (l, first.ceiling_per_s)));
        let mut name = data.strategies[*strategy].clone();
        if !others.is_empty() {
            let keys: Vec<String> = data.axes[1..]
                .iter()
                .zip(others)
                .map(|(a, v)| format!("{} = {}", a.key, fmt_num(*v, 6)))
                .collect();
            let _ = write!(name, " ({})", keys.join(", "));
        }
        let mut text = format!(
            "{name} from {} = {} on ({}/s against {}/s)",
            axis.key,
            show(data.point_values(first.point)[0]),
            with_ci(first.goodput_per_s, first.goodput_ci95),
            fmt_num(first.ceiling_per_s, 3),
        );
        if last.point != first.point {
            let _ = write!(
                text,
                ", and from there to {}: success {} → {}, attempts per request {} → {}",
                show(data.point_values(last.point)[0]),
                pct(success(first)),
                pct(success(last)),
                fmt_num(attempts(first), 2),
                fmt_num(attempts(last), 2),
            );
        }
        reached.push(text);
    }
    let Some((limit, ceiling)) = limit else {
        return Vec::new();
    };
    let more = reached.len().saturating_sub(MAX_NAMED);
    reached.truncate(MAX_NAMED);
    if more > 0 {
        reached.push(format!("{more} more"));
    }
    vec![Finding {
        kind: Kind::BindingLimit,
        text: format!(
            "{} caps throughput at about {}/s in the long run (a run's initial burst adds a little), \
             whatever the retry policy; goodput reaches {:.0}% of it: {}. Past that point a larger \
             {} adds 429s and give-ups, not throughput.",
            limit.key(),
            fmt_num(ceiling, 3),
            100.0 * AT_CEILING,
            reached.join("; "),
            axis.key,
        ),
    }]
}
