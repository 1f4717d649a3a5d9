//! Trace files for `kind = "trace"`: one request per row, replayed as
//! recorded.
//!
//! The format is CSV with a header row naming at least the columns `t_s`
//! (start time in seconds from the start of the run, a decimal number from
//! 0 to 36,500 days, rows in non-decreasing order), `input_tokens` and
//! `output_tokens` (whole numbers ≥ 0); other columns (an API gateway's
//! request id, say) are ignored, whatever bytes they hold and however long
//! their values. A UTF-8 byte-order mark, which spreadsheets write, is
//! accepted. Every malformed row is reported with its line number, all of
//! them at once (the first [`MAX_LISTED`], then a count), so that a trace
//! can be fixed in one pass.
//!
//! A trace is read as it comes, never whole: memory holds its rows (24
//! bytes each, at most [`MAX_TRACE_ROWS`], and no more than the memory
//! left under `--max-memory`) and one value of each column read, at most
//! [`MAX_CELL`] bytes; a file may have at most [`MAX_TRACE_BYTES`]. So a
//! trace named `/dev/zero`, a FIFO, or a file of one value gigabytes long
//! is refused as soon as it shows what it is, and a large one is refused
//! before its rows fill the memory.

use super::{MAX_TOKENS_PER_REQUEST, TraceRow};
use crate::time::{
    MAX_DURATION, MAX_DURATION_TEXT, NANOS_PER_SEC, SimDuration, nanos_from_secs_f64,
};
use std::io::Read;
use std::path::Path;

/// Most rows a trace may have (each row is a request held in memory).
pub const MAX_TRACE_ROWS: usize = 10_000_000;

/// Most bytes a trace file may have: 4 GiB, about 400 bytes for each of
/// the most rows. Reading stops there, whatever the file says its size is
/// (a FIFO or a device says 0).
pub const MAX_TRACE_BYTES: u64 = 4 << 30;

/// Longest value backsim reads in a trace, in bytes: a name in the header,
/// or a `t_s`, `input_tokens` or `output_tokens` value (a number is a few
/// bytes). Values of other columns may be of any length; they are skipped
/// unread.
pub const MAX_CELL: usize = 1024;

/// Bytes one row takes in memory.
pub const ROW_BYTES: u64 = size_of::<TraceRow>() as u64;

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

/// Memory that reading may still take, and the limit it is left under
/// (`--max-memory 1G`), for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    pub bytes: u64,
    pub limit: String,
}

/// A trace file to read: its bytes as they come, its name as messages
/// show it, and the memory its rows may take (None: any, up to
/// [`MAX_TRACE_ROWS`] rows).
pub struct TraceFile {
    pub reader: Box<dyn Read>,
    pub shown: String,
    pub room: Option<Room>,
}

impl TraceFile {
    /// A trace already in memory, shown as `shown`.
    pub fn in_memory(bytes: Vec<u8>, shown: String) -> TraceFile {
        TraceFile {
            reader: Box::new(std::io::Cursor::new(bytes)),
            shown,
            room: None,
        }
    }
}

/// Where a scenario's trace files come from: given the file name as
/// written, the file to read.
pub type FileSource<'a> = &'a dyn Fn(&str) -> Result<TraceFile, String>;

/// Traces already parsed, by file name: the points of a sweep and the
/// candidates of a tune share one.
pub type TraceCache =
    std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<[TraceRow]>>>;

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

/// Why reading a trace stopped.
#[derive(Debug)]
enum Failure {
    /// What is wrong with the trace.
    Trace(TraceError),
    /// The file could not be read at `line` (`started`: after some of it
    /// had been).
    Io {
        line: u64,
        started: bool,
        error: std::io::Error,
    },
}

impl From<TraceError> for Failure {
    fn from(e: TraceError) -> Failure {
        Failure::Trace(e)
    }
}

