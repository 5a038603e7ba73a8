//! Validation and compilation: names become indices, and the pieces must fit together.
//!
//! Every problem is collected (unknown names with suggestions, routing that cannot leave,
//! schedules too short for the horizon, ...). Only a scenario without errors becomes a `Model`.

use std::collections::HashMap;

use rand_distr::Gamma;

use super::diag::{Diagnostics, did_you_mean};
use super::reader::Sp;
use super::schema::{DistKind, DistSpec, RateSpec, RouteSpec, Scenario, StaffSpec};
use crate::model::{
    self, ArrivalStream, CustomerType, Dist, Model, RateProfile, Resource, Route, Staffing, Step, stream_key,
};

/// Largest number of time-series bins per replication; wider bins are used beyond it so that
/// memory does not grow with the horizon.
pub const MAX_BINS: usize = 2000;

pub fn compile(s: &Scenario, d: &mut Diagnostics) -> Option<Model> {
    let step_names: Vec<&str> = s.steps.iter().map(|x| x.name.v.as_str()).collect();
    let res_names: Vec<&str> = s.resources.iter().map(|x| x.name.v.as_str()).collect();
    let cust_names: Vec<&str> = s.customers.iter().map(|x| x.name.v.as_str()).collect();

    let step_idx = index(&s.steps.iter().map(|x| &x.name).collect::<Vec<_>>(), "step", d);
    let res_idx = index(&s.resources.iter().map(|x| &x.name).collect::<Vec<_>>(), "resource", d);
    let cust_idx = index(&s.customers.iter().map(|x| &x.name).collect::<Vec<_>>(), "customer type", d);
    let _ = index(&s.arrivals.iter().map(|x| &x.name).collect::<Vec<_>>(), "arrival stream", d);

    if s.customers.is_empty() {
        d.error(None, "customers", "the scenario defines no customer types")
            .with_help("add a [[customers]] table with `name` and `first_step`");
    }
    if s.steps.is_empty() {
        d.error(None, "steps", "the scenario defines no steps")
            .with_help("add a [[steps]] table with `name` and `service`");
    }
    if s.arrivals.is_empty() {
        d.warning(None, "arrivals", "the scenario defines no arrivals: nobody will come");
    }

    // Distributions are shared in one table; steps refer to them by index.
    let mut dists: Vec<Dist> = Vec::new();
    let mut dist_means: Vec<f64> = Vec::new();
    let mut add_dist = |spec: &DistSpec| -> usize {
        let (dist, mean) = prepare(&spec.kind);
        dists.push(dist);
        dist_means.push(mean);
        dists.len() - 1
    };

    // Priorities: distinct values, highest first.
    let mut prios: Vec<i64> = s.customers.iter().map(|c| c.priority).collect();
    prios.sort_unstable_by(|a, b| b.cmp(a));
    prios.dedup();

    let mut customers = Vec::new();
    for (i, c) in s.customers.iter().enumerate() {
        let key = format!("customers[{i}].first_step");
        let first = match &c.first_step {
            Some(f) => lookup(&step_idx, f, "step", key, &step_names, d),
            None => None,
        };
        customers.push(CustomerType {
            name: c.name.v.clone(),
            first_step: first.unwrap_or(0),
            level: prios.iter().position(|p| *p == c.priority).unwrap_or(0),
            priority: c.priority,
            patience: c.patience.as_ref().map(|p| prepare(&p.kind).0),
            balk_at: c.balk_at,
            patience_key: stream_key("patience", &c.name.v),
        });
    }

    let mut arrivals = Vec::new();
    for (i, a) in s.arrivals.iter().enumerate() {
        let Some(cname) = &a.customer else { continue };
        let Some(ci) = lookup(&cust_idx, cname, "customer type", format!("arrivals[{i}].customer"), &cust_names, d)
        else {
            continue;
        };
        let profile = match &a.profile {
            RateSpec::Constant(r) => RateProfile::Constant(r * a.scale),
            RateSpec::Piecewise { interval, rates, span } => {
                let covered = interval * rates.len() as f64;
                if covered + 1e-9 < s.horizon {
                    d.error(
                        Some(span.span.clone()),
                        format!("arrivals[{i}].rates"),
                        format!(
                            "{} rates of {} cover {}, shorter than the horizon {}",
                            rates.len(),
                            super::units::human_duration(*interval),
                            super::units::human_duration(covered),
                            super::units::human_duration(s.horizon)
                        ),
                    )
                    .with_help(format!("give at least {} rates", (s.horizon / interval - 1e-9).ceil()));
                }
                RateProfile::Piecewise { interval: *interval, rates: rates.iter().map(|r| r * a.scale).collect() }
            }
        };
        arrivals.push(ArrivalStream {
            name: a.name.v.clone(),
            customer: ci,
            profile,
            key: stream_key("arrivals", &a.name.v),
        });
    }

    let mut resources = Vec::new();
    for (i, r) in s.resources.iter().enumerate() {
        let staff = match &r.staff {
            StaffSpec::Constant(n) => Staffing::Constant(*n),
            StaffSpec::Schedule { interval, staff, span } => {
                let covered = interval * staff.len() as f64;
                if covered + 1e-9 < s.horizon {
                    d.error(
                        Some(span.span.clone()),
                        format!("resources[{i}].staff"),
                        format!(
                            "{} staff entries of {} cover {}, shorter than the horizon {}",
                            staff.len(),
                            super::units::human_duration(*interval),
                            super::units::human_duration(covered),
                            super::units::human_duration(s.horizon)
                        ),
                    )
                    .with_help(format!("give at least {} entries", (s.horizon / interval - 1e-9).ceil()));
                }
                Staffing::Schedule { interval: *interval, staff: staff.clone() }
            }
        };
        resources.push(Resource { name: r.name.v.clone(), staff, cost_per_hour: r.cost_per_hour });
    }

    let n_types = s.customers.len();
    let mut steps = Vec::new();
    for (i, st) in s.steps.iter().enumerate() {
        let resource = st
            .resource
            .as_ref()
            .and_then(|r| lookup(&res_idx, r, "resource", format!("steps[{i}].resource"), &res_names, d));
        let base = st.service.as_ref().map(&mut add_dist).unwrap_or(0);
        let mut service = vec![base; n_types];
        for (cname, dist) in &st.service_for {
            if let Some(ci) =
                lookup(&cust_idx, cname, "customer type", format!("steps[{i}].service_for"), &cust_names, d)
            {
                service[ci] = add_dist(dist);
            }
        }
        let routes_named = |rs: &[RouteSpec], key: String, d: &mut Diagnostics| -> Route {
            let mut route = Route::default();
            let mut acc = 0.0;
            for r in rs {
                if let Some(t) = lookup(&step_idx, &r.step, "step", key.clone(), &step_names, d) {
                    if r.p.v > 0.0 {
                        acc += r.p.v;
                        route.cum.push(acc.min(1.0));
                        route.to.push(t);
                    }
                }
            }
            route
        };
        let base_route =
            st.next.as_deref().map(|rs| routes_named(rs, format!("steps[{i}].next"), d)).unwrap_or_default();
        let mut route = vec![base_route; n_types];
        for (cname, rs) in &st.next_for {
            let r = routes_named(rs, format!("steps[{i}].next_for.{}", cname.v), d);
            if let Some(ci) = lookup(&cust_idx, cname, "customer type", format!("steps[{i}].next_for"), &cust_names, d)
            {
                route[ci] = r;
            }
        }
        steps.push(Step {
            name: st.name.v.clone(),
            resource,
            service,
            route,
            service_key: stream_key("service", &st.name.v),
            routing_key: stream_key("routing", &st.name.v),
            pass_through: false,
        });
    }

    if d.has_errors() {
        return None;
    }
    check_flow(s, &customers, &arrivals, &resources, &steps, d);
    check_load(s, &customers, &arrivals, &resources, &steps, &dist_means_for_load(&steps, &dists), d);
    if d.has_errors() {
        return None;
    }

    let n_bins_raw = (s.horizon / s.timeseries_bin).ceil().max(1.0);
    let (bin_width, n_bins) = if n_bins_raw as usize > MAX_BINS {
        let w = s.horizon / MAX_BINS as f64;
        (w, MAX_BINS)
    } else {
        (s.timeseries_bin, n_bins_raw as usize)
    };

    Some(Model {
        name: s.name.clone(),
        description: s.description.clone(),
        time_unit: s.time_unit,
        start_clock: s.start,
        horizon: s.horizon,
        warmup: s.warmup,
        seed: s.seed,
        replications: s.replications,
        service_level: s.service_level,
        bin_width,
        n_bins,
        customers,
        arrivals,
        resources,
        steps,
        dists,
        dist_means,
        priority_levels: prios.len().max(1),
        limits: model::Limits::default(),
    })
}

