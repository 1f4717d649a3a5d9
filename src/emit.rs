//! What commands print besides their usual text: which commands take
//! `--json` and `--format`, the JSON documents of `check` and `list`,
//! shell completion scripts (`backsim completions`) and manual pages
//! (`backsim man`). Every command's JSON schema is in docs/interface.md.

use crate::cli::{Cli, Command, OutputArgs};
use crate::policy::backoff::BACKOFF_KINDS;
use crate::policy::preset::PRESETS;
use crate::pricing::{MODEL_PRICES, PRICES_CHECKED};
use crate::{Error, diagnostic::ScenarioError};
use clap::CommandFactory;
use serde_json::{Value, json};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The commands that print results, and so take `--json`.
const JSON_COMMANDS: &str = "run, sweep, merge, tune, check, list and diff";

/// The commands that print a summary table, and so take `--format`.
const FORMAT_COMMANDS: &str = "run, sweep, merge and tune";

/// The subcommand's name, as a user types it.
fn name(command: &Command) -> &'static str {
    match command {
        Command::Run(_) => "run",
        Command::Sweep(_) => "sweep",
        Command::Tune(_) => "tune",
        Command::Merge(_) => "merge",
        Command::Check { .. } => "check",
        Command::Plot { .. } => "plot",
        Command::New { .. } => "new",
        Command::List => "list",
        Command::Diff(_) => "diff",
        Command::Completions { .. } => "completions",
        Command::Man { .. } => "man",
    }
}

/// Refuses, before any work (exit code 2), `--json` or `--format` where
/// the command prints nothing they could shape, and the two together.
pub fn check_output(command: &Command, output: &OutputArgs) -> Result<(), Error> {
    let cmd = name(command);
    if output.json && output.format.is_some() {
        return Err(Error::Input(
            "--json and --format both say how to print the results; give one of them".into(),
        ));
    }
    let what = match command {
        Command::New { .. } => "writes a scenario file and prints no results",
        Command::Plot { .. } => "redraws report folders and prints no results",
        Command::Completions { .. } => "prints a shell script, not results",
        Command::Man { .. } => "prints a manual page, not results",
        _ => "",
    };
    if output.json && !what.is_empty() {
        return Err(Error::Input(format!(
            "`backsim {cmd}` {what}, so it has no --json; --json is for {JSON_COMMANDS}"
        )));
    }
    let tabled = matches!(
        command,
        Command::Run(_) | Command::Sweep(_) | Command::Merge(_) | Command::Tune(_)
    );
    if output.format.is_some() && !tabled {
        return Err(Error::Input(format!(
            "`backsim {cmd}` prints no summary table, so it has no --format; --format is for {FORMAT_COMMANDS}{}",
            if JSON_COMMANDS.contains(cmd) {
                format!(" (for machine-readable output of `backsim {cmd}`, give --json)")
            } else {
                String::new()
            }
        )));
    }
    Ok(())
}

/// `backsim check --json`: the JSON document of every file's problems
/// on stdout; with problems, the messages on stderr and exit code 2 as
/// without --json.
pub fn check(paths: &[PathBuf]) -> Result<(), Error> {
    let results: Vec<Result<(), Error>> = paths
        .iter()
        .map(|p| crate::scenario::load_within(p, None).map(|_| ()))
        .collect();
    let refs: Vec<Result<(), &Error>> = results.iter().map(|r| r.as_ref().copied()).collect();
    print_bytes(check_json(paths, &refs).as_bytes())?;
    let mut errors: Vec<Error> = results.into_iter().filter_map(Result::err).collect();
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.remove(0)),
        _ => Err(Error::Several(errors)),
    }
}

/// Prints bytes to stdout as they are (a completion script, a manual
/// page, a JSON document already made safe): a closed pipe is not an
/// error, any other failure is (exit code 1).
pub fn print_bytes(bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::Run(format!("cannot write to standard output: {e}")))
        }
        _ => Ok(()),
    }
}

/// `backsim man`: `backsim.1` on stdout, or with `--out DIR` every page
/// written into DIR and a line on stderr saying so.
pub fn man(out: Option<&Path>) -> Result<(), Error> {
    let Some(dir) = out else {
        return print_bytes(&man_pages()?[0].1);
    };
    let names = write_man_pages(dir)?;
    let line = format!(
        "wrote {} manual pages to {} (read one with `man {}`)\n",
        names.len(),
        dir.display(),
        dir.join("backsim.1").display()
    );
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        crate::terminal::safe(&line).as_bytes(),
    );
    Ok(())
}

