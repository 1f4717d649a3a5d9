#!/usr/bin/env bash
# Compares backsim with the independent SimPy model (herd_simpy.py) on the
# thundering-herd scenario.
#
#   benches/peer/compare.sh [--minimal] [CLIENTS [REPLICATIONS]]
#                                                  (defaults: 1000 20)
#
# Builds backsim in release, runs a copy of scenarios/thundering-herd.toml
# with CLIENTS clients and REPLICATIONS replications, runs the SimPy model
# with the same parameters, and prints both results side by side with their
# 95% confidence intervals, whether each pair agrees, and the wall times.
# With --minimal the SimPy model is the minimal one (herd_simpy_min.py),
# which computes the success rate and the mean time to success only.
#
# Exit codes: 0 every metric agrees; 1 some metric disagrees (or a program
# failed); 2 bad arguments or SimPy is not installed.
#
# The backsim binary is looked up where cargo put it, so CARGO_TARGET_DIR is
# honoured. PYTHON overrides the interpreter (default python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3}"

usage() {
    echo "usage: $0 [--minimal] [CLIENTS [REPLICATIONS]]   (defaults: 1000 20)" >&2
    exit 2
}
peer=herd_simpy.py
if [[ "${1:-}" == --minimal ]]; then
    peer=herd_simpy_min.py
    shift
