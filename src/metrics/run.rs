//! What one run (one strategy, one replication) measured.
//!
//! Nothing here grows with the number of requests unless asked for: the
//! counters are fixed-size, the times to success go into a bounded
//! [`TimesToSuccess`], the series grows with simulated time (one row per
//! bucket), and the peak-window log with the attempts inside one window.
//! Per-request [`RequestRecord`]s are kept only when the run was started
//! with them (`engine::simulate_with`).

use crate::metrics::cdf::TimesToSuccess;
use crate::metrics::counts::Counts;
use crate::metrics::peak::PeakWindow;
use crate::model::limiter::{Limit, Meter};
use crate::model::server::Answer;
use crate::reuse::emptied_if_small;
use crate::time::{SimDuration, SimTime};
use std::cell::RefCell;

thread_local! {
    /// The series rows and attempt counts of the last run recycled on this
    /// thread ([`RunMetrics::recycle_scratch`]), emptied.
    static SPARE: RefCell<(Vec<SeriesRow>, Vec<u64>)> =
        const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Empty vectors in the memory the last run recycled on this thread left.
fn take_spare() -> (Vec<SeriesRow>, Vec<u64>) {
    SPARE
        .try_with(|s| s.try_borrow_mut().map(|mut s| std::mem::take(&mut *s)))
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default()
}

/// One bucket of the time series, as seen at the limiter (attempts,
/// admitted, rejected) and at the clients (successes, timeouts).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SeriesRow {
    /// Attempts arriving at the limiter.
    pub attempts: u64,
    /// Of those, admitted.
    pub admitted: u64,
    /// Of those, rejected with 429.
    pub rejected_429: u64,
    /// Successful responses received by clients.
    pub successes: u64,
    /// Attempts abandoned on client timeout.
    pub timeouts: u64,
    /// Attempts sent and not yet resolved, at the end of the bucket.
    pub in_flight: u64,
    /// Request-bucket level in tokens at the end of the bucket (NaN when
    /// there is no request limit).
    pub limiter_level: f64,
}

/// Per-bucket counters over simulated time.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Bucket width.
    pub step: SimDuration,
    /// Closed buckets, then the open one (the last).
    pub rows: Vec<SeriesRow>,
    /// When the open bucket ends.
    open_until: SimTime,
}

impl Series {
    /// An open first bucket, in `rows`' memory (emptied).
    fn new(step: SimDuration, mut rows: Vec<SeriesRow>) -> Series {
        rows.clear();
        rows.push(SeriesRow::default());
        Series {
            step,
            rows,
            open_until: step,
        }
    }

    /// Closes every bucket that ends at or before `now`, recording the
    /// end-of-bucket state.
    #[inline]
    fn advance(&mut self, now: SimTime, in_flight: u64, bucket: Option<&Meter>) {
        if now >= self.open_until {
            self.close_to(now / self.step, in_flight, bucket);
        }
    }

    /// Closes buckets until bucket `open` is the open one (if it is not
    /// already past it). Bucket ends are computed only for buckets that
    /// start at or before a time seen, so they never overflow; the open
    /// bucket's end, which may lie past `u64::MAX`, is then `u64::MAX`
    /// (no time reaches it).
    #[cold]
    fn close_to(&mut self, open: u64, in_flight: u64, bucket: Option<&Meter>) {
        while (self.rows.len() as u64) <= open {
            let end = self.rows.len() as u64 * self.step;
            let last = self.rows.last_mut().expect("never empty");
            last.in_flight = in_flight;
            last.limiter_level = bucket.map_or(f64::NAN, |b| b.level_tokens(end));
            self.rows.push(SeriesRow::default());
        }
        self.open_until = (self.rows.len() as u64)
            .checked_mul(self.step)
            .unwrap_or(SimTime::MAX);
    }

    fn current(&mut self) -> &mut SeriesRow {
        self.rows.last_mut().expect("never empty")
    }
}

/// One model's share of a run's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ModelCounts {
    /// Attempts sent to the model.
    pub attempts: u64,
    /// Requests whose successful answer came from the model.
    pub succeeded: u64,
    /// Its 429s, 5xx answers and timeouts (as the client saw them).
    pub rejected_429: u64,
    pub errors_5xx: u64,
    pub timeouts: u64,
    pub billed_input_tokens: u64,
    pub billed_output_tokens: u64,
    pub wasted_input_tokens: u64,
    pub wasted_output_tokens: u64,
}

/// Adds `b` to `a`, element by element (saturating: token sums of
/// absurd runs stop at `u64::MAX` rather than wrap).
fn add(a: &mut [u64; 4], b: [u64; 4]) {
    for (a, b) in a.iter_mut().zip(b) {
        *a = a.saturating_add(b);
    }
}

