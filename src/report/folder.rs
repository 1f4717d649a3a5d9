//! The report folder on disk: where it may go, who owns it, and how it is
//! written.
//!
//! - **Ownership.** Every report folder holds [`MANIFEST`] (`report.toml`),
//!   which records what wrote it: the [`Kind`] of report, the scenario's
//!   name, the scenario file (relative to the folder) and every file of the
//!   report. backsim replaces or removes only the files a manifest lists,
//!   and only for a report of the same kind of the same scenario file;
//!   anything else (a report of another kind or of another scenario file,
//!   a file backsim did not write) needs `--force` ([`Writer::force`]), and
//!   without it is refused with exit code 2 before any work. Files that are
//!   not the report's are never touched.
//! - **Inputs are never written.** A report file that would land on a file
//!   the command reads (the scenario file, its trace), whatever path
//!   spelling leads there (links, `..`), is refused, even with `--force`.
//! - **One writer at a time.** Writing takes an advisory lock on the file
//!   [`LOCK`] in the folder ([`std::fs::File::lock`]: `flock` on Unix), so
//!   that two backsim processes writing one folder take turns and the
//!   folder ends as exactly one report; the second waits (saying so) and
//!   then decides afresh whether it may replace what the first wrote. The
//!   lock file is removed when the write ends.
//! - **All or nothing.** Every file goes to a temporary name in the folder
//!   (`.NAME.tmp-PID`) and is flushed to disk; only when all of them are
//!   there are they renamed over their final names. On a failure the
//!   temporary files, and the folders created for the report, are removed.
//!   Temporary files a killed backsim left are removed by the next write
//!   into the folder (only backsim's own names).

use crate::Error;
use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Component, Path, PathBuf};

/// A file of a report: its name in the report folder and its bytes.
pub type ReportFile = (String, Vec<u8>);

/// The manifest of a report folder: what wrote it.
pub const MANIFEST: &str = "report.toml";

/// The lock file of a report folder, there only while a report is being
/// written.
pub const LOCK: &str = ".backsim-lock";

/// What kind of report a folder holds: the command that wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `backsim run`.
    Run,
    /// `backsim sweep`.
    Sweep,
    /// `backsim sweep --shard K/N`: a partial report.
    Shard,
    /// `backsim merge`: the report `sweep` writes, from its shards.
    Merge,
    /// `backsim tune`: a search's report, in `<out>/<name>.tune/`.
    Tune,
}

impl Kind {
    const ALL: [Kind; 5] = [Kind::Run, Kind::Sweep, Kind::Shard, Kind::Merge, Kind::Tune];

    /// The name in the manifest.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Run => "run",
            Kind::Sweep => "sweep",
            Kind::Shard => "shard",
            Kind::Merge => "merge",
            Kind::Tune => "tune",
        }
    }

    fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The report, for messages.
    fn report(self) -> &'static str {
        match self {
            Kind::Run => "the report of `backsim run`",
            Kind::Sweep => "the report of `backsim sweep`",
            Kind::Shard => "the partial report of `backsim sweep --shard`",
            Kind::Merge => "the report of `backsim merge`",
            Kind::Tune => "the report of `backsim tune`",
        }
    }

    /// Whether a report of this kind may replace one of `other` without
    /// `--force`: the same kind, or a sweep and a merge, which write the
    /// same report.
    fn replaces(self, other: Kind) -> bool {
        let family = |k: Kind| match k {
            Kind::Run => 0,
            Kind::Sweep | Kind::Merge => 1,
            Kind::Shard => 2,
            Kind::Tune => 3,
        };
        family(self) == family(other)
    }
}

/// Who is about to write a report folder, and what it reads.
#[derive(Debug, Clone)]
pub struct Writer {
    pub kind: Kind,
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file the report is of, as the user named it (for
    /// `merge`, as the shards' manifests name it); None when not known.
    pub source: Option<PathBuf>,
    /// Files the command reads, each with what it is for messages
    /// ("the scenario file"): no report file may land on one.
    pub inputs: Vec<(PathBuf, String)>,
    /// Replace whatever report the folder holds, and files backsim did not
    /// write that have the names of report files.
    pub force: bool,
    /// Say nothing while waiting for another writer.
    pub quiet: bool,
    /// Every file name a report folder of any kind may hold (the manifest's
    /// aside): only these are ever removed, whatever a manifest lists.
    pub known: BTreeSet<String>,
}

impl Writer {
    /// A writer of `kind` for the scenario `scenario` of the file `source`,
    /// which is its one input so far, of reports whose files may have the
    /// names `known`; not forced, not quiet. A scenario read from
    /// something else than a file (a pipe: `<(…)`) has no file to be
    /// known by.
    pub fn new(kind: Kind, scenario: &str, source: &Path, known: BTreeSet<String>) -> Writer {
        let file = fs::metadata(source).is_ok_and(|m| m.is_file());
        Writer {
            kind,
            scenario: scenario.to_string(),
            source: file.then(|| source.to_path_buf()),
            inputs: vec![(source.to_path_buf(), "the scenario file".to_string())],
            force: false,
            quiet: false,
            known,
        }
    }
}

/// A report folder's manifest.
#[derive(Debug, Clone, PartialEq)]
struct Manifest {
    version: String,
    kind: Kind,
    scenario: String,
    /// The scenario file, relative to the folder (or absolute when no
    /// relative path leads there).
    file: Option<String>,
    /// The files of the report, sorted.
    files: Vec<String>,
}

impl Manifest {
    fn to_toml(&self) -> String {
        let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
        let mut s = String::from(
            "# What wrote this report folder. backsim replaces or removes the files listed\n\
             # here only to write a report of the same kind of the same scenario file; any\n\
             # other report, and files it did not write, it replaces only with --force.\n",
        );
        s.push_str(&format!("backsim = {}\n", quote(&self.version)));
        s.push_str(&format!("kind = {}\n", quote(self.kind.name())));
        s.push_str(&format!("scenario = {}\n", quote(&self.scenario)));
        if let Some(file) = &self.file {
            s.push_str(&format!("file = {}\n", quote(file)));
        }
        s.push_str("files = [\n");
        for f in &self.files {
            s.push_str(&format!("  {},\n", quote(f)));
        }
        s.push_str("]\n");
        s
    }

