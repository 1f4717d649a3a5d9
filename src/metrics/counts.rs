//! The plain counts of one run ([`Counts`]): what a run's metrics
//! ([`super::run::RunMetrics`]) accumulate event by event and its summary
//! ([`super::summary::RunSummary`]) keeps, copied from one to the other
//! whole.

/// Counters of one run. Counts are from the client's point of view: an
/// attempt's outcome is whatever the client learns first (a response, or
/// its own timeout).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Requests created before the horizon.
    pub requests: u64,
    /// Requests that succeeded.
    pub succeeded: u64,
    /// Requests given up.
    pub gave_up: u64,
    /// Requests still open at the horizon (filled in at the end).
    pub unfinished: u64,
    /// Attempts sent.
    pub attempts: u64,
    /// Attempts answered with 429.
    pub rejected_429: u64,
    /// Attempts answered with a 5xx.
    pub errors_5xx: u64,
    /// Of those, by status, in [`super::run::ERROR_STATUSES`] order.
    pub errors_by_status: [u64; 3],
    /// 429s by the limit they named, in `Limit::ALL` order.
    pub rejected_by_limit: [u64; 4],
    /// Attempts abandoned on client timeout.
    pub timeouts: u64,
    /// Attempts still unresolved at the horizon.
    pub open_attempts: u64,
    /// Input tokens billed by the provider: the sum over the run's models,
    /// filled in by [`super::run::RunMetrics::finish`] (as are the next
    /// three).
    pub billed_input_tokens: u64,
    /// Output tokens billed.
    pub billed_output_tokens: u64,
    /// Billed input tokens of responses nobody used.
    pub wasted_input_tokens: u64,
    /// Billed output tokens of responses nobody used.
    pub wasted_output_tokens: u64,
    /// Most demand arriving at the main model's limiter within any peak
    /// window, per limit in `Limit::ALL` order and in each limit's unit
    /// (attempts; tokens), whether admitted or not. Set when the run
    /// finishes.
    pub peak_demand: [u64; 4],
    /// All demand that arrived at the main model's limiter, per limit. Set
    /// when the run finishes.
    pub demand: [u64; 4],
    /// Attempts the main model's limiter admitted.
    pub admitted: u64,
    /// What the admitted attempts cost each limit, net of the tokens given
    /// back when a reservation was corrected to the output generated.
    pub charged: [u64; 4],
    /// The tokens given back, per limit.
    pub returned: [u64; 4],
    /// What requests' first attempts arriving at the main model's limiter
    /// cost each limit: the workload's own sizes, before retries weight
    /// them (big requests are refused and retried more often).
    pub first_demand: [u64; 4],
    /// Attempts answered 409 by an optimistic-concurrency server.
    pub conflicts: u64,
    /// Attempts that started service, and the time they waited in the
    /// server's queue in total (0 for those served at once).
    pub served: u64,
    pub queue_wait_ns: u128,
    /// Retries the strategy wanted that a retry budget or a breaker denied
    /// (each ends its request).
    pub retries_denied: u64,
    /// Attempts a client-side guard rejected before sending (each ends its
    /// request; not counted in `attempts`).
    pub local_rejections: u64,
    /// Nanoseconds a client's circuit breaker was open, the mean over
    /// clients (rounded down), up to the run's last event.
    pub breaker_open_ns: u128,
    /// Hedges sent: copies of an attempt beyond its first (each counted
    /// in `attempts` too).
    pub hedges: u64,
    /// Copies of hedged attempts that another copy beat to a success,
    /// resolved when it did (cancelled, or left to run on).
    pub hedges_lost: u64,
}

impl Counts {
    /// Requests created that have neither succeeded nor been given up.
    pub fn open_requests(&self) -> u64 {
        self.requests - self.succeeded - self.gave_up
    }
}
