//! Trace files for `kind = "trace"`: one request per row, replayed as
//! recorded.
//!
//! The format is CSV with a header row naming at least the columns `t_s`
//! (start time in seconds from the start of the run, a decimal number ≥ 0,
//! rows in non-decreasing order), `input_tokens` and `output_tokens` (whole
//! numbers ≥ 0); other columns (an API gateway's request id, say) are
//! ignored. Every malformed row is reported with its line number.

use super::{MAX_TOKENS_PER_REQUEST, TraceRow};
use crate::time::nanos_from_secs_f64;
use std::path::Path;

/// Most rows a trace may have (each row is a request held in memory).
pub const MAX_TRACE_ROWS: usize = 10_000_000;

/// The columns a trace must have.
pub const TRACE_COLUMNS: [&str; 3] = ["t_s", "input_tokens", "output_tokens"];

/// Where a scenario's trace files come from: given the file name as
/// written, its bytes and the name to show in messages.
pub type FileSource<'a> = &'a dyn Fn(&str) -> Result<(Vec<u8>, String), String>;

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
    parse(&bytes).map_err(|(line, msg)| format!("{shown}:{line}: {msg}"))
}

/// Parses a trace; errors are (line, message).
pub fn parse(bytes: &[u8]) -> Result<Vec<TraceRow>, (u64, String)> {
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let header = reader
        .byte_headers()
        .map_err(|e| (1, format!("cannot read the header row: {e}")))?
        .clone();
    let header: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    let mut at = [0usize; 3];
    for (slot, name) in at.iter_mut().zip(TRACE_COLUMNS) {
        *slot = header.iter().position(|h| h == name).ok_or_else(|| {
            (
                1,
                format!(
                    "the header has no column `{name}`; a trace needs {} (found {})",
                    TRACE_COLUMNS.join(", "),
                    if header.is_empty() {
                        "nothing".to_string()
                    } else {
                        header.join(", ")
                    }
                ),
            )
        })?;
    }
    let mut rows: Vec<TraceRow> = Vec::new();
    let mut previous: Option<(f64, u64)> = None;
    for record in reader.byte_records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            (line, format!("{e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if rows.len() >= MAX_TRACE_ROWS {
            return Err((
                line,
                format!("more than {MAX_TRACE_ROWS} rows; split the trace"),
            ));
        }
        let cell = |i: usize, name: &str| -> Result<&str, (u64, String)> {
            let raw = record.get(i).unwrap_or(b"");
            std::str::from_utf8(raw)
                .map(str::trim)
                .map_err(|_| (line, format!("{name}: not UTF-8 text")))
        };
        let t = cell(at[0], "t_s")?;
        let t_s: f64 = match t.parse() {
            Ok(x) if f64::is_finite(x) && x >= 0.0 => x,
            _ => {
                return Err((
                    line,
                    format!(
                        "t_s: \"{t}\" is not a time in seconds (a decimal number of at least 0, like 12.5)"
                    ),
                ));
            }
        };
        if let Some((prev, prev_line)) = previous {
            if t_s < prev {
                return Err((
                    line,
                    format!(
                        "t_s = {t_s} is earlier than {prev} on line {prev_line}; rows must be sorted by t_s"
                    ),
                ));
            }
        }
        previous = Some((t_s, line));
        let tokens = |i: usize, name: &str| -> Result<u64, (u64, String)> {
            let v = cell(i, name)?;
            match v.parse::<u64>() {
                Ok(n) if n <= MAX_TOKENS_PER_REQUEST => Ok(n),
                _ => Err((
                    line,
                    format!(
                        "{name}: \"{v}\" is not a token count (a whole number from 0 to {MAX_TOKENS_PER_REQUEST})"
                    ),
                )),
            }
        };
        rows.push(TraceRow {
            start: nanos_from_secs_f64(t_s),
            input_tokens: tokens(at[1], "input_tokens")?,
            output_tokens: tokens(at[2], "output_tokens")?,
        });
    }
    if rows.is_empty() {
        // Line 1, the header: a file of one line has no line 2 to name.
        return Err((1, "the trace has a header but no rows below it".to_string()));
    }
    Ok(rows)
}

/// Writes rows back as a trace (the copy kept with a report).
pub fn to_csv(rows: &[TraceRow]) -> Vec<u8> {
    let mut out = String::from("t_s,input_tokens,output_tokens\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{}\n",
            crate::report::fmt_num(crate::time::as_secs_f64(r.start), 9),
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
    fn malformed_rows_name_their_line() {
        let err = |text: &[u8]| parse(text).unwrap_err();
        assert_eq!(err(b"t_s,input_tokens\n").0, 1);
        assert!(err(b"t_s,input_tokens\n").1.contains("`output_tokens`"));
        let (line, msg) = err(b"t_s,input_tokens,output_tokens\n0,1,2\nsoon,1,2\n");
        assert_eq!(line, 3);
        assert!(msg.contains("t_s: \"soon\""), "{msg}");
        let (line, msg) = err(b"t_s,input_tokens,output_tokens\n5,1,2\n4,1,2\n");
        assert_eq!(line, 3);
        assert!(msg.contains("line 2") && msg.contains("sorted"), "{msg}");
        let (line, msg) = err(b"t_s,input_tokens,output_tokens\n0,1,2\n1,-5,2\n");
        assert_eq!(line, 3);
        assert!(msg.contains("input_tokens: \"-5\""), "{msg}");
        let (line, msg) = err(b"t_s,input_tokens,output_tokens\n0,1,\xff\n");
        assert_eq!(line, 2);
        assert!(msg.contains("UTF-8"), "{msg}");
        let (line, _) = err(b"t_s,input_tokens,output_tokens\n0,1,2\n1,2\n");
        assert_eq!(line, 3);
        assert!(
            err(b"t_s,input_tokens,output_tokens\n")
                .1
                .contains("no rows")
        );
        // Found by fuzzing (fuzz/fuzz_targets/trace.rs): a header with no
        // line break was refused at line 2 of a one-line file.
        assert_eq!(err(b"t_s,input_tokens,output_tokens").0, 1);
        assert_eq!(err(b"t_s,input_tokens,output_tokens\n").0, 1);
        assert!(
            err(b"t_s,input_tokens,output_tokens\n-1,1,2\n")
                .1
                .contains("at least 0")
        );
    }
}
