//! Customer priorities from overtaking: in a queue served first come, first served, a customer
//! never starts before one of the same queue who was already waiting when she arrived. When
//! customers of type X overtake waiting customers of type Y often and are almost never
//! overtaken by them, X has priority over Y. A type's priority is the number of types it is
//! above (retail 0, business 1 …). Queues shared by several pools with different skills also
//! overtake, but in both directions; the 5:1 ratio asked for keeps them out.

use std::collections::{BTreeMap, VecDeque};

use super::log::{EventLog, Left, NONE};
use super::spill::{Record, Sorter, f64_at, u32_at};

/// Earlier visits looked at for each visit: a waiting customer overtaken is among the last
/// arrivals at the step unless its queue is longer than this.
const WINDOW: usize = 64;

/// A served visit with a known enable time, sorted by activity then enable time (equal
/// enable times in the order of the events).
#[derive(Clone, Copy)]
struct Waited {
    activity: u32,
    enable: f64,
    start: f64,
    ctype: u32,
}

impl Record for Waited {
    const SIZE: usize = 24;

    fn write(&self, o: &mut [u8]) {
        o[0..4].copy_from_slice(&self.activity.to_le_bytes());
        o[4..12].copy_from_slice(&self.enable.to_bits().to_le_bytes());
        o[12..20].copy_from_slice(&self.start.to_bits().to_le_bytes());
        o[20..24].copy_from_slice(&self.ctype.to_le_bytes());
    }

    fn read(b: &[u8]) -> Self {
        Waited { activity: u32_at(b, 0), enable: f64_at(b, 4), start: f64_at(b, 12), ctype: u32_at(b, 20) }
    }

    fn order(&self, o: &Self) -> std::cmp::Ordering {
        self.activity.cmp(&o.activity).then(self.enable.total_cmp(&o.enable))
    }
}

/// Priority per customer type (only types above another). The visits stream through a
/// `spill::Sorter` and each is compared with the `WINDOW` before it, so memory is a buffer and
/// the window, not the log.
pub fn infer(log: &EventLog) -> BTreeMap<u32, (i64, u64)> {
    let nt = log.types.len();
    if nt < 2 {
        return BTreeMap::new();
    }
    let mut sorter = Sorter::new(super::events::buffer_events());
    for e in &log.events {
        let ctype = e.ctype;
        if e.left == Left::No && !e.enable.is_nan() && e.start >= e.enable && ctype != NONE {
            sorter.push(Waited { activity: e.activity, enable: e.enable, start: e.start, ctype });
        }
    }
    let mut over = vec![vec![0u64; nt]; nt];
    let mut recent: VecDeque<Waited> = VecDeque::with_capacity(WINDOW);
    let mut v = sorter.drain();
    for x in v.by_ref() {
        for u in recent.iter().rev() {
            if u.activity != x.activity {
                break;
            }
            if u.enable < x.enable && u.start > x.start && u.ctype != x.ctype {
                over[x.ctype as usize][u.ctype as usize] += 1;
            }
        }
        if recent.len() == WINDOW {
            recent.pop_front();
        }
        recent.push_back(x);
    }
    if let Some(e) = v.error {
        log.events.fail(e);
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
