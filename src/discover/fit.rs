//! Maximum-likelihood fits of duration distributions and the choice between them.
//!
//! Candidates are the families the engine samples (exponential, lognormal, gamma, Weibull,
//! normal truncated at 0, fixed); the best by AIC is checked with the Kolmogorov–Smirnov
//! statistic, and when it is clearly rejected (p < 0.001 with at least 50 values) the
//! empirical distribution (its quantiles) is used instead: a planner gets what the data
//! shows rather than a family that does not fit. The KS p-value uses fitted parameters, so
//! it is optimistic (Lilliefors); it is reported as a check, not as a test of the family.

use super::special::{digamma, gamma_p, ln_gamma, normal_cdf, trigamma};

/// A fitted distribution, parameters in minutes.
#[derive(Clone, Debug, PartialEq)]
pub enum Family {
    Exponential {
        mean: f64,
    },
    Lognormal {
        mu: f64,
        sigma: f64,
    },
    Gamma {
        shape: f64,
        scale: f64,
    },
    Weibull {
        shape: f64,
        scale: f64,
    },
    /// The engine's `normal`: N(mean, sd²) redrawn below 0.
    TruncNormal {
        mean: f64,
        sd: f64,
    },
    Fixed {
        value: f64,
    },
    Empirical {
        values: Vec<f64>,
    },
}

/// The chosen fit with its evidence.
#[derive(Clone, Debug)]
pub struct Fit {
    pub family: Family,
    /// Values the fit was computed from (after leaving out non-finite and negative ones).
    pub n: usize,
    /// Observations the fit stands for: `n`, or more when it was fitted to a uniform sample of
    /// them (`sample`); the scenario's comment states this number, not the sample's size.
    pub observed: u64,
    pub zeros: usize,
    pub aic: f64,
    pub bic: f64,
    pub ks: f64,
    pub ks_p: f64,
    /// AIC of every parametric candidate, for the comment.
    pub candidates: Vec<(&'static str, f64)>,
    pub note: String,
}

impl Fit {
    /// The fit of a sample drawn from `observed` observations (kept as `n` when not more).
    pub fn of_sample(mut self, observed: u64) -> Fit {
        self.observed = observed.max(self.n as u64);
        self
    }

    /// True when the fit used a sample of the observations rather than all of them.
    pub fn sampled(&self) -> bool {
        self.observed > self.n as u64
    }
}

impl Family {
    pub fn name(&self) -> &'static str {
        match self {
            Family::Exponential { .. } => "exponential",
            Family::Lognormal { .. } => "lognormal",
            Family::Gamma { .. } => "gamma",
            Family::Weibull { .. } => "weibull",
            Family::TruncNormal { .. } => "normal",
            Family::Fixed { .. } => "deterministic",
            Family::Empirical { .. } => "empirical",
        }
    }

    fn params(&self) -> f64 {
        match self {
            Family::Exponential { .. } | Family::Fixed { .. } => 1.0,
            Family::Empirical { values } => values.len() as f64,
            _ => 2.0,
        }
    }

    pub fn mean(&self) -> f64 {
        match self {
            Family::Exponential { mean } => *mean,
            Family::Lognormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Family::Gamma { shape, scale } => shape * scale,
            Family::Weibull { shape, scale } => scale * ln_gamma(1.0 + 1.0 / shape).exp(),
            Family::TruncNormal { mean, sd } => {
                let a = mean / sd;
                mean + sd * phi(a) / normal_cdf(a)
            }
            Family::Fixed { value } => *value,
            Family::Empirical { values } => values.iter().sum::<f64>() / values.len().max(1) as f64,
        }
    }

    pub fn cdf(&self, x: f64) -> f64 {
        if x < 0.0 {
            return 0.0;
        }
        match self {
            Family::Exponential { mean } => 1.0 - (-x / mean).exp(),
            Family::Lognormal { mu, sigma } => {
                if x == 0.0 {
                    0.0
                } else {
                    normal_cdf((x.ln() - mu) / sigma)
                }
            }
            Family::Gamma { shape, scale } => gamma_p(*shape, x / scale),
            Family::Weibull { shape, scale } => 1.0 - (-(x / scale).powf(*shape)).exp(),
            Family::TruncNormal { mean, sd } => {
                let z0 = normal_cdf(-mean / sd);
                (normal_cdf((x - mean) / sd) - z0) / (1.0 - z0)
            }
            Family::Fixed { value } => f64::from(u8::from(x >= *value)),
            Family::Empirical { values } => values.partition_point(|v| *v <= x) as f64 / values.len() as f64,
        }
    }

