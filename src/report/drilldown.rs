//! The report's parts for large models (see `report::aggregate`): drill-down tables with one
//! row per step, resource and arrival stream, and the short forms that replace what does not
//! scale in the other sections (a 60-box process diagram, fifty arrival profiles in one table
//! cell, the same change listed for fifty steps). Kept apart from `html.rs`, which calls in at
//! a few points, so branch-sized reports are unchanged.

use std::fmt::Write as _;

use crate::report::Results;
use crate::report::aggregate::{self, DIAGRAM_MAX_STEPS, STREAMS_INLINE};
use crate::report::html::escape;
use crate::report::results::{ArrivalInfo, ModelInfo, VariantSummary};

/// The contents entry of the drill-down section ("" for a branch-sized model).
pub fn nav_item(r: &Results) -> &'static str {
    if aggregate::is_large(r) { "<li><a href=\"#drilldown\">Steps and resources one by one</a></li>" } else { "" }
}

/// The note that stands in for a process diagram too large to draw, or `None` to draw it.
pub fn diagram_note(m: &ModelInfo) -> Option<String> {
    let n = m.steps.len();
    (n > DIAGRAM_MAX_STEPS).then(|| {
        format!(
            "<p class=\"note diagram-omitted\">The process has {n} steps, too many to draw as one readable \
             diagram (the limit is {DIAGRAM_MAX_STEPS}): the steps table below gives each step's staff, \
             service time and routes, and <a href=\"#drilldown\">the drill-down</a> its results.</p>"
        )
    })
}

/// A one-line summary of a customer type's arrival streams when it has too many to list in
/// a table cell, or `None` to list them.
pub fn arrivals_summary(streams: &[&ArrivalInfo]) -> Option<String> {
    (streams.len() > STREAMS_INLINE).then(|| {
        let total: f64 = streams.iter().map(|a| a.expected).sum();
        let (lo, hi) = streams
            .iter()
            .map(|a| a.expected)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), x| (l.min(x), h.max(x)));
        format!(
            "{} streams, {} to {} expected arrivals each ({} in all); each stream is listed in \
             <a href=\"#drilldown-streams\">the drill-down</a>",
            streams.len(),
            num(lo),
            num(hi),
            num(total)
        )
    })
}

/// Change lines that differ only in the step they name ("step X: mean service for loan 35
/// min (was 60)" fifty times) merged into one line naming the steps; the rest as they are.
pub fn condense(lines: Vec<String>) -> Vec<String> {
    const MERGE_FROM: usize = 3;
    const NAMES_SHOWN: usize = 6;
    let key = |l: &str| -> Option<(String, String)> {
        if let Some(rest) = l.strip_prefix("removes step <strong>") {
            return rest.strip_suffix("</strong>").map(|n| (n.to_string(), "removes".to_string()));
        }
        let rest = l.strip_prefix("step ")?;
        let (name, what) = rest.split_once(": ")?;
        Some((name.to_string(), what.to_string()))
    };
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for l in &lines {
        if let Some((name, what)) = key(l) {
            match groups.iter_mut().find(|g| g.0 == what) {
                Some(g) => g.1.push(name),
                None => groups.push((what, vec![name])),
            }
        }
    }
    let mut out = Vec::new();
    let mut done: Vec<&str> = Vec::new();
    for l in &lines {
        let Some((_, what)) = key(l) else {
            out.push(l.clone());
            continue;
        };
        let Some(g) = groups.iter().find(|g| g.0 == what && g.1.len() >= MERGE_FROM) else {
            out.push(l.clone());
            continue;
        };
        if done.contains(&g.0.as_str()) {
            continue;
        }
        done.push(g.0.as_str());
        let mut names = g.1.iter().take(NAMES_SHOWN).cloned().collect::<Vec<_>>().join(", ");
        if g.1.len() > NAMES_SHOWN {
            let _ = write!(names, " and {} more", g.1.len() - NAMES_SHOWN);
        }
        if what == "removes" {
            out.push(format!("removes {} steps: <strong>{names}</strong>", g.1.len()));
        } else {
            out.push(format!("{} steps ({names}): {what}", g.1.len()));
        }
    }
    out
}

