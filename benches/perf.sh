#!/usr/bin/env bash
# Measures backsim against the performance targets in the README's
# "Performance" section, on scenarios/thundering-herd.toml scaled to more
# clients, and prints the figures as Markdown tables.
#
#   benches/perf.sh            # everything (about five minutes on 2 cores)
#   benches/perf.sh quick      # skip the 10^6-client rows of the curve
#   benches/perf.sh bare       # only backsim against the bare loop
#   benches/perf.sh simpy      # only backsim against the minimal SimPy model
#   benches/perf.sh huge       # only the 10^7-client burst, best of
#                              # HUGE_REPEATS (default 3: its runs spread
#                              # over ±5%) per strategy (about a minute
#                              # and 1.5 GB; not part of the default)
#   benches/perf.sh sweep      # only the 10,000-run sweep at 1 and 2 threads
#   benches/perf.sh curve      # only the cost per event from 10^4 to 10^6
#                              # clients
#
# Wall times on a shared or virtual machine vary from run to run; each
# figure is the best of REPEATS runs (default 5). Nothing here is a test:
# CI only builds the benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${REPEATS:-5}
MODE=${1:-full}

cargo build --release --quiet
BIN=target/release/backsim
# The bare loop of the same model (benches/bare_herd.rs), built as a
# benchmark; cargo names the executable it built.
BARE=$(cargo bench --no-run --bench bare_herd 2>&1 | sed -n 's/.*Executable.*(\(.*\)).*/\1/p' | tail -1)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# herd CLIENTS REPLICATIONS [linear|jitter]: a scaled copy of the shipped
# scenario, with both strategies or one of them.
herd() {
  local clients=$1 reps=$2 only=${3:-both} file
  file="$TMP/herd-$clients-$reps-$only.toml"
  awk -v c="$clients" -v r="$reps" -v only="$only" '
    /^\[\[strategy\]\]/ { n++ }
    n == 1 && only == "jitter" { next }
    n == 2 && only == "linear" { next }
    /^clients = 1000 / { sub(/1000/, c) }
    /^replications = 10 / { sub(/10/, r) }
    { print }' scenarios/thundering-herd.toml >"$file"
  echo "$file"
}

# stats FILE THREADS: best-of-REPEATS "events wall_s peak_MB" of
# `backsim run --stats` (events over the whole wall time). Each scaled copy
# writes to a folder of its own: backsim rewrites a report folder only from
# the scenario file that first wrote it.
stats() {
  local file=$1 threads=$2 best="" line
  for _ in $(seq "$REPEATS"); do
    line=$("$BIN" run "$file" --stats --no-charts --quiet --threads "$threads" -o "$TMP/out-$(basename "$file" .toml)" 2>&1 |
      awk '/^total:/ { e = $4; w = $9 } /^peak memory:/ { m = $3 } END { print e, w, m }')
    if [ -z "$best" ] || awk -v a="$line" -v b="$best" 'BEGIN { split(a, x); split(b, y); exit !(x[2] < y[2]) }'; then
      best=$line
    fi
  done
  echo "$best"
}

per_strategy_rate() { # FILE: best-of-REPEATS events/s per strategy, 1 thread
  local file=$1
  for _ in $(seq "$REPEATS"); do
    "$BIN" run "$file" --stats --no-charts --quiet --threads 1 -o "$TMP/out-$(basename "$file" .toml)" 2>&1 |
      awk '$2 ~ /^[0-9]+$/ && NF == 6 { e[$1] += $3; w[$1] += $5 }
           END { for (s in e) printf "%s %.1f\n", s, e[s] / w[s] / 1e6 }'
  done | sort | awk '{ if ($2 > best[$1]) best[$1] = $2 } END { for (s in best) printf "%s %.1f\n", s, best[s] }' | sort
}

# median VALUES...: the middle value (the mean of the two middle ones).
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# now: seconds since the epoch, to the nanosecond.
now() { date +%s.%N; }