/// Reads files from disk, relative to `dir` unless absolute; their rows
/// may take at most `room` (None: any).
pub fn from_dir(dir: &Path, room: Option<Room>) -> impl Fn(&str) -> Result<TraceFile, String> + '_ {
    move |file: &str| {
        let path = dir.join(file);
        let shown = path.display().to_string();
        let file =
            std::fs::File::open(&path).map_err(|e| format!("cannot read trace {shown}: {e}"))?;
        Ok(TraceFile {
            reader: Box::new(file),
            shown,
            room: room.clone(),
        })
    }
}

/// Reads and parses the trace `file`. Rows at or after the horizon are
/// kept; they simply never start.
pub fn read(source: FileSource, file: &str) -> Result<Vec<TraceRow>, String> {
    let TraceFile {
        reader,
        shown,
        room,
    } = source(file)?;
    parse_within(reader, room.as_ref(), MAX_TRACE_BYTES).map_err(|f| match f {
        Failure::Trace(e) => e.render(&shown),
        Failure::Io {
            started: false,
            error,
            ..
        } => format!("cannot read trace {shown}: {error}"),
        Failure::Io { line, error, .. } => format!("{shown}:{line}: cannot read on: {error}"),
    })
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
pub(super) fn quote(text: &str) -> String {
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

/// Parses a trace held in memory (see [`read`] for files). A refusal
/// lists every malformed row (up to [`MAX_LISTED`]) with its line;
/// problems with the file as a whole (no header row, a missing column,
/// too many rows) come alone, since they leave the rows unreadable or the
/// file unusable anyway.
pub fn parse(bytes: &[u8]) -> Result<Vec<TraceRow>, TraceError> {
    parse_within(bytes, None, MAX_TRACE_BYTES).map_err(|f| match f {
        Failure::Trace(e) => e,
        // Bytes in memory cannot fail to read.
        Failure::Io { line, error, .. } => TraceError::one(line, error.to_string()),
    })
}

/// Parses a trace from `input`, reading at most `max_bytes` of it; its
/// rows may take at most `room` of memory.
fn parse_within(
    input: impl Read,
    room: Option<&Room>,
    max_bytes: u64,
) -> Result<Vec<TraceRow>, Failure> {
    let mut stream = Stream::new(input, max_bytes);
    let (columns, header_line) = header(&mut stream)?;
    let mut rows: Vec<TraceRow> = Vec::new();
    let mut problems: Vec<(u64, String)> = Vec::new();
    let mut unlisted = 0u64;
    let mut seen = 0usize;
    let mut previous = Previous::default();
    let mut cells: [Cell; 3] = Default::default();
    while let Some(line) = stream.next_record()? {
        seen += 1;
        if seen > MAX_TRACE_ROWS {
            return Err(TraceError::one(
                line,
                format!("more than {MAX_TRACE_ROWS} rows; split the trace"),
            )
            .into());
        }
        let values = stream.record(&columns, &mut cells)?;
        match row(values, &cells, &columns, line, &mut previous) {
            // Once a row is refused the trace is, so keep no more rows.
            Ok(r) if problems.is_empty() => {
                grow(&mut rows, room, line)?;
                rows.push(r);
            }
            Ok(_) => {}
            Err(message) if problems.len() < MAX_LISTED => problems.push((line, message)),
            Err(_) => unlisted += 1,
        }
    }
    if !problems.is_empty() {
        return Err(TraceError { problems, unlisted }.into());
    }
    if rows.is_empty() {
        return Err(
            TraceError::one(header_line, "the trace has a header but no rows below it").into(),
        );
    }
    Ok(rows)
}

/// Makes room for one more row, when `rows` is full: twice as many, if the
/// memory `room` allows the old and the new list side by side while the
/// rows move, and the allocator gives it.
fn grow(rows: &mut Vec<TraceRow>, room: Option<&Room>, line: u64) -> Result<(), TraceError> {
    if rows.len() < rows.capacity() {
        return Ok(());
    }
    let more = rows
        .capacity()
        .max(1024)
        .min(MAX_TRACE_ROWS - rows.len())
        .max(1);
    let needed = (rows.capacity() + rows.len() + more) as u64 * ROW_BYTES;
    let read = rows.len() as u64;
    let refuse = |what: String| {
        TraceError::one(
            line,
            format!(
                "the {} rows up to here need {} of memory to read on, {what}; replay fewer rows (split the trace), or raise the limit with --max-memory",
                crate::terminal::group(read),
                crate::terminal::format_bytes(needed),
            ),
        )
    };
    if let Some(room) = room
        && needed > room.bytes
    {
        return Err(refuse(format!(
            "more than the {} left under {}",
            crate::terminal::format_bytes(room.bytes),
            room.limit
        )));
    }
    rows.try_reserve_exact(more)
        .map_err(|_| refuse("which the system does not give".to_string()))
}

/// A value read from a column backsim reads (or from the header): its
/// first [`MAX_CELL`] bytes, whether those are all of it, and whether it
/// holds a NUL byte anywhere.
struct Cell {
    bytes: Box<[u8]>,
    len: usize,
    whole: bool,
    nul: bool,
}

impl Default for Cell {
    fn default() -> Cell {
        Cell {
            bytes: vec![0; MAX_CELL].into_boxed_slice(),
            len: 0,
            whole: true,
            nul: false,
        }
    }
}

impl Cell {
    fn value(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// A UTF-8 byte-order mark.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Bytes read from the input at a time.
const CHUNK: usize = 64 << 10;

/// A CSV file read as it comes, field by field, with the line each record
/// starts on. Lines end at `\n`, `\r\n` and a lone `\r`, as records do;
/// blank lines between records are skipped, and counted.
struct Stream<R> {
    input: R,
    buf: Box<[u8]>,
    /// The unread bytes are `buf[pos..end]`.
    pos: usize,
    end: usize,
    eof: bool,
    csv: csv_core::Reader,
    /// The line of `buf[pos]`, and the byte before it (for `\r\n`).
    line: u64,
    last: u8,
    /// Every byte passed so far (after a byte-order mark) is ASCII white
    /// space.
    blank: bool,
    /// Bytes taken from `input`, and the most it may give.
    taken: u64,
    max: u64,
    /// Where values of columns that are not read go.
    scratch: Box<[u8]>,
}

impl<R: Read> Stream<R> {
    fn new(input: R, max: u64) -> Self {
        Stream {
            input,
            buf: vec![0; CHUNK].into_boxed_slice(),
            pos: 0,
            end: 0,
            eof: false,
            csv: csv_core::Reader::new(),
            line: 1,
            last: 0,
            blank: true,
            taken: 0,
            max,
            scratch: vec![0; CHUNK].into_boxed_slice(),
        }
    }

    /// Reads more input into `buf[end..]` (at most `want` bytes in all
    /// unread); at the end of the input, `eof`.
    fn read_more(&mut self, want: usize) -> Result<(), Failure> {
        if self.pos == self.end {
            (self.pos, self.end) = (0, 0);
        }
        while !self.eof && self.end - self.pos < want && self.end < self.buf.len() {
            let n = match self.input.read(&mut self.buf[self.end..]) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    return Err(Failure::Io {
                        line: self.line,
                        started: self.taken > 0,
                        error,
                    });
                }
            };
            if n == 0 {
                self.eof = true;
            }
            self.end += n;
            self.taken += n as u64;
            if self.taken > self.max {
                return Err(TraceError::one(
                    self.line,
                    format!(
                        "the file goes on past {} bytes ({} GiB), the most a trace may have; keep only the columns backsim reads ({}), or split it",
                        self.max,
                        self.max >> 30,
                        TRACE_COLUMNS.join(", ")
                    ),
                )
                .into());
            }
        }
        Ok(())
    }

    /// Unread input, reading more when there is none; empty at the end.
    fn unread(&mut self) -> Result<&[u8], Failure> {
        if self.pos == self.end {
            self.read_more(1)?;
        }
        Ok(&self.buf[self.pos..self.end])
    }

    /// Passes over the next `n` unread bytes, counting lines: every `\r`
    /// and every `\n` but the second byte of a `\r\n`.
    fn consume(&mut self, n: usize) {
        let bytes = &self.buf[self.pos..self.pos + n];
        if let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) {
            let count = |c: u8| bytes.iter().filter(|&&b| b == c).count() as u64;
            let returns = count(b'\r');
            let pairs = u64::from(self.last == b'\r' && first == b'\n')
                + match returns {
                    0 => 0,
                    _ => bytes.windows(2).filter(|w| w == b"\r\n").count() as u64,
                };
            self.line += returns + count(b'\n') - pairs;
            self.blank = self.blank && bytes.iter().all(u8::is_ascii_whitespace);
            self.last = last;
        }
        self.pos += n;
    }

    /// The first bytes: a UTF-16 file is refused (spreadsheets save
    /// "Unicode text" as UTF-16: every other byte is NUL, which would
    /// otherwise surface as a baffling missing column), a byte-order mark
    /// passed over.
    fn start(&mut self, needs: &str) -> Result<(), Failure> {
        self.read_more(BOM.len())?;
        let head = &self.buf[..self.end];
        if head.starts_with(b"\xff\xfe") || head.starts_with(b"\xfe\xff") {
            return Err(TraceError::one(
                1,
                format!("the file is UTF-16 text, not UTF-8; {needs} (save it as \"CSV UTF-8\")"),
            )
            .into());
        }
        if head.starts_with(BOM) {
            self.pos = BOM.len();
        }
        Ok(())
    }

    /// Moves to the next record, past blank lines: its line, or None at
    /// the end of the file.
    fn next_record(&mut self) -> Result<Option<u64>, Failure> {
        loop {
            match self.unread()?.first() {
                None => return Ok(None),
                Some(b'\r' | b'\n') => self.consume(1),
                Some(_) => return Ok(Some(self.line)),
            }
        }
    }

    /// Whether the rest of the file is ASCII white space, like all of it
    /// so far (reading on to the first byte that is not).
    fn blank_to_the_end(&mut self) -> Result<bool, Failure> {
        while self.blank {
            let unread = self.unread()?;
            if unread.is_empty() {
                break;
            }
            let n = unread
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .map_or(unread.len(), |i| i + 1);
            self.consume(n);
        }
        Ok(self.blank)
    }

    /// Reads the next field of the record into `cell`, or past it
    /// (None). True if it ends the record. With `give_up`, stops reading
    /// as soon as the cell is longer than [`MAX_CELL`] or holds a NUL
    /// byte (a header: a binary file, or `/dev/zero`, shows what it is
    /// in its first bytes).
    fn field(&mut self, mut cell: Option<&mut Cell>, give_up: bool) -> Result<bool, Failure> {
        if let Some(c) = cell.as_deref_mut() {
            (c.len, c.whole, c.nul) = (0, true, false);
        }
        loop {
            if self.pos == self.end {
                self.read_more(1)?;
            }
            let Stream {
                buf,
                pos,
                end,
                csv,
                scratch,
                ..
            } = self;
            let input = &buf[*pos..*end];
            let keep = cell.as_deref_mut().filter(|c| c.len < MAX_CELL);
            let (result, read, written) = match keep {
                Some(c) => {
                    let (result, read, written) = csv.read_field(input, &mut c.bytes[c.len..]);
                    c.nul |= c.bytes[c.len..c.len + written].contains(&0);
                    c.len += written;
                    (result, read, written)
                }
                None => {
                    let (result, read, written) = csv.read_field(input, scratch);
                    if let Some(c) = cell.as_deref_mut() {
                        c.nul |= scratch[..written].contains(&0);
                        c.whole &= written == 0;
                    }
                    (result, read, written)
                }
            };
            self.consume(read);
            if give_up && cell.as_deref().is_some_and(|c| c.nul || !c.whole) {
                return Ok(false);
            }
            match result {
                csv_core::ReadFieldResult::Field { record_end } => return Ok(record_end),
                csv_core::ReadFieldResult::End => return Ok(true),
                // A full cell reads on into the scratch space (a value
                // is longer than the cell if any of it lands there), and
                // a full scratch space is emptied.
                csv_core::ReadFieldResult::OutputFull => {}
                csv_core::ReadFieldResult::InputEmpty => {
                    // The end of the input ends the field (csv_core says
                    // so for empty input; this only guards the loop).
                    if self.eof && read == 0 && written == 0 && self.pos == self.end {
                        return Ok(true);
                    }
                }
            }
        }
    }

    /// Reads a record, keeping the columns `columns` reads in `cells`; the
    /// number of values it has.
    fn record(&mut self, columns: &Columns, cells: &mut [Cell; 3]) -> Result<usize, Failure> {
        let mut values = 0;
        loop {
            let slot = columns.at.iter().position(|&at| at == values);
            let end = self.field(slot.map(|s| &mut cells[s]), false)?;
            values += 1;
            if end {
                return Ok(values);
            }
        }
    }
}

/// Where the read columns are, with how many columns the header has.
struct Columns {
    at: [usize; 3],
    width: usize,
}

/// Reads the header row: the read columns' places and the header's line;
/// the stream is left at the first row.
fn header<R: Read>(stream: &mut Stream<R>) -> Result<(Columns, u64), Failure> {
    let needs = format!(
        "a trace is CSV text with a header row naming {}, then one row per request",
        TRACE_COLUMNS.join(", ")
    );
    stream.start(&needs)?;
    let empty = || TraceError::one(1, format!("the file is empty; {needs}"));
    let Some(line) = stream.next_record()? else {
        return Err(empty().into());
    };
    // Each row is checked against the header's width later, with a
    // message that says which row. Only the first names are kept, for
    // messages: a header may have any number of columns.
    let mut found: [Vec<usize>; 3] = Default::default();
    let mut names: Vec<Vec<u8>> = Vec::new();
    let mut width = 0;
    let mut cell = Cell::default();
    loop {
        let end = stream.field(Some(&mut cell), true)?;
        // Text never holds NUL bytes; a header that does is a binary file
        // (a compressed trace, a spreadsheet workbook), and its "rows"
        // would each be a problem.
        if cell.nul {
            return Err(TraceError::one(
                line,
                format!("the header row holds NUL bytes, so this is not a CSV text file; {needs}"),
            )
            .into());
        }
        if !cell.whole {
            return Err(TraceError::one(
                line,
                format!(
                    "the header's column {} is a name longer than {MAX_CELL} bytes ({}), so this is not a trace's header; {needs}",
                    width + 1,
                    match text(cell.value()) {
                        Ok(name) => quote(name),
                        Err(bytes) => quote_bytes(bytes),
                    }
                ),
            )
            .into());
        }
        if let Ok(name) = text(cell.value())
            && let Some(i) = TRACE_COLUMNS.iter().position(|c| *c == name)
            && found[i].len() < 2
        {
            found[i].push(width);
        }
        if names.len() < MAX_NAMES {
            names.push(cell.value().to_vec());
        }
        width += 1;
        if end {
            break;
        }
    }
    // A file of white space only is empty, wherever its line breaks.
    if stream.blank_to_the_end()? {
        return Err(empty().into());
    }
    let mut at = [0usize; 3];
    let mut missing = Vec::new();
    for ((slot, name), found) in at.iter_mut().zip(TRACE_COLUMNS).zip(&found) {
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
                )
                .into());
            }
        }
    }
    if !missing.is_empty() {
        let mut listed: Vec<String> = names
            .iter()
            .map(|n| match text(n) {
                Ok(name) => quote(name),
                Err(bytes) => format!("{} (not UTF-8 text)", quote_bytes(bytes)),
            })
            .collect();
        if width > MAX_NAMES {
            listed.push(format!("and {} more", width - MAX_NAMES));
        }
        return Err(TraceError::one(
            line,
            format!(
                "the header has no column{} {}; a trace needs {} (found {})",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", "),
                TRACE_COLUMNS.join(", "),
                listed.join(", ")
            ),
        )
        .into());
    }
    Ok((Columns { at, width }, line))
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

