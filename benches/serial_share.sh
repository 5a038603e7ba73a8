#!/usr/bin/env bash
# How much of a multi-threaded run is serial, from where its threads spend their CPU: robust
# to a loaded machine, where wall-clock speed-ups measure the neighbours (issue #25).
#
#   perf record -F 1000 -g -o run.data BRANCHSIM run FILE --threads 2 ...
#   benches/serial_share.sh run.data [SLICE_SECONDS]      # default 0.1
#
# The samples of every thread of the process are cut into slices of SLICE_SECONDS. Work in a
# slice where only one thread has samples counts as serial; the rest is shared by two cores.
# Printed: the serial share of the samples and the speed-up two free cores would give,
# samples / sum over slices of (samples / min(threads busy, 2)). Too short a slice counts the
# gaps a loaded machine leaves between samples as serial; 0.1 s matched idle-machine
# wall-clock figures for the main command. That figure counts a slice as shared as soon as a
# second thread has one sample in it; the "balanced" figure does not: a slice takes at least
# its busiest thread's samples and at least half of all its samples,
# samples / sum over slices of max(busiest thread's samples, samples / 2), which undercounts
# the speed-up when load deschedules one thread for part of a slice. The truth lies between.
set -euo pipefail
data=$1
slice=${2:-0.1}
perf script -i "$data" -F tid,time,ip,sym 2>/dev/null | awk -v W="$slice" '
/^ *[0-9]+ +[0-9.]+:/ {
  tid = $1; t = $2; sub(":", "", t)
  if (!t0) t0 = t
  b = int((t - t0) / W); c[b]++; k = b " " tid
  if (!(k in seen)) { seen[k] = 1; nb[b]++ }
  per[k]++; if (per[k] > top[b]) top[b] = per[k]
  tot++; if (b > mb) mb = b
}
END {
  for (b = 0; b <= mb; b++) {
    if (!c[b]) continue
    n = nb[b] > 2 ? 2 : nb[b]; T2 += c[b] / n
    if (nb[b] == 1) ser += c[b]
    B2 += (top[b] > c[b] / 2) ? top[b] : c[b] / 2
  }
  printf "samples %d, serial-slice share %.1f%%, predicted 2-core speed-up %.2f (balanced %.2f)\n", tot, 100 * ser / tot, tot / T2, tot / B2
}'
