//! Reading a scenario file into its raw types ([`super::raw`]) while
//! collecting every problem that serde would stop at: all syntax errors
//! first; then, in a file that parses, every unknown key, wrong type and
//! missing key.
//!
//! serde stops at the first problem. To find the next one, the offending
//! key is taken out of the parsed document and the document is read again,
//! until it goes through. Taking out an unknown key changes nothing else.
//! Taking out a wrongly typed value makes the validator see that key as
//! absent, with its default, so what it then says about the keys that
//! depend on that one could be false: [`Removed::may_mislead`] names those
//! problems so that they are left out until the type is fixed.

use super::raw::RawScenario;
use super::schema::unknown_key_hint;
use super::{MAX_MODELS, MAX_STRATEGIES, Problem};
use crate::diagnostic::{MAX_PROBLEMS, datetime_type, did_you_mean, in_report_order, show_number};
use serde_path_to_error::Segment;
use std::collections::HashSet;
use std::ops::Range;
use toml::de::{DeTable, DeValue};

/// Which top-level keys each top-level key's value feeds into checks of:
/// `horizon` bounds the workload, the servers' windows and the report;
/// the workload's token sizes are checked against the limiter's buckets;
/// recovery judges the workload against the server; model names come from
/// `[pricing]` and `[[model]]` and are named by strategies' fallbacks.
const FEEDS: [(&str, &[&str]); 5] = [
    ("horizon", &["workload", "server", "model", "report"]),
    ("workload", &["limiter", "model", "report"]),
    ("server", &["model", "report"]),
    ("pricing", &["model", "strategy"]),
    ("model", &["strategy"]),
];

/// The values taken out of a file because their type was wrong (or a key
/// they need was missing), and those wrong on their own, by key path
/// (`strategy[1].backoff`): what remains of them to judge other keys by
/// is their scope (the first segment of the path: a top-level key, or an
/// element of an array of tables such as `strategy[1]`) and the
/// top-level tables that scope feeds, each looked up in a set, so that a
/// file with a wrong value in each of thousands of tables is judged in
/// time linear in them.
#[derive(Debug, Default)]
pub struct Removed {
    scopes: HashSet<String>,
    fed: HashSet<&'static str>,
}

impl Removed {
    /// Counts `key` as a value taken out: a value that was wrong on its
    /// own (out of range, a bad unit, an unknown name) and was replaced by
    /// a default, about which other keys would be judged wrongly too.
    pub fn add(&mut self, key: &str) {
        let scope = key.split('.').next().unwrap_or(key);
        let top = scope.split('[').next().unwrap_or(scope);
        if let Some((_, fed)) = FEEDS.iter().find(|(k, _)| *k == top) {
            self.fed.extend(fed.iter().copied());
        }
        self.scopes.insert(scope.to_string());
    }

    /// Whether the top-level value `key` itself was taken out (not only
    /// a value in one of its array's elements).
    pub fn took_out(&self, key: &str) -> bool {
        self.scopes.contains(key)
    }

    /// Whether a validation problem at `key` may only be there because a
    /// wrong value was taken out: `key` is in the same top-level table (or
    /// the same `[[strategy]]` or `[[model]]`) as a value taken out, or in
    /// a table that depends on it.
    pub fn may_mislead(&self, key: &str) -> bool {
        // A scope holds `key` when it is `key`'s first segment or a part
        // of it that ends before a `[`: `strategy` and `strategy[1]` hold
        // `strategy[1].name`.
        let first = key.split('.').next().unwrap_or(key);
        let top = first.split('[').next().unwrap_or(first);
        let mut scopes = first
            .match_indices('[')
            .map(|(i, _)| &first[..i])
            .chain([first]);
        self.fed.contains(top) || scopes.any(|s| self.scopes.contains(s))
    }
}

