//! The staffing requirement: per resource and interval, the least staff that meets every
//! target in every interval under the scenario's real dynamics.
//!
//! A simulation-based iterative search in the spirit of Feldman, Mandelbaum, Massey & Whitt
//! (2008), which start from a stationary approximation and correct it with simulations of the
//! time-varying system until every interval meets its target:
//!
//! 1. start from SIPP (`sipp::plan`: Erlang C, or Erlang A for abandonment, per interval);
//! 2. *raise*: simulate; add one person, in every interval that misses a target, to the
//!    resource with the longest queue there (its bottleneck); repeat until no interval misses
//!    (an interval whose bottleneck reached the staff cap is declared infeasible);
//! 3. *lower*: in time order, try one person fewer at each (interval, resource); keep the
//!    removal when every interval still meets its targets. Removing staff early can break a
//!    later interval (work carries over), so each trial re-checks them all.
//!
//! Every candidate is simulated on the same replications (common random numbers), so the
//! comparisons are paired and the search is deterministic for a seed. The result is minimal
//! one person at a time on that sample; `verify` re-simulates it on independent replications
//! and states the confidence of every interval.

use super::evaluate::{Evaluation, Plan, Problem};
use super::target::Estimate;

/// Search settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Replications per candidate plan.
    pub replications: u64,
    /// Most staff of one resource in one interval.
    pub max_staff: u32,
    /// Most simulated candidate plans (a safety net; the search normally ends far before).
    pub max_evaluations: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { replications: 100, max_staff: 50, max_evaluations: 5000 }
    }
}

/// The outcome of the search.
#[derive(Clone, Debug)]
pub struct Requirement {
    pub sipp: Plan,
    pub plan: Plan,
    /// Intervals no plan within the staff cap could make meet the targets.
    pub infeasible: Vec<bool>,
    /// The evaluation of `plan` on the search replications.
    pub eval: Evaluation,
    pub evaluations: usize,
}

/// Runs the search from `start` (SIPP when `None`); `progress` is told after each simulated
/// candidate.
pub fn search(p: &Problem, s: &Settings, start: Option<Plan>, progress: &dyn Fn(usize)) -> Requirement {
    let sipp = super::sipp::plan(p, s.max_staff);
    let plan = start.unwrap_or_else(|| sipp.clone());
    let mut req = Requirement { sipp, plan, infeasible: vec![false; p.grid.n], eval: empty(p), evaluations: 0 };
    raise_lower(p, s, &mut req, (0, s.replications), progress);
    req
}

fn empty(p: &Problem) -> Evaluation {
    Evaluation { kpi: Vec::new(), queue: Vec::new(), util: Vec::new(), level: p.level }
}

/// Raises `req.plan` until every feasible interval meets its targets on the replications
/// `sample` = (first, count), then lowers it one person at a time (see the module doc).
fn raise_lower(p: &Problem, s: &Settings, req: &mut Requirement, sample: (u64, u64), progress: &dyn Fn(usize)) {
    let n = p.grid.n;
    let evals = std::cell::Cell::new(req.evaluations);
    let eval = |plan: &Plan| {
        evals.set(evals.get() + 1);
        progress(evals.get());
        p.evaluate(plan, sample.0, sample.1)
    };
    let (plan, infeasible) = (&mut req.plan, &mut req.infeasible);
    let mut cur = eval(plan);
    // Raise.
    loop {
        let failing = cur.failing(&p.targets, infeasible);
        if failing.is_empty() || evals.get() >= s.max_evaluations {
            break;
        }
        let mut raised = false;
        for i in failing {
            match bottleneck(p, &cur, plan, i, s.max_staff) {
                Some(k) => {
                    plan.staff[k][i] += 1;
                    raised = true;
                }
                None => infeasible[i] = true,
            }
        }
        if raised {
            cur = eval(plan);
        }
    }
    // Lower, one person at a time, in time order; costlier staff are tried first.
    let mut order: Vec<usize> = (0..p.resources.len()).collect();
    order.sort_by(|&a, &b| {
        let c = |k: usize| p.model.resources[p.resources[k]].cost_per_hour;
        c(b).total_cmp(&c(a)).then(a.cmp(&b))
    });
    for i in 0..n {
        for &k in &order {
            while plan.staff[k][i] > 0 && evals.get() < s.max_evaluations {
                plan.staff[k][i] -= 1;
                let trial = eval(plan);
                if trial.failing(&p.targets, infeasible).is_empty() {
                    cur = trial;
                } else {
                    plan.staff[k][i] += 1;
                    break;
                }
            }
        }
    }
    req.eval = cur;
    req.evaluations = evals.get();
}

