//! A report folder's manifest (`report.toml`): what wrote the folder
//! (kind, scenario, scenario file) and which files are its, as written
//! and read back; who holds a folder, and how its sources are recorded.

use super::paths::*;
use super::*;
use crate::Error;
use std::ffi::{OsStr, OsString};
use std::fs::{self};
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

/// A report folder's manifest.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Manifest {
    pub(super) version: String,
    pub(super) kind: Kind,
    pub(super) scenario: String,
    /// The scenario file, relative to the folder (or absolute when no
    /// relative path leads there).
    pub(super) file: Option<String>,
    /// The files of the report, sorted.
    pub(super) files: Vec<String>,
}

impl Manifest {
    pub(super) fn to_toml(&self) -> String {
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
    pub(super) fn parse(text: &str) -> Option<Manifest> {
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
pub(crate) enum Holder {
    /// No manifest.
    Nobody,
    /// A manifest that cannot be read (not backsim's, or damaged).
    Unreadable(String),
    Report(Manifest),
}

pub(crate) fn holder(dir: &Path) -> Result<Holder, Error> {
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

pub(crate) fn other_report(dir: &Path, old: &Manifest, writer: &Writer) -> Error {
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

pub(crate) fn not_written_by_backsim(
    dir: &Path,
    names: &[&str],
    unreadable: Option<&str>,
) -> Error {
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

/// The scenario file a manifest in `dir` names, resolved.
pub(crate) fn recorded(dir: &Path, file: &str) -> PathBuf {
    resolved(&resolved(dir).join(decoded(file)))
}

/// Whether the manifest's scenario file is the writer's: the same file,
/// or neither known (a scenario read from a pipe, shards an older backsim
/// wrote).
pub(crate) fn same_source(dir: &Path, old: &Manifest, writer: &Writer) -> bool {
    match (&old.file, &writer.source) {
        (Some(file), Some(source)) => recorded(dir, file) == resolved(source),
        (None, None) => true,
        _ => false,
    }
}

/// The scenario file a manifest names, for messages: as a path from the
/// current folder when it is below it (`scenarios/herd.toml`), else in
/// full.
pub(crate) fn shown_source(dir: &Path, file: &str) -> String {
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

/// A part of a path as a manifest writes it: its exact bytes, so that no
/// two files are confused; `%` and bytes that are not UTF-8 are written
/// as `%XX` (a TOML string holds only UTF-8).
pub(crate) fn encoded(part: &OsStr) -> String {
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
pub(crate) fn decoded(file: &str) -> PathBuf {
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

pub(crate) fn slashed(path: &Path) -> String {
    let parts: Vec<String> = path.components().map(|c| encoded(c.as_os_str())).collect();
    let joined = parts.join("/");
    if path.has_root() && !joined.starts_with('/') {
        // A Windows prefix and root; keep the system's spelling.
        path.to_string_lossy().into_owned()
    } else {
        joined.replacen("//", "/", 1)
    }
}
