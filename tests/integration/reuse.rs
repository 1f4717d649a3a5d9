//! Runs that reuse their memory: a worker thread's runs take the request
//! slots, event queue, slot columns, series rows and histograms the run
//! before left, emptied. What a run computes must not depend on that: a
//! run gives the same metrics on a fresh thread as after any other runs
//! on the same one, and a cleared event queue pops exactly as a new one.

use crate::common::{load, scenario_files};
use backsim::engine::queue::EventQueue;
use backsim::engine::simulate;
use backsim::metrics::summary::RunSummary;
use backsim::random::RunSeeds;
use backsim::scenario::Scenario;

/// Every strategy's first replication of `s`, on the current thread, as
/// text (the metrics, then the summary; compared as text because a
/// limiter level without a request limit is NaN, and NaN != NaN).
fn runs(s: &Scenario) -> Vec<String> {
    (0..s.strategies.len())
        .map(|i| {
            let seeds = RunSeeds::new(s.seed, 0, 0, &s.strategies[i].name);
            let m = simulate(s, i, seeds);
            let text = format!("{m:?}");
            format!("{text}\n{:?}", RunSummary::new(m))
        })
        .collect()
}

#[test]
fn a_run_is_the_same_after_other_runs_on_its_thread() {
    // Every shipped scenario, each on a thread of its own (nothing left
    // by an earlier run), then all of them one after another on one
    // thread, twice, in opposite orders: each run then finds the memory
    // of a run of another scenario (other clients, workloads, columns).
    let scenarios: Vec<Scenario> = scenario_files()
        .iter()
        .map(|p| load(p))
        .filter(|s| s.workload.clients <= 100_000)
        .collect();
    assert!(scenarios.len() >= 10, "{}", scenarios.len());
    let fresh: Vec<Vec<String>> = scenarios
        .iter()
        .map(|s| std::thread::scope(|t| t.spawn(|| runs(s)).join().expect("runs")))
        .collect();
    std::thread::scope(|t| {
        t.spawn(|| {
            for (s, want) in scenarios.iter().zip(&fresh) {
                assert!(runs(s) == *want, "{} after other runs", s.name);
            }
            for (s, want) in scenarios.iter().zip(&fresh).rev() {
                assert!(runs(s) == *want, "{} after other runs", s.name);
            }
        })
        .join()
        .expect("same runs");
    });
}

/// Pushes and pops a fixed mix of events on `q` (times from a small
/// linear congruential generator, so the test needs nothing else): half
/// in lanes, half in the heap, and 20,000 pending at the peak, which
/// moves the heap to its radix form and back. Returns the order popped.
fn workout(q: &mut EventQueue<u32>) -> Vec<(u64, u32)> {
    let mut x: u64 = 12345;
    let mut next = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        x >> 33
    };
    let mut popped = Vec::new();
    let mut now = 0;
    for i in 0..20_000u32 {
        let t = now + next() % 1_000;
        if i % 2 == 0 {
            q.push(t, i);
        } else {
            q.push_in((i % 4) as usize, t, i);
        }
    }
    for i in 20_000..60_000u32 {
        if i % 3 == 0 {
            let (t, e) = q.pop().expect("pending");
            now = t;
            popped.push((t, e));
        } else {
            q.push_in((i % 4) as usize, now + next() % 1_000, i);
        }
    }
    while let Some(p) = q.pop() {
        popped.push(p);
    }
    popped
}

#[test]
fn a_cleared_queue_pops_as_a_new_one() {
    let want = workout(&mut EventQueue::with_lanes(4));
    // 20,000 pushed first, then 26,667 of the 40,000 steps push (those
    // with i not a multiple of 3: 13,333 are); all are popped in the end.
    assert_eq!(want.len(), 46_667);
    assert!(want.is_sorted_by_key(|&(t, _)| t));
    // Cleared while holding events (in its radix form), and after a run.
    let mut q = EventQueue::with_lanes(4);
    for i in 0..20_000u32 {
        q.push(u64::from(i) * 7, i);
    }
    let _ = q.pop();
    q.clear();
    assert!(q.is_empty());
    assert_eq!(workout(&mut q), want);
    q.clear();
    assert_eq!(workout(&mut q), want);
    // Sequence numbers start again from 0.
    q.clear();
    assert_eq!(q.reserve(), 0);
}
