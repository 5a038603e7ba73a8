#!/usr/bin/env python3
"""Held-out protocol for `branchsim discover` (issue #23), standard library only.

1. Noise floor and first-order Markov baseline: `branchsim compare-logs LOG --split-weeks W
   --markov-baseline R --json` (training part moved forward against the held-out part; the
   baseline learnt from the training part, simulated R times over the held-out arrival period).
2. Discovered model, as documented in scenarios/README.md ("From your data"): `branchsim
   discover LOG --first-weeks W --cases N` learns from the cases that start in the first W
   whole weeks; the scenario starts on the Monday of their first arrival and takes arrivals
   until the model expects N cases, N = the training cases plus the held-out ones (Simod's
   protocol: simulate the test log's number of cases); cases inside then finish. Then `branchsim
   run --events` for R replications (warm: the simulated training weeks leave the backlog the
   real ones did). Two more runs for comparison: arrivals `--until` the last held-out first
   start (the information the Markov baseline uses: the held-out period's extent), and an
   empty start (`--cases` the held-out count, `start_date` moved to the Monday of the cut).
   Simulated cases are kept, like the real held-out ones, when their first start falls in the
   held-out period (the first to the last first start of a held-out case); each log is measured
   with `compare-logs LOG SIM --split-weeks W` (against the held-out part). Cases still inside
   when the engine's drain ends (the `unfinished` KPI) are counted and reported: their traces
   would be cut short.
3. Optionally, other simulated logs (`--peer NAME=GLOB`, e.g. Prosimos logs of a Simod model),
   filtered and measured the same way.

Prints a Markdown table (mean ± sample sd over the simulated logs, min–max in brackets) and,
with --json FILE, writes every figure.
"""

import argparse
import csv
import datetime as dt
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile

MEASURES = [
    ("n_gram_distribution", "n-gram (n = 3)"),
    ("absolute_event_distribution", "absolute event (hourly)"),
    ("case_arrival_distribution", "case arrival"),
    ("circadian_event_distribution", "circadian event"),
    ("relative_event_distribution", "relative event"),
    ("cycle_time_distribution", "cycle time"),
]


def parse_time(text):
    t = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    # The local clock as written, as branchsim reads it.
    return t.replace(tzinfo=None)


def column(header, names):
    low = {h.strip().lower().replace(" ", "").replace("_", ""): h for h in header}
    for n in names:
        if n in low:
            return low[n]
    raise SystemExit(f"no column among {names} in {header}")


def case_starts(path):
    """First start of every case of a CSV log (real logs record no arrival: the held-out part
    is chosen by first starts, and so are the simulated cases measured against it)."""
    first = {}
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.DictReader(f)
        case = column(r.fieldnames, ["case", "caseid", "case:concept:name"])
        start = column(r.fieldnames, ["start", "starttime", "starttimestamp"])
        for row in r:
            if not row[start].strip():
                continue
            t = parse_time(row[start])
            c = row[case]
            if c not in first or t < first[c]:
                first[c] = t
    return first


def held_out_period(log, weeks):
    """The cut (the log's first day + `weeks`), the first and last first start of a held-out
    case, the held-out and the training case counts."""
    starts = case_starts(log)
    t0 = min(starts.values())
    cut = dt.datetime(t0.year, t0.month, t0.day) + dt.timedelta(weeks=weeks)
    test = [t for t in starts.values() if t >= cut]
    if not test:
        raise SystemExit(f"no case of {log} starts after week {weeks}")
    return cut, min(test), max(test), len(test), len(starts) - len(test)


def keep_window(src, dst, lo, hi):
    """Copies the cases of `src` whose first start falls in [lo, hi] to `dst` (the real log's
    split); returns the count."""
    starts = case_starts(src)
    keep = {c for c, t in starts.items() if lo <= t <= hi}
    with open(src, newline="", encoding="utf-8") as f, open(dst, "w", newline="", encoding="utf-8") as g:
        r = csv.DictReader(f)
        case = column(r.fieldnames, ["case", "caseid", "case:concept:name"])
        w = csv.DictWriter(g, fieldnames=r.fieldnames)
        w.writeheader()
        for row in r:
            if row[case] in keep:
                w.writerow(row)
    return len(keep)


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        raise SystemExit(f"failed ({p.returncode}): {' '.join(cmd)}")
    return p.stdout


def compare(bin_, log, sim, weeks):
    return json.loads(run([bin_, "compare-logs", log, sim, "--split-weeks", str(weeks), "--json"]))


