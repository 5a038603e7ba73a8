//! The first-order Markov baseline the issue measures discovery against: routing by the
//! observed transition frequencies, empirical sojourns and empirical inter-arrival times,
//! no resources and no calendars. A discovered model that is not closer to held-out data than
//! this has learnt nothing a frequency count does not know.
//!
//! A sojourn is the (wait, working time) pair of one observed visit, drawn together: without
//! the waits every simulated case would be far shorter than any real one, a straw man.

use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::{Rng as _, SeedableRng};

use super::log::{Event, EventLog, NONE};

/// A uniform index below `n` (Lemire's multiply-shift; bias below 2⁻⁴⁰ for these sizes).
fn pick(rng: &mut Xoshiro256PlusPlus, n: usize) -> usize {
    ((u128::from(rng.next_u64()) * n as u128) >> 64) as usize
}

/// What the baseline learns from a training log.
pub struct Markov {
    /// Inter-arrival times (minutes), as observed.
    gaps: Vec<f64>,
    /// First activity of each case, as observed (drawn uniformly: frequencies).
    firsts: Vec<u32>,
    /// Per activity: observed successors (`NONE` = the case ended).
    next: Vec<Vec<u32>>,
    /// Per activity: observed (wait, duration) pairs.
    sojourn: Vec<Vec<(f64, f64)>>,
    activities: super::log::Interner,
}

impl Markov {
    pub fn learn(log: &EventLog) -> Markov {
        let na = log.activities.len();
        let mut m = Markov {
            gaps: Vec::new(),
            firsts: Vec::new(),
            next: vec![Vec::new(); na],
            sojourn: vec![Vec::new(); na],
            activities: log.activities.clone(),
        };
        let mut arrivals = Vec::new();
        for evs in log.by_case() {
            let evs: Vec<&Event> = evs.iter().filter(|e| !e.end.is_nan()).collect();
            let Some(first) = evs.first() else { continue };
            arrivals.push(first.start);
            m.firsts.push(first.activity);
            let mut done = first.start;
            for (i, e) in evs.iter().enumerate() {
                m.next[e.activity as usize].push(evs.get(i + 1).map_or(NONE, |n| n.activity));
                m.sojourn[e.activity as usize].push(((e.start - done).max(0.0), e.end - e.start));
                done = done.max(e.end);
            }
        }
        arrivals.sort_by(f64::total_cmp);
        m.gaps = arrivals.windows(2).map(|w| w[1] - w[0]).collect();
        m
    }

    /// A log of cases arriving in [from, until), seeded.
    pub fn simulate(&self, from: f64, until: f64, seed: u64) -> EventLog {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut log = EventLog { activities: self.activities.clone(), ..Default::default() };
        if self.gaps.is_empty() || self.firsts.is_empty() {
            return log;
        }
        let mut t = from;
        let mut id = 0u32;
        while t < until {
            id += 1;
            let case = super::rows::CaseKey::index(id);
            let mut a = self.firsts[pick(&mut rng, self.firsts.len())];
            let mut now = t;
            // A loop cap keeps a pathological training log from running forever.
            for _ in 0..10_000 {
                let so = &self.sojourn[a as usize];
                let (w, d) = so[pick(&mut rng, so.len())];
                let start = now + w;
                log.rows.visit(
                    case,
                    Event {
                        case: 0,
                        activity: a,
                        resource: NONE,
                        start,
                        end: start + d,
                        enable: f64::NAN,
                        left: super::log::Left::No,
                        line: 0,
                        ctype: NONE,
                        arrival: f64::NAN,
                    },
                );
                now = start + d;
                let nx = &self.next[a as usize];
                a = nx[pick(&mut rng, nx.len())];
                if a == NONE {
                    break;
                }
            }
            t += self.gaps[pick(&mut rng, self.gaps.len())];
        }
        log.finish();
        log
    }
}
