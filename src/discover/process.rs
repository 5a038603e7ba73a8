//! Steps and routing: per activity its working time (end − start), its waiting time (start −
//! enable, the enable time being the log's or else the previous completion in the case, or
//! the case's arrival for its first activity) and its successors, overall and per customer
//! type, including repetitions (rework loops are transitions back to an earlier activity).

use std::collections::BTreeMap;

use super::fit::{Fit, fit};
use super::log::{EventLog, NONE};
use super::pools::WorkClock;

#[derive(Clone, Debug, Default)]
pub struct Routes {
    /// Successor activity → count.
    pub next: BTreeMap<u32, u64>,
    /// Cases that ended after this activity.
    pub ended: u64,
}

impl Routes {
    pub fn total(&self) -> u64 {
        self.next.values().sum::<u64>() + self.ended
    }
}

#[derive(Clone, Debug)]
pub struct StepFacts {
    pub activity: u32,
    pub visits: u64,
    pub fit: Option<Fit>,
    pub wait_sum: f64,
    pub wait_n: u64,
    pub routes: Routes,
    /// Per customer type.
    pub routes_for: BTreeMap<u32, Routes>,
}

#[derive(Clone, Debug, Default)]
pub struct Process {
    pub steps: Vec<StepFacts>,
    /// (customer type or NONE, first activity) → cases.
    pub first: BTreeMap<(u32, u32), u64>,
    /// Cases per customer type (NONE: no type).
    pub cases_by_type: BTreeMap<u32, u64>,
}

pub fn infer(log: &EventLog, clock: &WorkClock) -> Process {
    let na = log.activities.len();
    let mut durations: Vec<Vec<f64>> = vec![Vec::new(); na];
    let mut steps: Vec<StepFacts> = (0..na)
        .map(|a| StepFacts {
            activity: a as u32,
            visits: 0,
            fit: None,
            wait_sum: 0.0,
            wait_n: 0,
            routes: Routes::default(),
            routes_for: BTreeMap::new(),
        })
        .collect();
    let mut p = Process::default();
    for events in log.by_case() {
        let ty = log.case_type[events[0].case as usize];
        *p.cases_by_type.entry(ty).or_default() += 1;
        *p.first.entry((ty, events[0].activity)).or_default() += 1;
        let arrival = log.arrival(events);
        let mut last_done = arrival;
        for (i, e) in events.iter().enumerate() {
            let s = &mut steps[e.activity as usize];
            s.visits += 1;
            if !e.end.is_nan() {
                durations[e.activity as usize].push(if e.resource == NONE {
                    e.end - e.start
                } else {
                    clock.work(e.resource, e.start, e.end)
                });
            }
            let enable = if e.enable.is_nan() { last_done.min(e.start) } else { e.enable };
            if e.start >= enable {
                s.wait_sum += e.start - enable;
                s.wait_n += 1;
            }
            // Previous completion: the latest end among events that ended by this start.
            if !e.end.is_nan() {
                last_done = last_done.max(e.end);
            }
            let next = events.get(i + 1).map(|n| n.activity);
            let add = |r: &mut Routes| match next {
                Some(n) => *r.next.entry(n).or_default() += 1,
                None => r.ended += 1,
            };
            add(&mut s.routes);
            if ty != NONE {
                add(s.routes_for.entry(ty).or_default());
            }
        }
    }
    for (s, d) in steps.iter_mut().zip(&durations) {
        s.fit = fit(d);
    }
    p.steps = steps;
    p
}
