//! Trace files for `kind = "trace"`: one request per row, replayed as
//! recorded.
//!
//! The format is CSV with a header row naming at least the columns `t_s`
//! (start time in seconds from the start of the run, a decimal number ≥ 0,
//! rows in non-decreasing order), `input_tokens` and `output_tokens` (whole
//! numbers ≥ 0); other columns (an API gateway's request id, say) are
//! ignored, whatever bytes they hold. A UTF-8 byte-order mark, which
//! spreadsheets write, is accepted. Every malformed row is reported with its
//! line number, all of them at once (the first [`MAX_LISTED`], then a
//! count), so that a trace can be fixed in one pass.

use super::{MAX_TOKENS_PER_REQUEST, TraceRow};
use crate::time::{
    MAX_DURATION, MAX_DURATION_TEXT, NANOS_PER_SEC, SimDuration, nanos_from_secs_f64,
};
use std::path::Path;

/// Most rows a trace may have (each row is a request held in memory).
pub const MAX_TRACE_ROWS: usize = 10_000_000;

/// The columns a trace must have.
pub const TRACE_COLUMNS: [&str; 3] = ["t_s", "input_tokens", "output_tokens"];

/// Malformed rows listed one by one in a refusal. A file in the wrong
/// format can have a problem on every one of millions of rows; past the
/// first few they only bury the message, so the rest are counted.
pub const MAX_LISTED: usize = 10;

/// Characters of a value quoted in a message; a cell of a binary file can
/// be megabytes long.
const MAX_QUOTED: usize = 40;

/// Header names listed when a column is missing.
const MAX_NAMES: usize = 8;

/// Where a scenario's trace files come from: given the file name as
/// written, its bytes and the name to show in messages.
pub type FileSource<'a> = &'a dyn Fn(&str) -> Result<(Vec<u8>, String), String>;

/// Why a trace was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceError {
    /// The first problems, in file order, as (line, message): one per
    /// malformed row (its problems joined by "; "), or a single one about
    /// the whole file (no header, a missing column, too many rows).
    pub problems: Vec<(u64, String)>,
    /// Malformed rows after the [`MAX_LISTED`] listed.
    pub unlisted: u64,
}

impl TraceError {
    fn one(line: u64, message: impl Into<String>) -> TraceError {
        TraceError {
            problems: vec![(line, message.into())],
            unlisted: 0,
        }
    }

    /// Malformed rows in all, listed or not.
    pub fn rows(&self) -> u64 {
        self.problems.len() as u64 + self.unlisted
    }

    /// The refusal as one message about the file `shown`: one problem on
    /// one line, `file:line: message` as compilers write it; several as a
    /// heading and one indented line each, so that the scenario error
    /// quoting it still reads as a single problem.
    pub fn render(&self, shown: &str) -> String {
        if let ([(line, message)], 0) = (self.problems.as_slice(), self.unlisted) {
            return format!("{shown}:{line}: {message}");
        }
        let mut out = format!("{shown} has {} malformed rows:", self.rows());
        for (line, message) in &self.problems {
            out.push_str(&format!("\n  {shown}:{line}: {message}"));
        }
        match self.unlisted {
            0 => {}
            1 => out.push_str("\n  and 1 more row with problems"),
            n => out.push_str(&format!("\n  and {n} more rows with problems")),
        }
        out
    }
}

/// Reads files from disk, relative to `dir` unless absolute.
pub fn from_dir(dir: &Path) -> impl Fn(&str) -> Result<(Vec<u8>, String), String> + '_ {
    move |file: &str| {
        let path = dir.join(file);
        let shown = path.display().to_string();
        std::fs::read(&path)
            .map(|b| (b, shown.clone()))
            .map_err(|e| format!("cannot read trace {shown}: {e}"))
    }
}

/// Reads and parses the trace `file`. Rows at or after the horizon are
/// kept; they simply never start.
pub fn read(source: FileSource, file: &str) -> Result<Vec<TraceRow>, String> {
    let (bytes, shown) = source(file)?;
    parse(&bytes).map_err(|e| e.render(&shown))
}

