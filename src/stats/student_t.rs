//! Student t and standard normal distribution functions, in pure Rust.
//!
//! The output analysis (replication confidence intervals, paired comparisons
//! under common random numbers with Bonferroni corrections) needs
//! `t_{n-1, 1-α/2}` for small `n` and for very small `α` (e.g. `0.0005 / 20`),
//! so a printed table or a normal approximation is not good enough.
//!
//! Method:
//! * The t CDF comes from the regularized incomplete beta function,
//!   `P(T < -s) = ½·I_{ν/(ν+s²)}(ν/2, ½)`, evaluated with the Lentz continued
//!   fraction. Both the tail `P(T < -s)` and the centre `P(0 < T < s)` are
//!   computed directly so that neither loses relative accuracy.
//! * The quantile starts from the better of a Cornish–Fisher expansion and a
//!   power-law tail approximation, then refines with a bracketed Newton
//!   iteration on `ln(probability)` against `ln(s)` (nearly linear in both
//!   the centre and the tail), falling back to bisection if a step leaves the
//!   bracket. `ν = 1` and `ν = 2` use their closed forms.
//! * For `ν > 1e5` (and `ν = ∞`) the four-term Cornish–Fisher expansion
//!   around the normal quantile is used directly: its truncation error there
//!   is far below `1e-12` relative.
//! * The normal quantile is Wichura's AS241 (PPND16, ~1e-16 relative); the
//!   normal CDF uses `erfc` from the incomplete-gamma series / continued
//!   fraction, accurate in relative terms far into the lower tail.
//!
//! Invalid arguments (NaN, `df <= 0`, `p` outside `[0, 1]`) give `f64::NAN`;
//! `p = 0` and `p = 1` give `-∞` and `+∞`.

use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// Relative convergence tolerance for the series and continued fractions.
const EPS: f64 = f64::EPSILON;
/// Guard against division by zero in the modified Lentz algorithm.
const TINY: f64 = 1e-300;
/// Iteration cap for continued fractions (never reached for sane arguments).
const MAX_CF_ITER: usize = 100_000;
/// Above this many degrees of freedom the Cornish–Fisher expansion is used.
const LARGE_DF: f64 = 1e5;
/// `ln(√(2π))`.
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;
/// `1/√π`.
const FRAC_1_SQRT_PI: f64 = 0.564_189_583_547_756_3;

/// Two-sided 95 % critical value `t_{0.975, df}`, the multiplier of `s/√n` in
/// the usual replication confidence interval (`df = n - 1`).
///
/// Returns `f64::NAN` for `df = 0` (a single replication has no variance
/// estimate).
pub fn t975(df: usize) -> f64 {
    if df == 0 {
        return f64::NAN;
    }
    t_quantile(0.975, df as f64)
}

/// CDF of Student's t distribution with `df` degrees of freedom
/// (`df` may be fractional, e.g. Welch's approximation; `df = ∞` gives the
/// normal CDF). Accurate in relative terms in the lower tail.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if df.is_infinite() {
        return normal_cdf(t);
    }
    if t.is_infinite() {
        return if t > 0.0 { 1.0 } else { 0.0 };
    }
    if df > LARGE_DF {
        // The incomplete-beta continued fraction loses accuracy for huge ν;
        // invert the (there essentially exact) Cornish–Fisher expansion.
        return normal_cdf(cornish_fisher_inverse(t, df));
    }
    let (tail, centre) = t_tail_centre(t.abs(), df);
    if t < 0.0 { tail } else { 0.5 + centre }
}

