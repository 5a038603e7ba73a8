//! Staff breaks: recurring times of day at which fewer members of a pool work although work is
//! waiting for them (lunch, coffee breaks), stated as the scenario's `breaks` rather than folded
//! into the half-hourly staff schedule, which rounds a break to its half-hours and cannot tell a
//! break from a quiet half-hour.
//!
//! Why capacity at waited starts. A log does not say who is on a break, and which member takes
//! a file is the system's choice (a simulator gives it to the lowest-numbered free member, so
//! the members idle at lunch are not the ones away). What it does show is how many members work
//! at once when work is waiting: when an item that waited (start later than its enable time)
//! is started, its pool was full until a member became free or came back, so the number of
//! members busy right after that start (events in progress) is the number on duty. Those
//! counts, per date and 5-minute bin of the day, give a capacity profile; a break is a stretch
//! in which the profile (upper quartile over dates) is lower than on both sides within four
//! hours: at least three dates in four with evidence there had fewer on duty.
//!
//! Memory: the points of work go through an external sort (the sweep needs them in time
//! order); the counts of each date go to a spool as the sweep leaves the date, and the profile
//! is two passes over it: a histogram per pool, bin and count, then the dates inside the
//! breaks. Nothing is held per date, so a log spanning years costs what a month does.
//!
//! A break's start shows late in the log: members busy when it begins finish their work first,
//! so nothing starts (no evidence) until fewer are busy than remain on duty. A stretch without
//! evidence before a lower count is therefore read as part of the break: it began right after
//! the last evidence of the full level. Its end shows at once (waiting work starts as members
//! come back).
//!
//! Quiet pools (no waiting work) give no evidence, and a pool always at full strength gives
//! the same count in every bin: neither yields a break.

use super::log::{EventLog, NONE};
use super::pools::{Pool, SLOT, SLOTS};
use super::spill::{self, Record, Sorted, Sorter, Spool};
use super::time;

/// Resolution of the capacity profile (minutes).
pub const BIN: f64 = 5.0;
const BINS: usize = 288;
/// How far on either side a break looks for the level it dips below: staggered lunches span
/// three hours; a longer dip is a split shift, which the staff schedule states.
const REACH: usize = (4.0 * 60.0 / BIN) as usize;
/// Shortest break stated: two bins, so that one odd bin is not a break.
const MIN_BINS: usize = 2;
/// Dates with evidence a bin needs before its count is used.
const MIN_DATES: usize = 3;

#[derive(Clone, Debug, PartialEq)]
pub struct Break {
    /// Clock minutes after midnight.
    pub start: f64,
    pub length: f64,
    /// Members away.
    pub staff: u32,
}

/// The breaks of one pool with their evidence.
#[derive(Clone, Debug, Default)]
pub struct PoolBreaks {
    pub breaks: Vec<Break>,
    /// Members on duty around the breaks.
    pub level: u32,
    /// Dates on which the pool worked.
    pub dates: usize,
    /// Dates with waiting work started inside the breaks, and those on which fewer than
    /// `level` members were then on duty.
    pub dates_seen: usize,
    pub dates_below: usize,
    /// Date × 5-minute bins inside the breaks with a waited start.
    pub samples: u64,
}

/// A start or end of work, as `infer` sweeps them in time order.
#[derive(Clone, Copy)]
struct Point {
    t: f64,
    member: u32,
    /// 0: end; 1: start that did not wait; 2: start that waited.
    kind: u8,
}

impl Record for Point {
    const SIZE: usize = 13;
    fn write(&self, o: &mut [u8]) {
        o[0..8].copy_from_slice(&self.t.to_bits().to_le_bytes());
        o[8..12].copy_from_slice(&self.member.to_le_bytes());
        o[12] = self.kind;
    }
    fn read(b: &[u8]) -> Self {
        Point { t: spill::f64_at(b, 0), member: spill::u32_at(b, 8), kind: b[12] }
    }
    /// Time, then ends before starts at the same instant.
    fn order(&self, other: &Self) -> std::cmp::Ordering {
        self.t.total_cmp(&other.t).then(self.kind.cmp(&other.kind))
    }
}

