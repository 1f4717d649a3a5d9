//! A progress bar on stderr for long runs: runs done out of the total,
//! elapsed time and an estimate of the time left.
//!
//! It appears only when stderr is a terminal, not with `--quiet` or
//! `--json`, and only once the work has taken more than a second, so short
//! runs and scripts see nothing. It reads the wall clock for display only;
//! nothing it does reaches the results.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What one run cost (`--stats`): the events it processed, the simulated
/// time it covered and the wall time it took.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunStat {
    pub strategy: usize,
    pub replication: usize,
    pub events: u64,
    pub simulated_s: f64,
    pub wall_s: f64,
}

/// How long work runs before the bar is shown.
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// Progress through `total` runs; [`Progress::run_done`] may be called
/// from any thread.
pub struct Progress {
    bar: Option<ProgressBar>,
    start: Instant,
    shown: AtomicBool,
    /// Each run's cost, when asked for (`--stats`).
    stats: Option<Mutex<Vec<RunStat>>>,
}

impl Progress {
    /// A bar labelled `label`, drawn only if `wanted` and stderr is a
    /// terminal.
    pub fn new(total: u64, label: &str, wanted: bool) -> Progress {
        let bar = (wanted && std::io::stderr().is_terminal()).then(|| {
            let style = ProgressStyle::with_template(
                "{msg} [{bar:30}] {pos}/{len} runs · {elapsed} elapsed · about {eta} left",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden())
                .with_style(style);
            bar.set_message(crate::terminal::safe(label).into_owned());
            bar
        });
        Progress {
            bar,
            start: Instant::now(),
            shown: AtomicBool::new(false),
            stats: None,
        }
    }

    /// Also keeps each run's [`RunStat`].
    pub fn with_stats(mut self) -> Progress {
        self.stats = Some(Mutex::new(Vec::new()));
        self
    }

    /// Whether runs should be timed.
    pub fn wants_stats(&self) -> bool {
        self.stats.is_some()
    }

    /// Keeps one run's cost (when asked for).
    pub fn record(&self, stat: RunStat) {
        if let Some(stats) = &self.stats {
            stats.lock().unwrap_or_else(|e| e.into_inner()).push(stat);
        }
    }

    /// The runs' costs in (strategy, replication) order, and the wall time
    /// since the progress began.
    pub fn stats(&self) -> (Vec<RunStat>, f64) {
        let mut v = self.stats.as_ref().map_or_else(Vec::new, |s| {
            s.lock().unwrap_or_else(|e| e.into_inner()).clone()
        });
        v.sort_by_key(|s| (s.strategy, s.replication));
        (v, self.start.elapsed().as_secs_f64())
    }

    /// No bar at all.
    pub fn none() -> Progress {
        Progress::new(0, "", false)
    }

    /// One more run has finished.
    pub fn run_done(&self) {
        let Some(bar) = &self.bar else { return };
        bar.inc(1);
        if self.start.elapsed() > SHOW_AFTER
            && self
                .shown
                .compare_exchange(false, true, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    /// `n` more runs are to come than first announced (a precision target
    /// asked for more replications).
    pub fn add_runs(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc_length(n);
        }
    }

    /// The work is over: the bar goes away.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
