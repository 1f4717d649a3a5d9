//! Tests of the guards against hand-computed sequences.

use super::*;
use crate::time::NANOS_PER_SEC as S;
use rand::SeedableRng;
use rand_pcg::Pcg64;

const MS: u64 = 1_000_000;

/// An answer as the client saw it.
const OK: Outcome = Outcome {
    success: true,
    throttled: false,
    retryable: false,
};
/// A 5xx the strategy retries.
const FAIL: Outcome = Outcome {
    success: false,
    throttled: false,
    retryable: true,
};
/// A failure the strategy does not retry.
const FAIL_NOT_RETRYABLE: Outcome = Outcome {
    success: false,
    throttled: false,
    retryable: false,
};
/// A 429.
const THROTTLED: Outcome = Outcome {
    success: false,
    throttled: true,
    retryable: true,
};

/// A random source that returns the same u64 every time, so that
/// `random::<f64>()` (the top 53 bits × 2^-53) is exactly `u` for any `u`
/// that is a multiple of 2^-53.
struct Fixed(u64);

impl Fixed {
    fn u(u: f64) -> Fixed {
        assert!((0.0..1.0).contains(&u));
        Fixed(((u * (1u64 << 53) as f64) as u64) << 11)
    }
}

impl rand::TryRng for Fixed {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok((self.0 >> 32) as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(self.0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        dst.fill(0);
        Ok(())
    }
}

/// A random source that must not be used: the guard may not draw.
struct NoRng;

impl rand::TryRng for NoRng {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        panic!("the guard drew a random number where p = 0")
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        panic!("the guard drew a random number where p = 0")
    }
    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Self::Error> {
        panic!("the guard drew a random number where p = 0")
    }
}

#[test]
fn the_fixed_random_source_gives_the_exact_uniform() {
    use rand::RngExt;
    for u in [0.0, 0.25, 0.375, 0.5, 0.75] {
        assert_eq!(Fixed::u(u).random::<f64>(), u);
    }
}

fn budget(b: Budget) -> Guards {
    Guards {
        budget: Some(b),
        ..Guards::default()
    }
}

/// Seconds (possibly fractional, given in ms) as simulated time.
fn at_ms(ms: u64) -> SimTime {
    ms * MS
}

// ---------------------------------------------------------------- AWS quota

const AWS: Budget = Budget::AwsQuota {
    capacity: 500,
    cost: 5,
    timeout_cost: 10,
    success_increment: 1,
};

#[test]
fn aws_quota_drains_by_cost_and_refunds_on_success() {
    let g = budget(AWS);
    let mut st = GuardState::new(&g, 1);
    assert_eq!(st.budget_tokens(0), Some(500));
    // 100 retries after a 5xx take 5 each: 500 − 100·5 = 0.
    for i in 1..=100 {
        assert_eq!(st.allow_retry(&g, 0, 0, false), Ok(5), "retry {i}");
        assert_eq!(st.budget_tokens(0), Some(500 - 5 * i));
    }
    // The next one is denied and takes nothing (5xx or timeout alike).
    assert_eq!(st.allow_retry(&g, 0, 0, false), Err(Denied::Budget));
    assert_eq!(st.allow_retry(&g, 0, 0, true), Err(Denied::Budget));
    assert_eq!(st.budget_tokens(0), Some(0));
    // Outcomes of attempts do not move the quota; only request successes do.
    st.on_outcome(&g, 0, 0, FAIL);
    st.on_outcome(&g, 0, 0, OK);
    assert_eq!(st.budget_tokens(0), Some(0));
    // A request whose last retry took 5 succeeds: 5 back.
    st.on_request_success(&g, 0, Some(5));
    assert_eq!(st.budget_tokens(0), Some(5));
    // Two first-try successes: +1 each → 7.
    st.on_request_success(&g, 0, None);
    st.on_request_success(&g, 0, None);
    assert_eq!(st.budget_tokens(0), Some(7));
    // A retry after a timeout needs 10 > 7: denied, 7 left.
    assert_eq!(st.allow_retry(&g, 0, 0, true), Err(Denied::Budget));
    assert_eq!(st.budget_tokens(0), Some(7));
    // A retry after a 5xx needs 5 ≤ 7: 2 left.
    assert_eq!(st.allow_retry(&g, 0, 0, false), Ok(5));
    assert_eq!(st.budget_tokens(0), Some(2));
}

#[test]
fn aws_quota_timeouts_cost_ten_and_refunds_stop_at_capacity() {
    let g = budget(AWS);
    let mut st = GuardState::new(&g, 2);
    // Full: a first-try success (+1) and a refund (+5) both stay at 500.
    st.on_request_success(&g, 0, None);
    assert_eq!(st.budget_tokens(0), Some(500));
    st.on_request_success(&g, 0, Some(5));
    assert_eq!(st.budget_tokens(0), Some(500));
    // 50 timeout retries at 10 each drain 500; the 51st is denied.
    for _ in 0..50 {
        assert_eq!(st.allow_retry(&g, 0, 0, true), Ok(10));
    }
    assert_eq!(st.budget_tokens(0), Some(0));
    assert_eq!(st.allow_retry(&g, 0, 0, true), Err(Denied::Budget));
    // A refund gives back what the last retry took: 10.
    st.on_request_success(&g, 0, Some(10));
    assert_eq!(st.budget_tokens(0), Some(10));
    // 490 + 10 = 500, then capped: 495 + 10 → 500, not 505.
    let mut other = GuardState::new(&g, 2);
    assert_eq!(other.allow_retry(&g, 1, 0, false), Ok(5));
    other.on_request_success(&g, 1, Some(10));
    assert_eq!(other.budget_tokens(1), Some(500));
    // Clients are independent: client 1 of `st` is still full.
    assert_eq!(st.budget_tokens(1), Some(500));
}

// ----------------------------------------------------------- gRPC throttling

