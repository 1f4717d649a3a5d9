//! What each subcommand does: validate everything first, check where the
//! output goes, then do the long work, so that wrong input never leaves
//! anything half-written.

use crate::cli::{
    Cli, Command, CommonArgs, DiffArgs, MergeArgs, OutputArgs, RunArgs, SweepArgs, TuneArgs,
};
use crate::experiment::Precision;
use crate::experiment::estimate::{self, MemoryBudget, Plan};
use crate::experiment::limits::{self, Cap, Limits};
use crate::experiment::watch::Watch;
use crate::machine::resident_memory;
use crate::policy::backoff::BACKOFF_KINDS;
use crate::policy::preset::PRESETS;
use crate::progress::Progress;
use crate::report::folder::{self, Kind, Writer};
use crate::report::run::table::TableFormat;
use crate::report::sweep::ShardInfo;
use crate::scenario::{self, Scenario};
use crate::{Error, experiment, report};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), Error> {
    set_prices(cli.prices.as_deref())?;
    let output = &cli.output;
    crate::emit::check_output(&cli.command, output)?;
    match cli.command {
        Command::Run(args) => run_scenarios(&args, output),
        Command::Sweep(args) => sweep(&args, output),
        Command::Tune(args) => tune(&args, output),
        Command::Merge(args) => merge(&args, output),
        Command::Check { scenarios } if output.json => crate::emit::check(&scenarios),
        Command::Check { scenarios } => load_all(&scenarios, None).map(|_| ()),
        Command::Plot { dirs, quiet, force } => {
            // A folder that holds reports stands for each report below it.
            let mut found = Vec::new();
            for d in &dirs {
                found.extend(report::reports_in(d)?);
            }
            let dirs = found;
            // Read every folder, and check that it can be written, before
            // writing anything; then read each again under its lock, so
            // that a run writing it meanwhile is not mixed with its
            // charts.
            for d in &dirs {
                check_report_dir(d, false)?;
                report::read_any(d)?;
            }
            let known = report::known_file_names();
            let drawable = report::drawable_file_names();
            for dir in &dirs {
                folder::redraw(dir, quiet, force, &known, &drawable, || report::redraw(dir))?;
                note(quiet, &format!("redrew {}", dir.display()));
            }
            Ok(())
        }
        Command::New {
            template,
            force,
            quiet,
            file,
        } => new_scenario(&template, force, quiet, &file),
        Command::List if output.json => print(&crate::emit::list_json()),
        Command::List => print(&list_text()),
        Command::Diff(args) => diff(&args, output.json),
        Command::Completions { shell } => {
            crate::emit::print_bytes(&crate::emit::completions(shell))
        }
        Command::Man { out } => crate::emit::man(out.as_deref()),
    }
}

/// The environment variable naming a price table file, when `--prices`
/// does not.
pub const PRICES_ENV: &str = "BACKSIM_PRICES";

/// Puts the price table in force before anything is read: `--prices`,
/// else `$BACKSIM_PRICES` (unless empty), else the built-in table.
fn set_prices(flag: Option<&Path>) -> Result<(), Error> {
    let env = std::env::var_os(PRICES_ENV).filter(|v| !v.is_empty());
    let Some(path) = flag.map(Path::to_path_buf).or(env.map(PathBuf::from)) else {
        return Ok(());
    };
    let table = crate::pricing::file::load(&path).map_err(|e| match (flag, e) {
        // Say where the name came from when it was not on the command line.
        (None, Error::Input(m)) => Error::Input(format!("{m} (named by {PRICES_ENV})")),
        (_, e) => e,
    })?;
    crate::pricing::set_in_force(table);
    Ok(())
}

/// The table format asked for; the table without --format.
fn table_format(output: &OutputArgs) -> TableFormat {
    output.format.unwrap_or_default()
}

