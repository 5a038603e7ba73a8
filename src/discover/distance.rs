//! Distances between two event logs as the `log-distance-measures` Python package (2.2.0)
//! defines them with its default arguments, so figures compare with the process-simulation
//! literature (Simod's evaluations use this package).
//!
//! Every temporal measure bins timestamps to whole hours and compares the two lists of bins
//! with the 1-Wasserstein distance of their empirical distributions (scipy's
//! `wasserstein_distance`, the package's default metric: the earth mover's distance between
//! the normalised histograms). The n-gram distance is the normalised sum of absolute
//! differences of 3-gram counts. Events without an end time are left out (the package would
//! fail on them).

use std::collections::HashMap;

use super::log::{Event, EventLog};
use super::rows::CaseKey;
use super::time;

/// 1-Wasserstein distance between two samples with equal weights (scipy's `_cdf_distance`
/// with p = 1): ∫ |U(x) − V(x)| dx over the merged sorted values.
pub fn wasserstein(u: &[f64], v: &[f64]) -> f64 {
    if u.is_empty() || v.is_empty() {
        return f64::NAN;
    }
    let mut us = u.to_vec();
    let mut vs = v.to_vec();
    us.sort_by(f64::total_cmp);
    vs.sort_by(f64::total_cmp);
    let mut all: Vec<f64> = us.iter().chain(vs.iter()).copied().collect();
    all.sort_by(f64::total_cmp);
    let (nu, nv) = (us.len() as f64, vs.len() as f64);
    let (mut iu, mut iv) = (0usize, 0usize);
    let mut total = 0.0;
    for w in all.windows(2) {
        let x = w[0];
        while iu < us.len() && us[iu] <= x {
            iu += 1;
        }
        while iv < vs.len() && vs[iv] <= x {
            iv += 1;
        }
        total += (iu as f64 / nu - iv as f64 / nv).abs() * (w[1] - w[0]);
    }
    total
}

fn finished(log: &EventLog) -> impl Iterator<Item = Event> + '_ {
    log.events.iter().filter(|e| !e.end.is_nan())
}

/// Whole hours since `t0` (pandas: floor of total seconds / 3600).
fn hour_bin(t: f64, t0: f64) -> f64 {
    (((t - t0) * 60.0 + 1e-6) / 3600.0).floor()
}

fn min_start(log: &EventLog) -> f64 {
    finished(log).map(|e| e.start).fold(f64::INFINITY, f64::min)
}

/// Cases of finished events: (first start, last end), per case in order.
fn case_spans(log: &EventLog) -> Vec<(f64, f64)> {
    let mut v = Vec::new();
    for evs in log.by_case() {
        let mut s = f64::INFINITY;
        let mut e = f64::NEG_INFINITY;
        for ev in evs.iter().filter(|e| !e.end.is_nan()) {
            s = s.min(ev.start);
            e = e.max(ev.end);
        }
        if s.is_finite() {
            v.push((s, e));
        }
    }
    v
}

/// n-gram distance (n = 3), normalised to [0, 1].
pub fn n_gram(a: &EventLog, b: &EventLog, n: usize) -> f64 {
    fn grams(log: &EventLog, n: usize) -> HashMap<Vec<String>, u64> {
        let mut m = HashMap::new();
        for evs in log.by_case() {
            let acts: Vec<Option<&str>> = evs
                .iter()
                .filter(|e| !e.end.is_nan())
                .map(|e| Some(log.activities.names[e.activity as usize].as_str()))
                .collect();
            if acts.is_empty() {
                continue;
            }
            let mut seq: Vec<Option<&str>> = vec![None; n - 1];
            seq.extend(acts);
            seq.extend(std::iter::repeat_n(None, n - 1));
            for w in seq.windows(n) {
                let key: Vec<String> = w.iter().map(|x| x.map_or("\u{0}".to_string(), str::to_string)).collect();
                *m.entry(key).or_default() += 1;
            }
        }
        m
    }
    let ga = grams(a, n);
    let gb = grams(b, n);
    let mut diff = 0u64;
    let mut total = 0u64;
    for (k, x) in &ga {
        let y = gb.get(k).copied().unwrap_or(0);
        diff += x.abs_diff(y);
        total += x + y;
    }
    for (k, y) in &gb {
        if !ga.contains_key(k) {
            diff += y;
            total += y;
        }
    }
    if total == 0 { 0.0 } else { diff as f64 / total as f64 }
}

/// Absolute event distribution: starts and ends in hours since the first start of both logs.
pub fn absolute_event(a: &EventLog, b: &EventLog) -> f64 {
    let t0 = (min_start(a).min(min_start(b)) / 60.0).floor() * 60.0;
    let bins = |l: &EventLog| -> Vec<f64> {
        let mut v: Vec<f64> = finished(l).map(|e| hour_bin(e.start, t0)).collect();
        v.extend(finished(l).map(|e| hour_bin(e.end, t0)));
        v
    };
    wasserstein(&bins(a), &bins(b))
}