def summary(values):
    m = statistics.mean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return {"mean": m, "sd": sd, "min": min(values), "max": max(values), "n": len(values)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("branchsim")
    ap.add_argument("log")
    ap.add_argument("--weeks", type=int, default=3, help="training weeks (default 3)")
    ap.add_argument("--runs", type=int, default=10, help="simulated logs per model (default 10)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="keep the scenario and the simulated logs in this folder")
    ap.add_argument("--peer", action="append", default=[], help="NAME=GLOB: simulated CSV logs of another tool")
    ap.add_argument("--json", help="write every figure to this file")
    a = ap.parse_args()

    cut, first, last, n_test, n_train = held_out_period(a.log, a.weeks)
    work = a.keep or tempfile.mkdtemp(prefix="holdout-")
    os.makedirs(work, exist_ok=True)

    base = json.loads(
        run([a.branchsim, "compare-logs", a.log, "--split-weeks", str(a.weeks), "--markov-baseline", str(a.runs), "--json"])
    )

    def simulate(tag, end, monday=None):
        """Discovers the model from the training weeks with the arrival end `end` (discover
        options) and runs it; `monday` moves t = 0 (empty start). Returns the event logs and
        the `unfinished` KPI of each replication."""
        scen = os.path.join(work, f"{tag}.toml")
        run([a.branchsim, "discover", a.log, "--first-weeks", str(a.weeks), *end, "--no-report", "-q", "-o", scen])
        if monday is not None:
            text = open(scen, encoding="utf-8").read()
            lines = [l for l in text.split("\n") if not l.startswith("start_date")]
            text = "\n".join(lines).replace('start_day = "mon"\n', f'start_day = "mon"\nstart_date = "{monday.date().isoformat()}"\n', 1)
            open(scen, "w", encoding="utf-8").write(text)
        out = os.path.join(work, f"run-{tag}")
        run([a.branchsim, "run", scen, "-q", "--no-charts", "--threads", "1", "--seed", str(a.seed),
             "--replications", str(a.runs), f"--events=0-{a.runs - 1}", "--out", out])
        sims = sorted(glob.glob(os.path.join(out, "**", "events", "*.csv"), recursive=True))
        if len(sims) != a.runs:
            raise SystemExit(f"expected {a.runs} event logs under {out}, found {len(sims)}")
        unfinished = []
        for rep in glob.glob(os.path.join(out, "**", "replications.csv"), recursive=True):
            with open(rep, newline="", encoding="utf-8-sig") as f:
                unfinished += [float(r["value"]) for r in csv.DictReader(f) if r["kpi"] == "unfinished"]
        return sims, unfinished

    # Warm: the scenario as discovered, from the Monday of the training part's first arrival,
    # so the training period's simulated cases load the resources as the real ones did when
    # the held-out period began; arrivals until the model expects the real number of cases.
    # Empty at the cut: t = 0 moved to the Monday on or before it (whole weeks, so the weekly
    # profile lines up), arrivals until it expects the held-out number.
    until = last.strftime("%Y-%m-%dT%H:%M")
    runs = {
        "discovered (case count)": simulate("discovered_cases", ["--cases", str(n_train + n_test)]),
        "discovered, arrivals until last first start": simulate("discovered_until", ["--until", until]),
        "discovered, empty start": simulate("discovered_empty", ["--cases", str(n_test)],
                                            monday=cut - dt.timedelta(days=cut.weekday())),
    }

    def measure(paths, tag):
        rows, cases = [], []
        for i, p in enumerate(paths):
            kept = os.path.join(work, f"{tag}-{i}.csv")
            cases.append(keep_window(p, kept, first, last))
            rows.append(compare(a.branchsim, a.log, kept, a.weeks))
        return {k: summary([r[k] for r in rows]) for k, _ in MEASURES}, cases

    results = {name: measure(sims, f"m{i}") for i, (name, (sims, _)) in enumerate(runs.items())}
    for spec in a.peer:
        name, pattern = spec.split("=", 1)
        paths = sorted(glob.glob(pattern))
        if paths:
            results[name] = measure(paths, name)
        else:
            print(f"warning: no log matches {pattern}", file=sys.stderr)

    mk = base["markov_baseline"]
    print(f"Held-out part: {n_test} cases arriving {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} "
          f"(training: cases starting before {cut:%Y-%m-%d}); {a.runs} simulated logs per model, seeds from {a.seed}.")
    print(f"Arrival ends: case count {n_train} + {n_test} = {n_train + n_test} cases (Simod's information); "
          f"--until {until} (the Markov baseline's).")
    for name, (_, cases) in results.items():
        print(f"{name}: {statistics.mean(cases):.0f} cases per simulated log in the held-out period (min {min(cases)}, max {max(cases)})")
    for name, (_, unfinished) in runs.items():
        if any(unfinished):
            print(f"warning: {name}: {max(unfinished):.0f} cases still inside when the drain ended "
                  f"(mean {statistics.mean(unfinished):.1f}): their traces are cut short", file=sys.stderr)
    print()
    head = ["distance", "noise floor", "Markov baseline"] + list(results)
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for k, label in MEASURES:
        cells = [label, f"{base['noise_floor'][k]:.4g}", f"{mk['mean'][k]:.4g} ± {mk['sd'][k]:.2g}"]
        for name, (s, _) in results.items():
            v = s[k]
            mark = " ✓" if v["mean"] <= mk["mean"][k] else ""
            cells.append(f"{v['mean']:.4g} ± {v['sd']:.2g} [{v['min']:.4g}–{v['max']:.4g}]{mark}")
        print("| " + " | ".join(cells) + " |")
    print("\n✓: mean at most the Markov baseline's (closer to the held-out log).")
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({"noise_floor": base["noise_floor"], "markov_baseline": mk,
                       "models": {n: {"measures": s, "cases": c, "unfinished": runs[n][1] if n in runs else None}
                                  for n, (s, c) in results.items()},
                       "held_out": {"cut": cut.isoformat(), "first": first.isoformat(), "last": last.isoformat(),
                                    "cases": n_test, "training_cases": n_train}},
                      f, indent=1)


if __name__ == "__main__":
    main()
