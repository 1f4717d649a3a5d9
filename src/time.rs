//! Simulated time: integer nanoseconds, and the duration strings scenario
//! files use (`"250ms"`, `"1.5s"`, `"2m"`, `"1h"`).
//!
//! Time is a plain `u64` count of nanoseconds since the start of a run. There
//! are no floats on the clock, so event order never depends on rounding.
//! Parsing is exact: `"1.5s"` is 1,500,000,000 ns, computed with integer
//! arithmetic from the decimal digits.
//!
//! Every duration a scenario gives (the horizon, spreads, timeouts,
//! deadlines, backoff parameters, windows, trace times, swept values) is
//! at most [`MAX_DURATION`], about 100 years, while 2^64 ns is about 584:
//! a time in a run plus any such duration, or two or three of them added
//! together, is exact. The only sums that can reach the end of the `u64`
//! range are those with a drawn or computed wait (a heavy-tailed latency
//! draw, a backoff of `base · multiplier^n`, a Retry-After the limiter
//! cannot meet in centuries); they saturate at `u64::MAX`, which is past
//! every horizon, so the event they schedule never happens, exactly as it
//! would not at its true time.

/// Nanoseconds in one second.
pub const NANOS_PER_SEC: u64 = 1_000_000_000;

/// A point in simulated time, in nanoseconds since the run started.
pub type SimTime = u64;

/// A span of simulated time, in nanoseconds.
pub type SimDuration = u64;

/// The longest duration a scenario may give: 36,500 days (100 years of
/// 365 days). See the module documentation for why.
pub const MAX_DURATION: SimDuration = 36_500 * 86_400 * NANOS_PER_SEC;

/// [`MAX_DURATION`] as a scenario file writes it.
pub const MAX_DURATION_TEXT: &str = "36500d";

/// The units a duration string may end with, and their length in ns.
const UNITS: [(&str, u64); 7] = [
    ("ns", 1),
    ("us", 1_000),
    ("ms", 1_000_000),
    ("s", NANOS_PER_SEC),
    ("m", 60 * NANOS_PER_SEC),
    ("h", 3_600 * NANOS_PER_SEC),
    ("d", 86_400 * NANOS_PER_SEC),
];

/// What a duration string must look like, for error messages.
pub const DURATION_HELP: &str = "a duration string such as \"250ms\", \"1.5s\", \"2m\" or \"1h\" (units: ns, us, ms, s, m, h, d)";

/// Parses a duration string into nanoseconds.
///
/// The number may have a fractional part; the result must be a whole number
/// of nanoseconds. Negative values, missing units and values longer than
/// [`MAX_DURATION`] are errors.
///
/// ```
/// use backsim::time::parse_duration;
/// assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
/// assert_eq!(parse_duration("250ms"), Ok(250_000_000));
/// assert_eq!(parse_duration("2m"), Ok(120_000_000_000));
/// assert!(parse_duration("10").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err(format!("empty duration; expected {DURATION_HELP}"));
    }
    if s.starts_with('-') {
        return Err(format!(
            "durations cannot be negative; expected {DURATION_HELP}"
        ));
    }
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .ok_or_else(|| format!("\"{s}\" has no unit; expected {DURATION_HELP}"))?;
    let (number, unit) = s.split_at(split);
    let unit = unit.trim();
    let scale = UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, scale)| *scale)
        .ok_or_else(|| format!("unknown unit \"{unit}\" in \"{s}\"; expected {DURATION_HELP}"))?;
    let number: String = number.chars().filter(|c| *c != '_').collect();
    let (whole, frac) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number.as_str(), ""),
    };
    if (whole.is_empty() && frac.is_empty()) || frac.contains('.') {
        return Err(format!(
            "\"{s}\" is not a number with a unit; expected {DURATION_HELP}"
        ));
    }
    let too_big = || format!("\"{s}\" is too long: at most \"{MAX_DURATION_TEXT}\" (100 years)");
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| too_big())?
    };
    let mut total = whole.checked_mul(scale).ok_or_else(too_big)?;
    // Fractional digits: each one is worth scale / 10^k nanoseconds.
    let mut place = scale;
    for digit in frac.chars() {
        let d = u64::from(digit.to_digit(10).ok_or_else(|| {
            format!("\"{s}\" is not a number with a unit; expected {DURATION_HELP}")
        })?);
        if d != 0 && place % 10 != 0 {
            return Err(format!("\"{s}\" is finer than one nanosecond"));
        }
        place /= 10;
        total = total.checked_add(d * place).ok_or_else(too_big)?;
    }
    if total > MAX_DURATION {
        return Err(too_big());
    }
    Ok(total)
}

