//! Validation: from the raw TOML types to a [`Scenario`], collecting every
//! problem (with its position) instead of stopping at the first.
//!
//! This module holds the validation context [`Cx`], its checks of single
//! values (durations, whole numbers, probabilities, names from a list),
//! and the assembly of a scenario from its sections, each resolved in a
//! module of its own: [`workload`], [`provider`] (limits, servers, prices,
//! models), [`strategy`] (with its backoff), [`guards`], [`client`]
//! (the clients' processing time), [`dist`] (distributions) and [`names`]. `[sweep]` and `[tune]` are left to
//! their own modules, which resolve whole scenarios in turn.

mod client;
mod dist;
mod guards;
mod names;
mod provider;
mod strategy;
mod workload;

pub use names::MAX_NAME_BYTES;

use super::raw::*;
use super::trace::{FileSource, TraceCache};
use super::{Problem, Recovery, ReportConfig, Scenario, ServerConfig, Workload, WorkloadKind};
use crate::diagnostic::{MAX_PROBLEMS, show_number, unknown_name};
use crate::model::dist::Dist;
use crate::policy::Strategy;
use crate::time::{NANOS_PER_SEC, SimDuration, format_duration, parse_duration};
use names::{ModelNames, folder_name_problem, name_from_file};
use std::collections::HashSet;
use std::ops::Range;
use toml::Spanned;

/// Largest number of replications accepted: beyond it a run could not
/// finish in any sensible time.
const MAX_REPLICATIONS: i64 = 1_000_000;
/// Most time-series buckets a run may need (horizon / report.bucket).
pub const MAX_BUCKETS: u64 = 1_000_000;

/// A scenario resolved from its text, `[sweep]` and `[tune]` left out.
pub(super) struct Body {
    /// The scenario, with `sweep` and `tune` unset.
    pub scenario: Scenario,
    /// Every problem found, in the order found (not yet in report order).
    pub problems: Vec<Problem>,
    /// Whether the text has a `[sweep]` table, to read once the rest is
    /// valid.
    pub has_sweep: bool,
    /// Whether it has a `[tune]` table, likewise.
    pub has_tune: bool,
}

/// Reads and validates `src` but for its `[sweep]` and `[tune]`; trace
/// files are read through `files`, taken from `cache` when it has them
/// (adding those it reads). A text that is not a TOML table of the
/// scenario's shape gives its problems at once.
pub(super) fn body(
    src: &str,
    default_name: &str,
    files: FileSource,
    cache: Option<&TraceCache>,
) -> Result<Body, Vec<Problem>> {
    let (raw, mut removed, mut problems) = super::recover::read(src)?;
    let mut cx = Cx {
        unknown_models_described: MAX_PROBLEMS,
        files,
        traces: cache,
        problems: Vec::new(),
        conflicts: Vec::new(),
    };
    let has_sweep = raw.sweep.is_some();
    let has_tune = raw.tune.is_some();
    let scenario = cx.scenario(raw, default_name);
    // `strategy` given as something else than tables was reported as such;
    // it is not also missing.
    if removed.took_out("strategy") {
        cx.problems.retain(|p| p.key != "strategy");
    }
    // Where a wrong value was taken out, or replaced by its default, what
    // is said of other keys in relation to it could be false; that waits
    // until the value is fixed.
    for p in &cx.problems {
        removed.add(&p.key);
    }
    problems.append(&mut cx.problems);
    problems.extend(
        cx.conflicts
            .drain(..)
            .filter(|p| !removed.may_mislead(&p.key)),
    );
    Ok(Body {
        scenario,
        problems,
        has_sweep,
        has_tune,
    })
}

/// Validation context: where traces come from, and the problems found so
/// far (located only once known to be reported).
struct Cx<'a> {
    /// How many more unknown fallback models get the list of models in
    /// their message: only the first [`MAX_PROBLEMS`] in the file can be
    /// reported (they are found in file order).
    unknown_models_described: usize,
    /// Where trace files are read from.
    files: FileSource<'a>,
    /// Traces parsed before, by file name.
    traces: Option<&'a TraceCache>,
    /// Problems of a value alone: its type, range or unit.
    problems: Vec<Problem>,
    /// Problems of a value together with others (a key another key
    /// needs or excludes, a bound set elsewhere, a name defined
    /// elsewhere): false if one of those others was a wrong value taken
    /// out (see [`super::recover`]).
    conflicts: Vec<Problem>,
}