/// Per pool (same order as `pools`): its breaks, empty when the log shows none. Also lifts the
/// pool's half-hourly schedule inside the breaks to the level before them, so that the breaks
/// are not counted twice.
pub fn infer(log: &EventLog, pools: &mut [Pool]) -> Vec<PoolBreaks> {
    let mut pool_of = vec![usize::MAX; log.resources.len()];
    for (i, p) in pools.iter().enumerate() {
        for m in &p.members {
            pool_of[*m as usize] = i;
        }
    }
    // Start and end points of work, with the enable time of each event: the log's, else the
    // previous end in the case (events are sorted by case and start).
    // Two points per event: sorted through `spill::Sorter`, so that memory stays bounded.
    let mut points: Sorter<Point> = Sorter::new(super::events::buffer_events());
    for case in log.by_case() {
        let mut prev_end = f64::NAN;
        for e in case.iter() {
            let enable = if e.enable.is_nan() { prev_end } else { e.enable };
            if !e.end.is_nan() {
                prev_end = if prev_end.is_nan() { e.end } else { prev_end.max(e.end) };
            }
            if e.resource == NONE || e.end.is_nan() || e.end <= e.start {
                continue;
            }
            let waited = enable.is_finite() && e.start - enable > 1e-3;
            points.push(Point { t: e.start, member: e.resource, kind: if waited { 2 } else { 1 } });
            points.push(Point { t: e.end, member: e.resource, kind: 0 });
        }
    }
    // A run that cannot be read back leaves the pools without breaks (nothing is invented).
    let Ok(mut points) = points.finish() else { return pools.iter().map(|_| PoolBreaks::default()).collect() };
    let mut busy = vec![0u32; pools.len()];
    // (pool, bin) → most events in progress right after a waited start, on the date being
    // swept. Events, not distinct members: a visit interrupted at a closure is one event from
    // its first start to its end, resumed by whichever member was free (an overlap on the
    // member's record), and still occupies one member. Each date's counts go to a spool as the
    // sweep leaves the date: the evidence is kept on disk in date order, not per pool, date and
    // bin in memory.
    let mut today: std::collections::BTreeMap<(u32, u16), u32> = Default::default();
    let mut date_of_today = i64::MIN;
    let mut duties = Spool::<Duty>::default();
    let mut flush = |date: i64, today: &mut std::collections::BTreeMap<(u32, u16), u32>| {
        for ((pool, bin), v) in std::mem::take(today) {
            duties.push(Duty { pool, date, bin, v });
        }
    };
    let mut worked = vec![(i64::MIN, 0usize); pools.len()];
    if let Sorted::Memory(v) = &mut points {
        v.reverse(); // popped from the back: in order
    }
    loop {
        let pt = match &mut points {
            Sorted::Memory(v) => match v.pop() {
                Some(pt) => pt,
                None => break,
            },
            Sorted::Merged(m) => match m.next_record() {
                Ok(Some(pt)) => pt,
                Ok(None) => break,
                Err(_) => return pools.iter().map(|_| PoolBreaks::default()).collect(),
            },
        };
        let p = pool_of[pt.member as usize];
        if p == usize::MAX {
            continue;
        }
        if pt.kind == 0 {
            busy[p] = busy[p].saturating_sub(1);
            continue;
        }
        busy[p] += 1;
        let date = time::day(pt.t);
        // Dates come in order: a pool's dates worked are counted as they change.
        if worked[p].0 != date {
            worked[p] = (date, worked[p].1 + 1);
        }
        if pt.kind == 2 {
            if date != date_of_today {
                flush(date_of_today, &mut today);
                date_of_today = date;
            }
            let bin = ((time::clock(pt.t) / BIN) as usize).min(BINS - 1) as u16;
            let v = today.entry((p as u32, bin)).or_default();
            *v = (*v).max(busy[p]);
        }
    }
    drop(points);
    flush(date_of_today, &mut today);
    let opens: Vec<[bool; BINS]> = pools.iter().map(open_bins).collect();
    let mut out = from_duties(|| duties.iter(), &opens);
    if duties.failure().is_some() {
        // Evidence that cannot be read back: no breaks rather than breaks from part of it.
        out = pools.iter().map(|_| PoolBreaks::default()).collect();
    }
    for (p, pool) in pools.iter_mut().enumerate() {
        out[p].dates = worked[p].1;
        lift_schedule(pool, &out[p].breaks);
    }
    out
}

