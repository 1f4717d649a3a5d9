//! Conservation laws (docs/model.md §5): every attempt is counted in exactly one
//! outcome, every request ends in exactly one state, and the time series
//! and token counts agree with the totals. Checked on every shipped
//! scenario (found at run time) and on two inline scenarios that reach
//! every outcome.

use crate::common::{CLOSED_OUTAGE, JITTERY, load, parse, scenario_files};
use backsim::engine::simulate;
use backsim::metrics::run::RunMetrics;
use backsim::policy::guard::Throttle;
use backsim::random::RunSeeds;
use backsim::scenario::Scenario;

/// Replications per (scenario, strategy), reduced for speed.
const REPS: u64 = 2;

/// Which terms of the laws were non-zero somewhere, so a test can show that
/// it exercised them.
#[derive(Debug, Default)]
pub struct Seen {
    rejected_429: u64,
    errors_5xx: u64,
    timeouts: u64,
    open_attempts: u64,
    unfinished: u64,
    gave_up: u64,
    wasted_tokens: u64,
}

pub fn check_run(
    scenario: &Scenario,
    strategy: usize,
    m: &RunMetrics,
    what: &str,
    seen: &mut Seen,
) {
    let st = &scenario.strategies[strategy];

    // Attempts: each ends in exactly one outcome or is still open. A request
    // succeeds on exactly one successful attempt.
    let succeeded_attempts = m.counts.succeeded;
    assert_eq!(
        m.counts.attempts,
        succeeded_attempts
            + m.counts.rejected_429
            + m.counts.errors_5xx
            + m.counts.timeouts
            + m.counts.conflicts
            + m.counts.hedges_lost
            + m.counts.open_attempts,
        "{what}: attempts {} != successes {} + 429 {} + 5xx {} + timeouts {} + 409 {} + lost hedges {} + open {}",
        m.counts.attempts,
        m.counts.succeeded,
        m.counts.rejected_429,
        m.counts.errors_5xx,
        m.counts.timeouts,
        m.counts.conflicts,
        m.counts.hedges_lost,
        m.counts.open_attempts
    );
    // Requests: each ends exactly once, or is unfinished.
    assert_eq!(
        m.counts.requests,
        m.counts.succeeded + m.counts.gave_up + m.counts.unfinished,
        "{what}: requests != succeeded + gave_up + unfinished"
    );
    // An open attempt belongs to an unfinished request, at most one each
    // (or one per copy, when the strategy hedges).
    let copies = st.hedge.map_or(1, |h| u64::from(h.max_copies));
    assert!(
        m.counts.open_attempts <= m.counts.unfinished * copies,
        "{what}: {} open attempts but {} unfinished requests",
        m.counts.open_attempts,
        m.counts.unfinished
    );

    // Per-request records.
    let hist = &m.attempts_histogram;
    assert_eq!(
        hist.iter().sum::<u64>(),
        m.counts.succeeded + m.counts.gave_up,
        "{what}: one attempt count per ended request"
    );
    assert_eq!(
        m.time_to_success.len() as u64,
        m.counts.succeeded,
        "{what}: one time to success per success"
    );
    // A request ends with no attempt only when a guard rejected its first
    // try; every denial and local rejection ends one request.
    assert!(
        hist.first().copied().unwrap_or(0) <= m.counts.local_rejections,
        "{what}: {:?} requests ended without an attempt, {} local rejections",
        hist.first(),
        m.counts.local_rejections
    );
    assert!(
        m.counts.retries_denied + m.counts.local_rejections <= m.counts.gave_up,
        "{what}: {} denied + {} rejected > {} gave up",
        m.counts.retries_denied,
        m.counts.local_rejections,
        m.counts.gave_up
    );
    if st.guards.is_empty() {
        assert_eq!(
            m.counts.retries_denied + m.counts.local_rejections,
            0,
            "{what}"
        );
    }
    // A stack of retry layers makes at most the product of their
    // max_attempts on the wire; each layer begins at least one attempt per
    // call of the layer around it and at most its max_attempts.
    let most: u64 = st.layers().map(|l| u64::from(l.max_attempts)).product();
    for (a, &n) in hist.iter().enumerate().skip(1) {
        assert!(
            n == 0 || (1..=most).contains(&(a as u64)),
            "{what}: {n} requests made {a} attempts (at most {most})"
        );
    }
    if st.inner.is_empty() {
        assert!(m.layer_attempts.is_empty(), "{what}: layers of one layer");
    } else {
        let layers = &m.layer_attempts;
        assert_eq!(
            layers.len(),
            st.inner.len() + 1,
            "{what}: one count per layer"
        );
        assert_eq!(
            layers.last(),
            Some(&m.counts.attempts),
            "{what}: the innermost's are sent"
        );
        let mut calls = m.counts.requests;
        for (layer, &made) in st.layers().zip(layers) {
            assert!(
                made <= calls * u64::from(layer.max_attempts),
                "{what}: layer {} began {made} attempts in {calls} calls",
                layer.name
            );
            calls = made;
        }
    }
    // Attempts of ended requests + at least one per unfinished request
    // ≤ attempts ≤ attempts of ended requests + max_attempts per unfinished.
    // (A request waiting for the adaptive rate limiter's token may not
    // have sent its first attempt yet.)
    let ended_attempts: u64 = hist.iter().enumerate().map(|(a, &n)| a as u64 * n).sum();
    let may_wait = st
        .layers()
        .any(|l| matches!(l.guards.throttle, Some(Throttle::AwsAdaptive { .. })));
    let sent_by_unfinished = if may_wait { 0 } else { m.counts.unfinished };
    assert!(
        ended_attempts + sent_by_unfinished <= m.counts.attempts,
        "{what}: ended requests made {ended_attempts} attempts, {} unfinished, {} sent",
        m.counts.unfinished,
        m.counts.attempts
    );
    assert!(
        m.counts.attempts <= ended_attempts + m.counts.unfinished * most,
        "{what}: more attempts than max_attempts allows"
    );
    for &t in &m.time_to_success {
        assert!(
            t <= scenario.horizon,
            "{what}: time to success {t} ns > horizon"
        );
        if let Some(d) = st.deadline {
            assert!(
                t <= d,
                "{what}: success after {t} ns, past the deadline {d}"
            );
        }
    }

    // Time series.
    let rows = &m.series.rows;
    assert!(!rows.is_empty(), "{what}: empty series");
    let sum = |f: fn(&backsim::metrics::run::SeriesRow) -> u64| -> u64 { rows.iter().map(f).sum() };
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(
            r.admitted + r.rejected_429,
            r.attempts,
            "{what}: bucket {i}: admitted + 429 != attempts at the limiter"
        );
    }
    let arrivals = sum(|r| r.attempts);
    assert!(
        arrivals <= m.counts.attempts,
        "{what}: {arrivals} limiter arrivals > {} attempts sent",
        m.counts.attempts
    );
    assert_eq!(
        sum(|r| r.successes),
        m.counts.succeeded,
        "{what}: series successes != succeeded"
    );
    assert_eq!(
        sum(|r| r.timeouts),
        m.counts.timeouts,
        "{what}: series timeouts != timeouts"
    );
    // The series watches the main model's limiter: every 429 a client got
    // from it was issued there; every success from it passed there.
    let main = &m.models[0];
    assert!(sum(|r| r.rejected_429) >= main.rejected_429, "{what}: 429s");
    assert!(sum(|r| r.admitted) >= main.succeeded, "{what}: admitted");
    // Models split the totals exactly.
    let per_model =
        |f: fn(&backsim::metrics::run::ModelCounts) -> u64| -> u64 { m.models.iter().map(f).sum() };
    assert_eq!(
        per_model(|c| c.attempts),
        m.counts.attempts,
        "{what}: attempts by model"
    );
    assert_eq!(
        per_model(|c| c.succeeded),
        m.counts.succeeded,
        "{what}: successes by model"
    );
    assert_eq!(
        per_model(|c| c.rejected_429),
        m.counts.rejected_429,
        "{what}: 429s by model"
    );
    assert_eq!(
        per_model(|c| c.errors_5xx),
        m.counts.errors_5xx,
        "{what}: 5xx by model"
    );
    assert_eq!(
        per_model(|c| c.timeouts),
        m.counts.timeouts,
        "{what}: timeouts by model"
    );
    assert_eq!(
        m.counts.rejected_by_limit.iter().sum::<u64>(),
        m.counts.rejected_429,
        "{what}: 429s by limit"
    );
    assert_eq!(
        m.counts.errors_by_status.iter().sum::<u64>(),
        m.counts.errors_5xx,
        "{what}: 5xx by status"
    );
    // The last bucket's in-flight count is what is open at the end.
    assert_eq!(
        rows.last().expect("non-empty").in_flight,
        m.counts.open_attempts,
        "{what}: final in_flight"
    );
    // The peak window is one bucket by default: the sliding-window peak is
    // at least the busiest bucket, and at most all arrivals.
    if scenario.report.peak_window == scenario.report.bucket {
        let busiest = rows.iter().map(|r| r.attempts).max().unwrap_or(0);
        assert!(
            m.counts.peak_demand[0] >= busiest,
            "{what}: peak < busiest bucket"
        );
    }
    assert!(
        m.counts.peak_demand[0] <= arrivals,
        "{what}: peak > arrivals"
    );
    // Demand at the limiter, per limit: a request costs 1, so the request
    // demand is the arrivals; the admitted ones are the series' admitted;
    // no window holds more than all of it, and what admitted attempts are
    // charged (net of tokens given back) is at most what they asked for.
    assert_eq!(m.counts.demand[0], arrivals, "{what}: request demand");
    let admitted: u64 = rows.iter().map(|r| r.admitted).sum();
    assert_eq!(m.counts.admitted, admitted, "{what}: admitted");
    assert_eq!(m.counts.charged[0], admitted, "{what}: requests charged");
    for i in 0..4 {
        assert!(
            m.counts.peak_demand[i] <= m.counts.demand[i],
            "{what}: peak demand {i}"
        );
        assert!(
            m.counts.charged[i] <= m.counts.demand[i],
            "{what}: charged {i}"
        );
    }

    // Tokens: wasted ones were billed.
    assert!(
        m.counts.wasted_input_tokens <= m.counts.billed_input_tokens,
        "{what}: wasted input {} > billed {}",
        m.counts.wasted_input_tokens,
        m.counts.billed_input_tokens
    );
    assert!(
        m.counts.wasted_output_tokens <= m.counts.billed_output_tokens,
        "{what}: wasted output {} > billed {}",
        m.counts.wasted_output_tokens,
        m.counts.billed_output_tokens
    );
    assert!(
        m.counts.wasted_input_tokens + m.counts.wasted_output_tokens
            <= m.counts.billed_input_tokens + m.counts.billed_output_tokens
    );

    seen.rejected_429 += m.counts.rejected_429;
    seen.errors_5xx += m.counts.errors_5xx;
    seen.timeouts += m.counts.timeouts;
    seen.open_attempts += m.counts.open_attempts;
    seen.unfinished += m.counts.unfinished;
    seen.gave_up += m.counts.gave_up;
    seen.wasted_tokens += m.counts.wasted_input_tokens + m.counts.wasted_output_tokens;
}

