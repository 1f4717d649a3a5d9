//! Problems in an input file (a scenario, a trace), with positions a user
//! can jump to: the file, line, column and key of each, and the caret
//! drawing under the line.

pub use crate::terminal::show_number;
use std::fmt;

/// Most problems reported for one file; a file with more is mostly not a
/// scenario, and the first hundred say so.
pub const MAX_PROBLEMS: usize = 100;
use std::ops::Range;

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// Dotted key path, e.g. `limiter.requests_per_minute`; empty for
    /// problems of the whole file (such as TOML syntax errors).
    pub key: String,
    /// What is wrong and what would be accepted.
    pub message: String,
    /// The offending source line, for the excerpt under the message.
    pub excerpt: String,
    /// Column of the problem within `excerpt` (differs from `column` when a
    /// long line is shortened).
    pub excerpt_column: usize,
    /// How many characters to underline from `excerpt_column`.
    pub width: usize,
    /// Where the problem is in the file, in bytes: what problems are
    /// ordered by, and located from.
    pub(super) span: Range<usize>,
}

impl Problem {
    /// A problem at byte range `span` of the file, not located yet: its
    /// line, column and excerpt are worked out by [`in_report_order`],
    /// once it is known to be one of those reported. Locating a problem
    /// costs up to the length of the file (its line and column are
    /// counted from the start), so a file with a problem in each of
    /// thousands of tables would otherwise take time quadratic in its size.
    pub fn unlocated(span: Option<Range<usize>>, key: &str, message: impl Into<String>) -> Problem {
        Problem {
            line: 0,
            column: 0,
            key: key.to_string(),
            message: message.into(),
            excerpt: String::new(),
            excerpt_column: 0,
            width: 0,
            span: span.unwrap_or(0..0),
        }
    }

    /// A problem at byte range `span` of `src`, located.
    pub fn at(
        src: &str,
        span: Option<Range<usize>>,
        key: &str,
        message: impl Into<String>,
    ) -> Problem {
        let span = span.unwrap_or(0..0);
        let start = span.start.min(src.len());
        let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
        let line = src[..start].matches('\n').count() + 1;
        let column = src[line_start..start].chars().count() + 1;
        let end = span.end.clamp(start, line_end);
        let width = src[start..end].chars().count().max(1);
        let mut excerpt = src[line_start..line_end].trim_end_matches('\r').to_string();
        // A very long line (minified TOML) would drown the message: show
        // only the part around the problem.
        const KEEP: usize = 160;
        let (mut excerpt_column, mut width) = (column, width.min(KEEP));
        let total = excerpt.chars().count();
        if total > KEEP {
            let skip = column.saturating_sub(KEEP / 2 + 1).min(total - KEEP);
            excerpt = excerpt.chars().skip(skip).take(KEEP).collect();
            excerpt_column = column - skip;
            width = width.min(KEEP + 1 - excerpt_column);
        }
        Problem {
            line,
            column,
            key: key.to_string(),
            message: message.into(),
            excerpt,
            excerpt_column,
            width,
            span,
        }
    }
}

/// The problems of `src` to report: the first [`MAX_PROBLEMS`] in file
/// order (problems at the same place in the order they were found), each
/// located.
pub fn in_report_order(mut problems: Vec<Problem>, src: &str) -> Vec<Problem> {
    problems.sort_by_key(|p| p.span.start);
    problems.truncate(MAX_PROBLEMS);
    problems
        .into_iter()
        .map(|p| Problem::at(src, Some(p.span), &p.key, p.message))
        .collect()
}

/// Longest word a guess is made for: the distance costs the product of the
/// two lengths, and nobody mistypes a name that long letter by letter.
const MAX_GUESSED: usize = 64;

/// The candidate closest to `word` (a key or value with a typo), if one is
/// close enough to be what was meant: at most one edit per three letters.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let length = word.chars().count();
    if length > MAX_GUESSED {
        return None;
    }
    let limit = (length / 3).max(1);
    let word = word.to_lowercase();
    let letters = word.chars().count();
    candidates
        .into_iter()
        .filter_map(|c| {
            let lower = c.to_lowercase();
            // Each edit changes the length by at most one.
            (lower.chars().count().abs_diff(letters) <= limit)
                .then(|| (edit_distance(&word, &lower), c))
        })
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Edit distance counting insertions, deletions, substitutions and swaps
/// of two adjacent characters (optimal string alignment, the restricted
/// Damerau–Levenshtein distance), in characters: a swap ("burts" for
/// "burst") is the commonest typo and counts as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // Rows i - 2, i - 1 and i of the distance table between prefixes.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut row = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            row[j] = (previous[j - 1] + cost)
                .min(previous[j] + 1)
                .min(row[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                row[j] = row[j].min(before[j - 2] + 1);
            }
        }
        before = std::mem::replace(&mut previous, row);
    }
    previous[b.len()]
}

