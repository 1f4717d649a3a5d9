//! Command-line arguments (clap derive types only). [`crate::commands`]
//! turns them into work.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Compare retry strategies against a rate-limited API before you deploy them.
#[derive(Debug, Parser)]
#[command(name = "backsim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate every strategy of each scenario, print a summary and write
    /// the report folder <out>/<scenario name>/.
    Run(RunArgs),
    /// Parse and validate scenario files; print nothing but problems.
    Check {
        /// Scenario files (TOML).
        #[arg(required = true, value_name = "SCENARIO")]
        scenarios: Vec<PathBuf>,
    },
    /// Redraw the charts and index.html of report folders from their CSV
    /// files, without simulating again.
    Plot {
        /// Report folders written by `backsim run` (e.g. reports/thundering-herd).
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// Print nothing but errors.
        #[arg(short, long)]
        quiet: bool,
    },
    /// List backoff schedules and built-in model prices.
    List,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files (TOML).
    #[arg(required = true, value_name = "SCENARIO")]
    pub scenarios: Vec<PathBuf>,
    /// Folder for reports; each scenario writes <out>/<name>/.
    #[arg(short, long, value_name = "DIR", default_value = "reports")]
    pub out: PathBuf,
    /// Master seed, instead of the scenario's `seed`.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    pub seed: Option<u64>,
    /// Replications per strategy, instead of the scenario's `replications`.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub replications: Option<u32>,
    /// Worker threads (default or 0: one per core; at most 1024). Never
    /// changes results.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(0..=1024))]
    pub threads: Option<u16>,
    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
    /// Print the summary as JSON on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Write only the data files (CSV, scenario.toml): no charts, no
    /// index.html. `backsim plot` can draw them later.
    #[arg(long)]
    pub no_charts: bool,
}