/// Resolves a name, reporting an unknown one with the nearest valid name.
fn lookup(
    map: &HashMap<String, usize>,
    name: &Sp<String>,
    kind: &str,
    key: String,
    all: &[&str],
    d: &mut Diagnostics,
) -> Option<usize> {
    let r = map.get(&name.v).copied();
    if r.is_none() {
        d.error(Some(name.span.clone()), key, format!("unknown {kind} `{}`", name.v))
            .with_help(did_you_mean(&name.v, all));
    }
    r
}

/// Name → index, reporting duplicates.
fn index(names: &[&Sp<String>], kind: &str, d: &mut Diagnostics) -> HashMap<String, usize> {
    let mut map = HashMap::new();
    for (i, n) in names.iter().enumerate() {
        if let Some(prev) = map.insert(n.v.clone(), i) {
            map.insert(n.v.clone(), prev);
            d.error(Some(n.span.clone()), "", format!("duplicate {kind} name `{}`", n.v)).with_help(
                "names must be unique; a variant changes an existing entry by repeating its name inside [[variants]]",
            );
        }
    }
    map
}

/// Mean (minutes) of a prepared distribution.
pub fn dist_mean(d: &Dist) -> f64 {
    match d {
        Dist::Exponential { mean } => *mean,
        Dist::Deterministic { value } => *value,
        Dist::Uniform { min, width } => min + width / 2.0,
        Dist::Triangular { min, mode, max } => (min + mode + max) / 3.0,
        Dist::Normal { mean, .. } => *mean,
        Dist::Lognormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
        Dist::Gamma { mean, .. } => *mean,
        Dist::Weibull { inv_shape, scale } => scale * gamma_fn(1.0 + inv_shape),
        Dist::Empirical { values } => values.iter().sum::<f64>() / values.len().max(1) as f64,
    }
}

