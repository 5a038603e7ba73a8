#!/usr/bin/env python3
"""Writes the training part of a CSV log in Simod's column convention.

Usage: prepare.py LOG WEEKS OUT.csv
Cases whose first start falls in the log's first WEEKS whole weeks (the same split as
`branchsim discover --first-weeks` and `compare-logs --split-weeks`), columns case_id,
activity, start_time, end_time, resource, timestamps as UTC ISO 8601 (the log's local clock
as written). Prints the cut and the held-out arrival period as JSON for run.sh.
"""
import csv, datetime as dt, json, sys

log, weeks, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__file__), "..", "..", "logdist"))
from holdout import column, held_out_period, parse_time  # noqa: E402

cut, first, last, n_test = held_out_period(log, weeks)
rows, starts = [], {}
with open(log, newline="", encoding="utf-8") as f:
    r = csv.DictReader(f)
    c, a = column(r.fieldnames, ["case", "caseid"]), column(r.fieldnames, ["activity", "concept:name"])
    s, e = column(r.fieldnames, ["start", "starttime"]), column(r.fieldnames, ["end", "endtime"])
    res = column(r.fieldnames, ["resource", "orgresource"])
    for row in r:
        if not row[s].strip() or not row[e].strip():
            continue
        t0, t1 = parse_time(row[s]), parse_time(row[e])
        starts[row[c]] = min(starts.get(row[c], t0), t0)
        rows.append((row[c], row[a].strip(), t0, t1, row[res].strip()))
iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.000+00:00")
n = 0
with open(out, "w", newline="", encoding="utf-8") as g:
    w = csv.writer(g)
    w.writerow(["case_id", "activity", "start_time", "end_time", "resource"])
    for case, act, t0, t1, who in sorted(rows, key=lambda x: (x[2], x[0])):
        if starts[case] < cut:
            w.writerow([case, act, iso(t0), iso(t1), who])
            n += 1
t0 = cut - dt.timedelta(weeks=weeks)
monday = lambda t: (t - dt.timedelta(days=t.weekday())).strftime("%Y-%m-%dT00:00:00.000+00:00")
print(json.dumps({"cut": cut.isoformat(), "first": first.isoformat(), "last": last.isoformat(),
                  "test_cases": n_test, "train_cases": sum(1 for t in starts.values() if t < cut),
                  "train_events": n, "cold_start": monday(cut), "warm_start": monday(t0)}))
