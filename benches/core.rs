//! Criterion benchmarks of the simulation core: the event queue (its heap
//! and its lanes) at 10^3 to 10^6 pending events, token bucket admission,
//! each schedule's delay draw, and whole runs of the shipped
//! thundering-herd scenario at 10^3 to 10^6 clients, reported as events
//! per second.
//!
//! Run with `cargo bench` (`cargo bench -- herd` for the whole runs only);
//! CI only checks that they compile (`cargo bench --no-run`). The README's
//! "Performance" section records the figures.

use backsim::engine::queue::EventQueue;
use backsim::model::limiter::TokenBucket;
use backsim::policy::backoff::Backoff;
use backsim::random::RunSeeds;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use std::hint::black_box;

const PENDING: [usize; 4] = [1_000, 10_000, 100_000, 1_000_000];

fn event_queue(c: &mut Criterion) {
    // Random delays (up to 1 s): every event goes through the heap, its
    // calendar up to 16,384 pending, its radix heap above.
    let mut group = c.benchmark_group("event_queue_heap_push_pop");
    for pending in PENDING {
        // Hold `pending` events and do push/pop pairs at that size: the
        // steady state of a run.
        let mut rng = Pcg64::seed_from_u64(1);
        let mut q = EventQueue::new();
        for i in 0..pending {
            q.push(rng.random_range(0..1_000_000_000u64), i as u64);
        }
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(BenchmarkId::from_parameter(pending), &pending, |b, _| {
            b.iter(|| {
                let (t, e) = q.pop().expect("never empty");
                q.push(t + rng.random_range(0..1_000_000_000u64), e);
            })
        });
    }
    group.finish();
    // A fixed delay (a client timeout): every event stays in its lane.
    let mut group = c.benchmark_group("event_queue_lane_push_pop");
    for pending in PENDING {
        let delay = 60_000_000_000u64;
        let mut q = EventQueue::with_lanes(1);
        for i in 0..pending {
            q.push_in(0, i as u64 * delay / pending as u64, i as u64);
        }
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(BenchmarkId::from_parameter(pending), &pending, |b, _| {
            b.iter(|| {
                let (t, e) = q.pop().expect("never empty");
                q.push_in(0, t + delay, e);
            })
        });
    }
    group.finish();
    // A zero-length step after each event (a 0 ms hop): it waits in the
    // current time's lane, and comes out without a search.
    let mut group = c.benchmark_group("event_queue_zero_delay_push_pop");
    for pending in PENDING {
        let delay = 60_000_000_000u64;
        let mut q = EventQueue::with_lanes(1);
        for i in 0..pending {
            q.push_in(0, 1 + i as u64 * delay / pending as u64, i as u64);
        }
        group.throughput(Throughput::Elements(2));
        group.bench_with_input(BenchmarkId::from_parameter(pending), &pending, |b, _| {
            b.iter(|| {
                let (t, e) = q.pop().expect("never empty");
                q.push_in(0, t, e);
                let (t, e) = q.pop().expect("never empty");
                q.push_in(0, t + delay, e);
            })
        });
    }
    group.finish();
}

fn token_bucket(c: &mut Criterion) {
    let mut bucket = TokenBucket::new(6000.0, 50);
    let mut now = 0u64;
    c.bench_function("token_bucket_try_take", |b| {
        b.iter(|| {
            now += 1_000_000;
            black_box(bucket.try_take(now, 1)).ok();
        })
    });
}

fn backoff_draws(c: &mut Criterion) {
    let s = 1_000_000_000;
    let schedules = [
        Backoff::Linear { base: s, cap: None },
        Backoff::Exponential {
            base: s,
            cap: Some(60 * s),
            multiplier: 2.0,
        },
        Backoff::FullJitter {
            min: 0,
            base: s,
            cap: Some(60 * s),
            multiplier: 2.0,
        },
        Backoff::EqualJitter {
            base: s,
            cap: Some(60 * s),
            multiplier: 2.0,
        },
        Backoff::Decorrelated {
            base: s,
            cap: Some(60 * s),
        },
        Backoff::DecorrelatedV2 {
            base: s,
            cap: Some(60 * s),
        },
        Backoff::Proportional {
            base: s,
            cap: Some(60 * s),
            multiplier: 2.0,
            jitter: 0.2,
        },
    ];
    let mut group = c.benchmark_group("backoff_delay");
    for b in schedules {
        let mut rng = Pcg64::seed_from_u64(2);
        group.bench_function(b.kind(), |bench| {
            let mut state = b.initial_state();
            let mut n = 0u32;
            bench.iter(|| {
                n = (n + 1) % 8;
                if n == 0 {
                    state = b.initial_state();
                }
                black_box(b.delay(n, &mut state, &mut rng))
            })
        });
    }
    group.finish();
}

/// The shipped thundering-herd scenario with `clients` clients instead of
/// its 1,000 (nothing else changes).
fn herd(clients: u64) -> backsim::scenario::Scenario {
    let src = include_str!("../scenarios/thundering-herd.toml");
    let line = "clients = 1000 ";
    assert!(src.contains(line), "the scenario names its client count");
    let src = src.replace(line, &format!("clients = {clients} "));
    backsim::scenario::parse(&src, "thundering-herd.toml", "thundering-herd").expect("valid")
}

/// One replication of each strategy of the herd, at 10^3 to 10^6
/// clients; throughput is in events, so criterion reports events per
/// second.
fn thundering_herd(c: &mut Criterion) {
    for clients in [1_000u64, 10_000, 100_000, 1_000_000] {
        let scenario = herd(clients);
        let mut group = c.benchmark_group(format!("herd_run_{clients}_clients"));
        if clients >= 100_000 {
            group.sample_size(10);
        }
        for (i, st) in scenario.strategies.iter().enumerate() {
            let seeds = RunSeeds::new(scenario.seed, 0, 0, &st.name);
            group.throughput(Throughput::Elements(
                backsim::engine::simulate(&scenario, i, seeds).events,
            ));
            group.bench_function(st.name.as_str(), |b| {
                b.iter(|| backsim::engine::simulate(&scenario, i, seeds))
            });
        }
        group.finish();
    }
}

criterion_group!(
    benches,
    event_queue,
    token_bucket,
    backoff_draws,
    thundering_herd
);
criterion_main!(benches);