fn check_scenario(scenario: &Scenario, label: &str, seen: &mut Seen) {
    for (i, st) in scenario.strategies.iter().enumerate() {
        for rep in 0..REPS {
            let seeds = RunSeeds::new(scenario.seed, 0, rep, &st.name);
            let m = simulate(scenario, i, seeds);
            let what = format!("{label} / {} / rep {rep}", st.name);
            assert!(m.counts.requests >= 1, "{what}: no requests");
            check_run(scenario, i, &m, &what, seen);
        }
    }
}

#[test]
fn shipped_scenarios_conserve_attempts_requests_and_tokens() {
    let mut seen = Seen::default();
    for path in scenario_files() {
        let scenario = load(&path);
        let label = path.display().to_string();
        // (A classic queueing check may have a single strategy.)
        let classic = path.parent().is_some_and(|d| d.ends_with("classics"));
        assert!(
            classic || scenario.strategies.len() >= 2,
            "{label}: a shipped scenario should compare at least 2 strategies"
        );
        check_scenario(&scenario, &label, &mut seen);
    }
    println!("terms seen over shipped scenarios: {seen:?}");
}

#[test]
fn inline_scenarios_reach_every_outcome_and_conserve() {
    let mut seen = Seen::default();
    for (text, name) in [(JITTERY, "jittery"), (CLOSED_OUTAGE, "closed-outage")] {
        let scenario = parse(text, name);
        check_scenario(&scenario, name, &mut seen);
    }
    println!("terms seen over inline scenarios: {seen:?}");
    // The laws above were exercised with every term non-zero.
    assert!(seen.rejected_429 > 0, "{seen:?}");
    assert!(seen.errors_5xx > 0, "{seen:?}");
    assert!(seen.timeouts > 0, "{seen:?}");
    assert!(seen.open_attempts > 0, "{seen:?}");
    assert!(seen.unfinished > 0, "{seen:?}");
    assert!(seen.gave_up > 0, "{seen:?}");
    assert!(seen.wasted_tokens > 0, "{seen:?}");
}
