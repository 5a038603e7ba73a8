//! The report's parts for large models (see `report::aggregate`): drill-down tables with one
//! row per step, resource and arrival stream, and the short forms that replace what does not
//! scale in the other sections (a 60-box process diagram, fifty arrival profiles in one table
//! cell, the same change listed for fifty steps). Kept apart from `html.rs`, which calls in at
//! a few points, so branch-sized reports are unchanged.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use crate::report::Results;
use crate::report::aggregate::Group;
use crate::report::aggregate::{self, DIAGRAM_MAX_STEPS, STREAMS_INLINE};
use crate::report::html::escape;
use crate::report::html::{group_by_text, pct_text, profile_text, short, staffing_table, steps_table};
use crate::report::results::{ArrivalInfo, ModelInfo, ResourceInfo, StepInfo, VariantSummary};

/// Styles of the group tables and folded lists, added to the page only for a large model so
/// that a branch-sized report stays byte for byte as it was.
pub fn style(r: &Results) -> &'static str {
    if aggregate::is_large(r) {
        "details { margin: 6px 0 16px; }\nsummary { cursor: pointer; color: #0059a0; font-weight: 600; margin: 4px 0; }\n"
    } else {
        ""
    }
}

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

/// The first steps of a customer type that enters at many (fifty branches' counters), as
/// one line per group, or `None` to list them (a branch-sized model, or a few entries).
/// `firsts` are "step" or "step (via channel)".
pub fn first_steps_summary(r: &Results, firsts: &[String]) -> Option<String> {
    if !aggregate::is_large(r) || firsts.len() <= STREAMS_INLINE {
        return None;
    }
    let groups = aggregate::groups(r);
    let index = aggregate::step_index(&groups);
    let mut counts: Vec<(String, usize)> = Vec::new();
    for f in firsts {
        let step = f.split_once(" (via ").map_or(f.as_str(), |(s, _)| s);
        let label = index.get(step).map_or(step, |&i| groups[i].label.as_str());
        match counts.iter_mut().find(|c| c.0 == label) {
            Some(c) => c.1 += 1,
            None => counts.push((label.to_string(), 1)),
        }
    }
    let parts: Vec<String> = counts.iter().map(|(l, n)| format!("{n} at {}", escape(l))).collect();
    Some(format!("{} steps: {}", firsts.len(), parts.join("<br>")))
}

/// Change lines that differ only in the step they name ("step X: mean service for loan 35
/// min (was 60)" fifty times) merged into one line naming the steps; the rest as they are.
///
/// In a large model the same goes for resources (`resources`: their escaped names, empty for
/// a branch-sized model): six closed branches' "staffing changed — peak 0 (was 2)" are one line.
pub fn condense(lines: Vec<String>, resources: &[String]) -> Vec<String> {
    const MERGE_FROM: usize = 3;
    const NAMES_SHOWN: usize = 6;
    let key = |l: &str| -> Option<(String, String)> {
        if let Some(rest) = l.strip_prefix("removes step <strong>") {
            return rest.strip_suffix("</strong>").map(|n| (n.to_string(), "removes".to_string()));
        }
        if let Some((name, what)) = l.split_once(": ")
            && resources.iter().any(|r| r == name)
        {
            return Some((name.to_string(), format!("\u{1}{what}")));
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
        } else if let Some(what) = what.strip_prefix('\u{1}') {
            out.push(format!("{} resources ({names}): {what}", g.1.len()));
        } else {
            out.push(format!("{} steps ({names}): {what}", g.1.len()));
        }
    }
    out
}

/// A group's row attributes: its label and its members as a JSON list, so that a reader (or a
/// test) can recompute the row from summary.json.
fn group_attrs(g: &Group, members: &[&str]) -> String {
    let json = serde_json::to_string(members).unwrap_or_default();
    format!(" data-group=\"{}\" data-members=\"{}\"", escape(&g.label), escape(&json))
}

/// "4" or "4–6": the range of `xs` in the compact number format.
fn range(xs: impl Iterator<Item = f64>) -> String {
    let (lo, hi) =
        xs.filter(|x| x.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), x| (l.min(x), h.max(x)));
    if !lo.is_finite() {
        "–".into()
    } else if short(lo) == short(hi) {
        short(lo)
    } else {
        format!("{}–{}", short(lo), short(hi))
    }
}