/// Reads `src`. On success, the raw scenario, the values taken out, and
/// the problems found on the way (empty when the file had none; not
/// located yet, see [`in_report_order`]); when the file is not TOML, or
/// cannot be read at all, the problems to report.
pub fn read(src: &str) -> Result<(RawScenario, Removed, Vec<Problem>), Vec<Problem>> {
    let (mut doc, errors) = DeTable::parse_recoverable(src);
    if !errors.is_empty() {
        // After a syntax error the rest of the document is a guess: report
        // the syntax alone.
        let mut problems: Vec<Problem> = errors
            .iter()
            .map(|e| toml_problem(src, e.message(), e.span(), ""))
            .collect();
        problems.sort_by_key(|p| p.span.start);
        problems.dedup();
        return Err(in_report_order(problems, src));
    }
    let mut problems = Vec::new();
    let mut taken_out: Vec<String> = Vec::new();
    let mut removed = Removed::default();
    // Tables past the most a scenario may have are refused and not read:
    // each is kilobytes of state from as little as `{},` of text.
    for (key, most) in [("strategy", MAX_STRATEGIES), ("model", MAX_MODELS)] {
        if let Some(DeValue::Array(items)) = doc.get_mut().get_mut(key).map(|v| v.get_mut())
            && items.len() > most
        {
            let first = format!("{key}[{most}]");
            problems.push(Problem::unlocated(
                Some(items[most].span()),
                &first,
                format!("at most {most} [[{key}]] tables are supported"),
            ));
            removed.add(&first);
            *items = std::mem::replace(items, toml::de::DeArray::new())
                .into_iter()
                .take(most)
                .collect();
        }
    }
    // Each pass takes a key out of the document, so this ends; the bound
    // keeps a file with thousands of unknown keys from taking long.
    for _ in 0..4 * MAX_PROBLEMS {
        let de = toml::Deserializer::from(doc.clone());
        let error = match serde_path_to_error::deserialize::<_, RawScenario>(de) {
            Ok(raw) => match array_read_as_table(doc.get_ref(), &mut Vec::new()) {
                None => return Ok((raw, removed, problems)),
                // serde reads a table from an array of its values in
                // order; TOML has no such thing, so it is refused.
                Some((path, array)) => {
                    let key = dotted(&path);
                    problems.push(toml_problem(
                        src,
                        "invalid type: array, expected a table",
                        Some(array),
                        &key,
                    ));
                    let gone = take_out(doc.get_mut(), &path).map_or(key, |g| dotted(&g));
                    removed.add(&gone);
                    taken_out.push(gone);
                    if problems.len() >= MAX_PROBLEMS {
                        break;
                    }
                    continue;
                }
            },
            Err(e) => e,
        };
        let mut path = segments(error.path());
        let error = error.into_inner();
        let (mut message, mut span) = (error.message().to_string(), error.span());
        if let Some((table, array)) = array_for_table(doc.get_ref(), &path) {
            // serde reads a struct from an array element by element;
            // what went wrong is the array.
            (message, span) = ("invalid type: array, expected a table".into(), Some(array));
            path = table;
        }
        if let Some((at, when, where_)) = datetime_on(doc.get_ref(), &path) {
            // A date or time reaches serde as a table of one private key:
            // serde's words are about that table, or that key.
            let expected = match message.strip_prefix("invalid type: map, ") {
                Some(expected) => expected.to_string(),
                None => "expected a table".to_string(),
            };
            (message, span) = (format!("invalid type: {when}, {expected}"), Some(where_));
            path = at;
        }
        let message = message.as_str();
        let key = dotted(&path);
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        // A key missing only because its wrong value was taken out has
        // been reported already.
        let echo = missing.is_some_and(|field| taken_out.contains(&join(&key, field)));
        if !echo {
            let mut problem = toml_problem(src, message, span, &key);
            if let Some(word) = message
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split('`').next())
            {
                // The hint searches the whole schema, and may translate
                // the value given (`max_retries = 2`).
                let table = key.rsplit_once('.').map_or("", |(t, _)| t);
                let value = value_text(src, doc.get_ref(), &path);
                problem
                    .message
                    .push_str(&unknown_key_hint(table, word, value));
            }
            problems.push(problem);
        }
        let Some(gone) = take_out(doc.get_mut(), &path) else {
            break;
        };
        let gone = dotted(&gone);
        if !message.starts_with("unknown field `") {
            removed.add(&gone);
        }
        taken_out.push(gone);
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
    }
    Err(in_report_order(problems, src))
}

