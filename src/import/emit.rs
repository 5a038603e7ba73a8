//! Writing the imported process as scenario TOML: names from the diagram's labels (made
//! unique), BPMN ids and lines in comments, and a header listing what is still to set.
//!
//! Resources. Prosimos simulates individual resources, each with its own calendar, cost and
//! duration per task; branchsim simulates groups of interchangeable staff. Individuals with
//! the same calendar, cost and set of tasks are interchangeable, so each such set becomes one
//! `[[resources]]` group (staff = the sum of their amounts). A task that several groups can
//! do gets a work queue (a skill) that each of those groups lists in `skills`.
//!
//! Durations. A branchsim step has one service distribution for every group that serves
//! it; when Prosimos gives a task different distributions per resource, the step gets the
//! pooled one — the amount-weighted mixture's mean and standard deviation in the family of
//! the first resource's distribution — and a warning lists the per-resource means.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

use super::bpmn::{Bpmn, Kind};
use super::graph::{self, StepKind, Target};
use super::prosimos::{self, Dist, Params};
use super::{Imported, Options};

/// Default values when no parameters are given (each is listed in the "still to set" header).
const DEFAULT_SERVICE_S: f64 = 600.0;
const DEFAULT_TIMER_S: f64 = 3600.0;
const DEFAULT_RATE_PER_H: f64 = 1.0;

/// A TOML basic string.
fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Names made unique (a suffix " (2)", " (3)" …) in one namespace.
#[derive(Default)]
struct Names(HashSet<String>);

impl Names {
    fn unique(&mut self, base: &str) -> String {
        let base = if base.trim().is_empty() { "unnamed" } else { base.trim() };
        let mut name = base.to_string();
        let mut k = 2;
        while !self.0.insert(name.clone()) {
            name = format!("{base} ({k})");
            k += 1;
        }
        name
    }
}

/// `next` probabilities with six decimals; when they sum to 1 they are written to sum to
/// exactly 1, so that rounding neither invents nor hides a way out of the process.
fn fmt_routes(routes: &[(String, f64)]) -> String {
    let total: f64 = routes.iter().map(|r| r.1).sum();
    let mut millionths: Vec<i64> = routes.iter().map(|r| (r.1 * 1e6).round() as i64).collect();
    if (total - 1.0).abs() < 1e-9 {
        let diff = 1_000_000 - millionths.iter().sum::<i64>();
        if let Some(i) = (0..millionths.len()).max_by_key(|&i| millionths[i]) {
            millionths[i] += diff;
        }
    }
    let parts: Vec<String> = routes
        .iter()
        .zip(&millionths)
        .filter(|(_, m)| **m > 0)
        .map(|((s, _), m)| format!("{{ step = {}, p = {} }}", q(s), prosimos::short(*m as f64 / 1e6, 6)))
        .collect();
    format!("[{}]", parts.join(", "))
}

struct Group {
    name: String,
    staff: u32,
    calendar: Option<String>,
    cost: f64,
    skills: Vec<String>,
    members: Vec<String>,
}

