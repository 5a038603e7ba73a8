//! Validation and compilation: names become indices, and the pieces must fit together.
//!
//! Every problem is collected (unknown names with suggestions, routing that cannot leave,
//! schedules too short for the horizon, ...). Only a scenario without errors becomes a `Model`.

use std::collections::HashMap;

use rand_distr::Gamma;

use super::calendar::Clock;
use super::diag::{Diagnostics, did_you_mean};
use super::reader::Sp;
use super::schema::{DistKind, DistSpec, RateSpec, RouteSpec, Scenario, StaffSpec};
use crate::model::{
    self, Appointments, ArrivalStream, Automation, Batch, Calendar, CustomerType, DAY, Dist, Model, Pool, RateProfile,
    Repeat, Resource, Route, Staffing, Step, stream_key,
};

/// How long after the horizon repeating events (calendars, batches) keep running while work
/// remains: customers still in the system then are reported as unfinished.
pub const DRAIN_DAYS: f64 = 28.0;

/// Largest number of time-series bins per replication; wider bins are used beyond it so that
/// memory does not grow with the horizon.
pub const MAX_BINS: usize = 2000;

/// Most time-series cells (bins × series: one per resource, one per step with a queue)
/// per replication. Every replication computes and folds each cell, so with thousands of
/// resources a fixed bin count would cost more than the events themselves; beyond this the
/// bins are widened (a branch, tens of series, keeps `MAX_BINS`).
pub const MAX_SERIES_CELLS: usize = 500_000;

pub fn compile(s: &Scenario, d: &mut Diagnostics) -> Option<Model> {
    compile_with(s, &[], d)
}