    /// Parses a manifest; None if it is not one backsim wrote.
    fn parse(text: &str) -> Option<Manifest> {
        let t: toml::Table = text.parse().ok()?;
        let string = |k: &str| t.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let files = t
            .get("files")?
            .as_array()?
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()?;
        Some(Manifest {
            version: string("backsim")?,
            kind: Kind::parse(&string("kind")?)?,
            scenario: string("scenario")?,
            file: string("file"),
            files,
        })
    }
}

/// What a folder holds, as far as writing a report into it is concerned.
enum Holder {
    /// No manifest.
    Nobody,
    /// A manifest that cannot be read (not backsim's, or damaged).
    Unreadable(String),
    Report(Manifest),
}

fn holder(dir: &Path) -> Result<Holder, Error> {
    let path = dir.join(MANIFEST);
    match fs::symlink_metadata(&path) {
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            return Ok(Holder::Nobody);
        }
        Err(e) => return Err(Error::io(&path, e)),
        Ok(m) if !m.is_file() => return Ok(Holder::Unreadable("it is not a file".into())),
        Ok(m) if m.len() > MAX_MANIFEST_BYTES => {
            return Ok(Holder::Unreadable("it is too large".into()));
        }
        Ok(_) => {}
    }
    let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
    Ok(
        match std::str::from_utf8(&bytes).ok().and_then(Manifest::parse) {
            Some(m) => Holder::Report(m),
            None => Holder::Unreadable("it is not a manifest backsim wrote".into()),
        },
    )
}

/// Larger than any manifest backsim writes (a few dozen short names).
const MAX_MANIFEST_BYTES: u64 = 64 * 1024;

/// What writing a report into a folder will do to the files there.
#[derive(Debug, Default, PartialEq)]
struct Plan {
    /// Files of the earlier report that the new one does not have, to be
    /// removed once it is in place.
    stale: Vec<String>,
    /// The manifest to write after the files: None for a report folder
    /// that has none and gets none (`plot` of an old report).
    manifest: Option<Manifest>,
}

/// Decides whether `writer` may write the files `names` into `dir`, and
/// what else changes; refuses (exit code 2) what would replace a report of
/// another kind or scenario file, a file backsim did not write, or an
/// input.
fn plan(dir: &Path, writer: &Writer, names: &[String]) -> Result<Plan, Error> {
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

fn other_report(dir: &Path, old: &Manifest, writer: &Writer) -> Error {
    let of = match &old.file {
        Some(f) => format!(" of {}", shown_source(dir, f)),
        None => String::new(),
    };
    let what = if writer.kind.replaces(old.kind) {
        match &writer.source {
            Some(ours) => format!(
                "this is the report of {}, another scenario file named \"{}\". Give one of them another `name`, give another --out,",
                ours.display(),
                writer.scenario
            ),
            None => "the scenario file of this report is not known (a scenario read from a pipe, or shards without their report.toml), so it cannot be shown to be the same. Give another --out,".to_string(),
        }
    } else {
        format!(
            "{} would replace it. Give another --out,",
            writer.kind.report()
        )
    };
    Error::Input(format!(
        "{} holds {}{of} (written by backsim {}); {what} or add --force to replace it",
        dir.display(),
        old.kind.report(),
        old.version,
    ))
}

fn not_written_by_backsim(dir: &Path, names: &[&str], unreadable: Option<&str>) -> Error {
    let why = match unreadable {
        Some(why) => {
            format!("; its {MANIFEST} cannot be read as backsim's record of a report ({why})")
        }
        None => format!("; it has no {MANIFEST}, backsim's record of the files it wrote"),
    };
    Error::Input(format!(
        "{} holds files that backsim did not write and the report would replace: {}{why}. Move them, give another --out, or add --force to replace them",
        dir.display(),
        names.join(", ")
    ))
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

/// `path` made absolute with every link and `..` resolved: the file it
/// reaches, whether or not it exists (the longest existing part is
/// resolved by the system, the rest lexically).
pub fn resolved(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        match std::env::current_dir() {
            Ok(cwd) => cwd.join(path),
            Err(_) => path.to_path_buf(),
        }
    };
    let mut rest: Vec<OsString> = Vec::new();
    let mut head = absolute.as_path();
    loop {
        if let Ok(real) = fs::canonicalize(head) {
            let mut out = real;
            for part in rest.iter().rev() {
                push_lexically(&mut out, part);
            }
            return out;
        }
        match (head.parent(), head.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                head = parent;
            }
            // `..` or the root: resolve what is left lexically.
            _ => return normalized(&absolute),
        }
    }
}

fn push_lexically(out: &mut PathBuf, part: &OsStr) {
    if part == ".." {
        out.pop();
    } else if part != "." {
        out.push(part);
    }
}

/// `path` with `.` and `..` taken out without asking the file system.
fn normalized(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The path from the folder `from` to `to`, both absolute and resolved.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let (a, b): (Vec<_>, Vec<_>) = (from.components().collect(), to.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return to.to_path_buf();
    }
    let mut out = PathBuf::new();
    for _ in common..a.len() {
        out.push("..");
    }
    for c in &b[common..] {
        out.push(c.as_os_str());
    }
    out
}

