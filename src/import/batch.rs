//! Prosimos `batch_processing` → branchsim batch steps, where the two mean the same thing.
//!
//! Prosimos 2.1.0 (`batch_processing.py`, `simulation_engine.py`): the cases of a batched task
//! wait until a firing rule holds, then *one* resource of the task serves the batch.
//! `Parallel`: all cases start together; each takes its own drawn duration × coef(n) × n, where
//! coef(n) comes from `duration_distrib` (the nearest size listed; 1 for n = 1). `Sequential`:
//! the resource serves them one after another, each duration × coef(n). `Concurrent` batches
//! are not executed by 2.1.0. Without firing rules each batch's size is drawn from
//! `size_distrib`; with rules, the probability of its first entry is the share of cases run
//! alone, outside any batch.
//!
//! branchsim's batch step (scenarios/README.md, "Cases and batches") releases its waiting
//! cases by `size` or at clock times, serves the whole batch in one service time and holds no
//! resource. So a `Parallel` batch fired by its size alone is imported as
//! `batch = { size = N, max = N }` with the service scaled by coef(N) × N: each case's time in
//! the step then has Prosimos' distribution. What still differs is named in a warning; every
//! other batch is a warning saying why it is not imported.

use serde_json::Value;

/// A batch branchsim can represent: released at `size` cases, service scaled by `factor`.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    pub size: u32,
    pub factor: f64,
    /// coef(size) from `duration_distrib`.
    pub coef: f64,
    /// Share of cases Prosimos runs alone (outside batches); branchsim batches them all.
    pub alone: f64,
}

/// The batch of one `batch_processing` entry, or why it cannot be imported.
pub fn map(bp: &Value) -> Result<Batch, String> {
    let kind = bp.get("type").and_then(Value::as_str).unwrap_or("");
    match kind {
        "Parallel" => {}
        "Sequential" => {
            return Err("a `Sequential` batch (one resource serves the waiting cases one after another) has no \
                        branchsim equivalent: a batch step serves the whole batch in one service time and holds no resource"
                .into());
        }
        "Concurrent" => return Err("Prosimos 2.1.0 does not execute `Concurrent` batches".into()),
        other => return Err(format!("batch type `{other}` is not one of Parallel, Sequential, Concurrent")),
    }
    let sizes = size_distrib(bp)?;
    let rules = bp.get("firing_rules").and_then(Value::as_array).map_or(&[][..], |v| v.as_slice());
    let (size, alone) = if rules.is_empty() {
        // Each batch's size is drawn from size_distrib: one size only is representable.
        let drawn: Vec<&(u32, f64)> = sizes.iter().filter(|(_, p)| *p > 0.0).collect();
        match drawn.as_slice() {
            [(n, _)] => (*n, 0.0),
            [] => return Err("no firing rule and no size in size_distrib: Prosimos never fires it".into()),
            _ => {
                let list: Vec<String> = drawn.iter().map(|(n, p)| format!("{n} ({p})")).collect();
                return Err(format!(
                    "batch sizes are drawn from size_distrib ({}); a branchsim batch has one size",
                    list.join(", ")
                ));
            }
        }
    } else {
        let n = size_rule(rules)?;
        (n, sizes.first().map_or(0.0, |s| s.1))
    };
    if size < 2 {
        return Err(format!("batches of {size} case are no batches: the task is imported as a normal step"));
    }
    let coef = coefficient(bp, size)?;
    Ok(Batch { size, factor: coef * f64::from(size), coef, alone })
}

/// `[[{attribute: "size", comparison, value}]]`: one rule, on the size alone.
fn size_rule(rules: &[Value]) -> Result<u32, String> {
    let text: Vec<String> = rules
        .iter()
        .map(|and| {
            let parts: Vec<String> = and
                .as_array()
                .map_or(&[][..], |v| v.as_slice())
                .iter()
                .map(|r| {
                    let v = r.get("value").map_or(String::new(), |v| v.to_string().trim_matches('"').to_string());
                    format!(
                        "{} {} {v}",
                        r.get("attribute").and_then(Value::as_str).unwrap_or("?"),
                        r.get("comparison").and_then(Value::as_str).unwrap_or("?")
                    )
                })
                .collect();
            parts.join(" and ")
        })
        .collect();
    let all = text.join(" or ");
    let only = match rules {
        [and] => match and.as_array().map(Vec::as_slice) {
            Some([r]) => Some(r),
            _ => None,
        },
        _ => None,
    };
    let Some(r) = only.filter(|r| r.get("attribute").and_then(Value::as_str) == Some("size")) else {
        return Err(format!(
            "firing rule `{all}`: only a rule on the batch size alone has a branchsim equivalent (`batch.size`); \
             wait-time (ready_wt, large_wt), weekday and hour rules and combinations have none"
        ));
    };
    let v = r.get("value").and_then(|v| v.as_f64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())));
    let n = match (r.get("comparison").and_then(Value::as_str), v) {
        (Some("=" | ">="), Some(v)) if v >= 0.0 && v.fract() == 0.0 => v,
        (Some(">"), Some(v)) if v >= 0.0 && v.fract() == 0.0 => v + 1.0,
        _ => return Err(format!("firing rule `{all}`: only `size = N`, `size >= N` or `size > N` fix a batch size")),
    };
    if n > 1_000_000.0 {
        return Err(format!("firing rule `{all}`: a batch of more than 1,000,000 cases"));
    }
    Ok(n as u32)
}