/// `backsim diff`: reads both reports and checks every `--fail-if`
/// before printing anything; exit 1 when a condition holds.
fn diff(args: &DiffArgs, json: bool) -> Result<(), Error> {
    use report::diff;
    let a = diff::read_report(&args.a)?;
    let b = diff::read_report(&args.b)?;
    let d = diff::compare(&a, &b)?;
    let held = diff::check(&d, &args.fail_if)?;
    if json {
        print(&crate::terminal::json_safe(&diff::json(&d, &held)))?;
    } else if !args.quiet {
        let named: Vec<String> = args.fail_if.iter().map(|c| c.metric.clone()).collect();
        print(&diff::text(&d, args.all, &named))?;
    }
    if held.is_empty() {
        Ok(())
    } else {
        Err(Error::Run(diff::held_message(&d, &held)))
    }
}

/// Checks, before any work, that a report folder can be written
/// ([`folder::check_folder_for`]). `under_out`: the folder is
/// `<out>/<name>` (run, sweep, merge), not one given as such (plot).
fn check_report_dir(dir: &Path, under_out: bool) -> Result<(), Error> {
    let advice = if under_out {
        "the report goes there; move it or give another --out"
    } else {
        "give the folder of a report"
    };
    folder::check_folder_for(dir, &dir.display().to_string(), advice, true)
}

/// Checks, before any work, that the report folder `dir` can be written
/// and that `writer` may write `names` there ([`folder::check`]).
fn check_writer(dir: &Path, writer: &Writer, names: &[String]) -> Result<(), Error> {
    check_report_dir(dir, true)?;
    folder::check(dir, writer, names)
}

/// The writer of a report of `kind` of the scenario file `path`: it reads
/// the file and, for a trace replay, the trace.
fn writer(kind: Kind, s: &Scenario, path: &Path, common: &CommonArgs) -> Writer {
    let mut w = report::writer(kind, &s.name, path);
    if let Some(trace) = scenario::trace_file(path) {
        w.inputs.push((trace, "the trace".to_string()));
    }
    w.force = common.force;
    w.quiet = common.quiet;
    w
}

/// `backsim new`: writes the starter of `template` to `file`, atomically;
/// an existing file only with `force`, and never a folder.
fn new_scenario(template: &str, force: bool, quiet: bool, file: &Path) -> Result<(), Error> {
    let t = crate::templates::find(template).map_err(Error::Input)?;
    let target = new_target(file, force)?;
    // The path's own bytes, never a lossy conversion: another name's file
    // must not be the one written.
    let Some(name) = target.file_name() else {
        return Err(Error::Input(format!(
            "{} is not a file name; give the scenario file to write, e.g. my-api.toml",
            file.display()
        )));
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    folder::check_folder_for(
        dir,
        &file.display().to_string(),
        "give a scenario file in a folder",
        false,
    )?;
    folder::write_files(dir, &[(name.to_os_string(), t.starter().into_bytes())])?;
    note(
        quiet,
        &format!(
            "wrote {} from the template {}; check it with `backsim check {0}`, run it with `backsim run {0}`",
            file.display(),
            t.name
        ),
    );
    Ok(())
}

/// The file `backsim new` writes for FILE: FILE itself, or, for a link to
/// a regular file, the file it leads to (the link stays). Only a regular
/// file is ever replaced, and only with `force`; a folder, a device, a
/// FIFO, a socket or a link to nothing is refused (exit code 2).
fn new_target(file: &Path, force: bool) -> Result<PathBuf, Error> {
    let refuse = |what: &str| {
        Error::Input(format!(
            "{} {what}; give the scenario file to write, e.g. my-api.toml",
            file.display()
        ))
    };
    if file.file_name().is_none() || file.as_os_str().as_encoded_bytes().ends_with(b"/") {
        return Err(refuse("is not a file name"));
    }
    let link = match std::fs::symlink_metadata(file) {
        Ok(m) => m.file_type().is_symlink(),
        // Nothing there (or a path below a file, which the folder check
        // names): a new file.
        Err(_) => return Ok(file.to_path_buf()),
    };
    match std::fs::metadata(file) {
        Err(_) if link => Err(refuse("is a symbolic link to nothing")),
        Err(e) => Err(Error::io(file, e)),
        Ok(m) if m.is_dir() => Err(Error::Input(format!(
            "{} is a folder; give the scenario file to write, e.g. {}",
            file.display(),
            file.join("my-api.toml").display()
        ))),
        Ok(m) if !m.is_file() => Err(refuse(
            "is not a regular file (a device, a FIFO or a socket); backsim replaces only regular files",
        )),
        Ok(_) if !force => Err(Error::Input(format!(
            "{} exists; give --force to overwrite it",
            file.display()
        ))),
        Ok(_) if link => std::fs::canonicalize(file).map_err(|e| Error::io(file, e)),
        Ok(_) => Ok(file.to_path_buf()),
    }
}

/// Loads every file, reporting the problems of all of them before failing;
/// within `budget`, each file gets the memory left under it.
fn load_all(paths: &[PathBuf], budget: Option<&MemoryBudget>) -> Result<Vec<Scenario>, Error> {
    let mut scenarios = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match scenario::load_within(path, room(budget).as_ref()) {
            Ok(s) => scenarios.push(s),
            Err(e) => errors.push(e),
        }
    }
    match errors.len() {
        0 => Ok(scenarios),
        1 => Err(errors.remove(0)),
        _ => Err(Error::Several(errors)),
    }
}