/// The resource to add to in failing interval `i`: among those below the cap, the one with
/// the longest queue (then the busiest, then the first). `None` when all are at the cap.
fn bottleneck(p: &Problem, e: &Evaluation, plan: &Plan, i: usize, cap: u32) -> Option<usize> {
    // A target on one resource's utilisation is met only by adding to that resource.
    let mut candidates: Vec<usize> = (0..p.resources.len()).filter(|&k| plan.staff[k][i] < cap).collect();
    for (t, k) in p.targets.iter().zip(&e.kpi) {
        if k[i].confidence(t) < e.level {
            let own = p.target_resources(t);
            if !own.is_empty() {
                candidates.retain(|c| own.contains(c));
            }
        }
    }
    candidates.into_iter().max_by(|&a, &b| {
        let u = |k: usize| if plan.staff[k][i] == 0 { f64::INFINITY } else { e.util[k][i] };
        e.queue[a][i].total_cmp(&e.queue[b][i]).then(u(a).total_cmp(&u(b))).then(b.cmp(&a))
    })
}

/// An independent re-simulation of a plan: every target in every interval with its 95% CI
/// and the one-sided confidence that it is met.
#[derive(Clone, Debug)]
pub struct Verification {
    pub eval: Evaluation,
    /// Per target, per interval.
    pub confidence: Vec<Vec<f64>>,
    pub replications: u64,
}

/// Re-simulates `plan` on replications the search never saw (`first` on).
pub fn verify(p: &Problem, plan: &Plan, first: u64, replications: u64) -> Verification {
    let eval = p.evaluate(plan, first, replications);
    let confidence = p
        .targets
        .iter()
        .zip(&eval.kpi)
        .map(|(t, row)| row.iter().map(|e: &Estimate| e.confidence(t)).collect())
        .collect();
    Verification { eval, confidence, replications }
}

/// Minimality check: for each (resource, interval) with staff, the plan with one person fewer
/// there, re-simulated on independent replications: (resource, interval, target, the interval
/// least sure to meet it, that confidence). The removal breaks the plan when that confidence
/// is below `Problem::level`, the rule the search accepts plans by.
pub type Removal = (usize, usize, usize, usize, f64);

pub fn minimality(p: &Problem, plan: &Plan, first: u64, replications: u64, progress: &dyn Fn(usize)) -> Vec<Removal> {
    let mut out = Vec::new();
    let mut done = 0;
    for k in 0..p.resources.len() {
        for i in 0..p.grid.n {
            if plan.staff[k][i] == 0 {
                continue;
            }
            let mut less = plan.clone();
            less.staff[k][i] -= 1;
            let v = verify(p, &less, first, replications);
            done += 1;
            progress(done);
            // The (target, interval) with the lowest confidence of being met.
            let (t, j, c) = (0..p.targets.len())
                .flat_map(|t| (0..p.grid.n).map(move |j| (t, j)))
                .map(|(t, j)| (t, j, v.confidence[t][j]))
                .min_by(|a, b| a.2.total_cmp(&b.2))
                .unwrap_or((0, 0, 1.0));
            out.push((k, i, t, j, c));
        }
    }
    out
}

/// Repeats the search (raise, then lower) from the requirement found, on independent
/// replications (`first` on, `replications` of them, usually more than the search's). A search
/// on one sample picks, among near-equal plans, those the sample flatters; the second pass
/// removes that optimism, and lowers again where its own raises overshot.
pub fn confirm(
    p: &Problem,
    s: &Settings,
    req: &mut Requirement,
    first: u64,
    replications: u64,
    progress: &dyn Fn(usize),
) {
    raise_lower(p, s, req, (first, replications), progress);
}
