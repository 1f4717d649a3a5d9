//! All or nothing: every file is written to a temporary name in the
//! folder and flushed, then all are renamed over their final names; on a
//! failure the temporary files and the folders made for the report go.

use crate::Error;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

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
pub(crate) fn create_dirs(dir: &Path) -> Result<Vec<PathBuf>, Error> {
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
pub(crate) struct Staged {
    pub(super) tmp: PathBuf,
    pub(super) path: PathBuf,
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
pub(crate) fn stage<'a>(
    files: impl Iterator<Item = (PathBuf, &'a [u8])>,
) -> Result<Vec<Staged>, Error> {
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
pub(crate) fn commit(dir: &Path, now: &[Staged], all: &[Staged]) -> Result<(), Error> {
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
pub(crate) fn discard(staged: &[Staged]) {
    for s in staged {
        let _ = fs::remove_file(&s.tmp);
    }
}
