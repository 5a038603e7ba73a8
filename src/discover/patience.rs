//! Patience from tickets that left unserved, with the served ones as censored observations:
//! a served customer was still patient after waiting `wait`, so her patience is only known
//! to exceed it. Ignoring this (averaging only the abandonments) would make customers look
//! far less patient than they are.

use std::collections::BTreeMap;

use super::log::{EventLog, Left, PatienceObs};
use super::spill::{Record, Sorter, f64_at, u32_at};

#[derive(Clone, Debug)]
pub struct Patience {
    pub abandoned: usize,
    pub censored: usize,
    /// Kaplan–Meier median, if the survival curve falls to one half within the data.
    pub km_median: Option<f64>,
    /// Exponential maximum-likelihood mean under censoring: total time at risk / events.
    pub exp_mean: f64,
}

impl Record for PatienceObs {
    const SIZE: usize = 13;

    fn write(&self, o: &mut [u8]) {
        o[0..8].copy_from_slice(&self.wait.to_bits().to_le_bytes());
        o[8] = u8::from(self.abandoned);
        o[9..13].copy_from_slice(&self.ctype.to_le_bytes());
    }

    fn read(b: &[u8]) -> Self {
        PatienceObs { wait: f64_at(b, 0), abandoned: b[8] == 1, ctype: u32_at(b, 9) }
    }

    /// Type, then wait, events before censorings at equal waits (the usual convention).
    fn order(&self, o: &Self) -> std::cmp::Ordering {
        self.ctype.cmp(&o.ctype).then(self.wait.total_cmp(&o.wait)).then(o.abandoned.cmp(&self.abandoned))
    }
}

/// Kaplan–Meier survival curve of `n` observations given in order of wait (events before
/// censorings at equal waits): (time, S(time)) after each distinct event time, as they come.
fn km_steps(n: usize, sorted: impl Iterator<Item = PatienceObs>, mut step: impl FnMut(f64, f64)) {
    let mut at_risk = n as f64;
    let mut s = 1.0;
    let mut it = sorted.peekable();
    while let Some(first) = it.next() {
        let t = first.wait;
        let (mut d, mut c) = if first.abandoned { (1.0, 0.0) } else { (0.0, 1.0) };
        while let Some(o) = it.next_if(|o| o.wait == t) {
            if o.abandoned {
                d += 1.0;
            } else {
                c += 1.0;
            }
        }
        if d > 0.0 {
            s *= 1.0 - d / at_risk;
            step(t, s);
        }
        at_risk -= d + c;
    }
}

/// Kaplan–Meier survival curve: (time, S(time)) after each distinct event time.
pub fn kaplan_meier(obs: &[PatienceObs]) -> Vec<(f64, f64)> {
    let mut v: Vec<PatienceObs> = obs.iter().map(|o| PatienceObs { ctype: 0, ..*o }).collect();
    v.sort_by(PatienceObs::order);
    let mut curve = Vec::new();
    km_steps(v.len(), v.into_iter(), |t, s| curve.push((t, s)));
    curve
}

/// Observations, abandonments and total wait (summed in the order given) of a group.
#[derive(Clone, Copy, Default)]
struct Totals {
    n: usize,
    abandoned: usize,
    wait: f64,
}

impl Totals {
    fn add(&mut self, o: &PatienceObs) {
        self.n += 1;
        self.abandoned += usize::from(o.abandoned);
        self.wait += o.wait;
    }

    /// The estimate, given the group's observations in order of wait.
    fn estimate(self, sorted: impl Iterator<Item = PatienceObs>) -> Option<Patience> {
        if self.abandoned == 0 {
            return None;
        }
        let mut km_median = None;
        km_steps(self.n, sorted, |t, s| {
            if s <= 0.5 && km_median.is_none() {
                km_median = Some(t);
            }
        });
        Some(Patience {
            abandoned: self.abandoned,
            censored: self.n - self.abandoned,
            km_median,
            exp_mean: self.wait / self.abandoned as f64,
        })
    }
}

/// The patience of all observations. They stream through a `spill::Sorter` (ordered by
/// wait), so a ticket export of millions of customers costs a buffer, not a vector.
pub fn estimate(obs: impl IntoIterator<Item = PatienceObs>) -> Option<Patience> {
    let mut t = Totals::default();
    let mut sorter = Sorter::new(super::events::buffer_events());
    for o in obs {
        t.add(&o);
        // One group: the type left out of the order.
        sorter.push(PatienceObs { ctype: 0, ..o });
    }
    if t.abandoned == 0 {
        return None;
    }
    t.estimate(sorter.drain())
}

