//! Scenario files: the TOML schema, defaults, validation with positions,
//! and the resolved form written next to every report.
//!
//! [`parse`] turns the text of a file into a validated [`Scenario`] or a
//! [`ScenarioError`] that lists every problem with its line, column and key.
//! [`Scenario::to_toml`] writes the scenario back with every default filled
//! in; parsing that text gives the same scenario again.

pub(crate) mod raw;
mod recover;
mod resolve;
mod resolved;
pub mod schema;
pub mod sweep;
pub mod trace;
pub mod tune;

pub use crate::diagnostic::{Problem, ScenarioError, show_number, unknown_name};
pub use resolve::MAX_NAME_BYTES;
pub use resolved::TRACE_COPY;
pub use trace::TraceCache;

// Configuration of the provider's parts, read from the scenario file.
pub use crate::model::limiter::LimiterConfig;
pub use crate::model::server::{CapacityCut, ErrorRates, Latency, Outage, ServerConfig};
pub use crate::model::workload::{MAX_TOKENS_PER_REQUEST, TraceRow, Workload, WorkloadKind};

use crate::model::dist::Dist;
use crate::policy::Strategy;
use crate::pricing::Pricing;
use crate::time::SimDuration;

/// Most attempts a strategy may make per request (`max_attempts`).
pub const MAX_ATTEMPTS: u32 = 1_000_000;

/// Most `[[strategy]]` tables a scenario may have: every one is run and
/// drawn, and each takes a few kilobytes to validate however little text
/// it has (`strategy = [{}, {}, …]`).
pub const MAX_STRATEGIES: usize = 10_000;

/// Most `[[model]]` tables (models are indexed by a byte, the main one 0).
pub const MAX_MODELS: usize = 255;

/// A validated scenario: everything a run needs, with defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Names the report folder; letters, digits, `-`, `_` and `.`.
    pub name: String,
    /// One line for humans.
    pub description: String,
    /// Master seed; every random stream derives from it.
    pub seed: u64,
    /// Independent runs per strategy.
    pub replications: u32,
    /// Simulated time after which nothing new happens.
    pub horizon: SimDuration,
    /// Who sends requests, when, and how large they are.
    pub workload: Workload,
    /// The provider's rate limits.
    pub limiter: LimiterConfig,
    /// One-way network delay per hop, in nanoseconds.
    pub network_one_way: Dist,
    /// The provider's servers.
    pub server: ServerConfig,
    /// Per-attempt client timeout (`None`: wait forever).
    pub client_timeout: Option<SimDuration>,
    /// The CPU time clients spend on each answer and timeout they hear
    /// (`None`: none, the policy learns of it at once).
    pub client_processing: Option<ClientProcessing>,
    /// Prices the provider bills at.
    pub pricing: Pricing,
    /// Time-series resolution and the peak-load window.
    pub report: ReportConfig,
    /// The strategies to compare, in file order.
    pub strategies: Vec<Strategy>,
    /// Further models strategies may fall back to (`[[model]]`), each with
    /// its own limits, servers and prices. The main model is the one
    /// `[limiter]`, `[server]` and `[pricing]` describe.
    pub models: Vec<ModelConfig>,
    /// The grid `backsim sweep` runs (`backsim run` runs the scenario as
    /// written, without it).
    pub sweep: Option<sweep::Sweep>,
    /// The goals and search space of `backsim tune` (`backsim run` and
    /// `sweep` leave it out).
    pub tune: Option<Box<tune::Tune>>,
}

impl Scenario {
    /// The main model's name: its `[pricing] model`, or "primary".
    pub fn primary_model(&self) -> &str {
        self.pricing.model.as_deref().unwrap_or("primary")
    }

    /// Every model's name, the main model first (index 0), then
    /// `[[model]]` tables in file order: the index strategies and reports
    /// use.
    pub fn model_names(&self) -> Vec<&str> {
        std::iter::once(self.primary_model())
            .chain(self.models.iter().map(|m| m.name.as_str()))
            .collect()
    }

    /// Whether any model has a price: without one there is no cost to
    /// report.
    pub fn priced(&self) -> bool {
        self.model_prices()
            .iter()
            .any(|p| p.input_per_mtok > 0.0 || p.output_per_mtok > 0.0)
    }

    /// Every model's prices, in [`Scenario::model_names`] order.
    pub fn model_prices(&self) -> Vec<Pricing> {
        std::iter::once(self.pricing.clone())
            .chain(self.models.iter().map(|m| m.pricing.clone()))
            .collect()
    }
}

