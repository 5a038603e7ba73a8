#!/bin/sh
# Simod on the training part of a log, then Prosimos simulations of the model it discovers, for
# the held-out protocol (benches/logdist/holdout.sh --peer ...).
#
# Simod 5.2.1 (pinned in requirements.txt, installed by install.sh into .venv) runs with
# `--one-shot`: its default settings once, without the hyperparameter search (the smallest
# search budget; a search of even a few iterations per stage takes hours on 2 shared cores).
# Its model (BPMN + Prosimos JSON) is simulated RUNS times (seeds 1..RUNS) with the Prosimos
# Simod installed: empty at the cut (work/sim/) and from the log's first Monday (work/sim_warm/),
# with 1.6 times the real cases of the span so that the arrivals cover it (holdout.py keeps the
# cases that arrive in the held-out period).
# Usage: benches/peers/simod/run.sh [LOG]      WEEKS=3 RUNS=10 by default.
#        BUDGET=1 benches/peers/simod/run.sh     also the small search (small_budget.yaml: 5
#        iterations per stage) into work/budget5, simulated into work/sim_b5 and work/sim_b5_warm.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
log=${1:-$root/../shared/logs/loan_application_sim.csv}
weeks=${WEEKS:-3}
runs=${RUNS:-10}
[ -x "$here/.venv/bin/simod" ] || "$here/install.sh"
py="$here/.venv/bin/python"
work="$here/work"
mkdir -p "$work"
info=$("$py" "$here/prepare.py" "$log" "$weeks" "$work/train.csv")
echo "$info"
get() { echo "$info" | "$py" -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
rm -rf "$work/oneshot"
(cd "$work" && "$here/.venv/bin/simod" --one-shot -l train.csv -o oneshot > simod.log 2>&1) || {
    tail -20 "$work/simod.log"; exit 1; }
model="$work/oneshot/best_result"
cold=$(( $(get test_cases) * 16 / 10 ))
warm=$(( ($(get test_cases) + $(get train_cases)) * 16 / 10 ))
rm -rf "$work/sim" "$work/sim_warm"
"$py" "$here/simulate.py" "$model/train.bpmn" "$model/train.json" "$(get cold_start)" "$cold" "$runs" "$work/sim"
"$py" "$here/simulate.py" "$model/train.bpmn" "$model/train.json" "$(get warm_start)" "$warm" "$runs" "$work/sim_warm"
if [ "${BUDGET:-0}" = 1 ]; then
    rm -rf "$work/budget5"
    (cd "$work" && "$here/.venv/bin/simod" -c "$here/small_budget.yaml" -o budget5 > simod-budget5.log 2>&1) || {
        tail -20 "$work/simod-budget5.log"; exit 1; }
    model="$work/budget5/best_result"
    rm -rf "$work/sim_b5" "$work/sim_b5_warm"
    "$py" "$here/simulate.py" "$model/train.bpmn" "$model/train.json" "$(get cold_start)" "$cold" "$runs" "$work/sim_b5"
    "$py" "$here/simulate.py" "$model/train.bpmn" "$model/train.json" "$(get warm_start)" "$warm" "$runs" "$work/sim_b5_warm"
fi
