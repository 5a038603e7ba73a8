#!/bin/sh
# Wall time and peak resident set of `branchsim discover` on generated CSV logs of 10^5,
# 10^6 and 4x10^6 events (issue #23: memory must not grow with the events).
#
#   benches/discover_memory.sh [BRANCHSIM_BINARY] [SIZES...]
#   VISITS=2 benches/discover_memory.sh ...   # a fixed number of visits per case (default 3-7)
#
# Needs python3 (the generator) and GNU time (/usr/bin/time -v, for the peak RSS). The logs
# (60 bytes per event) go to a temporary folder removed at the end. Run it on one core
# (`taskset -c 0 benches/discover_memory.sh`) for figures comparable with benches/README.md.
set -eu
bin=${1:-target/release/branchsim}
[ $# -gt 0 ] && shift
sizes=${*:-100000 1000000 4000000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/gen.py" <<'PY'
import sys, random, datetime
n, out, visits = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
random.seed(1)
acts = ["Reception", "Teller", "Advisor", "Loan check", "Approval", "Cashier", "Archive", "Callback"]
res = {a: [f"{a[:3]}-{i}" for i in range(4)] for a in acts}
t0 = datetime.datetime(2024, 1, 1, 8, 0)
with open(out, "w") as f:
    f.write("case_id,activity,start_time,end_time,resource\n")
    ev = c = 0
    t = 0.0
    while ev < n:
        c += 1
        t += random.expovariate(1 / 0.5)
        s = t
        for j in range(visits or random.randint(3, 7)):
            a = acts[j if j < 3 else random.randrange(len(acts))]
            d = random.lognormvariate(1.5, 0.5)
            st = t0 + datetime.timedelta(minutes=s)
            en = st + datetime.timedelta(minutes=d)
            f.write(f"{c},{a},{st:%Y-%m-%dT%H:%M:%S},{en:%Y-%m-%dT%H:%M:%S},{random.choice(res[a])}\n")
            s += d + random.expovariate(1 / 2)
            ev += 1
            if ev >= n:
                break
PY
printf '| events | wall time (s) | peak RSS (MB) |\n| ---: | ---: | ---: |\n'
for n in $sizes; do
    python3 "$dir/gen.py" "$n" "$dir/log.csv" "${VISITS:-0}"
    /usr/bin/time -v "$bin" discover "$dir/log.csv" -o "$dir/out.toml" --no-report -q 2> "$dir/time.txt"
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$dir/time.txt" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$dir/time.txt")
    printf '| %s | %.1f | %.0f |\n' "$n" "$wall" "$(awk "BEGIN { print $rss / 1024 }")"
done