/// `text` cut for a message when long.
fn cut(text: &str) -> String {
    let mut chars = text.chars();
    let kept: String = chars.by_ref().take(MAX_QUOTED).collect();
    if chars.next().is_some() {
        kept + "…"
    } else {
        kept
    }
}

/// `text` quoted for a message: cut when long, control characters escaped
/// (a binary file must not send escape sequences to the terminal).
fn quote(text: &str) -> String {
    format!("\"{}\"", cut(text).escape_debug())
}

/// Bytes that are not UTF-8, quoted for a message with `\xNN` escapes.
fn quote_bytes(bytes: &[u8]) -> String {
    let kept = &bytes[..bytes.len().min(MAX_QUOTED)];
    let cut = if kept.len() < bytes.len() { "…" } else { "" };
    format!("\"{}{cut}\"", kept.escape_ascii())
}

/// A header name or cell: its trimmed text, or its bytes when they are
/// not UTF-8.
fn text(raw: &[u8]) -> Result<&str, &[u8]> {
    std::str::from_utf8(raw).map(str::trim).map_err(|_| raw)
}

/// Parses a trace. A refusal lists every malformed row (up to
/// [`MAX_LISTED`]) with its line; problems with the file as a whole (no
/// header row, a missing column, too many rows) come alone, since they
/// leave the rows unreadable or the file unusable anyway.
pub fn parse(bytes: &[u8]) -> Result<Vec<TraceRow>, TraceError> {
    let mut lines = Lines::new(bytes);
    let (columns, header_line, mut reader) = header(bytes, &mut lines)?;
    let mut rows: Vec<TraceRow> = Vec::new();
    let mut problems: Vec<(u64, String)> = Vec::new();
    let mut unlisted = 0u64;
    let mut seen = 0usize;
    let mut previous = Previous::default();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                // Only a failed read (never for bytes in memory): the
                // reader cannot go on.
                let line = lines.at(e.position());
                problems.push((line, e.to_string()));
                break;
            }
        }
        let line = lines.at(record.position());
        seen += 1;
        if seen > MAX_TRACE_ROWS {
            return Err(TraceError::one(
                line,
                format!("more than {MAX_TRACE_ROWS} rows; split the trace"),
            ));
        }
        match row(&record, &columns, line, &mut previous) {
            // Once a row is refused the trace is, so keep no more rows.
            Ok(r) if problems.is_empty() => rows.push(r),
            Ok(_) => {}
            Err(message) if problems.len() < MAX_LISTED => problems.push((line, message)),
            Err(_) => unlisted += 1,
        }
    }
    if !problems.is_empty() {
        return Err(TraceError { problems, unlisted });
    }
    if rows.is_empty() {
        return Err(TraceError::one(
            header_line,
            "the trace has a header but no rows below it",
        ));
    }
    Ok(rows)
}

/// Line numbers of records. The csv crate's own positions are where it
/// started reading a record, before the blank lines it skips and the `\n`
/// of a `\r\n` it split: off by one for every row of a CRLF file.
struct Lines<'a> {
    bytes: &'a [u8],
    /// Bytes counted so far, and the line the next one is on.
    counted: usize,
    line: u64,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Lines<'a> {
        Lines {
            bytes,
            counted: 0,
            line: 1,
        }
    }

    /// The line of the record the reader started reading at `position`
    /// (never before the previous record's). Line breaks are those the
    /// reader ends records at: `\n`, `\r\n` and a lone `\r`.
    fn at(&mut self, position: Option<&csv::Position>) -> u64 {
        let from = position.map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
        let mut start = from.max(self.counted);
        if start == 0 && self.bytes.starts_with(BOM) {
            start = BOM.len();
        }
        while matches!(self.bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        // `start` is never between the two bytes of a `\r\n`.
        let start = start.min(self.bytes.len());
        self.line += line_breaks(&self.bytes[self.counted..start]);
        self.counted = start;
        self.line
    }
}

