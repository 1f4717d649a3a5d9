//! The Vercel AI SDK (`ai`): `maxRetries` and
//! `retryWithExponentialBackoffRespectingRetryHeaders`.

use super::{S, retry_on};
use crate::policy::Strategy;
use crate::policy::backoff::Backoff;
use crate::policy::strategy::ZeroRetryAfter;

/// `maxRetries ?? 2` (3 attempts), `initialDelayInMs = 2000`,
/// `backoffFactor = 2`, no cap, no jitter; `APICallError.isRetryable`
/// (408, 409, 429, >= 500); the `retry-after-ms` or `retry-after` of any
/// retried answer slept when `0 <= ms < 60 * 1000`.
pub(super) fn vercel_ai_sdk(s: &mut Strategy) {
    s.backoff = Backoff::Exponential {
        base: 2 * S,
        cap: None,
        multiplier: 2.0,
    };
    s.max_attempts = 3;
    s.retry_on = retry_on(&["429", "5xx", "409"]);
    s.honor_retry_after = true;
    s.retry_after_on = s.retry_on;
    // `ms < 60 * 1000`: a whole minute is refused, a nanosecond less is not.
    s.max_retry_after = Some(60 * S - 1);
    s.zero_retry_after = ZeroRetryAfter::AtOnce;
}