#[test]
fn grpc_throttling_retries_only_while_tokens_exceed_half() {
    let g = budget(Budget::Grpc {
        max_tokens: 10 * MICRO,
        token_ratio: MICRO / 10,
    });
    let mut st = GuardState::new(&g, 1);
    assert_eq!(st.budget_tokens(0), Some(10 * MICRO));
    // Failures 1..4 leave 9, 8, 7, 6 > 5: retries go, and take nothing.
    for i in 1..=4 {
        st.on_outcome(&g, 0, 0, FAIL);
        assert_eq!(st.budget_tokens(0), Some((10 - i) * MICRO));
        assert_eq!(st.allow_retry(&g, 0, 0, false), Ok(0));
        assert_eq!(st.budget_tokens(0), Some((10 - i) * MICRO));
    }
    // Failure 5 leaves 5, which is not > 10/2: denied.
    st.on_outcome(&g, 0, 0, FAIL);
    assert_eq!(st.budget_tokens(0), Some(5 * MICRO));
    assert_eq!(st.allow_retry(&g, 0, 0, false), Err(Denied::Budget));
    // A failure the strategy does not retry takes nothing.
    st.on_outcome(&g, 0, 0, FAIL_NOT_RETRYABLE);
    assert_eq!(st.budget_tokens(0), Some(5 * MICRO));
    // One success: 5 + 0.1 = 5.1 > 5: retries go again.
    st.on_outcome(&g, 0, 0, OK);
    assert_eq!(st.budget_tokens(0), Some(5_100_000));
    assert_eq!(st.allow_retry(&g, 0, 0, false), Ok(0));
    // 4.1 after one more failure; ten more floor at 0.
    st.on_outcome(&g, 0, 0, FAIL);
    assert_eq!(st.budget_tokens(0), Some(4_100_000));
    assert_eq!(st.allow_retry(&g, 0, 0, false), Err(Denied::Budget));
    for _ in 0..10 {
        st.on_outcome(&g, 0, 0, THROTTLED);
    }
    assert_eq!(st.budget_tokens(0), Some(0));
    // From 0, 100 successes × 0.1 = 10 (exact in millionths), then capped.
    for _ in 0..100 {
        st.on_outcome(&g, 0, 0, OK);
    }
    assert_eq!(st.budget_tokens(0), Some(10 * MICRO));
    st.on_outcome(&g, 0, 0, OK);
    assert_eq!(st.budget_tokens(0), Some(10 * MICRO));
}

#[test]
fn grpc_throttling_threshold_is_strict_with_fractional_half() {
    // max 3: retries need tokens > 1.5.
    let g = budget(Budget::Grpc {
        max_tokens: 3 * MICRO,
        token_ratio: MICRO / 2,
    });
    let mut st = GuardState::new(&g, 1);
    st.on_outcome(&g, 0, 0, FAIL); // 2
    assert_eq!(st.allow_retry(&g, 0, 0, false), Ok(0));
    st.on_outcome(&g, 0, 0, OK); // 2.5
    st.on_outcome(&g, 0, 0, FAIL); // 1.5: not > 1.5
    assert_eq!(st.budget_tokens(0), Some(1_500_000));
    assert_eq!(st.allow_retry(&g, 0, 0, false), Err(Denied::Budget));
    st.on_outcome(&g, 0, 0, OK); // 2.0
    assert_eq!(st.allow_retry(&g, 0, 0, false), Ok(0));
}

// -------------------------------------------------------------- client bucket

#[test]
fn client_bucket_deposits_on_first_tries_only() {
    let g = budget(Budget::ClientBucket {
        size: 5 * MICRO,
        deposit: MICRO / 10,
        cost: MICRO,
        initial: 5 * MICRO,
        on_success: false,
    });
    let mut st = GuardState::new(&g, 1);
    // Full: a first try's deposit is capped at 5.
    assert_eq!(st.before_send(&g, 0, 0, true, &mut NoRng), Gate::Send);
    assert_eq!(st.budget_tokens(0), Some(5 * MICRO));
    // Five retries at 1 each: 5 → 0; the sixth is denied and takes nothing.
    for i in 1..=5 {
        assert_eq!(st.allow_retry(&g, 0, 0, false), Ok(0));
        assert_eq!(st.budget_tokens(0), Some((5 - i) * MICRO));
    }
    assert_eq!(st.allow_retry(&g, 0, 0, false), Err(Denied::Budget));
    assert_eq!(st.budget_tokens(0), Some(0));
    // Sending a retry deposits nothing.
    assert_eq!(st.before_send(&g, 0, 0, false, &mut NoRng), Gate::Send);
    assert_eq!(st.budget_tokens(0), Some(0));
    // Nine first tries: 0.9 < 1, denied, still 0.9.
    for _ in 0..9 {
        st.before_send(&g, 0, 0, true, &mut NoRng);
    }
    assert_eq!(st.budget_tokens(0), Some(900_000));
    assert_eq!(st.allow_retry(&g, 0, 0, false), Err(Denied::Budget));
    assert_eq!(st.budget_tokens(0), Some(900_000));
    // The tenth makes exactly 1: one retry, back to 0.
    st.before_send(&g, 0, 0, true, &mut NoRng);
    assert_eq!(st.allow_retry(&g, 0, 0, false), Ok(0));
    assert_eq!(st.budget_tokens(0), Some(0));
    // Outcomes do not move it.
    st.on_outcome(&g, 0, 0, OK);
    st.on_outcome(&g, 0, 0, FAIL);
    st.on_request_success(&g, 0, None);
    assert_eq!(st.budget_tokens(0), Some(0));
    // 60 first tries: 6, capped at 5.
    for _ in 0..60 {
        st.before_send(&g, 0, 0, true, &mut NoRng);
    }
    assert_eq!(st.budget_tokens(0), Some(5 * MICRO));
}

#[test]
fn client_bucket_starts_at_initial() {
    let g = budget(Budget::ClientBucket {
        size: 5 * MICRO,
        deposit: MICRO / 10,
        cost: MICRO,
        initial: 0,
        on_success: false,
    });
    let mut st = GuardState::new(&g, 1);
    assert_eq!(st.budget_tokens(0), Some(0));
    assert_eq!(st.allow_retry(&g, 0, 0, false), Err(Denied::Budget));
    st.before_send(&g, 0, 0, true, &mut NoRng);
    assert_eq!(st.budget_tokens(0), Some(100_000));
}

// ---------------------------------------------------------- percentage budget

fn percent(percent: i64, min_per_s: f64, ttl: SimDuration) -> Guards {
    budget(Budget::Percent {
        percent,
        min_per_s,
        ttl,
    })
}