/// Case arrival distribution: first start of each case, in hours since the first of both.
pub fn case_arrival(a: &EventLog, b: &EventLog) -> f64 {
    let (sa, sb) = (case_spans(a), case_spans(b));
    let first = sa.iter().chain(&sb).map(|s| s.0).fold(f64::INFINITY, f64::min);
    let t0 = (first / 60.0).floor() * 60.0;
    let bins = |s: &[(f64, f64)]| -> Vec<f64> { s.iter().map(|c| hour_bin(c.0, t0)).collect() };
    wasserstein(&bins(&sa), &bins(&sb))
}

/// Circadian event distribution: per weekday, the hours (0–23) of starts and ends; the mean
/// over the seven weekdays, 23 for a weekday only one log has events on.
pub fn circadian_event(a: &EventLog, b: &EventLog) -> f64 {
    let by_day = |l: &EventLog| -> [Vec<f64>; 7] {
        let mut d: [Vec<f64>; 7] = Default::default();
        for e in finished(l) {
            for t in [e.start, e.end] {
                d[time::weekday(t)].push((time::clock(t) / 60.0 + 1e-9).floor());
            }
        }
        d
    };
    let (da, db) = (by_day(a), by_day(b));
    let mut sum = 0.0;
    for wd in 0..7 {
        sum += match (da[wd].is_empty(), db[wd].is_empty()) {
            (true, true) => 0.0,
            (false, false) => wasserstein(&da[wd], &db[wd]),
            _ => 23.0,
        };
    }
    sum / 7.0
}

/// Relative event distribution: starts and ends in hours since their case's first start.
pub fn relative_event(a: &EventLog, b: &EventLog) -> f64 {
    let rel = |l: &EventLog| -> Vec<f64> {
        let mut starts = Vec::new();
        let mut ends = Vec::new();
        for evs in l.by_case() {
            let fin: Vec<&Event> = evs.iter().filter(|e| !e.end.is_nan()).collect();
            let Some(c0) = fin.iter().map(|e| e.start).min_by(f64::total_cmp) else { continue };
            starts.extend(fin.iter().map(|e| hour_bin(e.start, c0)));
            ends.extend(fin.iter().map(|e| hour_bin(e.end, c0)));
        }
        starts.extend(ends);
        starts
    };
    wasserstein(&rel(a), &rel(b))
}

/// Cycle-time distribution: case durations in bins of `bin_minutes` from the shortest.
pub fn cycle_time(a: &EventLog, b: &EventLog, bin_minutes: f64) -> f64 {
    let ct = |l: &EventLog| -> Vec<f64> { case_spans(l).into_iter().map(|(s, e)| e - s).collect() };
    let (ca, cb) = (ct(a), ct(b));
    let min = ca.iter().chain(&cb).copied().fold(f64::INFINITY, f64::min);
    let bins = |v: &[f64]| -> Vec<f64> { v.iter().map(|c| ((c - min) / bin_minutes + 1e-9).floor()).collect() };
    wasserstein(&bins(&ca), &bins(&cb))
}

/// All measures, in the order `compare-logs` prints them.
pub fn all(a: &EventLog, b: &EventLog) -> Vec<(&'static str, f64)> {
    vec![
        ("n_gram_distribution", n_gram(a, b, 3)),
        ("absolute_event_distribution", absolute_event(a, b)),
        ("case_arrival_distribution", case_arrival(a, b)),
        ("circadian_event_distribution", circadian_event(a, b)),
        ("relative_event_distribution", relative_event(a, b)),
        ("cycle_time_distribution", cycle_time(a, b, 60.0)),
    ]
}

/// The cases of a log that start in its first `weeks` whole weeks, and the others, unmoved.
pub fn split_at(log: &EventLog, weeks: u64) -> (EventLog, EventLog) {
    split_moving(log, weeks, false)
}

/// The first part of a log against the rest, the first part moved forward by whole weeks so
/// that weekdays and hours line up: the noise floor of the measures for this process.
/// Cases are split by their first start at `weeks` whole weeks after the log's first day.
pub fn split(log: &EventLog, weeks: u64) -> (EventLog, EventLog) {
    split_moving(log, weeks, true)
}

