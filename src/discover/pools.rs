//! Resource pools: resources that performed the same set of activities form one pool (a
//! resource doing several activities makes its pool multi-skilled); the pool's staff is its
//! number of distinct members and its calendar the weekday hours in which its members were
//! observed working.

use std::collections::{BTreeMap, BTreeSet};

use super::log::{EventLog, NONE};
use super::time;

#[derive(Clone, Debug)]
pub struct Pool {
    pub name: String,
    pub members: Vec<u32>,
    pub activities: BTreeSet<u32>,
    /// Open hours per weekday (clock minutes), from observed work.
    pub hours: [Vec<(f64, f64)>; 7],
    /// Mean distinct members starting work per weekday × hour on days the pool worked.
    pub busy: [[f64; 24]; 7],
    /// Events served by this pool's members.
    pub events: u64,
    /// Staff on duty per half-hour of the day: the most distinct members who started work in
    /// that half-hour on any one date. A member who is off (lunch, a shorter shift) starts
    /// nothing, and on a busy date everyone on duty does, so the maximum over dates finds the
    /// schedule (see `infer` for quiet half-hours).
    pub staff_by_slot: [u32; SLOTS],
}

/// The name of a resource without its trailing number (`Clerk-000004` → `Clerk`), so pools
/// read as roles.
fn role(name: &str) -> String {
    let t = name.trim_end_matches(|c: char| c.is_ascii_digit()).trim_end_matches(['-', '_', ' ', '#', '.']);
    let t = if t.is_empty() { name } else { t };
    t.to_string()
}

/// Calendar resolution: half-hours, since branches open at 08:30 as often as at 08:00.
pub const SLOT: f64 = 30.0;
pub const SLOTS: usize = 48;

/// Working time of events: the part of [start, end) inside the calendar of the resource's
/// pool, so that work resumed the next morning does not count the night as processing.
pub struct WorkClock {
    pool_of: Vec<usize>,
    open: Vec<[[bool; SLOTS]; 7]>,
}

impl WorkClock {
    pub fn new(log: &EventLog, pools: &[Pool]) -> WorkClock {
        let mut pool_of = vec![usize::MAX; log.resources.len()];
        let mut open = Vec::new();
        for (i, p) in pools.iter().enumerate() {
            for m in &p.members {
                pool_of[*m as usize] = i;
            }
            let mut o = [[false; SLOTS]; 7];
            for (wd, hours) in p.hours.iter().enumerate() {
                for (a, b) in hours {
                    o[wd][(*a / SLOT) as usize..(*b / SLOT) as usize].fill(true);
                }
            }
            open.push(o);
        }
        WorkClock { pool_of, open }
    }

    /// The pool of a resource (`usize::MAX` for none).
    pub fn pool(&self, resource: u32) -> usize {
        self.pool_of.get(resource as usize).copied().unwrap_or(usize::MAX)
    }

    /// Working minutes of [s, e): the length less every closed stretch of the resource's
    /// calendar after which the work went on (the night between a start at 16:45 or 17:00 and
    /// an end at 09:45). Closed time at the end is kept: work that runs past closing was done;
    /// so is less than an hour before opening (an early start). Events
    /// longer than 60 days (logging errors) and resources without a calendar keep their length.
    pub fn work(&self, resource: u32, s: f64, e: f64) -> f64 {
        let Some(open) = self.pool_of.get(resource as usize).and_then(|p| self.open.get(*p)) else { return e - s };
        if e - s > 60.0 * 1440.0 || !open.iter().flatten().any(|o| *o) {
            return e - s;
        }
        let is_open = |t: f64| open[time::weekday(t)][((time::clock(t) / SLOT) as usize).min(SLOTS - 1)];
        let mut closed = 0.0;
        let mut run: Option<f64> = None; // start of the current closed stretch
        let mut t = s;
        let mut seen_open = is_open(s);
        while t < e {
            let next = (((t / SLOT).floor() + 1.0) * SLOT).min(e);
            if is_open(t) {
                if let Some(r) = run.take() {
                    // A stretch before the first open hour is an interruption only if long
                    // (started at closing time, resumed in the morning), not an early start.
                    if seen_open || t - r >= 60.0 {
                        closed += t - r;
                    }
                }
                seen_open = true;
            } else if run.is_none() {
                run = Some(t);
            }
            t = next;
        }
        e - s - closed
    }
}

