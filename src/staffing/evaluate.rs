//! Simulating a staffing plan and estimating every target in every interval.
//!
//! A plan sets, for each resource being staffed, one head-count per interval (a
//! `Staffing::Schedule`). Every plan is simulated with the same replications `first..first+n`
//! of the same seed: candidate plans see common random numbers (the same customers with the
//! same service times and patience), so a difference between two plans is the plan's, not
//! the dice's. Replications run in parallel and are reduced in replication order: the
//! estimates are the same bytes for any thread count.

use rayon::prelude::*;

use super::target::{Estimate, Measure, Target};
use crate::engine::observer::BinCounts;
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
        let mut threshold = None;
        for t in &targets {
            if let Measure::ServiceLevel { threshold: x } = t.measure {
                if threshold.is_some_and(|y: f64| (y - x).abs() > 1e-12) {
                    return Err("all service_level targets must use the same wait threshold".into());
                }
                threshold = Some(x);
            }
            if let Measure::Utilisation { resource: Some(r) } = &t.measure {
                if !resources.iter().any(|&i| &model.resources[i].name == r) {
                    return Err(format!("target `{}`: `{r}` is not a staffed resource", t.text));
                }
            }
        }
        if let Some(x) = threshold {
            model.service_level = x;
        }
        model.bin_width = width;
        model.n_bins = n;
        Ok(Problem { model, grid: Grid { width, n }, resources, targets, seed, level: 0.9, spec: None })
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
            .map(|t| {
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
                        reps.iter().map(|x| steps.iter().map(|&s| x.queue_series[s][b]).sum::<f64>()).sum::<f64>() / nr
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
