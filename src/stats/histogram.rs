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

/// Only the range of buckets the values reached is stored: bucket 0 (zero waits, mostly)
/// has its own counter, and `counts` covers buckets `base..base + counts.len()`. A
/// replication's histograms then cost a few KiB at most, nothing for types nobody belongs to,
/// and reading them (percentiles, merging, hand-over to the fold) scans only that range.
/// Serialised as the non-empty buckets, `[[index, count], ...]`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(into = "Wire", try_from = "Wire")]
pub struct Histogram {
    zero: u64,
    base: usize,
    counts: Vec<u64>,
}

/// The serialised form: non-empty buckets by absolute index, and the total.
#[derive(Serialize, Deserialize)]
struct Wire {
    counts: Vec<(usize, u64)>,
    n: u64,
}

impl From<Histogram> for Wire {
    fn from(h: Histogram) -> Wire {
        Wire { n: h.n(), counts: h.nonzero().collect() }
    }
}

impl TryFrom<Wire> for Histogram {
    type Error = String;

    fn try_from(w: Wire) -> Result<Histogram, String> {
        let mut h = Histogram::default();
        // The total bounds every bucket, so no count can wrap once it fits in 64 bits.
        let mut total: u64 = 0;
        for (i, c) in w.counts {
            if i >= BUCKETS {
                return Err(format!("histogram bucket {i} out of range"));
            }
            total = total.checked_add(c).ok_or("histogram counts overflow 64 bits")?;
            h.add_count(i, c);
        }
        if total != w.n {
            return Err(format!("histogram total {} does not match its buckets ({total})", w.n));
        }
        Ok(h)
    }
}

impl PartialEq for Histogram {
    fn eq(&self, other: &Self) -> bool {
        self.nonzero().eq(other.nonzero())
    }
}

