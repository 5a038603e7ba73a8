//! Time-integrated occupancy (customers waiting at a step, staff busy in a group), summed
//! from the intervals during which each unit was held: the area under a queue-length curve
//! is the sum of the waits, the area under a busy-staff curve the sum of the service times.
//! One addition per wait or service, instead of an update at every change of the level; over
//! the observation window and per time-series bin.
//!
//! Two forms with the same arithmetic: `Occupancy`, one curve with its own bins (a step's
//! queue), and `Occupancies`, many curves that share the clock's segment and one time-major
//! matrix of bins (the resources' busy staff).

/// Observation window and bins shared by all occupancies of a replication.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub warmup: f64,
    pub horizon: f64,
    pub bin_width: f64,
}

/// End of bin `i` of `n`.
fn edge(n: usize, i: usize, w: &Window) -> f64 {
    if i + 1 < n { (i + 1) as f64 * w.bin_width } else { w.horizon }
}

/// The bin of `n` holding time `t` (`n` from the horizon on).
fn bin_of(n: usize, t: f64, w: &Window) -> usize {
    if t >= w.horizon || n == 0 {
        return n;
    }
    let mut i = ((t / w.bin_width) as usize).min(n - 1);
    // The division may round across an edge (by one bin at most): settle on the bin
    // whose edges hold `t`.
    if i > 0 && (i as f64 * w.bin_width) > t {
        i -= 1;
    } else if i + 1 < n && edge(n, i, w) <= t {
        i += 1;
    }
    i
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

/// The open segment of the time line, cut at bin edges, the warm-up and the horizon.
///
/// Intervals `[start, end]` are added with `end` never decreasing from one call to the next
/// (it is the current time), so only the segment holding the latest `end` is open. An
/// interval inside it — nearly all of them, as waits and services are short next to a bin —
/// costs two comparisons and an addition; one that began in the segment before costs one more
/// addition (`split`), and only a longer one goes piece by piece (`add_past`).
#[derive(Clone, Copy, Debug)]
struct Segment {
    /// `[start, end)`, its bin (`n` for none) and whether it lies in the window.
    start: f64,
    end: f64,
    bin: usize,
    inside: bool,
    /// The segment just before it, `[prev_start, start)`: its bin (if any) and whether it
    /// lies in the window. An interval that began there, the usual way of crossing a cut, is
    /// split without searching.
    prev_start: f64,
    prev_bin: usize,
    prev_inside: bool,
}

impl Segment {
    /// An empty segment at 0: the first addition opens the real one.
    fn empty(n: usize) -> Self {
        Segment { start: 0.0, end: 0.0, bin: n, inside: false, prev_start: 0.0, prev_bin: n, prev_inside: false }
    }

    /// The segment holding time `t`.
    fn at(t: f64, n: usize, w: &Window) -> Self {
        let b = bin_of(n, t, w);
        let (lo, hi) = if b < n { (b as f64 * w.bin_width, edge(n, b, w)) } else { (w.horizon, f64::INFINITY) };
        let (start, end) = cut(lo, hi, t, w);
        // The previous segment holds the instants just before `start`.
        let x = start;
        let mut p = bin_of(n, x, w);
        if p > 0 && (p == n || p as f64 * w.bin_width >= x) {
            p -= 1;
        }
        let (prev_start, prev_bin, prev_inside) = if x > 0.0 && p < n {
            // The cuts before `x` bound it below.
            let lo = [w.warmup, w.horizon].into_iter().filter(|&c| c < x).fold(p as f64 * w.bin_width, f64::max);
            (lo.min(x), p, lo >= w.warmup && lo < w.horizon)
        } else {
            (x, n, false)
        };
        Segment {
            start,
            end,
            bin: bin_of(n, start, w),
            inside: start >= w.warmup && start < w.horizon,
            prev_start,
            prev_bin,
            prev_inside,
        }
    }
}

/// Where an occupancy's bins are kept: `add(i, x)` adds `x` to bin `i`, nothing past the last.
trait Bins {
    fn add(&mut self, i: usize, x: f64);
}

/// A series of its own, empty until something is added to a bin (all zeros): most steps of
/// a large model never queue, and their bins would be most of a replication's memory.
struct OwnBins<'a> {
    bins: &'a mut Vec<f64>,
    n: usize,
}

impl Bins for OwnBins<'_> {
    #[inline(always)]
    fn add(&mut self, i: usize, x: f64) {
        if let Some(bin) = self.bins.get_mut(i) {
            *bin += x;
        } else if i < self.n {
            first_bin(self.bins, i, x, self.n);
        }
    }
}

/// `OwnBins::add` on bins not allocated yet (out of line: once per series at most).
#[cold]
#[inline(never)]
fn first_bin(bins: &mut Vec<f64>, i: usize, x: f64, n: usize) {
    *bins = vec![0.0; n];
    bins[i] += x;
}