impl Cx<'_> {
    fn problem<T>(&mut self, at: &Spanned<T>, key: &str, message: impl Into<String>) {
        self.problems
            .push(Problem::unlocated(Some(at.span()), key, message));
    }

    fn conflict(&mut self, at: Option<Range<usize>>, key: &str, message: impl Into<String>) {
        self.conflicts.push(Problem::unlocated(at, key, message));
    }

    fn conflict_at<T>(&mut self, at: &Spanned<T>, key: &str, message: impl Into<String>) {
        self.conflict(Some(at.span()), key, message);
    }

    fn duration(&mut self, v: &Spanned<Duration>, key: &str) -> SimDuration {
        match parse_duration(v.get_ref()) {
            Ok(d) => d,
            Err(msg) => {
                self.problem(v, key, msg);
                0
            }
        }
    }

    fn opt_duration(&mut self, v: &Option<Spanned<Duration>>, key: &str) -> Option<SimDuration> {
        v.as_ref().map(|v| self.duration(v, key))
    }

    fn positive_duration(&mut self, v: &Spanned<Duration>, key: &str) -> SimDuration {
        let d = self.duration(v, key);
        if d == 0 && parse_duration(v.get_ref()).is_ok() {
            let zero: &str = v.get_ref();
            self.problem(v, key, format!("must be longer than 0s, not \"{zero}\""));
        }
        d
    }

    fn int(
        &mut self,
        v: &Option<Spanned<i64>>,
        key: &str,
        min: i64,
        max: i64,
        default: i64,
    ) -> i64 {
        match v {
            None => default,
            Some(s) => {
                let x = *s.get_ref();
                if x < min || x > max {
                    self.problem(
                        s,
                        key,
                        format!("must be a whole number from {min} to {max}, not {x}"),
                    );
                    default
                } else {
                    x
                }
            }
        }
    }

    fn positive(&mut self, v: &Spanned<f64>, key: &str) -> f64 {
        let x = *v.get_ref();
        if !x.is_finite() || x <= 0.0 {
            self.problem(
                v,
                key,
                format!(
                    "must be a finite number greater than 0, not {}",
                    show_number(x)
                ),
            );
            1.0
        } else {
            x
        }
    }

    fn non_negative(&mut self, v: &Spanned<f64>, key: &str) -> f64 {
        let x = *v.get_ref();
        if !x.is_finite() || x < 0.0 {
            self.problem(
                v,
                key,
                format!(
                    "must be a finite number of at least 0, not {}",
                    show_number(x)
                ),
            );
            0.0
        } else {
            x
        }
    }

    fn probability(&mut self, v: &Option<Spanned<f64>>, key: &str) -> f64 {
        match v {
            None => 0.0,
            Some(s) => {
                let x = *s.get_ref();
                if !(0.0..=1.0).contains(&x) {
                    self.problem(
                        s,
                        key,
                        format!("must be a probability from 0 to 1, not {}", show_number(x)),
                    );
                    0.0
                } else {
                    x
                }
            }
        }
    }

    fn choice<T>(
        &mut self,
        v: &Spanned<String>,
        key: &str,
        names: &[&str],
        find: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let found = find(v.get_ref());
        if found.is_none() {
            let message = unknown_name("value", v.get_ref(), names);
            self.problem(v, key, message);
        }
        found
    }

    fn opt_positive_duration(
        &mut self,
        v: &Option<Spanned<Duration>>,
        key: &str,
        default: SimDuration,
    ) -> SimDuration {
        match v {
            Some(d) => self.positive_duration(d, key),
            None => default,
        }
    }

    /// Reports the fields given that `kind` does not use.
    fn unused_fields(&mut self, key: &str, kind: &str, fields: &[(&str, Option<Range<usize>>)]) {
        for (field, span) in fields {
            if let Some(span) = span {
                self.conflict(
                    Some(span.clone()),
                    &format!("{key}.{field}"),
                    format!("is not used by kind = \"{kind}\""),
                );
            }
        }
    }

    /// A number within `lo..=hi` (`lo` itself excluded when `open_lo`), or
    /// `default` when absent.
    fn number(
        &mut self,
        v: &Option<Spanned<f64>>,
        key: &str,
        (lo, open_lo): (f64, bool),
        hi: f64,
        default: f64,
    ) -> f64 {
        let Some(v) = v else {
            return default;
        };
        let x = *v.get_ref();
        let ok = x.is_finite() && (if open_lo { x > lo } else { x >= lo }) && x <= hi;
        if ok {
            return x;
        }
        let low = if open_lo {
            format!("greater than {}", show_number(lo))
        } else {
            format!("at least {}", show_number(lo))
        };
        self.problem(
            v,
            key,
            format!(
                "must be a number {low} and at most {}, not {}",
                show_number(hi),
                show_number(x)
            ),
        );
        default
    }

    fn scenario(&mut self, raw: RawScenario, default_name: &str) -> Scenario {
        let name = match &raw.name {
            Some(n) => {
                if let Some(why) = folder_name_problem(n.get_ref()) {
                    self.problem(n, "name", why);
                }
                n.get_ref().clone()
            }
            None => name_from_file(default_name),
        };
        let seed = self.int(&raw.seed, "seed", 0, i64::MAX, 0) as u64;
        let replications =
            self.int(&raw.replications, "replications", 1, MAX_REPLICATIONS, 10) as u32;
        let horizon = match &raw.horizon {
            Some(h) => self.positive_duration(h, "horizon"),
            None => 3_600 * NANOS_PER_SEC,
        };
        // Checks against the horizon are skipped when it is itself wrong,
        // so one mistake gives one message.
        let horizon_for_checks = if horizon == 0 { u64::MAX } else { horizon };
        let workload = self.workload(&raw.workload, horizon_for_checks, horizon);
        let limiter = self.limiter(&raw.limiter, "limiter");
        let network_one_way = match &raw.network.one_way {
            Some(v) => self.duration_dist(v, "network.one_way"),
            None => Dist::Constant(0.0),
        };
        let server = self.server(&raw.server, "server", horizon_for_checks);
        let client_timeout = match &raw.client.timeout {
            Some(t) => Some(self.positive_duration(t, "client.timeout")),
            None => Some(600 * NANOS_PER_SEC),
        };
        let client_processing = self.client_processing(&raw.client);
        let pricing = self.pricing(&raw.pricing, "pricing");
        let primary_name = pricing
            .model
            .clone()
            .unwrap_or_else(|| "primary".to_string());
        let models = self.models(&raw.model, &primary_name, &server, horizon_for_checks);
        let report = ReportConfig {
            bucket: raw.report.bucket.as_ref().map_or(NANOS_PER_SEC, |b| {
                self.positive_duration(b, "report.bucket")
            }),
            peak_window: raw.report.peak_window.as_ref().map_or(NANOS_PER_SEC, |b| {
                self.positive_duration(b, "report.peak_window")
            }),
            recovery: raw
                .report
                .recovery
                .as_ref()
                .and_then(|r| self.recovery(r, &workload, &server, horizon)),
        };
        if horizon > 0 && report.bucket > 0 && horizon.div_ceil(report.bucket) > MAX_BUCKETS {
            let msg = format!(
                "horizon / bucket makes {} time-series buckets; at most {MAX_BUCKETS} are supported: use a wider bucket",
                horizon.div_ceil(report.bucket)
            );
            match &raw.report.bucket {
                Some(b) => self.conflict_at(b, "report.bucket", msg),
                None => self.conflict(raw.horizon.as_ref().map(|h| h.span()), "report.bucket", msg),
            }
        }
        // Once, not per model: a trace's rows can number millions.
        let costs = Self::largest_costs(&workload);
        self.check_token_costs(costs, &limiter, &raw.limiter, "limiter");
        for (i, (m, raw_m)) in models.iter().zip(&raw.model).enumerate() {
            let prefix = format!("model[{i}].limiter");
            self.check_token_costs(costs, &m.limiter, &raw_m.get_ref().limiter, &prefix);
        }
        if raw.strategy.is_empty() {
            // Depends on nothing else: never held back.
            self.problems.push(Problem::unlocated(
                None,
                "strategy",
                "no [[strategy]] table: add at least one strategy to compare",
            ));
        }
        let model_names = ModelNames::new(
            std::iter::once(primary_name.as_str())
                .chain(models.iter().map(|m| m.name.as_str()))
                .collect(),
        );
        let mut strategies: Vec<Strategy> = Vec::new();
        let mut strategy_seen: HashSet<String> = HashSet::new();
        for (i, s) in raw.strategy.iter().enumerate() {
            let st = self.strategy(s, i, &model_names);
            if !strategy_seen.insert(st.name.clone()) {
                let at = s.get_ref().name.as_ref().map_or(s.span(), |n| n.span());
                self.conflict(
                    Some(at),
                    &format!("strategy[{i}].name"),
                    format!(
                        "another strategy is already named \"{}\"; names must be unique",
                        st.name
                    ),
                );
            }
            strategies.push(st);
        }
        Scenario {
            name,
            description: raw.description.clone().unwrap_or_default(),
            seed,
            replications,
            horizon,
            workload,
            limiter,
            network_one_way,
            server,
            client_timeout,
            client_processing,
            pricing,
            report,
            strategies,
            models,
            sweep: None,
            tune: None,
        }
    }

    /// `[report.recovery]`: needs an open-loop (Poisson) workload, whose
    /// rate the goodput is compared with; `after` defaults to the end of
    /// the last capacity cut or outage of the server.
    fn recovery(
        &mut self,
        r: &Spanned<RawRecovery>,
        workload: &Workload,
        server: &ServerConfig,
        horizon: SimDuration,
    ) -> Option<Recovery> {
        let raw = r.get_ref();
        let key = |k: &str| format!("report.recovery.{k}");
        let WorkloadKind::Poisson {
            rate_per_s,
            duration,
        } = workload.kind
        else {
            self.conflict_at(
                r,
                "report.recovery",
                "needs workload.kind = \"poisson\": the goodput is compared with its arrival rate",
            );
            return None;
        };
        let trigger_end = server
            .capacity_cuts
            .iter()
            .map(|w| w.start.saturating_add(w.duration))
            .chain(
                server
                    .outages
                    .iter()
                    .map(|o| o.start.saturating_add(o.duration)),
            )
            .max();
        let after = match (&raw.after, trigger_end) {
            (Some(a), _) => self.duration(a, &key("after")),
            (None, Some(end)) => end,
            (None, None) => {
                self.conflict_at(
                    r,
                    &key("after"),
                    "missing: give the time from which to judge recovery (by default the end of the last capacity cut or outage, and the server has none)",
                );
                return None;
            }
        };
        let within = self.opt_positive_duration(&raw.within, &key("within"), 60 * NANOS_PER_SEC);
        let window = self.opt_positive_duration(&raw.window, &key("window"), 10 * NANOS_PER_SEC);
        let goodput = match &raw.goodput {
            Some(_) => self.number(&raw.goodput, &key("goodput"), (0.0, true), 1.0, 0.9),
            None => 0.9,
        };
        let rec = Recovery {
            after,
            within,
            window,
            goodput,
            rate_per_s,
        };
        let (_, to) = rec.span();
        if to > horizon {
            self.conflict_at(
                r,
                "report.recovery",
                format!(
                    "judges goodput up to after + within = {}, past the horizon {}",
                    crate::time::format_duration(to),
                    crate::time::format_duration(horizon)
                ),
            );
        }
        if to > duration && to <= horizon {
            self.conflict_at(
                r,
                "report.recovery",
                format!(
                    "judges goodput up to after + within = {}, after the workload stops sending at {}: the goodput would fall short however well the system recovered",
                    crate::time::format_duration(to),
                    crate::time::format_duration(duration)
                ),
            );
        }
        if window > within {
            self.conflict_at(
                r,
                &key("window"),
                format!(
                    "must be at most within ({}), not {}: the goodput is measured at the end of the recovery time",
                    format_duration(within),
                    format_duration(window)
                ),
            );
        }
        Some(rec)
    }
}

