//! The pre-run load analysis. The traffic equations λ = γ + Pᵀλ of each customer type's own
//! routing (rework, repeat_info, automation and removed steps included) give every step's
//! visit rate. Three things follow from them, all before anything is simulated:
//!
//! - the **overload warning**: a set of work queues (resources, skills) offered more work than
//!   the staff who can do it have time for, on average over the horizon. Work is measured in
//!   reference service time; a staff group with `speed` factor f (service takes f times the
//!   reference) does 1/f of it per staffed minute. Which staff can take which work is a
//!   bipartite graph (skills), so "more than they can do" is a max-flow question: the work
//!   that cannot be routed to any free capacity is the overload, and the minimum cut names
//!   the queues and groups that share it. A single dedicated resource is the plain
//!   λ·E[S] ≥ staff comparison.
//! - the **visits-per-customer warning**: a loop that rarely lets customers leave (through
//!   pure delays or removed steps too, which load no staff) makes each customer visit
//!   thousands of steps;
//! - the **expected events per replication**, which the run checks against its events cap
//!   before simulating, so that a model needing billions of events is refused in
//!   milliseconds rather than stopped after minutes.
//!
//! Anything that overflows (a rate of 1e307/min, a loop with p = 1 − 1e-12) is treated as
//! unbounded: it is warned about, never silently skipped.

use super::compile::expected_arrivals;
use super::diag::Diagnostics;
use super::schema::Scenario;
use crate::model::{ArrivalStream, CustomerType, Pool, Resource, Step};

/// Mean step visits per customer above which the routing is warned about.
pub const VISITS_WARN: f64 = 1_000.0;

/// What the analysis found that the compiled model keeps.
pub struct Load {
    /// Expected events per replication (arrivals, step visits); may be infinite.
    pub expected_events: f64,
}

/// Runs the analysis, adding its warnings to `d`.
#[allow(clippy::too_many_arguments)]
pub fn analyse(
    s: &Scenario,
    customers: &[CustomerType],
    arrivals: &[ArrivalStream],
    resources: &[Resource],
    pools: &[Pool],
    steps: &[Step],
    means: &[Vec<f64>],
    d: &mut Diagnostics,
) -> Load {
    let n = steps.len();
    let mut work = vec![0.0; pools.len()];
    let mut expected_events = 0.0;
    for (ci, c) in customers.iter().enumerate() {
        let mut ext = vec![0.0; n];
        for a in arrivals.iter().filter(|a| a.customer == ci) {
            ext[a.first_step] += expected_arrivals(a, s.horizon) / s.horizon;
        }
        let gamma: f64 = ext.iter().sum();
        if gamma.is_nan() || gamma <= 0.0 {
            continue;
        }
        // Sparse rows (a region has thousands of steps, each routing to a few).
        let routing: Vec<super::visits::Routes> = (0..n)
            .map(|i| {
                let mut row = super::visits::Routes::new();
                for (t, p) in steps[i].outcomes(i, ci) {
                    // A branch's route into its join ends a token: the join is visited once
                    // per case that passes the fork, counted on the fork step's row below (a
                    // fork multiplies the visits of its branches, not of its join).
                    if steps[t].join_of.is_some_and(|f| f != i) {
                        continue;
                    }
                    row.push((t, p));
                }
                if let Some(f) = &steps[i].fork {
                    row.retain(|r| r.0 != f.join);
                    row.push((f.join, steps[i].routed_share()));
                }
                row
            })
            .collect();
        // Visit rates per arriving customer, so that an overflowing arrival rate does not
        // read as an overflowing loop: shares of the first steps (streams of unbounded rate
        // share equally). No solution: a loop never lets customers leave, which the flow
        // check reports as an error; warnings on top of it would only repeat it.
        let share: Vec<f64> = if gamma.is_finite() {
            ext.iter().map(|x| x / gamma).collect()
        } else {
            let k = ext.iter().filter(|x| x.is_infinite()).count() as f64;
            ext.iter().map(|x| if x.is_infinite() { 1.0 / k } else { 0.0 }).collect()
        };
        let Some(per_customer) = super::visits::visit_rates(&share, &routing) else {
            expected_events = f64::INFINITY;
            continue;
        };
        let visits: f64 = per_customer.iter().sum();
        // 0 × ∞ (a step an overflowing stream never reaches) is no work: NaN is dropped below.
        let lam: Vec<f64> = per_customer.iter().map(|v| v * gamma).collect();
        expected_events += gamma * s.horizon * (1.0 + visits);
        if visits > VISITS_WARN || visits.is_nan() {
            let span = s.customers.get(ci).map(|x| x.name.span.clone());
            d.warning(
                span,
                format!("customers[{ci}]"),
                format!(
                    "customers of type `{}` make {} step visits each on average: a loop in their routing (rework, `repeat_info`, or a delay step that sends them back) rarely lets them leave",
                    c.name,
                    short(visits)
                ),
            )
            .with_help(format!(
                "lower the loop's probability; a customer making more than {} visits stops the run",
                crate::model::Limits::default().max_visits
            ));
        }
        for (i, st) in steps.iter().enumerate() {
            if let (Some(p), false) = (st.pool, st.pass_through) {
                let w = lam[i] * means[i][ci];
                if !w.is_nan() {
                    work[p] += w;
                }
            }
        }
    }
    check_overload(s, resources, pools, &work, d);
    Load { expected_events }
}