/// The drill-down section of a large model: every staffed step, resource and (for types with
/// many streams) arrival stream, busiest first, one column per variant.
pub fn section(h: &mut String, r: &Results) {
    if !aggregate::is_large(r) {
        return;
    }
    let steps = aggregate::ranked_steps(r);
    let resources = aggregate::ranked_resources(r);
    let variants: Vec<(&String, &VariantSummary)> = r.variants.iter().collect();
    let Some(base) = r.baseline() else { return };
    let unit = r.scenario.time_unit.label();
    let _ = write!(
        h,
        "<section id=\"drilldown\">\n<h2>Steps and resources one by one</h2>\n<p class=\"note\">The model has \
         {} steps with staff and {} resources: the charts show the network together and the {} busiest steps \
         and {} busiest resources; these tables list every one, busiest first (largest mean queue, highest \
         utilisation, in any variant). Means across {} replications.</p>\n",
        steps.len(),
        resources.len(),
        aggregate::TOP_STEPS.min(steps.len()),
        aggregate::TOP_RESOURCES.min(resources.len()),
        r.replications
    );
    // One header over the variant columns, the variant names under it: the table fits a
    // page instead of repeating "mean wait (min)" in every column head.
    let heads = |h: &mut String, what: &str| {
        let _ = write!(h, "<th colspan=\"{}\">{what}</th></tr><tr>", variants.len());
    };
    let names = |h: &mut String| {
        for (n, _) in &variants {
            let _ = write!(h, "<th class=\"num\">{}</th>", escape(n));
        }
    };
    let _ = write!(
        h,
        "<h3>Steps</h3>\n<div class=\"scroll\"><table id=\"drilldown-steps\"><thead><tr><th class=\"num\" \
         rowspan=\"2\">#</th><th rowspan=\"2\">step</th><th rowspan=\"2\">staffed by</th><th colspan=\"3\">baseline</th>"
    );
    heads(h, &format!("mean wait ({unit})"));
    h.push_str("<th class=\"num\">served</th><th class=\"num\">mean queue</th><th class=\"num\">longest queue</th>");
    names(h);
    h.push_str("</tr></thead><tbody>");
    for (i, s) in steps.iter().enumerate() {
        let staff = base.model.steps.iter().find(|x| &x.name == s).and_then(|x| x.resource.as_deref()).unwrap_or("");
        let _ = write!(
            h,
            "<tr data-step=\"{}\"><td class=\"num\">{}</td><td>{}</td><td>{}</td>",
            escape(s),
            i + 1,
            escape(s),
            escape(staff)
        );
        for k in ["served", "queue_mean", "queue_max"] {
            h.push_str(&cell("baseline", &format!("steps.{s}.{k}"), mean(base, "steps", s, k), false));
        }
        for (n, v) in &variants {
            let removed = v.model.steps.iter().any(|x| &x.name == s && x.removed);
            if removed {
                h.push_str("<td class=\"num\"><small>removed</small></td>");
            } else {
                h.push_str(&cell(n, &format!("steps.{s}.wait_mean"), mean(v, "steps", s, "wait_mean"), false));
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></div>\n");
    let _ = write!(
        h,
        "<h3>Resources</h3>\n<div class=\"scroll\"><table id=\"drilldown-resources\"><thead><tr><th \
         class=\"num\" rowspan=\"2\">#</th><th rowspan=\"2\">resource</th><th class=\"num\" rowspan=\"2\">staff \
         cost, baseline</th>"
    );
    heads(h, "utilisation");
    names(h);
    h.push_str("</tr></thead><tbody>");
    for (i, s) in resources.iter().enumerate() {
        let _ = write!(h, "<tr data-resource=\"{}\"><td class=\"num\">{}</td><td>{}</td>", escape(s), i + 1, escape(s));
        h.push_str(&cell(
            "baseline",
            &format!("resources.{s}.staff_cost"),
            mean(base, "resources", s, "staff_cost"),
            false,
        ));
        for (n, v) in &variants {
            let k = format!("resources.{s}.utilisation");
            h.push_str(&cell(n, &k, mean(v, "resources", s, "utilisation"), true));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></div>\n");
    streams_table(h, r, &variants);
    h.push_str("</section>\n");
}

/// Arrival streams of the customer types whose streams the assumptions table summarises.
fn streams_table(h: &mut String, r: &Results, variants: &[(&String, &VariantSummary)]) {
    let Some(base) = r.baseline() else { return };
    let many: Vec<&str> = base
        .model
        .customers
        .iter()
        .map(|c| c.name.as_str())
        .filter(|c| base.model.arrivals.iter().filter(|a| a.customer == *c).count() > STREAMS_INLINE)
        .collect();
    if many.is_empty() {
        return;
    }
    let mut names: Vec<(&str, &str)> = Vec::new();
    for (_, v) in variants {
        for a in &v.model.arrivals {
            if many.contains(&a.customer.as_str()) && !names.iter().any(|n| n.0 == a.name) {
                names.push((a.name.as_str(), a.customer.as_str()));
            }
        }
    }
    h.push_str(
        "<h3 id=\"drilldown-streams\">Arrival streams</h3>\n<div class=\"scroll\"><table \
         id=\"drilldown-arrivals\"><thead><tr><th>stream</th><th>customer type</th>",
    );
    for (n, _) in variants {
        let _ = write!(h, "<th class=\"num\">expected arrivals, {}</th>", escape(n));
    }
    h.push_str("</tr></thead><tbody>");
    for (name, customer) in names {
        let _ = write!(h, "<tr><td>{}</td><td>{}</td>", escape(name), escape(customer));
        for (_, v) in variants {
            match v.model.arrivals.iter().find(|a| a.name == name) {
                Some(a) => {
                    let _ = write!(h, "<td class=\"num\">{}</td>", num(a.expected));
                }
                None => h.push_str("<td class=\"num\"><small>none</small></td>"),
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></div>\n");
}

fn mean(v: &VariantSummary, group: &str, name: &str, kpi: &str) -> f64 {
    let g = if group == "steps" { v.steps.get(name) } else { v.resources.get(name) };
    g.and_then(|m| m.get(kpi)).map_or(f64::NAN, |s| s.mean)
}

/// A number cell carrying its variant and KPI path, so that tests (and scripts) can read the
/// table back against summary.json.
fn cell(variant: &str, path: &str, x: f64, share: bool) -> String {
    let text = if !x.is_finite() {
        "–".to_string()
    } else if share {
        format!("{:.1}%", x * 100.0)
    } else {
        crate::report::table::fmt_num(x)
    };
    format!("<td class=\"num\" data-variant=\"{}\" data-kpi=\"{}\">{text}</td>", escape(variant), escape(path))
}

fn num(x: f64) -> String {
    if x.is_finite() { crate::report::table::fmt_num(x) } else { "–".into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condense_merges_the_same_change_of_many_steps() {
        let mut lines: Vec<String> =
            (1..=8).map(|i| format!("step s{i}: mean service for loan 35 min (was 60)")).collect();
        lines.push("step x: staffed by a instead of b".into());
        lines.push("removes step <strong>k1</strong>".into());
        lines.push("removes step <strong>k2</strong>".into());
        lines.push("removes step <strong>k3</strong>".into());
        lines.push("lc: staff 3 (was 2)".into());
        let out = condense(lines);
        assert_eq!(
            out,
            [
                "8 steps (s1, s2, s3, s4, s5, s6 and 2 more): mean service for loan 35 min (was 60)",
                "step x: staffed by a instead of b",
                "removes 3 steps: <strong>k1, k2, k3</strong>",
                "lc: staff 3 (was 2)",
            ]
        );
        // Two alike are listed as they are.
        let two = vec!["step a: x".to_string(), "step b: x".to_string()];
        assert_eq!(condense(two.clone()), two);
    }
}
