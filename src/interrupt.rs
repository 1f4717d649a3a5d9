//! Stopping on Ctrl-C (SIGINT) or SIGTERM without leaving a half-written
//! report. The binary installs a handler that only records the request;
//! the event loop looks at it every 65,536 events and ends its run early,
//! the experiment then returns [`Error::Interrupted`] instead of results,
//! and nothing is written: a report already in place stays as it was, and
//! no temporary file is left. A report folder whose writing has begun is
//! finished first (see [`writing`]). A second Ctrl-C exits at once, or
//! right after the report folder being written, if any.
//!
//! Library users who never call [`install`] are unaffected.

use crate::Error;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);
/// Signals received so far.
static SIGNALS: AtomicU32 = AtomicU32::new(0);
/// Report folders being written right now (see [`writing`]).
static WRITING: AtomicU32 = AtomicU32::new(0);

/// Routes Ctrl-C and SIGTERM to [`requested`]. A second signal exits with
/// code 130 at once, or, while a report folder is being written, as soon
/// as it is (a fraction of a second), so that no temporary file is left;
/// a third exits at once whatever is going on. Fails only if another
/// handler was installed.
pub fn install() -> Result<(), String> {
    // The handler runs on a thread of its own, not in a signal context.
    ctrlc::set_handler(|| {
        let signals = SIGNALS.fetch_add(1, Ordering::SeqCst) + 1;
        REQUESTED.store(true, Ordering::SeqCst);
        if exits_now(signals, WRITING.load(Ordering::SeqCst)) {
            std::process::exit(130);
        }
    })
    .map_err(|e| e.to_string())
}

/// Whether the `signals`-th signal ends the process at once while
/// `writing` report folders are being written.
fn exits_now(signals: u32, writing: u32) -> bool {
    signals >= 3 || (signals == 2 && writing == 0)
}

/// Runs `write`, which writes one report folder all or nothing, unless a
/// stop was asked for before it began (then `Err(Error::Interrupted)` and
/// nothing is written). Once it has begun, the first Ctrl-C does not stop
/// it, and a second one ends the process only when it is done.
pub fn writing<T>(write: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    check()?;
    WRITING.fetch_add(1, Ordering::SeqCst);
    let result = write();
    // The handler looks at `WRITING` after counting its signal, this at
    // the signals after leaving `WRITING`: one of the two sees the other.
    let others = WRITING.fetch_sub(1, Ordering::SeqCst) - 1;
    if others == 0 && SIGNALS.load(Ordering::SeqCst) >= 2 {
        std::process::exit(130);
    }
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
    fn a_second_signal_waits_for_the_report_being_written_and_a_third_does_not() {
        assert!(!exits_now(1, 0), "the first signal only asks");
        assert!(!exits_now(1, 1));
        assert!(exits_now(2, 0), "nothing being written: at once");
        assert!(!exits_now(2, 1), "a report folder being written: after it");
        assert!(exits_now(3, 1), "a third signal: at once");
    }
}
