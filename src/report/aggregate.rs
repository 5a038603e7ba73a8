//! Views of large models: a region of fifty branches, a contact centre and a back office has
//! sixty steps and resources, and one chart or table row per step (times five variants) is a
//! wall nobody reads. Above `LARGE` steps or resources the report shows the network as a
//! whole (all queues added up, the spread of waits over the steps) and the busiest few one by
//! one, and moves the rest into drill-down tables; branch-sized models are drawn as before.
//!
//! This module decides *which* steps and resources are shown individually, the same way for
//! the charts and the HTML, so the two never disagree.

use crate::report::Results;

/// More steps with a queue, or more resources, than this makes a model "large".
pub const LARGE: usize = 20;
/// Steps drawn one by one (queue charts) and listed in the KPI tables of a large model.
pub const TOP_STEPS: usize = 6;
/// Resources drawn in the utilisation heatmap and listed in the KPI tables of a large model.
pub const TOP_RESOURCES: usize = 12;
/// A process diagram with more steps than this is not drawn: its boxes and arrows no longer
/// fit a page (the steps table and the drill-down say the same in rows).
pub const DIAGRAM_MAX_STEPS: usize = 30;
/// A customer type with more arrival streams than this gets a one-line summary in the
/// assumptions table; its streams are listed in the drill-down.
pub const STREAMS_INLINE: usize = 4;

/// Whether the report aggregates: some variant has more than `LARGE` queueing steps or
/// resources.
pub fn is_large(r: &Results) -> bool {
    r.variants.values().any(|v| v.timeseries.queue.len() > LARGE || v.resources.len() > LARGE)
}

fn stat(v: &crate::report::results::VariantSummary, group: &str, name: &str, kpi: &str) -> f64 {
    let g = if group == "steps" { v.steps.get(name) } else { v.resources.get(name) };
    g.and_then(|m| m.get(kpi)).map_or(f64::NAN, |s| s.mean)
}

/// The largest mean of `kpi` over the variants (NaN-free: missing counts as −∞).
fn worst(r: &Results, group: &str, name: &str, kpi: &str) -> f64 {
    r.variants.values().map(|v| stat(v, group, name, kpi)).filter(|x| x.is_finite()).fold(f64::NEG_INFINITY, f64::max)
}

/// Names in first-seen order over the variants.
fn union<'a>(lists: impl Iterator<Item = Vec<&'a String>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in lists {
        for n in l {
            if !out.contains(n) {
                out.push(n.clone());
            }
        }
    }
    out
}

/// Sorts `names` by `key` descending; ties (and NaN) keep the scenario's order.
fn rank(mut names: Vec<String>, key: impl Fn(&str) -> f64) -> Vec<String> {
    let keyed: Vec<(f64, usize)> = names.iter().enumerate().map(|(i, n)| (key(n), i)).collect();
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|&a, &b| keyed[b].0.total_cmp(&keyed[a].0).then(keyed[a].1.cmp(&keyed[b].1)));
    let taken: Vec<String> = order.iter().map(|&i| std::mem::take(&mut names[i])).collect();
    taken
}

/// Every step with staff and a queue (a time series), busiest first: by the largest mean number
/// waiting (`queue_mean`) in any variant, so a branch that only queues once its neighbour
/// closes ranks by that variant.
pub fn ranked_steps(r: &Results) -> Vec<String> {
    // Pure delays (a chatbot, a form) have a series of zeros: nobody queues there.
    let staffed =
        |n: &str| r.variants.values().any(|v| v.model.steps.iter().any(|s| s.name == n && s.resource.is_some()));
    let mut names = union(r.variants.values().map(|v| v.timeseries.queue.keys().collect()));
    names.retain(|n| staffed(n));
    rank(names, |n| worst(r, "steps", n, "queue_mean"))
}

/// Every resource, busiest first: by the largest utilisation in any variant.
pub fn ranked_resources(r: &Results) -> Vec<String> {
    let names = union(r.variants.values().map(|v| v.resources.keys().collect()));
    rank(names, |n| worst(r, "resources", n, "utilisation"))
}

/// The steps shown one by one: all of them (`None`) unless the model is large.
pub fn shown_steps(r: &Results) -> Option<Vec<String>> {
    is_large(r).then(|| ranked_steps(r).into_iter().take(TOP_STEPS).collect())
}

/// The resources shown one by one: all of them (`None`) unless the model is large.
pub fn shown_resources(r: &Results) -> Option<Vec<String>> {
    is_large(r).then(|| ranked_resources(r).into_iter().take(TOP_RESOURCES).collect())
}

/// Total mean number waiting over every step, per bin (the sum of the steps' means is the
/// mean of the total; percentiles do not add up, so the network view has no band).
pub fn total_queue(v: &crate::report::results::VariantSummary) -> Vec<f64> {
    let n = v.timeseries.bin_start.len();
    let mut out = vec![f64::NAN; n];
    for b in v.timeseries.queue.values() {
        for (o, x) in out.iter_mut().zip(&b.mean) {
            if x.is_finite() {
                *o = if o.is_finite() { *o + x } else { *x };
            }
        }
    }
    out
}

/// `total_queue` as a band: the mean only (percentiles of the steps do not add up to the
/// total's, so p05 and p95 are missing), as the network chart and the workbook show it.
pub fn total_queue_band(v: &crate::report::results::VariantSummary) -> crate::report::results::BandOut {
    let n = v.timeseries.bin_start.len();
    crate::report::results::BandOut { mean: total_queue(v), p05: vec![f64::NAN; n], p95: vec![f64::NAN; n] }
}

/// At most this many groups are listed; smaller ones beyond it are one "other" group.
pub const MAX_GROUPS: usize = 12;

