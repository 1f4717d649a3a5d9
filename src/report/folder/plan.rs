//! What a write may do to a folder, decided before any work: whether the
//! folder is this report's to replace, that no file lands on an input,
//! which files go, and whether the output folder can be written at all;
//! paths resolved lexically for these checks.

use super::manifest::*;
use super::paths::{relative, resolved};
use super::*;
use crate::Error;

use std::fs::{self, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// What writing a report into a folder will do to the files there.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Plan {
    /// Files of the earlier report that the new one does not have, to be
    /// removed once it is in place.
    pub(super) stale: Vec<String>,
    /// The manifest to write after the files: None for a report folder
    /// that has none and gets none (`plot` of an old report).
    pub(super) manifest: Option<Manifest>,
}

/// Decides whether `writer` may write the files `names` into `dir`, and
/// what else changes; refuses (exit code 2) what would replace a report of
/// another kind or scenario file, a file backsim did not write, or an
/// input.
pub(crate) fn plan(dir: &Path, writer: &Writer, names: &[String]) -> Result<Plan, Error> {
    check_inputs(dir, writer, names)?;
    // A folder where a file of the report goes: refused before anything
    // is written, even with --force (backsim never removes a folder).
    if let Some(name) = names
        .iter()
        .map(String::as_str)
        .chain([MANIFEST])
        .find(|n| fs::symlink_metadata(dir.join(n)).is_ok_and(|m| m.is_dir()))
    {
        return Err(Error::Input(format!(
            "{} is a folder where the report writes a file; move it, or give another --out",
            dir.join(name).display()
        )));
    }
    let held = holder(dir)?;
    let present = |name: &str| fs::symlink_metadata(dir.join(name)).is_ok();
    let mut colliding: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .chain([MANIFEST])
        .filter(|n| present(n))
        .collect();
    colliding.dedup();
    let known = &writer.known;
    let manifest = || {
        let mut files: Vec<String> = names.to_vec();
        files.sort();
        files.dedup();
        Manifest {
            version: env!("CARGO_PKG_VERSION").to_string(),
            kind: writer.kind,
            scenario: writer.scenario.clone(),
            file: relative_source(dir, writer),
            files,
        }
    };
    // Only a file (or a link) is ever removed: a folder under the name of
    // an earlier report's file is the user's now.
    let removable = |name: &str| fs::symlink_metadata(dir.join(name)).is_ok_and(|m| !m.is_dir());
    let stale_of = |listed: &mut dyn Iterator<Item = &String>| -> Vec<String> {
        listed
            .filter(|n| known.contains(*n) && *n != MANIFEST && !names.contains(n) && removable(n))
            .cloned()
            .collect()
    };
    match held {
        Holder::Report(old) => {
            let same = writer.kind.replaces(old.kind) && same_source(dir, &old, writer);
            if !same && !writer.force {
                return Err(other_report(dir, &old, writer));
            }
            let unlisted: Vec<&str> = colliding
                .iter()
                .copied()
                .filter(|n| *n != MANIFEST && !old.files.iter().any(|f| f == n))
                .collect();
            if !unlisted.is_empty() && !writer.force {
                return Err(not_written_by_backsim(dir, &unlisted, None));
            }
            let stale = stale_of(&mut old.files.iter());
            check_removals(dir, writer, &stale)?;
            Ok(Plan {
                stale,
                manifest: Some(manifest()),
            })
        }
        Holder::Nobody | Holder::Unreadable(_) => {
            if !colliding.is_empty() && !writer.force {
                let why = match &held {
                    Holder::Unreadable(why) => Some(why.as_str()),
                    _ => None,
                };
                return Err(not_written_by_backsim(dir, &colliding, why));
            }
            // Forced into a folder whose files nobody listed: every file
            // with the name of a report file goes, as a report of its own
            // kind would leave none of another's behind.
            let stale = if writer.force {
                stale_of(&mut known.iter())
            } else {
                Vec::new()
            };
            check_removals(dir, writer, &stale)?;
            Ok(Plan {
                stale,
                manifest: Some(manifest()),
            })
        }
    }
}

/// Refuses a report file that would land on an input of the run.
fn check_inputs(dir: &Path, writer: &Writer, names: &[String]) -> Result<(), Error> {
    check_landing(dir, writer, names.iter().map(String::as_str), "replace")
}

/// Refuses removing a stale report file that is an input of the run.
fn check_removals(dir: &Path, writer: &Writer, stale: &[String]) -> Result<(), Error> {
    check_landing(dir, writer, stale.iter().map(String::as_str), "remove")
}

