//! AWS SDKs' retry modes.

use super::{AWS_ADAPTIVE, AWS_QUOTA, S, retry_on};
use crate::policy::Strategy;
use crate::policy::backoff::Backoff;

pub(super) fn botocore_standard(s: &mut Strategy) {
    s.backoff = Backoff::FullJitter {
        base: S,
        cap: Some(20 * S),
        multiplier: 2.0,
        min: 0,
    };
    s.max_attempts = 3;
    // _TRANSIENT_STATUS_CODES 500, 502, 503, 504, throttling error codes,
    // and connection errors and timeouts.
    s.retry_on = retry_on(&["429", "500", "503", "timeout"]);
    s.guards.budget = Some(AWS_QUOTA);
}

pub(super) fn botocore_adaptive(s: &mut Strategy) {
    botocore_standard(s);
    s.guards.throttle = Some(AWS_ADAPTIVE);
}