/// Members on duty in a 5-minute bin of a date: the most events of the pool in progress
/// right after a waited start there.
#[derive(Clone, Copy, Debug)]
struct Duty {
    pool: u32,
    date: i64,
    bin: u16,
    v: u32,
}

impl Record for Duty {
    const SIZE: usize = 18;
    fn write(&self, o: &mut [u8]) {
        o[0..4].copy_from_slice(&self.pool.to_le_bytes());
        o[4..12].copy_from_slice(&self.date.to_le_bytes());
        o[12..14].copy_from_slice(&self.bin.to_le_bytes());
        o[14..18].copy_from_slice(&self.v.to_le_bytes());
    }
    fn read(b: &[u8]) -> Self {
        Duty {
            pool: spill::u32_at(b, 0),
            date: super::spill::u64_at(b, 4) as i64,
            bin: u16::from_le_bytes([b[12], b[13]]),
            v: spill::u32_at(b, 14),
        }
    }
    /// Only spooled (in date order), never sorted.
    fn order(&self, o: &Self) -> std::cmp::Ordering {
        self.date.cmp(&o.date)
    }
}

/// Breaks of every pool from the evidence in date order (`each` gives it afresh for each of
/// the two passes): per pool and bin, how many dates had how many members on duty (for the
/// upper quartile), then the dates with evidence inside the breaks.
fn from_duties<I: Iterator<Item = Duty>>(each: impl Fn() -> I, opens: &[[bool; BINS]]) -> Vec<PoolBreaks> {
    let mut hist: std::collections::BTreeMap<(u32, u16, u32), u64> = Default::default();
    for d in each() {
        *hist.entry((d.pool, d.bin, d.v)).or_default() += 1;
    }
    let mut out = Vec::with_capacity(opens.len());
    let mut dip_level: Vec<Vec<Option<u32>>> = Vec::with_capacity(opens.len());
    for (p, open) in opens.iter().enumerate() {
        let p = p as u32;
        let mut level = vec![None; BINS];
        let mut bin_counts: Vec<(u32, u64)> = Vec::new();
        for (b, l) in level.iter_mut().enumerate() {
            let b = b as u16;
            bin_counts.clear();
            bin_counts.extend(hist.range((p, b, 0)..=(p, b, u32::MAX)).map(|(k, n)| (k.2, *n)));
            *l = upper_quartile(&bin_counts);
        }
        let (found, lvl) = dips(&level, open);
        out.push(found);
        dip_level.push(lvl);
    }
    // Dates with evidence inside the breaks, and those with fewer than the level on duty.
    let mut last = vec![(i64::MIN, i64::MIN); opens.len()];
    for d in each() {
        let (p, b) = (d.pool as usize, usize::from(d.bin));
        let Some(lvl) = dip_level[p][b] else { continue };
        let o = &mut out[p];
        o.samples += 1;
        if last[p].0 != d.date {
            last[p].0 = d.date;
            o.dates_seen += 1;
        }
        if d.v < lvl && last[p].1 != d.date {
            last[p].1 = d.date;
            o.dates_below += 1;
        }
    }
    out
}

/// The upper quartile of values given as (value, dates) in ascending order: the count on
/// duty in a bin reads low only when at least three dates in four with evidence were low.
/// `None` with fewer than `MIN_DATES` dates.
fn upper_quartile(counts: &[(u32, u64)]) -> Option<u32> {
    let n: u64 = counts.iter().map(|c| c.1).sum();
    if n < MIN_DATES as u64 {
        return None;
    }
    let want = (n * 3).div_ceil(4) - 1;
    let mut seen = 0;
    counts
        .iter()
        .find(|c| {
            seen += c.1;
            seen > want
        })
        .map(|c| c.0)
}

/// Bins inside the pool's hours on some weekday (all bins for a pool without a calendar);
/// a break lies within one stretch of open bins.
fn open_bins(pool: &Pool) -> [bool; BINS] {
    let mut open = [pool.hours.iter().all(Vec::is_empty); BINS];
    for (a, b) in pool.hours.iter().flatten() {
        open[(*a / BIN) as usize..((*b / BIN) as usize).min(BINS)].fill(true);
    }
    open
}

