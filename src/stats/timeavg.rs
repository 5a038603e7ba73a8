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
    /// ∫ level dt over [warmup, horizon].
    pub area: f64,
    /// Largest level at or after the warm-up.
    pub max: f64,
    /// ∫ level dt per bin of [0, horizon).
    pub bins: Vec<f64>,
    /// The bin `last` falls in and where it ends: time only moves forward, so the bin is
    /// found by stepping, never by dividing (this sits on the hot path of every event).
    bin: usize,
    edge: f64,
}

impl TimeAvg {
    pub fn new(n_bins: usize) -> Self {
        TimeAvg { level: 0.0, last: 0.0, area: 0.0, max: 0.0, bins: vec![0.0; n_bins], bin: 0, edge: f64::NAN }
    }

    pub fn level(&self) -> f64 {
        self.level
    }

    /// Changes the level at time `now` (times never decrease).
    #[inline]
    pub fn set(&mut self, now: f64, level: f64, w: &Window) {
        if self.level != 0.0 && now > self.last && self.last < w.horizon {
            self.integrate(now, w);
        }
        self.last = now;
        self.level = level;
        if level > self.max && now >= w.warmup {
            self.max = level;
        }
    }

    #[inline]
    pub fn add(&mut self, now: f64, delta: f64, w: &Window) {
        let l = self.level + delta;
        self.set(now, l, w);
    }

    #[inline]
    fn integrate(&mut self, now: f64, w: &Window) {
        let end = now.min(w.horizon);
        let a = self.last.max(w.warmup);
        if end > a {
            self.area += self.level * (end - a);
        }
        let nb = self.bins.len();
        if nb == 0 {
            return;
        }
        if self.edge.is_nan() {
            self.edge = w.bin_width;
        }
        let mut t = self.last;
        while t < end {
            while t >= self.edge && self.bin + 1 < nb {
                self.bin += 1;
                self.edge = (self.bin + 1) as f64 * w.bin_width;
            }
            let seg_end = if self.bin + 1 < nb { end.min(self.edge) } else { end };
            self.bins[self.bin] += self.level * (seg_end - t);
            t = seg_end;
        }
    }

    /// Closes the books at the end of the run.
    pub fn finish(&mut self, end: f64, w: &Window) {
        let l = self.level;
        self.set(end.max(self.last), l, w);
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
        q.set(0.0, 2.0, &w);
        q.set(12.0, 1.0, &w);
        q.set(40.0, 0.0, &w);
        // Window [5, 30]: 2*(12-5) + 1*(30-12) = 14 + 18 = 32.
        assert!((q.area - 32.0).abs() < 1e-12);
        assert!((q.mean(&w) - 32.0 / 25.0).abs() < 1e-12);
        assert_eq!(q.bins, vec![20.0, 2.0 * 2.0 + 8.0, 10.0]);
    }
}
