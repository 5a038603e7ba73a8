//! Arrival times a log does not record, bounded by the queue discipline it shows.
//!
//! Most event logs record starts and ends but no arrival or enable time. The first visit of a
//! case then has no visible wait, and taking its start as the arrival is wrong whenever its
//! pool had a queue: the case had been waiting in it. Simulated with that arrival, the case
//! queues a second time behind the same backlog, so first starts come a whole backlog late
//! (the loan log of `../shared/logs` waits a mean 170 h before its first activity).
//!
//! Later visits do show their wait (enable = previous completion in the case). When a pool
//! serves those first come, first served (hardly any visit starts before one enabled earlier
//! that was still waiting), the pool's queue is FIFO, and a first visit that starts at `s`
//! entered it:
//! - no later than the earliest enable time among the visits waiting at `s` that start after
//!   it (it was ahead of them: `upper`), and
//! - no earlier than the latest enable time among the visits started before `s` (had it been
//!   waiting before them, it would have been served first: `lower`).
//!
//! The arrival is the middle of that interval, at most `s`; without a visit waiting at `s`
//! there was no queue to wait in, and the arrival stays the start. Pools that are not FIFO
//! (priorities, skills, or delays that look like waits) keep first starts as arrivals: the
//! bound would not hold. Whether hidden waits should instead be served before later steps
//! (a priority) is what the FIFO check decides: a pool with priority for first visits would
//! not be FIFO among the others either, but the loan log's later visits never overtake each
//! other (0 of 3,159) while 990 of its 1,000 first visits start with earlier-enabled visits
//! waiting, exactly as a FIFO queue with hidden arrivals does.

use std::cmp::Ordering;

use super::log::{EventLog, Left, NONE};
use super::pools::{Pool, WorkClock};
use super::spill::{Record, Sorter, f64_at, u32_at};

/// Most overtakes among visits with a visible wait for a pool still to count as FIFO: a few
/// from logging noise (equal timestamps, a visit started by hand), not a rule.
const MAX_OVERTAKE_SHARE: f64 = 0.02;
/// Visits with a visible wait needed to judge a pool's discipline.
const MIN_VISITS: usize = 30;

/// What the inference did, for the scenario's comments.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Cases whose arrival was moved before their first start.
    pub moved: u64,
    /// Cases whose arrival was not recorded.
    pub hidden: u64,
    /// Mean first wait of the moved cases (minutes).
    pub mean_wait: f64,
    /// Per pool judged: (pool name, visits with a visible wait, of which overtook, FIFO).
    pub pools: Vec<(String, u64, u64, bool)>,
}

/// A visit with a visible wait in a pool. `ORDER` is its sort: `BY_ENABLE` (pool, enable,
/// start) for the FIFO check, `BY_START` (pool, start) and `BY_START_DESC` (pool, start
/// descending) for the bounds.
#[derive(Clone, Copy, Debug)]
struct Visit<const ORDER: u8> {
    pool: u32,
    enable: f64,
    start: f64,
}

const BY_ENABLE: u8 = 0;
const BY_START: u8 = 1;
const BY_START_DESC: u8 = 2;

impl<const ORDER: u8> Record for Visit<ORDER> {
    const SIZE: usize = 20;

    fn write(&self, o: &mut [u8]) {
        o[0..4].copy_from_slice(&self.pool.to_le_bytes());
        o[4..12].copy_from_slice(&self.enable.to_bits().to_le_bytes());
        o[12..20].copy_from_slice(&self.start.to_bits().to_le_bytes());
    }

    fn read(b: &[u8]) -> Self {
        Visit { pool: u32_at(b, 0), enable: f64_at(b, 4), start: f64_at(b, 12) }
    }

    fn order(&self, o: &Self) -> Ordering {
        let by = self.pool.cmp(&o.pool);
        match ORDER {
            BY_ENABLE => by.then(self.enable.total_cmp(&o.enable)).then(self.start.total_cmp(&o.start)),
            BY_START => by.then(self.start.total_cmp(&o.start)),
            _ => by.then(o.start.total_cmp(&self.start)),
        }
    }
}

