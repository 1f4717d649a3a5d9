//! `[workload]`: who sends requests, when, and how large they are; the
//! trace a replay reads; the most a run may be expected to create.

use super::Cx;
use crate::diagnostic::{Problem, unknown_name};
use crate::model::dist::Dist;
use crate::scenario::raw::RawWorkload;
use crate::scenario::{MAX_TOKENS_PER_REQUEST, TraceRow, Workload, WorkloadKind};
use crate::time::{SimDuration, format_duration};
use std::sync::Arc;

/// Largest number of clients and requests per client accepted: beyond
/// these a run could not finish in any sensible time, and counts stay far
/// from integer overflow.
const MAX_CLIENTS: i64 = 100_000_000;
const MAX_REQUESTS_PER_CLIENT: i64 = 100_000_000;
/// Most requests a run may be expected to create (requests are indexed by
/// 32-bit numbers; this leaves room for Poisson fluctuation).
pub const MAX_EXPECTED_REQUESTS: f64 = 1e9;

/// The workload kinds.
const KINDS: [&str; 4] = ["burst", "poisson", "closed", "trace"];

/// A key that only some workload kinds read: (name, its span if present,
/// the kinds that read it).
type KindKey<'a> = (&'a str, Option<std::ops::Range<usize>>, &'a [&'a str]);