/// Deposits − withdrawals in client 0's window at `now`, in millionths.
fn window_sum(st: &mut GuardState, now: SimTime, ttl: SimDuration) -> i64 {
    match &mut st.budget[0] {
        BudgetState::Window(w) => w.sum(now, ttl),
        other => panic!("not a window: {other:?}"),
    }
}

#[test]
fn percent_budget_allows_its_share_of_first_tries() {
    // 20 % of 10 first tries = 2 retries, no reserve.
    let g = percent(200_000, 0.0, 10 * S);
    let mut st = GuardState::new(&g, 1);
    assert_eq!(st.budget_tokens(0), None);
    assert_eq!(st.allow_retry(&g, 0, 0, false), Err(Denied::Budget));
    for _ in 0..10 {
        assert_eq!(st.before_send(&g, 0, 0, true, &mut NoRng), Gate::Send);
    }
    // Sending retries deposits nothing.
    for _ in 0..10 {
        st.before_send(&g, 0, 0, false, &mut NoRng);
    }
    assert_eq!(window_sum(&mut st, 0, 10 * S), 2 * MICRO);
    assert_eq!(st.allow_retry(&g, 0, 0, false), Ok(0));
    assert_eq!(st.allow_retry(&g, 0, 0, true), Ok(0));
    assert_eq!(st.allow_retry(&g, 0, 0, false), Err(Denied::Budget));
    assert_eq!(window_sum(&mut st, 0, 10 * S), 0);
}

#[test]
fn percent_budget_reserve_is_min_per_s_times_ttl() {
    // Reserve 0.1/s × 10 s = 1 retry without any first try.
    let g = percent(200_000, 0.1, 10 * S);
    let mut st = GuardState::new(&g, 1);
    assert_eq!(st.allow_retry(&g, 0, 0, false), Ok(0));
    // Window −1, reserve 1: 0 < 1.
    assert_eq!(st.allow_retry(&g, 0, 0, false), Err(Denied::Budget));
    // Five first tries: −1 + 1 + 1 = 1 ≥ 1 → one more.
    for _ in 0..5 {
        st.before_send(&g, 0, 0, true, &mut NoRng);
    }
    assert_eq!(st.allow_retry(&g, 0, 0, false), Ok(0));
    assert_eq!(st.allow_retry(&g, 0, 0, false), Err(Denied::Budget));

    // Reserve 0.05/s × 10 s = 0.5: not enough alone; with 3 first tries
    // 0.6 + 0.5 = 1.1 ≥ 1 → one retry, leaving −0.4 + 0.5 = 0.1 < 1.
    let g = percent(200_000, 0.05, 10 * S);
    let mut st = GuardState::new(&g, 1);
    assert_eq!(st.allow_retry(&g, 0, 0, false), Err(Denied::Budget));
    for _ in 0..3 {
        st.before_send(&g, 0, 0, true, &mut NoRng);
    }
    assert_eq!(st.allow_retry(&g, 0, 0, false), Ok(0));
    assert_eq!(window_sum(&mut st, 0, 10 * S), -400_000);
    assert_eq!(st.allow_retry(&g, 0, 0, false), Err(Denied::Budget));
}

#[test]
fn percent_budget_counts_leave_the_window_slice_by_slice() {
    // ttl 10 s in 10 slices of 1 s: a count made in slice n (time in
    // [n s, (n+1) s)) is forgotten at (n + 10) s.
    let ttl = 10 * S;
    let g = percent(200_000, 0.0, ttl);
    let mut st = GuardState::new(&g, 1);
    // 10 first tries at 0.5 s (slice 0): +2.
    for _ in 0..10 {
        st.before_send(&g, 0, at_ms(500), true, &mut NoRng);
    }
    // A retry at 9.5 s (slice 9): −1 there, 1 left.
    assert_eq!(st.allow_retry(&g, 0, at_ms(9_500), false), Ok(0));
    assert_eq!(window_sum(&mut st, 10 * S - 1, ttl), MICRO);
    // At 10 s slice 0 goes: only the withdrawal is left.
    assert_eq!(window_sum(&mut st, 10 * S, ttl), -MICRO);
    assert_eq!(st.allow_retry(&g, 0, 10 * S, false), Err(Denied::Budget));
    // Five first tries at 18.5 s: −1 + 1 = 0, still denied.
    for _ in 0..5 {
        st.before_send(&g, 0, at_ms(18_500), true, &mut NoRng);
    }
    assert_eq!(window_sum(&mut st, 19 * S - 1, ttl), 0);
    assert_eq!(
        st.allow_retry(&g, 0, 19 * S - 1, false),
        Err(Denied::Budget)
    );
    // At 19 s the withdrawal of slice 9 goes: +1, a retry goes.
    assert_eq!(window_sum(&mut st, 19 * S, ttl), MICRO);
    assert_eq!(st.allow_retry(&g, 0, 19 * S, false), Ok(0));
    // Long after, nothing is left.
    assert_eq!(window_sum(&mut st, 1_000 * S, ttl), 0);
}

#[test]
fn percent_budget_window_covers_nine_tenths_to_all_of_ttl() {
    let ttl = 10 * S;
    let g = percent(MICRO, 0.0, ttl);
    // A deposit at the very end of slice 0 lives 9 s + 1 ns ...
    let mut st = GuardState::new(&g, 1);
    st.before_send(&g, 0, S - 1, true, &mut NoRng);
    assert_eq!(window_sum(&mut st, 10 * S - 1, ttl), MICRO);
    assert_eq!(window_sum(&mut st, 10 * S, ttl), 0);
    // ... one at the start of slice 1 lives the whole 10 s.
    let mut st = GuardState::new(&g, 1);
    st.before_send(&g, 0, S, true, &mut NoRng);
    assert_eq!(window_sum(&mut st, 11 * S - 1, ttl), MICRO);
    assert_eq!(window_sum(&mut st, 11 * S, ttl), 0);
}

// ------------------------------------------------------------------- breaker

fn breaker(
    failure_ratio: f64,
    min_volume: u32,
    open_for: SimDuration,
    probes: u32,
    scope: BreakerScope,
) -> Breaker {
    Breaker {
        failure_ratio,
        window: 10 * S,
        min_volume,
        open_for,
        probes,
        scope,
        failure_only: false,
    }
}