/// Reads one row of `values` values, whose read columns are `cells` (in
/// [`TRACE_COLUMNS`] order), or says everything wrong with it. `previous`
/// becomes this row's time when it is readable.
fn row(
    values: usize,
    cells: &[Cell; 3],
    columns: &Columns,
    line: u64,
    previous: &mut Previous,
) -> Result<TraceRow, String> {
    if values != columns.width {
        // Its values cannot be told apart from their neighbours' (a
        // missing value or an unquoted comma shifts every later column).
        return Err(format!(
            "{values} values, but the header names {} columns",
            columns.width
        ));
    }
    let mut problems = Vec::new();
    let [t_cell, input_cell, output_cell] = cells;
    let mut start = None;
    if let Some(t) = cell_text(t_cell, "t_s", &mut problems) {
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
            Err(BadTime::NotATime) => {
                problems.push(format!("t_s: {} is not {}", quote(t), what("t_s")));
            }
            Err(BadTime::TooLate) => problems.push(format!(
                "t_s: {} is too late: at most {} seconds ({MAX_DURATION_TEXT}, the longest time a run may last)",
                quote(t),
                MAX_DURATION / NANOS_PER_SEC
            )),
        }
    }
    let mut tokens = |c: &Cell, name: &str| -> Option<u64> {
        let v = cell_text(c, name, &mut problems)?;
        match v.parse::<u64>() {
            Ok(n) if n <= MAX_TOKENS_PER_REQUEST => Some(n),
            _ => {
                problems.push(format!("{name}: {} is not {}", quote(v), what(name)));
                None
            }
        }
    };
    let input_tokens = tokens(input_cell, "input_tokens");
    let output_tokens = tokens(output_cell, "output_tokens");
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