/// Prepared distribution and its mean (minutes).
pub fn prepare(k: &DistKind) -> (Dist, f64) {
    match *k {
        DistKind::Exponential { mean } => (Dist::Exponential { mean }, mean),
        DistKind::Deterministic { value } => (Dist::Deterministic { value }, value),
        DistKind::Uniform { min, max } => (Dist::Uniform { min, width: max - min }, (min + max) / 2.0),
        DistKind::Triangular { min, mode, max } => (Dist::Triangular { min, mode, max }, (min + mode + max) / 3.0),
        DistKind::Normal { mean, sd } => (Dist::Normal { mean, sd }, mean),
        DistKind::Lognormal { mean, sd } => {
            if sd <= 0.0 {
                return (Dist::Deterministic { value: mean }, mean);
            }
            let s2 = (1.0 + (sd / mean).powi(2)).ln();
            (Dist::Lognormal { mu: mean.ln() - s2 / 2.0, sigma: s2.sqrt() }, mean)
        }
        DistKind::Gamma { mean, sd } => gamma(mean * mean / (sd * sd), sd * sd / mean, mean),
        DistKind::Erlang { k, mean } => gamma(f64::from(k), mean / f64::from(k), mean),
        DistKind::Weibull { shape, scale } => {
            let mean = scale * gamma_fn(1.0 + 1.0 / shape);
            (Dist::Weibull { inv_shape: 1.0 / shape, scale }, mean)
        }
        DistKind::Empirical { ref values } => {
            let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
            (Dist::Empirical { values: values.clone() }, mean)
        }
    }
}

fn gamma(shape: f64, scale: f64, mean: f64) -> (Dist, f64) {
    match Gamma::new(shape, scale) {
        Ok(g) => (Dist::Gamma { gamma: g, mean }, mean),
        Err(_) => (Dist::Deterministic { value: mean }, mean),
    }
}

/// The Gamma function (Lanczos), for the Weibull mean.
pub fn gamma_fn(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return std::f64::consts::PI / ((std::f64::consts::PI * x).sin() * gamma_fn(1.0 - x));
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * a
}

