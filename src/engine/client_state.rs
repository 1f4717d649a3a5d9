//! What a run allocates for its clients before its first event, whatever
//! the workload: the retry guards' state, the sort of spread first starts,
//! a closed loop's count of requests per client, the clocks of the client
//! processes. The run asks its
//! [`Monitor`](super::Monitor) for these bytes before it allocates them, and the memory
//! estimate counts them for every run.
//! The guards' share is theirs to say
//! ([`crate::policy::client::client_state_bytes`]).

use crate::policy::Strategy;
use crate::scenario::{Scenario, WorkloadKind};
use crate::time::SimTime;

/// Per client with a spread start: the sort of first starts, (time,
/// client) pairs and then the clients in order, both alive at once.
const FIRST_START_ORDER: u64 = (size_of::<(SimTime, u32)>() + size_of::<u32>()) as u64;
/// Per client of a closed loop: requests started so far.
const CLOSED_LOOP_COUNT: u64 = size_of::<u32>() as u64;

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
    let clients = s.workload.clients;
    let per_client =
        if spread { FIRST_START_ORDER } else { 0 } + if closed { CLOSED_LOOP_COUNT } else { 0 };
    let processes = s
        .client_processing
        .as_ref()
        .map_or(0, |c| super::client_cpu::ClientCpu::bytes(c, clients));
    crate::policy::client::client_state_bytes(strategy, clients)
        .saturating_add(u64::from(clients).saturating_mul(per_client))
        .saturating_add(processes)
}
