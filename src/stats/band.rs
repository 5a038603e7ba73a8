//! One time-series bin across replications, in constant memory.
//!
//! The fan charts need, per bin, the mean across replications and the 5–95% band. Keeping
//! every replication's value cost 4 bytes × bins × series × replications (about 10 MB per
//! variant for 10,000 replications of a branch day); this accumulator costs a few hundred
//! bytes per bin whatever the number of replications.

use serde::{Deserialize, Serialize};

use super::Histogram;

/// Resolution of the fixed-point sum: 2^-32 (about 2.3e-10 in the series' unit).
const SCALE: f64 = 4_294_967_296.0;
/// Values are clamped to 2^40 before summing, so 2^40 replications cannot overflow 128 bits.
const CLAMP: f64 = 1_099_511_627_776.0;

/// Values (>= 0; NaN skipped) of one bin across replications.
///
/// Merging is exact and associative: integer counts, a fixed-point sum and a bucket
/// histogram. Shards merged in any grouping therefore give the same bits as a single run, and
/// the thread count cannot change them either.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BandAcc {
    n: u64,
    /// Σ value·2^32 as the (high, low) halves of a u128 (JSON numbers stay within 64 bits).
    sum: (u64, u64),
    min: f64,
    max: f64,
    hist: Histogram,
}

impl BandAcc {
    pub fn add(&mut self, v: f64) {
        if !v.is_finite() {
            return;
        }
        let v = v.clamp(0.0, CLAMP);
        let fixed = (v * SCALE) as u128;
        self.set_sum(self.sum_u128() + fixed);
        if self.n == 0 {
            (self.min, self.max) = (v, v);
        } else {
            self.min = self.min.min(v);
            self.max = self.max.max(v);
        }
        self.n += 1;
        self.hist.add(v);
    }

    pub fn merge(&mut self, o: &BandAcc) {
        if o.n == 0 {
            return;
        }
        if self.n == 0 {
            (self.min, self.max) = (o.min, o.max);
        } else {
            self.min = self.min.min(o.min);
            self.max = self.max.max(o.max);
        }
        self.n += o.n;
        self.set_sum(self.sum_u128() + o.sum_u128());
        self.hist.merge(&o.hist);
    }

    fn sum_u128(&self) -> u128 {
        (u128::from(self.sum.0) << 64) | u128::from(self.sum.1)
    }

    fn set_sum(&mut self, s: u128) {
        self.sum = ((s >> 64) as u64, s as u64);
    }

    /// Whether the parts agree (an accumulator read from a file): the histogram holds `n`
    /// values, `min <= max` within the clamped range, and the sum is at most `n` × the clamp.
    pub fn consistent(&self) -> bool {
        if self.hist.n() != self.n {
            return false;
        }
        if self.n == 0 {
            return self.sum_u128() == 0;
        }
        let bounded = |x: f64| (0.0..=CLAMP).contains(&x);
        let max_sum = u128::from(self.n) * (CLAMP * SCALE) as u128;
        bounded(self.min) && bounded(self.max) && self.min <= self.max && self.sum_u128() <= max_sum
    }

    /// How many values the bin holds.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// `merge`, refusing counts or sums that would wrap.
    pub fn try_merge(&mut self, o: &BandAcc) -> Result<(), String> {
        let overflow = || "time-series counts overflow".to_string();
        self.n.checked_add(o.n).ok_or_else(overflow)?;
        self.sum_u128().checked_add(o.sum_u128()).ok_or_else(overflow)?;
        self.hist.n().checked_add(o.hist.n()).ok_or_else(overflow)?;
        self.merge(o);
        Ok(())
    }

    /// The largest value (0 when there are none).
    pub fn max(&self) -> f64 {
        if self.n == 0 { 0.0 } else { self.max }
    }

    /// Mean of the values, NaN when there are none.
    pub fn mean(&self) -> f64 {
        if self.n == 0 { f64::NAN } else { self.sum_u128() as f64 / SCALE / self.n as f64 }
    }

    /// Nearest-rank p-quantile, within the histogram's documented 0.8% and never outside
    /// the values' range (a bin at 100% utilisation reads 1, not a bucket midpoint above it).
    pub fn quantile(&self, p: f64) -> f64 {
        if self.n == 0 { f64::NAN } else { self.hist.quantile(p).clamp(self.min, self.max) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_band_and_exact_merge() {
        let vals: Vec<f64> =
            (0..1000).map(|i| f64::from(i % 37) * 0.25 + if i % 10 == 0 { 1e-3 } else { 0.0 }).collect();
        let mut all = BandAcc::default();
        for v in &vals {
            all.add(*v);
        }
        all.add(f64::NAN);
        let exact = vals.iter().sum::<f64>() / vals.len() as f64;
        assert!((all.mean() - exact).abs() < 1e-9);
        let mut sorted = vals.clone();
        sorted.sort_by(f64::total_cmp);
        for p in [0.05, 0.5, 0.95] {
            let want = sorted[(p * 1000.0_f64).ceil() as usize - 1];
            let got = all.quantile(p);
            assert!((got - want).abs() <= want * 0.008 + 1e-9, "p={p}: {got} vs {want}");
        }
        // Any grouping of the same values merges to identical state.
        let (mut a, mut b, mut c) = (BandAcc::default(), BandAcc::default(), BandAcc::default());
        for (i, v) in vals.iter().enumerate() {
            [&mut a, &mut b, &mut c][i * 3 / vals.len()].add(*v);
        }
        let mut ab_c = a.clone();
        ab_c.merge(&b);
        ab_c.merge(&c);
        let mut a_bc = b.clone();
        a_bc.merge(&c);
        let mut x = a.clone();
        x.merge(&a_bc);
        assert_eq!(ab_c, x);
        assert_eq!(ab_c.mean().to_bits(), x.mean().to_bits());
        assert_eq!(ab_c.n, 1000);
    }

    #[test]
    fn full_utilisation_reads_one() {
        let mut u = BandAcc::default();
        for _ in 0..50 {
            u.add(1.0);
        }
        assert_eq!((u.quantile(0.05), u.mean(), u.quantile(0.95)), (1.0, 1.0, 1.0));
        assert!(BandAcc::default().mean().is_nan());
    }
}
