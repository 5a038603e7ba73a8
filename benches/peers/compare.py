"""Runs branchsim, SimPy and Ciw on the benchmark models side by side (see compare.sh).

For each model:
  1. branchsim, full horizon (100,000 min), --threads 1: customers per CPU second and per
     wall second (the whole process: start-up, the run and writing its output files);
  2. branchsim again with the peers' horizon, for a like-for-like KPI comparison;
  3. the SimPy and Ciw scripts (simulation only, imports excluded);
then prints throughput with the ratio branchsim / peer, and the KPIs with 95% confidence
half-widths and whether each peer agrees with branchsim (|difference| within the combined
half-width, sqrt(h1² + h2²); about 1 in 20 KPI pairs is flagged by chance alone).
"""

import argparse
import datetime
import json
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

import common

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = [("SimPy", "simpy_bench.py"), ("Ciw", "ciw_bench.py")]


def erlang_c(lam, mu, c):
    """(P(wait), mean wait in queue, utilisation) of M/M/c."""
    a = lam / mu
    rho = a / c
    s = sum(a**k / math.factorial(k) for k in range(c))
    top = a**c / math.factorial(c) / (1 - rho)
    pw = top / (s + top)
    return pw, pw / (c * mu - lam), rho


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def scenario_with_horizon(root, model, horizon, tmp):
    src = os.path.join(root, "scenarios", "bench", f"{model}.toml")
    text = open(src).read()
    text, n = re.subn(r'(?m)^horizon\s*=.*$', f'horizon = "{horizon:g}min"', text, count=1)
    if n != 1:
        sys.exit(f"compare.py: no horizon line in {src}")
    path = os.path.join(tmp, f"{model}-{horizon:g}.toml")
    with open(path, "w") as f:
        f.write(text)
    return path


def branchsim(binary, scenario, reps, threads, tmp):
    out = tempfile.mkdtemp(dir=tmp)
    cmd = [binary, "run", scenario, "--replications", str(reps), "--no-charts", "-q", "--out", out]
    if threads:
        cmd += ["--threads", str(threads)]
    c0, t0 = child_cpu(), time.perf_counter()
    subprocess.run(cmd, check=True)
    wall, cpu = time.perf_counter() - t0, child_cpu() - c0
    (slug,) = os.listdir(out)
    summary = json.load(open(os.path.join(out, slug, "summary.json")))
    v = summary["variants"]["baseline"]
    kpis = {}
    for name, k in list(v["kpis"].items()) + [(n, k) for n, k in v["resources"].get("server", {}).items()]:
        if isinstance(k, dict) and "mean" in k:
            lo, hi = k["ci95"]
            kpis[name] = {"mean": k["mean"], "ci": (hi - lo) / 2}
    customers = kpis["arrived"]["mean"] * reps
    return {
        "tool": "branchsim",
        "version": summary.get("branchsim_version", "?"),
        "reps": reps,
        "customers_per_sec": customers / cpu,
        "customers_per_wall_sec": customers / wall,
        "kpis": kpis,
    }


def criterion(criterion_dir, model):
    d = os.path.join(criterion_dir, model, "one_replication", "new")
    try:
        est = json.load(open(os.path.join(d, "estimates.json")))
        bench = json.load(open(os.path.join(d, "benchmark.json")))
    except (OSError, ValueError):
        return None
    secs = est["mean"]["point_estimate"] / 1e9
    when = datetime.datetime.fromtimestamp(os.path.getmtime(os.path.join(d, "estimates.json")))
    return bench["throughput"]["Elements"] / secs, when.strftime("%Y-%m-%d %H:%M")


def peer(script, model, horizon, reps):
    py = sys.executable
    r = subprocess.run([py, os.path.join(HERE, script), model, "--horizon", str(horizon), "--reps", str(reps),
                        "--json"], check=True, capture_output=True, text=True)
    return json.loads(r.stdout)


COUNTS = {"arrived", "served", "abandoned"}


def fmt(x, ci=None, count=False):
    if x is None:
        return "-"
    if count or abs(x) >= 1000:
        s = f"{x:,.0f}"
        return s if ci is None or math.isnan(ci) else f"{s} ± {ci:,.0f}"
    s = f"{x:.4f}"
    return s if ci is None or math.isnan(ci) else f"{s} ± {ci:.4f}"


