//! Patience from tickets that left unserved, with the served ones as censored observations:
//! a served customer was still patient after waiting `wait`, so her patience is only known
//! to exceed it. Ignoring this (averaging only the abandonments) would make customers look
//! far less patient than they are.

use std::collections::BTreeMap;

use super::log::{EventLog, Left, PatienceObs};

#[derive(Clone, Debug)]
pub struct Patience {
    pub abandoned: usize,
    pub censored: usize,
    /// Kaplan–Meier median, if the survival curve falls to one half within the data.
    pub km_median: Option<f64>,
    /// Exponential maximum-likelihood mean under censoring: total time at risk / events.
    pub exp_mean: f64,
}

/// Kaplan–Meier survival curve: (time, S(time)) after each distinct event time.
pub fn kaplan_meier(obs: &[PatienceObs]) -> Vec<(f64, f64)> {
    let mut v: Vec<PatienceObs> = obs.to_vec();
    // Events before censorings at equal times (the usual convention).
    v.sort_by(|a, b| a.wait.total_cmp(&b.wait).then(b.abandoned.cmp(&a.abandoned)));
    let mut at_risk = v.len() as f64;
    let mut s = 1.0;
    let mut curve = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let t = v[i].wait;
        let (mut d, mut c) = (0.0, 0.0);
        while i < v.len() && v[i].wait == t {
            if v[i].abandoned {
                d += 1.0;
            } else {
                c += 1.0;
            }
            i += 1;
        }
        if d > 0.0 {
            s *= 1.0 - d / at_risk;
            curve.push((t, s));
        }
        at_risk -= d + c;
    }
    curve
}

pub fn estimate(obs: &[PatienceObs]) -> Option<Patience> {
    let abandoned = obs.iter().filter(|o| o.abandoned).count();
    if abandoned == 0 {
        return None;
    }
    let total: f64 = obs.iter().map(|o| o.wait).sum();
    let curve = kaplan_meier(obs);
    let km_median = curve.iter().find(|(_, s)| *s <= 0.5).map(|(t, _)| *t);
    Some(Patience { abandoned, censored: obs.len() - abandoned, km_median, exp_mean: total / abandoned as f64 })
}

/// Patience per customer type (`NONE`: no type), for the types with any abandonment.
pub fn by_type(obs: &[PatienceObs]) -> BTreeMap<u32, Patience> {
    let mut groups: BTreeMap<u32, Vec<PatienceObs>> = BTreeMap::new();
    for o in obs {
        groups.entry(o.ctype).or_default().push(*o);
    }
    groups.into_iter().filter_map(|(t, v)| Some((t, estimate(&v)?))).collect()
}

/// Balking per customer type: the engine turns a customer away when the step's queue holds
/// `balk_at` or more, so the limit is the shortest queue any balking customer of the type
/// saw (queues rebuilt from the log: +1 at a visit's enable time, −1 when served or gone).
/// Returns (limit, balks) per type with balks.
pub fn balk_limits(log: &EventLog) -> BTreeMap<u32, (u32, u64)> {
    // (step, time, order, delta or balk) — at equal times departures first, then balks.
    let mut marks: Vec<(u32, f64, u8, u32)> = Vec::new();
    for e in &log.events {
        let ty = log.case_type[e.case as usize];
        match e.left {
            Left::Balked => marks.push((e.activity, e.end, 1, ty)),
            Left::Abandoned if !e.enable.is_nan() => {
                marks.push((e.activity, e.enable, 2, u32::MAX));
                marks.push((e.activity, e.end, 0, u32::MAX));
            }
            Left::No if !e.enable.is_nan() && e.start > e.enable => {
                marks.push((e.activity, e.enable, 2, u32::MAX));
                marks.push((e.activity, e.start, 0, u32::MAX));
            }
            _ => {}
        }
    }
    if !marks.iter().any(|m| m.2 == 1) {
        return BTreeMap::new();
    }
    marks.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut out: BTreeMap<u32, (u32, u64)> = BTreeMap::new();
    let mut step = u32::MAX;
    let mut queue: i64 = 0;
    for (s, _, kind, ty) in marks {
        if s != step {
            (step, queue) = (s, 0);
        }
        match kind {
            0 => queue -= 1,
            2 => queue += 1,
            _ => {
                let e = out.entry(ty).or_insert((u32::MAX, 0));
                e.0 = e.0.min(queue.max(0) as u32);
                e.1 += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(wait: f64, abandoned: bool) -> PatienceObs {
        PatienceObs { wait, abandoned, ctype: crate::discover::log::NONE }
    }

    #[test]
    fn censoring_is_taken_into_account() {
        // Textbook example: events at 1, 3; censored at 2, 4. S(1) = 3/4, S(3) = 3/4 · 1/2.
        let c = kaplan_meier(&[o(1.0, true), o(2.0, false), o(3.0, true), o(4.0, false)]);
        assert_eq!(c, vec![(1.0, 0.75), (3.0, 0.375)]);
        let p = estimate(&[o(1.0, true), o(2.0, false), o(3.0, true), o(4.0, false)]).unwrap();
        assert_eq!(p.km_median, Some(3.0));
        assert_eq!(p.exp_mean, 5.0, "10 minutes at risk over 2 abandonments");
        assert!(estimate(&[o(1.0, false)]).is_none());
    }
}