/// The staff of several resources added up, interval by interval, as the staffing table
/// shows one resource's; `None` when their intervals differ (nothing to add up).
fn staff_sum(members: &[&ResourceInfo]) -> Option<(Option<f64>, Vec<u32>)> {
    let first = members.first()?;
    let len = first.staff.len();
    if members.iter().any(|m| m.interval.map(f64::to_bits) != first.interval.map(f64::to_bits) || m.staff.len() != len)
    {
        return None;
    }
    let sum = (0..len).map(|i| members.iter().map(|m| m.staff[i]).sum()).collect();
    Some((first.interval, sum))
}

/// The staffing section of a large model: one row per resource group (staff added up), the
/// busiest resources one by one, every resource folded away below. `false` for a
/// branch-sized model (the caller prints its one table).
pub fn staffing(h: &mut String, r: &Results, m: &ModelInfo) -> bool {
    let groups = aggregate::groups(r);
    if groups.is_empty() {
        return false;
    }
    let in_model: HashSet<&str> = m.resources.iter().map(|x| x.name.as_str()).collect();
    let _ = writeln!(
        h,
        "<p class=\"note\">{} resources in {} groups that work the same hours (a branch size class, a \
         centre). The staff on duty of a group is all its resources together; the {} busiest resources \
         follow one by one, and every resource is listed under “All {} resources”.</p>",
        m.resources.len(),
        groups.iter().filter(|g| g.resources.iter().any(|n| in_model.contains(n.as_str()))).count(),
        aggregate::TOP_RESOURCES.min(m.resources.len()),
        m.resources.len()
    );
    h.push_str(
        "<div class=\"scroll\"><table id=\"staffing-groups\"><thead><tr><th>group</th><th class=\"num\">resources</th>\
         <th class=\"num\">cost per hour</th><th>staff on duty, all together</th></tr></thead><tbody>",
    );
    for g in &groups {
        let set = aggregate::name_set(&g.resources);
        let members: Vec<&ResourceInfo> = m.resources.iter().filter(|x| set.contains(x.name.as_str())).collect();
        if members.is_empty() {
            continue;
        }
        let staff = match staff_sum(&members) {
            Some((None, s)) => s.first().map_or("–".into(), |n| format!("{n} all day")),
            Some((Some(iv), s)) => profile_text(r, iv, &s.iter().map(u32::to_string).collect::<Vec<_>>()),
            None => "–".into(),
        };
        let names: Vec<&str> = members.iter().map(|x| x.name.as_str()).collect();
        let _ = write!(
            h,
            "<tr{}><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"staff\">{}</td></tr>",
            group_attrs(g, &names),
            escape(&g.label),
            members.len(),
            range(members.iter().map(|x| x.cost_per_hour)),
            escape(&staff).replace('\n', "<br>")
        );
    }
    h.push_str("</tbody></table></div>\n");
    let busiest: Vec<&ResourceInfo> = aggregate::ranked_resources(r)
        .iter()
        .filter_map(|n| m.resources.iter().find(|x| &x.name == n))
        .take(aggregate::TOP_RESOURCES)
        .collect();
    let _ = writeln!(
        h,
        "<p><strong>The {} busiest resources</strong> <small>(highest utilisation in any variant)</small></p>",
        busiest.len()
    );
    staffing_table(h, r, &busiest, "staffing-busiest");
    let _ = writeln!(h, "<details><summary>All {} resources</summary>", m.resources.len());
    staffing_table(h, r, &m.resources.iter().collect::<Vec<_>>(), "staffing-all");
    h.push_str("</details>\n");
    true
}