def table(rows):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for j, r in enumerate(rows):
        print("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if j == 0:
            print("  " + "  ".join("-" * w for w in widths))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--branchsim", required=True, help="the branchsim binary")
    p.add_argument("--root", required=True, help="the repository (for scenarios/bench)")
    p.add_argument("--criterion-dir", default=None, help="criterion's output folder (target/criterion)")
    p.add_argument("--models", default="mmc,branch")
    p.add_argument("--reps", type=int, default=5, help="peer replications (seeds 1..N), default 5")
    p.add_argument("--peer-horizon", type=float, default=20_000.0,
                   help="horizon of the peer runs in minutes (default 20000; branchsim's is 100000)")
    p.add_argument("--branchsim-reps", type=int, default=20,
                   help="branchsim replications for timing and KPIs (default 20)")
    a = p.parse_args()

    with tempfile.TemporaryDirectory(prefix="branchsim-peers-") as tmp:
        for model in a.models.split(","):
            print(f"\n=== {model} ===")
            full = os.path.join(a.root, "scenarios", "bench", f"{model}.toml")
            print(f"branchsim: {a.branchsim_reps} replications, horizon {common.HORIZON:g} min, 1 thread ...",
                  flush=True)
            bs = branchsim(a.branchsim, full, a.branchsim_reps, 1, tmp)
            print(f"branchsim: {a.branchsim_reps} replications, horizon {a.peer_horizon:g} min ...", flush=True)
            bs_short = branchsim(a.branchsim, scenario_with_horizon(a.root, model, a.peer_horizon, tmp),
                                 a.branchsim_reps, None, tmp)
            peers = []
            for name, script in PEERS:
                print(f"{name}: {a.reps} replications, horizon {a.peer_horizon:g} min ...", flush=True)
                peers.append(peer(script, model, a.peer_horizon, a.reps))

            print(f"\nThroughput, customers per second ({model}; ratio = branchsim / peer, CPU time):")
            rows = [["implementation", "horizon (min)", "per CPU s", "per wall s", "ratio"]]
            rows.append([f"branchsim {bs['version']} (CLI, 1 thread)", f"{common.HORIZON:g}",
                         fmt(bs["customers_per_sec"]), fmt(bs["customers_per_wall_sec"]), "1"])
            crit = criterion(a.criterion_dir, model) if a.criterion_dir else None
            if crit:
                rows.append([f"branchsim (criterion, {crit[1]})", f"{common.HORIZON:g}", "-", fmt(crit[0]), "-"])
            for pr in peers:
                rows.append([f"{pr['tool']} {pr['version']}", f"{pr['horizon']:g}", fmt(pr["customers_per_sec"]),
                             fmt(pr["customers_per_wall_sec"]),
                             f"{bs['customers_per_sec'] / pr['customers_per_sec']:,.0f}x"])
            table(rows)

            print(f"\nKPIs, mean ± 95% half-width ({model}; horizon {a.peer_horizon:g} min unless noted):")
            head = ["kpi", f"branchsim ({a.branchsim_reps})"]
            head += [f"{pr['tool']} ({pr['reps']})" for pr in peers]
            head += [f"{pr['tool']} agrees" for pr in peers]
            head += [f"branchsim {common.HORIZON:g} min"]
            if model == "mmc":
                head.append("Erlang C")
                pw, wq, rho = erlang_c(common.MMC["rate"], 1 / common.MMC["service_mean"], common.MMC["servers"])
                theory = {"wait_mean": wq, "wait_prob": pw, "utilisation": rho,
                          "arrived": common.MMC["rate"] * a.peer_horizon,
                          "served": common.MMC["rate"] * a.peer_horizon}
            rows = [head]
            for k in common.KPIS[model]:
                b = bs_short["kpis"][k]
                c = k in COUNTS
                row = [k, fmt(b["mean"], b["ci"], c)]
                row += [fmt(pr["kpis"][k]["mean"], pr["kpis"][k]["ci"], c) for pr in peers]
                for pr in peers:
                    d = pr["kpis"][k]["mean"] - b["mean"]
                    tol = math.hypot(pr["kpis"][k]["ci"], b["ci"])
                    row.append("yes" if abs(d) <= tol else f"NO ({d / tol:+.1f} tol)")
                f = bs["kpis"][k]
                row.append(fmt(f["mean"], f["ci"], c))
                if model == "mmc":
                    row.append(fmt(theory[k], None, c))
                rows.append(row)
            table(rows)
    print("\nCPU time is the process's user + system time; other load on the machine inflates wall time.")


if __name__ == "__main__":
    main()
