#!/bin/sh
# Sim-to-real validation: real client libraries against real limiters on
# this machine (loopback only), compared with backsim's prediction of the
# same scenarios. Not part of `cargo test` (it takes real time: the
# cases about 8 minutes, 444 s in the committed run, plus the release
# build); run it from anywhere in a clone:
#
#   validation/real/run.sh              every case
#   validation/real/run.sh CASE ...     some cases (their rows are replaced)
#
# It creates validation/real/.venv with the pinned packages of
# requirements.txt and node/node_modules with node/package-lock.json's,
# installs nginx from the distribution's packages when it is missing
# (apt-get, as root), builds backsim in release, runs every case, writes
# validation/real/results/*.csv and regenerates the table in README.md
# ("Validated against real clients").
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${PYTHON:-python3}

if [ ! -x "$here/.venv/bin/python" ]; then
    "$python" -m venv "$here/.venv"
fi
"$here/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"

if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y nginx-light >/dev/null
    else
        sudo apt-get install -y nginx-light >/dev/null
    fi
fi

# openai-node, pinned in node/package-lock.json, with the machine's Node.js
# (20 or newer) and npm: needed when every case runs or an openai-node one
# is named; installed again only when the lock file changed.
needs_node=$([ $# -eq 0 ] && echo yes || echo no)
for name in "$@"; do
    case $name in openai-node*) needs_node=yes ;; esac
done
if [ "$needs_node" = yes ]; then
    major=$(node --version 2>/dev/null | sed -n 's/^v\([0-9]*\)\..*/\1/p')
    if [ -z "$major" ] || [ "$major" -lt 20 ] || ! command -v npm >/dev/null 2>&1; then
        echo "validation/real: the openai-node cases need Node.js 20 or newer and npm (found: ${major:+Node.js $major}${major:-no Node.js})" >&2
        exit 1
    fi
    installed="$here/node/node_modules/.package-lock.json"
    if [ ! -f "$installed" ] || [ "$here/node/package-lock.json" -nt "$installed" ]; then
        (cd "$here/node" && npm ci --silent --no-audit --no-fund)
    fi
fi

(cd "$root" && cargo build --release --quiet)

cd "$here"
# Real time on a shared machine: as root, the measurements run at a higher
# priority than other work (the committed results did), which keeps the
# clients' and the server's timers on time.
nice=""
if [ "$(id -u)" = 0 ]; then
    nice="nice -n -10"
fi
$nice .venv/bin/python -u harness.py "$root/target/release/backsim" "$@"
.venv/bin/python table.py --write