/// The writer's scenario file as the manifest names it: relative to the
/// folder, `/`-separated.
fn relative_source(dir: &Path, writer: &Writer) -> Option<String> {
    let source = writer.source.as_ref()?;
    Some(slashed(&relative(&resolved(dir), &resolved(source))))
}

fn slashed(path: &Path) -> String {
    let parts: Vec<String> = path.components().map(|c| encoded(c.as_os_str())).collect();
    let joined = parts.join("/");
    if path.has_root() && !joined.starts_with('/') {
        // A Windows prefix and root; keep the system's spelling.
        path.to_string_lossy().into_owned()
    } else {
        joined.replacen("//", "/", 1)
    }
}

/// A part of a path as a manifest writes it: its exact bytes, so that no
/// two files are confused; `%` and bytes that are not UTF-8 are written
/// as `%XX` (a TOML string holds only UTF-8).
fn encoded(part: &OsStr) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let mut out = String::new();
        for chunk in part.as_bytes().utf8_chunks() {
            out.push_str(&chunk.valid().replace('%', "%25"));
            for b in chunk.invalid() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        part.to_string_lossy().replace('%', "%25")
    }
}

/// The path a manifest's `file` names ([`encoded`] undone).
fn decoded(file: &str) -> PathBuf {
    let bytes = file.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        PathBuf::from(OsString::from_vec(out))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(&out).into_owned())
    }
}

/// The scenario file a manifest in `dir` names, resolved.
fn recorded(dir: &Path, file: &str) -> PathBuf {
    resolved(&resolved(dir).join(decoded(file)))
}

/// Whether the manifest's scenario file is the writer's: the same file,
/// or neither known (a scenario read from a pipe, shards an older backsim
/// wrote).
fn same_source(dir: &Path, old: &Manifest, writer: &Writer) -> bool {
    match (&old.file, &writer.source) {
        (Some(file), Some(source)) => recorded(dir, file) == resolved(source),
        (None, None) => true,
        _ => false,
    }
}

/// The scenario file a manifest names, for messages: as a path from the
/// current folder when it is below it (`scenarios/herd.toml`), else in
/// full.
fn shown_source(dir: &Path, file: &str) -> String {
    let target = recorded(dir, file);
    let below = std::env::current_dir()
        .ok()
        .map(|cwd| relative(&resolved(&cwd), &target))
        .filter(|rel| {
            rel.is_relative() && rel.components().all(|c| matches!(c, Component::Normal(_)))
        });
    below.unwrap_or(target).display().to_string()
}

/// The scenario file the manifest in `dir` names, resolved; None if the
/// folder has no readable manifest or it names none. `merge` takes its
/// scenario file from its shards'.
pub fn recorded_source(dir: &Path) -> Option<PathBuf> {
    match holder(dir) {
        Ok(Holder::Report(m)) => m.file.map(|f| recorded(dir, &f)),
        _ => None,
    }
}

/// The kind of report the manifest in `dir` records; None if the folder
/// has no readable manifest. `diff` tells a run's report from a sweep's by
/// it.
pub fn recorded_kind(dir: &Path) -> Option<Kind> {
    match holder(dir) {
        Ok(Holder::Report(m)) => Some(m.kind),
        _ => None,
    }
}

/// Checks, before any work, that `writer` may write the files `names`
/// into `dir` ([`plan`]): exit code 2 with a message if not. Writes
/// nothing.
pub fn check(dir: &Path, writer: &Writer, names: &[String]) -> Result<(), Error> {
    plan(dir, writer, names).map(|_| ())
}

/// Writes the report `files` into `dir` for `writer`: takes the folder's
/// lock, decides afresh what it may replace ([`check`]), removes
/// temporary files a killed backsim left, writes every file all or
/// nothing, removes the earlier report's files the new one does not have,
/// and writes the manifest.
pub fn write(dir: &Path, writer: &Writer, files: &[ReportFile]) -> Result<(), Error> {
    let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    locked(
        dir,
        writer.quiet,
        || Ok(()),
        |dir, ()| {
            let plan = plan(dir, writer, &names)?;
            write_planned(dir, files, &plan, &writer.known)
        },
    )
}

/// Redraws the report in the folder `dir` (`backsim plot`): under its
/// lock, so that no other backsim writes it meanwhile, reads it and draws
/// its charts (`draw`), then writes them. Its manifest, if it has one,
/// gains their names and loses those of the files in `drawable` (every
/// chart and page a redraw can make) that are not drawn now, which are
/// removed, as a run would; a file of the same name that it does not list
/// is replaced only with `force`. A folder without a manifest (a report
/// of an older backsim) gets none; one whose manifest cannot be read is
/// redrawn only with `force`.
pub fn redraw(
    dir: &Path,
    quiet: bool,
    force: bool,
    known: &BTreeSet<String>,
    drawable: &BTreeSet<String>,
    draw: impl FnOnce() -> Result<Vec<ReportFile>, Error>,
) -> Result<(), Error> {
    locked(dir, quiet, draw, |dir, files| {
        let plan = match holder(dir)? {
            Holder::Report(old) => {
                let writer = Writer {
                    kind: old.kind,
                    scenario: old.scenario.clone(),
                    source: old.file.as_ref().map(|f| recorded(dir, f)),
                    inputs: Vec::new(),
                    force,
                    quiet,
                    known: known.clone(),
                };
                let names: Vec<String> = old
                    .files
                    .iter()
                    .filter(|n| !drawable.contains(*n))
                    .cloned()
                    .chain(files.iter().map(|(n, _)| n.clone()))
                    .collect();
                let mut p = plan(dir, &writer, &names)?;
                if let Some(m) = &mut p.manifest {
                    m.file = old.file.clone();
                    m.version = old.version.clone();
                }
                p
            }
            Holder::Unreadable(why) if !force => {
                return Err(Error::Input(format!(
                    "{} cannot be read as backsim's record of a report ({why}), so which of the folder's files are backsim's is not known. Move it, or add --force to redraw the charts over any files of their names",
                    dir.join(MANIFEST).display()
                )));
            }
            _ => Plan::default(),
        };
        write_planned(dir, &files, &plan, known)
    })
}

