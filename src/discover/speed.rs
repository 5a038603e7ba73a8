//! Durations per resource pool where they differ: an activity performed by several pools is
//! one step (a skill of each pool), and the scenario format expresses a pool that works
//! slower or faster as its `speed`, a factor on every service time it gives. So a pool's
//! speed is estimated against the *reference* pool of each shared activity (the one doing most
//! of it): the ratio of mean durations, pooled over the activities the pool shares as the
//! non-reference one. It is used only where the difference is real: more than 5% and more than
//! four standard errors (delta method on the ratio of two means), with 30 visits or more on
//! each side. A pool that is the reference for some activity keeps speed 1: one factor cannot
//! make it the yardstick for one activity and slower at another.

use std::collections::BTreeMap;

/// Minimum visits of a pool at an activity for its mean to count.
const MIN_N: usize = 30;

/// Mean, standard error of the mean and count.
fn moments(xs: &[f64]) -> (f64, f64, usize) {
    let n = xs.len();
    let m = xs.iter().sum::<f64>() / n.max(1) as f64;
    let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n.max(2) - 1) as f64;
    (m, (v / n.max(1) as f64).sqrt(), n)
}

/// A pool's estimated speed with its evidence.
#[derive(Clone, Debug, PartialEq)]
pub struct Speed {
    pub factor: f64,
    pub se: f64,
    /// Visits of the pool at shared activities the estimate rests on.
    pub n: usize,
}

/// `durations[a]`: (working time, pool) of each finished visit of activity `a` (pool
/// `usize::MAX`: no pool). Returns the pools whose speed differs from 1.
pub fn estimate(durations: &[Vec<(f64, usize)>]) -> BTreeMap<usize, Speed> {
    let mut reference_of_some = std::collections::BTreeSet::new();
    // pool → (Σ n·ratio, Σ n, Σ n²·se²)
    let mut acc: BTreeMap<usize, (f64, f64, f64)> = BTreeMap::new();
    for visits in durations {
        let mut by_pool: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
        for (d, p) in visits {
            if *p != usize::MAX {
                by_pool.entry(*p).or_default().push(*d);
            }
        }
        if by_pool.len() < 2 {
            continue;
        }
        let Some((&reference, ref_d)) = by_pool.iter().max_by_key(|(p, v)| (v.len(), std::cmp::Reverse(**p))) else {
            continue;
        };
        reference_of_some.insert(reference);
        let (mr, ser, nr) = moments(ref_d);
        if nr < MIN_N || mr <= 0.0 {
            continue;
        }
        for (p, ds) in &by_pool {
            if *p == reference || ds.len() < MIN_N {
                continue;
            }
            let (mp, sep, n) = moments(ds);
            let ratio = mp / mr;
            let se = ratio * ((sep / mp).powi(2) + (ser / mr).powi(2)).sqrt();
            let e = acc.entry(*p).or_default();
            let w = n as f64;
            e.0 += w * ratio;
            e.1 += w;
            e.2 += w * w * se * se;
        }
    }
    acc.into_iter()
        .filter(|(p, _)| !reference_of_some.contains(p))
        .filter_map(|(p, (sum, w, var))| {
            let factor = sum / w;
            let se = var.sqrt() / w;
            ((factor - 1.0).abs() > 0.05 && (factor - 1.0).abs() > 4.0 * se)
                .then_some((p, Speed { factor, se, n: w as usize }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slower_pool_gets_its_factor_and_a_similar_one_none() {
        // Activity 0: pool 0 (reference, 200 visits of 10 ± small) and pool 1 (100 of 13);
        // activity 1: pool 2 (reference) and pool 3 at the same speed.
        let wobble = |i: usize| 1.0 + 0.2 * ((i % 7) as f64 - 3.0) / 3.0;
        let mut a0: Vec<(f64, usize)> = (0..200).map(|i| (10.0 * wobble(i), 0)).collect();
        a0.extend((0..100).map(|i| (13.0 * wobble(i), 1)));
        let mut a1: Vec<(f64, usize)> = (0..200).map(|i| (5.0 * wobble(i), 2)).collect();
        a1.extend((0..100).map(|i| (5.0 * wobble(i + 3), 3)));
        let s = estimate(&[a0, a1]);
        assert_eq!(s.keys().copied().collect::<Vec<_>>(), vec![1]);
        assert!((s[&1].factor - 1.3).abs() < 0.02, "{:?}", s[&1]);
    }
}
