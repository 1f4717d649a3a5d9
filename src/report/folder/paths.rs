//! Path arithmetic for report folders: a path resolved through links as
//! far as it exists, normalised without the file system, and one path
//! relative to another.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Component, Path, PathBuf};

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
pub(crate) fn normalized(path: &Path) -> PathBuf {
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
pub(crate) fn relative(from: &Path, to: &Path) -> PathBuf {
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