/// Where a group's steps send each customer type: the next steps with the range of their
/// probabilities over the members; more than three different ones are summarised by group.
fn group_routes(groups: &[Group], index: &HashMap<&str, usize>, g: &Group, members: &[&StepInfo]) -> String {
    let mut customers: Vec<&str> = Vec::new();
    for st in members {
        for c in st.routes.keys() {
            if !customers.contains(&c.as_str()) {
                customers.push(c);
            }
        }
    }
    let group_of = |step: &str| -> String {
        match index.get(step) {
            Some(&i) if std::ptr::eq(&groups[i], g) => "within the group".into(),
            Some(&i) => groups[i].label.clone(),
            None => step.to_string(),
        }
    };
    let items = customers
        .iter()
        .map(|c| {
            let mut dest: Vec<(String, Vec<f64>)> = Vec::new();
            let mut add = |to: String, p: f64| match dest.iter_mut().find(|d| d.0 == to) {
                Some(d) => d.1.push(p),
                None => dest.push((to, vec![p])),
            };
            let mut done = Vec::new();
            for st in members {
                let Some(list) = st.routes.get(*c) else { continue };
                for ri in list {
                    add(ri.to.clone(), ri.p);
                }
                done.push(1.0 - list.iter().map(|ri| ri.p).sum::<f64>());
            }
            if dest.len() > 3 {
                let old = std::mem::take(&mut dest);
                for (to, ps) in old {
                    let k = group_of(&to);
                    match dest.iter_mut().find(|d| d.0 == k) {
                        Some(d) => d.1.extend(ps),
                        None => dest.push((k, ps)),
                    }
                }
            }
            let pct = |ps: &[f64]| {
                let (lo, hi) = ps.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| (l.min(x), h.max(x)));
                if pct_text(lo) == pct_text(hi) { pct_text(lo) } else { format!("{}–{}", pct_text(lo), pct_text(hi)) }
            };
            let mut parts: Vec<String> = dest.iter().map(|(to, ps)| format!("{to} {}", pct(ps))).collect();
            if done.iter().any(|&x| x > 1e-9) {
                parts.push(format!("done {}", pct(&done)));
            }
            (*c, parts.join(", "))
        })
        .collect();
    group_by_text(items)
}

/// The steps section of a large model: one row per group (staff, service times and routes
/// as ranges over its steps), the steps with the longest queues one by one, every step folded
/// away below. `false` for a branch-sized model.
pub fn steps(h: &mut String, r: &Results, m: &ModelInfo) -> bool {
    let groups = aggregate::groups(r);
    if groups.is_empty() {
        return false;
    }
    let index = aggregate::step_index(&groups);
    let unit = r.scenario.time_unit.label();
    let top = aggregate::ranked_steps(r);
    let busiest: Vec<&StepInfo> =
        top.iter().filter_map(|n| m.steps.iter().find(|x| &x.name == n)).take(aggregate::TOP_STEPS).collect();
    let _ = writeln!(
        h,
        "<p class=\"note\">{} steps in groups by the resources that staff them; service times and \
         probabilities are ranges over the group's steps. The {} steps with the longest queues follow one \
         by one, and every step is listed under “All {} steps”.</p>",
        m.steps.len(),
        busiest.len(),
        m.steps.len()
    );
    h.push_str(
        "<div class=\"scroll\"><table id=\"steps-groups\"><thead><tr><th>group</th><th class=\"num\">steps</th>\
         <th>staffed by</th><th>mean service time</th><th>next (probability)</th></tr></thead><tbody>",
    );
    for g in &groups {
        let set = aggregate::name_set(&g.steps);
        let members: Vec<&StepInfo> = m.steps.iter().filter(|x| set.contains(x.name.as_str())).collect();
        if members.is_empty() {
            continue;
        }
        let mut customers: Vec<&str> = Vec::new();
        for st in &members {
            for c in st.service_mean.keys() {
                if !customers.contains(&c.as_str()) {
                    customers.push(c);
                }
            }
        }
        let service = group_by_text(
            customers
                .iter()
                .map(|c| {
                    let text = range(members.iter().filter_map(|st| st.service_mean.get(*c).copied()));
                    (*c, format!("{text} {unit}"))
                })
                .collect(),
        );
        let used: HashSet<&str> = members.iter().filter_map(|st| st.resource.as_deref()).collect();
        let staff: Vec<&String> = g.resources.iter().filter(|n| used.contains(n.as_str())).collect();
        let staffed_by = match staff.as_slice() {
            [] => "no staff".to_string(),
            [one] => escape(one),
            more => format!("{} resources of the group", more.len()),
        };
        let names: Vec<&str> = members.iter().map(|x| x.name.as_str()).collect();
        let removed = members.iter().filter(|x| x.removed).count();
        let _ = write!(
            h,
            "<tr{}><td>{}{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            group_attrs(g, &names),
            escape(&g.label),
            if removed > 0 { format!(" <small>({removed} removed)</small>") } else { String::new() },
            members.len(),
            staffed_by,
            service,
            group_routes(&groups, &index, g, &members)
        );
    }
    h.push_str("</tbody></table></div>\n");
    let _ = writeln!(
        h,
        "<p><strong>The {} steps with the longest queues</strong> <small>(largest mean queue in any \
         variant)</small></p>",
        busiest.len()
    );
    steps_table(h, r, &busiest, "steps-busiest");
    let _ = writeln!(h, "<details><summary>All {} steps</summary>", m.steps.len());
    steps_table(h, r, &m.steps.iter().collect::<Vec<_>>(), "steps-all");
    h.push_str("</details>\n");
    true
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
         and {} busiest resources. The first two tables add them up by group (resources that work the same \
         hours and the steps they staff); the folded tables below them list every one, busiest first \
         (largest mean queue, highest utilisation, in any variant). Means across {} replications.</p>\n",
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
    group_results(h, r, &variants);
    let _ = write!(
        h,
        "<details id=\"drilldown-steps-all\"><summary>All {} steps with staff, busiest first</summary>\n\
         <div class=\"scroll\"><table id=\"drilldown-steps\"><thead><tr><th class=\"num\" \
         rowspan=\"2\">#</th><th rowspan=\"2\">step</th><th rowspan=\"2\">staffed by</th><th colspan=\"3\">baseline</th>",
        steps.len()
    );
    heads(h, &format!("mean wait ({unit})"));
    h.push_str("<th class=\"num\">served</th><th class=\"num\">mean queue</th><th class=\"num\">longest queue</th>");
    variant_heads(h, &variants);
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
    h.push_str("</tbody></table></div>\n</details>\n");
    let _ = write!(
        h,
        "<details id=\"drilldown-resources-all\"><summary>All {} resources, busiest first</summary>\n<div \
         class=\"scroll\"><table id=\"drilldown-resources\"><thead><tr><th class=\"num\" rowspan=\"2\">#</th><th \
         rowspan=\"2\">resource</th><th class=\"num\" rowspan=\"2\">staff cost, baseline</th>",
        resources.len()
    );
    heads(h, "utilisation");
    variant_heads(h, &variants);
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
    h.push_str("</tbody></table></div>\n</details>\n");
    streams_table(h, r, &variants);
    h.push_str("</section>\n");
}