/// Inverse CDF (quantile) of Student's t distribution: the `t` with
/// `P(T <= t) = p`. Used for confidence-interval half-widths, including
/// Bonferroni-corrected levels with very small tail probabilities.
///
/// Accurate to about `1e-12` relative for `df >= 1` (and fractional `df`),
/// for any `p` in `(0, 1)` representable as an `f64`.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    if p.is_nan() || df.is_nan() || df <= 0.0 || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    if p == 0.5 {
        return 0.0;
    }
    // Work with s = |t| >= 0. `tail` = P(T < -s), `centre` = P(0 < T < s);
    // each is computed exactly from `p` whenever it is the larger of the two
    // pieces that matter (Sterbenz: p - 0.5 and 1 - p are exact for p >= 0.5,
    // 0.5 - p is exact for p in [0.25, 0.5]).
    let (sign, tail, centre) = if p < 0.5 { (-1.0, p, 0.5 - p) } else { (1.0, 1.0 - p, p - 0.5) };
    let s = if df > LARGE_DF {
        cornish_fisher(-normal_quantile(tail), df)
    } else if df == 1.0 {
        // Cauchy: F(t) = ½ + atan(t)/π.
        if tail < 0.25 { 1.0 / (PI * tail).tan() } else { (PI * centre).tan() }
    } else if df == 2.0 {
        // F(t) = ½ + t / (2√(2 + t²)).
        2.0 * centre / (2.0 * tail * (1.0 - tail)).sqrt()
    } else {
        solve_abs_t(tail, centre, df)
    };
    sign * s
}

/// Solves for `s > 0` with `P(T < -s) = tail` (equivalently
/// `P(0 < T < s) = centre`) by a safeguarded Newton iteration in
/// `(ln s, ln prob)` coordinates.
fn solve_abs_t(tail: f64, centre: f64, df: f64) -> f64 {
    // Use the equation whose target is the smaller (hence most accurately
    // known, in relative terms) probability.
    let use_tail = tail < 0.25;
    let ln_target = if use_tail { tail.ln() } else { centre.ln() };
    let ln_b = ln_beta(0.5 * df, 0.5);

    // Residual ln(prob(s)) - ln(target) and its derivative w.r.t. ln s.
    let eval = |s: f64| -> (f64, f64) {
        let (t_s, c_s) = t_tail_centre(s, df);
        let dens = t_density(s, df, ln_b);
        if use_tail { (t_s.ln() - ln_target, -s * dens / t_s) } else { (c_s.ln() - ln_target, s * dens / c_s) }
    };
    // Residual > 0 means s is too small for the tail equation and too large
    // for the centre equation; `too_small` normalises that.
    let too_small = |r: f64| if use_tail { r > 0.0 } else { r < 0.0 };

    // Initial guesses: Cornish–Fisher (good in the body and for large df) and
    // the power-law tail P(T < -s) ≈ ν^{ν/2-1} s^{-ν} / B(ν/2, ½) (good for
    // small df and small p). Keep whichever has the smaller residual.
    let z = -normal_quantile(tail);
    let s_cf = cornish_fisher(z, df);
    let s_tail = df.sqrt() * (-(tail.ln() + df.ln() + ln_b) / df).exp();
    let mut best: Option<(f64, f64, f64)> = None;
    for cand in [s_cf, s_tail] {
        if cand.is_finite() && cand > 0.0 {
            let (r, d) = eval(cand);
            if r.is_finite() && best.is_none_or(|(_, br, _)| r.abs() < br.abs()) {
                best = Some((cand, r, d));
            }
        }
    }
    let (mut s, mut r, mut d) = match best {
        Some(v) => v,
        None => {
            let (r, d) = eval(1.0);
            (1.0, r, d)
        }
    };

    let mut lo = 0.0_f64;
    let mut hi = f64::INFINITY;
    for _ in 0..300 {
        if r == 0.0 {
            return s;
        }
        if too_small(r) {
            lo = lo.max(s);
        } else {
            hi = hi.min(s);
        }
        let step = -r / d;
        let mut next = if step.is_finite() { s * step.exp() } else { f64::NAN };
        if !(next > lo && next < hi) {
            next = if hi.is_infinite() {
                2.0 * s.max(lo).max(1.0)
            } else if lo > 0.0 && hi > 8.0 * lo {
                (lo * hi).sqrt()
            } else {
                0.5 * (lo + hi)
            };
        }
        let converged = (next - s).abs() <= 4.0 * EPS * next || (hi.is_finite() && hi - lo <= 4.0 * EPS * hi);
        s = next;
        if converged || s.is_infinite() {
            return s;
        }
        (r, d) = eval(s);
        if r.is_nan() {
            return s;
        }
    }
    s
}