#[test]
fn breaker_opens_at_min_volume_and_failure_ratio() {
    let g = Guards {
        breaker: Some(breaker(0.5, 4, 5 * S, 2, BreakerScope::All)),
        ..Guards::default()
    };
    // Below min_volume, even 100 % failures keep it closed.
    let mut st = GuardState::new(&g, 1);
    for t in 1..=3 {
        st.on_outcome(&g, 0, t * S, FAIL);
        assert!(!st.breaker_is_open(0, t * S));
    }
    st.on_outcome(&g, 0, 4 * S, FAIL);
    assert!(st.breaker_is_open(0, 4 * S));

    // 3 OK then failures: 1/4 = 0.25, 2/5 = 0.4 stay closed; 3/6 = 0.5 ≥ 0.5 opens.
    let mut st = GuardState::new(&g, 1);
    for t in 1..=3 {
        st.on_outcome(&g, 0, t * S, OK);
    }
    st.on_outcome(&g, 0, 4 * S, FAIL);
    st.on_outcome(&g, 0, 5 * S, FAIL);
    assert!(!st.breaker_is_open(0, 5 * S));
    assert_eq!(st.before_send(&g, 0, 5 * S, true, &mut NoRng), Gate::Send);
    st.on_outcome(&g, 0, 6 * S, FAIL);
    assert!(st.breaker_is_open(0, 6 * S));
    assert_eq!(st.breaker_open_ns(6 * S), 0);
}

#[test]
fn breaker_outcomes_leave_its_window() {
    let g = Guards {
        breaker: Some(breaker(0.5, 4, 5 * S, 1, BreakerScope::All)),
        ..Guards::default()
    };
    // Three failures in slice 0 (t = 0.5 s); a fourth at 9.999 s still
    // sees them (slice 9) and opens ...
    let mut st = GuardState::new(&g, 1);
    for _ in 0..3 {
        st.on_outcome(&g, 0, at_ms(500), FAIL);
    }
    st.on_outcome(&g, 0, at_ms(9_999), FAIL);
    assert!(st.breaker_is_open(0, at_ms(9_999)));
    // ... one at 10 s does not: slice 0 is gone, 1 < min_volume.
    let mut st = GuardState::new(&g, 1);
    for _ in 0..3 {
        st.on_outcome(&g, 0, at_ms(500), FAIL);
    }
    st.on_outcome(&g, 0, 10 * S, FAIL);
    assert!(!st.breaker_is_open(0, 10 * S));
}

#[test]
fn breaker_scope_all_open_half_open_closed_and_open_time() {
    let g = Guards {
        breaker: Some(breaker(0.5, 4, 5 * S, 2, BreakerScope::All)),
        ..Guards::default()
    };
    let mut st = GuardState::new(&g, 1);
    // OK OK FAIL FAIL at 2..5 s: volume 4, 2/4 = 0.5 ≥ 0.5 → opens at 5 s.
    st.on_outcome(&g, 0, 2 * S, OK);
    st.on_outcome(&g, 0, 3 * S, OK);
    st.on_outcome(&g, 0, 4 * S, FAIL);
    st.on_outcome(&g, 0, 5 * S, FAIL);
    assert!(st.breaker_is_open(0, 5 * S));
    // Open from 5 s to 10 s: every attempt is rejected locally.
    assert_eq!(st.before_send(&g, 0, 7 * S, true, &mut NoRng), Gate::Reject);
    assert_eq!(
        st.before_send(&g, 0, 7 * S, false, &mut NoRng),
        Gate::Reject
    );
    // Scope all does not deny the retry itself (no budget: nothing taken);
    // its attempt is rejected when it is sent.
    assert_eq!(st.allow_retry(&g, 0, 7 * S, false), Ok(0));
    // Late answers while open change nothing.
    st.on_outcome(&g, 0, 8 * S, FAIL);
    st.on_outcome(&g, 0, 8 * S, OK);
    assert!(st.breaker_is_open(0, 10 * S - 1));
    assert_eq!(st.breaker_open_ns(100 * S), u128::from(5 * S));
    // Cut at the end: at 7 s it had been open 2 s.
    assert_eq!(st.breaker_open_ns(7 * S), u128::from(2 * S));

    // Half-open at 10 s: two probes go, the third is rejected.
    assert!(!st.breaker_is_open(0, 10 * S));
    assert_eq!(st.before_send(&g, 0, 10 * S, true, &mut NoRng), Gate::Send);
    assert_eq!(st.before_send(&g, 0, 10 * S, false, &mut NoRng), Gate::Send);
    assert_eq!(
        st.before_send(&g, 0, 10 * S, true, &mut NoRng),
        Gate::Reject
    );
    // One success: still half-open (2 needed), no probe left to send.
    st.on_outcome(&g, 0, at_ms(10_100), OK);
    assert_eq!(
        st.before_send(&g, 0, at_ms(10_150), true, &mut NoRng),
        Gate::Reject
    );
    // The second closes it, with an empty window: the OK OK FAIL FAIL of
    // 2..5 s (still within 10 s) are forgotten, so one failure (volume 1)
    // does not reopen it.
    st.on_outcome(&g, 0, at_ms(10_200), OK);
    assert_eq!(
        st.before_send(&g, 0, at_ms(10_300), true, &mut NoRng),
        Gate::Send
    );
    st.on_outcome(&g, 0, at_ms(10_300), FAIL);
    assert!(!st.breaker_is_open(0, at_ms(10_300)));
    // Three more failures: 4/4 → opens at 10.6 s until 15.6 s.
    for ms in [10_400, 10_500, 10_600] {
        st.on_outcome(&g, 0, at_ms(ms), FAIL);
    }
    assert!(st.breaker_is_open(0, at_ms(10_600)));
    assert_eq!(st.breaker_open_ns(100 * S), u128::from(10 * S));
    assert_eq!(st.breaker_open_ns(at_ms(12_600)), u128::from(7 * S));

    // Half-open at 15.6 s; a probe fails at 15.7 s: open again to 20.7 s.
    assert_eq!(
        st.before_send(&g, 0, at_ms(15_600), true, &mut NoRng),
        Gate::Send
    );
    st.on_outcome(&g, 0, at_ms(15_700), FAIL);
    assert!(st.breaker_is_open(0, at_ms(15_700)));
    assert!(st.breaker_is_open(0, at_ms(20_700) - 1));
    assert_eq!(st.breaker_open_ns(100 * S), u128::from(15 * S));
    assert_eq!(st.breaker_open_ns(at_ms(16_700)), u128::from(11 * S));

    // Successes must come in a row: OK then FAIL reopens (to 25.9 s).
    assert_eq!(
        st.before_send(&g, 0, at_ms(20_700), true, &mut NoRng),
        Gate::Send
    );
    assert_eq!(
        st.before_send(&g, 0, at_ms(20_700), true, &mut NoRng),
        Gate::Send
    );
    st.on_outcome(&g, 0, at_ms(20_800), OK);
    st.on_outcome(&g, 0, at_ms(20_900), FAIL);
    assert!(st.breaker_is_open(0, at_ms(20_900)));
    assert_eq!(st.breaker_open_ns(100 * S), u128::from(20 * S));
}

