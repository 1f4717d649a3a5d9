#!/usr/bin/env bash
# Runs the README's Slurm job-array recipe ("Sharding onto a batch
# scheduler") on a real, single-node Slurm on this machine and checks that
# the merged report is the unsharded sweep's, byte for byte.
#
#   sudo validation/slurm/run.sh      (as root: it may install packages)
#
# 1. Installs Slurm and MUNGE from Debian's packages (slurm-wlm: slurmctld,
#    slurmd and the client commands; munge) when they are missing.
# 2. Builds backsim (cargo build --release) and puts it on PATH.
# 3. Starts a private munged, slurmctld and slurmd (node `localhost`, the
#    machine's CPUs as `slurmd -C` reports them), with every file of theirs
#    in one temporary folder and the configuration passed in SLURM_CONF:
#    nothing under /etc is changed.
# 4. Copies the job script out of README.md as it stands and submits it
#    with `sbatch` (its `#SBATCH --array=1-16` included); only
#    `--cpus-per-task` is lowered on the command line when the machine has
#    fewer CPUs than the script asks of one task. Then submits
#    `backsim merge "$SCRATCH/shards"` with `--dependency=afterok:<array>`.
# 5. Waits for both, runs the same sweep unsharded, and compares the two
#    report folders file by file (report.toml may differ only in
#    `kind = "merge"` against `kind = "sweep"`, as the README says).
# 6. Stops the daemons it started and writes the outcome to
#    validation/slurm/last-run.toml. Exit 0 only when every check passed.
#
# Not part of `cargo test` or CI: it needs root and takes minutes.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
result="$repo/validation/slurm/last-run.toml"
scenario=scenarios/herd-sweep.toml
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
t0=$(date +%s)
outcome="failed: stopped before the end"
slurm_version=""
array_s=""
unsharded_s=""
shards=""
pids=()
work=""

say() { printf 'slurm-check: %s\n' "$*" >&2; }

record() {
  local status=$?
  set +e
  if [ "${#pids[@]}" -gt 0 ] && command -v scancel >/dev/null && [ -n "${SLURM_CONF:-}" ]; then
    scancel --quiet --user="$(id -un)" 2>/dev/null
  fi
  # Stop only the daemons this script started, last started first.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null && wait "${pids[i]}" 2>/dev/null
  done
  local backsim_version commit
  backsim_version=$(backsim --version 2>/dev/null | awk '{print $2}')
  commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null)
  if git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null | grep -q .; then
    commit="$commit (with uncommitted changes)"
  fi
  {
    echo "# Written by validation/slurm/run.sh: its last run on this machine."
    echo "date = \"$started\""
    echo "commit = \"$commit\""
    echo "backsim = \"$backsim_version\""
    echo "slurm = \"$slurm_version\""
    echo "os = \"$(. /etc/os-release && echo "$PRETTY_NAME")\""
    echo "cpus = $(nproc)"
    echo "scenario = \"$scenario\""
    echo "shards = \"$shards\""
    echo "array_and_merge_s = \"$array_s\""
    echo "unsharded_s = \"$unsharded_s\""
    echo "total_s = $(($(date +%s) - t0))"
    echo "outcome = \"${outcome//\"/\\\"}\""
  } >"$result"
  if [ "$status" -eq 0 ]; then
    [ -n "$work" ] && rm -rf "$work"
  elif [ -n "$work" ]; then
    say "kept $work (logs under slurm/log, job output under job/)"
  fi
  say "$outcome (recorded in validation/slurm/last-run.toml)"
}
trap record EXIT

fail() {
  outcome="failed: $*"
  exit 1
}

if [ "$(id -u)" -ne 0 ]; then
  fail "needs root, to install packages and run slurmd"
fi

# 1. Slurm and MUNGE.
missing=()
for c in slurmctld slurmd sbatch squeue scontrol sinfo munged mungekey; do
  command -v "$c" >/dev/null || missing+=("$c")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing slurm-wlm and munge (missing: ${missing[*]})"
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    slurm-wlm munge >&2
fi
slurm_version=$(slurmctld -V | awk '{print $2}')

# 2. backsim.
say "building backsim"
(cd "$repo" && cargo build --release --quiet)
export PATH="${CARGO_TARGET_DIR:-$repo/target}/release:$PATH"
backsim --version >/dev/null

work=$(mktemp -d /tmp/backsim-slurm.XXXXXX)
mkdir -p "$work"/{munge,slurm/state,slurm/spool,slurm/log,job,scratch,run/scenarios}
cp "$repo/$scenario" "$work/run/$scenario"

# 3. The daemons, each in the foreground of a background job so that its
# process id is known and only it is stopped at the end.
mungekey --create --keyfile="$work/munge/munge.key" >&2
chmod 600 "$work/munge/munge.key"
munged --foreground --force --key-file="$work/munge/munge.key" \
  --socket="$work/munge/munge.socket" --pid-file="$work/munge/munged.pid" \
  --seed-file="$work/munge/munged.seed" --log-file="$work/munge/munged.log" \
  >"$work/munge/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$work/munge/munge.socket" ] && break; sleep 0.1; done
