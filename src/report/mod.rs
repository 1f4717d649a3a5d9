//! Reports: what `run`, `sweep`, `merge` and `plot` write, and what
//! `diff` reads. This module puts a report together from its parts, which
//! import one way (no part imports a part above it; a part may use the
//! names this module shows, such as the file names of a report):
//!
//! - [`plot`]: the plotting kit every chart is drawn with;
//! - [`page`]: the page writer the run and sweep pages share;
//! - [`folder`]: where a report folder may go and how it is written;
//! - [`run`]: one run's report (data files, charts, table, findings, page);
//! - [`sweep`]: a sweep's report, built on the run's columns and reader;
//! - [`diff`]: `backsim diff`, reading run and sweep reports;
//! - [`tune`]: a tune's report, its data files and charts.
//!
//! Each exporter turns results into bytes (so it is tested without touching
//! the disk); [`write_report`] then writes the files of
//! `<out>/<scenario name>/` through [`folder`]: all or nothing, one writer
//! at a time, and only over a report of the same kind of the same scenario
//! file. A full disk or an interrupted run never leaves a truncated file
//! under a final name, nor a folder mixing a new report with an old one.

pub mod diff;
pub mod folder;
pub mod page;
pub mod plot;
pub mod run;
pub mod sweep;
pub mod tune;

use crate::Error;
use crate::experiment::ExperimentResult;
pub use crate::format::fmt_num;
use crate::scenario::Scenario;
pub use folder::ReportFile;
use folder::{Kind, Writer};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The folder a scenario's report goes to.
pub fn report_dir(out: &Path, scenario: &Scenario) -> PathBuf {
    out.join(&scenario.name)
}

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
    let data = export::data_files(scenario, result);
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

/// The file of `backsim run --requests`.
pub use run::export::requests::REQUESTS_FILE;
use run::{export, read};

/// The names of the files [`render_report`] makes for `scenario`, known
/// before it runs: with `requests`, `requests.csv`; with `charts`, the
/// charts and page.
pub fn run_file_names(scenario: &Scenario, requests: bool, charts: bool) -> Vec<String> {
    let mut names = export::file_names(scenario, requests);
    if charts {
        names.extend(visual_files_for(scenario));
    }
    names
}

/// The names of the files [`render_sweep_report`] makes for `base`, known
/// before it runs.
pub fn sweep_file_names(base: &Scenario, charts: bool) -> Vec<String> {
    let mut names = sweep::data_file_names(base);
    if charts {
        names.extend(sweep::page::visual_files_for(base));
    }
    names
}

/// The names of the files of a shard's partial report of `base`.
pub fn partial_file_names(base: &Scenario) -> Vec<String> {
    let mut names = sweep::data_file_names(base);
    names.push(sweep::SHARD_FILE.to_string());
    names
}

/// Every file name a report folder of any kind may hold: a run's, a
/// sweep's, a shard's. backsim only ever removes files of these names.
pub fn known_file_names() -> BTreeSet<String> {
    let mut names: BTreeSet<String> = read::INPUT_FILES
        .iter()
        .chain(&["sweep.csv", sweep::SHARD_FILE])
        .copied()
        .chain(export::all_file_names())
        .map(|s| s.to_string())
        .collect();
    names.extend(drawable_file_names());
    names.extend(tune_file_names(true));
    names
}

/// A tune report's table of candidates.
pub const TUNE_CSV: &str = "tune.csv";
/// A tune report's recommended `[[strategy]]` block.
pub const TUNE_TOML: &str = "recommended.toml";
/// The resolved scenario the candidates of a tune ran in (its own
/// strategies, no `[sweep]` or `[tune]`).
pub const TUNE_SCENARIO: &str = "scenario.toml";

/// The names of a tune report's files, known before it runs.
pub fn tune_file_names(charts: bool) -> Vec<String> {
    let mut names: Vec<String> = [TUNE_CSV, TUNE_TOML, TUNE_SCENARIO]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if charts {
        names.extend(tune::chart::file_names());
    }
    names
}

/// Every chart and page name a redraw (`backsim plot`) can write, of a
/// run's or a sweep's report: those of them a folder's manifest lists
/// that the redraw does not make are an earlier drawing's, and go.
pub fn drawable_file_names() -> BTreeSet<String> {
    visual_files()
        .into_iter()
        .chain(sweep::page::visual_files())
        .collect()
}

/// A writer of a report of `kind` of the scenario `scenario` from the file
/// `source` ([`Writer::new`] with every report file name).
pub fn writer(kind: Kind, scenario: &str, source: &Path) -> Writer {
    Writer::new(kind, scenario, source, known_file_names())
}

/// The names of every file [`render_visuals`] can make.
pub fn visual_files() -> Vec<String> {
    run::chart::Chart::ALL
        .iter()
        .flat_map(|c| c.files())
        .chain(["index.html".to_string()])
        .collect()
}

/// The names of the files [`render_visuals`] makes for a report of
/// `scenario`: the charts it draws ([`run::chart::Chart::drawn_for`]; a chart
/// that would show nothing is left out) and the page.
pub fn visual_files_for(scenario: &Scenario) -> Vec<String> {
    run::chart::Chart::drawn_for(scenario)
        .iter()
        .flat_map(|c| c.files())
        .chain(["index.html".to_string()])
        .collect()
}

