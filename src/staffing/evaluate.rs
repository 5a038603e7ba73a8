//! Simulating a staffing plan and estimating every target in every interval.
//!
//! A plan sets, for each resource being staffed, one head-count per interval (a
//! `Staffing::Schedule`). Every plan is simulated with the same replications `first..first+n`
//! of the same seed: candidate plans see common random numbers (the same customers with the
//! same service times and patience), so a difference between two plans is the plan's, not
//! the dice's. Replications run in parallel and are reduced in replication order: the
//! estimates are the same bytes for any thread count.

use rayon::prelude::*;

use super::target::{Estimate, Measure, Scope, Target};
use crate::engine::observer::BinCounts;
use crate::engine::observer::Outcome;
use crate::engine::{self, ReplicationResult};
use crate::model::{DAY, Model, Staffing};
use crate::scenario::Scenario;
use crate::scenario::compile;
use crate::scenario::reader::Sp;
use crate::scenario::schema::StaffSpec;

/// The staffing intervals: `n` intervals of `width` minutes from t = 0.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grid {
    pub width: f64,
    pub n: usize,
}

impl Grid {
    pub fn start(&self, i: usize) -> f64 {
        i as f64 * self.width
    }
}

/// Head-count per staffed resource (in `Problem::resources` order) and interval.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Plan {
    pub staff: Vec<Vec<u32>>,
}

/// What is being staffed, against which targets.
#[derive(Clone, Debug)]
pub struct Problem {
    /// The scenario's model, its time-series bins aligned with the grid.
    pub model: Model,
    pub grid: Grid,
    /// Indices of the resources whose head-count is decided.
    pub resources: Vec<usize>,
    pub targets: Vec<Target>,
    pub seed: u64,
    /// An interval meets a target when the one-sided confidence that it does is at least
    /// this (0.9 by default): a plan is not accepted on an estimate that merely grazes the
    /// target by luck of the sample.
    pub level: f64,
    /// The scenario as read, when a staffed resource has `breaks` or a `calendar`: a plan's
    /// head-counts are then compiled with them (see `with_breaks_of`).
    spec: Option<Box<Scenario>>,
    /// Per target: which customers or visits it counts, resolved against the model, or
    /// `None` when the lean per-arrival-bin counts answer it (unscoped, no percentile).
    scopes: Vec<Option<Counted>>,
}

/// The records a scoped (or percentile) target counts.
#[derive(Clone, Debug, PartialEq)]
enum Counted {
    /// Customers, of one type or (`None`) every type, by arrival interval.
    Customers(Option<u32>),
    /// Visits to the marked steps, by the interval the customer reached the step.
    Visits(Vec<bool>),
}

/// Resolves a target's scope against the model; unknown names get the nearest valid one.
fn counted(m: &Model, t: &Target) -> Result<Option<Counted>, String> {
    use crate::scenario::diag::did_you_mean;
    let unknown = |kind: &str, n: &str, names: Vec<&str>| {
        format!("target `{}`: unknown {kind} `{n}`; {}", t.text, did_you_mean(n, &names))
    };
    Ok(match &t.scope {
        _ if matches!(t.measure, Measure::Utilisation { .. }) => None,
        Scope::All if t.measure == Measure::WaitP90 => Some(Counted::Customers(None)),
        Scope::All => None,
        Scope::Customer(c) => {
            let i = m.customers.iter().position(|x| &x.name == c);
            let i =
                i.ok_or_else(|| unknown("customer type", c, m.customers.iter().map(|x| x.name.as_str()).collect()))?;
            Some(Counted::Customers(Some(i as u32)))
        }
        Scope::Step(st) => {
            let i = m.steps.iter().position(|x| &x.name == st);
            let i = i.ok_or_else(|| unknown("step", st, m.steps.iter().map(|x| x.name.as_str()).collect()))?;
            if m.steps[i].pool.is_none() {
                return Err(format!("target `{}`: step `{st}` needs no resource, so nobody waits there", t.text));
            }
            Some(Counted::Visits((0..m.steps.len()).map(|s| s == i).collect()))
        }
        Scope::Resource(r) => {
            let i = m.resources.iter().position(|x| &x.name == r);
            let i = i.ok_or_else(|| unknown("resource", r, m.resources.iter().map(|x| x.name.as_str()).collect()))?;
            Some(Counted::Visits(
                m.steps.iter().map(|s| s.pool.is_some_and(|q| m.pools[q].groups.contains(&i))).collect(),
            ))
        }
    })
}