/// The statuses 5xx answers are counted under, in this order.
pub const ERROR_STATUSES: [u16; 3] = [500, 503, 529];

/// Counters of one run. Summary counts are from the client's point of view:
/// an attempt's outcome is whatever the client learns first (a response,
/// or its own timeout).
#[derive(Debug, Clone, PartialEq)]
pub struct RunMetrics {
    /// The plain counts, which the run's summary keeps.
    pub counts: Counts,
    /// Per model, the main model first.
    pub models: Vec<ModelCounts>,
    /// Times to success of the succeeded requests: exact count, sum and
    /// max, quantiles to the precision stated on [`TimesToSuccess`].
    pub time_to_success: TimesToSuccess,
    /// `attempts_histogram[k]`: ended requests (succeeded or given up) that
    /// made `k` attempts.
    pub attempts_histogram: Vec<u64>,
    /// Time of the last event that changed anything.
    pub last_activity: SimTime,
    /// Successful answers received in the recovery window, and whether
    /// they make a recovery (None: no `[report.recovery]`).
    pub recovery_successes: u64,
    pub recovered: Option<bool>,
    /// For a strategy of several retry layers, the attempts each layer
    /// began, outermost first (empty for one layer: its attempts are
    /// `counts.attempts`).
    pub layer_attempts: Vec<u64>,
    /// Events taken off the queue. Stale timeouts count only when queued:
    /// a request keeps one timer in the queue, and an attempt's timer that
    /// waited behind it is queued only if that attempt is still open.
    pub events: u64,
    /// The time series.
    pub series: Series,
    /// The request bucket as the run left it, to extend the series'
    /// limiter level past the run's last activity.
    pub final_request_bucket: Option<Meter>,
    /// One record per request, in creation order, when the run keeps
    /// them (None otherwise): the only part that grows with the number of
    /// requests.
    pub request_records: Option<Vec<RequestRecord>>,
    /// Why the run stopped before its end (None: it ran to its end). A
    /// stopped run's numbers cover only what happened before the stop.
    pub stop: Option<Stop>,
    /// Attempts sent and not yet resolved.
    in_flight: u64,
    /// Arrivals at the limiter in the current peak window; their peak and
    /// total go to `counts.peak_demand` and `counts.demand` when the run
    /// finishes.
    window: PeakWindow,
}

impl RunMetrics {
    /// Empty counters with the given series step and peak window, for
    /// `models` models.
    /// The series, attempt counts, times to success and peak window take
    /// the memory the last run recycled on this thread left
    /// ([`RunMetrics::recycle_scratch`]).
    pub fn new(step: SimDuration, peak_window: SimDuration, models: usize) -> RunMetrics {
        let (rows, mut attempts_histogram) = take_spare();
        attempts_histogram.clear();
        RunMetrics {
            counts: Counts::default(),
            models: vec![ModelCounts::default(); models.max(1)],
            time_to_success: TimesToSuccess::reused(),
            attempts_histogram,
            last_activity: 0,
            recovery_successes: 0,
            recovered: None,
            layer_attempts: Vec::new(),
            events: 0,
            series: Series::new(step, rows),
            final_request_bucket: None,
            request_records: None,
            stop: None,
            in_flight: 0,
            window: PeakWindow::reused(peak_window),
        }
    }

    /// Moves the time series up to `now` (call before handling each event).
    #[inline]
    pub fn tick(&mut self, now: SimTime, bucket: Option<&Meter>) {
        self.series.advance(now, self.in_flight, bucket);
    }

    /// Something happened at `now`.
    pub fn touch(&mut self, now: SimTime) {
        self.last_activity = self.last_activity.max(now);
    }

    /// An attempt starts service after waiting `wait` in the queue.
    pub fn queue_wait(&mut self, wait: SimDuration) {
        self.counts.served += 1;
        self.counts.queue_wait_ns += u128::from(wait);
    }

    /// A client sent an attempt to `model`.
    pub fn attempt_sent(&mut self, model: usize) {
        self.counts.attempts += 1;
        self.models[model].attempts += 1;
        self.in_flight += 1;
    }

    /// `model` billed a generation of `input` + `output` tokens.
    pub fn bill(&mut self, model: usize, input: u64, output: u64) {
        let m = &mut self.models[model];
        m.billed_input_tokens = m.billed_input_tokens.saturating_add(input);
        m.billed_output_tokens = m.billed_output_tokens.saturating_add(output);
    }

