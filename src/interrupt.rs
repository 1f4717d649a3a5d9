//! Stopping on Ctrl-C (SIGINT) or SIGTERM without leaving a half-written
//! report. The binary installs a handler that only records the request;
//! the event loop looks at it every 65,536 events and ends its run early,
//! the experiment then returns [`Error::Interrupted`] instead of results,
//! and nothing is written: a report already in place stays as it was, and
//! no temporary file is left. A report folder whose writing has begun is
//! finished first, and the stop comes right after it
//! ([`Error::InterruptedAfterWriting`]; see [`writing`]). A second Ctrl-C
//! exits at once, unless a report folder is being written: signals that
//! come while one is pending are merged into it, so they are not counted
//! on there.
//!
//! Library users who never call [`install`] are unaffected.

use crate::Error;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);
/// Signals the handler has seen.
static SIGNALS: AtomicU32 = AtomicU32::new(0);
/// Report folders being written right now (see [`writing`]).
static WRITING: AtomicU32 = AtomicU32::new(0);
/// Simulations running right now (see [`simulating`]).
static SIMULATING: AtomicU32 = AtomicU32::new(0);

/// Routes Ctrl-C and SIGTERM to [`requested`]. A second signal exits with
/// code 130 at once, unless a report folder is being written, which then
/// stops the process as soon as it is (see [`writing`]). Fails only if
/// another handler was installed.
pub fn install() -> Result<(), String> {
    // The handler runs on a thread of its own, not in a signal context.
    ctrlc::set_handler(|| {
        let signals = SIGNALS.fetch_add(1, Ordering::SeqCst) + 1;
        REQUESTED.store(true, Ordering::SeqCst);
        let writing = WRITING.load(Ordering::SeqCst);
        if exits_now(signals, writing) {
            std::process::exit(130);
        }
        // Reading and checking input, or waiting for another backsim's
        // lock: nothing to finish and nothing to clean up, and the long
        // reads there (a trace of gigabytes) do not look at the request.
        if writing == 0 && SIMULATING.load(Ordering::SeqCst) == 0 {
            let _ = writeln!(std::io::stderr(), "{}", Error::Interrupted);
            std::process::exit(130);
        }
    })
    .map_err(|e| e.to_string())
}

/// Whether the `signals`-th signal ends the process at once while
/// `writing` report folders are being written.
fn exits_now(signals: u32, writing: u32) -> bool {
    signals >= 2 && writing == 0
}

/// Runs `write`, which writes one report folder all or nothing, unless a
/// stop was asked for before it began (then [`Error::Interrupted`], and
/// nothing is written). A stop asked for while it runs lets it finish and
/// then comes: [`Error::InterruptedAfterWriting`] (or `write`'s own error,
/// if it failed).
pub fn writing<T>(write: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    // Counted before looking at the request, and the handler looks at the
    // count after recording it (both sequentially consistent): either this
    // sees the request and writes nothing, or the handler sees the write
    // and does not exit in the middle of it.
    WRITING.fetch_add(1, Ordering::SeqCst);
    let result = if REQUESTED.load(Ordering::SeqCst) {
        Err(Error::Interrupted)
    } else {
        write()
    };
    WRITING.fetch_sub(1, Ordering::SeqCst);
    match result {
        Ok(_) if REQUESTED.load(Ordering::SeqCst) => Err(Error::InterruptedAfterWriting),
        other => other,
    }
}

/// Runs `simulate`, during which a stop asked for is left to the runs,
/// which look at it every 65,536 events and end tidily (outside of it and
/// of [`writing`], Ctrl-C stops backsim at once).
pub fn simulating<T>(simulate: impl FnOnce() -> T) -> T {
    SIMULATING.fetch_add(1, Ordering::SeqCst);
    let result = simulate();
    SIMULATING.fetch_sub(1, Ordering::SeqCst);
    result
}

/// True once a stop was asked for.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// `Err(Error::Interrupted)` once a stop was asked for.
pub fn check() -> Result<(), Error> {
    if requested() {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_signal_exits_at_once_unless_a_report_is_being_written() {
        assert!(!exits_now(1, 0), "the first signal only asks");
        assert!(!exits_now(1, 1));
        assert!(exits_now(2, 0), "nothing being written: at once");
        assert!(!exits_now(2, 1), "a report folder being written: after it");
        assert!(!exits_now(3, 1));
    }
}