/// The memory left under `budget` now, for reading a scenario.
fn room(budget: Option<&MemoryBudget>) -> Option<scenario::trace::Room> {
    budget.map(|b| scenario::trace::Room {
        bytes: b.bytes.saturating_sub(resident_memory().unwrap_or(0)),
        limit: b.describe(),
    })
}

/// Applies the command line's `--seed` and `--replications`.
fn apply_overrides(s: &mut Scenario, common: &CommonArgs) {
    if let Some(seed) = common.seed {
        s.seed = seed;
    }
    if let Some(r) = common.replications {
        s.replications = r;
    }
}

fn precision(common: &CommonArgs) -> Option<Precision> {
    common.precision.map(|target| Precision {
        target,
        max_replications: common.max_replications,
    })
}

/// Writes a line to stderr (unless quiet); a closed stderr is not an error.
fn note(quiet: bool, text: &str) {
    if !quiet {
        note_text(&format!("{text}\n"));
    }
}

/// Writes `text` to stderr, control characters escaped; a stderr that
/// cannot be written (closed, full) is no reason to stop: the report and
/// the exit code still tell.
fn note_text(text: &str) {
    let _ = std::io::stderr().write_all(crate::terminal::safe(text).as_bytes());
}

fn run_scenarios(args: &RunArgs, output: &OutputArgs) -> Result<(), Error> {
    let common = &args.common;
    let (limits, budget) = limits(common);
    let mut scenarios = load_all(&args.scenarios, budget.as_ref())?;
    for s in &mut scenarios {
        apply_overrides(s, common);
    }
    let mut first_named: std::collections::HashMap<&str, usize> = Default::default();
    for (i, a) in scenarios.iter().enumerate() {
        if let Some(&j) = first_named.get(a.name.as_str()) {
            return Err(Error::Input(format!(
                "{} and {} are both named \"{}\", so their reports would overwrite each other; rename one",
                args.scenarios[j].display(),
                args.scenarios[i].display(),
                a.name
            )));
        }
        first_named.insert(&a.name, i);
    }
    folder::check_out_dir(&common.out)?;
    let mut writers: Vec<Writer> = scenarios
        .iter()
        .zip(&args.scenarios)
        .map(|(s, path)| writer(Kind::Run, s, path, common))
        .collect();
    // No report may land on a file any scenario of the command reads.
    let inputs: Vec<(PathBuf, String)> = writers.iter().flat_map(|w| w.inputs.clone()).collect();
    for w in &mut writers {
        w.inputs.clone_from(&inputs);
    }
    for (s, w) in scenarios.iter().zip(&writers) {
        let names = report::run_file_names(s, args.requests, !common.no_charts);
        check_writer(&report::report_dir(&common.out, s), w, &names)?;
    }
    let threads = usize::from(common.threads.unwrap_or(0));
    let in_use = resident_memory().unwrap_or(0);
    for (s, path) in scenarios.iter().zip(&args.scenarios) {
        let file = path.display().to_string();
        estimate::check_events(&file, s, limits.max_events)?;
        if let Some(b) = &budget {
            let plan = plan(threads, args.requests, s.replications, common);
            let estimate = estimate::estimate_run(s, &plan);
            estimate::check_memory(&file, &estimate, in_use, b, plan.threads)?;
        }
    }
    let quiet = common.quiet || output.json;
    let mut docs = Vec::new();
    for ((s, path), writer) in scenarios.iter_mut().zip(&args.scenarios).zip(&writers) {
        if s.sweep.is_some() {
            note(
                quiet,
                &format!(
                    "note: {} has a [sweep]; `backsim run` runs the scenario as written, `backsim sweep` runs the grid",
                    path.display()
                ),
            );
        }
        if s.tune.is_some() {
            note(
                quiet,
                &format!(
                    "note: {} has a [tune]; `backsim run` runs the scenario's strategies, `backsim tune` searches its space",
                    path.display()
                ),
            );
        }
        let runs = s.strategies.len() as u64 * u64::from(s.replications);
        let mut progress = Progress::new(runs, &s.name, !quiet);
        if args.stats {
            progress = progress.with_stats();
        }
        let watch = watch(limits, budget.as_ref());
        let file = path.display().to_string();
        let result = crate::interrupt::simulating(|| {
            experiment::run_limited(
                s,
                &file,
                threads,
                precision(common),
                args.requests,
                &progress,
                &watch,
            )
        })
        .inspect_err(|_| {
            // Runs that stopped (on a limit, or Ctrl-C) have no
            // statistics, but what memory they took is the question.
            if args.stats {
                note_text(&peak_memory_text(peak_memory_bytes()));
            }
        })?;
        if args.stats {
            let (stats, wall) = progress.stats();
            let text = run_stats_text(s, &stats, wall, peak_memory_bytes());
            note_text(&text);
        }
        if let Some(p) = precision(common) {
            // The resolved scenario says how many replications ran, so
            // that running it again reproduces the report.
            let reps = result
                .strategies
                .first()
                .map_or(0, |r| r.summary.replications);
            let met = result.strategies.iter().all(|r| p.met(&r.summary));
            note(
                quiet,
                &if met {
                    format!(
                        "{}: every success rate is within ±{} after {reps} replications",
                        s.name, p.target
                    )
                } else {
                    format!(
                        "{}: ±{} not reached within --max-replications {}: some success rates are wider",
                        s.name, p.target, p.max_replications
                    )
                },
            );
            s.replications = reps;
        }
        let (dir, written) =
            report::write_report(&common.out, s, &result, !common.no_charts, writer, || {
                watch.still_within(&file, s)
            })?;
        if output.json {
            docs.push(report::run::json::scenario_json(s, &result, &dir));
        } else if common.quiet {
        } else if table_format(output) != TableFormat::Table {
            print(&report::run::table::summary_in(
                table_format(output),
                s,
                &written.result,
            ))?;
            note(false, &wrote(&dir, !common.no_charts));
        } else {
            // The table shows the numbers as the files hold them.
            print(&report::run::table::summary_table(s, &written.result))?;
            print(&report::run::findings::text(
                &report::run::findings::of_result(s, &written.result),
            ))?;
            note(false, &wrote(&dir, !common.no_charts));
        }
    }
    if output.json {
        print(&crate::terminal::json_safe(&report::run::json::document(
            docs,
        )))?;
    }
    Ok(())
}