/// What the tests of every section share: a strategy to make a scenario
/// complete, and the outcome of parsing a small text.
#[cfg(test)]
mod test_support {
    use crate::scenario::Scenario;

    /// The smallest strategy table, for texts about other sections.
    pub(super) const STRATEGY: &str = "[[strategy]]\nname = \"a\"\nbackoff = { kind = \"none\" }\n";

    /// `src` parsed; panics with the problems if it is refused.
    pub(super) fn resolved(src: &str) -> Scenario {
        crate::scenario::parse(src, "t.toml", "t").unwrap_or_else(|e| panic!("{e}"))
    }

    /// The problems of `src` as (line, key, message), in report order;
    /// panics if it is accepted.
    pub(super) fn problems(src: &str) -> Vec<(usize, String, String)> {
        match crate::scenario::parse(src, "t.toml", "t") {
            Ok(_) => panic!("accepted:\n{src}"),
            Err(e) => e
                .problems
                .into_iter()
                .map(|p| (p.line, p.key, p.message))
                .collect(),
        }
    }

    /// The one problem of `src`, as (line, key, message).
    pub(super) fn problem(src: &str) -> (usize, String, String) {
        let mut found = problems(src);
        assert_eq!(found.len(), 1, "{found:?}");
        found.remove(0)
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{STRATEGY, problem, problems, resolved};
    use crate::time::NANOS_PER_SEC;

    #[test]
    fn run_settings_take_their_values_or_defaults() {
        let s = resolved(&format!(
            "name = \"herd\"\nseed = 42\nreplications = 3\nhorizon = \"2m\"\n[client]\ntimeout = \"30s\"\n{STRATEGY}"
        ));
        assert_eq!((s.name.as_str(), s.seed, s.replications), ("herd", 42, 3));
        assert_eq!(s.horizon, 120 * NANOS_PER_SEC);
        assert_eq!(s.client_timeout, Some(30 * NANOS_PER_SEC));
        // Report resolution defaults to one second for both.
        assert_eq!(
            (s.report.bucket, s.report.peak_window),
            (NANOS_PER_SEC, NANOS_PER_SEC)
        );
        assert_eq!((s.sweep.is_none(), s.tune.is_none()), (true, true));
    }

    #[test]
    fn out_of_range_whole_numbers_and_zero_durations_are_named_at_their_line() {
        let found = problems(&format!(
            "seed = -1\nreplications = 0\nhorizon = \"0s\"\n{STRATEGY}"
        ));
        assert_eq!(
            found,
            [
                (
                    1,
                    "seed".to_string(),
                    format!("must be a whole number from 0 to {}, not -1", i64::MAX)
                ),
                (
                    2,
                    "replications".to_string(),
                    "must be a whole number from 1 to 1000000, not 0".to_string()
                ),
                (
                    3,
                    "horizon".to_string(),
                    "must be longer than 0s, not \"0s\"".to_string()
                ),
            ]
        );
    }

    #[test]
    fn a_bucket_too_narrow_for_the_horizon_is_refused() {
        // 1h / 1ms = 3,600,000 buckets, past the 1,000,000 supported.
        let (line, key, message) = problem(&format!(
            "horizon = \"1h\"\n[report]\nbucket = \"1ms\"\n{STRATEGY}"
        ));
        assert_eq!((line, key.as_str()), (3, "report.bucket"));
        assert_eq!(
            message,
            "horizon / bucket makes 3600000 time-series buckets; at most 1000000 are supported: use a wider bucket"
        );
    }

    #[test]
    fn recovery_is_judged_after_the_last_outage_by_default() {
        // The outage ends at 1m + 2m = 3m; judged over the 10s window that
        // ends `within` (60s) later: [3m50s, 4m).
        let s = resolved(&format!(
            "horizon = \"10m\"\n[workload]\nkind = \"poisson\"\nrate_per_s = 20\n\
             [[server.outages]]\nstart = \"1m\"\nduration = \"2m\"\n\
             [report.recovery]\ngoodput = 0.5\n{STRATEGY}"
        ));
        let r = s.report.recovery.expect("a recovery");
        assert_eq!(r.after, 180 * NANOS_PER_SEC);
        assert_eq!(r.span(), (230 * NANOS_PER_SEC, 240 * NANOS_PER_SEC));
        assert_eq!((r.goodput, r.rate_per_s), (0.5, 20.0));
        // 10s at 20 per second, half of it: 100 successes recover.
        assert!(r.recovered(100) && !r.recovered(99));
    }

    #[test]
    fn recovery_needs_an_open_loop_and_a_window_within_its_time() {
        let (line, key, message) =
            problem(&format!("[report.recovery]\nafter = \"1m\"\n{STRATEGY}"));
        assert_eq!((line, key.as_str()), (1, "report.recovery"));
        assert!(
            message.starts_with("needs workload.kind = \"poisson\""),
            "{message}"
        );
        let (line, key, message) = problem(&format!(
            "[workload]\nkind = \"poisson\"\nrate_per_s = 1\n\
             [report.recovery]\nafter = \"1m\"\nwithin = \"5s\"\nwindow = \"10s\"\n{STRATEGY}"
        ));
        // Said at the table: the window is wrong only in relation to within.
        assert_eq!((line, key.as_str()), (4, "report.recovery.window"));
        assert_eq!(
            message,
            "must be at most within (5s), not 10s: the goodput is measured at the end of the recovery time"
        );
    }

    #[test]
    fn strategy_names_must_be_unique_and_one_strategy_given() {
        let (line, key, message) = problem(&format!("{STRATEGY}{STRATEGY}"));
        assert_eq!((line, key.as_str()), (5, "strategy[1].name"));
        assert_eq!(
            message,
            "another strategy is already named \"a\"; names must be unique"
        );
        let (_, key, message) = problem("seed = 1\n");
        assert_eq!(key, "strategy");
        assert_eq!(
            message,
            "no [[strategy]] table: add at least one strategy to compare"
        );
    }
}
