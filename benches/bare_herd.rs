//! The speed of light for `scenarios/thundering-herd.toml`: a bare loop of
//! the same model, written for nothing but speed, that backsim is measured
//! against (`benches/perf.sh` reports backsim's time over this one's). It
//! is not part of backsim and shares no code with it.
//!
//! The model, as the scenario file gives it: `--clients` clients each start
//! one request at t = 0; an attempt reaches the limiter at once (0 ms
//! hops); the limiter is one token bucket of 50 that refills at 6,000 per
//! minute, continuously, in exact integer units, full at the start; an
//! admitted attempt is served in 200 ms (the 1,000 server slots are never
//! all busy, as at most one bucket-full is admitted at a time) and
//! succeeds; a rejected one fails at once and is retried after the
//! strategy's delay, up to 5 attempts in all: `linear` waits 1 s, 2 s,
//! 3 s, 4 s, `exponential-full-jitter` waits U(0, min(60 s, 1 s · 2^n)),
//! rounded to the nanosecond. The 60 s timeout never fires (a service
//! takes 200 ms), so it is not modelled.
//!
//! Events are a binary heap of (time, sequence, client): an arrival at the
//! limiter, or the end of a service. A run keeps the success count and the
//! sum of times to success, nothing else.
//!
//! ```console
//! $ cargo bench --bench bare_herd -- --clients 1000 --replications 200
//! ```
//!
//! (`--strategy linear` or `--strategy exponential-full-jitter` for one of
//! them) prints per strategy the runs, events, wall seconds of the loop, success
//! rate, mean time to success and attempts per request; the linear
//! strategy's figures are exactly backsim's (0.25, 4.2 s and 4.5 at 1,000
//! clients: see `benches/peer/README.md`), the jittered one's agree within
//! their confidence intervals.

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

const NS: u64 = 1_000_000_000;
/// Bucket units per token: 60 s × 10^9 ns × 1000 (as backsim counts them,
/// so that one nanosecond of refill at R per minute adds exactly 1000 R).
const UNITS_PER_TOKEN: u128 = 60_000_000_000_000;
const RATE_PER_MINUTE: u128 = 6_000;
const BURST: u128 = 50;
const SERVICE: u64 = 200_000_000;
const MAX_ATTEMPTS: u32 = 5;
const HORIZON: u64 = 600 * NS;

#[derive(Clone, Copy)]
enum Strategy {
    Linear,
    FullJitter,
}

impl Strategy {
    const ALL: [Strategy; 2] = [Strategy::Linear, Strategy::FullJitter];

    fn name(self) -> &'static str {
        match self {
            Strategy::Linear => "linear",
            Strategy::FullJitter => "exponential-full-jitter",
        }
    }

    /// The delay before retry `n` (0-based).
    fn delay(self, n: u32, rng: &mut Pcg64) -> u64 {
        match self {
            Strategy::Linear => NS * u64::from(n + 1),
            Strategy::FullJitter => {
                let v = (NS as f64 * 2f64.powi(n as i32)).min(60.0 * NS as f64);
                (v * rng.random::<f64>()).round() as u64
            }
        }
    }
}

/// What one run counts.
#[derive(Default)]
struct Run {
    events: u64,
    attempts: u64,
    succeeded: u64,
    tts_sum: u64,
}

/// One run of `clients` clients under `strategy`, its draws from `rng`.
fn run(clients: u32, strategy: Strategy, rng: &mut Pcg64, heap: &mut Heap) -> Run {
    // Per client: attempts made. Every request is created at 0, so the
    // time to success is the success's time.
    let mut made = vec![0u32; clients as usize];
    let capacity = BURST * UNITS_PER_TOKEN;
    let rate = RATE_PER_MINUTE * 1000; // units per nanosecond
    let (mut level, mut last) = (capacity, 0u64);
    let mut seq = 0u64;
    let mut out = Run::default();
    heap.clear();
    for c in 0..clients {
        heap.push(Reverse((0, seq, c << 1)));
        seq += 1;
    }
    while let Some(Reverse((now, _, tagged))) = heap.pop() {
        if now > HORIZON {
            break;
        }
        out.events += 1;
        let client = tagged >> 1;
        if tagged & 1 == 1 {
            // A service ends: success.
            out.succeeded += 1;
            out.tts_sum += now;
            continue;
        }
        // An attempt at the limiter.
        out.attempts += 1;
        let m = &mut made[client as usize];
        *m += 1;
        level = (level + u128::from(now - last) * rate).min(capacity);
        last = now;
        if level >= UNITS_PER_TOKEN {
            level -= UNITS_PER_TOKEN;
            heap.push(Reverse((now + SERVICE, seq, tagged | 1)));
        } else if *m < MAX_ATTEMPTS {
            let at = now + strategy.delay(*m - 1, rng);
            heap.push(Reverse((at, seq, tagged)));
        }
        seq += 1;
    }
    out
}

type Heap = BinaryHeap<Reverse<(u64, u64, u32)>>;

fn main() {
    let (mut clients, mut replications) = (1000u32, 200u32);
    let mut only: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| -> u32 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} takes a whole number"))
        };
        match a.as_str() {
            "--clients" => clients = value("--clients"),
            "--replications" => replications = value("--replications"),
            "--strategy" => only = args.next(),
            // `cargo bench` passes --bench.
            _ => {}
        }
    }
    let mut heap = Heap::new();
    println!("strategy runs events wall_s success_rate tts_mean_s attempts_per_request");
    let chosen = Strategy::ALL
        .into_iter()
        .filter(|s| only.as_deref().is_none_or(|o| o == s.name()));
    for strategy in chosen {
        let start = Instant::now();
        let mut total = Run::default();
        let mut tts_means = 0.0;
        for rep in 0..replications {
            let mut rng = Pcg64::seed_from_u64(u64::from(rep));
            let r = run(clients, strategy, &mut rng, &mut heap);
            total.events += r.events;
            total.attempts += r.attempts;
            total.succeeded += r.succeeded;
            if r.succeeded > 0 {
                tts_means += r.tts_sum as f64 / r.succeeded as f64 / NS as f64;
            }
        }
        let wall = start.elapsed().as_secs_f64();
        let requests = f64::from(clients) * f64::from(replications);
        println!(
            "{} {} {} {:.4} {:.6} {:.6} {:.6}",
            strategy.name(),
            replications,
            total.events,
            wall,
            total.succeeded as f64 / requests,
            tts_means / f64::from(replications),
            total.attempts as f64 / requests,
        );
    }
}