/// Breaks from the count on duty per bin of one pool (`upper_quartile`), and the level each
/// bin inside a break dips below (`None` outside the breaks).
fn dips(level: &[Option<u32>], open: &[bool; BINS]) -> (PoolBreaks, Vec<Option<u32>>) {
    // Deficit per known bin: below the highest count within reach on both sides, in the same
    // open stretch.
    let mut deficit: Vec<Option<u32>> = vec![None; BINS];
    let mut around: Vec<u32> = vec![0; BINS];
    for k in 0..BINS {
        let Some(c) = level[k] else { continue };
        if !open[k] {
            continue;
        }
        let side = |range: &mut dyn Iterator<Item = usize>| -> Option<u32> {
            let mut best = None;
            for j in range {
                if !open[j] {
                    break;
                }
                if let Some(x) = level[j] {
                    best = Some(best.map_or(x, |b: u32| b.max(x)));
                }
            }
            best
        };
        let left = side(&mut (k.saturating_sub(REACH)..k).rev());
        let right = side(&mut (k + 1..(k + 1 + REACH).min(BINS)));
        let l = match (left, right) {
            (Some(a), Some(b)) => a.min(b),
            _ => c,
        };
        deficit[k] = Some(l.saturating_sub(c));
        around[k] = l.max(c);
    }
    // Bins without evidence take the deficit of the next bin with evidence in their stretch
    // (see the module doc: a break's start shows late); at a stretch's end, none.
    let mut filled = vec![0u32; BINS];
    let mut next: Option<u32> = None;
    for k in (0..BINS).rev() {
        if !open[k] {
            next = None;
            continue;
        }
        if let Some(d) = deficit[k] {
            next = Some(d);
        }
        filled[k] = next.unwrap_or(0);
    }
    // A dip is a run of bins with a deficit that contains evidence of it.
    let mut out = PoolBreaks::default();
    let mut dip_level = vec![None; BINS];
    let mut k = 0;
    while k < BINS {
        if filled[k] == 0 {
            k += 1;
            continue;
        }
        let s = k;
        while k < BINS && filled[k] > 0 {
            k += 1;
        }
        let bins = s..k;
        if k - s < MIN_BINS || !bins.clone().any(|j| deficit[j].is_some_and(|d| d > 0)) {
            continue;
        }
        let lvl = bins.clone().map(|j| around[j]).max().unwrap_or(0);
        dip_level[bins.clone()].fill(Some(lvl));
        out.level = out.level.max(lvl);
        out.breaks.extend(staggered(&filled[bins], s));
    }
    (out, dip_level)
}

/// Breaks of one dip (deficit per bin from bin `first`): a break per run of equal deficit, cut
/// into pieces of the shortest run's length when every run is a multiple of it (staggered
/// lunches: four away 11:30-12:30, three 12:30-13:30, three 13:30-14:30).
fn staggered(deficit: &[u32], first: usize) -> Vec<Break> {
    let mut runs: Vec<(usize, usize, u32)> = Vec::new();
    for (i, d) in deficit.iter().enumerate() {
        match runs.last_mut() {
            Some((_, len, v)) if v == d => *len += 1,
            _ => runs.push((first + i, 1, *d)),
        }
    }
    let unit = runs.iter().map(|r| r.1).min().unwrap_or(1);
    let cut = runs.len() > 1 && runs.iter().all(|r| r.1 % unit == 0);
    let mut out = Vec::new();
    for (s, len, d) in runs {
        let piece = if cut { unit } else { len };
        for k in (0..len).step_by(piece) {
            out.push(Break { start: (s + k) as f64 * BIN, length: piece as f64 * BIN, staff: d });
        }
    }
    out
}