#[test]
fn breaker_scope_retries_denies_retries_but_sends_first_tries() {
    let g = Guards {
        budget: Some(AWS),
        breaker: Some(breaker(0.5, 2, 5 * S, 1, BreakerScope::Retries)),
        ..Guards::default()
    };
    let mut st = GuardState::new(&g, 1);
    // Closed: the budget decides (500 → 495).
    assert_eq!(st.allow_retry(&g, 0, 0, false), Ok(5));
    st.on_outcome(&g, 0, S, FAIL);
    st.on_outcome(&g, 0, S, FAIL);
    assert!(st.breaker_is_open(0, S));
    // Open 1..6 s: every attempt is still sent ...
    assert_eq!(st.before_send(&g, 0, 2 * S, true, &mut NoRng), Gate::Send);
    assert_eq!(st.before_send(&g, 0, 2 * S, false, &mut NoRng), Gate::Send);
    // ... but retries are denied by the breaker, without touching the quota.
    assert_eq!(st.allow_retry(&g, 0, 2 * S, false), Err(Denied::Breaker));
    assert_eq!(st.budget_tokens(0), Some(495));
    // Half-open at 6 s: still no retries; first tries are not limited to
    // `probes`.
    assert!(!st.breaker_is_open(0, 6 * S));
    assert_eq!(st.allow_retry(&g, 0, 6 * S, false), Err(Denied::Breaker));
    for _ in 0..3 {
        assert_eq!(st.before_send(&g, 0, 6 * S, true, &mut NoRng), Gate::Send);
    }
    // One success (probes = 1) closes it: retries go again.
    st.on_outcome(&g, 0, at_ms(6_500), OK);
    assert_eq!(st.allow_retry(&g, 0, at_ms(6_500), false), Ok(5));
    assert_eq!(st.budget_tokens(0), Some(490));
    assert_eq!(st.breaker_open_ns(100 * S), u128::from(5 * S));
}

/// A half-open breaker's probe counts only if the attempt also passes the
/// throttle: one the SRE throttle rejects locally never reaches the server
/// and no answer will come for it, so it must not take the probe slot.
#[test]
fn a_probe_rejected_by_the_throttle_leaves_the_probe_slot_free() {
    let g = Guards {
        breaker: Some(breaker(0.5, 2, 5 * S, 1, BreakerScope::All)),
        throttle: Some(Throttle::Sre {
            k: 2.0,
            window: 120 * S,
        }),
        ..Guards::default()
    };
    let mut st = GuardState::new(&g, 1);
    // Two attempts sent and failed at 0 s: the breaker opens until 5 s;
    // the throttle saw requests 2, accepts 0.
    assert_eq!(st.before_send(&g, 0, 0, true, &mut NoRng), Gate::Send);
    assert_eq!(
        st.before_send(&g, 0, 0, true, &mut Fixed::u(0.75)),
        Gate::Send
    );
    st.on_outcome(&g, 0, 0, FAIL);
    st.on_outcome(&g, 0, 0, FAIL);
    assert!(st.breaker_is_open(0, 0));
    // At 5 s the breaker is half-open; the throttle (requests 2, p = 2/3 >
    // u = 0) rejects the would-be probe locally.
    assert_eq!(
        st.before_send(&g, 0, 5 * S, true, &mut Fixed::u(0.0)),
        Gate::Reject
    );
    // Right after, the throttle lets one pass (requests 3, p = 3/4 ≤ u):
    // it is the probe ...
    assert_eq!(
        st.before_send(&g, 0, 5 * S + 1, true, &mut Fixed::u(0.875)),
        Gate::Send
    );
    // ... and the only one (probes = 1).
    assert_eq!(
        st.before_send(&g, 0, 5 * S + 2, true, &mut Fixed::u(0.875)),
        Gate::Reject
    );
}

/// A breaker (one probe, open 5 s, scope all) that two failures at t = 0
/// have opened until 5 s.
fn opened_at_zero() -> (Guards, GuardState) {
    let g = Guards {
        breaker: Some(breaker(0.5, 2, 5 * S, 1, BreakerScope::All)),
        ..Guards::default()
    };
    let mut st = GuardState::new(&g, 1);
    st.on_outcome(&g, 0, 0, FAIL);
    st.on_outcome(&g, 0, 0, FAIL);
    (g, st)
}

/// The breaker's doc: "If the probes' answers have not all come `open_for`
/// after the last was let through, it lets `probes` more through".
#[test]
fn an_unanswered_probe_makes_way_open_for_after_it_was_let_through() {
    // Open 0..5 s; the probe goes at 5 s; no answer. Until 10 s every
    // attempt is rejected, at 10 s a new probe goes.
    let (g, mut st) = opened_at_zero();
    assert_eq!(st.before_send(&g, 0, 5 * S, true, &mut NoRng), Gate::Send);
    assert_eq!(
        st.before_send(&g, 0, 10 * S - 1, true, &mut NoRng),
        Gate::Reject
    );
    assert_eq!(st.before_send(&g, 0, 10 * S, true, &mut NoRng), Gate::Send);
    assert_eq!(
        st.before_send(&g, 0, 10 * S, true, &mut NoRng),
        Gate::Reject
    );
    // Its success (probes = 1) closes the breaker.
    st.on_outcome(&g, 0, 11 * S, OK);
    assert_eq!(st.before_send(&g, 0, 11 * S, true, &mut NoRng), Gate::Send);
}

