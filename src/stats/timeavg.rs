//! Time-weighted averages of piecewise-constant levels (queue length, busy staff), with the
//! area also split into fixed bins over [0, horizon) for the time-series charts.

/// Observation window and bins shared by all time-weighted levels of a replication.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub warmup: f64,
    pub horizon: f64,
    pub bin_width: f64,
}

#[derive(Clone, Debug)]
pub struct TimeAvg {
    level: f64,
    last: f64,
    /// ∫ level dt over [0, last].
    cum: f64,
    /// The next instant where the running integral must be cut: the end of the current bin,
    /// the warm-up or the horizon, whichever comes first. An update before it costs one
    /// multiply-add; crossing it (once per bin) takes the cold path `cross`.
    mark: f64,
    /// ∫ over [0, warmup] and [0, horizon], once reached.
    at_warmup: Option<f64>,
    at_horizon: Option<f64>,
    /// ∫ level dt over [warmup, horizon] (set by `finish`).
    pub area: f64,
    /// Largest level set at or after the warm-up (kept by `add_tracking_max` only).
    pub max: f64,
    /// ∫ level dt per bin of [0, horizon) (the last bin ends at the horizon).
    pub bins: Vec<f64>,
    bin: usize,
    bin_start: f64,
}

impl TimeAvg {
    pub fn new(n_bins: usize) -> Self {
        TimeAvg {
            level: 0.0,
            last: 0.0,
            cum: 0.0,
            mark: 0.0,
            at_warmup: None,
            at_horizon: None,
            area: 0.0,
            max: 0.0,
            bins: vec![0.0; n_bins],
            bin: 0,
            bin_start: 0.0,
        }
    }

    pub fn level(&self) -> f64 {
        self.level
    }

    /// Changes the level at time `now` (times never decrease). `max` is left alone: only the
    /// `_tracking_max` updates keep it, for the levels whose maximum is reported.
    #[inline]
    pub fn set(&mut self, now: f64, level: f64, w: &Window) {
        if now >= self.mark {
            self.cross(now, w);
        }
        self.cum += self.level * (now - self.last);
        self.last = now;
        self.level = level;
    }

    #[inline]
    pub fn add(&mut self, now: f64, delta: f64, w: &Window) {
        let l = self.level + delta;
        self.set(now, l, w);
    }

    /// `add`, keeping `max` (the largest level set at or after the warm-up).
    #[inline]
    pub fn add_tracking_max(&mut self, now: f64, delta: f64, w: &Window) {
        self.add(now, delta, w);
        if self.level > self.max && now >= w.warmup {
            self.max = self.level;
        }
    }

    /// End of bin `i`.
    fn edge(&self, i: usize, w: &Window) -> f64 {
        if i + 1 < self.bins.len() { (i + 1) as f64 * w.bin_width } else { w.horizon }
    }

    /// Integrates up to every cut at or before `now`, recording bins, warm-up and horizon.
    #[cold]
    fn cross(&mut self, now: f64, w: &Window) {
        loop {
            let mut next = f64::INFINITY;
            if self.at_warmup.is_none() {
                next = next.min(w.warmup);
            }
            if self.at_horizon.is_none() {
                next = next.min(w.horizon);
            }
            if self.bin < self.bins.len() {
                next = next.min(self.edge(self.bin, w));
            }
            if next > now {
                self.mark = next;
                return;
            }
            self.cum += self.level * (next - self.last);
            self.last = next;
            if self.at_warmup.is_none() && next >= w.warmup {
                self.at_warmup = Some(self.cum);
            }
            if self.at_horizon.is_none() && next >= w.horizon {
                self.at_horizon = Some(self.cum);
            }
            while self.bin < self.bins.len() && self.edge(self.bin, w) <= next {
                self.bins[self.bin] = self.cum - self.bin_start;
                self.bin_start = self.cum;
                self.bin += 1;
            }
        }
    }

    /// Closes the books at the end of the run (the level holds until the horizon if the run
    /// ended earlier).
    pub fn finish(&mut self, end: f64, w: &Window) {
        self.add_tracking_max(end.max(self.last).max(w.horizon), 0.0, w);
        self.area = self.at_horizon.unwrap_or(self.cum) - self.at_warmup.unwrap_or(0.0);
    }

    /// Mean level over the window.
    pub fn mean(&self, w: &Window) -> f64 {
        let len = w.horizon - w.warmup;
        if len > 0.0 { self.area / len } else { f64::NAN }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrates_across_bins_and_window() {
        let w = Window { warmup: 5.0, horizon: 30.0, bin_width: 10.0 };
        let mut q = TimeAvg::new(3);
        q.add_tracking_max(0.0, 2.0, &w);
        q.add_tracking_max(12.0, -1.0, &w);
        q.add_tracking_max(40.0, -1.0, &w);
        q.finish(40.0, &w);
        // Window [5, 30]: 2*(12-5) + 1*(30-12) = 14 + 18 = 32.
        assert!((q.area - 32.0).abs() < 1e-12);
        assert!((q.mean(&w) - 32.0 / 25.0).abs() < 1e-12);
        assert_eq!(q.bins, vec![20.0, 2.0 * 2.0 + 8.0, 10.0]);
        // The level 2 was set before the warm-up; 1 is the largest inside the window.
        assert_eq!(q.max, 1.0);
    }
}
