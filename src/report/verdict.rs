//! The verdict: which variant the study recommends, and why, computed once so that the
//! report, the terminal and any other reader give the same answer.
//!
//! With an objective (the scenario's `objective` key or `--objective`) the winner is the
//! best-ranked variant that meets the objective's constraint: one KPI, one direction, one
//! answer. Without one, the headline measures are scored; a variant is recommended only if it
//! is significantly better on some and worse on none. Either way a variant that changes
//! *demand* (how many customers arrive, or through which channel) is flagged: its waits and
//! service level are not a like-for-like improvement, because it serves different customers.
//!
//! A variant can also be a *sensitivity test* rather than an option: the same redesign as an
//! earlier variant under a different assumption the bank does not choose. The rule (see
//! docs/report-review.md): a variant whose model equals an earlier variant's in everything
//! but automation success rates is a sensitivity test of that variant. It is reported, its
//! KPIs charted and labelled "what-if", but never recommended: nobody can decide that the
//! robots pass only 65% of the files, so ranking that "option" would mislead.

use crate::kpi;
use crate::report::results::{ModelInfo, Results};

/// Headline measures scored when there is no objective.
pub const HEADLINE: &[&str] =
    &["wait_mean", "cycle_time_p90", "service_level", "abandon_rate", "throughput_per_hour", "staff_cost"];

/// One variant against the baseline on the headline measures.
#[derive(Clone, Debug)]
pub struct Score {
    pub variant: String,
    pub better: Vec<&'static str>,
    pub worse: Vec<&'static str>,
    /// How this variant changes demand (empty when it serves the same customers).
    pub demand: Vec<String>,
    /// The earlier variant this one is a sensitivity test of (only automation success rates
    /// differ), with the assumption in words; `None` for an option a bank can choose.
    pub sensitivity_of: Option<String>,
    pub assumption: String,
}

/// The earlier variant (not the baseline) that `name` differs from only in automation success
/// rates, and the changed rates in words ("kyc_screening automation success 65% (85% in
/// lean_team)"). Flows are left out of the comparison: they follow from the steps.
pub fn sensitivity_of(r: &Results, name: &str) -> Option<(String, String)> {
    let i = r.variants.get_index_of(name)?;
    let strip = |m: &ModelInfo| {
        let mut v = serde_json::to_value(m).ok()?;
        let o = v.as_object_mut()?;
        o.remove("flow");
        for st in o.get_mut("steps")?.as_array_mut()? {
            st.as_object_mut()?.remove("automation_success");
        }
        Some(v)
    };
    let mine = &r.variants[i].model;
    let key = strip(mine)?;
    for (other, w) in r.variants.iter().take(i).skip(1) {
        if strip(&w.model).as_ref() != Some(&key) {
            continue;
        }
        let changed: Vec<String> = mine
            .steps
            .iter()
            .zip(&w.model.steps)
            .filter(|(a, b)| a.automation_success != b.automation_success)
            .map(|(a, b)| {
                let p = |x: Option<f64>| x.map_or("none".into(), |x| format!("{:.0}%", x * 100.0));
                format!(
                    "{} automation success {} instead of {other}'s {}",
                    a.name,
                    p(a.automation_success),
                    p(b.automation_success)
                )
            })
            .collect();
        if !changed.is_empty() {
            return Some((other.clone(), changed.join(", ")));
        }
    }
    None
}

#[derive(Clone, Debug)]
pub struct Verdict {
    /// The recommended variant (may be the baseline when nothing beats it).
    pub winner: Option<String>,
    /// One line saying what was decided and on what basis.
    pub line: String,
    pub scores: Vec<Score>,
}

