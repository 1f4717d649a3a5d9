//! The copy of a trace workload's rows ([`TRACE_COPY`]), so that the
//! report reads back and reruns without the original trace file.

use super::Exporter;
use crate::experiment::ExperimentResult;
use crate::scenario::{Scenario, TRACE_COPY, WorkloadKind};

/// The exporter of the copy of a trace.
pub struct TraceCopy;

impl Exporter for TraceCopy {
    fn file_name(&self) -> &'static str {
        TRACE_COPY
    }

    fn written_for(&self, scenario: &Scenario, _: bool) -> bool {
        matches!(scenario.workload.kind, WorkloadKind::Trace { .. })
    }

    fn serialize(&self, scenario: &Scenario, _: &ExperimentResult) -> Option<Vec<u8>> {
        match &scenario.workload.kind {
            WorkloadKind::Trace { rows } => Some(crate::scenario::trace::to_csv(rows)),
            _ => None,
        }
    }
}
