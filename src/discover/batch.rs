//! Batch steps: an activity without a resource whose visits start and end together in groups
//! (a credit committee deciding the files of the week at one sitting). The log shows a batch as
//! visits of one activity with identical start and end times. When most releases happen at one
//! clock time, the step is a timed batch (`batch = { at }`) on the weekdays releases were seen;
//! its service is fitted to one duration per release (the sitting), not per visit, as the
//! engine draws it once per batch.

use std::collections::BTreeMap;

use super::fit::{Fit, fit};
use super::log::{EventLog, Left, NONE};
use super::time;

#[derive(Clone, Debug)]
pub struct Batch {
    pub activity: u32,
    /// Release clock time (minutes after midnight).
    pub at: f64,
    /// Weekdays (Monday first) with releases.
    pub days: [bool; 7],
    pub releases: u64,
    /// Releases at `at`, out of `releases`.
    pub on_time: u64,
    pub mean_size: f64,
    pub fit: Option<Fit>,
}

pub fn infer(log: &EventLog) -> Vec<Batch> {
    // activity → (start, end) → visits; activities with a resource are not batches.
    let mut groups: BTreeMap<u32, BTreeMap<(u64, u64), u64>> = BTreeMap::new();
    let mut staffed = vec![false; log.activities.len()];
    for e in &log.events {
        if e.resource != NONE {
            staffed[e.activity as usize] = true;
        }
    }
    // Only unstaffed activities are grouped: a map entry per distinct (start, end) of every
    // staffed visit would hold memory in proportion to the log (issue #23).
    for e in &log.events {
        if e.left == Left::No && !e.end.is_nan() && !staffed[e.activity as usize] {
            *groups.entry(e.activity).or_default().entry((e.start.to_bits(), e.end.to_bits())).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    for (a, g) in groups {
        if staffed[a as usize] {
            continue;
        }
        let visits: u64 = g.values().sum();
        let grouped: u64 = g.values().filter(|n| **n >= 2).sum();
        // Most visits shared their times with another: a batch, not a coincidence.
        if g.len() < 5 || (grouped as f64) < 0.5 * visits as f64 {
            continue;
        }
        let mut clocks: BTreeMap<u64, u64> = BTreeMap::new();
        let mut days = [false; 7];
        let mut sittings = Vec::new();
        for (s, e) in g.keys() {
            let (s, e) = (f64::from_bits(*s), f64::from_bits(*e));
            *clocks.entry(time::clock(s).round() as u64).or_default() += 1;
            days[time::weekday(s)] = true;
            sittings.push(e - s);
        }
        let Some((&at, &on_time)) = clocks.iter().max_by_key(|(_, n)| **n) else { continue };
        if (on_time as f64) < 0.9 * g.len() as f64 {
            continue;
        }
        out.push(Batch {
            activity: a,
            at: at as f64,
            days,
            releases: g.len() as u64,
            on_time,
            mean_size: visits as f64 / g.len() as f64,
            fit: fit(&sittings),
        });
    }
    out
}