/// A first visit without a recorded arrival; `upper` is its FIFO upper bound once known.
/// Sorted by pool and start, descending when `DESC`; equal starts in case order.
#[derive(Clone, Copy, Debug)]
struct First<const DESC: bool> {
    pool: u32,
    start: f64,
    case: u32,
    upper: f64,
}

impl<const DESC: bool> Record for First<DESC> {
    const SIZE: usize = 24;

    fn write(&self, o: &mut [u8]) {
        o[0..4].copy_from_slice(&self.pool.to_le_bytes());
        o[4..12].copy_from_slice(&self.start.to_bits().to_le_bytes());
        o[12..16].copy_from_slice(&self.case.to_le_bytes());
        o[16..24].copy_from_slice(&self.upper.to_bits().to_le_bytes());
    }

    fn read(b: &[u8]) -> Self {
        First { pool: u32_at(b, 0), start: f64_at(b, 4), case: u32_at(b, 12), upper: f64_at(b, 16) }
    }

    fn order(&self, o: &Self) -> Ordering {
        let (a, b) = if DESC { (o, self) } else { (self, o) };
        self.pool.cmp(&o.pool).then(a.start.total_cmp(&b.start)).then(a.case.cmp(&b.case))
    }
}

/// A case's arrival found from the FIFO bounds.
#[derive(Clone, Copy)]
struct Moved {
    case: u32,
    arrival: f64,
}

impl Record for Moved {
    const SIZE: usize = 12;

    fn write(&self, o: &mut [u8]) {
        o[0..4].copy_from_slice(&self.case.to_le_bytes());
        o[4..12].copy_from_slice(&self.arrival.to_bits().to_le_bytes());
    }

    fn read(b: &[u8]) -> Self {
        Moved { case: u32_at(b, 0), arrival: f64_at(b, 4) }
    }

    fn order(&self, o: &Self) -> Ordering {
        self.case.cmp(&o.case)
    }
}