    /// Billed tokens of `model` that nobody used.
    pub fn waste(&mut self, model: usize, input: u64, output: u64) {
        let m = &mut self.models[model];
        m.wasted_input_tokens = m.wasted_input_tokens.saturating_add(input);
        m.wasted_output_tokens = m.wasted_output_tokens.saturating_add(output);
    }

    /// An attempt costing `cost` (per limit, `Limit::ALL` order) reached
    /// the main model's limiter at `now` and was admitted or not; `first`:
    /// it is its request's first attempt. Inlined: it runs on every
    /// arrival, and is small once there.
    #[inline(always)]
    pub fn at_limiter(&mut self, now: SimTime, admitted: bool, cost: [u64; 4], first: bool) {
        if first {
            add(&mut self.counts.first_demand, cost);
        }
        let row = self.series.current();
        row.attempts += 1;
        if admitted {
            row.admitted += 1;
            self.counts.admitted += 1;
            add(&mut self.counts.charged, cost);
        } else {
            row.rejected_429 += 1;
        }
        self.window.arrive(now, cost);
    }

    /// The main model's limiter gave back `tokens` of an admitted attempt's
    /// output reservation (to the token and output-token limits).
    pub fn given_back(&mut self, tokens: u64) {
        for limit in [Limit::Tokens, Limit::OutputTokens] {
            let c = &mut self.counts.charged[limit as usize];
            *c = c.saturating_sub(tokens);
            let r = &mut self.counts.returned[limit as usize];
            *r = r.saturating_add(tokens);
        }
    }

    /// The client learned the outcome of an attempt sent to `model`.
    #[inline(always)]
    pub fn attempt_resolved(&mut self, outcome: AttemptOutcome, model: usize) {
        self.in_flight -= 1;
        let m = &mut self.models[model];
        match outcome {
            AttemptOutcome::Success => {
                m.succeeded += 1;
                self.series.current().successes += 1;
            }
            AttemptOutcome::RateLimited(limit) => {
                m.rejected_429 += 1;
                self.counts.rejected_429 += 1;
                self.counts.rejected_by_limit[limit as usize] += 1;
            }
            AttemptOutcome::ServerError(status) => {
                m.errors_5xx += 1;
                self.counts.errors_5xx += 1;
                if let Some(i) = ERROR_STATUSES.iter().position(|&s| s == status) {
                    self.counts.errors_by_status[i] += 1;
                }
            }
            AttemptOutcome::Conflict => {
                self.counts.conflicts += 1;
            }
            AttemptOutcome::Timeout => {
                m.timeouts += 1;
                self.counts.timeouts += 1;
                self.series.current().timeouts += 1;
            }
            AttemptOutcome::Lost => {
                self.counts.hedges_lost += 1;
            }
        }
    }

    /// A request succeeded after `attempts` attempts, `time_to_success`
    /// after it was created.
    pub fn request_succeeded(&mut self, time_to_success: SimDuration, attempts: u32) {
        self.counts.succeeded += 1;
        self.time_to_success.record(time_to_success);
        self.count_attempts(attempts);
    }

    /// A request was given up after `attempts` attempts.
    pub fn request_gave_up(&mut self, attempts: u32) {
        self.counts.gave_up += 1;
        self.count_attempts(attempts);
    }

    fn count_attempts(&mut self, attempts: u32) {
        let k = attempts as usize;
        if self.attempts_histogram.len() <= k {
            self.attempts_histogram.resize(k + 1, 0);
        }
        self.attempts_histogram[k] += 1;
    }

    /// Leaves the memory of the time-to-success histogram, the peak
    /// window, the series rows and the attempt counts to the next run on
    /// this thread (see [`TimesToSuccess::reused`]); all are empty
    /// afterwards.
    pub fn recycle_scratch(&mut self) {
        std::mem::take(&mut self.time_to_success).recycle();
        std::mem::replace(&mut self.window, PeakWindow::new(0)).recycle();
        // Kept only while small (a day in 1 s buckets is 4.8 MB of rows).
        let rows = emptied_if_small(std::mem::take(&mut self.series.rows));
        let attempts = emptied_if_small(std::mem::take(&mut self.attempts_histogram));
        if let (Some(rows), Some(attempts)) = (rows, attempts) {
            let _ = SPARE.try_with(|s| {
                if let Ok(mut s) = s.try_borrow_mut() {
                    *s = (rows, attempts);
                }
            });
        }
    }