pub fn infer(log: &EventLog) -> Vec<Pool> {
    let nr = log.resources.len();
    let mut acts: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); nr];
    for e in &log.events {
        if e.resource != NONE {
            acts[e.resource as usize].insert(e.activity);
        }
    }
    let mut by_set: BTreeMap<BTreeSet<u32>, Vec<u32>> = BTreeMap::new();
    for (r, a) in acts.iter().enumerate() {
        if !a.is_empty() {
            by_set.entry(a.clone()).or_default().push(r as u32);
        }
    }
    // Resources doing the same activities under two or more role names (`clerk #1`, `clerk #2`,
    // `trainee #1` …, each role with two members or more) are pools of their own: the log's
    // naming says they are different staff, who may work at different speeds (see `speed`).
    // Personal names (one per role) stay one pool.
    let mut groups: Vec<(BTreeSet<u32>, Vec<u32>)> = Vec::new();
    for (set, members) in by_set {
        let mut roles: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for m in &members {
            roles.entry(role(&log.resources.names[*m as usize])).or_default().push(*m);
        }
        if roles.len() >= 2 && roles.values().all(|v| v.len() >= 2) {
            groups.extend(roles.into_values().map(|v| (set.clone(), v)));
        } else {
            groups.push((set, members));
        }
    }
    let mut pool_of = vec![usize::MAX; nr];
    let mut pools: Vec<Pool> = Vec::new();
    let mut used = BTreeMap::<String, usize>::new();
    for (activities, members) in groups {
        let mut roles: BTreeMap<String, usize> = BTreeMap::new();
        for m in &members {
            *roles.entry(role(&log.resources.names[*m as usize])).or_default() += 1;
        }
        let base = roles.into_iter().max_by_key(|(_, n)| *n).map(|(r, _)| r).unwrap_or_default();
        let k = used.entry(base.clone()).or_default();
        *k += 1;
        let name = if *k == 1 { base } else { format!("{base}_{k}") };
        for m in &members {
            pool_of[*m as usize] = pools.len();
        }
        pools.push(Pool {
            name,
            members,
            activities,
            hours: Default::default(),
            busy: [[0.0; 24]; 7],
            events: 0,
            staff_by_slot: [0; SLOTS],
        });
    }
    // Hours in which members start work, per date: the calendar. Covered hours are not used,
    // since an event open over a night or a weekend (work resumed the next working day) would
    // open the calendar around the clock.
    // Who started work in which half-hour of which date goes through a `spill::Sorter` (by
    // pool, date, hour, member, half-hour), so that the calendar of a log spanning years is a
    // buffer, not a set of members per pool, date and half-hour.
    let mut starts: Vec<[[u64; SLOTS]; 7]> = vec![[[0; SLOTS]; 7]; pools.len()];
    let mut seen = super::spill::Sorter::<Seen>::new(super::events::buffer_events());
    for e in &log.events {
        if e.resource == NONE || e.end.is_nan() {
            continue;
        }
        let p = pool_of[e.resource as usize];
        pools[p].events += 1;
        let slot = ((time::clock(e.start) / SLOT) as usize).min(SLOTS - 1);
        starts[p][time::weekday(e.start)][slot] += 1;
        seen.push(Seen { pool: p as u32, date: time::day(e.start), slot: slot as u8, member: e.resource });
    }
    // Per pool: dates with work, per weekday; members per (weekday, hour) summed over dates;
    // the most members seen in each half-hour of any date.
    let mut dates = vec![0u64; pools.len()];
    let mut days = vec![[0u64; 7]; pools.len()];
    let mut sums = vec![[[0.0f64; 24]; 7]; pools.len()];
    let mut sorted = seen.drain();
    let mut cell: Option<(u32, i64, usize)> = None;
    let (mut in_hour, mut in_slot, mut member) = (0u32, [0u32; SLOTS / 24], (NONE, usize::MAX));
    let mut close = |cell: (u32, i64, usize), in_hour: u32, in_slot: &[u32], pools: &mut [Pool]| {
        let (p, d, h) = (cell.0 as usize, cell.1, cell.2);
        sums[p][time::weekday(d as f64 * 1440.0)][h] += f64::from(in_hour);
        for (k, n) in in_slot.iter().enumerate() {
            let slot = h * SLOTS / 24 + k;
            pools[p].staff_by_slot[slot] = pools[p].staff_by_slot[slot].max(*n);
        }
    };
    for x in sorted.by_ref() {
        let hour = usize::from(x.slot) * 24 / SLOTS;
        let key = (x.pool, x.date, hour);
        if cell != Some(key) {
            if let Some(c) = cell {
                close(c, in_hour, &in_slot, &mut pools);
            }
            if cell.is_none_or(|c| (c.0, c.1) != (x.pool, x.date)) {
                dates[x.pool as usize] += 1;
                days[x.pool as usize][time::weekday(x.date as f64 * 1440.0)] += 1;
            }
            (cell, in_hour, in_slot, member) = (Some(key), 0, [0; SLOTS / 24], (NONE, usize::MAX));
        }
        if member.0 != x.member {
            in_hour += 1;
        }
        let k = usize::from(x.slot) % (SLOTS / 24);
        if member != (x.member, k) {
            in_slot[k] += 1;
        }
        member = (x.member, k);
    }
    if let Some(c) = cell {
        close(c, in_hour, &in_slot, &mut pools);
    }
    if let Some(e) = sorted.error {
        log.events.fail(e);
    }
    for (p, pool) in pools.iter_mut().enumerate() {
        // A half-hour with fewer members seen is a dip in the schedule only if so much work
        // starts in it (1.5 starts per member on an average date) that every member on duty
        // would have shown up; a quiet half-hour says nothing about who was there.
        let dates = dates[p].max(1) as f64;
        let n = pool.members.len() as u32;
        for (k, v) in pool.staff_by_slot.iter_mut().enumerate() {
            let per_date = starts[p].iter().map(|w| w[k]).sum::<u64>() as f64 / dates;
            if *v < n && per_date < 1.5 * f64::from(n) {
                *v = n;
            }
        }
        let (days, sums) = (&days[p], &sums[p]);
        for wd in 0..7 {
            let nd = days[wd] as f64;
            if nd == 0.0 {
                continue;
            }
            for (b, s) in pool.busy[wd].iter_mut().zip(&sums[wd]) {
                *b = s / nd;
            }
            // Open when at least a quarter as much work starts in that half-hour as in a typical
            // (median) working half-hour of that weekday: odd late starts do not open the
            // evening. A single quiet half-hour between open ones stays open (a lull, not a
            // closure: lunch closures last an hour or more).
            let mut busy_slots: Vec<u64> = starts[p][wd].iter().copied().filter(|c| *c > 0).collect();
            busy_slots.sort_unstable();
            let typical = busy_slots.get(busy_slots.len() / 2).copied().unwrap_or(0) as f64;
            let mut open: Vec<bool> =
                (0..SLOTS).map(|h| starts[p][wd][h] as f64 >= 0.25 * typical && starts[p][wd][h] > 0).collect();
            for h in 1..SLOTS - 1 {
                if !open[h] && open[h - 1] && open[h + 1] {
                    open[h] = true;
                }
            }
            let mut h = 0;
            while h < SLOTS {
                if open[h] {
                    let s = h;
                    while h < SLOTS && open[h] {
                        h += 1;
                    }
                    pool.hours[wd].push((s as f64 * SLOT, h as f64 * SLOT));
                } else {
                    h += 1;
                }
            }
        }
    }
    pools
}

