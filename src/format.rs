//! Numbers as backsim writes them: [`fmt_num`] for data files (shortest
//! exact decimals, the same on every machine), and the cell formats the
//! terminal tables, pages and charts share ([`count`], [`grouped`],
//! [`with_ci`], [`pct`], [`secs`], [`ratio`], [`usd`]). (Numbers in
//! messages are [`crate::terminal`]'s.)

use crate::terminal::group;

/// Formats a number for reports: at most `decimals` decimals, trailing
/// zeros dropped, `.` as decimal point, empty for NaN (not applicable).
///
/// Rounding to a fixed number of decimals keeps results that are exact in
/// the model (4.2 s, a success rate of 0.25) exact in the file, instead of
/// showing the last-bit noise of averaging floats.
///
/// ```
/// use backsim::format::fmt_num;
/// assert_eq!(fmt_num(4.200000000000001, 9), "4.2");
/// assert_eq!(fmt_num(4250.0, 9), "4250");
/// assert_eq!(fmt_num(f64::NAN, 9), "");
/// assert_eq!(fmt_num(-0.0000000001, 9), "0");
/// ```
pub fn fmt_num(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let s = format!("{x:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// A mean with its 95% CI half-width, both to three significant digits of
/// the mean, e.g. "0.288 ± 0.004", "97.8 ± 0.4"; the mean alone without a
/// CI.
pub fn with_ci(x: f64, ci: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let magnitude = if x == 0.0 {
        0
    } else {
        x.abs().log10().floor() as i32
    };
    let decimals = (2 - magnitude).clamp(0, 6) as usize;
    if ci.is_finite() {
        format!("{x:.decimals$} ± {ci:.decimals$}")
    } else {
        format!("{x:.decimals$}")
    }
}

/// A mean count per replication: whole numbers as such, others to one
/// decimal, in groups of three.
///
/// ```
/// use backsim::format::count;
/// assert_eq!(count(3.0), "3");
/// assert_eq!(count(2.34), "2.3");
/// assert_eq!(count(24105.7), "24,105.7");
/// assert_eq!(count(f64::NAN), "-");
/// ```
pub fn count(x: f64) -> String {
    if !x.is_finite() {
        "-".into()
    } else {
        grouped(x, 1)
    }
}

/// A non-negative number with at most `decimals` decimals and its whole
/// part in groups of three, e.g. "30,000", "1,234.5".
pub fn grouped(x: f64, decimals: usize) -> String {
    let s = fmt_num(x, decimals);
    match s.split_once('.') {
        Some((whole, frac)) => match whole.parse::<u64>() {
            Ok(w) => format!("{}.{frac}", group(w)),
            Err(_) => s,
        },
        None => s.parse::<u64>().map_or(s.clone(), group),
    }
}

/// A share as a percentage with one decimal; "-" when not applicable.
pub fn pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", 100.0 * x)
    } else {
        "-".into()
    }
}

/// Seconds with up to 3 decimals, e.g. "1.25s".
pub fn secs(x: f64) -> String {
    if x.is_finite() {
        format!("{}s", fmt_num(x, 3))
    } else {
        "-".into()
    }
}

/// A ratio with 2 decimals.
pub fn ratio(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}")
    } else {
        "-".into()
    }
}

/// Dollars with 4 decimals (no sign).
pub fn usd(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.4}")
    } else {
        "-".into()
    }
}
