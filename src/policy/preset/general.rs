//! General-purpose retry designs and libraries: gRPC's retry policy,
//! tenacity, backon.

use super::{GRPC_THROTTLING, MS, S, retry_on};
use crate::policy::Strategy;
use crate::policy::backoff::Backoff;

/// gRFC A6 since its 2024 revision: `min(initialBackoff ·
/// backoffMultiplier^(n−1), maxBackoff) · random(0.8, 1.2)` for retry n
/// (1-based), with the example's 0.1 s, 2 and 1 s.
pub(super) fn grpc_example(s: &mut Strategy) {
    s.backoff = Backoff::Proportional {
        base: 100 * MS,
        cap: Some(S),
        multiplier: 2.0,
        jitter: 0.2,
    };
    s.max_attempts = 4;
    s.retry_on = retry_on(&["429", "503"]);
    s.guards.budget = Some(GRPC_THROTTLING);
}

/// grpc-go without a retry policy in its service config: `shouldRetry`
/// returns false when the method's `RetryPolicy` is nil, so one attempt.
pub(super) fn grpc_go(s: &mut Strategy) {
    s.max_attempts = 1;
}

/// tenacity's `wait_random_exponential(min=1, max=60)` and
/// `stop_after_attempt(6)`, the loop alone.
pub(super) fn tenacity_random_exponential(s: &mut Strategy) {
    s.backoff = Backoff::FullJitter {
        base: S,
        cap: Some(60 * S),
        multiplier: 2.0,
        min: S,
    };
    s.max_attempts = 6;
}

/// The OpenAI Cookbook's stack: tenacity's loop around openai-python's.
pub(super) fn tenacity_cookbook(s: &mut Strategy) {
    super::stack(s, &["tenacity-random-exponential", "openai-python"]);
}

pub(super) fn backon(s: &mut Strategy) {
    s.backoff = Backoff::Exponential {
        base: S,
        cap: Some(60 * S),
        multiplier: 2.0,
    };
    s.max_attempts = 4;
}