/// A member of a pool seen starting work in a half-hour of a date.
#[derive(Clone, Copy)]
struct Seen {
    pool: u32,
    date: i64,
    slot: u8,
    member: u32,
}

impl super::spill::Record for Seen {
    const SIZE: usize = 17;

    fn write(&self, o: &mut [u8]) {
        o[0..4].copy_from_slice(&self.pool.to_le_bytes());
        o[4..12].copy_from_slice(&self.date.to_le_bytes());
        o[12] = self.slot;
        o[13..17].copy_from_slice(&self.member.to_le_bytes());
    }

    fn read(b: &[u8]) -> Self {
        Seen {
            pool: super::spill::u32_at(b, 0),
            date: super::spill::u64_at(b, 4) as i64,
            slot: b[12],
            member: super::spill::u32_at(b, 13),
        }
    }

    /// Pool, date, hour, member, half-hour: each hour's members come together, and each
    /// member's half-hours within it.
    fn order(&self, o: &Self) -> std::cmp::Ordering {
        let hour = |x: &Seen| usize::from(x.slot) * 24 / SLOTS;
        (self.pool, self.date, hour(self), self.member, self.slot).cmp(&(o.pool, o.date, hour(o), o.member, o.slot))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn roles_drop_the_number() {
        assert_eq!(super::role("Clerk-000004"), "Clerk");
        assert_eq!(super::role("Loan Officer-000002"), "Loan Officer");
        assert_eq!(super::role("42"), "42");
        assert_eq!(super::role("张三"), "张三");
    }
}

#[cfg(test)]
mod work_tests {
    use super::*;
    use crate::discover::log::{Event, EventLog, Left};

