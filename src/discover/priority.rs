//! Customer priorities from overtaking: in a queue served first come, first served, a customer
//! never starts before one of the same queue who was already waiting when she arrived. When
//! customers of type X overtake waiting customers of type Y often and are almost never
//! overtaken by them, X has priority over Y. A type's priority is the number of types it is
//! above (retail 0, business 1 …). Queues shared by several pools with different skills also
//! overtake, but in both directions; the 5:1 ratio asked for keeps them out.

use std::collections::BTreeMap;

use super::log::{EventLog, Left, NONE};

/// Earlier visits looked at for each visit: a waiting customer overtaken is among the last
/// arrivals at the step unless its queue is longer than this.
const WINDOW: usize = 64;

/// Priority per customer type (only types above another).
pub fn infer(log: &EventLog) -> BTreeMap<u32, (i64, u64)> {
    let nt = log.types.len();
    if nt < 2 {
        return BTreeMap::new();
    }
    // (activity, enable, start, type) of served visits with a known enable time.
    let mut v: Vec<(u32, f64, f64, u32)> = log
        .events
        .iter()
        .filter(|e| e.left == Left::No && !e.enable.is_nan() && e.start >= e.enable)
        .map(|e| (e.activity, e.enable, e.start, log.case_type[e.case as usize]))
        .filter(|x| x.3 != NONE)
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut over = vec![vec![0u64; nt]; nt];
    for (i, x) in v.iter().enumerate() {
        for u in v[i.saturating_sub(WINDOW)..i].iter().rev() {
            if u.0 != x.0 {
                break;
            }
            if u.1 < x.1 && u.2 > x.2 && u.3 != x.3 {
                over[x.3 as usize][u.3 as usize] += 1;
            }
        }
    }
    let mut out = BTreeMap::new();
    for (x, row) in over.iter().enumerate() {
        let above: Vec<usize> =
            (0..nt).filter(|y| *y != x && row[*y] >= 20 && row[*y] >= 5 * (over[*y][x] + 1)).collect();
        if !above.is_empty() {
            let n: u64 = above.iter().map(|y| row[*y]).sum();
            out.insert(x as u32, (above.len() as i64, n));
        }
    }
    out
}
