//! The AWS SDK for JavaScript v3 (its retry strategy as smithy-typescript,
//! its retry code, sets it) and the AWS SDK for Java 2.x (its `retries`
//! module, as `SdkDefaultRetryStrategy` configures it for every service
//! client); botocore's are in `aws.rs`.
//!
//! The SDK picks the backoff base by the kind of error: a throttling
//! error (a 429, or a throttling error code) waits from a larger base than
//! a transient one (500, 502, 503, 504, timeouts). A strategy has one
//! backoff, so the presets take the throttling schedule, the one a
//! rate-limited API's 429s meet; each preset's notes give the other.

use super::{AWS_QUOTA, MS, S, retry_on};
use crate::policy::Strategy;
use crate::policy::backoff::Backoff;
use crate::policy::guard::Budget;

/// `MAXIMUM_RETRY_DELAY = 20 * 1000` ms in smithy-typescript's
/// `util-retry/constants.ts`, `MAX_BACKOFF` 20 s in the Java SDK's
/// `SdkDefaultRetrySetting`.
const AWS_MAX_BACKOFF: u64 = 20 * S;

/// AWS SDK for JavaScript v3 (smithy-typescript's `StandardRetryStrategy`):
/// `floor(random() · min(x · 2^i, 20 000))` ms with `x` =
/// `THROTTLING_RETRY_DELAY_BASE` 500 for throttling errors,
/// `DEFAULT_MAX_ATTEMPTS` 3, and the retry quota of `INITIAL_RETRY_TOKENS`
/// 500, `RETRY_COST` 5, `TIMEOUT_RETRY_COST` 10, `NO_RETRY_INCREMENT` 1:
/// botocore's numbers, so [`AWS_QUOTA`].
pub(super) fn aws_sdk_js_v3_standard(s: &mut Strategy) {
    s.backoff = Backoff::FullJitter {
        base: 500 * MS,
        cap: Some(AWS_MAX_BACKOFF),
        multiplier: 2.0,
        min: 0,
    };
    s.max_attempts = 3;
    // THROTTLING: status 429 or a throttling error code; TRANSIENT:
    // TRANSIENT_ERROR_STATUS_CODES 500, 502, 503, 504, timeouts and
    // network errors. Other 5xx (529) are SERVER_ERROR, not retried.
    s.retry_on = retry_on(&["429", "500", "503", "timeout"]);
    s.guards.budget = Some(AWS_QUOTA);
}

/// The same strategy with `SMITHY_NEW_RETRIES_2026=true`
/// (`util-retry/retries-2026-config.ts`): throttling base 1 000 ms, and a
/// quota where a throttling retry costs 5 and any other 14. The model's
/// quota charges `cost` after a 429 or 5xx and `timeout_cost` after a
/// timeout, so 5 and 14.
pub(super) fn aws_sdk_js_v3_2026(s: &mut Strategy) {
    aws_sdk_js_v3_standard(s);
    s.backoff = Backoff::FullJitter {
        base: S,
        cap: Some(AWS_MAX_BACKOFF),
        multiplier: 2.0,
        min: 0,
    };
    s.guards.budget = Some(Budget::AwsQuota {
        capacity: 500,
        cost: 5,
        timeout_cost: 14,
        success_increment: 1,
    });
}

/// AWS SDK for Java 2.x, retry mode "standard" (`DefaultRetryStrategy.
/// Standard`): `MAX_ATTEMPTS` 3; for a throttling error (status 429 or a
/// throttling code) `ExponentialDelayWithJitter` from
/// `THROTTLED_BASE_DELAY` 1 s: a whole number of ms drawn uniformly from
/// `[0, min(20 s, 1 s · 2^n))`; the circuit breaker's bucket of
/// `TOKEN_BUCKET_SIZE` 500 takes `DEFAULT_EXCEPTION_TOKEN_COST` 5 for every
/// retry, whatever failed, and a success gives back what its last retry
/// took, or 1.
pub(super) fn aws_sdk_java_v2_standard(s: &mut Strategy) {
    // botocore's standard mode in all but the cost of a timeout's retry:
    // the same schedule, attempts and retried failures
    // (SdkDefaultRetrySetting.RETRYABLE_STATUS_CODES 500, 502, 503, 504,
    // throttling (429), IOException, ApiCallAttemptTimeoutException).
    super::aws::botocore_standard(s);
    s.guards.budget = Some(Budget::AwsQuota {
        capacity: 500,
        cost: 5,
        timeout_cost: 5,
        success_increment: 1,
    });
}

/// AWS SDK for Java 2.x, retry mode "legacy", the mode a client gets when
/// none is configured (`DefaultRetryStrategy.Legacy`): `MAX_ATTEMPTS` 4;
/// for a throttling error `ExponentialDelayWithHalfJitter` from
/// `THROTTLED_BASE_DELAY` 500 ms: `v/2 + U(0, v/2)` with
/// `v = min(20 s, 0.5 s · 2^n)`; the bucket of 500 takes
/// `THROTTLE_EXCEPTION_TOKEN_COST` 0 for a throttling retry and
/// `DEFAULT_EXCEPTION_TOKEN_COST` 5 for any other.
pub(super) fn aws_sdk_java_v2_legacy(s: &mut Strategy) {
    aws_sdk_java_v2_standard(s);
    s.backoff = Backoff::EqualJitter {
        base: 500 * MS,
        cap: Some(AWS_MAX_BACKOFF),
        multiplier: 2.0,
    };
    s.max_attempts = 4;
    s.guards.budget = Some(Budget::AwsQuota {
        capacity: 500,
        cost: 0,
        timeout_cost: 5,
        success_increment: 1,
    });
}
