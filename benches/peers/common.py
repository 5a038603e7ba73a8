"""Shared parameters, statistics and output of the peer benchmark scripts.

The two models are the branchsim scenarios scenarios/bench/mmc.toml and
scenarios/bench/branch.toml; the numbers below must stay in step with them.
Times are in minutes.
"""

import argparse
import json
import math
import statistics
import sys
import time

# --- mmc: M/M/c, lambda = 1.8/min, c = 4, exponential service mean 2 min -------------
MMC = {
    "rate": 1.8,
    "servers": 4,
    "service_mean": 2.0,
}

# --- branch: reception -> teller (70%) | advisor (30%); 10% of teller -> advisor --------
BRANCH = {
    "rate": 1.5,
    "patience_mean": 15.0,  # exponential, fresh sample for every queue visit
    "reception": {"servers": 2, "mean": 1.0},  # exponential
    "teller": {"servers": 4, "mean": 2.5, "sd": 1.5},  # lognormal by mean / sd
    "advisor": {"servers": 3, "mean": 6.0, "sd": 3.0},  # lognormal by mean / sd
    "p_teller": 0.7,  # after reception; the rest go to the advisor
    "p_teller_advisor": 0.1,  # after the teller
}

HORIZON = 100_000.0  # branchsim's horizon (min); arrivals stop here, the system drains.


def lognormal_params(mean, sd):
    """(mu, sigma) of the underlying normal for a lognormal with this mean and sd."""
    sigma2 = math.log(1.0 + (sd * sd) / (mean * mean))
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)


# KPIs reported per model, in order, with the names branchsim uses in summary.json.
KPIS = {
    "mmc": ["arrived", "served", "wait_mean", "wait_prob", "utilisation"],
    "branch": ["arrived", "served", "abandoned", "abandon_rate", "wait_mean", "cycle_time_mean"],
}

# Two-sided 95% Student t quantiles by degrees of freedom.
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
        9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131,
        16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 25: 2.060, 30: 2.042,
        40: 2.021, 60: 2.000, 120: 1.980}


def t95(df):
    if df <= 0:
        return float("nan")
    best = max(k for k in _T95 if k <= df) if df < 120 else 120
    return _T95[best] if df < 120 else 1.960


def mean_ci(xs):
    """Mean and 95% confidence half-width across replications."""
    m = statistics.fmean(xs)
    if len(xs) < 2:
        return m, float("nan")
    return m, t95(len(xs) - 1) * statistics.stdev(xs) / math.sqrt(len(xs))


def parse_args(tool, default_horizons):
    p = argparse.ArgumentParser(
        description=f"{tool} version of branchsim's benchmark models (scenarios/bench/*.toml)")
    p.add_argument("model", choices=["mmc", "branch"])
    p.add_argument("--horizon", type=float, default=None,
                   help="arrival horizon in minutes (default: %s; branchsim uses 100000)"
                   % ", ".join(f"{k} {v:g}" for k, v in default_horizons.items()))
    p.add_argument("--reps", type=int, default=5, help="replications, seeds 1..N (default 5)")
    p.add_argument("--seed", type=int, default=1, help="first seed (default 1)")
    p.add_argument("--json", action="store_true", help="print one JSON object (for compare.py)")
    a = p.parse_args()
    if a.horizon is None:
        a.horizon = default_horizons[a.model]
    return a


def run(tool, version, default_horizons, models):
    """Runs `models[model](horizon, seed) -> dict of KPIs` for each seed and reports."""
    a = parse_args(tool, default_horizons)
    reps = []
    for i in range(a.reps):
        seed = a.seed + i
        t0, c0 = time.perf_counter(), time.process_time()
        k = models[a.model](a.horizon, seed)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        k["seconds"] = cpu
        k["wall_seconds"] = wall
        k["customers_per_sec"] = k["arrived"] / cpu
        reps.append(k)
        if not a.json:
            print(f"  seed {seed}: {k['arrived']} customers in {cpu:.2f} s CPU, {wall:.2f} s wall "
                  f"({k['customers_per_sec']:,.0f} customers per CPU second)", file=sys.stderr, flush=True)
    names = KPIS[a.model] + ["customers_per_sec"]
    summary = {n: mean_ci([r[n] for r in reps]) for n in names}
    total_customers = sum(r["arrived"] for r in reps)
    total_secs = sum(r["seconds"] for r in reps)
    total_wall = sum(r["wall_seconds"] for r in reps)
    out = {
        "tool": tool,
        "version": version,
        "model": a.model,
        "horizon": a.horizon,
        "reps": a.reps,
        # Pooled: all customers of all replications over all simulation CPU seconds (the
        # process's CPU time, less sensitive to other load than wall time), and wall seconds.
        "customers_per_sec": total_customers / total_secs,
        "customers_per_wall_sec": total_customers / total_wall,
        "kpis": {n: {"mean": m, "ci": h} for n, (m, h) in summary.items()},
        "replications": reps,
    }
    if a.json:
        print(json.dumps(out))
        return
    print(f"{tool} {version}, model {a.model}, horizon {a.horizon:g} min, {a.reps} replications")
    print(f"customers per second (simulation only, pooled): {out['customers_per_sec']:,.0f} per CPU second, "
          f"{out['customers_per_wall_sec']:,.0f} per wall second")
    for n in KPIS[a.model]:
        m, h = summary[n]
        print(f"  {n:<16} {m:12.4f} ± {h:.4f}")
