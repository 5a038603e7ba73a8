//! Steps and routing: per activity its working time (end − start), its waiting time (start −
//! enable, the enable time being the log's or else the previous completion in the case, or
//! the case's arrival for its first activity) and its successors, overall and per customer
//! type, including repetitions (rework loops are transitions back to an earlier activity).
//!
//! Successors are taken within one token of the case: in a case that forks (see `parallel`)
//! the next visit of a branch activity is the next visit of its own branch or the join, not
//! whatever the other branch did in between. A transition whose next visit was enabled later
//! than the previous visit ended (the log's enable time) went through a delay, not a queue:
//! the rework of a file that waits days for the customer's document. Such transitions become
//! `repeat_info` with the fitted delay.
//!
//! Visits of customers who gave up or refused to queue (`Left`) are routed *into* (the step
//! was reached) but have no duration, no wait and no successor: the model's patience and
//! balking produce them.

use std::collections::BTreeMap;

use super::fit::{Fit, fit};
use super::log::{Event, EventLog, Left, NONE};
use super::parallel::{self, Parallel};
use super::pools::WorkClock;
use super::sample::Sample;
use super::speed::{self, Speed};

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

/// A transition that goes through a delay (enable time later than the previous end).
#[derive(Clone, Debug)]
pub struct Delayed {
    pub to: u32,
    /// Transitions to `to` in all, and how many of them were delayed.
    pub transitions: u64,
    pub delayed: u64,
    pub fit: Fit,
}