/// Formats nanoseconds as the shortest exact duration string, so that
/// `parse_duration(&format_duration(d)) == Ok(d)` for every `d`.
///
/// ```
/// use backsim::time::format_duration;
/// assert_eq!(format_duration(600_000_000_000), "10m");
/// assert_eq!(format_duration(1_500_000_000), "1500ms");
/// assert_eq!(format_duration(0), "0s");
/// ```
pub fn format_duration(d: SimDuration) -> String {
    if d == 0 {
        return "0s".to_string();
    }
    // Largest unit that divides the value exactly; "d" is left out because
    // "24h" reads better than "1d" in a resolved scenario.
    for (name, scale) in UNITS[..6].iter().rev() {
        if d.is_multiple_of(*scale) {
            return format!("{}{}", d / scale, name);
        }
    }
    format!("{d}ns")
}

/// Nanoseconds as fractional seconds, for reports.
pub fn as_secs_f64(d: SimDuration) -> f64 {
    d as f64 / NANOS_PER_SEC as f64
}

/// Fractional seconds to nanoseconds, rounded to the nearest nanosecond and
/// saturating at the ends of the `u64` range (negative and NaN give 0).
pub fn nanos_from_secs_f64(secs: f64) -> SimDuration {
    nanos_from_f64(secs * NANOS_PER_SEC as f64)
}

/// A float count of nanoseconds to an integer one: rounded, saturating, and
/// 0 for negative values and NaN.
pub fn nanos_from_f64(nanos: f64) -> SimDuration {
    if nanos.is_nan() || nanos <= 0.0 {
        0
    } else if nanos >= u64::MAX as f64 {
        u64::MAX
    } else {
        round_positive(nanos)
    }
}

