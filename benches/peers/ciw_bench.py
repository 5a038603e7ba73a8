"""Ciw version of branchsim's benchmark models (scenarios/bench/mmc.toml, branch.toml).

    python ciw_bench.py mmc|branch [--horizon MIN] [--reps N] [--seed S] [--json]

Ciw networks with a transition-matrix routing and reneging from every node (a reneging
customer leaves the system). Arrivals stop at the horizon (an inter-arrival distribution
that returns +inf past it) and the run goes on until every customer has left, as in
branchsim. KPIs come from Ciw's data records. Prints customers per second of simulation
time (network construction, the run and reading the records; imports excluded).
"""

import math
from collections import defaultdict

import ciw

import common

DEFAULT_HORIZONS = {"mmc": 20_000.0, "branch": 20_000.0}


class UntilHorizon(ciw.dists.Distribution):
    """Inter-arrival times of `base` until the horizon, then none (+inf)."""

    def __init__(self, base, horizon):
        self.base = base
        self.horizon = horizon

    def sample(self, t=None, ind=None):
        x = self.base.sample(t, ind)
        return x if t + x < self.horizon else math.inf


def simulate(network, seed):
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(math.inf)  # ends when no event is left
    return sim.get_all_records()


def mmc(horizon, seed):
    p = common.MMC
    c = p["servers"]
    network = ciw.create_network(
        arrival_distributions=[UntilHorizon(ciw.dists.Exponential(rate=p["rate"]), horizon)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / p["service_mean"])],
        number_of_servers=[c],
    )
    recs = simulate(network, seed)
    n = len(recs)
    waits = [r.waiting_time for r in recs]
    busy = sum(max(0.0, min(r.service_end_date, horizon) - min(r.service_start_date, horizon)) for r in recs)
    return {
        "arrived": n,
        "served": n,
        "wait_mean": sum(waits) / n,
        "wait_prob": sum(1 for w in waits if w > 0.0) / n,
        "utilisation": busy / (c * horizon),
    }


def branch(horizon, seed):
    p = common.BRANCH
    mu_t, s_t = common.lognormal_params(p["teller"]["mean"], p["teller"]["sd"])
    mu_a, s_a = common.lognormal_params(p["advisor"]["mean"], p["advisor"]["sd"])
    patience = ciw.dists.Exponential(rate=1.0 / p["patience_mean"])
    network = ciw.create_network(
        # Nodes: 1 reception, 2 teller, 3 advisor.
        arrival_distributions=[UntilHorizon(ciw.dists.Exponential(rate=p["rate"]), horizon), None, None],
        service_distributions=[
            ciw.dists.Exponential(rate=1.0 / p["reception"]["mean"]),
            # Ciw's Lognormal takes the underlying normal's mu and sigma.
            ciw.dists.Lognormal(mean=mu_t, sd=s_t),
            ciw.dists.Lognormal(mean=mu_a, sd=s_a),
        ],
        number_of_servers=[p["reception"]["servers"], p["teller"]["servers"], p["advisor"]["servers"]],
        routing=[
            [0.0, p["p_teller"], 1.0 - p["p_teller"]],
            [0.0, 0.0, p["p_teller_advisor"]],
            [0.0, 0.0, 0.0],
        ],
        # A fresh patience on arrival at each node; reneging customers exit the system.
        reneging_time_distributions=[patience, patience, patience],
    )
    recs = simulate(network, seed)
    first_arrival = {}
    last_exit = defaultdict(float)
    wait = defaultdict(float)
    reneged = set()
    for r in recs:
        i = r.id_number
        if i not in first_arrival or r.arrival_date < first_arrival[i]:
            first_arrival[i] = r.arrival_date
        last_exit[i] = max(last_exit[i], r.exit_date)
        if r.record_type == "renege":
            reneged.add(i)
        else:
            wait[i] += r.waiting_time
    served = [i for i in first_arrival if i not in reneged]
    arrived = len(first_arrival)
    return {
        "arrived": arrived,
        "served": len(served),
        "abandoned": len(reneged),
        "abandon_rate": len(reneged) / arrived,
        "wait_mean": sum(wait[i] for i in served) / len(served),
        "cycle_time_mean": sum(last_exit[i] - first_arrival[i] for i in served) / len(served),
    }


if __name__ == "__main__":
    common.run("Ciw", ciw.__version__, DEFAULT_HORIZONS, {"mmc": mmc, "branch": branch})
