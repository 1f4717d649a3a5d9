//! One writer at a time: the advisory lock on a folder's lock file, held
//! while a write runs, and the removal of temporary files a killed
//! backsim left.

use super::*;
use crate::Error;
use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// Runs `prepare`, then `write` with what it made, on `dir` (created if
/// needed) while holding its lock; `write` as one uninterrupted write
/// ([`crate::interrupt::writing`]). On a failure the folders this call
/// created are removed again (if empty).
pub(crate) fn locked<T>(
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
pub(crate) struct Lock {
    pub(super) path: PathBuf,
    pub(super) file: File,
}

impl Lock {
    /// Takes the lock of `dir`, waiting for another writer to finish
    /// (saying so unless `quiet`); a stop asked for while waiting ends the
    /// wait with [`Error::Interrupted`].
    pub(super) fn take(dir: &Path, quiet: bool) -> Result<Lock, Error> {
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
    pub(super) fn release(self) {
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
pub(crate) fn remove_stale_temporaries(dir: &Path, known: &BTreeSet<String>) -> Result<(), Error> {
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
