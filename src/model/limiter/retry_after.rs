//! What a 429 says about when to come back: `Retry-After` (seconds),
//! `retry-after-ms`, the exact wait, nothing, or the time until the limit
//! is back at its full allowance (`x-ratelimit-reset-*`).

use crate::time::SimDuration;

/// How the limiter fills in `Retry-After` on a 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfterMode {
    /// No header.
    None,
    /// The exact wait, to the nanosecond (a model idealisation).
    Exact,
    /// `retry-after-ms`: the wait rounded up to a whole millisecond.
    Millis,
    /// `Retry-After`: the wait rounded up to whole seconds.
    Seconds,
    /// `x-ratelimit-reset-*`: the time until the limit is back at its
    /// full allowance (a bucket full, a window reset, a log empty),
    /// rounded up to a whole millisecond; a client that reads it as a
    /// Retry-After waits that long.
    Reset,
}

impl RetryAfterMode {
    /// Names as written in `retry_after = "…"`.
    pub const NAMES: [&'static str; 5] = ["none", "exact", "ms", "seconds", "reset"];

    pub fn from_name(name: &str) -> Option<RetryAfterMode> {
        match name {
            "none" => Some(RetryAfterMode::None),
            "exact" => Some(RetryAfterMode::Exact),
            "ms" => Some(RetryAfterMode::Millis),
            "seconds" => Some(RetryAfterMode::Seconds),
            "reset" => Some(RetryAfterMode::Reset),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RetryAfterMode::None => "none",
            RetryAfterMode::Exact => "exact",
            RetryAfterMode::Millis => "ms",
            RetryAfterMode::Seconds => "seconds",
            RetryAfterMode::Reset => "reset",
        }
    }

    /// The header for a wait (`None`: the attempt could never pass, and
    /// no mode sends a header then); `reset` says, when asked, how long
    /// until the limit is back at its full allowance.
    #[inline]
    pub fn header(
        self,
        wait: Option<SimDuration>,
        reset: impl FnOnce() -> Option<SimDuration>,
    ) -> Option<SimDuration> {
        let wait = wait?;
        let round_up = |d: SimDuration, unit: u64| d.div_ceil(unit).saturating_mul(unit);
        match self {
            RetryAfterMode::None => None,
            RetryAfterMode::Exact => Some(wait),
            RetryAfterMode::Millis => Some(round_up(wait, 1_000_000)),
            RetryAfterMode::Seconds => Some(round_up(wait, crate::time::NANOS_PER_SEC)),
            RetryAfterMode::Reset => reset().map(|r| round_up(r.max(wait), 1_000_000)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::NANOS_PER_SEC;

    #[test]
    fn retry_after_rounding() {
        let ms = 1_000_000;
        assert_eq!(
            RetryAfterMode::Exact.header(Some(250 * ms), || None),
            Some(250 * ms)
        );
        assert_eq!(
            RetryAfterMode::Seconds.header(Some(250 * ms), || None),
            Some(NANOS_PER_SEC)
        );
        assert_eq!(
            RetryAfterMode::Seconds.header(Some(NANOS_PER_SEC), || None),
            Some(NANOS_PER_SEC)
        );
        assert_eq!(
            RetryAfterMode::Seconds.header(Some(NANOS_PER_SEC + 1), || None),
            Some(2 * NANOS_PER_SEC)
        );
        assert_eq!(
            RetryAfterMode::Millis.header(Some(250 * ms), || None),
            Some(250 * ms)
        );
        assert_eq!(
            RetryAfterMode::Millis.header(Some(250 * ms + 1), || None),
            Some(251 * ms)
        );
        assert_eq!(RetryAfterMode::None.header(Some(5), || None), None);
        assert_eq!(RetryAfterMode::Exact.header(None, || None), None);
        // The reset, never shorter than the wait, to the millisecond up.
        let reset = RetryAfterMode::Reset;
        assert_eq!(reset.header(Some(5), || Some(2 * ms + 1)), Some(3 * ms));
        assert_eq!(reset.header(Some(4 * ms), || Some(2 * ms)), Some(4 * ms));
        assert_eq!(reset.header(None, || Some(ms)), None);
    }
}