fn write_planned(
    dir: &Path,
    files: &[ReportFile],
    plan: &Plan,
    known: &BTreeSet<String>,
) -> Result<(), Error> {
    remove_stale_temporaries(dir, known)?;
    let manifest = plan.manifest.as_ref().map(|m| m.to_toml().into_bytes());
    let staged = stage(
        files
            .iter()
            .map(|(n, b)| (dir.join(n), b.as_slice()))
            .chain(manifest.iter().map(|b| (dir.join(MANIFEST), b.as_slice()))),
    )?;
    // The manifest goes last: until it is in place, the earlier one still
    // lists the earlier report's files, which are removed before it.
    let split = staged.len() - usize::from(manifest.is_some());
    commit(dir, &staged[..split], &staged)?;
    for name in &plan.stale {
        let path = dir.join(name);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != ErrorKind::NotFound => {
                discard(&staged);
                return Err(Error::io(&path, e));
            }
            _ => {}
        }
    }
    commit(dir, &staged[split..], &staged)
}

/// Runs `prepare`, then `write` with what it made, on `dir` (created if
/// needed) while holding its lock; `write` as one uninterrupted write
/// ([`crate::interrupt::writing`]). On a failure the folders this call
/// created are removed again (if empty).
fn locked<T>(
    dir: &Path,
    quiet: bool,
    prepare: impl FnOnce() -> Result<T, Error>,
    write: impl FnOnce(&Path, T) -> Result<(), Error>,
) -> Result<(), Error> {
    let created = create_dirs(dir)?;
    let result = Lock::take(dir, quiet).and_then(|lock| {
        let result = prepare().and_then(|made| crate::interrupt::writing(|| write(dir, made)));
        lock.release();
        result
    });
    if result.is_err() {
        // `remove_dir` only removes empty folders: never a file.
        for d in &created {
            let _ = fs::remove_dir(d);
        }
    }
    result
}

/// The held lock of a report folder.
struct Lock {
    path: PathBuf,
    file: File,
}

impl Lock {
    /// Takes the lock of `dir`, waiting for another writer to finish
    /// (saying so unless `quiet`); a stop asked for while waiting ends the
    /// wait with [`Error::Interrupted`].
    fn take(dir: &Path, quiet: bool) -> Result<Lock, Error> {
        let path = dir.join(LOCK);
        let mut said = false;
        loop {
            let file = open_lock(&path).map_err(|e| Error::io(&path, e))?;
            loop {
                match file.try_lock() {
                    Ok(()) => break,
                    Err(std::fs::TryLockError::WouldBlock) => {
                        if !said && !quiet {
                            let text = format!(
                                "waiting for another backsim that is writing {}",
                                dir.display()
                            );
                            let _ = writeln!(std::io::stderr(), "{}", crate::terminal::safe(&text));
                        }
                        said = true;
                        crate::interrupt::check()?;
                        std::thread::sleep(std::time::Duration::from_millis(20));
                    }
                    Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
                }
            }
            // The writer before may have removed the file while this one
            // waited on it: the lock counts only on the file at `path`.
            if is_same_file(&file, &path) {
                return Ok(Lock { path, file });
            }
        }
    }

    /// Removes the lock file, then lets the lock go.
    fn release(self) {
        let _ = fs::remove_file(&self.path);
        drop(self.file);
    }
}

fn open_lock(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Never through a link planted under the lock's name.
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path)
}

#[cfg(unix)]
fn is_same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn is_same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// Removes the temporary files (`.NAME.tmp-PID`, NAME one of `known` or
/// the manifest) that a backsim killed while writing left in `dir`.
/// Called with the folder's lock held: no other backsim is writing there.
fn remove_stale_temporaries(dir: &Path, known: &BTreeSet<String>) -> Result<(), Error> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => return Err(Error::io(dir, e)),
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let ours = name
            .strip_prefix('.')
            .and_then(|n| n.rsplit_once(".tmp-"))
            .is_some_and(|(file, pid)| {
                (file == MANIFEST || known.contains(file))
                    && !pid.is_empty()
                    && pid.bytes().all(|b| b.is_ascii_digit())
            });
        if ours && entry.file_type().is_ok_and(|t| t.is_file()) {
            let path = entry.path();
            match fs::remove_file(&path) {
                Err(e) if e.kind() != ErrorKind::NotFound => return Err(Error::io(&path, e)),
                _ => {}
            }
        }
    }
    Ok(())
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
    let mut path = dir;
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
            Err(e) if e.kind() == ErrorKind::NotFound && fs::symlink_metadata(here).is_ok() => {
                return Err(Error::Input(format!(
                    "{named} is a symbolic link to nothing; {advice}"
                )));
            }
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

/// Writes `files` into `dir` (created if needed), all or nothing, with no
/// ownership rules: for a file of the user's own that they asked for
/// (`backsim new`). Each file goes to a temporary name in `dir` and is
/// flushed to disk; only when every one of them is there are they renamed
/// over their final names. On a failure (a full disk, a file-size limit, a
/// folder in the way of a file) the temporary files and the folders this
/// call created are removed, and the error names the file and the OS
/// error. After Ctrl-C nothing is written ([`Error::Interrupted`]); a
/// Ctrl-C once it has begun lets it finish, then stops.
pub fn write_files(dir: &Path, files: &[(OsString, Vec<u8>)]) -> Result<(), Error> {
    crate::interrupt::writing(|| {
        let created = create_dirs(dir)?;
        let result = stage(files.iter().map(|(n, b)| (dir.join(n), b.as_slice())))
            .and_then(|staged| commit(dir, &staged, &staged));
        if result.is_err() {
            for d in &created {
                let _ = fs::remove_dir(d);
            }
        }
        result
    })
}