/// `[client] processing_time` and `processes`: clients share `processes`
/// client processes (client `i` is served by process `i mod processes`),
/// each of which handles the answers and timeouts its clients hear one at
/// a time, in the order they came, taking `time` of CPU for each.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientProcessing {
    /// CPU time per answer or timeout, in nanoseconds.
    pub time: Dist,
    /// Client processes (at least 1).
    pub processes: u32,
}

/// A model a strategy can fall back to: another deployment or provider,
/// with its own rate limits, servers and prices.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelConfig {
    /// How strategies name it (`fallback.model`) and reports list it.
    pub name: String,
    pub pricing: Pricing,
    pub limiter: LimiterConfig,
    pub server: ServerConfig,
}

/// Report resolution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReportConfig {
    /// Width of a `timeseries.csv` bucket.
    pub bucket: SimDuration,
    /// Window over which `peak_load` counts arrivals.
    pub peak_window: SimDuration,
    /// How to tell a run that recovered from one that stayed stuck.
    pub recovery: Option<Recovery>,
}

/// How to tell a run that recovered, a measurement ([`crate::metrics::recovery`]).
pub use crate::metrics::recovery::Recovery;

/// Parses and validates the text of a scenario file. `file` names it in
/// error messages; `default_name` is used when the file has no `name`.
pub fn parse(src: &str, file: &str, default_name: &str) -> Result<Scenario, ScenarioError> {
    parse_in(src, file, default_name, std::path::Path::new("."))
}

/// [`parse`], reading relative file names (traces) from `dir`.
pub fn parse_in(
    src: &str,
    file: &str,
    default_name: &str,
    dir: &std::path::Path,
) -> Result<Scenario, ScenarioError> {
    parse_with(src, file, default_name, &trace::from_dir(dir, None))
}

/// [`parse`], reading trace files through `files`.
pub fn parse_with(
    src: &str,
    file: &str,
    default_name: &str,
    files: trace::FileSource,
) -> Result<Scenario, ScenarioError> {
    parse_cached(src, default_name, files, None).map_err(|problems| ScenarioError {
        file: file.to_string(),
        problems,
    })
}

/// Parses and validates a whole scenario text: the scenario, then its
/// `[sweep]` and `[tune]` once the rest is valid (their points and
/// candidates are scenarios parsed in turn). Trace files are read through
/// `files`, taken from `cache` when it has them (adding those it reads).
/// The problems come in report order.
pub(crate) fn parse_cached(
    src: &str,
    default_name: &str,
    files: trace::FileSource,
    cache: Option<&TraceCache>,
) -> Result<Scenario, Vec<Problem>> {
    let resolve::Body {
        mut scenario,
        mut problems,
        has_sweep,
        has_tune,
    } = resolve::body(src, default_name, files, cache)?;
    if has_sweep && problems.is_empty() {
        scenario.sweep = sweep::parse(src, &scenario, &mut problems, files);
    }
    if has_tune && problems.is_empty() {
        scenario.tune = tune::parse(src, &scenario, &mut problems, files).map(Box::new);
    }
    if problems.is_empty() {
        Ok(scenario)
    } else {
        Err(crate::diagnostic::in_report_order(problems, src))
    }
}

/// Most bytes a scenario file may have: 1 MiB. Scenarios are a few
/// kilobytes (a trace goes in a file of its own); the largest that are
/// plausible, an `empirical` list of a hundred thousand measured sizes or
/// thousands of strategies, fit. Reading stops there, whatever the file
/// says its size is (a FIFO or a device says 0).
pub const MAX_SCENARIO_BYTES: u64 = 1 << 20;

/// Most memory reading a scenario takes per byte of it. Measured (peak
/// resident memory of `backsim check`, less that of an empty scenario) on
/// 1 MiB of each shape of TOML that makes many values of few bytes: 199
/// for an array of inline tables `{a=1}` (the parsed document, and its
/// copy while unknown keys are taken out), 175 for `[1]`, 155 for an
/// `empirical` list, 98 for plain numbers, 80 for `strategy = [{}, …]`
/// (past [`MAX_STRATEGIES`] tables are not read); 2.5 for one long string.
pub const READ_BYTES_PER_BYTE: u64 = 256;

/// Reads, parses and validates a scenario file.
pub fn load(path: &std::path::Path) -> Result<Scenario, crate::Error> {
    load_within(path, None)
}