impl Problem {
    /// Aligns the model's bins with the grid and its service-level wait with the targets'.
    pub fn new(
        mut model: Model,
        width: f64,
        resources: Vec<usize>,
        targets: Vec<Target>,
        seed: u64,
    ) -> Result<Problem, String> {
        if width.is_nan() || width <= 0.0 {
            return Err("the staffing interval must be longer than zero".into());
        }
        let n = (model.horizon / width - 1e-9).ceil().max(1.0) as usize;
        if n > 10_000 {
            return Err(format!("{n} staffing intervals: choose a longer --interval (at most 10000 intervals)"));
        }
        let scopes = targets.iter().map(|t| counted(&model, t)).collect::<Result<Vec<_>, _>>()?;
        model.record_detail = scopes.iter().any(Option::is_some);
        let mut threshold = None;
        for (t, scope) in targets.iter().zip(&scopes) {
            // Scoped targets count from the records, each with its own threshold.
            if let (Measure::ServiceLevel { threshold: x }, None) = (&t.measure, scope) {
                let x = *x;
                if threshold.is_some_and(|y: f64| (y - x).abs() > 1e-12) {
                    return Err("all service_level targets must use the same wait threshold".into());
                }
                threshold = Some(x);
            }
            if let Measure::Utilisation { resource: Some(r) } = &t.measure
                && !resources.iter().any(|&i| &model.resources[i].name == r)
            {
                return Err(format!("target `{}`: `{r}` is not a staffed resource", t.text));
            }
        }
        if let Some(x) = threshold {
            model.service_level = x;
        }
        model.bin_width = width;
        model.n_bins = n;
        Ok(Problem { model, grid: Grid { width, n }, resources, targets, seed, level: 0.9, spec: None, scopes })
    }

    /// Keeps the `breaks` and `calendar` of the staffed resources in `spec` (the scenario the
    /// model was compiled from): a plan's head-count per interval is then who is rostered,
    /// and those on a break or outside the calendar's hours are away, exactly as `run` treats
    /// the variant written from the plan. Without it, the search would size a plan that the
    /// variant (which keeps its resources' breaks) under-staffs during every break.
    pub fn with_breaks_of(mut self, spec: &Scenario) -> Result<Problem, String> {
        let keeps = |r: usize| spec.resources.get(r).is_some_and(|x| !x.breaks.is_empty() || x.calendar.is_some());
        if !self.resources.iter().any(|&r| keeps(r)) {
            return Ok(self);
        }
        if self.model.horizon > DAY + 1e-9 {
            return Err("staffing resources with `breaks` or a `calendar` is supported for horizons up to one day \
                        (their schedules repeat daily)"
                .into());
        }
        self.spec = Some(Box::new(spec.clone()));
        let one = Plan { staff: vec![vec![1; self.grid.n]; self.resources.len()] };
        self.compiled(&one).map(|_| self)
    }

    /// The staffed resources' staffing under `plan`, compiled from the scenario with its
    /// breaks and calendars (`None` without them).
    fn compiled(&self, plan: &Plan) -> Result<Option<Vec<Staffing>>, String> {
        let Some(spec) = &self.spec else { return Ok(None) };
        let mut s = (**spec).clone();
        for (k, &r) in self.resources.iter().enumerate() {
            let span = match &s.resources[r].staff {
                StaffSpec::Schedule { span, .. } => span.clone(),
                StaffSpec::Constant(_) => Sp { v: (), span: s.resources[r].name.span.clone() },
            };
            s.resources[r].staff =
                StaffSpec::Schedule { interval: self.grid.width, staff: plan.staff[k].clone(), span };
        }
        let mut d = crate::scenario::Diagnostics::default();
        let m = compile::compile(&s, &mut d)
            .ok_or_else(|| "a staffing plan does not compile with the resources' breaks and calendars".to_string())?;
        Ok(Some(self.resources.iter().map(|&r| m.resources[r].staff.clone()).collect()))
    }

    /// The model with `plan`'s schedules (with the resources' breaks and calendars, see
    /// `with_breaks_of`).
    pub fn model_for(&self, plan: &Plan) -> Model {
        let mut m = self.model.clone();
        // `with_breaks_of` compiled a plan of this shape: compiling another one cannot fail;
        // if it did, the plain schedule is the fallback.
        let compiled = self.compiled(plan).ok().flatten();
        for (k, &r) in self.resources.iter().enumerate() {
            m.resources[r].staff = match &compiled {
                Some(c) => c[k].clone(),
                None => Staffing::Schedule { interval: self.grid.width, staff: plan.staff[k].clone() },
            };
        }
        m
    }

