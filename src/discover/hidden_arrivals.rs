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

use super::log::{EventLog, Left, NONE};
use super::pools::{Pool, WorkClock};

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

/// Visits of one pool with a visible wait: (enable, start).
type Seen = Vec<(f64, f64)>;

/// Sets `case_arrival` of cases whose arrival the log does not record (no ticket issue
/// time, no enable time on the first visit) from the FIFO bounds of their first visit's pool.
pub fn infer(log: &mut EventLog, pools: &[Pool]) -> Summary {
    let mut sum = Summary::default();
    if log.tickets || pools.is_empty() {
        return sum;
    }
    let clock = WorkClock::new(log, pools);
    let mut seen: Vec<Seen> = vec![Vec::new(); pools.len()];
    // (pool, start, case) of first visits without a recorded arrival.
    let mut firsts: Vec<(usize, f64, u32)> = Vec::new();
    for events in log.by_case() {
        let c = events[0].case;
        let recorded = !log.case_arrival[c as usize].is_nan() || events.iter().any(|e| !e.enable.is_nan());
        let mut last_done = f64::NAN;
        for (i, e) in events.iter().enumerate() {
            let pool = if e.resource == NONE { usize::MAX } else { clock.pool(e.resource) };
            if i == 0 && !recorded {
                sum.hidden += 1;
                if pool != usize::MAX && e.left == Left::No {
                    firsts.push((pool, e.start, c));
                }
            } else if e.left == Left::No && pool != usize::MAX {
                let enable = if e.enable.is_nan() { last_done } else { e.enable };
                if enable <= e.start {
                    seen[pool].push((enable, e.start));
                }
            }
            if !e.end.is_nan() {
                last_done = if last_done.is_nan() { e.end } else { last_done.max(e.end) };
            }
        }
    }
    // Per pool: FIFO or not, and the bounds.
    let mut fifo = vec![false; pools.len()];
    for (p, v) in seen.iter_mut().enumerate() {
        if v.len() < MIN_VISITS {
            continue;
        }
        let over = overtakes(v);
        fifo[p] = (over as f64) <= MAX_OVERTAKE_SHARE * v.len() as f64;
        sum.pools.push((pools[p].name.clone(), v.len() as u64, over, fifo[p]));
    }
    firsts.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut waits = 0.0;
    for group in firsts.chunk_by(|a, b| a.0 == b.0) {
        let p = group[0].0;
        if !fifo[p] {
            continue;
        }
        let b = Bounds::new(&mut seen[p]);
        // First visits are FIFO among themselves too: arrivals in the order of the starts.
        let mut floor = f64::NEG_INFINITY;
        for &(_, s, c) in group {
            let a = b.arrival(s).max(floor).min(s);
            floor = a;
            if a < s {
                log.case_arrival[c as usize] = a;
                sum.moved += 1;
                waits += s - a;
            }
        }
    }
    if sum.moved > 0 {
        sum.mean_wait = waits / sum.moved as f64;
    }
    sum
}

/// Visits that started before a visit enabled strictly earlier had started (it was already
/// waiting when they were enabled).
fn overtakes(v: &mut Seen) -> u64 {
    const EPS: f64 = 1e-6;
    v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut n = 0;
    // Latest start among visits enabled strictly before the current enable time.
    let mut before = f64::NEG_INFINITY;
    let mut i = 0;
    while i < v.len() {
        let j = i + v[i..].iter().take_while(|x| x.0 <= v[i].0 + EPS).count();
        n += v[i..j].iter().filter(|x| x.1 + EPS < before).count() as u64;
        before = v[i..j].iter().fold(before, |m, x| m.max(x.1));
        i = j;
    }
    n
}

/// The FIFO bounds of one pool: its visible visits by start, with the running maximum of
/// their enable times from the front and the running minimum from the back.
struct Bounds {
    starts: Vec<f64>,
    max_enable_before: Vec<f64>,
    min_enable_after: Vec<f64>,
}

impl Bounds {
    fn new(v: &mut Seen) -> Bounds {
        v.sort_by(|a, b| a.1.total_cmp(&b.1));
        let starts: Vec<f64> = v.iter().map(|x| x.1).collect();
        let mut max_enable_before = Vec::with_capacity(v.len());
        let mut m = f64::NEG_INFINITY;
        for x in v.iter() {
            m = m.max(x.0);
            max_enable_before.push(m);
        }
        let mut min_enable_after = vec![f64::INFINITY; v.len()];
        let mut m = f64::INFINITY;
        for (i, x) in v.iter().enumerate().rev() {
            m = m.min(x.0);
            min_enable_after[i] = m;
        }
        Bounds { starts, max_enable_before, min_enable_after }
    }

    /// Arrival of a first visit started at `s` (its start when no visit was waiting).
    fn arrival(&self, s: f64) -> f64 {
        // Visits started strictly before s, and those starting strictly after it.
        let before = self.starts.partition_point(|t| *t < s);
        let after = self.starts.partition_point(|t| *t <= s);
        let upper = self.min_enable_after.get(after).copied().unwrap_or(f64::INFINITY);
        if upper >= s {
            return s;
        }
        let lower = if before == 0 { f64::NEG_INFINITY } else { self.max_enable_before[before - 1] };
        if lower.is_finite() && lower <= upper { (lower + upper) / 2.0 } else { upper }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn arrival_lies_between_the_last_served_and_the_first_overtaken() {
        // Visits enabled at 10 and 20 started at 30 and 50; one enabled at 40 starts at 60.
        let mut v = vec![(10.0, 30.0), (20.0, 50.0), (40.0, 60.0)];
        let b = Bounds::new(&mut v);
        // A first visit starting at 55 went ahead of the visit enabled at 40 (waiting at 55)
        // and after the one enabled at 20: arrival in [20, 40].
        assert_eq!(b.arrival(55.0), 30.0);
        // Nobody waiting at 70: no queue, the start is the arrival.
        assert_eq!(b.arrival(70.0), 70.0);
    }
}