/// A step of a key path: a key of a table or an index into an array.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// The path of a serde error, without the steps `Spanned` adds.
fn segments(path: &serde_path_to_error::Path) -> Vec<Step> {
    path.iter()
        .filter_map(|s| match s {
            Segment::Map { key } if key == "$__serde_spanned_private_value" => None,
            Segment::Map { key } => Some(Step::Key(key.clone())),
            Segment::Seq { index } => Some(Step::Index(*index)),
            Segment::Enum { variant } => Some(Step::Key(variant.clone())),
            Segment::Unknown => None,
        })
        .collect()
}

/// The keys whose values are arrays in [`super::raw`] (the others that
/// take arrays are read as any TOML value, which has no wrong type).
const ARRAY_KEYS: [&str; 9] = [
    "strategy",
    "layers",
    "model",
    "outages",
    "capacity_cuts",
    "retry_on",
    "on",
    "timeouts",
    "retry_after_on",
];

/// The keys read as any TOML value (distributions, the sweep), which the
/// validator checks itself.
const VALUE_KEYS: [&str; 8] = [
    "sweep",
    "tune",
    "think_time",
    "input",
    "output",
    "one_way",
    "latency",
    "ttft",
];

/// The keys of [`ARRAY_KEYS`] whose elements are tables.
const TABLE_ARRAY_KEYS: [&str; 5] = ["strategy", "layers", "model", "outages", "capacity_cuts"];

/// In a document that deserialized, the first array where a table belongs
/// (serde takes an array's values as the table's keys in order) under
/// `table` at `path`: its path and span.
fn array_read_as_table(
    table: &DeTable<'_>,
    path: &mut Vec<Step>,
) -> Option<(Vec<Step>, Range<usize>)> {
    for (key, value) in table {
        let key: &str = key.get_ref();
        if VALUE_KEYS.contains(&key) {
            continue;
        }
        path.push(Step::Key(key.to_string()));
        let found = match value.get_ref() {
            DeValue::Table(inner) => array_read_as_table(inner, path),
            DeValue::Array(items) if TABLE_ARRAY_KEYS.contains(&key) => {
                items.iter().enumerate().find_map(|(i, item)| {
                    path.push(Step::Index(i));
                    let found = match item.get_ref() {
                        DeValue::Table(inner) => array_read_as_table(inner, path),
                        DeValue::Array(_) => Some((path.clone(), item.span())),
                        _ => None,
                    };
                    path.pop();
                    found
                })
            }
            // Any other array that deserialized was read as a table.
            DeValue::Array(_) if !ARRAY_KEYS.contains(&key) => Some((path.clone(), value.span())),
            _ => None,
        };
        path.pop();
        if found.is_some() {
            return found;
        }
    }
    None
}