# in_turn STRATEGY PEER SCALE: backsim and a peer on the reference herd
# (1,000 clients, 200 replications, one strategy, 1 thread), taken in turn
# REPEATS times; prints the medians "backsim_s peer_s backsim_loop_s
# peer_loop_s" of whole processes and of the runs alone (backsim's --stats
# total; the peer's own clock, printed by the shell function PEER STRATEGY).
# A peer that ran fewer replications is scaled by SCALE: its runs' own
# time scaled, its start-up counted once.
in_turn() {
  local name=$1 peer=$2 k=$3 only=linear f out t0 t1 t2 w p
  [ "$name" = exponential-full-jitter ] && only=jitter
  f=$(herd 1000 200 "$only")
  out="$TMP/out-$(basename "$f" .toml)"
  local bs=() ps=() ls=() lp=()
  for _ in $(seq "$REPEATS"); do
    t0=$(now)
    w=$("$BIN" run "$f" --stats --no-charts --quiet --threads 1 -o "$out" 2>&1 | awk '/^total:/ { print $9 }')
    t1=$(now)
    p=$("$peer" "$name")
    t2=$(now)
    bs+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
    ps+=("$(awk -v a="$t1" -v b="$t2" -v p="$p" -v k="$k" 'BEGIN { print b - a + p * (k - 1) }')")
    ls+=("$w") lp+=("$(awk -v a="$p" -v k="$k" 'BEGIN { print a * k }')")
  done
  echo "$(median "${bs[@]}") $(median "${ps[@]}") $(median "${ls[@]}") $(median "${lp[@]}")"
}

bare_loop() { # STRATEGY: the bare loop's own seconds for its runs
  "$BARE" --clients 1000 --replications 200 --strategy "$1" | awk -v s="$1" '$1 == s { print $4 }'
}

# The throughput of a search: one sweep of 10,000 runs of the reference herd
# (1,000 clients, both strategies, 50 replications, 100 values of
# request_burst), and one tune of the herd (100 candidate policies raced to a
# success-rate goal), whole commands at 1 and 2 threads. Best of
# SWEEP_REPEATS (default 3: each takes seconds, and a single run's speed-up
# moves by ±0.15 with the machine's load).
sweep_section() {
  local f="$TMP/herd-sweep-10k.toml" g="$TMP/herd-tune.toml" w1 w2 runs
  awk '/^replications = 10 / { sub(/10/, "50") } { print }' scenarios/thundering-herd.toml >"$f"
  printf '\n[sweep]\nlimiter.request_burst = { from = 10, to = 109, steps = 100 }\n' >>"$f"
  cat scenarios/thundering-herd.toml - >"$g" <<'TUNE'

[tune]
objective = { minimize = "attempts_per_request" }
goals = { success_rate = ">= 0.95" }
precision = 0.002
screen = 40

[tune.space]
start = ["linear"]
max_attempts = [4, 5, 6, 8, 10, 12, 16, 20, 25, 30]
backoff.base = ["100ms", "250ms", "500ms", "1s", "2s"]
honor_retry_after = [true, false]
TUNE
  best_wall() { # THREADS COMMAND FILE: the best wall seconds of SWEEP_REPEATS
    local best="" t0 t1 w
    for _ in $(seq "${SWEEP_REPEATS:-3}"); do
      t0=$(now)
      "$BIN" "$2" "$3" --no-charts --quiet --threads "$1" -o "$TMP/out-$2" >/dev/null
      t1=$(now)
      w=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
      if [ -z "$best" ] || awk -v a="$w" -v b="$best" 'BEGIN { exit !(a < b) }'; then
        best=$w
      fi
    done
    echo "$best"
  }
  echo "## Throughput for search: 1,000-client herds by the thousand (best of ${SWEEP_REPEATS:-3})"
  echo
  echo "sweep: 100 points (request_burst 10 to 109) x 2 strategies x 50"
  echo "replications. tune: 100 candidate policies (max_attempts x backoff.base"
  echo "x honor_retry_after) and the file's 2, raced to success_rate >= 0.95."
  echo "Whole commands, charts off."
  echo
  echo "| command | runs | 1 thread, s | 2 threads, s | speed-up | runs per second, 2 threads |"
  echo "| --- | --- | --- | --- | --- | --- |"
  w1=$(best_wall 1 sweep "$f")
  w2=$(best_wall 2 sweep "$f")
  awk -v a="$w1" -v b="$w2" 'BEGIN { printf "| sweep | 10000 | %.2f | %.2f | %.2f× | %.0f |\n", a, b, a / b, 10000 / b }'
  runs=$("$BIN" tune "$g" --no-charts --threads 2 -o "$TMP/out-tune" 2>&1 | awk '/^runs used:/ { sub(/,$/, "", $3); gsub(/,/, "", $3); print $3 }')
  w1=$(best_wall 1 tune "$g")
  w2=$(best_wall 2 tune "$g")
  awk -v r="$runs" -v a="$w1" -v b="$w2" 'BEGIN { printf "| tune | %d | %.2f | %.2f | %.2f× | %.0f |\n", r, a, b, a / b, r / b }'
  echo
}
if [ "$MODE" = sweep ]; then
  sweep_section
  exit 0