/// [`load`], taking at most `room` of memory (None: any): a file larger
/// than [`MAX_SCENARIO_BYTES`], or than `room` allows at
/// [`READ_BYTES_PER_BYTE`], is refused before it is parsed (having read
/// one byte more than that), and a trace's rows are read only while they
/// fit in what is left.
pub fn load_within(
    path: &std::path::Path,
    room: Option<&trace::Room>,
) -> Result<Scenario, crate::Error> {
    use std::io::Read;
    let file = path.display().to_string();
    let most = room.map_or(MAX_SCENARIO_BYTES, |r| {
        (r.bytes / READ_BYTES_PER_BYTE).min(MAX_SCENARIO_BYTES)
    });
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(most + 1).read_to_end(&mut bytes))
        .map_err(|e| crate::Error::Input(format!("cannot read {file}: {e}")))?;
    if bytes.len() as u64 > most {
        return Err(crate::Error::Input(match room {
            Some(r) if most < MAX_SCENARIO_BYTES => format!(
                "{file}: more than {most} bytes, the most a scenario file may have within {}: reading one takes up to {READ_BYTES_PER_BYTE} bytes of memory per byte, and {} is left; raise the limit with --max-memory",
                r.limit,
                crate::terminal::format_bytes(r.bytes)
            ),
            _ => format!(
                "{file}: more than {MAX_SCENARIO_BYTES} bytes (1 MiB), the most a scenario file may have; is it a scenario? (a trace goes in a file of its own, named by workload.file)"
            ),
        }));
    }
    let trace_room = room.map(|r| trace::Room {
        bytes: r
            .bytes
            .saturating_sub(READ_BYTES_PER_BYTE * bytes.len() as u64),
        limit: r.limit.clone(),
    });
    let src = String::from_utf8(bytes).map_err(|e| {
        crate::Error::Input(format!(
            "{file}: not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("scenario");
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    parse_with(&src, &file, stem, &trace::from_dir(dir, trace_room)).map_err(crate::Error::Scenario)
}

/// The trace file the scenario file `path` replays (`workload.file` of a
/// trace workload, relative to the scenario's folder unless absolute), or
/// None. For a file [`load`] accepted: the report must never land on it.
pub fn trace_file(path: &std::path::Path) -> Option<std::path::PathBuf> {
    let text = std::fs::read_to_string(path).ok()?;
    let doc: toml::Table = text.parse().ok()?;
    let workload = doc.get("workload")?.as_table()?;
    if workload.get("kind")?.as_str()? != "trace" {
        return None;
    }
    let file = workload.get("file")?.as_str()?;
    Some(
        path.parent()
            .unwrap_or(std::path::Path::new("."))
            .join(file),
    )
}

/// The shipped scenario files, `scenarios/*.toml` and
/// `scenarios/classics/*.toml`, sorted.
#[cfg(test)]
pub(crate) fn shipped_paths() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = [root.clone(), root.join("classics")]
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Vec<(String, String)> {
        shipped_paths()
            .iter()
            .map(|p| (p.display().to_string(), std::fs::read_to_string(p).unwrap()))
            .collect()
    }

    #[test]
    fn resolved_scenarios_parse_back_to_themselves() {
        let files = shipped();
        assert!(files.len() >= 3);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        for (file, src) in files {
            let mut s = parse_in(&src, &file, "x", &dir).unwrap_or_else(|e| panic!("{e}"));
            // A run's resolved scenario leaves any [sweep] out.
            s.sweep = None;
            s.tune = None;
            // The resolved file refers to the copy of a trace kept beside it.
            let copy = |name: &str| match (&s.workload.kind, name) {
                (WorkloadKind::Trace { rows }, TRACE_COPY) => Ok(trace::TraceFile::in_memory(
                    trace::to_csv(rows),
                    name.to_string(),
                )),
                _ => Err(format!("no {name}")),
            };
            let again = parse_with(&s.to_toml(), "resolved.toml", "x", &copy)
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(s, again, "{file}");
            // And resolving is idempotent to the byte.
            assert_eq!(s.to_toml(), again.to_toml());
        }
    }

    #[test]
    fn tables_past_the_most_a_scenario_may_have_are_refused_unread() {
        // 10,001 strategies written inline, one line: the 10,001st is
        // refused, and neither it nor anything after it is validated.
        let strategies: Vec<String> = (0..=MAX_STRATEGIES)
            .map(|i| format!("{{ name = \"s{i}\", backoff = {{ kind = \"none\" }} }}"))
            .collect();
        let src = format!("strategy = [{}]\n", strategies.join(", "));
        let e = parse(&src, "many.toml", "many").unwrap_err();
        assert_eq!(e.problems.len(), 1, "{e}");
        let p = &e.problems[0];
        assert_eq!(
            (p.line, p.key.as_str(), p.message.as_str()),
            (
                1,
                "strategy[10000]",
                "at most 10000 [[strategy]] tables are supported"
            )
        );
        assert_eq!(p.column, src.find("{ name = \"s10000\"").unwrap() + 1);
        // 256 models: the 256th is refused, and a fallback to it is not
        // called unknown.
        let mut src = String::new();
        for i in 0..=MAX_MODELS {
            src.push_str(&format!("[[model]]\nname = \"m{i}\"\n"));
        }
        src.push_str("[[strategy]]\nname = \"a\"\nbackoff = { kind = \"none\" }\nfallback = { model = \"m255\" }\n");
        let e = parse(&src, "models.toml", "models").unwrap_err();
        let found: Vec<(usize, &str)> = e
            .problems
            .iter()
            .map(|p| (p.line, p.key.as_str()))
            .collect();
        assert_eq!(found, [(511, "model[255]")], "{e}");
    }

    #[test]
    fn quantized_request_limits_must_fit_a_request_per_second() {
        let src = "[limiter]\nrequests_per_minute = 30\nquantized = true\n\
                   [[strategy]]\nname = \"a\"\nbackoff = { kind = \"none\" }\n";
        let err = parse(src, "q.toml", "q").unwrap_err().to_string();
        assert!(
            err.contains("limiter.requests_per_minute") && err.contains("at least 60"),
            "{err}"
        );
    }

    #[test]
    fn defaults_are_filled_in() {
        let s = parse(
            "[[strategy]]\nname = \"a\"\nbackoff = { kind = \"none\" }\n",
            "min.toml",
            "min",
        )
        .unwrap();
        assert_eq!(s.name, "min");
        assert_eq!(
            (s.seed, s.replications, s.horizon),
            (0, 10, 3_600 * crate::time::NANOS_PER_SEC)
        );
        assert_eq!(s.workload.clients, 100);
        assert_eq!(s.workload.kind, WorkloadKind::Burst { spread: 0 });
        assert_eq!(s.limiter.requests, None);
        assert_eq!(s.client_timeout, Some(600 * crate::time::NANOS_PER_SEC));
        assert_eq!(s.strategies[0].max_attempts, 5);
        assert_eq!(s.pricing.input_per_mtok, 0.0);
    }

    #[test]
    fn a_per_minute_limit_bursts_one_minute_by_default() {
        let s = parse(
            "[limiter]\nrequests_per_minute = 90\n[[strategy]]\nname = \"a\"\nbackoff = { kind = \"none\" }\n",
            "f.toml",
            "f",
        )
        .unwrap();
        assert_eq!(s.limiter.requests, Some((90.0, 90)));
    }

    #[test]
    fn file_names_become_safe_report_names() {
        let src = "[[strategy]]\nname = \"a\"\nbackoff = { kind = \"none\" }\n";
        assert_eq!(
            parse(src, "f", "my herd (v2)").unwrap().name,
            "my-herd--v2-"
        );
        assert_eq!(parse(src, "f", "..").unwrap().name, "scenario");
        // Windows device names, a name too long for a shard's folder and
        // a final dot are made safe too; and every name made is accepted
        // when written as `name`.
        let long = "x".repeat(300);
        let cut = format!("{}.", "y".repeat(resolve::MAX_NAME_BYTES - 1));
        for (stem, want) in [
            ("aux", "scenario-aux"),
            ("Con.v2", "scenario-Con.v2"),
            ("com1", "scenario-com1"),
            ("console", "console"),
            ("herd.", "herd"),
            (long.as_str(), &long[..resolve::MAX_NAME_BYTES]),
            (&format!("{cut}yz"), &cut[..cut.len() - 1]),
        ] {
            let name = parse(src, "f", stem).unwrap().name;
            assert_eq!(name, want, "{stem}");
            let named = format!("name = \"{name}\"\n{src}");
            assert_eq!(parse(&named, "f", "f").unwrap().name, name);
        }
    }

    #[test]
    fn names_that_cannot_be_a_folder_everywhere_are_refused() {
        let src = "[[strategy]]\nname = \"a\"\nbackoff = { kind = \"none\" }\n";
        let named = |name: &str| {
            let text = format!("name = {}\n{src}", toml::Value::String(name.into()));
            parse(&text, "n.toml", "n").map_err(|e| e.problems[0].message.clone())
        };
        let longest = "a".repeat(resolve::MAX_NAME_BYTES);
        for ok in [
            "herd-2.v1",
            ".hidden",
            "com10",
            "auxiliary",
            "nul-model",
            &longest,
        ] {
            assert!(named(ok).is_ok(), "{ok}: {:?}", named(ok));
        }
        assert_eq!(resolve::MAX_NAME_BYTES, 230);
        for (bad, why) in [
            (
                format!("{longest}a"),
                "must be at most 230 characters (a folder name has at most 255 bytes, and `sweep --shard K/N` adds \".shard-K-of-N\" to it), not 231",
            ),
            (
                "a/b".into(),
                "\"a/b\" cannot name a report folder: '/' is not allowed; use letters, digits, '-', '_' and '.'",
            ),
            ("a\0b".into(), "'\\0' is not allowed"),
            ("".into(), "\"\" cannot name a report folder; use"),
            (".".into(), "it means the output folder itself"),
            ("..".into(), "it means the folder above the output folder"),
            (
                "herd.".into(),
                "\"herd.\" cannot name a report folder: Windows drops a final '.'; end it with a letter, a digit, '-' or '_'",
            ),
            (
                "CON".into(),
                "\"CON\" cannot name a report folder: Windows keeps CON, PRN, AUX, NUL, COM0 to COM9 and LPT0 to LPT9 for devices, in any case and before any '.'; choose another name",
            ),
            ("aux.v2".into(), "Windows keeps CON, PRN, AUX"),
            ("Lpt9".into(), "Windows keeps CON, PRN, AUX"),
        ] {
            let message = named(&bad).unwrap_err();
            assert!(message.contains(why), "{bad:?}: {message}");
        }
    }

    #[test]
    fn values_of_another_type_in_distributions_are_named() {
        let src = "[workload]\nkind = \"closed\"\nthink_time = 1979-05-27\n\
                   [workload.tokens]\ninput = \"800\"\noutput = { dist = \"uniform\", min = true, max = 3 }\n\
                   [network]\none_way = 5\n[server]\nlatency = { dist = \"uniform\", min = 1.5, max = \"2s\" }\n\
                   [[strategy]]\nname = \"a\"\nbackoff = { kind = \"none\" }\n";
        let e = parse(src, "d.toml", "d").unwrap_err();
        let found: Vec<(&str, &str)> = e
            .problems
            .iter()
            .map(|p| (p.key.as_str(), p.message.as_str()))
            .collect();
        let duration = crate::time::DURATION_HELP;
        assert_eq!(
            found,
            [
                (
                    "workload.think_time",
                    &*format!(
                        "invalid type: TOML date `1979-05-27`, expected {duration}, or a table such as {{ dist = \"lognormal\", median = \"800ms\", sigma = 0.5 }}"
                    )
                ),
                (
                    "workload.tokens.input",
                    "invalid type: string \"800\", expected a number, or a table such as { dist = \"lognormal\", median = 800, sigma = 0.6 }"
                ),
                (
                    "workload.tokens.output",
                    "min: invalid type: boolean `true`, expected a number"
                ),
                (
                    "network.one_way",
                    &*format!(
                        "the number 5 has no unit; expected {duration}, or a table such as {{ dist = \"lognormal\", median = \"800ms\", sigma = 0.5 }}"
                    )
                ),
                (
                    "server.latency",
                    &*format!("min: the number 1.5 has no unit; expected {duration}")
                ),
            ]
        );
    }

    #[test]
    fn every_problem_is_reported_at_once_in_file_order() {
        let src = "horizon = \"10\"\nreplications = 0\n[server]\nerror_rate = 1.5\n[[strategy]]\nname = \"a\"\nbackoff = { kind = \"wobbly\" }\n";
        let e = parse(src, "bad.toml", "bad").unwrap_err();
        let keys: Vec<_> = e
            .problems
            .iter()
            .map(|p| (p.line, p.key.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                (1, "horizon"),
                (2, "replications"),
                (4, "server.error_rate"),
                (7, "strategy[0].backoff.kind")
            ]
        );
        let text = e.to_string();
        assert!(
            text.contains(
                "bad.toml:4:14: server.error_rate: must be a probability from 0 to 1, not 1.5"
            ),
            "{text}"
        );
        assert!(
            text.contains("\"full_jitter\""),
            "lists the allowed kinds: {text}"
        );
    }
}
