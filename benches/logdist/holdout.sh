#!/bin/sh
# Held-out protocol for `branchsim discover` (issue #23): discover on the first weeks of a log,
# simulate the rest with the discovered model (several seeds), measure against the held-out
# part with compare-logs' six distances, next to the noise floor and the Markov baseline.
# Usage: benches/logdist/holdout.sh [LOG] [holdout.py options: --weeks 3 --runs 10 --json F --peer NAME=GLOB]
#        BRANCHSIM=target/release/branchsim benches/logdist/holdout.sh    (skip the build)
# Default LOG: ../shared/logs/loan_application_sim.csv beside the checkout. Python 3 (standard
# library only) runs holdout.py.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
log="$root/../shared/logs/loan_application_sim.csv"
case "${1:-}" in
    ""|-*) ;;
    *) log=$1; shift ;;
esac
if [ -z "${BRANCHSIM:-}" ]; then
    cargo build -q --bin branchsim --manifest-path "$root/Cargo.toml"
    BRANCHSIM="$root/target/debug/branchsim"
fi
exec python3 "$here/holdout.py" "$BRANCHSIM" "$log" "$@"
