//! The one error type of backsim, and the exit code each kind maps to.
//! Every message it displays starts with `error: ` (or, for a stop asked
//! for with Ctrl-C, `interrupted: `): the variants hold what follows.

use crate::diagnostic::ScenarioError;
use std::fmt;
use std::path::{Path, PathBuf};

/// Everything that can go wrong.
#[derive(Debug)]
pub enum Error {
    /// Wrong input (bad flag value, unreadable file, conflicting
    /// scenarios). The message says what and what would do, without the
    /// `error: ` every message of backsim starts with. Exit code 2.
    Input(String),
    /// Problems in a scenario file, with positions. Exit code 2.
    Scenario(ScenarioError),
    /// Reading or writing a file failed while running. Exit code 1.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Something else failed while running; the message as for
    /// [`Error::Input`]. Exit code 1.
    Run(String),
    /// Everything wrong with several inputs at once (each scenario file
    /// of a `run` or `check`), one after the other. Exit code 2 when all
    /// of them are wrong input.
    Several(Vec<Error>),
    /// Stopped by Ctrl-C or SIGTERM before anything was written. Exit
    /// code 130, as a shell reports a process ended by SIGINT.
    Interrupted,
    /// Stopped by Ctrl-C or SIGTERM that came while a report folder was
    /// being written: that report was finished whole, nothing after it
    /// was run or written. Exit code 130.
    InterruptedAfterWriting,
}

impl Error {
    /// An I/O failure on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The process exit code: 2 when the input is wrong (and nothing was
    /// written), 1 when running or writing failed.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_) | Error::Scenario(_) => 2,
            Error::Io { .. } | Error::Run(_) => 1,
            Error::Several(errors) => errors.iter().map(Error::exit_code).min().unwrap_or(2),
            Error::Interrupted | Error::InterruptedAfterWriting => 130,
        }
    }
}

impl Error {
    /// The message as printed on stderr: as displayed, with control
    /// characters escaped ([`crate::terminal::safe`]); with `color`, the
    /// `error:` labels in colour and a scenario's problems drawn in colour
    /// ([`ScenarioError::render`]).
    pub fn render(&self, color: bool) -> String {
        match self {
            Error::Scenario(e) => e.render(color),
            Error::Several(errors) => errors
                .iter()
                .map(|e| e.render(color))
                .collect::<Vec<_>>()
                .join("\n"),
            _ => {
                let text = self.to_string();
                let text = crate::terminal::safe(&text);
                match text.strip_prefix("error: ") {
                    Some(rest) if color => {
                        format!("{}{rest}", crate::terminal::error_label(true))
                    }
                    _ => text.into_owned(),
                }
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Input(msg) | Error::Run(msg) => write!(f, "error: {msg}"),
            Error::Several(errors) => {
                for (i, e) in errors.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{e}")?;
                }
                Ok(())
            }
            Error::Scenario(e) => write!(f, "{e}"),
            Error::Io { path, source } => write!(f, "error: {}: {source}", path.display()),
            Error::Interrupted => write!(
                f,
                "interrupted: stopped before writing; reports already in place are unchanged"
            ),
            Error::InterruptedAfterWriting => write!(
                f,
                "interrupted: stopped once the report being written was complete; nothing after it was run or written"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Scenario(e) => Some(e),
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
