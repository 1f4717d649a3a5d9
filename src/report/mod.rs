//! Exporters and the report folder.
//!
//! Each exporter turns results into bytes (so it is tested without touching
//! the disk); [`write_report`] then writes the files of
//! `<out>/<scenario name>/` all or nothing ([`write_files`]): every file
//! goes to a temporary name in the same folder and is flushed to disk, and
//! only when all of them are there are they renamed over their final
//! names. A full disk or an interrupted run never leaves a truncated file
//! under a final name, nor a folder mixing a new report with an old one.

pub mod chart;
pub mod csv;
pub mod html;
pub mod json;
pub mod map_chart;
mod raster;
pub mod read;
pub mod requests;
pub mod sweep;
pub mod sweep_chart;
pub mod table;

use crate::Error;
use crate::experiment::ExperimentResult;
use crate::scenario::Scenario;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// Formats a number for reports: at most `decimals` decimals, trailing
/// zeros dropped, `.` as decimal point, empty for NaN (not applicable).
///
/// Rounding to a fixed number of decimals keeps results that are exact in
/// the model (4.2 s, a success rate of 0.25) exact in the file, instead of
/// showing the last-bit noise of averaging floats.
///
/// ```
/// use backsim::report::fmt_num;
/// assert_eq!(fmt_num(4.200000000000001, 9), "4.2");
/// assert_eq!(fmt_num(4250.0, 9), "4250");
/// assert_eq!(fmt_num(f64::NAN, 9), "");
/// assert_eq!(fmt_num(-0.0000000001, 9), "0");
/// ```
pub fn fmt_num(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return String::new();
    }
    let s = format!("{x:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// The folder a scenario's report goes to.
pub fn report_dir(out: &Path, scenario: &Scenario) -> PathBuf {
    out.join(&scenario.name)
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
            Ok(m) if m.is_dir() => return probe_writable(here),
            Ok(_) => {
                return Err(Error::Input(format!(
                    "error: {named} is a file, not a folder; {advice}"
                )));
            }
            Err(e) if e.kind() == ErrorKind::NotFound && fs::symlink_metadata(here).is_ok() => {
                return Err(Error::Input(format!(
                    "error: {named} is a symbolic link to nothing; {advice}"
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
/// reading the folder's metadata would not tell.
fn probe_writable(dir: &Path) -> Result<(), Error> {
    for n in 0..100 {
        let probe = dir.join(format!(".backsim-probe-{}-{n}", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&probe) {
            Ok(f) => {
                drop(f);
                return fs::remove_file(&probe).map_err(|e| Error::io(&probe, e));
            }
            // Someone else's file: never touch it, try another name.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Error::io(dir, e)),
        }
    }
    // A folder full of such names is writable enough; writing will tell.
    Ok(())
}

/// A file of a report: its name in the report folder and its bytes.
pub type ReportFile = (String, Vec<u8>);

/// The files of one report, and its data as read back from them. The
/// terminal table, the charts and the page are all made from the data
/// files as written (read back as `backsim plot` would), so that every
/// number shows the same everywhere and redrawing a report later gives the
/// same files.
pub fn render_report(
    scenario: &Scenario,
    result: &ExperimentResult,
    charts: bool,
) -> Result<(Vec<ReportFile>, read::ReportData), Error> {
    let mut data: Vec<(&str, Vec<u8>)> = vec![
        ("summary.csv", csv::summary_csv(scenario, result)),
        ("timeseries.csv", csv::timeseries_csv(scenario, result)),
        ("tts_cdf.csv", csv::tts_cdf_csv(scenario, result)),
        ("attempts.csv", csv::attempts_csv(scenario, result)),
        ("models.csv", csv::models_csv(scenario, result)),
        ("scenario.toml", scenario.to_toml().into_bytes()),
    ];
    if !result.requests.is_empty() {
        let runs: Vec<(&str, u32, &[crate::metrics::run::RequestRecord])> = result
            .requests
            .iter()
            .map(|r| {
                (
                    scenario.strategies[r.strategy].name.as_str(),
                    r.replication,
                    r.records.as_slice(),
                )
            })
            .collect();
        data.push((
            "requests.csv",
            requests::requests_csv(&scenario.name, &runs),
        ));
    }
    if let crate::scenario::WorkloadKind::Trace { rows } = &scenario.workload.kind {
        data.push((
            crate::scenario::TRACE_COPY,
            crate::scenario::trace::to_csv(rows),
        ));
    }
    let written = read::from_files(Path::new(&scenario.name), &data)
        .map_err(|e| Error::Run(format!("the report's own files do not read back: {e}")))?;
    let mut files = if charts {
        render_visuals(&written)?
    } else {
        Vec::new()
    };
    let mut all: Vec<ReportFile> = data.into_iter().map(|(n, b)| (n.to_string(), b)).collect();
    all.append(&mut files);
    Ok((all, written))
}

/// The names of the files [`render_visuals`] makes.
pub fn visual_files() -> Vec<String> {
    chart::Chart::ALL
        .iter()
        .flat_map(|c| c.files())
        .chain(["index.html".to_string()])
        .collect()
}

/// The charts (SVG and PNG) and `index.html` of a report.
pub fn render_visuals(data: &read::ReportData) -> Result<Vec<ReportFile>, Error> {
    use chart::{Chart, Frame};
    let mut files = Vec::new();
    let mut page_charts = Vec::new();
    for c in Chart::ALL {
        let svg = chart::render_svg(c, data, Frame::FILE)?;
        let narrow = chart::render_svg(c, data, Frame::NARROW)?;
        let [svg_file, png_file] = c.files();
        files.push((svg_file, svg.clone().into_bytes()));
        files.push((png_file, chart::render_png(c, data, Frame::FILE)?));
        page_charts.push(html::PageChart {
            chart: c,
            wide: svg,
            narrow,
        });
    }
    files.push((
        "index.html".to_string(),
        html::index_html(data, &page_charts).into_bytes(),
    ));
    Ok(files)
}

/// Writes `files` into `dir` (created if needed), all or nothing: each
/// file goes to a temporary name in `dir` and is flushed to disk; only
/// when every one of them is there are they renamed over their final
/// names. On a failure (a full disk, a file-size limit, a folder in the
/// way of a file) the temporary files and the folders this call created
/// are removed, so a report already in `dir` stays exactly as it was, and
/// the error names the file and the OS error. After Ctrl-C nothing is
/// written ([`Error::Interrupted`]); a Ctrl-C once it has begun lets it
/// finish, then stops ([`crate::interrupt::writing`]).
pub fn write_files(dir: &Path, files: &[ReportFile]) -> Result<(), Error> {
    crate::interrupt::writing(|| write_files_now(dir, files))
}

/// [`write_files`], then [`remove_stale`], as one uninterrupted write.
fn replace_report(dir: &Path, files: &[ReportFile]) -> Result<(), Error> {
    crate::interrupt::writing(|| {
        write_files_now(dir, files)?;
        remove_stale(dir, files)
    })
}

fn write_files_now(dir: &Path, files: &[ReportFile]) -> Result<(), Error> {
    let created = create_dirs(dir)?;
    let result = stage(files.iter().map(|(n, b)| (dir.join(n), b.as_slice())))
        .and_then(|staged| commit(dir, &staged));
    if result.is_err() {
        // `remove_dir` only removes empty folders: never a file.
        for d in &created {
            let _ = fs::remove_dir(d);
        }
    }
    result
}

/// Renders and writes the report of `scenario` under `out`; returns its
/// folder and its data as written. Without `charts`, charts and a page
/// left by an earlier run are removed once the new files are in place, so
/// that none contradicts the new numbers (and a failed write removes
/// nothing).
pub fn write_report(
    out: &Path,
    scenario: &Scenario,
    result: &ExperimentResult,
    charts: bool,
) -> Result<(PathBuf, read::ReportData), Error> {
    let dir = report_dir(out, scenario);
    let (files, data) = render_report(scenario, result, charts)?;
    replace_report(&dir, &files)?;
    Ok((dir, data))
}

/// Every file name a report folder may hold: a run's and a sweep's.
fn report_file_names() -> Vec<String> {
    let mut names: Vec<String> = read::INPUT_FILES
        .iter()
        .chain(&["sweep.csv", "requests.csv", crate::scenario::TRACE_COPY])
        .map(|s| s.to_string())
        .collect();
    names.extend(visual_files());
    names.extend(sweep_visual_files());
    names
}

/// Removes the files of a report folder that the report just written
/// (`files`) does not include: charts after `--no-charts`, a run's files
/// after a sweep and the other way round, so that nothing left from an
/// earlier report contradicts the new one.
fn remove_stale(dir: &Path, files: &[ReportFile]) -> Result<(), Error> {
    for name in report_file_names() {
        if files.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let path = dir.join(&name);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::io(&path, e));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The sweep charts and page's file names.
fn sweep_visual_files() -> Vec<String> {
    sweep_chart::visual_files()
}

/// The files and data of a sweep report made of `rows` (every point, in
/// order): the data files, then, with `charts`, the charts and page drawn
/// from those files read back.
pub fn render_sweep_report(
    base: &Scenario,
    rows: &[sweep::PointRows],
    charts: bool,
) -> Result<(Vec<ReportFile>, sweep::SweepData), Error> {
    let mut files = sweep::data_files(base, rows);
    let (_, data) = sweep::from_files(Path::new(&base.name), &files)
        .map_err(|e| Error::Run(format!("the report's own files do not read back: {e}")))?;
    if charts {
        files.extend(sweep_chart::render_visuals(&data)?);
    }
    Ok((files, data))
}

/// Renders and writes a sweep report under `out`; returns its folder and
/// data as written.
pub fn write_sweep_report(
    out: &Path,
    base: &Scenario,
    rows: &[sweep::PointRows],
    charts: bool,
) -> Result<(PathBuf, sweep::SweepData), Error> {
    let dir = report_dir(out, base);
    let (files, data) = render_sweep_report(base, rows, charts)?;
    replace_report(&dir, &files)?;
    Ok((dir, data))
}

/// Writes the partial report of one shard of a sweep into `dir`.
pub fn write_partial(
    dir: &Path,
    base: &Scenario,
    rows: &[sweep::PointRows],
    info: &sweep::ShardInfo,
) -> Result<(), Error> {
    let mut files = sweep::data_files(base, rows);
    files.push((sweep::SHARD_FILE.to_string(), info.to_toml().into_bytes()));
    write_files(dir, &files)
}

/// Reads files `names` of the report folder `dir`, and the copy of a
/// trace if there is one (parsing `scenario.toml` says so if it is
/// missing). `needs` ends the message when a file cannot be read: what
/// the folder should be.
pub fn read_files(dir: &Path, names: &[&str], needs: &str) -> Result<Vec<ReportFile>, Error> {
    let mut files = Vec::new();
    for name in names {
        let path = dir.join(name);
        let bytes = std::fs::read(&path).map_err(|e| {
            Error::Input(format!(
                "error: cannot read {}: {e}; {needs}",
                path.display()
            ))
        })?;
        files.push((name.to_string(), bytes));
    }
    if let Ok(bytes) = std::fs::read(dir.join(crate::scenario::TRACE_COPY)) {
        files.push((crate::scenario::TRACE_COPY.to_string(), bytes));
    }
    Ok(files)
}

/// Reads the report in `dir` (a run's or a sweep's) and draws its charts
/// and page again.
pub fn redraw(dir: &Path) -> Result<Vec<ReportFile>, Error> {
    if !dir.join("sweep.csv").is_file() {
        let data = read::read_dir(dir)?;
        return render_visuals(&data);
    }
    let mut files = read_files(
        dir,
        &["scenario.toml", "sweep.csv"],
        "`backsim plot` needs a report folder written by `backsim sweep`",
    )?;
    // The recovered shares are only in `summary.csv`; reading the
    // scenario says whether they are needed (and that it is missing).
    let summary = dir.join("summary.csv");
    if summary.is_file() {
        let bytes = std::fs::read(&summary).map_err(|e| Error::io(&summary, e))?;
        files.push(("summary.csv".to_string(), bytes));
    }
    let (_, data) = sweep::from_files(dir, &files)?;
    sweep_chart::render_visuals(&data)
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
/// rename is atomic), and unique to this process.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "report".into(), |n| n.to_string_lossy());
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
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

/// Renames every staged file over its final name. Renaming within one
/// folder needs no disk space, so once every file is staged this does
/// not fail in practice; if a rename fails anyway, the files not yet
/// renamed are removed and the error names the file.
fn commit(dir: &Path, staged: &[Staged]) -> Result<(), Error> {
    for (i, s) in staged.iter().enumerate() {
        if let Err(e) = fs::rename(&s.tmp, &s.path) {
            discard(&staged[i..]);
            return Err(Error::io(&s.path, e));
        }
    }
    // Makes the renames survive a power loss. The report is complete and
    // in place whatever this returns, so a failure is not an error.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

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

    fn file(name: &str, bytes: &str) -> ReportFile {
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
        assert_eq!(listing(tmp.path()).keys().collect::<Vec<_>>(), ["kept"]);
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
}
