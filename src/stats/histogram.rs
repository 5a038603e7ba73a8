//! A mergeable log-linear histogram for waits and cycle times.
//!
//! Buckets split each power of two into 64 equal parts, so a percentile read from the
//! histogram is within 0.8% (half a bucket, relative) of a value in that bucket for values
//! from 2^-10 min (0.06 s) to 2^22 min (about 8 years); smaller values share one bucket read
//! as 0. Histograms of replications merge by adding counts, exactly and in any order, which is
//! what pooled distributions across replications (and shards) need.

use serde::{Deserialize, Serialize};

const SUB_BITS: u32 = 6;
const SUB: usize = 1 << SUB_BITS;
const MIN_EXP: i32 = -10;
const MAX_EXP: i32 = 22;
pub const BUCKETS: usize = 1 + (MAX_EXP - MIN_EXP) as usize * SUB;

/// Counts are allocated on the first value and only the buckets below `hi` are ever
/// non-zero: a replication's histograms cost nothing for types nobody belongs to, and reading
/// them (percentiles, hand-over to the fold) scans only the range the values reached.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Histogram {
    #[serde(with = "sparse")]
    counts: Vec<u64>,
    pub n: u64,
    /// One past the highest bucket that may be non-zero (all of them after deserialising).
    #[serde(skip, default = "all_buckets")]
    hi: usize,
}

fn all_buckets() -> usize {
    BUCKETS
}

impl PartialEq for Histogram {
    fn eq(&self, other: &Self) -> bool {
        self.n == other.n && self.to_sparse() == other.to_sparse()
    }
}

#[inline]
fn bucket(v: f64) -> usize {
    if v.is_nan() || v < (2.0f64).powi(MIN_EXP) {
        return 0;
    }
    let bits = v.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32 - 1023;
    if exp >= MAX_EXP {
        return BUCKETS - 1;
    }
    let sub = ((bits >> (52 - SUB_BITS)) & (SUB as u64 - 1)) as usize;
    1 + (exp - MIN_EXP) as usize * SUB + sub
}

/// The value a bucket stands for: its midpoint (0 for the lowest bucket).
fn representative(b: usize) -> f64 {
    if b == 0 {
        return 0.0;
    }
    let e = (b - 1) / SUB;
    let sub = (b - 1) % SUB;
    (2.0f64).powi(MIN_EXP + e as i32) * (1.0 + (sub as f64 + 0.5) / SUB as f64)
}

impl Histogram {
    #[inline]
    pub fn add(&mut self, v: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKETS];
        }
        let b = bucket(v);
        self.counts[b] += 1;
        self.hi = self.hi.max(b + 1);
        self.n += 1;
    }

    /// The buckets that may be non-zero.
    fn used(&self) -> &[u64] {
        &self.counts[..self.hi.min(self.counts.len())]
    }

    /// Non-empty buckets only: what a replication hands back to the thread that folds
    /// results (a few hundred pairs instead of a 16 KiB array allocated in another thread).
    pub fn to_sparse(&self) -> Vec<(u32, u64)> {
        self.used().iter().enumerate().filter(|(_, c)| **c > 0).map(|(i, c)| (i as u32, *c)).collect()
    }

    pub fn merge_sparse(&mut self, sparse: &[(u32, u64)]) {
        if sparse.is_empty() {
            return;
        }
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKETS];
        }
        for &(i, c) in sparse {
            if let Some(slot) = self.counts.get_mut(i as usize) {
                *slot += c;
                self.n += c;
                self.hi = self.hi.max(i as usize + 1);
            }
        }
    }

    pub fn merge(&mut self, other: &Histogram) {
        let theirs = other.used();
        if theirs.is_empty() {
            return;
        }
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKETS];
        }
        for (a, b) in self.counts.iter_mut().zip(theirs) {
            *a += *b;
        }
        self.hi = self.hi.max(theirs.len());
        self.n += other.n;
    }

    /// The p-quantile (0 < p <= 1), NaN when empty: the smallest bucket whose cumulative
    /// count reaches ceil(p·n).
    pub fn quantile(&self, p: f64) -> f64 {
        if self.n == 0 {
            return f64::NAN;
        }
        let rank = ((p * self.n as f64).ceil() as u64).clamp(1, self.n);
        let mut acc = 0;
        for (b, c) in self.used().iter().enumerate() {
            acc += c;
            if acc >= rank {
                return representative(b);
            }
        }
        representative(BUCKETS - 1)
    }

    /// Share of values <= x (bucket resolution).
    pub fn cdf(&self, x: f64) -> f64 {
        if self.n == 0 {
            return f64::NAN;
        }
        let used = self.used();
        let b = (bucket(x) + 1).min(used.len());
        used[..b].iter().sum::<u64>() as f64 / self.n as f64
    }

    /// Non-empty buckets as (lower edge, upper edge, count), for charts.
    pub fn bins(&self) -> Vec<(f64, f64, u64)> {
        self.used()
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(b, c)| {
                if b == 0 {
                    (0.0, (2.0f64).powi(MIN_EXP), *c)
                } else {
                    let e = (b - 1) / SUB;
                    let sub = (b - 1) % SUB;
                    let base = (2.0f64).powi(MIN_EXP + e as i32);
                    (base * (1.0 + sub as f64 / SUB as f64), base * (1.0 + (sub + 1) as f64 / SUB as f64), *c)
                }
            })
            .collect()
    }
}

/// Serialises only the non-empty buckets as [[index, count], ...]: compact JSON.
mod sparse {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::BUCKETS;

    pub fn serialize<S: Serializer>(counts: &[u64], s: S) -> Result<S::Ok, S::Error> {
        let pairs: Vec<(usize, u64)> =
            counts.iter().enumerate().filter(|(_, c)| **c > 0).map(|(i, c)| (i, *c)).collect();
        pairs.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
        let pairs: Vec<(usize, u64)> = Vec::deserialize(d)?;
        let mut counts = vec![0; BUCKETS];
        for (i, c) in pairs {
            if i >= BUCKETS {
                return Err(serde::de::Error::custom(format!("histogram bucket {i} out of range")));
            }
            counts[i] = c;
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_within_documented_error() {
        let mut h = Histogram::default();
        for i in 1..=10_000 {
            h.add(i as f64 / 100.0);
        }
        for p in [0.5, 0.9, 0.95] {
            let exact = p * 100.0;
            let q = h.quantile(p);
            assert!((q - exact).abs() / exact < 0.008 + 1e-4, "p={p} q={q}");
        }
        assert_eq!(h.quantile(0.0001), representative(bucket(0.01)));
    }

    #[test]
    fn zero_and_merge() {
        let mut a = Histogram::default();
        a.add(0.0);
        a.add(0.0);
        a.add(5.0);
        let mut b = Histogram::default();
        b.add(5.0);
        a.merge(&b);
        assert_eq!(a.n, 4);
        assert_eq!(a.quantile(0.5), 0.0);
        assert!((a.quantile(0.9) - 5.0).abs() < 0.05);
        assert!((a.cdf(0.0) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn sparse_round_trip() {
        let mut a = Histogram::default();
        a.add(3.0);
        a.add(1e9);
        let s = serde_json::to_string(&a).unwrap_or_default();
        let b: Histogram = serde_json::from_str(&s).unwrap_or_default();
        assert_eq!(a, b);
    }
}