/// How `v` changes demand against `b`, in plain words: expected arrivals per customer type,
/// and arrivals moved between streams (channel shifts).
pub fn demand_changes(b: &ModelInfo, v: &ModelInfo) -> Vec<String> {
    let mut out = Vec::new();
    let total = |m: &ModelInfo, c: &str| m.arrivals.iter().filter(|a| a.customer == c).map(|a| a.expected).sum::<f64>();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
    for c in &v.customers {
        let (x, y) = (total(v, &c.name), total(b, &c.name));
        if !close(x, y) {
            let pct = if y > 0.0 { format!(" ({:+.1}%)", (x / y - 1.0) * 100.0) } else { String::new() };
            out.push(format!("{}: {} expected arrivals (was {}){pct}", c.name, num(x), num(y)));
        }
    }
    let channel = |m: &ModelInfo, stream: &str| {
        m.flow.entries.iter().find(|e| e.stream == stream).and_then(|e| e.channel.clone())
    };
    let expected = |m: &ModelInfo, stream: &str| m.arrivals.iter().find(|x| x.name == stream).map(|x| x.expected);
    let mut covered: Vec<&str> = Vec::new();
    let mut moves = Vec::new();
    for a in &v.arrivals {
        let same_customer_total =
            close(total(v, &a.customer), total(b, &a.customer)) && b.customers.iter().any(|c| c.name == a.customer);
        // A channel shift adds the stream "SOURCE → CHANNEL" and takes its arrivals from SOURCE.
        let Some((src, _)) = a.name.split_once(" → ") else { continue };
        if !same_customer_total || expected(b, &a.name).is_some() {
            continue;
        }
        let Some(was) = expected(b, src) else { continue };
        let from = channel(b, src).map_or(String::new(), |c| format!(" from channel {c}"));
        let to = channel(v, &a.name).map_or(String::new(), |c| format!(" to channel {c}"));
        moves.push(format!(
            "{}: {} of the {} expected arrivals of stream {src} move{from}{to} (the type's total is unchanged)",
            a.customer,
            num(a.expected),
            num(was)
        ));
        covered.push(src);
        covered.push(&a.name);
    }
    for a in &v.arrivals {
        let before = b.arrivals.iter().find(|x| x.name == a.name).map_or(0.0, |x| x.expected);
        let same_customer_total =
            close(total(v, &a.customer), total(b, &a.customer)) && b.customers.iter().any(|c| c.name == a.customer);
        if !close(a.expected, before) && same_customer_total && !covered.contains(&a.name.as_str()) {
            out.push(format!(
                "{}: stream {} brings {} expected arrivals (was {}); the type's total is unchanged",
                a.customer,
                a.name,
                num(a.expected),
                num(before)
            ));
        }
    }
    out.extend(moves);
    out
}

fn num(x: f64) -> String {
    if x.abs() >= 100.0 { format!("{x:.0}") } else { format!("{x:.1}") }
}

