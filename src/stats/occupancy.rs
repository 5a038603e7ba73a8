//! Time-integrated occupancy (customers waiting at a step, staff busy in a group), summed
//! from the intervals during which each unit was held: the area under a queue-length curve
//! is the sum of the waits, the area under a busy-staff curve the sum of the service times.
//! One addition per wait or service, instead of an update at every change of the level; over
//! the observation window and per time-series bin.

/// Observation window and bins shared by all occupancies of a replication.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub warmup: f64,
    pub horizon: f64,
    pub bin_width: f64,
}

/// Intervals `[start, end]` are added with `end` never decreasing from one call to the next
/// (it is the current time), so the time line can be cut into segments (at bin edges, the
/// warm-up and the horizon) of which only the current one is open. An interval inside it —
/// nearly all of them, as waits and services are short next to a bin — costs two comparisons
/// and an addition; one that began in the segment before costs one more addition (`split`),
/// and only a longer one goes piece by piece (`add_past`).
/// `Default` is `Occupancy::new(0)`: no bins.
#[derive(Clone, Debug, Default)]
pub struct Occupancy {
    /// The open segment `[seg_start, seg_end)` holding the latest `end`, and what was added to it.
    seg_start: f64,
    seg_end: f64,
    acc: f64,
    /// The segment just before it, `[prev_start, seg_start)`: its bin (if any) and whether
    /// it lies in the window. An interval that began there, the usual way of crossing a cut,
    /// is split without searching.
    prev_start: f64,
    prev_bin: usize,
    prev_inside: bool,
    /// ∫ occupancy dt over [warm-up, horizon], of closed segments until `finish`.
    pub area: f64,
    /// ∫ occupancy dt per bin of [0, horizon) (the last bin ends at the horizon); empty
    /// until something is added to a bin (all zeros): most steps of a large model never
    /// queue, and their bins would be most of a replication's memory.
    pub bins: Vec<f64>,
    /// Number of bins.
    n: usize,
}

impl Occupancy {
    pub fn new(n_bins: usize) -> Self {
        // An empty segment at 0: the first addition opens the real one.
        Occupancy {
            seg_start: 0.0,
            seg_end: 0.0,
            acc: 0.0,
            prev_start: 0.0,
            prev_bin: n_bins,
            prev_inside: false,
            area: 0.0,
            bins: Vec::new(),
            n: n_bins,
        }
    }

    /// Adds `x` (> 0) to bin `i` (nothing past the last bin), allocating the bins on first use.
    #[inline(always)]
    fn add_to_bin(&mut self, i: usize, x: f64) {
        if let Some(bin) = self.bins.get_mut(i) {
            *bin += x;
        } else if i < self.n {
            self.first_bin(i, x);
        }
    }

    /// `add_to_bin` on bins not allocated yet (out of line: once per occupancy at most).
    #[cold]
    #[inline(never)]
    fn first_bin(&mut self, i: usize, x: f64) {
        self.bins = vec![0.0; self.n];
        self.bins[i] += x;
    }

    /// Adds one unit held over `[start, end]` (`start <= end`; `end` not before the `end` of
    /// the previous call).
    #[inline]
    pub fn add(&mut self, start: f64, end: f64, w: &Window) {
        if end >= self.seg_end {
            self.open(end, w);
        }
        if start >= self.seg_start {
            self.acc += end - start;
        } else {
            self.acc += end - self.seg_start;
            self.split(start, w);
        }
    }

    /// Adds `[start, seg_start)`: to the previous segment when it holds `start`, else
    /// piece by piece.
    #[inline(never)]
    fn split(&mut self, start: f64, w: &Window) {
        if start < self.prev_start {
            self.add_past(start, self.seg_start, w);
            return;
        }
        let piece = self.seg_start - start;
        self.add_to_bin(self.prev_bin, piece);
        if self.prev_inside {
            self.area += piece;
        }
    }

    /// End of bin `i`.
    fn edge(&self, i: usize, w: &Window) -> f64 {
        if i + 1 < self.n { (i + 1) as f64 * w.bin_width } else { w.horizon }
    }

    /// The bin holding time `t` (`bins.len()` from the horizon on).
    fn bin_of(&self, t: f64, w: &Window) -> usize {
        let n = self.n;
        if t >= w.horizon || n == 0 {
            return n;
        }
        let mut i = ((t / w.bin_width) as usize).min(n - 1);
        // The division may round across an edge (by one bin at most): settle on the bin
        // whose edges hold `t`.
        if i > 0 && (i as f64 * w.bin_width) > t {
            i -= 1;
        } else if i + 1 < n && self.edge(i, w) <= t {
            i += 1;
        }
        i
    }

    /// Closes the open segment and opens the one holding time `t`.
    #[cold]
    fn open(&mut self, t: f64, w: &Window) {
        self.close(w);
        let b = self.bin_of(t, w);
        let (lo, hi) = if b < self.n { (b as f64 * w.bin_width, self.edge(b, w)) } else { (w.horizon, f64::INFINITY) };
        (self.seg_start, self.seg_end) = Self::cut(lo, hi, t, w);
        // The previous segment holds the instants just before `seg_start`.
        let x = self.seg_start;
        let mut p = self.bin_of(x, w);
        if p > 0 && (p == self.n || p as f64 * w.bin_width >= x) {
            p -= 1;
        }
        if x > 0.0 && p < self.n {
            // The cuts before `x` bound it below.
            let lo = [w.warmup, w.horizon].into_iter().filter(|&c| c < x).fold(p as f64 * w.bin_width, f64::max);
            self.prev_start = lo.min(x);
            self.prev_bin = p;
            self.prev_inside = lo >= w.warmup && lo < w.horizon;
        } else {
            (self.prev_start, self.prev_bin, self.prev_inside) = (x, self.n, false);
        }
    }

