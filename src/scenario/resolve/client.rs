//! `[client]`: the CPU clients spend on what they hear (`processing_time`,
//! `processes`). The attempt timeout beside them is read with the
//! scenario's other whole-run settings.

use super::Cx;
use crate::scenario::ClientProcessing;
use crate::scenario::raw::RawClient;
use crate::time::parse_duration;

/// Most client processes a scenario may name (a run keeps one clock per
/// process, for the clients that have one).
const MAX_PROCESSES: i64 = u32::MAX as i64;

impl Cx<'_> {
    /// `processing_time` (a duration or a distribution of durations) and
    /// `processes` (default 1), or `None` without a processing time.
    pub(super) fn client_processing(&mut self, raw: &RawClient) -> Option<ClientProcessing> {
        let Some(t) = &raw.processing_time else {
            if let Some(p) = &raw.processes {
                self.conflict_at(
                    p,
                    "client.processes",
                    "has no effect without client.processing_time",
                );
            }
            return None;
        };
        let time = self.duration_dist(t, "client.processing_time");
        let zero = matches!(t.get_ref(), toml::Value::String(s) if parse_duration(s) == Ok(0));
        if zero {
            self.problem(
                t,
                "client.processing_time",
                "must be longer than 0s; leave it out for clients that take no time",
            );
        }
        let processes = self.int(&raw.processes, "client.processes", 1, MAX_PROCESSES, 1) as u32;
        Some(ClientProcessing { time, processes })
    }
}
