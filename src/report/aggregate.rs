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
