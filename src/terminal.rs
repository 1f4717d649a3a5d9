//! What backsim prints is safe on a terminal: a control character in a
//! scenario (a strategy name, a key, a trace cell) or in a path could
//! otherwise clear the screen, set the window title or hide text. Every
//! message, table and note goes through [`safe`] on its way out: control
//! characters other than line feed and tab (C0, DEL and C1) are written
//! as Rust writes them in strings, `\u{1b}`. JSON goes through
//! [`json_safe`], which keeps it valid JSON. Numbers in messages are
//! shown by [`show_number`] (a number a user gave), [`group`] (a count)
//! and [`format_bytes`] (a size). Whether messages are coloured is
//! decided once, from `--color` and `NO_COLOR` ([`wants_color`]), and read
//! by [`color`].

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether `c` is a control character a terminal may act on: C0 but line
/// feed and tab, DEL, and C1 (U+0080 to U+009F, e.g. U+009B, a one-byte
/// CSI on some terminals).
fn is_control(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// `text` with every control character but line feed and tab escaped as
/// `\u{…}`; borrowed when there is none.
///
/// ```
/// use backsim::terminal::safe;
/// assert_eq!(safe("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
/// assert_eq!(safe("two\nlines\tok"), "two\nlines\tok");
/// assert_eq!(safe("\u{9b}31m"), "\\u{9b}31m");
/// ```
pub fn safe(text: &str) -> Cow<'_, str> {
    escaped(text, |c| format!("\\u{{{:x}}}", c as u32))
}

/// A JSON document with DEL and the C1 controls escaped as `\u00XX` (the
/// JSON writer already escapes C0); still the same JSON. Outside strings
/// JSON is ASCII without controls, so every such character is in a
/// string, where the escape means the same character.
///
/// ```
/// use backsim::terminal::json_safe;
/// assert_eq!(json_safe("{\"a\":\"x\u{9b}y\u{7f}\"}"), "{\"a\":\"x\\u009by\\u007f\"}");
/// ```
pub fn json_safe(json: &str) -> Cow<'_, str> {
    escaped(json, |c| format!("\\u{:04x}", c as u32))
}

/// `text` with each control character `c` replaced by `escape(c)`.
fn escaped(text: &str, escape: impl Fn(char) -> String) -> Cow<'_, str> {
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_control(c) {
            out.push_str(&escape(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A number from a scenario file as a message shows it: as Rust writes it
/// (`0.5`, `6000`, `-3`), except far from 1, where the digits would run
/// to hundreds (`1e308` is 309 of them), in the shortest exponent form
/// that reads back to the same number (`1e308`, `5e-324`, `1.5e-7`).
///
/// ```
/// use backsim::terminal::show_number;
/// assert_eq!(show_number(0.5), "0.5");
/// assert_eq!(show_number(6000.0), "6000");
/// assert_eq!(show_number(1e308), "1e308");
/// assert_eq!(show_number(5e-324), "5e-324");
/// ```
pub fn show_number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() || (1e-4..1e16).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// Bytes for people, in powers of 1000 as `--stats` prints them:
/// `512 bytes`, `4.1 kB`, `153.6 MB`, `31.2 GB`, `1.5 TB`.
pub fn format_bytes(b: u64) -> String {
    let x = b as f64;
    for (unit, scale) in [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)] {
        if x >= scale {
            return format!("{:.1} {unit}", x / scale);
        }
    }
    format!("{b} bytes")
}

/// `1234567` as `1,234,567`.
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `--color`: when messages on stderr are coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stderr is a terminal and NO_COLOR is unset or empty.
    Auto,
    /// Colour always, even into a file or a pipe, and whatever NO_COLOR
    /// says.
    Always,
    /// Never colour.
    Never,
}

/// Whether to colour, by <https://no-color.org>: `always` and `never` say
/// so; `auto` colours a terminal unless `NO_COLOR` is set to a non-empty
/// value (`no_color`: the variable's value, None when unset).
///
/// ```
/// use backsim::terminal::{ColorChoice, wants_color};
/// use std::ffi::OsStr;
/// assert!(wants_color(ColorChoice::Auto, true, None));
/// assert!(!wants_color(ColorChoice::Auto, false, None));
/// assert!(!wants_color(ColorChoice::Auto, true, Some(OsStr::new("1"))));
/// assert!(wants_color(ColorChoice::Auto, true, Some(OsStr::new(""))));
/// assert!(wants_color(ColorChoice::Always, false, Some(OsStr::new("1"))));
/// assert!(!wants_color(ColorChoice::Never, true, None));
/// ```
pub fn wants_color(
    choice: ColorChoice,
    is_terminal: bool,
    no_color: Option<&std::ffi::OsStr>,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_terminal && no_color.is_none_or(|v| v.is_empty()),
    }
}

/// Whether messages on stderr are coloured; off until [`set_color`].
static COLOR: AtomicBool = AtomicBool::new(false);

/// Decides, once at the start, whether messages on stderr are coloured:
/// [`wants_color`] for stderr and the environment's `NO_COLOR`.
pub fn set_color(choice: ColorChoice) {
    use std::io::IsTerminal;
    let on = wants_color(
        choice,
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    COLOR.store(on, Ordering::Relaxed);
}

/// Whether messages on stderr are coloured ([`set_color`]).
pub fn color() -> bool {
    COLOR.load(Ordering::Relaxed)
}

/// The `error: ` that opens every message, in bold red when `color`.
pub fn error_label(color: bool) -> &'static str {
    if color {
        "\u{1b}[1m\u{1b}[91merror\u{1b}[0m\u{1b}[1m:\u{1b}[0m "
    } else {
        "error: "
    }
}