/// Reference work per minute each staff group can do: average scheduled staff over the
/// horizon divided by its speed factor.
fn capacities(s: &Scenario, resources: &[Resource]) -> Vec<f64> {
    resources.iter().map(|r| r.staff.staff_minutes(0.0, s.horizon) / s.horizon / r.speed).collect()
}

fn check_overload(s: &Scenario, resources: &[Resource], pools: &[Pool], work: &[f64], d: &mut Diagnostics) {
    let cap = capacities(s, resources);
    // Queues whose staff never work are warned about by the flow check (with the step that
    // needs them); they take no part here.
    let staffed = |p: usize| pools[p].groups.iter().any(|&g| cap[g] > 0.0);
    let offered: Vec<f64> = (0..pools.len()).map(|p| if staffed(p) { work[p] } else { 0.0 }).collect();
    for set in overloaded_sets(pools, &offered, &cap) {
        let w: f64 = set.pools.iter().map(|&p| offered[p]).sum();
        let c: f64 = set.groups.iter().map(|&g| cap[g]).sum();
        let first = set.pools[0];
        let span = s.resources.get(first).or_else(|| set.groups.first().and_then(|&g| s.resources.get(g)));
        let names = |ix: &[usize], name: &dyn Fn(usize) -> String| {
            ix.iter().map(|&i| format!("`{}`", name(i))).collect::<Vec<_>>().join(", ")
        };
        let load =
            if w.is_finite() { format!("load {:.0}%", 100.0 * w / c.max(1e-12)) } else { "load unbounded".into() };
        let offered_txt = if w.is_finite() { format!("{w:.2}") } else { "unbounded".into() };
        let message = if set.pools.len() == 1 && set.groups.len() == 1 && set.groups[0] == first {
            let speed = resources[first].speed;
            let at_speed = if speed == 1.0 { String::new() } else { format!(", {c:.2} at its speed {speed}") };
            format!(
                "resource `{}` is offered {offered_txt} staff of work on average but has {:.2} scheduled{at_speed} ({load}): its queue grows without bound unless customers abandon",
                pools[first].name,
                c * speed
            )
        } else {
            let what = if set.pools.iter().all(|&p| p < resources.len()) { "resource" } else { "skill" };
            format!(
                "{what}{} {} {} offered {offered_txt} staff of work on average but the staff who can serve {} ({}) have {c:.2} scheduled, speed included ({load}): {} grows without bound unless customers abandon",
                if set.pools.len() > 1 { "s" } else { "" },
                names(&set.pools, &|p| pools[p].name.clone()),
                if set.pools.len() > 1 { "are" } else { "is" },
                if set.pools.len() > 1 { "them" } else { "it" },
                names(&set.groups, &|g| resources[g].name.clone()),
                if set.pools.len() > 1 { "their queues" } else { "its queue" },
            )
        };
        d.warning(span.map(|r| r.name.span.clone()), format!("resources[{}]", first.min(resources.len())), message)
            .with_help("add staff, shorten service, or shift demand; patience and balking only cap the damage");
    }
}

/// A set of work queues offered more than the staff groups that can serve them can do.
#[derive(Debug, PartialEq)]
pub struct Overloaded {
    pub pools: Vec<usize>,
    pub groups: Vec<usize>,
}

