//! The AWS SDK for JavaScript v3: its retry strategy as
//! smithy-typescript, its retry code, sets it (botocore's are in `aws.rs`).
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