    /// Ends the run at the horizon: closes the series through the bucket of
    /// the last activity and counts what is still open.
    pub fn finish(&mut self, bucket: Option<&Meter>) {
        // Close the bucket of the last activity. Stale events (timers of
        // attempts already answered) change nothing but may have moved the
        // series further; those trailing buckets are empty and dropped.
        let last = self.last_activity / self.series.step;
        self.series
            .close_to(last.saturating_add(1), self.in_flight, bucket);
        // Stale timers can move the series far past the last activity (a
        // ten-minute timeout: 600 rows). The room stays, for the next run
        // on this thread; a run's summary keeps an exact copy of the rows
        // (`RunSummary::new`).
        self.series.rows.truncate(last as usize + 1);
        self.counts.peak_demand = self.window.peak();
        self.counts.demand = self.window.total();
        self.counts.open_attempts = self.in_flight;
        self.counts.unfinished = self.counts.open_requests();
        let total =
            |f: fn(&ModelCounts) -> u64| self.models.iter().map(f).fold(0, u64::saturating_add);
        self.counts.billed_input_tokens = total(|m| m.billed_input_tokens);
        self.counts.billed_output_tokens = total(|m| m.billed_output_tokens);
        self.counts.wasted_input_tokens = total(|m| m.wasted_input_tokens);
        self.counts.wasted_output_tokens = total(|m| m.wasted_output_tokens);
    }
}

/// Why a run stopped before its end (see `engine::RunLimits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Ctrl-C or SIGTERM (`crate::interrupt`).
    Interrupted,
    /// The run spent its event budget; `at` is the simulated time it had
    /// reached, in nanoseconds.
    Events { at: SimTime },
    /// The simulated clock stood still at `at` (nanoseconds) from event
    /// number `since` on: a livelock.
    Livelock { at: SimTime, since: u64 },
    /// The process's memory went over its limit.
    Memory,
    /// The system gave no memory for the state of the run's clients
    /// (`bytes` of it), which is not allocated.
    NoMemory { bytes: u64 },
    /// A run before this one (in the fixed order) stopped on its limits,
    /// so this one's result would not be used.
    Abandoned,
}

/// How an attempt ended, as the client saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// A successful response.
    Success,
    /// 429, naming a limit.
    RateLimited(Limit),
    /// A 5xx, with its status.
    ServerError(u16),
    /// The client's timeout fired first.
    Timeout,
    /// 409: an optimistic-concurrency write found the version changed.
    Conflict,
    /// Another copy of the same hedged attempt succeeded first.
    Lost,
}

impl From<Answer> for AttemptOutcome {
    /// How an attempt the provider answered ended.
    fn from(answer: Answer) -> AttemptOutcome {
        match answer {
            Answer::Success { .. } => AttemptOutcome::Success,
            Answer::RateLimited { limit } => AttemptOutcome::RateLimited(limit),
            Answer::ServerError { status } => AttemptOutcome::ServerError(status),
            Answer::Conflict => AttemptOutcome::Conflict,
        }
    }
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOutcome {
    Succeeded,
    GaveUp,
    /// Still open at the horizon.
    Unfinished,
}

impl RequestOutcome {
    /// The name in reports: `succeeded`, `gave_up` or `unfinished`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestOutcome::Succeeded => "succeeded",
            RequestOutcome::GaveUp => "gave_up",
            RequestOutcome::Unfinished => "unfinished",
        }
    }
}

/// One request of a run (kept only on request, see
/// [`RunMetrics::request_records`]). Token counts are the request's own;
/// billed and wasted tokens add up every attempt of the request, including
/// abandoned ones the server finished after the request had ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestRecord {
    /// The client that sent it.
    pub client: u32,
    /// When it was created.
    pub start: SimTime,
    /// When it succeeded or was given up (None while unfinished).
    pub end: Option<SimTime>,
    pub outcome: RequestOutcome,
    /// Attempts sent.
    pub attempts: u32,
    /// The model of its last attempt (0: the main model, `i`: the scenario's
    /// `i`-th `[[model]]`); for a success, the model that answered.
    pub model: u8,
    /// Input tokens of the request.
    pub input_tokens: u64,
    /// Output tokens a complete answer has (already cut to `max_tokens`).
    pub output_tokens: u64,
    pub billed_input_tokens: u64,
    pub billed_output_tokens: u64,
    /// Of the billed tokens, those of answers nobody used.
    pub wasted_input_tokens: u64,
    pub wasted_output_tokens: u64,
}

impl RequestRecord {
    /// A request created at `start` that has not sent anything yet.
    pub fn new(client: u32, start: SimTime, input_tokens: u64, output_tokens: u64) -> Self {
        RequestRecord {
            client,
            start,
            end: None,
            outcome: RequestOutcome::Unfinished,
            attempts: 0,
            model: 0,
            input_tokens,
            output_tokens,
            billed_input_tokens: 0,
            billed_output_tokens: 0,
            wasted_input_tokens: 0,
            wasted_output_tokens: 0,
        }
    }
}