/// The charts (SVG and PNG) and `index.html` of a report: the files
/// [`visual_files_for`] names.
pub fn render_visuals(data: &read::ReportData) -> Result<Vec<ReportFile>, Error> {
    use plot::Frame;
    use run::chart::{self, Chart};
    let mut files = Vec::new();
    let mut page_charts = Vec::new();
    for c in Chart::drawn_for(&data.scenario) {
        let svg = chart::render_svg(c, data, Frame::FILE)?;
        let narrow = chart::render_svg(c, data, Frame::NARROW)?;
        let [svg_file, png_file] = c.files();
        files.push((svg_file, svg.clone().into_bytes()));
        files.push((png_file, chart::render_png(c, data, Frame::FILE)?));
        page_charts.push(run::page::PageChart {
            chart: c,
            wide: svg,
            narrow,
        });
    }
    files.push((
        "index.html".to_string(),
        run::page::index_html(data, &page_charts).into_bytes(),
    ));
    Ok(files)
}

/// Renders and writes the report of `scenario` under `out` for `writer`
/// ([`folder::write`]); returns its folder and its data as written.
/// `rendered` is asked once the files are made, before any is written
/// (an error there writes nothing: memory over the limit). Without
/// `charts`, charts and a page left by an earlier run are removed once the
/// new files are in place, so that none contradicts the new numbers (and
/// a failed write removes nothing).
pub fn write_report(
    out: &Path,
    scenario: &Scenario,
    result: &ExperimentResult,
    charts: bool,
    writer: &Writer,
    rendered: impl FnOnce() -> Result<(), Error>,
) -> Result<(PathBuf, read::ReportData), Error> {
    let dir = report_dir(out, scenario);
    let (files, data) = render_report(scenario, result, charts)?;
    rendered()?;
    folder::write(&dir, writer, &files)?;
    Ok((dir, data))
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
        files.extend(sweep::page::render_visuals(&data)?);
    }
    Ok((files, data))
}

/// Renders and writes a sweep report under `out` for `writer`; returns
/// its folder and data as written. `rendered` as for [`write_report`].
pub fn write_sweep_report(
    out: &Path,
    base: &Scenario,
    rows: &[sweep::PointRows],
    charts: bool,
    writer: &Writer,
    rendered: impl FnOnce() -> Result<(), Error>,
) -> Result<(PathBuf, sweep::SweepData), Error> {
    let dir = report_dir(out, base);
    let (files, data) = render_sweep_report(base, rows, charts)?;
    rendered()?;
    folder::write(&dir, writer, &files)?;
    Ok((dir, data))
}

/// Writes the partial report of one shard of a sweep into `dir` for
/// `writer`.
pub fn write_partial(
    dir: &Path,
    base: &Scenario,
    rows: &[sweep::PointRows],
    info: &sweep::ShardInfo,
    writer: &Writer,
) -> Result<(), Error> {
    let mut files = sweep::data_files(base, rows);
    files.push((sweep::SHARD_FILE.to_string(), info.to_toml().into_bytes()));
    folder::write(dir, writer, &files)
}

/// Whether `dir` holds a report `backsim plot` draws: a run's or a
/// sweep's (its resolved scenario and `summary.csv` or `sweep.csv`), not
/// a shard's partial report.
fn is_report(dir: &Path) -> bool {
    dir.join("scenario.toml").is_file()
        && (dir.join("summary.csv").is_file() || dir.join("sweep.csv").is_file())
        && !dir.join(sweep::SHARD_FILE).is_file()
}

/// The report folders `backsim plot DIR` draws: `dir` itself when it is
/// a report ([`is_report`]); otherwise every report below it, at any
/// depth, in sorted order, without entering a report, a hidden folder
/// or a symbolic link; `dir` itself again when none is below it, so
/// that reading it says what it lacks.
pub fn reports_in(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    if is_report(dir) || !dir.is_dir() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut inner = Vec::new();
        for entry in std::fs::read_dir(&d).map_err(|e| Error::io(&d, e))? {
            let entry = entry.map_err(|e| Error::io(&d, e))?;
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir && !hidden {
                inner.push(entry.path());
            }
        }
        for p in inner {
            if is_report(&p) {
                found.push(p);
            } else {
                stack.push(p);
            }
        }
    }
    if found.is_empty() {
        return Ok(vec![dir.to_path_buf()]);
    }
    found.sort();
    Ok(found)
}

/// A report read back from its folder: a run's or a sweep's.
enum Read {
    Run(Box<read::ReportData>),
    Sweep(sweep::SweepData),
}

/// Reads the report in `dir` (a run's or a sweep's), as `backsim plot`
/// would before drawing it: an error if it cannot be drawn.
pub fn read_any(dir: &Path) -> Result<(), Error> {
    read_report(dir).map(|_| ())
}

/// Reads the report in `dir` (a run's or a sweep's) and draws its charts
/// and page again.
pub fn redraw(dir: &Path) -> Result<Vec<ReportFile>, Error> {
    match read_report(dir)? {
        Read::Run(data) => render_visuals(&data),
        Read::Sweep(data) => sweep::page::render_visuals(&data),
    }
}

fn read_report(dir: &Path) -> Result<Read, Error> {
    if !dir.join("sweep.csv").is_file() {
        return read::read_dir(dir).map(|d| Read::Run(Box::new(d)));
    }
    let mut files = folder::read_files(
        dir,
        &["scenario.toml", "sweep.csv"],
        "`backsim plot` needs a report folder written by `backsim sweep`",
    )?;
    // The recovered shares are only in `summary.csv`; reading the
    // scenario says whether they are needed (and that it is missing).
    let summary = dir.join("summary.csv");
    if summary.is_file() {
        let bytes = folder::read_report_file(&summary).map_err(|e| Error::io(&summary, e))?;
        files.push(("summary.csv".to_string(), bytes));
    }
    let (_, data) = sweep::from_files(dir, &files)?;
    Ok(Read::Sweep(data))
}
