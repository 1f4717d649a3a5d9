//! Command-line arguments (clap derive types only). [`crate::commands`]
//! turns them into work.

use crate::experiment::limits::Cap;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Compare retry strategies against a rate-limited API before you deploy them.
#[derive(Debug, Parser)]
#[command(name = "backsim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// A price table file for `[pricing] model` (the built-in table's
    /// format: `checked` and `[[price]]` tables), instead of the built-in
    /// table; default: $BACKSIM_PRICES if set, else the built-in table.
    #[arg(long, global = true, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// How results and messages are printed; accepted by every command.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// When to colour messages on stderr: auto (a terminal, unless the
    /// NO_COLOR environment variable is set and not empty), always or
    /// never.
    #[arg(long, value_name = "WHEN", global = true, default_value = "auto")]
    pub color: crate::terminal::ColorChoice,
    /// Print the results as one JSON document on stdout instead of text
    /// (run, sweep, merge, tune, check, list, diff; docs/interface.md gives
    /// each command's fields). Other commands print no results and refuse
    /// it.
    #[arg(long, global = true)]
    pub json: bool,
    /// The printed summary of run, sweep, merge and tune: table (aligned
    /// columns, the default), markdown (GitHub tables) or csv (the main
    /// table's columns). Not with --json.
    #[arg(long, value_name = "FORMAT", global = true)]
    pub format: Option<crate::report::run::table::TableFormat>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate every strategy of each scenario, print a summary and write
    /// the report folder <out>/<scenario name>/.
    Run(RunArgs),
    /// Run the grid of a scenario's [sweep] table: every point, strategy
    /// and replication; write summary.csv, sweep.csv and one chart per key
    /// metric to <out>/<scenario name>/.
    Sweep(SweepArgs),
    /// Search a scenario's [tune] space for the retry policy that best
    /// meets its goals (successive halving on common random numbers, then a
    /// confirmation of the winner to the precision target); write tune.csv,
    /// recommended.toml and Pareto charts to <out>/<scenario name>.tune/.
    Tune(TuneArgs),
    /// Combine the partial reports of `backsim sweep --shard K/N` into the
    /// report an unsharded sweep writes, byte for byte.
    Merge(MergeArgs),
    /// Parse and validate scenario files; print nothing but problems.
    Check {
        /// Scenario files (TOML).
        #[arg(required = true, value_name = "SCENARIO")]
        scenarios: Vec<PathBuf>,
    },
    /// Redraw the charts and index.html of report folders from their CSV
    /// files, without simulating again.
    Plot {
        /// Report folders written by `backsim run` or `backsim sweep`
        /// (e.g. reports/thundering-herd), or folders holding them (e.g.
        /// reports): each report below such a folder is redrawn.
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// Print nothing but errors.
        #[arg(short, long)]
        quiet: bool,
        /// Replace chart files in the folder that backsim did not write.
        #[arg(long)]
        force: bool,
    },
    /// Write a commented starter scenario to FILE, from one of the shipped
    /// scenarios (`backsim list` names them).
    New {
        /// The shipped scenario to start from.
        #[arg(short, long, value_name = "NAME", default_value = crate::templates::DEFAULT_TEMPLATE)]
        template: String,
        /// Overwrite FILE if it exists.
        #[arg(long)]
        force: bool,
        /// Print nothing but errors.
        #[arg(short, long)]
        quiet: bool,
        /// The scenario file to write (TOML); its name names the report
        /// folder.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// List backoff schedules, retry guards, client-library presets,
    /// built-in model prices and the templates of `backsim new`.
    List,
    /// Compare two report folders: the changed scenario keys, and per
    /// strategy and metric the change from A to B with its 95% confidence
    /// interval. Reads only.
    Diff(DiffArgs),
    /// Print a shell completion script on stdout (README: Shell
    /// completions).
    Completions {
        /// The shell to complete in.
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on stdout, or with --out write one
    /// page per command (backsim.1, backsim-run.1, ...) into a folder.
    Man {
        /// Folder to write the pages into, instead of printing backsim.1.
        #[arg(short, long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

/// Options shared by `run` and `sweep`.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Folder for reports; each scenario writes <out>/<name>/.
    #[arg(short, long, value_name = "DIR", default_value = "reports")]
    pub out: PathBuf,
    /// Master seed, instead of the scenario's `seed`.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    pub seed: Option<u64>,
    /// Replications per strategy, instead of the scenario's `replications`
    /// (with --precision: the least number).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub replications: Option<u32>,
    /// Add replications until every strategy's success rate has a 95%
    /// confidence interval narrower than ±TARGET (e.g. 0.005 for ±0.5
    /// percentage points), up to --max-replications.
    #[arg(long, value_name = "TARGET", value_parser = parse_precision)]
    pub precision: Option<f64>,
    /// Most replications --precision may run per strategy (and sweep point).
    #[arg(long, value_name = "N", default_value_t = 1000, requires = "precision", value_parser = clap::value_parser!(u32).range(2..=1_000_000))]
    pub max_replications: u32,
    /// Worker threads (default or 0: one per core; at most 1024). Never
    /// changes results.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(0..=1024))]
    pub threads: Option<u16>,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
    /// Write only the data files (CSV, scenario.toml): no charts, no
    /// index.html. `backsim plot` can draw them later.
    #[arg(long)]
    pub no_charts: bool,
    /// Replace what the report folder holds even if it is not a report of
    /// this kind of this scenario file (another command's, another file's,
    /// or files backsim did not write). Never the run's own inputs.
    #[arg(long)]
    pub force: bool,
    /// Most memory backsim may use: bytes with an optional K, M, G or T
    /// (powers of 1000; Ki, Mi, Gi, Ti for powers of 1024), e.g. 512M, 8G,
    /// 1.5T; or off. Default: what the process holds plus the memory
    /// available at the start (Linux: MemAvailable, or the cgroup limit if
    /// tighter). A scenario that certainly needs more is refused before it
    /// runs; one that reaches it while running is stopped.
    #[arg(long, value_name = "SIZE", value_parser = parse_memory_limit)]
    pub max_memory: Option<Cap>,
    /// Most events one run may process (rounded up to a multiple of
    /// 65,536), e.g. 1e9; or off. Default: 10000000000 (minutes of one
    /// core).
    #[arg(long, value_name = "N", value_parser = parse_event_limit)]
    pub max_events: Option<Cap>,
    /// Most events a run's clock may stand still for while requests are
    /// retried before the run is stopped as a livelock: max(N, 64 ×
    /// clients); or off. Default N: 100000000.
    #[arg(long, value_name = "N", value_parser = parse_event_limit)]
    pub max_stall_events: Option<Cap>,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file (TOML) with a [sweep] table.
    #[arg(value_name = "SCENARIO")]
    pub scenario: PathBuf,
    #[command(flatten)]
    pub common: CommonArgs,
    /// Run only shard K of N (1 <= K <= N): every N-th grid point from
    /// point K-1. Writes a partial report to <out>/<name>.shard-K-of-N/
    /// for `backsim merge`.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<(usize, usize)>,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Partial report folders (<name>.shard-K-of-N), or folders holding
    /// them.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Folder for the merged report: <out>/<name>/.
    #[arg(short, long, value_name = "DIR", default_value = "reports")]
    pub out: PathBuf,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
    /// Write only the data files: no charts, no index.html.
    #[arg(long)]
    pub no_charts: bool,
    /// Replace what the report folder holds even if it is not a sweep's
    /// report of the same scenario file.
    #[arg(long)]
    pub force: bool,
}

fn parse_precision(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x > 0.0 && x < 1.0 => Ok(x),
        _ => Err(format!(
            "\"{s}\" is not a half-width between 0 and 1 (e.g. 0.005 for ±0.5 percentage points)"
        )),
    }
}

/// `K/N` with 1 <= K <= N.
pub fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let bad = || format!("\"{s}\" is not K/N with 1 <= K <= N (e.g. 2/8)");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let k: usize = k.trim().parse().map_err(|_| bad())?;
    let n: usize = n.trim().parse().map_err(|_| bad())?;
    if k >= 1 && k <= n && n <= crate::report::sweep::MAX_SHARDS {
        Ok((k, n))
    } else {
        Err(bad())
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files (TOML).
    #[arg(required = true, value_name = "SCENARIO")]
    pub scenarios: Vec<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
    /// Also write requests.csv: one row per request of every run. Memory
    /// then grows with the number of requests (about 90 bytes each) until
    /// the report is written.
    #[arg(long)]
    pub requests: bool,
    /// Print, on stderr, each run's events, simulated and wall seconds and
    /// events per second, the totals, and the process's peak memory.
    #[arg(long)]
    pub stats: bool,
}

#[derive(Debug, Args)]
pub struct TuneArgs {
    /// Scenario file (TOML) with a [tune] table.
    #[arg(value_name = "SCENARIO")]
    pub scenario: PathBuf,
    /// With tune: --replications sets the screening round's replications
    /// (at least 2), --precision and --max-replications the winner's
    /// confirmation, instead of [tune] screen, precision and
    /// max_replications.
    #[command(flatten)]
    pub common: CommonArgs,
    /// Most runs the search may spend, instead of [tune] budget.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub budget: Option<u64>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The report folder to compare from (before), written by `backsim
    /// run`, `sweep` or `merge`.
    #[arg(value_name = "A")]
    pub a: PathBuf,
    /// The report folder to compare to (after), of the same kind.
    #[arg(value_name = "B")]
    pub b: PathBuf,
    /// Exit with 1 if, for some strategy, the change B - A of a metric
    /// satisfies EXPR and is significant (for a metric without a
    /// confidence interval: the change alone), e.g. "success_rate < -0.01"
    /// or, relative to A, "tts_p99_s > +10%". Repeatable.
    #[arg(long = "fail-if", value_name = "EXPR", value_parser = crate::report::diff::Condition::parse)]
    pub fail_if: Vec<crate::report::diff::Condition>,
    /// Show every metric of summary.csv, not only the key ones.
    #[arg(long)]
    pub all: bool,
    /// Print nothing on stdout; the exit code (and, when a --fail-if
    /// condition holds, stderr) still tells.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `off` (any case) as [`Cap::Off`]; otherwise `value` of the trimmed
/// text, which must be at least 1, or the message `bad`.
fn parse_limit(
    s: &str,
    value: impl FnOnce(&str) -> Option<u64>,
    bad: impl FnOnce() -> String,
) -> Result<Cap, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("off") {
        return Ok(Cap::Off);
    }
    match value(t) {
        Some(n) if n >= 1 => Ok(Cap::At(n)),
        _ => Err(bad()),
    }
}

/// Parses `--max-events` and `--max-stall-events`: a whole number from 1
/// (`1000000`, `1_000_000`, `1e9`) or `off`.
pub fn parse_event_limit(s: &str) -> Result<Cap, String> {
    let events = |t: &str| {
        let digits = t.replace('_', "");
        digits.parse::<u64>().ok().or_else(|| {
            let x: f64 = digits.parse().ok()?;
            (x.is_finite() && x.fract() == 0.0 && x >= 0.0 && x < u64::MAX as f64)
                .then_some(x as u64)
        })
    };
    parse_limit(s, events, || {
        format!(
            "\"{s}\" is not a number of events (a whole number from 1, e.g. 1000000 or 1e9) or off"
        )
    })
}

/// Parses `--max-memory`: a number of bytes with an optional suffix, `K`,
/// `M`, `G` or `T` (powers of 1000, with or without a trailing `B`) or
/// `Ki`, `Mi`, `Gi`, `Ti` (powers of 1024, likewise), case-insensitive
/// (`512M`, `8G`, `1.5T`, `4GiB`); or `off`.
pub fn parse_memory_limit(s: &str) -> Result<Cap, String> {
    let bytes = |t: &str| {
        let lower = t.to_ascii_lowercase();
        let unit_start = lower
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(lower.len());
        let (number, unit) = lower.split_at(unit_start);
        let scale: f64 = match unit.strip_suffix('b').unwrap_or(unit) {
            "" => 1.0,
            "k" => 1e3,
            "m" => 1e6,
            "g" => 1e9,
            "t" => 1e12,
            "ki" => 1024.0,
            "mi" => 1024.0 * 1024.0,
            "gi" => 1024.0 * 1024.0 * 1024.0,
            "ti" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
            _ => return None,
        };
        let number = number.trim();
        if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return None;
        }
        let bytes = (number.parse::<f64>().ok()? * scale).round();
        (bytes < u64::MAX as f64).then_some(bytes as u64)
    };
    parse_limit(s, bytes, || {
        format!(
            "\"{s}\" is not a size: a number of bytes with an optional K, M, G or T (powers of 1000; Ki, Mi, Gi, Ti for powers of 1024), e.g. 512M, 8G or 1.5T; or off"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units_and_off() {
        let at = |b: u64| Ok(Cap::At(b));
        assert_eq!(parse_memory_limit("512M"), at(512_000_000));
        assert_eq!(parse_memory_limit("8G"), at(8_000_000_000));
        assert_eq!(parse_memory_limit("1.5T"), at(1_500_000_000_000));
        assert_eq!(parse_memory_limit("1.5t"), at(1_500_000_000_000));
        assert_eq!(parse_memory_limit("4GB"), at(4_000_000_000));
        assert_eq!(parse_memory_limit("4GiB"), at(4 << 30));
        assert_eq!(parse_memory_limit("2ki"), at(2048));
        assert_eq!(parse_memory_limit("1000"), at(1000));
        assert_eq!(parse_memory_limit(" 64k "), at(64_000));
        assert_eq!(parse_memory_limit("off"), Ok(Cap::Off));
        assert_eq!(parse_memory_limit("OFF"), Ok(Cap::Off));
        for bad in [
            "", "G", "-1G", "0", "0.0001", "1X", "1.2.3G", "1e3M", "12 G B", "inf",
        ] {
            let e = parse_memory_limit(bad).unwrap_err();
            assert!(e.contains("is not a size"), "{bad}: {e}");
        }
    }

    #[test]
    fn event_limits_parse() {
        assert_eq!(parse_event_limit("1000"), Ok(Cap::At(1000)));
        assert_eq!(parse_event_limit("1_000_000"), Ok(Cap::At(1_000_000)));
        assert_eq!(parse_event_limit("1e9"), Ok(Cap::At(1_000_000_000)));
        assert_eq!(parse_event_limit("off"), Ok(Cap::Off));
        for bad in ["0", "-5", "1.5", "x", "", "1e30"] {
            assert!(parse_event_limit(bad).is_err(), "{bad}");
        }
    }
}
