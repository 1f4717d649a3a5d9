//! The properties the fuzz targets in `fuzz/` check, as functions of the
//! library: the targets call them on generated inputs, and
//! `tests/integration/fuzz_regressions.rs` on every input a fuzzer ever
//! failed on (`fuzz/regressions/`), so that the two cannot drift apart and
//! a fixed failure stays fixed in every `cargo test`. Each panics, saying
//! what broke, when its property does not hold.

use crate::scenario::trace::{self, MAX_LISTED, MAX_TRACE_ROWS};
use crate::scenario::{self, MAX_TOKENS_PER_REQUEST};

/// Scenario parsing and validation on arbitrary bytes: never a panic, and
/// every scenario backsim accepts writes a resolved `scenario.toml` that
/// it accepts again and resolves to the same text.
pub fn check_scenario(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else {
        return; // backsim refuses non-UTF-8 files before parsing
    };
    // A trace file named by the input is the input itself, so that trace
    // parsing is reached from scenario files too.
    let files = |name: &str| Ok(trace::TraceFile::in_memory(data.to_vec(), name.to_string()));
    let Ok(scenario) = scenario::parse_with(src, "fuzz.toml", "fuzz", &files) else {
        return;
    };
    let resolved = scenario.to_toml();
    let again = scenario::parse_with(&resolved, "scenario.toml", "fuzz", &files)
        .unwrap_or_else(|e| panic!("the resolved scenario does not parse:\n{e}\n{resolved}"));
    assert_eq!(
        again.to_toml(),
        resolved,
        "resolving twice changed the scenario"
    );
}

/// Trace parsing on arbitrary bytes: never a panic. An accepted trace has
/// 1 to [`MAX_TRACE_ROWS`] rows in time order with token counts in range,
/// and the copy a report keeps of it reads back to the same rows. A
/// refusal lists 1 to [`MAX_LISTED`] problems (and counts the rest only
/// past that many), in file order, each on a line of the file with text on
/// it, and its message is printable: no control character but line
/// breaks, however binary the file.
pub fn check_trace(data: &[u8]) {
    match trace::parse(data) {
        Ok(rows) => {
            assert!(
                !rows.is_empty() && rows.len() <= MAX_TRACE_ROWS,
                "accepted {} rows",
                rows.len()
            );
            if let Some(w) = rows.windows(2).find(|w| w[0].start > w[1].start) {
                panic!("accepted rows out of time order: {w:?}");
            }
            if let Some(r) = rows.iter().find(|r| {
                r.input_tokens > MAX_TOKENS_PER_REQUEST || r.output_tokens > MAX_TOKENS_PER_REQUEST
            }) {
                panic!("accepted a token count out of range: {r:?}");
            }
            let copy = trace::to_csv(&rows);
            match trace::parse(&copy) {
                Ok(again) => {
                    let n = rows.len().max(again.len());
                    if let Some(i) = (0..n).find(|&i| rows.get(i) != again.get(i)) {
                        panic!(
                            "the copy reads back differently: row {} {:?} became {:?}",
                            i + 1,
                            rows.get(i),
                            again.get(i)
                        );
                    }
                }
                Err(e) => panic!("the copy is refused: {e:?}"),
            }
        }
        Err(e) => {
            let n = e.problems.len();
            assert!((1..=MAX_LISTED).contains(&n), "{n} problems listed: {e:?}");
            assert!(
                e.unlisted == 0 || n == MAX_LISTED,
                "{} problems counted but only {n} listed",
                e.unlisted
            );
            let lines = lines(data);
            let blank = data
                .strip_prefix(b"\xef\xbb\xbf")
                .unwrap_or(data)
                .iter()
                .all(u8::is_ascii_whitespace);
            let mut before = 1;
            for (line, _) in &e.problems {
                let line = *line;
                assert!(
                    line >= before,
                    "problems out of file order: line {line} after line {before}"
                );
                before = line;
                let at = usize::try_from(line - 1).unwrap_or(usize::MAX);
                assert!(
                    at < lines.len(),
                    "line {line} of a file of {} lines",
                    lines.len()
                );
                assert!(
                    blank || !lines[at].is_empty(),
                    "line {line} is empty: {e:?}"
                );
            }
            let message = e.render("trace.csv");
            if let Some(c) = message.chars().find(|&c| c.is_control() && c != '\n') {
                panic!("the message holds the control character {c:?}:\n{message}");
            }
            let listed = message.lines().count();
            let want = match (n, e.unlisted) {
                (1, 0) => 1,
                (_, 0) => n + 1,
                _ => n + 2,
            };
            assert_eq!(listed, want, "message of {listed} lines:\n{message}");
        }
    }
}

/// The lines of a file as the trace reader counts them: split at `\n`,
/// `\r\n` and a lone `\r`.
fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < data.len() {
        let end = i;
        match data[i] {
            b'\n' => i += 1,
            b'\r' if data.get(i + 1) == Some(&b'\n') => i += 2,
            b'\r' => i += 1,
            _ => {
                i += 1;
                continue;
            }
        }
        out.push(&data[start..end]);
        start = i;
    }
    out.push(&data[start..]);
    out
}
