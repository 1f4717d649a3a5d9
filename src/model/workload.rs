//! The traffic the provider receives, as configured: how requests arrive
//! (bursts, open and closed loops, replayed traces), how many clients
//! send them, and how large they are. The engine drives it.

use crate::model::dist::Dist;
use crate::time::SimDuration;

/// Most tokens (input or output) one request may have. Constant sizes and
/// distribution parameters above it are rejected; heavy-tailed draws beyond
/// it are cut to it, so that sums over millions of requests stay far from
/// overflow.
pub const MAX_TOKENS_PER_REQUEST: u64 = 1_000_000_000;

/// The traffic.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// How requests arrive.
    pub kind: WorkloadKind,
    /// Virtual clients.
    pub clients: u32,
    /// Input tokens per request.
    pub input_tokens: Dist,
    /// Output tokens the model would generate per request.
    pub output_tokens: Dist,
    /// Output limit per request; the token bucket is charged input +
    /// `max_tokens` (`None`: input + the actual output).
    pub max_tokens: Option<u64>,
}

/// How requests arrive.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkloadKind {
    /// Each client sends one request, at a uniform time in `[0, spread]`.
    Burst { spread: SimDuration },
    /// Open loop: Poisson arrivals at `rate_per_s` during `[0, duration)`,
    /// each given to a client chosen uniformly at random.
    Poisson {
        rate_per_s: f64,
        duration: SimDuration,
    },
    /// Closed loop: each client runs `requests_per_client` requests one
    /// after another, waiting `think_time` after each, the first starting
    /// at a uniform time in `[0, spread]`.
    Closed {
        requests_per_client: u32,
        think_time: Dist,
        spread: SimDuration,
    },
    /// Replay: one request per row of a trace file, at its time and with
    /// its token counts; row `i` belongs to client `i mod clients`.
    Trace { rows: std::sync::Arc<[TraceRow]> },
}

/// One request of a replayed trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceRow {
    /// When the request starts.
    pub start: SimDuration,
    pub input_tokens: u64,
    /// Output tokens the model generates (before `max_tokens`).
    pub output_tokens: u64,
}

impl WorkloadKind {
    /// Whether requests keep coming over time (an open or a closed loop),
    /// so that throughput, not only the share of a fixed set of requests,
    /// describes the outcome.
    pub fn is_stream(&self) -> bool {
        matches!(
            self,
            WorkloadKind::Poisson { .. } | WorkloadKind::Closed { .. }
        )
    }

    /// The scenario-file name of the kind.
    pub fn name(&self) -> &'static str {
        match self {
            WorkloadKind::Burst { .. } => "burst",
            WorkloadKind::Poisson { .. } => "poisson",
            WorkloadKind::Closed { .. } => "closed",
            WorkloadKind::Trace { .. } => "trace",
        }
    }
}
