//! Case arrivals as a non-homogeneous Poisson process: a rate per weekday × interval.
//!
//! Counting arrivals per (weekday, hour) bin and dividing by the number of such weekdays in
//! the observed span is the maximum-likelihood estimate of a piecewise-constant rate; its
//! 95% interval comes from the Poisson count (Byar's approximation, within 1% of the exact
//! Garwood interval from 5 arrivals up). A weekday without any arrival is a closure.

use super::log::EventLog;
use super::rows::LoneCase;
use super::time::{self, Minutes};

/// Bins per day (one hour each).
pub const BINS: usize = 24;

#[derive(Clone, Debug)]
pub struct Arrivals {
    /// Arrival times of the cases, summarised: first, last, count and per date and hour.
    pub times: Times,
    /// Arrivals per weekday × hour.
    pub counts: [[u64; BINS]; 7],
    /// Calendar days of each weekday in the observed span.
    pub days: [u64; 7],
    /// Dates (as labels) on open weekdays without a single arrival: holidays the weekly
    /// calendar of format v1 cannot express, listed in a comment.
    pub quiet_dates: Vec<String>,
    /// Arrivals per weekday × hour of each stream (customer type or `NONE`, first activity):
    /// each stream gets its own profile, since walk-ins, appointments and online requests
    /// peak at different hours.
    pub streams: std::collections::BTreeMap<(u32, u32), [[u64; BINS]; 7]>,
}

/// The case arrival times as everything downstream uses them: the earliest and latest, how
/// many, and how many in each hour of each date. Kept as counts rather than one time per case
/// (issue #23: memory must not grow with the cases); every figure derived from them is a count
/// or an extreme, so it is exactly what the sorted list of times gave.
#[derive(Clone, Debug, Default)]
pub struct Times {
    first: Option<Minutes>,
    last: Option<Minutes>,
    n: u64,
    /// (date, hour bin) → arrivals: at most 24 per date of the span.
    per_hour: std::collections::BTreeMap<(i64, usize), u64>,
}

impl Times {
    fn push(&mut self, t: Minutes) {
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
        self.n += 1;
        *self.per_hour.entry((time::day(t), bin(t))).or_default() += 1;
    }

    /// The earliest arrival.
    pub fn first(&self) -> Option<&Minutes> {
        self.first.as_ref()
    }

    /// The latest arrival.
    pub fn last(&self) -> Option<&Minutes> {
        self.last.as_ref()
    }

