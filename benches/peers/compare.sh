#!/usr/bin/env bash
# Runs branchsim, SimPy and Ciw on the benchmark models (scenarios/bench/{mmc,branch}.toml)
# side by side and prints customers per second, the ratio branchsim / peer, and the KPIs.
#
#   benches/peers/compare.sh [--criterion] [compare.py options]
#
#   --criterion        also run `cargo bench --bench engine -- 'mmc|branch'` first and show
#                      its figures (criterion's figures, if already there, are shown anyway)
#   --reps N           peer replications, seeds 1..N (default 5)
#   --peer-horizon M   horizon of the peer runs in minutes (default 20000)
#   --branchsim-reps N branchsim replications (default 20)
#   --models LIST      mmc,branch (default both)
#
# Environment: BRANCHSIM=path skips `cargo build --release` and uses that binary;
# PYTHON (default python3; 3.9 or newer, tested with 3.11) makes the venv
# benches/peers/.venv, where the pinned peers (requirements.txt) are installed on first use.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$here/.venv"

run_criterion=0
args=()
for a in "$@"; do
    case "$a" in
        --criterion) run_criterion=1 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) args+=("$a") ;;
    esac
done

# Peers: a private venv, reinstalled when requirements.txt changes.
if ! cmp -s "$here/requirements.txt" "$venv/.requirements" 2>/dev/null; then
    echo "compare.sh: installing SimPy and Ciw into $venv" >&2
    "${PYTHON:-python3}" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt"
    cp "$here/requirements.txt" "$venv/.requirements"
fi

target=$(cd "$root" && cargo metadata --format-version 1 --no-deps 2>/dev/null \
    | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])' \
    || echo "$root/target")
if [ -z "${BRANCHSIM:-}" ]; then
    echo "compare.sh: cargo build --release" >&2
    (cd "$root" && cargo build --release -q)
    BRANCHSIM="$target/release/branchsim"
fi
if [ "$run_criterion" = 1 ]; then
    echo "compare.sh: cargo bench --bench engine -- 'mmc|branch'" >&2
    (cd "$root" && cargo bench --bench engine -- 'mmc|branch')
fi

exec "$venv/bin/python" "$here/compare.py" --branchsim "$BRANCHSIM" --root "$root" \
    --criterion-dir "$target/criterion" ${args[@]+"${args[@]}"}
