//! The values of a `[sweep]` entry as written: a list or a range
//! `{ from, to, steps, scale }`, what is wrong with them and where, and
//! their expansion into the values swept.

use super::{MAX_POINTS, SweepValue, ValuesSpec};
use crate::diagnostic::{datetime_type, show_number};
use crate::time::parse_duration;
use toml::{Table, Value};

/// Where in a `[sweep]` entry's value a problem is.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Part {
    /// The whole list or range.
    Whole,
    /// A list's element, from 0.
    Element(usize),
    /// The value of a range's key (`from`, `to`, `steps`, `scale`).
    Key(String),
}

/// A `[sweep]` entry's values as written.
#[derive(Debug, Clone)]
pub(super) enum Written {
    List(Vec<SweepValue>),
    Range {
        from: SweepValue,
        to: SweepValue,
        steps: u32,
        log: bool,
    },
}

impl Written {
    /// How many values the entry gives.
    pub(super) fn count(&self) -> usize {
        match self {
            Written::List(values) => values.len(),
            Written::Range { steps, .. } => *steps as usize,
        }
    }

    /// The values written in the file, which must each fit the key: a
    /// list's elements, a range's ends.
    pub(super) fn each(&self) -> Vec<(Part, SweepValue)> {
        match self {
            Written::List(values) => values
                .iter()
                .enumerate()
                .map(|(i, v)| (Part::Element(i), *v))
                .collect(),
            Written::Range { from, to, .. } => vec![
                (Part::Key("from".into()), *from),
                (Part::Key("to".into()), *to),
            ],
        }
    }

    /// The values in sweep order (of one kind), and how they were given.
    pub(super) fn expand(&self) -> Result<(Vec<SweepValue>, ValuesSpec), String> {
        match *self {
            Written::List(ref values) => Ok((unify(values.clone())?, ValuesSpec::List)),
            Written::Range {
                from,
                to,
                steps,
                log,
            } => range_values(from, to, steps, log),
        }
    }
}

/// The keys of a range.
pub(super) const RANGE_KEYS: [&str; 4] = ["from", "to", "steps", "scale"];

/// The values of a list or a range, as written, or what is wrong with
/// them, where.
pub(super) fn written(v: &Value) -> Result<Written, Vec<(Part, String)>> {
    match v {
        Value::Array(items) => {
            if items.is_empty() {
                let empty = "the list is empty; give at least one value";
                return Err(vec![(Part::Whole, empty.into())]);
            }
            let mut values = Vec::new();
            let mut wrong = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match scalar(item) {
                    Ok(v) => values.push(v),
                    // The rest would not be reported.
                    Err(_) if wrong.len() == crate::diagnostic::MAX_PROBLEMS => break,
                    Err(m) => wrong.push((Part::Element(i), m)),
                }
            }
            if !wrong.is_empty() {
                return Err(wrong);
            }
            let again = repeats(&values);
            if !again.is_empty() {
                return Err(again
                    .into_iter()
                    .map(|(first, i)| {
                        let v = values[i].text();
                        (
                            Part::Element(i),
                            format!("{v} repeats element {first}; list each value once"),
                        )
                    })
                    .collect());
            }
            Ok(Written::List(values))
        }
        Value::Table(t) => range(t),
        other => Err(vec![(
            Part::Whole,
            format!(
                "is {}; give a list of values ([10, 100]) or a range ({{ from = 10, to = 100, steps = 5 }})",
                describe(other)
            ),
        )]),
    }
}

/// A number or a duration string.
fn scalar(v: &Value) -> Result<SweepValue, String> {
    match v {
        Value::Integer(i) => Ok(SweepValue::Int(*i)),
        Value::Float(x) if x.is_finite() => Ok(SweepValue::Float(*x)),
        Value::Float(x) => Err(format!(
            "{} is not a finite number; sweep values are numbers or durations",
            show_number(*x)
        )),
        Value::String(s) => parse_duration(s).map(SweepValue::Duration).map_err(|e| {
            format!("\"{s}\" is not a duration ({e}); sweep values are numbers or durations")
        }),
        other => Err(format!(
            "{} cannot be swept; values are numbers or durations such as \"250ms\"",
            describe(other)
        )),
    }
}

/// A TOML value in a message about a range's `steps` or `scale`.
fn value_text(v: &Value) -> String {
    match v {
        Value::Float(x) => show_number(*x),
        v => v.to_string(),
    }
}

/// Makes a list's values one kind: whole numbers mixed with other numbers
/// become numbers; durations mix only with durations.
fn unify(values: Vec<SweepValue>) -> Result<Vec<SweepValue>, String> {
    let durations = values
        .iter()
        .filter(|v| matches!(v, SweepValue::Duration(_)))
        .count();
    if durations != 0 && durations != values.len() {
        return Err("mixes durations and numbers; give one kind".into());
    }
    if values.iter().any(|v| matches!(v, SweepValue::Float(_))) {
        return Ok(values
            .into_iter()
            .map(|v| SweepValue::Float(v.si()))
            .collect());
    }
    Ok(values)
}