    /// Simulates replications `first..first + n` of `plan`.
    pub fn evaluate(&self, plan: &Plan, first: u64, n: u64) -> Evaluation {
        let m = self.model_for(plan);
        let reps: Vec<ReplicationResult> =
            (first..first + n).into_par_iter().map(|i| engine::simulate(&m, self.seed, i)).collect();
        Evaluation::from_replications(self, &reps, self.level)
    }

    /// Whether target `i` can depend on staffed resource `k` at all (a target on one step
    /// or resource concerns only the resources serving it): the Erlang start ignores the others.
    pub fn concerns(&self, i: usize, k: usize) -> bool {
        match &self.scopes[i] {
            Some(Counted::Visits(steps)) => {
                let r = self.resources[k];
                let m = &self.model;
                steps.iter().zip(&m.steps).any(|(on, s)| *on && s.pool.is_some_and(|q| m.pools[q].groups.contains(&r)))
            }
            _ => true,
        }
    }

    /// The resource indices (into `resources`) a target concerns (utilisation targets).
    pub fn target_resources(&self, t: &Target) -> Vec<usize> {
        match &t.measure {
            Measure::Utilisation { resource: Some(name) } => {
                self.resources.iter().position(|&r| &self.model.resources[r].name == name).into_iter().collect()
            }
            Measure::Utilisation { resource: None } => (0..self.resources.len()).collect(),
            _ => Vec::new(),
        }
    }
}

/// Per target, per interval: the estimate (a utilisation target over several resources
/// keeps its worst resource).
#[derive(Clone, Debug)]
pub struct Evaluation {
    pub kpi: Vec<Vec<Estimate>>,
    /// Mean number waiting at the steps each staffed resource serves, per interval (to tell
    /// which resource is the bottleneck of a failing interval).
    pub queue: Vec<Vec<f64>>,
    /// Utilisation per staffed resource and interval.
    pub util: Vec<Vec<f64>>,
    /// See `Problem::level`.
    pub level: f64,
}

impl Evaluation {
    fn from_replications(p: &Problem, reps: &[ReplicationResult], level: f64) -> Evaluation {
        let n = p.grid.n;
        // Customers who abandoned or were never served count against the service level:
        // otherwise leaving a resource unstaffed would "meet" it by serving nobody late.
        let arrived = |c: BinCounts| (c.served + c.abandoned + c.unfinished) as f64;
        let bins = |b: usize| reps.iter().map(move |r| r.bin_counts.get(b).copied().unwrap_or_default());
        let util_est = |k: usize, b: usize| {
            let r = p.resources[k];
            Estimate::ratio(reps.iter().map(move |x| {
                let u = x.util_series[r][b];
                if u.is_nan() { (0.0, 0.0) } else { (u, 1.0) }
            }))
        };
        let kpi = p
            .targets
            .iter()
            .zip(&p.scopes)
            .map(|(t, scope)| {
                if let Some(c) = scope {
                    return from_records(t, c, p.grid, reps);
                }
                (0..n)
                    .map(|b| match &t.measure {
                        Measure::ServiceLevel { .. } => {
                            Estimate::ratio(bins(b).map(|c| (c.within_sl as f64, arrived(c))))
                        }
                        Measure::AbandonRate => Estimate::ratio(bins(b).map(|c| (c.abandoned as f64, arrived(c)))),
                        Measure::WaitMean => Estimate::ratio(reps.iter().map(|r| {
                            let s = r.bin_counts.get(b).map_or(0, |c| c.served) as f64;
                            if s > 0.0 { (r.wait_series[b] * s, s) } else { (0.0, 0.0) }
                        })),
                        // Percentile targets always count from the records (`counted`).
                        Measure::WaitP90 => Estimate { value: f64::NAN, se: f64::NAN, n: reps.len() },
                        Measure::Utilisation { .. } => p
                            .target_resources(t)
                            .into_iter()
                            .map(|k| util_est(k, b))
                            .filter(|e| !e.value.is_nan())
                            .max_by(|a, b| a.value.total_cmp(&b.value))
                            .unwrap_or(Estimate { value: f64::NAN, se: f64::NAN, n: reps.len() }),
                    })
                    .collect()
            })
            .collect();
        let pools_of = |r: usize| -> Vec<usize> {
            (0..p.model.steps.len())
                .filter(|&s| p.model.steps[s].pool.is_some_and(|q| p.model.pools[q].groups.contains(&r)))
                .collect()
        };
        let nr = reps.len().max(1) as f64;
        let queue = p
            .resources
            .iter()
            .map(|&r| {
                let steps = pools_of(r);
                (0..n)
                    .map(|b| {
                        // A step where nobody waited has an empty series (all zeros).
                        reps.iter()
                            .map(|x| {
                                steps.iter().map(|&s| x.queue_series[s].get(b).copied().unwrap_or(0.0)).sum::<f64>()
                            })
                            .sum::<f64>()
                            / nr
                    })
                    .collect()
            })
            .collect();
        let util = (0..p.resources.len()).map(|k| (0..n).map(|b| util_est(k, b).value).collect()).collect();
        Evaluation { kpi, queue, util, level }
    }