/// The overloaded sets of queues: the source side of a minimum cut of the network
/// source → queue (its work) → staff group (unbounded, where the group has the skill) → sink
/// (the group's capacity), split into parts that share no staff group. Capacities are shaded
/// by 1e-9 so that a load of exactly 100% (unstable) counts as overload.
///
/// Queues and groups that share no skill are independent networks, and each augmenting path
/// is found by a search over the whole network: solved as one, a region of thousands of
/// dedicated counters took seconds (one search per queue). So each connected part (queues
/// joined by the groups they share) is solved on its own; the source side of a minimum cut
/// is the same either way (it is unique: what the source reaches after any maximum flow).
pub fn overloaded_sets(pools: &[Pool], work: &[f64], cap: &[f64]) -> Vec<Overloaded> {
    let (np, ng) = (pools.len(), cap.len());
    // Parts: union-find over queues through their groups.
    let mut part: Vec<usize> = (0..np).collect();
    let mut owner = vec![usize::MAX; ng];
    for (p, pool) in pools.iter().enumerate() {
        for &g in &pool.groups {
            if owner[g] == usize::MAX {
                owner[g] = p;
            } else {
                let (a, b) = (find_root(&mut part, owner[g]), find_root(&mut part, p));
                part[a] = b;
            }
        }
    }
    let mut members: std::collections::BTreeMap<usize, Vec<usize>> = std::collections::BTreeMap::new();
    for p in 0..np {
        let r = find_root(&mut part, p);
        members.entry(r).or_default().push(p);
    }
    if members.len() <= 1 {
        return overloaded_sets_connected(pools, work, cap);
    }
    let mut out = Vec::new();
    for ps in members.values() {
        if ps.iter().all(|&p| work[p] <= 0.0) {
            continue;
        }
        // Renumber the part's groups.
        let mut gs: Vec<usize> = ps.iter().flat_map(|&p| pools[p].groups.iter().copied()).collect();
        gs.sort_unstable();
        gs.dedup();
        let local = |g: usize| gs.binary_search(&g).unwrap_or(0);
        let sub_pools: Vec<Pool> = ps
            .iter()
            .map(|&p| Pool { name: pools[p].name.clone(), groups: pools[p].groups.iter().map(|&g| local(g)).collect() })
            .collect();
        let sub_work: Vec<f64> = ps.iter().map(|&p| work[p]).collect();
        let sub_cap: Vec<f64> = gs.iter().map(|&g| cap[g]).collect();
        for o in overloaded_sets_connected(&sub_pools, &sub_work, &sub_cap) {
            out.push(Overloaded {
                pools: o.pools.iter().map(|&i| ps[i]).collect(),
                groups: o.groups.iter().map(|&i| gs[i]).collect(),
            });
        }
    }
    // In the order one network gives: by each set's first queue.
    out.sort_by_key(|o| o.pools.first().copied().unwrap_or(usize::MAX));
    out
}

/// The root of `x` in a union-find forest, halving the path.
fn find_root(part: &mut [usize], mut x: usize) -> usize {
    while part[x] != x {
        part[x] = part[part[x]];
        x = part[x];
    }
    x
}

/// `overloaded_sets` on one network.
fn overloaded_sets_connected(pools: &[Pool], work: &[f64], cap: &[f64]) -> Vec<Overloaded> {
    let (np, ng) = (pools.len(), cap.len());
    // Nodes: 0 source, 1..=np queues, np+1..=np+ng groups, np+ng+1 sink.
    let (src, sink) = (0, np + ng + 1);
    let mut net = Network::new(np + ng + 2);
    for (p, pool) in pools.iter().enumerate() {
        if work[p] > 0.0 {
            net.edge(src, 1 + p, work[p]);
        }
        for &g in &pool.groups {
            net.edge(1 + p, 1 + np + g, f64::INFINITY);
        }
    }
    for (g, &c) in cap.iter().enumerate() {
        net.edge(1 + np + g, sink, c * (1.0 - 1e-9));
    }
    net.max_flow(src, sink);
    let reach = net.reachable(src);
    let in_s: Vec<usize> = (0..np).filter(|&p| reach[1 + p]).collect();
    // Parts of the source side joined by shared groups.
    let mut part: Vec<usize> = (0..np).collect();
    fn root(part: &mut [usize], mut x: usize) -> usize {
        while part[x] != x {
            part[x] = part[part[x]];
            x = part[x];
        }
        x
    }
    let mut owner = vec![usize::MAX; ng];
    for &p in &in_s {
        for &g in &pools[p].groups {
            if owner[g] == usize::MAX {
                owner[g] = p;
            } else {
                let (a, b) = (root(&mut part, owner[g]), root(&mut part, p));
                part[a] = b;
            }
        }
    }
    let mut sets: Vec<(usize, Overloaded)> = Vec::new();
    for &p in &in_s {
        let r = root(&mut part, p);
        match sets.iter_mut().find(|(k, _)| *k == r) {
            Some((_, o)) => o.pools.push(p),
            None => sets.push((r, Overloaded { pools: vec![p], groups: Vec::new() })),
        }
    }
    for (_, o) in &mut sets {
        let mut gs: Vec<usize> = o.pools.iter().flat_map(|&p| pools[p].groups.iter().copied()).collect();
        gs.sort_unstable();
        gs.dedup();
        o.groups = gs;
    }
    sets.into_iter().map(|(_, o)| o).collect()
}