    /// Narrows the bin `[lo, hi)` holding `t` to the segment holding it, by the warm-up and
    /// horizon cuts.
    fn cut(mut lo: f64, mut hi: f64, t: f64, w: &Window) -> (f64, f64) {
        for c in [w.warmup, w.horizon] {
            if c <= t {
                lo = lo.max(c);
            } else {
                hi = hi.min(c);
            }
        }
        (lo, hi)
    }

    /// Books what the open segment holds into its bin and the window.
    fn close(&mut self, w: &Window) {
        if self.acc != 0.0 {
            let (s, acc) = (self.seg_start, std::mem::take(&mut self.acc));
            let b = self.bin_of(s, w);
            self.add_to_bin(b, acc);
            if s >= w.warmup && s < w.horizon {
                self.area += acc;
            }
        }
    }

    /// Adds `[a, b)` (before the open segment) straight to the window and the bins.
    #[cold]
    fn add_past(&mut self, a: f64, b: f64, w: &Window) {
        self.area += (b.min(w.horizon) - a.max(w.warmup)).max(0.0);
        let mut i = self.bin_of(a, w);
        while i < self.n {
            let lo = i as f64 * w.bin_width;
            let piece = b.min(self.edge(i, w)) - a.max(lo);
            if piece <= 0.0 && lo >= b {
                break;
            }
            if piece > 0.0 {
                self.add_to_bin(i, piece);
            }
            i += 1;
        }
    }

    /// Books the open segment: `area` and `bins` are final.
    pub fn finish(&mut self, w: &Window) {
        self.close(w);
    }

    /// Mean occupancy over the window (after `finish`).
    pub fn mean(&self, w: &Window) -> f64 {
        let len = w.horizon - w.warmup;
        if len > 0.0 { self.area / len } else { f64::NAN }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The level of a piecewise-constant curve integrated directly, for comparison.
    fn integral(intervals: &[(f64, f64)], lo: f64, hi: f64) -> f64 {
        intervals.iter().map(|&(a, b)| (b.min(hi) - a.max(lo)).max(0.0)).sum()
    }

    #[test]
    fn matches_the_integral_over_window_and_bins() {
        let w = Window { warmup: 5.0, horizon: 30.0, bin_width: 10.0 };
        // Sorted by end, as the engine adds them; some cross bins, the warm-up or the horizon.
        let intervals = [(0.0, 3.0), (1.0, 12.0), (11.0, 12.5), (4.0, 19.0), (20.0, 20.0), (15.0, 29.0), (25.0, 40.0)];
        let mut o = Occupancy::new(3);
        for &(a, b) in &intervals {
            o.add(a, b, &w);
        }
        o.finish(&w);
        assert!((o.area - integral(&intervals, 5.0, 30.0)).abs() < 1e-12, "{}", o.area);
        for (i, (lo, hi)) in [(0.0, 10.0), (10.0, 20.0), (20.0, 30.0)].into_iter().enumerate() {
            assert!((o.bins[i] - integral(&intervals, lo, hi)).abs() < 1e-12, "bin {i}: {}", o.bins[i]);
        }
        assert!((o.mean(&w) - o.area / 25.0).abs() < 1e-15);
    }

    /// Bins are allocated by the first interval of positive length only: a step where
    /// nobody waits (waits of zero) keeps none.
    #[test]
    fn bins_are_allocated_on_first_use() {
        let w = Window { warmup: 0.0, horizon: 30.0, bin_width: 10.0 };
        let mut o = Occupancy::new(3);
        o.add(4.0, 4.0, &w);
        o.add(12.0, 12.0, &w);
        o.finish(&w);
        assert!(o.bins.is_empty());
        assert_eq!(o.area, 0.0);
        o.add(13.0, 15.0, &w);
        o.finish(&w);
        assert_eq!(o.bins, vec![0.0, 2.0, 0.0]);
    }

    /// Many random intervals, a last bin shorter than the others, no warm-up: every bin and
    /// the window agree with direct integration.
    #[test]
    fn random_intervals_agree_with_direct_integration() {
        let w = Window { warmup: 0.0, horizon: 95.0, bin_width: 10.0 };
        let mut x: u64 = 7;
        let mut rnd = move || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut intervals = Vec::new();
        let mut now = 0.0;
        for _ in 0..2000 {
            now += rnd() * 0.06;
            let len = if rnd() < 0.05 { rnd() * 30.0 } else { rnd() * 2.0 };
            intervals.push(((now - len).max(0.0), now));
        }
        let mut o = Occupancy::new(10);
        for &(a, b) in &intervals {
            o.add(a, b, &w);
        }
        o.finish(&w);
        let tol = 1e-9 * integral(&intervals, 0.0, 1e9);
        assert!((o.area - integral(&intervals, 0.0, 95.0)).abs() < tol);
        for i in 0..10 {
            let hi = if i == 9 { 95.0 } else { (i + 1) as f64 * 10.0 };
            assert!((o.bins[i] - integral(&intervals, i as f64 * 10.0, hi)).abs() < tol, "bin {i}");
        }
    }
}