/// Column `col` of a time-major matrix, `cells[bin * stride + col]`.
struct Column<'a> {
    cells: &'a mut [f64],
    stride: usize,
    col: usize,
    n: usize,
}

impl Bins for Column<'_> {
    #[inline(always)]
    fn add(&mut self, i: usize, x: f64) {
        if i < self.n
            && let Some(c) = self.cells.get_mut(i * self.stride + self.col)
        {
            *c += x;
        }
    }
}

/// Adds `[a, b)` (before the open segment) straight to the window (`area`) and the bins.
#[cold]
fn add_past(a: f64, b: f64, n: usize, w: &Window, area: &mut f64, bins: &mut impl Bins) {
    *area += (b.min(w.horizon) - a.max(w.warmup)).max(0.0);
    let mut i = bin_of(n, a, w);
    while i < n {
        let lo = i as f64 * w.bin_width;
        let piece = b.min(edge(n, i, w)) - a.max(lo);
        if piece <= 0.0 && lo >= b {
            break;
        }
        if piece > 0.0 {
            bins.add(i, piece);
        }
        i += 1;
    }
}

/// Adds `[start, seg.start)`, an interval's part before the open segment: to the previous
/// segment when it holds `start`, else piece by piece.
#[inline(never)]
fn split(seg: &Segment, start: f64, n: usize, w: &Window, area: &mut f64, bins: &mut impl Bins) {
    if start < seg.prev_start {
        add_past(start, seg.start, n, w, area, bins);
        return;
    }
    let piece = seg.start - start;
    bins.add(seg.prev_bin, piece);
    if seg.prev_inside {
        *area += piece;
    }
}

/// One curve with bins of its own (see `Segment` for the method).
/// `Default` is `Occupancy::new(0)`: no bins.
#[derive(Clone, Debug)]
pub struct Occupancy {
    seg: Segment,
    /// What was added to the open segment.
    acc: f64,
    /// ∫ occupancy dt over [warm-up, horizon], of closed segments until `finish`.
    pub area: f64,
    /// ∫ occupancy dt per bin of [0, horizon) (the last bin ends at the horizon); empty
    /// until something is added to a bin (see `OwnBins`).
    pub bins: Vec<f64>,
    /// Number of bins.
    n: usize,
}

impl Default for Occupancy {
    fn default() -> Self {
        Occupancy::new(0)
    }
}

impl Occupancy {
    pub fn new(n_bins: usize) -> Self {
        Occupancy { seg: Segment::empty(n_bins), acc: 0.0, area: 0.0, bins: Vec::new(), n: n_bins }
    }

    /// Adds one unit held over `[start, end]` (`start <= end`; `end` not before the `end` of
    /// the previous call).
    #[inline]
    pub fn add(&mut self, start: f64, end: f64, w: &Window) {
        if end >= self.seg.end {
            self.open(end, w);
        }
        if start >= self.seg.start {
            self.acc += end - start;
        } else {
            self.acc += end - self.seg.start;
            split(&self.seg, start, self.n, w, &mut self.area, &mut OwnBins { bins: &mut self.bins, n: self.n });
        }
    }

    /// Closes the open segment and opens the one holding time `t`.
    #[cold]
    fn open(&mut self, t: f64, w: &Window) {
        self.close();
        self.seg = Segment::at(t, self.n, w);
    }

    /// Books what the open segment holds into its bin and the window.
    fn close(&mut self) {
        if self.acc != 0.0 {
            let acc = std::mem::take(&mut self.acc);
            OwnBins { bins: &mut self.bins, n: self.n }.add(self.seg.bin, acc);
            if self.seg.inside {
                self.area += acc;
            }
        }
    }

    /// Books the open segment: `area` and `bins` are final.
    pub fn finish(&mut self, _w: &Window) {
        self.close();
    }

    /// Mean occupancy over the window (after `finish`).
    pub fn mean(&self, w: &Window) -> f64 {
        let len = w.horizon - w.warmup;
        if len > 0.0 { self.area / len } else { f64::NAN }
    }
}

/// A unit's running sums in `Occupancies`.
#[derive(Clone, Copy, Debug, Default)]
struct Sums {
    acc: f64,
    area: f64,
}

/// Many curves (units `0..units`) added to at the same clock: the open segment is shared, and
/// so are the bins, in one time-major matrix. The same additions in the same order as an
/// `Occupancy` per unit, so the same results bit for bit.
///
/// Why: with thousands of resources, most of them idle most of the time, an `Occupancy` per
/// resource closed its segment at the resource's next service, long after, into bins nobody
/// had touched since: every service end of a large model missed the cache there. Here a
/// unit's sum over the open segment waits in a dense array, and units with something to book
/// are listed; when the clock leaves the segment they are booked at once, into the matrix's
/// current row, which every unit shares.
#[derive(Clone, Debug)]
pub struct Occupancies {
    seg: Segment,
    /// Number of bins, and of units.
    n: usize,
    units: usize,
    /// Per unit, side by side (one cache line): what was added to the open segment, and
    /// ∫ occupancy dt over [warm-up, horizon] of closed segments until `finish`.
    sums: Vec<Sums>,
    /// Units with `acc` not zero.
    pending: Vec<u32>,
    /// ∫ occupancy dt of unit `u` in bin `b` at `b * units + u`.
    cells: Vec<f64>,
}

