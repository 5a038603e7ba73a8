"""Reads branchsim event logs with pm4py and checks them against summary.json (issue #22).

Usage: check_logs.py OUT, where OUT/csv/<scenario>/ and OUT/xes/<scenario>/ are the folders
of `branchsim run FILE -n 1 --events --events-format csv|xes` (one replication, so every
KPI mean in summary.json is that replication's value). For every variant's log:

- pm4py reads it (read_xes; read_csv + format_dataframe) and discovers the directly-follows
  graph of the completed activities: its activities are exactly the steps summary.json reports
  as serving someone, plus steps only pre-warm-up cases reached;
- the cases that arrived after the warm-up are `arrived`, those served are `served`;
- pm4py's mean case duration of the served ones is `cycle_time_mean`.

Exit code 1 with every disagreement listed, 0 when all agree.
"""

import glob
import json
import os
import sys

import pandas as pd
import pm4py

MINUTES = {"s": 1 / 60, "min": 1.0, "h": 60.0}


def close(a, b, rel=1e-6, abs_=1e-4):
    return abs(a - b) <= abs_ + rel * max(abs(a), abs(b))


def main(root):
    problems = []
    checked = 0

    def expect(ok, what):
        nonlocal checked
        checked += 1
        if not ok:
            problems.append(what)

    for summary_path in sorted(glob.glob(os.path.join(root, "xes", "*", "summary.json"))):
        folder = os.path.dirname(summary_path)
        scenario = os.path.basename(folder)
        with open(summary_path, encoding="utf-8") as f:
            summary = json.load(f)
        unit = MINUTES[summary["scenario"]["time_unit"]]
        for xes_path in sorted(glob.glob(os.path.join(folder, "events", "*.xes"))):
            name = os.path.basename(xes_path)[: -len(".xes")]
            csv_path = os.path.join(root, "csv", scenario, "events", name + ".csv")
            log = pm4py.read_xes(xes_path)
            variant = log["case:variant"].iloc[0]
            v = summary["variants"][variant]
            kpis, steps = v["kpis"], v["steps"]
            where = f"{scenario}/{name}"

            # XES: cases, served cases and their mean duration.
            cases = log.drop_duplicates("case:concept:name")
            counted = cases[(cases["case:counted"] == True) & (cases["case:outcome"] != "no_show")]  # noqa: E712
            expect(len(counted) == kpis["arrived"]["mean"], f"{where}.xes: {len(counted)} counted cases, arrived {kpis['arrived']['mean']}")
            served_ids = set(counted[counted["case:outcome"] == "served"]["case:concept:name"])
            expect(len(served_ids) == kpis["served"]["mean"], f"{where}.xes: {len(served_ids)} served, summary {kpis['served']['mean']}")
            served = log[log["case:concept:name"].isin(served_ids)]
            if served_ids:
                mean = sum(pm4py.get_all_case_durations(served)) / len(served_ids) / 60.0
                want = kpis["cycle_time_mean"]["mean"] * unit
                expect(close(mean, want), f"{where}.xes: mean case duration {mean} min, cycle_time_mean {want} min")
            complete = log[log["lifecycle:transition"] == "complete"]
            dfg, starts, ends = pm4py.discover_dfg(complete)
            activities = set(pm4py.get_event_attribute_values(complete, "concept:name"))
            reported = {s for s, k in steps.items() if (k["served"]["mean"] or 0) > 0}
            expect(reported <= activities <= set(steps), f"{where}.xes: activities {sorted(activities)}, steps serving {sorted(reported)}")
            expect(len(starts) > 0 and len(ends) > 0, f"{where}.xes: a DFG with start and end activities")
            expect(all(a in activities and b in activities for a, b in dfg), f"{where}.xes: DFG edges between activities")

            # CSV: the same through pandas and pm4py.format_dataframe. The warm-up cut (which
            # cases count) is the XES traces' `counted` flag; the rest comes from the CSV.
            df = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
            counted_ids = set(counted["case:concept:name"])
            csv_counted = df[df["case_id"].isin(counted_ids)]
            expect(csv_counted["case_id"].nunique() == kpis["arrived"]["mean"], f"{where}.csv: counted cases")
            leaving = {"abandon", "balk", "no_show", "unfinished"}
            not_served = set(csv_counted[csv_counted["lifecycle"].isin(leaving)]["case_id"])
            csv_served = set(csv_counted["case_id"]) - not_served
            expect(csv_served == served_ids, f"{where}.csv: {len(csv_served)} served cases, XES {len(served_ids)}")
            done = df[df["lifecycle"] == "complete"].copy()
            done = pm4py.format_dataframe(done, case_id="case_id", activity_key="activity", timestamp_key="end_time", start_timestamp_key="start_time")
            csv_dfg, _, _ = pm4py.discover_dfg(done)
            expect(set(pm4py.get_event_attribute_values(done, "concept:name")) == activities, f"{where}.csv: activities")
            expect(set(csv_dfg) == set(dfg), f"{where}.csv: the same directly-follows graph as the XES")
            # Duration of a served case: its first enable (arrival) to its last end (departure),
            # as events of their own.
            rows = df[df["case_id"].isin(csv_served)]
            spans = pd.concat([
                rows[["case_id", "activity", "enable_time"]].rename(columns={"enable_time": "t"}),
                rows[["case_id", "activity", "end_time"]].rename(columns={"end_time": "t"}),
            ])
            spans = spans[spans["t"] != ""]
            spans = pm4py.format_dataframe(spans, case_id="case_id", activity_key="activity", timestamp_key="t")
            if csv_served:
                mean = sum(pm4py.get_all_case_durations(spans)) / len(csv_served) / 60.0
                want = kpis["cycle_time_mean"]["mean"] * unit
                expect(close(mean, want), f"{where}.csv: mean case duration {mean} min, cycle_time_mean {want} min")
            print(f"{where}: {len(counted)} cases, {len(served_ids)} served, {len(activities)} activities, {len(dfg)} DFG edges")

    if checked == 0:
        problems.append(f"no logs found under {root}")
    for p in problems:
        print("MISMATCH:", p)
    print(f"pm4py {pm4py.__version__}: {checked} checks, {len(problems)} mismatches")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