/// Four-term Cornish–Fisher expansion of the t quantile around the normal
/// quantile `z` (Abramowitz & Stegun 26.7.5). Odd in `z`.
fn cornish_fisher(z: f64, df: f64) -> f64 {
    if df.is_infinite() {
        return z;
    }
    let z2 = z * z;
    let g1 = (z2 + 1.0) * z / 4.0;
    let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    let v = 1.0 / df;
    z + v * (g1 + v * (g2 + v * (g3 + v * g4)))
}

/// The `z` with `cornish_fisher(z, df) = t` (Newton; the expansion is
/// increasing in `z` for the `df > LARGE_DF` it is used with).
fn cornish_fisher_inverse(t: f64, df: f64) -> f64 {
    // Beyond |t| = 50 the probability is below 1e-500 for df > 1e5.
    if t.abs() > 50.0 {
        return t.signum() * 50.0;
    }
    let v = 1.0 / df;
    let mut z = t;
    for _ in 0..50 {
        let z2 = z * z;
        let d1 = (3.0 * z2 + 1.0) / 4.0;
        let d2 = ((25.0 * z2 + 48.0) * z2 + 3.0) / 96.0;
        let d3 = (((21.0 * z2 + 95.0) * z2 + 51.0) * z2 - 15.0) / 384.0;
        let d4 = ((((711.0 * z2 + 5432.0) * z2 + 7410.0) * z2 - 5760.0) * z2 - 945.0) / 92160.0;
        let slope = 1.0 + v * (d1 + v * (d2 + v * (d3 + v * d4)));
        let dz = (cornish_fisher(z, df) - t) / slope;
        z -= dz;
        if dz.abs() <= 2.0 * EPS * z.abs() {
            break;
        }
    }
    z
}

/// `(P(T < -s), P(0 < T < s))` for `s >= 0`, each accurate in relative terms.
fn t_tail_centre(s: f64, df: f64) -> (f64, f64) {
    if s == 0.0 {
        return (0.5, 0.0);
    }
    if s.is_infinite() {
        return (0.0, 0.5);
    }
    // x = ν/(ν+s²), y = 1 - x = s²/(ν+s²), with accurate logarithms and no
    // overflow of s² for huge s.
    let q = s * s / df;
    let (x, y, ln_x, ln_y) = if q > 1.0 {
        let r = df / s;
        let inv = r / s;
        let l1p = inv.ln_1p();
        (inv / (1.0 + inv), 1.0 / (1.0 + inv), r.ln() - s.ln() - l1p, -l1p)
    } else {
        let l1p = q.ln_1p();
        (1.0 / (1.0 + q), q / (1.0 + q), -l1p, q.ln() - l1p)
    };
    let (ix, iy) = inc_beta_pair(0.5 * df, 0.5, x, y, ln_x, ln_y);
    (0.5 * ix, 0.5 * iy)
}

/// Density of t at `s >= 0`, given `ln_b = ln B(ν/2, ½)`.
fn t_density(s: f64, df: f64, ln_b: f64) -> f64 {
    let q = s * s / df;
    // ln(1 + s²/ν), without overflow for huge s.
    let ln_1pq = if q > 1.0 {
        let r = df / s;
        2.0 * s.ln() - df.ln() + (r / s).ln_1p()
    } else {
        q.ln_1p()
    };
    (-0.5 * (df + 1.0) * ln_1pq - 0.5 * df.ln() - ln_b).exp()
}