#[derive(Clone, Debug)]
pub struct StepFacts {
    pub activity: u32,
    pub visits: u64,
    pub fit: Option<Fit>,
    /// Per customer type, where the type's durations differ from the step's (see `by_type`).
    pub fit_for: BTreeMap<u32, Fit>,
    pub wait_sum: f64,
    pub wait_n: u64,
    pub routes: Routes,
    /// Per customer type.
    pub routes_for: BTreeMap<u32, Routes>,
    /// The delayed transition (rework after a delay), if any.
    pub delayed: Option<Delayed>,
    /// Visits that ended with the customer leaving unserved.
    pub left: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Process {
    pub steps: Vec<StepFacts>,
    /// (customer type or NONE, first activity) → cases.
    pub first: BTreeMap<(u32, u32), u64>,
    /// Cases per customer type (NONE: no type).
    pub cases_by_type: BTreeMap<u32, u64>,
    /// Pool index → speed, for pools slower or faster than the reference at shared activities.
    pub speeds: BTreeMap<usize, Speed>,
    pub parallel: Parallel,
}

/// The next visit of the same token after `events[i]`: the first later visit (by start) not in
/// another branch of a block `events[i]` is in. Visits of a branch are skipped by the
/// activity that forks (its successors are the fork's branches) and its predecessors alike.
fn successor(events: &[Event], i: usize, par: &Parallel) -> Option<u32> {
    let a = events[i].activity;
    events[i + 1..].iter().map(|e| e.activity).find(|b| !par.apart(a, *b))
}

/// A type's durations get their own fit when their mean differs from the reference type's by more than
/// 5% and four standard errors (with 30 visits or more): a business customer's 12-minute
/// advice is not the retail customer's 8.
fn by_type(all: &[f64], typed: &[(f64, u32)]) -> BTreeMap<u32, Fit> {
    let mut groups: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
    for (d, t) in typed {
        if *t != NONE {
            groups.entry(*t).or_default().push(*d);
        }
    }
    if groups.len() < 2 {
        return BTreeMap::new();
    }
    // The reference is the type with most visits: the step's own service is its, and the types
    // that differ from it get theirs.
    let Some((&reference, ref_v)) = groups.iter().max_by_key(|(t, v)| (v.len(), std::cmp::Reverse(**t))) else {
        return BTreeMap::new();
    };
    let mean = ref_v.iter().sum::<f64>() / ref_v.len().max(1) as f64;
    let _ = all;
    groups
        .into_iter()
        .filter(|(t, v)| *t != reference && v.len() >= 30)
        .filter_map(|(t, v)| {
            let n = v.len() as f64;
            let m = v.iter().sum::<f64>() / n;
            let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            let differs = (m - mean).abs() > 0.05 * mean && (m - mean).abs() > 4.0 * sd / n.sqrt();
            if differs { fit(&v).map(|f| (t, f)) } else { None }
        })
        .collect()
}

pub fn infer(log: &EventLog, clock: &WorkClock) -> Process {
    let na = log.activities.len();
    let par = parallel::infer(log);
    // (working time, pool, type) of each finished visit, per activity.
    let mut durations: Vec<Sample<(f64, usize, u32)>> = vec![Sample::default(); na];
    // Finished visits per activity and customer type: the true number of observations behind
    // a fit of the (bounded) sample.
    let mut finished: Vec<BTreeMap<u32, u64>> = vec![BTreeMap::new(); na];
    // (from, to) → (transitions, delays)
    let mut gaps: BTreeMap<(u32, u32), (u64, Sample<f64>)> = BTreeMap::new();
    let mut steps: Vec<StepFacts> = (0..na)
        .map(|a| StepFacts {
            activity: a as u32,
            visits: 0,
            fit: None,
            fit_for: BTreeMap::new(),
            wait_sum: 0.0,
            wait_n: 0,
            routes: Routes::default(),
            routes_for: BTreeMap::new(),
            delayed: None,
            left: 0,
        })
        .collect();
    let mut p = Process::default();
    for events in log.by_case() {
        let ty = events[0].ctype;
        *p.cases_by_type.entry(ty).or_default() += 1;
        *p.first.entry((ty, events[0].activity)).or_default() += 1;
        let arrival = log.arrival(&events);
        let mut last_done = arrival;
        for (i, e) in events.iter().enumerate() {
            let s = &mut steps[e.activity as usize];
            s.visits += 1;
            if e.left != Left::No {
                s.left += 1;
                continue;
            }
            if !e.end.is_nan() {
                let d = match log.resumed.get(&e.line) {
                    // Interrupted and resumed: the earlier parts' work plus the last part's.
                    Some((before, last_start)) => before + clock.work(e.resource, *last_start, e.end),
                    None if e.resource == NONE => e.end - e.start,
                    None => clock.work(e.resource, e.start, e.end),
                };
                let pool = if e.resource == NONE { usize::MAX } else { clock.pool(e.resource) };
                durations[e.activity as usize].push((d, pool, ty));
                *finished[e.activity as usize].entry(ty).or_default() += 1;
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
            let next = successor(&events, i, &par);
            let add = |r: &mut Routes| match next {
                Some(n) => *r.next.entry(n).or_default() += 1,
                None => r.ended += 1,
            };
            add(&mut s.routes);
            if ty != NONE {
                add(s.routes_for.entry(ty).or_default());
            }
            // A delay between this visit's end and the next visit's enable time.
            if let (Some(n), false) = (next, e.end.is_nan()) {
                let nx = events[i + 1..].iter().find(|x| x.activity == n);
                if let Some(nx) = nx {
                    let g = gaps.entry((e.activity, n)).or_default();
                    g.0 += 1;
                    if !nx.enable.is_nan() && nx.enable > e.end + 1e-6 {
                        g.1.push(nx.enable - e.end);
                    }
                }
            }
        }
    }
    p.speeds = speed::estimate(
        &durations.iter().map(|v| v.iter().map(|(d, pool, _)| (*d, *pool)).collect()).collect::<Vec<_>>(),
    );
    for ((s, d), counts) in steps.iter_mut().zip(&durations).zip(&finished) {
        // Durations in the reference pools' time: a slower pool's visits divided by its speed.
        let norm: Vec<(f64, u32)> =
            d.iter().map(|(x, pool, t)| (p.speeds.get(pool).map_or(*x, |sp| *x / sp.factor), *t)).collect();
        let all: Vec<f64> = norm.iter().map(|x| x.0).collect();
        s.fit_for = by_type(&all, &norm);
        // The step's own service is for the types without one of their own.
        let rest: Vec<f64> = norm.iter().filter(|(_, t)| !s.fit_for.contains_key(t)).map(|x| x.0).collect();
        s.fit = fit(if rest.is_empty() { &all } else { &rest });
        if (d.len() as u64) < d.seen() {
            // Fitted to a sample: each fit stands for all the visits of its types.
            let own: u64 = counts.iter().filter(|(t, _)| s.fit_for.contains_key(t)).map(|(_, n)| n).sum();
            for (t, f) in s.fit_for.iter_mut() {
                *f = f.clone().of_sample(counts.get(t).copied().unwrap_or(0));
            }
            let total = if rest.is_empty() { d.seen() } else { d.seen() - own };
            s.fit = s.fit.take().map(|f| f.of_sample(total));
        }
    }
    // Delayed transitions: most of them delayed (a queue never delays a transition, the log's
    // enable time is the queue entry), at least 5.
    for ((from, to), (n, ds)) in gaps {
        if ds.seen() < 5 || (ds.seen() as f64) < 0.9 * n as f64 {
            continue;
        }
        let s = &mut steps[from as usize];
        if s.delayed.as_ref().is_some_and(|d| d.delayed >= ds.seen()) {
            continue;
        }
        if let Some(f) = fit(&ds) {
            s.delayed = Some(Delayed { to, transitions: n, delayed: ds.seen(), fit: f.of_sample(ds.seen()) });
        }
    }
    p.steps = steps;
    p.parallel = par;
    p
}