/// Sets the half-hours a break touches to the schedule's level before the break: the break
/// takes the staff away, the schedule must not as well.
fn lift_schedule(pool: &mut Pool, breaks: &[Break]) {
    for b in breaks {
        let first = (b.start / SLOT) as usize;
        let last = (((b.start + b.length) / SLOT).ceil() as usize).min(SLOTS);
        let before = first.checked_sub(1).map_or(pool.members.len() as u32, |h| pool.staff_by_slot[h]);
        for h in first..last {
            pool.staff_by_slot[h] = pool.staff_by_slot[h].max(before);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(levels: &[(usize, usize, u32)], dates: i64) -> Vec<Vec<(i64, u32)>> {
        let mut ev = vec![Vec::new(); BINS];
        for &(a, b, c) in levels {
            for bin in ev.iter_mut().take(b).skip(a) {
                *bin = (0..dates).map(|d| (d, c)).collect();
            }
        }
        ev
    }

    /// Breaks of one pool from per-bin evidence (date, members on duty), as `infer` finds them.
    fn from_profile(evidence: &mut [Vec<(i64, u32)>], open: &[bool; BINS]) -> PoolBreaks {
        let mut duties: Vec<Duty> = Vec::new();
        for (bin, v) in evidence.iter().enumerate() {
            for &(date, v) in v {
                duties.push(Duty { pool: 0, date, bin: bin as u16, v });
            }
        }
        duties.sort_by_key(|d| d.date);
        from_duties(|| duties.iter().copied(), &[*open]).remove(0)
    }

    #[test]
    fn upper_quartile_counts_dates() {
        assert_eq!(upper_quartile(&[(4, 1), (5, 1)]), None, "fewer than three dates");
        // 4 dates: 1 low and 3 at 5 → the third of four ascending is 5.
        assert_eq!(upper_quartile(&[(1, 1), (5, 3)]), Some(5));
        // 4 dates, 2 low: still 5 (index ceil(3)-1 = 2).
        assert_eq!(upper_quartile(&[(1, 2), (5, 2)]), Some(5));
        // 4 dates, 3 low: 1.
        assert_eq!(upper_quartile(&[(1, 3), (5, 1)]), Some(1));
    }

    const fn at(h: usize, m: usize) -> usize {
        (h * 60 + m) / 5
    }

    #[test]
    fn staggered_lunch_is_found_with_its_waves() {
        let mut open = [false; BINS];
        open[at(8, 30)..at(17, 30)].fill(true);
        // Ten on duty, six from 11:30 (no evidence until 11:40: members finishing), seven
        // 12:30-14:30.
        let mut ev = profile(
            &[
                (at(8, 30), at(11, 30), 10),
                (at(11, 40), at(12, 30), 6),
                (at(12, 30), at(14, 30), 7),
                (at(14, 30), at(17, 30), 10),
            ],
            20,
        );
        let b = from_profile(&mut ev, &open);
        let want = [(690.0, 4), (750.0, 3), (810.0, 3)];
        let got: Vec<(f64, u32)> = b.breaks.iter().map(|x| (x.start, x.staff)).collect();
        assert_eq!(got, want);
        assert!(b.breaks.iter().all(|x| x.length == 60.0), "{:?}", b.breaks);
        assert_eq!(b.level, 10);
        assert_eq!(b.dates_below, 20);
    }

    #[test]
    fn constant_staff_and_closing_give_no_break() {
        let mut open = [false; BINS];
        open[at(8, 30)..at(17, 30)].fill(true);
        // Fewer at opening (a short morning queue) and at the end of the day: not breaks.
        let mut ev = profile(&[(at(8, 30), at(8, 40), 3), (at(8, 40), at(16, 0), 10), (at(16, 0), at(17, 30), 8)], 20);
        assert!(from_profile(&mut ev, &open).breaks.is_empty());
    }

    #[test]
    fn a_dip_on_a_minority_of_dates_is_no_break() {
        let mut open = [false; BINS];
        open[at(8, 0)..at(17, 0)].fill(true);
        let mut ev = profile(&[(at(8, 0), at(17, 0), 5)], 12);
        // Four dates in twelve with one member fewer at 12:00-13:00.
        for bin in &mut ev[at(12, 0)..at(13, 0)] {
            for (d, v) in bin.iter_mut() {
                if *d < 4 {
                    *v = 4;
                }
            }
        }
        assert!(from_profile(&mut ev, &open).breaks.is_empty());
    }

    #[test]
    fn schedule_inside_a_break_is_lifted() {
        let mut pool = Pool {
            name: "p".into(),
            members: (0..10).collect(),
            activities: Default::default(),
            hours: Default::default(),
            busy: [[0.0; 24]; 7],
            events: 0,
            staff_by_slot: [10; SLOTS],
        };
        pool.staff_by_slot[24] = 6;
        lift_schedule(&mut pool, &[Break { start: 690.0, length: 60.0, staff: 4 }]);
        assert!(pool.staff_by_slot.iter().all(|s| *s == 10));
    }
}
