#!/usr/bin/env bash
# Thread scaling of the main job (issue #25): `branchsim run scenarios/downtown_branch.toml
# --replications 1000` on 1 and on 2 threads, against the machine's own ceiling, two
# independent 1-thread processes run at the same time.
#
#   benches/scaling.sh [BRANCHSIM] [--runs K] [--reps N] [--threads T] [--scenario FILE]
#                      [--fresh] [-- EXTRA RUN FLAGS]
#
# --scenario runs another file (e.g. `--scenario scenarios/regional.toml --reps 200`).
# --fresh removes each run's output folder before it starts (untimed), so that every run writes
# into an empty folder as a CI job does; by default each run replaces the files of the
# previous round, as a planner re-running a scenario does.
# BRANCHSIM defaults to target/release/branchsim (built when missing). Each of the K rounds
# (default 5) runs, in turn: 1 thread; T threads (default 2); T one-thread processes at once.
# Printed per configuration: the fastest and the median wall time, and the median CPU time
# (user + system) of the process(es). Then:
#   speedup    = wall(1 thread) / wall(T threads)
#   ceiling    = T × wall(1 thread) / wall(T processes at once)   (what the machine allows)
#   efficiency = speedup / ceiling
# from the fastest rounds (least disturbed by other load) and from the medians. The load
# average (uptime) is printed before and after: on a shared machine, measure when it is low.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=target/release/branchsim
runs=5
reps=1000
threads=2
scenario=scenarios/downtown_branch.toml
extra=()
fresh=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --scenario) scenario=$2; shift 2 ;;
    --fresh) fresh=1; shift ;;
    --) shift; extra=("$@"); break ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) bin=$1; shift ;;
  esac
done
if [ ! -x "$bin" ]; then
  [ "$bin" = target/release/branchsim ] || { echo "no binary at $bin" >&2; exit 2; }
  cargo build --release --bin branchsim
fi
[ -f "$scenario" ] || { echo "no scenario file $scenario" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One process: prints "wall cpu" (seconds). The wall time is taken with `date` (nanoseconds):
# /usr/bin/time's %e has only hundredths, a tenth of the differences measured here.
one() {
  local t=$1 out=$2 start end
  if [ "$fresh" = 1 ]; then rm -rf "$out"; sync; fi
  start=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$out.time" "$bin" run "$scenario" --replications "$reps" --threads "$t" \
    -q --out "$out" "${extra[@]}" >/dev/null
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" '{ printf "%.3f %.3f\n", e - s, $1 + $2 }' "$out.time"
}

# T one-thread processes started together: prints "wall cpu" of the whole group.
group() {
  local start end cpu=0 pids=() k
  if [ "$fresh" = 1 ]; then for k in $(seq "$threads"); do rm -rf "$tmp/p$k"; done; sync; fi
  start=$(date +%s.%N)
  for k in $(seq "$threads"); do
    /usr/bin/time -f "%U %S" -o "$tmp/p$k.time" "$bin" run "$scenario" --replications "$reps" --threads 1 \
      -q --out "$tmp/p$k" "${extra[@]}" >/dev/null &
    pids+=($!)
  done
  for k in "${pids[@]}"; do wait "$k"; done
  end=$(date +%s.%N)
  for k in $(seq "$threads"); do cpu=$(awk -v c="$cpu" '{ print c + $1 + $2 }' "$tmp/p$k.time"); done
  awk -v s="$start" -v e="$end" -v c="$cpu" 'BEGIN { printf "%.3f %.3f\n", e - s, c }'
}

echo "binary: $bin; $reps replications of $scenario; $runs rounds; ${extra[*]:-}"
echo "load before: $(uptime | sed 's/.*load average: //')"
: >"$tmp/t1"
: >"$tmp/tN"
: >"$tmp/pN"
for r in $(seq "$runs"); do
  one 1 "$tmp/a" >>"$tmp/t1"
  one "$threads" "$tmp/b" >>"$tmp/tN"
  group >>"$tmp/pN"
  echo "round $r: 1 thread $(tail -n1 "$tmp/t1"), $threads threads $(tail -n1 "$tmp/tN"), $threads processes $(tail -n1 "$tmp/pN") (wall cpu)"
done
echo "load after: $(uptime | sed 's/.*load average: //')"

# min and median of column $2 of file $1
stat() {
  sort -n -k"$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f %.3f", v[1], m }'
}
read -r w1 w1m <<<"$(stat "$tmp/t1" 1)"
read -r wN wNm <<<"$(stat "$tmp/tN" 1)"
read -r wP wPm <<<"$(stat "$tmp/pN" 1)"
read -r _ c1m <<<"$(stat "$tmp/t1" 2)"
read -r _ cNm <<<"$(stat "$tmp/tN" 2)"
read -r _ cPm <<<"$(stat "$tmp/pN" 2)"
awk -v w1="$w1" -v wN="$wN" -v wP="$wP" -v w1m="$w1m" -v wNm="$wNm" -v wPm="$wPm" \
  -v c1="$c1m" -v cN="$cNm" -v cP="$cPm" -v T="$threads" 'BEGIN {
  printf "\n| configuration | wall, fastest (s) | wall, median (s) | CPU, median (s) |\n| --- | ---: | ---: | ---: |\n"
  printf "| 1 thread | %.3f | %.3f | %.3f |\n", w1, w1m, c1
  printf "| %d threads | %.3f | %.3f | %.3f |\n", T, wN, wNm, cN
  printf "| %d one-thread processes at once | %.3f | %.3f | %.3f |\n", T, wP, wPm, cP
  printf "\n| figure | fastest | median |\n| --- | ---: | ---: |\n"
  printf "| speedup, %d threads vs 1 | %.2f× | %.2f× |\n", T, w1 / wN, w1m / wNm
  printf "| ceiling, %d processes vs 1 | %.2f× | %.2f× |\n", T, T * w1 / wP, T * w1m / wPm
  printf "| efficiency vs the ceiling | %.0f%% | %.0f%% |\n", 100 * (w1 / wN) / (T * w1 / wP), 100 * (w1m / wNm) / (T * w1m / wPm)
  printf "| CPU, %d threads vs 1 | %.2f× | |\n", T, cN / c1
}'
