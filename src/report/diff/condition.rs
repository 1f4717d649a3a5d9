//! `--fail-if` conditions on the change of a metric: parsing them, and
//! which hold for which (strategy, point); [`super::print::held_message`]
//! says so.

use super::compare::*;
use crate::Error;

/// How a `--fail-if` condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
}

/// A `--fail-if` condition: `METRIC OP CHANGE`, the change B − A of the
/// metric (`success_rate < -0.01`) or, with `%`, its change relative to
/// A (`tts_p99_s > +10%`).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// As given.
    pub text: String,
    pub metric: String,
    pub op: Op,
    /// The threshold; a fraction when `relative` (10% is 0.1).
    pub threshold: f64,
    pub relative: bool,
}

/// The form of a condition, for messages.
pub(crate) const CONDITION_FORM: &str = "expected METRIC OP CHANGE with OP one of <, <=, >, >= and CHANGE a number, or a percentage for a relative change (e.g. \"success_rate < -0.01\", \"tts_p99_s > +10%\")";

impl Condition {
    /// Parses a condition; the message says what is wrong and what would do.
    ///
    /// ```
    /// use backsim::report::diff::{Condition, Op};
    /// let c = Condition::parse("tts_p99_s > +10%").unwrap();
    /// assert_eq!((c.metric.as_str(), c.op, c.threshold, c.relative), ("tts_p99_s", Op::Gt, 0.1, true));
    /// assert!(Condition::parse("success_rate = 0").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Condition, String> {
        let bad = |what: String| format!("{what}; {CONDITION_FORM}");
        let at = text
            .find(['<', '>'])
            .ok_or_else(|| bad(format!("\"{text}\" has no comparison")))?;
        let metric = text[..at].trim();
        let rest = &text[at..];
        let (op, rest) = match rest.as_bytes() {
            [b'<', b'=', ..] => (Op::Le, &rest[2..]),
            [b'>', b'=', ..] => (Op::Ge, &rest[2..]),
            [b'<', ..] => (Op::Lt, &rest[1..]),
            _ => (Op::Gt, &rest[1..]),
        };
        if metric.is_empty() {
            return Err(bad(format!("\"{text}\" names no metric")));
        }
        if !metric
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(bad(format!(
                "\"{metric}\" is not a metric name (a summary.csv column: letters, digits and _)"
            )));
        }
        let number = rest.trim();
        let (number, relative) = match number.strip_suffix('%') {
            Some(n) => (n.trim_end(), true),
            None => (number, false),
        };
        let value = number
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| bad(format!("\"{number}\" is not a number")))?;
        Ok(Condition {
            text: text.trim().to_string(),
            metric: metric.to_string(),
            op,
            threshold: if relative { value / 100.0 } else { value },
            relative,
        })
    }

    /// Whether `x` (a change) satisfies the comparison; never for NaN.
    pub fn compares(&self, x: f64) -> bool {
        match self.op {
            Op::Lt => x < self.threshold,
            Op::Le => x <= self.threshold,
            Op::Gt => x > self.threshold,
            Op::Ge => x >= self.threshold,
        }
    }

    /// Whether the condition holds for `m`: the change satisfies it and is
    /// significant, or the metric is not tested.
    pub fn holds(&self, m: &MetricDiff) -> bool {
        let x = if self.relative { m.relative } else { m.change };
        self.compares(x) && m.significant != Some(false)
    }
}

/// A condition that holds, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub condition: String,
    pub strategy: String,
    pub point: Vec<String>,
    pub metric: MetricDiff,
}

/// The conditions that hold, row by row, in row then condition order.
/// A metric in neither report, or in one only, is wrong input (exit 2).
pub fn check(d: &Diff, conditions: &[Condition]) -> Result<Vec<Held>, Error> {
    for c in conditions {
        let known: Vec<&str> = d.metrics.iter().map(String::as_str).collect();
        if !known.contains(&c.metric.as_str()) {
            // tune's goal names leave the unit out (goodput, tts_p99): the
            // column is the name with its unit after an underscore.
            let with_unit: Vec<&&str> = known
                .iter()
                .filter(|k| {
                    k.strip_prefix(c.metric.as_str())
                        .is_some_and(|rest| rest.starts_with('_') && !rest.contains("ci95"))
                })
                .collect();
            if let [column] = with_unit[..] {
                return Err(Error::Input(format!(
                    "--fail-if \"{}\": unknown metric \"{}\"; did you mean \"{column}\"? (summary.csv names it with its unit)",
                    c.text, c.metric
                )));
            }
            return Err(Error::Input(format!(
                "--fail-if \"{}\": {}",
                c.text,
                crate::scenario::unknown_name("metric", &c.metric, &known)
            )));
        }
        let in_both = d
            .rows
            .iter()
            .flat_map(|r| &r.metrics)
            .find(|m| m.metric == c.metric)
            .is_none_or(|m| m.in_a && m.in_b);
        if !in_both {
            return Err(Error::Input(format!(
                "--fail-if \"{}\": the metric `{}` is in the summary.csv of one report only, so its change is unknown",
                c.text, c.metric
            )));
        }
    }
    let mut held = Vec::new();
    for r in &d.rows {
        for c in conditions {
            if let Some(m) = r.metrics.iter().find(|m| m.metric == c.metric)
                && c.holds(m)
            {
                held.push(Held {
                    condition: c.text.clone(),
                    strategy: r.strategy.clone(),
                    point: r.point.clone(),
                    metric: m.clone(),
                });
            }
        }
    }
    Ok(held)
}