fi

# The cost per event as the herd grows. Each size runs enough
# replications for about a million clients in all (one at 10^6), so that
# the wall time, which --stats gives to the millisecond, is read to better
# than 0.5% (a single run of 10^4 clients takes about 5 ms).
curve_section() {
  echo "## Cost per event against clients, 1 thread, about 10^6 clients' runs per size (best of $REPEATS)"
  echo
  echo "Pending events grow with the clients (one timer each, plus the"
  echo "retries in flight), so O(events · log pending) means ns per event"
  echo "growing at most like log2(clients)."
  echo
  echo "| clients | runs | log2 | linear ns/event | ÷ log2 | full jitter ns/event | ÷ log2 |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  local sizes="10000 31623 100000 316228 1000000" clients reps el wl ej wj
  [ "$MODE" = quick ] && sizes="10000 31623 100000"
  for clients in $sizes; do
    reps=$(( (1000000 + clients - 1) / clients ))
    read -r el wl _ < <(stats "$(herd "$clients" "$reps" linear)" 1)
    read -r ej wj _ < <(stats "$(herd "$clients" "$reps" jitter)" 1)
    awk -v c="$clients" -v r="$reps" -v el="$el" -v wl="$wl" -v ej="$ej" -v wj="$wj" 'BEGIN {
      l = log(c) / log(2); a = wl / el * 1e9; b = wj / ej * 1e9
      printf "| %d | %d | %.1f | %.1f | %.2f | %.1f | %.2f |\n", c, r, l, a, a / l, b, b / l }'
  done
  echo
}

if [ "$MODE" = curve ]; then
  curve_section
  exit 0
fi

if [ "$MODE" = huge ]; then
  # One run per strategy, each in a process of its own, so that each
  # figure is that strategy's alone: its wall time and peak memory.
  echo "## 10^7-client burst, 5 attempts, 1 replication, 1 thread (best of ${HUGE_REPEATS:=3})"
  echo
  echo "| strategy | events | wall s | peak memory | bytes per client |"
  echo "| --- | --- | --- | --- | --- |"
  for only in linear jitter; do
    read -r e w m < <(REPEATS=$HUGE_REPEATS stats "$(herd 10000000 1 "$only")" 1)
    awk -v o="$only" -v e="$e" -v w="$w" -v m="$m" -v c=10000000 \
      'BEGIN { printf "| %s | %d | %.2f | %.1f MB | %.0f |\n", o, e, w, m, m * 1e6 / c }'
  done
  exit 0
fi

# `benches/perf.sh simpy` runs the last section alone.
if [ "$MODE" != simpy ]; then
echo "## backsim against the bare loop: the reference herd, 200 replications, 1 thread (median of $REPEATS)"
echo
echo "Whole processes, taken in turn (backsim, bare, backsim, ...): backsim"
echo "reads the scenario, runs, summarises and writes its report (no charts);"
echo "the bare loop (benches/bare_herd.rs) only runs. 'loop' is the time of"
echo "the runs alone: backsim's --stats total (runs and summaries), the bare"
echo "loop's own clock."
echo
echo "| strategy | backsim s | bare s | backsim / bare | backsim loop s | bare loop s | loop ratio |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for only in linear jitter; do
  name=$only
  [ "$only" = jitter ] && name=exponential-full-jitter
  read -r a b c d < <(in_turn "$name" bare_loop 1)
  awk -v s="$name" -v a="$a" -v b="$b" -v c="$c" -v d="$d" \
    'BEGIN { printf "| %s | %.3f | %.3f | %.2f | %.3f | %.3f | %.2f |\n", s, a, b, a / b, c, d, c / d }'