[ -S "$work/munge/munge.socket" ] || fail "munged did not start (see $work/munge/munged.log)"

# The node as slurmd finds the hardware, named localhost.
node=$(slurmd -C | head -n 1 | sed -e 's/^NodeName=[^ ]*/NodeName=localhost NodeAddr=127.0.0.1/')
node_cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$node")
cat >"$work/slurm.conf" <<EOF
ClusterName=backsim
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/munge.socket
StateSaveLocation=$work/slurm/state
SlurmdSpoolDir=$work/slurm/spool
SlurmctldPidFile=$work/slurm/slurmctld.pid
SlurmdPidFile=$work/slurm/slurmd.pid
SlurmctldLogFile=$work/slurm/log/slurmctld.log
SlurmdLogFile=$work/slurm/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
MinJobAge=3600
$node State=UNKNOWN
PartitionName=main Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$work/slurm.conf"
slurmctld -D >"$work/slurm/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N localhost >"$work/slurm/log/slurmd.out" 2>&1 &
pids+=($!)
state=""
for _ in $(seq 120); do
  state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.5
done
[ "$state" = idle ] || fail "node localhost is '${state:-not up}', not idle, after 60 s (see $work/slurm/log)"
say "slurm $slurm_version up: $node"

# 4. The README's job script, word for word.
awk '/^\*\*Slurm job array\*\*/ { found = 1 }
     found && /^```bash$/ { inside = 1; next }
     inside && /^```$/ { exit }
     inside { print }' "$repo/README.md" >"$work/job/array.sh"
grep -q '^#SBATCH --array=' "$work/job/array.sh" ||
  fail "no Slurm job script with #SBATCH --array under **Slurm job array** in README.md"
asked_cpus=$(sed -n 's/^#SBATCH --cpus-per-task=\([0-9]*\)$/\1/p' "$work/job/array.sh")
shards=$(sed -n 's/^#SBATCH --array=//p' "$work/job/array.sh")
cpu_flag=()
if [ -n "$asked_cpus" ] && [ "$asked_cpus" -gt "$node_cpus" ]; then
  cpu_flag=(--cpus-per-task=1)
  say "the node has $node_cpus CPUs, fewer than the script's $asked_cpus: submitting with --cpus-per-task=1"
fi
export SCRATCH="$work/scratch"
t_submit=$(date +%s)
array=$(sbatch --parsable "${cpu_flag[@]}" --chdir="$work/run" \
  --output="$work/job/shard-%a.out" "$work/job/array.sh")
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --job-name=herd-sweep-merge --chdir="$work/run" --output="$work/job/merge.out" \
  --wrap='backsim merge "$SCRATCH/shards"') # expanded in the job, as in the README
say "submitted array job $array ($shards) and merge job $merge (afterok:$array)"

# 5. Wait (at most 30 minutes), then check every job completed.
for _ in $(seq 1800); do
  [ -z "$(squeue -h -j "$array,$merge" -o %i 2>/dev/null)" ] && break
  sleep 1
done
[ -z "$(squeue -h -j "$array,$merge" -o %i)" ] || fail "jobs still queued or running after 30 minutes"
array_s=$(($(date +%s) - t_submit))
states=$(scontrol show job "$array" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | sort | uniq -c | xargs)
merge_state=$(scontrol show job "$merge" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
say "array tasks: $states; merge: $merge_state"
n_tasks=$(scontrol show job "$array" | grep -c 'JobState=')
n_done=$(scontrol show job "$array" | grep -c 'JobState=COMPLETED')
if [ "$n_tasks" -eq 0 ] || [ "$n_tasks" -ne "$n_done" ]; then
  fail "array tasks: $states (see $work/job)"
fi
[ "$merge_state" = COMPLETED ] || fail "merge job: ${merge_state:-unknown} (see $work/job/merge.out)"

t_unsharded=$(date +%s)
(cd "$work/run" && backsim sweep "$scenario" --quiet --out unsharded)
unsharded_s=$(($(date +%s) - t_unsharded))

merged="$work/run/reports/herd-sweep"
single="$work/run/unsharded/herd-sweep"
[ -d "$merged" ] || fail "the merge wrote no $merged"
diff -r -q -x report.toml "$merged" "$single" >&2 || fail "merged and unsharded reports differ"
files=$(find "$merged" -maxdepth 1 -type f | wc -l)
[ "$files" -ge 5 ] || fail "the merged report holds only $files files"
diff <(sed 's/^kind = "merge"$/kind = "sweep"/' "$merged/report.toml") "$single/report.toml" >&2 ||
  fail "report.toml differs beyond its kind"
grep -q '^kind = "merge"$' "$merged/report.toml" || fail "the merged report.toml does not say kind = \"merge\""

outcome="passed: $n_done array tasks and the merge (afterok) completed; the merged report's $files files equal the unsharded sweep's byte for byte, report.toml but for its kind (merge)"