/// A range as written, or what is wrong with it, where.
fn range(t: &Table) -> Result<Written, Vec<(Part, String)>> {
    let mut wrong = Vec::new();
    for k in t.keys() {
        if !RANGE_KEYS.contains(&k.as_str()) {
            wrong.push((
                Part::Key(k.clone()),
                format!("unknown range key `{k}`; a range has from, to, steps and scale"),
            ));
        }
    }
    let mut end = |k: &str| match t.get(k) {
        None => {
            wrong.push((Part::Whole, format!("the range needs `{k}`")));
            None
        }
        Some(v) => scalar(v)
            .map_err(|m| wrong.push((Part::Key(k.into()), m)))
            .ok(),
    };
    let (from, to) = (end("from"), end("to"));
    let steps = match t.get("steps") {
        None => {
            wrong.push((Part::Whole, "the range needs `steps`".into()));
            None
        }
        Some(Value::Integer(n)) if (1..=MAX_POINTS as i64).contains(n) => Some(*n as u32),
        Some(other) => {
            let m = format!(
                "steps must be a whole number from 1 to {MAX_POINTS}, not {}",
                value_text(other)
            );
            wrong.push((Part::Key("steps".into()), m));
            None
        }
    };
    let log = match t.get("scale") {
        None => Some(false),
        Some(Value::String(s)) if s == "linear" => Some(false),
        Some(Value::String(s)) if s == "log" => Some(true),
        Some(other) => {
            let m = format!(
                "scale must be \"linear\" or \"log\", not {}",
                value_text(other)
            );
            wrong.push((Part::Key("scale".into()), m));
            None
        }
    };
    let (Some(from), Some(to), Some(steps), Some(log), true) =
        (from, to, steps, log, wrong.is_empty())
    else {
        return Err(wrong);
    };
    if steps == 1 && repeats(&[from, to]).is_empty() {
        let m = "one step needs from = to; use steps >= 2 for a range";
        return Err(vec![(Part::Key("steps".into()), m.into())]);
    }
    if log {
        for (k, v) in [("from", from), ("to", to)] {
            if v.si() <= 0.0 {
                let m = format!("a log range needs from and to above zero, not {}", v.text());
                wrong.push((Part::Key(k.into()), m));
            }
        }
    }
    if wrong.is_empty() {
        Ok(Written::Range {
            from,
            to,
            steps,
            log,
        })
    } else {
        Err(wrong)
    }
}

/// The `steps` values of a range from `from` to `to`, in sweep order.
fn range_values(
    from: SweepValue,
    to: SweepValue,
    steps: u32,
    log: bool,
) -> Result<(Vec<SweepValue>, ValuesSpec), String> {
    let ends = unify(vec![from, to])?;
    let (from, to) = (ends[0], ends[1]);
    let (a, b) = (from.si(), to.si());
    let mut out = Vec::with_capacity(steps as usize);
    for i in 0..steps {
        let f = if steps == 1 {
            0.0
        } else {
            f64::from(i) / f64::from(steps - 1)
        };
        let x = if i == 0 {
            a
        } else if i == steps - 1 {
            b
        } else if log {
            a * (b / a).powf(f)
        } else {
            a + (b - a) * f
        };
        out.push(match from {
            SweepValue::Int(_) => SweepValue::Int(x.round() as i64),
            // Within the ends, which are durations a scenario may give:
            // rounding in seconds must not carry a value past them.
            SweepValue::Duration(f) => {
                let t = match to {
                    SweepValue::Duration(t) => t,
                    _ => f,
                };
                SweepValue::Duration(crate::time::nanos_from_secs_f64(x).clamp(f.min(t), f.max(t)))
            }
            SweepValue::Float(_) => SweepValue::Float(significant(x, 12)),
        });
    }
    if let Some(&(_, i)) = repeats(&out).first() {
        return Err(format!(
            "{steps} steps from {} to {} repeat the {} {} once rounded; use fewer steps",
            from.text(),
            to.text(),
            from.kind(),
            out[i].text()
        ));
    }
    Ok((
        out,
        ValuesSpec::Range {
            from,
            to,
            steps,
            log,
        },
    ))
}

/// Each value that repeats one listed before it: (the index of its first
/// occurrence, its own index), in list order. Numbers compare as
/// [`unify`] makes them: as floats when any is one.
fn repeats(values: &[SweepValue]) -> Vec<(usize, usize)> {
    #[derive(PartialEq, PartialOrd)]
    enum Same {
        Int(i64),
        Float(f64),
        Duration(u64),
    }
    let floats = values.iter().any(|v| matches!(v, SweepValue::Float(_)));
    let same = |v: SweepValue| match v {
        SweepValue::Duration(ns) => Same::Duration(ns),
        SweepValue::Int(i) if !floats => Same::Int(i),
        v => Same::Float(v.si()),
    };
    let mut order: Vec<usize> = (0..values.len()).collect();
    // Values are finite, so the order is total.
    order.sort_by(|&a, &b| {
        same(values[a])
            .partial_cmp(&same(values[b]))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(&b))
    });
    let mut found = Vec::new();
    let mut first = order.first().copied().unwrap_or(0);
    for pair in order.windows(2) {
        if same(values[pair[0]]) == same(values[pair[1]]) {
            found.push((first, pair[1]));
        } else {
            first = pair[1];
        }
    }
    found.sort_by_key(|&(_, i)| i);
    found
}

/// The values of a range table `{ from, to, steps, scale }` in order, as
/// `[sweep]` expands it, or what is wrong with it (`[tune.space]` takes
/// the same ranges).
pub(crate) fn range_of(t: &Table) -> Result<Vec<SweepValue>, String> {
    let w = range(t).map_err(|wrong| {
        let all: Vec<String> = wrong.into_iter().map(|(_, m)| m).collect();
        all.join("; ")
    })?;
    w.expand().map(|(values, _)| values)
}

/// `x` rounded to `digits` significant digits.
fn significant(x: f64, digits: usize) -> f64 {
    format!("{x:.*e}", digits - 1).parse().unwrap_or(x)
}

/// What a TOML value is, in words, for messages.
pub(super) fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the text \"{s}\""),
        Value::Boolean(b) => format!("the switch {b}"),
        Value::Array(_) => "a list".into(),
        Value::Table(_) => "a table (sweep one of its keys)".into(),
        Value::Datetime(d) => format!("a {}", datetime_type(d)),
        Value::Integer(_) | Value::Float(_) => "a number".into(),
    }
}