/// `; did you mean "x"?` for the closest of `candidates` to `word`, or
/// nothing when none is close.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates).map_or(String::new(), |c| format!("; did you mean \"{c}\"?"))
}

/// The message for a name that is not one of `names`: `unknown {what}
/// "word"; expected one of "a", "b"`, and the closest if one is close.
pub fn unknown_name(what: &str, word: &str, names: &[&str]) -> String {
    let allowed: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    format!(
        "unknown {what} \"{word}\"; expected one of {}{}",
        allowed.join(", "),
        did_you_mean(word, names.iter().copied())
    )
}

/// What a TOML value is, in the words of serde's "invalid type" messages
/// (`string "x"`, ``integer `5` ``), numbers shown by [`show_number`].
pub fn toml_type(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("string {s:?}"),
        toml::Value::Integer(i) => format!("integer `{i}`"),
        toml::Value::Float(x) => format!("floating point `{}`", show_number(*x)),
        toml::Value::Boolean(b) => format!("boolean `{b}`"),
        toml::Value::Datetime(d) => datetime_type(d),
        toml::Value::Array(_) => "array".to_string(),
        toml::Value::Table(_) => "table".to_string(),
    }
}

/// A TOML date, time or date-time as messages name it: TOML's type (a
/// date-time with or without an offset, a date, a time of day) and the
/// value, which is what a bare `1979-05-27` or `07:32:00` in a file is.
pub fn datetime_type(d: &toml::value::Datetime) -> String {
    let kind = match (&d.date, &d.time) {
        (Some(_), Some(_)) => "date-time",
        (Some(_), None) => "date",
        _ => "time",
    };
    format!("TOML {kind} `{d}`")
}

/// Everything wrong with one scenario file, reported at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file as the user named it.
    pub file: String,
    /// The problems, in file order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for ScenarioError {
    /// The problems as plain text ([`ScenarioError::render`] without
    /// colour).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl ScenarioError {
    /// The problems as a terminal shows them, one after the other: a first
    /// line `error: file:line:column: key: message`, then the source line
    /// with the problem underlined, drawn by `annotate-snippets` (the
    /// renderer of rustc and cargo), in colour when `color`. Everything
    /// from the file is shown through [`crate::terminal::safe`], so that
    /// the only control characters are the renderer's own colours.
    pub fn render(&self, color: bool) -> String {
        use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        }
        // Long lines are already shortened around the problem
        // (`Problem::at`): the renderer shows the excerpt whole.
        .term_width(usize::MAX / 4);
        let mut out = String::new();
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let mut title = format!("{}:{}:{}: ", self.file, p.line, p.column);
            if !p.key.is_empty() {
                title.push_str(&p.key);
                title.push_str(": ");
            }
            title.push_str(&p.message);
            let title = crate::terminal::safe(&title);
            let group = Level::ERROR.primary_title(title.as_ref());
            if p.excerpt.is_empty() {
                out.push_str(&renderer.render(&[annotate_snippets::Group::with_title(group)]));
                continue;
            }
            let (line, span) = shown_excerpt(&p.excerpt, p.excerpt_column, p.width);
            let report = [group.element(
                Snippet::source(line.as_str())
                    .line_start(p.line)
                    .annotation(AnnotationKind::Primary.span(span)),
            )];
            out.push_str(&renderer.render(&report));
        }
        out
    }
}

impl std::error::Error for ScenarioError {}

