"""SimPy version of branchsim's benchmark models (scenarios/bench/mmc.toml, branch.toml).

    python simpy_bench.py mmc|branch [--horizon MIN] [--reps N] [--seed S] [--json]

Idiomatic SimPy: one process per customer, simpy.Resource per station, reneging as
`yield request | timeout(patience)`. Arrivals stop at the horizon and the run goes on
until every customer has left (as in branchsim). Prints customers per second of
simulation time (interpreter start-up and imports excluded) and the KPIs.
"""

import random

import simpy

import common

DEFAULT_HORIZONS = {"mmc": 20_000.0, "branch": 20_000.0}


def streams(seed):
    # Independent generators per purpose; str seeds are hashed deterministically.
    return tuple(random.Random(f"{seed}-{name}") for name in ("arrivals", "service", "patience", "routing"))


def mmc(horizon, seed):
    p = common.MMC
    arr, svc, _, _ = streams(seed)
    rate, c, inv_mean = p["rate"], p["servers"], 1.0 / p["service_mean"]
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=c)
    st = {"arrived": 0, "served": 0, "waited": 0, "wait_sum": 0.0, "busy": 0.0}

    def customer():
        t0 = env.now
        with server.request() as req:
            yield req
            start = env.now
            w = start - t0
            st["wait_sum"] += w
            if w > 0.0:
                st["waited"] += 1
            s = svc.expovariate(inv_mean)
            st["busy"] += max(0.0, min(start + s, horizon) - min(start, horizon))
            yield env.timeout(s)
        st["served"] += 1

    def source():
        while True:
            yield env.timeout(arr.expovariate(rate))
            if env.now >= horizon:
                return
            st["arrived"] += 1
            env.process(customer())

    env.process(source())
    env.run()
    n = st["served"]
    return {
        "arrived": st["arrived"],
        "served": n,
        "wait_mean": st["wait_sum"] / n,
        "wait_prob": st["waited"] / n,
        "utilisation": st["busy"] / (c * horizon),
    }


def branch(horizon, seed):
    p = common.BRANCH
    arr, svc, pat, rte = streams(seed)
    env = simpy.Environment()
    res = {k: simpy.Resource(env, capacity=p[k]["servers"]) for k in ("reception", "teller", "advisor")}
    inv_rec = 1.0 / p["reception"]["mean"]
    ln_teller = common.lognormal_params(p["teller"]["mean"], p["teller"]["sd"])
    ln_advisor = common.lognormal_params(p["advisor"]["mean"], p["advisor"]["sd"])
    inv_patience = 1.0 / p["patience_mean"]
    p_teller, p_teller_advisor = p["p_teller"], p["p_teller_advisor"]
    st = {"arrived": 0, "served": 0, "abandoned": 0, "wait_sum": 0.0, "cycle_sum": 0.0}

    def visit(station, service_time):
        """One queue visit; returns the wait, or None if the customer reneged."""
        t = env.now
        with res[station].request() as req:
            result = yield req | env.timeout(pat.expovariate(inv_patience))
            if req not in result:
                return None
            w = env.now - t
            yield env.timeout(service_time())
        return w

    def customer():
        t0 = env.now
        route = ["reception"]
        total_wait = 0.0
        while route:
            station = route.pop()
            if station == "reception":
                w = yield from visit(station, lambda: svc.expovariate(inv_rec))
            elif station == "teller":
                w = yield from visit(station, lambda: svc.lognormvariate(*ln_teller))
            else:
                w = yield from visit(station, lambda: svc.lognormvariate(*ln_advisor))
            if w is None:
                st["abandoned"] += 1
                return
            total_wait += w
            if station == "reception":
                route.append("teller" if rte.random() < p_teller else "advisor")
            elif station == "teller" and rte.random() < p_teller_advisor:
                route.append("advisor")
        st["served"] += 1
        st["wait_sum"] += total_wait
        st["cycle_sum"] += env.now - t0

    def source():
        while True:
            yield env.timeout(arr.expovariate(p["rate"]))
            if env.now >= horizon:
                return
            st["arrived"] += 1
            env.process(customer())

    env.process(source())
    env.run()
    n = st["served"]
    return {
        "arrived": st["arrived"],
        "served": n,
        "abandoned": st["abandoned"],
        "abandon_rate": st["abandoned"] / st["arrived"],
        "wait_mean": st["wait_sum"] / n,
        "cycle_time_mean": st["cycle_sum"] / n,
    }


if __name__ == "__main__":
    common.run("SimPy", simpy.__version__, DEFAULT_HORIZONS, {"mmc": mmc, "branch": branch})