/// Where `path` indexes into an array given for a key that takes a table
/// (or for an element of an array of tables): the path of that key (or
/// element) and the array's span.
fn array_for_table(doc: &DeTable<'_>, path: &[Step]) -> Option<(Vec<Step>, Range<usize>)> {
    // A key that takes no array, or an element of an array of tables,
    // indexed into.
    let at = (0..path.len().saturating_sub(1)).find(|&p| {
        matches!(path[p + 1], Step::Index(_))
            && match &path[p] {
                Step::Key(k) => !ARRAY_KEYS.contains(&k.as_str()),
                Step::Index(_) => {
                    p > 0
                        && matches!(
                            &path[p - 1],
                            Step::Key(k) if TABLE_ARRAY_KEYS.contains(&k.as_str())
                        )
                }
            }
    })?;
    let Step::Key(first) = path.first()? else {
        return None;
    };
    let mut node = doc.get(first.as_str())?;
    for step in &path[1..=at] {
        node = match (step, node.get_ref()) {
            (Step::Key(k), DeValue::Table(t)) => t.get(k.as_str())?,
            (Step::Index(i), DeValue::Array(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    matches!(node.get_ref(), DeValue::Array(_)).then(|| (path[..=at].to_vec(), node.span()))
}

/// The first date, time or date-time on `path` in `doc`: the path to it,
/// what it is, and its span.
fn datetime_on(doc: &DeTable<'_>, path: &[Step]) -> Option<(Vec<Step>, String, Range<usize>)> {
    let Step::Key(first) = path.first()? else {
        return None;
    };
    let mut node = doc.get(first.as_str())?;
    for i in 0..path.len() {
        if let DeValue::Datetime(d) = node.get_ref() {
            return Some((path[..=i].to_vec(), datetime_type(d), node.span()));
        }
        node = match (path.get(i + 1)?, node.get_ref()) {
            (Step::Key(k), DeValue::Table(t)) => t.get(k.as_str())?,
            (Step::Index(j), DeValue::Array(items)) => items.get(*j)?,
            _ => return None,
        };
    }
    None
}

/// `strategy[1].backoff.kind`, as the validator names keys.
fn dotted(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn join(table: &str, key: &str) -> String {
    if table.is_empty() {
        key.to_string()
    } else {
        format!("{table}.{key}")
    }
}

/// Takes the value at `path` out of `doc`; an array element cannot go
/// alone (the indices of the others would change), so its whole array
/// goes. Returns the path of what was taken out, or None if `path` does
/// not lead to a key of a table.
fn take_out(doc: &mut DeTable<'_>, path: &[Step]) -> Option<Vec<Step>> {
    let end = path.iter().rposition(|s| matches!(s, Step::Key(_)))?;
    let Step::Key(key) = &path[end] else {
        return None;
    };
    table_at(doc, &path[..end])?.remove(key.as_str())?;
    Some(path[..=end].to_vec())
}

/// The table at `path` in `doc`.
fn table_at<'d, 'i>(doc: &'d mut DeTable<'i>, path: &[Step]) -> Option<&'d mut DeTable<'i>> {
    let mut table = doc;
    let mut steps = path.iter().peekable();
    while let Some(step) = steps.next() {
        let Step::Key(key) = step else {
            return None;
        };
        let mut value: &mut DeValue<'i> = table.get_mut(key.as_str())?.get_mut();
        while let Some(Step::Index(i)) = steps.peek() {
            let DeValue::Array(items) = value else {
                return None;
            };
            value = items.get_mut(*i)?.get_mut();
            steps.next();
        }
        let DeValue::Table(inner) = value else {
            return None;
        };
        table = inner;
    }
    Some(table)
}

/// The text of the value at `path` in `doc`, as the file writes it.
fn value_text<'s>(src: &'s str, doc: &DeTable<'_>, path: &[Step]) -> Option<&'s str> {
    let Some((Step::Key(key), table)) = path.split_last() else {
        return None;
    };
    let mut node: Option<&DeValue<'_>> = None;
    let mut current = doc;
    for step in table {
        let value = match (step, node) {
            (Step::Key(k), None) => current.get(k.as_str())?.get_ref(),
            (Step::Index(i), Some(DeValue::Array(items))) => items.get(*i)?.get_ref(),
            _ => return None,
        };
        match value {
            DeValue::Table(t) => {
                current = t;
                node = None;
            }
            other => node = Some(other),
        }
    }
    if node.is_some() {
        return None;
    }
    src.get(current.get(key.as_str())?.span())
}

/// A TOML or serde error as a problem at its span, in backsim's words
/// (TOML's: keys, tables and arrays, not serde's fields, maps and
/// sequences, nor the names of backsim's types).
fn toml_problem(src: &str, message: &str, span: Option<Range<usize>>, key: &str) -> Problem {
    let raw = message.trim();
    let mut message = raw
        .replace("unknown field `", "unknown key `")
        .replace("missing field `", "missing key `")
        .replace("expected f64", "expected a number")
        .replace("expected i64", "expected a whole number")
        .replace("expected a boolean", "expected true or false")
        .replace("expected a sequence", "expected an array")
        .replace("invalid type: map", "invalid type: table")
        .replace("invalid type: sequence", "invalid type: array");
    // serde's words for an array read as a table of too few or too many
    // values.
    if message.starts_with("invalid length ") && message.contains("expected struct Raw") {
        message = "invalid type: array, expected a table".to_string();
    }
    if let Some(at) = message.find("expected struct Raw") {
        message.replace_range(at.., "expected a table");
    }
    // serde writes a float in full, `1e300` as 301 digits and ".0": show
    // such a number as other messages do (a shorter one keeps serde's
    // form, whose ".0" says it was a float).
    if let Some(at) = message.find("floating point `") {
        let start = at + "floating point `".len();
        let end = message[start..].find('`').map_or(start, |n| start + n);
        let shown = message[start..end].parse().map(show_number);
        if let Some(shown) = shown.ok().filter(|s| s.contains('e')) {
            message.replace_range(start..end, &shown);
        }
    }
    // An unknown key's hint is the schema's (added by the caller, which
    // has the value); an unknown name of a list, the closest name.
    if !raw.starts_with("unknown field `")
        && let Some(hint) = unknown_name_hint(raw)
    {
        message.push_str(&hint);
    }
    // The parser says only "duplicate key"; name it.
    if let (Some(at), "duplicate key") = (&span, message.as_str()) {
        let name = src.get(at.clone()).unwrap_or("").trim();
        message = format!("duplicate key `{name}`: a key can be set once per table");
    }
    Problem::unlocated(span, key, message)
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" (or "expected
/// `a` or `b`", and the same for variants), the closest allowed name.
fn unknown_name_hint(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))?;
    let (word, allowed) = rest.split_once('`')?;
    let names = allowed.split('`').skip(1).step_by(2);
    let hint = did_you_mean(word, names);
    (!hint.is_empty()).then_some(hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(src: &str) -> Vec<(usize, String, String)> {
        match read(src) {
            Ok((_, _, p)) | Err(p) => in_report_order(p, src)
                .into_iter()
                .map(|p| (p.line, p.key, p.message))
                .collect(),
        }
    }

    #[test]
    fn every_unknown_key_and_wrong_type_is_found() {
        let src = "nam = \"x\"\nseed = 1.5\n[workload]\nclientz = 3\nclients = \"5\"\n\
                   [[strategy]]\nname = 1\nbackof = { kind = \"none\" }\n";
        let found = problems(src);
        let keys: Vec<(usize, &str)> = found.iter().map(|(l, k, _)| (*l, k.as_str())).collect();
        assert_eq!(
            keys,
            [
                (1, "nam"),
                (2, "seed"),
                (4, "workload.clientz"),
                (5, "workload.clients"),
                (7, "strategy[0].name"),
                (8, "strategy[0].backof"),
            ]
        );
        assert!(
            found[0].2.ends_with("did you mean \"name\"?"),
            "{:?}",
            found[0]
        );
        assert!(
            found[3].2.contains("expected a whole number"),
            "{:?}",
            found[3]
        );
    }

    #[test]
    fn a_required_key_taken_out_for_its_type_is_not_also_missing() {
        // `kind` has the wrong type; the table then lacks it, which is the
        // same mistake and is said once.
        let src = "[[strategy]]\nname = \"a\"\nbackoff = { kind = 3 }\n";
        let found = problems(src);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].1, "strategy[0].backoff.kind");
        // A key that is simply missing is reported as such.
        let found = problems("[[strategy]]\nname = \"a\"\nbackoff = { base = \"1s\" }\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].1, "strategy[0].backoff");
        assert!(found[0].2.contains("missing key `kind`"), "{found:?}");
    }

    #[test]
    fn a_wrong_array_element_takes_its_array_out() {
        let src = "[[strategy]]\nname = \"a\"\nretry_on = [\"429\", 5]\nmax_attempts = \"x\"\n";
        let found = problems(src);
        let keys: Vec<&str> = found.iter().map(|p| p.1.as_str()).collect();
        assert_eq!(
            keys,
            ["strategy[0].retry_on[1]", "strategy[0].max_attempts"]
        );
    }

    #[test]
    fn dates_are_named_as_toml_dates_and_the_search_goes_on() {
        // toml gives serde a date as a table with one private key; where a
        // table belongs, that key was an unknown key that could not be
        // taken out, and the problems after it were lost.
        let src = "horizon = 07:32:00\n[server]\nerrors = 1979-05-27\n[[strategy]]\nname = \"a\"\n\
                   backoff = 1979-05-27T07:32:00Z\nretry_on = [1979-05-27T07:32:00]\nmax_attempts = \"x\"\n";
        let found = problems(src);
        let keys: Vec<(usize, &str)> = found.iter().map(|(l, k, _)| (*l, k.as_str())).collect();
        assert_eq!(
            keys,
            [
                (1, "horizon"),
                (3, "server.errors"),
                (6, "strategy[0].backoff"),
                (7, "strategy[0].retry_on[0]"),
                (8, "strategy[0].max_attempts"),
            ]
        );
        let messages: Vec<&str> = found.iter().map(|(_, _, m)| m.as_str()).collect();
        assert!(
            messages[0].starts_with(
                "invalid type: TOML time `07:32:00`, expected a duration string such as"
            )
        );
        assert_eq!(
            messages[1],
            "invalid type: TOML date `1979-05-27`, expected a table"
        );
        assert_eq!(
            messages[2],
            "invalid type: TOML date-time `1979-05-27T07:32:00Z`, expected a table"
        );
        assert_eq!(
            messages[3],
            "invalid type: TOML date-time `1979-05-27T07:32:00`, expected a string"
        );
    }

    #[test]
    fn every_syntax_error_is_reported_alone() {
        let src = "name = \"a\"\nseed = \n[workload\nclients = 5\nbogus = 1\n";
        let found = problems(src);
        let lines: Vec<usize> = found.iter().map(|p| p.0).collect();
        // The unknown key on line 5 waits until the syntax is right.
        assert_eq!(lines, [2, 3], "{found:?}");
    }

    #[test]
    fn problems_are_capped() {
        let src: String = (0..500).map(|i| format!("unknown{i} = 1\n")).collect();
        assert_eq!(problems(&src).len(), MAX_PROBLEMS);
    }

    #[test]
    fn arrays_read_as_tables_count_towards_the_cap() {
        // 450 backoff schedules given as arrays of the right length, which
        // serde alone accepts: each is refused, and 100 are reported.
        let src = (0..450)
            .map(|i| format!("[[strategy]]\nname = \"s{i}\"\nbackoff = [\"none\", \"1s\", \"2s\", 2.0, 0.5, \"1ms\"]\n"))
            .collect::<String>();
        let Err(problems) = read(&src) else {
            panic!("accepted")
        };
        assert_eq!(problems.len(), MAX_PROBLEMS);
        assert_eq!(problems[0].key, "strategy[0].backoff");
        assert_eq!(problems[0].message, "invalid type: array, expected a table");
        assert_eq!(problems[99].key, "strategy[99].backoff");
    }

    #[test]
    fn what_may_mislead() {
        let mut removed = Removed::default();
        removed.add("horizon");
        removed.add("strategy[1].backoff");
        // The same strategy, and the tables the horizon bounds.
        for key in [
            "strategy[1].max_attempts",
            "workload.spread",
            "server.outages[0].start",
            "model[2].server.outages[0].start",
            "report.bucket",
        ] {
            assert!(removed.may_mislead(key), "{key}");
        }
        // Another strategy, and tables that do not depend on either.
        for key in [
            "strategy[0].max_attempts",
            "strategy[10].name",
            "limiter.request_burst",
            "seed",
            "horizons",
        ] {
            assert!(!removed.may_mislead(key), "{key}");
        }
        let mut removed = Removed::default();
        removed.add("model");
        assert!(removed.may_mislead("strategy[0].fallback.model"));
        assert!(!removed.may_mislead("limiter.tokens_per_minute"));
        // A whole array of tables holds each of its elements.
        let mut removed = Removed::default();
        removed.add("strategy");
        assert!(removed.may_mislead("strategy[7].name"));
        assert!(removed.may_mislead("strategy"));
        assert!(!removed.may_mislead("strategy_x"));
    }
}