done
echo
[ "$MODE" = bare ] && exit 0

echo "## 10^4-client herd, 100 replications, 1 thread (best of $REPEATS)"
echo
echo "| strategy | million events per second per core |"
echo "| --- | --- |"
f=$(herd 10000 100)
per_strategy_rate "$f" | awk '{ printf "| %s | %s |\n", $1, $2 }'
read -r e w _ < <(stats "$f" 1)
awk -v e="$e" -v w="$w" 'BEGIN { printf "| both (the run) | %.1f |\n", e / w / 1e6 }'
echo

echo "## 10^6-client burst, 5 attempts, 1 replication, 1 thread (best of $REPEATS)"
echo
echo "| strategies | events | wall s | peak memory | bytes per client |"
echo "| --- | --- | --- | --- | --- |"
for only in linear jitter both; do
  read -r e w m < <(stats "$(herd 1000000 1 "$only")" 1)
  awk -v o="$only" -v e="$e" -v w="$w" -v m="$m" -v c=1000000 \
    'BEGIN { printf "| %s | %d | %.2f | %.1f MB | %.0f |\n", o, e, w, m, m * 1e6 / c }'
done
echo

echo "## Two threads against one, 20 replications (best of $REPEATS)"
echo
echo "| clients | 1 thread, s | 2 threads, s | speed-up |"
echo "| --- | --- | --- | --- |"
for clients in 10000 100000; do
  f=$(herd "$clients" 20)
  read -r _ w1 _ < <(stats "$f" 1)
  read -r _ w2 _ < <(stats "$f" 2)
  awk -v c="$clients" -v a="$w1" -v b="$w2" 'BEGIN { printf "| %d | %.3f | %.3f | %.2f× |\n", c, a, b, a / b }'
done
echo

curve_section
sweep_section
fi

# The minimal SimPy model of the reference herd (benches/peer/herd_simpy_min.py:
# one process per client, no server queue, success count and time-to-success
# sum only) against backsim, the issue's "100x SimPy" yardstick. It needs
# Python 3 with SimPy 4.1.2: PYTHON (default python3) if it has that version,
# else a virtual environment in $TMP with it installed from PyPI.
# SIMPY_REPS (default 200) sets the SimPy model's replications; fewer are
# scaled linearly to 200 (the output says so).
SIMPY_VERSION=4.1.2
SIMPY_REPS=${SIMPY_REPS:-200}
PY=${PYTHON:-python3}
echo "## backsim against the minimal SimPy model: the reference herd, 200 replications, 1 thread (median of $REPEATS)"
echo
if ! "$PY" -c "import simpy, sys; sys.exit(simpy.__version__ != '$SIMPY_VERSION')" 2>/dev/null; then
  PY="$TMP/venv/bin/python"
  if ! { python3 -m venv "$TMP/venv" && "$PY" -m pip install --quiet --disable-pip-version-check "simpy==$SIMPY_VERSION"; } >"$TMP/venv.log" 2>&1; then
    cat "$TMP/venv.log" >&2
    echo "Not measured: SimPy $SIMPY_VERSION could not be installed into a virtual environment (python3 -m venv, pip);"
    echo "set PYTHON to an interpreter that has it."
    [ "$MODE" = simpy ] && exit 2
    exit 0
  fi
fi
SIMPY="$PY benches/peer/herd_simpy_min.py --clients 1000 --replications $SIMPY_REPS"
scale=$(awk -v r="$SIMPY_REPS" 'BEGIN { print 200 / r }')
echo "$("$PY" -c 'import platform, simpy; print(f"Python {platform.python_version()}, SimPy {simpy.__version__}")'); $(nproc) cores;" \
  "load average $(cut -d' ' -f1-3 /proc/loadavg) before the runs (a busy machine slows both sides, not always alike)."