    #[test]
    fn only_whole_closed_stretches_are_left_out() {
        let mut log = EventLog::default();
        let r = log.resources.get("clerk-1");
        log.activities.get("a");
        let c = crate::discover::rows::CaseKey::of("1");
        // 2024-01-01 is a Monday; the clerk starts work every half hour 09:00-16:30 on weekdays.
        let day0 = crate::discover::time::parse("2024-01-01T00:00:00").unwrap();
        for d in 0..5 {
            for h in 18..34 {
                let s = day0 + f64::from(d * 1440 + h * 30);
                log.rows.visit(
                    c,
                    Event {
                        case: 0,
                        activity: 0,
                        resource: r,
                        start: s,
                        end: s + 30.0,
                        enable: f64::NAN,
                        left: Left::No,
                        line: 2,
                        ctype: crate::discover::log::NONE,
                        arrival: f64::NAN,
                    },
                );
            }
        }
        log.finish();
        let pools = infer(&log);
        assert_eq!(pools[0].hours[0], vec![(540.0, 1020.0)], "09:00-17:00");
        assert!(pools[0].hours[5].is_empty(), "Saturday closed");
        let w = WorkClock::new(&log, &pools);
        let mon = day0;
        // 16:45 Monday to 09:45 Tuesday: 15 + 45 minutes of work.
        assert_eq!(w.work(r, mon + 16.0 * 60.0 + 45.0, mon + 1440.0 + 9.0 * 60.0 + 45.0), 60.0);
        // Started at closing, finished the next morning: the night is left out.
        assert_eq!(w.work(r, mon + 17.0 * 60.0, mon + 1440.0 + 9.0 * 60.0 + 10.0), 10.0);
        // An early start at 08:50 counts.
        assert_eq!(w.work(r, mon + 8.0 * 60.0 + 50.0, mon + 9.0 * 60.0 + 20.0), 30.0);
        // Running 20 minutes past closing counts in full.
        assert_eq!(w.work(r, mon + 16.0 * 60.0 + 50.0, mon + 17.0 * 60.0 + 20.0), 30.0);
        // Friday 16:30 to Monday 09:30: the weekend is left out.
        let fri = mon + 4.0 * 1440.0;
        assert_eq!(w.work(r, fri + 16.0 * 60.0 + 30.0, fri + 3.0 * 1440.0 + 9.0 * 60.0 + 30.0), 60.0);
    }
}
