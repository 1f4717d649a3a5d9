#!/usr/bin/env python3
"""The minimal SimPy model of backsim's `scenarios/thundering-herd.toml`.

Beside the fuller peer (herd_simpy.py, which models the server's slots and
queue, the network hops, the client's timeout and every outcome), this one
keeps only what the scenario's results depend on, and is what backsim's
speed is compared with (`benches/perf.sh simpy`). It is written from the
model's specification (docs/model.md) and the scenario file, and shares no
code with backsim.

The model:

* `clients` clients (1,000), one request each, all at t = 0; one SimPy
  process per client;
* the limiter: one request bucket, 6,000 per minute (100/s), refilled
  continuously, capacity 50, full at the start; an attempt is admitted iff
  the level is at least one request, and then takes it; a rejected attempt
  fails at once (0 ms hops; the 429's Retry-After is honoured by neither
  strategy, so it is not computed);
* an admitted attempt is served in 200 ms and succeeds. There is no server
  queue: at most one bucket-full (50) is admitted at a time, far below the
  1,000 slots, so the concurrency never binds; and the 60 s client timeout
  never fires before a 200 ms service ends, so it is not modelled either;
* a failed attempt is retried after the strategy's delay, 5 attempts in all:
  `linear` waits 1 s, 2 s, 3 s, 4 s (base * (n + 1)),
  `exponential-full-jitter` waits U(0, min(60 s, 1 s * 2^n)) before retry n
  (0-based), rounded to the nanosecond.

Time is an integer count of nanoseconds and the bucket level an integer
count of 1/(6e13) requests, so one nanosecond of refill at R per minute adds
exactly 1000 * R units: the linear case's closed form (each wave at 0, 1, 3,
6 and 10 s finds the bucket full again and passes exactly 50) comes out
exactly.

A replication keeps the success count and the sum of the times to success
(from the request's creation at t = 0 to the end of its successful
service), nothing else. Across replications: the mean success rate and the
mean of the per-replication mean times to success, each with the half-width
of its 95% confidence interval (Student t, n - 1 degrees of freedom).
"""

import argparse
import random
import sys
import time

# The peer's Student-t interval, and SimPy as the peer imports it (the
# peer says how to install SimPy when it is missing).
from herd_simpy import mean_ci95, simpy

NS_PER_S = 1_000_000_000
SEED = 7                                 # the scenario's seed
REPLICATIONS = 10                        # the scenario's replications
CLIENTS = 1000                           # [workload] clients
HORIZON = 600 * NS_PER_S                 # horizon = "10m"
PER_MINUTE = 6000                        # [limiter] requests_per_minute
BURST = 50                               # [limiter] request_burst
SERVICE = 200_000_000                    # [server] latency = "200ms"
MAX_ATTEMPTS = 5                         # both strategies
BASE = NS_PER_S                          # both strategies: base = "1s"
CAP = 60 * NS_PER_S                      # full jitter: cap = "60s"
STRATEGIES = ("linear", "exponential-full-jitter")

UNIT = 60 * NS_PER_S * 1000              # bucket units per request
RATE = PER_MINUTE * 1000                 # bucket units per nanosecond


class Bucket:
    """The request bucket, full at t = 0."""

    def __init__(self):
        self.level = BURST * UNIT
        self.last = 0

    def take(self, now):
        level = min(BURST * UNIT, self.level + (now - self.last) * RATE)
        self.last = now
        if level >= UNIT:
            self.level = level - UNIT
            return True
        self.level = level
        return False


class Run:
    def __init__(self):
        self.succeeded = 0
        self.tts_sum = 0  # ns, exact


def linear(n, rng):
    return BASE * (n + 1)


def full_jitter(n, rng):
    # U(0, v) for v = min(cap, base * 2^n); v * U >= 0, so rounding half away
    # from zero is int(x + 0.5).
    return int(min(CAP, BASE * 2 ** n) * rng.random() + 0.5)


def client(env, bucket, delay, rng, run):
    created = env.now
    for n in range(MAX_ATTEMPTS):
        if bucket.take(env.now):
            yield env.timeout(SERVICE)
            run.succeeded += 1
            run.tts_sum += env.now - created
            return
        if n + 1 < MAX_ATTEMPTS:
            yield env.timeout(delay(n, rng))


class CountingEnvironment(simpy.Environment):
    """An Environment that counts the events it processes (for --events
    only: the timed runs use SimPy's own Environment)."""

    def __init__(self):
        super().__init__()
        self.events = 0

    def step(self):
        self.events += 1
        super().step()


def replicate(strategy, clients, seed, rep, count_events=False):
    # A stream of its own per (seed, strategy, replication).
    rng = random.Random(f"herd-simpy-min/{seed}/{strategy}/{rep}")
    env = CountingEnvironment() if count_events else simpy.Environment()
    bucket = Bucket()
    run = Run()
    delay = linear if strategy == "linear" else full_jitter
    for _ in range(clients):
        env.process(client(env, bucket, delay, rng, run))
    # backsim handles events at exactly the horizon; SimPy's `until` stops
    # before them, so run one nanosecond further.
    env.run(until=HORIZON + 1)
    return run, (env.events if count_events else None)


def main(argv=None):
    p = argparse.ArgumentParser(
        description="The minimal SimPy model of backsim's thundering-herd "
        "scenario (one process per client, no server queue).")
    p.add_argument("--clients", type=int, default=CLIENTS,
                   help="clients, one request each at t = 0 (default %(default)s)")
    p.add_argument("--replications", type=int, default=REPLICATIONS,
                   help="replications per strategy (default %(default)s, as in the scenario)")
    p.add_argument("--seed", type=int, default=SEED,
                   help="master seed of Python's random.Random streams (default %(default)s)")
    p.add_argument("--strategy", action="append", choices=STRATEGIES,
                   help="strategy to run; repeat for several (default: both)")
    p.add_argument("--events", action="store_true",
                   help="also count the events SimPy processes (slower; not for timing)")
    a = p.parse_args(argv)
    if a.clients < 1 or a.replications < 1:
        p.error("--clients and --replications must be at least 1")

    print("strategy,replications,clients,success_rate,success_rate_ci95,"
          "tts_mean_s,tts_mean_s_ci95,succeeded_min,succeeded_max,"
          "events_per_run,wall_s")
    for strategy in a.strategy or STRATEGIES:
        t0 = time.perf_counter()
        runs = [replicate(strategy, a.clients, a.seed, rep, a.events)
                for rep in range(a.replications)]
        wall = time.perf_counter() - t0
        sr = mean_ci95([r.succeeded / a.clients for r, _ in runs])
        tts = mean_ci95([r.tts_sum / r.succeeded / NS_PER_S if r.succeeded else None
                         for r, _ in runs])
        ok = [r.succeeded for r, _ in runs]
        events = (repr(sum(e for _, e in runs) / len(runs)) if a.events else "")
        print(",".join([strategy, str(a.replications), str(a.clients)]
                       + [repr(x) for x in (*sr, *tts)]
                       + [str(min(ok)), str(max(ok)), events, f"{wall:.6f}"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