/// The limits `--max-events`, `--max-stall-events` and `--max-memory`
/// set, and where the memory limit came from (None: memory is not
/// watched).
fn limits(common: &CommonArgs) -> (Limits, Option<MemoryBudget>) {
    let budget = MemoryBudget::from_flag(common.max_memory);
    let limits = Limits {
        max_events: Cap::or_default(common.max_events, limits::DEFAULT_MAX_EVENTS),
        stall_events: Cap::or_default(common.max_stall_events, limits::DEFAULT_STALL_EVENTS),
        max_memory: budget.as_ref().map(|b| b.bytes),
    };
    (limits, budget)
}

/// A fresh watch over one scenario's runs.
fn watch(limits: Limits, budget: Option<&MemoryBudget>) -> Watch {
    let w = Watch::new(limits);
    match budget {
        Some(b) => w.with_memory_source(b.describe()),
        None => w,
    }
}

/// What the memory estimate of a scenario with `replications` is for.
fn plan(threads: usize, record_requests: bool, replications: u32, common: &CommonArgs) -> Plan {
    Plan {
        threads: experiment::resolve_threads(threads),
        record_requests,
        replications: experiment::first_batch(replications, precision(common)),
    }
}

/// Refuses a sweep one of whose points certainly needs more events per
/// run or more memory than allowed (exit code 2), naming the point.
fn check_sweep(
    base: &Scenario,
    file: &str,
    dir: &std::path::Path,
    points: &[usize],
    common: &CommonArgs,
    limits: &Limits,
    budget: Option<&MemoryBudget>,
) -> Result<(), Error> {
    let Some(sweep) = base.sweep.as_ref() else {
        return Ok(());
    };
    if limits.max_events.is_none() && budget.is_none() {
        return Ok(());
    }
    let threads = usize::from(common.threads.unwrap_or(0));
    let in_use = resident_memory().unwrap_or(0);
    let files = scenario::trace::from_dir(dir, None);
    let cache = scenario::TraceCache::default();
    // Point by point, so that no more than one is held at a time. A point
    // that cannot be built is reported when its turn comes, as without
    // the check.
    let scenarios = points.iter().filter_map(|&p| {
        let s = scenario::sweep::point_scenario(base, p, file, &files, &cache).ok()?;
        let values = sweep.point_label(p);
        let named = format!("{file}: sweep point {p} ({values})");
        Some(estimate::check_events(&named, &s, limits.max_events).map(|()| (p, values, s)))
    });
    let plan = plan(threads, false, base.replications, common);
    let estimate = estimate::estimate_sweep(scenarios, &plan)?;
    if let Some(b) = budget {
        estimate::check_memory(file, &estimate, in_use, b, plan.threads)?;
    }
    Ok(())
}