/// Line breaks in `bytes`: `\n`, `\r\n` (one break) and a lone `\r`, as
/// the trace reader ends rows; a trace's lines are one more.
pub(crate) fn line_breaks(bytes: &[u8]) -> u64 {
    let mut n = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            n += 1;
        }
    }
    n
}

/// A UTF-8 byte-order mark.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Where the read columns are, with how many columns the header has.
struct Columns {
    at: [usize; 3],
    width: usize,
}

/// Reads the header row: the read columns' places, the header's line, and
/// the reader positioned at the first row.
fn header<'a>(
    bytes: &'a [u8],
    lines: &mut Lines,
) -> Result<(Columns, u64, csv::Reader<&'a [u8]>), TraceError> {
    let needs = format!(
        "a trace is CSV text with a header row naming {}, then one row per request",
        TRACE_COLUMNS.join(", ")
    );
    // Spreadsheets save "Unicode text" as UTF-16: every other byte is
    // NUL, which would otherwise surface as a baffling missing column.
    if bytes.starts_with(b"\xff\xfe") || bytes.starts_with(b"\xfe\xff") {
        return Err(TraceError::one(
            1,
            format!("the file is UTF-16 text, not UTF-8; {needs} (save it as \"CSV UTF-8\")"),
        ));
    }
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(TraceError::one(1, format!("the file is empty; {needs}")));
    }
    // Each row is checked against the header's width here, with a message
    // that says which row, rather than the csv crate's own error. The
    // csv crate drops a UTF-8 byte-order mark itself.
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header = match reader.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            let line = lines.at(e.position());
            return Err(TraceError::one(
                line,
                format!("cannot read the header row: {e}"),
            ));
        }
    };
    let line = lines.at(header.position());
    // Text never holds NUL bytes; a header that does is a binary file
    // (a compressed trace, a spreadsheet workbook), and its "rows" would
    // each be a problem.
    if header.iter().any(|h| h.contains(&0)) {
        return Err(TraceError::one(
            line,
            format!("the header row holds NUL bytes, so this is not a CSV text file; {needs}"),
        ));
    }
    let names: Vec<Result<&str, &[u8]>> = header.iter().map(text).collect();
    let mut at = [0usize; 3];
    let mut missing = Vec::new();
    for (slot, name) in at.iter_mut().zip(TRACE_COLUMNS) {
        let found: Vec<usize> = (0..names.len()).filter(|&i| names[i] == Ok(name)).collect();
        match found[..] {
            [i] => *slot = i,
            [] => missing.push(format!("`{name}`")),
            [first, second, ..] => {
                return Err(TraceError::one(
                    line,
                    format!(
                        "the header names `{name}` twice (columns {} and {}); which one is meant?",
                        first + 1,
                        second + 1
                    ),
                ));
            }
        }
    }
    if !missing.is_empty() {
        let mut found: Vec<String> = names
            .iter()
            .take(MAX_NAMES)
            .map(|n| match n {
                Ok(name) => quote(name),
                Err(bytes) => format!("{} (not UTF-8 text)", quote_bytes(bytes)),
            })
            .collect();
        if names.len() > MAX_NAMES {
            found.push(format!("and {} more", names.len() - MAX_NAMES));
        }
        return Err(TraceError::one(
            line,
            format!(
                "the header has no column{} {}; a trace needs {} (found {})",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", "),
                TRACE_COLUMNS.join(", "),
                found.join(", ")
            ),
        ));
    }
    let columns = Columns {
        at,
        width: header.len(),
    };
    Ok((columns, line, reader))
}

/// Why a `t_s` cell is not a start time.
enum BadTime {
    /// Not a number of at least 0.
    NotATime,
    /// Later than [`MAX_DURATION`].
    TooLate,
}