/// Compiles a variant whose `removed` steps become zero-time pass-throughs (before the flow
/// and load checks, so removed work is not counted).
pub fn compile_with(s: &Scenario, removed: &[String], d: &mut Diagnostics) -> Option<Model> {
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

    let clock = Clock { start: s.start, start_day: s.start_day };
    let cal_names: Vec<&str> = s.calendars.iter().map(|c| c.name.v.as_str()).collect();
    let cal_idx = index(&s.calendars.iter().map(|c| &c.name).collect::<Vec<_>>(), "calendar", d);
    let calendars: Vec<Calendar> = s
        .calendars
        .iter()
        .map(|c| Calendar {
            name: c.name.v.clone(),
            open: clock.timeline(&Clock::edges(&c.hours), |t| if clock.open(&c.hours, t) { 1.0 } else { 0.0 }),
        })
        .collect();
    let cal = |name: &Option<Sp<String>>, key: String, d: &mut Diagnostics| -> Option<usize> {
        name.as_ref().and_then(|n| lookup(&cal_idx, n, "calendar", key, &cal_names, d))
    };
    let work_calendar = cal(&s.calendar, "calendar".into(), d);

    // Priorities: distinct values, highest first; booked appointments go before all of them.
    let mut prios: Vec<i64> = s.customers.iter().map(|c| c.priority).collect();
    prios.sort_unstable_by(|a, b| b.cmp(a));
    prios.dedup();
    let booked_level = usize::from(s.arrivals.iter().any(|a| a.appointments.is_some()));

    let mut customers = Vec::new();
    for (i, c) in s.customers.iter().enumerate() {
        let key = format!("customers[{i}].first_step");
        let first = match &c.first_step {
            Some(f) => lookup(&step_idx, f, "step", key, &step_names, d),
            None => None,
        };
        customers.push(CustomerType {
            name: c.name.v.clone(),
            first_step: first.unwrap_or(usize::MAX),
            level: booked_level + prios.iter().position(|p| *p == c.priority).unwrap_or(0),
            priority: c.priority,
            patience: c.patience.as_ref().map(|p| prepare(&p.kind).0),
            balk_at: c.balk_at,
            patience_key: stream_key("patience", &c.name.v),
            case: c.case,
            tolerance: c.tolerance.unwrap_or(s.service_level),
        });
    }

    let ch_names: Vec<&str> = s.channels.iter().map(|c| c.name.v.as_str()).collect();
    let ch_idx = index(&s.channels.iter().map(|c| &c.name).collect::<Vec<_>>(), "channel", d);
    let channel_first: Vec<Option<usize>> = s
        .channels
        .iter()
        .enumerate()
        .map(|(i, c)| {
            c.first_step
                .as_ref()
                .and_then(|f| lookup(&step_idx, f, "step", format!("channels[{i}].first_step"), &step_names, d))
        })
        .collect();

    let mut arrivals = Vec::new();
    for (i, a) in s.arrivals.iter().enumerate() {
        let Some(cname) = &a.customer else { continue };
        let Some(ci) = lookup(&cust_idx, cname, "customer type", format!("arrivals[{i}].customer"), &cust_names, d)
        else {
            continue;
        };
        let calendar = cal(&a.calendar, format!("arrivals[{i}].calendar"), d);
        let repeating = calendar.is_some() || a.day_factors != [1.0; 7];
        let profile = match &a.profile {
            _ if a.appointments.is_some() => RateProfile::Constant(0.0),
            spec if repeating => {
                // A daily profile (or a constant rate) times the weekday factor, zero while the
                // calendar is closed.
                let hours = calendar.map(|c| &s.calendars[c].hours);
                let (interval, rates): (f64, &[f64]) = match spec {
                    RateSpec::Piecewise { interval, rates, .. } => (*interval, rates),
                    RateSpec::Constant(_) => (DAY, &[]),
                };
                let base = |t: f64| match spec {
                    RateSpec::Constant(r) => *r,
                    RateSpec::Piecewise { .. } => rates.get(daily_index(t, interval)).copied().unwrap_or(0.0),
                };
                let cuts: Vec<f64> = (0..rates.len())
                    .map(|k| (s.start + k as f64 * interval) % DAY)
                    .chain(hours.map(Clock::edges).unwrap_or_default())
                    .collect();
                RateProfile::Timeline(clock.timeline(&cuts, |t| {
                    let (wd, _) = clock.at(t);
                    let open = hours.is_none_or(|h| clock.open(h, t));
                    if open { base(t) * a.scale * a.day_factors[wd] } else { 0.0 }
                }))
            }
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
        let channel_step = a.channel.as_ref().and_then(|c| {
            lookup(&ch_idx, c, "channel", format!("arrivals[{i}].channel"), &ch_names, d).and_then(|k| channel_first[k])
        });
        let own_step = a
            .first_step
            .as_ref()
            .and_then(|f| lookup(&step_idx, f, "step", format!("arrivals[{i}].first_step"), &step_names, d));
        let first_step = match own_step.or(channel_step) {
            Some(f) => f,
            None if customers[ci].first_step != usize::MAX => customers[ci].first_step,
            None => {
                if s.customers[ci].first_step.is_none() {
                    d.error(
                        Some(a.name.span.clone()),
                        format!("arrivals[{i}]"),
                        format!(
                            "arrival stream `{}` has no first step: its customer type `{}` names none",
                            a.name.v, customers[ci].name
                        ),
                    )
                    .with_help("give `first_step` to the customer type, the arrival stream or its channel");
                }
                continue;
            }
        };
        let appointments = a.appointments.as_ref().map(|ap| {
            let acal = cal(&ap.calendar, format!("arrivals[{i}].appointments.calendar"), d).or(calendar);
            let mut at = Vec::new();
            let mut m = ap.from;
            while m < ap.to - 1e-9 {
                at.push(m);
                m += ap.every;
            }
            Appointments {
                slots: clock.instants(&at, acal.map(|c| &s.calendars[c].hours)),
                no_show: ap.no_show,
                offset_mean: ap.offset_mean,
                offset_sd: ap.offset_sd,
            }
        });
        arrivals.push(ArrivalStream {
            name: a.name.v.clone(),
            customer: ci,
            profile,
            key: stream_key("arrivals", &a.name.v),
            first_step,
            channel: a.channel.as_ref().map(|c| c.v.clone()),
            appointments,
        });
    }

    let mut resources = Vec::new();
    for (i, r) in s.resources.iter().enumerate() {
        let calendar = cal(&r.calendar, format!("resources[{i}].calendar"), d);
        let staff = match &r.staff {
            _ if calendar.is_some() || !r.breaks.is_empty() => {
                let hours = calendar.map(|c| &s.calendars[c].hours);
                let mut cuts: Vec<f64> = hours.map(Clock::edges).unwrap_or_default();
                if let StaffSpec::Schedule { interval, staff, .. } = &r.staff {
                    cuts.extend((0..staff.len()).map(|k| (s.start + k as f64 * interval) % DAY));
                }
                for b in &r.breaks {
                    cuts.push(b.start);
                    cuts.push((b.start + b.length) % DAY);
                }
                Staffing::Timeline(clock.timeline(&cuts, |t| {
                    if hours.is_some_and(|h| !clock.open(h, t)) {
                        return 0.0;
                    }
                    let base = match &r.staff {
                        StaffSpec::Constant(n) => *n,
                        StaffSpec::Schedule { interval, staff, .. } => {
                            staff.get(daily_index(t, *interval)).or(staff.last()).copied().unwrap_or(0)
                        }
                    };
                    let (_, m) = clock.at(t);
                    let away: u32 = r
                        .breaks
                        .iter()
                        .filter(|b| {
                            let x = (m - b.start).rem_euclid(DAY);
                            x < b.length
                        })
                        .map(|b| b.staff)
                        .sum();
                    f64::from(base.saturating_sub(away))
                }))
            }
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
        resources.push(Resource {
            name: r.name.v.clone(),
            staff,
            cost_per_hour: r.cost_per_hour,
            skills: vec![i],
            speed: r.speed,
            preempt: r.preempt,
            automated: r.automated,
        });
    }

    // Pools: one per resource (steps naming it), then one per skill name not a resource.
    let mut pools: Vec<Pool> = resources.iter().map(|r| Pool { name: r.name.clone(), groups: Vec::new() }).collect();
    // Pool by name (the first of equal names, as a scan would find).
    let mut pool_at: HashMap<String, usize> = HashMap::new();
    for (i, p) in pools.iter().enumerate() {
        pool_at.entry(p.name.clone()).or_insert(i);
    }
    for (i, r) in s.resources.iter().enumerate() {
        for sk in &r.skills {
            let p = match pool_at.get(&sk.v) {
                Some(&p) => p,
                None => {
                    pools.push(Pool { name: sk.v.clone(), groups: Vec::new() });
                    pool_at.insert(sk.v.clone(), pools.len() - 1);
                    pools.len() - 1
                }
            };
            if resources[i].skills.contains(&p) {
                if p != i {
                    d.warning(
                        Some(sk.span.clone()),
                        format!("resources[{i}].skills"),
                        format!("skill `{}` is listed twice", sk.v),
                    );
                }
                continue;
            }
            resources[i].skills.push(p);
        }
    }
    // Each pool's groups by (rank of the skill in the group's list, group): one pass over
    // the groups' skills (a scan of every group per pool is quadratic in a region).
    let mut ranked: Vec<Vec<(usize, usize)>> = vec![Vec::new(); pools.len()];
    for (g, r) in resources.iter().enumerate() {
        for (rank, &k) in r.skills.iter().enumerate() {
            if !r.skills[..rank].contains(&k) {
                ranked[k].push((rank, g));
            }
        }
    }
    for (pool, mut groups) in pools.iter_mut().zip(ranked) {
        groups.sort_unstable();
        pool.groups = groups.into_iter().map(|(_, g)| g).collect();
    }
    let pool_names: Vec<&str> = pools.iter().map(|p| p.name.as_str()).collect();
    let pool_kind = if pools.len() > resources.len() { "resource or skill" } else { "resource" };
    let pool_idx: HashMap<String, usize> = pools.iter().enumerate().map(|(i, p)| (p.name.clone(), i)).collect();

    let n_types = s.customers.len();
    let mut steps = Vec::new();
    for (i, st) in s.steps.iter().enumerate() {
        let _ = (&res_idx, &res_names);
        let pool = st
            .resource
            .as_ref()
            .and_then(|r| lookup(&pool_idx, r, pool_kind, format!("steps[{i}].resource"), &pool_names, d));
        // No resource, no service, no batch: a routing-only node (zero time).
        let gateway = st.resource.is_none() && st.service.is_none() && st.batch.is_none();
        if gateway {
            for key in ["success", "repeat_info"] {
                let given = if key == "success" { st.automation.is_some() } else { st.repeat_info.is_some() };
                if given {
                    d.error(Some(st.name.span.clone()), format!("steps[{i}].{key}"), format!("routing-only step `{}` (no resource, no service) cannot have `{key}`", st.name.v))
                        .with_help("give the step a `service` (and a `resource`), or move the automation or rework to a step that does the work");
                }
            }
        }
        let zero = DistSpec { kind: DistKind::Deterministic { value: 0.0 }, span: 0..0 };
        let base = st.service.as_ref().or(gateway.then_some(&zero)).map(&mut add_dist).unwrap_or(0);
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
                if let Some(t) = lookup(&step_idx, &r.step, "step", key.clone(), &step_names, d)
                    && r.p.v > 0.0
                {
                    acc += r.p.v;
                    // A total of 1 up to rounding (0.7 + 0.2 + 0.1, a few ulps) is 1: nobody leaves
                    // by a rounding error (a branch of a fork must never leave).
                    route.cum.push(if (acc - 1.0).abs() < 1e-14 { 1.0 } else { acc.min(1.0) });
                    route.to.push(t);
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
        let step_ref = |n: &Sp<String>, key: &str, d: &mut Diagnostics| {
            lookup(&step_idx, n, "step", format!("steps[{i}].{key}"), &step_names, d)
        };
        let automation = st.automation.as_ref().and_then(|a| {
            let on_failure = step_ref(&a.on_failure, "on_failure", d)?;
            let touchless_to = match &a.touchless_to {
                Some(t) => Some(step_ref(t, "touchless.to", d)?),
                None => None,
            };
            Some(Automation { success: a.success, on_failure, touchless: a.touchless, touchless_to })
        });
        let repeat = st.repeat_info.as_ref().map(|rp| Repeat {
            p: rp.p,
            back_to: rp.back_to.as_ref().and_then(|b| step_ref(b, "repeat_info.back_to", d)),
            delay: rp.delay.as_ref().map(&mut add_dist),
        });
        let batch = st.batch.as_ref().map(|b| {
            if pool.is_some() {
                d.error(Some(st.name.span.clone()), format!("steps[{i}].batch"), format!("batch step `{}` cannot name a resource", st.name.v))
                    .with_help("a batch is processed together by its own body (a committee, a courier run): its `service` is the time the whole batch takes");
            }
            let bcal = cal(&b.calendar, format!("steps[{i}].batch.calendar"), d).or(work_calendar);
            Batch {
                size: b.size,
                at: (!b.at.is_empty()).then(|| clock.instants(&b.at, bcal.map(|c| &s.calendars[c].hours))),
                max: b.max,
            }
        });
        steps.push(Step {
            name: st.name.v.clone(),
            pool,
            service,
            route,
            service_key: stream_key("service", &st.name.v),
            routing_key: stream_key("routing", &st.name.v),
            pass_through: removed.contains(&st.name.v),
            automation,
            repeat,
            repeat_key: stream_key("repeat", &st.name.v),
            batch,
            context_factor: st.context_factor,
            fork: None,
            join_of: None,
            gateway,
            special: false,
        });
    }
    super::forks::resolve(s, &mut steps, &mut |n, key, d| lookup(&step_idx, n, "step", key, &step_names, d), d);
    for st in &mut steps {
        st.special = st.pass_through || st.gateway || st.join_of.is_some();
    }

    if d.has_errors() {
        return None;
    }
    let spec_at: HashMap<&str, usize> =
        s.arrivals.iter().enumerate().rev().map(|(i, x)| (x.name.v.as_str(), i)).collect();
    for (i, a) in arrivals.iter().enumerate() {
        let Some(spec) = spec_at.get(a.name.as_str()).map(|&k| &s.arrivals[k]) else { continue };
        if expected_arrivals(a, s.horizon) <= 0.0 && spec.scale > 0.0 {
            let help = if spec.calendar.is_some() {
                "its rates are zero whenever its calendar is open: an `interval` + `rates` profile counts from `start` each day, so the rates must cover the opening hours"
            } else {
                "its rate is zero for the whole horizon"
            };
            d.warning(
                Some(spec.name.span.clone()),
                format!("arrivals[{i}]"),
                format!("arrival stream `{}` brings nobody before the horizon", a.name),
            )
            .with_help(help);
        }
    }
    if super::forks::check(s, &customers, &arrivals, &steps, d) {
        return None;
    }
    check_flow(s, &customers, &arrivals, &resources, &pools, &steps, d);
    let load = super::load::analyse(
        s,
        &customers,
        &arrivals,
        &resources,
        &pools,
        &steps,
        &dist_means_for_load(&steps, &dists),
        d,
    );
    if d.has_errors() {
        return None;
    }

    let n_bins_raw = (s.horizon / s.timeseries_bin).ceil().max(1.0);
    let series = resources.len() + steps.iter().filter(|st| st.pool.is_some()).count() + 1;
    let max_bins = (MAX_SERIES_CELLS / series).clamp(1, MAX_BINS);
    let (bin_width, n_bins) = if n_bins_raw as usize > max_bins {
        let w = s.horizon / max_bins as f64;
        (w, max_bins)
    } else {
        (s.timeseries_bin, n_bins_raw as usize)
    };

    let hot = model::Hot::of(&arrivals, &resources, &pools, &steps, &dists);
    Some(Model {
        hot,
        name: s.name.clone(),
        description: s.description.clone(),
        time_unit: s.time_unit,
        start_clock: s.start,
        start_day: s.start_day,
        epoch: s.epoch,
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
        priority_levels: booked_level + prios.len().max(1),
        pools,
        calendars,
        work_calendar,
        drain: DRAIN_DAYS * DAY,
        limits: model::Limits::default(),
        record_detail: false,
        expected_events: load.expected_events,
    })
}

/// Entry of a schedule that repeats every day from t = 0 (the scenario's `start`).
fn daily_index(t: f64, interval: f64) -> usize {
    (t.rem_euclid(DAY) / interval) as usize
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
    pools: &[Pool],
    steps: &[Step],
    d: &mut Diagnostics,
) {
    let n = steps.len();
    let mut reached_any = vec![false; n];
    for (ci, c) in customers.iter().enumerate() {
        let mut starts: Vec<usize> = arrivals.iter().filter(|a| a.customer == ci).map(|a| a.first_step).collect();
        let has_arrivals = !starts.is_empty();
        if starts.is_empty() && c.first_step < n {
            starts.push(c.first_step);
        }
        let outs: Vec<Vec<(usize, f64)>> = (0..n).map(|x| steps[x].outcomes(x, ci)).collect();
        // Steps this type can visit.
        let mut seen = vec![false; n];
        let mut stack = starts.clone();
        for &x in &starts {
            seen[x] = true;
        }
        while let Some(x) = stack.pop() {
            for &(t, p) in &outs[x] {
                if p > 0.0 && !seen[t] {
                    seen[t] = true;
                    stack.push(t);
                }
            }
        }
        // Steps from which leaving is possible (backwards closure from exits).
        // A search over the reversed routes from the exits: linear in the routes (a fixed
        // point over all steps took one pass per step of a long line).
        let mut can_leave: Vec<bool> = (0..n).map(|x| 1.0 - outs[x].iter().map(|o| o.1).sum::<f64>() > 1e-12).collect();
        let mut into: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (x, o) in outs.iter().enumerate() {
            for &(t, p) in o {
                if p > 0.0 {
                    into[t].push(x);
                }
            }
        }
        let mut stack: Vec<usize> = (0..n).filter(|&x| can_leave[x]).collect();
        while let Some(t) = stack.pop() {
            for &x in &into[t] {
                if !can_leave[x] {
                    can_leave[x] = true;
                    stack.push(x);
                }
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
        // A step a variant removes needs neither customers nor staff: closing a branch
        // removes its counter, its arrival streams and its staff together.
        if st.pass_through {
            continue;
        }
        if !reached_any[x] {
            d.warning(
                Some(s.steps[x].name.span.clone()),
                format!("steps[{x}]"),
                format!("step `{}` is never reached by any arriving customer", st.name),
            );
        } else if let Some(p) = st.pool
            && pools[p].groups.iter().all(|&g| resources[g].staff.max() == 0)
        {
            let span = s.resources.get(p).map_or(s.steps[x].name.span.clone(), |r| r.name.span.clone());
            d.warning(Some(span), format!("steps[{x}].resource"),
                    format!("`{}` has no staff at any time, but step `{}` receives customers: they will wait forever or abandon", pools[p].name, st.name));
        }
    }
}

fn dist_means_for_load(steps: &[Step], dists: &[Dist]) -> Vec<Vec<f64>> {
    steps.iter().map(|st| st.service.iter().map(|&i| dists.get(i).map_or(0.0, dist_mean)).collect()).collect()
}

/// Expected arrivals of a stream over [0, horizon) (appointments: slots times show-up rate).
pub fn expected_arrivals(a: &ArrivalStream, horizon: f64) -> f64 {
    match &a.appointments {
        None => a.profile.integral(horizon),
        Some(ap) => {
            let k = (horizon / ap.slots.period).floor();
            let rest = ap.slots.times.iter().filter(|&&t| t + k * ap.slots.period < horizon).count();
            (k * ap.slots.times.len() as f64 + rest as f64) * (1.0 - ap.no_show)
        }
    }
}