/// The `--stats` table: one line per run, then the totals. Events per
/// second per run are per core; the total's are over the whole wall time
/// (all threads).
pub fn run_stats_text(
    s: &Scenario,
    stats: &[crate::progress::RunStat],
    wall_s: f64,
    peak_memory: Option<u64>,
) -> String {
    let mut out = format!(
        "{}: run statistics\n{:<28} {:>5} {:>14} {:>12} {:>10} {:>14}\n",
        s.name, "strategy", "rep", "events", "simulated s", "wall s", "events/s"
    );
    let rate = |events: u64, wall: f64| {
        if wall > 0.0 {
            format!("{:.0}", events as f64 / wall)
        } else {
            "-".to_string()
        }
    };
    for r in stats {
        out.push_str(&format!(
            "{:<28} {:>5} {:>14} {:>12.3} {:>10.3} {:>14}\n",
            s.strategies[r.strategy].name,
            r.replication,
            r.events,
            r.simulated_s,
            r.wall_s,
            rate(r.events, r.wall_s)
        ));
    }
    let events: u64 = stats.iter().map(|r| r.events).sum();
    let busy: f64 = stats.iter().map(|r| r.wall_s).sum();
    let simulated: f64 = stats.iter().map(|r| r.simulated_s).sum();
    out.push_str(&format!(
        "total: {} runs, {events} events, {simulated:.3} simulated s, {wall_s:.3} wall s, {} events/s ({} per core-second)\n",
        stats.len(),
        rate(events, wall_s),
        rate(events, busy)
    ));
    out.push_str(&peak_memory_text(peak_memory));
    out
}

/// The `--stats` line of the process's peak memory.
fn peak_memory_text(peak_memory: Option<u64>) -> String {
    match peak_memory {
        Some(b) => format!("peak memory: {:.1} MB\n", b as f64 / 1e6),
        None => "peak memory: not known on this system\n".to_string(),
    }
}

/// The process's peak resident memory (Linux: VmHWM in /proc/self/status).
fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn wrote(dir: &std::path::Path, charts: bool) -> String {
    if charts {
        format!(
            "wrote {} (open {})",
            dir.display(),
            dir.join("index.html").display()
        )
    } else {
        format!("wrote {}", dir.display())
    }
}

