//! From requirement to rota, re-simulated until it meets the targets.
//!
//! Shifts come in blocks, so a rota covering the requirement usually over-staffs some
//! intervals; and because over-staffing one interval drains work that would have waited into
//! the next, the requirement itself is not the last word. So: solve the integer program for
//! the requirement, simulate the rota, raise the requirement where an interval misses a
//! target, and once every interval meets it, try lowering the requirement interval by interval
//! and keep each cheaper rota that still meets every target.

use super::evaluate::{Evaluation, Plan, Problem};
use super::search::Requirement;
use super::shifts::{self, Column, Rota, Template};

#[derive(Clone, Debug)]
pub struct RotaPlan {
    pub rota: Rota,
    pub columns: Vec<Column>,
    /// Staff on duty per staffed resource and interval (resources without templates keep
    /// their requirement).
    pub staff: Plan,
    /// Which staffed resources the templates roster.
    pub rostered: Vec<bool>,
    pub eval: Evaluation,
    /// Whether every feasible interval meets every target.
    pub met: bool,
    pub solves: usize,
}

/// `sample` is (first replication, replications) of the sample rotas are judged on: the
/// requirement's confirmation sample, so the rota meets the targets where it was confirmed.
pub fn plan(
    p: &Problem,
    templates: &[Template],
    req: &Requirement,
    sample: (u64, u64),
    progress: &dyn Fn(usize),
) -> Result<RotaPlan, String> {
    let resource_of = |name: &str| {
        p.resources
            .iter()
            .position(|&r| p.model.resources[r].name == name)
            .map(|k| (k, p.model.resources[p.resources[k]].cost_per_hour))
    };
    let cols = shifts::columns(templates, &p.grid, p.model.start_clock, &resource_of)?;
    let nk = p.resources.len();
    let rostered: Vec<bool> = (0..nk).map(|k| cols.iter().any(|c| c.resource == k)).collect();
    let staff_of = |rota: &Rota| {
        let cov = rota.coverage(&cols, nk, p.grid.n);
        Plan { staff: (0..nk).map(|k| if rostered[k] { cov[k].clone() } else { req.plan.staff[k].clone() }).collect() }
    };
    let mut need: Vec<Vec<u32>> =
        (0..nk).map(|k| if rostered[k] { req.plan.staff[k].clone() } else { vec![0; p.grid.n] }).collect();
    let mut solves = 0;
    let mut evals = 0;
    let mut simulate = |plan: &Plan| {
        evals += 1;
        progress(evals);
        p.evaluate(plan, sample.0, sample.1)
    };
    let failing = |e: &Evaluation| e.failing(&p.targets, &req.infeasible);
    // Raise until the rota meets every target.
    let (mut rota, mut staff, mut eval);
    let mut rounds = 0;
    loop {
        rota = shifts::solve(templates, &cols, &need)?;
        solves += 1;
        staff = staff_of(&rota);
        eval = simulate(&staff);
        let bad = failing(&eval);
        rounds += 1;
        if bad.is_empty() || rounds > 60 {
            break;
        }
        for i in bad {
            // The rostered resource with the longest queue in that interval.
            let k = (0..nk)
                .filter(|&k| rostered[k])
                .max_by(|&a, &b| eval.queue[a][i].total_cmp(&eval.queue[b][i]).then(b.cmp(&a)));
            match k {
                Some(k) => need[k][i] = need[k][i].max(staff.staff[k][i]) + 1,
                None => return Err("an interval misses its target and no shift template can add staff".into()),
            }
        }
    }
    let met = failing(&eval).is_empty();
    // Lower: a cheaper rota that still meets every target is kept.
    if met {
        for i in 0..p.grid.n {
            for k in (0..nk).filter(|&k| rostered[k]) {
                while need[k][i] > 0 {
                    need[k][i] -= 1;
                    let Ok(trial) = shifts::solve(templates, &cols, &need) else {
                        need[k][i] += 1;
                        break;
                    };
                    solves += 1;
                    if trial.cost >= rota.cost - 1e-9 {
                        // Same cost: the lower requirement is kept only if its rota is the same.
                        if trial.counts != rota.counts {
                            need[k][i] += 1;
                            break;
                        }
                        continue;
                    }
                    let tstaff = staff_of(&trial);
                    let te = simulate(&tstaff);
                    if failing(&te).is_empty() {
                        (rota, staff, eval) = (trial, tstaff, te);
                    } else {
                        need[k][i] += 1;
                        break;
                    }
                }
            }
        }
    }
    Ok(RotaPlan { rota, columns: cols, staff, rostered, eval, met, solves })
}