/// A time in seconds as written, in nanoseconds: a number from 0 to
/// [`MAX_DURATION`]. Plain decimals are read digit by digit, exactly:
/// through `f64`, a time past about 50 days could come back one
/// nanosecond off from the copy [`to_csv`] writes, and a report folder
/// would no longer reproduce its run. Other forms `f64` reads (`1e3`) go
/// through it.
fn nanos(t: &str) -> Result<SimDuration, BadTime> {
    let x: f64 = t.parse().map_err(|_| BadTime::NotATime)?;
    if !(x.is_finite() && x >= 0.0) {
        return Err(BadTime::NotATime);
    }
    let plain = t.strip_prefix('+').unwrap_or(t);
    let (whole, fraction) = plain.split_once('.').unwrap_or((plain, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let ns = if digits(whole) && digits(fraction) {
        // Saturating only far above MAX_DURATION.
        let decimal = |s: &[u8]| {
            s.iter().fold(0u64, |n, d| {
                n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
            })
        };
        let mut nine = [b'0'; 9];
        for (slot, d) in nine.iter_mut().zip(fraction.bytes()) {
            *slot = d;
        }
        // Half a nanosecond or more rounds up, as `f64` rounding does.
        let round = u64::from(fraction.as_bytes().get(9).is_some_and(|&d| d >= b'5'));
        decimal(whole.as_bytes())
            .saturating_mul(NANOS_PER_SEC)
            .saturating_add(decimal(&nine) + round)
    } else {
        nanos_from_secs_f64(x)
    };
    if ns > MAX_DURATION {
        return Err(BadTime::TooLate);
    }
    Ok(ns)
}

/// The last readable time before a row, which the row's must not be
/// below: its value, text (a number, safe to show) and line.
#[derive(Default)]
struct Previous {
    start: Option<SimDuration>,
    text: String,
    line: u64,
}

/// Reads one row, or says everything wrong with it. `previous` becomes
/// this row's time when it is readable.
fn row(
    record: &csv::ByteRecord,
    columns: &Columns,
    line: u64,
    previous: &mut Previous,
) -> Result<TraceRow, String> {
    if record.len() != columns.width {
        // Its values cannot be told apart from their neighbours' (a
        // missing value or an unquoted comma shifts every later column).
        return Err(format!(
            "{} values, but the header names {} columns",
            record.len(),
            columns.width
        ));
    }
    let mut problems = Vec::new();
    let [t_at, input_at, output_at] = columns.at;
    let cell = |i: usize, name: &str, problems: &mut Vec<String>| -> Option<&str> {
        match text(&record[i]) {
            Ok(v) => Some(v),
            Err(bytes) => {
                problems.push(format!("{name}: {} is not UTF-8 text", quote_bytes(bytes)));
                None
            }
        }
    };
    let mut start = None;
    if let Some(t) = cell(t_at, "t_s", &mut problems) {
        match nanos(t) {
            Ok(t_s) => {
                if previous.start.is_some_and(|before| t_s < before) {
                    problems.push(format!(
                        "t_s = {} is earlier than {} on line {}; rows must be sorted by t_s",
                        cut(t),
                        cut(&previous.text),
                        previous.line
                    ));
                }
                // The text's buffer is reused: one allocation per row
                // would show in a ten-million-row trace.
                previous.start = Some(t_s);
                previous.text.clear();
                previous.text.push_str(t);
                previous.line = line;
                start = Some(t_s);
            }
            Err(BadTime::NotATime) => problems.push(format!(
                "t_s: {} is not a time in seconds (a decimal number of at least 0, like 12.5)",
                quote(t)
            )),
            Err(BadTime::TooLate) => problems.push(format!(
                "t_s: {} is too late: at most {} seconds ({MAX_DURATION_TEXT}, the longest time a run may last)",
                quote(t),
                MAX_DURATION / NANOS_PER_SEC
            )),
        }
    }
    let mut tokens = |i: usize, name: &str| -> Option<u64> {
        let v = cell(i, name, &mut problems)?;
        match v.parse::<u64>() {
            Ok(n) if n <= MAX_TOKENS_PER_REQUEST => Some(n),
            _ => {
                problems.push(format!(
                    "{name}: {} is not a token count (a whole number from 0 to {MAX_TOKENS_PER_REQUEST})",
                    quote(v)
                ));
                None
            }
        }
    };
    let input_tokens = tokens(input_at, "input_tokens");
    let output_tokens = tokens(output_at, "output_tokens");
    match (start, input_tokens, output_tokens) {
        (Some(start), Some(input_tokens), Some(output_tokens)) if problems.is_empty() => {
            Ok(TraceRow {
                start,
                input_tokens,
                output_tokens,
            })
        }
        _ => Err(problems.join("; ")),
    }
}

/// Writes rows back as a trace (the copy kept with a report).
pub fn to_csv(rows: &[TraceRow]) -> Vec<u8> {
    let mut out = String::from("t_s,input_tokens,output_tokens\n");
    for r in rows {
        // Exact digits, which `parse` reads back to the nanosecond.
        let fraction = format!("{:09}", r.start % NANOS_PER_SEC);
        let fraction = fraction.trim_end_matches('0');
        out.push_str(&format!(
            "{}{}{fraction},{},{}\n",
            r.start / NANOS_PER_SEC,
            if fraction.is_empty() { "" } else { "." },
            r.input_tokens,
            r.output_tokens
        ));
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::NANOS_PER_SEC as S;

    const HEADER: &str = "t_s,input_tokens,output_tokens\n";

    /// The refusal of `text`.
    fn err(text: &[u8]) -> TraceError {
        match parse(text) {
            Ok(rows) => panic!("accepted {} rows", rows.len()),
            Err(e) => e,
        }
    }

    /// The one problem of `text`: (line, message).
    fn one(text: &[u8]) -> (u64, String) {
        let e = err(text);
        assert_eq!((e.problems.len(), e.unlisted), (1, 0), "{e:?}");
        e.problems[0].clone()
    }

    /// A trace of the header and `rows`.
    fn trace(rows: impl AsRef<[u8]>) -> Vec<u8> {
        [HEADER.as_bytes(), rows.as_ref()].concat()
    }

    #[test]
    fn reads_rows_in_any_column_order_with_extra_columns() {
        let rows =
            parse(b"id,output_tokens,t_s,input_tokens\na,500,0,1000\nb,20,1.25,300\n").unwrap();
        assert_eq!(
            rows,
            [
                TraceRow {
                    start: 0,
                    input_tokens: 1000,
                    output_tokens: 500
                },
                TraceRow {
                    start: S + S / 4,
                    input_tokens: 300,
                    output_tokens: 20
                },
            ]
        );
        assert_eq!(parse(&to_csv(&rows)).unwrap(), rows);
    }

    #[test]
    fn each_kind_of_malformed_row_names_its_line() {
        let (line, msg) = one(&trace("0,1,2\nsoon,1,2\n"));
        assert_eq!(line, 3);
        assert!(msg.contains("t_s: \"soon\" is not a time"), "{msg}");
        let (line, msg) = one(&trace("0,1,2\n-1,1,2\n"));
        assert_eq!(line, 3);
        assert!(
            msg.contains("\"-1\"") && msg.contains("at least 0"),
            "{msg}"
        );
        let (line, msg) = one(&trace("0,1,2\n1,-5,2\n"));
        assert_eq!(line, 3);
        assert_eq!(
            msg,
            "input_tokens: \"-5\" is not a token count (a whole number from 0 to 1000000000)"
        );
        let (line, msg) = one(&trace("0,1,1000000001\n"));
        assert_eq!(line, 2);
        assert!(msg.starts_with("output_tokens: \"1000000001\""), "{msg}");
        let (line, msg) = one(&trace(b"0,1,\xff\n"));
        assert_eq!(line, 2);
        assert_eq!(msg, "output_tokens: \"\\xff\" is not UTF-8 text");
        // A missing value shifts the columns after it: the row is refused
        // as a whole rather than read wrongly.
        let (line, msg) = one(&trace("0,1,2\n1,2\n"));
        assert_eq!(line, 3);
        assert_eq!(msg, "2 values, but the header names 3 columns");
        let (line, msg) = one(&trace("0,1,2\n1,2,3,4\n"));
        assert_eq!(line, 3);
        assert_eq!(msg, "4 values, but the header names 3 columns");
        // Every problem of one row, on its one line.
        let (line, msg) = one(&trace("0,1,2\nx,-1,y\n"));
        assert_eq!(line, 3);
        assert_eq!(msg.matches("; ").count(), 2, "{msg}");
        assert!(msg.contains("t_s: \"x\"") && msg.contains("\"-1\"") && msg.contains("\"y\""));
    }

    #[test]
    fn problems_of_the_whole_file_are_at_the_header() {
        let (line, msg) = one(b"t_s,input_tokens\n0,1\n");
        assert_eq!(line, 1);
        assert_eq!(
            msg,
            "the header has no column `output_tokens`; a trace needs t_s, input_tokens, \
             output_tokens (found \"t_s\", \"input_tokens\")"
        );
        let (line, msg) = one(b"time,tokens\n0,1\n");
        assert_eq!(line, 1);
        assert!(
            msg.starts_with("the header has no columns `t_s`, `input_tokens`, `output_tokens`;"),
            "{msg}"
        );
        let (line, msg) = one(b"t_s,input_tokens,t_s,output_tokens\n0,1,0,2\n");
        assert_eq!(line, 1);
        assert!(msg.contains("`t_s` twice (columns 1 and 3)"), "{msg}");
        // Blank lines before the header move it, and the line named.
        assert_eq!(one(b"\n\nt_s,input_tokens\n0,1\n").0, 3);
        let (line, msg) = one(HEADER.as_bytes());
        assert_eq!(line, 1);
        assert_eq!(msg, "the trace has a header but no rows below it");
        // Found by fuzzing (fuzz/regressions/trace/): a header with no
        // line break was refused at line 2 of a one-line file.
        assert_eq!(one(b"t_s,input_tokens,output_tokens").0, 1);
        for empty in [&b""[..], b"\n", b"  \r\n\n", b"\xef\xbb\xbf"] {
            let (line, msg) = one(empty);
            assert_eq!(line, 1);
            assert!(msg.starts_with("the file is empty;"), "{msg}");
        }
    }

    #[test]
    fn every_malformed_row_is_listed_in_file_order() {
        let e = err(&trace("0,1,2\n1,x,2\n2,1,2\n3,1,2,9\n-4,1,2\n5,1,2\n"));
        let lines: Vec<u64> = e.problems.iter().map(|p| p.0).collect();
        assert_eq!(lines, [3, 5, 6]);
        assert_eq!(e.unlisted, 0);
        assert_eq!(
            e.render("t.csv"),
            "t.csv has 3 malformed rows:\n\
             \x20 t.csv:3: input_tokens: \"x\" is not a token count (a whole number from 0 to 1000000000)\n\
             \x20 t.csv:5: 4 values, but the header names 3 columns\n\
             \x20 t.csv:6: t_s: \"-4\" is not a time in seconds (a decimal number of at least 0, like 12.5)"
        );
        // One problem keeps the one-line form.
        assert_eq!(
            err(&trace("0,1,x\n")).render("t.csv"),
            "t.csv:2: output_tokens: \"x\" is not a token count (a whole number from 0 to 1000000000)"
        );
    }

    #[test]
    fn past_ten_malformed_rows_the_rest_are_counted() {
        // Rows on lines 2 to 15, of which lines 3 to 15 are bad: 13 in all.
        let mut rows = String::from("0,1,2\n");
        for i in 1..=13 {
            rows.push_str(&format!("{i},-{i},2\n"));
        }
        let e = err(&trace(&rows));
        let lines: Vec<u64> = e.problems.iter().map(|p| p.0).collect();
        assert_eq!(lines, (3..=12).collect::<Vec<u64>>());
        assert_eq!((e.unlisted, e.rows()), (3, 13));
        let text = e.render("t.csv");
        assert!(text.starts_with("t.csv has 13 malformed rows:\n"), "{text}");
        assert!(text.ends_with("\n  t.csv:12: input_tokens: \"-10\" is not a token count (a whole number from 0 to 1000000000)\n  and 3 more rows with problems"), "{text}");
        assert_eq!(text.lines().count(), 12);
        rows.push_str("a,1,2\n");
        assert!(
            err(&trace(&rows))
                .render("t.csv")
                .ends_with("and 4 more rows with problems")
        );
        // Eleven bad rows: one more, in the singular.
        let e = err(&trace(rows.lines().take(12).collect::<Vec<_>>().join("\n")));
        assert_eq!(e.unlisted, 1);
        assert!(
            e.render("t.csv")
                .ends_with("\n  and 1 more row with problems")
        );
    }

    #[test]
    fn each_row_earlier_than_the_row_before_it_is_one_problem() {
        // 5, 4, 3: lines 3 and 4 each go back; 6 on line 5 does not.
        let e = err(&trace("5,1,2\n4,1,2\n3,1,2\n6,1,2\n"));
        assert_eq!(
            e.problems,
            [
                (
                    3,
                    "t_s = 4 is earlier than 5 on line 2; rows must be sorted by t_s".to_string()
                ),
                (
                    4,
                    "t_s = 3 is earlier than 4 on line 3; rows must be sorted by t_s".to_string()
                ),
            ]
        );
        // One mistyped time far ahead is one problem, not one per row after it.
        let (line, msg) = one(&trace("0,1,2\n1000,1,2\n2,1,2\n3,1,2\n4,1,2\n"));
        assert_eq!(line, 4);
        assert!(
            msg.contains("t_s = 2 is earlier than 1000 on line 3"),
            "{msg}"
        );
        // Equal times are in order; an unreadable time is skipped over.
        assert_eq!(parse(&trace("1,1,2\n1,1,2\n")).unwrap().len(), 2);
        let e = err(&trace("5,1,2\nx,1,2\n4,1,2\n"));
        assert_eq!(e.problems[1].0, 4);
        assert!(e.problems[1].1.contains("than 5 on line 2"), "{e:?}");
    }

    #[test]
    fn bytes_that_are_not_utf8_count_only_in_read_columns() {
        // Latin-1 in a note column and its name is no business of backsim's.
        let rows = parse(b"t_s,input_tokens,output_tokens,d\xe9tail\n0,1,2,caf\xe9\n").unwrap();
        assert_eq!(rows.len(), 1);
        // A Latin-1 no-break space after a read column's name hides it.
        let (line, msg) = one(b"t_s,input_tokens,output_tokens\xa0\n0,1,2\n");
        assert_eq!(line, 1);
        assert!(
            msg.contains("no column `output_tokens`")
                && msg.contains("\"output_tokens\\xa0\" (not UTF-8 text)"),
            "{msg}"
        );
        let (line, msg) = one(&trace(b"0,1,2\n1,\xc3\x28,2\n"));
        assert_eq!(line, 3);
        assert_eq!(msg, "input_tokens: \"\\xc3(\" is not UTF-8 text");
    }

    #[test]
    fn crlf_line_ends_and_a_byte_order_mark_are_accepted() {
        let want = parse(&trace("0,1,2\n1.5,3,4\n")).unwrap();
        assert_eq!(want.len(), 2);
        let crlf = b"t_s,input_tokens,output_tokens\r\n0,1,2\r\n1.5,3,4\r\n";
        assert_eq!(parse(crlf).unwrap(), want);
        // Spreadsheets start "CSV UTF-8" files with a byte-order mark.
        let bom = [&b"\xef\xbb\xbf"[..], &trace("0,1,2\n1.5,3,4\n")].concat();
        assert_eq!(parse(&bom).unwrap(), want);
        // Neither moves the lines named.
        assert_eq!(
            one(b"t_s,input_tokens,output_tokens\r\n0,1,2\r\n1,x,2\r\n").0,
            3
        );
        let bad = [&b"\xef\xbb\xbf"[..], &trace("0,1,2\n1,x,2\n")].concat();
        assert_eq!(one(&bad).0, 3);
        // Blank lines are skipped, and counted; so are old Mac `\r` ends.
        assert_eq!(one(&trace("0,1,2\n\n\r\n1,x,2\n")).0, 5);
        assert_eq!(one(b"t_s,input_tokens,output_tokens\r0,1,2\r1,x,2\r").0, 3);
        assert_eq!(line_breaks(b"a\nb\r\nc\rd\r"), 4);
        // A quoted value over two lines: the next row is on line 4.
        let (line, _) = one(b"t_s,input_tokens,output_tokens,note\n0,1,2,\"a\nb\"\n1,x,2,c\n");
        assert_eq!(line, 4);
    }

    #[test]
    fn times_are_read_to_the_nanosecond_and_the_copy_reads_back_the_same() {
        let rows = parse(&trace(
            "0.5,1,2\n12.000000001,1,2\n1e3,1,2\n+1000.0000000015,1,2\n\
             4459088.264370522,1,2\n3153600000,1,2\n",
        ))
        .unwrap();
        let starts: Vec<u64> = rows.iter().map(|r| r.start).collect();
        // Half a nanosecond rounds up; the last row is at the latest time
        // a run may reach, 36,500 days. Through f64, 4459088.264370522 s
        // was read as ...523 ns.
        assert_eq!(
            starts,
            [
                S / 2,
                12 * S + 1,
                1000 * S,
                1000 * S + 2,
                4_459_088_264_370_522,
                MAX_DURATION
            ]
        );
        let copy = to_csv(&rows);
        assert_eq!(
            String::from_utf8_lossy(&copy),
            "t_s,input_tokens,output_tokens\n0.5,1,2\n12.000000001,1,2\n1000,1,2\n\
             1000.000000002,1,2\n4459088.264370522,1,2\n3153600000,1,2\n"
        );
        assert_eq!(parse(&copy).unwrap(), rows);
        // Times equal to the nanosecond are in order.
        assert_eq!(
            parse(&trace("0.0000000002,1,2\n0.0000000001,1,2\n"))
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn times_past_a_hundred_years_are_refused_with_their_lines() {
        // 1e300 s was once read as 2^64 - 1 ns (18446744073.709551615 s),
        // and 99999999999 s likewise: both are past the 36,500 days a run
        // may last; a nanosecond past it is too.
        let e = err(&trace(
            "0,1,2\n1e300,1,2\n99999999999,1,2\n3153600000.000000001,1,2\n3153600000,1,2\n",
        ));
        let too_late = |t: &str| {
            format!(
                "t_s: \"{t}\" is too late: at most 3153600000 seconds (36500d, the longest time a run may last)"
            )
        };
        assert_eq!(
            e.problems,
            [
                (3, too_late("1e300")),
                (4, too_late("99999999999")),
                (5, too_late("3153600000.000000001")),
            ]
        );
    }

    #[test]
    fn files_that_are_not_csv_text_get_one_message() {
        let utf16: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain(HEADER.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let (line, msg) = one(&utf16);
        assert_eq!(line, 1);
        assert!(
            msg.starts_with("the file is UTF-16 text, not UTF-8;"),
            "{msg}"
        );
        // The first bytes of a gzip file, then thousands of lines.
        let mut gzip = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03".to_vec();
        gzip.extend(b"\xb5\x01,\x02\n".repeat(5000));
        let (line, msg) = one(&gzip);
        assert_eq!(line, 1);
        assert!(
            msg.contains("NUL bytes, so this is not a CSV text file"),
            "{msg}"
        );
        // Binary without a NUL: the header is not one, and its names are
        // escaped and cut rather than printed raw.
        let (line, msg) = one(&[b"\x1b[2J", &b"x".repeat(100)[..], b",\x07\n1,2\n"].concat());
        assert_eq!(line, 1);
        assert!(msg.contains("(found \"\\u{1b}[2Jxxxx"), "{msg}");
        assert!(msg.contains("xxxx…\", \"\\u{7}\")"), "{msg}");
        assert!(!msg.chars().any(char::is_control), "{msg}");
    }
}