echo
echo "Whole processes, taken in turn (backsim, SimPy, backsim, ...): backsim"
echo "reads the scenario, runs, summarises and writes its report (no charts);"
echo "the SimPy model (Python start-up and import included) runs and prints"
echo "its summary. 'loop' is the time of the runs alone: backsim's --stats"
echo "total (runs and summaries), the SimPy model's own clock."
if [ "$SIMPY_REPS" != 200 ]; then
  echo "The SimPy model ran $SIMPY_REPS replications, not 200: its times below are scaled linearly by $scale"
  echo "(a whole process's: its runs' own time scaled, plus its start-up once)."
fi
echo
echo "| strategy | backsim s | SimPy s | SimPy / backsim | backsim loop s | SimPy loop s | loop ratio |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
simpy_loop() { # STRATEGY: the SimPy model's own seconds for its runs
  # shellcheck disable=SC2086 # SIMPY is a command line
  $SIMPY --strategy "$1" | awk -F, -v s="$1" '$1 == s { print $NF }'
}
for only in linear jitter; do
  name=$only
  [ "$only" = jitter ] && name=exponential-full-jitter
  read -r a b c d < <(in_turn "$name" simpy_loop "$scale")
  awk -v s="$name" -v a="$a" -v b="$b" -v c="$c" -v d="$d" \
    'BEGIN { printf "| %s | %.3f | %.3f | %.1f× | %.3f | %.3f | %.1f× |\n", s, a, b, b / a, c, d, d / c }'
done
echo
echo "Work done, which does not depend on the machine's load: events per run"
echo "(backsim's --stats; the events SimPy's loop processes, counted in a"
echo "separate untimed run) and, where the processor's counters can be read,"
echo "instructions of a whole process (perf stat -e instructions:u$([ "$SIMPY_REPS" = 200 ] || {
  echo ";"
  echo "the SimPy model's scaled by $scale, start-up included, so somewhat too many"
}))."
echo
echo "| strategy | backsim events per run | SimPy events per run | backsim instructions | SimPy instructions | SimPy / backsim |"
echo "| --- | --- | --- | --- | --- | --- |"
# instructions COMMAND...: instructions:u of one whole process, or nothing.
instructions() {
  perf stat -x, -e instructions:u -- "$@" 2>&1 >/dev/null | awk -F, '$3 ~ /^instructions/ && $1 ~ /^[0-9]+$/ { print $1 }'
}
for only in linear jitter; do
  name=$only
  [ "$only" = jitter ] && name=exponential-full-jitter
  f=$(herd 1000 200 "$only")
  out="$TMP/out-$(basename "$f" .toml)"
  be=$("$BIN" run "$f" --stats --no-charts --quiet --threads 1 -o "$out" 2>&1 | awk '/^total:/ { print $4 / 200 }')
  se=$($SIMPY --strategy "$name" --events | awk -F, -v s="$name" '$1 == s { print $(NF - 1) }')
  bi="" si=""
  if command -v perf >/dev/null 2>&1; then
    bi=$(instructions "$BIN" run "$f" --no-charts --quiet --threads 1 -o "$out")
    # shellcheck disable=SC2086 # SIMPY is a command line
    si=$(instructions $SIMPY --strategy "$name")
  fi
  awk -v s="$name" -v be="$be" -v se="$se" -v bi="$bi" -v si="$si" -v k="$scale" 'BEGIN {
    if (bi == "" || si == "") { bi = "not readable here"; si = bi; r = "" }
    else { si *= k; r = sprintf("%.1f×", si / bi); bi = sprintf("%.0f M", bi / 1e6); si = sprintf("%.0f M", si / 1e6) }
    printf "| %s | %.0f | %.0f | %s | %s | %s |\n", s, be, se, bi, si, (r == "" ? "-" : r) }'
done
echo
echo "Target (stretch): SimPy / backsim >= 100×."