/// Resources that work the same hours, and the steps they staff: a branch size class (its
/// calendar), the contact centre, the loan centre. Read off the model, not off names, so any
/// large scenario groups the way its author built it.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// "f01_harbour_teller … f08_seafront_advice": the first and last member, so a reader
    /// recognises the class by its naming.
    pub label: String,
    pub resources: Vec<String>,
    /// Steps staffed by the group's resources (in the group of steps without staff, those).
    pub steps: Vec<String>,
}

/// The label of the group of steps no one staffs (a chatbot, a form, a message box).
pub const NO_STAFF: &str = "steps without staff";

/// Which intervals have someone on duty: the hours of the resource's calendar.
fn hours_key(res: &crate::report::results::ResourceInfo, with_cost: bool) -> String {
    let mask: String = res.staff.iter().map(|&n| if n > 0 { '1' } else { '0' }).collect();
    let iv = res.interval.map_or(0, f64::to_bits);
    if with_cost { format!("{iv}:{mask}:{}", res.cost_per_hour.to_bits()) } else { format!("{iv}:{mask}") }
}

/// The groups of a large model (empty for a branch-sized one): resources by their hours on
/// duty (by hours and cost per hour if the hours alone put everyone in one group), each step
/// with the group of the resource that staffs it. Membership is the baseline's, so that a
/// variant's closed branch stays in its size class; what only a variant has joins by its own
/// hours. Every resource and step of any variant is in exactly one group.
pub fn groups(r: &Results) -> Vec<Group> {
    if !is_large(r) {
        return Vec::new();
    }
    let build = |with_cost: bool| {
        let mut keys: Vec<String> = Vec::new();
        let mut out: Vec<Group> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for v in r.variants.values() {
            for res in &v.model.resources {
                if !seen.insert(res.name.as_str()) {
                    continue;
                }
                let k = hours_key(res, with_cost);
                match keys.iter().position(|x| *x == k) {
                    Some(i) => out[i].resources.push(res.name.clone()),
                    None => {
                        keys.push(k);
                        out.push(Group { label: String::new(), resources: vec![res.name.clone()], steps: Vec::new() });
                    }
                }
            }
        }
        out
    };
    let mut out = build(false);
    if out.len() == 1 {
        out = build(true);
    }
    let merged = out.len() > MAX_GROUPS;
    if merged {
        let mut rest = out.split_off(MAX_GROUPS - 1);
        let first = rest.remove(0);
        out.push(rest.into_iter().fold(first, |mut a, g| {
            a.resources.extend(g.resources);
            a
        }));
    }
    let mut unstaffed = Group { label: NO_STAFF.into(), resources: Vec::new(), steps: Vec::new() };
    // Hash look-ups: a model may have 10,000 steps and resources.
    let index: std::collections::HashMap<String, usize> =
        out.iter().enumerate().flat_map(|(i, g)| g.resources.iter().map(move |n| (n.clone(), i))).collect();
    let mut seen = std::collections::HashSet::new();
    for v in r.variants.values() {
        for st in &v.model.steps {
            if !seen.insert(st.name.as_str()) {
                continue;
            }
            match st.resource.as_ref().and_then(|res| index.get(res)) {
                Some(&i) => out[i].steps.push(st.name.clone()),
                None => unstaffed.steps.push(st.name.clone()),
            }
        }
    }
    // Named by the baseline's members (a resource only a variant adds would make the
    // baseline's staffing table name a group by something it does not have).
    let base: std::collections::HashSet<&str> =
        r.baseline().map_or_else(Default::default, |b| b.model.resources.iter().map(|x| x.name.as_str()).collect());
    for g in &mut out {
        let mut named: Vec<&String> = g.resources.iter().filter(|n| base.contains(&n.as_str())).collect();
        if named.is_empty() {
            named = g.resources.iter().collect();
        }
        g.label = match named.as_slice() {
            [one] => (*one).clone(),
            [a, b] => format!("{a}, {b}"),
            [first, .., last] => format!("{first} … {last}"),
            [] => String::new(),
        };
    }
    if merged && let Some(g) = out.last_mut() {
        g.label = format!("{} other resources", g.resources.len());
    }
    if !unstaffed.steps.is_empty() {
        out.push(unstaffed);
    }
    out
}

/// Names as a set, for membership tests over thousands of steps.
pub fn name_set(names: &[String]) -> std::collections::HashSet<&str> {
    names.iter().map(String::as_str).collect()
}

/// Each step's group (index into `groups`).
pub fn step_index(groups: &[Group]) -> std::collections::HashMap<&str, usize> {
    groups.iter().enumerate().flat_map(|(i, g)| g.steps.iter().map(move |s| (s.as_str(), i))).collect()
}

/// Utilisation of a group of resources: busy staff over staff on duty, all of them together
/// (the sum of means is the mean of the sum, so this is the group's own time average; a
/// plain mean of the members' utilisations would count an idle one-person branch as much
/// as a busy twelve-person centre). `NaN` when none of them has staff on duty.
pub fn pooled_utilisation(v: &crate::report::results::VariantSummary, members: &[&str]) -> f64 {
    let sum = |kpi: &str| -> f64 {
        members.iter().filter_map(|n| v.resources.get(*n)?.get(kpi)).map(|s| s.mean).filter(|x| x.is_finite()).sum()
    };
    let (busy, staff) = (sum("busy_mean"), sum("staff_mean"));
    if staff > 0.0 { busy / staff } else { f64::NAN }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_is_descending_and_stable() {
        let names: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
        let key = |n: &str| match n {
            "a" => 1.0,
            "b" => 3.0,
            "c" => 1.0,
            _ => f64::NEG_INFINITY, // a KPI no variant has
        };
        assert_eq!(rank(names, key), ["b", "a", "c", "d"]);
    }
}
