#!/usr/bin/env bash
# Runs Prosimos 2.1.0 and branchsim (import → run) on the same BPMN + JSON models and prints
# a table: case cycle time, waiting and processing time, resource utilisation (95% CIs) and
# speed (cases per CPU second) with the ratio.
#
#   benches/peers/prosimos/compare.sh [compare.py options]
#
#   --cases N          cases per Prosimos run (default 1000)
#   --reps N           Prosimos runs, seeds 1..N (default 5)
#   --branchsim-reps N branchsim replications (default 20)
#   --models LIST      comma-separated model names (default: every model that runs)
#   --with-forks       also the models with parallel/inclusive gateways (needs fork/join)
#   --shared DIR       the shared Prosimos examples (default ../shared/bpmn beside the checkout)
#   --span-seeds N     Prosimos arrival sequences (arrivals only, cheap) whose mean arrival time
#                      of the last case sets branchsim's horizon (default 40; 0: the simulated
#                      seeds' own mean span, noisier)
#
# Environment: BRANCHSIM=path skips `cargo build --release`; PYTHON (default python3, 3.9+)
# makes the venv benches/peers/prosimos/.venv with the pinned requirements.txt on first use.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
venv="$here/.venv"

for a in "$@"; do
    case "$a" in
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    esac
done

if ! cmp -s "$here/requirements.txt" "$venv/.requirements" 2>/dev/null; then
    echo "compare.sh: installing Prosimos into $venv" >&2
    "${PYTHON:-python3}" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt"
    cp "$here/requirements.txt" "$venv/.requirements"
fi

if [ -z "${BRANCHSIM:-}" ]; then
    target=$(cd "$root" && cargo metadata --format-version 1 --no-deps 2>/dev/null \
        | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])' \
        || echo "$root/target")
    echo "compare.sh: cargo build --release" >&2
    (cd "$root" && cargo build --release -q)
    BRANCHSIM="$target/release/branchsim"
fi

exec "$venv/bin/python" "$here/compare.py" --branchsim "$BRANCHSIM" --root "$root" "$@"