    /// Log-likelihood of positive values (sorted or not).
    fn loglik(&self, xs: &[f64], sum_ln: f64) -> f64 {
        let n = xs.len() as f64;
        match self {
            Family::Exponential { mean } => -n * mean.ln() - xs.iter().sum::<f64>() / mean,
            Family::Lognormal { mu, sigma } => {
                let ss: f64 = xs.iter().map(|x| (x.ln() - mu).powi(2)).sum();
                -sum_ln - n * (sigma.ln() + 0.5 * (2.0 * std::f64::consts::PI).ln()) - ss / (2.0 * sigma * sigma)
            }
            Family::Gamma { shape, scale } => {
                (shape - 1.0) * sum_ln - xs.iter().sum::<f64>() / scale - n * (ln_gamma(*shape) + shape * scale.ln())
            }
            Family::Weibull { shape, scale } => {
                n * (shape.ln() - shape * scale.ln()) + (shape - 1.0) * sum_ln
                    - xs.iter().map(|x| (x / scale).powf(*shape)).sum::<f64>()
            }
            Family::TruncNormal { mean, sd } => trunc_normal_loglik(xs, *mean, *sd),
            Family::Fixed { .. } | Family::Empirical { .. } => f64::NAN,
        }
    }
}

fn phi(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

fn trunc_normal_loglik(xs: &[f64], mean: f64, sd: f64) -> f64 {
    if sd <= 0.0 {
        return f64::NEG_INFINITY;
    }
    let n = xs.len() as f64;
    let ss: f64 = xs.iter().map(|x| (x - mean).powi(2)).sum();
    -n * (sd.ln() + 0.5 * (2.0 * std::f64::consts::PI).ln()) - ss / (2.0 * sd * sd) - n * normal_cdf(mean / sd).ln()
}

/// Gamma shape by Minka's approximation refined with Newton steps on
/// ln k − ψ(k) = ln x̄ − mean(ln x).
fn gamma_shape(s: f64) -> f64 {
    let mut k = (3.0 - s + ((s - 3.0).powi(2) + 24.0 * s).sqrt()) / (12.0 * s);
    for _ in 0..20 {
        let f = k.ln() - digamma(k) - s;
        let step = f / (1.0 / k - trigamma(k));
        let next = (k - step).max(k / 10.0);
        if (next - k).abs() < 1e-12 * k {
            return next;
        }
        k = next;
    }
    k
}

/// Weibull shape: the root of Σxᵏ ln x / Σxᵏ − 1/k − mean(ln x), increasing in k; found by
/// bisection on ln k (robust where Newton overshoots on heavy tails). Values are scaled by
/// their mean first so xᵏ cannot overflow.
fn weibull(xs: &[f64], mean: f64) -> (f64, f64) {
    let ys: Vec<f64> = xs.iter().map(|x| x / mean).collect();
    let mean_ln = ys.iter().map(|y| y.ln()).sum::<f64>() / ys.len() as f64;
    let g = |k: f64| {
        let (mut a, mut b) = (0.0, 0.0);
        for y in &ys {
            let p = y.powf(k);
            a += p * y.ln();
            b += p;
        }
        a / b - 1.0 / k - mean_ln
    };
    let (mut lo, mut hi) = (0.02f64.ln(), 100f64.ln());
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        if g(mid.exp()) > 0.0 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let k = (0.5 * (lo + hi)).exp();
    let scale = (ys.iter().map(|y| y.powf(k)).sum::<f64>() / ys.len() as f64).powf(1.0 / k) * mean;
    (k, scale)
}

/// Truncated-normal MLE by Nelder–Mead on (mean, ln sd) from the moment estimates; when
/// the mean is 4 sd above 0 the truncation is negligible and the moments are the answer.
fn trunc_normal(xs: &[f64], mean: f64, sd: f64) -> (f64, f64) {
    if mean > 4.0 * sd {
        return (mean, sd);
    }
    let f = |p: [f64; 2]| -trunc_normal_loglik(xs, p[0], p[1].exp());
    let mut simplex = [[mean, sd.ln()], [mean + 0.2 * sd, sd.ln()], [mean, sd.ln() + 0.2]];
    let mut vals = simplex.map(f);
    for _ in 0..300 {
        let mut idx = [0, 1, 2];
        idx.sort_by(|a, b| vals[*a].total_cmp(&vals[*b]));
        let (b, m, w) = (idx[0], idx[1], idx[2]);
        let c = [(simplex[b][0] + simplex[m][0]) / 2.0, (simplex[b][1] + simplex[m][1]) / 2.0];
        let at = |t: f64| [c[0] + t * (simplex[w][0] - c[0]), c[1] + t * (simplex[w][1] - c[1])];
        let r = at(-1.0);
        let fr = f(r);
        if fr < vals[b] {
            let e = at(-2.0);
            let fe = f(e);
            (simplex[w], vals[w]) = if fe < fr { (e, fe) } else { (r, fr) };
        } else if fr < vals[m] {
            (simplex[w], vals[w]) = (r, fr);
        } else {
            let k = at(0.5);
            let fk = f(k);
            if fk < vals[w] {
                (simplex[w], vals[w]) = (k, fk);
            } else {
                for i in [m, w] {
                    simplex[i] = [(simplex[i][0] + simplex[b][0]) / 2.0, (simplex[i][1] + simplex[b][1]) / 2.0];
                    vals[i] = f(simplex[i]);
                }
            }
        }
        if (vals[w] - vals[b]).abs() < 1e-10 {
            break;
        }
    }
    let best = (0..3).min_by(|a, b| vals[*a].total_cmp(&vals[*b])).unwrap_or(0);
    (simplex[best][0], simplex[best][1].exp())
}

/// Kolmogorov–Smirnov statistic of sorted values against a CDF.
pub fn ks(sorted: &[f64], f: &Family) -> f64 {
    let n = sorted.len() as f64;
    let mut d: f64 = 0.0;
    for (i, x) in sorted.iter().enumerate() {
        let c = f.cdf(*x);
        d = d.max(c - i as f64 / n).max((i + 1) as f64 / n - c);
    }
    d
}

/// Asymptotic p-value of the KS statistic (Stephens' small-sample correction).
pub fn ks_p(d: f64, n: usize) -> f64 {
    let sn = (n as f64).sqrt();
    let l = (sn + 0.12 + 0.11 / sn) * d;
    if l < 0.2 {
        return 1.0;
    }
    let mut s = 0.0;
    for j in 1..100 {
        let t = 2.0 * (-1f64).powi(j - 1) * (-2.0 * f64::from(j * j) * l * l).exp();
        s += t;
        if t.abs() < 1e-12 {
            break;
        }
    }
    s.clamp(0.0, 1.0)
}

/// Quantiles (at most `k`) of sorted values, for the empirical distribution.
pub fn quantiles(sorted: &[f64], k: usize) -> Vec<f64> {
    if sorted.len() <= k {
        return sorted.to_vec();
    }
    (0..k).map(|i| sorted[((i as f64 + 0.5) / k as f64 * sorted.len() as f64) as usize]).collect()
}

/// Fits durations (minutes, ≥ 0). `None` for an empty sample.
pub fn fit(values: &[f64]) -> Option<Fit> {
    let mut xs: Vec<f64> = values.iter().copied().filter(|x| x.is_finite() && *x >= 0.0).collect();
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let n_all = xs.len();
    let zeros = xs.iter().take_while(|x| **x == 0.0).count();
    let mean_all = xs.iter().sum::<f64>() / n_all as f64;
    let (lo, hi) = (xs[0], xs[n_all - 1]);
    if hi - lo <= 1e-9 + 0.01 * mean_all || n_all - zeros < 2 {
        return Some(Fit {
            family: Family::Fixed { value: mean_all },
            n: n_all,
            observed: n_all as u64,
            zeros,
            aic: f64::NAN,
            bic: f64::NAN,
            ks: 0.0,
            ks_p: 1.0,
            candidates: Vec::new(),
            note: format!("all values within 1% of {mean_all:.3} min"),
        });
    }
    let pos = &xs[zeros..];
    let n = pos.len() as f64;
    let mean = pos.iter().sum::<f64>() / n;
    let var = pos.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let sd = var.sqrt();
    let sum_ln: f64 = pos.iter().map(|x| x.ln()).sum();
    let mean_ln = sum_ln / n;
    let sd_ln = (pos.iter().map(|x| (x.ln() - mean_ln).powi(2)).sum::<f64>() / n).sqrt();
    let mut cands = vec![Family::Exponential { mean }];
    if sd_ln > 0.0 {
        cands.push(Family::Lognormal { mu: mean_ln, sigma: sd_ln });
    }
    let s = mean.ln() - mean_ln;
    if s > 1e-9 {
        let k = gamma_shape(s);
        cands.push(Family::Gamma { shape: k, scale: mean / k });
    }
    let (wk, ws) = weibull(pos, mean);
    cands.push(Family::Weibull { shape: wk, scale: ws });
    let (tm, ts) = trunc_normal(pos, mean, sd);
    cands.push(Family::TruncNormal { mean: tm, sd: ts });
    let scored: Vec<(Family, f64)> = cands
        .into_iter()
        .map(|f| {
            let ll = f.loglik(pos, sum_ln);
            let aic = 2.0 * f.params() - 2.0 * ll;
            (f, aic)
        })
        .filter(|(_, a)| a.is_finite())
        .collect();
    let candidates: Vec<(&'static str, f64)> = scored.iter().map(|(f, a)| (f.name(), *a)).collect();
    let (best, aic) = scored.into_iter().min_by(|a, b| a.1.total_cmp(&b.1))?;
    let bic = aic - 2.0 * best.params() + best.params() * n.ln();
    let d = ks(pos, &best);
    let p = ks_p(d, pos.len());
    let (family, note) = if p < 0.001 && pos.len() >= 50 {
        let note = format!("best parametric fit {} rejected (KS D = {d:.3}, p = {p:.1e})", best.name());
        (Family::Empirical { values: quantiles(&xs, 100) }, note)
    } else {
        (best, String::new())
    };
    Some(Fit { family, n: n_all, observed: n_all as u64, zeros, aic, bic, ks: d, ks_p: p, candidates, note })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::Distribution;

    fn sample<D: Distribution<f64>>(d: D, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
        (0..n).map(|_| d.sample(&mut rng)).collect()
    }

    /// With 4000 draws the ML estimates' standard errors are about 1.6% of a mean with CV 1
    /// (σ/√n), so 5% tolerances are over three standard errors.
    #[test]
    fn each_family_is_recovered() {
        let xs = sample(rand_distr::LogNormal::new(2.0, 0.5).unwrap(), 4000, 1);
        let f = fit(&xs).unwrap();
        assert_eq!(f.family.name(), "lognormal", "{f:?}");
        assert!((f.family.mean() - (2.0f64 + 0.125).exp()).abs() / 8.37 < 0.05);

        let xs = sample(rand_distr::Gamma::new(3.0, 4.0).unwrap(), 4000, 2);
        let f = fit(&xs).unwrap();
        let Family::Gamma { shape, scale } = f.family else { panic!("{f:?}") };
        assert!((shape - 3.0).abs() < 0.2 && (shape * scale - 12.0).abs() < 0.6, "{shape} {scale}");

        let xs = sample(rand_distr::Weibull::new(10.0, 0.7).unwrap(), 4000, 3);
        let f = fit(&xs).unwrap();
        let Family::Weibull { shape, scale } = f.family else { panic!("{f:?}") };
        assert!((shape - 0.7).abs() < 0.035 && (scale - 10.0).abs() < 0.6, "{shape} {scale}");

        let xs = sample(rand_distr::Exp::new(0.2).unwrap(), 4000, 4);
        let f = fit(&xs).unwrap();
        assert!(matches!(f.family.name(), "exponential" | "gamma" | "weibull"), "{f:?}");
        assert!((f.family.mean() - 5.0).abs() < 0.25);
        assert!(f.ks_p > 0.01, "the generating family must not be rejected: {f:?}");

        let xs: Vec<f64> =
            sample(rand_distr::Normal::new(3.0, 2.0).unwrap(), 20000, 5).into_iter().filter(|x| *x >= 0.0).collect();
        let f = fit(&xs).unwrap();
        let Family::TruncNormal { mean, sd } = f.family else { panic!("{f:?}") };
        assert!((mean - 3.0).abs() < 0.15 && (sd - 2.0).abs() < 0.1, "{mean} {sd}");

        let f = fit(&[5.0, 5.0, 5.01]).unwrap();
        assert_eq!(f.family.name(), "deterministic");
    }

    #[test]
    fn a_shape_no_family_has_becomes_empirical() {
        // Two well-separated modes: every unimodal family is rejected by KS.
        let mut xs = sample(rand_distr::Normal::new(5.0, 0.5).unwrap(), 500, 6);
        xs.extend(sample(rand_distr::Normal::new(50.0, 2.0).unwrap(), 500, 7));
        let f = fit(&xs).unwrap();
        assert_eq!(f.family.name(), "empirical", "{f:?}");
        assert!(f.ks_p < 0.001);
    }
}