/// Sets the recorded arrival (`Event::arrival`) of cases whose arrival the log does not record (no ticket issue
/// time, no enable time on the first visit) from the FIFO bounds of their first visit's pool.
///
/// The visits and first visits go through `spill::Sorter`s (a few megabytes of buffer
/// whatever the size of the log): one order per sweep, each sweep a merge of two sorted
/// streams, so the result is the same as sorting vectors in memory, which small logs do.
pub fn infer(log: &mut EventLog, pools: &[Pool]) -> Summary {
    let mut sum = Summary::default();
    if log.tickets || pools.is_empty() {
        return sum;
    }
    let clock = WorkClock::new(log, pools);
    let cap = super::events::buffer_events();
    let mut by_enable = Sorter::<Visit<BY_ENABLE>>::new(cap);
    let mut by_start = Sorter::<Visit<BY_START>>::new(cap);
    let mut by_start_desc = Sorter::<Visit<BY_START_DESC>>::new(cap);
    let mut firsts = Sorter::<First<true>>::new(cap);
    let mut visits = vec![0u64; pools.len()];
    for events in log.by_case() {
        let c = events[0].case;
        let recorded = !events[0].arrival.is_nan() || events.iter().any(|e| !e.enable.is_nan());
        let mut last_done = f64::NAN;
        for (i, e) in events.iter().enumerate() {
            let pool = if e.resource == NONE { usize::MAX } else { clock.pool(e.resource) };
            if i == 0 && !recorded {
                sum.hidden += 1;
                if pool != usize::MAX && e.left == Left::No {
                    firsts.push(First { pool: pool as u32, start: e.start, case: c, upper: f64::INFINITY });
                }
            } else if e.left == Left::No && pool != usize::MAX {
                let enable = if e.enable.is_nan() { last_done } else { e.enable };
                if enable <= e.start {
                    let (pool, start) = (pool as u32, e.start);
                    by_enable.push(Visit { pool, enable, start });
                    by_start.push(Visit { pool, enable, start });
                    by_start_desc.push(Visit { pool, enable, start });
                    visits[pool as usize] += 1;
                }
            }
            if !e.end.is_nan() {
                last_done = if last_done.is_nan() { e.end } else { last_done.max(e.end) };
            }
        }
    }
    // Per pool: FIFO or not.
    let mut over = vec![Overtakes::default(); pools.len()];
    let mut sorted = by_enable.drain();
    sorted.by_ref().for_each(|v| over[v.pool as usize].push(v.enable, v.start));
    fail(log, sorted.error);
    let mut fifo = vec![false; pools.len()];
    for (p, n) in visits.iter().enumerate() {
        if (*n as usize) < MIN_VISITS {
            continue;
        }
        let over = over[p].finish();
        fifo[p] = (over as f64) <= MAX_OVERTAKE_SHARE * *n as f64;
        sum.pools.push((pools[p].name.clone(), *n, over, fifo[p]));
    }
    // Upper bounds, sweeping starts downwards: the earliest enable among later starts.
    let mut bounded = Sorter::<First<false>>::new(cap);
    let mut vs = by_start_desc.drain();
    let mut fs = firsts.drain();
    let (mut pool, mut min_after) = (u32::MAX, f64::INFINITY);
    for f in fs.by_ref().filter(|f| fifo[f.pool as usize]) {
        if f.pool != pool {
            (pool, min_after) = (f.pool, f64::INFINITY);
        }
        while let Some(v) = vs.next_if(|v| v.pool < f.pool || (v.pool == f.pool && v.start > f.start)) {
            if v.pool == f.pool {
                min_after = min_after.min(v.enable);
            }
        }
        bounded.push(First { pool: f.pool, start: f.start, case: f.case, upper: min_after });
    }
    fail(log, fs.error.take().or(vs.error.take()));
    // Arrivals, sweeping starts upwards: between the latest enable among earlier starts and the
    // upper bound. First visits are FIFO among themselves too: arrivals in the order of the starts.
    let mut vs = by_start.drain();
    let mut fs = bounded.drain();
    let (mut pool, mut max_before, mut floor) = (u32::MAX, f64::NEG_INFINITY, f64::NEG_INFINITY);
    let mut waits = 0.0;
    let mut moved = Sorter::<Moved>::new(cap);
    for f in fs.by_ref() {
        if f.pool != pool {
            (pool, max_before, floor) = (f.pool, f64::NEG_INFINITY, f64::NEG_INFINITY);
        }
        while let Some(v) = vs.next_if(|v| v.pool < f.pool || (v.pool == f.pool && v.start < f.start)) {
            if v.pool == f.pool {
                max_before = max_before.max(v.enable);
            }
        }
        let a = arrival(f.start, max_before, f.upper).max(floor).min(f.start);
        floor = a;
        if a < f.start {
            moved.push(Moved { case: f.case, arrival: a });
            sum.moved += 1;
            waits += f.start - a;
        }
    }
    fail(log, fs.error.take().or(vs.error.take()));
    // The arrivals found go on the events of their cases: one pass in case order.
    let mut moved = moved.drain();
    let mut next = moved.next();
    log.events.rewrite(|e| {
        while next.is_some_and(|m| m.case < e.case) {
            next = moved.next();
        }
        if let Some(m) = next.filter(|m| m.case == e.case) {
            e.arrival = m.arrival;
        }
    });
    fail(log, moved.error.take());
    if sum.moved > 0 {
        sum.mean_wait = waits / sum.moved as f64;
    }
    sum
}

fn fail(log: &EventLog, e: Option<std::io::Error>) {
    if let Some(e) = e {
        log.events.fail(e);
    }
}

/// The arrival of a first visit started at `s`, given the latest enable time among the visits
/// started before it (`lower`) and the earliest among those started after it (`upper`): its
/// start when no visit was waiting at `s`.
fn arrival(s: f64, lower: f64, upper: f64) -> f64 {
    if upper >= s {
        return s;
    }
    if lower.is_finite() && lower <= upper { (lower + upper) / 2.0 } else { upper }
}

