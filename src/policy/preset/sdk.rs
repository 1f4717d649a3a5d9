//! The SDKs that Stainless generates for OpenAI and Anthropic, in Python
//! and TypeScript: one retry loop, read in each repository at the version
//! the preset names. They share the schedule `min(0.5 s · 2^n, 8 s) ·
//! (1 − 0.25 U)`, two retries, and the statuses they retry (408, 409,
//! 429, ≥ 500, and connection errors and timeouts); they differ in which
//! `Retry-After` values they honour.

use super::{MS, S};
use crate::policy::backoff::Backoff;
use crate::policy::strategy::ZeroRetryAfter;
use crate::policy::{AboveMax, RetryOn, Strategy};

/// `INITIAL_RETRY_DELAY` 0.5 s, `MAX_RETRY_DELAY` 8 s, jitter
/// `1 − 0.25 · random()` (`_constants.py`, `_calculate_retry_timeout`;
/// `calculateDefaultRetryTimeoutMillis` in `src/client.ts`).
pub(super) const STAINLESS_BACKOFF: Backoff = Backoff::Downward {
    base: 500 * MS,
    cap: Some(8 * S),
    multiplier: 2.0,
    jitter: 0.25,
};

/// `DEFAULT_MAX_RETRIES = 2`, every failure backsim knows retried, and the
/// `Retry-After` (or `retry-after-ms`) of any answer they retry read.
fn stainless(s: &mut Strategy) {
    s.backoff = STAINLESS_BACKOFF;
    s.max_attempts = 3;
    s.retry_on = RetryOn::ALL;
    s.honor_retry_after = true;
    s.retry_after_on = RetryOn::ALL;
}

/// Python: honoured if `0 < retry_after <= 60`, else the backoff.
pub(super) fn openai_python(s: &mut Strategy) {
    stainless(s);
    s.max_retry_after = Some(60 * S);
}

/// Python from openai-python 2.52.0: `MAX_RETRY_AFTER_DELAY = 2 * 60`, and
/// `_should_retry` refuses an answer whose Retry-After is longer.
pub(super) fn openai_python_2_52(s: &mut Strategy) {
    stainless(s);
    s.max_retry_after = Some(120 * S);
    s.above_max_retry_after = AboveMax::GiveUp;
}

/// openai-node from v7.5.0: honoured unless `timeoutMillis < 0 ||
/// timeoutMillis > 60 * 1000`, so a zero Retry-After retries at once.
pub(super) fn openai_node(s: &mut Strategy) {
    stainless(s);
    s.max_retry_after = Some(60 * S);
    s.zero_retry_after = ZeroRetryAfter::AtOnce;
}

/// openai-node v6.26.0 to v7.4.x: `if (timeoutMillis === undefined)` is
/// the only fallback to the backoff, so any Retry-After is slept, however
/// long, and zero retries at once.
pub(super) fn openai_node_6_26(s: &mut Strategy) {
    stainless(s);
    s.zero_retry_after = ZeroRetryAfter::AtOnce;
}

/// openai-node v5.0.0 to v6.25.x: `!(timeoutMillis && 0 <= timeoutMillis
/// && timeoutMillis < 60 * 1000)` falls back to the backoff, so only
/// `0 < ra < 60 s` is honoured: at most a nanosecond under 60 s, the
/// model's time unit, and zero backs off.
pub(super) fn openai_node_5(s: &mut Strategy) {
    stainless(s);
    s.max_retry_after = Some(60 * S - 1);
}

/// anthropic-sdk-typescript from sdk-v0.79.0: any Retry-After is slept,
/// however long; zero (or a past date) retries at once.
pub(super) fn anthropic_sdk_typescript(s: &mut Strategy) {
    stainless(s);
    s.zero_retry_after = ZeroRetryAfter::AtOnce;
}

/// anthropic-sdk-python from v1.6.0: `if retry_after is not None and
/// retry_after > 0: return min(retry_after, 4_294_967.0)`, so any positive
/// Retry-After is slept (the cap, about 50 days, is left out) and zero
/// falls back to the backoff.
pub(super) fn anthropic_sdk_python_1_6(s: &mut Strategy) {
    stainless(s);
}