impl Occupancies {
    pub fn new(units: usize, n_bins: usize) -> Self {
        Occupancies {
            seg: Segment::empty(n_bins),
            n: n_bins,
            units,
            sums: vec![Sums::default(); units],
            pending: Vec::new(),
            cells: vec![0.0; n_bins * units],
        }
    }

    /// Adds one of unit `u`'s held over `[start, end]` (`start <= end`; `end` not before the
    /// `end` of the previous call, whatever its unit).
    #[inline]
    pub fn add(&mut self, u: usize, start: f64, end: f64, w: &Window) {
        if end >= self.seg.end {
            self.open(end, w);
        }
        let Some(sums) = self.sums.get_mut(u) else { return };
        let was = sums.acc;
        if start >= self.seg.start {
            sums.acc += end - start;
        } else {
            sums.acc += end - self.seg.start;
            let mut col = Column { cells: &mut self.cells, stride: self.units, col: u, n: self.n };
            split(&self.seg, start, self.n, w, &mut sums.area, &mut col);
        }
        if was == 0.0 && sums.acc != 0.0 {
            self.pending.push(u as u32);
        }
    }

    /// Closes the open segment and opens the one holding time `t`.
    #[cold]
    fn open(&mut self, t: f64, w: &Window) {
        self.close();
        self.seg = Segment::at(t, self.n, w);
    }

    /// Books what the open segment holds into its bin and the window, unit by unit.
    fn close(&mut self) {
        let (bin, inside) = (self.seg.bin, self.seg.inside);
        for u in self.pending.drain(..) {
            let u = u as usize;
            let sums = &mut self.sums[u];
            let acc = std::mem::take(&mut sums.acc);
            if inside {
                sums.area += acc;
            }
            Column { cells: &mut self.cells, stride: self.units, col: u, n: self.n }.add(bin, acc);
        }
    }

    /// Books the open segment: areas and bins are final.
    pub fn finish(&mut self) {
        self.close();
    }

    /// Unit `u`'s ∫ occupancy dt over the window (after `finish`).
    pub fn area(&self, u: usize) -> f64 {
        self.sums[u].area
    }

    /// Unit `u`'s mean occupancy over the window (after `finish`).
    pub fn mean(&self, u: usize, w: &Window) -> f64 {
        let len = w.horizon - w.warmup;
        if len > 0.0 { self.sums[u].area / len } else { f64::NAN }
    }

    /// Unit `u`'s ∫ occupancy dt in bin `b` (after `finish`).
    pub fn bin(&self, u: usize, b: usize) -> f64 {
        self.cells.get(b * self.units + u).copied().unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small LCG's uniform numbers in [0, 1) from `seed`: repeatable random intervals.
    fn uniform(seed: u64) -> impl FnMut() -> f64 {
        let mut x = seed;
        move || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 11) as f64 / (1u64 << 53) as f64
        }
    }

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
        let mut rnd = uniform(7);
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

    /// Many units in one `Occupancies` get, bit for bit, what an `Occupancy` per unit gets:
    /// random intervals of random units (short and long, across bins, the warm-up and the
    /// horizon, some of length zero), ends in time order.
    #[test]
    fn shared_occupancies_match_one_occupancy_per_unit() {
        let w = Window { warmup: 13.0, horizon: 95.0, bin_width: 10.0 };
        let mut rnd = uniform(11);
        let units = 7;
        let mut own: Vec<Occupancy> = (0..units).map(|_| Occupancy::new(10)).collect();
        let mut shared = Occupancies::new(units, 10);
        let mut now = 0.0;
        for k in 0..3000 {
            now += rnd() * 0.04;
            let u = (rnd() * units as f64) as usize % units;
            let len = match k % 7 {
                0 => 0.0,
                1 => rnd() * 40.0,
                _ => rnd() * 3.0,
            };
            let start = (now - len).max(0.0);
            own[u].add(start, now, &w);
            shared.add(u, start, now, &w);
        }
        // Those still inside at the end count up to past the horizon.
        for (u, o) in own.iter_mut().enumerate() {
            o.add(90.0, 120.0, &w);
            shared.add(u, 90.0, 120.0, &w);
            o.finish(&w);
        }
        shared.finish();
        for (u, o) in own.iter().enumerate() {
            assert!(o.area > 0.0);
            assert_eq!(o.area.to_bits(), shared.area(u).to_bits(), "unit {u}");
            assert_eq!(o.mean(&w).to_bits(), shared.mean(u, &w).to_bits(), "unit {u}");
            for b in 0..10 {
                assert_eq!(o.bins[b].to_bits(), shared.bin(u, b).to_bits(), "unit {u}, bin {b}");
            }
        }
    }
}