/// What the values of column `name` are, for messages.
fn what(name: &str) -> String {
    match name {
        "t_s" => "a time in seconds (a decimal number of at least 0, like 12.5)".to_string(),
        _ => format!("a token count (a whole number from 0 to {MAX_TOKENS_PER_REQUEST})"),
    }
}

/// The text of a read column's value, or None with the problem in
/// `problems`: a value longer than [`MAX_CELL`], or not UTF-8.
fn cell_text<'c>(c: &'c Cell, name: &str, problems: &mut Vec<String>) -> Option<&'c str> {
    if !c.whole {
        problems.push(format!(
            "{name}: a value of more than {MAX_CELL} bytes is not {}",
            what(name)
        ));
        return None;
    }
    match text(c.value()) {
        Ok(v) => Some(v),
        Err(bytes) => {
            problems.push(format!("{name}: {} is not UTF-8 text", quote_bytes(bytes)));
            None
        }
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
        assert_eq!(
            one(b"t_s,input_tokens,output_tokens\n0,1,2\r\n1,1,2\r2,1,2\r\nx,1,2\n").0,
            5
        );
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
    fn read_values_end_at_1024_bytes_and_other_columns_at_none() {
        // 1024 digits are a time (0); 1025 are refused, with the row's
        // line; a note of 100,000 bytes is skipped unread.
        let zeros = |n: usize| "0".repeat(n);
        let note = "x".repeat(100_000);
        let rows = parse(
            format!(
                "t_s,input_tokens,output_tokens,note\n{},1,2,{note}\n1,{},2,\"{note}\"\n",
                zeros(1024),
                zeros(1024)
            )
            .as_bytes(),
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        let e = err(format!(
            "t_s,input_tokens,output_tokens\n0,1,2\n{},1,2\n1,1,{}\n",
            zeros(1025),
            "9".repeat(5000)
        )
        .as_bytes());
        assert_eq!(
            e.problems,
            [
                (
                    3,
                    "t_s: a value of more than 1024 bytes is not a time in seconds (a decimal number of at least 0, like 12.5)"
                        .to_string()
                ),
                (
                    4,
                    "output_tokens: a value of more than 1024 bytes is not a token count (a whole number from 0 to 1000000000)"
                        .to_string()
                ),
            ]
        );
    }

    #[test]
    fn endless_input_is_refused_as_soon_as_it_shows_what_it_is() {
        // /dev/zero: a NUL in the header's first bytes.
        let e = parse_within(std::io::repeat(0), None, MAX_TRACE_BYTES).unwrap_err();
        let Failure::Trace(e) = e else {
            panic!("{e:?}")
        };
        assert!(
            e.problems[0]
                .1
                .starts_with("the header row holds NUL bytes"),
            "{e:?}"
        );
        // A header name that never ends.
        let e = parse_within(std::io::repeat(b'x'), None, MAX_TRACE_BYTES).unwrap_err();
        let Failure::Trace(e) = e else {
            panic!("{e:?}")
        };
        assert!(
            e.problems[0].1.starts_with(
                "the header's column 1 is a name longer than 1024 bytes (\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…\"), so this is not a trace's header;"
            ),
            "{e:?}"
        );
        // Rows without end stop at the most a trace may have (here
        // 1,000 bytes). The 31-byte header comes in one read, the rows
        // (6 bytes each) in reads of 64: byte 1,001 comes with the read
        // after byte 991, when 160 rows have passed, on line 162.
        let rows = HEADER.as_bytes().chain(RepeatRows(b"0,1,2\n", 0));
        let e = parse_within(rows, None, 1000).unwrap_err();
        let Failure::Trace(e) = e else {
            panic!("{e:?}")
        };
        assert_eq!(
            e.problems,
            [(
                162,
                "the file goes on past 1000 bytes (0 GiB), the most a trace may have; keep only the columns backsim reads (t_s, input_tokens, output_tokens), or split it"
                    .to_string()
            )]
        );
    }

    /// `row` again and again, in reads of 64 bytes.
    struct RepeatRows(&'static [u8], usize);

    impl Read for RepeatRows {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(64);
            for b in &mut buf[..n] {
                *b = self.0[self.1 % self.0.len()];
                self.1 += 1;
            }
            Ok(n)
        }
    }

    #[test]
    fn rows_are_read_while_they_fit_in_the_memory_left() {
        // Rows grow 1,024 at first, then twice as many, and while they
        // move the old and the new list are both there: going from 1,024
        // to 2,048 rows takes 3,072 rows of 24 bytes (73.7 kB), from 2,048
        // to 4,096 takes 6,144 (147.5 kB). 100 kB allow the first, not
        // the second: the 2,049th row, on line 2,050, is refused.
        let mut text = String::from(HEADER);
        for i in 0..5000 {
            text.push_str(&format!("{i},1,2\n"));
        }
        let room = Room {
            bytes: 100_000,
            limit: "--max-memory 1M".to_string(),
        };
        let e = parse_within(text.as_bytes(), Some(&room), MAX_TRACE_BYTES).unwrap_err();
        let Failure::Trace(e) = e else {
            panic!("{e:?}")
        };
        assert_eq!(
            e.problems,
            [(
                2050,
                "the 2,048 rows up to here need 147.5 kB of memory to read on, more than the 100.0 kB left under --max-memory 1M; replay fewer rows (split the trace), or raise the limit with --max-memory"
                    .to_string()
            )]
        );
        let room = Room {
            bytes: 1_000_000,
            ..room
        };
        assert_eq!(
            parse_within(text.as_bytes(), Some(&room), MAX_TRACE_BYTES)
                .unwrap()
                .len(),
            5000
        );
    }

    #[test]
    fn a_file_that_fails_to_read_says_where() {
        /// Gives `ok`, then fails.
        struct Broken(&'static [u8]);
        impl Read for Broken {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0.is_empty() {
                    return Err(std::io::Error::other("the disk is gone"));
                }
                let n = buf.len().min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let source = |bytes: &'static [u8]| {
            move |_: &str| {
                Ok(TraceFile {
                    reader: Box::new(Broken(bytes)),
                    shown: "t.csv".to_string(),
                    room: None,
                })
            }
        };
        assert_eq!(
            read(&source(b""), "t.csv").unwrap_err(),
            "cannot read trace t.csv: the disk is gone"
        );
        assert_eq!(
            read(&source(b"t_s,input_tokens,output_tokens\n0,1,2\n"), "t.csv").unwrap_err(),
            "t.csv:3: cannot read on: the disk is gone"
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
