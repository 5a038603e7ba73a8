#!/usr/bin/env bash
# Time-varying checks of `branchsim staff` (issue #24), a documented benchmark rather than a
# test (each run simulates a few hundred thousand customer days):
#  - the shipped branch (3 resources, 8 h, 30-min intervals) and contact-centre scenarios are
#    optimised on 2 threads; the wall time is printed (target: under 30 s for the branch);
#  - the plan is re-simulated on 400 replications the search never used: every interval must
#    meet its target (the `confidence` column);
#  - `--check-minimal`: the plan with one person fewer at each (resource, interval) is
#    re-simulated on those replications and must miss a target somewhere.
# Usage: bash benches/staffing.sh [OUT_DIR]   (results in benches/staffing-results.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-output/staffing-bench}"
cargo build --release --quiet
bin=target/release/branchsim
run() {
    local start end
    start=$(date +%s.%N)
    "$bin" staff "$@" --threads 2 --check-minimal --out "$out" || echo "exit code $?"
    end=$(date +%s.%N)
    echo "wall time: $(echo "$end - $start" | bc) s"
    echo
}
{
    echo "## branchsim staff scenarios/downtown_branch.toml --target service_level>=0.8"
    run scenarios/downtown_branch.toml --target "service_level>=0.8"
    echo "## branchsim staff scenarios/smart_customer_service.toml --target service_level>=0.8 --target abandon_rate<=0.05"
    run scenarios/smart_customer_service.toml --target "service_level>=0.8" --target "abandon_rate<=0.05" --resources agent
    echo "## branchsim staff scenarios/lunch_peak_phone.toml --target service_level>=0.8 (with shifts)"
    run scenarios/lunch_peak_phone.toml --target "service_level>=0.8"
} | tee benches/staffing-results.txt
