//! The verdict: which variant the study recommends, and why, computed once so that the
//! report, the terminal and any other reader give the same answer.
//!
//! With an objective (the scenario's `objective` key or `--objective`) the winner is the
//! best-ranked variant that meets the objective's constraint: one KPI, one direction, one
//! answer. Without one, the headline measures are scored; a variant is recommended only if it
//! is significantly better on some and worse on none. Either way a variant that changes
//! *demand* (how many customers arrive, or through which channel) is flagged: its waits and
//! service level are not a like-for-like improvement, because it serves different customers.

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
    for a in &v.arrivals {
        let before = b.arrivals.iter().find(|x| x.name == a.name).map_or(0.0, |x| x.expected);
        let same_customer_total =
            close(total(v, &a.customer), total(b, &a.customer)) && b.customers.iter().any(|c| c.name == a.customer);
        if !close(a.expected, before) && same_customer_total {
            out.push(format!(
                "{}: arrivals move between channels, stream {} {} expected (was {})",
                a.customer,
                a.name,
                num(a.expected),
                num(before)
            ));
        }
    }
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
                if let Some(d) = c.differences.iter().find(|d| &d.variant == name && d.kpi == k) {
                    if d.significant && d.diff.is_finite() && d.diff != 0.0 {
                        if (d.diff > 0.0) == kpi::higher_is_better(k) {
                            better.push(k);
                        } else {
                            worse.push(k);
                        }
                    }
                }
            }
            let demand = base.map_or_else(Vec::new, |b| demand_changes(b, &v.model));
            scores.push(Score { variant: name.clone(), better, worse, demand });
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
        let line = match rk.winner() {
            Some((n, m, _)) => format!(
                "Recommended: {n} — best on {from} {} ({dir}{cons}) with {}{}.",
                rk.kpi,
                value_text(r, &rk.kpi, *m),
                caveat(n)
            ),
            None => format!("No variant meets {from}'s constraint{cons}."),
        };
        return Verdict { winner: rk.winner().map(|o| o.0.clone()), line, scores };
    }
    let sl =
        |n: &str| r.variants.get(n).and_then(|v| v.kpis.get("service_level")).map_or(f64::NEG_INFINITY, |s| s.mean);
    let pick = scores
        .iter()
        .filter(|s| s.worse.is_empty() && !s.better.is_empty() && s.demand.is_empty())
        .max_by(|a, b| a.better.len().cmp(&b.better.len()).then_with(|| sl(&a.variant).total_cmp(&sl(&b.variant))));
    let excluded: Vec<&str> = scores
        .iter()
        .filter(|s| s.worse.is_empty() && !s.better.is_empty() && !s.demand.is_empty())
        .map(|s| s.variant.as_str())
        .collect();
    let note = if excluded.is_empty() {
        String::new()
    } else {
        format!(" ({} not considered: it changes demand)", excluded.join(", "))
    };
    let line = match pick {
        Some(s) => format!(
            "Recommended: {} — significantly better than the baseline on {} of {} headline measures and worse on none{note}.",
            s.variant,
            s.better.len(),
            HEADLINE.len()
        ),
        None => format!(
            "No variant is significantly better on a headline measure without being worse on another{note}; set an `objective` to decide."
        ),
    };
    Verdict { winner: pick.map(|s| s.variant.clone()), line, scores }
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