/// Reachability checks: every customer type must be able to leave; unreachable steps and
/// unstaffed busy resources are warned about.
fn check_flow(
    s: &Scenario,
    customers: &[CustomerType],
    arrivals: &[ArrivalStream],
    resources: &[Resource],
    steps: &[Step],
    d: &mut Diagnostics,
) {
    let n = steps.len();
    let mut reached_any = vec![false; n];
    for (ci, c) in customers.iter().enumerate() {
        let has_arrivals = arrivals.iter().any(|a| a.customer == ci);
        // Steps this type can visit.
        let mut seen = vec![false; n];
        let mut stack = vec![c.first_step];
        seen[c.first_step] = true;
        while let Some(x) = stack.pop() {
            for &t in &steps[x].route[ci].to {
                if !seen[t] {
                    seen[t] = true;
                    stack.push(t);
                }
            }
        }
        // Steps from which leaving is possible (backwards closure from exits).
        let mut can_leave: Vec<bool> = (0..n).map(|x| steps[x].route[ci].leave_probability() > 1e-12).collect();
        loop {
            let mut changed = false;
            for x in 0..n {
                if !can_leave[x] && steps[x].route[ci].to.iter().any(|&t| can_leave[t]) {
                    can_leave[x] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        if let Some(trap) = (0..n).find(|&x| seen[x] && !can_leave[x]) {
            let span = s.steps.get(trap).map(|st| st.name.span.clone());
            d.error(span, format!("steps[{trap}].next"), format!(
                "customers of type `{}` reaching step `{}` can never leave: every route from it leads back into a loop",
                c.name, steps[trap].name))
                .with_help("give some step in the loop a total `next` probability below 1, so that the rest leaves");
        }
        if has_arrivals {
            for x in 0..n {
                reached_any[x] |= seen[x];
            }
        }
    }
    for (x, st) in steps.iter().enumerate() {
        if !reached_any[x] {
            d.warning(
                Some(s.steps[x].name.span.clone()),
                format!("steps[{x}]"),
                format!("step `{}` is never reached by any arriving customer", st.name),
            );
        } else if let Some(r) = st.resource {
            if resources[r].staff.max() == 0 {
                d.warning(Some(s.resources[r].name.span.clone()), format!("resources[{r}].staff"),
                    format!("resource `{}` has no staff at any time, but step `{}` receives customers: they will wait forever or abandon", resources[r].name, st.name));
            }
        }
    }
}

fn dist_means_for_load(steps: &[Step], dists: &[Dist]) -> Vec<Vec<f64>> {
    steps.iter().map(|st| st.service.iter().map(|&i| dists.get(i).map_or(0.0, dist_mean)).collect()).collect()
}

/// Warns about resources offered more work than their staff can do on average over the
/// horizon (traffic equations per customer type, average arrival rates): their queues grow
/// without bound, so steady-state results would be meaningless. Peaks above capacity (a
/// lunch rush) are normal and not warned about.
fn check_load(
    s: &Scenario,
    customers: &[CustomerType],
    arrivals: &[ArrivalStream],
    resources: &[Resource],
    steps: &[Step],
    means: &[Vec<f64>],
    d: &mut Diagnostics,
) {
    let n = steps.len();
    let mut load = vec![0.0; resources.len()];
    for (ci, c) in customers.iter().enumerate() {
        let gamma: f64 =
            arrivals.iter().filter(|a| a.customer == ci).map(|a| a.profile.integral(s.horizon) / s.horizon).sum();
        if gamma <= 0.0 {
            continue;
        }
        let mut ext = vec![0.0; n];
        ext[c.first_step] = gamma;
        let routing: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                let mut row = vec![0.0; n];
                let r = &steps[i].route[ci];
                let mut prev = 0.0;
                for (t, cum) in r.to.iter().zip(&r.cum) {
                    row[*t] += cum - prev;
                    prev = *cum;
                }
                row
            })
            .collect();
        let Some(lam) = crate::theory::jackson_arrival_rates(&ext, &routing) else { continue };
        for (i, st) in steps.iter().enumerate() {
            if let (Some(r), false) = (st.resource, st.pass_through) {
                load[r] += lam[i] * means[i][ci];
            }
        }
    }
    for (r, res) in resources.iter().enumerate() {
        let staff = res.staff.staff_minutes(0.0, s.horizon) / s.horizon;
        // No staff at all is warned about by `check_flow` (with the step that needs it).
        if load[r] > 0.0 && staff > 0.0 && load[r] >= staff {
            d.warning(
                Some(s.resources[r].name.span.clone()),
                format!("resources[{r}]"),
                format!(
                    "resource `{}` is offered {:.2} staff of work on average but has {:.2} scheduled (load {:.0}%): its queue grows without bound unless customers abandon",
                    res.name,
                    load[r],
                    staff,
                    100.0 * load[r] / staff.max(1e-12)
                ),
            )
            .with_help("add staff, shorten service, or shift demand; patience and balking only cap the damage");
        }
    }
}
