//! Numbers as backsim writes them into its data files: shortest exact
//! decimals, the same on every machine. (Numbers shown to people in
//! messages are [`crate::terminal`]'s.)

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
