//! Summaries of one KPI across replications: mean, sd, Student-t confidence interval.

use serde::{Deserialize, Serialize};

use super::student_t::t_quantile;

/// A KPI across replications. Replications where the KPI is undefined (NaN, e.g. a wait mean
/// with nobody served) are left out, which is why `n` is reported.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub mean: f64,
    pub sd: f64,
    pub ci95: [f64; 2],
    pub n: u64,
    pub min: f64,
    pub max: f64,
}

impl Summary {
    /// Summarises values in the given order (the order fixes the floating-point result, so
    /// callers pass replications in replication order).
    pub fn of(values: &[f64]) -> Summary {
        Summary::with_level(values, 0.95)
    }

    pub fn with_level(values: &[f64], level: f64) -> Summary {
        let mut n = 0u64;
        let mut mean = 0.0;
        let mut m2 = 0.0;
        let mut min = f64::INFINITY;
        let mut max = f64::NEG_INFINITY;
        for &x in values.iter().filter(|x| x.is_finite()) {
            n += 1;
            let delta = x - mean;
            mean += delta / n as f64;
            m2 += delta * (x - mean);
            min = min.min(x);
            max = max.max(x);
        }
        if n == 0 {
            return Summary { mean: f64::NAN, sd: f64::NAN, ci95: [f64::NAN; 2], n, min: f64::NAN, max: f64::NAN };
        }
        let sd = if n > 1 { (m2 / (n - 1) as f64).max(0.0).sqrt() } else { f64::NAN };
        let half = half_width(sd, n, level);
        let ci95 = if n > 1 { [mean - half, mean + half] } else { [f64::NAN, f64::NAN] };
        Summary { mean, sd, ci95, n, min, max }
    }

    pub fn half_width(&self) -> f64 {
        (self.ci95[1] - self.ci95[0]) / 2.0
    }
}

/// Half-width of a two-sided CI at `level` for a mean of n values with sample sd `sd`.
pub fn half_width(sd: f64, n: u64, level: f64) -> f64 {
    if n < 2 {
        return f64::NAN;
    }
    if sd == 0.0 {
        return 0.0;
    }
    let t = t_quantile(1.0 - (1.0 - level) / 2.0, (n - 1) as f64);
    t * sd / (n as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_sd_ci() {
        let s = Summary::of(&[1.0, 2.0, 3.0, 4.0, f64::NAN]);
        assert_eq!(s.n, 4);
        assert!((s.mean - 2.5).abs() < 1e-12);
        assert!((s.sd - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        // t(0.975, 3) = 3.182446305
        let h = 3.182_446_305 * s.sd / 2.0;
        assert!((s.half_width() - h).abs() < 1e-6);
    }
}
