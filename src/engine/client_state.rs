//! What a run allocates for its clients before its first event, whatever
//! the workload: the retry guards' state, the sort of spread first starts,
//! a closed loop's count of requests per client. The run asks its
//! [`Monitor`](super::Monitor) for these bytes before it allocates them, and the memory
//! estimate counts them for every run.
//!
//! The guard constants were measured (peak memory of runs of 10^5 to
//! 2·10^6 clients, the difference divided by the difference in clients):
//! 16 bytes per client for a token budget, 112 for a percent budget or an
//! aws_adaptive throttle, 190 for a breaker or an sre throttle; each is
//! rounded down by about 5%, so that the estimate stays a lower bound.

use crate::policy::Strategy;
use crate::scenario::{Scenario, WorkloadKind};
use crate::time::SimTime;

/// Guard state per client of a token retry budget (aws_quota, grpc,
/// client_bucket), in bytes (measured: 16).
const GUARD_TOKEN_BUDGET: u64 = 16;
/// Per client, a percent retry budget or an aws_adaptive throttle (boxed
/// state; measured: 112).
const GUARD_BOXED: u64 = 104;
/// Per client, a circuit breaker or an sre throttle (outcome windows;
/// measured: 190).
const GUARD_WINDOW: u64 = 176;
/// Per client with a spread start: the sort of first starts, (time,
/// client) pairs and then the clients in order, both alive at once.
const FIRST_START_ORDER: u64 = (size_of::<(SimTime, u32)>() + size_of::<u32>()) as u64;
/// Per client of a closed loop: requests started so far.
const CLOSED_LOOP_COUNT: u64 = size_of::<u32>() as u64;

/// Bytes of per-client guard state of `strategy`.
fn guard_bytes(strategy: &Strategy) -> u64 {
    use crate::policy::guard::{Budget, Throttle};
    let g = &strategy.guards;
    let budget = match g.budget {
        None => 0,
        Some(Budget::Percent { .. }) => GUARD_BOXED,
        Some(_) => GUARD_TOKEN_BUDGET,
    };
    let breaker = if g.breaker.is_some() { GUARD_WINDOW } else { 0 };
    let throttle = match g.throttle {
        None => 0,
        Some(Throttle::Sre { .. }) => GUARD_WINDOW,
        Some(Throttle::AwsAdaptive { .. }) => GUARD_BOXED,
    };
    budget + breaker + throttle
}

/// Bytes a run of `strategy` allocates for its clients before its first
/// event, whatever the workload: the retry guards' state, the sort of
/// spread first starts, a closed loop's count of requests per client.
/// The engine asks its monitor for them before it allocates them
/// ([`Monitor::reserve`](super::Monitor::reserve)).
pub fn client_state_bytes(s: &Scenario, strategy: &Strategy) -> u64 {
    let spread = matches!(
        s.workload.kind,
        WorkloadKind::Burst { spread } | WorkloadKind::Closed { spread, .. } if spread > 0
    );
    let closed = matches!(s.workload.kind, WorkloadKind::Closed { .. });
    let per_client = guard_bytes(strategy)
        + if spread { FIRST_START_ORDER } else { 0 }
        + if closed { CLOSED_LOOP_COUNT } else { 0 };
    u64::from(s.workload.clients).saturating_mul(per_client)
}
