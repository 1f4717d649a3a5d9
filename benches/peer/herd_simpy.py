#!/usr/bin/env python3
"""An independent SimPy model of backsim's `scenarios/thundering-herd.toml`.

It shares no code with backsim: the clients, the limiter, the server and the
statistics are written here from the model's specification (docs/model.md)
and the scenario file, on SimPy's event loop, with Python's own random
numbers. Deterministic strategies must match backsim exactly; jittered ones
only statistically.

The scenario, as this model reads it:

* workload: `clients` clients (1,000 in the file), one request each, all at
  t = 0 (burst, spread 0);
* limiter: one request bucket, 6,000 per minute (100/s) continuous refill,
  capacity 50, full at the start; an attempt of cost 1 is admitted iff the
  level is >= 1, otherwise it gets a 429 at once (with an exact Retry-After,
  which neither strategy honours); no token buckets (the file leaves
  `tokens_per_minute` commented out);
* server: 1,000 slots with a FIFO queue behind them, 200 ms fixed service,
  no errors, no outages;
* network: 0 ms per hop; client timeout 60 s per attempt (the server keeps
  working on an abandoned attempt); horizon 10 min;
* strategies: `linear` (1 s, 2 s, 3 s, 4 s; 5 attempts) and
  `exponential-full-jitter` (U(0, min(60 s, 1 s * 2^n)) before retry n;
  5 attempts). Both retry every failure; neither honours Retry-After.

Time is an integer count of nanoseconds and the bucket is kept in exact
integer units (1/(6e13) token, so that one nanosecond of refill at R tokens
per minute adds exactly 1000 * R units), as backsim does, so the linear
case's closed-form result (one bucket-full per wave) comes out exactly.

Metrics per replication: success_rate = succeeded / requests, attempts per
request = attempts / requests, mean time to success = mean over the
succeeded requests of (receipt of the successful answer - creation). Across
replications: the mean and the half-width of its 95% confidence interval
(Student t, n - 1 degrees of freedom); the time to success is the mean of
the per-replication means.
"""

import argparse
import math
import random
import sys
import time

try:
    import simpy
except ImportError:  # pragma: no cover - reported to the user
    sys.stderr.write(
        "error: the SimPy package is not installed; install it with\n"
        "    python3 -m pip install simpy\n"
    )
    sys.exit(2)

NS_PER_S = 1_000_000_000
NS_PER_MS = 1_000_000


def secs(s):
    return int(s * NS_PER_S)


# --- The scenario (scenarios/thundering-herd.toml) --------------------------

SCENARIO = {
    "name": "thundering-herd",
    "seed": 7,
    "replications": 10,
    "horizon": secs(600),  # "10m"
    "clients": 1000,
    "spread": 0,  # "0s"
    "requests_per_minute": 6000,
    "request_burst": 50,
    "retry_after": "exact",
    "one_way": 0,  # "0ms"
    "concurrency": 1000,
    "latency": 200 * NS_PER_MS,  # "200ms"
    "error_rate": 0.0,
    "timeout": secs(60),  # "60s"
}

STRATEGIES = {
    "linear": {
        "kind": "linear",
        "base": secs(1),
        "cap": None,
        "max_attempts": 5,
        "honor_retry_after": False,  # the scenario-file default
    },
    "exponential-full-jitter": {
        "kind": "full_jitter",
        "base": secs(1),
        "cap": secs(60),
        "multiplier": 2.0,
        "max_attempts": 5,
        "honor_retry_after": False,
    },
}


# --- The provider ----------------------------------------------------------


