//! Case arrivals as a non-homogeneous Poisson process: a rate per weekday × interval.
//!
//! Counting arrivals per (weekday, hour) bin and dividing by the number of such weekdays in
//! the observed span is the maximum-likelihood estimate of a piecewise-constant rate; its
//! 95% interval comes from the Poisson count (Byar's approximation, within 1% of the exact
//! Garwood interval from 5 arrivals up). A weekday without any arrival is a closure.

use super::log::EventLog;
use super::time::{self, Minutes};

/// Bins per day (one hour each).
pub const BINS: usize = 24;

#[derive(Clone, Debug)]
pub struct Arrivals {
    /// Arrival times of every case, sorted.
    pub times: Vec<Minutes>,
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
    pub fn from_log(log: &EventLog) -> Arrivals {
        let mut first = vec![f64::INFINITY; log.cases.len()];
        let mut streams = std::collections::BTreeMap::<(u32, u32), [[u64; BINS]; 7]>::new();
        for ev in log.by_case() {
            let t = log.arrival(&ev);
            first[ev[0].case as usize] = t;
            let key = (log.case_type[ev[0].case as usize], ev[0].activity);
            let bin = ((time::clock(t) / 60.0) as usize).min(BINS - 1);
            streams.entry(key).or_insert([[0; BINS]; 7])[time::weekday(t)][bin] += 1;
        }
        // Cases without a visit (tickets that left unserved, rows still waiting at the end)
        // join the stream of their type's most frequent first step.
        let mut main: std::collections::BTreeMap<u32, ((u32, u32), u64)> = std::collections::BTreeMap::new();
        for (key, c) in &streams {
            let n: u64 = c.iter().flatten().sum();
            let e = main.entry(key.0).or_insert((*key, 0));
            if n > e.1 {
                *e = (*key, n);
            }
        }
        let fallback = main.values().max_by_key(|(_, n)| *n).map(|(k, _)| *k);
        for (c, a) in log.case_arrival.iter().enumerate() {
            if !a.is_nan() {
                if first[c].is_infinite() {
                    let key = main.get(&log.case_type[c]).map(|(k, _)| *k).or(fallback);
                    if let Some(key) = key {
                        let bin = ((time::clock(*a) / 60.0) as usize).min(BINS - 1);
                        streams.entry(key).or_insert([[0; BINS]; 7])[time::weekday(*a)][bin] += 1;
                    }
                }
                first[c] = first[c].min(*a);
            }
        }
        let mut times: Vec<Minutes> = first.into_iter().filter(|t| t.is_finite()).collect();
        times.sort_by(f64::total_cmp);
        let mut counts = [[0u64; BINS]; 7];
        let mut per_date = std::collections::BTreeMap::<i64, u64>::new();
        for &t in &times {
            let bin = ((time::clock(t) / 60.0) as usize).min(BINS - 1);
            counts[time::weekday(t)][bin] += 1;
            *per_date.entry(time::day(t)).or_default() += 1;
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
                if open && !per_date.contains_key(&d) {
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