fn check_landing<'a>(
    dir: &Path,
    writer: &Writer,
    names: impl Iterator<Item = &'a str>,
    verb: &str,
) -> Result<(), Error> {
    if writer.inputs.is_empty() {
        return Ok(());
    }
    let inputs: Vec<PathBuf> = writer.inputs.iter().map(|(p, _)| resolved(p)).collect();
    let base = resolved(dir);
    for name in names {
        let target = resolved(&base.join(name));
        if let Some(i) = inputs.iter().position(|p| *p == target) {
            let (input, what) = &writer.inputs[i];
            return Err(Error::Input(format!(
                "the report in {} would {verb} {}, {what} this command reads; give another --out (--force does not change this)",
                dir.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

/// The writer's scenario file as the manifest names it: relative to the
/// folder, `/`-separated.
fn relative_source(dir: &Path, writer: &Writer) -> Option<String> {
    let source = writer.source.as_ref()?;
    Some(slashed(&relative(&resolved(dir), &resolved(source))))
}

/// Checks, before any work, that reports can be written under `out`: no
/// part of it is a regular file (wrong input, exit 2), and `out`, or the
/// nearest folder above it that exists, accepts new files (exit 1
/// otherwise, naming that folder and the OS error). The probe is an empty
/// file created there and removed at once; `out` itself is not created.
pub fn check_out_dir(out: &Path) -> Result<(), Error> {
    check_folder_for(
        out,
        &format!("--out {}", out.display()),
        "give a folder for the reports",
        true,
    )
}

/// [`check_out_dir`] for the folder `dir` that `what` goes into (a file to
/// write; or, when `what_is_dir`, the folder itself, such as `--out
/// DIR`): messages name `what` and end with `advice`. A symbolic link to
/// a folder is that folder.
pub fn check_folder_for(
    dir: &Path,
    what: &str,
    advice: &str,
    what_is_dir: bool,
) -> Result<(), Error> {
    /// Looks at a path that changes between two looks before giving up.
    const MAX_LOOKS: u32 = 100;
    let mut path = dir;
    let mut looks = 0;
    loop {
        // A relative `dir` ends its walk up at the current folder.
        let here = if path.as_os_str().is_empty() {
            Path::new(".")
        } else {
            path
        };
        // What stands at `path`, when it is not a folder.
        let named = if what_is_dir && path == dir {
            what.to_string()
        } else {
            format!("{what}: {}", path.display())
        };
        match fs::metadata(here) {
            Ok(m) if m.is_dir() => return probe_writable(here, dir),
            Ok(_) => {
                return Err(Error::Input(format!(
                    "{named} is a file, not a folder; {advice}"
                )));
            }
            Err(e) if e.kind() == ErrorKind::NotFound => match fs::symlink_metadata(here) {
                Ok(m) if m.file_type().is_symlink() && fs::metadata(here).is_err() => {
                    return Err(Error::Input(format!(
                        "{named} is a symbolic link to nothing; {advice}"
                    )));
                }
                // Made between the two looks (another backsim writing
                // here at the same time): look at it again, a few times.
                Ok(_) if looks < MAX_LOOKS => {
                    looks += 1;
                    continue;
                }
                Ok(_) => {
                    return Err(Error::Input(format!(
                        "{named} keeps changing while backsim looks at it; {advice}"
                    )));
                }
                // Missing: the walk goes up.
                Err(_) => {}
            },
            // Missing, or below a file that the walk up meets next.
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {}
            Err(e) => return Err(Error::io(here, e)),
        }
        match path.parent() {
            Some(p) => path = p,
            None => return Ok(()),
        }
    }
}

/// Creates and removes an empty file in `dir`: permission bits, ACLs,
/// read-only mounts and quotas all show in whether that works, which
/// reading the folder's metadata would not tell. `wanted` is the folder
/// the report goes to, `dir` or below it: a failure names both, since
/// what cannot be created is `wanted` (or a file in it).
fn probe_writable(dir: &Path, wanted: &Path) -> Result<(), Error> {
    for n in 0..100 {
        let probe = dir.join(format!(".backsim-probe-{}-{n}", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&probe) {
            Ok(f) => {
                drop(f);
                return fs::remove_file(&probe).map_err(|e| Error::io(&probe, e));
            }
            // Someone else's file: never touch it, try another name.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => {
                let first = wanted
                    .strip_prefix(dir)
                    .ok()
                    .and_then(|rest| rest.components().next())
                    .map(|c| dir.join(c.as_os_str()));
                return Err(Error::Run(match first {
                    Some(first) => format!(
                        "cannot create {}: {} does not accept new files or folders: {e}",
                        first.display(),
                        dir.display()
                    ),
                    None => format!("cannot write files into {}: {e}", dir.display()),
                }));
            }
        }
    }
    // A folder full of such names is writable enough; writing will tell.
    Ok(())
}
