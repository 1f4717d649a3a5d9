//! Google's and Microsoft's Python clients: the google-genai SDK (no
//! retries unless `HttpRetryOptions` are given), google-api-core's
//! `Retry()` and azure-core's `RetryPolicy` as it treats a POST.

use super::{MS, S, retry_on};
use crate::policy::backoff::Backoff;
use crate::policy::{RetryOn, Strategy};

/// google-genai without `retry_options`: `retry_args(None)` is
/// `stop_after_attempt(1)`, one attempt.
pub(super) fn google_genai(s: &mut Strategy) {
    s.max_attempts = 1;
    s.retry_on = RetryOn::NOTHING;
}

/// google-genai with `HttpRetryOptions()` at its defaults
/// (`_api_client.py`): `_RETRY_ATTEMPTS = 5`, `wait_exponential_jitter(
/// initial=1.0, max=60.0, exp_base=2, jitter=1)`, the statuses of
/// `_RETRY_HTTP_STATUS_CODES` (408, 429, 500, 502, 503, 504) and httpx's
/// timeouts.
pub(super) fn google_genai_retry_options(s: &mut Strategy) {
    s.backoff = Backoff::Additive {
        base: S,
        cap: Some(60 * S),
        multiplier: 2.0,
        jitter: 1.0,
    };
    s.max_attempts = 5;
    s.retry_on = retry_on(&["429", "500", "503", "timeout"]);
}

/// `google.api_core.retry.Retry()`: `exponential_sleep_generator(1.0,
/// 60.0, 2.0)` draws U(0, min(1 s · 2^n, 60 s)); no attempt limit, the
/// `timeout` of 120 s ends the retries when the next sleep would pass it;
/// `if_transient_error` retries 500, 429 and 503.
pub(super) fn google_api_core(s: &mut Strategy) {
    s.backoff = Backoff::FullJitter {
        base: S,
        cap: Some(60 * S),
        multiplier: 2.0,
        min: 0,
    };
    s.max_attempts = GOOGLE_API_CORE_ATTEMPTS;
    s.deadline = Some(120 * S);
    s.retry_on = retry_on(&["429", "500", "503"]);
}

/// No attempt limit: backsim's largest `max_attempts`.
pub(super) const GOOGLE_API_CORE_ATTEMPTS: u32 = 1_000_000;

/// azure-core's `RetryPolicy` for a POST: `retry_status = 3` (4 attempts),
/// `retry_backoff_factor = 0.8` in exponential mode (0, then 0.8 s ·
/// 2^n), `BACKOFF_MAX = 120`; a POST's answer is retried for 500, 503,
/// 504, or any status with a Retry-After, which is slept whatever its
/// length (0 falls back to the backoff); `timeout = 604800` s in all.
pub(super) fn azure_core(s: &mut Strategy) {
    s.backoff = Backoff::AfterImmediate {
        base: 800 * MS,
        cap: Some(120 * S),
        multiplier: 2.0,
    };
    s.max_attempts = 4;
    s.deadline = Some(604_800 * S);
    s.retry_on = retry_on(&["429", "500", "503"]);
    s.honor_retry_after = true;
    s.retry_after_on = RetryOn::ALL;
}