/// Visits that started before a visit enabled strictly earlier had started (it was already
/// waiting when they were enabled), counted over the visits of a pool pushed in order of
/// (enable, start).
#[derive(Clone, Debug)]
struct Overtakes {
    n: u64,
    /// Latest start among visits enabled strictly before the current group's enable time.
    before: f64,
    /// The current group of visits enabled within `EPS` of its first: its first enable time
    /// and latest start.
    group: Option<(f64, f64)>,
}

impl Default for Overtakes {
    fn default() -> Self {
        Overtakes { n: 0, before: f64::NEG_INFINITY, group: None }
    }
}

impl Overtakes {
    const EPS: f64 = 1e-6;

    fn push(&mut self, enable: f64, start: f64) {
        match &mut self.group {
            Some((first, latest)) if enable <= *first + Self::EPS => *latest = latest.max(start),
            _ => {
                if let Some((_, latest)) = self.group {
                    self.before = self.before.max(latest);
                }
                self.group = Some((enable, start));
            }
        }
        if start + Self::EPS < self.before {
            self.n += 1;
        }
    }

    fn finish(&self) -> u64 {
        self.n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overtakes(v: &mut [(f64, f64)]) -> u64 {
        v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let mut o = Overtakes::default();
        v.iter().for_each(|&(e, s)| o.push(e, s));
        o.finish()
    }

    #[test]
    fn overtakes_count_only_starts_before_an_earlier_waiting_visit() {
        // FIFO: enabled 0, 1, 2 start 5, 6, 7; then one enabled at 3 starts at 4 (before the
        // visits enabled at 0, 1 and 2 started): one overtake.
        let mut v = vec![(0.0, 5.0), (1.0, 6.0), (2.0, 7.0)];
        assert_eq!(overtakes(&mut v), 0);
        v.push((3.0, 4.0));
        assert_eq!(overtakes(&mut v), 1);
        // Equal enable times are not an order.
        let mut w = vec![(0.0, 5.0), (0.0, 4.0)];
        assert_eq!(overtakes(&mut w), 0);
    }

    /// The bounds of first visits starting at `starts` (ascending) among `visits` (enable,
    /// start), computed as `infer` sweeps them.
    fn arrivals(visits: &[(f64, f64)], starts: &[f64]) -> Vec<f64> {
        starts
            .iter()
            .map(|&s| {
                let lower = visits.iter().filter(|v| v.1 < s).map(|v| v.0).fold(f64::NEG_INFINITY, f64::max);
                let upper = visits.iter().filter(|v| v.1 > s).map(|v| v.0).fold(f64::INFINITY, f64::min);
                arrival(s, lower, upper)
            })
            .collect()
    }

    #[test]
    fn arrival_lies_between_the_last_served_and_the_first_overtaken() {
        // Visits enabled at 10 and 20 started at 30 and 50; one enabled at 40 starts at 60.
        // A first visit starting at 55 went ahead of the visit enabled at 40 (waiting at 55)
        // and after the one enabled at 20: arrival in [20, 40]. Nobody waiting at 70: no
        // queue, the start is the arrival.
        let v = [(10.0, 30.0), (20.0, 50.0), (40.0, 60.0)];
        assert_eq!(arrivals(&v, &[55.0, 70.0]), vec![30.0, 70.0]);
    }

    #[test]
    fn overtakes_streamed_in_groups_equal_the_pairwise_definition() {
        // Against the definition: a visit overtook when it started before a visit enabled
        // more than EPS earlier (in an earlier group) that started after it.
        let mut v: Vec<(f64, f64)> = (0..200u32)
            .map(|i| (f64::from((i * 37) % 50), f64::from((i * 37) % 50) + f64::from((i * 11) % 13)))
            .collect();
        let fast = overtakes(&mut v);
        let mut slow = 0;
        for x in &v {
            let before = v.iter().filter(|y| y.0 + Overtakes::EPS < x.0).map(|y| y.1).fold(f64::NEG_INFINITY, f64::max);
            if x.1 + Overtakes::EPS < before {
                slow += 1;
            }
        }
        assert_eq!(fast, slow);
        assert!(fast > 0);
    }
}