/// `split`, the first part moved forward (every time of its cases: start, end, enable and
/// recorded arrival) or not.
fn split_moving(log: &EventLog, weeks: u64, move_first: bool) -> (EventLog, EventLog) {
    let t0 = time::day(min_start(log)) as f64 * 1440.0;
    let cut = t0 + weeks as f64 * 7.0 * 1440.0;
    let forward = if move_first { cut - t0 } else { 0.0 };
    let mut first = EventLog::like(log);
    let mut second = EventLog::like(log);
    for evs in log.by_case() {
        let start = evs.iter().map(|e| e.start).fold(f64::INFINITY, f64::min);
        let (target, shift) = if start < cut { (&mut first, forward) } else { (&mut second, 0.0) };
        let c = CaseKey::index(evs[0].case);
        for e in evs.iter() {
            let moved = Event {
                start: e.start + shift,
                end: e.end + shift,
                enable: e.enable + shift,
                arrival: e.arrival + shift,
                ..*e
            };
            // Patience observations of an event log come from its visits (as `csv_log` reads
            // them): each part keeps its own. A ticket export's come from tickets without a
            // visit too and are not split.
            if !log.tickets && e.is_patience_observation() {
                target.rows.observed_visit(c, moved);
            } else {
                target.rows.visit(c, moved);
            }
        }
    }
    // Cases without a visit count as arrivals of the part their arrival falls in.
    for l in log.lone.iter().filter(|l| !l.arrival.is_nan()) {
        let (target, shift) = if l.arrival < cut { (&mut first, forward) } else { (&mut second, 0.0) };
        target.rows.case(CaseKey::index(l.case as u32), l.ctype, l.arrival + shift, 0);
    }
    first.finish();
    second.finish();
    (first, second)
}

/// The first start of the earliest and of the latest case (`None` for a log without events).
pub fn first_start_range(log: &EventLog) -> Option<(f64, f64)> {
    let mut r: Option<(f64, f64)> = None;
    for evs in log.by_case() {
        let start = evs.iter().map(|e| e.start).fold(f64::INFINITY, f64::min);
        if start.is_finite() {
            r = Some(r.map_or((start, start), |(lo, hi)| (lo.min(start), hi.max(start))));
        }
    }
    r
}

/// The cases of `log` whose first start falls in `[lo, hi]`: a simulated log cut to the
/// held-out period the way the held-out cases were chosen (by first start), so that a warm
/// run's training weeks and the cases after the period do not count against it.
pub fn window(log: &EventLog, lo: f64, hi: f64) -> EventLog {
    let mut out = EventLog::like(log);
    for evs in log.by_case() {
        let start = evs.iter().map(|e| e.start).fold(f64::INFINITY, f64::min);
        if (lo..=hi).contains(&start) {
            let c = CaseKey::index(evs[0].case);
            for e in evs.iter() {
                out.rows.visit(c, *e);
            }
        }
    }
    out.finish();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_keeps_each_parts_facts_and_moves_all_their_times() {
        use super::super::log::{Left, NONE};
        let mut log = EventLog::default();
        let r = log.resources.get("clerk");
        let vip = log.types.get("vip");
        let day = 1440.0;
        let visit = |start: f64, left: Left| Event {
            case: 0,
            activity: 0,
            resource: if left == Left::No { r } else { NONE },
            start,
            end: start + 10.0,
            enable: start - 5.0,
            left,
            line: 0,
            ctype: vip,
            arrival: start - 7.0,
        };
        log.activities.get("serve");
        // Served after waiting 5 min on day 0, gave up after 5 min on day 9; a ticket that left
        // without a visit on day 1.
        log.rows.observed_visit(CaseKey::of("a"), visit(600.0, Left::No));
        log.rows.observed_visit(
            CaseKey::of("b"),
            Event { end: 9.0 * day + 600.0, ..visit(9.0 * day + 600.0, Left::Abandoned) },
        );
        log.rows.case(CaseKey::of("c"), vip, day + 300.0, 3);
        log.finish();
        assert_eq!(log.patience.len(), 2);
        for (first, second) in [split_at(&log, 1), split(&log, 1)] {
            assert_eq!((first.events.len(), second.events.len()), (1, 1));
            assert_eq!((first.patience.len(), second.patience.len()), (1, 1), "each part keeps its observations");
            assert!(first.patience.iter().all(|o| o.wait == 5.0 && !o.abandoned && o.ctype == vip));
            assert!(second.patience.iter().all(|o| o.wait == 5.0 && o.abandoned));
            assert_eq!(first.lone.len(), 1, "the ticket that left arrived in the first week");
            assert_eq!(first.types.names, vec!["vip".to_string()]);
            let e = first.events.iter().next().unwrap();
            // Every time of the case moves together (or not at all).
            assert_eq!((e.start - e.enable, e.start - e.arrival, e.ctype), (5.0, 7.0, vip));
        }
        let (moved, _) = split(&log, 1);
        assert_eq!(moved.events.iter().next().unwrap().start, 7.0 * day + 600.0);
        assert_eq!(moved.lone.iter().next().unwrap().arrival, 8.0 * day + 300.0);
    }

    #[test]
    fn wasserstein_matches_scipy() {
        // scipy.stats.wasserstein_distance([0, 1, 3], [5, 6, 8]) == 5.0;
        // ([3.4, 3.9, 7.5, 7.8], [4.5, 1.4]) == 2.7 (scipy documentation examples).
        assert!((wasserstein(&[0.0, 1.0, 3.0], &[5.0, 6.0, 8.0]) - 5.0).abs() < 1e-12);
        assert!((wasserstein(&[3.4, 3.9, 7.5, 7.8], &[4.5, 1.4]) - 2.7).abs() < 1e-12);
        assert_eq!(wasserstein(&[1.0, 2.0], &[2.0, 1.0]), 0.0);
    }
}