/// Creates `dir` and the folders above it that are missing; returns the
/// ones it created, deepest first, so that a failed write can take them
/// away again.
fn create_dirs(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut missing = Vec::new();
    let mut next = Some(dir);
    while let Some(d) = next {
        if d.as_os_str().is_empty()
            || !matches!(fs::symlink_metadata(d), Err(e) if e.kind() == ErrorKind::NotFound)
        {
            break;
        }
        missing.push(d.to_path_buf());
        next = d.parent();
    }
    fs::create_dir_all(dir).map_err(|e| {
        for d in &missing {
            let _ = fs::remove_dir(d);
        }
        Error::io(dir, e)
    })?;
    Ok(missing)
}

/// A file written under its temporary name, waiting to be renamed.
struct Staged {
    tmp: PathBuf,
    path: PathBuf,
}

/// The temporary name of `path`: hidden, in the same folder (so that the
/// rename is atomic), and unique to this process; made of the name's
/// exact bytes.
fn temp_path(path: &Path) -> PathBuf {
    let mut name = OsString::from(".");
    name.push(path.file_name().unwrap_or(OsStr::new("report")));
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}

/// Writes every file to its temporary name and flushes it to disk; on the
/// first failure removes every temporary file and returns the error on
/// that file's final name.
fn stage<'a>(files: impl Iterator<Item = (PathBuf, &'a [u8])>) -> Result<Vec<Staged>, Error> {
    let mut staged: Vec<Staged> = Vec::new();
    for (path, bytes) in files {
        let tmp = temp_path(&path);
        if let Err(e) = write_temp(&tmp, &path, bytes) {
            let _ = fs::remove_file(&tmp);
            discard(&staged);
            return Err(Error::io(&path, e));
        }
        staged.push(Staged { tmp, path });
    }
    Ok(staged)
}

fn write_temp(tmp: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // A folder under the final name would only make the rename fail, after
    // the files before it were replaced: refuse it while nothing is.
    if fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(ErrorKind::IsADirectory.into());
    }
    // `create_new` never follows a link planted under the temporary name;
    // a file left there by a killed run of the same process id is ours.
    let open = || OpenOptions::new().write(true).create_new(true).open(tmp);
    let mut f = match open() {
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            fs::remove_file(tmp)?;
            open()?
        }
        other => other?,
    };
    f.write_all(bytes)?;
    f.sync_all()
}