/// Sum of a KPI's means over `members` that have it (`NaN` when none has).
fn sum_of(v: &VariantSummary, group: &str, members: &[&str], kpi: &str) -> f64 {
    let xs: Vec<f64> = members.iter().map(|n| mean(v, group, n, kpi)).filter(|x| x.is_finite()).collect();
    if xs.is_empty() { f64::NAN } else { xs.iter().sum() }
}

/// Mean wait of a group's steps per customer served: the members' mean waits weighted by
/// the customers each served (`NaN` when none served anyone).
fn weighted_wait(v: &VariantSummary, members: &[&str]) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for n in members {
        let (w, s) = (mean(v, "steps", n, "wait_mean"), mean(v, "steps", n, "served"));
        if w.is_finite() && s.is_finite() && s > 0.0 {
            num += w * s;
            den += s;
        }
    }
    if den > 0.0 { num / den } else { f64::NAN }
}

/// The results of each group of steps and of resources, one column per variant: what a
/// regional director reads first (which class of branch queues, how busy each centre is).
fn group_results(h: &mut String, r: &Results, variants: &[(&String, &VariantSummary)]) {
    let Some(base) = r.baseline() else { return };
    let groups = aggregate::groups(r);
    let unit = r.scenario.time_unit.label();
    let n = variants.len();
    let _ = write!(
        h,
        "<h3>Steps by group</h3>\n<div class=\"scroll\"><table id=\"drilldown-step-groups\"><thead><tr><th \
         rowspan=\"2\">group</th><th class=\"num\" rowspan=\"2\">steps</th><th colspan=\"2\">baseline, all the \
         group's steps</th><th colspan=\"{n}\">mean wait per customer served ({unit})</th><th rowspan=\"2\">longest \
         queue</th></tr><tr><th class=\"num\">served</th><th class=\"num\">mean queue</th>"
    );
    group_rows(
        h,
        variants,
        &groups,
        &aggregate::ranked_steps(r),
        |g| &g.steps[..],
        |h, members| {
            h.push_str(&cell("baseline", "group.served", sum_of(base, "steps", members, "served"), false));
            h.push_str(&cell("baseline", "group.queue_mean", sum_of(base, "steps", members, "queue_mean"), false));
            for (vn, v) in variants {
                h.push_str(&cell(vn, "group.wait_mean", weighted_wait(v, members), false));
            }
        },
    );
    let _ = write!(
        h,
        "<h3>Resources by group</h3>\n<div class=\"scroll\"><table id=\"drilldown-resource-groups\"><thead><tr><th \
         rowspan=\"2\">group</th><th class=\"num\" rowspan=\"2\">resources</th><th class=\"num\" rowspan=\"2\">staff \
         cost, baseline</th><th colspan=\"{n}\">utilisation: busy staff over staff on duty, all together</th><th \
         rowspan=\"2\">busiest</th></tr><tr>"
    );
    group_rows(
        h,
        variants,
        &groups,
        &aggregate::ranked_resources(r),
        |g| &g.resources[..],
        |h, members| {
            h.push_str(&cell("baseline", "group.staff_cost", sum_of(base, "resources", members, "staff_cost"), false));
            for (vn, v) in variants {
                h.push_str(&cell(vn, "group.utilisation", aggregate::pooled_utilisation(v, members), true));
            }
        },
    );
}