/// The bucket of `v`: 0 below 2^MIN_EXP (NaN too), the last one from 2^MAX_EXP (infinity
/// too), else 1 + (binary exponent - MIN_EXP) * SUB + the top SUB_BITS of the mantissa.
/// Written with selects rather than early returns: whether a wait is zero is a coin toss.
#[inline]
fn bucket(v: f64) -> usize {
    let bits = v.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let sub = ((bits >> (52 - SUB_BITS)) & (SUB as u64 - 1)) as i64;
    let b = (1 + (exp - i64::from(MIN_EXP)) * SUB as i64 + sub).min(BUCKETS as i64 - 1);
    if v >= (2.0f64).powi(MIN_EXP) { b as usize } else { 0 }
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

/// Buckets added below the window at once when it must grow downwards, so that a run of
/// ever smaller values does not shift the counts every time.
const GROW_DOWN: usize = 32;

impl Histogram {
    #[inline]
    pub fn add(&mut self, v: f64) {
        self.add_count(bucket(v), 1);
    }

    /// Adds `c` values to bucket `b` (< BUCKETS).
    #[inline]
    fn add_count(&mut self, b: usize, c: u64) {
        if b == 0 {
            self.zero += c;
            return;
        }
        // One unsigned comparison tests both ends of the window (below `base` wraps around).
        match self.counts.get_mut(b.wrapping_sub(self.base)) {
            Some(n) => *n += c,
            None => self.grow_and_add(b, c),
        }
    }

    #[cold]
    fn grow_and_add(&mut self, b: usize, c: u64) {
        self.cover(b);
        let i = b - self.base;
        self.counts[i] += c;
    }

    /// Widens the window to include buckets `lo..=hi` (1 <= lo <= hi < BUCKETS).
    fn cover_range(&mut self, lo: usize, hi: usize) {
        for b in [hi, lo] {
            if b < self.base || b >= self.base + self.counts.len() {
                self.cover(b);
            }
        }
    }

    /// Widens the window to include bucket `b` (>= 1).
    #[cold]
    fn cover(&mut self, b: usize) {
        if self.counts.is_empty() {
            self.base = b;
            self.counts = vec![0; 1];
        } else if b < self.base {
            let new_base = b.saturating_sub(GROW_DOWN).max(1);
            let extra = self.base - new_base;
            self.counts.splice(0..0, std::iter::repeat_n(0, extra));
            self.base = new_base;
        } else {
            // Round up so that a slowly rising maximum does not grow the window bucket by bucket.
            let len = (b - self.base + 1).next_multiple_of(16).min(BUCKETS - self.base);
            self.counts.resize(len, 0);
        }
    }

    /// Non-empty buckets in increasing order: (index, count).
    fn nonzero(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        let zero = (self.zero > 0).then_some((0, self.zero));
        zero.into_iter()
            .chain(self.counts.iter().enumerate().filter(|(_, c)| **c > 0).map(|(i, c)| (self.base + i, *c)))
    }

    /// Non-empty buckets only: what a replication hands back to the thread that folds
    /// results (a few hundred pairs).
    pub fn to_sparse(&self) -> Vec<(u32, u64)> {
        self.nonzero().map(|(i, c)| (i as u32, c)).collect()
    }

    pub fn merge_sparse(&mut self, sparse: &[(u32, u64)]) {
        // Cover the whole range once instead of growing pair by pair.
        if let (Some(&(lo, _)), Some(&(hi, _))) = (sparse.iter().find(|p| p.0 > 0), sparse.last()) {
            self.cover_range((lo as usize).min(BUCKETS - 1), (hi as usize).min(BUCKETS - 1));
        }
        for &(i, c) in sparse {
            if (i as usize) < BUCKETS {
                self.add_count(i as usize, c);
            }
        }
    }

    /// `merge`, refusing counts that would wrap (histograms read from files).
    pub fn try_merge(&mut self, other: &Histogram) -> Result<(), String> {
        self.n().checked_add(other.n()).ok_or("histogram counts overflow 64 bits")?;
        self.merge(other);
        Ok(())
    }

    pub fn merge(&mut self, other: &Histogram) {
        self.zero += other.zero;
        if let Some(last) = other.counts.len().checked_sub(1) {
            self.cover_range(other.base, other.base + last);
            let off = other.base - self.base;
            for (a, b) in self.counts[off..].iter_mut().zip(&other.counts) {
                *a += *b;
            }
        }
    }

    /// How many values were added. Summed when read (a few hundred buckets at most) rather
    /// than counted per value: values are added far more often than counted.
    pub fn n(&self) -> u64 {
        self.zero + self.counts.iter().sum::<u64>()
    }

    /// The p-quantile (0 < p <= 1), NaN when empty: the smallest bucket whose cumulative
    /// count reaches ceil(p·n).
    pub fn quantile(&self, p: f64) -> f64 {
        self.quantiles([p])[0]
    }

    /// Several quantiles in one pass over the buckets (`ps` in increasing order).
    pub fn quantiles<const N: usize>(&self, ps: [f64; N]) -> [f64; N] {
        let mut out = [f64::NAN; N];
        let n = self.n();
        if n == 0 {
            return out;
        }
        let rank = ps.map(|p| ((p * n as f64).ceil() as u64).clamp(1, n));
        let mut k = 0;
        let mut acc = 0;
        for (b, c) in self.nonzero() {
            acc += c;
            while k < N && acc >= rank[k] {
                out[k] = representative(b);
                k += 1;
            }
            if k == N {
                break;
            }
        }
        for o in &mut out[k..] {
            *o = representative(BUCKETS - 1);
        }
        out
    }

    /// Share of values <= x (bucket resolution).
    pub fn cdf(&self, x: f64) -> f64 {
        let n = self.n();
        if n == 0 {
            return f64::NAN;
        }
        let b = bucket(x);
        self.nonzero().take_while(|(i, _)| *i <= b).map(|(_, c)| c).sum::<u64>() as f64 / n as f64
    }

    /// Non-empty buckets as (lower edge, upper edge, count), for charts.
    pub fn bins(&self) -> Vec<(f64, f64, u64)> {
        self.nonzero()
            .map(|(b, c)| {
                if b == 0 {
                    (0.0, (2.0f64).powi(MIN_EXP), c)
                } else {
                    let e = (b - 1) / SUB;
                    let sub = (b - 1) % SUB;
                    let base = (2.0f64).powi(MIN_EXP + e as i32);
                    (base * (1.0 + sub as f64 / SUB as f64), base * (1.0 + (sub + 1) as f64 / SUB as f64), c)
                }
            })
            .collect()
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

    /// The select-based `bucket` matches the plain definition everywhere, edges included.
    #[test]
    fn bucket_matches_definition() {
        fn reference(v: f64) -> usize {
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
        let mut values = vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0, -0.0, 0.0, f64::MIN_POSITIVE, f64::MAX];
        for e in (MIN_EXP - 3)..=(MAX_EXP + 3) {
            let p = (2.0f64).powi(e);
            values.extend([p, p * (1.0 - f64::EPSILON), p * (1.0 + f64::EPSILON), p * 1.5, p * 1.999]);
        }
        let mut x: u64 = 7;
        for _ in 0..100_000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            values.push(f64::from_bits(x));
        }
        for v in values {
            assert_eq!(bucket(v), reference(v), "{v:e}");
        }
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
        assert_eq!(a.n(), 4);
        assert_eq!(a.quantile(0.5), 0.0);
        assert!((a.quantile(0.9) - 5.0).abs() < 0.05);
        assert!((a.cdf(0.0) - 0.5).abs() < 1e-12);
    }

    /// The window grows both ways and merges across disjoint windows; every bucket count
    /// matches a plain count by bucket index.
    #[test]
    fn window_matches_dense_counts() {
        let mut dense = vec![0u64; BUCKETS];
        let mut a = Histogram::default();
        let mut b = Histogram::default();
        let mut x: u64 = 7;
        for i in 0..5000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            // Values from 1e-4 to 1e4, in an order that keeps moving the window's ends.
            let v = 10f64.powf(((x >> 11) as f64 / (1u64 << 53) as f64) * 8.0 - 4.0);
            let v = if i % 97 == 0 { 0.0 } else { v };
            dense[bucket(v)] += 1;
            if v < 1.0 { a.add(v) } else { b.add(v) }
        }
        a.merge(&b);
        let expect: Vec<(u32, u64)> =
            dense.iter().enumerate().filter(|(_, c)| **c > 0).map(|(i, c)| (i as u32, *c)).collect();
        assert_eq!(a.to_sparse(), expect);
        assert_eq!(a.n(), 5000);
        let mut c = Histogram::default();
        c.merge_sparse(&expect);
        assert_eq!(c, a);
        let [q50, q90] = a.quantiles([0.5, 0.9]);
        assert_eq!((q50, q90), (a.quantile(0.5), a.quantile(0.9)));
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
