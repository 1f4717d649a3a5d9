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
    let mut open: Vec<File> = Vec::new();
    for (path, bytes) in files {
        let tmp = temp_path(&path);
        match write_temp(&tmp, &path, bytes) {
            Ok(f) => open.push(f),
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                discard(&staged);
                return Err(Error::io(&path, e));
            }
        }
        staged.push(Staged { tmp, path });
    }
    if let Err((i, e)) = flush_all(&open) {
        discard(&staged);
        return Err(Error::io(&staged[i].path, e));
    }
    Ok(staged)
}

/// The most threads [`flush_all`] flushes files on at once.
const FLUSHING_THREADS: usize = 16;

/// Flushes every file of `files` to disk, on up to [`FLUSHING_THREADS`]
/// threads (in this one where a thread cannot be had): the disk's writes
/// of several files overlap, so that a report's files are flushed in
/// about the time of a few. On a failure, the index of a file that
/// failed, and why.
fn flush_all(files: &[File]) -> Result<(), (usize, std::io::Error)> {
    let flush = |first: usize, chunk: &[File]| {
        (first..)
            .zip(chunk)
            .try_for_each(|(i, f)| f.sync_all().map_err(|e| (i, e)))
    };
    if files.len() < 2 {
        return flush(0, files);
    }
    let per = files.len().div_ceil(FLUSHING_THREADS);
    std::thread::scope(|s| {
        let mut running = Vec::new();
        let mut result = Ok(());
        for (c, chunk) in files.chunks(per).enumerate() {
            let first = c * per;
            match std::thread::Builder::new().spawn_scoped(s, move || flush(first, chunk)) {
                Ok(h) => running.push(h),
                Err(_) => result = result.and(flush(first, chunk)),
            }
        }
        for h in running {
            result = result.and(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        result
    })
}

fn write_temp(tmp: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<File> {
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
    Ok(f)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// More files than threads: every one is flushed, and a failure names
    /// the first file (in order) that failed. A file that cannot be
    /// flushed: `/dev/null`, whose `fsync` Linux refuses (EINVAL).
    #[test]
    #[cfg(target_os = "linux")]
    fn flushes_every_file_and_names_the_first_that_fails() {
        let dir = tempfile::tempdir().unwrap();
        let files = |bad: &[usize]| -> Vec<File> {
            (0..2 * FLUSHING_THREADS + 8)
                .map(|i| {
                    if bad.contains(&i) {
                        return OpenOptions::new().write(true).open("/dev/null").unwrap();
                    }
                    let mut f = File::create(dir.path().join(format!("f{i}"))).unwrap();
                    f.write_all(b"x").unwrap();
                    f
                })
                .collect()
        };
        assert!(flush_all(&files(&[])).is_ok());
        let (i, e) = flush_all(&files(&[5, 33])).unwrap_err();
        assert_eq!((i, e.kind()), (5, ErrorKind::InvalidInput));
        let (i, _) = flush_all(&files(&[39])).unwrap_err();
        assert_eq!(i, 39);
        assert_eq!(flush_all(&files(&[0])[..1]).unwrap_err().0, 0);
    }
}
