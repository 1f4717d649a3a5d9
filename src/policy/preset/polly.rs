//! Polly (.NET) and the resilience handler built on it.

use super::{POLLY_BREAKER, S, retry_on};
use crate::policy::backoff::Backoff;
use crate::policy::strategy::ZeroRetryAfter;
use crate::policy::{RetryOn, Strategy};

/// Polly.Core's `RetryStrategyOptions`: `DefaultRetryCount` 3,
/// `DefaultBaseDelay` 2 s, `DelayBackoffType.Constant`, no jitter. Its
/// default `ShouldHandle` handles every exception but an
/// `OperationCanceledException`; HttpClient's own timeout throws
/// `TaskCanceledException`, one of those, so timeouts are not retried.
pub(super) fn polly_v8(s: &mut Strategy) {
    s.backoff = Backoff::Constant { base: 2 * S };
    s.max_attempts = 4;
    s.retry_on = retry_on(&["429", "5xx", "409"]);
}

/// `HttpRetryStrategyOptions` in the standard resilience handler:
/// exponential with jitter from 2 s, 3 retries, `ShouldRetryAfterHeader`
/// true; transient outcomes are ≥ 500, 408, 429, `HttpRequestException`
/// and the attempt timeout's `TimeoutRejectedException`. Polly takes any
/// delay the generator returns that is ≥ 0 (`RetryHelper.IsValidDelay`):
/// the Retry-After of any handled answer, uncapped, and zero retries at
/// once.
pub(super) fn polly_http_standard(s: &mut Strategy) {
    s.backoff = Backoff::DecorrelatedV2 {
        base: 2 * S,
        cap: None,
    };
    s.max_attempts = 4;
    s.retry_on = retry_on(&["429", "5xx", "timeout"]);
    s.honor_retry_after = true;
    s.retry_after_on = RetryOn::ALL;
    s.zero_retry_after = ZeroRetryAfter::AtOnce;
    s.timeout = Some(10 * S);
    s.deadline = Some(30 * S);
    s.guards.breaker = Some(POLLY_BREAKER);
}
