//! Criterion benchmarks of the simulation core: the event queue, token
//! bucket admission, backoff draws and a whole run of the shipped
//! thundering-herd scenario.
//!
//! Run with `cargo bench`; CI only checks that they compile
//! (`cargo bench --no-run`).

use backsim::engine::queue::EventQueue;
use backsim::model::limiter::TokenBucket;
use backsim::policy::backoff::Backoff;
use backsim::random::RunSeeds;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use std::hint::black_box;

fn event_queue(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_queue_push_pop");
    for pending in [1_000usize, 10_000, 100_000, 1_000_000] {
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

fn thundering_herd(c: &mut Criterion) {
    let src = include_str!("../scenarios/thundering-herd.toml");
    let scenario =
        backsim::scenario::parse(src, "thundering-herd.toml", "thundering-herd").expect("valid");
    let mut group = c.benchmark_group("thundering_herd_run");
    for (i, st) in scenario.strategies.iter().enumerate() {
        let seeds = RunSeeds::new(scenario.seed, 0, 0, &st.name);
        // Throughput in events per second.
        group.throughput(Throughput::Elements(
            backsim::engine::simulate(&scenario, i, seeds).events,
        ));
        group.bench_function(st.name.as_str(), |b| {
            b.iter(|| backsim::engine::simulate(&scenario, i, seeds))
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    event_queue,
    token_bucket,
    backoff_draws,
    thundering_herd
);
criterion_main!(benches);