impl Cx<'_> {
    /// The most input and output tokens one attempt of `workload` reserves,
    /// when they are known before running (fixed sizes, a `max_tokens`, or
    /// a trace's largest).
    pub(super) fn largest_costs(workload: &Workload) -> (Option<f64>, Option<f64>) {
        let input = match (&workload.kind, &workload.input_tokens) {
            (WorkloadKind::Trace { rows }, _) => {
                rows.iter().map(|r| r.input_tokens).max().map(|x| x as f64)
            }
            (_, Dist::Constant(x)) => Some(*x),
            _ => None,
        };
        let output = match (workload.max_tokens, &workload.kind, &workload.output_tokens) {
            (Some(m), _, _) => Some(m as f64),
            (None, WorkloadKind::Trace { rows }, _) => {
                rows.iter().map(|r| r.output_tokens).max().map(|x| x as f64)
            }
            (None, _, Dist::Constant(o)) => Some(*o),
            _ => None,
        };
        (input, output)
    }

    pub(super) fn workload(
        &mut self,
        w: &RawWorkload,
        horizon: SimDuration,
        run_length: SimDuration,
    ) -> Workload {
        let kind_name = w.kind.as_ref().map_or("burst", |k| k.get_ref().as_str());
        let clients = self.int(&w.clients, "workload.clients", 1, MAX_CLIENTS, 100) as u32;
        let spread = match &w.spread {
            Some(s) => {
                let d = self.duration(s, "workload.spread");
                if d > horizon {
                    self.conflict_at(
                        s,
                        "workload.spread",
                        format!(
                            "must be at most the horizon ({}), not {}",
                            format_duration(horizon),
                            format_duration(d)
                        ),
                    );
                }
                d
            }
            None => 0,
        };
        // Keys that only some kinds read are errors under another kind, so a
        // typo'd kind does not silently ignore them.
        let kind_keys: [KindKey; 6] = [
            (
                "spread",
                w.spread.as_ref().map(|v| v.span()),
                &["burst", "closed"],
            ),
            (
                "rate_per_s",
                w.rate_per_s.as_ref().map(|v| v.span()),
                &["poisson"],
            ),
            (
                "duration",
                w.duration.as_ref().map(|v| v.span()),
                &["poisson"],
            ),
            (
                "requests_per_client",
                w.requests_per_client.as_ref().map(|v| v.span()),
                &["closed"],
            ),
            (
                "think_time",
                w.think_time.as_ref().map(|v| v.span()),
                &["closed"],
            ),
            ("file", w.file.as_ref().map(|v| v.span()), &["trace"]),
        ];
        if KINDS.contains(&kind_name) {
            for (key, at, kinds) in kind_keys {
                if at.is_some() && !kinds.contains(&kind_name) {
                    let allowed = kinds
                        .iter()
                        .map(|k| format!("\"{k}\""))
                        .collect::<Vec<_>>()
                        .join(" or ");
                    self.conflict(
                        at,
                        &format!("workload.{key}"),
                        format!("only read by kind = {allowed}, not by kind = \"{kind_name}\""),
                    );
                }
            }
        }
        let kind = match kind_name {
            "burst" => WorkloadKind::Burst { spread },
            "poisson" => {
                let rate_per_s = match &w.rate_per_s {
                    Some(r) => self.positive(r, "workload.rate_per_s"),
                    None => {
                        self.conflict(
                            w.kind.as_ref().map(|k| k.span()),
                            "workload.rate_per_s",
                            "kind = \"poisson\" needs rate_per_s (requests per second, > 0)",
                        );
                        1.0
                    }
                };
                let duration = match &w.duration {
                    Some(d) => self.positive_duration(d, "workload.duration"),
                    None => run_length,
                };
                let expected = rate_per_s * crate::time::as_secs_f64(duration.min(run_length));
                if expected > MAX_EXPECTED_REQUESTS {
                    let at = w.rate_per_s.as_ref().map(|r| r.span());
                    self.conflict(at, "workload.rate_per_s", format!(
                        "rate_per_s × duration expects {expected:.3e} requests in one run; at most {MAX_EXPECTED_REQUESTS:e} are supported"
                    ));
                }
                WorkloadKind::Poisson {
                    rate_per_s,
                    duration,
                }
            }
            "closed" => {
                let requests_per_client = self.int(
                    &w.requests_per_client,
                    "workload.requests_per_client",
                    1,
                    MAX_REQUESTS_PER_CLIENT,
                    10,
                ) as u32;
                if f64::from(clients) * f64::from(requests_per_client) > MAX_EXPECTED_REQUESTS {
                    let at = w.requests_per_client.as_ref().map(|r| r.span());
                    self.conflict(at, "workload.requests_per_client", format!(
                        "clients × requests_per_client is more than the {MAX_EXPECTED_REQUESTS:e} requests one run supports"
                    ));
                }
                let think_time = match &w.think_time {
                    Some(t) => self.duration_dist(t, "workload.think_time"),
                    None => Dist::Constant(0.0),
                };
                WorkloadKind::Closed {
                    requests_per_client,
                    think_time,
                    spread,
                }
            }
            "trace" => match &w.file {
                Some(file) => {
                    let cached = self
                        .traces
                        .and_then(|c| c.lock().ok().and_then(|m| m.get(file.get_ref()).cloned()));
                    let rows: Arc<[TraceRow]> = match cached {
                        Some(rows) => rows,
                        None => match crate::scenario::trace::read(self.files, file.get_ref()) {
                            Ok(rows) => {
                                let rows: Arc<[TraceRow]> = rows.into();
                                if let Some(Ok(mut m)) = self.traces.map(|c| c.lock()) {
                                    m.insert(file.get_ref().clone(), rows.clone());
                                }
                                rows
                            }
                            Err(msg) => {
                                self.problem(file, "workload.file", msg);
                                Vec::new().into()
                            }
                        },
                    };
                    for (key, v) in [("input", &w.tokens.input), ("output", &w.tokens.output)] {
                        if let Some(v) = v {
                            self.conflict_at(v, &format!("workload.tokens.{key}"),
                                "is not used by kind = \"trace\": the trace gives each request's token counts");
                        }
                    }
                    WorkloadKind::Trace { rows }
                }
                None => {
                    self.conflict(w.kind.as_ref().map(|k| k.span()), "workload.file", "kind = \"trace\" needs file = \"path/to/trace.csv\" (columns t_s, input_tokens, output_tokens; relative to the scenario file)");
                    WorkloadKind::Trace {
                        rows: Vec::new().into(),
                    }
                }
            },
            other => {
                let span = w.kind.as_ref().map(|k| k.span());
                self.problems.push(Problem::unlocated(
                    span,
                    "workload.kind",
                    unknown_name("value", other, &KINDS),
                ));
                WorkloadKind::Burst { spread }
            }
        };
        let input_tokens = match &w.tokens.input {
            Some(v) => self.token_dist(v, "workload.tokens.input"),
            None => Dist::Constant(1000.0),
        };
        let output_tokens = match &w.tokens.output {
            Some(v) => self.token_dist(v, "workload.tokens.output"),
            None => Dist::Constant(500.0),
        };
        let max_tokens = w.tokens.max_tokens.as_ref().map(|_| {
            self.int(
                &w.tokens.max_tokens,
                "workload.tokens.max_tokens",
                1,
                MAX_TOKENS_PER_REQUEST as i64,
                1,
            ) as u64
        });
        Workload {
            kind,
            clients,
            input_tokens,
            output_tokens,
            max_tokens,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{STRATEGY, problem, problems, resolved};
    use crate::model::dist::Dist;
    use crate::scenario::WorkloadKind;
    use crate::time::NANOS_PER_SEC;

    #[test]
    fn an_open_loop_sends_for_its_duration_or_the_whole_run() {
        let s = resolved(&format!(
            "horizon = \"10m\"\n[workload]\nkind = \"poisson\"\nrate_per_s = 20\nduration = \"5m\"\n{STRATEGY}"
        ));
        assert_eq!(
            s.workload.kind,
            WorkloadKind::Poisson {
                rate_per_s: 20.0,
                duration: 300 * NANOS_PER_SEC
            }
        );
        let s = resolved(&format!(
            "horizon = \"10m\"\n[workload]\nkind = \"poisson\"\nrate_per_s = 20\n{STRATEGY}"
        ));
        assert_eq!(
            s.workload.kind,
            WorkloadKind::Poisson {
                rate_per_s: 20.0,
                duration: 600 * NANOS_PER_SEC
            }
        );
    }

    #[test]
    fn a_closed_loop_takes_its_requests_think_time_and_spread() {
        let s = resolved(&format!(
            "[workload]\nkind = \"closed\"\nclients = 4\nrequests_per_client = 3\nthink_time = \"250ms\"\nspread = \"2s\"\n\
             [workload.tokens]\ninput = 800\noutput = 200\nmax_tokens = 300\n{STRATEGY}"
        ));
        assert_eq!(
            s.workload.kind,
            WorkloadKind::Closed {
                requests_per_client: 3,
                think_time: Dist::Constant(250e6),
                spread: 2 * NANOS_PER_SEC,
            }
        );
        assert_eq!(s.workload.clients, 4);
        assert_eq!(
            (&s.workload.input_tokens, &s.workload.output_tokens),
            (&Dist::Constant(800.0), &Dist::Constant(200.0))
        );
        assert_eq!(s.workload.max_tokens, Some(300));
    }

    #[test]
    fn keys_of_another_kind_are_refused_where_they_are() {
        let found = problems(&format!(
            "[workload]\nkind = \"poisson\"\nrate_per_s = 5\nspread = \"1s\"\nthink_time = \"1s\"\n{STRATEGY}"
        ));
        assert_eq!(
            found,
            [
                (
                    4,
                    "workload.spread".to_string(),
                    "only read by kind = \"burst\" or \"closed\", not by kind = \"poisson\""
                        .to_string()
                ),
                (
                    5,
                    "workload.think_time".to_string(),
                    "only read by kind = \"closed\", not by kind = \"poisson\"".to_string()
                ),
            ]
        );
    }

    #[test]
    fn a_run_expected_to_create_too_many_requests_is_refused() {
        // 1,000,000 per second for an hour: 3.6e9 requests, past 1e9.
        let (line, key, message) = problem(&format!(
            "horizon = \"1h\"\n[workload]\nkind = \"poisson\"\nrate_per_s = 1e6\n{STRATEGY}"
        ));
        assert_eq!((line, key.as_str()), (4, "workload.rate_per_s"));
        assert_eq!(
            message,
            "rate_per_s × duration expects 3.600e9 requests in one run; at most 1e9 are supported"
        );
        // 100,000 clients × 100,000 requests: 1e10.
        let (_, key, _) = problem(&format!(
            "[workload]\nkind = \"closed\"\nclients = 100000\nrequests_per_client = 100000\n{STRATEGY}"
        ));
        assert_eq!(key, "workload.requests_per_client");
    }

    #[test]
    fn what_a_kind_needs_and_a_spread_past_the_horizon_are_named() {
        let (line, key, message) = problem(&format!("[workload]\nkind = \"trace\"\n{STRATEGY}"));
        assert_eq!((line, key.as_str()), (2, "workload.file"));
        assert!(
            message.starts_with("kind = \"trace\" needs file = "),
            "{message}"
        );
        let (line, key, message) = problem(&format!(
            "horizon = \"1m\"\n[workload]\nspread = \"90s\"\n{STRATEGY}"
        ));
        assert_eq!((line, key.as_str()), (3, "workload.spread"));
        assert_eq!(message, "must be at most the horizon (1m), not 90s");
        let (_, key, message) = problem(&format!("[workload]\nkind = \"bursty\"\n{STRATEGY}"));
        assert_eq!(key, "workload.kind");
        assert_eq!(
            message,
            "unknown value \"bursty\"; expected one of \"burst\", \"poisson\", \"closed\", \"trace\"; did you mean \"burst\"?"
        );
    }
}