    /// Intervals (in time order) where some target is missed, skipping `ignore`d ones.
    pub fn failing(&self, targets: &[Target], ignore: &[bool]) -> Vec<usize> {
        let n = self.kpi.first().map_or(0, Vec::len);
        (0..n).filter(|&i| !ignore[i] && !self.meets(targets, i)).collect()
    }

    pub fn meets(&self, targets: &[Target], i: usize) -> bool {
        targets.iter().zip(&self.kpi).all(|(t, k)| k[i].confidence(t) >= self.level)
    }

    /// Summed shortfall of interval `i` over targets (for comparing infeasible intervals).
    pub fn shortfall(&self, targets: &[Target], i: usize) -> f64 {
        targets.iter().zip(&self.kpi).map(|(t, k)| t.shortfall(k[i].value)).sum()
    }
}

/// A scoped or percentile target's estimate per interval, from the replications' records
/// (`engine::observer::Detail`): per replication and interval a numerator and a denominator,
/// combined by the ratio estimator as the lean counts are.
fn from_records(t: &Target, c: &Counted, grid: Grid, reps: &[ReplicationResult]) -> Vec<Estimate> {
    let n = grid.n;
    let mut pairs: Vec<Vec<(f64, f64)>> = vec![Vec::with_capacity(reps.len()); n];
    for r in reps {
        let Some(d) = &r.detail else {
            return vec![Estimate { value: f64::NAN, se: f64::NAN, n: reps.len() }; n];
        };
        // (time, wait, outcome) of every record the target counts.
        let records: Vec<(f64, f64, Outcome)> = match c {
            Counted::Customers(ct) => d
                .customers
                .iter()
                .filter(|x| ct.is_none_or(|c| c == x.ctype))
                .map(|x| (x.arrival, x.wait, x.outcome))
                .collect(),
            Counted::Visits(steps) => d
                .visits
                .iter()
                .filter(|x| steps.get(x.step as usize).copied().unwrap_or(false))
                .map(|x| (x.at, x.wait, x.outcome))
                .collect(),
        };
        let mut num = vec![0.0; n];
        let mut den = vec![0.0; n];
        let mut waits: Vec<Vec<f64>> = vec![Vec::new(); if t.measure == Measure::WaitP90 { n } else { 0 }];
        for (at, wait, outcome) in records {
            let b = (at / grid.width) as u32 as usize;
            if b >= n || at < 0.0 {
                continue;
            }
            let served = outcome == Outcome::Served;
            match t.measure {
                Measure::ServiceLevel { threshold } => {
                    num[b] += f64::from(u8::from(served && wait <= threshold));
                    den[b] += 1.0;
                }
                Measure::AbandonRate => {
                    num[b] += f64::from(u8::from(outcome == Outcome::Abandoned));
                    den[b] += 1.0;
                }
                Measure::WaitMean if served => {
                    num[b] += wait;
                    den[b] += 1.0;
                }
                Measure::WaitP90 if served => waits[b].push(wait),
                _ => {}
            }
        }
        for (b, w) in waits.iter_mut().enumerate() {
            if !w.is_empty() {
                w.sort_by(f64::total_cmp);
                // Nearest rank: the smallest wait with at least 90% of the waits at or below it.
                let k = ((0.9 * w.len() as f64).ceil() as usize).clamp(1, w.len());
                (num[b], den[b]) = (w[k - 1], 1.0);
            }
        }
        for b in 0..n {
            pairs[b].push((num[b], den[b]));
        }
    }
    pairs.iter().map(|p| Estimate::ratio(p.iter().copied())).collect()
}