/// The variant names as column heads, one a column, closing the head of a drill-down table
/// (they end its last head row) and opening its body.
fn variant_heads(h: &mut String, variants: &[(&String, &VariantSummary)]) {
    for (v, _) in variants {
        let _ = write!(h, "<th class=\"num\">{}</th>", escape(v));
    }
    h.push_str("</tr></thead><tbody>");
}

/// The rest of a group table after its head's last row has begun: the variant names, then
/// one row per group with members, which are taken in `ranked` order so that the first is
/// the group's busiest. A row holds the group's label and member count, the cells `cells`
/// writes for the members, and the busiest member's name; groups without members are left out.
fn group_rows(
    h: &mut String,
    variants: &[(&String, &VariantSummary)],
    groups: &[Group],
    ranked: &[String],
    names_of: fn(&Group) -> &[String],
    cells: impl Fn(&mut String, &[&str]),
) {
    variant_heads(h, variants);
    for g in groups {
        let set = aggregate::name_set(names_of(g));
        let members: Vec<&str> = ranked.iter().map(String::as_str).filter(|s| set.contains(s)).collect();
        if members.is_empty() {
            continue;
        }
        let _ = write!(
            h,
            "<tr{}><td>{}</td><td class=\"num\">{}</td>",
            group_attrs(g, &members),
            escape(&g.label),
            members.len()
        );
        cells(h, &members);
        let _ = write!(h, "<td>{}</td></tr>", escape(members[0]));
    }
    h.push_str("</tbody></table></div>\n");
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
    let _ = write!(
        h,
        "<details id=\"drilldown-streams\"><summary>All {} arrival streams of {}</summary>\n<div \
         class=\"scroll\"><table id=\"drilldown-arrivals\"><thead><tr><th>stream</th><th>customer type</th><th>first \
         step, baseline</th>",
        names.len(),
        escape(&many.join(", "))
    );
    for (n, _) in variants {
        let _ = write!(h, "<th class=\"num\">expected arrivals, {}</th>", escape(n));
    }
    h.push_str("</tr></thead><tbody>");
    for (name, customer) in names {
        let first = base.model.flow.entries.iter().find(|e| e.stream == name).map_or("–", |e| e.to.as_str());
        let _ = write!(h, "<tr><td>{}</td><td>{}</td><td>{}</td>", escape(name), escape(customer), escape(first));
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
    h.push_str("</tbody></table></div>\n</details>\n");
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
        let out = condense(lines, &[]);
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
        assert_eq!(condense(two.clone(), &[]), two);
        // Resources merge only when named (a large model); a step line is not a resource's.
        let res: Vec<String> = (1..=3).map(|i| format!("k{i}: staffing changed — peak 0 (was 2)")).collect();
        assert_eq!(condense(res.clone(), &[]), res);
        let names: Vec<String> = ["k1", "k2", "k3"].iter().map(|s| s.to_string()).collect();
        assert_eq!(condense(res, &names), ["3 resources (k1, k2, k3): staffing changed — peak 0 (was 2)"]);
    }
}
