//! What each subcommand does: validate everything first, check where the
//! output goes, then do the long work, so that wrong input never leaves
//! anything half-written.

use crate::cli::{Cli, Command, RunArgs};
use crate::policy::backoff::BACKOFF_KINDS;
use crate::pricing::{MODEL_PRICES, PRICES_CHECKED};
use crate::progress::Progress;
use crate::scenario::{self, Scenario};
use crate::{Error, experiment, report};
use std::io::Write;
use std::path::PathBuf;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Run(args) => run_scenarios(&args),
        Command::Check { scenarios } => load_all(&scenarios).map(|_| ()),
        Command::Plot { dirs, quiet } => {
            // Read every folder before writing anything.
            let reports = dirs
                .iter()
                .map(|d| report::read::read_dir(d))
                .collect::<Result<Vec<_>, _>>()?;
            let drawn = reports
                .iter()
                .map(report::render_visuals)
                .collect::<Result<Vec<_>, _>>()?;
            for (dir, files) in dirs.iter().zip(&drawn) {
                report::write_files(dir, files)?;
                if !quiet {
                    let _ = writeln!(std::io::stderr(), "redrew {}", dir.display());
                }
            }
            Ok(())
        }
        Command::List => {
            print(&list_text());
            Ok(())
        }
    }
}

/// Loads every file, reporting the problems of all of them before failing.
fn load_all(paths: &[PathBuf]) -> Result<Vec<Scenario>, Error> {
    let mut scenarios = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match scenario::load(path) {
            Ok(s) => scenarios.push(s),
            Err(e) => errors.push(e.to_string()),
        }
    }
    if errors.is_empty() {
        Ok(scenarios)
    } else {
        Err(Error::Input(errors.join("\n")))
    }
}

fn run_scenarios(args: &RunArgs) -> Result<(), Error> {
    let mut scenarios = load_all(&args.scenarios)?;
    for s in &mut scenarios {
        if let Some(seed) = args.seed {
            s.seed = seed;
        }
        if let Some(r) = args.replications {
            s.replications = r;
        }
    }
    for (i, a) in scenarios.iter().enumerate() {
        if let Some(j) = scenarios[..i].iter().position(|b| b.name == a.name) {
            return Err(Error::Input(format!(
                "error: {} and {} are both named \"{}\", so their reports would overwrite each other; rename one",
                args.scenarios[j].display(),
                args.scenarios[i].display(),
                a.name
            )));
        }
    }
    report::check_out_dir(&args.out)?;
    let threads = usize::from(args.threads.unwrap_or(0));
    let mut docs = Vec::new();
    for s in &scenarios {
        let runs = s.strategies.len() as u64 * u64::from(s.replications);
        let progress = Progress::new(runs, &s.name, !args.quiet && !args.json);
        let result = experiment::run_with_progress(s, threads, &progress)?;
        let (dir, written) = report::write_report(&args.out, s, &result, !args.no_charts)?;
        if args.json {
            docs.push(report::json::scenario_json(s, &result, &dir));
        } else if !args.quiet {
            // The table shows the numbers as the files hold them.
            print(&report::table::summary_table(s, &written.result));
            let page = dir.join("index.html");
            if !args.no_charts {
                let _ = writeln!(
                    std::io::stderr(),
                    "wrote {} (open {})",
                    dir.display(),
                    page.display()
                );
            } else {
                let _ = writeln!(std::io::stderr(), "wrote {}", dir.display());
            }
        }
    }
    if args.json {
        print(&report::json::document(docs));
    }
    Ok(())
}

/// Prints to stdout; a closed pipe (`backsim list | head`) is not an error.
fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}

/// The text of `backsim list`.
pub fn list_text() -> String {
    let mut s =
        String::from("Backoff schedules ([[strategy]] backoff.kind; n = retry index from 0):\n");
    let w = BACKOFF_KINDS
        .iter()
        .map(|(n, _)| n.len())
        .max()
        .unwrap_or(0);
    for (name, what) in BACKOFF_KINDS {
        s.push_str(&format!("  {name:w$}  {what}\n"));
    }
    s.push_str(&format!(
        "\nModel prices ([pricing] model; USD per million tokens, checked {PRICES_CHECKED}):\n"
    ));
    let w = MODEL_PRICES
        .iter()
        .map(|p| p.model.len())
        .max()
        .unwrap_or(0);
    for p in MODEL_PRICES {
        s.push_str(&format!(
            "  {:w$}  input {:>6.2}  output {:>6.2}  {}\n",
            p.model, p.input_per_mtok, p.output_per_mtok, p.source
        ));
    }
    s
}
