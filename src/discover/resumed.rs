//! Work that stops at closing and goes on at the next opening, seen in a log without
//! `suspend` rows: an event whose span holds a closed stretch of its pool's calendar after
//! which the work went on (a 60-minute check from 16:30 to 09:30 the next morning). Systems
//! that pause work outside the calendar (Prosimos, most BPM engines) log such events; a model
//! that finishes every service once begun would end some of them at night or on a weekend,
//! when the real pool never works. Such pools preempt at the shift end and resume.

use super::log::{EventLog, Left, NONE};
use super::pools::{Pool, WorkClock};

/// Events resumed after a closed stretch needed for a pool to preempt: a few, and at least
/// 1% of its events (one odd timestamp is not a rule).
const MIN_EVENTS: u64 = 5;
const MIN_SHARE: f64 = 0.01;

/// Per pool, the events that went on after a closed stretch when the pool preempts at the
/// shift end; 0 otherwise.
pub fn across_closing(log: &EventLog, pools: &[Pool]) -> Vec<u64> {
    let clock = WorkClock::new(log, pools);
    let mut n = vec![0u64; pools.len()];
    for e in &log.events {
        if e.resource == NONE || e.end.is_nan() || e.left != Left::No || log.resumed.contains_key(&e.line) {
            continue;
        }
        let p = clock.pool(e.resource);
        // More than a minute of closed time inside the span (the work clock keeps closed time
        // at the end: work running past closing was done then).
        if p < pools.len() && clock.work(e.resource, e.start, e.end) < e.end - e.start - 1.0 {
            n[p] += 1;
        }
    }
    for (c, p) in n.iter_mut().zip(pools) {
        if *c < MIN_EVENTS || (*c as f64) < MIN_SHARE * p.events as f64 {
            *c = 0;
        }
    }
    n
}