/// A source line as an excerpt shows it, and the bytes of it that show
/// the `width` characters from `column` (1-based): control characters
/// written as [`crate::terminal::safe`] writes them and tabs as four
/// spaces, so that the terminal shows the line as it is and the carets
/// stay under what they point at. A caret past the end of the line (a
/// value that is missing) stays past it: the line is padded with spaces
/// to reach it.
fn shown_excerpt(excerpt: &str, column: usize, width: usize) -> (String, Range<usize>) {
    let shown = |c: char| -> String {
        if c == '\t' {
            "    ".to_string()
        } else {
            crate::terminal::safe(c.encode_utf8(&mut [0; 4])).into_owned()
        }
    };
    // Where each character starts in the shown line, and its end.
    let mut line = String::new();
    let mut starts = Vec::new();
    for c in excerpt.chars() {
        starts.push(line.len());
        line.push_str(&shown(c));
    }
    starts.push(line.len());
    // Columns past the end of the line count one byte each.
    let at = |col: usize| match starts.get(col - 1) {
        Some(&b) => b,
        None => line.len() + col - starts.len(),
    };
    let start = at(column.max(1));
    let end = at(column.max(1) + width.max(1)).max(start + 1);
    // An empty span at the end of the line is drawn as one caret there;
    // a caret further out needs the line padded to reach it.
    if start >= line.len() {
        while line.len() < start {
            line.push(' ');
        }
        return (line, start..start);
    }
    let end = end.min(line.len());
    (line, start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_the_closest_name() {
        let keys = ["clients", "spread", "rate_per_s", "think_time"];
        assert_eq!(closest("clientz", keys), Some("clients"));
        assert_eq!(closest("Spread", keys), Some("spread"));
        assert_eq!(closest("rate_per_sec", keys), Some("rate_per_s"));
        // Too far from everything: no guess.
        assert_eq!(closest("horizon", keys), None);
        assert_eq!(closest("x", ["y"]), Some("y"));
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        // One swap is one edit; "ca" to "abc" is three in this distance
        // (no substring is edited twice), the textbook OSA case.
        assert_eq!(edit_distance("burts", "burst"), 1);
        assert_eq!(edit_distance("ca", "abc"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            did_you_mean("exponental", ["linear", "exponential"]),
            "; did you mean \"exponential\"?"
        );
        assert_eq!(did_you_mean("zzz", ["linear"]), "");
        // Past 64 letters no guess is made, however close.
        let long = "a".repeat(65);
        assert_eq!(closest(&long, [&long[1..]]), None);
        assert_eq!(closest(&long[1..], [&long[..]]), Some(&long[..]));
        assert_eq!(
            unknown_name("value", "burts", &["burst", "poisson"]),
            "unknown value \"burts\"; expected one of \"burst\", \"poisson\"; did you mean \"burst\"?"
        );
    }

    #[test]
    fn numbers_far_from_one_are_shown_with_an_exponent() {
        for (x, shown) in [
            (0.5, "0.5"),
            (6000.0, "6000"),
            (-3.0, "-3"),
            (0.0, "0"),
            (0.0001, "0.0001"),
            (9_999_999_999_999_998.0, "9999999999999998"),
            (0.1 + 0.2, "0.30000000000000004"),
            (0.00009, "9e-5"),
            (1e16, "1e16"),
            (-1e300, "-1e300"),
            (1.5e-7, "1.5e-7"),
            (f64::MAX, "1.7976931348623157e308"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "inf"),
        ] {
            assert_eq!(show_number(x), shown);
        }
    }

    #[test]
    fn positions_are_one_based_lines_and_columns() {
        let src = "a = 1\nbb = \"x\"\n";
        let p = Problem::at(src, Some(11..14), "bb", "bad");
        assert_eq!((p.line, p.column, p.width), (2, 6, 3));
        assert_eq!(p.excerpt, "bb = \"x\"");
        let e = ScenarioError {
            file: "f.toml".into(),
            problems: vec![p],
        };
        assert_eq!(
            e.to_string(),
            "error: f.toml:2:6: bb: bad\n  |\n2 | bb = \"x\"\n  |      ^^^"
        );
    }

    #[test]
    fn carets_stay_under_what_they_point_at_past_control_characters_and_tabs() {
        let src = "\tname = \"a\u{1b}[2Jb\"\nx = 1";
        let at = src.find('"').unwrap();
        let p = Problem::at(src, Some(at..at + 9), "name", "bad");
        let e = ScenarioError {
            file: "f.toml".into(),
            problems: vec![p],
        }
        .to_string();
        assert_eq!(
            e,
            "error: f.toml:1:9: name: bad\n  |\n1 |     name = \"a\\u{1b}[2Jb\"\n  |            ^^^^^^^^^^^^^"
        );
        // A caret past the end of the line stays there.
        assert_eq!(shown_excerpt("a =", 5, 1), ("a = ".into(), 4..4));
        assert_eq!(shown_excerpt("a = ", 4, 3), ("a = ".into(), 3..4));
        assert_eq!(shown_excerpt("a = ", 5, 1), ("a = ".into(), 4..4));
        assert_eq!(shown_excerpt("a = 1", 5, 1), ("a = 1".into(), 4..5));
    }

    #[test]
    fn long_lines_are_shortened_around_the_problem() {
        let src = format!("x = [{}\"bad\"]", "1, ".repeat(1000));
        let at = src.find("\"bad\"").unwrap();
        let p = Problem::at(&src, Some(at..at + 5), "x", "bad");
        assert_eq!(p.column, at + 1);
        assert_eq!(p.excerpt.chars().count(), 160);
        let marked: String = p
            .excerpt
            .chars()
            .skip(p.excerpt_column - 1)
            .take(p.width)
            .collect();
        assert_eq!(marked, "\"bad\"");
    }
}