fn sweep(args: &SweepArgs, output: &OutputArgs) -> Result<(), Error> {
    let common = &args.common;
    let file = args.scenario.display().to_string();
    let (limits, budget) = limits(common);
    let mut base = scenario::load_within(&args.scenario, room(budget.as_ref()).as_ref())?;
    scenario::sweep::require(&base, &file)?;
    apply_overrides(&mut base, common);
    folder::check_out_dir(&common.out)?;
    let total = base.sweep.as_ref().map_or(0, |s| s.points());
    let shard = args.shard.map(|(shard, shards)| ShardInfo {
        shard,
        shards,
        precision: common.precision.map(|t| (t, common.max_replications)),
    });
    let (kind, names) = match &shard {
        Some(_) => (Kind::Shard, report::partial_file_names(&base)),
        None => (
            Kind::Sweep,
            report::sweep_file_names(&base, !common.no_charts),
        ),
    };
    let writer = writer(kind, &base, &args.scenario, common);
    check_writer(
        &common.out.join(match &shard {
            Some(info) => info.dir_name(&base.name),
            None => base.name.clone(),
        }),
        &writer,
        &names,
    )?;
    let points: Vec<usize> = match &shard {
        Some(info) => info.points(total),
        None => (0..total).collect(),
    };
    let runs = points.len() as u64 * base.strategies.len() as u64 * u64::from(base.replications);
    let label = match &shard {
        Some(info) => info.dir_name(&base.name),
        None => base.name.clone(),
    };
    let threads = usize::from(common.threads.unwrap_or(0));
    let dir = args.scenario.parent().unwrap_or(std::path::Path::new("."));
    check_sweep(&base, &file, dir, &points, common, &limits, budget.as_ref())?;
    let progress = Progress::new(runs, &label, !common.quiet && !output.json);
    let watch = watch(limits, budget.as_ref());
    let results = crate::interrupt::simulating(|| {
        experiment::run_sweep(
            &base,
            &file,
            dir,
            &points,
            threads,
            precision(common),
            &progress,
            &watch,
        )
    })?;
    let rows: Vec<_> = results
        .iter()
        .map(|p| report::sweep::point_rows(&base, p, common.precision))
        .collect();
    if let Some(p) = precision(common) {
        let short: Vec<String> = results
            .iter()
            .filter(|r| !r.strategies.iter().all(|s| p.met(s)))
            .map(|r| r.point.to_string())
            .collect();
        let reps: Vec<u32> = results
            .iter()
            .filter_map(|r| r.strategies.first().map(|s| s.replications))
            .collect();
        let (lo, hi) = (
            reps.iter().min().copied().unwrap_or(0),
            reps.iter().max().copied().unwrap_or(0),
        );
        note(
            common.quiet,
            &if short.is_empty() {
                format!(
                    "{label}: every success rate is within ±{} ({lo} to {hi} replications per point)",
                    p.target
                )
            } else {
                format!(
                    "{label}: ±{} not reached within --max-replications {} at point{} {}",
                    p.target,
                    p.max_replications,
                    if short.len() == 1 { "" } else { "s" },
                    short.join(", ")
                )
            },
        );
    }
    if let Some(info) = shard {
        let dir = common.out.join(info.dir_name(&base.name));
        report::write_partial(&dir, &base, &rows, &info, &writer)?;
        note(
            common.quiet,
            &format!(
                "wrote {} (shard {} of {}: {} of {total} points); combine all shards with `backsim merge`",
                dir.display(),
                info.shard,
                info.shards,
                points.len()
            ),
        );
        return Ok(());
    }
    let (dir, data) = report::write_sweep_report(
        &common.out,
        &base,
        &rows,
        !common.no_charts,
        &writer,
        || watch.still_within(&file, &base),
    )?;
    print_sweep(&data, &dir, output, common.quiet, !common.no_charts)
}

