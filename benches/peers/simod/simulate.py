#!/usr/bin/env python3
"""Simulates a Simod model (BPMN + Prosimos JSON) with Prosimos, once per seed.

Usage: simulate.py MODEL.bpmn MODEL.json START CASES RUNS OUTDIR
START: ISO 8601 date-time of the first arrival period (the held-out cut); CASES: cases per
run (more than the held-out part has, so that the held-out arrival period is covered; the
caller keeps the cases arriving in it). Writes OUTDIR/simod-<seed>.csv.
"""
import os, random, sys

import numpy as np
from prosimos.simulation_engine import run_simulation

bpmn, js, start, cases, runs, out = sys.argv[1:7]
os.makedirs(out, exist_ok=True)
for seed in range(1, int(runs) + 1):
    # Prosimos draws from Python's and NumPy's global generators.
    random.seed(seed)
    np.random.seed(seed)
    path = os.path.join(out, f"simod-{seed}.csv")
    run_simulation(bpmn, js, int(cases), stat_out_path=os.path.join(out, f"stats-{seed}.csv"),
                   log_out_path=path, starting_at=start)
    print(path, flush=True)
