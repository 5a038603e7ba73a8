#!/bin/sh
# Cross-checks `branchsim compare-logs` against the Python package log-distance-measures
# 2.2.0 (pinned) on the same logs. Installs the package into a venv under target/.
# Usage: benches/logdist/run.sh            (from the repository root; builds branchsim)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$root/target/logdist-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q "log-distance-measures==2.2.0"
cargo build -q --bin branchsim --manifest-path "$root/Cargo.toml"
bin="$root/target/debug/branchsim"
logs="$root/tests/fixtures/logs"
status=0
echo "== cmp_real.csv vs cmp_sim.csv"
"$venv/bin/python" "$here/check.py" "$bin" "$logs/cmp_real.csv" "$logs/cmp_sim.csv" || status=1
shared="$root/../shared/logs/loan_application_sim.csv"
if [ -f "$shared" ]; then
    echo "== loan_application_sim.csv: first 3 weeks (moved forward) vs the rest"
    "$venv/bin/python" "$here/check.py" "$bin" "$shared" --split-weeks 3 || status=1
fi
exit $status