/// `size_distrib` as (size, probability), in file order.
fn size_distrib(bp: &Value) -> Result<Vec<(u32, f64)>, String> {
    let list = bp.get("size_distrib").and_then(Value::as_array).map_or(&[][..], |v| v.as_slice());
    list.iter()
        .map(|e| {
            let key = e.get("key").and_then(|k| k.as_str().and_then(|s| s.parse().ok()).or_else(|| k.as_u64()));
            let p = e.get("value").and_then(Value::as_f64);
            match (key, p) {
                (Some(k), Some(p)) if k <= 1_000_000 && (0.0..=1.0).contains(&p) => Ok((k as u32, p)),
                _ => Err(format!("size_distrib entry {e} is not {{\"key\": \"N\", \"value\": probability}}")),
            }
        })
        .collect()
}

/// coef(n): the `duration_distrib` value of size n, else of the nearest size listed (the
/// smaller on a tie, as Prosimos' scan finds it); 1 for a size with none listed at all.
fn coefficient(bp: &Value, n: u32) -> Result<f64, String> {
    let list = bp.get("duration_distrib").and_then(Value::as_array).map_or(&[][..], |v| v.as_slice());
    let mut coefs: Vec<(u32, f64)> = vec![(1, 1.0)];
    for e in list {
        let key = e.get("key").and_then(|k| k.as_str().and_then(|s| s.parse().ok()).or_else(|| k.as_u64()));
        match (key, e.get("value").and_then(Value::as_f64)) {
            (Some(k), Some(c)) if k <= 1_000_000 && c.is_finite() && c > 0.0 => {
                coefs.retain(|x| x.0 != k as u32);
                coefs.push((k as u32, c));
            }
            _ => return Err(format!("duration_distrib entry {e} is not {{\"key\": \"N\", \"value\": factor > 0}}")),
        }
    }
    coefs.sort_by_key(|c| c.0);
    let best = coefs.iter().min_by_key(|c| c.0.abs_diff(n)).map_or(1.0, |c| c.1);
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parallel_batch_by_size_maps_with_the_scaled_duration() {
        let bp = json!({"task_id": "t", "type": "Parallel",
            "size_distrib": [{"key": "1", "value": 0.0}, {"key": "3", "value": 1.0}],
            "duration_distrib": [{"key": "3", "value": 0.5}],
            "firing_rules": [[{"attribute": "size", "comparison": ">=", "value": 3}]]});
        assert_eq!(map(&bp).unwrap(), Batch { size: 3, factor: 1.5, coef: 0.5, alone: 0.0 });
        let mut gt = bp.clone();
        gt["firing_rules"] = json!([[{"attribute": "size", "comparison": ">", "value": 3}]]);
        // Size 4 is not listed: the nearest, 3, gives the coefficient.
        assert_eq!(map(&gt).unwrap().size, 4);
        assert_eq!(map(&gt).unwrap().coef, 0.5);
        // Without rules, one size drawn with probability 1.
        let mut drawn = bp.clone();
        drawn["firing_rules"] = json!([]);
        drawn["size_distrib"] = json!([{"key": "4", "value": 1.0}]);
        assert_eq!(map(&drawn).unwrap().size, 4);
    }

    #[test]
    fn what_has_no_equivalent_says_why() {
        let base = json!({"task_id": "t", "type": "Parallel", "size_distrib": [], "duration_distrib": [],
            "firing_rules": [[{"attribute": "size", "comparison": "=", "value": 2}]]});
        let with = |k: &str, v: Value| {
            let mut b = base.clone();
            b[k] = v;
            map(&b).unwrap_err()
        };
        assert!(with("type", json!("Sequential")).contains("one after another"));
        assert!(with("type", json!("Concurrent")).contains("does not execute"));
        let e = with("firing_rules", json!([[{"attribute": "ready_wt", "comparison": ">", "value": 3600}]]));
        assert!(e.contains("`ready_wt > 3600`") && e.contains("size alone"), "{e}");
        let e = with(
            "firing_rules",
            json!([[{"attribute": "size", "comparison": ">=", "value": 2}, {"attribute": "daily_hour", "comparison": ">", "value": 9}]]),
        );
        assert!(e.contains("size >= 2 and daily_hour > 9"), "{e}");
        assert!(
            with("firing_rules", json!([[{"attribute": "size", "comparison": "<", "value": 5}]]))
                .contains("fix a batch size")
        );
        let mut b = base.clone();
        b["firing_rules"] = json!([]);
        b["size_distrib"] = json!([{"key": "2", "value": 0.5}, {"key": "3", "value": 0.5}]);
        assert!(map(&b).unwrap_err().contains("2 (0.5), 3 (0.5)"));
    }
}