/// As above, with the probe let through late in the half-open phase: it
/// went at 9 s, so its answer may come until 14 s; no second probe before.
#[test]
fn a_late_probe_gets_its_full_open_for() {
    let (g, mut st) = opened_at_zero();
    // Half-open from 5 s; the first attempt after that comes at 9 s.
    assert!(!st.breaker_is_open(0, 5 * S));
    assert_eq!(st.before_send(&g, 0, 9 * S, true, &mut NoRng), Gate::Send);
    // Rejected until 14 s (5 s after the probe was let through, not after
    // the breaker turned half-open).
    assert_eq!(
        st.before_send(&g, 0, 10 * S, true, &mut NoRng),
        Gate::Reject
    );
    assert_eq!(
        st.before_send(&g, 0, 14 * S - 1, true, &mut NoRng),
        Gate::Reject
    );
    assert_eq!(st.before_send(&g, 0, 14 * S, true, &mut NoRng), Gate::Send);
}

// ------------------------------------------------------------- SRE throttle

fn sre() -> Guards {
    Guards {
        throttle: Some(Throttle::Sre {
            k: 2.0,
            window: 120 * S,
        }),
        ..Guards::default()
    }
}

#[test]
fn sre_throttle_rejects_with_probability_from_requests_and_accepts() {
    let g = sre();
    let mut st = GuardState::new(&g, 1);
    // p = max(0, (requests − 2·accepts) / (requests + 1)); while accepts ≥
    // requests / 2, p = 0 and no random number is drawn (NoRng).
    // 1: r 0, a 0 → p 0. Then OK: a 1.
    assert_eq!(st.before_send(&g, 0, 0, true, &mut NoRng), Gate::Send);
    st.on_outcome(&g, 0, 0, OK);
    // 2: r 1, a 1 → (1 − 2)/2 < 0 → 0. FAIL.
    assert_eq!(st.before_send(&g, 0, 0, true, &mut NoRng), Gate::Send);
    st.on_outcome(&g, 0, 0, FAIL);
    // 3: r 2, a 1 → 0/3 = 0. A 429 is no accept either.
    assert_eq!(st.before_send(&g, 0, 0, false, &mut NoRng), Gate::Send);
    st.on_outcome(&g, 0, 0, THROTTLED);
    // 4: r 3, a 1 → 1/4 = 0.25: u = 0.25 is not < p → sent.
    assert_eq!(
        st.before_send(&g, 0, 0, true, &mut Fixed::u(0.25)),
        Gate::Send
    );
    // 5: r 4, a 1 → 2/5 = 0.4: u = 0.375 < 0.4 → rejected.
    assert_eq!(
        st.before_send(&g, 0, 0, true, &mut Fixed::u(0.375)),
        Gate::Reject
    );
    // 6: r 5 (the rejected one counts), a 1 → 3/6 = 0.5: u = 0.5 → sent.
    assert_eq!(
        st.before_send(&g, 0, 0, true, &mut Fixed::u(0.5)),
        Gate::Send
    );
    // 7: r 6, a 1 → 4/7 ≈ 0.571: u = 0.5 → rejected.
    assert_eq!(
        st.before_send(&g, 0, 0, true, &mut Fixed::u(0.5)),
        Gate::Reject
    );
    // An accept: 8: r 7, a 2 → 3/8 = 0.375: u = 0.375 → sent.
    st.on_outcome(&g, 0, 0, OK);
    assert_eq!(
        st.before_send(&g, 0, 0, true, &mut Fixed::u(0.375)),
        Gate::Send
    );
    // 9: r 8, a 2 → 4/9: u = 0.375 < 0.444 → rejected, still within the
    // 120 s window at 119.999 s ...
    assert_eq!(
        st.before_send(&g, 0, at_ms(119_999), true, &mut Fixed::u(0.375)),
        Gate::Reject
    );
    // ... at 120 s the slice holding the first 8 requests and both accepts
    // (slice 0 of 12 s) is gone; request 9 is in slice 9 (108..120 s):
    // r 1, a 0 → p = 1/2: u = 0.5 → sent.
    assert_eq!(
        st.before_send(&g, 0, 120 * S, true, &mut Fixed::u(0.5)),
        Gate::Send
    );
    // Long after, nothing is left: p = 0.
    assert_eq!(
        st.before_send(&g, 0, 1_000 * S, true, &mut NoRng),
        Gate::Send
    );
}

#[test]
fn sre_throttle_rejection_frequency_is_n_over_n_plus_one() {
    // With n earlier requests and no accepts, p = n/(n+1). Over M fresh
    // states the share rejected is binomial: standard error sqrt(p(1−p)/M)
    // (M = 40,000: 0.0025 at n = 1, 0.0022 at n = 3, 0.0015 at n = 9);
    // allow 4 standard errors.
    let g = sre();
    let mut rng = Pcg64::seed_from_u64(2026);
    const M: usize = 40_000;
    for n in [1u32, 3, 9] {
        let mut rejected = 0;
        for _ in 0..M {
            let mut st = GuardState::new(&g, 1);
            // Earlier requests count whether or not they were rejected.
            for _ in 0..n {
                st.before_send(&g, 0, 0, true, &mut rng);
            }
            if st.before_send(&g, 0, 0, true, &mut rng) == Gate::Reject {
                rejected += 1;
            }
        }
        let p = f64::from(n) / f64::from(n + 1);
        let share = rejected as f64 / M as f64;
        let se = (p * (1.0 - p) / M as f64).sqrt();
        assert!((share - p).abs() < 4.0 * se, "n = {n}: {share} vs {p}");
    }
}

#[test]
fn a_rejected_first_try_deposits_nothing() {
    let g = Guards {
        budget: Some(Budget::ClientBucket {
            size: 5 * MICRO,
            deposit: MICRO / 10,
            cost: MICRO,
            initial: 0,
            on_success: false,
        }),
        ..sre()
    };
    let mut st = GuardState::new(&g, 1);
    // p = 0: sent, 0.1 deposited.
    assert_eq!(st.before_send(&g, 0, 0, true, &mut NoRng), Gate::Send);
    assert_eq!(st.budget_tokens(0), Some(100_000));
    // p = 1/2, u = 0.25: rejected, nothing deposited.
    assert_eq!(
        st.before_send(&g, 0, 0, true, &mut Fixed::u(0.25)),
        Gate::Reject
    );
    assert_eq!(st.budget_tokens(0), Some(100_000));
    // p = 2/3, u = 0.75: sent, 0.2.
    assert_eq!(
        st.before_send(&g, 0, 0, true, &mut Fixed::u(0.75)),
        Gate::Send
    );
    assert_eq!(st.budget_tokens(0), Some(200_000));
}

