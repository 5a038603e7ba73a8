//! Bounded, reproducible samples of per-visit values (durations, delays) for fitting.
//!
//! Distribution fits and empirical distributions need the values themselves, not sums, so a
//! step visited 10⁶ times would hold 10⁶ values. A fit from 65,536 values is as good as one
//! from all of them for the families fitted here (the standard error of a parameter falls
//! with √n: 0.4% at this size), so each step keeps a uniform reservoir sample of at most
//! `CAP` values (Vitter's algorithm R) and counts all of them. The sampler's generator has a
//! fixed seed: the same log gives the same sample, hence the same scenario, every time. Up to
//! `CAP` values the sample is every value in push order, so logs of ordinary size are fitted
//! exactly as before.

use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::{Rng as _, SeedableRng};

/// Values kept per sample.
pub const CAP: usize = 1 << 16;

/// The sample size: `CAP`, or `BRANCHSIM_DISCOVER_SAMPLE` values when set (the memory test
/// uses a small one to fill the samples with logs that run quickly).
pub fn cap() -> usize {
    static CAP_SET: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CAP_SET.get_or_init(|| {
        std::env::var("BRANCHSIM_DISCOVER_SAMPLE").ok().and_then(|v| v.parse().ok()).filter(|&n| n > 0).unwrap_or(CAP)
    })
}

/// A uniform sample of at most `CAP` of the values pushed, and how many were pushed.
#[derive(Clone, Debug)]
pub struct Sample<T> {
    kept: Vec<T>,
    seen: u64,
    rng: Option<Box<Xoshiro256PlusPlus>>,
    cap: usize,
}

impl<T> Default for Sample<T> {
    fn default() -> Self {
        Sample::with_cap(cap())
    }
}

impl<T> Sample<T> {
    pub fn with_cap(cap: usize) -> Self {
        Sample { kept: Vec::new(), seen: 0, rng: None, cap: cap.max(1) }
    }

    pub fn push(&mut self, v: T) {
        self.seen += 1;
        if self.kept.len() < self.cap {
            self.kept.push(v);
            return;
        }
        // Seeded on first need: a sample that never overflows costs no generator.
        let rng = self.rng.get_or_insert_with(|| Box::new(Xoshiro256PlusPlus::seed_from_u64(0x5a3b_1e5c)));
        // A uniform index below `seen` (multiply-shift, as `baseline::pick`).
        let j = ((u128::from(rng.next_u64()) * u128::from(self.seen)) >> 64) as usize;
        if j < self.cap {
            self.kept[j] = v;
        }
    }

    /// Values pushed in all (the sample holds at most `CAP` of them).
    pub fn seen(&self) -> u64 {
        self.seen
    }
}

impl<T> std::ops::Deref for Sample<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_samples_keep_everything_in_order() {
        let mut s = Sample::with_cap(10);
        (0..10).for_each(|i| s.push(i));
        assert_eq!(&s[..], &(0..10).collect::<Vec<_>>()[..]);
        assert_eq!(s.seen(), 10);
    }

    #[test]
    fn large_samples_are_bounded_uniform_and_reproducible() {
        let fill = || {
            let mut s = Sample::with_cap(1000);
            (0..100_000u32).for_each(|i| s.push(i));
            s
        };
        let (a, b) = (fill(), fill());
        assert_eq!(a.len(), 1000);
        assert_eq!(a.seen(), 100_000);
        assert_eq!(&a[..], &b[..], "same input, same sample");
        // Uniform over the input: each value is kept with probability 1/100, so the mean of
        // the kept values is 49,999.5 ± 28,868/√1000 = ±913 (one standard error); 4.5 SE.
        let mean = a.iter().map(|&x| f64::from(x)).sum::<f64>() / 1000.0;
        assert!((mean - 49_999.5).abs() < 4_100.0, "mean {mean}");
        // Both halves of the input are represented about equally: 500 ± 16 (binomial SD).
        let early = a.iter().filter(|&&x| x < 50_000).count();
        assert!((420..=580).contains(&early), "{early} of 1000 from the first half");
    }
}