/// Renames the staged files `now` over their final names. Renaming within
/// one folder needs no disk space, so once every file is staged this does
/// not fail in practice; if a rename fails anyway, every file of `all` not
/// yet renamed is removed and the error names the file.
fn commit(dir: &Path, now: &[Staged], all: &[Staged]) -> Result<(), Error> {
    for s in now {
        if let Err(e) = fs::rename(&s.tmp, &s.path) {
            discard(all);
            return Err(Error::io(&s.path, e));
        }
    }
    // Makes the renames survive a power loss. The files are complete and
    // in place whatever this returns, so a failure is not an error.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Removes the temporary files of `staged` that are still there.
fn discard(staged: &[Staged]) {
    for s in staged {
        let _ = fs::remove_file(&s.tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Every entry of `dir` (dot files included), with the bytes of files.
    fn listing(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
        fs::read_dir(dir)
            .expect("read folder")
            .map(|e| {
                let p = e.expect("entry").path();
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, p.is_file().then(|| fs::read(&p).unwrap()))
            })
            .collect()
    }

    fn names(dir: &Path) -> Vec<String> {
        listing(dir).into_keys().collect()
    }

    fn file(name: &str, bytes: &str) -> (OsString, Vec<u8>) {
        (name.into(), bytes.as_bytes().to_vec())
    }

    fn report_file(name: &str, bytes: &str) -> ReportFile {
        (name.to_string(), bytes.as_bytes().to_vec())
    }

    fn old_report(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
        fs::write(dir.join("a.csv"), "old a").unwrap();
        fs::write(dir.join("c.csv"), "old c").unwrap();
        listing(dir)
    }

    #[test]
    fn a_file_that_cannot_be_created_leaves_the_folder_as_it_was() {
        let tmp = tempfile::tempdir().unwrap();
        let before = old_report(tmp.path());
        let files = [
            file("a.csv", "new a"),
            file("missing/b.csv", "new b"),
            file("c.csv", "new c"),
        ];
        match write_files(tmp.path(), &files) {
            Err(Error::Io { path, .. }) => assert_eq!(path, tmp.path().join("missing/b.csv")),
            other => panic!("{other:?}"),
        }
        assert_eq!(listing(tmp.path()), before);
    }

    #[test]
    fn a_folder_under_a_final_name_is_refused_before_anything_is_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        old_report(tmp.path());
        fs::create_dir(tmp.path().join("b.csv")).unwrap();
        let before = listing(tmp.path());
        let files = [
            file("a.csv", "new a"),
            file("b.csv", "new b"),
            file("c.csv", "new c"),
        ];
        let e = write_files(tmp.path(), &files).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "error: {}: is a directory",
                tmp.path().join("b.csv").display()
            )
        );
        assert_eq!(listing(tmp.path()), before);
    }

    #[test]
    fn every_file_is_replaced_and_others_are_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        old_report(tmp.path());
        fs::write(tmp.path().join("notes.txt"), "mine").unwrap();
        let files = [file("a.csv", "new a"), file("b.csv", "new b")];
        write_files(tmp.path(), &files).unwrap();
        let expected: BTreeMap<String, Option<Vec<u8>>> = [
            ("a.csv", "new a"),
            ("b.csv", "new b"),
            ("c.csv", "old c"),
            ("notes.txt", "mine"),
        ]
        .into_iter()
        .map(|(n, b)| (n.to_string(), Some(b.as_bytes().to_vec())))
        .collect();
        assert_eq!(listing(tmp.path()), expected);
    }

    #[test]
    fn a_failed_write_removes_the_folders_it_created_and_no_other() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir(tmp.path().join("kept")).unwrap();
        let dir = tmp.path().join("kept/new/report");
        let e = write_files(&dir, &[file("a.csv", "a"), file("x/y.csv", "y")]).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert_eq!(names(tmp.path()), ["kept"]);
        assert!(listing(&tmp.path().join("kept")).is_empty());
    }

    #[test]
    fn check_out_dir_creates_nothing_and_leaves_no_probe() {
        let tmp = tempfile::tempdir().unwrap();
        check_out_dir(tmp.path()).unwrap();
        check_out_dir(&tmp.path().join("new/reports")).unwrap();
        assert!(listing(tmp.path()).is_empty());
    }

    #[test]
    fn check_out_dir_refuses_a_path_below_a_file_as_input() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("somefile");
        fs::write(&f, "keep").unwrap();
        for out in [f.clone(), f.join("reports"), f.join("a/b")] {
            let e = check_out_dir(&out).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{e}");
            assert!(e.to_string().contains(&f.display().to_string()), "{e}");
        }
        assert_eq!(fs::read(&f).unwrap(), b"keep");
    }

    #[cfg(unix)]
    #[test]
    fn check_out_dir_refuses_a_dangling_link_as_input() {
        let tmp = tempfile::tempdir().unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(tmp.path().join("gone"), &link).unwrap();
        let e = check_out_dir(&link.join("reports")).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
        assert!(e.to_string().contains("symbolic link"), "{e}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_folder_that_takes_no_new_files_is_named_with_what_cannot_be_created() {
        // procfs answers "No such file or directory" to any new file:
        // the message must say what could not be created, and where.
        let e = check_out_dir(Path::new("/proc/self/zz/reports")).unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert_eq!(
            e.to_string(),
            "error: cannot create /proc/self/zz: /proc/self does not accept new files or folders: No such file or directory (os error 2)"
        );
    }

    // --- Ownership -------------------------------------------------------

    /// A scenario file `name` in `dir`; a writer of `kind` for it.
    fn writer(dir: &Path, name: &str, kind: Kind) -> Writer {
        let path = dir.join(name);
        fs::write(&path, "name = \"s\"\n").unwrap();
        let known = [
            "summary.csv",
            "scenario.toml",
            "cost.svg",
            "cost.png",
            "sweep.csv",
            "requests.csv",
            "trace.csv",
            "load_over_time.png",
        ]
        .map(String::from)
        .into();
        let mut w = Writer::new(kind, "s", &path, known);
        w.quiet = true;
        w
    }

    fn run_files(tag: &str, charts: bool) -> Vec<ReportFile> {
        let mut files = vec![
            report_file("summary.csv", tag),
            report_file("scenario.toml", tag),
        ];
        if charts {
            files.push(report_file("cost.svg", tag));
        }
        files
    }

    fn sweep_files(tag: &str) -> Vec<ReportFile> {
        vec![
            report_file("summary.csv", tag),
            report_file("sweep.csv", tag),
            report_file("scenario.toml", tag),
        ]
    }

    fn manifest(dir: &Path) -> Manifest {
        Manifest::parse(&fs::read_to_string(dir.join(MANIFEST)).unwrap()).unwrap()
    }

    #[test]
    fn a_report_records_what_wrote_it_and_a_rerun_replaces_it_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let w = writer(tmp.path(), "s.toml", Kind::Run);
        let dir = tmp.path().join("reports/s");
        write(&dir, &w, &run_files("one", true)).unwrap();
        assert_eq!(
            manifest(&dir),
            Manifest {
                version: env!("CARGO_PKG_VERSION").into(),
                kind: Kind::Run,
                scenario: "s".into(),
                file: Some("../../s.toml".into()),
                files: vec![
                    "cost.svg".into(),
                    "scenario.toml".into(),
                    "summary.csv".into()
                ],
            }
        );
        // Again without charts: the chart it wrote goes, a file of the
        // user's stays.
        fs::write(dir.join("notes.txt"), "mine").unwrap();
        write(&dir, &w, &run_files("two", false)).unwrap();
        assert_eq!(
            names(&dir),
            ["notes.txt", "report.toml", "scenario.toml", "summary.csv"]
        );
        assert_eq!(fs::read(dir.join("summary.csv")).unwrap(), b"two");
        assert_eq!(manifest(&dir).files, ["scenario.toml", "summary.csv"]);
    }

    #[test]
    fn a_report_of_another_kind_is_replaced_only_with_force() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("reports/s");
        let sweep = writer(tmp.path(), "s.toml", Kind::Sweep);
        write(&dir, &sweep, &sweep_files("sweep")).unwrap();
        let before = listing(&dir);
        let mut run = writer(tmp.path(), "s.toml", Kind::Run);
        let e = write(&dir, &run, &run_files("run", true)).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            e.to_string(),
            format!(
                "error: {} holds the report of `backsim sweep` of {} (written by backsim {}); the report of `backsim run` would replace it. Give another --out, or add --force to replace it",
                dir.display(),
                shown_source(&dir, "../../s.toml"),
                env!("CARGO_PKG_VERSION")
            )
        );
        assert_eq!(listing(&dir), before, "nothing changed");
        run.force = true;
        write(&dir, &run, &run_files("run", true)).unwrap();
        assert_eq!(
            names(&dir),
            ["cost.svg", "report.toml", "scenario.toml", "summary.csv"],
            "no file of the sweep is left"
        );
        assert_eq!(manifest(&dir).kind, Kind::Run);
    }

    #[test]
    fn a_merge_replaces_the_sweep_it_equals_and_a_shard_does_not() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("reports/s");
        let sweep = writer(tmp.path(), "s.toml", Kind::Sweep);
        write(&dir, &sweep, &sweep_files("sweep")).unwrap();
        let merge = writer(tmp.path(), "s.toml", Kind::Merge);
        write(&dir, &merge, &sweep_files("merge")).unwrap();
        assert_eq!(manifest(&dir).kind, Kind::Merge);
        write(&dir, &sweep, &sweep_files("sweep")).unwrap();
        let shard = writer(tmp.path(), "s.toml", Kind::Shard);
        assert_eq!(
            write(&dir, &shard, &sweep_files("shard"))
                .unwrap_err()
                .exit_code(),
            2
        );
    }

    #[test]
    fn a_report_of_another_scenario_file_is_replaced_only_with_force() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir(tmp.path().join("b")).unwrap();
        let dir = tmp.path().join("reports/s");
        let a = writer(tmp.path(), "s.toml", Kind::Run);
        write(&dir, &a, &run_files("a", false)).unwrap();
        let mut b = writer(&tmp.path().join("b"), "s.toml", Kind::Run);
        let e = write(&dir, &b, &run_files("b", false)).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let message = e.to_string();
        assert!(
            message.contains("another scenario file named \"s\""),
            "{message}"
        );
        assert_eq!(fs::read(dir.join("summary.csv")).unwrap(), b"a");
        b.force = true;
        write(&dir, &b, &run_files("b", false)).unwrap();
        assert_eq!(fs::read(dir.join("summary.csv")).unwrap(), b"b");
        assert_eq!(manifest(&dir).file.as_deref(), Some("../../b/s.toml"));
    }

    #[cfg(unix)]
    #[test]
    fn the_same_scenario_file_by_another_path_is_the_same_report() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("reports/s");
        let w = writer(tmp.path(), "s.toml", Kind::Run);
        write(&dir, &w, &run_files("one", false)).unwrap();
        std::os::unix::fs::symlink(tmp.path(), tmp.path().join("link")).unwrap();
        let mut again = w.clone();
        again.source = Some(tmp.path().join("link/reports/../s.toml"));
        write(&dir, &again, &run_files("two", false)).unwrap();
        assert_eq!(fs::read(dir.join("summary.csv")).unwrap(), b"two");
    }

    #[test]
    fn files_backsim_did_not_write_are_replaced_only_with_force() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("gw");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("scenario.toml"), "mine").unwrap();
        fs::write(dir.join("notes.txt"), "mine").unwrap();
        let mut w = writer(tmp.path(), "s.toml", Kind::Run);
        let e = write(&dir, &w, &run_files("run", false)).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            e.to_string(),
            format!(
                "error: {} holds files that backsim did not write and the report would replace: scenario.toml; it has no report.toml, backsim's record of the files it wrote. Move them, give another --out, or add --force to replace them",
                dir.display()
            )
        );
        assert_eq!(names(&dir), ["notes.txt", "scenario.toml"]);
        w.force = true;
        write(&dir, &w, &run_files("run", false)).unwrap();
        assert_eq!(fs::read(dir.join("scenario.toml")).unwrap(), b"run");
        assert_eq!(fs::read(dir.join("notes.txt")).unwrap(), b"mine");
    }

    #[test]
    fn a_file_of_the_users_beside_a_report_is_not_replaced_by_the_next() {
        // requests.csv is a report file's name, but this report never
        // wrote it: the next report that would is refused.
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("reports/s");
        let w = writer(tmp.path(), "s.toml", Kind::Run);
        write(&dir, &w, &run_files("one", false)).unwrap();
        fs::write(dir.join("requests.csv"), "mine").unwrap();
        write(&dir, &w, &run_files("two", false)).unwrap();
        assert_eq!(fs::read(dir.join("requests.csv")).unwrap(), b"mine");
        let mut files = run_files("three", false);
        files.push(report_file("requests.csv", "three"));
        let e = write(&dir, &w, &files).unwrap_err();
        assert!(e.to_string().contains("replace: requests.csv;"), "{e}");
        assert_eq!(fs::read(dir.join("requests.csv")).unwrap(), b"mine");
    }

    #[test]
    fn an_unreadable_manifest_owns_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("r");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join(MANIFEST), "kind = [").unwrap();
        let w = writer(tmp.path(), "s.toml", Kind::Run);
        let e = write(&dir, &w, &run_files("run", false)).unwrap_err();
        assert!(
            e.to_string().contains(
                "would replace: report.toml; its report.toml cannot be read as backsim's record of a report (it is not a manifest backsim wrote)"
            ),
            "{e}"
        );
    }

    #[test]
    fn a_manifest_never_makes_backsim_remove_other_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("reports/s");
        let w = writer(tmp.path(), "s.toml", Kind::Run);
        write(&dir, &w, &run_files("one", false)).unwrap();
        fs::write(tmp.path().join("reports/precious"), "mine").unwrap();
        fs::write(dir.join("mine.txt"), "mine").unwrap();
        let mut m = manifest(&dir);
        m.files
            .extend(["../precious".to_string(), "mine.txt".to_string()]);
        fs::write(dir.join(MANIFEST), m.to_toml()).unwrap();
        write(&dir, &w, &run_files("two", false)).unwrap();
        assert!(tmp.path().join("reports/precious").exists());
        assert!(dir.join("mine.txt").exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_report_file_on_an_input_is_refused_whatever_the_spelling_even_forced() {
        let tmp = tempfile::tempdir().unwrap();
        let gw = tmp.path().join("gw");
        fs::create_dir(&gw).unwrap();
        fs::write(
            gw.join("trace.csv"),
            "t_s,input_tokens,output_tokens,user\n",
        )
        .unwrap();
        std::os::unix::fs::symlink(&gw, tmp.path().join("link")).unwrap();
        let mut w = writer(&gw, "gw.toml", Kind::Run);
        w.inputs.push((
            tmp.path().join("link/../gw/trace.csv"),
            "the trace".to_string(),
        ));
        w.force = true;
        let mut files = run_files("run", false);
        files.push(report_file("trace.csv", "copy"));
        for dir in [gw.clone(), tmp.path().join("link"), gw.join("../link/.")] {
            let e = write(&dir, &w, &files).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(e.to_string().contains("would replace"), "{e}");
            assert!(
                e.to_string().contains("the trace this command reads"),
                "{e}"
            );
            assert_eq!(names(&gw), ["gw.toml", "trace.csv"], "nothing written");
        }
        // The scenario file itself, as a report file's name.
        let e = write(&gw, &w, &[report_file("gw.toml", "x")]).unwrap_err();
        assert!(
            e.to_string()
                .contains("the scenario file this command reads"),
            "{e}"
        );
    }

    #[test]
    fn temporary_files_a_killed_backsim_left_go_and_no_others() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("reports/s");
        fs::create_dir_all(&dir).unwrap();
        let left = [
            ".summary.csv.tmp-4242",
            ".load_over_time.png.tmp-7",
            ".report.toml.tmp-99",
        ];
        let kept = [
            ".notes.txt.tmp-4242",
            ".summary.csv.tmp-x1",
            "summary.csv.tmp-1",
        ];
        for n in left.iter().chain(&kept) {
            fs::write(dir.join(n), "partial").unwrap();
        }
        let w = writer(tmp.path(), "s.toml", Kind::Run);
        write(&dir, &w, &run_files("one", false)).unwrap();
        let mut expected: Vec<String> = kept.iter().map(|s| s.to_string()).collect();
        expected.extend(["report.toml", "scenario.toml", "summary.csv"].map(String::from));
        expected.sort();
        assert_eq!(names(&dir), expected);
    }

    #[test]
    fn a_refused_write_leaves_no_folder_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let mut w = writer(tmp.path(), "s.toml", Kind::Run);
        // An input where the report would go, below folders that do not
        // exist yet: refused once they are made, and they go again.
        w.inputs
            .push((tmp.path().join("new/s/summary.csv"), "the trace".into()));
        let e = write(&tmp.path().join("new/s"), &w, &run_files("x", false)).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(names(tmp.path()), ["s.toml"]);
    }

    #[test]
    fn a_second_writer_waits_for_the_first() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("r");
        fs::create_dir(&dir).unwrap();
        let first = Lock::take(&dir, true).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let lock = Lock::take(&dir, true).unwrap();
                tx.send(()).unwrap();
                lock.release();
            })
        };
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(300))
                .is_err(),
            "the second writer did not wait"
        );
        first.release();
        rx.recv_timeout(std::time::Duration::from_secs(10))
            .expect("the second writer goes on once the first is done");
        waiter.join().unwrap();
        assert!(listing(&dir).is_empty(), "the lock file is gone");
    }

    #[cfg(unix)]
    #[test]
    fn a_scenario_file_is_recorded_by_its_exact_bytes() {
        use std::os::unix::ffi::OsStrExt;
        let raw = OsStr::from_bytes(b"\xff 100%.toml");
        assert_eq!(encoded(raw), "%FF 100%25.toml");
        assert_eq!(decoded("%FF 100%25.toml").as_os_str(), raw);
        // U+FFFD, what a lossy conversion of \xff gives, is another name.
        assert_eq!(encoded(OsStr::new("\u{fffd}.toml")), "\u{fffd}.toml");
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("reports/s");
        let a = writer(tmp.path(), "\u{fffd}.toml", Kind::Run);
        fs::write(tmp.path().join(raw), "").unwrap();
        let mut b = a.clone();
        b.source = Some(tmp.path().join(raw));
        write(&dir, &b, &run_files("b", false)).unwrap();
        write(&dir, &b, &run_files("b again", false)).unwrap();
        assert_eq!(
            write(&dir, &a, &run_files("a", false))
                .unwrap_err()
                .exit_code(),
            2
        );
    }

    #[test]
    fn a_folder_under_a_report_name_is_never_removed_nor_written_over() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("reports/s");
        let mut w = writer(tmp.path(), "s.toml", Kind::Run);
        write(&dir, &w, &run_files("one", true)).unwrap();
        // The user's folder under the name of a chart the next report
        // would remove: left alone.
        fs::remove_file(dir.join("cost.svg")).unwrap();
        fs::create_dir(dir.join("cost.svg")).unwrap();
        write(&dir, &w, &run_files("two", false)).unwrap();
        assert!(dir.join("cost.svg").is_dir());
        // Under the name of a file the report writes: refused, forced too.
        w.force = true;
        let e = write(&dir, &w, &run_files("three", true)).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string()
                .contains("is a folder where the report writes a file"),
            "{e}"
        );
        assert_eq!(fs::read(dir.join("summary.csv")).unwrap(), b"two");
    }

    #[test]
    fn paths_relative_to_a_folder() {
        assert_eq!(
            relative(Path::new("/a/b/c"), Path::new("/a/x.toml")),
            Path::new("../../x.toml")
        );
        assert_eq!(
            relative(Path::new("/a"), Path::new("/a/b/x.toml")),
            Path::new("b/x.toml")
        );
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/c/x.toml")),
            Path::new("../../c/x.toml")
        );
        assert_eq!(normalized(Path::new("/a/./b/../c")), Path::new("/a/c"));
    }
}
