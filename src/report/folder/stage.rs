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

/// Writes every file to its temporary name, then flushes them all to
/// disk ([`flush_all`]); on a failure of either step removes every
/// temporary file and returns the error on the final name of the file
/// that failed (the first, in order, whose write or flush failed).
pub(crate) fn stage<'a>(
    files: impl Iterator<Item = (PathBuf, &'a [u8])>,
) -> Result<Vec<Staged>, Error> {
    stage_with(files, flush_all)
}

/// [`stage`], flushing the written files with `flush`.
fn stage_with<'a>(
    files: impl Iterator<Item = (PathBuf, &'a [u8])>,
    flush: impl FnOnce(&[File]) -> Result<(), (usize, std::io::Error)>,
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
    if let Err((i, e)) = flush(&open) {
        discard(&staged);
        return Err(Error::io(&staged[i].path, e));
    }
    Ok(staged)
}

/// The most threads [`flush_all`] flushes files on at once.
const FLUSHING_THREADS: usize = 16;

/// Flushes the files `files` to disk, on up to [`FLUSHING_THREADS`]
/// threads: the disk's writes of several files overlap, so that a
/// report's files are flushed in about the time of a few. On a failure,
/// the index of the first file (in order) whose flush failed, and why; a
/// file after it may not have been flushed.
fn flush_all(files: &[File]) -> Result<(), (usize, std::io::Error)> {
    flush_chunks(files, |_| true)
}

/// [`flush_all`], with chunk `c` of the files on a thread of its own if
/// `threaded(c)` and one can be had, else in the calling thread once the
/// others have started.
fn flush_chunks(
    files: &[File],
    threaded: impl Fn(usize) -> bool,
) -> Result<(), (usize, std::io::Error)> {
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
        // In chunk order: a chunk's thread, or the chunk to flush here.
        let chunks: Vec<_> = files
            .chunks(per)
            .enumerate()
            .map(|(c, chunk)| {
                let job = move || flush(c * per, chunk);
                match threaded(c).then(|| std::thread::Builder::new().spawn_scoped(s, job)) {
                    Some(Ok(thread)) => Ok(thread),
                    _ => Err(job),
                }
            })
            .collect();
        // The first error in chunk order; the scope joins the threads
        // not reached, and a chunk after a failure need not be flushed
        // (every temporary file is then removed).
        chunks.into_iter().try_for_each(|c| match c {
            Ok(thread) => thread
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            Err(job) => job(),
        })
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

    /// `n` files of one byte in `dir`, with `/dev/null` (whose flush Linux
    /// refuses with EINVAL) at the places `bad`.
    fn files(dir: &Path, n: usize, bad: &[usize]) -> Vec<File> {
        (0..n)
            .map(|i| {
                if bad.contains(&i) {
                    return OpenOptions::new().write(true).open("/dev/null").unwrap();
                }
                let mut f = File::create(dir.join(format!("f{i}"))).unwrap();
                f.write_all(b"x").unwrap();
                f
            })
            .collect()
    }

    /// More files than threads (three to a chunk): a failure names the
    /// first file, in order, whose flush failed, whether its chunk and the
    /// later ones had threads of their own or were flushed in the calling
    /// thread (as when no thread can be had); a file in the last chunk is
    /// reached; a single file is flushed with no thread.
    #[test]
    #[cfg(target_os = "linux")]
    fn a_failed_flush_names_the_first_file_that_failed() {
        let dir = tempfile::tempdir().unwrap();
        let n = 2 * FLUSHING_THREADS + 8;
        assert!(flush_all(&files(dir.path(), n, &[])).is_ok());
        for here in [None, Some(1), Some(11)] {
            let threaded = |c: usize| Some(c) != here;
            let (i, e) = flush_chunks(&files(dir.path(), n, &[5, 33]), threaded).unwrap_err();
            assert_eq!((i, e.kind()), (5, ErrorKind::InvalidInput), "{here:?}");
            let (i, _) = flush_chunks(&files(dir.path(), n, &[39]), threaded).unwrap_err();
            assert_eq!(i, 39, "{here:?}");
        }
        assert!(flush_chunks(&files(dir.path(), n, &[]), |_| false).is_ok());
        assert_eq!(flush_all(&files(dir.path(), 1, &[0])).unwrap_err().0, 0);
    }

    /// A flush that fails: the error names the file's final name, and no
    /// temporary file is left; nothing was renamed.
    #[test]
    fn a_failed_flush_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let names = ["a.csv", "b.csv", "c.csv"];
        let files = names.iter().map(|n| (dir.path().join(n), &b"1,2\n"[..]));
        let failed = stage_with(files, |open| {
            assert_eq!(open.len(), 3);
            Err((1, std::io::Error::other("disk gone")))
        });
        let Err(Error::Io { path, .. }) = failed else {
            panic!("expected an I/O error, got {:?}", failed.err());
        };
        assert_eq!(path, dir.path().join("b.csv"));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