/// `(I_x(a, b), I_y(b, a))` with `y = 1 - x` (the two add up to one), where the
/// smaller-side one is computed directly and the other as its complement.
/// `ln_x`, `ln_y` must be accurate logarithms of `x`, `y`.
fn inc_beta_pair(a: f64, b: f64, x: f64, y: f64, ln_x: f64, ln_y: f64) -> (f64, f64) {
    if ln_x == f64::NEG_INFINITY {
        return (0.0, 1.0);
    }
    if ln_y == f64::NEG_INFINITY {
        return (1.0, 0.0);
    }
    let front = (a * ln_x + b * ln_y - ln_beta(a, b)).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        let i = (front * beta_cf(a, b, x) / a).min(1.0);
        (i, 1.0 - i)
    } else {
        let j = (front * beta_cf(b, a, y) / b).min(1.0);
        (1.0 - j, j)
    }
}

/// Continued fraction for the incomplete beta function (modified Lentz),
/// as in Numerical Recipes `betacf`; converges quickly for
/// `x < (a+1)/(a+b+2)`.
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    let qab = a + b;
    let qap = a + 1.0;
    let qam = a - 1.0;
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=MAX_CF_ITER {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() <= EPS {
            break;
        }
    }
    h
}

/// Stirling-series correction `ln Γ(x) - [(x-½)ln x - x + ln√(2π)]`, for `x >= 10`
/// (truncation error below 1e-18 there).
fn stirling_correction(x: f64) -> f64 {
    let r = 1.0 / x;
    let r2 = r * r;
    // B_{2k} / (2k(2k-1)) for k = 1..8.
    const C: [f64; 8] = [
        1.0 / 12.0,
        -1.0 / 360.0,
        1.0 / 1260.0,
        -1.0 / 1680.0,
        1.0 / 1188.0,
        -691.0 / 360_360.0,
        1.0 / 156.0,
        -3617.0 / 122_400.0,
    ];
    let mut acc = 0.0;
    for &coef in C.iter().rev() {
        acc = acc * r2 + coef;
    }
    acc * r
}

/// `ln Γ(x)` for `x > 0`, by upward recurrence to `x >= 10` and the Stirling
/// series (absolute error around 1e-15).
pub fn ln_gamma(x: f64) -> f64 {
    let mut x = x;
    let mut prod = 1.0;
    while x < 10.0 {
        prod *= x;
        x += 1.0;
    }
    (x - 0.5) * x.ln() - x + LN_SQRT_2PI + stirling_correction(x) - prod.ln()
}

/// `ln B(a, b)` for `a, b > 0`, arranged to avoid cancellation when one
/// argument is large (large degrees of freedom).
fn ln_beta(a: f64, b: f64) -> f64 {
    let (big, small) = if a >= b { (a, b) } else { (b, a) };
    if big < 10.0 {
        return ln_gamma(big) + ln_gamma(small) - ln_gamma(big + small);
    }
    // ln Γ(big) - ln Γ(big + small), both via Stirling, with the large terms
    // cancelled analytically.
    let sum = big + small;
    let diff = -(big - 0.5) * (small / big).ln_1p() - small * sum.ln() + small + stirling_correction(big)
        - stirling_correction(sum);
    ln_gamma(small) + diff
}

/// Standard normal CDF `Φ(x)`, accurate in relative terms in the lower tail
/// (about 1e-15 down to the underflow threshold).
pub fn normal_cdf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 { normal_upper_tail(-x) } else { 1.0 - normal_upper_tail(x) }
}

/// Lentz's continued fraction for Γ(a, w) / (e^{-w} w^a), the regularized upper incomplete
/// gamma function without its leading factor; converges fast for w > a + 1 (Numerical
/// Recipes §6.2). Shared by the normal tail (a = ½) and the gamma CDF of `discover`'s fits.
pub fn upper_gamma_cf(a: f64, w: f64) -> f64 {
    let mut b = w + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..=MAX_CF_ITER {
        let i = i as f64;
        let an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < TINY {
            d = TINY;
        }
        c = b + an / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() <= EPS {
            break;
        }
    }
    h
}