class RequestBucket:
    """A continuously refilling token bucket in exact integer units.

    One token is 60 s * 1e9 ns/s * 1000 = 6e13 units; a rate of R tokens per
    minute adds 1000 * R units per nanosecond.
    """

    UNITS = 60 * NS_PER_S * 1000

    def __init__(self, per_minute, burst):
        self.rate = int(round(per_minute * 1000))  # units per ns
        self.capacity = burst * self.UNITS
        self.level = self.capacity  # starts full
        self.last = 0

    def _refill(self, now):
        if now > self.last:
            self.level = min(self.capacity, self.level + (now - self.last) * self.rate)
            self.last = now

    def try_take(self, now, cost=1):
        """(True, 0) if admitted, else (False, ns until it would be)."""
        self._refill(now)
        need = cost * self.UNITS
        if self.level >= need:
            self.level -= need
            return True, 0
        if need > self.capacity or self.rate == 0:
            return False, None
        return False, -(-(need - self.level) // self.rate)  # ceiling division


def retry_after_header(mode, wait):
    if wait is None or mode == "none":
        return None
    if mode == "exact":
        return wait
    unit = {"ms": NS_PER_MS, "seconds": NS_PER_S}[mode]
    return -(-wait // unit) * unit


class Provider:
    def __init__(self, env, sc, rng):
        self.env = env
        self.sc = sc
        self.rng = rng
        self.bucket = RequestBucket(sc["requests_per_minute"], sc["request_burst"])
        # simpy.Resource grants slots in FIFO order of the requests.
        self.slots = simpy.Resource(env, capacity=sc["concurrency"])

    def handle(self, answer):
        """One attempt's way through the provider; `answer` is the event the
        client waits on (it may have stopped waiting: a timed-out attempt is
        still served, as backsim's default `cancel_on_disconnect = false`)."""
        env, sc = self.env, self.sc
        yield env.timeout(sc["one_way"])  # client -> limiter
        admitted, wait = self.bucket.try_take(env.now, 1)
        if not admitted:
            yield env.timeout(sc["one_way"])  # 429 back at once
            if not answer.triggered:
                answer.succeed(("429", retry_after_header(sc["retry_after"], wait)))
            return
        with self.slots.request() as slot:
            yield slot
            yield env.timeout(sc["latency"])
            error = sc["error_rate"] > 0 and self.rng.random() < sc["error_rate"]
        yield env.timeout(sc["one_way"])  # answer back
        if not answer.triggered:
            answer.succeed(("500", None) if error else ("ok", None))


# --- The clients -----------------------------------------------------------


def round_half_away(x):
    return int(math.floor(x + 0.5)) if x > 0 else 0


def backoff_delay(st, n, rng):
    """Delay in ns before retry n (0-based)."""
    if st["kind"] == "linear":
        d = st["base"] * (n + 1)
        return d if st["cap"] is None else min(d, st["cap"])
    if st["kind"] == "full_jitter":
        v = st["base"] * st["multiplier"] ** n
        if st["cap"] is not None:
            v = min(v, st["cap"])
        return round_half_away(v * rng.random())
    raise ValueError(st["kind"])


class Stats:
    def __init__(self):
        self.requests = 0
        self.succeeded = 0
        self.gave_up = 0
        self.attempts = 0
        self.tts_sum = 0  # ns, exact
        self.events = 0


def client(env, provider, st, rng, stats):
    sc = provider.sc
    created = env.now
    stats.requests += 1
    made = 0
    while True:
        made += 1
        stats.attempts += 1
        answer = env.event()
        env.process(provider.handle(answer))
        timer = env.timeout(sc["timeout"])
        yield answer | timer
        if answer.triggered:
            status, retry_after = answer.value
        else:
            status, retry_after = "timeout", None
        if status == "ok":
            stats.succeeded += 1
            stats.tts_sum += env.now - created
            return
        # Every failure is retried (retry_on defaults to all).
        if made >= st["max_attempts"]:
            stats.gave_up += 1
            return
        delay = backoff_delay(st, made - 1, rng)
        if st["honor_retry_after"] and status == "429" and retry_after:
            delay = retry_after
        yield env.timeout(delay)


def starter(env, provider, st, rng, stats, clients):
    spread = provider.sc["spread"]
    for _ in range(clients):
        if spread == 0:
            env.process(client(env, provider, st, rng, stats))
        else:  # not used by this scenario
            offset = round_half_away(spread * rng.random())
            env.process(delayed(env, offset, client(env, provider, st, rng, stats)))
    yield env.timeout(0)


def delayed(env, offset, proc):
    yield env.timeout(offset)
    yield env.process(proc)


def replicate(strategy, clients, seed, rep):
    sc = dict(SCENARIO)
    st = STRATEGIES[strategy]
    # A stream of its own per (seed, strategy, replication).
    rng = random.Random(f"herd-simpy/{seed}/{strategy}/{rep}")
    env = simpy.Environment()
    provider = Provider(env, sc, rng)
    stats = Stats()
    env.process(starter(env, provider, st, rng, stats, clients))
    # backsim handles events at exactly the horizon; SimPy's `until` stops
    # before them, so run one nanosecond further.
    env.run(until=sc["horizon"] + 1)
    return stats


# --- Statistics ------------------------------------------------------------


def t_two_sided_mass(t, df):
    """P(|T| < t) for Student's t with integer df >= 1 (Abramowitz & Stegun
    26.7.3 and 26.7.4, finite sums in theta = atan(t / sqrt(df)))."""
    theta = math.atan(t / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    s = math.sin(theta)
    if df % 2 == 1:
        if df == 1:
            return 2 * theta / math.pi
        term, total = math.cos(theta), math.cos(theta)
        for k in range(3, df - 1, 2):  # 2·4…(k−1) / 1·3…(k−2) cos^k
            term *= (k - 1) / k * c2
            total += term
        return 2 / math.pi * (theta + s * total)
    term, total = 1.0, 1.0
    for k in range(2, df - 1, 2):  # 1·3…(k−1) / 2·4…k cos^k
        term *= (k - 1) / k * c2
        total += term
    return s * total


def t_quantile_975(df):
    lo, hi = 0.0, 1.0
    while t_two_sided_mass(hi, df) < 0.95:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if t_two_sided_mass(mid, df) < 0.95:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def mean_ci95(values):
    v = [x for x in values if x is not None and math.isfinite(x)]
    n = len(v)
    if n == 0:
        return float("nan"), float("nan")
    m = sum(v) / n
    if n < 2:
        return m, float("nan")
    var = sum((x - m) ** 2 for x in v) / (n - 1)
    return m, t_quantile_975(n - 1) * math.sqrt(var / n)


def summarise(runs):
    sr = mean_ci95([r.succeeded / r.requests for r in runs])
    tts = mean_ci95([r.tts_sum / r.succeeded / NS_PER_S if r.succeeded else None for r in runs])
    apr = mean_ci95([r.attempts / r.requests for r in runs])
    return sr, tts, apr


# --- Command line ----------------------------------------------------------


def main(argv=None):
    p = argparse.ArgumentParser(
        description="SimPy model of backsim's thundering-herd scenario "
        "(an independent peer implementation)."
    )
    p.add_argument("--clients", type=int, default=SCENARIO["clients"],
                   help="clients, one request each at t = 0 (default %(default)s)")
    p.add_argument("--replications", type=int, default=SCENARIO["replications"],
                   help="replications per strategy (default %(default)s, as in the scenario)")
    p.add_argument("--seed", type=int, default=SCENARIO["seed"],
                   help="master seed of Python's random.Random streams (default %(default)s)")
    p.add_argument("--strategy", action="append", choices=list(STRATEGIES),
                   help="strategy to run; repeat for several (default: all)")
    p.add_argument("--csv", action="store_true",
                   help="print machine-readable CSV instead of the table")
    a = p.parse_args(argv)
    if a.clients < 1 or a.replications < 1:
        p.error("--clients and --replications must be at least 1")
    strategies = a.strategy or list(STRATEGIES)

    rows = []
    for name in strategies:
        t0 = time.perf_counter()
        runs = [replicate(name, a.clients, a.seed, rep) for rep in range(a.replications)]
        wall = time.perf_counter() - t0
        rows.append((name, runs, summarise(runs), wall))

    if a.csv:
        print("strategy,replications,clients,success_rate,success_rate_ci95,"
              "tts_mean_s,tts_mean_s_ci95,attempts_per_request,"
              "attempts_per_request_ci95,unfinished,wall_s")
        for name, runs, (sr, tts, apr), wall in rows:
            unfinished = sum(r.requests - r.succeeded - r.gave_up for r in runs) / len(runs)
            print(",".join([name, str(len(runs)), str(a.clients)] +
                           [repr(x) for x in (*sr, *tts, *apr, unfinished)] +
                           [f"{wall:.6f}"]))
        return 0

    print(f"thundering-herd (SimPy {simpy.__version__}) - {a.clients} clients, "
          f"{a.replications} replications per strategy, seed {a.seed}")
    print(f"{'strategy':<24} {'success_rate':>22} {'tts_mean_s':>22} "
          f"{'attempts/request':>22} {'wall':>8}")
    fmt = lambda m, ci: f"{m:.6f} ± {ci:.6f}" if math.isfinite(ci) else f"{m:.6f}"
    for name, runs, (sr, tts, apr), wall in rows:
        print(f"{name:<24} {fmt(*sr):>22} {fmt(*tts):>22} {fmt(*apr):>22} {wall:>7.2f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
