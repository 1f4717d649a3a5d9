#!/usr/bin/env bash
# Builds backsim's Python wheel, installs it into a fresh virtual
# environment and checks that the `backsim` it puts on PATH writes the same
# reports as the cargo-built binary, byte for byte.
#
#   validation/wheel/run.sh
#
# Needs python3 (with venv), cargo and PyPI. Everything it installs goes
# into temporary virtual environments:
# 1. builds the wheel with maturin (pip-installed into a build venv) and
#    the binary with `cargo build --release`;
# 2. installs the wheel, pandas and polars into a fresh venv, and checks
#    that `backsim` resolves to that venv's bin/ with the venv activated;
# 3. runs scenarios/thundering-herd.toml and scenarios/llm-fallback.toml
#    (with --requests) and sweeps scenarios/llm-client-sweep.toml with both
#    binaries and compares the report folders file by file; the
#    thundering-herd summary.csv must also equal tests/golden's;
# 4. loads each report with examples/load_report.py, with pandas and with
#    polars, and with --check (requests.csv against summary.csv);
# 5. writes the outcome to validation/wheel/last-run.toml.
# Not part of `cargo test` or CI (a release build takes minutes on two
# cores). Exit 0 only when every check passed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
result="$repo/validation/wheel/last-run.toml"
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
t0=$(date +%s)
outcome="failed: stopped before the end"
wheel="" maturin_version="" build_s="" pandas_version="" polars_version=""
work=$(mktemp -d /tmp/backsim-wheel.XXXXXX)

say() { printf 'wheel-check: %s\n' "$*" >&2; }

record() {
  local status=$?
  set +e
  local commit python_version
  commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null)
  if git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null | grep -q .; then
    commit="$commit (with uncommitted changes)"
  fi
  python_version=$(python3 -c 'import platform; print(platform.python_version())' 2>/dev/null)
  {
    echo "# Written by validation/wheel/run.sh: its last run on this machine."
    echo "date = \"$started\""
    echo "commit = \"$commit\""
    echo "os = \"$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")\""
    echo "python = \"$python_version\""
    echo "maturin = \"$maturin_version\""
    echo "wheel = \"$wheel\""
    echo "build_s = \"$build_s\""
    echo "pandas = \"$pandas_version\""
    echo "polars = \"$polars_version\""
    echo "total_s = $(($(date +%s) - t0))"
    echo "outcome = \"${outcome//\"/\\\"}\""
  } >"$result"
  if [ "$status" -eq 0 ]; then
    rm -rf "$work"
  else
    say "kept $work"
  fi
  say "$outcome (recorded in validation/wheel/last-run.toml)"
}
trap record EXIT

fail() {
  outcome="failed: $*"
  exit 1
}

# 1. The wheel and the cargo-built binary.
say "building the wheel"
python3 -m venv "$work/build"
"$work/build/bin/pip" install --quiet --disable-pip-version-check "maturin>=1.9,<2"
maturin_version=$("$work/build/bin/maturin" --version | awk '{print $2}')
t_build=$(date +%s)
(cd "$repo" && "$work/build/bin/maturin" build --release --quiet --out "$work/dist" >&2)
(cd "$repo" && cargo build --release --quiet)
build_s=$(($(date +%s) - t_build))
wheels=("$work"/dist/backsim-*.whl)
if [ "${#wheels[@]}" -ne 1 ] || [ ! -f "${wheels[0]}" ]; then
  fail "expected one wheel in dist/, found: $(ls "$work/dist")"
fi
wheel=$(basename "${wheels[0]}")
cargo_backsim="${CARGO_TARGET_DIR:-$repo/target}/release/backsim"
say "built $wheel"

# 2. A fresh venv with the wheel, pandas and polars.
python3 -m venv "$work/fresh"
"$work/fresh/bin/pip" install --quiet --disable-pip-version-check "${wheels[0]}" pandas polars
pandas_version=$("$work/fresh/bin/python" -c 'import pandas; print(pandas.__version__)')
polars_version=$("$work/fresh/bin/python" -c 'import polars; print(polars.__version__)')
on_path=$(
  # shellcheck disable=SC1091
  . "$work/fresh/bin/activate" && hash -r && command -v backsim
)
[ "$on_path" = "$work/fresh/bin/backsim" ] || fail "with the venv active, backsim is '$on_path', not the venv's"
installed_version=$("$work/fresh/bin/backsim" --version)
[ "$installed_version" = "$("$cargo_backsim" --version)" ] || fail "installed '$installed_version', cargo-built '$("$cargo_backsim" --version)'"

# 3. The same reports from both binaries. Both report folders sit at the
# same depth under one copy of the scenarios, so that report.toml's path to
# the scenario file is the same in both.
cp -r "$repo/scenarios" "$work/scenarios"
run_both() {
  local cmd=$1 scenario=$2
  shift 2
  (cd "$work" && "$cargo_backsim" "$cmd" "scenarios/$scenario.toml" --quiet --out cargo "$@" >/dev/null)
  (
    # shellcheck disable=SC1091
    . "$work/fresh/bin/activate"
    cd "$work" && backsim "$cmd" "scenarios/$scenario.toml" --quiet --out pip "$@" >/dev/null
  )
  diff -r -q "$work/cargo/$scenario" "$work/pip/$scenario" >&2 ||
    fail "$scenario: the installed backsim's report differs from the cargo-built binary's"
  say "$scenario: $(find "$work/pip/$scenario" -type f | wc -l) files, the same from both"
}
run_both run thundering-herd
cmp "$work/pip/thundering-herd/summary.csv" "$repo/tests/golden/thundering-herd.summary.csv" ||
  fail "thundering-herd: summary.csv differs from tests/golden/thundering-herd.summary.csv"
run_both run llm-fallback --requests
run_both sweep llm-client-sweep

# 4. The example loader, against the installed backsim's reports.
for folder in thundering-herd llm-fallback llm-client-sweep; do
  for lib in pandas polars; do
    args=("$work/pip/$folder")
    [ "$lib" = polars ] && args+=(--polars)
    [ -f "$work/pip/$folder/requests.csv" ] && args+=(--check)
    "$work/fresh/bin/python" "$repo/examples/load_report.py" "${args[@]}" >"$work/load-$folder-$lib.txt" ||
      fail "examples/load_report.py ${args[*]#"$work/"} failed (see $work/load-$folder-$lib.txt)"
  done
done
grep -h '^check ' "$work"/load-llm-fallback-*.txt >&2

outcome="passed: $wheel installs backsim on a fresh venv's PATH; its reports of thundering-herd, llm-fallback (--requests) and the llm-client-sweep sweep equal the cargo-built binary's byte for byte; examples/load_report.py loads them with pandas and polars and its --check passes"