/// Patience per customer type (`NONE`: no type), for the types with any abandonment.
pub fn by_type(obs: impl IntoIterator<Item = PatienceObs>) -> BTreeMap<u32, Patience> {
    let mut totals: BTreeMap<u32, Totals> = BTreeMap::new();
    let mut sorter = Sorter::new(super::events::buffer_events());
    for o in obs {
        totals.entry(o.ctype).or_default().add(&o);
        sorter.push(o);
    }
    let mut out = BTreeMap::new();
    let mut sorted = sorter.drain();
    for (ty, t) in totals {
        let group = std::iter::from_fn(|| sorted.next_if(|o| o.ctype == ty));
        if let Some(p) = t.estimate(group) {
            out.insert(ty, p);
        } else {
            // Skip the group's observations.
            while sorted.next_if(|o| o.ctype == ty).is_some() {}
        }
    }
    out
}

/// A change of a step's queue rebuilt from the log: `kind` 0 a departure (served or gone), 1 a
/// balk (of customer type `ctype`), 2 an arrival. Sorted by step, time and kind: at equal
/// times departures first, then balks.
#[derive(Clone, Copy)]
struct Mark {
    step: u32,
    time: f64,
    kind: u8,
    ctype: u32,
}

impl Record for Mark {
    const SIZE: usize = 17;

    fn write(&self, o: &mut [u8]) {
        o[0..4].copy_from_slice(&self.step.to_le_bytes());
        o[4..12].copy_from_slice(&self.time.to_bits().to_le_bytes());
        o[12] = self.kind;
        o[13..17].copy_from_slice(&self.ctype.to_le_bytes());
    }

    fn read(b: &[u8]) -> Self {
        Mark { step: u32_at(b, 0), time: f64_at(b, 4), kind: b[12], ctype: u32_at(b, 13) }
    }

    fn order(&self, o: &Self) -> std::cmp::Ordering {
        self.step.cmp(&o.step).then(self.time.total_cmp(&o.time)).then(self.kind.cmp(&o.kind))
    }
}

/// Balking per customer type: the engine turns a customer away when the step's queue holds
/// `balk_at` or more, so the limit is the shortest queue any balking customer of the type
/// saw (queues rebuilt from the log: +1 at a visit's enable time, −1 when served or gone).
/// Returns (limit, balks) per type with balks. The marks stream through a `spill::Sorter`:
/// memory is its buffer, not two marks per visit.
pub fn balk_limits(log: &EventLog) -> BTreeMap<u32, (u32, u64)> {
    let mut marks = Sorter::new(super::events::buffer_events());
    let mut balks = 0u64;
    let mark = |step, time, kind, ctype| Mark { step, time, kind, ctype };
    for e in &log.events {
        match e.left {
            Left::Balked => {
                balks += 1;
                marks.push(mark(e.activity, e.end, 1, e.ctype));
            }
            Left::Abandoned if !e.enable.is_nan() => {
                marks.push(mark(e.activity, e.enable, 2, u32::MAX));
                marks.push(mark(e.activity, e.end, 0, u32::MAX));
            }
            Left::No if !e.enable.is_nan() && e.start > e.enable => {
                marks.push(mark(e.activity, e.enable, 2, u32::MAX));
                marks.push(mark(e.activity, e.start, 0, u32::MAX));
            }
            _ => {}
        }
    }
    if balks == 0 {
        return BTreeMap::new();
    }
    let mut out: BTreeMap<u32, (u32, u64)> = BTreeMap::new();
    let mut step = u32::MAX;
    let mut queue: i64 = 0;
    let mut sorted = marks.drain();
    for m in sorted.by_ref() {
        if m.step != step {
            (step, queue) = (m.step, 0);
        }
        match m.kind {
            0 => queue -= 1,
            2 => queue += 1,
            _ => {
                let e = out.entry(m.ctype).or_insert((u32::MAX, 0));
                e.0 = e.0.min(queue.max(0) as u32);
                e.1 += 1;
            }
        }
    }
    if let Some(e) = sorted.error {
        log.events.fail(e);
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
        let p = estimate([o(1.0, true), o(2.0, false), o(3.0, true), o(4.0, false)]).unwrap();
        assert_eq!(p.km_median, Some(3.0));
        assert_eq!(p.exp_mean, 5.0, "10 minutes at risk over 2 abandonments");
        assert!(estimate([o(1.0, false)]).is_none());
    }
}
