//! MSER-5 warm-up detection (White 1997): batch the series in means of 5, and choose the
//! deletion point d that minimises the variance of the remaining batch means divided by
//! (k − d)², searching only the first half (a minimum at the end of that range means the
//! series has not settled).

/// Result of the warm-up search on a series of equally spaced observations.
#[derive(Clone, Debug, PartialEq)]
pub struct Mser {
    /// Observations to delete (a multiple of 5).
    pub delete: usize,
    /// False when the best cut lies in the second half of the series.
    pub settled: bool,
}

pub fn mser5(series: &[f64]) -> Option<Mser> {
    let batches: Vec<f64> =
        series.chunks_exact(5).map(|c| c.iter().sum::<f64>() / 5.0).filter(|x| x.is_finite()).collect();
    let k = batches.len();
    if k < 4 {
        return None;
    }
    // Only cuts in the first half are considered (the statistic is unreliable with few batches
    // left); a minimum at the edge of that range means the series has not settled.
    let mut best = (f64::INFINITY, 0usize);
    for d in 0..=k / 2 {
        let rest = &batches[d..];
        let n = rest.len() as f64;
        let mean = rest.iter().sum::<f64>() / n;
        let ss: f64 = rest.iter().map(|x| (x - mean).powi(2)).sum();
        let stat = ss / (n * n);
        if stat < best.0 {
            best = (stat, d);
        }
    }
    Some(Mser { delete: best.1 * 5, settled: best.1 < k / 2 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_initial_transient() {
        let mut s: Vec<f64> = (0..50).map(|i| 10.0 - i as f64 * 0.2).collect();
        s.extend((0..200).map(|i| if i % 2 == 0 { 0.1 } else { -0.1 }));
        let m = mser5(&s).unwrap_or(Mser { delete: 0, settled: false });
        assert!(m.settled);
        assert!((40..=60).contains(&m.delete), "{m:?}");
    }

    #[test]
    fn trend_does_not_settle() {
        let s: Vec<f64> = (0..200).map(|i| i as f64).collect();
        let m = mser5(&s).unwrap_or(Mser { delete: 0, settled: true });
        assert!(!m.settled);
    }
}
