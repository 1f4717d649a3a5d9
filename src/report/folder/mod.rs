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
//!   check before any work, which runs without the lock, decides again
//!   under it when it would refuse: another writer's folder midway holds
//!   its new files before their manifest. The lock file is removed when
//!   the write ends.
//! - **All or nothing.** Every file goes to a temporary name in the folder
//!   (`.NAME.tmp-PID`) and is flushed to disk; only when all of them are
//!   there are they renamed over their final names. On a failure the
//!   temporary files, and the folders created for the report, are removed.
//!   Temporary files a killed backsim left are removed by the next write
//!   into the folder (only backsim's own names).
//!
//! The entry points (`write`, `redraw`, `check`, `read_files`)
//! are here; what a folder's manifest says is `manifest`, the decision
//! what a write may replace is `plan`, taking turns is `lock`, and
//! the all-or-nothing write itself is `stage`.

mod lock;
mod manifest;
mod paths;
mod plan;
mod stage;

use lock::*;
use manifest::*;
use plan::*;
use stage::*;

use crate::Error;
use crate::scenario::TRACE_COPY;
pub use manifest::{recorded_kind, recorded_source};
pub use plan::{check_folder_for, check_out_dir};
pub use stage::write_files;
use std::collections::BTreeSet;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

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

/// Checks, before any work, that `writer` may write the files `names`
/// into `dir` (`plan`): exit code 2 with a message if not. Writes
/// nothing.
pub fn check(dir: &Path, writer: &Writer, names: &[String]) -> Result<(), Error> {
    match plan(dir, writer, names) {
        Ok(_) => Ok(()),
        // Another backsim may be writing the folder: midway through, its
        // new files stand there before their manifest does, which reads as
        // files backsim did not write. Decide again once it is done.
        Err(_) if dir.is_dir() => {
            let lock = Lock::take(dir, writer.quiet)?;
            let again = plan(dir, writer, names).map(|_| ());
            lock.release();
            again
        }
        Err(e) => Err(e),
    }
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

/// Reads files `names` of the report folder `dir`, and the copy of a
/// trace if there is one (parsing `scenario.toml` says so if it is
/// missing). `needs` ends the message when a file cannot be read: what
/// the folder should be.
pub fn read_files(dir: &Path, names: &[&str], needs: &str) -> Result<Vec<ReportFile>, Error> {
    let mut files = Vec::new();
    for name in names {
        let path = dir.join(name);
        let bytes = read_report_file(&path)
            .map_err(|e| Error::Input(format!("cannot read {}: {e}; {needs}", path.display())))?;
        files.push((name.to_string(), bytes));
    }
    if let Ok(bytes) = read_report_file(&dir.join(TRACE_COPY)) {
        files.push((TRACE_COPY.to_string(), bytes));
    }
    Ok(files)
}

/// The bytes of the file `path` of a report folder, which must be a
/// regular file (backsim writes nothing else there): a link to a device
/// such as `/dev/zero`, or a FIFO, is refused instead of read without end
/// or waited on.
pub fn read_report_file(path: &Path) -> std::io::Result<Vec<u8>> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    std::fs::read(path)
}

#[cfg(test)]
mod tests {
    use super::paths::{normalized, relative};
    use super::*;
    use std::collections::BTreeMap;
    use std::ffi::{OsStr, OsString};

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
    fn the_check_before_work_waits_for_a_writer_midway() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("reports/s");
        let mut w = writer(tmp.path(), "s.toml", Kind::Run);
        w.quiet = true;
        let files = run_files("one", false);
        write(&dir, &w, &files).unwrap();
        let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
        // Another writer holds the lock, its files in place and its
        // manifest not yet: the check waits for it instead of refusing.
        let lock = Lock::take(&dir, true).unwrap();
        let kept = fs::read(dir.join(MANIFEST)).unwrap();
        fs::remove_file(dir.join(MANIFEST)).unwrap();
        assert!(
            plan(&dir, &w, &names).is_err(),
            "midway, the folder reads as foreign"
        );
        std::thread::scope(|s| {
            let checking = s.spawn(|| check(&dir, &w, &names));
            std::thread::sleep(std::time::Duration::from_millis(100));
            fs::write(dir.join(MANIFEST), &kept).unwrap();
            lock.release();
            checking.join().unwrap().unwrap();
        });
        // Files that are truly not backsim's are still refused.
        fs::remove_file(dir.join(MANIFEST)).unwrap();
        assert_eq!(check(&dir, &w, &names).unwrap_err().exit_code(), 2);
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
