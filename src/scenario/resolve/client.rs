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

#[cfg(test)]
mod tests {
    use super::super::test_support::{STRATEGY, problems, resolved};
    use crate::model::dist::Dist;
    use crate::scenario::ClientProcessing;

    #[test]
    fn processing_is_off_unless_given_and_one_process_by_default() {
        assert_eq!(resolved(STRATEGY).client_processing, None);
        let s = resolved(&format!("[client]\nprocessing_time = \"5ms\"\n{STRATEGY}"));
        let want = ClientProcessing {
            time: Dist::Constant(5e6),
            processes: 1,
        };
        assert_eq!(s.client_processing, Some(want));
        // Written back and read again, a distribution included.
        let s = resolved(&format!(
            "[client]\nprocessing_time = {{ dist = \"uniform\", min = \"1ms\", max = \"3ms\" }}\nprocesses = 4\n{STRATEGY}"
        ));
        let again = resolved(&s.to_toml());
        assert_eq!(again.client_processing, s.client_processing);
        assert_eq!(again.client_processing.unwrap().processes, 4);
    }

    #[test]
    fn bad_processing_keys_are_named() {
        let found = problems(&format!(
            "[client]\nprocessing_time = \"0s\"\nprocesses = 0\n{STRATEGY}"
        ));
        assert_eq!(
            found,
            [
                (
                    2,
                    "client.processing_time".to_string(),
                    "must be longer than 0s; leave it out for clients that take no time"
                        .to_string()
                ),
                (
                    3,
                    "client.processes".to_string(),
                    "must be a whole number from 1 to 4294967295, not 0".to_string()
                ),
            ]
        );
        let found = problems(&format!("[client]\nprocesses = 2\n{STRATEGY}"));
        assert_eq!(
            found,
            [(
                2,
                "client.processes".to_string(),
                "has no effect without client.processing_time".to_string()
            )]
        );
        // A bad duration is reported once.
        let found = problems(&format!(
            "[client]\nprocessing_time = \"5 parsecs\"\n{STRATEGY}"
        ));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].1, "client.processing_time");
    }
}