/// A small flow network (Edmonds–Karp: shortest augmenting paths), enough for the few
/// hundred queues and groups of a scenario.
struct Network {
    adj: Vec<Vec<usize>>,
    to: Vec<usize>,
    residual: Vec<f64>,
}

impl Network {
    fn new(n: usize) -> Self {
        Network { adj: vec![Vec::new(); n], to: Vec::new(), residual: Vec::new() }
    }

    fn edge(&mut self, a: usize, b: usize, c: f64) {
        self.adj[a].push(self.to.len());
        self.to.push(b);
        self.residual.push(c);
        self.adj[b].push(self.to.len());
        self.to.push(a);
        self.residual.push(0.0);
    }

    /// Whether edge `e` can carry more flow (a relative tolerance keeps rounding residue out).
    fn open(&self, e: usize) -> bool {
        self.residual[e] > 1e-12
    }

    fn max_flow(&mut self, s: usize, t: usize) {
        let n = self.adj.len();
        loop {
            let mut via = vec![usize::MAX; n];
            let mut queue = std::collections::VecDeque::from([s]);
            let mut seen = vec![false; n];
            seen[s] = true;
            while let Some(x) = queue.pop_front() {
                for &e in &self.adj[x] {
                    let y = self.to[e];
                    if !seen[y] && self.open(e) {
                        seen[y] = true;
                        via[y] = e;
                        queue.push_back(y);
                    }
                }
            }
            if !seen[t] {
                return;
            }
            let mut push = f64::INFINITY;
            let mut y = t;
            while y != s {
                let e = via[y];
                push = push.min(self.residual[e]);
                y = self.to[e ^ 1];
            }
            if !push.is_finite() {
                // An unbounded path: only possible with unbounded work and unbounded staff,
                // which the schema rules out; stop rather than loop.
                return;
            }
            let mut y = t;
            while y != s {
                let e = via[y];
                self.residual[e] -= push;
                self.residual[e ^ 1] += push;
                y = self.to[e ^ 1];
            }
        }
    }

    fn reachable(&self, s: usize) -> Vec<bool> {
        let mut seen = vec![false; self.adj.len()];
        seen[s] = true;
        let mut stack = vec![s];
        while let Some(x) = stack.pop() {
            for &e in &self.adj[x] {
                let y = self.to[e];
                if !seen[y] && self.open(e) {
                    seen[y] = true;
                    stack.push(y);
                }
            }
        }
        seen
    }
}

/// A count in short form: 1234 → "1234", 1.5e10 → "1.5e10", ∞ → "unboundedly many".
fn short(x: f64) -> String {
    if !x.is_finite() {
        "unboundedly many".into()
    } else if x < 1e6 {
        format!("{x:.0}")
    } else {
        format!("{x:.1e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(groups: &[usize]) -> Pool {
        Pool { name: String::new(), groups: groups.to_vec() }
    }

    #[test]
    fn a_dedicated_resource_is_overloaded_at_exactly_its_staff() {
        let pools = [pool(&[0])];
        assert_eq!(overloaded_sets(&pools, &[2.0], &[2.0]), vec![Overloaded { pools: vec![0], groups: vec![0] }]);
        assert!(overloaded_sets(&pools, &[1.99], &[2.0]).is_empty());
        assert_eq!(overloaded_sets(&pools, &[f64::INFINITY], &[2.0]).len(), 1);
    }

    #[test]
    fn shared_staff_are_counted_once() {
        // Two skills, each served by its own group and by a shared one: 1.5 + 1.5 of work
        // against 1 + 1 + 0.8 of capacity is overloaded as a whole, though each skill alone
        // (1.5 against 1.8) is not.
        let pools = [pool(&[0, 2]), pool(&[1, 2])];
        let sets = overloaded_sets(&pools, &[1.5, 1.5], &[1.0, 1.0, 0.8]);
        assert_eq!(sets, vec![Overloaded { pools: vec![0, 1], groups: vec![0, 1, 2] }]);
        // With capacity 1.1 for the shared group, the whole fits.
        assert!(overloaded_sets(&pools, &[1.5, 1.5], &[1.0, 1.0, 1.1]).is_empty());
    }

    #[test]
    fn separate_overloads_are_reported_separately() {
        let pools = [pool(&[0]), pool(&[1]), pool(&[2])];
        let sets = overloaded_sets(&pools, &[3.0, 0.5, 4.0], &[2.0, 1.0, 1.0]);
        assert_eq!(sets.iter().map(|o| o.pools.clone()).collect::<Vec<_>>(), vec![vec![0], vec![2]]);
    }
}
