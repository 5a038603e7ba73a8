"""Cross-check of `branchsim compare-logs` against log-distance-measures 2.2.0.

Usage (run.sh sets up the pinned package in a venv):
    python check.py BRANCHSIM ORIGINAL.csv SIMULATED.csv
    python check.py BRANCHSIM LOG.csv --split-weeks N

Computes the six distances with the Python package (default arguments, as Simod's
evaluations call them; cycle time with 1-hour bins) and compares them with
`BRANCHSIM compare-logs ... --json`. Exit 1 if any differs by more than 1e-9 (relative).
Columns: case, activity, start, end (override with --case/--activity/--start/--end).
"""
import argparse
import datetime
import json
import subprocess
import sys

import pandas as pd
from log_distance_measures.absolute_event_distribution import absolute_event_distribution_distance
from log_distance_measures.case_arrival_distribution import case_arrival_distribution_distance
from log_distance_measures.circadian_event_distribution import circadian_event_distribution_distance
from log_distance_measures.config import EventLogIDs
from log_distance_measures.cycle_time_distribution import cycle_time_distribution_distance
from log_distance_measures.n_gram_distribution import n_gram_distribution_distance
from log_distance_measures.relative_event_distribution import relative_event_distribution_distance


def read(path, a):
    df = pd.read_csv(path, skipinitialspace=True, dtype={a.case: str})
    df.columns = [c.strip() for c in df.columns]
    # branchsim trims fields and leaves out events without an end (the package would fail on them).
    df[a.activity] = df[a.activity].astype(str).str.strip()
    df = df.dropna(subset=[a.start, a.end])
    for c in (a.start, a.end):
        df[c] = pd.to_datetime(df[c], format="ISO8601")
        if getattr(df[c].dt, "tz", None) is not None:
            df[c] = df[c].dt.tz_localize(None)  # wall clock, as branchsim reads offsets
    return df


def split(df, ids, weeks):
    t0 = df[ids.start_time].min().floor("D")
    cut = t0 + pd.Timedelta(days=7 * weeks)
    first_start = df.groupby(ids.case)[ids.start_time].transform("min")
    first = df[first_start < cut].copy()
    second = df[first_start >= cut].copy()
    for c in (ids.start_time, ids.end_time):
        first[c] = first[c] + (cut - t0)
    return second, first


def main():
    p = argparse.ArgumentParser()
    p.add_argument("branchsim")
    p.add_argument("original")
    p.add_argument("simulated", nargs="?")
    p.add_argument("--split-weeks", type=int)
    p.add_argument("--case", default="case")
    p.add_argument("--activity", default="activity")
    p.add_argument("--start", default="start")
    p.add_argument("--end", default="end")
    a = p.parse_args()
    ids = EventLogIDs(case=a.case, activity=a.activity, start_time=a.start, end_time=a.end)
    cmd = [a.branchsim, "compare-logs", a.original, "--json"]
    if a.split_weeks:
        x, y = split(read(a.original, a), ids, a.split_weeks)
        cmd += ["--split-weeks", str(a.split_weeks)]
    else:
        x, y = read(a.original, a), read(a.simulated, a)
        cmd.insert(3, a.simulated)
    ours = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    theirs = {
        "n_gram_distribution": n_gram_distribution_distance(x, ids, y, ids, n=3),
        "absolute_event_distribution": absolute_event_distribution_distance(x, ids, y, ids),
        "case_arrival_distribution": case_arrival_distribution_distance(x, ids, y, ids),
        "circadian_event_distribution": circadian_event_distribution_distance(x, ids, y, ids),
        "relative_event_distribution": relative_event_distribution_distance(x, ids, y, ids),
        "cycle_time_distribution": cycle_time_distribution_distance(x, ids, y, ids, bin_size=datetime.timedelta(hours=1)),
    }
    bad = 0
    for k, v in theirs.items():
        o = ours[k]
        ok = abs(o - v) <= 1e-9 * max(1.0, abs(v))
        bad += not ok
        print(f"{k:<30} package {v:.9f}  branchsim {o:.9f}  {'ok' if ok else 'DIFFERENT'}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
