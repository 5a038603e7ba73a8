#!/usr/bin/env bash
# A process-mining tool reads branchsim's event logs (issue #22): creates a Python venv with
# the pinned pm4py (tests/pm4py/requirements.txt), writes the CSV and XES logs of replication 0
# of every variant of every shipped scenario (`run -n 1`, so summary.json holds exactly that
# replication), and lets check_logs.py read them with pm4py, discover the directly-follows
# graph and compare activities, case counts and mean case duration with summary.json.
#
# Without network (pm4py cannot be installed) it prints a warning and skips (exit 0); a log
# pm4py cannot read, or one that disagrees with summary.json, fails (exit 1).
#
#   bash tests/pm4py/check.sh            # uses ./target/debug/branchsim (BRANCHSIM=... to change)
set -euo pipefail
export TQDM_DISABLE=1   # pm4py's progress bars
cd "$(dirname "$0")/../.."
bin=${BRANCHSIM:-./target/debug/branchsim}
venv=target/pm4py-venv
if ! "$venv/bin/python" -c "import pm4py" >/dev/null 2>&1; then
  if ! (python3 -m venv "$venv" && "$venv/bin/pip" install -q -r tests/pm4py/requirements.txt); then
    echo "warning: could not create a venv with pm4py (no network?); the pm4py event-log check is skipped"
    exit 0
  fi
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for f in scenarios/*.toml; do
  for fmt in csv xes; do
    "$bin" run "$f" -n 1 --no-charts -q --out "$out/$fmt" --events --events-format "$fmt"
  done
done
"$venv/bin/python" tests/pm4py/check_logs.py "$out"