/// What `sweep` and `merge` print once the report is written: the JSON
/// document, or the table in its format (with the findings when a plain
/// table), and where the report went.
fn print_sweep(
    data: &report::sweep::SweepData,
    dir: &Path,
    output: &OutputArgs,
    quiet: bool,
    charts: bool,
) -> Result<(), Error> {
    if output.json {
        return print(&crate::emit::document(&report::sweep::json::document(
            data, dir,
        )));
    }
    if quiet {
        return Ok(());
    }
    let format = table_format(output);
    print(&report::sweep::table::sweep_table_in(format, data))?;
    if format == TableFormat::Table {
        print(&report::run::findings::text(
            &report::sweep::findings::of_sweep(data),
        ))?;
    }
    note(false, &wrote(dir, charts));
    Ok(())
}

fn merge(args: &MergeArgs, output: &OutputArgs) -> Result<(), Error> {
    let mut dirs = Vec::new();
    for d in &args.dirs {
        if d.join(report::sweep::SHARD_FILE).is_file() {
            dirs.push(d.clone());
            continue;
        }
        // A folder holding shard folders.
        let mut inner: Vec<PathBuf> = std::fs::read_dir(d)
            .map_err(|e| Error::Input(format!("cannot read {}: {e}", d.display())))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join(report::sweep::SHARD_FILE).is_file())
            .collect();
        if inner.is_empty() {
            return Err(Error::Input(format!(
                "{} is not a partial report (no {}) and holds none; give the folders `backsim sweep --shard K/N` wrote",
                d.display(),
                report::sweep::SHARD_FILE
            )));
        }
        inner.sort();
        dirs.extend(inner);
    }
    let partials = dirs
        .iter()
        .map(|d| report::sweep::read_partial(d))
        .collect::<Result<Vec<_>, _>>()?;
    // The merged report is of the scenario file the shards were run from.
    let source = dirs.iter().find_map(|d| folder::recorded_source(d));
    let (base, rows) = report::sweep::merge(partials)?;
    folder::check_out_dir(&args.out)?;
    let writer = Writer {
        kind: Kind::Merge,
        scenario: base.name.clone(),
        source,
        inputs: Vec::new(),
        force: args.force,
        quiet: args.quiet,
        known: report::known_file_names(),
    };
    let dir = report::report_dir(&args.out, &base);
    check_writer(
        &dir,
        &writer,
        &report::sweep_file_names(&base, !args.no_charts),
    )?;
    let (dir, data) =
        report::write_sweep_report(&args.out, &base, &rows, !args.no_charts, &writer, || Ok(()))?;
    print_sweep(&data, &dir, output, args.quiet, !args.no_charts)
}

/// Prints to stdout. A closed pipe (`backsim list | head`) is not an
/// error: the reader has what it wanted. Any other failure (a full disk
/// under `> file`) is, with exit code 1.
fn print(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    let text = crate::terminal::safe(text);
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::Run(format!("cannot write to standard output: {e}")))
        }
        _ => Ok(()),
    }
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
    s.push_str("\nGuards ([[strategy]] keys; combine with any schedule; kind = \"none\" drops a preset's):\n");
    let guards = crate::policy::guard::list();
    let w = guards.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, what) in guards {
        s.push_str(&format!("  {key:w$}  {what}\n"));
    }
    s.push_str("\nClient-library presets ([[strategy]] preset = \"...\"; other keys override):\n");
    for p in PRESETS {
        s.push_str(&format!(
            "  {}\n    {}\n    {}\n    source: {}\n    note: {}\n",
            p.name, p.library, p.summary, p.source, p.notes
        ));
    }
    let table = crate::pricing::in_force();
    s.push_str(&format!(
        "\nModel prices ([pricing] model; USD per million tokens; {}):\n",
        table.describe()
    ));
    let w = table
        .prices
        .iter()
        .map(|p| p.model.chars().count())
        .max()
        .unwrap_or(0);
    for p in &table.prices {
        let line = format!(
            "  {:w$}  input {:>6.2}  output {:>6.2}  {}",
            p.model, p.input_per_mtok, p.output_per_mtok, p.source
        );
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s.push_str(&format!(
        "\nTemplates (backsim new [--template NAME] FILE; default {}):\n",
        crate::templates::DEFAULT_TEMPLATE
    ));
    let w = crate::templates::TEMPLATES
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(0);
    for t in &crate::templates::TEMPLATES {
        s.push_str(&format!("  {:w$}  {}\n", t.name, t.description()));
    }
    s
}