/// `x.round() as u64` for `0 < x < 2^64`, without `f64::round`, which
/// the baseline x86-64 instruction set (no SSE4.1) makes a library call.
/// `x as u64` truncates, natively. The fraction `x − ⌊x⌋` is exact: for
/// `⌊x⌋ = 0` it is `x`; for `⌊x⌋ ≥ 1`, `⌊x⌋ ≤ x < 2⌊x⌋` (Sterbenz's
/// lemma); from 2^52 on every float is a whole number and the fraction is
/// 0. Rounding half away from zero then adds 1 when the fraction is at
/// least one half; the sum stays below 2^64 since `x` is a float below
/// 2^64 whose fraction is not 0 only below 2^52. Below 2^52 the
/// conversions go through `i64`, one instruction each way on x86-64
/// (`u64` takes a dozen); from 2^52 on, `x` is its own rounding.
#[inline]
fn round_positive(x: f64) -> u64 {
    const WHOLE_FROM: f64 = (1u64 << 52) as f64;
    if x < WHOLE_FROM {
        let whole = x as i64;
        (whole + i64::from(x - whole as f64 >= 0.5)) as u64
    } else {
        x as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same as `f64::round` on every kind of value it gets: halves,
    /// the float just below a half, values near 2^52 and 2^53 where the
    /// spacing of floats reaches 1 and 2, and the largest float below 2^64.
    #[test]
    fn rounding_without_the_library_call_is_f64_round() {
        let mut values = vec![
            f64::MIN_POSITIVE,
            0.49999999999999994,
            0.5,
            1.5,
            2.5,
            1e9 + 0.5,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            9_007_199_254_740_994.0,
            18_446_744_073_709_549_568.0,
        ];
        let mut x = 1e-3f64;
        while x < 1.8e19 {
            for d in [-1.0, -0.5, 0.0, 0.5, 1.0] {
                values.push(x + d);
                values.push(f64::from_bits((x + d).to_bits() - 1));
                values.push(f64::from_bits((x + d).to_bits() + 1));
            }
            x *= 1.37;
        }
        for v in values
            .into_iter()
            .filter(|v| *v > 0.0 && *v < u64::MAX as f64)
        {
            assert_eq!(round_positive(v), v.round() as u64, "{v:e}");
        }
    }

    #[test]
    fn a_space_between_the_number_and_its_unit_is_allowed() {
        // "60 s" is read as "60s" (docs/interface.md): whitespace around
        // the number and the unit is ignored, not inside the number.
        assert_eq!(parse_duration("60 s"), Ok(60 * NANOS_PER_SEC));
        assert_eq!(parse_duration("60s"), Ok(60 * NANOS_PER_SEC));
        assert_eq!(parse_duration(" 1.5\tms "), Ok(1_500_000));
        assert_eq!(format_duration(parse_duration("60 s").unwrap()), "1m");
        let e = parse_duration("6 0s").unwrap_err();
        assert!(e.starts_with("unknown unit \"0s\" in \"6 0s\""), "{e}");
        assert!(parse_duration("60 s s").is_err());
    }

    #[test]
    fn parses_every_unit() {
        assert_eq!(parse_duration("7ns"), Ok(7));
        assert_eq!(parse_duration("3us"), Ok(3_000));
        assert_eq!(parse_duration("250ms"), Ok(250_000_000));
        assert_eq!(parse_duration("60s"), Ok(60 * NANOS_PER_SEC));
        assert_eq!(parse_duration("10m"), Ok(600 * NANOS_PER_SEC));
        assert_eq!(parse_duration("1h"), Ok(3_600 * NANOS_PER_SEC));
        assert_eq!(parse_duration("2d"), Ok(172_800 * NANOS_PER_SEC));
    }

    #[test]
    fn parses_fractions_exactly() {
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration("0.1s"), Ok(100_000_000));
        assert_eq!(parse_duration(".5ms"), Ok(500_000));
        assert_eq!(parse_duration("1.000000001s"), Ok(1_000_000_001));
        assert_eq!(parse_duration("1_000ms"), Ok(NANOS_PER_SEC));
        assert_eq!(parse_duration(" 2 s "), Ok(2 * NANOS_PER_SEC));
    }

    #[test]
    fn rejects_bad_strings() {
        for bad in [
            "",
            "10",
            "-1s",
            "1.5",
            "s",
            "1.2.3s",
            "1x",
            "1.5ns",
            "1e3s",
            "99999999999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn durations_end_at_a_hundred_years() {
        // 36,500 days, in any unit, is the longest; a nanosecond more, or
        // the 213,000 days whose sums once ran past 2^64 ns, is refused.
        assert_eq!(parse_duration("36500d"), Ok(MAX_DURATION));
        assert_eq!(parse_duration("876000h"), Ok(MAX_DURATION));
        assert_eq!(MAX_DURATION, 3_153_600_000 * NANOS_PER_SEC);
        for long in ["36500.00001d", "3153600000.000000001s", "213000d"] {
            assert_eq!(
                parse_duration(long),
                Err(format!(
                    "\"{long}\" is too long: at most \"36500d\" (100 years)"
                ))
            );
        }
        // Three of them, and a time in a run, still fit in 64 bits.
        assert!(MAX_DURATION.checked_mul(5).is_some());
    }

    #[test]
    fn format_round_trips() {
        for d in [
            0,
            1,
            999,
            1_000,
            1_500_000_000,
            600 * NANOS_PER_SEC,
            3_600 * NANOS_PER_SEC,
            123_456_789_123,
        ] {
            assert_eq!(parse_duration(&format_duration(d)), Ok(d));
        }
        assert_eq!(format_duration(250_000_000), "250ms");
        assert_eq!(format_duration(7_200 * NANOS_PER_SEC), "2h");
    }

    #[test]
    fn float_conversion_saturates() {
        assert_eq!(nanos_from_secs_f64(-1.0), 0);
        assert_eq!(nanos_from_secs_f64(f64::NAN), 0);
        assert_eq!(nanos_from_secs_f64(f64::INFINITY), u64::MAX);
        assert_eq!(nanos_from_secs_f64(1.5), 1_500_000_000);
    }
}
