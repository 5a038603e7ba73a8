//! The naive practice, and the search's starting point: each interval staffed on its own as
//! a stationary queue ("SIPP", stationary independent period by period) with Erlang C, or
//! Erlang A for an abandonment target when the customers are impatient.
//!
//! It ignores what the simulation sees: work carried over from a busy interval into the
//! next, waits summed over several steps, priorities, non-exponential times. The offered load
//! of a resource in an interval is the expected work arriving then at the steps it serves
//! (arrivals × expected visits × mean service time ÷ speed); a step served by several groups
//! is charged to its first group.

use super::evaluate::{Plan, Problem};
use super::target::Measure;
use crate::model::{Model, RateProfile};
use crate::theory::{erlang_a, mmc, mmc_service_level};

/// Offered load of one resource in one interval.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Load {
    /// Visits per minute.
    pub lambda: f64,
    /// Mean service time per visit (minutes).
    pub mean_service: f64,
    /// Mean patience of the customers (minutes), `INFINITY` when they never abandon.
    pub patience: f64,
}

/// Expected visits to each step of one customer entering at `first` (routing, rework,
/// automation failures), by fixed-point iteration of `v = e + vP`.
fn visits(m: &Model, ct: usize, first: usize) -> Vec<f64> {
    let n = m.steps.len();
    let mut v = vec![0.0; n];
    for _ in 0..1000 {
        let mut next = vec![0.0; n];
        next[first] = 1.0;
        for (s, st) in m.steps.iter().enumerate() {
            if v[s] > 0.0 {
                for (t, p) in st.outcomes(s, ct) {
                    next[t] += v[s] * p;
                }
            }
        }
        let done = next.iter().zip(&v).all(|(a, b)| (a - b).abs() < 1e-12);
        v = next;
        if done {
            break;
        }
    }
    v
}

/// The offered load of every staffed resource in every interval.
pub fn loads(p: &Problem) -> Vec<Vec<Load>> {
    let m = &p.model;
    let mut out = vec![vec![Load { patience: f64::INFINITY, ..Load::default() }; p.grid.n]; p.resources.len()];
    let mut work = vec![vec![0.0; p.grid.n]; p.resources.len()];
    let mut pat = vec![vec![(0.0, 0.0); p.grid.n]; p.resources.len()];
    for a in &m.arrivals {
        if a.appointments.is_some() {
            continue;
        }
        let v = visits(m, a.customer, a.first_step);
        let ct = &m.customers[a.customer];
        for i in 0..p.grid.n {
            let (t0, t1) = (p.grid.start(i), p.grid.start(i + 1).min(m.horizon));
            let arrivals = integral(&a.profile, t1) - integral(&a.profile, t0);
            if arrivals <= 0.0 {
                continue;
            }
            for (s, st) in m.steps.iter().enumerate() {
                let Some(pool) = st.pool.filter(|_| v[s] > 0.0 && !st.pass_through) else { continue };
                let Some(&g) = m.pools[pool].groups.first() else { continue };
                let Some(k) = p.resources.iter().position(|&r| r == g) else { continue };
                let per_min = arrivals * v[s] / (t1 - t0);
                out[k][i].lambda += per_min;
                work[k][i] += per_min * m.dist_means[st.service[a.customer]] / m.resources[g].speed;
                if let Some(d) = &ct.patience {
                    pat[k][i].0 += per_min * mean_of(d);
                    pat[k][i].1 += per_min;
                }
            }
        }
    }
    for k in 0..p.resources.len() {
        for i in 0..p.grid.n {
            let l = &mut out[k][i];
            if l.lambda > 0.0 {
                l.mean_service = work[k][i] / l.lambda;
                // Customers without patience dilute the abandonment: weight by visits.
                if pat[k][i].1 > 0.0 {
                    l.patience = pat[k][i].0 / pat[k][i].1 * l.lambda / pat[k][i].1;
                }
            }
        }
    }
    out
}

fn integral(p: &RateProfile, t: f64) -> f64 {
    p.integral(t)
}

fn mean_of(d: &crate::model::Dist) -> f64 {
    use crate::model::Dist;
    match d {
        Dist::Exponential { mean } => *mean,
        Dist::Deterministic { value } => *value,
        Dist::Uniform { min, width } => min + width / 2.0,
        Dist::Triangular { min, mode, max } => (min + mode + max) / 3.0,
        Dist::Normal { mean, .. } | Dist::Gamma { mean, .. } => *mean,
        Dist::Lognormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
        Dist::Weibull { .. } | Dist::Empirical { .. } => {
            // Rare for patience: a sample mean is close enough for a starting point.
            let mut rng = crate::model::draw_rng(1, 2, 3, 4);
            (0..2000).map(|_| d.sample(&mut rng)).sum::<f64>() / 2000.0
        }
    }
}

/// The least staff that meets every target of `p` in a stationary queue with load `l`
/// (at most `cap`; `cap` itself when even that is not enough).
pub fn erlang_staff(p: &Problem, k: usize, l: Load, cap: u32) -> u32 {
    if l.lambda <= 0.0 {
        return 0;
    }
    let a = l.lambda * l.mean_service;
    let ok = |c: u32| {
        p.targets.iter().enumerate().all(|(i, t)| {
            if !p.concerns(i, k) {
                return true;
            }
            let x = match &t.measure {
                // p90 ≤ X exactly when at least 90% wait at most X.
                Measure::WaitP90 => {
                    if mmc_service_level(l.lambda, l.mean_service, c, t.value) >= 0.9 {
                        t.value
                    } else {
                        f64::INFINITY
                    }
                }
                Measure::ServiceLevel { threshold } => mmc_service_level(l.lambda, l.mean_service, c, *threshold),
                Measure::WaitMean => mmc(l.lambda, l.mean_service, c).map_or(f64::INFINITY, |r| r.wq),
                Measure::AbandonRate => erlang_a(l.lambda, l.mean_service, c, l.patience).p_abandon,
                Measure::Utilisation { .. } => {
                    if !p.target_resources(t).contains(&k) {
                        return true;
                    }
                    a / f64::from(c)
                }
            };
            t.met_by(x)
        })
    };
    (1..=cap).find(|&c| ok(c)).unwrap_or(cap)
}

/// The SIPP plan: every interval staffed by its own stationary Erlang answer.
pub fn plan(p: &Problem, cap: u32) -> Plan {
    let loads = loads(p);
    Plan {
        staff: loads
            .iter()
            .enumerate()
            .map(|(k, row)| row.iter().map(|&l| erlang_staff(p, k, l, cap)).collect())
            .collect(),
    }
}