/// `backsim tune`: searches the scenario's `[tune]` space and writes
/// `<out>/<name>.tune/`.
fn tune(args: &TuneArgs, output: &OutputArgs) -> Result<(), Error> {
    use crate::experiment::tune::{self as tuning, search};
    use crate::report::tune::output;
    let common = &args.common;
    let (args_json, format) = (output.json, table_format(output));
    let file = args.scenario.display().to_string();
    let (limits, budget) = limits(common);
    let mut base = scenario::load_within(&args.scenario, room(budget.as_ref()).as_ref())?;
    let Some(mut spec) = base.tune.take() else {
        return Err(Error::Input(format!(
            "{file} has no [tune] table; add one with goals and a [tune.space] (README: backsim tune)"
        )));
    };
    apply_overrides(&mut base, common);
    base.sweep = None;
    if let Some(r) = common.replications {
        if r < 2 {
            return Err(Error::Input(
                "--replications for tune is the screening round's, at least 2 (a confidence interval needs two)".into(),
            ));
        }
        spec.screen = r;
    }
    if let Some(p) = common.precision {
        spec.precision = p;
        spec.max_replications = common.max_replications;
    }
    if let Some(b) = args.budget {
        spec.budget = Some(b);
    }
    folder::check_out_dir(&common.out)?;
    let dir = common.out.join(output::dir_name(&base.name));
    let writer = writer(Kind::Tune, &base, &args.scenario, common);
    check_writer(&dir, &writer, &output::file_names(!common.no_charts))?;
    let scenario_dir = args.scenario.parent().unwrap_or(Path::new("."));
    let (candidates, skipped) = tuning::candidates(&base, &spec, &file, scenario_dir)?;
    let screening = candidates.len() as u64 * u64::from(spec.screen);
    if let Some(b) = spec.budget
        && b < screening
    {
        return Err(Error::Input(format!(
            "{file}: the screening round alone needs {screening} runs ({} candidates × {} replications), more than the budget of {b}; raise [tune] budget (or --budget), or give fewer values in [tune.space]",
            candidates.len(),
            spec.screen
        )));
    }
    // Resource guards: every candidate's runs, as `run` would check them.
    let mut all = base.clone();
    all.strategies = candidates.iter().map(|c| c.strategy.clone()).collect();
    estimate::check_events(&file, &all, limits.max_events)?;
    let threads = usize::from(common.threads.unwrap_or(0));
    if let Some(b) = &budget {
        let plan = plan(threads, false, spec.screen, common);
        let estimate = estimate::estimate_run(&all, &plan);
        estimate::check_memory(
            &file,
            &estimate,
            resident_memory().unwrap_or(0),
            b,
            plan.threads,
        )?;
    }
    drop(all);
    let quiet = common.quiet || output.json;
    let progress = Progress::new(0, &format!("{} tune", base.name), !quiet);
    let watch = watch(limits, budget.as_ref());
    let pool = experiment::pool(threads, screening as usize)?;
    let outcome = crate::interrupt::simulating(|| {
        pool.install(|| search::search(&base, &spec, candidates, &progress, &watch))
    });
    progress.finish();
    crate::interrupt::check()?;
    let outcome = outcome.map_err(|s| experiment::stopped_error(&file, &watch, &s))?;
    let findings = tuning::findings(&base, &spec, &outcome);
    let tuned = output::Tuned {
        base: &base,
        tune: &spec,
        outcome: &outcome,
        findings: &findings,
        skipped: &skipped,
    };
    let files = output::files(&tuned, !common.no_charts)?;
    watch.still_within(&file, &base)?;
    folder::write(&dir, &writer, &files)?;
    if args_json {
        print(&crate::terminal::json_safe(&output::json(&tuned, &dir)))?;
    } else if !common.quiet {
        print(&output::text_in(format, &tuned))?;
        note(false, &format!("wrote {}", dir.display()));
    }
    Ok(())
}