/// The study's verdict.
pub fn verdict(r: &Results) -> Verdict {
    let mut scores = Vec::new();
    let base = r.baseline().map(|b| &b.model);
    if let Some(c) = &r.comparison {
        for (name, v) in r.variants.iter().skip(1) {
            let mut better = Vec::new();
            let mut worse = Vec::new();
            for &k in HEADLINE {
                if let Some(d) = c.differences.iter().find(|d| &d.variant == name && d.kpi == k)
                    && d.significant
                    && d.diff.is_finite()
                    && d.diff != 0.0
                {
                    if (d.diff > 0.0) == kpi::higher_is_better(k) {
                        better.push(k);
                    } else {
                        worse.push(k);
                    }
                }
            }
            let demand = base.map_or_else(Vec::new, |b| demand_changes(b, &v.model));
            let (sensitivity_of, assumption) = match sensitivity_of(r, name) {
                Some((o, a)) => (Some(o), a),
                None => (None, String::new()),
            };
            scores.push(Score { variant: name.clone(), better, worse, demand, sensitivity_of, assumption });
        }
    }
    let demand_of = |n: &str| scores.iter().find(|s| s.variant == n).is_some_and(|s| !s.demand.is_empty());
    let caveat = |n: &str| {
        if demand_of(n) {
            " — but it changes demand (different customers arrive), so this is not a like-for-like improvement"
        } else {
            ""
        }
    };
    let Some(c) = &r.comparison else {
        return Verdict { winner: None, line: "Only the baseline was simulated: nothing to compare.".into(), scores };
    };
    if let Some(rk) = &c.ranking {
        let dir = if rk.minimise { "lower is better" } else { "higher is better" };
        let from = if rk.source == "scenario" { "the scenario's objective" } else { "the objective" };
        let cons = rk.constraint.as_ref().map_or(String::new(), |t| format!(", subject to {t}"));
        let what_if = |n: &str| scores.iter().any(|s| s.variant == n && s.sensitivity_of.is_some());
        let best = rk.order.iter().find(|o| !rk.infeasible.contains(&o.0) && !what_if(&o.0));
        let line = match best {
            Some((n, m, _)) => format!(
                "Recommended: {n} — best on {from} {} ({dir}{cons}) with {}{}{}{}.",
                rk.kpi,
                value_text(r, &rk.kpi, *m),
                caveat(n),
                cost_text(r, n),
                sensitivity_note(&scores)
            ),
            None => format!("No variant meets {from}'s constraint{cons}{}.", sensitivity_note(&scores)),
        };
        return Verdict { winner: best.map(|o| o.0.clone()), line, scores };
    }
    let sl =
        |n: &str| r.variants.get(n).and_then(|v| v.kpis.get("service_level")).map_or(f64::NEG_INFINITY, |s| s.mean);
    let candidate = |s: &&Score| s.worse.is_empty() && !s.better.is_empty() && s.sensitivity_of.is_none();
    let pick = scores
        .iter()
        .filter(candidate)
        .filter(|s| s.demand.is_empty())
        .max_by(|a, b| a.better.len().cmp(&b.better.len()).then_with(|| sl(&a.variant).total_cmp(&sl(&b.variant))));
    let excluded: Vec<&str> =
        scores.iter().filter(candidate).filter(|s| !s.demand.is_empty()).map(|s| s.variant.as_str()).collect();
    let note = match excluded.len() {
        0 => String::new(),
        1 => format!(" ({} not considered: it changes demand)", excluded[0]),
        _ => format!(" ({} not considered: they change demand)", excluded.join(", ")),
    } + &sensitivity_note(&scores);
    let line = match pick {
        Some(s) => format!(
            "Recommended: {} — significantly better than the baseline on {} of {} headline measures and worse on none{}{note}.",
            s.variant,
            s.better.len(),
            HEADLINE.len(),
            cost_text(r, &s.variant)
        ),
        None => format!(
            "No variant is significantly better on a headline measure without being worse on another{note}; set an `objective` to decide."
        ),
    };
    Verdict { winner: pick.map(|s| s.variant.clone()), line, scores }
}

/// ", at a staff cost of 45882 (baseline 63000)": what the recommendation costs, so that a
/// reader of the one line knows the price as well as the gain.
fn cost_text(r: &Results, name: &str) -> String {
    let cost = |n: &str| r.variants.get(n).and_then(|v| v.kpis.get("staff_cost")).map(|s| s.mean);
    match (cost(name), cost("baseline")) {
        (Some(c), Some(b)) if c.is_finite() && b.is_finite() => format!(
            ", at a staff cost of {} (baseline {})",
            crate::report::table::fmt_num(c),
            crate::report::table::fmt_num(b)
        ),
        _ => String::new(),
    }
}

/// " (lean_team_low_success not considered: a sensitivity test of lean_team)".
fn sensitivity_note(scores: &[Score]) -> String {
    scores
        .iter()
        .filter_map(|s| {
            s.sensitivity_of.as_ref().map(|o| format!(" ({} not considered: a sensitivity test of {o})", s.variant))
        })
        .collect()
}

/// A KPI value as a reader sees it: shares in %, durations with their unit.
pub fn value_text(r: &Results, path: &str, x: f64) -> String {
    let name = path.rsplit('.').next().unwrap_or(path);
    if !x.is_finite() {
        "–".into()
    } else if kpi::is_share(name) {
        format!("{:.1}%", x * 100.0)
    } else if kpi::is_duration(name) {
        format!("{} {}", crate::report::table::fmt_num(x), r.scenario.time_unit.label())
    } else {
        crate::report::table::fmt_num(x)
    }
}