    /// Cases with an arrival time.
    pub fn len(&self) -> usize {
        self.n as usize
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Arrivals per (date, hour bin), dates as `time::day`.
    pub fn per_hour(&self) -> &std::collections::BTreeMap<(i64, usize), u64> {
        &self.per_hour
    }
}

/// The hour bin of a time.
fn bin(t: Minutes) -> usize {
    ((time::clock(t) / 60.0) as usize).min(BINS - 1)
}

/// Poisson 95% interval of a count (Byar).
pub fn poisson_ci(k: u64) -> (f64, f64) {
    let z = 1.959_963_984_540_054;
    let k = k as f64;
    let lo = if k == 0.0 { 0.0 } else { k * (1.0 - 1.0 / (9.0 * k) - z / (3.0 * k.sqrt())).powi(3) };
    let k1 = k + 1.0;
    let hi = k1 * (1.0 - 1.0 / (9.0 * k1) + z / (3.0 * k1.sqrt())).powi(3);
    (lo, hi)
}

impl Arrivals {
    /// One pass over the cases in order: a case's arrival is counted as it streams by, nothing
    /// is kept per case.
    pub fn from_log(log: &EventLog) -> Arrivals {
        type Profile = [[u64; BINS]; 7];
        let mut times = Times::default();
        let mut streams = std::collections::BTreeMap::<(u32, u32), Profile>::new();
        // Arrivals of cases without a visit (tickets that left unserved, rows still waiting at
        // the end), per customer type: they join their type's main stream, known at the end.
        let mut orphans = std::collections::BTreeMap::<u32, Profile>::new();
        let mut orphan = |l: LoneCase, times: &mut Times| {
            let a = l.arrival;
            if !a.is_nan() {
                orphans.entry(l.ctype).or_insert([[0; BINS]; 7])[time::weekday(a)][bin(a)] += 1;
                times.push(a);
            }
        };
        // Cases come in order of their number, those without a visit among them.
        let mut lone = log.lone.iter();
        let mut next_lone = lone.next();
        for ev in log.by_case() {
            let c = u64::from(ev[0].case);
            while let Some(l) = next_lone.filter(|l| l.case < c) {
                orphan(l, &mut times);
                next_lone = lone.next();
            }
            let t = log.arrival(&ev);
            times.push(t);
            let key = (ev[0].ctype, ev[0].activity);
            streams.entry(key).or_insert([[0; BINS]; 7])[time::weekday(t)][bin(t)] += 1;
        }
        while let Some(l) = next_lone {
            orphan(l, &mut times);
            next_lone = lone.next();
        }
        // The main stream of each type: its most frequent first step.
        let mut main: std::collections::BTreeMap<u32, ((u32, u32), u64)> = std::collections::BTreeMap::new();
        for (key, c) in &streams {
            let n: u64 = c.iter().flatten().sum();
            let e = main.entry(key.0).or_insert((*key, 0));
            if n > e.1 {
                *e = (*key, n);
            }
        }
        let fallback = main.values().max_by_key(|(_, n)| *n).map(|(k, _)| *k);
        for (ty, p) in orphans {
            if let Some(key) = main.get(&ty).map(|(k, _)| *k).or(fallback) {
                let s = streams.entry(key).or_insert([[0; BINS]; 7]);
                for (row, add) in s.iter_mut().zip(p) {
                    row.iter_mut().zip(add).for_each(|(x, a)| *x += a);
                }
            }
        }
        let mut counts = [[0u64; BINS]; 7];
        let mut per_date = std::collections::BTreeSet::<i64>::new();
        for (&(d, h), &n) in times.per_hour() {
            counts[time::weekday(d as f64 * 1440.0)][h] += n;
            per_date.insert(d);
        }
        let mut days = [0u64; 7];
        let mut quiet_dates = Vec::new();
        if let (Some(a), Some(b)) = (times.first(), times.last()) {
            for d in time::day(*a)..=time::day(*b) {
                let wd = time::weekday(d as f64 * 1440.0);
                days[wd] += 1;
            }
            for d in time::day(*a)..=time::day(*b) {
                let wd = time::weekday(d as f64 * 1440.0);
                let open = counts[wd].iter().sum::<u64>() > 0;
                if open && !per_date.contains(&d) {
                    let label = time::label(d as f64 * 1440.0);
                    quiet_dates.push(label.get(..10).unwrap_or(&label).to_string());
                }
            }
        }
        Arrivals { times, counts, days, quiet_dates, streams }
    }

    /// Rate per hour in a bin, with its 95% interval.
    pub fn rate(&self, wd: usize, bin: usize) -> (f64, f64, f64) {
        let d = self.days[wd].max(1) as f64;
        let k = self.counts[wd][bin];
        let (lo, hi) = poisson_ci(k);
        (k as f64 / d, lo / d, hi / d)
    }

    /// Rate per hour of a stream in a bin.
    pub fn stream_rate(&self, key: (u32, u32), wd: usize, bin: usize) -> f64 {
        let d = self.days[wd].max(1) as f64;
        self.streams.get(&key).map_or(0.0, |c| c[wd][bin] as f64 / d)
    }

    pub fn closed(&self, wd: usize) -> bool {
        self.counts[wd].iter().all(|c| *c == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byar_interval_is_close_to_garwood() {
        // Garwood exact 95% limits for 10: 4.795, 18.390; for 0: 0, 3.689.
        let (lo, hi) = poisson_ci(10);
        assert!((lo - 4.795).abs() < 0.05 && (hi - 18.390).abs() < 0.05, "{lo} {hi}");
        let (lo, hi) = poisson_ci(0);
        assert!(lo == 0.0 && (hi - 3.689).abs() < 0.05, "{hi}");
    }
}