// ------------------------------------------------------------ AWS adaptive

fn adaptive() -> Guards {
    Guards {
        throttle: Some(Throttle::AwsAdaptive {
            beta: 0.7,
            scale: 0.4,
            smoothing: 0.8,
            bucket: 500 * MS,
            min_rate: 0.5,
        }),
        ..Guards::default()
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

/// A wait of `secs` as the guard reports it (to the nearest ns, at least 1).
fn wait(g: Gate, secs: f64) {
    let Gate::Wait(d) = g else {
        panic!("expected a wait of {secs} s, got {g:?}")
    };
    let want = secs * 1e9;
    assert!((d as f64 - want).abs() <= 1.0, "waited {d} ns, not {want}");
}

#[test]
fn aws_adaptive_is_off_until_the_first_429() {
    let g = adaptive();
    let mut st = GuardState::new(&g, 1);
    for i in 0..20 {
        assert_eq!(
            st.before_send(&g, 0, 0, true, &mut NoRng),
            Gate::Send,
            "{i}"
        );
    }
    // Successes and 5xx do not switch it on.
    for ms in [100, 200, 600, 1_200] {
        st.on_outcome(&g, 0, at_ms(ms), OK);
        st.on_outcome(&g, 0, at_ms(ms), FAIL);
    }
    for _ in 0..20 {
        assert_eq!(
            st.before_send(&g, 0, at_ms(1_200), true, &mut NoRng),
            Gate::Send
        );
    }
    assert!(!st.cubic(0).unwrap().enabled);
}

#[test]
fn aws_adaptive_follows_cubic_and_its_bucket() {
    let g = adaptive();
    let mut st = GuardState::new(&g, 1);
    let (beta, scale, smoothing) = (0.7, 0.4, 0.8);

    // R1: a 429 at t = 1 s. RateClocker: bucket floor(1/0.5)·0.5 = 1 > 0,
    // count 1 over 1 − 0 s: rate 1; measured = 0.8·1 + 0.2·0 = 0.8.
    // Not yet enabled: W_max = measured = 0.8; K = ∛(0.8·0.3/0.4) = ∛0.6;
    // rate = min(0.7·0.8, 2·0.8) = 0.56. Before the change the bucket
    // (rate 1, capacity 1, empty at 0) refilled to min(1·1, 1) = 1.
    st.on_outcome(&g, 0, S, THROTTLED);
    let m1 = smoothing * 1.0;
    let r1 = beta * m1;
    {
        let c = st.cubic(0).unwrap();
        assert!(c.enabled);
        assert!(close(c.measured, 0.8));
        assert!(close(c.w_max, 0.8));
        assert!(close(c.k, 0.6f64.cbrt()));
        assert!(close(c.fill_rate, 0.56), "{}", c.fill_rate);
        assert!(close(c.capacity, 1.0) && close(c.level, 1.0));
    }
    // A1 at 1 s takes the token: no wait.
    assert_eq!(st.before_send(&g, 0, S, true, &mut NoRng), Gate::Send);
    // A2 at 2 s: refilled 0 + 1 s·0.56 = 0.56; takes one: −0.44 → waits
    // 0.44/0.56 s. A3 at 2 s: −1.44 → waits 1.44/0.56 s.
    wait(
        st.before_send(&g, 0, 2 * S, true, &mut NoRng),
        (1.0 - r1) / r1,
    );
    wait(
        st.before_send(&g, 0, 2 * S, false, &mut NoRng),
        (2.0 - r1) / r1,
    );
    let level2 = r1 - 2.0; // −1.44 at 2 s

    // R2: a 429 at 2.5 s: bucket 2.5 > 1: count 1 over 1.5 s → 2/3;
    // measured = 0.8·2/3 + 0.2·0.8. Enabled: W_max = min(measured, 0.56)
    // = 0.56; new rate 0.7·0.56 = 0.392, below min_rate: 0.5.
    st.on_outcome(&g, 0, at_ms(2_500), THROTTLED);
    let m2 = smoothing * (1.0 / 1.5) + (1.0 - smoothing) * m1;
    let level25 = level2 + 0.5 * r1; // refilled at 0.56 for 0.5 s: −1.16
    {
        let c = st.cubic(0).unwrap();
        assert!(close(c.measured, m2), "{}", c.measured);
        assert!(m2 > r1, "the bucket's rate is the lower one");
        assert!(close(c.w_max, r1));
        assert!(close(c.k, (r1 * 0.3 / scale).cbrt()));
        assert!(close(c.fill_rate, 0.5), "{}", c.fill_rate);
        assert!(close(c.level, level25), "{}", c.level);
    }
    // A4 at 2.5 s: −2.16 → waits 2.16/0.5 = 4.32 s.
    wait(
        st.before_send(&g, 0, at_ms(2_500), true, &mut NoRng),
        (1.0 - level25) / 0.5,
    );
    let level25 = level25 - 1.0;

    // R3: a success at 4 s: bucket 4 > 2.5: 1 over 1.5 s; measured m3.
    // Rate = 0.4·(4 − 2.5 − K)³ + W_max with K = ∛(0.56·0.3/0.4) ≈ 0.749:
    // ≈ 0.7295, below 2·m3 ≈ 1.34, so it is the rate; capacity stays 1.
    st.on_outcome(&g, 0, 4 * S, OK);
    let m3 = smoothing * (1.0 / 1.5) + (1.0 - smoothing) * m2;
    let k = (r1 * 0.3 / scale).cbrt();
    let r3 = scale * (1.5 - k).powi(3) + r1;
    let level4 = level25 + 1.5 * 0.5;
    {
        let c = st.cubic(0).unwrap();
        assert!(close(c.measured, m3));
        assert!(r3 < 2.0 * m3 && r3 > 0.5);
        assert!(close(c.fill_rate, r3), "{} vs {r3}", c.fill_rate);
        assert!(close(c.capacity, 1.0));
        assert!(close(c.level, level4), "{} vs {level4}", c.level);
    }

    // R4: a success at 6 s: bucket 6 > 4: 1 over 2 s = 0.5; measured m4 =
    // 0.8·0.5 + 0.2·m3 ≈ 0.534. CUBIC gives 0.4·(3.5 − K)³ + 0.56 ≈ 8.9,
    // so 2·m4 ≈ 1.069 binds; the capacity becomes that rate (> 1).
    st.on_outcome(&g, 0, 6 * S, OK);
    let m4 = smoothing * 0.5 + (1.0 - smoothing) * m3;
    let cubic4 = scale * (3.5 - k).powi(3) + r1;
    let r4 = 2.0 * m4;
    assert!(cubic4 > r4 && r4 > 1.0);
    let level6 = level4 + 2.0 * r3; // ≈ 0.049, below the new capacity
    {
        let c = st.cubic(0).unwrap();
        assert!(close(c.fill_rate, r4), "{} vs {r4}", c.fill_rate);
        assert!(close(c.capacity, r4));
        assert!(close(c.level, level6), "{} vs {level6}", c.level);
    }
    // A5 at 6 s: level6 − 1 < 0 → waits (1 − level6)/r4.
    wait(
        st.before_send(&g, 0, 6 * S, true, &mut NoRng),
        (1.0 - level6) / r4,
    );
    // A6 at 10 s: refilled to the capacity r4 (4 s · r4 > r4 + 1); one token
    // taken leaves r4 − 1 ≥ 0: no wait.
    assert_eq!(st.before_send(&g, 0, 10 * S, true, &mut NoRng), Gate::Send);
    assert!(close(st.cubic(0).unwrap().level, r4 - 1.0));
}

#[test]
fn aws_adaptive_rate_never_drops_below_min_rate() {
    let g = adaptive();
    let mut st = GuardState::new(&g, 1);
    // 429s every 100 ms for a minute: each cuts the rate by β = 0.7 from
    // at most the last rate; 0.7^n falls below 0.5 fast, but the bucket's
    // rate stays at 0.5.
    let mut lowest = f64::INFINITY;
    for i in 1..=600u64 {
        st.on_outcome(&g, 0, i * 100 * MS, THROTTLED);
        lowest = lowest.min(st.cubic(0).unwrap().fill_rate);
    }
    assert_eq!(lowest, 0.5);
    assert_eq!(st.cubic(0).unwrap().fill_rate, 0.5);
}

#[test]
fn aws_quota_refunds_a_free_retry_nothing_not_the_no_retry_increment() {
    // cost 0: a retry takes 0 tokens; its request's success gives back that
    // 0 (botocore releases the last acquired amount whenever a retry was
    // made), not the +1 of a request that made no retry.
    let g = budget(Budget::AwsQuota {
        capacity: 500,
        cost: 0,
        timeout_cost: 10,
        success_increment: 1,
    });
    let mut st = GuardState::new(&g, 1);
    assert_eq!(st.allow_retry(&g, 0, 0, true), Ok(10));
    assert_eq!(st.allow_retry(&g, 0, 0, false), Ok(0));
    assert_eq!(st.budget_tokens(0), Some(490));
    st.on_request_success(&g, 0, Some(0));
    assert_eq!(st.budget_tokens(0), Some(490));
    st.on_request_success(&g, 0, None);
    assert_eq!(st.budget_tokens(0), Some(491));
}

#[test]
fn client_bucket_can_deposit_on_successes_instead() {
    // deposit_on = "success": first tries add nothing, each successful
    // attempt adds 0.1, failures nothing.
    let g = budget(Budget::ClientBucket {
        size: 5 * MICRO,
        deposit: MICRO / 10,
        cost: MICRO,
        initial: 0,
        on_success: true,
    });
    let mut st = GuardState::new(&g, 1);
    for _ in 0..20 {
        st.before_send(&g, 0, 0, true, &mut NoRng);
    }
    assert_eq!(st.budget_tokens(0), Some(0));
    for _ in 0..9 {
        st.on_outcome(&g, 0, 0, OK);
        st.on_outcome(&g, 0, 0, FAIL);
    }
    assert_eq!(st.budget_tokens(0), Some(9 * MICRO / 10));
    assert_eq!(st.allow_retry(&g, 0, 0, false), Err(Denied::Budget));
    st.on_outcome(&g, 0, 0, OK);
    assert_eq!(st.allow_retry(&g, 0, 0, false), Ok(0));
    assert_eq!(st.budget_tokens(0), Some(0));
}

#[test]
fn kinds_are_named_from_one_list() {
    for k in BudgetKind::ALL {
        assert_eq!(BudgetKind::from_name(k.name()), Some(k));
    }
    for k in ThrottleKind::ALL {
        assert_eq!(ThrottleKind::from_name(k.name()), Some(k));
    }
    assert_eq!(
        BudgetKind::NAMES,
        ["aws_quota", "grpc", "percent", "client_bucket"]
    );
    assert_eq!(ThrottleKind::NAMES, ["sre", "aws_adaptive"]);
    assert_eq!(BreakerScope::NAMES, ["all", "retries"]);
    assert_eq!(BudgetKind::from_name("none"), None);
    let keys: Vec<String> = list().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "budget = { kind = \"aws_quota\" }",
            "budget = { kind = \"grpc\" }",
            "budget = { kind = \"percent\" }",
            "budget = { kind = \"client_bucket\" }",
            "breaker = { scope = \"all\" }",
            "throttle = { kind = \"sre\" }",
            "throttle = { kind = \"aws_adaptive\" }",
        ]
    );
}

#[test]
fn labels_and_client_bytes_follow_the_guards() {
    let g = Guards {
        budget: Some(crate::policy::preset::AWS_QUOTA),
        breaker: Some(breaker(0.5, 2, 5 * S, 1, BreakerScope::Retries)),
        throttle: Some(crate::policy::preset::AWS_ADAPTIVE),
    };
    assert_eq!(g.labels(), ["aws_quota", "retry breaker", "aws_adaptive"]);
    assert_eq!(g.client_bytes(), 16 + 176 + 104);
    assert!(Guards::default().labels().is_empty());
    assert_eq!(Guards::default().client_bytes(), 0);
    assert_eq!(percent(MICRO / 5, 10.0, 10 * S).client_bytes(), 104);
    assert_eq!(sre().client_bytes(), 176);
}