/// The `check --json` document: every file checked and every problem
/// found, from the result of loading each file.
pub fn check_json(files: &[PathBuf], results: &[Result<(), &Error>]) -> String {
    let mut problems = Vec::new();
    let mut checked = Vec::new();
    for (file, result) in files.iter().zip(results) {
        let shown = file.display().to_string();
        checked.push(json!({ "file": shown, "ok": result.is_ok() }));
        if let Err(e) = result {
            problems_of(&shown, e, &mut problems);
        }
    }
    document(&json!({
        "ok": results.iter().all(Result::is_ok),
        "files": checked,
        "problems": problems,
    }))
}

/// The problems of one file's error as JSON objects.
fn problems_of(file: &str, e: &Error, out: &mut Vec<Value>) {
    match e {
        Error::Scenario(ScenarioError { file, problems }) => {
            for p in problems {
                let (message, help) = split_help(&p.message);
                out.push(json!({
                    "file": file,
                    "line": p.line,
                    "column": p.column,
                    "key": (!p.key.is_empty()).then_some(&p.key),
                    "message": message,
                    "help": help,
                }));
            }
        }
        Error::Several(errors) => errors.iter().for_each(|e| problems_of(file, e, out)),
        other => {
            let text = other.to_string();
            let text = text.strip_prefix("error: ").unwrap_or(&text);
            out.push(json!({
                "file": file,
                "line": null,
                "column": null,
                "key": null,
                "message": text,
                "help": null,
            }));
        }
    }
}

/// A problem's message split into what is wrong and what would be
/// accepted: at its first `; ` (e.g. `"10" has no unit` and `expected a
/// duration string such as ...`); no help when there is none.
pub fn split_help(message: &str) -> (&str, Option<&str>) {
    match message.split_once("; ") {
        Some((what, help)) => (what, Some(help)),
        None => (message, None),
    }
}

/// `backsim list --json`: what `backsim list` prints, as data.
pub fn list_json() -> String {
    let backoff: Vec<Value> = BACKOFF_KINDS
        .iter()
        .map(|(name, what)| json!({ "name": name, "description": what }))
        .collect();
    let guards: Vec<Value> = crate::policy::guard::list()
        .into_iter()
        .map(|(key, what)| json!({ "key": key, "description": what }))
        .collect();
    let presets: Vec<Value> = PRESETS
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "library": p.library,
                "summary": p.summary,
                "source": p.source,
                "notes": p.notes,
            })
        })
        .collect();
    let models: Vec<Value> = MODEL_PRICES
        .iter()
        .map(|p| {
            json!({
                "model": p.model,
                "input_per_mtok": p.input_per_mtok,
                "output_per_mtok": p.output_per_mtok,
                "source": p.source,
            })
        })
        .collect();
    let templates: Vec<Value> = crate::templates::TEMPLATES
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "description": t.description(),
                "default": t.name == crate::templates::DEFAULT_TEMPLATE,
            })
        })
        .collect();
    document(&json!({
        "backoff": backoff,
        "guards": guards,
        "presets": presets,
        "prices": { "checked": PRICES_CHECKED, "models": models },
        "templates": templates,
    }))
}

/// A JSON document as printed: pretty, one final line feed, control
/// characters escaped ([`crate::terminal::json_safe`]).
pub fn document(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("JSON values serialise");
    s.push('\n');
    crate::terminal::json_safe(&s).into_owned()
}

/// The completion script of `shell` for `backsim`.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "backsim", &mut out);
    out
}

/// Every manual page: `backsim.1` first, then one per command
/// (`backsim-run.1`, ...), each as its file name and roff text.
pub fn man_pages() -> Result<Vec<(OsString, Vec<u8>)>, Error> {
    fn pages(cmd: clap::Command, out: &mut Vec<(OsString, Vec<u8>)>) -> std::io::Result<()> {
        let man = clap_mangen::Man::new(cmd.clone());
        let mut page = Vec::new();
        man.render(&mut page)?;
        out.push((man.get_filename().into(), page));
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            pages(sub.clone(), out)?;
        }
        Ok(())
    }
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    pages(cmd, &mut out).map_err(|e| Error::Run(format!("cannot render the manual page: {e}")))?;
    Ok(out)
}

/// `backsim man --out DIR`: writes every page into `dir` (created if
/// missing), each atomically.
pub fn write_man_pages(dir: &Path) -> Result<Vec<OsString>, Error> {
    let pages = man_pages()?;
    crate::report::folder::check_folder_for(
        dir,
        &dir.display().to_string(),
        "give a folder for the manual pages",
        true,
    )?;
    crate::report::folder::write_files(dir, &pages)?;
    Ok(pages.into_iter().map(|(n, _)| n).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_is_what_follows_the_first_semicolon() {
        assert_eq!(
            split_help("\"10\" has no unit; expected a duration; e.g. \"1s\""),
            (
                "\"10\" has no unit",
                Some("expected a duration; e.g. \"1s\"")
            )
        );
        assert_eq!(
            split_help("must be at least 1"),
            ("must be at least 1", None)
        );
    }
}
