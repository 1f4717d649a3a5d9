//! Whether a run recovered ([`Recovery`]): its goodput over a window after
//! an incident, measured against the workload's arrival rate. The
//! scenario's `[report.recovery]` table sets it; the run counts the
//! successful answers in the window and this decides.

use crate::time::{NANOS_PER_SEC, SimDuration, SimTime};

/// A run has recovered if its goodput (successful answers received per
/// second), over the `window` that ends `within` after `after`, is at
/// least `goodput` × the workload's arrival rate; otherwise it is stuck.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recovery {
    pub after: SimTime,
    pub within: SimDuration,
    pub window: SimDuration,
    pub goodput: f64,
    /// The arrival rate the goodput is compared with (per second).
    pub rate_per_s: f64,
}

impl Recovery {
    /// The window the goodput is measured over, [from, to).
    pub fn span(&self) -> (SimTime, SimTime) {
        let to = self.after.saturating_add(self.within);
        (to.saturating_sub(self.window), to)
    }

    /// Whether `successes` answers within the window make a recovery.
    pub fn recovered(&self, successes: u64) -> bool {
        let secs = self.window as f64 / NANOS_PER_SEC as f64;
        successes as f64 >= self.goodput * self.rate_per_s * secs
    }
}