fi
[[ $# -le 2 ]] || usage
clients="${1:-1000}"
reps="${2:-20}"
[[ "$clients" =~ ^[1-9][0-9]*$ && "$reps" =~ ^[1-9][0-9]*$ ]] || usage
if (( reps < 2 )); then
    echo "error: at least 2 replications are needed for confidence intervals" >&2
    exit 2
fi

if ! command -v "$python" >/dev/null 2>&1; then
    echo "error: $python not found; this comparison needs Python 3 and SimPy" >&2
    exit 2
fi
if ! "$python" -c 'import simpy' >/dev/null 2>&1; then
    cat >&2 <<EOF
error: the Python package SimPy is not installed (it is not a dependency of
backsim, only of this comparison). Install it with

    pip install simpy        (or: $python -m pip install simpy)

and run this script again.
EOF
    exit 2
fi

# --- Build backsim ----------------------------------------------------------
echo "building backsim (cargo build --release) ..." >&2
build_json="$(cd "$repo" && cargo build --release --bin backsim --message-format=json-render-diagnostics)"
backsim="$(printf '%s\n' "$build_json" | "$python" -c '
import json, sys
exe = None
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") \
            and m.get("target", {}).get("name") == "backsim":
        exe = m["executable"]
print(exe or "")
')"
if [[ -z "$backsim" || ! -x "$backsim" ]]; then
    echo "error: could not find the backsim binary cargo built" >&2
    exit 1
fi

# --- The scenario copy ------------------------------------------------------
tmp="$(mktemp -d "${TMPDIR:-/tmp}/backsim-peer.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
scenario="$tmp/thundering-herd.toml"
sed -E \
    -e "s/^(clients[[:space:]]*=[[:space:]]*)[0-9]+/\1$clients/" \
    -e "s/^(replications[[:space:]]*=[[:space:]]*)[0-9]+/\1$reps/" \
    "$repo/scenarios/thundering-herd.toml" >"$scenario"
grep -Eq "^clients[[:space:]]*=[[:space:]]*$clients([^0-9]|$)" "$scenario" &&
    grep -Eq "^replications[[:space:]]*=[[:space:]]*$reps([^0-9]|$)" "$scenario" || {
    echo "error: could not set clients and replications in the scenario copy" >&2
    exit 1
}
name="$(sed -n -E 's/^name[[:space:]]*=[[:space:]]*"([^"]*)".*/\1/p' "$scenario" | head -n 1)"
seed="$(sed -n -E 's/^seed[[:space:]]*=[[:space:]]*([0-9]+).*/\1/p' "$scenario" | head -n 1)"
"$backsim" check "$scenario"

now() { "$python" -c 'import time; print(repr(time.time()))'; }
elapsed() { "$python" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }

# --- Run both ---------------------------------------------------------------
echo "running backsim: $clients clients, $reps replications ..." >&2
t0="${EPOCHREALTIME:-$(now)}"
"$backsim" run "$scenario" --no-charts --quiet -o "$tmp/out"
t1="${EPOCHREALTIME:-$(now)}"
backsim_wall="$(elapsed "$t0" "$t1")"

t0="${EPOCHREALTIME:-$(now)}"
"$backsim" run "$scenario" --no-charts --quiet --threads 1 -o "$tmp/out1"
t1="${EPOCHREALTIME:-$(now)}"
backsim1_wall="$(elapsed "$t0" "$t1")"
if ! cmp -s "$tmp/out/$name/summary.csv" "$tmp/out1/$name/summary.csv"; then
    echo "error: backsim's summary.csv differs between --threads 1 and the default" >&2
    exit 1
fi

# Not timed: the same run with one row per request, from which the 95% CI
# of the mean time to success is computed (summary.csv has none).
"$backsim" run "$scenario" --no-charts --quiet --requests -o "$tmp/outr"

echo "running the SimPy model ($peer): $clients clients, $reps replications ..." >&2
peer_args=(--clients "$clients" --replications "$reps" --seed "$seed")
[[ "$peer" == herd_simpy.py ]] && peer_args+=(--csv)
t0="${EPOCHREALTIME:-$(now)}"
"$python" "$here/$peer" "${peer_args[@]}" >"$tmp/simpy.csv"
t1="${EPOCHREALTIME:-$(now)}"
simpy_wall="$(elapsed "$t0" "$t1")"

# --- Compare ----------------------------------------------------------------
set +e
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" "$python" - \
    "$tmp/out/$name/summary.csv" "$tmp/outr/$name/requests.csv" "$tmp/simpy.csv" \
    "$clients" "$reps" "$backsim_wall" "$backsim1_wall" "$simpy_wall" "$(nproc 2>/dev/null || echo '?')" <<'EOF'
import csv, math, sys
from collections import defaultdict
from herd_simpy import mean_ci95

summary, requests, simpy_csv, clients, reps, bw, bw1, sw, cores = sys.argv[1:]
bw, bw1, sw = float(bw), float(bw1), float(sw)

backsim = {}
for row in csv.DictReader(open(summary, newline="")):
    backsim[row["strategy"]] = {
        "success_rate": (float(row["success_rate"]), float(row["success_rate_ci95"])),
        "tts_mean_s": (float(row["tts_mean_s"]), None),
        "attempts_per_request": (float(row["attempts_per_request"]),
                                 float(row["attempts_per_request_ci95"])),
    }

# Per-replication mean time to success (and success count) from requests.csv.
tts = defaultdict(lambda: defaultdict(lambda: [0.0, 0]))
for row in csv.DictReader(open(requests, newline="")):
    acc = tts[row["strategy"]][int(row["replication"])]
    if row["outcome"] == "succeeded":
        acc[0] += float(row["duration_s"])
        acc[1] += 1
problems = []
for strategy, per_rep in tts.items():
    m, ci = mean_ci95(s / n for s, n in per_rep.values() if n)
    reported = backsim[strategy]["tts_mean_s"][0]
    if abs(m - reported) > 1e-6 * max(1.0, abs(reported)):
        problems.append(f"{strategy}: tts_mean_s from requests.csv ({m}) is not "
                        f"summary.csv's ({reported})")
    backsim[strategy]["tts_mean_s"] = (reported, ci)

# The minimal model computes no attempts per request; it gives the fewest
# and most successes of a replication instead.
metrics = ("success_rate", "tts_mean_s", "attempts_per_request")
simpy, counts = {}, []
for row in csv.DictReader(open(simpy_csv, newline="")):
    if "attempts_per_request" not in row:
        metrics = ("success_rate", "tts_mean_s")
    simpy[row["strategy"]] = {
        k: (float(row[k]), float(row[k + "_ci95"])) for k in metrics
    }
    if "succeeded_min" in row:
        ok = [n for _, n in tts[row["strategy"]].values()]
        counts.append(f"  {row['strategy']}: backsim {min(ok)} to {max(ok)}, "
                      f"SimPy {row['succeeded_min']} to {row['succeeded_max']}")

def exact(mean, ci):
    # A zero half-width, up to the rounding of summed floats.
    return abs(ci) <= 1e-12 * max(1.0, abs(mean))

rows, bad = [], 0
for strategy in backsim:
    if strategy not in simpy:
        problems.append(f"{strategy}: not in the SimPy results")
        continue
    for metric in metrics:
        (a, ca), (b, cb) = backsim[strategy][metric], simpy[strategy][metric]
        diff = abs(a - b)
        if exact(a, ca) and exact(b, cb):
            # Deterministic on both sides: equal up to float printing.
            allowed, how = 1e-9 * max(1.0, abs(a)), "equal"
        else:
            allowed, how = ca + cb, "CIs"
        ok = diff <= allowed
        bad += not ok
        rows.append((metric, strategy, f"{a:.6f} ± {ca:.6f}", f"{b:.6f} ± {cb:.6f}",
                     f"{diff:.6f}", f"{allowed:.6f} ({how})", "yes" if ok else "NO"))

head = ("metric", "strategy", "backsim (mean ± ci95)", "SimPy (mean ± ci95)",
        "|diff|", "allowed", "agree")
widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
print(f"thundering-herd: {clients} clients, {reps} replications per strategy")
print(line(head))
print(line(tuple("-" * w for w in widths)))
for r in rows:
    print(line(r))
if counts:
    print("successes in one replication, fewest to most:")
    print("\n".join(counts))
print()
print(f"wall time (both strategies, whole process):")
print(f"  backsim, all {cores} cores   {bw:9.3f} s")
print(f"  backsim, --threads 1    {bw1:9.3f} s")
print(f"  SimPy model             {sw:9.3f} s")
print(f"speed ratio SimPy / backsim: {sw / bw:.1f}x "
      f"(single-threaded backsim: {sw / bw1:.1f}x)")
for p in problems:
    print("problem: " + p)
if bad or problems:
    print(f"DISAGREEMENT: {bad} metric(s) outside the allowed difference")
    sys.exit(1)
print("all metrics agree")
EOF
status=$?
set -e
exit "$status"
