//! Charts that would carry no information: a queue chart for a step where nobody ever waits,
//! a KPI chart whose value is the same in every replication of every variant (abandonment in
//! a scenario where nobody can abandon, a fixed staff cost), a wait-by-arrival chart of
//! zeros. They are left out, and the report says which and why (`omitted`), so a flat line
//! is never mistaken for a result and a missing chart never for a failure.

use crate::report::Results;

/// Nobody waited at `step` in any bin of any variant (the 95th percentile included).
pub fn queue_never_forms(r: &Results, step: &str) -> bool {
    r.variants.values().all(|v| {
        v.timeseries.queue.get(step).is_none_or(|b| b.mean.iter().chain(&b.p95).all(|x| !x.is_finite() || *x <= 0.0))
    })
}

/// The KPI's single value when it is the same in every replication of every variant.
pub fn kpi_constant(r: &Results, kpi: &str) -> Option<f64> {
    let mut value: Option<f64> = None;
    for v in r.variants.values() {
        let s = v.kpis.get(kpi)?;
        if !(s.min.is_finite() && s.max.is_finite()) {
            return None;
        }
        let tol = 1e-9 * s.max.abs().max(1.0);
        if s.max - s.min > tol || value.is_some_and(|x| (x - s.min).abs() > tol) {
            return None;
        }
        value = Some(s.min);
    }
    value
}

/// Every served customer's mean wait is zero in every bin of every variant.
pub fn no_waiting(r: &Results) -> bool {
    r.variants.values().all(|v| v.timeseries.wait_by_arrival.mean.iter().all(|x| !x.is_finite() || *x <= 0.0))
}

/// One sentence per chart left out, for the report.
pub fn omitted(r: &Results) -> Vec<String> {
    let mut out = Vec::new();
    let mut steps: Vec<&String> = Vec::new();
    for v in r.variants.values() {
        // All steps: a step nobody waited at has no queue series at all.
        steps.extend(v.steps.keys().filter(|s| !steps.contains(s)).collect::<Vec<_>>());
    }
    let never: Vec<String> = steps.into_iter().filter(|s| queue_never_forms(r, s)).map(|s| format!("“{s}”")).collect();
    if !never.is_empty() {
        out.push(format!(
            "No queue chart for {}: nobody waited there in any replication of any variant.",
            never.join(", ")
        ));
    }
    if !r.variants.is_empty() && no_waiting(r) {
        out.push("No wait-by-arrival chart: no served customer waited in any variant.".into());
    }
    for &(kpi, what, _, pct) in super::kpis::HEADLINE {
        if let Some(v) = kpi_constant(r, kpi) {
            let shown = if pct { format!("{}%", super::style::num(v * 100.0)) } else { super::style::num(v) };
            let why = match kpi {
                "abandon_rate" if v == 0.0 => " (no customer can or did leave unserved)".to_string(),
                _ => String::new(),
            };
            out.push(format!("No {what} chart: it is {shown} in every replication of every variant{why}."));
        }
    }
    out
}
