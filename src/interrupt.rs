//! Stopping on Ctrl-C (SIGINT) or SIGTERM without leaving a half-written
//! report. The binary installs a handler that only records the request;
//! the event loop looks at it every 65,536 events and ends its run early,
//! the experiment then returns [`Error::Interrupted`] instead of results,
//! and nothing is written: a report already in place stays as it was, and
//! no temporary file is left (writes that have begun finish first, since
//! the flag is not looked at while writing). A second Ctrl-C exits at once.
//!
//! Library users who never call [`install`] are unaffected.

use crate::Error;
use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Routes Ctrl-C and SIGTERM to [`requested`]; a second signal exits with
/// code 130 at once. Fails only if another handler was installed.
pub fn install() -> Result<(), String> {
    ctrlc::set_handler(|| {
        if REQUESTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    })
    .map_err(|e| e.to_string())
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