/// `P(Z > x) = ½·erfc(x/√2)` for `x >= 0`, via the regularized incomplete
/// gamma function `Q(½, x²/2)`: series for `x²/2 < 1.5`, continued fraction
/// otherwise.
fn normal_upper_tail(x: f64) -> f64 {
    if x > 40.0 {
        return 0.0;
    }
    let z = x * FRAC_1_SQRT_2;
    let zz = z * z;
    if zz < 1.5 {
        // erf(z) = (2/√π) z e^{-z²} Σ (2z²)^n / (1·3·…·(2n+1)), all terms positive.
        let mut term = 1.0;
        let mut sum = 1.0;
        let mut k = 0.0;
        loop {
            k += 1.0;
            term *= 2.0 * zz / (2.0 * k + 1.0);
            sum += term;
            if term <= sum * EPS {
                break;
            }
        }
        0.5 - FRAC_1_SQRT_PI * z * (-zz).exp() * sum
    } else {
        // Γ(½, z²) / (e^{-z²} z) by the continued fraction.
        let h = upper_gamma_cf(0.5, zz);
        0.5 * exp_neg_half_sq(x) * z * h * FRAC_1_SQRT_PI
    }
}

/// `e^{-x²/2}` without the rounding error of forming `x²` (Cody's splitting:
/// `x = xh + xl` with `xh` a multiple of 1/16, so `xh²` is exact).
fn exp_neg_half_sq(x: f64) -> f64 {
    let xh = (x * 16.0).trunc() / 16.0;
    let xl = x - xh;
    (-0.5 * xh * xh).exp() * (-0.5 * xl * (x + xh)).exp()
}

/// Standard normal quantile `Φ⁻¹(p)` by Wichura's algorithm AS241 (PPND16),
/// relative accuracy about 1e-16. Used for large-sample intervals and as the
/// starting point of the t quantile.
// The published AS241 coefficients are kept digit for digit.
#[allow(clippy::excessive_precision)]
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 8] = [
        3.387_132_872_796_366_608,
        1.331_416_678_917_843_774_5e2,
        1.971_590_950_306_551_442_7e3,
        1.373_169_376_550_946_112_5e4,
        4.592_195_393_154_987_145_7e4,
        6.726_577_092_700_870_085_3e4,
        3.343_057_558_358_812_810_5e4,
        2.509_080_928_730_122_672_7e3,
    ];
    const B: [f64; 8] = [
        1.0,
        4.231_333_070_160_091_125_2e1,
        6.871_870_074_920_579_083e2,
        5.394_196_021_424_751_107_7e3,
        2.121_379_430_158_659_586_7e4,
        3.930_789_580_009_271_061e4,
        2.872_908_573_572_194_267_4e4,
        5.226_495_278_852_854_561e3,
    ];
    const C: [f64; 8] = [
        1.423_437_110_749_683_577_34,
        4.630_337_846_156_545_295_9,
        5.769_497_221_460_691_405_5,
        3.647_848_324_763_204_605_04,
        1.270_458_252_452_368_382_58,
        2.417_807_251_774_506_117_7e-1,
        2.272_384_498_926_918_458_33e-2,
        7.745_450_142_783_414_076_4e-4,
    ];
    const D: [f64; 8] = [
        1.0,
        2.053_191_626_637_758_821_87,
        1.676_384_830_183_803_849_4,
        6.897_673_349_851_000_045_5e-1,
        1.481_039_764_274_800_745_9e-1,
        1.519_866_656_361_645_719_66e-2,
        5.475_938_084_995_344_946e-4,
        1.050_750_071_644_416_843_24e-9,
    ];
    const E: [f64; 8] = [
        6.657_904_643_501_103_777_2,
        5.463_784_911_164_114_369_9,
        1.784_826_539_917_291_335_8,
        2.965_605_718_285_048_912_3e-1,
        2.653_218_952_657_612_309_3e-2,
        1.242_660_947_388_078_438_6e-3,
        2.711_555_568_743_487_578_15e-5,
        2.010_334_399_292_288_132_65e-7,
    ];
    const F: [f64; 8] = [
        1.0,
        5.998_322_065_558_879_376_9e-1,
        1.369_298_809_227_358_053_1e-1,
        1.487_536_129_085_061_485_25e-2,
        7.868_691_311_456_132_591e-4,
        1.846_318_317_510_054_681_8e-5,
        1.421_511_758_316_445_888_7e-7,
        2.044_263_103_389_939_785_64e-15,
    ];
    fn poly(c: &[f64; 8], x: f64) -> f64 {
        c.iter().rev().fold(0.0, |acc, &k| acc * x + k)
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180_625 - q * q;
        return q * poly(&A, r) / poly(&B, r);
    }
    let r = if q < 0.0 { p } else { 1.0 - p };
    let r = (-r.ln()).sqrt();
    let v = if r <= 5.0 {
        let r = r - 1.6;
        poly(&C, r) / poly(&D, r)
    } else {
        let r = r - 5.0;
        poly(&E, r) / poly(&F, r)
    };
    if q < 0.0 { -v } else { v }
}