pub fn emit(b: &Bpmn, p: Option<&Params>, opts: &Options) -> Result<Imported, String> {
    let mut warnings = b.warnings.clone();
    let mut to_set: Vec<String> = Vec::new();

    // Branching probabilities by sequence-flow id.
    let mut probs: HashMap<String, f64> = HashMap::new();
    let mut known: HashSet<String> = HashSet::new();
    if let Some(p) = p {
        for gw in &p.gateway_branching_probabilities {
            if b.node_by_id(&gw.gateway_id).is_none() {
                warnings.push(format!(
                    "parameters: gateway `{}` is not in the BPMN file: its probabilities are unused",
                    gw.gateway_id
                ));
                continue;
            }
            // Prosimos gives flows without a value an equal share of what is left.
            let given: f64 = gw.probabilities.iter().filter_map(|x| x.value.as_ref().and_then(prosimos::num)).sum();
            let missing = gw.probabilities.iter().filter(|x| x.value.is_none()).count();
            for x in &gw.probabilities {
                let v = match &x.value {
                    Some(v) => prosimos::num(v).ok_or_else(|| {
                        format!(
                            "parameters: gateway `{}`, path `{}`: the probability is not a number",
                            gw.gateway_id, x.path_id
                        )
                    })?,
                    None => (1.0 - given).max(0.0) / missing as f64,
                };
                probs.insert(x.path_id.clone(), v);
            }
            known.insert(gw.gateway_id.clone());
        }
    }
    let g = graph::build(b, &probs, &known)?;
    warnings.extend(g.warnings.iter().cloned());
    for &gw in &g.defaulted_gateways {
        let what = if b.nodes[gw].kind == Kind::Inclusive { "p = 0.5 per branch" } else { "equal shares" };
        to_set.push(format!("branching probabilities of {} (now {what})", b.describe(gw)));
    }
    let uses_forks = g.steps.iter().any(|s| matches!(s.kind, StepKind::Split { .. }));

    // Step names.
    let mut names = Names::default();
    let step_names: Vec<String> = g
        .steps
        .iter()
        .map(|s| {
            let node = &b.nodes[s.node];
            let base = if !node.name.is_empty() {
                node.name.clone()
            } else {
                match (&s.kind, node.kind) {
                    (StepKind::Task, _) => node.id.clone(),
                    (StepKind::Delay, Kind::Timer) => format!("timer {}", node.id),
                    (StepKind::Delay, _) => format!("event {}", node.id),
                    (StepKind::Split { inclusive: false }, _) => "parallel split".into(),
                    (StepKind::Split { inclusive: true }, _) => "inclusive split".into(),
                    (StepKind::Join, Kind::Inclusive) => "inclusive join".into(),
                    (StepKind::Join, _) => "parallel join".into(),
                    (StepKind::Choice, _) => "choice".into(),
                }
            };
            names.unique(&base)
        })
        .collect();
    let name_of = |n: usize| step_names[g.step_of[&n]].clone();

    // Calendars (Prosimos ids → unique names), emitted only when used.
    let mut cal_names = Names::default();
    let mut calendars: Vec<(String, String, prosimos::Week)> = Vec::new(); // (name, comment, week)
    let mut cal_by_id: HashMap<String, String> = HashMap::new();
    // Calendars whose Prosimos name says something (not just their id) keep that name.
    let mut named: HashSet<String> = HashSet::new();
    if let Some(p) = p {
        for c in &p.resource_calendars {
            let (w, notes) =
                prosimos::week(&c.time_periods).map_err(|e| format!("parameters: calendar `{}`: {e}", c.id))?;
            for n in notes {
                warnings.push(format!("parameters: calendar `{}`: {n}", c.id));
            }
            if w.iter().all(|d| d.is_empty()) {
                warnings.push(format!(
                    "parameters: calendar `{}` is never open: resources on it are given no calendar",
                    c.id
                ));
                continue;
            }
            // Identical calendars under different ids (one per resource is common) are one.
            if let Some(same) = calendars.iter_mut().find(|x| x.2 == w) {
                let _ = write!(same.1, ", {}", c.id);
                cal_by_id.insert(c.id.clone(), same.0.clone());
                continue;
            }
            let name = cal_names.unique(c.name.as_deref().filter(|s| !s.is_empty()).unwrap_or(&c.id));
            if c.name.as_deref().is_some_and(|n| !n.is_empty() && n != c.id) {
                named.insert(name.clone());
            }
            cal_by_id.insert(c.id.clone(), name.clone());
            calendars.push((name, format!("Prosimos calendar {}", c.id), w));
        }
    }
    let mut used_cals: BTreeSet<String> = BTreeSet::new();

    // Resources and per-step service.
    let mut groups: Vec<Group> = Vec::new();
    let mut step_resource: HashMap<usize, String> = HashMap::new();
    let mut step_service: HashMap<usize, Dist> = HashMap::new();
    // Steps imported as batches (Prosimos batch_processing): their release size.
    let mut step_batch: HashMap<usize, u32> = HashMap::new();
    let mut res_names = Names::default();
    let task_steps: Vec<usize> = (0..g.steps.len()).filter(|&s| g.steps[s].kind == StepKind::Task).collect();
    match p {
        None => {
            let mut by_lane: HashMap<String, usize> = HashMap::new();
            for &s in &task_steps {
                let node = &b.nodes[g.steps[s].node];
                let lane = node.lane.clone().unwrap_or_else(|| "staff".into());
                let gi = *by_lane.entry(lane.clone()).or_insert_with(|| {
                    groups.push(Group {
                        name: res_names.unique(&lane),
                        staff: 1,
                        calendar: None,
                        cost: 0.0,
                        skills: Vec::new(),
                        members: vec![format!("lane `{lane}`")],
                    });
                    groups.len() - 1
                });
                step_resource.insert(s, groups[gi].name.clone());
                step_service.insert(s, Dist::Exponential(DEFAULT_SERVICE_S));
                to_set.push(format!("service time of {} (now exponential, mean 10min)", b.describe(node_index(&g, s))));
            }
            for gr in &groups {
                to_set.push(format!("staff of resource `{}` (now 1)", gr.name));
            }
        }
        Some(p) => {
            // Individuals (an id may be listed in several profiles: the first wins).
            struct Ind {
                name: String,
                amount: u32,
                calendar: String,
                cost: f64,
                profile: usize,
            }
            let mut inds: HashMap<String, Ind> = HashMap::new();
            let mut order: Vec<String> = Vec::new();
            for (pi, prof) in p.resource_profiles.iter().enumerate() {
                for r in &prof.resource_list {
                    if inds.contains_key(&r.id) {
                        continue;
                    }
                    let amount = prosimos::num(&r.amount)
                        .filter(|a| *a >= 0.0 && a.fract() == 0.0 && *a <= 100_000.0)
                        .ok_or_else(|| {
                        format!("parameters: resource `{}`: amount {} is not a whole number", r.id, r.amount)
                    })? as u32;
                    let cost = prosimos::num(&r.cost_per_hour).unwrap_or(0.0).max(0.0);
                    let name = if r.name.is_empty() { r.id.clone() } else { r.name.clone() };
                    inds.insert(r.id.clone(), Ind { name, amount, calendar: r.calendar.clone(), cost, profile: pi });
                    order.push(r.id.clone());
                }
            }
            // Eligible individuals and their distributions per task step.
            let mut elig: HashMap<usize, Vec<(String, Dist)>> = HashMap::new();
            for td in &p.task_resource_distribution {
                let Some(n) = b.node_by_id(&td.task_id) else {
                    warnings.push(format!(
                        "parameters: task `{}` is not in the BPMN file: its durations are unused",
                        td.task_id
                    ));
                    continue;
                };
                let Some(&s) = g.step_of.get(&n) else { continue };
                for rd in &td.resources {
                    if !inds.contains_key(&rd.resource_id) {
                        warnings.push(format!(
                            "parameters: {} names resource `{}`, which no resource profile lists: ignored",
                            b.describe(n),
                            rd.resource_id
                        ));
                        continue;
                    }
                    let (d, note) = prosimos::convert(&rd.dist).map_err(|e| {
                        format!("parameters: {} with resource `{}`: {e}", b.describe(n), rd.resource_id)
                    })?;
                    if let Some(note) = note {
                        warnings.push(format!("{} with resource `{}`: {note}", b.describe(n), rd.resource_id));
                    }
                    elig.entry(s).or_default().push((rd.resource_id.clone(), d));
                }
            }
            // Groups of interchangeable individuals: same calendar, cost and tasks.
            let mut tasks_of: HashMap<&str, BTreeSet<usize>> = HashMap::new();
            for (&s, list) in &elig {
                for (r, _) in list {
                    tasks_of.entry(r.as_str()).or_default().insert(s);
                }
            }
            let mut group_of: HashMap<String, usize> = HashMap::new();
            let mut keys: HashMap<(String, u64, Vec<usize>), usize> = HashMap::new();
            for id in &order {
                let ind = &inds[id];
                let Some(tasks) = tasks_of.get(id.as_str()) else {
                    warnings
                        .push(format!("parameters: resource `{}` performs no task of the process: not imported", id));
                    continue;
                };
                if ind.amount == 0 {
                    continue;
                }
                let key = (
                    cal_by_id.get(&ind.calendar).cloned().unwrap_or_else(|| ind.calendar.clone()),
                    ind.cost.to_bits(),
                    tasks.iter().copied().collect::<Vec<_>>(),
                );
                let gi = *keys.entry(key).or_insert_with(|| {
                    let calendar = if ind.calendar.is_empty() {
                        None
                    } else {
                        match cal_by_id.get(&ind.calendar) {
                            Some(c) => Some(c.clone()),
                            None => {
                                warnings.push(format!(
                                    "parameters: resource `{id}` uses calendar `{}`, which resource_calendars does not define: it is always available",
                                    ind.calendar
                                ));
                                None
                            }
                        }
                    };
                    groups.push(Group { name: String::new(), staff: 0, calendar, cost: ind.cost, skills: Vec::new(), members: Vec::new() });
                    groups.len() - 1
                });
                groups[gi].staff += ind.amount;
                groups[gi].members.push(id.clone());
                group_of.insert(id.clone(), gi);
            }
            // Group names: the profile's name when the group is the whole profile, else its members'.
            for gr in groups.iter_mut() {
                let first = &inds[&gr.members[0]];
                let prof = &p.resource_profiles[first.profile];
                let whole = prof.resource_list.len() == gr.members.len()
                    && prof.resource_list.iter().all(|r| gr.members.contains(&r.id));
                let base = if whole && !prof.name.is_empty() {
                    prof.name.clone()
                } else if gr.members.len() == 1 {
                    first.name.clone()
                } else {
                    format!("{} +{}", first.name, gr.members.len() - 1)
                };
                gr.name = res_names.unique(&base);
            }
            // Work queues and services.
            let mut queues: HashMap<Vec<usize>, String> = HashMap::new();
            for &s in &task_steps {
                let n = node_index(&g, s);
                let list = match elig.get(&s) {
                    Some(l) if l.iter().any(|(r, _)| group_of.contains_key(r)) => l,
                    _ => {
                        warnings.push(format!(
                            "parameters: {} has no resource in task_resource_distribution: it gets a placeholder resource and duration",
                            b.describe(n)
                        ));
                        to_set.push(format!("resource and service time of {}", b.describe(n)));
                        let gi = match groups.iter().position(|gr| gr.members.is_empty()) {
                            Some(gi) => gi,
                            None => {
                                groups.push(Group {
                                    name: res_names.unique("unassigned"),
                                    staff: 1,
                                    calendar: None,
                                    cost: 0.0,
                                    skills: Vec::new(),
                                    members: Vec::new(),
                                });
                                groups.len() - 1
                            }
                        };
                        step_resource.insert(s, groups[gi].name.clone());
                        step_service.insert(s, Dist::Exponential(DEFAULT_SERVICE_S));
                        continue;
                    }
                };
                let parts: Vec<(Dist, f64)> = list
                    .iter()
                    .filter(|(r, _)| group_of.contains_key(r))
                    .map(|(r, d)| (d.clone(), inds[r].amount as f64))
                    .collect();
                let pooled = prosimos::mixture(&parts);
                if parts.windows(2).any(|x| x[0].0 != x[1].0) {
                    let each: Vec<String> = list
                        .iter()
                        .map(|(r, d)| format!("{} mean {}", inds[r].name, prosimos::duration(d.mean())))
                        .collect();
                    warnings.push(format!(
                        "{}: durations differ by resource ({}); a branchsim step has one distribution for all: the pooled mean {} and sd {} are used",
                        b.describe(n),
                        each.join(", "),
                        prosimos::duration(pooled.mean()),
                        prosimos::duration(pooled.sd())
                    ));
                }
                step_service.insert(s, pooled);
                let mut gs: Vec<usize> = list.iter().filter_map(|(r, _)| group_of.get(r).copied()).collect();
                gs.sort_unstable();
                gs.dedup();
                let queue = if gs.len() == 1 {
                    groups[gs[0]].name.clone()
                } else {
                    let q = queues.entry(gs.clone()).or_insert_with(|| {
                        let members: BTreeSet<&String> = gs.iter().flat_map(|&gi| groups[gi].members.iter()).collect();
                        let prof = p.resource_profiles.iter().find(|pr| {
                            !pr.name.is_empty()
                                && pr.resource_list.iter().map(|r| &r.id).collect::<BTreeSet<_>>() == members
                        });
                        let base = match prof {
                            Some(pr) => pr.name.clone(),
                            None => gs.iter().map(|&gi| groups[gi].name.as_str()).collect::<Vec<_>>().join(" | "),
                        };
                        res_names.unique(&base)
                    });
                    let q = q.clone();
                    for &gi in &gs {
                        if !groups[gi].skills.contains(&q) {
                            groups[gi].skills.push(q.clone());
                        }
                    }
                    q
                };
                step_resource.insert(s, queue);
            }
            for bp in &p.batch_processing {
                let t = bp.get("task_id").and_then(|v| v.as_str()).unwrap_or("?");
                let node = b.node_by_id(t);
                let what = node.map(|n| b.describe(n)).unwrap_or_else(|| format!("task `{t}`"));
                let step = node.and_then(|n| g.step_of.get(&n).copied()).filter(|s| step_service.contains_key(s));
                let Some(s) = step else {
                    warnings.push(format!(
                        "parameters: batch_processing of {what} is not imported: no task of the BPMN file with a duration has that id"
                    ));
                    continue;
                };
                match super::batch::map(bp) {
                    Ok(bt) => {
                        let d = step_service[&s].scaled(bt.factor);
                        let random = d.sd() > 0.0;
                        step_service.insert(s, d);
                        let resource = step_resource.remove(&s).unwrap_or_default();
                        step_batch.insert(s, bt.size);
                        let mut w = format!(
                            "parameters: batch_processing of {what}: imported as a batch step (`batch = {{ size = {n}, max = {n} }}`, service = duration × {} × {n}, Prosimos' Parallel batch duration); a branchsim batch holds no resource, so `{resource}` is not taken by it (its utilisation leaves the batch out, and a busy `{resource}` does not delay the batch as in Prosimos)",
                            prosimos::short(bt.coef, 6),
                            n = bt.size
                        );
                        if random {
                            w.push_str("; the cases of a batch leave together after one draw (Prosimos draws one per case; each case's time in the step has the same distribution)");
                        }
                        if bt.alone > 0.0 {
                            let _ = write!(
                                w,
                                "; Prosimos runs a share {} of the cases alone (first size_distrib entry), branchsim batches every case",
                                prosimos::short(bt.alone, 6)
                            );
                        }
                        warnings.push(w);
                    }
                    Err(why) => warnings.push(format!(
                        "parameters: batch_processing of {what} is not imported ({why}); each case is served on its own"
                    )),
                }
            }
            for s in p.ignored_sections() {
                warnings.push(format!("parameters: section `{s}` is not imported (no branchsim equivalent)"));
            }
        }
    }
    // A calendar is named after the first group that works on it (ids are kept in comments).
    let mut renamed: HashMap<String, String> = HashMap::new();
    let mut final_cals = Names::default();
    for gr in groups.iter_mut() {
        if let Some(c) = &gr.calendar {
            let new = renamed
                .entry(c.clone())
                .or_insert_with(|| {
                    if named.contains(c) {
                        final_cals.unique(c)
                    } else {
                        final_cals.unique(&format!("{} hours", gr.name))
                    }
                })
                .clone();
            gr.calendar = Some(new.clone());
            used_cals.insert(new);
        }
    }
    for c in calendars.iter_mut() {
        if let Some(new) = renamed.get(&c.0) {
            c.0 = new.clone();
        }
    }

    // Delays: timers and other intermediate events.
    for (s, st) in g.steps.iter().enumerate() {
        if st.kind != StepKind::Delay {
            continue;
        }
        let n = st.node;
        let given = p.and_then(|p| p.event_distribution.iter().find(|e| e.event_id == b.nodes[n].id));
        let d = match given {
            Some(e) => {
                let (d, note) =
                    prosimos::convert(&e.dist).map_err(|x| format!("parameters: {}: {x}", b.describe(n)))?;
                if let Some(note) = note {
                    warnings.push(format!("{}: {note}", b.describe(n)));
                }
                d
            }
            None if b.nodes[n].duration.as_deref().and_then(super::bpmn::iso_duration).is_some() => {
                Dist::Fixed(b.nodes[n].duration.as_deref().and_then(super::bpmn::iso_duration).unwrap_or(0.0))
            }
            None if b.nodes[n].kind == Kind::Timer => {
                to_set.push(format!("duration of {} (now 60min)", b.describe(n)));
                Dist::Fixed(DEFAULT_TIMER_S)
            }
            None => Dist::Fixed(0.0),
        };
        step_service.insert(s, d);
    }

    // Arrivals.
    let mut arrival_rate_per_min = DEFAULT_RATE_PER_H / 60.0;
    let mut arrival_note = String::new();
    let mut arrival_cal: Option<String> = None;
    match p.and_then(|p| p.arrival_time_distribution.as_ref().map(|a| (p, a))) {
        None => {
            for e in &g.entries {
                to_set.push(format!("arrival rate of {} (now 1/h)", b.describe(e.start)));
            }
        }
        Some((p, a)) => {
            let start = g.entries[0].start;
            let (d, note) = prosimos::convert(a).map_err(|e| format!("parameters: arrival_time_distribution: {e}"))?;
            if let Some(note) = note {
                warnings.push(format!("arrivals at {}: {note}", b.describe(start)));
            }
            let mean_min = d.mean() / 60.0;
            if mean_min <= 0.0 {
                return Err("parameters: arrival_time_distribution has a mean of 0: infinitely many arrivals".into());
            }
            if !matches!(d, Dist::Exponential(_)) {
                warnings.push(format!(
                    "arrivals at {}: inter-arrival times are `{}` in the parameters; branchsim arrivals are Poisson (exponential inter-arrival times) with the same mean {}",
                    b.describe(start),
                    a.distribution_name,
                    prosimos::duration(d.mean())
                ));
            }
            arrival_rate_per_min = 1.0 / mean_min;
            arrival_note = format!("one case per {} on average", prosimos::duration(d.mean()));
            if !p.arrival_time_calendar.is_empty() {
                let (w, notes) = prosimos::week(&p.arrival_time_calendar)
                    .map_err(|e| format!("parameters: arrival_time_calendar: {e}"))?;
                for n in notes {
                    warnings.push(format!("parameters: arrival_time_calendar: {n}"));
                }
                let (open, extra) = prosimos::arrival_week(&w, mean_min);
                if open > 0.0 {
                    if open < 7.0 * 1440.0 - 1e-6 {
                        let per_week = open / mean_min + extra;
                        arrival_rate_per_min = per_week / open;
                        arrival_note = format!(
                            "one case per {} of open time, plus the {} a week Prosimos moves from closed hours to the next opening ({} cases a week in all)",
                            prosimos::duration(d.mean()),
                            prosimos::short(extra, 3),
                            prosimos::short(per_week, 4)
                        );
                        let name = "arrivals".to_string();
                        calendars.retain(|c| c.0 != name); // an unused Prosimos calendar of that name
                        calendars.push((name.clone(), "Prosimos arrival_time_calendar".into(), w));
                        used_cals.insert(name.clone());
                        arrival_cal = Some(name);
                    }
                } else {
                    return Err("parameters: arrival_time_calendar is never open: no case could arrive".into());
                }
            }
            if g.entries.len() > 1 {
                warnings.push(
                    "the process has several start events; each gets the parameters' arrival distribution".into(),
                );
            }
        }
    }

    // The text.
    let mut t = String::new();
    let _ = writeln!(t, "#:schema {}", opts.schema);
    let _ = writeln!(
        t,
        "# Imported by `branchsim import` from {}{}.",
        opts.bpmn_name,
        match opts.params_name {
            Some(pn) => format!(" with the Prosimos parameters {pn}"),
            None => String::new(),
        }
    );
    let _ =
        writeln!(t, "# Step names are the diagram's labels; each step's comment gives its BPMN element id and line.");
    if uses_forks {
        let _ =
            writeln!(t, "# Parallel and inclusive gateways are routing-only steps with `fork` (they take no time).");
    }
    if !to_set.is_empty() {
        let _ = writeln!(t, "#\n# Parameters still to set (placeholders now):");
        for x in &to_set {
            let _ = writeln!(t, "#   - {x}");
        }
    }
    if !warnings.is_empty() {
        let _ = writeln!(t, "#\n# Import notes:");
        for w in &warnings {
            let _ = writeln!(t, "#   - {w}");
        }
    }
    let process_name = b.processes.iter().map(|p| p.name.as_str()).find(|n| !n.is_empty());
    let stem = opts.bpmn_name.rsplit(['/', '\\']).next().unwrap_or(opts.bpmn_name);
    let stem = stem.strip_suffix(".bpmn").unwrap_or(stem);
    let _ = writeln!(t);
    let _ = writeln!(t, "name = {}", q(process_name.unwrap_or(stem)));
    let _ = writeln!(t, "description = {}", q(&format!("Imported from {}", opts.bpmn_name)));
    let _ = writeln!(t, "start = \"00:00\"                 # t = 0 is Monday midnight");
    let _ = writeln!(t, "start_day = \"mon\"");
    let _ = writeln!(
        t,
        "horizon = \"28d\"                  # cases arrive for four weeks; BPMN simulators count cases, set what your study needs"
    );
    let _ = writeln!(t, "replications = 10");
    let _ = writeln!(t, "seed = 1");

    for (name, comment, w) in &calendars {
        if !used_cals.contains(name) {
            continue;
        }
        let ids: Vec<&str> = comment.split(", ").collect();
        let comment = if ids.len() > 3 {
            format!("{}, … ({} calendars with these hours)", ids[..2].join(", "), ids.len())
        } else {
            comment.clone()
        };
        let _ = writeln!(t, "\n[calendars.{}]                  # {comment}", q(name));
        t.push_str(&prosimos::week_toml(w));
    }

    // Customer types: one per start event.
    let mut cust_names = Names::default();
    for e in &g.entries {
        let node = &b.nodes[e.start];
        let proc_name = &b.processes[node.process].name;
        let base = if g.entries.iter().filter(|x| b.nodes[x.start].process == node.process).count() == 1
            && !proc_name.is_empty()
        {
            proc_name.clone()
        } else if !node.name.is_empty() {
            node.name.clone()
        } else {
            "case".into()
        };
        let cname = cust_names.unique(&base);
        let firsts: Vec<(usize, f64)> = e
            .first
            .iter()
            .filter_map(|r| match r.0 {
                Target::Node(x) => Some((x, r.1)),
                Target::Leave => None,
            })
            .collect();
        let _ = writeln!(t, "\n[[customers]]                    # {}", b.describe(e.start));
        let _ = writeln!(t, "name = {}", q(&cname));
        let _ = writeln!(t, "kind = \"case\"");
        if let [(x, _)] = firsts.as_slice() {
            let _ = writeln!(t, "first_step = {}", q(&name_of(*x)));
        }
        let rate = |share: f64| format!("\"{}/h\"", prosimos::short(arrival_rate_per_min * 60.0 * share, 6));
        for (x, share) in &firsts {
            let _ = writeln!(t, "\n[[arrivals]]");
            if firsts.len() > 1 {
                let _ = writeln!(t, "name = {}", q(&format!("{cname} → {}", name_of(*x))));
                let _ = writeln!(t, "first_step = {}", q(&name_of(*x)));
            }
            let _ = writeln!(t, "customer = {}", q(&cname));
            let note = if arrival_note.is_empty() { String::new() } else { format!("  # {arrival_note}") };
            let share_note = if firsts.len() > 1 {
                format!(" ({:.1}% of the cases start here)", share * 100.0)
            } else {
                String::new()
            };
            let _ = writeln!(t, "rate = {}{note}{share_note}", rate(*share));
            if let Some(c) = &arrival_cal {
                let _ = writeln!(t, "calendar = {}", q(c));
            }
        }
    }

    for gr in &groups {
        let _ = writeln!(t, "\n[[resources]]");
        let _ = writeln!(t, "name = {}", q(&gr.name));
        let members = match gr.members.len() {
            0 => String::new(),
            1..=3 => format!("                        # {}", gr.members.join(", ")),
            k => format!("                        # {}, … ({k} resources)", gr.members[..2].join(", ")),
        };
        let _ = writeln!(t, "staff = {}{members}", gr.staff);
        if let Some(c) = &gr.calendar {
            let _ = writeln!(t, "calendar = {}", q(c));
            if !gr.members.is_empty() {
                // Prosimos stops an activity when its resource's calendar closes and resumes it
                // at the next opening; branchsim's closest rule interrupts it and serves the
                // rest first when the group reopens.
                let _ = writeln!(t, "on_shift_end = \"preempt\"          # Prosimos pauses work at closing time");
            }
        }
        if gr.cost > 0.0 {
            let _ = writeln!(t, "cost_per_hour = {}", prosimos::short(gr.cost, 6));
        }
        if !gr.skills.is_empty() {
            let list: Vec<String> = gr.skills.iter().map(|s| q(s)).collect();
            let _ = writeln!(t, "skills = [{}]", list.join(", "));
        }
    }

    for (s, st) in g.steps.iter().enumerate() {
        let node = &b.nodes[st.node];
        let mut comment = format!("{} {} (line {})", node.tag, node.id, node.line);
        if let Some(l) = &node.lane {
            let _ = write!(comment, ", lane `{l}`");
        }
        if let Some(sp) = node.parent {
            let _ = write!(comment, ", in sub-process {}", b.describe(sp));
        }
        let _ = writeln!(t, "\n[[steps]]                        # {comment}");
        let _ = writeln!(t, "name = {}", q(&step_names[s]));
        if let Some(r) = step_resource.get(&s) {
            let _ = writeln!(t, "resource = {}", q(r));
        }
        if let Some(d) = step_service.get(&s) {
            let _ = writeln!(t, "service = {}", d.toml());
        }
        if let Some(n) = step_batch.get(&s) {
            let _ = writeln!(t, "batch = {{ size = {n}, max = {n} }}");
        }
        match &st.kind {
            StepKind::Split { inclusive } => {
                let Some(join) = st.join.map(name_of) else {
                    return Err(format!(
                        "{}: a split without a join (a converter bug: please report it)",
                        b.describe(st.node)
                    ));
                };
                let branches: Vec<String> = st
                    .branches
                    .iter()
                    .map(|&(x, p)| {
                        if *inclusive {
                            format!("{{ step = {}, p = {} }}", q(&name_of(x)), prosimos::short(p, 6))
                        } else {
                            q(&name_of(x))
                        }
                    })
                    .collect();
                let _ = writeln!(t, "fork = {{ branches = [{}], join = {} }}", branches.join(", "), q(&join));
            }
            _ => {
                let routes: Vec<(String, f64)> = st
                    .next
                    .iter()
                    .filter_map(|r| match r.0 {
                        Target::Node(x) => Some((name_of(x), r.1)),
                        Target::Leave => None,
                    })
                    .collect();
                if !routes.is_empty() {
                    let _ = writeln!(t, "next = {}", fmt_routes(&routes));
                }
            }
        }
    }
    Ok(Imported { toml: t, warnings, to_set, uses_forks })
}

fn node_index(g: &graph::Graph, s: usize) -> usize {
    g.steps[s].node
}
