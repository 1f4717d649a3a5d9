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
    let succeeded_attempts = m.succeeded;
    assert_eq!(
        m.attempts,
        succeeded_attempts
            + m.rejected_429
            + m.errors_5xx
            + m.timeouts
            + m.conflicts
            + m.open_attempts,
        "{what}: attempts {} != successes {} + 429 {} + 5xx {} + timeouts {} + 409 {} + open {}",
        m.attempts,
        m.succeeded,
        m.rejected_429,
        m.errors_5xx,
        m.timeouts,
        m.conflicts,
        m.open_attempts
    );
    // Requests: each ends exactly once, or is unfinished.
    assert_eq!(
        m.requests,
        m.succeeded + m.gave_up + m.unfinished,
        "{what}: requests != succeeded + gave_up + unfinished"
    );
    // An open attempt belongs to an unfinished request, at most one each.
    assert!(
        m.open_attempts <= m.unfinished,
        "{what}: {} open attempts but {} unfinished requests",
        m.open_attempts,
        m.unfinished
    );

    // Per-request records.
    let hist = &m.attempts_histogram;
    assert_eq!(
        hist.iter().sum::<u64>(),
        m.succeeded + m.gave_up,
        "{what}: one attempt count per ended request"
    );
    assert_eq!(
        m.time_to_success.len() as u64,
        m.succeeded,
        "{what}: one time to success per success"
    );
    // A request ends with no attempt only when a guard rejected its first
    // try; every denial and local rejection ends one request.
    assert!(
        hist.first().copied().unwrap_or(0) <= m.local_rejections,
        "{what}: {:?} requests ended without an attempt, {} local rejections",
        hist.first(),
        m.local_rejections
    );
    assert!(
        m.retries_denied + m.local_rejections <= m.gave_up,
        "{what}: {} denied + {} rejected > {} gave up",
        m.retries_denied,
        m.local_rejections,
        m.gave_up
    );
    if st.guards.is_empty() {
        assert_eq!(m.retries_denied + m.local_rejections, 0, "{what}");
    }
    for (a, &n) in hist.iter().enumerate().skip(1) {
        assert!(
            n == 0 || (1..=st.max_attempts as usize).contains(&a),
            "{what}: {n} requests made {a} attempts (max_attempts {})",
            st.max_attempts
        );
    }
    // Attempts of ended requests + at least one per unfinished request
    // ≤ attempts ≤ attempts of ended requests + max_attempts per unfinished.
    // (A request waiting for the adaptive rate limiter's token may not
    // have sent its first attempt yet.)
    let ended_attempts: u64 = hist.iter().enumerate().map(|(a, &n)| a as u64 * n).sum();
    let may_wait = matches!(st.guards.throttle, Some(Throttle::AwsAdaptive { .. }));
    let sent_by_unfinished = if may_wait { 0 } else { m.unfinished };
    assert!(
        ended_attempts + sent_by_unfinished <= m.attempts,
        "{what}: ended requests made {ended_attempts} attempts, {} unfinished, {} sent",
        m.unfinished,
        m.attempts
    );
    assert!(
        m.attempts <= ended_attempts + m.unfinished * u64::from(st.max_attempts),
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
        arrivals <= m.attempts,
        "{what}: {arrivals} limiter arrivals > {} attempts sent",
        m.attempts
    );
    assert_eq!(
        sum(|r| r.successes),
        m.succeeded,
        "{what}: series successes != succeeded"
    );
    assert_eq!(
        sum(|r| r.timeouts),
        m.timeouts,
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
        m.attempts,
        "{what}: attempts by model"
    );
    assert_eq!(
        per_model(|c| c.succeeded),
        m.succeeded,
        "{what}: successes by model"
    );
    assert_eq!(
        per_model(|c| c.rejected_429),
        m.rejected_429,
        "{what}: 429s by model"
    );
    assert_eq!(
        per_model(|c| c.errors_5xx),
        m.errors_5xx,
        "{what}: 5xx by model"
    );
    assert_eq!(
        per_model(|c| c.timeouts),
        m.timeouts,
        "{what}: timeouts by model"
    );
    assert_eq!(
        m.rejected_by_limit.iter().sum::<u64>(),
        m.rejected_429,
        "{what}: 429s by limit"
    );
    assert_eq!(
        m.errors_by_status.iter().sum::<u64>(),
        m.errors_5xx,
        "{what}: 5xx by status"
    );
    // The last bucket's in-flight count is what is open at the end.
    assert_eq!(
        rows.last().expect("non-empty").in_flight,
        m.open_attempts,
        "{what}: final in_flight"
    );
    // The peak window is one bucket by default: the sliding-window peak is
    // at least the busiest bucket, and at most all arrivals.
    if scenario.report.peak_window == scenario.report.bucket {
        let busiest = rows.iter().map(|r| r.attempts).max().unwrap_or(0);
        assert!(m.peak_demand[0] >= busiest, "{what}: peak < busiest bucket");
    }
    assert!(m.peak_demand[0] <= arrivals, "{what}: peak > arrivals");
    // Demand at the limiter, per limit: a request costs 1, so the request
    // demand is the arrivals; the admitted ones are the series' admitted;
    // no window holds more than all of it, and what admitted attempts are
    // charged (net of tokens given back) is at most what they asked for.
    assert_eq!(m.demand[0], arrivals, "{what}: request demand");
    let admitted: u64 = rows.iter().map(|r| r.admitted).sum();
    assert_eq!(m.admitted, admitted, "{what}: admitted");
    assert_eq!(m.charged[0], admitted, "{what}: requests charged");
    for i in 0..4 {
        assert!(m.peak_demand[i] <= m.demand[i], "{what}: peak demand {i}");
        assert!(m.charged[i] <= m.demand[i], "{what}: charged {i}");
    }

    // Tokens: wasted ones were billed.
    assert!(
        m.wasted_input_tokens <= m.billed_input_tokens,
        "{what}: wasted input {} > billed {}",
        m.wasted_input_tokens,
        m.billed_input_tokens
    );
    assert!(
        m.wasted_output_tokens <= m.billed_output_tokens,
        "{what}: wasted output {} > billed {}",
        m.wasted_output_tokens,
        m.billed_output_tokens
    );
    assert!(
        m.wasted_input_tokens + m.wasted_output_tokens
            <= m.billed_input_tokens + m.billed_output_tokens
    );

    seen.rejected_429 += m.rejected_429;
    seen.errors_5xx += m.errors_5xx;
    seen.timeouts += m.timeouts;
    seen.open_attempts += m.open_attempts;
    seen.unfinished += m.unfinished;
    seen.gave_up += m.gave_up;
    seen.wasted_tokens += m.wasted_input_tokens + m.wasted_output_tokens;
}

fn check_scenario(scenario: &Scenario, label: &str, seen: &mut Seen) {
    for (i, st) in scenario.strategies.iter().enumerate() {
        for rep in 0..REPS {
            let seeds = RunSeeds::new(scenario.seed, 0, rep, &st.name);
            let m = simulate(scenario, i, seeds);
            let what = format!("{label} / {} / rep {rep}", st.name);
            assert!(m.requests >= 1, "{what}: no requests");
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