#[cfg(test)]
// Reference values are quoted with all the digits of their source.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    #[test]
    fn t975_table_values() {
        // Standard two-sided 95 % table values (9-10 significant digits).
        let table = [
            (1, 12.706_204_736),
            (2, 4.302_652_730),
            (9, 2.262_157_163),
            (29, 2.045_229_642),
            (99, 1.984_216_952),
            (1000, 1.962_339_081),
        ];
        for (df, want) in table {
            let got = t975(df);
            assert!(rel(got, want) < 1e-9, "df={df}: {got} vs {want}");
        }
        assert!(t975(0).is_nan());
    }

    #[test]
    fn high_precision_reference_values() {
        // Reference values computed with mpmath (40 digits) from the
        // incomplete beta function, rounded to 17 significant digits.
        let cases = [
            (0.975, 1.0, 12.706_204_736_174_693),
            (0.975, 2.0, 4.302_652_729_749_461_8),
            (0.975, 9.0, 2.262_157_162_798_205),
            (0.975, 29.0, 2.045_229_642_132_703_9),
            (0.975, 99.0, 1.984_216_951_586_417_1),
            (0.975, 1000.0, 1.962_339_080_826_408_1),
            (0.9995, 5.0, 6.868_826_625_881_110_2),
            (0.99975, 5.0, 7.975_653_419_040_984_2),
            (0.0005 / 20.0, 3.0, -35.297_919_449_815_128),
            (0.0005 / 20.0, 10.0, -6.756_796_440_767_196),
            (1e-10, 4.0, -416.175_140_329_604_12),
            (0.6, 7.0, 0.263_166_861_352_022_75),
            (0.5 + 1e-9, 12.0, 2.559_336_185_842_900_9e-9),
            (0.975, 2.5, 3.574_654_842_003_681_8),
            (0.99, 30.0, 2.457_261_542_400_591),
            (0.975, 1e5, 1.959_987_707_534_609_3),
            (1e-12, 1e6, -7.034_572_608_411_256_6),
        ];
        for (p, df, want) in cases {
            let got = t_quantile(p, df);
            assert!(rel(got, want) < 1e-12, "p={p} df={df}: {got} vs {want}");
        }
    }

    #[test]
    fn brief_value_for_99_9_percent_two_sided() {
        // The commonly tabulated 6.869 for df = 5 is t_{0.9995} (two-sided
        // 99.9 %); t_{0.99975, 5} is 7.9757 (see the reference test above).
        assert!((t_quantile(0.9995, 5.0) - 6.868_827).abs() < 1e-6);
    }

    #[test]
    fn normal_values() {
        assert!(rel(normal_quantile(0.975), 1.959_963_984_540_054) < 1e-15);
        assert!(rel(normal_quantile(0.025), -1.959_963_984_540_054) < 1e-15);
        assert_eq!(normal_quantile(0.5), 0.0);
        // Φ⁻¹(1e-10) = -6.361340902404056 (mpmath).
        assert!(rel(normal_quantile(1e-10), -6.361_340_902_404_056) < 1e-14);
        // Φ(-5) = 2.866515718791939e-7, Φ(1) = 0.8413447460685429 (mpmath).
        assert!(rel(normal_cdf(-5.0), 2.866_515_718_791_939e-7) < 1e-14);
        assert!(rel(normal_cdf(1.0), 0.841_344_746_068_542_9) < 1e-15);
        assert!(rel(normal_cdf(-20.0), 2.753_624_118_606_233_7e-89) < 1e-13);
        assert_eq!(normal_cdf(0.0), 0.5);
        assert_eq!(t_quantile(0.3, f64::INFINITY), normal_quantile(0.3));
        assert_eq!(t_cdf(-1.0, f64::INFINITY), normal_cdf(-1.0));
    }

    #[test]
    fn normal_round_trip() {
        for &p in &[1e-300, 1e-50, 1e-12, 1e-4, 0.02, 0.3, 0.5, 0.7, 0.9, 0.999] {
            let x = normal_quantile(p);
            assert!(rel(normal_cdf(x), p) < 1e-13, "p={p}");
        }
    }

    #[test]
    fn t_round_trip() {
        let ps = [1e-200, 1e-30, 2.5e-5, 1e-3, 0.025, 0.1, 0.3, 0.49, 0.5 + 1e-12, 0.6, 0.9, 0.975, 0.999, 1.0 - 1e-9];
        let dfs = [1.0, 1.5, 2.0, 3.0, 4.0, 7.0, 19.0, 50.0, 333.3, 5000.0, 99_999.0];
        for &df in &dfs {
            for &p in &ps {
                let t = t_quantile(p, df);
                assert!(t.is_finite(), "p={p} df={df}");
                let back = t_cdf(t, df);
                // Compare the smaller of the two tail probabilities relatively.
                let (got, want) = if p < 0.5 { (back, p) } else { (1.0 - back, 1.0 - p) };
                let tol = if p < 0.5 { 1e-11 } else { 1e-11 + 1e-15 / want };
                assert!(rel(got, want) < tol, "p={p} df={df}: t={t} cdf={back}");
                // Symmetry, where 1 - p is exact.
                if 1.0 - (1.0 - p) == p {
                    assert_eq!(t_quantile(1.0 - p, df), -t, "p={p} df={df}");
                }
            }
        }
    }

    #[test]
    fn closed_forms() {
        // df = 1 (Cauchy) and df = 2 have closed-form CDFs.
        for &t in &[-1e6, -30.0, -2.0, -0.1, 0.0, 0.5, 3.0, 100.0] {
            let cauchy = 0.5 + f64::atan(t) / PI;
            assert!((t_cdf(t, 1.0) - cauchy).abs() < 1e-15, "t={t}");
            let two = 0.5 + t / (2.0 * (2.0 + t * t).sqrt());
            assert!((t_cdf(t, 2.0) - two).abs() < 1e-15, "t={t}");
        }
    }

    #[test]
    fn cornish_fisher_matches_iteration() {
        // The direct expansion used above LARGE_DF agrees with the full solver.
        for &p in &[1e-12, 1e-4, 0.025, 0.2] {
            let df = 2e4;
            let s = solve_abs_t(p, 0.5 - p, df);
            let cf = cornish_fisher(-normal_quantile(p), df);
            assert!(rel(cf, s) < 1e-12, "p={p}: {cf} vs {s}");
        }
    }

    #[test]
    fn invalid_inputs() {
        assert!(t_quantile(f64::NAN, 3.0).is_nan());
        assert!(t_quantile(0.5, 0.0).is_nan());
        assert!(t_quantile(1.5, 3.0).is_nan());
        assert_eq!(t_quantile(0.0, 3.0), f64::NEG_INFINITY);
        assert_eq!(t_quantile(1.0, 3.0), f64::INFINITY);
        assert!(normal_quantile(-0.1).is_nan());
        assert!(t_cdf(1.0, -2.0).is_nan());
        assert_eq!(t_cdf(f64::NEG_INFINITY, 3.0), 0.0);
    }
}
